// RUN: attn-opt %s --attn-check-gpu-support="chip=sm_90a" --attn-sdpa-to-mma="wgmma=1 tile-kv=32" --verify-diagnostics

// tile-kv takes the tiles the kernel's form supports (the TMA kernel: 64 or
// 128): the error is located at the attn.sdpa and names them.
func.func @bad(%q: tensor<1x2x200x64xf16>, %k: tensor<1x2x200x64xf16>, %v: tensor<1x2x200x64xf16>) -> tensor<1x2x200x64xf16> {
  // expected-error @below {{attn-sdpa-to-mma: tile-kv = 32 is not supported by its wgmma (TMA) kernel (supported here: 64, 128; 0: the kernel}}
  %0 = attn.sdpa %q, %k, %v : tensor<1x2x200x64xf16>, tensor<1x2x200x64xf16>, tensor<1x2x200x64xf16> -> tensor<1x2x200x64xf16>
  return %0 : tensor<1x2x200x64xf16>
}
