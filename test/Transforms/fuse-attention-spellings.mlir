// The spellings of Inputs/fusion-spellings.mlir (also run on the CPU before
// and after fusion by test/python/fusion/run_spellings.py) each fuse into one
// attn.sdpa, leaving no contraction, softmax or mask computation behind, and
// report no miss.
// RUN: attn-opt --attn-fuse-attention %S/Inputs/fusion-spellings.mlir | FileCheck %s --implicit-check-not=linalg.matmul --implicit-check-not=linalg.batch_matmul --implicit-check-not=linalg.contract --implicit-check-not=linalg.softmax --implicit-check-not=linalg.transpose --implicit-check-not=math.exp --implicit-check-not=arith.select --implicit-check-not=arith.maximumf
// RUN: attn-opt --attn-fuse-attention="report-misses=1" --verify-diagnostics %S/Inputs/fusion-spellings.mlir -o /dev/null
// RUN: attn-opt --attn-fuse-attention %S/Inputs/fusion-spellings-tosa.mlir | FileCheck %s --check-prefix=TOSA
// RUN: attn-opt --attn-fuse-attention="report-misses=1" --verify-diagnostics %S/Inputs/fusion-spellings-tosa.mlir -o /dev/null

// Look-alikes stay as they are, each with the reason as a remark; a chain
// with no softmax between its products gets no remark.
// RUN: attn-opt --attn-fuse-attention --split-input-file %s | FileCheck %s --check-prefix=KEEP
// RUN: attn-opt --attn-fuse-attention="report-misses=1" --split-input-file --verify-diagnostics %s -o /dev/null

// CHECK-LABEL: func.func @rank2_matmul(
// CHECK-SAME:      %[[Q:[^:]*]]: tensor<8x16xf32>, %[[K:[^:]*]]: tensor<12x16xf32>, %[[V:[^:]*]]: tensor<12x8xf32>)
// CHECK-DAG:     %[[Q4:.*]] = tensor.expand_shape %[[Q]] {{\[\[}}0, 1, 2], [3]] output_shape [1, 1, 8, 16]
// CHECK-DAG:     %[[K4:.*]] = tensor.expand_shape %[[K]] {{\[\[}}0, 1, 2], [3]] output_shape [1, 1, 12, 16]
// CHECK-DAG:     %[[V4:.*]] = tensor.expand_shape %[[V]] {{\[\[}}0, 1, 2], [3]] output_shape [1, 1, 12, 8]
// CHECK:         attn.sdpa %[[Q4]], %[[K4]], %[[V4]] {scale = 2.500000e-01 : f32} : tensor<1x1x8x16xf32>, tensor<1x1x12x16xf32>, tensor<1x1x12x8xf32> -> tensor<1x1x8x8xf32>

// CHECK-LABEL: func.func @matmul_transpose_b(
// CHECK:         attn.sdpa {{.*}} {scale = 2.500000e-01 : f32} : tensor<1x1x8x16xf32>, tensor<1x1x12x16xf32>, tensor<1x1x12x8xf32>

// CHECK-LABEL: func.func @batch_matmul_transpose_b(
// CHECK:         attn.sdpa {{.*}} {scale = 2.500000e-01 : f32} : tensor<1x4x8x16xf32>, tensor<1x4x12x16xf32>, tensor<1x4x12x8xf32>

// CHECK-LABEL: func.func @einsum_generic(
// CHECK-SAME:      %[[Q:[^:]*]]: tensor<2x2x8x16xf32>, %[[K:[^:]*]]: tensor<2x2x12x16xf32>, %[[V:[^:]*]]: tensor<2x2x12x8xf32>)
// CHECK-NEXT:    %[[O:.*]] = attn.sdpa %[[Q]], %[[K]], %[[V]] {scale = 2.500000e-01 : f32}
// CHECK-NEXT:    return %[[O]]

// CHECK-LABEL: func.func @contract(
// CHECK:         attn.sdpa {{.*}} {scale = 2.500000e-01 : f32} : tensor<1x4x8x16xf32>, tensor<1x4x12x16xf32>, tensor<1x4x12x8xf32>

