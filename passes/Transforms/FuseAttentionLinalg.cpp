//===- FuseAttentionLinalg.cpp - fuse linalg attention chains -------------===//
//
// Matches attention as frontends (torch-mlir) emit it in linalg on tensors,
// backwards from the probabilities-times-values `linalg.batch_matmul`:
//
//   P·V   batch_matmul(P, V), V possibly a GQA broadcast of the KV heads
//   P     linalg.softmax, or the max/sub/exp/sum/div generics, optionally
//         under the "fully masked row gives zeros" guard of torch's SDPA
//   S     masks (select or add generics), scales (mul/div by a constant)
//   Q Kᵀ  batch_matmul(Q, transpose(K)), scales on Q and Kᵀ
//
// with reshapes between 4-D and 3-D tensors anywhere on the way.
//
//===----------------------------------------------------------------------===//

#include "FuseAttention.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cfloat>
#include <cmath>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::fuse;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// The constant a tensor is filled with (linalg.fill of a constant, or a
/// splat constant).
static std::optional<double> getFillValue(Value t) {
  if (auto fill = t.getDefiningOp<linalg::FillOp>())
    return getConstantScalar(fill.getInputs()[0]);
  return getConstantScalar(t);
}

/// A batch_matmul with the default indexing maps accumulating into zeros.
static bool isPlainBatchMatmul(linalg::BatchMatmulOp mm) {
  if (mm.hasUserDefinedMaps() || mm->getNumResults() != 1)
    return false;
  std::optional<double> init = getFillValue(mm.getDpsInitOperand(0)->get());
  return init && *init == 0.0;
}

/// The value of scalar `v` of `generic`'s body when it is a constant (a
/// captured constant or the block argument of a splat constant input).
static std::optional<double> getBodyConstant(linalg::GenericOp generic,
                                             Value v) {
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    if (arg.getOwner() != &generic.getRegion().front())
      return std::nullopt;
    return getFillValue(generic->getOperand(arg.getArgNumber()));
  }
  return getConstantScalar(v);
}

/// The input of `generic` that block argument `v` stands for, with its map.
static OpOperand *getInputOf(linalg::GenericOp generic, Value v) {
  auto arg = dyn_cast<BlockArgument>(v);
  if (!arg || arg.getOwner() != &generic.getRegion().front() ||
      arg.getArgNumber() >= generic.getNumDpsInputs())
    return nullptr;
  return generic.getDpsInputOperand(arg.getArgNumber());
}

static Value getYielded(linalg::GenericOp generic, unsigned i = 0) {
  return cast<linalg::YieldOp>(generic.getRegion().front().getTerminator())
      .getOperand(i);
}

/// Whether `generic` is elementwise over rank-`rank` tensors with one result.
static bool isElementwise(linalg::GenericOp generic) {
  return generic && generic->getNumResults() == 1 &&
         generic.getNumDpsInits() == 1 &&
         generic.getNumParallelLoops() == generic.getNumLoops() &&
         generic.getMatchingIndexingMap(generic.getDpsInitOperand(0))
             .isIdentity();
}

/// Whether `map` reads a per-row value of an iteration space of rank `rank`:
/// (d0, ..., d_{r-2}) or (d0, ..., d_{r-2}, 0).
static bool isRowMap(AffineMap map, unsigned rank) {
  unsigned n = map.getNumResults();
  if (map.getNumDims() != rank || (n != rank && n != rank - 1))
    return false;
  for (unsigned i = 0; i + 1 < rank; ++i) {
    auto d = dyn_cast<AffineDimExpr>(map.getResult(i));
    if (!d || d.getPosition() != i)
      return false;
  }
  if (n == rank) {
    auto c = dyn_cast<AffineConstantExpr>(map.getResult(rank - 1));
    return c && c.getValue() == 0;
  }
  return true;
}

/// Matches `yield OpTy(a, b)` in `generic`'s body (either operand order when
/// `commutative`), returning the two operands as (first, second).
template <typename OpTy>
static std::optional<std::pair<Value, Value>>
matchYieldedBinary(linalg::GenericOp generic, unsigned result = 0) {
  auto op = getYielded(generic, result).getDefiningOp<OpTy>();
  if (!op)
    return std::nullopt;
  return std::make_pair(op->getOperand(0), op->getOperand(1));
}

