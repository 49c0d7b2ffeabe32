//===- MathToNVVM.cpp - the attn-math-to-nvvm pass ------------------------===//
//
// f32 exp2/log2 of the online softmax -> PTX ex2.approx.ftz.f32 /
// lg2.approx.f32. exp2 flushes subnormals: a probability below 2^-126 adds
// nothing to a row sum of at least 1, and without .ftz ptxas wraps every
// MUFU.EX2 in a compare and two multiplies to produce subnormals.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/AttnToGPU/AttnToGPU.h"
#include "attn/Conversion/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::attn {
#define GEN_PASS_DEF_MATHTONVVMPASS
#include "attn/Conversion/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// Rewrites a scalar f32 unary math op into a call of `intrinsic`.
template <typename MathOp> struct UnaryToIntrinsic : OpRewritePattern<MathOp> {
  UnaryToIntrinsic(MLIRContext *ctx, StringRef intrinsic)
      : OpRewritePattern<MathOp>(ctx), intrinsic(intrinsic) {}

  LogicalResult matchAndRewrite(MathOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.getType().isF32())
      return rewriter.notifyMatchFailure(op, "expected a scalar f32");
    rewriter.replaceOpWithNewOp<LLVM::CallIntrinsicOp>(
        op, op.getType(), rewriter.getStringAttr(intrinsic),
        ValueRange{op.getOperand()});
    return success();
  }

  std::string intrinsic;
};

struct MathToNVVMPass : attn::impl::MathToNVVMPassBase<MathToNVVMPass> {
  using MathToNVVMPassBase::MathToNVVMPassBase;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateExp2ToNVVMPatterns(patterns);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};

} // namespace

void mlir::attn::populateExp2ToNVVMPatterns(RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<UnaryToIntrinsic<math::Exp2Op>>(ctx,
                                               "llvm.nvvm.ex2.approx.ftz.f");
  patterns.add<UnaryToIntrinsic<math::Log2Op>>(ctx, "llvm.nvvm.lg2.approx.f");
}