// CHECK-LABEL: func.func @bool_mask_keep(
// CHECK-SAME:      %[[Q:[^:]*]]: tensor<2x2x8x16xf32>, %[[K:[^:]*]]: tensor<2x2x12x16xf32>, %[[V:[^:]*]]: tensor<2x2x12x8xf32>, %[[M:[^:]*]]: tensor<2x1x8x12xi1>)
// CHECK-NEXT:    %[[O:.*]] = attn.sdpa %[[Q]], %[[K]], %[[V]] attn_mask(%[[M]] : tensor<2x1x8x12xi1>) {scale = 1.000000e+00 : f32}
// CHECK-NEXT:    return %[[O]]

// CHECK-LABEL: func.func @bool_mask_hide(
// CHECK-SAME:      %[[M:[^:]*]]: tensor<8x12xi1>)
// CHECK:         %[[NOT:.*]] = linalg.generic {{.*}} ins(%[[M]] : tensor<8x12xi1>)
// CHECK:           arith.xori
// CHECK:         %[[M4:.*]] = tensor.expand_shape %[[NOT]] {{\[\[}}0, 1, 2], [3]] output_shape [1, 1, 8, 12]
// CHECK:         attn.sdpa {{.*}} attn_mask(%[[M4]] : tensor<1x1x8x12xi1>) {scale = 1.000000e+00 : f32}

// The mask computation stays (it is not part of the chain) and feeds
// attn_mask.
// CHECK-LABEL: func.func @computed_additive_mask(
// CHECK:         %[[BIAS:.*]] = linalg.generic
// CHECK:           arith.subf
// CHECK:           arith.mulf
// CHECK:         %[[O:.*]] = attn.sdpa %{{.*}}, %{{.*}}, %{{.*}} attn_mask(%[[BIAS]] : tensor<2x1x1x12xf32>) {scale = 2.500000e-01 : f32}
// CHECK-NEXT:    return %[[O]]

// CHECK-LABEL: func.func @normalized_pv(
// CHECK-NEXT:    %[[O:.*]] = attn.sdpa %{{.*}}, %{{.*}}, %{{.*}} {scale = 2.500000e-01 : f32}
// CHECK-NEXT:    return %[[O]]

// Causal then a left edge, two masked_fill steps: one sliding-window mask.
// CHECK-LABEL: func.func @sliding_window(
// CHECK:         attn.sdpa {{.*}} {mask = #attn.mask<causal = true, window_left = 4>, scale = 1.000000e+00 : f32}

// The same band in one select (`and` of the two sides).
// CHECK-LABEL: func.func @sliding_window_one_select(
// CHECK:         attn.sdpa {{.*}} {mask = #attn.mask<causal = true, window_left = 4>, scale = 1.000000e+00 : f32}

// The window computed into a boolean tensor by another generic, as keys to
// show (`and`) or to hide (`or`): the same mask, the tensor left unused.
// CHECK-LABEL: func.func @sliding_window_mask_tensor(
// CHECK-NOT:     linalg.generic
// CHECK:         attn.sdpa {{.*}} {mask = #attn.mask<causal = true, window_left = 4>, scale = 1.000000e+00 : f32}
// CHECK-LABEL: func.func @sliding_window_hide_tensor(
// CHECK-NOT:     linalg.generic
// CHECK:         attn.sdpa {{.*}} {mask = #attn.mask<causal = true, window_left = 4>, scale = 1.000000e+00 : f32}

// Mixed precision: the operands widened to f32, one f32 attn.sdpa.
// CHECK-LABEL: func.func @mixed_precision(
// CHECK-COUNT-3: arith.extf %{{.*}} : f16 to f32
// CHECK:         attn.sdpa {{.*}} {scale = 1.000000e+00 : f32} : tensor<1x4x12x16xf32>, tensor<1x4x12x16xf32>, tensor<1x4x12x8xf32> -> tensor<1x4x12x8xf32>
// CHECK-NOT:     linalg.generic

// A scale inside P·V: attn.sdpa, then the result times 0.5.
// CHECK-LABEL: func.func @scaled_pv(
// CHECK:         %[[O:.*]] = attn.sdpa {{.*}} {scale = 1.000000e+00 : f32}
// CHECK:         linalg.generic {{.*}} ins(%[[O]] : tensor<2x2x8x8xf32>)
// CHECK:           arith.mulf %{{.*}}, %{{.*}} : f32

// A result narrower than the operands (P·V of f32 accumulating into f16):
// an f32 attn.sdpa whose result is rounded to f16 once.
// CHECK-LABEL: func.func @narrower_result(
// CHECK:         %[[O:.*]] = attn.sdpa {{.*}} -> tensor<1x4x8x16xf32>
// CHECK:         linalg.generic {{.*}} ins(%{{.*}} : tensor<4x8x16xf32>) outs(%{{.*}} : tensor<4x8x16xf16>)
// CHECK:           arith.truncf %{{.*}} : f32 to f16

