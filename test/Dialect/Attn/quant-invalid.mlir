// RUN: attn-opt %s -split-input-file -verify-diagnostics

func.func @storage_type(%x: tensor<4x8xf32>, %s: tensor<f32>) {
  // expected-error @+1 {{'attn.quantize' op expected result element type 'i8' for int8_sym, got 'f8E4M3FN'}}
  %q = attn.quantize %x, %s {quant = #attn.quant<int8_sym, per_tensor>} : tensor<4x8xf32>, tensor<f32> -> tensor<4x8xf8E4M3FN>
  return
}

// -----

func.func @storage_type_dequant(%q: tensor<4x8xf8E4M3FN>, %s: tensor<f32>) {
  // expected-error @+1 {{'attn.dequantize' op expected input element type 'f8E5M2' for fp8_e5m2, got 'f8E4M3FN'}}
  %x = attn.dequantize %q, %s {quant = #attn.quant<fp8_e5m2, per_tensor>} : tensor<4x8xf8E4M3FN>, tensor<f32> -> tensor<4x8xf32>
  return
}

// -----

func.func @shape(%x: tensor<4x8xf32>, %s: tensor<f32>) {
  // expected-error @+1 {{expected result of shape [4x8], got 'tensor<8x4xi8>'}}
  %q = attn.quantize %x, %s {quant = #attn.quant<int8_sym, per_tensor>} : tensor<4x8xf32>, tensor<f32> -> tensor<8x4xi8>
  return
}

// -----

func.func @shape_dequant(%q: tensor<4x8xi8>, %s: tensor<f32>) {
  // expected-error @+1 {{expected input of shape [4x9], got 'tensor<4x8xi8>'}}
  %x = attn.dequantize %q, %s {quant = #attn.quant<int8_sym, per_tensor>} : tensor<4x8xi8>, tensor<f32> -> tensor<4x9xf32>
  return
}

// -----

func.func @axis(%x: tensor<4x8xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{expected a per_head axis in [0, 2) for input of rank 2, got 2}}
  %q = attn.quantize %x, %s {quant = #attn.quant<int8_sym, per_head, axis = 2>} : tensor<4x8xf32>, tensor<4xf32> -> tensor<4x8xi8>
  return
}

// -----

func.func @axis_dequant(%q: tensor<4x8xi8>, %s: tensor<4xf32>) {
  // expected-error @+1 {{expected a per_head axis in [0, 2) for result of rank 2, got 5}}
  %x = attn.dequantize %q, %s {quant = #attn.quant<int8_sym, per_head, axis = 5>} : tensor<4x8xi8>, tensor<4xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @per_token_rank0(%x: tensor<f32>, %s: tensor<f32>) {
  // expected-error @+1 {{expected input of rank >= 1 for per_token quantization, got rank 0}}
  %q = attn.quantize %x, %s {quant = #attn.quant<int8_sym, per_token>} : tensor<f32>, tensor<f32> -> tensor<i8>
  return
}

// -----

func.func @per_tensor_scale(%x: tensor<4x8xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{expected scale of shape [], got 'tensor<4xf32>'}}
  %q = attn.quantize %x, %s {quant = #attn.quant<int8_sym, per_tensor>} : tensor<4x8xf32>, tensor<4xf32> -> tensor<4x8xi8>
  return
}

// -----

func.func @per_head_scale(%x: tensor<2x4x8xf32>, %s: tensor<2xf32>) {
  // expected-error @+1 {{expected scale of shape [4], got 'tensor<2xf32>'}}
  %q = attn.quantize %x, %s {quant = #attn.quant<fp8_e4m3, per_head, axis = 1>} : tensor<2x4x8xf32>, tensor<2xf32> -> tensor<2x4x8xf8E4M3FN>
  return
}

// -----

func.func @per_token_scale(%x: tensor<2x4x8xf32>, %s: tensor<2x4x1xf32>) {
  // expected-error @+1 {{expected scale of shape [2x4], got 'tensor<2x4x1xf32>'}}
  %q = attn.quantize %x, %s {quant = #attn.quant<int8_sym, per_token>} : tensor<2x4x8xf32>, tensor<2x4x1xf32> -> tensor<2x4x8xi8>
  return
}

// -----

func.func @missing_zp(%x: tensor<4x8xf32>, %s: tensor<f32>) {
  // expected-error @+1 {{expected a zero_point operand for int8_asym}}
  %q = attn.quantize %x, %s {quant = #attn.quant<int8_asym, per_tensor>} : tensor<4x8xf32>, tensor<f32> -> tensor<4x8xi8>
  return
}

// -----

func.func @sym_zp(%x: tensor<4x8xf32>, %s: tensor<f32>, %zp: tensor<i8>) {
  // expected-error @+1 {{expected no zero_point operand for int8_sym}}
  %q = attn.quantize %x, %s zero_point(%zp : tensor<i8>) {quant = #attn.quant<int8_sym, per_tensor>} : tensor<4x8xf32>, tensor<f32> -> tensor<4x8xi8>
  return
}

// -----

func.func @fp8_zp(%q: tensor<4x8xf8E4M3FN>, %s: tensor<f32>, %zp: tensor<i8>) {
  // expected-error @+1 {{expected no zero_point operand for fp8_e4m3}}
  %x = attn.dequantize %q, %s zero_point(%zp : tensor<i8>) {quant = #attn.quant<fp8_e4m3, per_tensor>} : tensor<4x8xf8E4M3FN>, tensor<f32> -> tensor<4x8xf32>
  return
}

// -----

func.func @zp_shape(%x: tensor<4x8xf32>, %s: tensor<4xf32>, %zp: tensor<8xi32>) {
  // expected-error @+1 {{expected zero_point of shape [4], got 'tensor<8xi32>'}}
  %q = attn.quantize %x, %s zero_point(%zp : tensor<8xi32>) {quant = #attn.quant<int8_asym, per_token>} : tensor<4x8xf32>, tensor<4xf32> -> tensor<4x8xi8>
  return
}

// -----

func.func @float_input(%x: tensor<4x8xi8>, %s: tensor<f32>) {
  // expected-error @+1 {{'attn.quantize' op operand #0 must be ranked tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values}}
  %q = attn.quantize %x, %s {quant = #attn.quant<int8_sym, per_tensor>} : tensor<4x8xi8>, tensor<f32> -> tensor<4x8xi8>
  return
}

// -----

func.func @float_scale(%x: tensor<4x8xf32>, %s: tensor<f16>) {
  // expected-error @+1 {{'attn.quantize' op operand #1 must be ranked tensor of 32-bit float values}}
  %q = attn.quantize %x, %s {quant = #attn.quant<int8_sym, per_tensor>} : tensor<4x8xf32>, tensor<f16> -> tensor<4x8xi8>
  return
}

// -----

func.func @float_result(%q: tensor<4x8xi8>, %s: tensor<f32>) {
  // expected-error @+1 {{'attn.dequantize' op result #0 must be ranked tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values}}
  %x = attn.dequantize %q, %s {quant = #attn.quant<int8_sym, per_tensor>} : tensor<4x8xi8>, tensor<f32> -> tensor<4x8xi32>
  return
}
