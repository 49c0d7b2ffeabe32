// RUN: attn-opt %s --split-input-file --attn-forall-to-gpu="block-size=32" | FileCheck %s

// (2, 3, 40) iterations: 40 rows over blocks of 32 threads along x (2 blocks,
// the last guarded), 3 along y, 2 along z. Parameters are the function
// arguments the loop uses, in argument order (%unused is not one); constants
// and globals are cloned; allocations become allocas at the kernel entry and
// copies become linalg.copy.
// CHECK-LABEL: func.func @rows
// CHECK:         gpu.launch_func @rows_kernel::@rows_kernel blocks in (%c2{{.*}}, %c3{{.*}}, %c2{{.*}}) threads in (%c32{{.*}}, %c1{{.*}}, %c1{{.*}}) args(%arg0 : memref<2x3x40xf32>, %arg2 : memref<2x3x40xf32>)
// CHECK-NEXT:    return
// CHECK:       gpu.module @rows_kernel
// CHECK:         memref.global "private" constant @table
// CHECK:         gpu.func @rows_kernel(%[[IN:.*]]: memref<2x3x40xf32>, %[[OUT:.*]]: memref<2x3x40xf32>) kernel
// CHECK-SAME:      attn.launch = {block = array<i64: 32, 1, 1>, grid = array<i64: 2, 3, 2>, shared_memory_bytes = 0 : i64}
// CHECK-SAME:      attn.params = [{access = "read", name = "x"}, {access = "readwrite", name = "y"}]
// CHECK-SAME:      known_block_size = array<i32: 32, 1, 1>
// CHECK:           %[[TMP:.*]] = memref.alloca() : memref<4xf32>
// CHECK:           %[[G:.*]] = memref.get_global @table
// CHECK-DAG:       %[[TX:.*]] = gpu.thread_id x
// CHECK-DAG:       %[[BX:.*]] = gpu.block_id x
// CHECK:           %[[LIN:.*]] = arith.addi %{{.*}}, %[[TX]]
// CHECK-DAG:       %[[BY:.*]] = gpu.block_id y
// CHECK-DAG:       %[[BZ:.*]] = gpu.block_id z
// CHECK:           %[[IN_RANGE:.*]] = arith.cmpi ult, %[[LIN]], %{{.*}}
// CHECK:           scf.if %[[IN_RANGE]] {
// CHECK:             memref.load %[[IN]][%[[BZ]], %[[BY]], %[[LIN]]]
// CHECK:             memref.load %[[G]]
// CHECK:             linalg.copy ins(%[[TMP]] : memref<4xf32>) outs(%[[TMP]] : memref<4xf32>)
// CHECK:             memref.store %{{.*}}, %[[OUT]][%[[BZ]], %[[BY]], %[[LIN]]]
// CHECK:           gpu.return
memref.global "private" constant @table : memref<2xf32> = dense<[1.0, 2.0]>
func.func @rows(%x: memref<2x3x40xf32> {attn.param = "x"}, %unused: memref<4xf32>, %y: memref<2x3x40xf32> {attn.param = "y"}) {
  %c0 = arith.constant 0 : index
  %g = memref.get_global @table : memref<2xf32>
  scf.forall (%b, %h, %r) in (2, 3, 40) {
    %t = memref.alloc() : memref<4xf32>
    %v = memref.load %x[%b, %h, %r] : memref<2x3x40xf32>
    %s = memref.load %g[%c0] : memref<2xf32>
    %p = arith.mulf %v, %s : f32
    memref.copy %t, %t : memref<4xf32> to memref<4xf32>
    memref.store %p, %y[%b, %h, %r] : memref<2x3x40xf32>
    memref.dealloc %t : memref<4xf32>
  }
  return
}

// -----

// One dimension, a multiple of the block size: no guard; lower bound and
// step map to lb + id * step. Unnamed parameters are named after their
// argument number.
// CHECK-LABEL: func.func @one_dim
// CHECK:         gpu.launch_func @one_dim_kernel::@one_dim_kernel blocks in (%c2{{.*}}, %c1{{.*}}, %c1{{.*}}) threads in (%c32
// CHECK:       gpu.func @one_dim_kernel
// CHECK-SAME:    attn.params = [{access = "readwrite", name = "arg0"}]
// CHECK-NOT:     scf.if
// CHECK:         %[[LIN:.*]] = arith.addi %{{.*}}, %thread_id_x : index
// CHECK:         %[[M:.*]] = arith.muli %[[LIN]], %c2{{.*}} : index
// CHECK:         %[[I:.*]] = arith.addi %[[M]], %c8{{.*}} : index
// CHECK:         memref.store %{{.*}}, %{{.*}}[%[[I]]]
func.func @one_dim(%y: memref<200xf32>) {
  %cst = arith.constant 1.0 : f32
  scf.forall (%i) = (8) to (136) step (2) {
    memref.store %cst, %y[%i] : memref<200xf32>
  }
  return
}

// -----

// Two loops in one function: two kernels, numbered.
// CHECK-LABEL: func.func @two
// CHECK:         gpu.launch_func @two_0_kernel::@two_0_kernel
// CHECK:         gpu.launch_func @two_1_kernel::@two_1_kernel
// CHECK:       gpu.module @two_0_kernel
// CHECK:       gpu.module @two_1_kernel
func.func @two(%y: memref<32xf32>) {
  %cst = arith.constant 1.0 : f32
  scf.forall (%i) in (32) {
    memref.store %cst, %y[%i] : memref<32xf32>
  }
  scf.forall (%i) in (32) {
    memref.store %cst, %y[%i] : memref<32xf32>
  }
  return
}

// -----

// Functions without loops are left alone (no container module).
// CHECK-NOT:   gpu.container_module
// CHECK-LABEL: func.func @plain
// CHECK-NOT:     gpu.launch_func
func.func @plain(%x: f32) -> f32 {
  return %x : f32
}

// -----

// A buffer passed only between kernel launches (a workspace the caller
// allocates, named in the manifest: the split-KV partials of the decode
// form) may stay in the function with its dealloc.

// CHECK-LABEL: func.func @workspace(
// CHECK:         %[[W:.*]] = memref.alloc() : memref<8xf32>
// CHECK:         gpu.launch_func @producer::@producer
// CHECK:         gpu.launch_func @consumer::@consumer
// CHECK:         memref.dealloc %[[W]]
module attributes {gpu.container_module} {
  gpu.module @producer {
    gpu.func @producer(%w: memref<8xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @consumer {
    gpu.func @consumer(%w: memref<8xf32>, %y: memref<8xf32>) kernel {
      gpu.return
    }
  }
  func.func @workspace(%y: memref<8xf32>) {
    %c1 = arith.constant 1 : index
    %w = memref.alloc() : memref<8xf32>
    gpu.launch_func @producer::@producer blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%w : memref<8xf32>)
    gpu.launch_func @consumer::@consumer blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%w : memref<8xf32>, %y : memref<8xf32>)
    memref.dealloc %w : memref<8xf32>
    return
  }
}
