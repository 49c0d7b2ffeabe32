// RUN: attn-opt %s --attn-flash-tile="tile-q=8 tile-kv=8" --split-input-file | FileCheck %s

// Causal, Sq = Sk = 17 in tiles of 8: the per-query-tile key tile ranges
// [visible begin, full begin, full end, visible end) are computed at compile
// time. Query tile 0 sees key tile 0 partially; tile 1 sees tile 0 fully and
// tile 1 partially; tile 2 (row 16) sees tiles 0..2 fully. Invisible tiles
// are skipped by the loop bounds read from this table. The scores'
// multiplier (scale · log2 e) is applied to the Q tile once.
// CHECK-LABEL: func.func @causal_17
// CHECK-DAG:   %[[SCALE:.*]] = arith.constant 0.360673755 : f32
// CHECK-DAG:   %[[TABLE:.*]] = arith.constant dense<{{\[}}[0, 0, 0, 1], [0, 0, 1, 2], [0, 0, 3, 3]]> : tensor<3x4xi64>
// CHECK:       scf.for %[[B:arg[0-9]+]] = {{.*}} iter_args
// CHECK:         scf.for %[[H:arg[0-9]+]] = {{.*}} iter_args
// CHECK:           scf.for %[[QT:arg[0-9]+]] = {{.*}} iter_args
// CHECK:             tensor.extract_slice %arg0[%[[B]], %[[H]], {{.*}}] {{.*}} to tensor<?x16xf32>
// CHECK:             linalg.generic
// CHECK-NEXT:          ^bb0(%[[QIN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:            arith.mulf %[[SCALE]], %[[QIN]] : f32
// CHECK-DAG:         %[[VB:.*]] = tensor.extract %[[TABLE]][%[[QT]], %c0{{.*}}]
// CHECK-DAG:         %[[FB:.*]] = tensor.extract %[[TABLE]][%[[QT]], %c1{{.*}}]
// CHECK-DAG:         %[[FE:.*]] = tensor.extract %[[TABLE]][%[[QT]], %c2{{.*}}]
// CHECK-DAG:         %[[VE:.*]] = tensor.extract %[[TABLE]][%[[QT]], %c3{{.*}}]
// CHECK-DAG:         %[[VBI:.*]] = arith.index_cast %[[VB]]
// CHECK-DAG:         %[[FBI:.*]] = arith.index_cast %[[FB]]
// CHECK-DAG:         %[[FEI:.*]] = arith.index_cast %[[FE]]
// CHECK-DAG:         %[[VEI:.*]] = arith.index_cast %[[VE]]
// Leading partial tiles: the mask is evaluated.
// CHECK:             scf.for %{{.*}} = %[[VBI]] to %[[FBI]]
// CHECK:               linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK:                 arith.mulf
// CHECK:                 arith.addf
// CHECK:               linalg.generic
// CHECK-NOT:             arith.mulf
// CHECK:                 linalg.index 0
// CHECK:                 linalg.index 1
// CHECK:                 arith.cmpi sle
// CHECK:                 arith.select
// CHECK:               arith.maximumf
// CHECK:               math.exp2
// CHECK:               math.exp2
// CHECK:               linalg.matmul
// CHECK:               scf.yield
// Fully visible tiles: no mask code at all.
// CHECK:             scf.for %{{.*}} = %[[FBI]] to %[[FEI]]
// CHECK:               linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK:               linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK-NEXT:          ^bb0
// CHECK-NEXT:            arith.maximumf
// CHECK-NOT:           linalg.index
// CHECK-NOT:           arith.cmpi
// CHECK:               linalg.matmul
// CHECK:               scf.yield
// Trailing partial tiles.
// CHECK:             scf.for %{{.*}} = %[[FEI]] to %[[VEI]]
// CHECK:                 arith.cmpi sle
// CHECK:             } -> tensor<?x16xf32>
// CHECK:             tensor.insert_slice
// CHECK-NOT:   attn.sdpa
func.func @causal_17(%q: tensor<1x2x17x16xf32>, %k: tensor<1x2x17x16xf32>, %v: tensor<1x2x17x16xf32>) -> tensor<1x2x17x16xf32> {
  %o = attn.sdpa %q, %k, %v {mask = #attn.mask<causal = true>} : tensor<1x2x17x16xf32>, tensor<1x2x17x16xf32>, tensor<1x2x17x16xf32> -> tensor<1x2x17x16xf32>
  return %o : tensor<1x2x17x16xf32>
}

// -----

// Sliding window 4 keys to the left, 32 x 32: query tile 3 (rows 24..31)
// skips key tiles 0 and 1 (begin 2), and the window's lower bound is
// checked in partial tiles.
// CHECK-LABEL: func.func @window
// CHECK:       arith.constant dense<{{\[}}[0, 1, 1, 1], [0, 2, 2, 2], [1, 3, 3, 3], [2, 4, 4, 4]]> : tensor<4x4xi64>
// CHECK:       arith.cmpi sle
// CHECK:       arith.subi
// CHECK:       arith.cmpi sge
// CHECK:       arith.andi
func.func @window(%q: tensor<1x1x32x8xf32>, %k: tensor<1x1x32x8xf32>, %v: tensor<1x1x32x8xf32>) -> tensor<1x1x32x8xf32> {
  %o = attn.sdpa %q, %k, %v {mask = #attn.mask<causal = true, window_left = 4>} : tensor<1x1x32x8xf32>, tensor<1x1x32x8xf32>, tensor<1x1x32x8xf32> -> tensor<1x1x32x8xf32>
  return %o : tensor<1x1x32x8xf32>
}

// -----

// No mask: one loop over all key tiles with static tile shapes, no table.
// CHECK-LABEL: func.func @full
// CHECK-NOT:   dense<
// CHECK:       scf.for
// CHECK:         scf.for
// CHECK:           scf.for
// CHECK:             tensor.extract_slice {{.*}} to tensor<8x8xf32>
// CHECK:             scf.for
// CHECK-NOT:           linalg.index
// CHECK:               linalg.matmul
// CHECK:             } -> tensor<8x8xf32>
// CHECK-NOT:         scf.for
// CHECK:             tensor.insert_slice
func.func @full(%q: tensor<1x1x16x8xf32>, %k: tensor<1x1x32x8xf32>, %v: tensor<1x1x32x8xf32>) -> tensor<1x1x16x8xf32> {
  %o = attn.sdpa %q, %k, %v : tensor<1x1x16x8xf32>, tensor<1x1x32x8xf32>, tensor<1x1x32x8xf32> -> tensor<1x1x16x8xf32>
  return %o : tensor<1x1x16x8xf32>
}

// -----

// kv_lens: the key length and the bottom-right diagonal come from the
// operand; the tile ranges are computed at run time (arith on index).
// CHECK-LABEL: func.func @kv_lens
// CHECK-NOT:   dense<
// CHECK:       scf.for %[[B:arg[0-9]+]] =
// CHECK:         %[[LEN:.*]] = tensor.extract %arg3[%[[B]]] : tensor<2xi32>
// CHECK:         arith.index_cast %[[LEN]]
// CHECK:         arith.maxsi
// CHECK:         arith.minsi
// CHECK:         scf.for
// CHECK:           scf.for
// CHECK:             arith.floordivsi
// CHECK:             arith.cmpi sge
// CHECK:             arith.select
// CHECK:             scf.for
// CHECK:             scf.for
// CHECK:             scf.for
func.func @kv_lens(%q: tensor<2x2x4x8xf16>, %k: tensor<2x2x40x8xf16>, %v: tensor<2x2x40x8xf16>, %lens: tensor<2xi32>) -> tensor<2x2x4x8xf16> {
  %o = attn.sdpa %q, %k, %v kv_lens(%lens : tensor<2xi32>) {mask = #attn.mask<causal = true, align = bottom_right>} : tensor<2x2x4x8xf16>, tensor<2x2x40x8xf16>, tensor<2x2x40x8xf16> -> tensor<2x2x4x8xf16>
  return %o : tensor<2x2x4x8xf16>
}

// -----

// Softcap: the scale goes inside the tanh (0.5 / 2.0) and log2(e) after it
// (2.0 * log2(e)); bias and the ALiBi term are scaled by log2(e) too. f16
// inputs are extended to f32 for the products, the output truncated back.
// The lse result is (m + log2(l)) * ln(2).
// CHECK-LABEL: func.func @softcap_bias_alibi_lse
// CHECK:       %[[INNER:.*]] = arith.constant 2.500000e-01 : f32
// CHECK:       %[[SLOPE:.*]] = tensor.extract %arg4
// CHECK:       %[[SLOPE2:.*]] = arith.mulf %[[SLOPE]], %{{.*}} : f32
// CHECK:       arith.extf {{.*}} : f16 to f32
// CHECK:       arith.mulf %[[INNER]]
// CHECK:       math.tanh
// CHECK:       arith.constant 2.885390e+00 : f32
// CHECK:       arith.extf {{.*}} : f16 to f32
// CHECK:       arith.constant 1.44269502 : f32
// CHECK:       arith.mulf %[[SLOPE2]]
// CHECK:       arith.truncf {{.*}} : f32 to f16
// CHECK:       math.log2
// CHECK:       arith.constant 0.693147182 : f32
func.func @softcap_bias_alibi_lse(%q: tensor<1x2x4x8xf16>, %k: tensor<1x1x9x8xf16>, %v: tensor<1x1x9x8xf16>, %bias: tensor<1x2x1x9xf16>, %slopes: tensor<2xf32>) -> (tensor<1x2x4x8xf16>, tensor<1x2x4xf32>) {
  %o, %lse = attn.sdpa %q, %k, %v bias(%bias : tensor<1x2x1x9xf16>) alibi(%slopes : tensor<2xf32>) {scale = 0.5 : f32, softcap = 2.0 : f32} : tensor<1x2x4x8xf16>, tensor<1x1x9x8xf16>, tensor<1x1x9x8xf16> -> tensor<1x2x4x8xf16>, tensor<1x2x4xf32>
  return %o, %lse : tensor<1x2x4x8xf16>, tensor<1x2x4xf32>
}

// -----

// GQA in bshd: query head h reads key/value head h / 2; slices follow the
// [batch, seq, heads, dim] layout.
// CHECK-LABEL: func.func @gqa_bshd
// CHECK:       scf.for %[[B:arg[0-9]+]] =
// CHECK:         scf.for %[[H:arg[0-9]+]] =
// CHECK:           %[[KVH:.*]] = arith.divsi %[[H]], %c2
// CHECK:           scf.for
// CHECK:             tensor.extract_slice %arg0[%[[B]], %{{.*}}, %[[H]], 0] [1, 8, 1, 8]
// CHECK:             scf.for
// CHECK:               tensor.extract_slice %arg1[%[[B]], %{{.*}}, %[[KVH]], 0] [1, 8, 1, 8]
// CHECK:               tensor.extract_slice %arg2[%[[B]], %{{.*}}, %[[KVH]], 0] [1, 8, 1, 8]
func.func @gqa_bshd(%q: tensor<1x8x4x8xf32>, %k: tensor<1x16x2x8xf32>, %v: tensor<1x16x2x8xf32>) -> tensor<1x8x4x8xf32> {
  %o = attn.sdpa %q, %k, %v {layout = #attn<layout bshd>} : tensor<1x8x4x8xf32>, tensor<1x16x2x8xf32>, tensor<1x16x2x8xf32> -> tensor<1x8x4x8xf32>
  return %o : tensor<1x8x4x8xf32>
}

// -----

// 2^31 causal queries: 2^28 query tiles are too many for a compile-time
// table (one row each); the key tile ranges are computed per query tile at
// run time, so the pass takes no time and the IR stays small.
// CHECK-LABEL: func.func @huge_causal
// CHECK-NOT:     dense<
// CHECK:         scf.for
func.func @huge_causal(%q: tensor<1x1x2147483648x8xf32>, %k: tensor<1x1x2147483648x8xf32>, %v: tensor<1x1x2147483648x8xf32>) -> tensor<1x1x2147483648x8xf32> {
  %o = attn.sdpa %q, %k, %v {mask = #attn.mask<causal = true>} : tensor<1x1x2147483648x8xf32>, tensor<1x1x2147483648x8xf32>, tensor<1x1x2147483648x8xf32> -> tensor<1x1x2147483648x8xf32>
  return %o : tensor<1x1x2147483648x8xf32>
}

// -----

// Window bounds near INT64_MAX saturate instead of overflowing (row i's
// last key i + window_right wrapped to a negative number: every key was
// hidden): every key tile is fully visible.
// CHECK-LABEL: func.func @huge_window
// CHECK:         arith.constant dense<{{\[\[}}0, 0, 3, 3], [0, 0, 3, 3], [0, 0, 3, 3]]> : tensor<3x4xi64>
func.func @huge_window(%q: tensor<1x1x17x8xf32>, %k: tensor<1x1x17x8xf32>, %v: tensor<1x1x17x8xf32>) -> tensor<1x1x17x8xf32> {
  %o = attn.sdpa %q, %k, %v {mask = #attn.mask<window_right = 9223372036854775806>} : tensor<1x1x17x8xf32>, tensor<1x1x17x8xf32>, tensor<1x1x17x8xf32> -> tensor<1x1x17x8xf32>
  return %o : tensor<1x1x17x8xf32>
}
