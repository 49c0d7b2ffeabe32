//===- SplitKV.cpp - the attn-split-kv pass -------------------------------===//
//
// Splits a decode-shaped `attn.sdpa` (few queries, many keys) along the keys
// into chunk ops that each return their log-sum-exp, merged by one
// `attn.combine` (FlashDecoding). A chunk keeps the original mask diagonal:
// its `#attn.mask` is rewritten per chunk, chosen among the alignments the
// attribute can express and checked element by element against the
// original mask.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"
#include "attn/Dialect/Attn/Utils/ShapeUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

#include <limits>

namespace mlir::attn {
#define GEN_PASS_DEF_SPLITKVPASS
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// Keys per chunk when the number of splits is chosen automatically, and
/// the most chunks of an automatic split (more keys: larger chunks).
constexpr int64_t kAutoChunkKeys = 512;
constexpr int64_t kMaxAutoSplits = 64;
/// Bounds that keep planning O(queries x chunks) small: more splits or
/// queries than this leave the op alone.
constexpr int64_t kMaxSplits = 1024;
constexpr int64_t kMaxPlannedQueries = 4096;

int64_t satAdd(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r))
    return b > 0 ? std::numeric_limits<int64_t>::max()
                 : std::numeric_limits<int64_t>::min();
  return r;
}

/// The keys [lo, hi] query row i sees under `mask` (hi < lo: none),
/// clamped to [0, sk - 1]; saturating, so no size overflows.
std::pair<int64_t, int64_t> visibleInterval(MaskAttr mask, int64_t i,
                                            int64_t sq, int64_t sk) {
  int64_t diag = mask.getAlign() == MaskAlign::BottomRight
                     ? satAdd(i, satAdd(sk, -sq))
                     : i;
  int64_t lo = 0, hi = sk - 1;
  if (mask.getCausal())
    hi = std::min(hi, diag);
  if (mask.getWindowLeft() >= 0)
    lo = std::max(lo, satAdd(diag, -mask.getWindowLeft()));
  if (mask.getWindowRight() >= 0)
    hi = std::min(hi, satAdd(diag, mask.getWindowRight()));
  return {lo, hi};
}

/// One key chunk: keys [begin, begin + size) and the mask it runs with
/// (null: no mask).
struct Chunk {
  int64_t begin, size;
  MaskAttr mask;
};

