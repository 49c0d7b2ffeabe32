// GQA causal attention with the log-sum-exp (an input of the attn-compile
// tests; not a test itself).
func.func @gqa(%q: tensor<2x8x113x64xf16>, %k: tensor<2x2x113x64xf16>, %v: tensor<2x2x113x64xf16>) -> (tensor<2x8x113x64xf16>, tensor<2x8x113xf32>) {
  %o:2 = attn.sdpa %q, %k, %v {mask = #attn.mask<causal = true>} : tensor<2x8x113x64xf16>, tensor<2x2x113x64xf16>, tensor<2x2x113x64xf16> -> tensor<2x8x113x64xf16>, tensor<2x8x113xf32>
  return %o#0, %o#1 : tensor<2x8x113x64xf16>, tensor<2x8x113xf32>
}
