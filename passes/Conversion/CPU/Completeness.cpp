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
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::attn {
#define GEN_PASS_DEF_DECOMPOSELINALGPASS
#define GEN_PASS_DEF_CHECKLOWEREDPASS
#define GEN_PASS_DEF_EXPANDSHAPETOREINTERPRETPASS
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
      // OpenMP ops (the threads' parallel loop) are translated to LLVM IR
      // with the LLVM dialect.
      if (isa<ModuleOp>(op) ||
          isa<LLVM::LLVMDialect, omp::OpenMPDialect>(op->getDialect()))
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

/// A memref.expand_shape of a contiguous (identity-layout) buffer whose
/// reassociation group has two dynamic sizes becomes the
/// memref.reinterpret_cast it is: offset 0, the output sizes, row-major
/// strides (products of the sizes to the right). MLIR 22's
/// expand-strided-metadata crashes on the expand_shape form.
struct ExpandShapeToReinterpretPass
    : attn::impl::ExpandShapeToReinterpretPassBase<
          ExpandShapeToReinterpretPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<memref::ExpandShapeOp> ops;
    getOperation()->walk([&](memref::ExpandShapeOp op) {
      MemRefType src = op.getSrcType(), dst = op.getResultType();
      if (!src.getLayout().isIdentity() || !dst.getLayout().isIdentity())
        return;
      for (const ReassociationIndices &group : op.getReassociationIndices()) {
        int64_t dynamic = llvm::count_if(
            group, [&](int64_t d) { return dst.isDynamicDim(d); });
        if (dynamic > 1) {
          ops.push_back(op);
          return;
        }
      }
    });
    IRRewriter rewriter(&getContext());
    for (memref::ExpandShapeOp op : ops) {
      rewriter.setInsertionPoint(op);
      Location loc = op.getLoc();
      SmallVector<OpFoldResult> sizes = op.getMixedOutputShape();
      SmallVector<OpFoldResult> strides(sizes.size());
      OpFoldResult stride = rewriter.getIndexAttr(1);
      for (int64_t d = static_cast<int64_t>(sizes.size()) - 1; d >= 0; --d) {
        strides[d] = stride;
        std::optional<int64_t> s = getConstantIntValue(stride);
        std::optional<int64_t> n = getConstantIntValue(sizes[d]);
        if (s && n) {
          stride = rewriter.getIndexAttr(*s * *n);
          continue;
        }
        stride = arith::MulIOp::create(
                     rewriter, loc,
                     getValueOrCreateConstantIndexOp(rewriter, loc, stride),
                     getValueOrCreateConstantIndexOp(rewriter, loc, sizes[d]))
                     .getResult();
      }
      rewriter.replaceOpWithNewOp<memref::ReinterpretCastOp>(
          op, op.getResultType(), op.getSrc(), rewriter.getIndexAttr(0), sizes,
          strides);
    }
  }
};

} // namespace
