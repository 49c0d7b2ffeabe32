// RUN: attn-opt %s --convert-attn-to-linalg -split-input-file | FileCheck %s

// neox, bhsd, rotary_dim 4 of 6, decode offsets: one generic reading x, the
// inverse frequencies (d mod R/2) and offsets[b]; the pair partner is read
// with tensor.extract; pass-through features are selected unchanged.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[FREQ:.*]] = affine_map<(d0, d1, d2, d3) -> (d3 mod 2)>
// CHECK-DAG: #[[BATCH:.*]] = affine_map<(d0, d1, d2, d3) -> (d0)>
// CHECK-LABEL: func.func @neox_offsets
// CHECK-SAME: %[[X:.*]]: tensor<2x4x3x6xf16>, %[[OFF:.*]]: tensor<2xi32>
// CHECK: %[[TABLE:.*]] = arith.constant dense<[1.000000e+00, 0.00999999977]> : tensor<2xf32>
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[FREQ]], #[[BATCH]], #[[ID]]]
// CHECK-SAME: ins(%[[X]], %[[TABLE]], %[[OFF]] : tensor<2x4x3x6xf16>, tensor<2xf32>, tensor<2xi32>)
// CHECK: ^bb0(%[[XV:.*]]: f16, %[[F:.*]]: f32, %[[O:.*]]: i32, %{{.*}}: f16):
// CHECK: %[[S:.*]] = linalg.index 2
// CHECK: %[[POS:.*]] = arith.addi %{{.*}}, %{{.*}} : i64
// CHECK: %[[PF:.*]] = arith.sitofp %[[POS]] : i64 to f32
// CHECK: %[[ANG:.*]] = arith.mulf %[[PF]], %[[F]] : f32
// CHECK: math.cos %[[ANG]]
// CHECK: math.sin %[[ANG]]
// CHECK: tensor.extract %[[X]]
// CHECK: arith.subf
// CHECK: arith.truncf {{.*}} : f32 to f16
// CHECK: arith.select %{{.*}}, %{{.*}}, %[[XV]] : f16
func.func @neox_offsets(%x: tensor<2x4x3x6xf16>, %o: tensor<2xi32>) -> tensor<2x4x3x6xf16> {
  %r = attn.rope %x offsets(%o : tensor<2xi32>) {rotary_dim = 4 : i64}
      : tensor<2x4x3x6xf16> -> tensor<2x4x3x6xf16>
  return %r : tensor<2x4x3x6xf16>
}

// -----

// gptj, bshd, positions [B, S]: the table is padded to D/2 entries, indexed
// by d floordiv 2, and positions are read at (b, s) = (d0, d1).
// CHECK-DAG: #[[FREQ:.*]] = affine_map<(d0, d1, d2, d3) -> (d3 floordiv 2)>
// CHECK-DAG: #[[POS:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1)>
// CHECK-LABEL: func.func @gptj_positions_bshd
// CHECK: arith.constant dense<[1.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00]> : tensor<4xf32>
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[FREQ]], #[[POS]], #{{.*}}]
// CHECK: arith.xori
func.func @gptj_positions_bshd(%x: tensor<2x3x4x8xf32>, %p: tensor<2x3xi64>) -> tensor<2x3x4x8xf32> {
  %r = attn.rope %x positions(%p : tensor<2x3xi64>) {style = #attn<rope_style gptj>, rotary_dim = 2 : i64, layout = #attn<layout bshd>}
      : tensor<2x3x4x8xf32> -> tensor<2x3x4x8xf32>
  return %r : tensor<2x3x4x8xf32>
}

// -----

// Varlen with a dynamic token count: positions [T] at d0, the result sized
// from x.
// CHECK-DAG: #[[TOK:.*]] = affine_map<(d0, d1, d2) -> (d0)>
// CHECK-LABEL: func.func @varlen_dynamic
// CHECK-SAME: %[[X:.*]]: tensor<?x2x4xf64>
// CHECK: %[[T:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x2x4xf64>
// CHECK: tensor.empty(%[[T]]) : tensor<?x2x4xf64>
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #[[TOK]], #{{.*}}]
// CHECK: math.cos %{{.*}} : f32
// CHECK: arith.extf %{{.*}} : f32 to f64
func.func @varlen_dynamic(%x: tensor<?x2x4xf64>, %p: tensor<?xi32>) -> tensor<?x2x4xf64> {
  %r = attn.rope %x positions(%p : tensor<?xi32>) : tensor<?x2x4xf64> -> tensor<?x2x4xf64>
  return %r : tensor<?x2x4xf64>
}
