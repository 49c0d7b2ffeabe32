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

//===----------------------------------------------------------------------===//
// FuseAttentionPass
//===----------------------------------------------------------------------===//

def FuseAttentionPass : Pass<"attn-fuse-attention"> {
  let summary = "fuse unfused attention chains into attn.sdpa";
  let description = [{
    Finds `softmax(mask(scale * Q Kᵀ)) V` computed step by step and replaces
    the chain by one `attn.sdpa`. Three input forms are recognised, each
    matched backwards from the final probabilities-times-values matmul:
    - the attn dialect's unfused steps (`attn.scores`, `attn.mask`,
      `attn.softmax`, `attn.weighted_sum`);
    - linalg on tensors as frontends (torch-mlir) emit it: `linalg.transpose`
      of K, `linalg.batch_matmul` (possibly between `tensor.collapse_shape`
      and `tensor.expand_shape`), an elementwise scale (on the scores, on Q,
      or split as `d^-1/4` on Q and Kᵀ), `linalg.softmax` or its
      max/sub/exp/sum/div decomposition, a causal mask as iota + compare +
      select or as an added constant, or an additive mask operand, and GQA as
      a broadcasting copy of the K/V heads;
    - TOSA: `tosa.transpose`, `tosa.matmul`, `tosa.mul` scale,
      `tosa.reduce_max`/`sub`/`exp`/`reduce_sum`/`reciprocal`/`mul` softmax,
      with `tosa.reshape` around.
    A chain whose intermediate values have other users, whose softmax runs
    over another axis, or whose mask or scale is not recognised is left
    unchanged. The dead chain is erased after the rewrite.

    Example:

    ```mlir
    %s = attn.scores %q, %k {scale = 0.125 : f32} : ...
    %p = attn.softmax %s : ...
    %o = attn.weighted_sum %p, %v : ...
    // becomes
    %o = attn.sdpa %q, %k, %v {scale = 0.125 : f32} : ...
    ```
  }];
  let dependentDialects = ["::mlir::attn::AttnDialect",
                           "::mlir::tensor::TensorDialect"];
}

#endif // ATTN_DIALECT_ATTN_TRANSFORMS_PASSES
