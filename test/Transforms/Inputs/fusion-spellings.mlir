// Attention spelled the ways frontends and hand-written IR spell it. Each
// function is one spelling; test/Transforms/fuse-attention-spellings.mlir
// checks what attn-fuse-attention makes of it and
// test/python/fusion/run_spellings.py runs every function on the CPU before
// and after fusion against a float64 reference of its own.

#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row2 = affine_map<(d0, d1) -> (d0)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#last2_3 = affine_map<(d0, d1, d2) -> (d1, d2)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#row4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, 0)>
#mm_a = affine_map<(m, n, k) -> (m, k)>
#mm_bt = affine_map<(m, n, k) -> (n, k)>
#mm_c = affine_map<(m, n, k) -> (m, n)>
#bmm_a = affine_map<(b, m, n, k) -> (b, m, k)>
#bmm_bt = affine_map<(b, m, n, k) -> (b, n, k)>
#bmm_c = affine_map<(b, m, n, k) -> (b, m, n)>
#qk_q = affine_map<(b, h, q, k, d) -> (b, h, q, d)>
#qk_k = affine_map<(b, h, q, k, d) -> (b, h, k, d)>
#qk_s = affine_map<(b, h, q, k, d) -> (b, h, q, k)>
#pv_p = affine_map<(b, h, q, d, k) -> (b, h, q, k)>
#pv_v = affine_map<(b, h, q, d, k) -> (b, h, k, d)>
#pv_o = affine_map<(b, h, q, d, k) -> (b, h, q, d)>
#mask_b = affine_map<(d0, d1, d2, d3) -> (d0, 0, d2, d3)>
#mask_2 = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#pad = affine_map<(d0, d1, d2, d3) -> (d0, 0, 0, d3)>

// One head, rank 2: linalg.matmul, K transposed by linalg.transpose, the
// scale on the scores, linalg.softmax.
func.func @rank2_matmul(%q: tensor<8x16xf32>, %k: tensor<12x16xf32>, %v: tensor<12x8xf32>) -> tensor<8x8xf32> {
  %c0 = arith.constant 0.0 : f32
  %c = arith.constant 0.25 : f32
  %ekt = tensor.empty() : tensor<16x12xf32>
  %kt = linalg.transpose ins(%k : tensor<12x16xf32>) outs(%ekt : tensor<16x12xf32>) permutation = [1, 0]
  %es = tensor.empty() : tensor<8x12xf32>
  %zs = linalg.fill ins(%c0 : f32) outs(%es : tensor<8x12xf32>) -> tensor<8x12xf32>
  %s = linalg.matmul ins(%q, %kt : tensor<8x16xf32>, tensor<16x12xf32>) outs(%zs : tensor<8x12xf32>) -> tensor<8x12xf32>
  %ss = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%s : tensor<8x12xf32>) outs(%es : tensor<8x12xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %c : f32
    linalg.yield %m : f32
  } -> tensor<8x12xf32>
  %p = linalg.softmax dimension(1) ins(%ss : tensor<8x12xf32>) outs(%es : tensor<8x12xf32>) -> tensor<8x12xf32>
  %eo = tensor.empty() : tensor<8x8xf32>
  %zo = linalg.fill ins(%c0 : f32) outs(%eo : tensor<8x8xf32>) -> tensor<8x8xf32>
  %o = linalg.matmul ins(%p, %v : tensor<8x12xf32>, tensor<12x8xf32>) outs(%zo : tensor<8x8xf32>) -> tensor<8x8xf32>
  return %o : tensor<8x8xf32>
}

// linalg.matmul whose indexing maps read K as [N, K] (transpose_b), the
// scale on Q.
func.func @matmul_transpose_b(%q: tensor<8x16xf32>, %k: tensor<12x16xf32>, %v: tensor<12x8xf32>) -> tensor<8x8xf32> {
  %c0 = arith.constant 0.0 : f32
  %c = arith.constant 0.25 : f32
  %eq = tensor.empty() : tensor<8x16xf32>
  %qs = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%q : tensor<8x16xf32>) outs(%eq : tensor<8x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %c : f32
    linalg.yield %m : f32
  } -> tensor<8x16xf32>
  %es = tensor.empty() : tensor<8x12xf32>
  %zs = linalg.fill ins(%c0 : f32) outs(%es : tensor<8x12xf32>) -> tensor<8x12xf32>
  %s = linalg.matmul indexing_maps = [#mm_a, #mm_bt, #mm_c] ins(%qs, %k : tensor<8x16xf32>, tensor<12x16xf32>) outs(%zs : tensor<8x12xf32>) -> tensor<8x12xf32>
  %p = linalg.softmax dimension(1) ins(%s : tensor<8x12xf32>) outs(%es : tensor<8x12xf32>) -> tensor<8x12xf32>
  %eo = tensor.empty() : tensor<8x8xf32>
  %zo = linalg.fill ins(%c0 : f32) outs(%eo : tensor<8x8xf32>) -> tensor<8x8xf32>
  %o = linalg.matmul ins(%p, %v : tensor<8x12xf32>, tensor<12x8xf32>) outs(%zo : tensor<8x8xf32>) -> tensor<8x8xf32>
  return %o : tensor<8x8xf32>
}

