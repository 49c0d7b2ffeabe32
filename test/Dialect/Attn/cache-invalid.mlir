// RUN: attn-opt %s -split-input-file -verify-diagnostics

// One case per verifier error of attn.kv_cache_append,
// attn.paged_attention and attn.paged_gather.

func.func @append_kc_rank(%kc: tensor<16x8x128xf16>, %vc: tensor<64x16x8x128xf16>, %k: tensor<2x4x8x128xf16>, %v: tensor<2x4x8x128xf16>, %t: tensor<2x8xi32>, %l: tensor<2xi32>) {
  // expected-error @+1 {{'attn.kv_cache_append' op expected k_cache of rank 4, got rank 3}}
  %kc2, %vc2 = attn.kv_cache_append %kc, %vc, %k, %v, %t, %l : tensor<16x8x128xf16>, tensor<64x16x8x128xf16>, tensor<2x4x8x128xf16>, tensor<2x4x8x128xf16>, tensor<2x8xi32>, tensor<2xi32>
  return
}

// -----

func.func @append_vc_rank(%kc: tensor<64x16x8x128xf16>, %vc: tensor<16x8x128xf16>, %k: tensor<2x4x8x128xf16>, %v: tensor<2x4x8x128xf16>, %t: tensor<2x8xi32>, %l: tensor<2xi32>) {
  // expected-error @+1 {{expected v_cache of rank 4, got rank 3}}
  %kc2, %vc2 = attn.kv_cache_append %kc, %vc, %k, %v, %t, %l : tensor<64x16x8x128xf16>, tensor<16x8x128xf16>, tensor<2x4x8x128xf16>, tensor<2x4x8x128xf16>, tensor<2x8xi32>, tensor<2xi32>
  return
}

// -----

func.func @append_block_dynamic(%kc: tensor<64x?x8x128xf16>, %vc: tensor<64x?x8x128xf16>, %k: tensor<2x4x8x128xf16>, %v: tensor<2x4x8x128xf16>, %t: tensor<2x8xi32>, %l: tensor<2xi32>) {
  // expected-error @+1 {{expected a static block size in k_cache, got ?}}
  %kc2, %vc2 = attn.kv_cache_append %kc, %vc, %k, %v, %t, %l : tensor<64x?x8x128xf16>, tensor<64x?x8x128xf16>, tensor<2x4x8x128xf16>, tensor<2x4x8x128xf16>, tensor<2x8xi32>, tensor<2xi32>
  return
}

// -----

func.func @append_block_pow2(%kc: tensor<64x12x8x128xf16>, %vc: tensor<64x12x8x128xf16>, %k: tensor<2x4x8x128xf16>, %v: tensor<2x4x8x128xf16>, %t: tensor<2x8xi32>, %l: tensor<2xi32>) {
  // expected-error @+1 {{expected a block size that is a power of two in [1, 256], got 12}}
  %kc2, %vc2 = attn.kv_cache_append %kc, %vc, %k, %v, %t, %l : tensor<64x12x8x128xf16>, tensor<64x12x8x128xf16>, tensor<2x4x8x128xf16>, tensor<2x4x8x128xf16>, tensor<2x8xi32>, tensor<2xi32>
  return
}

// -----

func.func @append_block_big(%kc: tensor<64x512x8x128xf16>, %vc: tensor<64x512x8x128xf16>, %k: tensor<2x4x8x128xf16>, %v: tensor<2x4x8x128xf16>, %t: tensor<2x8xi32>, %l: tensor<2xi32>) {
  // expected-error @+1 {{expected a block size that is a power of two in [1, 256], got 512}}
  %kc2, %vc2 = attn.kv_cache_append %kc, %vc, %k, %v, %t, %l : tensor<64x512x8x128xf16>, tensor<64x512x8x128xf16>, tensor<2x4x8x128xf16>, tensor<2x4x8x128xf16>, tensor<2x8xi32>, tensor<2xi32>
  return
}

// -----

func.func @append_num_blocks(%kc: tensor<64x16x8x128xf16>, %vc: tensor<32x16x8x128xf16>, %k: tensor<2x4x8x128xf16>, %v: tensor<2x4x8x128xf16>, %t: tensor<2x8xi32>, %l: tensor<2xi32>) {
  // expected-error @+1 {{expected k_cache and v_cache to have the same number of blocks, got 64 and 32}}
  %kc2, %vc2 = attn.kv_cache_append %kc, %vc, %k, %v, %t, %l : tensor<64x16x8x128xf16>, tensor<32x16x8x128xf16>, tensor<2x4x8x128xf16>, tensor<2x4x8x128xf16>, tensor<2x8xi32>, tensor<2xi32>
  return
}

// -----

func.func @append_block_sizes(%kc: tensor<64x16x8x128xf16>, %vc: tensor<64x8x8x128xf16>, %k: tensor<2x4x8x128xf16>, %v: tensor<2x4x8x128xf16>, %t: tensor<2x8xi32>, %l: tensor<2xi32>) {
  // expected-error @+1 {{expected k_cache and v_cache to have the same block size, got 16 and 8}}
  %kc2, %vc2 = attn.kv_cache_append %kc, %vc, %k, %v, %t, %l : tensor<64x16x8x128xf16>, tensor<64x8x8x128xf16>, tensor<2x4x8x128xf16>, tensor<2x4x8x128xf16>, tensor<2x8xi32>, tensor<2xi32>
  return
}

// -----

