// RUN: attn-opt %s --split-input-file --attn-cpu-lower-vectors | FileCheck %s

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
