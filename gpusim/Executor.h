//===- Executor.h - per-CTA execution state of the simulator ---*- C++ -*-===//
//
// Internal to the simulator library. A Cta holds one thread block's state
// (threads with their registers, shared memory with its shadows, barriers,
// mbarriers) and executes it to completion. Instruction semantics live in
// separate files and reach state through this interface:
//   Alu.cpp        scalar integer/float/conversion/comparison semantics
//   TensorCore.cpp mma.sync, ldmatrix, stmatrix, wgmma and TMA
//   Simulator.cpp  scheduling, memory, control flow, barriers, collectives
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_GPUSIM_EXECUTOR_H
#define ATTN_GPUSIM_EXECUTOR_H

#include "Decoded.h"
#include "attn/GpuSim/Simulator.h"

#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

namespace attn::gpusim::detail {

/// A racecheck epoch: actor (thread index, or the async-proxy actor) and
/// its clock at the access.
struct Epoch {
  uint32_t actor = UINT32_MAX;
  uint32_t clock = 0;
  bool valid() const { return actor != UINT32_MAX; }
};

struct ThreadState {
  uint32_t index = 0; ///< linear index in the CTA
  uint32_t tid[3] = {0, 0, 0};
  uint32_t lane = 0, warp = 0;
  uint32_t pc = 0;
  enum class Wait : uint8_t {
    None,
    Barrier,    ///< bar.sync: waiting for the barrier to fill
    Collective, ///< warp/warpgroup collective at `pc`
    Mbarrier,   ///< mbarrier.try_wait/test_wait on `waitAddr`
    Exited,
  };
  Wait wait = Wait::None;
  /// Registers (Kernel::regs) and, for initcheck, whether each is defined.
  std::vector<uint64_t> regs;
  std::vector<uint8_t> defined;
  /// .local memory and its definedness shadow.
  std::vector<uint8_t> local, localDef;
  /// Collective arrival: the membermask it named.
  uint32_t waitMask = 0;
  /// mbarrier wait: shared offset and phase parity that must complete.
  uint64_t waitAddr = 0;
  uint32_t waitParity = 0;
  /// Barrier wait: id.
  uint32_t waitBarrier = 0;
  /// cp.async copies not yet committed, and committed groups, oldest first.
  struct PendingCopy {
    uint64_t dst = 0; ///< shared offset
    std::vector<uint8_t> bytes;
    unsigned line = 0;
  };
  std::vector<PendingCopy> cpOpen;
  std::deque<std::vector<PendingCopy>> cpGroups;
  /// Bulk stores (cp.async.bulk{.tensor} to global): the async actor's
  /// clock of the latest one not yet committed (0: none) and of each
  /// committed group, oldest first. They complete at issue; for racecheck,
  /// cp.async.bulk.wait_group N orders this thread after the shared-memory
  /// reads of all but the N newest groups.
  uint32_t bulkOpen = 0;
  std::deque<uint32_t> bulkGroups;
  /// wgmma groups committed and not yet waited for (count only: the
  /// simulator applies wgmma results at issue).
  uint32_t wgmmaOpen = 0, wgmmaGroups = 0;
  /// Racecheck vector clock (one entry per thread + the async actor).
  std::vector<uint32_t> vc;
  /// Stats: executions of each pc by this thread (for per-warp grouping).
  std::vector<uint32_t> execCount;
  uint64_t instructions = 0;
  /// Carry flag of add.cc/sub.cc/mad.cc.
  bool carry = false;
};

struct MbarrierState {
  uint32_t expected = 0;
  uint32_t pending = 0;
  int64_t tx = 0;
  uint32_t phase = 0;
  /// Racecheck: join of the clocks of arrivals in the current phase, and
  /// of the last completed phase.
  std::vector<uint32_t> vcAcc, vcDone;
};

struct SharedShadow {
  Epoch write, read;
  /// More than one concurrent reader since the last write: their epochs.
  uint32_t sharedReaders = UINT32_MAX; ///< index into Cta::readerSets
};

class Simulator;

/// One thread block being executed.
class Cta {
public:
  Cta(const Module &module, const Kernel &kernel, Device &device,
      const Options &options, Stats &stats,
      const std::vector<uint64_t> &varAddress, Dim3 grid, Dim3 block,
      Dim3 ctaid, uint64_t dynamicSharedBytes,
      const std::vector<uint8_t> &params, std::vector<std::string> &reports);

