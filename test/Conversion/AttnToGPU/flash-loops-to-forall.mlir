// RUN: attn-opt %s --split-input-file --attn-flash-tile="tile-q=4 tile-kv=4" --attn-flash-loops-to-forall | FileCheck %s

// The batch/head/query-tile nest of attn-flash-tile becomes one 3-D forall
// with one parallel_insert_slice per result. Partial tiles (6 = 4 + 2) have
// dynamic sizes: their temporaries get the static shape of the bound (4) and
// are sliced, so that a kernel can allocate them statically.
// CHECK-LABEL: func.func @flash
// CHECK-NOT:     scf.for
// CHECK:         scf.forall (%[[B:.*]], %[[H:.*]], %[[QT:.*]]) in (1, 2, %{{.*}}) shared_outs(%[[O:.*]] = %{{.*}}, %[[L:.*]] = %{{.*}}) -> (tensor<1x2x6x8xf16>, tensor<1x2x6xf32>)
// CHECK-DAG:       %[[C4:.*]] = arith.constant 4 : index
// CHECK-DAG:       %[[Q0:.*]] = arith.muli %[[QT]], %[[C4]]
// CHECK-DAG:       %[[ROWS:.*]] = arith.minsi
// CHECK:           %[[E:.*]] = tensor.empty() : tensor<4xf32>
// CHECK:           tensor.extract_slice %[[E]][0] [%[[ROWS]]] [1] : tensor<4xf32> to tensor<?xf32>
// CHECK:           scf.for
// CHECK:             tensor.empty() : tensor<4x4xf32>
// CHECK-NOT:         tensor.empty(%
// CHECK:           scf.forall.in_parallel {
// CHECK-NEXT:        tensor.parallel_insert_slice %{{.*}} into %[[O]][%[[B]], %[[H]], %[[Q0]], 0] [1, 1, %[[ROWS]], 8]
// CHECK-NEXT:        tensor.parallel_insert_slice %{{.*}} into %[[L]][%[[B]], %[[H]], %[[Q0]]] [1, 1, %[[ROWS]]]
// CHECK:         return
func.func @flash(%q: tensor<1x2x6x8xf16>, %k: tensor<1x2x6x8xf16>, %v: tensor<1x2x6x8xf16>) -> (tensor<1x2x6x8xf16>, tensor<1x2x6xf32>) {
  %o:2 = attn.sdpa %q, %k, %v : tensor<1x2x6x8xf16>, tensor<1x2x6x8xf16>, tensor<1x2x6x8xf16> -> tensor<1x2x6x8xf16>, tensor<1x2x6xf32>
  return %o#0, %o#1 : tensor<1x2x6x8xf16>, tensor<1x2x6xf32>
}

// -----

// A nest whose iterations write the same slice (offset 0 along the loop's
// dimension) is left alone.
// CHECK-LABEL: func.func @overlapping
// CHECK:         scf.for
// CHECK-NOT:     scf.forall
func.func @overlapping(%t: tensor<8x4xf32>, %init: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %r = scf.for %i = %c0 to %c8 step %c1 iter_args(%acc = %init) -> tensor<8x4xf32> {
    %s = tensor.extract_slice %t[%i, 0] [1, 4] [1, 1] : tensor<8x4xf32> to tensor<1x4xf32>
    %u = tensor.insert_slice %s into %acc[0, 0] [1, 4] [1, 1] : tensor<1x4xf32> into tensor<8x4xf32>
    scf.yield %u : tensor<8x4xf32>
  }
  return %r : tensor<8x4xf32>
}

// -----

// A stride smaller than the slice (rows [2i, 2i + 4)) overlaps: left alone.
// CHECK-LABEL: func.func @short_stride
// CHECK:         scf.for
// CHECK-NOT:     scf.forall
func.func @short_stride(%s: tensor<4x4xf32>, %init: tensor<16x4xf32>) -> tensor<16x4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c6 = arith.constant 6 : index
  %r = scf.for %i = %c0 to %c6 step %c1 iter_args(%acc = %init) -> tensor<16x4xf32> {
    %off = arith.muli %i, %c2 : index
    %u = tensor.insert_slice %s into %acc[%off, 0] [4, 4] [1, 1] : tensor<4x4xf32> into tensor<16x4xf32>
    scf.yield %u : tensor<16x4xf32>
  }
  return %r : tensor<16x4xf32>
}

// -----

// An iteration that reads the carried tensor depends on the others: left
// alone.
// CHECK-LABEL: func.func @reads_carried
// CHECK:         scf.for
// CHECK-NOT:     scf.forall
func.func @reads_carried(%s: tensor<1x4xf32>, %init: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %r = scf.for %i = %c0 to %c8 step %c1 iter_args(%acc = %init) -> tensor<8x4xf32> {
    %prev = tensor.extract_slice %acc[0, 0] [1, 4] [1, 1] : tensor<8x4xf32> to tensor<1x4xf32>
    %sum = arith.addf %prev, %s : tensor<1x4xf32>
    %u = tensor.insert_slice %sum into %acc[%i, 0] [1, 4] [1, 1] : tensor<1x4xf32> into tensor<8x4xf32>
    scf.yield %u : tensor<8x4xf32>
  }
  return %r : tensor<8x4xf32>
}

// -----

// A loop without carried tensors is left alone.
// CHECK-LABEL: func.func @no_results
// CHECK:         scf.for
// CHECK-NOT:     scf.forall
func.func @no_results(%m: memref<8xf32>, %x: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.for %i = %c0 to %c8 step %c1 {
    memref.store %x, %m[%i] : memref<8xf32>
  }
  return
}

// -----

// A two-level nest with disjoint rows (stride 4 = slice size): one 2-D
// forall; the carried tensor is only handed to the inner loop.
// CHECK-LABEL: func.func @two_levels
// CHECK-NOT:     scf.for
// CHECK:         scf.forall (%[[I:.*]], %[[J:.*]]) in (2, 3) shared_outs(%[[A:.*]] = %{{.*}})
// CHECK:           %[[OFF:.*]] = arith.muli %[[J]], %{{.*}}
// CHECK:           tensor.parallel_insert_slice %{{.*}} into %[[A]][%[[I]], %[[OFF]]] [1, 4] [1, 1]
func.func @two_levels(%s: tensor<1x4xf32>, %init: tensor<2x12xf32>) -> tensor<2x12xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %r = scf.for %i = %c0 to %c2 step %c1 iter_args(%acc = %init) -> tensor<2x12xf32> {
    %r2 = scf.for %j = %c0 to %c3 step %c1 iter_args(%acc2 = %acc) -> tensor<2x12xf32> {
      %off = arith.muli %j, %c4 : index
      %u = tensor.insert_slice %s into %acc2[%i, %off] [1, 4] [1, 1] : tensor<1x4xf32> into tensor<2x12xf32>
      scf.yield %u : tensor<2x12xf32>
    }
    scf.yield %r2 : tensor<2x12xf32>
  }
  return %r : tensor<2x12xf32>
}
