//===- Passes.td - attn conversion passes ------------------*- tablegen -*-===//
//
// Conversions out of the attn dialect (to linalg/tensor/scf for the CPU, to
// GPU kernels). Flags start with `convert-attn-`.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_CONVERSION_PASSES
#define ATTN_CONVERSION_PASSES

include "mlir/Pass/PassBase.td"

// Pass definitions follow, one per conversion.

def ConvertAttnToLinalgPass : Pass<"convert-attn-to-linalg"> {
  let summary = "Lower every attn op to linalg, tensor, arith, math and scf";
  let description = [{
    Rewrites each attn op into upstream ops on tensors with the semantics
    documented on the op. `attn.sdpa` becomes the reference decomposition
    (scores, masks, a numerically safe softmax, P·V); run `attn-flash-tile`
    first to get the tiled online-softmax form instead. An attn op without a
    lowering is reported as an error and the pass fails.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

#endif // ATTN_CONVERSION_PASSES