/// The chunks of `op`, or failure (with the reason) when the op is left
/// alone.
FailureOr<SmallVector<Chunk>> planChunks(SdpaOp op, int64_t numSplits,
                                         int64_t maxQueryLen,
                                         std::string &reason) {
  auto fail = [&](StringRef why) {
    reason = why.str();
    return failure();
  };
  if (op.isVarlen())
    return fail("varlen");
  auto qType = cast<RankedTensorType>(op.getQuery().getType());
  auto kType = cast<RankedTensorType>(op.getKey().getType());
  auto vType = cast<RankedTensorType>(op.getValue().getType());
  if (!qType.hasStaticShape() || !kType.hasStaticShape() ||
      !vType.hasStaticShape())
    return fail("dynamic shapes");
  HeadsDims dims = getHeadsDims(op.getLayout() == Layout::BSHD, false);
  int64_t sq = qType.getDimSize(dims.seq), sk = kType.getDimSize(dims.seq);
  if (sq > maxQueryLen || sq > kMaxPlannedQueries)
    return fail("too many queries");
  if (numSplits > kMaxSplits)
    return fail("more than 1024 splits");
  for (Value v : {op.getBias(), op.getAttnMask()})
    if (v && cast<RankedTensorType>(v.getType()).isDynamicDim(3))
      return fail("dynamic bias or attn_mask columns");
  int64_t chunk = numSplits > 0
                      ? (sk + numSplits - 1) / numSplits
                      : std::max(kAutoChunkKeys,
                                 (sk + kMaxAutoSplits - 1) / kMaxAutoSplits);
  if (chunk <= 0 || (sk + chunk - 1) / chunk < 2)
    return fail("too few keys");

  MaskAttr mask = op.getEffectiveMask();
  bool alibi = op.getAlibiSlopes() != nullptr;
  // With key lengths the diagonal of a bottom-right mask (and the ALiBi
  // distances) depend on the run-time length: not expressible per chunk.
  if (op.getKvLens() && (!mask.isFull() || alibi))
    return fail("mask or ALiBi with kv_lens");

  MLIRContext *ctx = op.getContext();
  int64_t offset = mask.getAlign() == MaskAlign::BottomRight ? sk - sq : 0;
  SmallVector<Chunk> chunks;
  for (int64_t begin = 0; begin < sk; begin += chunk) {
    int64_t size = std::min(chunk, sk - begin);
    // Row i sees keys [lo, hi] of the chunk (relative to its begin).
    SmallVector<std::pair<int64_t, int64_t>> rows;
    int64_t visible = 0;
    for (int64_t i = 0; i < sq; ++i) {
      auto [lo, hi] = visibleInterval(mask, i, sq, sk);
      lo = std::max(lo, begin) - begin;
      hi = std::min(hi, begin + size - 1) - begin;
      rows.push_back({lo, hi});
      visible += std::max<int64_t>(0, hi - lo + 1);
    }
    if (visible == 0)
      continue; // No query sees this chunk: its partial would be empty.
    if (visible == sq * size && !alibi) {
      chunks.push_back({begin, size, nullptr});
      continue;
    }
    // The chunk sees keys [lo(i) - begin, hi(i) - begin] of its own. A
    // chunk mask with diagonal d'(i) = i + o (o = 0 top-left, size - sq
    // bottom-right) expresses that with its window bounds shifted by
    // delta = (d(i) - begin) - d'(i); bounds that cut nothing in the chunk
    // may be dropped. ALiBi needs the diagonal itself: delta = 0. Every
    // candidate is checked against the original mask element by element.
    std::optional<MaskAttr> found;
    for (MaskAlign align : {MaskAlign::TopLeft, MaskAlign::BottomRight}) {
      int64_t chunkOffset = align == MaskAlign::BottomRight ? size - sq : 0;
      int64_t delta = offset - begin - chunkOffset;
      if (alibi && delta != 0)
        continue;
      SmallVector<int64_t> lefts = {-1};
      if (mask.getWindowLeft() >= 0 && mask.getWindowLeft() - delta >= 0)
        lefts.push_back(mask.getWindowLeft() - delta);
      // Upper bounds: (causal, window_right).
      SmallVector<std::pair<bool, int64_t>> uppers = {{false, -1}};
      if (mask.getCausal() && delta == 0)
        uppers.push_back({true, mask.getWindowRight()});
      if (mask.getCausal() && delta >= 0)
        uppers.push_back({false, delta});
      if (mask.getWindowRight() >= 0 && mask.getWindowRight() + delta >= 0)
        uppers.push_back({false, mask.getWindowRight() + delta});
      for (int64_t left : lefts) {
        for (auto [causal, right] : uppers) {
          auto candidate = MaskAttr::get(ctx, causal, align, left, right);
          // Same keys per row: both empty, or the same interval.
          bool same = true;
          for (int64_t i = 0; i < sq && same; ++i) {
            auto [lo, hi] = visibleInterval(candidate, i, sq, size);
            auto [wantLo, wantHi] = rows[i];
            same =
                (hi < lo && wantHi < wantLo) || (lo == wantLo && hi == wantHi);
          }
          if (same && (!found || (candidate.isFull() && !alibi)))
            found = candidate;
        }
      }
      if (found)
        break;
    }
    if (!found)
      return fail("chunk mask not expressible");
    chunks.push_back({begin, size, *found});
  }
  if (chunks.empty())
    return fail("no visible key");
  return chunks;
}

