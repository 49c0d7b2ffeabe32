//===- LoweringUtils.h - helpers shared by the attn-to-linalg patterns ----===//
//
// Scalar and tensor building blocks every op family's lowering needs: the
// accumulation type, float casts and constants, filled tensors. Private to
// passes/Conversion/AttnToLinalg.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_PASSES_CONVERSION_ATTNTOLINALG_LOWERINGUTILS_H
#define ATTN_PASSES_CONVERSION_ATTNTOLINALG_LOWERINGUTILS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace mlir::attn {

/// The type attention arithmetic runs in for `elementType`: f64 for f64
/// data, f32 for everything narrower (f16, bf16, f32).
FloatType getComputeType(Type elementType);

/// Extends or truncates the float scalar `v` to `to` (nothing if equal).
Value castFloat(OpBuilder &b, Location loc, Value v, Type to);

/// An arith.constant of float type `type`.
Value floatConst(OpBuilder &b, Location loc, Type type, double value);

/// -inf of float type `type`.
Value negInf(OpBuilder &b, Location loc, Type type);

/// A tensor of `sizes` x `elementType` filled with `value`.
Value filledTensor(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                   Type elementType, double value);

} // namespace mlir::attn

#endif // ATTN_PASSES_CONVERSION_ATTNTOLINALG_LOWERINGUTILS_H
