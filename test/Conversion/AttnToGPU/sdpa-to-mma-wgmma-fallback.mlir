// RUN: attn-opt %s --split-input-file --attn-check-gpu-support="chip=sm_90a tensor-cores=1" --attn-sdpa-to-mma="wgmma=1 tma=0 report-fallbacks=1" --verify-diagnostics | FileCheck %s

// wgmma without TMA has no kernel at head dimension 256 (its Q fragments
// leave no registers for O); sm_90a runs mma.sync too, so the op gets that
// kernel (Q in shared memory, 4 warps; here the decode form, whose warps
// split 64-key tiles) rather than the SIMT one, with a remark saying why.

// CHECK-LABEL: gpu.func @d256_kernel(
// CHECK-SAME:    shared_memory_bytes = 73728
// CHECK:         nvvm.mma.sync
// CHECK-NOT:     wgmma.mma_async
// CHECK-LABEL: gpu.func @d256_kernel_combine(
func.func @d256(%q: tensor<1x8x1x256xbf16>, %k: tensor<1x2x600x256xbf16>, %v: tensor<1x2x600x256xbf16>) -> tensor<1x8x1x256xbf16> {
  // expected-remark @below {{uses the mma.sync kernel: head dimension 256 needs the TMA form of wgmma or mma.sync}}
  %o = attn.sdpa %q, %k, %v : tensor<1x8x1x256xbf16>, tensor<1x2x600x256xbf16>, tensor<1x2x600x256xbf16> -> tensor<1x8x1x256xbf16>
  return %o : tensor<1x8x1x256xbf16>
}

// -----

// Varlen at head dimension 256 has neither: a located error.
func.func @varlen_d256(%q: tensor<8x2x256xf16>, %k: tensor<8x2x256xf16>, %v: tensor<8x2x256xf16>, %cq: tensor<3xi32>, %ck: tensor<3xi32>) -> tensor<8x2x256xf16> {
  // expected-error @below {{has no varlen GPU kernel: head dimension 256 with varlen needs the TMA form of wgmma}}
  %o = attn.sdpa %q, %k, %v cu_seqlens(%cq, %ck : tensor<3xi32>, tensor<3xi32>) : tensor<8x2x256xf16>, tensor<8x2x256xf16>, tensor<8x2x256xf16> -> tensor<8x2x256xf16>
  return %o : tensor<8x2x256xf16>
}
