// RUN: attn-opt %s --attn-pack-gqa-decode --split-input-file | FileCheck %s

// GQA 8:2 decode: the query [2, 8, 1, 16] is [2, 2, 4, 16] (4 query heads of
// each KV head as its rows), MHA over the same keys; the bottom-right causal
// mask hides nothing from the one query and goes; kv_lens, scale and
// softcap stay; out and lse go back to the original shapes.
// CHECK-LABEL: func.func @gqa_decode
// CHECK-SAME: (%[[Q:.*]]: tensor<2x8x1x16xf16>, %[[K:.*]]: tensor<2x2x40x16xf16>, %[[V:.*]]: tensor<2x2x40x16xf16>, %[[L:.*]]: tensor<2xi32>)
// CHECK: %[[QF:.*]] = tensor.collapse_shape %[[Q]] {{\[}}[0], [1, 2], [3]] : tensor<2x8x1x16xf16> into tensor<2x8x16xf16>
// CHECK: %[[QP:.*]] = tensor.expand_shape %[[QF]] {{\[}}[0], [1, 2], [3]] output_shape [2, 2, 4, 16] : tensor<2x8x16xf16> into tensor<2x2x4x16xf16>
// CHECK: %[[O:.*]], %[[LSE:.*]] = attn.sdpa %[[QP]], %[[K]], %[[V]] kv_lens(%[[L]] : tensor<2xi32>) {scale = 2.500000e-01 : f32, softcap = 5.000000e+01 : f32}
// CHECK-SAME: : tensor<2x2x4x16xf16>, tensor<2x2x40x16xf16>, tensor<2x2x40x16xf16> -> tensor<2x2x4x16xf16>, tensor<2x2x4xf32>
// CHECK: %[[OF:.*]] = tensor.collapse_shape %[[O]] {{\[}}[0], [1, 2], [3]] : tensor<2x2x4x16xf16> into tensor<2x8x16xf16>
// CHECK: %[[OO:.*]] = tensor.expand_shape %[[OF]] {{\[}}[0], [1, 2], [3]] output_shape [2, 8, 1, 16] : tensor<2x8x16xf16> into tensor<2x8x1x16xf16>
// CHECK: %[[LF:.*]] = tensor.collapse_shape %[[LSE]] {{\[}}[0], [1, 2]] : tensor<2x2x4xf32> into tensor<2x8xf32>
// CHECK: %[[LO:.*]] = tensor.expand_shape %[[LF]] {{\[}}[0], [1, 2]] output_shape [2, 8, 1] : tensor<2x8xf32> into tensor<2x8x1xf32>
// CHECK: return %[[OO]], %[[LO]]
func.func @gqa_decode(%q: tensor<2x8x1x16xf16>, %k: tensor<2x2x40x16xf16>,
                      %v: tensor<2x2x40x16xf16>, %l: tensor<2xi32>)
    -> (tensor<2x8x1x16xf16>, tensor<2x8x1xf32>) {
  %o, %lse = attn.sdpa %q, %k, %v kv_lens(%l : tensor<2xi32>)
      {mask = #attn.mask<causal = true, align = bottom_right>, scale = 0.25 : f32,
       softcap = 50.0 : f32}
      : tensor<2x8x1x16xf16>, tensor<2x2x40x16xf16>, tensor<2x2x40x16xf16>
        -> tensor<2x8x1x16xf16>, tensor<2x8x1xf32>
  return %o, %lse : tensor<2x8x1x16xf16>, tensor<2x8x1xf32>
}

// -----

