//===- Run.cpp - run pipelines, JIT on the CPU, compile GPU kernels -------===//

#include "attn-c/Run.h"

#include "Errors.h"

#include "attn/ExecutionEngine/CpuJit.h"
#include "attn/InitAll.h"
#include "attn/Target/CompileKernels.h"
#include "attn/Tools/CommandLine.h"

#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Support.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include <mutex>

using namespace mlir;
using namespace mlir::attn;
using capi::ErrorScope;

struct AttnCpuFunction {
  std::unique_ptr<CpuFunction> fn;
  /// Element type names of the arguments, then the results.
  std::vector<std::string> elementTypes;
};

namespace {

void registerPassesOnce() {
  static std::once_flag once;
  std::call_once(once, [] { attn::registerAllPasses(); });
}

/// The ranked tensor type of argument `i` (results after the arguments).
RankedTensorType tensorOf(const AttnCpuFunction *fn, intptr_t i) {
  FunctionType type = fn->fn->getSignature();
  intptr_t numArgs = type.getNumInputs();
  if (i < 0 || i >= numArgs + intptr_t(type.getNumResults()))
    return {};
  return cast<RankedTensorType>(i < numArgs ? type.getInput(i)
                                            : type.getResult(i - numArgs));
}

} // namespace

const char *attnGetVersion(void) { return getVersionString(); }

MlirContext attnContextCreate(void) {
  registerPassesOnce();
  DialectRegistry registry;
  attn::registerAllDialects(registry);
  auto *ctx = new MLIRContext(registry);
  ctx->loadAllAvailableDialects();
  return wrap(ctx);
}

MlirModule attnModuleParse(MlirContext ctx, MlirStringRef text) {
  ErrorScope scope(unwrap(ctx));
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(unwrap(text), unwrap(ctx));
  if (!module) {
    scope.fail("cannot parse the module");
    return {nullptr};
  }
  return wrap(module.release());
}

MlirLogicalResult attnRunPipeline(MlirModule module, MlirStringRef pipeline) {
  registerPassesOnce();
  ModuleOp m = unwrap(module);
  ErrorScope scope(m.getContext());
  StringRef text = unwrap(pipeline).trim();
  // A bare pipeline runs on the module.
  if (text.consume_front("builtin.module(") && !text.consume_back(")")) {
    scope.fail("unbalanced parentheses in the pipeline '" + unwrap(pipeline) +
               "'");
    return mlirLogicalResultFailure();
  }
  PassManager pm(m.getContext(), ModuleOp::getOperationName());
  std::string parseError;
  llvm::raw_string_ostream os(parseError);
  if (failed(parsePassPipeline(text, pm, os))) {
    scope.fail("invalid pipeline '" + unwrap(pipeline) +
               "': " + StringRef(parseError).trim());
    return mlirLogicalResultFailure();
  }
  if (failed(pm.run(m))) {
    scope.fail("the pipeline '" + unwrap(pipeline) + "' failed");
    return mlirLogicalResultFailure();
  }
  return mlirLogicalResultSuccess();
}

AttnCpuFunction *attnCpuFunctionCreate(MlirModule module, MlirStringRef entry,
                                       unsigned threads) {
  registerPassesOnce();
  ModuleOp m = unwrap(module);
  ErrorScope scope(m.getContext());
  auto error = [&](const llvm::Twine &message) { scope.fail(message); };
  auto note = [](const llvm::Twine &) {};
  CpuFunction::Options options;
  options.threads = threads;
  FailureOr<std::unique_ptr<CpuFunction>> fn =
      CpuFunction::create(m, unwrap(entry), options, error, note);
  if (failed(fn))
    return nullptr;
  auto *result = new AttnCpuFunction{std::move(*fn), {}};
  FunctionType type = result->fn->getSignature();
  SmallVector<Type> types(type.getInputs());
  llvm::append_range(types, type.getResults());
  for (Type t : types) {
    std::string name;
    llvm::raw_string_ostream os(name);
    os << cast<RankedTensorType>(t).getElementType();
    result->elementTypes.push_back(name);
  }
  return result;
}

intptr_t attnCpuFunctionGetNumArguments(const AttnCpuFunction *fn) {
  return fn->fn->getSignature().getNumInputs();
}

intptr_t attnCpuFunctionGetNumResults(const AttnCpuFunction *fn) {
  return fn->fn->getSignature().getNumResults();
}

intptr_t attnCpuFunctionGetShape(const AttnCpuFunction *fn, intptr_t i,
                                 int64_t *sizes) {
  RankedTensorType t = tensorOf(fn, i);
  if (!t)
    return -1;
  if (sizes)
    llvm::copy(t.getShape(), sizes);
  return t.getRank();
}

const char *attnCpuFunctionGetElementType(const AttnCpuFunction *fn,
                                          intptr_t i) {
  if (!tensorOf(fn, i))
    return "";
  return fn->elementTypes[i].c_str();
}

MlirLogicalResult attnCpuFunctionCall(AttnCpuFunction *fn, void *const *buffers,
                                      intptr_t numBuffers) {
  ErrorScope scope;
  auto error = [&](const llvm::Twine &message) { scope.fail(message); };
  if (numBuffers < 0 || (numBuffers > 0 && !buffers)) {
    scope.fail("no buffers");
    return mlirLogicalResultFailure();
  }
  if (failed(fn->fn->call(ArrayRef<void *>(buffers, numBuffers), error)))
    return mlirLogicalResultFailure();
  return mlirLogicalResultSuccess();
}

void attnCpuFunctionDestroy(AttnCpuFunction *fn) { delete fn; }

size_t attnCpuReleaseCachedBuffers(void) {
  return mlir::attn::releaseCpuBufferCache();
}

void attnCompileOptionsInit(AttnCompileOptions *options) {
  KernelCompileOptions defaults;
  *options = AttnCompileOptions();
  options->tma = defaults.tma;
  options->tileKV = defaults.tileKV;
  options->blockSize = defaults.blockSize;
  options->cubin = defaults.cubin;
}

intptr_t attnCompileKernels(MlirModule module,
                            const AttnCompileOptions *options,
                            MlirStringRef outDir) {
  registerPassesOnce();
  ModuleOp m = unwrap(module);
  ErrorScope scope(m.getContext());
  KernelCompileOptions o;
  if (options->chip)
    o.chip = options->chip;
  if (options->kernel)
    o.kernel = options->kernel;
  o.tma = options->tma;
  o.tileKV = options->tileKV;
  o.blockSize = options->blockSize;
  if (options->ptxas)
    o.ptxas = options->ptxas;
  if (options->toolkit)
    o.toolkit = options->toolkit;
  o.cubin = options->cubin;
  if (options->moduleName)
    o.moduleName = options->moduleName;
  // The cache key hashes the module as it was given.
  std::string source;
  llvm::raw_string_ostream os(source);
  m.print(os);
  auto log = [&](bool isError, const llvm::Twine &message) {
    if (isError)
      scope.fail(message);
  };
  FailureOr<KernelCompileResult> result =
      compileKernels(m, source, o, unwrap(outDir), log);
  if (failed(result))
    return -1;
  return result->kernels.size();
}
