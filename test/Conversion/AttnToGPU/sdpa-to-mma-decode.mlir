// RUN: attn-opt %s --split-input-file --attn-check-gpu-support="chip=sm_80" --attn-sdpa-to-mma --canonicalize --cse | FileCheck %s
// RUN: attn-opt %s --split-input-file --attn-check-gpu-support="chip=sm_80" --attn-sdpa-to-mma="sm-count=8" --canonicalize --cse | FileCheck %s --check-prefix=SMALL

// Decode (one query, GQA 4:1, 1000 keys = 16 key tiles): the 4 query heads
// of a KV head are the rows of one CTA of 4 warps, the keys are split so
// that B·Hkv·splits is about two CTAs per SM (132 SMs: 16 splits of one
// tile each, also the most there can be), every split writes a normalized
// f32 partial output and its lse into a workspace, and a combine kernel
// writes out and lse. The split count is grid x, read by the kernel: a
// launch may choose it (up to grid_max).

// CHECK-LABEL: func.func @decode(
// CHECK-DAG:     %[[O:.*]] = memref.alloc() : memref<2x8x1x128xf16>
// CHECK-DAG:     %[[L:.*]] = memref.alloc() : memref<2x8x1xf32>
// CHECK-DAG:     %[[OP:.*]] = memref.alloc() : memref<2x8x1x16x128xf32>
// CHECK-DAG:     %[[LP:.*]] = memref.alloc() : memref<2x8x1x16xf32>
// CHECK:         gpu.launch_func @decode_kernel::@decode_kernel blocks in (%c16, %c2, %c2) threads in (%c128, %c1, %c1) args({{.*}}, %[[OP]] : memref<2x8x1x16x128xf32>, %[[LP]] : memref<2x8x1x16xf32>)
// CHECK-NEXT:    gpu.launch_func @decode_kernel_combine::@decode_kernel_combine blocks in (%c8, %c1, %c1) threads in (%c256, %c1, %c1) args(%[[OP]] : {{.*}}, %[[LP]] : {{.*}}, %[[O]] : {{.*}}, %[[L]] : {{.*}})
// CHECK-DAG:     memref.dealloc %[[OP]]
// CHECK-DAG:     memref.dealloc %[[LP]]
// CHECK:       gpu.func @decode_kernel(
// CHECK-SAME:    grid = array<i64: 16, 2, 2>, grid_max = array<i64: 16, 2, 2>
// CHECK-SAME:    attn.params = [{access = "read", name = "query"}, {access = "read", name = "key"}, {access = "read", name = "value"}, {access = "readwrite", name = "o_partial"}, {access = "readwrite", name = "lse_partial"}]
// The CTA's key chunk: [split · 64, split · 64 + 64) within the mask's range.
// CHECK-NOT:     known_grid_size
// CHECK:         %[[SPLIT:.*]] = gpu.block_id x
// CHECK:         %[[G:.*]] = gpu.grid_dim x
// CHECK:         arith.ceildivui %c16, %[[G]]
// Four (query head, query) pairs, one m-tile: the 4 warps split each key
// tile instead, every warp with the CTA's 16 rows and 16 keys of its own
// (S: 8 k-steps x 2 n-tiles, P·V: 1 k-step x 16 n-tiles). One buffer
// holds the K and V tiles, first the 16-row Q tile (2 copies of 8 rows)
// and last the warps' states (3 warps x (66 x 32 + 16) words).
// CHECK:         %[[MERGE:.*]] = memref.view %{{.*}}[%c0][] : memref<32768xi8, #gpu.address_space<workgroup>> to memref<6384xf32, #gpu.address_space<workgroup>>
// CHECK:         memref.view {{.*}} to memref<16x128xf16, #gpu.address_space<workgroup>>
// CHECK-COUNT-2: nvgpu.device_async_copy %arg0
// CHECK-NOT:     nvgpu.device_async_copy %arg0
// CHECK:         scf.for
// CHECK-COUNT-16:  nvvm.mma.sync
// CHECK-NOT:       nvvm.mma.sync
// CHECK:           nvgpu.ldmatrix {{.*}}transpose = true
// CHECK-COUNT-16:  nvvm.mma.sync
// CHECK-NOT:       nvvm.mma.sync
// CHECK:           scf.yield
// After the loop, in CTAs that visited a key tile: a barrier; warps 1-3
// write their O and row sums (33 pairs of words) and their row maxima; a
// barrier; warp 0 adds the three states, rescaled to the rows' maxima,
// to its own, and alone stores.
// CHECK:         %[[RES:.*]]:68 = scf.if
// CHECK:           gpu.barrier
// CHECK:           %[[W0:.*]] = arith.cmpi ult, %[[WARP:.*]], %c1 : index
// CHECK:           %[[OTHER:.*]] = arith.cmpi uge, %[[WARP]], %c1 : index
// CHECK:           scf.if %[[OTHER]] {
// CHECK-COUNT-33:    vector.store %{{.*}}, %[[MERGE]][%{{.*}}] {alignment = 8 : i64} : memref<6384xf32, #gpu.address_space<workgroup>>, vector<2xf32>
// CHECK-COUNT-2:     memref.store %{{.*}}, %[[MERGE]]
// CHECK:           gpu.barrier
// CHECK-NEXT:      scf.if %[[W0]] -> ({{.*}}) {
// CHECK-COUNT-6:     memref.load %[[MERGE]]
// CHECK-COUNT-99:    vector.load %[[MERGE]]
// CHECK:           } else {
// CHECK:         %[[STORES:.*]] = arith.cmpi ult, %[[WARP]], %c1 : index
// CHECK-NEXT:    arith.andi %{{.*}}, %[[STORES]] : i1
// CHECK:         vector.store {{.*}} : memref<2x8x1x16x128xf32>, vector<2xf32>
// CHECK:         memref.store {{.*}} : memref<2x8x1x16xf32>
// The workspace's splits past the launch's count get lse -inf.
// CHECK:         scf.for %[[S:.*]] = %{{.*}} to %c16 step %[[G]]
// CHECK-NEXT:      memref.store %{{.*}}, %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}, %[[S]]] : memref<2x8x1x16xf32>
// CHECK:       gpu.func @decode_kernel_combine(
// CHECK-SAME:    attn.params = [{access = "read", name = "o_partial"}, {access = "read", name = "lse_partial"}, {access = "readwrite", name = "out"}, {access = "readwrite", name = "lse"}]
// CHECK:         scf.for {{.*}} iter_args
// CHECK:           arith.maximumf
// CHECK:         scf.for {{.*}} iter_args
// CHECK:           scf.if
// CHECK:             math.exp2
// CHECK:             math.fma
// CHECK:         arith.divf
// CHECK:         arith.truncf {{.*}} : f32 to f16

