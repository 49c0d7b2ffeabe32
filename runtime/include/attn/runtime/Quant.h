//===- Quant.h - Scalar format conversions ----------------------*- C++ -*-===//
//
// Bit-exact conversions between f32 and f16, bf16, FP8 e4m3fn, FP8 e5m2 and
// INT8 (symmetric / asymmetric). All rounding is round-to-nearest-even. See
// docs/runtime/kv-cache-layout.md for the exact saturation rules.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_QUANT_H
#define ATTN_RUNTIME_QUANT_H

#include <cmath>
#include <cstdint>
#include <cstring>

namespace attn {
namespace runtime {

inline uint32_t floatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  return u;
}

inline float bitsFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}

/// f32 -> IEEE binary16, RNE; overflow -> inf; NaN keeps sign and the top
/// payload bits with the quiet bit forced (numpy's behaviour).
uint16_t f32ToF16(float x);
float f16ToF32(uint16_t h);

/// f32 -> bfloat16, RNE; NaN -> sign | 0x7FC0 (quiet).
uint16_t f32ToBF16(float x);
inline float bf16ToF32(uint16_t h) { return bitsFloat(uint32_t(h) << 16); }

enum class FP8Format { E4M3FN, E5M2 };

/// f32 -> FP8, RNE. Non-saturating (Saturate=false, ml_dtypes' astype):
/// e4m3fn: |x| rounding above 448 -> NaN (0x7F | sign), inf -> NaN;
/// e5m2: rounding above 57344 -> inf, inf -> inf. NaN -> sign | 0x7F
/// (e4m3fn) or sign | 0x7E (e5m2). Saturating: finite overflow and inf clamp
/// to +-max finite; NaN still maps to NaN.
uint8_t f32ToFP8(float x, FP8Format fmt, bool saturate);
float fp8ToF32(uint8_t code, FP8Format fmt);

/// Largest finite value of the format (448 or 57344).
inline float fp8MaxFinite(FP8Format fmt) {
  return fmt == FP8Format::E4M3FN ? 448.0f : 57344.0f;
}

/// INT8 quantization: q = clamp(rne(x / scale) + zeroPoint, -128, 127).
/// NaN -> zeroPoint (dequantizes to 0); +-inf saturate.
inline int8_t quantizeInt8(float x, float scale, int32_t zeroPoint) {
  if (std::isnan(x))
    return int8_t(zeroPoint);
  float q = std::nearbyint(x / scale) + float(zeroPoint);
  if (!(q >= -128.0f))
    q = -128.0f;
  if (q > 127.0f)
    q = 127.0f;
  return int8_t(q);
}

inline float dequantizeInt8(int8_t q, float scale, int32_t zeroPoint) {
  return float(int32_t(q) - zeroPoint) * scale;
}

} // namespace runtime
} // namespace attn

#endif // ATTN_RUNTIME_QUANT_H
