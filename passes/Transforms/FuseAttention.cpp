//===- FuseAttention.cpp - fuse unfused attention into attn.sdpa ----------===//
//
// The `attn-fuse-attention` pass, the builder shared by every input form and
// the operand peeling shared by the linalg and TOSA matchers. The matchers
// themselves live in FuseAttention{Unfused,Linalg,Tosa}.cpp, the mask
// recognition in FuseAttentionMask.cpp.
//
//===----------------------------------------------------------------------===//

#include "FuseAttention.h"

#include "attn/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/SmallBitVector.h"

#include <cmath>

namespace mlir::attn {
#define GEN_PASS_DEF_FUSEATTENTIONPASS
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::fuse;

//===----------------------------------------------------------------------===//
// Shape helpers
//===----------------------------------------------------------------------===//

/// The static ranked tensor type of `v` with rank >= `minRank`, or null.
static RankedTensorType getStaticType(Value v, int64_t minRank) {
  auto type = dyn_cast_or_null<RankedTensorType>(v ? v.getType() : Type());
  if (!type || !type.hasStaticShape() || type.getRank() < minRank)
    return {};
  return type;
}

static int64_t product(ArrayRef<int64_t> sizes) {
  int64_t p = 1;
  for (int64_t s : sizes)
    p *= s;
  return p;
}

/// Reshapes `x : [L..., a, b]` (static) to `[leading..., a, b]`, which must
/// hold the same number of elements.
static Value reshapeLeading(OpBuilder &b, Location loc, Value x,
                            ArrayRef<int64_t> leading) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  int64_t m = type.getDimSize(rank - 2), n = type.getDimSize(rank - 1);
  SmallVector<int64_t> target(leading);
  target.append({m, n});
  if (type.getShape() == ArrayRef<int64_t>(target))
    return x;
  Type elem = type.getElementType();
  // First bring x to [L, a, b].
  Value flat = x;
  int64_t total = product(type.getShape().drop_back(2));
  if (rank == 2) {
    // All target leading dims are 1: one expand_shape.
    int64_t k = leading.size();
    ReassociationIndices first;
    for (int64_t i = 0; i <= k; ++i)
      first.push_back(i);
    return tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get(target, elem), x,
        ArrayRef<ReassociationIndices>{first, {k + 1}});
  }
  if (rank > 3) {
    ReassociationIndices lead;
    for (int64_t i = 0; i < rank - 2; ++i)
      lead.push_back(i);
    flat = tensor::CollapseShapeOp::create(
        b, loc, RankedTensorType::get({total, m, n}, elem), x,
        ArrayRef<ReassociationIndices>{lead, {rank - 2}, {rank - 1}});
  }
  int64_t k = leading.size();
  if (k == 1)
    return flat;
  if (k == 0)
    return tensor::CollapseShapeOp::create(
        b, loc, RankedTensorType::get({m, n}, elem), flat,
        ArrayRef<ReassociationIndices>{{0, 1}, {2}});
  ReassociationIndices lead;
  for (int64_t i = 0; i < k; ++i)
    lead.push_back(i);
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(target, elem), flat,
      ArrayRef<ReassociationIndices>{lead, {k}, {k + 1}});
}

/// `fn(x)` elementwise over the tensor `x`, with elements of type `elem`
/// (a linalg.generic, which every pipeline bufferizes).
static Value
buildElementwise(OpBuilder &b, Location loc, Value x, Type elem,
                 function_ref<Value(OpBuilder &, Location, Value)> fn) {
  auto type = cast<RankedTensorType>(x.getType()).clone(elem);
  Value init = tensor::EmptyOp::create(b, loc, type.getShape(), elem);
  AffineMap id = b.getMultiDimIdentityMap(type.getRank());
  SmallVector<utils::IteratorType> iterators(type.getRank(),
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, type, ValueRange{x}, ValueRange{init},
             ArrayRef<AffineMap>{id, id}, iterators,
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               linalg::YieldOp::create(nb, nloc, fn(nb, nloc, args[0]));
             })
      .getResult(0);
}

