// RUN: attn-opt %s --attn-check-gpu-support="chip=sm_80 tensor-cores=1" --attn-sdpa-to-mma="warp-rows=8" --verify-diagnostics

// warp-rows takes 0 (by head dimension), 16 or 32: the error is located at
// the first attn.sdpa the pass compiles.
func.func @bad(%q: tensor<1x2x128x64xf16>, %k: tensor<1x2x128x64xf16>, %v: tensor<1x2x128x64xf16>) -> tensor<1x2x128x64xf16> {
  // expected-error @below {{attn-sdpa-to-mma: warp-rows must be 0 (auto), 16 or 32, got 8}}
  %0 = attn.sdpa %q, %k, %v : tensor<1x2x128x64xf16>, tensor<1x2x128x64xf16>, tensor<1x2x128x64xf16> -> tensor<1x2x128x64xf16>
  return %0 : tensor<1x2x128x64xf16>
}
