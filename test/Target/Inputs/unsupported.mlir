// Dynamic sequence length: not supported by the GPU pipeline.
func.func @dyn(%q: tensor<1x1x?x8xf16>, %k: tensor<1x1x4x8xf16>, %v: tensor<1x1x4x8xf16>) -> tensor<1x1x?x8xf16> {
  %o = attn.sdpa %q, %k, %v : tensor<1x1x?x8xf16>, tensor<1x1x4x8xf16>, tensor<1x1x4x8xf16> -> tensor<1x1x?x8xf16>
  return %o : tensor<1x1x?x8xf16>
}
