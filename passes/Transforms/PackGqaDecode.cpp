//===- PackGqaDecode.cpp - the attn-pack-gqa-decode pass ------------------===//
//
// A decode-shaped `attn.sdpa` (one query per sequence) with grouped-query
// heads reads each KV head once per query head of its group. Its query heads
// `[B, Hkv * g, 1, D]` are the same tensor as `[B, Hkv, g, D]`: as g queries
// of one KV head, every key and value tile is read once for the group and
// serves g rows.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::attn {
#define GEN_PASS_DEF_PACKGQADECODEPASS
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// Whether a score-shaped operand ([B, Hq, Sq, Sk] with size-1 broadcasts)
/// is the same for every query head and query.
bool sameForAllRows(Value v) {
  if (!v)
    return true;
  ArrayRef<int64_t> shape = cast<RankedTensorType>(v.getType()).getShape();
  return shape.size() == 4 && shape[1] == 1 && shape[2] == 1;
}

/// `[d0, d1 * d2, rest...]` <-> `[d0, d1, d2, rest...]` through the collapsed
/// form `[d0, d1 * d2, rest...]` of a size-1 dimension.
Value reshape(PatternRewriter &rewriter, Location loc, Value v,
              RankedTensorType to) {
  auto from = cast<RankedTensorType>(v.getType());
  // Both shapes collapse to [B, H, rest...] (H = Hq = Hkv * g) by merging
  // dims 1 and 2.
  SmallVector<ReassociationIndices> merge = {{0}, {1, 2}};
  for (int64_t d = 3; d < from.getRank(); ++d)
    merge.push_back({d});
  Value flat = tensor::CollapseShapeOp::create(rewriter, loc, v, merge);
  return tensor::ExpandShapeOp::create(rewriter, loc, to, flat, merge);
}

struct PackGqaDecode : OpRewritePattern<SdpaOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SdpaOp op,
                                PatternRewriter &rewriter) const override {
    auto qType = cast<RankedTensorType>(op.getQuery().getType());
    auto kType = cast<RankedTensorType>(op.getKey().getType());
    auto oType = cast<RankedTensorType>(op.getResult().getType());
    if (op.isVarlen() || op.getLayout() != Layout::BHSD)
      return rewriter.notifyMatchFailure(op, "varlen or not bhsd");
    if (!qType.hasStaticShape() || !kType.hasStaticShape() ||
        !oType.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "dynamic shapes");
    int64_t hq = qType.getDimSize(1), hkv = kType.getDimSize(1);
    if (qType.getDimSize(2) != 1 || hkv <= 0 || hq <= hkv)
      return rewriter.notifyMatchFailure(op, "not one query of grouped heads");
    // Per-head terms differ between the rows of a group.
    if (op.getAlibiSlopes() || !sameForAllRows(op.getBias()) ||
        !sameForAllRows(op.getAttnMask()))
      return rewriter.notifyMatchFailure(op, "per-head or per-query terms");
    // The one query sees the same keys as the g packed rows only when the
    // mask does not depend on the row: no mask, or bottom-right causality,
    // which hides nothing from the last query (its diagonal is the last key).
    MaskAttr mask = op.getEffectiveMask();
    bool keepsAll =
        mask.isFull() ||
        (mask.getCausal() && mask.getAlign() == MaskAlign::BottomRight &&
         mask.getWindowLeft() < 0 && mask.getWindowRight() <= 0);
    if (!keepsAll)
      return rewriter.notifyMatchFailure(op, "a mask that depends on the row");

    int64_t group = hq / hkv;
    Location loc = op.getLoc();
    auto packed = [&](RankedTensorType t) {
      SmallVector<int64_t> shape(t.getShape());
      shape[1] = hkv;
      shape[2] = group;
      return t.clone(shape);
    };
    Value query = reshape(rewriter, loc, op.getQuery(), packed(qType));
    Type lseType;
    RankedTensorType lseOrig;
    if (Value lse = op.getLse()) {
      lseOrig = cast<RankedTensorType>(lse.getType());
      lseType = lseOrig.clone({lseOrig.getDimSize(0), hkv, group});
    }
    auto sdpa = SdpaOp::create(rewriter, loc, packed(oType), lseType, query,
                               op.getKey(), op.getValue(), op.getBias(),
                               op.getAttnMask(), Value(), op.getKvLens(),
                               Value(), Value(), op.getScaleAttr(),
                               op.getSoftcapAttr(), MaskAttr(), op.getLayout());
    SmallVector<Value> results = {
        reshape(rewriter, loc, sdpa.getResult(), oType)};
    if (lseType)
      results.push_back(reshape(rewriter, loc, sdpa.getLse(), lseOrig));
    rewriter.replaceOp(op, results);
    return success();
  }
};

struct PackGqaDecodePass
    : attn::impl::PackGqaDecodePassBase<PackGqaDecodePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<PackGqaDecode>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
