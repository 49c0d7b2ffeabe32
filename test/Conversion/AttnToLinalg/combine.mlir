// RUN: attn-opt %s -split-input-file -convert-attn-to-linalg | FileCheck %s

// attn.combine: m = max_n lse_n, s = sum_n w_n with w_n = exp(lse_n - m)
// (0 when m = -inf), out = sum_n w_n o_n / s (0 when s = 0), lse = m + log s
// (-inf when m = -inf). The chunk dim n is the leading reduction loop.

// CHECK-DAG: #[[L3:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[R3:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[P4:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[L4:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-DAG: #[[R4:.+]] = affine_map<(d0, d1, d2, d3) -> (d1, d2)>
// CHECK-DAG: #[[O4:.+]] = affine_map<(d0, d1, d2, d3) -> (d1, d2, d3)>
// CHECK-LABEL: func.func @combine_f16
// CHECK-SAME: (%[[P:.+]]: tensor<4x2x3x8xf16>, %[[L:.+]]: tensor<4x2x3xf32>)
// CHECK: %[[MINIT:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<2x3xf32>)
// CHECK: %[[M:.+]] = linalg.generic {indexing_maps = [#[[L3]], #[[R3]]], iterator_types = ["reduction", "parallel", "parallel"]} ins(%[[L]] : tensor<4x2x3xf32>) outs(%[[MINIT]] : tensor<2x3xf32>)
// CHECK:   arith.maximumf
// CHECK: %[[S:.+]] = linalg.generic {indexing_maps = [#[[L3]], #[[R3]], #[[R3]]], iterator_types = ["reduction", "parallel", "parallel"]} ins(%[[L]], %[[M]] :
// CHECK:   arith.subf
// CHECK:   math.exp
// CHECK:   arith.cmpf oeq
// CHECK:   arith.select
// CHECK:   arith.addf
// CHECK: %[[A:.+]] = linalg.generic {indexing_maps = [#[[P4]], #[[L4]], #[[R4]], #[[O4]]], iterator_types = ["reduction", "parallel", "parallel", "parallel"]} ins(%[[P]], %[[L]], %[[M]] : {{.*}}) outs(%{{.+}} : tensor<2x3x8xf32>)
// CHECK:   math.exp
// CHECK:   %[[W:.+]] = arith.select
// CHECK:   %[[O:.+]] = arith.extf %{{.+}} : f16 to f32
// CHECK:   %[[WO:.+]] = arith.mulf %[[W]], %[[O]]
// CHECK:   %[[ZW:.+]] = arith.cmpf oeq, %[[W]]
// CHECK:   %[[C:.+]] = arith.select %[[ZW]], %{{.+}}, %[[WO]]
// CHECK:   arith.addf %{{.+}}, %[[C]]
// CHECK: %[[OUT:.+]] = linalg.generic {{.*}} ins(%[[A]], %[[S]] : tensor<2x3x8xf32>, tensor<2x3xf32>) outs(%{{.+}} : tensor<2x3x8xf16>)
// CHECK:   arith.cmpf oeq
// CHECK:   arith.divf
// CHECK:   arith.select
// CHECK:   arith.truncf %{{.+}} : f32 to f16
// CHECK: %[[LSE:.+]] = linalg.generic {{.*}} ins(%[[M]], %[[S]] : tensor<2x3xf32>, tensor<2x3xf32>) outs(%{{.+}} : tensor<2x3xf32>)
// CHECK:   math.log
// CHECK:   arith.addf
// CHECK:   arith.select
// CHECK: return %[[OUT]], %[[LSE]] : tensor<2x3x8xf16>, tensor<2x3xf32>
func.func @combine_f16(%p: tensor<4x2x3x8xf16>, %l: tensor<4x2x3xf32>)
    -> (tensor<2x3x8xf16>, tensor<2x3xf32>) {
  %o, %lse = attn.combine %p, %l : tensor<4x2x3x8xf16>, tensor<4x2x3xf32>
      -> tensor<2x3x8xf16>, tensor<2x3xf32>
  return %o, %lse : tensor<2x3x8xf16>, tensor<2x3xf32>
}

// -----

// Rank-2 partials (no row dims): the row max and sum are rank-0 tensors;
// f64 partials are combined in f64 and without an lse result no log is
// taken.
// CHECK-LABEL: func.func @combine_rank2_f64
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%{{.+}} : tensor<3xf32>) outs(%{{.+}} : tensor<f64>)
// CHECK:   arith.extf %{{.+}} : f32 to f64
// CHECK:   arith.maximumf %{{.+}}, %{{.+}} : f64
// CHECK: linalg.generic {{.*}} outs(%{{.+}} : tensor<f64>)
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} {{.*}} outs(%{{.+}} : tensor<8xf64>)
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel"]} {{.*}} outs(%{{.+}} : tensor<8xf64>)
// CHECK-NOT: math.log
// CHECK: return %{{.+}} : tensor<8xf64>
func.func @combine_rank2_f64(%p: tensor<3x8xf64>, %l: tensor<3xf32>) -> tensor<8xf64> {
  %o = attn.combine %p, %l : tensor<3x8xf64>, tensor<3xf32> -> tensor<8xf64>
  return %o : tensor<8xf64>
}
