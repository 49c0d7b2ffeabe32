// RUN: attn-opt %s --split-input-file --attn-cpu-vectorize | FileCheck %s
// RUN: attn-opt %s --split-input-file --attn-cpu-vectorize="tile-m=6 tile-n=16" | FileCheck %s --check-prefix=SIX

// A matmul gets an 8x32 register tile; the accumulator is carried through
// the k loop as a vector. The column loop is outside the row loop (a k x 32
// panel of B is read by every row tile in turn).
// CHECK-LABEL: func.func @matmul
// CHECK:         scf.for {{.*}} step %c32
// CHECK:           scf.for {{.*}} step %c8
// CHECK:             %[[ACC:.*]] = vector.transfer_read {{.*}} : tensor<16x64xf32>, vector<8x32xf32>
// CHECK:             scf.for {{.*}} iter_args(%{{.*}} = %[[ACC]]) -> (vector<8x32xf32>)
// CHECK:               vector.contract {{.*}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// CHECK-NOT:         linalg.matmul
func.func @matmul(%a: tensor<16x48xf32>, %b: tensor<48x64xf32>,
                  %c: tensor<16x64xf32>) -> tensor<16x64xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<16x48xf32>, tensor<48x64xf32>)
                     outs(%c : tensor<16x64xf32>) -> tensor<16x64xf32>
  return %0 : tensor<16x64xf32>
}

// -----

