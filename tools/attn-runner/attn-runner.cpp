//===- attn-runner.cpp - JIT-run a function of an attn module on the CPU --===//
//
// attn-runner FILE.mlir --entry=NAME [--pipeline=P] [--input=a.npy ...]
//             [--random-seed=N] [--out-dir=DIR] [--print-summary]
//             [--warmup=N] [--repeat=N] [--dump-llvm]
//
// The entry takes ranked tensors of static shape and returns ranked tensors.
// The tool adds a wrapper
//
//   func.func @__attn_runner_entry(%in0: tensor<..>, ..., %out0: memref<..>,
//                                  ...) attributes {llvm.emit_c_interface}
//
// that calls the entry and materializes each result in the caller's buffer,
// lowers the module (default pipeline `attn-lower-to-cpu`), JIT-compiles it
// with MLIR's ExecutionEngine and calls the wrapper's C interface with one
// memref descriptor per argument. Takes the --mlir-* options of attn-opt
// (--mlir-timing, --mlir-print-ir-after-all, ...). See
// docs/tools/attn-runner.md.
//
//===----------------------------------------------------------------------===//

#include "Npy.h"

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/ExecutionEngine/CpuJit.h"
#include "attn/InitAll.h"
#include "attn/Tools/CommandLine.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <random>

using namespace mlir;
using namespace mlir::attn::runner;
namespace cl = llvm::cl;

//===----------------------------------------------------------------------===//
// Command line
//===----------------------------------------------------------------------===//

static cl::OptionCategory runnerCategory("attn-runner options");

static cl::opt<std::string> inputFilename(cl::Positional, cl::Required,
                                          cl::desc("<input .mlir file>"),
                                          cl::cat(runnerCategory));
static cl::opt<std::string> entryName("entry", cl::Required,
                                      cl::desc("Function to run"),
                                      cl::value_desc("name"),
                                      cl::cat(runnerCategory));
static cl::opt<std::string>
    pipeline("pipeline",
             cl::desc("Pass pipeline lowering the module to the LLVM dialect "
                      "(textual, optionally wrapped in builtin.module(...); "
                      "default: attn-lower-to-cpu)"),
             cl::init("attn-lower-to-cpu"), cl::cat(runnerCategory));
static cl::opt<unsigned> threads(
    "num-threads",
    cl::desc("Threads for attention's (batch, head) iterations with the "
             "default pipeline (default: 0, every hardware thread, or "
             "ATTN_NUM_THREADS when set; 1: the calling thread only). "
             "Results do not depend on it"),
    cl::init(0), cl::cat(runnerCategory));
static cl::list<std::string>
    inputFiles("input",
               cl::desc(".npy file for the next argument, in argument order, "
                        "or its values inline: SHAPExTYPE=v0,v1,... "
                        "(2x3xf32=1,2,3,4,5,6; one value fills it)"),
               cl::value_desc("file.npy"), cl::cat(runnerCategory));
static cl::opt<uint64_t>
    randomSeed("random-seed",
               cl::desc("Seed of the random inputs used without --input "
                        "(default: 0)"),
               cl::init(0), cl::cat(runnerCategory));
static cl::opt<std::string>
    outDir("out-dir",
           cl::desc("Write out<i>.npy (and generated in<i>.npy) here"),
           cl::value_desc("dir"), cl::cat(runnerCategory));
static cl::opt<bool>
    printSummary("print-summary",
                 cl::desc("Print shape, dtype, min/max/mean/checksum of each "
                          "result and the median call time"),
                 cl::init(false), cl::cat(runnerCategory));
static cl::opt<unsigned>
    repeat("repeat",
           cl::desc("Call the function N times and print each call's time "
                    "(default: 1)"),
           cl::init(1), cl::cat(runnerCategory));
static cl::opt<unsigned>
    warmup("warmup",
           cl::desc("Call the function N times before the timed calls of "
                    "--repeat, untimed (first calls pay for page faults and "
                    "the JIT's first buffer allocations; default: 0)"),
           cl::init(0), cl::cat(runnerCategory));
static cl::opt<bool>
    dumpLLVM("dump-llvm",
             cl::desc("Print the lowered LLVM-dialect module to stdout"),
             cl::init(false), cl::cat(runnerCategory));

using mlir::attn::kCpuEntryAttr;
using mlir::attn::kCpuSignatureAttr;

