//===- AttnDialect.cpp - attn dialect and attributes ----------------------===//

#include "attn/Dialect/Attn/IR/AttnDialect.h"
#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/Transforms/InliningUtils.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::attn;

#include "attn/Dialect/Attn/IR/AttnOpsDialect.cpp.inc"

#include "attn/Dialect/Attn/IR/AttnEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "attn/Dialect/Attn/IR/AttnAttrDefs.cpp.inc"

namespace {
/// attn ops have no regions and no side effects beyond their operands and
/// results (the cache ops update the tensors they return): a call to a
/// function made of them may be inlined anywhere.
struct AttnInlinerInterface : DialectInlinerInterface {
  using DialectInlinerInterface::DialectInlinerInterface;

  bool isLegalToInline(Operation *, Region *, bool, IRMapping &) const final {
    return true;
  }
};
} // namespace

void AttnDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "attn/Dialect/Attn/IR/AttnAttrDefs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "attn/Dialect/Attn/IR/AttnOps.cpp.inc"
      >();
  addInterfaces<AttnInlinerInterface>();
}

//===----------------------------------------------------------------------===//
// MaskAttr
//===----------------------------------------------------------------------===//

LogicalResult MaskAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                               bool causal, MaskAlign align, int64_t windowLeft,
                               int64_t windowRight) {
  (void)align;
  if (windowLeft < -1)
    return emitError() << "expected window_left >= -1 (-1: unbounded), got "
                       << windowLeft;
  if (windowRight < -1)
    return emitError() << "expected window_right >= -1 (-1: unbounded), got "
                       << windowRight;
  if (causal && windowRight > 0)
    return emitError() << "expected window_right <= 0 with causal = true, got "
                       << windowRight;
  return success();
}

bool MaskAttr::isVisible(int64_t i, int64_t j, int64_t sq, int64_t sk) const {
  int64_t diag = getAlign() == MaskAlign::BottomRight ? i + sk - sq : i;
  if (getCausal() && j > diag)
    return false;
  if (getWindowLeft() >= 0 && j < diag - getWindowLeft())
    return false;
  if (getWindowRight() >= 0 && j > diag + getWindowRight())
    return false;
  return true;
}

//===----------------------------------------------------------------------===//
// QuantAttr
//===----------------------------------------------------------------------===//

LogicalResult QuantAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                QuantScheme scheme,
                                QuantGranularity granularity, int64_t axis) {
  bool isFp8 = scheme == QuantScheme::Fp8E4M3 || scheme == QuantScheme::Fp8E5M2;
  if (isFp8 && granularity == QuantGranularity::PerToken)
    return emitError() << "expected per_tensor or per_head granularity for "
                       << stringifyQuantScheme(scheme) << ", got per_token";
  if (granularity == QuantGranularity::PerHead && axis < 0)
    return emitError() << "expected an axis >= 0 for per_head granularity, got "
                       << axis;
  if (granularity != QuantGranularity::PerHead && axis != -1)
    return emitError() << "expected no axis for "
                       << stringifyQuantGranularity(granularity)
                       << " granularity, got " << axis;
  return success();
}

Type QuantAttr::getStorageType(MLIRContext *ctx) const {
  switch (getScheme()) {
  case QuantScheme::Int8Sym:
  case QuantScheme::Int8Asym:
    return IntegerType::get(ctx, 8);
  case QuantScheme::Fp8E4M3:
    return Float8E4M3FNType::get(ctx);
  case QuantScheme::Fp8E5M2:
    return Float8E5M2Type::get(ctx);
  }
  llvm_unreachable("unknown quant scheme");
}
