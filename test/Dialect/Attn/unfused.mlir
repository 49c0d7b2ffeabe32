// RUN: attn-opt %s | attn-opt | FileCheck %s
// RUN: attn-opt %s -mlir-print-op-generic | attn-opt | FileCheck %s

// The unfused chain, GQA (8 query heads over 2 KV heads), f32 scores of f16
// inputs, the log-sum-exp of the softmax.
// CHECK-LABEL: func.func @chain
// CHECK: %[[S:.*]] = attn.scores %{{.*}}, %{{.*}} {scale = 1.250000e-01 : f32, softcap = 3.000000e+01 : f32} : tensor<2x8x16x64xf16>, tensor<2x2x32x64xf16> -> tensor<2x8x16x32xf32>
// CHECK: %[[M:.*]] = attn.mask %[[S]] kv_lens(%{{.*}} : tensor<2xi32>) {mask = #attn.mask<causal = true, align = bottom_right>} : tensor<2x8x16x32xf32>
// CHECK: %[[P:.*]], %[[L:.*]] = attn.softmax %[[M]] : tensor<2x8x16x32xf32> -> tensor<2x8x16x32xf32>, tensor<2x8x16xf32>
// CHECK: attn.weighted_sum %[[P]], %{{.*}} : tensor<2x8x16x32xf32>, tensor<2x2x32x64xf16> -> tensor<2x8x16x64xf16>
func.func @chain(%q: tensor<2x8x16x64xf16>, %k: tensor<2x2x32x64xf16>,
                 %v: tensor<2x2x32x64xf16>, %l: tensor<2xi32>)
    -> (tensor<2x8x16x64xf16>, tensor<2x8x16xf32>) {
  %s = attn.scores %q, %k {scale = 0.125 : f32, softcap = 30.0 : f32}
      : tensor<2x8x16x64xf16>, tensor<2x2x32x64xf16> -> tensor<2x8x16x32xf32>
  %m = attn.mask %s kv_lens(%l : tensor<2xi32>)
      {mask = #attn.mask<causal = true, align = bottom_right>} : tensor<2x8x16x32xf32>
  %p, %lse = attn.softmax %m : tensor<2x8x16x32xf32>
      -> tensor<2x8x16x32xf32>, tensor<2x8x16xf32>
  %o = attn.weighted_sum %p, %v : tensor<2x8x16x32xf32>, tensor<2x2x32x64xf16>
      -> tensor<2x8x16x64xf16>
  return %o, %lse : tensor<2x8x16x64xf16>, tensor<2x8x16xf32>
}

// bshd layout: scores are still [B, H, Sq, Sk]; the weighted sum is bshd.
// CHECK-LABEL: func.func @bshd
// CHECK: attn.scores %{{.*}}, %{{.*}} {layout = #attn<layout bshd>} : tensor<1x5x4x16xf32>, tensor<1x7x1x16xf32> -> tensor<1x4x5x7xf32>
// CHECK: attn.softmax %{{.*}} : tensor<1x4x5x7xf32> -> tensor<1x4x5x7xf32>
// CHECK: attn.weighted_sum %{{.*}}, %{{.*}} {layout = #attn<layout bshd>} : tensor<1x4x5x7xf32>, tensor<1x7x1x8xf32> -> tensor<1x5x4x8xf32>
func.func @bshd(%q: tensor<1x5x4x16xf32>, %k: tensor<1x7x1x16xf32>,
                %v: tensor<1x7x1x8xf32>) -> tensor<1x5x4x8xf32> {
  %s = attn.scores %q, %k {layout = #attn<layout bshd>}
      : tensor<1x5x4x16xf32>, tensor<1x7x1x16xf32> -> tensor<1x4x5x7xf32>
  %p = attn.softmax %s : tensor<1x4x5x7xf32> -> tensor<1x4x5x7xf32>
  %o = attn.weighted_sum %p, %v {layout = #attn<layout bshd>}
      : tensor<1x4x5x7xf32>, tensor<1x7x1x8xf32> -> tensor<1x5x4x8xf32>
  return %o : tensor<1x5x4x8xf32>
}

// Every optional operand of attn.mask, and a sliding window.
// CHECK-LABEL: func.func @mask_all
// CHECK: attn.mask %{{.*}} bias(%{{.*}} : tensor<1x4x1x9xf32>) attn_mask(%{{.*}} : tensor<3x1x9x9xi1>) alibi(%{{.*}} : tensor<4xf32>) kv_lens(%{{.*}} : tensor<3xi64>) {mask = #attn.mask<window_left = 2, window_right = 1>} : tensor<3x4x9x9xf32>
// CHECK: attn.mask %{{.*}} attn_mask(%{{.*}} : tensor<3x4x9x9xf16>) : tensor<3x4x9x9xf32>
func.func @mask_all(%s: tensor<3x4x9x9xf32>, %b: tensor<1x4x1x9xf32>,
                    %m: tensor<3x1x9x9xi1>, %a: tensor<4xf32>, %l: tensor<3xi64>,
                    %fm: tensor<3x4x9x9xf16>) -> tensor<3x4x9x9xf32> {
  %0 = attn.mask %s bias(%b : tensor<1x4x1x9xf32>) attn_mask(%m : tensor<3x1x9x9xi1>)
      alibi(%a : tensor<4xf32>) kv_lens(%l : tensor<3xi64>)
      {mask = #attn.mask<window_left = 2, window_right = 1>} : tensor<3x4x9x9xf32>
  %1 = attn.mask %0 attn_mask(%fm : tensor<3x4x9x9xf16>) : tensor<3x4x9x9xf32>
  return %1 : tensor<3x4x9x9xf32>
}

// Dynamic sizes and a softmax over a rank-1 tensor.
// CHECK-LABEL: func.func @dynamic
// CHECK: attn.scores %{{.*}}, %{{.*}} : tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16> -> tensor<?x4x?x?xbf16>
// CHECK: attn.softmax %{{.*}} : tensor<?xf64> -> tensor<?xf64>, tensor<f32>
func.func @dynamic(%q: tensor<?x4x?x32xbf16>, %k: tensor<?x4x?x32xbf16>,
                   %x: tensor<?xf64>) -> (tensor<?x4x?x?xbf16>, tensor<?xf64>, tensor<f32>) {
  %s = attn.scores %q, %k : tensor<?x4x?x32xbf16>, tensor<?x4x?x32xbf16> -> tensor<?x4x?x?xbf16>
  %p, %l = attn.softmax %x : tensor<?xf64> -> tensor<?xf64>, tensor<f32>
  return %s, %p, %l : tensor<?x4x?x?xbf16>, tensor<?xf64>, tensor<f32>
}

// Canonicalization (third RUN line).
// RUN: attn-opt %s -canonicalize | FileCheck %s --check-prefix=CANON

// An attn.mask that adds and hides nothing folds to its input; neutral
// constant operands and a full mask attribute are dropped; operands that
// change the scores stay.
// CANON-LABEL: func.func @canon_mask
// CANON-SAME: (%[[S:.*]]: tensor<1x4x3x5xf32>, %[[B:.*]]: tensor<1x4x3x5xf32>, %[[L:.*]]: tensor<1xi32>, %[[A:.*]]: tensor<4xf32>)
// CANON: %[[M0:.*]] = attn.mask %[[S]] bias(%[[B]] : tensor<1x4x3x5xf32>) kv_lens(%[[L]] : tensor<1xi32>) : tensor<1x4x3x5xf32>
// CANON: %[[M1:.*]] = attn.mask %[[S]] alibi(%[[A]] : tensor<4xf32>) {mask = #attn.mask<align = bottom_right>} : tensor<1x4x3x5xf32>
// CANON: %[[M2:.*]] = attn.mask %[[S]] {mask = #attn.mask<causal = true>} : tensor<1x4x3x5xf32>
// CANON: return %[[S]], %[[S]], %[[M0]], %[[M1]], %[[M2]]
func.func @canon_mask(%s: tensor<1x4x3x5xf32>, %b: tensor<1x4x3x5xf32>,
                      %l: tensor<1xi32>, %a: tensor<4xf32>)
    -> (tensor<1x4x3x5xf32>, tensor<1x4x3x5xf32>, tensor<1x4x3x5xf32>,
        tensor<1x4x3x5xf32>, tensor<1x4x3x5xf32>) {
  %true = arith.constant dense<true> : tensor<1x1x3x5xi1>
  %zero = arith.constant dense<0.0> : tensor<1x4x3x5xf32>
  %zs = arith.constant dense<0.0> : tensor<4xf32>
  // Identity: no operands, no mask.
  %0 = attn.mask %s : tensor<1x4x3x5xf32>
  // Identity once the neutral operands and the full mask are dropped.
  %1 = attn.mask %s bias(%zero : tensor<1x4x3x5xf32>) attn_mask(%true : tensor<1x1x3x5xi1>)
      alibi(%zs : tensor<4xf32>) {mask = #attn.mask<align = bottom_right>} : tensor<1x4x3x5xf32>
  // Key lengths and a real bias stay; the full mask goes.
  %2 = attn.mask %s bias(%b : tensor<1x4x3x5xf32>) kv_lens(%l : tensor<1xi32>)
      {mask = #attn.mask<window_left = -1>} : tensor<1x4x3x5xf32>
  // With ALiBi the bottom-right alignment places the diagonal: kept.
  %3 = attn.mask %s alibi(%a : tensor<4xf32>) {mask = #attn.mask<align = bottom_right>}
      : tensor<1x4x3x5xf32>
  // A mask that hides keys stays.
  %4 = attn.mask %s {mask = #attn.mask<causal = true>} : tensor<1x4x3x5xf32>
  return %0, %1, %2, %3, %4 : tensor<1x4x3x5xf32>, tensor<1x4x3x5xf32>,
      tensor<1x4x3x5xf32>, tensor<1x4x3x5xf32>, tensor<1x4x3x5xf32>
}
