//===- QuantTest.cpp - Format conversion tests ----------------------------===//
//
// The encoders are checked against an independent reference: a nearest-value
// search over the decoded table of every code of the format (ties to the
// even code), which shares no code with the bit-manipulating encoder.
//
//===----------------------------------------------------------------------===//

#include "attn/runtime/Quant.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <vector>

using namespace attn::runtime;

namespace {

struct FormatRef {
  /// Decoded values of magnitude codes 0..maxCode (monotonic increasing).
  std::vector<double> values;
  uint32_t maxCode;
  double overflowValue; ///< value of the hypothetical code maxCode + 1
  uint32_t signBit;
};

FormatRef makeRef(std::function<float(uint32_t)> decode, uint32_t maxCode,
                  uint32_t signBit) {
  FormatRef r;
  for (uint32_t c = 0; c <= maxCode; ++c)
    r.values.push_back(decode(c));
  r.maxCode = maxCode;
  r.overflowValue =
      r.values[maxCode] + (r.values[maxCode] - r.values[maxCode - 1]);
  r.signBit = signBit;
  return r;
}

/// Reference RNE encode of a finite x. Returns the magnitude code with sign;
/// a magnitude of maxCode + 1 means "overflow".
uint32_t refEncode(const FormatRef &r, float x) {
  const double a = std::fabs(double(x));
  const uint32_t sign = std::signbit(x) ? r.signBit : 0;
  auto valueOf = [&](uint32_t c) {
    return c <= r.maxCode ? r.values[c] : r.overflowValue;
  };
  // First code whose value >= a.
  uint32_t hi = uint32_t(std::lower_bound(r.values.begin(), r.values.end(), a) -
                         r.values.begin());
  if (hi <= r.maxCode && r.values[hi] == a)
    return sign | hi;
  if (hi == 0)
    return sign;
  const uint32_t lo = hi - 1;
  const double dlo = a - valueOf(lo), dhi = valueOf(hi) - a;
  if (a > r.overflowValue)
    return sign | (r.maxCode + 1);
  uint32_t pick;
  if (dlo < dhi)
    pick = lo;
  else if (dhi < dlo)
    pick = hi;
  else
    pick = (lo % 2 == 0) ? lo : hi;
  return sign | pick;
}

std::vector<float> testValues(double minMag, double maxMag, uint64_t seed,
                              const FormatRef &ref) {
  std::vector<float> xs;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> logd(std::log2(minMag),
                                              std::log2(maxMag));
  for (int i = 0; i < 200000; ++i) {
    float x = float(std::exp2(logd(rng)));
    xs.push_back((rng() & 1) ? -x : x);
  }
  // Exact midpoints and neighbours of every representable pair.
  for (uint32_t c = 0; c + 1 <= ref.maxCode + 1; ++c) {
    const double lo = c <= ref.maxCode ? ref.values[c] : ref.overflowValue;
    const double hi =
        c + 1 <= ref.maxCode ? ref.values[c + 1] : ref.overflowValue;
    const float mid = float((lo + hi) / 2);
    if (double(mid) != (lo + hi) / 2)
      continue;
    for (float v : {mid, std::nextafter(mid, 0.0f),
                    std::nextafter(mid, INFINITY), float(lo)}) {
      xs.push_back(v);
      xs.push_back(-v);
    }
  }
  xs.push_back(0.0f);
  xs.push_back(-0.0f);
  xs.push_back(std::numeric_limits<float>::denorm_min());
  xs.push_back(-std::numeric_limits<float>::min());
  xs.push_back(std::numeric_limits<float>::max());
  xs.push_back(-std::numeric_limits<float>::max());
  return xs;
}

} // namespace

