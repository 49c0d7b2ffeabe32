//===- AttnBase.td - attn dialect, enums and attributes ----*- tablegen -*-===//
//
// The `attn` dialect carries the vocabulary of transformer attention: QKV
// projection, rotary embedding, scores, masks, softmax, value aggregation,
// output projection, fused scaled-dot-product attention, KV-cache and
// quantization ops.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_IR_ATTNBASE
#define ATTN_DIALECT_ATTN_IR_ATTNBASE

include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/OpBase.td"

//===----------------------------------------------------------------------===//
// Dialect
//===----------------------------------------------------------------------===//

def Attn_Dialect : Dialect {
  let name = "attn";
  let cppNamespace = "::mlir::attn";
  let summary = "Transformer attention, from QKV projection to paged decode";
  let description = [{
    The `attn` dialect models every step of transformer attention on ranked
    tensors, both as the unfused chain (`attn.scores`, `attn.mask`,
    `attn.softmax`, `attn.weighted_sum`) and as the fused
    `attn.sdpa` op that passes tile and lower to CPU loops or GPU kernels.

    Conventions shared by all ops:
    - Heads layouts: `bhsd` is `[batch, heads, seq, head_dim]`, `bshd` is
      `[batch, seq, heads, head_dim]`. Varlen ("packed") tensors drop the
      batch dimension and concatenate the sequences along the token axis:
      `[tokens, heads, head_dim]`, with cumulative sequence lengths
      `cu_seqlens : tensor<(B+1)xi32>`.
    - GQA/MQA: the number of query heads is a multiple of the number of
      key/value heads; query head `h` reads key/value head
      `h / (Hq / Hkv)`.
    - Masks are given as `#attn.mask<...>`; fully masked query rows produce
      zeros (and a log-sum-exp of -inf).
  }];
  let useDefaultAttributePrinterParser = 1;
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
}

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Attn_Layout : I32EnumAttr<"Layout", "heads layout of a Q/K/V/O tensor", [
  I32EnumAttrCase<"BHSD", 0, "bhsd">,
  I32EnumAttrCase<"BSHD", 1, "bshd">
]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}
def Attn_LayoutAttr : EnumAttr<Attn_Dialect, Attn_Layout, "layout">;

def Attn_MaskAlign : I32EnumAttr<"MaskAlign",
    "alignment of the causal/window diagonal when Sq != Sk", [
  I32EnumAttrCase<"TopLeft", 0, "top_left">,
  I32EnumAttrCase<"BottomRight", 1, "bottom_right">
]> {
  let cppNamespace = "::mlir::attn";
}

def Attn_RopeStyle : I32EnumAttr<"RopeStyle", "rotary embedding pairing", [
  I32EnumAttrCase<"NeoX", 0, "neox">,
  I32EnumAttrCase<"GPTJ", 1, "gptj">
]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}
def Attn_RopeStyleAttr : EnumAttr<Attn_Dialect, Attn_RopeStyle, "rope_style">;

def Attn_QuantScheme : I32EnumAttr<"QuantScheme", "quantized storage format", [
  I32EnumAttrCase<"Int8Sym", 0, "int8_sym">,
  I32EnumAttrCase<"Int8Asym", 1, "int8_asym">,
  I32EnumAttrCase<"Fp8E4M3", 2, "fp8_e4m3">,
  I32EnumAttrCase<"Fp8E5M2", 3, "fp8_e5m2">
]> {
  let cppNamespace = "::mlir::attn";
}

def Attn_QuantGranularity : I32EnumAttr<"QuantGranularity",
    "which elements share one scale (and zero point)", [
  I32EnumAttrCase<"PerTensor", 0, "per_tensor">,
  I32EnumAttrCase<"PerHead", 1, "per_head">,
  I32EnumAttrCase<"PerToken", 2, "per_token">
]> {
  let cppNamespace = "::mlir::attn";
}

def Attn_AftMode : I32EnumAttr<"AftMode", "Attention-Free Transformer variant", [
  I32EnumAttrCase<"Full", 0, "full">,
  I32EnumAttrCase<"Local", 1, "local">,
  I32EnumAttrCase<"Simple", 2, "simple">
]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}
def Attn_AftModeAttr : EnumAttr<Attn_Dialect, Attn_AftMode, "aft_mode">;

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

