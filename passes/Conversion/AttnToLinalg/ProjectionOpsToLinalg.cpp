//===- ProjectionOpsToLinalg.cpp - lower projection attn ops to linalg ----===//
//
// Lowers the ops around the attention core to linalg on tensors:
//
// - attn.qkv_projection, attn.fused_qkv_projection, attn.output_projection:
//   tokens are flattened to rows (`[B, S, E] -> [B*S, E]`), multiplied with
//   linalg.matmul (accumulating in f32, or f64 for f64), the bias is added
//   and the result is cast back in one linalg.generic; the rows are then
//   split into heads with tensor.expand_shape and transposed to `bhsd` with
//   linalg.transpose (output_projection does the reverse before the matmul).
// - attn.split_qkv: one tensor.extract_slice of the feature dim per part,
//   then expand_shape/transpose as above.
// - attn.rope: one linalg.generic over the tensor. The feature `d` reads its
//   pair partner with tensor.extract, its inverse frequency from a constant
//   table (computed here in f64 and rounded to f32, like the runtime) through
//   an affine map (`d mod R/2` for neox, `d floordiv 2` for gptj), and its
//   position from `positions`, `offsets[b] + s` or `s`.
//
// Batch, sequence and token sizes may be dynamic; the projections need
// static weights.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "attn/Conversion/AttnToLinalg/AttnToLinalg.h"
#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/Utils/ShapeUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;

namespace {

using utils::IteratorType;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

bool hasStaticShape(ValueRange values) {
  return llvm::all_of(values, [](Value v) {
    return !v || cast<RankedTensorType>(v.getType()).hasStaticShape();
  });
}

AffineMap identityMap(MLIRContext *ctx, unsigned rank) {
  return AffineMap::getMultiDimIdentityMap(rank, ctx);
}

/// `v` as a tensor of `type`: a tensor.cast where the static sizes differ
/// (the verifiers let a dynamic size agree with a static one).
Value castTo(OpBuilder &b, Location loc, Value v, Type type) {
  if (v.getType() == type)
    return v;
  return tensor::CastOp::create(b, loc, type, v);
}

/// Replaces `op` with `values`, cast to the op's result types.
void replaceWithCasts(PatternRewriter &rewriter, Operation *op,
                      ArrayRef<Value> values) {
  SmallVector<Value> casted;
  for (auto [v, result] : llvm::zip_equal(values, op->getResults()))
    casted.push_back(castTo(rewriter, op->getLoc(), v, result.getType()));
  rewriter.replaceOp(op, casted);
}

/// The static value of a size, or kDynamic.
int64_t staticSize(OpFoldResult size) {
  std::optional<int64_t> value = getConstantIntValue(size);
  return value ? *value : ShapedType::kDynamic;
}

/// `rows [M, E] @ weight [E, N] + bias [N]` as a `[M, N]` tensor of
/// `elementType`, accumulated in the compute type. `N` is static.
Value projectRows(OpBuilder &b, Location loc, Value rows, Value weight,
                  Value bias, Type elementType) {
  auto wType = cast<RankedTensorType>(weight.getType());
  SmallVector<OpFoldResult> sizes = {tensor::getMixedSize(b, loc, rows, 0),
                                     b.getIndexAttr(wType.getDimSize(1))};
  FloatType acc = getComputeType(elementType);
  MLIRContext *ctx = b.getContext();

  Value zero = arith::ConstantOp::create(b, loc, acc, b.getFloatAttr(acc, 0.0));
  Value init = tensor::EmptyOp::create(b, loc, sizes, acc);
  init = linalg::FillOp::create(b, loc, ValueRange{zero}, ValueRange{init})
             .getResult(0);
  Value product =
      linalg::MatmulOp::create(b, loc, TypeRange{init.getType()},
                               ValueRange{rows, weight}, ValueRange{init})
          .getResult(0);
  if (!bias && acc == elementType)
    return product;

  // out[m, n] = cast(product[m, n] + bias[n]).
  SmallVector<Value> inputs = {product};
  SmallVector<AffineMap> maps = {identityMap(ctx, 2)};
  if (bias) {
    inputs.push_back(bias);
    maps.push_back(AffineMap::get(2, 0, {getAffineDimExpr(1, ctx)}, ctx));
  }
  maps.push_back(identityMap(ctx, 2));
  Value out = tensor::EmptyOp::create(b, loc, sizes, elementType);
  return linalg::GenericOp::create(
             b, loc, TypeRange{out.getType()}, inputs, ValueRange{out}, maps,
             {IteratorType::parallel, IteratorType::parallel},
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               Value v = args[0];
               if (bias)
                 v = arith::AddFOp::create(nb, nloc, v,
                                           castFloat(nb, nloc, args[1], acc));
               linalg::YieldOp::create(nb, nloc,
                                       castFloat(nb, nloc, v, elementType));
             })
      .getResult(0);
}

