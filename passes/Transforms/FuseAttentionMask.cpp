//===- FuseAttentionMask.cpp - recognise causal masks symbolically --------===//
//
// Frontends build causal masks in many ways: a constant tensor, an iota
// (linalg.index or an arange constant) compared with another, `triu`/`tril`
// of ones, `masked_fill` of a zero tensor with -inf, and broadcasts and
// reshapes between them. Rather than matching each spelling, the mask value
// is evaluated symbolically as a function of the score coordinates: integer
// values are affine forms of the coordinates, and masks are "piecewise"
// values `e(x) <= 0 ? a : b` with an affine `e`. A causal mask is exactly such
// a piecewise value whose visible side is the half plane `j <= i + c`.
//
//===----------------------------------------------------------------------===//

#include "FuseAttention.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <numeric>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::fuse;

namespace {

//===----------------------------------------------------------------------===//
// Symbolic values
//===----------------------------------------------------------------------===//

/// `sum_v c[v] * x_v + k` over the score coordinates `x`.
struct Affine {
  SmallVector<int64_t> c;
  int64_t k = 0;

  bool isConst() const {
    return llvm::all_of(c, [](int64_t v) { return v == 0; });
  }
  bool operator==(const Affine &o) const { return c == o.c && k == o.k; }
};

/// Either an integer affine form, or a piecewise constant
/// `pred(x) <= 0 ? tv : fv` (a constant when `pred` is constant).
struct Sym {
  bool piecewise = false;
  Affine aff;
  Affine pred;
  double tv = 0, fv = 0;
};

static int64_t floorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/// `e <= 0` with the coefficients divided by their gcd (same integer points).
static Affine normalizePred(Affine e) {
  int64_t g = 0;
  for (int64_t v : e.c)
    g = std::gcd(g, std::abs(v));
  if (g > 1) {
    for (int64_t &v : e.c)
      v /= g;
    e.k = -floorDiv(-e.k, g);
  }
  return e;
}

/// `!(e <= 0)`, i.e. `-e + 1 <= 0` on integers.
static Affine negatePred(const Affine &e) {
  Affine n = e;
  for (int64_t &v : n.c)
    v = -v;
  n.k = -e.k + 1;
  return normalizePred(n);
}

class Evaluator {
public:
  explicit Evaluator(unsigned numVars) : numVars(numVars) {}

  Affine constAff(int64_t k) const {
    Affine a;
    a.c.assign(numVars, 0);
    a.k = k;
    return a;
  }
  Affine var(unsigned i) const {
    Affine a = constAff(0);
    a.c[i] = 1;
    return a;
  }
  /// Every variable: the score coordinates themselves.
  SmallVector<Affine> vars() const {
    SmallVector<Affine> all;
    for (unsigned i = 0; i < numVars; ++i)
      all.push_back(var(i));
    return all;
  }
  Sym makeConst(double v) const {
    Sym s;
    s.piecewise = true;
    s.pred = constAff(0);
    s.tv = s.fv = v;
    return s;
  }
  Sym makeAffine(Affine a) const {
    Sym s;
    s.aff = std::move(a);
    return s;
  }
  Sym makePiecewise(Affine pred, double tv, double fv) const {
    pred = normalizePred(std::move(pred));
    if (pred.isConst())
      return makeConst(pred.k <= 0 ? tv : fv);
    if (tv == fv)
      return makeConst(tv);
    Sym s;
    s.piecewise = true;
    s.pred = std::move(pred);
    s.tv = tv;
    s.fv = fv;
    return s;
  }

  static std::optional<double> asConst(const Sym &s) {
    if (!s.piecewise)
      return s.aff.isConst() ? std::optional<double>(s.aff.k) : std::nullopt;
    if (s.pred.isConst())
      return s.pred.k <= 0 ? s.tv : s.fv;
    return std::nullopt;
  }
  std::optional<Sym> toPiecewise(const Sym &s) const {
    if (s.piecewise)
      return s;
    if (s.aff.isConst())
      return makeConst(static_cast<double>(s.aff.k));
    return std::nullopt;
  }
  std::optional<Affine> toAffine(const Sym &s) const {
    if (!s.piecewise)
      return s.aff;
    std::optional<double> v = asConst(s);
    if (!v || std::floor(*v) != *v || std::fabs(*v) > 1e15)
      return std::nullopt;
    return constAff(static_cast<int64_t>(*v));
  }

  /// The value of `s` where `pred` is `truth`.
  static std::optional<double> valueUnder(const Sym &s, const Affine &pred,
                                          bool truth) {
    if (std::optional<double> v = asConst(s))
      return *v;
    if (s.pred == pred)
      return truth ? s.tv : s.fv;
    if (s.pred == negatePred(pred))
      return truth ? s.fv : s.tv;
    return std::nullopt;
  }

  std::optional<Sym> pointwise(const Sym &a, const Sym &b,
                               llvm::function_ref<double(double, double)> fn) {
    std::optional<Sym> x = toPiecewise(a), y = toPiecewise(b);
    if (!x || !y)
      return std::nullopt;
    const Sym &p = asConst(*x) ? *y : *x;
    if (!asConst(p)) {
      std::optional<double> xt = valueUnder(*x, p.pred, true),
                            xf = valueUnder(*x, p.pred, false),
                            yt = valueUnder(*y, p.pred, true),
                            yf = valueUnder(*y, p.pred, false);
      if (!xt || !xf || !yt || !yf)
        return std::nullopt;
      return makePiecewise(p.pred, fn(*xt, *yt), fn(*xf, *yf));
    }
    return makeConst(fn(*asConst(*x), *asConst(*y)));
  }

