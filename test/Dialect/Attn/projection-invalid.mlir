// RUN: attn-opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// attn.qkv_projection
//===----------------------------------------------------------------------===//

func.func @qkv_input_rank(%x: tensor<1x2x3x32xf32>, %w: tensor<32x32xf32>) {
  // expected-error @+1 {{'attn.qkv_projection' op expected input of rank 3 ([batch, seq, embed]) or 2 ([tokens, embed]), got rank 4}}
  %q, %k, %v = attn.qkv_projection %x, %w, %w, %w {num_q_heads = 4 : i64, num_kv_heads = 4 : i64}
      : tensor<1x2x3x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>
      -> tensor<1x4x2x8xf32>, tensor<1x4x2x8xf32>, tensor<1x4x2x8xf32>
  return
}

// -----

func.func @qkv_varlen_bshd(%x: tensor<5x32xf32>, %w: tensor<32x32xf32>) {
  // expected-error @+1 {{expected the default layout with a varlen input (results are [tokens, heads, dim]), got bshd}}
  %q, %k, %v = attn.qkv_projection %x, %w, %w, %w {num_q_heads = 4 : i64, num_kv_heads = 4 : i64, layout = #attn<layout bshd>}
      : tensor<5x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>
      -> tensor<5x4x8xf32>, tensor<5x4x8xf32>, tensor<5x4x8xf32>
  return
}

// -----

func.func @qkv_zero_q_heads(%x: tensor<5x32xf32>, %w: tensor<32x32xf32>) {
  // expected-error @+1 {{expected num_q_heads to be positive, got 0}}
  %q, %k, %v = attn.qkv_projection %x, %w, %w, %w {num_q_heads = 0 : i64, num_kv_heads = 4 : i64}
      : tensor<5x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>
      -> tensor<5x4x8xf32>, tensor<5x4x8xf32>, tensor<5x4x8xf32>
  return
}

// -----

func.func @qkv_negative_kv_heads(%x: tensor<5x32xf32>, %w: tensor<32x32xf32>) {
  // expected-error @+1 {{expected num_kv_heads to be positive, got -4}}
  %q, %k, %v = attn.qkv_projection %x, %w, %w, %w {num_q_heads = 4 : i64, num_kv_heads = -4 : i64}
      : tensor<5x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>
      -> tensor<5x4x8xf32>, tensor<5x4x8xf32>, tensor<5x4x8xf32>
  return
}

// -----

func.func @qkv_gqa(%x: tensor<5x32xf32>, %wq: tensor<32x48xf32>, %wk: tensor<32x32xf32>) {
  // expected-error @+1 {{expected the 6 heads of query to be a positive multiple of the 4 heads of key}}
  %q, %k, %v = attn.qkv_projection %x, %wq, %wk, %wk {num_q_heads = 6 : i64, num_kv_heads = 4 : i64}
      : tensor<5x32xf32>, tensor<32x48xf32>, tensor<32x32xf32>, tensor<32x32xf32>
      -> tensor<5x6x8xf32>, tensor<5x4x8xf32>, tensor<5x4x8xf32>
  return
}

// -----

func.func @qkv_weight_rank(%x: tensor<5x32xf32>, %w: tensor<32x32xf32>, %wk: tensor<32x4x8xf32>) {
  // expected-error @+1 {{expected wk of rank 2, got rank 3}}
  %q, %k, %v = attn.qkv_projection %x, %w, %wk, %w {num_q_heads = 4 : i64, num_kv_heads = 4 : i64}
      : tensor<5x32xf32>, tensor<32x32xf32>, tensor<32x4x8xf32>, tensor<32x32xf32>
      -> tensor<5x4x8xf32>, tensor<5x4x8xf32>, tensor<5x4x8xf32>
  return
}

// -----

func.func @qkv_dtype(%x: tensor<5x32xf32>, %w: tensor<32x32xf32>, %wv: tensor<32x32xf16>) {
  // expected-error @+1 {{expected input and wv to have the same element type, got 'f32' and 'f16'}}
  %q, %k, %v = attn.qkv_projection %x, %w, %w, %wv {num_q_heads = 4 : i64, num_kv_heads = 4 : i64}
      : tensor<5x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>, tensor<32x32xf16>
      -> tensor<5x4x8xf32>, tensor<5x4x8xf32>, tensor<5x4x8xf16>
  return
}

// -----

func.func @qkv_embed(%x: tensor<5x32xf32>, %w: tensor<32x32xf32>, %wk: tensor<16x32xf32>) {
  // expected-error @+1 {{expected input and wk to have the same embedding size, got 32 and 16}}
  %q, %k, %v = attn.qkv_projection %x, %w, %wk, %w {num_q_heads = 4 : i64, num_kv_heads = 4 : i64}
      : tensor<5x32xf32>, tensor<32x32xf32>, tensor<16x32xf32>, tensor<32x32xf32>
      -> tensor<5x4x8xf32>, tensor<5x4x8xf32>, tensor<5x4x8xf32>
  return
}

// -----

func.func @qkv_q_features(%x: tensor<5x32xf32>, %wq: tensor<32x30xf32>, %w: tensor<32x32xf32>) {
  // expected-error @+1 {{expected the 30 features of wq to be divisible by num_q_heads = 4}}
  %q, %k, %v = attn.qkv_projection %x, %wq, %w, %w {num_q_heads = 4 : i64, num_kv_heads = 4 : i64}
      : tensor<5x32xf32>, tensor<32x30xf32>, tensor<32x32xf32>, tensor<32x32xf32>
      -> tensor<5x4x8xf32>, tensor<5x4x8xf32>, tensor<5x4x8xf32>
  return
}

// -----

func.func @qkv_k_features(%x: tensor<5x32xf32>, %w: tensor<32x32xf32>, %wk: tensor<32x9xf32>) {
  // expected-error @+1 {{expected the 9 features of wk to be divisible by num_kv_heads = 2}}
  %q, %k, %v = attn.qkv_projection %x, %w, %wk, %w {num_q_heads = 4 : i64, num_kv_heads = 2 : i64}
      : tensor<5x32xf32>, tensor<32x32xf32>, tensor<32x9xf32>, tensor<32x32xf32>
      -> tensor<5x4x8xf32>, tensor<5x2x8xf32>, tensor<5x2x16xf32>
  return
}

// -----

func.func @qkv_v_features(%x: tensor<5x32xf32>, %w: tensor<32x32xf32>, %wv: tensor<32x7xf32>) {
  // expected-error @+1 {{expected the 7 features of wv to be divisible by num_kv_heads = 4}}
  %q, %k, %v = attn.qkv_projection %x, %w, %w, %wv {num_q_heads = 4 : i64, num_kv_heads = 4 : i64}
      : tensor<5x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>, tensor<32x7xf32>
      -> tensor<5x4x8xf32>, tensor<5x4x8xf32>, tensor<5x4x8xf32>
  return
}

// -----

func.func @qkv_head_dim(%x: tensor<5x32xf32>, %w: tensor<32x32xf32>, %wk: tensor<32x16xf32>) {
  // expected-error @+1 {{expected wq and wk to have the same head dim, got 8 and 4}}
  %q, %k, %v = attn.qkv_projection %x, %w, %wk, %w {num_q_heads = 4 : i64, num_kv_heads = 4 : i64}
      : tensor<5x32xf32>, tensor<32x32xf32>, tensor<32x16xf32>, tensor<32x32xf32>
      -> tensor<5x4x8xf32>, tensor<5x4x4xf32>, tensor<5x4x8xf32>
  return
}

// -----

func.func @qkv_partial_bias(%x: tensor<5x32xf32>, %w: tensor<32x32xf32>, %b: tensor<32xf32>) {
  // expected-error @+1 {{expected biases for all of query, key and value, or none, got 1}}
  %q, %k, %v = "attn.qkv_projection"(%x, %w, %w, %w, %b)
      <{num_q_heads = 4 : i64, num_kv_heads = 4 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0, 0>}>
      : (tensor<5x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>, tensor<32xf32>)
      -> (tensor<5x4x8xf32>, tensor<5x4x8xf32>, tensor<5x4x8xf32>)
  return
}

// -----

func.func @qkv_bias_shape(%x: tensor<5x32xf32>, %w: tensor<32x32xf32>, %b: tensor<32xf32>, %bk: tensor<16xf32>) {
  // expected-error @+1 {{expected bk of shape [32], got 'tensor<16xf32>'}}
  %q, %k, %v = attn.qkv_projection %x, %w, %w, %w bias(%b, %bk, %b : tensor<32xf32>, tensor<16xf32>, tensor<32xf32>)
      {num_q_heads = 4 : i64, num_kv_heads = 4 : i64}
      : tensor<5x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>
      -> tensor<5x4x8xf32>, tensor<5x4x8xf32>, tensor<5x4x8xf32>
  return
}

// -----

func.func @qkv_result_shape(%x: tensor<2x5x32xf32>, %w: tensor<32x32xf32>) {
  // expected-error @+1 {{expected query of shape [2x4x5x8], got 'tensor<2x5x4x8xf32>'}}
  %q, %k, %v = attn.qkv_projection %x, %w, %w, %w {num_q_heads = 4 : i64, num_kv_heads = 4 : i64}
      : tensor<2x5x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>
      -> tensor<2x5x4x8xf32>, tensor<2x4x5x8xf32>, tensor<2x4x5x8xf32>
  return
}

// -----

func.func @qkv_value_shape(%x: tensor<2x5x32xf32>, %w: tensor<32x32xf32>, %wv: tensor<32x64xf32>) {
  // expected-error @+1 {{expected value of shape [2x4x5x16], got 'tensor<2x4x5x8xf32>'}}
  %q, %k, %v = attn.qkv_projection %x, %w, %w, %wv {num_q_heads = 4 : i64, num_kv_heads = 4 : i64}
      : tensor<2x5x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>, tensor<32x64xf32>
      -> tensor<2x4x5x8xf32>, tensor<2x4x5x8xf32>, tensor<2x4x5x8xf32>
  return
}

//===----------------------------------------------------------------------===//
// attn.fused_qkv_projection
//===----------------------------------------------------------------------===//

// -----

func.func @fused_input_rank(%x: tensor<32xf32>, %w: tensor<32x96xf32>) {
  // expected-error @+1 {{'attn.fused_qkv_projection' op expected input of rank 3 ([batch, seq, embed]) or 2 ([tokens, embed]), got rank 1}}
  %r = attn.fused_qkv_projection %x, %w : tensor<32xf32>, tensor<32x96xf32> -> tensor<1x1x96xf32>
  return
}

// -----

func.func @fused_weight_rank(%x: tensor<2x5x32xf32>, %w: tensor<32x3x32xf32>) {
  // expected-error @+1 {{expected weight of rank 2, got rank 3}}
  %r = attn.fused_qkv_projection %x, %w : tensor<2x5x32xf32>, tensor<32x3x32xf32> -> tensor<2x5x96xf32>
  return
}

// -----

func.func @fused_dtype(%x: tensor<2x5x32xf32>, %w: tensor<32x96xbf16>) {
  // expected-error @+1 {{expected input and weight to have the same element type, got 'f32' and 'bf16'}}
  %r = attn.fused_qkv_projection %x, %w : tensor<2x5x32xf32>, tensor<32x96xbf16> -> tensor<2x5x96xf32>
  return
}

// -----

func.func @fused_embed(%x: tensor<2x5x32xf32>, %w: tensor<64x96xf32>) {
  // expected-error @+1 {{expected input and weight to have the same embedding size, got 32 and 64}}
  %r = attn.fused_qkv_projection %x, %w : tensor<2x5x32xf32>, tensor<64x96xf32> -> tensor<2x5x96xf32>
  return
}

// -----

func.func @fused_bias(%x: tensor<2x5x32xf32>, %w: tensor<32x96xf32>, %b: tensor<32xf32>) {
  // expected-error @+1 {{expected bias of shape [96], got 'tensor<32xf32>'}}
  %r = attn.fused_qkv_projection %x, %w bias(%b : tensor<32xf32>) : tensor<2x5x32xf32>, tensor<32x96xf32> -> tensor<2x5x96xf32>
  return
}

// -----

func.func @fused_varlen_result(%x: tensor<5x32xf32>, %w: tensor<32x96xf32>) {
  // expected-error @+1 {{expected result of shape [1x5x96], got 'tensor<5x96xf32>'}}
  %r = attn.fused_qkv_projection %x, %w : tensor<5x32xf32>, tensor<32x96xf32> -> tensor<5x96xf32>
  return
}

//===----------------------------------------------------------------------===//
// attn.split_qkv
//===----------------------------------------------------------------------===//

// -----

func.func @split_head_dim(%p: tensor<2x5x96xf32>) {
  // expected-error @+1 {{'attn.split_qkv' op expected head_dim to be positive, got 0}}
  %q, %k, %v = attn.split_qkv %p {num_q_heads = 4 : i64, num_kv_heads = 4 : i64, head_dim = 0 : i64}
      : tensor<2x5x96xf32> -> tensor<2x4x5x8xf32>, tensor<2x4x5x8xf32>, tensor<2x4x5x8xf32>
  return
}

// -----

// Head counts whose packed width overflows 64 bits (found by the fuzzer).
func.func @split_huge_heads(%p: tensor<2x5x96xf32>) {
  // expected-error @+1 {{'attn.split_qkv' op expected (num_q_heads + 2 * num_kv_heads) * head_dim to fit in 64 bits, got (9223372036854775806 + 2 * 9223372036854775806) * 2}}
  %q, %k, %v = attn.split_qkv %p {num_q_heads = 9223372036854775806 : i64, num_kv_heads = 9223372036854775806 : i64, head_dim = 2 : i64}
      : tensor<2x5x96xf32> -> tensor<2x4x5x8xf32>, tensor<2x4x5x8xf32>, tensor<2x4x5x8xf32>
  return
}

// -----

func.func @split_gqa(%p: tensor<2x5x96xf32>) {
  // expected-error @+1 {{expected the 2 heads of query to be a positive multiple of the 4 heads of key}}
  %q, %k, %v = attn.split_qkv %p {num_q_heads = 2 : i64, num_kv_heads = 4 : i64, head_dim = 8 : i64}
      : tensor<2x5x96xf32> -> tensor<2x2x5x8xf32>, tensor<2x4x5x8xf32>, tensor<2x4x5x8xf32>
  return
}

// -----

func.func @split_packed_rank(%p: tensor<5x96xf32>) {
  // expected-error @+1 {{expected packed of rank 3, got rank 2}}
  %q, %k, %v = attn.split_qkv %p {num_q_heads = 4 : i64, num_kv_heads = 4 : i64, head_dim = 8 : i64}
      : tensor<5x96xf32> -> tensor<5x4x8xf32>, tensor<5x4x8xf32>, tensor<5x4x8xf32>
  return
}

// -----

func.func @split_dtype(%p: tensor<2x5x96xf32>) {
  // expected-error @+1 {{expected packed and key to have the same element type, got 'f32' and 'f16'}}
  %q, %k, %v = attn.split_qkv %p {num_q_heads = 4 : i64, num_kv_heads = 4 : i64, head_dim = 8 : i64}
      : tensor<2x5x96xf32> -> tensor<2x4x5x8xf32>, tensor<2x4x5x8xf16>, tensor<2x4x5x8xf32>
  return
}

// -----

func.func @split_features(%p: tensor<2x5x96xf32>) {
  // expected-error @+1 {{expected the last dim of packed to be (num_q_heads + 2 * num_kv_heads) * head_dim = 64, got 96}}
  %q, %k, %v = attn.split_qkv %p {num_q_heads = 4 : i64, num_kv_heads = 2 : i64, head_dim = 8 : i64}
      : tensor<2x5x96xf32> -> tensor<2x4x5x8xf32>, tensor<2x2x5x8xf32>, tensor<2x2x5x8xf32>
  return
}

// -----

func.func @split_result_rank(%p: tensor<2x5x96xf32>) {
  // expected-error @+1 {{expected query of rank 4 (padded) or 3 (varlen), got rank 2}}
  %q, %k, %v = attn.split_qkv %p {num_q_heads = 4 : i64, num_kv_heads = 4 : i64, head_dim = 8 : i64}
      : tensor<2x5x96xf32> -> tensor<10x32xf32>, tensor<10x32xf32>, tensor<10x32xf32>
  return
}

// -----

func.func @split_varlen_bshd(%p: tensor<1x5x96xf32>) {
  // expected-error @+1 {{expected the default layout with varlen results ([tokens, heads, dim]), got bshd}}
  %q, %k, %v = attn.split_qkv %p {num_q_heads = 4 : i64, num_kv_heads = 4 : i64, head_dim = 8 : i64, layout = #attn<layout bshd>}
      : tensor<1x5x96xf32> -> tensor<5x4x8xf32>, tensor<5x4x8xf32>, tensor<5x4x8xf32>
  return
}

// -----

func.func @split_varlen_leading(%p: tensor<2x5x96xf32>) {
  // expected-error @+1 {{expected packed of shape [1, tokens, features] for varlen results, got leading dim 2}}
  %q, %k, %v = attn.split_qkv %p {num_q_heads = 4 : i64, num_kv_heads = 4 : i64, head_dim = 8 : i64}
      : tensor<2x5x96xf32> -> tensor<5x4x8xf32>, tensor<5x4x8xf32>, tensor<5x4x8xf32>
  return
}

// -----

func.func @split_padded_cu(%p: tensor<2x5x96xf32>, %cu: tensor<3xi32>) {
  // expected-error @+1 {{expected no cu_seqlens with rank-4 (padded) results}}
  %q, %k, %v = attn.split_qkv %p cu_seqlens(%cu : tensor<3xi32>) {num_q_heads = 4 : i64, num_kv_heads = 4 : i64, head_dim = 8 : i64}
      : tensor<2x5x96xf32> -> tensor<2x4x5x8xf32>, tensor<2x4x5x8xf32>, tensor<2x4x5x8xf32>
  return
}

// -----

func.func @split_cu_rank(%p: tensor<1x5x96xf32>, %cu: tensor<3x1xi32>) {
  // expected-error @+1 {{expected cu_seqlens of rank 1, got rank 2}}
  %q, %k, %v = attn.split_qkv %p cu_seqlens(%cu : tensor<3x1xi32>) {num_q_heads = 4 : i64, num_kv_heads = 4 : i64, head_dim = 8 : i64}
      : tensor<1x5x96xf32> -> tensor<5x4x8xf32>, tensor<5x4x8xf32>, tensor<5x4x8xf32>
  return
}

// -----

func.func @split_cu_size(%p: tensor<1x5x96xf32>, %cu: tensor<1xi32>) {
  // expected-error @+1 {{expected cu_seqlens of size >= 2 (batch + 1), got 1}}
  %q, %k, %v = attn.split_qkv %p cu_seqlens(%cu : tensor<1xi32>) {num_q_heads = 4 : i64, num_kv_heads = 4 : i64, head_dim = 8 : i64}
      : tensor<1x5x96xf32> -> tensor<5x4x8xf32>, tensor<5x4x8xf32>, tensor<5x4x8xf32>
  return
}

// -----

func.func @split_result_shape(%p: tensor<2x5x96xf32>) {
  // expected-error @+1 {{expected value of shape [2x4x5x8], got 'tensor<2x4x5x16xf32>'}}
  %q, %k, %v = attn.split_qkv %p {num_q_heads = 4 : i64, num_kv_heads = 4 : i64, head_dim = 8 : i64}
      : tensor<2x5x96xf32> -> tensor<2x4x5x8xf32>, tensor<2x4x5x8xf32>, tensor<2x4x5x16xf32>
  return
}

//===----------------------------------------------------------------------===//
// attn.output_projection
//===----------------------------------------------------------------------===//

// -----

func.func @out_rank(%o: tensor<4x32xf32>, %w: tensor<32x16xf32>) {
  // expected-error @+1 {{'attn.output_projection' op expected input of rank 4 ([batch, heads, seq, dim] or [batch, seq, heads, dim]) or 3 ([tokens, heads, dim]), got rank 2}}
  %y = attn.output_projection %o, %w : tensor<4x32xf32>, tensor<32x16xf32> -> tensor<4x16xf32>
  return
}

// -----

func.func @out_varlen_bshd(%o: tensor<5x4x8xf32>, %w: tensor<32x16xf32>) {
  // expected-error @+1 {{expected the default layout with a varlen input ([tokens, heads, dim]), got bshd}}
  %y = attn.output_projection %o, %w {layout = #attn<layout bshd>} : tensor<5x4x8xf32>, tensor<32x16xf32> -> tensor<5x16xf32>
  return
}

// -----

func.func @out_weight_rank(%o: tensor<5x4x8xf32>, %w: tensor<32xf32>) {
  // expected-error @+1 {{expected weight of rank 2, got rank 1}}
  %y = attn.output_projection %o, %w : tensor<5x4x8xf32>, tensor<32xf32> -> tensor<5x16xf32>
  return
}

// -----

func.func @out_dtype(%o: tensor<5x4x8xf32>, %w: tensor<32x16xf32>) {
  // expected-error @+1 {{expected input and result to have the same element type, got 'f32' and 'f16'}}
  %y = attn.output_projection %o, %w : tensor<5x4x8xf32>, tensor<32x16xf32> -> tensor<5x16xf16>
  return
}

// -----

func.func @out_weight_rows(%o: tensor<2x4x5x8xf32>, %w: tensor<16x16xf32>) {
  // expected-error @+1 {{expected weight to have heads * head dim = 4 * 8 = 32 rows, got 16}}
  %y = attn.output_projection %o, %w : tensor<2x4x5x8xf32>, tensor<16x16xf32> -> tensor<2x5x16xf32>
  return
}

// -----

func.func @out_bias(%o: tensor<2x4x5x8xf32>, %w: tensor<32x16xf32>, %b: tensor<32xf32>) {
  // expected-error @+1 {{expected bias of shape [16], got 'tensor<32xf32>'}}
  %y = attn.output_projection %o, %w bias(%b : tensor<32xf32>) : tensor<2x4x5x8xf32>, tensor<32x16xf32> -> tensor<2x5x16xf32>
  return
}

// -----

func.func @out_result(%o: tensor<2x5x4x8xf32>, %w: tensor<32x16xf32>) {
  // expected-error @+1 {{expected result of shape [2x5x16], got 'tensor<2x4x16xf32>'}}
  %y = attn.output_projection %o, %w {layout = #attn<layout bshd>} : tensor<2x5x4x8xf32>, tensor<32x16xf32> -> tensor<2x4x16xf32>
  return
}
