// attn-fuse-attention keeps the numbers: torch's F.scaled_dot_product_attention
// (is_causal=True), exported by torch-mlir to linalg (scripts/export-torch-mlir.py,
// shape 1x2x5x4), run on the CPU as exported and after fusion into attn.sdpa.
// Both must match the float64 numpy reference in @main (|error| <= 1e-5):
// the printed count of mismatching elements is 0.
// RUN: attn-opt %s --attn-lower-to-cpu \
// RUN: | mlir-runner-22 -e main -entry-point-result=void \
// RUN:   -shared-libs=/usr/lib/llvm-22/lib/libmlir_runner_utils.so,/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so \
// RUN: | FileCheck %s
// RUN: attn-opt %s --attn-fuse-attention | FileCheck %s --check-prefix=FUSED
// The same after upstream elementwise fusion, which moves the scale, the
// softmax's division and the row guard into the contractions.
// RUN: mlir-opt %s --linalg-fuse-elementwise-ops | attn-opt --attn-fuse-attention | FileCheck %s --check-prefix=FUSED
// RUN: mlir-opt %s --linalg-fuse-elementwise-ops | attn-opt --attn-fuse-attention | attn-opt --attn-lower-to-cpu \
// RUN: | mlir-runner-22 -e main -entry-point-result=void \
// RUN:   -shared-libs=/usr/lib/llvm-22/lib/libmlir_runner_utils.so,/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so \
// RUN: | FileCheck %s
// RUN: attn-opt %s --attn-fuse-attention | attn-opt --attn-lower-to-cpu \
// RUN: | mlir-runner-22 -e main -entry-point-result=void \
// RUN:   -shared-libs=/usr/lib/llvm-22/lib/libmlir_runner_utils.so,/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so \
// RUN: | FileCheck %s

// FUSED-LABEL: func.func @forward(
// FUSED-NEXT:    attn.sdpa {{.*}} {mask = #attn.mask<causal = true>, scale = 5.000000e-01 : f32}
// FUSED-NEXT:    return