  /// Runs the block to completion. False when a fault was reported.
  bool run();

  //===------------------------------------------------------------------===//
  // Interface for instruction semantics.
  //===------------------------------------------------------------------===//
  const Kernel &kernel;
  const Module &module;
  const Options &options;

  /// Reads operand `o` as a value of type `ty` (immediates converted,
  /// symbols as their address). Marks `undef` when the value is
  /// uninitialized (initcheck).
  uint64_t read(ThreadState &t, const Operand &o, Ty ty) {
    if (o.kind == Operand::Kind::Reg && !o.negate) {
      unsigned bits = tyBits(ty);
      uint64_t v = t.regs[o.reg];
      return bits == 0 || bits >= 64 ? v : v & ((uint64_t(1) << bits) - 1);
    }
    return readSlow(t, o, ty);
  }
  uint64_t readSlow(ThreadState &t, const Operand &o, Ty ty);
  /// Writes `v` (truncated to `ty`) to register operand `o`; sinks ignore.
  void write(ThreadState &t, const Operand &o, Ty ty, uint64_t v,
             bool defined = true);
  /// Whether operand `o` of `t` is defined (registers only; others yes).
  bool isDefined(const ThreadState &t, const Operand &o) const {
    if (o.kind == Operand::Kind::Reg)
      return t.defined[o.reg];
    return o.kind == Operand::Kind::Imm || isDefinedSlow(t, o);
  }
  bool isDefinedSlow(const ThreadState &t, const Operand &o) const;
  /// The i-th element of a Vec operand (or `o` itself when i==0 and not
  /// a Vec).
  const Operand &elem(const Operand &o, unsigned i) const;
  unsigned elemCount(const Operand &o) const;

  /// Effective address of an Addr operand in `space` (generic: a generic
  /// address).
  uint64_t address(ThreadState &t, const Operand &o, Space space);
  /// Memory access by thread `t` (instruction `in`). `space` Generic
  /// addresses are resolved through the windows. Returns false after
  /// reporting a fault. `def` (per byte) may be null.
  bool load(ThreadState &t, const Instr &in, Space space, uint64_t addr,
            unsigned bytes, void *dst, bool *defined = nullptr);
  bool store(ThreadState &t, const Instr &in, Space space, uint64_t addr,
             unsigned bytes, const void *src, bool defined = true);
  /// Shared memory by offset, for async engines (TMA, cp.async, wgmma
  /// descriptors). `actorVc` is the clock of the async actor for
  /// racecheck (null: thread `t`'s own clock).
  bool sharedRead(ThreadState &t, const Instr &in, uint64_t off, unsigned bytes,
                  void *dst, const std::vector<uint32_t> *actorVc = nullptr,
                  uint32_t actor = UINT32_MAX);
  bool sharedWrite(ThreadState &t, const Instr &in, uint64_t off,
                   unsigned bytes, const void *src,
                   const std::vector<uint32_t> *actorVc = nullptr,
                   uint32_t actor = UINT32_MAX);
  /// Global memory, for async engines (no initcheck).
  bool globalRead(ThreadState &t, const Instr &in, uint64_t addr,
                  unsigned bytes, void *dst);
  bool globalWrite(ThreadState &t, const Instr &in, uint64_t addr,
                   unsigned bytes, const void *src);
  /// Converts a generic address to a shared offset when it lies in the
  /// shared window (else returns false).
  bool genericToShared(uint64_t generic, uint64_t &off) const;

  /// Reports a fault of thread `t` at instruction `in`.
  void fault(const ThreadState &t, const Instr &in, const std::string &msg);
  bool failed() const { return faulted; }

