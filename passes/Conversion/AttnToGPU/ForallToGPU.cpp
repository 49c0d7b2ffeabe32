//===- ForallToGPU.cpp - the attn-forall-to-gpu pass ----------------------===//
//
// Outlines each bufferized top-level `scf.forall` of a function into a
// `gpu.func` kernel (one `gpu.module` per kernel) launched by a
// `gpu.launch_func`. The last loop dimension is spread over
// blockIdx.x * blockDim.x + threadIdx.x, the others over blockIdx.y/z. The
// kernel's parameters are the function arguments the loop uses, in argument
// order: that is the launch ABI the artifacts describe.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/AttnToGPU/AttnToGPU.h"
#include "attn/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::attn {
#define GEN_PASS_DEF_FORALLTOGPUPASS
#include "attn/Conversion/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// Largest grid sizes along y and z (x allows 2^31 - 1).
constexpr int64_t kMaxGridYZ = 65535;
constexpr int64_t kMaxGridX = 2147483647;

/// Static iteration space of one forall dimension.
struct Dim {
  int64_t lb, ub, step;
  int64_t tripCount() const {
    return ub <= lb ? 0 : (ub - lb + step - 1) / step;
  }
};

class KernelOutliner {
public:
  KernelOutliner(ModuleOp module, int64_t blockSize)
      : module(module), blockSize(blockSize), symbols(module) {}

  /// Outlines `forall` of `func` into a kernel named `name`.
  LogicalResult outline(func::FuncOp func, scf::ForallOp forall,
                        StringRef name);

private:
  ModuleOp module;
  int64_t blockSize;
  SymbolTable symbols;
};

