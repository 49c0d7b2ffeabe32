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
/// dimension, possibly followed by an expand_shape appending a unit dim, or
/// (keepdim after reshape propagation) reducing `input` expanded with a unit
/// dim before its last one, `[..., Sq, 1, Sk]` to `[..., Sq, 1]`. Appends
/// the ops to `chain`; returns the op that reads `input`, or null.
static Operation *matchRowReduce(Value red, Value input, bool isMax,
                                 SmallVectorImpl<Operation *> &chain) {
  if (!red.hasOneUse())
    return nullptr;
  SmallVector<Operation *> ops;
  // [L..., Sq, 1] regrouped in its leading dimensions.
  if (Operation *def = red.getDefiningOp()) {
    if (Value src = getLeadingReshapeSource(def); src && src.hasOneUse()) {
      ops.push_back(def);
      red = src;
    }
  }
  if (auto expand = red.getDefiningOp<tensor::ExpandShapeOp>()) {
    auto srcType = expand.getSrcType();
    auto resType = expand.getResultType();
    if (resType.getRank() != srcType.getRank() + 1 ||
        resType.getDimSize(resType.getRank() - 1) != 1 ||
        !expand.getSrc().hasOneUse())
      return nullptr;
    ops.push_back(expand);
    red = expand.getSrc();
  }
  auto generic = red.getDefiningOp<linalg::GenericOp>();
  if (!generic || generic.getNumDpsInputs() != 1 ||
      cast<OpResult>(red).getResultNumber() != 0)
    return nullptr;
  unsigned rank = generic.getNumLoops();
  Value read = generic.getDpsInputOperand(0)->get();
  Operation *reader = generic;
  bool keepDim = false;
  if (auto expand = read.getDefiningOp<tensor::ExpandShapeOp>();
      expand && expand.getSrc() == input && read.hasOneUse()) {
    // [..., Sq, Sk] -> [..., Sq, 1, Sk]: the reassociation groups row
    // dimension r - 2 with the new unit dim.
    auto srcType = expand.getSrcType();
    auto resType = expand.getResultType();
    int64_t r = srcType.getRank();
    SmallVector<ReassociationIndices> groups = expand.getReassociationIndices();
    if (resType.getRank() != r + 1 || resType.getDimSize(r - 1) != 1 || r < 2 ||
        groups.size() != static_cast<size_t>(r) ||
        groups[r - 2] != ReassociationIndices{r - 2, r - 1})
      return nullptr;
    keepDim = true;
    reader = expand;
    read = input;
  }
  if (read != input)
    return nullptr;
  auto inputType = dyn_cast<RankedTensorType>(input.getType());
  AffineMap outMap =
      generic.getMatchingIndexingMap(generic.getDpsInitOperand(0));
  if (!inputType ||
      inputType.getRank() + (keepDim ? 1 : 0) != static_cast<int64_t>(rank) ||
      generic.getNumReductionLoops() != 1 ||
      generic.getIteratorTypesArray().back() !=
          utils::IteratorType::reduction ||
      !generic.getMatchingIndexingMap(generic.getDpsInputOperand(0))
           .isIdentity() ||
      !isRowMap(outMap, rank))
    return nullptr;
  // Extra results (torch's argmax) must be unused.
  for (unsigned i = 1; i < generic->getNumResults(); ++i)
    if (!generic->getResult(i).use_empty())
      return nullptr;
  Block &body = generic.getRegion().front();
  Value in = body.getArgument(0), acc = body.getArgument(1);
  Operation *combiner = getYielded(generic).getDefiningOp();
  if (!combiner || combiner->getNumOperands() != 2 ||
      !((combiner->getOperand(0) == in && combiner->getOperand(1) == acc) ||
        (combiner->getOperand(0) == acc && combiner->getOperand(1) == in)))
    return nullptr;
  std::optional<double> init =
      getFillValue(generic.getDpsInitOperand(0)->get());
  if (!init)
    return nullptr;
  if (isMax) {
    if (!isa<arith::MaximumFOp, arith::MaxNumFOp>(combiner) ||
        *init > -static_cast<double>(FLT_MAX))
      return nullptr;
  } else if (!isa<arith::AddFOp>(combiner) || *init != 0.0) {
    return nullptr;
  }
  ops.push_back(generic);
  if (keepDim)
    ops.push_back(reader);
  chain.append(ops);
  return reader;
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
// Contractions
//===----------------------------------------------------------------------===//

namespace {
/// `C[b..., m, n] = Σ_k A[b..., m, k] · B[b..., k, n]` accumulated into
/// zeros, whatever op spells it: linalg.matmul, linalg.batch_matmul (default
/// or user maps: transposed operands), linalg.contract or an einsum-style
/// linalg.generic. A is [b..., k, m] when `lhsTransposed`, B is [b..., n, k]
/// when `rhsTransposed`.
struct Contraction {
  Value lhs, rhs;
  bool lhsTransposed = false, rhsTransposed = false;
  /// Constant factors on the operands inside the body (elementwise fusion
  /// moves scales there): the product is `scale · Σ_k A · B`.
  double scale = 1.0;
};
} // namespace

/// A generic body `acc + f(a) · g(b)` with `f`, `g` the identity or a
/// multiplication or division by a constant: sets the product of the
/// constants.
static bool matchScaledProductBody(linalg::GenericOp generic, double &scale) {
  if (generic.getNumDpsInputs() != 2 || generic.getNumDpsInits() != 1)
    return false;
  Block &body = generic.getRegion().front();
  Value acc = body.getArgument(2);
  auto add = getYielded(generic).getDefiningOp<arith::AddFOp>();
  if (!add || (add.getLhs() != acc && add.getRhs() != acc))
    return false;
  auto mul = (add.getLhs() == acc ? add.getRhs() : add.getLhs())
                 .getDefiningOp<arith::MulFOp>();
  if (!mul)
    return false;
  scale = 1.0;
  // The block argument under `x`, folding a constant factor into `scale`.
  auto peel = [&](Value x) -> Value {
    if (auto m = x.getDefiningOp<arith::MulFOp>()) {
      for (int side = 0; side < 2; ++side)
        if (std::optional<double> c =
                getBodyConstant(generic, m->getOperand(1 - side))) {
          scale *= *c;
          return m->getOperand(side);
        }
      return {};
    }
    if (auto d = x.getDefiningOp<arith::DivFOp>()) {
      std::optional<double> c = getBodyConstant(generic, d.getRhs());
      if (!c || *c == 0.0)
        return {};
      scale /= *c;
      return d.getLhs();
    }
    return x;
  };
  Value a = peel(mul.getLhs()), b = peel(mul.getRhs());
  return (a == body.getArgument(0) && b == body.getArgument(1)) ||
         (a == body.getArgument(1) && b == body.getArgument(0));
}

static FailureOr<Contraction> matchContraction(Operation *op,
                                               std::string &why) {
  auto fail = [&](const Twine &msg) {
    why = ("'" + op->getName().getStringRef() + "' " + msg).str();
    return failure();
  };
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  double scale = 1.0;
  if (!linalgOp)
    return fail("is not a contraction");
  if (!linalg::isaContractionOpInterface(linalgOp)) {
    auto generic = dyn_cast<linalg::GenericOp>(op);
    if (!generic || !matchScaledProductBody(generic, scale))
      return fail("is not a contraction");
  }
  if (linalgOp.getNumDpsInputs() != 2 || linalgOp.getNumDpsInits() != 1 ||
      op->getNumResults() != 1)
    return fail("does not have two inputs and one tensor result");
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(linalgOp);
  if (failed(dims) || dims->m.size() != 1 || dims->n.size() != 1 ||
      dims->k.size() != 1)
    return fail("does not contract one dimension of a matrix product");
  SmallVector<AffineMap> maps = linalgOp.getIndexingMapsArray();
  // Results (batch..., x, y) of `map` as loop positions, or empty.
  auto positions = [](AffineMap map) {
    SmallVector<unsigned> pos;
    for (AffineExpr e : map.getResults()) {
      auto d = dyn_cast<AffineDimExpr>(e);
      if (!d)
        return SmallVector<unsigned>();
      pos.push_back(d.getPosition());
    }
    return pos;
  };
  SmallVector<unsigned> a = positions(maps[0]), b = positions(maps[1]),
                        c = positions(maps[2]);
  unsigned m = dims->m[0], n = dims->n[0], k = dims->k[0];
  size_t nb = dims->batch.size();
  if (c.size() != nb + 2 || a.size() != nb + 2 || b.size() != nb + 2 ||
      c[nb] != m || c[nb + 1] != n)
    return fail("has an output that is not [batch..., M, N]");
  for (size_t i = 0; i < nb; ++i)
    if (a[i] != c[i] || b[i] != c[i])
      return fail("has batch dimensions that are not leading and in order");
  Contraction result;
  result.scale = scale;
  if (a[nb] == k && a[nb + 1] == m)
    result.lhsTransposed = true;
  else if (a[nb] != m || a[nb + 1] != k)
    return fail("has an lhs that is not [batch..., M, K] or [batch..., K, M]");
  if (b[nb] == n && b[nb + 1] == k)
    result.rhsTransposed = true;
  else if (b[nb] != k || b[nb + 1] != n)
    return fail("has an rhs that is not [batch..., K, N] or [batch..., N, K]");
  std::optional<double> init = getFillValue(linalgOp.getDpsInits()[0]);
  if (!init || *init != 0.0)
    return fail("accumulates into a tensor that is not zero-filled");
  result.lhs = linalgOp.getDpsInputs()[0];
  result.rhs = linalgOp.getDpsInputs()[1];
  return result;
}

namespace {
/// `O[b..., m, n] = Σ_k (E[b..., m, k] / R[b..., m]) · V[b..., k, n]`: the
/// softmax's division fused into the P·V contraction (elementwise fusion).
struct NormalizedContraction {
  Value e, rowSum, v;
  bool vTransposed = false;
  /// torch's fully-masked-row guard moved in as well: `select(g, 0, e / R)`
  /// with `g = all(s == -inf)` per row, or null.
  Value allHidden;
};
} // namespace

static std::optional<NormalizedContraction>
matchNormalizedContraction(Operation *op) {
  auto generic = dyn_cast<linalg::GenericOp>(op);
  if (!generic ||
      (generic.getNumDpsInputs() != 3 && generic.getNumDpsInputs() != 4) ||
      generic.getNumDpsInits() != 1 || generic->getNumResults() != 1 ||
      generic.getNumReductionLoops() != 1)
    return std::nullopt;
  Block &body = generic.getRegion().front();
  Value acc = body.getArgument(generic.getNumDpsInputs());
  auto add = getYielded(generic).getDefiningOp<arith::AddFOp>();
  if (!add)
    return std::nullopt;
  Value prod = add.getLhs() == acc   ? add.getRhs()
               : add.getRhs() == acc ? add.getLhs()
                                     : Value();
  auto mul = prod ? prod.getDefiningOp<arith::MulFOp>() : arith::MulFOp();
  if (!mul)
    return std::nullopt;
  arith::DivFOp div;
  arith::SelectOp guard;
  Value vArg;
  for (int side = 0; side < 2 && !div; ++side) {
    Value x = mul->getOperand(side);
    if (auto sel = x.getDefiningOp<arith::SelectOp>()) {
      std::optional<double> zero = getBodyConstant(generic, sel.getTrueValue());
      if (!zero || *zero != 0.0)
        continue;
      guard = sel;
      x = sel.getFalseValue();
    }
    if ((div = x.getDefiningOp<arith::DivFOp>()))
      vArg = mul->getOperand(1 - side);
  }
  OpOperand *e = div ? getInputOf(generic, div.getLhs()) : nullptr;
  OpOperand *r = div ? getInputOf(generic, div.getRhs()) : nullptr;
  OpOperand *v = vArg ? getInputOf(generic, vArg) : nullptr;
  OpOperand *g = guard ? getInputOf(generic, guard.getCondition()) : nullptr;
  if (!e || !r || !v || e == r || e == v || r == v || (guard && !g) ||
      generic.getNumDpsInputs() != (guard ? 4u : 3u))
    return std::nullopt;
  unsigned rank = generic.getNumLoops();
  unsigned k = rank;
  for (auto [i, it] : llvm::enumerate(generic.getIteratorTypesArray()))
    if (it == utils::IteratorType::reduction)
      k = i;
  auto dims = [](AffineMap map) {
    SmallVector<unsigned> pos;
    for (AffineExpr x : map.getResults()) {
      auto d = dyn_cast<AffineDimExpr>(x);
      if (!d)
        return SmallVector<unsigned>();
      pos.push_back(d.getPosition());
    }
    return pos;
  };
  SmallVector<unsigned> out =
      dims(generic.getMatchingIndexingMap(generic.getDpsInitOperand(0)));
  if (out.size() + 1 != rank || out.size() < 2)
    return std::nullopt;
  unsigned m = out[out.size() - 2], n = out.back();
  SmallVector<unsigned> batch(out.begin(), out.end() - 2);
  auto with = [&](std::initializer_list<unsigned> tail) {
    SmallVector<unsigned> x(batch);
    x.append(tail);
    return x;
  };
  if (dims(generic.getMatchingIndexingMap(e)) != with({m, k}))
    return std::nullopt;
  // Row values: (b..., m) or (b..., m, 0).
  auto isRow = [&](OpOperand *operand) {
    AffineMap map = generic.getMatchingIndexingMap(operand);
    bool keepDim = map.getNumResults() == out.size();
    if (keepDim) {
      auto c = dyn_cast<AffineConstantExpr>(map.getResults().back());
      if (!c || c.getValue() != 0)
        return false;
    }
    return dims(keepDim ? map.dropResult(out.size() - 1) : map) == with({m});
  };
  if (!isRow(r) || (g && !isRow(g)))
    return std::nullopt;
  NormalizedContraction result;
  SmallVector<unsigned> vDims = dims(generic.getMatchingIndexingMap(v));
  if (vDims == with({n, k}))
    result.vTransposed = true;
  else if (vDims != with({k, n}))
    return std::nullopt;
  std::optional<double> init =
      getFillValue(generic.getDpsInitOperand(0)->get());
  if (!init || *init != 0.0)
    return std::nullopt;
  result.e = e->get();
  result.rowSum = r->get();
  result.v = v->get();
  if (g)
    result.allHidden = g->get();
  return result;
}

static bool isContraction(Operation *op) {
  std::string why;
  return succeeded(matchContraction(op, why));
}

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

/// Whether the users of `v` are exactly `expected`, one use each.
static bool usersAre(Value v, ArrayRef<Operation *> expected) {
  for (Operation *user : v.getUsers())
    if (!llvm::is_contained(expected, user))
      return false;
  return static_cast<size_t>(std::distance(
             v.getUses().begin(), v.getUses().end())) == expected.size();
}

static Value matchExpOverSum(Value e, Value sum, Operation *div,
                             SmallVectorImpl<Operation *> &chain,
                             ArrayRef<Operation *> extraUsers,
                             std::string &why);

/// Matches `p = softmax(s)` over the last dimension and returns `s`. The ops
/// are appended to `chain`; `extraUsers` are ops allowed to use `s` besides
/// the softmax (the fully-masked-row guard). On failure `why` says which
/// step did not match.
static Value matchSoftmax(Value p, SmallVectorImpl<Operation *> &chain,
                          ArrayRef<Operation *> extraUsers, std::string &why) {
  auto fail = [&](const char *msg) {
    why = std::string("softmax: ") + msg;
    return Value();
  };
  if (!p.hasOneUse())
    return fail("the probabilities have other uses");
  if (auto softmax = p.getDefiningOp<linalg::SoftmaxOp>()) {
    auto type = dyn_cast<RankedTensorType>(softmax.getInput().getType());
    if (!type ||
        static_cast<int64_t>(softmax.getDimension()) != type.getRank() - 1)
      return fail("linalg.softmax is not over the last dimension (the keys)");
    SmallVector<Operation *> users(extraUsers);
    users.push_back(softmax);
    if (!usersAre(softmax.getInput(), users))
      return fail("the scores have other uses");
    chain.push_back(softmax);
    return softmax.getInput();
  }

  // p = e / sum(e), e = exp(s - max(s)): the subtraction in its own generic
  // or, after elementwise fusion, in the exponential's.
  auto div = p.getDefiningOp<linalg::GenericOp>();
  auto divOperands = matchRowBroadcastBinary<arith::DivFOp>(div);
  if (!divOperands)
    return fail("the probabilities are not e / rowsum(e) (linalg.softmax or "
                "a divide generic by a row-broadcast value)");
  chain.push_back(div);
  return matchExpOverSum(divOperands->first, divOperands->second, div, chain,
                         extraUsers, why);
}

/// The rest of the softmax from `e / sum` (computed by `div`, a divide
/// generic or the P·V contraction it was fused into): `e = exp(s - max(s))`
/// and `sum = rowsum(e)`. Returns `s`.
static Value matchExpOverSum(Value e, Value sum, Operation *div,
                             SmallVectorImpl<Operation *> &chain,
                             ArrayRef<Operation *> extraUsers,
                             std::string &why) {
  auto fail = [&](const char *msg) {
    why = std::string("softmax: ") + msg;
    return Value();
  };
  auto exp = e.getDefiningOp<linalg::GenericOp>();
  auto expOp = isElementwise(exp) ? getYielded(exp).getDefiningOp<math::ExpOp>()
                                  : math::ExpOp();
  if (!expOp)
    return fail("the numerator is not an elementwise exp");
  SmallVector<Operation *> ops;
  Value s, max;
  Operation *subUser = exp;
  if (auto subf = expOp.getOperand().getDefiningOp<arith::SubFOp>();
      subf && exp.getNumDpsInputs() == 2) {
    // exp(s - max) in one generic.
    OpOperand *x = getInputOf(exp, subf.getLhs());
    OpOperand *row = getInputOf(exp, subf.getRhs());
    if (!x || !row || !exp.getMatchingIndexingMap(x).isIdentity() ||
        !isRowMap(exp.getMatchingIndexingMap(row), exp.getNumLoops()))
      return fail("the exponential's argument is not s - rowmax(s)");
    s = x->get();
    max = row->get();
  } else {
    OpOperand *x = exp.getNumDpsInputs() == 1
                       ? getInputOf(exp, expOp.getOperand())
                       : nullptr;
    if (!x || !exp.getMatchingIndexingMap(x).isIdentity())
      return fail("the exponential's argument is not s - rowmax(s)");
    auto sub = x->get().getDefiningOp<linalg::GenericOp>();
    auto subOperands = matchRowBroadcastBinary<arith::SubFOp>(sub);
    if (!subOperands)
      return fail("the exponential's argument is not s - rowmax(s)");
    if (!x->get().hasOneUse())
      return fail("s - rowmax(s) has other uses");
    std::tie(s, max) = *subOperands;
    subUser = sub;
  }

  // e feeds the division and the sum only.
  Operation *sumOp = nullptr;
  for (Operation *user : e.getUsers())
    if (user != div)
      sumOp = user;
  if (!sumOp || !usersAre(e, {div, sumOp}))
    return fail("the exponentials have uses other than the row sum and the "
                "division");
  if (matchRowReduce(sum, e, /*isMax=*/false, ops) != sumOp)
    return fail("the denominator is not a row sum of the exponentials");
  ops.push_back(exp);
  if (subUser != exp)
    ops.push_back(subUser);
  Operation *maxOp = matchRowReduce(max, s, /*isMax=*/true, ops);
  if (!maxOp && s.hasOneUse()) {
    // After reshape propagation the maximum may read the scores before a
    // regrouping of their leading dimensions that the exponential reads
    // after: continue from the scores before it.
    Operation *reshape = s.getDefiningOp();
    Value src = reshape ? getLeadingReshapeSource(reshape) : Value();
    SmallVector<Operation *> withReshape(ops);
    withReshape.push_back(reshape);
    if (src &&
        (maxOp = matchRowReduce(max, src, /*isMax=*/true, withReshape))) {
      ops = std::move(withReshape);
      s = src;
      subUser = reshape;
    }
  }
  if (!maxOp)
    return fail("the subtracted value is not the row maximum of the scores");
  SmallVector<Operation *> users(extraUsers);
  users.append({subUser, maxOp});
  if (!usersAre(s, users))
    return fail("the scores have other uses");
  chain.append(ops);
  return s;
}

/// Whether `cmpf` in `generic`'s body is `x == -inf` for the block argument
/// `x` (possibly extended to f64 first).
static bool isNegInfTest(arith::CmpFOp cmpf, Value x) {
  if (!cmpf || cmpf.getPredicate() != arith::CmpFPredicate::OEQ)
    return false;
  Value lhs = cmpf.getLhs();
  if (auto ext = lhs.getDefiningOp<arith::ExtFOp>())
    lhs = ext.getIn();
  std::optional<double> inf = getConstantScalar(cmpf.getRhs());
  return lhs == x && inf && std::isinf(*inf) && *inf < 0;
}

/// `all` is `all(s == -inf)` over the last dimension of the scores `s`,
/// init true, possibly through an
/// expand_shape appending a unit dim: the comparison in its own elementwise
/// generic or in the reduction's body. Appends the ops to `ops`; returns the
/// op that reads `s` (null on failure) and sets `s`.
static Operation *matchAllHiddenRows(Value all, Value &s,
                                     SmallVectorImpl<Operation *> &ops) {
  if (!all.hasOneUse())
    return nullptr;
  if (auto expand = all.getDefiningOp<tensor::ExpandShapeOp>()) {
    if (!expand.getSrc().hasOneUse())
      return nullptr;
    ops.push_back(expand);
    all = expand.getSrc();
  }
  auto reduce = all.getDefiningOp<linalg::GenericOp>();
  if (!reduce || reduce.getNumDpsInputs() != 1 ||
      reduce->getNumResults() != 1 || reduce.getNumReductionLoops() != 1 ||
      reduce.getIteratorTypesArray().back() != utils::IteratorType::reduction)
    return nullptr;
  auto andOp = getYielded(reduce).getDefiningOp<arith::AndIOp>();
  std::optional<double> init = getFillValue(reduce.getDpsInitOperand(0)->get());
  if (!andOp || !init || *init == 0.0 ||
      !isRowMap(reduce.getMatchingIndexingMap(reduce.getDpsInitOperand(0)),
                reduce.getNumLoops()) ||
      !reduce.getMatchingIndexingMap(reduce.getDpsInputOperand(0)).isIdentity())
    return nullptr;
  ops.push_back(reduce);
  Block &body = reduce.getRegion().front();
  // The comparison in the reduction's body: and(s == -inf, acc).
  for (int side = 0; side < 2; ++side) {
    if (andOp->getOperand(1 - side) != body.getArgument(1))
      continue;
    if (isNegInfTest(andOp->getOperand(side).getDefiningOp<arith::CmpFOp>(),
                     body.getArgument(0))) {
      s = reduce.getDpsInputOperand(0)->get();
      return reduce;
    }
  }
  // cmp = (s == -inf), elementwise.
  Value cmpValue = reduce.getDpsInputOperand(0)->get();
  auto cmp = cmpValue.getDefiningOp<linalg::GenericOp>();
  if (!cmpValue.hasOneUse() || !isElementwise(cmp) ||
      cmp.getNumDpsInputs() != 1 ||
      !cmp.getMatchingIndexingMap(cmp.getDpsInputOperand(0)).isIdentity() ||
      !isNegInfTest(getYielded(cmp).getDefiningOp<arith::CmpFOp>(),
                    cmp.getRegion().front().getArgument(0)))
    return nullptr;
  ops.push_back(cmp);
  s = cmp.getDpsInputOperand(0)->get();
  return cmp;
}

/// Matches torch's guard `select(all(s == -inf, row), 0, p)` around a
/// softmax: returns `p` and the op reading `s` for the test, or null.
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
      !isRowMap(select.getMatchingIndexingMap(rows), rank))
    return {};
  SmallVector<Operation *> ops = {select};
  Value s;
  Operation *reader = matchAllHiddenRows(rows->get(), s, ops);
  if (!reader)
    return {};
  chain.append(ops);
  return {p->get(), reader};
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

