// CPU execution of the unfused chain attn.scores -> attn.mask -> attn.softmax
// -> attn.weighted_sum against numpy fp64 references of the attn.sdpa
// semantics (generated; each "[0]" is the number of elements outside
// |got - ref| <= 1e-5 + 1e-4 |ref|).
//
// RUN: attn-opt %s --attn-lower-to-cpu | mlir-runner-22 -e main -entry-point-result=void \
// RUN:   -shared-libs=/usr/lib/llvm-22/lib/libmlir_runner_utils.so,/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so \
// RUN: | FileCheck %s

func.func private @printMemrefF32(tensor<*xf32>)

func.func @main() {
  vector.print str "case gqa_masked\n"
  %c1 = arith.constant dense<[[[[0.5, 1.59, 1.1, -1.1], [-0.8, 1.49, -1.98, 1.28], [1.19, -0.13, -0.79, -0.89]], [[-0.98, -0.22, 0.02, 0.21], [1.98, 1.17, 0.49, 1.96], [-1.14, -1.36, 0.45, -1.82]], [[-1.86, 0.06, -0.14, 1.67], [0.52, 0.06, -0.01, -1.01], [-1.95, -1.23, 0.77, -1.2]], [[-0.52, -1.99, 1.32, -1.38], [-0.93, 1.52, 0.04, 1.39], [0.56, 0.97, -1.63, 0.16]]], [[[0.03, 1.49, -0.55, 0.39], [-1.76, -0.45, -0.71, -1.4], [1.27, -0.48, 1.91, 0.36]], [[0.42, 0.55, 0.71, -1.4], [-0.24, -1.04, -0.39, -1.61], [1.87, -1.14, 0.69, -0.8]], [[1.5, 0.65, -1.47, 1.38], [1.78, 1.62, 0.28, -1.42], [-1.23, 1.71, 0.21, -1.28]], [[1.54, 0.57, 0.28, -0.49], [-0.36, -1.04, -1.85, 1.5], [-0.13, 0.19, -0.71, 1.01]]]]> : tensor<2x4x3x4xf32>
  %c2 = arith.constant dense<[[[[-1.9, -0.51, -1.88, -1.51], [1.87, 0.63, -0.29, 0.09], [1.49, -0.62, 0.36, 0.73], [-0.58, 0.08, 1.06, 1.64], [-1.4, 1.73, -1.98, 1.01]], [[1.24, -1.45, -0.32, 1.26], [-1.94, 0.51, 1.17, 0.05], [0.9, -1.09, -1.21, -0.55], [-1.28, -0.62, 1.79, 0.29], [-0.64, -0.91, 1.81, -0.22]]], [[[1.92, 0.06, 0.08, 1.59], [0.97, 0.32, -0.29, 1.51], [-0.35, 1.69, -1.73, -0.28], [0.08, 1.8, -1.0, 1.22], [0.71, 0.87, 0.52, 1.89]], [[-0.67, -0.41, -1.19, -1.8], [-1.15, 1.66, 1.36, -1.55], [0.42, -0.08, 0.38, 0.64], [-0.77, 1.85, -0.14, 0.51], [0.54, -1.26, -1.75, -0.35]]]]> : tensor<2x2x5x4xf32>
  %c3 = arith.constant dense<[[[[0.53, 0.63, 0.46], [-0.77, 0.83, 0.6], [0.76, 0.05, 0.83], [-0.91, -0.94, -0.96], [-0.49, -0.5, -0.62]], [[0.13, -0.92, 0.18], [-0.67, 0.36, -0.96], [-0.38, 0.88, 0.08], [0.62, 0.32, 0.22], [-0.62, 0.15, -0.92]]], [[[0.6, 0.92, 0.71], [-0.9, -0.32, -0.36], [-0.77, 0.25, 0.59], [-0.37, 0.73, 0.59], [-0.74, 0.53, 0.77]], [[-0.61, 0.15, 0.28], [0.22, -0.81, 0.32], [0.26, 0.65, 0.61], [-0.35, 0.44, 0.73], [0.79, -0.68, -0.95]]]]> : tensor<2x2x5x3xf32>
  %c4 = arith.constant dense<[[[[0.3, -0.57, 0.13, 0.89, -0.24], [-0.49, -0.09, 0.31, -0.8, -0.24], [-0.73, 0.32, 0.66, -0.25, -0.26]]]]> : tensor<1x1x3x5xf32>
  %c5 = arith.constant dense<[0.5, 0.25, 0.125, 0.0625]> : tensor<4xf32>
  %c6 = arith.constant dense<[5, 2]> : tensor<2xi32>
  %s1 = attn.scores %c1, %c2 {scale = 0.5 : f32, softcap = 2.0 : f32} : tensor<2x4x3x4xf32>, tensor<2x2x5x4xf32> -> tensor<2x4x3x5xf32>
  %m1 = attn.mask %s1 bias(%c4 : tensor<1x1x3x5xf32>) alibi(%c5 : tensor<4xf32>) kv_lens(%c6 : tensor<2xi32>) {mask = #attn.mask<causal = true, align = bottom_right, window_left = 2>} : tensor<2x4x3x5xf32>
  %p1, %l1 = attn.softmax %m1 : tensor<2x4x3x5xf32> -> tensor<2x4x3x5xf32>, tensor<2x4x3xf32>
  %o1 = attn.weighted_sum %p1, %c3 : tensor<2x4x3x5xf32>, tensor<2x2x5x3xf32> -> tensor<2x4x3x3xf32>
  %c7 = arith.constant dense<[[[[0.10498024380840221, 0.4336583339731078, 0.6954881461859382], [-0.4322798507736111, -0.19135390807681482, -0.05894867590315329], [0.3105352543504986, -0.16796420361924416, 0.32027214672592796]], [[0.49823743408058946, 0.4988674461991989, 0.5620152171216428], [0.012106692106580936, 0.13279938255664075, 0.4681129114076593], [0.039271796106451005, -0.33689471090509493, 0.03420129218460308]], [[-0.4172184941894911, 0.06541977331486565, -0.5298054844719431], [-0.32333991607414714, 0.7375649279430555, -0.07419976780971257], [-0.06801829610890112, 0.3195498846504812, -0.30758064973090116]], [[-0.3008580980804347, 0.19206454243291088, -0.16474314595034178], [-0.41210614138895635, 0.4006518446717021, -0.6528494745566282], [-0.3476983464321707, 0.8228981764063102, 0.04090577502763293]]], [[[0.0, 0.0, 0.0], [0.6000000238418579, 0.9200000166893005, 0.7099999785423279], [-0.42268549715780435, 0.07457997949418699, -0.01951568822755328]], [[0.0, 0.0, 0.0], [0.6000000238418579, 0.9200000166893005, 0.7099999785423279], [-0.25452427832353347, 0.21359325479965777, 0.10043931373903811]], [[0.0, 0.0, 0.0], [-0.6100000143051147, 0.15000000596046448, 0.2800000011920929], [0.12406112127215908, -0.6990345544567134, 0.3153764335218707]], [[0.0, 0.0, 0.0], [-0.6100000143051147, 0.15000000596046448, 0.2800000011920929], [-0.06744327910047632, -0.47753549053955047, 0.3061473078642244]]]]> : tensor<2x4x3x3xf32>
  %z8 = arith.constant dense<0.0> : tensor<f32>
  %bad8 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> ()>], iterator_types = ["reduction", "reduction", "reduction", "reduction"]}
      ins(%o1, %c7 : tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>) outs(%z8 : tensor<f32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %eq = arith.cmpf oeq, %a, %b : f32
    %d = arith.subf %a, %b : f32
    %ad = math.absf %d : f32
    %ab = math.absf %b : f32
    %rt = arith.constant 1.000000e-04 : f32
    %at = arith.constant 1.000000e-05 : f32
    %tm = arith.mulf %ab, %rt : f32
    %tol = arith.addf %tm, %at : f32
    %near = arith.cmpf ole, %ad, %tol : f32
    %ok = arith.ori %eq, %near : i1
    %zero = arith.constant 0.0 : f32
    %one = arith.constant 1.0 : f32
    %inc = arith.select %ok, %zero, %one : f32
    %s = arith.addf %acc, %inc : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  %ub8 = tensor.cast %bad8 : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%ub8) : (tensor<*xf32>) -> ()
  %c9 = arith.constant dense<[[[0.5416713222663654, 0.26373897622394593, 0.5167970439601708], [0.9514965949160327, 2.1891959104241705, -0.10982479695717817], [1.2171145811996351, 0.9699650338239308, 2.0752841822552295], [1.3998625194007506, 1.2764786766432354, 1.2693867421624359]], [[0xFF800000, -2.270134734168603, 1.224695358848263], [0xFF800000, -1.7937760883654394, 0.9031747531371332], [0xFF800000, -0.3075090961007249, 2.2951486814297786], [0xFF800000, -0.40550024130831464, -0.20493274286590074]]]> : tensor<2x4x3xf32>
  %z10 = arith.constant dense<0.0> : tensor<f32>
  %bad10 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> ()>], iterator_types = ["reduction", "reduction", "reduction"]}
      ins(%l1, %c9 : tensor<2x4x3xf32>, tensor<2x4x3xf32>) outs(%z10 : tensor<f32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %eq = arith.cmpf oeq, %a, %b : f32
    %d = arith.subf %a, %b : f32
    %ad = math.absf %d : f32
    %ab = math.absf %b : f32
    %rt = arith.constant 1.000000e-04 : f32
    %at = arith.constant 1.000000e-05 : f32
    %tm = arith.mulf %ab, %rt : f32
    %tol = arith.addf %tm, %at : f32
    %near = arith.cmpf ole, %ad, %tol : f32
    %ok = arith.ori %eq, %near : i1
    %zero = arith.constant 0.0 : f32
    %one = arith.constant 1.0 : f32
    %inc = arith.select %ok, %zero, %one : f32
    %s = arith.addf %acc, %inc : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  %ub10 = tensor.cast %bad10 : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%ub10) : (tensor<*xf32>) -> ()
  %us11 = tensor.cast %l1 : tensor<2x4x3xf32> to tensor<*xf32>
  call @printMemrefF32(%us11) : (tensor<*xf32>) -> ()
  vector.print str "case bshd_single_key\n"
  %c12 = arith.constant dense<[[[[0.08, -0.57, -0.51, -0.34], [-0.09, -0.84, 0.51, 0.16]]]]> : tensor<1x1x2x4xf32>
  %c13 = arith.constant dense<[[[[-0.4, -0.84, 0.53, -0.74], [-0.73, -0.74, -0.84, 0.81]]]]> : tensor<1x1x2x4xf32>
  %c14 = arith.constant dense<[[[[0.5, -1.0], [2.0, 0.25]]]]> : tensor<1x1x2x2xf32>
  %s2 = attn.scores %c12, %c13 {layout = #attn<layout bshd>} : tensor<1x1x2x4xf32>, tensor<1x1x2x4xf32> -> tensor<1x2x1x1xf32>
  %p2, %l2 = attn.softmax %s2 : tensor<1x2x1x1xf32> -> tensor<1x2x1x1xf32>, tensor<1x2x1xf32>
  %o2 = attn.weighted_sum %p2, %c14 {layout = #attn<layout bshd>} : tensor<1x2x1x1xf32>, tensor<1x1x2x2xf32> -> tensor<1x1x2x2xf32>
  %c15 = arith.constant dense<[[[0.21405000240802763], [0.1942500059008596]]]> : tensor<1x2x1xf32>
  %z16 = arith.constant dense<0.0> : tensor<f32>
  %bad16 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> ()>], iterator_types = ["reduction", "reduction", "reduction"]}
      ins(%l2, %c15 : tensor<1x2x1xf32>, tensor<1x2x1xf32>) outs(%z16 : tensor<f32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %eq = arith.cmpf oeq, %a, %b : f32
    %d = arith.subf %a, %b : f32
    %ad = math.absf %d : f32
    %ab = math.absf %b : f32
    %rt = arith.constant 1.000000e-04 : f32
    %at = arith.constant 1.000000e-05 : f32
    %tm = arith.mulf %ab, %rt : f32
    %tol = arith.addf %tm, %at : f32
    %near = arith.cmpf ole, %ad, %tol : f32
    %ok = arith.ori %eq, %near : i1
    %zero = arith.constant 0.0 : f32
    %one = arith.constant 1.0 : f32
    %inc = arith.select %ok, %zero, %one : f32
    %s = arith.addf %acc, %inc : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  %ub16 = tensor.cast %bad16 : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%ub16) : (tensor<*xf32>) -> ()
  %us17 = tensor.cast %o2 : tensor<1x1x2x2xf32> to tensor<*xf32>
  call @printMemrefF32(%us17) : (tensor<*xf32>) -> ()
  vector.print str "case bool_float_masks\n"
  %c18 = arith.constant dense<[[[[-0.46, -0.39, 0.67, 0.24], [-0.63, -0.13, 0.77, -0.25], [0.42, -0.81, 0.45, 0.55]], [[0.65, 0.35, -0.26, -0.87], [0.04, 0.51, -0.62, -0.47], [0.07, 0.5, 0.79, -0.75]]]]> : tensor<1x2x3x4xf32>
  %c19 = arith.constant dense<[[[[-0.63, 0.6, 0.29, 0.44], [0.99, 0.88, 0.69, 0.55], [-0.21, 0.28, -0.63, 0.52], [0.52, 0.44, -0.11, -0.24]]]]> : tensor<1x1x4x4xf32>
  %c20 = arith.constant dense<[[[[-0.16, -0.93], [0.69, 0.08], [-0.22, 0.1], [0.44, -0.24]]]]> : tensor<1x1x4x2xf32>
  %c21 = arith.constant dense<[[[[true, true, false, true], [false, false, false, false], [true, false, true, true]]]]> : tensor<1x1x3x4xi1>
  %c22 = arith.constant dense<[[[[0.66, 0.84, -0.23, -0.72], [0.52, 0.99, -0.7, 0.43], [0.65, 0.84, -0.75, -0.82]], [[0.98, -0.77, -0.65, 0.15], [-0.11, 0.5, -0.62, 0.83], [-0.57, 0.54, -0.86, -0.05]]]]> : tensor<1x2x3x4xf32>
  %s3 = attn.scores %c18, %c19 : tensor<1x2x3x4xf32>, tensor<1x1x4x4xf32> -> tensor<1x2x3x4xf32>
  %m3a = attn.mask %s3 attn_mask(%c21 : tensor<1x1x3x4xi1>) {mask = #attn.mask<causal = true>} : tensor<1x2x3x4xf32>
  %m3 = attn.mask %m3a attn_mask(%c22 : tensor<1x2x3x4xf32>) : tensor<1x2x3x4xf32>
  %p3, %l3 = attn.softmax %m3 : tensor<1x2x3x4xf32> -> tensor<1x2x3x4xf32>, tensor<1x2x3xf32>
  %o3 = attn.weighted_sum %p3, %c20 : tensor<1x2x3x4xf32>, tensor<1x1x4x2xf32> -> tensor<1x2x3x2xf32>
  %c23 = arith.constant dense<[[[[-0.1599999964237213, -0.9300000071525574], [0.0, 0.0], [-0.1721843535663593, -0.7208352160936436]], [[-0.1599999964237213, -0.9300000071525574], [0.0, 0.0], [-0.17926627467310086, -0.5992622409053439]]]]> : tensor<1x2x3x2xf32>
  %z24 = arith.constant dense<0.0> : tensor<f32>
  %bad24 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> ()>], iterator_types = ["reduction", "reduction", "reduction", "reduction"]}
      ins(%o3, %c23 : tensor<1x2x3x2xf32>, tensor<1x2x3x2xf32>) outs(%z24 : tensor<f32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %eq = arith.cmpf oeq, %a, %b : f32
    %d = arith.subf %a, %b : f32
    %ad = math.absf %d : f32
    %ab = math.absf %b : f32
    %rt = arith.constant 1.000000e-04 : f32
    %at = arith.constant 1.000000e-05 : f32
    %tm = arith.mulf %ab, %rt : f32
    %tol = arith.addf %tm, %at : f32
    %near = arith.cmpf ole, %ad, %tol : f32
    %ok = arith.ori %eq, %near : i1
    %zero = arith.constant 0.0 : f32
    %one = arith.constant 1.0 : f32
    %inc = arith.select %ok, %zero, %one : f32
    %s = arith.addf %acc, %inc : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  %ub24 = tensor.cast %bad24 : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%ub24) : (tensor<*xf32>) -> ()
  %c25 = arith.constant dense<[[[0.8378500255584718, 0xFF800000, 0.6879416789853787], [0.6511500329732893, 0xFF800000, -0.10521173631367858]]]> : tensor<1x2x3xf32>
  %z26 = arith.constant dense<0.0> : tensor<f32>
  %bad26 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> ()>], iterator_types = ["reduction", "reduction", "reduction"]}
      ins(%l3, %c25 : tensor<1x2x3xf32>, tensor<1x2x3xf32>) outs(%z26 : tensor<f32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %eq = arith.cmpf oeq, %a, %b : f32
    %d = arith.subf %a, %b : f32
    %ad = math.absf %d : f32
    %ab = math.absf %b : f32
    %rt = arith.constant 1.000000e-04 : f32
    %at = arith.constant 1.000000e-05 : f32
    %tm = arith.mulf %ab, %rt : f32
    %tol = arith.addf %tm, %at : f32
    %near = arith.cmpf ole, %ad, %tol : f32
    %ok = arith.ori %eq, %near : i1
    %zero = arith.constant 0.0 : f32
    %one = arith.constant 1.0 : f32
    %inc = arith.select %ok, %zero, %one : f32
    %s = arith.addf %acc, %inc : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  %ub26 = tensor.cast %bad26 : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%ub26) : (tensor<*xf32>) -> ()
  %us27 = tensor.cast %p3 : tensor<1x2x3x4xf32> to tensor<*xf32>
  call @printMemrefF32(%us27) : (tensor<*xf32>) -> ()
  return
}

