// RUN: attn-opt %s -attn-paged-attention-to-sdpa="tile-kv=8" -split-input-file | FileCheck %s
// RUN: not attn-opt %s -attn-paged-attention-to-sdpa="tile-kv=0" -split-input-file 2>&1 | FileCheck %s --check-prefix=TILE
// TILE: error: expected tile-kv > 0, got 0

// NHD decode: dense K and V [B, Hkv, blocks * bs, D]; for each sequence (an
// scf.forall iteration filling its [1, Hkv, L, D] slice), the blocks holding
// its context (ceil(ctx / bs), the context clamped to
// [0, 3 * 4]) with a valid id, each KV head and each cached row of the block
// (4, fewer in the last one): one [D] row copy from pool[blk, slot, h, :] to
// slice[0, h, n * 4 + slot, :]; zeros for a block with an invalid id, and
// from the context's end to the end of its last tile of 8 keys (at most the
// capacity, 12). Then one attn.sdpa with the context lengths as kv_lens, a
// bottom-right mask, the op's scale and the presence of each key as its
// boolean mask.
// CHECK-LABEL: func.func @decode_nhd
// CHECK-SAME: (%[[Q:.*]]: tensor<2x4x1x8xf16>, %[[KC:.*]]: tensor<5x4x2x8xf16>, %[[VC:.*]]: tensor<5x4x2x8xf16>, %[[T:.*]]: tensor<2x3xi32>, %[[L:.*]]: tensor<2xi32>)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[BS:.*]] = arith.constant 4 : index
// CHECK-DAG: %[[NB:.*]] = arith.constant 5 : index
// CHECK-DAG: %[[CAP:.*]] = arith.constant 12 : index
// CHECK-DAG: %[[TSZ:.*]] = arith.constant 8 : index
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f16
// CHECK: %[[E:.*]] = tensor.empty() : tensor<2x2x12x8xf16>
// CHECK: %[[DK:.*]] = scf.forall (%[[B:.*]]) in (2) shared_outs(%[[SH:.*]] = %[[E]]) -> (tensor<2x2x12x8xf16>)
// CHECK: %[[AB:.*]] = tensor.extract_slice %[[SH]][%[[B]], 0, 0, 0] [1, 2, 12, 8] [1, 1, 1, 1] : tensor<2x2x12x8xf16> to tensor<1x2x12x8xf16>
// CHECK: %[[LEN0:.*]] = arith.index_cast %{{.*}} : i32 to index
// CHECK: %[[LEN1:.*]] = arith.maxsi %[[LEN0]], %[[C0]] : index
// CHECK: %[[LEN:.*]] = arith.minsi %[[LEN1]], %[[CAP]] : index
// CHECK: %[[NEND:.*]] = arith.ceildivui %[[LEN]], %[[BS]] : index
// CHECK: scf.for %[[N:.*]] = %[[C0]] to %[[NEND]] step %[[C1]] iter_args(%[[AN:.*]] = %[[AB]])
// CHECK: %[[START:.*]] = arith.muli %[[N]], %[[BS]] : index
// CHECK: %[[REST:.*]] = arith.subi %[[LEN]], %[[START]] : index
// CHECK: %[[CNT:.*]] = arith.minui %[[REST]], %[[BS]] : index
// CHECK: %[[BLKI:.*]] = tensor.extract %[[T]][%[[B]], %[[N]]] : tensor<2x3xi32>
// CHECK: %[[BLK:.*]] = arith.index_cast %[[BLKI]] : i32 to index
// CHECK: arith.cmpi slt, %[[BLK]], %[[NB]] : index
// CHECK: arith.cmpi sge, %[[BLK]], %{{.*}} : index
// CHECK: scf.if
// CHECK: scf.for %[[H:.*]] = %[[C0]] to %[[C2]] step %[[C1]] iter_args(%[[AH:.*]] = %[[AN]])
// CHECK: scf.for %[[S:.*]] = %[[C0]] to %[[CNT]] step %[[C1]] iter_args(%[[AS:.*]] = %[[AH]])
// CHECK: %[[ROW:.*]] = tensor.extract_slice %[[KC]][%[[BLK]], %[[S]], %[[H]], 0] [1, 1, 1, 8] [1, 1, 1, 1] : tensor<5x4x2x8xf16> to tensor<8xf16>
// CHECK: %[[J:.*]] = arith.addi %[[START]], %[[S]] : index
// CHECK: tensor.insert_slice %[[ROW]] into %[[AS]][0, %[[H]], %[[J]], 0] [1, 1, 1, 8] [1, 1, 1, 1] : tensor<8xf16> into tensor<1x2x12x8xf16>
// CHECK: } else {
// CHECK-NEXT: %[[INV:.*]] = tensor.extract_slice %[[AN]][0, 0, %[[START]], 0] [1, 2, %[[CNT]], 8] [1, 1, 1, 1]
// CHECK-NEXT: %[[INVZ:.*]] = linalg.fill ins(%[[ZERO]] : f16) outs(%[[INV]] : tensor<1x2x?x8xf16>)
// CHECK-NEXT: %[[INVI:.*]] = tensor.insert_slice %[[INVZ]] into %[[AN]][0, 0, %[[START]], 0] [1, 2, %[[CNT]], 8]
// CHECK-NEXT: scf.yield %[[INVI]]
// CHECK: %[[NT:.*]] = arith.ceildivui %[[LEN]], %[[TSZ]] : index
// CHECK: %[[TE0:.*]] = arith.muli %[[NT]], %[[TSZ]] : index
// CHECK: %[[TE:.*]] = arith.minui %[[TE0]], %[[CAP]] : index
// CHECK: %[[TAIL:.*]] = arith.subi %[[TE]], %[[LEN]] : index
// CHECK: %[[TS:.*]] = tensor.extract_slice %[[LAST:.*]][0, 0, %[[LEN]], 0] [1, 2, %[[TAIL]], 8] [1, 1, 1, 1]
// CHECK: %[[TZ:.*]] = linalg.fill ins(%[[ZERO]] : f16) outs(%[[TS]] : tensor<1x2x?x8xf16>)
// CHECK: %[[DONE:.*]] = tensor.insert_slice %[[TZ]] into %[[LAST]][0, 0, %[[LEN]], 0]
// CHECK: scf.forall.in_parallel
// CHECK-NEXT: tensor.parallel_insert_slice %[[DONE]] into %[[SH]][%[[B]], 0, 0, 0] [1, 2, 12, 8] [1, 1, 1, 1] : tensor<1x2x12x8xf16> into tensor<2x2x12x8xf16>
// CHECK: %[[DV:.*]] = scf.forall
// CHECK: tensor.extract_slice %[[VC]]
// CHECK: %[[P:.*]] = linalg.generic
// CHECK-SAME: outs(%{{.*}} : tensor<2x1x1x12xi1>)
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

// HND chunked prefill with a causal window and softcap: the row of slot s of
// head h is pool[blk, h, s, :]; the mask keeps its bounds, aligned
// bottom-right; softcap carries over.
// CHECK-LABEL: func.func @prefill_hnd
// CHECK: tensor.extract_slice %{{.*}}[%{{.*}}, %[[H:.*]], %[[S:.*]], 0] [1, 1, 1, 4] [1, 1, 1, 1] : tensor<6x2x4x4xf32> to tensor<4xf32>
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

// Quantized pools: the codes are gathered by rows (zero codes where zeros
// are written), then dequantized with the per-head scales on dense
// dimension 1.
// CHECK-LABEL: func.func @int8_per_head
// CHECK: %[[DK:.*]] = scf.forall
// CHECK: linalg.fill ins(%{{.*}} : i8) outs(%{{.*}} : tensor<1x2x?x4xi8>)
// CHECK: %[[K:.*]] = attn.dequantize %[[DK]], %{{.*}} {quant = #attn.quant<int8_sym, per_head, axis = 1>} : tensor<1x2x4x4xi8>, tensor<2xf32> -> tensor<1x2x4x4xf32>
// CHECK: %[[DV:.*]] = scf.forall
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
