//===- FlashTile.cpp - the attn-flash-tile pass ---------------------------===//
//
// Rewrites `attn.sdpa` into the FlashAttention form on tensors: loops over
// batch, query heads and query tiles, and loops over key/value tiles that
// carry the online-softmax state (row max m, row sum l, f32 accumulator O).
// Scores live in the log2 domain: log2(e) is folded into the scale (after the
// tanh when a softcap is set) so that the exponentials are `math.exp2`.
//
//===----------------------------------------------------------------------===//

#include "BlockClassification.h"

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"
#include "attn/Dialect/Attn/Utils/ShapeUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

#include <cmath>

namespace mlir::attn {
#define GEN_PASS_DEF_FLASHTILEPASS
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

constexpr double kLog2E = 1.4426950408889634;
constexpr double kLn2 = 0.6931471805599453;

/// `index` domain of the block classification: emits arith ops.
struct IndexDomain {
  using Value = ::mlir::Value;
  OpBuilder &b;
  Location loc;
  Value cst(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value min(Value x, Value y) { return arith::MinSIOp::create(b, loc, x, y); }
  Value max(Value x, Value y) { return arith::MaxSIOp::create(b, loc, x, y); }
  Value floorDiv(Value x, int64_t d) {
    return arith::FloorDivSIOp::create(b, loc, x, cst(d));
  }
  Value selectGE(Value x, Value y, Value t, Value f) {
    Value c = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, x, y);
    return arith::SelectOp::create(b, loc, c, t, f);
  }
};

/// A size that is a constant value becomes an attribute, so that the types
/// built from sizes agree with the ops built from them.
OpFoldResult foldSize(OpFoldResult size) {
  if (auto v = dyn_cast<Value>(size))
    return getAsOpFoldResult(v);
  return size;
}

/// Why an op is left to the reference lowering, or empty when it is tiled.
StringRef getUnsupportedReason(SdpaOp op) {
  if (op.isVarlen())
    return "varlen";
  Type elt = cast<RankedTensorType>(op.getQuery().getType()).getElementType();
  if (!elt.isF16() && !elt.isBF16() && !elt.isF32())
    return "element type";
  for (Value v : {op.getBias(), op.getAttnMask()})
    if (v && !cast<RankedTensorType>(v.getType()).hasStaticShape())
      return "dynamic bias or attn_mask";
  return {};
}

/// Emits the tiled form of one `attn.sdpa`.
class FlashTiler {
public:
  FlashTiler(SdpaOp op, OpBuilder &b, const FlashTilePassOptions &options)
      : op(op), b(b), loc(op.getLoc()), tileQ(options.tileQ),
        tileKV(options.tileKV), padKV(options.padKV), peelTiles(options.peel),
        widenTiles(options.widen), parallelHeads(options.parallelHeads),
        transposeKeys(options.transposeKeys),
        prefetchPieces(options.prefetchPages) {}

  /// Returns the replacement values of the op's results.
  SmallVector<Value> emit();

private:
  // Constants and small helpers.
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value f32(double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  Value size(Value tensor, int64_t dim) {
    return getValueOrCreateConstantIndexOp(
        b, loc, tensor::getMixedSize(b, loc, tensor, dim));
  }
  /// `min(tile, total - start)` as a static size when every tile is full.
  OpFoldResult tileSize(Value start, int64_t tile, Value total, bool allFull) {
    if (allFull)
      return b.getIndexAttr(tile);
    Value rest = arith::SubIOp::create(b, loc, total, start);
    return arith::MinSIOp::create(b, loc, idx(tile), rest).getResult();
  }
  Value empty(ArrayRef<OpFoldResult> sizes, Type elt) {
    return tensor::EmptyOp::create(b, loc, sizes, elt);
  }
  Value filled(ArrayRef<OpFoldResult> sizes, double v) {
    Value init = empty(sizes, b.getF32Type());
    return linalg::FillOp::create(b, loc, ValueRange{f32(v)}, ValueRange{init})
        .getResult(0);
  }
  static RankedTensorType tileType(ArrayRef<OpFoldResult> sizes, Type elt) {
    SmallVector<int64_t> shape;
    for (OpFoldResult s : sizes)
      shape.push_back(getConstantIntValue(s).value_or(ShapedType::kDynamic));
    return RankedTensorType::get(shape, elt);
  }
  /// Offsets/sizes of the `[rows, dim]` tile of a heads tensor at
  /// (batch, head, row0), in the op's layout.
  void headsSlice(Value batch, Value head, Value row0, OpFoldResult rows,
                  OpFoldResult dim, SmallVectorImpl<OpFoldResult> &offsets,
                  SmallVectorImpl<OpFoldResult> &sizes) {
    OpFoldResult one = b.getIndexAttr(1), zero = b.getIndexAttr(0);
    if (bshd) {
      offsets.assign({batch, row0, head, zero});
      sizes.assign({one, rows, one, dim});
    } else {
      offsets.assign({batch, head, row0, zero});
      sizes.assign({one, one, rows, dim});
    }
  }
  Value extractHeadsTile(Value src, Value batch, Value head, Value row0,
                         OpFoldResult rows, OpFoldResult dim) {
    SmallVector<OpFoldResult> offsets, sizes;
    headsSlice(batch, head, row0, rows, dim, offsets, sizes);
    SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
    auto type = tileType(
        {rows, dim}, cast<RankedTensorType>(src.getType()).getElementType());
    return tensor::ExtractSliceOp::create(b, loc, type, src, offsets, sizes,
                                          strides);
  }
  /// `tile` converted to f32 elementwise (f16/bf16 tiles on the CPU: the
  /// contractions then run on f32 vectors; one conversion per element of a
  /// tile that each contraction reads many times).
  Value widenTile(Value tile) {
    auto type = cast<RankedTensorType>(tile.getType());
    if (!widenTiles || type.getElementType().isF32())
      return tile;
    SmallVector<OpFoldResult> sizes;
    for (int64_t d = 0; d < type.getRank(); ++d)
      sizes.push_back(tensor::getMixedSize(b, loc, tile, d));
    Value init = empty(sizes, b.getF32Type());
    AffineMap id = b.getMultiDimIdentityMap(type.getRank());
    SmallVector<utils::IteratorType> par(type.getRank(),
                                         utils::IteratorType::parallel);
    return linalg::GenericOp::create(
               b, loc, TypeRange{init.getType()}, ValueRange{tile},
               ValueRange{init}, ArrayRef<AffineMap>{id, id}, par,
               [](OpBuilder &nb, Location l, ValueRange args) {
                 linalg::YieldOp::create(
                     nb, l,
                     ValueRange{
                         arith::ExtFOp::create(nb, l, nb.getF32Type(), args[0])
                             .getResult()});
               })
        .getResult(0);
  }
  /// The `[cols, dim]` tile of keys or values `src` at (batchIv, kvHead,
  /// k0), widened like widenTile; read from the pool through the block table
  /// when `src` is an attn.paged_gather (pagedTile).
  Value readKVTile(Value src, Value k0, OpFoldResult cols, OpFoldResult dim) {
    if (Value tile = pagedTile(src, k0, cols, dim))
      return tile;
    return widenTile(extractHeadsTile(src, batchIv, kvHead, k0, cols, dim));
  }
  Value pagedTile(Value src, Value k0, OpFoldResult cols, OpFoldResult dim);
  std::pair<Value, Value> tableBlock(Value table, Value n, int64_t numBlocks);
  void prefetchPiece(PagedGatherOp gather, Value start, int64_t rows,
                     int64_t blockSize, int64_t numBlocks, int64_t headDim);
  Value transposedKeys();
  /// The `[rows or 1, cols or 1]` tile of a score-shaped operand (bias,
  /// attn_mask), keeping its size-1 (broadcast) dimensions.
  Value extractScoreTile(Value src, Value batch, Value head, Value row0,
                         OpFoldResult rows, Value col0, OpFoldResult cols) {
    ArrayRef<int64_t> shape = cast<RankedTensorType>(src.getType()).getShape();
    OpFoldResult one = b.getIndexAttr(1), zero = b.getIndexAttr(0);
    auto pick = [&](int d, OpFoldResult off, OpFoldResult sz,
                    SmallVectorImpl<OpFoldResult> &offsets,
                    SmallVectorImpl<OpFoldResult> &sizes) {
      bool broadcast = shape[d] == 1;
      offsets.push_back(broadcast ? zero : off);
      sizes.push_back(broadcast ? one : sz);
    };
    SmallVector<OpFoldResult> offsets, sizes;
    pick(0, batch, one, offsets, sizes);
    pick(1, head, one, offsets, sizes);
    pick(2, row0, rows, offsets, sizes);
    pick(3, col0, cols, offsets, sizes);
    SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
    auto type =
        tileType({sizes[2], sizes[3]},
                 cast<RankedTensorType>(src.getType()).getElementType());
    return tensor::ExtractSliceOp::create(b, loc, type, src, offsets, sizes,
                                          strides);
  }
  /// Indexing map of a score-shaped tile inside a (rows, cols) generic.
  AffineMap scoreTileMap(Value src) {
    ArrayRef<int64_t> shape = cast<RankedTensorType>(src.getType()).getShape();
    MLIRContext *ctx = b.getContext();
    AffineExpr r = shape[2] == 1 ? getAffineConstantExpr(0, ctx)
                                 : getAffineDimExpr(0, ctx);
    AffineExpr c = shape[3] == 1 ? getAffineConstantExpr(0, ctx)
                                 : getAffineDimExpr(1, ctx);
    return AffineMap::get(2, 0, {r, c}, ctx);
  }
  Value toF32(Value v) {
    Type t = v.getType();
    if (t.isF32())
      return v;
    if (t.getIntOrFloatBitWidth() < 32)
      return arith::ExtFOp::create(b, loc, b.getF32Type(), v);
    return arith::TruncFOp::create(b, loc, b.getF32Type(), v);
  }
  /// `fn(x)` of each element of the `[sizes]` 2-D tile `x`, into a new
  /// tile of the same type (`fn` may read `linalg.index`).
  Value mapTile(Value x, ArrayRef<OpFoldResult> sizes,
                function_ref<Value(OpBuilder &, Location, Value)> fn) {
    auto type = cast<RankedTensorType>(x.getType());
    AffineMap id = b.getMultiDimIdentityMap(2);
    return linalg::GenericOp::create(
               b, loc, TypeRange{type}, ValueRange{x},
               ValueRange{empty(sizes, type.getElementType())},
               ArrayRef<AffineMap>{id, id},
               ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                             utils::IteratorType::parallel},
               [&](OpBuilder &nb, Location l, ValueRange args) {
                 linalg::YieldOp::create(nb, l, fn(nb, l, args[0]));
               })
        .getResult(0);
  }
  /// `tile` at the top left of a zero-filled `[rows, cols]` tensor.
  Value padTile(Value tile, int64_t rows, int64_t cols) {
    auto type = cast<RankedTensorType>(tile.getType());
    if (type.getDimSize(0) == rows && type.getDimSize(1) == cols)
      return tile;
    Type elt = type.getElementType();
    Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(elt));
    Value init = linalg::FillOp::create(
                     b, loc, ValueRange{zero},
                     ValueRange{empty(
                         {b.getIndexAttr(rows), b.getIndexAttr(cols)}, elt)})
                     .getResult(0);
    OpFoldResult zeroIdx = b.getIndexAttr(0), one = b.getIndexAttr(1);
    return tensor::InsertSliceOp::create(
        b, loc, tile, init, ArrayRef<OpFoldResult>{zeroIdx, zeroIdx},
        ArrayRef<OpFoldResult>{b.getIndexAttr(type.getDimSize(0)),
                               b.getIndexAttr(type.getDimSize(1))},
        ArrayRef<OpFoldResult>{one, one});
  }
  /// The size a partial static key tile of `cols` keys is padded to (a
  /// multiple of padKV), or 0: not padded (a full tile, a multiple already,
  /// or a dynamic dimension in the way).
  int64_t paddedCols(std::optional<int64_t> cols) {
    if (padKV <= 0 || !cols || *cols >= tileKV || *cols % padKV == 0 ||
        !getConstantIntValue(dqk) || !getConstantIntValue(dv) ||
        ((op.getBias() || op.getAttnMask()) && !getConstantIntValue(rows)))
      return 0;
    return llvm::divideCeil(*cols, padKV) * padKV;
  }