LogicalResult KernelOutliner::outline(func::FuncOp func, scf::ForallOp forall,
                                      StringRef name) {
  MLIRContext *ctx = module.getContext();
  if (!forall.getOutputs().empty())
    return forall.emitOpError()
           << "expected a bufferized scf.forall (no shared_outs), got "
           << forall.getOutputs().size() << " shared_outs";
  int64_t rank = forall.getRank();
  if (rank < 1 || rank > 3)
    return forall.emitOpError()
           << "expected 1 to 3 loop dimensions to map to the GPU grid, got "
           << rank;
  std::optional<SmallVector<int64_t>> lbs =
      getConstantIntValues(forall.getMixedLowerBound());
  std::optional<SmallVector<int64_t>> ubs =
      getConstantIntValues(forall.getMixedUpperBound());
  std::optional<SmallVector<int64_t>> steps =
      getConstantIntValues(forall.getMixedStep());
  if (!lbs || !ubs || !steps)
    return forall.emitOpError()
           << "expected static loop bounds to size the GPU grid";
  SmallVector<Dim> dims;
  for (int64_t d = 0; d < rank; ++d) {
    if ((*steps)[d] <= 0)
      return forall.emitOpError() << "expected a positive step, got "
                                  << (*steps)[d] << " in dimension " << d;
    dims.push_back({(*lbs)[d], (*ubs)[d], (*steps)[d]});
  }
  // Grid: x <- last dimension (blocks of blockSize threads), y, z <- the
  // previous ones.
  int64_t lastTrips = dims.back().tripCount();
  SmallVector<int64_t, 3> grid = {(lastTrips + blockSize - 1) / blockSize, 1,
                                  1};
  for (int64_t d = rank - 2, g = 1; d >= 0; --d, ++g)
    grid[g] = dims[d].tripCount();
  if (grid[0] > kMaxGridX || grid[1] > kMaxGridYZ || grid[2] > kMaxGridYZ)
    return forall.emitOpError()
           << "expected a grid of at most " << kMaxGridX << " x " << kMaxGridYZ
           << " x " << kMaxGridYZ << " blocks, got " << grid[0] << " x "
           << grid[1] << " x " << grid[2];

  // What the loop uses from above: function arguments become parameters,
  // constants and globals are cloned into the kernel.
  llvm::SetVector<Value> captured;
  getUsedValuesDefinedAbove(forall.getRegion(), captured);
  SmallVector<BlockArgument> params;
  SmallVector<Operation *> clones;
  for (Value v : captured) {
    if (auto arg = dyn_cast<BlockArgument>(v);
        arg && arg.getOwner() == &func.getBody().front()) {
      auto type = dyn_cast<MemRefType>(arg.getType());
      if (!type || !type.hasStaticShape() || !type.getLayout().isIdentity())
        return forall.emitOpError()
               << "expected kernel parameters to be statically shaped "
                  "memrefs with the identity layout, got "
               << arg.getType() << " for argument #" << arg.getArgNumber();
      params.push_back(arg);
      continue;
    }
    Operation *def = v.getDefiningOp();
    if (def && def->getNumOperands() == 0 &&
        (matchPattern(v, m_Constant()) || isa<memref::GetGlobalOp>(def))) {
      clones.push_back(def);
      continue;
    }
    return forall.emitOpError()
           << "uses a value the GPU kernel cannot capture, defined by '"
           << (def ? def->getName().getStringRef() : StringRef("a block"))
           << "' (expected function arguments and constants)";
  }
  llvm::sort(params, [](BlockArgument a, BlockArgument b) {
    return a.getArgNumber() < b.getArgNumber();
  });

  // The gpu.module and its kernel.
  OpBuilder b(ctx);
  b.setInsertionPointToEnd(module.getBody());
  auto gpuModule = gpu::GPUModuleOp::create(b, forall.getLoc(), name);
  symbols.insert(gpuModule);
  SmallVector<Type> paramTypes;
  SmallVector<Attribute> paramInfos;
  for (BlockArgument arg : params) {
    paramTypes.push_back(arg.getType());
    auto nameAttr =
        func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), kParamNameAttr);
    if (!nameAttr)
      nameAttr = b.getStringAttr("arg" + std::to_string(arg.getArgNumber()));
    // Written when the loop stores into it (directly or through a view).
    bool written = false;
    SmallVector<Value> worklist = {arg};
    while (!worklist.empty() && !written) {
      Value v = worklist.pop_back_val();
      for (OpOperand &use : v.getUses()) {
        if (!forall->isProperAncestor(use.getOwner()))
          continue;
        if (auto view = dyn_cast<ViewLikeOpInterface>(use.getOwner())) {
          worklist.push_back(view->getResult(0));
          continue;
        }
        auto effects = dyn_cast<MemoryEffectOpInterface>(use.getOwner());
        written |= !effects ||
                   effects.getEffectOnValue<MemoryEffects::Write>(use.get())
                       .has_value();
      }
    }
    paramInfos.push_back(kernelParamInfo(ctx, nameAttr, written));
  }
  b.setInsertionPointToStart(gpuModule.getBody());
  auto kernel = gpu::GPUFuncOp::create(b, forall.getLoc(), name,
                                       b.getFunctionType(paramTypes, {}));
  setKernelLaunch(kernel, grid, blockSize, paramInfos);

  // Kernel body: loop indices from block/thread ids, a guard for the last
  // partial block, then the loop body.
  Block &entry = kernel.getBody().front();
  b.setInsertionPointToStart(&entry);
  Location loc = forall.getLoc();
  IRMapping map;
  for (auto [arg, param] : llvm::zip_equal(params, entry.getArguments()))
    map.map(arg, param);
  for (Operation *def : clones) {
    Operation *copy = b.clone(*def);
    map.map(def->getResults(), copy->getResults());
    if (auto getGlobal = dyn_cast<memref::GetGlobalOp>(def)) {
      auto global =
          symbols.lookup<memref::GlobalOp>(getGlobal.getNameAttr().getValue());
      if (!global)
        return getGlobal.emitOpError() << "references an unknown global";
      OpBuilder gb = OpBuilder::atBlockBegin(gpuModule.getBody());
      if (!SymbolTable::lookupSymbolIn(gpuModule, global.getSymNameAttr()))
        gb.clone(*global);
    }
  }
  auto cidx = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  auto iv = [&](Value id, const Dim &dim) -> Value {
    Value v = id;
    if (dim.step != 1)
      v = arith::MulIOp::create(b, loc, v, cidx(dim.step));
    if (dim.lb != 0)
      v = arith::AddIOp::create(b, loc, v, cidx(dim.lb));
    return v;
  };
  Value linear = arith::AddIOp::create(
      b, loc,
      arith::MulIOp::create(b, loc,
                            gpu::BlockIdOp::create(b, loc, gpu::Dimension::x),
                            cidx(blockSize)),
      gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x));
  SmallVector<Value> ivs(rank);
  ivs[rank - 1] = iv(linear, dims.back());
  gpu::Dimension yz[] = {gpu::Dimension::y, gpu::Dimension::z};
  for (int64_t d = rank - 2, g = 0; d >= 0; --d, ++g)
    ivs[d] = iv(gpu::BlockIdOp::create(b, loc, yz[g]), dims[d]);
  auto ret = gpu::ReturnOp::create(b, loc);
  b.setInsertionPoint(ret);
  if (lastTrips % blockSize != 0) {
    Value inRange = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                          linear, cidx(lastTrips));
    auto guard = scf::IfOp::create(b, loc, inRange, /*withElse=*/false);
    b.setInsertionPoint(guard.thenBlock()->getTerminator());
  }
  for (auto [oldIv, newIv] : llvm::zip_equal(forall.getInductionVars(), ivs))
    map.map(oldIv, newIv);
  for (Operation &op : forall.getBody()->without_terminator())
    b.clone(op, map);

  // Per-thread temporaries: static allocations become allocas at the entry
  // (hoisted out of loops); copies become linalg.copy (lowered to loops).
  SmallVector<memref::AllocOp> allocs;
  SmallVector<memref::DeallocOp> deallocs;
  SmallVector<memref::CopyOp> copies;
  kernel.walk([&](Operation *op) {
    if (auto alloc = dyn_cast<memref::AllocOp>(op))
      allocs.push_back(alloc);
    else if (auto dealloc = dyn_cast<memref::DeallocOp>(op))
      deallocs.push_back(dealloc);
    else if (auto copy = dyn_cast<memref::CopyOp>(op))
      copies.push_back(copy);
  });
  for (memref::DeallocOp dealloc : deallocs)
    dealloc.erase();
  for (memref::AllocOp alloc : allocs) {
    MemRefType type = alloc.getType();
    if (!type.hasStaticShape() || !alloc.getSymbolOperands().empty())
      return alloc.emitOpError()
             << "is not supported in a GPU kernel: expected a static "
                "allocation, got "
             << type;
    b.setInsertionPointToStart(&entry);
    auto alloca = memref::AllocaOp::create(b, alloc.getLoc(), type,
                                           alloc.getAlignmentAttr());
    alloc.replaceAllUsesWith(alloca.getResult());
    alloc.erase();
  }
  for (memref::CopyOp copy : copies) {
    b.setInsertionPoint(copy);
    linalg::CopyOp::create(b, copy.getLoc(), copy.getSource(),
                           copy.getTarget());
    copy.erase();
  }

  // The launch replaces the loop.
  b.setInsertionPoint(forall);
  auto cst = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  gpu::LaunchFuncOp::create(
      b, loc, kernel, gpu::KernelDim3{cst(grid[0]), cst(grid[1]), cst(grid[2])},
      gpu::KernelDim3{cst(blockSize), cst(1), cst(1)},
      /*dynamicSharedMemorySize=*/nullptr,
      SmallVector<Value>(params.begin(), params.end()));
  forall.erase();
  return success();
}

