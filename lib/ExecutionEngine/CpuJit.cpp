//===- CpuJit.cpp - JIT-compile and call an attn function on the CPU ------===//

#include "attn/ExecutionEngine/CpuJit.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Transforms/Inliner.h"
#include "mlir/Transforms/InliningUtils.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"

#include <cstdlib>
#include <map>
#include <mutex>
#include <thread>
#include <tuple>

using namespace mlir;
using namespace mlir::attn;

namespace {

std::string typeToString(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << type;
  return s;
}

/// Strips a `builtin.module(...)` anchor from a textual pipeline.
StringRef stripModuleAnchor(StringRef text) {
  StringRef trimmed = text.trim();
  if (trimmed.consume_front("builtin.module(") && trimmed.consume_back(")"))
    return trimmed;
  return text;
}

/// The buffers of JIT-compiled code (memref.alloc, through the generic
/// allocation functions of finalize-memref-to-llvm): blocks of at least
/// kRetainMin bytes are kept when freed, up to kRetainMax bytes in all, and
/// handed to a later allocation of a size they hold (at most 1/4 larger), so
/// that a function called in a loop does not map, fault in and unmap its
/// large temporaries on every call (the gathered keys and values of paged
/// attention: page faults were 60 % of a decode call).
class BufferCache {
public:
  void *allocate(size_t size, size_t alignment) {
    size_t header = std::max<size_t>(kHeader, alignment);
    size_t total = size + header;
    if (size >= kRetainMin) {
      std::lock_guard<std::mutex> lock(mutex);
      auto it = blocks.lower_bound(Key{total, header});
      if (it != blocks.end() && it->first.header == header &&
          it->first.total <= total + total / 4) {
        char *raw = it->second;
        retained -= it->first.total;
        blocks.erase(it);
        return raw + header;
      }
    }
    // Round large blocks to pages: repeated shapes reuse them exactly.
    if (size >= kRetainMin)
      total = llvm::alignTo(total, 4096);
    char *raw = static_cast<char *>(
        std::aligned_alloc(header, llvm::alignTo(total, header)));
    if (!raw)
      return nullptr;
    auto *info = reinterpret_cast<size_t *>(raw + header) - 2;
    info[0] = total;
    info[1] = header;
    return raw + header;
  }

  void release(void *ptr) {
    if (!ptr)
      return;
    auto *info = static_cast<size_t *>(ptr) - 2;
    size_t total = info[0], header = info[1];
    char *raw = static_cast<char *>(ptr) - header;
    if (total - header >= kRetainMin) {
      std::lock_guard<std::mutex> lock(mutex);
      if (retained + total <= kRetainMax) {
        blocks.emplace(Key{total, header}, raw);
        retained += total;
        return;
      }
    }
    std::free(raw);
  }

  /// Frees every retained block; returns their bytes.
  size_t trim() {
    std::multimap<Key, char *> freed;
    size_t bytes;
    {
      std::lock_guard<std::mutex> lock(mutex);
      freed.swap(blocks);
      bytes = retained;
      retained = 0;
    }
    for (auto &block : freed)
      std::free(block.second);
    return bytes;
  }

  static BufferCache &get() {
    static BufferCache *cache = new BufferCache();
    return *cache;
  }

private:
  static constexpr size_t kHeader = 64;
  static constexpr size_t kRetainMin = size_t(1) << 20;
  static constexpr size_t kRetainMax = size_t(512) << 20;
  struct Key {
    size_t total, header;
    bool operator<(const Key &o) const {
      return std::tie(header, total) < std::tie(o.header, o.total);
    }
  };
  std::mutex mutex;
  std::multimap<Key, char *> blocks;
  size_t retained = 0;
};

void *jitAlloc(size_t size) { return BufferCache::get().allocate(size, 16); }
void *jitAlignedAlloc(size_t alignment, size_t size) {
  return BufferCache::get().allocate(size, alignment);
}
void jitFree(void *ptr) { BufferCache::get().release(ptr); }

std::string runtimeLibrary(StringRef name) {
  llvm::SmallString<256> path(ATTN_MLIR_RUNTIME_LIB_DIR);
  llvm::sys::path::append(path, name);
  return std::string(path);
}

} // namespace