/// `not x` elementwise for an i1 tensor `x`.
static Value buildLogicalNot(OpBuilder &b, Location loc, Value x) {
  return buildElementwise(
      b, loc, x, b.getI1Type(), [](OpBuilder &nb, Location nloc, Value e) {
        Value one = arith::ConstantIntOp::create(nb, nloc, 1, 1);
        return arith::XOrIOp::create(nb, nloc, e, one).getResult();
      });
}

//===----------------------------------------------------------------------===//
// Builder
//===----------------------------------------------------------------------===//

namespace {
/// The types and leading shapes `buildFusedAttention` reshapes to.
struct FusionPlan {
  Type resultType, lseType;
  /// Mixed precision (Q, K and V narrower than the result, e.g. f16
  /// contractions accumulating in f32): the element type the fused op
  /// computes in, the operands widened to it; null otherwise.
  Type widenTo;
  /// A result narrower than Q, K and V (f32 operands accumulating into
  /// f16): the fused op computes in the operands' type and its result is
  /// rounded to this one; null otherwise.
  Type narrowTo;
  /// Not inLayout: [batch, hq] and [batch, hkv]; the explicit mask's leading
  /// dimensions.
  SmallVector<int64_t, 2> qLeading, kvLeading, maskLeading;
};
} // namespace

