// CuTe SM80 GEMM oracles (mma.sync + ldmatrix + cp.async), see
// sm80_gemm_body.cuh. All kernels: grid = (M/64, N/64), block = 128, dynamic
// shared = 2*64*64*(sizeof(TA)+sizeof(TB)) = 32768 bytes for 16-bit inputs.
#include "sm80_gemm_body.cuh"

using namespace cute;
using oracle::sm80_gemm_body;

// f16 x f16 -> f32, m16n8k16, ldmatrix.x4 for A and B. C = A * B^T (B is N x
// K).
extern "C" __global__ void __launch_bounds__(128)
    sm80_gemm_f16_f32(half_t const *A, half_t const *B, float *C, int M, int N,
                      int K) {
  sm80_gemm_body<half_t, half_t, float, SM80_16x8x16_F32F16F16F32_TN,
                 SM75_U32x4_LDSM_N, SM75_U32x4_LDSM_N, false>(A, B, C, M, N, K);
}

#ifndef ORACLE_BUG_SWIZZLE
// bf16 x bf16 -> f32, m16n8k16.
extern "C" __global__ void __launch_bounds__(128)
    sm80_gemm_bf16_f32(bfloat16_t const *A, bfloat16_t const *B, float *C,
                       int M, int N, int K) {
  sm80_gemm_body<bfloat16_t, bfloat16_t, float, SM80_16x8x16_F32BF16BF16F32_TN,
                 SM75_U32x4_LDSM_N, SM75_U32x4_LDSM_N, false>(A, B, C, M, N, K);
}

// f16 x f16 -> f16 accumulate, m16n8k16. C is f16.
extern "C" __global__ void __launch_bounds__(128)
    sm80_gemm_f16_f16(half_t const *A, half_t const *B, half_t *C, int M, int N,
                      int K) {
  sm80_gemm_body<half_t, half_t, half_t, SM80_16x8x16_F16F16F16F16_TN,
                 SM75_U32x4_LDSM_N, SM75_U32x4_LDSM_N, false>(A, B, C, M, N, K);
}

// f16 x f16 -> f32, m16n8k8.
extern "C" __global__ void __launch_bounds__(128)
    sm80_gemm_f16_f32_k8(half_t const *A, half_t const *B, float *C, int M,
                         int N, int K) {
  sm80_gemm_body<half_t, half_t, float, SM80_16x8x8_F32F16F16F32_TN,
                 SM75_U32x4_LDSM_N, SM75_U32x4_LDSM_N, false>(A, B, C, M, N, K);
}

// f16 -> f32, m16n8k16, B is K x N row-major (MN-major): loaded with
// ldmatrix.trans. C = A * B.
extern "C" __global__ void __launch_bounds__(128)
    sm80_gemm_f16_f32_bmn(half_t const *A, half_t const *B, float *C, int M,
                          int N, int K) {
  sm80_gemm_body<half_t, half_t, float, SM80_16x8x16_F32F16F16F32_TN,
                 SM75_U32x4_LDSM_N, SM75_U16x8_LDSM_T, true>(A, B, C, M, N, K);
}
#endif
