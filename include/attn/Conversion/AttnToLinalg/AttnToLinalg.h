//===- AttnToLinalg.h - lowering attn ops to linalg on tensors --*- C++ -*-===//
//
// Each op family contributes its patterns from its own file
// (passes/Conversion/AttnToLinalg/<Family>ToLinalg.cpp). The patterns rewrite
// attn ops on tensors into linalg/tensor/arith/math/scf ops on tensors, with
// the exact semantics documented on each op; the result bufferizes and lowers
// to loops with upstream passes.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_CONVERSION_ATTNTOLINALG_ATTNTOLINALG_H
#define ATTN_CONVERSION_ATTNTOLINALG_ATTNTOLINALG_H

#include <cstdint>

namespace mlir {
class RewritePatternSet;
namespace attn {

/// attn.sdpa (reference, unfused-in-registers decomposition) and attn.combine.
void populateFusedOpsToLinalgPatterns(RewritePatternSet &patterns);
/// QKV projection, split of packed QKV, RoPE, output projection.
void populateProjectionOpsToLinalgPatterns(RewritePatternSet &patterns);
/// scores, mask, softmax, weighted sum.
void populateUnfusedOpsToLinalgPatterns(RewritePatternSet &patterns);
/// KV-cache append, paged attention and paged gather.
void populateCacheOpsToLinalgPatterns(RewritePatternSet &patterns);
/// attn.paged_attention (static shapes) as attn.paged_gather of K and V and
/// one attn.sdpa, for flash tiling (attn-paged-attention-to-sdpa).
void populatePagedAttentionToSdpaPatterns(RewritePatternSet &patterns);
/// quantize / dequantize.
void populateQuantOpsToLinalgPatterns(RewritePatternSet &patterns);
/// Linformer, AFT, top-k attention.
void populateVariantOpsToLinalgPatterns(RewritePatternSet &patterns);

/// All of the above.
void populateAttnToLinalgPatterns(RewritePatternSet &patterns);

} // namespace attn
} // namespace mlir

#endif // ATTN_CONVERSION_ATTNTOLINALG_ATTNTOLINALG_H
