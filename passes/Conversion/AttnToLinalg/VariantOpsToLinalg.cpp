//===- VariantOpsToLinalg.cpp - lower attention variants to linalg --------===//
//
// attn.linformer projects K and V with linalg.generic ops and emits the
// unfused chain; attn.topk_attention emits attn.scores and attn.mask, hides
// the keys below each row's k-th largest score with two linalg.generic ops
// and finishes with attn.softmax and attn.weighted_sum (the unfused patterns
// must be in the same pattern set). attn.aft becomes three linalg.generic
// ops: a running max, the numerator/denominator sums and the gated ratio.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "attn/Conversion/AttnToLinalg/AttnToLinalg.h"
#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

#include <limits>

using namespace mlir;
using namespace mlir::attn;

using utils::IteratorType;

static Value filled(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                    Type elt, TypedAttr value) {
  Value empty = tensor::EmptyOp::create(b, loc, sizes, elt);
  Value cst = arith::ConstantOp::create(b, loc, elt, value);
  return linalg::FillOp::create(b, loc, cst, empty).getResult(0);
}

namespace {

//===----------------------------------------------------------------------===//
// LinformerOp
//===----------------------------------------------------------------------===//

/// x'[batch, head, p, n] = sum_s proj[p, s] * x[batch, head, s, n], in f32
/// (f64) rounded to the element type.
static Value projectSequence(OpBuilder &b, Location loc, Value proj, Value x) {
  MLIRContext *ctx = b.getContext();
  auto xType = cast<RankedTensorType>(x.getType());
  Type elt = xType.getElementType();
  FloatType acc = getComputeType(elt);
  AffineExpr batch, head, p, n, s;
  bindDims(ctx, batch, head, p, n, s);
  SmallVector<OpFoldResult> sizes = {tensor::getMixedSize(b, loc, x, 0),
                                     tensor::getMixedSize(b, loc, x, 1),
                                     tensor::getMixedSize(b, loc, proj, 0),
                                     tensor::getMixedSize(b, loc, x, 3)};
  Value init = filled(b, loc, sizes, acc, b.getFloatAttr(acc, 0.0));
  SmallVector<IteratorType> iters(4, IteratorType::parallel);
  iters.push_back(IteratorType::reduction);
  Value sum =
      linalg::GenericOp::create(
          b, loc, init.getType(), ValueRange{proj, x}, init,
          {AffineMap::get(5, 0, {p, s}, ctx),
           AffineMap::get(5, 0, {batch, head, s, n}, ctx),
           AffineMap::get(5, 0, {batch, head, p, n}, ctx)},
          iters,
          [&](OpBuilder &nb, Location l, ValueRange args) {
            Value prod =
                arith::MulFOp::create(nb, l, castFloat(nb, l, args[0], acc),
                                      castFloat(nb, l, args[1], acc));
            linalg::YieldOp::create(
                nb, l, ValueRange{arith::AddFOp::create(nb, l, args[2], prod)});
          })
          .getResult(0);
  if (elt == acc)
    return sum;
  Value out = tensor::EmptyOp::create(b, loc, sizes, elt);
  AffineMap id = b.getMultiDimIdentityMap(4);
  return linalg::GenericOp::create(
             b, loc, out.getType(), sum, out, {id, id},
             SmallVector<IteratorType>(4, IteratorType::parallel),
             [&](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(nb, l, castFloat(nb, l, args[0], elt));
             })
      .getResult(0);
}

struct LinformerOpLowering : OpRewritePattern<LinformerOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LinformerOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto qType = cast<RankedTensorType>(op.getQuery().getType());
    Value kProj = projectSequence(rewriter, loc, op.getE(), op.getKey());
    Value vProj = projectSequence(rewriter, loc, op.getF(), op.getValue());
    auto sType = RankedTensorType::get(
        {qType.getDimSize(0), qType.getDimSize(1), qType.getDimSize(2),
         cast<RankedTensorType>(op.getE().getType()).getDimSize(0)},
        getComputeType(qType.getElementType()));
    LayoutAttr bhsd = LayoutAttr::get(ctx, Layout::BHSD);
    Value scores = ScoresOp::create(rewriter, loc, sType, op.getQuery(), kProj,
                                    op.getScaleAttr(), FloatAttr(), bhsd);
    Value probs =
        SoftmaxOp::create(rewriter, loc, sType, Type(), scores).getResult();
    rewriter.replaceOpWithNewOp<WeightedSumOp>(op, op.getResult().getType(),
                                               probs, vProj, bhsd);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// TopkAttentionOp
//===----------------------------------------------------------------------===//

/// Key j of a row stays iff #{j' : s[j'] > s[j]} < k, i.e. s[j] >= the k-th
/// largest score (hidden keys are -inf and never count). O(Sq * Sk^2).
struct TopkAttentionOpLowering : OpRewritePattern<TopkAttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TopkAttentionOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto qType = cast<RankedTensorType>(op.getQuery().getType());
    auto kType = cast<RankedTensorType>(op.getKey().getType());
    FloatType acc = getComputeType(qType.getElementType());
    auto sType =
        RankedTensorType::get({qType.getDimSize(0), qType.getDimSize(1),
                               qType.getDimSize(2), kType.getDimSize(2)},
                              acc);
    LayoutAttr bhsd = LayoutAttr::get(ctx, Layout::BHSD);
    Value scores =
        ScoresOp::create(rewriter, loc, sType, op.getQuery(), op.getKey(),
                         op.getScaleAttr(), FloatAttr(), bhsd);
    if (MaskAttr mask = op.getMaskAttr(); mask && !mask.isFull())
      scores = MaskOp::create(rewriter, loc, sType, scores, Value(), Value(),
                              Value(), Value(), mask);

