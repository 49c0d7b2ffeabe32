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

#endif // ATTN_CONVERSION_PASSES
