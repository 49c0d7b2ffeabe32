//===- AttnOps.td - attn dialect operations ----------------*- tablegen -*-===//
//
// The op groups live in their own files; this file only gathers them so that
// one AttnOps.{h,cpp}.inc pair is generated.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_IR_ATTNOPS
#define ATTN_DIALECT_ATTN_IR_ATTNOPS

include "attn/Dialect/Attn/IR/AttnOpBase.td"
include "attn/Dialect/Attn/IR/AttnFusedOps.td"
include "attn/Dialect/Attn/IR/AttnProjectionOps.td"
include "attn/Dialect/Attn/IR/AttnUnfusedOps.td"
include "attn/Dialect/Attn/IR/AttnCacheOps.td"
include "attn/Dialect/Attn/IR/AttnQuantOps.td"
include "attn/Dialect/Attn/IR/AttnVariantOps.td"

#endif // ATTN_DIALECT_ATTN_IR_ATTNOPS
