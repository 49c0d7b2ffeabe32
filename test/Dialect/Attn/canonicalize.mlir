// RUN: attn-opt %s -canonicalize -split-input-file | FileCheck %s

// A mask attribute that hides nothing is dropped.
// CHECK-LABEL: func.func @full_mask
// CHECK: attn.sdpa
// CHECK-NOT: mask
// CHECK-SAME: -> tensor<1x4x8x16xf32>
func.func @full_mask(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>,
                     %v: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %o = attn.sdpa %q, %k, %v {mask = #attn.mask<align = bottom_right>}
      : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>
      -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

// An all-true boolean mask, a zero bias and zero ALiBi slopes are dropped.
// CHECK-LABEL: func.func @neutral_operands
// CHECK: %[[O:.*]] = attn.sdpa %{{.*}}, %{{.*}}, %{{.*}} {mask = #attn.mask<causal = true>}
// CHECK-NOT: bias
// CHECK: return %[[O]]
func.func @neutral_operands(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>,
                            %v: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %m = arith.constant dense<true> : tensor<1x1x8x8xi1>
  %b = arith.constant dense<0.0> : tensor<1x4x8x8xf32>
  %s = arith.constant dense<0.0> : tensor<4xf32>
  %o = attn.sdpa %q, %k, %v bias(%b : tensor<1x4x8x8xf32>)
      attn_mask(%m : tensor<1x1x8x8xi1>) alibi(%s : tensor<4xf32>)
      {mask = #attn.mask<causal = true>}
      : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>
      -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

// Operands that do change the result stay.
// CHECK-LABEL: func.func @keeps_real_operands
// CHECK: attn.sdpa %{{.*}}, %{{.*}}, %{{.*}} bias(%{{.*}} : tensor<1x4x8x8xf32>) attn_mask(%{{.*}} : tensor<1x1x8x8xi1>)
// CHECK-SAME: mask = #attn.mask<window_left = 2>
func.func @keeps_real_operands(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>,
                               %v: tensor<1x4x8x16xf32>, %m: tensor<1x1x8x8xi1>)
    -> tensor<1x4x8x16xf32> {
  %b = arith.constant dense<1.0> : tensor<1x4x8x8xf32>
  %o = attn.sdpa %q, %k, %v bias(%b : tensor<1x4x8x8xf32>)
      attn_mask(%m : tensor<1x1x8x8xi1>) {mask = #attn.mask<window_left = 2>}
      : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>
      -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

// With ALiBi the alignment of a full mask moves the diagonal the distances
// are measured from: it stays. A top-left full mask is the default: dropped.
// CHECK-LABEL: func.func @full_mask_alibi
// CHECK: attn.sdpa {{.*}} alibi(%{{.*}} : tensor<4xf32>) {mask = #attn.mask<align = bottom_right>}
// CHECK: attn.sdpa {{.*}} alibi(%{{.*}} : tensor<4xf32>)
// CHECK-NOT: mask
// CHECK-SAME: -> tensor<1x4x2x16xf32>
func.func @full_mask_alibi(%q: tensor<1x4x2x16xf32>, %k: tensor<1x4x8x16xf32>,
                           %v: tensor<1x4x8x16xf32>, %s: tensor<4xf32>)
    -> (tensor<1x4x2x16xf32>, tensor<1x4x2x16xf32>) {
  %o = attn.sdpa %q, %k, %v alibi(%s : tensor<4xf32>)
      {mask = #attn.mask<align = bottom_right>}
      : tensor<1x4x2x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>
      -> tensor<1x4x2x16xf32>
  %p = attn.sdpa %q, %k, %v alibi(%s : tensor<4xf32>)
      {mask = #attn.mask<align = top_left>}
      : tensor<1x4x2x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>
      -> tensor<1x4x2x16xf32>
  return %o, %p : tensor<1x4x2x16xf32>, tensor<1x4x2x16xf32>
}
