/*===- Dialects.h - C API of the attn dialect ---------------------*- C -*-===*\
|*                                                                            *|
|* Registration of the attn dialect and its passes for C and Python clients   *|
|* of MLIR's C API.                                                           *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef ATTN_C_DIALECTS_H
#define ATTN_C_DIALECTS_H

#include "mlir-c/IR.h"
#include "mlir-c/Support.h"

#ifdef __cplusplus
extern "C" {
#endif

MLIR_DECLARE_CAPI_DIALECT_REGISTRATION(Attn, attn);

/// Registers the attn dialect plus all upstream dialects and extensions in
/// `registry`.
MLIR_CAPI_EXPORTED void attnRegisterAllDialects(MlirDialectRegistry registry);

/// Registers attn passes and pipelines (and all upstream passes) with the
/// global pass registry, so `mlirParsePassPipeline` finds them.
MLIR_CAPI_EXPORTED void attnRegisterAllPasses(void);

/// Returns true if `op` is an `attn.sdpa` op.
MLIR_CAPI_EXPORTED bool attnOperationIsSdpa(MlirOperation op);

#ifdef __cplusplus
}
#endif

#endif // ATTN_C_DIALECTS_H