TEST(Quant, FP8E4M3FNEncodeMatchesReference) {
  FormatRef ref = makeRef(
      [](uint32_t c) { return fp8ToF32(uint8_t(c), FP8Format::E4M3FN); }, 0x7e,
      0x80);
  EXPECT_EQ(ref.values[0x7e], 448.0);
  EXPECT_EQ(ref.values[1], std::ldexp(1.0, -9));
  size_t n = 0;
  for (float x : testValues(1e-5, 1e4, 1, ref)) {
    uint32_t want = refEncode(ref, x);
    const bool overflow = (want & 0x7f) == 0x7f;
    const uint8_t got = f32ToFP8(x, FP8Format::E4M3FN, false);
    const uint8_t gotSat = f32ToFP8(x, FP8Format::E4M3FN, true);
    if (overflow) {
      ASSERT_EQ(got, uint8_t((want & 0x80) | 0x7f)) << x; // NaN
      ASSERT_EQ(gotSat, uint8_t((want & 0x80) | 0x7e)) << x;
    } else {
      ASSERT_EQ(got, want) << x;
      // Saturating only differs for values rounding past the max.
      const bool beyondMax = std::fabs(x) > 448.0f;
      ASSERT_EQ(gotSat, beyondMax ? uint8_t((want & 0x80) | 0x7e) : want) << x;
    }
    ++n;
  }
  EXPECT_GT(n, 200000u);
}

TEST(Quant, FP8E5M2EncodeMatchesReference) {
  FormatRef ref =
      makeRef([](uint32_t c) { return fp8ToF32(uint8_t(c), FP8Format::E5M2); },
              0x7b, 0x80);
  EXPECT_EQ(ref.values[0x7b], 57344.0);
  EXPECT_EQ(ref.values[1], std::ldexp(1.0, -16));
  for (float x : testValues(1e-7, 1e6, 2, ref)) {
    uint32_t want = refEncode(ref, x);
    const bool overflow = (want & 0x7f) == 0x7c;
    ASSERT_EQ(f32ToFP8(x, FP8Format::E5M2, false),
              overflow ? uint8_t((want & 0x80) | 0x7c) : want)
        << x;
    ASSERT_EQ(f32ToFP8(x, FP8Format::E5M2, true),
              std::fabs(x) > 57344.0f ? uint8_t((want & 0x80) | 0x7b) : want)
        << x;
  }
}

TEST(Quant, F16EncodeMatchesReference) {
  FormatRef ref =
      makeRef([](uint32_t c) { return f16ToF32(uint16_t(c)); }, 0x7bff, 0x8000);
  EXPECT_EQ(ref.values[0x7bff], 65504.0);
  for (float x : testValues(1e-9, 1e6, 3, ref)) {
    uint32_t want = refEncode(ref, x); // overflow code 0x7c00 is inf
    ASSERT_EQ(f32ToF16(x), want) << x;
  }
}

TEST(Quant, BF16EncodeMatchesReference) {
  FormatRef ref = makeRef([](uint32_t c) { return bf16ToF32(uint16_t(c)); },
                          0x7f7f, 0x8000);
  for (float x : testValues(1e-40, 3e38, 4, ref)) {
    uint32_t want = refEncode(ref, x); // overflow code 0x7f80 is inf
    ASSERT_EQ(f32ToBF16(x), want) << x;
  }
}

TEST(Quant, DecodeRoundTripsEveryCode) {
  for (uint32_t c = 0; c < 65536; ++c) {
    ASSERT_EQ(f32ToF16(f16ToF32(uint16_t(c))), c);
    const float b = bf16ToF32(uint16_t(c));
    if (!std::isnan(b)) {
      ASSERT_EQ(f32ToBF16(b), c);
    }
  }
  for (uint32_t c = 0; c < 256; ++c) {
    for (FP8Format f : {FP8Format::E4M3FN, FP8Format::E5M2}) {
      const float v = fp8ToF32(uint8_t(c), f);
      if (std::isnan(v))
        continue;
      ASSERT_EQ(f32ToFP8(v, f, false), c);
    }
  }
}

