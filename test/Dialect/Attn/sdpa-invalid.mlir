// RUN: attn-opt %s -split-input-file -verify-diagnostics

func.func @rank(%q: tensor<8x16x64xf32>, %k: tensor<1x8x16x64xf32>, %v: tensor<1x8x16x64xf32>) {
  // expected-error @+1 {{'attn.sdpa' op expected query of rank 4, got rank 3}}
  %o = attn.sdpa %q, %k, %v : tensor<8x16x64xf32>, tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32> -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @dtype(%q: tensor<1x8x16x64xf16>, %k: tensor<1x8x16x64xf32>, %v: tensor<1x8x16x64xf32>) {
  // expected-error @+1 {{expected query and key to have the same element type, got 'f16' and 'f32'}}
  %o = attn.sdpa %q, %k, %v : tensor<1x8x16x64xf16>, tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32> -> tensor<1x8x16x64xf16>
  return
}

// -----

func.func @batch(%q: tensor<2x8x16x64xf32>, %k: tensor<1x8x16x64xf32>, %v: tensor<1x8x16x64xf32>) {
  // expected-error @+1 {{expected query and key to have the same batch size, got 2 and 1}}
  %o = attn.sdpa %q, %k, %v : tensor<2x8x16x64xf32>, tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return
}

// -----

func.func @gqa(%q: tensor<1x6x16x64xf32>, %k: tensor<1x4x16x64xf32>, %v: tensor<1x4x16x64xf32>) {
  // expected-error @+1 {{expected the 6 heads of query to be a positive multiple of the 4 heads of key}}
  %o = attn.sdpa %q, %k, %v : tensor<1x6x16x64xf32>, tensor<1x4x16x64xf32>, tensor<1x4x16x64xf32> -> tensor<1x6x16x64xf32>
  return
}

// -----

func.func @kv_heads(%q: tensor<1x8x16x64xf32>, %k: tensor<1x4x16x64xf32>, %v: tensor<1x2x16x64xf32>) {
  // expected-error @+1 {{expected key and value to have the same number of heads, got 4 and 2}}
  %o = attn.sdpa %q, %k, %v : tensor<1x8x16x64xf32>, tensor<1x4x16x64xf32>, tensor<1x2x16x64xf32> -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @kv_seq(%q: tensor<1x8x16x64xf32>, %k: tensor<1x8x16x64xf32>, %v: tensor<1x8x17x64xf32>) {
  // expected-error @+1 {{expected key and value to have the same sequence length, got 16 and 17}}
  %o = attn.sdpa %q, %k, %v : tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>, tensor<1x8x17x64xf32> -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @qk_dim(%q: tensor<1x8x16x64xf32>, %k: tensor<1x8x16x32xf32>, %v: tensor<1x8x16x64xf32>) {
  // expected-error @+1 {{expected query and key to have the same head dim, got 64 and 32}}
  %o = attn.sdpa %q, %k, %v : tensor<1x8x16x64xf32>, tensor<1x8x16x32xf32>, tensor<1x8x16x64xf32> -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @result_dim(%q: tensor<1x8x16x64xf32>, %k: tensor<1x8x16x64xf32>, %v: tensor<1x8x16x32xf32>) {
  // expected-error @+1 {{expected value and result to have the same head dim, got 32 and 64}}
  %o = attn.sdpa %q, %k, %v : tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>, tensor<1x8x16x32xf32> -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @result_heads(%q: tensor<1x8x16x64xf32>, %k: tensor<1x8x16x64xf32>, %v: tensor<1x8x16x64xf32>) {
  // expected-error @+1 {{expected query and result to have the same number of heads, got 8 and 4}}
  %o = attn.sdpa %q, %k, %v : tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32> -> tensor<1x4x16x64xf32>
  return
}

// -----

func.func @result_seq(%q: tensor<1x8x16x64xf32>, %k: tensor<1x8x16x64xf32>, %v: tensor<1x8x16x64xf32>) {
  // expected-error @+1 {{expected query and result to have the same sequence length, got 16 and 15}}
  %o = attn.sdpa %q, %k, %v : tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32> -> tensor<1x8x15x64xf32>
  return
}

// -----

func.func @bias_shape(%q: tensor<1x8x16x64xf32>, %k: tensor<1x8x32x64xf32>, %v: tensor<1x8x32x64xf32>, %b: tensor<1x8x16x16xf32>) {
  // expected-error @+1 {{expected bias to broadcast to the scores [1x8x16x32], got 'tensor<1x8x16x16xf32>'}}
  %o = attn.sdpa %q, %k, %v bias(%b : tensor<1x8x16x16xf32>) : tensor<1x8x16x64xf32>, tensor<1x8x32x64xf32>, tensor<1x8x32x64xf32> -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @bias_dtype(%q: tensor<1x8x16x64xf16>, %k: tensor<1x8x16x64xf16>, %v: tensor<1x8x16x64xf16>, %b: tensor<1x1x16x16xf32>) {
  // expected-error @+1 {{expected bias and query to have the same element type, got 'f32' and 'f16'}}
  %o = attn.sdpa %q, %k, %v bias(%b : tensor<1x1x16x16xf32>) : tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16> -> tensor<1x8x16x64xf16>
  return
}

// -----

func.func @mask_shape(%q: tensor<1x8x16x64xf32>, %k: tensor<1x8x16x64xf32>, %v: tensor<1x8x16x64xf32>, %m: tensor<16x16xi1>) {
  // expected-error @+1 {{expected attn_mask to broadcast to the scores [1x8x16x16], got 'tensor<16x16xi1>'}}
  %o = attn.sdpa %q, %k, %v attn_mask(%m : tensor<16x16xi1>) : tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32> -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @alibi(%q: tensor<1x8x16x64xf32>, %k: tensor<1x8x16x64xf32>, %v: tensor<1x8x16x64xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{expected alibi slopes of shape [8], got 'tensor<4xf32>'}}
  %o = attn.sdpa %q, %k, %v alibi(%s : tensor<4xf32>) : tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32> -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @kv_lens(%q: tensor<2x8x16x64xf32>, %k: tensor<2x8x16x64xf32>, %v: tensor<2x8x16x64xf32>, %l: tensor<3xi32>) {
  // expected-error @+1 {{expected kv_lens of shape [2], got 'tensor<3xi32>'}}
  %o = attn.sdpa %q, %k, %v kv_lens(%l : tensor<3xi32>) : tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return
}

// -----

func.func @varlen_rank(%q: tensor<1x8x16x64xf32>, %k: tensor<16x8x64xf32>, %v: tensor<16x8x64xf32>, %c: tensor<2xi32>) {
  // expected-error @+1 {{expected query of rank 3, got rank 4}}
  %o = attn.sdpa %q, %k, %v cu_seqlens(%c, %c : tensor<2xi32>, tensor<2xi32>) : tensor<1x8x16x64xf32>, tensor<16x8x64xf32>, tensor<16x8x64xf32> -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @varlen_size(%q: tensor<16x8x64xf32>, %k: tensor<16x8x64xf32>, %v: tensor<16x8x64xf32>, %c: tensor<3xi32>, %d: tensor<4xi32>) {
  // expected-error @+1 {{expected cu_seqlens_q and cu_seqlens_k to have the same size, got 3 and 4}}
  %o = attn.sdpa %q, %k, %v cu_seqlens(%c, %d : tensor<3xi32>, tensor<4xi32>) : tensor<16x8x64xf32>, tensor<16x8x64xf32>, tensor<16x8x64xf32> -> tensor<16x8x64xf32>
  return
}

// -----

func.func @varlen_one(%q: tensor<16x8x64xf32>, %k: tensor<16x8x64xf32>, %v: tensor<16x8x64xf32>, %c: tensor<1xi32>) {
  // expected-error @+1 {{expected cu_seqlens of size >= 2 (batch + 1), got 1}}
  %o = attn.sdpa %q, %k, %v cu_seqlens(%c, %c : tensor<1xi32>, tensor<1xi32>) : tensor<16x8x64xf32>, tensor<16x8x64xf32>, tensor<16x8x64xf32> -> tensor<16x8x64xf32>
  return
}

// -----

func.func @varlen_bshd(%q: tensor<16x8x64xf32>, %k: tensor<16x8x64xf32>, %v: tensor<16x8x64xf32>, %c: tensor<2xi32>) {
  // expected-error @+1 {{expected the default layout with cu_seqlens (varlen tensors are [tokens, heads, head_dim]), got bshd}}
  %o = attn.sdpa %q, %k, %v cu_seqlens(%c, %c : tensor<2xi32>, tensor<2xi32>) {layout = #attn<layout bshd>} : tensor<16x8x64xf32>, tensor<16x8x64xf32>, tensor<16x8x64xf32> -> tensor<16x8x64xf32>
  return
}

// -----

func.func @varlen_bias(%q: tensor<16x8x64xf32>, %k: tensor<16x8x64xf32>, %v: tensor<16x8x64xf32>, %c: tensor<2xi32>, %b: tensor<1x8x16x16xf32>) {
  // expected-error @+1 {{expected no bias with cu_seqlens (varlen)}}
  %o = attn.sdpa %q, %k, %v bias(%b : tensor<1x8x16x16xf32>) cu_seqlens(%c, %c : tensor<2xi32>, tensor<2xi32>) : tensor<16x8x64xf32>, tensor<16x8x64xf32>, tensor<16x8x64xf32> -> tensor<16x8x64xf32>
  return
}

// -----

func.func @varlen_kv_lens(%q: tensor<16x8x64xf32>, %k: tensor<16x8x64xf32>, %v: tensor<16x8x64xf32>, %c: tensor<2xi32>, %l: tensor<1xi32>) {
  // expected-error @+1 {{expected no kv_lens with cu_seqlens (the key lengths are given by cu_seqlens_k)}}
  %o = attn.sdpa %q, %k, %v kv_lens(%l : tensor<1xi32>) cu_seqlens(%c, %c : tensor<2xi32>, tensor<2xi32>) : tensor<16x8x64xf32>, tensor<16x8x64xf32>, tensor<16x8x64xf32> -> tensor<16x8x64xf32>
  return
}

// -----

func.func @scale(%q: tensor<1x8x16x64xf32>, %k: tensor<1x8x16x64xf32>, %v: tensor<1x8x16x64xf32>) {
  // expected-error @+1 {{expected scale to be finite and > 0, got -1}}
  %o = attn.sdpa %q, %k, %v {scale = -1.0 : f32} : tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32> -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @softcap(%q: tensor<1x8x16x64xf32>, %k: tensor<1x8x16x64xf32>, %v: tensor<1x8x16x64xf32>) {
  // expected-error @+1 {{expected softcap to be finite and > 0, got 0}}
  %o = attn.sdpa %q, %k, %v {softcap = 0.0 : f32} : tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32> -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @softcap_nan(%q: tensor<1x8x16x64xf32>, %k: tensor<1x8x16x64xf32>, %v: tensor<1x8x16x64xf32>) {
  // expected-error @+1 {{expected softcap to be finite and > 0, got NaN}}
  %o = attn.sdpa %q, %k, %v {softcap = 0x7FC00000 : f32} : tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32> -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @lse_shape(%q: tensor<1x8x16x64xf32>, %k: tensor<1x8x16x64xf32>, %v: tensor<1x8x16x64xf32>) {
  // expected-error @+1 {{expected lse of shape [1x8x16], got 'tensor<1x16x8xf32>'}}
  %o, %l = attn.sdpa %q, %k, %v : tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32> -> tensor<1x8x16x64xf32>, tensor<1x16x8xf32>
  return
}

// -----

func.func @mask_window(%q: tensor<1x8x16x64xf32>, %k: tensor<1x8x16x64xf32>, %v: tensor<1x8x16x64xf32>) {
  // expected-error @+1 {{expected window_left >= -1 (-1: unbounded), got -5}}
  %o = attn.sdpa %q, %k, %v {mask = #attn.mask<window_left = -5>} : tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32> -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @mask_window_right(%q: tensor<1x8x16x64xf32>, %k: tensor<1x8x16x64xf32>, %v: tensor<1x8x16x64xf32>) {
  // expected-error @+1 {{expected window_right >= -1 (-1: unbounded), got -2}}
  %o = attn.sdpa %q, %k, %v {mask = #attn.mask<window_right = -2>} : tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32> -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @mask_causal_right(%q: tensor<1x8x16x64xf32>, %k: tensor<1x8x16x64xf32>, %v: tensor<1x8x16x64xf32>) {
  // expected-error @+1 {{expected window_right <= 0 with causal = true, got 3}}
  %o = attn.sdpa %q, %k, %v {mask = #attn.mask<causal = true, window_right = 3>} : tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32> -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @combine_rank(%p: tensor<128xf32>, %l: tensor<f32>) {
  // expected-error @+1 {{expected partials of rank >= 2 ([chunks, ..., head_dim]), got rank 1}}
  %o = attn.combine %p, %l : tensor<128xf32>, tensor<f32> -> tensor<f32>
  return
}

// -----

func.func @combine_lse(%p: tensor<4x8x128xf32>, %l: tensor<4x7xf32>) {
  // expected-error @+1 {{expected partial_lse of shape [4x8], got 'tensor<4x7xf32>'}}
  %o = attn.combine %p, %l : tensor<4x8x128xf32>, tensor<4x7xf32> -> tensor<8x128xf32>
  return
}

// -----

func.func @combine_result(%p: tensor<4x8x128xf32>, %l: tensor<4x8xf32>) {
  // expected-error @+1 {{expected result of shape [8x128], got 'tensor<4x128xf32>'}}
  %o = attn.combine %p, %l : tensor<4x8x128xf32>, tensor<4x8xf32> -> tensor<4x128xf32>
  return
}

// -----

func.func @combine_result_lse(%p: tensor<4x8x128xf32>, %l: tensor<4x8xf32>) {
  // expected-error @+1 {{expected lse of shape [8], got 'tensor<4xf32>'}}
  %o, %s = attn.combine %p, %l : tensor<4x8x128xf32>, tensor<4x8xf32> -> tensor<8x128xf32>, tensor<4xf32>
  return
}

// -----

func.func @combine_dtype(%p: tensor<4x8x128xf32>, %l: tensor<4x8xf32>) {
  // expected-error @+1 {{expected partials and result to have the same element type, got 'f32' and 'f16'}}
  %o = attn.combine %p, %l : tensor<4x8x128xf32>, tensor<4x8xf32> -> tensor<8x128xf16>
  return
}

// -----

// Attributes the op does not define are errors, with the attn spelling of
// what other frameworks call them; dialect-prefixed annotations are kept.

func.func @causal_attr(%q: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'attn.sdpa' op has no attribute 'causal'; a causal mask is written `mask = #attn.mask<causal = true>` (it takes: layout, mask, scale, softcap)}}
  %o = attn.sdpa %q, %q, %q {causal = true} : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

func.func @window_attr(%q: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'attn.sdpa' op has no attribute 'window_size'; a sliding window is written `mask = #attn.mask<window_left = N, window_right = M>`}}
  %o = attn.sdpa %q, %q, %q {window_size = 4 : i64} : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

func.func @typo_attr(%q: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  // expected-error @+1 {{'attn.sdpa' op has no attribute 'scal' (it takes: layout, mask, scale, softcap)}}
  %o = attn.sdpa %q, %q, %q {scal = 0.5 : f32} : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

func.func @prefixed_attr_kept(%q: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %o = attn.sdpa %q, %q, %q {torch.source = "sdpa"} : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}
