// Decode: one query per sequence, GQA 32:8, 4096 keys.
func.func @decode(%q: tensor<2x32x1x128xf16>, %k: tensor<2x8x4096x128xf16>, %v: tensor<2x8x4096x128xf16>) -> tensor<2x32x1x128xf16> {
  %o = attn.sdpa %q, %k, %v : tensor<2x32x1x128xf16>, tensor<2x8x4096x128xf16>, tensor<2x8x4096x128xf16> -> tensor<2x32x1x128xf16>
  return %o : tensor<2x32x1x128xf16>
}
