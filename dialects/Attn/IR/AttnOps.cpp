//===- AttnOps.cpp - attn op definitions and fused-op verifiers -----------===//
//
// Op groups other than the fused ops keep their verifiers in their own files
// (ProjectionOps.cpp, UnfusedOps.cpp, CacheOps.cpp, QuantOps.cpp,
// VariantOps.cpp); this file instantiates the generated op classes.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "ScorePatterns.h"
#include "VerifyUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::checks;

#define GET_OP_CLASSES
#include "attn/Dialect/Attn/IR/AttnOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Unknown attributes
//===----------------------------------------------------------------------===//

LogicalResult mlir::attn::verifyNoUnknownAttrs(Operation *op) {
  for (NamedAttribute attr : op->getDiscardableAttrs()) {
    StringRef name = attr.getName().getValue();
    if (name.contains('.'))
      continue; // another dialect's annotation
    InFlightDiagnostic diag = op->emitOpError()
                              << "has no attribute '" << name << "'";
    // How the spellings of other frameworks are written here.
    if (llvm::is_contained({"causal", "is_causal"}, name))
      diag << "; a causal mask is written `mask = #attn.mask<causal = "
              "true>`";
    else if (name.contains("window"))
      diag << "; a sliding window is written `mask = #attn.mask<window_left "
              "= N, window_right = M>`";
    else if (llvm::is_contained({"align", "alignment"}, name))
      diag << "; the mask's diagonal is written `mask = #attn.mask<causal = "
              "true, align = bottom_right>`";
    SmallVector<StringRef> known;
    for (StringAttr inherent : op->getName().getAttributeNames())
      if (inherent.getValue() != "operandSegmentSizes" &&
          inherent.getValue() != "resultSegmentSizes")
        known.push_back(inherent.getValue());
    if (known.empty())
      diag << " (it takes no attribute)";
    else
      diag << " (it takes: " << llvm::join(known, ", ") << ")";
    return diag;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// SdpaOp
//===----------------------------------------------------------------------===//

double SdpaOp::getEffectiveScale() {
  if (std::optional<APFloat> scale = getScale())
    return scale->convertToDouble();
  auto qType = cast<RankedTensorType>(getQuery().getType());
  int64_t headDim = qType.getDimSize(qType.getRank() - 1);
  return 1.0 / std::sqrt(static_cast<double>(headDim));
}

MaskAttr SdpaOp::getEffectiveMask() {
  if (MaskAttr mask = getMaskAttr())
    return mask;
  return MaskAttr::get(getContext(), /*causal=*/false, MaskAlign::TopLeft,
                       /*window_left=*/-1, /*window_right=*/-1);
}

LogicalResult SdpaOp::verify() {
  auto qType = cast<RankedTensorType>(getQuery().getType());
  auto kType = cast<RankedTensorType>(getKey().getType());
  auto vType = cast<RankedTensorType>(getValue().getType());
  auto oType = cast<RankedTensorType>(getResult().getType());
  bool varlen = isVarlen();
  bool bshd = getLayout() == Layout::BSHD;
  int64_t rank = varlen ? 3 : 4;

  if (varlen != (getCuSeqlensK() != nullptr))
    return emitOpError("expected both cu_seqlens_q and cu_seqlens_k, or "
                       "neither");
  if (varlen && bshd)
    return emitOpError("expected the default layout with cu_seqlens (varlen "
                       "tensors are [tokens, heads, head_dim]), got bshd");

  if (failed(verifyRank(*this, "query", qType, rank)) ||
      failed(verifyRank(*this, "key", kType, rank)) ||
      failed(verifyRank(*this, "value", vType, rank)) ||
      failed(verifyRank(*this, "result", oType, rank)))
    return failure();

  if (failed(verifySameElementType(*this, "query", qType, "key", kType)) ||
      failed(verifySameElementType(*this, "query", qType, "value", vType)) ||
      failed(verifySameElementType(*this, "query", qType, "result", oType)))
    return failure();

  HeadsDims dims = getHeadsDims(bshd, varlen);
  auto size = [](RankedTensorType t, int d) { return t.getDimSize(d); };
  int64_t numQHeads = size(qType, dims.heads);
  int64_t numKVHeads = size(kType, dims.heads);

  if (!varlen && (failed(verifySameSize(*this, "batch size", "query",
                                        size(qType, dims.batch), "key",
                                        size(kType, dims.batch))) ||
                  failed(verifySameSize(*this, "batch size", "query",
                                        size(qType, dims.batch), "value",
                                        size(vType, dims.batch))) ||
                  failed(verifySameSize(*this, "batch size", "query",
                                        size(qType, dims.batch), "result",
                                        size(oType, dims.batch)))))
    return failure();

  if (failed(verifySameSize(*this, "number of heads", "key", numKVHeads,
                            "value", size(vType, dims.heads))) ||
      failed(
          verifyGroupedHeads(*this, "query", numQHeads, "key", numKVHeads)) ||
      failed(verifySameSize(*this, "number of heads", "query", numQHeads,
                            "result", size(oType, dims.heads))) ||
      failed(verifySameSize(*this, "sequence length", "key",
                            size(kType, dims.seq), "value",
                            size(vType, dims.seq))) ||
      failed(verifySameSize(*this, "sequence length", "query",
                            size(qType, dims.seq), "result",
                            size(oType, dims.seq))) ||
      failed(verifySameSize(*this, "head dim", "query", size(qType, dims.dim),
                            "key", size(kType, dims.dim))) ||
      failed(verifySameSize(*this, "head dim", "value", size(vType, dims.dim),
                            "result", size(oType, dims.dim))))
    return failure();

  // Optional operands. Score-shaped operands need the batch dimension.
  int64_t batch = varlen ? ShapedType::kDynamic : size(qType, dims.batch);
  SmallVector<int64_t> scoreShape = {batch, numQHeads, size(qType, dims.seq),
                                     size(kType, dims.seq)};
  for (auto [name, value] :
       {std::pair<StringRef, Value>{"bias", getBias()},
        std::pair<StringRef, Value>{"attn_mask", getAttnMask()}}) {
    if (!value)
      continue;
    if (varlen)
      return emitOpError() << "expected no " << name
                           << " with cu_seqlens (varlen)";
    auto type = cast<RankedTensorType>(value.getType());
    if (!isBroadcastableTo(type.getShape(), scoreShape))
      return emitOpError() << "expected " << name
                           << " to broadcast to the scores ["
                           << formatShape(scoreShape) << "], got " << type;
    if (name == "bias" &&
        failed(verifySameElementType(*this, "bias", type, "query", qType)))
      return failure();
  }
  if (Value slopes = getAlibiSlopes())
    if (failed(verifyShape(*this, "alibi slopes",
                           cast<ShapedType>(slopes.getType()), {numQHeads})))
      return failure();
  if (Value lens = getKvLens()) {
    if (varlen)
      return emitOpError("expected no kv_lens with cu_seqlens (the key "
                         "lengths are given by cu_seqlens_k)");
    if (failed(verifyShape(*this, "kv_lens", cast<ShapedType>(lens.getType()),
                           {batch})))
      return failure();
  }
  if (varlen) {
    auto cq = cast<RankedTensorType>(getCuSeqlensQ().getType());
    auto ck = cast<RankedTensorType>(getCuSeqlensK().getType());
    if (failed(verifyRank(*this, "cu_seqlens_q", cq, 1)) ||
        failed(verifyRank(*this, "cu_seqlens_k", ck, 1)) ||
        failed(verifySameSize(*this, "size", "cu_seqlens_q", cq.getDimSize(0),
                              "cu_seqlens_k", ck.getDimSize(0))))
      return failure();
    if (!cq.isDynamicDim(0) && cq.getDimSize(0) < 2)
      return emitOpError() << "expected cu_seqlens of size >= 2 (batch + 1), "
                              "got "
                           << cq.getDimSize(0);
  }

  if (failed(verifyPositiveFinite(*this, "scale", getScale())) ||
      failed(verifyPositiveFinite(*this, "softcap", getSoftcap())))
    return failure();

  if (Value lse = getLse()) {
    SmallVector<int64_t> lseShape =
        varlen ? SmallVector<int64_t>{size(qType, 0), numQHeads}
               : SmallVector<int64_t>{batch, numQHeads, size(qType, dims.seq)};
    if (failed(verifyShape(*this, "lse", cast<ShapedType>(lse.getType()),
                           lseShape)))
      return failure();
  }
  return success();
}

void SdpaOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                         MLIRContext *context) {
  results.add<DropFullMaskAttr<SdpaOp>, DropNeutralScoreOperands<SdpaOp>>(
      context);
}

//===----------------------------------------------------------------------===//
// CombineOp
//===----------------------------------------------------------------------===//

LogicalResult CombineOp::verify() {
  auto pType = cast<RankedTensorType>(getPartials().getType());
  auto lType = cast<RankedTensorType>(getPartialLse().getType());
  auto oType = cast<RankedTensorType>(getResult().getType());
  if (pType.getRank() < 2)
    return emitOpError() << "expected partials of rank >= 2 ([chunks, ..., "
                            "head_dim]), got rank "
                         << pType.getRank();
  if (failed(verifyShape(*this, "partial_lse", lType,
                         pType.getShape().drop_back())) ||
      failed(
          verifyShape(*this, "result", oType, pType.getShape().drop_front())) ||
      failed(verifySameElementType(*this, "partials", pType, "result", oType)))
    return failure();
  if (Value lse = getLse())
    if (failed(verifyShape(*this, "lse", cast<ShapedType>(lse.getType()),
                           lType.getShape().drop_front())))
      return failure();
  return success();
}