/// `red` is a max (`isMax`) or sum row reduction of `input` over its last
/// dimension, possibly followed by an expand_shape appending a unit dim.
/// Appends the ops to `chain`.
static bool matchRowReduce(Value red, Value input, bool isMax,
                           SmallVectorImpl<Operation *> &chain) {
  if (!red.hasOneUse())
    return false;
  SmallVector<Operation *> ops;
  if (auto expand = red.getDefiningOp<tensor::ExpandShapeOp>()) {
    auto srcType = expand.getSrcType();
    auto resType = expand.getResultType();
    if (resType.getRank() != srcType.getRank() + 1 ||
        resType.getDimSize(resType.getRank() - 1) != 1 ||
        !expand.getSrc().hasOneUse())
      return false;
    ops.push_back(expand);
    red = expand.getSrc();
  }
  auto generic = red.getDefiningOp<linalg::GenericOp>();
  if (!generic || generic.getNumDpsInputs() != 1 ||
      generic.getDpsInputOperand(0)->get() != input ||
      cast<OpResult>(red).getResultNumber() != 0)
    return false;
  unsigned rank = generic.getNumLoops();
  auto inputType = dyn_cast<RankedTensorType>(input.getType());
  if (!inputType || inputType.getRank() != rank ||
      generic.getNumReductionLoops() != 1 ||
      generic.getIteratorTypesArray().back() !=
          utils::IteratorType::reduction ||
      !generic.getMatchingIndexingMap(generic.getDpsInputOperand(0))
           .isIdentity() ||
      !isRowMap(generic.getMatchingIndexingMap(generic.getDpsInitOperand(0)),
                rank))
    return false;
  // Extra results (torch's argmax) must be unused.
  for (unsigned i = 1; i < generic->getNumResults(); ++i)
    if (!generic->getResult(i).use_empty())
      return false;
  Block &body = generic.getRegion().front();
  Value in = body.getArgument(0), acc = body.getArgument(1);
  Operation *combiner = getYielded(generic).getDefiningOp();
  if (!combiner || combiner->getNumOperands() != 2 ||
      !((combiner->getOperand(0) == in && combiner->getOperand(1) == acc) ||
        (combiner->getOperand(0) == acc && combiner->getOperand(1) == in)))
    return false;
  std::optional<double> init =
      getFillValue(generic.getDpsInitOperand(0)->get());
  if (!init)
    return false;
  if (isMax) {
    if (!isa<arith::MaximumFOp, arith::MaxNumFOp>(combiner) ||
        *init > -static_cast<double>(FLT_MAX))
      return false;
  } else if (!isa<arith::AddFOp>(combiner) || *init != 0.0) {
    return false;
  }
  ops.push_back(generic);
  chain.append(ops);
  return true;
}

/// `generic` computes `f(x, row)` elementwise, `x` an identity-mapped input
/// and `row` a row-broadcast input, with `f` = OpTy. Returns (x, row).
template <typename OpTy>
static std::optional<std::pair<Value, Value>>
matchRowBroadcastBinary(linalg::GenericOp generic) {
  if (!isElementwise(generic) || generic.getNumDpsInputs() != 2)
    return std::nullopt;
  auto operands = matchYieldedBinary<OpTy>(generic);
  if (!operands)
    return std::nullopt;
  OpOperand *x = getInputOf(generic, operands->first);
  OpOperand *row = getInputOf(generic, operands->second);
  unsigned rank = generic.getNumLoops();
  if (!x || !row || !generic.getMatchingIndexingMap(x).isIdentity() ||
      !isRowMap(generic.getMatchingIndexingMap(row), rank))
    return std::nullopt;
  return std::make_pair(x->get(), row->get());
}

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

