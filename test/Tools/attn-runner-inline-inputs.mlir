// attn-runner takes inputs inline as well as .npy: SHAPExTYPE=v0,v1,...
// (one value fills the tensor; a rank-0 tensor is TYPE=v), checked against
// the argument's type.
// RUN: rm -rf %t && attn-runner %s --entry=add --input=2x3xf32=1,2,3,4,5,6 \
// RUN:   --input=f32=0.5 --input=2xi1=1,0 --print-summary --out-dir=%t \
// RUN: | FileCheck %s
// CHECK: result 0: shape [2, 3] dtype float32 min 1.500000e+00 max 6.000000e+00 mean 3.750000e+00 checksum 2.250000e+01 nonfinite 0
// An inline input and a .npy input mix; one value fills the tensor.
// RUN: attn-runner %s --entry=add --input=%t/out0.npy --input=f32=-1 \
// RUN:   --input=2xi1=1 --print-summary | FileCheck %s --check-prefix=MIX
// MIX: result 0: shape [2, 3] dtype float32 min 5.000000e-01 max 5.000000e+00 mean 2.750000e+00 checksum 1.650000e+01 nonfinite 0

// RUN: not attn-runner %s --entry=add --input=2x3xf16=1 --input=f32=0 \
// RUN:   --input=2xi1=1 2>&1 | FileCheck %s --check-prefix=TYPE
// TYPE: attn-runner: error: inline input '2x3xf16' for argument #0 of @add (tensor<2x3xf32>): expected '2x3xf32=...'
// RUN: not attn-runner %s --entry=add --input=2x3xf32=1,2 --input=f32=0 \
// RUN:   --input=2xi1=1 2>&1 | FileCheck %s --check-prefix=COUNT
// COUNT: attn-runner: error: inline input for argument #0 of @add (tensor<2x3xf32>): expected 1 or 6 values, got 2
// RUN: not attn-runner %s --entry=add --input=2x3xf32=1,x,3,4,5,6 \
// RUN:   --input=f32=0 --input=2xi1=1 2>&1 | FileCheck %s --check-prefix=VALUE
// VALUE: attn-runner: error: inline input for argument #0 of @add (tensor<2x3xf32>): value #1 'x' is not a number

func.func @add(%a: tensor<2x3xf32>, %b: tensor<f32>, %m: tensor<2xi1>) -> tensor<2x3xf32> {
  %e = tensor.empty() : tensor<2x3xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> ()>, affine_map<(i, j) -> (i)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%a, %b, %m : tensor<2x3xf32>, tensor<f32>, tensor<2xi1>) outs(%e : tensor<2x3xf32>) {
  ^bb0(%x: f32, %y: f32, %c: i1, %o: f32):
    %s = arith.addf %x, %y : f32
    %z = arith.select %c, %s, %x : f32
    linalg.yield %z : f32
  } -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}
