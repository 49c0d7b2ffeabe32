// RUN: attn-opt %s --split-input-file --attn-cpu-lower-vectors | FileCheck %s

// An 8 x 8 f32 transpose becomes the AVX 8 x 8 transpose: unpacklo/hi of
// row pairs, shufps of those, vperm2f128 of the halves (24 shuffles of two
// 8-lane rows), no element extracts.
// CHECK-LABEL: func.func @transpose_8x8
// CHECK-COUNT-8: vector.shuffle %{{.*}}, %{{.*}} [{{[0-9]+}}, {{[0-9]+}}, {{[0-9]+}}, {{[0-9]+}}, {{[0-9]+}}, {{[0-9]+}}, {{[0-9]+}}, {{[0-9]+}}] : vector<8xf32>, vector<8xf32>
// CHECK-COUNT-8: vector.shuffle
// CHECK-COUNT-8: vector.shuffle
// CHECK-NOT:     vector.shuffle
// CHECK-NOT:     vector.extract %{{.*}}[{{[0-9]+}}, {{[0-9]+}}]
// CHECK:         return
func.func @transpose_8x8(%v: vector<8x8xf32>) -> vector<8x8xf32> {
  %t = vector.transpose %v, [1, 0] : vector<8x8xf32> to vector<8x8xf32>
  return %t : vector<8x8xf32>
}

// -----

// Other transposes stay element by element.
// CHECK-LABEL: func.func @transpose_4x8
// CHECK-NOT:     vector.shuffle
// CHECK:         vector.extract
func.func @transpose_4x8(%v: vector<4x8xf32>) -> vector<8x4xf32> {
  %t = vector.transpose %v, [1, 0] : vector<4x8xf32> to vector<8x4xf32>
  return %t : vector<8x4xf32>
}

// -----

// A tile of a rank-3 transpose (`vector<1x8x8xf32>`, its two innermost
// dimensions swapped): the same 24 shuffles.
// CHECK-LABEL: func.func @transpose_1x8x8
// CHECK-COUNT-24: vector.shuffle
// CHECK-NOT:     vector.shuffle
// CHECK-NOT:     vector.extract %{{.*}}[{{[0-9]+}}, {{[0-9]+}}]
// CHECK:         return
func.func @transpose_1x8x8(%v: vector<1x8x8xf32>) -> vector<1x8x8xf32> {
  %t = vector.transpose %v, [0, 2, 1] : vector<1x8x8xf32> to vector<1x8x8xf32>
  return %t : vector<1x8x8xf32>
}
