// RUN: attn-opt %s --attn-math-to-nvvm | FileCheck %s

// f32 exp2/log2 become the PTX approximate instructions; other types and
// other math ops are left alone.
// CHECK-LABEL: func.func @math
// CHECK:         %[[E:.*]] = llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f"(%arg0) : (f32) -> f32
// CHECK:         %[[L:.*]] = llvm.call_intrinsic "llvm.nvvm.lg2.approx.f"(%[[E]]) : (f32) -> f32
// CHECK:         math.exp2 %arg1 : f16
// CHECK:         math.exp2 %arg2 : vector<4xf32>
// CHECK:         math.tanh %[[L]] : f32
func.func @math(%x: f32, %h: f16, %v: vector<4xf32>) -> (f32, f16, vector<4xf32>) {
  %e = math.exp2 %x : f32
  %l = math.log2 %e : f32
  %eh = math.exp2 %h : f16
  %ev = math.exp2 %v : vector<4xf32>
  %t = math.tanh %l : f32
  return %t, %eh, %ev : f32, f16, vector<4xf32>
}