/// ALiBi in the body: `slope · (j - i)` with `slope` read from a 1-D float
/// input indexed by the head dimension of `[B, H, Sq, Sk]` scores (or of
/// flattened `[B·H, Sq, Sk]` ones, whose heads the fused op then checks),
/// or at `d0 mod H` of flattened scores (the head within the batch; `heads`
/// receives H). Returns that input, or null.
static Value matchAlibiBias(linalg::GenericOp generic, Value v, unsigned rank,
                            int64_t &heads) {
  auto mul = v.getDefiningOp<arith::MulFOp>();
  if (!mul || rank < 3)
    return {};
  MLIRContext *ctx = generic.getContext();
  AffineExpr head = getAffineDimExpr(rank - 3, ctx);
  for (int side = 0; side < 2; ++side) {
    OpOperand *slopes = getInputOf(generic, mul->getOperand(side));
    if (!slopes || !isKeyDistance(Value(), AffineMap(),
                                  mul->getOperand(1 - side), generic, rank))
      continue;
    AffineMap map = generic.getMatchingIndexingMap(slopes);
    auto type = dyn_cast<RankedTensorType>(slopes->get().getType());
    if (!type || type.getRank() != 1 ||
        !isa<FloatType>(type.getElementType()) || map.getNumResults() != 1)
      continue;
    AffineExpr e = map.getResult(0);
    if (e == head) {
      heads = 0;
      return slopes->get();
    }
    // d0 mod H over flattened scores, H the number of slopes.
    int64_t h = type.getDimSize(0);
    if (rank == 3 && !ShapedType::isDynamic(h) && h > 0 &&
        e == head % getAffineConstantExpr(h, ctx)) {
      heads = h;
      return slopes->get();
    }
  }
  return {};
}