Value collapse(OpBuilder &b, Location loc, Value src,
               ArrayRef<ReassociationIndices> reassoc) {
  return tensor::CollapseShapeOp::create(b, loc, src, reassoc);
}

/// Expands `src` to the (possibly dynamic) sizes `shape`. A size may have
/// been folded to a constant (e.g. `tensor.dim` of a `tensor.cast` of a static
/// tensor) while the dimension it splits is still dynamic in `src`; such a
/// group keeps its first size dynamic so that the types stay consistent.
Value expand(OpBuilder &b, Location loc, Value src,
             ArrayRef<OpFoldResult> shape,
             ArrayRef<ReassociationIndices> reassoc) {
  auto srcType = cast<RankedTensorType>(src.getType());
  SmallVector<OpFoldResult> sizes(shape);
  SmallVector<int64_t> staticShape = llvm::map_to_vector(sizes, staticSize);
  for (auto [srcDim, group] : llvm::enumerate(reassoc)) {
    if (!srcType.isDynamicDim(srcDim) || llvm::any_of(group, [&](int64_t d) {
          return ShapedType::isDynamic(staticShape[d]);
        }))
      continue;
    int64_t first = group.front();
    sizes[first] =
        arith::ConstantIndexOp::create(b, loc, staticShape[first]).getResult();
    staticShape[first] = ShapedType::kDynamic;
  }
  auto type = RankedTensorType::get(staticShape, srcType.getElementType());
  return tensor::ExpandShapeOp::create(b, loc, type, src, reassoc, sizes);
}

/// Swaps dims 1 and 2 of a rank-4 tensor (`bshd <-> bhsd`).
Value swapHeadsAndSeq(OpBuilder &b, Location loc, Value src) {
  auto type = cast<RankedTensorType>(src.getType());
  SmallVector<int64_t> perm = {0, 2, 1, 3};
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, src);
  applyPermutationToVector(sizes, perm);
  Value init = tensor::EmptyOp::create(b, loc, sizes, type.getElementType());
  return linalg::TransposeOp::create(b, loc, src, init, perm).getResult()[0];
}

/// Splits rows `[M, H*D]` into heads: `[T, H, D]` when `tokens` is `{T}`, or
/// `[B, H, S, D]` (`[B, S, H, D]` for bshd) when `tokens` is `{B, S}`.
Value rowsToHeads(OpBuilder &b, Location loc, Value rows,
                  ArrayRef<OpFoldResult> tokens, int64_t heads, int64_t dim,
                  bool bshd) {
  SmallVector<OpFoldResult> shape(tokens);
  shape.push_back(b.getIndexAttr(heads));
  shape.push_back(b.getIndexAttr(dim));
  if (tokens.size() == 1)
    return expand(b, loc, rows, shape, {{0}, {1, 2}});
  Value split = expand(b, loc, rows, shape, {{0, 1}, {2, 3}});
  return bshd ? split : swapHeadsAndSeq(b, loc, split);
}