/// Checks that `m` can become one `attn.sdpa` and computes its types; on
/// failure `reason` says why.
static FailureOr<FusionPlan> planFusedAttention(const AttentionMatch &m,
                                                std::string &reason) {
  auto fail = [&](const Twine &why) {
    reason = ("operands: " + why).str();
    return failure();
  };
  FusionPlan plan;
  auto qType = cast<RankedTensorType>(m.query.getType());
  auto kType = cast<RankedTensorType>(m.key.getType());
  auto vType = cast<RankedTensorType>(m.value.getType());
  auto rootType = dyn_cast<RankedTensorType>(m.root.getType());
  if (!rootType)
    return fail("the result is not a ranked tensor");
  // f16/bf16 operands whose products accumulate in a wider float: the fused
  // op computes in the result's type on the operands widened (exact
  // products, the same accumulation; P is not rounded to the operands'
  // type as a cast before P·V would have done).
  // A narrower result: the fused op computes in the operands' type and
  // rounds its result once (the chain accumulated in the narrower type).
  // Different types of one width (f16 and bf16): the fused op computes in
  // f32 on the operands widened and rounds its result once, exact where
  // the chain converted between them.
  Type elem = qType.getElementType();
  Type resultElem = rootType.getElementType();
  SmallVector<Type, 4> types = {elem, kType.getElementType(),
                                vType.getElementType(), resultElem};
  if (llvm::any_of(types, [&](Type t) { return t != elem; })) {
    if (!llvm::all_of(types, [](Type t) { return isa<FloatType>(t); }))
      return fail("Q, K, V or the result is not a float");
    if (m.inLayout)
      return fail("Q, K, V and the result have different element types");
    // The widest type, f32 where two types of that width differ.
    Type widest = types.front();
    bool tie = false;
    for (Type t : types) {
      unsigned w = t.getIntOrFloatBitWidth(),
               best = widest.getIntOrFloatBitWidth();
      if (w > best) {
        widest = t;
        tie = false;
      } else if (w == best && t != widest) {
        tie = true;
      }
    }
    if (tie) {
      if (widest.getIntOrFloatBitWidth() >= 32)
        return fail("Q, K, V and the result have different element types of "
                    "one width");
      widest = Float32Type::get(elem.getContext());
    }
    // Only operands (not a result) wider than the result: the fused op
    // computes in the operands' common type when they have one.
    bool operandsAgree =
        kType.getElementType() == elem && vType.getElementType() == elem;
    if (operandsAgree &&
        resultElem.getIntOrFloatBitWidth() < elem.getIntOrFloatBitWidth()) {
      plan.narrowTo = resultElem;
    } else {
      if (widest != elem || !operandsAgree)
        plan.widenTo = widest;
      if (resultElem != widest)
        plan.narrowTo = resultElem;
      elem = widest;
    }
  }

  if (m.inLayout) {
    if (qType.getRank() != 4 || kType.getRank() != 4 || vType.getRank() != 4 ||
        rootType.getRank() != 4)
      return fail("Q, K, V or the result is not rank 4");
    plan.resultType = rootType;
    if (m.lseRoot)
      plan.lseType = m.lseRoot.getType();
    return plan;
  }
  // Leading dimensions enumerate (batch, head) in row-major order; bring
  // every tensor to [B, H, S, D] with the batch size of the query.
  qType = getStaticType(m.query, 2);
  kType = getStaticType(m.key, 2);
  vType = getStaticType(m.value, 2);
  rootType = getStaticType(m.root, 2);
  if (!qType || !kType || !vType || !rootType)
    return fail("dynamic shapes");
  auto trailing = [](RankedTensorType t) {
    return std::make_pair(t.getDimSize(t.getRank() - 2),
                          t.getDimSize(t.getRank() - 1));
  };
  auto leadingOf = [](RankedTensorType t) {
    return product(t.getShape().drop_back(2));
  };
  auto [sq, dqk] = trailing(qType);
  auto [sk, dk] = trailing(kType);
  auto [skv, dv] = trailing(vType);
  auto [so, dov] = trailing(rootType);
  if (dqk != dk || sk != skv || so != sq || dov != dv)
    return fail("the sizes of Q, K, V and the result do not agree");
  int64_t lq = leadingOf(qType), lk = leadingOf(kType), lv = leadingOf(vType);
  if (leadingOf(rootType) != lq || lk != lv || m.keyGroup != m.valueGroup ||
      lk * m.keyGroup != lq)
    return fail("the head counts of Q, K and V do not agree");
  int64_t batch = qType.getRank() >= 4 ? qType.getDimSize(0) : 1;
  // Slopes read at `d0 mod H` of flattened scores: the leading dimension
  // enumerates (batch, head) with H heads.
  if (m.alibiHeads) {
    if (lq % m.alibiHeads != 0)
      return fail("the ALiBi slopes' head count does not divide the query "
                  "heads");
    batch = lq / m.alibiHeads;
  }
  if (batch <= 0 || lq % batch != 0 || lk % batch != 0)
    return fail("the batch size does not divide the heads");
  int64_t hq = lq / batch, hkv = lk / batch;
  // ALiBi slopes are read by the scores' head dimension: one per head of
  // the fused op (not so when flattened [B·H] scores had B > 1).
  if (m.alibiSlopes) {
    auto slopesType = dyn_cast<RankedTensorType>(m.alibiSlopes.getType());
    if (!slopesType || slopesType.getRank() != 1 ||
        slopesType.getDimSize(0) != hq)
      return fail("the ALiBi slopes are not one per query head");
  }
  plan.qLeading = {batch, hq};
  plan.kvLeading = {batch, hkv};

  // The explicit mask: its dims align with the scores' from the right.
  if (m.attnMask) {
    RankedTensorType maskType = getStaticType(m.attnMask, 2);
    auto fits = [](int64_t size, int64_t full) {
      return size == full || size == 1;
    };
    if (!maskType || !fits(maskType.getDimSize(maskType.getRank() - 2), sq) ||
        !fits(maskType.getDimSize(maskType.getRank() - 1), sk))
      return fail("the mask is not [..., Sq or 1, Sk or 1]");
    ArrayRef<int64_t> ml = maskType.getShape().drop_back(2);
    if (ml.size() > m.scoreLeading.size())
      return fail("the mask has more dimensions than the scores");
    if (llvm::all_of(ml, [](int64_t s) { return s == 1; })) {
      plan.maskLeading = {1, 1};
    } else if (ml == ArrayRef<int64_t>(m.scoreLeading)) {
      plan.maskLeading = {batch, hq};
    } else if (ml.size() == 2 && m.scoreLeading.size() == 2 &&
               m.scoreLeading[0] == batch && m.scoreLeading[1] == hq) {
      plan.maskLeading.assign(ml.begin(), ml.end());
    } else {
      return fail("the mask broadcasts over the heads in a way attn_mask "
                  "cannot");
    }
  }
  plan.resultType = RankedTensorType::get({batch, hq, sq, dv}, elem);
  if (m.lseRoot)
    plan.lseType = RankedTensorType::get({batch, hq, sq},
                                         Float32Type::get(elem.getContext()));
  return plan;
}