// With 8 SMs: 2·8 / (B·Hkv = 4) = 4 splits of 4 key tiles (256 keys) by
// default, a workspace for up to 8.
// SMALL-LABEL: func.func @decode(
// SMALL:         gpu.launch_func @decode_kernel::@decode_kernel blocks in (%c4, %c2, %c2)
// SMALL-SAME:      memref<2x8x1x8x128xf32>
// SMALL:       gpu.func @decode_kernel(
// SMALL-SAME:    grid = array<i64: 4, 2, 2>, grid_max = array<i64: 8, 2, 2>
func.func @decode(%q: tensor<2x8x1x128xf16>, %k: tensor<2x2x1000x128xf16>, %v: tensor<2x2x1000x128xf16>) -> (tensor<2x8x1x128xf16>, tensor<2x8x1xf32>) {
  %o:2 = attn.sdpa %q, %k, %v {mask = #attn.mask<causal = true, align = bottom_right>} : tensor<2x8x1x128xf16>, tensor<2x2x1000x128xf16>, tensor<2x2x1000x128xf16> -> tensor<2x8x1x128xf16>, tensor<2x8x1xf32>
  return %o#0, %o#1 : tensor<2x8x1x128xf16>, tensor<2x8x1xf32>
}

// -----

// 17 to 32 pairs (8 query heads x 3 queries), two m-tiles: warp w takes
// m-tile w % 2 and keys [32·(w / 2), +32) of each tile (S: 4 k-steps x 4
// n-tiles, P·V: 2 k-steps x 8 n-tiles); warps 2 and 3 write their states,
// warps 0 and 1 merge and store. The 32-row Q tile goes through shared
// memory.

// CHECK-LABEL: func.func @decode_two_tiles(
// CHECK:         gpu.launch_func @decode_two_tiles_kernel::@decode_two_tiles_kernel blocks in (%c16, %c1, %c1) threads in (%c128, %c1, %c1)
// CHECK:       gpu.func @decode_two_tiles_kernel(
// CHECK:         %[[WARP:.*]] = arith.divui %thread_id_x, %c32 : index
// CHECK:         %[[MERGE:.*]] = memref.view %{{.*}}[%c0][] : memref<16384xi8, #gpu.address_space<workgroup>> to memref<2208xf32, #gpu.address_space<workgroup>>
// CHECK:         memref.view {{.*}} to memref<32x64xf16, #gpu.address_space<workgroup>>
// CHECK:         scf.for
// CHECK-COUNT-16:  nvvm.mma.sync
// CHECK-NOT:       nvvm.mma.sync
// CHECK:           nvgpu.ldmatrix {{.*}}transpose = true
// CHECK-COUNT-16:  nvvm.mma.sync
// CHECK-NOT:       nvvm.mma.sync
// CHECK:           scf.yield
// CHECK:         %[[MERGES:.*]] = arith.cmpi ult, %[[WARP]], %c2 : index
// CHECK:         %[[WRITES:.*]] = arith.cmpi uge, %[[WARP]], %c2 : index
// CHECK:         scf.if %[[WRITES]] {
// CHECK-COUNT-17:  vector.store %{{.*}}, %[[MERGE]]
// CHECK:         scf.if %[[MERGES]] -> (
// CHECK-COUNT-17:  vector.load %[[MERGE]]
func.func @decode_two_tiles(%q: tensor<1x8x3x64xf16>, %k: tensor<1x1x1000x64xf16>, %v: tensor<1x1x1000x64xf16>) -> tensor<1x8x3x64xf16> {
  %o = attn.sdpa %q, %k, %v {mask = #attn.mask<causal = true, align = bottom_right>} : tensor<1x8x3x64xf16>, tensor<1x1x1000x64xf16>, tensor<1x1x1000x64xf16> -> tensor<1x8x3x64xf16>
  return %o : tensor<1x8x3x64xf16>
}

// -----

// Short key sequences (fewer than 4 key tiles) and rows that do not fit one
// CTA (8 heads per KV head x 17 queries; at head dimension 256, whose CTAs
// have 4 warps, 8 x 9) keep the prefill form.

// CHECK-LABEL: func.func @short(
// CHECK:         gpu.launch_func @short_kernel::@short_kernel blocks in (%c1, %c8, %c1)
// CHECK-NOT:     gpu.launch_func
// CHECK-LABEL: func.func @wide(
// CHECK:         gpu.launch_func @wide_kernel::@wide_kernel blocks in (%c1, %c8, %c1)
// CHECK-NOT:     gpu.launch_func
// CHECK-LABEL: func.func @wide_d256(
// CHECK:         gpu.launch_func @wide_d256_kernel::@wide_d256_kernel blocks in (%c1, %c8, %c1)
// CHECK-NOT:     gpu.launch_func
func.func @short(%q: tensor<1x8x1x64xf16>, %k: tensor<1x1x190x64xf16>, %v: tensor<1x1x190x64xf16>) -> tensor<1x8x1x64xf16> {
  %o = attn.sdpa %q, %k, %v : tensor<1x8x1x64xf16>, tensor<1x1x190x64xf16>, tensor<1x1x190x64xf16> -> tensor<1x8x1x64xf16>
  return %o : tensor<1x8x1x64xf16>
}
func.func @wide(%q: tensor<1x8x17x64xf16>, %k: tensor<1x1x4000x64xf16>, %v: tensor<1x1x4000x64xf16>) -> tensor<1x8x17x64xf16> {
  %o = attn.sdpa %q, %k, %v : tensor<1x8x17x64xf16>, tensor<1x1x4000x64xf16>, tensor<1x1x4000x64xf16> -> tensor<1x8x17x64xf16>
  return %o : tensor<1x8x17x64xf16>
}
func.func @wide_d256(%q: tensor<1x8x9x256xf16>, %k: tensor<1x1x4000x256xf16>, %v: tensor<1x1x4000x256xf16>) -> tensor<1x8x9x256xf16> {
  %o = attn.sdpa %q, %k, %v : tensor<1x8x9x256xf16>, tensor<1x1x4000x256xf16>, tensor<1x1x4000x256xf16> -> tensor<1x8x9x256xf16>
  return %o : tensor<1x8x9x256xf16>
}

// -----

// 65 to 128 pairs (8 heads per KV head x 16 queries: a speculative decode
// step) take the decode form with CTAs of 8 warps; warp w's rows are pairs
// 16w to 16w + 15.

// CHECK-LABEL: func.func @spec(
// CHECK:         gpu.launch_func @spec_kernel::@spec_kernel blocks in (%c{{[0-9]+}}, %c1, %c1) threads in (%c256, %c1, %c1)
// CHECK-NEXT:    gpu.launch_func @spec_kernel_combine::@spec_kernel_combine
// CHECK:       gpu.func @spec_kernel(
// CHECK-SAME:    known_block_size = array<i32: 256, 1, 1>
// CHECK:         arith.cmpi slt, %{{.*}}, %c128 : index
// CHECK:         arith.minsi %{{.*}}, %c127 : index
// CHECK:         arith.divui %{{.*}}, %c16 : index
// CHECK:         arith.remui %{{.*}}, %c16 : index
func.func @spec(%q: tensor<1x8x16x64xf16>, %k: tensor<1x1x4000x64xf16>, %v: tensor<1x1x4000x64xf16>) -> tensor<1x8x16x64xf16> {
  %o = attn.sdpa %q, %k, %v {mask = #attn.mask<causal = true, align = bottom_right>} : tensor<1x8x16x64xf16>, tensor<1x1x4000x64xf16>, tensor<1x1x4000x64xf16> -> tensor<1x8x16x64xf16>
  return %o : tensor<1x8x16x64xf16>
}

// -----

// Head dimension 256 (Q in shared memory): the decode form too. With at
// most 32 (head, query) pairs the warps split 64-key tiles (600 keys: 10
// splits of one tile each; 72 KiB of dynamic shared memory: the 16-row Q
// tile, K and V); with more, keys come in tiles of 32, as in its prefill
// kernel (48 pairs: 19 splits), and the splits are counted in them. The Q
// tile copy gives row r of the CTA the query r % Sq of query head KV head
// · 4 + r / Sq; only the first m-tile, whose 16 rows hold the 8 (head,
// query) pairs, is written (four passes of 4 rows: 128 threads, 32 chunks
// per row), zero-filled past the pairs.

// CHECK-LABEL: func.func @decode_d256(
// CHECK:         gpu.launch_func @decode_d256_kernel::@decode_d256_kernel blocks in (%c10, %c2, %c1) threads in (%c128, %c1, %c1) dynamic_shared_memory_size %c73728_i32
// CHECK-SAME:      memref<1x8x2x10x256xf32>
// CHECK-NEXT:    gpu.launch_func @decode_d256_kernel_combine::@decode_d256_kernel_combine
// CHECK:       gpu.func @decode_d256_kernel(
// CHECK:         %[[ROW:.*]] = arith.divui %thread_id_x, %c32 : index
// CHECK:         %[[KVH:.*]] = gpu.block_id y
// CHECK:         %[[HBASE:.*]] = arith.muli %[[KVH]], %c4 : index
// CHECK:         %[[IN:.*]] = arith.cmpi slt, %[[ROW]], %c8 : index
// CHECK:         %[[N:.*]] = arith.select %[[IN]], %c8, %c0 : index
// CHECK:         %[[PAIR:.*]] = arith.minsi %[[ROW]], %c7 : index
// CHECK:         %[[HOFF:.*]] = arith.divui %[[PAIR]], %c2 : index
// CHECK:         %[[HEAD:.*]] = arith.addi %[[HBASE]], %[[HOFF]] : index
// CHECK:         %[[QROW:.*]] = arith.remui %[[PAIR]], %c2 : index
// CHECK:         nvgpu.device_async_copy %arg0[%{{.*}}, %[[HEAD]], %[[QROW]], %{{.*}}], %{{.*}}[%[[ROW]], %{{.*}}], 8, %[[N]] {bypassL1} : memref<1x8x2x256xbf16> to memref<16x256xbf16, #gpu.address_space<workgroup>>
// CHECK-COUNT-3: nvgpu.device_async_copy %arg0
// CHECK-NOT:     nvgpu.device_async_copy %arg0
// CHECK:         nvvm.cp.async.commit.group
func.func @decode_d256(%q: tensor<1x8x2x256xbf16>, %k: tensor<1x2x600x256xbf16>, %v: tensor<1x2x600x256xbf16>) -> tensor<1x8x2x256xbf16> {
  %o = attn.sdpa %q, %k, %v {mask = #attn.mask<causal = true, align = bottom_right>} : tensor<1x8x2x256xbf16>, tensor<1x2x600x256xbf16>, tensor<1x2x600x256xbf16> -> tensor<1x8x2x256xbf16>
  return %o : tensor<1x8x2x256xbf16>
}

// -----

// CHECK-LABEL: func.func @decode_d256_wide(
// CHECK:         gpu.launch_func @decode_d256_wide_kernel::@decode_d256_wide_kernel blocks in (%c19, %c1, %c1) threads in (%c128, %c1, %c1) dynamic_shared_memory_size %c65536_i32
// CHECK-SAME:      memref<1x16x3x19x256xf32>
func.func @decode_d256_wide(%q: tensor<1x16x3x256xbf16>, %k: tensor<1x1x600x256xbf16>, %v: tensor<1x1x600x256xbf16>) -> tensor<1x16x3x256xbf16> {
  %o = attn.sdpa %q, %k, %v {mask = #attn.mask<causal = true, align = bottom_right>} : tensor<1x16x3x256xbf16>, tensor<1x1x600x256xbf16>, tensor<1x1x600x256xbf16> -> tensor<1x16x3x256xbf16>
  return %o : tensor<1x16x3x256xbf16>
}
