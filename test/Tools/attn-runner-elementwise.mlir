// Elementwise arith and math ops on tensors (what a function computes next
// to its attn ops, e.g. context lengths + 1) lower through the CPU pipeline
// (convert-elementwise-to-linalg): before, bufferization stopped at them
// ("op was not bufferized"). The expected values are numpy float64 of
// q * q + 2 over Inputs/sdpa-q.npy.
// RUN: attn-runner %s --entry=square_plus --input=%S/Inputs/sdpa-q.npy --print-summary | FileCheck %s
// CHECK: result 0: shape [1, 2, 3, 4] dtype float32 min 2.0000{{[0-9]+}}e+00 max 2.9820{{[0-9]+}}e+00 mean 2.3496{{[0-9]+}}e+00 checksum 5.6391{{[0-9]+}}e+01 nonfinite 0
// CHECK-NEXT: result 1: shape [3] dtype int32 min 2.000000e+00 max 4.000000e+00 mean 3.000000e+00 checksum 9.000000e+00 nonfinite 0

func.func @square_plus(%q: tensor<1x2x3x4xf32>)
    -> (tensor<1x2x3x4xf32>, tensor<3xi32>) {
  %two = arith.constant dense<2.0> : tensor<1x2x3x4xf32>
  %sq = arith.mulf %q, %q : tensor<1x2x3x4xf32>
  %r = arith.addf %sq, %two : tensor<1x2x3x4xf32>
  %lens = arith.constant dense<[1, 2, 3]> : tensor<3xi32>
  %one = arith.constant dense<1> : tensor<3xi32>
  %next = arith.addi %lens, %one : tensor<3xi32>
  return %r, %next : tensor<1x2x3x4xf32>, tensor<3xi32>
}
