// RUN: attn-opt %s --attn-check-gpu-support="chip=sm_90a" --attn-sdpa-to-mma="wgmma=1" --canonicalize --cse | FileCheck %s
// RUN: attn-opt %s --attn-check-gpu-support="chip=sm_90a" --attn-sdpa-to-mma="wgmma=1" --canonicalize --cse | FileCheck %s --check-prefix=COUNT

// sm_90a with TMA (the default of wgmma): a producer warpgroup (the last of
// 3) loads the Q tile once, then K and V tiles by TMA into a two-slot ring
// in dynamic shared memory, each slot guarded by four mbarriers (K
// full/empty, V full/empty); its one working thread waits for a free slot,
// announces the bytes and issues one box of 128 keys x 64 columns per 64
// columns of the head dimension (tiles of 128 keys up to head dimension
// 128). The consumer warpgroups wait for Q, then for a full slot,
// run the wgmma GEMMs on it by descriptor (Q too: S = Q·Kᵀ has both
// operands in shared memory), and release it. The tensor maps of Q, K, V
// and the output are the last four parameters (!llvm.ptr, passed by value),
// described in attn.params for the manifest.

// CHECK-LABEL: func.func @whole
// CHECK:         %[[NULL:.*]] = llvm.mlir.zero : !llvm.ptr
// CHECK:         gpu.launch_func @whole_kernel::@whole_kernel
// CHECK-SAME:      threads in (%c384, %c1, %c1)
// CHECK-SAME:      dynamic_shared_memory_size %c132168_i32
// CHECK-SAME:      %[[NULL]] : !llvm.ptr, %[[NULL]] : !llvm.ptr, %[[NULL]] : !llvm.ptr, %[[NULL]] : !llvm.ptr)

