// RUN: attn-opt %s --split-input-file --verify-diagnostics --attn-check-gpu-support="chip=sm_90a tensor-cores=1" | FileCheck %s
// RUN: not attn-opt %s --split-input-file --attn-check-gpu-support="chip=sm_80 tensor-cores=1" 2>&1 | FileCheck %s --check-prefix=SM80
// RUN: not attn-opt %s --split-input-file --attn-check-gpu-support="chip=sm_90a tensor-cores=1" --attn-sdpa-to-mma="wgmma=1 tma=0" 2>&1 | FileCheck %s --check-prefix=NOTMA

// With the tensor-core kernel next (the default kernel=auto), varlen
// attn.sdpa it takes is accepted and its cu_seqlens become parameters.

// CHECK-LABEL: func.func @varlen(
// CHECK-SAME:    %{{.*}}: tensor<300x8x64xf16> {attn.param = "query"}
// CHECK-SAME:    %{{.*}}: tensor<4xi32> {attn.param = "cu_seqlens_q"}, %{{.*}}: tensor<4xi32> {attn.param = "cu_seqlens_k"})
func.func @varlen(%q: tensor<300x8x64xf16>, %k: tensor<400x2x64xf16>, %v: tensor<400x2x64xf16>, %cq: tensor<4xi32>, %ck: tensor<4xi32>) -> tensor<300x8x64xf16> {
  %o = attn.sdpa %q, %k, %v cu_seqlens(%cq, %ck : tensor<4xi32>, tensor<4xi32>) : tensor<300x8x64xf16>, tensor<400x2x64xf16>, tensor<400x2x64xf16> -> tensor<300x8x64xf16>
  return %o : tensor<300x8x64xf16>
}

// -----

// The tensor-core kernel takes head dimensions 64, 128 and 256 only.
func.func @varlen_d16(%q: tensor<8x2x16xf16>, %k: tensor<8x2x16xf16>, %v: tensor<8x2x16xf16>, %cq: tensor<3xi32>, %ck: tensor<3xi32>) -> tensor<8x2x16xf16> {
  // expected-error @+1 {{'attn.sdpa' op is not supported by the GPU pipeline: varlen (cu_seqlens) attention is implemented only by the tensor-core kernel, which does not take this op: head dimensions are not 64, 128 or 256}}
  %o = attn.sdpa %q, %k, %v cu_seqlens(%cq, %ck : tensor<3xi32>, tensor<3xi32>) : tensor<8x2x16xf16>, tensor<8x2x16xf16>, tensor<8x2x16xf16> -> tensor<8x2x16xf16>
  return %o : tensor<8x2x16xf16>
}

// -----

// Head dimension 256 needs Q in shared memory: with varlen, the TMA
// kernel (sm_90a) has it; mma.sync's (sm_80) is dense only.
// CHECK-LABEL: func.func @varlen_d256(
func.func @varlen_d256(%q: tensor<8x2x256xf16>, %k: tensor<8x2x256xf16>, %v: tensor<8x2x256xf16>, %cq: tensor<3xi32>, %ck: tensor<3xi32>) -> tensor<8x2x256xf16> {
  // SM80: error: 'attn.sdpa' op is not supported by the GPU pipeline: varlen (cu_seqlens) attention is implemented only by the tensor-core kernel, which does not take this op: head dimension 256 with varlen needs the TMA form of wgmma
  // NOTMA: error: 'attn.sdpa' op has no varlen GPU kernel: head dimension 256 with varlen needs the TMA form of wgmma
  %o = attn.sdpa %q, %k, %v cu_seqlens(%cq, %ck : tensor<3xi32>, tensor<3xi32>) : tensor<8x2x256xf16>, tensor<8x2x256xf16>, tensor<8x2x256xf16> -> tensor<8x2x256xf16>
  return %o : tensor<8x2x256xf16>
}
