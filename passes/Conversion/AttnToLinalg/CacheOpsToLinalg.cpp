//===- CacheOpsToLinalg.cpp - lower paged KV-cache attn ops to linalg -----===//
//
// attn.kv_cache_append becomes an scf.for nest of tensor.insert_slice ops
// (one [Hkv, D] slice per token). attn.paged_attention gathers the cached
// keys and values through the block table into dense tensors (a
// linalg.generic whose body reads the pools with tensor.extract, then
// attn.dequantize for quantized pools) and emits the unfused chain
// attn.scores, attn.mask, attn.softmax, attn.weighted_sum. The unfused (and,
// for quantized pools, the quant) patterns lower those: they must be in the
// same pattern set. attn.paged_gather becomes row copies (static pools with
// a head dim) or the element-wise gather. The flash path's rewrite
// (attn-paged-attention-to-sdpa) emits attn.sdpa over attn.paged_gather ops,
// whose key tiles attn-flash-tile reads from the pools.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/AttnToLinalg/AttnToLinalg.h"
#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::attn;

using utils::IteratorType;

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

static Value indexConst(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

/// Reads the i32 element `t[indices]` as an index.
static Value extractIndex(OpBuilder &b, Location loc, Value t,
                          ValueRange indices) {
  Value v = tensor::ExtractOp::create(b, loc, t, indices);
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
}

static Value andI1(OpBuilder &b, Location loc, Value x, Value y) {
  return arith::AndIOp::create(b, loc, x, y);
}

static Value cmpIndex(OpBuilder &b, Location loc, arith::CmpIPredicate pred,
                      Value x, Value y) {
  return arith::CmpIOp::create(b, loc, pred, x, y);
}

/// Whether pool block id `blk` is in [0, numBlocks).
static Value isValidBlock(OpBuilder &b, Location loc, Value blk,
                          Value numBlocks) {
  return andI1(
      b, loc,
      cmpIndex(b, loc, arith::CmpIPredicate::sge, blk, indexConst(b, loc, 0)),
      cmpIndex(b, loc, arith::CmpIPredicate::slt, blk, numBlocks));
}

namespace {

//===----------------------------------------------------------------------===//
// KVCacheAppendOp
//===----------------------------------------------------------------------===//

/// for b in [0, B), t in [0, S_new):
///   p = cache_lens[b] + t, n = p / block_size
///   if t < new_lens[b] && 0 <= p && n < max_blocks:
///     blk = block_table[b, n]
///     if 0 <= blk < num_blocks:
///       pool[blk, p % block_size, :, :] = new[b, t, :, :]   (nhd)
///       pool[blk, :, p % block_size, :] = new[b, t, :, :]   (hnd)
struct KVCacheAppendOpLowering : OpRewritePattern<KVCacheAppendOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(KVCacheAppendOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    PoolDims dims = getPoolDims(op.getCacheLayout());
    auto kcType = cast<RankedTensorType>(op.getKCache().getType());
    int64_t blockSize = kcType.getDimSize(dims.slots);
    Value kNew = op.getKNew(), vNew = op.getVNew();
    Value table = op.getBlockTable(), lens = op.getCacheLens();
    Value newLens = op.getNewLens();

    auto dimOf = [&](Value v, int64_t d) {
      return getValueOrCreateConstantIndexOp(
          rewriter, loc, tensor::getMixedSize(rewriter, loc, v, d));
    };
    Value zero = indexConst(rewriter, loc, 0);
    Value one = indexConst(rewriter, loc, 1);
    Value bs = indexConst(rewriter, loc, blockSize);
    Value batch = dimOf(kNew, 0), numNew = dimOf(kNew, 1);
    Value maxBlocks = dimOf(table, 1);
    Value numBlocks = dimOf(op.getKCache(), dims.blocks);

    // Copies token (b, t) of `src` ([B, S_new, H, D]) into slot `slot` of
    // block `blk` of `pool`.
    auto writeToken = [&](OpBuilder &b, Location l, Value src, Value pool,
                          Value bi, Value t, Value blk, Value slot) {
      auto srcType = cast<RankedTensorType>(src.getType());
      auto sliceType =
          RankedTensorType::get({srcType.getDimSize(2), srcType.getDimSize(3)},
                                srcType.getElementType());
      OpFoldResult oneAttr = b.getIndexAttr(1);
      OpFoldResult zeroAttr = b.getIndexAttr(0);
      OpFoldResult h = tensor::getMixedSize(b, l, src, 2);
      OpFoldResult d = tensor::getMixedSize(b, l, src, 3);
      SmallVector<OpFoldResult> unit(4, oneAttr);
      Value slice = tensor::ExtractSliceOp::create(
          b, l, sliceType, src,
          SmallVector<OpFoldResult>{bi, t, zeroAttr, zeroAttr},
          SmallVector<OpFoldResult>{oneAttr, oneAttr, h, d}, unit);
      SmallVector<OpFoldResult> offsets(4, zeroAttr), sizes(4, oneAttr);
      offsets[dims.blocks] = blk;
      offsets[dims.slots] = slot;
      sizes[dims.heads] = h;
      sizes[dims.dim] = d;
      return tensor::InsertSliceOp::create(b, l, slice, pool, offsets, sizes,
                                           unit)
          .getResult();
    };

    auto batchLoop = scf::ForOp::create(
        rewriter, loc, zero, batch, one,
        ValueRange{op.getKCache(), op.getVCache()},
        [&](OpBuilder &b, Location l, Value bi, ValueRange pools) {
          Value base = extractIndex(b, l, lens, bi);
          Value limit = newLens ? extractIndex(b, l, newLens, bi) : numNew;
          auto tokenLoop = scf::ForOp::create(
              b, l, zero, numNew, one, pools,
              [&](OpBuilder &tb, Location tl, Value t, ValueRange cur) {
                Value pos = arith::AddIOp::create(tb, tl, base, t);
                Value n = arith::DivSIOp::create(tb, tl, pos, bs);
                Value slot = arith::RemSIOp::create(tb, tl, pos, bs);
                Value inTable = andI1(
                    tb, tl,
                    andI1(
                        tb, tl,
                        cmpIndex(tb, tl, arith::CmpIPredicate::slt, t, limit),
                        cmpIndex(tb, tl, arith::CmpIPredicate::sge, pos, zero)),
                    cmpIndex(tb, tl, arith::CmpIPredicate::slt, n, maxBlocks));
                auto ifInTable = scf::IfOp::create(
                    tb, tl, inTable,
                    [&](OpBuilder &ib, Location il) {
                      Value blk =
                          extractIndex(ib, il, table, ValueRange{bi, n});
                      auto ifValid = scf::IfOp::create(
                          ib, il, isValidBlock(ib, il, blk, numBlocks),
                          [&](OpBuilder &wb, Location wl) {
                            Value k = writeToken(wb, wl, kNew, cur[0], bi, t,
                                                 blk, slot);
                            Value v = writeToken(wb, wl, vNew, cur[1], bi, t,
                                                 blk, slot);
                            scf::YieldOp::create(wb, wl, ValueRange{k, v});
                          },
                          [&](OpBuilder &wb, Location wl) {
                            scf::YieldOp::create(wb, wl, cur);
                          });
                      scf::YieldOp::create(ib, il, ifValid.getResults());
                    },
                    [&](OpBuilder &ib, Location il) {
                      scf::YieldOp::create(ib, il, cur);
                    });
                scf::YieldOp::create(tb, tl, ifInTable.getResults());
              });
          scf::YieldOp::create(b, l, tokenLoop.getResults());
        });
    rewriter.replaceOp(op, batchLoop.getResults());
    return success();
  }
};

//===----------------------------------------------------------------------===//
// PagedAttentionOp
//===----------------------------------------------------------------------===//

/// The zero of `elt`; FP8 zeros are made from their (all-zero) bit pattern.
static Value zeroConstant(OpBuilder &b, Location loc, Type elt) {
  if (auto intType = dyn_cast<IntegerType>(elt))
    return arith::ConstantIntOp::create(b, loc, intType, 0);
  if (isa<Float8E4M3FNType, Float8E5M2Type>(elt))
    return arith::BitcastOp::create(
        b, loc, elt, arith::ConstantIntOp::create(b, loc, b.getI8Type(), 0));
  return arith::ConstantOp::create(b, loc, elt, b.getFloatAttr(elt, 0.0));
}

/// Where a gather reads: the block table, context lengths and layout of the
/// pools.
struct PagedSource {
  Value table, ctxLens;
  CacheLayout layout;
};

static PagedSource getPagedSource(PagedAttentionOp op) {
  return {op.getBlockTable(), op.getContextLens(), op.getCacheLayout()};
}

/// Gathers a pool-shaped tensor (a pool `[N, bs, Hkv, D]` / `[N, Hkv, bs,
/// D]`, or a per-token scale or zero point, the same without `D`) into a
/// dense `[B, Hkv, L(, D)]` tensor, `L = max_blocks * block_size`:
///   dense[b, h, j(, d)] = present(b, j) ? src[blk, j % bs, h(, d)] : 0
/// with blk = block_table[b, j / bs] and present(b, j) = j < ctx[b] and blk
/// a valid block id. Elements are copied unchanged (quantized codes too).
static Value gatherPool(OpBuilder &b, Location loc, const PagedSource &paged,
                        Value src) {
  PoolDims dims = getPoolDims(paged.layout);
  auto srcType = cast<RankedTensorType>(src.getType());
  Type elt = srcType.getElementType();
  bool hasDim = srcType.getRank() == 4;
  int64_t blockSize = srcType.getDimSize(dims.slots);
  Value table = paged.table, ctxLens = paged.ctxLens;

  auto dimOf = [&](Value v, int64_t d) {
    return getValueOrCreateConstantIndexOp(b, loc,
                                           tensor::getMixedSize(b, loc, v, d));
  };
  Value numBlocks = dimOf(src, dims.blocks);
  int64_t maxBlocks = cast<RankedTensorType>(table.getType()).getDimSize(1);
  OpFoldResult denseLen =
      ShapedType::isDynamic(maxBlocks)
          ? OpFoldResult(arith::MulIOp::create(b, loc, dimOf(table, 1),
                                               indexConst(b, loc, blockSize))
                             .getResult())
          : OpFoldResult(b.getIndexAttr(maxBlocks * blockSize));
  SmallVector<OpFoldResult> sizes = {
      tensor::getMixedSize(b, loc, table, 0),
      tensor::getMixedSize(b, loc, src, dims.heads), denseLen};
  if (hasDim)
    sizes.push_back(tensor::getMixedSize(b, loc, src, dims.dim));
  int64_t rank = sizes.size();
  Value init = tensor::EmptyOp::create(b, loc, sizes, elt);
  AffineMap id = b.getMultiDimIdentityMap(rank);
  SmallVector<IteratorType> iters(rank, IteratorType::parallel);

  auto zeroOf = [&](OpBuilder &zb, Location zl) {
    return zeroConstant(zb, zl, elt);
  };

  auto body = [&](OpBuilder &gb, Location l, ValueRange) {
    Value bi = linalg::IndexOp::create(gb, l, 0);
    Value h = linalg::IndexOp::create(gb, l, 1);
    Value j = linalg::IndexOp::create(gb, l, 2);
    // linalg.index must sit directly in the generic body.
    Value d = hasDim ? linalg::IndexOp::create(gb, l, 3) : Value();
    Value bs = indexConst(gb, l, blockSize);
    Value n = arith::DivUIOp::create(gb, l, j, bs);
    Value slot = arith::RemUIOp::create(gb, l, j, bs);
    Value len = extractIndex(gb, l, ctxLens, bi);
    Value inContext = cmpIndex(gb, l, arith::CmpIPredicate::slt, j, len);
    // Only read the table (and the pool) where the indices are in range.
    auto ifInContext = scf::IfOp::create(
        gb, l, inContext,
        [&](OpBuilder &ib, Location il) {
          Value blk = extractIndex(ib, il, table, ValueRange{bi, n});
          auto ifValid = scf::IfOp::create(
              ib, il, isValidBlock(ib, il, blk, numBlocks),
              [&](OpBuilder &rb, Location rl) {
                SmallVector<Value> idx(4);
                idx[dims.blocks] = blk;
                idx[dims.slots] = slot;
                idx[dims.heads] = h;
                if (hasDim)
                  idx[dims.dim] = d;
                else
                  idx.pop_back();
                scf::YieldOp::create(
                    rb, rl, Value(tensor::ExtractOp::create(rb, rl, src, idx)));
              },
              [&](OpBuilder &rb, Location rl) {
                scf::YieldOp::create(rb, rl, zeroOf(rb, rl));
              });
          scf::YieldOp::create(ib, il, ifValid.getResults());
        },
        [&](OpBuilder &ib, Location il) {
          scf::YieldOp::create(ib, il, zeroOf(ib, il));
        });
    linalg::YieldOp::create(gb, l, ifInContext.getResults());
  };
  return linalg::GenericOp::create(b, loc, init.getType(), ValueRange{}, init,
                                   {id}, iters, body)
      .getResult(0);
}

/// Unit strides of a rank-4 slice.
static SmallVector<OpFoldResult> unitStridesOf(OpBuilder &b) {
  return SmallVector<OpFoldResult>(4, b.getIndexAttr(1));
}

/// The same gather for a statically shaped pool `[N, bs, Hkv, D]` /
/// `[N, Hkv, bs, D]`, made of row copies: for each sequence, each of its
/// blocks that holds context (stopping at ctx[b]) and has a valid id, and
/// each KV head, the cached rows (fewer in the last block) are copied with
/// tensor.extract_slice / tensor.insert_slice of `[D]`. Once bufferized, each
/// row is one contiguous memcpy (the element-wise gather reads the block
/// table and the pool once per element).
///
/// Blocks with invalid ids and the rows from ctx[b] to the capacity are
/// zero-filled.
static Value gatherPoolRows(OpBuilder &b, Location loc,
                            const PagedSource &paged, Value pool) {
  PoolDims dims = getPoolDims(paged.layout);
  auto poolType = cast<RankedTensorType>(pool.getType());
  Type elt = poolType.getElementType();
  int64_t blockSize = poolType.getDimSize(dims.slots);
  int64_t heads = poolType.getDimSize(dims.heads);
  int64_t dim = poolType.getDimSize(dims.dim);
  int64_t numBlocks = poolType.getDimSize(dims.blocks);
  auto tableType = cast<RankedTensorType>(paged.table.getType());
  int64_t batch = tableType.getDimSize(0), maxBlocks = tableType.getDimSize(1);
  Value table = paged.table, ctxLens = paged.ctxLens;

  auto denseType =
      RankedTensorType::get({batch, heads, maxBlocks * blockSize, dim}, elt);
  Value dense = tensor::EmptyOp::create(b, loc, denseType.getShape(), elt);
  Value zero = zeroConstant(b, loc, elt);
  Value c0 = indexConst(b, loc, 0), c1 = indexConst(b, loc, 1);
  int64_t capacity = maxBlocks * blockSize;
  // seq[0, :, start : start + count, :] = 0 in a sequence's [1, Hkv, L, D].
  auto zeroRows = [&](OpBuilder &zb, Location zl, Value into, Value start,
                      Value count) -> Value {
    SmallVector<OpFoldResult> offsets = {zb.getIndexAttr(0), zb.getIndexAttr(0),
                                         start, zb.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes = {zb.getIndexAttr(1),
                                       zb.getIndexAttr(heads), count,
                                       zb.getIndexAttr(dim)};
    Value rows = tensor::ExtractSliceOp::create(zb, zl, into, offsets, sizes,
                                                unitStridesOf(zb));
    Value zeros = linalg::FillOp::create(zb, zl, zero, rows).getResult(0);
    return tensor::InsertSliceOp::create(zb, zl, zeros, into, offsets, sizes,
                                         unitStridesOf(zb));
  };
  Value bs = indexConst(b, loc, blockSize);
  auto rowType = RankedTensorType::get({dim}, elt);
  SmallVector<OpFoldResult> rowSizes(4, b.getIndexAttr(1));
  rowSizes[3] = b.getIndexAttr(dim);
  SmallVector<OpFoldResult> unitStrides = unitStridesOf(b);

  // One iteration per sequence (an scf.forall: the threads of the CPU
  // pipeline run them in parallel), each filling its own [1, Hkv, L, D]
  // slice, inserted back in parallel.
  SmallVector<OpFoldResult> seqSizes = {
      b.getIndexAttr(1), b.getIndexAttr(heads), b.getIndexAttr(capacity),
      b.getIndexAttr(dim)};
  auto forall = scf::ForallOp::create(
      b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(batch)}, ValueRange{dense},
      std::nullopt, [&](OpBuilder &bb, Location bl, ValueRange args) {
        Value bi = args[0];
        SmallVector<OpFoldResult> seqOffsets = {
            bi, bb.getIndexAttr(0), bb.getIndexAttr(0), bb.getIndexAttr(0)};
        Value seq = tensor::ExtractSliceOp::create(bb, bl, args[1], seqOffsets,
                                                   seqSizes, unitStridesOf(bb));
        ValueRange bIter(seq);
        // Context tokens: ctx[b] clamped to [0, maxBlocks * bs]; the blocks
        // that hold them.
        Value len = arith::MaxSIOp::create(
            bb, bl, extractIndex(bb, bl, ctxLens, bi), c0);
        len = arith::MinSIOp::create(bb, bl, len, indexConst(bb, bl, capacity));
        Value nEnd = arith::CeilDivUIOp::create(bb, bl, len, bs);
        auto blockLoop = scf::ForOp::create(
            bb, bl, c0, nEnd, c1, bIter,
            [&](OpBuilder &nb, Location nl, Value n, ValueRange nIter) {
              Value start = arith::MulIOp::create(nb, nl, n, bs);
              Value count = arith::MinUIOp::create(
                  nb, nl, bs, arith::SubIOp::create(nb, nl, len, start));
              Value blk = extractIndex(nb, nl, table, ValueRange{bi, n});
              Value valid =
                  isValidBlock(nb, nl, blk, indexConst(nb, nl, numBlocks));
              auto ifValid = scf::IfOp::create(
                  nb, nl, valid,
                  [&](OpBuilder &vb, Location vl) {
                    auto headLoop = scf::ForOp::create(
                        vb, vl, c0, indexConst(vb, vl, heads), c1, nIter,
                        [&](OpBuilder &hb, Location hl, Value h,
                            ValueRange hIter) {
                          auto rowLoop = scf::ForOp::create(
                              hb, hl, c0, count, c1, hIter,
                              [&](OpBuilder &rb, Location rl, Value slot,
                                  ValueRange rIter) {
                                SmallVector<OpFoldResult> src(4);
                                src[dims.blocks] = blk;
                                src[dims.slots] = slot;
                                src[dims.heads] = h;
                                src[dims.dim] = rb.getIndexAttr(0);
                                Value row = tensor::ExtractSliceOp::create(
                                    rb, rl, rowType, pool, src, rowSizes,
                                    unitStrides);
                                Value j =
                                    arith::AddIOp::create(rb, rl, start, slot);
                                SmallVector<OpFoldResult> dst = {
                                    rb.getIndexAttr(0), h, j,
                                    rb.getIndexAttr(0)};
                                Value updated = tensor::InsertSliceOp::create(
                                    rb, rl, row, rIter[0], dst, rowSizes,
                                    unitStrides);
                                scf::YieldOp::create(rb, rl, updated);
                              });
                          scf::YieldOp::create(hb, hl, rowLoop.getResults());
                        });
                    scf::YieldOp::create(vb, vl, headLoop.getResults());
                  },
                  [&](OpBuilder &eb, Location el) {
                    scf::YieldOp::create(
                        eb, el, zeroRows(eb, el, nIter[0], start, count));
                  });
              scf::YieldOp::create(nb, nl, ifValid.getResults());
            });
        // Zeros from the context's end to the capacity.
        Value tail =
            arith::SubIOp::create(bb, bl, indexConst(bb, bl, capacity), len);
        Value filled = zeroRows(bb, bl, blockLoop.getResult(0), len, tail);
        auto inParallel = scf::InParallelOp::create(bb, bl);
        OpBuilder::InsertionGuard guard(bb);
        bb.setInsertionPointToStart(inParallel.getBody());
        tensor::ParallelInsertSliceOp::create(
            bb, bl, filled, args[1], seqOffsets, seqSizes, unitStridesOf(bb));
      });
  return forall.getResult(0);
}

/// The dense float keys or values of `pool`: gathered by `gather`, then
/// dequantized with attn.dequantize when the pools are quantized (per-token
/// scales and zero points are gathered the same way; per-head ones apply to
/// dense dim 1).
static Value gatherDequantized(OpBuilder &b, Location loc, PagedAttentionOp op,
                               Value pool, Value scale, Value zeroPoint,
                               Type elt, function_ref<Value(Value)> gather) {
  Value dense = gather(pool);
  QuantAttr quant = op.getKvQuantAttr();
  if (!quant)
    return dense;
  bool perToken = quant.getGranularity() == QuantGranularity::PerToken;
  if (perToken) {
    scale = gather(scale);
    if (zeroPoint)
      zeroPoint = gather(zeroPoint);
  }
  int64_t axis = quant.getGranularity() == QuantGranularity::PerHead ? 1 : -1;
  QuantAttr denseQuant = QuantAttr::get(b.getContext(), quant.getScheme(),
                                        quant.getGranularity(), axis);
  auto denseType = cast<RankedTensorType>(dense.getType());
  return DequantizeOp::create(b, loc, denseType.clone(elt), dense, scale,
                              zeroPoint, denseQuant);
}

/// `[B, 1, 1, L]` i1: whether dense key j of sequence b has a cached token
/// (j < ctx[b] and a valid block id).
static Value buildPresence(OpBuilder &b, Location loc, PagedAttentionOp op,
                           Value denseK) {
  PoolDims dims = getPoolDims(op.getCacheLayout());
  auto poolType = cast<RankedTensorType>(op.getKCache().getType());
  int64_t blockSize = poolType.getDimSize(dims.slots);
  Value table = op.getBlockTable(), ctxLens = op.getContextLens();
  Value numBlocks = getValueOrCreateConstantIndexOp(
      b, loc, tensor::getMixedSize(b, loc, op.getKCache(), dims.blocks));
  OpFoldResult oneAttr = b.getIndexAttr(1);
  SmallVector<OpFoldResult> sizes = {tensor::getMixedSize(b, loc, denseK, 0),
                                     oneAttr, oneAttr,
                                     tensor::getMixedSize(b, loc, denseK, 2)};
  Value init = tensor::EmptyOp::create(b, loc, sizes, b.getI1Type());
  AffineMap id = b.getMultiDimIdentityMap(4);
  SmallVector<IteratorType> iters(4, IteratorType::parallel);
  auto body = [&](OpBuilder &gb, Location l, ValueRange) {
    Value bi = linalg::IndexOp::create(gb, l, 0);
    Value j = linalg::IndexOp::create(gb, l, 3);
    Value n = arith::DivUIOp::create(gb, l, j, indexConst(gb, l, blockSize));
    Value len = extractIndex(gb, l, ctxLens, bi);
    Value inContext = cmpIndex(gb, l, arith::CmpIPredicate::slt, j, len);
    auto ifInContext = scf::IfOp::create(
        gb, l, inContext,
        [&](OpBuilder &ib, Location il) {
          Value blk = extractIndex(ib, il, table, ValueRange{bi, n});
          scf::YieldOp::create(ib, il, isValidBlock(ib, il, blk, numBlocks));
        },
        [&](OpBuilder &ib, Location il) {
          scf::YieldOp::create(
              ib, il, Value(arith::ConstantIntOp::create(ib, il, 0, 1)));
        });
    linalg::YieldOp::create(gb, l, ifInContext.getResults());
  };
  return linalg::GenericOp::create(b, loc, init.getType(), ValueRange{}, init,
                                   {id}, iters, body)
      .getResult(0);
}

/// The dense keys and values of `op` (gathered by `gather`, dequantized for
/// quantized pools), the presence of each key, and the op's mask aligned
/// bottom-right (the queries are the last positions of each sequence): what
/// both lowerings of attn.paged_attention attend with.
struct GatheredKV {
  Value keys, values, present;
  MaskAttr mask;
};

static GatheredKV gatherKV(OpBuilder &b, Location loc, PagedAttentionOp op,
                           function_ref<Value(Value)> gather) {
  MLIRContext *ctx = b.getContext();
  Type elt = cast<RankedTensorType>(op.getQuery().getType()).getElementType();
  GatheredKV kv;
  kv.keys = gatherDequantized(b, loc, op, op.getKCache(), op.getKScale(),
                              op.getKZeroPoint(), elt, gather);
  kv.values = gatherDequantized(b, loc, op, op.getVCache(), op.getVScale(),
                                op.getVZeroPoint(), elt, gather);
  kv.present = buildPresence(b, loc, op, kv.keys);
  MaskAttr mask = op.getMaskAttr();
  kv.mask = mask ? MaskAttr::get(ctx, mask.getCausal(), MaskAlign::BottomRight,
                                 mask.getWindowLeft(), mask.getWindowRight())
                 : MaskAttr::get(ctx, false, MaskAlign::BottomRight, -1, -1);
  return kv;
}

/// gather K, V (-> attn.dequantize) -> attn.scores -> attn.mask (kv_lens =
/// context_lens, bottom-right mask, presence) -> attn.softmax ->
/// attn.weighted_sum.
struct PagedAttentionOpLowering : OpRewritePattern<PagedAttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(PagedAttentionOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto qType = cast<RankedTensorType>(op.getQuery().getType());
    Type elt = qType.getElementType();
    Type scoreElt = elt.isF64() ? elt : rewriter.getF32Type();

    GatheredKV kv = gatherKV(rewriter, loc, op, [&](Value pool) {
      return gatherPool(rewriter, loc, getPagedSource(op), pool);
    });
    auto kType = cast<RankedTensorType>(kv.keys.getType());
    auto sType =
        RankedTensorType::get({qType.getDimSize(0), qType.getDimSize(1),
                               qType.getDimSize(2), kType.getDimSize(2)},
                              scoreElt);
    Value scores = ScoresOp::create(
        rewriter, loc, sType, op.getQuery(), kv.keys, op.getScaleAttr(),
        op.getSoftcapAttr(), LayoutAttr::get(ctx, Layout::BHSD));
    Value masked =
        MaskOp::create(rewriter, loc, sType, scores, Value(), kv.present,
                       Value(), op.getContextLens(), kv.mask);
    Value probs =
        SoftmaxOp::create(rewriter, loc, sType, Type(), masked).getResult();
    Value out =
        WeightedSumOp::create(rewriter, loc, op.getResult().getType(), probs,
                              kv.values, LayoutAttr::get(ctx, Layout::BHSD));
    rewriter.replaceOp(op, out);
    return success();
  }
};

