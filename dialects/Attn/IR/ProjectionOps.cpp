//===- ProjectionOps.cpp - projection and RoPE op verifiers ---------------===//
//
// Verifiers and canonicalizations of attn.qkv_projection,
// attn.fused_qkv_projection, attn.split_qkv, attn.rope and
// attn.output_projection.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "VerifyUtils.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::checks;

static RankedTensorType tensorType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

/// Size of dimension `d` of the ranked tensor `v`.
static int64_t dimSize(Value v, int64_t d) {
  return tensorType(v).getDimSize(d);
}

/// The count attribute `name` must be positive.
static LogicalResult verifyPositiveCount(Operation *op, StringRef name,
                                         int64_t value) {
  if (value > 0)
    return success();
  return op->emitOpError() << "expected " << name << " to be positive, got "
                           << value;
}

/// Splits `features` columns of `name` into `heads` heads of equal size and
/// returns the head dim (dynamic when `features` is dynamic).
static FailureOr<int64_t> getHeadDim(Operation *op, StringRef name,
                                     int64_t features, StringRef headsName,
                                     int64_t heads) {
  if (ShapedType::isDynamic(features))
    return ShapedType::kDynamic;
  if (features % heads != 0) {
    op->emitOpError() << "expected the " << features << " features of " << name
                      << " to be divisible by " << headsName << " = " << heads;
    return failure();
  }
  return features / heads;
}

/// Multiplies two sizes, either of which may be dynamic.
static int64_t mulSizes(int64_t a, int64_t b) {
  if (ShapedType::isDynamic(a) || ShapedType::isDynamic(b))
    return ShapedType::kDynamic;
  return a * b;
}

/// Shape of a heads tensor with the given sizes: `[B, H, S, D]` (bhsd),
/// `[B, S, H, D]` (bshd), or `[T, H, D]` (varlen, `batch` ignored).
static SmallVector<int64_t> headsShape(bool varlen, bool bshd, int64_t batch,
                                       int64_t seq, int64_t heads,
                                       int64_t dim) {
  if (varlen)
    return {seq, heads, dim};
  if (bshd)
    return {batch, seq, heads, dim};
  return {batch, heads, seq, dim};
}

/// Every value in `values` must have the element type of `ref`.
static LogicalResult
verifyElementTypes(Operation *op, StringRef refName, Value ref,
                   ArrayRef<std::pair<StringRef, Value>> values) {
  for (auto [name, value] : values) {
    if (!value)
      continue;
    if (failed(verifySameElementType(op, refName, tensorType(ref), name,
                                     tensorType(value))))
      return failure();
  }
  return success();
}

/// A token input `[B, S, E]` or varlen `[T, E]`.
static LogicalResult verifyTokenInput(Operation *op, StringRef name,
                                      RankedTensorType type) {
  if (type.getRank() == 3 || type.getRank() == 2)
    return success();
  return op->emitOpError() << "expected " << name
                           << " of rank 3 ([batch, seq, embed]) or 2 "
                              "([tokens, embed]), got rank "
                           << type.getRank() << " (" << type << ")";
}

/// A heads tensor `[B, H, S, D]`/`[B, S, H, D]` or varlen `[T, H, D]`; the
/// varlen form needs the default layout.
static LogicalResult verifyHeadsInput(Operation *op, StringRef name,
                                      RankedTensorType type, bool bshd) {
  if (type.getRank() != 4 && type.getRank() != 3)
    return op->emitOpError()
           << "expected " << name
           << " of rank 4 ([batch, heads, seq, dim] or [batch, seq, heads, "
              "dim]) or 3 ([tokens, heads, dim]), got rank "
           << type.getRank() << " (" << type << ")";
  if (type.getRank() == 3 && bshd)
    return op->emitOpError() << "expected the default layout with a varlen "
                             << name << " ([tokens, heads, dim]), got bshd";
  return success();
}

//===----------------------------------------------------------------------===//
// QkvProjectionOp
//===----------------------------------------------------------------------===//

