// RUN: attn-opt %s --split-input-file --allow-unregistered-dialect --pass-pipeline="builtin.module(func.func(attn-stack-tile-buffers))" | FileCheck %s
// RUN: attn-opt %s --split-input-file --allow-unregistered-dialect --pass-pipeline="builtin.module(func.func(attn-stack-tile-buffers{max-bytes=16384}))" | FileCheck %s --check-prefix=SMALL

// The buffers of a forall iteration, in its body or in a sequential loop or
// conditional inside it, at the start of the body between a save and a
// restore of the stack pointer; their deallocations go.
// CHECK-LABEL: func.func @forall
// CHECK:         scf.forall (%[[H:.*]]) in (8) {
// CHECK-NEXT:      %[[SP:.*]] = llvm.intr.stacksave : !llvm.ptr
// CHECK-NEXT:      %[[ACC:.*]] = memref.alloca() {alignment = 64 : i64} : memref<64xf32>
// CHECK-NEXT:      %[[S:.*]] = memref.alloca() {alignment = 64 : i64} : memref<64x64xf32>
// CHECK-NEXT:      %[[P:.*]] = memref.alloca() : memref<16xf16>
// CHECK-NEXT:      linalg.fill ins(%{{.*}} : f32) outs(%[[ACC]] : memref<64xf32>)
// CHECK:           scf.for
// CHECK:             linalg.fill ins(%{{.*}} : f32) outs(%[[S]] : memref<64x64xf32>)
// CHECK:             scf.if
// CHECK:               "test.use"(%[[P]])
// CHECK:           memref.copy %[[ACC]], %{{.*}}
// CHECK-NEXT:      llvm.intr.stackrestore %[[SP]] : !llvm.ptr
// CHECK-NEXT:    }
// CHECK-NOT:     memref.alloc(
// CHECK-NOT:     memref.dealloc
// With 16 KiB: the first two (256 and 16384 bytes) would take 16640 bytes,
// so the score tile stays on the heap.
// SMALL-LABEL: func.func @forall
// SMALL:         llvm.intr.stacksave
// SMALL-NEXT:    memref.alloca() {alignment = 64 : i64} : memref<64xf32>
// SMALL-NEXT:    memref.alloca() : memref<16xf16>
// SMALL:         memref.alloc() {alignment = 64 : i64} : memref<64x64xf32>
// SMALL:         memref.dealloc %{{.*}} : memref<64x64xf32>
func.func @forall(%out: memref<8x64xf32>, %n: index, %c: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %cst = arith.constant 0.0 : f32
  scf.forall (%h) in (8) {
    %acc = memref.alloc() {alignment = 64 : i64} : memref<64xf32>
    linalg.fill ins(%cst : f32) outs(%acc : memref<64xf32>)
    scf.for %j = %c0 to %n step %c1 {
      %s = memref.alloc() {alignment = 64 : i64} : memref<64x64xf32>
      linalg.fill ins(%cst : f32) outs(%s : memref<64x64xf32>)
      scf.if %c {
        %p = memref.alloc() : memref<16xf16>
        "test.use"(%p) : (memref<16xf16>) -> ()
        memref.dealloc %p : memref<16xf16>
      }
      memref.dealloc %s : memref<64x64xf32>
    }
    %row = memref.subview %out[%h, 0] [1, 64] [1, 1] : memref<8x64xf32> to memref<64xf32, strided<[1], offset: ?>>
    memref.copy %acc, %row : memref<64xf32> to memref<64xf32, strided<[1], offset: ?>>
    memref.dealloc %acc : memref<64xf32>
  }
  return
}

// -----

// Left on the heap: a buffer that a loop carries, one of dynamic size, one
// freed through a view, one passed to a call, and one the function returns
// (outside any forall). A nested forall's buffer is its own iteration's,
// not the outer one's (whose iteration would share it).
// CHECK-LABEL: func.func @kept
// CHECK:         scf.forall
// CHECK-NEXT:      memref.alloc() : memref<4xf32>
// CHECK:           scf.forall
// CHECK-NEXT:        llvm.intr.stacksave
// CHECK-NEXT:        memref.alloca() : memref<4xf32>
// CHECK-NEXT:        "test.use"
// CHECK-NEXT:        llvm.intr.stackrestore
// CHECK-NEXT:      }
// CHECK-NEXT:      memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK:           memref.dealloc %{{.*}} : memref<?xf32>
// CHECK-NEXT:      memref.alloc() : memref<8xf32>
// CHECK:           memref.dealloc %{{.*}} : memref<4xf32, strided<[1]>>
// CHECK-NEXT:      memref.alloc() : memref<4xf32>
// CHECK-NEXT:      func.call @callee
// CHECK-NEXT:    }
// CHECK-NEXT:    memref.alloc() : memref<4xf32>
// CHECK-NEXT:    return
func.func private @callee(memref<4xf32>)
func.func @kept(%n: index) -> memref<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.forall (%h) in (4) {
    %a = memref.alloc() : memref<4xf32>
    %r = scf.for %j = %c0 to %n step %c1 iter_args(%it = %a) -> (memref<4xf32>) {
      scf.yield %it : memref<4xf32>
    }
    "test.use"(%r) : (memref<4xf32>) -> ()
    scf.forall (%i) in (2) {
      %b = memref.alloc() : memref<4xf32>
      "test.use"(%b) : (memref<4xf32>) -> ()
      memref.dealloc %b : memref<4xf32>
    }
    %d = memref.alloc(%n) : memref<?xf32>
    "test.use"(%d) : (memref<?xf32>) -> ()
    memref.dealloc %d : memref<?xf32>
    %e = memref.alloc() : memref<8xf32>
    %v = memref.subview %e[0] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
    memref.dealloc %v : memref<4xf32, strided<[1]>>
    %f = memref.alloc() : memref<4xf32>
    func.call @callee(%f) : (memref<4xf32>) -> ()
  }
  %g = memref.alloc() : memref<4xf32>
  return %g : memref<4xf32>
}

// -----

// An OpenMP parallel region whose worksharing loop runs the iterations: the
// buffers once per thread, at the start of the region (an allocation scope
// that ends with it).
// CHECK-LABEL: func.func @openmp
// CHECK:         omp.parallel {
// CHECK-NEXT:      %[[T:.*]] = memref.alloca() {alignment = 64 : i64} : memref<64x64xf32>
// CHECK-NEXT:      omp.wsloop {
// CHECK-NEXT:        omp.loop_nest
// CHECK-NEXT:          memref.alloca_scope
// CHECK-NEXT:            "test.use"(%[[T]])
// CHECK-NEXT:          }
// CHECK-NEXT:          omp.yield
// CHECK-NOT:     llvm.intr.stacksave
// CHECK-NOT:     memref.dealloc
func.func @openmp(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        memref.alloca_scope {
          %t = memref.alloc() {alignment = 64 : i64} : memref<64x64xf32>
          "test.use"(%t) : (memref<64x64xf32>) -> ()
          memref.dealloc %t : memref<64x64xf32>
        }
        omp.yield
      }
    }
    omp.terminator
  }
  return
}
