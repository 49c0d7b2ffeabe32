//===- attn-compile.cpp - compile attn IR to GPU kernel artifacts ---------===//
//
// attn-compile FILE.mlir --chip=sm_80|sm_90a --out-dir=DIR
//
// Runs attn-lower-to-gpu and writes, per kernel, <kernel>.ptx and (when
// ptxas is found) <kernel>.cubin, plus <module>.h (the launch ABI) and
// <module>.json (the manifest the runtime's kernel loader reads). Takes the
// --mlir-* options of attn-opt (--mlir-timing, --mlir-print-ir-after-all,
// --mlir-pass-pipeline-crash-reproducer, ...).
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/AttnToGPU/AttnToGPU.h"
#include "attn/Conversion/Pipelines.h"
#include "attn/InitAll.h"
#include "attn/Target/KernelArtifacts.h"
#include "attn/Tools/CommandLine.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::OptionCategory category("attn-compile options");
static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<input.mlir>"),
                                      cl::Required, cl::cat(category));
static cl::opt<std::string>
    chip("chip", cl::desc("Target GPU: sm_80 or sm_90a (default: sm_80)"),
         cl::init("sm_80"), cl::cat(category));
static cl::opt<std::string> outDir("out-dir",
                                   cl::desc("Directory for the artifacts"),
                                   cl::Required, cl::cat(category));
static cl::opt<std::string>
    moduleName("module-name",
               cl::desc("Name of the header and manifest (default: the input "
                        "file's stem)"),
               cl::cat(category));
static cl::opt<int64_t>
    tileKV("tile-kv", cl::desc("Keys per online-softmax step (default: 64)"),
           cl::init(64), cl::cat(category));
static cl::opt<int64_t> blockSize("block-size",
                                  cl::desc("Threads per block (default: 128)"),
                                  cl::init(128), cl::cat(category));
static cl::opt<std::string>
    kernelKind("kernel",
               cl::desc("Kernel kind: auto (tensor cores where supported, "
                        "SIMT otherwise; wgmma on sm_90a, mma.sync on "
                        "sm_80), mma, wgmma (sm_90a) or simt (default: auto)"),
               cl::init("auto"), cl::cat(category));
static cl::opt<bool>
    useTma("tma",
           cl::desc("sm_90a wgmma kernels: K and V by TMA from a producer "
                    "warpgroup (default; --tma=false: cp.async from every "
                    "warp)"),
           cl::init(true), cl::cat(category));
static cl::opt<std::string>
    ptxasPath("ptxas",
              cl::desc("ptxas to build cubins with (default: the CUDA "
                       "toolkit's, then PATH)"),
              cl::cat(category));
static cl::opt<std::string>
    toolkit("toolkit",
            cl::desc("CUDA toolkit directory (default: CUDA_ROOT, CUDA_HOME, "
                     "CUDA_PATH or /usr/local/cuda)"),
            cl::cat(category));
static cl::opt<bool> noCubin("no-cubin",
                             cl::desc("Write PTX only (do not run ptxas)"),
                             cl::init(false), cl::cat(category));

static int fail(const llvm::Twine &message) {
  llvm::errs() << "attn-compile: error: " << message << "\n";
  return 1;
}

static LogicalResult writeFile(StringRef path, StringRef text) {
  std::string error;
  auto file = openOutputFile(path, &error);
  if (!file) {
    llvm::errs() << "attn-compile: error: " << error << "\n";
    return failure();
  }
  file->os() << text;
  file->keep();
  return success();
}

/// Finds ptxas: --ptxas, else <toolkit>/bin/ptxas (only there when --toolkit
/// is given), else PATH; empty if none.
static std::string findPtxas() {
  if (!ptxasPath.empty())
    return ptxasPath;
  std::string dir = attn::findCUDAToolkit(toolkit);
  if (!dir.empty()) {
    llvm::SmallString<256> path(dir);
    llvm::sys::path::append(path, "bin", "ptxas");
    if (llvm::sys::fs::can_execute(path))
      return std::string(path);
  }
  if (!toolkit.empty())
    return "";
  if (llvm::ErrorOr<std::string> found = llvm::sys::findProgramByName("ptxas"))
    return *found;
  return "";
}

/// Runs `args` (args[0] is the program) with stdout and stderr into `log`;
/// returns its exit code, -1 when it could not run (`error` says why).
static int runAndCapture(ArrayRef<StringRef> args, std::string &log,
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
  log = buffer ? (*buffer)->getBuffer().str() : "";
  llvm::sys::fs::remove(logPath);
  return rc;
}