// Flattened heads [B·H, S, D]: linalg.batch_matmul with transposing maps,
// the scale as a division of K.
func.func @batch_matmul_transpose_b(%q: tensor<4x8x16xf32>, %k: tensor<4x12x16xf32>, %v: tensor<4x12x8xf32>) -> tensor<4x8x8xf32> {
  %c0 = arith.constant 0.0 : f32
  %c = arith.constant 4.0 : f32
  %ek = tensor.empty() : tensor<4x12x16xf32>
  %ks = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%k : tensor<4x12x16xf32>) outs(%ek : tensor<4x12x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.divf %in, %c : f32
    linalg.yield %m : f32
  } -> tensor<4x12x16xf32>
  %es = tensor.empty() : tensor<4x8x12xf32>
  %zs = linalg.fill ins(%c0 : f32) outs(%es : tensor<4x8x12xf32>) -> tensor<4x8x12xf32>
  %s = linalg.batch_matmul indexing_maps = [#bmm_a, #bmm_bt, #bmm_c] ins(%q, %ks : tensor<4x8x16xf32>, tensor<4x12x16xf32>) outs(%zs : tensor<4x8x12xf32>) -> tensor<4x8x12xf32>
  %p = linalg.softmax dimension(2) ins(%s : tensor<4x8x12xf32>) outs(%es : tensor<4x8x12xf32>) -> tensor<4x8x12xf32>
  %eo = tensor.empty() : tensor<4x8x8xf32>
  %zo = linalg.fill ins(%c0 : f32) outs(%eo : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<4x8x12xf32>, tensor<4x12x8xf32>) outs(%zo : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  return %o : tensor<4x8x8xf32>
}

// Einsum-style generics on [B, H, S, D] (bhqd,bhkd->bhqk and
// bhqk,bhkd->bhqd), the softmax as max/sub/exp/sum/div generics with
// keep-dim row values and the subtraction fused into the exponential.
func.func @einsum_generic(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x12x16xf32>, %v: tensor<2x2x12x8xf32>) -> tensor<2x2x8x8xf32> {
  %c0 = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %c = arith.constant 0.25 : f32
  %es = tensor.empty() : tensor<2x2x8x12xf32>
  %zs = linalg.fill ins(%c0 : f32) outs(%es : tensor<2x2x8x12xf32>) -> tensor<2x2x8x12xf32>
  %s = linalg.generic {indexing_maps = [#qk_q, #qk_k, #qk_s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %k : tensor<2x2x8x16xf32>, tensor<2x2x12x16xf32>) outs(%zs : tensor<2x2x8x12xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x2x8x12xf32>
  %ss = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s : tensor<2x2x8x12xf32>) outs(%es : tensor<2x2x8x12xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %c : f32
    linalg.yield %m : f32
  } -> tensor<2x2x8x12xf32>
  %er = tensor.empty() : tensor<2x2x8x1xf32>
  %fm = linalg.fill ins(%ninf : f32) outs(%er : tensor<2x2x8x1xf32>) -> tensor<2x2x8x1xf32>
  %max = linalg.generic {indexing_maps = [#id4, #row4], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%ss : tensor<2x2x8x12xf32>) outs(%fm : tensor<2x2x8x1xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %r = arith.maximumf %in, %acc : f32
    linalg.yield %r : f32
  } -> tensor<2x2x8x1xf32>
  %e = linalg.generic {indexing_maps = [#id4, #row4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%ss, %max : tensor<2x2x8x12xf32>, tensor<2x2x8x1xf32>) outs(%es : tensor<2x2x8x12xf32>) {
  ^bb0(%in: f32, %mx: f32, %out: f32):
    %d = arith.subf %in, %mx : f32
    %x = math.exp %d : f32
    linalg.yield %x : f32
  } -> tensor<2x2x8x12xf32>
  %fz = linalg.fill ins(%c0 : f32) outs(%er : tensor<2x2x8x1xf32>) -> tensor<2x2x8x1xf32>
  %sum = linalg.generic {indexing_maps = [#id4, #row4], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%e : tensor<2x2x8x12xf32>) outs(%fz : tensor<2x2x8x1xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %r = arith.addf %in, %acc : f32
    linalg.yield %r : f32
  } -> tensor<2x2x8x1xf32>
  %p = linalg.generic {indexing_maps = [#id4, #row4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%e, %sum : tensor<2x2x8x12xf32>, tensor<2x2x8x1xf32>) outs(%es : tensor<2x2x8x12xf32>) {
  ^bb0(%in: f32, %sm: f32, %out: f32):
    %r = arith.divf %in, %sm : f32
    linalg.yield %r : f32
  } -> tensor<2x2x8x12xf32>
  %eo = tensor.empty() : tensor<2x2x8x8xf32>
  %zo = linalg.fill ins(%c0 : f32) outs(%eo : tensor<2x2x8x8xf32>) -> tensor<2x2x8x8xf32>
  %o = linalg.generic {indexing_maps = [#pv_p, #pv_v, #pv_o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%p, %v : tensor<2x2x8x12xf32>, tensor<2x2x12x8xf32>) outs(%zo : tensor<2x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x2x8x8xf32>
  return %o : tensor<2x2x8x8xf32>
}

// linalg.contract for both products (K read as [N, K]).
func.func @contract(%q: tensor<4x8x16xf32>, %k: tensor<4x12x16xf32>, %v: tensor<4x12x8xf32>) -> tensor<4x8x8xf32> {
  %c0 = arith.constant 0.0 : f32
  %c = arith.constant 0.25 : f32
  %es = tensor.empty() : tensor<4x8x12xf32>
  %zs = linalg.fill ins(%c0 : f32) outs(%es : tensor<4x8x12xf32>) -> tensor<4x8x12xf32>
  %s = linalg.contract indexing_maps = [#bmm_a, #bmm_bt, #bmm_c] ins(%q, %k : tensor<4x8x16xf32>, tensor<4x12x16xf32>) outs(%zs : tensor<4x8x12xf32>) -> tensor<4x8x12xf32>
  %ss = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s : tensor<4x8x12xf32>) outs(%es : tensor<4x8x12xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %c : f32
    linalg.yield %m : f32
  } -> tensor<4x8x12xf32>
  %p = linalg.softmax dimension(2) ins(%ss : tensor<4x8x12xf32>) outs(%es : tensor<4x8x12xf32>) -> tensor<4x8x12xf32>
  %eo = tensor.empty() : tensor<4x8x8xf32>
  %zo = linalg.fill ins(%c0 : f32) outs(%eo : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %o = linalg.contract indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (b, k, n)>, #bmm_c] ins(%p, %v : tensor<4x8x12xf32>, tensor<4x12x8xf32>) outs(%zo : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  return %o : tensor<4x8x8xf32>
}

// A boolean mask argument [B, 1, Sq, Sk] that shows keys where true:
// select(m, s, -inf).
func.func @bool_mask_keep(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x12x16xf32>, %v: tensor<2x2x12x8xf32>, %mask: tensor<2x1x8x12xi1>) -> tensor<2x2x8x8xf32> {
  %c0 = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %ekt = tensor.empty() : tensor<2x2x16x12xf32>
  %kt = linalg.transpose ins(%k : tensor<2x2x12x16xf32>) outs(%ekt : tensor<2x2x16x12xf32>) permutation = [0, 1, 3, 2]
  %q3 = tensor.collapse_shape %q [[0, 1], [2], [3]] : tensor<2x2x8x16xf32> into tensor<4x8x16xf32>
  %k3 = tensor.collapse_shape %kt [[0, 1], [2], [3]] : tensor<2x2x16x12xf32> into tensor<4x16x12xf32>
  %es3 = tensor.empty() : tensor<4x8x12xf32>
  %zs = linalg.fill ins(%c0 : f32) outs(%es3 : tensor<4x8x12xf32>) -> tensor<4x8x12xf32>
  %s3 = linalg.batch_matmul ins(%q3, %k3 : tensor<4x8x16xf32>, tensor<4x16x12xf32>) outs(%zs : tensor<4x8x12xf32>) -> tensor<4x8x12xf32>
  %s = tensor.expand_shape %s3 [[0, 1], [2], [3]] output_shape [2, 2, 8, 12] : tensor<4x8x12xf32> into tensor<2x2x8x12xf32>
  %es = tensor.empty() : tensor<2x2x8x12xf32>
  %sm = linalg.generic {indexing_maps = [#id4, #mask_b, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s, %mask : tensor<2x2x8x12xf32>, tensor<2x1x8x12xi1>) outs(%es : tensor<2x2x8x12xf32>) {
  ^bb0(%in: f32, %keep: i1, %out: f32):
    %r = arith.select %keep, %in, %ninf : f32
    linalg.yield %r : f32
  } -> tensor<2x2x8x12xf32>
  %p = linalg.softmax dimension(3) ins(%sm : tensor<2x2x8x12xf32>) outs(%es : tensor<2x2x8x12xf32>) -> tensor<2x2x8x12xf32>
  %p3 = tensor.collapse_shape %p [[0, 1], [2], [3]] : tensor<2x2x8x12xf32> into tensor<4x8x12xf32>
  %v3 = tensor.collapse_shape %v [[0, 1], [2], [3]] : tensor<2x2x12x8xf32> into tensor<4x12x8xf32>
  %eo = tensor.empty() : tensor<4x8x8xf32>
  %zo = linalg.fill ins(%c0 : f32) outs(%eo : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %o3 = linalg.batch_matmul ins(%p3, %v3 : tensor<4x8x12xf32>, tensor<4x12x8xf32>) outs(%zo : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %o = tensor.expand_shape %o3 [[0, 1], [2], [3]] output_shape [2, 2, 8, 8] : tensor<4x8x8xf32> into tensor<2x2x8x8xf32>
  return %o : tensor<2x2x8x8xf32>
}

// A boolean mask argument [Sq, Sk] that hides keys where true
// (masked_fill(mask, -inf)), on flattened heads.
func.func @bool_mask_hide(%q: tensor<4x8x16xf32>, %k: tensor<4x12x16xf32>, %v: tensor<4x12x8xf32>, %mask: tensor<8x12xi1>) -> tensor<4x8x8xf32> {
  %c0 = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %ekt = tensor.empty() : tensor<4x16x12xf32>
  %kt = linalg.transpose ins(%k : tensor<4x12x16xf32>) outs(%ekt : tensor<4x16x12xf32>) permutation = [0, 2, 1]
  %es = tensor.empty() : tensor<4x8x12xf32>
  %zs = linalg.fill ins(%c0 : f32) outs(%es : tensor<4x8x12xf32>) -> tensor<4x8x12xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<4x8x16xf32>, tensor<4x16x12xf32>) outs(%zs : tensor<4x8x12xf32>) -> tensor<4x8x12xf32>
  %sm = linalg.generic {indexing_maps = [#id3, affine_map<(d0, d1, d2) -> (d1, d2)>, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s, %mask : tensor<4x8x12xf32>, tensor<8x12xi1>) outs(%es : tensor<4x8x12xf32>) {
  ^bb0(%in: f32, %hide: i1, %out: f32):
    %r = arith.select %hide, %ninf, %in : f32
    linalg.yield %r : f32
  } -> tensor<4x8x12xf32>
  %p = linalg.softmax dimension(2) ins(%sm : tensor<4x8x12xf32>) outs(%es : tensor<4x8x12xf32>) -> tensor<4x8x12xf32>
  %eo = tensor.empty() : tensor<4x8x8xf32>
  %zo = linalg.fill ins(%c0 : f32) outs(%eo : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<4x8x12xf32>, tensor<4x12x8xf32>) outs(%zo : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  return %o : tensor<4x8x8xf32>
}

// A key-padding mask computed from an argument, Hugging Face style:
// s + (1 - m) · -1e9 with m [B, 1, 1, Sk] of ones and zeros.
func.func @computed_additive_mask(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x12x16xf32>, %v: tensor<2x2x12x8xf32>, %m: tensor<2x1x1x12xf32>) -> tensor<2x2x8x8xf32> {
  %c0 = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %big = arith.constant -1.0e9 : f32
  %c = arith.constant 0.25 : f32
  %eb = tensor.empty() : tensor<2x1x1x12xf32>
  %bias = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%m : tensor<2x1x1x12xf32>) outs(%eb : tensor<2x1x1x12xf32>) {
  ^bb0(%in: f32, %out: f32):
    %d = arith.subf %one, %in : f32
    %r = arith.mulf %d, %big : f32
    linalg.yield %r : f32
  } -> tensor<2x1x1x12xf32>
  %ekt = tensor.empty() : tensor<2x2x16x12xf32>
  %kt = linalg.transpose ins(%k : tensor<2x2x12x16xf32>) outs(%ekt : tensor<2x2x16x12xf32>) permutation = [0, 1, 3, 2]
  %es = tensor.empty() : tensor<2x2x8x12xf32>
  %zs = linalg.fill ins(%c0 : f32) outs(%es : tensor<2x2x8x12xf32>) -> tensor<2x2x8x12xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(b, h, q, k, d) -> (b, h, q, d)>, affine_map<(b, h, q, k, d) -> (b, h, d, k)>, #qk_s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %kt : tensor<2x2x8x16xf32>, tensor<2x2x16x12xf32>) outs(%zs : tensor<2x2x8x12xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %mm = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %mm : f32
    linalg.yield %r : f32
  } -> tensor<2x2x8x12xf32>
  %sb = linalg.generic {indexing_maps = [#id4, #pad, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s, %bias : tensor<2x2x8x12xf32>, tensor<2x1x1x12xf32>) outs(%es : tensor<2x2x8x12xf32>) {
  ^bb0(%in: f32, %b: f32, %out: f32):
    %sc = arith.mulf %in, %c : f32
    %r = arith.addf %sc, %b : f32
    linalg.yield %r : f32
  } -> tensor<2x2x8x12xf32>
  %p = linalg.softmax dimension(3) ins(%sb : tensor<2x2x8x12xf32>) outs(%es : tensor<2x2x8x12xf32>) -> tensor<2x2x8x12xf32>
  %eo = tensor.empty() : tensor<2x2x8x8xf32>
  %zo = linalg.fill ins(%c0 : f32) outs(%eo : tensor<2x2x8x8xf32>) -> tensor<2x2x8x8xf32>
  %o = linalg.generic {indexing_maps = [#pv_p, #pv_v, #pv_o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%p, %v : tensor<2x2x8x12xf32>, tensor<2x2x12x8xf32>) outs(%zo : tensor<2x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %mm = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %mm : f32
    linalg.yield %r : f32
  } -> tensor<2x2x8x8xf32>
  return %o : tensor<2x2x8x8xf32>
}

// The softmax's division fused into P·V (as linalg-fuse-elementwise-ops
// leaves it): sum_k (e / rowsum(e)) · v.
func.func @normalized_pv(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x12x16xf32>, %v: tensor<2x2x12x8xf32>) -> tensor<2x2x8x8xf32> {
  %c0 = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %c = arith.constant 0.25 : f32
  %es = tensor.empty() : tensor<2x2x8x12xf32>
  %zs = linalg.fill ins(%c0 : f32) outs(%es : tensor<2x2x8x12xf32>) -> tensor<2x2x8x12xf32>
  %s = linalg.generic {indexing_maps = [#qk_q, #qk_k, #qk_s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %k : tensor<2x2x8x16xf32>, tensor<2x2x12x16xf32>) outs(%zs : tensor<2x2x8x12xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x2x8x12xf32>
  %ss = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s : tensor<2x2x8x12xf32>) outs(%es : tensor<2x2x8x12xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %c : f32
    linalg.yield %m : f32
  } -> tensor<2x2x8x12xf32>
  %er = tensor.empty() : tensor<2x2x8x1xf32>
  %fm = linalg.fill ins(%ninf : f32) outs(%er : tensor<2x2x8x1xf32>) -> tensor<2x2x8x1xf32>
  %max = linalg.generic {indexing_maps = [#id4, #row4], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%ss : tensor<2x2x8x12xf32>) outs(%fm : tensor<2x2x8x1xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %r = arith.maximumf %in, %acc : f32
    linalg.yield %r : f32
  } -> tensor<2x2x8x1xf32>
  %e = linalg.generic {indexing_maps = [#id4, #row4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%ss, %max : tensor<2x2x8x12xf32>, tensor<2x2x8x1xf32>) outs(%es : tensor<2x2x8x12xf32>) {
  ^bb0(%in: f32, %mx: f32, %out: f32):
    %d = arith.subf %in, %mx : f32
    %x = math.exp %d : f32
    linalg.yield %x : f32
  } -> tensor<2x2x8x12xf32>
  %fz = linalg.fill ins(%c0 : f32) outs(%er : tensor<2x2x8x1xf32>) -> tensor<2x2x8x1xf32>
  %sum = linalg.generic {indexing_maps = [#id4, #row4], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%e : tensor<2x2x8x12xf32>) outs(%fz : tensor<2x2x8x1xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %r = arith.addf %in, %acc : f32
    linalg.yield %r : f32
  } -> tensor<2x2x8x1xf32>
  %eo = tensor.empty() : tensor<2x2x8x8xf32>
  %zo = linalg.fill ins(%c0 : f32) outs(%eo : tensor<2x2x8x8xf32>) -> tensor<2x2x8x8xf32>
  %o = linalg.generic {indexing_maps = [affine_map<(b, h, q, d, k) -> (b, h, q, k)>, affine_map<(b, h, q, d, k) -> (b, h, q, 0)>, #pv_v, #pv_o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%e, %sum, %v : tensor<2x2x8x12xf32>, tensor<2x2x8x1xf32>, tensor<2x2x12x8xf32>) outs(%zo : tensor<2x2x8x8xf32>) {
  ^bb0(%a: f32, %r: f32, %b: f32, %acc: f32):
    %pr = arith.divf %a, %r : f32
    %m = arith.mulf %pr, %b : f32
    %o2 = arith.addf %acc, %m : f32
    linalg.yield %o2 : f32
  } -> tensor<2x2x8x8xf32>
  return %o : tensor<2x2x8x8xf32>
}

// A sliding window as two masked_fill steps: causal (j > i hides), then the
// left edge (j < i - 4 hides), each from iotas in the select's body.
func.func @sliding_window(%q: tensor<4x12x16xf32>, %k: tensor<4x12x16xf32>, %v: tensor<4x12x8xf32>) -> tensor<4x12x8xf32> {
  %c0 = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %c4 = arith.constant 4 : index
  %ekt = tensor.empty() : tensor<4x16x12xf32>
  %kt = linalg.transpose ins(%k : tensor<4x12x16xf32>) outs(%ekt : tensor<4x16x12xf32>) permutation = [0, 2, 1]
  %es = tensor.empty() : tensor<4x12x12xf32>
  %zs = linalg.fill ins(%c0 : f32) outs(%es : tensor<4x12x12xf32>) -> tensor<4x12x12xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<4x12x16xf32>, tensor<4x16x12xf32>) outs(%zs : tensor<4x12x12xf32>) -> tensor<4x12x12xf32>
  %causal = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s : tensor<4x12x12xf32>) outs(%es : tensor<4x12x12xf32>) {
  ^bb0(%in: f32, %out: f32):
    %i = linalg.index 1 : index
    %j = linalg.index 2 : index
    %hide = arith.cmpi sgt, %j, %i : index
    %r = arith.select %hide, %ninf, %in : f32
    linalg.yield %r : f32
  } -> tensor<4x12x12xf32>
  %window = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%causal : tensor<4x12x12xf32>) outs(%es : tensor<4x12x12xf32>) {
  ^bb0(%in: f32, %out: f32):
    %i = linalg.index 1 : index
    %j = linalg.index 2 : index
    %edge = arith.subi %i, %c4 : index
    %hide = arith.cmpi slt, %j, %edge : index
    %r = arith.select %hide, %ninf, %in : f32
    linalg.yield %r : f32
  } -> tensor<4x12x12xf32>
  %p = linalg.softmax dimension(2) ins(%window : tensor<4x12x12xf32>) outs(%es : tensor<4x12x12xf32>) -> tensor<4x12x12xf32>
  %eo = tensor.empty() : tensor<4x12x8xf32>
  %zo = linalg.fill ins(%c0 : f32) outs(%eo : tensor<4x12x8xf32>) -> tensor<4x12x8xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<4x12x12xf32>, tensor<4x12x8xf32>) outs(%zo : tensor<4x12x8xf32>) -> tensor<4x12x8xf32>
  return %o : tensor<4x12x8xf32>
}

// A sliding window in one select: keys shown where j <= i and j >= i - 4.
func.func @sliding_window_one_select(%q: tensor<4x12x16xf32>, %k: tensor<4x12x16xf32>, %v: tensor<4x12x8xf32>) -> tensor<4x12x8xf32> {
  %c0 = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %c4 = arith.constant 4 : index
  %ekt = tensor.empty() : tensor<4x16x12xf32>
  %kt = linalg.transpose ins(%k : tensor<4x12x16xf32>) outs(%ekt : tensor<4x16x12xf32>) permutation = [0, 2, 1]
  %es = tensor.empty() : tensor<4x12x12xf32>
  %zs = linalg.fill ins(%c0 : f32) outs(%es : tensor<4x12x12xf32>) -> tensor<4x12x12xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<4x12x16xf32>, tensor<4x16x12xf32>) outs(%zs : tensor<4x12x12xf32>) -> tensor<4x12x12xf32>
  %band = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s : tensor<4x12x12xf32>) outs(%es : tensor<4x12x12xf32>) {
  ^bb0(%in: f32, %out: f32):
    %i = linalg.index 1 : index
    %j = linalg.index 2 : index
    %edge = arith.subi %i, %c4 : index
    %upper = arith.cmpi sle, %j, %i : index
    %lower = arith.cmpi sge, %j, %edge : index
    %keep = arith.andi %upper, %lower : i1
    %r = arith.select %keep, %in, %ninf : f32
    linalg.yield %r : f32
  } -> tensor<4x12x12xf32>
  %p = linalg.softmax dimension(2) ins(%band : tensor<4x12x12xf32>) outs(%es : tensor<4x12x12xf32>) -> tensor<4x12x12xf32>
  %eo = tensor.empty() : tensor<4x12x8xf32>
  %zo = linalg.fill ins(%c0 : f32) outs(%eo : tensor<4x12x8xf32>) -> tensor<4x12x8xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<4x12x12xf32>, tensor<4x12x8xf32>) outs(%zo : tensor<4x12x8xf32>) -> tensor<4x12x8xf32>
  return %o : tensor<4x12x8xf32>
}

// The same window computed into a boolean [Sq, Sk] tensor by a generic of
// its own (as torch builds `mask = (j <= i) & (j >= i - 4)` apart from the
// masked_fill), then read by the select, broadcast over the heads.
func.func @sliding_window_mask_tensor(%q: tensor<4x12x16xf32>, %k: tensor<4x12x16xf32>, %v: tensor<4x12x8xf32>) -> tensor<4x12x8xf32> {
  %c0 = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %c4 = arith.constant 4 : index
  %ekt = tensor.empty() : tensor<4x16x12xf32>
  %kt = linalg.transpose ins(%k : tensor<4x12x16xf32>) outs(%ekt : tensor<4x16x12xf32>) permutation = [0, 2, 1]
  %es = tensor.empty() : tensor<4x12x12xf32>
  %zs = linalg.fill ins(%c0 : f32) outs(%es : tensor<4x12x12xf32>) -> tensor<4x12x12xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<4x12x16xf32>, tensor<4x16x12xf32>) outs(%zs : tensor<4x12x12xf32>) -> tensor<4x12x12xf32>
  %em = tensor.empty() : tensor<12x12xi1>
  %m = linalg.generic {indexing_maps = [#id2], iterator_types = ["parallel", "parallel"]} outs(%em : tensor<12x12xi1>) {
  ^bb0(%out: i1):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %edge = arith.subi %i, %c4 : index
    %upper = arith.cmpi sle, %j, %i : index
    %lower = arith.cmpi sge, %j, %edge : index
    %keep = arith.andi %upper, %lower : i1
    linalg.yield %keep : i1
  } -> tensor<12x12xi1>
  %band = linalg.generic {indexing_maps = [#id3, #last2_3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s, %m : tensor<4x12x12xf32>, tensor<12x12xi1>) outs(%es : tensor<4x12x12xf32>) {
  ^bb0(%in: f32, %keep: i1, %out: f32):
    %r = arith.select %keep, %in, %ninf : f32
    linalg.yield %r : f32
  } -> tensor<4x12x12xf32>
  %p = linalg.softmax dimension(2) ins(%band : tensor<4x12x12xf32>) outs(%es : tensor<4x12x12xf32>) -> tensor<4x12x12xf32>
  %eo = tensor.empty() : tensor<4x12x8xf32>
  %zo = linalg.fill ins(%c0 : f32) outs(%eo : tensor<4x12x8xf32>) -> tensor<4x12x8xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<4x12x12xf32>, tensor<4x12x8xf32>) outs(%zo : tensor<4x12x8xf32>) -> tensor<4x12x8xf32>
  return %o : tensor<4x12x8xf32>
}

// Its complement: a tensor that is true where either side hides (`j > i`
// or `j < i - 4`), applied as masked_fill(m, -inf).
func.func @sliding_window_hide_tensor(%q: tensor<4x12x16xf32>, %k: tensor<4x12x16xf32>, %v: tensor<4x12x8xf32>) -> tensor<4x12x8xf32> {
  %c0 = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %c4 = arith.constant 4 : index
  %ekt = tensor.empty() : tensor<4x16x12xf32>
  %kt = linalg.transpose ins(%k : tensor<4x12x16xf32>) outs(%ekt : tensor<4x16x12xf32>) permutation = [0, 2, 1]
  %es = tensor.empty() : tensor<4x12x12xf32>
  %zs = linalg.fill ins(%c0 : f32) outs(%es : tensor<4x12x12xf32>) -> tensor<4x12x12xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<4x12x16xf32>, tensor<4x16x12xf32>) outs(%zs : tensor<4x12x12xf32>) -> tensor<4x12x12xf32>
  %em = tensor.empty() : tensor<12x12xi1>
  %m = linalg.generic {indexing_maps = [#id2], iterator_types = ["parallel", "parallel"]} outs(%em : tensor<12x12xi1>) {
  ^bb0(%out: i1):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %edge = arith.subi %i, %c4 : index
    %future = arith.cmpi sgt, %j, %i : index
    %past = arith.cmpi slt, %j, %edge : index
    %hide = arith.ori %future, %past : i1
    linalg.yield %hide : i1
  } -> tensor<12x12xi1>
  %band = linalg.generic {indexing_maps = [#id3, #last2_3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s, %m : tensor<4x12x12xf32>, tensor<12x12xi1>) outs(%es : tensor<4x12x12xf32>) {
  ^bb0(%in: f32, %hide: i1, %out: f32):
    %r = arith.select %hide, %ninf, %in : f32
    linalg.yield %r : f32
  } -> tensor<4x12x12xf32>
  %p = linalg.softmax dimension(2) ins(%band : tensor<4x12x12xf32>) outs(%es : tensor<4x12x12xf32>) -> tensor<4x12x12xf32>
  %eo = tensor.empty() : tensor<4x12x8xf32>
  %zo = linalg.fill ins(%c0 : f32) outs(%eo : tensor<4x12x8xf32>) -> tensor<4x12x8xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<4x12x12xf32>, tensor<4x12x8xf32>) outs(%zo : tensor<4x12x8xf32>) -> tensor<4x12x8xf32>
  return %o : tensor<4x12x8xf32>
}

// Mixed precision (what a `preferred_element_type = f32` dot emits): f16
// operands, both contractions accumulating in f32, the probabilities
// rounded to f16 for P·V, an f32 result. Fuses as an f32 attn.sdpa over the
// operands widened.
func.func @mixed_precision(%q: tensor<4x12x16xf16>, %k: tensor<4x12x16xf16>, %v: tensor<4x12x8xf16>) -> tensor<4x12x8xf32> {
  %c0 = arith.constant 0.0 : f32
  %ekt = tensor.empty() : tensor<4x16x12xf16>
  %kt = linalg.transpose ins(%k : tensor<4x12x16xf16>) outs(%ekt : tensor<4x16x12xf16>) permutation = [0, 2, 1]
  %es = tensor.empty() : tensor<4x12x12xf32>
  %zs = linalg.fill ins(%c0 : f32) outs(%es : tensor<4x12x12xf32>) -> tensor<4x12x12xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<4x12x16xf16>, tensor<4x16x12xf16>) outs(%zs : tensor<4x12x12xf32>) -> tensor<4x12x12xf32>
  %p = linalg.softmax dimension(2) ins(%s : tensor<4x12x12xf32>) outs(%es : tensor<4x12x12xf32>) -> tensor<4x12x12xf32>
  %ep = tensor.empty() : tensor<4x12x12xf16>
  %p16 = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%p : tensor<4x12x12xf32>) outs(%ep : tensor<4x12x12xf16>) {
  ^bb0(%in: f32, %out: f16):
    %t = arith.truncf %in : f32 to f16
    linalg.yield %t : f16
  } -> tensor<4x12x12xf16>
  %eo = tensor.empty() : tensor<4x12x8xf32>
  %zo = linalg.fill ins(%c0 : f32) outs(%eo : tensor<4x12x8xf32>) -> tensor<4x12x8xf32>
  %o = linalg.batch_matmul ins(%p16, %v : tensor<4x12x12xf16>, tensor<4x12x8xf16>) outs(%zo : tensor<4x12x8xf32>) -> tensor<4x12x8xf32>
  return %o : tensor<4x12x8xf32>
}

// A constant scale inside the P·V contraction (acc + (p · 0.5) · v): the
// fused result is scaled after attn.sdpa.
func.func @scaled_pv(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x12x16xf32>, %v: tensor<2x2x12x8xf32>) -> tensor<2x2x8x8xf32> {
  %c0 = arith.constant 0.0 : f32
  %half = arith.constant 0.5 : f32
  %es = tensor.empty() : tensor<2x2x8x12xf32>
  %zs = linalg.fill ins(%c0 : f32) outs(%es : tensor<2x2x8x12xf32>) -> tensor<2x2x8x12xf32>
  %s = linalg.generic {indexing_maps = [#qk_q, #qk_k, #qk_s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %k : tensor<2x2x8x16xf32>, tensor<2x2x12x16xf32>) outs(%zs : tensor<2x2x8x12xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x2x8x12xf32>
  %p = linalg.softmax dimension(3) ins(%s : tensor<2x2x8x12xf32>) outs(%es : tensor<2x2x8x12xf32>) -> tensor<2x2x8x12xf32>
  %eo = tensor.empty() : tensor<2x2x8x8xf32>
  %zo = linalg.fill ins(%c0 : f32) outs(%eo : tensor<2x2x8x8xf32>) -> tensor<2x2x8x8xf32>
  %o = linalg.generic {indexing_maps = [#pv_p, #pv_v, #pv_o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%p, %v : tensor<2x2x8x12xf32>, tensor<2x2x12x8xf32>) outs(%zo : tensor<2x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %ah = arith.mulf %a, %half : f32
    %m = arith.mulf %ah, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x2x8x8xf32>
  return %o : tensor<2x2x8x8xf32>
}

// f32 operands, P·V accumulating into an f16 result: fuses as an f32
// attn.sdpa whose result is rounded to f16.
func.func @narrower_result(%q: tensor<4x8x16xf32>, %k: tensor<4x8x16xf32>, %v: tensor<4x8x16xf32>) -> tensor<4x8x16xf16> {
  %c0 = arith.constant 0.0 : f32
  %h0 = arith.constant 0.0 : f16
  %ekt = tensor.empty() : tensor<4x16x8xf32>
  %kt = linalg.transpose ins(%k : tensor<4x8x16xf32>) outs(%ekt : tensor<4x16x8xf32>) permutation = [0, 2, 1]
  %es = tensor.empty() : tensor<4x8x8xf32>
  %zs = linalg.fill ins(%c0 : f32) outs(%es : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<4x8x16xf32>, tensor<4x16x8xf32>) outs(%zs : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %p = linalg.softmax dimension(2) ins(%s : tensor<4x8x8xf32>) outs(%es : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %eo = tensor.empty() : tensor<4x8x16xf16>
  %zo = linalg.fill ins(%h0 : f16) outs(%eo : tensor<4x8x16xf16>) -> tensor<4x8x16xf16>
  %o = linalg.batch_matmul ins(%p, %v : tensor<4x8x8xf32>, tensor<4x8x16xf32>) outs(%zo : tensor<4x8x16xf16>) -> tensor<4x8x16xf16>
  return %o : tensor<4x8x16xf16>
}

// Gemma-style logit softcap written out: 5 · tanh(s / 5) on the scaled
// scores, then a causal mask.
func.func @softcap(%q: tensor<4x12x16xf32>, %k: tensor<4x12x16xf32>, %v: tensor<4x12x8xf32>) -> tensor<4x12x8xf32> {
  %c0 = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %scale = arith.constant 0.25 : f32
  %cap = arith.constant 5.0 : f32
  %ekt = tensor.empty() : tensor<4x16x12xf32>
  %kt = linalg.transpose ins(%k : tensor<4x12x16xf32>) outs(%ekt : tensor<4x16x12xf32>) permutation = [0, 2, 1]
  %es = tensor.empty() : tensor<4x12x12xf32>
  %zs = linalg.fill ins(%c0 : f32) outs(%es : tensor<4x12x12xf32>) -> tensor<4x12x12xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<4x12x16xf32>, tensor<4x16x12xf32>) outs(%zs : tensor<4x12x12xf32>) -> tensor<4x12x12xf32>
  %ss = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s : tensor<4x12x12xf32>) outs(%es : tensor<4x12x12xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.mulf %in, %scale : f32
    linalg.yield %r : f32
  } -> tensor<4x12x12xf32>
  %capped = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%ss : tensor<4x12x12xf32>) outs(%es : tensor<4x12x12xf32>) {
  ^bb0(%in: f32, %out: f32):
    %d = arith.divf %in, %cap : f32
    %t = math.tanh %d : f32
    %r = arith.mulf %t, %cap : f32
    linalg.yield %r : f32
  } -> tensor<4x12x12xf32>
  %masked = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%capped : tensor<4x12x12xf32>) outs(%es : tensor<4x12x12xf32>) {
  ^bb0(%in: f32, %out: f32):
    %i = linalg.index 1 : index
    %j = linalg.index 2 : index
    %hide = arith.cmpi sgt, %j, %i : index
    %r = arith.select %hide, %ninf, %in : f32
    linalg.yield %r : f32
  } -> tensor<4x12x12xf32>
  %p = linalg.softmax dimension(2) ins(%masked : tensor<4x12x12xf32>) outs(%es : tensor<4x12x12xf32>) -> tensor<4x12x12xf32>
  %eo = tensor.empty() : tensor<4x12x8xf32>
  %zo = linalg.fill ins(%c0 : f32) outs(%eo : tensor<4x12x8xf32>) -> tensor<4x12x8xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<4x12x12xf32>, tensor<4x12x8xf32>) outs(%zo : tensor<4x12x8xf32>) -> tensor<4x12x8xf32>
  return %o : tensor<4x12x8xf32>
}

// ALiBi computed in the graph: s · 0.25 + slope[h] · (j - i), the slopes an
// argument, on [B, H, Sq, Sk] scores.
func.func @alibi(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x12x16xf32>, %v: tensor<2x2x12x8xf32>, %slopes: tensor<2xf32>) -> tensor<2x2x8x8xf32> {
  %c0 = arith.constant 0.0 : f32
  %scale = arith.constant 0.25 : f32
  %es = tensor.empty() : tensor<2x2x8x12xf32>
  %zs = linalg.fill ins(%c0 : f32) outs(%es : tensor<2x2x8x12xf32>) -> tensor<2x2x8x12xf32>
  %s = linalg.generic {indexing_maps = [#qk_q, #qk_k, #qk_s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %k : tensor<2x2x8x16xf32>, tensor<2x2x12x16xf32>) outs(%zs : tensor<2x2x8x12xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x2x8x12xf32>
  %biased = linalg.generic {indexing_maps = [#id4, affine_map<(d0, d1, d2, d3) -> (d1)>, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s, %slopes : tensor<2x2x8x12xf32>, tensor<2xf32>) outs(%es : tensor<2x2x8x12xf32>) {
  ^bb0(%in: f32, %slope: f32, %out: f32):
    %i = linalg.index 2 : index
    %j = linalg.index 3 : index
    %d = arith.subi %j, %i : index
    %di = arith.index_cast %d : index to i64
    %df = arith.sitofp %di : i64 to f32
    %b = arith.mulf %slope, %df : f32
    %sc = arith.mulf %in, %scale : f32
    %r = arith.addf %sc, %b : f32
    linalg.yield %r : f32
  } -> tensor<2x2x8x12xf32>
  %p = linalg.softmax dimension(3) ins(%biased : tensor<2x2x8x12xf32>) outs(%es : tensor<2x2x8x12xf32>) -> tensor<2x2x8x12xf32>
  %eo = tensor.empty() : tensor<2x2x8x8xf32>
  %zo = linalg.fill ins(%c0 : f32) outs(%eo : tensor<2x2x8x8xf32>) -> tensor<2x2x8x8xf32>
  %o = linalg.generic {indexing_maps = [#pv_p, #pv_v, #pv_o], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%p, %v : tensor<2x2x8x12xf32>, tensor<2x2x12x8xf32>) outs(%zo : tensor<2x2x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x2x8x8xf32>
  return %o : tensor<2x2x8x8xf32>
}

// ALiBi on flattened [B·H, Sq, Sk] scores (B = 1, two heads): the slope is
// read by the first dimension, which the fused op's heads are.
func.func @alibi_flat(%q: tensor<2x8x16xf32>, %k: tensor<2x12x16xf32>, %v: tensor<2x12x8xf32>, %slopes: tensor<2xf32>) -> tensor<2x8x8xf32> {
  %c0 = arith.constant 0.0 : f32
  %scale = arith.constant 0.25 : f32
  %ekt = tensor.empty() : tensor<2x16x12xf32>
  %kt = linalg.transpose ins(%k : tensor<2x12x16xf32>) outs(%ekt : tensor<2x16x12xf32>) permutation = [0, 2, 1]
  %es = tensor.empty() : tensor<2x8x12xf32>
  %zs = linalg.fill ins(%c0 : f32) outs(%es : tensor<2x8x12xf32>) -> tensor<2x8x12xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<2x8x16xf32>, tensor<2x16x12xf32>) outs(%zs : tensor<2x8x12xf32>) -> tensor<2x8x12xf32>
  %biased = linalg.generic {indexing_maps = [#id3, affine_map<(d0, d1, d2) -> (d0)>, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s, %slopes : tensor<2x8x12xf32>, tensor<2xf32>) outs(%es : tensor<2x8x12xf32>) {
  ^bb0(%in: f32, %slope: f32, %out: f32):
    %i = linalg.index 1 : index
    %j = linalg.index 2 : index
    %d = arith.subi %j, %i : index
    %di = arith.index_cast %d : index to i64
    %df = arith.sitofp %di : i64 to f32
    %b = arith.mulf %slope, %df : f32
    %sc = arith.mulf %in, %scale : f32
    %r = arith.addf %sc, %b : f32
    linalg.yield %r : f32
  } -> tensor<2x8x12xf32>
  %p = linalg.softmax dimension(2) ins(%biased : tensor<2x8x12xf32>) outs(%es : tensor<2x8x12xf32>) -> tensor<2x8x12xf32>
  %eo = tensor.empty() : tensor<2x8x8xf32>
  %zo = linalg.fill ins(%c0 : f32) outs(%eo : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<2x8x12xf32>, tensor<2x12x8xf32>) outs(%zo : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  return %o : tensor<2x8x8xf32>
}

// ALiBi on flattened [B·H, S, S] scores with B = 2, H = 2: the slopes are
// read by the head within the batch, `d0 mod 2`.
func.func @alibi_flat_batched(%q: tensor<4x8x16xf32>, %k: tensor<4x12x16xf32>, %v: tensor<4x12x8xf32>, %slopes: tensor<2xf32>) -> tensor<4x8x8xf32> {
  %c0 = arith.constant 0.0 : f32
  %scale = arith.constant 0.25 : f32
  %ekt = tensor.empty() : tensor<4x16x12xf32>
  %kt = linalg.transpose ins(%k : tensor<4x12x16xf32>) outs(%ekt : tensor<4x16x12xf32>) permutation = [0, 2, 1]
  %es = tensor.empty() : tensor<4x8x12xf32>
  %zs = linalg.fill ins(%c0 : f32) outs(%es : tensor<4x8x12xf32>) -> tensor<4x8x12xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<4x8x16xf32>, tensor<4x16x12xf32>) outs(%zs : tensor<4x8x12xf32>) -> tensor<4x8x12xf32>
  %biased = linalg.generic {indexing_maps = [#id3, affine_map<(d0, d1, d2) -> (d0 mod 2)>, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s, %slopes : tensor<4x8x12xf32>, tensor<2xf32>) outs(%es : tensor<4x8x12xf32>) {
  ^bb0(%in: f32, %slope: f32, %out: f32):
    %i = linalg.index 1 : index
    %j = linalg.index 2 : index
    %d = arith.subi %j, %i : index
    %di = arith.index_cast %d : index to i64
    %df = arith.sitofp %di : i64 to f32
    %b = arith.mulf %slope, %df : f32
    %sc = arith.mulf %in, %scale : f32
    %r = arith.addf %sc, %b : f32
    linalg.yield %r : f32
  } -> tensor<4x8x12xf32>
  %p = linalg.softmax dimension(2) ins(%biased : tensor<4x8x12xf32>) outs(%es : tensor<4x8x12xf32>) -> tensor<4x8x12xf32>
  %eo = tensor.empty() : tensor<4x8x8xf32>
  %zo = linalg.fill ins(%c0 : f32) outs(%eo : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<4x8x12xf32>, tensor<4x12x8xf32>) outs(%zo : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  return %o : tensor<4x8x8xf32>
}

// f16 queries and bf16 keys and values, both products accumulating in f32
// (P rounded to bf16 before P·V): one f32 attn.sdpa over the operands
// widened.
func.func @mixed_f16_bf16(%q: tensor<4x12x16xf16>, %k: tensor<4x12x16xbf16>, %v: tensor<4x12x8xbf16>) -> tensor<4x12x8xf32> {
  %c0 = arith.constant 0.0 : f32
  %ekt = tensor.empty() : tensor<4x16x12xbf16>
  %kt = linalg.transpose ins(%k : tensor<4x12x16xbf16>) outs(%ekt : tensor<4x16x12xbf16>) permutation = [0, 2, 1]
  %es = tensor.empty() : tensor<4x12x12xf32>
  %zs = linalg.fill ins(%c0 : f32) outs(%es : tensor<4x12x12xf32>) -> tensor<4x12x12xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<4x12x16xf16>, tensor<4x16x12xbf16>) outs(%zs : tensor<4x12x12xf32>) -> tensor<4x12x12xf32>
  %p = linalg.softmax dimension(2) ins(%s : tensor<4x12x12xf32>) outs(%es : tensor<4x12x12xf32>) -> tensor<4x12x12xf32>
  %ep = tensor.empty() : tensor<4x12x12xbf16>
  %pb = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%p : tensor<4x12x12xf32>) outs(%ep : tensor<4x12x12xbf16>) {
  ^bb0(%in: f32, %out: bf16):
    %t = arith.truncf %in : f32 to bf16
    linalg.yield %t : bf16
  } -> tensor<4x12x12xbf16>
  %eo = tensor.empty() : tensor<4x12x8xf32>
  %zo = linalg.fill ins(%c0 : f32) outs(%eo : tensor<4x12x8xf32>) -> tensor<4x12x8xf32>
  %o = linalg.batch_matmul ins(%pb, %v : tensor<4x12x12xbf16>, tensor<4x12x8xbf16>) outs(%zo : tensor<4x12x8xf32>) -> tensor<4x12x8xf32>
  return %o : tensor<4x12x8xf32>
}

// f16 queries and keys, bf16 values and result (P rounded to bf16, P·V
// accumulating in bf16): an f32 attn.sdpa over the operands widened whose
// result is rounded to bf16 once.
func.func @bf16_result(%q: tensor<4x12x16xf16>, %k: tensor<4x12x16xf16>, %v: tensor<4x12x8xbf16>) -> tensor<4x12x8xbf16> {
  %c0 = arith.constant 0.0 : f32
  %c0b = arith.constant 0.0 : bf16
  %ekt = tensor.empty() : tensor<4x16x12xf16>
  %kt = linalg.transpose ins(%k : tensor<4x12x16xf16>) outs(%ekt : tensor<4x16x12xf16>) permutation = [0, 2, 1]
  %es = tensor.empty() : tensor<4x12x12xf32>
  %zs = linalg.fill ins(%c0 : f32) outs(%es : tensor<4x12x12xf32>) -> tensor<4x12x12xf32>
  %s = linalg.batch_matmul ins(%q, %kt : tensor<4x12x16xf16>, tensor<4x16x12xf16>) outs(%zs : tensor<4x12x12xf32>) -> tensor<4x12x12xf32>
  %p = linalg.softmax dimension(2) ins(%s : tensor<4x12x12xf32>) outs(%es : tensor<4x12x12xf32>) -> tensor<4x12x12xf32>
  %ep = tensor.empty() : tensor<4x12x12xbf16>
  %pb = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%p : tensor<4x12x12xf32>) outs(%ep : tensor<4x12x12xbf16>) {
  ^bb0(%in: f32, %out: bf16):
    %t = arith.truncf %in : f32 to bf16
    linalg.yield %t : bf16
  } -> tensor<4x12x12xbf16>
  %eo = tensor.empty() : tensor<4x12x8xbf16>
  %zo = linalg.fill ins(%c0b : bf16) outs(%eo : tensor<4x12x8xbf16>) -> tensor<4x12x8xbf16>
  %o = linalg.batch_matmul ins(%pb, %v : tensor<4x12x12xbf16>, tensor<4x12x8xbf16>) outs(%zo : tensor<4x12x8xbf16>) -> tensor<4x12x8xbf16>
  return %o : tensor<4x12x8xbf16>
}
