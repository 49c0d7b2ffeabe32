// RUN: attn-opt %s | attn-opt | FileCheck %s
// RUN: attn-opt %s -mlir-print-op-generic | attn-opt | FileCheck %s

// CHECK-LABEL: func.func @int8_sym_per_tensor
// CHECK: %[[Q:.*]] = attn.quantize %{{.*}}, %[[S:.*]] {quant = #attn.quant<int8_sym, per_tensor>} : tensor<2x8x16x64xf16>, tensor<f32> -> tensor<2x8x16x64xi8>
// CHECK: attn.dequantize %[[Q]], %[[S]] {quant = #attn.quant<int8_sym, per_tensor>} : tensor<2x8x16x64xi8>, tensor<f32> -> tensor<2x8x16x64xf16>
func.func @int8_sym_per_tensor(%x: tensor<2x8x16x64xf16>, %s: tensor<f32>) -> tensor<2x8x16x64xf16> {
  %q = attn.quantize %x, %s {quant = #attn.quant<int8_sym, per_tensor>}
      : tensor<2x8x16x64xf16>, tensor<f32> -> tensor<2x8x16x64xi8>
  %d = attn.dequantize %q, %s {quant = #attn.quant<int8_sym, per_tensor>}
      : tensor<2x8x16x64xi8>, tensor<f32> -> tensor<2x8x16x64xf16>
  return %d : tensor<2x8x16x64xf16>
}

// A per-tensor scale may also be a one-element vector.
// CHECK-LABEL: func.func @per_tensor_vector
// CHECK: attn.quantize %{{.*}}, %{{.*}} {quant = #attn.quant<fp8_e5m2, per_tensor>} : tensor<4x8xf32>, tensor<1xf32> -> tensor<4x8xf8E5M2>
func.func @per_tensor_vector(%x: tensor<4x8xf32>, %s: tensor<1xf32>) -> tensor<4x8xf8E5M2> {
  %q = attn.quantize %x, %s {quant = #attn.quant<fp8_e5m2, per_tensor>}
      : tensor<4x8xf32>, tensor<1xf32> -> tensor<4x8xf8E5M2>
  return %q : tensor<4x8xf8E5M2>
}

// CHECK-LABEL: func.func @int8_asym_per_token
// CHECK: attn.quantize %{{.*}}, %{{.*}} zero_point(%{{.*}} : tensor<2x16xi8>) {quant = #attn.quant<int8_asym, per_token>} : tensor<2x16x64xf32>, tensor<2x16xf32> -> tensor<2x16x64xi8>
// CHECK: attn.dequantize %{{.*}}, %{{.*}} zero_point(%{{.*}} : tensor<2x16xi8>) {quant = #attn.quant<int8_asym, per_token>} : tensor<2x16x64xi8>, tensor<2x16xf32> -> tensor<2x16x64xbf16>
func.func @int8_asym_per_token(%x: tensor<2x16x64xf32>, %s: tensor<2x16xf32>, %zp: tensor<2x16xi8>)
    -> tensor<2x16x64xbf16> {
  %q = attn.quantize %x, %s zero_point(%zp : tensor<2x16xi8>) {quant = #attn.quant<int8_asym, per_token>}
      : tensor<2x16x64xf32>, tensor<2x16xf32> -> tensor<2x16x64xi8>
  %d = attn.dequantize %q, %s zero_point(%zp : tensor<2x16xi8>) {quant = #attn.quant<int8_asym, per_token>}
      : tensor<2x16x64xi8>, tensor<2x16xf32> -> tensor<2x16x64xbf16>
  return %d : tensor<2x16x64xbf16>
}

// CHECK-LABEL: func.func @fp8_per_head
// CHECK: attn.quantize %{{.*}}, %{{.*}} {quant = #attn.quant<fp8_e4m3, per_head, axis = 1>} : tensor<2x8x16x64xf16>, tensor<8xf32> -> tensor<2x8x16x64xf8E4M3FN>
// CHECK: attn.dequantize %{{.*}}, %{{.*}} {quant = #attn.quant<fp8_e4m3, per_head, axis = 1>} : tensor<2x8x16x64xf8E4M3FN>, tensor<8xf32> -> tensor<2x8x16x64xf32>
func.func @fp8_per_head(%x: tensor<2x8x16x64xf16>, %s: tensor<8xf32>) -> tensor<2x8x16x64xf32> {
  %q = attn.quantize %x, %s {quant = #attn.quant<fp8_e4m3, per_head, axis = 1>}
      : tensor<2x8x16x64xf16>, tensor<8xf32> -> tensor<2x8x16x64xf8E4M3FN>
  %d = attn.dequantize %q, %s {quant = #attn.quant<fp8_e4m3, per_head, axis = 1>}
      : tensor<2x8x16x64xf8E4M3FN>, tensor<8xf32> -> tensor<2x8x16x64xf32>
  return %d : tensor<2x8x16x64xf32>
}

// An i32 zero point with a per-head scale on the bshd head axis; dynamic sizes.
// CHECK-LABEL: func.func @int8_asym_i32_zp
// CHECK: attn.quantize %{{.*}}, %{{.*}} zero_point(%{{.*}} : tensor<4xi32>) {quant = #attn.quant<int8_asym, per_head, axis = 2>} : tensor<?x?x4x32xf64>, tensor<4xf32> -> tensor<?x?x4x32xi8>
func.func @int8_asym_i32_zp(%x: tensor<?x?x4x32xf64>, %s: tensor<4xf32>, %zp: tensor<4xi32>) -> tensor<?x?x4x32xi8> {
  %q = attn.quantize %x, %s zero_point(%zp : tensor<4xi32>) {quant = #attn.quant<int8_asym, per_head, axis = 2>}
      : tensor<?x?x4x32xf64>, tensor<4xf32> -> tensor<?x?x4x32xi8>
  return %q : tensor<?x?x4x32xi8>
}
