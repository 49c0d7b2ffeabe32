// RUN: attn-opt %s --split-input-file --verify-diagnostics --attn-check-gpu-support="chip=sm_90a tensor-cores=1"
// RUN: not attn-opt %s --split-input-file --attn-check-gpu-support="chip=sm_80 tensor-cores=1" 2>&1 | FileCheck %s --check-prefix=SM80
// RUN: not attn-opt %s --split-input-file --attn-check-gpu-support="chip=sm_90a" 2>&1 | FileCheck %s --check-prefix=SM80
// RUN: not attn-opt %s --split-input-file --attn-check-gpu-support="chip=sm_90a tensor-cores=1" --attn-sdpa-to-mma="wgmma=1 tma=0" 2>&1 | FileCheck %s --check-prefix=NOTMA

// FP8 attention (attn.dequantize operands of attn.sdpa) runs only on the
// sm_90a TMA tensor-core kernel at head dimensions 64, 128 and 256 (dense or varlen),
// with e4m3 codes for Q, K and V, per-tensor or per-head scales, and each dequantize read only
// by the attention. Anything else is an error: there is no other FP8
// kernel to fall back to.

// SM80-COUNT-6: error: 'attn.sdpa' op is not supported by the GPU pipeline: FP8 attention (attn.dequantize operands) runs only on the sm_90a tensor-core kernel
// NOTMA: error: 'attn.sdpa' op has no FP8 GPU kernel: the sm_90a TMA kernel is not in use (FP8 runs only there)

