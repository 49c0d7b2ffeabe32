//===- UnfusedOpsToLinalg.cpp - lower unfused attn ops to linalg ----------===//
//
// attn.scores, attn.mask, attn.softmax and attn.weighted_sum become
// linalg.generic ops on tensors. Map dims are named after their roles:
// (batch, head, m, k2, k1) for Q·Kᵀ and (batch, head, m, k2, n) for P·V,
// with `m` the query, `k2` the key and `k1`/`n` the head dims. GQA reads KV
// head `head floordiv (Hq / Hkv)`.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "attn/Conversion/AttnToLinalg/AttnToLinalg.h"
#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

#include <limits>

using namespace mlir;
using namespace mlir::attn;

using utils::IteratorType;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// Elementwise `fn` over `input` into a new tensor of element type `elt`.
static Value
mapElementwise(OpBuilder &b, Location loc, Value input, Type elt,
               function_ref<Value(OpBuilder &, Location, Value)> fn) {
  auto type = cast<RankedTensorType>(input.getType());
  Value init = tensor::EmptyOp::create(
      b, loc, tensor::getMixedSizes(b, loc, input), elt);
  AffineMap id = b.getMultiDimIdentityMap(type.getRank());
  SmallVector<IteratorType> iters(type.getRank(), IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, init.getType(), input, init, {id, id}, iters,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               linalg::YieldOp::create(nb, nl, fn(nb, nl, args[0]));
             })
      .getResult(0);
}

/// GQA group size Hq / Hkv, or failure when a head count is dynamic.
static FailureOr<int64_t> getStaticGroupSize(int64_t numQHeads,
                                             int64_t numKVHeads) {
  if (ShapedType::isDynamic(numQHeads) || ShapedType::isDynamic(numKVHeads) ||
      numKVHeads == 0)
    return failure();
  return numQHeads / numKVHeads;
}

/// `head floordiv group`, or `head` when there is no grouping.
static AffineExpr kvHeadExpr(AffineExpr head, int64_t group) {
  return group == 1 ? head : head.floorDiv(group);
}

namespace {

//===----------------------------------------------------------------------===//
// ScoresOp
//===----------------------------------------------------------------------===//

/// s[batch, head, m, k2] = post(sum_k1 q[batch, head, m, k1] *
///                                     k[batch, head / g, k2, k1])
/// with post(x) = softcap(scale * x), accumulated in f32 (f64).
struct ScoresOpLowering : OpRewritePattern<ScoresOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ScoresOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto qType = cast<RankedTensorType>(op.getQuery().getType());
    auto kType = cast<RankedTensorType>(op.getKey().getType());
    auto sType = cast<RankedTensorType>(op.getResult().getType());
    bool bshd = op.getLayout() == Layout::BSHD;
    int hd = bshd ? 2 : 1, sd = bshd ? 1 : 2;
    FailureOr<int64_t> group =
        getStaticGroupSize(qType.getDimSize(hd), kType.getDimSize(hd));
    if (failed(group))
      return rewriter.notifyMatchFailure(op, "dynamic head counts");

    MLIRContext *ctx = rewriter.getContext();
    AffineExpr batch, head, m, k2, k1;
    bindDims(ctx, batch, head, m, k2, k1);
    AffineExpr kvHead = kvHeadExpr(head, *group);
    AffineMap qMap = bshd ? AffineMap::get(5, 0, {batch, m, head, k1}, ctx)
                          : AffineMap::get(5, 0, {batch, head, m, k1}, ctx);
    AffineMap kMap = bshd ? AffineMap::get(5, 0, {batch, k2, kvHead, k1}, ctx)
                          : AffineMap::get(5, 0, {batch, kvHead, k2, k1}, ctx);
    AffineMap sMap = AffineMap::get(5, 0, {batch, head, m, k2}, ctx);