  /// `m == -inf ? 0 : m`: the exponent shift of a row that saw no key yet.
  static Value safeMax(OpBuilder &nb, Location l, Value m) {
    Value ninf = arith::ConstantOp::create(
        nb, l, nb.getF32FloatAttr(-std::numeric_limits<float>::infinity()));
    Value zero = arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(0.0));
    Value isInf =
        arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ, m, ninf);
    return arith::SelectOp::create(nb, l, isInf, zero, m);
  }

  /// One key/value tile step of the online softmax; returns {m, l, O}.
  /// `staticCols`: the tile's key count when known (a full tile, or the
  /// peeled last tile of a static key length). `colLimit`: keys at or past
  /// it are hidden and their V rows read as zeros (a static-size last tile
  /// that extends past the key lengths; the rows past them may hold
  /// anything, NaN included, which a zero weight would not cancel).
  SmallVector<Value> emitKVStep(Value kvTile, ValueRange state, bool masked,
                                std::optional<int64_t> staticCols = {},
                                Value colLimit = {});
  /// An scf.if on `begin <= tile < end` whose else branch yields `state`
  /// (the caller fills the then branch).
  scf::IfOp ifTileInRange(Value begin, Value tile, Value end,
                          ValueRange state) {
    Value inRange = arith::AndIOp::create(
        b, loc,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle, begin, tile),
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, tile, end));
    auto ifOp = scf::IfOp::create(b, loc, TypeRange(state), inRange,
                                  /*withElseRegion=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.elseBlock());
    scf::YieldOp::create(b, loc, state);
    return ifOp;
  }
  /// The loop over key tiles `[begin, end)`.
  SmallVector<Value> emitKVLoop(Value begin, Value end, ValueRange state,
                                bool masked);
  /// The same with key lengths (kv_lens) and a static key length: the tiles
  /// inside the lengths have the static tile size and no length mask; the
  /// partial one keeps a static size and hides the keys past the length.
  SmallVector<Value> emitKVLoopWithLengths(Value begin, Value end,
                                           ValueRange state, bool masked);

  SdpaOp op;
  OpBuilder &b;
  Location loc;
  int64_t tileQ, tileKV;
  /// Partial static key tiles whose size is not a multiple of it are padded
  /// to one (zero K/V rows, their scores hidden); 0: never.
  int64_t padKV;
  /// Peel the partial last tiles of static lengths (static tile sizes);
  /// widen f16/bf16 tiles to f32; one scf.forall over (batch, head).
  bool peelTiles, widenTiles, parallelHeads;
  /// Transpose each head's keys once (keysT) where that applies.
  bool transposeKeys;
  bool prefetchPieces;
  /// The current head's keys transposed tile by tile, `[tiles, D,
  /// tile-kv]` (widened; the last tile's missing keys zeros), or null: Q·Kᵀ
  /// reads K tiles.
  Value keysT;
  bool bshd = false;
  MaskShape maskShape;
  double scale = 1.0;
  /// The multiplier of Q·Kᵀ: scale * log2(e), or scale / softcap with a
  /// softcap; a constant unless the default scale needs a dynamic head dim.
  Value scoreMul;
  /// Whether the current Q tile carries scoreMul (an f32 tile).
  bool scaleInQ = false;
  std::optional<double> softcap;
  Type elt;
  // Static facts.
  int64_t sqStatic = ShapedType::kDynamic, skStatic = ShapedType::kDynamic;
  // Values in scope of the current query tile.
  Value sq, sk, skEff, diagOffset, batchIv, headIv, kvHead, q0, qTile, slope2;
  /// Where out and lse tiles go: (batchIv, headIv) in the whole outputs, or
  /// (0, 0) in a head's slices (parallelHeads).
  Value outBatch, outHead;
  OpFoldResult rows, dqk, dv;
};

/// The attn.paged_gather that `v` is, when it reads a static pool with
/// the block table and context lengths of `like` (if given).
static PagedGatherOp getStaticGather(Value v, PagedGatherOp like = {}) {
  auto gather = v ? v.getDefiningOp<PagedGatherOp>() : PagedGatherOp();
  if (!gather ||
      !cast<RankedTensorType>(gather.getPool().getType()).hasStaticShape())
    return {};
  if (like && (gather.getBlockTable() != like.getBlockTable() ||
               gather.getContextLens() != like.getContextLens() ||
               gather.getCacheLayout() != like.getCacheLayout()))
    return {};
  return gather;
}

/// Elements of a head's transposed keys at most (4 MiB of f32): beyond,
/// Q·Kᵀ reads K tiles as before.
static constexpr int64_t kMaxKeysTElements = int64_t(1) << 20;

/// The current head's keys transposed once for all its query tiles (see
/// FlashTiler::keysT), or null where that does not apply: dynamic or zero
/// lengths, one query tile (each key tile is then transposed once anyway)
/// or too few to pay for it, keys read from pools (their tiles come through
/// the block table), a dynamic head dimension or too many elements.
Value FlashTiler::transposedKeys() {
  Value key = op.getKey();
  if (auto dequant = key.getDefiningOp<DequantizeOp>())
    key = dequant.getInput();
  std::optional<int64_t> d = getConstantIntValue(dqk);
  if (!transposeKeys || !parallelHeads || ShapedType::isDynamic(skStatic) ||
      skStatic == 0 || ShapedType::isDynamic(sqStatic) || sqStatic <= tileQ ||
      !d || key.getDefiningOp<PagedGatherOp>())
    return nullptr;
  // Whole tiles, the last one padded with zero keys.
  int64_t tiles = llvm::divideCeil(skStatic, tileKV);
  if (*d > kMaxKeysTElements / (tiles * tileKV))
    return nullptr;
  // Worth it when it moves fewer keys than the tiles' own transposes, one
  // per query tile (each key row once, twice when the last tile is padded
  // by a copy first): not with two query tiles over 77 keys, say (a head
  // of 128 padded rows against 2 x 80 rows).
  int64_t rest = skStatic % tileKV;
  int64_t padRest = padKV > 0 && rest % padKV != 0
                        ? llvm::divideCeil(rest, padKV) * padKV
                        : rest;
  // (A padded last tile wider than a tile, tile-kv 4 padded to 8, does not
  // fit its block.)
  if (padRest > tileKV)
    return nullptr;
  int64_t tileCols = skStatic - rest + padRest;
  int64_t queryTiles = llvm::divideCeil(sqStatic, tileQ);
  if (tiles * tileKV * (rest ? 2 : 1) >= queryTiles * tileCols)
    return nullptr;
  Value keys = readKVTile(op.getKey(), idx(0), b.getIndexAttr(skStatic), dqk);
  keys = padTile(keys, tiles * tileKV, *d);
  Type keyElt = cast<RankedTensorType>(keys.getType()).getElementType();
  keys = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get({tiles, tileKV, *d}, keyElt), keys,
      ArrayRef<ReassociationIndices>{{0, 1}, {2}});
  Value init = tensor::EmptyOp::create(
      b, loc, ArrayRef<int64_t>{tiles, *d, tileKV}, keyElt);
  return linalg::TransposeOp::create(b, loc, keys, init,
                                     ArrayRef<int64_t>{0, 2, 1})
      .getResult()[0];
}

/// A tile of an attn.paged_gather of a pool `[N, bs, Hkv, D]` (or
/// `[N, Hkv, bs, D]`), or of an attn.dequantize of one, read from the pool:
/// the tile's keys k0 + [0, cols) are split into pieces of
/// `min(tile-kv, bs)` rows, each inside one block; for each piece, the block
/// id from the table (one i32 per piece), the piece's `[rows, D]` slice of
/// the pool (dequantized by an attn.dequantize of the piece: per-token
/// scales sliced from their pools like the codes, a per-head scale taken at
/// the KV head), and one generic copying (and widening) it into the tile, or
/// zeros when the id is not a valid block (block 0 is read then, so no read
/// is out of bounds). Keys past the context read whatever their block
/// holds: the kv_lens masking hides them and zeroes their V rows. Null when
/// `src` is not such a gather, or its block size and the tile do not divide
/// one another.
/// The block id of entry `n` of this batch's row of the block table, as
/// an index, and whether it is a valid block ([0, numBlocks)); block 0 in
/// place of an invalid one (so that reads stay in bounds).
std::pair<Value, Value> FlashTiler::tableBlock(Value table, Value n,
                                               int64_t numBlocks) {
  Value blk = arith::IndexCastOp::create(
      b, loc, b.getIndexType(),
      tensor::ExtractOp::create(b, loc, table, ValueRange{batchIv, n}));
  Value valid = arith::AndIOp::create(
      b, loc,
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, blk, idx(0)),
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, blk,
                            idx(numBlocks)));
  return {arith::SelectOp::create(b, loc, valid, blk, idx(0)), valid};
}

/// Software prefetches of the pool rows of the piece that starts at key
/// `start` (the next piece of a tile, or the next tile's first): its block
/// id from the table (the last table entry past the table, block 0 for an
/// invalid id), then one prefetch per 64 bytes of each of its `rows` rows.
/// In an NHD pool a KV head's rows are Hkv * D elements apart, two or fewer
/// per 4 KiB page, where the hardware prefetchers, which stay inside a page,
/// do not follow them.
void FlashTiler::prefetchPiece(PagedGatherOp gather, Value start, int64_t rows,
                               int64_t blockSize, int64_t numBlocks,
                               int64_t headDim) {
  Value table = gather.getBlockTable();
  Value width = tensor::DimOp::create(b, loc, table, 1);
  Value last = arith::SubIOp::create(b, loc, width, idx(1));
  Value n = arith::MinUIOp::create(
      b, loc, arith::DivUIOp::create(b, loc, start, idx(blockSize)), last);
  Value slot = arith::RemUIOp::create(b, loc, start, idx(blockSize));
  Value safeBlk = tableBlock(table, n, numBlocks).first;
  auto poolType = cast<RankedTensorType>(gather.getPool().getType());
  Value pool = bufferization::ToBufferOp::create(
      b, loc, MemRefType::get(poolType.getShape(), poolType.getElementType()),
      gather.getPool(), /*readOnly=*/true);
  bool hnd = gather.getCacheLayout() == CacheLayout::HND;
  int64_t eltBytes =
      std::max<int64_t>(1, poolType.getElementTypeBitWidth() / 8);
  int64_t step = std::max<int64_t>(1, 64 / eltBytes);
  for (int64_t r = 0; r < rows; ++r) {
    Value row = arith::AddIOp::create(b, loc, slot, idx(r));
    for (int64_t c = 0; c < headDim; c += step) {
      SmallVector<Value> indices = {safeBlk, row, kvHead, idx(c)};
      if (hnd)
        std::swap(indices[1], indices[2]);
      memref::PrefetchOp::create(b, loc, pool, indices, /*isWrite=*/false,
                                 /*localityHint=*/3, /*isDataCache=*/true);
    }
  }
}

