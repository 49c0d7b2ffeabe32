// RUN: attn-opt %s -split-input-file -verify-diagnostics

func.func @rank(%x: tensor<4x32xf32>) {
  // expected-error @+1 {{'attn.rope' op expected input of rank 4 ([batch, heads, seq, dim] or [batch, seq, heads, dim]) or 3 ([tokens, heads, dim]), got rank 2}}
  %r = attn.rope %x : tensor<4x32xf32> -> tensor<4x32xf32>
  return
}

// -----

func.func @varlen_bshd(%x: tensor<5x4x32xf32>, %p: tensor<5xi32>) {
  // expected-error @+1 {{expected the default layout with a varlen input ([tokens, heads, dim]), got bshd}}
  %r = attn.rope %x positions(%p : tensor<5xi32>) {layout = #attn<layout bshd>} : tensor<5x4x32xf32> -> tensor<5x4x32xf32>
  return
}

// -----

func.func @result_shape(%x: tensor<1x4x5x32xf32>) {
  // expected-error @+1 {{expected result of shape [1x4x5x32], got 'tensor<1x5x4x32xf32>'}}
  %r = attn.rope %x : tensor<1x4x5x32xf32> -> tensor<1x5x4x32xf32>
  return
}

// -----

func.func @result_type(%x: tensor<1x4x5x32xf32>) {
  // expected-error @+1 {{expected input and result to have the same element type, got 'f32' and 'f16'}}
  %r = attn.rope %x : tensor<1x4x5x32xf32> -> tensor<1x4x5x32xf16>
  return
}

// -----

func.func @odd_head_dim(%x: tensor<1x4x5x33xf32>) {
  // expected-error @+1 {{expected an even head dim, got 33}}
  %r = attn.rope %x : tensor<1x4x5x33xf32> -> tensor<1x4x5x33xf32>
  return
}

// -----

func.func @odd_rotary_dim(%x: tensor<1x4x5x32xf32>) {
  // expected-error @+1 {{expected rotary_dim to be even and positive, got 7}}
  %r = attn.rope %x {rotary_dim = 7 : i64} : tensor<1x4x5x32xf32> -> tensor<1x4x5x32xf32>
  return
}

// -----

func.func @zero_rotary_dim(%x: tensor<1x4x5x32xf32>) {
  // expected-error @+1 {{expected rotary_dim to be even and positive, got 0}}
  %r = attn.rope %x {rotary_dim = 0 : i64} : tensor<1x4x5x32xf32> -> tensor<1x4x5x32xf32>
  return
}

// -----

func.func @big_rotary_dim(%x: tensor<1x4x5x32xf32>) {
  // expected-error @+1 {{expected rotary_dim <= head dim 32, got 64}}
  %r = attn.rope %x {rotary_dim = 64 : i64} : tensor<1x4x5x32xf32> -> tensor<1x4x5x32xf32>
  return
}

// -----

func.func @theta(%x: tensor<1x4x5x32xf32>) {
  // expected-error @+1 {{expected theta to be finite and > 0, got -1}}
  %r = attn.rope %x {theta = -1.0 : f32} : tensor<1x4x5x32xf32> -> tensor<1x4x5x32xf32>
  return
}

// -----

func.func @theta_inf(%x: tensor<1x4x5x32xf32>) {
  // expected-error @+1 {{expected theta to be finite and > 0, got +Inf}}
  %r = attn.rope %x {theta = 0x7F800000 : f32} : tensor<1x4x5x32xf32> -> tensor<1x4x5x32xf32>
  return
}

// -----

func.func @both(%x: tensor<2x4x5x32xf32>, %p: tensor<5xi32>, %o: tensor<2xi32>) {
  // expected-error @+1 {{expected positions or offsets, not both}}
  %r = attn.rope %x positions(%p : tensor<5xi32>) offsets(%o : tensor<2xi32>) : tensor<2x4x5x32xf32> -> tensor<2x4x5x32xf32>
  return
}

// -----

func.func @varlen_no_positions(%x: tensor<5x4x32xf32>) {
  // expected-error @+1 {{expected positions with a varlen input ([tokens, heads, dim])}}
  %r = attn.rope %x : tensor<5x4x32xf32> -> tensor<5x4x32xf32>
  return
}

// -----

func.func @varlen_positions(%x: tensor<5x4x32xf32>, %p: tensor<1x5xi32>) {
  // expected-error @+1 {{expected positions of shape [5], got 'tensor<1x5xi32>'}}
  %r = attn.rope %x positions(%p : tensor<1x5xi32>) : tensor<5x4x32xf32> -> tensor<5x4x32xf32>
  return
}

// -----

func.func @positions_1d(%x: tensor<2x4x5x32xf32>, %p: tensor<4xi32>) {
  // expected-error @+1 {{expected positions of shape [5], got 'tensor<4xi32>'}}
  %r = attn.rope %x positions(%p : tensor<4xi32>) : tensor<2x4x5x32xf32> -> tensor<2x4x5x32xf32>
  return
}

// -----

func.func @positions_2d(%x: tensor<2x5x4x32xf32>, %p: tensor<2x4xi64>) {
  // expected-error @+1 {{expected positions of shape [2x5], got 'tensor<2x4xi64>'}}
  %r = attn.rope %x positions(%p : tensor<2x4xi64>) {layout = #attn<layout bshd>} : tensor<2x5x4x32xf32> -> tensor<2x5x4x32xf32>
  return
}

// -----

func.func @offsets(%x: tensor<2x4x5x32xf32>, %o: tensor<4xi32>) {
  // expected-error @+1 {{expected offsets of shape [2], got 'tensor<4xi32>'}}
  %r = attn.rope %x offsets(%o : tensor<4xi32>) : tensor<2x4x5x32xf32> -> tensor<2x4x5x32xf32>
  return
}
