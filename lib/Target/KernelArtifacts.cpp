//===- KernelArtifacts.cpp - GPU kernel header and manifest ---------------===//

#include "attn/Target/KernelArtifacts.h"
#include "attn/Conversion/AttnToGPU/AttnToGPU.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMTypes.h"
#include "mlir/IR/BuiltinTypes.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::attn;

std::string mlir::attn::sha256Hex(StringRef data) {
  std::array<uint8_t, 32> hash = llvm::SHA256::hash(ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(data.data()), data.size()));
  return llvm::toHex(hash, /*LowerCase=*/true);
}

std::string mlir::attn::toCIdentifier(StringRef name) {
  std::string id;
  for (char c : name)
    id += llvm::isAlnum(c) || c == '_' ? c : '_';
  if (id.empty() || llvm::isDigit(id[0]))
    id = "_" + id;
  return id;
}

/// The dtype name and byte size of a memref element type.
static std::optional<std::pair<std::string, int64_t>> getDType(Type t) {
  if (t.isF16())
    return std::make_pair(std::string("f16"), int64_t(2));
  if (t.isBF16())
    return std::make_pair(std::string("bf16"), int64_t(2));
  if (t.isF32())
    return std::make_pair(std::string("f32"), int64_t(4));
  if (t.isF64())
    return std::make_pair(std::string("f64"), int64_t(8));
  if (isa<Float8E4M3FNType>(t))
    return std::make_pair(std::string("e4m3"), int64_t(1));
  if (isa<Float8E5M2Type>(t))
    return std::make_pair(std::string("e5m2"), int64_t(1));
  if (auto i = dyn_cast<IntegerType>(t)) {
    unsigned w = i.getWidth();
    if (w == 1 || w == 8 || w == 16 || w == 32 || w == 64)
      return std::make_pair("i" + std::to_string(w),
                            int64_t(std::max(1u, w / 8)));
  }
  return std::nullopt;
}

std::optional<int64_t> KernelConfig::get(StringRef name) const {
  for (const Entry &e : entries)
    if (e.name == name)
      return e.value;
  return std::nullopt;
}

