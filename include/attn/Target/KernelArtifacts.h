//===- KernelArtifacts.h - GPU kernel artifacts -----------------*- C++ -*-===//
//
// What attn-compile writes next to each kernel's PTX/cubin: the launch ABI
// as a C header and a JSON manifest (read by the runtime's kernel loader,
// runtime/include/attn/runtime/attn_kernels.h).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_TARGET_KERNELARTIFACTS_H
#define ATTN_TARGET_KERNELARTIFACTS_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace mlir::attn {

/// One kernel parameter: a bare pointer to a dense, row-major buffer.
struct KernelParam {
  std::string name;
  /// Element type: f16, bf16, f32, f64, i1, i8, i32, i64.
  std::string dtype;
  SmallVector<int64_t> shape;
  int64_t bytes = 0;
  /// "read" or "readwrite".
  std::string access;
  /// A TMA tensor map (128 bytes by value) over the pointer parameter named
  /// `tensor`, with dtype that parameter's: cuTensorMapEncodeTiled's dims,
  /// strides, box and swizzle (bytes). Not a pointer when set.
  bool tensorMap = false;
  std::string tensor;
  std::vector<int64_t> mapDims, mapStrides, mapBox;
  int64_t swizzle = 0;
};

/// Resource usage reported by `ptxas -v`.
struct PtxasReport {
  int64_t registers = -1;
  int64_t stackFrameBytes = 0;
  int64_t spillStoreBytes = 0;
  int64_t spillLoadBytes = 0;
  int64_t sharedMemoryBytes = 0;
  /// ptxas warning lines.
  std::vector<std::string> warnings;
  /// Every line with a C75xx code, warning or info (C7515/C7517/C7519:
  /// ptxas serialized the kernel's wgmma, which costs most of its speed).
  std::vector<std::string> wgmmaSerialization;
};

/// One outlined kernel and its launch.
/// How a tensor-core kernel was generated (attn.launch's "config"): its
/// form ("mma.sync", "wgmma", "wgmma.tma", "combine") and its settings, in
/// the order given: sizes (query_rows, tile_kv, warps, ...) and flags
/// (decode, paged, ...).
struct KernelConfig {
  struct Entry {
    std::string name;
    int64_t value;
    bool flag;
  };
  std::string form;
  std::vector<Entry> entries;
  /// The value of entry `name`, if present.
  std::optional<int64_t> get(StringRef name) const;
};

struct KernelInfo {
  /// Kernel entry name (also the gpu.module name and the file stem).
  std::string name;
  std::array<int64_t, 3> grid = {1, 1, 1};
  /// When set, a launch may choose grid x from 1 to gridMax[0] (a split-KV
  /// kernel's split count; `grid` holds the default).
  std::optional<std::array<int64_t, 3>> gridMax;
  std::array<int64_t, 3> block = {1, 1, 1};
  int64_t sharedMemoryBytes = 0;
  std::vector<KernelParam> params;
  /// File names relative to the manifest; `cubin` empty when not built.
  std::string ptxFile, cubinFile;
  std::optional<PtxasReport> ptxas;
  /// Tensor-core kernels: what they were generated with.
  std::optional<KernelConfig> config;
};

/// What the manifest records about the compilation.
struct ManifestInfo {
  std::string moduleName;
  std::string sourceFile;
  /// SHA-256 of the source text, and computeCacheKey().
  std::string sourceHash, cacheKey;
  std::string chip, features;
  int64_t tileKV = 0, blockSize = 0;
  /// --kernel (auto, mma, wgmma, simt), --tma and --warp-rows.
  std::string kernel;
  bool tma = true;
  int64_t warpRows = 0;
  /// The compiler that wrote the kernels: the attn version ("0.4.0"), its
  /// `git describe` (the version again outside a git checkout) and the
  /// LLVM/MLIR release it is built against.
  std::string compilerVersion, compilerRevision, llvmVersion;
  /// `ptxas --version` (its release line) when cubins were built.
  std::optional<std::string> ptxasVersion;
};

/// SHA-256 of everything the kernels depend on: the source text, the chip,
/// features and options, and the compilers (attn version and revision, LLVM,
/// ptxas when it built cubins), so that a new compiler or option never
/// reuses a cached kernel.
std::string computeCacheKey(StringRef source, const ManifestInfo &info);

/// Reads the kernels outlined by attn-lower-to-gpu-kernels (gpu.func with
/// `attn.launch` and `attn.params`); reports a kernel it cannot describe.
FailureOr<std::vector<KernelInfo>> collectKernels(ModuleOp module);

/// The PTX text of the `gpu.binary` named `name` (after
/// gpu-module-to-binary{format=isa}).
FailureOr<std::string> getKernelPTX(ModuleOp module, StringRef name);

/// Parses the output of `ptxas -v` for the entry `entry`.
PtxasReport parsePtxasReport(StringRef log, StringRef entry);

/// A C identifier made of `name` (other characters become '_').
std::string toCIdentifier(StringRef name);

/// The C header of the launch ABI of `kernels`.
std::string emitKernelHeader(const ManifestInfo &info,
                             ArrayRef<KernelInfo> kernels);

/// The JSON manifest of `kernels`.
std::string emitKernelManifest(const ManifestInfo &info,
                               ArrayRef<KernelInfo> kernels);

/// Lowercase hex SHA-256 of `data`.
std::string sha256Hex(StringRef data);

} // namespace mlir::attn

#endif // ATTN_TARGET_KERNELARTIFACTS_H