func.func @append_pool_heads(%kc: tensor<64x16x8x128xf16>, %vc: tensor<64x16x4x128xf16>, %k: tensor<2x4x8x128xf16>, %v: tensor<2x4x8x128xf16>, %t: tensor<2x8xi32>, %l: tensor<2xi32>) {
  // expected-error @+1 {{expected k_cache and v_cache to have the same number of heads, got 8 and 4}}
  %kc2, %vc2 = attn.kv_cache_append %kc, %vc, %k, %v, %t, %l : tensor<64x16x8x128xf16>, tensor<64x16x4x128xf16>, tensor<2x4x8x128xf16>, tensor<2x4x8x128xf16>, tensor<2x8xi32>, tensor<2xi32>
  return
}

// -----

func.func @append_knew_rank(%kc: tensor<64x16x8x128xf16>, %vc: tensor<64x16x8x128xf16>, %k: tensor<4x8x128xf16>, %v: tensor<2x4x8x128xf16>, %t: tensor<2x8xi32>, %l: tensor<2xi32>) {
  // expected-error @+1 {{expected k_new of rank 4, got rank 3}}
  %kc2, %vc2 = attn.kv_cache_append %kc, %vc, %k, %v, %t, %l : tensor<64x16x8x128xf16>, tensor<64x16x8x128xf16>, tensor<4x8x128xf16>, tensor<2x4x8x128xf16>, tensor<2x8xi32>, tensor<2xi32>
  return
}

// -----

func.func @append_vnew_rank(%kc: tensor<64x16x8x128xf16>, %vc: tensor<64x16x8x128xf16>, %k: tensor<2x4x8x128xf16>, %v: tensor<4x8x128xf16>, %t: tensor<2x8xi32>, %l: tensor<2xi32>) {
  // expected-error @+1 {{expected v_new of rank 4, got rank 3}}
  %kc2, %vc2 = attn.kv_cache_append %kc, %vc, %k, %v, %t, %l : tensor<64x16x8x128xf16>, tensor<64x16x8x128xf16>, tensor<2x4x8x128xf16>, tensor<4x8x128xf16>, tensor<2x8xi32>, tensor<2xi32>
  return
}

// -----

func.func @append_pool_dtype(%kc: tensor<64x16x8x128xf16>, %vc: tensor<64x16x8x128xf32>, %k: tensor<2x4x8x128xf16>, %v: tensor<2x4x8x128xf16>, %t: tensor<2x8xi32>, %l: tensor<2xi32>) {
  // expected-error @+1 {{expected k_cache and v_cache to have the same element type, got 'f16' and 'f32'}}
  %kc2, %vc2 = attn.kv_cache_append %kc, %vc, %k, %v, %t, %l : tensor<64x16x8x128xf16>, tensor<64x16x8x128xf32>, tensor<2x4x8x128xf16>, tensor<2x4x8x128xf16>, tensor<2x8xi32>, tensor<2xi32>
  return
}

// -----

func.func @append_knew_dtype(%kc: tensor<64x16x8x128xf16>, %vc: tensor<64x16x8x128xf16>, %k: tensor<2x4x8x128xi8>, %v: tensor<2x4x8x128xf16>, %t: tensor<2x8xi32>, %l: tensor<2xi32>) {
  // expected-error @+1 {{expected k_new and k_cache to have the same element type, got 'i8' and 'f16'}}
  %kc2, %vc2 = attn.kv_cache_append %kc, %vc, %k, %v, %t, %l : tensor<64x16x8x128xf16>, tensor<64x16x8x128xf16>, tensor<2x4x8x128xi8>, tensor<2x4x8x128xf16>, tensor<2x8xi32>, tensor<2xi32>
  return
}

// -----

func.func @append_vnew_dtype(%kc: tensor<64x16x8x128xf16>, %vc: tensor<64x16x8x128xf16>, %k: tensor<2x4x8x128xf16>, %v: tensor<2x4x8x128xf32>, %t: tensor<2x8xi32>, %l: tensor<2xi32>) {
  // expected-error @+1 {{expected v_new and v_cache to have the same element type, got 'f32' and 'f16'}}
  %kc2, %vc2 = attn.kv_cache_append %kc, %vc, %k, %v, %t, %l : tensor<64x16x8x128xf16>, tensor<64x16x8x128xf16>, tensor<2x4x8x128xf16>, tensor<2x4x8x128xf32>, tensor<2x8xi32>, tensor<2xi32>
  return
}

// -----

func.func @append_batch(%kc: tensor<64x16x8x128xf16>, %vc: tensor<64x16x8x128xf16>, %k: tensor<2x4x8x128xf16>, %v: tensor<3x4x8x128xf16>, %t: tensor<2x8xi32>, %l: tensor<2xi32>) {
  // expected-error @+1 {{expected k_new and v_new to have the same batch size, got 2 and 3}}
  %kc2, %vc2 = attn.kv_cache_append %kc, %vc, %k, %v, %t, %l : tensor<64x16x8x128xf16>, tensor<64x16x8x128xf16>, tensor<2x4x8x128xf16>, tensor<3x4x8x128xf16>, tensor<2x8xi32>, tensor<2xi32>
  return
}

// -----

func.func @append_num_new(%kc: tensor<64x16x8x128xf16>, %vc: tensor<64x16x8x128xf16>, %k: tensor<2x4x8x128xf16>, %v: tensor<2x5x8x128xf16>, %t: tensor<2x8xi32>, %l: tensor<2xi32>) {
  // expected-error @+1 {{expected k_new and v_new to have the same number of new tokens, got 4 and 5}}
  %kc2, %vc2 = attn.kv_cache_append %kc, %vc, %k, %v, %t, %l : tensor<64x16x8x128xf16>, tensor<64x16x8x128xf16>, tensor<2x4x8x128xf16>, tensor<2x5x8x128xf16>, tensor<2x8xi32>, tensor<2xi32>
  return
}