    FloatType acc = getComputeType(qType.getElementType());
    SmallVector<OpFoldResult> sizes = {
        tensor::getMixedSize(rewriter, loc, op.getQuery(), 0),
        tensor::getMixedSize(rewriter, loc, op.getQuery(), hd),
        tensor::getMixedSize(rewriter, loc, op.getQuery(), sd),
        tensor::getMixedSize(rewriter, loc, op.getKey(), sd)};
    Value init = filledTensor(rewriter, loc, sizes, acc, 0.0);
    SmallVector<IteratorType> iters(4, IteratorType::parallel);
    iters.push_back(IteratorType::reduction);
    Value dots =
        linalg::GenericOp::create(
            rewriter, loc, init.getType(),
            ValueRange{op.getQuery(), op.getKey()}, init, {qMap, kMap, sMap},
            iters,
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value prod =
                  arith::MulFOp::create(b, l, castFloat(b, l, args[0], acc),
                                        castFloat(b, l, args[1], acc));
              linalg::YieldOp::create(
                  b, l, ValueRange{arith::AddFOp::create(b, l, args[2], prod)});
            })
            .getResult(0);

    double scale = op.getEffectiveScale();
    std::optional<APFloat> softcap = op.getSoftcap();
    Value result = mapElementwise(
        rewriter, loc, dots, sType.getElementType(),
        [&](OpBuilder &b, Location l, Value x) -> Value {
          Value s =
              arith::MulFOp::create(b, l, x, floatConst(b, l, acc, scale));
          if (softcap) {
            Value cap = floatConst(b, l, acc, softcap->convertToDouble());
            Value t =
                math::TanhOp::create(b, l, arith::DivFOp::create(b, l, s, cap));
            s = arith::MulFOp::create(b, l, cap, t);
          }
          return castFloat(b, l, s, sType.getElementType());
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// MaskOp
//===----------------------------------------------------------------------===//

/// The map that reads an operand broadcast to the score shape: size-1 dims
/// of the operand (where the scores are not 1) read index 0.
static AffineMap getBroadcastMap(RankedTensorType operand,
                                 RankedTensorType scores) {
  MLIRContext *ctx = operand.getContext();
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0, e = operand.getRank(); d < e; ++d) {
    bool broadcast = operand.getDimSize(d) == 1 && scores.getDimSize(d) != 1;
    exprs.push_back(broadcast ? getAffineConstantExpr(0, ctx)
                              : getAffineDimExpr(d, ctx));
  }
  return AffineMap::get(scores.getRank(), 0, exprs, ctx);
}

/// One elementwise generic over the scores. With l = kv_lens[batch] (or Sk),
/// d = bottom_right ? m + l - Sq : m and `visible` the mask predicate:
///   out = visible ? s + bias + slope[head] * (k2 - d) (+ float mask) : -inf
struct MaskOpLowering : OpRewritePattern<MaskOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MaskOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value scores = op.getScores();
    auto sType = cast<RankedTensorType>(scores.getType());
    Type elt = sType.getElementType();
    FloatType acc = getComputeType(elt);
    MaskAttr mask = op.getEffectiveMask();
    bool bottomRight = mask.getAlign() == MaskAlign::BottomRight;

    AffineMap id = rewriter.getMultiDimIdentityMap(4);
    SmallVector<Value> inputs = {scores};
    SmallVector<AffineMap> maps = {id};
    auto addInput = [&](Value v, AffineMap map) -> int {
      if (!v)
        return -1;
      inputs.push_back(v);
      maps.push_back(map);
      return inputs.size() - 1;
    };
    auto broadcastMap = [&](Value v) {
      return v ? getBroadcastMap(cast<RankedTensorType>(v.getType()), sType)
               : AffineMap();
    };
    int biasIdx = addInput(op.getBias(), broadcastMap(op.getBias()));
    int maskIdx = addInput(op.getAttnMask(), broadcastMap(op.getAttnMask()));
    int slopeIdx = addInput(op.getAlibiSlopes(),
                            AffineMap::get(4, 0, getAffineDimExpr(1, ctx)));
    int lensIdx = addInput(op.getKvLens(),
                           AffineMap::get(4, 0, getAffineDimExpr(0, ctx)));
    maps.push_back(id);

    Value seqQ = getValueOrCreateConstantIndexOp(
        rewriter, loc, tensor::getMixedSize(rewriter, loc, scores, 2));
    Value seqK = getValueOrCreateConstantIndexOp(
        rewriter, loc, tensor::getMixedSize(rewriter, loc, scores, 3));
    Value init = tensor::EmptyOp::create(
        rewriter, loc, tensor::getMixedSizes(rewriter, loc, scores), elt);
    SmallVector<IteratorType> iters(4, IteratorType::parallel);

    auto body = [&](OpBuilder &b, Location l, ValueRange args) {
      Value i = linalg::IndexOp::create(b, l, 2);
      Value j = linalg::IndexOp::create(b, l, 3);
      Value len = seqK;
      if (lensIdx >= 0)
        len = arith::IndexCastOp::create(b, l, b.getIndexType(), args[lensIdx]);
      Value diag = i;
      if (bottomRight)
        diag = arith::SubIOp::create(b, l, arith::AddIOp::create(b, l, i, len),
                                     seqQ);
      Value visible = arith::ConstantIntOp::create(b, l, 1, 1);
      auto andCmp = [&](arith::CmpIPredicate pred, Value lhs, Value rhs) {
        Value c = arith::CmpIOp::create(b, l, pred, lhs, rhs);
        visible = arith::AndIOp::create(b, l, visible, c);
      };
      if (lensIdx >= 0)
        andCmp(arith::CmpIPredicate::slt, j, len);
      if (mask.getCausal())
        andCmp(arith::CmpIPredicate::sle, j, diag);
      if (mask.getWindowLeft() >= 0)
        andCmp(arith::CmpIPredicate::sge, j,
               arith::SubIOp::create(
                   b, l, diag,
                   arith::ConstantIndexOp::create(b, l, mask.getWindowLeft())));
      if (mask.getWindowRight() >= 0)
        andCmp(arith::CmpIPredicate::sle, j,
               arith::AddIOp::create(b, l, diag,
                                     arith::ConstantIndexOp::create(
                                         b, l, mask.getWindowRight())));

      Value s = castFloat(b, l, args[0], acc);
      if (biasIdx >= 0)
        s = arith::AddFOp::create(b, l, s, castFloat(b, l, args[biasIdx], acc));
      if (slopeIdx >= 0) {
        Value dist = arith::IndexCastOp::create(
            b, l, b.getI64Type(), arith::SubIOp::create(b, l, j, diag));
        Value distF = arith::SIToFPOp::create(b, l, acc, dist);
        Value slope = castFloat(b, l, args[slopeIdx], acc);
        s = arith::AddFOp::create(b, l, s,
                                  arith::MulFOp::create(b, l, slope, distF));
      }
      if (maskIdx >= 0) {
        Value m = args[maskIdx];
        if (m.getType().isInteger(1))
          visible = arith::AndIOp::create(b, l, visible, m);
        else
          s = arith::AddFOp::create(b, l, s, castFloat(b, l, m, acc));
      }
      Value out = arith::SelectOp::create(b, l, visible, s, negInf(b, l, acc));
      linalg::YieldOp::create(b, l, castFloat(b, l, out, elt));
    };
    Value result = linalg::GenericOp::create(rewriter, loc, init.getType(),
                                             inputs, init, maps, iters, body)
                       .getResult(0);
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// SoftmaxOp
//===----------------------------------------------------------------------===//

/// Three reductions/maps over the last dim, all in f32 (f64):
///   mx = max_j x_j;  sum = sum_j e_j;  p_j = e_j / sum
/// with e_j = (mx == -inf) ? 0 : exp(x_j - mx), so that rows of -inf give
/// zeros; lse = (mx == -inf) ? -inf : mx + log(sum).
struct SoftmaxOpLowering : OpRewritePattern<SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SoftmaxOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = op.getInput();
    auto type = cast<RankedTensorType>(input.getType());
    Type elt = type.getElementType();
    FloatType acc = getComputeType(elt);
    int64_t rank = type.getRank();
    MLIRContext *ctx = rewriter.getContext();

    AffineMap id = rewriter.getMultiDimIdentityMap(rank);
    AffineMap row = AffineMap::getMultiDimIdentityMap(rank - 1, ctx);
    row = AffineMap::get(rank, 0, row.getResults(), ctx);
    SmallVector<IteratorType> reduceIters(rank, IteratorType::parallel);
    reduceIters.back() = IteratorType::reduction;
    SmallVector<IteratorType> mapIters(rank, IteratorType::parallel);

    SmallVector<OpFoldResult> sizes =
        tensor::getMixedSizes(rewriter, loc, input);
    ArrayRef<OpFoldResult> rowSizes = ArrayRef(sizes).drop_back();

    // mx = max_j x_j
    Value maxInit = filledTensor(rewriter, loc, rowSizes, acc,
                                 -std::numeric_limits<double>::infinity());
    Value rowMax =
        linalg::GenericOp::create(
            rewriter, loc, maxInit.getType(), input, maxInit, {id, row},
            reduceIters,
            [&](OpBuilder &b, Location l, ValueRange args) {
              linalg::YieldOp::create(
                  b, l,
                  ValueRange{arith::MaximumFOp::create(
                      b, l, castFloat(b, l, args[0], acc), args[1])});
            })
            .getResult(0);

    // e = (mx == -inf) ? 0 : exp(x - mx)
    auto shiftedExp = [&](OpBuilder &b, Location l, Value x, Value mx) {
      Value diff = arith::SubFOp::create(b, l, castFloat(b, l, x, acc), mx);
      Value isEmpty = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, mx,
                                            negInf(b, l, acc));
      return arith::SelectOp::create(b, l, isEmpty, floatConst(b, l, acc, 0.0),
                                     math::ExpOp::create(b, l, diff))
          .getResult();
    };

    // sum = sum_j e_j
    Value sumInit = filledTensor(rewriter, loc, rowSizes, acc, 0.0);
    Value rowSum =
        linalg::GenericOp::create(
            rewriter, loc, sumInit.getType(), ValueRange{input, rowMax},
            sumInit, {id, row, row}, reduceIters,
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value e = shiftedExp(b, l, args[0], args[1]);
              linalg::YieldOp::create(
                  b, l, ValueRange{arith::AddFOp::create(b, l, args[2], e)});
            })
            .getResult(0);

    // p = e / sum (sum >= 1 for rows with a finite max)
    Value outInit = tensor::EmptyOp::create(rewriter, loc, sizes, elt);
    Value probs =
        linalg::GenericOp::create(
            rewriter, loc, outInit.getType(), ValueRange{input, rowMax, rowSum},
            outInit, {id, row, row, id}, mapIters,
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value e = shiftedExp(b, l, args[0], args[1]);
              Value isEmpty = arith::CmpFOp::create(
                  b, l, arith::CmpFPredicate::OEQ, args[1], negInf(b, l, acc));
              Value p = arith::SelectOp::create(
                  b, l, isEmpty, floatConst(b, l, acc, 0.0),
                  arith::DivFOp::create(b, l, e, args[2]));
              linalg::YieldOp::create(b, l, castFloat(b, l, p, elt));
            })
            .getResult(0);

    SmallVector<Value> results = {probs};
    if (Value lse = op.getLse()) {
      Type lseElt = cast<RankedTensorType>(lse.getType()).getElementType();
      AffineMap rowId = rewriter.getMultiDimIdentityMap(rank - 1);
      Value lseInit = tensor::EmptyOp::create(rewriter, loc, rowSizes, lseElt);
      results.push_back(
          linalg::GenericOp::create(
              rewriter, loc, lseInit.getType(), ValueRange{rowMax, rowSum},
              lseInit, {rowId, rowId, rowId},
              SmallVector<IteratorType>(rank - 1, IteratorType::parallel),
              [&](OpBuilder &b, Location l, ValueRange args) {
                Value isEmpty =
                    arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ,
                                          args[0], negInf(b, l, acc));
                Value v = arith::AddFOp::create(
                    b, l, args[0], math::LogOp::create(b, l, args[1]));
                v = arith::SelectOp::create(b, l, isEmpty, args[0], v);
                linalg::YieldOp::create(b, l, castFloat(b, l, v, lseElt));
              })
              .getResult(0));
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// WeightedSumOp
//===----------------------------------------------------------------------===//