/// A generic applying a mask to the scores `select(c, -inf, s)`,
/// `select(c, s, -inf)` or `s + bias`: returns the scores input and records
/// the mask in `m`. A mask that is not recognised as causal becomes the
/// `attn_mask` operand when it is a whole tensor input of the generic: a
/// float bias as an additive mask, an i1 condition (with -inf as the hiding
/// value) as a boolean mask.
static Value matchMaskGeneric(linalg::GenericOp generic, AttentionMatch &m) {
  // A mask under a softcap (applied before it) would not hide: -inf
  // becomes -cap.
  if (!isElementwise(generic) || m.softcap)
    return {};
  auto type = dyn_cast<RankedTensorType>(generic->getResult(0).getType());
  if (!type || !type.hasStaticShape() || type.getRank() < 2)
    return {};
  int64_t rank = type.getRank();
  int64_t sq = type.getDimSize(rank - 2), sk = type.getDimSize(rank - 1);
  Value yielded = getYielded(generic);
  // The scores input, possibly under a constant scale in the same body
  // (after elementwise fusion), which `bodyScale` receives.
  double bodyScale = 1.0;
  auto isScores = [&](Value v) -> OpOperand * {
    bodyScale = 1.0;
    if (auto mul = v.getDefiningOp<arith::MulFOp>()) {
      for (int side = 0; side < 2; ++side)
        if (std::optional<double> c =
                getBodyConstant(generic, mul->getOperand(1 - side));
            c && getInputOf(generic, mul->getOperand(side))) {
          bodyScale = *c;
          v = mul->getOperand(side);
          break;
        }
    } else if (auto div = v.getDefiningOp<arith::DivFOp>()) {
      if (std::optional<double> c = getBodyConstant(generic, div.getRhs());
          c && *c != 0.0 && getInputOf(generic, div.getLhs())) {
        bodyScale = 1.0 / *c;
        v = div.getLhs();
      }
    }
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
      auto effect = [&](double v) {
        MaskEffect e = selectMaskEffect(v, hiddenWhenTrue);
        return e == MaskEffect::Hidden && finite ? MaskEffect::HiddenFinite : e;
      };
      auto classify = [&](Value cond) {
        return classifyMask(Value(), AffineMap(), cond, generic, rank, sq, sk,
                            effect);
      };
      if (std::optional<MaskClass> cls = classify(sel.getCondition())) {
        if (!addMask(m, *cls))
          return {};
        m.scale *= bodyScale;
        return scores->get();
      }
      // Both sides of a band in one select: keys shown where a and b both
      // hold (`and` of the conditions that show) or hidden where either
      // does (`or` of the conditions that hide), each side a mask of its
      // own.
      Operation *condDef = sel.getCondition().getDefiningOp();
      if (condDef && condDef->getBlock() == &generic.getRegion().front() &&
          (hiddenWhenTrue ? isa<arith::OrIOp>(condDef)
                          : isa<arith::AndIOp>(condDef))) {
        std::optional<MaskClass> a = classify(condDef->getOperand(0));
        std::optional<MaskClass> b = classify(condDef->getOperand(1));
        if (a && b && addMask(m, *a) && addMask(m, *b)) {
          m.scale *= bodyScale;
          return scores->get();
        }
        return {};
      }
      OpOperand *cond = getInputOf(generic, sel.getCondition());
      // The same two sides computed into a boolean tensor by another
      // generic (a band built apart from the select).
      if (cond) {
        std::optional<SmallVector<MaskClass, 2>> parts =
            classifyMaskParts(cond->get(), generic.getMatchingIndexingMap(cond),
                              hiddenWhenTrue, rank, sq, sk, effect);
        if (parts) {
          for (const MaskClass &part : *parts)
            if (!addMask(m, part))
              return {};
          m.scale *= bodyScale;
          return scores->get();
        }
      }
      // A boolean tensor: attn_mask shows keys where it is true.
      if (!cond || finite || m.attnMask ||
          !getElementTypeOrSelf(cond->get().getType()).isInteger(1) ||
          !isRightAlignedBroadcast(generic, cond, rank))
        return {};
      m.attnMask = cond->get();
      m.attnMaskInverted = hiddenWhenTrue;
      m.scoreLeading.assign(type.getShape().begin(), type.getShape().end() - 2);
      m.scale *= bodyScale;
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
        m.scale *= bodyScale;
        return scores->get();
      }
      // ALiBi, slope[h] · (j - i): attn.sdpa's alibi_slopes (added after
      // the scale and the softcap, as here when neither was met yet).
      int64_t heads = 0;
      if (Value slopes = matchAlibiBias(generic, other, rank, heads)) {
        if (m.alibiSlopes || m.softcap || m.scale != 1.0)
          return {};
        m.alibiSlopes = slopes;
        m.alibiHeads = heads;
        m.scale *= bodyScale;
        return scores->get();
      }
      // A float mask tensor: attn.sdpa adds it after its scale, so no
      // scale may have been met yet (one applied after the mask would
      // scale the mask too).
      OpOperand *bias = getInputOf(generic, other);
      if (!bias || m.attnMask || m.scale != 1.0 || bias == scores ||
          !isa<FloatType>(getElementTypeOrSelf(bias->get().getType())) ||
          !isRightAlignedBroadcast(generic, bias, rank))
        continue;
      m.attnMask = bias->get();
      m.scoreLeading.assign(type.getShape().begin(), type.getShape().end() - 2);
      m.scale *= bodyScale;
      return scores->get();
    }
  }
  return {};
}

