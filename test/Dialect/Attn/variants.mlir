// RUN: attn-opt %s | attn-opt | FileCheck %s
// RUN: attn-opt %s -mlir-print-op-generic | attn-opt | FileCheck %s
// RUN: attn-opt %s -canonicalize | FileCheck %s --check-prefix=CANON

// CHECK-LABEL: func.func @linformer
// CHECK: attn.linformer %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {scale = 1.250000e-01 : f32} : tensor<2x8x512x64xf32>, tensor<2x2x512x64xf32>, tensor<2x2x512x32xf32>, tensor<128x512xf32>, tensor<128x512xf32> -> tensor<2x8x512x32xf32>
func.func @linformer(%q: tensor<2x8x512x64xf32>, %k: tensor<2x2x512x64xf32>,
                     %v: tensor<2x2x512x32xf32>, %e: tensor<128x512xf32>,
                     %f: tensor<128x512xf32>) -> tensor<2x8x512x32xf32> {
  %o = attn.linformer %q, %k, %v, %e, %f {scale = 0.125 : f32}
      : tensor<2x8x512x64xf32>, tensor<2x2x512x64xf32>, tensor<2x2x512x32xf32>,
        tensor<128x512xf32>, tensor<128x512xf32> -> tensor<2x8x512x32xf32>
  return %o : tensor<2x8x512x32xf32>
}

// CHECK-LABEL: func.func @aft
// CHECK: attn.aft %{{.*}}, %{{.*}}, %{{.*}} pos_bias(%{{.*}} : tensor<64x64xf16>) {mode = #attn<aft_mode full>} : tensor<2x64x32xf16>, tensor<2x64x32xf16>, tensor<2x64x32xf16> -> tensor<2x64x32xf16>
// CHECK: attn.aft %{{.*}}, %{{.*}}, %{{.*}} pos_bias(%{{.*}} : tensor<64x64xf16>) {mode = #attn<aft_mode local>, window = 8 : i64}
// CHECK: attn.aft %{{.*}}, %{{.*}}, %{{.*}} {mode = #attn<aft_mode simple>}
func.func @aft(%q: tensor<2x64x32xf16>, %w: tensor<64x64xf16>)
    -> (tensor<2x64x32xf16>, tensor<2x64x32xf16>, tensor<2x64x32xf16>) {
  %0 = attn.aft %q, %q, %q pos_bias(%w : tensor<64x64xf16>) {mode = #attn<aft_mode full>}
      : tensor<2x64x32xf16>, tensor<2x64x32xf16>, tensor<2x64x32xf16> -> tensor<2x64x32xf16>
  %1 = attn.aft %q, %q, %q pos_bias(%w : tensor<64x64xf16>)
      {mode = #attn<aft_mode local>, window = 8}
      : tensor<2x64x32xf16>, tensor<2x64x32xf16>, tensor<2x64x32xf16> -> tensor<2x64x32xf16>
  %2 = attn.aft %q, %q, %q {mode = #attn<aft_mode simple>}
      : tensor<2x64x32xf16>, tensor<2x64x32xf16>, tensor<2x64x32xf16> -> tensor<2x64x32xf16>
  return %0, %1, %2 : tensor<2x64x32xf16>, tensor<2x64x32xf16>, tensor<2x64x32xf16>
}

// CHECK-LABEL: func.func @topk
// CHECK: attn.topk_attention %{{.*}}, %{{.*}}, %{{.*}} {k = 32 : i64, mask = #attn.mask<causal = true>} : tensor<1x8x128x64xf32>, tensor<1x2x128x64xf32>, tensor<1x2x128x64xf32> -> tensor<1x8x128x64xf32>
func.func @topk(%q: tensor<1x8x128x64xf32>, %k: tensor<1x2x128x64xf32>,
                %v: tensor<1x2x128x64xf32>) -> tensor<1x8x128x64xf32> {
  %o = attn.topk_attention %q, %k, %v {k = 32 : i64, mask = #attn.mask<causal = true>}
      : tensor<1x8x128x64xf32>, tensor<1x2x128x64xf32>, tensor<1x2x128x64xf32>
        -> tensor<1x8x128x64xf32>
  return %o : tensor<1x8x128x64xf32>
}

// A local AFT whose window covers the sequence is the full AFT; a smaller
// window stays local.
// CANON-LABEL: func.func @aft_local_to_full
// CANON: attn.aft {{.*}} {mode = #attn<aft_mode full>} : tensor<1x4x2xf32>
// CANON: attn.aft {{.*}} {mode = #attn<aft_mode local>, window = 3 : i64} : tensor<1x4x2xf32>
func.func @aft_local_to_full(%q: tensor<1x4x2xf32>, %w: tensor<4x4xf32>)
    -> (tensor<1x4x2xf32>, tensor<1x4x2xf32>) {
  %0 = attn.aft %q, %q, %q pos_bias(%w : tensor<4x4xf32>)
      {mode = #attn<aft_mode local>, window = 4}
      : tensor<1x4x2xf32>, tensor<1x4x2xf32>, tensor<1x4x2xf32> -> tensor<1x4x2xf32>
  %1 = attn.aft %q, %q, %q pos_bias(%w : tensor<4x4xf32>)
      {mode = #attn<aft_mode local>, window = 3}
      : tensor<1x4x2xf32>, tensor<1x4x2xf32>, tensor<1x4x2xf32> -> tensor<1x4x2xf32>
  return %0, %1 : tensor<1x4x2xf32>, tensor<1x4x2xf32>
}