/// o[batch, head, m, n] = sum_k2 p[batch, head, m, k2] *
///                               v[batch, head / g, k2, n]
/// accumulated in f32 (f64), then rounded to the value's element type.
struct WeightedSumOpLowering : OpRewritePattern<WeightedSumOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(WeightedSumOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto pType = cast<RankedTensorType>(op.getProbs().getType());
    auto vType = cast<RankedTensorType>(op.getValue().getType());
    auto oType = cast<RankedTensorType>(op.getResult().getType());
    bool bshd = op.getLayout() == Layout::BSHD;
    int hd = bshd ? 2 : 1;
    FailureOr<int64_t> group =
        getStaticGroupSize(pType.getDimSize(1), vType.getDimSize(hd));
    if (failed(group))
      return rewriter.notifyMatchFailure(op, "dynamic head counts");

    MLIRContext *ctx = rewriter.getContext();
    AffineExpr batch, head, m, k2, n;
    bindDims(ctx, batch, head, m, k2, n);
    AffineExpr kvHead = kvHeadExpr(head, *group);
    AffineMap pMap = AffineMap::get(5, 0, {batch, head, m, k2}, ctx);
    AffineMap vMap = bshd ? AffineMap::get(5, 0, {batch, k2, kvHead, n}, ctx)
                          : AffineMap::get(5, 0, {batch, kvHead, k2, n}, ctx);
    AffineMap oMap = bshd ? AffineMap::get(5, 0, {batch, m, head, n}, ctx)
                          : AffineMap::get(5, 0, {batch, head, m, n}, ctx);

    FloatType acc = getComputeType(vType.getElementType());
    SmallVector<OpFoldResult> sizes(4);
    sizes[0] = tensor::getMixedSize(rewriter, loc, op.getProbs(), 0);
    sizes[hd] = tensor::getMixedSize(rewriter, loc, op.getProbs(), 1);
    sizes[bshd ? 1 : 2] = tensor::getMixedSize(rewriter, loc, op.getProbs(), 2);
    sizes[3] = tensor::getMixedSize(rewriter, loc, op.getValue(), 3);
    Value init = filledTensor(rewriter, loc, sizes, acc, 0.0);
    SmallVector<IteratorType> iters = {
        IteratorType::parallel, IteratorType::parallel, IteratorType::parallel,
        IteratorType::reduction, IteratorType::parallel};
    Value sum =
        linalg::GenericOp::create(
            rewriter, loc, init.getType(),
            ValueRange{op.getProbs(), op.getValue()}, init, {pMap, vMap, oMap},
            iters,
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value prod =
                  arith::MulFOp::create(b, l, castFloat(b, l, args[0], acc),
                                        castFloat(b, l, args[1], acc));
              linalg::YieldOp::create(
                  b, l, ValueRange{arith::AddFOp::create(b, l, args[2], prod)});
            })
            .getResult(0);
    Type elt = oType.getElementType();
    if (elt != acc)
      sum = mapElementwise(rewriter, loc, sum, elt,
                           [&](OpBuilder &b, Location l, Value x) {
                             return castFloat(b, l, x, elt);
                           });
    rewriter.replaceOp(op, sum);
    return success();
  }
};

} // namespace

void mlir::attn::populateUnfusedOpsToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<ScoresOpLowering, MaskOpLowering, SoftmaxOpLowering,
               WeightedSumOpLowering>(patterns.getContext());
}