Value FlashTiler::pagedTile(Value src, Value k0, OpFoldResult cols,
                            OpFoldResult dim) {
  auto dequant = src.getDefiningOp<DequantizeOp>();
  PagedGatherOp gather = getStaticGather(dequant ? dequant.getInput() : src);
  std::optional<int64_t> numCols = getConstantIntValue(cols);
  if (!gather || bshd || !numCols)
    return {};
  auto poolType = cast<RankedTensorType>(gather.getPool().getType());
  Type realElt = cast<RankedTensorType>(src.getType()).getElementType();
  if (poolType.getRank() != 4 ||
      !(realElt.isF16() || realElt.isBF16() || realElt.isF32()))
    return {};
  // Quantization parameters of a piece: per-token ones from their pools,
  // per-head ones at the KV head (then per_tensor on the piece).
  QuantAttr pieceQuant;
  PagedGatherOp scaleGather, zeroGather;
  if (dequant) {
    QuantAttr quant = dequant.getQuant();
    switch (quant.getGranularity()) {
    case QuantGranularity::PerToken:
      scaleGather = getStaticGather(dequant.getScale(), gather);
      zeroGather = getStaticGather(dequant.getZeroPoint(), gather);
      if (!scaleGather || (dequant.getZeroPoint() && !zeroGather))
        return {};
      break;
    case QuantGranularity::PerHead:
      if (quant.getAxis() != 1)
        return {};
      break;
    case QuantGranularity::PerTensor:
      break;
    }
    pieceQuant =
        QuantAttr::get(b.getContext(), quant.getScheme(),
                       quant.getGranularity() == QuantGranularity::PerToken
                           ? QuantGranularity::PerToken
                           : QuantGranularity::PerTensor,
                       -1);
  }
  bool hnd = gather.getCacheLayout() == CacheLayout::HND;
  int64_t blockSize = poolType.getDimSize(hnd ? 2 : 1);
  int64_t numBlocks = poolType.getDimSize(0), headDim = poolType.getDimSize(3);
  int64_t rows = std::min(tileKV, blockSize);
  if (tileKV % rows != 0 || blockSize % rows != 0 || *numCols % rows != 0)
    return {};
  Type tileElt = widenTiles ? b.getF32Type() : realElt;
  Value tile = empty({b.getIndexAttr(*numCols), dim}, tileElt);
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  SmallVector<OpFoldResult> unit2(2, one);
  SmallVector<OpFoldResult> pieceSizes = {b.getIndexAttr(rows), dim};
  auto loop = scf::ForOp::create(
      b, loc, idx(0), idx(*numCols / rows), idx(1), ValueRange{tile},
      [&](OpBuilder &, Location l, Value p, ValueRange iter) {
        Value row0 = arith::MulIOp::create(b, l, p, idx(rows));
        Value start = arith::AddIOp::create(b, l, k0, row0);
        Value n = arith::DivUIOp::create(b, l, start, idx(blockSize));
        Value slot = arith::RemUIOp::create(b, l, start, idx(blockSize));
        auto [safeBlk, valid] =
            tableBlock(gather.getBlockTable(), n, numBlocks);
        // The piece's rows of a pool (with or without D): [rows(, D)].
        auto slicePool = [&](Value pool) -> Value {
          auto type = cast<RankedTensorType>(pool.getType());
          bool hasDim = type.getRank() == 4;
          SmallVector<OpFoldResult> offsets = {safeBlk, slot, kvHead};
          SmallVector<OpFoldResult> sizes = {one, b.getIndexAttr(rows), one};
          if (hnd) {
            std::swap(offsets[1], offsets[2]);
            std::swap(sizes[1], sizes[2]);
          }
          SmallVector<int64_t> shape = {rows};
          if (hasDim) {
            offsets.push_back(zero);
            sizes.push_back(dim);
            shape.push_back(headDim);
          }
          SmallVector<OpFoldResult> strides(type.getRank(), one);
          return tensor::ExtractSliceOp::create(
              b, l, RankedTensorType::get(shape, type.getElementType()), pool,
              offsets, sizes, strides);
        };
        // A per-tensor or per-head parameter as the piece's [1] or rank-0
        // tensor.
        auto headParam = [&](Value param) -> Value {
          if (!param ||
              dequant.getQuant().getGranularity() != QuantGranularity::PerHead)
            return param;
          auto type = cast<RankedTensorType>(param.getType());
          return tensor::ExtractSliceOp::create(
              b, l, RankedTensorType::get({1}, type.getElementType()), param,
              ArrayRef<OpFoldResult>{kvHead}, ArrayRef<OpFoldResult>{one},
              ArrayRef<OpFoldResult>{one});
        };
        Value piece = slicePool(gather.getPool());
        if (dequant) {
          Value scale = scaleGather ? slicePool(scaleGather.getPool())
                                    : headParam(dequant.getScale());
          Value zeroPoint = zeroGather ? slicePool(zeroGather.getPool())
                                       : headParam(dequant.getZeroPoint());
          piece = DequantizeOp::create(
              b, l, RankedTensorType::get({rows, headDim}, realElt), piece,
              scale, zeroPoint, pieceQuant);
        }
        if (prefetchPieces)
          prefetchPiece(gather, arith::AddIOp::create(b, l, start, idx(rows)),
                        rows, blockSize, numBlocks, headDim);
        SmallVector<OpFoldResult> at = {row0, zero};
        Value dest = tensor::ExtractSliceOp::create(b, l, iter[0], at,
                                                    pieceSizes, unit2);
        AffineMap id = b.getMultiDimIdentityMap(2);
        Value copied =
            linalg::GenericOp::create(
                b, l, TypeRange{dest.getType()}, ValueRange{piece},
                ValueRange{dest}, ArrayRef<AffineMap>{id, id},
                ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                              utils::IteratorType::parallel},
                [&](OpBuilder &nb, Location bl, ValueRange args) {
                  Value x = args[0];
                  if (x.getType() != tileElt)
                    x = arith::ExtFOp::create(nb, bl, tileElt, x);
                  Value zeroElt = arith::ConstantOp::create(
                      nb, bl, nb.getZeroAttr(tileElt));
                  linalg::YieldOp::create(
                      nb, bl,
                      ValueRange{
                          arith::SelectOp::create(nb, bl, valid, x, zeroElt)
                              .getResult()});
                })
                .getResult(0);
        scf::YieldOp::create(
            b, l,
            ValueRange{tensor::InsertSliceOp::create(b, l, copied, iter[0], at,
                                                     pieceSizes, unit2)
                           .getResult()});
      });
  return loop.getResult(0);
}