size_t mlir::attn::releaseCpuBufferCache() { return BufferCache::get().trim(); }

bool mlir::attn::isSupportedCpuElementType(Type type) {
  return type.isF16() || type.isBF16() || type.isF32() || type.isF64() ||
         type.isInteger(1) || type.isInteger(8) || type.isInteger(32) ||
         type.isInteger(64);
}

LogicalResult mlir::attn::checkCpuEntrySignature(FunctionType type,
                                                 StringRef name,
                                                 const CpuJitError &error) {
  auto check = [&](Type t, StringRef what, unsigned i) -> LogicalResult {
    auto tensor = dyn_cast<RankedTensorType>(t);
    if (!tensor) {
      error("@" + name + ": expected " + what + " #" + llvm::Twine(i) +
            " to be a ranked tensor, got " + typeToString(t));
      return failure();
    }
    if (!tensor.hasStaticShape()) {
      error("@" + name + ": expected " + what + " #" + llvm::Twine(i) +
            " to have a static shape, got " + typeToString(t));
      return failure();
    }
    if (!isSupportedCpuElementType(tensor.getElementType())) {
      error("@" + name + ": unsupported element type of " + what + " #" +
            llvm::Twine(i) + ": " + typeToString(t) +
            " (supported: f16, bf16, f32, f64, i1, i8, i32, i64)");
      return failure();
    }
    return success();
  };
  for (auto [i, t] : llvm::enumerate(type.getInputs()))
    if (failed(check(t, "argument", i)))
      return failure();
  for (auto [i, t] : llvm::enumerate(type.getResults()))
    if (failed(check(t, "result", i)))
      return failure();
  return success();
}

LogicalResult mlir::attn::addCpuEntryWrapper(ModuleOp module,
                                             func::FuncOp entry,
                                             const CpuJitError &error) {
  if (SymbolTable::lookupSymbolIn(module, kCpuWrapperName)) {
    error("the module already defines @" + kCpuWrapperName +
          ", a name attn-runner reserves");
    return failure();
  }
  MLIRContext *ctx = module.getContext();
  FunctionType type = entry.getFunctionType();
  SmallVector<Type> argTypes(type.getInputs());
  for (Type t : type.getResults()) {
    auto tensor = cast<RankedTensorType>(t);
    argTypes.push_back(
        MemRefType::get(tensor.getShape(), tensor.getElementType()));
  }
  OpBuilder b(ctx);
  b.setInsertionPointToEnd(module.getBody());
  Location loc = entry.getLoc();
  auto wrapper = func::FuncOp::create(b, loc, kCpuWrapperName,
                                      FunctionType::get(ctx, argTypes, {}));
  wrapper->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                   UnitAttr::get(ctx));
  Block *body = wrapper.addEntryBlock();
  b.setInsertionPointToStart(body);
  unsigned numInputs = type.getNumInputs();
  auto call = func::CallOp::create(b, loc, entry,
                                   body->getArguments().take_front(numInputs));
  for (auto [result, out] : llvm::zip_equal(
           call.getResults(), body->getArguments().drop_front(numInputs))) {
    auto op =
        bufferization::MaterializeInDestinationOp::create(b, loc, result, out);
    op.setRestrict(true);
    op.setWritable(true);
  }
  func::ReturnOp::create(b, loc);
  // The entry's body in the wrapper: the results' tensor.empty become the
  // caller's result buffers (attn-eliminate-result-empties in the CPU
  // pipeline), so the results are computed where the caller wants them
  // instead of in a fresh buffer copied there after the call (an alloc, a
  // copy and a free per call: 3-4 % of a [1, 8, 128, 64] attention call on
  // one thread, a serial part of the call on several). The call stays when
  // it cannot be inlined.
  InlinerInterface inliner(ctx);
  InlinerConfig config;
  if (succeeded(inlineCall(inliner, config.getCloneCallback(),
                           cast<CallOpInterface>(call.getOperation()),
                           cast<CallableOpInterface>(entry.getOperation()),
                           &entry.getBody())))
    call.erase();
  // Only the wrapper is called from outside: the entry's signature may
  // change (a result that is an argument's buffer updated in place, e.g. a
  // KV cache, is dropped by the CPU pipeline instead of copied).
  entry.setPrivate();
  // Only what the entry uses is compiled: the module's other functions are
  // not callable through the wrapper (lowerModuleForCpu drops them).
  for (auto func : module.getOps<func::FuncOp>())
    if (func != wrapper && !func.isDeclaration())
      func.setPrivate();
  module->setAttr(kCpuEntryAttr, StringAttr::get(ctx, entry.getSymName()));
  module->setAttr(kCpuSignatureAttr, TypeAttr::get(type));
  return success();
}

