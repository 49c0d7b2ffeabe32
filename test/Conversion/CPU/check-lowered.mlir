// RUN: attn-opt %s --attn-check-lowered --split-input-file --verify-diagnostics

// A module in the LLVM dialect passes.
llvm.func @fine(%x: f32) -> f32 {
  llvm.return %x : f32
}

// -----

// The first operation outside the LLVM dialect is the error.
llvm.func @left(%x: f32) -> f32 {
  // expected-error @+1 {{'arith.addf' was not lowered to the LLVM dialect: the pipeline has no lowering for it}}
  %y = arith.addf %x, %x : f32
  llvm.return %y : f32
}
