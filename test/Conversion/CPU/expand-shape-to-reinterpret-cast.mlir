// RUN: attn-opt %s --split-input-file --attn-expand-shape-to-reinterpret-cast --canonicalize | FileCheck %s
// RUN: attn-opt %s --split-input-file --attn-lower-to-cpu | FileCheck %s --check-prefix=LOWERED

// Two dynamic sizes in one group (tokens into batch and sequence): the
// equivalent reinterpret_cast with row-major strides (MLIR 22's
// expand-strided-metadata crashes on the expand_shape form).
// CHECK-LABEL: func.func @two_dynamic
// CHECK-SAME:    (%[[A:.*]]: memref<?x8xf32>, %[[D0:.*]]: index, %[[D1:.*]]: index)
// CHECK:         %[[S0:.*]] = arith.muli %[[D1]], %c8 : index
// CHECK:         memref.reinterpret_cast %[[A]] to offset: [0], sizes: [%[[D0]], %[[D1]], 2, 4], strides: [%[[S0]], 8, 4, 1]
// CHECK-NOT:     memref.expand_shape
func.func @two_dynamic(%a: memref<?x8xf32>, %d0: index, %d1: index) -> memref<?x?x2x4xf32> {
  %e = memref.expand_shape %a [[0, 1], [2, 3]] output_shape [%d0, %d1, 2, 4] : memref<?x8xf32> into memref<?x?x2x4xf32>
  return %e : memref<?x?x2x4xf32>
}

// -----

// One dynamic size per group is left alone.
// CHECK-LABEL: func.func @one_dynamic
// CHECK:         memref.expand_shape
func.func @one_dynamic(%a: memref<?x8xf32>, %d0: index) -> memref<?x3x2x4xf32> {
  %e = memref.expand_shape %a [[0, 1], [2, 3]] output_shape [%d0, 3, 2, 4] : memref<?x8xf32> into memref<?x3x2x4xf32>
  return %e : memref<?x3x2x4xf32>
}

// -----

// The projection with dynamic batch and sequence lowers (it crashed).
// LOWERED-LABEL: llvm.func @dynamic_tokens
func.func @dynamic_tokens(%x: tensor<?x?x8xf32>, %w: tensor<8x8xf32>) -> tensor<?x2x?x4xf32> {
  %q, %k, %v = attn.qkv_projection %x, %w, %w, %w {num_q_heads = 2 : i64, num_kv_heads = 2 : i64}
      : tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>
      -> tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>
  return %q : tensor<?x2x?x4xf32>
}
