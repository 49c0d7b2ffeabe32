// Shared CuTe SM80 GEMM body used by sm80_gemm.cu and sm90_stmatrix_gemm.cu.
//
// C[M,N] = A[M,K] * B^T, with
//   A: M x K row-major (K-major),
//   B: N x K row-major (K-major)  when kBMNMajor == false   ("gemm_nt" recipe),
//      K x N row-major (MN-major) when kBMNMajor == true    ("gemm_nn" recipe),
//   C: M x N row-major.
// CTA tile 64x64x64, 128 threads (2x2 warps of the MMA atom), 2-stage
// cp.async pipeline (SM80_CP_ASYNC_CACHEGLOBAL<uint128_t>) into Swizzle<3,3,3>
// shared-memory layouts, ldmatrix (SM75_*_LDSM_*) shared->registers, mma.sync.
// M, N multiples of 64, K a multiple of 64. grid = (M/64, N/64), block = 128,
// dynamic shared memory = 2 * 64 * 64 * (sizeof(TA) + sizeof(TB)) bytes.
//
// -DORACLE_BUG_SWIZZLE: the ldmatrix reads of A use Swizzle<2,3,3> while the
// cp.async writes use Swizzle<3,3,3>, so the result is wrong.
#pragma once
#include <cute/tensor.hpp>

