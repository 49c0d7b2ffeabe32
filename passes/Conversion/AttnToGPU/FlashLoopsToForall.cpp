//===- FlashLoopsToForall.cpp - the attn-flash-loops-to-forall pass -------===//
//
// Turns the batch x head x query-tile `scf.for` nest of attn-flash-tile into
// one `scf.forall` whose iterations write disjoint slices of the results, the
// form the GPU kernel outlining maps onto the launch grid.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/AttnToGPU/AttnToGPU.h"
#include "attn/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ValueBoundsOpInterface.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::attn {
#define GEN_PASS_DEF_FLASHLOOPSTOFORALLPASS
#include "attn/Conversion/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// A loop nest `for { ... for { ... insert_slice ... yield } ... }` in which
/// each loop passes its carried tensors to the next one and the innermost
/// inserts one slice into each.
struct LoopNest {
  SmallVector<scf::ForOp> loops;
  SmallVector<tensor::InsertSliceOp> inserts;
};

/// The loop directly in `loop`'s body that takes `loop`'s carried tensors
/// and whose results `loop` yields, or null.
scf::ForOp getPassThroughInnerLoop(scf::ForOp loop) {
  auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
  if (yield.getNumOperands() == 0)
    return nullptr;
  auto inner = yield.getOperand(0).getDefiningOp<scf::ForOp>();
  if (!inner || inner->getBlock() != loop.getBody() ||
      inner.getResults() != ValueRange(yield.getOperands()) ||
      inner.getInitArgs() != ValueRange(loop.getRegionIterArgs()))
    return nullptr;
  // Nothing but the yield may follow the inner loop.
  if (inner->getNextNode() != yield)
    return nullptr;
  // The carried tensors are only handed to the inner loop.
  for (BlockArgument arg : loop.getRegionIterArgs())
    if (!arg.hasOneUse())
      return nullptr;
  return inner;
}

/// A constant upper bound (inclusive) of the index `v`: `min(x, y)` is
/// bounded by either operand's bound, other values by the value-bounds
/// analysis.
std::optional<int64_t> getUpperBound(Value v) {
  if (std::optional<int64_t> c = getConstantIntValue(v))
    return c;
  if (auto min = v.getDefiningOp<arith::MinSIOp>()) {
    std::optional<int64_t> a = getUpperBound(min.getLhs());
    std::optional<int64_t> b = getUpperBound(min.getRhs());
    if (a && b)
      return std::min(*a, *b);
    return a ? a : b;
  }
  FailureOr<int64_t> ub = ValueBoundsConstraintSet::computeConstantBound(
      presburger::BoundType::UB, {v}, /*stopCondition=*/nullptr,
      /*closedUB=*/true);
  if (failed(ub))
    return std::nullopt;
  return *ub;
}

/// Whether `offset` is `iv` with `step >= size`, or `iv * c` with
/// `c >= size` (c, step > 0): distinct iterations then give disjoint ranges
/// [offset, offset + size).
bool isDisjointOffset(OpFoldResult offset, OpFoldResult size, scf::ForOp loop) {
  std::optional<int64_t> sz = getConstantIntValue(size);
  // A partial tile, `min(tile, total - start)`, is bounded by the tile.
  if (!sz)
    sz = getUpperBound(cast<Value>(size));
  auto v = dyn_cast<Value>(offset);
  if (!sz || !v)
    return false;
  Value iv = loop.getInductionVar();
  if (v == iv) {
    std::optional<int64_t> step = getConstantIntValue(loop.getStep());
    return step && *step >= *sz;
  }
  auto mul = v.getDefiningOp<arith::MulIOp>();
  if (!mul)
    return false;
  Value other;
  if (mul.getLhs() == iv)
    other = mul.getRhs();
  else if (mul.getRhs() == iv)
    other = mul.getLhs();
  else
    return false;
  std::optional<int64_t> c = getConstantIntValue(other);
  std::optional<int64_t> step = getConstantIntValue(loop.getStep());
  return c && step && *c > 0 && *step > 0 && *c >= *sz;
}

