// RUN: attn-opt %s --split-input-file --attn-check-gpu-support="chip=sm_80 tensor-cores=1" --attn-sdpa-to-mma="report-fallbacks=1 warp-rows=16" --verify-diagnostics | FileCheck %s
// RUN: attn-opt %s --split-input-file --attn-check-gpu-support="chip=sm_80 tensor-cores=1" --attn-sdpa-to-mma="warp-rows=16" --canonicalize --cse | FileCheck %s --check-prefix=COUNT
// RUN: attn-opt %s --split-input-file --attn-check-gpu-support="chip=sm_80 tensor-cores=1" --attn-sdpa-to-mma="warp-rows=16" --canonicalize --cse | FileCheck %s --check-prefix=LDSM

// The kernels with 16 query rows per warp (one m16 tile; the default at
// Dv = 128). sdpa-to-mma-rows32.mlir has the 32-row form (the default at
// Dv = 64).

// GQA with lse and a bottom-right causal mask: one CTA of 8 warps per 128
// query rows, head and batch; Q·Kᵀ and P·V on mma.sync (bf16 in, f32
// accumulate); the launch reads buffers of the arguments and writes fresh
// buffers for the results.

// CHECK-LABEL: func.func @gqa(
// CHECK-DAG:     %[[Q:.*]] = bufferization.to_buffer %arg0 read_only : tensor<2x8x100x64xbf16> to memref<2x8x100x64xbf16>
// CHECK-DAG:     %[[K:.*]] = bufferization.to_buffer %arg1 read_only
// CHECK-DAG:     %[[V:.*]] = bufferization.to_buffer %arg2 read_only
// CHECK-DAG:     %[[O:.*]] = memref.alloc() : memref<2x8x100x64xbf16>
// CHECK-DAG:     %[[L:.*]] = memref.alloc() : memref<2x8x100xf32>
// CHECK:         gpu.launch_func @gqa_kernel::@gqa_kernel blocks in ({{.*}}) threads in ({{.*}}) args(%[[Q]] : {{.*}}, %[[K]] : {{.*}}, %[[V]] : {{.*}}, %[[O]] : {{.*}}, %[[L]] : {{.*}})
// CHECK:         %[[OT:.*]] = bufferization.to_tensor %[[O]] restrict writable
// CHECK:         %[[LT:.*]] = bufferization.to_tensor %[[L]] restrict writable
// CHECK:         return %[[OT]], %[[LT]]
// CHECK:       gpu.module @gqa_kernel
// CHECK:         gpu.func @gqa_kernel({{.*}}) workgroup(%[[BUF:[^ ]*]] : memref<16384xi8, #gpu.address_space<workgroup>>) kernel attributes {attn.launch = {block = array<i64: 256, 1, 1>, config = {decode = false, form = "mma.sync", fp8 = false, key_groups = 1 : i64, paged = false, q_in_smem = true, query_rows = 128 : i64, tile_kv = 64 : i64, warp_rows = 16 : i64, warps = 8 : i64}, grid = array<i64: 1, 8, 2>, shared_memory_bytes = 0 : i64}, attn.params = [{access = "read", name = "query"}, {access = "read", name = "key"}, {access = "read", name = "value"}, {access = "readwrite", name = "out"}, {access = "readwrite", name = "lse"}]
// K and V tiles in one shared buffer, where the Q tile passes first: 16-byte
// copies of its 128 rows (4 per thread), a wait and a barrier, each warp's
// A fragments by ldmatrix (2 per 32 columns), a barrier before K and V
// overwrite it.
// CHECK-DAG:       %[[KS:.*]] = memref.view %[[BUF]][%{{.*}}][] : {{.*}} to memref<64x64xbf16, #gpu.address_space<workgroup>>
// CHECK-DAG:       %[[VS:.*]] = memref.view %[[BUF]][%c8192{{.*}}][] : {{.*}} to memref<64x64xbf16, #gpu.address_space<workgroup>>
// CHECK-DAG:       %[[QS:.*]] = memref.view %[[BUF]][%{{.*}}][] : {{.*}} to memref<128x64xbf16, #gpu.address_space<workgroup>>
// Copies write the tiles flat (one register and constant offsets per
// thread's chunks).
// CHECK:           %[[QF:.*]] = memref.collapse_shape %[[QS]] {{.*}} into memref<8192xbf16, #gpu.address_space<workgroup>>
// CHECK-COUNT-4:   nvgpu.device_async_copy %arg0[{{.*}}], %[[QF]][{{.*}}], 8, %{{.*}} {bypassL1}
// CHECK:           nvvm.cp.async.commit.group
// CHECK-NEXT:      nvvm.cp.async.wait.group 0
// CHECK-NEXT:      gpu.barrier
// CHECK:           %[[QL:.*]] = memref.collapse_shape %[[QS]]
// CHECK-COUNT-4:   nvgpu.ldmatrix %[[QL]][{{.*}}] {numTiles = 4 : i32, transpose = false}
// CHECK:           gpu.barrier
// The first K tile is in flight before the key loop; each iteration waits
// for K, starts V, computes S from ldmatrix fragments, waits for V, starts
// the next K, then P·V from ldmatrix.trans. Keys past the 100 of the
// sequence are zero-filled (srcElements operand).
// CHECK:           %[[KF0:.*]] = memref.collapse_shape %[[KS]]
// CHECK-COUNT-2:   nvgpu.device_async_copy %arg1[{{.*}}], %[[KF0]][{{.*}}], 8, %{{.*}} {bypassL1}
// CHECK:           nvvm.cp.async.commit.group
// CHECK:           scf.for
// CHECK:             nvvm.cp.async.wait.group 0
// CHECK-NEXT:        gpu.barrier
// CHECK:             %[[VF:.*]] = memref.collapse_shape %[[VS]]
// CHECK-COUNT-2:     nvgpu.device_async_copy %arg2[{{.*}}], %[[VF]][{{.*}}], 8, %{{.*}} {bypassL1}
// CHECK:             nvvm.cp.async.commit.group
// The fragments are read from the flat tiles too.
// CHECK:             %[[KF:.*]] = memref.collapse_shape %[[KS]]
// CHECK:             %[[VF1:.*]] = memref.collapse_shape %[[VS]]
// CHECK:             nvgpu.ldmatrix %[[KF]][{{.*}}] {numTiles = 4 : i32, transpose = false}
// CHECK:             nvvm.mma.sync {{.*}}multiplicandAPtxType = #nvvm.mma_type<bf16>{{.*}}shape = #nvvm.shape<m = 16, n = 8, k = 16>
// Only tiles that some row of the CTA sees partially run the mask: a
// fully visible tile passes its scores through unchanged.
// CHECK:             %[[FULL:.*]] = arith.andi
// CHECK:             scf.if %[[FULL]] -> (f32,
// CHECK-NEXT:          scf.yield
// CHECK:             } else {
// CHECK-COUNT-32:      arith.select
// CHECK:               scf.yield
// CHECK:             nvvm.cp.async.wait.group 0
// CHECK-NEXT:        gpu.barrier
// CHECK:             scf.if
// CHECK:               %[[KF1:.*]] = memref.collapse_shape %[[KS]]
// CHECK-COUNT-2:       nvgpu.device_async_copy %arg1[{{.*}}], %[[KF1]]
// CHECK:               nvvm.cp.async.commit.group
// CHECK:             gpu.shuffle  xor
// The scale is folded into one fma per score before exp2.
// CHECK:             math.fma
// CHECK-NEXT:        math.exp2
// CHECK:             nvgpu.ldmatrix %[[VF1]][{{.*}}] {numTiles = 4 : i32, transpose = true}
// CHECK:             scf.yield
// CHECK:           nvvm.cp.async.wait.group 0
// The output goes through shared memory (the K tile, free once every warp
// passed the barrier): each warp writes its fragments 32 columns at a time
// and stores 16-byte vectors of the rows that exist.
// CHECK:           gpu.barrier
// CHECK-COUNT-8:   vector.store %{{.*}}, %[[KS]][%{{.*}}, %{{.*}}] {alignment = 4 : i64} : {{.*}}, vector<2xbf16>
// CHECK:           nvvm.bar.warp.sync
// CHECK:           vector.load %[[KS]][{{.*}}] {alignment = 16 : i64} : {{.*}}, vector<8xbf16>
// CHECK:           vector.store %{{.*}}, %arg3[{{.*}}] {alignment = 16 : i64} : memref<2x8x100x64xbf16>, vector<8xbf16>
// CHECK:           vector.load %[[KS]]
// CHECK:           vector.store %{{.*}}, %arg3
// CHECK:           nvvm.bar.warp.sync
// CHECK-COUNT-8:   vector.store %{{.*}}, %[[KS]]
// CHECK:           nvvm.bar.warp.sync
// CHECK:           vector.load %[[KS]]
// CHECK:           vector.store %{{.*}}, %arg3
// CHECK:           vector.load %[[KS]]
// CHECK:           vector.store %{{.*}}, %arg3
// CHECK:           scf.if
// CHECK:             scf.if
// CHECK:               math.log2
// CHECK:               memref.store

