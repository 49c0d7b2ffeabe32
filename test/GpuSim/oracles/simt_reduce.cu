// SIMT oracle kernels (sm_80). Plain CUDA, no CUTLASS needed.
//
// Negative variants built from this file:
//   -DORACLE_BUG_NO_BARRIER : simt_block_sum drops the __syncthreads() between
//                             the per-warp partial-sum stores to shared memory
//                             and warp 0 reading them (a shared-memory race).
//   -DORACLE_BUG_OOB        : simt_block_sum stores its block sum one slot too
//   far
//                             (block_sums[blockIdx.x + 1]); the last block
//                             writes 4 bytes past the end of the buffer.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdint.h>

#define SUM_THREADS 256
#define SUM_WARPS (SUM_THREADS / 32)

// Block-wide sum: __ldg load, warp shuffle-xor reduction, static shared memory,
// __syncthreads, second-level shuffle-down reduction by warp 0, float and int
// atomics, ballot/any votes.
//   in[n] f32; block_sums[gridDim.x] f32; total[1] f32 (must start at 0);
//   count[1] i32 (must start at 0): number of elements > 0;
//   warp_any[gridDim.x * SUM_WARPS] i32: 1 if any element of that warp's 32 is
//   > 2.0
extern "C" __global__ void __launch_bounds__(SUM_THREADS)
    simt_block_sum(const float *__restrict__ in, float *block_sums,
                   float *total, int *count, int *warp_any, int n) {
  __shared__ float warp_sums[SUM_WARPS];
  __shared__ int warp_counts[SUM_WARPS];
  int gid = blockIdx.x * blockDim.x + threadIdx.x;
  int lane = threadIdx.x & 31;
  int warp = threadIdx.x >> 5;
  float x = gid < n ? __ldg(in + gid) : 0.0f;

  unsigned pos = __ballot_sync(0xffffffffu, gid < n && x > 0.0f);
  int any_big = __any_sync(0xffffffffu, x > 2.0f);

  float s = x;
#pragma unroll
  for (int off = 16; off > 0; off >>= 1)
    s += __shfl_xor_sync(0xffffffffu, s, off);

  if (lane == 0) {
    warp_sums[warp] = s;
    warp_counts[warp] = __popc(pos);
    warp_any[blockIdx.x * SUM_WARPS + warp] = any_big;
  }
#ifndef ORACLE_BUG_NO_BARRIER
  __syncthreads();
#endif
  if (warp == 0) {
    float t = lane < SUM_WARPS ? warp_sums[lane] : 0.0f;
    int c = lane < SUM_WARPS ? warp_counts[lane] : 0;
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) {
      t += __shfl_down_sync(0xffffffffu, t, off);
      c += __shfl_down_sync(0xffffffffu, c, off);
    }
    if (lane == 0) {
#ifdef ORACLE_BUG_OOB
      block_sums[blockIdx.x + 1] = t;
#else
      block_sums[blockIdx.x] = t;
#endif
      atomicAdd(total, t);
      atomicAdd(count, c);
    }
  }
}

#ifndef ORACLE_BUG_ONLY
// Per-element conversions and transcendental approximations.
//   in[n] f32 (keep |x| < 60000 so f16 conversion stays finite)
//   out_f16[n] f16          : __float2half_rn(x) (cvt.rn.f16.f32) out_bf16[n]
//   bf16 (u16)  : __float2bfloat16_rn(x)               (cvt.rn.bf16.f32)
//   out_h2[n] f16           : pairs packed with __floats2half2_rn
//   (cvt.rn.f16x2.f32) out_i32[n,3] i32        : __float2int_rn(x), (int)x,
//   __float2int_rd(x) out_f32[n,5] f32        : __half2float(f16(x)),
//   __bfloat162float(bf16(x)),
//                             exp2f(x/16), __expf(x/16), rsqrtf(|x|+0.5)
// n must be even.
extern "C" __global__ void __launch_bounds__(128)
    simt_convert(const float *__restrict__ in, __half *out_f16,
                 __nv_bfloat16 *out_bf16, __half2 *out_h2, int *out_i32,
                 float *out_f32, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n)
    return;
  float x = in[i];
  __half h = __float2half_rn(x);
  __nv_bfloat16 b = __float2bfloat16_rn(x);
  out_f16[i] = h;
  out_bf16[i] = b;
  if ((i & 1) == 0)
    out_h2[i >> 1] = __floats2half2_rn(x, in[i + 1]);
  out_i32[3 * i + 0] = __float2int_rn(x);
  out_i32[3 * i + 1] = (int)x;
  out_i32[3 * i + 2] = __float2int_rd(x);
  out_f32[5 * i + 0] = __half2float(h);
  out_f32[5 * i + 1] = __bfloat162float(b);
  out_f32[5 * i + 2] = exp2f(x * 0.0625f);
  out_f32[5 * i + 3] = __expf(x * 0.0625f);
  out_f32[5 * i + 4] = rsqrtf(fabsf(x) + 0.5f);
}

// Packed half2 / bfloat162 arithmetic.
//   a,b,c[n] half2; out_fma[n] = __hfma2(a,b,c); out_max[n] = __hmax2(a,b)
//   ba,bb,bc[n] bfloat162 (u16 pairs); out_bfma[n] = __hfma2(ba,bb,bc);
//   out_bmax[n] = __hmax2(ba,bb)
extern "C" __global__ void __launch_bounds__(128)
    simt_half2(const __half2 *a, const __half2 *b, const __half2 *c,
               __half2 *out_fma, __half2 *out_max, const __nv_bfloat162 *ba,
               const __nv_bfloat162 *bb, const __nv_bfloat162 *bc,
               __nv_bfloat162 *out_bfma, __nv_bfloat162 *out_bmax, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n)
    return;
  out_fma[i] = __hfma2(a[i], b[i], c[i]);
  out_max[i] = __hmax2(a[i], b[i]);
  out_bfma[i] = __hfma2(ba[i], bb[i], bc[i]);
  out_bmax[i] = __hmax2(ba[i], bb[i]);
}

// Bit manipulation: funnel shift (shf.l.wrap) and byte permute (prmt).
//   a,b[n] u32; out[n,4] u32:
//     __funnelshift_l(a, b, i), __funnelshift_r(a, b, i),
//     __byte_perm(a, b, 0x5140), __byte_perm(a, b, sel[i] & 0x7777)
extern "C" __global__ void __launch_bounds__(128)
    simt_bits(const unsigned *a, const unsigned *b, const unsigned *sel,
              unsigned *out, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n)
    return;
  unsigned x = a[i], y = b[i];
  out[4 * i + 0] = __funnelshift_l(x, y, i);
  out[4 * i + 1] = __funnelshift_r(x, y, i);
  out[4 * i + 2] = __byte_perm(x, y, 0x5140);
  out[4 * i + 3] = __byte_perm(x, y, sel[i] & 0x7777);
}

// 128-bit vector load (__ldg float4 -> ld.global.nc.v4.f32) and store
// (st.global.v4.f32).
//   in[n4] float4, out[n4] float4: out = in * scale + (i, i, i, i)  (i = float4
//   index)
extern "C" __global__ void __launch_bounds__(128)
    simt_vec4(const float4 *__restrict__ in, float4 *out, float scale, int n4) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n4)
    return;
  float4 v = __ldg(in + i);
  float fi = (float)i;
  out[i] = make_float4(v.x * scale + fi, v.y * scale + fi, v.z * scale + fi,
                       v.w * scale + fi);
}
#endif // ORACLE_BUG_ONLY
