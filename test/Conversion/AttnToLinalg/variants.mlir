// RUN: attn-opt %s -convert-attn-to-linalg -split-input-file | FileCheck %s

// Linformer: K' = E·K and V' = F·V reduce over the key sequence, then the
// unfused chain runs against the Kp projected keys.
// CHECK-DAG: #[[PROJ:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d2, d4)>
// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4, d3)>
// CHECK-DAG: #[[XP:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @linformer
// CHECK-SAME: (%[[Q:.*]]: tensor<1x2x3x4xf32>, %[[K:.*]]: tensor<1x1x5x4xf32>, %[[V:.*]]: tensor<1x1x5x3xf32>, %[[E:.*]]: tensor<2x5xf32>, %[[F:.*]]: tensor<2x5xf32>)
// CHECK: %[[KP:.*]] = linalg.generic {indexing_maps = [#[[PROJ]], #[[X]], #[[XP]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[E]], %[[K]] : tensor<2x5xf32>, tensor<1x1x5x4xf32>) outs(%{{.*}} : tensor<1x1x2x4xf32>)
// CHECK: %[[VP:.*]] = linalg.generic {{.*}} ins(%[[F]], %[[V]] : tensor<2x5xf32>, tensor<1x1x5x3xf32>) outs(%{{.*}} : tensor<1x1x2x3xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[Q]], %[[KP]] : tensor<1x2x3x4xf32>, tensor<1x1x2x4xf32>)
// CHECK: math.exp
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[VP]] : tensor<1x2x3x2xf32>, tensor<1x1x2x3xf32>)
// CHECK-NOT: attn.
func.func @linformer(%q: tensor<1x2x3x4xf32>, %k: tensor<1x1x5x4xf32>, %v: tensor<1x1x5x3xf32>,
                     %e: tensor<2x5xf32>, %f: tensor<2x5xf32>) -> tensor<1x2x3x3xf32> {
  %o = attn.linformer %q, %k, %v, %e, %f : tensor<1x2x3x4xf32>, tensor<1x1x5x4xf32>,
      tensor<1x1x5x3xf32>, tensor<2x5xf32>, tensor<2x5xf32> -> tensor<1x2x3x3xf32>
  return %o : tensor<1x2x3x3xf32>
}

// -----

// AFT local: (batch, t, d, u) loops, u reduced; w(t, u) is used where
// |t - u| < window, else 0; a running max, then two sums (numerator and
// denominator, separate inits) of exp(x - max), then sigmoid(q) * num / den.
// CHECK-DAG: #[[KV:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d3)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @aft_local
// CHECK-SAME: (%[[Q:.*]]: tensor<2x4x3xf32>, %[[K:.*]]: tensor<2x4x3xf32>, %[[V:.*]]: tensor<2x4x3xf32>, %[[WB:.*]]: tensor<4x4xf32>)
// CHECK: %[[MAX:.*]] = linalg.generic {indexing_maps = [#[[KV]], #[[W]], #[[ROW]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[K]], %[[WB]] : tensor<2x4x3xf32>, tensor<4x4xf32>)
// CHECK: %[[T:.*]] = linalg.index 1 : index
// CHECK: %[[U:.*]] = linalg.index 3 : index
// CHECK: %[[D1:.*]] = arith.subi %[[T]], %[[U]] : index
// CHECK: %[[D2:.*]] = arith.subi %[[U]], %[[T]] : index
// CHECK: %[[DIST:.*]] = arith.maxsi %[[D1]], %[[D2]] : index
// CHECK: arith.cmpi slt, %[[DIST]], %{{.*}} : index
// CHECK: arith.maximumf
// CHECK: %[[NUM0:.*]] = linalg.fill
// CHECK: %[[DEN0:.*]] = linalg.fill
// CHECK: %[[SUMS:.*]]:2 = linalg.generic {indexing_maps = [#[[KV]], #[[W]], #[[KV]], #[[ROW]], #[[ROW]], #[[ROW]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[K]], %[[WB]], %[[V]], %[[MAX]] : {{.*}}) outs(%[[NUM0]], %[[DEN0]] : {{.*}})
// CHECK: arith.subf
// CHECK: math.exp
// CHECK: linalg.generic {{.*}} ins(%[[Q]], %[[SUMS]]#0, %[[SUMS]]#1 : {{.*}})
// CHECK: arith.negf
// CHECK: math.exp
// CHECK: arith.divf
func.func @aft_local(%q: tensor<2x4x3xf32>, %k: tensor<2x4x3xf32>, %v: tensor<2x4x3xf32>,
                     %w: tensor<4x4xf32>) -> tensor<2x4x3xf32> {
  %0 = attn.aft %q, %k, %v pos_bias(%w : tensor<4x4xf32>) {mode = #attn<aft_mode local>, window = 2}
      : tensor<2x4x3xf32>, tensor<2x4x3xf32>, tensor<2x4x3xf32> -> tensor<2x4x3xf32>
  return %0 : tensor<2x4x3xf32>
}

// -----

// AFT simple reads no position bias.
// CHECK-LABEL: func.func @aft_simple
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<1x4x3xf16>)
// CHECK: arith.extf
// CHECK-NOT: linalg.index
// CHECK: arith.maximumf
func.func @aft_simple(%q: tensor<1x4x3xf16>) -> tensor<1x4x3xf16> {
  %0 = attn.aft %q, %q, %q {mode = #attn<aft_mode simple>}
      : tensor<1x4x3xf16>, tensor<1x4x3xf16>, tensor<1x4x3xf16> -> tensor<1x4x3xf16>
  return %0 : tensor<1x4x3xf16>
}

// -----

// Top-k: scores, the mask, a count of strictly greater scores per entry
// (reducing a second key loop), then keep = count < k.
// CHECK-DAG: #[[S:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[S2:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
// CHECK-LABEL: func.func @topk
// CHECK: arith.cmpi sle
// CHECK: arith.constant 0xFF800000 : f32
// CHECK: %[[CNT:.*]] = linalg.generic {indexing_maps = [#[[S]], #[[S2]], #[[S]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[M:.*]], %[[M]] : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) outs(%{{.*}} : tensor<1x2x4x4xi64>)
// CHECK: ^bb0(%[[SJ:.*]]: f32, %[[SJ2:.*]]: f32, %[[ACC:.*]]: i64):
// CHECK: %[[GT:.*]] = arith.cmpf ogt, %[[SJ2]], %[[SJ]] : f32
// CHECK: arith.extui %[[GT]] : i1 to i64
// CHECK: linalg.generic {{.*}} ins(%[[M]], %[[CNT]] : tensor<1x2x4x4xf32>, tensor<1x2x4x4xi64>)
// CHECK: %[[K:.*]] = arith.constant 3 : i64
// CHECK: arith.cmpi slt, %{{.*}}, %[[K]] : i64
// CHECK-NOT: attn.
func.func @topk(%q: tensor<1x2x4x3xf32>, %k: tensor<1x1x4x3xf32>, %v: tensor<1x1x4x2xf32>)
    -> tensor<1x2x4x2xf32> {
  %o = attn.topk_attention %q, %k, %v {k = 3 : i64, mask = #attn.mask<causal = true>}
      : tensor<1x2x4x3xf32>, tensor<1x1x4x3xf32>, tensor<1x1x4x2xf32> -> tensor<1x2x4x2xf32>
  return %o : tensor<1x2x4x2xf32>
}
