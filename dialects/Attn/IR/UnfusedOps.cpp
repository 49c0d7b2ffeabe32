//===- UnfusedOps.cpp - scores, mask, softmax, weighted_sum ---------------===//
//
// Verifiers, folders and canonicalizations of the unfused attention steps.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "ScorePatterns.h"
#include "VerifyUtils.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::checks;

/// Whether `type` is f32, the accumulation type every op may also produce.
static bool isF32(Type type) { return type.isF32(); }

//===----------------------------------------------------------------------===//
// ScoresOp
//===----------------------------------------------------------------------===//

double ScoresOp::getEffectiveScale() {
  if (std::optional<APFloat> scale = getScale())
    return scale->convertToDouble();
  auto qType = cast<RankedTensorType>(getQuery().getType());
  return 1.0 / std::sqrt(static_cast<double>(qType.getDimSize(3)));
}

LogicalResult ScoresOp::verify() {
  auto qType = cast<RankedTensorType>(getQuery().getType());
  auto kType = cast<RankedTensorType>(getKey().getType());
  auto sType = cast<RankedTensorType>(getResult().getType());
  if (failed(verifyRank(*this, "query", qType, 4)) ||
      failed(verifyRank(*this, "key", kType, 4)) ||
      failed(verifySameElementType(*this, "query", qType, "key", kType)))
    return failure();
  if (sType.getElementType() != qType.getElementType() &&
      !isF32(sType.getElementType()))
    return emitOpError() << "expected the result element type to be the "
                            "query's or f32, got "
                         << sType.getElementType();

  HeadsDims dims = getHeadsDims(getLayout() == Layout::BSHD, false);
  int64_t numQHeads = qType.getDimSize(dims.heads);
  int64_t numKVHeads = kType.getDimSize(dims.heads);
  if (failed(verifySameSize(*this, "batch size", "query",
                            qType.getDimSize(dims.batch), "key",
                            kType.getDimSize(dims.batch))) ||
      failed(
          verifyGroupedHeads(*this, "query", numQHeads, "key", numKVHeads)) ||
      failed(verifySameSize(*this, "head dim", "query",
                            qType.getDimSize(dims.dim), "key",
                            kType.getDimSize(dims.dim))))
    return failure();
  if (failed(verifyShape(*this, "result", sType,
                         {qType.getDimSize(dims.batch), numQHeads,
                          qType.getDimSize(dims.seq),
                          kType.getDimSize(dims.seq)})))
    return failure();
  if (failed(verifyPositiveFinite(*this, "scale", getScale())) ||
      failed(verifyPositiveFinite(*this, "softcap", getSoftcap())))
    return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// MaskOp
//===----------------------------------------------------------------------===//

MaskAttr MaskOp::getEffectiveMask() {
  if (MaskAttr mask = getMaskAttr())
    return mask;
  return MaskAttr::get(getContext(), /*causal=*/false, MaskAlign::TopLeft,
                       /*window_left=*/-1, /*window_right=*/-1);
}

LogicalResult MaskOp::verify() {
  auto sType = cast<RankedTensorType>(getScores().getType());
  if (failed(verifyRank(*this, "scores", sType, 4)))
    return failure();
  ArrayRef<int64_t> scoreShape = sType.getShape();
  for (auto [name, value] :
       {std::pair<StringRef, Value>{"bias", getBias()},
        std::pair<StringRef, Value>{"attn_mask", getAttnMask()}}) {
    if (!value)
      continue;
    auto type = cast<RankedTensorType>(value.getType());
    if (!isBroadcastableTo(type.getShape(), scoreShape))
      return emitOpError() << "expected " << name
                           << " to broadcast to the scores ["
                           << formatShape(scoreShape) << "], got " << type;
  }
  if (Value bias = getBias())
    if (failed(verifySameElementType(
            *this, "bias", cast<ShapedType>(bias.getType()), "scores", sType)))
      return failure();
  if (Value slopes = getAlibiSlopes())
    if (failed(verifyShape(*this, "alibi slopes",
                           cast<ShapedType>(slopes.getType()),
                           {scoreShape[1]})))
      return failure();
  if (Value lens = getKvLens())
    if (failed(verifyShape(*this, "kv_lens", cast<ShapedType>(lens.getType()),
                           {scoreShape[0]})))
      return failure();
  return success();
}

OpFoldResult MaskOp::fold(FoldAdaptor) {
  // Nothing to add and nothing to hide: the identity.
  if (getBias() || getAttnMask() || getAlibiSlopes() || getKvLens())
    return {};
  if (MaskAttr mask = getMaskAttr(); mask && !mask.isFull())
    return {};
  return getScores();
}

void MaskOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                         MLIRContext *context) {
  results.add<DropFullMaskAttr<MaskOp>, DropNeutralScoreOperands<MaskOp>>(
      context);
}

//===----------------------------------------------------------------------===//
// SoftmaxOp
//===----------------------------------------------------------------------===//

LogicalResult SoftmaxOp::verify() {
  auto inType = cast<RankedTensorType>(getInput().getType());
  auto outType = cast<RankedTensorType>(getResult().getType());
  if (inType.getRank() < 1)
    return emitOpError("expected input of rank >= 1, got rank 0");
  if (failed(verifyShape(*this, "result", outType, inType.getShape())) ||
      failed(verifySameElementType(*this, "input", inType, "result", outType)))
    return failure();
  if (Value lse = getLse())
    if (failed(verifyShape(*this, "lse", cast<ShapedType>(lse.getType()),
                           inType.getShape().drop_back())))
      return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// WeightedSumOp
//===----------------------------------------------------------------------===//

LogicalResult WeightedSumOp::verify() {
  auto pType = cast<RankedTensorType>(getProbs().getType());
  auto vType = cast<RankedTensorType>(getValue().getType());
  auto oType = cast<RankedTensorType>(getResult().getType());
  if (failed(verifyRank(*this, "probs", pType, 4)) ||
      failed(verifyRank(*this, "value", vType, 4)) ||
      failed(verifyRank(*this, "result", oType, 4)) ||
      failed(verifySameElementType(*this, "value", vType, "result", oType)))
    return failure();
  if (pType.getElementType() != vType.getElementType() &&
      !isF32(pType.getElementType()))
    return emitOpError() << "expected the probs element type to be the "
                            "value's or f32, got "
                         << pType.getElementType();

  HeadsDims dims = getHeadsDims(getLayout() == Layout::BSHD, false);
  // probs is [B, Hq, Sq, Sk] whatever the layout.
  int64_t batch = pType.getDimSize(0), numQHeads = pType.getDimSize(1);
  int64_t seqQ = pType.getDimSize(2), seqK = pType.getDimSize(3);
  if (failed(verifySameSize(*this, "batch size", "probs", batch, "value",
                            vType.getDimSize(dims.batch))) ||
      failed(verifyGroupedHeads(*this, "probs", numQHeads, "value",
                                vType.getDimSize(dims.heads))) ||
      failed(verifySameSize(*this, "number of keys", "probs", seqK, "value",
                            vType.getDimSize(dims.seq))))
    return failure();
  SmallVector<int64_t> expected(4);
  expected[dims.batch] = batch;
  expected[dims.heads] = numQHeads;
  expected[dims.seq] = seqQ;
  expected[dims.dim] = vType.getDimSize(dims.dim);
  return verifyShape(*this, "result", oType, expected);
}
