//===- FuseAttentionTosa.cpp - fuse TOSA attention chains -----------------===//
//
// Matches attention in TOSA as torch-mlir emits it, backwards from the
// probabilities-times-values `tosa.matmul`:
//
//   P·V   tosa.matmul(P, V, zp, zp), V possibly a GQA tile of the KV heads
//   P     mul(e, reciprocal(reduce_sum(e))), e = exp(sub(s, reduce_max(s))),
//         optionally under the guard select(reduce_all(s == -inf), 0, p)
//   S     masks (tosa.select / tosa.add), scales (tosa.mul by a constant)
//   Q Kᵀ  tosa.matmul(Q, transpose(K)), scales on Q and Kᵀ
//
// with tosa.reshape between 4-D and 3-D tensors anywhere on the way.
//
//===----------------------------------------------------------------------===//

#include "FuseAttention.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::fuse;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// A float matmul whose zero points are constant zeros.
static bool isPlainMatmul(tosa::MatMulOp mm) {
  std::optional<double> a = getConstantScalar(mm.getAZp());
  std::optional<double> b = getConstantScalar(mm.getBZp());
  return a && b && *a == 0.0 && *b == 0.0 &&
         isa<FloatType>(getElementTypeOrSelf(mm.getType()));
}

static int64_t getRank(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type ? type.getRank() : -1;
}

/// `red` is `OpTy(input)` over the last axis, keeping it as size 1.
template <typename OpTy>
static OpTy matchLastAxisReduce(Value red, Value input) {
  auto op = red.getDefiningOp<OpTy>();
  if (!op || op.getInput() != input || !red.hasOneUse() ||
      static_cast<int64_t>(op.getAxis()) != getRank(input) - 1)
    return {};
  return op;
}

/// Whether every user of `v` is one of `expected` (one use each).
static bool usersAre(Value v, ArrayRef<Operation *> expected) {
  for (Operation *user : v.getUsers())
    if (!llvm::is_contained(expected, user))
      return false;
  return static_cast<size_t>(std::distance(
             v.getUses().begin(), v.getUses().end())) == expected.size();
}

/// The affine map from a rank-`rank` elementwise iteration space to the
/// coordinates of TOSA operand `operand` (same rank; size-1 dims broadcast).
static AffineMap getBroadcastMap(Value operand, Value result) {
  auto type = cast<RankedTensorType>(operand.getType());
  auto resType = cast<RankedTensorType>(result.getType());
  MLIRContext *ctx = operand.getContext();
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < type.getRank(); ++d)
    exprs.push_back(type.getDimSize(d) == 1 && resType.getDimSize(d) != 1
                        ? getAffineConstantExpr(0, ctx)
                        : getAffineDimExpr(d, ctx));
  return AffineMap::get(resType.getRank(), 0, exprs, ctx);
}

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

/// Matches `p = softmax(s)` over the last axis and returns `s`.
static Value matchSoftmax(Value p, SmallVectorImpl<Operation *> &chain,
                          ArrayRef<Operation *> extraUsers) {
  auto mul = p.getDefiningOp<tosa::MulOp>();
  std::optional<double> shift =
      mul ? getConstantScalar(mul.getShift()) : std::nullopt;
  if (!mul || !p.hasOneUse() || !shift || *shift != 0.0)
    return {};
  for (int side = 0; side < 2; ++side) {
    Value e = mul->getOperand(side);
    auto recip = mul->getOperand(1 - side).getDefiningOp<tosa::ReciprocalOp>();
    if (!recip || !recip->getResult(0).hasOneUse())
      continue;
    auto sum = matchLastAxisReduce<tosa::ReduceSumOp>(recip.getInput1(), e);
    auto exp = e.getDefiningOp<tosa::ExpOp>();
    if (!sum || !exp || !usersAre(e, {mul, sum}))
      return {};
    auto sub = exp.getInput1().getDefiningOp<tosa::SubOp>();
    if (!sub || !sub->getResult(0).hasOneUse())
      return {};
    Value s = sub.getInput1();
    auto max = matchLastAxisReduce<tosa::ReduceMaxOp>(sub.getInput2(), s);
    if (!max || s.getType() != p.getType())
      return {};
    SmallVector<Operation *> users(extraUsers);
    users.append({sub, max});
    if (!usersAre(s, users))
      return {};
    chain.append({mul, recip, sum, exp, sub, max});
    return s;
  }
  return {};
}

