// wgmma.mma_async variants the GpuSim oracles do not cover, written with
// CuTe GMMA atoms and shared-memory layout atoms so that descriptors, swizzles
// and register fragments come from CUTLASS. One warpgroup computes
// D = C + A * B^T for a 64 x N x BK tile (several k-blocks); A is stored
// M x K row-major (or K x M for an MN-major A), B N x K row-major (or K x N
// for an MN-major B), C and D M x N row-major. Shared memory is filled with
// plain element copies through the CuTe (swizzled) layouts. Compiled for
// sm_90a; see run_tensorcore.py.
#include <cute/arch/mma_sm90_gmma_ext.hpp>
#include <cute/atom/mma_traits_sm90_gmma_ext.hpp>
#include <cute/tensor.hpp>
#include <cutlass/arch/barrier.h>

using namespace cute;

template <class TA, class TB, class TC, class Op, class AtomA, class AtomB,
          int BN, int BK, bool kAMN, bool kBMN, bool kARegs, bool kZeroFirst>
__device__ __forceinline__ void wg_body(TA const *A, TB const *B, TC const *C,
                                        TC *D) {
  auto M = Int<64>{};
  auto N = Int<BN>{};
  auto K = Int<BK>{};
  auto sA_layout = tile_to_shape(AtomA{}, make_shape(M, K));
  auto sB_layout = tile_to_shape(AtomB{}, make_shape(N, K));
  extern __shared__ __align__(1024) unsigned char smem[];
  TA *smA = reinterpret_cast<TA *>(smem);
  TB *smB = reinterpret_cast<TB *>(
      smem +
      ((cosize(sA_layout) * sizeof_bits<TA>::value / 8 + 1023) / 1024) * 1024);
  Tensor sA = make_tensor(make_smem_ptr(smA), sA_layout);
  Tensor sB = make_tensor(make_smem_ptr(smB), sB_layout);
  auto gA = [&] {
    if constexpr (kAMN)
      return make_tensor(
          make_gmem_ptr(A),
          make_layout(make_shape(M, K), make_stride(Int<1>{}, M)));
    else
      return make_tensor(
          make_gmem_ptr(A),
          make_layout(make_shape(M, K), make_stride(K, Int<1>{})));
  }();
  auto gB = [&] {
    if constexpr (kBMN)
      return make_tensor(
          make_gmem_ptr(B),
          make_layout(make_shape(N, K), make_stride(Int<1>{}, N)));
    else
      return make_tensor(
          make_gmem_ptr(B),
          make_layout(make_shape(N, K), make_stride(K, Int<1>{})));
  }();
  Tensor gC =
      make_tensor(make_gmem_ptr(C),
                  make_layout(make_shape(M, N), make_stride(N, Int<1>{})));
  Tensor gD =
      make_tensor(make_gmem_ptr(D),
                  make_layout(make_shape(M, N), make_stride(N, Int<1>{})));
  for (int i = threadIdx.x; i < size(sA); i += 128)
    sA(i) = gA(i);
  for (int i = threadIdx.x; i < size(sB); i += 128)
    sB(i) = gB(i);
  cutlass::arch::fence_view_async_shared();
  __syncthreads();

  TiledMMA mma = make_tiled_mma(Op{});
  ThrMMA thr = mma.get_thread_slice(threadIdx.x);
  Tensor tCsA = thr.partition_A(sA);
  Tensor tCsB = thr.partition_B(sB);
  Tensor tCgC = thr.partition_C(gC);
  Tensor tCrC = thr.make_fragment_C(tCgC);
  copy(tCgC, tCrC);
  Tensor tCrB = thr.make_fragment_B(tCsB);
  auto tCrA = [&] {
    if constexpr (kARegs)
      return thr.partition_fragment_A(sA);
    else
      return thr.make_fragment_A(tCsA);
  }();
  if constexpr (kARegs) {
    copy(tCsA, tCrA);
    warpgroup_fence_operand(tCrA);
  }
  warpgroup_fence_operand(tCrC);
  warpgroup_arrive();
  if constexpr (kZeroFirst)
    mma.accumulate_ = GMMA::ScaleOut::Zero;
  CUTE_UNROLL
  for (int kb = 0; kb < size<2>(tCrA); ++kb) {
    gemm(mma, tCrA(_, _, kb), tCrB(_, _, kb), tCrC);
    mma.accumulate_ = GMMA::ScaleOut::One;
  }
  warpgroup_commit_batch();
  warpgroup_wait<0>();
  warpgroup_fence_operand(tCrC);
  copy(tCrC, thr.partition_C(gD));
}

#define WG_KERNEL(NAME, TA, TB, TC, OP, ATOMA, ATOMB, BN, BK, AMN, BMN, AREGS, \
                  ZERO)                                                        \
  extern "C" __global__ void __launch_bounds__(128)                            \
      NAME(TA const *A, TB const *B, TC const *C, TC *D) {                     \
    wg_body<TA, TB, TC, OP, ATOMA, ATOMB, BN, BK, AMN, BMN, AREGS, ZERO>(      \
        A, B, C, D);                                                           \
  }

