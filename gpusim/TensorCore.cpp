//===- TensorCore.cpp - mma, ldmatrix, stmatrix, wgmma and TMA ------------===//
//
// Semantics of the tensor-core instructions and the tensor memory
// accelerator (TMA): warp-level mma.sync, ldmatrix/stmatrix, warpgroup
// wgmma.mma_async with shared-memory matrix descriptors, and the bulk copies
// cp.async.bulk{.tensor}. Register fragments, descriptor layouts and
// swizzles follow the PTX ISA.
//
// Numerics: products of the (exactly decoded) inputs and their sum with the
// accumulator are computed in double, then rounded once to the accumulator
// type (round to nearest even). Hardware accumulates in a fixed-point-like
// datapath that truncates low-order bits, so its results can differ from
// ours in the last bit or two of an f32 accumulator; the simulator is the
// "exact-ish" reference. tf32 inputs use the upper 19 bits of the register.
//
// Shared-memory swizzles (wgmma descriptors, TMA) act on the shared-window
// offset: the 16-byte chunk bits [4..6] are XORed with bits [7..9] (128B),
// [4..5] with [7..8] (64B) or bit 4 with bit 7 (32B). wgmma results are
// applied at issue; shared-memory reads of wgmma and TMA are attributed to
// thread 0 of the warpgroup and to the async actor (racecheck).
//
// Not modeled (rejected with a message, or by the decoder): mma m8n8k4 and
// sub-byte/b1 shapes, sparse mma/wgmma, ldmatrix/stmatrix shapes other than
// m8n8.b16, TMA im2col mode, multicast, cp.reduce.async.bulk, the NaN
// out-of-bound fill mode and interleaved tensor-map layouts; L2 cache hints
// are ignored. The descriptor base offset is taken as the row phase of the
// swizzle pattern ((address >> 7) - base offset); CUTLASS always uses 0.
//
//===----------------------------------------------------------------------===//

#include "Executor.h"
#include "FloatFormats.h"
#include "attn/runtime/attn_tensor_map.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace attn::gpusim::detail {

namespace {

std::string hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

//===----------------------------------------------------------------------===//
// Element formats
//===----------------------------------------------------------------------===//

/// Storage bits of a multiplicand element type (0: not a multiplicand).
unsigned inputBits(Ty ty) {
  switch (ty) {
  case Ty::F16:
  case Ty::BF16:
    return 16;
  case Ty::TF32:
    return 32;
  case Ty::E4M3:
  case Ty::E5M2:
  case Ty::S8:
  case Ty::U8:
    return 8;
  default:
    return 0;
  }
}

bool isIntInput(Ty ty) { return ty == Ty::S8 || ty == Ty::U8; }
bool isFp8(Ty ty) { return ty == Ty::E4M3 || ty == Ty::E5M2; }

/// The value of one multiplicand element (the low bits of `bits`).
double decodeInput(Ty ty, uint32_t bits) {
  switch (ty) {
  case Ty::F16:
    return f16ToDouble(bits & 0xffff);
  case Ty::BF16:
    return bf16ToDouble(bits & 0xffff);
  case Ty::TF32:
    return bitsToF32(bits & 0xffffe000u);
  case Ty::E4M3:
    return decodeFloat(bits & 0xff, kE4M3);
  case Ty::E5M2:
    return decodeFloat(bits & 0xff, kE5M2);
  case Ty::S8:
    return static_cast<int8_t>(bits & 0xff);
  case Ty::U8:
    return bits & 0xff;
  default:
    return 0;
  }
}

/// Accumulator elements per 32-bit register.
unsigned accPerReg(Ty ty) { return ty == Ty::F16 ? 2 : 1; }

double decodeAcc(Ty ty, uint32_t bits) {
  switch (ty) {
  case Ty::F16:
    return f16ToDouble(bits & 0xffff);
  case Ty::F32:
    return bitsToF32(bits);
  case Ty::S32:
    return static_cast<int32_t>(bits);
  default:
    return 0;
  }
}

uint32_t encodeAcc(Ty ty, double v, bool satfinite) {
  switch (ty) {
  case Ty::F16:
    return doubleToF16(v, dec::RN, satfinite);
  case Ty::F32:
    if (std::isnan(v))
      return 0x7fffffffu;
    return f32ToBits(static_cast<float>(v));
  case Ty::S32: {
    // Integer sums of at most a few thousand 8-bit products are exact in
    // double; wrap (or clamp with .satfinite) to 32 bits.
    int64_t i = static_cast<int64_t>(v);
    if (satfinite) {
      if (i > INT32_MAX)
        i = INT32_MAX;
      if (i < INT32_MIN)
        i = INT32_MIN;
    }
    return static_cast<uint32_t>(i);
  }
  default:
    return 0;
  }
}

/// Whether `acc` may accumulate products of `in` (mma and wgmma agree).
bool validAccumulator(Ty in, Ty acc) {
  if (isIntInput(in))
    return acc == Ty::S32;
  if (in == Ty::F16 || isFp8(in))
    return acc == Ty::F32 || acc == Ty::F16;
  return acc == Ty::F32; // bf16, tf32
}

/// Validates the multiplicand types of mma/wgmma: A and B of one family
/// (f16, bf16, tf32, fp8 or 8-bit integer).
bool validInputs(Ty a, Ty b) {
  if (isFp8(a))
    return isFp8(b);
  if (isIntInput(a))
    return isIntInput(b);
  return inputBits(a) != 0 && a == b;
}

//===----------------------------------------------------------------------===//
// Shared-memory swizzles
//===----------------------------------------------------------------------===//

/// Swizzles a shared-memory byte address for a swizzle span of 32, 64 or 128
/// bytes (0: none): the 16-byte chunk index (bits 4..) is XORed with the
/// 128-byte row index (bits 7..) within the repeating pattern of 256, 512 or
/// 1024 bytes. `phase` (the descriptor base offset) is the row index of the
/// pattern start modulo 8, for patterns that do not start at an aligned
/// address.
uint64_t swizzle(uint64_t addr, unsigned span, unsigned phase = 0) {
  if (span == 0)
    return addr;
  uint64_t mask = span / 16 - 1; // 7, 3 or 1
  uint64_t row = ((addr >> 7) - phase) & mask;
  return addr ^ (row << 4);
}

/// Reads the shared offset of a row address operand of ldmatrix/stmatrix.
bool rowAddress(Cta &cta, ThreadState &t, const Instr &in, const Operand &o,
                const char *what, uint64_t &off) {
  if (cta.options.initcheck && !cta.isDefined(t, o)) {
    cta.fault(t, in,
              std::string(what) +
                  ": the row address is computed from an uninitialized value");
    return false;
  }
  if (in.space == Space::Shared) {
    off = cta.address(t, o, Space::Shared);
  } else {
    uint64_t g = cta.address(t, o, Space::Generic);
    if (!cta.genericToShared(g, off)) {
      cta.fault(t, in,
                std::string(what) + ": the generic row address " + hex(g) +
                    " of lane " + std::to_string(t.lane) +
                    " is not in shared memory");
      return false;
    }
  }
  if (off % 16) {
    cta.fault(t, in,
              std::string(what) + ": the row address (shared offset " +
                  hex(off) + ") of lane " + std::to_string(t.lane) +
                  " is not 16-byte aligned");
    return false;
  }
  return true;
}

} // namespace

