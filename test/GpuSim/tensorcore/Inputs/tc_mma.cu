// mma.sync variants the GpuSim oracles do not cover, written with CuTe MMA
// atoms so that the register fragments come from CUTLASS, not from the
// simulator's reading of the PTX ISA. One warp computes D = C + A * B^T for
// one M x N atom tile and two k-blocks; A is M x K, B is N x K, C and D are
// M x N, all row-major. Compiled for sm_89 (fp8 mma); see run_tensorcore.py.
#include <cute/tensor.hpp>

using namespace cute;

template <class TA, class TB, class TC, class Op, int KB>
__device__ __forceinline__ void mma_body(TA const *A, TB const *B, TC const *C,
                                         TC *D) {
  using Shape = typename MMA_Traits<Op>::Shape_MNK;
  constexpr int kM = decltype(size<0>(Shape{}))::value;
  constexpr int kN = decltype(size<1>(Shape{}))::value;
  constexpr int kK = decltype(size<2>(Shape{}))::value * KB;
  auto M = Int<kM>{};
  auto N = Int<kN>{};
  auto K = Int<kK>{};
  Tensor gA =
      make_tensor(make_gmem_ptr(A),
                  make_layout(make_shape(M, K), make_stride(K, Int<1>{})));
  Tensor gB =
      make_tensor(make_gmem_ptr(B),
                  make_layout(make_shape(N, K), make_stride(K, Int<1>{})));
  Tensor gC =
      make_tensor(make_gmem_ptr(C),
                  make_layout(make_shape(M, N), make_stride(N, Int<1>{})));
  Tensor gD =
      make_tensor(make_gmem_ptr(D),
                  make_layout(make_shape(M, N), make_stride(N, Int<1>{})));
  TiledMMA mma = make_tiled_mma(Op{});
  ThrMMA thr = mma.get_slice(threadIdx.x);
  Tensor tCgA = thr.partition_A(gA);
  Tensor tCrA = thr.make_fragment_A(tCgA);
  copy(tCgA, tCrA);
  Tensor tCgB = thr.partition_B(gB);
  Tensor tCrB = thr.make_fragment_B(tCgB);
  copy(tCgB, tCrB);
  Tensor tCgC = thr.partition_C(gC);
  Tensor tCrC = thr.make_fragment_C(tCgC);
  copy(tCgC, tCrC);
  gemm(mma, tCrA, tCrB, tCrC);
  copy(tCrC, thr.partition_C(gD));
}

#define MMA_KERNEL(NAME, TA, TB, TC, OP)                                       \
  extern "C" __global__ void __launch_bounds__(32)                             \
      NAME(TA const *A, TB const *B, TC const *C, TC *D) {                     \
    mma_body<TA, TB, TC, OP, 2>(A, B, C, D);                                   \
  }

MMA_KERNEL(mma_tf32_k8, tfloat32_t, tfloat32_t, float,
           SM80_16x8x8_F32TF32TF32F32_TN)
MMA_KERNEL(mma_tf32_k4, tfloat32_t, tfloat32_t, float,
           SM80_16x8x4_F32TF32TF32F32_TN)
MMA_KERNEL(mma_bf16_k8, bfloat16_t, bfloat16_t, float,
           SM80_16x8x8_F32BF16BF16F32_TN)
MMA_KERNEL(mma_f16_k8_f16, half_t, half_t, half_t, SM80_16x8x8_F16F16F16F16_TN)
MMA_KERNEL(mma_s8_k32, int8_t, int8_t, int32_t, SM80_16x8x32_S32S8S8S32_TN)
MMA_KERNEL(mma_u8s8_k16_sat, uint8_t, int8_t, int32_t,
           SM80_16x8x16_S32U8S8S32_TN_SATURATE)
MMA_KERNEL(mma_e4m3_k32, float_e4m3_t, float_e4m3_t, float,
           SM89_16x8x32_F32E4M3E4M3F32_TN)
MMA_KERNEL(mma_e5m2e4m3_k32_f16, float_e5m2_t, float_e4m3_t, half_t,
           SM89_16x8x32_F16E5M2E4M3F16_TN)