// -----

func.func @append_knew_heads(%kc: tensor<64x16x8x128xf16>, %vc: tensor<64x16x8x128xf16>, %k: tensor<2x4x4x128xf16>, %v: tensor<2x4x8x128xf16>, %t: tensor<2x8xi32>, %l: tensor<2xi32>) {
  // expected-error @+1 {{expected k_new and k_cache to have the same number of heads, got 4 and 8}}
  %kc2, %vc2 = attn.kv_cache_append %kc, %vc, %k, %v, %t, %l : tensor<64x16x8x128xf16>, tensor<64x16x8x128xf16>, tensor<2x4x4x128xf16>, tensor<2x4x8x128xf16>, tensor<2x8xi32>, tensor<2xi32>
  return
}

// -----

func.func @append_vnew_heads(%kc: tensor<64x16x8x128xf16>, %vc: tensor<64x16x8x128xf16>, %k: tensor<2x4x8x128xf16>, %v: tensor<2x4x2x128xf16>, %t: tensor<2x8xi32>, %l: tensor<2xi32>) {
  // expected-error @+1 {{expected v_new and v_cache to have the same number of heads, got 2 and 8}}
  %kc2, %vc2 = attn.kv_cache_append %kc, %vc, %k, %v, %t, %l : tensor<64x16x8x128xf16>, tensor<64x16x8x128xf16>, tensor<2x4x8x128xf16>, tensor<2x4x2x128xf16>, tensor<2x8xi32>, tensor<2xi32>
  return
}

// -----

func.func @append_knew_dim(%kc: tensor<64x16x8x128xf16>, %vc: tensor<64x16x8x128xf16>, %k: tensor<2x4x8x64xf16>, %v: tensor<2x4x8x128xf16>, %t: tensor<2x8xi32>, %l: tensor<2xi32>) {
  // expected-error @+1 {{expected k_new and k_cache to have the same head dim, got 64 and 128}}
  %kc2, %vc2 = attn.kv_cache_append %kc, %vc, %k, %v, %t, %l : tensor<64x16x8x128xf16>, tensor<64x16x8x128xf16>, tensor<2x4x8x64xf16>, tensor<2x4x8x128xf16>, tensor<2x8xi32>, tensor<2xi32>
  return
}

// -----

func.func @append_vnew_dim(%kc: tensor<64x16x8x128xf16>, %vc: tensor<64x16x8x128xf16>, %k: tensor<2x4x8x128xf16>, %v: tensor<2x4x8x64xf16>, %t: tensor<2x8xi32>, %l: tensor<2xi32>) {
  // expected-error @+1 {{expected v_new and v_cache to have the same head dim, got 64 and 128}}
  %kc2, %vc2 = attn.kv_cache_append %kc, %vc, %k, %v, %t, %l : tensor<64x16x8x128xf16>, tensor<64x16x8x128xf16>, tensor<2x4x8x128xf16>, tensor<2x4x8x64xf16>, tensor<2x8xi32>, tensor<2xi32>
  return
}

// -----