// Softcap 5 · tanh(s / 5) over 0.25 · QKᵀ, then a causal mask.
// CHECK-LABEL: func.func @softcap(
// CHECK:         attn.sdpa {{.*}} {mask = #attn.mask<causal = true>, scale = 2.500000e-01 : f32, softcap = 5.000000e+00 : f32}

// ALiBi, slope[h] · (j - i) from an argument, after the scale.
// CHECK-LABEL: func.func @alibi(
// CHECK-SAME:      %[[SL:[^:]*]]: tensor<2xf32>)
// CHECK-NEXT:    attn.sdpa %{{.*}}, %{{.*}}, %{{.*}} alibi(%[[SL]] : tensor<2xf32>) {scale = 2.500000e-01 : f32}

// ALiBi on flattened [B·H, S, S] scores with B = 1: the heads are the
// first dimension.
// CHECK-LABEL: func.func @alibi_flat(
// CHECK-SAME:      %[[SL:[^:]*]]: tensor<2xf32>)
// CHECK:         attn.sdpa %{{.*}}, %{{.*}}, %{{.*}} alibi(%[[SL]] : tensor<2xf32>) {scale = 2.500000e-01 : f32}

// ALiBi on flattened [B·H, S, S] scores with B = 2: the slopes read at
// `d0 mod 2` make the leading dimension (batch 2, heads 2).
// CHECK-LABEL: func.func @alibi_flat_batched(
// CHECK-SAME:      %[[SL:[^:]*]]: tensor<2xf32>)
// CHECK:         tensor.expand_shape %{{.*}} {{\[\[}}0, 1], [2], [3]] output_shape [2, 2, 8, 16]
// CHECK:         attn.sdpa %{{.*}}, %{{.*}}, %{{.*}} alibi(%[[SL]] : tensor<2xf32>) {scale = 2.500000e-01 : f32} : tensor<2x2x8x16xf32>, tensor<2x2x12x16xf32>, tensor<2x2x12x8xf32> -> tensor<2x2x8x8xf32>

// f16 queries, bf16 keys and values, f32 result: one f32 attn.sdpa over
// the operands widened.
// CHECK-LABEL: func.func @mixed_f16_bf16(
// CHECK:         arith.extf %{{.*}} : f16 to f32
// CHECK-COUNT-2: arith.extf %{{.*}} : bf16 to f32
// CHECK:         attn.sdpa {{.*}} : tensor<1x4x12x16xf32>, tensor<1x4x12x16xf32>, tensor<1x4x12x8xf32> -> tensor<1x4x12x8xf32>
// CHECK-NOT:     linalg.generic

// f16 Q and K, bf16 V and result: f32 attn.sdpa, its result rounded to
// bf16 once.
// CHECK-LABEL: func.func @bf16_result(
// CHECK-COUNT-2: arith.extf %{{.*}} : f16 to f32
// CHECK:         arith.extf %{{.*}} : bf16 to f32
// CHECK:         attn.sdpa {{.*}} -> tensor<1x4x12x8xf32>
// CHECK:         linalg.generic {{.*}} outs(%{{.*}} : tensor<4x12x8xbf16>)
// CHECK:           arith.truncf %{{.*}} : f32 to bf16

// The TOSA spellings (Inputs/fusion-spellings-tosa.mlir).
// A sliding window from aranges (TOSA has no iota: torch.arange becomes a
// constant): keys shown where j <= i and j >= i - 2, both sides joined by
// tosa.logical_and before the select: causal with a left window of 2.
// TOSA-LABEL: func.func @band_logical_and(
// TOSA:         attn.sdpa {{.*}} {mask = #attn.mask<causal = true, window_left = 2>, scale = 1.000000e+00 : f32}
// TOSA-NOT:     tosa.

// The complement: hidden where j > i or j < i - 2 (tosa.logical_or), the
// scores on the select's false side.
// TOSA-LABEL: func.func @band_logical_or(
// TOSA:         attn.sdpa {{.*}} {mask = #attn.mask<causal = true, window_left = 2>, scale = 1.000000e+00 : f32}
// TOSA-NOT:     tosa.

