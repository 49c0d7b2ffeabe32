//===- AttnQuantOps.td - quant ops -----------------------------*- tablegen -*-===//

#ifndef ATTN_DIALECT_ATTN_IR_ATTNQUANTOPS
#define ATTN_DIALECT_ATTN_IR_ATTNQUANTOPS

include "attn/Dialect/Attn/IR/AttnOpBase.td"

#endif // ATTN_DIALECT_ATTN_IR_ATTNQUANTOPS