func.func @append_hnd_heads(%kc: tensor<64x16x8x128xf16>, %vc: tensor<64x16x8x128xf16>, %k: tensor<2x4x8x128xf16>, %v: tensor<2x4x8x128xf16>, %t: tensor<2x8xi32>, %l: tensor<2xi32>) {
  // expected-error @+1 {{expected k_new and k_cache to have the same number of heads, got 8 and 16}}
  %kc2, %vc2 = attn.kv_cache_append %kc, %vc, %k, %v, %t, %l {cache_layout = #attn<cache_layout hnd>} : tensor<64x16x8x128xf16>, tensor<64x16x8x128xf16>, tensor<2x4x8x128xf16>, tensor<2x4x8x128xf16>, tensor<2x8xi32>, tensor<2xi32>
  return
}

// -----

func.func @append_table_rank(%kc: tensor<64x16x8x128xf16>, %vc: tensor<64x16x8x128xf16>, %k: tensor<2x4x8x128xf16>, %v: tensor<2x4x8x128xf16>, %t: tensor<16xi32>, %l: tensor<2xi32>) {
  // expected-error @+1 {{expected block_table of rank 2, got rank 1}}
  %kc2, %vc2 = attn.kv_cache_append %kc, %vc, %k, %v, %t, %l : tensor<64x16x8x128xf16>, tensor<64x16x8x128xf16>, tensor<2x4x8x128xf16>, tensor<2x4x8x128xf16>, tensor<16xi32>, tensor<2xi32>
  return
}

// -----

func.func @append_table_batch(%kc: tensor<64x16x8x128xf16>, %vc: tensor<64x16x8x128xf16>, %k: tensor<2x4x8x128xf16>, %v: tensor<2x4x8x128xf16>, %t: tensor<3x8xi32>, %l: tensor<2xi32>) {
  // expected-error @+1 {{expected block_table and k_new to have the same batch size, got 3 and 2}}
  %kc2, %vc2 = attn.kv_cache_append %kc, %vc, %k, %v, %t, %l : tensor<64x16x8x128xf16>, tensor<64x16x8x128xf16>, tensor<2x4x8x128xf16>, tensor<2x4x8x128xf16>, tensor<3x8xi32>, tensor<2xi32>
  return
}

// -----

func.func @append_lens(%kc: tensor<64x16x8x128xf16>, %vc: tensor<64x16x8x128xf16>, %k: tensor<2x4x8x128xf16>, %v: tensor<2x4x8x128xf16>, %t: tensor<2x8xi32>, %l: tensor<3xi32>) {
  // expected-error @+1 {{expected cache_lens of shape [2], got 'tensor<3xi32>'}}
  %kc2, %vc2 = attn.kv_cache_append %kc, %vc, %k, %v, %t, %l : tensor<64x16x8x128xf16>, tensor<64x16x8x128xf16>, tensor<2x4x8x128xf16>, tensor<2x4x8x128xf16>, tensor<2x8xi32>, tensor<3xi32>
  return
}

// -----

func.func @append_new_lens(%kc: tensor<64x16x8x128xf16>, %vc: tensor<64x16x8x128xf16>, %k: tensor<2x4x8x128xf16>, %v: tensor<2x4x8x128xf16>, %t: tensor<2x8xi32>, %l: tensor<2xi32>, %n: tensor<2x1xi32>) {
  // expected-error @+1 {{expected new_lens of shape [2], got 'tensor<2x1xi32>'}}
  %kc2, %vc2 = attn.kv_cache_append %kc, %vc, %k, %v, %t, %l new_lens(%n : tensor<2x1xi32>) : tensor<64x16x8x128xf16>, tensor<64x16x8x128xf16>, tensor<2x4x8x128xf16>, tensor<2x4x8x128xf16>, tensor<2x8xi32>, tensor<2xi32>
  return
}

// -----

func.func @paged_q_rank(%q: tensor<8x1x64xf32>, %kc: tensor<32x16x2x64xf32>, %vc: tensor<32x16x2x64xf32>, %t: tensor<2x4xi32>, %ctx: tensor<2xi32>) {
  // expected-error @+1 {{'attn.paged_attention' op expected query of rank 4, got rank 3}}
  %o = attn.paged_attention %q, %kc, %vc, %t, %ctx : tensor<8x1x64xf32>, tensor<32x16x2x64xf32>, tensor<32x16x2x64xf32>, tensor<2x4xi32>, tensor<2xi32> -> tensor<2x8x1x64xf32>
  return
}

// -----

func.func @paged_pool_rank(%q: tensor<2x8x1x64xf32>, %kc: tensor<32x16x2x64xf32>, %vc: tensor<1x32x16x2x64xf32>, %t: tensor<2x4xi32>, %ctx: tensor<2xi32>) {
  // expected-error @+1 {{expected v_cache of rank 4, got rank 5}}
  %o = attn.paged_attention %q, %kc, %vc, %t, %ctx : tensor<2x8x1x64xf32>, tensor<32x16x2x64xf32>, tensor<1x32x16x2x64xf32>, tensor<2x4xi32>, tensor<2xi32> -> tensor<2x8x1x64xf32>
  return
}

// -----

func.func @paged_block_pow2(%q: tensor<2x8x1x64xf32>, %kc: tensor<32x6x2x64xf32>, %vc: tensor<32x6x2x64xf32>, %t: tensor<2x4xi32>, %ctx: tensor<2xi32>) {
  // expected-error @+1 {{expected a block size that is a power of two in [1, 256], got 6}}
  %o = attn.paged_attention %q, %kc, %vc, %t, %ctx : tensor<2x8x1x64xf32>, tensor<32x6x2x64xf32>, tensor<32x6x2x64xf32>, tensor<2x4xi32>, tensor<2xi32> -> tensor<2x8x1x64xf32>
  return
}

// -----

func.func @paged_pool_dtype(%q: tensor<2x8x1x64xf32>, %kc: tensor<32x16x2x64xf32>, %vc: tensor<32x16x2x64xf16>, %t: tensor<2x4xi32>, %ctx: tensor<2xi32>) {
  // expected-error @+1 {{expected k_cache and v_cache to have the same element type, got 'f32' and 'f16'}}
  %o = attn.paged_attention %q, %kc, %vc, %t, %ctx : tensor<2x8x1x64xf32>, tensor<32x16x2x64xf32>, tensor<32x16x2x64xf16>, tensor<2x4xi32>, tensor<2xi32> -> tensor<2x8x1x64xf32>
  return
}

// -----

func.func @paged_result_dtype(%q: tensor<2x8x1x64xf32>, %kc: tensor<32x16x2x64xf32>, %vc: tensor<32x16x2x64xf32>, %t: tensor<2x4xi32>, %ctx: tensor<2xi32>) {
  // expected-error @+1 {{expected query and result to have the same element type, got 'f32' and 'f16'}}
  %o = attn.paged_attention %q, %kc, %vc, %t, %ctx : tensor<2x8x1x64xf32>, tensor<32x16x2x64xf32>, tensor<32x16x2x64xf32>, tensor<2x4xi32>, tensor<2xi32> -> tensor<2x8x1x64xf16>
  return
}

// -----

func.func @paged_int8_no_quant(%q: tensor<2x8x1x64xf32>, %kc: tensor<32x16x2x64xi8>, %vc: tensor<32x16x2x64xi8>, %t: tensor<2x4xi32>, %ctx: tensor<2xi32>) {
  // expected-error @+1 {{expected kv_quant for the quantized cache element type 'i8'}}
  %o = attn.paged_attention %q, %kc, %vc, %t, %ctx : tensor<2x8x1x64xf32>, tensor<32x16x2x64xi8>, tensor<32x16x2x64xi8>, tensor<2x4xi32>, tensor<2xi32> -> tensor<2x8x1x64xf32>
  return
}

// -----

func.func @paged_fp8_no_quant(%q: tensor<2x8x1x64xf32>, %kc: tensor<32x16x2x64xf8E5M2>, %vc: tensor<32x16x2x64xf8E5M2>, %t: tensor<2x4xi32>, %ctx: tensor<2xi32>) {
  // expected-error @+1 {{expected kv_quant for the quantized cache element type 'f8E5M2'}}
  %o = attn.paged_attention %q, %kc, %vc, %t, %ctx : tensor<2x8x1x64xf32>, tensor<32x16x2x64xf8E5M2>, tensor<32x16x2x64xf8E5M2>, tensor<2x4xi32>, tensor<2xi32> -> tensor<2x8x1x64xf32>
  return
}

// -----

func.func @paged_float_dtype(%q: tensor<2x8x1x64xf32>, %kc: tensor<32x16x2x64xf16>, %vc: tensor<32x16x2x64xf16>, %t: tensor<2x4xi32>, %ctx: tensor<2xi32>) {
  // expected-error @+1 {{expected query and k_cache to have the same element type, got 'f32' and 'f16'}}
  %o = attn.paged_attention %q, %kc, %vc, %t, %ctx : tensor<2x8x1x64xf32>, tensor<32x16x2x64xf16>, tensor<32x16x2x64xf16>, tensor<2x4xi32>, tensor<2xi32> -> tensor<2x8x1x64xf32>
  return
}

// -----

func.func @paged_scale_no_quant(%q: tensor<2x8x1x64xf32>, %kc: tensor<32x16x2x64xf32>, %vc: tensor<32x16x2x64xf32>, %t: tensor<2x4xi32>, %ctx: tensor<2xi32>, %k_scale: tensor<f32>, %v_scale: tensor<f32>) {
  // expected-error @+1 {{expected no scales or zero points without kv_quant}}
  %o = attn.paged_attention %q, %kc, %vc, %t, %ctx k_scale(%k_scale : tensor<f32>) v_scale(%v_scale : tensor<f32>) : tensor<2x8x1x64xf32>, tensor<32x16x2x64xf32>, tensor<32x16x2x64xf32>, tensor<2x4xi32>, tensor<2xi32> -> tensor<2x8x1x64xf32>
  return
}

// -----

func.func @paged_storage(%q: tensor<2x8x1x64xf32>, %kc: tensor<32x16x2x64xf8E4M3FN>, %vc: tensor<32x16x2x64xf8E4M3FN>, %t: tensor<2x4xi32>, %ctx: tensor<2xi32>, %k_scale: tensor<f32>, %v_scale: tensor<f32>) {
  // expected-error @+1 {{expected the cache element type 'i8' of kv_quant #attn.quant<int8_sym, per_tensor>, got 'f8E4M3FN'}}
  %o = attn.paged_attention %q, %kc, %vc, %t, %ctx k_scale(%k_scale : tensor<f32>) v_scale(%v_scale : tensor<f32>) {kv_quant = #attn.quant<int8_sym, per_tensor>} : tensor<2x8x1x64xf32>, tensor<32x16x2x64xf8E4M3FN>, tensor<32x16x2x64xf8E4M3FN>, tensor<2x4xi32>, tensor<2xi32> -> tensor<2x8x1x64xf32>
  return
}

// -----

func.func @paged_missing_scale(%q: tensor<2x8x1x64xf32>, %kc: tensor<32x16x2x64xi8>, %vc: tensor<32x16x2x64xi8>, %t: tensor<2x4xi32>, %ctx: tensor<2xi32>, %k_scale: tensor<f32>) {
  // expected-error @+1 {{expected k_scale and v_scale with kv_quant}}
  %o = attn.paged_attention %q, %kc, %vc, %t, %ctx k_scale(%k_scale : tensor<f32>) {kv_quant = #attn.quant<int8_sym, per_tensor>} : tensor<2x8x1x64xf32>, tensor<32x16x2x64xi8>, tensor<32x16x2x64xi8>, tensor<2x4xi32>, tensor<2xi32> -> tensor<2x8x1x64xf32>
  return
}

// -----

func.func @paged_missing_zp(%q: tensor<2x8x1x64xf32>, %kc: tensor<32x16x2x64xi8>, %vc: tensor<32x16x2x64xi8>, %t: tensor<2x4xi32>, %ctx: tensor<2xi32>, %k_scale: tensor<f32>, %v_scale: tensor<f32>) {
  // expected-error @+1 {{expected k_zero_point and v_zero_point for int8_asym}}
  %o = attn.paged_attention %q, %kc, %vc, %t, %ctx k_scale(%k_scale : tensor<f32>) v_scale(%v_scale : tensor<f32>) {kv_quant = #attn.quant<int8_asym, per_tensor>} : tensor<2x8x1x64xf32>, tensor<32x16x2x64xi8>, tensor<32x16x2x64xi8>, tensor<2x4xi32>, tensor<2xi32> -> tensor<2x8x1x64xf32>
  return
}

// -----

func.func @paged_extra_zp(%q: tensor<2x8x1x64xf32>, %kc: tensor<32x16x2x64xi8>, %vc: tensor<32x16x2x64xi8>, %t: tensor<2x4xi32>, %ctx: tensor<2xi32>, %k_scale: tensor<f32>, %v_scale: tensor<f32>, %k_zero_point: tensor<i32>, %v_zero_point: tensor<i32>) {
  // expected-error @+1 {{expected no zero points for int8_sym}}
  %o = attn.paged_attention %q, %kc, %vc, %t, %ctx k_scale(%k_scale : tensor<f32>) v_scale(%v_scale : tensor<f32>) k_zero_point(%k_zero_point : tensor<i32>) v_zero_point(%v_zero_point : tensor<i32>) {kv_quant = #attn.quant<int8_sym, per_tensor>} : tensor<2x8x1x64xf32>, tensor<32x16x2x64xi8>, tensor<32x16x2x64xi8>, tensor<2x4xi32>, tensor<2xi32> -> tensor<2x8x1x64xf32>
  return
}

// -----

func.func @paged_head_axis(%q: tensor<2x8x1x64xf32>, %kc: tensor<32x16x2x64xi8>, %vc: tensor<32x16x2x64xi8>, %t: tensor<2x4xi32>, %ctx: tensor<2xi32>, %k_scale: tensor<2xf32>, %v_scale: tensor<2xf32>) {
  // expected-error @+1 {{expected per_head kv_quant axis 2 (the cache's head dim), got 1}}
  %o = attn.paged_attention %q, %kc, %vc, %t, %ctx k_scale(%k_scale : tensor<2xf32>) v_scale(%v_scale : tensor<2xf32>) {kv_quant = #attn.quant<int8_sym, per_head, axis = 1>} : tensor<2x8x1x64xf32>, tensor<32x16x2x64xi8>, tensor<32x16x2x64xi8>, tensor<2x4xi32>, tensor<2xi32> -> tensor<2x8x1x64xf32>
  return
}

// -----

func.func @paged_scale_tensor(%q: tensor<2x8x1x64xf32>, %kc: tensor<32x16x2x64xi8>, %vc: tensor<32x16x2x64xi8>, %t: tensor<2x4xi32>, %ctx: tensor<2xi32>, %k_scale: tensor<2xf32>, %v_scale: tensor<f32>) {
  // expected-error @+1 {{expected k_scale of rank 0 or shape [1] for per_tensor quantization, got 'tensor<2xf32>'}}
  %o = attn.paged_attention %q, %kc, %vc, %t, %ctx k_scale(%k_scale : tensor<2xf32>) v_scale(%v_scale : tensor<f32>) {kv_quant = #attn.quant<int8_sym, per_tensor>} : tensor<2x8x1x64xf32>, tensor<32x16x2x64xi8>, tensor<32x16x2x64xi8>, tensor<2x4xi32>, tensor<2xi32> -> tensor<2x8x1x64xf32>
  return
}

// -----

func.func @paged_scale_head(%q: tensor<2x8x1x64xf32>, %kc: tensor<32x16x2x64xi8>, %vc: tensor<32x16x2x64xi8>, %t: tensor<2x4xi32>, %ctx: tensor<2xi32>, %k_scale: tensor<2xf32>, %v_scale: tensor<16xf32>) {
  // expected-error @+1 {{expected v_scale of shape [2], got 'tensor<16xf32>'}}
  %o = attn.paged_attention %q, %kc, %vc, %t, %ctx k_scale(%k_scale : tensor<2xf32>) v_scale(%v_scale : tensor<16xf32>) {kv_quant = #attn.quant<int8_sym, per_head, axis = 2>} : tensor<2x8x1x64xf32>, tensor<32x16x2x64xi8>, tensor<32x16x2x64xi8>, tensor<2x4xi32>, tensor<2xi32> -> tensor<2x8x1x64xf32>
  return
}

// -----

func.func @paged_scale_token(%q: tensor<2x8x1x64xf32>, %kc: tensor<32x16x2x64xi8>, %vc: tensor<32x16x2x64xi8>, %t: tensor<2x4xi32>, %ctx: tensor<2xi32>, %k_scale: tensor<32x16xf32>, %v_scale: tensor<32x16x2xf32>) {
  // expected-error @+1 {{expected k_scale of shape [32x16x2], got 'tensor<32x16xf32>'}}
  %o = attn.paged_attention %q, %kc, %vc, %t, %ctx k_scale(%k_scale : tensor<32x16xf32>) v_scale(%v_scale : tensor<32x16x2xf32>) {kv_quant = #attn.quant<int8_sym, per_token>} : tensor<2x8x1x64xf32>, tensor<32x16x2x64xi8>, tensor<32x16x2x64xi8>, tensor<2x4xi32>, tensor<2xi32> -> tensor<2x8x1x64xf32>
  return
}

// -----

func.func @paged_zp_shape(%q: tensor<2x8x1x64xf32>, %kc: tensor<32x16x2x64xi8>, %vc: tensor<32x16x2x64xi8>, %t: tensor<2x4xi32>, %ctx: tensor<2xi32>, %k_scale: tensor<2xf32>, %v_scale: tensor<2xf32>, %k_zero_point: tensor<2xi8>, %v_zero_point: tensor<i8>) {
  // expected-error @+1 {{expected v_zero_point of shape [2], got 'tensor<i8>'}}
  %o = attn.paged_attention %q, %kc, %vc, %t, %ctx k_scale(%k_scale : tensor<2xf32>) v_scale(%v_scale : tensor<2xf32>) k_zero_point(%k_zero_point : tensor<2xi8>) v_zero_point(%v_zero_point : tensor<i8>) {kv_quant = #attn.quant<int8_asym, per_head, axis = 2>} : tensor<2x8x1x64xf32>, tensor<32x16x2x64xi8>, tensor<32x16x2x64xi8>, tensor<2x4xi32>, tensor<2xi32> -> tensor<2x8x1x64xf32>
  return
}

// -----

func.func @paged_gqa(%q: tensor<2x8x1x64xf32>, %kc: tensor<32x16x3x64xf32>, %vc: tensor<32x16x3x64xf32>, %t: tensor<2x4xi32>, %ctx: tensor<2xi32>) {
  // expected-error @+1 {{expected the 8 heads of query to be a positive multiple of the 3 heads of k_cache}}
  %o = attn.paged_attention %q, %kc, %vc, %t, %ctx : tensor<2x8x1x64xf32>, tensor<32x16x3x64xf32>, tensor<32x16x3x64xf32>, tensor<2x4xi32>, tensor<2xi32> -> tensor<2x8x1x64xf32>
  return
}

// -----

func.func @paged_head_dim(%q: tensor<2x8x1x64xf32>, %kc: tensor<32x16x2x32xf32>, %vc: tensor<32x16x2x64xf32>, %t: tensor<2x4xi32>, %ctx: tensor<2xi32>) {
  // expected-error @+1 {{expected query and k_cache to have the same head dim, got 64 and 32}}
  %o = attn.paged_attention %q, %kc, %vc, %t, %ctx : tensor<2x8x1x64xf32>, tensor<32x16x2x32xf32>, tensor<32x16x2x64xf32>, tensor<2x4xi32>, tensor<2xi32> -> tensor<2x8x1x64xf32>
  return
}

// -----

func.func @paged_result_shape(%q: tensor<2x8x1x64xf32>, %kc: tensor<32x16x2x64xf32>, %vc: tensor<32x16x2x32xf32>, %t: tensor<2x4xi32>, %ctx: tensor<2xi32>) {
  // expected-error @+1 {{expected result of shape [2x8x1x32], got 'tensor<2x8x1x64xf32>'}}
  %o = attn.paged_attention %q, %kc, %vc, %t, %ctx : tensor<2x8x1x64xf32>, tensor<32x16x2x64xf32>, tensor<32x16x2x32xf32>, tensor<2x4xi32>, tensor<2xi32> -> tensor<2x8x1x64xf32>
  return
}

// -----

func.func @paged_table_rank(%q: tensor<2x8x1x64xf32>, %kc: tensor<32x16x2x64xf32>, %vc: tensor<32x16x2x64xf32>, %t: tensor<4xi32>, %ctx: tensor<2xi32>) {
  // expected-error @+1 {{expected block_table of rank 2, got rank 1}}
  %o = attn.paged_attention %q, %kc, %vc, %t, %ctx : tensor<2x8x1x64xf32>, tensor<32x16x2x64xf32>, tensor<32x16x2x64xf32>, tensor<4xi32>, tensor<2xi32> -> tensor<2x8x1x64xf32>
  return
}

// -----

func.func @paged_table_batch(%q: tensor<2x8x1x64xf32>, %kc: tensor<32x16x2x64xf32>, %vc: tensor<32x16x2x64xf32>, %t: tensor<1x4xi32>, %ctx: tensor<2xi32>) {
  // expected-error @+1 {{expected block_table and query to have the same batch size, got 1 and 2}}
  %o = attn.paged_attention %q, %kc, %vc, %t, %ctx : tensor<2x8x1x64xf32>, tensor<32x16x2x64xf32>, tensor<32x16x2x64xf32>, tensor<1x4xi32>, tensor<2xi32> -> tensor<2x8x1x64xf32>
  return
}

// -----

func.func @paged_ctx(%q: tensor<2x8x1x64xf32>, %kc: tensor<32x16x2x64xf32>, %vc: tensor<32x16x2x64xf32>, %t: tensor<2x4xi32>, %ctx: tensor<1xi32>) {
  // expected-error @+1 {{expected context_lens of shape [2], got 'tensor<1xi32>'}}
  %o = attn.paged_attention %q, %kc, %vc, %t, %ctx : tensor<2x8x1x64xf32>, tensor<32x16x2x64xf32>, tensor<32x16x2x64xf32>, tensor<2x4xi32>, tensor<1xi32> -> tensor<2x8x1x64xf32>
  return
}

// -----

func.func @paged_top_left(%q: tensor<2x8x1x64xf32>, %kc: tensor<32x16x2x64xf32>, %vc: tensor<32x16x2x64xf32>, %t: tensor<2x4xi32>, %ctx: tensor<2xi32>) {
  // expected-error @+1 {{expected a bottom_right mask (the queries are the last positions of each sequence), got top_left}}
  %o = attn.paged_attention %q, %kc, %vc, %t, %ctx {mask = #attn.mask<causal = true>} : tensor<2x8x1x64xf32>, tensor<32x16x2x64xf32>, tensor<32x16x2x64xf32>, tensor<2x4xi32>, tensor<2xi32> -> tensor<2x8x1x64xf32>
  return
}

// -----

func.func @paged_scale(%q: tensor<2x8x1x64xf32>, %kc: tensor<32x16x2x64xf32>, %vc: tensor<32x16x2x64xf32>, %t: tensor<2x4xi32>, %ctx: tensor<2xi32>) {
  // expected-error @+1 {{expected scale to be finite and > 0, got 0}}
  %o = attn.paged_attention %q, %kc, %vc, %t, %ctx {scale = 0.0 : f32} : tensor<2x8x1x64xf32>, tensor<32x16x2x64xf32>, tensor<32x16x2x64xf32>, tensor<2x4xi32>, tensor<2xi32> -> tensor<2x8x1x64xf32>
  return
}

// -----

func.func @paged_softcap(%q: tensor<2x8x1x64xf32>, %kc: tensor<32x16x2x64xf32>, %vc: tensor<32x16x2x64xf32>, %t: tensor<2x4xi32>, %ctx: tensor<2xi32>) {
  // expected-error @+1 {{expected softcap to be finite and > 0, got -2}}
  %o = attn.paged_attention %q, %kc, %vc, %t, %ctx {softcap = -2.0 : f32} : tensor<2x8x1x64xf32>, tensor<32x16x2x64xf32>, tensor<32x16x2x64xf32>, tensor<2x4xi32>, tensor<2xi32> -> tensor<2x8x1x64xf32>
  return
}

// -----

func.func @paged_capacity(%q: tensor<1x2x1x4xf32>, %kc: tensor<3x16x2x4xf32>, %vc: tensor<3x16x2x4xf32>, %t: tensor<1x1152921504606846976xi32>, %ctx: tensor<1xi32>) {
  // expected-error @+1 {{expected the block table's capacity (1152921504606846976 blocks of 16 tokens) to fit in 64 bits}}
  %o = attn.paged_attention %q, %kc, %vc, %t, %ctx : tensor<1x2x1x4xf32>, tensor<3x16x2x4xf32>, tensor<3x16x2x4xf32>, tensor<1x1152921504606846976xi32>, tensor<1xi32> -> tensor<1x2x1x4xf32>
  return
}

// -----

func.func @gather_rank(%p: tensor<16x8x128x2x2xf16>, %t: tensor<2x4xi32>, %ctx: tensor<2xi32>) {
  // expected-error @+1 {{'attn.paged_gather' op expected pool of rank 4 ([num_blocks, block_size, Hkv, D] or its hnd order) or 3 (without D: per-token scales), got 'tensor<16x8x128x2x2xf16>'}}
  %g = attn.paged_gather %p, %t, %ctx : tensor<16x8x128x2x2xf16>, tensor<2x4xi32>, tensor<2xi32> -> tensor<2x128x32x2xf16>
  return
}

// -----

func.func @gather_block_size(%p: tensor<16x12x2x8xf16>, %t: tensor<2x4xi32>, %ctx: tensor<2xi32>) {
  // expected-error @+1 {{'attn.paged_gather' op expected a block size that is a power of two in [1, 256], got 12}}
  %g = attn.paged_gather %p, %t, %ctx : tensor<16x12x2x8xf16>, tensor<2x4xi32>, tensor<2xi32> -> tensor<2x2x48x8xf16>
  return
}

// -----

func.func @gather_dynamic_block_size(%p: tensor<16x2x?x8xf16>, %t: tensor<2x4xi32>, %ctx: tensor<2xi32>) {
  // expected-error @+1 {{'attn.paged_gather' op expected a static block size in pool, got ?}}
  %g = attn.paged_gather %p, %t, %ctx {cache_layout = #attn<cache_layout hnd>} : tensor<16x2x?x8xf16>, tensor<2x4xi32>, tensor<2xi32> -> tensor<2x2x?x8xf16>
  return
}

// -----

func.func @gather_element_type(%p: tensor<16x4x2x8xf16>, %t: tensor<2x4xi32>, %ctx: tensor<2xi32>) {
  // expected-error @+1 {{'attn.paged_gather' op expected pool and result to have the same element type, got 'f16' and 'f32'}}
  %g = attn.paged_gather %p, %t, %ctx : tensor<16x4x2x8xf16>, tensor<2x4xi32>, tensor<2xi32> -> tensor<2x2x16x8xf32>
  return
}

// -----

func.func @gather_table_rank(%p: tensor<16x4x2x8xf16>, %t: tensor<8xi32>, %ctx: tensor<2xi32>) {
  // expected-error @+1 {{'attn.paged_gather' op expected block_table of rank 2, got rank 1}}
  %g = attn.paged_gather %p, %t, %ctx : tensor<16x4x2x8xf16>, tensor<8xi32>, tensor<2xi32> -> tensor<2x2x16x8xf16>
  return
}

// -----

func.func @gather_lens(%p: tensor<16x4x2x8xf16>, %t: tensor<2x4xi32>, %ctx: tensor<3xi32>) {
  // expected-error @+1 {{'attn.paged_gather' op expected context_lens of shape [2], got 'tensor<3xi32>'}}
  %g = attn.paged_gather %p, %t, %ctx : tensor<16x4x2x8xf16>, tensor<2x4xi32>, tensor<3xi32> -> tensor<2x2x16x8xf16>
  return
}

// -----

func.func @gather_result_shape(%p: tensor<16x4x2x8xf16>, %t: tensor<2x4xi32>, %ctx: tensor<2xi32>) {
  // expected-error @+1 {{'attn.paged_gather' op expected result of shape [2x2x16x8], got 'tensor<2x16x2x8xf16>'}}
  %g = attn.paged_gather %p, %t, %ctx : tensor<16x4x2x8xf16>, tensor<2x4xi32>, tensor<2xi32> -> tensor<2x16x2x8xf16>
  return
}

// -----

func.func @gather_capacity(%p: tensor<3x16x2xf32>, %t: tensor<1x1152921504606846976xi32>, %ctx: tensor<1xi32>) {
  // expected-error @+1 {{'attn.paged_gather' op expected the block table's capacity (1152921504606846976 blocks of 16 tokens) to fit in 64 bits}}
  %g = attn.paged_gather %p, %t, %ctx : tensor<3x16x2xf32>, tensor<1x1152921504606846976xi32>, tensor<1xi32> -> tensor<1x2x?xf32>
  return
}
