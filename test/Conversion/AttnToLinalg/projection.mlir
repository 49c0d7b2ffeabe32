// RUN: attn-opt %s --convert-attn-to-linalg -split-input-file -verify-diagnostics | FileCheck %s

// GQA projection in f16: rows are flattened, multiplied in f32, the bias is
// added and the result truncated in one generic, then split into heads and
// transposed to bhsd.
// CHECK-DAG: #[[ID2:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @qkv
// CHECK-SAME: %[[X:.*]]: tensor<2x3x8xf16>, %[[WQ:.*]]: tensor<8x8xf16>, %[[WK:.*]]: tensor<8x4xf16>, %[[WV:.*]]: tensor<8x2xf16>
// CHECK: %[[ROWS:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : tensor<2x3x8xf16> into tensor<6x8xf16>
// CHECK: %[[FILL:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<6x8xf32>)
// CHECK: %[[MM:.*]] = linalg.matmul ins(%[[ROWS]], %[[WQ]] : tensor<6x8xf16>, tensor<8x8xf16>) outs(%[[FILL]] : tensor<6x8xf32>)
// CHECK: %[[B:.*]] = linalg.generic {indexing_maps = [#[[ID2]], #[[COL]], #[[ID2]]]
// CHECK-SAME: ins(%[[MM]], %{{.*}} : tensor<6x8xf32>, tensor<8xf16>) outs(%{{.*}} : tensor<6x8xf16>)
// CHECK: arith.extf
// CHECK: arith.addf
// CHECK: arith.truncf
// CHECK: %[[E:.*]] = tensor.expand_shape %[[B]] {{\[}}[0, 1], [2, 3]] output_shape [2, 3, 4, 2] : tensor<6x8xf16> into tensor<2x3x4x2xf16>
// CHECK: %[[Q:.*]] = linalg.transpose ins(%[[E]] : tensor<2x3x4x2xf16>) outs(%{{.*}} : tensor<2x4x3x2xf16>) permutation = [0, 2, 1, 3]
// CHECK: linalg.matmul ins(%[[ROWS]], %[[WK]] : tensor<6x8xf16>, tensor<8x4xf16>)
// CHECK: linalg.matmul ins(%[[ROWS]], %[[WV]] : tensor<6x8xf16>, tensor<8x2xf16>)
// CHECK: return %[[Q]]
func.func @qkv(%x: tensor<2x3x8xf16>, %wq: tensor<8x8xf16>, %wk: tensor<8x4xf16>, %wv: tensor<8x2xf16>,
               %bq: tensor<8xf16>, %bk: tensor<4xf16>, %bv: tensor<2xf16>)
    -> (tensor<2x4x3x2xf16>, tensor<2x2x3x2xf16>, tensor<2x2x3x1xf16>) {
  %q, %k, %v = attn.qkv_projection %x, %wq, %wk, %wv bias(%bq, %bk, %bv : tensor<8xf16>, tensor<4xf16>, tensor<2xf16>)
      {num_q_heads = 4 : i64, num_kv_heads = 2 : i64}
      : tensor<2x3x8xf16>, tensor<8x8xf16>, tensor<8x4xf16>, tensor<8x2xf16>
      -> tensor<2x4x3x2xf16>, tensor<2x2x3x2xf16>, tensor<2x2x3x1xf16>
  return %q, %k, %v : tensor<2x4x3x2xf16>, tensor<2x2x3x2xf16>, tensor<2x2x3x1xf16>
}

// -----

