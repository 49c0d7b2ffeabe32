// exp2 on the CPU (attn-cpu-lower-vectors' polynomial, vectorized): the
// special values the softmax relies on (exp2(-inf) = 0), subnormal and
// overflowing results, and ordinary arguments.
// For this machine's vectors (on an AVX-512 one, 2^n by vscalefps), then
// for AVX2's (2^n built in the exponent field).
// RUN: attn-opt %s --attn-linalg-to-llvm \
// RUN: | mlir-runner-22 -e main -entry-point-result=void \
// RUN:   -shared-libs=/usr/lib/llvm-22/lib/libmlir_runner_utils.so,/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so \
// RUN: | FileCheck %s
// RUN: attn-opt %s --attn-linalg-to-llvm=vector-isa=avx2 \
// RUN: | mlir-runner-22 -e main -entry-point-result=void \
// RUN:   -shared-libs=/usr/lib/llvm-22/lib/libmlir_runner_utils.so,/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so \
// RUN: | FileCheck %s

// Arguments: -inf, +inf, NaN, -150, -149, -126.5, 127.9, 128, 0, 1, -1, 0.5,
// -0.5, 10.25, -20.75, 3e-8.
// CHECK: ( 0, inf, nan, 0, 1.4013e-45, 8.312e-39, 3.17495e+38, inf, 1, 2, 0.5, 1.41421, 0.707107, 1217.75, 5.67058e-07, 1 )

#id = affine_map<(d0) -> (d0)>
func.func @exp2(%x: tensor<16xf32>) -> tensor<16xf32> {
  %e = tensor.empty() : tensor<16xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %y = math.exp2 %a : f32
    linalg.yield %y : f32
  } -> tensor<16xf32>
  return %r : tensor<16xf32>
}

func.func @main() {
  %x = arith.constant dense<[0xFF800000, 0x7F800000, 0x7FC00000, -150.0, -149.0, -126.5, 127.9, 128.0, 0.0, 1.0, -1.0, 0.5, -0.5, 10.25, -20.75, 3.0e-8]> : tensor<16xf32>
  %r = call @exp2(%x) : (tensor<16xf32>) -> tensor<16xf32>
  %c0 = arith.constant 0 : index
  %p = arith.constant 0.0 : f32
  %v = vector.transfer_read %r[%c0], %p : tensor<16xf32>, vector<16xf32>
  vector.print %v : vector<16xf32>
  return
}