class Attn_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Attn_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def Attn_MaskAttr : Attn_Attr<"Mask", "mask"> {
  let summary = "structured attention mask: causal and sliding window";
  let description = [{
    Describes which keys a query may attend to, without materializing a mask
    tensor. For query row `i` and key column `j` of a sequence with `Sq`
    queries and `Sk` keys, the diagonal is `d(i) = i` for `top_left` and
    `d(i) = i + Sk - Sq` for `bottom_right` alignment (the decode/chunked
    prefill convention). Key `j` is visible iff

      (!causal || j <= d(i)) &&
      (window_left  < 0 || j >= d(i) - window_left) &&
      (window_right < 0 || j <= d(i) + window_right)

    A window bound of -1 means unbounded; other negative bounds are invalid.
    With `causal = true`, `window_right` must be <= 0 (keys right of the
    diagonal are hidden by causality anyway; a positive bound contradicts it).
    Per-sequence `Sq`/`Sk` come from key lengths or cumulative sequence
    lengths when the op has them.

    Example:

    ```mlir
    #attn.mask<causal = true, align = bottom_right, window_left = 4095>
    ```
  }];
  let parameters = (ins
    DefaultValuedParameter<"bool", "false">:$causal,
    DefaultValuedParameter<"::mlir::attn::MaskAlign",
                           "::mlir::attn::MaskAlign::TopLeft">:$align,
    DefaultValuedParameter<"int64_t", "-1">:$window_left,
    DefaultValuedParameter<"int64_t", "-1">:$window_right
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// True when every key is visible to every query.
    bool isFull() const {
      return !getCausal() && getWindowLeft() < 0 && getWindowRight() < 0;
    }
    /// Whether key `j` is visible to query `i` for a sequence of `sq`
    /// queries and `sk` keys.
    bool isVisible(int64_t i, int64_t j, int64_t sq, int64_t sk) const;
  }];
}

def Attn_QuantAttr : Attn_Attr<"Quant", "quant"> {
  let summary = "quantization parameters of a tensor";
  let description = [{
    Describes how a quantized tensor maps to real values:
    `real = (q - zero_point) * scale` for INT8 (`zero_point` is 0 for
    `int8_sym`) and `real = fp8_value * scale` for FP8. Scales (and zero
    points) are operands of the ops that use this attribute; their shape is
    fixed by the granularity:
    - `per_tensor`: `tensor<f32>` (rank 0) or `tensor<1xf32>`;
    - `per_head`: `tensor<Hxf32>`, `H` the size of dimension `axis`;
    - `per_token`: one scale per vector along the last dimension, i.e. the
      shape of the quantized tensor without its last dimension.

    Example:

    ```mlir
    #attn.quant<int8_asym, per_head, axis = 1>
    #attn.quant<fp8_e4m3, per_tensor>
    ```
  }];
  let parameters = (ins
    "::mlir::attn::QuantScheme":$scheme,
    "::mlir::attn::QuantGranularity":$granularity,
    DefaultValuedParameter<"int64_t", "-1">:$axis
  );
  let assemblyFormat = "`<` $scheme `,` $granularity (`,` `axis` `=` $axis^)? `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The storage element type the scheme implies.
    ::mlir::Type getStorageType(::mlir::MLIRContext *ctx) const;
    bool hasZeroPoint() const {
      return getScheme() == ::mlir::attn::QuantScheme::Int8Asym;
    }
  }];
}

//===----------------------------------------------------------------------===//
// KV-cache enums (appended; used by attn.kv_cache_append and
// attn.paged_attention)
//===----------------------------------------------------------------------===//

def Attn_CacheLayout : I32EnumAttr<"CacheLayout",
    "layout of a paged KV-cache pool", [
  I32EnumAttrCase<"NHD", 0, "nhd">,
  I32EnumAttrCase<"HND", 1, "hnd">
]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}
def Attn_CacheLayoutAttr
    : EnumAttr<Attn_Dialect, Attn_CacheLayout, "cache_layout">;

#endif // ATTN_DIALECT_ATTN_IR_ATTNBASE
