//===- DotContraction.cpp - contractions of few rows as dot products ------===//

#include "DotContraction.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

namespace {

/// The position of iteration dimension `dim` among the results of `map`.
static std::optional<unsigned> resultOf(AffineMap map, unsigned dim) {
  for (auto [i, expr] : llvm::enumerate(map.getResults()))
    if (auto d = dyn_cast<AffineDimExpr>(expr); d && d.getPosition() == dim)
      return i;
  return std::nullopt;
}

struct DotContraction : OpRewritePattern<vector::ContractionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(vector::ContractionOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getKind() != vector::CombiningKind::ADD)
      return rewriter.notifyMatchFailure(op, "not a sum");
    auto accType = dyn_cast<VectorType>(op.getAccType());
    VectorType lhsType = op.getLhsType(), rhsType = op.getRhsType();
    if (!accType || !isa<FloatType>(accType.getElementType()) ||
        lhsType.getElementType() != accType.getElementType() ||
        rhsType.getElementType() != accType.getElementType() ||
        accType.isScalable())
      return rewriter.notifyMatchFailure(op, "not a float vector result");
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    AffineMap lhsMap = maps[0], rhsMap = maps[1], accMap = maps[2];
    SmallVector<unsigned> reductions;
    for (auto [i, type] : llvm::enumerate(op.getIteratorTypesArray()))
      if (type == vector::IteratorType::reduction)
        reductions.push_back(i);
    if (reductions.size() != 1 || !lhsMap.isProjectedPermutation() ||
        !rhsMap.isProjectedPermutation() || !accMap.isProjectedPermutation())
      return rewriter.notifyMatchFailure(op, "not one reduction dimension");
    unsigned k = reductions.front();
    if (resultOf(lhsMap, k) != lhsMap.getNumResults() - 1 ||
        resultOf(rhsMap, k) != rhsMap.getNumResults() - 1)
      return rewriter.notifyMatchFailure(op, "k is not innermost");
    // Rows of the left-hand side: its dimensions other than k.
    int64_t lhsRows = lhsType.getNumElements() / lhsType.getShape().back();
    if (lhsRows > attn::kDotContractionMaxRows)
      return rewriter.notifyMatchFailure(op, "too many rows");

    Location loc = op.getLoc();
    unsigned numDims = lhsMap.getNumDims();
    SmallVector<Value> elements;
    // One dot product per element of the result, in row-major order.
    int64_t total = accType.getNumElements();
    ArrayRef<int64_t> accShape = accType.getShape();
    SmallVector<int64_t> at(numDims, 0);
    for (int64_t linear = 0; linear < total; ++linear) {
      int64_t rest = linear;
      SmallVector<int64_t> accIndex(accShape.size());
      for (int64_t i = accShape.size() - 1; i >= 0; --i) {
        accIndex[i] = rest % accShape[i];
        rest /= accShape[i];
      }
      for (auto [i, expr] : llvm::enumerate(accMap.getResults()))
        at[cast<AffineDimExpr>(expr).getPosition()] = accIndex[i];
      auto row = [&](Value operand, AffineMap map) -> Value {
        SmallVector<int64_t> position;
        for (AffineExpr expr : map.getResults().drop_back())
          position.push_back(at[cast<AffineDimExpr>(expr).getPosition()]);
        if (position.empty())
          return operand;
        return vector::ExtractOp::create(rewriter, loc, operand, position);
      };
      Value lhsRow = row(op.getLhs(), lhsMap);
      Value rhsRow = row(op.getRhs(), rhsMap);
      Value product = arith::MulFOp::create(rewriter, loc, lhsRow, rhsRow);
      Value acc = vector::ExtractOp::create(rewriter, loc, op.getAcc(),
                                            ArrayRef<int64_t>(accIndex));
      elements.push_back(vector::ReductionOp::create(
          rewriter, loc, vector::CombiningKind::ADD, product, acc));
    }
    rewriter.replaceOpWithNewOp<vector::FromElementsOp>(op, accType, elements);
    return success();
  }
};

} // namespace

void mlir::attn::populateDotContractionLoweringPatterns(
    RewritePatternSet &patterns, PatternBenefit benefit) {
  patterns.add<DotContraction>(patterns.getContext(), benefit);
}