/// Token input `[B, S, E]` or `[T, E]` as rows `[M, E]`.
Value tokensToRows(OpBuilder &b, Location loc, Value x) {
  if (cast<RankedTensorType>(x.getType()).getRank() == 2)
    return x;
  return collapse(b, loc, x, {{0, 1}, {2}});
}

/// The sizes of the token dims of `x` (`{B, S}` or `{T}`).
SmallVector<OpFoldResult> getTokenSizes(OpBuilder &b, Location loc, Value x) {
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, x);
  sizes.pop_back();
  return sizes;
}

//===----------------------------------------------------------------------===//
// Projections
//===----------------------------------------------------------------------===//

struct QkvProjectionOpLowering : OpRewritePattern<QkvProjectionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QkvProjectionOp op,
                                PatternRewriter &rewriter) const override {
    SmallVector<Value> weights = {op.getWq(), op.getWk(), op.getWv()};
    SmallVector<Value> biases = {op.getBq(), op.getBk(), op.getBv()};
    if (!hasStaticShape(weights) || !hasStaticShape(biases))
      return rewriter.notifyMatchFailure(op, "dynamic weight shapes");
    Location loc = op.getLoc();
    bool bshd = op.getLayout() == Layout::BSHD;
    SmallVector<OpFoldResult> tokens =
        getTokenSizes(rewriter, loc, op.getInput());
    Value rows = tokensToRows(rewriter, loc, op.getInput());
    SmallVector<Value> results;
    for (auto [w, bias, result] :
         llvm::zip_equal(weights, biases, op.getResults())) {
      auto type = cast<RankedTensorType>(result.getType());
      int64_t heads =
          result == op.getQuery() ? op.getNumQHeads() : op.getNumKvHeads();
      int64_t features = cast<RankedTensorType>(w.getType()).getDimSize(1);
      Value projected =
          projectRows(rewriter, loc, rows, w, bias, type.getElementType());
      results.push_back(rowsToHeads(rewriter, loc, projected, tokens, heads,
                                    features / heads, bshd));
    }
    replaceWithCasts(rewriter, op, results);
    return success();
  }
};

struct FusedQkvProjectionOpLowering : OpRewritePattern<FusedQkvProjectionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(FusedQkvProjectionOp op,
                                PatternRewriter &rewriter) const override {
    if (!hasStaticShape({op.getWeight(), op.getBias()}))
      return rewriter.notifyMatchFailure(op, "dynamic weight shapes");
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getResult().getType());
    SmallVector<OpFoldResult> shape =
        getTokenSizes(rewriter, loc, op.getInput());
    if (shape.size() == 1)
      shape.insert(shape.begin(), rewriter.getIndexAttr(1));
    shape.push_back(rewriter.getIndexAttr(type.getDimSize(2)));
    Value rows = tokensToRows(rewriter, loc, op.getInput());
    Value projected = projectRows(rewriter, loc, rows, op.getWeight(),
                                  op.getBias(), type.getElementType());
    // [B*S, N] -> [B, S, N]; varlen [T, N] -> [1, T, N].
    replaceWithCasts(rewriter, op,
                     {expand(rewriter, loc, projected, shape, {{0, 1}, {2}})});
    return success();
  }
};