    // greater[b, h, i, j] = #{j2 : s[b, h, i, j2] > s[b, h, i, j]}
    SmallVector<OpFoldResult> sizes =
        tensor::getMixedSizes(rewriter, loc, scores);
    Type i64 = rewriter.getI64Type();
    Value countInit =
        filled(rewriter, loc, sizes, i64, rewriter.getI64IntegerAttr(0));
    AffineExpr batch, head, m, k2, j2;
    bindDims(ctx, batch, head, m, k2, j2);
    SmallVector<IteratorType> iters(4, IteratorType::parallel);
    iters.push_back(IteratorType::reduction);
    Value greater =
        linalg::GenericOp::create(
            rewriter, loc, countInit.getType(), ValueRange{scores, scores},
            countInit,
            {AffineMap::get(5, 0, {batch, head, m, k2}, ctx),
             AffineMap::get(5, 0, {batch, head, m, j2}, ctx),
             AffineMap::get(5, 0, {batch, head, m, k2}, ctx)},
            iters,
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value gt = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT,
                                               args[1], args[0]);
              Value inc = arith::ExtUIOp::create(b, l, b.getI64Type(), gt);
              linalg::YieldOp::create(
                  b, l, ValueRange{arith::AddIOp::create(b, l, args[2], inc)});
            })
            .getResult(0);

    // kept = greater < k ? s : -inf
    int64_t k = op.getKAttr().getInt();
    Value keptInit = tensor::EmptyOp::create(rewriter, loc, sizes, acc);
    AffineMap id = rewriter.getMultiDimIdentityMap(4);
    Value kept =
        linalg::GenericOp::create(
            rewriter, loc, keptInit.getType(), ValueRange{scores, greater},
            keptInit, {id, id, id},
            SmallVector<IteratorType>(4, IteratorType::parallel),
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value keep = arith::CmpIOp::create(
                  b, l, arith::CmpIPredicate::slt, args[1],
                  arith::ConstantIntOp::create(b, l, k, 64));
              Value out = arith::SelectOp::create(
                  b, l, keep, args[0],
                  floatConst(b, l, acc,
                             -std::numeric_limits<double>::infinity()));
              linalg::YieldOp::create(b, l, out);
            })
            .getResult(0);

    Value probs =
        SoftmaxOp::create(rewriter, loc, sType, Type(), kept).getResult();
    rewriter.replaceOpWithNewOp<WeightedSumOp>(op, op.getResult().getType(),
                                               probs, op.getValue(), bhsd);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// AftOp
//===----------------------------------------------------------------------===//