LogicalResult QkvProjectionOp::verify() {
  // x : [B, S, E] or [T, E].
  RankedTensorType xType = tensorType(getInput());
  // Number of query and key/value heads.
  int64_t numQ = getNumQHeads(), numKV = getNumKvHeads();
  bool bshd = getLayout() == Layout::BSHD;

  if (failed(verifyTokenInput(*this, "input", xType)))
    return failure();
  bool varlen = isVarlen();
  if (varlen && bshd)
    return emitOpError("expected the default layout with a varlen input "
                       "(results are [tokens, heads, dim]), got bshd");
  if (failed(verifyPositiveCount(*this, "num_q_heads", numQ)) ||
      failed(verifyPositiveCount(*this, "num_kv_heads", numKV)) ||
      failed(verifyGroupedHeads(*this, "query", numQ, "key", numKV)))
    return failure();

  if (failed(verifyRank(*this, "wq", tensorType(getWq()), 2)) ||
      failed(verifyRank(*this, "wk", tensorType(getWk()), 2)) ||
      failed(verifyRank(*this, "wv", tensorType(getWv()), 2)))
    return failure();

  if (failed(verifyElementTypes(*this, "input", getInput(),
                                {{"wq", getWq()},
                                 {"wk", getWk()},
                                 {"wv", getWv()},
                                 {"bq", getBq()},
                                 {"bk", getBk()},
                                 {"bv", getBv()},
                                 {"query", getQuery()},
                                 {"key", getKey()},
                                 {"value", getValue()}})))
    return failure();

  // Embedding size E, shared by x and the weight rows.
  int64_t embed = xType.getDimSize(xType.getRank() - 1);
  for (auto [name, w] : {std::pair<StringRef, Value>{"wq", getWq()},
                         std::pair<StringRef, Value>{"wk", getWk()},
                         std::pair<StringRef, Value>{"wv", getWv()}})
    if (failed(verifySameSize(*this, "embedding size", "input", embed, name,
                              dimSize(w, 0))))
      return failure();

  // Head dims from the weight columns.
  FailureOr<int64_t> headDim =
      getHeadDim(*this, "wq", dimSize(getWq(), 1), "num_q_heads", numQ);
  if (failed(headDim))
    return failure();
  FailureOr<int64_t> keyDim =
      getHeadDim(*this, "wk", dimSize(getWk(), 1), "num_kv_heads", numKV);
  if (failed(keyDim))
    return failure();
  FailureOr<int64_t> valueDim =
      getHeadDim(*this, "wv", dimSize(getWv(), 1), "num_kv_heads", numKV);
  if (failed(valueDim))
    return failure();
  if (failed(verifySameSize(*this, "head dim", "wq", *headDim, "wk", *keyDim)))
    return failure();

  // Biases: all three or none, each the size of its weight's columns.
  int numBiases = (getBq() ? 1 : 0) + (getBk() ? 1 : 0) + (getBv() ? 1 : 0);
  if (numBiases != 0 && numBiases != 3)
    return emitOpError() << "expected biases for all of query, key and value, "
                            "or none, got "
                         << numBiases;
  if (numBiases == 3 && (failed(verifyShape(*this, "bq", tensorType(getBq()),
                                            {dimSize(getWq(), 1)})) ||
                         failed(verifyShape(*this, "bk", tensorType(getBk()),
                                            {dimSize(getWk(), 1)})) ||
                         failed(verifyShape(*this, "bv", tensorType(getBv()),
                                            {dimSize(getWv(), 1)}))))
    return failure();

  // Results.
  int64_t batch = varlen ? ShapedType::kDynamic : xType.getDimSize(0);
  int64_t seq = xType.getDimSize(varlen ? 0 : 1);
  if (failed(
          verifyShape(*this, "query", tensorType(getQuery()),
                      headsShape(varlen, bshd, batch, seq, numQ, *headDim))) ||
      failed(
          verifyShape(*this, "key", tensorType(getKey()),
                      headsShape(varlen, bshd, batch, seq, numKV, *headDim))) ||
      failed(
          verifyShape(*this, "value", tensorType(getValue()),
                      headsShape(varlen, bshd, batch, seq, numKV, *valueDim))))
    return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// FusedQkvProjectionOp
//===----------------------------------------------------------------------===//

LogicalResult FusedQkvProjectionOp::verify() {
  // x : [B, S, E] or [T, E]; w : [E, N].
  RankedTensorType xType = tensorType(getInput());
  RankedTensorType wType = tensorType(getWeight());
  if (failed(verifyTokenInput(*this, "input", xType)) ||
      failed(verifyRank(*this, "weight", wType, 2)) ||
      failed(verifyElementTypes(*this, "input", getInput(),
                                {{"weight", getWeight()},
                                 {"bias", getBias()},
                                 {"result", getResult()}})))
    return failure();
  int64_t embed = xType.getDimSize(xType.getRank() - 1);
  int64_t features = wType.getDimSize(1);
  if (failed(verifySameSize(*this, "embedding size", "input", embed, "weight",
                            wType.getDimSize(0))))
    return failure();
  if (Value bias = getBias())
    if (failed(verifyShape(*this, "bias", tensorType(bias), {features})))
      return failure();
  SmallVector<int64_t> resultShape =
      xType.getRank() == 2
          ? SmallVector<int64_t>{1, xType.getDimSize(0), features}
          : SmallVector<int64_t>{xType.getDimSize(0), xType.getDimSize(1),
                                 features};
  return verifyShape(*this, "result", tensorType(getResult()), resultShape);
}

//===----------------------------------------------------------------------===//
// SplitQkvOp
//===----------------------------------------------------------------------===//

LogicalResult SplitQkvOp::verify() {
  // packed : [B, S, N] or [1, T, N].
  RankedTensorType pType = tensorType(getPacked());
  RankedTensorType qType = tensorType(getQuery());
  // Head counts and head dim.
  int64_t numQ = getNumQHeads(), numKV = getNumKvHeads(), dim = getHeadDim();
  bool bshd = getLayout() == Layout::BSHD;

  if (failed(verifyPositiveCount(*this, "num_q_heads", numQ)) ||
      failed(verifyPositiveCount(*this, "num_kv_heads", numKV)) ||
      failed(verifyPositiveCount(*this, "head_dim", dim)) ||
      failed(verifyGroupedHeads(*this, "query", numQ, "key", numKV)) ||
      failed(verifyRank(*this, "packed", pType, 3)) ||
      failed(verifyElementTypes(
          *this, "packed", getPacked(),
          {{"query", getQuery()}, {"key", getKey()}, {"value", getValue()}})))
    return failure();

  // Heads and dims are positive; a product past 64 bits is a size no tensor
  // has.
  int64_t twoKV, heads, features;
  if (llvm::MulOverflow(numKV, int64_t(2), twoKV) ||
      llvm::AddOverflow(numQ, twoKV, heads) ||
      llvm::MulOverflow(heads, dim, features))
    return emitOpError() << "expected (num_q_heads + 2 * num_kv_heads) * "
                            "head_dim to fit in 64 bits, got ("
                         << numQ << " + 2 * " << numKV << ") * " << dim;
  if (!pType.isDynamicDim(2) && pType.getDimSize(2) != features)
    return emitOpError() << "expected the last dim of packed to be "
                            "(num_q_heads + 2 * num_kv_heads) * head_dim = "
                         << features << ", got " << pType.getDimSize(2);

  if (qType.getRank() != 4 && qType.getRank() != 3)
    return emitOpError() << "expected query of rank 4 (padded) or 3 (varlen), "
                            "got rank "
                         << qType.getRank() << " (" << qType << ")";
  bool varlen = isVarlen();
  if (varlen) {
    if (bshd)
      return emitOpError("expected the default layout with varlen results "
                         "([tokens, heads, dim]), got bshd");
    if (!pType.isDynamicDim(0) && pType.getDimSize(0) != 1)
      return emitOpError() << "expected packed of shape [1, tokens, features] "
                              "for varlen results, got leading dim "
                           << pType.getDimSize(0);
  } else if (getCuSeqlens()) {
    return emitOpError("expected no cu_seqlens with rank-4 (padded) results");
  }
  if (Value cu = getCuSeqlens()) {
    RankedTensorType cuType = tensorType(cu);
    if (failed(verifyRank(*this, "cu_seqlens", cuType, 1)))
      return failure();
    if (!cuType.isDynamicDim(0) && cuType.getDimSize(0) < 2)
      return emitOpError() << "expected cu_seqlens of size >= 2 (batch + 1), "
                              "got "
                           << cuType.getDimSize(0);
  }

  int64_t batch = pType.getDimSize(0), seq = pType.getDimSize(1);
  if (failed(verifyShape(*this, "query", qType,
                         headsShape(varlen, bshd, batch, seq, numQ, dim))) ||
      failed(verifyShape(*this, "key", tensorType(getKey()),
                         headsShape(varlen, bshd, batch, seq, numKV, dim))) ||
      failed(verifyShape(*this, "value", tensorType(getValue()),
                         headsShape(varlen, bshd, batch, seq, numKV, dim))))
    return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// RopeOp
//===----------------------------------------------------------------------===//

int64_t RopeOp::getEffectiveRotaryDim() {
  if (std::optional<int64_t> r = getRotaryDim())
    return *r;
  RankedTensorType type = tensorType(getInput());
  return type.getDimSize(type.getRank() - 1);
}

LogicalResult RopeOp::verify() {
  RankedTensorType xType = tensorType(getInput());
  bool bshd = getLayout() == Layout::BSHD;
  if (failed(verifyHeadsInput(*this, "input", xType, bshd)) ||
      failed(verifyShape(*this, "result", tensorType(getResult()),
                         xType.getShape())) ||
      failed(verifySameElementType(*this, "input", xType, "result",
                                   tensorType(getResult()))))
    return failure();
  bool varlen = isVarlen();
  HeadsDims dims = getHeadsDims(bshd, varlen);

  // Head dim and rotary dim.
  int64_t headDim = xType.getDimSize(dims.dim);
  if (!ShapedType::isDynamic(headDim) && headDim % 2 != 0)
    return emitOpError() << "expected an even head dim, got " << headDim;
  if (std::optional<int64_t> r = getRotaryDim()) {
    if (*r <= 0 || *r % 2 != 0)
      return emitOpError() << "expected rotary_dim to be even and positive, "
                              "got "
                           << *r;
    if (!ShapedType::isDynamic(headDim) && *r > headDim)
      return emitOpError() << "expected rotary_dim <= head dim " << headDim
                           << ", got " << *r;
  }
  if (failed(verifyPositiveFinite(*this, "theta", getTheta())))
    return failure();

  // Positions.
  Value positions = getPositions(), offsets = getOffsets();
  if (positions && offsets)
    return emitOpError("expected positions or offsets, not both");
  if (varlen && !positions)
    return emitOpError("expected positions with a varlen input ([tokens, "
                       "heads, dim])");
  int64_t seq = xType.getDimSize(dims.seq);
  if (positions) {
    RankedTensorType pType = tensorType(positions);
    if (varlen)
      return verifyShape(*this, "positions", pType, {seq});
    if (pType.getRank() == 1)
      return verifyShape(*this, "positions", pType, {seq});
    return verifyShape(*this, "positions", pType,
                       {xType.getDimSize(dims.batch), seq});
  }
  if (offsets)
    return verifyShape(*this, "offsets", tensorType(offsets),
                       {xType.getDimSize(dims.batch)});
  return success();
}

namespace {
/// A rotary_dim equal to the head dim is the default and is dropped.
struct DropDefaultRotaryDim : OpRewritePattern<RopeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RopeOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<int64_t> r = op.getRotaryDim();
    RankedTensorType type = tensorType(op.getInput());
    if (!r || *r != type.getDimSize(type.getRank() - 1))
      return failure();
    rewriter.modifyOpInPlace(op, [&] { op.removeRotaryDimAttr(); });
    return success();
  }
};

/// All-zero constant offsets are the same as no offsets.
struct DropZeroOffsets : OpRewritePattern<RopeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RopeOp op,
                                PatternRewriter &rewriter) const override {
    DenseIntElementsAttr attr;
    if (!op.getOffsets() || !matchPattern(op.getOffsets(), m_Constant(&attr)))
      return failure();
    if (!llvm::all_of(attr.getValues<APInt>(),
                      [](const APInt &v) { return v.isZero(); }))
      return failure();
    rewriter.modifyOpInPlace(op, [&] { op.getOffsetsMutable().clear(); });
    return success();
  }
};
} // namespace

void RopeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                         MLIRContext *context) {
  results.add<DropDefaultRotaryDim, DropZeroOffsets>(context);
}

//===----------------------------------------------------------------------===//
// OutputProjectionOp
//===----------------------------------------------------------------------===//

LogicalResult OutputProjectionOp::verify() {
  // o : [B, H, S, Dv], [B, S, H, Dv] or [T, H, Dv]; wo : [H * Dv, E].
  RankedTensorType oType = tensorType(getInput());
  RankedTensorType wType = tensorType(getWeight());
  bool bshd = getLayout() == Layout::BSHD;
  if (failed(verifyHeadsInput(*this, "input", oType, bshd)) ||
      failed(verifyRank(*this, "weight", wType, 2)) ||
      failed(verifyElementTypes(*this, "input", getInput(),
                                {{"weight", getWeight()},
                                 {"bias", getBias()},
                                 {"result", getResult()}})))
    return failure();
  bool varlen = isVarlen();
  HeadsDims dims = getHeadsDims(bshd, varlen);
  int64_t heads = oType.getDimSize(dims.heads);
  int64_t dim = oType.getDimSize(dims.dim);
  int64_t merged = mulSizes(heads, dim);
  if (!sizesAgree(merged, wType.getDimSize(0)))
    return emitOpError() << "expected weight to have heads * head dim = "
                         << heads << " * " << dim << " = " << merged
                         << " rows, got " << wType.getDimSize(0);
  int64_t embed = wType.getDimSize(1);
  if (Value bias = getBias())
    if (failed(verifyShape(*this, "bias", tensorType(bias), {embed})))
      return failure();
  SmallVector<int64_t> resultShape =
      varlen ? SmallVector<int64_t>{oType.getDimSize(dims.seq), embed}
             : SmallVector<int64_t>{oType.getDimSize(dims.batch),
                                    oType.getDimSize(dims.seq), embed};
  return verifyShape(*this, "result", tensorType(getResult()), resultShape);
}