/// For the flash path: attn.paged_gather of K and V (-> attn.dequantize),
/// then one attn.sdpa with kv_lens = context_lens, the mask aligned
/// bottom-right, and the presence of each key (valid block ids) as its
/// boolean attn_mask, so attn-flash-tile turns it into the tiled online
/// softmax (reading each key tile through the block table). Statically
/// shaped ops only (the others keep the unfused lowering).
struct PagedAttentionToSdpa : OpRewritePattern<PagedAttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(PagedAttentionOp op,
                                PatternRewriter &rewriter) const override {
    for (Value v : op->getOperands())
      if (!cast<ShapedType>(v.getType()).hasStaticShape())
        return rewriter.notifyMatchFailure(op, "dynamic shapes");
    if (!cast<ShapedType>(op.getResult().getType()).hasStaticShape())
      return rewriter.notifyMatchFailure(op, "dynamic shapes");
    // The dense [B, Hkv, blocks * bs, D] tensors must have a size (in
    // elements and bytes) that int64 holds.
    PoolDims dims = getPoolDims(op.getCacheLayout());
    auto kType = cast<RankedTensorType>(op.getKCache().getType());
    auto vType = cast<RankedTensorType>(op.getVCache().getType());
    auto tableType = cast<RankedTensorType>(op.getBlockTable().getType());
    for (RankedTensorType pool : {kType, vType}) {
      int64_t bytes = 1;
      for (int64_t size : {tableType.getDimSize(0), pool.getDimSize(dims.heads),
                           tableType.getDimSize(1), pool.getDimSize(dims.slots),
                           pool.getDimSize(dims.dim), int64_t(8)}) {
        if (size == 0)
          return rewriter.notifyMatchFailure(op, "a zero-sized dimension");
        if (llvm::MulOverflow(bytes, size, bytes))
          return rewriter.notifyMatchFailure(op, "dense K/V too large");
      }
    }
    Location loc = op.getLoc();
    int64_t capacity = tableType.getDimSize(1) * kType.getDimSize(dims.slots);
    GatheredKV kv = gatherKV(rewriter, loc, op, [&](Value pool) -> Value {
      auto poolType = cast<RankedTensorType>(pool.getType());
      SmallVector<int64_t> shape = {tableType.getDimSize(0),
                                    poolType.getDimSize(dims.heads), capacity};
      if (poolType.getRank() == 4)
        shape.push_back(poolType.getDimSize(dims.dim));
      return PagedGatherOp::create(
          rewriter, loc,
          RankedTensorType::get(shape, poolType.getElementType()), pool,
          op.getBlockTable(), op.getContextLens(), op.getCacheLayoutAttr());
    });
    auto sdpa = SdpaOp::create(
        rewriter, loc, op.getResult().getType(), Type(), op.getQuery(), kv.keys,
        kv.values, Value(), kv.present, Value(), op.getContextLens(), Value(),
        Value(), op.getScaleAttr(), op.getSoftcapAttr(), kv.mask, Layout::BHSD);
    rewriter.replaceOp(op, sdpa.getResult());
    return success();
  }
};

