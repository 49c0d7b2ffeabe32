//===- AttnProjectionOps.td - projection ops -----------------------------*- tablegen -*-===//

#ifndef ATTN_DIALECT_ATTN_IR_ATTNPROJECTIONOPS
#define ATTN_DIALECT_ATTN_IR_ATTNPROJECTIONOPS

include "attn/Dialect/Attn/IR/AttnOpBase.td"

#endif // ATTN_DIALECT_ATTN_IR_ATTNPROJECTIONOPS
