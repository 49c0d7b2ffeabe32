// RUN: attn-opt %s --split-input-file --attn-lower-to-gpu-kernels="kernel=simt tile-kv=32 block-size=64" | FileCheck %s --check-prefix=KERNEL
// RUN: attn-opt %s --split-input-file --attn-lower-to-gpu="chip=sm_90a format=nvvm kernel=simt tile-kv=32 block-size=64" | FileCheck %s --check-prefix=NVVM

// GQA (8 query heads, 2 KV heads), causal, 113 queries: one thread per query
// row, 2 blocks of 64 threads along x (the last guarded), heads along y,
// batches along z. Query head h reads KV head h / 4. Causal tiles are
// classified at compile time: the table of key-tile ranges per row is a
// global copied into the kernel's module.
// KERNEL-LABEL: func.func @gqa_causal
// KERNEL-SAME:    %[[Q:.*]]: memref<2x8x113x64xf16> {attn.param = "query"}, %[[K:.*]]: memref<2x2x113x64xf16> {attn.param = "key"}, %[[V:.*]]: memref<2x2x113x64xf16> {attn.param = "value"}, %[[O:.*]]: memref<2x8x113x64xf16> {attn.param = "out"}
// KERNEL-NOT:     memref.alloc
// KERNEL:         gpu.launch_func @gqa_causal_kernel::@gqa_causal_kernel blocks in (%c2{{.*}}, %c8{{.*}}, %c2{{.*}}) threads in (%c64{{.*}}, %c1{{.*}}, %c1{{.*}}) args(%[[Q]] : {{.*}}, %[[K]] : {{.*}}, %[[V]] : {{.*}}, %[[O]] : {{.*}})
// KERNEL-NEXT:    return
// KERNEL:       gpu.module @gqa_causal_kernel
// KERNEL:         memref.global "private" constant @__constant_113x4xi64
// KERNEL:         gpu.func @gqa_causal_kernel({{.*}}) kernel attributes
// KERNEL-SAME:      attn.launch = {block = array<i64: 64, 1, 1>, grid = array<i64: 2, 8, 2>, shared_memory_bytes = 0 : i64}
// KERNEL-SAME:      attn.params = [{access = "read", name = "query"}, {access = "read", name = "key"}, {access = "read", name = "value"}, {access = "readwrite", name = "out"}]
// KERNEL-NOT:       memref.alloc(
// KERNEL:           memref.alloca() {{.*}} : memref<1x32xf32>
// KERNEL:           %[[ROW:.*]] = arith.addi %{{.*}}, %thread_id_x
// KERNEL:           %[[H:.*]] = gpu.block_id y
// KERNEL:           %[[B:.*]] = gpu.block_id z
// KERNEL:           arith.cmpi ult, %[[ROW]], %c113
// KERNEL:           scf.if
// KERNEL:             %[[KVH:.*]] = arith.divsi %[[H]], %c4
// KERNEL:             memref.subview %arg0[%[[B]], %[[H]], %[[ROW]], 0] [1, 1, 1, 64]
// KERNEL:             memref.load {{.*}}[%[[ROW]], %c0{{.*}}] : memref<113x4xi64>
// KERNEL:             scf.for
// KERNEL:               memref.subview %arg1[%[[B]], %[[KVH]], {{.*}}] [1, 1, %{{.*}}, 64]
// KERNEL:               linalg.generic
// KERNEL:               math.exp2
// KERNEL:               linalg.matmul
// KERNEL:             linalg.copy {{.*}} outs(%{{.*}} : memref<1x64xf16, strided<[57856, 1], offset: ?>>)
// KERNEL:           gpu.return

