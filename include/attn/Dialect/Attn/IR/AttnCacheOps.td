//===- AttnCacheOps.td - cache ops -----------------------------*- tablegen -*-===//

#ifndef ATTN_DIALECT_ATTN_IR_ATTNCACHEOPS
#define ATTN_DIALECT_ATTN_IR_ATTNCACHEOPS

include "attn/Dialect/Attn/IR/AttnOpBase.td"

#endif // ATTN_DIALECT_ATTN_IR_ATTNCACHEOPS