LogicalResult fuse::checkFusedAttention(const AttentionMatch &m,
                                        std::string &reason) {
  return planFusedAttention(m, reason);
}

LogicalResult fuse::buildFusedAttention(PatternRewriter &rewriter,
                                        AttentionMatch &m) {
  std::string reason;
  FailureOr<FusionPlan> plan = planFusedAttention(m, reason);
  if (failed(plan))
    return rewriter.notifyMatchFailure(m.root.getLoc(), reason);
  Location loc = m.root.getLoc();
  Value q = m.query, k = m.key, v = m.value, mask = m.attnMask, bias = m.bias;
  if (mask && m.attnMaskInverted)
    mask = buildLogicalNot(rewriter, loc, mask);
  if (plan->widenTo) {
    // Float operands to the type the fused op computes in.
    auto widen = [&](Value x) -> Value {
      auto type = dyn_cast_or_null<RankedTensorType>(x ? x.getType() : Type());
      if (!type || !isa<FloatType>(type.getElementType()) ||
          type.getElementType() == plan->widenTo)
        return x;
      return buildElementwise(rewriter, loc, x, plan->widenTo,
                              [&](OpBuilder &nb, Location nloc, Value e) {
                                return arith::ExtFOp::create(nb, nloc,
                                                             plan->widenTo, e)
                                    .getResult();
                              });
    };
    q = widen(q);
    k = widen(k);
    v = widen(v);
    mask = widen(mask);
    bias = widen(bias);
  }
  if (!m.inLayout) {
    q = reshapeLeading(rewriter, loc, q, plan->qLeading);
    k = reshapeLeading(rewriter, loc, k, plan->kvLeading);
    v = reshapeLeading(rewriter, loc, v, plan->kvLeading);
    if (mask)
      mask = reshapeLeading(rewriter, loc, mask, plan->maskLeading);
  }
  Type resultType = plan->resultType, lseType = plan->lseType;

  FloatAttr scaleAttr = rewriter.getF32FloatAttr(static_cast<float>(m.scale));
  FloatAttr softcapAttr =
      m.softcap ? rewriter.getF32FloatAttr(static_cast<float>(*m.softcap))
                : FloatAttr();
  auto sdpa = SdpaOp::create(rewriter, loc, resultType, lseType, q, k, v, bias,
                             mask, m.alibiSlopes, m.kvLens,
                             /*cu_seqlens_q=*/Value(), /*cu_seqlens_k=*/Value(),
                             scaleAttr, softcapAttr, m.mask, m.layout);

  Value result = sdpa.getResult();
  if (result.getType() != m.root.getType())
    result = reshapeLeading(
        rewriter, loc, result,
        cast<RankedTensorType>(m.root.getType()).getShape().drop_back(2));
  if (m.outputScale != 1.0) {
    Type elem = cast<RankedTensorType>(result.getType()).getElementType();
    result = buildElementwise(
        rewriter, loc, result, elem,
        [&](OpBuilder &nb, Location nloc, Value e) {
          Value c = arith::ConstantOp::create(
              nb, nloc, elem, nb.getFloatAttr(elem, m.outputScale));
          return arith::MulFOp::create(nb, nloc, e, c).getResult();
        });
  }
  if (plan->narrowTo)
    result = buildElementwise(rewriter, loc, result, plan->narrowTo,
                              [&](OpBuilder &nb, Location nloc, Value e) {
                                return arith::TruncFOp::create(
                                           nb, nloc, plan->narrowTo, e)
                                    .getResult();
                              });
  rewriter.replaceAllUsesWith(m.root, result);
  if (m.lseRoot) {
    Value lse = sdpa.getLse();
    if (lse.getType() != m.lseRoot.getType()) {
      auto lseRootType = cast<RankedTensorType>(m.lseRoot.getType());
      lse = tensor::CollapseShapeOp::create(
          rewriter, loc, lseRootType, lse,
          ArrayRef<ReassociationIndices>{{0, 1}, {2}});
    }
    rewriter.replaceAllUsesWith(m.lseRoot, lse);
  }
  for (Operation *op : m.chain)
    if (isOpTriviallyDead(op))
      rewriter.eraseOp(op);
  return success();
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

static std::optional<double> getAttrScalar(Attribute attr) {
  if (auto f = dyn_cast_or_null<FloatAttr>(attr))
    return f.getValueAsDouble();
  if (auto i = dyn_cast_or_null<IntegerAttr>(attr)) {
    if (i.getType().isInteger(1))
      return static_cast<double>(i.getValue().getZExtValue());
    return static_cast<double>(i.getValue().getSExtValue());
  }
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(attr)) {
    if (!dense.isSplat())
      return std::nullopt;
    return getAttrScalar(dense.getSplatValue<Attribute>());
  }
  return std::nullopt;
}

