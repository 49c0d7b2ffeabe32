// RUN: attn-opt %s --split-input-file --attn-cpu-lower-vectors | FileCheck %s
// RUN: attn-opt %s --split-input-file --attn-cpu-lower-vectors=avx512=1 | FileCheck %s --check-prefix=AVX512

// math.exp2 on f32 vectors becomes a polynomial on the fraction times two
// powers of two built in the exponent field: no libm call per element.
// CHECK-LABEL: func.func @vector(
// CHECK-SAME:      %[[X:.*]]: vector<16xf32>)
// CHECK-NOT:     math.exp2
// CHECK-DAG:     %[[LO:.*]] = arith.constant dense<-1.510000e+02> : vector<16xf32>
// CHECK-DAG:     %[[HI:.*]] = arith.constant dense<1.280000e+02> : vector<16xf32>
// CHECK:         %[[MAX:.*]] = arith.maximumf %[[X]], %[[LO]] : vector<16xf32>
// CHECK:         %[[XC:.*]] = arith.minimumf %[[MAX]], %[[HI]] : vector<16xf32>
// CHECK:         %[[MAXN:.*]] = arith.maxnumf %[[X]], %[[LO]] : vector<16xf32>
// CHECK:         %[[XN:.*]] = arith.minnumf %[[MAXN]], %[[HI]] : vector<16xf32>
// CHECK:         %[[N:.*]] = math.roundeven %[[XN]] : vector<16xf32>
// CHECK:         %[[F:.*]] = arith.subf %[[XC]], %[[N]] : vector<16xf32>
// CHECK-COUNT-6: math.fma
// CHECK:         %[[NI:.*]] = arith.fptosi %[[N]] : vector<16xf32> to vector<16xi32>
// CHECK:         %[[N1:.*]] = arith.shrsi %[[NI]]
// CHECK:         %[[N2:.*]] = arith.subi %[[NI]], %[[N1]]
// CHECK:         arith.bitcast {{.*}} : vector<16xi32> to vector<16xf32>
// CHECK:         arith.mulf
// CHECK:         arith.bitcast {{.*}} : vector<16xi32> to vector<16xf32>
// CHECK:         %[[R:.*]] = arith.mulf
// CHECK:         return %[[R]]
func.func @vector(%x: vector<16xf32>) -> vector<16xf32> {
  %y = math.exp2 %x : vector<16xf32>
  return %y : vector<16xf32>
}

// -----

// Scalars and n-D vectors too.
// CHECK-LABEL: func.func @scalar_and_2d(
// CHECK-NOT:     math.exp2
// CHECK:         math.roundeven {{.*}} : f32
// CHECK:         math.roundeven {{.*}} : vector<2x8xf32>
func.func @scalar_and_2d(%x: f32, %v: vector<2x8xf32>) -> (f32, vector<2x8xf32>) {
  %y = math.exp2 %x : f32
  %w = math.exp2 %v : vector<2x8xf32>
  return %y, %w : f32, vector<2x8xf32>
}

// -----

// Other element types are left to their lowering.
// CHECK-LABEL: func.func @f16(
// CHECK:         math.exp2 %{{.*}} : vector<8xf16>
// CHECK:         math.exp2 %{{.*}} : f64
func.func @f16(%x: vector<8xf16>, %d: f64) -> (vector<8xf16>, f64) {
  %y = math.exp2 %x : vector<8xf16>
  %e = math.exp2 %d : f64
  return %y, %e : vector<8xf16>, f64
}

// -----

// With avx512, a vector of a multiple of 16 lanes applies 2^n by vscalefps,
// 16 lanes at a time (the op's operands go to the intrinsic as value,
// exponent, pass-through; all 16 lanes, the current rounding); other
// widths and scalars keep the exponent-field construction.
// AVX512-LABEL: func.func @scalef(
// AVX512-DAG:     %[[ALL:.*]] = arith.constant -1 : i16
// AVX512-DAG:     %[[CUR:.*]] = arith.constant 4 : i32
// The exponent stays a float: the NaN-propagating clamp serves both.
// AVX512-NOT:     arith.maxnumf
// AVX512:         %[[XC:.*]] = arith.minimumf %{{.*}} : vector<32xf32>
// AVX512-NOT:     arith.maxnumf
// AVX512:         %[[N:.*]] = math.roundeven %[[XC]] : vector<32xf32>
// AVX512-COUNT-5: math.fma
// AVX512:         %[[Y:.*]] = math.fma {{.*}} : vector<32xf32>
// AVX512:         %[[Y0:.*]] = vector.shuffle %[[Y]], %[[Y]] [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]
// AVX512:         %[[N0:.*]] = vector.shuffle %[[N]], %[[N]] [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]
// AVX512:         x86vector.avx512.mask.scalef %[[Y0]], %[[N0]], %[[Y0]], %[[ALL]], %[[CUR]] : vector<16xf32>
// AVX512:         %[[Y1:.*]] = vector.shuffle %[[Y]], %[[Y]] [16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31]
// AVX512:         %[[N1:.*]] = vector.shuffle %[[N]], %[[N]] [16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31]
// AVX512:         x86vector.avx512.mask.scalef %[[Y1]], %[[N1]], %[[Y1]], %[[ALL]], %[[CUR]] : vector<16xf32>
// AVX512-NOT:     x86vector
// AVX512:         arith.fptosi {{.*}} : vector<8xf32> to vector<8xi32>
// AVX512-NOT:     x86vector
// AVX512:         return
func.func @scalef(%x: vector<32xf32>, %s: vector<8xf32>) -> (vector<32xf32>, vector<8xf32>) {
  %y = math.exp2 %x : vector<32xf32>
  %t = math.exp2 %s : vector<8xf32>
  return %y, %t : vector<32xf32>, vector<8xf32>
}
