/*===- Build.h - build attn attributes, ops and modules from C ----*- C -*-===*\
|*                                                                            *|
|* Attributes and ops of the attn dialect for clients of MLIR's C API, and a  *|
|* one-call builder of a function holding one attn.sdpa from its shapes, for  *|
|* engines that should not write .mlir text (C, or Python through ctypes).    *|
|*                                                                            *|
|* Functions that can fail return a null handle and leave the reason in       *|
|* attnGetLastError() (attn-c/Run.h).                                         *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef ATTN_C_BUILD_H
#define ATTN_C_BUILD_H

#include "mlir-c/IR.h"
#include "mlir-c/Support.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Heads layout of Q/K/V/O (`#attn<layout ...>`).
typedef enum AttnLayout {
  ATTN_LAYOUT_BHSD = 0,
  ATTN_LAYOUT_BSHD = 1
} AttnLayout;

/// Quantized storage (`#attn.quant<scheme, granularity>`).
typedef enum AttnQuantScheme {
  ATTN_QUANT_INT8_SYM = 0,
  ATTN_QUANT_INT8_ASYM = 1,
  ATTN_QUANT_FP8_E4M3 = 2,
  ATTN_QUANT_FP8_E5M2 = 3
} AttnQuantScheme;

typedef enum AttnQuantGranularity {
  ATTN_QUANT_PER_TENSOR = 0,
  ATTN_QUANT_PER_HEAD = 1,
  ATTN_QUANT_PER_TOKEN = 2
} AttnQuantGranularity;

/// `#attn.mask<causal = ..., align = ..., window_left = ..., window_right =
/// ...>`; a window bound of -1 is unbounded. Null (and the reason in
/// attnGetLastError) when the attribute's verifier rejects the values.
MLIR_CAPI_EXPORTED MlirAttribute attnMaskAttrGet(MlirContext ctx, bool causal,
                                                 bool bottomRight,
                                                 int64_t windowLeft,
                                                 int64_t windowRight);
MLIR_CAPI_EXPORTED bool attnAttributeIsMask(MlirAttribute attr);

/// `#attn<layout bhsd>` or `#attn<layout bshd>`.
MLIR_CAPI_EXPORTED MlirAttribute attnLayoutAttrGet(MlirContext ctx,
                                                   AttnLayout layout);

/// `#attn.quant<scheme, granularity[, axis = N]>` (axis -1: none). Null when
/// the attribute's verifier rejects the values.
MLIR_CAPI_EXPORTED MlirAttribute
attnQuantAttrGet(MlirContext ctx, AttnQuantScheme scheme,
                 AttnQuantGranularity granularity, int64_t axis);

/// Operands and attributes of one attn.sdpa. Null values and attributes are
/// absent; `hasScale` false means the default scale 1/sqrt(head_dim);
/// `softcap` 0 means none. `lseType` null: no log-sum-exp result.
typedef struct AttnSdpaOperands {
  MlirValue query, key, value;
  MlirValue bias, attnMask, alibiSlopes, kvLens, cuSeqlensQ, cuSeqlensK;
  bool hasScale;
  float scale;
  float softcap;
  MlirAttribute mask;
  AttnLayout layout;
  MlirType resultType, lseType;
} AttnSdpaOperands;

/// Zeroes `operands`: no optional operand, default scale, no softcap, no
/// mask, bhsd.
MLIR_CAPI_EXPORTED void attnSdpaOperandsInit(AttnSdpaOperands *operands);

/// Creates a detached, verified attn.sdpa (insert it with
/// mlirBlockAppendOwnedOperation and the like). Null when the op does not
/// verify.
MLIR_CAPI_EXPORTED MlirOperation
attnSdpaOpCreate(MlirLocation loc, const AttnSdpaOperands *operands);

/// An attention problem by its shapes (bhsd or bshd tensors).
typedef struct AttnSdpaDesc {
  int64_t batch, queryHeads, kvHeads, queryLen, kvLen, headDim;
  /// Head dimension of V and the output; 0: headDim.
  int64_t valueDim;
  /// "f16", "bf16", "f32" or "f64".
  const char *elementType;
  AttnLayout layout;
  bool causal, bottomRight;
  /// -1: unbounded.
  int64_t windowLeft, windowRight;
  /// 0: 1/sqrt(headDim).
  float scale;
  /// 0: none.
  float softcap;
  /// Add an `alibi` slopes argument (tensor<queryHeads x f32>).
  bool alibi;
  /// Add a `kv_lens` argument (tensor<batch x i32>).
  bool kvLens;
  /// Return the log-sum-exp ([batch, queryHeads, queryLen] f32) as well.
  bool lse;
} AttnSdpaDesc;

/// Fills `desc` with a small default problem (1x1x1x1, head dim 64, f32,
/// bhsd, no mask, default scale) to be overwritten field by field.
MLIR_CAPI_EXPORTED void attnSdpaDescInit(AttnSdpaDesc *desc);

/// A module holding
///   func.func @<name>(%q, %k, %v[, %slopes][, %kv_lens]) -> (%o[, %lse])
/// whose body is one attn.sdpa: what attn-runner and attn-compile take, and
/// what attnCpuFunctionCreate and attnCompileKernels (attn-c/Run.h) run.
/// Null (and the reason in attnGetLastError) for invalid shapes or options.
MLIR_CAPI_EXPORTED MlirModule attnSdpaModuleCreate(MlirContext ctx,
                                                   MlirStringRef funcName,
                                                   const AttnSdpaDesc *desc);

#ifdef __cplusplus
}
#endif

#endif // ATTN_C_BUILD_H