TEST(Quant, SpecialValues) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // e4m3fn: no inf; NaN = 0x7f / 0xff.
  EXPECT_EQ(f32ToFP8(inf, FP8Format::E4M3FN, false), 0x7f);
  EXPECT_EQ(f32ToFP8(-inf, FP8Format::E4M3FN, false), 0xff);
  EXPECT_EQ(f32ToFP8(inf, FP8Format::E4M3FN, true), 0x7e);
  EXPECT_EQ(f32ToFP8(-inf, FP8Format::E4M3FN, true), 0xfe);
  EXPECT_EQ(f32ToFP8(nan, FP8Format::E4M3FN, true), 0x7f);
  EXPECT_EQ(f32ToFP8(464.0f, FP8Format::E4M3FN, false), 0x7e); // tie -> even
  EXPECT_EQ(f32ToFP8(465.0f, FP8Format::E4M3FN, false), 0x7f);
  EXPECT_EQ(f32ToFP8(1e30f, FP8Format::E4M3FN, true), 0x7e);
  EXPECT_TRUE(std::isnan(fp8ToF32(0x7f, FP8Format::E4M3FN)));
  EXPECT_TRUE(std::isnan(fp8ToF32(0xff, FP8Format::E4M3FN)));
  EXPECT_EQ(fp8ToF32(0x7e, FP8Format::E4M3FN), 448.0f);
  EXPECT_EQ(fp8ToF32(0x80, FP8Format::E4M3FN), -0.0f);
  EXPECT_TRUE(std::signbit(fp8ToF32(0x80, FP8Format::E4M3FN)));
  // e5m2: IEEE-like.
  EXPECT_EQ(f32ToFP8(inf, FP8Format::E5M2, false), 0x7c);
  EXPECT_EQ(f32ToFP8(-inf, FP8Format::E5M2, false), 0xfc);
  EXPECT_EQ(f32ToFP8(inf, FP8Format::E5M2, true), 0x7b);
  EXPECT_EQ(f32ToFP8(61440.0f, FP8Format::E5M2, false), 0x7c); // tie -> even
  EXPECT_EQ(f32ToFP8(61439.0f, FP8Format::E5M2, false), 0x7b);
  EXPECT_EQ(f32ToFP8(nan, FP8Format::E5M2, false), 0x7e);
  EXPECT_EQ(f32ToFP8(-nan, FP8Format::E5M2, false), 0xfe);
  EXPECT_EQ(fp8ToF32(0x7c, FP8Format::E5M2), inf);
  EXPECT_EQ(fp8ToF32(0x7b, FP8Format::E5M2), 57344.0f);
  // f16 / bf16.
  EXPECT_EQ(f32ToF16(65520.0f), 0x7c00);
  EXPECT_EQ(f32ToF16(65519.0f), 0x7bff);
  EXPECT_EQ(f32ToF16(bitsFloat(0x7f800001u)), 0x7c01); // payload kept
  EXPECT_EQ(f32ToBF16(bitsFloat(0xff800001u)), 0xffc0);
  EXPECT_EQ(f32ToBF16(bitsFloat(0x3f808000u)), 0x3f80); // tie -> even
  EXPECT_EQ(f32ToBF16(bitsFloat(0x3f818000u)), 0x3f82); // tie -> even (up)
}

TEST(Quant, Int8RoundsHalfToEvenAndSaturates) {
  EXPECT_EQ(quantizeInt8(0.5f, 1.0f, 0), 0);
  EXPECT_EQ(quantizeInt8(1.5f, 1.0f, 0), 2);
  EXPECT_EQ(quantizeInt8(2.5f, 1.0f, 0), 2);
  EXPECT_EQ(quantizeInt8(-2.5f, 1.0f, 0), -2);
  EXPECT_EQ(quantizeInt8(1000.0f, 1.0f, 0), 127);
  EXPECT_EQ(quantizeInt8(-1000.0f, 1.0f, 0), -128);
  EXPECT_EQ(quantizeInt8(INFINITY, 1.0f, 0), 127);
  EXPECT_EQ(quantizeInt8(-INFINITY, 1.0f, 3), -128);
  EXPECT_EQ(quantizeInt8(NAN, 1.0f, 5), 5);
  EXPECT_EQ(quantizeInt8(0.0f, 0.1f, -20), -20);
  EXPECT_EQ(quantizeInt8(1.0f, 0.5f, 100), 102);
  EXPECT_EQ(quantizeInt8(100.0f, 0.5f, 100), 127);
  EXPECT_FLOAT_EQ(dequantizeInt8(102, 0.5f, 100), 1.0f);
  EXPECT_FLOAT_EQ(dequantizeInt8(-128, 0.25f, -128), 0.0f);
}
