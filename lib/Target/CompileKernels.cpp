//===- CompileKernels.cpp - attn IR to GPU kernel artifacts ---------------===//

#include "attn/Target/CompileKernels.h"

#include "attn/Conversion/AttnToGPU/AttnToGPU.h"
#include "attn/Conversion/Pipelines.h"
#include "attn/Tools/CommandLine.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
using namespace mlir::attn;

namespace {

LogicalResult writeFile(StringRef path, StringRef text,
                        const KernelCompileLog &log) {
  std::string error;
  auto file = openOutputFile(path, &error);
  if (!file) {
    log(/*isError=*/true, error);
    return failure();
  }
  file->os() << text;
  file->keep();
  return success();
}

/// Finds ptxas: the option, else <toolkit>/bin/ptxas (only there when a
/// toolkit is given), else PATH; empty if none.
std::string findPtxas(const KernelCompileOptions &options) {
  if (!options.ptxas.empty())
    return options.ptxas;
  std::string dir = findCUDAToolkit(options.toolkit);
  if (!dir.empty()) {
    llvm::SmallString<256> path(dir);
    llvm::sys::path::append(path, "bin", "ptxas");
    if (llvm::sys::fs::can_execute(path))
      return std::string(path);
  }
  if (!options.toolkit.empty())
    return "";
  if (llvm::ErrorOr<std::string> found = llvm::sys::findProgramByName("ptxas"))
    return *found;
  return "";
}

/// A program's output on the lines after a message ("" when it printed
/// nothing).
std::string withOutput(StringRef out) {
  StringRef text = out.rtrim();
  return text.empty() ? "" : "\n" + text.str();
}

/// Runs `args` (args[0] is the program) with stdout and stderr into `out`;
/// returns its exit code, -1 when it could not run (`error` says why).
int runAndCapture(ArrayRef<StringRef> args, std::string &out,
                  std::string &error) {
  llvm::SmallString<128> logPath;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
          "attn-compile-ptxas", "log", logPath)) {
    error = ec.message();
    return -1;
  }
  std::optional<StringRef> redirects[] = {std::nullopt, StringRef(logPath),
                                          StringRef(logPath)};
  int rc = llvm::sys::ExecuteAndWait(args[0], args, std::nullopt, redirects, 0,
                                     0, &error);
  auto buffer = llvm::MemoryBuffer::getFile(logPath);
  out = buffer ? (*buffer)->getBuffer().str() : "";
  llvm::sys::fs::remove(logPath);
  return rc;
}

/// The release line of `ptxas --version` ("Cuda compilation tools, release
/// 13.0, V13.0.88"), else its last line; failure when it does not run.
FailureOr<std::string> getPtxasVersion(StringRef ptxas,
                                       const KernelCompileLog &log) {
  std::string out, error;
  if (runAndCapture({ptxas, "--version"}, out, error) != 0) {
    log(/*isError=*/true, "'" + ptxas + " --version' failed" +
                              (error.empty() ? "" : ": " + error) +
                              withOutput(out));
    return failure();
  }
  SmallVector<StringRef> lines;
  StringRef(out).split(lines, '\n', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
  std::string version;
  for (StringRef line : lines)
    if (!line.trim().empty())
      version = line.trim().str();
  for (StringRef line : lines)
    if (line.contains("compilation tools"))
      version = line.trim().str();
  return version;
}

/// Runs `ptxas -v` on `ptx` to write `cubin`; returns its log, or failure.
FailureOr<std::string> runPtxas(StringRef ptxas, StringRef chip, StringRef ptx,
                                StringRef cubin, const KernelCompileLog &log) {
  std::string arch = ("-arch=" + chip).str();
  std::string out, error;
  int rc =
      runAndCapture({ptxas, arch, "-O3", "-v", ptx, "-o", cubin}, out, error);
  if (rc != 0) {
    log(/*isError=*/true, "ptxas failed on " + ptx +
                              (error.empty() ? "" : ": " + error) +
                              withOutput(out));
    return failure();
  }
  return out;
}

} // namespace

LogicalResult
mlir::attn::verifyKernelCompileOptions(const KernelCompileOptions &options,
                                       const KernelCompileLog &log) {
  const std::string &kind = options.kernel;
  if (!isSupportedGPUChip(options.chip))
    log(true,
        "unsupported chip '" + options.chip + "', expected sm_80 or sm_90a");
  else if (kind != "auto" && kind != "mma" && kind != "wgmma" && kind != "simt")
    log(true, "expected --kernel=auto, mma, wgmma or simt, got '" + kind + "'");
  else if (kind == "wgmma" && options.chip != "sm_90a")
    log(true, "--kernel=wgmma needs --chip=sm_90a, got " + options.chip);
  else if (options.tileKV < 0 || options.blockSize <= 0 ||
           options.blockSize > 1024)
    log(true, "expected tile-kv >= 0 and block-size in [1, 1024], got " +
                  llvm::Twine(options.tileKV) + " and " +
                  llvm::Twine(options.blockSize));
  else if (options.warpRows != 0 && options.warpRows != 16 &&
           options.warpRows != 32)
    log(true, "expected --warp-rows=0, 16 or 32, got " +
                  llvm::Twine(options.warpRows));
  else
    return success();
  return failure();
}

