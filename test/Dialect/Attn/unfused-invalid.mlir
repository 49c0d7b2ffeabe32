// RUN: attn-opt %s -split-input-file -verify-diagnostics

// One case per verifier error of attn.scores, attn.mask, attn.softmax and
// attn.weighted_sum.

func.func @scores_q_rank(%q: tensor<8x16x64xf32>, %k: tensor<1x8x16x64xf32>) {
  // expected-error @+1 {{'attn.scores' op expected query of rank 4, got rank 3}}
  %s = attn.scores %q, %k : tensor<8x16x64xf32>, tensor<1x8x16x64xf32> -> tensor<1x8x16x16xf32>
  return
}

// -----

func.func @scores_k_rank(%q: tensor<1x8x16x64xf32>, %k: tensor<8x16x64xf32>) {
  // expected-error @+1 {{expected key of rank 4, got rank 3}}
  %s = attn.scores %q, %k : tensor<1x8x16x64xf32>, tensor<8x16x64xf32> -> tensor<1x8x16x16xf32>
  return
}

// -----

func.func @scores_dtype(%q: tensor<1x8x16x64xf16>, %k: tensor<1x8x16x64xf32>) {
  // expected-error @+1 {{expected query and key to have the same element type, got 'f16' and 'f32'}}
  %s = attn.scores %q, %k : tensor<1x8x16x64xf16>, tensor<1x8x16x64xf32> -> tensor<1x8x16x16xf32>
  return
}

// -----

func.func @scores_result_dtype(%q: tensor<1x8x16x64xf16>, %k: tensor<1x8x16x64xf16>) {
  // expected-error @+1 {{expected the result element type to be the query's or f32, got 'bf16'}}
  %s = attn.scores %q, %k : tensor<1x8x16x64xf16>, tensor<1x8x16x64xf16> -> tensor<1x8x16x16xbf16>
  return
}

// -----

func.func @scores_batch(%q: tensor<2x8x16x64xf32>, %k: tensor<1x8x16x64xf32>) {
  // expected-error @+1 {{expected query and key to have the same batch size, got 2 and 1}}
  %s = attn.scores %q, %k : tensor<2x8x16x64xf32>, tensor<1x8x16x64xf32> -> tensor<2x8x16x16xf32>
  return
}

// -----

func.func @scores_gqa(%q: tensor<1x6x16x64xf32>, %k: tensor<1x4x16x64xf32>) {
  // expected-error @+1 {{expected the 6 heads of query to be a positive multiple of the 4 heads of key}}
  %s = attn.scores %q, %k : tensor<1x6x16x64xf32>, tensor<1x4x16x64xf32> -> tensor<1x6x16x16xf32>
  return
}

// -----

func.func @scores_head_dim(%q: tensor<1x8x16x64xf32>, %k: tensor<1x8x16x32xf32>) {
  // expected-error @+1 {{expected query and key to have the same head dim, got 64 and 32}}
  %s = attn.scores %q, %k : tensor<1x8x16x64xf32>, tensor<1x8x16x32xf32> -> tensor<1x8x16x16xf32>
  return
}

// -----