Operation *mlir::attn::findNonLLVMOp(ModuleOp module) {
  Operation *found = nullptr;
  module.getBody()->walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (op->getDialect() && (op->getDialect()->getNamespace() == "llvm" ||
                             op->getDialect()->getNamespace() == "omp"))
      return WalkResult::advance();
    found = op;
    return WalkResult::interrupt();
  });
  return found;
}

unsigned mlir::attn::resolveCpuThreads(unsigned requested,
                                       bool requestedExplicitly) {
  unsigned n = requested;
  if (!requestedExplicitly)
    if (const char *env = std::getenv("ATTN_NUM_THREADS")) {
      char *end = nullptr;
      unsigned long v = std::strtoul(env, &end, 10);
      if (*env && !*end && v < 4096)
        n = static_cast<unsigned>(v);
    }
  if (n > 0)
    return n;
  return std::max(1u, std::thread::hardware_concurrency());
}

LogicalResult mlir::attn::lowerModuleForCpu(
    ModuleOp module, StringRef pipeline, unsigned threads,
    const CpuJitError &error, const CpuJitError &note,
    const std::function<LogicalResult(PassManager &)> &configure,
    TimingScope *timing, const std::string &what) {
  PassManager pm(module.getContext(), ModuleOp::getOperationName());
  std::string pipelineError;
  llvm::raw_string_ostream pipelineErrorStream(pipelineError);
  // The default pipeline with the thread count (which also needs the async
  // runtime library loaded; see createCpuEngine).
  std::string pipelineText = stripModuleAnchor(pipeline).str();
  if (pipelineText == "attn-lower-to-cpu") {
    std::string ompLib = runtimeLibrary("libomp.so");
    if (threads > 1 && !llvm::sys::fs::exists(ompLib)) {
      note(ompLib + " not found (libomp-22-dev): running on one thread");
      threads = 1;
    }
    pipelineText += "{threads=" + std::to_string(threads) + " jit-allocator=1}";
  }
  // The wrapper's private callees only (see addCpuEntryWrapper).
  if (module->hasAttr(kCpuEntryAttr))
    pm.addPass(createSymbolDCEPass());
  if (failed(parsePassPipeline(pipelineText, pm, pipelineErrorStream))) {
    error("invalid --pipeline '" + pipeline +
          "': " + StringRef(pipelineError).trim());
    return failure();
  }
  if (configure && failed(configure(pm)))
    return failure();
  std::optional<TimingScope> lowerTiming;
  if (timing) {
    lowerTiming.emplace(timing->nest("Lower"));
    pm.enableTiming(*lowerTiming);
  }
  if (failed(pm.run(module))) {
    error("lowering " + what + " with '" + pipeline + "' failed");
    return failure();
  }
  if (Operation *op = findNonLLVMOp(module)) {
    std::string loc;
    llvm::raw_string_ostream os(loc);
    os << op->getLoc();
    error("the pipeline '" + pipeline +
          "' did not lower the module to the LLVM dialect: '" +
          op->getName().getStringRef() + "' remains at " + loc);
    return failure();
  }
  return success();
}

