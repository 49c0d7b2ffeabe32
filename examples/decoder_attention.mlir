// A decoder layer's causal GQA attention (32 query heads, 8 KV heads, d=128).
func.func @decoder_attention(%q: tensor<1x32x128x128xf32>,
                             %k: tensor<1x8x128x128xf32>,
                             %v: tensor<1x8x128x128xf32>)
    -> tensor<1x32x128x128xf32> {
  %o = attn.sdpa %q, %k, %v {mask = #attn.mask<causal = true>}
      : tensor<1x32x128x128xf32>, tensor<1x8x128x128xf32>,
        tensor<1x8x128x128xf32> -> tensor<1x32x128x128xf32>
  return %o : tensor<1x32x128x128xf32>
}
