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
/// loops over query and key/value tiles with online softmax; `peel`: the
/// partial last tiles of static lengths get their own static-size step;
/// `widen`: f16/bf16 tiles are converted to f32 once per tile;
/// `parallelHeads`: one scf.forall over (batch, query head); `padKV`: partial
/// static key tiles whose size is not a multiple of it are padded to one (0:
/// none); `transposeKeys`: each head's keys transposed once for Q·Kᵀ.
void populateFlashTilePatterns(RewritePatternSet &patterns, int64_t tileQ,
                               int64_t tileKV, bool peel = false,
                               bool widen = false, bool parallelHeads = false,
                               int64_t padKV = 0, bool transposeKeys = false);

} // namespace attn
} // namespace mlir

#endif // ATTN_DIALECT_ATTN_TRANSFORMS_PASSES_H
