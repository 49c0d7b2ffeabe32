//===- CpuJit.h - JIT-compile and call an attn function on the CPU -*- C++ -*-//
//
// What attn-runner does with a module, as a library (used by attn-runner and
// the C API, attn-c/Run.h). The entry takes ranked tensors of static shape
// and returns ranked tensors. A wrapper
//
//   func.func @__attn_runner_entry(%in0: tensor<..>, ..., %out0: memref<..>,
//                                  ...) attributes {llvm.emit_c_interface}
//
// calls the entry and materializes each result in the caller's buffer; the
// module is lowered (default pipeline `attn-lower-to-cpu`), JIT-compiled with
// MLIR's ExecutionEngine, and the wrapper's C interface is called with one
// memref descriptor per argument: the caller's dense row-major buffers.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_EXECUTIONENGINE_CPUJIT_H
#define ATTN_EXECUTIONENGINE_CPUJIT_H

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"
#include "mlir/Support/Timing.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace mlir {
class PassManager;
namespace func {
class FuncOp;
} // namespace func
} // namespace mlir

namespace mlir::attn {

/// The wrapper's name and the attributes recording the entry and its
/// signature on a lowered module (so attn-runner can run a module printed
/// after lowering).
inline constexpr llvm::StringLiteral kCpuWrapperName = "__attn_runner_entry";
inline constexpr llvm::StringLiteral kCpuEntryAttr = "attn_runner.entry";
inline constexpr llvm::StringLiteral kCpuSignatureAttr =
    "attn_runner.signature";

/// Receives the error messages of the functions below (one line each, no
/// prefix).
using CpuJitError = std::function<void(const llvm::Twine &message)>;

/// Whether arguments and results of this element type can be passed: f16,
/// bf16, f32, f64, i1, i8, i32, i64.
bool isSupportedCpuElementType(Type type);

/// Checks that every argument and result of `type` is a static ranked tensor
/// of a supported element type.
LogicalResult checkCpuEntrySignature(FunctionType type, StringRef name,
                                     const CpuJitError &error);

/// Adds the wrapper of `entry` and records the entry and its signature on
/// `module`. Fails when the module already defines the wrapper's name.
LogicalResult addCpuEntryWrapper(ModuleOp module, func::FuncOp entry,
                                 const CpuJitError &error);

/// The first op below `module` that is not in the LLVM dialect, or null.
Operation *findNonLLVMOp(ModuleOp module);

/// `requested` threads, else the ATTN_NUM_THREADS environment variable when
/// `requested` is 0 and it is set, else every hardware thread.
unsigned resolveCpuThreads(unsigned requested, bool requestedExplicitly);

/// Lowers `module` with `pipeline` (textual, optionally wrapped in
/// builtin.module(...)); `attn-lower-to-cpu` gets `threads` (one when MLIR's
/// async runtime library is missing, said through `note`). Fails with a
/// located message when an op outside the LLVM dialect remains. `what`
/// names the module in the messages.
LogicalResult lowerModuleForCpu(
    ModuleOp module, StringRef pipeline, unsigned threads,
    const CpuJitError &error, const CpuJitError &note,
    const std::function<LogicalResult(PassManager &)> &configure = {},
    TimingScope *timing = nullptr, const std::string &what = "the module");

/// JIT-compiles a module in the LLVM dialect for the host (O3), with MLIR's
/// runner utility and async runtime libraries loaded.
FailureOr<std::unique_ptr<ExecutionEngine>>
createCpuEngine(ModuleOp module, const CpuJitError &error);

/// The memref descriptor { allocated, aligned, offset, sizes[], strides[] }
/// of a dense row-major buffer of `shape` at `data`.
std::vector<int64_t> makeDenseMemRefDescriptor(void *data,
                                               ArrayRef<int64_t> shape);

/// Calls the wrapper with one descriptor per argument, then per result.
LogicalResult
invokeCpuWrapper(ExecutionEngine &engine,
                 MutableArrayRef<std::vector<int64_t>> descriptors,
                 StringRef entryName, const CpuJitError &error);

/// Frees the large buffers that JIT-compiled functions lowered with
/// `jit-allocator=1` keep for their next calls (blocks of 1 MiB or more, up
/// to 512 MiB in all, shared by every function of the process); returns
/// their bytes. Safe at any time: a later call allocates again.
size_t releaseCpuBufferCache();

/// A JIT-compiled entry, called with dense row-major buffers.
class CpuFunction {
public:
  struct Options {
    std::string pipeline = "attn-lower-to-cpu";
    /// 0: ATTN_NUM_THREADS when set, else every hardware thread.
    unsigned threads = 0;
  };

  /// Wraps, lowers and JIT-compiles `entry` of `module` (modified in place;
  /// the engine no longer needs it once this returns).
  static FailureOr<std::unique_ptr<CpuFunction>>
  create(ModuleOp module, StringRef entry, const Options &options,
         const CpuJitError &error, const CpuJitError &note);

  /// The entry's signature (before lowering).
  FunctionType getSignature() const { return signature; }

  /// Calls the entry: `buffers` holds one pointer per argument, then one per
  /// result, each to a dense row-major buffer of the tensor's shape and
  /// element type (results are written).
  LogicalResult call(ArrayRef<void *> buffers, const CpuJitError &error);

private:
  CpuFunction() = default;
  std::string name;
  FunctionType signature;
  std::unique_ptr<ExecutionEngine> engine;
};

} // namespace mlir::attn

#endif // ATTN_EXECUTIONENGINE_CPUJIT_H
