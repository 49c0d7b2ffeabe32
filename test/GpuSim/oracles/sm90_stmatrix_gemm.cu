// sm_90a: the f16-accumulate SM80 GEMM of sm80_gemm.cu (mma.sync m16n8k16,
// ldmatrix, cp.async) whose epilogue goes registers -> shared memory with
// stmatrix (SM90_U32x4_STSM_N), then shared -> global with 128-bit copies.
// The stmatrix placement is checked against the mma.sync C fragment layout.
// grid = (M/64, N/64), block = 128, dynamic shared = 32768 bytes.
#include "sm80_gemm_body.cuh"

using namespace cute;

// C = A * B^T, A: M x K f16 row-major, B: N x K f16 row-major, C: M x N f16
// row-major.
extern "C" __global__ void __launch_bounds__(128)
    sm90_stmatrix_gemm_f16(half_t const *A, half_t const *B, half_t *C, int M,
                           int N, int K) {
  oracle::sm80_gemm_body<half_t, half_t, half_t, SM80_16x8x16_F16F16F16F16_TN,
                         SM75_U32x4_LDSM_N, SM75_U32x4_LDSM_N, false,
                         oracle::Epi::Stsm>(A, B, C, M, N, K);
}
