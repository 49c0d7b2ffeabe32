// RUN: attn-opt %s --attn-decompose-linalg | FileCheck %s
// RUN: attn-opt %s --attn-lower-to-cpu | FileCheck %s --check-prefix=LOWERED
// RUN: attn-runner %s --entry=softmax --print-summary | FileCheck %s --check-prefix=EXEC

// linalg.softmax (what torch-mlir and other frontends emit) becomes the
// ops it is defined by, so attn-lower-to-cpu lowers it completely: every
// row of the result sums to one.

// CHECK-LABEL: func.func @softmax
// CHECK-NOT:     linalg.softmax
// CHECK:         arith.maxnumf
// CHECK:         math.exp
// CHECK:         arith.addf
// CHECK:         arith.divf
// LOWERED-NOT:   linalg.softmax
// LOWERED-NOT:   unrealized_conversion_cast
// LOWERED:       llvm.func @softmax
// EXEC: result 0: shape [2, 8] dtype float32 {{.*}} mean 1.250000e-01 checksum 2.000000e+00 nonfinite 0
func.func @softmax(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %e = tensor.empty() : tensor<2x8xf32>
  %s = linalg.softmax dimension(1) ins(%x : tensor<2x8xf32>) outs(%e : tensor<2x8xf32>) -> tensor<2x8xf32>
  return %s : tensor<2x8xf32>
}
