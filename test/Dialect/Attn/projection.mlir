// RUN: attn-opt %s | attn-opt | FileCheck %s
// RUN: attn-opt %s -mlir-print-op-generic | attn-opt | FileCheck %s

// GQA projection: 8 query heads over 2 KV heads, D = 64, Dv = 32.
// CHECK-LABEL: func.func @qkv_gqa
// CHECK: attn.qkv_projection %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {num_kv_heads = 2 : i64, num_q_heads = 8 : i64}
// CHECK-SAME: : tensor<2x16x256xf32>, tensor<256x512xf32>, tensor<256x128xf32>, tensor<256x64xf32>
// CHECK-SAME: -> tensor<2x8x16x64xf32>, tensor<2x2x16x64xf32>, tensor<2x2x16x32xf32>
func.func @qkv_gqa(%x: tensor<2x16x256xf32>, %wq: tensor<256x512xf32>,
                   %wk: tensor<256x128xf32>, %wv: tensor<256x64xf32>)
    -> (tensor<2x8x16x64xf32>, tensor<2x2x16x64xf32>, tensor<2x2x16x32xf32>) {
  %q, %k, %v = attn.qkv_projection %x, %wq, %wk, %wv
      {num_q_heads = 8 : i64, num_kv_heads = 2 : i64}
      : tensor<2x16x256xf32>, tensor<256x512xf32>, tensor<256x128xf32>, tensor<256x64xf32>
      -> tensor<2x8x16x64xf32>, tensor<2x2x16x64xf32>, tensor<2x2x16x32xf32>
  return %q, %k, %v : tensor<2x8x16x64xf32>, tensor<2x2x16x64xf32>, tensor<2x2x16x32xf32>
}