/// A softcap generic, `a · tanh(b · s)` (b as a multiplication or a division
/// by a constant, or 1): records softcap `a` and folds `a · b` into the scale
/// (attn.sdpa computes `cap · tanh(scale · QKᵀ / cap)`). Only with nothing
/// but masks between it and the softmax; returns the scores input.
static Value matchSoftcapGeneric(linalg::GenericOp generic, AttentionMatch &m) {
  if (!isElementwise(generic) || generic.getNumDpsInputs() != 1 || m.softcap ||
      m.scale != 1.0)
    return {};
  auto mul = getYielded(generic).getDefiningOp<arith::MulFOp>();
  if (!mul)
    return {};
  for (int side = 0; side < 2; ++side) {
    auto tanh = mul->getOperand(side).getDefiningOp<math::TanhOp>();
    std::optional<double> cap =
        getBodyConstant(generic, mul->getOperand(1 - side));
    if (!tanh || !cap || !(*cap > 0))
      continue;
    Value x = tanh.getOperand();
    double inner = 1.0;
    if (auto m2 = x.getDefiningOp<arith::MulFOp>()) {
      for (int k = 0; k < 2; ++k)
        if (std::optional<double> c =
                getBodyConstant(generic, m2->getOperand(1 - k))) {
          inner = *c;
          x = m2->getOperand(k);
          break;
        }
    } else if (auto d = x.getDefiningOp<arith::DivFOp>()) {
      std::optional<double> c = getBodyConstant(generic, d.getRhs());
      if (!c || *c == 0.0)
        return {};
      inner = 1.0 / *c;
      x = d.getLhs();
    }
    OpOperand *in = getInputOf(generic, x);
    if (!in || !generic.getMatchingIndexingMap(in).isIdentity())
      return {};
    m.softcap = *cap;
    m.scale *= *cap * inner;
    return in->get();
  }
  return {};
}