struct ForallToGPUPass : attn::impl::ForallToGPUPassBase<ForallToGPUPass> {
  using ForallToGPUPassBase::ForallToGPUPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (blockSize <= 0 || blockSize > 1024) {
      module.emitError() << "expected a block size in [1, 1024], got "
                         << static_cast<int64_t>(blockSize);
      return signalPassFailure();
    }
    KernelOutliner outliner(module, blockSize);
    bool outlined = false;
    for (auto func : llvm::to_vector(module.getOps<func::FuncOp>())) {
      if (func.isExternal())
        continue;
      SmallVector<scf::ForallOp> foralls;
      for (auto forall : func.getBody().getOps<scf::ForallOp>())
        foralls.push_back(forall);
      for (auto [i, forall] : llvm::enumerate(foralls)) {
        std::string name = func.getSymName().str();
        if (foralls.size() > 1)
          name += "_" + std::to_string(i);
        name += "_kernel";
        if (failed(outliner.outline(func, forall, name)))
          return signalPassFailure();
        outlined = true;
      }
      // Everything else must be free of effects: the launch ABI describes
      // the kernels only, nothing runs on the host. Buffers passed only
      // between launches (a workspace: split-KV partial results) are
      // kernel parameters the caller allocates, named in the manifest.
      auto isWorkspace = [](Value v) {
        return v.getDefiningOp<memref::AllocOp>() &&
               llvm::all_of(v.getUsers(), [](Operation *user) {
                 return isa<gpu::LaunchFuncOp, memref::DeallocOp>(user);
               });
      };
      for (Operation &op : func.getBody().getOps()) {
        if (isa<gpu::LaunchFuncOp, func::ReturnOp>(op) || isPure(&op))
          continue;
        if (auto alloc = dyn_cast<memref::AllocOp>(op);
            alloc && isWorkspace(alloc))
          continue;
        if (auto dealloc = dyn_cast<memref::DeallocOp>(op);
            dealloc && isWorkspace(dealloc.getMemref()))
          continue;
        op.emitOpError() << "would have to run on the host: expected only "
                            "GPU kernel launches in a function compiled for "
                            "the GPU";
        return signalPassFailure();
      }
    }
    if (outlined)
      module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                      UnitAttr::get(&getContext()));
  }
};

} // namespace

