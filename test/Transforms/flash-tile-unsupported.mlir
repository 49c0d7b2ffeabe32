// RUN: attn-opt %s --attn-flash-tile --split-input-file | FileCheck %s
// RUN: not attn-opt %s --attn-flash-tile="tile-q=0" --split-input-file 2>&1 | FileCheck %s --check-prefix=ERR

// Ops the tiling does not handle are left to convert-attn-to-linalg.

// ERR: error: expected positive tile sizes, got tile-q = 0 and tile-kv = 64
// ERR-NOT: see current operation

// RUN: not attn-opt %s --attn-flash-tile="pad-kv=-8" 2>&1 | FileCheck %s --check-prefix=PAD
// PAD: error: expected pad-kv >= 0, got -8
// PAD-NOT: see current operation

// CHECK-LABEL: func.func @varlen
// CHECK-NOT:   scf.for
// CHECK:       attn.sdpa
func.func @varlen(%q: tensor<10x2x8xf32>, %k: tensor<12x2x8xf32>, %v: tensor<12x2x8xf32>, %cq: tensor<3xi32>, %ck: tensor<3xi32>) -> tensor<10x2x8xf32> {
  %o = attn.sdpa %q, %k, %v cu_seqlens(%cq, %ck : tensor<3xi32>, tensor<3xi32>) : tensor<10x2x8xf32>, tensor<12x2x8xf32>, tensor<12x2x8xf32> -> tensor<10x2x8xf32>
  return %o : tensor<10x2x8xf32>
}

// -----

// CHECK-LABEL: func.func @f64
// CHECK-NOT:   scf.for
// CHECK:       attn.sdpa
func.func @f64(%q: tensor<1x1x4x8xf64>, %k: tensor<1x1x4x8xf64>, %v: tensor<1x1x4x8xf64>) -> tensor<1x1x4x8xf64> {
  %o = attn.sdpa %q, %k, %v : tensor<1x1x4x8xf64>, tensor<1x1x4x8xf64>, tensor<1x1x4x8xf64> -> tensor<1x1x4x8xf64>
  return %o : tensor<1x1x4x8xf64>
}

// -----

// CHECK-LABEL: func.func @dynamic_bias
// CHECK-NOT:   scf.for
// CHECK:       attn.sdpa
func.func @dynamic_bias(%q: tensor<1x1x4x8xf32>, %k: tensor<1x1x4x8xf32>, %v: tensor<1x1x4x8xf32>, %bias: tensor<1x1x?x4xf32>) -> tensor<1x1x4x8xf32> {
  %o = attn.sdpa %q, %k, %v bias(%bias : tensor<1x1x?x4xf32>) : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32> -> tensor<1x1x4x8xf32>
  return %o : tensor<1x1x4x8xf32>
}