static int fail(const llvm::Twine &message) {
  llvm::errs() << "attn-runner: error: " << message << "\n";
  return 1;
}

/// The library's errors, printed as the tool's.
static void report(const llvm::Twine &message) { fail(message); }

//===----------------------------------------------------------------------===//
// Element types
//===----------------------------------------------------------------------===//

namespace {

enum class Elt { F16, BF16, F32, F64, I1, I8, I32, I64 };

std::optional<Elt> getElt(Type type) {
  if (type.isF16())
    return Elt::F16;
  if (type.isBF16())
    return Elt::BF16;
  if (type.isF32())
    return Elt::F32;
  if (type.isF64())
    return Elt::F64;
  if (type.isSignlessInteger(1))
    return Elt::I1;
  if (type.isSignlessInteger(8))
    return Elt::I8;
  if (type.isSignlessInteger(32))
    return Elt::I32;
  if (type.isSignlessInteger(64))
    return Elt::I64;
  return std::nullopt;
}

/// Bytes of one element in memory (as the lowered code stores it).
int64_t byteSize(Elt elt) {
  switch (elt) {
  case Elt::I1:
  case Elt::I8:
    return 1;
  case Elt::F16:
  case Elt::BF16:
    return 2;
  case Elt::F32:
  case Elt::I32:
    return 4;
  case Elt::F64:
  case Elt::I64:
    return 8;
  }
  return 0;
}

/// The .npy descriptor accepted for / written for an element type (bf16 is
/// exchanged as f32).
const char *npyDescr(Elt elt) {
  switch (elt) {
  case Elt::F16:
    return "<f2";
  case Elt::BF16:
  case Elt::F32:
    return "<f4";
  case Elt::F64:
    return "<f8";
  case Elt::I1:
    return "|b1";
  case Elt::I8:
    return "|i1";
  case Elt::I32:
    return "<i4";
  case Elt::I64:
    return "<i8";
  }
  return "";
}

const char *dtypeName(Elt elt) {
  switch (elt) {
  case Elt::F16:
    return "float16";
  case Elt::BF16:
    return "bfloat16";
  case Elt::F32:
    return "float32";
  case Elt::F64:
    return "float64";
  case Elt::I1:
    return "bool";
  case Elt::I8:
    return "int8";
  case Elt::I32:
    return "int32";
  case Elt::I64:
    return "int64";
  }
  return "";
}

uint16_t toHalfBits(double value, const llvm::fltSemantics &sem) {
  llvm::APFloat f(value);
  bool losesInfo = false;
  f.convert(sem, llvm::APFloat::rmNearestTiesToEven, &losesInfo);
  return static_cast<uint16_t>(f.bitcastToAPInt().getZExtValue());
}

double fromHalfBits(uint16_t bits, const llvm::fltSemantics &sem) {
  llvm::APFloat f(sem, llvm::APInt(16, bits));
  return f.convertToDouble();
}

/// Element `i` of a buffer of `elt`, as a double.
double loadAsDouble(const char *data, Elt elt, int64_t i) {
  auto load = [&](auto tag) {
    decltype(tag) v;
    std::memcpy(&v, data + i * sizeof(v), sizeof(v));
    return v;
  };
  switch (elt) {
  case Elt::F16:
    return fromHalfBits(load(uint16_t()), llvm::APFloat::IEEEhalf());
  case Elt::BF16:
    return fromHalfBits(load(uint16_t()), llvm::APFloat::BFloat());
  case Elt::F32:
    return load(float());
  case Elt::F64:
    return load(double());
  case Elt::I1:
    return load(uint8_t()) & 1;
  case Elt::I8:
    return load(int8_t());
  case Elt::I32:
    return load(int32_t());
  case Elt::I64:
    return static_cast<double>(load(int64_t()));
  }
  return 0;
}

//===----------------------------------------------------------------------===//
// Buffers and memref descriptors
//===----------------------------------------------------------------------===//

/// A 64-byte aligned host buffer holding one tensor argument or result.
struct Buffer {
  RankedTensorType type;
  Elt elt = Elt::F32;
  int64_t numElements = 0;
  std::unique_ptr<char, decltype(&std::free)> storage{nullptr, &std::free};
  /// The memref descriptor { allocated, aligned, offset, sizes[], strides[] }.
  std::vector<int64_t> descriptor;