SmallVector<Value> FlashTiler::emitKVStep(Value kvTile, ValueRange state,
                                          bool masked,
                                          std::optional<int64_t> staticCols,
                                          Value colLimit) {
  MLIRContext *ctx = b.getContext();
  Type f32Type = b.getF32Type();
  Value m = state[0], l = state[1], acc = state[2];
  bool skDivisible = !op.getKvLens() && !ShapedType::isDynamic(skStatic) &&
                     skStatic % tileKV == 0;
  Value k0 = arith::MulIOp::create(b, loc, kvTile, idx(tileKV));
  OpFoldResult cols = staticCols ? b.getIndexAttr(*staticCols)
                                 : tileSize(k0, tileKV, skEff, skDivisible);
  // The keys' tile, or (keysT) none: Q·Kᵀ reads the transposed keys.
  Value kTile = keysT ? Value() : readKVTile(op.getKey(), k0, cols, dqk);
  Value vTile = readKVTile(op.getValue(), k0, cols, dv);
  // A static tile whose size is not a multiple of the vector length is
  // padded to one: zero K and V rows, their scores hidden below (vector
  // code for the whole tile instead of a partial vector in every row).
  int64_t pad = paddedCols(staticCols);
  // A score-shaped operand's tile, its key columns padded (zeros, hidden
  // anyway) unless it broadcasts over the keys.
  auto scoreTile = [&](Value src, OpFoldResult keyCols) {
    Value tile = extractScoreTile(src, batchIv, headIv, q0, rows, k0, keyCols);
    auto type = cast<RankedTensorType>(tile.getType());
    if (!pad || cast<RankedTensorType>(src.getType()).getDimSize(3) == 1)
      return tile;
    return padTile(tile, type.getDimSize(0), pad);
  };
  if (colLimit) {
    // V rows of hidden keys: zeros.
    vTile = mapTile(vTile, {cols, dv}, [&](OpBuilder &nb, Location l, Value v) {
      Value j =
          arith::AddIOp::create(nb, l, k0, linalg::IndexOp::create(nb, l, 0));
      Value inside =
          arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, j, colLimit);
      Value zero =
          arith::ConstantOp::create(nb, l, nb.getZeroAttr(v.getType()));
      return arith::SelectOp::create(nb, l, inside, v, zero).getResult();
    });
  }
  if (pad) {
    int64_t kRows = *getConstantIntValue(dqk), vRows = *getConstantIntValue(dv);
    if (kTile)
      kTile = padTile(kTile, pad, kRows);
    vTile = padTile(vTile, pad, vRows);
    cols = b.getIndexAttr(pad);
  }

  AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx),
             d2 = getAffineDimExpr(2, ctx);
  auto par = utils::IteratorType::parallel;
  auto red = utils::IteratorType::reduction;
  AffineMap id2 = AffineMap::getMultiDimIdentityMap(2, ctx);
  AffineMap id1 = AffineMap::getMultiDimIdentityMap(1, ctx);
  AffineMap rowOf2 = AffineMap::get(2, 0, {d0}, ctx);

  // S = Q_tile K_tileᵀ, accumulated in f32; K_tileᵀ the `[D, cols]` tile
  // of the transposed keys where there are.
  AffineMap kMap = AffineMap::get(3, 0, {d1, d2}, ctx);
  if (keysT) {
    OpFoldResult zeroIdx = b.getIndexAttr(0), one = b.getIndexAttr(1);
    kTile = tensor::ExtractSliceOp::create(
        b, loc,
        tileType({dqk, cols},
                 cast<RankedTensorType>(keysT.getType()).getElementType()),
        keysT, ArrayRef<OpFoldResult>{kvTile, zeroIdx, zeroIdx},
        ArrayRef<OpFoldResult>{one, dqk, cols},
        ArrayRef<OpFoldResult>{one, one, one});
    kMap = AffineMap::get(3, 0, {d2, d1}, ctx);
  }
  Value scores = filled({rows, cols}, 0.0);
  scores = linalg::GenericOp::create(
               b, loc, TypeRange{scores.getType()}, ValueRange{qTile, kTile},
               ValueRange{scores},
               ArrayRef<AffineMap>{AffineMap::get(3, 0, {d0, d2}, ctx), kMap,
                                   AffineMap::get(3, 0, {d0, d1}, ctx)},
               ArrayRef<utils::IteratorType>{par, par, red},
               [&](OpBuilder &nb, Location l, ValueRange args) {
                 Value q = args[0], k = args[1];
                 if (!q.getType().isF32()) {
                   q = arith::ExtFOp::create(nb, l, nb.getF32Type(), q);
                   k = arith::ExtFOp::create(nb, l, nb.getF32Type(), k);
                 }
                 Value prod = arith::MulFOp::create(nb, l, q, k);
                 Value sum = arith::AddFOp::create(nb, l, args[2], prod);
                 linalg::YieldOp::create(nb, l, sum);
               })
               .getResult(0);

  // Scores in the log2 domain: scale (and softcap), bias, ALiBi, masks.
  SmallVector<Value> ins;
  SmallVector<AffineMap> maps;
  Value bias = op.getBias(), attnMask = op.getAttnMask();
  OpFoldResult realCols = pad ? b.getIndexAttr(*staticCols) : cols;
  if (bias) {
    ins.push_back(scoreTile(bias, realCols));
    maps.push_back(scoreTileMap(bias));
  }
  if (attnMask) {
    ins.push_back(scoreTile(attnMask, realCols));
    maps.push_back(scoreTileMap(attnMask));
  }
  maps.push_back(id2);
  bool needPositions = masked || slope2 || colLimit || pad;
  // With the multiplier in the Q tile and nothing else to apply, S is
  // already in the log2 domain.
  if (!scaleInQ || softcap || bias || attnMask || needPositions)
    scores =
        linalg::GenericOp::create(
            b, loc, TypeRange{scores.getType()}, ins, ValueRange{scores}, maps,
            ArrayRef<utils::IteratorType>{par, par},
            [&](OpBuilder &nb, Location l, ValueRange args) {
              auto cst = [&](double v) -> Value {
                return arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(v));
              };
              Value s = args.back();
              if (!scaleInQ)
                s = arith::MulFOp::create(nb, l, scoreMul, s);
              if (softcap) {
                // log2(e) * cap * tanh(scale / cap * s).
                s = math::TanhOp::create(nb, l, s);
                s = arith::MulFOp::create(nb, l, cst(*softcap * kLog2E), s);
              }
              unsigned next = 0;
              if (bias) {
                Value bv = toF32(args[next++]);
                bv = arith::MulFOp::create(nb, l, cst(kLog2E), bv);
                s = arith::AddFOp::create(nb, l, s, bv);
              }
              auto ninf = [&] {
                return cst(-std::numeric_limits<double>::infinity());
              };
              if (attnMask) {
                Value mv = args[next++];
                if (mv.getType().isInteger(1)) {
                  s = arith::SelectOp::create(nb, l, mv, s, ninf());
                } else {
                  mv = arith::MulFOp::create(nb, l, cst(kLog2E), toF32(mv));
                  s = arith::AddFOp::create(nb, l, s, mv);
                }
              }
              if (!needPositions) {
                linalg::YieldOp::create(nb, l, s);
                return;
              }
              // Query row i, key column j and the diagonal d(i).
              Value i = arith::AddIOp::create(
                  nb, l, q0, linalg::IndexOp::create(nb, l, 0));
              Value j = arith::AddIOp::create(
                  nb, l, k0, linalg::IndexOp::create(nb, l, 1));
              Value d = arith::AddIOp::create(nb, l, i, diagOffset);
              if (slope2) {
                Value dist = arith::SubIOp::create(nb, l, j, d);
                dist = arith::IndexCastOp::create(nb, l, nb.getI64Type(), dist);
                dist = arith::SIToFPOp::create(nb, l, nb.getF32Type(), dist);
                dist = arith::MulFOp::create(nb, l, slope2, dist);
                s = arith::AddFOp::create(nb, l, s, dist);
              }
              if (masked) {
                auto cmp = [&](arith::CmpIPredicate p, Value x, Value y) {
                  return arith::CmpIOp::create(nb, l, p, x, y).getResult();
                };
                auto cidx = [&](int64_t v) -> Value {
                  return arith::ConstantIndexOp::create(nb, l, v);
                };
                Value visible;
                auto conj = [&](Value c) {
                  visible =
                      visible ? arith::AndIOp::create(nb, l, visible, c) : c;
                };
                if (maskShape.causal)
                  conj(cmp(arith::CmpIPredicate::sle, j, d));
                if (maskShape.windowLeft >= 0)
                  conj(cmp(arith::CmpIPredicate::sge, j,
                           arith::SubIOp::create(nb, l, d,
                                                 cidx(maskShape.windowLeft))));
                if (maskShape.windowRight >= 0)
                  conj(cmp(arith::CmpIPredicate::sle, j,
                           arith::AddIOp::create(nb, l, d,
                                                 cidx(maskShape.windowRight))));
                if (visible)
                  s = arith::SelectOp::create(nb, l, visible, s, ninf());
              }
              if (colLimit)
                s = arith::SelectOp::create(
                    nb, l,
                    arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, j,
                                          colLimit),
                    s, ninf());
              if (pad) // The padding's columns.
                s = arith::SelectOp::create(
                    nb, l,
                    arith::CmpIOp::create(
                        nb, l, arith::CmpIPredicate::slt,
                        linalg::IndexOp::create(nb, l, 1),
                        arith::ConstantIndexOp::create(nb, l, *staticCols)),
                    s, ninf());
              linalg::YieldOp::create(nb, l, s);
            })
            .getResult(0);
  // m_new = max(m, rowmax(S)) and alpha = exp2(m - m_new), with m_new = -inf
  // read as 0. m_new overwrites m in place so that the loop carries it in
  // the same buffer.
  Value rowMax =
      linalg::GenericOp::create(
          b, loc, TypeRange{m.getType()}, ValueRange{scores},
          ValueRange{filled({rows}, -std::numeric_limits<double>::infinity())},
          ArrayRef<AffineMap>{id2, rowOf2},
          ArrayRef<utils::IteratorType>{par, red},
          [&](OpBuilder &nb, Location l, ValueRange args) {
            linalg::YieldOp::create(
                nb, l,
                ValueRange{arith::MaximumFOp::create(nb, l, args[0], args[1])
                               .getResult()});
          })
          .getResults()[0];
  auto update = linalg::GenericOp::create(
      b, loc, TypeRange{m.getType(), m.getType()}, ValueRange{rowMax},
      ValueRange{m, empty({rows}, f32Type)}, ArrayRef<AffineMap>{id1, id1, id1},
      ArrayRef<utils::IteratorType>{par},
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value mNew = arith::MaximumFOp::create(nb, l, args[1], args[0]);
        Value diff =
            arith::SubFOp::create(nb, l, args[1], safeMax(nb, l, mNew));
        linalg::YieldOp::create(
            nb, l, ValueRange{mNew, math::Exp2Op::create(nb, l, diff)});
      });
  Value mNew = update.getResult(0), alpha = update.getResult(1);
  // p = exp2(S - m_new), in place of S.
  Value probs =
      linalg::GenericOp::create(
          b, loc, TypeRange{scores.getType()}, ValueRange{mNew},
          ValueRange{scores}, ArrayRef<AffineMap>{rowOf2, id2},
          ArrayRef<utils::IteratorType>{par, par},
          [&](OpBuilder &nb, Location l, ValueRange args) {
            Value diff =
                arith::SubFOp::create(nb, l, args[1], safeMax(nb, l, args[0]));
            linalg::YieldOp::create(
                nb, l,
                ValueRange{math::Exp2Op::create(nb, l, diff).getResult()});
          })
          .getResult(0);
  // l = alpha * l + rowsum(p).
  Value lScaled =
      linalg::GenericOp::create(
          b, loc, TypeRange{l.getType()}, ValueRange{alpha}, ValueRange{l},
          ArrayRef<AffineMap>{id1, id1}, ArrayRef<utils::IteratorType>{par},
          [&](OpBuilder &nb, Location lc, ValueRange args) {
            linalg::YieldOp::create(
                nb, lc,
                ValueRange{arith::MulFOp::create(nb, lc, args[0], args[1])
                               .getResult()});
          })
          .getResult(0);
  Value lNew =
      linalg::GenericOp::create(
          b, loc, TypeRange{l.getType()}, ValueRange{probs},
          ValueRange{lScaled}, ArrayRef<AffineMap>{id2, rowOf2},
          ArrayRef<utils::IteratorType>{par, red},
          [&](OpBuilder &nb, Location lc, ValueRange args) {
            linalg::YieldOp::create(
                nb, lc,
                ValueRange{arith::AddFOp::create(nb, lc, args[0], args[1])
                               .getResult()});
          })
          .getResult(0);
  // O = alpha * O + p V_tile.
  Value accScaled =
      linalg::GenericOp::create(
          b, loc, TypeRange{acc.getType()}, ValueRange{alpha}, ValueRange{acc},
          ArrayRef<AffineMap>{rowOf2, id2},
          ArrayRef<utils::IteratorType>{par, par},
          [&](OpBuilder &nb, Location lc, ValueRange args) {
            linalg::YieldOp::create(
                nb, lc,
                ValueRange{arith::MulFOp::create(nb, lc, args[0], args[1])
                               .getResult()});
          })
          .getResult(0);
  Value accNew =
      linalg::MatmulOp::create(b, loc, TypeRange{acc.getType()},
                               ValueRange{probs, vTile}, ValueRange{accScaled})
          .getResult(0);
  return {mNew, lNew, accNew};
}

