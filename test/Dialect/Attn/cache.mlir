// RUN: attn-opt %s | attn-opt | FileCheck %s
// RUN: attn-opt %s -mlir-print-op-generic | attn-opt | FileCheck %s
// RUN: attn-opt %s -canonicalize | FileCheck %s --check-prefix=CANON

// CHECK-LABEL: func.func @append_nhd
// CHECK: %{{.*}}, %{{.*}} = attn.kv_cache_append %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} new_lens(%{{.*}} : tensor<2xi32>) : tensor<64x16x8x128xf16>, tensor<64x16x8x64xf16>, tensor<2x4x8x128xf16>, tensor<2x4x8x64xf16>, tensor<2x8xi32>, tensor<2xi32>
func.func @append_nhd(%kc: tensor<64x16x8x128xf16>, %vc: tensor<64x16x8x64xf16>,
                      %k: tensor<2x4x8x128xf16>, %v: tensor<2x4x8x64xf16>,
                      %t: tensor<2x8xi32>, %l: tensor<2xi32>, %n: tensor<2xi32>)
    -> (tensor<64x16x8x128xf16>, tensor<64x16x8x64xf16>) {
  %kc2, %vc2 = attn.kv_cache_append %kc, %vc, %k, %v, %t, %l new_lens(%n : tensor<2xi32>)
      : tensor<64x16x8x128xf16>, tensor<64x16x8x64xf16>, tensor<2x4x8x128xf16>,
        tensor<2x4x8x64xf16>, tensor<2x8xi32>, tensor<2xi32>
  return %kc2, %vc2 : tensor<64x16x8x128xf16>, tensor<64x16x8x64xf16>
}

