// RUN: attn-opt %s --split-input-file --attn-cpu-vectorize="threads=2 tile-m=4 tile-n=16" | FileCheck %s
// RUN: attn-opt %s --split-input-file --attn-cpu-vectorize="tile-m=4 tile-n=16" | FileCheck %s --check-prefix=ONE

// A projection (128 x 512 x 512 multiply-adds, >= 2^21) outside any parallel
// loop is split over the threads: an scf.forall over 2 chunks of 64 rows
// (whole register tiles), each tiled and vectorized as before.
// CHECK-LABEL: func.func @projection
// CHECK:         scf.forall (%[[I:.*]]) = (0) to (128) step (64) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<128x512xf32>)
// CHECK:           tensor.extract_slice %{{.*}}[%[[I]], 0] [64, 512] [1, 1] : tensor<128x512xf32> to tensor<64x512xf32>
// CHECK:           scf.for {{.*}} step %c16
// CHECK:             scf.for {{.*}} step %c4
// CHECK:               vector.contract {{.*}} : vector<4x1xf32>, vector<1x16xf32> into vector<4x16xf32>
// CHECK:           tensor.parallel_insert_slice %{{.*}} into %[[OUT]][%[[I]], 0] [64, 512] [1, 1]
// ONE-LABEL: func.func @projection
// ONE-NOT:       scf.forall (
func.func @projection(%x: tensor<128x512xf32>, %w: tensor<512x512xf32>,
                      %c: tensor<128x512xf32>) -> tensor<128x512xf32> {
  %0 = linalg.matmul ins(%x, %w : tensor<128x512xf32>, tensor<512x512xf32>)
                     outs(%c : tensor<128x512xf32>) -> tensor<128x512xf32>
  return %0 : tensor<128x512xf32>
}

// -----

// Rows that no chunk of whole 4-row tiles divides in two (6 rows): the
// columns are split instead (2 chunks of 256).
// CHECK-LABEL: func.func @few_rows
// CHECK:         scf.forall (%[[J:.*]]) = (0) to (512) step (256)
// ONE-LABEL: func.func @few_rows
// ONE-NOT:       scf.forall (
func.func @few_rows(%x: tensor<6x8192xf32>, %w: tensor<8192x512xf32>,
                    %c: tensor<6x512xf32>) -> tensor<6x512xf32> {
  %0 = linalg.matmul ins(%x, %w : tensor<6x8192xf32>, tensor<8192x512xf32>)
                     outs(%c : tensor<6x512xf32>) -> tensor<6x512xf32>
  return %0 : tensor<6x512xf32>
}

// -----

// Small contractions (64 x 64 x 64 < 2^21) and contractions inside a
// parallel loop (attention's per-head tiles) stay on their thread.
// CHECK-LABEL: func.func @small_and_nested
// CHECK-COUNT-1: scf.forall (
// CHECK-NOT:     scf.forall (
// ONE-LABEL: func.func @small_and_nested
func.func @small_and_nested(%a: tensor<64x64xf32>, %b: tensor<64x64xf32>,
                            %c: tensor<64x64xf32>, %big: tensor<4x256x256xf32>,
                            %w: tensor<256x256xf32>)
    -> (tensor<64x64xf32>, tensor<4x256x256xf32>) {
  %0 = linalg.matmul ins(%a, %b : tensor<64x64xf32>, tensor<64x64xf32>)
                     outs(%c : tensor<64x64xf32>) -> tensor<64x64xf32>
  %1 = scf.forall (%i) in (4) shared_outs(%o = %big) -> (tensor<4x256x256xf32>) {
    %x = tensor.extract_slice %big[%i, 0, 0] [1, 256, 256] [1, 1, 1]
        : tensor<4x256x256xf32> to tensor<256x256xf32>
    %y = tensor.extract_slice %o[%i, 0, 0] [1, 256, 256] [1, 1, 1]
        : tensor<4x256x256xf32> to tensor<256x256xf32>
    %m = linalg.matmul ins(%x, %w : tensor<256x256xf32>, tensor<256x256xf32>)
                       outs(%y : tensor<256x256xf32>) -> tensor<256x256xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %m into %o[%i, 0, 0] [1, 256, 256] [1, 1, 1]
          : tensor<256x256xf32> into tensor<4x256x256xf32>
    }
  }
  return %0, %1 : tensor<64x64xf32>, tensor<4x256x256xf32>
}