//===----------------------------------------------------------------------===//
// Pattern
//===----------------------------------------------------------------------===//

LogicalResult fuse::matchLinalgAttention(Operation *pv, AttentionMatch &m,
                                         std::string &reason) {
  auto fail = [&](const Twine &why) {
    reason = why.str();
    return failure();
  };
  Value s, vOperand;
  bool vTransposed;
  FailureOr<Contraction> pvC = matchContraction(pv, reason);
  if (succeeded(pvC)) {
    if (pvC->lhsTransposed)
      return fail("P·V: the probabilities are transposed");
    // A constant scale inside P·V scales the result.
    m.outputScale = pvC->scale;
    // The result, through reshapes back to the frontend's shape.
    traceAttentionRoot(pv, m);

    // Probabilities, rounded to the P·V inputs' type by an elementwise
    // cast (mixed precision: f16 operands accumulating in f32).
    Value p = skipLeadingReshapes(pvC->lhs, m.chain);
    if (auto cast = p.getDefiningOp<linalg::GenericOp>();
        cast && p.hasOneUse() && isElementwise(cast) &&
        cast.getNumDpsInputs() == 1 &&
        cast.getMatchingIndexingMap(cast.getDpsInputOperand(0)).isIdentity()) {
      Value y = getYielded(cast);
      Operation *def = y.getDefiningOp();
      if (def && isa<arith::TruncFOp, arith::ExtFOp>(def) &&
          getInputOf(cast, def->getOperand(0)) == cast.getDpsInputOperand(0)) {
        m.chain.push_back(cast);
        p = skipLeadingReshapes(cast.getDpsInputOperand(0)->get(), m.chain);
      }
    }
    auto [inner, guardCmp] = matchMaskedRowGuard(p, m.chain);
    SmallVector<Operation *> extraUsers;
    if (inner) {
      p = skipLeadingReshapes(inner, m.chain);
      extraUsers.push_back(guardCmp);
    }
    s = matchSoftmax(p, m.chain, extraUsers, reason);
    vOperand = pvC->rhs;
    vTransposed = pvC->rhsTransposed;
  } else if (std::optional<NormalizedContraction> norm =
                 matchNormalizedContraction(pv)) {
    // The softmax's division (and torch's guard) inside P·V.
    traceAttentionRoot(pv, m);
    SmallVector<Operation *> extraUsers;
    Value tested;
    if (norm->allHidden) {
      Operation *reader = matchAllHiddenRows(norm->allHidden, tested, m.chain);
      if (!reader)
        return fail("softmax: the row guard in P·V is not all(s == -inf)");
      extraUsers.push_back(reader);
    }
    s = matchExpOverSum(norm->e, norm->rowSum, pv, m.chain, extraUsers, reason);
    if (s && tested && tested != s)
      return fail("softmax: the row guard tests other values than the "
                  "softmax's scores");
    vOperand = norm->v;
    vTransposed = norm->vTransposed;
  } else {
    return fail("P·V: " + reason);
  }
  if (!s)
    return failure();

  // Scores back to Q Kᵀ.
  FailureOr<Operation *> qkOp = traceScoresToMatmul(
      s, m, isContraction,
      [](Operation *op, AttentionMatch &match) {
        auto generic = dyn_cast<linalg::GenericOp>(op);
        if (!generic)
          return Value();
        if (Value in = matchMaskGeneric(generic, match))
          return in;
        return matchSoftcapGeneric(generic, match);
      },
      reason);
  if (failed(qkOp))
    return failure();
  Contraction qkC = *matchContraction(*qkOp, reason);
  m.scale *= qkC.scale;
  m.chain.push_back(*qkOp);

  PeeledOperand q = peelOperand(qkC.lhs, m.chain);
  PeeledOperand k = peelOperand(qkC.rhs, m.chain);
  PeeledOperand v = peelOperand(vOperand, m.chain);
  // Q [S, D], K [S, D] and V [S, Dv] once the transposes (ops or
  // contraction maps) are undone: Kᵀ is the rhs of Q·Kᵀ.
  if (q.swapped != qkC.lhsTransposed || q.group != 1 ||
      k.swapped == qkC.rhsTransposed || v.swapped != vTransposed)
    return fail("operands: Q, K and V are not [..., S, D] under the "
                "contractions (K transposed once, Q and V not)");
  if (v.scale != 1.0)
    return fail("operands: V is scaled");
  // peelOperand stops at K's transpose source: K is [.., Sk, D].
  return finishMatch(m, q, k, v, reason);
}

namespace {
struct FuseLinalgAttention : OpInterfaceRewritePattern<linalg::LinalgOp> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(linalg::LinalgOp pv,
                                PatternRewriter &rewriter) const override {
    AttentionMatch m;
    std::string reason;
    if (failed(matchLinalgAttention(pv, m, reason)))
      return rewriter.notifyMatchFailure(pv, reason);
    return buildFusedAttention(rewriter, m);
  }
};
} // namespace

void fuse::populateFuseLinalgAttentionPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseLinalgAttention>(patterns.getContext());
}
