//===- AttnUnfusedOps.td - unfused ops -----------------------------*- tablegen -*-===//

#ifndef ATTN_DIALECT_ATTN_IR_ATTNUNFUSEDOPS
#define ATTN_DIALECT_ATTN_IR_ATTNUNFUSEDOPS

include "attn/Dialect/Attn/IR/AttnOpBase.td"

#endif // ATTN_DIALECT_ATTN_IR_ATTNUNFUSEDOPS