// Biases and the bshd layout.
// CHECK-LABEL: func.func @qkv_bias_bshd
// CHECK: attn.qkv_projection %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} bias(%{{.*}}, %{{.*}}, %{{.*}} : tensor<64xf16>, tensor<64xf16>, tensor<64xf16>)
// CHECK-SAME: layout = #attn<layout bshd>
// CHECK-SAME: -> tensor<1x5x4x16xf16>, tensor<1x5x4x16xf16>, tensor<1x5x4x16xf16>
func.func @qkv_bias_bshd(%x: tensor<1x5x32xf16>, %w: tensor<32x64xf16>, %b: tensor<64xf16>)
    -> tensor<1x5x4x16xf16> {
  %q, %k, %v = attn.qkv_projection %x, %w, %w, %w bias(%b, %b, %b : tensor<64xf16>, tensor<64xf16>, tensor<64xf16>)
      {num_q_heads = 4 : i64, num_kv_heads = 4 : i64, layout = #attn<layout bshd>}
      : tensor<1x5x32xf16>, tensor<32x64xf16>, tensor<32x64xf16>, tensor<32x64xf16>
      -> tensor<1x5x4x16xf16>, tensor<1x5x4x16xf16>, tensor<1x5x4x16xf16>
  return %q : tensor<1x5x4x16xf16>
}

// Varlen tokens, dynamic token count.
// CHECK-LABEL: func.func @qkv_varlen
// CHECK: attn.qkv_projection
// CHECK-SAME: : tensor<?x32xbf16>, tensor<32x32xbf16>, tensor<32x8xbf16>, tensor<32x8xbf16>
// CHECK-SAME: -> tensor<?x4x8xbf16>, tensor<?x1x8xbf16>, tensor<?x1x8xbf16>
func.func @qkv_varlen(%x: tensor<?x32xbf16>, %wq: tensor<32x32xbf16>, %wk: tensor<32x8xbf16>)
    -> tensor<?x4x8xbf16> {
  %q, %k, %v = attn.qkv_projection %x, %wq, %wk, %wk
      {num_q_heads = 4 : i64, num_kv_heads = 1 : i64}
      : tensor<?x32xbf16>, tensor<32x32xbf16>, tensor<32x8xbf16>, tensor<32x8xbf16>
      -> tensor<?x4x8xbf16>, tensor<?x1x8xbf16>, tensor<?x1x8xbf16>
  return %q : tensor<?x4x8xbf16>
}

// CHECK-LABEL: func.func @fused
// CHECK: attn.fused_qkv_projection %{{.*}}, %{{.*}} bias(%{{.*}} : tensor<96xf32>) : tensor<2x7x32xf32>, tensor<32x96xf32> -> tensor<2x7x96xf32>
func.func @fused(%x: tensor<2x7x32xf32>, %w: tensor<32x96xf32>, %b: tensor<96xf32>)
    -> tensor<2x7x96xf32> {
  %qkv = attn.fused_qkv_projection %x, %w bias(%b : tensor<96xf32>)
      : tensor<2x7x32xf32>, tensor<32x96xf32> -> tensor<2x7x96xf32>
  return %qkv : tensor<2x7x96xf32>
}

// CHECK-LABEL: func.func @fused_varlen
// CHECK: attn.fused_qkv_projection %{{.*}}, %{{.*}} : tensor<11x32xf32>, tensor<32x96xf32> -> tensor<1x11x96xf32>
func.func @fused_varlen(%x: tensor<11x32xf32>, %w: tensor<32x96xf32>) -> tensor<1x11x96xf32> {
  %qkv = attn.fused_qkv_projection %x, %w : tensor<11x32xf32>, tensor<32x96xf32> -> tensor<1x11x96xf32>
  return %qkv : tensor<1x11x96xf32>
}

// CHECK-LABEL: func.func @split_padded
// CHECK: attn.split_qkv %{{.*}} {head_dim = 16 : i64, num_kv_heads = 2 : i64, num_q_heads = 4 : i64}
// CHECK-SAME: : tensor<2x7x128xf32> -> tensor<2x4x7x16xf32>, tensor<2x2x7x16xf32>, tensor<2x2x7x16xf32>
func.func @split_padded(%qkv: tensor<2x7x128xf32>) -> tensor<2x4x7x16xf32> {
  %q, %k, %v = attn.split_qkv %qkv {num_q_heads = 4 : i64, num_kv_heads = 2 : i64, head_dim = 16 : i64}
      : tensor<2x7x128xf32> -> tensor<2x4x7x16xf32>, tensor<2x2x7x16xf32>, tensor<2x2x7x16xf32>
  return %q : tensor<2x4x7x16xf32>
}

// CHECK-LABEL: func.func @split_bshd
// CHECK: attn.split_qkv %{{.*}} {head_dim = 8 : i64, layout = #attn<layout bshd>, num_kv_heads = 2 : i64, num_q_heads = 2 : i64}
// CHECK-SAME: : tensor<3x5x48xf16> -> tensor<3x5x2x8xf16>, tensor<3x5x2x8xf16>, tensor<3x5x2x8xf16>
func.func @split_bshd(%qkv: tensor<3x5x48xf16>) -> tensor<3x5x2x8xf16> {
  %q, %k, %v = attn.split_qkv %qkv {num_q_heads = 2 : i64, num_kv_heads = 2 : i64, head_dim = 8 : i64, layout = #attn<layout bshd>}
      : tensor<3x5x48xf16> -> tensor<3x5x2x8xf16>, tensor<3x5x2x8xf16>, tensor<3x5x2x8xf16>
  return %q : tensor<3x5x2x8xf16>
}

// The varlen split feeds attn.sdpa with the same cu_seqlens.
// CHECK-LABEL: func.func @split_varlen_sdpa
// CHECK: %[[Q:.*]], %[[K:.*]], %[[V:.*]] = attn.split_qkv %{{.*}} cu_seqlens(%[[CU:.*]] : tensor<3xi32>)
// CHECK-SAME: : tensor<1x100x384xf32> -> tensor<100x4x32xf32>, tensor<100x4x32xf32>, tensor<100x4x32xf32>
// CHECK: attn.sdpa %[[Q]], %[[K]], %[[V]] cu_seqlens(%[[CU]], %[[CU]] : tensor<3xi32>, tensor<3xi32>)
func.func @split_varlen_sdpa(%qkv: tensor<1x100x384xf32>, %cu: tensor<3xi32>) -> tensor<100x4x32xf32> {
  %q, %k, %v = attn.split_qkv %qkv cu_seqlens(%cu : tensor<3xi32>)
      {num_q_heads = 4 : i64, num_kv_heads = 4 : i64, head_dim = 32 : i64}
      : tensor<1x100x384xf32> -> tensor<100x4x32xf32>, tensor<100x4x32xf32>, tensor<100x4x32xf32>
  %o = attn.sdpa %q, %k, %v cu_seqlens(%cu, %cu : tensor<3xi32>, tensor<3xi32>)
      : tensor<100x4x32xf32>, tensor<100x4x32xf32>, tensor<100x4x32xf32> -> tensor<100x4x32xf32>
  return %o : tensor<100x4x32xf32>
}

// CHECK-LABEL: func.func @split_varlen_no_cu
// CHECK: attn.split_qkv %{{.*}} {head_dim = 4 : i64, num_kv_heads = 1 : i64, num_q_heads = 2 : i64} : tensor<1x?x16xf32> -> tensor<?x2x4xf32>, tensor<?x1x4xf32>, tensor<?x1x4xf32>
func.func @split_varlen_no_cu(%qkv: tensor<1x?x16xf32>) -> tensor<?x2x4xf32> {
  %q, %k, %v = attn.split_qkv %qkv {num_q_heads = 2 : i64, num_kv_heads = 1 : i64, head_dim = 4 : i64}
      : tensor<1x?x16xf32> -> tensor<?x2x4xf32>, tensor<?x1x4xf32>, tensor<?x1x4xf32>
  return %q : tensor<?x2x4xf32>
}

// CHECK-LABEL: func.func @out_proj
// CHECK: attn.output_projection %{{.*}}, %{{.*}} bias(%{{.*}} : tensor<48xf32>) : tensor<2x4x7x16xf32>, tensor<64x48xf32> -> tensor<2x7x48xf32>
func.func @out_proj(%o: tensor<2x4x7x16xf32>, %w: tensor<64x48xf32>, %b: tensor<48xf32>)
    -> tensor<2x7x48xf32> {
  %y = attn.output_projection %o, %w bias(%b : tensor<48xf32>)
      : tensor<2x4x7x16xf32>, tensor<64x48xf32> -> tensor<2x7x48xf32>
  return %y : tensor<2x7x48xf32>
}

// CHECK-LABEL: func.func @out_proj_bshd
// CHECK: attn.output_projection %{{.*}}, %{{.*}} {layout = #attn<layout bshd>} : tensor<2x7x4x16xf16>, tensor<64x32xf16> -> tensor<2x7x32xf16>
func.func @out_proj_bshd(%o: tensor<2x7x4x16xf16>, %w: tensor<64x32xf16>) -> tensor<2x7x32xf16> {
  %y = attn.output_projection %o, %w {layout = #attn<layout bshd>}
      : tensor<2x7x4x16xf16>, tensor<64x32xf16> -> tensor<2x7x32xf16>
  return %y : tensor<2x7x32xf16>
}

// CHECK-LABEL: func.func @out_proj_varlen
// CHECK: attn.output_projection %{{.*}}, %{{.*}} : tensor<?x4x16xf32>, tensor<64x32xf32> -> tensor<?x32xf32>
func.func @out_proj_varlen(%o: tensor<?x4x16xf32>, %w: tensor<64x32xf32>) -> tensor<?x32xf32> {
  %y = attn.output_projection %o, %w : tensor<?x4x16xf32>, tensor<64x32xf32> -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
