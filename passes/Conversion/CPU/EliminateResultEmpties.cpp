//===- EliminateResultEmpties.cpp - the attn-eliminate-result-empties pass ===//
//
// Upstream's empty-tensor elimination, run only where a value is stored into
// a given buffer (see the pass description in include/attn/Conversion/
// Passes.td).
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Transforms/Transforms.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ELIMINATERESULTEMPTIESPASS
#include "attn/Conversion/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

struct EliminateResultEmptiesPass
    : attn::impl::EliminateResultEmptiesPassBase<EliminateResultEmptiesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    bool stores = module
                      .walk([](bufferization::MaterializeInDestinationOp) {
                        return WalkResult::interrupt();
                      })
                      .wasInterrupted();
    if (!stores)
      return;
    IRRewriter rewriter(module.getContext());
    if (failed(bufferization::eliminateEmptyTensors(rewriter, module)))
      signalPassFailure();
  }
};

} // namespace