FailureOr<std::vector<KernelInfo>> mlir::attn::collectKernels(ModuleOp module) {
  std::vector<KernelInfo> kernels;
  WalkResult result = module.walk([&](gpu::GPUFuncOp func) {
    if (!func.isKernel())
      return WalkResult::advance();
    auto launch = func->getAttrOfType<DictionaryAttr>(kLaunchAttr);
    auto params = func->getAttrOfType<ArrayAttr>(kParamsAttr);
    if (!launch || !params ||
        params.size() != func.getFunctionType().getNumInputs()) {
      func.emitOpError() << "expected '" << kLaunchAttr << "' and '"
                         << kParamsAttr
                         << "' attributes describing every parameter (a "
                            "kernel outlined by attn-forall-to-gpu)";
      return WalkResult::interrupt();
    }
    KernelInfo info;
    info.name = func.getName().str();
    auto grid = dyn_cast_or_null<DenseI64ArrayAttr>(launch.get("grid"));
    auto block = dyn_cast_or_null<DenseI64ArrayAttr>(launch.get("block"));
    auto smem =
        dyn_cast_or_null<IntegerAttr>(launch.get("shared_memory_bytes"));
    if (!grid || !block || !smem || grid.size() != 3 || block.size() != 3) {
      func.emitOpError() << "expected '" << kLaunchAttr
                         << "' = {grid, block: 3 sizes, shared_memory_bytes}";
      return WalkResult::interrupt();
    }
    llvm::copy(grid.asArrayRef(), info.grid.begin());
    if (auto gridMax =
            dyn_cast_or_null<DenseI64ArrayAttr>(launch.get("grid_max"))) {
      if (gridMax.size() != 3 || gridMax[0] < 1 || gridMax[1] != grid[1] ||
          gridMax[2] != grid[2]) {
        func.emitOpError() << "expected '" << kLaunchAttr
                           << "' grid_max to differ from grid in x only";
        return WalkResult::interrupt();
      }
      info.gridMax.emplace();
      llvm::copy(gridMax.asArrayRef(), info.gridMax->begin());
    }
    llvm::copy(block.asArrayRef(), info.block.begin());
    info.sharedMemoryBytes = smem.getInt();
    if (Attribute attr = launch.get("config")) {
      auto config = dyn_cast<DictionaryAttr>(attr);
      auto form = config ? config.getAs<StringAttr>("form") : StringAttr();
      if (!form) {
        func.emitOpError() << "expected '" << kLaunchAttr
                           << "' config to be a dictionary with a form";
        return WalkResult::interrupt();
      }
      KernelConfig kc;
      kc.form = form.str();
      for (NamedAttribute entry : config) {
        if (entry.getName() == "form")
          continue;
        if (auto flag = dyn_cast<BoolAttr>(entry.getValue())) {
          kc.entries.push_back({entry.getName().str(), flag.getValue(), true});
          continue;
        }
        auto value = dyn_cast<IntegerAttr>(entry.getValue());
        if (!value) {
          func.emitOpError() << "expected '" << kLaunchAttr
                             << "' config entry '" << entry.getName().getValue()
                             << "' to be an integer or a boolean";
          return WalkResult::interrupt();
        }
        kc.entries.push_back({entry.getName().str(), value.getInt(), false});
      }
      info.config = std::move(kc);
    }
    for (auto [type, attr] :
         llvm::zip_equal(func.getFunctionType().getInputs(), params)) {
      auto dict = dyn_cast<DictionaryAttr>(attr);
      if (dict && dict.getAs<StringAttr>("kind") &&
          dict.getAs<StringAttr>("kind").getValue() == "tensor_map") {
        auto name = dict.getAs<StringAttr>("name");
        auto tensor = dict.getAs<StringAttr>("tensor");
        auto dims = dict.getAs<DenseI64ArrayAttr>("dims");
        auto strides = dict.getAs<DenseI64ArrayAttr>("strides");
        auto box = dict.getAs<DenseI64ArrayAttr>("box");
        auto swizzle = dict.getAs<IntegerAttr>("swizzle");
        const KernelParam *mapped = nullptr;
        for (const KernelParam &p : info.params)
          if (tensor && !p.tensorMap && p.name == tensor.getValue())
            mapped = &p;
        if (!isa<LLVM::LLVMPointerType>(type) || !name || !mapped || !dims ||
            !strides || !box || !swizzle || box.size() != dims.size() ||
            strides.size() + 1 != dims.size()) {
          func.emitOpError()
              << "expected a tensor-map parameter to be an !llvm.ptr with "
                 "name, tensor (an earlier pointer parameter), dims, "
                 "strides, box and swizzle";
          return WalkResult::interrupt();
        }
        KernelParam param;
        param.name = name.str();
        param.access = "read";
        param.dtype = mapped->dtype;
        param.bytes = 128;
        param.tensorMap = true;
        param.tensor = tensor.str();
        param.mapDims.assign(dims.asArrayRef().begin(),
                             dims.asArrayRef().end());
        param.mapStrides.assign(strides.asArrayRef().begin(),
                                strides.asArrayRef().end());
        param.mapBox.assign(box.asArrayRef().begin(), box.asArrayRef().end());
        param.swizzle = swizzle.getInt();
        info.params.push_back(std::move(param));
        continue;
      }
      auto memref = dyn_cast<MemRefType>(type);
      std::optional<std::pair<std::string, int64_t>> dtype =
          memref ? getDType(memref.getElementType()) : std::nullopt;
      auto name = dict ? dict.getAs<StringAttr>("name") : nullptr;
      auto access = dict ? dict.getAs<StringAttr>("access") : nullptr;
      if (!memref || !memref.hasStaticShape() ||
          !memref.getLayout().isIdentity() || !dtype || !name || !access) {
        func.emitOpError()
            << "expected statically shaped identity-layout memref "
               "parameters with a name and an access, got "
            << type;
        return WalkResult::interrupt();
      }
      KernelParam param;
      param.name = name.str();
      param.access = access.str();
      param.dtype = dtype->first;
      param.shape.assign(memref.getShape().begin(), memref.getShape().end());
      param.bytes = memref.getNumElements() * dtype->second;
      info.params.push_back(std::move(param));
    }
    kernels.push_back(std::move(info));
    return WalkResult::advance();
  });
  if (result.wasInterrupted())
    return failure();
  return kernels;
}

FailureOr<std::string> mlir::attn::getKernelPTX(ModuleOp module,
                                                StringRef name) {
  auto binary = module.lookupSymbol<gpu::BinaryOp>(name);
  if (!binary)
    return module.emitError() << "expected a gpu.binary named '" << name << "'";
  for (Attribute attr : binary.getObjectsAttr()) {
    auto object = dyn_cast<gpu::ObjectAttr>(attr);
    if (object && object.getFormat() == gpu::CompilationTarget::Assembly)
      return object.getObject().str();
  }
  return binary.emitOpError() << "expected a PTX (format=isa) object";
}

