// RUN: attn-opt %s --split-input-file --attn-check-gpu-support="chip=sm_80 tensor-cores=1" --attn-sdpa-to-mma --canonicalize --cse | FileCheck %s
// RUN: attn-opt %s --split-input-file --attn-check-gpu-support="chip=sm_80 tensor-cores=1" --attn-sdpa-to-mma="warp-rows=32" --canonicalize --cse | FileCheck %s --check-prefix=FORCE
// RUN: attn-opt %s --split-input-file --attn-check-gpu-support="chip=sm_80 tensor-cores=1" --attn-sdpa-to-mma="warp-rows=16" --canonicalize --cse | FileCheck %s --check-prefix=ROWS16

// 32 query rows per warp (two m16 tiles; the default at Dv = 64): a CTA of
// 4 warps owns 128 rows. The Q tile passes through shared memory once (8
// copies of 16 bytes per thread) into the A fragments of both m-tiles (2
// ldmatrix per 32 columns and m-tile); in the key loop each K fragment
// (ldmatrix.x4: 8 n-tiles x 2 slices of 32) and each V fragment (4 key
// slices x 4 pairs of d-tiles) feeds both m-tiles: 2 x (32 + 32) mma.sync
// per tile for 32 ldmatrix. The mask selects every score of both m-tiles;
// the epilogue stages each m-tile's 16 rows and stores 16-byte vectors.