/// Matches `p = softmax(s)` over the last dimension and returns `s`. The ops
/// are appended to `chain`; `extraUsers` are ops allowed to use `s` besides
/// the softmax (the fully-masked-row guard).
static Value matchSoftmax(Value p, SmallVectorImpl<Operation *> &chain,
                          ArrayRef<Operation *> extraUsers) {
  if (!p.hasOneUse())
    return {};
  auto usersAre = [](Value v, ArrayRef<Operation *> expected) {
    for (Operation *user : v.getUsers())
      if (!llvm::is_contained(expected, user))
        return false;
    return static_cast<size_t>(std::distance(
               v.getUses().begin(), v.getUses().end())) == expected.size();
  };
  if (auto softmax = p.getDefiningOp<linalg::SoftmaxOp>()) {
    auto type = dyn_cast<RankedTensorType>(softmax.getInput().getType());
    if (!type ||
        static_cast<int64_t>(softmax.getDimension()) != type.getRank() - 1)
      return {};
    SmallVector<Operation *> users(extraUsers);
    users.push_back(softmax);
    if (!usersAre(softmax.getInput(), users))
      return {};
    chain.push_back(softmax);
    return softmax.getInput();
  }

  // p = e / sum(e), e = exp(s - max(s)).
  auto div = p.getDefiningOp<linalg::GenericOp>();
  auto divOperands = matchRowBroadcastBinary<arith::DivFOp>(div);
  if (!divOperands)
    return {};
  auto [e, sum] = *divOperands;
  auto exp = e.getDefiningOp<linalg::GenericOp>();
  if (!isElementwise(exp) || exp.getNumDpsInputs() != 1)
    return {};
  auto expOp = getYielded(exp).getDefiningOp<math::ExpOp>();
  OpOperand *x = expOp ? getInputOf(exp, expOp.getOperand()) : nullptr;
  if (!x || !exp.getMatchingIndexingMap(x).isIdentity())
    return {};
  auto sub = x->get().getDefiningOp<linalg::GenericOp>();
  auto subOperands = matchRowBroadcastBinary<arith::SubFOp>(sub);
  if (!subOperands || !x->get().hasOneUse())
    return {};
  auto [s, max] = *subOperands;

  SmallVector<Operation *> ops = {div};
  // e feeds the division and the sum only.
  Operation *sumOp = nullptr;
  for (Operation *user : e.getUsers())
    if (user != div)
      sumOp = user;
  if (!sumOp || !usersAre(e, {div, sumOp}))
    return {};
  if (!matchRowReduce(sum, e, /*isMax=*/false, ops))
    return {};
  ops.push_back(exp);
  ops.push_back(sub);
  Operation *maxOp = max.getDefiningOp();
  if (auto expand = dyn_cast_or_null<tensor::ExpandShapeOp>(maxOp))
    maxOp = expand.getSrc().getDefiningOp();
  if (!matchRowReduce(max, s, /*isMax=*/true, ops))
    return {};
  SmallVector<Operation *> users(extraUsers);
  users.append({sub, maxOp});
  if (!usersAre(s, users))
    return {};
  chain.append(ops);
  return s;
}

/// Matches torch's guard `select(all(s == -inf, row), 0, p)` around a
/// softmax: returns `p` and the comparison op (a user of `s`), or null.
static std::pair<Value, Operation *>
matchMaskedRowGuard(Value guarded, SmallVectorImpl<Operation *> &chain) {
  auto select = guarded.getDefiningOp<linalg::GenericOp>();
  if (!isElementwise(select) || select.getNumDpsInputs() != 3)
    return {};
  auto sel = getYielded(select).getDefiningOp<arith::SelectOp>();
  if (!sel)
    return {};
  OpOperand *rows = getInputOf(select, sel.getCondition());
  OpOperand *p = getInputOf(select, sel.getFalseValue());
  std::optional<double> zero = getBodyConstant(select, sel.getTrueValue());
  unsigned rank = select.getNumLoops();
  if (!rows || !p || !zero || *zero != 0.0 ||
      !select.getMatchingIndexingMap(p).isIdentity() ||
      !isRowMap(select.getMatchingIndexingMap(rows), rank) ||
      !rows->get().hasOneUse())
    return {};
  // rows = all(cmp) over the last dim, init true.
  Value all = rows->get();
  SmallVector<Operation *> ops = {select};
  if (auto expand = all.getDefiningOp<tensor::ExpandShapeOp>()) {
    if (!expand.getSrc().hasOneUse())
      return {};
    ops.push_back(expand);
    all = expand.getSrc();
  }
  auto reduce = all.getDefiningOp<linalg::GenericOp>();
  if (!reduce || reduce.getNumDpsInputs() != 1 ||
      reduce->getNumResults() != 1 || reduce.getNumReductionLoops() != 1 ||
      reduce.getIteratorTypesArray().back() != utils::IteratorType::reduction)
    return {};
  auto andOp = getYielded(reduce).getDefiningOp<arith::AndIOp>();
  std::optional<double> init = getFillValue(reduce.getDpsInitOperand(0)->get());
  if (!andOp || !init || *init == 0.0 ||
      !isRowMap(reduce.getMatchingIndexingMap(reduce.getDpsInitOperand(0)),
                rank) ||
      !reduce.getMatchingIndexingMap(reduce.getDpsInputOperand(0)).isIdentity())
    return {};
  ops.push_back(reduce);
  // cmp = (s == -inf), elementwise.
  Value cmpValue = reduce.getDpsInputOperand(0)->get();
  auto cmp = cmpValue.getDefiningOp<linalg::GenericOp>();
  if (!cmpValue.hasOneUse() || !isElementwise(cmp) ||
      cmp.getNumDpsInputs() != 1 ||
      !cmp.getMatchingIndexingMap(cmp.getDpsInputOperand(0)).isIdentity())
    return {};
  auto cmpf = getYielded(cmp).getDefiningOp<arith::CmpFOp>();
  if (!cmpf || cmpf.getPredicate() != arith::CmpFPredicate::OEQ)
    return {};
  Value lhs = cmpf.getLhs();
  if (auto ext = lhs.getDefiningOp<arith::ExtFOp>())
    lhs = ext.getIn();
  std::optional<double> inf = getConstantScalar(cmpf.getRhs());
  if (lhs != cmp.getRegion().front().getArgument(0) || !inf ||
      !std::isinf(*inf) || *inf > 0)
    return {};
  ops.push_back(cmp);
  chain.append(ops);
  return {p->get(), cmp};
}

