// RUN: attn-opt %s -split-input-file -convert-attn-to-linalg -verify-diagnostics | FileCheck %s

// The reference lowering of attn.sdpa: QK^T, logits, row max, exp, row sum,
// PV and normalization as linalg.generic ops over the loops
// (b, hk, g, i, j, d|e), with the query heads split into (hk, g).

// GQA in f16 (f32 accumulation), causal bottom-right with a window, softcap.
// CHECK-DAG: #[[Q:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d5)>
// CHECK-DAG: #[[K:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d4, d5)>
// CHECK-DAG: #[[SMAP:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4)>
// CHECK-DAG: #[[ID5:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>
// CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @gqa_f16
// CHECK-SAME: (%[[ARG0:.+]]: tensor<2x8x4x16xf16>, %[[ARG1:.+]]: tensor<2x2x6x16xf16>, %[[ARG2:.+]]: tensor<2x2x6x8xf16>)
// CHECK: %[[QX:.+]] = tensor.expand_shape %[[ARG0]] {{\[}}[0], [1, 2], [3], [4]] output_shape [2, 2, 4, 4, 16]
// CHECK: %[[SINIT:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<2x2x4x4x6xf32>)
// CHECK: %[[SCORES:.+]] = linalg.generic {indexing_maps = [#[[Q]], #[[K]], #[[SMAP]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[QX]], %[[ARG1]] : tensor<2x2x4x4x16xf16>, tensor<2x2x6x16xf16>) outs(%[[SINIT]] : tensor<2x2x4x4x6xf32>)
// CHECK: arith.extf %{{.+}} : f16 to f32
// CHECK: arith.extf %{{.+}} : f16 to f32
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: %[[X:.+]] = linalg.generic {indexing_maps = [#[[ID5]], #[[ID5]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%[[SCORES]]
// CHECK:   %[[SCALED:.+]] = arith.mulf %{{.+}}, %{{.+}} : f32
// CHECK:   %[[CAP:.+]] = arith.constant 3.000000e+01 : f32
// CHECK:   %[[DIV:.+]] = arith.divf %[[SCALED]], %[[CAP]]
// CHECK:   %[[TANH:.+]] = math.tanh %[[DIV]]
// CHECK:   %[[CAPPED:.+]] = arith.mulf %[[TANH]], %[[CAP]]
// CHECK:   %[[I:.+]] = linalg.index 3 : index
// CHECK:   %[[J:.+]] = linalg.index 4 : index
// CHECK:   %[[SQ:.+]] = arith.constant 4 : index
// CHECK:   %[[SK:.+]] = arith.constant 6 : index
// CHECK:   %[[OFF:.+]] = arith.subi %[[SK]], %[[SQ]]
// CHECK:   %[[DIAG:.+]] = arith.addi %[[I]], %[[OFF]]
// CHECK:   %[[CAUSAL:.+]] = arith.cmpi sle, %[[J]], %[[DIAG]]
// CHECK:   %[[LEFT:.+]] = arith.subi %[[DIAG]], %{{.+}}
// CHECK:   %[[WIN:.+]] = arith.cmpi sge, %[[J]], %[[LEFT]]
// CHECK:   %[[VIS:.+]] = arith.andi %[[CAUSAL]], %[[WIN]]
// CHECK:   %[[NEGINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK:   %[[SEL:.+]] = arith.select %[[VIS]], %[[CAPPED]], %[[NEGINF]]
// CHECK:   linalg.yield %[[SEL]]
// CHECK: %[[MINIT:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<2x2x4x4xf32>)
// CHECK: %[[M:.+]] = linalg.generic {indexing_maps = [#[[ID5]], #[[ROW]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[X]] {{.*}} outs(%[[MINIT]]
// CHECK:   arith.maximumf
// CHECK: %[[P:.+]] = linalg.generic {indexing_maps = [#[[ID5]], #[[ROW]], #[[ID5]]], {{.*}} ins(%[[X]], %[[M]]
// CHECK:   arith.subf
// CHECK:   math.exp
// CHECK:   arith.cmpf oeq
// CHECK:   arith.select
// CHECK: %[[L:.+]] = linalg.generic {indexing_maps = [#[[ID5]], #[[ROW]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[P]]
// CHECK:   arith.addf
// CHECK: %[[A:.+]] = linalg.generic {indexing_maps = [#[[SMAP]], #[[K]], #[[Q]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "parallel"]} ins(%[[P]], %[[ARG2]] : tensor<2x2x4x4x6xf32>, tensor<2x2x6x8xf16>) outs(%{{.+}} : tensor<2x2x4x4x8xf32>)
// CHECK: %[[O:.+]] = linalg.generic {indexing_maps = [#[[ID5]], #[[ROW]], #[[ID5]]], {{.*}} ins(%[[A]], %[[L]] {{.*}} outs(%{{.+}} : tensor<2x2x4x4x8xf16>)
// CHECK:   arith.divf
// CHECK:   arith.select
// CHECK:   arith.truncf %{{.+}} : f32 to f16
// CHECK: %[[OUT:.+]] = tensor.collapse_shape %[[O]] {{\[}}[0], [1, 2], [3], [4]] : tensor<2x2x4x4x8xf16> into tensor<2x8x4x8xf16>
// CHECK: %[[LSE:.+]] = linalg.generic {{.*}} ins(%[[M]], %[[L]] {{.*}} outs(%{{.+}} : tensor<2x2x4x4xf32>)
// CHECK:   math.log
// CHECK:   arith.addf
// CHECK:   arith.cmpf oeq
// CHECK:   arith.select
// CHECK: %[[LSEOUT:.+]] = tensor.collapse_shape %[[LSE]] {{\[}}[0], [1, 2], [3]] : tensor<2x2x4x4xf32> into tensor<2x8x4xf32>
// CHECK: return %[[OUT]], %[[LSEOUT]]
// CHECK-NOT: attn.sdpa
func.func @gqa_f16(%q: tensor<2x8x4x16xf16>, %k: tensor<2x2x6x16xf16>,
                   %v: tensor<2x2x6x8xf16>) -> (tensor<2x8x4x8xf16>, tensor<2x8x4xf32>) {
  %o, %l = attn.sdpa %q, %k, %v
      {mask = #attn.mask<causal = true, align = bottom_right, window_left = 2>,
       softcap = 30.0 : f32}
      : tensor<2x8x4x16xf16>, tensor<2x2x6x16xf16>, tensor<2x2x6x8xf16>
      -> tensor<2x8x4x8xf16>, tensor<2x8x4xf32>
  return %o, %l : tensor<2x8x4x8xf16>, tensor<2x8x4xf32>
}

// -----

// bshd: only the maps of q, k, v and the result change. Without a mask the
// logits only scale (no index math, no select).
// CHECK-DAG: #[[QB:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d3, d1, d2, d5)>
// CHECK-DAG: #[[KB:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d4, d1, d5)>
// CHECK-DAG: #[[OB:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d1, d2, d4)>
// CHECK-LABEL: func.func @bshd
// CHECK: tensor.expand_shape %{{.+}} {{\[}}[0], [1], [2, 3], [4]] output_shape [1, 3, 2, 2, 8]
// CHECK: linalg.generic {indexing_maps = [#[[QB]], #[[KB]], #{{.+}}]
// CHECK: linalg.generic
// CHECK-NEXT: ^bb0(%[[IN:.+]]: f32, %{{.+}}: f32):
// CHECK-NEXT:   %[[C:.+]] = arith.constant 0.353553385 : f32
// CHECK-NEXT:   %[[R:.+]] = arith.mulf %[[IN]], %[[C]] : f32
// CHECK-NEXT:   linalg.yield %[[R]] : f32
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[KB]], #{{.+}}]
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #{{.+}}, #[[OB]]]
// CHECK-SAME: outs(%{{.+}} : tensor<1x3x2x2x8xf32>)
// CHECK: tensor.collapse_shape %{{.+}} {{\[}}[0], [1], [2, 3], [4]] : tensor<1x3x2x2x8xf32> into tensor<1x3x4x8xf32>
func.func @bshd(%q: tensor<1x3x4x8xf32>, %k: tensor<1x5x2x8xf32>,
                %v: tensor<1x5x2x8xf32>) -> tensor<1x3x4x8xf32> {
  %o = attn.sdpa %q, %k, %v {layout = #attn<layout bshd>}
      : tensor<1x3x4x8xf32>, tensor<1x5x2x8xf32>, tensor<1x5x2x8xf32>
      -> tensor<1x3x4x8xf32>
  return %o : tensor<1x3x4x8xf32>
}

// -----

// Bias and boolean mask broadcast through constant-0 map results; ALiBi
// slopes split like the query heads; kv_lens hides keys past the length.
// CHECK-DAG: #[[BIAS:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (0, d1, d2, 0, d4)>
// CHECK-DAG: #[[MASK:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, 0, d3, d4)>
// CHECK-DAG: #[[SLOPE:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d2)>
// CHECK-DAG: #[[LENS:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0)>
// CHECK-LABEL: func.func @operands
// CHECK-SAME: %[[B:[a-z0-9]+]]: tensor<1x4x1x5xf32>, %[[M:[a-z0-9]+]]: tensor<2x1x3x5xi1>, %[[SL:[a-z0-9]+]]: tensor<4xf32>, %[[LEN:[a-z0-9]+]]: tensor<2xi32>
// CHECK-DAG: %[[BX:.+]] = tensor.expand_shape %[[B]] {{\[}}[0], [1, 2], [3], [4]] output_shape [1, 2, 2, 1, 5]
// CHECK-DAG: %[[SX:.+]] = tensor.expand_shape %[[SL]] {{\[}}[0, 1]] output_shape [2, 2]
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[BIAS]], #[[MASK]], #[[SLOPE]], #[[LENS]], #{{.+}}]
// CHECK-SAME: ins(%{{.+}}, %[[BX]], %[[M]], %[[SX]], %[[LEN]] :
// CHECK-NEXT: ^bb0(%[[S:.+]]: f32, %[[BV:.+]]: f32, %[[MV:.+]]: i1, %[[SV:.+]]: f32, %[[LV:.+]]: i32, %{{.+}}: f32):
// CHECK:   %[[SC:.+]] = arith.mulf %[[S]]
// CHECK:   %[[SB:.+]] = arith.addf %[[SC]], %[[BV]]
// CHECK:   %[[I:.+]] = linalg.index 3
// CHECK:   %[[J:.+]] = linalg.index 4
// CHECK:   %[[L:.+]] = arith.index_cast %[[LV]] : i32 to index
// CHECK:   %[[PAD:.+]] = arith.cmpi slt, %[[J]], %[[L]]
// CHECK:   %[[DIST:.+]] = arith.subi %[[J]], %[[I]]
// CHECK:   %[[DI:.+]] = arith.index_cast %[[DIST]] : index to i64
// CHECK:   %[[DF:.+]] = arith.sitofp %[[DI]] : i64 to f32
// CHECK:   %[[AL:.+]] = arith.mulf %[[SV]], %[[DF]]
// CHECK:   %[[SA:.+]] = arith.addf %[[SB]], %[[AL]]
// CHECK:   %[[VIS:.+]] = arith.andi %[[PAD]], %[[MV]]
// CHECK:   arith.select %[[VIS]], %[[SA]], %{{.+}}
func.func @operands(%q: tensor<2x4x3x8xf32>, %k: tensor<2x2x5x8xf32>,
                    %v: tensor<2x2x5x8xf32>, %b: tensor<1x4x1x5xf32>,
                    %m: tensor<2x1x3x5xi1>, %s: tensor<4xf32>,
                    %l: tensor<2xi32>) -> tensor<2x4x3x8xf32> {
  %o = attn.sdpa %q, %k, %v bias(%b : tensor<1x4x1x5xf32>)
      attn_mask(%m : tensor<2x1x3x5xi1>) alibi(%s : tensor<4xf32>)
      kv_lens(%l : tensor<2xi32>)
      : tensor<2x4x3x8xf32>, tensor<2x2x5x8xf32>, tensor<2x2x5x8xf32>
      -> tensor<2x4x3x8xf32>
  return %o : tensor<2x4x3x8xf32>
}

// -----

// An additive mask of another float type is cast and added.
// CHECK-LABEL: func.func @additive_mask
// CHECK: ^bb0(%[[S:.+]]: f32, %[[MV:.+]]: f64, %{{.+}}: f32):
// CHECK:   %[[SC:.+]] = arith.mulf %[[S]]
// CHECK:   %[[MT:.+]] = arith.truncf %[[MV]] : f64 to f32
// CHECK:   %[[R:.+]] = arith.addf %[[SC]], %[[MT]]
// CHECK-NEXT: linalg.yield %[[R]]
func.func @additive_mask(%q: tensor<1x2x3x8xf32>, %k: tensor<1x2x5x8xf32>,
                         %v: tensor<1x2x5x8xf32>, %m: tensor<3x5xf64>)
    -> tensor<1x2x3x8xf32> {
  %m4 = tensor.expand_shape %m [[0, 1], [2, 3]] output_shape [1, 3, 1, 5]
      : tensor<3x5xf64> into tensor<1x3x1x5xf64>
  %mm = tensor.collapse_shape %m4 [[0], [1, 2], [3]]
      : tensor<1x3x1x5xf64> into tensor<1x3x5xf64>
  %m5 = tensor.expand_shape %mm [[0, 1], [2], [3]] output_shape [1, 1, 3, 5]
      : tensor<1x3x5xf64> into tensor<1x1x3x5xf64>
  %o = attn.sdpa %q, %k, %v attn_mask(%m5 : tensor<1x1x3x5xf64>)
      : tensor<1x2x3x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>
      -> tensor<1x2x3x8xf32>
  return %o : tensor<1x2x3x8xf32>
}

// -----

// Varlen: each token's sequence is counted from cu_seqlens; keys are visible
// within the query's sequence, with positions relative to it.
// CHECK-LABEL: func.func @varlen
// CHECK-SAME: %[[Q:[a-z0-9]+]]: tensor<9x4x8xf32>, %{{.+}}: tensor<11x2x8xf32>, %{{.+}}: tensor<11x2x8xf32>, %[[CQ:[a-z0-9]+]]: tensor<3xi32>, %[[CK:[a-z0-9]+]]: tensor<3xi32>
// CHECK: tensor.expand_shape %[[Q]] {{\[}}[0, 1], [2], [3]] output_shape [1, 9, 4, 8]
// CHECK: %[[ENDS:.+]] = tensor.extract_slice %[[CQ]][1] [%{{.+}}] [1] : tensor<3xi32> to tensor<?xi32>
// CHECK: %[[QSEQ:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[ENDS]] : tensor<?xi32>) outs(%{{.+}} : tensor<9xindex>)
// CHECK:   arith.cmpi sle
// CHECK: tensor.extract_slice %[[CK]][1]
// CHECK: %[[KSEQ:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<11xindex>)
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %[[QSEQ]], %[[KSEQ]] : tensor<1x2x2x9x11xf32>, tensor<9xindex>, tensor<11xindex>)
// CHECK-NEXT: ^bb0(%{{.+}}: f32, %[[SQ:.+]]: index, %[[SK:.+]]: index, %{{.+}}: f32):
// CHECK:   arith.cmpi eq, %[[SQ]], %[[SK]]
// CHECK:   tensor.extract %[[CQ]]
// CHECK:   tensor.extract %[[CQ]]
// CHECK:   tensor.extract %[[CK]]
// CHECK:   tensor.extract %[[CK]]
// CHECK:   arith.cmpi sle
// CHECK: tensor.collapse_shape %{{.+}} {{\[}}[0, 1], [2], [3]] : tensor<1x9x4x8xf32> into tensor<9x4x8xf32>
// CHECK: tensor.collapse_shape %{{.+}} {{\[}}[0, 1], [2]] : tensor<1x9x4xf32> into tensor<9x4xf32>
func.func @varlen(%q: tensor<9x4x8xf32>, %k: tensor<11x2x8xf32>,
                  %v: tensor<11x2x8xf32>, %cq: tensor<3xi32>, %ck: tensor<3xi32>)
    -> (tensor<9x4x8xf32>, tensor<9x4xf32>) {
  %o, %l = attn.sdpa %q, %k, %v cu_seqlens(%cq, %ck : tensor<3xi32>, tensor<3xi32>)
      {mask = #attn.mask<causal = true>}
      : tensor<9x4x8xf32>, tensor<11x2x8xf32>, tensor<11x2x8xf32>
      -> tensor<9x4x8xf32>, tensor<9x4xf32>
  return %o, %l : tensor<9x4x8xf32>, tensor<9x4xf32>
}

// -----

// f64 computes in f64 (no casts); dynamic sizes come from tensor.dim, and
// the default scale 1/sqrt(Dqk) is computed at run time.
// CHECK-LABEL: func.func @dynamic_f64
// CHECK-SAME: (%[[Q:.+]]: tensor<?x4x?x?xf64>, %[[K:.+]]: tensor<?x4x?x?xf64>, %[[V:.+]]: tensor<?x4x?x?xf64>)
// CHECK-NOT: arith.extf
// CHECK: %[[D:.+]] = tensor.dim %[[Q]], %{{.+}} : tensor<?x4x?x?xf64>
// CHECK: %[[DI:.+]] = arith.index_cast %{{.+}} : index to i64
// CHECK: %[[DF:.+]] = arith.sitofp %[[DI]] : i64 to f64
// CHECK: %[[SQRT:.+]] = math.sqrt %[[DF]] : f64
// CHECK: %[[SCALE:.+]] = arith.divf %{{.+}}, %[[SQRT]] : f64
// CHECK: tensor.empty(%{{.+}}, %{{.+}}, %{{.+}}) : tensor<?x4x1x?x?xf64>
// CHECK: arith.mulf %{{.+}}, %[[SCALE]] : f64
// CHECK-NOT: arith.truncf
// CHECK: return %{{.+}} : tensor<?x4x?x?xf64>
func.func @dynamic_f64(%q: tensor<?x4x?x?xf64>, %k: tensor<?x4x?x?xf64>,
                       %v: tensor<?x4x?x?xf64>) -> tensor<?x4x?x?xf64> {
  %o = attn.sdpa %q, %k, %v
      : tensor<?x4x?x?xf64>, tensor<?x4x?x?xf64>, tensor<?x4x?x?xf64>
      -> tensor<?x4x?x?xf64>
  return %o : tensor<?x4x?x?xf64>
}

// -----

// Dynamic head counts cannot be split into (hk, g): the op is left alone and
// the conversion fails.
func.func @dynamic_heads(%q: tensor<1x?x4x8xf32>, %k: tensor<1x?x4x8xf32>,
                         %v: tensor<1x?x4x8xf32>) -> tensor<1x?x4x8xf32> {
  // expected-error @+1 {{failed to legalize operation 'attn.sdpa'}}
  %o = attn.sdpa %q, %k, %v
      : tensor<1x?x4x8xf32>, tensor<1x?x4x8xf32>, tensor<1x?x4x8xf32>
      -> tensor<1x?x4x8xf32>
  return %o : tensor<1x?x4x8xf32>
}
