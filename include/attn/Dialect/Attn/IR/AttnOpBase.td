//===- AttnOpBase.td - base class of attn ops --------------*- tablegen -*-===//

#ifndef ATTN_DIALECT_ATTN_IR_ATTNOPBASE
#define ATTN_DIALECT_ATTN_IR_ATTNOPBASE

include "attn/Dialect/Attn/IR/AttnBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/IR/OpAsmInterface.td"

// Rejects attributes an op does not define (unless dialect-prefixed).
def Attn_NoUnknownAttrs : NativeOpTrait<"NoUnknownAttrs"> {
  let cppNamespace = "::mlir::attn";
}

class Attn_Op<string mnemonic, list<Trait> traits = []>
    : Op<Attn_Dialect, mnemonic,
         !listconcat(traits, [Pure, Attn_NoUnknownAttrs])>;

// Tensor element types attention computes in.
def Attn_FloatTensor : RankedTensorOf<[F16, BF16, F32, F64]>;
// Quantized storage.
def Attn_QuantTensor : RankedTensorOf<[I8, F8E4M3FN, F8E5M2]>;
// Lengths and indices.
def Attn_IndexTensor : RankedTensorOf<[I32, I64]>;

#endif // ATTN_DIALECT_ATTN_IR_ATTNOPBASE
