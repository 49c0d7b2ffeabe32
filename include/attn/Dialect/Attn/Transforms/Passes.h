//===- Passes.h - attn transformation passes --------------------*- C++ -*-===//

#ifndef ATTN_DIALECT_ATTN_TRANSFORMS_PASSES_H
#define ATTN_DIALECT_ATTN_TRANSFORMS_PASSES_H

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
namespace attn {

#define GEN_PASS_DECL
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "attn/Dialect/Attn/Transforms/Passes.h.inc"

/// Patterns of `attn-fuse-attention`: each rewrites an unfused attention
/// chain (attn unfused ops, linalg on tensors or TOSA) ending in the final
/// probabilities-times-values matmul into one `attn.sdpa`.
void populateFuseAttentionPatterns(RewritePatternSet &patterns);

/// Pattern of `attn-flash-tile`: rewrites a supported `attn.sdpa` into
/// loops over query and key/value tiles with online softmax, as the pass's
/// options say (tile sizes, peeling, widening, parallel heads, key padding,
/// keys transposed once per head, prefetches of paged KV pieces).
void populateFlashTilePatterns(RewritePatternSet &patterns,
                               const FlashTilePassOptions &options);

} // namespace attn
} // namespace mlir

#endif // ATTN_DIALECT_ATTN_TRANSFORMS_PASSES_H
