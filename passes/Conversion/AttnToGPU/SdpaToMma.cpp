//===- SdpaToMma.cpp - attn.sdpa to a tensor-core (mma.sync) kernel -------===//
//
// Builds, for each attn.sdpa the kernel supports, a gpu.func that computes
// it on the tensor cores with `mma.sync.m16n8k16` (f16 or bf16 inputs, f32
// accumulation), FlashAttention-2 style, and replaces the op by a launch:
//
//   * one CTA of 8 warps per (query tile of 128 rows, query head, batch)
//     (4 warps and 64 rows when the queries fit); each warp owns 16 query
//     rows, held as A fragments in registers;
//   * a loop over key tiles of 64 keys, bounded per CTA by the mask
//     (causal and sliding-window tiles no query of the CTA sees are never
//     visited); K and V tiles staged in shared memory by cp.async (16-byte
//     chunks, XOR-swizzled by row so ldmatrix reads are conflict free) and
//     overlapped FlashAttention-2 style: V(j) loads during S = Q·K(j)ᵀ,
//     K(j+1) during the softmax and P·V(j); B fragments by ldmatrix.x4
//     (.trans for V); S = Q·Kᵀ on mma.sync;
//   * the online softmax on the S accumulator fragments: scale folded with
//     log2(e) into one fma per score before exp2, row max and sum reduced
//     across each quad of lanes with shuffles, the running output rescaled per
//     tile;
//   * P kept in registers: the S accumulators of two n-tiles are repacked
//     as the A operand of P·V (no shared-memory round trip);
//   * an epilogue dividing by the row sums, storing the output (and the
//     log-sum-exp) with predication for partial query tiles.
//
// With `wgmma` (sm_90a) both GEMMs are warpgroup MMAs instead: each group of
// 4 warps computes 64 rows with wgmma.mma_async m64n64k16 (S, A = Q from
// registers, B = K by descriptor, K-major) and m64n{Dv}k16 (P·V, A = P from
// registers, B = V by descriptor, MN-major). K and V share one shared buffer
// in the canonical 128-byte swizzled layout ([D/64][64 keys][64], atoms of 8
// rows aligned to 1024 bytes at run time); a proxy fence makes the cp.async
// writes visible to wgmma; the accumulator layout of each warp is the
// m16n8k16 one, so the softmax code is shared.
//
// Fragment layouts are those of the PTX ISA for m16n8k16 (groupID =
// lane / 4, threadID_in_group = lane % 4). Keys past the sequence are
// zero-filled by cp.async (scores masked to -inf, values zero), so no
// access leaves the tensors. GQA/MQA read the KV head of the query head's
// group. Buffers must be 16-byte aligned (the loader checks).
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/AttnToGPU/AttnToGPU.h"
#include "attn/Conversion/Passes.h"
#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>
#include <limits>

namespace mlir::attn {
#define GEN_PASS_DEF_SDPATOMMAPASS
#include "attn/Conversion/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// Rows of one m16n8k16 tile (an m-tile); a warp has one or two of them
/// (MmaConfig::mTiles), a TMA output box one.
constexpr int64_t kTileRows = 16;
/// Keys per tile, except where MmaConfig::tileKV says otherwise.
constexpr int64_t kDefaultTileKV = 64;
constexpr int64_t kCombineThreads = 256;
/// The mbarriers of a TMA ring slot: K and V landed ("full", completed by
/// the producer's arrival and the TMA bytes), K and V read ("empty",
/// completed when every consumer thread has arrived).
/// FP8: V lands raw ("raw full": the TMA bytes) in a staging slot; the
/// producer warpgroup transposes it into the slot's V tile, then arrives
/// on "full" V.
enum RingBarrier : int64_t {
  kFullK = 0,
  kEmptyK = 1,
  kFullV = 2,
  kEmptyV = 3,
  kFullRawV = 4
};

/// The static configuration of one kernel.
struct MmaConfig {
  int64_t batch, hq, hkv, sq, sk, dqk, dv;
  Type elt; // f16 or bf16
  double scale, scaleLog2;
  double softcap; // 0: none
  /// Optional inputs (after q, k, v, in this order among the parameters).
  bool bias, alibi, kvLens;
  /// Packed sequences (cu_seqlens): Sq and Sk count the tokens of all of
  /// them; each CTA reads its sequence's offsets and lengths.
  bool varlen = false;
  /// Bias shape, broadcast over its size-1 dimensions to [B, Hq, Sq, Sk].
  SmallVector<int64_t, 4> biasShape;
  Type biasElt;
  /// Whether scores get more than the scale before the mask (softcap, bias,
  /// ALiBi; FP8, whose scale is a run-time value of any sign): then they
  /// are scaled first and exp2 uses log2(e) alone.
  bool transformsScores() const { return softcap != 0 || bias || alibi || fp8; }
  bool causal, bottomRight;
  int64_t windowLeft, windowRight;
  bool lse;
  /// Warps per CTA: 8 (128 query rows, each K/V tile serves twice the rows)
  /// unless the queries fit in 64 rows.
  int64_t warps;
  /// sm_90a: the two GEMMs on wgmma (warpgroup MMA) with K and V read from
  /// shared memory through descriptors; otherwise mma.sync + ldmatrix.
  bool wgmma = false;
  /// Decode form (split-KV with GQA packing) when > 0: a CTA owns all
  /// (query head of one KV head, query) pairs as its rows and one chunk of
  /// keys; it writes a normalized f32 partial output and its lse per split,
  /// and a second kernel combines the partials. The split count is grid x,
  /// chosen at launch from 1 to `splits` (the workspace's split dimension);
  /// `defaultSplits` is the manifest's default.
  int64_t splits = 0, defaultSplits = 0;
  bool packed() const { return splits > 0; }
  /// The decode form on mma.sync with at most 32 (query head, query)
  /// pairs (a decode step of GQA up to 32:1, MHA, MQA; a few queries of
  /// smaller groups): the 4 warps split each key tile in `keyGroups`
  /// parts, 4 for one m-tile of rows (16 keys each), 2 for two (32 keys
  /// each). Warp w takes m-tile w % rowTiles() and part w / rowTiles(),
  /// with its own running max, sum and O; after the key loop the states
  /// of an m-tile's warps are merged through shared memory, into and
  /// stored by its warp of part 0. (With 16 rows per warp, the warps past
  /// the pairs computed rows that are never stored: at 4 pairs, four
  /// times the ldmatrix and mma of the rows that exist, every one of them
  /// reading the whole K and V tiles from shared memory.)
  int64_t keyGroups = 1;
  bool splitKeys() const { return keyGroups > 1; }
  /// Split keys: the m-tiles of the CTA's rows.
  int64_t rowTiles() const { return warps / keyGroups; }
  /// qInSmem: the dynamic shared memory, Q, K and V tiles (the warps'
  /// states after the key loop with split keys).
  int64_t qInSmemBytes() const {
    return std::max((tileQ() + tileKV) * dqk * 2 + tileKV * dv * 2,
                    mergeBytes());
  }
  /// Keys of a tile that one warp multiplies.
  int64_t warpKeys() const { return tileKV / keyGroups; }
  /// Split keys: bytes of the warps' merged states (KernelBuilder::
  /// mergeWarpKeys): per warp of a part but the first, its O accumulators
  /// and row sums for 32 lanes, and its 16 row maxima.
  int64_t mergeBytes() const {
    return (warps - rowTiles()) * ((dv / 2 + threadRows()) * 32 + 16) * 4;
  }
  /// sm_90a, warp specialized: a producer warpgroup (one thread) loads the
  /// Q tile once and K and V tiles by TMA into a ring of `stages` slots
  /// guarded by mbarriers; the `warps` consumer warps only compute, with Q
  /// read by descriptor from shared memory (no Q registers). Tensor maps of
  /// Q, K, V and (tmaStore) the output are the last kernel parameters.
  bool tma = false;
  /// The output leaves by TMA too, a warp's 16 staged rows per box; not
  /// for varlen, whose boxes would cross into the next sequence's rows.
  bool tmaStore() const { return tma && !varlen && !packed(); }
  /// The rows of the Q tile's TMA box: the tile, or in the decode form the
  /// (query head of the KV head, query) pairs (a box of group x Sq, the
  /// rest of the tile unused).
  int64_t qBoxRows() const { return packed() ? group() * sq : tileQ(); }
  int64_t stages = 2;
  /// mma.sync with head dimension 256: Q stays in shared memory (A fragments
  /// by ldmatrix per 32-wide slice, each key tile), with K and V, in
  /// dynamic shared memory; CTAs of 4 warps.
  bool qInSmem = false;
  /// Keys per tile (the K and V tiles' rows, the online softmax's step):
  /// 64; 128 in the TMA kernel up to head dimension 128 (and for FP8); 32
  /// with Q in shared memory (head dimension 256 on mma.sync, whose 128
  /// accumulator registers of O leave no room for 64 scores per row: ptxas
  /// spilled) unless the warps split the keys (16 or 32 scores per row
  /// each).
  int64_t tileKV = kDefaultTileKV;
  /// mma.sync at head dimensions 64 and 128 (dense or paged prefill, the
  /// decode form with split keys; not varlen or a fused RoPE on Q): the Q
  /// tile goes through shared memory once, by 16-byte cp.async into the K
  /// and V tiles' space (one buffer, grown to the Q tile when that is
  /// larger) and then ldmatrix into the A fragments, before the first K/V
  /// copy. (Loaded from global memory directly, each thread read 4 bytes
  /// at a time, Dqk/4 loads.)
  bool qViaSmem = false;
  /// Bytes of the K and V tiles.
  int64_t kvTilesBytes() const { return tileKV * (dqk + dv) * 2; }
  /// attn.paged_attention: K and V rows come from pools through the block
  /// table ([B][tableWidth] i32); key j of batch b is slot j % blockSize of
  /// block table[b][j / blockSize], present when that id is in
  /// [0, numBlocks) (and j < context_lens[b], the kvLens operand). Pools are
  /// [numBlocks][blockSize][Hkv][D] (NHD) or [numBlocks][Hkv][blockSize][D]
  /// (HND). Sk is the table's capacity, tableWidth * blockSize.
  bool paged = false;
  int64_t blockSize = 0, numBlocks = 0, tableWidth = 0;
  bool hnd = false;
  /// Paged with quantized pools (INT8 or FP8 codes): K and V tiles are
  /// copied raw into staging buffers and dequantized into the tiles,
  /// `(code - zero point) * scale` for INT8, `fp8 * scale` for FP8, with
  /// the scale (and zero point) of the tensor, of the KV head or of the
  /// key's pool row. Operands after context_lens: k_scale, v_scale
  /// [, k_zero_point, v_zero_point].
  /// Paged: an attn.rope producing the query, fused into the Q load (its
  /// input is the query parameter; its positions or offsets follow the
  /// scales). ropeRank: 2 or 1 for positions [B, S] / [S], 0 for offsets,
  /// -1 for neither (position = query index).
  bool ropeQ = false;
  RopeStyle ropeStyle = RopeStyle::NeoX;
  int64_t ropeDim = 0, ropeRank = -1;
  std::optional<QuantScheme> quant;
  QuantGranularity granularity = QuantGranularity::PerTensor;
  Type poolElt, zeroPointElt;
  bool quantized() const { return quant.has_value(); }
  bool asymmetric() const { return quant == QuantScheme::Int8Asym; }
  int64_t group() const { return hq / hkv; }
  /// mma.sync: 16-row m-tiles per warp. 2 (32 rows, FlashAttention-2's
  /// split at head dimensions up to 128): each K and V fragment a warp
  /// loads from shared memory serves both tiles, half the ldmatrix per
  /// mma of one tile. The accumulators of O and S double; at Dqk = 128
  /// Q stays in shared memory (qInSmem) and is read per key tile.
  int64_t mTiles = 1;
  int64_t warpRows() const { return mTiles * kTileRows; }
  /// Rows of a thread: two per m-tile (g and g + 8).
  int64_t threadRows() const { return 2 * mTiles; }
  int64_t tileQ() const { return rowTiles() * warpRows(); }
  int64_t threads() const { return warps * 32 + (tma ? 128 : 0); }
  /// TMA: bytes of the Q tile ([Dqk/64][tileQ rows][64]), of one ring slot
  /// (K then V tile, each [D/64][64 keys][64]) and of the dynamic shared
  /// memory (Q, the slots, 4 mbarriers per slot (5 for FP8) and one for Q,
  /// 1024 bytes to align the swizzle atoms).
  /// Rows of a Q, K or raw V tile are whole 128-byte TMA box rows: FP8 at
  /// head dimension 64 fills 64 bytes of each (the box's other half lies
  /// past the tensor's last column, zero-filled by TMA).
  int64_t rowBytes(int64_t d) const {
    return llvm::alignTo(d * inBytes(), 128);
  }
  int64_t qTileBytes() const { return tileQ() * rowBytes(dqk); }
  int64_t kTileBytes() const { return tileKV * rowBytes(dqk); }
  /// The V tile; FP8: transposed, Dv rows of tileKV (128) key bytes.
  int64_t vTileBytes() const {
    return fp8 ? dv * tileKV : tileKV * rowBytes(dv);
  }
  /// FP8: the raw V tile as TMA stores it ([Dv/128][keys][128 bytes]).
  int64_t rawVTileBytes() const { return tileKV * rowBytes(dv); }
  /// A slot: K, V and (FP8) the raw V tile it is transposed from.
  int64_t stageBytes() const {
    return kTileBytes() + vTileBytes() + (fp8 ? rawVTileBytes() : 0);
  }
  int64_t tmaSharedBytes() const {
    return 1024 + qTileBytes() + stages * stageBytes() +
           (stages * barriersPerSlot() + 1) * 8;
  }
  /// The mbarriers of a ring slot (RingBarrier; "raw full" V for FP8 only).
  int64_t barriersPerSlot() const { return fp8 ? 5 : 4; }
  /// FP8 (e4m3) prefill, sm_90a TMA kernel only: Q, K and V are the e4m3
  /// codes of attn.dequantize ops (per-tensor or per-head scales, kernel
  /// parameters after the optional inputs); both GEMMs run on e4m3 wgmma
  /// (k32) with f32 accumulators. Q·Kᵀ reads both tiles K-major as TMA
  /// stores them; P·V needs V K-major too (e4m3 wgmma has no transposed
  /// B), so the producer warpgroup transposes each V tile in shared
  /// memory, in the key order of the P registers: P is the S accumulator
  /// rounded to e4m3 in place, whose 8 keys per thread and 32-key step
  /// are a permutation of the A fragment's. The dequantization scales
  /// fold into the softmax scale (q·k) and the final normalization (v).
  bool fp8 = false;
  int64_t inBytes() const { return fp8 ? 1 : 2; }
  /// Columns of a 128-byte TMA box row.
  int64_t boxCols() const { return 128 / inBytes(); }
};

} // namespace

std::string mlir::attn::tensorCoreUnsupportedReason(SdpaOp op, bool tma,
                                                    bool wgmma) {
  auto q = cast<RankedTensorType>(op.getQuery().getType());
  auto k = cast<RankedTensorType>(op.getKey().getType());
  auto v = cast<RankedTensorType>(op.getValue().getType());
  auto o = cast<RankedTensorType>(op.getResult().getType());
  Type elt = q.getElementType();
  if (!elt.isF16() && !elt.isBF16())
    return "element type is not f16 or bf16";
  if (k.getElementType() != elt || v.getElementType() != elt ||
      o.getElementType() != elt)
    return "mixed element types";
  if (op.getLayout() != Layout::BHSD)
    return "layout is not bhsd";
  if (op.getAttnMask())
    return "attn_mask operand";
  for (auto t : {q, k, v, o})
    if (llvm::is_contained(t.getShape(), 0))
      return "a zero-sized dimension";
  // Varlen: q [Tq, Hq, D], k and v [Tk, Hkv, D], i32 cumulative lengths.
  bool varlen = op.isVarlen();
  int64_t rank = varlen ? 3 : 4;
  if (q.getRank() != rank || k.getRank() != rank || v.getRank() != rank)
    return varlen ? "varlen tensors are not rank 3" : "not rank 4";
  if (varlen) {
    if (op.getBias() || op.getKvLens())
      return "bias or kv_lens with varlen";
    for (Value cu : {op.getCuSeqlensQ(), op.getCuSeqlensK()})
      if (!cast<RankedTensorType>(cu.getType()).getElementType().isInteger(32))
        return "cu_seqlens are not i32";
  }
  if (Value bias = op.getBias()) {
    auto bt = cast<RankedTensorType>(bias.getType());
    if (bt.getRank() != 4)
      return "bias is not rank 4";
    Type be = bt.getElementType();
    if (!be.isF16() && !be.isBF16() && !be.isF32())
      return "bias element type is not f16, bf16 or f32";
  }
  if (Value lens = op.getKvLens())
    if (!cast<RankedTensorType>(lens.getType()).getElementType().isInteger(32))
      return "kv_lens is not i32";
  // The mask compares key positions as i32.
  int64_t seqDim = varlen ? 0 : 2;
  if (q.getDimSize(seqDim) >= (int64_t(1) << 31) - 256 ||
      k.getDimSize(seqDim) >= (int64_t(1) << 31) - 256)
    return "sequence lengths beyond 32-bit positions";
  int64_t dqk = q.getDimSize(rank - 1), dv = v.getDimSize(rank - 1);
  auto supported = [](int64_t d) { return d == 64 || d == 128 || d == 256; };
  if (!supported(dqk) || !supported(dv))
    return "head dimensions are not 64, 128 or 256";
  // 256: the accumulators of O take 128 registers per thread, which leaves
  // no room for Q fragments; the TMA kernel reads Q from shared memory.
  // (mma.sync reloads Q from shared memory each key tile, dense only;
  // wgmma without TMA has no room for it).
  if ((dqk == 256 || dv == 256) && varlen && !(wgmma && tma))
    return "head dimension 256 with varlen needs the TMA form of wgmma";
  if ((dqk == 256 || dv == 256) && wgmma && !tma)
    return "head dimension 256 needs the TMA form of wgmma or mma.sync";
  if (q.getDimSize(1) % k.getDimSize(1) != 0)
    return "query heads are not a multiple of KV heads";
  return "";
}

bool mlir::attn::isFp8Sdpa(SdpaOp op) {
  return llvm::any_of(
      ValueRange{op.getQuery(), op.getKey(), op.getValue()},
      [](Value v) { return v.getDefiningOp<DequantizeOp>() != nullptr; });
}

std::string mlir::attn::fp8SdpaUnsupportedReason(SdpaOp op, bool tma) {
  std::string why = tensorCoreUnsupportedReason(op, tma, /*wgmma=*/true);
  if (!why.empty())
    return why;
  const StringRef names[] = {"query", "key", "value"};
  const Value operands[] = {op.getQuery(), op.getKey(), op.getValue()};
  for (auto [name, v] : llvm::zip(names, operands)) {
    auto dq = v.getDefiningOp<DequantizeOp>();
    if (!dq)
      return ("the " + name +
              " is not an attn.dequantize result (FP8 "
              "attention takes Q, K and V as e4m3 codes)")
          .str();
    QuantAttr quant = dq.getQuant();
    if (quant.getScheme() != QuantScheme::Fp8E4M3)
      return ("the " + name + " is not e4m3 (fp8_e4m3)").str();
    if (quant.getGranularity() != QuantGranularity::PerTensor &&
        !(quant.getGranularity() == QuantGranularity::PerHead &&
          quant.getAxis() == 1))
      return ("the " + name +
              "'s scales are not per_tensor or per_head along the heads "
              "(axis = 1)")
          .str();
    if (!dq->hasOneUse())
      return ("the dequantized " + name + " has uses besides the attention")
          .str();
  }
  if (!tma)
    return "the sm_90a TMA kernel is not in use (FP8 runs only there)";
  auto q = cast<RankedTensorType>(op.getQuery().getType());
  auto v = cast<RankedTensorType>(op.getValue().getType());
  for (int64_t d : {q.getShape().back(), v.getShape().back()})
    if (d != 64 && d != 128 && d != 256)
      return "head dimensions are not 64, 128 or 256";
  return "";
}

std::string mlir::attn::pagedTensorCoreUnsupportedReason(PagedAttentionOp op) {
  auto q = cast<RankedTensorType>(op.getQuery().getType());
  auto kc = cast<RankedTensorType>(op.getKCache().getType());
  auto vc = cast<RankedTensorType>(op.getVCache().getType());
  auto o = cast<RankedTensorType>(op.getResult().getType());
  auto table = cast<RankedTensorType>(op.getBlockTable().getType());
  for (auto t : {q, kc, vc, o, table})
    if (!t.hasStaticShape())
      return "dynamic shapes";
  Type elt = q.getElementType();
  if (!elt.isF16() && !elt.isBF16())
    return "element type is not f16 or bf16";
  // Quantized pools are dequantized into the query's element type.
  if ((!op.getKvQuantAttr() &&
       (kc.getElementType() != elt || vc.getElementType() != elt)) ||
      o.getElementType() != elt)
    return "mixed element types";
  if (QuantAttr quant = op.getKvQuantAttr()) {
    for (Value scale : {op.getKScale(), op.getVScale()})
      if (llvm::is_contained(cast<ShapedType>(scale.getType()).getShape(), 0))
        return "a zero-sized dimension";
    int64_t poolRows = 1;
    for (int64_t size : kc.getShape().drop_back())
      if (size > 0 && llvm::MulOverflow(poolRows, size, poolRows))
        poolRows = std::numeric_limits<int64_t>::max();
    if (quant.getGranularity() == QuantGranularity::PerToken &&
        poolRows >= (int64_t(1) << 31))
      return "more pool rows than 32-bit indices";
  }
  for (auto t : {q, kc, vc, o, table})
    if (llvm::is_contained(t.getShape(), 0))
      return "a zero-sized dimension";
  int64_t d = q.getDimSize(3), dv = vc.getDimSize(3);
  if ((d != 64 && d != 128) || (dv != 64 && dv != 128))
    return "head dimensions are not 64 or 128";
  int64_t blockSize =
      kc.getDimSize(op.getCacheLayout() == CacheLayout::HND ? 2 : 1);
  int64_t positions;
  if (q.getDimSize(2) >= (int64_t(1) << 31) - 256 ||
      llvm::MulOverflow(table.getDimSize(1), blockSize, positions) ||
      positions >= (int64_t(1) << 31) - 256)
    return "sequence lengths beyond 32-bit positions";
  return "";
}