/// Matches a nest rooted at `outer`, or returns failure.
FailureOr<LoopNest> matchNest(scf::ForOp outer) {
  LoopNest nest;
  nest.loops.push_back(outer);
  while (scf::ForOp inner = getPassThroughInnerLoop(nest.loops.back()))
    nest.loops.push_back(inner);
  scf::ForOp innermost = nest.loops.back();
  if (innermost.getNumRegionIterArgs() == 0)
    return failure();
  auto yield = cast<scf::YieldOp>(innermost.getBody()->getTerminator());
  for (auto [arg, yielded] :
       llvm::zip_equal(innermost.getRegionIterArgs(), yield.getOperands())) {
    auto insert = yielded.getDefiningOp<tensor::InsertSliceOp>();
    if (!insert || insert.getDest() != arg || !arg.hasOneUse() ||
        !insert->hasOneUse() || insert->getBlock() != innermost.getBody())
      return failure();
    if (!llvm::all_of(insert.getMixedStrides(),
                      [](OpFoldResult s) { return isConstantIntValue(s, 1); }))
      return failure();
    nest.inserts.push_back(insert);
  }
  // Bounds of inner loops must be defined outside the nest; ops of the
  // outer levels are cloned into the forall body, so they must be pure.
  for (scf::ForOp loop : ArrayRef(nest.loops).drop_front()) {
    for (Value bound :
         {loop.getLowerBound(), loop.getUpperBound(), loop.getStep()})
      if (!getConstantIntValue(bound) &&
          outer->isAncestor(bound.getParentRegion()->getParentOp()))
        return failure();
  }
  for (scf::ForOp loop : ArrayRef(nest.loops).drop_back()) {
    for (Operation &op : loop.getBody()->without_terminator())
      if (!isa<scf::ForOp>(op) && !isPure(&op))
        return failure();
  }
  // Race freedom: every loop owns a dimension of every inserted slice.
  for (scf::ForOp loop : nest.loops) {
    for (tensor::InsertSliceOp insert : nest.inserts) {
      bool owned = false;
      for (auto [off, sz] :
           llvm::zip_equal(insert.getMixedOffsets(), insert.getMixedSizes()))
        owned |= isDisjointOffset(off, sz, loop);
      if (!owned)
        return failure();
    }
  }
  return nest;
}

/// Builds the scf.forall of `nest` and replaces the outer loop by it.
scf::ForallOp rewriteNest(LoopNest &nest, RewriterBase &rewriter) {
  scf::ForOp outer = nest.loops.front();
  Location loc = outer.getLoc();
  SmallVector<OpFoldResult> lbs, ubs, steps;
  for (scf::ForOp loop : nest.loops) {
    lbs.push_back(getAsOpFoldResult(loop.getLowerBound()));
    ubs.push_back(getAsOpFoldResult(loop.getUpperBound()));
    steps.push_back(getAsOpFoldResult(loop.getStep()));
  }
  rewriter.setInsertionPoint(outer);
  auto forall =
      scf::ForallOp::create(rewriter, loc, lbs, ubs, steps, outer.getInitArgs(),
                            /*mapping=*/std::nullopt);
  IRMapping map;
  ValueRange outs = forall.getRegionIterArgs();
  for (auto [i, loop] : llvm::enumerate(nest.loops)) {
    map.map(loop.getInductionVar(), forall.getInductionVar(i));
    map.map(loop.getRegionIterArgs(), outs);
  }
  rewriter.setInsertionPoint(forall.getTerminator());
  for (scf::ForOp loop : nest.loops) {
    for (Operation &op : loop.getBody()->without_terminator()) {
      if (auto inner = dyn_cast<scf::ForOp>(op);
          inner && llvm::is_contained(nest.loops, inner))
        continue;
      if (auto insert = dyn_cast<tensor::InsertSliceOp>(op);
          insert && llvm::is_contained(nest.inserts, insert))
        continue;
      rewriter.clone(op, map);
    }
  }
  rewriter.setInsertionPointToStart(forall.getTerminator().getBody());
  for (auto [insert, out] : llvm::zip_equal(nest.inserts, outs)) {
    SmallVector<OpFoldResult> offsets, sizes, strides;
    auto remap = [&](OpFoldResult ofr) -> OpFoldResult {
      if (auto v = dyn_cast<Value>(ofr))
        return map.lookupOrDefault(v);
      return ofr;
    };
    for (OpFoldResult ofr : insert.getMixedOffsets())
      offsets.push_back(remap(ofr));
    for (OpFoldResult ofr : insert.getMixedSizes())
      sizes.push_back(remap(ofr));
    strides = insert.getMixedStrides();
    tensor::ParallelInsertSliceOp::create(
        rewriter, insert.getLoc(), map.lookupOrDefault(insert.getSource()), out,
        offsets, sizes, strides);
  }
  rewriter.replaceOp(outer, forall.getResults());
  return forall;
}

