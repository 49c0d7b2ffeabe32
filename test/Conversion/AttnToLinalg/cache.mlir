// RUN: attn-opt %s -convert-attn-to-linalg -split-input-file | FileCheck %s

// Append (HND): an scf.for over sequences and one over new tokens; a token is
// written when t < new_lens[b], its position is >= 0 and inside the table,
// and its block id is in [0, num_blocks); the [Hkv, D] slice goes to
// [blk, :, slot, :].
// CHECK-LABEL: func.func @append_hnd
// CHECK-SAME: (%[[KC:.*]]: tensor<4x2x2x3xf32>, %[[VC:.*]]: tensor<4x2x2x5xf32>, %[[K:.*]]: tensor<3x6x2x3xf32>, %[[V:.*]]: tensor<3x6x2x5xf32>, %[[T:.*]]: tensor<3x7xi32>, %[[L:.*]]: tensor<3xi32>, %[[N:.*]]: tensor<3xi32>)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[BS:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[B:.*]] = arith.constant 3 : index
// CHECK-DAG: %[[S:.*]] = arith.constant 6 : index
// CHECK-DAG: %[[MB:.*]] = arith.constant 7 : index
// CHECK-DAG: %[[NB:.*]] = arith.constant 4 : index
// CHECK: %[[R:.*]]:2 = scf.for %[[BI:.*]] = %[[C0]] to %[[B]] step %{{.*}} iter_args(%{{.*}} = %[[KC]], %{{.*}} = %[[VC]])
// CHECK: %[[BASE:.*]] = arith.index_cast %{{.*}} : i32 to index
// CHECK: %[[LIM:.*]] = arith.index_cast %{{.*}} : i32 to index
// CHECK: scf.for %[[TI:.*]] = %[[C0]] to %[[S]] step %{{.*}} iter_args(%[[KA:.*]] = %{{.*}}, %[[VA:.*]] = %{{.*}})
// CHECK: %[[P:.*]] = arith.addi %[[BASE]], %[[TI]] : index
// CHECK: %[[NBLK:.*]] = arith.divsi %[[P]], %[[BS]] : index
// CHECK: %[[SLOT:.*]] = arith.remsi %[[P]], %[[BS]] : index
// CHECK: arith.cmpi slt, %[[NBLK]], %[[MB]] : index
// CHECK: arith.cmpi sge, %[[P]], %[[C0]] : index
// CHECK: arith.cmpi slt, %[[TI]], %[[LIM]] : index
// CHECK: scf.if
// CHECK: %[[BLKI:.*]] = tensor.extract %[[T]][%[[BI]], %[[NBLK]]] : tensor<3x7xi32>
// CHECK: %[[BLK:.*]] = arith.index_cast %[[BLKI]] : i32 to index
// CHECK: arith.cmpi slt, %[[BLK]], %[[NB]] : index
// CHECK: arith.cmpi sge, %[[BLK]], %{{.*}} : index
// CHECK: scf.if
// CHECK: %[[KS:.*]] = tensor.extract_slice %[[K]][%[[BI]], %[[TI]], 0, 0] [1, 1, 2, 3] [1, 1, 1, 1] : tensor<3x6x2x3xf32> to tensor<2x3xf32>
// CHECK: %[[KI:.*]] = tensor.insert_slice %[[KS]] into %[[KA]][%[[BLK]], 0, %[[SLOT]], 0] [1, 2, 1, 3] [1, 1, 1, 1] : tensor<2x3xf32> into tensor<4x2x2x3xf32>
// CHECK: %[[VS:.*]] = tensor.extract_slice %[[V]][%[[BI]], %[[TI]], 0, 0] [1, 1, 2, 5] [1, 1, 1, 1] : tensor<3x6x2x5xf32> to tensor<2x5xf32>
// CHECK: %[[VI:.*]] = tensor.insert_slice %[[VS]] into %[[VA]][%[[BLK]], 0, %[[SLOT]], 0] [1, 2, 1, 5] [1, 1, 1, 1] : tensor<2x5xf32> into tensor<4x2x2x5xf32>
// CHECK: scf.yield %[[KI]], %[[VI]]
// CHECK: return %[[R]]#0, %[[R]]#1
func.func @append_hnd(%kc: tensor<4x2x2x3xf32>, %vc: tensor<4x2x2x5xf32>,
                      %k: tensor<3x6x2x3xf32>, %v: tensor<3x6x2x5xf32>,
                      %t: tensor<3x7xi32>, %l: tensor<3xi32>, %n: tensor<3xi32>)
    -> (tensor<4x2x2x3xf32>, tensor<4x2x2x5xf32>) {
  %a, %b = attn.kv_cache_append %kc, %vc, %k, %v, %t, %l new_lens(%n : tensor<3xi32>)
      {cache_layout = #attn<cache_layout hnd>}
      : tensor<4x2x2x3xf32>, tensor<4x2x2x5xf32>, tensor<3x6x2x3xf32>,
        tensor<3x6x2x5xf32>, tensor<3x7xi32>, tensor<3xi32>
  return %a, %b : tensor<4x2x2x3xf32>, tensor<4x2x2x5xf32>
}

// -----

// Without new_lens every token is a candidate (t < S_new); NHD slices go to
// [blk, slot, :, :].
// CHECK-LABEL: func.func @append_nhd
// CHECK: %[[S:.*]] = arith.constant 6 : index
// CHECK: scf.for
// CHECK: tensor.extract %{{.*}}[%{{.*}}] : tensor<3xi32>
// CHECK-NOT: tensor<3xi32>
// CHECK: scf.for
// CHECK: arith.cmpi slt, %{{.*}}, %[[S]] : index
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[%{{.*}}, %{{.*}}, 0, 0] [1, 1, 2, 3] [1, 1, 1, 1] : tensor<2x3xi8> into tensor<4x2x2x3xi8>
func.func @append_nhd(%kc: tensor<4x2x2x3xi8>, %k: tensor<3x6x2x3xi8>,
                      %t: tensor<3x7xi32>, %l: tensor<3xi32>)
    -> (tensor<4x2x2x3xi8>, tensor<4x2x2x3xi8>) {
  %a, %b = attn.kv_cache_append %kc, %kc, %k, %k, %t, %l
      : tensor<4x2x2x3xi8>, tensor<4x2x2x3xi8>, tensor<3x6x2x3xi8>,
        tensor<3x6x2x3xi8>, tensor<3x7xi32>, tensor<3xi32>
  return %a, %b : tensor<4x2x2x3xi8>, tensor<4x2x2x3xi8>
}

// -----

// Paged attention: K and V are gathered into [B, Hkv, max_blocks * bs, D]
// through the block table (reads guarded by j < context_lens[b] and a valid
// block id), a [B, 1, 1, L] presence mask is built the same way, and the
// unfused chain follows with bottom-right diagonals d = i + ctx[b] - Sq.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[KMAP:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1 floordiv 2, d3, d4)>
// CHECK-LABEL: func.func @paged
// CHECK-SAME: (%[[Q:.*]]: tensor<2x4x3x4xf32>, %[[KC:.*]]: tensor<5x2x2x4xf32>, %[[VC:.*]]: tensor<5x2x2x3xf32>, %[[T:.*]]: tensor<2x3xi32>, %[[CTX:.*]]: tensor<2xi32>)
// CHECK: %[[DK:.*]] = linalg.generic {indexing_maps = [#[[ID]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%{{.*}} : tensor<2x2x6x4xf32>)
// CHECK: %[[BI:.*]] = linalg.index 0 : index
// CHECK: %[[H:.*]] = linalg.index 1 : index
// CHECK: %[[J:.*]] = linalg.index 2 : index
// CHECK: %[[D:.*]] = linalg.index 3 : index
// CHECK: %[[NBLK:.*]] = arith.divui %[[J]], %{{.*}} : index
// CHECK: %[[SLOT:.*]] = arith.remui %[[J]], %{{.*}} : index
// CHECK: tensor.extract %[[CTX]][%[[BI]]] : tensor<2xi32>
// CHECK: scf.if
// CHECK: tensor.extract %[[T]][%[[BI]], %[[NBLK]]] : tensor<2x3xi32>
// CHECK: scf.if
// CHECK: tensor.extract %[[KC]][%{{.*}}, %[[SLOT]], %[[H]], %[[D]]] : tensor<5x2x2x4xf32>
// CHECK: %[[DV:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<2x2x6x3xf32>)
// CHECK: tensor.extract %[[VC]]
// CHECK: %[[PRES:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<2x1x1x6xi1>)
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[KMAP]], #{{.*}}], {{.*}} ins(%[[Q]], %[[DK]] : tensor<2x4x3x4xf32>, tensor<2x2x6x4xf32>)
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[PRES]], %[[CTX]] : tensor<2x4x3x6xf32>, tensor<2x1x1x6xi1>, tensor<2xi32>)
// CHECK: arith.addi
// CHECK: arith.subi
// CHECK: arith.cmpi sle
// CHECK: math.exp
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[DV]] : tensor<2x4x3x6xf32>, tensor<2x2x6x3xf32>)
// CHECK-NOT: attn.
func.func @paged(%q: tensor<2x4x3x4xf32>, %kc: tensor<5x2x2x4xf32>, %vc: tensor<5x2x2x3xf32>,
                 %t: tensor<2x3xi32>, %c: tensor<2xi32>) -> tensor<2x4x3x3xf32> {
  %o = attn.paged_attention %q, %kc, %vc, %t, %c
      {mask = #attn.mask<causal = true, align = bottom_right>}
      : tensor<2x4x3x4xf32>, tensor<5x2x2x4xf32>, tensor<5x2x2x3xf32>, tensor<2x3xi32>,
        tensor<2xi32> -> tensor<2x4x3x3xf32>
  return %o : tensor<2x4x3x3xf32>
}

// -----

// Quantized pools: the codes are gathered, per-token scales are gathered the
// same way, and the dequantization is (q - zp) * scale / f32(q) * scale.
// CHECK-LABEL: func.func @paged_int8_per_token
// CHECK: %[[CODES:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<2x2x6x4xi8>)
// CHECK: arith.constant 0 : i8
// CHECK: %[[SC:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<2x2x6xf32>)
// CHECK: tensor.extract %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}] : tensor<5x2x2xf32>
// CHECK: linalg.generic {{.*}} ins(%[[CODES]], %[[SC]] : tensor<2x2x6x4xi8>, tensor<2x2x6xf32>) outs(%{{.*}} : tensor<2x2x6x4xf32>)
// CHECK: arith.sitofp %{{.*}} : i8 to f32
// CHECK: arith.mulf
// CHECK-NOT: attn.
func.func @paged_int8_per_token(%q: tensor<2x4x1x4xf32>, %kc: tensor<5x2x2x4xi8>,
                                %t: tensor<2x3xi32>, %c: tensor<2xi32>,
                                %s: tensor<5x2x2xf32>) -> tensor<2x4x1x4xf32> {
  %o = attn.paged_attention %q, %kc, %kc, %t, %c k_scale(%s : tensor<5x2x2xf32>)
      v_scale(%s : tensor<5x2x2xf32>) {kv_quant = #attn.quant<int8_sym, per_token>}
      : tensor<2x4x1x4xf32>, tensor<5x2x2x4xi8>, tensor<5x2x2x4xi8>, tensor<2x3xi32>,
        tensor<2xi32> -> tensor<2x4x1x4xf32>
  return %o : tensor<2x4x1x4xf32>
}

// -----

// FP8 codes gathered as FP8 (the zero for missing slots is the bit pattern
// 0); per-head scales are read at the dense head dim.
// CHECK-LABEL: func.func @paged_fp8_per_head
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x2x4x4xf8E5M2>)
// CHECK: arith.bitcast %{{.*}} : i8 to f8E5M2
// CHECK-NOT: attn.
func.func @paged_fp8_per_head(%q: tensor<1x2x1x4xf32>, %kc: tensor<3x2x2x4xf8E5M2>,
                              %t: tensor<1x2xi32>, %c: tensor<1xi32>,
                              %s: tensor<2xf32>) -> tensor<1x2x1x4xf32> {
  %o = attn.paged_attention %q, %kc, %kc, %t, %c k_scale(%s : tensor<2xf32>)
      v_scale(%s : tensor<2xf32>)
      {cache_layout = #attn<cache_layout hnd>, kv_quant = #attn.quant<fp8_e5m2, per_head, axis = 1>}
      : tensor<1x2x1x4xf32>, tensor<3x2x2x4xf8E5M2>, tensor<3x2x2x4xf8E5M2>, tensor<1x2xi32>,
        tensor<1xi32> -> tensor<1x2x1x4xf32>
  return %o : tensor<1x2x1x4xf32>
}

// -----

// attn.paged_gather of a static pool with a head dim: row copies, one
// scf.forall iteration per sequence; blocks with invalid ids and the rows
// from the context's end to the capacity (12) are zeros.
// CHECK-LABEL: func.func @gather_rows
// CHECK-SAME: (%[[KC:.*]]: tensor<5x4x2x8xf16>, %[[T:.*]]: tensor<2x3xi32>, %[[L:.*]]: tensor<2xi32>)
// CHECK: scf.forall (%[[B:.*]]) in (2)
// CHECK: %[[LEN0:.*]] = arith.maxsi
// CHECK: %[[LEN:.*]] = arith.minsi %[[LEN0]], %[[CAP:.*]] : index
// CHECK: scf.for %[[N:.*]] = %{{.*}} to %{{.*}}
// CHECK: %[[BLKI:.*]] = tensor.extract %[[T]][%[[B]], %[[N]]]
// CHECK: %[[BLK:.*]] = arith.index_cast %[[BLKI]]
// CHECK: scf.if
// CHECK: tensor.extract_slice %[[KC]][%[[BLK]], %{{.*}}, %{{.*}}, 0] [1, 1, 1, 8] [1, 1, 1, 1] : tensor<5x4x2x8xf16> to tensor<8xf16>
// CHECK: } else {
// CHECK: linalg.fill
// CHECK: %[[TAIL:.*]] = arith.subi %{{.*}}, %[[LEN]] : index
// CHECK: tensor.extract_slice %{{.*}}[0, 0, %[[LEN]], 0] [1, 2, %[[TAIL]], 8]
// CHECK: linalg.fill
// CHECK: tensor.parallel_insert_slice
func.func @gather_rows(%kc: tensor<5x4x2x8xf16>, %t: tensor<2x3xi32>,
                       %l: tensor<2xi32>) -> tensor<2x2x12x8xf16> {
  %g = attn.paged_gather %kc, %t, %l
      : tensor<5x4x2x8xf16>, tensor<2x3xi32>, tensor<2xi32>
        -> tensor<2x2x12x8xf16>
  return %g : tensor<2x2x12x8xf16>
}

// -----

// Without a head dim (per-token scales) or with dynamic sizes: one
// linalg.generic reading the pool element by element (HND: [blk, h, slot]).
// CHECK-LABEL: func.func @gather_elements
// CHECK-SAME: (%[[S:.*]]: tensor<?x2x4xf32>, %[[T:.*]]: tensor<2x3xi32>, %[[L:.*]]: tensor<2xi32>)
// CHECK: linalg.generic
// CHECK-SAME: outs(%{{.*}} : tensor<2x2x12xf32>)
// CHECK: %[[B:.*]] = linalg.index 0 : index
// CHECK: %[[H:.*]] = linalg.index 1 : index
// CHECK: %[[J:.*]] = linalg.index 2 : index
// CHECK: %[[N:.*]] = arith.divui %[[J]]
// CHECK: %[[SLOT:.*]] = arith.remui %[[J]]
// CHECK: scf.if
// CHECK: %[[BLKI:.*]] = tensor.extract %[[T]][%[[B]], %[[N]]]
// CHECK: %[[BLK:.*]] = arith.index_cast %[[BLKI]]
// CHECK: scf.if
// CHECK: tensor.extract %[[S]][%[[BLK]], %[[H]], %[[SLOT]]] : tensor<?x2x4xf32>
func.func @gather_elements(%s: tensor<?x2x4xf32>, %t: tensor<2x3xi32>,
                           %l: tensor<2xi32>) -> tensor<2x2x12xf32> {
  %g = attn.paged_gather %s, %t, %l {cache_layout = #attn<cache_layout hnd>}
      : tensor<?x2x4xf32>, tensor<2x3xi32>, tensor<2xi32> -> tensor<2x2x12xf32>
  return %g : tensor<2x2x12xf32>
}