/// Matches torch's guard `select(reduce_all(s == -inf), 0, p)`: returns `p`
/// and the op reading `s` (the cast or the comparison), or null.
static std::pair<Value, Operation *>
matchMaskedRowGuard(Value guarded, SmallVectorImpl<Operation *> &chain) {
  auto select = guarded.getDefiningOp<tosa::SelectOp>();
  if (!select)
    return {};
  std::optional<double> zero = getConstantScalar(select.getInput2());
  Value p = select.getInput3();
  if (!zero || *zero != 0.0 || p.getType() != guarded.getType())
    return {};
  auto all = select.getInput1().getDefiningOp<tosa::ReduceAllOp>();
  if (!all || !all->getResult(0).hasOneUse() ||
      static_cast<int64_t>(all.getAxis()) != getRank(p) - 1)
    return {};
  auto eq = all.getInput().getDefiningOp<tosa::EqualOp>();
  if (!eq || !eq->getResult(0).hasOneUse())
    return {};
  std::optional<double> inf = getConstantScalar(eq.getInput2());
  Value s = eq.getInput1();
  Operation *reader = eq;
  if (!inf || !std::isinf(*inf) || *inf > 0)
    return {};
  SmallVector<Operation *> ops = {select, all, eq};
  if (auto castOp = s.getDefiningOp<tosa::CastOp>()) {
    if (!castOp->getResult(0).hasOneUse())
      return {};
    ops.push_back(castOp);
    reader = castOp;
    s = castOp.getInput();
  }
  chain.append(ops);
  return {p, reader};
}

//===----------------------------------------------------------------------===//
// Masks on the scores
//===----------------------------------------------------------------------===//

/// ALiBi in TOSA, `slopes · (j - i)`: a `tosa.mul` of a 1-D float tensor
/// reshaped to vary along the head dimension of the `rank`-D `scores` only
/// (`[H, 1, 1]`, `[1, H, 1, 1]`) and a key distance (aranges: TOSA has no
/// iota). Returns the 1-D slopes, or null.
static Value matchTosaAlibi(Value bias, Value scores, int64_t rank) {
  auto mul = bias.getDefiningOp<tosa::MulOp>();
  if (!mul || rank < 3)
    return {};
  for (int side = 0; side < 2; ++side) {
    Value s = side ? mul.getInput2() : mul.getInput1();
    Value d = side ? mul.getInput1() : mul.getInput2();
    auto reshape = s.getDefiningOp<tosa::ReshapeOp>();
    if (!reshape)
      continue;
    Value slopes = reshape.getInput1();
    auto slopesType = dyn_cast<RankedTensorType>(slopes.getType());
    auto shaped = dyn_cast<RankedTensorType>(s.getType());
    if (!slopesType || slopesType.getRank() != 1 ||
        !slopesType.hasStaticShape() ||
        !isa<FloatType>(slopesType.getElementType()) || !shaped ||
        shaped.getRank() > rank || shaped.getRank() < 3)
      continue;
    // Aligned from the right with the scores: H at the head dimension
    // (rank - 3), 1 elsewhere.
    int64_t offset = rank - shaped.getRank();
    bool headsOnly = true;
    for (int64_t i = 0; i < shaped.getRank(); ++i)
      headsOnly &= shaped.getDimSize(i) ==
                   (i + offset == rank - 3 ? slopesType.getDimSize(0) : 1);
    if (headsOnly &&
        isKeyDistance(d, getBroadcastMap(d, scores), Value(), nullptr, rank))
      return slopes;
  }
  return {};
}