void mlir::attn::setKernelLaunch(gpu::GPUFuncOp kernel, ArrayRef<int64_t> grid,
                                 int64_t blockSize, ArrayRef<Attribute> params,
                                 int64_t gridXMax) {
  Builder b(kernel.getContext());
  kernel->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  kernel.setKnownBlockSizeAttr(
      b.getDenseI32ArrayAttr({static_cast<int32_t>(blockSize), 1, 1}));
  bool variableX = gridXMax > 0;
  // A grid x chosen at launch must not fold to the default.
  if (!variableX)
    kernel.setKnownGridSizeAttr(b.getDenseI32ArrayAttr(
        {static_cast<int32_t>(grid[0]), static_cast<int32_t>(grid[1]),
         static_cast<int32_t>(grid[2])}));
  NamedAttrList launch;
  launch.append("grid", b.getDenseI64ArrayAttr(grid));
  if (variableX)
    launch.append("grid_max",
                  b.getDenseI64ArrayAttr({gridXMax, grid[1], grid[2]}));
  launch.append("block", b.getDenseI64ArrayAttr({blockSize, 1, 1}));
  launch.append("shared_memory_bytes", b.getI64IntegerAttr(0));
  kernel->setAttr(kLaunchAttr, launch.getDictionary(kernel.getContext()));
  kernel->setAttr(kParamsAttr, b.getArrayAttr(params));
}

DictionaryAttr mlir::attn::kernelParamInfo(MLIRContext *ctx, StringRef name,
                                           bool written) {
  Builder b(ctx);
  return b.getDictionaryAttr(
      {b.getNamedAttr("name", b.getStringAttr(name)),
       b.getNamedAttr("access",
                      b.getStringAttr(written ? "readwrite" : "read"))});
}

DictionaryAttr mlir::attn::tensorMapParamInfo(
    MLIRContext *ctx, StringRef name, StringRef tensor, ArrayRef<int64_t> dims,
    ArrayRef<int64_t> strides, ArrayRef<int64_t> box, int64_t swizzle) {
  Builder b(ctx);
  return b.getDictionaryAttr(
      {b.getNamedAttr("name", b.getStringAttr(name)),
       b.getNamedAttr("access", b.getStringAttr("read")),
       b.getNamedAttr("kind", b.getStringAttr("tensor_map")),
       b.getNamedAttr("tensor", b.getStringAttr(tensor)),
       b.getNamedAttr("dims", b.getDenseI64ArrayAttr(dims)),
       b.getNamedAttr("strides", b.getDenseI64ArrayAttr(strides)),
       b.getNamedAttr("box", b.getDenseI64ArrayAttr(box)),
       b.getNamedAttr("swizzle", b.getI64IntegerAttr(swizzle))});
}

void mlir::attn::setKernelConfig(gpu::GPUFuncOp kernel, StringRef form,
                                 ArrayRef<std::pair<StringRef, int64_t>> sizes,
                                 ArrayRef<std::pair<StringRef, bool>> flags) {
  Builder b(kernel.getContext());
  NamedAttrList config;
  config.append("form", b.getStringAttr(form));
  for (auto [name, value] : sizes)
    config.append(name, b.getI64IntegerAttr(value));
  for (auto [name, value] : flags)
    config.append(name, b.getBoolAttr(value));
  NamedAttrList launch(kernel->getAttrOfType<DictionaryAttr>(kLaunchAttr));
  launch.set("config", config.getDictionary(kernel.getContext()));
  kernel->setAttr(kLaunchAttr, launch.getDictionary(kernel.getContext()));
}

void mlir::attn::setKernelSharedMemory(gpu::GPUFuncOp kernel, int64_t bytes) {
  Builder b(kernel.getContext());
  NamedAttrList launch(kernel->getAttrOfType<DictionaryAttr>(kLaunchAttr));
  launch.set("shared_memory_bytes", b.getI64IntegerAttr(bytes));
  kernel->setAttr(kLaunchAttr, launch.getDictionary(kernel.getContext()));
}
