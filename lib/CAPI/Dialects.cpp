//===- Dialects.cpp - C API of the attn dialect ---------------------------===//

#include "attn-c/Dialects.h"

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/InitAll.h"

#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Registration.h"

MLIR_DEFINE_CAPI_DIALECT_REGISTRATION(Attn, attn, mlir::attn::AttnDialect)

void attnRegisterAllDialects(MlirDialectRegistry registry) {
  mlir::attn::registerAllDialects(*unwrap(registry));
}

void attnRegisterAllPasses(void) { mlir::attn::registerAllPasses(); }

bool attnOperationIsSdpa(MlirOperation op) {
  return llvm::isa<mlir::attn::SdpaOp>(unwrap(op));
}
