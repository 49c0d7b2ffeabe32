//===- CacheOps.cpp - paged KV-cache op verifiers -------------------------===//

#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "VerifyUtils.h"

#include "mlir/IR/PatternMatch.h"

#include "llvm/Support/MathExtras.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::checks;

namespace {
/// Dimension roles of a cache pool.
struct PoolDims {
  int blocks = 0;
  int slots = 1;
  int heads = 2;
  int dim = 3;
};
} // namespace

static PoolDims getPoolDims(CacheLayout layout) {
  if (layout == CacheLayout::HND)
    return PoolDims{0, 2, 1, 3};
  return PoolDims{};
}

/// The block size of pool `name` must be a static power of two in [1, 256].
static LogicalResult verifyBlockSize(Operation *op, StringRef name,
                                     int64_t blockSize) {
  if (ShapedType::isDynamic(blockSize))
    return op->emitOpError()
           << "expected a static block size in " << name << ", got ?";
  if (blockSize < 1 || blockSize > 256 || (blockSize & (blockSize - 1)))
    return op->emitOpError() << "expected a block size that is a power of two "
                                "in [1, 256], got "
                             << blockSize;
  return success();
}

/// Verifies the key and value pools: rank 4, a static power-of-two block
/// size in [1, 256], and the same number of blocks, block size and heads.
static LogicalResult verifyPools(Operation *op, RankedTensorType kType,
                                 RankedTensorType vType, PoolDims dims) {
  if (failed(verifyRank(op, "k_cache", kType, 4)) ||
      failed(verifyRank(op, "v_cache", vType, 4)) ||
      failed(verifyBlockSize(op, "k_cache", kType.getDimSize(dims.slots))))
    return failure();
  int64_t blockSize = kType.getDimSize(dims.slots);
  return failure(
      failed(verifySameSize(op, "number of blocks", "k_cache",
                            kType.getDimSize(dims.blocks), "v_cache",
                            vType.getDimSize(dims.blocks))) ||
      failed(verifySameSize(op, "block size", "k_cache", blockSize, "v_cache",
                            vType.getDimSize(dims.slots))) ||
      failed(verifySameSize(op, "number of heads", "k_cache",
                            kType.getDimSize(dims.heads), "v_cache",
                            vType.getDimSize(dims.heads))));
}

