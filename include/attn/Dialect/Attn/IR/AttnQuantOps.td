//===- AttnQuantOps.td - quantize and dequantize ops -------*- tablegen -*-===//

#ifndef ATTN_DIALECT_ATTN_IR_ATTNQUANTOPS
#define ATTN_DIALECT_ATTN_IR_ATTNQUANTOPS

include "attn/Dialect/Attn/IR/AttnOpBase.td"

//===----------------------------------------------------------------------===//
// QuantizeOp
//===----------------------------------------------------------------------===//

def Attn_QuantizeOp : Attn_Op<"quantize"> {
  let summary = "quantize a float tensor to INT8 or FP8 storage";
  let description = [{
    The `attn.quantize` op maps a float tensor to the storage type of the
    `quant` scheme (`i8` for `int8_sym`/`int8_asym`, `f8E4M3FN` for
    `fp8_e4m3`, `f8E5M2` for `fp8_e5m2`), elementwise with the scale (and
    zero point) of the element's group (see `#attn.quant` for the scale
    shapes of each granularity):
    - INT8: `q = clamp(round_half_to_even(x / scale) + zp, -128, 127)`;
      `zp` is the `zero_point` operand (`i8` or `i32`, the scale's shape),
      required for `int8_asym` and not allowed for `int8_sym` (0). A NaN
      maps to `zp`.
    - FP8: `q = fp8(x / scale)`, rounded to nearest even and saturated to
      the finite range (±448 for e4m3fn, ±57344 for e5m2; ±inf saturates
      too); NaN stays NaN.
    The division is done in f32 (f64 for f64 inputs).

    Example:

    ```mlir
    %q = attn.quantize %k, %s {quant = #attn.quant<fp8_e4m3, per_head, axis = 1>}
        : tensor<2x8x16x64xf16>, tensor<8xf32> -> tensor<2x8x16x64xf8E4M3FN>
    %q8 = attn.quantize %x, %s zero_point(%zp : tensor<2x16xi8>)
        {quant = #attn.quant<int8_asym, per_token>}
        : tensor<2x16x64xf32>, tensor<2x16xf32> -> tensor<2x16x64xi8>
    ```
  }];
  let arguments = (ins
    Attn_FloatTensor:$input,
    RankedTensorOf<[F32]>:$scale,
    Optional<RankedTensorOf<[I8, I32]>>:$zero_point,
    Attn_QuantAttr:$quant
  );
  let results = (outs Attn_QuantTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale (`zero_point` `(` $zero_point^ `:` type($zero_point) `)`)?
    attr-dict `:` type($input) `,` type($scale) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// DequantizeOp
//===----------------------------------------------------------------------===//

def Attn_DequantizeOp : Attn_Op<"dequantize"> {
  let summary = "dequantize INT8 or FP8 storage to a float tensor";
  let description = [{
    The `attn.dequantize` op maps a tensor in the storage type of the
    `quant` scheme back to real values, elementwise with the scale (and zero
    point) of the element's group:
    - INT8: `real = (q - zp) * scale` (`zp` is 0 for `int8_sym` and the
      required `zero_point` operand for `int8_asym`);
    - FP8: `real = f32(q) * scale` (NaN codes give NaN, e5m2 infinities
      give infinities).
    The product is computed in f32 (f64 for an f64 result) and rounded to
    the result element type. `dequantize(quantize(x))` is not `x`: it is
    `x` rounded to the quantization grid.

    Example:

    ```mlir
    %k = attn.dequantize %q, %s {quant = #attn.quant<int8_sym, per_tensor>}
        : tensor<2x8x16x64xi8>, tensor<f32> -> tensor<2x8x16x64xf16>
    ```
  }];
  let arguments = (ins
    Attn_QuantTensor:$input,
    RankedTensorOf<[F32]>:$scale,
    Optional<RankedTensorOf<[I8, I32]>>:$zero_point,
    Attn_QuantAttr:$quant
  );
  let results = (outs Attn_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale (`zero_point` `(` $zero_point^ `:` type($zero_point) `)`)?
    attr-dict `:` type($input) `,` type($scale) `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // ATTN_DIALECT_ATTN_IR_ATTNQUANTOPS
