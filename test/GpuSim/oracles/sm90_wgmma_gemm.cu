// CuTe SM90 warpgroup-MMA GEMM oracles (sm_90a): wgmma.mma_async with
// shared-memory matrix descriptors for several GMMA smem layouts, and one with
// A from registers.
//
// C[M,N] = A[M,K] * B^T, f16 inputs, f32 accumulate, C row-major f32.
//   A: M x K row-major.
//   B: N x K row-major ("gemm_nt" recipe), except *_bmn where B is K x N
//      row-major ("gemm_nn" recipe, MN-major B operand).
// CTA tile 64x64x64, 128 threads = one warpgroup, one smem stage.
// Shared memory is filled by cp.async (16-byte SM80_CP_ASYNC_CACHEGLOBAL),
// then cp.async.wait_all + fence.proxy.async + __syncthreads before wgmma.
// grid = (M/64, N/64), block = 128, dynamic shared = 16384 bytes (the dynamic
// shared window is declared 1024-byte aligned, as the 128B swizzle requires).
#include <cute/tensor.hpp>
#include <cutlass/arch/barrier.h>

namespace oracle {
using namespace cute;

template <class MmaOp, class AtomA, class AtomB, bool kBMNMajor, bool kARegs>
__device__ __forceinline__ void sm90_wgmma_body(half_t const *A,
                                                half_t const *B, float *C,
                                                int M, int N, int K) {
  auto bM = Int<64>{};
  auto bN = Int<64>{};
  auto bK = Int<64>{};
  auto sA_layout = tile_to_shape(AtomA{}, make_shape(bM, bK));
  auto sB_layout = tile_to_shape(AtomB{}, make_shape(bN, bK));

  TiledCopy copyA = make_tiled_copy(
      Copy_Atom<SM80_CP_ASYNC_CACHEGLOBAL<uint128_t>, half_t>{},
      Layout<Shape<_16, _8>, Stride<_8, _1>>{}, Layout<Shape<_1, _8>>{});
  auto copyB = [&] {
    if constexpr (kBMNMajor)
      return make_tiled_copy(
          Copy_Atom<SM80_CP_ASYNC_CACHEGLOBAL<uint128_t>, half_t>{},
          Layout<Shape<_8, _16>, Stride<_1, _8>>{}, Layout<Shape<_8, _1>>{});
    else
      return make_tiled_copy(
          Copy_Atom<SM80_CP_ASYNC_CACHEGLOBAL<uint128_t>, half_t>{},
          Layout<Shape<_16, _8>, Stride<_8, _1>>{}, Layout<Shape<_1, _8>>{});
  }();
  TiledMMA mma = make_tiled_mma(MmaOp{});

  Tensor mA =
      make_tensor(make_gmem_ptr(A), make_shape(M, K), make_stride(K, Int<1>{}));
  auto mB = [&] {
    if constexpr (kBMNMajor)
      return make_tensor(make_gmem_ptr(B), make_shape(N, K),
                         make_stride(Int<1>{}, N));
    else
      return make_tensor(make_gmem_ptr(B), make_shape(N, K),
                         make_stride(K, Int<1>{}));
  }();
  Tensor mC =
      make_tensor(make_gmem_ptr(C), make_shape(M, N), make_stride(N, Int<1>{}));
  auto cta_tiler = make_shape(bM, bN, bK);
  auto cta_coord = make_coord(blockIdx.x, blockIdx.y, _);
  Tensor gA = local_tile(mA, cta_tiler, cta_coord, Step<_1, X, _1>{});
  Tensor gB = local_tile(mB, cta_tiler, cta_coord, Step<X, _1, _1>{});
  Tensor gC = local_tile(mC, cta_tiler, cta_coord, Step<_1, _1, X>{});

  extern __shared__ __align__(1024) unsigned char oracle_smem[];
  half_t *smA = reinterpret_cast<half_t *>(oracle_smem);
  half_t *smB = smA + cosize(sA_layout);
  Tensor sA = make_tensor(make_smem_ptr(smA), sA_layout);
  Tensor sB = make_tensor(make_smem_ptr(smB), sB_layout);

  ThrCopy thr_copy_a = copyA.get_slice(threadIdx.x);
  Tensor tAgA = thr_copy_a.partition_S(gA);
  Tensor tAsA =
      thr_copy_a.partition_D(as_position_independent_swizzle_tensor(sA));
  ThrCopy thr_copy_b = copyB.get_slice(threadIdx.x);
  Tensor tBgB = thr_copy_b.partition_S(gB);
  Tensor tBsB =
      thr_copy_b.partition_D(as_position_independent_swizzle_tensor(sB));

  ThrMMA thr_mma = mma.get_thread_slice(threadIdx.x);
  Tensor tCsA = thr_mma.partition_A(sA);
  Tensor tCsB = thr_mma.partition_B(sB);
  Tensor tCgC = thr_mma.partition_C(gC);
  Tensor tCrC = thr_mma.make_fragment_C(tCgC);
  clear(tCrC);
  Tensor tCrB = thr_mma.make_fragment_B(tCsB); // smem descriptors
  auto tCrA = [&] {
    if constexpr (kARegs)
      return thr_mma.partition_fragment_A(sA); // registers
    else
      return thr_mma.make_fragment_A(tCsA); // smem descriptors
  }();

  int k_tiles = size<3>(tAgA);
  CUTE_NO_UNROLL
  for (int kt = 0; kt < k_tiles; ++kt) {
    copy(copyA, tAgA(_, _, _, kt), tAsA);
    copy(copyB, tBgB(_, _, _, kt), tBsB);
    cp_async_fence();
    cp_async_wait<0>();
    // Make this thread's generic-proxy shared-memory writes visible to the
    // async proxy (wgmma reads smem through it), then synchronise the
    // warpgroup.
    cutlass::arch::fence_view_async_shared();
    __syncthreads();
    if constexpr (kARegs) {
      copy(tCsA, tCrA); // plain shared loads into the wgmma A register fragment
      warpgroup_fence_operand(tCrA);
    }
    warpgroup_fence_operand(tCrC);
    warpgroup_arrive();
    gemm(mma, tCrA, tCrB, tCrC);
    warpgroup_commit_batch();
    warpgroup_wait<0>();
    warpgroup_fence_operand(tCrC);
    if constexpr (kARegs)
      warpgroup_fence_operand(tCrA);
    __syncthreads(); // all wgmma reads of smem done before it is refilled
  }
  copy(tCrC, tCgC);
}
} // namespace oracle

