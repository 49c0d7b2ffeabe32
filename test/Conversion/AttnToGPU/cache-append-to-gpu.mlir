// RUN: attn-opt %s --split-input-file --attn-check-gpu-support="chip=sm_80 tensor-cores=1" --attn-cache-append-to-gpu --canonicalize --cse --verify-diagnostics | FileCheck %s
// RUN: attn-opt %s --split-input-file --attn-check-gpu-support="chip=sm_80 tensor-cores=1" --verify-diagnostics | FileCheck %s --check-prefix=NAMES

// attn.kv_cache_append: one thread per 16-byte chunk of each new row of K
// (8 chunks of 8 f16 here) then V; token t of sequence b goes to position
// cache_lens[b] + t of its block table (NHD: [id, slot, head, d]), dropped
// past the table or for an id outside [0, 32). The pools are written in
// place: the launch takes the arguments' buffers, the results are those
// buffers, and the function no longer returns them.

// NAMES-LABEL: func.func @append(
// NAMES-SAME: {attn.param = "k_cache"}, %{{.*}}: tensor<32x16x2x64xf16> {attn.param = "v_cache"}, %{{.*}}: tensor<2x1x2x64xf16> {attn.param = "k_new"}, %{{.*}}: tensor<2x1x2x64xf16> {attn.param = "v_new"}, %{{.*}}: tensor<2x20xi32> {attn.param = "block_table"}, %{{.*}}: tensor<2xi32> {attn.param = "cache_lens"})
// NAMES-SAME: -> (tensor<32x16x2x64xf16> {attn.param = "k_cache_out"}, tensor<32x16x2x64xf16> {attn.param = "v_cache_out"})

// CHECK-LABEL: func.func @append(
// CHECK-SAME:    ) {
// CHECK:         %[[K:.*]] = bufferization.to_buffer %arg0 : tensor<32x16x2x64xf16> to memref<32x16x2x64xf16>
// CHECK:         %[[V:.*]] = bufferization.to_buffer %arg1 : tensor<32x16x2x64xf16> to memref<32x16x2x64xf16>
// CHECK:         gpu.launch_func @append_append::@append_append blocks in (%c1, %c1, %c1) threads in (%c256, %c1, %c1) args(%[[K]] : memref<32x16x2x64xf16>, %[[V]] : memref<32x16x2x64xf16>
// CHECK:         return{{$}}
// CHECK-LABEL: gpu.func @append_append(
// CHECK-SAME:    attn.launch = {block = array<i64: 256, 1, 1>, grid = array<i64: 1, 1, 1>, shared_memory_bytes = 0 : i64}
// CHECK-SAME:    attn.params = [{access = "readwrite", name = "k_cache"}, {access = "readwrite", name = "v_cache"}, {access = "read", name = "k_new"}
// CHECK:         %[[IN:.*]] = arith.cmpi ult, %{{.*}}, %c64 : index
// CHECK:         scf.if %[[IN]]
// CHECK:           memref.load %arg5
// CHECK:           memref.load %arg4
// CHECK:           scf.if
// CHECK:             %[[ISK:.*]] = arith.cmpi ult, %{{.*}}, %c8 : index
// CHECK:             scf.if %[[ISK]] {
// CHECK:               %[[X:.*]] = vector.load %arg2[{{.*}}] : memref<2x1x2x64xf16>, vector<8xf16>
// CHECK:               vector.store %[[X]], %arg0[{{.*}}] : memref<32x16x2x64xf16>, vector<8xf16>
// CHECK:             } else {
// CHECK:               %[[Y:.*]] = vector.load %arg3[{{.*}}] : memref<2x1x2x64xf16>, vector<8xf16>
// CHECK:               vector.store %[[Y]], %arg1[{{.*}}] : memref<32x16x2x64xf16>, vector<8xf16>
func.func @append(%kc: tensor<32x16x2x64xf16>, %vc: tensor<32x16x2x64xf16>, %k: tensor<2x1x2x64xf16>, %v: tensor<2x1x2x64xf16>, %t: tensor<2x20xi32>, %lens: tensor<2xi32>) -> (tensor<32x16x2x64xf16>, tensor<32x16x2x64xf16>) {
  %kc2, %vc2 = attn.kv_cache_append %kc, %vc, %k, %v, %t, %lens : tensor<32x16x2x64xf16>, tensor<32x16x2x64xf16>, tensor<2x1x2x64xf16>, tensor<2x1x2x64xf16>, tensor<2x20xi32>, tensor<2xi32>
  return %kc2, %vc2 : tensor<32x16x2x64xf16>, tensor<32x16x2x64xf16>
}

// -----

