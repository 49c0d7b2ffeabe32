// RUN: attn-opt %s --convert-attn-to-linalg -split-input-file | FileCheck %s

// INT8 asym per token: one generic; scale and zero point indexed by every dim
// but the last; round half to even, add the zero point, clamp, convert.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[TOK:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @int8_asym_per_token
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[TOK]], #[[TOK]], #[[ID]]]
// CHECK-SAME: ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<2x3x8xf16>, tensor<2x3xf32>, tensor<2x3xi8>) outs(%{{.*}} : tensor<2x3x8xi8>)
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: arith.divf
// CHECK: arith.sitofp %{{.*}} : i8 to f32
// CHECK: math.roundeven
// CHECK: arith.addf
// CHECK: arith.cmpf uno
// CHECK: arith.maximumf
// CHECK: arith.minimumf
// CHECK: arith.fptosi %{{.*}} : f32 to i8
func.func @int8_asym_per_token(%x: tensor<2x3x8xf16>, %s: tensor<2x3xf32>, %zp: tensor<2x3xi8>) -> tensor<2x3x8xi8> {
  %q = attn.quantize %x, %s zero_point(%zp : tensor<2x3xi8>) {quant = #attn.quant<int8_asym, per_token>}
      : tensor<2x3x8xf16>, tensor<2x3xf32> -> tensor<2x3x8xi8>
  return %q : tensor<2x3x8xi8>
}

// -----

// Per-tensor scale of rank 0 and of shape [1]; per-head along axis 1.
// CHECK-DAG: #[[SCALAR:.*]] = affine_map<(d0, d1) -> ()>
// CHECK-DAG: #[[ZERO:.*]] = affine_map<(d0, d1) -> (0)>
// CHECK-DAG: #[[HEAD:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @scale_maps
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[SCALAR]], #{{.*}}]
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[ZERO]], #{{.*}}]
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[HEAD]], #{{.*}}]
func.func @scale_maps(%x: tensor<4x8xf32>, %s0: tensor<f32>, %s1: tensor<1xf32>, %sh: tensor<8xf32>)
    -> (tensor<4x8xi8>, tensor<4x8xi8>, tensor<4x8xi8>) {
  %a = attn.quantize %x, %s0 {quant = #attn.quant<int8_sym, per_tensor>} : tensor<4x8xf32>, tensor<f32> -> tensor<4x8xi8>
  %b = attn.quantize %x, %s1 {quant = #attn.quant<int8_sym, per_tensor>} : tensor<4x8xf32>, tensor<1xf32> -> tensor<4x8xi8>
  %c = attn.quantize %x, %sh {quant = #attn.quant<int8_sym, per_head, axis = 1>} : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xi8>
  return %a, %b, %c : tensor<4x8xi8>, tensor<4x8xi8>, tensor<4x8xi8>
}

// -----

// FP8 encode on the f32 bit pattern (no arith.truncf to f8, which has no
// LLVM lowering), then a bitcast to the storage type.
// CHECK-LABEL: func.func @fp8_e4m3_quantize
// CHECK-NOT: arith.truncf
// CHECK: linalg.generic
// CHECK: arith.divf
// CHECK: arith.bitcast %{{.*}} : f32 to i32
// CHECK: arith.shrui
// CHECK: math.roundeven
// CHECK: arith.minsi
// CHECK: arith.trunci %{{.*}} : i32 to i8
// CHECK: arith.bitcast %{{.*}} : i8 to f8E4M3FN
// CHECK: -> tensor<?x8xf8E4M3FN>
func.func @fp8_e4m3_quantize(%x: tensor<?x8xf32>, %s: tensor<f32>) -> tensor<?x8xf8E4M3FN> {
  %q = attn.quantize %x, %s {quant = #attn.quant<fp8_e4m3, per_tensor>} : tensor<?x8xf32>, tensor<f32> -> tensor<?x8xf8E4M3FN>
  return %q : tensor<?x8xf8E4M3FN>
}

// -----

// FP8 decode through the bits, no arith.extf from f8; f64 result computed in
// f64.
// CHECK-LABEL: func.func @fp8_e5m2_dequantize
// CHECK: linalg.generic
// CHECK: arith.bitcast %{{.*}} : f8E5M2 to i8
// CHECK: arith.extui %{{.*}} : i8 to i32
// CHECK: arith.bitcast %{{.*}} : i32 to f32
// CHECK: arith.extf %{{.*}} : f32 to f64
// CHECK: arith.mulf %{{.*}} : f64
// CHECK-NOT: arith.extf %{{.*}} : f8E5M2
func.func @fp8_e5m2_dequantize(%q: tensor<4x8xf8E5M2>, %s: tensor<4xf32>) -> tensor<4x8xf64> {
  %x = attn.dequantize %q, %s {quant = #attn.quant<fp8_e5m2, per_head, axis = 0>} : tensor<4x8xf8E5M2>, tensor<4xf32> -> tensor<4x8xf64>
  return %x : tensor<4x8xf64>
}

// -----

// INT8 sym dequantize: (q - 0) * scale with no zero point read.
// CHECK-LABEL: func.func @int8_sym_dequantize
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}]
// CHECK: arith.sitofp %{{.*}} : i8 to f32
// CHECK-NOT: arith.subf
// CHECK: arith.mulf
// CHECK: arith.truncf %{{.*}} : f32 to bf16
func.func @int8_sym_dequantize(%q: tensor<4x8xi8>, %s: tensor<f32>) -> tensor<4x8xbf16> {
  %x = attn.dequantize %q, %s {quant = #attn.quant<int8_sym, per_tensor>} : tensor<4x8xi8>, tensor<f32> -> tensor<4x8xbf16>
  return %x : tensor<4x8xbf16>
}
