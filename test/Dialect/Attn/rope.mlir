// RUN: attn-opt %s | attn-opt | FileCheck %s
// RUN: attn-opt %s -mlir-print-op-generic | attn-opt | FileCheck %s
// RUN: attn-opt %s -canonicalize | FileCheck %s --check-prefix=CANON

// CHECK-LABEL: func.func @prefill
// CHECK: attn.rope %{{.*}} : tensor<2x8x16x64xf16> -> tensor<2x8x16x64xf16>
func.func @prefill(%q: tensor<2x8x16x64xf16>) -> tensor<2x8x16x64xf16> {
  %r = attn.rope %q : tensor<2x8x16x64xf16> -> tensor<2x8x16x64xf16>
  return %r : tensor<2x8x16x64xf16>
}

// CHECK-LABEL: func.func @decode_offsets
// CHECK: attn.rope %{{.*}} offsets(%{{.*}} : tensor<2xi32>)
// CHECK-SAME: rotary_dim = 64 : i64, style = #attn<rope_style gptj>, theta = 5.000000e+05 : f32
// CHECK-SAME: : tensor<2x8x1x128xbf16> -> tensor<2x8x1x128xbf16>
func.func @decode_offsets(%q: tensor<2x8x1x128xbf16>, %o: tensor<2xi32>) -> tensor<2x8x1x128xbf16> {
  %r = attn.rope %q offsets(%o : tensor<2xi32>)
      {style = #attn<rope_style gptj>, theta = 500000.0 : f32, rotary_dim = 64 : i64}
      : tensor<2x8x1x128xbf16> -> tensor<2x8x1x128xbf16>
  return %r : tensor<2x8x1x128xbf16>
}

// CHECK-LABEL: func.func @positions_bshd
// CHECK: attn.rope %{{.*}} positions(%{{.*}} : tensor<2x16xi64>) {layout = #attn<layout bshd>} : tensor<2x16x4x32xf32> -> tensor<2x16x4x32xf32>
func.func @positions_bshd(%k: tensor<2x16x4x32xf32>, %p: tensor<2x16xi64>) -> tensor<2x16x4x32xf32> {
  %r = attn.rope %k positions(%p : tensor<2x16xi64>) {layout = #attn<layout bshd>}
      : tensor<2x16x4x32xf32> -> tensor<2x16x4x32xf32>
  return %r : tensor<2x16x4x32xf32>
}

// CHECK-LABEL: func.func @shared_positions
// CHECK: attn.rope %{{.*}} positions(%{{.*}} : tensor<16xi32>) : tensor<2x4x16x32xf32> -> tensor<2x4x16x32xf32>
func.func @shared_positions(%k: tensor<2x4x16x32xf32>, %p: tensor<16xi32>) -> tensor<2x4x16x32xf32> {
  %r = attn.rope %k positions(%p : tensor<16xi32>) : tensor<2x4x16x32xf32> -> tensor<2x4x16x32xf32>
  return %r : tensor<2x4x16x32xf32>
}

// CHECK-LABEL: func.func @varlen
// CHECK: attn.rope %{{.*}} positions(%{{.*}} : tensor<?xi32>) : tensor<?x4x32xf32> -> tensor<?x4x32xf32>
func.func @varlen(%x: tensor<?x4x32xf32>, %p: tensor<?xi32>) -> tensor<?x4x32xf32> {
  %r = attn.rope %x positions(%p : tensor<?xi32>) : tensor<?x4x32xf32> -> tensor<?x4x32xf32>
  return %r : tensor<?x4x32xf32>
}

// Canonicalization drops a rotary_dim equal to the head dim and all-zero
// constant offsets; it keeps a partial rotary_dim and non-zero offsets.
// CHECK-LABEL: func.func @canon_default_rotary_dim
// CHECK: rotary_dim = 32 : i64
// CANON-LABEL: func.func @canon_default_rotary_dim
// CANON: attn.rope %{{.*}} : tensor<1x4x5x32xf32> -> tensor<1x4x5x32xf32>
func.func @canon_default_rotary_dim(%x: tensor<1x4x5x32xf32>) -> tensor<1x4x5x32xf32> {
  %r = attn.rope %x {rotary_dim = 32 : i64} : tensor<1x4x5x32xf32> -> tensor<1x4x5x32xf32>
  return %r : tensor<1x4x5x32xf32>
}

// CANON-LABEL: func.func @canon_partial_rotary_dim
// CANON: attn.rope %{{.*}} {rotary_dim = 16 : i64} : tensor<1x4x5x32xf32>
func.func @canon_partial_rotary_dim(%x: tensor<1x4x5x32xf32>) -> tensor<1x4x5x32xf32> {
  %r = attn.rope %x {rotary_dim = 16 : i64} : tensor<1x4x5x32xf32> -> tensor<1x4x5x32xf32>
  return %r : tensor<1x4x5x32xf32>
}

// CANON-LABEL: func.func @canon_zero_offsets
// CANON-NOT: offsets
// CANON: attn.rope %{{.*}} : tensor<2x4x1x32xf32> -> tensor<2x4x1x32xf32>
func.func @canon_zero_offsets(%x: tensor<2x4x1x32xf32>) -> tensor<2x4x1x32xf32> {
  %o = arith.constant dense<0> : tensor<2xi32>
  %r = attn.rope %x offsets(%o : tensor<2xi32>) : tensor<2x4x1x32xf32> -> tensor<2x4x1x32xf32>
  return %r : tensor<2x4x1x32xf32>
}

// CANON-LABEL: func.func @canon_nonzero_offsets
// CANON: attn.rope %{{.*}} offsets(%{{.*}} : tensor<2xi32>)
func.func @canon_nonzero_offsets(%x: tensor<2x4x1x32xf32>) -> tensor<2x4x1x32xf32> {
  %o = arith.constant dense<[0, 3]> : tensor<2xi32>
  %r = attn.rope %x offsets(%o : tensor<2xi32>) : tensor<2x4x1x32xf32> -> tensor<2x4x1x32xf32>
  return %r : tensor<2x4x1x32xf32>
}

// CANON-LABEL: func.func @canon_dynamic_offsets
// CANON: attn.rope %{{.*}} offsets(%{{.*}} : tensor<2xi32>)
func.func @canon_dynamic_offsets(%x: tensor<2x4x1x32xf32>, %o: tensor<2xi32>) -> tensor<2x4x1x32xf32> {
  %r = attn.rope %x offsets(%o : tensor<2xi32>) : tensor<2x4x1x32xf32> -> tensor<2x4x1x32xf32>
  return %r : tensor<2x4x1x32xf32>
}