  std::optional<Sym> select(const Sym &c, const Sym &a, const Sym &b) {
    std::optional<Sym> cond = toPiecewise(c);
    if (!cond)
      return std::nullopt;
    if (std::optional<double> v = asConst(*cond))
      return *v != 0 ? a : b;
    std::optional<Sym> x = toPiecewise(a), y = toPiecewise(b);
    if (!x || !y)
      return std::nullopt;
    std::optional<double> xt = valueUnder(*x, cond->pred, true),
                          xf = valueUnder(*x, cond->pred, false),
                          yt = valueUnder(*y, cond->pred, true),
                          yf = valueUnder(*y, cond->pred, false);
    if (!xt || !xf || !yt || !yf)
      return std::nullopt;
    return makePiecewise(cond->pred, cond->tv != 0 ? *xt : *yt,
                         cond->fv != 0 ? *xf : *yf);
  }

  enum class Cmp { LT, LE, GT, GE, EQ, NE };

  std::optional<Sym> compare(Cmp kind, const Sym &a, const Sym &b) {
    if (!a.piecewise || !b.piecewise) {
      std::optional<Affine> x = toAffine(a), y = toAffine(b);
      if (x && y && !(x->isConst() && y->isConst())) {
        // e = x - y.
        Affine e = *x;
        for (unsigned i = 0; i < numVars; ++i)
          e.c[i] -= y->c[i];
        e.k -= y->k;
        Affine neg = e;
        for (int64_t &v : neg.c)
          v = -v;
        neg.k = -e.k;
        switch (kind) {
        case Cmp::LT:
          e.k += 1;
          return makePiecewise(e, 1, 0);
        case Cmp::LE:
          return makePiecewise(e, 1, 0);
        case Cmp::GT:
          neg.k += 1;
          return makePiecewise(neg, 1, 0);
        case Cmp::GE:
          return makePiecewise(neg, 1, 0);
        case Cmp::EQ:
        case Cmp::NE:
          return std::nullopt;
        }
      }
    }
    return pointwise(a, b, [kind](double x, double y) -> double {
      switch (kind) {
      case Cmp::LT:
        return x < y;
      case Cmp::LE:
        return x <= y;
      case Cmp::GT:
        return x > y;
      case Cmp::GE:
        return x >= y;
      case Cmp::EQ:
        return x == y;
      case Cmp::NE:
        return x != y;
      }
      return 0;
    });
  }

  enum class Bin { Add, Sub, Mul, Div, Max, Min, And, Or, Xor };

  std::optional<Sym> binary(Bin kind, const Sym &a, const Sym &b) {
    if ((kind == Bin::Add || kind == Bin::Sub || kind == Bin::Mul) &&
        (!a.piecewise || !b.piecewise)) {
      std::optional<Affine> x = toAffine(a), y = toAffine(b);
      if (x && y) {
        Affine r = constAff(0);
        if (kind == Bin::Mul) {
          if (!x->isConst() && !y->isConst())
            return std::nullopt;
          const Affine &f = x->isConst() ? *y : *x;
          int64_t s = x->isConst() ? x->k : y->k;
          for (unsigned i = 0; i < numVars; ++i)
            r.c[i] = f.c[i] * s;
          r.k = f.k * s;
        } else {
          int64_t sign = kind == Bin::Add ? 1 : -1;
          for (unsigned i = 0; i < numVars; ++i)
            r.c[i] = x->c[i] + sign * y->c[i];
          r.k = x->k + sign * y->k;
        }
        return makeAffine(r);
      }
    }
    return pointwise(a, b, [kind](double x, double y) -> double {
      switch (kind) {
      case Bin::Add:
        return x + y;
      case Bin::Sub:
        return x - y;
      case Bin::Mul:
        return x * y;
      case Bin::Div:
        return x / y;
      case Bin::Max:
        return std::isnan(x) || std::isnan(y) ? NAN : std::max(x, y);
      case Bin::Min:
        return std::isnan(x) || std::isnan(y) ? NAN : std::min(x, y);
      case Bin::And:
        return static_cast<double>(static_cast<int64_t>(x) &
                                   static_cast<int64_t>(y));
      case Bin::Or:
        return static_cast<double>(static_cast<int64_t>(x) |
                                   static_cast<int64_t>(y));
      case Bin::Xor:
        return static_cast<double>(static_cast<int64_t>(x) ^
                                   static_cast<int64_t>(y));
      }
      return 0;
    });
  }

  /// Value-preserving casts keep the symbolic value; float-to-int casts and
  /// sign extensions of i1 (true becomes -1) are refused or negated.
  std::optional<Sym> castValue(const Sym &s, Type from, Type to) {
    if (isa<FloatType>(from) && !isa<FloatType>(to))
      return std::nullopt;
    (void)to;
    return s;
  }

