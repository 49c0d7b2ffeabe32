//===- LowerVectors.cpp - the attn-cpu-lower-vectors pass -----------------===//
//
// Lowers the n-D vector ops that attn-cpu-vectorize produces (contractions,
// multi-reductions, transposes, ...) to 1-D vector ops that
// convert-vector-to-llvm turns into SIMD instructions.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::attn {
#define GEN_PASS_DEF_CPULOWERVECTORSPASS
#include "attn/Conversion/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// A bound on the number of rewrites of the greedy driver, so that patterns
/// that undo each other cannot hang the compiler (not converging leaves
/// valid IR that convert-vector-to-llvm still lowers).
static constexpr int64_t kMaxRewrites = 20000;

static GreedyRewriteConfig boundedConfig() {
  GreedyRewriteConfig config;
  config.setMaxNumRewrites(kMaxRewrites);
  return config;
}

struct CPULowerVectorsPass
    : attn::impl::CPULowerVectorsPassBase<CPULowerVectorsPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    Operation *root = getOperation();

    // 1. Contractions to outer products (then FMAs), with the transfers'
    // permutation maps made minor identities and unit dims dropped.
    {
      RewritePatternSet patterns(ctx);
      vector::populateVectorContractLoweringPatterns(
          patterns, vector::VectorContractLowering::OuterProduct);
      vector::populateVectorOuterProductLoweringPatterns(patterns);
      vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
      vector::populateVectorReductionToContractPatterns(patterns);
      vector::populateCastAwayVectorLeadingOneDimPatterns(patterns);
      vector::populateVectorTransferDropUnitDimsPatterns(patterns);
      vector::populateSinkVectorOpsPatterns(patterns);
      // 0-D and one-element transfers become memref.load/store.
      vector::populateScalarVectorTransferLoweringPatterns(
          patterns, /*benefit=*/2, /*allowMultipleUses=*/true);
      (void)applyPatternsGreedily(root, std::move(patterns), boundedConfig());
    }
    // 2. Everything else that is n-D to 1-D.
    {
      RewritePatternSet patterns(ctx);
      vector::populateVectorMultiReductionLoweringPatterns(
          patterns, vector::VectorMultiReductionLowering::InnerReduction);
      vector::populateVectorTransposeLoweringPatterns(
          patterns, vector::VectorTransposeLowering::EltWise);
      vector::populateVectorBroadcastLoweringPatterns(patterns);
      vector::populateVectorShapeCastLoweringPatterns(patterns);
      vector::populateVectorMaskOpLoweringPatterns(patterns);
      vector::populateVectorGatherLoweringPatterns(patterns);
      vector::populateVectorStepLoweringPatterns(patterns);
      vector::populateVectorContractLoweringPatterns(
          patterns, vector::VectorContractLowering::OuterProduct);
      vector::populateVectorOuterProductLoweringPatterns(patterns);
      vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
      vector::populateVectorInsertExtractStridedSliceTransforms(patterns);
      (void)applyPatternsGreedily(root, std::move(patterns), boundedConfig());
    }
  }
};

} // namespace