//===----------------------------------------------------------------------===//
// Masks and scales on the scores
//===----------------------------------------------------------------------===//

/// Whether the input `operand` of an elementwise generic over rank `rank`
/// scores broadcasts from the right: its map is (d_{r-n}, ..., d_{r-1}),
/// with constant 0 for its size-1 dims.
static bool isRightAlignedBroadcast(linalg::GenericOp generic,
                                    OpOperand *operand, unsigned rank) {
  AffineMap map = generic.getMatchingIndexingMap(operand);
  auto type = dyn_cast<RankedTensorType>(operand->get().getType());
  unsigned n = map.getNumResults();
  if (!type || n > rank || n < 2 || type.getRank() != n)
    return false;
  for (unsigned i = 0; i < n; ++i) {
    AffineExpr e = map.getResult(i);
    if (auto d = dyn_cast<AffineDimExpr>(e)) {
      if (d.getPosition() != rank - n + i)
        return false;
    } else if (auto c = dyn_cast<AffineConstantExpr>(e)) {
      if (c.getValue() != 0 || type.getDimSize(i) != 1)
        return false;
    } else {
      return false;
    }
  }
  return true;
}

/// Records a structured mask in `m`, refusing a second, different one.
static bool addMask(AttentionMatch &m, const MaskClass &cls) {
  if (cls.full)
    return true;
  if (m.mask && m.mask != cls.mask)
    return false;
  m.mask = cls.mask;
  return true;
}

/// A generic applying a mask to the scores `select(c, -inf, s)`,
/// `select(c, s, -inf)` or `s + bias`: returns the scores input and records
/// the mask in `m`. Fails on masks it does not recognise, except an additive
/// mask read straight from a function argument or constant, which becomes
/// the `attn_mask` operand.
static Value matchMaskGeneric(linalg::GenericOp generic, AttentionMatch &m) {
  if (!isElementwise(generic))
    return {};
  auto type = dyn_cast<RankedTensorType>(generic->getResult(0).getType());
  if (!type || !type.hasStaticShape() || type.getRank() < 2)
    return {};
  int64_t rank = type.getRank();
  int64_t sq = type.getDimSize(rank - 2), sk = type.getDimSize(rank - 1);
  Value yielded = getYielded(generic);
  auto isScores = [&](Value v) -> OpOperand * {
    OpOperand *in = getInputOf(generic, v);
    if (!in || in->get().getType() != type ||
        !generic.getMatchingIndexingMap(in).isIdentity())
      return nullptr;
    return in;
  };

  if (auto sel = yielded.getDefiningOp<arith::SelectOp>()) {
    for (bool scoresOnTrue : {true, false}) {
      Value x = scoresOnTrue ? sel.getTrueValue() : sel.getFalseValue();
      Value fill = scoresOnTrue ? sel.getFalseValue() : sel.getTrueValue();
      OpOperand *scores = isScores(x);
      std::optional<double> f = getBodyConstant(generic, fill);
      if (!scores || !f || !(*f < 0) ||
          additiveMaskEffect(*f) == MaskEffect::Other)
        continue;
      bool finite = !std::isinf(*f);
      bool hiddenWhenTrue = !scoresOnTrue;
      std::optional<MaskClass> cls =
          classifyMask(Value(), AffineMap(), sel.getCondition(), generic, rank,
                       sq, sk, [&](double v) {
                         MaskEffect e = selectMaskEffect(v, hiddenWhenTrue);
                         return e == MaskEffect::Hidden && finite
                                    ? MaskEffect::HiddenFinite
                                    : e;
                       });
      if (!cls || !addMask(m, *cls))
        return {};
      return scores->get();
    }
    return {};
  }

  if (auto add = yielded.getDefiningOp<arith::AddFOp>()) {
    for (int side = 0; side < 2; ++side) {
      OpOperand *scores = isScores(add->getOperand(side));
      Value other = add->getOperand(1 - side);
      if (!scores)
        continue;
      // The bias must not depend on the scores.
      if (other == add->getOperand(side))
        return {};
      std::optional<MaskClass> cls =
          classifyMask(Value(), AffineMap(), other, generic, rank, sq, sk,
                       additiveMaskEffect);
      if (cls) {
        if (!addMask(m, *cls))
          return {};
        return scores->get();
      }
      OpOperand *bias = getInputOf(generic, other);
      if (!bias || m.attnMask || bias == scores ||
          !isa<FloatType>(getElementTypeOrSelf(bias->get().getType())) ||
          !isRightAlignedBroadcast(generic, bias, rank))
        continue;
      Value biasValue = bias->get();
      if (!isa<BlockArgument>(biasValue) &&
          !biasValue.getDefiningOp<arith::ConstantOp>())
        continue;
      m.attnMask = biasValue;
      m.scoreLeading.assign(type.getShape().begin(), type.getShape().end() - 2);
      return scores->get();
    }
  }
  return {};
}

