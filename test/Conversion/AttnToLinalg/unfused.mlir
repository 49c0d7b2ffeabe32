// RUN: attn-opt %s -convert-attn-to-linalg -split-input-file -verify-diagnostics \
// RUN: | FileCheck %s

// GQA scores: K is read at head floordiv 2; the dot product reduces the last
// loop in f32, then scale and softcap are applied and rounded to the result.
// CHECK-DAG: #[[Q:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
// CHECK-DAG: #[[K:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1 floordiv 2, d3, d4)>
// CHECK-DAG: #[[S:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @scores_gqa
// CHECK: %[[ACC:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<1x4x3x5xf32>)
// CHECK: %[[DOT:.*]] = linalg.generic {indexing_maps = [#[[Q]], #[[K]], #[[S]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<1x4x3x8xf16>, tensor<1x2x5x8xf16>) outs(%[[ACC]] : tensor<1x4x3x5xf32>)
// CHECK: arith.extf
// CHECK: arith.extf
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: linalg.generic {{.*}} ins(%[[DOT]] : tensor<1x4x3x5xf32>) outs(%{{.*}} : tensor<1x4x3x5xf16>)
// CHECK: arith.constant 2.500000e-01 : f32
// CHECK: arith.mulf
// CHECK: arith.divf
// CHECK: math.tanh
// CHECK: arith.mulf
// CHECK: arith.truncf
// CHECK-NOT: attn.
func.func @scores_gqa(%q: tensor<1x4x3x8xf16>, %k: tensor<1x2x5x8xf16>) -> tensor<1x4x3x5xf16> {
  %s = attn.scores %q, %k {scale = 0.25 : f32, softcap = 20.0 : f32}
      : tensor<1x4x3x8xf16>, tensor<1x2x5x8xf16> -> tensor<1x4x3x5xf16>
  return %s : tensor<1x4x3x5xf16>
}

// -----