//===----------------------------------------------------------------------===//
// mma.sync
//===----------------------------------------------------------------------===//

// Fragment layouts (PTX ISA, "Matrix Fragments for mma.m16n8k*"), with
// groupID g = lane / 4, threadID_in_group t = lane % 4 and P elements per
// 32-bit register (2 for 16-bit, 4 for 8-bit, 1 for tf32):
//   A register r, element e: row g + 8 * (r % 2), col P*t + e + 4P * (r / 2)
//   B register r, element e: row (k) P*t + e + 4P * r, col (n) g
//   C/D element i (0..3):    row g + 8 * (i / 2), col 2t + i % 2
// This covers m16n8k8/k16 (f16, bf16), m16n8k4/k8 (tf32) and m16n8k16/k32
// (e4m3, e5m2, s8, u8).
void execMma(Cta &cta, std::vector<ThreadState *> &lanes, const Instr &in) {
  ThreadState &t0 = *lanes[0];
  if (lanes.size() != 32) {
    cta.fault(t0, in, "mma.sync needs all 32 lanes of the warp");
    return;
  }
  if (in.numTypes != 4 || in.ops.size() < 4) {
    cta.fault(t0, in, "mma needs the D, A, B and C types and four operands");
    return;
  }
  Ty dTy = in.types[0], aTy = in.types[1], bTy = in.types[2], cTy = in.types[3];
  if (!validInputs(aTy, bTy) || !validAccumulator(aTy, dTy) ||
      !validAccumulator(aTy, cTy)) {
    cta.fault(t0, in,
              std::string("unsupported mma types .") + tyName(dTy) + "." +
                  tyName(aTy) + "." + tyName(bTy) + "." + tyName(cTy));
    return;
  }
  unsigned bits = inputBits(aTy);
  unsigned P = 32 / bits;
  unsigned K = in.k;
  // Supported K per element width: 4*P (one register per row pair) or 8*P.
  if (in.m != 16 || in.n != 8 || (K != 4 * P && K != 8 * P)) {
    cta.fault(t0, in,
              "unsupported mma shape m" + std::to_string(in.m) + "n" +
                  std::to_string(in.n) + "k" + std::to_string(K) + " for ." +
                  tyName(aTy) + " (m16n8k" + std::to_string(4 * P) +
                  " and m16n8k" + std::to_string(8 * P) + " are modeled)");
    return;
  }
  if (in.a != dec::RowMajor || in.b != dec::ColMajor) {
    cta.fault(t0, in, "mma.m16n8 requires the .row.col layouts");
    return;
  }
  const unsigned regsA = 16 * K / (32 * P), regsB = 8 * K / (32 * P);
  const unsigned regsC = 4 / accPerReg(cTy), regsD = 4 / accPerReg(dTy);
  const Operand &opD = in.ops[0], &opA = in.ops[1], &opB = in.ops[2],
                &opC = in.ops[3];
  if (cta.elemCount(opD) != regsD || cta.elemCount(opA) != regsA ||
      cta.elemCount(opB) != regsB || cta.elemCount(opC) != regsC) {
    cta.fault(t0, in,
              "mma operands have the wrong number of registers (expected " +
                  std::to_string(regsD) + ", " + std::to_string(regsA) + ", " +
                  std::to_string(regsB) + ", " + std::to_string(regsC) + ")");
    return;
  }

  double A[16][32], B[32][8], C[16][8];
  bool defA[16][32], defB[32][8], defC[16][8];
  const uint32_t emask = bits == 32 ? 0xffffffffu : (1u << bits) - 1;
  for (unsigned l = 0; l < 32; ++l) {
    ThreadState &t = *lanes[l];
    unsigned g = l / 4, tq = l % 4;
    for (unsigned r = 0; r < regsA; ++r) {
      const Operand &o = cta.elem(opA, r);
      uint32_t v = static_cast<uint32_t>(cta.read(t, o, Ty::B32));
      bool def = cta.isDefined(t, o);
      for (unsigned e = 0; e < P; ++e) {
        unsigned row = g + 8 * (r % 2), col = P * tq + e + 4 * P * (r / 2);
        A[row][col] = decodeInput(aTy, (v >> (e * bits)) & emask);
        defA[row][col] = def;
      }
    }
    for (unsigned r = 0; r < regsB; ++r) {
      const Operand &o = cta.elem(opB, r);
      uint32_t v = static_cast<uint32_t>(cta.read(t, o, Ty::B32));
      bool def = cta.isDefined(t, o);
      for (unsigned e = 0; e < P; ++e) {
        unsigned k = P * tq + e + 4 * P * r;
        B[k][g] = decodeInput(bTy, (v >> (e * bits)) & emask);
        defB[k][g] = def;
      }
    }
    unsigned pc = accPerReg(cTy);
    for (unsigned r = 0; r < regsC; ++r) {
      const Operand &o = cta.elem(opC, r);
      uint32_t v = static_cast<uint32_t>(cta.read(t, o, Ty::B32));
      bool def = cta.isDefined(t, o);
      for (unsigned e = 0; e < pc; ++e) {
        unsigned i = r * pc + e;
        unsigned row = g + 8 * (i / 2), col = 2 * tq + i % 2;
        C[row][col] = decodeAcc(cTy, pc == 2 ? (v >> (16 * e)) & 0xffff : v);
        defC[row][col] = def;
      }
    }
  }

  bool satfinite = in.flags & dec::SATFINITE;
  unsigned pd = accPerReg(dTy);
  for (unsigned l = 0; l < 32; ++l) {
    ThreadState &t = *lanes[l];
    unsigned g = l / 4, tq = l % 4;
    for (unsigned r = 0; r < regsD; ++r) {
      uint32_t v = 0;
      bool def = true;
      for (unsigned e = 0; e < pd; ++e) {
        unsigned i = r * pd + e;
        unsigned row = g + 8 * (i / 2), col = 2 * tq + i % 2;
        double sum = C[row][col];
        bool d = defC[row][col];
        for (unsigned k = 0; k < K; ++k) {
          sum += A[row][k] * B[k][col];
          d = d && defA[row][k] && defB[k][col];
        }
        uint32_t enc = encodeAcc(dTy, sum, satfinite);
        v |= pd == 2 ? (enc & 0xffff) << (16 * e) : enc;
        def = def && d;
      }
      cta.write(t, cta.elem(in.ops[0], r), Ty::B32, v, def);
    }
  }
}

