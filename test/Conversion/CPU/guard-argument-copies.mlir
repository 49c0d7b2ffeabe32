// RUN: attn-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(attn-guard-argument-copies))" | FileCheck %s

// A copy between two argument buffers of the same type runs only when they
// are different buffers (a caller may give an argument updated in place as
// the buffer of the result that returns it).
// CHECK-LABEL: func.func @entry
// CHECK-SAME:    (%[[IN:.*]]: memref<4x8xf16>, %[[OUT:.*]]: memref<4x8xf16>, %[[O2:.*]]: memref<4x8xf16>)
// CHECK:         %[[A:.*]] = memref.extract_aligned_pointer_as_index %[[IN]]
// CHECK:         %[[B:.*]] = memref.extract_aligned_pointer_as_index %[[OUT]]
// CHECK:         %[[NE:.*]] = arith.cmpi ne, %[[A]], %[[B]] : index
// CHECK:         scf.if %[[NE]] {
// CHECK-NEXT:      memref.copy %[[IN]], %[[OUT]]
// CHECK-NEXT:    }
// A copy from a buffer of the function's own is left as it is.
// CHECK:         %[[T:.*]] = memref.alloc
// CHECK-NEXT:    memref.copy %[[T]], %[[O2]]
// CHECK-NEXT:    return
func.func @entry(%in: memref<4x8xf16>, %out: memref<4x8xf16>,
                 %out2: memref<4x8xf16>) {
  memref.copy %in, %out : memref<4x8xf16> to memref<4x8xf16>
  %t = memref.alloc() : memref<4x8xf16>
  memref.copy %t, %out2 : memref<4x8xf16> to memref<4x8xf16>
  return
}

// -----

// Buffers with a layout other than the identity (equal start addresses need
// not mean equal elements) and copies between different types are left as
// they are.
// CHECK-LABEL: func.func @strided
// CHECK-NOT:     scf.if
// CHECK:         memref.copy
// CHECK-NOT:     scf.if
// CHECK:         memref.copy
// CHECK-NEXT:    return
func.func @strided(%in: memref<4x8xf32, strided<[16, 1]>>,
                   %out: memref<4x8xf32, strided<[16, 1]>>,
                   %a: memref<4x8xf32>, %b: memref<4x8xf32, strided<[8, 1]>>) {
  memref.copy %in, %out : memref<4x8xf32, strided<[16, 1]>> to memref<4x8xf32, strided<[16, 1]>>
  memref.copy %a, %b : memref<4x8xf32> to memref<4x8xf32, strided<[8, 1]>>
  return
}