std::optional<double> fuse::getConstantScalar(Value v) {
  if (!v)
    return std::nullopt;
  Operation *def = v.getDefiningOp();
  if (!def)
    return std::nullopt;
  if (isa<arith::ExtFOp, arith::TruncFOp, arith::SIToFPOp>(def))
    return getConstantScalar(def->getOperand(0));
  if (auto c = dyn_cast<arith::ConstantOp>(def))
    return getAttrScalar(c.getValue());
  if (auto c = dyn_cast<tosa::ConstOp>(def))
    return getAttrScalar(c.getValues());
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Operand peeling
//===----------------------------------------------------------------------===//

Value fuse::getLeadingReshapeSource(Operation *op) {
  Value src;
  if (auto c = dyn_cast<tensor::CollapseShapeOp>(op))
    src = c.getSrc();
  else if (auto e = dyn_cast<tensor::ExpandShapeOp>(op))
    src = e.getSrc();
  else if (auto r = dyn_cast<tosa::ReshapeOp>(op))
    src = r.getInput1();
  else
    return {};
  RankedTensorType srcType = getStaticType(src, 2);
  RankedTensorType resType = getStaticType(op->getResult(0), 2);
  if (!srcType || !resType)
    return {};
  ArrayRef<int64_t> s = srcType.getShape(), r = resType.getShape();
  if (s.take_back(2) != r.take_back(2) ||
      product(s.drop_back(2)) != product(r.drop_back(2)))
    return {};
  return src;
}

void fuse::traceAttentionRoot(Operation *pv, AttentionMatch &m) {
  m.root = pv->getResult(0);
  SmallVector<Operation *> rootOps;
  while (m.root.hasOneUse()) {
    Operation *user = *m.root.getUsers().begin();
    if (getLeadingReshapeSource(user) != m.root)
      break;
    rootOps.push_back(user);
    m.root = user->getResult(0);
  }
  m.chain.append(rootOps.rbegin(), rootOps.rend());
  m.chain.push_back(pv);
}

FailureOr<Operation *> fuse::traceScoresToMatmul(
    Value s, AttentionMatch &m, function_ref<bool(Operation *)> isMatmul,
    function_ref<Value(Operation *, AttentionMatch &)> matchMask,
    std::string &reason) {
  for (bool first = true;; first = false) {
    if (!first && !s.hasOneUse()) {
      reason = "scores: a value between Q·Kᵀ and the softmax has other uses";
      return failure();
    }
    Operation *def = s.getDefiningOp();
    if (!def) {
      reason = "Q·Kᵀ: the scores are a block argument, not a matmul";
      return failure();
    }
    if (isMatmul(def))
      return def;
    m.chain.push_back(def);
    if (Value src = getLeadingReshapeSource(def)) {
      s = src;
      continue;
    }
    if (auto scale = matchConstantScale(def)) {
      m.scale *= scale->second;
      s = scale->first;
      continue;
    }
    if (Value in = matchMask(def, m)) {
      s = in;
      continue;
    }
    reason = ("scores: '" + def->getName().getStringRef() +
              "' is not a matmul, a constant scale, a reshape or a mask "
              "the matcher recognises")
                 .str();
    return failure();
  }
}

Value fuse::skipLeadingReshapes(Value v, SmallVectorImpl<Operation *> &chain) {
  while (Operation *def = v.getDefiningOp()) {
    Value src = getLeadingReshapeSource(def);
    if (!src || !v.hasOneUse())
      break;
    chain.push_back(def);
    v = src;
  }
  return v;
}

/// Whether `perm` is the identity except for a swap of the last two dims.
static bool isLastTwoSwap(ArrayRef<int64_t> perm) {
  int64_t n = perm.size();
  if (n < 2 || perm[n - 2] != n - 1 || perm[n - 1] != n - 2)
    return false;
  for (int64_t i = 0; i < n - 2; ++i)
    if (perm[i] != i)
      return false;
  return true;
}

/// A transpose of the last two dims: its input.
static Value getLastTwoTransposeSource(Operation *op) {
  if (auto t = dyn_cast<linalg::TransposeOp>(op))
    return isLastTwoSwap(t.getPermutation()) ? t.getInput() : Value();
  if (auto t = dyn_cast<tosa::TransposeOp>(op)) {
    SmallVector<int64_t> perm(t.getPerms().begin(), t.getPerms().end());
    return isLastTwoSwap(perm) ? t.getInput1() : Value();
  }
  return {};
}

/// Whether `generic` is elementwise over its single result with identity
/// indexing on the result.
static bool isElementwiseGeneric(linalg::GenericOp generic) {
  return generic.getNumDpsInits() == 1 &&
         generic.getNumParallelLoops() == generic.getNumLoops() &&
         generic.getMatchingIndexingMap(generic.getDpsInitOperand(0))
             .isIdentity();
}

std::optional<std::pair<Value, double>>
fuse::matchConstantScale(Operation *op) {
  if (auto mul = dyn_cast<tosa::MulOp>(op)) {
    std::optional<double> shift = getConstantScalar(mul.getShift());
    if (!shift || *shift != 0.0)
      return std::nullopt;
    if (std::optional<double> c = getConstantScalar(mul.getInput2()))
      return std::make_pair(mul.getInput1(), *c);
    if (std::optional<double> c = getConstantScalar(mul.getInput1()))
      return std::make_pair(mul.getInput2(), *c);
    return std::nullopt;
  }
  auto generic = dyn_cast<linalg::GenericOp>(op);
  if (!generic || !isElementwiseGeneric(generic))
    return std::nullopt;
  Block &body = generic.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  Operation *arith = yield.getOperand(0).getDefiningOp();
  if (!arith || !isa<arith::MulFOp, arith::DivFOp>(arith))
    return std::nullopt;
  // Exactly one input with identity map flows in as a block argument; the
  // other side is a constant (a captured scalar or a splat input).
  Value input;
  std::optional<double> factor;
  for (int side = 0; side < 2; ++side) {
    Value x = arith->getOperand(side), c = arith->getOperand(1 - side);
    auto xArg = dyn_cast<BlockArgument>(x);
    if (!xArg || xArg.getOwner() != &body ||
        xArg.getArgNumber() >= generic.getNumDpsInputs())
      continue;
    OpOperand *xOperand = generic.getDpsInputOperand(xArg.getArgNumber());
    if (!generic.getMatchingIndexingMap(xOperand).isIdentity())
      continue;
    if (isa<arith::DivFOp>(arith) && side != 0)
      continue;
    std::optional<double> cst;
    if (auto cArg = dyn_cast<BlockArgument>(c)) {
      if (cArg.getOwner() == &body &&
          cArg.getArgNumber() < generic.getNumDpsInputs())
        cst = getConstantScalar(
            generic.getDpsInputOperand(cArg.getArgNumber())->get());
    } else {
      // A captured constant, or one computed in the body (torch-mlir
      // truncates an f64 constant there).
      cst = getConstantScalar(c);
    }
    if (!cst)
      continue;
    input = xOperand->get();
    factor = isa<arith::DivFOp>(arith) ? 1.0 / *cst : *cst;
    break;
  }
  if (!input || !factor || !std::isfinite(*factor) || *factor == 0.0)
    return std::nullopt;
  return std::make_pair(input, *factor);
}

/// A broadcast that inserts (or tiles a size-1) leading dimension `p` whose
/// following leading dimensions all have size 1: (input, factor). Then result
/// batch-head `n` reads input batch-head `n / factor`, as GQA's
/// `repeat_interleave` of heads does.
static std::optional<std::pair<Value, int64_t>>
matchHeadBroadcast(Operation *op) {
  RankedTensorType resType = getStaticType(op->getResult(0), 3);
  if (!resType)
    return std::nullopt;
  int64_t rank = resType.getRank();
  Value input;
  int64_t dim = -1;
  if (auto generic = dyn_cast<linalg::GenericOp>(op)) {
    if (!isElementwiseGeneric(generic) || generic.getNumDpsInputs() != 1)
      return std::nullopt;
    Block &body = generic.getRegion().front();
    auto yield = cast<linalg::YieldOp>(body.getTerminator());
    if (body.getOperations().size() != 1 ||
        yield.getOperand(0) != body.getArgument(0))
      return std::nullopt;
    AffineMap map =
        generic.getMatchingIndexingMap(generic.getDpsInputOperand(0));
    // Identity with one dim dropped: that dim is the broadcast one.
    if (map.getNumResults() != static_cast<unsigned>(rank - 1))
      return std::nullopt;
    llvm::SmallBitVector seen(rank);
    int64_t last = -1;
    for (AffineExpr e : map.getResults()) {
      auto d = dyn_cast<AffineDimExpr>(e);
      if (!d || static_cast<int64_t>(d.getPosition()) <= last)
        return std::nullopt;
      last = d.getPosition();
      seen.set(last);
    }
    dim = seen.find_first_unset();
    input = generic.getDpsInputOperand(0)->get();
  } else if (auto bcast = dyn_cast<linalg::BroadcastOp>(op)) {
    if (bcast.getDimensions().size() != 1)
      return std::nullopt;
    dim = bcast.getDimensions()[0];
    input = bcast.getInput();
  } else if (auto tile = dyn_cast<tosa::TileOp>(op)) {
    RankedTensorType inType = getStaticType(tile.getInput1(), 3);
    if (!inType)
      return std::nullopt;
    for (int64_t i = 0; i < rank; ++i) {
      if (inType.getDimSize(i) == resType.getDimSize(i))
        continue;
      if (dim >= 0 || inType.getDimSize(i) != 1)
        return std::nullopt;
      dim = i;
    }
    input = tile.getInput1();
  } else {
    return std::nullopt;
  }
  if (dim < 0 || dim >= rank - 2)
    return std::nullopt;
  for (int64_t i = dim + 1; i < rank - 2; ++i)
    if (resType.getDimSize(i) != 1)
      return std::nullopt;
  return std::make_pair(input, resType.getDimSize(dim));
}

LogicalResult fuse::finishMatch(AttentionMatch &m, const PeeledOperand &q,
                                const PeeledOperand &k, const PeeledOperand &v,
                                std::string &reason) {
  m.query = q.base;
  m.key = k.base;
  m.value = v.base;
  m.keyGroup = k.group;
  m.valueGroup = v.group;
  m.scale *= q.scale * k.scale;
  return checkFusedAttention(m, reason);
}

PeeledOperand fuse::peelOperand(Value v, SmallVectorImpl<Operation *> &chain) {
  PeeledOperand peeled;
  while (Operation *def = v.getDefiningOp()) {
    if (!v.hasOneUse())
      break;
    if (Value src = getLeadingReshapeSource(def)) {
      v = src;
    } else if (Value src = getLastTwoTransposeSource(def)) {
      peeled.swapped = !peeled.swapped;
      v = src;
    } else if (auto scale = matchConstantScale(def)) {
      peeled.scale *= scale->second;
      v = scale->first;
    } else if (auto bcast = matchHeadBroadcast(def)) {
      peeled.group *= bcast->second;
      v = bcast->first;
    } else {
      break;
    }
    chain.push_back(def);
  }
  peeled.base = v;
  return peeled;
}

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

void mlir::attn::populateFuseAttentionPatterns(RewritePatternSet &patterns) {
  populateFuseUnfusedAttentionPatterns(patterns);
  populateFuseLinalgAttentionPatterns(patterns);
  populateFuseTosaAttentionPatterns(patterns);
}

/// Whether `op` multiplies matrices: tosa.matmul, attn.scores,
/// attn.weighted_sum, or a linalg op with two or more inputs that reduces a
/// product into its output (a contraction, possibly with elementwise work
/// fused in).
static bool isMatrixProduct(Operation *op) {
  if (isa<tosa::MatMulOp, ScoresOp, WeightedSumOp>(op))
    return true;
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp || linalgOp.getNumDpsInputs() < 2 ||
      linalgOp.getNumReductionLoops() == 0 || op->getNumRegions() != 1 ||
      op->getRegion(0).empty())
    return false;
  if (linalg::isaContractionOpInterface(linalgOp))
    return true;
  Operation *yield = op->getRegion(0).front().getTerminator();
  if (yield->getNumOperands() != 1)
    return false;
  auto add = yield->getOperand(0).getDefiningOp<arith::AddFOp>();
  return add && llvm::any_of(add->getOperands(), [](Value v) {
           return v.getDefiningOp<arith::MulFOp>() != nullptr;
         });
}

