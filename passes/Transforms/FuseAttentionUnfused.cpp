//===- FuseAttentionUnfused.cpp - fuse the attn dialect's unfused steps ---===//
//
// `attn.weighted_sum(attn.softmax(attn.mask(attn.scores(q, k))), v)` (the
// mask step optional) computes exactly what one `attn.sdpa` computes (see
// AttnUnfusedOps.td), so the chain becomes that op with every operand and
// attribute carried over.
//
//===----------------------------------------------------------------------===//

#include "FuseAttention.h"

#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::fuse;

LogicalResult fuse::matchUnfusedAttention(Operation *op, AttentionMatch &m,
                                          std::string &reason) {
  auto fail = [&](const char *why) {
    reason = why;
    return failure();
  };
  auto sum = dyn_cast<WeightedSumOp>(op);
  if (!sum)
    return fail("P·V: not an attn.weighted_sum");
  auto softmax = sum.getProbs().getDefiningOp<SoftmaxOp>();
  if (!softmax)
    return fail("softmax: the probabilities are not an attn.softmax");
  if (!softmax.getResult().hasOneUse())
    return fail("softmax: the probabilities have other uses");
  Value scores = softmax.getInput();
  if (!scores.hasOneUse())
    return fail("scores: the scores have other uses");
  m.chain = {sum, softmax};
  auto maskOp = scores.getDefiningOp<MaskOp>();
  if (maskOp) {
    scores = maskOp.getScores();
    if (!scores.hasOneUse())
      return fail("scores: the unmasked scores have other uses");
    m.chain.push_back(maskOp);
    m.bias = maskOp.getBias();
    m.attnMask = maskOp.getAttnMask();
    m.alibiSlopes = maskOp.getAlibiSlopes();
    m.kvLens = maskOp.getKvLens();
    if (MaskAttr mask = maskOp.getMaskAttr(); mask && !mask.isFull())
      m.mask = mask;
  }
  auto scoresOp = scores.getDefiningOp<ScoresOp>();
  if (!scoresOp)
    return fail("Q·Kᵀ: the scores are not an attn.scores");
  if (scoresOp.getLayout() != sum.getLayout())
    return fail("operands: attn.scores and attn.weighted_sum have different "
                "layouts");
  m.chain.push_back(scoresOp);

  // attn.sdpa computes in the element type of Q, K and V.
  Type elem = getElementTypeOrSelf(scoresOp.getQuery().getType());
  if (getElementTypeOrSelf(scoresOp.getKey().getType()) != elem ||
      getElementTypeOrSelf(sum.getValue().getType()) != elem)
    return fail("operands: Q, K and V have different element types");
  if (m.bias && getElementTypeOrSelf(m.bias.getType()) != elem)
    return fail("operands: the bias's element type differs from Q's");

  m.query = scoresOp.getQuery();
  m.key = scoresOp.getKey();
  m.value = sum.getValue();
  m.scale = scoresOp.getEffectiveScale();
  if (std::optional<APFloat> cap = scoresOp.getSoftcap())
    m.softcap = cap->convertToDouble();
  m.layout = sum.getLayout();
  m.root = sum.getResult();
  m.inLayout = true;
  if (Value lse = softmax.getLse(); lse && !lse.use_empty()) {
    // The softmax's log-sum-exp is `[B, Hq, Sq]`; keep to bhsd, where it
    // is unambiguously the one attn.sdpa returns.
    if (m.layout != Layout::BHSD)
      return fail("softmax: its lse is used with the bshd layout");
    m.lseRoot = lse;
  }
  return checkFusedAttention(m, reason);
}

namespace {
struct FuseUnfusedAttention : OpRewritePattern<WeightedSumOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(WeightedSumOp sum,
                                PatternRewriter &rewriter) const override {
    AttentionMatch m;
    std::string reason;
    if (failed(matchUnfusedAttention(sum, m, reason)))
      return rewriter.notifyMatchFailure(sum, reason);
    return buildFusedAttention(rewriter, m);
  }
};
} // namespace

void fuse::populateFuseUnfusedAttentionPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseUnfusedAttention>(patterns.getContext());
}
