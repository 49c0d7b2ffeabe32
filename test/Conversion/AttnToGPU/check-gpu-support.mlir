// RUN: attn-opt %s --split-input-file --verify-diagnostics --attn-check-gpu-support="chip=sm_90a" | FileCheck %s

// Supported: parameters are named after the operands and results they carry.
// CHECK-LABEL: func.func @gqa
// CHECK-SAME:    {attn.param = "query"}
// CHECK-SAME:    {attn.param = "key"}
// CHECK-SAME:    {attn.param = "value"}
// CHECK-SAME:    {attn.param = "kv_lens"}
// CHECK-SAME:    -> (tensor<1x8x17x64xbf16> {attn.param = "out"}, tensor<1x8x17xf32> {attn.param = "lse"})
func.func @gqa(%q: tensor<1x8x17x64xbf16>, %k: tensor<1x2x33x64xbf16>, %v: tensor<1x2x33x64xbf16>, %lens: tensor<1xi32>) -> (tensor<1x8x17x64xbf16>, tensor<1x8x17xf32>) {
  %o:2 = attn.sdpa %q, %k, %v kv_lens(%lens : tensor<1xi32>) {mask = #attn.mask<causal = true>} : tensor<1x8x17x64xbf16>, tensor<1x2x33x64xbf16>, tensor<1x2x33x64xbf16> -> tensor<1x8x17x64xbf16>, tensor<1x8x17xf32>
  return %o#0, %o#1 : tensor<1x8x17x64xbf16>, tensor<1x8x17xf32>
}

// -----

// Two ops in one function: names get the op's index; an argument both use
// keeps the first name.
// CHECK-LABEL: func.func @two
// CHECK-SAME:    {attn.param = "query_0"}
// CHECK-SAME:    {attn.param = "key_0"}
// CHECK-SAME:    {attn.param = "query_1"}
// CHECK-SAME:    -> (tensor<1x1x4x8xf16> {attn.param = "out_0"}, tensor<1x1x4x8xf16> {attn.param = "out_1"})
func.func @two(%q: tensor<1x1x4x8xf16>, %k: tensor<1x1x4x8xf16>, %q2: tensor<1x1x4x8xf16>) -> (tensor<1x1x4x8xf16>, tensor<1x1x4x8xf16>) {
  %a = attn.sdpa %q, %k, %k : tensor<1x1x4x8xf16>, tensor<1x1x4x8xf16>, tensor<1x1x4x8xf16> -> tensor<1x1x4x8xf16>
  %b = attn.sdpa %q2, %k, %k : tensor<1x1x4x8xf16>, tensor<1x1x4x8xf16>, tensor<1x1x4x8xf16> -> tensor<1x1x4x8xf16>
  return %a, %b : tensor<1x1x4x8xf16>, tensor<1x1x4x8xf16>
}

// -----

func.func @dynamic(%q: tensor<1x1x?x8xf16>, %k: tensor<1x1x4x8xf16>, %v: tensor<1x1x4x8xf16>) -> tensor<1x1x?x8xf16> {
  // expected-error @+1 {{'attn.sdpa' op is not supported by the GPU pipeline: expected static shapes, got 'tensor<1x1x?x8xf16>' for operand #0}}
  %o = attn.sdpa %q, %k, %v : tensor<1x1x?x8xf16>, tensor<1x1x4x8xf16>, tensor<1x1x4x8xf16> -> tensor<1x1x?x8xf16>
  return %o : tensor<1x1x?x8xf16>
}

// -----

func.func @f64(%q: tensor<1x1x4x8xf64>, %k: tensor<1x1x4x8xf64>, %v: tensor<1x1x4x8xf64>) -> tensor<1x1x4x8xf64> {
  // expected-error @+1 {{'attn.sdpa' op is not supported by the GPU pipeline: expected f16, bf16 or f32 query elements, got 'f64'}}
  %o = attn.sdpa %q, %k, %v : tensor<1x1x4x8xf64>, tensor<1x1x4x8xf64>, tensor<1x1x4x8xf64> -> tensor<1x1x4x8xf64>
  return %o : tensor<1x1x4x8xf64>
}

// -----

func.func @varlen(%q: tensor<8x2x16xf16>, %k: tensor<8x2x16xf16>, %v: tensor<8x2x16xf16>, %cq: tensor<3xi32>, %ck: tensor<3xi32>) -> tensor<8x2x16xf16> {
  // expected-error @+1 {{'attn.sdpa' op is not supported by the GPU pipeline: varlen (cu_seqlens) attention is implemented only by the tensor-core kernel, and the SIMT kernel was requested}}
  %o = attn.sdpa %q, %k, %v cu_seqlens(%cq, %ck : tensor<3xi32>, tensor<3xi32>) : tensor<8x2x16xf16>, tensor<8x2x16xf16>, tensor<8x2x16xf16> -> tensor<8x2x16xf16>
  return %o : tensor<8x2x16xf16>
}

// -----

func.func @not_an_argument(%q: tensor<1x1x4x8xf16>, %k: tensor<1x1x4x8xf16>) -> tensor<1x1x4x8xf16> {
  // expected-error @+1 {{'arith.negf' op is not supported by the GPU pipeline: expected only attn.sdpa, attn.paged_attention, attn.kv_cache_append and func.return in a function compiled to GPU kernels}}
  %v = arith.negf %k : tensor<1x1x4x8xf16>
  // expected-error @+1 {{'attn.sdpa' op is not supported by the GPU pipeline: expected operand #2 to be a function argument (a kernel parameter)}}
  %o = attn.sdpa %q, %k, %v : tensor<1x1x4x8xf16>, tensor<1x1x4x8xf16>, tensor<1x1x4x8xf16> -> tensor<1x1x4x8xf16>
  return %o : tensor<1x1x4x8xf16>
}

// -----

func.func @chained(%q: tensor<1x1x4x8xf16>, %k: tensor<1x1x4x8xf16>) -> tensor<1x1x4x8xf16> {
  // expected-error @+1 {{'attn.sdpa' op is not supported by the GPU pipeline: expected result #0 to be returned by the function (a kernel parameter), got a use by 'attn.sdpa'}}
  %o = attn.sdpa %q, %k, %k : tensor<1x1x4x8xf16>, tensor<1x1x4x8xf16>, tensor<1x1x4x8xf16> -> tensor<1x1x4x8xf16>
  // expected-error @+1 {{'attn.sdpa' op is not supported by the GPU pipeline: expected operand #0 to be a function argument (a kernel parameter)}}
  %p = attn.sdpa %o, %k, %k : tensor<1x1x4x8xf16>, tensor<1x1x4x8xf16>, tensor<1x1x4x8xf16> -> tensor<1x1x4x8xf16>
  return %p : tensor<1x1x4x8xf16>
}

// -----

func.func @unused(%q: tensor<1x1x4x8xf16>, %k: tensor<1x1x4x8xf16>) {
  // expected-error @+1 {{'attn.sdpa' op is not supported by the GPU pipeline: expected result #0 to be returned by the function}}
  %o = attn.sdpa %q, %k, %k : tensor<1x1x4x8xf16>, tensor<1x1x4x8xf16>, tensor<1x1x4x8xf16> -> tensor<1x1x4x8xf16>
  return
}

// -----

func.func @returns_argument(%q: tensor<1x1x4x8xf16>) -> tensor<1x1x4x8xf16> {
  // expected-error @+1 {{'func.return' op is not supported by the GPU pipeline: expected every returned value to be an attn.sdpa, attn.paged_attention or attn.kv_cache_append result}}
  return %q : tensor<1x1x4x8xf16>
}

// -----

func.func @other_attn_op(%s: tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32> {
  // expected-error @+1 {{'attn.softmax' op is not supported by the GPU pipeline: only attn.sdpa, attn.paged_attention and attn.kv_cache_append have a GPU lowering}}
  %p = attn.softmax %s : tensor<1x1x4x4xf32> -> tensor<1x1x4x4xf32>
  // expected-error @+1 {{'func.return' op is not supported by the GPU pipeline: expected every returned value to be an attn.sdpa, attn.paged_attention or attn.kv_cache_append result}}
  return %p : tensor<1x1x4x4xf32>
}

// -----

// expected-error @+1 {{'func.func' op is not supported by the GPU pipeline: expected a single block, got 2}}
func.func @two_blocks(%q: tensor<1x1x4x8xf16>) -> tensor<1x1x4x8xf16> {
  // expected-error @+1 {{'cf.br' op is not supported by the GPU pipeline: expected only attn.sdpa, attn.paged_attention, attn.kv_cache_append and func.return in a function compiled to GPU kernels}}
  cf.br ^bb1
^bb1:
  %o = attn.sdpa %q, %q, %q : tensor<1x1x4x8xf16>, tensor<1x1x4x8xf16>, tensor<1x1x4x8xf16> -> tensor<1x1x4x8xf16>
  return %o : tensor<1x1x4x8xf16>
}