  /// mbarrier by shared offset (null after reporting when absent).
  MbarrierState *mbarrier(ThreadState &t, const Instr &in, uint64_t off);
  /// Completes `bytes` of transaction count on an mbarrier (TMA).
  void completeTx(ThreadState &t, const Instr &in, uint64_t off, int64_t bytes,
                  const std::vector<uint32_t> *actorVc);
  /// The racecheck async actor: a fresh epoch with `t`'s clock joined.
  const std::vector<uint32_t> *asyncActor(ThreadState &t, uint32_t &actor);

  Device &device;
  uint64_t sharedBytes() const { return shared.size(); }
  const std::vector<ThreadState> &allThreads() const { return threads; }

private:
  friend class CtaRunner;
  const std::vector<uint64_t> &varAddress;
  Stats &stats;
  Dim3 grid, block, ctaid;
  uint64_t dynamicSharedBytes;
  const std::vector<uint8_t> &params;
  std::vector<std::string> &reports;
  bool faulted = false;
  /// Initcheck reports held back while racecheck may still explain them.
  std::vector<std::string> deferredReports;

  std::vector<ThreadState> threads;
  std::vector<uint8_t> shared, sharedDef;
  std::unordered_map<uint64_t, MbarrierState> mbarriers;
  /// Racecheck shadow per shared byte, and reader sets.
  std::vector<SharedShadow> shadow;
  std::vector<std::vector<Epoch>> readerSets;
  uint32_t asyncActorId = 0, asyncClock = 0;
  std::vector<uint32_t> asyncVc;
  unsigned raceReports = 0;

  /// Barriers: arrived threads and expected counts per id.
  struct BarrierState {
    uint32_t arrived = 0, expected = 0;
    bool wholeCta = false;
    std::vector<uint32_t> waiting;
    uint32_t redPopc = 0;
    bool redAnd = true, redOr = false;
  };
  BarrierState barriers[16];

  uint64_t executed = 0;

  void step(ThreadState &t);
  void runThread(ThreadState &t);
  bool resolveCollectives();
  bool resolveBarrier(uint32_t id);
  void execCollective(std::vector<ThreadState *> &lanes, const Instr &in);
  void raceAccess(ThreadState &t, const Instr &in, uint64_t off, unsigned bytes,
                  bool write, const std::vector<uint32_t> *vc, uint32_t actor);
  void releaseClock(ThreadState &t);
  std::string where(const ThreadState &t, const Instr &in) const;
  bool checkGlobal(ThreadState &t, const Instr &in, uint64_t addr,
                   unsigned bytes, bool write, Device::Allocation *&a);
  /// Adds `bytes` of allocation `a` to the global traffic of the stats.
  void countGlobal(const Device::Allocation *a, unsigned bytes, bool write);
  void recordShared(ThreadState &t, const Instr &in, uint64_t off,
                    unsigned bytes);
  struct SharedRequest {
    std::vector<std::pair<uint64_t, unsigned>> accesses;
  };
  std::unordered_map<uint64_t, SharedRequest> sharedRequests;
  void flushSharedStats();
  std::vector<uint64_t> pcCounts, backEdges;
  void flushStats();
};

//===--------------------------------------------------------------------===//
// Semantics entry points.
//===--------------------------------------------------------------------===//

/// Scalar ALU instructions (arith, math, bit ops, setp/set/selp/slct, mov,
/// cvt). Returns false when `in.op` is not an ALU op.
bool execAlu(Cta &cta, ThreadState &t, const Instr &in);

/// Warp collectives of the tensor cores, executed once for the warp
/// (`lanes` holds the 32 lanes in lane order) or the warpgroup (128
/// threads in order): mma, ldmatrix, stmatrix, wgmma.mma_async.
void execMma(Cta &cta, std::vector<ThreadState *> &lanes, const Instr &in);
void execLdmatrix(Cta &cta, std::vector<ThreadState *> &lanes, const Instr &in);
void execStmatrix(Cta &cta, std::vector<ThreadState *> &lanes, const Instr &in);
void execWgmma(Cta &cta, std::vector<ThreadState *> &lanes, const Instr &in);
/// cp.async.bulk.tensor (TMA) and cp.async.bulk, issued by one thread.
void execBulkCopy(Cta &cta, ThreadState &t, const Instr &in);

} // namespace attn::gpusim::detail

#endif // ATTN_GPUSIM_EXECUTOR_H
