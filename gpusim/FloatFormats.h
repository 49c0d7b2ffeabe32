//===- FloatFormats.h - f16, bf16, fp8 and rounded f32 ---------*- C++ -*-===//
//
// Conversions between the small floating-point formats the tensor cores
// use and double, with every PTX rounding mode and .satfinite. One generic
// encoder serves all formats (IEEE-style with subnormals; e4m3 is the
// "fn" variant: no infinities, S.1111.111 is NaN).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_GPUSIM_FLOATFORMATS_H
#define ATTN_GPUSIM_FLOATFORMATS_H

#include "Decoded.h"

#include <cmath>
#include <cstdint>
#include <cstring>

namespace attn::gpusim {

struct FloatFormat {
  int ebits, mbits, bias;
  bool hasInf; ///< false: e4m3fn
  double maxFinite;
  uint32_t nanBits; ///< canonical NaN (without sign)
};

constexpr FloatFormat kF16{5, 10, 15, true, 65504.0, 0x7fff};
constexpr FloatFormat kBF16{8, 7, 127, true, 3.3895313892515355e38, 0x7fff};
constexpr FloatFormat kE4M3{4, 3, 7, false, 448.0, 0x7f};
constexpr FloatFormat kE5M2{5, 2, 15, true, 57344.0, 0x7f};
constexpr FloatFormat kF32{8, 23, 127, true, 3.4028234663852886e38, 0x7fffffff};

inline double roundToIntegral(double q, dec::Round r, bool negative) {
  switch (r) {
  case dec::RZ:
  case dec::RZI:
    return std::trunc(q);
  case dec::RM:
  case dec::RMI:
    return negative ? std::ceil(q) : std::floor(q);
  case dec::RP:
  case dec::RPI:
    return negative ? std::floor(q) : std::ceil(q);
  case dec::RNA:
    return std::round(q);
  default:
    return std::nearbyint(q); // ties to even (default environment)
  }
}

/// Encodes `x` in format `f` with rounding `r` (RNone = RN).
inline uint32_t encodeFloat(double x, const FloatFormat &f, dec::Round r,
                            bool satfinite) {
  uint32_t signBit = 1u << (f.ebits + f.mbits);
  if (std::isnan(x))
    return f.nanBits;
  bool neg = std::signbit(x);
  double a = std::fabs(x);
  uint32_t sign = neg ? signBit : 0;
  uint32_t expMaxField = (1u << f.ebits) - 1;
  auto maxFiniteBits = [&]() -> uint32_t {
    if (f.hasInf)
      return ((expMaxField - 1) << f.mbits) | ((1u << f.mbits) - 1);
    return (expMaxField << f.mbits) | ((1u << f.mbits) - 2);
  };
  auto overflow = [&]() -> uint32_t {
    bool toInf = true;
    if (r == dec::RZ || (r == dec::RM && !neg) || (r == dec::RP && neg))
      toInf = false;
    if (satfinite || !toInf)
      return sign | maxFiniteBits();
    if (!f.hasInf)
      return sign | f.nanBits;
    return sign | (expMaxField << f.mbits);
  };
  if (std::isinf(a))
    return satfinite ? (sign | maxFiniteBits())
                     : (f.hasInf ? sign | (expMaxField << f.mbits)
                                 : sign | f.nanBits);
  if (a == 0)
    return sign;
  int e2;
  std::frexp(a, &e2);
  int E = e2 - 1; // a in [2^E, 2^(E+1))
  int emin = 1 - f.bias;
  int qexp = (E < emin ? emin : E) - f.mbits;
  double q = std::ldexp(a, -qexp);
  double qr = roundToIntegral(q, r, neg);
  double v = std::ldexp(qr, qexp);
  if (v > f.maxFinite)
    return overflow();
  if (v == 0)
    return sign;
  std::frexp(v, &e2);
  E = e2 - 1;
  if (E < emin) {
    uint32_t mant = static_cast<uint32_t>(std::ldexp(v, f.mbits - emin));
    return sign | mant;
  }
  uint32_t expField = static_cast<uint32_t>(E + f.bias);
  uint32_t mant = static_cast<uint32_t>(std::ldexp(v, f.mbits - E) -
                                        std::ldexp(1.0, f.mbits));
  return sign | (expField << f.mbits) | mant;
}

inline double decodeFloat(uint32_t bits, const FloatFormat &f) {
  uint32_t mbitsMask = (1u << f.mbits) - 1;
  uint32_t expMask = (1u << f.ebits) - 1;
  bool neg = (bits >> (f.ebits + f.mbits)) & 1;
  uint32_t e = (bits >> f.mbits) & expMask;
  uint32_t m = bits & mbitsMask;
  double v;
  if (e == expMask && f.hasInf) {
    v = m ? NAN : INFINITY;
  } else if (e == expMask && !f.hasInf && m == mbitsMask) {
    v = NAN;
  } else if (e == 0) {
    v = std::ldexp(static_cast<double>(m), 1 - f.bias - f.mbits);
  } else {
    v = std::ldexp(1.0 + std::ldexp(static_cast<double>(m), -f.mbits),
                   static_cast<int>(e) - f.bias);
  }
  return neg ? -v : v;
}

inline float bitsToF32(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}
inline uint32_t f32ToBits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}
inline double bitsToF64(uint64_t b) {
  double d;
  std::memcpy(&d, &b, 8);
  return d;
}
inline uint64_t f64ToBits(double d) {
  uint64_t b;
  std::memcpy(&b, &d, 8);
  return b;
}

inline double f16ToDouble(uint32_t b) {
  static const float *table = [] {
    static float t[65536];
    for (uint32_t i = 0; i < 65536; ++i)
      t[i] = static_cast<float>(decodeFloat(i, kF16));
    return t;
  }();
  return table[b & 0xffff];
}
inline double bf16ToDouble(uint32_t b) { return bitsToF32((b & 0xffff) << 16); }
inline uint32_t doubleToF16(double x, dec::Round r = dec::RN,
                            bool sat = false) {
  return encodeFloat(x, kF16, r, sat);
}
inline uint32_t doubleToBF16(double x, dec::Round r = dec::RN,
                             bool sat = false) {
  return encodeFloat(x, kBF16, r, sat);
}

/// Rounds a double to f32 with a PTX rounding mode.
inline float roundToF32(double x, dec::Round r) {
  if (r == dec::RNone || r == dec::RN)
    return static_cast<float>(x);
  return bitsToF32(encodeFloat(x, kF32, r, false));
}

/// Flushes an f32 subnormal to a signed zero.
inline float ftz(float f) {
  if (std::fpclassify(f) == FP_SUBNORMAL)
    return std::signbit(f) ? -0.0f : 0.0f;
  return f;
}

} // namespace attn::gpusim

#endif // ATTN_GPUSIM_FLOATFORMATS_H