  char *data() const { return storage.get(); }
  int64_t sizeInBytes() const { return numElements * byteSize(elt); }

  bool allocate(RankedTensorType t, Elt e) {
    type = t;
    elt = e;
    numElements = t.getNumElements();
    size_t bytes = static_cast<size_t>(std::max<int64_t>(sizeInBytes(), 1));
    bytes = (bytes + 63) / 64 * 64;
    storage.reset(static_cast<char *>(std::aligned_alloc(64, bytes)));
    if (!storage)
      return false;
    std::memset(storage.get(), 0, bytes);
    descriptor =
        mlir::attn::makeDenseMemRefDescriptor(storage.get(), t.getShape());
    return true;
  }
};

std::string typeToString(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << type;
  return s;
}

std::string shapeToString(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

//===----------------------------------------------------------------------===//
// Inputs
//===----------------------------------------------------------------------===//

/// A deterministic double in [0, 1) from 53 bits of a mt19937_64 draw (the
/// engine is fully specified by the C++ standard; distributions are not).
double uniform01(std::mt19937_64 &rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

int64_t uniformInt(std::mt19937_64 &rng, int64_t lo, int64_t hi) {
  if (hi <= lo)
    return lo;
  uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
  return lo + static_cast<int64_t>(rng() % span);
}

/// How to generate a random integer argument, found from its uses.
struct IntRange {
  enum Kind { Default, Lengths, Cumulative, BlockTable, Refuse } kind = Default;
  /// Lengths: values in [min, max]; Cumulative: ends at max; BlockTable:
  /// ids in [0, max).
  int64_t max = 0, min = 1;
  /// What the argument is (said when it is generated or refused).
  std::string role;
};

/// Block size and number of blocks of a pool [NB, BS, H, D] / [NB, H, BS, D].
std::pair<int64_t, int64_t> poolBlocks(Value pool, mlir::attn::CacheLayout l) {
  auto t = cast<RankedTensorType>(pool.getType());
  return {t.getDimSize(l == mlir::attn::CacheLayout::HND ? 2 : 1),
          t.getDimSize(0)};
}

/// The range of `arg` when `op` reads the first `lens[b]` tokens of each
/// sequence from `pool` through `table` (attn.paged_attention,
/// attn.paged_gather): block ids of the pool, lengths within the table.
IntRange pagedReadRange(BlockArgument arg, Operation *op, Value pool,
                        mlir::attn::CacheLayout layout, Value table,
                        Value lens) {
  auto [bs, nb] = poolBlocks(pool, layout);
  int64_t width = cast<RankedTensorType>(table.getType()).getDimSize(1);
  std::string name = op->getName().getStringRef().str();
  if (table == arg)
    return {IntRange::BlockTable, nb, 0, "block table of " + name};
  if (lens == arg)
    return {IntRange::Lengths, width * bs, 0, "context lengths of " + name};
  return {IntRange::Refuse, 0, 0, "an operand of " + name};
}

IntRange classifyIntArg(BlockArgument arg) {
  IntRange range;
  auto type = dyn_cast<RankedTensorType>(arg.getType());
  if (!type || !isa<IntegerType>(type.getElementType()) ||
      type.getElementType().isInteger(1))
    return range;
  for (OpOperand &use : arg.getUses()) {
    Operation *user = use.getOwner();
    // Paged cache operands: valid block ids, lengths within the table.
    if (auto paged = dyn_cast<mlir::attn::PagedAttentionOp>(user))
      return pagedReadRange(arg, user, paged.getKCache(),
                            paged.getCacheLayout(), paged.getBlockTable(),
                            paged.getContextLens());
    if (auto gather = dyn_cast<mlir::attn::PagedGatherOp>(user))
      return pagedReadRange(arg, user, gather.getPool(),
                            gather.getCacheLayout(), gather.getBlockTable(),
                            gather.getContextLens());
    if (auto append = dyn_cast<mlir::attn::KVCacheAppendOp>(user)) {
      auto [bs, nb] = poolBlocks(append.getKCache(), append.getCacheLayout());
      int64_t width = cast<RankedTensorType>(append.getBlockTable().getType())
                          .getDimSize(1);
      int64_t sNew =
          cast<RankedTensorType>(append.getKNew().getType()).getDimSize(1);
      if (append.getBlockTable() == arg)
        return {IntRange::BlockTable, nb, 0,
                "block table of attn.kv_cache_append"};
      if (append.getCacheLens() == arg)
        return {IntRange::Lengths, std::max<int64_t>(0, width * bs - sNew), 0,
                "cache lengths of attn.kv_cache_append"};
      if (append.getNewLens() == arg)
        return {IntRange::Lengths, sNew, 0,
                "new lengths of attn.kv_cache_append"};
      return {IntRange::Refuse, 0, 0, "an operand of attn.kv_cache_append"};
    }
    if (auto rope = dyn_cast<mlir::attn::RopeOp>(user))
      return {IntRange::Lengths, 4096, 0,
              rope.getPositions() == arg ? "positions of attn.rope"
                                         : "offsets of attn.rope"};
    if (isa<mlir::attn::AttnDialect>(user->getDialect()) &&
        !isa<mlir::attn::SdpaOp>(user))
      return {IntRange::Refuse, 0, 0,
              "an operand of " + user->getName().getStringRef().str()};
    auto sdpa = dyn_cast<mlir::attn::SdpaOp>(user);
    if (!sdpa)
      continue;
    auto query = cast<RankedTensorType>(sdpa.getQuery().getType());
    auto key = cast<RankedTensorType>(sdpa.getKey().getType());
    if (sdpa.getKvLens() == arg) {
      bool bshd = sdpa.getLayout() == mlir::attn::Layout::BSHD;
      int64_t seqK = key.getDimSize(bshd ? 1 : 2);
      if (!ShapedType::isDynamic(seqK))
        return {IntRange::Lengths, seqK, 1, "kv_lens of attn.sdpa"};
      return {IntRange::Refuse, 0, 0, "kv_lens of attn.sdpa (dynamic keys)"};
    }
    if (sdpa.getCuSeqlensQ() == arg && query.hasStaticShape())
      return {IntRange::Cumulative, query.getDimSize(0), 0,
              "cu_seqlens_q of attn.sdpa"};
    if (sdpa.getCuSeqlensK() == arg && key.hasStaticShape())
      return {IntRange::Cumulative, key.getDimSize(0), 0,
              "cu_seqlens_k of attn.sdpa"};
    if (sdpa.getCuSeqlensQ() == arg || sdpa.getCuSeqlensK() == arg)
      return {IntRange::Refuse, 0, 0, "cu_seqlens of attn.sdpa (dynamic)"};
  }
  return range;
}

void fillRandom(Buffer &buffer, std::mt19937_64 &rng, const IntRange &range) {
  char *data = buffer.data();
  int64_t n = buffer.numElements;
  auto storeInt = [&](int64_t i, int64_t v) {
    switch (buffer.elt) {
    case Elt::I1: {
      uint8_t x = v & 1;
      std::memcpy(data + i, &x, 1);
      break;
    }
    case Elt::I8: {
      int8_t x = static_cast<int8_t>(v);
      std::memcpy(data + i, &x, 1);
      break;
    }
    case Elt::I32: {
      int32_t x = static_cast<int32_t>(v);
      std::memcpy(data + 4 * i, &x, 4);
      break;
    }
    default: {
      std::memcpy(data + 8 * i, &v, 8);
      break;
    }
    }
  };
  switch (buffer.elt) {
  case Elt::F16:
  case Elt::BF16: {
    const llvm::fltSemantics &sem = buffer.elt == Elt::F16
                                        ? llvm::APFloat::IEEEhalf()
                                        : llvm::APFloat::BFloat();
    for (int64_t i = 0; i < n; ++i) {
      uint16_t bits = toHalfBits(2.0 * uniform01(rng) - 1.0, sem);
      std::memcpy(data + 2 * i, &bits, 2);
    }
    return;
  }
  case Elt::F32:
    for (int64_t i = 0; i < n; ++i) {
      float x = static_cast<float>(2.0 * uniform01(rng) - 1.0);
      std::memcpy(data + 4 * i, &x, 4);
    }
    return;
  case Elt::F64:
    for (int64_t i = 0; i < n; ++i) {
      double x = 2.0 * uniform01(rng) - 1.0;
      std::memcpy(data + 8 * i, &x, 8);
    }
    return;
  case Elt::I1:
    for (int64_t i = 0; i < n; ++i)
      storeInt(i, static_cast<int64_t>(rng() >> 63));
    return;
  case Elt::I8:
    for (int64_t i = 0; i < n; ++i)
      storeInt(i, uniformInt(rng, -8, 7));
    return;
  case Elt::I32:
  case Elt::I64:
    break;
  }
  if (range.kind == IntRange::BlockTable) {
    // Rows of distinct ids (while the pool has enough), in a shuffled
    // order: what a cache hands out.
    std::vector<int64_t> ids(range.max);
    for (int64_t i = 0; i < range.max; ++i)
      ids[i] = i;
    std::shuffle(ids.begin(), ids.end(), rng);
    for (int64_t i = 0; i < n; ++i)
      storeInt(i, range.max ? ids[i % range.max] : -1);
  } else if (range.kind == IntRange::Lengths) {
    for (int64_t i = 0; i < n; ++i)
      storeInt(i, uniformInt(rng, std::min(range.min, range.max), range.max));
  } else if (range.kind == IntRange::Cumulative && n >= 2) {
    // 0 = c[0] <= c[1] <= ... <= c[n-1] = total.
    std::vector<int64_t> cuts;
    for (int64_t i = 1; i < n - 1; ++i)
      cuts.push_back(uniformInt(rng, 0, range.max));
    std::sort(cuts.begin(), cuts.end());
    storeInt(0, 0);
    for (int64_t i = 1; i < n - 1; ++i)
      storeInt(i, cuts[i - 1]);
    storeInt(n - 1, range.max);
  } else {
    for (int64_t i = 0; i < n; ++i)
      storeInt(i, uniformInt(rng, 0, 7));
  }
}

/// Stores `v` as element `i` of `buffer` (rounded to nearest even for
/// f16/bf16, truncated toward zero for integers; i1 is v != 0).
void storeFromDouble(Buffer &buffer, int64_t i, double v) {
  char *data = buffer.data();
  auto put = [&](auto x) { std::memcpy(data + i * sizeof(x), &x, sizeof(x)); };
  switch (buffer.elt) {
  case Elt::F16:
    put(toHalfBits(v, llvm::APFloat::IEEEhalf()));
    break;
  case Elt::BF16:
    put(toHalfBits(v, llvm::APFloat::BFloat()));
    break;
  case Elt::F32:
    put(static_cast<float>(v));
    break;
  case Elt::F64:
    put(v);
    break;
  case Elt::I1:
    put(static_cast<uint8_t>(v != 0));
    break;
  case Elt::I8:
    put(static_cast<int8_t>(v));
    break;
  case Elt::I32:
    put(static_cast<int32_t>(v));
    break;
  case Elt::I64:
    put(static_cast<int64_t>(v));
    break;
  }
}

/// An inline input, `SHAPExTYPE=v0,v1,...` (`2x3xf32=1,2,3,4,5,6`; one
/// value fills the tensor; a rank-0 tensor is `f32=1.5`): the type must be
/// the argument's. Returns std::nullopt when `text` is not of that form.
std::optional<bool> loadInlineInput(Buffer &buffer, StringRef text,
                                    const std::string &what) {
  static const llvm::Regex form(
      "^(([0-9]+x)*(f16|bf16|f32|f64|i1|i8|i32|i64))=(.*)$");
  SmallVector<StringRef, 5> groups;
  if (!form.match(text, &groups))
    return std::nullopt;
  std::string expected;
  for (int64_t d : buffer.type.getShape())
    expected += std::to_string(d) + "x";
  expected += typeToString(buffer.type.getElementType());
  if (groups[1] != expected) {
    fail("inline input '" + groups[1] + "' for " + what + ": expected '" +
         expected + "=...'");
    return false;
  }
  SmallVector<StringRef> values;
  groups[4].split(values, ',');
  if (values.size() != 1 &&
      static_cast<int64_t>(values.size()) != buffer.numElements) {
    fail("inline input for " + what + ": expected 1 or " +
         llvm::Twine(buffer.numElements) + " values, got " +
         llvm::Twine(values.size()));
    return false;
  }
  for (size_t k = 0; k < values.size(); ++k) {
    StringRef v = values[k].trim();
    double x;
    if (v.getAsDouble(x)) {
      fail("inline input for " + what + ": value #" + llvm::Twine(k) + " '" +
           v + "' is not a number");
      return false;
    }
    if (values.size() == 1) {
      for (int64_t i = 0; i < buffer.numElements; ++i)
        storeFromDouble(buffer, i, x);
    } else {
      storeFromDouble(buffer, static_cast<int64_t>(k), x);
    }
  }
  return true;
}

/// Fills `buffer` from a .npy file (or an inline input), checking dtype and
/// shape.
bool loadInput(Buffer &buffer, StringRef path, unsigned index,
               StringRef entry) {
  NpyArray array;
  std::string error;
  std::string what = ("argument #" + llvm::Twine(index) + " of @" + entry +
                      " (" + typeToString(buffer.type) + ")")
                         .str();
  if (std::optional<bool> inlined = loadInlineInput(buffer, path, what))
    return *inlined;
  if (!readNpy(path, array, error)) {
    fail("input for " + what + ": " + error);
    return false;
  }
  StringRef expected = npyDescr(buffer.elt);
  if (array.descr != expected) {
    fail(
        "input '" + path + "' for " + what + ": expected dtype '" + expected +
        "'" +
        (buffer.elt == Elt::BF16 ? " (bf16 arguments take float32 .npy)" : "") +
        ", got '" + array.descr + "'");
    return false;
  }
  if (ArrayRef<int64_t>(array.shape) != buffer.type.getShape()) {
    fail("input '" + path + "' for " + what + ": expected shape " +
         shapeToString(buffer.type.getShape()) + ", got " +
         shapeToString(array.shape));
    return false;
  }
  if (buffer.elt == Elt::BF16) {
    for (int64_t i = 0; i < buffer.numElements; ++i) {
      float x;
      std::memcpy(&x, array.data.data() + 4 * i, 4);
      uint16_t bits = toHalfBits(x, llvm::APFloat::BFloat());
      std::memcpy(buffer.data() + 2 * i, &bits, 2);
    }
  } else if (buffer.elt == Elt::I1) {
    for (int64_t i = 0; i < buffer.numElements; ++i)
      buffer.data()[i] = array.data[i] != 0;
  } else {
    std::memcpy(buffer.data(), array.data.data(), array.data.size());
  }
  return true;
}

/// Writes `buffer` as `path` (bf16 as f32).
bool saveBuffer(const Buffer &buffer, const std::string &path) {
  std::string error;
  std::vector<char> bytes;
  if (buffer.elt == Elt::BF16) {
    bytes.resize(4 * buffer.numElements);
    for (int64_t i = 0; i < buffer.numElements; ++i) {
      float x = static_cast<float>(loadAsDouble(buffer.data(), Elt::BF16, i));
      std::memcpy(bytes.data() + 4 * i, &x, 4);
    }
  } else {
    bytes.assign(buffer.data(), buffer.data() + buffer.sizeInBytes());
  }
  if (!writeNpy(path, npyDescr(buffer.elt), buffer.type.getShape(), bytes,
                error)) {
    fail(error);
    return false;
  }
  return true;
}

void printResultSummary(const Buffer &buffer, unsigned index) {
  double minV = std::numeric_limits<double>::infinity();
  double maxV = -minV, sum = 0;
  int64_t nonFinite = 0;
  for (int64_t i = 0; i < buffer.numElements; ++i) {
    double x = loadAsDouble(buffer.data(), buffer.elt, i);
    if (!std::isfinite(x)) {
      ++nonFinite;
      continue;
    }
    minV = std::min(minV, x);
    maxV = std::max(maxV, x);
    sum += x;
  }
  int64_t finite = buffer.numElements - nonFinite;
  double mean = finite ? sum / static_cast<double>(finite) : 0.0;
  if (!finite)
    minV = maxV = 0;
  llvm::outs() << "result " << index << ": shape "
               << shapeToString(buffer.type.getShape()) << " dtype "
               << dtypeName(buffer.elt)
               << llvm::format(" min %.6e max %.6e mean %.6e checksum %.6e",
                               minV, maxV, mean, sum)
               << " nonfinite " << nonFinite << "\n";
}

} // namespace

//===----------------------------------------------------------------------===//
// main
//===----------------------------------------------------------------------===//

static int runMain() {
  if (repeat == 0)
    return fail("expected --repeat >= 1, got 0");

  // --mlir-timing reports each stage; the pass pipeline nests under its own.
  DefaultTimingManager timing;
  applyDefaultTimingManagerCLOptions(timing);
  TimingScope rootTiming = timing.getRootScope();
  TimingScope parseTiming = rootTiming.nest("Parse");

  DialectRegistry registry;
  mlir::attn::registerAllDialects(registry);
  registerAllToLLVMIRTranslations(registry);
  MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();

  std::string openError;
  std::unique_ptr<llvm::MemoryBuffer> file =
      mlir::openInputFile(inputFilename, &openError);
  if (!file)
    return fail(openError);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &ctx);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &ctx);
  if (!module)
    return fail("cannot parse '" + inputFilename + "'");
  parseTiming.stop();