using KK = GMMA::Major;
using OpBf16N128 = SM90_64x128x16_F32BF16BF16_SS<KK::K, KK::K>;
using OpF16AccN32 = SM90_64x32x16_F16F16F16_SS<KK::K, KK::K>;
using OpF16MnMn = SM90_64x64x16_F32F16F16_SS<KK::MN, KK::MN>;
using OpF16MnK = SM90_64x64x16_F32F16F16_SS<KK::MN, KK::K>;
using OpBf16RsN256 = SM90_64x256x16_F32BF16BF16_RS<KK::K, KK::K>;
using OpF16NegA = SM90_64x64x16_F32F16F16_SS<KK::K, KK::K, GMMA::ScaleIn::Neg,
                                             GMMA::ScaleIn::One>;
using OpF16N24 = SM90_64x24x16_F32F16F16_SS<KK::K, KK::K>;
WG_KERNEL(wg_bf16_n128_sw128, bfloat16_t, bfloat16_t, float, OpBf16N128,
          GMMA::Layout_K_SW128_Atom<bfloat16_t>,
          GMMA::Layout_K_SW128_Atom<bfloat16_t>, 128, 64, false, false, false,
          false)
WG_KERNEL(wg_f16acc_n32_sw64, half_t, half_t, half_t, OpF16AccN32,
          GMMA::Layout_K_SW64_Atom<half_t>, GMMA::Layout_K_SW64_Atom<half_t>,
          32, 32, false, false, false, false)
WG_KERNEL(wg_tf32_n64_sw128, tfloat32_t, tfloat32_t, float,
          SM90_64x64x8_F32TF32TF32_SS_TN<>,
          GMMA::Layout_K_SW128_Atom<tfloat32_t>,
          GMMA::Layout_K_SW128_Atom<tfloat32_t>, 64, 32, false, false, false,
          false)
WG_KERNEL(wg_e4m3_n64_sw64, float_e4m3_t, float_e4m3_t, float,
          SM90_64x64x32_F32E4M3E4M3_SS_TN<>,
          GMMA::Layout_K_SW64_Atom<float_e4m3_t>,
          GMMA::Layout_K_SW64_Atom<float_e4m3_t>, 64, 64, false, false, false,
          false)
WG_KERNEL(wg_e5m2e4m3_f16acc_sw32, float_e5m2_t, float_e4m3_t, half_t,
          SM90_64x64x32_F16E5M2E4M3_SS_TN<>,
          GMMA::Layout_K_SW32_Atom<float_e5m2_t>,
          GMMA::Layout_K_SW32_Atom<float_e4m3_t>, 64, 64, false, false, false,
          false)
WG_KERNEL(wg_s8_n64_sw32, int8_t, int8_t, int32_t, SM90_64x64x32_S32S8S8_SS_TN,
          GMMA::Layout_K_SW32_Atom<int8_t>, GMMA::Layout_K_SW32_Atom<int8_t>,
          64, 64, false, false, false, false)
WG_KERNEL(wg_f16_amn_sw64_bmn_inter, half_t, half_t, float, OpF16MnMn,
          GMMA::Layout_MN_SW64_Atom<half_t>, GMMA::Layout_MN_INTER_Atom<half_t>,
          64, 32, true, true, false, false)
WG_KERNEL(wg_f16_amn_sw32_bmn_sw128, half_t, half_t, float, OpF16MnMn,
          GMMA::Layout_MN_SW32_Atom<half_t>, GMMA::Layout_MN_SW128_Atom<half_t>,
          64, 32, true, true, false, false)
WG_KERNEL(wg_f16_amn_inter_bk_sw32, half_t, half_t, float, OpF16MnK,
          GMMA::Layout_MN_INTER_Atom<half_t>, GMMA::Layout_K_SW32_Atom<half_t>,
          64, 32, true, false, false, false)
WG_KERNEL(wg_rs_bf16_n256_sw128, bfloat16_t, bfloat16_t, float, OpBf16RsN256,
          GMMA::Layout_K_SW128_Atom<bfloat16_t>,
          GMMA::Layout_K_SW128_Atom<bfloat16_t>, 256, 64, false, false, true,
          false)
WG_KERNEL(wg_rs_e4m3_n32, float_e4m3_t, float_e4m3_t, float,
          SM90_64x32x32_F32E4M3E4M3_RS_TN<>,
          GMMA::Layout_K_SW128_Atom<float_e4m3_t>,
          GMMA::Layout_K_SW128_Atom<float_e4m3_t>, 32, 128, false, false, true,
          false)
WG_KERNEL(wg_f16_nega_zero, half_t, half_t, float, OpF16NegA,
          GMMA::Layout_K_SW32_Atom<half_t>, GMMA::Layout_K_SW32_Atom<half_t>,
          64, 32, false, false, false, true)
WG_KERNEL(wg_f16_n24_inter, half_t, half_t, float, OpF16N24,
          GMMA::Layout_K_INTER_Atom<half_t>, GMMA::Layout_K_INTER_Atom<half_t>,
          24, 32, false, false, false, false)
