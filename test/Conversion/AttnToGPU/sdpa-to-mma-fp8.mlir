// RUN: attn-opt %s --attn-check-gpu-support="chip=sm_90a tensor-cores=1" --attn-sdpa-to-mma="wgmma=1" --canonicalize --cse | FileCheck %s
// RUN: attn-opt %s --attn-check-gpu-support="chip=sm_90a tensor-cores=1" --attn-sdpa-to-mma="wgmma=1" --canonicalize --cse | FileCheck %s --check-prefix=COUNT

// FP8: Q, K and V are e4m3 codes through attn.dequantize. The
// dequantizes disappear into the sm_90a TMA kernel, which reads the codes
// (1-byte tensor maps, 128 x 128 boxes) and takes the scales as the
// parameters q_scale, k_scale and v_scale after the other inputs. Both
// GEMMs are e4m3 wgmma (m64n128k32). The producer warpgroup transposes
// each raw V tile into the K-major layout wgmma needs (byte permutes),
// fences it for the async proxy and arrives on the slot's V barrier
// (count 128); P is rounded to e4m3 in registers and is the register A
// operand of P·V. Q·K's scale product multiplies the softmax scale; V's
// scale divides into the final 1/l.

// CHECK-LABEL: func.func @fp8
// CHECK-SAME:    {attn.param = "query"}, %{{.*}}: tensor<f32> {attn.param = "q_scale"}, %{{.*}} {attn.param = "key"}, %{{.*}}: tensor<2xf32> {attn.param = "k_scale"}, %{{.*}} {attn.param = "value"}, %{{.*}}: tensor<f32> {attn.param = "v_scale"}
// CHECK-NOT:     attn.dequantize
// CHECK:         gpu.launch_func @fp8_kernel::@fp8_kernel
// CHECK-SAME:      threads in (%c384, %c1, %c1)
// CHECK-SAME:      dynamic_shared_memory_size %c115800_i32
// CHECK-SAME:      memref<1x2x200x128xf8E4M3FN>, %{{.*}} : memref<1x2x200x128xf8E4M3FN>, %{{.*}} : memref<1x2x200x128xf8E4M3FN>, %{{.*}} : memref<f32>, %{{.*}} : memref<2xf32>, %{{.*}} : memref<f32>, %{{.*}} : memref<1x2x200x128xbf16>

// CHECK-LABEL: gpu.func @fp8_kernel
// CHECK-SAME:    %[[Q:[a-z0-9]+]]: memref<1x2x200x128xf8E4M3FN>, %[[K:[a-z0-9]+]]: memref<1x2x200x128xf8E4M3FN>, %[[V:[a-z0-9]+]]: memref<1x2x200x128xf8E4M3FN>, %[[QS:[a-z0-9]+]]: memref<f32>, %[[KS:[a-z0-9]+]]: memref<2xf32>, %[[VS:[a-z0-9]+]]: memref<f32>
// CHECK-SAME:    {access = "read", name = "q_scale"}, {access = "read", name = "k_scale"}, {access = "read", name = "v_scale"}, {access = "readwrite", name = "out"}
// CHECK-SAME:    {access = "read", box = array<i64: 128, 128, 1, 1>, dims = array<i64: 128, 200, 2, 1>, kind = "tensor_map", name = "key_tensor_map", strides = array<i64: 128, 25600, 51200>, swizzle = 128 : i64, tensor = "key"}
// CHECK-SAME:    {access = "read", box = array<i64: 128, 128, 1, 1>, dims = array<i64: 128, 200, 2, 1>, kind = "tensor_map", name = "value_tensor_map", strides = array<i64: 128, 25600, 51200>, swizzle = 128 : i64, tensor = "value"}
// CHECK:         nvvm.mbarrier.init %{{.*}}, %c128_i32
// CHECK:         nvvm.setmaxregister decrease 32
// CHECK:         prmt.b32
// CHECK:         nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>
// CHECK:         bar.sync 4, 128;
// CHECK:         nvvm.setmaxregister increase 240
// CHECK-DAG:     memref.load %[[KS]][%block_id_y] : memref<2xf32>
// CHECK-DAG:     memref.load %[[QS]][] : memref<f32>
// CHECK:         wgmma.mma_async.sync.aligned.m64n128k32.f32.e4m3.e4m3 {{.*}}, $64, $65, p, 1, 1;
// CHECK:         cvt.rn.satfinite.e4m3x2.f32
// CHECK:         wgmma.mma_async.sync.aligned.m64n128k32.f32.e4m3.e4m3 {{.*}}, {$64, $65, $66, $67}, $68, p, 1, 1;
// V's scale is read by the epilogue (not kept through the key loop).
// CHECK:         memref.load %[[VS]][] : memref<f32>
// CHECK:         arith.divf

