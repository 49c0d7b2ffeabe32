//===- VerifyUtils.h - diagnostics shared by attn op verifiers --*- C++ -*-===//
//
// Private to the dialect library. Every helper emits an op error that names
// the operands involved ("expected ..., got ...") and returns failure().
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECTS_ATTN_IR_VERIFYUTILS_H
#define ATTN_DIALECTS_ATTN_IR_VERIFYUTILS_H

#include "attn/Dialect/Attn/Utils/ShapeUtils.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"

namespace mlir::attn::checks {

/// `name` must have rank `rank`.
LogicalResult verifyRank(Operation *op, StringRef name, ShapedType type,
                         int64_t rank);

/// Dimension `what` of `nameA` (size `a`) and `nameB` (size `b`) must agree.
LogicalResult verifySameSize(Operation *op, StringRef what, StringRef nameA,
                             int64_t a, StringRef nameB, int64_t b);

/// `name` must have exactly shape `expected` (dynamic sizes agree).
LogicalResult verifyShape(Operation *op, StringRef name, ShapedType type,
                          ArrayRef<int64_t> expected);

/// `nameA` and `nameB` must have the same element type.
LogicalResult verifySameElementType(Operation *op, StringRef nameA,
                                    ShapedType a, StringRef nameB,
                                    ShapedType b);

/// `numQ` query heads must be a positive multiple of `numKV` KV heads.
LogicalResult verifyGroupedHeads(Operation *op, StringRef nameQ, int64_t numQ,
                                 StringRef nameKV, int64_t numKV);

/// An optional float attribute (`scale`, `softcap`, `theta`...) must be
/// finite and > 0 when present.
LogicalResult verifyPositiveFinite(Operation *op, StringRef name,
                                   std::optional<APFloat> value);

} // namespace mlir::attn::checks

#endif // ATTN_DIALECTS_ATTN_IR_VERIFYUTILS_H
