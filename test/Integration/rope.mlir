// RUN: attn-opt %s --attn-lower-to-cpu | mlir-runner-22 -e main -entry-point-result=void -shared-libs=/usr/lib/llvm-22/lib/libmlir_runner_utils.so,/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so | FileCheck %s

// attn.rope on the CPU against a numpy fp64 reference (inv_freq =
// theta^(-2i/R), angle = pos * inv_freq, neox/gptj pairing); the CHECK lines
// keep 4 significant digits of each value (f32 rounding), and match values
// within 1e-3 of zero loosely. Features >= rotary_dim pass through exactly.

func.func private @printMemrefF32(tensor<*xf32>)

func.func @main() {
  // neox, bhsd [2, 2, 3, 6], rotary_dim 4, decode-style offsets [0, 5].
  %x1f = arith.constant dense<[3.0, -4.0, -3.0, -2.5, -3.0, 3.0, 3.5, 1.0, -4.5, -4.0, -1.5, -0.5, 1.0, 0.0, -2.0, -3.0, 2.0, 2.0, -4.5, -3.5, -0.5, -1.0, 3.5, 0.0, -1.0, -0.5, 1.5, 1.0, -3.0, 2.5, 2.5, 4.5, 2.5, -2.0, -1.5, 1.5, 1.5, 2.0, 3.5, -2.0, 4.0, -4.5, -4.0, 4.5, 4.0, -2.0, -3.5, -2.0, -4.5, 3.5, 1.5, 1.0, -2.5, -0.5, -3.0, 2.5, 0.0, -4.5, -2.5, 2.0, 0.0, -1.0, -2.5, -4.0, 1.0, 1.5, 0.0, 4.0, 4.0, -3.0, 1.0, 1.0]> : tensor<72xf32>
  %x1 = tensor.expand_shape %x1f [[0, 1, 2, 3]] output_shape [2, 2, 3, 6] : tensor<72xf32> into tensor<2x2x3x6xf32>
  %off = arith.constant dense<[0, 5]> : tensor<2xi32>
  %r1 = attn.rope %x1 offsets(%off : tensor<2xi32>) {rotary_dim = 4 : i64}
      : tensor<2x2x3x6xf32> -> tensor<2x2x3x6xf32>
  %r1f = tensor.collapse_shape %r1 [[0, 1, 2, 3]] : tensor<2x2x3x6xf32> into tensor<72xf32>
  %u1 = tensor.cast %r1f : tensor<72xf32> to tensor<*xf32>
  // CHECK: data =
  // CHECK-NEXT: [3, -4, -3, -2.5, -3, 3, 5.677{{[0-9]*}}, 1.039{{[0-9]*}}, 0.5137{{[0-9]*}}, -3.989{{[0-9]*}}, -1.5, -0.5, 1.402{{[0-9]*}}, 0.05999{{[0-9]*}}, 1.741{{[0-9]*}}, -2.999{{[0-9]*}}, 2, 2, -4.5, -3.5, -0.5, -1, 3.5, {{[^,]*}}, -1.802{{[0-9]*}}, -0.5099{{[0-9]*}}, -0.03101{{[0-9]*}}, 0.9949{{[0-9]*}}, -3, 2.5, -3.313{{[0-9]*}}, 4.539{{[0-9]*}}, 1.232{{[0-9]*}}, -1.909{{[0-9]*}}, -1.5, 1.5, 3.781{{[0-9]*}}, 2.097{{[0-9]*}}, -0.4455{{[0-9]*}}, -1.897{{[0-9]*}}, 4, -4.5, -2.723{{[0-9]*}}, 4.611{{[0-9]*}}, 4.958{{[0-9]*}}, -1.726{{[0-9]*}}, -3.5, -2, -4.378{{[0-9]*}}, 3.421{{[0-9]*}}, -1.825{{[0-9]*}}, 1.242{{[0-9]*}}, -2.5, -0.5, -0.8509{{[0-9]*}}, 2.721{{[0-9]*}}, 2.876{{[0-9]*}}, -4.369{{[0-9]*}}, -2.5, 2, -0.6985{{[0-9]*}}, -0.7583{{[0-9]*}}, -2.400{{[0-9]*}}, -4.052{{[0-9]*}}, 1, 1.5, -2.627{{[0-9]*}}, 4.200{{[0-9]*}}, 3.015{{[0-9]*}}, -2.712{{[0-9]*}}, 1, 1]
  call @printMemrefF32(%u1) : (tensor<*xf32>) -> ()

  // gptj, bshd [1, 4, 2, 4], positions [B, S] (i64), theta 100.
  %x2f = arith.constant dense<[-2.5, -2.0, 0.0, 2.5, -2.0, 2.0, 1.5, -2.5, -1.0, 3.0, 3.5, 1.5, -4.5, 1.5, -2.5, 3.0, 4.0, -0.5, 4.5, 2.5, -1.5, 3.5, -1.0, -4.0, 1.0, 3.5, 1.5, -1.0, 4.0, 0.0, -1.0, -3.5]> : tensor<32xf32>
  %x2 = tensor.expand_shape %x2f [[0, 1, 2, 3]] output_shape [1, 4, 2, 4] : tensor<32xf32> into tensor<1x4x2x4xf32>
  %p2f = arith.constant dense<[7, 0, 3, 100]> : tensor<4xi64>
  %p2 = tensor.expand_shape %p2f [[0, 1]] output_shape [1, 4] : tensor<4xi64> into tensor<1x4xi64>
  %r2 = attn.rope %x2 positions(%p2 : tensor<1x4xi64>)
      {style = #attn<rope_style gptj>, theta = 100.0 : f32, layout = #attn<layout bshd>}
      : tensor<1x4x2x4xf32> -> tensor<1x4x2x4xf32>
  %r2f = tensor.collapse_shape %r2 [[0, 1, 2, 3]] : tensor<1x4x2x4xf32> into tensor<32xf32>
  %u2 = tensor.cast %r2f : tensor<32xf32> to tensor<*xf32>
  // CHECK: data =
  // CHECK-NEXT: [-0.5707{{[0-9]*}}, -3.150{{[0-9]*}}, -1.610{{[0-9]*}}, 1.912{{[0-9]*}}, -2.821{{[0-9]*}}, 0.1938{{[0-9]*}}, 2.757{{[0-9]*}}, -0.9457{{[0-9]*}}, -1, 3, 3.5, 1.5, -4.5, 1.5, -2.5, 3, -3.889{{[0-9]*}}, 1.059{{[0-9]*}}, 3.560{{[0-9]*}}, 3.718{{[0-9]*}}, 0.9910{{[0-9]*}}, -3.676{{[0-9]*}}, 0.2267{{[0-9]*}}, -4.116{{[0-9]*}}, 2.634{{[0-9]*}}, 2.511{{[0-9]*}}, -1.802{{[0-9]*}}, 0.02303{{[0-9]*}}, 3.449{{[0-9]*}}, -2.025{{[0-9]*}}, -1.065, 3.480{{[0-9]*}}]
  call @printMemrefF32(%u2) : (tensor<*xf32>) -> ()

  // Varlen neox [5, 1, 8], two sequences (positions restart), rotary_dim 6.
  %x3f = arith.constant dense<[-2.5, 2.0, 3.0, -2.0, 1.0, 3.5, -3.5, -2.0, 0.0, 0.5, -1.0, -1.0, -3.5, 1.0, 4.0, -3.0, 3.0, -3.0, -4.5, 2.5, -3.0, 2.5, -1.5, 0.5, 4.0, 4.0, 0.0, -3.0, -2.5, 3.5, 1.0, -3.0, 3.5, 4.5, 4.5, 1.0, 4.5, 1.0, 0.0, 4.5]> : tensor<40xf32>
  %x3 = tensor.expand_shape %x3f [[0, 1, 2]] output_shape [5, 1, 8] : tensor<40xf32> into tensor<5x1x8xf32>
  %p3 = arith.constant dense<[0, 1, 2, 0, 1]> : tensor<5xi32>
  %r3 = attn.rope %x3 positions(%p3 : tensor<5xi32>) {rotary_dim = 6 : i64}
      : tensor<5x1x8xf32> -> tensor<5x1x8xf32>
  %r3f = tensor.collapse_shape %r3 [[0, 1, 2]] : tensor<5x1x8xf32> into tensor<40xf32>
  %u3 = tensor.cast %r3f : tensor<40xf32> to tensor<*xf32>
  // CHECK: data =
  // CHECK-NEXT: [-2.5, 2, 3, -2, 1, 3.5, -3.5, -2, 0.8414{{[0-9]*}}, 0.6618{{[0-9]*}}, -1.002{{[0-9]*}}, -0.5403{{[0-9]*}}, -3.473{{[0-9]*}}, 0.9978{{[0-9]*}}, 4, -3, -3.521{{[0-9]*}}, -2.708{{[0-9]*}}, -4.510{{[0-9]*}}, 1.687{{[0-9]*}}, -3.265{{[0-9]*}}, 2.480{{[0-9]*}}, -1.5, 0.5, 4, 4, {{[^,]*}}, -3, -2.5, 3.5, 1, -3, 1.049{{[0-9]*}}, 4.286{{[0-9]*}}, 4.497{{[0-9]*}}, 3.485{{[0-9]*}}, 4.703{{[0-9]*}}, 1.009{{[0-9]*}}, {{[^,]*}}, 4.5]
  call @printMemrefF32(%u3) : (tensor<*xf32>) -> ()

  // gptj, positions 0..S-1 (no operand), rotary_dim 2 of 4.
  %x4f = arith.constant dense<[1.0, 2.5, -1.5, 3.0, 4.5, -4.0, 0.5, -1.0, -4.5, -4.0, -2.0, -3.0, 2.0, -2.5, 1.0, 3.5]> : tensor<16xf32>
  %x4 = tensor.expand_shape %x4f [[0, 1, 2, 3]] output_shape [1, 1, 4, 4] : tensor<16xf32> into tensor<1x1x4x4xf32>
  %r4 = attn.rope %x4 {style = #attn<rope_style gptj>, rotary_dim = 2 : i64}
      : tensor<1x1x4x4xf32> -> tensor<1x1x4x4xf32>
  %r4f = tensor.collapse_shape %r4 [[0, 1, 2, 3]] : tensor<1x1x4x4xf32> into tensor<16xf32>
  %u4 = tensor.cast %r4f : tensor<16xf32> to tensor<*xf32>
  // CHECK: data =
  // CHECK-NEXT: [1, 2.5, -1.5, 3, 5.797{{[0-9]*}}, 1.625{{[0-9]*}}, 0.5, -1, 5.509{{[0-9]*}}, -2.427{{[0-9]*}}, -2, -3, -1.627{{[0-9]*}}, 2.757{{[0-9]*}}, 1, 3.5]
  call @printMemrefF32(%u4) : (tensor<*xf32>) -> ()
  return
}
