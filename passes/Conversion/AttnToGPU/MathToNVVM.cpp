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

#include "mlir/Dialect/Arith/IR/Arith.h"
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

std::pair<Value, Value> mlir::attn::emitCosSin(OpBuilder &b, Location loc,
                                               Value angle) {
  Type f64 = b.getF64Type(), f32 = b.getF32Type();
  auto c = [&](double v) -> Value {
    return arith::ConstantOp::create(b, loc, b.getF64FloatAttr(v));
  };
  auto mul = [&](Value x, Value y) -> Value {
    return arith::MulFOp::create(b, loc, x, y);
  };
  auto fma = [&](Value x, Value y, Value z) -> Value {
    return math::FmaOp::create(b, loc, x, y, z);
  };
  // x = k·(pi/2) + r, |r| <= pi/4; pi/2 = PIO2_HI + PIO2_LO (fdlibm's
  // split): each FMA rounds once, on the small remainder.
  Value x = arith::ExtFOp::create(b, loc, f64, angle);
  Value k = math::RoundEvenOp::create(b, loc, mul(x, c(0.63661977236758134)));
  Value r = fma(arith::NegFOp::create(b, loc, k), c(1.5707963267948966), x);
  r = fma(arith::NegFOp::create(b, loc, k), c(6.123233995736766e-17), r);
  Value r2 = mul(r, r);
  // Taylor polynomials in Horner form.
  Value s = c(1.0 / 362880);
  for (double coef : {-1.0 / 5040, 1.0 / 120, -1.0 / 6, 1.0})
    s = fma(s, r2, c(coef));
  s = mul(s, r);
  Value co = c(-1.0 / 3628800);
  for (double coef : {1.0 / 40320, -1.0 / 720, 1.0 / 24, -0.5, 1.0})
    co = fma(co, r2, c(coef));
  // Quadrant q = k mod 4: (cos, sin) = (c, s), (-s, c), (-c, -s), (s, -c).
  Value q = arith::AndIOp::create(
      b, loc, arith::FPToSIOp::create(b, loc, b.getI64Type(), k),
      arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(3)));
  auto is = [&](int64_t v) -> Value {
    return arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::eq, q,
        arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(v)));
  };
  auto neg = [&](Value v) -> Value { return arith::NegFOp::create(b, loc, v); };
  auto sel = [&](Value p, Value t, Value f) -> Value {
    return arith::SelectOp::create(b, loc, p, t, f);
  };
  Value odd = arith::OrIOp::create(b, loc, is(1), is(3));
  Value cosV = sel(odd, s, co), sinV = sel(odd, co, s);
  // Signs: cos negative in quadrants 1 and 2, sin in 2 and 3.
  cosV = sel(arith::OrIOp::create(b, loc, is(1), is(2)), neg(cosV), cosV);
  sinV = sel(arith::OrIOp::create(b, loc, is(2), is(3)), neg(sinV), sinV);
  return {arith::TruncFOp::create(b, loc, f32, cosV).getResult(),
          arith::TruncFOp::create(b, loc, f32, sinV).getResult()};
}
