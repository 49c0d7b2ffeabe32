//===- ConvertAttnToLinalg.cpp - the convert-attn-to-linalg pass ----------===//

#include "attn/Conversion/AttnToLinalg/AttnToLinalg.h"
#include "attn/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::attn {
#define GEN_PASS_DEF_CONVERTATTNTOLINALGPASS
#define GEN_PASS_DEF_PAGEDATTENTIONTOSDPAPASS
#include "attn/Conversion/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

void mlir::attn::populateAttnToLinalgPatterns(RewritePatternSet &patterns) {
  populateFusedOpsToLinalgPatterns(patterns);
  populateProjectionOpsToLinalgPatterns(patterns);
  populateUnfusedOpsToLinalgPatterns(patterns);
  populateCacheOpsToLinalgPatterns(patterns);
  populateQuantOpsToLinalgPatterns(patterns);
  populateVariantOpsToLinalgPatterns(patterns);
}

namespace {
struct ConvertAttnToLinalgPass
    : attn::impl::ConvertAttnToLinalgPassBase<ConvertAttnToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addIllegalDialect<AttnDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(ctx);
    populateAttnToLinalgPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

struct PagedAttentionToSdpaPass
    : attn::impl::PagedAttentionToSdpaPassBase<PagedAttentionToSdpaPass> {
  using PagedAttentionToSdpaPassBase::PagedAttentionToSdpaPassBase;

  /// A bad tile-kv is reported with the options (no location, no module
  /// dump), like values that do not parse.
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populatePagedAttentionToSdpaPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
