// RUN: attn-opt %s --attn-flash-tile="tile-q=8 tile-kv=8 peel=1" --split-input-file | FileCheck %s
// RUN: attn-opt %s --attn-flash-tile="tile-q=8 tile-kv=8" --split-input-file | FileCheck %s --check-prefix=DYN
// RUN: attn-opt %s --attn-flash-tile="tile-q=8 tile-kv=8 peel=1 pad-kv=4" --split-input-file | FileCheck %s --check-prefix=PAD

// Sq = 20, Sk = 13 in tiles of 8, peeled: the query loop runs over the two
// full tiles and the last tile (4 rows) follows it; in each, the key loop
// runs over the one full tile and the last key tile (5 keys) follows it
// under an scf.if. Every tile has a static size (what the CPU pipeline
// vectorizes); without peel every tile is min(8, rest), dynamic.
// CHECK-LABEL: func.func @peeled
// CHECK:       scf.for
// CHECK:         scf.for
// CHECK:           %[[QL:.*]] = scf.for %{{.*}} = %{{.*}} to %c2{{.*}} step
// CHECK:             tensor.extract_slice %arg0{{.*}} [1, 1, 8, 16] {{.*}} to tensor<8x16xf32>
// CHECK:             %[[KL:.*]]:3 = scf.for %{{.*}} = %{{.*}} to %{{.*}} step {{.*}} -> (tensor<8xf32>, tensor<8xf32>, tensor<8x16xf32>)
// CHECK:               tensor.extract_slice %arg1{{.*}} [1, 1, 8, 16] {{.*}} to tensor<8x16xf32>
// CHECK:               linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<8x8xf32>, tensor<8x16xf32>)
// CHECK:             scf.if
// CHECK:               tensor.extract_slice %arg1{{.*}} [1, 1, 5, 16] {{.*}} to tensor<5x16xf32>
// CHECK:               linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<8x5xf32>, tensor<5x16xf32>)
// CHECK:             } else {
// CHECK-NEXT:          scf.yield %[[KL]]#0, %[[KL]]#1, %[[KL]]#2
// CHECK:             tensor.insert_slice {{.*}} [1, 1, 8, 16]
// The last query tile, 4 rows, after the loop.
// CHECK:           tensor.extract_slice %arg0{{.*}} [1, 1, 4, 16] {{.*}} to tensor<4x16xf32>
// CHECK:           scf.for {{.*}} -> (tensor<4xf32>, tensor<4xf32>, tensor<4x16xf32>)
// CHECK:             linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<4x8xf32>, tensor<8x16xf32>)
// CHECK:           scf.if
// CHECK:             linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<4x5xf32>, tensor<5x16xf32>)
// CHECK:           tensor.insert_slice {{.*}} into %[[QL]][{{.*}}] [1, 1, 4, 16]
// CHECK-NOT:   tensor<?x
// pad-kv=4: the peeled key tile of 5 keys is padded to 8 (K and V rows
// zero-filled, the padding's scores -inf); full tiles are unchanged.
// PAD-LABEL: func.func @peeled
// PAD:           linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<8x8xf32>, tensor<8x16xf32>)
// PAD:         scf.if
// PAD:           %[[K5:.*]] = tensor.extract_slice %arg1{{.*}} [1, 1, 5, 16] {{.*}} to tensor<5x16xf32>
// PAD:           %[[V5:.*]] = tensor.extract_slice %arg2{{.*}} [1, 1, 5, 16] {{.*}} to tensor<5x16xf32>
// PAD:           %[[KZ:.*]] = linalg.fill {{.*}} -> tensor<8x16xf32>
// PAD:           %[[K8:.*]] = tensor.insert_slice %[[K5]] into %[[KZ]][0, 0] [5, 16] [1, 1] : tensor<5x16xf32> into tensor<8x16xf32>
// PAD:           %[[VZ:.*]] = linalg.fill {{.*}} -> tensor<8x16xf32>
// PAD:           %[[V8:.*]] = tensor.insert_slice %[[V5]] into %[[VZ]][0, 0] [5, 16] [1, 1] : tensor<5x16xf32> into tensor<8x16xf32>
// PAD:           linalg.generic {{.*}} ins(%{{.*}}, %[[K8]] : tensor<8x16xf32>, tensor<8x16xf32>) outs(%{{.*}} : tensor<8x8xf32>)
// PAD:           linalg.generic
// PAD:             %c5{{.*}} = arith.constant 5 : index
// PAD-NEXT:        %[[COL:.*]] = linalg.index 1 : index
// PAD-NEXT:        %[[IN:.*]] = arith.cmpi slt, %[[COL]], %c5{{.*}} : index
// PAD:             arith.select %[[IN]], %{{.*}}, %cst{{.*}} : f32
// PAD:           linalg.matmul ins(%{{.*}}, %[[V8]] : tensor<8x8xf32>, tensor<8x16xf32>)
// PAD-NOT:     tensor<8x5xf32>
// DYN-LABEL: func.func @peeled
// DYN:         tensor<?x16xf32>
// DYN:         tensor<?x?xf32>
func.func @peeled(%q: tensor<1x2x20x16xf32>, %k: tensor<1x2x13x16xf32>, %v: tensor<1x2x13x16xf32>) -> tensor<1x2x20x16xf32> {
  %o = attn.sdpa %q, %k, %v : tensor<1x2x20x16xf32>, tensor<1x2x13x16xf32>, tensor<1x2x13x16xf32> -> tensor<1x2x20x16xf32>
  return %o : tensor<1x2x20x16xf32>
}

