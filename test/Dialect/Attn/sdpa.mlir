// RUN: attn-opt %s | attn-opt | FileCheck %s
// RUN: attn-opt %s -mlir-print-op-generic | attn-opt | FileCheck %s

// CHECK-LABEL: func.func @mha
// CHECK: attn.sdpa %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x8x16x64xf16>, tensor<2x8x16x64xf16>, tensor<2x8x16x64xf16> -> tensor<2x8x16x64xf16>
func.func @mha(%q: tensor<2x8x16x64xf16>, %k: tensor<2x8x16x64xf16>,
               %v: tensor<2x8x16x64xf16>) -> tensor<2x8x16x64xf16> {
  %o = attn.sdpa %q, %k, %v : tensor<2x8x16x64xf16>, tensor<2x8x16x64xf16>,
      tensor<2x8x16x64xf16> -> tensor<2x8x16x64xf16>
  return %o : tensor<2x8x16x64xf16>
}

// GQA (8 query heads over 2 KV heads), cross attention, asymmetric head
// dims, causal bottom-right with a sliding window, softcap, key padding.
// CHECK-LABEL: func.func @gqa_cross_window
// CHECK: attn.sdpa %{{.*}}, %{{.*}}, %{{.*}} kv_lens(%{{.*}} : tensor<2xi32>)
// CHECK-SAME: mask = #attn.mask<causal = true, align = bottom_right, window_left = 128>
// CHECK-SAME: scale = 1.250000e-01 : f32
// CHECK-SAME: softcap = 5.000000e+01 : f32
// CHECK-SAME: -> tensor<2x8x4x32xbf16>
func.func @gqa_cross_window(%q: tensor<2x8x4x64xbf16>, %k: tensor<2x2x1000x64xbf16>,
                            %v: tensor<2x2x1000x32xbf16>, %l: tensor<2xi32>)
    -> tensor<2x8x4x32xbf16> {
  %o = attn.sdpa %q, %k, %v kv_lens(%l : tensor<2xi32>)
      {mask = #attn.mask<causal = true, align = bottom_right, window_left = 128>,
       scale = 0.125 : f32, softcap = 50.0 : f32}
      : tensor<2x8x4x64xbf16>, tensor<2x2x1000x64xbf16>, tensor<2x2x1000x32xbf16>
      -> tensor<2x8x4x32xbf16>
  return %o : tensor<2x8x4x32xbf16>
}

// MQA in bshd layout with a broadcast bias, a boolean mask, ALiBi and the
// log-sum-exp result.
// CHECK-LABEL: func.func @mqa_bshd_bias_alibi_lse
// CHECK: attn.sdpa %{{.*}}, %{{.*}}, %{{.*}} bias(%{{.*}} : tensor<1x4x1x17xf32>) attn_mask(%{{.*}} : tensor<3x1x17x17xi1>) alibi(%{{.*}} : tensor<4xf32>)
// CHECK-SAME: layout = #attn<layout bshd>
// CHECK-SAME: -> tensor<3x17x4x32xf32>, tensor<3x4x17xf32>
func.func @mqa_bshd_bias_alibi_lse(%q: tensor<3x17x4x32xf32>, %k: tensor<3x17x1x32xf32>,
    %v: tensor<3x17x1x32xf32>, %b: tensor<1x4x1x17xf32>, %m: tensor<3x1x17x17xi1>,
    %s: tensor<4xf32>) -> (tensor<3x17x4x32xf32>, tensor<3x4x17xf32>) {
  %o, %lse = attn.sdpa %q, %k, %v bias(%b : tensor<1x4x1x17xf32>)
      attn_mask(%m : tensor<3x1x17x17xi1>) alibi(%s : tensor<4xf32>)
      {layout = #attn<layout bshd>}
      : tensor<3x17x4x32xf32>, tensor<3x17x1x32xf32>, tensor<3x17x1x32xf32>
      -> tensor<3x17x4x32xf32>, tensor<3x4x17xf32>
  return %o, %lse : tensor<3x17x4x32xf32>, tensor<3x4x17xf32>
}

// Varlen: two sequences packed into 113 query and 130 key tokens.
// CHECK-LABEL: func.func @varlen
// CHECK: attn.sdpa %{{.*}}, %{{.*}}, %{{.*}} cu_seqlens(%{{.*}}, %{{.*}} : tensor<3xi32>, tensor<3xi32>)
// CHECK-SAME: -> tensor<113x8x64xf16>, tensor<113x8xf32>
func.func @varlen(%q: tensor<113x8x64xf16>, %k: tensor<130x4x64xf16>,
                  %v: tensor<130x4x64xf16>, %cq: tensor<3xi32>, %ck: tensor<3xi32>)
    -> (tensor<113x8x64xf16>, tensor<113x8xf32>) {
  %o, %lse = attn.sdpa %q, %k, %v cu_seqlens(%cq, %ck : tensor<3xi32>, tensor<3xi32>)
      {mask = #attn.mask<causal = true>}
      : tensor<113x8x64xf16>, tensor<130x4x64xf16>, tensor<130x4x64xf16>
      -> tensor<113x8x64xf16>, tensor<113x8xf32>
  return %o, %lse : tensor<113x8x64xf16>, tensor<113x8xf32>
}

// Dynamic sizes are accepted and checked where known.
// CHECK-LABEL: func.func @dynamic
// CHECK: attn.sdpa {{.*}} -> tensor<?x8x?x64xf32>
func.func @dynamic(%q: tensor<?x8x?x64xf32>, %k: tensor<?x8x?x64xf32>,
                   %v: tensor<?x8x?x64xf32>) -> tensor<?x8x?x64xf32> {
  %o = attn.sdpa %q, %k, %v : tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>,
      tensor<?x8x?x64xf32> -> tensor<?x8x?x64xf32>
  return %o : tensor<?x8x?x64xf32>
}

// CHECK-LABEL: func.func @combine
// CHECK: attn.combine %{{.*}}, %{{.*}} : tensor<4x1x32x1x128xf32>, tensor<4x1x32x1xf32> -> tensor<1x32x1x128xf32>, tensor<1x32x1xf32>
func.func @combine(%p: tensor<4x1x32x1x128xf32>, %l: tensor<4x1x32x1xf32>)
    -> (tensor<1x32x1x128xf32>, tensor<1x32x1xf32>) {
  %o, %lse = attn.combine %p, %l : tensor<4x1x32x1x128xf32>, tensor<4x1x32x1xf32>
      -> tensor<1x32x1x128xf32>, tensor<1x32x1xf32>
  return %o, %lse : tensor<1x32x1x128xf32>, tensor<1x32x1xf32>
}
