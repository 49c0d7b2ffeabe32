// RUN: attn-opt %s --attn-check-gpu-support="chip=sm_90a" --attn-sdpa-to-mma="wgmma=1 tma=0" --canonicalize --cse | FileCheck %s
// RUN: attn-opt %s --attn-check-gpu-support="chip=sm_90a" --attn-sdpa-to-mma="wgmma=1 tma=0" --canonicalize --cse | FileCheck %s --check-prefix=COUNT

// sm_90a: both GEMMs are warpgroup MMAs (inline PTX: the NVVM dialect has no
// wgmma with A in registers). Q (A of S = Q·Kᵀ) and P (A of P·V) stay in
// registers; K and V are read by descriptor from one shared buffer in the
// 128-byte swizzled layout, aligned to 1024 bytes at run time; cp.async
// writes are made visible to the async proxy before the barrier; every
// wgmma operand is pinned (empty asm) before wgmma.fence so ptxas does not
// serialize the MMAs.

// CHECK-LABEL: gpu.func @whole_kernel
// CHECK-SAME:    workgroup(%[[SMEM:.*]] : memref<16896xf16, #gpu.address_space<workgroup>>)
// CHECK-SAME:    block = array<i64: 128, 1, 1>
// CHECK:         memref.extract_aligned_pointer_as_index %[[SMEM]]
// CHECK:         nvgpu.device_async_copy %arg1[{{.*}}], %[[SMEM]][{{.*}}], 8 {bypassL1}
// CHECK:         nvvm.cp.async.commit.group
// CHECK:         scf.for
// CHECK:           nvvm.cp.async.wait.group 0
// CHECK-NEXT:      nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// CHECK-NEXT:      gpu.barrier
// CHECK:           nvgpu.device_async_copy %arg2
// CHECK:           llvm.inline_asm has_side_effects "", "=f,0"
// CHECK:           nvvm.wgmma.fence.aligned
// CHECK:           llvm.inline_asm has_side_effects "{{.*}}wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16 {{.*}}, p, 1, 1, 0;
// CHECK:           nvvm.wgmma.commit.group.sync.aligned
// CHECK-NEXT:      nvvm.wgmma.wait.group.sync.aligned 0
// CHECK:           math.exp2
// CHECK:           nvvm.wgmma.fence.aligned
// CHECK:           llvm.inline_asm has_side_effects "{{.*}}wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16 {{.*}}, p, 1, 1, 1;
// CHECK:           nvvm.wgmma.commit.group.sync.aligned
// CHECK-NEXT:      nvvm.wgmma.wait.group.sync.aligned 0
// CHECK:           scf.yield

// Dqk = 128: 8 m64n64k16 for S; 64 keys: 4 m64n128k16 for P·V (transposed
// B: V is MN-major). No mma.sync, no ldmatrix.
// COUNT-LABEL: gpu.func @whole_kernel
// COUNT-NOT:   nvvm.mma.sync
// COUNT-NOT:   nvgpu.ldmatrix
// COUNT-COUNT-8: wgmma.mma_async.sync.aligned.m64n64k16
// COUNT-NOT:   wgmma.mma_async.sync.aligned.m64n64k16
// COUNT-COUNT-4: wgmma.mma_async.sync.aligned.m64n128k16
// COUNT-NOT:   wgmma.mma_async
func.func @whole(%q: tensor<1x2x64x128xf16>, %k: tensor<1x2x128x128xf16>, %v: tensor<1x2x128x128xf16>) -> tensor<1x2x64x128xf16> {
  %o = attn.sdpa %q, %k, %v : tensor<1x2x64x128xf16>, tensor<1x2x128x128xf16>, tensor<1x2x128x128xf16> -> tensor<1x2x64x128xf16>
  return %o : tensor<1x2x64x128xf16>
}