/// The release line of `ptxas --version` ("Cuda compilation tools, release
/// 13.0, V13.0.88"), else its last line; failure when it does not run.
static FailureOr<std::string> getPtxasVersion(StringRef ptxas) {
  std::string log, error;
  if (runAndCapture({ptxas, "--version"}, log, error) != 0) {
    llvm::errs() << "attn-compile: error: '" << ptxas << " --version' failed"
                 << (error.empty() ? "" : ": " + error) << "\n"
                 << log;
    return failure();
  }
  SmallVector<StringRef> lines;
  StringRef(log).split(lines, '\n', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
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
static FailureOr<std::string> runPtxas(StringRef ptxas, StringRef ptx,
                                       StringRef cubin) {
  std::string arch = "-arch=" + chip;
  std::string log, error;
  int rc =
      runAndCapture({ptxas, arch, "-O3", "-v", ptx, "-o", cubin}, log, error);
  if (rc != 0) {
    llvm::errs() << "attn-compile: error: ptxas failed on " << ptx
                 << (error.empty() ? "" : ": " + error) << "\n"
                 << log;
    return failure();
  }
  return log;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // Passes by name: --mlir-print-ir-after=<pass> and the like.
  attn::registerAllPasses();
  attn::registerMLIRCLOptions();
  attn::registerVersionPrinter();
  attn::hideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "attn-compile: compile attn.sdpa to GPU kernels (PTX, cubin, a C "
      "header with the launch ABI and a JSON manifest)\n");

  if (!attn::isSupportedGPUChip(chip))
    return fail("unsupported chip '" + chip + "', expected sm_80 or sm_90a");
  if (kernelKind != "auto" && kernelKind != "mma" && kernelKind != "wgmma" &&
      kernelKind != "simt")
    return fail("expected --kernel=auto, mma, wgmma or simt, got '" +
                kernelKind + "'");
  if (kernelKind == "wgmma" && chip != "sm_90a")
    return fail("--kernel=wgmma needs --chip=sm_90a, got " + chip);
  if (tileKV <= 0 || blockSize <= 0 || blockSize > 1024)
    return fail("expected tile-kv > 0 and block-size in [1, 1024], got " +
                llvm::Twine(tileKV) + " and " + llvm::Twine(blockSize));

  // --mlir-timing reports each stage; the pass pipelines nest under theirs.
  DefaultTimingManager timing;
  applyDefaultTimingManagerCLOptions(timing);
  TimingScope rootTiming = timing.getRootScope();

  std::string errorMessage;
  TimingScope parseTiming = rootTiming.nest("Parse");
  std::unique_ptr<llvm::MemoryBuffer> input =
      openInputFile(inputFile, &errorMessage);
  if (!input)
    return fail(errorMessage);
  std::string source = input->getBuffer().str();

  DialectRegistry registry;
  attn::registerAllDialects(registry);
  MLIRContext context(registry);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(input), llvm::SMLoc());
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return fail("cannot parse " + inputFile);
  parseTiming.stop();

  attn::GPUPipelineOptions options;
  options.chip = chip;
  options.tileKV = tileKV;
  options.blockSize = blockSize;
  options.kernel = kernelKind;
  options.tma = useTma;
  options.format = "isa";
  options.toolkit = toolkit;

  // Stage 1: kernels, whose attributes give the launch ABI.
  PassManager kernelsPM(&context);
  attn::buildAttnToGPUKernelsPipeline(kernelsPM, options);
  if (failed(applyPassManagerCLOptions(kernelsPM)))
    return fail("cannot apply the --mlir-* pass manager options");
  TimingScope kernelsTiming = rootTiming.nest("Lower to GPU kernels");
  kernelsPM.enableTiming(kernelsTiming);
  if (failed(kernelsPM.run(*module)))
    return fail("lowering " + inputFile + " to GPU kernels failed");
  FailureOr<std::vector<attn::KernelInfo>> kernels =
      attn::collectKernels(*module);
  if (failed(kernels))
    return 1;
  if (kernels->empty())
    return fail("no attn.sdpa in " + inputFile + ": nothing to compile");
  kernelsTiming.stop();

  // Stage 2: PTX.
  PassManager binaryPM(&context);
  attn::buildGPUKernelsToBinaryPipeline(binaryPM, options);
  if (failed(applyPassManagerCLOptions(binaryPM)))
    return fail("cannot apply the --mlir-* pass manager options");
  TimingScope binaryTiming = rootTiming.nest("Lower to PTX");
  binaryPM.enableTiming(binaryTiming);
  if (failed(binaryPM.run(*module)))
    return fail("lowering the kernels of " + inputFile + " to PTX failed");
  binaryTiming.stop();

  if (std::error_code ec = llvm::sys::fs::create_directories(outDir))
    return fail("cannot create " + outDir + ": " + ec.message());

  TimingScope writeTiming = rootTiming.nest("Write PTX and run ptxas");
  std::string ptxas = noCubin ? "" : findPtxas();
  if (ptxas.empty() && !noCubin)
    llvm::errs() << "attn-compile: ptxas not found (set --ptxas, --toolkit "
                    "or CUDA_HOME): writing PTX only, cubins skipped\n";
  // The cubins depend on ptxas: its version goes into the cache key.
  std::optional<std::string> ptxasVersion;
  if (!ptxas.empty()) {
    FailureOr<std::string> version = getPtxasVersion(ptxas);
    if (failed(version))
      return 1;
    ptxasVersion = *version;
  }
  for (attn::KernelInfo &k : *kernels) {
    FailureOr<std::string> ptx = attn::getKernelPTX(*module, k.name);
    if (failed(ptx))
      return 1;
    k.ptxFile = k.name + ".ptx";
    llvm::SmallString<256> ptxPath(outDir);
    llvm::sys::path::append(ptxPath, k.ptxFile);
    if (failed(writeFile(ptxPath, *ptx)))
      return 1;
    if (ptxas.empty())
      continue;
    std::string cubinFile = k.name + ".cubin";
    llvm::SmallString<256> cubinPath(outDir);
    llvm::sys::path::append(cubinPath, cubinFile);
    FailureOr<std::string> log = runPtxas(ptxas, ptxPath, cubinPath);
    if (failed(log))
      return 1;
    k.cubinFile = cubinFile;
    k.ptxas = attn::parsePtxasReport(*log, k.name);
    for (const std::string &w : k.ptxas->warnings)
      llvm::errs() << "attn-compile: " << k.name << ": " << w << "\n";
    if (!k.ptxas->wgmmaSerialization.empty())
      return fail("ptxas serialized the wgmma of kernel '" + k.name +
                  "' (it would run at a fraction of its speed): " +
                  k.ptxas->wgmmaSerialization.front());
  }

  writeTiming.stop();

  attn::ManifestInfo info;
  info.moduleName = moduleName.empty()
                        ? attn::toCIdentifier(llvm::sys::path::stem(inputFile))
                        : attn::toCIdentifier(moduleName);
  info.sourceFile = llvm::sys::path::filename(inputFile).str();
  info.sourceHash = attn::sha256Hex(source);
  info.chip = chip;
  info.features = options.features;
  info.tileKV = tileKV;
  info.blockSize = blockSize;
  info.kernel = kernelKind;
  info.tma = useTma;
  info.compilerVersion = attn::getVersionString();
  info.compilerRevision = attn::getGitDescribe();
  info.llvmVersion = attn::getLLVMVersionString();
  info.ptxasVersion = ptxasVersion;
  info.cacheKey = attn::computeCacheKey(source, info);

  llvm::SmallString<256> headerPath(outDir), manifestPath(outDir);
  llvm::sys::path::append(headerPath, info.moduleName + ".h");
  llvm::sys::path::append(manifestPath, info.moduleName + ".json");
  if (failed(writeFile(headerPath, attn::emitKernelHeader(info, *kernels))) ||
      failed(writeFile(manifestPath, attn::emitKernelManifest(info, *kernels))))
    return 1;
  for (const attn::KernelInfo &k : *kernels) {
    llvm::outs() << k.name << ": grid " << k.grid[0] << "x" << k.grid[1] << "x"
                 << k.grid[2];
    if (k.gridMax)
      llvm::outs() << " (x: 1 to " << (*k.gridMax)[0] << " splits)";
    llvm::outs() << ", block " << k.block[0] << ", " << k.ptxFile;
    if (k.ptxas)
      llvm::outs() << ", " << k.cubinFile << " (" << k.ptxas->registers
                   << " registers, " << k.ptxas->stackFrameBytes
                   << " bytes stack, " << k.ptxas->spillStoreBytes << "/"
                   << k.ptxas->spillLoadBytes << " bytes spilled, "
                   << k.ptxas->sharedMemoryBytes << " bytes smem)";
    llvm::outs() << "\n";
  }
  llvm::outs() << "wrote " << headerPath << " and " << manifestPath << "\n";
  return 0;
}
