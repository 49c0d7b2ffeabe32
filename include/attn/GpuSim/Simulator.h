//===- Simulator.h - functional PTX simulator -------------------*- C++ -*-===//
//
// Executes kernels of a decoded PTX module (Ptx.h) on host memory, thread by
// thread: every thread has its own registers and program counter and runs
// until it reaches a barrier or a warp-collective instruction; a collective
// executes when every lane its mask names has arrived, so divergence and
// the .sync/.aligned rules are checked rather than assumed. CTAs run one
// after another. Checks in the manner of compute-sanitizer: out-of-bounds
// and misaligned accesses, uses of uninitialized values, deadlocks, and
// (with racecheck) shared-memory data races. No timing, no caches, and no
// memory ordering beyond what barriers, mbarriers and cp.async/TMA
// completion establish.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_GPUSIM_SIMULATOR_H
#define ATTN_GPUSIM_SIMULATOR_H

#include "attn/GpuSim/Ptx.h"

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace attn::gpusim {

struct Dim3 {
  uint32_t x = 1, y = 1, z = 1;
  uint64_t count() const { return uint64_t(x) * y * z; }
};

/// Global memory: allocations at simulated device addresses.
class Device {
public:
  Device();
  /// Allocates `bytes` (copied from `init` when given, zero otherwise) and
  /// returns its device address. `name` appears in reports.
  uint64_t allocate(uint64_t bytes, const void *init, const std::string &name);
  /// Copies an allocation's bytes out; false when `addr` is no allocation.
  bool read(uint64_t addr, void *dst, uint64_t bytes) const;

  struct Allocation {
    uint64_t base = 0, size = 0;
    std::string name;
    std::vector<uint8_t> data;
  };
  /// The allocation holding [addr, addr+bytes), or null.
  Allocation *find(uint64_t addr, uint64_t bytes);
  /// The allocation nearest below `addr` (for reports), or null.
  const Allocation *nearest(uint64_t addr) const;
  const std::vector<Allocation> &allocations() const { return allocs; }

private:
  std::vector<Allocation> allocs;
  uint64_t nextBase;
  size_t lastHit = 0;
};

/// Simulated generic-address windows (the device addresses of global
/// allocations lie below all of them).
constexpr uint64_t kSharedWindow = 0x0001000000000000ull;
constexpr uint64_t kLocalWindow = 0x0002000000000000ull;
constexpr uint64_t kParamWindow = 0x0003000000000000ull;
constexpr uint64_t kWindowSize = 0x0000000100000000ull;

struct Options {
  /// Report shared-memory data races (vector-clock happens-before over
  /// barriers, mbarriers, cp.async and TMA completion).
  bool racecheck = false;
  /// Collect per-opcode and per-loop instruction counts and shared-memory
  /// bank conflicts.
  bool stats = false;
  /// Report uses of uninitialized registers, shared or local memory (as an
  /// address, a branch condition, or a value stored to global memory).
  bool initcheck = true;
  /// Upper bound on executed thread-instructions (0: no bound); exceeding
  /// it is an error (a kernel that loops forever).
  uint64_t maxInstructions = 20000000000ull;
  /// Stop at the first error (otherwise up to `maxReports` are collected).
  unsigned maxReports = 16;
};

/// Dynamic statistics of one or more launches.
struct Stats {
  uint64_t threadInstructions = 0;
  /// Executed thread-instructions per opcode (first words of the text).
  std::map<std::string, uint64_t> perOpcode;
  struct Loop {
    std::string kernel;
    unsigned headLine = 0, backLine = 0;
    uint64_t iterations = 0; ///< back edges taken (threads)
    uint64_t threadInstructions = 0;
  };
  std::vector<Loop> loops;
  /// Shared-memory accesses per instruction line: warp-level requests and
  /// the wavefronts (bank-conflict passes) they needed.
  struct SharedAccess {
    std::string kernel, text;
    unsigned line = 0;
    uint64_t requests = 0, wavefronts = 0, idealWavefronts = 0;
  };
  std::vector<SharedAccess> shared;
  /// Bytes read and written in global memory.
  uint64_t globalBytesRead = 0, globalBytesWritten = 0;
  /// The same per allocation, indexed as Device::allocations() (entries
  /// past the end are zero). Every global access is counted, TMA and
  /// cp.async copies included; a zero-filled cp.async tail is not.
  std::vector<uint64_t> allocBytesRead, allocBytesWritten;
};

/// A 128-byte TMA tensor map (see attn/runtime/attn_tensor_map.h).
using TensorMapBytes = std::array<uint8_t, 128>;

class Simulator {
public:
  Simulator(const Module &module, Device &device, Options options = {});
  ~Simulator();

  /// Launches `kernel` with parameter bytes laid out as the kernel's .param
  /// list (Kernel::params offsets; `paramBytes` must be paramBytes long).
  /// Returns false with `error` set on any fault (every report, one a line:
  /// "kernel K, block (x,y,z), thread (x,y,z), line L: message").
  bool launch(const std::string &kernel, Dim3 grid, Dim3 block,
              uint64_t dynamicSharedBytes,
              const std::vector<uint8_t> &paramBytes, std::string &error);

  const Stats &stats() const { return stats_; }
  /// Text form of stats() for people.
  std::string formatStats() const;

private:
  const Module &module;
  Device &device;
  Options options;
  Stats stats_;
  /// Device addresses of module .global/.const variables (index = var).
  std::vector<uint64_t> varAddress;
};

} // namespace attn::gpusim

#endif // ATTN_GPUSIM_SIMULATOR_H