struct OutputProjectionOpLowering : OpRewritePattern<OutputProjectionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(OutputProjectionOp op,
                                PatternRewriter &rewriter) const override {
    if (!hasStaticShape({op.getWeight(), op.getBias()}))
      return rewriter.notifyMatchFailure(op, "dynamic weight shapes");
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getResult().getType());
    Value input = op.getInput();
    if (op.isVarlen()) {
      // [T, H, Dv] -> [T, H*Dv] -> [T, E].
      Value rows = collapse(rewriter, loc, input, {{0}, {1, 2}});
      replaceWithCasts(rewriter, op,
                       {projectRows(rewriter, loc, rows, op.getWeight(),
                                    op.getBias(), type.getElementType())});
      return success();
    }
    // [B, H, S, Dv] -> [B, S, H, Dv] -> [B*S, H*Dv] -> [B*S, E] -> [B, S, E].
    if (op.getLayout() == Layout::BHSD)
      input = swapHeadsAndSeq(rewriter, loc, input);
    SmallVector<OpFoldResult> shape = {
        tensor::getMixedSize(rewriter, loc, input, 0),
        tensor::getMixedSize(rewriter, loc, input, 1),
        rewriter.getIndexAttr(type.getDimSize(2))};
    Value rows = collapse(rewriter, loc, input, {{0, 1}, {2, 3}});
    Value projected = projectRows(rewriter, loc, rows, op.getWeight(),
                                  op.getBias(), type.getElementType());
    replaceWithCasts(rewriter, op,
                     {expand(rewriter, loc, projected, shape, {{0, 1}, {2}})});
    return success();
  }
};

//===----------------------------------------------------------------------===//
// SplitQkvOp
//===----------------------------------------------------------------------===//

struct SplitQkvOpLowering : OpRewritePattern<SplitQkvOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SplitQkvOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value packed = op.getPacked();
    auto pType = cast<RankedTensorType>(packed.getType());
    OpFoldResult batch = tensor::getMixedSize(rewriter, loc, packed, 0);
    OpFoldResult seq = tensor::getMixedSize(rewriter, loc, packed, 1);
    int64_t dim = op.getHeadDim();
    bool varlen = op.isVarlen();
    bool bshd = op.getLayout() == Layout::BSHD;

    SmallVector<Value> results;
    int64_t offset = 0;
    for (int64_t heads :
         {op.getNumQHeads(), op.getNumKvHeads(), op.getNumKvHeads()}) {
      int64_t width = heads * dim;
      SmallVector<OpFoldResult> offsets = {rewriter.getIndexAttr(0),
                                           rewriter.getIndexAttr(0),
                                           rewriter.getIndexAttr(offset)};
      SmallVector<OpFoldResult> sizes = {batch, seq,
                                         rewriter.getIndexAttr(width)};
      SmallVector<OpFoldResult> strides(3, rewriter.getIndexAttr(1));
      if (varlen) {
        // [1, T, N] -> rank-reduced [T, H*D] -> [T, H, D].
        auto sliceType = RankedTensorType::get({staticSize(seq), width},
                                               pType.getElementType());
        Value slice = tensor::ExtractSliceOp::create(
            rewriter, loc, sliceType, packed, offsets, sizes, strides);
        results.push_back(rowsToHeads(rewriter, loc, slice, {seq}, heads, dim,
                                      /*bshd=*/false));
      } else {
        // [B, S, N] -> [B, S, H*D] -> [B, S, H, D] (-> [B, H, S, D]).
        Value slice = tensor::ExtractSliceOp::create(rewriter, loc, packed,
                                                     offsets, sizes, strides);
        Value split = expand(rewriter, loc, slice,
                             {batch, seq, rewriter.getIndexAttr(heads),
                              rewriter.getIndexAttr(dim)},
                             {{0}, {1}, {2, 3}});
        results.push_back(bshd ? split : swapHeadsAndSeq(rewriter, loc, split));
      }
      offset += width;
    }
    replaceWithCasts(rewriter, op, results);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// RopeOp
//===----------------------------------------------------------------------===//