// CHECK-LABEL: case gqa_masked
// CHECK: data =
// CHECK-NEXT: [0]
// CHECK: data =
// CHECK-NEXT: [0]
// The lse of batch 1, row 0 (no visible key) is -inf for every head.
// CHECK: data =
// CHECK-NEXT: {{\[}}[{{\[}}{{.*}}],
// CHECK-NEXT: [{{.*}}],
// CHECK-NEXT: [{{.*}}],
// CHECK-NEXT: [{{.*}}]],
// CHECK-NEXT: {{\[}}[-inf, {{.*}}],
// CHECK-NEXT: [-inf, {{.*}}],
// CHECK-NEXT: [-inf, {{.*}}],
// CHECK-NEXT: [-inf, {{.*}}]]]

// CHECK-LABEL: case bshd_single_key
// CHECK: data =
// CHECK-NEXT: [0]
// CHECK: data =
// CHECK-NEXT: {{\[}}[{{\[}}[0.5,   -1],
// CHECK-NEXT: [2,   0.25]]]]

// CHECK-LABEL: case bool_float_masks
// CHECK: data =
// CHECK-NEXT: [0]
// CHECK: data =
// CHECK-NEXT: [0]
// Row 0 sees only key 0; row 1 sees nothing.
// CHECK: data =
// CHECK-NEXT: {{\[}}[{{\[}}[1,   0,   0,   0],
// CHECK-NEXT: [0,   0,   0,   0],

