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

#include "attn/InitAll.h"
#include "attn/Target/CompileKernels.h"
#include "attn/Tools/CommandLine.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
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
    tileKV("tile-kv",
           cl::desc("Keys per online-softmax step of every kernel, one each "
                    "supports (default: 0, each kernel's own: 64 for the SIMT "
                    "kernel)"),
           cl::init(0), cl::cat(category));
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
static cl::opt<int64_t> warpRows(
    "warp-rows",
    cl::desc("mma.sync prefill kernels (dense, head dimensions up to 128): "
             "query rows per warp, 32 (4 warps), 16 (8 warps) or 0 (default: "
             "32 at Dv = 64, 16 at Dv = 128)"),
    cl::init(0), cl::cat(category));
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

  attn::KernelCompileOptions options;
  options.chip = chip;
  options.tileKV = tileKV;
  options.blockSize = blockSize;
  options.kernel = kernelKind;
  options.tma = useTma;
  options.warpRows = warpRows;
  options.ptxas = ptxasPath;
  options.toolkit = toolkit;
  options.cubin = !noCubin;
  options.moduleName = moduleName.empty()
                           ? llvm::sys::path::stem(inputFile).str()
                           : moduleName.getValue();
  options.sourceFile = llvm::sys::path::filename(inputFile).str();
  auto log = [](bool isError, const llvm::Twine &message) {
    llvm::errs() << "attn-compile: " << (isError ? "error: " : "") << message
                 << "\n";
  };
  if (failed(attn::verifyKernelCompileOptions(options, log)))
    return 1;

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

  // The --mlir-* pass manager options apply to both stages.
  auto configure = [](PassManager &pm) {
    return attn::applyMLIRPassManagerOptions(pm, "attn-compile");
  };
  FailureOr<attn::KernelCompileResult> result = attn::compileKernels(
      *module, source, options, outDir, log, configure, &rootTiming);
  if (failed(result))
    return 1;
  for (const attn::KernelInfo &k : result->kernels) {
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
  llvm::outs() << "wrote " << result->headerPath << " and "
               << result->manifestPath << "\n";
  return 0;
}