namespace {

MmaConfig configOf(PagedAttentionOp op) {
  auto q = cast<RankedTensorType>(op.getQuery().getType());
  auto kc = cast<RankedTensorType>(op.getKCache().getType());
  auto vc = cast<RankedTensorType>(op.getVCache().getType());
  auto table = cast<RankedTensorType>(op.getBlockTable().getType());
  MmaConfig c;
  c.paged = true;
  c.hnd = op.getCacheLayout() == CacheLayout::HND;
  c.numBlocks = kc.getDimSize(0);
  c.blockSize = kc.getDimSize(c.hnd ? 2 : 1);
  c.hkv = kc.getDimSize(c.hnd ? 1 : 2);
  c.tableWidth = table.getDimSize(1);
  c.batch = q.getDimSize(0);
  c.hq = q.getDimSize(1);
  c.sq = q.getDimSize(2);
  c.sk = c.tableWidth * c.blockSize;
  c.dqk = q.getDimSize(3);
  c.dv = vc.getDimSize(3);
  c.elt = q.getElementType();
  c.scale = op.getEffectiveScale();
  c.scaleLog2 = c.scale * M_LOG2E;
  c.softcap = op.getSoftcap() ? op.getSoftcap()->convertToDouble() : 0.0;
  c.bias = c.alibi = false;
  // The context lengths bound the keys (and place the diagonal) like
  // kv_lens; the queries are the last ones of each sequence.
  c.kvLens = true;
  MaskAttr mask = op.getMaskAttr();
  c.causal = mask && mask.getCausal();
  c.bottomRight = true;
  c.windowLeft = mask ? mask.getWindowLeft() : -1;
  c.windowRight = mask ? mask.getWindowRight() : -1;
  c.lse = false;
  c.warps = c.sq > 64 ? 8 : 4;
  if (QuantAttr quant = op.getKvQuantAttr()) {
    c.quant = quant.getScheme();
    c.granularity = quant.getGranularity();
    c.poolElt = kc.getElementType();
    if (Value zp = op.getKZeroPoint())
      c.zeroPointElt = cast<ShapedType>(zp.getType()).getElementType();
  }
  return c;
}

MmaConfig configOf(SdpaOp op) {
  auto q = cast<RankedTensorType>(op.getQuery().getType());
  auto k = cast<RankedTensorType>(op.getKey().getType());
  MaskAttr mask = op.getEffectiveMask();
  MmaConfig c;
  c.varlen = op.isVarlen();
  if (c.varlen) {
    // Tokens of all sequences: Sq and Sk are the packed totals.
    c.batch =
        cast<RankedTensorType>(op.getCuSeqlensQ().getType()).getDimSize(0) - 1;
    c.sq = q.getDimSize(0);
    c.sk = k.getDimSize(0);
    c.dqk = q.getDimSize(2);
    c.dv = cast<RankedTensorType>(op.getValue().getType()).getDimSize(2);
  } else {
    c.batch = q.getDimSize(0);
    c.sq = q.getDimSize(2);
    c.sk = k.getDimSize(2);
    c.dqk = q.getDimSize(3);
    c.dv = cast<RankedTensorType>(op.getValue().getType()).getDimSize(3);
  }
  c.hq = q.getDimSize(1);
  c.hkv = k.getDimSize(1);
  c.elt = q.getElementType();
  c.scale = op.getEffectiveScale();
  c.scaleLog2 = c.scale * M_LOG2E;
  c.softcap = op.getSoftcap() ? op.getSoftcap()->convertToDouble() : 0.0;
  c.bias = op.getBias() != nullptr;
  if (c.bias) {
    auto bt = cast<RankedTensorType>(op.getBias().getType());
    c.biasShape.assign(bt.getShape().begin(), bt.getShape().end());
    c.biasElt = bt.getElementType();
  }
  c.alibi = op.getAlibiSlopes() != nullptr;
  c.kvLens = op.getKvLens() != nullptr;
  c.causal = mask.getCausal();
  c.bottomRight = mask.getAlign() == MaskAlign::BottomRight;
  c.windowLeft = mask.getWindowLeft();
  c.windowRight = mask.getWindowRight();
  c.lse = op.getLse() != nullptr;
  c.warps = c.sq > 64 ? 8 : 4;
  c.fp8 = isFp8Sdpa(op);
  return c;
}

/// Emits the kernel body of `c` into `func` (parameters q, k, v, out[, lse]).
class KernelBuilder {
public:
  KernelBuilder(OpBuilder &b, Location loc, const MmaConfig &c)
      : b(b), loc(loc), c(c), f32(b.getF32Type()), i32(b.getI32Type()) {}