/// `tosa.select(c, -inf, s)`, `tosa.select(c, s, -inf)` or `tosa.add(s, b)`:
/// returns the scores input and records the mask in `m`. Also the softcap's
/// `tosa.tanh`: `a · tanh(b · s)` reaches it with its constant factors met
/// as scales on either side (a before the tanh, b after it, walking from the
/// softmax), so `a` is the scale met so far; a · tanh(b · s) is attn.sdpa's
/// softcap `a` with scale `a · b`. Masks may follow the softcap only.
static Value matchMaskOp(Operation *op, AttentionMatch &m) {
  if (auto tanh = dyn_cast<tosa::TanhOp>(op)) {
    // An additive mask tensor met before (added after the softcap) is
    // attn.sdpa's order; it was only taken with no scale met before it, so
    // the scale met since (the cap) did not scale it.
    if (m.softcap || !(m.scale > 0) || !std::isfinite(m.scale))
      return {};
    m.softcap = m.scale;
    return tanh.getInput();
  }
  // A mask under a softcap (applied before it) would not hide: -inf
  // becomes -cap.
  if (m.softcap)
    return {};
  Value result = op->getResult(0);
  auto type = dyn_cast<RankedTensorType>(result.getType());
  if (!type || !type.hasStaticShape() || type.getRank() < 2)
    return {};
  int64_t rank = type.getRank();
  int64_t sq = type.getDimSize(rank - 2), sk = type.getDimSize(rank - 1);

  if (auto select = dyn_cast<tosa::SelectOp>(op)) {
    for (bool scoresOnTrue : {true, false}) {
      Value x = scoresOnTrue ? select.getInput2() : select.getInput3();
      Value fill = scoresOnTrue ? select.getInput3() : select.getInput2();
      std::optional<double> f = getConstantScalar(fill);
      if (x.getType() != type || !f || !(*f < 0) ||
          additiveMaskEffect(*f) == MaskEffect::Other)
        continue;
      bool finite = !std::isinf(*f);
      bool hiddenWhenTrue = !scoresOnTrue;
      Value cond = select.getInput1();
      auto effect = [&](double v) {
        MaskEffect e = selectMaskEffect(v, hiddenWhenTrue);
        return e == MaskEffect::Hidden && finite ? MaskEffect::HiddenFinite : e;
      };
      AffineMap map = getBroadcastMap(cond, result);
      // One side of a diagonal, or a band: both sides of a logical_and
      // (keys shown) or logical_or (keys hidden).
      SmallVector<MaskClass, 2> classes;
      if (std::optional<MaskClass> cls =
              classifyMask(cond, map, Value(), nullptr, rank, sq, sk, effect))
        classes.push_back(*cls);
      else if (std::optional<SmallVector<MaskClass, 2>> parts =
                   classifyMaskParts(cond, map, hiddenWhenTrue, rank, sq, sk,
                                     effect))
        classes = *parts;
      else
        return {};
      for (const MaskClass &cls : classes)
        if (!addMask(m, cls))
          return {};
      return x;
    }
    return {};
  }

  if (auto add = dyn_cast<tosa::AddOp>(op)) {
    for (int side = 0; side < 2; ++side) {
      Value x = add->getOperand(side), bias = add->getOperand(1 - side);
      if (x.getType() != type || x == bias)
        continue;
      std::optional<MaskClass> cls =
          classifyMask(bias, getBroadcastMap(bias, result), Value(), nullptr,
                       rank, sq, sk, additiveMaskEffect);
      if (cls) {
        if (!addMask(m, *cls))
          return {};
        return x;
      }
      // ALiBi: attn.sdpa's alibi_slopes, added after the scale and the
      // softcap (as here when neither was met yet).
      if (Value slopes = matchTosaAlibi(bias, result, rank)) {
        if (m.alibiSlopes || m.softcap || m.scale != 1.0)
          return {};
        m.alibiSlopes = slopes;
        return x;
      }
      // A mask tensor is added after attn.sdpa's scale: none may have been
      // met yet (a scale applied after the mask would scale it too).
      auto biasType = dyn_cast<RankedTensorType>(bias.getType());
      if (m.attnMask || m.scale != 1.0 || !biasType ||
          !biasType.hasStaticShape() || biasType.getRank() != rank ||
          (!isa<BlockArgument>(bias) && !bias.getDefiningOp<tosa::ConstOp>()))
        continue;
      if (biasType.getDimSize(rank - 2) != sq ||
          biasType.getDimSize(rank - 1) != sk)
        continue;
      m.attnMask = bias;
      m.scoreLeading.assign(type.getShape().begin(), type.getShape().end() - 2);
      return x;
    }
  }
  return {};
}

//===----------------------------------------------------------------------===//
// Pattern
//===----------------------------------------------------------------------===//

LogicalResult fuse::matchTosaAttention(Operation *op, AttentionMatch &m,
                                       std::string &reason) {
  auto fail = [&](const char *why) {
    reason = why;
    return failure();
  };
  auto pv = dyn_cast<tosa::MatMulOp>(op);
  if (!pv)
    return fail("P·V: not a tosa.matmul");
  if (!isPlainMatmul(pv))
    return fail("P·V: not a float matmul with zero points 0");
  traceAttentionRoot(pv, m);

  Value p = skipLeadingReshapes(pv.getA(), m.chain);
  auto [inner, guardReader] = matchMaskedRowGuard(p, m.chain);
  SmallVector<Operation *> extraUsers;
  if (inner) {
    p = inner;
    extraUsers.push_back(guardReader);
  }
  Value s = matchSoftmax(p, m.chain, extraUsers);
  if (!s)
    return fail("softmax: the probabilities are not exp(s - max(s)) / "
                "sum(exp(s - max(s))) over the last axis, each value used "
                "once");

  FailureOr<Operation *> qkOp = traceScoresToMatmul(
      s, m, [](Operation *op) { return isa<tosa::MatMulOp>(op); }, matchMaskOp,
      reason);
  if (failed(qkOp))
    return failure();
  auto qk = cast<tosa::MatMulOp>(*qkOp);
  if (!isPlainMatmul(qk))
    return fail("Q·Kᵀ: not a float matmul with zero points 0");
  m.chain.push_back(qk);

  PeeledOperand q = peelOperand(qk.getA(), m.chain);
  PeeledOperand k = peelOperand(qk.getB(), m.chain);
  PeeledOperand v = peelOperand(pv.getB(), m.chain);
  if (q.swapped || q.group != 1 || !k.swapped || v.swapped || v.scale != 1.0)
    return fail("operands: Q, K and V are not [..., S, D] under the matmuls "
                "(K transposed once, Q and V not)");
  return finishMatch(m, q, k, v, reason);
}

namespace {
struct FuseTosaAttention : OpRewritePattern<tosa::MatMulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tosa::MatMulOp pv,
                                PatternRewriter &rewriter) const override {
    AttentionMatch m;
    std::string reason;
    if (failed(matchTosaAttention(pv, m, reason)))
      return rewriter.notifyMatchFailure(pv, reason);
    return buildFusedAttention(rewriter, m);
  }
};
} // namespace

void fuse::populateFuseTosaAttentionPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseTosaAttention>(patterns.getContext());
}