//===----------------------------------------------------------------------===//
// Pattern
//===----------------------------------------------------------------------===//

namespace {
struct FuseLinalgAttention : OpRewritePattern<linalg::BatchMatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::BatchMatmulOp pv,
                                PatternRewriter &rewriter) const override {
    if (!isPlainBatchMatmul(pv))
      return rewriter.notifyMatchFailure(pv, "not a plain batch_matmul");
    AttentionMatch m;
    // The result, through reshapes back to the frontend's shape.
    traceAttentionRoot(pv, m);

    // Probabilities.
    Value p = skipLeadingReshapes(pv.getDpsInputOperand(0)->get(), m.chain);
    auto [inner, guardCmp] = matchMaskedRowGuard(p, m.chain);
    SmallVector<Operation *> extraUsers;
    if (inner) {
      p = skipLeadingReshapes(inner, m.chain);
      extraUsers.push_back(guardCmp);
    }
    Value s = matchSoftmax(p, m.chain, extraUsers);
    if (!s)
      return rewriter.notifyMatchFailure(pv, "no softmax over the last dim");

    // Scores back to Q Kᵀ.
    StringRef reason;
    FailureOr<Operation *> qkOp = traceScoresToMatmul(
        s, m, [](Operation *op) { return isa<linalg::BatchMatmulOp>(op); },
        [](Operation *op, AttentionMatch &match) {
          auto generic = dyn_cast<linalg::GenericOp>(op);
          return generic ? matchMaskGeneric(generic, match) : Value();
        },
        reason);
    if (failed(qkOp))
      return rewriter.notifyMatchFailure(pv, reason);
    auto qk = cast<linalg::BatchMatmulOp>(*qkOp);
    if (!isPlainBatchMatmul(qk))
      return rewriter.notifyMatchFailure(pv, "Q·Kᵀ is not a plain matmul");
    m.chain.push_back(qk);

    PeeledOperand q = peelOperand(qk.getDpsInputOperand(0)->get(), m.chain);
    PeeledOperand k = peelOperand(qk.getDpsInputOperand(1)->get(), m.chain);
    PeeledOperand v = peelOperand(pv.getDpsInputOperand(1)->get(), m.chain);
    if (q.swapped || q.group != 1 || !k.swapped || v.swapped || v.scale != 1.0)
      return rewriter.notifyMatchFailure(pv, "Q, K, V layouts do not match");
    // peelOperand stops at K's transpose source: K is [.., Sk, D].
    m.query = q.base;
    m.key = k.base;
    m.value = v.base;
    m.keyGroup = k.group;
    m.valueGroup = v.group;
    m.scale *= q.scale * k.scale;
    return buildFusedAttention(rewriter, m);
  }
};
} // namespace

void fuse::populateFuseLinalgAttentionPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseLinalgAttention>(patterns.getContext());
}