/// With x(t, u, d) = k[u, d] + w(t, u), per batch:
///   mx[t, d]  = max_u x(t, u, d)
///   num[t, d] = sum_u exp(x - mx) * v[u, d],  den[t, d] = sum_u exp(x - mx)
///   y[t, d]   = sigmoid(q[t, d]) * num / den
/// Map dims are (batch, t, d, u); u is the reduction.
struct AftOpLowering : OpRewritePattern<AftOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AftOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto qType = cast<RankedTensorType>(op.getQuery().getType());
    Type elt = qType.getElementType();
    FloatType acc = getComputeType(elt);
    AftMode mode = op.getMode();
    Value w = mode == AftMode::Simple ? Value() : op.getPosBias();
    int64_t window = mode == AftMode::Local ? op.getWindowAttr().getInt() : -1;

    AffineExpr batch, t, d, u;
    bindDims(ctx, batch, t, d, u);
    AffineMap kvMap = AffineMap::get(4, 0, {batch, u, d}, ctx);
    AffineMap rowMap = AffineMap::get(4, 0, {batch, t, d}, ctx);
    AffineMap wMap = AffineMap::get(4, 0, {t, u}, ctx);
    SmallVector<IteratorType> iters(3, IteratorType::parallel);
    iters.push_back(IteratorType::reduction);
    SmallVector<OpFoldResult> sizes =
        tensor::getMixedSizes(rewriter, loc, op.getQuery());

    // x(t, u, d) = k[u, d] + w(t, u) inside a (batch, t, d, u) body.
    auto score = [&](OpBuilder &b, Location l, Value kv, Value wv) -> Value {
      Value x = castFloat(b, l, kv, acc);
      if (!w)
        return x;
      Value wf = castFloat(b, l, wv, acc);
      if (window >= 0) {
        // local: w(t, u) only where |t - u| < window.
        Value ti = linalg::IndexOp::create(b, l, 1);
        Value ui = linalg::IndexOp::create(b, l, 3);
        Value diff = arith::SubIOp::create(b, l, ti, ui);
        Value negDiff = arith::SubIOp::create(b, l, ui, ti);
        Value dist = arith::MaxSIOp::create(b, l, diff, negDiff);
        Value near =
            arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, dist,
                                  arith::ConstantIndexOp::create(b, l, window));
        wf =
            arith::SelectOp::create(b, l, near, wf, floatConst(b, l, acc, 0.0));
      }
      return arith::AddFOp::create(b, l, x, wf);
    };

    SmallVector<Value> xInputs = {op.getKey()};
    SmallVector<AffineMap> xMaps = {kvMap};
    if (w) {
      xInputs.push_back(w);
      xMaps.push_back(wMap);
    }

    // mx = max_u x
    Value maxInit = filled(
        rewriter, loc, sizes, acc,
        rewriter.getFloatAttr(acc, -std::numeric_limits<double>::infinity()));
    SmallVector<AffineMap> maxMaps = xMaps;
    maxMaps.push_back(rowMap);
    Value rowMax =
        linalg::GenericOp::create(
            rewriter, loc, maxInit.getType(), xInputs, maxInit, maxMaps, iters,
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value x = score(b, l, args[0], w ? args[1] : Value());
              linalg::YieldOp::create(
                  b, l,
                  ValueRange{arith::MaximumFOp::create(b, l, x, args.back())});
            })
            .getResult(0);

    // num = sum_u exp(x - mx) * v, den = sum_u exp(x - mx)
    Value numInit =
        filled(rewriter, loc, sizes, acc, rewriter.getFloatAttr(acc, 0.0));
    Value denInit =
        filled(rewriter, loc, sizes, acc, rewriter.getFloatAttr(acc, 0.0));
    SmallVector<Value> sumInputs = xInputs;
    sumInputs.push_back(op.getValue());
    sumInputs.push_back(rowMax);
    SmallVector<AffineMap> sumMaps = xMaps;
    sumMaps.append({kvMap, rowMap, rowMap, rowMap});
    auto sums = linalg::GenericOp::create(
        rewriter, loc, TypeRange{numInit.getType(), denInit.getType()},
        sumInputs, ValueRange{numInit, denInit}, sumMaps, iters,
        [&](OpBuilder &b, Location l, ValueRange args) {
          int base = w ? 2 : 1;
          Value x = score(b, l, args[0], w ? args[1] : Value());
          Value e = math::ExpOp::create(
              b, l, arith::SubFOp::create(b, l, x, args[base + 1]));
          Value v = castFloat(b, l, args[base], acc);
          Value num = arith::AddFOp::create(b, l, args[base + 2],
                                            arith::MulFOp::create(b, l, e, v));
          Value den = arith::AddFOp::create(b, l, args[base + 3], e);
          linalg::YieldOp::create(b, l, ValueRange{num, den});
        });

    // y = sigmoid(q) * num / den
    Value outInit = tensor::EmptyOp::create(rewriter, loc, sizes, elt);
    AffineMap id = rewriter.getMultiDimIdentityMap(3);
    Value y =
        linalg::GenericOp::create(
            rewriter, loc, outInit.getType(),
            ValueRange{op.getQuery(), sums.getResult(0), sums.getResult(1)},
            outInit, {id, id, id, id},
            SmallVector<IteratorType>(3, IteratorType::parallel),
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value q = castFloat(b, l, args[0], acc);
              Value one = floatConst(b, l, acc, 1.0);
              Value gate = arith::DivFOp::create(
                  b, l, one,
                  arith::AddFOp::create(
                      b, l, one,
                      math::ExpOp::create(b, l,
                                          arith::NegFOp::create(b, l, q))));
              Value ratio = arith::DivFOp::create(b, l, args[1], args[2]);
              Value out = arith::MulFOp::create(b, l, gate, ratio);
              linalg::YieldOp::create(b, l, castFloat(b, l, out, elt));
            })
            .getResult(0);
    rewriter.replaceOp(op, y);
    return success();
  }
};

} // namespace

void mlir::attn::populateVariantOpsToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<LinformerOpLowering, TopkAttentionOpLowering, AftOpLowering>(
      patterns.getContext());
}
