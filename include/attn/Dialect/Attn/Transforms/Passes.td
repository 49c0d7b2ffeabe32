//===- Passes.td - attn transformation passes --------------*- tablegen -*-===//
//
// Passes that rewrite attention within the attn dialect or into it: fusion,
// flash tiling and split-KV. Flags start with `attn-`.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_TRANSFORMS_PASSES
#define ATTN_DIALECT_ATTN_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

// Pass definitions follow, one per pass, in the order of a pipeline.

#endif // ATTN_DIALECT_ATTN_TRANSFORMS_PASSES