// f32 without bias and bshd: the matmul result is used directly and there is
// no transpose.
// CHECK-LABEL: func.func @qkv_bshd_nobias
// CHECK-NOT: linalg.generic
// CHECK: %[[MM:.*]] = linalg.matmul
// CHECK: tensor.expand_shape %[[MM]] {{\[}}[0, 1], [2, 3]] output_shape [2, 3, 2, 4] : tensor<6x8xf32> into tensor<2x3x2x4xf32>
// CHECK-NOT: linalg.generic
// CHECK-NOT: linalg.transpose
// CHECK: return
func.func @qkv_bshd_nobias(%x: tensor<2x3x8xf32>, %w: tensor<8x8xf32>) -> tensor<2x3x2x4xf32> {
  %q, %k, %v = attn.qkv_projection %x, %w, %w, %w {num_q_heads = 2 : i64, num_kv_heads = 2 : i64, layout = #attn<layout bshd>}
      : tensor<2x3x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>
      -> tensor<2x3x2x4xf32>, tensor<2x3x2x4xf32>, tensor<2x3x2x4xf32>
  return %q : tensor<2x3x2x4xf32>
}

// -----

// Varlen: [T, E] rows need no collapse; the heads split is [T, H, D].
// CHECK-LABEL: func.func @qkv_varlen
// CHECK-NOT: tensor.collapse_shape
// CHECK: %[[MM:.*]] = linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<5x8xf32>, tensor<8x8xf32>)
// CHECK: tensor.expand_shape %[[MM]] {{\[}}[0], [1, 2]] output_shape [5, 2, 4] : tensor<5x8xf32> into tensor<5x2x4xf32>
func.func @qkv_varlen(%x: tensor<5x8xf32>, %w: tensor<8x8xf32>) -> tensor<5x2x4xf32> {
  %q, %k, %v = attn.qkv_projection %x, %w, %w, %w {num_q_heads = 2 : i64, num_kv_heads = 2 : i64}
      : tensor<5x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>
      -> tensor<5x2x4xf32>, tensor<5x2x4xf32>, tensor<5x2x4xf32>
  return %q : tensor<5x2x4xf32>
}

// -----

// CHECK-LABEL: func.func @fused_varlen
// CHECK: %[[MM:.*]] = linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<5x8xf32>, tensor<8x24xf32>)
// CHECK: %[[B:.*]] = linalg.generic
// CHECK: tensor.expand_shape %[[B]] {{\[}}[0, 1], [2]] output_shape [1, 5, 24] : tensor<5x24xf32> into tensor<1x5x24xf32>
func.func @fused_varlen(%x: tensor<5x8xf32>, %w: tensor<8x24xf32>, %b: tensor<24xf32>) -> tensor<1x5x24xf32> {
  %p = attn.fused_qkv_projection %x, %w bias(%b : tensor<24xf32>) : tensor<5x8xf32>, tensor<8x24xf32> -> tensor<1x5x24xf32>
  return %p : tensor<1x5x24xf32>
}

// -----

// Split: one slice of the feature dim per part.
// CHECK-LABEL: func.func @split
// CHECK-SAME: %[[P:.*]]: tensor<2x3x32xf32>
// CHECK: %[[SQ:.*]] = tensor.extract_slice %[[P]][0, 0, 0] [2, 3, 16] [1, 1, 1] : tensor<2x3x32xf32> to tensor<2x3x16xf32>
// CHECK: %[[EQ:.*]] = tensor.expand_shape %[[SQ]] {{\[}}[0], [1], [2, 3]] output_shape [2, 3, 4, 4]
// CHECK: linalg.transpose ins(%[[EQ]] : tensor<2x3x4x4xf32>) outs(%{{.*}} : tensor<2x4x3x4xf32>) permutation = [0, 2, 1, 3]
// CHECK: tensor.extract_slice %[[P]][0, 0, 16] [2, 3, 8] [1, 1, 1] : tensor<2x3x32xf32> to tensor<2x3x8xf32>
// CHECK: tensor.extract_slice %[[P]][0, 0, 24] [2, 3, 8] [1, 1, 1] : tensor<2x3x32xf32> to tensor<2x3x8xf32>
func.func @split(%p: tensor<2x3x32xf32>) -> (tensor<2x4x3x4xf32>, tensor<2x2x3x4xf32>, tensor<2x2x3x4xf32>) {
  %q, %k, %v = attn.split_qkv %p {num_q_heads = 4 : i64, num_kv_heads = 2 : i64, head_dim = 4 : i64}
      : tensor<2x3x32xf32> -> tensor<2x4x3x4xf32>, tensor<2x2x3x4xf32>, tensor<2x2x3x4xf32>
  return %q, %k, %v : tensor<2x4x3x4xf32>, tensor<2x2x3x4xf32>, tensor<2x2x3x4xf32>
}

// -----

// Varlen split: rank-reducing slices of [1, T, N].
// CHECK-LABEL: func.func @split_varlen
// CHECK: %[[S:.*]] = tensor.extract_slice %{{.*}}[0, 0, 8] [1, 5, 8] [1, 1, 1] : tensor<1x5x24xf32> to tensor<5x8xf32>
// CHECK-NOT: linalg.transpose
// CHECK: tensor.expand_shape %[[S]] {{\[}}[0], [1, 2]] output_shape [5, 2, 4] : tensor<5x8xf32> into tensor<5x2x4xf32>
// CHECK-NOT: linalg.transpose
// CHECK: return
func.func @split_varlen(%p: tensor<1x5x24xf32>, %cu: tensor<3xi32>) -> tensor<5x2x4xf32> {
  %q, %k, %v = attn.split_qkv %p cu_seqlens(%cu : tensor<3xi32>) {num_q_heads = 2 : i64, num_kv_heads = 2 : i64, head_dim = 4 : i64}
      : tensor<1x5x24xf32> -> tensor<5x2x4xf32>, tensor<5x2x4xf32>, tensor<5x2x4xf32>
  return %k : tensor<5x2x4xf32>
}

// -----

// Output projection: bhsd is transposed to bshd, heads are merged, then the
// matmul; the result rows are expanded back to [B, S, E].
// CHECK-LABEL: func.func @out_proj
// CHECK-SAME: %[[O:.*]]: tensor<2x4x3x8xf32>
// CHECK: %[[T:.*]] = linalg.transpose ins(%[[O]] : tensor<2x4x3x8xf32>) outs(%{{.*}} : tensor<2x3x4x8xf32>) permutation = [0, 2, 1, 3]
// CHECK: %[[R:.*]] = tensor.collapse_shape %[[T]] {{\[}}[0, 1], [2, 3]] : tensor<2x3x4x8xf32> into tensor<6x32xf32>
// CHECK: %[[MM:.*]] = linalg.matmul ins(%[[R]], %{{.*}} : tensor<6x32xf32>, tensor<32x16xf32>)
// CHECK: tensor.expand_shape %[[MM]] {{\[}}[0, 1], [2]] output_shape [2, 3, 16] : tensor<6x16xf32> into tensor<2x3x16xf32>
func.func @out_proj(%o: tensor<2x4x3x8xf32>, %w: tensor<32x16xf32>) -> tensor<2x3x16xf32> {
  %y = attn.output_projection %o, %w : tensor<2x4x3x8xf32>, tensor<32x16xf32> -> tensor<2x3x16xf32>
  return %y : tensor<2x3x16xf32>
}

// -----

// CHECK-LABEL: func.func @out_proj_varlen
// CHECK-NOT: linalg.transpose
// CHECK: %[[R:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2]] : tensor<5x4x8xf32> into tensor<5x32xf32>
// CHECK: linalg.matmul ins(%[[R]], %{{.*}} : tensor<5x32xf32>, tensor<32x16xf32>)
// CHECK-NOT: tensor.expand_shape
// CHECK: return
func.func @out_proj_varlen(%o: tensor<5x4x8xf32>, %w: tensor<32x16xf32>) -> tensor<5x16xf32> {
  %y = attn.output_projection %o, %w : tensor<5x4x8xf32>, tensor<32x16xf32> -> tensor<5x16xf32>
  return %y : tensor<5x16xf32>
}

// -----

// Dynamic batch and sequence sizes: the expand takes them from the input and
// the transpose is sized from the expanded tensor.
// CHECK-LABEL: func.func @dynamic_tokens
// CHECK-SAME: %[[X:.*]]: tensor<?x?x8xf32>
// CHECK-DAG: %[[B:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x?x8xf32>
// CHECK-DAG: %[[S:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x?x8xf32>
// CHECK: %[[MM:.*]] = linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<?x8xf32>, tensor<8x8xf32>) outs(%{{.*}} : tensor<?x8xf32>)
// CHECK: tensor.expand_shape %[[MM]] {{\[}}[0, 1], [2, 3]] output_shape [%[[B]], %[[S]], 2, 4] : tensor<?x8xf32> into tensor<?x?x2x4xf32>
// CHECK: linalg.transpose ins(%{{.*}} : tensor<?x?x2x4xf32>) outs(%{{.*}} : tensor<?x2x?x4xf32>)
func.func @dynamic_tokens(%x: tensor<?x?x8xf32>, %w: tensor<8x8xf32>) -> tensor<?x2x?x4xf32> {
  %q, %k, %v = attn.qkv_projection %x, %w, %w, %w {num_q_heads = 2 : i64, num_kv_heads = 2 : i64}
      : tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>
      -> tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>
  return %q : tensor<?x2x?x4xf32>
}

// -----

// A result type with a dynamic size where the lowering knows it statically
// gets a tensor.cast.
// CHECK-LABEL: func.func @cast_result
// CHECK: %[[E:.*]] = tensor.expand_shape %{{.*}} output_shape [5, 2, 4] : tensor<5x8xf32> into tensor<5x2x4xf32>
// CHECK: %[[C:.*]] = tensor.cast %[[E]] : tensor<5x2x4xf32> to tensor<?x2x4xf32>
// CHECK: return %[[C]]
func.func @cast_result(%x: tensor<5x8xf32>, %w: tensor<8x8xf32>) -> tensor<?x2x4xf32> {
  %q, %k, %v = attn.qkv_projection %x, %w, %w, %w {num_q_heads = 2 : i64, num_kv_heads = 2 : i64}
      : tensor<5x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>
      -> tensor<?x2x4xf32>, tensor<5x2x4xf32>, tensor<5x2x4xf32>
  return %q : tensor<?x2x4xf32>
}

// -----

// Dynamic weights are not lowered: the conversion fails on the op.
func.func @dynamic_weight(%x: tensor<5x2x4xf32>, %w: tensor<8x?xf32>) -> tensor<5x?xf32> {
  // expected-error @+1 {{failed to legalize operation 'attn.output_projection'}}
  %y = attn.output_projection %x, %w : tensor<5x2x4xf32>, tensor<8x?xf32> -> tensor<5x?xf32>
  return %y : tensor<5x?xf32>
}
