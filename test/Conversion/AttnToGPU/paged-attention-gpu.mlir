// RUN: attn-opt %s --split-input-file --attn-check-gpu-support="chip=sm_80 tensor-cores=1" --verify-diagnostics | FileCheck %s --check-prefix=NAMES
// RUN: attn-opt %s --split-input-file --attn-check-gpu-support="chip=sm_80 tensor-cores=1" --attn-sdpa-to-mma --canonicalize --cse --verify-diagnostics | FileCheck %s
// RUN: not attn-opt %s --split-input-file --attn-check-gpu-support="chip=sm_80 tensor-cores=0" 2>&1 | FileCheck %s --check-prefix=SIMT

// attn.paged_attention on the tensor-core kernel. The parameters are the
// op's operands (query, k_cache, v_cache, block_table, context_lens) and
// out. Key j of sequence b is slot j % 16 of block block_table[b, j / 16].
// Threads 0-63 write the pool row of each key of the next tile into a
// double-buffered table in shared memory (-1 when the key is absent: past
// the context, the table, or an id outside [0, 32)); the copies read it
// and index the pools viewed as [rows][D] (zero-filling absent keys), and
// the mask, which runs on every tile, hides absent keys. The context
// length bounds the keys and places the bottom-right diagonal. One query
// per sequence: the decode form (split-KV, query heads of a KV head in one
// CTA, a combine kernel; 4 query heads, one m-tile: the warps split each
// key tile, with the K and V tiles in one buffer).

// NAMES-LABEL: func.func @decode(
// NAMES-SAME: {attn.param = "query"}
// NAMES-SAME: {attn.param = "k_cache"}
// NAMES-SAME: {attn.param = "v_cache"}
// NAMES-SAME: {attn.param = "block_table"}
// NAMES-SAME: {attn.param = "context_lens"}
// NAMES-SAME: -> (tensor<2x8x1x64xf16> {attn.param = "out"})

// CHECK-LABEL: func.func @decode(
// CHECK:         gpu.launch_func @decode_kernel::@decode_kernel blocks in (%c5, %c2, %c2) threads in (%c128, %c1, %c1)
// CHECK:         gpu.launch_func @decode_kernel_combine::@decode_kernel_combine
// CHECK-LABEL: gpu.func @decode_kernel(
// CHECK-SAME:    %[[Q:[a-z0-9]+]]: memref<2x8x1x64xf16>, %[[KC:[a-z0-9]+]]: memref<32x16x2x64xf16>, %[[VC:[a-z0-9]+]]: memref<32x16x2x64xf16>, %[[T:[a-z0-9]+]]: memref<2x20xi32>, %[[L:[a-z0-9]+]]: memref<2xi32>
// CHECK-SAME:    workgroup(%{{[a-z0-9]+}} : memref<16384xi8, #gpu.address_space<workgroup>>, %[[ROWS:[a-z0-9]+]] : memref<2x64xi32, #gpu.address_space<workgroup>>)
// CHECK:         memref.load %[[L]]
// CHECK:         %[[KROWS:.*]] = memref.collapse_shape %[[KC]] {{\[\[}}0, 1, 2], [3]] : memref<32x16x2x64xf16> into memref<1024x64xf16>
// CHECK:         %[[VROWS:.*]] = memref.collapse_shape %[[VC]]
// CHECK:         scf.if
// CHECK:           memref.load %[[T]]
// CHECK:           memref.store %{{.*}}, %[[ROWS]][%c0, %thread_id_x]
// CHECK:         gpu.barrier
// CHECK:         memref.load %[[ROWS]][%c0,
// CHECK:         nvgpu.device_async_copy %[[KROWS]][{{.*}}], {{.*}}, 8, %{{.*}} {bypassL1}
// CHECK:         scf.for
// CHECK:           gpu.barrier
// CHECK:           nvgpu.device_async_copy %[[VROWS]]
// CHECK:           scf.if
// CHECK:             memref.load %[[T]]
// CHECK:             memref.store %{{.*}}, %[[ROWS]]
// CHECK:           nvvm.mma.sync
// CHECK:           memref.load %[[ROWS]]
// CHECK:           gpu.barrier
// CHECK:           nvgpu.device_async_copy %[[KROWS]]
func.func @decode(%q: tensor<2x8x1x64xf16>, %kc: tensor<32x16x2x64xf16>, %vc: tensor<32x16x2x64xf16>, %t: tensor<2x20xi32>, %l: tensor<2xi32>) -> tensor<2x8x1x64xf16> {
  %o = attn.paged_attention %q, %kc, %vc, %t, %l : tensor<2x8x1x64xf16>, tensor<32x16x2x64xf16>, tensor<32x16x2x64xf16>, tensor<2x20xi32>, tensor<2xi32> -> tensor<2x8x1x64xf16>
  return %o : tensor<2x8x1x64xf16>
}