// -----

// pad-kv with a bias and a boolean mask over the keys: their tiles of the
// padded key tile are padded too (zeros; the padding is hidden anyway); a
// mask broadcast over the keys is not.
// PAD-LABEL: func.func @padded_bias_mask
// PAD:         scf.if
// PAD:           tensor.extract_slice %arg3{{.*}} [1, 1, 8, 5] {{.*}} to tensor<8x5xf32>
// PAD:           tensor.insert_slice %{{.*}} into %{{.*}}[0, 0] [8, 5] [1, 1] : tensor<8x5xf32> into tensor<8x8xf32>
// PAD:           tensor.extract_slice %arg4{{.*}} [1, 1, 8, 1] {{.*}} to tensor<8x1xi1>
// PAD-NOT:       tensor<8x8xi1>
// PAD:           linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<8x8xf32>, tensor<8x1xi1>) outs(%{{.*}} : tensor<8x8xf32>)
func.func @padded_bias_mask(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x13x16xf32>, %v: tensor<1x2x13x16xf32>, %bias: tensor<1x2x8x13xf32>, %m: tensor<1x1x8x1xi1>) -> tensor<1x2x8x16xf32> {
  %o = attn.sdpa %q, %k, %v bias(%bias : tensor<1x2x8x13xf32>) attn_mask(%m : tensor<1x1x8x1xi1>) : tensor<1x2x8x16xf32>, tensor<1x2x13x16xf32>, tensor<1x2x13x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// Decode (one query, 13 keys): the query tile is the peeled one (1 row);
// causal bottom-right ranges from the tile table, each with its own peeled
// partial key tile.
// CHECK-LABEL: func.func @decode_causal
// CHECK:           scf.for %{{.*}} = %{{.*}} to %c0{{.*}} step
// CHECK:           tensor.extract_slice %arg0{{.*}} [1, 1, 1, 16] {{.*}} to tensor<1x16xf32>
// CHECK:           linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<1x8xf32>, tensor<8x16xf32>)
// CHECK:           linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<1x5xf32>, tensor<5x16xf32>)
// CHECK-NOT:   tensor<?x
func.func @decode_causal(%q: tensor<1x2x1x16xf32>, %k: tensor<1x2x13x16xf32>, %v: tensor<1x2x13x16xf32>) -> tensor<1x2x1x16xf32> {
  %o = attn.sdpa %q, %k, %v {mask = #attn.mask<causal = true, align = bottom_right>} : tensor<1x2x1x16xf32>, tensor<1x2x13x16xf32>, tensor<1x2x13x16xf32> -> tensor<1x2x1x16xf32>
  return %o : tensor<1x2x1x16xf32>
}

// -----

// kv_lens makes the key length L dynamic, but the tiles keep static sizes:
// the L / 8 tiles inside it are full and unmasked; the partial one (when L
// is not a multiple of 8) is a whole tile of 8, or the 5 keys of the last
// tile of the 13, that hides keys at or past L and zeroes their V rows
// (they may hold anything).
// CHECK-LABEL: func.func @kv_lens_static_tiles
// CHECK-NOT:     tensor<?x16xf32>
// CHECK:         %[[L:.*]] = arith.minsi
// CHECK:         %[[FULL:.*]] = arith.divui %[[L]], %{{.*}} : index
// CHECK:         %[[END:.*]] = arith.minsi %{{.*}}, %[[FULL]] : index
// CHECK:         scf.for %{{.*}} = %{{.*}} to %[[END]]
// CHECK:           tensor.extract_slice %arg1{{.*}} [1, 1, 8, 16] {{.*}} to tensor<8x16xf32>
// CHECK-NOT:       linalg.index
// CHECK:           linalg.matmul
// CHECK:         scf.if
// CHECK:           %[[FITS:.*]] = arith.cmpi slt, %[[FULL]], %{{.*}} : index
// CHECK:           scf.if %[[FITS]]
// CHECK:             tensor.extract_slice %arg2{{.*}} [1, 1, 8, 16] {{.*}} to tensor<8x16xf32>
// CHECK:             linalg.generic
// CHECK:               %[[J:.*]] = arith.addi %{{.*}}, %{{.*}} : index
// CHECK:               %[[IN:.*]] = arith.cmpi slt, %[[J]], %[[L]] : index
// CHECK:               arith.select %[[IN]], %{{.*}}, %{{.*}} : f32
// CHECK:           } else {
// CHECK:             tensor.extract_slice %arg2{{.*}} [1, 1, 5, 16] {{.*}} to tensor<5x16xf32>
func.func @kv_lens_static_tiles(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x13x16xf32>, %v: tensor<1x2x13x16xf32>, %lens: tensor<1xi32>) -> tensor<1x2x8x16xf32> {
  %o = attn.sdpa %q, %k, %v kv_lens(%lens : tensor<1xi32>) : tensor<1x2x8x16xf32>, tensor<1x2x13x16xf32>, tensor<1x2x13x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// widen=1: f16 tiles become f32 once per tile (Q per query tile, times the
// scores' multiplier, K and V per key tile) and both contractions read f32; without it the Q·Kᵀ body
// extends each f16 product's operands.
// RUN: attn-opt %s --attn-flash-tile="tile-q=8 tile-kv=8 peel=1 widen=1" --split-input-file | FileCheck %s --check-prefix=WIDE
// WIDE-LABEL: func.func @widened
// WIDE:         %[[Q:.*]] = tensor.extract_slice %arg0{{.*}} to tensor<8x16xf16>
// WIDE:         %[[Q32:.*]] = linalg.generic {{.*}} ins(%[[Q]] : tensor<8x16xf16>) outs(%{{.*}} : tensor<8x16xf32>)
// WIDE:           arith.extf
// WIDE:         %[[QW:.*]] = linalg.generic {{.*}} ins(%[[Q32]] : tensor<8x16xf32>) outs(%{{.*}} : tensor<8x16xf32>)
// WIDE:           arith.mulf
// WIDE:         %[[K:.*]] = tensor.extract_slice %arg1{{.*}} to tensor<8x16xf16>
// WIDE:         %[[KW:.*]] = linalg.generic {{.*}} ins(%[[K]] : tensor<8x16xf16>)
// WIDE:         %[[V:.*]] = tensor.extract_slice %arg2{{.*}} to tensor<8x16xf16>
// WIDE:         %[[VW:.*]] = linalg.generic {{.*}} ins(%[[V]] : tensor<8x16xf16>)
// WIDE:         linalg.generic {{.*}} ins(%[[QW]], %[[KW]] : tensor<8x16xf32>, tensor<8x16xf32>)
// WIDE-NEXT:    ^bb0(%{{.*}}: f32, %{{.*}}: f32, %{{.*}}: f32):
// WIDE-NEXT:      arith.mulf
// WIDE:         linalg.matmul ins(%{{.*}}, %[[VW]] : tensor<8x8xf32>, tensor<8x16xf32>)
// WIDE:         arith.truncf {{.*}} : f32 to f16
func.func @widened(%q: tensor<1x1x16x16xf16>, %k: tensor<1x1x16x16xf16>, %v: tensor<1x1x16x16xf16>) -> tensor<1x1x16x16xf16> {
  %o = attn.sdpa %q, %k, %v : tensor<1x1x16x16xf16>, tensor<1x1x16x16xf16>, tensor<1x1x16x16xf16> -> tensor<1x1x16x16xf16>
  return %o : tensor<1x1x16x16xf16>
}