PtxasReport mlir::attn::parsePtxasReport(StringRef log, StringRef entry) {
  PtxasReport report;
  llvm::Regex stack("([0-9]+) bytes stack frame, ([0-9]+) bytes spill "
                    "stores, ([0-9]+) bytes spill loads");
  llvm::Regex regs("Used ([0-9]+) registers");
  llvm::Regex smem("([0-9]+) bytes smem");
  llvm::Regex serialized("\\(C75[0-9][0-9]\\)");
  bool inEntry = false;
  SmallVector<StringRef> lines;
  log.split(lines, '\n');
  for (StringRef line : lines) {
    line = line.trim();
    if (line.contains("warning"))
      report.warnings.push_back(line.str());
    if (serialized.match(line))
      report.wgmmaSerialization.push_back(line.str());
    if (line.contains("Compiling entry function") ||
        line.contains("Function properties for")) {
      inEntry = line.contains(("'" + entry + "'").str()) ||
                line.ends_with((" " + entry).str());
      continue;
    }
    if (!inEntry)
      continue;
    SmallVector<StringRef> m;
    if (stack.match(line, &m)) {
      m[1].getAsInteger(10, report.stackFrameBytes);
      m[2].getAsInteger(10, report.spillStoreBytes);
      m[3].getAsInteger(10, report.spillLoadBytes);
    }
    if (regs.match(line, &m))
      m[1].getAsInteger(10, report.registers);
    if (smem.match(line, &m))
      m[1].getAsInteger(10, report.sharedMemoryBytes);
  }
  return report;
}

std::string mlir::attn::emitKernelHeader(const ManifestInfo &info,
                                         ArrayRef<KernelInfo> kernels) {
  std::string text;
  llvm::raw_string_ostream os(text);
  std::string guard = "ATTN_KERNELS_" +
                      llvm::StringRef(toCIdentifier(info.moduleName)).upper() +
                      "_H";
  os << "/* Launch ABI of the attn kernels of " << info.sourceFile
     << ", compiled for " << info.chip << ".\n"
     << " * Generated by attn-compile " << info.compilerVersion
     << ": do not edit. Cache key\n"
     << " * " << info.cacheKey << ".\n"
     << " *\n"
     << " * Each kernel takes one bare device pointer per parameter, in the\n"
     << " * order of its params struct: dense row-major buffers of the listed\n"
     << " * element type and shape (a tensor map parameter takes the 128 "
        "bytes\n"
     << " * of a CUtensorMap by value). Launch it with cuLaunchKernel using "
        "the\n"
     << " * grid, block and dynamic shared memory below. */\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n";
  for (const KernelInfo &k : kernels) {
    std::string id = toCIdentifier(k.name);
    std::string macro = "ATTN_" + llvm::StringRef(id).upper();
    os << "\n/* Kernel " << k.name << ": " << k.ptxFile;
    if (!k.cubinFile.empty())
      os << ", " << k.cubinFile;
    os << ". */\n";
    os << "#define " << macro << "_ENTRY \"" << k.name << "\"\n";
    os << "#define " << macro << "_NUM_PARAMS " << k.params.size() << "\n";
    const char *axes[] = {"X", "Y", "Z"};
    for (int i = 0; i < 3; ++i)
      os << "#define " << macro << "_GRID_" << axes[i] << " " << k.grid[i]
         << "u\n";
    if (k.gridMax)
      os << "/* Split-KV: grid x is the split count, any value from 1 to "
            "the maximum\n * (the default above balances the longest key "
            "range). */\n#define "
         << macro << "_MAX_SPLITS " << (*k.gridMax)[0] << "u\n";
    for (int i = 0; i < 3; ++i)
      os << "#define " << macro << "_BLOCK_" << axes[i] << " " << k.block[i]
         << "u\n";
    os << "#define " << macro << "_SHARED_MEMORY_BYTES " << k.sharedMemoryBytes
       << "u\n\n";
    os << "typedef struct " << id << "_params {\n";
    for (const KernelParam &p : k.params) {
      if (p.tensorMap) {
        os << "  /* TMA tensor map over " << toCIdentifier(p.tensor)
           << " (a 128-byte CUtensorMap, by value):\n"
           << "     cuTensorMapEncodeTiled(" << p.dtype << ", rank "
           << p.mapDims.size() << ", dims {";
        llvm::interleaveComma(p.mapDims, os);
        os << "},\n     strides {";
        llvm::interleaveComma(p.mapStrides, os);
        os << "} bytes, box {";
        llvm::interleaveComma(p.mapBox, os);
        os << "}, element strides 1,\n     interleave none, swizzle "
           << (p.swizzle ? std::to_string(p.swizzle) + "B" : "none")
           << ", L2 promotion 128B, OOB fill none);\n"
           << "     NULL with attn_kernel_launch, which encodes it. */\n"
           << "  const void *" << toCIdentifier(p.name) << ";\n";
        continue;
      }
      os << "  " << (p.access == "read" ? "const void *" : "void *")
         << toCIdentifier(p.name) << "; /* " << p.dtype << " [";
      llvm::interleaveComma(p.shape, os);
      os << "], " << p.bytes << " bytes, " << p.access << " */\n";
    }
    os << "} " << id << "_params;\n\n";
    os << "/* Fills the kernelParams array of cuLaunchKernel: args[i] points "
          "at\n * parameter i of *p (a tensor map: at its 128 bytes). */\n";
    os << "static inline void " << id << "_args(const " << id
       << "_params *p, void *args[" << k.params.size() << "]) {\n";
    for (auto [i, p] : llvm::enumerate(k.params))
      os << "  args[" << i << "] = (void *)" << (p.tensorMap ? "p->" : "&p->")
         << toCIdentifier(p.name) << ";\n";
    os << "}\n";
  }
  os << "\n#ifdef __cplusplus\n}\n#endif\n\n#endif /* " << guard << " */\n";
  return text;
}