// The kernel lowered to NVVM has bare-pointer parameters, thread/block ids with
// their ranges, ex2.approx for the softmax, per-thread temporaries on the stack.
// NVVM-LABEL: llvm.func @gqa_causal(
// NVVM:         gpu.launch_func @gqa_causal_kernel::@gqa_causal_kernel {{.*}} args(%{{.*}} : !llvm.ptr, %{{.*}} : !llvm.ptr, %{{.*}} : !llvm.ptr, %{{.*}} : !llvm.ptr)
// NVVM:       gpu.module @gqa_causal_kernel [#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80">]
// NVVM:         llvm.func @gqa_causal_kernel(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
// NVVM-SAME:      gpu.kernel
// NVVM-SAME:      nvvm.kernel, nvvm.maxntid = array<i32: 64, 1, 1>
// NVVM:           llvm.alloca
// NVVM:           nvvm.read.ptx.sreg.tid.x range <i32, 0, 64>
// NVVM:           nvvm.read.ptx.sreg.ctaid.x range <i32, 0, 2>
// NVVM:           nvvm.read.ptx.sreg.ctaid.y range <i32, 0, 8>
// NVVM:           nvvm.read.ptx.sreg.ctaid.z range <i32, 0, 2>
// NVVM:           llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f"
// NVVM-NOT:     math.
// NVVM-NOT:     scf.
func.func @gqa_causal(%q: tensor<2x8x113x64xf16>, %k: tensor<2x2x113x64xf16>, %v: tensor<2x2x113x64xf16>) -> tensor<2x8x113x64xf16> {
  %o = attn.sdpa %q, %k, %v {mask = #attn.mask<causal = true>} : tensor<2x8x113x64xf16>, tensor<2x2x113x64xf16>, tensor<2x2x113x64xf16> -> tensor<2x8x113x64xf16>
  return %o : tensor<2x8x113x64xf16>
}

// -----

// MQA decode with the log-sum-exp, bf16, d = 128, bshd layout, no mask. The
// unit query dimension folds away: heads run on the x threads (32 of 64
// active), batches along y. No mask: no tile table.
// KERNEL-LABEL: func.func @decode_lse
// KERNEL-SAME:    {attn.param = "out"}, %{{.*}}: memref<4x32x1xf32> {attn.param = "lse"}
// KERNEL:       gpu.func @decode_lse_kernel
// KERNEL-SAME:    grid = array<i64: 1, 4, 1>
// KERNEL-SAME:    {access = "readwrite", name = "out"}, {access = "readwrite", name = "lse"}
// KERNEL-NOT:     memref.get_global
// KERNEL:         math.log2
// NVVM-LABEL: llvm.func @decode_lse(
// NVVM:         llvm.call_intrinsic "llvm.nvvm.lg2.approx.f"
func.func @decode_lse(%q: tensor<4x1x32x128xbf16>, %k: tensor<4x4097x1x128xbf16>, %v: tensor<4x4097x1x128xbf16>) -> (tensor<4x1x32x128xbf16>, tensor<4x32x1xf32>) {
  %o:2 = attn.sdpa %q, %k, %v {layout = #attn<layout bshd>} : tensor<4x1x32x128xbf16>, tensor<4x4097x1x128xbf16>, tensor<4x4097x1x128xbf16> -> tensor<4x1x32x128xbf16>, tensor<4x32x1xf32>
  return %o#0, %o#1 : tensor<4x1x32x128xbf16>, tensor<4x32x1xf32>
}

// -----

// Sliding window with bias, ALiBi and softcap: all extra operands become
// parameters; the softcap's tanh stays a libdevice call.
// KERNEL-LABEL: func.func @window_features
// KERNEL:       gpu.func @window_features_kernel
// KERNEL-SAME:    attn.params = [{access = "read", name = "query"}, {access = "read", name = "key"}, {access = "read", name = "value"}, {access = "read", name = "bias"}, {access = "read", name = "alibi_slopes"}, {access = "readwrite", name = "out"}]
// NVVM-LABEL: llvm.func @window_features(
// NVVM:         llvm.call @__nv_tanhf
func.func @window_features(%q: tensor<1x2x17x64xf16>, %k: tensor<1x2x17x64xf16>, %v: tensor<1x2x17x64xf16>, %bias: tensor<1x1x17x17xf16>, %slopes: tensor<2xf32>) -> tensor<1x2x17x64xf16> {
  %o = attn.sdpa %q, %k, %v bias(%bias : tensor<1x1x17x17xf16>) alibi(%slopes : tensor<2xf32>) {mask = #attn.mask<causal = true, window_left = 4>, softcap = 30.0 : f32} : tensor<1x2x17x64xf16>, tensor<1x2x17x64xf16>, tensor<1x2x17x64xf16> -> tensor<1x2x17x64xf16>
  return %o : tensor<1x2x17x64xf16>
}
