//===- FusedOpsToLinalg.cpp - lower fused attn ops to linalg --------------===//
//
// The reference lowering of `attn.sdpa` and `attn.combine` to linalg on
// tensors. It materializes the score matrix and is meant to be obviously
// right, not fast: every other lowering of attention (flash tiling, GPU
// kernels) is checked against it.
//
// `attn.sdpa` becomes, with the loops named (b, hk, g, i, j, d, e) for batch,
// KV head, query head within its group (GQA: query head h = hk * G + g), query
// row, key column, QK head dim and V head dim:
//
//   S[b,hk,g,i,j]   = sum_d q[b,hk,g,i,d] * k[b,hk,j,d]          (QK^T)
//   X[b,hk,g,i,j]   = visible ? scoremod(S) : -inf               (logits)
//   M[b,hk,g,i]     = max_j X                                     (row max)
//   P[b,hk,g,i,j]   = M == -inf ? 0 : exp(X - M)
//   L[b,hk,g,i]     = sum_j P
//   A[b,hk,g,i,e]   = sum_j P * v[b,hk,j,e]
//   O[b,hk,g,i,e]   = L == 0 ? 0 : A / L
//   lse[b,hk,g,i]   = M == -inf ? -inf : M + log(L)
//
// The query, bias, ALiBi slopes, result and lse are reshaped so that the
// query head dimension splits into (hk, g); layouts only change the indexing
// maps. Varlen (`cu_seqlens`) tensors are viewed as a batch of one in the
// `bshd` layout and each token's sequence is computed up front; a key is
// visible to a query only within the same sequence, with positions and
// lengths taken relative to that sequence. f16/bf16 inputs are computed in
// f32 and the result is cast back; f64 is computed in f64.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "attn/Conversion/AttnToLinalg/AttnToLinalg.h"
#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/Utils/ShapeUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/PatternMatch.h"

#include <limits>

using namespace mlir;
using namespace mlir::attn;

