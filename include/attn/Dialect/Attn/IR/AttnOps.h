//===- AttnOps.h - attn dialect operations ----------------------*- C++ -*-===//

#ifndef ATTN_DIALECT_ATTN_IR_ATTNOPS_H
#define ATTN_DIALECT_ATTN_IR_ATTNOPS_H

#include "attn/Dialect/Attn/IR/AttnDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::attn {
/// Rejects attributes an attn op does not define, unless they are
/// dialect-prefixed (`dialect.name`, MLIR's discardable attributes): a
/// frontend's `{causal = true}` must not be silently ignored.
LogicalResult verifyNoUnknownAttrs(Operation *op);

template <typename ConcreteType>
class NoUnknownAttrs : public OpTrait::TraitBase<ConcreteType, NoUnknownAttrs> {
public:
  static LogicalResult verifyTrait(Operation *op) {
    return verifyNoUnknownAttrs(op);
  }
};
} // namespace mlir::attn

#define GET_OP_CLASSES
#include "attn/Dialect/Attn/IR/AttnOps.h.inc"

#endif // ATTN_DIALECT_ATTN_IR_ATTNOPS_H