FailureOr<std::unique_ptr<ExecutionEngine>>
mlir::attn::createCpuEngine(ModuleOp module, const CpuJitError &error) {
  static std::once_flag nativeTarget;
  std::call_once(nativeTarget, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
  // Code lowered for AVX-512 (vector-isa=avx512: exp2's vscalefps) does
  // not run elsewhere; LLVM would abort selecting it.
  if (!llvm::sys::getHostCPUFeatures().lookup("avx512f")) {
    Operation *avx512 = nullptr;
    module.walk([&](LLVM::CallIntrinsicOp call) {
      if (call.getIntrin().starts_with("llvm.x86.avx512")) {
        avx512 = call;
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (avx512) {
      std::string loc;
      llvm::raw_string_ostream os(loc);
      os << avx512->getLoc();
      error("the module was lowered for AVX-512 (vector-isa=avx512), which "
            "this CPU does not have: an AVX-512 instruction at " +
            loc + "; lower it with vector-isa=host or avx2");
      return failure();
    }
  }
  DialectRegistry registry;
  registerAllToLLVMIRTranslations(registry);
  module.getContext()->appendDialectRegistry(registry);

  llvm::Expected<llvm::orc::JITTargetMachineBuilder> tmBuilder =
      llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!tmBuilder) {
    error("cannot detect the host target: " +
          llvm::toString(tmBuilder.takeError()));
    return failure();
  }
  llvm::Expected<std::unique_ptr<llvm::TargetMachine>> tm =
      tmBuilder->createTargetMachine();
  if (!tm) {
    error("cannot create the host target machine: " +
          llvm::toString(tm.takeError()));
    return failure();
  }
  // The engine keeps a function_ref to the transformer while it compiles,
  // which ends in ExecutionEngine::create.
  std::function<llvm::Error(llvm::Module *)> transformer =
      makeOptimizingTransformer(/*optLevel=*/3, /*sizeLevel=*/0, tm->get());
  SmallVector<std::string> libs;
  for (StringRef name : {"libmlir_c_runner_utils.so", "libmlir_runner_utils.so",
                         "libmlir_async_runtime.so", "libomp.so"}) {
    std::string path = runtimeLibrary(name);
    if (llvm::sys::fs::exists(path))
      libs.push_back(path);
  }
  SmallVector<StringRef> libRefs(libs.begin(), libs.end());
  ExecutionEngineOptions options;
  options.transformer = transformer;
  options.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  options.sharedLibPaths = libRefs;
  llvm::Expected<std::unique_ptr<ExecutionEngine>> engine =
      ExecutionEngine::create(module, options, std::move(*tm));
  if (!engine) {
    error("cannot JIT-compile the module: " +
          llvm::toString(engine.takeError()));
    return failure();
  }
  // The allocation functions of jit-allocator=1.
  (*engine)->registerSymbols([](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap symbols;
    auto add = [&](StringRef name, auto *fn) {
      symbols[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(fn),
                                 llvm::JITSymbolFlags::Exported};
    };
    add("_mlir_memref_to_llvm_alloc", &jitAlloc);
    add("_mlir_memref_to_llvm_aligned_alloc", &jitAlignedAlloc);
    add("_mlir_memref_to_llvm_free", &jitFree);
    return symbols;
  });
  (*engine)->initialize();
  std::string cface = ("_mlir_ciface_" + kCpuWrapperName).str();
  if (llvm::Expected<void (*)(void **)> fn = (*engine)->lookupPacked(cface);
      !fn) {
    error("cannot find the compiled entry: " + llvm::toString(fn.takeError()));
    return failure();
  }
  return std::move(*engine);
}

std::vector<int64_t>
mlir::attn::makeDenseMemRefDescriptor(void *data, ArrayRef<int64_t> shape) {
  int64_t rank = shape.size();
  std::vector<int64_t> descriptor(3 + 2 * rank, 0);
  auto ptr = reinterpret_cast<int64_t>(data);
  descriptor[0] = ptr;
  descriptor[1] = ptr;
  int64_t stride = 1;
  for (int64_t d = rank - 1; d >= 0; --d) {
    descriptor[3 + d] = shape[d];
    descriptor[3 + rank + d] = stride;
    stride *= shape[d];
  }
  return descriptor;
}

LogicalResult
mlir::attn::invokeCpuWrapper(ExecutionEngine &engine,
                             MutableArrayRef<std::vector<int64_t>> descriptors,
                             StringRef entryName, const CpuJitError &error) {
  // The C interface takes a pointer to each memref descriptor.
  SmallVector<void *> args;
  SmallVector<void *> descriptorPtrs;
  descriptorPtrs.reserve(descriptors.size());
  for (std::vector<int64_t> &d : descriptors)
    descriptorPtrs.push_back(d.data());
  for (void *&p : descriptorPtrs)
    args.push_back(&p);
  std::string cface = ("_mlir_ciface_" + kCpuWrapperName).str();
  if (llvm::Error err = engine.invokePacked(cface, args)) {
    error("calling @" + entryName +
          " failed: " + llvm::toString(std::move(err)));
    return failure();
  }
  return success();
}

FailureOr<std::unique_ptr<CpuFunction>>
CpuFunction::create(ModuleOp module, StringRef entryName,
                    const Options &options, const CpuJitError &error,
                    const CpuJitError &note) {
  auto entry = dyn_cast_or_null<func::FuncOp>(
      SymbolTable::lookupSymbolIn(module, entryName));
  if (!entry) {
    error("unknown entry @" + entryName + ": no func.func of that name");
    return failure();
  }
  if (entry.isExternal()) {
    error("entry @" + entryName + " is a declaration without a body");
    return failure();
  }
  std::unique_ptr<CpuFunction> fn(new CpuFunction());
  fn->name = entryName.str();
  fn->signature = entry.getFunctionType();
  if (failed(checkCpuEntrySignature(fn->signature, entryName, error)) ||
      failed(addCpuEntryWrapper(module, entry, error)))
    return failure();
  unsigned threads = resolveCpuThreads(options.threads, options.threads > 0);
  if (failed(lowerModuleForCpu(module, options.pipeline, threads, error, note)))
    return failure();
  FailureOr<std::unique_ptr<ExecutionEngine>> engine =
      createCpuEngine(module, error);
  if (failed(engine))
    return failure();
  fn->engine = std::move(*engine);
  return fn;
}

LogicalResult CpuFunction::call(ArrayRef<void *> buffers,
                                const CpuJitError &error) {
  size_t expected = signature.getNumInputs() + signature.getNumResults();
  if (buffers.size() != expected) {
    error("@" + name + " takes " + llvm::Twine(expected) +
          " buffers (arguments, then results), got " +
          llvm::Twine(buffers.size()));
    return failure();
  }
  std::vector<std::vector<int64_t>> descriptors;
  for (auto [i, buffer] : llvm::enumerate(buffers)) {
    Type t = i < signature.getNumInputs()
                 ? signature.getInput(i)
                 : signature.getResult(i - signature.getNumInputs());
    auto tensor = cast<RankedTensorType>(t);
    if (!buffer && tensor.getNumElements() > 0) {
      error("@" + name + ": buffer #" + llvm::Twine(i) + " is null");
      return failure();
    }
    descriptors.push_back(makeDenseMemRefDescriptor(buffer, tensor.getShape()));
  }
  return invokeCpuWrapper(*engine, descriptors, name, error);
}