  std::optional<Sym> evalTensor(Value t, ArrayRef<Affine> coords);
  std::optional<Sym> evalScalar(Value s, linalg::GenericOp generic,
                                ArrayRef<Affine> dims);
  std::optional<Affine> exprToAffine(AffineExpr e, ArrayRef<Affine> dims);
  std::optional<SmallVector<Affine>> applyMap(AffineMap map,
                                              ArrayRef<Affine> dims);

private:
  std::optional<Sym> evalDense(DenseElementsAttr attr, ArrayRef<Affine> coords);
  std::optional<Sym> evalTosaElementwise(Operation *op,
                                         ArrayRef<Affine> coords);

  unsigned numVars;
  /// Bounds the work on adversarial IR.
  int budget = 4096;
};

} // namespace

//===----------------------------------------------------------------------===//
// Coordinates
//===----------------------------------------------------------------------===//

std::optional<Affine> Evaluator::exprToAffine(AffineExpr e,
                                              ArrayRef<Affine> dims) {
  if (auto d = dyn_cast<AffineDimExpr>(e)) {
    if (d.getPosition() >= dims.size())
      return std::nullopt;
    return dims[d.getPosition()];
  }
  if (auto c = dyn_cast<AffineConstantExpr>(e))
    return constAff(c.getValue());
  auto bin = dyn_cast<AffineBinaryOpExpr>(e);
  if (!bin)
    return std::nullopt;
  std::optional<Affine> l = exprToAffine(bin.getLHS(), dims),
                        r = exprToAffine(bin.getRHS(), dims);
  if (!l || !r)
    return std::nullopt;
  if (e.getKind() == AffineExprKind::Add)
    return binary(Bin::Add, makeAffine(*l), makeAffine(*r))->aff;
  if (e.getKind() == AffineExprKind::Mul) {
    std::optional<Sym> p = binary(Bin::Mul, makeAffine(*l), makeAffine(*r));
    if (!p || p->piecewise)
      return std::nullopt;
    return p->aff;
  }
  return std::nullopt;
}

