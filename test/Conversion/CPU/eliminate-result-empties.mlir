// RUN: attn-opt %s --attn-eliminate-result-empties -split-input-file | FileCheck %s

// A value stored into a buffer (the entry wrapper's result store) is
// computed in that buffer: the tensor.empty it was computed into becomes
// the buffer as a tensor.
// CHECK-LABEL: func.func @stored
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>, %[[OUT:.*]]: memref<4x8xf32>)
// CHECK: %[[T:.*]] = bufferization.to_tensor %[[OUT]] restrict writable
// CHECK: %[[R:.*]] = linalg.exp ins(%[[X]] : tensor<4x8xf32>) outs(%[[T]] : tensor<4x8xf32>)
// CHECK: bufferization.materialize_in_destination %[[R]] in writable %[[OUT]]
func.func @stored(%x: tensor<4x8xf32>, %out: memref<4x8xf32>) {
  %e = tensor.empty() : tensor<4x8xf32>
  %r = linalg.exp ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
      -> tensor<4x8xf32>
  bufferization.materialize_in_destination %r in restrict writable %out
      : (tensor<4x8xf32>, memref<4x8xf32>) -> ()
  return
}

// -----

// No store into a buffer in the module: nothing changes, not even the
// insertion into a tensor.empty that upstream's eliminate-empty-tensors
// would rewrite (the analysis is not run).
// CHECK-LABEL: func.func @returned
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x8xf32>
// CHECK: %[[R:.*]] = linalg.exp ins(%{{.*}} : tensor<4x8xf32>) outs(%[[E]] : tensor<4x8xf32>)
// CHECK: %[[S:.*]] = tensor.empty() : tensor<8x8xf32>
// CHECK: tensor.insert_slice %[[R]] into %[[S]][0, 0] [4, 8] [1, 1]
func.func @returned(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %r = linalg.exp ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>)
      -> tensor<4x8xf32>
  %s = tensor.empty() : tensor<8x8xf32>
  %i = tensor.insert_slice %r into %s[0, 0] [4, 8] [1, 1]
      : tensor<4x8xf32> into tensor<8x8xf32>
  %t = tensor.extract_slice %i[0, 0] [4, 8] [1, 1]
      : tensor<8x8xf32> to tensor<4x8xf32>
  return %t : tensor<4x8xf32>
}
