//===- Quant.cpp - Scalar format conversions ------------------------------===//
//
// Integer-only implementations (no dependence on the FPU rounding mode or on
// hardware conversion instructions) so results are identical everywhere.
//
//===----------------------------------------------------------------------===//

#include "attn/runtime/Quant.h"

namespace attn {
namespace runtime {

namespace {

/// Rounds the finite, non-negative f32 with bit pattern `a` to a binary
/// format with `mantBits` explicit mantissa bits and exponent bias `bias`
/// (round to nearest, ties to even) and returns the magnitude code
/// (exponent field << mantBits | mantissa). The code can exceed the format's
/// largest finite code; callers handle overflow.
uint32_t roundMagnitude(uint32_t a, int mantBits, int bias) {
  if (a == 0)
    return 0;
  const int minNormalExp = 1 - bias;
  const int exp = int(a >> 23) - 127;
  if ((a >> 23) != 0 && exp >= minNormalExp) {
    const uint32_t shift = 23 - uint32_t(mantBits);
    uint32_t rebiased = a - (uint32_t(127 - bias) << 23);
    if (shift == 0)
      return rebiased;
    const uint32_t lsb = (rebiased >> shift) & 1u;
    rebiased += ((1u << (shift - 1)) - 1u) + lsb;
    return rebiased >> shift;
  }
  // Subnormal (or zero) in the target format.
  uint32_t mant;
  int e;
  if ((a >> 23) == 0) {
    mant = a & 0x7fffffu;
    e = -126;
  } else {
    mant = (a & 0x7fffffu) | 0x800000u;
    e = exp;
  }
  // value = mant * 2^(e - 23); target unit = 2^(minNormalExp - mantBits).
  const int shift = (minNormalExp - mantBits) - (e - 23);
  if (shift <= 0) // Cannot happen for the formats used here.
    return mant << (-shift);
  if (shift >= 25) // mant < 2^24 <= half a unit.
    return 0;
  uint32_t q = mant >> shift;
  const uint32_t rem = mant & ((1u << shift) - 1u);
  const uint32_t half = 1u << (shift - 1);
  if (rem > half || (rem == half && (q & 1u)))
    ++q;
  return q;
}

} // namespace

uint16_t f32ToF16(float x) {
  const uint32_t u = floatBits(x);
  const uint16_t sign = uint16_t((u >> 16) & 0x8000u);
  const uint32_t a = u & 0x7fffffffu;
  if (a > 0x7f800000u) {
    // NaN: keep the top payload bits (numpy), make sure it stays a NaN.
    uint16_t r = uint16_t(0x7c00u + ((a & 0x7fffffu) >> 13));
    if (r == 0x7c00u)
      ++r;
    return uint16_t(sign | r);
  }
  if (a == 0x7f800000u)
    return uint16_t(sign | 0x7c00u);
  uint32_t m = roundMagnitude(a, 10, 15);
  if (m > 0x7bffu)
    m = 0x7c00u;
  return uint16_t(sign | m);
}

float f16ToF32(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t mant = h & 0x3ffu;
  if (exp == 0x1f)
    return bitsFloat(sign | 0x7f800000u | (mant << 13));
  if (exp == 0) {
    // Subnormal: exact in f32.
    const float v = std::ldexp(float(mant), -24);
    return sign ? -v : v;
  }
  return bitsFloat(sign | ((exp + 112u) << 23) | (mant << 13));
}

uint16_t f32ToBF16(float x) {
  const uint32_t u = floatBits(x);
  const uint16_t sign = uint16_t((u >> 16) & 0x8000u);
  const uint32_t a = u & 0x7fffffffu;
  if (a > 0x7f800000u)
    return uint16_t(sign | 0x7fc0u);
  if (a == 0x7f800000u)
    return uint16_t(sign | 0x7f80u);
  uint32_t m = roundMagnitude(a, 7, 127);
  if (m > 0x7f7fu)
    m = 0x7f80u;
  return uint16_t(sign | m);
}

uint8_t f32ToFP8(float x, FP8Format fmt, bool saturate) {
  const uint32_t u = floatBits(x);
  const uint8_t sign = uint8_t((u >> 24) & 0x80u);
  const uint32_t a = u & 0x7fffffffu;
  const bool e4m3 = fmt == FP8Format::E4M3FN;
  const uint8_t nanCode = e4m3 ? 0x7f : 0x7e;
  const uint32_t maxCode = e4m3 ? 0x7eu : 0x7bu;
  if (a > 0x7f800000u)
    return uint8_t(sign | nanCode);
  if (a == 0x7f800000u) {
    if (saturate)
      return uint8_t(sign | maxCode);
    return uint8_t(sign | (e4m3 ? 0x7fu : 0x7cu));
  }
  uint32_t m = e4m3 ? roundMagnitude(a, 3, 7) : roundMagnitude(a, 2, 15);
  if (m > maxCode) {
    if (saturate)
      m = maxCode;
    else
      m = e4m3 ? 0x7fu : 0x7cu; // NaN (no inf in e4m3fn) / inf
  }
  return uint8_t(sign | m);
}

float fp8ToF32(uint8_t code, FP8Format fmt) {
  const bool neg = (code & 0x80u) != 0;
  const uint32_t mag = code & 0x7fu;
  float v;
  if (fmt == FP8Format::E4M3FN) {
    if (mag == 0x7fu)
      return bitsFloat((neg ? 0x80000000u : 0u) | 0x7fc00000u);
    const uint32_t exp = mag >> 3, mant = mag & 7u;
    v = exp == 0 ? std::ldexp(float(mant), -9)
                 : std::ldexp(float(8u + mant), int(exp) - 7 - 3);
  } else {
    const uint32_t exp = mag >> 2, mant = mag & 3u;
    if (exp == 0x1fu) {
      if (mant != 0)
        return bitsFloat((neg ? 0x80000000u : 0u) | 0x7fc00000u);
      v = HUGE_VALF;
    } else {
      v = exp == 0 ? std::ldexp(float(mant), -16)
                   : std::ldexp(float(4u + mant), int(exp) - 15 - 2);
    }
  }
  return neg ? -v : v;
}

} // namespace runtime
} // namespace attn
