// RUN: attn-opt %s --attn-split-kv --split-input-file | FileCheck %s
// RUN: attn-opt %s --attn-split-kv="num-splits=3" --split-input-file | FileCheck %s --check-prefix=THREE
// RUN: not attn-opt %s --attn-split-kv="num-splits=-1" 2>&1 | FileCheck %s --check-prefix=ERR

// ERR: error: expected num-splits >= 0 and max-query-len >= 0, got -1 and 8
// ERR-NOT: see current operation

// Decode, 1024 keys: two chunks of 512 (the automatic chunk size), each an
// attn.sdpa with its lse, stacked into [2, ...] and merged by attn.combine.
// CHECK-LABEL: func.func @decode_auto
// CHECK-DAG:   %[[K0:.*]] = tensor.extract_slice %arg1[0, 0, 0, 0] [1, 4, 512, 64] [1, 1, 1, 1]
// CHECK-DAG:   %[[V0:.*]] = tensor.extract_slice %arg2[0, 0, 0, 0] [1, 4, 512, 64] [1, 1, 1, 1]
// CHECK:       %[[O0:.*]], %[[L0:.*]] = attn.sdpa %arg0, %[[K0]], %[[V0]] : {{.*}} -> tensor<1x8x1x64xf16>, tensor<1x8x1xf32>
// CHECK:       tensor.insert_slice %[[O0]] into %{{.*}}[0, 0, 0, 0, 0] [1, 1, 8, 1, 64]
// CHECK:       tensor.insert_slice %[[L0]] into %{{.*}}[0, 0, 0, 0] [1, 1, 8, 1]
// CHECK-DAG:   %[[K1:.*]] = tensor.extract_slice %arg1[0, 0, 512, 0] [1, 4, 512, 64]
// CHECK-DAG:   %[[V1:.*]] = tensor.extract_slice %arg2[0, 0, 512, 0] [1, 4, 512, 64]
// CHECK:       attn.sdpa %arg0, %[[K1]], %[[V1]]
// CHECK:       tensor.insert_slice {{.*}}[1, 0, 0, 0, 0] [1, 1, 8, 1, 64]
// CHECK:       tensor.insert_slice {{.*}}[1, 0, 0, 0] [1, 1, 8, 1]
// CHECK:       %[[C:.*]] = attn.combine {{.*}} : tensor<2x1x8x1x64xf16>, tensor<2x1x8x1xf32> -> tensor<1x8x1x64xf16>
// CHECK:       return %[[C]]
func.func @decode_auto(%q: tensor<1x8x1x64xf16>, %k: tensor<1x4x1024x64xf16>, %v: tensor<1x4x1024x64xf16>) -> tensor<1x8x1x64xf16> {
  %o = attn.sdpa %q, %k, %v : tensor<1x8x1x64xf16>, tensor<1x4x1024x64xf16>, tensor<1x4x1024x64xf16> -> tensor<1x8x1x64xf16>
  return %o : tensor<1x8x1x64xf16>
}

// -----

