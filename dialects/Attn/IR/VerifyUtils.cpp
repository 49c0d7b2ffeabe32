//===- VerifyUtils.cpp - diagnostics shared by attn op verifiers ----------===//

#include "VerifyUtils.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/SmallString.h"

using namespace mlir;
using namespace mlir::attn;

LogicalResult checks::verifyRank(Operation *op, StringRef name, ShapedType type,
                                 int64_t rank) {
  if (type.getRank() == rank)
    return success();
  return op->emitOpError() << "expected " << name << " of rank " << rank
                           << ", got rank " << type.getRank() << " (" << type
                           << ")";
}

LogicalResult checks::verifySameSize(Operation *op, StringRef what,
                                     StringRef nameA, int64_t a,
                                     StringRef nameB, int64_t b) {
  if (sizesAgree(a, b))
    return success();
  return op->emitOpError() << "expected " << nameA << " and " << nameB
                           << " to have the same " << what << ", got " << a
                           << " and " << b;
}

LogicalResult checks::verifyShape(Operation *op, StringRef name,
                                  ShapedType type, ArrayRef<int64_t> expected) {
  bool ok = type.getRank() == static_cast<int64_t>(expected.size());
  for (int64_t i = 0; ok && i < type.getRank(); ++i)
    ok = sizesAgree(type.getDimSize(i), expected[i]);
  if (ok)
    return success();
  return op->emitOpError() << "expected " << name << " of shape ["
                           << formatShape(expected) << "], got " << type;
}

LogicalResult checks::verifySameElementType(Operation *op, StringRef nameA,
                                            ShapedType a, StringRef nameB,
                                            ShapedType b) {
  if (a.getElementType() == b.getElementType())
    return success();
  return op->emitOpError() << "expected " << nameA << " and " << nameB
                           << " to have the same element type, got "
                           << a.getElementType() << " and "
                           << b.getElementType();
}

LogicalResult checks::verifyGroupedHeads(Operation *op, StringRef nameQ,
                                         int64_t numQ, StringRef nameKV,
                                         int64_t numKV) {
  if (getGroupSize(numQ, numKV))
    return success();
  return op->emitOpError() << "expected the " << numQ << " heads of " << nameQ
                           << " to be a positive multiple of the " << numKV
                           << " heads of " << nameKV;
}

LogicalResult checks::verifyPositiveFinite(Operation *op, StringRef name,
                                           std::optional<APFloat> value) {
  if (!value)
    return success();
  if (value->isFinite() && !value->isNegative() && !value->isZero())
    return success();
  SmallString<16> str;
  value->toString(str);
  return op->emitOpError() << "expected " << name
                           << " to be finite and > 0, got " << str;
}
