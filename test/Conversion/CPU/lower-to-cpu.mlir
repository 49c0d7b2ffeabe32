// RUN: attn-opt %s --attn-linalg-to-llvm="vector-isa=avx512" | FileCheck %s
// RUN: attn-opt %s --attn-linalg-to-llvm="vector-isa=avx2" | FileCheck %s --check-prefix=AVX2
// RUN: attn-opt %s --attn-linalg-to-llvm="vectorize=false" | FileCheck %s --check-prefix=SCALAR
// RUN: attn-opt %s --split-input-file --attn-cpu-vectorize --one-shot-bufferize="bufferize-function-boundaries" --attn-cpu-lower-vectors | FileCheck %s --check-prefix=LOWER

// The CPU pipeline turns the matmul's register tile into vector FMAs on
// rows of 32 elements (8 x 32 for AVX-512's 32 registers; 6 x 16 for
// AVX2's 16, where 8 x 32 would spill its accumulators: the 12 rows that
// 6-row tiles cover, then the last 4 rows as a 4 x 16 tile); without
// vectorization it is scalar.
// CHECK-LABEL: llvm.func @matmul
// CHECK-COUNT-8: llvm.intr.fmuladd({{.*}}) : (vector<32xf32>, vector<32xf32>, vector<32xf32>) -> vector<32xf32>
// CHECK-NOT:     llvm.intr.fmuladd
// AVX2-LABEL: llvm.func @matmul
// AVX2:         !llvm.array<6 x vector<16xf32>>
// AVX2-COUNT-6: llvm.intr.fmuladd({{.*}}) : (vector<16xf32>, vector<16xf32>, vector<16xf32>) -> vector<16xf32>
// AVX2:         !llvm.array<4 x vector<16xf32>>
// AVX2-COUNT-4: llvm.intr.fmuladd({{.*}}) : (vector<16xf32>, vector<16xf32>, vector<16xf32>) -> vector<16xf32>
// AVX2-NOT:     llvm.intr.fmuladd
// SCALAR-LABEL: llvm.func @matmul
// SCALAR-NOT:    vector<
// SCALAR:        llvm.fmul {{.*}} : f32
// attn-cpu-lower-vectors: the contraction becomes outer products, then one
// vector.fma per row of the 8x32 accumulator.
// LOWER-LABEL: func.func @matmul
// LOWER-NOT:     vector.contract
// LOWER-COUNT-8: vector.fma {{.*}} : vector<32xf32>
// LOWER-NOT:     vector.fma
func.func @matmul(%a: tensor<16x48xf32>, %b: tensor<48x64xf32>,
                  %c: tensor<16x64xf32>) -> tensor<16x64xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<16x48xf32>, tensor<48x64xf32>)
                     outs(%c : tensor<16x64xf32>) -> tensor<16x64xf32>
  return %0 : tensor<16x64xf32>
}

// -----

// Scores of 2 query rows (a decode step): one dot product per score, each a
// product of a query row and a key row as stored, summed by one reduction
// (no outer products, no transposed keys).
// LOWER-LABEL: func.func @decode_scores
// LOWER-NOT:     vector.contract
// LOWER-NOT:     vector.transpose
// LOWER-COUNT-16: vector.reduction <add>, %{{.*}}, %{{.*}} : vector<128xf32> into f32
// LOWER-NOT:     vector.fma
// LOWER-NOT:     vector.reduction
#q = affine_map<(m, n, k) -> (m, k)>
#k = affine_map<(m, n, k) -> (n, k)>
#s = affine_map<(m, n, k) -> (m, n)>
func.func @decode_scores(%q: tensor<2x128xf32>, %kt: tensor<64x128xf32>,
                         %s: tensor<2x64xf32>) -> tensor<2x64xf32> {
  %0 = linalg.generic {indexing_maps = [#q, #k, #s],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%q, %kt : tensor<2x128xf32>, tensor<64x128xf32>)
      outs(%s : tensor<2x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x64xf32>
  return %0 : tensor<2x64xf32>
}

// -----

// bf16 widened to f32 as a shift of its bits into the upper half (exact),
// not element by element.
// LOWER-LABEL: func.func @widen_bf16
// LOWER:         %[[BITS:.*]] = arith.bitcast %{{.*}} : vector<64xbf16> to vector<64xi16>
// LOWER:         %[[WIDE:.*]] = arith.extui %[[BITS]] : vector<64xi16> to vector<64xi32>
// LOWER:         %[[SHL:.*]] = arith.shli %[[WIDE]], %{{.*}} : vector<64xi32>
// LOWER:         arith.bitcast %[[SHL]] : vector<64xi32> to vector<64xf32>
// LOWER-NOT:     arith.extf
func.func @widen_bf16(%x: tensor<4x64xbf16>, %y: tensor<4x64xf32>) -> tensor<4x64xf32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x64xbf16>) outs(%y : tensor<4x64xf32>) {
  ^bb0(%a: bf16, %b: f32):
    %e = arith.extf %a : bf16 to f32
    linalg.yield %e : f32
  } -> tensor<4x64xf32>
  return %0 : tensor<4x64xf32>
}
