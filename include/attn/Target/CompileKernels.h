//===- CompileKernels.h - attn IR to GPU kernel artifacts -------*- C++ -*-===//
//
// What attn-compile does, as a library: lower a module's attention ops to GPU
// kernels, write each kernel's PTX (and, with ptxas, its cubin), the C header
// of the launch ABI and the JSON manifest the runtime's kernel loader reads.
// Used by attn-compile and by the C API (attn-c/Run.h).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_TARGET_COMPILEKERNELS_H
#define ATTN_TARGET_COMPILEKERNELS_H

#include "attn/Target/KernelArtifacts.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"
#include "mlir/Support/Timing.h"

#include <functional>
#include <string>
#include <vector>

namespace mlir {
class PassManager;
} // namespace mlir

namespace mlir::attn {

/// The options of one compilation (attn-compile's command line).
struct KernelCompileOptions {
  /// sm_80 or sm_90a.
  std::string chip = "sm_80";
  /// Keys per tile of every kernel; 0: each kernel's own (64 for the SIMT
  /// kernel; the tensor-core kernels' in docs/gpu/codegen.md).
  int64_t tileKV = 0;
  int64_t blockSize = 128;
  /// auto, mma, wgmma (sm_90a) or simt.
  std::string kernel = "auto";
  /// sm_90a wgmma kernels: TMA from a producer warpgroup.
  bool tma = true;
  /// mma.sync prefill kernels: query rows per warp (16 or 32; 0: by head
  /// dimension).
  int64_t warpRows = 0;
  /// ptxas to build cubins with; empty: the toolkit's, then PATH.
  std::string ptxas;
  /// CUDA toolkit directory; empty: CUDA_ROOT, CUDA_HOME, CUDA_PATH or
  /// /usr/local/cuda.
  std::string toolkit;
  /// Build cubins when ptxas is found.
  bool cubin = true;
  /// Name of the header and manifest (a C identifier is made of it).
  std::string moduleName = "attn_kernels";
  /// The source's file name, recorded in the manifest.
  std::string sourceFile;
};

/// What one compilation wrote.
struct KernelCompileResult {
  ManifestInfo info;
  std::vector<KernelInfo> kernels;
  std::string headerPath, manifestPath;
};

/// Receives the messages of a compilation: errors (the compilation fails)
/// and notes (it goes on, e.g. "ptxas not found"). Diagnostics of the
/// passes go to the context's diagnostic handler as usual.
using KernelCompileLog =
    std::function<void(bool isError, const llvm::Twine &message)>;

/// Checks the options (chip, kernel kind, sizes); the error says which.
LogicalResult verifyKernelCompileOptions(const KernelCompileOptions &options,
                                         const KernelCompileLog &log);

/// Lowers `module` (modified in place) to kernels and writes the artifacts
/// into `outDir` (created when missing). `source` is the text the module was
/// parsed from (hashed into the cache key; pass the printed module when it
/// was built in memory). `configure` may adjust each pass manager (the
/// --mlir-* options); `timing` nests the stages' timers when given.
FailureOr<KernelCompileResult> compileKernels(
    ModuleOp module, StringRef source, const KernelCompileOptions &options,
    StringRef outDir, const KernelCompileLog &log,
    const std::function<LogicalResult(PassManager &)> &configure = {},
    TimingScope *timing = nullptr);

} // namespace mlir::attn

#endif // ATTN_TARGET_COMPILEKERNELS_H
