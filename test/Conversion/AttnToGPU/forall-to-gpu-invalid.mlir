// RUN: attn-opt %s --split-input-file --attn-forall-to-gpu --verify-diagnostics
// RUN: not attn-opt %s --split-input-file --attn-forall-to-gpu="block-size=2048" 2>&1 | FileCheck %s --check-prefix=BLOCK

// BLOCK: error: expected a block size in [1, 1024], got 2048

func.func @tensors(%t: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'scf.forall' op expected a bufferized scf.forall (no shared_outs), got 1 shared_outs}}
  %r = scf.forall (%i) in (8) shared_outs(%o = %t) -> tensor<8xf32> {
  }
  return %r : tensor<8xf32>
}

// -----

func.func @rank4(%y: memref<2x2x2x2xf32>) {
  %cst = arith.constant 1.0 : f32
  // expected-error @+1 {{'scf.forall' op expected 1 to 3 loop dimensions to map to the GPU grid, got 4}}
  scf.forall (%a, %b, %c, %d) in (2, 2, 2, 2) {
    memref.store %cst, %y[%a, %b, %c, %d] : memref<2x2x2x2xf32>
  }
  return
}

// -----

func.func @dynamic_bound(%y: memref<8xf32>, %n: index) {
  %cst = arith.constant 1.0 : f32
  // expected-error @+1 {{'scf.forall' op expected static loop bounds to size the GPU grid}}
  scf.forall (%i) in (%n) {
    memref.store %cst, %y[%i] : memref<8xf32>
  }
  return
}

// -----

func.func @huge_grid(%y: memref<8xf32>) {
  %cst = arith.constant 1.0 : f32
  // expected-error @+1 {{'scf.forall' op expected a grid of at most 2147483647 x 65535 x 65535 blocks, got 1 x 70000 x 1}}
  scf.forall (%i, %j) in (70000, 8) {
    memref.store %cst, %y[%j] : memref<8xf32>
  }
  return
}

// -----

func.func @scalar_param(%y: memref<8xf32>, %x: f32) {
  // expected-error @+1 {{'scf.forall' op expected kernel parameters to be statically shaped memrefs with the identity layout, got 'f32' for argument #1}}
  scf.forall (%i) in (8) {
    memref.store %x, %y[%i] : memref<8xf32>
  }
  return
}

// -----

func.func @dynamic_param(%y: memref<?xf32>) {
  %cst = arith.constant 1.0 : f32
  // expected-error @+1 {{'scf.forall' op expected kernel parameters to be statically shaped memrefs with the identity layout, got 'memref<?xf32>' for argument #0}}
  scf.forall (%i) in (8) {
    memref.store %cst, %y[%i] : memref<?xf32>
  }
  return
}

// -----

func.func @captured(%y: memref<8xf32>, %x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %v = memref.load %x[%c0] : memref<8xf32>
  // expected-error @+1 {{'scf.forall' op uses a value the GPU kernel cannot capture, defined by 'memref.load' (expected function arguments and constants)}}
  scf.forall (%i) in (8) {
    memref.store %v, %y[%i] : memref<8xf32>
  }
  return
}

// -----

func.func @dynamic_alloc(%y: memref<8xf32>) {
  %cst = arith.constant 1.0 : f32
  scf.forall (%i) in (8) {
    // expected-error @+1 {{'memref.alloc' op is not supported in a GPU kernel: expected a static allocation, got 'memref<?xf32>'}}
    %t = memref.alloc(%i) : memref<?xf32>
    memref.store %cst, %t[%i] : memref<?xf32>
  }
  return
}

// -----

func.func @host_code(%y: memref<8xf32>) {
  %cst = arith.constant 1.0 : f32
  %c0 = arith.constant 0 : index
  scf.forall (%i) in (8) {
    memref.store %cst, %y[%i] : memref<8xf32>
  }
  // expected-error @+1 {{'memref.store' op would have to run on the host: expected only GPU kernel launches in a function compiled for the GPU}}
  memref.store %cst, %y[%c0] : memref<8xf32>
  return
}

// -----

// A buffer the host would read is not a workspace.

module attributes {gpu.container_module} {
  gpu.module @producer {
    gpu.func @producer(%w: memref<8xf32>) kernel {
      gpu.return
    }
  }
  func.func @host_reads(%y: memref<8xf32>) -> f32 {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    // expected-error @+1 {{'memref.alloc' op would have to run on the host: expected only GPU kernel launches in a function compiled for the GPU}}
    %w = memref.alloc() : memref<8xf32>
    gpu.launch_func @producer::@producer blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%w : memref<8xf32>)
    %x = memref.load %w[%c0] : memref<8xf32>
    return %x : f32
  }
}