  // The entry's signature: from the function, or for a module that is
  // already in the LLVM dialect, from the attribute a previous
  // `attn-runner --dump-llvm` left on it.
  FunctionType signature;
  std::vector<IntRange> intRanges;
  bool lowered = attn::findNonLLVMOp(*module) == nullptr;
  if (lowered) {
    auto entryAttr = (*module)->getAttrOfType<StringAttr>(kCpuEntryAttr);
    auto typeAttr = (*module)->getAttrOfType<TypeAttr>(kCpuSignatureAttr);
    if (!entryAttr || !typeAttr || !isa<FunctionType>(typeAttr.getValue()))
      return fail("'" + inputFilename +
                  "' is already in the LLVM dialect but has no " +
                  kCpuEntryAttr + "/" + kCpuSignatureAttr +
                  " attributes (only modules printed by attn-runner "
                  "--dump-llvm can be run after lowering)");
    if (entryAttr.getValue() != entryName)
      return fail("unknown entry @" + entryName +
                  ": this lowered module runs @" + entryAttr.getValue());
    signature = cast<FunctionType>(typeAttr.getValue());
    if (failed(attn::checkCpuEntrySignature(signature, entryName, report)))
      return 1;
  } else {
    auto entry = dyn_cast_or_null<func::FuncOp>(
        SymbolTable::lookupSymbolIn(*module, entryName));
    if (!entry)
      return fail("unknown entry @" + entryName + ": no func.func of that " +
                  "name in '" + inputFilename + "'");
    if (entry.isExternal())
      return fail("entry @" + entryName + " is a declaration without a body");
    signature = entry.getFunctionType();
    if (failed(attn::checkCpuEntrySignature(signature, entryName, report)))
      return 1;
    // Integer arguments of attn ops get random values that suit their role.
    for (BlockArgument arg : entry.getArguments())
      intRanges.push_back(classifyIntArg(arg));
    if (failed(attn::addCpuEntryWrapper(*module, entry, report)))
      return 1;
    unsigned n = attn::resolveCpuThreads(threads, threads.getNumOccurrences());
    auto note = [](const llvm::Twine &message) {
      llvm::errs() << "attn-runner: " << message << "\n";
    };
    auto configure = [](PassManager &pm) {
      return attn::applyMLIRPassManagerOptions(pm, "attn-runner");
    };
    if (failed(attn::lowerModuleForCpu(*module, pipeline, n, report, note,
                                       configure, &rootTiming,
                                       "'" + inputFilename + "'")))
      return 1;
  }
  if (dumpLLVM) {
    module->print(llvm::outs());
    llvm::outs() << "\n";
  }