//===----------------------------------------------------------------------===//
// ldmatrix / stmatrix
//===----------------------------------------------------------------------===//

// .m8n8.b16: matrix i has its 8 rows of 16 bytes at the addresses of lanes
// 8i..8i+7. Lane l holds, in register i, row l/4, columns 2(l%4) and
// 2(l%4)+1 (low half first); with .trans, rows 2(l%4) and 2(l%4)+1 of
// column l/4.
void execLdmatrix(Cta &cta, std::vector<ThreadState *> &lanes,
                  const Instr &in) {
  ThreadState &t0 = *lanes[0];
  if (lanes.size() != 32) {
    cta.fault(t0, in, "ldmatrix needs all 32 lanes of the warp");
    return;
  }
  if (in.numTypes != 1 || in.types[0] != Ty::B16) {
    cta.fault(t0, in, "ldmatrix: only .m8n8 .b16 is modeled");
    return;
  }
  unsigned nmat = in.n;
  if (in.ops.size() < 2 || cta.elemCount(in.ops[0]) != nmat) {
    cta.fault(t0, in,
              "ldmatrix .x" + std::to_string(nmat) + " needs " +
                  std::to_string(nmat) + " destination registers");
    return;
  }
  uint16_t rows[4][8][8];
  bool rowDef[4][8];
  for (unsigned i = 0; i < nmat; ++i)
    for (unsigned r = 0; r < 8; ++r) {
      ThreadState &src = *lanes[8 * i + r];
      uint64_t off;
      if (!rowAddress(cta, src, in, in.ops[1], "ldmatrix", off))
        return;
      bool def = true;
      if (!cta.load(src, in, Space::Shared, off, 16, rows[i][r], &def))
        return;
      rowDef[i][r] = def;
    }
  bool trans = in.flags & dec::TRANS;
  for (unsigned l = 0; l < 32; ++l) {
    for (unsigned i = 0; i < nmat; ++i) {
      uint32_t lo, hi;
      bool def;
      if (!trans) {
        unsigned r = l / 4, c = 2 * (l % 4);
        lo = rows[i][r][c];
        hi = rows[i][r][c + 1];
        def = rowDef[i][r];
      } else {
        unsigned c = l / 4, r = 2 * (l % 4);
        lo = rows[i][r][c];
        hi = rows[i][r + 1][c];
        def = rowDef[i][r] && rowDef[i][r + 1];
      }
      cta.write(*lanes[l], cta.elem(in.ops[0], i), Ty::B32, lo | (hi << 16),
                def);
    }
  }
}

