//===- QuantOps.cpp - quantize and dequantize op verifiers ----------------===//

#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "VerifyUtils.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::checks;

/// Checks the operands shared by attn.quantize and attn.dequantize: the
/// storage tensor `storage` (named `storageName`) must have the element type
/// the scheme implies and the shape of the float tensor `real`; the scale and
/// the zero point must have the shape the granularity implies.
static LogicalResult verifyQuantOperands(Operation *op, QuantAttr quant,
                                         StringRef realName,
                                         RankedTensorType real,
                                         StringRef storageName,
                                         RankedTensorType storage,
                                         RankedTensorType scale, Value zp) {
  QuantScheme scheme = quant.getScheme();
  Type storageElt = quant.getStorageType(op->getContext());
  if (storage.getElementType() != storageElt)
    return op->emitOpError()
           << "expected " << storageName << " element type " << storageElt
           << " for " << stringifyQuantScheme(scheme) << ", got "
           << storage.getElementType();
  if (failed(verifyShape(op, storageName, storage, real.getShape())))
    return failure();

  // Scale shape from the granularity.
  QuantGranularity granularity = quant.getGranularity();
  int64_t rank = real.getRank();
  if (granularity == QuantGranularity::PerHead && quant.getAxis() >= rank)
    return op->emitOpError()
           << "expected a per_head axis in [0, " << rank << ") for " << realName
           << " of rank " << rank << ", got " << quant.getAxis();
  if (granularity == QuantGranularity::PerToken && rank == 0)
    return op->emitOpError() << "expected " << realName
                             << " of rank >= 1 for per_token quantization, "
                                "got rank 0";
  std::string error;
  std::optional<SmallVector<int64_t>> scaleShape = getScaleShape(
      real.getShape(), static_cast<int>(granularity), quant.getAxis(), error);
  if (!scaleShape)
    return op->emitOpError()
           << "expected a valid quantization granularity: " << error;
  bool perTensorVector = granularity == QuantGranularity::PerTensor &&
                         scale.getRank() == 1 &&
                         sizesAgree(scale.getDimSize(0), 1);
  if (!perTensorVector && failed(verifyShape(op, "scale", scale, *scaleShape)))
    return failure();

  // Zero point: only and always for int8_asym, shaped like the scale.
  if (quant.hasZeroPoint() && !zp)
    return op->emitOpError() << "expected a zero_point operand for "
                             << stringifyQuantScheme(scheme);
  if (!quant.hasZeroPoint() && zp)
    return op->emitOpError() << "expected no zero_point operand for "
                             << stringifyQuantScheme(scheme);
  if (zp &&
      failed(verifyShape(op, "zero_point", cast<RankedTensorType>(zp.getType()),
                         scale.getShape())))
    return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// QuantizeOp
//===----------------------------------------------------------------------===//

LogicalResult QuantizeOp::verify() {
  return verifyQuantOperands(
      *this, getQuant(), "input", cast<RankedTensorType>(getInput().getType()),
      "result", cast<RankedTensorType>(getResult().getType()),
      cast<RankedTensorType>(getScale().getType()), getZeroPoint());
}

//===----------------------------------------------------------------------===//
// DequantizeOp
//===----------------------------------------------------------------------===//

LogicalResult DequantizeOp::verify() {
  return verifyQuantOperands(
      *this, getQuant(), "result",
      cast<RankedTensorType>(getResult().getType()), "input",
      cast<RankedTensorType>(getInput().getType()),
      cast<RankedTensorType>(getScale().getType()), getZeroPoint());
}
