//===- DotContraction.h - few-row contractions as dots ---------*- C++ -*-===//
//
// A contraction whose reduction dimension is the innermost dimension of both
// operands (Q·Kᵀ of a decode step: one query row against key rows stored
// [n, k]) is lowered to one dot product per result element instead of outer
// products, which need the right-hand side transposed.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_CONVERSION_CPU_DOTCONTRACTION_H
#define ATTN_CONVERSION_CPU_DOTCONTRACTION_H

#include "mlir/IR/PatternMatch.h"

namespace mlir::attn {

/// Rows of the left-hand side up to which such a contraction is computed as
/// dot products (above, transposing the right-hand side once pays off).
constexpr int64_t kDotContractionMaxRows = 4;

/// `vector.contract` (additive, floating point, one reduction dimension that
/// is the innermost dimension of both operands, at most
/// kDotContractionMaxRows rows) -> per result element a `vector.reduction
/// <add>` of the product of the two operand rows, added to the accumulator.
void populateDotContractionLoweringPatterns(RewritePatternSet &patterns,
                                            PatternBenefit benefit = 2);

} // namespace mlir::attn

#endif // ATTN_CONVERSION_CPU_DOTCONTRACTION_H