using namespace cute;
using oracle::sm90_wgmma_body;
using KK_SW128 = SM90_64x64x16_F32F16F16_SS<GMMA::Major::K, GMMA::Major::K>;

// 128-byte swizzle, K-major A and B.
extern "C" __global__ void __launch_bounds__(128)
    sm90_wgmma_sw128(half_t const *A, half_t const *B, float *C, int M, int N,
                     int K) {
  sm90_wgmma_body<KK_SW128, GMMA::Layout_K_SW128_Atom<half_t>,
                  GMMA::Layout_K_SW128_Atom<half_t>, false, false>(A, B, C, M,
                                                                   N, K);
}
// 64-byte swizzle.
extern "C" __global__ void __launch_bounds__(128)
    sm90_wgmma_sw64(half_t const *A, half_t const *B, float *C, int M, int N,
                    int K) {
  sm90_wgmma_body<KK_SW128, GMMA::Layout_K_SW64_Atom<half_t>,
                  GMMA::Layout_K_SW64_Atom<half_t>, false, false>(A, B, C, M, N,
                                                                  K);
}
// 32-byte swizzle.
extern "C" __global__ void __launch_bounds__(128)
    sm90_wgmma_sw32(half_t const *A, half_t const *B, float *C, int M, int N,
                    int K) {
  sm90_wgmma_body<KK_SW128, GMMA::Layout_K_SW32_Atom<half_t>,
                  GMMA::Layout_K_SW32_Atom<half_t>, false, false>(A, B, C, M, N,
                                                                  K);
}
// No swizzle (INTERLEAVE core matrices).
extern "C" __global__ void __launch_bounds__(128)
    sm90_wgmma_interleave(half_t const *A, half_t const *B, float *C, int M,
                          int N, int K) {
  sm90_wgmma_body<KK_SW128, GMMA::Layout_K_INTER_Atom<half_t>,
                  GMMA::Layout_K_INTER_Atom<half_t>, false, false>(A, B, C, M,
                                                                   N, K);
}
// MN-major B (B is K x N row-major), 128-byte swizzle for both. C = A * B.
extern "C" __global__ void __launch_bounds__(128)
    sm90_wgmma_sw128_bmn(half_t const *A, half_t const *B, float *C, int M,
                         int N, int K) {
  sm90_wgmma_body<SM90_64x64x16_F32F16F16_SS<GMMA::Major::K, GMMA::Major::MN>,
                  GMMA::Layout_K_SW128_Atom<half_t>,
                  GMMA::Layout_MN_SW128_Atom<half_t>, true, false>(A, B, C, M,
                                                                   N, K);
}
// A from registers (wgmma ... RS), B from a 128-byte-swizzled descriptor.
extern "C" __global__ void __launch_bounds__(128)
    sm90_wgmma_rs(half_t const *A, half_t const *B, float *C, int M, int N,
                  int K) {
  sm90_wgmma_body<SM90_64x64x16_F32F16F16_RS<GMMA::Major::K, GMMA::Major::K>,
                  GMMA::Layout_K_SW128_Atom<half_t>,
                  GMMA::Layout_K_SW128_Atom<half_t>, false, true>(A, B, C, M, N,
                                                                  K);
}