/// Verifies `block_table : [B, max_blocks]` and a `[B]` lengths operand.
static LogicalResult verifyTableAndLens(Operation *op, RankedTensorType table,
                                        StringRef lensName,
                                        RankedTensorType lens,
                                        StringRef batchName, int64_t batch) {
  if (failed(verifyRank(op, "block_table", table, 2)) ||
      failed(verifySameSize(op, "batch size", "block_table",
                            table.getDimSize(0), batchName, batch)) ||
      failed(verifyShape(op, lensName, lens, {batch})))
    return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// KVCacheAppendOp
//===----------------------------------------------------------------------===//

LogicalResult KVCacheAppendOp::verify() {
  auto kcType = cast<RankedTensorType>(getKCache().getType());
  auto vcType = cast<RankedTensorType>(getVCache().getType());
  auto knType = cast<RankedTensorType>(getKNew().getType());
  auto vnType = cast<RankedTensorType>(getVNew().getType());
  PoolDims dims = getPoolDims(getCacheLayout());
  if (failed(verifyPools(*this, kcType, vcType, dims)) ||
      failed(verifyRank(*this, "k_new", knType, 4)) ||
      failed(verifyRank(*this, "v_new", vnType, 4)) ||
      failed(
          verifySameElementType(*this, "k_cache", kcType, "v_cache", vcType)) ||
      failed(
          verifySameElementType(*this, "k_new", knType, "k_cache", kcType)) ||
      failed(verifySameElementType(*this, "v_new", vnType, "v_cache", vcType)))
    return failure();

  // New tokens are [B, S_new, Hkv, D] whatever the pool layout.
  int64_t batch = knType.getDimSize(0);
  if (failed(verifySameSize(*this, "batch size", "k_new", batch, "v_new",
                            vnType.getDimSize(0))) ||
      failed(verifySameSize(*this, "number of new tokens", "k_new",
                            knType.getDimSize(1), "v_new",
                            vnType.getDimSize(1))) ||
      failed(verifySameSize(*this, "number of heads", "k_new",
                            knType.getDimSize(2), "k_cache",
                            kcType.getDimSize(dims.heads))) ||
      failed(verifySameSize(*this, "number of heads", "v_new",
                            vnType.getDimSize(2), "v_cache",
                            vcType.getDimSize(dims.heads))) ||
      failed(verifySameSize(*this, "head dim", "k_new", knType.getDimSize(3),
                            "k_cache", kcType.getDimSize(dims.dim))) ||
      failed(verifySameSize(*this, "head dim", "v_new", vnType.getDimSize(3),
                            "v_cache", vcType.getDimSize(dims.dim))))
    return failure();

  if (failed(verifyTableAndLens(
          *this, cast<RankedTensorType>(getBlockTable().getType()),
          "cache_lens", cast<RankedTensorType>(getCacheLens().getType()),
          "k_new", batch)))
    return failure();
  if (Value newLens = getNewLens())
    if (failed(verifyShape(*this, "new_lens",
                           cast<ShapedType>(newLens.getType()), {batch})))
      return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// PagedAttentionOp
//===----------------------------------------------------------------------===//

double PagedAttentionOp::getEffectiveScale() {
  if (std::optional<APFloat> scale = getScale())
    return scale->convertToDouble();
  auto qType = cast<RankedTensorType>(getQuery().getType());
  return 1.0 / std::sqrt(static_cast<double>(qType.getDimSize(3)));
}

/// Verifies a scale or zero-point operand of a quantized pool.
static LogicalResult verifyQuantParam(Operation *op, StringRef name,
                                      ShapedType type, QuantAttr quant,
                                      RankedTensorType pool, PoolDims dims) {
  switch (quant.getGranularity()) {
  case QuantGranularity::PerTensor:
    if (type.getRank() == 0 ||
        (type.getRank() == 1 && sizesAgree(type.getDimSize(0), 1)))
      return success();
    return op->emitOpError() << "expected " << name
                             << " of rank 0 or shape [1] for per_tensor "
                                "quantization, got "
                             << type;
  case QuantGranularity::PerHead:
    return verifyShape(op, name, type, {pool.getDimSize(dims.heads)});
  case QuantGranularity::PerToken:
    return verifyShape(op, name, type, pool.getShape().drop_back());
  }
  return op->emitOpError("unknown quantization granularity");
}

LogicalResult PagedAttentionOp::verify() {
  auto qType = cast<RankedTensorType>(getQuery().getType());
  auto kcType = cast<RankedTensorType>(getKCache().getType());
  auto vcType = cast<RankedTensorType>(getVCache().getType());
  auto oType = cast<RankedTensorType>(getResult().getType());
  PoolDims dims = getPoolDims(getCacheLayout());
  if (failed(verifyRank(*this, "query", qType, 4)) ||
      failed(verifyPools(*this, kcType, vcType, dims)) ||
      failed(
          verifySameElementType(*this, "k_cache", kcType, "v_cache", vcType)) ||
      failed(verifySameElementType(*this, "query", qType, "result", oType)))
    return failure();

  // Element types and quantization parameters.
  QuantAttr quant = getKvQuantAttr();
  Type poolElt = kcType.getElementType();
  if (!quant) {
    if (!isa<FloatType>(poolElt) ||
        isa<Float8E4M3FNType, Float8E5M2Type>(poolElt))
      return emitOpError() << "expected kv_quant for the quantized cache "
                              "element type "
                           << poolElt;
    if (failed(verifySameElementType(*this, "query", qType, "k_cache", kcType)))
      return failure();
    if (getKScale() || getVScale() || getKZeroPoint() || getVZeroPoint())
      return emitOpError("expected no scales or zero points without "
                         "kv_quant");
  } else {
    Type storage = quant.getStorageType(getContext());
    if (poolElt != storage)
      return emitOpError() << "expected the cache element type " << storage
                           << " of kv_quant " << quant << ", got " << poolElt;
    if (!getKScale() || !getVScale())
      return emitOpError("expected k_scale and v_scale with kv_quant");
    bool asym = quant.hasZeroPoint();
    if (asym && (!getKZeroPoint() || !getVZeroPoint()))
      return emitOpError("expected k_zero_point and v_zero_point for "
                         "int8_asym");
    if (!asym && (getKZeroPoint() || getVZeroPoint()))
      return emitOpError() << "expected no zero points for "
                           << stringifyQuantScheme(quant.getScheme());
    if (quant.getGranularity() == QuantGranularity::PerHead &&
        quant.getAxis() != dims.heads)
      return emitOpError() << "expected per_head kv_quant axis " << dims.heads
                           << " (the cache's head dim), got "
                           << quant.getAxis();
    auto kScaleType = cast<ShapedType>(getKScale().getType());
    auto vScaleType = cast<ShapedType>(getVScale().getType());
    if (failed(verifyQuantParam(*this, "k_scale", kScaleType, quant, kcType,
                                dims)) ||
        failed(verifyQuantParam(*this, "v_scale", vScaleType, quant, vcType,
                                dims)))
      return failure();
    // Zero points are shaped like their scales.
    if (asym && (failed(verifyShape(*this, "k_zero_point",
                                    cast<ShapedType>(getKZeroPoint().getType()),
                                    kScaleType.getShape())) ||
                 failed(verifyShape(*this, "v_zero_point",
                                    cast<ShapedType>(getVZeroPoint().getType()),
                                    vScaleType.getShape()))))
      return failure();
  }

  // Shapes.
  int64_t batch = qType.getDimSize(0);
  int64_t numQHeads = qType.getDimSize(1);
  if (failed(verifyGroupedHeads(*this, "query", numQHeads, "k_cache",
                                kcType.getDimSize(dims.heads))) ||
      failed(verifySameSize(*this, "head dim", "query", qType.getDimSize(3),
                            "k_cache", kcType.getDimSize(dims.dim))) ||
      failed(verifyShape(*this, "result", oType,
                         {batch, numQHeads, qType.getDimSize(2),
                          vcType.getDimSize(dims.dim)})))
    return failure();
  if (failed(verifyTableAndLens(
          *this, cast<RankedTensorType>(getBlockTable().getType()),
          "context_lens", cast<RankedTensorType>(getContextLens().getType()),
          "query", batch)))
    return failure();
  // Key positions run to max_blocks * block_size: it must be a size.
  int64_t maxBlocks =
      cast<RankedTensorType>(getBlockTable().getType()).getDimSize(1);
  int64_t blockSize = kcType.getDimSize(dims.slots), capacity;
  if (!ShapedType::isDynamic(maxBlocks) &&
      llvm::MulOverflow(maxBlocks, blockSize, capacity))
    return emitOpError() << "expected the block table's capacity (" << maxBlocks
                         << " blocks of " << blockSize
                         << " tokens) to fit in 64 bits";

  if (MaskAttr mask = getMaskAttr();
      mask && !mask.isFull() && mask.getAlign() != MaskAlign::BottomRight)
    return emitOpError("expected a bottom_right mask (the queries are the "
                       "last positions of each sequence), got top_left");
  if (failed(verifyPositiveFinite(*this, "scale", getScale())) ||
      failed(verifyPositiveFinite(*this, "softcap", getSoftcap())))
    return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// PagedGatherOp
//===----------------------------------------------------------------------===//

LogicalResult PagedGatherOp::verify() {
  auto poolType = cast<RankedTensorType>(getPool().getType());
  auto tableType = cast<RankedTensorType>(getBlockTable().getType());
  auto resultType = cast<RankedTensorType>(getResult().getType());
  int64_t rank = poolType.getRank();
  if (rank != 3 && rank != 4)
    return emitOpError() << "expected pool of rank 4 ([num_blocks, "
                            "block_size, Hkv, D] or its hnd order) or 3 "
                            "(without D: per-token scales), got "
                         << poolType;
  PoolDims dims = getPoolDims(getCacheLayout());
  int64_t blockSize = poolType.getDimSize(dims.slots);
  if (failed(verifyBlockSize(*this, "pool", blockSize)) ||
      failed(verifySameElementType(*this, "pool", poolType, "result",
                                   resultType)) ||
      failed(
          verifyTableAndLens(*this, tableType, "context_lens",
                             cast<RankedTensorType>(getContextLens().getType()),
                             "block_table", tableType.getDimSize(0))))
    return failure();
  int64_t maxBlocks = tableType.getDimSize(1);
  int64_t capacity = ShapedType::kDynamic;
  if (!ShapedType::isDynamic(maxBlocks) &&
      llvm::MulOverflow(maxBlocks, blockSize, capacity))
    return emitOpError() << "expected the block table's capacity (" << maxBlocks
                         << " blocks of " << blockSize
                         << " tokens) to fit in 64 bits";
  SmallVector<int64_t> expected = {tableType.getDimSize(0),
                                   poolType.getDimSize(dims.heads), capacity};
  if (rank == 4)
    expected.push_back(poolType.getDimSize(dims.dim));
  return verifyShape(*this, "result", resultType, expected);
}

namespace {
/// A mask attribute that hides nothing is dropped.
struct DropFullPagedMask : OpRewritePattern<PagedAttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(PagedAttentionOp op,
                                PatternRewriter &rewriter) const override {
    MaskAttr mask = op.getMaskAttr();
    if (!mask || !mask.isFull())
      return failure();
    rewriter.modifyOpInPlace(op, [&] { op.removeMaskAttr(); });
    return success();
  }
};
} // namespace

void PagedAttentionOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                                   MLIRContext *context) {
  results.add<DropFullPagedMask>(context);
}
