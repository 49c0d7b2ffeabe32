// Malformed inputs end in a located diagnostic and a non-zero exit, never a
// crash (`not` without --crash fails on a crash).
//
// RUN: not attn-opt %S/Inputs/truncated.mlir 2>&1 | FileCheck %s --check-prefix=TRUNC
// TRUNC: truncated.mlir:2:{{[0-9]+}}: error: expected SSA operand
//
// RUN: not attn-opt %S/Inputs/huge-window.mlir 2>&1 | FileCheck %s --check-prefix=HUGE
// HUGE: huge-window.mlir:2:{{[0-9]+}}: error: integer value too large
//
// RUN: not attn-opt %S/Inputs/binary-garbage.mlir 2>&1 | FileCheck %s --check-prefix=GARBAGE
// GARBAGE: binary-garbage.mlir:1:{{[0-9]+}}: error:
//
// RUN: not attn-opt %s -split-input-file 2>&1 | FileCheck %s

// CHECK: malformed.mlir:[[# @LINE + 2]]:{{[0-9]+}}: error: 'attn.sdpa' op operand #0 must be ranked tensor of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values
func.func @int_query(%q: tensor<1x4x8x16xi32>, %k: tensor<1x4x8x16xf32>) {
  %o = attn.sdpa %q, %k, %k : tensor<1x4x8x16xi32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

// CHECK: malformed.mlir:[[# @LINE + 2]]:{{[0-9]+}}: error: expected ::mlir::attn::Layout to be one of: bhsd, bshd
func.func @bad_layout(%q: tensor<1x4x8x16xf32>) {
  %o = attn.sdpa %q, %q, %q {layout = #attn<layout bxyz>} : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

// CHECK: malformed.mlir:[[# @LINE + 2]]:{{[0-9]+}}: error: expected one of [top_left, bottom_right] for alignment of the causal/window diagonal when Sq != Sk, got: diagonal
func.func @bad_align(%q: tensor<1x4x8x16xf32>) {
  %o = attn.sdpa %q, %q, %q {mask = #attn.mask<causal = true, align = diagonal>} : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

// CHECK: malformed.mlir:[[# @LINE + 1]]:{{[0-9]+}}: error: expected ','
func.func @bad_quant() attributes {q = #attn.quant<int8_sym>} {
  return
}

// -----

// CHECK: malformed.mlir:[[# @LINE + 1]]:{{[0-9]+}}: error: expected an axis >= 0 for per_head granularity, got -1
func.func @quant_axis() attributes {q = #attn.quant<int8_sym, per_head>} {
  return
}

// -----

// CHECK: malformed.mlir:[[# @LINE + 1]]:{{[0-9]+}}: error: expected per_tensor or per_head granularity for fp8_e4m3, got per_token
func.func @quant_fp8_token() attributes {q = #attn.quant<fp8_e4m3, per_token>} {
  return
}

// -----

// CHECK: malformed.mlir:[[# @LINE + 1]]:{{[0-9]+}}: error: expected no axis for per_tensor granularity, got 2
func.func @quant_tensor_axis() attributes {q = #attn.quant<int8_asym, per_tensor, axis = 2>} {
  return
}

// -----

// CHECK: malformed.mlir:[[# @LINE + 2]]:{{[0-9]+}}: error: 'attn.sdpa' op operand count (3) does not match with the total size (0) specified in attribute 'operandSegmentSizes'
func.func @generic_no_segments(%q: tensor<1x4x8x16xf32>) {
  %o = "attn.sdpa"(%q, %q, %q) : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return
}
