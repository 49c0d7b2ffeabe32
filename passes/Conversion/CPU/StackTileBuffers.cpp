//===- StackTileBuffers.cpp - the attn-stack-tile-buffers pass ------------===//
//
// The tile buffers of a parallel iteration (a (batch, head) of flash
// attention) on the stack of the thread that runs it, instead of a heap
// allocation and a free per buffer and iteration (see the pass description
// in include/attn/Conversion/Passes.td).
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"

#include "mlir/Dialect/Bufferization/Transforms/BufferViewFlowAnalysis.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "llvm/Support/MathExtras.h"

namespace mlir::attn {
#define GEN_PASS_DEF_STACKTILEBUFFERSPASS
#include "attn/Conversion/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

/// Bytes of a statically shaped buffer, or nullopt (dynamic sizes, element
/// types without a bit width, or a size past 2^40 bytes).
std::optional<uint64_t> staticBytes(MemRefType type) {
  if (!type.hasStaticShape() || !type.getElementType().isIntOrFloat())
    return std::nullopt;
  uint64_t bits = type.getElementType().getIntOrFloatBitWidth();
  uint64_t bytes = llvm::divideCeil(bits, 8);
  constexpr uint64_t kLimit = uint64_t(1) << 40;
  for (int64_t size : type.getShape()) {
    if (size != 0 && bytes > kLimit / static_cast<uint64_t>(size))
      return std::nullopt;
    bytes *= static_cast<uint64_t>(size);
  }
  return bytes;
}

/// Whether every op between `alloc` and `iteration` (the op whose body is
/// one parallel iteration) runs its regions at most once per execution of
/// the enclosing block, in order: only sequential loops, conditionals and
/// allocation scopes, never a parallel loop, whose iterations would share
/// the hoisted buffer.
bool onlySequentialRegionsBetween(Operation *alloc, Operation *iteration) {
  for (Operation *parent = alloc->getParentOp(); parent != iteration;
       parent = parent->getParentOp()) {
    if (!parent || !isa<scf::ForOp, scf::IfOp, memref::AllocaScopeOp>(parent))
      return false;
  }
  return true;
}

/// Whether the buffer lives within one execution of the block that
/// allocates it: no alias of it leaves a region (yield, return), is passed
/// to a call or to a region op (scf loops and conditionals are region
/// branches) or is a region op's result, and only the buffer itself is
/// freed (by a memref.dealloc in that block, which goes with the
/// allocation).
bool staysInItsBlock(memref::AllocOp alloc,
                     const BufferViewFlowAnalysis &aliases) {
  for (Value alias : aliases.resolve(alloc.getResult())) {
    bool isBuffer = alias == alloc.getResult();
    if (Operation *def = alias.getDefiningOp();
        !isBuffer && (!def || def->getNumRegions() != 0))
      return false; // a loop or if result, or a block argument
    for (Operation *user : alias.getUsers()) {
      if (isa<memref::DeallocOp>(user)) {
        if (!isBuffer || user->getBlock() != alloc->getBlock())
          return false;
        continue;
      }
      if (user->hasTrait<OpTrait::IsTerminator>() ||
          isa<CallOpInterface, RegionBranchOpInterface>(user) ||
          (user->getNumRegions() != 0 &&
           !user->hasTrait<OpTrait::SingleBlock>()))
        return false;
    }
  }
  return true;
}

/// The statically shaped allocations of one parallel iteration (the body of
/// `iteration`) that may live on the stack for the whole iteration, in
/// program order while their total stays within `budget` (which they
/// decrease).
SmallVector<memref::AllocOp>
chooseBuffers(Operation *iteration, const BufferViewFlowAnalysis &aliases,
              uint64_t &budget) {
  SmallVector<memref::AllocOp> chosen;
  iteration->walk([&](memref::AllocOp alloc) {
    std::optional<uint64_t> bytes = staticBytes(alloc.getType());
    if (!bytes || !alloc.getSymbolOperands().empty() ||
        !onlySequentialRegionsBetween(alloc, iteration) ||
        !staysInItsBlock(alloc, aliases))
      return;
    uint64_t aligned = llvm::alignTo(*bytes, 64);
    if (aligned > budget)
      return;
    budget -= aligned;
    chosen.push_back(alloc);
  });
  return chosen;
}

/// `chosen` as memref.alloca at `b`'s insertion point; their
/// memref.dealloc go.
void replaceWithAllocas(OpBuilder &b, ArrayRef<memref::AllocOp> chosen) {
  SmallVector<Value> allocas;
  for (memref::AllocOp alloc : chosen)
    allocas.push_back(memref::AllocaOp::create(b, alloc.getLoc(),
                                               alloc.getType(), ValueRange(),
                                               alloc.getAlignmentAttr()));
  // (Only now are the allocations erased: the insertion point may be one.)
  for (auto [chosenAlloc, alloca] : llvm::zip_equal(chosen, allocas)) {
    memref::AllocOp alloc = chosenAlloc;
    for (Operation *user : llvm::make_early_inc_range(alloc->getUsers()))
      if (isa<memref::DeallocOp>(user))
        user->erase();
    alloc.replaceAllUsesWith(alloca);
    alloc.erase();
  }
}

struct StackTileBuffersPass
    : attn::impl::StackTileBuffersPassBase<StackTileBuffersPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    BufferViewFlowAnalysis aliases(func);
    SmallVector<Operation *> iterations;
    func.walk([&](Operation *op) {
      if (isa<scf::ForallOp, omp::ParallelOp>(op))
        iterations.push_back(op);
    });
    for (Operation *op : iterations) {
      if (auto forall = dyn_cast<scf::ForallOp>(op))
        promoteForall(forall, aliases);
      else
        promoteOpenMP(cast<omp::ParallelOp>(op), aliases);
    }
  }

  /// An scf.forall: the buffers at the start of its body, between a save
  /// and a restore of the stack pointer. The iteration's stack is released
  /// when it ends, whichever way the forall is lowered (a sequential loop
  /// or parallel tasks). (A memref.alloca_scope would say the same, but
  /// canonicalization folds it into the forall, an allocation scope that
  /// the sequential lowering of scf.forall does not keep, and
  /// convert-scf-to-cf makes an invalid alloca_scope of one with loops
  /// inside.)
  void promoteForall(scf::ForallOp forall,
                     const BufferViewFlowAnalysis &aliases) {
    Block *body = forall.getBody();
    // The terminator (scf.forall.in_parallel) must be empty, as it is after
    // bufferization: the iteration's stack ends before it.
    if (!body->getTerminator()->getRegion(0).front().empty())
      return;
    uint64_t budget = maxBytes;
    SmallVector<memref::AllocOp> chosen =
        chooseBuffers(forall, aliases, budget);
    if (chosen.empty())
      return;
    Location loc = forall.getLoc();
    OpBuilder b(body, body->begin());
    Value stack = LLVM::StackSaveOp::create(
        b, loc, LLVM::LLVMPointerType::get(forall.getContext()));
    // An allocation inside a sequential loop is made once per iteration of
    // the forall, not once per iteration of that loop (its uses stay within
    // one iteration).
    replaceWithAllocas(b, chosen);
    b.setInsertionPoint(body->getTerminator());
    LLVM::StackRestoreOp::create(b, loc, stack);
  }

  /// An OpenMP parallel region whose worksharing loops run the iterations:
  /// the buffers of the loops' bodies at the start of the region, once per
  /// thread (its iterations run one after the other), released with the
  /// region, an allocation scope.
  void promoteOpenMP(omp::ParallelOp parallel,
                     const BufferViewFlowAnalysis &aliases) {
    Region &region = parallel.getRegion();
    if (!region.hasOneBlock())
      return;
    uint64_t budget = maxBytes;
    SmallVector<memref::AllocOp> chosen;
    for (auto wsloop : region.front().getOps<omp::WsloopOp>()) {
      auto nest = dyn_cast<omp::LoopNestOp>(wsloop.getWrappedLoop());
      if (!nest || !nest.getRegion().hasOneBlock())
        continue;
      llvm::append_range(chosen, chooseBuffers(nest, aliases, budget));
    }
    if (chosen.empty())
      return;
    OpBuilder b(&region.front(), region.front().begin());
    replaceWithAllocas(b, chosen);
  }
};

} // namespace
