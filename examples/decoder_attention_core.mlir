// The attention core of examples/decoder_attention.mlir in f16 (the GPU
// pipeline lowers attn.sdpa; projections and RoPE run on the CPU for now):
// causal GQA, 8 query heads over 2 KV heads, 128 tokens, head dim 64.
func.func @decoder_attention_core(%q: tensor<1x8x128x64xf16>,
                                  %k: tensor<1x2x128x64xf16>,
                                  %v: tensor<1x2x128x64xf16>)
    -> tensor<1x8x128x64xf16> {
  %o = attn.sdpa %q, %k, %v {mask = #attn.mask<causal = true>}
      : tensor<1x8x128x64xf16>, tensor<1x2x128x64xf16>, tensor<1x2x128x64xf16>
      -> tensor<1x8x128x64xf16>
  return %o : tensor<1x8x128x64xf16>
}
