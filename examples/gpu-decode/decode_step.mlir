// One decode step of one attention layer, for the GPU: the new token's K
// and V go into the paged cache (RoPE on K fused into the append), then
// each sequence's query (RoPE fused into the Q load) attends over its
// cache. Batch 4, 32 query heads over 8 KV heads, head dim 128, f16; the
// cache has 256 blocks of 16 tokens (NHD) and each sequence at most 64
// blocks (1024 tokens). %cache_lens: tokens cached before this step; %ctx:
// after it (cache_lens + 1).
func.func @decode_step(%q: tensor<4x32x1x128xf16>,
                       %k_cache: tensor<256x16x8x128xf16>,
                       %v_cache: tensor<256x16x8x128xf16>,
                       %k: tensor<4x1x8x128xf16>, %v: tensor<4x1x8x128xf16>,
                       %table: tensor<4x64xi32>, %cache_lens: tensor<4xi32>,
                       %ctx: tensor<4xi32>) -> tensor<4x32x1x128xf16> {
  %kr = attn.rope %k offsets(%cache_lens : tensor<4xi32>)
      {layout = #attn<layout bshd>, theta = 10000.0 : f32}
      : tensor<4x1x8x128xf16> -> tensor<4x1x8x128xf16>
  %kc, %vc = attn.kv_cache_append %k_cache, %v_cache, %kr, %v, %table,
      %cache_lens
      : tensor<256x16x8x128xf16>, tensor<256x16x8x128xf16>,
        tensor<4x1x8x128xf16>, tensor<4x1x8x128xf16>, tensor<4x64xi32>,
        tensor<4xi32>
  %qr = attn.rope %q offsets(%cache_lens : tensor<4xi32>)
      {theta = 10000.0 : f32}
      : tensor<4x32x1x128xf16> -> tensor<4x32x1x128xf16>
  %o = attn.paged_attention %qr, %kc, %vc, %table, %ctx
      : tensor<4x32x1x128xf16>, tensor<256x16x8x128xf16>,
        tensor<256x16x8x128xf16>, tensor<4x64xi32>, tensor<4xi32>
        -> tensor<4x32x1x128xf16>
  return %o : tensor<4x32x1x128xf16>
}
