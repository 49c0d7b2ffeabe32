// RUN: attn-opt %s --convert-attn-to-linalg -split-input-file | FileCheck %s

// neox, bhsd, rotary_dim 4 of 6, decode offsets: cos and sin once per
// (batch, position, frequency) from the inverse frequencies and offsets[b],
// then one generic rotating x with them (frequency d mod R/2); the pair
// partner is read with tensor.extract; pass-through features are selected
// unchanged.
// CHECK-DAG: #[[TFREQ:.*]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-DAG: #[[TBATCH:.*]] = affine_map<(d0, d1, d2) -> (d0)>
// CHECK-DAG: #[[TID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[TRIG:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3 mod 2)>
// CHECK-LABEL: func.func @neox_offsets
// CHECK-SAME: %[[X:.*]]: tensor<2x4x3x6xf16>, %[[OFF:.*]]: tensor<2xi32>
// CHECK: %[[TABLE:.*]] = arith.constant dense<[1.000000e+00, 0.00999999977]> : tensor<2xf32>
// CHECK: %[[TE:.*]] = tensor.empty() : tensor<2x3x2xf32>
// CHECK: %[[CS:.*]]:2 = linalg.generic {indexing_maps = [#[[TFREQ]], #[[TBATCH]], #[[TID]], #[[TID]]]
// CHECK-SAME: ins(%[[TABLE]], %[[OFF]] : tensor<2xf32>, tensor<2xi32>) outs(%[[TE]], %[[TE]] : tensor<2x3x2xf32>, tensor<2x3x2xf32>)
// CHECK: ^bb0(%[[F:.*]]: f32, %[[O:.*]]: i32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK: %[[S:.*]] = linalg.index 1
// CHECK: %[[POS:.*]] = arith.addi %{{.*}}, %{{.*}} : i64
// CHECK: %[[PF:.*]] = arith.sitofp %[[POS]] : i64 to f32
// CHECK: %[[ANG:.*]] = arith.mulf %[[PF]], %[[F]] : f32
// CHECK: %[[COS:.*]] = math.cos %[[ANG]]
// CHECK: %[[SIN:.*]] = math.sin %[[ANG]]
// CHECK: linalg.yield %[[COS]], %[[SIN]]
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[TRIG]], #[[TRIG]], #[[ID]]]
// CHECK-SAME: ins(%[[X]], %[[CS]]#0, %[[CS]]#1 : tensor<2x4x3x6xf16>, tensor<2x3x2xf32>, tensor<2x3x2xf32>)
// CHECK: ^bb0(%[[XV:.*]]: f16, %[[C:.*]]: f32, %[[SN:.*]]: f32, %{{.*}}: f16):
// CHECK-NOT: math.cos
// CHECK: tensor.extract %[[X]]
// CHECK: arith.mulf %{{.*}}, %[[C]]
// CHECK: arith.mulf %{{.*}}, %[[SN]]
// CHECK: arith.subf
// CHECK: arith.truncf {{.*}} : f32 to f16
// CHECK: arith.select %{{.*}}, %{{.*}}, %[[XV]] : f16
func.func @neox_offsets(%x: tensor<2x4x3x6xf16>, %o: tensor<2xi32>) -> tensor<2x4x3x6xf16> {
  %r = attn.rope %x offsets(%o : tensor<2xi32>) {rotary_dim = 4 : i64}
      : tensor<2x4x3x6xf16> -> tensor<2x4x3x6xf16>
  return %r : tensor<2x4x3x6xf16>
}

// -----

// gptj, bshd, positions [B, S]: the table is padded to D/2 entries; cos and
// sin are computed at (b, s, f) with positions read at (b, s), and the
// rotation reads them at (d0, d1, d3 floordiv 2).
// CHECK-DAG: #[[POS:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[TRIG:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3 floordiv 2)>
// CHECK-LABEL: func.func @gptj_positions_bshd
// CHECK: arith.constant dense<[1.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00]> : tensor<4xf32>
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[POS]], #{{.*}}, #{{.*}}]
// CHECK-SAME: outs({{.*}} : tensor<2x3x4xf32>, tensor<2x3x4xf32>)
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[TRIG]], #[[TRIG]], #{{.*}}]
// CHECK: arith.xori
func.func @gptj_positions_bshd(%x: tensor<2x3x4x8xf32>, %p: tensor<2x3xi64>) -> tensor<2x3x4x8xf32> {
  %r = attn.rope %x positions(%p : tensor<2x3xi64>) {style = #attn<rope_style gptj>, rotary_dim = 2 : i64, layout = #attn<layout bshd>}
      : tensor<2x3x4x8xf32> -> tensor<2x3x4x8xf32>
  return %r : tensor<2x3x4x8xf32>
}

// -----

// Varlen with a dynamic token count: cos and sin per (token, frequency)
// with positions [T] at d0, sized from x; the result sized from x.
// CHECK-DAG: #[[TOK:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[TRIG:.*]] = affine_map<(d0, d1, d2) -> (d0, d2 mod 2)>
// CHECK-LABEL: func.func @varlen_dynamic
// CHECK-SAME: %[[X:.*]]: tensor<?x2x4xf64>
// CHECK: %[[T:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x2x4xf64>
// CHECK: tensor.empty(%[[T]]) : tensor<?x2xf64>
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[TOK]], #{{.*}}, #{{.*}}]
// CHECK: math.cos %{{.*}} : f32
// CHECK: arith.extf %{{.*}} : f32 to f64
// CHECK: tensor.empty(%{{.*}}) : tensor<?x2x4xf64>
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[TRIG]], #[[TRIG]], #{{.*}}]
func.func @varlen_dynamic(%x: tensor<?x2x4xf64>, %p: tensor<?xi32>) -> tensor<?x2x4xf64> {
  %r = attn.rope %x positions(%p : tensor<?xi32>) : tensor<?x2x4xf64> -> tensor<?x2x4xf64>
  return %r : tensor<?x2x4xf64>
}