namespace oracle {
using namespace cute;

enum class Epi { Direct, Stsm };

template <class TA, class TB, class TC, class MmaOp, class S2ROpA, class S2ROpB,
          bool kBMNMajor, Epi kEpi = Epi::Direct>
__device__ __forceinline__ void sm80_gemm_body(TA const *A, TB const *B, TC *C,
                                               int M, int N, int K) {
  auto bM = Int<64>{};
  auto bN = Int<64>{};
  auto bK = Int<64>{};
  auto bP = Int<2>{};

  // K-major swizzled atom (8 rows x 64 elements), as in the CuTe sgemm_sm80
  // tutorial.
  using KAtomBase =
      Layout<Shape<_8, Shape<_8, _8>>, Stride<_8, Stride<_1, _64>>>;
  auto kmaj_atom = composition(Swizzle<3, 3, 3>{}, KAtomBase{});
#ifdef ORACLE_BUG_SWIZZLE
  auto kmaj_atom_rd = composition(Swizzle<2, 3, 3>{}, KAtomBase{});
#else
  auto kmaj_atom_rd = kmaj_atom;
#endif
  // MN-major swizzled atom (64 elements along N x 8 along K).
  auto mnmaj_atom = composition(Swizzle<3, 3, 3>{},
                                Layout<Shape<_64, _8>, Stride<_1, _64>>{});

  auto sA_layout = tile_to_shape(kmaj_atom, make_shape(bM, bK, bP));
  auto sA_layout_rd = tile_to_shape(kmaj_atom_rd, make_shape(bM, bK, bP));
  auto sB_layout = [&] {
    if constexpr (kBMNMajor)
      return tile_to_shape(mnmaj_atom, make_shape(bN, bK, bP));
    else
      return tile_to_shape(kmaj_atom, make_shape(bN, bK, bP));
  }();

  TiledCopy copyA = make_tiled_copy(
      Copy_Atom<SM80_CP_ASYNC_CACHEGLOBAL<uint128_t>, TA>{},
      Layout<Shape<_16, _8>, Stride<_8, _1>>{}, // 16x8 threads, k-major
      Layout<Shape<_1, _8>>{});                 // 1x8 values
  auto copyB = [&] {
    if constexpr (kBMNMajor)
      return make_tiled_copy(
          Copy_Atom<SM80_CP_ASYNC_CACHEGLOBAL<uint128_t>, TB>{},
          Layout<Shape<_8, _16>, Stride<_1, _8>>{}, // 8x16 threads, n-major
          Layout<Shape<_8, _1>>{});                 // 8x1 values
    else
      return make_tiled_copy(
          Copy_Atom<SM80_CP_ASYNC_CACHEGLOBAL<uint128_t>, TB>{},
          Layout<Shape<_16, _8>, Stride<_8, _1>>{}, Layout<Shape<_1, _8>>{});
  }();

  TiledMMA mma =
      make_tiled_mma(MmaOp{}, Layout<Shape<_2, _2>>{}, Tile<_32, _32, _16>{});

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
  Tensor gA =
      local_tile(mA, cta_tiler, cta_coord, Step<_1, X, _1>{}); // (BM,BK,k)
  Tensor gB =
      local_tile(mB, cta_tiler, cta_coord, Step<X, _1, _1>{}); // (BN,BK,k)
  Tensor gC =
      local_tile(mC, cta_tiler, cta_coord, Step<_1, _1, X>{}); // (BM,BN)

  extern __shared__ __align__(128) unsigned char oracle_smem[];
  TA *smA = reinterpret_cast<TA *>(oracle_smem);
  TB *smB =
      reinterpret_cast<TB *>(oracle_smem + cosize(sA_layout) * sizeof(TA));
  Tensor sA =
      make_tensor(make_smem_ptr(smA), sA_layout); // (BM,BK,PIPE) for writes
  Tensor sA_rd =
      make_tensor(make_smem_ptr(smA), sA_layout_rd); // (BM,BK,PIPE) for reads
  Tensor sB = make_tensor(make_smem_ptr(smB), sB_layout); // (BN,BK,PIPE)

  ThrCopy thr_copy_a = copyA.get_slice(threadIdx.x);
  Tensor tAgA = thr_copy_a.partition_S(gA);
  Tensor tAsA = thr_copy_a.partition_D(sA);
  ThrCopy thr_copy_b = copyB.get_slice(threadIdx.x);
  Tensor tBgB = thr_copy_b.partition_S(gB);
  Tensor tBsB = thr_copy_b.partition_D(sB);

  ThrMMA thr_mma = mma.get_slice(threadIdx.x);
  Tensor tCgC = thr_mma.partition_C(gC);
  Tensor tCrA = thr_mma.partition_fragment_A(sA(_, _, 0));
  Tensor tCrB = thr_mma.partition_fragment_B(sB(_, _, 0));
  Tensor tCrC = thr_mma.make_fragment_C(tCgC);
  clear(tCrC);

  TiledCopy s2r_copy_a = make_tiled_copy_A(Copy_Atom<S2ROpA, TA>{}, mma);
  ThrCopy s2r_thr_a = s2r_copy_a.get_slice(threadIdx.x);
  Tensor tXsA = s2r_thr_a.partition_S(sA_rd);
  Tensor tXrA = s2r_thr_a.retile_D(tCrA);
  TiledCopy s2r_copy_b = make_tiled_copy_B(Copy_Atom<S2ROpB, TB>{}, mma);
  ThrCopy s2r_thr_b = s2r_copy_b.get_slice(threadIdx.x);
  Tensor tXsB = s2r_thr_b.partition_S(sB);
  Tensor tXrB = s2r_thr_b.retile_D(tCrB);

  int k_tiles = size<3>(tAgA);
  copy(copyA, tAgA(_, _, _, 0), tAsA(_, _, _, 0));
  copy(copyB, tBgB(_, _, _, 0), tBsB(_, _, _, 0));
  cp_async_fence();

  CUTE_NO_UNROLL
  for (int kt = 0; kt < k_tiles; ++kt) {
    int stage = kt & 1;
    if (kt + 1 < k_tiles) {
      copy(copyA, tAgA(_, _, _, kt + 1), tAsA(_, _, _, stage ^ 1));
      copy(copyB, tBgB(_, _, _, kt + 1), tBsB(_, _, _, stage ^ 1));
      cp_async_fence();
      cp_async_wait<1>(); // tile kt has landed, tile kt+1 may be in flight
    } else {
      cp_async_wait<0>();
    }
    __syncthreads();
    CUTE_UNROLL
    for (int kc = 0; kc < size<2>(tXsA); ++kc)
      copy(s2r_copy_a, tXsA(_, _, kc, stage), tXrA(_, _, kc));
    CUTE_UNROLL
    for (int kc = 0; kc < size<2>(tXsB); ++kc)
      copy(s2r_copy_b, tXsB(_, _, kc, stage), tXrB(_, _, kc));
    CUTE_UNROLL
    for (int kb = 0; kb < size<2>(tCrA); ++kb)
      gemm(mma, tCrA(_, _, kb), tCrB(_, _, kb), tCrC);
    __syncthreads(); // everyone is done reading `stage` before it is refilled
  }

  if constexpr (kEpi == Epi::Direct) {
    copy(tCrC, tCgC);
  } else {
    // Epilogue through shared memory with stmatrix: registers -> sC (row-major
    // 64x64 half) via SM90_U32x4_STSM_N, then 128-bit copies sC -> gC.
    static_assert(sizeof(TC) == 2, "stmatrix epilogue expects 16-bit C");
    Tensor sC =
        make_tensor(make_smem_ptr(reinterpret_cast<TC *>(oracle_smem)),
                    make_layout(make_shape(bM, bN), make_stride(bN, Int<1>{})));
    TiledCopy r2s = make_tiled_copy_C(Copy_Atom<SM90_U32x4_STSM_N, TC>{}, mma);
    ThrCopy r2s_thr = r2s.get_slice(threadIdx.x);
    Tensor tSrC = r2s_thr.retile_S(tCrC);
    Tensor tSsC = r2s_thr.partition_D(sC);
    copy(r2s, tSrC, tSsC);
    __syncthreads();
    TiledCopy s2g = make_tiled_copy(Copy_Atom<UniversalCopy<uint128_t>, TC>{},
                                    Layout<Shape<_16, _8>, Stride<_8, _1>>{},
                                    Layout<Shape<_1, _8>>{});
    ThrCopy s2g_thr = s2g.get_slice(threadIdx.x);
    copy(s2g, s2g_thr.partition_S(sC), s2g_thr.partition_D(gC));
  }
}
} // namespace oracle