// CHECK-LABEL: gpu.func @whole_kernel
// CHECK-SAME:    %[[QMAP:[a-z0-9]+]]: !llvm.ptr, %[[KMAP:[a-z0-9]+]]: !llvm.ptr, %[[VMAP:[a-z0-9]+]]: !llvm.ptr, %[[OMAP:[a-z0-9]+]]: !llvm.ptr) kernel
// CHECK-SAME:    attn.launch = {block = array<i64: 384, 1, 1>, config = {decode = false, form = "wgmma.tma", fp8 = false, key_groups = 1 : i64, paged = false, q_in_smem = true, query_rows = 128 : i64, stages = 2 : i64, tile_kv = 128 : i64, warp_rows = 16 : i64, warps = 8 : i64}, grid = array<i64: 3, 2, 1>, shared_memory_bytes = 132168 : i64}
// CHECK-SAME:    {access = "read", box = array<i64: 64, 128, 1, 1>, dims = array<i64: 128, 300, 2, 1>, kind = "tensor_map", name = "query_tensor_map", strides = array<i64: 256, 76800, 153600>, swizzle = 128 : i64, tensor = "query"}
// CHECK-SAME:    {access = "read", box = array<i64: 64, 128, 1, 1>, dims = array<i64: 128, 300, 2, 1>, kind = "tensor_map", name = "key_tensor_map", strides = array<i64: 256, 76800, 153600>, swizzle = 128 : i64, tensor = "key"}
// CHECK-SAME:    {access = "read", box = array<i64: 64, 128, 1, 1>, dims = array<i64: 64, 300, 2, 1>, kind = "tensor_map", name = "value_tensor_map", strides = array<i64: 128, 38400, 76800>, swizzle = 128 : i64, tensor = "value"}
// CHECK-SAME:    {access = "read", box = array<i64: 64, 16, 1, 1>, dims = array<i64: 64, 300, 2, 1>, kind = "tensor_map", name = "out_tensor_map", strides = array<i64: 128, 38400, 76800>, swizzle = 128 : i64, tensor = "out"}
// CHECK-SAME:    attn.tensor_map_args = array<i64: 4, 5, 6, 7>
// CHECK-SAME:    nvvm.minctasm = 1 : i32
// CHECK:         gpu.dynamic_shared_memory
// CHECK-COUNT-2: nvvm.mbarrier.init %{{.*}}, %c1_i32
// CHECK:         nvvm.fence.mbarrier.init
// CHECK:         gpu.barrier
// CHECK:         scf.if
// CHECK-NEXT:      nvvm.setmaxregister decrease 24
// CHECK:           scf.if
// CHECK:             nvvm.mbarrier.arrive.expect_tx %{{.*}}, %c32768_i32
// CHECK:             cp.async.bulk.tensor.4d{{.*}}%[[QMAP]], %c0_i32
// CHECK:             cp.async.bulk.tensor.4d{{.*}}%[[QMAP]], %c64_i32
// CHECK:             scf.for
// CHECK:               mbarrier.try_wait.parity
// CHECK:               nvvm.mbarrier.arrive.expect_tx %{{.*}}, %c32768_i32
// CHECK:               cp.async.bulk.tensor.4d{{.*}}%[[KMAP]], %c0_i32
// CHECK:               cp.async.bulk.tensor.4d{{.*}}%[[KMAP]], %c64_i32
// CHECK:               mbarrier.try_wait.parity
// CHECK:               nvvm.mbarrier.arrive.expect_tx %{{.*}}, %c16384_i32
// CHECK:               cp.async.bulk.tensor.4d{{.*}}%[[VMAP]], %c0_i32
// CHECK:         } else {
// CHECK-NEXT:      nvvm.setmaxregister increase 240
// CHECK:           mbarrier.try_wait.parity
// Two consumer warpgroups take turns at the tensor cores: warpgroup 1
// lets warpgroup 0 go first; each issues its GEMMs between a sync on its
// named barrier and an arrive on the other's.
// CHECK:           scf.if
// CHECK-NEXT:        llvm.inline_asm has_side_effects "bar.arrive $0, 256;", "r" %c1_i32
// The first tile's S, alone:
// CHECK:           mbarrier.try_wait.parity
// CHECK:           "bar.sync $0, 256;"
// CHECK:           wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16 {{.*}}, p, 1, 1, 0, 0;
// CHECK:           "bar.arrive $0, 256;"
// CHECK-NEXT:      nvvm.wgmma.wait.group.sync.aligned 0
// CHECK:           nvvm.mbarrier.arrive
// CHECK:           math.exp2
// Each next tile: S(j) and P(j-1)·V(j-1) issued together, S waited for
// alone (wait_group 1), its softmax during P·V, then P·V waited for:
// CHECK:           scf.for
// CHECK-COUNT-2:     mbarrier.try_wait.parity
// CHECK:             "bar.sync $0, 256;"
// CHECK:             wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16 {{.*}}, p, 1, 1, 0, 0;
// CHECK:             wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16 {{.*}}, p, 1, 1, 1;
// CHECK:             "bar.arrive $0, 256;"
// CHECK-NEXT:        nvvm.wgmma.wait.group.sync.aligned 1
// CHECK:             nvvm.mbarrier.arrive
// CHECK:             math.exp2
// CHECK:             nvvm.wgmma.wait.group.sync.aligned 0
// CHECK:             nvvm.mbarrier.arrive
// CHECK:             scf.yield
// The last tile's P·V, alone; then warpgroup 0 takes warpgroup 1's last
// arrival:
// CHECK:           mbarrier.try_wait.parity
// CHECK:           "bar.sync $0, 256;"
// CHECK:           wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16 {{.*}}, p, 1, 1, 1;
// CHECK:           "bar.arrive $0, 256;"
// CHECK-NEXT:      nvvm.wgmma.wait.group.sync.aligned 0
// CHECK:           scf.if
// CHECK-NEXT:        "bar.sync $0, 256;"
// The output goes through the ring once every consumer is done with it
// (named barrier 3, among the 256 consumer threads): each warp writes its
// 16 rows x 64 columns in the 128-byte swizzle, fences them for the async
// proxy, and lane 0 stores the box by TMA (rows past the 300 queries are
// outside the map) and waits for it to leave shared memory.
// CHECK:           "bar.sync 3, 256;"
// CHECK:           vector.store %{{.*}} : memref<{{[0-9]+}}xf16, #gpu.address_space<workgroup>>, vector<2xf16>
// CHECK:           nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// CHECK-NEXT:      nvvm.bar.warp.sync
// CHECK:           scf.if
// CHECK:             "cp.async.bulk.tensor.4d.global.shared::cta.bulk_group [$0, {$1, $2, $3, $4}], [$5];", "l,r,r,r,r,r" %[[OMAP]]
// CHECK-NEXT:        "cp.async.bulk.commit_group;"
// CHECK-NEXT:        "cp.async.bulk.wait_group.read 0;"

