// RUN: attn-opt %s --split-input-file --allow-unregistered-dialect --pass-pipeline="builtin.module(func.func(attn-lower-alloca-scopes))" | FileCheck %s

// A scope that allocates on the stack: inlined between a save and a restore
// of the stack pointer. One that does not (its allocation is a nested
// scope's): inlined as it is. The nested scope is lowered first.
// CHECK-LABEL: func.func @scopes
// CHECK-NOT:     memref.alloca_scope
// CHECK:         scf.for
// CHECK-NEXT:      %[[SP:.*]] = llvm.intr.stacksave : !llvm.ptr
// CHECK-NEXT:      %[[T:.*]] = memref.alloca() : memref<64xf32>
// CHECK-NEXT:      scf.for
// CHECK-NEXT:        "test.use"(%[[T]])
// CHECK-NEXT:      }
// CHECK-NEXT:      llvm.intr.stackrestore %[[SP]] : !llvm.ptr
// CHECK-NEXT:      "test.after"()
// CHECK-NEXT:    }
// CHECK-NEXT:    "test.outer"() : () -> ()
// CHECK-NEXT:    %[[SP2:.*]] = llvm.intr.stacksave : !llvm.ptr
// CHECK-NEXT:    memref.alloca() : memref<8xf32>
// CHECK-NEXT:    llvm.intr.stackrestore %[[SP2]] : !llvm.ptr
// CHECK-NEXT:    return
func.func @scopes(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    memref.alloca_scope {
      %t = memref.alloca() : memref<64xf32>
      scf.for %j = %c0 to %n step %c1 {
        "test.use"(%t) : (memref<64xf32>) -> ()
      }
    }
    "test.after"() : () -> ()
  }
  memref.alloca_scope {
    "test.outer"() : () -> ()
    memref.alloca_scope {
      %u = memref.alloca() : memref<8xf32>
    }
  }
  return
}

// -----

// A scope with results is left as it is.
// CHECK-LABEL: func.func @results
// CHECK:         memref.alloca_scope -> (f32)
func.func @results() -> f32 {
  %r = memref.alloca_scope -> (f32) {
    %t = memref.alloca() : memref<f32>
    %v = memref.load %t[] : memref<f32>
    memref.alloca_scope.return %v : f32
  }
  return %r : f32
}