SmallVector<Value> FlashTiler::emitKVLoop(Value begin, Value end,
                                          ValueRange state, bool masked) {
  // A static key length that is not a multiple of the tile: full tiles in
  // the loop and the last one peeled, both with static sizes (dynamic tile
  // sizes would keep the whole loop from vectorizing).
  if (peelTiles && op.getKvLens() && !ShapedType::isDynamic(skStatic))
    return emitKVLoopWithLengths(begin, end, state, masked);
  bool peel = peelTiles && !op.getKvLens() &&
              !ShapedType::isDynamic(skStatic) && skStatic % tileKV != 0;
  int64_t full = peel ? skStatic / tileKV : 0;
  Value loopEnd =
      peel ? arith::MinSIOp::create(b, loc, end, idx(full)).getResult() : end;
  auto loop = scf::ForOp::create(
      b, loc, begin, loopEnd, idx(1), state,
      [&](OpBuilder &, Location l, Value iv, ValueRange args) {
        // The body builder is `b` itself, positioned in the loop body.
        SmallVector<Value> next =
            emitKVStep(iv, args, masked,
                       peel ? std::optional<int64_t>(tileKV) : std::nullopt);
        scf::YieldOp::create(b, l, next);
      });
  SmallVector<Value> result(loop.getResults());
  if (!peel)
    return result;
  // The partial tile (index `full`) when it is in [begin, end).
  Value last = idx(full);
  scf::IfOp ifOp = ifTileInRange(begin, last, end, result);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    scf::YieldOp::create(b, loc,
                         emitKVStep(last, result, masked, skStatic % tileKV));
  }
  return SmallVector<Value>(ifOp.getResults());
}

