// RUN: attn-opt %s --attn-flash-tile="tile-q=8 tile-kv=8 peel=1 widen=1 parallel-heads=1 pad-kv=4 transpose-keys=1" --split-input-file | FileCheck %s
// Without parallel-heads (the loops other targets take) nothing changes.
// RUN: attn-opt %s --attn-flash-tile="tile-q=8 tile-kv=8 peel=1 widen=1 pad-kv=4 transpose-keys=1" --split-input-file | FileCheck %s --check-prefix=LOOPS

// Three query tiles over 13 keys (tiles of 8): each (batch, head) widens
// and transposes its keys once, as two 8-key tiles (`[2, 16, 8]`, the last
// tile's 3 missing keys zeros), before its query tiles; every Q·Kᵀ reads
// its `[16, 8]` tile of that as stored (d2, d1), the full tiles in the loop
// and the padded last tile after it. V tiles are read as before.
// CHECK-DAG:   #[[QMAP:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG:   #[[KTMAP:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-LABEL: func.func @three_query_tiles
// CHECK:         scf.forall (%[[B:.*]], %[[H:.*]]) in (1, 2)
// CHECK:           %[[KH:.*]] = tensor.extract_slice %arg1[%[[B]], %{{.*}}, %{{.*}}, 0] [1, 1, 13, 16] [1, 1, 1, 1] : tensor<1x2x13x16xf16> to tensor<13x16xf16>
// CHECK:           %[[KW:.*]] = linalg.generic {{.*}} ins(%[[KH]] : tensor<13x16xf16>) outs(%{{.*}} : tensor<13x16xf32>)
// CHECK:           %[[Z:.*]] = linalg.fill {{.*}} -> tensor<16x16xf32>
// CHECK:           %[[KP:.*]] = tensor.insert_slice %[[KW]] into %[[Z]][0, 0] [13, 16] [1, 1]
// CHECK:           %[[KE:.*]] = tensor.expand_shape %[[KP]] {{\[\[}}0, 1], [2]] output_shape [2, 8, 16] : tensor<16x16xf32> into tensor<2x8x16xf32>
// CHECK:           %[[KT:.*]] = linalg.transpose ins(%[[KE]] : tensor<2x8x16xf32>) outs(%{{.*}} : tensor<2x16x8xf32>) permutation = [0, 2, 1]
// CHECK:           scf.for
// CHECK:             scf.for %[[J:[^ ]*]] =
// CHECK-NOT:           tensor.extract_slice %arg1
// CHECK:               %[[T:.*]] = tensor.extract_slice %[[KT]][%[[J]], 0, 0] [1, 16, 8] [1, 1, 1] : tensor<2x16x8xf32> to tensor<16x8xf32>
// CHECK:               linalg.generic {indexing_maps = [#[[QMAP]], #[[KTMAP]], {{.*}}]{{.*}} ins(%{{.*}}, %[[T]] : tensor<8x16xf32>, tensor<16x8xf32>) outs(%{{.*}} : tensor<8x8xf32>)
// CHECK:             scf.if
// CHECK:               tensor.extract_slice %arg2{{.*}} [1, 1, 5, 16]
// CHECK:               %[[TL:.*]] = tensor.extract_slice %[[KT]][%c1{{.*}}, 0, 0] [1, 16, 8] [1, 1, 1] : tensor<2x16x8xf32> to tensor<16x8xf32>
// CHECK:               linalg.generic {{.*}} ins(%{{.*}}, %[[TL]] : tensor<8x16xf32>, tensor<16x8xf32>)
// CHECK-NOT:     tensor.extract_slice %arg1
// LOOPS-LABEL: func.func @three_query_tiles
// LOOPS-NOT:   linalg.transpose
// LOOPS:       tensor.extract_slice %arg1{{.*}} [1, 1, 8, 16]
func.func @three_query_tiles(%q: tensor<1x2x20x16xf16>, %k: tensor<1x2x13x16xf16>, %v: tensor<1x2x13x16xf16>) -> tensor<1x2x20x16xf16> {
  %o = attn.sdpa %q, %k, %v : tensor<1x2x20x16xf16>, tensor<1x2x13x16xf16>, tensor<1x2x13x16xf16> -> tensor<1x2x20x16xf16>
  return %o : tensor<1x2x20x16xf16>
}

// -----

// One query tile reads each key tile once anyway, and two over 13 keys
// would transpose 16 padded rows after copying them against 2 x 16 rows
// of their own tiles: both keep reading K tiles.
// CHECK-LABEL: func.func @few_query_tiles
// CHECK-NOT:     linalg.transpose
// CHECK:         tensor.extract_slice %arg1{{.*}} [1, 1, 8, 16]
// CHECK-LABEL: func.func @few_query_tiles_2
// CHECK-NOT:     linalg.transpose
// CHECK:         tensor.extract_slice %arg1{{.*}} [1, 1, 8, 16]
func.func @few_query_tiles(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x13x16xf32>, %v: tensor<1x2x13x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = attn.sdpa %q, %k, %v : tensor<1x2x8x16xf32>, tensor<1x2x13x16xf32>, tensor<1x2x13x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}
func.func @few_query_tiles_2(%q: tensor<1x2x16x16xf32>, %k: tensor<1x2x13x16xf32>, %v: tensor<1x2x13x16xf32>) -> tensor<1x2x16x16xf32> {
  %o = attn.sdpa %q, %k, %v : tensor<1x2x16x16xf32>, tensor<1x2x13x16xf32>, tensor<1x2x13x16xf32> -> tensor<1x2x16x16xf32>
  return %o : tensor<1x2x16x16xf32>
}

// -----

// Two query tiles over 16 keys (whole tiles, nothing to pad): the keys are
// transposed once instead of once per query tile. GQA 4:2: each query
// head transposes its KV head's keys.
// CHECK-LABEL: func.func @whole_tiles_gqa
// CHECK:         %[[KV:.*]] = arith.divsi
// CHECK:         %[[KH:.*]] = tensor.extract_slice %arg1[%{{.*}}, %[[KV]], %{{.*}}, 0] [1, 1, 16, 16]
// CHECK-NOT:     linalg.fill
// CHECK:         %[[KE:.*]] = tensor.expand_shape %[[KH]]
// CHECK:         linalg.transpose ins(%[[KE]] : tensor<2x8x16xf32>)
func.func @whole_tiles_gqa(%q: tensor<1x4x16x16xf32>, %k: tensor<1x2x16x16xf32>, %v: tensor<1x2x16x16xf32>) -> tensor<1x4x16x16xf32> {
  %o = attn.sdpa %q, %k, %v : tensor<1x4x16x16xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32> -> tensor<1x4x16x16xf32>
  return %o : tensor<1x4x16x16xf32>
}