void execStmatrix(Cta &cta, std::vector<ThreadState *> &lanes,
                  const Instr &in) {
  ThreadState &t0 = *lanes[0];
  if (lanes.size() != 32) {
    cta.fault(t0, in, "stmatrix needs all 32 lanes of the warp");
    return;
  }
  if (in.numTypes != 1 || in.types[0] != Ty::B16) {
    cta.fault(t0, in, "stmatrix: only .m8n8 .b16 is modeled");
    return;
  }
  unsigned nmat = in.n;
  if (in.ops.size() < 2 || cta.elemCount(in.ops[1]) != nmat) {
    cta.fault(t0, in,
              "stmatrix .x" + std::to_string(nmat) + " needs " +
                  std::to_string(nmat) + " source registers");
    return;
  }
  uint16_t rows[4][8][8];
  bool rowDef[4][8];
  for (unsigned i = 0; i < nmat; ++i)
    for (unsigned r = 0; r < 8; ++r)
      rowDef[i][r] = true;
  bool trans = in.flags & dec::TRANS;
  for (unsigned l = 0; l < 32; ++l) {
    ThreadState &t = *lanes[l];
    for (unsigned i = 0; i < nmat; ++i) {
      const Operand &o = cta.elem(in.ops[1], i);
      uint32_t v = static_cast<uint32_t>(cta.read(t, o, Ty::B32));
      bool def = cta.isDefined(t, o);
      uint16_t lo = v & 0xffff, hi = v >> 16;
      if (!trans) {
        unsigned r = l / 4, c = 2 * (l % 4);
        rows[i][r][c] = lo;
        rows[i][r][c + 1] = hi;
        rowDef[i][r] = rowDef[i][r] && def;
      } else {
        unsigned c = l / 4, r = 2 * (l % 4);
        rows[i][r][c] = lo;
        rows[i][r + 1][c] = hi;
        rowDef[i][r] = rowDef[i][r] && def;
        rowDef[i][r + 1] = rowDef[i][r + 1] && def;
      }
    }
  }
  for (unsigned i = 0; i < nmat; ++i)
    for (unsigned r = 0; r < 8; ++r) {
      ThreadState &dst = *lanes[8 * i + r];
      uint64_t off;
      if (!rowAddress(cta, dst, in, in.ops[0], "stmatrix", off))
        return;
      if (!cta.store(dst, in, Space::Shared, off, 16, rows[i][r], rowDef[i][r]))
        return;
    }
}

//===----------------------------------------------------------------------===//
// wgmma.mma_async
//===----------------------------------------------------------------------===//

namespace {

/// A decoded shared-memory matrix descriptor (PTX ISA "Matrix Descriptor
/// Format"): byte values.
struct MatrixDesc {
  uint64_t start = 0, lbo = 0, sbo = 0;
  unsigned phase = 0; ///< base offset
  unsigned span = 0;  ///< swizzle bytes: 0 (none/interleave), 32, 64, 128
};

MatrixDesc decodeDesc(uint64_t d) {
  MatrixDesc m;
  m.start = (d & 0x3fff) << 4;
  m.lbo = ((d >> 16) & 0x3fff) << 4;
  m.sbo = ((d >> 32) & 0x3fff) << 4;
  m.phase = static_cast<unsigned>((d >> 49) & 7);
  static const unsigned spans[4] = {0, 128, 64, 32};
  m.span = spans[d >> 62];
  return m;
}

/// The shared address of the 16 bytes holding element (mn, k) of a
/// canonical layout (PTX ISA "Shared Memory Matrix Layout"; T = 16 / eb
/// elements per 16 bytes, W the swizzle span):
///   K-major,  none:     ((8,m),(T,2k)):((1T,SBO),(1,LBO))
///   K-major,  swizzled: ((8,m),(T,2k)):((W/eb,SBO),(1,T))   LBO unused
///   MN-major, none:     ((T,1,m),(8,k)):((1,T,SBO),(1T,LBO))
///   MN-major, swizzled: ((T,W/16,m),(8,k)):((1,T,LBO),(W/eb,SBO))
/// then the swizzle on the address. Returns the swizzled address of the
/// element's 16-byte chunk; `within` the element's byte offset in it.
uint64_t descChunk(const MatrixDesc &d, bool mnMajor, unsigned mn, unsigned k,
                   unsigned eb, unsigned &within) {
  uint64_t a;
  if (!mnMajor) {
    uint64_t kb = uint64_t(k) * eb;
    if (d.span == 0)
      a = d.start + (mn / 8) * d.sbo + (mn % 8) * 16 + (kb / 16) * d.lbo +
          kb % 16;
    else
      a = d.start + (mn / 8) * d.sbo + (mn % 8) * d.span + kb;
  } else {
    if (d.span == 0) {
      unsigned T = 16 / eb;
      a = d.start + (mn / T) * d.sbo + (mn % T) * eb + (k / 8) * d.lbo +
          (k % 8) * 16;
    } else {
      unsigned per = d.span / eb;
      a = d.start + (mn / per) * d.lbo + (mn % per) * eb + (k / 8) * d.sbo +
          (k % 8) * d.span;
    }
  }
  within = static_cast<unsigned>(a % 16);
  return swizzle(a - within, d.span, d.phase);
}

/// Reads an MN x K operand (element bits in `out[mn * K + k]`) through a
/// descriptor. Reads are attributed to thread `t` (racecheck).
bool readDescMatrix(Cta &cta, ThreadState &t, const Instr &in, uint64_t desc,
                    bool mnMajor, unsigned MN, unsigned K, unsigned eb,
                    const char *which, std::vector<uint32_t> &out) {
  MatrixDesc d = decodeDesc(desc);
  out.assign(size_t(MN) * K, 0);
  // Chunks already read (address -> bytes), reused across elements.
  uint64_t lastAddr = UINT64_MAX;
  uint8_t chunk[16];
  for (unsigned mn = 0; mn < MN; ++mn)
    for (unsigned k = 0; k < K; ++k) {
      unsigned within;
      uint64_t a = descChunk(d, mnMajor, mn, k, eb, within);
      if (a != lastAddr) {
        if (a + 16 > cta.sharedBytes()) {
          cta.fault(t, in,
                    std::string("wgmma: the ") + which + " descriptor " +
                        hex(desc) + " addresses shared offset " + hex(a) +
                        ", outside the " + std::to_string(cta.sharedBytes()) +
                        " bytes of shared memory");
          return false;
        }
        if (!cta.sharedRead(t, in, a, 16, chunk))
          return false;
        lastAddr = a;
      }
      uint32_t v = 0;
      std::memcpy(&v, chunk + within, eb);
      out[size_t(mn) * K + k] = v;
    }
  return true;
}

} // namespace

