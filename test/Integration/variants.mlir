// CPU execution of attn.linformer, attn.aft and attn.topk_attention against
// numpy fp64 references (generated; each "[0]" is the number of elements
// outside |got - ref| <= 1e-5 + 1e-4 |ref|).
//
// RUN: attn-opt %s --attn-lower-to-cpu | mlir-runner-22 -e main -entry-point-result=void \
// RUN:   -shared-libs=/usr/lib/llvm-22/lib/libmlir_runner_utils.so,/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so \
// RUN: | FileCheck %s

func.func private @printMemrefF32(tensor<*xf32>)

func.func @main() {
  vector.print str "case linformer\n"
  %c1 = arith.constant dense<[[[[0.78, 0.57, -1.49, -1.55], [0.61, 1.41, -1.19, -1.13], [0.87, -0.12, -0.34, -0.6]], [[-1.74, -0.18, -0.79, -0.44], [0.16, 0.73, 0.5, 0.97], [-1.93, 0.62, 0.17, 1.41]]]]> : tensor<1x2x3x4xf32>
  %c2 = arith.constant dense<[[[[1.76, -1.95, 1.31, -0.99], [0.5, 1.06, 1.39, 1.76], [0.54, 1.44, -0.01, -1.07], [-1.36, -0.01, 0.98, -0.2], [0.73, -1.5, 1.89, -0.1]]]]> : tensor<1x1x5x4xf32>
  %c3 = arith.constant dense<[[[[0.65, 0.46, 0.56], [-0.23, -0.78, -0.09], [-0.34, -0.2, 0.98], [-0.38, 0.57, -0.67], [0.19, -0.31, -0.52]]]]> : tensor<1x1x5x3xf32>
  %c4 = arith.constant dense<[[-0.21, 0.87, 0.16, 0.04, 0.61], [0.01, -0.77, -0.74, 0.44, -0.07]]> : tensor<2x5xf32>
  %c5 = arith.constant dense<[[-0.58, 0.93, -0.46, 0.57, -0.37], [0.49, 0.05, -0.93, 0.43, -0.42]]> : tensor<2x5xf32>
  %lf = attn.linformer %c1, %c2, %c3, %c4, %c5 {scale = 0.6 : f32} : tensor<1x2x3x4xf32>, tensor<1x1x5x4xf32>, tensor<1x1x5x3xf32>, tensor<2x5xf32>, tensor<2x5xf32> -> tensor<1x2x3x3xf32>
  %c6 = arith.constant dense<[[[[0.3180047654230027, 0.6796876213998285, -0.7302027610848439], [0.020737335570768678, 0.3535679181057478, -0.8213208651993995], [-0.031874547857389114, 0.2958496143485471, -0.8374474051107942]], [[0.3643754062629466, 0.7305589181301697, -0.7159892803748551], [-0.6849903079087163, -0.42065645559158055, -1.037639770122984], [-0.3696288423242496, -0.07468654009187278, -0.9409755009525337]]]]> : tensor<1x2x3x3xf32>
  %z7 = arith.constant dense<0.0> : tensor<f32>
  %bad7 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> ()>], iterator_types = ["reduction", "reduction", "reduction", "reduction"]}
      ins(%lf, %c6 : tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) outs(%z7 : tensor<f32>) {
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
  %ub7 = tensor.cast %bad7 : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%ub7) : (tensor<*xf32>) -> ()
  vector.print str "case aft\n"
  %c8 = arith.constant dense<[[[-0.39, 1.28, 2.97], [-0.32, 1.03, -0.09], [1.0, -2.05, 2.96], [-2.14, 1.01, -2.6]], [[-2.48, 2.24, 1.5], [-2.42, -1.31, -2.58], [2.61, 2.08, 1.66], [1.19, 1.03, -2.8]]]> : tensor<2x4x3xf32>
  %c9 = arith.constant dense<[[[-2.66, -1.19, 0.46], [95.0, -0.34, -1.5], [0.81, 2.71, -0.09], [0.37, -1.26, 1.52]], [[-2.12, 1.02, -1.69], [1.05, 0.01, 1.95], [0.4, 2.44, 90.0], [-2.91, 2.85, 1.61]]]> : tensor<2x4x3xf32>
  %c10 = arith.constant dense<[[[0.64, 0.66, -0.75], [0.75, -0.83, -0.38], [-0.68, -0.03, -0.62], [-0.58, 0.16, -0.68]], [[-0.04, 0.39, -0.97], [0.77, 0.51, 0.5], [0.45, 0.92, -0.71], [-0.83, 0.48, -0.96]]]> : tensor<2x4x3xf32>
  %c11 = arith.constant dense<[[0.52, 0.49, 1.7, -1.61], [-0.59, 1.04, -0.61, -0.83], [-1.28, -1.92, 0.12, -1.74], [-0.12, 0.93, -0.33, 0.43]]> : tensor<4x4xf32>
  %aft_full = attn.aft %c8, %c9, %c10 pos_bias(%c11 : tensor<4x4xf32>) {mode = #attn<aft_mode full>} : tensor<2x4x3xf32>, tensor<2x4x3xf32>, tensor<2x4x3xf32> -> tensor<2x4x3xf32>
  %c12 = arith.constant dense<[[[0.302787978110158, -0.028742151859112716, -0.6231120011511632], [0.3155068121957877, -0.12562940553479568, -0.30588116341860905], [0.5482939339725037, -0.0035254898358263293, -0.6296742186068708], [0.07895203473136689, -0.08663216839033086, -0.04622127435868622]], [[0.04294667014235396, 0.7733395486162488, -0.580477860554242], [0.059685984275060576, 0.13345990651945827, -0.050010080969209114], [0.46500257811515255, 0.7228519337883916, -0.5965689609591607], [0.5395997032730105, 0.4181691875686611, -0.04070016548763748]]]> : tensor<2x4x3xf32>
  %z13 = arith.constant dense<0.0> : tensor<f32>
  %bad13 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> ()>], iterator_types = ["reduction", "reduction", "reduction"]}
      ins(%aft_full, %c12 : tensor<2x4x3xf32>, tensor<2x4x3xf32>) outs(%z13 : tensor<f32>) {
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
  %ub13 = tensor.cast %bad13 : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%ub13) : (tensor<*xf32>) -> ()
  %aft_local = attn.aft %c8, %c9, %c10 pos_bias(%c11 : tensor<4x4xf32>) {mode = #attn<aft_mode local>, window = 2} : tensor<2x4x3xf32>, tensor<2x4x3xf32>, tensor<2x4x3xf32> -> tensor<2x4x3xf32>
  %c14 = arith.constant dense<[[[0.302787978110158, -0.04754120103021293, -0.64931967778981], [0.3155068121957877, -0.12196528774049838, -0.31326179083189426], [0.5482939339725037, -0.002531032172581189, -0.6573145901361254], [0.07895203473136689, -0.03853576493994745, -0.04704707439786468]], [[0.05072642794731648, 0.5543529738362523, -0.580477860554242], [0.05925168095820546, 0.12247078962660293, -0.050010080969209114], [0.4454895318669269, 0.6829855567574242, -0.5965689609591607], [0.48385059544390674, 0.4188068480987788, -0.04070016548763748]]]> : tensor<2x4x3xf32>
  %z15 = arith.constant dense<0.0> : tensor<f32>
  %bad15 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> ()>], iterator_types = ["reduction", "reduction", "reduction"]}
      ins(%aft_local, %c14 : tensor<2x4x3xf32>, tensor<2x4x3xf32>) outs(%z15 : tensor<f32>) {
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
  %ub15 = tensor.cast %bad15 : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%ub15) : (tensor<*xf32>) -> ()
  %aft_simple = attn.aft %c8, %c9, %c10 {mode = #attn<aft_mode simple>} : tensor<2x4x3xf32>, tensor<2x4x3xf32>, tensor<2x4x3xf32> -> tensor<2x4x3xf32>
  %c16 = arith.constant dense<[[[0.302787978110158, -0.038117689056997535, -0.6453959538749813], [0.3155068121957877, -0.03589946829603844, -0.32399734150491966], [0.5482939339725037, -0.0055561565068413905, -0.6450795778946918], [0.07895203473136689, -0.035709683951471706, -0.04691089954948114]], [[0.04819617391446751, 0.567919066739508, -0.580477860554242], [0.05093308536338425, 0.13352225127220832, -0.050010080969209114], [0.5809961502168598, 0.5585936518356663, -0.5965689609591607], [0.47823131476408615, 0.4630623822468631, -0.04070016548763748]]]> : tensor<2x4x3xf32>
  %z17 = arith.constant dense<0.0> : tensor<f32>
  %bad17 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> ()>], iterator_types = ["reduction", "reduction", "reduction"]}
      ins(%aft_simple, %c16 : tensor<2x4x3xf32>, tensor<2x4x3xf32>) outs(%z17 : tensor<f32>) {
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
  %ub17 = tensor.cast %bad17 : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%ub17) : (tensor<*xf32>) -> ()
  vector.print str "case topk\n"
  %c18 = arith.constant dense<[[[[1.81, -1.28, 0.57], [0.68, 0.03, -0.64], [-1.35, -0.49, 0.22], [1.89, -0.91, 1.44]], [[1.14, -0.53, 0.3], [-1.89, 1.92, -0.03], [-1.39, 1.17, 1.49], [0.95, 1.93, -0.89]]]]> : tensor<1x2x4x3xf32>
  %c19 = arith.constant dense<[[[[0.21, -0.24, 0.55], [-0.88, 0.73, -0.13], [-0.47, 0.8, -0.91], [-0.88, 0.73, -0.13]]]]> : tensor<1x1x4x3xf32>
  %c20 = arith.constant dense<[[[[-0.32, 0.93], [0.87, 0.84], [-0.8, 0.61], [-0.58, 0.3]]]]> : tensor<1x1x4x2xf32>
  %tk = attn.topk_attention %c18, %c19, %c20 {k = 2 : i64, scale = 0.5 : f32} : tensor<1x2x4x3xf32>, tensor<1x1x4x3xf32>, tensor<1x1x4x2xf32> -> tensor<1x2x4x2xf32>
  %tkc = attn.topk_attention %c18, %c19, %c20 {k = 2 : i64, mask = #attn.mask<causal = true>} : tensor<1x2x4x3xf32>, tensor<1x1x4x3xf32>, tensor<1x1x4x2xf32> -> tensor<1x2x4x2xf32>
  %c21 = arith.constant dense<[[[[-0.3943253104504289, 0.8804497984937151], [-0.5900337363374091, 0.749977522669847], [0.14500001072883606, 0.5699999928474426], [-0.2178743525277233, 0.8509349927584511]], [[-0.46050660356776135, 0.8363289391548769], [0.14500001072883606, 0.5699999928474426], [0.14500001072883606, 0.5699999928474426], [-0.3077262833250861, 0.589163020405719]]]]> : tensor<1x2x4x2xf32>
  %z22 = arith.constant dense<0.0> : tensor<f32>
  %bad22 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> ()>], iterator_types = ["reduction", "reduction", "reduction", "reduction"]}
      ins(%tk, %c21 : tensor<1x2x4x2xf32>, tensor<1x2x4x2xf32>) outs(%z22 : tensor<f32>) {
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
  %ub22 = tensor.cast %bad22 : tensor<f32> to tensor<*xf32>
  call @printMemrefF32(%ub22) : (tensor<*xf32>) -> ()
  %c23 = arith.constant dense<[[[[-0.3199999928474426, 0.9300000071525574], [0.2275402268547047, 0.888589386860078], [0.2151716278375502, 0.7498140464398269], [-0.24000025085440538, 0.868064721044168]], [[-0.3199999928474426, 0.9300000071525574], [0.7592186749667809, 0.8483783967990359], [0.5369308019581568, 0.865190090942327], [-0.3299870575422107, 0.5901052758819175]]]]> : tensor<1x2x4x2xf32>
  %z24 = arith.constant dense<0.0> : tensor<f32>
  %bad24 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> ()>], iterator_types = ["reduction", "reduction", "reduction", "reduction"]}
      ins(%tkc, %c23 : tensor<1x2x4x2xf32>, tensor<1x2x4x2xf32>) outs(%z24 : tensor<f32>) {
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
  %c25 = arith.constant dense<[[[[0.71, 0.49, -0.88]]]]> : tensor<1x1x1x3xf32>
  %c26 = arith.constant dense<[[[[0.19, -0.66, 0.66]]]]> : tensor<1x1x1x3xf32>
  %c27 = arith.constant dense<[[[[0.75, -1.5]]]]> : tensor<1x1x1x2xf32>
  %tk1 = attn.topk_attention %c25, %c26, %c27 {k = 1 : i64} : tensor<1x1x1x3xf32>, tensor<1x1x1x3xf32>, tensor<1x1x1x2xf32> -> tensor<1x1x1x2xf32>
  %us28 = tensor.cast %tk1 : tensor<1x1x1x2xf32> to tensor<*xf32>
  call @printMemrefF32(%us28) : (tensor<*xf32>) -> ()
  return
}

// CHECK-LABEL: case linformer
// CHECK: data =
// CHECK-NEXT: [0]

// CHECK-LABEL: case aft
// CHECK: data =
// CHECK-NEXT: [0]
// CHECK: data =
// CHECK-NEXT: [0]
// CHECK: data =
// CHECK-NEXT: [0]

// CHECK-LABEL: case topk
// CHECK: data =
// CHECK-NEXT: [0]
// CHECK: data =
// CHECK-NEXT: [0]
// CHECK: data =
// CHECK-NEXT: {{\[\[\[\[}}0.75,   -1.5]]]]

