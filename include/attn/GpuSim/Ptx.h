//===- Ptx.h - the simulator's decoded PTX module ---------------*- C++ -*-===//
//
// A PTX module as the functional simulator executes it: kernels with their
// parameters, register declarations, variables and a flat list of decoded
// instructions. Decoding happens once, at load time: every opcode and
// modifier is resolved into enums and fields, so an instruction the
// simulator does not implement is an error naming its line before anything
// runs, never a silent skip.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_GPUSIM_PTX_H
#define ATTN_GPUSIM_PTX_H

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace attn::gpusim {

/// State spaces.
enum class Space : uint8_t { Generic, Global, Shared, Local, Param, Const };

/// Scalar types of registers and instruction type suffixes.
enum class Ty : uint8_t {
  None,
  Pred,
  B8,
  B16,
  B32,
  B64,
  B128,
  U8,
  U16,
  U32,
  U64,
  S8,
  S16,
  S32,
  S64,
  F16,
  F16x2,
  BF16,
  BF16x2,
  F32,
  F64,
  TF32,
  E4M3,
  E5M2,
  E4M3x2,
  E5M2x2,
};

/// Width in bits of a type (0 for None).
inline unsigned tyBits(Ty t) {
  static constexpr uint8_t bits[] = {0,  1,  8,  16, 32, 64, 128, 8,  16,
                                     32, 64, 8,  16, 32, 64, 16,  32, 16,
                                     32, 32, 64, 32, 8,  8,  16,  16};
  return bits[static_cast<unsigned>(t)];
}
inline bool tyIsFloat(Ty t) { return t >= Ty::F16; }
inline bool tyIsSigned(Ty t) { return t >= Ty::S8 && t <= Ty::S64; }
const char *tyName(Ty t);

/// Special registers (%tid.x, %laneid, ...).
enum class Special : uint8_t {
  TidX,
  TidY,
  TidZ,
  NtidX,
  NtidY,
  NtidZ,
  CtaidX,
  CtaidY,
  CtaidZ,
  NctaidX,
  NctaidY,
  NctaidZ,
  LaneId,
  WarpId,
  NWarpId,
  SmId,
  NSmId,
  GridId,
  Clock,
  Clock64,
  GlobalTimer,
  LaneMaskEq,
  LaneMaskLt,
  LaneMaskLe,
  LaneMaskGt,
  LaneMaskGe,
  DynamicSmemSize,
  TotalSmemSize,
  ClusterCtaRank,
  ClusterNCtaRank,
  ClusterIdX,
  ClusterIdY,
  ClusterIdZ,
  NClusterIdX,
  NClusterIdY,
  NClusterIdZ,
  ClusterCtaIdX,
  ClusterCtaIdY,
  ClusterCtaIdZ,
  ClusterNCtaIdX,
  ClusterNCtaIdY,
  ClusterNCtaIdZ,
  IsExplicitCluster,
};

/// One instruction operand.
struct Operand {
  enum class Kind : uint8_t {
    None,
    Reg,     ///< a register (`reg`)
    Imm,     ///< an immediate: `imm` holds the bits (floats already encoded)
    Special, ///< a special register (`special`)
    Vec,     ///< `{a, b, ...}`: `vecBegin`/`vecCount` index Kernel::vecPool
    Addr,    ///< `[base + imm]`, `[symbol + imm]` or `[imm]`
    Symbol,  ///< the address of a variable or parameter (`symbol`)
    Label,   ///< a branch target (`imm` = instruction index)
    Sink,    ///< `_`
  };
  Kind kind = Kind::None;
  /// `!%p` on a predicate operand.
  bool negate = false;
  /// Immediate-valued operands written as floats (`0f3F800000`).
  bool immIsFloat = false;
  /// With immIsFloat: `imm` holds f64 bits (0d or decimal) rather than f32.
  bool immF64 = false;
  Special special = Special::TidX;
  uint32_t reg = 0;
  int32_t base = -1;   ///< Addr: base register or -1
  int32_t symbol = -1; ///< Addr/Symbol: index into Kernel::symbols or -1
  uint64_t imm = 0;
  uint32_t vecBegin = 0, vecCount = 0;
};

/// A variable (.global/.shared/.const/.local) or parameter the code names.
struct Symbol {
  std::string name;
  Space space = Space::Global;
  /// Byte offset in its space: shared segment, local frame, parameter
  /// buffer. For module-scope .global/.const variables, the index of the
  /// module variable (Module::globals).
  uint64_t offset = 0;
  uint64_t size = 0;
  uint32_t align = 1;
  /// `.extern .shared` (dynamic shared memory, starts after static).
  bool dynamicShared = false;
};

/// Decoded opcode families. Each has one decoder and one execution
/// function in the simulator's instruction table.
enum class Op : uint16_t {
#define ATTN_GPUSIM_OP(NAME, TEXT) NAME,
#include "attn/GpuSim/Opcodes.def"
};

const char *opName(Op op);

/// One decoded instruction.
struct Instr {
  Op op = Op::Mov;
  /// Type suffixes in the order written (e.g. cvt.f32.f16: {F32, F16};
  /// mma: {D, A, B, C}).
  Ty types[4] = {Ty::None, Ty::None, Ty::None, Ty::None};
  uint8_t numTypes = 0;
  Space space = Space::Generic;
  /// .v2/.v4/.v8 (1 when scalar).
  uint8_t vec = 1;
  /// Opcode-specific small fields (comparison, rounding, shape, ...).
  uint8_t a = 0, b = 0, c = 0, d = 0;
  uint32_t flags = 0;
  /// Shape of mma/wgmma/ldmatrix (m, n, k) or counts.
  uint16_t m = 0, n = 0, k = 0;
  /// Guard predicate (`@%p` / `@!%p`), -1 when none.
  int32_t guard = -1;
  bool guardNegated = false;
  std::vector<Operand> ops;
  /// 1-based line in the PTX text, and the instruction text.
  uint32_t line = 0;
  std::string text;
};

/// A register declaration group (`.reg .f32 %f<10>;`).
struct RegInfo {
  std::string name;
  Ty type = Ty::B32;
};

/// A kernel parameter.
struct Param {
  std::string name;
  uint64_t offset = 0, size = 0;
  uint32_t align = 1;
  Ty type = Ty::B64;
  /// `.ptr` / `.align N .b8 name[K]` arrays (by-value structs).
  bool isArray = false;
};

/// A kernel (`.entry`) or device function (`.func`).
struct Kernel {
  std::string name;
  bool isEntry = true;
  std::vector<Param> params;
  uint64_t paramBytes = 0;
  /// Registers, indexed by Operand::reg.
  std::vector<RegInfo> regs;
  std::map<std::string, uint32_t> regIndex;
  /// Symbols the code names: parameters, .local/.shared declared in the
  /// body, module variables.
  std::vector<Symbol> symbols;
  std::map<std::string, int32_t> symbolIndex;
  std::vector<Instr> code;
  std::vector<Operand> vecPool;
  /// Bytes of per-thread .local declared in the body.
  uint64_t localBytes = 0;
  /// Declared `.maxntid`/`.reqntid` (0 when absent).
  uint32_t maxntid[3] = {0, 0, 0};
  uint32_t reqntid[3] = {0, 0, 0};
  uint32_t line = 0;
  /// Func: return parameters, then parameters (ABI by name).
  std::vector<Param> returns;
};

/// A module-scope variable (.global, .const or .shared).
struct ModuleVar {
  std::string name;
  Space space = Space::Global;
  uint64_t size = 0;
  uint32_t align = 1;
  bool isExtern = false;
  std::vector<uint8_t> init; ///< initial bytes (empty: zero)
};

/// A parsed and decoded PTX module.
struct Module {
  std::string version, target;
  unsigned addressSize = 64;
  std::vector<ModuleVar> vars;
  std::map<std::string, uint32_t> varIndex;
  std::vector<std::unique_ptr<Kernel>> kernels;
  /// Static shared bytes of module-scope .shared variables, and their
  /// offsets (same order as vars; only shared ones meaningful).
  std::vector<uint64_t> sharedOffset;
  uint64_t staticSharedBytes = 0;
  std::string fileName;

  const Kernel *findKernel(const std::string &name) const;
};

/// Parses and decodes PTX text. On error returns null and sets `error` to
/// "FILE:LINE: message".
std::unique_ptr<Module> parsePtx(const std::string &text,
                                 const std::string &fileName,
                                 std::string &error);

} // namespace attn::gpusim

#endif // ATTN_GPUSIM_PTX_H