FailureOr<KernelCompileResult> mlir::attn::compileKernels(
    ModuleOp module, StringRef source, const KernelCompileOptions &options,
    StringRef outDir, const KernelCompileLog &log,
    const std::function<LogicalResult(PassManager &)> &configure,
    TimingScope *timing) {
  if (failed(verifyKernelCompileOptions(options, log)))
    return failure();
  std::optional<TimingScope> noTiming;
  if (!timing) {
    noTiming.emplace();
    timing = &*noTiming;
  }
  MLIRContext *ctx = module.getContext();
  std::string what =
      options.sourceFile.empty() ? "the module" : options.sourceFile;

  GPUPipelineOptions pipelineOptions;
  pipelineOptions.chip = options.chip;
  // 0: each kernel's own tile (the pipeline's default for the SIMT kernel).
  if (options.tileKV > 0)
    pipelineOptions.tileKV = options.tileKV;
  pipelineOptions.blockSize = options.blockSize;
  pipelineOptions.kernel = options.kernel;
  pipelineOptions.tma = options.tma;
  pipelineOptions.warpRows = options.warpRows;
  pipelineOptions.format = "isa";
  pipelineOptions.toolkit = options.toolkit;

  // One stage: a pipeline on the module, timed under `name`.
  auto runStage =
      [&](void (*build)(OpPassManager &, const GPUPipelineOptions &),
          StringRef name, const llvm::Twine &failed) {
        PassManager pm(ctx);
        build(pm, pipelineOptions);
        if (configure && mlir::failed(configure(pm)))
          return failure();
        TimingScope stageTiming = timing->nest(name);
        pm.enableTiming(stageTiming);
        if (mlir::failed(pm.run(module))) {
          log(true, failed);
          return failure();
        }
        return success();
      };

  // Stage 1: kernels, whose attributes give the launch ABI.
  if (failed(runStage(buildAttnToGPUKernelsPipeline, "Lower to GPU kernels",
                      "lowering " + what + " to GPU kernels failed")))
    return failure();
  KernelCompileResult result;
  FailureOr<std::vector<KernelInfo>> kernels = collectKernels(module);
  if (failed(kernels))
    return failure();
  if (kernels->empty()) {
    log(true, "no attn.sdpa in " + what + ": nothing to compile");
    return failure();
  }
  result.kernels = std::move(*kernels);

  // Stage 2: PTX.
  if (failed(runStage(buildGPUKernelsToBinaryPipeline, "Lower to PTX",
                      "lowering the kernels of " + what + " to PTX failed")))
    return failure();

  if (std::error_code ec = llvm::sys::fs::create_directories(outDir)) {
    log(true, "cannot create " + outDir + ": " + ec.message());
    return failure();
  }

  TimingScope writeTiming = timing->nest("Write PTX and run ptxas");
  std::string ptxas = options.cubin ? findPtxas(options) : "";
  if (ptxas.empty() && options.cubin)
    log(false, "ptxas not found (set --ptxas, --toolkit or CUDA_HOME): "
               "writing PTX only, cubins skipped");
  // The cubins depend on ptxas: its version goes into the cache key.
  std::optional<std::string> ptxasVersion;
  if (!ptxas.empty()) {
    FailureOr<std::string> version = getPtxasVersion(ptxas, log);
    if (failed(version))
      return failure();
    ptxasVersion = *version;
  }
  for (KernelInfo &k : result.kernels) {
    FailureOr<std::string> ptx = getKernelPTX(module, k.name);
    if (failed(ptx))
      return failure();
    k.ptxFile = k.name + ".ptx";
    llvm::SmallString<256> ptxPath(outDir);
    llvm::sys::path::append(ptxPath, k.ptxFile);
    if (failed(writeFile(ptxPath, *ptx, log)))
      return failure();
    if (ptxas.empty())
      continue;
    std::string cubinFile = k.name + ".cubin";
    llvm::SmallString<256> cubinPath(outDir);
    llvm::sys::path::append(cubinPath, cubinFile);
    FailureOr<std::string> ptxasLog =
        runPtxas(ptxas, options.chip, ptxPath, cubinPath, log);
    if (failed(ptxasLog))
      return failure();
    k.cubinFile = cubinFile;
    k.ptxas = parsePtxasReport(*ptxasLog, k.name);
    for (const std::string &w : k.ptxas->warnings)
      log(false, k.name + ": " + w);
    if (!k.ptxas->wgmmaSerialization.empty()) {
      log(true, "ptxas serialized the wgmma of kernel '" + k.name +
                    "' (it would run at a fraction of its speed): " +
                    k.ptxas->wgmmaSerialization.front());
      return failure();
    }
  }
  writeTiming.stop();

  ManifestInfo &info = result.info;
  info.moduleName = toCIdentifier(options.moduleName);
  info.sourceFile = options.sourceFile;
  info.sourceHash = sha256Hex(source);
  info.chip = options.chip;
  info.features = pipelineOptions.features;
  info.tileKV = options.tileKV;
  info.blockSize = options.blockSize;
  info.kernel = options.kernel;
  info.tma = options.tma;
  info.warpRows = options.warpRows;
  info.compilerVersion = getVersionString();
  info.compilerRevision = getGitDescribe();
  info.llvmVersion = getLLVMVersionString();
  info.ptxasVersion = ptxasVersion;
  info.cacheKey = computeCacheKey(source, info);

  llvm::SmallString<256> headerPath(outDir), manifestPath(outDir);
  llvm::sys::path::append(headerPath, info.moduleName + ".h");
  llvm::sys::path::append(manifestPath, info.moduleName + ".json");
  if (failed(
          writeFile(headerPath, emitKernelHeader(info, result.kernels), log)) ||
      failed(writeFile(manifestPath, emitKernelManifest(info, result.kernels),
                       log)))
    return failure();
  result.headerPath = std::string(headerPath);
  result.manifestPath = std::string(manifestPath);
  return result;
}
