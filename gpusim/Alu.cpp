//===- Alu.cpp - scalar instruction semantics of the simulator ------------===//
//
// Integer, floating-point, bit-manipulation, comparison, selection, move
// and conversion instructions, one thread at a time. Floating-point
// results are IEEE-correct for the rounded forms (.rn/.rz/.rm/.rp, .ftz,
// .sat); the .approx forms (ex2, lg2, rcp, rsqrt, sin, cos, tanh, div)
// return the correctly rounded value of the exact function, which is
// within the documented error bounds of the hardware approximations.
//
//===----------------------------------------------------------------------===//

#include "Executor.h"
#include "FloatFormats.h"

#include <cmath>
#include <limits>

namespace attn::gpusim::detail {

using namespace dec;

namespace {

int64_t sext(uint64_t v, unsigned bits) {
  if (bits >= 64)
    return static_cast<int64_t>(v);
  unsigned sh = 64 - bits;
  return static_cast<int64_t>(v << sh) >> sh;
}

uint64_t maskTo(uint64_t v, unsigned bits) {
  return bits >= 64 ? v : (v & ((uint64_t(1) << bits) - 1));
}

bool isPackedFloat(Ty t) { return t == Ty::F16x2 || t == Ty::BF16x2; }

/// A scalar float value's double, for the scalar float formats.
double toDouble(uint64_t bits, Ty t) {
  switch (t) {
  case Ty::F32:
  case Ty::TF32:
    return bitsToF32(static_cast<uint32_t>(bits));
  case Ty::F64:
    return bitsToF64(bits);
  case Ty::F16:
    return f16ToDouble(static_cast<uint32_t>(bits));
  case Ty::BF16:
    return bf16ToDouble(static_cast<uint32_t>(bits));
  case Ty::E4M3:
    return decodeFloat(static_cast<uint32_t>(bits) & 0xff, kE4M3);
  case Ty::E5M2:
    return decodeFloat(static_cast<uint32_t>(bits) & 0xff, kE5M2);
  default:
    return 0;
  }
}

uint64_t fromDouble(double d, Ty t, Round r = RN, bool satfinite = false) {
  switch (t) {
  case Ty::F32:
    return f32ToBits(roundToF32(d, r));
  case Ty::F64:
    return f64ToBits(d);
  case Ty::F16:
    return encodeFloat(d, kF16, r, satfinite);
  case Ty::BF16:
    return encodeFloat(d, kBF16, r, satfinite);
  case Ty::E4M3:
    return encodeFloat(d, kE4M3, r, satfinite);
  case Ty::E5M2:
    return encodeFloat(d, kE5M2, r, satfinite);
  case Ty::TF32: {
    // tf32: f32 with the low 13 mantissa bits cleared after rounding.
    uint32_t b = f32ToBits(static_cast<float>(d));
    if (std::isnan(d))
      return 0x7fffffff;
    if (r == RNA)
      b += 0x1000;
    else if (r == RZ)
      ;
    else
      b += 0xfff + ((b >> 13) & 1);
    return b & 0xffffe000u;
  }
  default:
    return 0;
  }
}

Ty laneType(Ty t) {
  return t == Ty::F16x2 ? Ty::F16 : t == Ty::BF16x2 ? Ty::BF16 : t;
}

double canonicalNan() { return std::numeric_limits<double>::quiet_NaN(); }

/// Applies a float function lane-wise (packed x2) or scalar, with .ftz,
/// .sat and .relu, and rounding `r` into the result format.
template <typename F>
uint64_t floatMap(Ty ty, const Instr &in, const uint64_t *src, unsigned n,
                  F f) {
  Ty lt = laneType(ty);
  unsigned lanes = isPackedFloat(ty) ? 2 : 1;
  unsigned lb = tyBits(lt);
  Round r = in.a == RNone ? RN : static_cast<Round>(in.a);
  uint64_t out = 0;
  for (unsigned l = 0; l < lanes; ++l) {
    double x[4] = {0, 0, 0, 0};
    for (unsigned i = 0; i < n; ++i) {
      uint64_t bits = (src[i] >> (l * lb)) & ((uint64_t(1) << lb) - 1);
      if (lb == 64)
        bits = src[i];
      x[i] = toDouble(bits, lt);
      if ((in.flags & FTZ) && lt == Ty::F32)
        x[i] = ftz(static_cast<float>(x[i]));
    }
    double y = f(x);
    if (in.flags & SAT)
      y = std::isnan(y) ? 0.0 : std::min(1.0, std::max(0.0, y));
    if ((in.flags & RELU) && !std::isnan(y) && y < 0)
      y = 0;
    uint64_t bits;
    if (lt == Ty::F32) {
      float fy = roundToF32(y, r);
      if (in.flags & FTZ)
        fy = ftz(fy);
      bits = f32ToBits(fy);
      if (std::isnan(y))
        bits = 0x7fffffff;
    } else if (lt == Ty::F64) {
      bits = f64ToBits(y);
    } else {
      bits = fromDouble(y, lt, r);
    }
    out |= maskTo(bits, lb) << (l * lb);
  }
  return out;
}

bool compare(Cmp c, Ty ty, uint64_t a, uint64_t b) {
  if (tyIsFloat(ty)) {
    double x = toDouble(a, ty), y = toDouble(b, ty);
    bool un = std::isnan(x) || std::isnan(y);
    switch (c) {
    case CEq:
      return !un && x == y;
    case CNe:
      return !un && x != y;
    case CLt:
      return !un && x < y;
    case CLe:
      return !un && x <= y;
    case CGt:
      return !un && x > y;
    case CGe:
      return !un && x >= y;
    case CEqu:
      return un || x == y;
    case CNeu:
      return un || x != y;
    case CLtu:
      return un || x < y;
    case CLeu:
      return un || x <= y;
    case CGtu:
      return un || x > y;
    case CGeu:
      return un || x >= y;
    case CNum:
      return !un;
    case CNan:
      return un;
    default:
      return false;
    }
  }
  unsigned bits = tyBits(ty);
  bool sgn = tyIsSigned(ty);
  int64_t sa = sext(a, bits), sb = sext(b, bits);
  uint64_t ua = maskTo(a, bits), ub = maskTo(b, bits);
  switch (c) {
  case CEq:
    return ua == ub;
  case CNe:
    return ua != ub;
  case CLt:
    return sgn ? sa < sb : ua < ub;
  case CLe:
    return sgn ? sa <= sb : ua <= ub;
  case CGt:
    return sgn ? sa > sb : ua > ub;
  case CGe:
    return sgn ? sa >= sb : ua >= ub;
  case CLo:
    return ua < ub;
  case CLs:
    return ua <= ub;
  case CHi:
    return ua > ub;
  case CHs:
    return ua >= ub;
  default:
    return false;
  }
}

bool boolOp(BoolOp op, bool x, bool c) {
  switch (op) {
  case BAnd:
    return x && c;
  case BOr:
    return x || c;
  case BXor:
    return x != c;
  default:
    return x;
  }
}

/// Conversion of one value between any two scalar types.
uint64_t convert(Ty dt, Ty st, uint64_t v, const Instr &in, bool &ok) {
  ok = true;
  Round r = static_cast<Round>(in.a);
  bool sat = in.flags & SAT;
  unsigned db = tyBits(dt), sb = tyBits(st);
  if (tyIsFloat(st)) {
    double x = toDouble(v, st);
    if ((in.flags & FTZ) && st == Ty::F32)
      x = ftz(static_cast<float>(x));
    if (tyIsFloat(dt)) {
      if (r == RNI || r == RZI || r == RMI || r == RPI) {
        if (!std::isnan(x) && !std::isinf(x))
          x = std::copysign(roundToIntegral(std::fabs(x), r, std::signbit(x)),
                            x);
        r = RN;
      }
      if (sat)
        x = std::isnan(x) ? 0.0 : std::min(1.0, std::max(0.0, x));
      if ((in.flags & RELU) && !std::isnan(x) && x < 0)
        x = 0;
      if (dt == Ty::F32) {
        float f = roundToF32(x, r == RNone ? RN : r);
        if (in.flags & FTZ)
          f = ftz(f);
        if (std::isnan(x))
          return 0x7fffffff;
        return f32ToBits(f);
      }
      return fromDouble(x, dt, r == RNone ? RN : r,
                        (in.flags & SATFINITE) != 0);
    }
    // Float to integer: rounds (default .rzi), saturates, NaN -> 0.
    if (std::isnan(x))
      return 0;
    double q = std::copysign(
        roundToIntegral(std::fabs(x), r == RNone ? RZI : r, std::signbit(x)),
        x);
    if (tyIsSigned(dt)) {
      double lo = -std::ldexp(1.0, db - 1), hi = std::ldexp(1.0, db - 1) - 1;
      q = std::min(hi, std::max(lo, q));
      return maskTo(static_cast<uint64_t>(static_cast<int64_t>(q)), db);
    }
    double hi = std::ldexp(1.0, db) - 1;
    q = std::min(hi, std::max(0.0, q));
    if (db == 64 && q >= 18446744073709551615.0)
      return ~uint64_t(0);
    return static_cast<uint64_t>(q);
  }
  // Integer source.
  int64_t si = sext(v, sb);
  uint64_t ui = maskTo(v, sb);
  bool srcSigned = tyIsSigned(st);
  if (tyIsFloat(dt)) {
    Round rr = r == RNone ? RN : r;
    if (dt == Ty::F64 || dt == Ty::F32) {
      // Exact through long double-free path: use the rounding encoder.
      long double lx = srcSigned ? static_cast<long double>(si)
                                 : static_cast<long double>(ui);
      double x = static_cast<double>(lx);
      if (dt == Ty::F64)
        return f64ToBits(x);
      return f32ToBits(roundToF32(x, rr));
    }
    double x = srcSigned ? static_cast<double>(si) : static_cast<double>(ui);
    return fromDouble(x, dt, rr, (in.flags & SATFINITE) != 0);
  }
  // Integer to integer: truncate or extend; .sat clamps.
  if (sat || (in.flags & SAT)) {
    if (tyIsSigned(dt)) {
      int64_t lo = db >= 64 ? INT64_MIN : -(int64_t(1) << (db - 1));
      int64_t hi = db >= 64 ? INT64_MAX : (int64_t(1) << (db - 1)) - 1;
      if (srcSigned)
        si = std::min(hi, std::max(lo, si));
      else
        si = ui > static_cast<uint64_t>(hi) ? hi : static_cast<int64_t>(ui);
      return maskTo(static_cast<uint64_t>(si), db);
    }
    uint64_t hi = db >= 64 ? ~uint64_t(0) : (uint64_t(1) << db) - 1;
    if (srcSigned && si < 0)
      return 0;
    uint64_t u = srcSigned ? static_cast<uint64_t>(si) : ui;
    return std::min(u, hi);
  }
  uint64_t ext = srcSigned ? static_cast<uint64_t>(si) : ui;
  return maskTo(ext, db);
}

} // namespace

bool execAlu(Cta &cta, ThreadState &t, const Instr &in) {
  const auto &ops = in.ops;
  auto def = [&]() {
    if (!cta.options.initcheck)
      return true;
    for (size_t i = 1; i < ops.size(); ++i)
      if (!cta.isDefined(t, ops[i]))
        return false;
    return true;
  };
  Ty ty = in.numTypes ? in.types[0] : Ty::B32;
  unsigned bits = tyBits(ty);
  auto rd = [&](size_t i) { return cta.read(t, ops[i], ty); };
  auto wr = [&](uint64_t v) { cta.write(t, ops[0], ty, v, def()); };
  bool isF = tyIsFloat(ty);
  bool sgn = tyIsSigned(ty);

  switch (in.op) {
  case Op::Add:
  case Op::Sub: {
    bool sub = in.op == Op::Sub;
    if (isF) {
      uint64_t s[2] = {rd(1), rd(2)};
      if (ty == Ty::F32 && (in.a == RNone || in.a == RN)) {
        float a = bitsToF32(static_cast<uint32_t>(s[0]));
        float b = bitsToF32(static_cast<uint32_t>(s[1]));
        if (in.flags & FTZ) {
          a = ftz(a);
          b = ftz(b);
        }
        float y = sub ? a - b : a + b;
        if (in.flags & FTZ)
          y = ftz(y);
        if (in.flags & SAT)
          y = std::isnan(y) ? 0.f : std::min(1.f, std::max(0.f, y));
        wr(f32ToBits(y));
        return true;
      }
      wr(floatMap(ty, in, s, 2, [&](const double *x) {
        return sub ? x[0] - x[1] : x[0] + x[1];
      }));
      return true;
    }
    uint64_t a = rd(1), b = rd(2);
    uint64_t cin = (in.flags & CARRYIN) ? (t.carry ? 1 : 0) : 0;
    uint64_t r;
    if (!sub) {
      r = a + b + cin;
      if (in.flags & CC) {
        unsigned __int128 w = static_cast<unsigned __int128>(maskTo(a, bits)) +
                              maskTo(b, bits) + cin;
        t.carry = (w >> bits) & 1;
      }
    } else {
      uint64_t bin = (in.flags & CARRYIN) ? (t.carry ? 1 : 0) : 0;
      r = a - b - bin;
      if (in.flags & CC)
        t.carry = maskTo(a, bits) < maskTo(b, bits) + bin ||
                  (bin && maskTo(b, bits) == maskTo(~uint64_t(0), bits));
    }
    if ((in.flags & SAT) && ty == Ty::S32) {
      int64_t w = sub ? sext(a, 32) - sext(b, 32) : sext(a, 32) + sext(b, 32);
      w = std::min<int64_t>(INT32_MAX, std::max<int64_t>(INT32_MIN, w));
      r = static_cast<uint64_t>(w);
    }
    wr(r);
    return true;
  }
  case Op::Mul:
  case Op::Mad:
  case Op::Fma: {
    bool hasC = in.op != Op::Mul;
    if (isF) {
      uint64_t s[3] = {rd(1), rd(2), hasC ? rd(3) : 0};
      if (ty == Ty::F32 && (in.a == RNone || in.a == RN)) {
        float a = bitsToF32(static_cast<uint32_t>(s[0]));
        float b = bitsToF32(static_cast<uint32_t>(s[1]));
        float c = bitsToF32(static_cast<uint32_t>(s[2]));
        if (in.flags & FTZ) {
          a = ftz(a);
          b = ftz(b);
          c = ftz(c);
        }
        float y = hasC ? std::fma(a, b, c) : a * b;
        if (in.flags & FTZ)
          y = ftz(y);
        if (in.flags & SAT)
          y = std::isnan(y) ? 0.f : std::min(1.f, std::max(0.f, y));
        wr(f32ToBits(y));
        return true;
      }
      if (ty == Ty::F64) {
        double a = bitsToF64(s[0]), b = bitsToF64(s[1]), c = bitsToF64(s[2]);
        if (in.a == RNone || in.a == RN) {
          wr(f64ToBits(hasC ? std::fma(a, b, c) : a * b));
          return true;
        }
      }
      wr(floatMap(ty, in, s, hasC ? 3 : 2, [&](const double *x) {
        return hasC ? std::fma(x[0], x[1], x[2]) : x[0] * x[1];
      }));
      return true;
    }
    // Integer multiply: .lo/.hi/.wide on the source type.
    uint64_t a = rd(1), b = rd(2);
    Ty dty = ty;
    uint64_t r;
    if (in.flags & WIDE) {
      if (sgn)
        r = static_cast<uint64_t>(sext(a, bits) * sext(b, bits));
      else
        r = maskTo(a, bits) * maskTo(b, bits);
      dty = bits == 16 ? (sgn ? Ty::S32 : Ty::U32) : (sgn ? Ty::S64 : Ty::U64);
      if (hasC)
        r += cta.read(t, ops[3], dty);
      cta.write(t, ops[0], dty, r, def());
      return true;
    }
    if (in.flags & HI) {
      if (bits == 64) {
        if (sgn)
          r = static_cast<uint64_t>(
              (static_cast<__int128>(static_cast<int64_t>(a)) *
               static_cast<int64_t>(b)) >>
              64);
        else
          r = static_cast<uint64_t>((static_cast<unsigned __int128>(a) * b) >>
                                    64);
      } else if (sgn) {
        r = static_cast<uint64_t>((sext(a, bits) * sext(b, bits)) >> bits);
      } else {
        r = (maskTo(a, bits) * maskTo(b, bits)) >> bits;
      }
    } else {
      r = a * b;
    }
    if (hasC) {
      uint64_t c = rd(3);
      uint64_t cin = (in.flags & CARRYIN) ? (t.carry ? 1 : 0) : 0;
      if (in.flags & CC) {
        unsigned __int128 w = static_cast<unsigned __int128>(maskTo(r, bits)) +
                              maskTo(c, bits) + cin;
        t.carry = (w >> bits) & 1;
      }
      if ((in.flags & SAT) && ty == Ty::S32)
        r = static_cast<uint64_t>(std::min<int64_t>(
            INT32_MAX,
            std::max<int64_t>(INT32_MIN, sext(r, 32) + sext(c, 32))));
      else
        r = r + c + cin;
    }
    wr(r);
    return true;
  }
  case Op::Mul24:
  case Op::Mad24: {
    int64_t a = sgn ? sext(rd(1), 24) : static_cast<int64_t>(rd(1) & 0xffffff);
    int64_t b = sgn ? sext(rd(2), 24) : static_cast<int64_t>(rd(2) & 0xffffff);
    int64_t p = a * b;
    uint64_t r = (in.flags & HI) ? static_cast<uint64_t>(p >> 16)
                                 : static_cast<uint64_t>(p);
    if (in.op == Op::Mad24)
      r += rd(3);
    wr(r);
    return true;
  }
  case Op::Sad: {
    uint64_t a = rd(1), b = rd(2);
    uint64_t d =
        sgn ? static_cast<uint64_t>(std::llabs(sext(a, bits) - sext(b, bits)))
            : (maskTo(a, bits) > maskTo(b, bits)
                   ? maskTo(a, bits) - maskTo(b, bits)
                   : maskTo(b, bits) - maskTo(a, bits));
    wr(d + rd(3));
    return true;
  }
  case Op::Div:
  case Op::Rem: {
    if (isF) {
      uint64_t s[2] = {rd(1), rd(2)};
      if (ty == Ty::F32 && (in.a == RNone || in.a == RN)) {
        float a = bitsToF32(static_cast<uint32_t>(s[0]));
        float b = bitsToF32(static_cast<uint32_t>(s[1]));
        if (in.flags & FTZ) {
          a = ftz(a);
          b = ftz(b);
        }
        float y = a / b;
        wr(f32ToBits((in.flags & FTZ) ? ftz(y) : y));
        return true;
      }
      wr(floatMap(ty, in, s, 2, [&](const double *x) { return x[0] / x[1]; }));
      return true;
    }
    uint64_t a = rd(1), b = rd(2);
    uint64_t r;
    if (maskTo(b, bits) == 0) {
      r = in.op == Op::Div ? ~uint64_t(0) : a; // unspecified by PTX
    } else if (sgn) {
      int64_t x = sext(a, bits), y = sext(b, bits);
      if (y == -1 && x == sext(uint64_t(1) << (bits - 1), bits))
        r = in.op == Op::Div ? static_cast<uint64_t>(x) : 0;
      else
        r = static_cast<uint64_t>(in.op == Op::Div ? x / y : x % y);
    } else {
      r = in.op == Op::Div ? maskTo(a, bits) / maskTo(b, bits)
                           : maskTo(a, bits) % maskTo(b, bits);
    }
    wr(r);
    return true;
  }
  case Op::Abs:
  case Op::Neg: {
    if (isF) {
      uint64_t a = rd(1);
      // Sign-bit operations, lane-wise for packed types; .ftz flushes.
      unsigned lb = tyBits(laneType(ty));
      unsigned lanes = isPackedFloat(ty) ? 2 : 1;
      uint64_t r = 0;
      for (unsigned l = 0; l < lanes; ++l) {
        uint64_t v = (a >> (l * lb)) & maskTo(~uint64_t(0), lb);
        uint64_t sign = uint64_t(1) << (lb - 1);
        if ((in.flags & FTZ) && ty == Ty::F32 &&
            std::fpclassify(bitsToF32(static_cast<uint32_t>(v))) ==
                FP_SUBNORMAL)
          v &= sign;
        v = in.op == Op::Abs ? (v & ~sign) : (v ^ sign);
        r |= v << (l * lb);
      }
      wr(r);
      return true;
    }
    int64_t a = sext(rd(1), bits);
    wr(static_cast<uint64_t>(in.op == Op::Abs ? (a < 0 ? -a : a) : -a));
    return true;
  }
  case Op::Min:
  case Op::Max: {
    bool mx = in.op == Op::Max;
    if (isF) {
      uint64_t s[2] = {rd(1), rd(2)};
      bool nanProp = in.flags & NANF;
      wr(floatMap(ty, in, s, 2, [&](const double *x) {
        if (std::isnan(x[0]) || std::isnan(x[1])) {
          if (nanProp || (std::isnan(x[0]) && std::isnan(x[1])))
            return canonicalNan();
          return std::isnan(x[0]) ? x[1] : x[0];
        }
        if (x[0] == 0 && x[1] == 0)
          return mx ? (std::signbit(x[0]) ? x[1] : x[0])
                    : (std::signbit(x[0]) ? x[0] : x[1]);
        return mx ? std::max(x[0], x[1]) : std::min(x[0], x[1]);
      }));
      return true;
    }
    uint64_t a = rd(1), b = rd(2);
    bool lt =
        sgn ? sext(a, bits) < sext(b, bits) : maskTo(a, bits) < maskTo(b, bits);
    wr(mx ? (lt ? b : a) : (lt ? a : b));
    return true;
  }
  case Op::Copysign: {
    uint64_t a = rd(1), b = rd(2);
    uint64_t sign = uint64_t(1) << (bits - 1);
    wr((b & ~sign) | (a & sign));
    return true;
  }
  case Op::Testp: {
    double x = toDouble(cta.read(t, ops[1], ty), ty);
    bool r = false;
    switch (in.a) {
    case 0:
      r = std::isfinite(x);
      break;
    case 1:
      r = std::isinf(x);
      break;
    case 2:
      r = !std::isnan(x);
      break;
    case 3:
      r = std::isnan(x);
      break;
    case 4:
      r = ty == Ty::F32 ? std::fpclassify(static_cast<float>(x)) == FP_NORMAL
                        : std::fpclassify(x) == FP_NORMAL;
      break;
    case 5:
      r = ty == Ty::F32 ? std::fpclassify(static_cast<float>(x)) == FP_SUBNORMAL
                        : std::fpclassify(x) == FP_SUBNORMAL;
      break;
    }
    cta.write(t, ops[0], Ty::Pred, r, def());
    return true;
  }
  case Op::Rcp:
  case Op::Sqrt:
  case Op::Rsqrt:
  case Op::Ex2:
  case Op::Lg2:
  case Op::Sin:
  case Op::Cos:
  case Op::Tanh: {
    uint64_t s[1] = {rd(1)};
    Op op = in.op;
    bool f32 = laneType(ty) == Ty::F32;
    wr(floatMap(ty, in, s, 1, [&](const double *x) -> double {
      double v = x[0];
      if (f32) {
        float f = static_cast<float>(v);
        switch (op) {
        case Op::Rcp:
          return 1.0f / f;
        case Op::Sqrt:
          return std::sqrt(f);
        case Op::Rsqrt:
          return 1.0f / std::sqrt(f);
        case Op::Ex2:
          return std::exp2(f);
        case Op::Lg2:
          return std::log2(f);
        case Op::Sin:
          return std::sin(f);
        case Op::Cos:
          return std::cos(f);
        default:
          return std::tanh(f);
        }
      }
      switch (op) {
      case Op::Rcp:
        return 1.0 / v;
      case Op::Sqrt:
        return std::sqrt(v);
      case Op::Rsqrt:
        return 1.0 / std::sqrt(v);
      case Op::Ex2:
        return std::exp2(v);
      case Op::Lg2:
        return std::log2(v);
      case Op::Sin:
        return std::sin(v);
      case Op::Cos:
        return std::cos(v);
      default:
        return std::tanh(v);
      }
    }));
    return true;
  }
  case Op::Dp4a:
  case Op::Dp2a: {
    Ty at = in.types[0], bt = in.numTypes > 1 ? in.types[1] : in.types[0];
    uint32_t a = static_cast<uint32_t>(cta.read(t, ops[1], Ty::B32));
    uint32_t b = static_cast<uint32_t>(cta.read(t, ops[2], Ty::B32));
    int64_t acc = sext(cta.read(t, ops[3], Ty::B32), 32);
    bool as = tyIsSigned(at), bs = tyIsSigned(bt);
    if (in.op == Op::Dp4a) {
      for (int i = 0; i < 4; ++i) {
        int64_t x = as ? sext(a >> (8 * i), 8) : (a >> (8 * i)) & 0xff;
        int64_t y = bs ? sext(b >> (8 * i), 8) : (b >> (8 * i)) & 0xff;
        acc += x * y;
      }
    } else {
      unsigned base = (in.flags & HI) ? 2 : 0;
      for (int i = 0; i < 2; ++i) {
        int64_t x = as ? sext(a >> (16 * i), 16) : (a >> (16 * i)) & 0xffff;
        int64_t y = bs ? sext(b >> (8 * (base + i)), 8)
                       : (b >> (8 * (base + i))) & 0xff;
        acc += x * y;
      }
    }
    cta.write(t, ops[0], Ty::B32, static_cast<uint64_t>(acc), def());
    return true;
  }
  case Op::And:
  case Op::Or:
  case Op::Xor: {
    uint64_t a = rd(1), b = rd(2);
    wr(in.op == Op::And ? (a & b) : in.op == Op::Or ? (a | b) : (a ^ b));
    return true;
  }
  case Op::Not:
    wr(ty == Ty::Pred ? !rd(1) : ~rd(1));
    return true;
  case Op::Cnot:
    wr(maskTo(rd(1), bits) == 0 ? 1 : 0);
    return true;
  case Op::Lop3: {
    uint64_t a = rd(1), b = rd(2), c = rd(3);
    uint32_t lut = static_cast<uint32_t>(cta.read(t, ops[4], Ty::B32));
    uint64_t r = 0;
    for (unsigned i = 0; i < 8; ++i) {
      if (!((lut >> i) & 1))
        continue;
      uint64_t ta = (i & 4) ? a : ~a;
      uint64_t tb = (i & 2) ? b : ~b;
      uint64_t tc = (i & 1) ? c : ~c;
      r |= ta & tb & tc;
    }
    wr(r);
    return true;
  }
  case Op::Shl:
  case Op::Shr: {
    uint64_t a = rd(1);
    uint64_t n = cta.read(t, ops[2], Ty::U32);
    uint64_t r;
    if (in.op == Op::Shl)
      r = n >= bits ? 0 : a << n;
    else if (sgn)
      r = static_cast<uint64_t>(sext(a, bits) >> std::min<uint64_t>(n, 63));
    else
      r = n >= bits ? 0 : maskTo(a, bits) >> n;
    wr(r);
    return true;
  }
  case Op::Shf: {
    uint64_t lo = cta.read(t, ops[1], Ty::B32);
    uint64_t hi = cta.read(t, ops[2], Ty::B32);
    uint32_t n = static_cast<uint32_t>(cta.read(t, ops[3], Ty::U32));
    n = (in.flags & CLAMP) ? std::min(n, 32u) : (n & 31);
    uint64_t v = (hi << 32) | lo;
    uint64_t r = (in.flags & LEFT) ? ((v << n) >> 32) : (v >> n);
    cta.write(t, ops[0], Ty::B32, r, def());
    return true;
  }
  case Op::Prmt: {
    uint32_t a = static_cast<uint32_t>(cta.read(t, ops[1], Ty::B32));
    uint32_t b = static_cast<uint32_t>(cta.read(t, ops[2], Ty::B32));
    uint32_t c = static_cast<uint32_t>(cta.read(t, ops[3], Ty::B32));
    uint64_t bytes = (uint64_t(b) << 32) | a;
    auto byteAt = [&](unsigned i) {
      return static_cast<uint32_t>((bytes >> (8 * (i & 7))) & 0xff);
    };
    uint32_t r = 0;
    if (in.a == PrmtDefault) {
      for (unsigned i = 0; i < 4; ++i) {
        unsigned sel = (c >> (4 * i)) & 0xf;
        uint32_t v = byteAt(sel & 7);
        if (sel & 8)
          v = (v & 0x80) ? 0xff : 0;
        r |= v << (8 * i);
      }
    } else {
      unsigned s = c & 3;
      unsigned idx[4];
      switch (in.a) {
      case PrmtF4e:
        for (unsigned i = 0; i < 4; ++i)
          idx[i] = s + i;
        break;
      case PrmtB4e:
        for (unsigned i = 0; i < 4; ++i)
          idx[i] = (s + 8 - i) & 7;
        break;
      case PrmtRc8:
        for (unsigned i = 0; i < 4; ++i)
          idx[i] = s;
        break;
      case PrmtEcl:
        for (unsigned i = 0; i < 4; ++i)
          idx[i] = i < s ? s : i;
        idx[0] = s;
        for (unsigned i = 1; i < 4; ++i)
          idx[i] = std::max(i, s);
        break;
      case PrmtEcr:
        for (unsigned i = 0; i < 4; ++i)
          idx[i] = std::min(i, s);
        break;
      default: // rc16
        idx[0] = (s & 1) * 2;
        idx[1] = (s & 1) * 2 + 1;
        idx[2] = idx[0];
        idx[3] = idx[1];
        break;
      }
      for (unsigned i = 0; i < 4; ++i)
        r |= byteAt(idx[i]) << (8 * i);
    }
    cta.write(t, ops[0], Ty::B32, r, def());
    return true;
  }
  case Op::Popc:
    cta.write(t, ops[0], Ty::U32, __builtin_popcountll(maskTo(rd(1), bits)),
              def());
    return true;
  case Op::Clz: {
    uint64_t v = maskTo(rd(1), bits);
    cta.write(t, ops[0], Ty::U32,
              v == 0 ? bits : __builtin_clzll(v) - (64 - bits), def());
    return true;
  }
  case Op::Brev: {
    uint64_t v = rd(1), r = 0;
    for (unsigned i = 0; i < bits; ++i)
      if ((v >> i) & 1)
        r |= uint64_t(1) << (bits - 1 - i);
    wr(r);
    return true;
  }
  case Op::Bfind: {
    uint64_t v = maskTo(rd(1), bits);
    if (sgn && sext(v, bits) < 0)
      v = maskTo(~v, bits);
    uint64_t r;
    if (v == 0)
      r = 0xffffffffu;
    else {
      unsigned pos = 63 - __builtin_clzll(v);
      r = (in.flags & SHIFTAMT) ? (bits - 1 - pos) : pos;
    }
    cta.write(t, ops[0], Ty::U32, r, def());
    return true;
  }
  case Op::Bfe: {
    uint64_t a = rd(1);
    unsigned pos = static_cast<unsigned>(cta.read(t, ops[2], Ty::U32) & 0xff);
    unsigned len = static_cast<unsigned>(cta.read(t, ops[3], Ty::U32) & 0xff);
    uint64_t r = 0;
    bool sbit = false;
    if (sgn)
      sbit = len == 0 ? false : ((a >> std::min(pos + len - 1, bits - 1)) & 1);
    for (unsigned i = 0; i < bits; ++i) {
      bool bit = i < len && pos + i < bits ? (a >> (pos + i)) & 1 : sbit;
      if (bit)
        r |= uint64_t(1) << i;
    }
    wr(r);
    return true;
  }
  case Op::Bfi: {
    uint64_t a = rd(1), b = rd(2);
    unsigned pos = static_cast<unsigned>(cta.read(t, ops[3], Ty::U32) & 0xff);
    unsigned len = static_cast<unsigned>(cta.read(t, ops[4], Ty::U32) & 0xff);
    uint64_t r = b;
    for (unsigned i = 0; i < len && pos + i < bits; ++i) {
      uint64_t bit = uint64_t(1) << (pos + i);
      r = ((a >> i) & 1) ? (r | bit) : (r & ~bit);
    }
    wr(r);
    return true;
  }
  case Op::Setp: {
    Ty st = ty;
    bool r = compare(static_cast<Cmp>(in.b), st, cta.read(t, ops[1], st),
                     cta.read(t, ops[2], st));
    bool d = def();
    const Operand &dst = ops[0];
    if (isPackedFloat(st)) {
      // setp.f16x2 p|q: lane-wise.
      Ty lt = laneType(st);
      uint64_t a = cta.read(t, ops[1], st), b = cta.read(t, ops[2], st);
      bool lo = compare(static_cast<Cmp>(in.b), lt, a & 0xffff, b & 0xffff);
      bool hi = compare(static_cast<Cmp>(in.b), lt, a >> 16, b >> 16);
      cta.write(t, cta.elem(dst, 0), Ty::Pred, lo, d);
      if (cta.elemCount(dst) > 1)
        cta.write(t, cta.elem(dst, 1), Ty::Pred, hi, d);
      return true;
    }
    bool c = true;
    if (in.c != BNone && ops.size() > 3)
      c = cta.read(t, ops[3], Ty::Pred) != 0;
    cta.write(t, cta.elem(dst, 0), Ty::Pred,
              boolOp(static_cast<BoolOp>(in.c), r, c), d);
    if (cta.elemCount(dst) > 1)
      cta.write(t, cta.elem(dst, 1), Ty::Pred,
                boolOp(static_cast<BoolOp>(in.c), !r, c), d);
    return true;
  }
  case Op::Set: {
    Ty dt = in.types[0], st = in.numTypes > 1 ? in.types[1] : in.types[0];
    bool r = compare(static_cast<Cmp>(in.b), st, cta.read(t, ops[1], st),
                     cta.read(t, ops[2], st));
    if (in.c != BNone && ops.size() > 3)
      r = boolOp(static_cast<BoolOp>(in.c), r,
                 cta.read(t, ops[3], Ty::Pred) != 0);
    uint64_t v =
        tyIsFloat(dt) ? (r ? fromDouble(1.0, dt) : 0) : (r ? ~uint64_t(0) : 0);
    cta.write(t, ops[0], dt, v, def());
    return true;
  }
  case Op::Selp: {
    bool p = cta.read(t, ops[3], Ty::Pred) != 0;
    wr(p ? rd(1) : rd(2));
    return true;
  }
  case Op::Slct: {
    Ty ct = in.numTypes > 1 ? in.types[1] : Ty::S32;
    uint64_t c = cta.read(t, ops[3], ct);
    bool ge = ct == Ty::F32 ? !(bitsToF32(static_cast<uint32_t>(c)) < 0.0f)
                            : sext(c, 32) >= 0;
    if (ct == Ty::F32 && (in.flags & FTZ) &&
        std::fpclassify(bitsToF32(static_cast<uint32_t>(c))) == FP_SUBNORMAL)
      ge = true;
    wr(ge ? rd(1) : rd(2));
    return true;
  }
  case Op::Mov: {
    const Operand &d = ops[0], &s = ops[1];
    bool dd = def();
    if (d.kind == Operand::Kind::Vec) {
      // Unpack: mov.b64 {lo, hi}, %rd.
      uint64_t v = cta.read(t, s, ty);
      unsigned n = d.vecCount, eb = bits / n;
      for (unsigned i = 0; i < n; ++i)
        cta.write(t, cta.elem(d, i), Ty::None, maskTo(v >> (i * eb), eb), dd);
      return true;
    }
    if (s.kind == Operand::Kind::Vec) {
      unsigned n = s.vecCount, eb = bits / n;
      uint64_t v = 0;
      for (unsigned i = 0; i < n; ++i) {
        const Operand &e = cta.elem(s, i);
        uint64_t ev =
            e.kind == Operand::Kind::Sink ? 0 : cta.read(t, e, Ty::None);
        v |= maskTo(ev, eb) << (i * eb);
      }
      cta.write(t, d, ty, v, dd);
      return true;
    }
    wr(rd(1));
    return true;
  }
  case Op::Cvt: {
    Ty dt = in.types[0], st = in.numTypes > 1 ? in.types[1] : in.types[0];
    bool ok;
    bool dd = def();
    // Packed destinations: cvt.rn.f16x2.f32 d, a, b puts a in the upper
    // half; cvt.rn.satfinite.e4m3x2.f32 likewise in bytes.
    if (dt == Ty::F16x2 || dt == Ty::BF16x2 || dt == Ty::E4M3x2 ||
        dt == Ty::E5M2x2) {
      Ty lane = dt == Ty::F16x2    ? Ty::F16
                : dt == Ty::BF16x2 ? Ty::BF16
                : dt == Ty::E4M3x2 ? Ty::E4M3
                                   : Ty::E5M2;
      unsigned lb = tyBits(lane);
      if (st == Ty::E4M3x2 || st == Ty::E5M2x2) {
        // Unpack fp8x2 to f16x2: the low byte goes to the low half.
        Ty sl = st == Ty::E4M3x2 ? Ty::E4M3 : Ty::E5M2;
        uint64_t v = cta.read(t, ops[1], Ty::B16);
        uint64_t lo = convert(lane, sl, v & 0xff, in, ok);
        uint64_t hi = convert(lane, sl, (v >> 8) & 0xff, in, ok);
        cta.write(t, ops[0], Ty::B32, lo | (hi << 16), dd);
        return true;
      }
      if (ops.size() < 3) {
        // cvt.rn.satfinite.e4m3x2.f16x2 d, a: packed to packed.
        Ty sl = st == Ty::F16x2 ? Ty::F16 : Ty::BF16;
        uint64_t v = cta.read(t, ops[1], Ty::B32);
        uint64_t lo = convert(lane, sl, v & 0xffff, in, ok);
        uint64_t hi = convert(lane, sl, (v >> 16) & 0xffff, in, ok);
        cta.write(t, ops[0], Ty::None, lo | (hi << lb), dd);
        return true;
      }
      uint64_t hi = convert(lane, st, cta.read(t, ops[1], st), in, ok);
      uint64_t lo = convert(lane, st, cta.read(t, ops[2], st), in, ok);
      cta.write(t, ops[0], Ty::None, maskTo(lo, lb) | (maskTo(hi, lb) << lb),
                dd);
      return true;
    }
    uint64_t v = cta.read(t, ops[1], st);
    uint64_t r = convert(dt, st, v, in, ok);
    // cvt writes the destination register at its declared width: a signed
    // narrow result sign-extends into a wider register.
    if (!tyIsFloat(dt) && tyIsSigned(dt))
      r = static_cast<uint64_t>(sext(r, tyBits(dt)));
    cta.write(t, ops[0], Ty::None, r, dd);
    return true;
  }
  default:
    return false;
  }
}

} // namespace attn::gpusim::detail
