//===- Completeness.cpp - lower everything, or say what was not -----------===//
//
// Two passes that make the CPU pipelines total: attn-decompose-linalg
// rewrites the linalg ops that are defined as compositions of others
// (linalg.softmax, which frontends emit) into those, so the rest of the
// pipeline lowers them; attn-check-lowered ends a pipeline with a located
// error at the first operation left outside the LLVM dialect, instead of a
// module the JIT cannot run.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::attn {
#define GEN_PASS_DEF_DECOMPOSELINALGPASS
#define GEN_PASS_DEF_CHECKLOWEREDPASS
#include "attn/Conversion/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

struct DecomposeLinalgPass
    : attn::impl::DecomposeLinalgPassBase<DecomposeLinalgPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<linalg::AggregatedOpInterface> ops;
    getOperation()->walk(
        [&](linalg::AggregatedOpInterface op) { ops.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (linalg::AggregatedOpInterface op : ops) {
      rewriter.setInsertionPoint(op);
      FailureOr<SmallVector<Value>> parts = op.decomposeOperation(rewriter);
      if (failed(parts)) {
        op->emitOpError() << "cannot be decomposed into simpler linalg ops";
        return signalPassFailure();
      }
      rewriter.replaceOp(op, *parts);
    }
  }
};

struct CheckLoweredPass : attn::impl::CheckLoweredPassBase<CheckLoweredPass> {
  using Base::Base;

  void runOnOperation() override {
    WalkResult result = getOperation()->walk([&](Operation *op) {
      if (isa<ModuleOp>(op) || isa<LLVM::LLVMDialect>(op->getDialect()))
        return WalkResult::advance();
      op->emitError() << "'" << op->getName()
                      << "' was not lowered to the LLVM dialect: the pipeline "
                         "has no lowering for it";
      return WalkResult::interrupt();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
