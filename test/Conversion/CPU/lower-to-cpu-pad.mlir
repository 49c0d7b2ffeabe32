// attn-lower-to-cpu pads the peeled last key tile to whole f32 vectors of
// the target (attn-flash-tile pad-kv): 69 keys in tiles of 64 leave 5, read
// into a zero-filled tile of 8 keys with AVX2 and of 16 with AVX-512.
// RUN: attn-opt %s --attn-lower-to-cpu="vector-isa=avx2" --mlir-print-ir-after=attn-flash-tile -o /dev/null 2>&1 | FileCheck %s --check-prefix=AVX2
// RUN: attn-opt %s --attn-lower-to-cpu="vector-isa=avx512" --mlir-print-ir-after=attn-flash-tile -o /dev/null 2>&1 | FileCheck %s --check-prefix=AVX512

// AVX2-LABEL: func.func @sdpa
// AVX2:         tensor.insert_slice %{{.*}} into %{{.*}}[0, 0] [5, 64] [1, 1] : tensor<5x64xf32> into tensor<8x64xf32>
// AVX2:         linalg.generic {{.*}} outs(%{{.*}} : tensor<64x8xf32>)
// AVX512-LABEL: func.func @sdpa
// AVX512:       tensor.insert_slice %{{.*}} into %{{.*}}[0, 0] [5, 64] [1, 1] : tensor<5x64xf32> into tensor<16x64xf32>
// AVX512:       linalg.generic {{.*}} outs(%{{.*}} : tensor<64x16xf32>)
func.func @sdpa(%q: tensor<1x2x64x64xf32>, %k: tensor<1x2x69x64xf32>, %v: tensor<1x2x69x64xf32>) -> tensor<1x2x64x64xf32> {
  %o = attn.sdpa %q, %k, %v : tensor<1x2x64x64xf32>, tensor<1x2x69x64xf32>, tensor<1x2x69x64xf32> -> tensor<1x2x64x64xf32>
  return %o : tensor<1x2x64x64xf32>
}
