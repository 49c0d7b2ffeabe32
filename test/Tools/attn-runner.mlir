// attn-runner happy paths. The expected summaries are numpy float64 values of
// the same attention (Inputs/sdpa-*.npy, generated once with numpy), checked
// to 4-5 significant digits.

// .npy inputs, the reference lowering.
// RUN: rm -rf %t && mkdir -p %t
// RUN: attn-runner %s --entry=causal --pipeline='attn-lower-to-cpu{flash=false}' \
// RUN:   --input=%S/Inputs/sdpa-q.npy --input=%S/Inputs/sdpa-k.npy \
// RUN:   --input=%S/Inputs/sdpa-v.npy --out-dir=%t/out --print-summary \
// RUN: | FileCheck %s --check-prefix=SUMMARY
// SUMMARY: result 0: shape [1, 2, 3, 2] dtype float32 min -3.9171{{[0-9]+}}e-01 max 4.7335{{[0-9]+}}e-01 mean 7.187{{[0-9]+}}e-02 checksum 8.624{{[0-9]+}}e-01 nonfinite 0
// SUMMARY-NEXT: result 1: shape [1, 2, 3] dtype float32 min 1.0134{{[0-9]+}}e+00 max 1.9652{{[0-9]+}}e+00 mean 1.3334{{[0-9]+}}e+00 checksum 8.0008{{[0-9]+}}e+00 nonfinite 0
// SUMMARY-NEXT: time: median {{[0-9.]+}} ms over 1 call(s)

// One .npy per result, in its element type, with the result's shape.
// RUN: ls %t/out | FileCheck %s --check-prefix=FILES
// FILES-NOT: in0.npy
// FILES: out0.npy
// FILES-NEXT: out1.npy
// RUN: head -c 118 %t/out/out0.npy | FileCheck %s --check-prefix=HEADER0
// HEADER0: {'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3, 2), }
// RUN: head -c 118 %t/out/out1.npy | FileCheck %s --check-prefix=HEADER1
// HEADER1: {'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3), }

// The same through the builtin.module(...) form of the default pipeline
// (flash tiling on): the same numbers.
// RUN: attn-runner %s --entry=causal --pipeline='builtin.module(attn-lower-to-cpu)' \
// RUN:   --input=%S/Inputs/sdpa-q.npy --input=%S/Inputs/sdpa-k.npy \
// RUN:   --input=%S/Inputs/sdpa-v.npy --print-summary \
// RUN: | FileCheck %s --check-prefix=SUMMARY

// The same on one thread and on three (the (batch, head) iterations as tasks
// of MLIR's async runtime), and with ATTN_NUM_THREADS: the same numbers.
// RUN: attn-runner %s --entry=causal --num-threads=1 \
// RUN:   --input=%S/Inputs/sdpa-q.npy --input=%S/Inputs/sdpa-k.npy \
// RUN:   --input=%S/Inputs/sdpa-v.npy --print-summary \
// RUN: | FileCheck %s --check-prefix=SUMMARY
// RUN: attn-runner %s --entry=causal --num-threads=3 \
// RUN:   --input=%S/Inputs/sdpa-q.npy --input=%S/Inputs/sdpa-k.npy \
// RUN:   --input=%S/Inputs/sdpa-v.npy --print-summary \
// RUN: | FileCheck %s --check-prefix=SUMMARY
// RUN: env ATTN_NUM_THREADS=2 attn-runner %s --entry=causal \
// RUN:   --input=%S/Inputs/sdpa-q.npy --input=%S/Inputs/sdpa-k.npy \
// RUN:   --input=%S/Inputs/sdpa-v.npy --print-summary \
// RUN: | FileCheck %s --check-prefix=SUMMARY

// The outputs of a run feed a later one.
// RUN: attn-runner %s --entry=identity --input=%t/out/out0.npy --print-summary \
// RUN: | FileCheck %s --check-prefix=IDENTITY
// IDENTITY: result 0: shape [1, 2, 3, 2] dtype float32 min -3.9171{{[0-9]+}}e-01 max 4.7335{{[0-9]+}}e-01 mean 7.187{{[0-9]+}}e-02 checksum 8.624{{[0-9]+}}e-01