// CHECK-LABEL: func.func @gqa(
// CHECK:         gpu.launch_func @gqa_kernel::@gqa_kernel blocks in (%c1, %c8, %c2) threads in (%c128, %c1, %c1)
// CHECK:       gpu.func @gqa_kernel({{.*}}) workgroup(%[[BUF:[^ ]*]] : memref<16384xi8, #gpu.address_space<workgroup>>) kernel attributes {attn.launch = {block = array<i64: 128, 1, 1>, config = {decode = false, form = "mma.sync", fp8 = false, key_groups = 1 : i64, paged = false, q_in_smem = true, query_rows = 128 : i64, tile_kv = 64 : i64, warp_rows = 32 : i64, warps = 4 : i64}, grid = array<i64: 1, 8, 2>, shared_memory_bytes = 0 : i64}
// CHECK-COUNT-8:   nvgpu.device_async_copy %arg0
// CHECK:           gpu.barrier
// CHECK-COUNT-8:   nvgpu.ldmatrix {{.*}} {numTiles = 4 : i32, transpose = false}
// CHECK-NOT:       nvgpu.ldmatrix
// CHECK:           gpu.barrier
// CHECK:           scf.for
// CHECK-COUNT-16:    nvgpu.ldmatrix {{.*}} {numTiles = 4 : i32, transpose = false}
// CHECK-NOT:         nvgpu.ldmatrix
// CHECK:             scf.if %{{.*}} -> (f32,
// CHECK-COUNT-32:      arith.select
// CHECK:             scf.if %{{.*}} -> (f32,
// CHECK-COUNT-32:      arith.select
// CHECK-COUNT-16:    nvgpu.ldmatrix {{.*}} {numTiles = 4 : i32, transpose = true}
// CHECK:             scf.yield
// CHECK:           gpu.barrier
// CHECK-COUNT-2:   nvvm.bar.warp.sync
// CHECK-NOT:       gpu.barrier
// CHECK:           gpu.return
// ROWS16:      gpu.func @gqa_kernel({{.*}}) workgroup({{.*}}) kernel attributes {attn.launch = {block = array<i64: 256, 1, 1>, config = {decode = false, form = "mma.sync", fp8 = false, key_groups = 1 : i64, paged = false, q_in_smem = true, query_rows = 128 : i64, tile_kv = 64 : i64, warp_rows = 16 : i64, warps = 8 : i64}, grid = array<i64: 1, 8, 2>
func.func @gqa(%q: tensor<2x8x100x64xbf16>, %k: tensor<2x2x100x64xbf16>, %v: tensor<2x2x100x64xbf16>) -> (tensor<2x8x100x64xbf16>, tensor<2x8x100xf32>) {
  %o:2 = attn.sdpa %q, %k, %v {mask = #attn.mask<causal = true, align = bottom_right>} : tensor<2x8x100x64xbf16>, tensor<2x2x100x64xbf16>, tensor<2x2x100x64xbf16> -> tensor<2x8x100x64xbf16>, tensor<2x8x100xf32>
  return %o#0, %o#1 : tensor<2x8x100x64xbf16>, tensor<2x8x100xf32>
}

// -----

// Dqk = 128 with two m-tiles: Q stays in shared memory (dynamic: the 128-row
// Q tile, then K and V, (128 + 64) x 128 x 2 + 64 x 64 x 2 bytes) and is
// read each key tile, 2 ldmatrix per 32 columns and m-tile (16), with K's
// 32 and V's 16: 64 ldmatrix for 192 mma.sync per tile.

// CHECK-LABEL: func.func @mixed(
// CHECK:         gpu.launch_func @mixed_kernel::@mixed_kernel blocks in (%c2, %c4, %c1) threads in (%c128, %c1, %c1) dynamic_shared_memory_size %c57344_i32
// CHECK:       gpu.func @mixed_kernel({{.*}}) kernel attributes {attn.launch = {block = array<i64: 128, 1, 1>, config = {decode = false, form = "mma.sync", fp8 = false, key_groups = 1 : i64, paged = false, q_in_smem = true, query_rows = 128 : i64, tile_kv = 64 : i64, warp_rows = 32 : i64, warps = 4 : i64}, grid = array<i64: 2, 4, 1>, shared_memory_bytes = 57344 : i64}
// CHECK-COUNT-16:  nvgpu.device_async_copy %arg0
// CHECK-NOT:       nvgpu.ldmatrix
// CHECK:           scf.for
// CHECK-COUNT-48:    nvgpu.ldmatrix {{.*}} {numTiles = 4 : i32, transpose = false}
// CHECK-COUNT-16:    nvgpu.ldmatrix {{.*}} {numTiles = 4 : i32, transpose = true}
// CHECK:             scf.yield
func.func @mixed(%q: tensor<1x4x200x128xf16>, %k: tensor<1x4x200x128xf16>, %v: tensor<1x4x200x64xf16>) -> tensor<1x4x200x64xf16> {
  %o = attn.sdpa %q, %k, %v : tensor<1x4x200x128xf16>, tensor<1x4x200x128xf16>, tensor<1x4x200x64xf16> -> tensor<1x4x200x64xf16>
  return %o : tensor<1x4x200x64xf16>
}

// -----

// Dv = 128 keeps 16 rows per warp unless warp-rows=32 asks for two m-tiles
// (then with Q in shared memory at Dqk = 128); 64 queries or fewer keep one
// CTA of 4 warps with 16 rows each either way.

// CHECK-LABEL: func.func @wide(
// CHECK:         gpu.launch_func @wide_kernel::@wide_kernel blocks in (%c2, %c2, %c1) threads in (%c256, %c1, %c1)
// CHECK-LABEL: func.func @short(
// CHECK:         threads in (%c128, %c1, %c1)
// FORCE-LABEL: func.func @wide(
// FORCE:         gpu.launch_func @wide_kernel::@wide_kernel blocks in (%c2, %c2, %c1) threads in (%c128, %c1, %c1) dynamic_shared_memory_size %c65536_i32
// FORCE-LABEL: func.func @short(
// FORCE:         blocks in (%c1, %c2, %c1) threads in (%c128, %c1, %c1) args
func.func @wide(%q: tensor<1x2x256x128xbf16>, %k: tensor<1x2x256x128xbf16>, %v: tensor<1x2x256x128xbf16>) -> tensor<1x2x256x128xbf16> {
  %o = attn.sdpa %q, %k, %v {mask = #attn.mask<causal = true>} : tensor<1x2x256x128xbf16>, tensor<1x2x256x128xbf16>, tensor<1x2x256x128xbf16> -> tensor<1x2x256x128xbf16>
  return %o : tensor<1x2x256x128xbf16>
}
func.func @short(%q: tensor<1x2x64x64xbf16>, %k: tensor<1x2x128x64xbf16>, %v: tensor<1x2x128x64xbf16>) -> tensor<1x2x64x64xbf16> {
  %o = attn.sdpa %q, %k, %v : tensor<1x2x64x64xbf16>, tensor<1x2x128x64xbf16>, tensor<1x2x128x64xbf16> -> tensor<1x2x64x64xbf16>
  return %o : tensor<1x2x64x64xbf16>
}
