//===- LowerAllocaScopes.cpp - the attn-lower-alloca-scopes pass ----------===//
//
// memref.alloca_scope ops inlined before control flow is lowered: a save and
// a restore of the stack pointer around the body where it allocates (see the
// pass description in include/attn/Conversion/Passes.td).
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::attn {
#define GEN_PASS_DEF_LOWERALLOCASCOPESPASS
#include "attn/Conversion/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

/// Whether `scope` allocates on the stack itself: a memref.alloca in its
/// body outside any nested allocation scope (which releases its own).
bool allocatesOnStack(memref::AllocaScopeOp scope) {
  return scope
      ->walk<WalkOrder::PreOrder>([&](Operation *op) {
        if (op == scope.getOperation())
          return WalkResult::advance();
        if (isa<memref::AllocaOp>(op))
          return WalkResult::interrupt();
        if (op->hasTrait<OpTrait::AutomaticAllocationScope>())
          return WalkResult::skip();
        return WalkResult::advance();
      })
      .wasInterrupted();
}

struct LowerAllocaScopesPass
    : attn::impl::LowerAllocaScopesPassBase<LowerAllocaScopesPass> {
  void runOnOperation() override {
    // Which scopes allocate is decided before any is inlined (an inner
    // one's allocations, once inlined, are still released by its own
    // restore). Inner scopes are lowered first.
    SmallVector<std::pair<memref::AllocaScopeOp, bool>> scopes;
    getOperation().walk([&](memref::AllocaScopeOp scope) {
      if (scope.getNumResults() == 0 && scope.getBodyRegion().hasOneBlock())
        scopes.emplace_back(scope, allocatesOnStack(scope));
    });
    IRRewriter rewriter(&getContext());
    for (auto [scope, allocates] : scopes) {
      Location loc = scope.getLoc();
      rewriter.setInsertionPoint(scope);
      Value stack;
      if (allocates)
        stack = LLVM::StackSaveOp::create(
            rewriter, loc, LLVM::LLVMPointerType::get(&getContext()));
      Block *body = &scope.getBodyRegion().front();
      rewriter.eraseOp(body->getTerminator());
      rewriter.inlineBlockBefore(body, scope);
      if (stack)
        LLVM::StackRestoreOp::create(rewriter, loc, stack);
      rewriter.eraseOp(scope);
    }
  }
};

} // namespace
