func.func @f(%q: tensor<1x4x8x16xf32>) {
  %o = attn.sdpa %q, %q,