/// Clones the constants that `forall` uses from above into its body.
void sinkConstants(scf::ForallOp forall, RewriterBase &rewriter) {
  llvm::SetVector<Value> captured;
  getUsedValuesDefinedAbove(forall.getRegion(), captured);
  rewriter.setInsertionPointToStart(forall.getBody());
  for (Value v : captured) {
    Operation *def = v.getDefiningOp();
    if (!def || def->getNumOperands() != 0 || !matchPattern(v, m_Constant()))
      continue;
    Operation *copy = rewriter.clone(*def);
    rewriter.replaceUsesWithIf(v, copy->getResult(0), [&](OpOperand &use) {
      return forall->isProperAncestor(use.getOwner());
    });
  }
}

/// Gives each `tensor.empty` with dynamic sizes in `forall` the static
/// shape of the sizes' upper bounds; reports one it cannot bound.
LogicalResult boundEmptyTensors(scf::ForallOp forall, RewriterBase &rewriter) {
  SmallVector<tensor::EmptyOp> empties;
  forall.walk([&](tensor::EmptyOp op) {
    if (!op.getType().hasStaticShape())
      empties.push_back(op);
  });
  for (tensor::EmptyOp op : empties) {
    RankedTensorType type = op.getType();
    SmallVector<int64_t> shape(type.getShape());
    for (int64_t d = 0; d < type.getRank(); ++d) {
      if (!type.isDynamicDim(d))
        continue;
      std::optional<int64_t> ub = getUpperBound(op.getDynamicSize(d));
      if (!ub || *ub < 0)
        return op.emitOpError() << "has no constant upper bound for dimension "
                                << d << ": a GPU kernel cannot allocate it";
      shape[d] = *ub;
    }
    rewriter.setInsertionPoint(op);
    Value full = tensor::EmptyOp::create(rewriter, op.getLoc(), shape,
                                         type.getElementType());
    SmallVector<OpFoldResult> offsets(type.getRank(), rewriter.getIndexAttr(0));
    SmallVector<OpFoldResult> strides(type.getRank(), rewriter.getIndexAttr(1));
    SmallVector<OpFoldResult> sizes = op.getMixedSizes();
    rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(op, type, full, offsets,
                                                        sizes, strides);
  }
  return success();
}

struct FlashLoopsToForallPass
    : attn::impl::FlashLoopsToForallPassBase<FlashLoopsToForallPass> {
  using FlashLoopsToForallPassBase::FlashLoopsToForallPassBase;

  void runOnOperation() override {
    // Outermost loops first; nested candidates are handled with their root.
    SmallVector<LoopNest> nests;
    getOperation()->walk<WalkOrder::PreOrder>([&](scf::ForOp loop) {
      FailureOr<LoopNest> nest = matchNest(loop);
      if (failed(nest))
        return WalkResult::advance();
      nests.push_back(*nest);
      return WalkResult::skip();
    });
    IRRewriter rewriter(&getContext());
    SmallVector<scf::ForallOp> foralls;
    for (LoopNest &nest : nests)
      foralls.push_back(rewriteNest(nest, rewriter));
    for (scf::ForallOp forall : foralls) {
      sinkConstants(forall, rewriter);
      if (failed(boundEmptyTensors(forall, rewriter)))
        return signalPassFailure();
    }
  }
};

} // namespace