// Quantized HND pools with dynamic block counts and batch.
// CHECK-LABEL: func.func @append_hnd
// CHECK: attn.kv_cache_append {{.*}} {cache_layout = #attn<cache_layout hnd>} : tensor<?x4x32x64xi8>, tensor<?x4x32x64xi8>, tensor<?x1x4x64xi8>, tensor<?x1x4x64xi8>, tensor<?x?xi32>, tensor<?xi32>
func.func @append_hnd(%kc: tensor<?x4x32x64xi8>, %k: tensor<?x1x4x64xi8>,
                      %t: tensor<?x?xi32>, %l: tensor<?xi32>)
    -> (tensor<?x4x32x64xi8>, tensor<?x4x32x64xi8>) {
  %kc2, %vc2 = attn.kv_cache_append %kc, %kc, %k, %k, %t, %l {cache_layout = #attn<cache_layout hnd>}
      : tensor<?x4x32x64xi8>, tensor<?x4x32x64xi8>, tensor<?x1x4x64xi8>,
        tensor<?x1x4x64xi8>, tensor<?x?xi32>, tensor<?xi32>
  return %kc2, %vc2 : tensor<?x4x32x64xi8>, tensor<?x4x32x64xi8>
}

// Decode with GQA (32 query heads over 8 KV heads) and a sliding window.
// CHECK-LABEL: func.func @paged_decode
// CHECK: attn.paged_attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {mask = #attn.mask<causal = true, align = bottom_right, window_left = 255>, scale = 1.250000e-01 : f32, softcap = 5.000000e+01 : f32} : tensor<4x32x1x128xf16>, tensor<256x16x8x128xf16>, tensor<256x16x8x128xf16>, tensor<4x32xi32>, tensor<4xi32> -> tensor<4x32x1x128xf16>
func.func @paged_decode(%q: tensor<4x32x1x128xf16>, %kc: tensor<256x16x8x128xf16>,
                        %vc: tensor<256x16x8x128xf16>, %t: tensor<4x32xi32>,
                        %ctx: tensor<4xi32>) -> tensor<4x32x1x128xf16> {
  %o = attn.paged_attention %q, %kc, %vc, %t, %ctx
      {mask = #attn.mask<causal = true, align = bottom_right, window_left = 255>,
       scale = 0.125 : f32, softcap = 50.0 : f32}
      : tensor<4x32x1x128xf16>, tensor<256x16x8x128xf16>, tensor<256x16x8x128xf16>,
        tensor<4x32xi32>, tensor<4xi32> -> tensor<4x32x1x128xf16>
  return %o : tensor<4x32x1x128xf16>
}

// FP8 pools with per-head scales (HND: the head dim of the pool is 1).
// CHECK-LABEL: func.func @paged_fp8
// CHECK: attn.paged_attention {{.*}} k_scale(%{{.*}} : tensor<8xf32>) v_scale(%{{.*}} : tensor<8xf32>) {cache_layout = #attn<cache_layout hnd>, kv_quant = #attn.quant<fp8_e4m3, per_head, axis = 1>}
func.func @paged_fp8(%q: tensor<2x8x3x64xf32>, %kc: tensor<32x8x16x64xf8E4M3FN>,
                     %vc: tensor<32x8x16x64xf8E4M3FN>, %t: tensor<2x4xi32>,
                     %ctx: tensor<2xi32>, %ks: tensor<8xf32>, %vs: tensor<8xf32>)
    -> tensor<2x8x3x64xf32> {
  %o = attn.paged_attention %q, %kc, %vc, %t, %ctx k_scale(%ks : tensor<8xf32>)
      v_scale(%vs : tensor<8xf32>)
      {cache_layout = #attn<cache_layout hnd>, kv_quant = #attn.quant<fp8_e4m3, per_head, axis = 1>}
      : tensor<2x8x3x64xf32>, tensor<32x8x16x64xf8E4M3FN>, tensor<32x8x16x64xf8E4M3FN>,
        tensor<2x4xi32>, tensor<2xi32> -> tensor<2x8x3x64xf32>
  return %o : tensor<2x8x3x64xf32>
}

// Asymmetric INT8 with one scale and zero point per (block, slot, head).
// CHECK-LABEL: func.func @paged_int8_asym
// CHECK: attn.paged_attention {{.*}} k_scale(%{{.*}} : tensor<32x16x2xf32>) v_scale(%{{.*}} : tensor<32x16x2xf32>) k_zero_point(%{{.*}} : tensor<32x16x2xi8>) v_zero_point(%{{.*}} : tensor<32x16x2xi8>) {kv_quant = #attn.quant<int8_asym, per_token>}
func.func @paged_int8_asym(%q: tensor<2x4x1x64xf32>, %kc: tensor<32x16x2x64xi8>,
                           %t: tensor<2x4xi32>, %ctx: tensor<2xi32>,
                           %s: tensor<32x16x2xf32>, %zp: tensor<32x16x2xi8>)
    -> tensor<2x4x1x64xf32> {
  %o = attn.paged_attention %q, %kc, %kc, %t, %ctx k_scale(%s : tensor<32x16x2xf32>)
      v_scale(%s : tensor<32x16x2xf32>) k_zero_point(%zp : tensor<32x16x2xi8>)
      v_zero_point(%zp : tensor<32x16x2xi8>)
      {kv_quant = #attn.quant<int8_asym, per_token>}
      : tensor<2x4x1x64xf32>, tensor<32x16x2x64xi8>, tensor<32x16x2x64xi8>,
        tensor<2x4xi32>, tensor<2xi32> -> tensor<2x4x1x64xf32>
  return %o : tensor<2x4x1x64xf32>
}

// A mask that hides nothing is dropped; one that hides keys stays.
// CANON-LABEL: func.func @paged_full_mask
// CANON: attn.paged_attention
// CANON-NOT: mask
// CANON-SAME: -> tensor<1x2x1x8xf32>
// CANON: attn.paged_attention {{.*}} {mask = #attn.mask<align = bottom_right, window_left = 4>}
func.func @paged_full_mask(%q: tensor<1x2x1x8xf32>, %kc: tensor<4x2x2x8xf32>,
                           %t: tensor<1x2xi32>, %ctx: tensor<1xi32>)
    -> (tensor<1x2x1x8xf32>, tensor<1x2x1x8xf32>) {
  %o = attn.paged_attention %q, %kc, %kc, %t, %ctx {mask = #attn.mask<align = bottom_right>}
      : tensor<1x2x1x8xf32>, tensor<4x2x2x8xf32>, tensor<4x2x2x8xf32>,
        tensor<1x2xi32>, tensor<1xi32> -> tensor<1x2x1x8xf32>
  %o2 = attn.paged_attention %q, %kc, %kc, %t, %ctx
      {mask = #attn.mask<align = bottom_right, window_left = 4>}
      : tensor<1x2x1x8xf32>, tensor<4x2x2x8xf32>, tensor<4x2x2x8xf32>,
        tensor<1x2xi32>, tensor<1xi32> -> tensor<1x2x1x8xf32>
  return %o, %o2 : tensor<1x2x1x8xf32>, tensor<1x2x1x8xf32>
}

// CHECK-LABEL: func.func @gather_nhd
// CHECK: attn.paged_gather %{{.*}}, %{{.*}}, %{{.*}} : tensor<256x16x8x128xf16>, tensor<4x64xi32>, tensor<4xi32> -> tensor<4x8x1024x128xf16>
func.func @gather_nhd(%kc: tensor<256x16x8x128xf16>, %t: tensor<4x64xi32>,
                      %ctx: tensor<4xi32>) -> tensor<4x8x1024x128xf16> {
  %k = attn.paged_gather %kc, %t, %ctx
      : tensor<256x16x8x128xf16>, tensor<4x64xi32>, tensor<4xi32>
        -> tensor<4x8x1024x128xf16>
  return %k : tensor<4x8x1024x128xf16>
}

// Per-token scales of an HND pool (no head dim), dynamic sizes.
// CHECK-LABEL: func.func @gather_scales_hnd
// CHECK: attn.paged_gather %{{.*}}, %{{.*}}, %{{.*}} {cache_layout = #attn<cache_layout hnd>} : tensor<?x8x4xf32>, tensor<?x?xi32>, tensor<?xi32> -> tensor<?x8x?xf32>
func.func @gather_scales_hnd(%s: tensor<?x8x4xf32>, %t: tensor<?x?xi32>,
                             %ctx: tensor<?xi32>) -> tensor<?x8x?xf32> {
  %g = attn.paged_gather %s, %t, %ctx {cache_layout = #attn<cache_layout hnd>}
      : tensor<?x8x4xf32>, tensor<?x?xi32>, tensor<?xi32> -> tensor<?x8x?xf32>
  return %g : tensor<?x8x?xf32>
}