// No f16 wgmma: S = Q·Kᵀ is Dqk / 32 = 4 instructions and P·V 128 / 32 = 4
// per key tile, each twice (the overlapped loop peels S of the first tile
// and P·V of the last).
// COUNT-LABEL: gpu.func @fp8_kernel
// COUNT-NOT:   .f16.f16
// COUNT-COUNT-16: wgmma.mma_async.sync.aligned.m64n128k32.f32.e4m3.e4m3
// COUNT-NOT:   wgmma.mma_async
// COUNT-LABEL: gpu.func @gqa_kernel
// COUNT-LABEL: gpu.func @packed_kernel
func.func @fp8(%q8: tensor<1x2x200x128xf8E4M3FN>, %qs: tensor<f32>, %k8: tensor<1x2x200x128xf8E4M3FN>, %ks: tensor<2xf32>, %v8: tensor<1x2x200x128xf8E4M3FN>, %vs: tensor<f32>) -> tensor<1x2x200x128xbf16> {
  %q = attn.dequantize %q8, %qs {quant = #attn.quant<fp8_e4m3, per_tensor>} : tensor<1x2x200x128xf8E4M3FN>, tensor<f32> -> tensor<1x2x200x128xbf16>
  %k = attn.dequantize %k8, %ks {quant = #attn.quant<fp8_e4m3, per_head, axis = 1>} : tensor<1x2x200x128xf8E4M3FN>, tensor<2xf32> -> tensor<1x2x200x128xbf16>
  %v = attn.dequantize %v8, %vs {quant = #attn.quant<fp8_e4m3, per_tensor>} : tensor<1x2x200x128xf8E4M3FN>, tensor<f32> -> tensor<1x2x200x128xbf16>
  %o = attn.sdpa %q, %k, %v {mask = #attn.mask<causal = true>} : tensor<1x2x200x128xbf16>, tensor<1x2x200x128xbf16>, tensor<1x2x200x128xbf16> -> tensor<1x2x200x128xbf16>
  return %o : tensor<1x2x200x128xbf16>
}

// GQA 4:2: per-head scales of K and V are read at the KV head (query head
// / 2), Q's at the query head.

// CHECK-LABEL: gpu.func @gqa_kernel
// CHECK-SAME:    %[[QS:[a-z0-9]+]]: memref<4xf32>, %[[KS:[a-z0-9]+]]: memref<2xf32>, %[[VS:[a-z0-9]+]]: memref<2xf32>
// CHECK:         %[[KVH:.*]] = arith.divui %block_id_y, %c2 : index
// CHECK-DAG:     memref.load %[[KS]][%[[KVH]]] : memref<2xf32>
// CHECK-DAG:     memref.load %[[QS]][%block_id_y] : memref<4xf32>
// CHECK-DAG:     memref.load %[[VS]][%[[KVH]]] : memref<2xf32>
func.func @gqa(%q8: tensor<1x4x64x128xf8E4M3FN>, %qs: tensor<4xf32>, %k8: tensor<1x2x64x128xf8E4M3FN>, %ks: tensor<2xf32>, %v8: tensor<1x2x64x128xf8E4M3FN>, %vs: tensor<2xf32>) -> tensor<1x4x64x128xf16> {
  %q = attn.dequantize %q8, %qs {quant = #attn.quant<fp8_e4m3, per_head, axis = 1>} : tensor<1x4x64x128xf8E4M3FN>, tensor<4xf32> -> tensor<1x4x64x128xf16>
  %k = attn.dequantize %k8, %ks {quant = #attn.quant<fp8_e4m3, per_head, axis = 1>} : tensor<1x2x64x128xf8E4M3FN>, tensor<2xf32> -> tensor<1x2x64x128xf16>
  %v = attn.dequantize %v8, %vs {quant = #attn.quant<fp8_e4m3, per_head, axis = 1>} : tensor<1x2x64x128xf8E4M3FN>, tensor<2xf32> -> tensor<1x2x64x128xf16>
  %o = attn.sdpa %q, %k, %v : tensor<1x4x64x128xf16>, tensor<1x2x64x128xf16>, tensor<1x2x64x128xf16> -> tensor<1x4x64x128xf16>
  return %o : tensor<1x4x64x128xf16>
}

// Varlen: the codes are packed tokens [T, H, D]; their tensor maps are
// [1][T][H][D] with boxes of one head x 128 tokens, and the output leaves
// by 16-byte stores (no output map: a box would cross into the next
// sequence's rows).

// CHECK-LABEL: gpu.func @packed_kernel
// CHECK-SAME:    {access = "read", box = array<i64: 128, 1, 128, 1>, dims = array<i64: 128, 2, 300, 1>, kind = "tensor_map", name = "query_tensor_map", strides = array<i64: 128, 256, 76800>, swizzle = 128 : i64, tensor = "query"}
// CHECK-NOT:     out_tensor_map
// CHECK-SAME:    attn.tensor_map_args = array<i64: 9, 10, 11>
func.func @packed(%q8: tensor<300x2x128xf8E4M3FN>, %qs: tensor<f32>, %k8: tensor<300x2x128xf8E4M3FN>, %ks: tensor<f32>, %v8: tensor<300x2x128xf8E4M3FN>, %vs: tensor<2xf32>, %cq: tensor<3xi32>, %ck: tensor<3xi32>) -> tensor<300x2x128xf16> {
  %q = attn.dequantize %q8, %qs {quant = #attn.quant<fp8_e4m3, per_tensor>} : tensor<300x2x128xf8E4M3FN>, tensor<f32> -> tensor<300x2x128xf16>
  %k = attn.dequantize %k8, %ks {quant = #attn.quant<fp8_e4m3, per_tensor>} : tensor<300x2x128xf8E4M3FN>, tensor<f32> -> tensor<300x2x128xf16>
  %v = attn.dequantize %v8, %vs {quant = #attn.quant<fp8_e4m3, per_head, axis = 1>} : tensor<300x2x128xf8E4M3FN>, tensor<2xf32> -> tensor<300x2x128xf16>
  %o = attn.sdpa %q, %k, %v cu_seqlens(%cq, %ck : tensor<3xi32>, tensor<3xi32>) {mask = #attn.mask<causal = true>} : tensor<300x2x128xf16>, tensor<300x2x128xf16>, tensor<300x2x128xf16> -> tensor<300x2x128xf16>
  return %o : tensor<300x2x128xf16>
}

// Head dimension 64: rows of 64 bytes, read as boxes of 128 (the half past
// the tensor's last column is zero-filled by TMA), so the tiles keep
// 128-byte rows and their swizzle: S = Q·Kᵀ is 64 / 32 = 2 m64n128k32 per
// key tile, P·V 128 / 32 = 4 m64n64k32. Each TMA transaction counts the
// whole box (128 rows x 128 bytes); the transposed V tile is 64 rows of
// 128 keys. Shared memory: 1024 + Q 16 KiB + 2 slots x (K 16 KiB + V 8 KiB
// + raw V 16 KiB) + 11 mbarriers.

// CHECK-LABEL: gpu.func @d64_kernel
// CHECK-SAME:    shared_memory_bytes = 99416
// CHECK-SAME:    {access = "read", box = array<i64: 128, 128, 1, 1>, dims = array<i64: 64, 100, 2, 1>, kind = "tensor_map", name = "query_tensor_map", strides = array<i64: 64, 6400, 12800>, swizzle = 128 : i64, tensor = "query"}
// CHECK:         nvvm.mbarrier.arrive.expect_tx %{{.*}}, %c16384_i32
// COUNT-LABEL: gpu.func @d64_kernel
// COUNT-COUNT-4: wgmma.mma_async.sync.aligned.m64n128k32.f32.e4m3.e4m3
// COUNT-COUNT-8: wgmma.mma_async.sync.aligned.m64n64k32.f32.e4m3.e4m3
// COUNT-NOT:   wgmma.mma_async
func.func @d64(%q8: tensor<1x2x100x64xf8E4M3FN>, %qs: tensor<f32>, %k8: tensor<1x2x100x64xf8E4M3FN>, %ks: tensor<f32>, %v8: tensor<1x2x100x64xf8E4M3FN>, %vs: tensor<f32>) -> tensor<1x2x100x64xf16> {
  %q = attn.dequantize %q8, %qs {quant = #attn.quant<fp8_e4m3, per_tensor>} : tensor<1x2x100x64xf8E4M3FN>, tensor<f32> -> tensor<1x2x100x64xf16>
  %k = attn.dequantize %k8, %ks {quant = #attn.quant<fp8_e4m3, per_tensor>} : tensor<1x2x100x64xf8E4M3FN>, tensor<f32> -> tensor<1x2x100x64xf16>
  %v = attn.dequantize %v8, %vs {quant = #attn.quant<fp8_e4m3, per_tensor>} : tensor<1x2x100x64xf8E4M3FN>, tensor<f32> -> tensor<1x2x100x64xf16>
  %o = attn.sdpa %q, %k, %v {mask = #attn.mask<causal = true>} : tensor<1x2x100x64xf16>, tensor<1x2x100x64xf16>, tensor<1x2x100x64xf16> -> tensor<1x2x100x64xf16>
  return %o : tensor<1x2x100x64xf16>
}

// Head dimensions 256 (Q, K) and 64 (V): two boxes per Q and K row; S is
// 256 / 32 = 8 m64n128k32 per key tile.

// COUNT-LABEL: gpu.func @d256_kernel
// COUNT-COUNT-16: wgmma.mma_async.sync.aligned.m64n128k32.f32.e4m3.e4m3
// COUNT-COUNT-8: wgmma.mma_async.sync.aligned.m64n64k32.f32.e4m3.e4m3
// COUNT-NOT:   wgmma.mma_async
func.func @d256(%q8: tensor<1x2x200x256xf8E4M3FN>, %qs: tensor<f32>, %k8: tensor<1x2x300x256xf8E4M3FN>, %ks: tensor<f32>, %v8: tensor<1x2x300x64xf8E4M3FN>, %vs: tensor<f32>) -> tensor<1x2x200x64xbf16> {
  %q = attn.dequantize %q8, %qs {quant = #attn.quant<fp8_e4m3, per_tensor>} : tensor<1x2x200x256xf8E4M3FN>, tensor<f32> -> tensor<1x2x200x256xbf16>
  %k = attn.dequantize %k8, %ks {quant = #attn.quant<fp8_e4m3, per_tensor>} : tensor<1x2x300x256xf8E4M3FN>, tensor<f32> -> tensor<1x2x300x256xbf16>
  %v = attn.dequantize %v8, %vs {quant = #attn.quant<fp8_e4m3, per_tensor>} : tensor<1x2x300x64xf8E4M3FN>, tensor<f32> -> tensor<1x2x300x64xbf16>
  %o = attn.sdpa %q, %k, %v : tensor<1x2x200x256xbf16>, tensor<1x2x300x256xbf16>, tensor<1x2x300x64xbf16> -> tensor<1x2x200x64xbf16>
  return %o : tensor<1x2x200x64xbf16>
}

// Decode shape (one query, GQA 8:2, 1024 keys in 8 tiles of 128): the
// decode form of the FP8 kernel. The CTAs split the keys (grid x, the
// split count), take the query heads of one KV head as their rows (a Q box
// of 1 query x 4 heads) and write f32 partial outputs (V's scale applied)
// and lse for the combine kernel. Per-head Q scales are read per row (the
// rows are different query heads).
// CHECK-LABEL: gpu.func @decode_kernel
// CHECK-SAME:    %[[QS:[a-z0-9]+]]: memref<8xf32>, %{{[a-z0-9]+}}: memref<f32>, %{{[a-z0-9]+}}: memref<2xf32>, %{{[a-z0-9]+}}: memref<1x8x1x8x128xf32>, %{{[a-z0-9]+}}: memref<1x8x1x8xf32>
// CHECK-SAME:    grid = array<i64: 8, 2, 1>
// CHECK-SAME:    box = array<i64: 128, 1, 4, 1>, dims = array<i64: 128, 1, 8, 1>, kind = "tensor_map", name = "query_tensor_map"
// CHECK-COUNT-2: memref.load %[[QS]]
// CHECK-LABEL: gpu.func @decode_kernel_combine
// COUNT-LABEL: gpu.func @decode_kernel
// COUNT-COUNT-16: wgmma.mma_async.sync.aligned.m64n128k32.f32.e4m3.e4m3
// COUNT-NOT:   wgmma.mma_async
func.func @decode(%q8: tensor<1x8x1x128xf8E4M3FN>, %qs: tensor<8xf32>, %k8: tensor<1x2x1024x128xf8E4M3FN>, %ks: tensor<f32>, %v8: tensor<1x2x1024x128xf8E4M3FN>, %vs: tensor<2xf32>) -> tensor<1x8x1x128xf16> {
  %q = attn.dequantize %q8, %qs {quant = #attn.quant<fp8_e4m3, per_head, axis = 1>} : tensor<1x8x1x128xf8E4M3FN>, tensor<8xf32> -> tensor<1x8x1x128xf16>
  %k = attn.dequantize %k8, %ks {quant = #attn.quant<fp8_e4m3, per_tensor>} : tensor<1x2x1024x128xf8E4M3FN>, tensor<f32> -> tensor<1x2x1024x128xf16>
  %v = attn.dequantize %v8, %vs {quant = #attn.quant<fp8_e4m3, per_head, axis = 1>} : tensor<1x2x1024x128xf8E4M3FN>, tensor<2xf32> -> tensor<1x2x1024x128xf16>
  %o = attn.sdpa %q, %k, %v : tensor<1x8x1x128xf16>, tensor<1x2x1024x128xf16>, tensor<1x2x1024x128xf16> -> tensor<1x8x1x128xf16>
  return %o : tensor<1x8x1x128xf16>
}

// The same at head dimension 256: the decode form, with two 128-byte boxes
// per Q and K row (S = Q·Kᵀ is 8 m64n128k32 per key tile, P·V 4
// m64n256k32; each twice, in the masked and the unmasked tile's branch). Shared memory: 1024 + Q 16 KiB (64 rows) + 2 slots
// x (K, V and raw V, 32 KiB each) + 11 mbarriers, against 230,488 bytes for
// the prefill kernel's 128-row Q tile.
// CHECK-LABEL: gpu.func @decode_d256_kernel
// CHECK-SAME:    %{{[a-z0-9]+}}: memref<1x8x1x8x256xf32>, %{{[a-z0-9]+}}: memref<1x8x1x8xf32>
// CHECK-SAME:    grid = array<i64: 8, 2, 1>
// CHECK-SAME:    shared_memory_bytes = 214104
// CHECK-SAME:    box = array<i64: 128, 1, 4, 1>, dims = array<i64: 256, 1, 8, 1>, kind = "tensor_map", name = "query_tensor_map"
// CHECK-LABEL: gpu.func @decode_d256_kernel_combine
// COUNT-LABEL: gpu.func @decode_d256_kernel
// COUNT-COUNT-16: wgmma.mma_async.sync.aligned.m64n128k32.f32.e4m3.e4m3
// COUNT-COUNT-8: wgmma.mma_async.sync.aligned.m64n256k32.f32.e4m3.e4m3
// COUNT-NOT:   wgmma.mma_async
func.func @decode_d256(%q8: tensor<1x8x1x256xf8E4M3FN>, %qs: tensor<8xf32>, %k8: tensor<1x2x1024x256xf8E4M3FN>, %ks: tensor<f32>, %v8: tensor<1x2x1024x256xf8E4M3FN>, %vs: tensor<2xf32>) -> tensor<1x8x1x256xbf16> {
  %q = attn.dequantize %q8, %qs {quant = #attn.quant<fp8_e4m3, per_head, axis = 1>} : tensor<1x8x1x256xf8E4M3FN>, tensor<8xf32> -> tensor<1x8x1x256xbf16>
  %k = attn.dequantize %k8, %ks {quant = #attn.quant<fp8_e4m3, per_tensor>} : tensor<1x2x1024x256xf8E4M3FN>, tensor<f32> -> tensor<1x2x1024x256xbf16>
  %v = attn.dequantize %v8, %vs {quant = #attn.quant<fp8_e4m3, per_head, axis = 1>} : tensor<1x2x1024x256xf8E4M3FN>, tensor<2xf32> -> tensor<1x2x1024x256xbf16>
  %o = attn.sdpa %q, %k, %v : tensor<1x8x1x256xbf16>, tensor<1x2x1024x256xbf16>, tensor<1x2x1024x256xbf16> -> tensor<1x8x1x256xbf16>
  return %o : tensor<1x8x1x256xbf16>
}
