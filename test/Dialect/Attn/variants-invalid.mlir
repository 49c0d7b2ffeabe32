// RUN: attn-opt %s -split-input-file -verify-diagnostics

// One case per verifier error of attn.linformer, attn.aft and
// attn.topk_attention (the q/k/v checks they share are covered once, on
// attn.linformer).

func.func @lf_q_rank(%q: tensor<4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %e: tensor<4x8xf32>, %f: tensor<4x8xf32>) {
  // expected-error @+1 {{'attn.linformer' op expected query of rank 4, got rank 3}}
  %o = attn.linformer %q, %k, %v, %e, %f : tensor<4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<4x8xf32>, tensor<4x8xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @lf_k_rank(%q: tensor<1x4x8x16xf32>, %k: tensor<8x16xf32>, %v: tensor<1x2x8x16xf32>, %e: tensor<4x8xf32>, %f: tensor<4x8xf32>) {
  // expected-error @+1 {{expected key of rank 4, got rank 2}}
  %o = attn.linformer %q, %k, %v, %e, %f : tensor<1x4x8x16xf32>, tensor<8x16xf32>, tensor<1x2x8x16xf32>, tensor<4x8xf32>, tensor<4x8xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @lf_v_rank(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<2x8x16xf32>, %e: tensor<4x8xf32>, %f: tensor<4x8xf32>) {
  // expected-error @+1 {{expected value of rank 4, got rank 3}}
  %o = attn.linformer %q, %k, %v, %e, %f : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<2x8x16xf32>, tensor<4x8xf32>, tensor<4x8xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @lf_r_rank(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %e: tensor<4x8xf32>, %f: tensor<4x8xf32>) {
  // expected-error @+1 {{expected result of rank 4, got rank 3}}
  %o = attn.linformer %q, %k, %v, %e, %f : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8x16xf32>
  return
}

// -----

func.func @lf_k_dtype(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf16>, %v: tensor<1x2x8x16xf32>, %e: tensor<4x8xf32>, %f: tensor<4x8xf32>) {
  // expected-error @+1 {{expected query and key to have the same element type, got 'f32' and 'f16'}}
  %o = attn.linformer %q, %k, %v, %e, %f : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf16>, tensor<1x2x8x16xf32>, tensor<4x8xf32>, tensor<4x8xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @lf_v_dtype(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf64>, %e: tensor<4x8xf32>, %f: tensor<4x8xf32>) {
  // expected-error @+1 {{expected query and value to have the same element type, got 'f32' and 'f64'}}
  %o = attn.linformer %q, %k, %v, %e, %f : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf64>, tensor<4x8xf32>, tensor<4x8xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @lf_r_dtype(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %e: tensor<4x8xf32>, %f: tensor<4x8xf32>) {
  // expected-error @+1 {{expected query and result to have the same element type, got 'f32' and 'bf16'}}
  %o = attn.linformer %q, %k, %v, %e, %f : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<4x8xf32>, tensor<4x8xf32> -> tensor<1x4x8x16xbf16>
  return
}

// -----

func.func @lf_k_batch(%q: tensor<1x4x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %e: tensor<4x8xf32>, %f: tensor<4x8xf32>) {
  // expected-error @+1 {{expected query and key to have the same batch size, got 1 and 2}}
  %o = attn.linformer %q, %k, %v, %e, %f : tensor<1x4x8x16xf32>, tensor<2x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<4x8xf32>, tensor<4x8xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @lf_v_batch(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<3x2x8x16xf32>, %e: tensor<4x8xf32>, %f: tensor<4x8xf32>) {
  // expected-error @+1 {{expected query and value to have the same batch size, got 1 and 3}}
  %o = attn.linformer %q, %k, %v, %e, %f : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<3x2x8x16xf32>, tensor<4x8xf32>, tensor<4x8xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @lf_kv_heads(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x1x8x16xf32>, %e: tensor<4x8xf32>, %f: tensor<4x8xf32>) {
  // expected-error @+1 {{expected key and value to have the same number of heads, got 2 and 1}}
  %o = attn.linformer %q, %k, %v, %e, %f : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x1x8x16xf32>, tensor<4x8xf32>, tensor<4x8xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @lf_gqa(%q: tensor<1x4x8x16xf32>, %k: tensor<1x3x8x16xf32>, %v: tensor<1x3x8x16xf32>, %e: tensor<4x8xf32>, %f: tensor<4x8xf32>) {
  // expected-error @+1 {{expected the 4 heads of query to be a positive multiple of the 3 heads of key}}
  %o = attn.linformer %q, %k, %v, %e, %f : tensor<1x4x8x16xf32>, tensor<1x3x8x16xf32>, tensor<1x3x8x16xf32>, tensor<4x8xf32>, tensor<4x8xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @lf_kv_seq(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x7x16xf32>, %e: tensor<4x8xf32>, %f: tensor<4x8xf32>) {
  // expected-error @+1 {{expected key and value to have the same sequence length, got 8 and 7}}
  %o = attn.linformer %q, %k, %v, %e, %f : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x7x16xf32>, tensor<4x8xf32>, tensor<4x8xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @lf_head_dim(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x8xf32>, %v: tensor<1x2x8x16xf32>, %e: tensor<4x8xf32>, %f: tensor<4x8xf32>) {
  // expected-error @+1 {{expected query and key to have the same head dim, got 16 and 8}}
  %o = attn.linformer %q, %k, %v, %e, %f : tensor<1x4x8x16xf32>, tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32>, tensor<4x8xf32>, tensor<4x8xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @lf_result(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %e: tensor<4x8xf32>, %f: tensor<4x8xf32>) {
  // expected-error @+1 {{expected result of shape [1x4x8x16], got 'tensor<1x4x4x16xf32>'}}
  %o = attn.linformer %q, %k, %v, %e, %f : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<4x8xf32>, tensor<4x8xf32> -> tensor<1x4x4x16xf32>
  return
}

// -----

func.func @lf_e_rank(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %e: tensor<8xf32>, %f: tensor<4x8xf32>) {
  // expected-error @+1 {{expected e of rank 2, got rank 1}}
  %o = attn.linformer %q, %k, %v, %e, %f : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<8xf32>, tensor<4x8xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @lf_f_rank(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %e: tensor<4x8xf32>, %f: tensor<1x4x8xf32>) {
  // expected-error @+1 {{expected f of rank 2, got rank 3}}
  %o = attn.linformer %q, %k, %v, %e, %f : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<4x8xf32>, tensor<1x4x8xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @lf_e_dtype(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %e: tensor<4x8xf16>, %f: tensor<4x8xf16>) {
  // expected-error @+1 {{expected e and query to have the same element type, got 'f16' and 'f32'}}
  %o = attn.linformer %q, %k, %v, %e, %f : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<4x8xf16>, tensor<4x8xf16> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @lf_f_dtype(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %e: tensor<4x8xf32>, %f: tensor<4x8xf64>) {
  // expected-error @+1 {{expected f and query to have the same element type, got 'f64' and 'f32'}}
  %o = attn.linformer %q, %k, %v, %e, %f : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<4x8xf32>, tensor<4x8xf64> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @lf_f_shape(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %e: tensor<4x8xf32>, %f: tensor<2x8xf32>) {
  // expected-error @+1 {{expected f of shape [4x8], got 'tensor<2x8xf32>'}}
  %o = attn.linformer %q, %k, %v, %e, %f : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<4x8xf32>, tensor<2x8xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @lf_e_seq(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %e: tensor<4x6xf32>, %f: tensor<4x6xf32>) {
  // expected-error @+1 {{expected e and key to have the same sequence length, got 6 and 8}}
  %o = attn.linformer %q, %k, %v, %e, %f : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<4x6xf32>, tensor<4x6xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @lf_scale(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %e: tensor<4x8xf32>, %f: tensor<4x8xf32>) {
  // expected-error @+1 {{expected scale to be finite and > 0, got -0.5}}
  %o = attn.linformer %q, %k, %v, %e, %f {scale = -0.5 : f32} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<4x8xf32>, tensor<4x8xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @aft_rank(%q: tensor<1x1x4x2xf32>, %k: tensor<1x1x4x2xf32>, %v: tensor<1x1x4x2xf32>, %w: tensor<4x4xf32>) {
  // expected-error @+1 {{'attn.aft' op expected query of rank 3, got rank 4}}
  %o = attn.aft %q, %k, %v pos_bias(%w : tensor<4x4xf32>) {mode = #attn<aft_mode full>} : tensor<1x1x4x2xf32>, tensor<1x1x4x2xf32>, tensor<1x1x4x2xf32> -> tensor<1x1x4x2xf32>
  return
}

// -----

func.func @aft_k_dtype(%q: tensor<1x4x2xf32>, %k: tensor<1x4x2xf16>, %v: tensor<1x4x2xf32>, %w: tensor<4x4xf32>) {
  // expected-error @+1 {{expected query and key to have the same element type, got 'f32' and 'f16'}}
  %o = attn.aft %q, %k, %v pos_bias(%w : tensor<4x4xf32>) {mode = #attn<aft_mode full>} : tensor<1x4x2xf32>, tensor<1x4x2xf16>, tensor<1x4x2xf32> -> tensor<1x4x2xf32>
  return
}

// -----

func.func @aft_v_dtype(%q: tensor<1x4x2xf32>, %k: tensor<1x4x2xf32>, %v: tensor<1x4x2xf16>, %w: tensor<4x4xf32>) {
  // expected-error @+1 {{expected query and value to have the same element type, got 'f32' and 'f16'}}
  %o = attn.aft %q, %k, %v pos_bias(%w : tensor<4x4xf32>) {mode = #attn<aft_mode full>} : tensor<1x4x2xf32>, tensor<1x4x2xf32>, tensor<1x4x2xf16> -> tensor<1x4x2xf32>
  return
}

// -----

func.func @aft_r_dtype(%q: tensor<1x4x2xf32>, %k: tensor<1x4x2xf32>, %v: tensor<1x4x2xf32>, %w: tensor<4x4xf32>) {
  // expected-error @+1 {{expected query and result to have the same element type, got 'f32' and 'f16'}}
  %o = attn.aft %q, %k, %v pos_bias(%w : tensor<4x4xf32>) {mode = #attn<aft_mode full>} : tensor<1x4x2xf32>, tensor<1x4x2xf32>, tensor<1x4x2xf32> -> tensor<1x4x2xf16>
  return
}

// -----

func.func @aft_k_shape(%q: tensor<1x4x2xf32>, %k: tensor<1x5x2xf32>, %v: tensor<1x4x2xf32>, %w: tensor<4x4xf32>) {
  // expected-error @+1 {{expected key of shape [1x4x2], got 'tensor<1x5x2xf32>'}}
  %o = attn.aft %q, %k, %v pos_bias(%w : tensor<4x4xf32>) {mode = #attn<aft_mode full>} : tensor<1x4x2xf32>, tensor<1x5x2xf32>, tensor<1x4x2xf32> -> tensor<1x4x2xf32>
  return
}

// -----

func.func @aft_v_shape(%q: tensor<1x4x2xf32>, %k: tensor<1x4x2xf32>, %v: tensor<1x4x3xf32>, %w: tensor<4x4xf32>) {
  // expected-error @+1 {{expected value of shape [1x4x2], got 'tensor<1x4x3xf32>'}}
  %o = attn.aft %q, %k, %v pos_bias(%w : tensor<4x4xf32>) {mode = #attn<aft_mode full>} : tensor<1x4x2xf32>, tensor<1x4x2xf32>, tensor<1x4x3xf32> -> tensor<1x4x2xf32>
  return
}

// -----

func.func @aft_r_shape(%q: tensor<1x4x2xf32>, %k: tensor<1x4x2xf32>, %v: tensor<1x4x2xf32>, %w: tensor<4x4xf32>) {
  // expected-error @+1 {{expected result of shape [1x4x2], got 'tensor<2x4x2xf32>'}}
  %o = attn.aft %q, %k, %v pos_bias(%w : tensor<4x4xf32>) {mode = #attn<aft_mode full>} : tensor<1x4x2xf32>, tensor<1x4x2xf32>, tensor<1x4x2xf32> -> tensor<2x4x2xf32>
  return
}

// -----

func.func @aft_simple_w(%q: tensor<1x4x2xf32>, %k: tensor<1x4x2xf32>, %v: tensor<1x4x2xf32>, %w: tensor<4x4xf32>) {
  // expected-error @+1 {{expected no pos_bias in simple mode}}
  %o = attn.aft %q, %k, %v pos_bias(%w : tensor<4x4xf32>) {mode = #attn<aft_mode simple>} : tensor<1x4x2xf32>, tensor<1x4x2xf32>, tensor<1x4x2xf32> -> tensor<1x4x2xf32>
  return
}

// -----

func.func @aft_w_shape(%q: tensor<1x4x2xf32>, %k: tensor<1x4x2xf32>, %v: tensor<1x4x2xf32>, %w: tensor<4x3xf32>) {
  // expected-error @+1 {{expected pos_bias of shape [4x4], got 'tensor<4x3xf32>'}}
  %o = attn.aft %q, %k, %v pos_bias(%w : tensor<4x3xf32>) {mode = #attn<aft_mode full>} : tensor<1x4x2xf32>, tensor<1x4x2xf32>, tensor<1x4x2xf32> -> tensor<1x4x2xf32>
  return
}

// -----

func.func @aft_w_dtype(%q: tensor<1x4x2xf32>, %k: tensor<1x4x2xf32>, %v: tensor<1x4x2xf32>, %w: tensor<4x4xf16>) {
  // expected-error @+1 {{expected pos_bias and query to have the same element type, got 'f16' and 'f32'}}
  %o = attn.aft %q, %k, %v pos_bias(%w : tensor<4x4xf16>) {mode = #attn<aft_mode full>} : tensor<1x4x2xf32>, tensor<1x4x2xf32>, tensor<1x4x2xf32> -> tensor<1x4x2xf32>
  return
}

// -----

func.func @aft_full_no_w(%q: tensor<1x4x2xf32>, %k: tensor<1x4x2xf32>, %v: tensor<1x4x2xf32>) {
  // expected-error @+1 {{expected pos_bias in full mode}}
  %o = attn.aft %q, %k, %v {mode = #attn<aft_mode full>} : tensor<1x4x2xf32>, tensor<1x4x2xf32>, tensor<1x4x2xf32> -> tensor<1x4x2xf32>
  return
}

// -----

func.func @aft_local_no_w(%q: tensor<1x4x2xf32>, %k: tensor<1x4x2xf32>, %v: tensor<1x4x2xf32>) {
  // expected-error @+1 {{expected pos_bias in local mode}}
  %o = attn.aft %q, %k, %v {mode = #attn<aft_mode local>, window = 2} : tensor<1x4x2xf32>, tensor<1x4x2xf32>, tensor<1x4x2xf32> -> tensor<1x4x2xf32>
  return
}

// -----

func.func @aft_local_no_window(%q: tensor<1x4x2xf32>, %k: tensor<1x4x2xf32>, %v: tensor<1x4x2xf32>, %w: tensor<4x4xf32>) {
  // expected-error @+1 {{expected a window in local mode}}
  %o = attn.aft %q, %k, %v pos_bias(%w : tensor<4x4xf32>) {mode = #attn<aft_mode local>} : tensor<1x4x2xf32>, tensor<1x4x2xf32>, tensor<1x4x2xf32> -> tensor<1x4x2xf32>
  return
}

// -----

func.func @aft_local_window(%q: tensor<1x4x2xf32>, %k: tensor<1x4x2xf32>, %v: tensor<1x4x2xf32>, %w: tensor<4x4xf32>) {
  // expected-error @+1 {{expected window >= 1, got 0}}
  %o = attn.aft %q, %k, %v pos_bias(%w : tensor<4x4xf32>) {mode = #attn<aft_mode local>, window = 0} : tensor<1x4x2xf32>, tensor<1x4x2xf32>, tensor<1x4x2xf32> -> tensor<1x4x2xf32>
  return
}

// -----

func.func @aft_full_window(%q: tensor<1x4x2xf32>, %k: tensor<1x4x2xf32>, %v: tensor<1x4x2xf32>, %w: tensor<4x4xf32>) {
  // expected-error @+1 {{expected no window in full mode}}
  %o = attn.aft %q, %k, %v pos_bias(%w : tensor<4x4xf32>) {mode = #attn<aft_mode full>, window = 2} : tensor<1x4x2xf32>, tensor<1x4x2xf32>, tensor<1x4x2xf32> -> tensor<1x4x2xf32>
  return
}

// -----

func.func @aft_simple_window(%q: tensor<1x4x2xf32>, %k: tensor<1x4x2xf32>, %v: tensor<1x4x2xf32>) {
  // expected-error @+1 {{expected no window in simple mode}}
  %o = attn.aft %q, %k, %v {mode = #attn<aft_mode simple>, window = 2} : tensor<1x4x2xf32>, tensor<1x4x2xf32>, tensor<1x4x2xf32> -> tensor<1x4x2xf32>
  return
}

// -----

func.func @topk_rank(%q: tensor<4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{'attn.topk_attention' op expected query of rank 4, got rank 3}}
  %o = attn.topk_attention %q, %k, %v {k = 2 : i64} : tensor<4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @topk_gqa(%q: tensor<1x4x8x16xf32>, %k: tensor<1x3x8x16xf32>, %v: tensor<1x3x8x16xf32>) {
  // expected-error @+1 {{expected the 4 heads of query to be a positive multiple of the 3 heads of key}}
  %o = attn.topk_attention %q, %k, %v {k = 2 : i64} : tensor<1x4x8x16xf32>, tensor<1x3x8x16xf32>, tensor<1x3x8x16xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @topk_k_zero(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{expected k >= 1, got 0}}
  %o = attn.topk_attention %q, %k, %v {k = 0 : i64} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @topk_k_neg(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{expected k >= 1, got -3}}
  %o = attn.topk_attention %q, %k, %v {k = -3 : i64} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @topk_k_big(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{expected k <= 8 (the number of keys), got 9}}
  %o = attn.topk_attention %q, %k, %v {k = 9 : i64} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
  return
}

// -----

func.func @topk_scale(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) {
  // expected-error @+1 {{expected scale to be finite and > 0, got 0}}
  %o = attn.topk_attention %q, %k, %v {k = 2 : i64, scale = 0.0 : f32} : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x4x8x16xf32>
  return
}