struct RopeOpLowering : OpRewritePattern<RopeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RopeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value x = op.getInput();
    auto xType = cast<RankedTensorType>(x.getType());
    int64_t rank = xType.getRank();
    bool varlen = op.isVarlen();
    bool neox = op.getStyle() == RopeStyle::NeoX;
    HeadsDims dims = getHeadsDims(op.getLayout() == Layout::BSHD, varlen);
    int64_t headDim = xType.getDimSize(dims.dim);
    if (ShapedType::isDynamic(headDim))
      return rewriter.notifyMatchFailure(op, "dynamic head dim");
    int64_t rotary = op.getEffectiveRotaryDim();
    int64_t half = rotary / 2;
    Type elementType = xType.getElementType();
    FloatType compute = getComputeType(elementType);
    Type f32 = rewriter.getF32Type();
    Type i64 = rewriter.getI64Type();

    // inv_freq[i] = theta^(-2i/R), in f64 rounded to f32. The gptj table is
    // padded with zeros to D/2 entries so that `d floordiv 2` stays in bounds
    // for the pass-through features.
    double theta = op.getTheta().convertToDouble();
    int64_t tableSize = neox ? half : headDim / 2;
    SmallVector<float> invFreq(tableSize, 0.0f);
    for (int64_t i = 0; i < half; ++i)
      invFreq[i] = static_cast<float>(
          std::pow(theta, -2.0 * static_cast<double>(i) / rotary));
    auto tableType = RankedTensorType::get({tableSize}, f32);
    Value table = arith::ConstantOp::create(
        rewriter, loc, tableType,
        DenseElementsAttr::get(tableType, ArrayRef<float>(invFreq)));

    // cos and sin once per (position, frequency): a generic over the
    // dimensions of x that give the position (batch and sequence, or the
    // sequence/tokens alone) and the table, whose results the rotation reads
    // (a heads-fold fewer cos/sin than one per element of x).
    auto dimExpr = [&](int64_t dim) { return getAffineDimExpr(dim, ctx); };
    Value positions = op.getPositions(), offsets = op.getOffsets();
    SmallVector<int64_t> posDims;
    if ((positions &&
         cast<RankedTensorType>(positions.getType()).getRank() == 2) ||
        offsets)
      posDims.push_back(dims.batch);
    posDims.push_back(dims.seq);
    int64_t numPos = posDims.size();
    SmallVector<OpFoldResult> tableSizes;
    for (int64_t dim : posDims)
      tableSizes.push_back(tensor::getMixedSize(rewriter, loc, x, dim));
    tableSizes.push_back(rewriter.getIndexAttr(tableSize));
    Value trigInit =
        tensor::EmptyOp::create(rewriter, loc, tableSizes, compute);
    SmallVector<Value> trigInputs = {table};
    SmallVector<AffineMap> trigMaps = {
        AffineMap::get(numPos + 1, 0, {getAffineDimExpr(numPos, ctx)}, ctx)};
    if (positions) {
      trigInputs.push_back(positions);
      trigMaps.push_back(AffineMap::getMultiDimIdentityMap(numPos + 1, ctx)
                             .getMajorSubMap(numPos));
    } else if (offsets) {
      trigInputs.push_back(offsets);
      trigMaps.push_back(
          AffineMap::get(numPos + 1, 0, {getAffineDimExpr(0, ctx)}, ctx));
    }
    trigMaps.append(2, AffineMap::getMultiDimIdentityMap(numPos + 1, ctx));
    auto trigBody = [&](OpBuilder &b, Location l, ValueRange args) {
      auto toI64 = [&](Value v) -> Value {
        if (v.getType().isIndex())
          return arith::IndexCastOp::create(b, l, i64, v);
        if (v.getType() == i64)
          return v;
        return arith::ExtSIOp::create(b, l, i64, v);
      };
      // Position of this token.
      Value pos;
      if (positions) {
        pos = toI64(args[1]);
      } else {
        pos = toI64(linalg::IndexOp::create(b, l, numPos - 1));
        if (offsets)
          pos = arith::AddIOp::create(b, l, toI64(args[1]), pos);
      }
      // angle = f32(pos) * inv_freq, in f32.
      Value angle = arith::MulFOp::create(
          b, l, arith::SIToFPOp::create(b, l, f32, pos), args[0]);
      Value cos = castFloat(b, l, math::CosOp::create(b, l, angle), compute);
      Value sin = castFloat(b, l, math::SinOp::create(b, l, angle), compute);
      linalg::YieldOp::create(b, l, ValueRange{cos, sin});
    };
    auto trig = linalg::GenericOp::create(
        rewriter, loc, TypeRange{trigInit.getType(), trigInit.getType()},
        trigInputs, ValueRange{trigInit, trigInit}, trigMaps,
        SmallVector<IteratorType>(numPos + 1, IteratorType::parallel),
        trigBody);

    // Indexing maps: x, cos and sin at (position dims, frequency).
    AffineExpr d = dimExpr(dims.dim);
    AffineExpr freqIndex = neox ? d % half : d.floorDiv(2);
    SmallVector<AffineExpr> trigExprs;
    for (int64_t dim : posDims)
      trigExprs.push_back(dimExpr(dim));
    trigExprs.push_back(freqIndex);
    AffineMap trigMap = AffineMap::get(rank, 0, trigExprs, ctx);
    SmallVector<Value> inputs = {x, trig.getResult(0), trig.getResult(1)};
    SmallVector<AffineMap> maps = {identityMap(ctx, rank), trigMap, trigMap,
                                   identityMap(ctx, rank)};

    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rewriter, loc, x);
    Value init = tensor::EmptyOp::create(rewriter, loc, sizes, elementType);
    SmallVector<IteratorType> iterators(rank, IteratorType::parallel);

    auto body = [&](OpBuilder &b, Location l, ValueRange args) {
      auto idx = [&](int64_t v) -> Value {
        return arith::ConstantIndexOp::create(b, l, v);
      };
      Value cos = args[1], sin = args[2];

      // Partner feature and whether this feature is the first of its pair.
      Value dIdx = linalg::IndexOp::create(b, l, dims.dim);
      Value first, partner;
      if (neox) {
        first = arith::CmpIOp::create(b, l, arith::CmpIPredicate::ult, dIdx,
                                      idx(half));
        partner = arith::SelectOp::create(
            b, l, first, arith::AddIOp::create(b, l, dIdx, idx(half)),
            arith::SubIOp::create(b, l, dIdx, idx(half)));
      } else {
        Value odd = arith::AndIOp::create(b, l, dIdx, idx(1));
        first =
            arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, odd, idx(0));
        partner = arith::XOrIOp::create(b, l, dIdx, idx(1));
      }
      Value rotated = arith::CmpIOp::create(b, l, arith::CmpIPredicate::ult,
                                            dIdx, idx(rotary));
      // Keep the pass-through features' read in bounds.
      partner = arith::SelectOp::create(b, l, rotated, partner, dIdx);
      SmallVector<Value> at;
      for (int64_t i = 0; i < rank; ++i)
        at.push_back(i == dims.dim
                         ? partner
                         : linalg::IndexOp::create(b, l, i).getResult());
      Value self = castFloat(b, l, args[0], compute);
      Value other =
          castFloat(b, l, tensor::ExtractOp::create(b, l, x, at), compute);

      // first: x cos - partner sin; second: x cos + partner sin.
      Value xc = arith::MulFOp::create(b, l, self, cos);
      Value ps = arith::MulFOp::create(b, l, other, sin);
      Value out = arith::SelectOp::create(b, l, first,
                                          arith::SubFOp::create(b, l, xc, ps),
                                          arith::AddFOp::create(b, l, xc, ps));
      out = castFloat(b, l, out, elementType);
      out = arith::SelectOp::create(b, l, rotated, out, args[0]);
      linalg::YieldOp::create(b, l, out);
    };
    Value result = linalg::GenericOp::create(
                       rewriter, loc, TypeRange{init.getType()}, inputs,
                       ValueRange{init}, maps, iterators, body)
                       .getResult(0);
    replaceWithCasts(rewriter, op, {result});
    return success();
  }
};

} // namespace

void mlir::attn::populateProjectionOpsToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<QkvProjectionOpLowering, FusedQkvProjectionOpLowering,
               SplitQkvOpLowering, RopeOpLowering, OutputProjectionOpLowering>(
      patterns.getContext());
}
