//===- AttnVariantOps.td - variant ops -----------------------------*- tablegen -*-===//

#ifndef ATTN_DIALECT_ATTN_IR_ATTNVARIANTOPS
#define ATTN_DIALECT_ATTN_IR_ATTNVARIANTOPS

include "attn/Dialect/Attn/IR/AttnOpBase.td"

#endif // ATTN_DIALECT_ATTN_IR_ATTNVARIANTOPS
