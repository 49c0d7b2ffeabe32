//===- UnfusedOpsToLinalg.cpp - lower unfused attn ops to linalg ------------===//

#include "attn/Conversion/AttnToLinalg/AttnToLinalg.h"
#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::attn;

void mlir::attn::populateUnfusedOpsToLinalgPatterns(RewritePatternSet &patterns) {
  // Patterns of this op family are added here as its ops gain lowerings.
  (void)patterns;
}
