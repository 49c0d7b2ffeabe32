// sm_90a GEMM oracle with TMA loads, mbarrier transaction barriers, elect.sync
// and wgmma (CuTe SM90_64x64x16_F32F16F16_SS, 128-byte-swizzled K-major smem).
//
// C[M,N] = A[M,K] * B^T  ("gemm_nt" recipe)
//   A: M x K f16 row-major, B: N x K f16 row-major, C: M x N f32 row-major.
//   M, N multiples of 64, K a multiple of 64.
// Launch: grid = (M/64, N/64), block = 128 (one warpgroup),
//         dynamic shared = 32768 + 16 = 32784 bytes
//         (2 stages x (64x64 A + 64x64 B) f16, then two 8-byte mbarriers).
//
// Tensor maps (cuTensorMapEncodeTiled), one per operand; the kernel also takes
// the raw A/B pointers so a launcher can name the buffer each map describes:
//   tmA: dataType FLOAT16, rank 2, globalDim = {K, M} (innermost first),
//        globalStrides = {K*2} bytes (for dim 1), boxDim = {64, 64},
//        elementStrides = {1, 1}, interleave NONE, swizzle 128B,
//        l2Promotion any, oobFill NONE.
//   tmB: same with globalDim = {K, N}, globalStrides = {K*2}, boxDim = {64,
//   64}.
// A 64x64 f16 box with 128B swizzle lands in shared memory exactly in the
// GMMA::Layout_K_SW128_Atom<half_t> layout (8 rows x 128 bytes per atom,
// 16-byte chunks XOR-ed with row % 8), which the wgmma descriptors then read.
//
// Pipeline: 2 stages, one ClusterTransactionBarrier per stage (arrive count 1).
// The elected thread of warp 0 does arrive_and_expect_tx(16384) and issues both
// TMA loads; every thread waits with mbarrier.try_wait.parity on phase
// (kt/2)&1.
#include <cuda.h>
#include <cute/arch/copy_sm90_desc.hpp>
#include <cute/arch/copy_sm90_tma.hpp>
#include <cute/tensor.hpp>
#include <cutlass/arch/barrier.h>

using namespace cute;

extern "C" __global__ void __launch_bounds__(128)
    sm90_tma_gemm_f16_f32(half_t const *A, half_t const *B, float *C,
                          const __grid_constant__ CUtensorMap tmA,
                          const __grid_constant__ CUtensorMap tmB, int M, int N,
                          int K) {
  using Bar = cutlass::arch::ClusterTransactionBarrier;
  constexpr int kStages = 2;
  constexpr int kTileElems = 64 * 64;
  constexpr uint32_t kTxBytes =
      2 * kTileElems * sizeof(half_t); // A tile + B tile

  auto bM = Int<64>{};
  auto bN = Int<64>{};
  auto bK = Int<64>{};
  auto sA_layout = tile_to_shape(GMMA::Layout_K_SW128_Atom<half_t>{},
                                 make_shape(bM, bK, Int<kStages>{}));
  auto sB_layout = tile_to_shape(GMMA::Layout_K_SW128_Atom<half_t>{},
                                 make_shape(bN, bK, Int<kStages>{}));

  extern __shared__ __align__(1024) unsigned char oracle_smem[];
  half_t *smA = reinterpret_cast<half_t *>(oracle_smem);
  half_t *smB = smA + kStages * kTileElems;
  uint64_t *bar = reinterpret_cast<uint64_t *>(smB + kStages * kTileElems);
  Tensor sA = make_tensor(make_smem_ptr(smA), sA_layout); // (64,64,2)
  Tensor sB = make_tensor(make_smem_ptr(smB), sB_layout);

  TiledMMA mma = make_tiled_mma(
      SM90_64x64x16_F32F16F16_SS<GMMA::Major::K, GMMA::Major::K>{});
  ThrMMA thr_mma = mma.get_thread_slice(threadIdx.x);
  Tensor mC =
      make_tensor(make_gmem_ptr(C), make_shape(M, N), make_stride(N, Int<1>{}));
  Tensor gC =
      local_tile(mC, make_shape(bM, bN), make_coord(blockIdx.x, blockIdx.y));
  Tensor tCgC = thr_mma.partition_C(gC);
  Tensor tCrC = thr_mma.make_fragment_C(tCgC);
  Tensor tCrA = thr_mma.make_fragment_A(
      thr_mma.partition_A(sA)); // (MMA,MMA_M,MMA_K,PIPE)
  Tensor tCrB = thr_mma.make_fragment_B(thr_mma.partition_B(sB));
  clear(tCrC);

  int warp = cutlass::canonical_warp_idx_sync();
  uint32_t elected =
      cute::elect_one_sync(); // whole warp participates in elect.sync
  bool leader = (warp == 0) && elected;
  int m0 = blockIdx.x * 64;
  int n0 = blockIdx.y * 64;
  int k_tiles = K / 64;

  if (leader) {
    cute::prefetch_tma_descriptor(
        reinterpret_cast<TmaDescriptor const *>(&tmA));
    cute::prefetch_tma_descriptor(
        reinterpret_cast<TmaDescriptor const *>(&tmB));
    for (int s = 0; s < kStages; ++s)
      Bar::init(&bar[s], 1);
    cutlass::arch::fence_barrier_init();
  }
  __syncthreads();

  auto issue = [&](int kt) {
    int s = kt % kStages;
    Bar::arrive_and_expect_tx(&bar[s], kTxBytes);
    uint64_t hint = static_cast<uint64_t>(TMA::CacheHintSm90::EVICT_NORMAL);
    SM90_TMA_LOAD_2D::copy(&tmA, &bar[s], hint, smA + s * kTileElems, kt * 64,
                           m0);
    SM90_TMA_LOAD_2D::copy(&tmB, &bar[s], hint, smB + s * kTileElems, kt * 64,
                           n0);
  };
  if (leader) {
    for (int kt = 0; kt < kStages && kt < k_tiles; ++kt)
      issue(kt);
  }

  CUTE_NO_UNROLL
  for (int kt = 0; kt < k_tiles; ++kt) {
    int s = kt % kStages;
    Bar::wait(&bar[s], (kt / kStages) & 1);
    warpgroup_fence_operand(tCrC);
    warpgroup_arrive();
    gemm(mma, tCrA(_, _, _, s), tCrB(_, _, _, s), tCrC);
    warpgroup_commit_batch();
    warpgroup_wait<0>();
    warpgroup_fence_operand(tCrC);
    __syncthreads(); // every warp finished reading stage s
    if (leader && kt + kStages < k_tiles)
      issue(kt + kStages);
  }
  copy(tCrC, tCgC);
}
