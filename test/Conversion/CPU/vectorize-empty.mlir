// RUN: attn-opt %s --split-input-file --attn-cpu-vectorize | FileCheck %s
// RUN: attn-opt %s --split-input-file --attn-lower-to-cpu > /dev/null
// RUN: attn-runner %s --entry=no_keys --print-summary | FileCheck %s --check-prefix=EXEC

// A linalg op with a 0-sized loop dimension runs no iteration: its results
// are its inits (tiling an empty range would crash upstream). Whole
// pipelines take such shapes: no keys gives zeros, no queries an empty
// result.

// CHECK-LABEL: func.func @matmul_no_rows
// CHECK-NOT:     linalg.matmul
// CHECK:         return %arg2
func.func @matmul_no_rows(%a: tensor<0x8xf32>, %b: tensor<8x4xf32>, %c: tensor<0x4xf32>) -> tensor<0x4xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<0x8xf32>, tensor<8x4xf32>) outs(%c : tensor<0x4xf32>) -> tensor<0x4xf32>
  return %0 : tensor<0x4xf32>
}

// -----

// An empty reduction leaves the init.
// CHECK-LABEL: func.func @matmul_no_reduction
// CHECK-NOT:     linalg.matmul
// CHECK:         return %arg2
func.func @matmul_no_reduction(%a: tensor<4x0xf32>, %b: tensor<0x4xf32>, %c: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<4x0xf32>, tensor<0x4xf32>) outs(%c : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

// EXEC: result 0: shape [1, 2, 4, 64] dtype float32 min 0.000000e+00 max 0.000000e+00
func.func @no_keys(%q: tensor<1x2x4x64xf32>, %k: tensor<1x2x0x64xf32>, %v: tensor<1x2x0x64xf32>) -> tensor<1x2x4x64xf32> {
  %o = attn.sdpa %q, %k, %v : tensor<1x2x4x64xf32>, tensor<1x2x0x64xf32>, tensor<1x2x0x64xf32> -> tensor<1x2x4x64xf32>
  return %o : tensor<1x2x4x64xf32>
}

// -----

func.func @no_queries_f64(%q: tensor<1x2x0x64xf64>, %k: tensor<1x2x0x64xf64>, %v: tensor<1x2x0x64xf64>) -> tensor<1x2x0x64xf64> {
  %o = attn.sdpa %q, %k, %v : tensor<1x2x0x64xf64>, tensor<1x2x0x64xf64>, tensor<1x2x0x64xf64> -> tensor<1x2x0x64xf64>
  return %o : tensor<1x2x0x64xf64>
}

// -----

func.func @scores_empty(%q: tensor<1x2x0x64xf32>, %k: tensor<1x2x0x64xf32>) -> tensor<1x2x0x0xf32> {
  %s = attn.scores %q, %k : tensor<1x2x0x64xf32>, tensor<1x2x0x64xf32> -> tensor<1x2x0x0xf32>
  return %s : tensor<1x2x0x0xf32>
}