/// attn.paged_gather: row copies (gatherPoolRows) for a static pool with a
/// head dim, the element-wise gather otherwise.
struct PagedGatherOpLowering : OpRewritePattern<PagedGatherOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(PagedGatherOp op,
                                PatternRewriter &rewriter) const override {
    PagedSource paged = {op.getBlockTable(), op.getContextLens(),
                         op.getCacheLayout()};
    auto poolType = cast<RankedTensorType>(op.getPool().getType());
    bool rows = poolType.getRank() == 4 && poolType.hasStaticShape() &&
                cast<ShapedType>(op.getBlockTable().getType()).hasStaticShape();
    Value dense =
        rows ? gatherPoolRows(rewriter, op.getLoc(), paged, op.getPool())
             : gatherPool(rewriter, op.getLoc(), paged, op.getPool());
    if (dense.getType() != op.getType())
      dense =
          tensor::CastOp::create(rewriter, op.getLoc(), op.getType(), dense);
    rewriter.replaceOp(op, dense);
    return success();
  }
};

} // namespace

void mlir::attn::populatePagedAttentionToSdpaPatterns(
    RewritePatternSet &patterns) {
  patterns.add<PagedAttentionToSdpa>(patterns.getContext());
}

void mlir::attn::populateCacheOpsToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<KVCacheAppendOpLowering, PagedAttentionOpLowering,
               PagedGatherOpLowering>(patterns.getContext());
}
