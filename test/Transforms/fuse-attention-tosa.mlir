// RUN: attn-opt --attn-fuse-attention --split-input-file %s | FileCheck %s
// RUN: attn-opt %s --split-input-file --attn-fuse-attention="report-misses=1" --verify-diagnostics -o /dev/null

// Hand-written TOSA attention: what fuses and what must stay unchanged.
// (torch-mlir's own TOSA output is covered by fuse-attention-torch.mlir.)

// 3-D [batch * heads, seq, dim] operands, scale on the scores, an additive
// mask argument kept as attn_mask.
// CHECK-LABEL: func.func @additive_mask_operand(
// CHECK-SAME:      %[[M:[^:]*]]: tensor<1x8x8xf32>)
// CHECK:         %[[M4:.*]] = tensor.expand_shape %[[M]] {{\[}}[0, 1], [2], [3]] output_shape [1, 1, 8, 8]
// CHECK:         attn.sdpa {{.*}} attn_mask(%[[M4]] : tensor<1x1x8x8xf32>) {scale = 1.250000e-01 : f32}
// CHECK-NOT:     tosa.
func.func @additive_mask_operand(%q: tensor<4x8x16xf32>, %k: tensor<4x8x16xf32>, %v: tensor<4x8x16xf32>, %mask: tensor<1x8x8xf32>) -> tensor<4x8x16xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %scale = "tosa.const"() <{values = dense<0.125> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
  %kt = tosa.transpose %k {perms = array<i32: 0, 2, 1>} : (tensor<4x8x16xf32>) -> tensor<4x16x8xf32>
  %s = tosa.matmul %q, %kt, %zp, %zp : (tensor<4x8x16xf32>, tensor<4x16x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x8x8xf32>
  %ss = tosa.mul %s, %scale, %shift : (tensor<4x8x8xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<4x8x8xf32>
  %sm = tosa.add %ss, %mask : (tensor<4x8x8xf32>, tensor<1x8x8xf32>) -> tensor<4x8x8xf32>
  %max = tosa.reduce_max %sm {axis = 2 : i32} : (tensor<4x8x8xf32>) -> tensor<4x8x1xf32>
  %sub = tosa.sub %sm, %max : (tensor<4x8x8xf32>, tensor<4x8x1xf32>) -> tensor<4x8x8xf32>
  %e = tosa.exp %sub : (tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %sum = tosa.reduce_sum %e {axis = 2 : i32} : (tensor<4x8x8xf32>) -> tensor<4x8x1xf32>
  %r = tosa.reciprocal %sum : (tensor<4x8x1xf32>) -> tensor<4x8x1xf32>
  %p = tosa.mul %e, %r, %shift : (tensor<4x8x8xf32>, tensor<4x8x1xf32>, tensor<1xi8>) -> tensor<4x8x8xf32>
  %o = tosa.matmul %p, %v, %zp, %zp : (tensor<4x8x8xf32>, tensor<4x8x16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x8x16xf32>
  return %o : tensor<4x8x16xf32>
}

// -----

// Softmax reductions over the query axis: nothing changes.
// CHECK-LABEL: func.func @softmax_wrong_axis(
// CHECK-NOT:     attn.sdpa
// CHECK:         tosa.reduce_max
func.func @softmax_wrong_axis(%q: tensor<4x8x16xf32>, %k: tensor<4x8x16xf32>, %v: tensor<4x8x16xf32>) -> tensor<4x8x16xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %kt = tosa.transpose %k {perms = array<i32: 0, 2, 1>} : (tensor<4x8x16xf32>) -> tensor<4x16x8xf32>
  %s = tosa.matmul %q, %kt, %zp, %zp : (tensor<4x8x16xf32>, tensor<4x16x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x8x8xf32>
  %max = tosa.reduce_max %s {axis = 1 : i32} : (tensor<4x8x8xf32>) -> tensor<4x1x8xf32>
  %sub = tosa.sub %s, %max : (tensor<4x8x8xf32>, tensor<4x1x8xf32>) -> tensor<4x8x8xf32>
  %e = tosa.exp %sub : (tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %sum = tosa.reduce_sum %e {axis = 1 : i32} : (tensor<4x8x8xf32>) -> tensor<4x1x8xf32>
  %r = tosa.reciprocal %sum : (tensor<4x1x8xf32>) -> tensor<4x1x8xf32>
  %p = tosa.mul %e, %r, %shift : (tensor<4x8x8xf32>, tensor<4x1x8xf32>, tensor<1xi8>) -> tensor<4x8x8xf32>
  // expected-remark @below {{attention-like chain not fused: softmax: the probabilities are not exp(s - max(s)) / sum(exp(s - max(s))) over the last axis, each value used once}}
  %o = tosa.matmul %p, %v, %zp, %zp : (tensor<4x8x8xf32>, tensor<4x8x16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x8x16xf32>
  return %o : tensor<4x8x16xf32>
}

// -----

// The exponentials are also returned: nothing changes.
// CHECK-LABEL: func.func @exp_returned(
// CHECK-NOT:     attn.sdpa
// CHECK:         tosa.reciprocal
func.func @exp_returned(%q: tensor<4x8x16xf32>, %k: tensor<4x8x16xf32>, %v: tensor<4x8x16xf32>) -> (tensor<4x8x16xf32>, tensor<4x8x8xf32>) {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %kt = tosa.transpose %k {perms = array<i32: 0, 2, 1>} : (tensor<4x8x16xf32>) -> tensor<4x16x8xf32>
  %s = tosa.matmul %q, %kt, %zp, %zp : (tensor<4x8x16xf32>, tensor<4x16x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x8x8xf32>
  %max = tosa.reduce_max %s {axis = 2 : i32} : (tensor<4x8x8xf32>) -> tensor<4x8x1xf32>
  %sub = tosa.sub %s, %max : (tensor<4x8x8xf32>, tensor<4x8x1xf32>) -> tensor<4x8x8xf32>
  %e = tosa.exp %sub : (tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %sum = tosa.reduce_sum %e {axis = 2 : i32} : (tensor<4x8x8xf32>) -> tensor<4x8x1xf32>
  %r = tosa.reciprocal %sum : (tensor<4x8x1xf32>) -> tensor<4x8x1xf32>
  %p = tosa.mul %e, %r, %shift : (tensor<4x8x8xf32>, tensor<4x8x1xf32>, tensor<1xi8>) -> tensor<4x8x8xf32>
  // expected-remark @below {{attention-like chain not fused: softmax: the probabilities are not exp(s - max(s)) / sum(exp(s - max(s))) over the last axis, each value used once}}
  %o = tosa.matmul %p, %v, %zp, %zp : (tensor<4x8x8xf32>, tensor<4x8x16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x8x16xf32>
  return %o, %e : tensor<4x8x16xf32>, tensor<4x8x8xf32>
}

// -----

// The scale multiplies by a non-splat constant: nothing changes.
// CHECK-LABEL: func.func @scale_not_splat(
// CHECK-NOT:     attn.sdpa
// CHECK:         tosa.reduce_max
func.func @scale_not_splat(%q: tensor<4x8x16xf32>, %k: tensor<4x8x16xf32>, %v: tensor<4x8x16xf32>) -> tensor<4x8x16xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %scale = "tosa.const"() <{values = dense<[[[0.5]], [[0.25]], [[0.5]], [[0.25]]]> : tensor<4x1x1xf32>}> : () -> tensor<4x1x1xf32>
  %kt = tosa.transpose %k {perms = array<i32: 0, 2, 1>} : (tensor<4x8x16xf32>) -> tensor<4x16x8xf32>
  %s = tosa.matmul %q, %kt, %zp, %zp : (tensor<4x8x16xf32>, tensor<4x16x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x8x8xf32>
  %ss = tosa.mul %s, %scale, %shift : (tensor<4x8x8xf32>, tensor<4x1x1xf32>, tensor<1xi8>) -> tensor<4x8x8xf32>
  %max = tosa.reduce_max %ss {axis = 2 : i32} : (tensor<4x8x8xf32>) -> tensor<4x8x1xf32>
  %sub = tosa.sub %ss, %max : (tensor<4x8x8xf32>, tensor<4x8x1xf32>) -> tensor<4x8x8xf32>
  %e = tosa.exp %sub : (tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %sum = tosa.reduce_sum %e {axis = 2 : i32} : (tensor<4x8x8xf32>) -> tensor<4x8x1xf32>
  %r = tosa.reciprocal %sum : (tensor<4x8x1xf32>) -> tensor<4x8x1xf32>
  %p = tosa.mul %e, %r, %shift : (tensor<4x8x8xf32>, tensor<4x8x1xf32>, tensor<1xi8>) -> tensor<4x8x8xf32>
  // expected-remark @below {{attention-like chain not fused: scores: 'tosa.mul' is not a matmul, a constant scale, a reshape or a mask the matcher recognises}}
  %o = tosa.matmul %p, %v, %zp, %zp : (tensor<4x8x8xf32>, tensor<4x8x16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x8x16xf32>
  return %o : tensor<4x8x16xf32>
}

// -----

// A constant 0/-inf mask whose diagonal is causal (top-left) is recognised
// from its values.
// CHECK-LABEL: func.func @constant_causal_mask(
// CHECK:         attn.sdpa {{.*}} {mask = #attn.mask<causal = true>, scale = 1.000000e+00 : f32}
// CHECK-NOT:     tosa.
func.func @constant_causal_mask(%q: tensor<4x4x16xf32>, %k: tensor<4x4x16xf32>, %v: tensor<4x4x16xf32>) -> tensor<4x4x16xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %mask = "tosa.const"() <{values = dense<[[[0.0, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0.0, 0xFF800000, 0xFF800000], [0.0, 0.0, 0.0, 0xFF800000], [0.0, 0.0, 0.0, 0.0]]]> : tensor<1x4x4xf32>}> : () -> tensor<1x4x4xf32>
  %kt = tosa.transpose %k {perms = array<i32: 0, 2, 1>} : (tensor<4x4x16xf32>) -> tensor<4x16x4xf32>
  %s = tosa.matmul %q, %kt, %zp, %zp : (tensor<4x4x16xf32>, tensor<4x16x4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x4x4xf32>
  %sm = tosa.add %s, %mask : (tensor<4x4x4xf32>, tensor<1x4x4xf32>) -> tensor<4x4x4xf32>
  %max = tosa.reduce_max %sm {axis = 2 : i32} : (tensor<4x4x4xf32>) -> tensor<4x4x1xf32>
  %sub = tosa.sub %sm, %max : (tensor<4x4x4xf32>, tensor<4x4x1xf32>) -> tensor<4x4x4xf32>
  %e = tosa.exp %sub : (tensor<4x4x4xf32>) -> tensor<4x4x4xf32>
  %sum = tosa.reduce_sum %e {axis = 2 : i32} : (tensor<4x4x4xf32>) -> tensor<4x4x1xf32>
  %r = tosa.reciprocal %sum : (tensor<4x4x1xf32>) -> tensor<4x4x1xf32>
  %p = tosa.mul %e, %r, %shift : (tensor<4x4x4xf32>, tensor<4x4x1xf32>, tensor<1xi8>) -> tensor<4x4x4xf32>
  %o = tosa.matmul %p, %v, %zp, %zp : (tensor<4x4x4xf32>, tensor<4x4x16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x4x16xf32>
  return %o : tensor<4x4x16xf32>
}

// -----

// KV heads tiled as repeat ([B, Hkv] tiled along Hkv, not a unit dim):
// the tile stays and attn.sdpa reads the materialized heads.
// CHECK-LABEL: func.func @gqa_tile_repeat(
// CHECK:         %[[T:.*]] = tosa.tile
// CHECK:         attn.sdpa {{.*}} : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>
func.func @gqa_tile_repeat(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %mult = tosa.const_shape {values = dense<[1, 2, 1, 1]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %s3 = tosa.const_shape {values = dense<[4, 8, 16]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %s4 = tosa.const_shape {values = dense<[1, 4, 8, 16]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %st = tosa.const_shape {values = dense<[4, 16, 8]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %kr = tosa.tile %k, %mult : (tensor<1x2x8x16xf32>, !tosa.shape<4>) -> tensor<1x4x8x16xf32>
  %kt = tosa.transpose %kr {perms = array<i32: 0, 1, 3, 2>} : (tensor<1x4x8x16xf32>) -> tensor<1x4x16x8xf32>
  %q3 = tosa.reshape %q, %s3 : (tensor<1x4x8x16xf32>, !tosa.shape<3>) -> tensor<4x8x16xf32>
  %k3 = tosa.reshape %kt, %st : (tensor<1x4x16x8xf32>, !tosa.shape<3>) -> tensor<4x16x8xf32>
  %v3 = tosa.reshape %v, %s3 : (tensor<1x4x8x16xf32>, !tosa.shape<3>) -> tensor<4x8x16xf32>
  %s = tosa.matmul %q3, %k3, %zp, %zp : (tensor<4x8x16xf32>, tensor<4x16x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x8x8xf32>
  %max = tosa.reduce_max %s {axis = 2 : i32} : (tensor<4x8x8xf32>) -> tensor<4x8x1xf32>
  %sub = tosa.sub %s, %max : (tensor<4x8x8xf32>, tensor<4x8x1xf32>) -> tensor<4x8x8xf32>
  %e = tosa.exp %sub : (tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %sum = tosa.reduce_sum %e {axis = 2 : i32} : (tensor<4x8x8xf32>) -> tensor<4x8x1xf32>
  %r = tosa.reciprocal %sum : (tensor<4x8x1xf32>) -> tensor<4x8x1xf32>
  %p = tosa.mul %e, %r, %shift : (tensor<4x8x8xf32>, tensor<4x8x1xf32>, tensor<1xi8>) -> tensor<4x8x8xf32>
  %o = tosa.matmul %p, %v3, %zp, %zp : (tensor<4x8x8xf32>, tensor<4x8x16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x8x16xf32>
  %o4 = tosa.reshape %o, %s4 : (tensor<4x8x16xf32>, !tosa.shape<4>) -> tensor<1x4x8x16xf32>
  return %o4 : tensor<1x4x8x16xf32>
}

// -----

// Softcap as TOSA writes it, c · tanh(s · (scale / c)), then a constant
// causal mask: attn.sdpa's softcap c (its scale: the product of the two
// constants' scale / c and c).
// CHECK-LABEL: func.func @softcap(
// CHECK:         attn.sdpa {{.*}} {mask = #attn.mask<causal = true>, scale = 2.500000e-01 : f32, softcap = 5.000000e+00 : f32}
// CHECK-NOT:     tosa.
func.func @softcap(%q: tensor<4x4x16xf32>, %k: tensor<4x4x16xf32>, %v: tensor<4x4x16xf32>) -> tensor<4x4x16xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %inner = "tosa.const"() <{values = dense<0.05> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
  %cap = "tosa.const"() <{values = dense<5.0> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
  %mask = "tosa.const"() <{values = dense<[[[0.0, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0.0, 0xFF800000, 0xFF800000], [0.0, 0.0, 0.0, 0xFF800000], [0.0, 0.0, 0.0, 0.0]]]> : tensor<1x4x4xf32>}> : () -> tensor<1x4x4xf32>
  %kt = tosa.transpose %k {perms = array<i32: 0, 2, 1>} : (tensor<4x4x16xf32>) -> tensor<4x16x4xf32>
  %s = tosa.matmul %q, %kt, %zp, %zp : (tensor<4x4x16xf32>, tensor<4x16x4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x4x4xf32>
  %s1 = tosa.mul %s, %inner, %shift : (tensor<4x4x4xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<4x4x4xf32>
  %t = tosa.tanh %s1 : (tensor<4x4x4xf32>) -> tensor<4x4x4xf32>
  %s2 = tosa.mul %t, %cap, %shift : (tensor<4x4x4xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<4x4x4xf32>
  %sm = tosa.add %s2, %mask : (tensor<4x4x4xf32>, tensor<1x4x4xf32>) -> tensor<4x4x4xf32>
  %max = tosa.reduce_max %sm {axis = 2 : i32} : (tensor<4x4x4xf32>) -> tensor<4x4x1xf32>
  %sub = tosa.sub %sm, %max : (tensor<4x4x4xf32>, tensor<4x4x1xf32>) -> tensor<4x4x4xf32>
  %e = tosa.exp %sub : (tensor<4x4x4xf32>) -> tensor<4x4x4xf32>
  %sum = tosa.reduce_sum %e {axis = 2 : i32} : (tensor<4x4x4xf32>) -> tensor<4x4x1xf32>
  %r = tosa.reciprocal %sum : (tensor<4x4x1xf32>) -> tensor<4x4x1xf32>
  %p = tosa.mul %e, %r, %shift : (tensor<4x4x4xf32>, tensor<4x4x1xf32>, tensor<1xi8>) -> tensor<4x4x4xf32>
  %o = tosa.matmul %p, %v, %zp, %zp : (tensor<4x4x4xf32>, tensor<4x4x16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x4x16xf32>
  return %o : tensor<4x4x16xf32>
}

// -----

// A mask applied before the softcap does not hide (tanh(-inf) = -1):
// nothing changes.
// CHECK-LABEL: func.func @mask_under_softcap(
// CHECK-NOT:     attn.sdpa
// CHECK:         tosa.tanh
func.func @mask_under_softcap(%q: tensor<4x4x16xf32>, %k: tensor<4x4x16xf32>, %v: tensor<4x4x16xf32>) -> tensor<4x4x16xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %cap = "tosa.const"() <{values = dense<5.0> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
  %mask = "tosa.const"() <{values = dense<[[[0.0, 0xFF800000, 0xFF800000, 0xFF800000], [0.0, 0.0, 0xFF800000, 0xFF800000], [0.0, 0.0, 0.0, 0xFF800000], [0.0, 0.0, 0.0, 0.0]]]> : tensor<1x4x4xf32>}> : () -> tensor<1x4x4xf32>
  %kt = tosa.transpose %k {perms = array<i32: 0, 2, 1>} : (tensor<4x4x16xf32>) -> tensor<4x16x4xf32>
  %s = tosa.matmul %q, %kt, %zp, %zp : (tensor<4x4x16xf32>, tensor<4x16x4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x4x4xf32>
  %sm = tosa.add %s, %mask : (tensor<4x4x4xf32>, tensor<1x4x4xf32>) -> tensor<4x4x4xf32>
  %t = tosa.tanh %sm : (tensor<4x4x4xf32>) -> tensor<4x4x4xf32>
  %s2 = tosa.mul %t, %cap, %shift : (tensor<4x4x4xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<4x4x4xf32>
  %max = tosa.reduce_max %s2 {axis = 2 : i32} : (tensor<4x4x4xf32>) -> tensor<4x4x1xf32>
  %sub = tosa.sub %s2, %max : (tensor<4x4x4xf32>, tensor<4x4x1xf32>) -> tensor<4x4x4xf32>
  %e = tosa.exp %sub : (tensor<4x4x4xf32>) -> tensor<4x4x4xf32>
  %sum = tosa.reduce_sum %e {axis = 2 : i32} : (tensor<4x4x4xf32>) -> tensor<4x4x1xf32>
  %r = tosa.reciprocal %sum : (tensor<4x4x1xf32>) -> tensor<4x4x1xf32>
  %p = tosa.mul %e, %r, %shift : (tensor<4x4x4xf32>, tensor<4x4x1xf32>, tensor<1xi8>) -> tensor<4x4x4xf32>
  // expected-remark @below {{attention-like chain not fused: scores: 'tosa.add' is not a matmul, a constant scale, a reshape or a mask the matcher recognises}}
  %o = tosa.matmul %p, %v, %zp, %zp : (tensor<4x4x4xf32>, tensor<4x4x16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x4x16xf32>
  return %o : tensor<4x4x16xf32>
}

// -----

// A scale applied after an additive mask tensor scales the mask too, which
// attn.sdpa (mask added after its scale) cannot express: nothing changes.
// CHECK-LABEL: func.func @scale_after_mask_operand(
// CHECK-NOT:     attn.sdpa
// CHECK:         tosa.add
func.func @scale_after_mask_operand(%q: tensor<4x8x16xf32>, %k: tensor<4x8x16xf32>, %v: tensor<4x8x16xf32>, %mask: tensor<1x8x8xf32>) -> tensor<4x8x16xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %scale = "tosa.const"() <{values = dense<0.125> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
  %kt = tosa.transpose %k {perms = array<i32: 0, 2, 1>} : (tensor<4x8x16xf32>) -> tensor<4x16x8xf32>
  %s = tosa.matmul %q, %kt, %zp, %zp : (tensor<4x8x16xf32>, tensor<4x16x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x8x8xf32>
  %sm = tosa.add %s, %mask : (tensor<4x8x8xf32>, tensor<1x8x8xf32>) -> tensor<4x8x8xf32>
  %ss = tosa.mul %sm, %scale, %shift : (tensor<4x8x8xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<4x8x8xf32>
  %max = tosa.reduce_max %ss {axis = 2 : i32} : (tensor<4x8x8xf32>) -> tensor<4x8x1xf32>
  %sub = tosa.sub %ss, %max : (tensor<4x8x8xf32>, tensor<4x8x1xf32>) -> tensor<4x8x8xf32>
  %e = tosa.exp %sub : (tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %sum = tosa.reduce_sum %e {axis = 2 : i32} : (tensor<4x8x8xf32>) -> tensor<4x8x1xf32>
  %r = tosa.reciprocal %sum : (tensor<4x8x1xf32>) -> tensor<4x8x1xf32>
  %p = tosa.mul %e, %r, %shift : (tensor<4x8x8xf32>, tensor<4x8x1xf32>, tensor<1xi8>) -> tensor<4x8x8xf32>
  // expected-remark @below {{attention-like chain not fused: scores: 'tosa.add' is not a matmul, a constant scale, a reshape or a mask the matcher recognises}}
  %o = tosa.matmul %p, %v, %zp, %zp : (tensor<4x8x8xf32>, tensor<4x8x16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x8x16xf32>
  return %o : tensor<4x8x16xf32>
}

// -----

// Softcap, then an additive mask tensor (attn.sdpa's order: the mask is
// added after the cap, unscaled): softcap and attn_mask.
// CHECK-LABEL: func.func @softcap_then_mask_operand(
// CHECK-SAME:      %[[M:[^:]*]]: tensor<1x4x4xf32>)
// CHECK:         %[[M4:.*]] = tensor.expand_shape %[[M]]
// CHECK:         attn.sdpa {{.*}} attn_mask(%[[M4]] : tensor<1x1x4x4xf32>) {scale = 2.500000e-01 : f32, softcap = 5.000000e+00 : f32}
func.func @softcap_then_mask_operand(%q: tensor<4x4x16xf32>, %k: tensor<4x4x16xf32>, %v: tensor<4x4x16xf32>, %mask: tensor<1x4x4xf32>) -> tensor<4x4x16xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %inner = "tosa.const"() <{values = dense<0.05> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
  %cap = "tosa.const"() <{values = dense<5.0> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
  %kt = tosa.transpose %k {perms = array<i32: 0, 2, 1>} : (tensor<4x4x16xf32>) -> tensor<4x16x4xf32>
  %s = tosa.matmul %q, %kt, %zp, %zp : (tensor<4x4x16xf32>, tensor<4x16x4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x4x4xf32>
  %s1 = tosa.mul %s, %inner, %shift : (tensor<4x4x4xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<4x4x4xf32>
  %t = tosa.tanh %s1 : (tensor<4x4x4xf32>) -> tensor<4x4x4xf32>
  %s2 = tosa.mul %t, %cap, %shift : (tensor<4x4x4xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<4x4x4xf32>
  %sm = tosa.add %s2, %mask : (tensor<4x4x4xf32>, tensor<1x4x4xf32>) -> tensor<4x4x4xf32>
  %max = tosa.reduce_max %sm {axis = 2 : i32} : (tensor<4x4x4xf32>) -> tensor<4x4x1xf32>
  %sub = tosa.sub %sm, %max : (tensor<4x4x4xf32>, tensor<4x4x1xf32>) -> tensor<4x4x4xf32>
  %e = tosa.exp %sub : (tensor<4x4x4xf32>) -> tensor<4x4x4xf32>
  %sum = tosa.reduce_sum %e {axis = 2 : i32} : (tensor<4x4x4xf32>) -> tensor<4x4x1xf32>
  %r = tosa.reciprocal %sum : (tensor<4x4x1xf32>) -> tensor<4x4x1xf32>
  %p = tosa.mul %e, %r, %shift : (tensor<4x4x4xf32>, tensor<4x4x1xf32>, tensor<1xi8>) -> tensor<4x4x4xf32>
  %o = tosa.matmul %p, %v, %zp, %zp : (tensor<4x4x4xf32>, tensor<4x4x16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4x4x16xf32>
  return %o : tensor<4x4x16xf32>
}

// -----

// Not ALiBi: the slopes vary along the queries ([1, 6, 1]), not the heads.
// CHECK-LABEL: func.func @alibi_wrong_axis(
// CHECK-NOT:     attn.sdpa
func.func @alibi_wrong_axis(%q: tensor<2x6x16xf32>, %k: tensor<2x6x16xf32>, %v: tensor<2x6x16xf32>, %slopes: tensor<6xf32>) -> tensor<2x6x16xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %i = "tosa.const"() <{values = dense<[[[0], [1], [2], [3], [4], [5]]]> : tensor<1x6x1xi32>}> : () -> tensor<1x6x1xi32>
  %j = "tosa.const"() <{values = dense<[[[0, 1, 2, 3, 4, 5]]]> : tensor<1x1x6xi32>}> : () -> tensor<1x1x6xi32>
  %shape = tosa.const_shape {values = dense<[1, 6, 1]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %sl3 = tosa.reshape %slopes, %shape : (tensor<6xf32>, !tosa.shape<3>) -> tensor<1x6x1xf32>
  %dist = tosa.sub %j, %i : (tensor<1x1x6xi32>, tensor<1x6x1xi32>) -> tensor<1x6x6xi32>
  %distf = tosa.cast %dist : (tensor<1x6x6xi32>) -> tensor<1x6x6xf32>
  %bias = tosa.mul %sl3, %distf, %shift : (tensor<1x6x1xf32>, tensor<1x6x6xf32>, tensor<1xi8>) -> tensor<1x6x6xf32>
  %kt = tosa.transpose %k {perms = array<i32: 0, 2, 1>} : (tensor<2x6x16xf32>) -> tensor<2x16x6xf32>
  %s = tosa.matmul %q, %kt, %zp, %zp : (tensor<2x6x16xf32>, tensor<2x16x6xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x6x6xf32>
  %sb = tosa.add %s, %bias : (tensor<2x6x6xf32>, tensor<1x6x6xf32>) -> tensor<2x6x6xf32>
  %max = tosa.reduce_max %sb {axis = 2 : i32} : (tensor<2x6x6xf32>) -> tensor<2x6x1xf32>
  %sub = tosa.sub %sb, %max : (tensor<2x6x6xf32>, tensor<2x6x1xf32>) -> tensor<2x6x6xf32>
  %e = tosa.exp %sub : (tensor<2x6x6xf32>) -> tensor<2x6x6xf32>
  %sum = tosa.reduce_sum %e {axis = 2 : i32} : (tensor<2x6x6xf32>) -> tensor<2x6x1xf32>
  %r = tosa.reciprocal %sum : (tensor<2x6x1xf32>) -> tensor<2x6x1xf32>
  %p = tosa.mul %e, %r, %shift : (tensor<2x6x6xf32>, tensor<2x6x1xf32>, tensor<1xi8>) -> tensor<2x6x6xf32>
  // expected-remark @below {{attention-like chain not fused: scores: 'tosa.add' is not a matmul, a constant scale, a reshape or a mask the matcher recognises}}
  %o = tosa.matmul %p, %v, %zp, %zp : (tensor<2x6x6xf32>, tensor<2x6x16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x6x16xf32>
  return %o : tensor<2x6x16xf32>
}