std::optional<SmallVector<Affine>> Evaluator::applyMap(AffineMap map,
                                                       ArrayRef<Affine> dims) {
  SmallVector<Affine> out;
  for (AffineExpr e : map.getResults()) {
    std::optional<Affine> a = exprToAffine(e, dims);
    if (!a)
      return std::nullopt;
    out.push_back(*a);
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

static std::optional<double> attrToDouble(Attribute attr) {
  if (auto f = dyn_cast<FloatAttr>(attr))
    return f.getValueAsDouble();
  if (auto i = dyn_cast<IntegerAttr>(attr)) {
    if (i.getType().isInteger(1))
      return static_cast<double>(i.getValue().getZExtValue());
    return static_cast<double>(i.getValue().getSExtValue());
  }
  return std::nullopt;
}

std::optional<Sym> Evaluator::evalDense(DenseElementsAttr attr,
                                        ArrayRef<Affine> coords) {
  auto type = attr.getType();
  if (!type.hasStaticShape() ||
      static_cast<size_t>(type.getRank()) != coords.size())
    return std::nullopt;
  if (attr.isSplat())
    if (std::optional<double> v = attrToDouble(attr.getSplatValue<Attribute>()))
      return makeConst(*v);
  int64_t numel = type.getNumElements();
  if (numel > (int64_t(1) << 22))
    return std::nullopt;
  SmallVector<double> values;
  values.reserve(numel);
  for (Attribute a : attr.getValues<Attribute>()) {
    std::optional<double> v = attrToDouble(a);
    if (!v)
      return std::nullopt;
    values.push_back(*v);
  }
  if (llvm::all_of(values, [&](double v) { return v == values[0]; }))
    return makeConst(values[0]);

  int64_t rank = type.getRank();
  // An arange along one dimension: v = v0 + step * x.
  if (isa<IntegerType>(type.getElementType())) {
    int64_t nonUnit = -1;
    for (int64_t d = 0; d < rank; ++d) {
      if (type.getDimSize(d) == 1)
        continue;
      if (nonUnit >= 0) {
        nonUnit = -2;
        break;
      }
      nonUnit = d;
    }
    if (nonUnit >= 0) {
      double step = values[1] - values[0];
      bool arange = true;
      for (int64_t i = 0; i < numel; ++i)
        arange &= values[i] == values[0] + step * i;
      if (arange) {
        Affine a = coords[nonUnit];
        for (int64_t &v : a.c)
          v *= static_cast<int64_t>(step);
        a.k =
            a.k * static_cast<int64_t>(step) + static_cast<int64_t>(values[0]);
        return makeAffine(a);
      }
    }
  }

  // A two-valued diagonal over the last two dimensions, the same for every
  // leading index: value(i, j) = (j <= i + c) ? u : w.
  if (rank < 2)
    return std::nullopt;
  int64_t rows = type.getDimSize(rank - 2), cols = type.getDimSize(rank - 1);
  int64_t slice = rows * cols;
  for (int64_t i = slice; i < numel; ++i)
    if (values[i] != values[i % slice])
      return std::nullopt;
  auto at = [&](int64_t i, int64_t j) { return values[i * cols + j]; };
  std::optional<int64_t> offset;
  double u = 0, w = 0;
  for (int64_t i = 0; i < rows && !offset; ++i) {
    for (int64_t j = 1; j < cols; ++j) {
      if (at(i, j) != at(i, 0)) {
        u = at(i, 0);
        w = at(i, j);
        offset = j - 1 - i;
        break;
      }
    }
  }
  if (!offset)
    return std::nullopt;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      if (at(i, j) != (j <= i + *offset ? u : w))
        return std::nullopt;
  // pred = j - i - offset <= 0 in the tensor's coordinates.
  Affine pred = coords[rank - 1];
  for (unsigned v = 0; v < numVars; ++v)
    pred.c[v] -= coords[rank - 2].c[v];
  pred.k -= coords[rank - 2].k + *offset;
  return makePiecewise(pred, u, w);
}

//===----------------------------------------------------------------------===//
// Tensors
//===----------------------------------------------------------------------===//

/// Coordinates of a TOSA elementwise operand: size-1 dims broadcast.
static std::optional<SmallVector<Affine>>
broadcastCoords(Value operand, ArrayRef<Affine> coords, const Affine &zero) {
  auto type = dyn_cast<RankedTensorType>(operand.getType());
  if (!type || static_cast<size_t>(type.getRank()) != coords.size())
    return std::nullopt;
  SmallVector<Affine> out(coords);
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.getDimSize(d) == 1)
      out[d] = zero;
  return out;
}

std::optional<Sym> Evaluator::evalTosaElementwise(Operation *op,
                                                  ArrayRef<Affine> coords) {
  SmallVector<Sym> args;
  for (Value operand : op->getOperands()) {
    std::optional<SmallVector<Affine>> c =
        broadcastCoords(operand, coords, constAff(0));
    if (!c)
      return std::nullopt;
    std::optional<Sym> s = evalTensor(operand, *c);
    if (!s)
      return std::nullopt;
    args.push_back(*s);
  }
  return TypeSwitch<Operation *, std::optional<Sym>>(op)
      .Case([&](tosa::AddOp) { return binary(Bin::Add, args[0], args[1]); })
      .Case([&](tosa::SubOp) { return binary(Bin::Sub, args[0], args[1]); })
      .Case([&](tosa::MaximumOp) { return binary(Bin::Max, args[0], args[1]); })
      .Case([&](tosa::MinimumOp) { return binary(Bin::Min, args[0], args[1]); })
      .Case([&](tosa::LogicalAndOp) {
        return binary(Bin::And, args[0], args[1]);
      })
      .Case(
          [&](tosa::LogicalOrOp) { return binary(Bin::Or, args[0], args[1]); })
      .Case([&](tosa::LogicalXorOp) {
        return binary(Bin::Xor, args[0], args[1]);
      })
      .Case([&](tosa::LogicalNotOp) {
        return binary(Bin::Xor, args[0], makeConst(1));
      })
      .Case([&](tosa::GreaterOp) { return compare(Cmp::GT, args[0], args[1]); })
      .Case([&](tosa::GreaterEqualOp) {
        return compare(Cmp::GE, args[0], args[1]);
      })
      .Case([&](tosa::EqualOp) { return compare(Cmp::EQ, args[0], args[1]); })
      .Case([&](tosa::SelectOp) { return select(args[0], args[1], args[2]); })
      .Default([](Operation *) { return std::nullopt; });
}

std::optional<Sym> Evaluator::evalTensor(Value t, ArrayRef<Affine> coords) {
  if (--budget < 0)
    return std::nullopt;
  Operation *def = t.getDefiningOp();
  if (!def)
    return std::nullopt;
  auto type = dyn_cast<RankedTensorType>(t.getType());
  if (!type || static_cast<size_t>(type.getRank()) != coords.size())
    return std::nullopt;

  if (auto c = dyn_cast<arith::ConstantOp>(def)) {
    auto dense = dyn_cast<DenseElementsAttr>(c.getValue());
    return dense ? evalDense(dense, coords) : std::nullopt;
  }
  if (auto c = dyn_cast<tosa::ConstOp>(def)) {
    auto dense = dyn_cast<DenseElementsAttr>(c.getValues());
    return dense ? evalDense(dense, coords) : std::nullopt;
  }
  if (auto fill = dyn_cast<linalg::FillOp>(def))
    return evalScalar(fill.getInputs()[0], {}, {});
  if (auto generic = dyn_cast<linalg::GenericOp>(def)) {
    if (generic.getNumParallelLoops() != generic.getNumLoops())
      return std::nullopt;
    unsigned resultNumber = cast<OpResult>(t).getResultNumber();
    AffineMap outMap = generic.getIndexingMapMatchingResult(cast<OpResult>(t));
    if (!outMap.isPermutation())
      return std::nullopt;
    SmallVector<Affine> dims(generic.getNumLoops(), constAff(0));
    for (unsigned i = 0; i < outMap.getNumResults(); ++i)
      dims[outMap.getDimPosition(i)] = coords[i];
    auto yield =
        cast<linalg::YieldOp>(generic.getRegion().front().getTerminator());
    return evalScalar(yield.getOperand(resultNumber), generic, dims);
  }
  if (auto bcast = dyn_cast<linalg::BroadcastOp>(def)) {
    SmallVector<Affine> in;
    ArrayRef<int64_t> dims = bcast.getDimensions();
    for (unsigned i = 0; i < coords.size(); ++i)
      if (!llvm::is_contained(dims, static_cast<int64_t>(i)))
        in.push_back(coords[i]);
    return evalTensor(bcast.getInput(), in);
  }
  if (auto tr = dyn_cast<linalg::TransposeOp>(def)) {
    ArrayRef<int64_t> perm = tr.getPermutation();
    SmallVector<Affine> in(coords.size(), constAff(0));
    for (unsigned i = 0; i < perm.size(); ++i)
      in[perm[i]] = coords[i];
    return evalTensor(tr.getInput(), in);
  }
  if (auto expand = dyn_cast<tensor::ExpandShapeOp>(def)) {
    if (!type.hasStaticShape())
      return std::nullopt;
    SmallVector<Affine> in;
    for (const ReassociationIndices &group : expand.getReassociationIndices()) {
      Affine a = constAff(0);
      int64_t stride = 1;
      for (int64_t d : llvm::reverse(group)) {
        for (unsigned v = 0; v < numVars; ++v)
          a.c[v] += coords[d].c[v] * stride;
        a.k += coords[d].k * stride;
        stride *= type.getDimSize(d);
      }
      in.push_back(a);
    }
    return evalTensor(expand.getSrc(), in);
  }
  if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(def)) {
    auto srcType = collapse.getSrcType();
    if (!srcType.hasStaticShape())
      return std::nullopt;
    SmallVector<Affine> in(srcType.getRank(), constAff(0));
    for (auto [i, group] :
         llvm::enumerate(collapse.getReassociationIndices())) {
      int64_t nonUnit = -1;
      for (int64_t d : group) {
        if (srcType.getDimSize(d) == 1)
          continue;
        if (nonUnit >= 0)
          return std::nullopt;
        nonUnit = d;
      }
      if (nonUnit >= 0)
        in[nonUnit] = coords[i];
    }
    return evalTensor(collapse.getSrc(), in);
  }
  if (auto reshape = dyn_cast<tosa::ReshapeOp>(def)) {
    // Only reshapes that insert or drop unit dims.
    auto srcType = dyn_cast<RankedTensorType>(reshape.getInput1().getType());
    if (!srcType || !srcType.hasStaticShape() || !type.hasStaticShape())
      return std::nullopt;
    SmallVector<int64_t> srcNonUnit, resNonUnit;
    for (int64_t d = 0; d < srcType.getRank(); ++d)
      if (srcType.getDimSize(d) != 1)
        srcNonUnit.push_back(d);
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (type.getDimSize(d) != 1)
        resNonUnit.push_back(d);
    if (srcNonUnit.size() != resNonUnit.size())
      return std::nullopt;
    SmallVector<Affine> in(srcType.getRank(), constAff(0));
    for (auto [s, r] : llvm::zip(srcNonUnit, resNonUnit)) {
      if (srcType.getDimSize(s) != type.getDimSize(r))
        return std::nullopt;
      in[s] = coords[r];
    }
    return evalTensor(reshape.getInput1(), in);
  }
  if (auto castOp = dyn_cast<tosa::CastOp>(def)) {
    std::optional<Sym> s = evalTensor(castOp.getInput(), coords);
    if (!s)
      return std::nullopt;
    return castValue(*s, getElementTypeOrSelf(castOp.getInput().getType()),
                     type.getElementType());
  }
  if (auto mul = dyn_cast<tosa::MulOp>(def)) {
    std::optional<double> shift = getConstantScalar(mul.getShift());
    if (!shift || *shift != 0)
      return std::nullopt;
    std::optional<SmallVector<Affine>> a =
        broadcastCoords(mul.getInput1(), coords, constAff(0));
    std::optional<SmallVector<Affine>> b =
        broadcastCoords(mul.getInput2(), coords, constAff(0));
    if (!a || !b)
      return std::nullopt;
    std::optional<Sym> x = evalTensor(mul.getInput1(), *a);
    std::optional<Sym> y = evalTensor(mul.getInput2(), *b);
    if (!x || !y)
      return std::nullopt;
    return binary(Bin::Mul, *x, *y);
  }
  if (isa<tosa::AddOp, tosa::SubOp, tosa::MaximumOp, tosa::MinimumOp,
          tosa::LogicalAndOp, tosa::LogicalOrOp, tosa::LogicalXorOp,
          tosa::LogicalNotOp, tosa::GreaterOp, tosa::GreaterEqualOp,
          tosa::EqualOp, tosa::SelectOp>(def))
    return evalTosaElementwise(def, coords);
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Scalars in linalg.generic bodies
//===----------------------------------------------------------------------===//

std::optional<Sym> Evaluator::evalScalar(Value s, linalg::GenericOp generic,
                                         ArrayRef<Affine> dims) {
  if (--budget < 0)
    return std::nullopt;
  if (auto arg = dyn_cast<BlockArgument>(s)) {
    if (!generic || arg.getOwner() != &generic.getRegion().front())
      return std::nullopt;
    OpOperand &operand = generic->getOpOperand(arg.getArgNumber());
    std::optional<SmallVector<Affine>> coords =
        applyMap(generic.getMatchingIndexingMap(&operand), dims);
    if (!coords)
      return std::nullopt;
    return evalTensor(operand.get(), *coords);
  }
  Operation *def = s.getDefiningOp();
  // Values defined outside the body do not depend on the iteration.
  if (generic && def->getParentOp() != generic.getOperation())
    return evalScalar(s, {}, {});

  auto eval = [&](Value v) { return evalScalar(v, generic, dims); };
  auto evalBin = [&](Bin kind) -> std::optional<Sym> {
    std::optional<Sym> a = eval(def->getOperand(0)),
                       b = eval(def->getOperand(1));
    if (!a || !b)
      return std::nullopt;
    return binary(kind, *a, *b);
  };
  auto evalCmp = [&](Cmp kind) -> std::optional<Sym> {
    std::optional<Sym> a = eval(def->getOperand(0)),
                       b = eval(def->getOperand(1));
    if (!a || !b)
      return std::nullopt;
    return compare(kind, *a, *b);
  };

  if (auto c = dyn_cast<arith::ConstantOp>(def)) {
    std::optional<double> v = attrToDouble(c.getValue());
    if (!v)
      return std::nullopt;
    if (isa<IntegerType, IndexType>(c.getType()))
      return makeAffine(constAff(static_cast<int64_t>(*v)));
    return makeConst(*v);
  }
  if (auto index = dyn_cast<linalg::IndexOp>(def)) {
    if (index.getDim() >= dims.size())
      return std::nullopt;
    return makeAffine(dims[index.getDim()]);
  }
  if (isa<arith::AddIOp, arith::AddFOp>(def))
    return evalBin(Bin::Add);
  if (isa<arith::SubIOp, arith::SubFOp>(def))
    return evalBin(Bin::Sub);
  if (isa<arith::MulIOp, arith::MulFOp>(def))
    return evalBin(Bin::Mul);
  if (isa<arith::DivFOp>(def))
    return evalBin(Bin::Div);
  if (isa<arith::MaximumFOp, arith::MaxNumFOp, arith::MaxSIOp>(def))
    return evalBin(Bin::Max);
  if (isa<arith::MinimumFOp, arith::MinNumFOp, arith::MinSIOp>(def))
    return evalBin(Bin::Min);
  if (isa<arith::AndIOp>(def))
    return evalBin(Bin::And);
  if (isa<arith::OrIOp>(def))
    return evalBin(Bin::Or);
  if (isa<arith::XOrIOp>(def))
    return evalBin(Bin::Xor);
  if (auto neg = dyn_cast<arith::NegFOp>(def)) {
    std::optional<Sym> a = eval(neg.getOperand());
    if (!a)
      return std::nullopt;
    return binary(Bin::Sub, makeConst(0), *a);
  }
  if (auto cmp = dyn_cast<arith::CmpIOp>(def)) {
    switch (cmp.getPredicate()) {
    case arith::CmpIPredicate::slt:
      return evalCmp(Cmp::LT);
    case arith::CmpIPredicate::sle:
      return evalCmp(Cmp::LE);
    case arith::CmpIPredicate::sgt:
      return evalCmp(Cmp::GT);
    case arith::CmpIPredicate::sge:
      return evalCmp(Cmp::GE);
    case arith::CmpIPredicate::eq:
      return evalCmp(Cmp::EQ);
    case arith::CmpIPredicate::ne:
      return evalCmp(Cmp::NE);
    default:
      return std::nullopt;
    }
  }
  if (auto cmp = dyn_cast<arith::CmpFOp>(def)) {
    switch (cmp.getPredicate()) {
    case arith::CmpFPredicate::OLT:
      return evalCmp(Cmp::LT);
    case arith::CmpFPredicate::OLE:
      return evalCmp(Cmp::LE);
    case arith::CmpFPredicate::OGT:
      return evalCmp(Cmp::GT);
    case arith::CmpFPredicate::OGE:
      return evalCmp(Cmp::GE);
    case arith::CmpFPredicate::OEQ:
      return evalCmp(Cmp::EQ);
    case arith::CmpFPredicate::UNE:
      return evalCmp(Cmp::NE);
    default:
      return std::nullopt;
    }
  }
  if (auto sel = dyn_cast<arith::SelectOp>(def)) {
    std::optional<Sym> c = eval(sel.getCondition()),
                       a = eval(sel.getTrueValue()),
                       b = eval(sel.getFalseValue());
    if (!c || !a || !b)
      return std::nullopt;
    return select(*c, *a, *b);
  }
  if (auto ext = dyn_cast<arith::ExtSIOp>(def)) {
    std::optional<Sym> a = eval(ext.getIn());
    if (!a)
      return std::nullopt;
    // Sign extension turns a true i1 into -1.
    if (ext.getIn().getType().isInteger(1))
      return binary(Bin::Sub, makeConst(0), *a);
    return a;
  }
  if (isa<arith::ExtUIOp, arith::TruncIOp, arith::IndexCastOp,
          arith::IndexCastUIOp, arith::SIToFPOp, arith::UIToFPOp, arith::ExtFOp,
          arith::TruncFOp>(def)) {
    std::optional<Sym> a = eval(def->getOperand(0));
    if (!a)
      return std::nullopt;
    return castValue(*a, def->getOperand(0).getType(), s.getType());
  }
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Classification
//===----------------------------------------------------------------------===//

MaskEffect fuse::selectMaskEffect(double value, bool hiddenWhenTrue) {
  return (value != 0) == hiddenWhenTrue ? MaskEffect::Hidden
                                        : MaskEffect::Visible;
}

MaskEffect fuse::additiveMaskEffect(double value) {
  if (value == 0)
    return MaskEffect::Visible;
  if (std::isinf(value) && value < 0)
    return MaskEffect::Hidden;
  if (value <= -static_cast<double>(FLT_MAX))
    return MaskEffect::HiddenFinite;
  return MaskEffect::Other;
}

/// The mask class of the symbolic mask value `sym` over `[..., sq, sk]`
/// scores (see classifyMask).
static std::optional<MaskClass>
classifySym(const Evaluator &eval, std::optional<Sym> sym, MLIRContext *ctx,
            int64_t scoreRank, int64_t sq, int64_t sk,
            const std::function<MaskEffect(double)> &effect) {
  if (!sym)
    return std::nullopt;
  std::optional<Sym> pw = eval.toPiecewise(*sym);
  if (!pw)
    return std::nullopt;
  MaskEffect onTrue = effect(pw->tv), onFalse = effect(pw->fv);
  if (std::optional<double> c = Evaluator::asConst(*pw))
    onTrue = onFalse = effect(*c);
  auto hidden = [](MaskEffect e) {
    return e == MaskEffect::Hidden || e == MaskEffect::HiddenFinite;
  };
  if (onTrue == MaskEffect::Other || onFalse == MaskEffect::Other)
    return std::nullopt;
  if (onTrue == MaskEffect::Visible && onFalse == MaskEffect::Visible)
    return MaskClass{};
  if (hidden(onTrue) && hidden(onFalse))
    return std::nullopt;
  Affine visible =
      onTrue == MaskEffect::Visible ? pw->pred : negatePred(pw->pred);
  // visible: c_i i + c_j j + k <= 0 with (c_i, c_j) = (-1, 1), j <= i - k
  // (the upper side of a band), or (1, -1), j >= i + k (the lower side).
  for (int64_t v = 0; v < scoreRank - 2; ++v)
    if (visible.c[v] != 0)
      return std::nullopt;
  int64_t ci = visible.c[scoreRank - 2], cj = visible.c[scoreRank - 1];
  MaskClass result;
  result.full = false;
  result.sq = sq;
  result.sk = sk;
  result.finite =
      onTrue == MaskEffect::HiddenFinite || onFalse == MaskEffect::HiddenFinite;
  if (ci == -1 && cj == 1)
    result.upper = -visible.k;
  else if (ci == 1 && cj == -1)
    result.lower = visible.k;
  else
    return std::nullopt;
  // With a finite fill, a row without a visible key would come out uniform
  // instead of zero.
  if (result.finite) {
    int64_t firstRowLast = result.upper.value_or(sk - 1);
    int64_t lastRowFirst = result.lower ? sq - 1 + *result.lower : 0;
    if (firstRowLast < 0 || lastRowFirst > sk - 1)
      return std::nullopt;
  }
  result.mask = bandMask(ctx, result.upper, result.lower, sq, sk);
  if (!result.mask)
    return std::nullopt;
  return result;
}

/// The symbolic value of a mask-like `tensor` read at `coords` of the score
/// space, or of `scalar` in `generic`'s body (see classifyMask).
static std::optional<Sym> evalOverScores(Evaluator &eval, Value tensor,
                                         AffineMap coords, Value scalar,
                                         Operation *generic) {
  SmallVector<Affine> dims = eval.vars();
  if (!tensor)
    return eval.evalScalar(scalar, dyn_cast_or_null<linalg::GenericOp>(generic),
                           dims);
  std::optional<SmallVector<Affine>> c = eval.applyMap(coords, dims);
  if (!c)
    return std::nullopt;
  return eval.evalTensor(tensor, *c);
}

std::optional<MaskClass>
fuse::classifyMask(Value tensor, AffineMap coords, Value scalar,
                   Operation *generic, int64_t scoreRank, int64_t sq,
                   int64_t sk,
                   const std::function<MaskEffect(double)> &effect) {
  if (scoreRank < 2)
    return std::nullopt;
  Evaluator eval(scoreRank);
  std::optional<Sym> sym =
      evalOverScores(eval, tensor, coords, scalar, generic);
  return classifySym(eval, sym, (tensor ? tensor : scalar).getContext(),
                     scoreRank, sq, sk, effect);
}

std::optional<SmallVector<MaskClass, 2>>
fuse::classifyMaskParts(Value tensor, AffineMap coords, bool hiddenWhenTrue,
                        int64_t scoreRank, int64_t sq, int64_t sk,
                        const std::function<MaskEffect(double)> &effect) {
  if (scoreRank < 2)
    return std::nullopt;
  Evaluator eval(scoreRank);
  SmallVector<Affine> dims = eval.vars();
  std::optional<SmallVector<Affine>> c = eval.applyMap(coords, dims);
  if (!c)
    return std::nullopt;
  // TOSA: tosa.logical_and / logical_or of two tensors (broadcast).
  Operation *op = tensor.getDefiningOp();
  if (isa_and_nonnull<tosa::LogicalAndOp, tosa::LogicalOrOp>(op)) {
    if (hiddenWhenTrue != isa<tosa::LogicalOrOp>(op))
      return std::nullopt;
    SmallVector<MaskClass, 2> parts;
    for (Value side : op->getOperands()) {
      std::optional<SmallVector<Affine>> sc =
          broadcastCoords(side, *c, eval.constAff(0));
      if (!sc)
        return std::nullopt;
      std::optional<MaskClass> cls =
          classifySym(eval, eval.evalTensor(side, *sc), tensor.getContext(),
                      scoreRank, sq, sk, effect);
      if (!cls)
        return std::nullopt;
      parts.push_back(*cls);
    }
    return parts;
  }
  auto producer = dyn_cast_or_null<linalg::GenericOp>(op);
  if (!producer || producer.getNumParallelLoops() != producer.getNumLoops())
    return std::nullopt;
  auto result = cast<OpResult>(tensor);
  AffineMap outMap = producer.getIndexingMapMatchingResult(result);
  Value yielded =
      cast<linalg::YieldOp>(producer.getRegion().front().getTerminator())
          .getOperand(result.getResultNumber());
  Operation *def = yielded.getDefiningOp();
  // Shown where both sides show, or hidden where either side hides.
  if (!outMap.isPermutation() || !def ||
      def->getBlock() != &producer.getRegion().front() ||
      !(hiddenWhenTrue ? isa<arith::OrIOp>(def) : isa<arith::AndIOp>(def)))
    return std::nullopt;
  // The producer's loops at the score coordinates (as evalTensor does).
  SmallVector<Affine> loops(producer.getNumLoops(), eval.constAff(0));
  for (unsigned i = 0; i < outMap.getNumResults(); ++i)
    loops[outMap.getDimPosition(i)] = (*c)[i];
  SmallVector<MaskClass, 2> parts;
  for (Value side : def->getOperands()) {
    std::optional<MaskClass> cls =
        classifySym(eval, eval.evalScalar(side, producer, loops),
                    tensor.getContext(), scoreRank, sq, sk, effect);
    if (!cls)
      return std::nullopt;
    parts.push_back(*cls);
  }
  return parts;
}

bool fuse::isKeyDistance(Value tensor, AffineMap coords, Value scalar,
                         Operation *generic, int64_t scoreRank) {
  if (scoreRank < 2)
    return false;
  Evaluator eval(scoreRank);
  std::optional<Sym> sym =
      evalOverScores(eval, tensor, coords, scalar, generic);
  if (!sym || sym->piecewise)
    return false;
  const Affine &a = sym->aff;
  for (int64_t v = 0; v < scoreRank - 2; ++v)
    if (a.c[v] != 0)
      return false;
  int64_t ci = a.c[scoreRank - 2];
  return a.c[scoreRank - 1] == 1 && (ci == 0 || ci == -1);
}

MaskAttr fuse::bandMask(MLIRContext *ctx, std::optional<int64_t> upper,
                        std::optional<int64_t> lower, int64_t sq, int64_t sk) {
  // Window sizes from the diagonal of each alignment (top-left: d(i) = i,
  // bottom-right: d(i) = i + sk - sq); an upper side on the diagonal is
  // causal.
  // An upper side on one alignment's diagonal picks that alignment (a
  // causal mask); otherwise the first alignment that can say the band.
  SmallVector<MaskAlign, 2> aligns = {MaskAlign::TopLeft,
                                      MaskAlign::BottomRight};
  if (upper && *upper == sk - sq && sk != sq)
    std::swap(aligns[0], aligns[1]);
  for (MaskAlign align : aligns) {
    int64_t diag = align == MaskAlign::TopLeft ? 0 : sk - sq;
    if (align == MaskAlign::BottomRight && diag == 0)
      continue; // the same diagonal as top-left
    bool causal = false;
    int64_t right = -1, left = -1;
    if (upper) {
      if (*upper < diag)
        continue;
      causal = *upper == diag;
      right = causal ? -1 : *upper - diag;
    }
    if (lower) {
      if (*lower > diag)
        continue;
      left = diag - *lower;
    }
    // A band with only a right window (no causal, no left side) has no
    // meaning in attn.sdpa other than a shifted causal mask; keep it.
    return MaskAttr::get(ctx, causal, align, left, right);
  }
  return {};
}

bool fuse::addMask(AttentionMatch &m, const MaskClass &cls) {
  if (cls.full)
    return true;
  if (!m.mask) {
    m.mask = cls.mask;
    m.band = cls;
    return true;
  }
  if (m.mask == cls.mask)
    return true;
  // The other side of the band: a causal (upper) mask and a left window
  // (lower), applied one after the other. Not with finite fills (a row
  // the two hide together would be uniform instead of zero).
  if (m.band.finite || cls.finite || (m.band.upper && cls.upper) ||
      (m.band.lower && cls.lower))
    return false;
  std::optional<int64_t> upper = m.band.upper ? m.band.upper : cls.upper;
  std::optional<int64_t> lower = m.band.lower ? m.band.lower : cls.lower;
  MaskAttr merged = bandMask(m.mask.getContext(), upper, lower, cls.sq, cls.sk);
  if (!merged)
    return false;
  m.mask = merged;
  m.band.upper = upper;
  m.band.lower = lower;
  return true;
}