// A boolean mask and a bias broadcast over heads and queries serve every
// row of a group: packed (MQA: all 4 query heads on the one KV head).
// CHECK-LABEL: func.func @mqa_broadcast_terms
// CHECK: attn.sdpa %{{.*}} bias(%{{.*}} : tensor<1x1x1x9xf32>) attn_mask(%{{.*}} : tensor<3x1x1x9xi1>)
// CHECK-SAME: : tensor<3x1x4x8xf32>, tensor<3x1x9x8xf32>, tensor<3x1x9x8xf32> -> tensor<3x1x4x8xf32>
func.func @mqa_broadcast_terms(%q: tensor<3x4x1x8xf32>, %k: tensor<3x1x9x8xf32>,
                               %v: tensor<3x1x9x8xf32>, %b: tensor<1x1x1x9xf32>,
                               %m: tensor<3x1x1x9xi1>) -> tensor<3x4x1x8xf32> {
  %o = attn.sdpa %q, %k, %v bias(%b : tensor<1x1x1x9xf32>)
      attn_mask(%m : tensor<3x1x1x9xi1>)
      : tensor<3x4x1x8xf32>, tensor<3x1x9x8xf32>, tensor<3x1x9x8xf32> -> tensor<3x4x1x8xf32>
  return %o : tensor<3x4x1x8xf32>
}

// -----

// Left alone: rows of a group that would differ (ALiBi slopes and a bias
// per head, a window, a top-left causal mask), more than one query, MHA and
// bshd.
// CHECK-LABEL: func.func @not_packed
// CHECK-NOT: tensor.expand_shape
// CHECK-COUNT-7: attn.sdpa
func.func @not_packed(%q: tensor<1x4x1x8xf32>, %k: tensor<1x2x9x8xf32>,
                      %v: tensor<1x2x9x8xf32>, %s: tensor<4xf32>,
                      %b: tensor<1x4x1x9xf32>, %q2: tensor<1x4x2x8xf32>,
                      %qm: tensor<1x2x1x8xf32>, %qs: tensor<1x1x4x8xf32>,
                      %ks: tensor<1x9x2x8xf32>)
    -> (tensor<1x4x1x8xf32>, tensor<1x4x1x8xf32>, tensor<1x4x1x8xf32>,
        tensor<1x4x1x8xf32>, tensor<1x4x2x8xf32>, tensor<1x2x1x8xf32>,
        tensor<1x1x4x8xf32>) {
  %0 = attn.sdpa %q, %k, %v alibi(%s : tensor<4xf32>)
      : tensor<1x4x1x8xf32>, tensor<1x2x9x8xf32>, tensor<1x2x9x8xf32> -> tensor<1x4x1x8xf32>
  %1 = attn.sdpa %q, %k, %v bias(%b : tensor<1x4x1x9xf32>)
      : tensor<1x4x1x8xf32>, tensor<1x2x9x8xf32>, tensor<1x2x9x8xf32> -> tensor<1x4x1x8xf32>
  %2 = attn.sdpa %q, %k, %v {mask = #attn.mask<align = bottom_right, window_left = 3>}
      : tensor<1x4x1x8xf32>, tensor<1x2x9x8xf32>, tensor<1x2x9x8xf32> -> tensor<1x4x1x8xf32>
  %3 = attn.sdpa %q, %k, %v {mask = #attn.mask<causal = true>}
      : tensor<1x4x1x8xf32>, tensor<1x2x9x8xf32>, tensor<1x2x9x8xf32> -> tensor<1x4x1x8xf32>
  %4 = attn.sdpa %q2, %k, %v
      : tensor<1x4x2x8xf32>, tensor<1x2x9x8xf32>, tensor<1x2x9x8xf32> -> tensor<1x4x2x8xf32>
  %5 = attn.sdpa %qm, %k, %v
      : tensor<1x2x1x8xf32>, tensor<1x2x9x8xf32>, tensor<1x2x9x8xf32> -> tensor<1x2x1x8xf32>
  %6 = attn.sdpa %qs, %ks, %ks {layout = #attn<layout bshd>}
      : tensor<1x1x4x8xf32>, tensor<1x9x2x8xf32>, tensor<1x9x2x8xf32> -> tensor<1x1x4x8xf32>
  return %0, %1, %2, %3, %4, %5, %6
      : tensor<1x4x1x8xf32>, tensor<1x4x1x8xf32>, tensor<1x4x1x8xf32>,
        tensor<1x4x1x8xf32>, tensor<1x4x2x8xf32>, tensor<1x2x1x8xf32>,
        tensor<1x1x4x8xf32>
}