/// `[.., begin:begin+size, ..]` of `src` along `dim`.
Value sliceAlong(OpBuilder &b, Location loc, Value src, int64_t dim,
                 int64_t begin, int64_t size) {
  auto type = cast<RankedTensorType>(src.getType());
  SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes, strides(type.getRank(), b.getIndexAttr(1));
  for (int64_t d = 0; d < type.getRank(); ++d)
    sizes.push_back(b.getIndexAttr(type.getDimSize(d)));
  offsets[dim] = b.getIndexAttr(begin);
  sizes[dim] = b.getIndexAttr(size);
  return tensor::ExtractSliceOp::create(b, loc, src, offsets, sizes, strides);
}

/// `clamp(lens - begin, 0, size)` elementwise.
Value chunkLens(OpBuilder &b, Location loc, Value lens, int64_t begin,
                int64_t size) {
  auto type = cast<RankedTensorType>(lens.getType());
  AffineMap id = b.getMultiDimIdentityMap(type.getRank());
  Value init =
      tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, ValueRange{lens}, ValueRange{init},
             ArrayRef<AffineMap>{id, id},
             SmallVector<utils::IteratorType>(type.getRank(),
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Type t = args[0].getType();
               auto cst = [&](int64_t v) -> Value {
                 return arith::ConstantOp::create(nb, l,
                                                  nb.getIntegerAttr(t, v));
               };
               Value v = arith::SubIOp::create(nb, l, args[0], cst(begin));
               v = arith::MaxSIOp::create(nb, l, v, cst(0));
               v = arith::MinSIOp::create(nb, l, v, cst(size));
               linalg::YieldOp::create(nb, l, v);
             })
      .getResult(0);
}

/// Inserts `part` as element `index` of the stack `dest` ([N, ...]).
Value insertPart(OpBuilder &b, Location loc, Value part, Value dest,
                 int64_t index) {
  auto type = cast<RankedTensorType>(part.getType());
  SmallVector<OpFoldResult> offsets(type.getRank() + 1, b.getIndexAttr(0));
  offsets[0] = b.getIndexAttr(index);
  SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1)};
  for (int64_t d : type.getShape())
    sizes.push_back(b.getIndexAttr(d));
  SmallVector<OpFoldResult> strides(type.getRank() + 1, b.getIndexAttr(1));
  return tensor::InsertSliceOp::create(b, loc, part, dest, offsets, sizes,
                                       strides);
}

/// `[B, H, S] -> [B, S, H]` (or back).
Value swapLast2(OpBuilder &b, Location loc, Value t) {
  auto type = cast<RankedTensorType>(t.getType());
  SmallVector<int64_t> shape = {type.getDimSize(0), type.getDimSize(2),
                                type.getDimSize(1)};
  Value init = tensor::EmptyOp::create(b, loc, shape, type.getElementType());
  return linalg::TransposeOp::create(b, loc, t, init,
                                     ArrayRef<int64_t>{0, 2, 1})
      .getResult()[0];
}

