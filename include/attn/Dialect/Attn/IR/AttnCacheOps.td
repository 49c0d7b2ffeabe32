//===- AttnCacheOps.td - paged KV-cache ops ----------------*- tablegen -*-===//
//
// Paged KV cache with tensor semantics: the pools are values, an append
// returns the updated pools. The pool layout matches the runtime's
// (docs/runtime/kv-cache-layout.md).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_IR_ATTNCACHEOPS
#define ATTN_DIALECT_ATTN_IR_ATTNCACHEOPS

include "attn/Dialect/Attn/IR/AttnOpBase.td"

// A KV-cache pool holds float or quantized elements.
def Attn_CacheTensor
    : RankedTensorOf<[F16, BF16, F32, F64, I8, F8E4M3FN, F8E5M2]>;

//===----------------------------------------------------------------------===//
// KVCacheAppendOp
//===----------------------------------------------------------------------===//

def Attn_KVCacheAppendOp : Attn_Op<"kv_cache_append", [
    AllTypesMatch<["k_cache", "k_cache_out"]>,
    AllTypesMatch<["v_cache", "v_cache_out"]>]> {
  let summary = "write new key/value tokens into paged KV-cache pools";
  let description = [{
    The `attn.kv_cache_append` op writes `S_new` new tokens per sequence
    into the key and value pools and returns the updated pools.

    Pools are `[num_blocks, block_size, Hkv, D]` (`cache_layout = nhd`, the
    default) or `[num_blocks, Hkv, block_size, D]` (`hnd`); the block size
    is a static power of two in [1, 256]. The value pool may have its own
    head dim `Dv`. `block_table : [B, max_blocks]` (i32, unused entries
    `-1`) maps block `n` of sequence `b` to a pool block, and
    `cache_lens : [B]` (i32) holds the tokens already cached.

    `k_new : [B, S_new, Hkv, D]` and `v_new : [B, S_new, Hkv, Dv]` have the
    pools' element type (quantize first for quantized pools). Token `t` of
    sequence `b` is written at position `p = cache_lens[b] + t`, i.e. in
    pool block `block_table[b, p / block_size]`, slot `p % block_size`.
    With `new_lens(%n)` (`[B]`, i32) only tokens `t < n[b]` are written
    (padded batches). A token whose position has no block (past the table,
    or a negative or out-of-range block id) is dropped; every other element
    of the pools is unchanged.

    Example:

    ```mlir
    %kc2, %vc2 = attn.kv_cache_append %kc, %vc, %k, %v, %table, %lens
        new_lens(%n : tensor<2xi32>)
        : tensor<64x16x8x128xf16>, tensor<64x16x8x128xf16>,
          tensor<2x4x8x128xf16>, tensor<2x4x8x128xf16>, tensor<2x8xi32>,
          tensor<2xi32>
    ```
  }];
  let arguments = (ins
    Attn_CacheTensor:$k_cache,
    Attn_CacheTensor:$v_cache,
    Attn_CacheTensor:$k_new,
    Attn_CacheTensor:$v_new,
    RankedTensorOf<[I32]>:$block_table,
    RankedTensorOf<[I32]>:$cache_lens,
    Optional<RankedTensorOf<[I32]>>:$new_lens,
    DefaultValuedAttr<Attn_CacheLayoutAttr,
                      "::mlir::attn::CacheLayout::NHD">:$cache_layout
  );
  let results = (outs Attn_CacheTensor:$k_cache_out,
                      Attn_CacheTensor:$v_cache_out);
  let assemblyFormat = [{
    $k_cache `,` $v_cache `,` $k_new `,` $v_new `,` $block_table `,`
    $cache_lens (`new_lens` `(` $new_lens^ `:` type($new_lens) `)`)?
    attr-dict `:` type($k_cache) `,` type($v_cache) `,` type($k_new) `,`
    type($v_new) `,` type($block_table) `,` type($cache_lens)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// PagedAttentionOp
//===----------------------------------------------------------------------===//

def Attn_PagedAttentionOp : Attn_Op<"paged_attention",
                                    [AttrSizedOperandSegments]> {
  let summary = "attention of new queries over paged KV-cache pools";
  let description = [{
    The `attn.paged_attention` op computes `attn.sdpa` of new queries
    `query : [B, Hq, Sq, D]` (`bhsd`) against the first `context_lens[b]`
    tokens cached for sequence `b`: key `j` of sequence `b` is read from
    pool block `block_table[b, j / block_size]`, slot `j % block_size`
    (pools as in `attn.kv_cache_append`). The result is
    `[B, Hq, Sq, Dv]`. GQA: query head `h` reads KV head `h / (Hq / Hkv)`.

    The queries are the last `Sq` positions of each sequence (decode for
    `Sq = 1`, chunked prefill otherwise): masks use `Sk = context_lens[b]`
    and `bottom_right` alignment (a `mask` that hides keys must say
    `align = bottom_right`). The score order is `attn.sdpa`'s: `scale`
    (default `1/sqrt(D)`), `softcap`, then the mask; a query with no
    visible key (e.g. `context_lens[b] = 0`) yields zeros. Keys without a
    block (past the table, negative or out-of-range ids) are hidden.

    Quantized pools (`i8`, `f8E4M3FN`, `f8E5M2`) need `kv_quant` (whose
    storage type they must have) and `k_scale(...)`, `v_scale(...)`, plus
    `k_zero_point(...)`, `v_zero_point(...)` for `int8_asym`. Scale shapes
    follow the granularity: `per_tensor` rank 0 (or `[1]`), `per_head`
    `[Hkv]` (with `axis` the pool's head dim: 2 for `nhd`, 1 for `hnd`),
    `per_token` the pool shape without `D` (one scale per block, slot and
    head). Dequantization: INT8 `real = (q - zp) * scale`, FP8
    `real = f32(q) * scale`.

    Example:

    ```mlir
    %o = attn.paged_attention %q, %kc, %vc, %table, %ctx
        {mask = #attn.mask<causal = true, align = bottom_right>}
        : tensor<4x32x1x128xf16>, tensor<256x16x8x128xf16>,
          tensor<256x16x8x128xf16>, tensor<4x32xi32>, tensor<4xi32>
          -> tensor<4x32x1x128xf16>
    %o8 = attn.paged_attention %q, %kc8, %vc8, %table, %ctx
        k_scale(%ks : tensor<8xf32>) v_scale(%vs : tensor<8xf32>)
        {kv_quant = #attn.quant<fp8_e4m3, per_head, axis = 2>}
        : tensor<4x32x1x128xf32>, tensor<256x16x8x128xf8E4M3FN>,
          tensor<256x16x8x128xf8E4M3FN>, tensor<4x32xi32>, tensor<4xi32>
          -> tensor<4x32x1x128xf32>
    ```
  }];
  let arguments = (ins
    Attn_FloatTensor:$query,
    Attn_CacheTensor:$k_cache,
    Attn_CacheTensor:$v_cache,
    RankedTensorOf<[I32]>:$block_table,
    RankedTensorOf<[I32]>:$context_lens,
    Optional<RankedTensorOf<[F32]>>:$k_scale,
    Optional<RankedTensorOf<[F32]>>:$v_scale,
    Optional<RankedTensorOf<[I8, I32]>>:$k_zero_point,
    Optional<RankedTensorOf<[I8, I32]>>:$v_zero_point,
    OptionalAttr<F32Attr>:$scale,
    OptionalAttr<F32Attr>:$softcap,
    OptionalAttr<Attn_MaskAttr>:$mask,
    DefaultValuedAttr<Attn_CacheLayoutAttr,
                      "::mlir::attn::CacheLayout::NHD">:$cache_layout,
    OptionalAttr<Attn_QuantAttr>:$kv_quant
  );
  let results = (outs Attn_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $k_cache `,` $v_cache `,` $block_table `,` $context_lens
    (`k_scale` `(` $k_scale^ `:` type($k_scale) `)`)?
    (`v_scale` `(` $v_scale^ `:` type($v_scale) `)`)?
    (`k_zero_point` `(` $k_zero_point^ `:` type($k_zero_point) `)`)?
    (`v_zero_point` `(` $v_zero_point^ `:` type($v_zero_point) `)`)?
    attr-dict `:` type($query) `,` type($k_cache) `,` type($v_cache) `,`
    type($block_table) `,` type($context_lens) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = [{
    /// The scale in effect: the attribute, or 1/sqrt(head_dim).
    double getEffectiveScale();
  }];
}

//===----------------------------------------------------------------------===//
// PagedGatherOp
//===----------------------------------------------------------------------===//

def Attn_PagedGatherOp : Attn_Op<"paged_gather", [Pure]> {
  let summary = "the cached tokens of each sequence as a dense tensor";
  let description = [{
    The `attn.paged_gather` op reads the first `context_lens[b]` tokens
    cached for sequence `b` from a pool (as in `attn.kv_cache_append`) into
    a dense `bhsd` tensor `[B, Hkv, L, D]`, `L = max_blocks * block_size`:

    ```
    result[b, h, j, d] = pool[block_table[b, j / bs], j % bs, h, d]   (nhd)
    result[b, h, j, d] = pool[block_table[b, j / bs], h, j % bs, d]   (hnd)
    ```

    for `j < context_lens[b]` whose block id is valid (in
    `[0, num_blocks)`), and zero everywhere else. Quantized pools are read
    as codes. A pool without `D` (`[num_blocks, block_size, Hkv]` or
    `[num_blocks, Hkv, block_size]`: the per-token scales or zero points of
    a quantized pool) gives `[B, Hkv, L]`.

    `attn-paged-attention-to-sdpa` rewrites `attn.paged_attention` as an
    `attn.sdpa` over two of these; `attn-flash-tile` then reads each key
    tile through the block table, straight from the pool, and the dense
    tensor is never built.

    Example:

    ```mlir
    %k = attn.paged_gather %kc, %table, %ctx
        : tensor<256x16x8x128xf16>, tensor<4x64xi32>, tensor<4xi32>
          -> tensor<4x8x1024x128xf16>
    ```
  }];
  let arguments = (ins
    RankedTensorOf<[F16, BF16, F32, F64, I8, I32, F8E4M3FN, F8E5M2]>:$pool,
    RankedTensorOf<[I32]>:$block_table,
    RankedTensorOf<[I32]>:$context_lens,
    DefaultValuedAttr<Attn_CacheLayoutAttr,
                      "::mlir::attn::CacheLayout::NHD">:$cache_layout
  );
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $pool `,` $block_table `,` $context_lens attr-dict `:` type($pool) `,`
    type($block_table) `,` type($context_lens) `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // ATTN_DIALECT_ATTN_IR_ATTNCACHEOPS