// bf16 arguments take float32 .npy (rounded to nearest even); bf16 results
// are written as float32.
// RUN: attn-runner %s --entry=causal_bf16 --input=%S/Inputs/sdpa-q.npy \
// RUN:   --input=%S/Inputs/sdpa-k.npy --input=%S/Inputs/sdpa-v.npy \
// RUN:   --pipeline='attn-lower-to-cpu{flash=false}' --out-dir=%t/bf16 --print-summary \
// RUN: | FileCheck %s --check-prefix=BF16
// BF16: result 0: shape [1, 2, 3, 2] dtype bfloat16 min -3.9{{[0-9]+}}e-01 max 4.7{{[0-9]+}}e-01 mean 7.{{[0-9]+}}e-02 checksum 8.6{{[0-9]+}}e-01 nonfinite 0
// RUN: head -c 118 %t/bf16/out0.npy | FileCheck %s --check-prefix=HEADER-BF16
// HEADER-BF16: {'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3, 2), }

// Random inputs are reproducible: written as in<i>.npy with --out-dir, they
// give the same results when passed back.
// RUN: attn-runner %s --entry=lens --random-seed=5 --out-dir=%t/rand \
// RUN:   --print-summary | grep result > %t/rand1.txt
// RUN: attn-runner %s --entry=lens --input=%t/rand/in0.npy \
// RUN:   --input=%t/rand/in1.npy --input=%t/rand/in2.npy --input=%t/rand/in3.npy \
// RUN:   --print-summary | grep result > %t/rand2.txt
// RUN: diff %t/rand1.txt %t/rand2.txt
// RUN: attn-runner %s --entry=lens --random-seed=5 --print-summary \
// RUN: | grep result | diff %t/rand1.txt -
// RUN: ls %t/rand | FileCheck %s --check-prefix=RANDFILES
// RANDFILES: in0.npy
// RANDFILES-NEXT: in1.npy
// RANDFILES-NEXT: in2.npy
// RANDFILES-NEXT: in3.npy
// RANDFILES-NEXT: out0.npy
// The kv_lens argument (tensor<3xi32>) gets lengths in [1, Sk = 5]: the data
// of a 3-element <i4 .npy is its last 12 bytes.
// RUN: tail -c 12 %t/rand/in3.npy | od -An -td4 | FileCheck %s --check-prefix=LENS
// LENS: {{^ +[1-5] +[1-5] +[1-5]$}}

// --repeat=N: one line per call and the median.
// RUN: attn-runner %s --entry=identity --input=%t/out/out0.npy --repeat=3 \
// RUN: | FileCheck %s --check-prefix=REPEAT
// REPEAT: call 0: {{[0-9.]+}} ms
// REPEAT-NEXT: call 1: {{[0-9.]+}} ms
// REPEAT-NEXT: call 2: {{[0-9.]+}} ms
// REPEAT-NEXT: time: median {{[0-9.]+}} ms over 3 call(s)

// --warmup=N calls first, untimed and unprinted.
// RUN: attn-runner %s --entry=identity --input=%t/out/out0.npy --warmup=3 --repeat=2 \
// RUN: | FileCheck %s --check-prefix=WARMUP --implicit-check-not="call 2:"
// WARMUP: call 0: {{[0-9.]+}} ms
// WARMUP-NEXT: call 1: {{[0-9.]+}} ms
// WARMUP-NEXT: time: median {{[0-9.]+}} ms over 2 call(s)

