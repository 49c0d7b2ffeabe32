//===- Simulator.cpp - scheduling, memory and control of the simulator ----===//
//
// Executes a kernel CTA by CTA. Inside a CTA every thread runs on its own
// until it blocks (a barrier, a warp collective, an mbarrier wait) or
// exits; blocked threads are released when their condition holds, so the
// order of execution is one legal interleaving, and a state where nothing
// can run is reported as a deadlock. Memory accesses are checked against
// the allocation or segment they touch; shared accesses feed racecheck
// (vector clocks joined at barriers, mbarrier phases and async completion)
// and, with stats, the bank-conflict model.
//
//===----------------------------------------------------------------------===//

#include "Executor.h"
#include "FloatFormats.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <sstream>

namespace attn::gpusim {

using namespace dec;
using detail::Cta;
using detail::Epoch;
using detail::MbarrierState;
using detail::ThreadState;

//===----------------------------------------------------------------------===//
// Device
//===----------------------------------------------------------------------===//

Device::Device() : nextBase(0x10000000ull) {}

uint64_t Device::allocate(uint64_t bytes, const void *init,
                          const std::string &name) {
  Allocation a;
  a.base = nextBase;
  a.size = bytes;
  a.name = name;
  a.data.assign(bytes, 0);
  if (init && bytes)
    std::memcpy(a.data.data(), init, bytes);
  // Leave a gap after each allocation so off-by-one accesses fault.
  nextBase = (nextBase + bytes + 0x10000 + 255) & ~uint64_t(255);
  allocs.push_back(std::move(a));
  return allocs.back().base;
}

bool Device::read(uint64_t addr, void *dst, uint64_t bytes) const {
  for (const Allocation &a : allocs)
    if (addr >= a.base && addr + bytes <= a.base + a.size) {
      if (bytes)
        std::memcpy(dst, a.data.data() + (addr - a.base), bytes);
      return true;
    }
  return false;
}

Device::Allocation *Device::find(uint64_t addr, uint64_t bytes) {
  if (lastHit < allocs.size()) {
    Allocation &a = allocs[lastHit];
    if (addr >= a.base && addr + bytes <= a.base + a.size)
      return &a;
  }
  // Allocations are in increasing address order.
  auto it = std::upper_bound(
      allocs.begin(), allocs.end(), addr,
      [](uint64_t v, const Allocation &a) { return v < a.base; });
  if (it == allocs.begin())
    return nullptr;
  --it;
  if (addr + bytes > it->base + it->size || addr + bytes < addr)
    return nullptr;
  lastHit = static_cast<size_t>(it - allocs.begin());
  return &*it;
}

const Device::Allocation *Device::nearest(uint64_t addr) const {
  const Allocation *best = nullptr;
  for (const Allocation &a : allocs)
    if (a.base <= addr && (!best || a.base > best->base))
      best = &a;
  return best;
}

//===----------------------------------------------------------------------===//
// Cta: construction and reports
//===----------------------------------------------------------------------===//

namespace detail {

static std::string hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

Cta::Cta(const Module &module, const Kernel &kernel, Device &device,
         const Options &options, Stats &stats,
         const std::vector<uint64_t> &varAddress, Dim3 grid, Dim3 block,
         Dim3 ctaid, uint64_t dynamicSharedBytes,
         const std::vector<uint8_t> &params, std::vector<std::string> &reports)
    : kernel(kernel), module(module), options(options), device(device),
      varAddress(varAddress), stats(stats), grid(grid), block(block),
      ctaid(ctaid), dynamicSharedBytes(dynamicSharedBytes), params(params),
      reports(reports) {
  uint64_t dynStart = module.staticSharedBytes;
  for (size_t i = 0; i < module.vars.size(); ++i)
    if (module.vars[i].space == Space::Shared && module.vars[i].isExtern)
      dynStart = module.sharedOffset[i];
  uint64_t sharedSize =
      std::max(module.staticSharedBytes, dynStart + dynamicSharedBytes);
  shared.assign(sharedSize, 0);
  sharedDef.assign(sharedSize, 0);
  // Static shared variables with initializers are not allowed by PTX; all
  // shared memory starts undefined.
  uint32_t n = static_cast<uint32_t>(block.count());
  threads.resize(n);
  asyncActorId = n;
  if (options.racecheck) {
    shadow.assign(sharedSize, SharedShadow());
    asyncVc.assign(n + 1, 0);
  }
  for (uint32_t i = 0; i < n; ++i) {
    ThreadState &t = threads[i];
    t.index = i;
    t.tid[0] = i % block.x;
    t.tid[1] = (i / block.x) % block.y;
    t.tid[2] = i / (block.x * block.y);
    t.lane = i % 32;
    t.warp = i / 32;
    t.regs.assign(kernel.regs.size(), 0);
    t.defined.assign(kernel.regs.size(), 0);
    t.local.assign(kernel.localBytes, 0);
    t.localDef.assign(kernel.localBytes, 0);
    if (options.racecheck) {
      t.vc.assign(n + 1, 0);
      t.vc[i] = 1;
    }
    if (options.stats)
      t.execCount.assign(kernel.code.size(), 0);
  }
  if (options.stats) {
    pcCounts.assign(kernel.code.size(), 0);
    backEdges.assign(kernel.code.size(), 0);
  }
}

std::string Cta::where(const ThreadState &t, const Instr &in) const {
  std::ostringstream os;
  os << module.fileName << ":" << in.line << ": kernel " << kernel.name
     << ", block (" << ctaid.x << "," << ctaid.y << "," << ctaid.z
     << "), thread (" << t.tid[0] << "," << t.tid[1] << "," << t.tid[2] << ")";
  return os.str();
}

void Cta::fault(const ThreadState &t, const Instr &in, const std::string &msg) {
  faulted = true;
  if (reports.size() < std::max(1u, options.maxReports))
    reports.push_back(where(t, in) + ": " + msg + "\n    " + in.text);
}

//===----------------------------------------------------------------------===//
// Operands
//===----------------------------------------------------------------------===//

const Operand &Cta::elem(const Operand &o, unsigned i) const {
  if (o.kind == Operand::Kind::Vec)
    return kernel.vecPool[o.vecBegin + i];
  return o;
}

unsigned Cta::elemCount(const Operand &o) const {
  return o.kind == Operand::Kind::Vec ? o.vecCount : 1;
}

static uint64_t maskBits(uint64_t v, unsigned bits) {
  return bits >= 64 ? v : (v & ((uint64_t(1) << bits) - 1));
}

static uint64_t symbolAddress(const Cta &cta, const Symbol &s,
                              const std::vector<uint64_t> &varAddress) {
  switch (s.space) {
  case Space::Param:
  case Space::Local:
    return s.offset;
  case Space::Shared:
    return cta.module.sharedOffset[s.offset];
  default:
    return varAddress[s.offset];
  }
}

uint64_t Cta::readSlow(ThreadState &t, const Operand &o, Ty ty) {
  unsigned bits = tyBits(ty);
  switch (o.kind) {
  case Operand::Kind::Reg: {
    uint64_t v = t.regs[o.reg];
    if (o.negate)
      v = !v;
    return bits ? maskBits(v, bits) : v;
  }
  case Operand::Kind::Imm:
    if (o.immIsFloat) {
      double d =
          o.immF64
              ? bitsToF64(o.imm)
              : static_cast<double>(bitsToF32(static_cast<uint32_t>(o.imm)));
      switch (ty) {
      case Ty::F64:
        return f64ToBits(d);
      case Ty::F16:
        return doubleToF16(d);
      case Ty::BF16:
        return doubleToBF16(d);
      case Ty::F16x2: {
        uint64_t h = doubleToF16(d);
        return h | (h << 16);
      }
      case Ty::BF16x2: {
        uint64_t h = doubleToBF16(d);
        return h | (h << 16);
      }
      default:
        if (!o.immF64)
          return o.imm; // f32 bits as written (also for .b32 moves)
        return f32ToBits(static_cast<float>(d));
      }
    }
    return bits ? maskBits(o.imm, bits) : o.imm;
  case Operand::Kind::Special: {
    switch (o.special) {
    case Special::TidX:
      return t.tid[0];
    case Special::TidY:
      return t.tid[1];
    case Special::TidZ:
      return t.tid[2];
    case Special::NtidX:
      return block.x;
    case Special::NtidY:
      return block.y;
    case Special::NtidZ:
      return block.z;
    case Special::CtaidX:
      return ctaid.x;
    case Special::CtaidY:
      return ctaid.y;
    case Special::CtaidZ:
      return ctaid.z;
    case Special::NctaidX:
      return grid.x;
    case Special::NctaidY:
      return grid.y;
    case Special::NctaidZ:
      return grid.z;
    case Special::LaneId:
      return t.lane;
    case Special::WarpId:
      return t.warp;
    case Special::NWarpId:
      return (block.count() + 31) / 32;
    case Special::SmId:
    case Special::GridId:
      return 0;
    case Special::NSmId:
      return 1;
    case Special::Clock:
    case Special::Clock64:
    case Special::GlobalTimer:
      return t.instructions;
    case Special::LaneMaskEq:
      return 1u << t.lane;
    case Special::LaneMaskLt:
      return (1u << t.lane) - 1;
    case Special::LaneMaskLe:
      return t.lane == 31 ? 0xffffffffu : (2u << t.lane) - 1;
    case Special::LaneMaskGt:
      return t.lane == 31 ? 0u : ~((2u << t.lane) - 1);
    case Special::LaneMaskGe:
      return ~((1u << t.lane) - 1);
    case Special::DynamicSmemSize:
      return dynamicSharedBytes;
    case Special::TotalSmemSize:
      return shared.size();
    case Special::ClusterCtaRank:
    case Special::ClusterCtaIdX:
    case Special::ClusterCtaIdY:
    case Special::ClusterCtaIdZ:
      return 0;
    case Special::ClusterIdX:
      return ctaid.x;
    case Special::ClusterIdY:
      return ctaid.y;
    case Special::ClusterIdZ:
      return ctaid.z;
    case Special::NClusterIdX:
      return grid.x;
    case Special::NClusterIdY:
      return grid.y;
    case Special::NClusterIdZ:
      return grid.z;
    case Special::ClusterNCtaRank:
    case Special::ClusterNCtaIdX:
    case Special::ClusterNCtaIdY:
    case Special::ClusterNCtaIdZ:
      return 1;
    case Special::IsExplicitCluster:
      return 0;
    }
    return 0;
  }
  case Operand::Kind::Symbol:
    return symbolAddress(*this, kernel.symbols[o.symbol], varAddress);
  case Operand::Kind::Addr:
    return address(t, o, Space::Generic);
  default:
    return 0;
  }
}

bool Cta::isDefinedSlow(const ThreadState &t, const Operand &o) const {
  if (o.kind == Operand::Kind::Reg)
    return t.defined[o.reg];
  if (o.kind == Operand::Kind::Vec) {
    for (unsigned i = 0; i < o.vecCount; ++i)
      if (!isDefined(t, kernel.vecPool[o.vecBegin + i]))
        return false;
    return true;
  }
  if (o.kind == Operand::Kind::Addr && o.base >= 0)
    return t.defined[o.base];
  return true;
}

void Cta::write(ThreadState &t, const Operand &o, Ty ty, uint64_t v,
                bool defined) {
  if (o.kind != Operand::Kind::Reg)
    return;
  unsigned bits = tyBits(kernel.regs[o.reg].type);
  unsigned tb = tyBits(ty);
  if (tb && tb < 64)
    v = maskBits(v, tb);
  if (kernel.regs[o.reg].type == Ty::Pred)
    v = v != 0;
  else if (bits && bits < 64)
    v = maskBits(v, bits);
  t.regs[o.reg] = v;
  t.defined[o.reg] = defined;
}

uint64_t Cta::address(ThreadState &t, const Operand &o, Space space) {
  uint64_t a = o.imm;
  if (o.base >= 0)
    a += t.regs[o.base];
  if (o.symbol >= 0) {
    const Symbol &s = kernel.symbols[o.symbol];
    uint64_t base = symbolAddress(*this, s, varAddress);
    if (space == Space::Generic) {
      // A space-specific symbol used in a generic access.
      if (s.space == Space::Shared)
        base += kSharedWindow;
      else if (s.space == Space::Local)
        base += kLocalWindow;
      else if (s.space == Space::Param)
        base += kParamWindow;
    }
    a += base;
  }
  return a;
}

bool Cta::genericToShared(uint64_t generic, uint64_t &off) const {
  if (generic >= kSharedWindow && generic < kSharedWindow + kWindowSize) {
    off = generic - kSharedWindow;
    return true;
  }
  return false;
}

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

static const char *spaceName(Space s) {
  switch (s) {
  case Space::Generic:
    return "generic";
  case Space::Global:
    return "global";
  case Space::Shared:
    return "shared";
  case Space::Local:
    return "local";
  case Space::Param:
    return "param";
  case Space::Const:
    return "const";
  }
  return "?";
}

bool Cta::checkGlobal(ThreadState &t, const Instr &in, uint64_t addr,
                      unsigned bytes, bool write, Device::Allocation *&a) {
  a = device.find(addr, bytes);
  if (a)
    return true;
  std::string msg = std::string("out-of-bounds global ") +
                    (write ? "write" : "read") + " of " +
                    std::to_string(bytes) + " bytes at " + hex(addr);
  if (const Device::Allocation *n = device.nearest(addr)) {
    int64_t off = static_cast<int64_t>(addr - n->base);
    msg += " (" + std::to_string(off) + " bytes from the start of '" + n->name +
           "', " + std::to_string(n->size) + " bytes)";
  } else {
    msg += " (below every allocation)";
  }
  fault(t, in, msg);
  return false;
}

void Cta::countGlobal(const Device::Allocation *a, unsigned bytes, bool write) {
  size_t i = static_cast<size_t>(a - device.allocations().data());
  std::vector<uint64_t> &per =
      write ? stats.allocBytesWritten : stats.allocBytesRead;
  if (per.size() <= i)
    per.resize(i + 1, 0);
  per[i] += bytes;
  (write ? stats.globalBytesWritten : stats.globalBytesRead) += bytes;
}

static bool resolveGeneric(uint64_t &addr, Space &space) {
  if (addr >= kSharedWindow && addr < kSharedWindow + kWindowSize) {
    space = Space::Shared;
    addr -= kSharedWindow;
  } else if (addr >= kLocalWindow && addr < kLocalWindow + kWindowSize) {
    space = Space::Local;
    addr -= kLocalWindow;
  } else if (addr >= kParamWindow && addr < kParamWindow + kWindowSize) {
    space = Space::Param;
    addr -= kParamWindow;
  } else {
    space = Space::Global;
  }
  return true;
}

bool Cta::load(ThreadState &t, const Instr &in, Space space, uint64_t addr,
               unsigned bytes, void *dst, bool *defined) {
  if (defined)
    *defined = true;
  if (space == Space::Generic)
    resolveGeneric(addr, space);
  if (bytes > 1 && (addr % std::min(bytes, 16u)) != 0) {
    fault(t, in,
          std::string("misaligned ") + spaceName(space) + " read of " +
              std::to_string(bytes) + " bytes at " + hex(addr));
    return false;
  }
  switch (space) {
  case Space::Global:
  case Space::Const: {
    Device::Allocation *a;
    if (!checkGlobal(t, in, addr, bytes, false, a))
      return false;
    std::memcpy(dst, a->data.data() + (addr - a->base), bytes);
    if (options.stats)
      countGlobal(a, bytes, false);
    return true;
  }
  case Space::Shared:
    return sharedRead(t, in, addr, bytes, dst) && ([&] {
             if (defined && options.initcheck)
               for (unsigned i = 0; i < bytes; ++i)
                 if (!sharedDef[addr + i])
                   *defined = false;
             if (options.stats)
               recordShared(t, in, addr, bytes);
             return true;
           })();
  case Space::Local:
    if (addr + bytes > t.local.size() || addr + bytes < addr) {
      fault(t, in,
            "out-of-bounds local read of " + std::to_string(bytes) +
                " bytes at offset " + hex(addr) + " (frame of " +
                std::to_string(t.local.size()) + " bytes)");
      return false;
    }
    std::memcpy(dst, t.local.data() + addr, bytes);
    if (defined && options.initcheck)
      for (unsigned i = 0; i < bytes; ++i)
        if (!t.localDef[addr + i])
          *defined = false;
    return true;
  case Space::Param:
    if (addr + bytes > params.size() || addr + bytes < addr) {
      fault(t, in,
            "out-of-bounds parameter read at offset " + hex(addr) + " (" +
                std::to_string(params.size()) + " parameter bytes)");
      return false;
    }
    std::memcpy(dst, params.data() + addr, bytes);
    return true;
  default:
    break;
  }
  fault(t, in, "unsupported state space");
  return false;
}

bool Cta::store(ThreadState &t, const Instr &in, Space space, uint64_t addr,
                unsigned bytes, const void *src, bool defined) {
  if (space == Space::Generic)
    resolveGeneric(addr, space);
  if (bytes > 1 && (addr % std::min(bytes, 16u)) != 0) {
    fault(t, in,
          std::string("misaligned ") + spaceName(space) + " write of " +
              std::to_string(bytes) + " bytes at " + hex(addr));
    return false;
  }
  switch (space) {
  case Space::Global: {
    Device::Allocation *a;
    if (!checkGlobal(t, in, addr, bytes, true, a))
      return false;
    if (!defined && options.initcheck) {
      std::string msg =
          "uninitialized value stored to global memory at " + hex(addr);
      if (!options.racecheck) {
        fault(t, in, msg);
        return false;
      }
      // Often the consequence of a race: report it only if no race is
      // found by the end of the block.
      if (deferredReports.size() < 4)
        deferredReports.push_back(where(t, in) + ": " + msg + "\n    " +
                                  in.text);
    }
    std::memcpy(a->data.data() + (addr - a->base), src, bytes);
    if (options.stats)
      countGlobal(a, bytes, true);
    return true;
  }
  case Space::Shared:
    if (!sharedWrite(t, in, addr, bytes, src))
      return false;
    if (!defined)
      std::memset(sharedDef.data() + addr, 0, bytes);
    if (options.stats)
      recordShared(t, in, addr, bytes);
    return true;
  case Space::Local:
    if (addr + bytes > t.local.size() || addr + bytes < addr) {
      fault(t, in,
            "out-of-bounds local write of " + std::to_string(bytes) +
                " bytes at offset " + hex(addr) + " (frame of " +
                std::to_string(t.local.size()) + " bytes)");
      return false;
    }
    std::memcpy(t.local.data() + addr, src, bytes);
    std::memset(t.localDef.data() + addr, defined ? 1 : 0, bytes);
    return true;
  case Space::Param:
    fault(t, in, "kernel parameters are read-only");
    return false;
  case Space::Const:
    fault(t, in, "constant memory is read-only");
    return false;
  default:
    break;
  }
  fault(t, in, "unsupported state space");
  return false;
}

bool Cta::sharedRead(ThreadState &t, const Instr &in, uint64_t off,
                     unsigned bytes, void *dst,
                     const std::vector<uint32_t> *actorVc, uint32_t actor) {
  if (off + bytes > shared.size() || off + bytes < off) {
    fault(t, in,
          "out-of-bounds shared read of " + std::to_string(bytes) +
              " bytes at offset " + hex(off) + " (" +
              std::to_string(shared.size()) + " shared bytes)");
    return false;
  }
  std::memcpy(dst, shared.data() + off, bytes);
  if (options.racecheck)
    raceAccess(t, in, off, bytes, false, actorVc, actor);
  return true;
}

bool Cta::sharedWrite(ThreadState &t, const Instr &in, uint64_t off,
                      unsigned bytes, const void *src,
                      const std::vector<uint32_t> *actorVc, uint32_t actor) {
  if (off + bytes > shared.size() || off + bytes < off) {
    fault(t, in,
          "out-of-bounds shared write of " + std::to_string(bytes) +
              " bytes at offset " + hex(off) + " (" +
              std::to_string(shared.size()) + " shared bytes)");
    return false;
  }
  std::memcpy(shared.data() + off, src, bytes);
  std::memset(sharedDef.data() + off, 1, bytes);
  if (options.racecheck)
    raceAccess(t, in, off, bytes, true, actorVc, actor);
  return true;
}

bool Cta::globalRead(ThreadState &t, const Instr &in, uint64_t addr,
                     unsigned bytes, void *dst) {
  Device::Allocation *a;
  if (!checkGlobal(t, in, addr, bytes, false, a))
    return false;
  std::memcpy(dst, a->data.data() + (addr - a->base), bytes);
  if (options.stats)
    countGlobal(a, bytes, false);
  return true;
}

bool Cta::globalWrite(ThreadState &t, const Instr &in, uint64_t addr,
                      unsigned bytes, const void *src) {
  Device::Allocation *a;
  if (!checkGlobal(t, in, addr, bytes, true, a))
    return false;
  std::memcpy(a->data.data() + (addr - a->base), src, bytes);
  if (options.stats)
    countGlobal(a, bytes, true);
  return true;
}

//===----------------------------------------------------------------------===//
// Racecheck
//===----------------------------------------------------------------------===//

void Cta::raceAccess(ThreadState &t, const Instr &in, uint64_t off,
                     unsigned bytes, bool isWrite,
                     const std::vector<uint32_t> *vcp, uint32_t actor) {
  const std::vector<uint32_t> &vc = vcp ? *vcp : t.vc;
  if (actor == UINT32_MAX)
    actor = t.index;
  Epoch me{actor, vc[actor]};
  auto ordered = [&](const Epoch &e) {
    return !e.valid() || e.actor == actor || vc[e.actor] >= e.clock;
  };
  auto actorName = [&](uint32_t a) {
    if (a == asyncActorId)
      return std::string("an asynchronous copy (TMA/bulk)");
    const ThreadState &o = threads[a];
    return "thread (" + std::to_string(o.tid[0]) + "," +
           std::to_string(o.tid[1]) + "," + std::to_string(o.tid[2]) + ")";
  };
  auto report = [&](const char *kind, uint32_t other, uint64_t at) {
    if (raceReports++ < 4)
      fault(t, in,
            std::string("shared-memory race (") + kind + ") at offset " +
                hex(at) + " with " + actorName(other) +
                ": no barrier orders the two accesses");
    else
      faulted = true;
  };
  for (unsigned i = 0; i < bytes; ++i) {
    SharedShadow &s = shadow[off + i];
    if (!ordered(s.write)) {
      report(isWrite ? "write after write" : "read after write", s.write.actor,
             off + i);
      return;
    }
    if (isWrite) {
      if (!ordered(s.read)) {
        report("write after read", s.read.actor, off + i);
        return;
      }
      if (s.sharedReaders != UINT32_MAX) {
        for (const Epoch &e : readerSets[s.sharedReaders])
          if (!ordered(e)) {
            report("write after read", e.actor, off + i);
            return;
          }
      }
      s.write = me;
      s.read = Epoch();
      s.sharedReaders = UINT32_MAX;
    } else {
      if (s.read.actor == actor || ordered(s.read)) {
        if (s.sharedReaders == UINT32_MAX) {
          s.read = me;
          continue;
        }
      }
      // Concurrent readers: keep them all.
      if (s.sharedReaders == UINT32_MAX) {
        s.sharedReaders = static_cast<uint32_t>(readerSets.size());
        readerSets.push_back({s.read});
      }
      auto &set = readerSets[s.sharedReaders];
      bool found = false;
      for (Epoch &e : set)
        if (e.actor == actor) {
          e = me;
          found = true;
        }
      if (!found)
        set.push_back(me);
      s.read = me;
    }
  }
}

void Cta::releaseClock(ThreadState &t) {
  if (options.racecheck)
    ++t.vc[t.index];
}

const std::vector<uint32_t> *Cta::asyncActor(ThreadState &t, uint32_t &actor) {
  actor = asyncActorId;
  if (!options.racecheck)
    return nullptr;
  for (size_t i = 0; i < asyncVc.size(); ++i)
    asyncVc[i] = std::max(asyncVc[i], t.vc[i]);
  asyncVc[asyncActorId] = ++asyncClock;
  return &asyncVc;
}

static void join(std::vector<uint32_t> &into, const std::vector<uint32_t> &v) {
  if (into.size() < v.size())
    into.resize(v.size(), 0);
  for (size_t i = 0; i < v.size(); ++i)
    into[i] = std::max(into[i], v[i]);
}

//===----------------------------------------------------------------------===//
// mbarriers
//===----------------------------------------------------------------------===//

MbarrierState *Cta::mbarrier(ThreadState &t, const Instr &in, uint64_t off) {
  auto it = mbarriers.find(off);
  if (it == mbarriers.end()) {
    fault(t, in, "no mbarrier was initialized at shared offset " + hex(off));
    return nullptr;
  }
  return &it->second;
}

static void completePhaseIfDone(MbarrierState &m) {
  while (m.pending == 0 && m.tx == 0) {
    ++m.phase;
    m.pending = m.expected;
    m.vcDone = m.vcAcc;
    if (m.expected == 0)
      break;
  }
}

void Cta::completeTx(ThreadState &t, const Instr &in, uint64_t off,
                     int64_t bytes, const std::vector<uint32_t> *actorVc) {
  MbarrierState *m = mbarrier(t, in, off);
  if (!m)
    return;
  m->tx -= bytes;
  if (actorVc)
    join(m->vcAcc, *actorVc);
  completePhaseIfDone(*m);
}

//===----------------------------------------------------------------------===//
// Stats
//===----------------------------------------------------------------------===//

void Cta::recordShared(ThreadState &t, const Instr &in, uint64_t off,
                       unsigned bytes) {
  (void)in;
  uint64_t key = (uint64_t(t.warp) << 48) | (uint64_t(t.pc) << 24) |
                 (t.execCount[t.pc] & 0xffffff);
  sharedRequests[key].accesses.push_back({off, bytes});
}

void Cta::flushSharedStats() {
  std::map<uint32_t, std::array<uint64_t, 3>> perPc;
  for (auto &kv : sharedRequests) {
    uint32_t pc = static_cast<uint32_t>((kv.first >> 24) & 0xffffff);
    // Wavefronts: the most distinct 4-byte words any bank must serve.
    std::map<uint32_t, std::vector<uint64_t>> bankWords;
    uint64_t total = 0;
    for (auto &a : kv.second.accesses) {
      total += a.second;
      for (uint64_t w = a.first / 4; w <= (a.first + a.second - 1) / 4; ++w)
        bankWords[w % 32].push_back(w);
    }
    uint64_t wave = 1;
    for (auto &b : bankWords) {
      std::sort(b.second.begin(), b.second.end());
      uint64_t distinct =
          std::unique(b.second.begin(), b.second.end()) - b.second.begin();
      wave = std::max(wave, distinct);
    }
    auto &e = perPc[pc];
    e[0] += 1;
    e[1] += wave;
    e[2] += std::max<uint64_t>(1, (total + 127) / 128);
  }
  sharedRequests.clear();
  for (auto &kv : perPc) {
    const Instr &in = kernel.code[kv.first];
    Stats::SharedAccess *s = nullptr;
    for (auto &x : stats.shared)
      if (x.kernel == kernel.name && x.line == in.line && x.text == in.text)
        s = &x;
    if (!s) {
      stats.shared.push_back({kernel.name, in.text, in.line, 0, 0, 0});
      s = &stats.shared.back();
    }
    s->requests += kv.second[0];
    s->wavefronts += kv.second[1];
    s->idealWavefronts += kv.second[2];
  }
}

void Cta::flushStats() {
  if (!options.stats)
    return;
  flushSharedStats();
  for (size_t pc = 0; pc < pcCounts.size(); ++pc) {
    if (!pcCounts[pc])
      continue;
    const std::string &text = kernel.code[pc].text;
    size_t sp = text.find_first_of(" \t");
    std::string opw = text.substr(0, sp);
    if (!opw.empty() && opw[0] == '@') {
      size_t sp2 = text.find_first_of(" \t", sp + 1);
      opw = text.substr(sp + 1, sp2 - sp - 1);
    }
    stats.perOpcode[opw] += pcCounts[pc];
  }
  for (size_t pc = 0; pc < backEdges.size(); ++pc) {
    if (!backEdges[pc])
      continue;
    const Instr &in = kernel.code[pc];
    uint32_t head = static_cast<uint32_t>(in.ops[0].imm);
    uint64_t body = 0;
    for (size_t i = head; i <= pc; ++i)
      body += pcCounts[i];
    Stats::Loop *l = nullptr;
    for (auto &x : stats.loops)
      if (x.kernel == kernel.name && x.backLine == in.line)
        l = &x;
    if (!l) {
      stats.loops.push_back(
          {kernel.name, kernel.code[head].line, in.line, 0, 0});
      l = &stats.loops.back();
    }
    l->iterations += backEdges[pc];
    l->threadInstructions += body;
  }
}

//===----------------------------------------------------------------------===//
// Execution
//===----------------------------------------------------------------------===//

static bool isCollective(const Instr &in) {
  switch (in.op) {
  case Op::Shfl:
  case Op::Vote:
  case Op::Match:
  case Op::Redux:
  case Op::Elect:
  case Op::Mma:
  case Op::Ldmatrix:
  case Op::Stmatrix:
    return true;
  case Op::Bar:
  case Op::Barrier:
    return in.a == BarWarpSync;
  case Op::Wgmma:
    return in.a == WgMma;
  default:
    return false;
  }
}

/// The membermask operand of a .sync collective, or the full warp.
static int maskOperand(const Instr &in) {
  switch (in.op) {
  case Op::Shfl:
    return 4;
  case Op::Vote:
  case Op::Match:
  case Op::Redux:
    return 2;
  case Op::Elect:
    return 1;
  case Op::Bar:
  case Op::Barrier:
    return in.a == BarWarpSync ? 0 : -1;
  default:
    return -1;
  }
}

bool Cta::run() {
  uint64_t limit = options.maxInstructions;
  for (;;) {
    bool progress = false;
    for (ThreadState &t : threads) {
      if (t.wait != ThreadState::Wait::None)
        continue;
      runThread(t);
      progress = true;
      if (faulted)
        break;
      if (limit && executed > limit) {
        fault(t, kernel.code[t.pc],
              "the kernel executed more than " + std::to_string(limit) +
                  " thread-instructions (an endless loop?)");
        break;
      }
    }
    if (faulted)
      break;
    // Release mbarrier waiters whose phase completed.
    for (ThreadState &t : threads) {
      if (t.wait != ThreadState::Wait::Mbarrier)
        continue;
      auto it = mbarriers.find(t.waitAddr);
      if (it == mbarriers.end())
        continue;
      MbarrierState &m = it->second;
      // The phase with parity waitParity has completed once the current
      // phase's parity differs from it.
      if ((m.phase & 1) == t.waitParity)
        continue;
      const Instr &in = kernel.code[t.pc];
      write(t, in.ops[0], Ty::Pred, 1);
      if (options.racecheck)
        join(t.vc, m.vcDone);
      t.wait = ThreadState::Wait::None;
      ++t.pc;
      progress = true;
    }
    if (resolveCollectives())
      progress = true;
    if (faulted)
      break;
    bool allExited = true;
    for (ThreadState &t : threads)
      if (t.wait != ThreadState::Wait::Exited)
        allExited = false;
    if (allExited)
      break;
    if (!progress) {
      // Deadlock: describe who waits on what.
      std::ostringstream os;
      os << "deadlock: no thread can make progress";
      unsigned shown = 0;
      for (ThreadState &t : threads) {
        if (t.wait == ThreadState::Wait::Exited || shown >= 4)
          continue;
        ++shown;
        const Instr &in = kernel.code[t.pc];
        os << "\n    thread (" << t.tid[0] << "," << t.tid[1] << "," << t.tid[2]
           << ") waits at line " << in.line << ": " << in.text;
        if (t.wait == ThreadState::Wait::Barrier) {
          const BarrierState &b = barriers[t.waitBarrier];
          os << " (barrier " << t.waitBarrier << ": " << b.arrived << " of "
             << b.expected << " threads arrived)";
        } else if (t.wait == ThreadState::Wait::Mbarrier) {
          os << " (mbarrier at shared " << hex(t.waitAddr)
             << " never completes the phase with parity " << t.waitParity
             << ")";
        } else if (t.wait == ThreadState::Wait::Collective) {
          os << " (lanes of membermask " << hex(t.waitMask)
             << " never all arrive)";
        }
      }
      faulted = true;
      const ThreadState *first = nullptr;
      for (ThreadState &t : threads)
        if (t.wait != ThreadState::Wait::Exited) {
          first = &t;
          break;
        }
      if (reports.size() < std::max(1u, options.maxReports))
        reports.push_back(where(*first, kernel.code[first->pc]) + ": " +
                          os.str());
      break;
    }
  }
  if (!faulted && !deferredReports.empty()) {
    faulted = true;
    for (const std::string &r : deferredReports)
      if (reports.size() < std::max(1u, options.maxReports))
        reports.push_back(r);
  }
  if (options.stats)
    flushStats();
  stats.threadInstructions += executed;
  return !faulted;
}

bool Cta::resolveCollectives() {
  bool progress = false;
  size_t nwarps = (threads.size() + 31) / 32;
  for (size_t w = 0; w < nwarps; ++w) {
    size_t begin = w * 32, end = std::min(threads.size(), begin + 32);
    for (size_t i = begin; i < end; ++i) {
      ThreadState &t = threads[i];
      if (t.wait != ThreadState::Wait::Collective)
        continue;
      const Instr &in = kernel.code[t.pc];
      if (in.op == Op::Wgmma) {
        // Warpgroup: 128 consecutive threads, all at this pc.
        size_t g = (t.index / 128) * 128;
        if (g + 128 > threads.size()) {
          fault(t, in, "wgmma needs a complete warpgroup of 128 threads");
          return false;
        }
        std::vector<ThreadState *> lanes;
        bool ready = true;
        for (size_t j = g; j < g + 128; ++j) {
          ThreadState &o = threads[j];
          if (o.wait == ThreadState::Wait::Exited) {
            fault(t, in, "a thread of the warpgroup exited before wgmma");
            return false;
          }
          if (o.wait != ThreadState::Wait::Collective || o.pc != t.pc) {
            ready = false;
            break;
          }
          lanes.push_back(&o);
        }
        if (!ready)
          continue;
        execCollective(lanes, in);
        for (ThreadState *o : lanes) {
          o->wait = ThreadState::Wait::None;
          ++o->pc;
        }
        progress = true;
        continue;
      }
      uint32_t mask = t.waitMask;
      if (!(mask & (1u << t.lane))) {
        fault(t, in,
              "the membermask " + hex(mask) +
                  " does not include the executing lane " +
                  std::to_string(t.lane));
        return false;
      }
      std::vector<ThreadState *> lanes;
      bool ready = true;
      for (uint32_t l = 0; l < 32; ++l) {
        if (!(mask & (1u << l)))
          continue;
        if (begin + l >= end) {
          fault(t, in,
                "the membermask " + hex(mask) + " names lane " +
                    std::to_string(l) + ", which does not exist");
          return false;
        }
        ThreadState &o = threads[begin + l];
        if (o.wait == ThreadState::Wait::Exited) {
          fault(t, in,
                "the membermask " + hex(mask) + " names lane " +
                    std::to_string(l) + ", which has exited");
          return false;
        }
        if (o.wait != ThreadState::Wait::Collective || o.pc != t.pc) {
          ready = false;
          break;
        }
        if (o.waitMask != mask) {
          fault(t, in,
                "lanes " + std::to_string(t.lane) + " and " +
                    std::to_string(l) + " name different membermasks");
          return false;
        }
        lanes.push_back(&o);
      }
      if (!ready)
        continue;
      execCollective(lanes, in);
      for (ThreadState *o : lanes) {
        o->wait = ThreadState::Wait::None;
        ++o->pc;
      }
      progress = true;
      if (faulted)
        return false;
    }
  }
  return progress;
}

bool Cta::resolveBarrier(uint32_t id) {
  BarrierState &b = barriers[id];
  if (b.arrived < b.expected)
    return false;
  // Release: every waiter joins every arriver's clock.
  if (options.racecheck) {
    std::vector<uint32_t> all(threads.size() + 1, 0);
    for (uint32_t i : b.waiting)
      join(all, threads[i].vc);
    for (uint32_t i : b.waiting)
      if (threads[i].wait == ThreadState::Wait::Barrier)
        join(threads[i].vc, all);
    for (uint32_t i : b.waiting)
      ++threads[i].vc[i];
  }
  for (uint32_t i : b.waiting) {
    ThreadState &t = threads[i];
    const Instr &in = kernel.code[t.pc];
    if (in.op == Op::Bar || in.op == Op::Barrier) {
      if (in.a == BarRed && !in.ops.empty()) {
        uint64_t v = in.b == 0   ? b.redPopc
                     : in.b == 1 ? (b.redAnd ? 1 : 0)
                                 : (b.redOr ? 1 : 0);
        write(t, in.ops[0], in.b == 0 ? Ty::U32 : Ty::Pred, v);
      }
    }
    if (t.wait == ThreadState::Wait::Barrier) {
      t.wait = ThreadState::Wait::None;
      ++t.pc;
    }
  }
  b = BarrierState();
  return true;
}

void Cta::execCollective(std::vector<ThreadState *> &lanes, const Instr &in) {
  switch (in.op) {
  case Op::Mma:
    execMma(*this, lanes, in);
    return;
  case Op::Ldmatrix:
    execLdmatrix(*this, lanes, in);
    return;
  case Op::Stmatrix:
    execStmatrix(*this, lanes, in);
    return;
  case Op::Wgmma:
    execWgmma(*this, lanes, in);
    return;
  case Op::Bar:
  case Op::Barrier:
    // bar.warp.sync: a memory barrier among the lanes.
    if (options.racecheck) {
      std::vector<uint32_t> all;
      for (ThreadState *l : lanes)
        join(all, l->vc);
      for (ThreadState *l : lanes) {
        join(l->vc, all);
        ++l->vc[l->index];
      }
    }
    return;
  default:
    break;
  }
  // Lane values by lane id.
  ThreadState *byLane[32] = {};
  for (ThreadState *l : lanes)
    byLane[l->lane] = l;
  Ty ty = in.numTypes ? in.types[0] : Ty::B32;
  switch (in.op) {
  case Op::Shfl: {
    for (ThreadState *l : lanes) {
      uint32_t lane = l->lane;
      uint32_t b = static_cast<uint32_t>(read(*l, in.ops[2], Ty::B32));
      uint32_t c = static_cast<uint32_t>(read(*l, in.ops[3], Ty::B32));
      uint32_t bval = b & 0x1f, cval = c & 0x1f, segmask = (c >> 8) & 0x1f;
      uint32_t maxLane = (lane & segmask) | (cval & ~segmask);
      uint32_t minLane = lane & segmask;
      int32_t j = 0;
      bool pval = false;
      switch (in.a) {
      case ShflUp:
        j = static_cast<int32_t>(lane) - static_cast<int32_t>(bval);
        pval = j >= static_cast<int32_t>(maxLane);
        break;
      case ShflDown:
        j = static_cast<int32_t>(lane + bval);
        pval = j <= static_cast<int32_t>(maxLane);
        break;
      case ShflBfly:
        j = static_cast<int32_t>(lane ^ bval);
        pval = j <= static_cast<int32_t>(maxLane);
        break;
      default:
        j = static_cast<int32_t>(minLane | (bval & ~segmask));
        pval = j <= static_cast<int32_t>(maxLane);
        break;
      }
      if (!pval)
        j = static_cast<int32_t>(lane);
      // Stash the source lane index for the second pass.
      l->waitParity = static_cast<uint32_t>(j);
      l->waitBarrier = pval;
    }
    uint64_t vals[32];
    bool defs[32];
    for (ThreadState *l : lanes) {
      vals[l->lane] = read(*l, in.ops[1], Ty::B32);
      defs[l->lane] = isDefined(*l, in.ops[1]);
    }
    for (ThreadState *l : lanes) {
      uint32_t j = l->waitParity;
      const Operand &d = in.ops[0];
      const Operand &dv = elem(d, 0);
      if (j >= 32 || !byLane[j]) {
        // Source lane inactive: the result is undefined.
        write(*l, dv, Ty::B32, 0, false);
      } else {
        write(*l, dv, Ty::B32, vals[j], defs[j]);
      }
      if (d.kind == Operand::Kind::Vec && d.vecCount > 1)
        write(*l, elem(d, 1), Ty::Pred, l->waitBarrier);
    }
    return;
  }
  case Op::Vote: {
    uint32_t ballot = 0;
    for (ThreadState *l : lanes)
      if (read(*l, in.ops[1], Ty::Pred))
        ballot |= 1u << l->lane;
    uint32_t mask = lanes.front()->waitMask;
    for (ThreadState *l : lanes) {
      uint64_t v = 0;
      switch (in.a) {
      case VoteAll:
        v = (ballot & mask) == mask;
        break;
      case VoteAny:
        v = ballot != 0;
        break;
      case VoteUni:
        v = ballot == 0 || (ballot & mask) == mask;
        break;
      default:
        v = ballot;
        break;
      }
      write(*l, in.ops[0], in.a == VoteBallot ? Ty::B32 : Ty::Pred, v);
    }
    return;
  }
  case Op::Match: {
    for (ThreadState *l : lanes) {
      uint64_t mine = read(*l, in.ops[1], ty);
      uint32_t same = 0;
      for (ThreadState *o : lanes)
        if (read(*o, in.ops[1], ty) == mine)
          same |= 1u << o->lane;
      const Operand &d = in.ops[0];
      if (in.a == 0) {
        write(*l, elem(d, 0), Ty::B32, same);
      } else {
        bool all = same == lanes.front()->waitMask;
        write(*l, elem(d, 0), Ty::B32, all ? same : 0);
        if (d.kind == Operand::Kind::Vec && d.vecCount > 1)
          write(*l, elem(d, 1), Ty::Pred, all);
      }
    }
    return;
  }
  case Op::Redux: {
    bool isSigned = tyIsSigned(ty);
    uint64_t acc = 0;
    bool first = true;
    for (ThreadState *l : lanes) {
      uint64_t v = read(*l, in.ops[1], ty);
      int64_t sv = static_cast<int32_t>(v);
      if (first) {
        acc = v;
        first = false;
        continue;
      }
      switch (in.a) {
      case AtomAdd:
        acc = static_cast<uint32_t>(acc + v);
        break;
      case AtomMin:
        acc = isSigned ? (sv < static_cast<int32_t>(acc) ? v : acc)
                       : std::min(acc, v);
        break;
      case AtomMax:
        acc = isSigned ? (sv > static_cast<int32_t>(acc) ? v : acc)
                       : std::max(acc, v);
        break;
      case AtomAnd:
        acc &= v;
        break;
      case AtomOr:
        acc |= v;
        break;
      case AtomXor:
        acc ^= v;
        break;
      default:
        break;
      }
    }
    for (ThreadState *l : lanes)
      write(*l, in.ops[0], ty, acc);
    return;
  }
  case Op::Elect: {
    uint32_t leader = lanes.front()->lane;
    for (ThreadState *l : lanes) {
      const Operand &d = in.ops[0];
      if (d.kind == Operand::Kind::Vec) {
        write(*l, elem(d, 0), Ty::B32, leader);
        write(*l, elem(d, 1), Ty::Pred, l->lane == leader);
      } else {
        write(*l, d, Ty::Pred, l->lane == leader);
      }
    }
    return;
  }
  default:
    fault(*lanes.front(), in, "not a collective");
  }
}

void Cta::runThread(ThreadState &t) {
  while (t.wait == ThreadState::Wait::None && !faulted) {
    step(t);
    if (options.maxInstructions && executed > options.maxInstructions)
      return;
  }
}

static bool guardPasses(const ThreadState &t, const Instr &in) {
  if (in.guard < 0)
    return true;
  bool p = t.regs[in.guard] != 0;
  return in.guardNegated ? !p : p;
}

void Cta::step(ThreadState &t) {
  const Instr &in = kernel.code[t.pc];
  ++executed;
  ++t.instructions;
  if (options.stats) {
    ++pcCounts[t.pc];
    ++t.execCount[t.pc];
  }
  if (in.guard >= 0) {
    if (options.initcheck && !t.defined[in.guard]) {
      fault(t, in, "the guard predicate is uninitialized");
      return;
    }
    if (!guardPasses(t, in)) {
      ++t.pc;
      return;
    }
  }
  if (execAlu(*this, t, in)) {
    ++t.pc;
    return;
  }
  switch (in.op) {
  case Op::Bra: {
    uint32_t target = static_cast<uint32_t>(in.ops[0].imm);
    if (options.stats && target <= t.pc)
      ++backEdges[t.pc];
    t.pc = target;
    return;
  }
  case Op::Exit:
  case Op::Ret:
    if (!kernel.isEntry && in.op == Op::Ret) {
      fault(t, in, "ret from a device function is not supported");
      return;
    }
    t.wait = ThreadState::Wait::Exited;
    // An exiting thread no longer counts toward whole-CTA barriers.
    for (uint32_t id = 0; id < 16; ++id) {
      BarrierState &b = barriers[id];
      if (b.arrived && b.wholeCta && b.expected) {
        --b.expected;
        resolveBarrier(id);
      }
    }
    // Outstanding cp.async copies land before exit.
    for (auto &g : t.cpGroups)
      for (auto &c : g)
        sharedWrite(t, in, c.dst, static_cast<unsigned>(c.bytes.size()),
                    c.bytes.data());
    t.cpGroups.clear();
    return;
  case Op::Trap:
    fault(t, in, "trap");
    return;
  case Op::Call:
    fault(t, in, "calls to device functions are not supported");
    return;
  case Op::Ld:
  case Op::Ldu: {
    Ty ty = in.types[0];
    unsigned eb = std::max(1u, tyBits(ty) / 8);
    unsigned n = in.vec;
    const Operand &addrOp = in.ops[1];
    if (options.initcheck && !isDefined(t, addrOp)) {
      fault(t, in, "the address is computed from an uninitialized value");
      return;
    }
    uint64_t addr = address(t, addrOp, in.space);
    uint8_t buf[64];
    bool def = true;
    if (!load(t, in, in.space, addr, eb * n, buf, &def))
      return;
    for (unsigned i = 0; i < n; ++i) {
      uint64_t v = 0;
      std::memcpy(&v, buf + i * eb, eb);
      if (tyIsSigned(ty) && eb < 8) {
        unsigned sh = 64 - 8 * eb;
        v = static_cast<uint64_t>(static_cast<int64_t>(v << sh) >> sh);
      }
      write(t, elem(in.ops[0], i), Ty::None, v, def);
    }
    ++t.pc;
    return;
  }
  case Op::St: {
    Ty ty = in.types[0];
    unsigned eb = std::max(1u, tyBits(ty) / 8);
    unsigned n = in.vec;
    const Operand &addrOp = in.ops[0];
    if (options.initcheck && !isDefined(t, addrOp)) {
      fault(t, in, "the address is computed from an uninitialized value");
      return;
    }
    uint64_t addr = address(t, addrOp, in.space);
    uint8_t buf[64];
    bool def = true;
    for (unsigned i = 0; i < n; ++i) {
      const Operand &e = elem(in.ops[1], i);
      uint64_t v = read(t, e, ty);
      std::memcpy(buf + i * eb, &v, eb);
      if (!isDefined(t, e))
        def = false;
    }
    if (!store(t, in, in.space, addr, eb * n, buf, def))
      return;
    ++t.pc;
    return;
  }
  case Op::Atom:
  case Op::Red: {
    bool isAtom = in.op == Op::Atom;
    Ty ty = in.types[0];
    unsigned eb = std::max(1u, tyBits(ty) / 8);
    const Operand &addrOp = in.ops[isAtom ? 1 : 0];
    uint64_t addr = address(t, addrOp, in.space);
    uint64_t old = 0;
    if (!load(t, in, in.space, addr, eb, &old))
      return;
    uint64_t b = read(t, in.ops[isAtom ? 2 : 1], ty);
    uint64_t nv = old;
    auto asF = [&](uint64_t v) -> double {
      switch (ty) {
      case Ty::F32:
        return bitsToF32(static_cast<uint32_t>(v));
      case Ty::F64:
        return bitsToF64(v);
      case Ty::F16:
        return f16ToDouble(static_cast<uint32_t>(v));
      case Ty::BF16:
        return bf16ToDouble(static_cast<uint32_t>(v));
      default:
        return 0;
      }
    };
    auto fromF = [&](double d) -> uint64_t {
      switch (ty) {
      case Ty::F32:
        return f32ToBits(static_cast<float>(d));
      case Ty::F64:
        return f64ToBits(d);
      case Ty::F16:
        return doubleToF16(d);
      case Ty::BF16:
        return doubleToBF16(d);
      default:
        return 0;
      }
    };
    bool isF = tyIsFloat(ty);
    bool sgn = tyIsSigned(ty);
    unsigned bits = tyBits(ty);
    auto sx = [&](uint64_t v) {
      unsigned sh = 64 - bits;
      return static_cast<int64_t>(v << sh) >> sh;
    };
    switch (in.a) {
    case AtomAdd:
      nv = isF ? fromF(asF(old) + asF(b)) : old + b;
      break;
    case AtomMin:
      nv = isF   ? fromF(std::min(asF(old), asF(b)))
           : sgn ? (sx(b) < sx(old) ? b : old)
                 : std::min(old, b);
      break;
    case AtomMax:
      nv = isF   ? fromF(std::max(asF(old), asF(b)))
           : sgn ? (sx(b) > sx(old) ? b : old)
                 : std::max(old, b);
      break;
    case AtomInc:
      nv = old >= b ? 0 : old + 1;
      break;
    case AtomDec:
      nv = (old == 0 || old > b) ? b : old - 1;
      break;
    case AtomAnd:
      nv = old & b;
      break;
    case AtomOr:
      nv = old | b;
      break;
    case AtomXor:
      nv = old ^ b;
      break;
    case AtomExch:
      nv = b;
      break;
    case AtomCas:
      nv = old == b ? read(t, in.ops[3], ty) : old;
      break;
    }
    nv = maskBits(nv, bits);
    // Atomics are ordered among themselves: they do not race.
    Space sp = in.space;
    uint64_t a = addr;
    if (sp == Space::Generic)
      resolveGeneric(a, sp);
    if (sp == Space::Shared) {
      if (a + eb > shared.size()) {
        fault(t, in, "out-of-bounds shared atomic at offset " + hex(a));
        return;
      }
      std::memcpy(shared.data() + a, &nv, eb);
      std::memset(sharedDef.data() + a, 1, eb);
    } else if (!store(t, in, sp, a, eb, &nv)) {
      return;
    }
    if (isAtom)
      write(t, in.ops[0], ty, old);
    ++t.pc;
    return;
  }
  case Op::Prefetch:
  case Op::Prefetchu:
  case Op::Membar:
  case Op::Fence:
  case Op::Nanosleep:
  case Op::Griddepcontrol:
  case Op::Setmaxnreg:
    ++t.pc;
    return;
  case Op::Createpolicy:
    write(t, in.ops[0], Ty::B64, 0);
    ++t.pc;
    return;
  case Op::Activemask: {
    uint32_t mask = 0;
    size_t begin = t.warp * 32;
    for (size_t l = 0; l < 32 && begin + l < threads.size(); ++l)
      if (threads[begin + l].wait != ThreadState::Wait::Exited)
        mask |= 1u << l;
    write(t, in.ops[0], Ty::B32, mask);
    ++t.pc;
    return;
  }
  case Op::Bar:
  case Op::Barrier: {
    if (in.a == BarWarpSync) {
      t.waitMask = static_cast<uint32_t>(read(t, in.ops[0], Ty::B32));
      t.wait = ThreadState::Wait::Collective;
      return;
    }
    uint32_t id = in.ops.size() > (in.a == BarRed ? 1u : 0u)
                      ? static_cast<uint32_t>(
                            read(t, in.ops[in.a == BarRed ? 1 : 0], Ty::U32))
                      : 0;
    if (id >= 16) {
      fault(t, in, "barrier id " + std::to_string(id) + " is out of range");
      return;
    }
    size_t countIdx = in.a == BarRed ? 2 : 1;
    uint32_t live = 0;
    for (const ThreadState &o : threads)
      if (o.wait != ThreadState::Wait::Exited)
        ++live;
    uint32_t expected = live;
    bool wholeCta = false;
    if (in.ops.size() > countIdx &&
        in.ops[countIdx].kind != Operand::Kind::Vec &&
        !(in.a == BarRed && countIdx == in.ops.size() - 1)) {
      expected = static_cast<uint32_t>(read(t, in.ops[countIdx], Ty::U32));
      if (expected % 32 != 0 || expected == 0) {
        fault(t, in,
              "barrier thread count " + std::to_string(expected) +
                  " is not a positive multiple of 32");
        return;
      }
    } else {
      // Whole-CTA barrier: every thread that has not exited.
      wholeCta = true;
    }
    BarrierState &b = barriers[id];
    if (b.arrived == 0) {
      b.expected = expected;
      b.wholeCta = wholeCta;
    }
    ++b.arrived;
    if (in.a == BarRed) {
      bool p = read(t, in.ops.back(), Ty::Pred) != 0;
      b.redPopc += p;
      b.redAnd = b.redAnd && p;
      b.redOr = b.redOr || p;
    }
    if (in.a == BarArrive) {
      // Arrivers release their clock but do not wait.
      if (options.racecheck)
        b.waiting.push_back(t.index);
      releaseClock(t);
      ++t.pc;
      resolveBarrier(id);
      return;
    }
    b.waiting.push_back(t.index);
    t.waitBarrier = id;
    t.wait = ThreadState::Wait::Barrier;
    resolveBarrier(id);
    return;
  }
  case Op::Cp: {
    switch (in.a) {
    case CpAsync: {
      uint64_t dst = address(t, in.ops[0], Space::Shared);
      uint64_t src = address(t, in.ops[1], Space::Global);
      unsigned size = static_cast<unsigned>(read(t, in.ops[2], Ty::U32));
      unsigned srcSize = size;
      if (in.ops.size() > 3 && in.ops[3].kind != Operand::Kind::Reg &&
          in.ops[3].kind != Operand::Kind::Imm)
        ;
      else if (in.ops.size() > 3 && in.ops[3].kind == Operand::Kind::Imm)
        srcSize = static_cast<unsigned>(in.ops[3].imm);
      else if (in.ops.size() > 3 &&
               kernel.regs[in.ops[3].reg].type == Ty::Pred) {
        if (read(t, in.ops[3], Ty::Pred))
          srcSize = 0; // ignore-src
      } else if (in.ops.size() > 3) {
        srcSize = static_cast<unsigned>(read(t, in.ops[3], Ty::U32));
      }
      if (size != 4 && size != 8 && size != 16) {
        fault(t, in, "cp.async size must be 4, 8 or 16");
        return;
      }
      if (dst % size || src % size) {
        fault(t, in,
              "misaligned cp.async (" + hex(src) + " -> shared " + hex(dst) +
                  ", " + std::to_string(size) + " bytes)");
        return;
      }
      ThreadState::PendingCopy c;
      c.dst = dst;
      c.line = in.line;
      c.bytes.assign(size, 0);
      if (srcSize > size)
        srcSize = size;
      if (srcSize && !globalRead(t, in, src, srcSize, c.bytes.data()))
        return;
      if (dst + size > shared.size()) {
        fault(t, in,
              "out-of-bounds cp.async destination at shared " + hex(dst));
        return;
      }
      t.cpOpen.push_back(std::move(c));
      ++t.pc;
      return;
    }
    case CpAsyncCommit:
      t.cpGroups.push_back(std::move(t.cpOpen));
      t.cpOpen.clear();
      ++t.pc;
      return;
    case CpAsyncWait:
    case CpAsyncWaitAll: {
      size_t keep = in.a == CpAsyncWaitAll
                        ? 0
                        : static_cast<size_t>(read(t, in.ops[0], Ty::U32));
      if (in.a == CpAsyncWaitAll && !t.cpOpen.empty()) {
        t.cpGroups.push_back(std::move(t.cpOpen));
        t.cpOpen.clear();
      }
      while (t.cpGroups.size() > keep) {
        for (auto &c : t.cpGroups.front())
          if (!sharedWrite(t, in, c.dst, static_cast<unsigned>(c.bytes.size()),
                           c.bytes.data()))
            return;
        t.cpGroups.pop_front();
      }
      ++t.pc;
      return;
    }
    case CpAsyncMbarArrive: {
      // All prior cp.async of this thread complete, then the mbarrier
      // sees an arrive (.noinc: counted against the expected arrivals).
      if (!t.cpOpen.empty()) {
        t.cpGroups.push_back(std::move(t.cpOpen));
        t.cpOpen.clear();
      }
      while (!t.cpGroups.empty()) {
        for (auto &c : t.cpGroups.front())
          if (!sharedWrite(t, in, c.dst, static_cast<unsigned>(c.bytes.size()),
                           c.bytes.data()))
            return;
        t.cpGroups.pop_front();
      }
      uint64_t off = address(t, in.ops[0], Space::Shared);
      MbarrierState *m = mbarrier(t, in, off);
      if (!m)
        return;
      if (in.flags & NOINC) {
        if (m->pending == 0) {
          fault(t, in, "mbarrier arrival count underflow");
          return;
        }
        --m->pending;
        if (options.racecheck)
          join(m->vcAcc, t.vc);
        releaseClock(t);
        completePhaseIfDone(*m);
      }
      ++t.pc;
      return;
    }
    case CpBulkTensor:
    case CpBulk:
      execBulkCopy(*this, t, in);
      if (!faulted)
        ++t.pc;
      return;
    case CpBulkCommit:
      // Bulk stores complete at issue; the group keeps their async clock.
      t.bulkGroups.push_back(t.bulkOpen);
      t.bulkOpen = 0;
      ++t.pc;
      return;
    case CpBulkWait: {
      // Racecheck: the thread is ordered after the shared-memory reads of
      // the groups the wait completes (all but the N newest).
      uint64_t keep = in.ops.empty() ? 0 : read(t, in.ops[0], Ty::U32);
      while (t.bulkGroups.size() > keep) {
        if (options.racecheck && t.bulkGroups.front())
          t.vc[asyncActorId] =
              std::max(t.vc[asyncActorId], t.bulkGroups.front());
        t.bulkGroups.pop_front();
      }
      ++t.pc;
      return;
    }
    }
    fault(t, in, "unsupported cp form");
    return;
  }
  case Op::Mbarrier: {
    size_t addrIdx = 0;
    for (size_t i = 0; i < in.ops.size(); ++i)
      if (in.ops[i].kind == Operand::Kind::Addr) {
        addrIdx = i;
        break;
      }
    const Operand &ao = in.ops[addrIdx];
    uint64_t off = address(
        t, ao, in.space == Space::Generic ? Space::Generic : Space::Shared);
    if (in.space == Space::Generic) {
      if (!genericToShared(off, off)) {
        fault(t, in,
              "mbarrier address " + hex(off) + " is not in shared memory");
        return;
      }
    }
    if (off % 8 || off + 8 > shared.size()) {
      fault(t, in,
            "mbarrier at shared offset " + hex(off) +
                " is misaligned or out of bounds");
      return;
    }
    if (in.a == MbarInit) {
      uint32_t count = static_cast<uint32_t>(read(t, in.ops[1], Ty::U32));
      if (count == 0 || count > (1u << 20) - 1) {
        fault(t, in,
              "mbarrier count " + std::to_string(count) + " is out of range");
        return;
      }
      MbarrierState m;
      m.expected = m.pending = count;
      mbarriers[off] = m;
      std::memset(sharedDef.data() + off, 1, 8);
      ++t.pc;
      return;
    }
    if (in.a == MbarInval) {
      mbarriers.erase(off);
      ++t.pc;
      return;
    }
    MbarrierState *m = mbarrier(t, in, off);
    if (!m)
      return;
    switch (in.a) {
    case MbarExpectTx:
      m->tx += static_cast<int64_t>(read(t, in.ops[1], Ty::U32));
      ++t.pc;
      return;
    case MbarCompleteTx:
      m->tx -= static_cast<int64_t>(read(t, in.ops[1], Ty::U32));
      completePhaseIfDone(*m);
      ++t.pc;
      return;
    case MbarArrive:
    case MbarArriveDrop: {
      uint32_t count = 1;
      if (in.flags & EXPECT_TX) {
        m->tx += static_cast<int64_t>(read(t, in.ops[addrIdx + 1], Ty::U32));
      } else if (in.ops.size() > addrIdx + 1) {
        count = static_cast<uint32_t>(read(t, in.ops[addrIdx + 1], Ty::U32));
      }
      if (m->pending < count) {
        fault(t, in,
              "mbarrier arrival count underflow (" + std::to_string(count) +
                  " arrivals, " + std::to_string(m->pending) + " pending)");
        return;
      }
      uint64_t token = m->phase & 1;
      if (options.racecheck)
        join(m->vcAcc, t.vc);
      releaseClock(t);
      m->pending -= count;
      if (in.a == MbarArriveDrop && m->expected >= count)
        m->expected -= count;
      completePhaseIfDone(*m);
      if (addrIdx > 0)
        write(t, in.ops[0], Ty::B64, token);
      ++t.pc;
      return;
    }
    case MbarTestWait:
    case MbarTryWait: {
      uint32_t parity =
          static_cast<uint32_t>(read(t, in.ops[addrIdx + 1], Ty::B64)) & 1;
      if ((m->phase & 1) != parity) {
        write(t, in.ops[0], Ty::Pred, 1);
        if (options.racecheck)
          join(t.vc, m->vcDone);
        ++t.pc;
        return;
      }
      // Block until the phase completes (a spin loop would never end).
      t.waitAddr = off;
      t.waitParity = parity;
      t.wait = ThreadState::Wait::Mbarrier;
      return;
    }
    case MbarPendingCount:
      write(t, in.ops[0], Ty::U32, m->pending);
      ++t.pc;
      return;
    default:
      break;
    }
    fault(t, in, "unsupported mbarrier operation");
    return;
  }
  case Op::Wgmma:
    switch (in.a) {
    case WgFence:
      ++t.pc;
      return;
    case WgCommit:
      ++t.pc;
      return;
    case WgWait:
      ++t.pc;
      return;
    default:
      t.wait = ThreadState::Wait::Collective;
      t.waitMask = 0xffffffffu;
      return;
    }
  case Op::Cvta:
  case Op::Isspacep:
  case Op::Mapa:
  case Op::Getctarank:
    break;
  default:
    if (isCollective(in)) {
      int mi = maskOperand(in);
      if (mi >= 0) {
        if (static_cast<size_t>(mi) >= in.ops.size()) {
          fault(t, in, "missing membermask operand");
          return;
        }
        t.waitMask = static_cast<uint32_t>(read(t, in.ops[mi], Ty::B32));
      } else {
        // .aligned warp instruction: every lane of the warp.
        size_t begin = t.warp * 32;
        size_t n = std::min<size_t>(32, threads.size() - begin);
        t.waitMask = n == 32 ? 0xffffffffu : ((1u << n) - 1);
      }
      t.wait = ThreadState::Wait::Collective;
      return;
    }
    break;
  }
  // Address-space conversions.
  switch (in.op) {
  case Op::Cvta: {
    Ty ty = in.types[0];
    uint64_t v = read(t, in.ops[1], ty);
    bool def = isDefined(t, in.ops[1]);
    uint64_t base = in.space == Space::Shared  ? kSharedWindow
                    : in.space == Space::Local ? kLocalWindow
                    : in.space == Space::Param ? kParamWindow
                                               : 0;
    if (in.ops[1].kind == Operand::Kind::Symbol &&
        kernel.symbols[in.ops[1].symbol].space == Space::Global)
      base = 0;
    uint64_t r = (in.flags & TO) ? v - base : v + base;
    if (in.flags & TO) {
      Space sp;
      uint64_t a = v;
      resolveGeneric(a, sp);
      if (sp != (in.space == Space::Const ? Space::Global : in.space) && def) {
        fault(t, in,
              "cvta.to." + std::string(spaceName(in.space)) +
                  " of generic address " + hex(v) + ", which is in " +
                  spaceName(sp) + " memory");
        return;
      }
    }
    write(t, in.ops[0], ty, r, def);
    ++t.pc;
    return;
  }
  case Op::Isspacep: {
    uint64_t a = read(t, in.ops[1], Ty::U64);
    Space sp;
    resolveGeneric(a, sp);
    write(t, in.ops[0], Ty::Pred, sp == in.space);
    ++t.pc;
    return;
  }
  case Op::Mapa:
    write(t, in.ops[0], in.types[0], read(t, in.ops[1], in.types[0]));
    ++t.pc;
    return;
  case Op::Getctarank:
    write(t, in.ops[0], Ty::U32, 0);
    ++t.pc;
    return;
  default:
    break;
  }
  fault(t, in,
        std::string("instruction '") + opName(in.op) +
            "' is decoded but not executed by the simulator");
}

} // namespace detail

//===----------------------------------------------------------------------===//
// Simulator
//===----------------------------------------------------------------------===//

Simulator::Simulator(const Module &module, Device &device, Options options)
    : module(module), device(device), options(options) {
  varAddress.assign(module.vars.size(), 0);
  for (size_t i = 0; i < module.vars.size(); ++i) {
    const ModuleVar &v = module.vars[i];
    if (v.space == Space::Shared)
      continue;
    std::vector<uint8_t> bytes(std::max<uint64_t>(v.size, 1), 0);
    std::copy(v.init.begin(), v.init.end(), bytes.begin());
    varAddress[i] = device.allocate(bytes.size(), bytes.data(), v.name);
  }
}

Simulator::~Simulator() = default;

bool Simulator::launch(const std::string &kernelName, Dim3 grid, Dim3 block,
                       uint64_t dynamicSharedBytes,
                       const std::vector<uint8_t> &paramBytes,
                       std::string &error) {
  const Kernel *k = module.findKernel(kernelName);
  if (!k || !k->isEntry || k->code.empty()) {
    error = "no kernel named '" + kernelName + "' in " + module.fileName;
    return false;
  }
  auto loc = module.fileName + ":" + std::to_string(k->line) + ": kernel " +
             k->name + ": ";
  if (grid.count() == 0 || block.count() == 0) {
    error = loc + "empty launch (grid " + std::to_string(grid.count()) +
            " blocks of " + std::to_string(block.count()) + " threads)";
    return false;
  }
  if (block.count() > 1024 || block.z > 64) {
    error = loc + "a block of " + std::to_string(block.count()) +
            " threads exceeds the 1024-thread limit";
    return false;
  }
  if (grid.y > 65535 || grid.z > 65535 || grid.x > 0x7fffffffu) {
    error = loc + "grid dimensions exceed the hardware limits";
    return false;
  }
  for (int i = 0; i < 3; ++i) {
    uint32_t b = i == 0 ? block.x : i == 1 ? block.y : block.z;
    if (k->reqntid[0] && b != k->reqntid[i]) {
      error = loc + "the block does not match .reqntid";
      return false;
    }
  }
  if (k->maxntid[0] &&
      block.count() > uint64_t(k->maxntid[0]) * k->maxntid[1] * k->maxntid[2]) {
    error = loc + "a block of " + std::to_string(block.count()) +
            " threads exceeds .maxntid";
    return false;
  }
  if (paramBytes.size() != k->paramBytes) {
    error = loc + "expected " + std::to_string(k->paramBytes) +
            " parameter bytes, got " + std::to_string(paramBytes.size());
    return false;
  }
  uint64_t smem = module.staticSharedBytes + dynamicSharedBytes;
  if (smem > 232448) {
    error = loc + std::to_string(smem) +
            " bytes of shared memory exceed the 227 KiB per-block limit";
    return false;
  }
  std::vector<std::string> reports;
  for (uint32_t z = 0; z < grid.z; ++z)
    for (uint32_t y = 0; y < grid.y; ++y)
      for (uint32_t x = 0; x < grid.x; ++x) {
        detail::Cta cta(module, *k, device, options, stats_, varAddress, grid,
                        block, Dim3{x, y, z}, dynamicSharedBytes, paramBytes,
                        reports);
        if (!cta.run()) {
          error.clear();
          for (const std::string &r : reports)
            error += r + "\n";
          if (!error.empty())
            error.pop_back();
          return false;
        }
      }
  return true;
}

std::string Simulator::formatStats() const {
  std::ostringstream os;
  os << "thread-instructions: " << stats_.threadInstructions << "\n";
  os << "global bytes read: " << stats_.globalBytesRead
     << ", written: " << stats_.globalBytesWritten << "\n";
  const std::vector<Device::Allocation> &allocs = device.allocations();
  for (size_t i = 0; i < allocs.size(); ++i) {
    uint64_t r =
        i < stats_.allocBytesRead.size() ? stats_.allocBytesRead[i] : 0;
    uint64_t w =
        i < stats_.allocBytesWritten.size() ? stats_.allocBytesWritten[i] : 0;
    if (r || w)
      os << "  buffer " << allocs[i].name << ": read " << r << ", written " << w
         << "\n";
  }
  std::vector<std::pair<uint64_t, std::string>> ops;
  for (auto &kv : stats_.perOpcode)
    ops.push_back({kv.second, kv.first});
  std::sort(ops.rbegin(), ops.rend());
  os << "per opcode:\n";
  for (auto &o : ops)
    os << "  " << o.second << ": " << o.first << "\n";
  if (!stats_.loops.empty()) {
    os << "loops:\n";
    for (auto &l : stats_.loops)
      os << "  " << l.kernel << " lines " << l.headLine << "-" << l.backLine
         << ": " << l.iterations << " back edges (thread), "
         << l.threadInstructions << " thread-instructions\n";
  }
  if (!stats_.shared.empty()) {
    os << "shared memory (warp requests, wavefronts, ideal):\n";
    for (auto &s : stats_.shared)
      os << "  line " << s.line << ": " << s.requests << " " << s.wavefronts
         << " " << s.idealWavefronts
         << (s.wavefronts > s.idealWavefronts ? "  bank conflicts" : "") << "  "
         << s.text << "\n";
  }
  return os.str();
}

} // namespace attn::gpusim
