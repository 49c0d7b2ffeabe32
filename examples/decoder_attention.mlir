// The attention of one decoder layer, as a frontend would hand it to attn:
// hidden states [B, S, E] -> QKV projection (32 query heads... scaled down
// here to 8 query heads over 2 KV heads, head dim 64, so the CPU run takes
// well under a second) -> RoPE (NeoX) on Q and K -> causal GQA attention ->
// output projection back to [B, S, E].
func.func @decoder_attention(%x: tensor<1x128x512xf32>,
                             %wq: tensor<512x512xf32>,
                             %wk: tensor<512x128xf32>,
                             %wv: tensor<512x128xf32>,
                             %wo: tensor<512x512xf32>)
    -> tensor<1x128x512xf32> {
  %q, %k, %v = attn.qkv_projection %x, %wq, %wk, %wv
      {num_q_heads = 8 : i64, num_kv_heads = 2 : i64}
      : tensor<1x128x512xf32>, tensor<512x512xf32>, tensor<512x128xf32>,
        tensor<512x128xf32>
      -> tensor<1x8x128x64xf32>, tensor<1x2x128x64xf32>, tensor<1x2x128x64xf32>
  %qr = attn.rope %q {style = #attn<rope_style neox>, theta = 10000.0 : f32}
      : tensor<1x8x128x64xf32> -> tensor<1x8x128x64xf32>
  %kr = attn.rope %k {style = #attn<rope_style neox>, theta = 10000.0 : f32}
      : tensor<1x2x128x64xf32> -> tensor<1x2x128x64xf32>
  %o = attn.sdpa %qr, %kr, %v {mask = #attn.mask<causal = true>}
      : tensor<1x8x128x64xf32>, tensor<1x2x128x64xf32>, tensor<1x2x128x64xf32>
      -> tensor<1x8x128x64xf32>
  %y = attn.output_projection %o, %wo
      : tensor<1x8x128x64xf32>, tensor<512x512xf32> -> tensor<1x128x512xf32>
  return %y : tensor<1x128x512xf32>
}
