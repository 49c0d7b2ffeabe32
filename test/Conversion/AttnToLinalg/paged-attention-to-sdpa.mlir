// RUN: attn-opt %s -attn-paged-attention-to-sdpa -split-input-file | FileCheck %s

// NHD decode: dense K and V [B, Hkv, blocks * bs, D] as attn.paged_gather of
// the pools, then one attn.sdpa with the context lengths as kv_lens, a
// bottom-right mask, the op's scale and the presence of each key (j <
// ctx[b] and a valid block id) as its boolean mask.
// CHECK-LABEL: func.func @decode_nhd
// CHECK-SAME: (%[[Q:.*]]: tensor<2x4x1x8xf16>, %[[KC:.*]]: tensor<5x4x2x8xf16>, %[[VC:.*]]: tensor<5x4x2x8xf16>, %[[T:.*]]: tensor<2x3xi32>, %[[L:.*]]: tensor<2xi32>)
// CHECK-DAG: %[[FALSE:.*]] = arith.constant false
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[BS:.*]] = arith.constant 4 : index
// CHECK-DAG: %[[NB:.*]] = arith.constant 5 : index
// CHECK: %[[DK:.*]] = attn.paged_gather %[[KC]], %[[T]], %[[L]] : tensor<5x4x2x8xf16>, tensor<2x3xi32>, tensor<2xi32> -> tensor<2x2x12x8xf16>
// CHECK: %[[DV:.*]] = attn.paged_gather %[[VC]], %[[T]], %[[L]] : tensor<5x4x2x8xf16>, tensor<2x3xi32>, tensor<2xi32> -> tensor<2x2x12x8xf16>
// CHECK: %[[P:.*]] = linalg.generic
// CHECK-SAME: outs(%{{.*}} : tensor<2x1x1x12xi1>)
// CHECK: %[[B:.*]] = linalg.index 0 : index
// CHECK: %[[J:.*]] = linalg.index 3 : index
// CHECK: %[[N:.*]] = arith.divui %[[J]], %[[BS]] : index
// CHECK: %[[LEN:.*]] = tensor.extract %[[L]][%[[B]]] : tensor<2xi32>
// CHECK: %[[LENI:.*]] = arith.index_cast %[[LEN]] : i32 to index
// CHECK: %[[IN:.*]] = arith.cmpi slt, %[[J]], %[[LENI]] : index
// CHECK: scf.if %[[IN]] -> (i1)
// CHECK: %[[BLK:.*]] = tensor.extract %[[T]][%[[B]], %[[N]]] : tensor<2x3xi32>
// CHECK: %[[BLKI:.*]] = arith.index_cast %[[BLK]] : i32 to index
// CHECK: arith.cmpi slt, %[[BLKI]], %[[NB]] : index
// CHECK: arith.cmpi sge, %[[BLKI]], %[[C0]] : index
// CHECK: } else {
// CHECK-NEXT: scf.yield %[[FALSE]] : i1
// CHECK: %[[O:.*]] = attn.sdpa %[[Q]], %[[DK]], %[[DV]] attn_mask(%[[P]] : tensor<2x1x1x12xi1>) kv_lens(%[[L]] : tensor<2xi32>) {mask = #attn.mask<align = bottom_right>, scale = 2.500000e-01 : f32}
// CHECK-SAME: : tensor<2x4x1x8xf16>, tensor<2x2x12x8xf16>, tensor<2x2x12x8xf16> -> tensor<2x4x1x8xf16>
// CHECK: return %[[O]]
func.func @decode_nhd(%q: tensor<2x4x1x8xf16>, %kc: tensor<5x4x2x8xf16>,
                      %vc: tensor<5x4x2x8xf16>, %t: tensor<2x3xi32>,
                      %l: tensor<2xi32>) -> tensor<2x4x1x8xf16> {
  %o = attn.paged_attention %q, %kc, %vc, %t, %l {scale = 0.25 : f32}
      : tensor<2x4x1x8xf16>, tensor<5x4x2x8xf16>, tensor<5x4x2x8xf16>,
        tensor<2x3xi32>, tensor<2xi32> -> tensor<2x4x1x8xf16>
  return %o : tensor<2x4x1x8xf16>
}

// -----

