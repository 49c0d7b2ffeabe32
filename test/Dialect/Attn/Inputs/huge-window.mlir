func.func @f(%q: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %o = attn.sdpa %q, %q, %q {mask = #attn.mask<causal = true, window_left = 99999999999999999999999>} : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}
