//===- ScorePatterns.h - canonicalizations shared by score ops --*- C++ -*-===//
//
// attn.sdpa and attn.mask carry the same score modifiers (bias, attn_mask,
// ALiBi slopes, #attn.mask); these patterns simplify them the same way.
// Private to the dialect library.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECTS_ATTN_IR_SCOREPATTERNS_H
#define ATTN_DIALECTS_ATTN_IR_SCOREPATTERNS_H

#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::attn::checks {

/// Whether `v` is a constant that changes no score: an all-true boolean
/// mask, or an all-zero additive mask, bias or slope vector.
inline bool isNeutralScoreOperand(Value v) {
  if (!v)
    return false;
  DenseElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)) || !attr.isSplat())
    return false;
  if (attr.getElementType().isInteger(1))
    return attr.getSplatValue<bool>();
  return attr.getSplatValue<APFloat>().isZero();
}

/// A mask attribute that hides nothing is dropped. With ALiBi slopes the
/// alignment still places the diagonal the distances are measured from, so
/// only a top-left full mask (the default) is dropped then.
template <typename OpTy> struct DropFullMaskAttr : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    MaskAttr mask = op.getMaskAttr();
    if (!mask || !mask.isFull())
      return failure();
    if (op.getAlibiSlopes() && mask.getAlign() != MaskAlign::TopLeft)
      return failure();
    rewriter.modifyOpInPlace(op, [&] { op.removeMaskAttr(); });
    return success();
  }
};

/// Constant bias, attn_mask and ALiBi operands that change nothing are
/// dropped.
template <typename OpTy>
struct DropNeutralScoreOperands : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    bool bias = isNeutralScoreOperand(op.getBias());
    bool mask = isNeutralScoreOperand(op.getAttnMask());
    bool alibi = isNeutralScoreOperand(op.getAlibiSlopes());
    if (!bias && !mask && !alibi)
      return failure();
    rewriter.modifyOpInPlace(op, [&] {
      if (bias)
        op.getBiasMutable().clear();
      if (mask)
        op.getAttnMaskMutable().clear();
      if (alibi)
        op.getAlibiSlopesMutable().clear();
    });
    return success();
  }
};

} // namespace mlir::attn::checks

#endif // ATTN_DIALECTS_ATTN_IR_SCOREPATTERNS_H
