//===- VariantOps.cpp - Linformer, AFT and top-k attention ----------------===//

#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "VerifyUtils.h"

#include "mlir/IR/PatternMatch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::checks;

/// Verifies bhsd `query : [B, Hq, Sq, D]`, `key : [B, Hkv, Sk, D]`,
/// `value : [B, Hkv, Sk, Dv]` and result `[B, Hq, Sq, Dv]`, all of one
/// element type.
static LogicalResult verifyQKVO(Operation *op, RankedTensorType qType,
                                RankedTensorType kType, RankedTensorType vType,
                                RankedTensorType oType) {
  if (failed(verifyRank(op, "query", qType, 4)) ||
      failed(verifyRank(op, "key", kType, 4)) ||
      failed(verifyRank(op, "value", vType, 4)) ||
      failed(verifyRank(op, "result", oType, 4)) ||
      failed(verifySameElementType(op, "query", qType, "key", kType)) ||
      failed(verifySameElementType(op, "query", qType, "value", vType)) ||
      failed(verifySameElementType(op, "query", qType, "result", oType)))
    return failure();
  auto size = [](RankedTensorType t, int d) { return t.getDimSize(d); };
  if (failed(verifySameSize(op, "batch size", "query", size(qType, 0), "key",
                            size(kType, 0))) ||
      failed(verifySameSize(op, "batch size", "query", size(qType, 0), "value",
                            size(vType, 0))) ||
      failed(verifySameSize(op, "number of heads", "key", size(kType, 1),
                            "value", size(vType, 1))) ||
      failed(verifyGroupedHeads(op, "query", size(qType, 1), "key",
                                size(kType, 1))) ||
      failed(verifySameSize(op, "sequence length", "key", size(kType, 2),
                            "value", size(vType, 2))) ||
      failed(verifySameSize(op, "head dim", "query", size(qType, 3), "key",
                            size(kType, 3))))
    return failure();
  return verifyShape(
      op, "result", oType,
      {size(qType, 0), size(qType, 1), size(qType, 2), size(vType, 3)});
}

//===----------------------------------------------------------------------===//
// LinformerOp
//===----------------------------------------------------------------------===//

double LinformerOp::getEffectiveScale() {
  if (std::optional<APFloat> scale = getScale())
    return scale->convertToDouble();
  auto qType = cast<RankedTensorType>(getQuery().getType());
  return 1.0 / std::sqrt(static_cast<double>(qType.getDimSize(3)));
}

LogicalResult LinformerOp::verify() {
  auto qType = cast<RankedTensorType>(getQuery().getType());
  auto kType = cast<RankedTensorType>(getKey().getType());
  auto vType = cast<RankedTensorType>(getValue().getType());
  auto eType = cast<RankedTensorType>(getE().getType());
  auto fType = cast<RankedTensorType>(getF().getType());
  auto oType = cast<RankedTensorType>(getResult().getType());
  if (failed(verifyQKVO(*this, qType, kType, vType, oType)) ||
      failed(verifyRank(*this, "e", eType, 2)) ||
      failed(verifyRank(*this, "f", fType, 2)) ||
      failed(verifySameElementType(*this, "e", eType, "query", qType)) ||
      failed(verifySameElementType(*this, "f", fType, "query", qType)) ||
      failed(verifyShape(*this, "f", fType, eType.getShape())) ||
      failed(verifySameSize(*this, "sequence length", "e", eType.getDimSize(1),
                            "key", kType.getDimSize(2))))
    return failure();
  return verifyPositiveFinite(*this, "scale", getScale());
}

//===----------------------------------------------------------------------===//
// AftOp
//===----------------------------------------------------------------------===//

LogicalResult AftOp::verify() {
  auto qType = cast<RankedTensorType>(getQuery().getType());
  auto kType = cast<RankedTensorType>(getKey().getType());
  auto vType = cast<RankedTensorType>(getValue().getType());
  auto oType = cast<RankedTensorType>(getResult().getType());
  if (failed(verifyRank(*this, "query", qType, 3)) ||
      failed(verifySameElementType(*this, "query", qType, "key", kType)) ||
      failed(verifySameElementType(*this, "query", qType, "value", vType)) ||
      failed(verifySameElementType(*this, "query", qType, "result", oType)) ||
      failed(verifyShape(*this, "key", kType, qType.getShape())) ||
      failed(verifyShape(*this, "value", vType, qType.getShape())) ||
      failed(verifyShape(*this, "result", oType, qType.getShape())))
    return failure();

  AftMode mode = getMode();
  StringRef modeName = stringifyAftMode(mode);
  int64_t seq = qType.getDimSize(1);
  if (Value w = getPosBias()) {
    auto wType = cast<RankedTensorType>(w.getType());
    if (mode == AftMode::Simple)
      return emitOpError("expected no pos_bias in simple mode");
    if (failed(verifyShape(*this, "pos_bias", wType, {seq, seq})) ||
        failed(verifySameElementType(*this, "pos_bias", wType, "query", qType)))
      return failure();
  } else if (mode != AftMode::Simple) {
    return emitOpError() << "expected pos_bias in " << modeName << " mode";
  }

  IntegerAttr window = getWindowAttr();
  if (mode == AftMode::Local) {
    if (!window)
      return emitOpError("expected a window in local mode");
    if (window.getInt() < 1)
      return emitOpError() << "expected window >= 1, got " << window.getInt();
  } else if (window) {
    return emitOpError() << "expected no window in " << modeName << " mode";
  }
  return success();
}

namespace {
/// A local AFT whose window covers every pair of positions (window >= S) is
/// the full AFT.
struct LocalAftToFull : OpRewritePattern<AftOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AftOp op,
                                PatternRewriter &rewriter) const override {
    IntegerAttr window = op.getWindowAttr();
    int64_t seq = cast<RankedTensorType>(op.getQuery().getType()).getDimSize(1);
    if (op.getMode() != AftMode::Local || !window ||
        ShapedType::isDynamic(seq) || window.getInt() < seq)
      return failure();
    rewriter.modifyOpInPlace(op, [&] {
      op.setMode(AftMode::Full);
      op.removeWindowAttr();
    });
    return success();
  }
};
} // namespace

void AftOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                        MLIRContext *context) {
  results.add<LocalAftToFull>(context);
}

//===----------------------------------------------------------------------===//
// TopkAttentionOp
//===----------------------------------------------------------------------===//

double TopkAttentionOp::getEffectiveScale() {
  if (std::optional<APFloat> scale = getScale())
    return scale->convertToDouble();
  auto qType = cast<RankedTensorType>(getQuery().getType());
  return 1.0 / std::sqrt(static_cast<double>(qType.getDimSize(3)));
}

LogicalResult TopkAttentionOp::verify() {
  auto qType = cast<RankedTensorType>(getQuery().getType());
  auto kType = cast<RankedTensorType>(getKey().getType());
  if (failed(verifyQKVO(*this, qType, kType,
                        cast<RankedTensorType>(getValue().getType()),
                        cast<RankedTensorType>(getResult().getType()))))
    return failure();
  int64_t k = getKAttr().getInt();
  int64_t seqK = kType.getDimSize(2);
  if (k < 1)
    return emitOpError() << "expected k >= 1, got " << k;
  if (!ShapedType::isDynamic(seqK) && k > seqK)
    return emitOpError() << "expected k <= " << seqK
                         << " (the number of keys), got " << k;
  return verifyPositiveFinite(*this, "scale", getScale());
}