SmallVector<Value> FlashTiler::emitKVLoopWithLengths(Value begin, Value end,
                                                     ValueRange state,
                                                     bool masked) {
  // Tiles [0, full) lie inside the key length skEff; tile `full` is the
  // partial one when skEff is not a multiple of the tile.
  Value full = arith::DivUIOp::create(b, loc, skEff, idx(tileKV));
  Value loopEnd = arith::MinSIOp::create(b, loc, end, full);
  auto loop = scf::ForOp::create(
      b, loc, begin, loopEnd, idx(1), state,
      [&](OpBuilder &, Location l, Value iv, ValueRange args) {
        SmallVector<Value> next = emitKVStep(iv, args, masked, tileKV);
        scf::YieldOp::create(b, l, next);
      });
  SmallVector<Value> result(loop.getResults());
  scf::IfOp ifOp = ifTileInRange(begin, full, end, result);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(ifOp.thenBlock());
  int64_t lastCols = skStatic % tileKV;
  if (lastCols == 0) {
    // Every tile start leaves a whole tile before Sk.
    scf::YieldOp::create(b, loc,
                         emitKVStep(full, result, masked, tileKV, skEff));
    return SmallVector<Value>(ifOp.getResults());
  }
  // A tile that starts in the last, shorter tile of Sk has its size.
  Value fits = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, full,
                                     idx(skStatic / tileKV));
  auto sizeIf = scf::IfOp::create(b, loc, TypeRange(ValueRange(result)), fits,
                                  /*withElseRegion=*/true);
  {
    OpBuilder::InsertionGuard inner(b);
    b.setInsertionPointToStart(sizeIf.thenBlock());
    scf::YieldOp::create(b, loc,
                         emitKVStep(full, result, masked, tileKV, skEff));
    b.setInsertionPointToStart(sizeIf.elseBlock());
    scf::YieldOp::create(b, loc,
                         emitKVStep(full, result, masked, lastCols, skEff));
  }
  scf::YieldOp::create(b, loc, sizeIf.getResults());
  return SmallVector<Value>(ifOp.getResults());
}

