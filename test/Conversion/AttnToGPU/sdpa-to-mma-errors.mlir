// RUN: attn-opt %s --attn-sdpa-to-mma --verify-diagnostics

// Without attn-check-gpu-support the kernel parameters have no names.
func.func @unnamed(%q: tensor<1x2x16x64xf16>, %k: tensor<1x2x16x64xf16>, %v: tensor<1x2x16x64xf16>) -> tensor<1x2x16x64xf16> {
  // expected-error @below {{expected its operands and results to be named kernel parameters (run attn-check-gpu-support first)}}
  %0 = attn.sdpa %q, %k, %v : tensor<1x2x16x64xf16>, tensor<1x2x16x64xf16>, tensor<1x2x16x64xf16> -> tensor<1x2x16x64xf16>
  return %0 : tensor<1x2x16x64xf16>
}
