//===- Decoded.h - field values of decoded instructions --------*- C++ -*-===//
//
// The meaning of Instr::a/b/c/d and Instr::flags per opcode family. Shared
// by the decoder (PtxParser.cpp) and the instruction semantics.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_GPUSIM_DECODED_H
#define ATTN_GPUSIM_DECODED_H

#include <cstdint>

namespace attn::gpusim::dec {

/// Rounding modes (Instr::a of arithmetic and cvt).
enum Round : uint8_t { RNone, RN, RZ, RM, RP, RNI, RZI, RMI, RPI, RNA };

/// Comparisons (Instr::b of setp/set/slct).
enum Cmp : uint8_t {
  CEq,
  CNe,
  CLt,
  CLe,
  CGt,
  CGe,
  CLo,
  CLs,
  CHi,
  CHs,
  CEqu,
  CNeu,
  CLtu,
  CLeu,
  CGtu,
  CGeu,
  CNum,
  CNan,
};

/// Boolean combination of setp/set (Instr::c).
enum BoolOp : uint8_t { BNone, BAnd, BOr, BXor };

/// Instr::flags bits.
enum Flag : uint32_t {
  FTZ = 1u << 0,
  SAT = 1u << 1,
  APPROX = 1u << 2,
  FULL = 1u << 3,
  HI = 1u << 4,
  LO = 1u << 5,
  WIDE = 1u << 6,
  CC = 1u << 7,      ///< writes the carry flag
  CARRYIN = 1u << 8, ///< addc/subc/madc
  TRANS = 1u << 9,
  RELU = 1u << 10,
  SATFINITE = 1u << 11,
  NANF = 1u << 12,
  LEFT = 1u << 13,  ///< shf.l
  CLAMP = 1u << 14, ///< shf.clamp
  UNI = 1u << 15,
  SHIFTAMT = 1u << 16,
  XORSIGN = 1u << 17,
  TO = 1u << 18, ///< cvta.to
  NC = 1u << 19,
  PARITY = 1u << 20,
  EXPECT_TX = 1u << 21,
  NOINC = 1u << 22,
  SHARED_CLUSTER = 1u << 23,
  A_IN_REGS = 1u << 24, ///< wgmma A from registers
  SYNC = 1u << 25,
  ALIGNED = 1u << 26,
  ABSF = 1u << 27,
};

/// shfl modes (Instr::a).
enum ShflMode : uint8_t { ShflUp, ShflDown, ShflBfly, ShflIdx };
/// vote modes (Instr::a).
enum VoteMode : uint8_t { VoteAll, VoteAny, VoteUni, VoteBallot };
/// atom/red/redux operations (Instr::a).
enum AtomOp : uint8_t {
  AtomAdd,
  AtomMin,
  AtomMax,
  AtomInc,
  AtomDec,
  AtomAnd,
  AtomOr,
  AtomXor,
  AtomExch,
  AtomCas,
};
/// bar/barrier kinds (Instr::a).
enum BarKind : uint8_t { BarSync, BarArrive, BarRed, BarWarpSync };
/// cp kinds (Instr::a).
enum CpKind : uint8_t {
  CpAsync,           ///< cp.async.ca/cg.shared.global
  CpAsyncCommit,     ///< cp.async.commit_group
  CpAsyncWait,       ///< cp.async.wait_group N
  CpAsyncWaitAll,    ///< cp.async.wait_all
  CpAsyncMbarArrive, ///< cp.async.mbarrier.arrive
  CpBulkTensor,      ///< cp.async.bulk.tensor (TMA load/store)
  CpBulk,            ///< cp.async.bulk (non-tensor)
  CpBulkCommit,      ///< cp.async.bulk.commit_group
  CpBulkWait,        ///< cp.async.bulk.wait_group
};
/// mbarrier kinds (Instr::a).
enum MbarKind : uint8_t {
  MbarInit,
  MbarArrive,
  MbarArriveDrop,
  MbarExpectTx,
  MbarCompleteTx,
  MbarTestWait,
  MbarTryWait,
  MbarInval,
  MbarPendingCount,
};
/// wgmma kinds (Instr::a).
enum WgmmaKind : uint8_t { WgFence, WgCommit, WgWait, WgMma };
/// prmt modes (Instr::a).
enum PrmtMode : uint8_t {
  PrmtDefault,
  PrmtF4e,
  PrmtB4e,
  PrmtRc8,
  PrmtEcl,
  PrmtEcr,
  PrmtRc16
};
/// Matrix layouts of mma (Instr::a for A, Instr::b for B).
enum Layout : uint8_t { RowMajor, ColMajor };

} // namespace attn::gpusim::dec

#endif // ATTN_GPUSIM_DECODED_H
