// RUN: attn-opt %s --attn-lower-to-cpu | mlir-runner-22 -e main -entry-point-result=void -shared-libs=/usr/lib/llvm-22/lib/libmlir_runner_utils.so,/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so | FileCheck %s

// INT8 quantize/dequantize on the CPU. Expected values from numpy:
// clip(round_half_even(float32(x / s)) + zp, -128, 127) and (q - zp) * s.

#id2 = affine_map<(d0, d1) -> (d0, d1)>

func.func private @printMemrefI32(tensor<*xi32>)
func.func private @printMemrefF32(tensor<*xf32>)

func.func @print_i8(%q: tensor<2x6xi8>) {
  %e = tensor.empty() : tensor<2x6xi32>
  %c = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%q : tensor<2x6xi8>) outs(%e : tensor<2x6xi32>) {
  ^bb0(%a: i8, %o: i32):
    %i = arith.extsi %a : i8 to i32
    linalg.yield %i : i32
  } -> tensor<2x6xi32>
  %u = tensor.cast %c : tensor<2x6xi32> to tensor<*xi32>
  call @printMemrefI32(%u) : (tensor<*xi32>) -> ()
  return
}

func.func @print_i8_3x4(%q: tensor<3x4xi8>) {
  %e = tensor.empty() : tensor<3x4xi32>
  %c = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%q : tensor<3x4xi8>) outs(%e : tensor<3x4xi32>) {
  ^bb0(%a: i8, %o: i32):
    %i = arith.extsi %a : i8 to i32
    linalg.yield %i : i32
  } -> tensor<3x4xi32>
  %u = tensor.cast %c : tensor<3x4xi32> to tensor<*xi32>
  call @printMemrefI32(%u) : (tensor<*xi32>) -> ()
  return
}

func.func @main() {
  // int8_sym, per token (one scale per row): ties round to even, clamping.
  %x = arith.constant dense<[[0.5, 1.5, 2.5, -0.5, -2.5, 3.49],
                             [100.0, -300.0, 0.26, -0.74, 12.5, 13.5]]> : tensor<2x6xf32>
  %s = arith.constant dense<[1.0, 0.5]> : tensor<2xf32>
  %q = attn.quantize %x, %s {quant = #attn.quant<int8_sym, per_token>}
      : tensor<2x6xf32>, tensor<2xf32> -> tensor<2x6xi8>
  // CHECK: data =
  // CHECK-NEXT: [0, 2, 2, 0, -2, 3]
  // CHECK-NEXT: [127, -128, 1, -1, 25, 27]
  call @print_i8(%q) : (tensor<2x6xi8>) -> ()
  %d = attn.dequantize %q, %s {quant = #attn.quant<int8_sym, per_token>}
      : tensor<2x6xi8>, tensor<2xf32> -> tensor<2x6xf32>
  // CHECK: data =
  // CHECK-NEXT: [0, 2, 2, 0, -2, 3]
  // CHECK-NEXT: [63.5, -64, 0.5, -0.5, 12.5, 13.5]
  %du = tensor.cast %d : tensor<2x6xf32> to tensor<*xf32>
  call @printMemrefF32(%du) : (tensor<*xf32>) -> ()

  // int8_asym, per head along axis 0, with i32 zero points.
  %x2 = arith.constant dense<[[0.0, 1.0, -1.0, 0.25], [10.0, -10.0, 0.05, 200.0],
                              [0.3, -0.3, 0.45, -1000.0]]> : tensor<3x4xf32>
  %s2 = arith.constant dense<[0.25, 0.1, 0.15]> : tensor<3xf32>
  %zp = arith.constant dense<[-3, 100, 0]> : tensor<3xi32>
  %q2 = attn.quantize %x2, %s2 zero_point(%zp : tensor<3xi32>)
      {quant = #attn.quant<int8_asym, per_head, axis = 0>}
      : tensor<3x4xf32>, tensor<3xf32> -> tensor<3x4xi8>
  // CHECK: data =
  // CHECK-NEXT: [-3, 1, -7, -2]
  // CHECK-NEXT: [127, 0, 100, 127]
  // CHECK-NEXT: [2, -2, 3, -128]
  call @print_i8_3x4(%q2) : (tensor<3x4xi8>) -> ()
  %d2 = attn.dequantize %q2, %s2 zero_point(%zp : tensor<3xi32>)
      {quant = #attn.quant<int8_asym, per_head, axis = 0>}
      : tensor<3x4xi8>, tensor<3xf32> -> tensor<3x4xf32>
  // CHECK: data =
  // CHECK-NEXT: [0, 1, -1, 0.25]
  // CHECK-NEXT: [2.7, -10, 0, 2.7]
  // CHECK-NEXT: [0.3, -0.3, 0.45, -19.2]
  %du2 = tensor.cast %d2 : tensor<3x4xf32> to tensor<*xf32>
  call @printMemrefF32(%du2) : (tensor<*xf32>) -> ()
  return
}