std::string mlir::attn::emitKernelManifest(const ManifestInfo &info,
                                           ArrayRef<KernelInfo> kernels) {
  llvm::json::Array kernelArray;
  for (const KernelInfo &k : kernels) {
    llvm::json::Array params;
    for (const KernelParam &p : k.params) {
      llvm::json::Object param{
          {"name", p.name},   {"type", p.tensorMap ? "tensor_map" : "pointer"},
          {"dtype", p.dtype}, {"shape", llvm::json::Array(p.shape)},
          {"bytes", p.bytes}, {"access", p.access}};
      if (p.tensorMap) {
        param["tensor"] = p.tensor;
        param["dims"] = llvm::json::Array(p.mapDims);
        param["strides"] = llvm::json::Array(p.mapStrides);
        param["box"] = llvm::json::Array(p.mapBox);
        param["swizzle"] =
            p.swizzle ? std::to_string(p.swizzle) + "B" : std::string("none");
      }
      params.push_back(std::move(param));
    }
    llvm::json::Object kernel{{"name", k.name},
                              {"entry", k.name},
                              {"ptx", k.ptxFile},
                              {"cubin", k.cubinFile.empty()
                                            ? llvm::json::Value(nullptr)
                                            : llvm::json::Value(k.cubinFile)},
                              {"grid", llvm::json::Array(k.grid)},
                              {"block", llvm::json::Array(k.block)},
                              {"shared_memory_bytes", k.sharedMemoryBytes},
                              {"calling_convention", "bare_pointers"},
                              {"params", std::move(params)}};
    if (k.gridMax)
      kernel["grid_max"] = llvm::json::Array(*k.gridMax);
    if (k.config) {
      llvm::json::Object config{{"form", k.config->form}};
      for (const KernelConfig::Entry &e : k.config->entries)
        config[e.name] = e.flag ? llvm::json::Value(e.value != 0)
                                : llvm::json::Value(e.value);
      kernel["config"] = std::move(config);
    }
    if (k.ptxas) {
      kernel["ptxas"] = llvm::json::Object{
          {"registers", k.ptxas->registers},
          {"stack_frame_bytes", k.ptxas->stackFrameBytes},
          {"spill_store_bytes", k.ptxas->spillStoreBytes},
          {"spill_load_bytes", k.ptxas->spillLoadBytes},
          {"shared_memory_bytes", k.ptxas->sharedMemoryBytes},
          {"warnings", llvm::json::Array(k.ptxas->warnings)}};
    } else {
      kernel["ptxas"] = nullptr;
    }
    kernelArray.push_back(std::move(kernel));
  }
  llvm::json::Object manifest{
      {"format_version", 1},
      {"module", info.moduleName},
      {"source", info.sourceFile},
      {"source_sha256", info.sourceHash},
      {"cache_key", info.cacheKey},
      {"compiler_version", info.compilerVersion},
      {"compiler_revision", info.compilerRevision},
      {"llvm_version", info.llvmVersion},
      {"ptxas_version", info.ptxasVersion
                            ? llvm::json::Value(*info.ptxasVersion)
                            : llvm::json::Value(nullptr)},
      {"chip", info.chip},
      {"features", info.features},
      {"options", llvm::json::Object{{"tile_kv", info.tileKV},
                                     {"block_size", info.blockSize},
                                     {"kernel", info.kernel},
                                     {"tma", info.tma},
                                     {"warp_rows", info.warpRows}}},
      {"kernels", std::move(kernelArray)}};
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(manifest))) << "\n";
  return text;
}

std::string mlir::attn::computeCacheKey(StringRef source,
                                        const ManifestInfo &info) {
  std::string key;
  llvm::raw_string_ostream os(key);
  os << source << "\n// chip=" << info.chip << " features=" << info.features
     << " tile-kv=" << info.tileKV << " block-size=" << info.blockSize
     << " kernel=" << info.kernel << " tma=" << (info.tma ? "true" : "false")
     << " warp-rows=" << info.warpRows << "\n// attn " << info.compilerVersion
     << " (" << info.compilerRevision << ") llvm " << info.llvmVersion
     << " ptxas " << info.ptxasVersion.value_or("none");
  return sha256Hex(key);
}