// No cp.async, no global loads of Q and no proxy fence: TMA writes through
// the async proxy that wgmma reads. Q: 2 boxes; per key tile: 2 + 1 boxes,
// 8 (S, n128) + 8 (P·V, n64) warpgroup MMAs (statically twice: the first
// S and the last P·V are peeled).
// COUNT-LABEL: gpu.func @whole_kernel
// COUNT-NOT:   nvgpu.device_async_copy
// COUNT-NOT:   vector.load
// COUNT-NOT:   nvvm.fence.proxy
// COUNT-COUNT-5: cp.async.bulk.tensor.4d.shared::cluster.global
// COUNT-NOT:   cp.async.bulk.tensor.4d.shared
// COUNT-COUNT-32: wgmma.mma_async.sync.aligned.m64n
// COUNT-NOT:   wgmma.mma_async
func.func @whole(%q: tensor<1x2x300x128xf16>, %k: tensor<1x2x300x128xf16>, %v: tensor<1x2x300x64xf16>) -> tensor<1x2x300x64xf16> {
  %o = attn.sdpa %q, %k, %v : tensor<1x2x300x128xf16>, tensor<1x2x300x128xf16>, tensor<1x2x300x64xf16> -> tensor<1x2x300x64xf16>
  return %o : tensor<1x2x300x64xf16>
}

// The decode form takes TMA too: K and V boxes of 64 keys, and one Q box of
// every query of the KV head's 4 query heads (the rows the CTA packs); no
// output map (it writes f32 partials for the combine kernel).
// COUNT-LABEL: gpu.func @decode_kernel
// COUNT-NOT:   nvgpu.device_async_copy
// CHECK-LABEL: gpu.func @decode_kernel
// CHECK-SAME:    attn.launch = {block = array<i64: 256, 1, 1>, config = {decode = true, form = "wgmma.tma", fp8 = false, key_groups = 1 : i64, paged = false, q_in_smem = true, query_rows = 64 : i64, splits = 16 : i64, stages = 2 : i64, tile_kv = 64 : i64, warp_rows = 16 : i64, warps = 4 : i64}, grid = array<i64: 16, 2, 1>, grid_max = array<i64: 16, 2, 1>, shared_memory_bytes = 42056 : i64}
// CHECK-SAME:    {access = "read", box = array<i64: 64, 1, 4, 1>, dims = array<i64: 64, 1, 8, 1>, kind = "tensor_map", name = "query_tensor_map", strides = array<i64: 128, 128, 1024>, swizzle = 128 : i64, tensor = "query"}
// CHECK-SAME:    {access = "read", box = array<i64: 64, 64, 1, 1>, dims = array<i64: 64, 1024, 2, 1>, kind = "tensor_map", name = "key_tensor_map"
// CHECK-NOT:     out_tensor_map
// CHECK-SAME:    attn.tensor_map_args = array<i64: 5, 6, 7>
// CHECK:         nvvm.mbarrier.arrive.expect_tx %{{.*}}, %c512_i32
// CHECK:         cp.async.bulk.tensor.4d{{.*}}, %c0_i32, %c0_i32,
func.func @decode(%q: tensor<1x8x1x64xf16>, %k: tensor<1x2x1024x64xf16>, %v: tensor<1x2x1024x64xf16>) -> tensor<1x8x1x64xf16> {
  %o = attn.sdpa %q, %k, %v : tensor<1x8x1x64xf16>, tensor<1x2x1024x64xf16>, tensor<1x2x1024x64xf16> -> tensor<1x8x1x64xf16>
  return %o : tensor<1x8x1x64xf16>
}
