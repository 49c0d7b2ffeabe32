//===- Passes.td - attn transformation passes --------------*- tablegen -*-===//
//
// Passes that rewrite attention within the attn dialect or into it: fusion,
// flash tiling and split-KV. Flags start with `attn-`.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_TRANSFORMS_PASSES
#define ATTN_DIALECT_ATTN_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

// Pass definitions follow, one per pass, in the order of a pipeline.

//===----------------------------------------------------------------------===//
// FuseAttentionPass
//===----------------------------------------------------------------------===//

def FuseAttentionPass : Pass<"attn-fuse-attention"> {
  let summary = "fuse unfused attention chains into attn.sdpa";
  let description = [{
    Finds `softmax(mask(scale * Q Kᵀ)) V` computed step by step and replaces
    the chain by one `attn.sdpa`. Three input forms are recognised, each
    matched backwards from the final probabilities-times-values matmul:
    - the attn dialect's unfused steps (`attn.scores`, `attn.mask`,
      `attn.softmax`, `attn.weighted_sum`);
    - linalg on tensors as frontends (torch-mlir) emit it: contractions
      (`linalg.batch_matmul`, `linalg.matmul`, either with transposing
      `indexing_maps`, `linalg.contract` or an einsum-style `linalg.generic`)
      with K transposed by `linalg.transpose` or by the maps, possibly between
      `tensor.collapse_shape` and `tensor.expand_shape`, an elementwise scale
      (on the scores, on Q, or split as `d^-1/4` on Q and Kᵀ),
      `linalg.softmax` or its max/sub/exp/sum/div decomposition (also with
      the subtraction fused into the exponential), a causal mask as iota +
      compare + select or as an added constant, an additive or boolean mask
      tensor, and GQA as a broadcasting copy of the K/V heads;
    - TOSA: `tosa.transpose`, `tosa.matmul`, `tosa.mul` scale,
      `tosa.reduce_max`/`sub`/`exp`/`reduce_sum`/`reciprocal`/`mul` softmax,
      with `tosa.reshape` around.
    A chain whose intermediate values have other users, whose softmax runs
    over another axis, or whose mask or scale is not recognised is left
    unchanged. The dead chain is erased after the rewrite.

    Example:

    ```mlir
    %s = attn.scores %q, %k {scale = 0.125 : f32} : ...
    %p = attn.softmax %s : ...
    %o = attn.weighted_sum %p, %v : ...
    // becomes
    %o = attn.sdpa %q, %k, %v {scale = 0.125 : f32} : ...
    ```

    With `report-misses`, every chain that looks like attention (a
    contraction whose operand comes, within a few ops, from an exponential
    and a row reduction over another contraction) but was not fused gets a
    remark naming the step that did not match and why.
  }];
  let options = [
    Option<"reportMisses", "report-misses", "bool", /*default=*/"false",
           "Remark on each attention-like chain left unfused, with the reason">
  ];
  let dependentDialects = ["::mlir::attn::AttnDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

//===----------------------------------------------------------------------===//
// FlashTilePass
//===----------------------------------------------------------------------===//

def FlashTilePass : Pass<"attn-flash-tile"> {
  let summary = "tile attn.sdpa into the FlashAttention online-softmax form";
  let description = [{
    Rewrites each `attn.sdpa` into loops on tensors: an `scf.for` nest over
    batch, query heads and query tiles, and inner `scf.for` loops over
    key/value tiles that carry the running row maximum `m`, the running row
    sum `l` and the f32 accumulator `O`:

      S     = (scale * log2(e)) * Q_tile K_tileᵀ     (+ softcap/bias/ALiBi)
      m_new = max(m, rowmax(S))
      p     = exp2(S - m_new),  alpha = exp2(m - m_new)
      l     = alpha * l + rowsum(p),  O = alpha * O + p V_tile

    and finally `O / l` (rows with `l = 0` give zeros) and, when requested,
    `lse = (m + log2(l)) * ln(2)`.

    Causal and sliding-window masks are classified per query tile at compile
    time (static lengths) or at run time (`kv_lens`, dynamic lengths): key
    tiles that no query of the tile sees are skipped by the loop bounds,
    fully visible tiles run in a loop without mask code and only the
    partially visible tiles at either end evaluate the mask.

    Keys and values that are an `attn.paged_gather` of a pool (or an
    `attn.dequantize` of one), with static tile sizes (`peel`, and key
    lengths): each key tile is read from the pool through the block table,
    in pieces of `min(tile-kv, block size)` rows (one block id per piece,
    zeros for invalid ids), quantized pieces dequantized on the way, and the
    gathers are erased; the dense tensors are never built. Block sizes that
    `tile-kv` does not divide (or that do not divide it) read tiles of the
    gather.

    Varlen (`cu_seqlens`) ops, f64 ops, and ops whose bias or attn_mask has
    dynamic dimensions are left unchanged for `convert-attn-to-linalg`.
  }];
  let options = [
    Option<"tileQ", "tile-q", "int64_t", /*default=*/"64",
           "Number of query rows per tile">,
    Option<"tileKV", "tile-kv", "int64_t", /*default=*/"64",
           "Number of keys per tile">,
    Option<"peel", "peel", "bool", /*default=*/"false",
           "Static lengths that are not a multiple of the tile: full tiles "
           "in the loops and the last tile peeled, every tile with static "
           "sizes (what the CPU pipeline vectorizes; otherwise every tile "
           "has the dynamic size min(tile, rest))">,
    Option<"widen", "widen", "bool", /*default=*/"false",
           "Convert f16/bf16 Q, K and V tiles to f32 once per tile, so that "
           "the contractions run on f32 (what the CPU pipeline vectorizes "
           "best)">,
    Option<"parallelHeads", "parallel-heads", "bool", /*default=*/"false",
           "One scf.forall over (batch, query head), each iteration writing "
           "its head's slices of the results (what the CPU pipeline runs on "
           "several threads); otherwise two scf.for loops">,
    Option<"padKV", "pad-kv", "int64_t", /*default=*/"0",
           "Partial static key tiles (the peeled last tile of a length) "
           "whose size is not a multiple of this are padded to one: zero "
           "K and V rows whose scores are hidden, so that every row of the "
           "tile is whole vectors (the CPU pipeline uses its f32 vector "
           "length); 0: no padding">,
    Option<"transposeKeys", "transpose-keys", "bool", /*default=*/"false",
           "Each (batch, query head) transposes its keys once (widened, "
           "padded like the last key tile: `[D, keys]`) before its query "
           "tiles, and Q·Kᵀ reads that operand's tiles as stored `[D, "
           "keys]` instead of a `[keys, D]` tile that the CPU vectorizer "
           "transposes per query tile; with static lengths, dense keys, "
           "parallel-heads and more than one query tile">,
    Option<"prefetchPages", "prefetch-pages", "bool", /*default=*/"false",
           "Tiles read from a paged KV cache (an attn.paged_gather) issue "
           "software prefetches (memref.prefetch) of the pool rows of the "
           "next piece while copying the current one">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect", "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

//===----------------------------------------------------------------------===//
// SplitKVPass
//===----------------------------------------------------------------------===//

def SplitKVPass : Pass<"attn-split-kv"> {
  let summary = "split decode-shaped attn.sdpa along the keys (split-KV)";
  let description = [{
    Rewrites an `attn.sdpa` with few queries (`Sq <= max-query-len`) and many
    keys into `N` `attn.sdpa` ops over disjoint key chunks, each returning
    its log-sum-exp, and one `attn.combine` that merges them
    (FlashDecoding). Bias and attn_mask columns are sliced per chunk, key
    lengths become `clamp(kv_lens - c * chunk, 0, chunk)`, and the mask
    attribute of each chunk is rewritten so that it keeps the original
    diagonal (a chunk nobody sees is dropped, a fully visible one loses its
    mask).

    Left unchanged: `Sq > max-query-len`, fewer than two chunks, dynamic
    sequence lengths, varlen ops, and masks or ALiBi distances a chunk
    cannot express with `#attn.mask` (e.g. a causal mask together with
    `kv_lens`).
  }];
  let options = [
    Option<"numSplits", "num-splits", "int64_t", /*default=*/"0",
           "Number of key chunks (0: one per 512 keys)">,
    Option<"maxQueryLen", "max-query-len", "int64_t", /*default=*/"8",
           "Largest number of queries an op may have to be split">
  ];
  let dependentDialects = ["::mlir::attn::AttnDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::arith::ArithDialect"];
}

//===----------------------------------------------------------------------===//
// PackGqaDecodePass
//===----------------------------------------------------------------------===//

def PackGqaDecodePass : Pass<"attn-pack-gqa-decode"> {
  let summary = "pack the query heads of one KV head as the rows of a decode";
  let description = [{
    Rewrites a decode-shaped `attn.sdpa` (bhsd, one query, `Hq = g * Hkv`
    query heads with g > 1) into one over the query reshaped to
    `[B, Hkv, g, D]`: g queries per KV head, MHA over the same keys and
    values, the result (and lse) reshaped back. Each key and value tile is
    then read once per group instead of once per query head, and the g rows
    share its contractions.

    Only where every row sees the same keys: no ALiBi, a bias and attn_mask
    broadcast over heads and queries (`[B or 1, 1, 1, Sk]`), and no mask or a
    bottom-right causal mask without a left window (the last query's
    diagonal is the last key: it hides nothing, so it is dropped). Key
    lengths, scale and softcap carry over.
  }];
  let dependentDialects = ["::mlir::attn::AttnDialect",
                           "::mlir::tensor::TensorDialect"];
}

#endif // ATTN_DIALECT_ATTN_TRANSFORMS_PASSES