  // Buffers: arguments, then one per result.
  unsigned numInputs = signature.getNumInputs();
  unsigned numResults = signature.getNumResults();
  std::vector<Buffer> buffers(numInputs + numResults);
  for (unsigned i = 0; i < numInputs + numResults; ++i) {
    Type t = i < numInputs ? signature.getInput(i)
                           : signature.getResult(i - numInputs);
    auto tensor = cast<RankedTensorType>(t);
    if (!buffers[i].allocate(tensor, *getElt(tensor.getElementType())))
      return fail("out of memory allocating " + typeToString(t));
  }

  if (!inputFiles.empty() && inputFiles.size() != numInputs)
    return fail("expected " + llvm::Twine(numInputs) +
                " --input files (one per argument of @" + entryName +
                "), got " + llvm::Twine(inputFiles.size()));
  if (!inputFiles.empty()) {
    for (unsigned i = 0; i < numInputs; ++i)
      if (!loadInput(buffers[i], inputFiles[i], i, entryName))
        return 1;
  } else {
    // Index inputs whose valid values are not known are not guessed.
    for (unsigned i = 0; i < numInputs && i < intRanges.size(); ++i)
      if (intRanges[i].kind == IntRange::Refuse)
        return fail("argument #" + llvm::Twine(i) + " of @" + entryName +
                    " is " + intRanges[i].role +
                    ": random values would not be valid; pass every "
                    "argument with --input");
    std::mt19937_64 rng(randomSeed);
    for (unsigned i = 0; i < numInputs; ++i) {
      IntRange range = i < intRanges.size() ? intRanges[i] : IntRange();
      fillRandom(buffers[i], rng, range);
      if (!range.role.empty())
        llvm::errs()
            << "attn-runner: argument #" << i << " (" << range.role
            << ") is random but valid: "
            << (range.kind == IntRange::BlockTable
                    ? "block ids in [0, " + std::to_string(range.max) + ")"
                : range.kind == IntRange::Cumulative
                    ? "cumulative lengths ending at " +
                          std::to_string(range.max)
                    : "values in [" +
                          std::to_string(std::min(range.min, range.max)) +
                          ", " + std::to_string(range.max) + "]")
            << "\n";
    }
  }
  if (!outDir.empty()) {
    if (std::error_code ec = llvm::sys::fs::create_directories(outDir))
      return fail("cannot create --out-dir '" + outDir + "': " + ec.message());
    if (inputFiles.empty())
      for (unsigned i = 0; i < numInputs; ++i) {
        llvm::SmallString<256> path(outDir);
        llvm::sys::path::append(path, "in" + std::to_string(i) + ".npy");
        if (!saveBuffer(buffers[i], std::string(path)))
          return 1;
      }
  }

