// RUN: attn-opt --attn-fuse-attention --split-input-file %s | FileCheck %s
// RUN: attn-opt %s --split-input-file --attn-fuse-attention="report-misses=1" --verify-diagnostics -o /dev/null

// The attn dialect's unfused steps fuse into attn.sdpa with every operand
// and attribute carried over.

// CHECK-LABEL: func.func @full_chain(
// CHECK-SAME:      %[[Q:[^:]*]]: tensor<2x8x16x64xf32>, %[[K:[^:]*]]: tensor<2x2x32x64xf32>, %[[V:[^:]*]]: tensor<2x2x32x64xf32>, %[[B:[^:]*]]: tensor<1x1x16x32xf32>, %[[L:[^:]*]]: tensor<2xi32>)
// CHECK-NEXT:    %[[O:.*]], %[[LSE:.*]] = attn.sdpa %[[Q]], %[[K]], %[[V]] bias(%[[B]] : tensor<1x1x16x32xf32>) kv_lens(%[[L]] : tensor<2xi32>)
// CHECK-SAME:      {mask = #attn.mask<causal = true, align = bottom_right>, scale = 1.250000e-01 : f32, softcap = 3.000000e+01 : f32}
// CHECK-SAME:      -> tensor<2x8x16x64xf32>, tensor<2x8x16xf32>
// CHECK-NEXT:    return %[[O]], %[[LSE]]
func.func @full_chain(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x32x64xf32>, %v: tensor<2x2x32x64xf32>, %bias: tensor<1x1x16x32xf32>, %lens: tensor<2xi32>) -> (tensor<2x8x16x64xf32>, tensor<2x8x16xf32>) {
  %s = attn.scores %q, %k {scale = 0.125 : f32, softcap = 30.0 : f32} : tensor<2x8x16x64xf32>, tensor<2x2x32x64xf32> -> tensor<2x8x16x32xf32>
  %m = attn.mask %s bias(%bias : tensor<1x1x16x32xf32>) kv_lens(%lens : tensor<2xi32>) {mask = #attn.mask<causal = true, align = bottom_right>} : tensor<2x8x16x32xf32>
  %p, %lse = attn.softmax %m : tensor<2x8x16x32xf32> -> tensor<2x8x16x32xf32>, tensor<2x8x16xf32>
  %o = attn.weighted_sum %p, %v : tensor<2x8x16x32xf32>, tensor<2x2x32x64xf32> -> tensor<2x8x16x64xf32>
  return %o, %lse : tensor<2x8x16x64xf32>, tensor<2x8x16xf32>
}

// -----

// Without attn.mask and scale the default scale 1/sqrt(64) is made explicit;
// the bshd layout carries over.
// CHECK-LABEL: func.func @no_mask_bshd(
// CHECK-NEXT:    attn.sdpa %{{.*}}, %{{.*}}, %{{.*}} {layout = #attn<layout bshd>, scale = 1.250000e-01 : f32}
// CHECK-NEXT:    return
func.func @no_mask_bshd(%q: tensor<1x16x4x64xf32>, %k: tensor<1x16x4x64xf32>, %v: tensor<1x16x4x64xf32>) -> tensor<1x16x4x64xf32> {
  %s = attn.scores %q, %k {layout = #attn<layout bshd>} : tensor<1x16x4x64xf32>, tensor<1x16x4x64xf32> -> tensor<1x4x16x16xf32>
  %p = attn.softmax %s : tensor<1x4x16x16xf32> -> tensor<1x4x16x16xf32>
  %o = attn.weighted_sum %p, %v {layout = #attn<layout bshd>} : tensor<1x4x16x16xf32>, tensor<1x16x4x64xf32> -> tensor<1x16x4x64xf32>
  return %o : tensor<1x16x4x64xf32>
}

// -----

// The probabilities are also returned: nothing changes.
// CHECK-LABEL: func.func @probs_returned(
// CHECK-NOT:     attn.sdpa
// CHECK:         attn.weighted_sum
func.func @probs_returned(%q: tensor<1x4x16x64xf32>, %k: tensor<1x4x16x64xf32>, %v: tensor<1x4x16x64xf32>) -> (tensor<1x4x16x64xf32>, tensor<1x4x16x16xf32>) {
  %s = attn.scores %q, %k : tensor<1x4x16x64xf32>, tensor<1x4x16x64xf32> -> tensor<1x4x16x16xf32>
  %p = attn.softmax %s : tensor<1x4x16x16xf32> -> tensor<1x4x16x16xf32>
  // expected-remark @below {{attention-like chain not fused: softmax: the probabilities have other uses}}
  %o = attn.weighted_sum %p, %v : tensor<1x4x16x16xf32>, tensor<1x4x16x64xf32> -> tensor<1x4x16x64xf32>
  return %o, %p : tensor<1x4x16x64xf32>, tensor<1x4x16x16xf32>
}

// -----

// The scores are also returned: nothing changes.
// CHECK-LABEL: func.func @scores_returned(
// CHECK-NOT:     attn.sdpa
// CHECK:         attn.mask
func.func @scores_returned(%q: tensor<1x4x16x64xf32>, %k: tensor<1x4x16x64xf32>, %v: tensor<1x4x16x64xf32>) -> (tensor<1x4x16x64xf32>, tensor<1x4x16x16xf32>) {
  %s = attn.scores %q, %k : tensor<1x4x16x64xf32>, tensor<1x4x16x64xf32> -> tensor<1x4x16x16xf32>
  %m = attn.mask %s {mask = #attn.mask<causal = true>} : tensor<1x4x16x16xf32>
  %p = attn.softmax %m : tensor<1x4x16x16xf32> -> tensor<1x4x16x16xf32>
  // expected-remark @below {{attention-like chain not fused: scores: the unmasked scores have other uses}}
  %o = attn.weighted_sum %p, %v : tensor<1x4x16x16xf32>, tensor<1x4x16x64xf32> -> tensor<1x4x16x64xf32>
  return %o, %s : tensor<1x4x16x64xf32>, tensor<1x4x16x16xf32>
}

// -----

// Scores in bhsd but values in bshd: the layouts differ; nothing changes.
// CHECK-LABEL: func.func @layout_mismatch(
// CHECK-NOT:     attn.sdpa
// CHECK:         attn.weighted_sum
func.func @layout_mismatch(%q: tensor<1x4x16x64xf32>, %k: tensor<1x4x16x64xf32>, %v: tensor<1x16x4x64xf32>) -> tensor<1x16x4x64xf32> {
  %s = attn.scores %q, %k : tensor<1x4x16x64xf32>, tensor<1x4x16x64xf32> -> tensor<1x4x16x16xf32>
  %p = attn.softmax %s : tensor<1x4x16x16xf32> -> tensor<1x4x16x16xf32>
  // expected-remark @below {{attention-like chain not fused: operands: attn.scores and attn.weighted_sum have different layouts}}
  %o = attn.weighted_sum %p, %v {layout = #attn<layout bshd>} : tensor<1x4x16x16xf32>, tensor<1x16x4x64xf32> -> tensor<1x16x4x64xf32>
  return %o : tensor<1x16x4x64xf32>
}

// -----

// Query and value element types differ: attn.sdpa cannot express it.
// CHECK-LABEL: func.func @mixed_types(
// CHECK-NOT:     attn.sdpa
// CHECK:         attn.weighted_sum
func.func @mixed_types(%q: tensor<1x4x16x64xf32>, %k: tensor<1x4x16x64xf32>, %v: tensor<1x4x16x64xf16>) -> tensor<1x4x16x64xf16> {
  %s = attn.scores %q, %k : tensor<1x4x16x64xf32>, tensor<1x4x16x64xf32> -> tensor<1x4x16x16xf32>
  %p = attn.softmax %s : tensor<1x4x16x16xf32> -> tensor<1x4x16x16xf32>
  // expected-remark @below {{attention-like chain not fused: operands: Q, K and V have different element types}}
  %o = attn.weighted_sum %p, %v : tensor<1x4x16x16xf32>, tensor<1x4x16x64xf16> -> tensor<1x4x16x64xf16>
  return %o : tensor<1x4x16x64xf16>
}

// -----

// f16 inputs with f32 scores and an f32 bias: attn.sdpa wants the bias in
// the query's element type; nothing changes.
// CHECK-LABEL: func.func @bias_type_differs(
// CHECK-NOT:     attn.sdpa
// CHECK:         attn.mask
func.func @bias_type_differs(%q: tensor<1x4x16x64xf16>, %k: tensor<1x4x16x64xf16>, %v: tensor<1x4x16x64xf16>, %bias: tensor<1x1x16x16xf32>) -> tensor<1x4x16x64xf16> {
  %s = attn.scores %q, %k : tensor<1x4x16x64xf16>, tensor<1x4x16x64xf16> -> tensor<1x4x16x16xf32>
  %m = attn.mask %s bias(%bias : tensor<1x1x16x16xf32>) : tensor<1x4x16x16xf32>
  %p = attn.softmax %m : tensor<1x4x16x16xf32> -> tensor<1x4x16x16xf32>
  // expected-remark @below {{attention-like chain not fused: operands: the bias's element type differs from Q's}}
  %o = attn.weighted_sum %p, %v : tensor<1x4x16x16xf32>, tensor<1x4x16x64xf16> -> tensor<1x4x16x64xf16>
  return %o : tensor<1x4x16x64xf16>
}