// Bottom-right causal, 2 queries and 40 keys in chunks of 14, 14, 12: the
// first two chunks are fully visible (no mask), the last one keeps the
// diagonal (key 39 is the last query's own position).
// THREE-LABEL: func.func @causal_bottom_right
// THREE:       attn.sdpa %arg0, {{.*}} : tensor<1x2x2x8xf32>, tensor<1x2x14x8xf32>
// THREE-NOT:   mask
// THREE:       attn.sdpa %arg0, {{.*}} : tensor<1x2x2x8xf32>, tensor<1x2x14x8xf32>
// THREE:       attn.sdpa %arg0, {{.*}} {mask = #attn.mask<{{.*}}>} : tensor<1x2x2x8xf32>, tensor<1x2x12x8xf32>
// THREE:       attn.combine {{.*}} -> tensor<1x2x2x8xf32>, tensor<1x2x2xf32>
func.func @causal_bottom_right(%q: tensor<1x2x2x8xf32>, %k: tensor<1x2x40x8xf32>, %v: tensor<1x2x40x8xf32>) -> (tensor<1x2x2x8xf32>, tensor<1x2x2xf32>) {
  %o, %l = attn.sdpa %q, %k, %v {mask = #attn.mask<causal = true, align = bottom_right>} : tensor<1x2x2x8xf32>, tensor<1x2x40x8xf32>, tensor<1x2x40x8xf32> -> tensor<1x2x2x8xf32>, tensor<1x2x2xf32>
  return %o, %l : tensor<1x2x2x8xf32>, tensor<1x2x2xf32>
}

// -----

// A sliding window over keys 19..39: chunk 0 (keys 0..13) is invisible and
// dropped, chunk 1 keeps the window's lower bound relative to its own
// bottom-right diagonal (13 - 8 = 5, i.e. key 19), chunk 2 is fully visible.
// THREE-LABEL: func.func @window_drops_chunk
// THREE:       tensor.extract_slice %arg1[0, 0, 14, 0] [1, 1, 14, 8]
// THREE:       attn.sdpa {{.*}} {mask = #attn.mask<align = bottom_right, window_left = 8>} : {{.*}}tensor<1x1x14x8xf32>
// THREE:       tensor.extract_slice %arg1[0, 0, 28, 0] [1, 1, 12, 8]
// THREE:       attn.sdpa {{.*}} : {{.*}}tensor<1x1x12x8xf32>
// THREE:       attn.combine {{.*}} : tensor<2x1x1x1x8xf32>, tensor<2x1x1x1xf32>
func.func @window_drops_chunk(%q: tensor<1x1x1x8xf32>, %k: tensor<1x1x40x8xf32>, %v: tensor<1x1x40x8xf32>) -> tensor<1x1x1x8xf32> {
  %o = attn.sdpa %q, %k, %v {mask = #attn.mask<causal = true, align = bottom_right, window_left = 20>} : tensor<1x1x1x8xf32>, tensor<1x1x40x8xf32>, tensor<1x1x40x8xf32> -> tensor<1x1x1x8xf32>
  return %o : tensor<1x1x1x8xf32>
}

// -----

// kv_lens become clamp(len - begin, 0, size) per chunk; bias columns are
// sliced, a broadcast (size-1) key dimension is kept. bshd: the lse stack is
// transposed to the rows of the partials ([B, Sq, H]) and back.
// THREE-LABEL: func.func @kv_lens_bias_bshd
// THREE:       tensor.extract_slice %arg1[0, 14, 0, 0] [2, 14, 2, 8]
// THREE:       linalg.generic
// THREE:         arith.constant 14 : i32
// THREE:         arith.subi
// THREE:         arith.maxsi
// THREE:         arith.minsi
// THREE:       tensor.extract_slice %arg3[0, 0, 0, 14] [2, 1, 3, 14]
// THREE:       attn.sdpa {{.*}} bias({{.*}} : tensor<2x1x3x14xf32>) kv_lens({{.*}} : tensor<2xi32>) {layout = #attn<layout bshd>}
// THREE:       linalg.transpose
// THREE:       attn.combine {{.*}} : tensor<3x2x3x2x8xf32>, tensor<3x2x3x2xf32> -> tensor<2x3x2x8xf32>, tensor<2x3x2xf32>
// THREE:       linalg.transpose
func.func @kv_lens_bias_bshd(%q: tensor<2x3x2x8xf32>, %k: tensor<2x40x2x8xf32>, %v: tensor<2x40x2x8xf32>, %bias: tensor<2x1x3x40xf32>, %lens: tensor<2xi32>) -> (tensor<2x3x2x8xf32>, tensor<2x2x3xf32>) {
  %o, %l = attn.sdpa %q, %k, %v bias(%bias : tensor<2x1x3x40xf32>) kv_lens(%lens : tensor<2xi32>) {layout = #attn<layout bshd>} : tensor<2x3x2x8xf32>, tensor<2x40x2x8xf32>, tensor<2x40x2x8xf32> -> tensor<2x3x2x8xf32>, tensor<2x2x3xf32>
  return %o, %l : tensor<2x3x2x8xf32>, tensor<2x2x3xf32>
}

// -----

// Left alone: prefill-shaped (16 queries > max-query-len).
// CHECK-LABEL: func.func @prefill
// CHECK-COUNT-1: attn.sdpa
// CHECK-NOT:   attn.combine
// THREE-LABEL: func.func @prefill
// THREE-COUNT-1: attn.sdpa
// THREE-NOT:   attn.combine
func.func @prefill(%q: tensor<1x2x16x8xf32>, %k: tensor<1x2x2048x8xf32>, %v: tensor<1x2x2048x8xf32>) -> tensor<1x2x16x8xf32> {
  %o = attn.sdpa %q, %k, %v : tensor<1x2x16x8xf32>, tensor<1x2x2048x8xf32>, tensor<1x2x2048x8xf32> -> tensor<1x2x16x8xf32>
  return %o : tensor<1x2x16x8xf32>
}

// -----

// Left alone by the automatic split: 40 keys make one chunk of 512 (three
// chunks when asked for).
// CHECK-LABEL: func.func @few_keys
// CHECK-COUNT-1: attn.sdpa
// CHECK-NOT:   attn.combine
// THREE-LABEL: func.func @few_keys
// THREE-COUNT-3: attn.sdpa
// THREE:       attn.combine
func.func @few_keys(%q: tensor<1x2x1x8xf32>, %k: tensor<1x2x40x8xf32>, %v: tensor<1x2x40x8xf32>) -> tensor<1x2x1x8xf32> {
  %o = attn.sdpa %q, %k, %v : tensor<1x2x1x8xf32>, tensor<1x2x40x8xf32>, tensor<1x2x40x8xf32> -> tensor<1x2x1x8xf32>
  return %o : tensor<1x2x1x8xf32>
}

// -----

// Left alone: a causal mask with kv_lens (the diagonal depends on the
// run-time length).
// THREE-LABEL: func.func @causal_kv_lens
// THREE-COUNT-1: attn.sdpa
// THREE-NOT:   attn.combine
func.func @causal_kv_lens(%q: tensor<1x2x1x8xf32>, %k: tensor<1x2x40x8xf32>, %v: tensor<1x2x40x8xf32>, %lens: tensor<1xi32>) -> tensor<1x2x1x8xf32> {
  %o = attn.sdpa %q, %k, %v kv_lens(%lens : tensor<1xi32>) {mask = #attn.mask<causal = true, align = bottom_right>} : tensor<1x2x1x8xf32>, tensor<1x2x40x8xf32>, tensor<1x2x40x8xf32> -> tensor<1x2x1x8xf32>
  return %o : tensor<1x2x1x8xf32>
}

// -----

// Left alone: top-left ALiBi distances j - i cannot be kept in the chunks
// after the first one (their diagonal would have to start at -14).
// THREE-LABEL: func.func @alibi_top_left
// THREE-COUNT-1: attn.sdpa
// THREE-NOT:   attn.combine
func.func @alibi_top_left(%q: tensor<1x2x1x8xf32>, %k: tensor<1x2x40x8xf32>, %v: tensor<1x2x40x8xf32>, %s: tensor<2xf32>) -> tensor<1x2x1x8xf32> {
  %o = attn.sdpa %q, %k, %v alibi(%s : tensor<2xf32>) : tensor<1x2x1x8xf32>, tensor<1x2x40x8xf32>, tensor<1x2x40x8xf32> -> tensor<1x2x1x8xf32>
  return %o : tensor<1x2x1x8xf32>
}

// -----

// Left alone: varlen.
// THREE-LABEL: func.func @varlen
// THREE-COUNT-1: attn.sdpa
// THREE-NOT:   attn.combine
func.func @varlen(%q: tensor<2x2x8xf32>, %k: tensor<80x2x8xf32>, %v: tensor<80x2x8xf32>, %cq: tensor<3xi32>, %ck: tensor<3xi32>) -> tensor<2x2x8xf32> {
  %o = attn.sdpa %q, %k, %v cu_seqlens(%cq, %ck : tensor<3xi32>, tensor<3xi32>) : tensor<2x2x8xf32>, tensor<80x2x8xf32>, tensor<80x2x8xf32> -> tensor<2x2x8xf32>
  return %o : tensor<2x2x8xf32>
}

// -----

// 2^31 keys: at most 64 automatic chunks (here 2^25 keys each), planned by
// interval arithmetic per query row (no per-key loops), in no time.
// THREE-LABEL: func.func @huge
// THREE-COUNT-3: attn.sdpa
// CHECK-LABEL: func.func @huge
// CHECK-COUNT-64: attn.sdpa
// CHECK-NOT:     attn.sdpa
// CHECK:         attn.combine
func.func @huge(%q: tensor<1x1x1x64xf32>, %k: tensor<1x1x2147483648x64xf32>, %v: tensor<1x1x2147483648x64xf32>) -> tensor<1x1x1x64xf32> {
  %o = attn.sdpa %q, %k, %v {mask = #attn.mask<causal = true, align = bottom_right, window_left = 9223372036854775806>} : tensor<1x1x1x64xf32>, tensor<1x1x2147483648x64xf32>, tensor<1x1x2147483648x64xf32> -> tensor<1x1x1x64xf32>
  return %o : tensor<1x1x1x64xf32>
}