// bshd: Q and K maps swap heads and sequence; no softcap.
// CHECK-DAG: #[[Q:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d1, d4)>
// CHECK-DAG: #[[K:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d1, d4)>
// CHECK-LABEL: func.func @scores_bshd
// CHECK: linalg.generic {indexing_maps = [#[[Q]], #[[K]], #{{.*}}]
// CHECK-NOT: math.tanh
func.func @scores_bshd(%q: tensor<1x3x2x8xf32>, %k: tensor<1x5x2x8xf32>) -> tensor<1x2x3x5xf32> {
  %s = attn.scores %q, %k {layout = #attn<layout bshd>}
      : tensor<1x3x2x8xf32>, tensor<1x5x2x8xf32> -> tensor<1x2x3x5xf32>
  return %s : tensor<1x2x3x5xf32>
}

// -----

// attn.mask: one elementwise generic; the bias broadcasts over size-1 dims,
// slopes are read per head and kv_lens per batch; bottom-right diagonal
// d = i + l - Sq; hidden entries become -inf.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[BIAS:.*]] = affine_map<(d0, d1, d2, d3) -> (0, d1, 0, d3)>
// CHECK-DAG: #[[HEAD:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-DAG: #[[BATCH:.*]] = affine_map<(d0, d1, d2, d3) -> (d0)>
// CHECK-LABEL: func.func @mask
// CHECK: %[[SQ:.*]] = arith.constant 3 : index
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[BIAS]], #[[HEAD]], #[[BATCH]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
// CHECK: ^bb0(%[[S:.*]]: f32, %[[B:.*]]: f32, %[[SLOPE:.*]]: f32, %[[LEN:.*]]: i32, %{{.*}}: f32):
// CHECK: %[[I:.*]] = linalg.index 2 : index
// CHECK: %[[J:.*]] = linalg.index 3 : index
// CHECK: %[[L:.*]] = arith.index_cast %[[LEN]] : i32 to index
// CHECK: %[[IL:.*]] = arith.addi %[[I]], %[[L]] : index
// CHECK: %[[D:.*]] = arith.subi %[[IL]], %[[SQ]] : index
// CHECK: arith.cmpi slt, %[[J]], %[[L]] : index
// CHECK: arith.cmpi sle, %[[J]], %[[D]] : index
// CHECK: %[[SB:.*]] = arith.addf %[[S]], %[[B]] : f32
// CHECK: %[[DIST:.*]] = arith.subi %[[J]], %[[D]] : index
// CHECK: %[[DISTF:.*]] = arith.sitofp %{{.*}} : i64 to f32
// CHECK: %[[AL:.*]] = arith.mulf %[[SLOPE]], %[[DISTF]] : f32
// CHECK: %[[SUM:.*]] = arith.addf %[[SB]], %[[AL]] : f32
// CHECK: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: arith.select %{{.*}}, %[[SUM]], %[[NINF]] : f32
func.func @mask(%s: tensor<2x4x3x5xf32>, %b: tensor<1x4x1x5xf32>, %a: tensor<4xf32>,
                %l: tensor<2xi32>) -> tensor<2x4x3x5xf32> {
  %m = attn.mask %s bias(%b : tensor<1x4x1x5xf32>) alibi(%a : tensor<4xf32>)
      kv_lens(%l : tensor<2xi32>) {mask = #attn.mask<causal = true, align = bottom_right>}
      : tensor<2x4x3x5xf32>
  return %m : tensor<2x4x3x5xf32>
}

// -----

// Boolean masks are and-ed into the visibility, float masks are added; a
// sliding window compares against d - left and d + right (top-left: d = i).
// CHECK-LABEL: func.func @mask_window_bool
// CHECK: ^bb0(%[[S:.*]]: f16, %[[M:.*]]: i1, %{{.*}}: f16):
// CHECK: %[[I:.*]] = linalg.index 2 : index
// CHECK: %[[J:.*]] = linalg.index 3 : index
// CHECK: %[[C1:.*]] = arith.constant 1 : index
// CHECK: %[[LO:.*]] = arith.subi %[[I]], %[[C1]] : index
// CHECK: arith.cmpi sge, %[[J]], %[[LO]] : index
// CHECK: %[[C2:.*]] = arith.constant 2 : index
// CHECK: %[[HI:.*]] = arith.addi %[[I]], %[[C2]] : index
// CHECK: arith.cmpi sle, %[[J]], %[[HI]] : index
// CHECK: %[[EXT:.*]] = arith.extf %[[S]] : f16 to f32
// CHECK: %[[VIS:.*]] = arith.andi %{{.*}}, %[[M]] : i1
// CHECK: %[[SEL:.*]] = arith.select %[[VIS]], %[[EXT]], %{{.*}} : f32
// CHECK: arith.truncf %[[SEL]] : f32 to f16
func.func @mask_window_bool(%s: tensor<1x1x4x4xf16>, %m: tensor<1x1x4x4xi1>) -> tensor<1x1x4x4xf16> {
  %r = attn.mask %s attn_mask(%m : tensor<1x1x4x4xi1>)
      {mask = #attn.mask<window_left = 1, window_right = 2>} : tensor<1x1x4x4xf16>
  return %r : tensor<1x1x4x4xf16>
}

// -----

// softmax: max, sum of guarded exps, normalize; lse = max + log(sum), -inf
// for rows whose max is -inf. Rows are every dim but the last.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[ROWID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @softmax
// CHECK: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[MI:.*]] = linalg.fill ins(%[[NINF]] : f32)
// CHECK: %[[MAX:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}} : tensor<2x3x7xf32>) outs(%[[MI]] : tensor<2x3xf32>)
// CHECK: arith.maximumf
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}}, %[[MAX]] : tensor<2x3x7xf32>, tensor<2x3xf32>)
// CHECK: arith.cmpf oeq
// CHECK: math.exp
// CHECK: arith.select
// CHECK: %[[P:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%{{.*}}, %[[MAX]], %[[SUM]] : {{.*}})
// CHECK: arith.divf
// CHECK: %[[LSE:.*]] = linalg.generic {indexing_maps = [#[[ROWID]], #[[ROWID]], #[[ROWID]]], iterator_types = ["parallel", "parallel"]} ins(%[[MAX]], %[[SUM]] : {{.*}})
// CHECK: math.log
// CHECK: return %[[P]], %[[LSE]]
func.func @softmax(%s: tensor<2x3x7xf32>) -> (tensor<2x3x7xf32>, tensor<2x3xf32>) {
  %p, %l = attn.softmax %s : tensor<2x3x7xf32> -> tensor<2x3x7xf32>, tensor<2x3xf32>
  return %p, %l : tensor<2x3x7xf32>, tensor<2x3xf32>
}

// -----

// Weighted sum in bshd with MQA: V is read at head floordiv 4 and the
// output is written [b, m, head, n]; f32 accumulation rounded to f16.
// CHECK-DAG: #[[P:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[V:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d1 floordiv 4, d4)>
// CHECK-DAG: #[[O:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d1, d4)>
// CHECK-LABEL: func.func @weighted_sum_bshd
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[P]], #[[V]], #[[O]]], iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]} ins(%{{.*}}, %{{.*}} : tensor<1x4x3x5xf32>, tensor<1x5x1x6xf16>) outs(%{{.*}} : tensor<1x3x4x6xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[SUM]] : tensor<1x3x4x6xf32>) outs(%{{.*}} : tensor<1x3x4x6xf16>)
// CHECK: arith.truncf
func.func @weighted_sum_bshd(%p: tensor<1x4x3x5xf32>, %v: tensor<1x5x1x6xf16>) -> tensor<1x3x4x6xf16> {
  %o = attn.weighted_sum %p, %v {layout = #attn<layout bshd>}
      : tensor<1x4x3x5xf32>, tensor<1x5x1x6xf16> -> tensor<1x3x4x6xf16>
  return %o : tensor<1x3x4x6xf16>
}

// -----

// Dynamic head counts are left alone (the GQA group must be static); the
// conversion then reports the op as not legalized.
func.func @dynamic_heads(%q: tensor<1x?x3x8xf32>, %k: tensor<1x?x5x8xf32>) -> tensor<1x?x3x5xf32> {
  // expected-error @+1 {{failed to legalize operation 'attn.scores'}}
  %s = attn.scores %q, %k : tensor<1x?x3x8xf32>, tensor<1x?x5x8xf32> -> tensor<1x?x3x5xf32>
  return %s : tensor<1x?x3x5xf32>
}