SmallVector<Value> FlashTiler::emit() {
  auto qType = cast<RankedTensorType>(op.getQuery().getType());
  auto oType = cast<RankedTensorType>(op.getResult().getType());
  bshd = op.getLayout() == Layout::BSHD;
  HeadsDims dims = getHeadsDims(bshd, /*varlen=*/false);
  elt = qType.getElementType();
  scale = op.getEffectiveScale();
  if (std::optional<APFloat> cap = op.getSoftcap())
    softcap = cap->convertToDouble();
  if (op.getScale() || !qType.isDynamicDim(qType.getRank() - 1)) {
    scoreMul = f32(softcap ? scale / *softcap : scale * kLog2E);
  } else {
    // Default scale 1/sqrt(head_dim) with a dynamic head dim.
    Value d = size(op.getQuery(), qType.getRank() - 1);
    d = arith::IndexCastOp::create(b, loc, b.getI64Type(), d);
    d = arith::SIToFPOp::create(b, loc, b.getF32Type(), d);
    Value inv =
        arith::DivFOp::create(b, loc, f32(softcap ? 1.0 / *softcap : kLog2E),
                              math::SqrtOp::create(b, loc, d));
    scoreMul = inv;
  }
  MaskAttr mask = op.getEffectiveMask();
  maskShape.causal = mask.getCausal();
  maskShape.bottomRight = mask.getAlign() == MaskAlign::BottomRight;
  maskShape.windowLeft = mask.getWindowLeft();
  maskShape.windowRight = mask.getWindowRight();

  Value query = op.getQuery(), key = op.getKey(), value = op.getValue();
  Value batches = size(query, dims.batch);
  Value qHeads = size(query, dims.heads);
  sq = size(query, dims.seq);
  sk = size(key, dims.seq);
  dqk = foldSize(tensor::getMixedSize(b, loc, query, dims.dim));
  dv = foldSize(tensor::getMixedSize(b, loc, value, dims.dim));
  sqStatic = qType.getDimSize(dims.seq);
  skStatic = cast<RankedTensorType>(key.getType()).getDimSize(dims.seq);
  int64_t hq = qType.getDimSize(dims.heads);
  int64_t hkv = cast<RankedTensorType>(key.getType()).getDimSize(dims.heads);
  Value group =
      (!ShapedType::isDynamic(hq) && !ShapedType::isDynamic(hkv))
          ? idx(hq / hkv)
          : arith::DivSIOp::create(b, loc, qHeads, size(key, dims.heads))
                .getResult();

  // Compile-time block classes when the lengths are known; otherwise they
  // are computed per query tile at run time.
  // The table has one row per query tile: beyond kMaxTableTiles rows (e.g.
  // 2^31 queries) the classes are computed at run time too, so compile
  // time and IR size stay bounded.
  constexpr int64_t kMaxTableTiles = 1 << 16;
  bool staticLengths = !op.getKvLens() && !ShapedType::isDynamic(sqStatic) &&
                       !ShapedType::isDynamic(skStatic);
  Value table;
  if (staticLengths && !maskShape.isFull() &&
      (sqStatic + tileQ - 1) / tileQ <= kMaxTableTiles) {
    std::vector<KVTileRanges<int64_t>> classes =
        classify(tileQ, tileKV, sqStatic, skStatic, maskShape);
    SmallVector<int64_t> flat;
    for (const KVTileRanges<int64_t> &c : classes)
      flat.append({c.visBegin, c.fullBegin, c.fullEnd, c.visEnd});
    auto tableType = RankedTensorType::get(
        {static_cast<int64_t>(classes.size()), 4}, b.getI64Type());
    table = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(tableType, ArrayRef<int64_t>(flat)));
  }

  // Destinations, of the op's result types (sizes the op leaves dynamic stay
  // dynamic even where they fold to constants).
  auto destination = [&](RankedTensorType type, ArrayRef<Value> sizes) {
    SmallVector<Value> dynamicSizes;
    for (auto [d, sz] : llvm::enumerate(sizes))
      if (type.isDynamicDim(d))
        dynamicSizes.push_back(sz);
    return tensor::EmptyOp::create(b, loc, type, dynamicSizes).getResult();
  };
  SmallVector<Value> outSizes(4);
  outSizes[dims.batch] = batches;
  outSizes[dims.heads] = qHeads;
  outSizes[dims.seq] = sq;
  outSizes[dims.dim] = size(value, dims.dim);
  SmallVector<Value> inits = {destination(oType, outSizes)};
  bool wantLse = op.getLse() != nullptr;
  if (wantLse)
    inits.push_back(destination(cast<RankedTensorType>(op.getLse().getType()),
                                {batches, qHeads, sq}));

  Value numQTiles = arith::CeilDivSIOp::create(b, loc, sq, idx(tileQ));
  bool sqDivisible = !ShapedType::isDynamic(sqStatic) && sqStatic % tileQ == 0;

  // Per batch entry: its key length and mask diagonal.
  auto setBatch = [&](Value bIv) {
    batchIv = bIv;
    // Per-sequence key length and mask diagonal.
    skEff = sk;
    if (Value lens = op.getKvLens()) {
      Value len = tensor::ExtractOp::create(b, loc, lens, ValueRange{bIv});
      len = arith::IndexCastOp::create(b, loc, b.getIndexType(), len);
      len = arith::MaxSIOp::create(b, loc, len, idx(0));
      skEff = arith::MinSIOp::create(b, loc, len, sk);
    }
    diagOffset = maskShape.bottomRight
                     ? arith::SubIOp::create(b, loc, skEff, sq).getResult()
                     : idx(0);
  };
  // Per (batch entry, query head): every query tile, into `hArgs` (out and
  // lse, whole or this head's slices, see outBatch/outHead).
  auto headBody = [&](Value hIv, ValueRange hArgs) -> SmallVector<Value> {
    headIv = hIv;
    kvHead = arith::DivSIOp::create(b, loc, hIv, group);
    keysT = transposedKeys();
    slope2 = nullptr;
    if (Value slopes = op.getAlibiSlopes()) {
      Value s = tensor::ExtractOp::create(b, loc, slopes, ValueRange{hIv});
      slope2 = arith::MulFOp::create(b, loc, s, f32(kLog2E));
    }
    // One query tile: `tileRows` its row count (static when
    // known). Returns the updated out (and lse).
    auto qTileBody =
        [&](Value qtIv, ValueRange qArgs,
            std::optional<int64_t> tileRows) -> SmallVector<Value> {
      q0 = arith::MulIOp::create(b, loc, qtIv, idx(tileQ));
      rows = tileRows ? b.getIndexAttr(*tileRows)
                      : tileSize(q0, tileQ, sq, sqDivisible);
      qTile =
          widenTile(extractHeadsTile(query, batchIv, headIv, q0, rows, dqk));
      // An f32 Q tile takes the scores' multiplier once (rows x D products)
      // instead of every score tile (rows x keys per key tile).
      scaleInQ =
          cast<RankedTensorType>(qTile.getType()).getElementType().isF32();
      if (scaleInQ)
        qTile = mapTile(qTile, {rows, dqk},
                        [&](OpBuilder &nb, Location l, Value q) -> Value {
                          return arith::MulFOp::create(nb, l, scoreMul, q);
                        });
      SmallVector<Value> state = {
          filled({rows}, -std::numeric_limits<double>::infinity()),
          filled({rows}, 0.0), filled({rows, dv}, 0.0)};
      if (maskShape.isFull()) {
        Value numKVTiles =
            arith::CeilDivSIOp::create(b, loc, skEff, idx(tileKV));
        state = emitKVLoop(idx(0), numKVTiles, state,
                           /*masked=*/false);
      } else {
        KVTileRanges<Value> r;
        if (table) {
          auto at = [&](int64_t col) -> Value {
            Value v = tensor::ExtractOp::create(b, loc, table,
                                                ValueRange{qtIv, idx(col)});
            return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
          };
          r = {at(0), at(1), at(2), at(3)};
        } else {
          IndexDomain dom{b, loc};
          Value q1 = arith::AddIOp::create(
              b, loc, q0, getValueOrCreateConstantIndexOp(b, loc, rows));
          r = classifyKVTiles(dom, maskShape, tileKV, q0, q1, skEff,
                              diagOffset);
        }
        // Partial tiles before the fully visible ones, the
        // fully visible ones (no mask code), partial after.
        state = emitKVLoop(r.visBegin, r.fullBegin, state,
                           /*masked=*/true);
        state = emitKVLoop(r.fullBegin, r.fullEnd, state,
                           /*masked=*/false);
        state = emitKVLoop(r.fullEnd, r.visEnd, state,
                           /*masked=*/true);
      }
      Value m = state[0], l = state[1], acc = state[2];
      MLIRContext *ctx = b.getContext();
      AffineMap id1 = AffineMap::getMultiDimIdentityMap(1, ctx);
      AffineMap id2 = AffineMap::getMultiDimIdentityMap(2, ctx);
      AffineMap rowOf2 = AffineMap::get(2, 0, {getAffineDimExpr(0, ctx)}, ctx);
      auto par = utils::IteratorType::parallel;
      Type outElt = oType.getElementType();
      // O / l, rows that saw no key give 0. With parallelHeads (the CPU
      // form), written into the output's tile itself, so that the insert
      // below writes in place (no copy of the tile); otherwise into a new
      // tile (the loops over query tiles carry the output only to insert
      // into it, which attn-flash-loops-to-forall relies on).
      SmallVector<OpFoldResult> offsets, sizes;
      headsSlice(outBatch, outHead, q0, rows, dv, offsets, sizes);
      SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
      Value outInit = parallelHeads ? tensor::ExtractSliceOp::create(
                                          b, loc, tileType({rows, dv}, outElt),
                                          qArgs[0], offsets, sizes, strides)
                                          .getResult()
                                    : empty({rows, dv}, outElt);
      Value out =
          linalg::GenericOp::create(
              b, loc, TypeRange{outInit.getType()}, ValueRange{l, acc},
              ValueRange{outInit}, ArrayRef<AffineMap>{rowOf2, id2, id2},
              ArrayRef<utils::IteratorType>{par, par},
              [&](OpBuilder &nb, Location lc, ValueRange args) {
                Value zero =
                    arith::ConstantOp::create(nb, lc, nb.getF32FloatAttr(0.0));
                Value empty = arith::CmpFOp::create(
                    nb, lc, arith::CmpFPredicate::OEQ, args[0], zero);
                Value q = arith::DivFOp::create(nb, lc, args[1], args[0]);
                q = arith::SelectOp::create(nb, lc, empty, zero, q);
                if (!outElt.isF32())
                  q = arith::TruncFOp::create(nb, lc, outElt, q);
                linalg::YieldOp::create(nb, lc, q);
              })
              .getResult(0);
      SmallVector<Value> results = {tensor::InsertSliceOp::create(
          b, loc, out, qArgs[0], offsets, sizes, strides)};
      if (wantLse) {
        // lse = (m + log2(l)) * ln(2); -inf for empty rows.
        Value lseTile =
            linalg::GenericOp::create(
                b, loc, TypeRange{m.getType()}, ValueRange{m, l},
                ValueRange{empty({rows}, b.getF32Type())},
                ArrayRef<AffineMap>{id1, id1, id1},
                ArrayRef<utils::IteratorType>{par},
                [&](OpBuilder &nb, Location lc, ValueRange args) {
                  auto cst = [&](double v) -> Value {
                    return arith::ConstantOp::create(nb, lc,
                                                     nb.getF32FloatAttr(v));
                  };
                  Value emptyRow = arith::CmpFOp::create(
                      nb, lc, arith::CmpFPredicate::OEQ, args[1], cst(0.0));
                  Value v = arith::AddFOp::create(
                      nb, lc, args[0], math::Log2Op::create(nb, lc, args[1]));
                  v = arith::MulFOp::create(nb, lc, v, cst(kLn2));
                  v = arith::SelectOp::create(
                      nb, lc, emptyRow,
                      cst(-std::numeric_limits<double>::infinity()), v);
                  linalg::YieldOp::create(nb, lc, v);
                })
                .getResult(0);
        OpFoldResult one = b.getIndexAttr(1);
        results.push_back(tensor::InsertSliceOp::create(
            b, loc, lseTile, qArgs[1],
            ArrayRef<OpFoldResult>{outBatch, outHead, q0},
            ArrayRef<OpFoldResult>{one, one, rows},
            ArrayRef<OpFoldResult>{one, one, one}));
      }
      return results;
    };
    // A static query length that is not a multiple of the tile:
    // full tiles in the loop, the last one peeled (static sizes
    // throughout, so every tile vectorizes).
    bool peelQ = peelTiles && !ShapedType::isDynamic(sqStatic) &&
                 sqStatic > 0 && !sqDivisible;
    int64_t fullQ = peelQ ? sqStatic / tileQ : 0;
    auto qLoop = scf::ForOp::create(
        b, loc, idx(0), peelQ ? idx(fullQ) : numQTiles, idx(1), hArgs,
        [&](OpBuilder &, Location, Value qtIv, ValueRange qArgs) {
          scf::YieldOp::create(b, loc,
                               qTileBody(qtIv, qArgs,
                                         peelQ || sqDivisible
                                             ? std::optional<int64_t>(tileQ)
                                             : std::nullopt));
        });
    SmallVector<Value> headResults(qLoop.getResults());
    if (peelQ)
      headResults = qTileBody(idx(fullQ), headResults, sqStatic % tileQ);
    return headResults;
  };

  if (parallelHeads) {
    // One scf.forall over (batch, query head): each iteration fills its
    // head's slices of out and lse, extracted from the shared outputs and
    // inserted back in parallel.
    OpFoldResult sqFold =
        foldSize(tensor::getMixedSize(b, loc, query, dims.seq));
    auto forall = scf::ForallOp::create(
        b, loc,
        ArrayRef<OpFoldResult>{getAsOpFoldResult(batches),
                               getAsOpFoldResult(qHeads)},
        inits, std::nullopt, [&](OpBuilder &, Location, ValueRange args) {
          Value bIv = args[0], hIv = args[1];
          ValueRange shared = args.drop_front(2);
          setBatch(bIv);
          OpFoldResult one = b.getIndexAttr(1), zero = b.getIndexAttr(0);
          SmallVector<OpFoldResult> oOffsets, oSizes;
          headsSlice(bIv, hIv, idx(0), sqFold, dv, oOffsets, oSizes);
          SmallVector<OpFoldResult> oStrides(4, one), lStrides(3, one);
          SmallVector<OpFoldResult> lOffsets = {bIv, hIv, zero};
          SmallVector<OpFoldResult> lSizes = {one, one, sqFold};
          SmallVector<Value> slices = {tensor::ExtractSliceOp::create(
              b, loc, shared[0], oOffsets, oSizes, oStrides)};
          if (wantLse)
            slices.push_back(tensor::ExtractSliceOp::create(
                b, loc, shared[1], lOffsets, lSizes, lStrides));
          outBatch = outHead = idx(0);
          SmallVector<Value> results = headBody(hIv, slices);
          auto inParallel = scf::InParallelOp::create(b, loc);
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(inParallel.getBody());
          tensor::ParallelInsertSliceOp::create(b, loc, results[0], shared[0],
                                                oOffsets, oSizes, oStrides);
          if (wantLse)
            tensor::ParallelInsertSliceOp::create(b, loc, results[1], shared[1],
                                                  lOffsets, lSizes, lStrides);
        });
    return SmallVector<Value>(forall.getResults());
  }

  auto batchLoop = scf::ForOp::create(
      b, loc, idx(0), batches, idx(1), inits,
      [&](OpBuilder &, Location, Value bIv, ValueRange bArgs) {
        setBatch(bIv);
        auto headLoop = scf::ForOp::create(
            b, loc, idx(0), qHeads, idx(1), bArgs,
            [&](OpBuilder &, Location, Value hIv, ValueRange hArgs) {
              outBatch = batchIv;
              outHead = hIv;
              scf::YieldOp::create(b, loc, headBody(hIv, hArgs));
            });
        scf::YieldOp::create(b, loc, headLoop.getResults());
      });
  return SmallVector<Value>(batchLoop.getResults());
}