namespace {

using utils::IteratorType;
using BodyBuilder = function_ref<void(OpBuilder &, Location, ValueRange)>;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

Value indexConst(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

/// An integer scalar (i32/i64) as an index.
Value toIndex(OpBuilder &b, Location loc, Value v) {
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
}

/// tensor.empty of `sizes`, filled with `value` when given.
Value makeTensor(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                 Type elementType, std::optional<double> value = {}) {
  Value empty = tensor::EmptyOp::create(b, loc, sizes, elementType);
  if (!value)
    return empty;
  Value cst = floatConst(b, loc, elementType, *value);
  return linalg::FillOp::create(b, loc, ValueRange{cst}, ValueRange{empty})
      .getResult(0);
}

/// A linalg.generic with one result.
Value makeGeneric(OpBuilder &b, Location loc, ValueRange inputs, Value init,
                  ArrayRef<AffineMap> maps, ArrayRef<IteratorType> iterators,
                  BodyBuilder body) {
  return linalg::GenericOp::create(b, loc, TypeRange{init.getType()}, inputs,
                                   ValueRange{init}, maps, iterators, body)
      .getResult(0);
}

/// Map of `numDims` loops to the given loop dims (or constant 0 for -1).
AffineMap makeMap(MLIRContext *ctx, unsigned numDims,
                  ArrayRef<int64_t> dimsOrZero) {
  SmallVector<AffineExpr> exprs;
  for (int64_t d : dimsOrZero)
    exprs.push_back(d < 0 ? getAffineConstantExpr(0, ctx)
                          : getAffineDimExpr(d, ctx));
  return AffineMap::get(numDims, 0, exprs, ctx);
}

/// Shape of `src` with dimension `dim` split into (`outer`, `inner`).
RankedTensorType splitDimType(RankedTensorType type, int64_t dim, int64_t outer,
                              int64_t inner) {
  SmallVector<int64_t> shape(type.getShape());
  shape[dim] = inner;
  shape.insert(shape.begin() + dim, outer);
  return RankedTensorType::get(shape, type.getElementType());
}

/// Reassociation grouping dims `dim` and `dim + 1` of a rank-`rank` tensor
/// (the expanded side) and keeping the others alone.
SmallVector<ReassociationIndices> splitReassociation(int64_t rank,
                                                     int64_t dim) {
  SmallVector<ReassociationIndices> reassoc;
  for (int64_t d = 0; d < rank; ++d) {
    if (d == dim + 1)
      continue;
    if (d == dim)
      reassoc.push_back({d, d + 1});
    else
      reassoc.push_back({d});
  }
  return reassoc;
}

/// Splits dimension `dim` of `src` into (`outer`, `inner`).
Value splitDim(OpBuilder &b, Location loc, Value src, int64_t dim,
               int64_t outer, int64_t inner) {
  auto type = cast<RankedTensorType>(src.getType());
  RankedTensorType resultType = splitDimType(type, dim, outer, inner);
  return tensor::ExpandShapeOp::create(
      b, loc, resultType, src, splitReassociation(resultType.getRank(), dim));
}

/// Merges dimensions `dim` and `dim + 1` of `src`.
Value mergeDims(OpBuilder &b, Location loc, Value src, int64_t dim) {
  auto type = cast<RankedTensorType>(src.getType());
  return tensor::CollapseShapeOp::create(
      b, loc, src, splitReassociation(type.getRank(), dim));
}

/// Prepends a unit dimension: [T, ...] -> [1, T, ...].
Value prependUnitDim(OpBuilder &b, Location loc, Value src) {
  auto type = cast<RankedTensorType>(src.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape.insert(shape.begin(), 1);
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  SmallVector<ReassociationIndices> reassoc = {{0, 1}};
  for (int64_t d = 2; d < resultType.getRank(); ++d)
    reassoc.push_back({d});
  return tensor::ExpandShapeOp::create(b, loc, resultType, src, reassoc);
}

/// Drops a leading unit dimension: [1, T, ...] -> [T, ...].
Value dropUnitDim(OpBuilder &b, Location loc, Value src) {
  auto type = cast<RankedTensorType>(src.getType());
  SmallVector<ReassociationIndices> reassoc = {{0, 1}};
  for (int64_t d = 2; d < type.getRank(); ++d)
    reassoc.push_back({d});
  return tensor::CollapseShapeOp::create(b, loc, src, reassoc);
}

//===----------------------------------------------------------------------===//
// SdpaOp
//===----------------------------------------------------------------------===//

// Loop dims of the score-shaped generics.
enum ScoreDim : int64_t { kB = 0, kHk = 1, kG = 2, kI = 3, kJ = 4 };

/// For a packed varlen tensor of `numTokens` tokens, the sequence of each
/// token: seq[t] = #{s in 1..B : cu[s] <= t}, i.e. B for tokens past cu[B].
Value buildSequenceIds(OpBuilder &b, Location loc, Value cu,
                       OpFoldResult numTokens) {
  MLIRContext *ctx = b.getContext();
  auto cuType = cast<RankedTensorType>(cu.getType());
  Value cuSize = tensor::DimOp::create(b, loc, cu, 0);
  Value one = indexConst(b, loc, 1);
  Value batch = arith::SubIOp::create(b, loc, cuSize, one);
  // The ends of the sequences: cu[1..B].
  SmallVector<OpFoldResult> offsets = {b.getIndexAttr(1)};
  SmallVector<OpFoldResult> sizes = {batch};
  SmallVector<OpFoldResult> strides = {b.getIndexAttr(1)};
  Value ends = tensor::ExtractSliceOp::create(
      b, loc,
      RankedTensorType::get({ShapedType::kDynamic}, cuType.getElementType()),
      cu, offsets, sizes, strides);
  Value init = tensor::EmptyOp::create(
      b, loc, ArrayRef<OpFoldResult>{numTokens}, b.getIndexType());
  Value zero = indexConst(b, loc, 0);
  init = linalg::FillOp::create(b, loc, ValueRange{zero}, ValueRange{init})
             .getResult(0);
  // Loops (t, s): count the sequence ends at or before token t.
  SmallVector<AffineMap> maps = {makeMap(ctx, 2, {1}), makeMap(ctx, 2, {0})};
  return makeGeneric(
      b, loc, ValueRange{ends}, init, maps,
      {IteratorType::parallel, IteratorType::reduction},
      [](OpBuilder &nb, Location nloc, ValueRange args) {
        Value t = linalg::IndexOp::create(nb, nloc, 0);
        Value end = toIndex(nb, nloc, args[0]);
        Value past =
            arith::CmpIOp::create(nb, nloc, arith::CmpIPredicate::sle, end, t);
        Value inc = arith::SelectOp::create(
            nb, nloc, past, indexConst(nb, nloc, 1), indexConst(nb, nloc, 0));
        Value sum = arith::AddIOp::create(nb, nloc, args[1], inc);
        linalg::YieldOp::create(nb, nloc, sum);
      });
}

struct SdpaOpLowering : OpRewritePattern<SdpaOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SdpaOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    OpBuilder &b = rewriter;

    auto qType = cast<RankedTensorType>(op.getQuery().getType());
    auto kType = cast<RankedTensorType>(op.getKey().getType());
    auto oType = cast<RankedTensorType>(op.getResult().getType());
    Type elementType = qType.getElementType();
    FloatType ct = getComputeType(elementType);
    bool varlen = op.isVarlen();
    bool bshd = op.getLayout() == Layout::BSHD;
    HeadsDims dims = getHeadsDims(bshd, varlen);
    int64_t numQHeads = qType.getDimSize(dims.heads);
    int64_t numKVHeads = kType.getDimSize(dims.heads);
    if (ShapedType::isDynamic(numQHeads) || ShapedType::isDynamic(numKVHeads))
      return rewriter.notifyMatchFailure(op, "expected static head counts");
    if (numKVHeads <= 0 || numQHeads % numKVHeads != 0)
      return rewriter.notifyMatchFailure(op, "invalid GQA grouping");
    int64_t group = numQHeads / numKVHeads;

    // Views in which the query heads split into (hk, g). Varlen tensors get
    // a unit batch and are handled as bshd.
    Value q = op.getQuery(), k = op.getKey(), v = op.getValue();
    bool seqMajor = bshd || varlen;
    if (varlen) {
      q = prependUnitDim(b, loc, q);
      k = prependUnitDim(b, loc, k);
      v = prependUnitDim(b, loc, v);
    }
    int64_t headDim = seqMajor ? 2 : 1;
    int64_t seqDim = seqMajor ? 1 : 2;
    q = splitDim(b, loc, q, headDim, numKVHeads, group);

    auto dimOf = [&](Value t, int64_t d) -> OpFoldResult {
      auto type = cast<RankedTensorType>(t.getType());
      if (!type.isDynamicDim(d))
        return b.getIndexAttr(type.getDimSize(d));
      return tensor::DimOp::create(b, loc, t, d).getResult();
    };
    OpFoldResult batch = dimOf(k, 0);
    OpFoldResult seqQ = dimOf(q, seqMajor ? 1 : 3);
    OpFoldResult seqK = dimOf(k, seqDim);
    OpFoldResult dimV = dimOf(v, 3);
    OpFoldResult hk = b.getIndexAttr(numKVHeads);
    OpFoldResult g = b.getIndexAttr(group);

    // Indexing maps of q, k, v in the loops (b, hk, g, i, j, [d|e]).
    const int64_t kD = 5;
    AffineMap qMap = seqMajor ? makeMap(ctx, 6, {kB, kI, kHk, kG, kD})
                              : makeMap(ctx, 6, {kB, kHk, kG, kI, kD});
    AffineMap kvMap = seqMajor ? makeMap(ctx, 6, {kB, kJ, kHk, kD})
                               : makeMap(ctx, 6, {kB, kHk, kJ, kD});
    AffineMap scores6 = makeMap(ctx, 6, {kB, kHk, kG, kI, kJ});
    AffineMap rows6 = makeMap(ctx, 6, {kB, kHk, kG, kI, kD});
    AffineMap id5 = AffineMap::getMultiDimIdentityMap(5, ctx);
    AffineMap rows5 = makeMap(ctx, 5, {kB, kHk, kG, kI});
    SmallVector<IteratorType> parallel5(5, IteratorType::parallel);
    SmallVector<IteratorType> reduceJ5 = parallel5;
    reduceJ5[kJ] = IteratorType::reduction;

    SmallVector<OpFoldResult> scoreSizes = {batch, hk, g, seqQ, seqK};
    SmallVector<OpFoldResult> rowSizes = {batch, hk, g, seqQ};

    // S = Q K^T, accumulated in the compute type.
    Value scores = makeTensor(b, loc, scoreSizes, ct, 0.0);
    scores =
        makeGeneric(b, loc, ValueRange{q, k}, scores, {qMap, kvMap, scores6},
                    {IteratorType::parallel, IteratorType::parallel,
                     IteratorType::parallel, IteratorType::parallel,
                     IteratorType::parallel, IteratorType::reduction},
                    [&](OpBuilder &nb, Location nloc, ValueRange args) {
                      Value x = castFloat(nb, nloc, args[0], ct);
                      Value y = castFloat(nb, nloc, args[1], ct);
                      Value mul = arith::MulFOp::create(nb, nloc, x, y);
                      Value sum = arith::AddFOp::create(nb, nloc, args[2], mul);
                      linalg::YieldOp::create(nb, nloc, sum);
                    });

    // Logits: scale, softcap, bias, ALiBi, then the visibility mask.
    SmallVector<Value> inputs = {scores};
    SmallVector<AffineMap> maps = {id5};
    auto addInput = [&](Value value, AffineMap map) -> int64_t {
      inputs.push_back(value);
      maps.push_back(map);
      return static_cast<int64_t>(inputs.size()) - 1;
    };
    // Bias and attn_mask broadcast over their size-1 dims of [B, Hq, Sq, Sk].
    auto addScoreShaped = [&](Value value) -> int64_t {
      auto type = cast<RankedTensorType>(value.getType());
      auto bcast = [&](int64_t d) { return type.getDimSize(d) == 1; };
      SmallVector<int64_t> exprs;
      exprs.push_back(bcast(0) ? int64_t(-1) : int64_t(kB));
      if (bcast(1)) {
        exprs.push_back(-1);
      } else {
        value = splitDim(b, loc, value, 1, numKVHeads, group);
        exprs.push_back(kHk);
        exprs.push_back(kG);
      }
      exprs.push_back(bcast(2) ? int64_t(-1) : int64_t(kI));
      exprs.push_back(bcast(3) ? int64_t(-1) : int64_t(kJ));
      return addInput(value, makeMap(ctx, 5, exprs));
    };
    int64_t biasIdx = -1, maskIdx = -1, slopesIdx = -1, lensIdx = -1;
    int64_t qSeqIdx = -1, kSeqIdx = -1;
    if (Value bias = op.getBias())
      biasIdx = addScoreShaped(bias);
    if (Value mask = op.getAttnMask())
      maskIdx = addScoreShaped(mask);
    if (Value slopes = op.getAlibiSlopes())
      slopesIdx = addInput(splitDim(b, loc, slopes, 0, numKVHeads, group),
                           makeMap(ctx, 5, {kHk, kG}));
    if (Value lens = op.getKvLens())
      lensIdx = addInput(lens, makeMap(ctx, 5, {kB}));
    Value cuQ = op.getCuSeqlensQ(), cuK = op.getCuSeqlensK();
    if (varlen) {
      qSeqIdx =
          addInput(buildSequenceIds(b, loc, cuQ, seqQ), makeMap(ctx, 5, {kI}));
      kSeqIdx =
          addInput(buildSequenceIds(b, loc, cuK, seqK), makeMap(ctx, 5, {kJ}));
    }
    maps.push_back(id5);

    // The scale: the attribute, or 1/sqrt(Dqk), computed at run time when
    // Dqk is dynamic.
    Value dynamicScale;
    double scale = 1.0;
    if (op.getScale() || !qType.isDynamicDim(qType.getRank() - 1)) {
      scale = op.getEffectiveScale();
    } else {
      Value dim =
          tensor::DimOp::create(b, loc, op.getQuery(), qType.getRank() - 1);
      dim = arith::IndexCastOp::create(b, loc, b.getI64Type(), dim);
      Value dimF = arith::SIToFPOp::create(b, loc, ct, dim);
      dynamicScale = arith::DivFOp::create(b, loc, floatConst(b, loc, ct, 1.0),
                                           math::SqrtOp::create(b, loc, dimF));
    }
    std::optional<double> softcap;
    if (std::optional<APFloat> cap = op.getSoftcap())
      softcap = cap->convertToDouble();
    MaskAttr maskAttr = op.getEffectiveMask();
    bool bottomRight = maskAttr.getAlign() == MaskAlign::BottomRight;
    Type maskElt =
        op.getAttnMask() ? getElementTypeOrSelf(op.getAttnMask()) : Type();

    bool needsPositions =
        lensIdx >= 0 || varlen || slopesIdx >= 0 || !maskAttr.isFull();
    Value logitsInit = makeTensor(b, loc, scoreSizes, ct);
    Value logits = makeGeneric(
        b, loc, inputs, logitsInit, maps, parallel5,
        [&](OpBuilder &nb, Location nloc, ValueRange args) {
          auto idx = [&](int64_t d) {
            return linalg::IndexOp::create(nb, nloc, d).getResult();
          };
          auto sub = [&](Value x, Value y) {
            return arith::SubIOp::create(nb, nloc, x, y).getResult();
          };
          auto add = [&](Value x, Value y) {
            return arith::AddIOp::create(nb, nloc, x, y).getResult();
          };
          auto cmp = [&](arith::CmpIPredicate p, Value x, Value y) {
            return arith::CmpIOp::create(nb, nloc, p, x, y).getResult();
          };
          Value visible; // null: every key is visible
          auto hideUnless = [&](Value cond) {
            visible =
                visible
                    ? arith::AndIOp::create(nb, nloc, visible, cond).getResult()
                    : cond;
          };

          // 1. s = scale * dot(q_i, k_j).
          Value s = arith::MulFOp::create(
              nb, nloc, args[0],
              dynamicScale ? dynamicScale : floatConst(nb, nloc, ct, scale));
          // 2. s = softcap * tanh(s / softcap).
          if (softcap) {
            Value cap = floatConst(nb, nloc, ct, *softcap);
            Value t = arith::DivFOp::create(nb, nloc, s, cap);
            t = math::TanhOp::create(nb, nloc, t);
            s = arith::MulFOp::create(nb, nloc, t, cap);
          }
          // 3. s += bias.
          if (biasIdx >= 0)
            s = arith::AddFOp::create(nb, nloc, s,
                                      castFloat(nb, nloc, args[biasIdx], ct));

          // Steps 4 and 5 need the positions within the sequence: (qPos,
          // kPos) among (sq, sk) queries and keys.
          if (needsPositions) {
            Value qPos = idx(kI), kPos = idx(kJ);
            Value sq = getValueOrCreateConstantIndexOp(nb, nloc, seqQ);
            Value sk = getValueOrCreateConstantIndexOp(nb, nloc, seqK);
            if (lensIdx >= 0) {
              // Key padding; the key length also aligns the diagonal.
              sk = toIndex(nb, nloc, args[lensIdx]);
              hideUnless(cmp(arith::CmpIPredicate::slt, kPos, sk));
            }
            if (varlen) {
              Value qSeq = args[qSeqIdx], kSeq = args[kSeqIdx];
              Value zero = indexConst(nb, nloc, 0);
              Value one = indexConst(nb, nloc, 1);
              Value numSeqs = sub(tensor::DimOp::create(nb, nloc, cuQ, 0), one);
              hideUnless(cmp(arith::CmpIPredicate::eq, qSeq, kSeq));
              hideUnless(cmp(arith::CmpIPredicate::slt, qSeq, numSeqs));
              // Clamp to a valid sequence for the loads; tokens outside every
              // sequence are hidden above.
              Value last =
                  arith::MaxSIOp::create(nb, nloc, sub(numSeqs, one), zero);
              auto load = [&](Value cu, Value seq) {
                Value at = arith::MinSIOp::create(nb, nloc, seq, last);
                Value lo = tensor::ExtractOp::create(nb, nloc, cu, at);
                Value hi = tensor::ExtractOp::create(nb, nloc, cu,
                                                     ValueRange{add(at, one)});
                return std::make_pair(toIndex(nb, nloc, lo),
                                      toIndex(nb, nloc, hi));
              };
              auto [qLo, qHi] = load(cuQ, qSeq);
              auto [kLo, kHi] = load(cuK, kSeq);
              qPos = sub(qPos, qLo);
              kPos = sub(kPos, kLo);
              sq = sub(qHi, qLo);
              sk = sub(kHi, kLo);
            }
            // d(i) of the mask attribute.
            Value diag = bottomRight ? add(qPos, sub(sk, sq)) : qPos;

            // 4. s += slopes[h] * (j - d(i)).
            if (slopesIdx >= 0) {
              Value dist = arith::IndexCastOp::create(nb, nloc, nb.getI64Type(),
                                                      sub(kPos, diag));
              Value distF = arith::SIToFPOp::create(nb, nloc, ct, dist);
              Value slope = castFloat(nb, nloc, args[slopesIdx], ct);
              s = arith::AddFOp::create(
                  nb, nloc, s, arith::MulFOp::create(nb, nloc, slope, distF));
            }

            // 5. Masks.
            if (maskAttr.getCausal())
              hideUnless(cmp(arith::CmpIPredicate::sle, kPos, diag));
            if (int64_t left = maskAttr.getWindowLeft(); left >= 0)
              hideUnless(cmp(arith::CmpIPredicate::sge, kPos,
                             sub(diag, indexConst(nb, nloc, left))));
            if (int64_t right = maskAttr.getWindowRight(); right >= 0)
              hideUnless(cmp(arith::CmpIPredicate::sle, kPos,
                             add(diag, indexConst(nb, nloc, right))));
          }
          if (maskIdx >= 0) {
            if (maskElt.isInteger(1))
              hideUnless(args[maskIdx]);
            else
              s = arith::AddFOp::create(nb, nloc, s,
                                        castFloat(nb, nloc, args[maskIdx], ct));
          }
          if (visible)
            s = arith::SelectOp::create(nb, nloc, visible, s,
                                        negInf(nb, nloc, ct));
          linalg::YieldOp::create(nb, nloc, s);
        });

    // M = max_j X.
    Value rowMax = makeTensor(b, loc, rowSizes, ct,
                              -std::numeric_limits<double>::infinity());
    rowMax =
        makeGeneric(b, loc, ValueRange{logits}, rowMax, {id5, rows5}, reduceJ5,
                    [](OpBuilder &nb, Location nloc, ValueRange args) {
                      Value m =
                          arith::MaximumFOp::create(nb, nloc, args[0], args[1]);
                      linalg::YieldOp::create(nb, nloc, m);
                    });

    // P = exp(X - M), zero for rows without a visible key.
    auto isNegInf = [&](OpBuilder &nb, Location nloc, Value x) {
      return arith::CmpFOp::create(nb, nloc, arith::CmpFPredicate::OEQ, x,
                                   negInf(nb, nloc, ct))
          .getResult();
    };
    Value probs = makeGeneric(
        b, loc, ValueRange{logits, rowMax}, makeTensor(b, loc, scoreSizes, ct),
        {id5, rows5, id5}, parallel5,
        [&](OpBuilder &nb, Location nloc, ValueRange args) {
          Value diff = arith::SubFOp::create(nb, nloc, args[0], args[1]);
          Value e = math::ExpOp::create(nb, nloc, diff);
          Value p =
              arith::SelectOp::create(nb, nloc, isNegInf(nb, nloc, args[1]),
                                      floatConst(nb, nloc, ct, 0.0), e);
          linalg::YieldOp::create(nb, nloc, p);
        });

    // L = sum_j P.
    Value rowSum = makeGeneric(
        b, loc, ValueRange{probs}, makeTensor(b, loc, rowSizes, ct, 0.0),
        {id5, rows5}, reduceJ5,
        [](OpBuilder &nb, Location nloc, ValueRange args) {
          Value sum = arith::AddFOp::create(nb, nloc, args[0], args[1]);
          linalg::YieldOp::create(nb, nloc, sum);
        });

    // A = P V, in the loops (b, hk, g, i, j, e).
    SmallVector<OpFoldResult> accSizes = {batch, hk, g, seqQ, dimV};
    Value acc = makeGeneric(
        b, loc, ValueRange{probs, v}, makeTensor(b, loc, accSizes, ct, 0.0),
        {scores6, kvMap, rows6},
        {IteratorType::parallel, IteratorType::parallel, IteratorType::parallel,
         IteratorType::parallel, IteratorType::reduction,
         IteratorType::parallel},
        [&](OpBuilder &nb, Location nloc, ValueRange args) {
          Value vv = castFloat(nb, nloc, args[1], ct);
          Value mul = arith::MulFOp::create(nb, nloc, args[0], vv);
          Value sum = arith::AddFOp::create(nb, nloc, args[2], mul);
          linalg::YieldOp::create(nb, nloc, sum);
        });

    // O = A / L in the result layout, zero for rows without a visible key.
    // Loops (b, hk, g, i, e).
    AffineMap outMap = seqMajor ? makeMap(ctx, 5, {kB, kI, kHk, kG, 4}) : id5;
    SmallVector<OpFoldResult> outSizes =
        seqMajor ? SmallVector<OpFoldResult>{batch, seqQ, hk, g, dimV}
                 : accSizes;
    Value out = makeGeneric(
        b, loc, ValueRange{acc, rowSum},
        makeTensor(b, loc, outSizes, elementType), {id5, rows5, outMap},
        parallel5, [&](OpBuilder &nb, Location nloc, ValueRange args) {
          Value zero = floatConst(nb, nloc, ct, 0.0);
          Value empty = arith::CmpFOp::create(
              nb, nloc, arith::CmpFPredicate::OEQ, args[1], zero);
          Value o = arith::DivFOp::create(nb, nloc, args[0], args[1]);
          o = arith::SelectOp::create(nb, nloc, empty, zero, o);
          linalg::YieldOp::create(nb, nloc,
                                  castFloat(nb, nloc, o, args[2].getType()));
        });
    out = mergeDims(b, loc, out, seqMajor ? 2 : 1);
    if (varlen)
      out = dropUnitDim(b, loc, out);
    if (out.getType() != oType)
      out = tensor::CastOp::create(b, loc, oType, out);
    SmallVector<Value> results = {out};

    // lse = M + log(L), -inf for rows without a visible key. Loops
    // (b, hk, g, i); [B, Hq, Sq], or [Tq, Hq] for varlen.
    if (Value lse = op.getLse()) {
      auto lseType = cast<RankedTensorType>(lse.getType());
      Type f32 = lseType.getElementType();
      AffineMap id4 = AffineMap::getMultiDimIdentityMap(4, ctx);
      AffineMap lseMap = varlen ? makeMap(ctx, 4, {kB, kI, kHk, kG}) : id4;
      SmallVector<OpFoldResult> lseSizes =
          varlen ? SmallVector<OpFoldResult>{batch, seqQ, hk, g} : rowSizes;
      Value lseOut = makeGeneric(
          b, loc, ValueRange{rowMax, rowSum}, makeTensor(b, loc, lseSizes, f32),
          {id4, id4, lseMap},
          SmallVector<IteratorType>(4, IteratorType::parallel),
          [&](OpBuilder &nb, Location nloc, ValueRange args) {
            Value log = math::LogOp::create(nb, nloc, args[1]);
            Value l = arith::AddFOp::create(nb, nloc, args[0], log);
            l = arith::SelectOp::create(nb, nloc, isNegInf(nb, nloc, args[0]),
                                        negInf(nb, nloc, ct), l);
            linalg::YieldOp::create(nb, nloc, castFloat(nb, nloc, l, f32));
          });
      lseOut = mergeDims(b, loc, lseOut, varlen ? 2 : 1);
      if (varlen)
        lseOut = dropUnitDim(b, loc, lseOut);
      if (lseOut.getType() != lseType)
        lseOut = tensor::CastOp::create(b, loc, lseType, lseOut);
      results.push_back(lseOut);
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// CombineOp
//===----------------------------------------------------------------------===//

struct CombineOpLowering : OpRewritePattern<CombineOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(CombineOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    OpBuilder &b = rewriter;
    Value partials = op.getPartials(), partialLse = op.getPartialLse();
    auto pType = cast<RankedTensorType>(partials.getType());
    auto oType = cast<RankedTensorType>(op.getResult().getType());
    Type elementType = pType.getElementType();
    FloatType ct = getComputeType(elementType);
    Type f32 = getElementTypeOrSelf(partialLse);

    // Loops (n, rows..., [e]): n the chunk, e the head dim.
    int64_t rank = pType.getRank();
    int64_t numRows = rank - 2;
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, partials);
    SmallVector<OpFoldResult> rowSizes(sizes.begin() + 1, sizes.end() - 1);
    SmallVector<OpFoldResult> outSizes(sizes.begin() + 1, sizes.end());

    SmallVector<int64_t> rowDims, outDims;
    for (int64_t d = 1; d <= numRows; ++d)
      rowDims.push_back(d);
    outDims = rowDims;
    outDims.push_back(rank - 1);
    unsigned nr = numRows + 1;
    AffineMap lseMap = AffineMap::getMultiDimIdentityMap(nr, ctx);
    AffineMap rowMapR = makeMap(ctx, nr, rowDims);
    SmallVector<IteratorType> reduceN(nr, IteratorType::parallel);
    reduceN[0] = IteratorType::reduction;

    auto isNegInf = [&](OpBuilder &nb, Location nloc, Value x) {
      return arith::CmpFOp::create(nb, nloc, arith::CmpFPredicate::OEQ, x,
                                   negInf(nb, nloc, ct))
          .getResult();
    };
    // w = exp(lse_n - m), 0 when m = -inf.
    auto weight = [&](OpBuilder &nb, Location nloc, Value lse, Value m) {
      Value l = castFloat(nb, nloc, lse, ct);
      Value e =
          math::ExpOp::create(nb, nloc, arith::SubFOp::create(nb, nloc, l, m));
      return arith::SelectOp::create(nb, nloc, isNegInf(nb, nloc, m),
                                     floatConst(nb, nloc, ct, 0.0), e)
          .getResult();
    };

    // m = max_n lse_n.
    Value rowMax = makeGeneric(
        b, loc, ValueRange{partialLse},
        makeTensor(b, loc, rowSizes, ct,
                   -std::numeric_limits<double>::infinity()),
        {lseMap, rowMapR}, reduceN,
        [&](OpBuilder &nb, Location nloc, ValueRange args) {
          Value l = castFloat(nb, nloc, args[0], ct);
          linalg::YieldOp::create(
              nb, nloc,
              arith::MaximumFOp::create(nb, nloc, l, args[1]).getResult());
        });

    // s = sum_n w_n.
    Value rowSum = makeGeneric(
        b, loc, ValueRange{partialLse, rowMax},
        makeTensor(b, loc, rowSizes, ct, 0.0), {lseMap, rowMapR, rowMapR},
        reduceN, [&](OpBuilder &nb, Location nloc, ValueRange args) {
          Value w = weight(nb, nloc, args[0], args[1]);
          linalg::YieldOp::create(
              nb, nloc,
              arith::AddFOp::create(nb, nloc, args[2], w).getResult());
        });

    // acc = sum_n w_n * o_n (a partial with zero weight adds nothing, even
    // if it holds non-finite values).
    unsigned na = rank;
    AffineMap pMap = AffineMap::getMultiDimIdentityMap(na, ctx);
    SmallVector<int64_t> lseDimsA = {0};
    llvm::append_range(lseDimsA, rowDims);
    AffineMap lseMapA = makeMap(ctx, na, lseDimsA);
    AffineMap rowMapA = makeMap(ctx, na, rowDims);
    AffineMap outMapA = makeMap(ctx, na, outDims);
    SmallVector<IteratorType> reduceNA(na, IteratorType::parallel);
    reduceNA[0] = IteratorType::reduction;
    Value acc = makeGeneric(
        b, loc, ValueRange{partials, partialLse, rowMax},
        makeTensor(b, loc, outSizes, ct, 0.0),
        {pMap, lseMapA, rowMapA, outMapA}, reduceNA,
        [&](OpBuilder &nb, Location nloc, ValueRange args) {
          Value zero = floatConst(nb, nloc, ct, 0.0);
          Value w = weight(nb, nloc, args[1], args[2]);
          Value o = castFloat(nb, nloc, args[0], ct);
          Value c = arith::MulFOp::create(nb, nloc, w, o);
          Value none = arith::CmpFOp::create(
              nb, nloc, arith::CmpFPredicate::OEQ, w, zero);
          c = arith::SelectOp::create(nb, nloc, none, zero, c);
          linalg::YieldOp::create(
              nb, nloc,
              arith::AddFOp::create(nb, nloc, args[3], c).getResult());
        });

    // out = acc / s, zero where s = 0. Loops (rows..., e).
    unsigned no = numRows + 1;
    AffineMap idO = AffineMap::getMultiDimIdentityMap(no, ctx);
    SmallVector<int64_t> rowDimsO;
    for (int64_t d = 0; d < numRows; ++d)
      rowDimsO.push_back(d);
    AffineMap rowMapO = makeMap(ctx, no, rowDimsO);
    Value out = makeGeneric(
        b, loc, ValueRange{acc, rowSum},
        makeTensor(b, loc, outSizes, elementType), {idO, rowMapO, idO},
        SmallVector<IteratorType>(no, IteratorType::parallel),
        [&](OpBuilder &nb, Location nloc, ValueRange args) {
          Value zero = floatConst(nb, nloc, ct, 0.0);
          Value empty = arith::CmpFOp::create(
              nb, nloc, arith::CmpFPredicate::OEQ, args[1], zero);
          Value o = arith::DivFOp::create(nb, nloc, args[0], args[1]);
          o = arith::SelectOp::create(nb, nloc, empty, zero, o);
          linalg::YieldOp::create(nb, nloc,
                                  castFloat(nb, nloc, o, elementType));
        });
    if (out.getType() != oType)
      out = tensor::CastOp::create(b, loc, oType, out);
    SmallVector<Value> results = {out};

    // lse = m + log(s), -inf where m = -inf. Loops (rows...).
    if (Value lse = op.getLse()) {
      AffineMap idR = AffineMap::getMultiDimIdentityMap(numRows, ctx);
      Value lseOut = makeGeneric(
          b, loc, ValueRange{rowMax, rowSum}, makeTensor(b, loc, rowSizes, f32),
          {idR, idR, idR},
          SmallVector<IteratorType>(numRows, IteratorType::parallel),
          [&](OpBuilder &nb, Location nloc, ValueRange args) {
            Value l = arith::AddFOp::create(
                nb, nloc, args[0], math::LogOp::create(nb, nloc, args[1]));
            l = arith::SelectOp::create(nb, nloc, isNegInf(nb, nloc, args[0]),
                                        negInf(nb, nloc, ct), l);
            linalg::YieldOp::create(nb, nloc, castFloat(nb, nloc, l, f32));
          });
      if (lseOut.getType() != lse.getType())
        lseOut = tensor::CastOp::create(b, loc, lse.getType(), lseOut);
      results.push_back(lseOut);
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};

} // namespace

void mlir::attn::populateFusedOpsToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<SdpaOpLowering, CombineOpLowering>(patterns.getContext());
}