// ALiBi in TOSA, slopes[h] · (j - i) from a 1-D argument reshaped to
// [H, 1, 1] and aranges (the distance cast to f32), added after the scale
// of [B·H, S, S] scores (B = 1): attn.sdpa's alibi operand.
// TOSA-LABEL: func.func @alibi_from_aranges(
// TOSA-SAME:      %[[SL:[^:]*]]: tensor<2xf32>)
// TOSA:         attn.sdpa {{.*}} alibi(%[[SL]] : tensor<2xf32>) {scale = 2.500000e-01 : f32}
// TOSA-NOT:     tosa.

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// A select that writes 0 instead of -inf is not a mask.
// KEEP-LABEL: func.func @select_zero_is_not_a_mask(
// KEEP-NOT:     attn.sdpa
// KEEP:         linalg.softmax
func.func @select_zero_is_not_a_mask(%q: tensor<4x8x16xf32>, %k: tensor<4x8x16xf32>, %v: tensor<4x8x16xf32>, %m: tensor<4x8x8xi1>) -> tensor<4x8x16xf32> {
  %c0 = arith.constant 0.0 : f32
  %ekt = tensor.empty() : tensor<4x16x8xf32>
  %kt = linalg.transpose ins(%k : tensor<4x8x16xf32>) outs(%ekt : tensor<4x16x8xf32>) permutation = [0, 2, 1]
  %es = tensor.empty() : tensor<4x8x8xf32>
  %zs = linalg.fill ins(%c0 : f32) outs(%es : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<4x8x16xf32>, tensor<4x16x8xf32>) outs(%zs : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %sm = linalg.generic {indexing_maps = [#id3, #id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s, %m : tensor<4x8x8xf32>, tensor<4x8x8xi1>) outs(%es : tensor<4x8x8xf32>) {
  ^bb0(%in: f32, %keep: i1, %out: f32):
    %r = arith.select %keep, %in, %c0 : f32
    linalg.yield %r : f32
  } -> tensor<4x8x8xf32>
  %p = linalg.softmax dimension(2) ins(%sm : tensor<4x8x8xf32>) outs(%es : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %eo = tensor.empty() : tensor<4x8x16xf32>
  %zo = linalg.fill ins(%c0 : f32) outs(%eo : tensor<4x8x16xf32>) -> tensor<4x8x16xf32>
  // expected-remark @below {{attention-like chain not fused: scores: 'linalg.generic' is not a matmul, a constant scale, a reshape or a mask the matcher recognises}}
  %o = linalg.batch_matmul ins(%p, %v : tensor<4x8x8xf32>, tensor<4x8x16xf32>) outs(%zo : tensor<4x8x16xf32>) -> tensor<4x8x16xf32>
  return %o : tensor<4x8x16xf32>
}

// -----

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// A boolean mask that hides with a finite value: a row it hides entirely
// would be uniform here but zeros in attn.sdpa, and nothing says no row is.
// KEEP-LABEL: func.func @bool_mask_finite_fill(
// KEEP-NOT:     attn.sdpa
// KEEP:         linalg.softmax
func.func @bool_mask_finite_fill(%q: tensor<4x8x16xf32>, %k: tensor<4x8x16xf32>, %v: tensor<4x8x16xf32>, %m: tensor<4x8x8xi1>) -> tensor<4x8x16xf32> {
  %c0 = arith.constant 0.0 : f32
  %lowest = arith.constant -3.40282347E+38 : f32
  %ekt = tensor.empty() : tensor<4x16x8xf32>
  %kt = linalg.transpose ins(%k : tensor<4x8x16xf32>) outs(%ekt : tensor<4x16x8xf32>) permutation = [0, 2, 1]
  %es = tensor.empty() : tensor<4x8x8xf32>
  %zs = linalg.fill ins(%c0 : f32) outs(%es : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<4x8x16xf32>, tensor<4x16x8xf32>) outs(%zs : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %sm = linalg.generic {indexing_maps = [#id3, #id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s, %m : tensor<4x8x8xf32>, tensor<4x8x8xi1>) outs(%es : tensor<4x8x8xf32>) {
  ^bb0(%in: f32, %hide: i1, %out: f32):
    %r = arith.select %hide, %lowest, %in : f32
    linalg.yield %r : f32
  } -> tensor<4x8x8xf32>
  %p = linalg.softmax dimension(2) ins(%sm : tensor<4x8x8xf32>) outs(%es : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %eo = tensor.empty() : tensor<4x8x16xf32>
  %zo = linalg.fill ins(%c0 : f32) outs(%eo : tensor<4x8x16xf32>) -> tensor<4x8x16xf32>
  // expected-remark @below {{attention-like chain not fused: scores: 'linalg.generic' is not a matmul, a constant scale, a reshape or a mask the matcher recognises}}
  %o = linalg.batch_matmul ins(%p, %v : tensor<4x8x8xf32>, tensor<4x8x16xf32>) outs(%zo : tensor<4x8x16xf32>) -> tensor<4x8x16xf32>
  return %o : tensor<4x8x16xf32>
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>

// A SwiGLU-style MLP: an exponential between two products but no row
// reduction. Not attention: no fusion and no remark.
// KEEP-LABEL: func.func @silu_mlp(
// KEEP-NOT:     attn.sdpa
// KEEP:         math.exp
func.func @silu_mlp(%x: tensor<8x16xf32>, %w1: tensor<16x32xf32>, %w2: tensor<32x16xf32>) -> tensor<8x16xf32> {
  %c0 = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %eh = tensor.empty() : tensor<8x32xf32>
  %zh = linalg.fill ins(%c0 : f32) outs(%eh : tensor<8x32xf32>) -> tensor<8x32xf32>
  %h = linalg.matmul ins(%x, %w1 : tensor<8x16xf32>, tensor<16x32xf32>) outs(%zh : tensor<8x32xf32>) -> tensor<8x32xf32>
  %a = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%h : tensor<8x32xf32>) outs(%eh : tensor<8x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    %e = math.exp %n : f32
    %d = arith.addf %e, %one : f32
    %r = arith.divf %in, %d : f32
    linalg.yield %r : f32
  } -> tensor<8x32xf32>
  %eo = tensor.empty() : tensor<8x16xf32>
  %zo = linalg.fill ins(%c0 : f32) outs(%eo : tensor<8x16xf32>) -> tensor<8x16xf32>
  %o = linalg.matmul ins(%a, %w2 : tensor<8x32xf32>, tensor<32x16xf32>) outs(%zo : tensor<8x16xf32>) -> tensor<8x16xf32>
  return %o : tensor<8x16xf32>
}

// -----

// Probabilities transposed into P·V (Pᵀ as the lhs): not attention's
// product.
// KEEP-LABEL: func.func @probs_transposed(
// KEEP-NOT:     attn.sdpa
func.func @probs_transposed(%q: tensor<4x8x16xf32>, %k: tensor<4x8x16xf32>, %v: tensor<4x8x16xf32>) -> tensor<4x8x16xf32> {
  %c0 = arith.constant 0.0 : f32
  %ekt = tensor.empty() : tensor<4x16x8xf32>
  %kt = linalg.transpose ins(%k : tensor<4x8x16xf32>) outs(%ekt : tensor<4x16x8xf32>) permutation = [0, 2, 1]
  %es = tensor.empty() : tensor<4x8x8xf32>
  %zs = linalg.fill ins(%c0 : f32) outs(%es : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<4x8x16xf32>, tensor<4x16x8xf32>) outs(%zs : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %p = linalg.softmax dimension(2) ins(%s : tensor<4x8x8xf32>) outs(%es : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %eo = tensor.empty() : tensor<4x8x16xf32>
  %zo = linalg.fill ins(%c0 : f32) outs(%eo : tensor<4x8x16xf32>) -> tensor<4x8x16xf32>
  // expected-remark @below {{attention-like chain not fused: P·V: the probabilities are transposed}}
  %o = linalg.batch_matmul indexing_maps = [affine_map<(b, m, n, k) -> (b, k, m)>, affine_map<(b, m, n, k) -> (b, k, n)>, affine_map<(b, m, n, k) -> (b, m, n)>] ins(%p, %v : tensor<4x8x8xf32>, tensor<4x8x16xf32>) outs(%zo : tensor<4x8x16xf32>) -> tensor<4x8x16xf32>
  return %o : tensor<4x8x16xf32>
}

// -----

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// A causal mask applied before the softcap does not hide (tanh(-inf) is -1,
// so masked keys get -cap): not attention's mask, nothing changes.
// KEEP-LABEL: func.func @mask_under_softcap(
// KEEP-NOT:     attn.sdpa
func.func @mask_under_softcap(%q: tensor<4x8x16xf32>, %k: tensor<4x8x16xf32>, %v: tensor<4x8x16xf32>) -> tensor<4x8x16xf32> {
  %c0 = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %cap = arith.constant 5.0 : f32
  %ekt = tensor.empty() : tensor<4x16x8xf32>
  %kt = linalg.transpose ins(%k : tensor<4x8x16xf32>) outs(%ekt : tensor<4x16x8xf32>) permutation = [0, 2, 1]
  %es = tensor.empty() : tensor<4x8x8xf32>
  %zs = linalg.fill ins(%c0 : f32) outs(%es : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<4x8x16xf32>, tensor<4x16x8xf32>) outs(%zs : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %masked = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s : tensor<4x8x8xf32>) outs(%es : tensor<4x8x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %i = linalg.index 1 : index
    %j = linalg.index 2 : index
    %hide = arith.cmpi sgt, %j, %i : index
    %r = arith.select %hide, %ninf, %in : f32
    linalg.yield %r : f32
  } -> tensor<4x8x8xf32>
  %capped = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%masked : tensor<4x8x8xf32>) outs(%es : tensor<4x8x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %d = arith.divf %in, %cap : f32
    %t = math.tanh %d : f32
    %r = arith.mulf %t, %cap : f32
    linalg.yield %r : f32
  } -> tensor<4x8x8xf32>
  %p = linalg.softmax dimension(2) ins(%capped : tensor<4x8x8xf32>) outs(%es : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %eo = tensor.empty() : tensor<4x8x16xf32>
  %zo = linalg.fill ins(%c0 : f32) outs(%eo : tensor<4x8x16xf32>) -> tensor<4x8x16xf32>
  // expected-remark @below {{attention-like chain not fused: scores: 'linalg.generic' is not a matmul, a constant scale, a reshape or a mask the matcher recognises}}
  %o = linalg.batch_matmul ins(%p, %v : tensor<4x8x8xf32>, tensor<4x8x16xf32>) outs(%zo : tensor<4x8x16xf32>) -> tensor<4x8x16xf32>
  return %o : tensor<4x8x16xf32>
}

// -----

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// Slopes read at `d0 floordiv 2` of flattened scores (by batch, not by
// head): not ALiBi, nothing changes.
// KEEP-LABEL: func.func @alibi_by_batch(
// KEEP-NOT:     attn.sdpa
func.func @alibi_by_batch(%q: tensor<4x8x16xf32>, %k: tensor<4x12x16xf32>, %v: tensor<4x12x8xf32>, %slopes: tensor<2xf32>) -> tensor<4x8x8xf32> {
  %c0 = arith.constant 0.0 : f32
  %ekt = tensor.empty() : tensor<4x16x12xf32>
  %kt = linalg.transpose ins(%k : tensor<4x12x16xf32>) outs(%ekt : tensor<4x16x12xf32>) permutation = [0, 2, 1]
  %es = tensor.empty() : tensor<4x8x12xf32>
  %zs = linalg.fill ins(%c0 : f32) outs(%es : tensor<4x8x12xf32>) -> tensor<4x8x12xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<4x8x16xf32>, tensor<4x16x12xf32>) outs(%zs : tensor<4x8x12xf32>) -> tensor<4x8x12xf32>
  %biased = linalg.generic {indexing_maps = [#id3, affine_map<(d0, d1, d2) -> (d0 floordiv 2)>, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s, %slopes : tensor<4x8x12xf32>, tensor<2xf32>) outs(%es : tensor<4x8x12xf32>) {
  ^bb0(%in: f32, %slope: f32, %out: f32):
    %i = linalg.index 1 : index
    %j = linalg.index 2 : index
    %d = arith.subi %j, %i : index
    %di = arith.index_cast %d : index to i64
    %df = arith.sitofp %di : i64 to f32
    %b = arith.mulf %slope, %df : f32
    %r = arith.addf %in, %b : f32
    linalg.yield %r : f32
  } -> tensor<4x8x12xf32>
  %p = linalg.softmax dimension(2) ins(%biased : tensor<4x8x12xf32>) outs(%es : tensor<4x8x12xf32>) -> tensor<4x8x12xf32>
  %eo = tensor.empty() : tensor<4x8x8xf32>
  %zo = linalg.fill ins(%c0 : f32) outs(%eo : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  // expected-remark @below {{attention-like chain not fused: scores: 'linalg.generic' is not a matmul, a constant scale, a reshape or a mask the matcher recognises}}
  %o = linalg.batch_matmul ins(%p, %v : tensor<4x8x12xf32>, tensor<4x12x8xf32>) outs(%zo : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  return %o : tensor<4x8x8xf32>
}