void splitSdpa(SdpaOp op, ArrayRef<Chunk> chunks, RewriterBase &rewriter) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  Location loc = op.getLoc();
  bool bshd = op.getLayout() == Layout::BSHD;
  HeadsDims dims = getHeadsDims(bshd, false);
  auto oType = cast<RankedTensorType>(op.getResult().getType());
  auto qType = cast<RankedTensorType>(op.getQuery().getType());
  int64_t batch = qType.getDimSize(dims.batch);
  int64_t heads = qType.getDimSize(dims.heads);
  int64_t sq = qType.getDimSize(dims.seq);
  auto lseType =
      RankedTensorType::get({batch, heads, sq}, rewriter.getF32Type());
  // Rows of the combine: the partial's shape without head_dim.
  ArrayRef<int64_t> rowShape = oType.getShape().drop_back();
  auto n = static_cast<int64_t>(chunks.size());
  SmallVector<int64_t> partsShape = {n}, lsesShape = {n};
  llvm::append_range(partsShape, oType.getShape());
  llvm::append_range(lsesShape, rowShape);
  Value parts = tensor::EmptyOp::create(rewriter, loc, partsShape,
                                        oType.getElementType());
  Value lses =
      tensor::EmptyOp::create(rewriter, loc, lsesShape, rewriter.getF32Type());

  for (auto [c, chunk] : llvm::enumerate(chunks)) {
    Value key = sliceAlong(rewriter, loc, op.getKey(), dims.seq, chunk.begin,
                           chunk.size);
    Value value = sliceAlong(rewriter, loc, op.getValue(), dims.seq,
                             chunk.begin, chunk.size);
    auto columns = [&](Value v) -> Value {
      if (!v || cast<RankedTensorType>(v.getType()).getDimSize(3) == 1)
        return v;
      return sliceAlong(rewriter, loc, v, 3, chunk.begin, chunk.size);
    };
    Value lens = op.getKvLens() ? chunkLens(rewriter, loc, op.getKvLens(),
                                            chunk.begin, chunk.size)
                                : Value();
    auto part = SdpaOp::create(
        rewriter, loc, TypeRange{oType, lseType}, op.getQuery(), key, value,
        columns(op.getBias()), columns(op.getAttnMask()), op.getAlibiSlopes(),
        lens, /*cu_seqlens_q=*/Value(), /*cu_seqlens_k=*/Value(),
        op.getScaleAttr(), op.getSoftcapAttr(), chunk.mask, op.getLayoutAttr());
    Value lse = part.getLse();
    if (bshd)
      lse = swapLast2(rewriter, loc, lse);
    parts = insertPart(rewriter, loc, part.getResult(), parts, c);
    lses = insertPart(rewriter, loc, lse, lses, c);
  }

  SmallVector<Type> resultTypes = {oType};
  if (op.getLse())
    resultTypes.push_back(
        RankedTensorType::get(rowShape, rewriter.getF32Type()));
  auto combine = CombineOp::create(rewriter, loc, resultTypes, parts, lses);
  SmallVector<Value> results = {combine.getResult()};
  if (op.getLse())
    results.push_back(bshd ? swapLast2(rewriter, loc, combine.getLse())
                           : combine.getLse());
  rewriter.replaceOp(op, results);
}

struct SplitKVPass : attn::impl::SplitKVPassBase<SplitKVPass> {
  using SplitKVPassBase::SplitKVPassBase;

  /// Bad option values are reported with the options (no location, no
  /// module dump), like values that do not parse.
  LogicalResult initializeOptions(
      StringRef options,
      function_ref<LogicalResult(const Twine &)> errorHandler) override {
    if (failed(Pass::initializeOptions(options, errorHandler)))
      return failure();
    if (numSplits < 0 || maxQueryLen < 0)
      return errorHandler(
          "expected num-splits >= 0 and max-query-len >= 0, got " +
          Twine(static_cast<int64_t>(numSplits)) + " and " +
          Twine(static_cast<int64_t>(maxQueryLen)));
    return success();
  }

  void runOnOperation() override {
    if (numSplits < 0 || maxQueryLen < 0) {
      mlir::emitError(getOperation()->getLoc())
          << "expected num-splits >= 0 and max-query-len >= 0, got "
          << static_cast<int64_t>(numSplits) << " and "
          << static_cast<int64_t>(maxQueryLen);
      return signalPassFailure();
    }
    // Collect first: the chunk ops are decode-shaped too and must not be
    // split again.
    SmallVector<SdpaOp> ops;
    getOperation()->walk([&](SdpaOp op) { ops.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (SdpaOp op : ops) {
      std::string reason;
      FailureOr<SmallVector<Chunk>> chunks =
          planChunks(op, numSplits, maxQueryLen, reason);
      if (failed(chunks))
        continue;
      splitSdpa(op, *chunks, rewriter);
    }
  }
};

} // namespace