// -----

// HND pools: [block][head][slot][d]; row = (id * Hkv + head) * 16 + slot.
// 70 queries: the prefill form.
// CHECK-LABEL: gpu.func @hnd_kernel(
// CHECK-SAME:    %{{.*}}: memref<4x2x16x128xbf16>
// CHECK:         memref.load %arg3
// CHECK:         %[[H:.*]] = arith.muli %{{.*}}, %c2 : index
// CHECK:         %[[HH:.*]] = arith.addi %[[H]], %{{.*}} : index
// CHECK:         %[[S:.*]] = arith.muli %[[HH]], %c16 : index
// CHECK:         arith.addi %[[S]], %{{.*}} : index
func.func @hnd(%q: tensor<1x2x70x128xbf16>, %kc: tensor<4x2x16x128xbf16>, %vc: tensor<4x2x16x128xbf16>, %t: tensor<1x4xi32>, %l: tensor<1xi32>) -> tensor<1x2x70x128xbf16> {
  %o = attn.paged_attention %q, %kc, %vc, %t, %l {cache_layout = #attn<cache_layout hnd>, mask = #attn.mask<causal = true, align = bottom_right>} : tensor<1x2x70x128xbf16>, tensor<4x2x16x128xbf16>, tensor<4x2x16x128xbf16>, tensor<1x4xi32>, tensor<1xi32> -> tensor<1x2x70x128xbf16>
  return %o : tensor<1x2x70x128xbf16>
}

// -----

// Quantized pools: the raw codes are copied (16 per cp.async) into a
// staging buffer (K and V in turn), then dequantized, (code - zero point) *
// scale (here the KV head's scale), into the f16 tile the MMAs read,
// before a barrier. The K and V tiles share one buffer with the Q tile,
// which passes through it first (16-byte cp.async, ldmatrix).
// CHECK-LABEL: gpu.func @int8_kernel(
// CHECK-SAME:    %[[KS:[a-z0-9]+]]: memref<2xf32>, %[[VS:[a-z0-9]+]]: memref<2xf32>
// CHECK-SAME:    workgroup(%{{[a-z0-9]+}} : memref<16384xi8, #gpu.address_space<workgroup>>, %[[KST:[a-z0-9]+]] : memref<64x64xi8, #gpu.address_space<workgroup>>, %{{[a-z0-9]+}} : memref<2x64xi32, #gpu.address_space<workgroup>>)
// CHECK:         nvgpu.ldmatrix
// CHECK:         nvgpu.device_async_copy %{{.*}}, %[[KST]][%{{.*}}], 16, %{{.*}} {bypassL1}
// CHECK:         scf.for
// CHECK:           vector.load %[[KST]]{{.*}} : memref<64x64xi8, #gpu.address_space<workgroup>>, vector<16xi8>
// CHECK:           memref.load %[[KS]][%block_id_y]
// CHECK:           arith.sitofp
// CHECK:           arith.mulf
// CHECK:           vector.store %{{.*}} : memref<64x64xf16, #gpu.address_space<workgroup>>, vector<8xf16>
// CHECK:           gpu.barrier
// CHECK:           nvvm.mma.sync
func.func @int8(%q: tensor<1x2x1x64xf16>, %kc: tensor<4x16x2x64xi8>, %vc: tensor<4x16x2x64xi8>, %t: tensor<1x4xi32>, %l: tensor<1xi32>, %ks: tensor<2xf32>, %vs: tensor<2xf32>) -> tensor<1x2x1x64xf16> {
  %o = attn.paged_attention %q, %kc, %vc, %t, %l k_scale(%ks : tensor<2xf32>) v_scale(%vs : tensor<2xf32>) {kv_quant = #attn.quant<int8_sym, per_head, axis = 2>} : tensor<1x2x1x64xf16>, tensor<4x16x2x64xi8>, tensor<4x16x2x64xi8>, tensor<1x4xi32>, tensor<1xi32> -> tensor<1x2x1x64xf16>
  return %o : tensor<1x2x1x64xf16>
}

// -----

// The tensor-core kernel computes in f16/bf16: an f32 query is not taken.
func.func @fp8_f32(%q: tensor<1x2x1x64xf32>, %kc: tensor<4x16x2x64xf8E4M3FN>, %vc: tensor<4x16x2x64xf8E4M3FN>, %t: tensor<1x4xi32>, %l: tensor<1xi32>, %ks: tensor<1xf32>, %vs: tensor<1xf32>) -> tensor<1x2x1x64xf32> {
  // expected-error @+1 {{which does not take this op: element type is not f16 or bf16}}
  %o = attn.paged_attention %q, %kc, %vc, %t, %l k_scale(%ks : tensor<1xf32>) v_scale(%vs : tensor<1xf32>) {kv_quant = #attn.quant<fp8_e4m3, per_tensor>} : tensor<1x2x1x64xf32>, tensor<4x16x2x64xf8E4M3FN>, tensor<4x16x2x64xf8E4M3FN>, tensor<1x4xi32>, tensor<1xi32> -> tensor<1x2x1x64xf32>
  return %o : tensor<1x2x1x64xf32>
}

// -----

func.func @d32(%q: tensor<1x2x1x32xf16>, %kc: tensor<4x16x2x32xf16>, %vc: tensor<4x16x2x32xf16>, %t: tensor<1x4xi32>, %l: tensor<1xi32>) -> tensor<1x2x1x32xf16> {
  // expected-error @+1 {{which does not take this op: head dimensions are not 64 or 128}}
  %o = attn.paged_attention %q, %kc, %vc, %t, %l : tensor<1x2x1x32xf16>, tensor<4x16x2x32xf16>, tensor<4x16x2x32xf16>, tensor<1x4xi32>, tensor<1xi32> -> tensor<1x2x1x32xf16>
  return %o : tensor<1x2x1x32xf16>
}

// SIMT: {{paged attention is implemented only by the tensor-core kernel, and the SIMT kernel was requested}}

// -----

// attn.rope on the query is fused into the Q load: the kernel reads the
// rope's input as `query`, its offsets as `q_offsets`, and rotates each
// row's pairs in f32 (GPT-J: a pair is two adjacent features).
// NAMES-LABEL: func.func @rope_q(
// NAMES-SAME: {attn.param = "query"}
// NAMES-SAME: %{{.*}}: tensor<1xi32> {attn.param = "q_offsets"})
// CHECK-LABEL: func.func @rope_q(
// CHECK-NOT:     attn.rope
// CHECK-LABEL: gpu.module @rope_q_kernel
// CHECK:         memref.global "private" constant @rope_inv_freq : memref<32xf32>
// CHECK:         gpu.func @rope_q_kernel(
// CHECK-SAME:    %[[OFF:[a-z0-9]+]]: memref<1xi32>, %{{[a-z0-9]+}}: memref<1x2x1x5x64xf32>
// CHECK:         vector.load %arg0
// CHECK:         memref.load %[[OFF]]
// CHECK:         memref.get_global @rope_inv_freq
// CHECK:         math.roundeven %{{.*}} : f64
// CHECK:         math.fma
// CHECK:         arith.truncf %{{.*}} : f64 to f32
// CHECK:         scf.for
func.func @rope_q(%q: tensor<1x2x1x64xf16>, %kc: tensor<32x16x2x64xf16>, %vc: tensor<32x16x2x64xf16>, %t: tensor<1x20xi32>, %l: tensor<1xi32>, %off: tensor<1xi32>) -> tensor<1x2x1x64xf16> {
  %qr = attn.rope %q offsets(%off : tensor<1xi32>) {style = #attn<rope_style gptj>} : tensor<1x2x1x64xf16> -> tensor<1x2x1x64xf16>
  %o = attn.paged_attention %qr, %kc, %vc, %t, %l : tensor<1x2x1x64xf16>, tensor<32x16x2x64xf16>, tensor<32x16x2x64xf16>, tensor<1x20xi32>, tensor<1xi32> -> tensor<1x2x1x64xf16>
  return %o : tensor<1x2x1x64xf16>
}