func.func @per_position(%q8: tensor<1x2x64x128xf8E4M3FN>, %qs: tensor<64xf32>, %k8: tensor<1x2x64x128xf8E4M3FN>, %ks: tensor<f32>, %v8: tensor<1x2x64x128xf8E4M3FN>, %vs: tensor<f32>) -> tensor<1x2x64x128xf16> {
  %q = attn.dequantize %q8, %qs {quant = #attn.quant<fp8_e4m3, per_head, axis = 2>} : tensor<1x2x64x128xf8E4M3FN>, tensor<64xf32> -> tensor<1x2x64x128xf16>
  %k = attn.dequantize %k8, %ks {quant = #attn.quant<fp8_e4m3, per_tensor>} : tensor<1x2x64x128xf8E4M3FN>, tensor<f32> -> tensor<1x2x64x128xf16>
  %v = attn.dequantize %v8, %vs {quant = #attn.quant<fp8_e4m3, per_tensor>} : tensor<1x2x64x128xf8E4M3FN>, tensor<f32> -> tensor<1x2x64x128xf16>
  // expected-error @below {{FP8 attention (attn.dequantize operands) does not take this op: the query's scales are not per_tensor or per_head along the heads (axis = 1)}}
  %o = attn.sdpa %q, %k, %v : tensor<1x2x64x128xf16>, tensor<1x2x64x128xf16>, tensor<1x2x64x128xf16> -> tensor<1x2x64x128xf16>
  return %o : tensor<1x2x64x128xf16>
}

// -----

func.func @d96(%q8: tensor<1x2x64x96xf8E4M3FN>, %qs: tensor<f32>, %k8: tensor<1x2x64x96xf8E4M3FN>, %ks: tensor<f32>, %v8: tensor<1x2x64x96xf8E4M3FN>, %vs: tensor<f32>) -> tensor<1x2x64x96xf16> {
  %q = attn.dequantize %q8, %qs {quant = #attn.quant<fp8_e4m3, per_tensor>} : tensor<1x2x64x96xf8E4M3FN>, tensor<f32> -> tensor<1x2x64x96xf16>
  %k = attn.dequantize %k8, %ks {quant = #attn.quant<fp8_e4m3, per_tensor>} : tensor<1x2x64x96xf8E4M3FN>, tensor<f32> -> tensor<1x2x64x96xf16>
  %v = attn.dequantize %v8, %vs {quant = #attn.quant<fp8_e4m3, per_tensor>} : tensor<1x2x64x96xf8E4M3FN>, tensor<f32> -> tensor<1x2x64x96xf16>
  // expected-error @below {{does not take this op: head dimensions are not 64, 128 or 256}}
  %o = attn.sdpa %q, %k, %v : tensor<1x2x64x96xf16>, tensor<1x2x64x96xf16>, tensor<1x2x64x96xf16> -> tensor<1x2x64x96xf16>
  return %o : tensor<1x2x64x96xf16>
}

// -----

func.func @e5m2(%q8: tensor<1x2x64x128xf8E5M2>, %qs: tensor<f32>, %k8: tensor<1x2x64x128xf8E4M3FN>, %ks: tensor<f32>, %v8: tensor<1x2x64x128xf8E4M3FN>, %vs: tensor<f32>) -> tensor<1x2x64x128xf16> {
  %q = attn.dequantize %q8, %qs {quant = #attn.quant<fp8_e5m2, per_tensor>} : tensor<1x2x64x128xf8E5M2>, tensor<f32> -> tensor<1x2x64x128xf16>
  %k = attn.dequantize %k8, %ks {quant = #attn.quant<fp8_e4m3, per_tensor>} : tensor<1x2x64x128xf8E4M3FN>, tensor<f32> -> tensor<1x2x64x128xf16>
  %v = attn.dequantize %v8, %vs {quant = #attn.quant<fp8_e4m3, per_tensor>} : tensor<1x2x64x128xf8E4M3FN>, tensor<f32> -> tensor<1x2x64x128xf16>
  // expected-error @below {{does not take this op: the query is not e4m3 (fp8_e4m3)}}
  %o = attn.sdpa %q, %k, %v : tensor<1x2x64x128xf16>, tensor<1x2x64x128xf16>, tensor<1x2x64x128xf16> -> tensor<1x2x64x128xf16>
  return %o : tensor<1x2x64x128xf16>
}

// -----

func.func @k_only(%q: tensor<1x2x64x128xf16>, %k8: tensor<1x2x64x128xf8E4M3FN>, %ks: tensor<f32>, %v: tensor<1x2x64x128xf16>) -> tensor<1x2x64x128xf16> {
  %k = attn.dequantize %k8, %ks {quant = #attn.quant<fp8_e4m3, per_tensor>} : tensor<1x2x64x128xf8E4M3FN>, tensor<f32> -> tensor<1x2x64x128xf16>
  // expected-error @below {{does not take this op: the query is not an attn.dequantize result (FP8 attention takes Q, K and V as e4m3 codes)}}
  %o = attn.sdpa %q, %k, %v : tensor<1x2x64x128xf16>, tensor<1x2x64x128xf16>, tensor<1x2x64x128xf16> -> tensor<1x2x64x128xf16>
  return %o : tensor<1x2x64x128xf16>
}

// -----

func.func @returned(%q8: tensor<1x2x64x128xf8E4M3FN>, %qs: tensor<f32>, %k8: tensor<1x2x64x128xf8E4M3FN>, %ks: tensor<f32>, %v8: tensor<1x2x64x128xf8E4M3FN>, %vs: tensor<f32>) -> (tensor<1x2x64x128xf16>, tensor<1x2x64x128xf16>) {
  %q = attn.dequantize %q8, %qs {quant = #attn.quant<fp8_e4m3, per_tensor>} : tensor<1x2x64x128xf8E4M3FN>, tensor<f32> -> tensor<1x2x64x128xf16>
  %k = attn.dequantize %k8, %ks {quant = #attn.quant<fp8_e4m3, per_tensor>} : tensor<1x2x64x128xf8E4M3FN>, tensor<f32> -> tensor<1x2x64x128xf16>
  // expected-error @below {{attn.dequantize is fused into the FP8 attention kernel, so its only use must be the query, key or value of an attn.sdpa}}
  %v = attn.dequantize %v8, %vs {quant = #attn.quant<fp8_e4m3, per_tensor>} : tensor<1x2x64x128xf8E4M3FN>, tensor<f32> -> tensor<1x2x64x128xf16>
  // expected-error @below {{does not take this op: the dequantized value has uses besides the attention}}
  %o = attn.sdpa %q, %k, %v : tensor<1x2x64x128xf16>, tensor<1x2x64x128xf16>, tensor<1x2x64x128xf16> -> tensor<1x2x64x128xf16>
  // expected-error @below {{expected every returned value to be an attn.sdpa, attn.paged_attention or attn.kv_cache_append result}}
  return %o, %v : tensor<1x2x64x128xf16>, tensor<1x2x64x128xf16>
}

// -----

func.func @no_tma(%q8: tensor<1x2x64x128xf8E4M3FN>, %qs: tensor<f32>, %k8: tensor<1x2x64x128xf8E4M3FN>, %ks: tensor<f32>, %v8: tensor<1x2x64x128xf8E4M3FN>, %vs: tensor<f32>) -> tensor<1x2x64x128xf16> {
  %q = attn.dequantize %q8, %qs {quant = #attn.quant<fp8_e4m3, per_tensor>} : tensor<1x2x64x128xf8E4M3FN>, tensor<f32> -> tensor<1x2x64x128xf16>
  %k = attn.dequantize %k8, %ks {quant = #attn.quant<fp8_e4m3, per_tensor>} : tensor<1x2x64x128xf8E4M3FN>, tensor<f32> -> tensor<1x2x64x128xf16>
  %v = attn.dequantize %v8, %vs {quant = #attn.quant<fp8_e4m3, per_tensor>} : tensor<1x2x64x128xf8E4M3FN>, tensor<f32> -> tensor<1x2x64x128xf16>
  %o = attn.sdpa %q, %k, %v : tensor<1x2x64x128xf16>, tensor<1x2x64x128xf16>, tensor<1x2x64x128xf16> -> tensor<1x2x64x128xf16>
  return %o : tensor<1x2x64x128xf16>
}