  void build(gpu::GPUFuncOp func);

private:
  OpBuilder &b;
  Location loc;
  const MmaConfig &c;
  Type f32, i32;

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value f32c(double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value addi(Value x, int64_t v) { return v ? add(x, idx(v)) : x; }
  Value minIdx(Value x, Value y) {
    return arith::MinSIOp::create(b, loc, x, y);
  }
  Value xori(Value x, Value y) { return arith::XOrIOp::create(b, loc, x, y); }
  Value andi(Value x, int64_t v) {
    return arith::AndIOp::create(b, loc, x, idx(v));
  }
  Value maxIdx(Value x, Value y) {
    return arith::MaxSIOp::create(b, loc, x, y);
  }
  Value cmp(arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, p, x, y);
  }
  Value fmax(Value x, Value y) {
    return arith::MaximumFOp::create(b, loc, x, y);
  }
  Value select(Value p, Value x, Value y) {
    return arith::SelectOp::create(b, loc, p, x, y);
  }
  /// Butterfly reduction over the 4 lanes of a quad.
  Value quadReduce(Value v, bool isMax) {
    for (int32_t off : {1, 2}) {
      Value other =
          gpu::ShuffleOp::create(b, loc, v, off, 32, gpu::ShuffleMode::XOR)
              .getShuffleResult();
      v = isMax ? fmax(v, other) : arith::AddFOp::create(b, loc, v, other);
    }
    return v;
  }
  /// A pair of 16-bit elements as an mma operand register: vector<2xf16>
  /// for f16, i32 for bf16 (the NVVM op's operand types).
  Value operand(Value pair) {
    if (c.elt.isF16())
      return pair;
    Value v =
        vector::BitCastOp::create(b, loc, VectorType::get({1}, i32), pair);
    return vector::ExtractOp::create(b, loc, v, ArrayRef<int64_t>{0});
  }
  Value pack(Value x, Value y) {
    auto vt = VectorType::get({2}, f32);
    Value v = vector::FromElementsOp::create(b, loc, vt, ValueRange{x, y});
    return arith::TruncFOp::create(b, loc, VectorType::get({2}, c.elt), v);
  }
  /// D = A·B + C on m16n8k16; returns the 4 accumulator values.
  SmallVector<Value, 4> mma(ValueRange a, ValueRange bOps, ValueRange acc) {
    auto structTy = LLVM::LLVMStructType::getLiteral(b.getContext(),
                                                     SmallVector<Type>(4, f32));
    NVVM::MMATypes t =
        c.elt.isF16() ? NVVM::MMATypes::f16 : NVVM::MMATypes::bf16;
    Value d = NVVM::MmaOp::create(
        b, loc, structTy, a, bOps, acc, ArrayRef<int64_t>{16, 8, 16},
        std::nullopt, std::nullopt, std::array<NVVM::MMATypes, 2>{t, t},
        std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                       NVVM::MMALayout::col});
    SmallVector<Value, 4> out;
    for (int64_t i = 0; i < 4; ++i)
      out.push_back(LLVM::ExtractValueOp::create(b, loc, d, i));
    return out;
  }
  /// A pair of 16-bit elements as the i32 register inline PTX takes.
  Value asI32(Value v) {
    if (v.getType() == i32)
      return v;
    Value w = vector::BitCastOp::create(b, loc, VectorType::get({1}, i32), v);
    return vector::ExtractOp::create(b, loc, w, ArrayRef<int64_t>{0});
  }
  /// A wgmma matrix descriptor (PTX ISA, "Matrix Descriptor Format") for
  /// the 128-byte swizzle: start address, leading and stride byte offsets
  /// (in 16-byte units), swizzle mode 1 in bits 62-63.
  Value descriptor(Value addr, int64_t lbo, int64_t sbo) {
    Type i64 = b.getI64Type();
    auto c64 = [&](uint64_t v) -> Value {
      return arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(v));
    };
    Value a = arith::IndexCastOp::create(b, loc, i64, addr);
    a = arith::AndIOp::create(b, loc, arith::ShRUIOp::create(b, loc, a, c64(4)),
                              c64(0x3FFF));
    uint64_t fixed = ((uint64_t(lbo) >> 4) & 0x3FFF) << 16 |
                     ((uint64_t(sbo) >> 4) & 0x3FFF) << 32 | 1ull << 62;
    return arith::OrIOp::create(b, loc, a, c64(fixed));
  }
  /// acc (m64 x n, f32) += A · B on the warpgroup, B by descriptor, A from
  /// registers (`a`: the mma.sync A fragment of each warp's 16 rows) or,
  /// when `descA` is set, by descriptor too (K-major). The NVVM dialect has
  /// no register-A wgmma, so this is inline PTX.
  SmallVector<Value> wgmma(int64_t n, ArrayRef<Value> a, Value descA,
                           Value desc, ArrayRef<Value> acc, bool transB) {
    int64_t nAcc = n / 2;
    int64_t nA = descA ? 1 : 4;
    // FP8: k32 of e4m3, and no transposition operands (both K-major).
    std::string t = c.fp8 ? "e4m3" : c.elt.isF16() ? "f16" : "bf16";
    std::string text =
        "{\n.reg .pred p;\nsetp.ne.b32 p, $" + std::to_string(nAcc + nA + 1) +
        ", 0;\nwgmma.mma_async.sync.aligned.m64n" + std::to_string(n) +
        (c.fp8 ? "k32" : "k16") + ".f32." + t + "." + t + " {";
    std::string constraints;
    for (int64_t i = 0; i < nAcc; ++i) {
      text += (i ? ", $" : "$") + std::to_string(i);
      constraints += "=f,";
    }
    text += "}, ";
    SmallVector<Value> operands;
    if (descA) {
      text += "$" + std::to_string(nAcc);
      constraints += "l,";
      operands.push_back(descA);
    } else {
      text += "{";
      for (int64_t i = 0; i < 4; ++i)
        text += (i ? ", $" : "$") + std::to_string(nAcc + i);
      text += "}";
      constraints += "r,r,r,r,";
      for (Value v : a)
        operands.push_back(asI32(v));
    }
    // SS takes the transposition of A (none: K-major) before B's.
    text += ", $" + std::to_string(nAcc + nA) + ", p, 1, 1";
    if (!c.fp8)
      text += std::string(", ") + (descA ? "0, " : "") + (transB ? "1" : "0");
    text += ";\n}";
    constraints += "l,r";
    operands.push_back(desc);
    operands.push_back(i32c(1)); // scale-d: accumulate
    for (int64_t i = 0; i < nAcc; ++i) {
      constraints += "," + std::to_string(i);
      operands.push_back(acc[i]);
    }
    auto structTy = LLVM::LLVMStructType::getLiteral(
        b.getContext(), SmallVector<Type>(nAcc, f32));
    auto op = LLVM::InlineAsmOp::create(
        b, loc, structTy, operands, text, constraints,
        /*has_side_effects=*/true, /*is_align_stack=*/false,
        LLVM::tailcallkind::TailCallKind::None, LLVM::AsmDialectAttr(),
        ArrayAttr());
    SmallVector<Value> out;
    for (int64_t i = 0; i < nAcc; ++i)
      out.push_back(LLVM::ExtractValueOp::create(b, loc, op.getResult(0), i));
    return out;
  }
  /// Pins the registers of `values` here (an empty volatile asm that reads
  /// and writes them), so that no definition of a wgmma operand moves
  /// between wgmma.fence and the wgmma: ptxas serializes the warpgroup's
  /// MMAs (C7519) when one does.
  void fenceOperands(MutableArrayRef<Value> values) {
    for (Value &v : values) {
      bool isF32 = v.getType() == f32;
      bool is64 = v.getType().isInteger(64);
      v = LLVM::InlineAsmOp::create(b, loc, v.getType(), ValueRange{v}, "",
                                    isF32  ? "=f,0"
                                    : is64 ? "=l,0"
                                           : "=r,0",
                                    /*has_side_effects=*/true,
                                    /*is_align_stack=*/false,
                                    LLVM::tailcallkind::TailCallKind::None,
                                    LLVM::AsmDialectAttr(), ArrayAttr())
              .getResult(0);
    }
  }
  Value i32c(int64_t v) {
    return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(v));
  }
  Value toI32(Value v) { return arith::IndexCastOp::create(b, loc, i32, v); }
  /// Turns the raw scores of the key tile at `kt` into the op's scores:
  /// scale, softcap, + bias, + ALiBi. Element e of n-tile j is query
  /// rows[e / 2] (rowsC: clamped to the last query) and key
  /// kt + t2 + 8j + (e & 1).
  void transformScores(SmallVector<SmallVector<Value, 4>> &s, Value kt,
                       Value t2, Value rows[2], Value rowsC[2], Value batch,
                       Value headR[2], Value biasMem, Value slope[2]) {
    Value lastKey = idx(c.sk - 1);
    Value first = add(kt, t2);
    for (auto [j, acc] : llvm::enumerate(s))
      for (int64_t e = 0; e < 4; ++e) {
        Value x = acc[e];
        if (c.softcap != 0) {
          x = arith::MulFOp::create(b, loc, x,
                                    scaled(c.scale / c.softcap, e / 2));
          x = math::TanhOp::create(b, loc, x);
          x = arith::MulFOp::create(b, loc, x, f32c(c.softcap));
        } else {
          x = arith::MulFOp::create(b, loc, x, scaled(c.scale, e / 2));
        }
        Value col = addi(first, 8 * static_cast<int64_t>(j) + (e & 1));
        if (c.bias) {
          // Size-1 dimensions broadcast.
          Value ix[4] = {batch, headR[e / 2], rowsC[e / 2],
                         minIdx(col, lastKey)};
          for (int dim = 0; dim < 4; ++dim)
            if (c.biasShape[dim] == 1)
              ix[dim] = idx(0);
          Value bv = memref::LoadOp::create(b, loc, biasMem, ix);
          if (!c.biasElt.isF32())
            bv = arith::ExtFOp::create(b, loc, f32, bv);
          x = arith::AddFOp::create(b, loc, x, bv);
        }
        if (c.alibi) {
          // slope · (key - diagonal of the row).
          Value rel =
              arith::SubIOp::create(b, loc, col, add(rows[e / 2], diagOff));
          Value relF = arith::SIToFPOp::create(b, loc, f32, toI32(rel));
          x = math::FmaOp::create(b, loc, slope[e / 2], relF, x);
        }
        acc[e] = x;
      }
  }

  //===--------------------------------------------------------------------===//
  // TMA ring (c.tma)
  //===--------------------------------------------------------------------===//

  /// The 1024-byte aligned start of the dynamic shared memory (an address
  /// in the shared window).
  Value ringBase;
  /// The Q tile comes first, then the slots, then the barriers.
  Value qTile() { return ringBase; }
  Value kSlot(Value slot) {
    return add(addi(ringBase, c.qTileBytes()), mul(slot, idx(c.stageBytes())));
  }
  Value vSlot(Value slot) { return addi(kSlot(slot), c.kTileBytes()); }
  /// FP8: the raw V tile, as TMA stores it ([Dv/128][keys][128 bytes]).
  Value rawVSlot(Value slot) { return addi(vSlot(slot), c.vTileBytes()); }
  int64_t barriersOffset() const {
    return c.qTileBytes() + c.stages * c.stageBytes();
  }
  Value barrier(Value slot, RingBarrier which) {
    return add(addi(ringBase, barriersOffset() + 8 * which),
               mul(slot, idx(8 * c.barriersPerSlot())));
  }
  /// Completes when the Q tile has landed.
  Value qBarrier() {
    return addi(ringBase,
                barriersOffset() + c.stages * 8 * c.barriersPerSlot());
  }
  Value shared32(Value addr) { return toI32(addr); }
  Value sharedPtr(Value addr) {
    Value a = arith::IndexCastOp::create(b, loc, b.getI64Type(), addr);
    return LLVM::IntToPtrOp::create(
        b, loc, LLVM::LLVMPointerType::get(b.getContext(), 3), a);
  }
  void inlinePtx(StringRef text, StringRef constraints, ValueRange operands) {
    LLVM::InlineAsmOp::create(b, loc, TypeRange(), operands, text, constraints,
                              /*has_side_effects=*/true,
                              /*is_align_stack=*/false,
                              LLVM::tailcallkind::TailCallKind::None,
                              LLVM::AsmDialectAttr(), ArrayAttr());
  }
  /// Blocks until the phase of the mbarrier at `addr` with parity `parity`
  /// (i32) has completed (the previous phase counts as completed on a
  /// fresh barrier).
  void mbarrierWait(Value addr, Value parity) {
    inlinePtx("{\n.reg .pred p;\nwait:\nmbarrier.try_wait.parity.shared::cta."
              "b64 p, [$0], $1;\n@!p bra wait;\n}",
              "r,r", ValueRange{shared32(addr), parity});
  }
  void mbarrierArrive(Value addr) {
    NVVM::MBarrierArriveOp::create(
        b, loc, b.getI64Type(), sharedPtr(addr), Value(),
        NVVM::MemScopeKindAttr::get(b.getContext(), NVVM::MemScopeKind::CTA),
        b.getBoolAttr(false));
  }
  /// Slot (index) and phase parity (i32) of key tile `kt`: tile
  /// i = (kt - kStart) / 64 uses slot i % stages in round i / stages.
  std::pair<Value, Value> slotOf(Value kt, Value kStart) {
    Value i = arith::DivUIOp::create(
        b, loc, arith::SubIOp::create(b, loc, kt, kStart), idx(c.tileKV));
    Value slot = arith::RemUIOp::create(b, loc, i, idx(c.stages));
    Value round = arith::DivUIOp::create(b, loc, i, idx(c.stages));
    return {slot, toI32(andi(round, 1))};
  }
  /// One TMA box (64 columns x 64 keys of one head, 128-byte swizzled) of
  /// the 4-d map [B][H][S][D] to shared memory at `dst`, completing
  /// `bytes` on the mbarrier at `bar`.
  /// The TMA coordinates of column `col` of row `row` of Q (query rows of
  /// this CTA's sequence, head `head`) or of K/V (keys, KV head `head`):
  /// {col, row, head, batch} in the [B][H][S][D] maps; varlen maps are
  /// [1][T][H][D] (rows of one head are H·D apart), {col, head, token, 0}.
  SmallVector<Value, 4> tmaCoords(bool isQ, Value col, Value row, Value head,
                                  Value batch) {
    // The decode form's Q box: every query of the KV head's query heads.
    if (isQ && c.packed())
      return {col, i32c(0), toI32(mul(head, idx(c.group()))), toI32(batch)};
    if (c.varlen)
      return {col, toI32(head), toI32(add(isQ ? qTok0 : kTok0, row)), i32c(0)};
    return {col, toI32(row), toI32(head), toI32(batch)};
  }
  void tmaLoad(Value dst, Value map, ArrayRef<Value> coords, Value bar) {
    SmallVector<Value> operands = {shared32(dst), map};
    for (Value c : coords)
      operands.push_back(c.getType() == i32 ? c : toI32(c));
    operands.push_back(shared32(bar));
    inlinePtx("cp.async.bulk.tensor.4d.shared::cluster.global.mbarrier::"
              "complete_tx::bytes [$0], [$1, {$2, $3, $4, $5}], [$6];",
              "r,l,r,r,r,r,r", operands);
  }
  /// Initializes the ring's mbarriers, splits the CTA into the producer
  /// warpgroup (the last one) and the consumer warps, and emits the
  /// producer: one thread that, for each key tile of [kStart, kEnd), waits
  /// for the slot's K to be free, loads K by TMA, then the same for V
  /// (FP8: buildFp8Producer). Leaves the builder in the consumers' branch.
  void buildTmaProducer(Value tid, Value batch, Value head, Value kvHead,
                        Value qFirst, Value kStart, Value kEnd, Value qMap,
                        Value kMap, Value vMap) {
    int64_t consumers = c.warps * 32;
    {
      auto first = scf::IfOp::create(
          b, loc, cmp(arith::CmpIPredicate::eq, tid, idx(0)), false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(first.thenBlock()->getTerminator());
      for (int64_t s = 0; s < c.stages; ++s)
        for (int64_t which = 0; which < c.barriersPerSlot(); ++which) {
          // FP8: the producer warpgroup's 128 threads complete "full" V.
          int64_t count = which == kEmptyK || which == kEmptyV ? consumers
                          : which == kFullV && c.fp8           ? 128
                                                               : 1;
          NVVM::MBarrierInitOp::create(
              b, loc, sharedPtr(barrier(idx(s), RingBarrier(which))),
              i32c(count), Value());
        }
      NVVM::MBarrierInitOp::create(b, loc, sharedPtr(qBarrier()), i32c(1),
                                   Value());
      NVVM::FenceMbarrierInitOp::create(b, loc);
    }
    gpu::BarrierOp::create(b, loc);
    auto role = scf::IfOp::create(
        b, loc, cmp(arith::CmpIPredicate::uge, tid, idx(consumers)),
        /*withElseRegion=*/true);
    // With two consumer warpgroups the registers go to them (FA3's split:
    // 128 x 24 + 256 x 240 fits the 64K of an SM; the FP8 producer, which
    // transposes V, keeps 32: 128 x 32 + 256 x 240 still fits).
    auto setMaxRegs = [&](int64_t n, NVVM::SetMaxRegisterAction action) {
      if (c.warps == 8)
        NVVM::SetMaxRegisterOp::create(
            b, loc, b.getI32IntegerAttr(n),
            NVVM::SetMaxRegisterActionAttr::get(b.getContext(), action));
    };
    b.setInsertionPoint(role.thenBlock()->getTerminator());
    setMaxRegs(c.fp8 ? 32 : 24, NVVM::SetMaxRegisterAction::decrease);
    Value pt = arith::SubIOp::create(b, loc, tid, idx(consumers));
    Value leader = cmp(arith::CmpIPredicate::eq, pt, idx(0));
    auto onLeader = [&](function_ref<void()> body) {
      auto ifOp = scf::IfOp::create(b, loc, leader, false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
      body();
    };
    // The tile at `kt` of K or V into `dst` (boxes of 128-byte rows,
    // completing `bar`), once the slot's `empty` barrier lets it.
    auto loadTile = [&](bool isK, Value kt, Value slot, Value freeParity,
                        Value dst, RingBarrier full, RingBarrier empty) {
      int64_t d = isK ? c.dqk : c.dv;
      Value bar = barrier(slot, full);
      mbarrierWait(barrier(slot, empty), freeParity);
      NVVM::MBarrierArriveExpectTxOp::create(
          b, loc, Type(), sharedPtr(bar), i32c(c.tileKV * c.rowBytes(d)),
          NVVM::MemScopeKindAttr::get(b.getContext(), NVVM::MemScopeKind::CTA),
          b.getBoolAttr(false), Value());
      for (int64_t col = 0; col < d; col += c.boxCols())
        tmaLoad(addi(dst, (col / c.boxCols()) * c.tileKV * 128),
                isK ? kMap : vMap,
                tmaCoords(false, i32c(col), kt, kvHead, batch), bar);
    };
    onLeader([&] {
      // The Q tile: one box of tileQ rows per 128 bytes of columns (rows
      // past the queries are zero-filled).
      NVVM::MBarrierArriveExpectTxOp::create(
          b, loc, Type(), sharedPtr(qBarrier()),
          i32c(c.qBoxRows() * c.rowBytes(c.dqk)),
          NVVM::MemScopeKindAttr::get(b.getContext(), NVVM::MemScopeKind::CTA),
          b.getBoolAttr(false), Value());
      for (int64_t col = 0; col < c.dqk; col += c.boxCols())
        tmaLoad(addi(qTile(), (col / c.boxCols()) * c.tileQ() * 128), qMap,
                tmaCoords(true, i32c(col), qFirst, head, batch), qBarrier());
      if (c.fp8)
        return;
      auto loop = scf::ForOp::create(b, loc, kStart, kEnd, idx(c.tileKV));
      b.setInsertionPointToStart(loop.getBody());
      Value kt = loop.getInductionVar();
      auto [slot, parity] = slotOf(kt, kStart);
      Value freeParity = arith::XOrIOp::create(b, loc, parity, i32c(1));
      loadTile(true, kt, slot, freeParity, kSlot(slot), kFullK, kEmptyK);
      loadTile(false, kt, slot, freeParity, vSlot(slot), kFullV, kEmptyV);
    });
    // FP8: V's raw tile at `kt` into its staging slot.
    auto loadRawV = [&](Value kt, Value slot) {
      Value bar = barrier(slot, kFullRawV);
      NVVM::MBarrierArriveExpectTxOp::create(
          b, loc, Type(), sharedPtr(bar), i32c(c.rawVTileBytes()),
          NVVM::MemScopeKindAttr::get(b.getContext(), NVVM::MemScopeKind::CTA),
          b.getBoolAttr(false), Value());
      for (int64_t col = 0; col < c.dv; col += c.boxCols())
        tmaLoad(addi(rawVSlot(slot), (col / c.boxCols()) * c.tileKV * 128),
                vMap, tmaCoords(false, i32c(col), kt, kvHead, batch), bar);
    };
    if (c.fp8)
      buildFp8Producer(pt, kStart, kEnd, onLeader, loadTile, loadRawV);
    b.setInsertionPoint(role.elseBlock()->getTerminator());
    setMaxRegs(240, NVVM::SetMaxRegisterAction::increase);
  }

  /// FP8: the producer warpgroup's loop. The leader loads K and the raw V
  /// of the first `stages` tiles; then for each tile every producer thread
  /// transposes its part of the raw V tile into the slot's V tile (once the
  /// consumers are done with the slot's previous one), fences it for the
  /// async proxy and arrives on "full" V; after a sync of the warpgroup
  /// (the raw slot is read) the leader loads the tile `stages` later into
  /// the same slot (its K once the consumers have read the slot's K).
  template <typename OnLeader, typename LoadTile, typename LoadRawV>
  void buildFp8Producer(Value pt, Value kStart, Value kEnd, OnLeader &onLeader,
                        LoadTile &loadTile, LoadRawV &loadRawV) {
    auto issue = [&](Value kt) {
      auto ifOp = scf::IfOp::create(
          b, loc, cmp(arith::CmpIPredicate::slt, kt, kEnd), false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
      auto [slot, parity] = slotOf(kt, kStart);
      Value freeParity = arith::XOrIOp::create(b, loc, parity, i32c(1));
      loadTile(true, kt, slot, freeParity, kSlot(slot), kFullK, kEmptyK);
      // The raw slot is free: its previous tile was transposed before the
      // warpgroup's sync (no barrier of its own to wait for).
      loadRawV(kt, slot);
    };
    onLeader([&] {
      for (int64_t s = 0; s < c.stages; ++s)
        issue(addi(kStart, s * c.tileKV));
    });
    auto loop = scf::ForOp::create(b, loc, kStart, kEnd, idx(c.tileKV));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value kt = loop.getInductionVar();
    auto [slot, parity] = slotOf(kt, kStart);
    mbarrierWait(barrier(slot, kFullRawV), parity);
    mbarrierWait(barrier(slot, kEmptyV),
                 arith::XOrIOp::create(b, loc, parity, i32c(1)));
    transposeV(pt, rawVSlot(slot), vSlot(slot));
    // The V tile's generic writes (and the raw tile's reads) before the
    // async proxy's wgmma reads (and the next TMA writes).
    NVVM::FenceProxyOp::create(
        b, loc, NVVM::ProxyKind::async_shared,
        NVVM::SharedSpaceAttr::get(b.getContext(),
                                   NVVM::SharedSpace::shared_cta));
    mbarrierArrive(barrier(slot, kFullV));
    // Named barrier 4: the producer warpgroup (1 and 2 are the consumers'
    // turns, 3 their epilogue).
    inlinePtx("bar.sync 4, 128;", "", ValueRange{});
    onLeader([&] { issue(addi(kt, c.stages * c.tileKV)); });
  }

  /// FP8: the raw V tile at `raw` ([keys][128 bytes], 128-byte swizzle:
  /// 16-byte chunk c of row k at chunk c ^ (k % 8)) transposed into the
  /// K-major B operand of P·V at `vt` ([Dv rows][tileKV = 128 key
  /// positions], same swizzle), position p of each 32-key step holding key
  /// 16·(p / 16) + 8·((p % 4) / 2) + 2·((p % 16) / 4) + p % 2: the key of
  /// the S accumulator the P register byte at A column p comes from
  /// (packP). A unit is 4 key positions x 4 columns: 4 32-bit loads (keys
  /// b, b+1, b+8, b+9 of 4 columns), 8 prmt, 4 32-bit stores. Lane l of
  /// warp w takes columns 4l and position group l ^ (w + 4i) in round i:
  /// the 32 loads and the 32 stores of a warp instruction each hit 32
  /// distinct banks. At Dv = 64 there are 16 column groups: lanes l and
  /// l + 16 share columns 4·(l % 16), and lane l takes position group
  /// l ^ (w + 4i) ^ 2·(l / 16); the XOR with 2 puts the two lanes' keys 4
  /// rows apart modulo 8 (distinct swizzled chunks), and the banks stay
  /// distinct.
  void transposeV(Value pt, Value raw, Value vt) {
    Value w = arith::DivUIOp::create(b, loc, pt, idx(32));
    Value lane = arith::RemUIOp::create(b, loc, pt, idx(32));
    bool halfBlock = c.dv % 128 != 0;
    Value n = mul(halfBlock ? andi(lane, 15) : lane, idx(4));
    Value laneKey =
        halfBlock
            ? xori(lane,
                   mul(arith::DivUIOp::create(b, loc, lane, idx(16)), idx(2)))
            : lane;
    auto swz = [&](Value row, Value byte) {
      // Byte `byte` of 128-byte row `row`, chunks XOR row % 8.
      return add(mul(row, idx(128)),
                 add(mul(xori(arith::DivUIOp::create(b, loc, byte, idx(16)),
                              andi(row, 7)),
                         idx(16)),
                     andi(byte, 15)));
    };
    auto prmt = [&](Value x, Value y, uint32_t sel) {
      return LLVM::InlineAsmOp::create(
                 b, loc, i32, ValueRange{x, y},
                 ("prmt.b32 $0, $1, $2, " + std::to_string(sel) + ";"),
                 "=r,r,r", /*has_side_effects=*/false,
                 /*is_align_stack=*/false,
                 LLVM::tailcallkind::TailCallKind::None, LLVM::AsmDialectAttr(),
                 ArrayAttr())
          .getResult(0);
    };
    // A loop, not unrolled: the rounds' addresses would otherwise be
    // hoisted out of the key loop, more registers than the producer has.
    int64_t rounds = (c.tileKV / 4) * (c.dv / 4) / 128;
    auto roundLoop = scf::ForOp::create(b, loc, idx(0), idx(rounds), idx(1));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(roundLoop.getBody());
    Value round = roundLoop.getInductionVar();
    {
      // Units: (column group, position group) = (lane + 32·(round / 8)
      // over the 128-column blocks, lane ^ (w + 4·(round % 8))).
      Value blk = arith::DivUIOp::create(b, loc, round, idx(8));
      Value pq = xori(laneKey, add(w, mul(andi(round, 7), idx(4))));
      Value p0 = mul(pq, idx(4));
      // Key of position p0: 32·(p0 / 32) + 16·((p0 % 32) / 16) + 2·tq.
      Value base =
          add(mul(arith::DivUIOp::create(b, loc, p0, idx(16)), idx(16)),
              mul(andi(pq, 3), idx(2)));
      Value words[4];
      for (int64_t e = 0; e < 4; ++e) {
        Value key = addi(base, (e / 2) * 8 + e % 2);
        Value at = add(add(raw, mul(blk, idx(c.tileKV * 128))), swz(key, n));
        words[e] = LLVM::LoadOp::create(b, loc, i32, sharedPtr(at));
      }
      // Bytes (a_i, b_i, c_i, d_i) of column n + i.
      Value lo01 = prmt(words[0], words[1], 0x5140); // a0 b0 a1 b1
      Value lo23 = prmt(words[2], words[3], 0x5140); // c0 d0 c1 d1
      Value hi01 = prmt(words[0], words[1], 0x7362); // a2 b2 a3 b3
      Value hi23 = prmt(words[2], words[3], 0x7362); // c2 d2 c3 d3
      Value out[4] = {prmt(lo01, lo23, 0x5410), prmt(lo01, lo23, 0x7632),
                      prmt(hi01, hi23, 0x5410), prmt(hi01, hi23, 0x7632)};
      for (int64_t i = 0; i < 4; ++i) {
        Value row = add(n, addi(mul(blk, idx(128)), i));
        LLVM::StoreOp::create(b, loc, out[i], sharedPtr(add(vt, swz(row, p0))));
      }
    }
  }

  /// The key loop of the TMA kernel, FlashAttention-3 style: the softmax of
  /// tile j overlaps P·V of tile j - 1 on the tensor cores (both GEMMs are
  /// issued, then S(j) is waited for alone), and with two consumer
  /// warpgroups their GEMMs take turns (named barriers 1 and 2: each issues
  /// its GEMMs between a sync on its own barrier and an arrive on the
  /// other's), so one warpgroup's softmax runs during the other's GEMMs.
  /// Returns the O accumulators, row max and row sum.
  template <typename ScoresOf, typename Softmax, typename PackP,
            typename IssueS, typename PreparePV, typename IssuePV,
            typename NTiles>
  SmallVector<Value>
  buildOverlappedLoop(Value warp, Value kStart, Value kEnd, int64_t oTiles,
                      Value negInf, Value zero, ScoresOf &scoresOf,
                      Softmax &softmax, PackP &packP, IssueS &issueS,
                      PreparePV &preparePV, IssuePV &issuePV, NTiles &nTiles) {
    using Tiles = SmallVector<SmallVector<Value, 4>>;
    bool pingPong = c.warps == 8;
    Value wg = arith::DivUIOp::create(b, loc, warp, idx(4));
    Value myBar, otherBar;
    auto namedBarrier = [&](StringRef op, Value id) {
      inlinePtx(("bar." + op + " $0, 256;").str(), "r", ValueRange{id});
    };
    if (pingPong) {
      myBar = toI32(addi(wg, 1));
      otherBar = toI32(arith::SubIOp::create(b, loc, idx(2), wg));
      // Warpgroup 1 lets warpgroup 0 go first.
      auto second = scf::IfOp::create(
          b, loc, cmp(arith::CmpIPredicate::eq, wg, idx(1)), false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(second.thenBlock()->getTerminator());
      namedBarrier("arrive", i32c(1));
    }
    auto gemmsBegin = [&]() {
      if (pingPong)
        namedBarrier("sync", myBar);
    };
    auto gemmsEnd = [&]() {
      if (pingPong)
        namedBarrier("arrive", otherBar);
    };
    auto flat = [](const Tiles &t) {
      SmallVector<Value> v;
      for (auto &x : t)
        v.append(x.begin(), x.end());
      return v;
    };
    auto unflat = [](ValueRange v) {
      Tiles t;
      for (size_t i = 0; i < v.size(); i += 4)
        t.push_back(SmallVector<Value, 4>(v.begin() + i, v.begin() + i + 4));
      return t;
    };
    int64_t nO = oTiles * 4;
    SmallVector<Type> resultTypes(nO + 4, f32);
    auto any = scf::IfOp::create(b, loc, resultTypes,
                                 cmp(arith::CmpIPredicate::slt, kStart, kEnd),
                                 /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(any.elseBlock());
      SmallVector<Value> none(nO, zero);
      none.append({negInf, negInf, zero, zero});
      scf::YieldOp::create(b, loc, none);

      // Prologue: S, softmax and P of the first tile.
      b.setInsertionPointToStart(any.thenBlock());
      auto [slot0, parity0] = slotOf(kStart, kStart);
      mbarrierWait(barrier(slot0, kFullK), parity0);
      gemmsBegin();
      SmallVector<Value> acc = issueS(kSlot(slot0));
      gemmsEnd();
      NVVM::WgmmaWaitGroupSyncOp::create(b, loc, 0);
      mbarrierArrive(barrier(slot0, kEmptyK));
      fenceOperands(acc);
      Tiles s = nTiles(acc);
      scoresOf(s, kStart);
      Value m0[2] = {negInf, negInf}, l0[2] = {zero, zero};
      Value m1[2], l1[2], alpha0[2];
      softmax(s, m0, l0, m1, l1, alpha0);
      Tiles p = packP(s);

      // Tile j: S(j) and P(j-1)·V(j-1) issued together; the softmax of
      // S(j) runs while P·V is on the tensor cores.
      // O's zeros in registers of their own, defined here: copied from one
      // zero register later, the copies may land between the warpgroup's
      // MMAs of the first tile and serialize them (C7513).
      SmallVector<Value> init(nO, zero);
      fenceOperands(init);
      init.append({m1[0], m1[1], l1[0], l1[1]});
      init.append(flat(p));
      auto loop = scf::ForOp::create(b, loc, addi(kStart, c.tileKV), kEnd,
                                     idx(c.tileKV), init);
      {
        OpBuilder::InsertionGuard g2(b);
        b.setInsertionPointToStart(loop.getBody());
        Value kt = loop.getInductionVar();
        ValueRange state = loop.getRegionIterArgs();
        SmallVector<Value> o(state.begin(), state.begin() + nO);
        Value m[2] = {state[nO], state[nO + 1]};
        Value l[2] = {state[nO + 2], state[nO + 3]};
        Tiles pPrev = unflat(state.drop_front(nO + 4));
        auto [slot, parity] = slotOf(kt, kStart);
        auto [prevSlot, prevParity] =
            slotOf(arith::SubIOp::create(b, loc, kt, idx(c.tileKV)), kStart);
        mbarrierWait(barrier(slot, kFullK), parity);
        mbarrierWait(barrier(prevSlot, kFullV), prevParity);
        SmallVector<Value> pvDescs = preparePV(pPrev, o, vSlot(prevSlot));
        gemmsBegin();
        SmallVector<Value> sAcc = issueS(kSlot(slot));
        issuePV(pPrev, o, pvDescs);
        gemmsEnd();
        // S(j) is the older group: wait for it alone.
        NVVM::WgmmaWaitGroupSyncOp::create(b, loc, 1);
        mbarrierArrive(barrier(slot, kEmptyK));
        fenceOperands(sAcc);
        Tiles sj = nTiles(sAcc);
        scoresOf(sj, kt);
        Value mNew[2], lNew[2], alpha[2];
        softmax(sj, m, l, mNew, lNew, alpha);
        NVVM::WgmmaWaitGroupSyncOp::create(b, loc, 0);
        mbarrierArrive(barrier(prevSlot, kEmptyV));
        fenceOperands(o);
        // P(j-1) stays in its registers until its GEMM is done (else the
        // register allocator may reuse them for P(j) while wgmma reads).
        for (auto &a : pPrev)
          fenceOperands(a);
        // P(j) is packed only now: the empty asm above emits no PTX, and
        // ptxas, free to give P(j-1)'s registers to P(j)'s converts while
        // wgmma reads them, serializes every wgmma of the kernel (C7513)
        // when LLVM has straightened this loop (at most one iteration per
        // CTA, e.g. 200 causal queries in tiles of 128).
        Tiles pNew = packP(sj);
        for (int64_t i = 0; i < nO; ++i)
          o[i] = arith::MulFOp::create(b, loc, o[i], alpha[(i % 4) / 2]);
        SmallVector<Value> yield(o);
        yield.append({mNew[0], mNew[1], lNew[0], lNew[1]});
        yield.append(flat(pNew));
        scf::YieldOp::create(b, loc, yield);
      }

      // Epilogue: P·V of the last tile.
      ValueRange out = loop.getResults();
      SmallVector<Value> o(out.begin(), out.begin() + nO);
      Tiles pLast = unflat(out.drop_front(nO + 4));
      Value last = add(
          kStart,
          mul(arith::DivUIOp::create(
                  b, loc, addi(arith::SubIOp::create(b, loc, kEnd, kStart), -1),
                  idx(c.tileKV)),
              idx(c.tileKV)));
      auto [lastSlot, lastParity] = slotOf(last, kStart);
      mbarrierWait(barrier(lastSlot, kFullV), lastParity);
      SmallVector<Value> pvDescs = preparePV(pLast, o, vSlot(lastSlot));
      gemmsBegin();
      issuePV(pLast, o, pvDescs);
      gemmsEnd();
      NVVM::WgmmaWaitGroupSyncOp::create(b, loc, 0);
      mbarrierArrive(barrier(lastSlot, kEmptyV));
      fenceOperands(o);
      for (auto &a : pLast)
        fenceOperands(a);
      SmallVector<Value> yield(o);
      yield.append(out.begin() + nO, out.begin() + nO + 4);
      scf::YieldOp::create(b, loc, yield);
    }
    // Warpgroup 0 takes the arrival warpgroup 1 made after its last GEMMs.
    if (pingPong) {
      auto first = scf::IfOp::create(
          b, loc, cmp(arith::CmpIPredicate::eq, wg, idx(0)), false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(first.thenBlock()->getTerminator());
      namedBarrier("sync", myBar);
    }
    return SmallVector<Value>(any.getResults().begin(), any.getResults().end());
  }

  /// RoPE on one query row's pairs, as attn.rope defines it: this thread
  /// holds features t2 + 8k and t2 + 8k + 1 for every k, so a NeoX
  /// feature's partner R/2 away is pair k ± R/16 of the same thread and a
  /// GPT-J pair is one pair. inv_freq comes from the kernel module's
  /// table; the angle, cos, sin and the rotation are f32.
  void rotateQ(SmallVector<Value> &pairs, Value batch, Value row) {
    Value pos = row;
    if (c.ropeRank == 2 || c.ropeRank == 1) {
      SmallVector<Value, 2> at = c.ropeRank == 2
                                     ? SmallVector<Value, 2>{batch, row}
                                     : SmallVector<Value, 2>{row};
      pos = arith::IndexCastOp::create(
          b, loc, b.getIndexType(),
          memref::LoadOp::create(b, loc, ropePosMem, at));
    } else if (c.ropeRank == 0) {
      pos = add(
          arith::IndexCastOp::create(
              b, loc, b.getIndexType(),
              memref::LoadOp::create(b, loc, ropePosMem, ValueRange{batch})),
          row);
    }
    Value posF = arith::SIToFPOp::create(
        b, loc, f32, arith::IndexCastOp::create(b, loc, b.getI64Type(), pos));
    Value table = memref::GetGlobalOp::create(
        b, loc, MemRefType::get({c.ropeDim / 2}, f32), "rope_inv_freq");
    Value t2 = mul(
        arith::RemUIOp::create(
            b, loc, gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x), idx(4)),
        idx(2));
    auto elem = [&](int64_t k, int64_t e) -> Value {
      Value v =
          vector::ExtractOp::create(b, loc, pairs[k], ArrayRef<int64_t>{e});
      return arith::ExtFOp::create(b, loc, f32, v);
    };
    bool neox = c.ropeStyle == RopeStyle::NeoX;
    int64_t half = c.ropeDim / 2;
    SmallVector<Value> rotated(pairs.begin(), pairs.end());
    // cos and sin of frequency i = j (NeoX, j in the low half; feature
    // j + R/2 shares it) or j / 2 (GPT-J) for this thread's features j.
    auto cosSin = [&](Value i) -> std::pair<Value, Value> {
      Value angle = arith::MulFOp::create(
          b, loc, posF, memref::LoadOp::create(b, loc, table, i));
      return emitCosSin(b, loc, angle);
    };
    auto rotate = [&](Value self, Value other, Value cs, Value sn,
                      bool first) -> Value {
      Value sc = arith::MulFOp::create(b, loc, self, cs);
      Value os = arith::MulFOp::create(b, loc, other, sn);
      return first ? arith::SubFOp::create(b, loc, sc, os).getResult()
                   : arith::AddFOp::create(b, loc, sc, os).getResult();
    };
    if (neox) {
      for (int64_t k = 0; 8 * k < half; ++k) {
        int64_t kh = k + half / 8; // the partner pair, R/2 features on
        SmallVector<Value, 2> lo, hi;
        for (int64_t e = 0; e < 2; ++e) {
          auto [cs, sn] = cosSin(addi(t2, 8 * k + e));
          Value x = elem(k, e), y = elem(kh, e);
          lo.push_back(rotate(x, y, cs, sn, /*first=*/true));
          hi.push_back(rotate(y, x, cs, sn, /*first=*/false));
        }
        rotated[k] = pack(lo[0], lo[1]);
        rotated[kh] = pack(hi[0], hi[1]);
      }
    } else {
      for (int64_t k = 0; 8 * k < c.ropeDim; ++k) {
        auto [cs, sn] =
            cosSin(arith::DivUIOp::create(b, loc, addi(t2, 8 * k), idx(2)));
        Value x0 = elem(k, 0), x1 = elem(k, 1);
        rotated[k] = pack(rotate(x0, x1, cs, sn, /*first=*/true),
                          rotate(x1, x0, cs, sn, /*first=*/false));
      }
    }
    pairs.assign(rotated.begin(), rotated.end());
  }

  /// The decode form's CTA row `row` of KV head `kvHead`: (query head,
  /// query) of pair `row`, clamped to the last pair (rows past the pairs
  /// load nothing and store nothing).
  std::pair<Value, Value> packedPair(Value kvHead, Value row) {
    Value pair = minIdx(row, idx(c.group() * c.sq - 1));
    return {add(mul(kvHead, idx(c.group())),
                arith::DivUIOp::create(b, loc, pair, idx(c.sq))),
            arith::RemUIOp::create(b, loc, pair, idx(c.sq))};
  }

  /// qInSmem: the CTA's Q tile into shared memory by cp.async (16-byte
  /// chunks at chunk XOR row % 8; rows past the queries zero-filled), as
  /// its own group: the key loop's first wait covers it. In the decode
  /// form `head` is the KV head and row r is query r % Sq of its query
  /// head r / Sq; rows past the pairs are zero-filled up to the end of
  /// the last m-tile that has pairs (an m-tile's rows are the A operand
  /// of one mma), and passes wholly past it are skipped (the m-tiles
  /// there give only rows past the pairs, which are never stored).
  void copyQTile(Value tid, Value batch, Value head, Value qFirst,
                 Value queries) {
    int64_t chunksPerRow = c.dqk / 8;
    int64_t rowsPerPass = c.threads() / chunksPerRow;
    Value copyRow = arith::DivUIOp::create(b, loc, tid, idx(chunksPerRow));
    Value copyChunk = arith::RemUIOp::create(b, loc, tid, idx(chunksPerRow));
    // Flat when every pass writes the same swizzled column (rows per pass
    // a multiple of 8): the passes' destinations differ by constants.
    bool flat = rowsPerPass % 8 == 0;
    Value dstMem = qSmem, first;
    if (flat) {
      dstMem = flatTile(qSmem);
      first = add(mul(copyRow, idx(c.dqk)),
                  mul(xori(copyChunk, andi(copyRow, 7)), idx(8)));
    }
    int64_t pairs = c.group() * c.sq;
    for (int64_t k = 0; k < c.tileQ() / rowsPerPass; ++k) {
      Value row = addi(copyRow, k * rowsPerPass);
      Value q = add(qFirst, row), rowHead = head;
      Value n =
          select(cmp(arith::CmpIPredicate::slt, q, queries), idx(8), idx(0));
      q = minIdx(q, idx(c.sq - 1));
      if (c.packed()) {
        if (k * rowsPerPass >=
            static_cast<int64_t>(llvm::alignTo(pairs, kTileRows)))
          break; // passes past the m-tiles with pairs
        n = select(cmp(arith::CmpIPredicate::slt, row, idx(pairs)), idx(8),
                   idx(0));
        std::tie(rowHead, q) = packedPair(head, row);
      }
      SmallVector<Value, 2> dst = {row,
                                   mul(xori(copyChunk, andi(row, 7)), idx(8))};
      if (flat)
        dst = {addi(first, k * rowsPerPass * c.dqk)};
      nvgpu::DeviceAsyncCopyOp::create(
          b, loc, dstMem, dst, qMem,
          ValueRange{batch, rowHead, q, mul(copyChunk, idx(8))},
          b.getIndexAttr(8), n, b.getUnitAttr());
    }
    NVVM::CpAsyncCommitGroupOp::create(b, loc);
  }

  /// Q as mma A fragments, one set per 16-wide slice of Dqk, loaded from
  /// global memory. Pairs start at even columns of rows of even length in
  /// 16-byte aligned buffers (checked by the loader): 4-byte aligned. The
  /// decode form's rows past the (head, query) pairs load nothing (zeros).
  SmallVector<SmallVector<Value, 4>> loadQFragments(Value batch, Value t2,
                                                    Value headR[2],
                                                    Value rowsC[2],
                                                    Value valid[2]) {
    auto pairTy = VectorType::get({2}, c.elt);
    SmallVector<Value> qPairs[2];
    for (int r : {0, 1}) {
      auto loadRow = [&]() {
        SmallVector<Value> pairs;
        for (int64_t col = 0; col < c.dqk; col += 8)
          pairs.push_back(vector::LoadOp::create(
              b, loc, pairTy, qMem,
              qIndex(batch, headR[r], rowsC[r], addi(t2, col)),
              /*nontemporal=*/false, llvm::Align(4)));
        return pairs;
      };
      // Rows past the queries (the last query tile of a length the tile
      // does not divide, varlen, the decode form's padding) load nothing.
      if (!c.packed() && !c.varlen && c.sq % c.tileQ() == 0) {
        qPairs[r] = loadRow();
        continue;
      }
      SmallVector<Type> types(c.dqk / 8, pairTy);
      auto ifValid = scf::IfOp::create(b, loc, types, valid[r],
                                       /*withElseRegion=*/true);
      {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(ifValid.thenBlock());
        scf::YieldOp::create(b, loc, loadRow());
        b.setInsertionPointToStart(ifValid.elseBlock());
        Value zeros = arith::ConstantOp::create(b, loc, b.getZeroAttr(pairTy))
                          .getResult();
        scf::YieldOp::create(b, loc, SmallVector<Value>(c.dqk / 8, zeros));
      }
      qPairs[r].assign(ifValid.getResults().begin(),
                       ifValid.getResults().end());
    }
    if (c.ropeQ)
      for (int r : {0, 1})
        rotateQ(qPairs[r], batch, rowsC[r]);
    SmallVector<SmallVector<Value, 4>> qFrag;
    for (int64_t s = 0; s < c.dqk / 16; ++s)
      qFrag.push_back({operand(qPairs[0][2 * s]), operand(qPairs[1][2 * s]),
                       operand(qPairs[0][2 * s + 1]),
                       operand(qPairs[1][2 * s + 1])});
    return qFrag;
  }

  /// A lane's part of the ldmatrix.x4 addresses of Q's A fragments in the
  /// Q tile in shared memory (flat): lane l gives row l % 8 + 8·((l / 8) %
  /// 2) of an m-tile's 16 rows, from the warp's first row `warpRow0`, and
  /// 8-column block l / 16 of the 16-wide slice.
  struct QLanes {
    Value flat, rowAt, half, row8;
  };
  QLanes qLanes(Value warpRow0, Value lane) {
    Value row8 = arith::RemUIOp::create(b, loc, lane, idx(8));
    Value mat = arith::DivUIOp::create(b, loc, lane, idx(8));
    Value qRow = add(warpRow0, add(row8, mul(andi(mat, 1), idx(8))));
    return {flatTile(qSmem), mul(qRow, idx(c.dqk)),
            arith::DivUIOp::create(b, loc, lane, idx(16)), row8};
  }
  /// The A fragment of Q for m-tile `mt` and the 16-wide slice 2p + h of
  /// Dqk, by one ldmatrix.x4. The chunks are swizzled by XOR with the row
  /// (below 8), which changes only a chunk's low 3 bits: every m-tile's
  /// and slice's address is the lane's register plus a constant.
  SmallVector<Value, 4> qFragment(const QLanes &q, int64_t mt, int64_t p,
                                  int64_t h) {
    int64_t chunk = 4 * p + 2 * h;
    Value col = addi(mul(xori(addi(q.half, chunk % 8), q.row8), idx(8)),
                     8 * (chunk - chunk % 8));
    Value x4 = nvgpu::LdMatrixOp::create(
        b, loc, VectorType::get({4, 2}, c.elt), q.flat,
        ValueRange{addi(add(q.rowAt, col), 16 * mt * c.dqk)},
        /*transpose=*/false, /*numTiles=*/4);
    SmallVector<Value, 4> frag;
    for (int64_t f = 0; f < 4; ++f)
      frag.push_back(
          operand(vector::ExtractOp::create(b, loc, x4, ArrayRef<int64_t>{f})));
    return frag;
  }

  /// qViaSmem: the Q tile into shared memory (copyQTile), then each warp's
  /// A fragments (qFragment), two per 32-wide slice of Dqk and m-tile (the
  /// set of m-tile i is [i·Dqk/16, (i+1)·Dqk/16)); a barrier on each side:
  /// the tile lives where K and V go next.
  SmallVector<SmallVector<Value, 4>>
  loadQFragmentsViaSmem(Value tid, Value warpRow0, Value lane, Value batch,
                        Value head, Value qFirst, Value queries) {
    copyQTile(tid, batch, head, qFirst, queries);
    NVVM::CpAsyncWaitGroupOp::create(b, loc, 0);
    gpu::BarrierOp::create(b, loc);
    QLanes q = qLanes(warpRow0, lane);
    SmallVector<SmallVector<Value, 4>> qFrag;
    for (int64_t mt = 0; mt < c.mTiles; ++mt)
      for (int64_t p = 0; p < c.dqk / 32; ++p)
        for (int64_t h = 0; h < 2; ++h)
          qFrag.push_back(qFragment(q, mt, p, h));
    gpu::BarrierOp::create(b, loc);
    return qFrag;
  }

  /// Split keys: merges the online softmax states (`res`: O accumulators,
  /// then the row max and the partial row sum of each of the thread's
  /// rows) of the warps of an m-tile into that of its part-0 warp (warp w
  /// < R, R = rowTiles()), through the K/V tiles' buffer (free once every
  /// warp is past the last tile's ldmatrix: a barrier). Warps w >= R write
  /// their O and sums to slot w - R and their row maxima after the slots;
  /// after a barrier warp w < R takes the maximum M of its m-tile's warps'
  /// and adds each warp's state times exp2((m - M) · factor) (0 for a warp
  /// whose rows saw no key). Lane l of those warps holds the same rows and
  /// columns, so the sums' quad reduction in the epilogue is unchanged.
  void mergeWarpKeys(SmallVector<Value> &res, Value warp, Value lane, Value g,
                     Value t, Value factor) {
    int64_t nRows = c.threadRows();
    int64_t nO = static_cast<int64_t>(res.size()) - 2 * nRows;
    int64_t rowTiles = c.rowTiles();
    // A lane's words in pairs (a row's two columns of an n-tile; the two
    // sums): pair q of lane l at 64·q + 2·l, a warp's 256 contiguous bytes
    // per 8-byte access. (A merging warp's rows past the pairs are dead:
    // LLVM drops their loads. In 16-byte groups, the 8-byte loads left had
    // 4-way bank conflicts.)
    int64_t words = nO + nRows, pairs = words / 2;
    int64_t slot = pairs * 64;
    int64_t maxBase = (c.warps - rowTiles) * slot;
    Value negInf = f32c(-INFINITY), zero = f32c(0.0);
    // The state's words: the O accumulators, then the sums.
    auto word = [&](int64_t i) -> Value & {
      return i < nO ? res[i] : res[nO + nRows + (i - nO)];
    };
    // The row (0: g, 1: g + 8) of word i: O accumulator i % 4 of an n-tile
    // is of row (i % 4) / 2.
    auto rowOf = [&](int64_t i) { return i < nO ? (i % 4) / 2 : i - nO; };
    auto v2 = VectorType::get({2}, f32);
    Value lane2 = mul(lane, idx(2));
    // Slot `s`'s maximum of row r of this thread.
    auto maxAt = [&](Value s, int64_t r) {
      return addi(add(mul(s, idx(c.warpRows())), g), maxBase + 8 * r);
    };
    gpu::BarrierOp::create(b, loc);
    Value merges = cmp(arith::CmpIPredicate::ult, warp, idx(rowTiles));
    {
      auto writes = scf::IfOp::create(
          b, loc, cmp(arith::CmpIPredicate::uge, warp, idx(rowTiles)),
          /*withElse=*/false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(writes.thenBlock()->getTerminator());
      Value own = addi(warp, -rowTiles);
      Value first = add(mul(own, idx(slot)), lane2);
      for (int64_t q = 0; q < pairs; ++q)
        vector::StoreOp::create(
            b, loc,
            vector::FromElementsOp::create(
                b, loc, v2, ValueRange{word(2 * q), word(2 * q + 1)}),
            mergeSmem, ValueRange{addi(first, 64 * q)},
            /*nontemporal=*/false, llvm::Align(8));
      auto quad0 = scf::IfOp::create(
          b, loc, cmp(arith::CmpIPredicate::eq, t, idx(0)), false);
      b.setInsertionPoint(quad0.thenBlock()->getTerminator());
      for (int64_t r = 0; r < nRows; ++r)
        memref::StoreOp::create(b, loc, res[nO + r], mergeSmem,
                                ValueRange{maxAt(own, r)});
    }
    gpu::BarrierOp::create(b, loc);
    SmallVector<Type> types(res.size(), b.getF32Type());
    auto merge = scf::IfOp::create(b, loc, types, merges, /*withElse=*/true);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(merge.elseBlock());
      scf::YieldOp::create(b, loc, res);
      b.setInsertionPointToStart(merge.thenBlock());
      SmallVector<Value> merged(res);
      // The slots of this m-tile's other warps: warp + R·(p - 1) for
      // parts p > 0.
      int64_t others = c.keyGroups - 1;
      SmallVector<Value> slots;
      for (int64_t p = 0; p < others; ++p)
        slots.push_back(addi(warp, p * rowTiles));
      // weight[p][r]: the factor of part p for row r.
      SmallVector<SmallVector<Value, 2>> weight(c.keyGroups);
      for (int64_t r = 0; r < nRows; ++r) {
        SmallVector<Value> m = {res[nO + r]};
        for (Value sl : slots)
          m.push_back(memref::LoadOp::create(b, loc, mergeSmem,
                                             ValueRange{maxAt(sl, r)}));
        Value mAll = m[0];
        for (int64_t p = 1; p <= others; ++p)
          mAll = arith::MaximumFOp::create(b, loc, mAll, m[p]);
        for (int64_t p = 0; p <= others; ++p) {
          Value diff = arith::MulFOp::create(
              b, loc, arith::SubFOp::create(b, loc, m[p], mAll), factor);
          weight[p].push_back(
              select(arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                           m[p], negInf),
                     zero, math::Exp2Op::create(b, loc, diff)));
        }
        merged[nO + r] = mAll;
      }
      auto out = [&](int64_t i) -> Value & {
        return i < nO ? merged[i] : merged[nO + nRows + (i - nO)];
      };
      for (int64_t i = 0; i < words; ++i)
        out(i) = arith::MulFOp::create(b, loc, word(i), weight[0][rowOf(i)]);
      for (int64_t p = 1; p <= others; ++p) {
        Value first = add(mul(slots[p - 1], idx(slot)), lane2);
        for (int64_t q = 0; q < pairs; ++q) {
          Value two = vector::LoadOp::create(
              b, loc, v2, mergeSmem, ValueRange{addi(first, 64 * q)},
              /*nontemporal=*/false, llvm::Align(8));
          for (int64_t e = 0; e < 2; ++e)
            out(2 * q + e) = math::FmaOp::create(
                b, loc,
                vector::ExtractOp::create(b, loc, two, ArrayRef<int64_t>{e}),
                weight[p][rowOf(2 * q + e)], out(2 * q + e));
        }
      }
      scf::YieldOp::create(b, loc, merged);
    }
    res.assign(merge.getResults().begin(), merge.getResults().end());
  }

  /// `v` (an index) defined here: an empty volatile asm, which LLVM does
  /// not hoist out of the key loop. The addresses of a tile copy's
  /// 16-byte chunks are then this register plus constants, formed in the
  /// loop; hoisted, each was a register of its own for the whole loop
  /// (ptxas spilled them at 32 query rows per warp).
  Value pinned(Value v) {
    Type i64 = b.getI64Type();
    Value x = arith::IndexCastOp::create(b, loc, i64, v);
    x = LLVM::InlineAsmOp::create(b, loc, i64, ValueRange{x}, "", "=l,0",
                                  /*has_side_effects=*/true,
                                  /*is_align_stack=*/false,
                                  LLVM::tailcallkind::TailCallKind::None,
                                  LLVM::AsmDialectAttr(), ArrayAttr())
            .getResult(0);
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), x);
  }
  /// A shared-memory tile as one dimension (row-major), so that a copy's
  /// 16-byte chunks `rows` apart are one register plus constants (indexed
  /// by row and column, each row offset was folded into an address of its
  /// own).
  Value flatTile(Value tile) {
    auto type = cast<MemRefType>(tile.getType());
    if (type.getRank() == 1)
      return tile;
    SmallVector<ReassociationIndices> all = {{0, 1}};
    return memref::CollapseShapeOp::create(b, loc, tile, all);
  }

  /// A [rows][cols] tile of the element type at byte `offset` of the
  /// shared i8 buffer `bytes`.
  Value tileView(Value bytes, int64_t offset, int64_t rows, int64_t cols) {
    auto space = gpu::AddressSpaceAttr::get(b.getContext(),
                                            gpu::AddressSpace::Workgroup);
    return memref::ViewOp::create(b, loc,
                                  MemRefType::get({rows, cols}, c.elt,
                                                  MemRefLayoutAttrInterface(),
                                                  space),
                                  bytes, idx(offset), ValueRange{});
  }

  /// Split keys: the f32 words of mergeWarpKeys at the start of the shared
  /// i8 buffer `bytes` (the Q, K and V tiles', free after the key loop).
  Value mergeView(Value bytes) {
    auto space = gpu::AddressSpaceAttr::get(b.getContext(),
                                            gpu::AddressSpace::Workgroup);
    return memref::ViewOp::create(b, loc,
                                  MemRefType::get({c.mergeBytes() / 4}, f32,
                                                  MemRefLayoutAttrInterface(),
                                                  space),
                                  bytes, idx(0), ValueRange{});
  }

  /// The query parameter; the block table (paged); the positions or
  /// offsets of a fused RoPE on Q; the Q tile in shared memory (qInSmem).
  Value qMem, tableMem, ropePosMem, qSmem;
  /// Split keys: f32 words for mergeWarpKeys, over the K/V tiles.
  Value mergeSmem;
  /// The epilogue's staging area, shared memory that is free once the key
  /// loop is done (the K tile, the Q tile, the wgmma buffer or the TMA
  /// ring): `stageElems` elements from element `stageBase` of `stageMem`
  /// (rank 1, or rank 2 addressed row-major).
  Value stageMem, stageBase;
  int64_t stageElems = 0;
  /// TMA: the output's tensor map (the epilogue stores each warp's staged
  /// 16 x 64 boxes with cp.async.bulk.tensor).
  Value oMap;
  /// The indices of element `e` of stageMem.
  SmallVector<Value, 2> stageAt(Value e) {
    auto type = cast<MemRefType>(stageMem.getType());
    if (type.getRank() == 1)
      return {e};
    Value cols = idx(type.getDimSize(1));
    return {arith::DivUIOp::create(b, loc, e, cols),
            arith::RemUIOp::create(b, loc, e, cols)};
  }
  /// Columns of the output each warp stages at a time: 64 (128-byte rows)
  /// or fewer where the head dimension or the staging area asks for it; 0
  /// when the output cannot be staged.
  int64_t stageWidth() const {
    for (int64_t w = 64; w >= 8; w /= 2)
      if (c.dv % w == 0 && c.tileQ() * w <= stageElems)
        return w;
    return 0;
  }

  /// Stores 16 output rows of this warp, one m-tile (`o`: the normalized O
  /// fragments, f32, m16n8k16 accumulator order), through shared memory, so
  /// that each lane writes 16-byte vectors and each group of lanes whole
  /// 128-byte lines. The fragments go to the m-tile's own part (`slot`,
  /// 16 rows each) of the staging area (the first m-tile's call waits for
  /// every warp to be done with the tiles it held),
  /// `width` columns at a time, rows of `width` elements whose 16-byte
  /// chunks are XOR-swizzled by row (the fragment writes of a warp and the
  /// 16-byte reads of each quarter-warp hit distinct banks), then each lane
  /// reads 16-byte chunks back and stores those of existing rows.
  void storeOutputStaged(ArrayRef<Value> o, Value slot, Value lane, Value g,
                         Value t2, Value rowFirst, Value queries, Value batch,
                         Value head, Value oMem, bool first = true) {
    int64_t width = stageWidth();
    int64_t chunks = width / 8;       // 16-byte chunks per staged row
    int64_t rowsPerLine = 8 / chunks; // staged rows per 128 bytes
    auto swizzle = [&](Value row) {
      return arith::RemUIOp::create(
          b, loc, arith::DivUIOp::create(b, loc, row, idx(rowsPerLine)),
          idx(chunks));
    };
    // Every warp is done with the tiles the staging area held (the TMA
    // kernel: every consumer warp; named barrier 3, the key loop uses 1
    // and 2).
    if (first && c.tma)
      inlinePtx("bar.sync 3, " + std::to_string(c.warps * 32) + ";", "",
                ValueRange{});
    else if (first)
      gpu::BarrierOp::create(b, loc);
    Value warpBase = add(stageBase, mul(slot, idx(kTileRows * width)));
    Value swG = swizzle(g);
    auto vec8 = VectorType::get({8}, c.elt);
    Value allLanes = i32c(-1);
    int64_t reads = llvm::divideCeil(kTileRows * chunks, 32);
    // TMA kernels: the staged 16 rows x 64 columns of a warp are one box of
    // the output's map (1024-byte aligned, 128-byte rows, chunks XOR row %
    // 8: the 128-byte swizzle), stored by lane 0; rows past the queries are
    // outside the map and not written.
    bool tmaStore = oMap && width == 64;
    Value lane0 =
        tmaStore ? cmp(arith::CmpIPredicate::eq, lane, idx(0)) : Value();
    auto onLane0 = [&](function_ref<void()> body) {
      auto ifOp = scf::IfOp::create(b, loc, lane0, /*withElse=*/false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
      body();
    };
    for (int64_t jc = 0; jc < c.dv / width; ++jc) {
      if (jc && tmaStore) // the previous box has left shared memory
        onLane0([&] {
          inlinePtx("cp.async.bulk.wait_group.read 0;", "", ValueRange{});
        });
      if (jc) // the previous columns have been read back
        NVVM::SyncWarpOp::create(b, loc, allLanes);
      for (int r = 0; r < 2; ++r) {
        Value rowOff = mul(addi(g, 8 * r), idx(width));
        for (int64_t k = 0; k < chunks; ++k) {
          int64_t jd = jc * chunks + k;
          Value chunk = xori(idx(k), swG);
          Value e = add(add(warpBase, rowOff), add(mul(chunk, idx(8)), t2));
          vector::StoreOp::create(
              b, loc, pack(o[4 * jd + 2 * r], o[4 * jd + 2 * r + 1]), stageMem,
              stageAt(e),
              /*nontemporal=*/false, llvm::Align(4));
        }
      }
      if (tmaStore) {
        // The writes reach the async proxy, then lane 0 issues the box.
        NVVM::FenceProxyOp::create(
            b, loc, NVVM::ProxyKind::async_shared,
            NVVM::SharedSpaceAttr::get(b.getContext(),
                                       NVVM::SharedSpace::shared_cta));
        NVVM::SyncWarpOp::create(b, loc, allLanes);
        onLane0([&] {
          Value src = add(ringBase, mul(warpBase, idx(2)));
          inlinePtx("cp.async.bulk.tensor.4d.global.shared::cta.bulk_group "
                    "[$0, {$1, $2, $3, $4}], [$5];",
                    "l,r,r,r,r,r",
                    {oMap, i32c(jc * width), toI32(rowFirst), toI32(head),
                     toI32(batch), shared32(src)});
          inlinePtx("cp.async.bulk.commit_group;", "", ValueRange{});
        });
        continue;
      }
      NVVM::SyncWarpOp::create(b, loc, allLanes);
      for (int64_t i = 0; i < reads; ++i) {
        Value q = addi(lane, 32 * i);
        Value row = arith::DivUIOp::create(b, loc, q, idx(chunks));
        Value chunk = arith::RemUIOp::create(b, loc, q, idx(chunks));
        Value qRow = add(rowFirst, row);
        Value ok = cmp(arith::CmpIPredicate::ult, qRow, queries);
        if (kTileRows * chunks < 32 * (i + 1))
          ok = arith::AndIOp::create(
              b, loc, ok, cmp(arith::CmpIPredicate::ult, row, idx(kTileRows)));
        auto ifOp = scf::IfOp::create(b, loc, ok, /*withElse=*/false);
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
        Value e = add(add(warpBase, mul(row, idx(width))),
                      mul(xori(chunk, swizzle(row)), idx(8)));
        Value v =
            vector::LoadOp::create(b, loc, vec8, stageMem, stageAt(e),
                                   /*nontemporal=*/false, llvm::Align(16));
        vector::StoreOp::create(
            b, loc, v, oMem,
            qIndex(batch, head, qRow, add(idx(jc * width), mul(chunk, idx(8)))),
            /*nontemporal=*/false, llvm::Align(16));
      }
    }
    // Shared memory stays until the boxes have been read.
    if (tmaStore)
      onLane0([&] {
        inlinePtx("cp.async.bulk.wait_group.read 0;", "", ValueRange{});
      });
  }
  /// Split-KV: the launch's split count (grid x) and whether this CTA's
  /// split has a place in the workspace.
  Value numSplits, splitStored;
  /// Quantized pools: scales and zero points (as the op gives them), and
  /// the staging buffer the raw K and V tiles are copied into (one, used
  /// in turn).
  Value kScaleMem, vScaleMem, kZeroMem, vZeroMem, kStage, vStage;
  /// FP8: the query's scales and, for each of this thread's two rows, the
  /// product of its query head's Q scale and the KV head's K scale (f32;
  /// the decode form's rows are several query heads).
  Value qScaleMem, qkScale[2];
  /// `v` as f32, times row `r`'s qkScale (FP8).
  Value scaled(double v, int r) {
    Value x = f32c(v);
    return qkScale[r] ? arith::MulFOp::create(b, loc, x, qkScale[r]).getResult()
                      : x;
  }
  Value kvHeadOfCta;
  /// The scale or zero point of pool row `poolRow` (per_token: indexed by
  /// the row, the parameter viewed as 1-D; per_head: by the KV head;
  /// per_tensor: the only one), as f32.
  Value quantParam(Value mem, Value poolRow, Value kvHead) {
    auto type = cast<MemRefType>(mem.getType());
    SmallVector<Value, 4> at;
    if (c.granularity == QuantGranularity::PerToken) {
      // Row-major without D: its linear index is the pool row.
      SmallVector<Value, 4> rest;
      Value r = maxIdx(poolRow, idx(0));
      for (int64_t dim = type.getRank() - 1; dim >= 0; --dim) {
        rest.push_back(
            arith::RemUIOp::create(b, loc, r, idx(type.getDimSize(dim))));
        r = arith::DivUIOp::create(b, loc, r, idx(type.getDimSize(dim)));
      }
      at.assign(rest.rbegin(), rest.rend());
    } else if (c.granularity == QuantGranularity::PerHead) {
      at = {kvHead};
    } else {
      at.assign(type.getRank(), idx(0));
    }
    Value v = memref::LoadOp::create(b, loc, mem, at);
    if (v.getType().isF32())
      return v;
    return arith::SIToFPOp::create(b, loc, f32, v);
  }
  /// One storage code (an i8: INT8, e4m3fn or e5m2 bits) as f32.
  Value decode(Value code) {
    if (c.quant == QuantScheme::Int8Sym || c.quant == QuantScheme::Int8Asym)
      return arith::SIToFPOp::create(b, loc, f32, code);
    Value bits = arith::ExtUIOp::create(b, loc, i32, code);
    if (c.quant == QuantScheme::Fp8E5M2) {
      // e5m2 is the high byte of an f16.
      Value h = arith::TruncIOp::create(
          b, loc, b.getI16Type(), arith::ShLIOp::create(b, loc, bits, i32c(8)));
      Value half = arith::BitcastOp::create(b, loc, b.getF16Type(), h);
      return arith::ExtFOp::create(b, loc, f32, half);
    }
    // e4m3fn: sign, 4 exponent bits (bias 7), 3 mantissa bits; no
    // infinities, S.1111.111 is NaN; exponent 0 is subnormal (m · 2^-9).
    auto u = [&](int64_t v) { return i32c(v); };
    Value sign = arith::AndIOp::create(b, loc, bits, u(0x80));
    Value e = arith::AndIOp::create(
        b, loc, arith::ShRUIOp::create(b, loc, bits, u(3)), u(0xF));
    Value m = arith::AndIOp::create(b, loc, bits, u(7));
    Value normal = arith::OrIOp::create(
        b, loc,
        arith::ShLIOp::create(b, loc, arith::AddIOp::create(b, loc, e, u(120)),
                              u(23)),
        arith::ShLIOp::create(b, loc, m, u(20)));
    Value mag = select(cmp(arith::CmpIPredicate::eq, e, u(0)),
                       arith::BitcastOp::create(
                           b, loc, i32,
                           arith::MulFOp::create(
                               b, loc, arith::SIToFPOp::create(b, loc, f32, m),
                               f32c(1.0 / 512))),
                       normal);
    Value isNan =
        arith::AndIOp::create(b, loc, cmp(arith::CmpIPredicate::eq, e, u(15)),
                              cmp(arith::CmpIPredicate::eq, m, u(7)));
    mag = select(isNan, u(0x7FC00000), mag);
    return arith::BitcastOp::create(
        b, loc, f32,
        arith::OrIOp::create(b, loc, mag,
                             arith::ShLIOp::create(b, loc, sign, u(24))));
  }
  /// Paged: the pool row (i32; -1 when the key is absent) of each key of a
  /// tile, [2][64], one buffer per tile parity (written for tile j + 1
  /// while tile j is used); the pools viewed as [rows][D].
  Value rowsSmem, kPoolRows, vPoolRows, rowsStart;
  /// Which buffer of rowsSmem holds the rows of key tile `kt`.
  Value rowsBufOf(Value kt) {
    Value i = arith::DivUIOp::create(
        b, loc, arith::SubIOp::create(b, loc, kt, rowsStart), idx(c.tileKV));
    return andi(i, 1);
  }
  /// Paged: threads 0-63 write the pool rows of the keys of tile `kt` into
  /// buffer `buf` (key j of batch b: slot j % blockSize of block
  /// table[b][j / blockSize], absent past the context, past the table or
  /// when the id is outside [0, numBlocks)).
  void writeTileRows(Value tid, Value batch, Value kvHead, Value kt,
                     Value buf) {
    auto mine = scf::IfOp::create(
        b, loc, cmp(arith::CmpIPredicate::ult, tid, idx(c.tileKV)), false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(mine.thenBlock()->getTerminator());
    Value key = add(kt, tid);
    Value blk = arith::DivUIOp::create(b, loc, key, idx(c.blockSize));
    Value inBlock = arith::RemUIOp::create(b, loc, key, idx(c.blockSize));
    Value id = arith::IndexCastOp::create(
        b, loc, b.getIndexType(),
        memref::LoadOp::create(
            b, loc, tableMem,
            ValueRange{batch, minIdx(blk, idx(c.tableWidth - 1))}));
    Value present = arith::AndIOp::create(
        b, loc,
        arith::AndIOp::create(
            b, loc, cmp(arith::CmpIPredicate::slt, key, keys),
            cmp(arith::CmpIPredicate::slt, blk, idx(c.tableWidth))),
        arith::AndIOp::create(
            b, loc, cmp(arith::CmpIPredicate::sge, id, idx(0)),
            cmp(arith::CmpIPredicate::slt, id, idx(c.numBlocks))));
    // NHD [block][slot][head], HND [block][head][slot].
    Value poolRow =
        c.hnd ? add(mul(add(mul(id, idx(c.hkv)), kvHead), idx(c.blockSize)),
                    inBlock)
              : add(mul(add(mul(id, idx(c.blockSize)), inBlock), idx(c.hkv)),
                    kvHead);
    memref::StoreOp::create(b, loc, toI32(select(present, poolRow, idx(-1))),
                            rowsSmem, ValueRange{buf, tid});
  }
  /// The keys of this batch entry (Sk, or kv_lens[b] clamped to [0, Sk])
  /// and the offset of the mask's diagonal (index values set by build).
  Value keys, diagOff;
  /// Varlen: the first query and key token of this sequence and its keys.
  Value qTok0, kTok0, seqKeys;
  /// Where (batch, head, query row, column) is in Q, out: [B, H, S, D], or
  /// [T, H, D] for varlen (the row is relative to the sequence and in its
  /// range).
  SmallVector<Value, 4> qIndex(Value batch, Value head, Value row, Value col) {
    if (c.varlen)
      return {qToken(row), head, col};
    return {batch, head, row, col};
  }
  /// Varlen: the packed token of query `row` of this sequence (clamped: an
  /// empty last sequence starts at Tq).
  Value qToken(Value row) { return minIdx(add(qTok0, row), idx(c.sq - 1)); }
  /// The visible keys of query `row` form the interval [lo, hi] (i32, with
  /// hi clamped to the last key): computed once per row, so the mask costs
  /// two compares per score.
  std::pair<Value, Value> visibleKeys(Value row) {
    Value diag = add(row, diagOff);
    Value hi = addi(keys, -1);
    if (c.causal)
      hi = minIdx(hi, diag);
    else if (c.windowRight >= 0)
      hi = minIdx(hi, addi(diag, c.windowRight));
    Value lo = idx(0);
    if (c.windowLeft >= 0)
      lo = maxIdx(lo, addi(diag, -c.windowLeft));
    return {toI32(lo), toI32(hi)};
  }
};

void KernelBuilder::build(gpu::GPUFuncOp func) {
  Block &entry = func.getBody().front();
  b.setInsertionPointToStart(&entry);
  unsigned argNo = 0;
  auto nextArg = [&](bool present) {
    return present ? entry.getArgument(argNo++) : Value();
  };
  qMem = nextArg(true);
  Value kMem = nextArg(true), vMem = nextArg(true);
  tableMem = nextArg(c.paged);
  Value biasMem = nextArg(c.bias), alibiMem = nextArg(c.alibi),
        kvLensMem = nextArg(c.kvLens);
  Value cuQMem = nextArg(c.varlen), cuKMem = nextArg(c.varlen);
  qScaleMem = nextArg(c.fp8);
  kScaleMem = nextArg(c.quantized() || c.fp8);
  vScaleMem = nextArg(c.quantized() || c.fp8);
  kZeroMem = nextArg(c.asymmetric());
  vZeroMem = nextArg(c.asymmetric());
  ropePosMem = nextArg(c.ropeQ && c.ropeRank >= 0);
  // Split-KV: the partial output [B, Hq, Sq, splits, Dv] (f32) and its
  // lse [B, Hq, Sq, splits] take the place of out and lse.
  Value oMem = nextArg(true), lseMem = nextArg(c.lse || c.packed());
  Value qMap = nextArg(c.tma), kMap = nextArg(c.tma), vMap = nextArg(c.tma);
  oMap = nextArg(c.tmaStore());

  Value tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
  Value warp = arith::DivUIOp::create(b, loc, tid, idx(32));
  Value lane = arith::RemUIOp::create(b, loc, tid, idx(32));
  Value g = arith::DivUIOp::create(b, loc, lane, idx(4));
  Value t = arith::RemUIOp::create(b, loc, lane, idx(4));
  Value t2 = mul(t, idx(2));
  Value blockX = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
  Value blockY = gpu::BlockIdOp::create(b, loc, gpu::Dimension::y);
  Value batch = gpu::BlockIdOp::create(b, loc, gpu::Dimension::z);
  // Varlen: this sequence's first token and length, for queries and keys
  // (lengths clamped to the packed totals).
  Value queries = idx(c.sq);
  if (c.varlen) {
    auto load = [&](Value mem, Value at) -> Value {
      return arith::IndexCastOp::create(
          b, loc, b.getIndexType(),
          memref::LoadOp::create(b, loc, mem, ValueRange{at}));
    };
    Value next = addi(batch, 1);
    qTok0 = minIdx(maxIdx(load(cuQMem, batch), idx(0)), idx(c.sq));
    kTok0 = minIdx(maxIdx(load(cuKMem, batch), idx(0)), idx(c.sk));
    queries =
        minIdx(maxIdx(arith::SubIOp::create(b, loc, load(cuQMem, next), qTok0),
                      idx(0)),
               arith::SubIOp::create(b, loc, idx(c.sq), qTok0));
    seqKeys =
        minIdx(maxIdx(arith::SubIOp::create(b, loc, load(cuKMem, next), kTok0),
                      idx(0)),
               arith::SubIOp::create(b, loc, idx(c.sk), kTok0));
  }
  Value lastRow = maxIdx(addi(queries, -1), idx(0));
  // Each thread's rows (g and g + 8 of each m-tile: CTA row warp·warpRows
  // + g + 8r for r < threadRows): query index (rows; rowsC clamped to the
  // last query), query head and whether the row exists.
  constexpr int kMaxRows = 4;
  const int nRows = static_cast<int>(c.threadRows());
  assert(nRows <= kMaxRows && "at most two m-tiles per warp");
  Value rows[kMaxRows], rowsC[kMaxRows], headR[kMaxRows], valid[kMaxRows];
  Value kvHead, qFirst, split;
  // The warp's first CTA row, and its first key of each key tile (split
  // keys: m-tile w % rowTiles() and part w / rowTiles() of each tile).
  Value warpRow0 = mul(
      c.splitKeys()
          ? arith::RemUIOp::create(b, loc, warp, idx(c.rowTiles())).getResult()
          : warp,
      idx(c.warpRows()));
  Value warpKey0 =
      c.splitKeys()
          ? mul(arith::DivUIOp::create(b, loc, warp, idx(c.rowTiles())),
                idx(c.warpKeys()))
          : idx(0);
  Value ctaRow = add(warpRow0, g);
  // The first CTA row of this thread's warpgroup.
  Value wgRow = mul(arith::DivUIOp::create(b, loc, warp, idx(4)), idx(64));
  if (c.packed()) {
    // Rows are (query head of this KV head, query) pairs.
    split = blockX;
    kvHead = blockY;
    int64_t n = c.group() * c.sq;
    for (int r = 0; r < nRows; ++r) {
      Value cr = addi(ctaRow, 8 * r);
      valid[r] = cmp(arith::CmpIPredicate::slt, cr, idx(n));
      std::tie(headR[r], rows[r]) = packedPair(kvHead, cr);
      rowsC[r] = rows[r];
    }
    qFirst = idx(0);
  } else {
    Value head = blockY;
    kvHead = arith::DivUIOp::create(b, loc, head, idx(c.group()));
    qFirst = mul(blockX, idx(c.tileQ()));
    for (int r = 0; r < nRows; ++r) {
      rows[r] = add(qFirst, addi(ctaRow, 8 * r));
      rowsC[r] = minIdx(rows[r], lastRow);
      headR[r] = head;
      valid[r] = cmp(arith::CmpIPredicate::slt, rows[r], queries);
    }
  }

  // The keys of this batch entry and the diagonal of the mask.
  keys = c.varlen ? seqKeys : idx(c.sk);
  if (c.kvLens) {
    Value len = arith::IndexCastOp::create(
        b, loc, b.getIndexType(),
        memref::LoadOp::create(b, loc, kvLensMem, ValueRange{batch}));
    keys = minIdx(maxIdx(len, idx(0)), keys);
  }
  diagOff =
      c.bottomRight ? arith::SubIOp::create(b, loc, keys, queries) : idx(0);

  // Key range of this CTA (tile aligned at the start; empty when the
  // end is not above the start).
  Value qLast = minIdx(addi(qFirst, c.tileQ() - 1), lastRow);
  Value kEnd = keys;
  if (c.causal)
    kEnd = minIdx(kEnd, addi(add(qLast, diagOff), 1));
  else if (c.windowRight >= 0)
    kEnd = minIdx(kEnd, addi(add(qLast, diagOff), c.windowRight + 1));
  Value kStart = idx(0);
  if (c.windowLeft >= 0) {
    Value first = maxIdx(idx(0), addi(add(qFirst, diagOff), -c.windowLeft));
    kStart = mul(arith::DivUIOp::create(b, loc, first, idx(c.tileKV)),
                 idx(c.tileKV));
  }
  if (c.varlen) {
    // CTAs past this sequence's queries visit no key tile.
    Value active = cmp(arith::CmpIPredicate::slt, qFirst, queries);
    kEnd = select(active, kEnd, idx(0));
  }
  if (c.packed()) {
    // This CTA's chunk of its key range: whole key tiles, the range's
    // tiles spread over the launch's split count (grid x; a split past
    // the workspace's splits visits nothing and stores nothing).
    numSplits = gpu::GridDimOp::create(b, loc, gpu::Dimension::x);
    Value span = maxIdx(arith::SubIOp::create(b, loc, kEnd, kStart), idx(0));
    Value tiles = arith::CeilDivUIOp::create(b, loc, span, idx(c.tileKV));
    Value chunk = mul(arith::CeilDivUIOp::create(b, loc, tiles, numSplits),
                      idx(c.tileKV));
    Value chunkStart = add(kStart, mul(split, chunk));
    kStart = chunkStart;
    kEnd = minIdx(kEnd, add(chunkStart, chunk));
    splitStored = cmp(arith::CmpIPredicate::ult, split, idx(c.splits));
    kEnd = select(splitStored, kEnd, kStart);
  }

  // Shared-memory tiles: K and V, c.tileKV rows of d elements each, stored
  // in 16-byte chunks with chunk index XOR (row % 8) so that the 8 rows an
  // ldmatrix phase reads (and the chunks a cp.async phase writes) fall in
  // distinct banks.
  //
  // wgmma reads its operands through descriptors in the canonical 128-byte
  // swizzled layout instead: each tile is [D/64][64 keys][64] (128-byte
  // rows, chunk XOR row % 8, 1024-byte aligned atoms of 8 rows), in one
  // flat buffer aligned to 1024 bytes at run time.
  Value kSmem, vSmem, kOffset, vOffset, kAddr, vAddr;
  if (c.tma) {
    // Dynamic shared memory: the ring of K/V slots, then the mbarriers.
    auto dyn = gpu::DynamicSharedMemoryOp::create(
        b, loc,
        MemRefType::get({ShapedType::kDynamic}, b.getI8Type(),
                        MemRefLayoutAttrInterface(),
                        gpu::AddressSpaceAttr::get(
                            b.getContext(), gpu::AddressSpace::Workgroup)));
    Value base = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, dyn);
    Value pad = arith::AndIOp::create(
        b, loc, arith::SubIOp::create(b, loc, idx(0), base), idx(1023));
    ringBase = add(base, pad);
    // The Q tile and the slots stage the output at the end.
    stageElems = (c.qTileBytes() + c.stages * c.stageBytes()) / 2;
    stageMem = memref::ViewOp::create(
        b, loc,
        MemRefType::get({stageElems}, c.elt, MemRefLayoutAttrInterface(),
                        gpu::AddressSpaceAttr::get(
                            b.getContext(), gpu::AddressSpace::Workgroup)),
        dyn, pad, ValueRange{});
    stageBase = idx(0);
    buildTmaProducer(tid, batch, blockY, kvHead, qFirst, kStart, kEnd, qMap,
                     kMap, vMap);
  } else if (c.wgmma) {
    Value smem = func.getWorkgroupAttributions()[0];
    Value base = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, smem);
    Value pad = arith::AndIOp::create(
        b, loc, arith::SubIOp::create(b, loc, idx(0), base), idx(1023));
    kSmem = vSmem = smem;
    kOffset = arith::DivUIOp::create(b, loc, pad, idx(2));
    vOffset = addi(kOffset, c.tileKV * c.dqk);
    kAddr = add(base, pad);
    vAddr = addi(kAddr, c.tileKV * c.dqk * 2);
    stageMem = smem;
    stageBase = kOffset;
    stageElems = c.tileKV * (c.dqk + c.dv);
  } else if (c.qInSmem) {
    // Dynamic shared memory: Q [tileQ][Dqk], K [tileKV][Dqk], V [tileKV][Dv].
    Type i8 = b.getI8Type();
    auto space = gpu::AddressSpaceAttr::get(b.getContext(),
                                            gpu::AddressSpace::Workgroup);
    auto dyn = gpu::DynamicSharedMemoryOp::create(
        b, loc,
        MemRefType::get({ShapedType::kDynamic}, i8, MemRefLayoutAttrInterface(),
                        space));
    auto view = [&](int64_t offset, int64_t rows, int64_t cols) {
      return tileView(dyn, offset, rows, cols);
    };
    qSmem = view(0, c.tileQ(), c.dqk);
    kSmem = view(c.tileQ() * c.dqk * 2, c.tileKV, c.dqk);
    vSmem = view((c.tileQ() + c.tileKV) * c.dqk * 2, c.tileKV, c.dv);
    stageMem = qSmem;
    stageElems = c.tileQ() * c.dqk;
    if (c.splitKeys())
      mergeSmem = mergeView(dyn);
  } else if (c.qViaSmem || c.splitKeys()) {
    Value buffer = func.getWorkgroupAttributions()[0];
    auto view = [&](int64_t offset, int64_t rows, int64_t cols) {
      return tileView(buffer, offset, rows, cols);
    };
    if (c.splitKeys())
      mergeSmem = mergeView(buffer);
    kSmem = view(0, c.tileKV, c.dqk);
    vSmem = view(c.tileKV * c.dqk * 2, c.tileKV, c.dv);
    qSmem = view(0, c.tileQ(), c.dqk);
    stageMem = kSmem;
    stageElems = c.tileKV * c.dqk;
  } else {
    kSmem = func.getWorkgroupAttributions()[0];
    vSmem = func.getWorkgroupAttributions()[1];
    stageMem = kSmem;
    stageElems = c.tileKV * c.dqk;
  }
  if (!stageBase)
    stageBase = idx(0);
  if (c.paged) {
    auto attrs = func.getWorkgroupAttributions();
    rowsSmem = attrs.back();
    kvHeadOfCta = kvHead;
    if (c.quantized())
      kStage = vStage = attrs[attrs.size() - 2];
    SmallVector<ReassociationIndices> rowsOf = {{0, 1, 2}, {3}};
    kPoolRows = memref::CollapseShapeOp::create(b, loc, kMem, rowsOf);
    vPoolRows = memref::CollapseShapeOp::create(b, loc, vMem, rowsOf);
    rowsStart = kStart;
  }
  // Q as A fragments, one set per 16-wide slice of the head dimension
  // (TMA: Q stays in shared memory, read by descriptor; wait for it).
  SmallVector<SmallVector<Value, 4>> qFrag;
  if (c.tma)
    mbarrierWait(qBarrier(), i32c(0));
  else if (c.qInSmem)
    copyQTile(tid, batch, blockY, qFirst, queries);
  else if (c.qViaSmem)
    qFrag = loadQFragmentsViaSmem(tid, warpRow0, lane, batch, blockY, qFirst,
                                  queries);
  else
    qFrag = loadQFragments(batch, t2, headR, rowsC, valid);

  std::pair<Value, Value> keyRange[kMaxRows];
  for (int r = 0; r < nRows && c.mTiles == 1; ++r)
    keyRange[r] = visibleKeys(rows[r]);

  bool partialTiles = c.sk % c.tileKV != 0;
  auto copyTile = [&](bool isK, Value kt, Value rowsBuf = Value()) {
    Value smem = isK ? kSmem : vSmem, gmem = isK ? kPoolRows : vPoolRows;
    if (!c.paged)
      gmem = isK ? kMem : vMem;
    int64_t d = isK ? c.dqk : c.dv;
    // 16-byte chunks: 8 f16/bf16 elements, or 16 quantized codes (copied
    // raw into the staging buffer).
    int64_t perChunk = c.quantized() ? 16 : 8;
    if (c.quantized())
      smem = isK ? kStage : vStage;
    int64_t chunksPerRow = d / perChunk;
    int64_t rowsPerPass = c.threads() / chunksPerRow;
    Value copyRow = arith::DivUIOp::create(b, loc, tid, idx(chunksPerRow));
    Value copyChunk = arith::RemUIOp::create(b, loc, tid, idx(chunksPerRow));
    // When rowsPerPass is a multiple of 8 every row this thread copies has
    // the same row % 8 and the same swizzled column; otherwise (D = 256:
    // 4 rows per pass) the column is per row.
    Value copyCol, atomBase;
    if (c.quantized()) {
      copyCol = mul(copyChunk, idx(16)); // staging: [64][D], unswizzled
    } else if (c.wgmma) {
      // Element offset of (row 0, this chunk) in the tile's layout.
      Value block = arith::DivUIOp::create(b, loc, copyChunk, idx(8));
      Value chunk = andi(copyChunk, 7);
      atomBase =
          add(add(isK ? kOffset : vOffset, mul(block, idx(c.tileKV * 64))),
              mul(xori(chunk, andi(copyRow, 7)), idx(8)));
    } else {
      copyCol = mul(xori(copyChunk, andi(copyRow, 7)), idx(8));
    }
    Value flatMem, flatFirst;
    for (int64_t k = 0; k < c.tileKV / rowsPerPass; ++k) {
      Value row = addi(copyRow, k * rowsPerPass);
      Value key = add(kt, row);
      Value srcElements;
      SmallVector<Value, 4> src;
      if (c.paged) {
        // The key's pool row, from this tile's row table (-1: absent,
        // zero-filled).
        Value poolRow = arith::IndexCastOp::create(
            b, loc, b.getIndexType(),
            memref::LoadOp::create(b, loc, rowsSmem, ValueRange{rowsBuf, row}));
        Value present = cmp(arith::CmpIPredicate::sge, poolRow, idx(0));
        srcElements = select(present, idx(perChunk), idx(0));
        src = {maxIdx(poolRow, idx(0)), mul(copyChunk, idx(perChunk))};
      } else if (c.varlen) {
        // Rows past this sequence's keys read nothing and are zero-filled.
        srcElements =
            select(cmp(arith::CmpIPredicate::slt, key, keys), idx(8), idx(0));
        key = minIdx(add(kTok0, key), idx(c.sk - 1));
      } else if (partialTiles) {
        // Rows past the sequence read nothing and are zero-filled.
        srcElements = select(cmp(arith::CmpIPredicate::slt, key, idx(c.sk)),
                             idx(8), idx(0));
        key = minIdx(key, idx(c.sk - 1));
      }
      SmallVector<Value, 2> dst;
      Value dstMem = smem;
      if (c.wgmma && !c.quantized()) {
        dst = {add(atomBase, mul(row, idx(64)))};
      } else if (!c.quantized() && rowsPerPass % 8 == 0) {
        // The flat tile: the passes' destinations differ by constants.
        if (!flatFirst) {
          flatMem = flatTile(smem);
          flatFirst = pinned(add(mul(copyRow, idx(d)), copyCol));
        }
        dstMem = flatMem;
        dst = {addi(flatFirst, k * rowsPerPass * d)};
      } else {
        dst = {row, c.quantized() || rowsPerPass % 8 == 0
                        ? copyCol
                        : mul(xori(copyChunk, andi(row, 7)), idx(8))};
      }
      if (!c.paged) {
        src = {kvHead, key, mul(copyChunk, idx(8))};
        if (c.varlen)
          std::swap(src[0], src[1]); // [token, head, d]
        else
          src.insert(src.begin(), batch);
      }
      nvgpu::DeviceAsyncCopyOp::create(b, loc, dstMem, dst, gmem, src,
                                       b.getIndexAttr(perChunk), srcElements,
                                       b.getUnitAttr());
    }
    NVVM::CpAsyncCommitGroupOp::create(b, loc);
  };
  // Quantized pools: the raw tile of key tile `kt` in the staging buffer
  // becomes the f16/bf16 tile the MMAs read (same layout as a copied one),
  // then a barrier (after a proxy fence for wgmma, whose reads are
  // async-proxy accesses).
  auto dequantTile = [&](bool isK, Value kt) {
    Value stage = isK ? kStage : vStage;
    Value scaleMem = isK ? kScaleMem : vScaleMem;
    Value zeroMem = isK ? kZeroMem : vZeroMem;
    int64_t d = isK ? c.dqk : c.dv;
    int64_t chunks16 = d / 16;
    Value buf = rowsBufOf(kt);
    auto rawType = VectorType::get({16}, c.poolElt);
    auto codesType = VectorType::get({16}, b.getI8Type());
    auto halfType = VectorType::get({8}, c.elt);
    for (int64_t it = 0; it < c.tileKV * chunks16 / c.threads(); ++it) {
      Value lin = addi(tid, it * c.threads());
      Value row = arith::DivUIOp::create(b, loc, lin, idx(chunks16));
      Value c16 = arith::RemUIOp::create(b, loc, lin, idx(chunks16));
      Value raw = vector::LoadOp::create(b, loc, rawType, stage,
                                         ValueRange{row, mul(c16, idx(16))});
      if (raw.getType() != codesType)
        raw = vector::BitCastOp::create(b, loc, codesType, raw);
      Value poolRow;
      if (c.granularity == QuantGranularity::PerToken)
        poolRow = arith::IndexCastOp::create(
            b, loc, b.getIndexType(),
            memref::LoadOp::create(b, loc, rowsSmem, ValueRange{buf, row}));
      Value scale = quantParam(scaleMem, poolRow, kvHeadOfCta);
      Value zero =
          c.asymmetric() ? quantParam(zeroMem, poolRow, kvHeadOfCta) : Value();
      SmallVector<Value> vals;
      for (int64_t i = 0; i < 16; ++i) {
        Value x = decode(
            vector::ExtractOp::create(b, loc, raw, ArrayRef<int64_t>{i}));
        if (zero)
          x = arith::SubFOp::create(b, loc, x, zero);
        vals.push_back(arith::MulFOp::create(b, loc, x, scale));
      }
      for (int64_t h = 0; h < 2; ++h) {
        Value v = vector::FromElementsOp::create(
            b, loc, VectorType::get({8}, f32),
            ArrayRef<Value>(vals).slice(8 * h, 8));
        v = arith::TruncFOp::create(b, loc, halfType, v);
        // The 8-element chunk's place in the tile's swizzled layout.
        Value chunk8 = addi(mul(c16, idx(2)), h);
        if (c.wgmma) {
          Value block = arith::DivUIOp::create(b, loc, chunk8, idx(8));
          Value at = add(add(addi(mul(block, idx(c.tileKV * 64)), 0),
                             add(isK ? kOffset : vOffset, mul(row, idx(64)))),
                         mul(xori(andi(chunk8, 7), andi(row, 7)), idx(8)));
          vector::StoreOp::create(b, loc, v, isK ? kSmem : vSmem,
                                  ValueRange{at});
        } else {
          Value col = mul(xori(chunk8, andi(row, 7)), idx(8));
          vector::StoreOp::create(b, loc, v, isK ? kSmem : vSmem,
                                  ValueRange{row, col});
        }
      }
    }
    if (c.wgmma)
      NVVM::FenceProxyOp::create(
          b, loc, NVVM::ProxyKind::async_shared,
          NVVM::SharedSpaceAttr::get(b.getContext(),
                                     NVVM::SharedSpace::shared_cta));
    gpu::BarrierOp::create(b, loc);
  };
  auto waitAndSync = [&]() {
    NVVM::CpAsyncWaitGroupOp::create(b, loc, 0);
    // wgmma reads shared memory through the async proxy: make the
    // threads' cp.async writes visible to it.
    if (c.wgmma)
      NVVM::FenceProxyOp::create(
          b, loc, NVVM::ProxyKind::async_shared,
          NVVM::SharedSpaceAttr::get(b.getContext(),
                                     NVVM::SharedSpace::shared_cta));
    gpu::BarrierOp::create(b, loc);
  };
  // ldmatrix addressing: lane l supplies row l % 8 of matrix l / 8.
  Value ldRow, ldMat;
  if (!c.wgmma) {
    ldRow = arith::RemUIOp::create(b, loc, lane, idx(8));
    ldMat = arith::DivUIOp::create(b, loc, lane, idx(8));
  }
  // The swizzled column of 16-byte chunk `laneChunk + c` (laneChunk < 8 -
  // c % 8) in a row this lane's ldmatrix address reads: the XOR with the
  // row (< 8) changes only the chunk's low 3 bits, so the chunks 8 apart
  // share one register and differ by an immediate offset (hoisted out of
  // the key loop, one register per chunk had ptxas spill at 32 rows per
  // warp).
  auto swizzled = [&](Value laneChunk, int64_t c) {
    return addi(mul(xori(addi(laneChunk, c % 8), ldRow), idx(8)),
                8 * (c - c % 8));
  };
  auto x4Type = VectorType::get({4, 2}, c.elt);
  auto fragment = [&](Value x4, int64_t i) -> Value {
    return operand(vector::ExtractOp::create(b, loc, x4, ArrayRef<int64_t>{i}));
  };

  // The scale is positive (verified), so max and exp2 work on raw scores
  // and the scale goes into one fma per score:
  // exp2(s·scale·log2e - m·scale·log2e). Scores that get more than the
  // scale (softcap, bias, ALiBi) are transformed first; exp2 then uses
  // log2(e) alone.
  // FP8: the raw scores are q·k codes, their scale the product of the
  // Q and K dequantization scales (this CTA's heads): one more factor.
  double factor = c.transformsScores() ? M_LOG2E : c.scaleLog2;
  // FP8: the scale of tensor `mem` ([], [1] or [H]) at head `head`.
  auto scaleOf = [&](Value mem, Value head) -> Value {
    auto type = cast<MemRefType>(mem.getType());
    SmallVector<Value, 1> at;
    if (type.getRank() == 1)
      at.push_back(type.getDimSize(0) == 1 ? idx(0) : head);
    return memref::LoadOp::create(b, loc, mem, at);
  };
  if (c.fp8) {
    Value kScale = scaleOf(kScaleMem, kvHead);
    // Both rows are of one query head except in the decode form.
    for (int r = 0; r < (c.packed() ? 2 : 1); ++r)
      qkScale[r] =
          arith::MulFOp::create(b, loc, scaleOf(qScaleMem, headR[r]), kScale);
    if (!c.packed())
      qkScale[1] = qkScale[0];
  }
  Value factorV = c.transformsScores() ? f32c(factor) : scaled(factor, 0);
  Value negFactorV = arith::NegFOp::create(b, loc, factorV);
  Value negInf = f32c(-INFINITY), zero = f32c(0.0);
  Value slope[kMaxRows];
  if (c.alibi)
    for (int r = 0; r < nRows; ++r)
      slope[r] = memref::LoadOp::create(b, loc, alibiMem, ValueRange{headR[r]});
  // Keys every row of the CTA sees: [ctaLoMax, ctaHiMin] (the rows' visible
  // intervals grow monotonically with the row). Without a mask and with
  // whole tiles, no tile needs masking.
  bool mayMask = c.causal || c.windowLeft >= 0 || c.windowRight >= 0 ||
                 c.kvLens || c.varlen || c.sk % c.tileKV != 0;
  Value ctaLoMax, ctaHiMin;
  if (mayMask) {
    ctaLoMax = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                          visibleKeys(qLast).first);
    ctaHiMin = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                          visibleKeys(qFirst).second);
  }

  // The op's scores of key tile `kt` for m-tile `mt` in place:
  // transformed, and masked where the tile is partial for some row of the
  // CTA.
  // The thread's first column of the tile: t2 of its warp's keys.
  Value keyT2 = c.splitKeys() ? add(t2, warpKey0) : t2;
  auto scoresOf = [&](SmallVector<SmallVector<Value, 4>> &s, Value kt,
                      int mt = 0) {
    Value colBase = toI32(add(kt, keyT2));
    int r0 = 2 * mt;
    if (c.transformsScores())
      transformScores(s, kt, keyT2, rows + r0, rowsC + r0, batch, headR + r0,
                      biasMem, slope + r0);

    // Only tiles some query of the CTA sees partially are masked: the
    // others skip the compares (a branch uniform across the CTA).
    if (mayMask) {
      // Paged: presence is per key, so every tile is masked.
      Value full =
          c.paged ? arith::ConstantOp::create(b, loc, b.getBoolAttr(false))
                        .getResult()
                  : arith::AndIOp::create(
                        b, loc, cmp(arith::CmpIPredicate::sge, kt, ctaLoMax),
                        cmp(arith::CmpIPredicate::sle, addi(kt, c.tileKV - 1),
                            ctaHiMin))
                        .getResult();
      SmallVector<Type> types(s.size() * 4, f32);
      auto ifFull = scf::IfOp::create(b, loc, types, full,
                                      /*withElseRegion=*/true);
      SmallVector<Value> flat;
      for (auto &acc : s)
        flat.append(acc.begin(), acc.end());
      {
        OpBuilder::InsertionGuard g2(b);
        b.setInsertionPointToStart(ifFull.thenBlock());
        scf::YieldOp::create(b, loc, flat);
        b.setInsertionPointToStart(ifFull.elseBlock());
        // Two m-tiles: the rows' visible keys are computed here, from the
        // first row (pinned, so not hoisted out of the key loop: 8 more
        // registers live through it made ptxas spill).
        std::pair<Value, Value> range[2] = {keyRange[r0], keyRange[r0 + 1]};
        if (c.mTiles > 1) {
          Value first = pinned(rows[0]);
          for (int r = 0; r < 2; ++r)
            range[r] = visibleKeys(addi(first, 8 * (r0 + r)));
        }
        SmallVector<Value> masked;
        for (auto [j, acc] : llvm::enumerate(s))
          for (int64_t e = 0; e < 4; ++e) {
            Value col = arith::AddIOp::create(
                b, loc, colBase, i32c(8 * static_cast<int64_t>(j) + (e & 1)));
            auto [lo, hi] = range[e / 2];
            Value vis = arith::AndIOp::create(
                b, loc, cmp(arith::CmpIPredicate::sge, col, lo),
                cmp(arith::CmpIPredicate::sle, col, hi));
            if (c.paged) {
              Value at = addi(keyT2, 8 * static_cast<int64_t>(j) + (e & 1));
              Value present =
                  cmp(arith::CmpIPredicate::sge,
                      memref::LoadOp::create(b, loc, rowsSmem,
                                             ValueRange{rowsBufOf(kt), at}),
                      i32c(0));
              vis = arith::AndIOp::create(b, loc, vis, present);
            }
            masked.push_back(select(vis, acc[e], negInf));
          }
        scf::YieldOp::create(b, loc, masked);
      }
      for (auto [j, acc] : llvm::enumerate(s))
        for (int64_t e = 0; e < 4; ++e)
          acc[e] = ifFull.getResult(4 * j + e);
    }
  };

  // The online softmax of one tile per row (r = 0: row g, r = 1: row
  // g + 8): scores `s` become exp2 values (P), the running max and sum
  // (m, l) become mNew, lNew, and alpha rescales the previous output.
  auto softmax = [&](SmallVector<SmallVector<Value, 4>> &s, Value m[2],
                     Value l[2], Value mNew[2], Value lNew[2], Value alpha[2]) {
    // Online softmax per row (r = 0: row g, r = 1: row g + 8).
    Value mUse[2];
    for (int r = 0; r < 2; ++r) {
      Value mt = negInf;
      for (auto &acc : s)
        mt = fmax(mt, fmax(acc[2 * r], acc[2 * r + 1]));
      mt = quadReduce(mt, /*isMax=*/true);
      mNew[r] = fmax(m[r], mt);
      Value isInf = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                          mNew[r], negInf);
      // -(m·scale) in the log2 domain; 0 while the row has seen no key.
      mUse[r] = select(isInf, zero,
                       arith::MulFOp::create(b, loc, mNew[r], negFactorV));
      alpha[r] = math::Exp2Op::create(
          b, loc, math::FmaOp::create(b, loc, m[r], factorV, mUse[r]));
    }
    Value rowSum[2] = {zero, zero};
    for (auto &acc : s)
      for (int64_t e = 0; e < 4; ++e) {
        acc[e] = math::Exp2Op::create(
            b, loc, math::FmaOp::create(b, loc, acc[e], factorV, mUse[e / 2]));
        rowSum[e / 2] = arith::AddFOp::create(b, loc, rowSum[e / 2], acc[e]);
      }
    for (int r = 0; r < 2; ++r)
      lNew[r] = arith::AddFOp::create(
          b, loc, arith::MulFOp::create(b, loc, l[r], alpha[r]), rowSum[r]);
  };
  // P (the exp2 values of one tile) as A fragments of P·V: the S
  // accumulators of n-tiles 2k and 2k+1 repacked; i32 registers for wgmma.
  auto packP = [&](SmallVector<SmallVector<Value, 4>> &s) {
    SmallVector<SmallVector<Value, 4>> pFrag;
    // FP8: per 32 keys, 4 registers of 4 e4m3 bytes: register r holds row
    // g + 8·(r % 2) of n-tiles 4k + 2·(r / 2) and 4k + 2·(r / 2) + 1, whose
    // keys transposeV places at the A fragment's columns.
    for (int64_t kk = 0; c.fp8 && kk < c.tileKV / 32; ++kk) {
      SmallVector<Value, 4> regs;
      for (int64_t r = 0; r < 4; ++r) {
        auto &x = s[4 * kk + 2 * (r / 2)], &y = s[4 * kk + 2 * (r / 2) + 1];
        int64_t e = 2 * (r % 2);
        // Each pair is widened and the halves joined by prmt: ptxas fuses
        // a `mov.b32 {lo, hi}` into a merging convert, a read of the
        // destination that, while the previous P·V is in flight,
        // serializes the warpgroup's MMAs (C7513).
        regs.push_back(LLVM::InlineAsmOp::create(
                           b, loc, i32,
                           ValueRange{x[e], x[e + 1], y[e], y[e + 1]},
                           "{\n.reg .b16 lo, hi;\n.reg .b32 l32, h32;\n"
                           "cvt.rn.satfinite.e4m3x2.f32 lo, $2, $1;\n"
                           "cvt.rn.satfinite.e4m3x2.f32 hi, $4, $3;\n"
                           "cvt.u32.u16 l32, lo;\ncvt.u32.u16 h32, hi;\n"
                           "prmt.b32 $0, l32, h32, 0x5410;\n}",
                           "=r,f,f,f,f", /*has_side_effects=*/false,
                           /*is_align_stack=*/false,
                           LLVM::tailcallkind::TailCallKind::None,
                           LLVM::AsmDialectAttr(), ArrayAttr())
                           .getResult(0));
      }
      pFrag.push_back(regs);
    }
    if (c.fp8)
      return pFrag;
    for (size_t ks = 0; ks < s.size() / 2; ++ks) {
      pFrag.push_back({operand(pack(s[2 * ks][0], s[2 * ks][1])),
                       operand(pack(s[2 * ks][2], s[2 * ks][3])),
                       operand(pack(s[2 * ks + 1][0], s[2 * ks + 1][1])),
                       operand(pack(s[2 * ks + 1][2], s[2 * ks + 1][3]))});
      if (c.wgmma)
        for (Value &v : pFrag.back())
          v = asI32(v);
    }
    return pFrag;
  };
  // wgmma: issues S = Q·Kᵀ for the K tile at `kTile` (one m64n64k16 per
  // 16-wide slice of Dqk, B = K, K-major, by descriptor: slice ks is at
  // byte 32·(ks % 4) of 64-column block ks / 4; A = Q fragments, or with
  // TMA this warpgroup's 64 rows of the Q tile by descriptor) and commits
  // the group; returns the accumulators, valid after the group's wait.
  auto issueS = [&](Value kTile) {
    SmallVector<Value> acc(c.tileKV / 2, zero);
    fenceOperands(acc);
    // One k step is 32 bytes of the rows: 16 f16/bf16 or 32 e4m3. The
    // descriptors are computed (and pinned) before the fence: computed
    // between the warpgroup's MMAs, they serialize them (C7513).
    int64_t steps = c.dqk * c.inBytes() / 32;
    SmallVector<Value> descs, descsA;
    for (int64_t ks = 0; ks < steps; ++ks) {
      descs.push_back(
          descriptor(addi(kTile, (ks / 4) * c.tileKV * 128 + (ks % 4) * 32),
                     /*lbo=*/16, /*sbo=*/1024));
      if (c.tma)
        descsA.push_back(descriptor(
            add(addi(qTile(), (ks / 4) * c.tileQ() * 128 + (ks % 4) * 32),
                mul(wgRow, idx(128))),
            /*lbo=*/16, /*sbo=*/1024));
    }
    fenceOperands(descs);
    fenceOperands(descsA);
    NVVM::WgmmaFenceAlignedOp::create(b, loc);
    for (int64_t ks = 0; ks < steps; ++ks)
      acc = wgmma(c.tileKV, c.tma ? ArrayRef<Value>() : qFrag[ks],
                  c.tma ? descsA[ks] : Value(), descs[ks], acc,
                  /*transB=*/false);
    NVVM::WgmmaGroupSyncAlignedOp::create(b, loc);
    return acc;
  };
  // wgmma: issues O += P·V for the V tile at `vTile` (one m64n{Dv}k16 per
  // 16 keys, B = V, MN-major (transposed), by descriptor: 16 keys are 2048
  // bytes into the tile, 64-column blocks 64 · 128 bytes apart) and
  // commits the group; `o` holds the accumulators, valid after its wait.
  // Its descriptors, computed and pinned (with P and O) before any fence of
  // the stage that issues it: defined between the warpgroup's MMAs (after
  // S's, in the TMA loop), they serialize them (C7513).
  auto preparePV = [&](SmallVector<SmallVector<Value, 4>> &pFrag,
                       SmallVector<Value> &o, Value vTile) {
    // FP8: V transposed (transposeV), K-major like K: 32 keys are 32 bytes
    // of its 128-byte rows.
    SmallVector<Value> descs;
    for (int64_t kk = 0; c.fp8 && kk < c.tileKV / 32; ++kk)
      descs.push_back(
          descriptor(addi(vTile, kk * 32), /*lbo=*/16, /*sbo=*/1024));
    for (int64_t ks = 0; !c.fp8 && ks < c.tileKV / 16; ++ks)
      descs.push_back(descriptor(addi(vTile, ks * 16 * 128),
                                 /*lbo=*/c.tileKV * 128, /*sbo=*/1024));
    for (auto &a : pFrag)
      fenceOperands(a);
    fenceOperands(o);
    fenceOperands(descs);
    return descs;
  };
  auto issuePV = [&](SmallVector<SmallVector<Value, 4>> &pFrag,
                     SmallVector<Value> &o, ArrayRef<Value> descs) {
    NVVM::WgmmaFenceAlignedOp::create(b, loc);
    for (auto [a, desc] : llvm::zip(pFrag, descs))
      o = wgmma(c.dv, a, Value(), desc, o, /*transB=*/!c.fp8);
    NVVM::WgmmaGroupSyncAlignedOp::create(b, loc);
  };
  // Splits the accumulators of S (wgmma order) into the 8 n-tiles of 8 keys.
  auto nTiles = [&](ArrayRef<Value> acc) {
    SmallVector<SmallVector<Value, 4>> s;
    for (int64_t j = 0; j < c.tileKV / 8; ++j)
      s.push_back(
          SmallVector<Value, 4>(acc.begin() + 4 * j, acc.begin() + 4 * j + 4));
    return s;
  };

  // K of the first tile is in flight before the loop (TMA: the producer
  // loads every tile).
  if (c.paged) {
    writeTileRows(tid, batch, kvHead, kStart, idx(0));
    gpu::BarrierOp::create(b, loc);
  }
  if (!c.tma) {
    // Only when the CTA visits a key tile (a query tile above the first
    // visible key of a bottom-right mask visits none).
    auto any = scf::IfOp::create(
        b, loc,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, kStart, kEnd),
        /*withElseRegion=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(any.thenBlock());
    copyTile(/*isK=*/true, kStart, c.paged ? idx(0) : Value());
  }

  // Loop state: O accumulators (per m-tile, d/8 tiles x 4), row max and sum
  // per row of the thread.
  int64_t oTiles = c.dv / 8;
  int64_t nO = c.mTiles * oTiles * 4;
  SmallVector<Value> res;
  if (c.tma) {
    res =
        buildOverlappedLoop(warp, kStart, kEnd, oTiles, negInf, zero, scoresOf,
                            softmax, packP, issueS, preparePV, issuePV, nTiles);
  } else {
    SmallVector<Value> init(nO, zero);
    init.append(nRows, negInf);
    init.append(nRows, zero);
    auto loop = scf::ForOp::create(b, loc, kStart, kEnd, idx(c.tileKV), init);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Value kt = loop.getInductionVar();
      ValueRange state = loop.getRegionIterArgs();
      SmallVector<Value> o(state.begin(), state.begin() + nO);
      Value m[kMaxRows], l[kMaxRows];
      for (int r = 0; r < nRows; ++r) {
        m[r] = state[nO + r];
        l[r] = state[nO + nRows + r];
      }
      // K(kt) has landed and every warp is done with V of the previous tile:
      // start V(kt) while S is computed. (The TMA kernel's loop is
      // buildOverlappedLoop.)
      waitAndSync();
      // Quantized: K(j) leaves the staging buffer (shared with V) first.
      if (c.quantized())
        dequantTile(/*isK=*/true, kt);
      copyTile(/*isK=*/false, kt, c.paged ? rowsBufOf(kt) : Value());
      // Paged: the next tile's pool rows, for its K copy after the next
      // barrier.
      if (c.paged) {
        Value next = addi(kt, c.tileKV);
        auto ifNext = scf::IfOp::create(
            b, loc, cmp(arith::CmpIPredicate::slt, next, kEnd), false);
        OpBuilder::InsertionGuard g2(b);
        b.setInsertionPoint(ifNext.thenBlock()->getTerminator());
        writeTileRows(tid, batch, kvHead, next, rowsBufOf(next));
      }

      // S = Q·Kᵀ for 8 n-tiles of 8 keys per m-tile, unscaled (the scale is
      // folded into the exp2 argument). One ldmatrix.x4 gives the B
      // fragments of two 16-wide slices of d, for every m-tile.
      using Tiles = SmallVector<SmallVector<Value, 4>>;
      SmallVector<Tiles, 2> s(
          c.mTiles, Tiles(c.warpKeys() / 8, SmallVector<Value, 4>(4, zero)));
      // mma.sync: K's fragments for n-tile j and 32-wide slice p, flat
      // (their addresses differ by constants); V's likewise.
      Value kFlat = c.wgmma ? Value() : flatTile(kSmem);
      Value vFlat = c.wgmma ? Value() : flatTile(vSmem);
      auto kAt = [&](int64_t j, int64_t p) {
        return addi(
            add(mul(add(warpKey0, ldRow), idx(c.dqk)), swizzled(ldMat, 4 * p)),
            8 * j * c.dqk);
      };
      if (c.wgmma) {
        SmallVector<Value> acc = issueS(kAddr);
        NVVM::WgmmaWaitGroupSyncOp::create(b, loc, 0);
        fenceOperands(acc);
        s[0] = nTiles(acc);
      } else {
        // Per 32-wide slice of Dqk: the two A fragments of each m-tile
        // (registers, or with Q in shared memory by ldmatrix.x4), then the
        // slice of every n-tile, each K fragment serving every m-tile.
        int64_t slices = c.dqk / 16;
        QLanes qLane;
        if (c.qInSmem)
          qLane = qLanes(warpRow0, lane);
        for (int64_t p = 0; p < c.dqk / 32; ++p) {
          SmallVector<SmallVector<Value, 4>, 4> qA(2 * c.mTiles);
          for (int64_t mt = 0; mt < c.mTiles; ++mt)
            for (int64_t h = 0; h < 2; ++h)
              qA[2 * mt + h] = c.qInSmem ? qFragment(qLane, mt, p, h)
                                         : qFrag[mt * slices + 2 * p + h];
          for (int64_t j = 0; j < c.warpKeys() / 8; ++j) {
            Value x4 = nvgpu::LdMatrixOp::create(
                b, loc, x4Type, kFlat, ValueRange{kAt(j, p)},
                /*transpose=*/false, /*numTiles=*/4);
            for (int64_t mt = 0; mt < c.mTiles; ++mt)
              for (int64_t h = 0; h < 2; ++h)
                s[mt][j] = mma(qA[2 * mt + h],
                               {fragment(x4, 2 * h), fragment(x4, 2 * h + 1)},
                               s[mt][j]);
          }
        }
      }
      for (int64_t mt = 0; mt < c.mTiles; ++mt)
        scoresOf(s[mt], kt, mt);

      // V(kt) has landed and every warp is done with K(kt): start the next K.
      waitAndSync();
      if (c.quantized())
        dequantTile(/*isK=*/false, kt);
      {
        Value next = addi(kt, c.tileKV);
        auto ifNext = scf::IfOp::create(
            b, loc, cmp(arith::CmpIPredicate::slt, next, kEnd), false);
        OpBuilder::InsertionGuard g2(b);
        b.setInsertionPoint(ifNext.thenBlock()->getTerminator());
        copyTile(/*isK=*/true, next, c.paged ? rowsBufOf(next) : Value());
      }

      Value alpha[kMaxRows], mNew[kMaxRows], lNew[kMaxRows];
      SmallVector<Tiles, 2> pFrag;
      for (int64_t mt = 0; mt < c.mTiles; ++mt) {
        int r0 = 2 * mt;
        softmax(s[mt], m + r0, l + r0, mNew + r0, lNew + r0, alpha + r0);
        for (int64_t i = 0; i < oTiles * 4; ++i) {
          Value &x = o[mt * oTiles * 4 + i];
          x = arith::MulFOp::create(b, loc, x, alpha[r0 + (i % 4) / 2]);
        }
        // P repacked from the S accumulators of n-tiles 2k, 2k+1.
        pFrag.push_back(packP(s[mt]));
      }

      // O += P·V.
      if (c.wgmma) {
        SmallVector<Value> descs = preparePV(pFrag[0], o, vAddr);
        issuePV(pFrag[0], o, descs);
        NVVM::WgmmaWaitGroupSyncOp::create(b, loc, 0);
        fenceOperands(o);
      }
      for (int64_t ks = 0; !c.wgmma && ks < c.warpKeys() / 16; ++ks) {
        // V fragments by ldmatrix.trans: matrices (keys 0-7, dims jd),
        // (keys 8-15, jd), (keys 0-7, jd + 1), (keys 8-15, jd + 1), for
        // every m-tile.
        Value keyRow = add(add(warpKey0, ldRow), mul(andi(ldMat, 1), idx(8)));
        Value dimChunk = arith::DivUIOp::create(b, loc, ldMat, idx(2));
        for (int64_t jd = 0; jd < oTiles; jd += 2) {
          Value at = addi(add(mul(keyRow, idx(c.dv)), swizzled(dimChunk, jd)),
                          16 * ks * c.dv);
          Value x4 =
              nvgpu::LdMatrixOp::create(b, loc, x4Type, vFlat, ValueRange{at},
                                        /*transpose=*/true, /*numTiles=*/4);
          for (int64_t mt = 0; mt < c.mTiles; ++mt)
            for (int64_t h = 0; h < 2; ++h) {
              auto at = o.begin() + 4 * (mt * oTiles + jd + h);
              SmallVector<Value, 4> acc(at, at + 4);
              acc = mma(pFrag[mt][ks],
                        {fragment(x4, 2 * h), fragment(x4, 2 * h + 1)}, acc);
              std::copy(acc.begin(), acc.end(), at);
            }
        }
      }
      SmallVector<Value> yield(o.begin(), o.end());
      yield.append(mNew, mNew + nRows);
      yield.append(lNew, lNew + nRows);
      scf::YieldOp::create(b, loc, yield);
    }
    // Nothing stays in flight (the loop may run no iteration).
    NVVM::CpAsyncWaitGroupOp::create(b, loc, 0);
    res.assign(loop.getResults().begin(), loop.getResults().end());
    if (c.splitKeys()) {
      // A CTA that visits no key tile has nothing to merge (a branch
      // uniform across the CTA: the merge's barriers are in it).
      SmallVector<Type> types(res.size(), f32);
      auto visited = scf::IfOp::create(
          b, loc, types, cmp(arith::CmpIPredicate::slt, kStart, kEnd),
          /*withElseRegion=*/true);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(visited.elseBlock());
      scf::YieldOp::create(b, loc, res);
      b.setInsertionPointToStart(visited.thenBlock());
      mergeWarpKeys(res, warp, lane, g, t, factorV);
      scf::YieldOp::create(b, loc, res);
      res.assign(visited.getResults().begin(), visited.getResults().end());
    }
  }

  // Epilogue: full row sums, normalize, store the rows that exist (through
  // shared memory in 16-byte vectors; the split-KV partials, f32, directly).
  // Row r of the thread is row r % 2 of m-tile r / 2; its O accumulators
  // are oOf(r)[4·jd + 2·(r % 2) + {0, 1}].
  auto oOf = [&](int r) { return res.begin() + (r / 2) * oTiles * 4; };
  Value lRows[kMaxRows], anyRow[kMaxRows], invRow[kMaxRows];
  // FP8: V's scale, read here (loaded with the others, it was live through
  // the key loop, and at head dimension 256 spilled).
  Value vScale = c.fp8 ? scaleOf(vScaleMem, kvHead) : f32c(1.0);
  for (int r = 0; r < nRows; ++r) {
    lRows[r] = quadReduce(res[nO + nRows + r], /*isMax=*/false);
    anyRow[r] = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                      lRows[r], zero);
    invRow[r] = select(anyRow[r],
                       arith::DivFOp::create(b, loc, vScale, lRows[r]), zero);
  }
  bool staged = !c.packed() && stageWidth() > 0;
  for (int64_t mt = 0; staged && mt < c.mTiles; ++mt) {
    SmallVector<Value> o(oOf(2 * mt), oOf(2 * mt) + 4 * oTiles);
    for (int64_t i = 0; i < 4 * oTiles; ++i)
      o[i] = arith::MulFOp::create(b, loc, o[i], invRow[2 * mt + (i % 4) / 2]);
    Value slot = addi(mul(warp, idx(c.mTiles)), mt);
    storeOutputStaged(o, slot, lane, g, t2,
                      add(qFirst, addi(mul(warp, idx(c.warpRows())), 16 * mt)),
                      queries, batch, headR[0], oMem, /*first=*/mt == 0);
  }
  // What is left per row: the direct stores and the lse.
  for (int r = 0; r < nRows && (!staged || c.lse); ++r) {
    Value lRow = lRows[r];
    Value mRow = res[nO + r];
    Value any = anyRow[r];
    Value inv = invRow[r];
    Value store = valid[r];
    if (c.packed())
      store = arith::AndIOp::create(b, loc, store, splitStored);
    // Split keys: the part-0 warps hold the merged rows.
    if (c.splitKeys())
      store = arith::AndIOp::create(
          b, loc, store,
          cmp(arith::CmpIPredicate::ult, warp, idx(c.rowTiles())));
    auto ifOp = scf::IfOp::create(b, loc, store, /*withElse=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    for (int64_t jd = 0; !staged && jd < oTiles; ++jd) {
      auto at = oOf(r) + 4 * jd + 2 * (r % 2);
      Value x = arith::MulFOp::create(b, loc, at[0], inv);
      Value y = arith::MulFOp::create(b, loc, at[1], inv);
      if (c.packed()) {
        auto vt = VectorType::get({2}, f32);
        vector::StoreOp::create(
            b, loc,
            vector::FromElementsOp::create(b, loc, vt, ValueRange{x, y}), oMem,
            ValueRange{batch, headR[r], rows[r], split, addi(t2, 8 * jd)},
            /*nontemporal=*/false, llvm::Align(8));
        continue;
      }
      vector::StoreOp::create(
          b, loc, pack(x, y), oMem,
          qIndex(batch, headR[r], rows[r], addi(t2, 8 * jd)),
          /*nontemporal=*/false, llvm::Align(4));
    }
    if (c.lse || c.packed()) {
      // One lane of the quad writes: lse = (m + log2 l) * ln 2, -inf when
      // the row sees no key.
      Value first = cmp(arith::CmpIPredicate::eq, t, idx(0));
      auto lseIf = scf::IfOp::create(b, loc, first, /*withElse=*/false);
      b.setInsertionPoint(lseIf.thenBlock()->getTerminator());
      Value mSafe =
          select(any, arith::MulFOp::create(b, loc, mRow, factorV), zero);
      Value lSafe = select(any, lRow, f32c(1.0));
      Value lse = arith::MulFOp::create(
          b, loc,
          arith::AddFOp::create(b, loc, mSafe,
                                math::Log2Op::create(b, loc, lSafe)),
          f32c(M_LN2));
      lse = select(any, lse, f32c(-INFINITY));
      SmallVector<Value, 4> at = {batch, headR[r], rows[r]};
      if (c.packed())
        at.push_back(split);
      if (c.varlen)
        at = {qToken(rows[r]), headR[r]}; // lse [Tq, Hq]
      memref::StoreOp::create(b, loc, lse, lseMem, at);
      if (c.packed()) {
        // The workspace's splits past the launch's count weigh nothing in
        // the combine: -inf, written by the CTA of split s for s + G,
        // s + 2G, ... (G the split count).
        auto fill = scf::ForOp::create(b, loc, add(split, numSplits),
                                       idx(c.splits), numSplits);
        OpBuilder::InsertionGuard fillGuard(b);
        b.setInsertionPointToStart(fill.getBody());
        at.back() = fill.getInductionVar();
        memref::StoreOp::create(b, loc, f32c(-INFINITY), lseMem, at);
      }
    }
  }
}