// d = 64: 4 k-steps x 8 key n-tiles for S plus 4 key slices x 8 d-tiles for
// P·V per 64-key tile.
// COUNT-LABEL: gpu.func @gqa_kernel
// COUNT-COUNT-64: nvvm.mma.sync
// COUNT-NOT: nvvm.mma.sync

// One ldmatrix.x4 per 8 keys and 32 dims of K (16), one per 16 keys and 16
// dims of V (16), two per 32 dims of Q once (4).
// LDSM-LABEL: gpu.func @gqa_kernel
// LDSM-COUNT-36: nvgpu.ldmatrix
// LDSM-NOT: nvgpu.ldmatrix
func.func @gqa(%q: tensor<2x8x100x64xbf16>, %k: tensor<2x2x100x64xbf16>, %v: tensor<2x2x100x64xbf16>) -> (tensor<2x8x100x64xbf16>, tensor<2x8x100xf32>) {
  %o:2 = attn.sdpa %q, %k, %v {mask = #attn.mask<causal = true, align = bottom_right>} : tensor<2x8x100x64xbf16>, tensor<2x2x100x64xbf16>, tensor<2x2x100x64xbf16> -> tensor<2x8x100x64xbf16>, tensor<2x8x100xf32>
  return %o#0, %o#1 : tensor<2x8x100x64xbf16>, tensor<2x8x100xf32>
}

// -----

// What the tensor-core kernel does not cover stays for the SIMT kernel.

// CHECK-LABEL: func.func @fallbacks(
// CHECK-COUNT-3: attn.sdpa
// CHECK: gpu.launch_func @fallbacks_3_kernel::@fallbacks_3_kernel {{.*}} threads in (%c128, %c1, %{{.*}}) dynamic_shared_memory_size %c65536_i32
func.func @fallbacks(%q: tensor<1x2x16x64xf16>, %k: tensor<1x2x16x64xf16>, %v: tensor<1x2x16x64xf16>,
                     %q32: tensor<1x2x16x64xf32>, %k32: tensor<1x2x16x64xf32>, %v32: tensor<1x2x16x64xf32>,
                     %qs: tensor<1x2x16x32xf16>, %ks: tensor<1x2x16x32xf16>, %vs: tensor<1x2x16x32xf16>,
                     %m: tensor<1x2x16x16xi1>, %qb: tensor<1x2x16x256xf16>, %kb: tensor<1x2x16x256xf16>)
    -> (tensor<1x2x16x64xf32>, tensor<1x2x16x32xf16>, tensor<1x2x16x64xf16>, tensor<1x2x16x256xf16>) {
  // expected-remark @below {{uses the SIMT kernel: element type is not f16 or bf16}}
  %1 = attn.sdpa %q32, %k32, %v32 : tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x2x16x64xf32>
  // expected-remark @below {{uses the SIMT kernel: head dimensions are not 64, 128 or 256}}
  %2 = attn.sdpa %qs, %ks, %vs : tensor<1x2x16x32xf16>, tensor<1x2x16x32xf16>, tensor<1x2x16x32xf16> -> tensor<1x2x16x32xf16>
  // expected-remark @below {{uses the SIMT kernel: attn_mask operand}}
  %3 = attn.sdpa %q, %k, %v attn_mask(%m : tensor<1x2x16x16xi1>) : tensor<1x2x16x64xf16>, tensor<1x2x16x64xf16>, tensor<1x2x16x64xf16> -> tensor<1x2x16x64xf16>
  // Head dimension 256 with mma.sync (Q from shared memory).
  %4 = attn.sdpa %qb, %kb, %qb : tensor<1x2x16x256xf16>, tensor<1x2x16x256xf16>, tensor<1x2x16x256xf16> -> tensor<1x2x16x256xf16>
  return %1, %2, %3, %4 : tensor<1x2x16x64xf32>, tensor<1x2x16x32xf16>, tensor<1x2x16x64xf16>, tensor<1x2x16x256xf16>
}

// Head dimension 256: tiles of 32 keys (128 accumulator registers of O
// leave no room for 64 scores per row), so 16 k-steps of 4 key tiles for S
// and 2 k-steps of 32 value tiles for O; Q is read per 32-wide slice from
// shared memory with ldmatrix (16), K by 8 keys and 32 dims (32), V by 16
// keys and 16 dims (32). Shared memory: the 64-row Q tile, a 32-row K and V.
// COUNT-LABEL: gpu.func @fallbacks_3_kernel
// COUNT-COUNT-128: nvvm.mma.sync
// COUNT-NOT: nvvm.mma.sync
// LDSM-LABEL: gpu.func @fallbacks_3_kernel
// LDSM-COUNT-80: nvgpu.ldmatrix
// LDSM-NOT: nvgpu.ldmatrix

// -----

// No keys: every row sees none and is zero; the SIMT path handles it.

// CHECK-LABEL: func.func @empty_keys(
// CHECK:         attn.sdpa
// CHECK-NOT:     gpu.launch_func
func.func @empty_keys(%q: tensor<1x2x16x64xf16>, %k: tensor<1x2x0x64xf16>, %v: tensor<1x2x0x64xf16>) -> tensor<1x2x16x64xf16> {
  // expected-remark @below {{uses the SIMT kernel: a zero-sized dimension}}
  %o = attn.sdpa %q, %k, %v : tensor<1x2x16x64xf16>, tensor<1x2x0x64xf16>, tensor<1x2x0x64xf16> -> tensor<1x2x16x64xf16>
  return %o : tensor<1x2x16x64xf16>
}

// -----

// Key positions beyond 32 bits stay with the SIMT kernel (the tensor-core
// mask compares i32 positions).

// CHECK-LABEL: func.func @huge_keys(
// CHECK:         attn.sdpa
func.func @huge_keys(%q: tensor<1x1x64x64xf16>, %k: tensor<1x1x2147483712x64xf16>, %v: tensor<1x1x2147483712x64xf16>) -> tensor<1x1x64x64xf16> {
  // expected-remark @below {{uses the SIMT kernel: sequence lengths beyond 32-bit positions}}
  %o = attn.sdpa %q, %k, %v : tensor<1x1x64x64xf16>, tensor<1x1x2147483712x64xf16>, tensor<1x1x2147483712x64xf16> -> tensor<1x1x64x64xf16>
  return %o : tensor<1x1x64x64xf16>
}

// -----

// No mask and whole key tiles: no tile is masked, so the loop has no mask
// branch. 64 queries: one CTA of 4 warps.

// CHECK-LABEL: func.func @whole(
// CHECK:       gpu.func @whole_kernel
// CHECK-SAME:    block = array<i64: 128, 1, 1>, config = {decode = false, form = "mma.sync", fp8 = false, key_groups = 1 : i64, paged = false, q_in_smem = true, query_rows = 64 : i64, tile_kv = 64 : i64, warp_rows = 16 : i64, warps = 4 : i64}, grid = array<i64: 1, 2, 1>
// CHECK:         scf.for
// CHECK-NOT:       scf.if {{.*}} -> (f32
// CHECK:           scf.yield

// d = 128: 8 k-steps x 8 key n-tiles plus 4 key slices x 16 d-tiles.
// COUNT-LABEL: gpu.func @whole_kernel
// COUNT-COUNT-128: nvvm.mma.sync
// COUNT-NOT: nvvm.mma.sync
// LDSM-LABEL: gpu.func @whole_kernel
// LDSM-COUNT-72: nvgpu.ldmatrix
// LDSM-NOT: nvgpu.ldmatrix
func.func @whole(%q: tensor<1x2x64x128xf16>, %k: tensor<1x2x128x128xf16>, %v: tensor<1x2x128x128xf16>) -> tensor<1x2x64x128xf16> {
  %o = attn.sdpa %q, %k, %v : tensor<1x2x64x128xf16>, tensor<1x2x128x128xf16>, tensor<1x2x128x128xf16> -> tensor<1x2x64x128xf16>
  return %o : tensor<1x2x64x128xf16>
}

// -----

// Softcap, bias (broadcast over heads), ALiBi and kv_lens on the tensor
// cores, with Dv != Dqk: the extra inputs become kernel parameters after
// q, k, v; scores are scaled, capped (tanh), biased and get the ALiBi term
// before the mask; the key loop ends at this batch entry's kv_lens.

// CHECK-LABEL: func.func @terms(
// CHECK:         gpu.launch_func @terms_kernel::@terms_kernel
// CHECK:       gpu.func @terms_kernel(%{{.*}}: memref<2x4x70x128xf16>, %{{.*}}: memref<2x2x90x128xf16>, %{{.*}}: memref<2x2x90x64xf16>, %[[B:.*]]: memref<2x1x70x90xf16>, %[[S:.*]]: memref<4xf32>, %[[L:.*]]: memref<2xi32>, %{{.*}}: memref<2x4x70x64xf16>)
// CHECK-SAME:    workgroup(%{{.*}} : memref<32768xi8, #gpu.address_space<workgroup>>)
// CHECK-SAME:    attn.params = [{access = "read", name = "query"}, {access = "read", name = "key"}, {access = "read", name = "value"}, {access = "read", name = "bias"}, {access = "read", name = "alibi_slopes"}, {access = "read", name = "kv_lens"}, {access = "readwrite", name = "out"}]
// CHECK:         memref.load %[[L]][%block_id_z]
// CHECK:         memref.load %[[S]][%block_id_y]
// CHECK:         scf.for
// CHECK:           nvvm.mma.sync
// CHECK:           math.tanh
// CHECK:           memref.load %[[B]]
// CHECK:           arith.sitofp
// CHECK-NEXT:      math.fma
// CHECK:           scf.if {{.*}} -> (f32
// CHECK:           scf.yield

// Dqk = 128, Dv = 64: 8 k-steps x 8 n-tiles for S, 4 key slices x 8 d-tiles
// for P·V; ldmatrix: 8 x 4 for K, 4 x 4 for V, 8 for Q (once). The shared
// buffer is the Q tile's 32 KiB (K and V take 24).
// COUNT-LABEL: gpu.func @terms_kernel
// COUNT-COUNT-96: nvvm.mma.sync
// COUNT-NOT: nvvm.mma.sync
// LDSM-LABEL: gpu.func @terms_kernel
// LDSM-COUNT-56: nvgpu.ldmatrix
// LDSM-NOT: nvgpu.ldmatrix
func.func @terms(%q: tensor<2x4x70x128xf16>, %k: tensor<2x2x90x128xf16>, %v: tensor<2x2x90x64xf16>, %b: tensor<2x1x70x90xf16>, %s: tensor<4xf32>, %l: tensor<2xi32>) -> tensor<2x4x70x64xf16> {
  %o = attn.sdpa %q, %k, %v bias(%b : tensor<2x1x70x90xf16>) alibi(%s : tensor<4xf32>) kv_lens(%l : tensor<2xi32>) {softcap = 20.0 : f32} : tensor<2x4x70x128xf16>, tensor<2x2x90x128xf16>, tensor<2x2x90x64xf16> -> tensor<2x4x70x64xf16>
  return %o : tensor<2x4x70x64xf16>
}

// -----

// Varlen: q [Tq, Hq, D], k and v [Tk, Hkv, D]; the grid covers the packed
// total (ceil(300 / 128) query tiles x Hq x sequences), each CTA reads its
// sequence's first tokens and lengths from cu_seqlens, copies zero-fill
// the keys past the sequence, and CTAs past its queries visit no key tile.

// CHECK-LABEL: func.func @varlen(
// CHECK:         gpu.launch_func @varlen_kernel::@varlen_kernel blocks in (%c3, %c8, %c3{{.*}})
// CHECK:       gpu.func @varlen_kernel(%{{.*}}: memref<300x8x64xf16>, %{{.*}}: memref<400x2x64xf16>, %{{.*}}: memref<400x2x64xf16>, %[[CQ:.*]]: memref<4xi32>, %[[CK:.*]]: memref<4xi32>, %{{.*}}: memref<300x8x64xf16>)
// CHECK-DAG:     memref.load %[[CQ]][%block_id_z]
// CHECK-DAG:     memref.load %[[CK]][%block_id_z]
// CHECK:         scf.for
// CHECK:           nvgpu.device_async_copy
// CHECK:           nvvm.mma.sync
// COUNT-LABEL: gpu.func @varlen_kernel
// COUNT-COUNT-64: nvvm.mma.sync
// COUNT-NOT: nvvm.mma.sync
// LDSM-LABEL: gpu.func @varlen_kernel
func.func @varlen(%q: tensor<300x8x64xf16>, %k: tensor<400x2x64xf16>, %v: tensor<400x2x64xf16>, %cq: tensor<4xi32>, %ck: tensor<4xi32>) -> tensor<300x8x64xf16> {
  %o = attn.sdpa %q, %k, %v cu_seqlens(%cq, %ck : tensor<4xi32>, tensor<4xi32>) {mask = #attn.mask<causal = true, align = bottom_right>} : tensor<300x8x64xf16>, tensor<400x2x64xf16>, tensor<400x2x64xf16> -> tensor<300x8x64xf16>
  return %o : tensor<300x8x64xf16>
}