// A decode step: append, then attention over the appended pools, which are
// the append's parameters (the same buffers).
// CHECK-LABEL: func.func @step(
// CHECK:         gpu.launch_func @step_append::@step_append
// CHECK-NOT:     memref.copy
// CHECK:         bufferization.to_tensor
// CHECK:         attn.paged_attention
// CHECK:         return %{{.*}} : tensor<2x8x1x64xf16>
func.func @step(%q: tensor<2x8x1x64xf16>, %kc: tensor<32x16x2x64xf16>, %vc: tensor<32x16x2x64xf16>, %k: tensor<2x4x2x64xf16>, %v: tensor<2x4x2x64xf16>, %t: tensor<2x20xi32>, %lens: tensor<2xi32>, %n: tensor<2xi32>, %ctx: tensor<2xi32>) -> (tensor<2x8x1x64xf16>, tensor<32x16x2x64xf16>, tensor<32x16x2x64xf16>) {
  %kc2, %vc2 = attn.kv_cache_append %kc, %vc, %k, %v, %t, %lens new_lens(%n : tensor<2xi32>) : tensor<32x16x2x64xf16>, tensor<32x16x2x64xf16>, tensor<2x4x2x64xf16>, tensor<2x4x2x64xf16>, tensor<2x20xi32>, tensor<2xi32>
  %o = attn.paged_attention %q, %kc2, %vc2, %t, %ctx : tensor<2x8x1x64xf16>, tensor<32x16x2x64xf16>, tensor<32x16x2x64xf16>, tensor<2x20xi32>, tensor<2xi32> -> tensor<2x8x1x64xf16>
  return %o, %kc2, %vc2 : tensor<2x8x1x64xf16>, tensor<32x16x2x64xf16>, tensor<32x16x2x64xf16>
}

// -----

// Kernels run in the manifest's order: appends first.
func.func @late_append(%q: tensor<1x2x1x64xf16>, %kc: tensor<4x16x2x64xf16>, %vc: tensor<4x16x2x64xf16>, %k: tensor<1x1x2x64xf16>, %t: tensor<1x4xi32>, %l: tensor<1xi32>) -> (tensor<1x2x1x64xf16>, tensor<4x16x2x64xf16>, tensor<4x16x2x64xf16>) {
  %o = attn.paged_attention %q, %kc, %vc, %t, %l : tensor<1x2x1x64xf16>, tensor<4x16x2x64xf16>, tensor<4x16x2x64xf16>, tensor<1x4xi32>, tensor<1xi32> -> tensor<1x2x1x64xf16>
  // expected-error @+1 {{'attn.kv_cache_append' op is not supported by the GPU pipeline: expected every attn.kv_cache_append of a function before its attention ops (the kernels run appends first)}}
  %kc2, %vc2 = attn.kv_cache_append %kc, %vc, %k, %k, %t, %l : tensor<4x16x2x64xf16>, tensor<4x16x2x64xf16>, tensor<1x1x2x64xf16>, tensor<1x1x2x64xf16>, tensor<1x4xi32>, tensor<1xi32>
  return %o, %kc2, %vc2 : tensor<1x2x1x64xf16>, tensor<4x16x2x64xf16>, tensor<4x16x2x64xf16>
}

// -----

// Rows must be whole 16-byte chunks.
func.func @d4(%kc: tensor<4x16x2x4xf16>, %vc: tensor<4x16x2x4xf16>, %k: tensor<1x1x2x4xf16>, %t: tensor<1x4xi32>, %l: tensor<1xi32>) -> (tensor<4x16x2x4xf16>, tensor<4x16x2x4xf16>) {
  // expected-error @+1 {{'attn.kv_cache_append' op is not supported by the GPU pipeline: head dimensions are not a multiple of 16 bytes}}
  %kc2, %vc2 = attn.kv_cache_append %kc, %vc, %k, %k, %t, %l : tensor<4x16x2x4xf16>, tensor<4x16x2x4xf16>, tensor<1x1x2x4xf16>, tensor<1x1x2x4xf16>, tensor<1x4xi32>, tensor<1xi32>
  return %kc2, %vc2 : tensor<4x16x2x4xf16>, tensor<4x16x2x4xf16>
}

// -----

// Dynamic pool and batch sizes: not for the GPU (and no size arithmetic on
// them; the fuzzer found an overflow there).
func.func @dynamic(%kc: tensor<?x16x2x64xf16>, %k: tensor<?x1x2x64xf16>, %t: tensor<?x4xi32>, %l: tensor<?xi32>) -> (tensor<?x16x2x64xf16>, tensor<?x16x2x64xf16>) {
  // expected-error @+1 {{'attn.kv_cache_append' op is not supported by the GPU pipeline: dynamic shapes}}
  %kc2, %vc2 = attn.kv_cache_append %kc, %kc, %k, %k, %t, %l : tensor<?x16x2x64xf16>, tensor<?x16x2x64xf16>, tensor<?x1x2x64xf16>, tensor<?x1x2x64xf16>, tensor<?x4xi32>, tensor<?xi32>
  return %kc2, %vc2 : tensor<?x16x2x64xf16>, tensor<?x16x2x64xf16>
}

// -----