// HND chunked prefill with a causal window and softcap: the gathers keep
// the pools' layout; the mask keeps its bounds, aligned bottom-right;
// softcap carries over.
// CHECK-LABEL: func.func @prefill_hnd
// CHECK: attn.paged_gather %{{.*}} {cache_layout = #attn<cache_layout hnd>} : tensor<6x2x4x4xf32>, tensor<1x4xi32>, tensor<1xi32> -> tensor<1x2x16x4xf32>
// CHECK: attn.sdpa
// CHECK-SAME: {mask = #attn.mask<causal = true, align = bottom_right, window_left = 5>, softcap = 3.000000e+01 : f32}
func.func @prefill_hnd(%q: tensor<1x2x3x4xf32>, %kc: tensor<6x2x4x4xf32>,
                       %vc: tensor<6x2x4x4xf32>, %t: tensor<1x4xi32>,
                       %l: tensor<1xi32>) -> tensor<1x2x3x4xf32> {
  %o = attn.paged_attention %q, %kc, %vc, %t, %l
      {cache_layout = #attn<cache_layout hnd>, softcap = 30.0 : f32,
       mask = #attn.mask<causal = true, align = bottom_right, window_left = 5>}
      : tensor<1x2x3x4xf32>, tensor<6x2x4x4xf32>, tensor<6x2x4x4xf32>,
        tensor<1x4xi32>, tensor<1xi32> -> tensor<1x2x3x4xf32>
  return %o : tensor<1x2x3x4xf32>
}

// -----

// Quantized pools: the codes are gathered, then dequantized with the
// per-head scales on dense dimension 1.
// CHECK-LABEL: func.func @int8_per_head
// CHECK: %[[DK:.*]] = attn.paged_gather %{{.*}} : tensor<3x2x2x4xi8>, tensor<1x2xi32>, tensor<1xi32> -> tensor<1x2x4x4xi8>
// CHECK: %[[K:.*]] = attn.dequantize %[[DK]], %{{.*}} {quant = #attn.quant<int8_sym, per_head, axis = 1>} : tensor<1x2x4x4xi8>, tensor<2xf32> -> tensor<1x2x4x4xf32>
// CHECK: %[[DV:.*]] = attn.paged_gather
// CHECK: %[[V:.*]] = attn.dequantize %[[DV]]
// CHECK: attn.sdpa %{{.*}}, %[[K]], %[[V]] attn_mask
func.func @int8_per_head(%q: tensor<1x2x1x4xf32>, %kc: tensor<3x2x2x4xi8>,
                         %vc: tensor<3x2x2x4xi8>, %t: tensor<1x2xi32>,
                         %l: tensor<1xi32>, %ks: tensor<2xf32>,
                         %vs: tensor<2xf32>) -> tensor<1x2x1x4xf32> {
  %o = attn.paged_attention %q, %kc, %vc, %t, %l k_scale(%ks : tensor<2xf32>)
      v_scale(%vs : tensor<2xf32>) {kv_quant = #attn.quant<int8_sym, per_head, axis = 2>}
      : tensor<1x2x1x4xf32>, tensor<3x2x2x4xi8>, tensor<3x2x2x4xi8>,
        tensor<1x2xi32>, tensor<1xi32> -> tensor<1x2x1x4xf32>
  return %o : tensor<1x2x1x4xf32>
}

// -----

// Per-token scales and zero points are gathered like the codes.
// CHECK-LABEL: func.func @int8_asym_per_token
// CHECK: %[[DK:.*]] = attn.paged_gather %[[KC:.*]], %[[T:.*]], %[[L:.*]] {cache_layout = #attn<cache_layout hnd>} : tensor<6x2x4x8xi8>, tensor<2x3xi32>, tensor<2xi32> -> tensor<2x2x12x8xi8>
// CHECK: %[[KS:.*]] = attn.paged_gather %{{.*}}, %[[T]], %[[L]] {cache_layout = #attn<cache_layout hnd>} : tensor<6x2x4xf32>, tensor<2x3xi32>, tensor<2xi32> -> tensor<2x2x12xf32>
// CHECK: %[[KZ:.*]] = attn.paged_gather %{{.*}}, %[[T]], %[[L]] {cache_layout = #attn<cache_layout hnd>} : tensor<6x2x4xi8>, tensor<2x3xi32>, tensor<2xi32> -> tensor<2x2x12xi8>
// CHECK: attn.dequantize %[[DK]], %[[KS]] zero_point(%[[KZ]] : tensor<2x2x12xi8>) {quant = #attn.quant<int8_asym, per_token>}
func.func @int8_asym_per_token(%q: tensor<2x4x1x8xf32>, %kc: tensor<6x2x4x8xi8>,
    %vc: tensor<6x2x4x8xi8>, %t: tensor<2x3xi32>, %l: tensor<2xi32>,
    %ks: tensor<6x2x4xf32>, %vs: tensor<6x2x4xf32>, %kz: tensor<6x2x4xi8>,
    %vz: tensor<6x2x4xi8>) -> tensor<2x4x1x8xf32> {
  %o = attn.paged_attention %q, %kc, %vc, %t, %l
      k_scale(%ks : tensor<6x2x4xf32>) v_scale(%vs : tensor<6x2x4xf32>)
      k_zero_point(%kz : tensor<6x2x4xi8>) v_zero_point(%vz : tensor<6x2x4xi8>)
      {kv_quant = #attn.quant<int8_asym, per_token>,
       cache_layout = #attn<cache_layout hnd>}
      : tensor<2x4x1x8xf32>, tensor<6x2x4x8xi8>, tensor<6x2x4x8xi8>,
        tensor<2x3xi32>, tensor<2xi32> -> tensor<2x4x1x8xf32>
  return %o : tensor<2x4x1x8xf32>
}

// -----

// Dynamic shapes stay for convert-attn-to-linalg's element-wise gather.
// CHECK-LABEL: func.func @dynamic
// CHECK: attn.paged_attention
// CHECK-NOT: attn.sdpa
func.func @dynamic(%q: tensor<?x2x1x4xf32>, %kc: tensor<3x2x2x4xf32>,
                   %vc: tensor<3x2x2x4xf32>, %t: tensor<?x2xi32>,
                   %l: tensor<?xi32>) -> tensor<?x2x1x4xf32> {
  %o = attn.paged_attention %q, %kc, %vc, %t, %l
      : tensor<?x2x1x4xf32>, tensor<3x2x2x4xf32>, tensor<3x2x2x4xf32>,
        tensor<?x2xi32>, tensor<?xi32> -> tensor<?x2x1x4xf32>
  return %o : tensor<?x2x1x4xf32>
}