func.func @scores_result_shape(%q: tensor<1x5x4x16xf32>, %k: tensor<1x7x1x16xf32>) {
  // expected-error @+1 {{expected result of shape [1x4x5x7], got 'tensor<1x5x4x7xf32>'}}
  %s = attn.scores %q, %k {layout = #attn<layout bshd>} : tensor<1x5x4x16xf32>, tensor<1x7x1x16xf32> -> tensor<1x5x4x7xf32>
  return
}

// -----

func.func @scores_scale(%q: tensor<1x8x16x64xf32>, %k: tensor<1x8x16x64xf32>) {
  // expected-error @+1 {{expected scale to be finite and > 0, got -1}}
  %s = attn.scores %q, %k {scale = -1.0 : f32} : tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32> -> tensor<1x8x16x16xf32>
  return
}

// -----

func.func @scores_softcap(%q: tensor<1x8x16x64xf32>, %k: tensor<1x8x16x64xf32>) {
  // expected-error @+1 {{expected softcap to be finite and > 0, got 0}}
  %s = attn.scores %q, %k {softcap = 0.0 : f32} : tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32> -> tensor<1x8x16x16xf32>
  return
}

// -----

func.func @mask_rank(%s: tensor<8x16x16xf32>) {
  // expected-error @+1 {{'attn.mask' op expected scores of rank 4, got rank 3}}
  %m = attn.mask %s : tensor<8x16x16xf32>
  return
}

// -----

func.func @mask_bias_broadcast(%s: tensor<1x8x16x16xf32>, %b: tensor<1x8x16x4xf32>) {
  // expected-error @+1 {{expected bias to broadcast to the scores [1x8x16x16], got 'tensor<1x8x16x4xf32>'}}
  %m = attn.mask %s bias(%b : tensor<1x8x16x4xf32>) : tensor<1x8x16x16xf32>
  return
}

// -----

func.func @mask_mask_broadcast(%s: tensor<1x8x16x16xf32>, %b: tensor<16x16xi1>) {
  // expected-error @+1 {{expected attn_mask to broadcast to the scores [1x8x16x16], got 'tensor<16x16xi1>'}}
  %m = attn.mask %s attn_mask(%b : tensor<16x16xi1>) : tensor<1x8x16x16xf32>
  return
}

// -----

func.func @mask_bias_dtype(%s: tensor<1x8x16x16xf32>, %b: tensor<1x1x16x16xf16>) {
  // expected-error @+1 {{expected bias and scores to have the same element type, got 'f16' and 'f32'}}
  %m = attn.mask %s bias(%b : tensor<1x1x16x16xf16>) : tensor<1x8x16x16xf32>
  return
}

// -----

func.func @mask_alibi(%s: tensor<1x8x16x16xf32>, %a: tensor<4xf32>) {
  // expected-error @+1 {{expected alibi slopes of shape [8], got 'tensor<4xf32>'}}
  %m = attn.mask %s alibi(%a : tensor<4xf32>) : tensor<1x8x16x16xf32>
  return
}

// -----

func.func @mask_kv_lens(%s: tensor<2x8x16x16xf32>, %l: tensor<1xi32>) {
  // expected-error @+1 {{expected kv_lens of shape [2], got 'tensor<1xi32>'}}
  %m = attn.mask %s kv_lens(%l : tensor<1xi32>) : tensor<2x8x16x16xf32>
  return
}

// -----

func.func @softmax_rank0(%s: tensor<f32>) {
  // expected-error @+1 {{'attn.softmax' op expected input of rank >= 1, got rank 0}}
  %p = attn.softmax %s : tensor<f32> -> tensor<f32>
  return
}

// -----

func.func @softmax_shape(%s: tensor<2x8xf32>) {
  // expected-error @+1 {{expected result of shape [2x8], got 'tensor<2x4xf32>'}}
  %p = attn.softmax %s : tensor<2x8xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @softmax_dtype(%s: tensor<2x8xf32>) {
  // expected-error @+1 {{expected input and result to have the same element type, got 'f32' and 'f16'}}
  %p = attn.softmax %s : tensor<2x8xf32> -> tensor<2x8xf16>
  return
}

// -----

func.func @softmax_lse(%s: tensor<2x8xf32>) {
  // expected-error @+1 {{expected lse of shape [2], got 'tensor<2x8xf32>'}}
  %p, %l = attn.softmax %s : tensor<2x8xf32> -> tensor<2x8xf32>, tensor<2x8xf32>
  return
}

// -----

func.func @ws_probs_rank(%p: tensor<8x16x16xf32>, %v: tensor<1x8x16x64xf32>) {
  // expected-error @+1 {{'attn.weighted_sum' op expected probs of rank 4, got rank 3}}
  %o = attn.weighted_sum %p, %v : tensor<8x16x16xf32>, tensor<1x8x16x64xf32> -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @ws_value_rank(%p: tensor<1x8x16x16xf32>, %v: tensor<8x16x64xf32>) {
  // expected-error @+1 {{expected value of rank 4, got rank 3}}
  %o = attn.weighted_sum %p, %v : tensor<1x8x16x16xf32>, tensor<8x16x64xf32> -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @ws_result_rank(%p: tensor<1x8x16x16xf32>, %v: tensor<1x8x16x64xf32>) {
  // expected-error @+1 {{expected result of rank 4, got rank 3}}
  %o = attn.weighted_sum %p, %v : tensor<1x8x16x16xf32>, tensor<1x8x16x64xf32> -> tensor<8x16x64xf32>
  return
}

// -----

func.func @ws_result_dtype(%p: tensor<1x8x16x16xf32>, %v: tensor<1x8x16x64xf16>) {
  // expected-error @+1 {{expected value and result to have the same element type, got 'f16' and 'f32'}}
  %o = attn.weighted_sum %p, %v : tensor<1x8x16x16xf32>, tensor<1x8x16x64xf16> -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @ws_probs_dtype(%p: tensor<1x8x16x16xbf16>, %v: tensor<1x8x16x64xf16>) {
  // expected-error @+1 {{expected the probs element type to be the value's or f32, got 'bf16'}}
  %o = attn.weighted_sum %p, %v : tensor<1x8x16x16xbf16>, tensor<1x8x16x64xf16> -> tensor<1x8x16x64xf16>
  return
}

// -----

func.func @ws_batch(%p: tensor<2x8x16x16xf32>, %v: tensor<1x8x16x64xf32>) {
  // expected-error @+1 {{expected probs and value to have the same batch size, got 2 and 1}}
  %o = attn.weighted_sum %p, %v : tensor<2x8x16x16xf32>, tensor<1x8x16x64xf32> -> tensor<2x8x16x64xf32>
  return
}

// -----

func.func @ws_gqa(%p: tensor<1x6x16x16xf32>, %v: tensor<1x4x16x64xf32>) {
  // expected-error @+1 {{expected the 6 heads of probs to be a positive multiple of the 4 heads of value}}
  %o = attn.weighted_sum %p, %v : tensor<1x6x16x16xf32>, tensor<1x4x16x64xf32> -> tensor<1x6x16x64xf32>
  return
}

// -----

func.func @ws_keys(%p: tensor<1x8x16x16xf32>, %v: tensor<1x8x12x64xf32>) {
  // expected-error @+1 {{expected probs and value to have the same number of keys, got 16 and 12}}
  %o = attn.weighted_sum %p, %v : tensor<1x8x16x16xf32>, tensor<1x8x12x64xf32> -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @ws_result_shape(%p: tensor<1x8x16x12xf32>, %v: tensor<1x12x2x64xf32>) {
  // expected-error @+1 {{expected result of shape [1x16x8x64], got 'tensor<1x8x16x64xf32>'}}
  %o = attn.weighted_sum %p, %v {layout = #attn<layout bshd>} : tensor<1x8x16x12xf32>, tensor<1x12x2x64xf32> -> tensor<1x8x16x64xf32>
  return
}