// --dump-llvm prints the lowered module with the wrapper and the entry's
// signature (only the entry and what it calls are compiled: the module's
// other functions are gone); attn-runner runs that module as is.
// RUN: attn-runner %s --entry=causal --pipeline='attn-lower-to-cpu{flash=false}' \
// RUN:   --input=%S/Inputs/sdpa-q.npy --input=%S/Inputs/sdpa-k.npy \
// RUN:   --input=%S/Inputs/sdpa-v.npy --dump-llvm > %t/lowered.mlir
// RUN: FileCheck %s --check-prefix=DUMP --implicit-check-not="llvm.func @identity" --implicit-check-not="llvm.func @causal_bf16" < %t/lowered.mlir
// DUMP: module attributes {attn_runner.entry = "causal", attn_runner.signature = (tensor<1x2x3x4xf32>, tensor<1x1x5x4xf32>, tensor<1x1x5x2xf32>) -> (tensor<1x2x3x2xf32>, tensor<1x2x3xf32>)
// DUMP: llvm.func @__attn_runner_entry(
// DUMP: llvm.func @_mlir_ciface___attn_runner_entry(
// RUN: attn-runner %t/lowered.mlir --entry=causal \
// RUN:   --input=%S/Inputs/sdpa-q.npy --input=%S/Inputs/sdpa-k.npy \
// RUN:   --input=%S/Inputs/sdpa-v.npy --print-summary \
// RUN: | FileCheck %s --check-prefix=SUMMARY

// The entry is inlined into the wrapper, and the flash path computes the
// results in the caller's buffers: no function of the entry's name, no
// buffer allocated for a result and copied after the call.
// RUN: attn-runner %s --entry=causal --num-threads=1 \
// RUN:   --input=%S/Inputs/sdpa-q.npy --input=%S/Inputs/sdpa-k.npy \
// RUN:   --input=%S/Inputs/sdpa-v.npy --dump-llvm \
// RUN: | FileCheck %s --check-prefix=INPLACE --implicit-check-not="llvm.func @causal(" \
// RUN:   --implicit-check-not="@_mlir_memref_to_llvm_alloc(" --implicit-check-not="@malloc("
// INPLACE: llvm.func @__attn_runner_entry(
// INPLACE: llvm.func @_mlir_ciface___attn_runner_entry(

func.func @causal(%q: tensor<1x2x3x4xf32>, %k: tensor<1x1x5x4xf32>,
                  %v: tensor<1x1x5x2xf32>)
    -> (tensor<1x2x3x2xf32>, tensor<1x2x3xf32>) {
  %o, %l = attn.sdpa %q, %k, %v
      {mask = #attn.mask<causal = true, align = bottom_right>}
      : tensor<1x2x3x4xf32>, tensor<1x1x5x4xf32>, tensor<1x1x5x2xf32>
      -> tensor<1x2x3x2xf32>, tensor<1x2x3xf32>
  return %o, %l : tensor<1x2x3x2xf32>, tensor<1x2x3xf32>
}

func.func @causal_bf16(%q: tensor<1x2x3x4xbf16>, %k: tensor<1x1x5x4xbf16>,
                       %v: tensor<1x1x5x2xbf16>) -> tensor<1x2x3x2xbf16> {
  %o = attn.sdpa %q, %k, %v
      {mask = #attn.mask<causal = true, align = bottom_right>}
      : tensor<1x2x3x4xbf16>, tensor<1x1x5x4xbf16>, tensor<1x1x5x2xbf16>
      -> tensor<1x2x3x2xbf16>
  return %o : tensor<1x2x3x2xbf16>
}

func.func @identity(%x: tensor<1x2x3x2xf32>) -> tensor<1x2x3x2xf32> {
  return %x : tensor<1x2x3x2xf32>
}

func.func @lens(%q: tensor<3x2x4x8xf16>, %k: tensor<3x2x5x8xf16>,
                %v: tensor<3x2x5x8xf16>, %l: tensor<3xi32>)
    -> tensor<3x2x4x8xf16> {
  %o = attn.sdpa %q, %k, %v kv_lens(%l : tensor<3xi32>)
      : tensor<3x2x4x8xf16>, tensor<3x2x5x8xf16>, tensor<3x2x5x8xf16>
      -> tensor<3x2x4x8xf16>
  return %o : tensor<3x2x4x8xf16>
}