struct SdpaToMmaPass : attn::impl::SdpaToMmaPassBase<SdpaToMmaPass> {
  using SdpaToMmaPassBase::SdpaToMmaPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    SymbolTable symbols(module);
    for (auto func : llvm::to_vector(module.getOps<func::FuncOp>())) {
      if (func.isExternal())
        continue;
      SmallVector<Operation *> ops;
      func.walk([&](Operation *op) {
        if (isa<SdpaOp, PagedAttentionOp>(op))
          ops.push_back(op);
      });
      for (auto [i, op] : llvm::enumerate(ops)) {
        bool wgmma = useWgmma;
        if (auto paged = dyn_cast<PagedAttentionOp>(op)) {
          // No other GPU kernel takes it (attn-check-gpu-support says so
          // first in the pipeline).
          std::string why = pagedTensorCoreUnsupportedReason(paged);
          if (!why.empty()) {
            op->emitOpError() << "has no GPU kernel: " << why;
            return signalPassFailure();
          }
        } else if (isFp8Sdpa(cast<SdpaOp>(op))) {
          // Only this kernel reads FP8 codes: no fallback.
          std::string why =
              fp8SdpaUnsupportedReason(cast<SdpaOp>(op), useWgmma && useTma);
          if (!why.empty()) {
            op->emitOpError() << "has no FP8 GPU kernel: " << why;
            return signalPassFailure();
          }
        } else {
          std::string why = tensorCoreUnsupportedReason(
              cast<SdpaOp>(op), useWgmma && useTma, useWgmma);
          // What wgmma cannot take without TMA (head dimension 256) runs
          // on mma.sync, which sm_90a has too, rather than on SIMT.
          if (!why.empty() && useWgmma && !useTma &&
              tensorCoreUnsupportedReason(cast<SdpaOp>(op), /*tma=*/false,
                                          /*wgmma=*/false)
                  .empty()) {
            if (reportFallbacks)
              op->emitRemark() << "uses the mma.sync kernel: " << why;
            wgmma = false;
            why.clear();
          }
          if (!why.empty() && cast<SdpaOp>(op).isVarlen()) {
            // The SIMT kernel has no varlen form.
            op->emitOpError() << "has no varlen GPU kernel: " << why;
            return signalPassFailure();
          }
          if (!why.empty()) {
            if (reportFallbacks)
              op->emitRemark() << "uses the SIMT kernel: " << why;
            continue;
          }
        }
        std::string name = func.getSymName().str();
        if (ops.size() > 1)
          name += "_" + std::to_string(i);
        name += "_kernel";
        if (failed(convert(func, op, name, symbols, ctx, wgmma)))
          return signalPassFailure();
      }
    }
  }

  /// The `attn.param` name of an operand (a function argument, or a pool
  /// attn-cache-append-to-gpu updated in place: its argument's buffer) or
  /// result.
  static StringAttr paramName(func::FuncOp func, Value v) {
    if (auto toTensor = v.getDefiningOp<bufferization::ToTensorOp>())
      if (auto toBuffer =
              toTensor.getBuffer().getDefiningOp<bufferization::ToBufferOp>())
        v = toBuffer.getTensor();
    if (auto arg = dyn_cast<BlockArgument>(v))
      return func.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                               kParamNameAttr);
    for (OpOperand &use : v.getUses())
      if (isa<func::ReturnOp>(use.getOwner()))
        return func.getResultAttrOfType<StringAttr>(use.getOperandNumber(),
                                                    kParamNameAttr);
    return {};
  }

  /// A kernel shell in its own gpu.module: parameters, launch attributes.
  gpu::GPUFuncOp createKernel(OpBuilder &b, Location loc, StringRef name,
                              SymbolTable &symbols, ArrayRef<Type> paramTypes,
                              ArrayRef<Attribute> paramInfos,
                              ArrayRef<int64_t> grid, int64_t threads,
                              int64_t gridXMax = 0) {
    b.setInsertionPointToEnd(module().getBody());
    auto gpuModule = gpu::GPUModuleOp::create(b, loc, name);
    symbols.insert(gpuModule);
    b.setInsertionPointToStart(gpuModule.getBody());
    auto kernel = gpu::GPUFuncOp::create(b, loc, gpuModule.getName(),
                                         b.getFunctionType(paramTypes, {}));
    setKernelLaunch(kernel, grid, threads, paramInfos, gridXMax);
    Block &entry = kernel.getBody().front();
    b.setInsertionPointToStart(&entry);
    gpu::ReturnOp::create(b, loc);
    return kernel;
  }

  /// The decode form: when the (query head of a KV head, query) pairs fit
  /// one CTA of 4 warps, or of 8 up to head dimension 128 (so K and V are
  /// read once per KV head, not once per query head, and warps are not
  /// mostly empty rows) and there are at least 4 key tiles, splits the keys
  /// so that B · Hkv · splits is about two CTAs per SM (the default grid x;
  /// a launch may choose another split count, for the actual lengths, up
  /// to `splits`).
  void chooseSplits(MmaConfig &c) {
    int64_t tiles = (c.sk + c.tileKV - 1) / c.tileKV;
    int64_t rows = c.group() * c.sq;
    // Head dimension 256 keeps CTAs of 4 warps: mma.sync's kernel has
    // only that form (Q in shared memory), and 64 rows of Q leave the TMA
    // kernels' ring its room (FP8: 214 of 227 KiB).
    int64_t maxWarps = c.dqk == 256 || c.dv == 256 ? 4 : 8;
    if (c.varlen || rows > maxWarps * kTileRows || tiles < 4)
      return;
    int64_t want = (2 * smCount + c.batch * c.hkv - 1) / (c.batch * c.hkv);
    int64_t splits = std::clamp<int64_t>(want, 1, tiles);
    int64_t chunkTiles = (tiles + splits - 1) / splits;
    c.defaultSplits = (tiles + chunkTiles - 1) / chunkTiles;
    // Launches may choose up to twice the default (a GPU with more SMs than
    // sm-count), never more than one split per key tile.
    c.splits = std::min(tiles, 2 * c.defaultSplits);
    c.warps = rows > 4 * kTileRows ? 8 : 4;
    // One or two m-tiles of rows: the four warps split each 64-key tile
    // too, in 4 or 2 parts.
    if (!c.wgmma && rows <= 2 * kTileRows && c.warps == 4 &&
        c.tileKV == c.warps * kTileRows)
      c.keyGroups = rows <= kTileRows ? 4 : 2;
  }

  /// The combine kernel of the decode form: out[b, h, q, :] = the
  /// lse-weighted mean of the splits' partial outputs; lse = log of the sum
  /// of their exponentials. One thread per output element.
  void buildCombine(OpBuilder &b, Location loc, gpu::GPUFuncOp kernel,
                    const MmaConfig &c) {
    Block &entry = kernel.getBody().front();
    b.setInsertionPointToStart(&entry);
    Value oPart = entry.getArgument(0), lsePart = entry.getArgument(1),
          out = entry.getArgument(2);
    Value lse = c.lse ? entry.getArgument(3) : Value();
    auto idx = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    auto f32c = [&](double v) -> Value {
      return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
    };
    Value tid = arith::AddIOp::create(
        b, loc,
        arith::MulIOp::create(b, loc,
                              gpu::BlockIdOp::create(b, loc, gpu::Dimension::x),
                              idx(kCombineThreads)),
        gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x));
    int64_t n = c.batch * c.hq * c.sq * c.dv;
    auto inRange = scf::IfOp::create(
        b, loc,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, tid, idx(n)),
        /*withElse=*/false);
    b.setInsertionPoint(inRange.thenBlock()->getTerminator());
    SmallVector<Value, 4> at; // b, h, q, d
    Value rest = tid;
    for (int64_t extent : {c.dv, c.sq, c.hq}) {
      at.push_back(arith::RemUIOp::create(b, loc, rest, idx(extent)));
      rest = arith::DivUIOp::create(b, loc, rest, idx(extent));
    }
    at.push_back(rest);
    std::reverse(at.begin(), at.end());
    auto lseAt = [&](Value s) {
      return memref::LoadOp::create(b, loc, lsePart,
                                    ValueRange{at[0], at[1], at[2], s});
    };
    auto maxLoop = scf::ForOp::create(b, loc, idx(0), idx(c.splits), idx(1),
                                      ValueRange{f32c(-INFINITY)});
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(maxLoop.getBody());
      Value m =
          arith::MaximumFOp::create(b, loc, maxLoop.getRegionIterArgs()[0],
                                    lseAt(maxLoop.getInductionVar()));
      scf::YieldOp::create(b, loc, m);
    }
    Value m = maxLoop.getResult(0);
    Value mUse = arith::SelectOp::create(
        b, loc,
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, m,
                              f32c(-INFINITY)),
        f32c(0.0), m);
    auto sumLoop = scf::ForOp::create(b, loc, idx(0), idx(c.splits), idx(1),
                                      ValueRange{f32c(0.0), f32c(0.0)});
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(sumLoop.getBody());
      Value sIdx = sumLoop.getInductionVar();
      Value lseS = lseAt(sIdx);
      ValueRange acc = sumLoop.getRegionIterArgs();
      // A split with lse -inf (no visible key, or not launched: its partial
      // output was not written) is skipped.
      auto live = scf::IfOp::create(
          b, loc, TypeRange{b.getF32Type(), b.getF32Type()},
          arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, lseS,
                                f32c(-INFINITY)),
          /*withElse=*/true);
      {
        OpBuilder::InsertionGuard g2(b);
        b.setInsertionPointToStart(live.thenBlock());
        Value w = math::Exp2Op::create(
            b, loc,
            arith::MulFOp::create(b, loc,
                                  arith::SubFOp::create(b, loc, lseS, mUse),
                                  f32c(M_LOG2E)));
        Value o = memref::LoadOp::create(
            b, loc, oPart, ValueRange{at[0], at[1], at[2], sIdx, at[3]});
        scf::YieldOp::create(
            b, loc,
            ValueRange{arith::AddFOp::create(b, loc, acc[0], w),
                       math::FmaOp::create(b, loc, w, o, acc[1])});
        b.setInsertionPointToStart(live.elseBlock());
        scf::YieldOp::create(b, loc, ValueRange{acc[0], acc[1]});
      }
      scf::YieldOp::create(b, loc, live.getResults());
    }
    Value sumW = sumLoop.getResult(0), acc = sumLoop.getResult(1);
    Value any =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, sumW, f32c(0));
    Value value = arith::SelectOp::create(
        b, loc, any, arith::DivFOp::create(b, loc, acc, sumW), f32c(0.0));
    memref::StoreOp::create(
        b, loc, arith::TruncFOp::create(b, loc, c.elt, value), out, at);
    if (c.lse) {
      auto first = scf::IfOp::create(
          b, loc,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, at[3],
                                idx(0)),
          /*withElse=*/false);
      b.setInsertionPoint(first.thenBlock()->getTerminator());
      Value safe = arith::SelectOp::create(b, loc, any, sumW, f32c(1.0));
      Value l = arith::AddFOp::create(
          b, loc, mUse,
          arith::MulFOp::create(b, loc, math::Log2Op::create(b, loc, safe),
                                f32c(M_LN2)));
      l = arith::SelectOp::create(b, loc, any, l, f32c(-INFINITY));
      memref::StoreOp::create(b, loc, l, lse, ValueRange{at[0], at[1], at[2]});
    }
  }

  LogicalResult convert(func::FuncOp func, Operation *op, StringRef name,
                        SymbolTable &symbols, MLIRContext *ctx, bool wgmma) {
    auto sdpa = dyn_cast<SdpaOp>(op);
    MmaConfig c = sdpa ? configOf(sdpa) : configOf(cast<PagedAttentionOp>(op));
    RopeOp rope;
    c.wgmma = wgmma;
    // tile-kv: the key tile asked for (checked below, once the form is
    // known), else the form's own.
    bool givenTile = tileKV > 0;
    if (givenTile)
      c.tileKV = tileKV;
    // FP8: keys in tiles of 128 (the transposed V tile's rows are 128
    // bytes, one swizzle atom wide), in the decode form's splits too.
    else if (c.fp8)
      c.tileKV = 128;
    // mma.sync at head dimension 256: Q stays in shared memory and keys
    // come in tiles of 32 (the decode form counts its splits in them),
    // except in the decode form with split keys, whose warps' S is 16 keys
    // of a 64-key tile.
    bool q256InSmem = !c.wgmma && (c.dqk == 256 || c.dv == 256);
    chooseSplits(c);
    if (!givenTile && q256InSmem && !c.splitKeys()) {
      c.tileKV = 32;
      c.splits = c.defaultSplits = 0;
      c.keyGroups = 1;
      chooseSplits(c);
    }
    // TMA needs strides below 2^40 bytes; paged pools keep per-thread
    // cp.async (their tiles are not boxes of one tensor). Varlen tiles are
    // boxes of the packed tokens.
    auto below2e40 = [&](int64_t h, int64_t s, int64_t d) {
      return (c.varlen ? 1 : c.batch) * h * s * d * 2 < (int64_t(1) << 40);
    };
    if (warpRows != 0 && warpRows != 16 && warpRows != 32) {
      op->emitOpError() << "attn-sdpa-to-mma: warp-rows must be 0 (auto), 16 "
                           "or 32, got "
                        << static_cast<int64_t>(warpRows);
      return failure();
    }
    c.qInSmem = q256InSmem;
    // 32 rows per warp: O and S take Dv + tileKV accumulator registers per
    // thread and Q's A fragments Dqk / 2 more. At Dqk = 128 Q stays in
    // shared memory instead and is read per key tile (two ldmatrix.x4 per
    // m-tile and 32-wide slice, as FlashAttention-2 does). The default
    // (0) takes them at Dv = 64, where ptxas fits every mask and score
    // term in 255 registers; at Dv = 128, with 128 registers of O, it
    // spilled 8-72 bytes for masks, so those keep 16 rows unless asked.
    bool twoTiles = warpRows == 32 || (warpRows == 0 && c.dv <= 64);
    if (c.qInSmem) {
      c.warps = 4;
    } else if (!c.wgmma && twoTiles && c.warps == 8 && !c.packed() &&
               !c.paged && !c.varlen) {
      c.mTiles = 2;
      c.warps = 4;
      c.qInSmem = c.dqk == 128;
    }
    c.tma = c.wgmma && useTma && !c.paged && below2e40(c.hq, c.sq, c.dqk) &&
            below2e40(c.hkv, c.sk, c.dqk) && below2e40(c.hkv, c.sk, c.dv);
    if (c.varlen && (c.dqk == 256 || c.dv == 256) && !c.tma)
      return op->emitOpError()
             << "has no GPU kernel: head dimension 256 with varlen needs the "
                "TMA kernel, and the tensors are too large for TMA (strides "
                "of 2^40 bytes or more)";
    if (c.fp8 && !c.tma)
      return op->emitOpError()
             << "has no FP8 GPU kernel: the tensors are too large for TMA "
                "(strides of 2^40 bytes or more)";
    // The TMA kernel at head dimensions up to 128: keys in tiles of 128
    // (FlashAttention-3's N), so that S = Q·Kᵀ is m64n128k16 with both
    // operands in shared memory: 6 KiB read per 64 x 128 x 16 MACs instead
    // of 4 KiB per 64 x 64 x 16 (at an H100 SM's 2048 MACs per clock, 96
    // instead of 128 of the 128 bytes per clock its shared memory
    // delivers). S, P and O still fit the consumers' 240 registers (ptxas:
    // no spill); at 256, O alone takes 128 of them.
    // (The decode form keeps 64: its split count is chosen in key tiles of
    // 64 and for two CTAs per SM, and it is bound by memory, not by the
    // tensor cores.)
    if (!givenTile && c.tma && !c.packed() && c.dqk <= 128 && c.dv <= 128)
      c.tileKV = 128;
    if (givenTile) {
      // The tiles each form is built and tested with: FP8 128 (the
      // transposed V tile's rows); TMA 64 or 128 (64 at head dimension
      // 256); wgmma with cp.async 64; mma.sync 32 or 64, at head dimension
      // 256 32 (S of 64 keys next to 128 registers of O spilled) or 64
      // with split keys.
      bool d256 = c.dqk == 256 || c.dv == 256;
      SmallVector<int64_t, 2> supported;
      StringRef form;
      if (c.fp8) {
        supported = {128};
        form = "FP8";
      } else if (c.tma) {
        supported = d256 ? SmallVector<int64_t, 2>{64}
                         : SmallVector<int64_t, 2>{64, 128};
        form = "wgmma (TMA)";
      } else if (c.wgmma) {
        supported = {64};
        form = "wgmma (cp.async)";
      } else {
        supported = !d256           ? SmallVector<int64_t, 2>{32, 64}
                    : c.splitKeys() ? SmallVector<int64_t, 2>{64}
                                    : SmallVector<int64_t, 2>{32};
        form = "mma.sync";
      }
      if (!llvm::is_contained(supported, c.tileKV)) {
        InFlightDiagnostic diag = op->emitOpError()
                                  << "attn-sdpa-to-mma: tile-kv = " << c.tileKV
                                  << " is not supported by its " << form
                                  << " kernel (supported here: ";
        llvm::interleave(
            supported, [&](int64_t t) { diag << t; }, [&] { diag << ", "; });
        return diag << "; 0: the kernel's own)";
      }
    }
    Location loc = op->getLoc();
    auto memrefOf = [](Value v) {
      auto t = cast<RankedTensorType>(v.getType());
      return MemRefType::get(t.getShape(), t.getElementType());
    };
    // Parameters: q, k, v, [bias], [alibi slopes], [kv_lens], [cu_seqlens_q,
    // cu_seqlens_k], out, [lse]
    // (decode form: the partial output and lse instead of out and lse,
    // which the combine kernel writes).
    // Paged: q, k_cache, v_cache, block_table, context_lens, out.
    SmallVector<Value> tensors;
    SmallVector<DequantizeOp, 3> dequantized;
    if (sdpa) {
      tensors = {sdpa.getQuery(), sdpa.getKey(), sdpa.getValue()};
      for (Value in : {sdpa.getBias(), sdpa.getAlibiSlopes(), sdpa.getKvLens(),
                       sdpa.getCuSeqlensQ(), sdpa.getCuSeqlensK()})
        if (in)
          tensors.push_back(in);
      if (c.fp8) {
        // The codes in place of Q, K and V; their scales after the other
        // inputs.
        for (int i = 0; i < 3; ++i) {
          dequantized.push_back(tensors[i].getDefiningOp<DequantizeOp>());
          tensors[i] = dequantized.back().getInput();
        }
        for (DequantizeOp dq : dequantized)
          tensors.push_back(dq.getScale());
      }
    } else {
      auto paged = cast<PagedAttentionOp>(op);
      rope = paged.getQuery().getDefiningOp<RopeOp>();
      tensors = {rope ? rope.getInput() : paged.getQuery(), paged.getKCache(),
                 paged.getVCache(), paged.getBlockTable(),
                 paged.getContextLens()};
      for (Value in : {paged.getKScale(), paged.getVScale(),
                       paged.getKZeroPoint(), paged.getVZeroPoint()})
        if (in)
          tensors.push_back(in);
      if (rope) {
        c.ropeQ = true;
        c.ropeStyle = rope.getStyle();
        c.ropeDim = rope.getEffectiveRotaryDim();
        Value pos =
            rope.getPositions() ? rope.getPositions() : rope.getOffsets();
        c.ropeRank = rope.getPositions()
                         ? cast<RankedTensorType>(pos.getType()).getRank()
                     : pos ? 0
                           : -1;
        if (pos)
          tensors.push_back(pos);
      }
    }
    // A fused RoPE rotates the Q registers loaded from global memory
    // (loadQFragments): not on the shared-memory path.
    // The decode form with split keys shares one m-tile of Q among its
    // warps: also through shared memory, read once.
    c.qViaSmem = !c.wgmma && !c.qInSmem && (!c.packed() || c.splitKeys()) &&
                 !c.varlen && !c.ropeQ;
    size_t numInputs = tensors.size();
    tensors.push_back(op->getResult(0));
    if (c.lse)
      tensors.push_back(sdpa.getLse());
    OpBuilder b(ctx);
    SmallVector<Type> paramTypes;
    SmallVector<Attribute> paramInfos;
    auto info = [&](StringRef pname, bool written) -> Attribute {
      return kernelParamInfo(ctx, pname, written);
    };
    SmallVector<StringAttr> names;
    for (Value v : tensors) {
      StringAttr pname = paramName(func, v);
      if (!pname)
        return op->emitOpError()
               << "expected its operands and results to be named kernel "
                  "parameters (run attn-check-gpu-support first)";
      names.push_back(pname);
    }
    for (size_t i = 0; i < numInputs; ++i) {
      paramTypes.push_back(memrefOf(tensors[i]));
      paramInfos.push_back(info(names[i], false));
    }
    MemRefType oPartType, lsePartType;
    if (c.packed()) {
      oPartType = MemRefType::get({c.batch, c.hq, c.sq, c.splits, c.dv},
                                  b.getF32Type());
      lsePartType =
          MemRefType::get({c.batch, c.hq, c.sq, c.splits}, b.getF32Type());
      paramTypes.append({oPartType, lsePartType});
      paramInfos.append({info("o_partial", true), info("lse_partial", true)});
    } else {
      for (size_t i = numInputs; i < tensors.size(); ++i) {
        paramTypes.push_back(memrefOf(tensors[i]));
        paramInfos.push_back(info(names[i], true));
      }
    }
    // TMA: tensor maps of Q, K, V and the output ([B][H][S][D], boxes of
    // 64 columns x the Q tile's rows, 64 keys or 16 rows, 128-byte
    // swizzle), by value after the pointers. Varlen: [1][T][H][D] (the
    // tokens of one head are H rows apart), boxes of 1 head x the same
    // rows, the same shared-memory tile; no output map.
    if (c.tma) {
      struct Map {
        size_t param;
        int64_t d, s, h, boxRows;
      };
      // And of the output: a warp's 16 rows x 64 columns, stored by TMA
      // from the epilogue's staging.
      SmallVector<Map, 4> maps = {Map{0, c.dqk, c.sq, c.hq, c.qBoxRows()},
                                  Map{1, c.dqk, c.sk, c.hkv, c.tileKV},
                                  Map{2, c.dv, c.sk, c.hkv, c.tileKV}};
      if (c.tmaStore())
        maps.push_back(Map{numInputs, c.dv, c.sq, c.hq, kTileRows});
      for (Map m : maps) {
        // Q, K and V: FP8 codes are single bytes (boxes of 128 columns).
        int64_t bytes = m.param < 3 ? c.inBytes() : 2;
        int64_t row = m.d * bytes;
        paramTypes.push_back(LLVM::LLVMPointerType::get(ctx));
        std::string mapName = (names[m.param].getValue() + "_tensor_map").str();
        // The decode form's Q: all Sq queries of the KV head's `group`
        // query heads.
        SmallVector<int64_t, 4> box = {128 / bytes, m.boxRows, 1, 1};
        if (m.param == 0 && c.packed())
          box = {128 / bytes, c.sq, c.group(), 1};
        if (c.varlen)
          paramInfos.push_back(tensorMapParamInfo(
              ctx, mapName, names[m.param].getValue(), {m.d, m.h, m.s, 1},
              {row, row * m.h, row * m.h * m.s}, {128 / bytes, 1, m.boxRows, 1},
              /*swizzle=*/128));
        else
          paramInfos.push_back(tensorMapParamInfo(
              ctx, mapName, names[m.param].getValue(), {m.d, m.s, m.h, c.batch},
              {row, row * m.s, row * m.s * m.h}, box,
              /*swizzle=*/128));
      }
    }
    SmallVector<int64_t, 3> grid = {(c.sq + c.tileQ() - 1) / c.tileQ(), c.hq,
                                    c.batch};
    if (c.packed())
      grid = {c.defaultSplits, c.hkv, c.batch};
    if (grid[0] > 0x7fffffff || grid[1] > 65535 || grid[2] > 65535)
      return op->emitOpError()
             << "needs a grid of " << grid[0] << " x " << grid[1] << " x "
             << grid[2] << " blocks, more than a GPU launches";

    int64_t threads = c.threads();
    auto kernel = createKernel(b, loc, name, symbols, paramTypes, paramInfos,
                               grid, threads, c.packed() ? c.splits : 0);
    {
      // The kernel's configuration, for the manifest.
      SmallVector<std::pair<StringRef, int64_t>> sizes = {
          {"query_rows", c.tileQ()},
          {"tile_kv", c.tileKV},
          {"warps", c.warps},
          {"warp_rows", c.warpRows()},
          {"key_groups", c.keyGroups}};
      if (c.tma)
        sizes.push_back({"stages", c.stages});
      if (c.packed())
        sizes.push_back({"splits", c.splits});
      setKernelConfig(kernel,
                      !c.wgmma ? "mma.sync"
                      : c.tma  ? "wgmma.tma"
                               : "wgmma",
                      sizes,
                      {{"decode", c.packed()},
                       {"paged", c.paged},
                       {"fp8", c.fp8},
                       {"q_in_smem", c.qInSmem || c.qViaSmem || c.tma}});
    }
    if (rope) {
      // inv_freq[i] = theta^(-2i/R), computed in f64, rounded to f32.
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(kernel);
      SmallVector<float> invFreq;
      double theta = rope.getTheta().convertToDouble();
      for (int64_t i = 0; i < c.ropeDim / 2; ++i)
        invFreq.push_back(static_cast<float>(
            std::pow(theta, -2.0 * static_cast<double>(i) /
                                static_cast<double>(c.ropeDim))));
      auto type = RankedTensorType::get({c.ropeDim / 2}, b.getF32Type());
      memref::GlobalOp::create(
          b, loc, "rope_inv_freq", b.getStringAttr("private"),
          MemRefType::get({c.ropeDim / 2}, b.getF32Type()),
          DenseElementsAttr::get(type, ArrayRef<float>(invFreq)),
          /*constant=*/true, /*alignment=*/nullptr);
    }
    auto tileType = [&](int64_t d) {
      return MemRefType::get(
          {c.tileKV, d}, c.elt, MemRefLayoutAttrInterface(),
          gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup));
    };
    if (c.tma) {
      // The ring is dynamic shared memory (more than the 48 KiB of static
      // shared memory at d = 128); its tensor-map parameters are passed by
      // value (marked here; attn-nvvm-kernel-abi sets the LLVM attributes).
      setKernelSharedMemory(kernel, c.tmaSharedBytes());
      int64_t n = paramTypes.size(), maps = c.tmaStore() ? 4 : 3;
      SmallVector<int64_t, 4> mapArgs;
      for (int64_t i = n - maps; i < n; ++i)
        mapArgs.push_back(i);
      kernel->setAttr(kTensorMapArgsAttr, b.getDenseI64ArrayAttr(mapArgs));
      // setmaxnreg needs the register count at entry, which ptxas derives
      // from the block size and one CTA per SM (else C7508: ignored).
      kernel->setAttr(NVVM::NVVMDialect::getMinctasmAttrName(),
                      b.getI32IntegerAttr(1));
    } else if (c.qInSmem) {
      // Q, K and V tiles: dynamic shared memory (96 KiB at d = 256).
      setKernelSharedMemory(kernel, c.qInSmemBytes());
    } else if (c.wgmma) {
      // K and V tiles in one buffer, 1024 bytes extra for the alignment
      // of the swizzle atoms.
      kernel.addWorkgroupAttribution(
          MemRefType::get(
              {c.tileKV * (c.dqk + c.dv) + 1024 / 2}, c.elt,
              MemRefLayoutAttrInterface(),
              gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup)),
          loc);
    } else if (c.qViaSmem || c.splitKeys()) {
      // K then V tile in one buffer, which holds the Q tile first (at most
      // 32 KiB: Dqk <= 128) and, with split keys, the warps' states last.
      kernel.addWorkgroupAttribution(
          MemRefType::get(
              {std::max({c.kvTilesBytes(), c.qTileBytes(), c.mergeBytes()})},
              b.getI8Type(), MemRefLayoutAttrInterface(),
              gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup)),
          loc);
    } else {
      kernel.addWorkgroupAttribution(tileType(c.dqk), loc); // K tile
      kernel.addWorkgroupAttribution(tileType(c.dv), loc);  // V tile
    }
    if (c.quantized()) {
      // One staging buffer for the raw K and V codes (each is dequantized
      // before the other is copied in): static shared memory stays within
      // 48 KiB at d = 128.
      kernel.addWorkgroupAttribution(
          MemRefType::get(
              {c.tileKV, std::max(c.dqk, c.dv)}, c.poolElt,
              MemRefLayoutAttrInterface(),
              gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup)),
          loc);
    }
    if (c.paged)
      kernel.addWorkgroupAttribution(
          MemRefType::get(
              {2, c.tileKV}, b.getI32Type(), MemRefLayoutAttrInterface(),
              gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup)),
          loc); // the pool rows of the keys of a tile, two tiles
    {
      OpBuilder kb(ctx);
      KernelBuilder builder(kb, loc, c);
      builder.build(kernel);
    }
    gpu::GPUFuncOp combine;
    SmallVector<int64_t, 3> combineGrid;
    if (c.packed()) {
      SmallVector<Type> types = {oPartType, lsePartType};
      SmallVector<Attribute> infos = {info("o_partial", false),
                                      info("lse_partial", false)};
      for (size_t i = numInputs; i < tensors.size(); ++i) {
        types.push_back(memrefOf(tensors[i]));
        infos.push_back(info(names[i], true));
      }
      int64_t n = c.batch * c.hq * c.sq * c.dv;
      combineGrid = {(n + kCombineThreads - 1) / kCombineThreads, 1, 1};
      combine = createKernel(b, loc, (name + "_combine").str(), symbols, types,
                             infos, combineGrid, kCombineThreads);
      setKernelConfig(combine, "combine", {{"splits", c.splits}});
      OpBuilder kb(ctx);
      buildCombine(kb, loc, combine, c);
    }

    // Host side: buffers of the operands, fresh output buffers, the
    // launches.
    b.setInsertionPoint(op);
    auto cst = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    SmallVector<Value> args;
    for (size_t i = 0; i < numInputs; ++i)
      args.push_back(bufferization::ToBufferOp::create(
          b, loc, cast<MemRefType>(paramTypes[i]), tensors[i],
          /*readOnly=*/true));
    SmallVector<Value> outs;
    for (size_t i = numInputs; i < tensors.size(); ++i)
      outs.push_back(memref::AllocOp::create(b, loc, memrefOf(tensors[i])));
    SmallVector<Value> partials;
    if (c.packed())
      partials = {memref::AllocOp::create(b, loc, oPartType),
                  memref::AllocOp::create(b, loc, lsePartType)};
    SmallVector<Value> first(args);
    first.append(c.packed() ? partials : outs);
    Value dynamicShared;
    if (c.qInSmem)
      dynamicShared = arith::ConstantOp::create(
          b, loc, b.getI32IntegerAttr(c.qInSmemBytes()));
    if (c.tma) {
      // The engine passes the tensor maps the manifest describes; the
      // host IR has no tensor-map value and passes null in their place.
      Value null =
          LLVM::ZeroOp::create(b, loc, LLVM::LLVMPointerType::get(ctx));
      first.append(SmallVector<Value, 4>(c.tmaStore() ? 4 : 3, null));
      dynamicShared = arith::ConstantOp::create(
          b, loc, b.getI32IntegerAttr(c.tmaSharedBytes()));
    }
    gpu::LaunchFuncOp::create(
        b, loc, kernel,
        gpu::KernelDim3{cst(grid[0]), cst(grid[1]), cst(grid[2])},
        gpu::KernelDim3{cst(threads), cst(1), cst(1)}, dynamicShared, first);
    if (c.packed()) {
      SmallVector<Value> second(partials);
      second.append(outs);
      gpu::LaunchFuncOp::create(
          b, loc, combine, gpu::KernelDim3{cst(combineGrid[0]), cst(1), cst(1)},
          gpu::KernelDim3{cst(kCombineThreads), cst(1), cst(1)},
          /*dynamicSharedMemorySize=*/nullptr, second);
      for (Value p : partials)
        memref::DeallocOp::create(b, loc, p);
    }
    for (auto [i, buf] : llvm::enumerate(outs)) {
      Value t = bufferization::ToTensorOp::create(
          b, loc, cast<RankedTensorType>(tensors[numInputs + i].getType()), buf,
          /*restrict=*/true, /*writable=*/true);
      tensors[numInputs + i].replaceAllUsesWith(t);
    }
    op->erase();
    if (rope)
      rope.erase();
    for (DequantizeOp dq : dequantized)
      dq.erase();
    module()->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                      UnitAttr::get(ctx));
    return success();
  }

  ModuleOp module() { return getOperation(); }
};

} // namespace