  // JIT.
  TimingScope jitTiming = rootTiming.nest("JIT compile");
  FailureOr<std::unique_ptr<ExecutionEngine>> engine =
      attn::createCpuEngine(*module, report);
  if (failed(engine))
    return 1;
  jitTiming.stop();

  TimingScope runTiming = rootTiming.nest("Run");
  std::vector<std::vector<int64_t>> descriptors;
  for (Buffer &buffer : buffers)
    descriptors.push_back(buffer.descriptor);

  for (unsigned r = 0; r < warmup; ++r)
    if (failed(
            attn::invokeCpuWrapper(**engine, descriptors, entryName, report)))
      return 1;
  std::vector<double> times;
  for (unsigned r = 0; r < repeat; ++r) {
    auto start = std::chrono::steady_clock::now();
    if (failed(
            attn::invokeCpuWrapper(**engine, descriptors, entryName, report)))
      return 1;
    auto stop = std::chrono::steady_clock::now();
    times.push_back(
        std::chrono::duration<double, std::milli>(stop - start).count());
    if (repeat > 1)
      llvm::outs() << llvm::format("call %u: %.6f ms\n", r, times.back());
  }
  runTiming.stop();
  std::vector<double> sorted = times;
  std::sort(sorted.begin(), sorted.end());
  double median =
      sorted.size() % 2
          ? sorted[sorted.size() / 2]
          : 0.5 * (sorted[sorted.size() / 2 - 1] + sorted[sorted.size() / 2]);

  if (!outDir.empty())
    for (unsigned i = 0; i < numResults; ++i) {
      llvm::SmallString<256> path(outDir);
      llvm::sys::path::append(path, "out" + std::to_string(i) + ".npy");
      if (!saveBuffer(buffers[numInputs + i], std::string(path)))
        return 1;
    }
  if (printSummary)
    for (unsigned i = 0; i < numResults; ++i)
      printResultSummary(buffers[numInputs + i], i);
  if (printSummary || repeat > 1)
    llvm::outs() << llvm::format("time: median %.6f ms over %u call(s)\n",
                                 median, static_cast<unsigned>(repeat));
  return 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  mlir::attn::registerAllPasses();
  mlir::attn::registerMLIRCLOptions();
  mlir::attn::registerVersionPrinter();
  mlir::attn::hideUnrelatedOptions(runnerCategory);
  cl::ParseCommandLineOptions(
      argc, argv,
      "attn-runner: JIT-run a function of an attn module on the CPU\n");
  return runMain();
}
