// RUN: attn-opt %s --attn-flash-loops-to-forall --verify-diagnostics

// A temporary whose size has no constant bound cannot live in a kernel.
func.func @unbounded(%n: index, %init: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %cst = arith.constant 0.0 : f32
  %r = scf.for %i = %c0 to %c8 step %c1 iter_args(%acc = %init) -> tensor<8x4xf32> {
    // expected-error @+1 {{'tensor.empty' op has no constant upper bound for dimension 0: a GPU kernel cannot allocate it}}
    %e = tensor.empty(%n) : tensor<?x4xf32>
    %f = linalg.fill ins(%cst : f32) outs(%e : tensor<?x4xf32>) -> tensor<?x4xf32>
    %s = tensor.extract_slice %f[0, 0] [1, 4] [1, 1] : tensor<?x4xf32> to tensor<1x4xf32>
    %u = tensor.insert_slice %s into %acc[%i, 0] [1, 4] [1, 1] : tensor<1x4xf32> into tensor<8x4xf32>
    scf.yield %u : tensor<8x4xf32>
  }
  return %r : tensor<8x4xf32>
}