// attn.rope on the new keys is fused: the kernel reads the rope's input as
// k_new, takes its offsets (here the cache lengths, the same argument),
// and rotates the K chunks inside the rotary dims (NeoX: each feature with
// its partner R/2 away, read from the partner chunk) with inv_freq from a
// constant table, in f32.
// NAMES-LABEL: func.func @rope(
// NAMES-SAME: %{{.*}}: tensor<2x1x2x64xf16> {attn.param = "k_new"}
// NAMES-SAME: %{{.*}}: tensor<2xi32> {attn.param = "cache_lens"}
// CHECK-LABEL: func.func @rope(
// CHECK-NOT:     attn.rope
// CHECK:         gpu.launch_func @rope_append::@rope_append
// CHECK-LABEL: gpu.module @rope_append
// CHECK:         memref.global "private" constant @rope_inv_freq : memref<32xf32> = dense<[1.000000e+00, 0.749894201
// CHECK:         gpu.func @rope_append(
// CHECK-SAME:    %{{.*}}: memref<2xi32>, %[[OFF:.*]]: memref<2xi32>) kernel
// CHECK:         arith.cmpi ult, %{{.*}}, %c64 : index
// CHECK:         memref.load %[[OFF]]
// CHECK:         memref.get_global @rope_inv_freq
// CHECK:         math.roundeven %{{.*}} : f64
// CHECK:         math.fma
// CHECK:         arith.truncf %{{.*}} : f64 to f32
func.func @rope(%kc: tensor<32x16x2x64xf16>, %vc: tensor<32x16x2x64xf16>, %k: tensor<2x1x2x64xf16>, %v: tensor<2x1x2x64xf16>, %t: tensor<2x20xi32>, %lens: tensor<2xi32>) -> (tensor<32x16x2x64xf16>, tensor<32x16x2x64xf16>) {
  %kr = attn.rope %k offsets(%lens : tensor<2xi32>) {layout = #attn<layout bshd>} : tensor<2x1x2x64xf16> -> tensor<2x1x2x64xf16>
  %kc2, %vc2 = attn.kv_cache_append %kc, %vc, %kr, %v, %t, %lens : tensor<32x16x2x64xf16>, tensor<32x16x2x64xf16>, tensor<2x1x2x64xf16>, tensor<2x1x2x64xf16>, tensor<2x20xi32>, tensor<2xi32>
  return %kc2, %vc2 : tensor<32x16x2x64xf16>, tensor<32x16x2x64xf16>
}

// -----

// The rope must feed an append's k_new in bshd.
func.func @rope_bhsd(%kc: tensor<4x16x2x64xf16>, %vc: tensor<4x16x2x64xf16>, %k: tensor<1x1x2x64xf16>, %t: tensor<1x4xi32>, %l: tensor<1xi32>) -> (tensor<4x16x2x64xf16>, tensor<4x16x2x64xf16>) {
  // expected-error @+1 {{'attn.rope' op is not supported by the GPU pipeline: attn.rope fused into a GPU kernel needs layout bshd}}
  %kr = attn.rope %k : tensor<1x1x2x64xf16> -> tensor<1x1x2x64xf16>
  %kc2, %vc2 = attn.kv_cache_append %kc, %vc, %kr, %k, %t, %l : tensor<4x16x2x64xf16>, tensor<4x16x2x64xf16>, tensor<1x1x2x64xf16>, tensor<1x1x2x64xf16>, tensor<1x4xi32>, tensor<1xi32>
  return %kc2, %vc2 : tensor<4x16x2x64xf16>, tensor<4x16x2x64xf16>
}

// -----

func.func @rope_v(%kc: tensor<4x16x2x64xf16>, %vc: tensor<4x16x2x64xf16>, %k: tensor<1x1x2x64xf16>, %t: tensor<1x4xi32>, %l: tensor<1xi32>) -> (tensor<4x16x2x64xf16>, tensor<4x16x2x64xf16>) {
  // expected-error @+1 {{'attn.rope' op is not supported by the GPU pipeline: attn.rope is fused into the kernel that reads it, so its only use must be the k_new of an attn.kv_cache_append or the query of an attn.paged_attention}}
  %vr = attn.rope %k {layout = #attn<layout bshd>} : tensor<1x1x2x64xf16> -> tensor<1x1x2x64xf16>
  // expected-error @+1 {{'attn.kv_cache_append' op is not supported by the GPU pipeline: expected operand #3 to be a function argument (a kernel parameter)}}
  %kc2, %vc2 = attn.kv_cache_append %kc, %vc, %k, %vr, %t, %l : tensor<4x16x2x64xf16>, tensor<4x16x2x64xf16>, tensor<1x1x2x64xf16>, tensor<1x1x2x64xf16>, tensor<1x4xi32>, tensor<1xi32>
  return %kc2, %vc2 : tensor<4x16x2x64xf16>, tensor<4x16x2x64xf16>
}