// Q·Kᵀ with K stored [n, k]: K is first transposed to [k, n] (vectorized as
// well), then the contraction reads rows of n.
// CHECK-LABEL: func.func @scores
// CHECK-NOT:     linalg.generic
// CHECK-NOT:     linalg.transpose
// CHECK:         vector.contract {{.*}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
#q = affine_map<(m, n, k) -> (m, k)>
#k = affine_map<(m, n, k) -> (n, k)>
#s = affine_map<(m, n, k) -> (m, n)>
func.func @scores(%q: tensor<16x8xf32>, %kt: tensor<32x8xf32>,
                  %s: tensor<16x32xf32>) -> tensor<16x32xf32> {
  %0 = linalg.generic {indexing_maps = [#q, #k, #s],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%q, %kt : tensor<16x8xf32>, tensor<32x8xf32>)
      outs(%s : tensor<16x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<16x32xf32>
  return %0 : tensor<16x32xf32>
}

// -----

// The same with at most 4 query rows (a decode step): no transposed copy;
// tiles of 8 keys whose dot products read the key rows as stored.
// CHECK-LABEL: func.func @decode_scores
// CHECK-NOT:     linalg.transpose
// CHECK:         scf.for %[[N:.*]] = %c0 to %c64 step %c8
// CHECK:           vector.transfer_read %{{.*}}[%[[N]], %c0]{{.*}} : tensor<64x128xf32>, vector<8x128xf32>
// CHECK:           vector.contract {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %{{.*}}, %{{.*}}, %{{.*}} : vector<2x128xf32>, vector<8x128xf32> into vector<2x8xf32>
#q = affine_map<(m, n, k) -> (m, k)>
#k = affine_map<(m, n, k) -> (n, k)>
#s = affine_map<(m, n, k) -> (m, n)>
func.func @decode_scores(%q: tensor<2x128xf32>, %kt: tensor<64x128xf32>,
                         %s: tensor<2x64xf32>) -> tensor<2x64xf32> {
  %0 = linalg.generic {indexing_maps = [#q, #k, #s],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%q, %kt : tensor<2x128xf32>, tensor<64x128xf32>)
      outs(%s : tensor<2x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x64xf32>
  return %0 : tensor<2x64xf32>
}

// -----

// Elementwise ops: one row of the innermost dimension at a time, tiled by
// the vector width when it is long.
// CHECK-LABEL: func.func @exp_rows
// CHECK:         scf.for
// CHECK:           scf.for {{.*}} step %c16
// CHECK:             math.exp {{.*}} : vector<16xf32>
// CHECK-NOT:     linalg.generic
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @exp_rows(%x: tensor<4x128xf32>) -> tensor<4x128xf32> {
  %e = tensor.empty() : tensor<4x128xf32>
  %0 = linalg.generic {indexing_maps = [#id, #id],
                       iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x128xf32>) outs(%e : tensor<4x128xf32>) {
  ^bb0(%a: f32, %b: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  } -> tensor<4x128xf32>
  return %0 : tensor<4x128xf32>
}

// -----

// A row reduction over a short static dimension is vectorized whole.
// CHECK-LABEL: func.func @row_max
// CHECK:         vector.multi_reduction <maximumf>, {{.*}} [1] : vector<1x64xf32> to vector<1xf32>
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @row_max(%x: tensor<8x64xf32>, %init: tensor<8xf32>) -> tensor<8xf32> {
  %0 = linalg.generic {indexing_maps = [#id, #row],
                       iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<8x64xf32>) outs(%init : tensor<8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.maximumf %a, %acc : f32
    linalg.yield %r : f32
  } -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

// An input indexed by a non-permutation map (RoPE's `d1 mod 32`) becomes a
// tensor.extract in the body, which is vectorized (here a gather).
// CHECK-LABEL: func.func @mod_input
// CHECK-NOT:     linalg.generic
// CHECK:         vector.gather
#id = affine_map<(d0, d1) -> (d0, d1)>
#mod = affine_map<(d0, d1) -> (d1 mod 32)>
func.func @mod_input(%x: tensor<4x64xf32>, %f: tensor<32xf32>) -> tensor<4x64xf32> {
  %e = tensor.empty() : tensor<4x64xf32>
  %0 = linalg.generic {indexing_maps = [#id, #mod, #id],
                       iterator_types = ["parallel", "parallel"]}
      ins(%x, %f : tensor<4x64xf32>, tensor<32xf32>)
      outs(%e : tensor<4x64xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %r = arith.mulf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<4x64xf32>
  return %0 : tensor<4x64xf32>
}

// -----

// Left scalar: a dynamic innermost dimension (no masked vectorization).
// CHECK-LABEL: func.func @dynamic
// CHECK:         linalg.generic
// CHECK-NOT:     vector.
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @dynamic(%x: tensor<4x?xf32>, %e: tensor<4x?xf32>) -> tensor<4x?xf32> {
  %0 = linalg.generic {indexing_maps = [#id, #id],
                       iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x?xf32>) outs(%e : tensor<4x?xf32>) {
  ^bb0(%a: f32, %b: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  } -> tensor<4x?xf32>
  return %0 : tensor<4x?xf32>
}

// -----

// Left scalar: i1 tensors (one byte per element in memory, bit-packed in a
// vector load).
// CHECK-LABEL: func.func @bool_mask
// CHECK:         linalg.generic
// CHECK-NOT:     vector.transfer_read
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @bool_mask(%m: tensor<4x8xi1>, %x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %0 = linalg.generic {indexing_maps = [#id, #id, #id],
                       iterator_types = ["parallel", "parallel"]}
      ins(%m, %x : tensor<4x8xi1>, tensor<4x8xf32>)
      outs(%e : tensor<4x8xf32>) {
  ^bb0(%b: i1, %a: f32, %o: f32):
    %r = arith.select %b, %a, %cst : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// Left scalar: a gather at indices read from another tensor (paged
// attention's block table).
// CHECK-LABEL: func.func @table_gather
// CHECK:         linalg.generic
// CHECK:           tensor.extract
// CHECK:           tensor.extract
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @table_gather(%table: tensor<4xindex>, %data: tensor<16x8xf32>)
    -> tensor<4x8xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %0 = linalg.generic {indexing_maps = [#id],
                       iterator_types = ["parallel", "parallel"]}
      outs(%e : tensor<4x8xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %row = tensor.extract %table[%i] : tensor<4xindex>
    %v = tensor.extract %data[%row, %j] : tensor<16x8xf32>
    linalg.yield %v : f32
  } -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// 6-row register tiles on 16 rows: the 12 rows they cover and the last 4
// become two matmuls on slices (each tiled whole), not 4-row tiles
// everywhere (the largest divisor of 16 below 6).
// SIX-LABEL: func.func @row_remainder
// SIX:         tensor.extract_slice %{{.*}}[0, 0] [12, 64] [1, 1] : tensor<16x64xf32> to tensor<12x64xf32>
// SIX:         vector.contract {{.*}} : vector<6x1xf32>, vector<1x16xf32> into vector<6x16xf32>
// SIX:         tensor.extract_slice %{{.*}}[12, 0] [4, 64] [1, 1] : tensor<16x64xf32> to tensor<4x64xf32>
// SIX:         vector.transfer_read %{{.*}}[%c12, %{{.*}}], %{{.*}} : tensor<16x48xf32>, vector<4x1xf32>
// SIX:         vector.contract {{.*}} : vector<4x1xf32>, vector<1x16xf32> into vector<4x16xf32>
// SIX-NOT:     linalg.matmul
func.func @row_remainder(%a: tensor<16x48xf32>, %b: tensor<48x64xf32>,
                         %c: tensor<16x64xf32>) -> tensor<16x64xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<16x48xf32>, tensor<48x64xf32>)
                     outs(%c : tensor<16x64xf32>) -> tensor<16x64xf32>
  return %0 : tensor<16x64xf32>
}

// -----

// An elementwise generic adding `slope * j` (j the innermost loop's index)
// to its init: read as an input (upstream's vectorizer would take `out + x`
// for a reduction and pair the 1-D index vector with a 2-D accumulator),
// then vectorized as a plain elementwise op; over [1, 4] and [2, 16].
// CHECK-LABEL: func.func @index_plus_init
// CHECK-NOT:     vector.multi_reduction
// CHECK:         %[[OUT:.*]] = vector.transfer_read %arg0{{.*}} : tensor<1x4xf32>, vector<4xf32>
// CHECK:         vector.step : vector<4xindex>
// CHECK:         %[[SUM:.*]] = arith.addf %[[OUT]], %{{.*}} : vector<4xf32>
// CHECK:         vector.transfer_write %[[SUM]], %arg0{{.*}} : vector<4xf32>, tensor<1x4xf32>
// CHECK-NOT:     linalg.generic
// CHECK-LABEL: func.func @index_plus_init_rows
// CHECK-NOT:     vector.multi_reduction
// CHECK:         scf.for {{.*}} iter_args(%[[ACC:.*]] = %arg0)
// CHECK:           %[[ROW:.*]] = tensor.extract_slice %[[ACC]]
// CHECK:           %[[OUT:.*]] = vector.transfer_read %[[ACC]]{{.*}} : tensor<2x16xf32>, vector<16xf32>
// CHECK:           %[[SUM:.*]] = arith.addf %{{.*}}, %[[OUT]] : vector<16xf32>
// CHECK:           vector.transfer_write %[[SUM]], %[[ROW]]
// CHECK-NOT:     linalg.generic
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @index_plus_init(%x: tensor<1x4xf32>, %c: f32, %o: index) -> tensor<1x4xf32> {
  %r = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%x : tensor<1x4xf32>) {
  ^bb0(%out: f32):
    %j = linalg.index 1 : index
    %a = arith.addi %o, %j : index
    %i = arith.index_cast %a : index to i64
    %f = arith.sitofp %i : i64 to f32
    %m = arith.mulf %c, %f : f32
    %s = arith.addf %out, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x4xf32>
  return %r : tensor<1x4xf32>
}
func.func @index_plus_init_rows(%x: tensor<2x16xf32>, %c: f32) -> tensor<2x16xf32> {
  %r = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%x : tensor<2x16xf32>) {
  ^bb0(%out: f32):
    %j = linalg.index 1 : index
    %i = arith.index_cast %j : index to i64
    %f = arith.sitofp %i : i64 to f32
    %m = arith.mulf %c, %f : f32
    %s = arith.addf %m, %out : f32
    linalg.yield %s : f32
  } -> tensor<2x16xf32>
  return %r : tensor<2x16xf32>
}

// -----

// Q·Kᵀ with K stored [keys, d]: K is transposed into a copy first, in 8 x 8
// blocks (one 8 x 8 vector.transpose each, lowered to shuffles later), and
// the register tiles read rows of the copy.
// SIX-LABEL: func.func @qk_nk
// SIX:         scf.for %[[I:.*]] = %c0 to %c16 step %c8
// SIX:           scf.for %[[J:.*]] = %c0 to %c16 step %c8
// SIX:             %[[BLK:.*]] = vector.transfer_read %arg1[%[[J]], %[[I]]]{{.*}} : tensor<16x16xf32>, vector<8x8xf32>
// SIX:             %[[T:.*]] = vector.transpose %[[BLK]], [1, 0] : vector<8x8xf32> to vector<8x8xf32>
// SIX:             vector.transfer_write %[[T]], %{{.*}}[%[[I]], %[[J]]]
// SIX:         vector.contract {{.*}} : vector<6x1xf32>, vector<1x16xf32> into vector<6x16xf32>
#qk_a = affine_map<(m, n, k) -> (m, k)>
#qk_b = affine_map<(m, n, k) -> (n, k)>
#qk_c = affine_map<(m, n, k) -> (m, n)>
func.func @qk_nk(%q: tensor<12x16xf32>, %k: tensor<16x16xf32>, %s: tensor<12x16xf32>) -> tensor<12x16xf32> {
  %r = linalg.generic {indexing_maps = [#qk_a, #qk_b, #qk_c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%q, %k : tensor<12x16xf32>, tensor<16x16xf32>) outs(%s : tensor<12x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %t = arith.addf %acc, %p : f32
    linalg.yield %t : f32
  } -> tensor<12x16xf32>
  return %r : tensor<12x16xf32>
}

// -----

// A linalg.transpose of its own (a head's keys transposed tile by tile by
// attn-flash-tile{transpose-keys}, or one in the input) of the two
// innermost dimensions, multiples of 8: the same 8 x 8 blocks.
// (attn-cpu-lower-vectors lowers the 1 x 8 x 8 transposes to shuffles.)
// CHECK-LABEL: func.func @transpose_tiles
// CHECK:         scf.for %[[T:[^ ]*]] = %c0 to %c2 step %c1
// CHECK:           scf.for %[[I:[^ ]*]] = %c0 to %c16 step %c8
// CHECK:             %[[BLK:.*]] = vector.transfer_read %arg0[%[[T]], %c0, %[[I]]]{{.*}} : tensor<2x8x16xf32>, vector<8x8xf32>
// CHECK:             %[[B3:.*]] = vector.broadcast %[[BLK]] : vector<8x8xf32> to vector<1x8x8xf32>
// CHECK:             vector.transpose %[[B3]], [0, 2, 1] : vector<1x8x8xf32> to vector<1x8x8xf32>
func.func @transpose_tiles(%k: tensor<2x8x16xf32>, %init: tensor<2x16x8xf32>) -> tensor<2x16x8xf32> {
  %t = linalg.transpose ins(%k : tensor<2x8x16xf32>) outs(%init : tensor<2x16x8xf32>) permutation = [0, 2, 1]
  return %t : tensor<2x16x8xf32>
}

// -----

// A column count the 32-column tile does not divide (80: a 77-key score
// tile padded to 80) gets the largest divisor that is a multiple of 16
// lanes, not 20 (vectors of 20 floats, split into pieces by LLVM); other
// ops' rows of 72 (above the 64 kept whole) get 8, not 12.
// CHECK-LABEL: func.func @columns_of_80
// CHECK:         vector.contract {{.*}} : vector<8x1xf32>, vector<1x16xf32> into vector<8x16xf32>
// CHECK-NOT:     vector<8x20xf32>
// CHECK-LABEL: func.func @rows_of_72
// CHECK:         math.exp {{.*}} : vector<8xf32>
func.func @columns_of_80(%a: tensor<16x64xf32>, %b: tensor<64x80xf32>,
                         %c: tensor<16x80xf32>) -> tensor<16x80xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<16x64xf32>, tensor<64x80xf32>)
                     outs(%c : tensor<16x80xf32>) -> tensor<16x80xf32>
  return %0 : tensor<16x80xf32>
}
func.func @rows_of_72(%x: tensor<4x72xf32>) -> tensor<4x72xf32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}
      outs(%x : tensor<4x72xf32>) {
  ^bb0(%v: f32):
    %e = math.exp %v : f32
    linalg.yield %e : f32
  } -> tensor<4x72xf32>
  return %0 : tensor<4x72xf32>
}