// D fragment (PTX ISA "wgmma Register Fragments"): thread tid of the
// warpgroup, warp w = tid / 32, g = lane / 4, t = lane % 4; accumulator
// element i: row 16w + g + 8 * ((i % 4) / 2), col 8 * (i / 4) + 2t + i % 2.
// A from registers: warp w's 16 rows in the mma.m16n8k* A layout.
void execWgmma(Cta &cta, std::vector<ThreadState *> &lanes, const Instr &in) {
  ThreadState &t0 = *lanes[0];
  if (lanes.size() != 128) {
    cta.fault(t0, in, "wgmma needs the 128 threads of a warpgroup");
    return;
  }
  if (in.numTypes != 3) {
    cta.fault(t0, in, "wgmma needs the D, A and B types");
    return;
  }
  Ty dTy = in.types[0], aTy = in.types[1], bTy = in.types[2];
  if (!validInputs(aTy, bTy) || !validAccumulator(aTy, dTy)) {
    cta.fault(t0, in,
              std::string("unsupported wgmma types .") + tyName(dTy) + "." +
                  tyName(aTy) + "." + tyName(bTy));
    return;
  }
  unsigned bits = inputBits(aTy), eb = bits / 8, P = 32 / bits;
  unsigned M = 64, N = in.n, K = 8 * P; // k16 (16-bit), k8 (tf32), k32
  if (in.m != 64 || in.k != K || N < 8 || N > 256 || N % 8) {
    cta.fault(t0, in,
              "unsupported wgmma shape m" + std::to_string(in.m) + "n" +
                  std::to_string(N) + "k" + std::to_string(in.k) + " for ." +
                  tyName(aTy) + " (m64nNk" + std::to_string(K) +
                  ", N a multiple of 8 up to 256)");
    return;
  }
  bool aRegs = in.ops.size() > 1 && in.ops[1].kind == Operand::Kind::Vec;
  bool is16 = bits == 16, isInt = isIntInput(aTy);
  size_t expectOps = 4 + (isInt ? 0 : 2) + (is16 ? (aRegs ? 1 : 2) : 0);
  if (in.ops.size() != expectOps) {
    cta.fault(t0, in,
              "wgmma ." + std::string(tyName(aTy)) +
                  (aRegs ? " (A in registers)" : "") + " takes " +
                  std::to_string(expectOps) + " operands, not " +
                  std::to_string(in.ops.size()));
    return;
  }
  unsigned regsD = (N / 2) / accPerReg(dTy);
  if (cta.elemCount(in.ops[0]) != regsD ||
      (aRegs && cta.elemCount(in.ops[1]) != 4)) {
    cta.fault(t0, in,
              "wgmma operands have the wrong number of registers (D needs " +
                  std::to_string(regsD) + (aRegs ? ", A needs 4)" : ")"));
    return;
  }
  // Immediate operands (uniform): scale-a/b, trans-a/b.
  auto imm = [&](size_t i) {
    return static_cast<int32_t>(cta.read(t0, in.ops[i], Ty::S32));
  };
  int scaleA = 1, scaleB = 1;
  bool transA = false, transB = false;
  if (!isInt) {
    scaleA = imm(4);
    scaleB = imm(5);
    if ((scaleA != 1 && scaleA != -1) || (scaleB != 1 && scaleB != -1)) {
      cta.fault(t0, in, "wgmma imm-scale-a/b must be 1 or -1");
      return;
    }
  }
  if (is16) {
    if (aRegs) {
      transB = imm(6) != 0;
    } else {
      transA = imm(6) != 0;
      transB = imm(7) != 0;
    }
  }

  // Descriptors: uniform over the warpgroup.
  auto descOf = [&](size_t i, const char *which, uint64_t &d) {
    for (ThreadState *t : lanes) {
      if (cta.options.initcheck && !cta.isDefined(*t, in.ops[i])) {
        cta.fault(*t, in,
                  std::string("wgmma: the ") + which +
                      " descriptor is computed from an uninitialized value");
        return false;
      }
      uint64_t v = cta.read(*t, in.ops[i], Ty::B64);
      if (t == lanes[0]) {
        d = v;
      } else if (v != d) {
        cta.fault(*t, in,
                  std::string("wgmma: the ") + which + " descriptor " + hex(v) +
                      " differs from thread 0 of the warpgroup (" + hex(d) +
                      ")");
        return false;
      }
    }
    return true;
  };

  // A (M x K) and B (N x K) element bits.
  std::vector<uint32_t> aBits(size_t(M) * K), bBits;
  bool aDef = true;
  if (aRegs) {
    for (unsigned tid = 0; tid < 128; ++tid) {
      ThreadState &t = *lanes[tid];
      unsigned w = tid / 32, l = tid % 32, g = l / 4, tq = l % 4;
      for (unsigned r = 0; r < 4; ++r) {
        const Operand &o = cta.elem(in.ops[1], r);
        uint32_t v = static_cast<uint32_t>(cta.read(t, o, Ty::B32));
        aDef = aDef && cta.isDefined(t, o);
        for (unsigned e = 0; e < P; ++e) {
          unsigned row = 16 * w + g + 8 * (r % 2),
                   col = P * tq + e + 4 * P * (r / 2);
          aBits[size_t(row) * K + col] =
              bits == 32 ? v : (v >> (e * bits)) & ((1u << bits) - 1);
        }
      }
    }
  } else {
    uint64_t descA;
    if (!descOf(1, "A", descA) ||
        !readDescMatrix(cta, t0, in, descA, transA, M, K, eb, "A", aBits))
      return;
  }
  uint64_t descB;
  if (!descOf(2, "B", descB) ||
      !readDescMatrix(cta, t0, in, descB, transB, N, K, eb, "B", bBits))
    return;

  std::vector<double> a(size_t(M) * K), b(size_t(N) * K);
  for (size_t i = 0; i < a.size(); ++i)
    a[i] = scaleA * decodeInput(aTy, aBits[i]);
  for (size_t i = 0; i < b.size(); ++i)
    b[i] = scaleB * decodeInput(bTy, bBits[i]);

  bool satfinite = in.flags & dec::SATFINITE;
  unsigned pd = accPerReg(dTy);
  // Read every accumulator before writing any (D is read-modify-write).
  std::vector<uint32_t> out(size_t(128) * regsD);
  std::vector<uint8_t> outDef(size_t(128) * regsD);
  for (unsigned tid = 0; tid < 128; ++tid) {
    ThreadState &t = *lanes[tid];
    const Operand &sd = in.ops[3];
    bool scaleD = cta.read(t, sd, Ty::Pred) != 0;
    bool sdDef = cta.isDefined(t, sd);
    unsigned w = tid / 32, l = tid % 32, g = l / 4, tq = l % 4;
    for (unsigned r = 0; r < regsD; ++r) {
      const Operand &o = cta.elem(in.ops[0], r);
      uint32_t c = static_cast<uint32_t>(cta.read(t, o, Ty::B32));
      bool def = aDef && sdDef && (!scaleD || cta.isDefined(t, o));
      uint32_t v = 0;
      for (unsigned e = 0; e < pd; ++e) {
        unsigned i = r * pd + e;
        unsigned row = 16 * w + g + 8 * ((i % 4) / 2),
                 col = 8 * (i / 4) + 2 * tq + i % 2;
        double sum = 0;
        if (scaleD)
          sum = decodeAcc(dTy, pd == 2 ? (c >> (16 * e)) & 0xffff : c);
        const double *ar = &a[size_t(row) * K], *br = &b[size_t(col) * K];
        for (unsigned k = 0; k < K; ++k)
          sum += ar[k] * br[k];
        uint32_t enc = encodeAcc(dTy, sum, satfinite);
        v |= pd == 2 ? (enc & 0xffff) << (16 * e) : enc;
      }
      out[size_t(tid) * regsD + r] = v;
      outDef[size_t(tid) * regsD + r] = def;
    }
  }
  for (unsigned tid = 0; tid < 128; ++tid)
    for (unsigned r = 0; r < regsD; ++r)
      cta.write(*lanes[tid], cta.elem(in.ops[0], r), Ty::B32,
                out[size_t(tid) * regsD + r], outDef[size_t(tid) * regsD + r]);
}