/// Whether the operand side of a matrix product `op` looks like the
/// probabilities of attention: within a few ops upwards (not past another
/// matrix product) there is an exponential, a reduction, and a matrix
/// product, or a softmax op and a matrix product.
static bool looksLikeAttention(Operation *op) {
  if (isa<WeightedSumOp>(op))
    return true;
  if (!isMatrixProduct(op))
    return false;
  constexpr unsigned kMaxOps = 48;
  bool exp = false, reduce = false, softmax = false, product = false;
  SmallVector<Operation *> work;
  llvm::SmallPtrSet<Operation *, 32> seen;
  for (Value in : op->getOperands())
    if (Operation *def = in.getDefiningOp())
      work.push_back(def);
  while (!work.empty() && seen.size() < kMaxOps) {
    Operation *def = work.pop_back_val();
    if (!seen.insert(def).second)
      continue;
    if (isMatrixProduct(def)) {
      product = true;
      continue;
    }
    if (isa<linalg::SoftmaxOp, SoftmaxOp>(def))
      softmax = true;
    if (isa<tosa::ExpOp>(def))
      exp = true;
    if (isa<tosa::ReduceSumOp, tosa::ReduceMaxOp>(def))
      reduce = true;
    if (auto generic = dyn_cast<linalg::GenericOp>(def)) {
      if (generic.getNumReductionLoops() > 0)
        reduce = true;
      generic.getRegion().walk([&](Operation *inner) {
        if (isa<math::ExpOp, math::Exp2Op>(inner))
          exp = true;
      });
    }
    for (Value in : def->getOperands())
      if (Operation *up = in.getDefiningOp())
        work.push_back(up);
  }
  return product && (softmax || (exp && reduce));
}

namespace {
struct FuseAttentionPass
    : public mlir::attn::impl::FuseAttentionPassBase<FuseAttentionPass> {
  using FuseAttentionPassBase::FuseAttentionPassBase;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateFuseAttentionPatterns(patterns);
    // Only the fusion patterns run: no folding of unrelated ops.
    GreedyRewriteConfig config;
    config.enableFolding(false);
    if (failed(
            applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      return signalPassFailure();
    if (reportMisses)
      getOperation()->walk([](Operation *op) {
        if (!looksLikeAttention(op))
          return;
        AttentionMatch m;
        std::string reason;
        LogicalResult matched =
            isa<WeightedSumOp>(op)      ? matchUnfusedAttention(op, m, reason)
            : isa<tosa::MatMulOp>(op)   ? matchTosaAttention(op, m, reason)
            : isa<linalg::LinalgOp>(op) ? matchLinalgAttention(op, m, reason)
                                        : failure();
        if (failed(matched) && reason.empty())
          reason = ("P·V: '" + op->getName().getStringRef() +
                    "' is not a form the matcher knows")
                       .str();
        if (failed(matched))
          op->emitRemark() << "attention-like chain not fused: " << reason;
      });
  }
};
} // namespace