/// Rewrites a supported `attn.sdpa` into its flash-tiled form.
struct FlashTileSdpa : OpRewritePattern<SdpaOp> {
  FlashTileSdpa(MLIRContext *ctx, const FlashTilePassOptions &options)
      : OpRewritePattern(ctx), options(options) {}

  LogicalResult matchAndRewrite(SdpaOp op,
                                PatternRewriter &rewriter) const override {
    if (options.tileQ <= 0 || options.tileKV <= 0)
      return rewriter.notifyMatchFailure(op, "expected positive tile sizes");
    StringRef reason = getUnsupportedReason(op);
    if (!reason.empty())
      return rewriter.notifyMatchFailure(op, reason);
    FlashTiler tiler(op, rewriter, options);
    rewriter.replaceOp(op, tiler.emit());
    return success();
  }

  FlashTilePassOptions options;
};

struct FlashTilePass : attn::impl::FlashTilePassBase<FlashTilePass> {
  using FlashTilePassBase::FlashTilePassBase;

  /// Bad option values are reported with the options (no location, no
  /// module dump), like values that do not parse.
  LogicalResult initializeOptions(
      StringRef options,
      function_ref<LogicalResult(const Twine &)> errorHandler) override {
    if (failed(Pass::initializeOptions(options, errorHandler)))
      return failure();
    if (tileQ <= 0 || tileKV <= 0)
      return errorHandler(
          "expected positive tile sizes, got tile-q = " +
          Twine(static_cast<int64_t>(tileQ)) +
          " and tile-kv = " + Twine(static_cast<int64_t>(tileKV)));
    if (padKV < 0)
      return errorHandler("expected pad-kv >= 0, got " +
                          Twine(static_cast<int64_t>(padKV)));
    return success();
  }

  void runOnOperation() override {
    if (tileQ <= 0 || tileKV <= 0) {
      // A pipeline's options reach here unchecked: say it at the operation's
      // location, without printing the operation.
      mlir::emitError(getOperation()->getLoc())
          << "expected positive tile sizes, got tile-q = "
          << static_cast<int64_t>(tileQ)
          << " and tile-kv = " << static_cast<int64_t>(tileKV);
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    FlashTilePassOptions options;
    options.tileQ = tileQ;
    options.tileKV = tileKV;
    options.peel = peel;
    options.widen = widen;
    options.parallelHeads = parallelHeads;
    options.padKV = padKV;
    options.transposeKeys = transposeKeys;
    options.prefetchPages = prefetchPages;
    populateFlashTilePatterns(patterns, options);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
    // Gathers whose tiles were read from the pools (and their dequantizes)
    // are left without uses: erased, users first.
    SmallVector<Operation *> dead;
    getOperation()->walk([&](Operation *op) {
      auto dequant = dyn_cast<DequantizeOp>(op);
      if (isa<PagedGatherOp>(op) ||
          (dequant && dequant.getInput().getDefiningOp<PagedGatherOp>()))
        dead.push_back(op);
    });
    for (Operation *op : llvm::reverse(dead))
      if (op->use_empty())
        op->erase();
  }
};

} // namespace

void mlir::attn::populateFlashTilePatterns(
    RewritePatternSet &patterns, const FlashTilePassOptions &options) {
  patterns.add<FlashTileSdpa>(patterns.getContext(), options);
}