//===----------------------------------------------------------------------===//
// cp.async.bulk{.tensor}
//===----------------------------------------------------------------------===//

namespace {

bool checkDefined(Cta &cta, ThreadState &t, const Instr &in, const Operand &o,
                  const char *what) {
  if (cta.options.initcheck && !cta.isDefined(t, o)) {
    cta.fault(t, in,
              std::string(what) + " is computed from an uninitialized value");
    return false;
  }
  return true;
}

/// Reads and validates the 128-byte tensor map an operand addresses (a
/// kernel parameter by value, or a generic/global address).
bool readTensorMap(Cta &cta, ThreadState &t, const Instr &in, const Operand &o,
                   attn_tensor_map &map) {
  if (!checkDefined(cta, t, in, o, "the tensor map address"))
    return false;
  uint64_t addr = cta.address(t, o, Space::Generic);
  if (addr % 64) {
    cta.fault(t, in,
              "the tensor map address " + hex(addr) +
                  " is not 64-byte aligned");
    return false;
  }
  if (!cta.load(t, in, Space::Generic, addr, sizeof map, &map))
    return false;
  if (map.magic != ATTN_TENSOR_MAP_MAGIC) {
    cta.fault(t, in,
              "the 128 bytes at " + hex(addr) +
                  " are not an attn_tensor_map (magic " + hex(map.magic) +
                  "; the simulator reads maps encoded by "
                  "attn_tensor_map_encode, not cuTensorMapEncodeTiled)");
    return false;
  }
  unsigned eb = attn_tensor_map_element_bytes(
      static_cast<attn_tensor_map_dtype>(map.dtype));
  std::string bad;
  if (eb == 0 || eb != map.element_bytes)
    bad = "unknown element type " + std::to_string(map.dtype);
  else if (map.rank < 1 || map.rank > 5)
    bad = "rank " + std::to_string(map.rank);
  else if (map.swizzle > ATTN_TMAP_SWIZZLE_128B)
    bad = "swizzle mode " + std::to_string(map.swizzle);
  else if (map.interleave != ATTN_TMAP_INTERLEAVE_NONE)
    bad = "interleaved layouts are not modeled";
  else if (map.oob_fill != ATTN_TMAP_OOB_FILL_NONE)
    bad = "the NaN out-of-bounds fill is not modeled";
  for (unsigned i = 0; bad.empty() && i < map.rank; ++i)
    if (map.box[i] == 0 || map.box[i] > 256 || map.element_strides[i] == 0 ||
        map.element_strides[i] > 8)
      bad = "box or element stride of dimension " + std::to_string(i);
  if (!bad.empty()) {
    cta.fault(t, in, "invalid tensor map at " + hex(addr) + ": " + bad);
    return false;
  }
  return true;
}

/// A tensor-map box: its element counts per dimension (box size over the
/// element stride) and the shared-memory image size.
struct Box {
  unsigned rank = 0, eb = 0, span = 0;
  uint32_t count[5] = {1, 1, 1, 1, 1};
  int64_t coord[5] = {0, 0, 0, 0, 0};
  uint64_t rowBytes = 0, rows = 1, bytes = 0;
};

bool makeBox(Cta &cta, ThreadState &t, const Instr &in,
             const attn_tensor_map &map, const Operand &tmapOp, Box &box) {
  box.rank = map.rank;
  box.eb = map.element_bytes;
  box.span = attn_tensor_map_swizzle_bytes(
      static_cast<attn_tensor_map_swizzle>(map.swizzle));
  if (tmapOp.vecCount != map.rank || in.b != map.rank) {
    cta.fault(t, in,
              "cp.async.bulk.tensor." + std::to_string(in.b) + "d with " +
                  std::to_string(tmapOp.vecCount) +
                  " coordinates on a tensor map of rank " +
                  std::to_string(map.rank));
    return false;
  }
  for (unsigned i = 0; i < box.rank; ++i) {
    const Operand &c = cta.kernel.vecPool[tmapOp.vecBegin + i];
    if (!checkDefined(cta, t, in, c, "a tensor coordinate"))
      return false;
    box.coord[i] = static_cast<int32_t>(cta.read(t, c, Ty::S32));
    box.count[i] =
        (map.box[i] + map.element_strides[i] - 1) / map.element_strides[i];
    if (i > 0)
      box.rows *= box.count[i];
  }
  box.rowBytes = uint64_t(box.count[0]) * box.eb;
  box.bytes = box.rowBytes * box.rows;
  if (box.span) {
    if (box.rowBytes > box.span) {
      cta.fault(t, in,
                "the tensor map's inner box of " +
                    std::to_string(box.rowBytes) + " bytes exceeds its " +
                    std::to_string(box.span) + "-byte swizzle span");
      return false;
    }
    if (box.rowBytes % 16) {
      cta.fault(t, in,
                "the tensor map's inner box of " +
                    std::to_string(box.rowBytes) +
                    " bytes is not a multiple of 16 (required with swizzling)");
      return false;
    }
  }
  return true;
}

/// Calls `f(rowIndex, globalAddress of element e0 = first, first, end)` for
/// every box row, where [first, end) is the run of inner elements inside
/// the tensor (empty runs are reported too, for zero fill). Element strides
/// other than 1 on the inner dimension call once per element.
template <typename F>
void forEachRun(const attn_tensor_map &map, const Box &box, F f) {
  uint32_t idx[5] = {0, 0, 0, 0, 0};
  for (uint64_t row = 0; row < box.rows; ++row) {
    // Outer coordinates of this row.
    bool inside = true;
    uint64_t base = map.global_address;
    uint64_t rem = row;
    for (unsigned i = 1; i < box.rank; ++i) {
      idx[i] = static_cast<uint32_t>(rem % box.count[i]);
      rem /= box.count[i];
      int64_t x = box.coord[i] + int64_t(idx[i]) * map.element_strides[i];
      if (x < 0 || x >= static_cast<int64_t>(map.dims[i]))
        inside = false;
      else
        base += uint64_t(x) * map.strides[i - 1];
    }
    if (!inside) {
      f(row, uint64_t(0), 0u, 0u, 1u);
      continue;
    }
    uint32_t es0 = map.element_strides[0];
    int64_t dim0 = static_cast<int64_t>(map.dims[0]);
    for (uint32_t e = 0; e < box.count[0];) {
      int64_t x = box.coord[0] + int64_t(e) * es0;
      if (x < 0 || x >= dim0) {
        ++e;
        continue;
      }
      // Extend the run while the elements stay contiguous and inside.
      uint32_t end = e + 1;
      if (es0 == 1)
        while (end < box.count[0] && box.coord[0] + int64_t(end) < dim0)
          ++end;
      f(row, base + uint64_t(x) * box.eb, e, end, es0);
      e = end;
    }
  }
}

void tensorCopy(Cta &cta, ThreadState &t, const Instr &in) {
  bool toShared = in.space == Space::Shared;
  const Operand &smemOp = toShared ? in.ops[0] : in.ops[1];
  const Operand &tmapOp = toShared ? in.ops[1] : in.ops[0];
  if (tmapOp.kind != Operand::Kind::Addr || tmapOp.vecCount == 0) {
    cta.fault(t, in,
              "cp.async.bulk.tensor needs a [tensorMap, {coords}] operand");
    return;
  }
  attn_tensor_map map;
  if (!readTensorMap(cta, t, in, tmapOp, map))
    return;
  Box box;
  if (!makeBox(cta, t, in, map, tmapOp, box))
    return;
  if (!checkDefined(cta, t, in, smemOp, "the shared-memory address"))
    return;
  uint64_t smem = cta.address(t, smemOp, Space::Shared);
  if (smem % 128) {
    cta.fault(t, in,
              std::string("the TMA shared-memory ") +
                  (toShared ? "destination " : "source ") + hex(smem) +
                  " is not 128-byte aligned");
    return;
  }
  if (smem + box.bytes > cta.sharedBytes()) {
    cta.fault(t, in,
              "the TMA box of " + std::to_string(box.bytes) +
                  " bytes at shared offset " + hex(smem) + " exceeds the " +
                  std::to_string(cta.sharedBytes()) +
                  " bytes of shared memory");
    return;
  }
  uint32_t actor;
  const std::vector<uint32_t> *vc = cta.asyncActor(t, actor);
  std::vector<uint8_t> img(box.bytes, 0);
  // Shared image: dense rows of rowBytes; swizzle permutes 16-byte chunks.
  auto transferShared = [&](bool write) {
    if (box.span == 0)
      return write
                 ? cta.sharedWrite(t, in, smem,
                                   static_cast<unsigned>(box.bytes), img.data(),
                                   vc, actor)
                 : cta.sharedRead(t, in, smem, static_cast<unsigned>(box.bytes),
                                  img.data(), vc, actor);
    for (uint64_t o = 0; o < box.bytes; o += 16) {
      uint64_t a = swizzle(smem + o, box.span);
      if (!(write ? cta.sharedWrite(t, in, a, 16, img.data() + o, vc, actor)
                  : cta.sharedRead(t, in, a, 16, img.data() + o, vc, actor)))
        return false;
    }
    return true;
  };

  if (toShared) {
    if (in.ops.size() < 3 || in.ops[2].kind != Operand::Kind::Addr) {
      cta.fault(t, in, "the TMA load needs an [mbarrier] operand");
      return;
    }
    if (!checkDefined(cta, t, in, in.ops[2], "the mbarrier address"))
      return;
    uint64_t mbar = cta.address(t, in.ops[2], Space::Shared);
    if (!cta.mbarrier(t, in, mbar))
      return;
    bool ok = true;
    forEachRun(
        map, box,
        [&](uint64_t row, uint64_t g, uint32_t e, uint32_t end, uint32_t es0) {
          if (!ok || end <= e)
            return;
          uint8_t *dst = img.data() + row * box.rowBytes + e * box.eb;
          if (es0 == 1)
            ok = cta.globalRead(t, in, g, (end - e) * box.eb, dst);
          else
            ok = cta.globalRead(t, in, g, box.eb, dst);
        });
    if (!ok || !transferShared(true))
      return;
    cta.completeTx(t, in, mbar, static_cast<int64_t>(box.bytes), vc);
  } else {
    if (!transferShared(false))
      return;
    if (vc)
      t.bulkOpen = (*vc)[actor];
    bool ok = true;
    forEachRun(
        map, box,
        [&](uint64_t row, uint64_t g, uint32_t e, uint32_t end, uint32_t es0) {
          if (!ok || end <= e)
            return;
          const uint8_t *src = img.data() + row * box.rowBytes + e * box.eb;
          if (es0 == 1)
            ok = cta.globalWrite(t, in, g, (end - e) * box.eb, src);
          else
            ok = cta.globalWrite(t, in, g, box.eb, src);
        });
  }
}

void bulkCopy(Cta &cta, ThreadState &t, const Instr &in) {
  bool toShared = in.space == Space::Shared;
  if (in.ops.size() < (toShared ? 4u : 3u)) {
    cta.fault(t, in, "cp.async.bulk: missing operands");
    return;
  }
  for (size_t i = 0; i < in.ops.size() && i < 4; ++i)
    if (!checkDefined(cta, t, in, in.ops[i], "a cp.async.bulk operand"))
      return;
  uint64_t size = cta.read(t, in.ops[2], Ty::U32);
  uint64_t dst =
      cta.address(t, in.ops[0], toShared ? Space::Shared : Space::Global);
  uint64_t src =
      cta.address(t, in.ops[1], toShared ? Space::Global : Space::Shared);
  if (size % 16 || dst % 16 || src % 16) {
    cta.fault(t, in,
              "cp.async.bulk needs 16-byte aligned addresses and a size that "
              "is a multiple of 16 (dst " +
                  hex(dst) + ", src " + hex(src) + ", size " +
                  std::to_string(size) + ")");
    return;
  }
  uint32_t actor;
  const std::vector<uint32_t> *vc = cta.asyncActor(t, actor);
  std::vector<uint8_t> buf(size);
  unsigned n = static_cast<unsigned>(size);
  if (toShared) {
    uint64_t mbar = cta.address(t, in.ops[3], Space::Shared);
    if (!cta.mbarrier(t, in, mbar))
      return;
    if (size && (!cta.globalRead(t, in, src, n, buf.data()) ||
                 !cta.sharedWrite(t, in, dst, n, buf.data(), vc, actor)))
      return;
    cta.completeTx(t, in, mbar, static_cast<int64_t>(size), vc);
  } else {
    if (size && (!cta.sharedRead(t, in, src, n, buf.data(), vc, actor) ||
                 !cta.globalWrite(t, in, dst, n, buf.data())))
      return;
    if (vc)
      t.bulkOpen = (*vc)[actor];
  }
}

} // namespace

void execBulkCopy(Cta &cta, ThreadState &t, const Instr &in) {
  if (in.space != Space::Shared && in.space != Space::Global) {
    cta.fault(t, in, "unsupported cp.async.bulk direction");
    return;
  }
  if (in.a == dec::CpBulkTensor)
    tensorCopy(cta, t, in);
  else if (in.a == dec::CpBulk)
    bulkCopy(cta, t, in);
  else
    cta.fault(t, in, "unsupported cp.async.bulk form");
}

} // namespace attn::gpusim::detail