// CHECK: Unranked Memref
// CHECK-NEXT: [0]
#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#map1 = affine_map<(d0) -> (d0)>
#map2 = affine_map<(d0, d1) -> (0, d1)>
#map3 = affine_map<(d0, d1) -> (d0, 0)>
#map4 = affine_map<(d0, d1) -> (d0, d1)>
#map5 = affine_map<(d0, d1) -> ()>
#map6 = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#map7 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
#map8 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, 0)>
module {
  func.func @forward(%arg0: tensor<1x2x5x4xf32>, %arg1: tensor<1x2x5x4xf32>, %arg2: tensor<1x2x5x4xf32>) -> tensor<1x2x5x4xf32> {
    %c0_i64 = arith.constant 0 : i64
    %cst = arith.constant 0.000000e+00 : f32
    %cst_0 = arith.constant 0xFF800000 : f32
    %true = arith.constant true
    %cst_1 = arith.constant dense<0.000000e+00> : tensor<1x2x5x5xf32>
    %cst_2 = arith.constant dense<0.000000e+00> : tensor<f32>
    %cst_3 = arith.constant dense<0xFF800000> : tensor<f32>
    %cst_4 = arith.constant dense<true> : tensor<5x5xi1>
    %cst_5 = arith.constant 0xFFF0000000000000 : f64
    %cst_6 = arith.constant 0.70710678118654757 : f64
    %0 = tensor.empty() : tensor<1x2x5x4xf32>
    %1 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%arg0 : tensor<1x2x5x4xf32>) outs(%0 : tensor<1x2x5x4xf32>) {
    ^bb0(%in: f32, %out: f32):
      %38 = arith.truncf %cst_6 : f64 to f32
      %39 = arith.mulf %in, %38 : f32
      linalg.yield %39 : f32
    } -> tensor<1x2x5x4xf32>
    %2 = tensor.empty() : tensor<5xi64>
    %3 = linalg.generic {indexing_maps = [#map1], iterator_types = ["parallel"]} outs(%2 : tensor<5xi64>) {
    ^bb0(%out: i64):
      %38 = linalg.index 0 : index
      %39 = arith.index_cast %38 : index to i64
      linalg.yield %39 : i64
    } -> tensor<5xi64>
    %expanded = tensor.expand_shape %3 [[0, 1]] output_shape [1, 5] : tensor<5xi64> into tensor<1x5xi64>
    %expanded_7 = tensor.expand_shape %3 [[0, 1]] output_shape [5, 1] : tensor<5xi64> into tensor<5x1xi64>
    %4 = tensor.empty() : tensor<5x5xi64>
    %5 = linalg.generic {indexing_maps = [#map2, #map3, #map4], iterator_types = ["parallel", "parallel"]} ins(%expanded, %expanded_7 : tensor<1x5xi64>, tensor<5x1xi64>) outs(%4 : tensor<5x5xi64>) {
    ^bb0(%in: i64, %in_14: i64, %out: i64):
      %38 = arith.subi %in, %in_14 : i64
      linalg.yield %38 : i64
    } -> tensor<5x5xi64>
    %6 = tensor.empty() : tensor<5x5xi1>
    %7 = linalg.generic {indexing_maps = [#map4, #map4], iterator_types = ["parallel", "parallel"]} ins(%5 : tensor<5x5xi64>) outs(%6 : tensor<5x5xi1>) {
    ^bb0(%in: i64, %out: i1):
      %38 = arith.cmpi sle, %in, %c0_i64 : i64
      linalg.yield %38 : i1
    } -> tensor<5x5xi1>
    %8 = linalg.generic {indexing_maps = [#map4, #map4, #map4], iterator_types = ["parallel", "parallel"]} ins(%7, %cst_4 : tensor<5x5xi1>, tensor<5x5xi1>) outs(%6 : tensor<5x5xi1>) {
    ^bb0(%in: i1, %in_14: i1, %out: i1):
      %38 = arith.andi %in, %in_14 : i1
      linalg.yield %38 : i1
    } -> tensor<5x5xi1>
    %9 = tensor.empty() : tensor<5x5xf32>
    %10 = linalg.generic {indexing_maps = [#map4, #map5, #map5, #map4], iterator_types = ["parallel", "parallel"]} ins(%8, %cst_2, %cst_3 : tensor<5x5xi1>, tensor<f32>, tensor<f32>) outs(%9 : tensor<5x5xf32>) {
    ^bb0(%in: i1, %in_14: f32, %in_15: f32, %out: f32):
      %38 = arith.select %in, %in_14, %in_15 : f32
      linalg.yield %38 : f32
    } -> tensor<5x5xf32>
    %11 = tensor.empty() : tensor<1x2x4x5xf32>
    %transposed = linalg.transpose ins(%arg1 : tensor<1x2x5x4xf32>) outs(%11 : tensor<1x2x4x5xf32>) permutation = [0, 1, 3, 2] 
    %12 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%transposed : tensor<1x2x4x5xf32>) outs(%11 : tensor<1x2x4x5xf32>) {
    ^bb0(%in: f32, %out: f32):
      %38 = arith.truncf %cst_6 : f64 to f32
      %39 = arith.mulf %in, %38 : f32
      linalg.yield %39 : f32
    } -> tensor<1x2x4x5xf32>
    %collapsed = tensor.collapse_shape %1 [[0, 1], [2], [3]] : tensor<1x2x5x4xf32> into tensor<2x5x4xf32>
    %collapsed_8 = tensor.collapse_shape %12 [[0, 1], [2], [3]] : tensor<1x2x4x5xf32> into tensor<2x4x5xf32>
    %13 = tensor.empty() : tensor<2x5x5xf32>
    %14 = linalg.fill ins(%cst : f32) outs(%13 : tensor<2x5x5xf32>) -> tensor<2x5x5xf32>
    %15 = linalg.batch_matmul ins(%collapsed, %collapsed_8 : tensor<2x5x4xf32>, tensor<2x4x5xf32>) outs(%14 : tensor<2x5x5xf32>) -> tensor<2x5x5xf32>
    %expanded_9 = tensor.expand_shape %15 [[0, 1], [2], [3]] output_shape [1, 2, 5, 5] : tensor<2x5x5xf32> into tensor<1x2x5x5xf32>
    %16 = tensor.empty() : tensor<1x2x5x5xf32>
    %17 = linalg.generic {indexing_maps = [#map, #map6, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%expanded_9, %10 : tensor<1x2x5x5xf32>, tensor<5x5xf32>) outs(%16 : tensor<1x2x5x5xf32>) {
    ^bb0(%in: f32, %in_14: f32, %out: f32):
      %38 = arith.addf %in, %in_14 : f32
      linalg.yield %38 : f32
    } -> tensor<1x2x5x5xf32>
    %18 = tensor.empty() : tensor<1x2x5xi64>
    %19 = linalg.fill ins(%c0_i64 : i64) outs(%18 : tensor<1x2x5xi64>) -> tensor<1x2x5xi64>
    %20 = tensor.empty() : tensor<1x2x5xf32>
    %21 = linalg.fill ins(%cst_0 : f32) outs(%20 : tensor<1x2x5xf32>) -> tensor<1x2x5xf32>
    %22:2 = linalg.generic {indexing_maps = [#map, #map7, #map7], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%17 : tensor<1x2x5x5xf32>) outs(%21, %19 : tensor<1x2x5xf32>, tensor<1x2x5xi64>) {
    ^bb0(%in: f32, %out: f32, %out_14: i64):
      %38 = linalg.index 3 : index
      %39 = arith.index_cast %38 : index to i64
      %40 = arith.maximumf %in, %out : f32
      %41 = arith.cmpf ogt, %in, %out : f32
      %42 = arith.select %41, %39, %out_14 : i64
      linalg.yield %40, %42 : f32, i64
    } -> (tensor<1x2x5xf32>, tensor<1x2x5xi64>)
    %expanded_10 = tensor.expand_shape %22#0 [[0], [1], [2, 3]] output_shape [1, 2, 5, 1] : tensor<1x2x5xf32> into tensor<1x2x5x1xf32>
    %23 = linalg.generic {indexing_maps = [#map, #map8, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%17, %expanded_10 : tensor<1x2x5x5xf32>, tensor<1x2x5x1xf32>) outs(%16 : tensor<1x2x5x5xf32>) {
    ^bb0(%in: f32, %in_14: f32, %out: f32):
      %38 = arith.subf %in, %in_14 : f32
      linalg.yield %38 : f32
    } -> tensor<1x2x5x5xf32>
    %24 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%23 : tensor<1x2x5x5xf32>) outs(%16 : tensor<1x2x5x5xf32>) {
    ^bb0(%in: f32, %out: f32):
      %38 = math.exp %in : f32
      linalg.yield %38 : f32
    } -> tensor<1x2x5x5xf32>
    %25 = tensor.empty() : tensor<1x2x5x1xf32>
    %26 = linalg.fill ins(%cst : f32) outs(%25 : tensor<1x2x5x1xf32>) -> tensor<1x2x5x1xf32>
    %27 = linalg.generic {indexing_maps = [#map, #map8], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%24 : tensor<1x2x5x5xf32>) outs(%26 : tensor<1x2x5x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %38 = arith.addf %in, %out : f32
      linalg.yield %38 : f32
    } -> tensor<1x2x5x1xf32>
    %28 = linalg.generic {indexing_maps = [#map, #map8, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%24, %27 : tensor<1x2x5x5xf32>, tensor<1x2x5x1xf32>) outs(%16 : tensor<1x2x5x5xf32>) {
    ^bb0(%in: f32, %in_14: f32, %out: f32):
      %38 = arith.divf %in, %in_14 : f32
      linalg.yield %38 : f32
    } -> tensor<1x2x5x5xf32>
    %29 = tensor.empty() : tensor<1x2x5x5xi1>
    %30 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%17 : tensor<1x2x5x5xf32>) outs(%29 : tensor<1x2x5x5xi1>) {
    ^bb0(%in: f32, %out: i1):
      %38 = arith.extf %in : f32 to f64
      %39 = arith.cmpf oeq, %38, %cst_5 : f64
      linalg.yield %39 : i1
    } -> tensor<1x2x5x5xi1>
    %31 = tensor.empty() : tensor<1x2x5x1xi1>
    %32 = linalg.fill ins(%true : i1) outs(%31 : tensor<1x2x5x1xi1>) -> tensor<1x2x5x1xi1>
    %33 = linalg.generic {indexing_maps = [#map, #map8], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%30 : tensor<1x2x5x5xi1>) outs(%32 : tensor<1x2x5x1xi1>) {
    ^bb0(%in: i1, %out: i1):
      %38 = arith.andi %in, %out : i1
      linalg.yield %38 : i1
    } -> tensor<1x2x5x1xi1>
    %34 = linalg.generic {indexing_maps = [#map8, #map, #map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%33, %cst_1, %28 : tensor<1x2x5x1xi1>, tensor<1x2x5x5xf32>, tensor<1x2x5x5xf32>) outs(%16 : tensor<1x2x5x5xf32>) {
    ^bb0(%in: i1, %in_14: f32, %in_15: f32, %out: f32):
      %38 = arith.select %in, %in_14, %in_15 : f32
      linalg.yield %38 : f32
    } -> tensor<1x2x5x5xf32>
    %collapsed_11 = tensor.collapse_shape %34 [[0, 1], [2], [3]] : tensor<1x2x5x5xf32> into tensor<2x5x5xf32>
    %collapsed_12 = tensor.collapse_shape %arg2 [[0, 1], [2], [3]] : tensor<1x2x5x4xf32> into tensor<2x5x4xf32>
    %35 = tensor.empty() : tensor<2x5x4xf32>
    %36 = linalg.fill ins(%cst : f32) outs(%35 : tensor<2x5x4xf32>) -> tensor<2x5x4xf32>
    %37 = linalg.batch_matmul ins(%collapsed_11, %collapsed_12 : tensor<2x5x5xf32>, tensor<2x5x4xf32>) outs(%36 : tensor<2x5x4xf32>) -> tensor<2x5x4xf32>
    %expanded_13 = tensor.expand_shape %37 [[0, 1], [2], [3]] output_shape [1, 2, 5, 4] : tensor<2x5x4xf32> into tensor<1x2x5x4xf32>
    return %expanded_13 : tensor<1x2x5x4xf32>
  }

  func.func private @printMemrefF32(tensor<*xf32>)
  func.func @main() {
    %q = arith.constant dense<[[[[ 0.25,  0.79,  0.55, -0.55],   [-0.4 ,  0.75, -0.99,  0.64],   [ 0.59, -0.06, -0.39, -0.44],   [-0.49, -0.11,  0.01,  0.11],   [ 0.99,  0.59,  0.24,  0.98]],  [[-0.57, -0.68,  0.23, -0.91],   [-0.93,  0.03, -0.07,  0.83],   [ 0.26,  0.03, -0.01, -0.5 ],   [-0.98, -0.62,  0.38, -0.6 ],   [-0.26, -0.99,  0.66, -0.69]]]]> : tensor<1x2x5x4xf32>
    %k = arith.constant dense<[[[[-0.46,  0.76,  0.02,  0.69],   [ 0.28,  0.48, -0.82,  0.08],   [ 0.02,  0.74, -0.28,  0.2 ],   [-0.88, -0.22, -0.35, -0.7 ],   [ 0.63, -0.24,  0.96,  0.18]],  [[ 0.21,  0.28,  0.35, -0.7 ],   [-0.12, -0.52, -0.2 , -0.81],   [ 0.94, -0.57,  0.34, -0.4 ],   [ 0.75,  0.32, -0.74,  0.69],   [ 0.89,  0.81,  0.14, -0.71]]]]> : tensor<1x2x5x4xf32>
    %v = arith.constant dense<[[[[-0.62,  0.86,  0.1 , -0.64],   [ 0.77,  0.28,  0.14, -0.25],   [-0.18, -0.52, -0.92,  0.75],   [-0.06,  0.1 , -0.36,  0.5 ],   [-0.95, -0.26, -0.94, -0.75]],  [[ 0.93,  0.32, -0.14,  0.05],   [ 0.75, -0.31,  0.18,  0.37],   [-0.29,  0.04,  0.53,  0.82],   [-0.7 ,  0.87, -0.99,  0.51],   [ 0.62, -0.73, -0.16,  0.63]]]]> : tensor<1x2x5x4xf32>
    %expected = arith.constant dense<[[[[-0.62                ,  0.86                ,  0.1                 ,    -0.64                ],   [ 0.06374198483393612 ,  0.5746975890620986  ,  0.11967602834054493 ,    -0.448158723679687   ],   [ 0.10767176438001139 ,  0.15433638005083278 , -0.22606822782564231 ,    -0.010231647584686865],   [-0.056474971975105856,  0.19847076755364312 , -0.25808914758050183 ,     0.09187933980993718 ],   [-0.2777807160634684  ,  0.08269665287198215 , -0.4249204095234579  ,    -0.19577560710208713 ]],  [[ 0.93                ,  0.32                , -0.14                ,     0.05                ],   [ 0.8348284531746577  , -0.013100413888697982,  0.02919386102283071 ,     0.21919386102283067 ],   [ 0.4591683865241779  ,  0.019389710288830415,  0.1909052738022618  ,     0.414672200054247   ],   [ 0.4003520164830882  ,  0.07469186822400598 ,  0.041326273054831886,     0.4003520196789076  ],   [ 0.36811935837227117 , -0.03973564165028019 ,  0.05713453174069445 ,     0.4705670501498767  ]]]]> : tensor<1x2x5x4xf32>
    %o = call @forward(%q, %k, %v) : (tensor<1x2x5x4xf32>, tensor<1x2x5x4xf32>, tensor<1x2x5x4xf32>) -> tensor<1x2x5x4xf32>
    %z = arith.constant dense<0.0> : tensor<f32>
    %bad = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> ()>], iterator_types = ["reduction", "reduction", "reduction", "reduction"]}
        ins(%o, %expected : tensor<1x2x5x4xf32>, tensor<1x2x5x4xf32>) outs(%z : tensor<f32>) {
    ^bb0(%a: f32, %b: f32, %acc: f32):
      %d = arith.subf %a, %b : f32
      %ad = math.absf %d : f32
      %tol = arith.constant 1.000000e-05 : f32
      %near = arith.cmpf ole, %ad, %tol : f32
      %zero = arith.constant 0.0 : f32
      %one = arith.constant 1.0 : f32
      %inc = arith.select %near, %zero, %one : f32
      %s = arith.addf %acc, %inc : f32
      linalg.yield %s : f32
    } -> tensor<f32>
    %ub = tensor.cast %bad : tensor<f32> to tensor<*xf32>
    call @printMemrefF32(%ub) : (tensor<*xf32>) -> ()
    %uo = tensor.cast %o : tensor<1x2x5x4xf32> to tensor<*xf32>
    call @printMemrefF32(%uo) : (tensor<*xf32>) -> ()
    return
  }
}
