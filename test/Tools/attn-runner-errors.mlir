// attn-runner error paths: each gives one clear message and exit code 1.

// RUN: not attn-runner %S/Inputs/does-not-exist.mlir --entry=main 2>&1 | FileCheck %s --check-prefix=NOFILE
// NOFILE: attn-runner: error: cannot open input file '{{.*}}does-not-exist.mlir': No such file or directory

// RUN: not attn-runner %S/Inputs/attn-runner-syntax-error.mlir --entry=main 2>&1 | FileCheck %s --check-prefix=SYNTAX
// SYNTAX: attn-runner-syntax-error.mlir:2:28: error: expected operation name in quotes
// SYNTAX: attn-runner: error: cannot parse '{{.*}}attn-runner-syntax-error.mlir'

// RUN: not attn-runner %S/Inputs/attn-runner-verify-error.mlir --entry=main 2>&1 | FileCheck %s --check-prefix=VERIFY
// VERIFY: attn-runner-verify-error.mlir:3:8: error: 'attn.sdpa' op expected
// VERIFY: attn-runner: error: cannot parse '{{.*}}attn-runner-verify-error.mlir'

// RUN: not attn-runner %s --entry=nope 2>&1 | FileCheck %s --check-prefix=ENTRY
// ENTRY: attn-runner: error: unknown entry @nope: no func.func of that name in '{{.*}}attn-runner-errors.mlir'

// RUN: not attn-runner %s --entry=decl 2>&1 | FileCheck %s --check-prefix=DECL
// DECL: attn-runner: error: entry @decl is a declaration without a body

// RUN: not attn-runner %S/Inputs/attn-runner-reserved.mlir --entry=main 2>&1 | FileCheck %s --check-prefix=RESERVED
// RESERVED: attn-runner: error: the module already defines @__attn_runner_entry, a name attn-runner reserves

// RUN: not attn-runner %s --entry=dynamic 2>&1 | FileCheck %s --check-prefix=DYNAMIC
// DYNAMIC: attn-runner: error: @dynamic: expected argument #0 to have a static shape, got tensor<?x4xf32>

// RUN: not attn-runner %s --entry=scalar 2>&1 | FileCheck %s --check-prefix=SCALAR
// SCALAR: attn-runner: error: @scalar: expected argument #1 to be a ranked tensor, got f32

// RUN: not attn-runner %s --entry=index_result 2>&1 | FileCheck %s --check-prefix=ELT
// ELT: attn-runner: error: @index_result: unsupported element type of result #0: tensor<4xindex> (supported: f16, bf16, f32, f64, i1, i8, i32, i64)

// RUN: not attn-runner %s --entry=copy --pipeline='bogus-pass' 2>&1 | FileCheck %s --check-prefix=BADPASS
// BADPASS: attn-runner: error: invalid --pipeline 'bogus-pass': MLIR Textual PassPipeline Parser:1:1: error: 'bogus-pass' does not refer to a registered pass or pass pipeline

// RUN: not attn-runner %s --entry=copy --pipeline='canonicalize{' 2>&1 | FileCheck %s --check-prefix=BADSYNTAX
// BADSYNTAX: attn-runner: error: invalid --pipeline 'canonicalize{': {{.*}} error: missing closing '}' while processing pass options

// A pass of the pipeline fails (only the entry and what it calls are
// compiled: the failing op is in the entry).
// RUN: not attn-runner %s --entry=unlowered --pipeline='one-shot-bufferize' 2>&1 | FileCheck %s --check-prefix=PASSFAIL
// PASSFAIL: attn-runner-errors.mlir:{{[0-9]+}}:{{[0-9]+}}: error: op was not bufferized
// PASSFAIL: attn-runner: error: lowering '{{.*}}attn-runner-errors.mlir' with 'one-shot-bufferize' failed

// The pipeline succeeds but stops short of the LLVM dialect.
// RUN: not attn-runner %s --entry=copy --pipeline='canonicalize' 2>&1 | FileCheck %s --check-prefix=NOTLLVM
// NOTLLVM: attn-runner: error: the pipeline 'canonicalize' did not lower the module to the LLVM dialect: 'func.func' remains at loc("{{.*}}attn-runner-errors.mlir":{{[0-9]+}}:1)

// RUN: not attn-runner %S/Inputs/attn-runner-llvm.mlir --entry=main 2>&1 | FileCheck %s --check-prefix=LLVMNOSIG
// LLVMNOSIG: attn-runner: error: '{{.*}}attn-runner-llvm.mlir' is already in the LLVM dialect but has no attn_runner.entry/attn_runner.signature attributes (only modules printed by attn-runner --dump-llvm can be run after lowering)

// RUN: not attn-runner %s --entry=copy --input=%S/Inputs/sdpa-q.npy --input=%S/Inputs/sdpa-k.npy 2>&1 | FileCheck %s --check-prefix=COUNT
// COUNT: attn-runner: error: expected 1 --input files (one per argument of @copy), got 2

// RUN: not attn-runner %s --entry=copy --input=%S/Inputs/missing.npy 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: attn-runner: error: input for argument #0 of @copy (tensor<1x2x3x4xf32>): cannot read '{{.*}}missing.npy': No such file or directory

// RUN: not attn-runner %s --entry=copy --input=%S/Inputs/not-npy.npy 2>&1 | FileCheck %s --check-prefix=NOTNPY
// NOTNPY: attn-runner: error: input for argument #0 of @copy (tensor<1x2x3x4xf32>): '{{.*}}not-npy.npy' is not a valid .npy file: bad magic string

// RUN: not attn-runner %s --entry=copy --input=%S/Inputs/sdpa-q-fortran.npy 2>&1 | FileCheck %s --check-prefix=FORTRAN
// FORTRAN: attn-runner: error: input for argument #0 of @copy (tensor<1x2x3x4xf32>): '{{.*}}sdpa-q-fortran.npy' is not a valid .npy file: fortran_order arrays are not supported

// RUN: not attn-runner %s --entry=copy --input=%S/Inputs/sdpa-q-f64.npy 2>&1 | FileCheck %s --check-prefix=DTYPE
// DTYPE: attn-runner: error: input '{{.*}}sdpa-q-f64.npy' for argument #0 of @copy (tensor<1x2x3x4xf32>): expected dtype '<f4', got '<f8'

// RUN: not attn-runner %s --entry=copy_bf16 --input=%S/Inputs/sdpa-q-f64.npy 2>&1 | FileCheck %s --check-prefix=DTYPE-BF16
// DTYPE-BF16: attn-runner: error: input '{{.*}}sdpa-q-f64.npy' for argument #0 of @copy_bf16 (tensor<1x2x3x4xbf16>): expected dtype '<f4' (bf16 arguments take float32 .npy), got '<f8'

// RUN: not attn-runner %s --entry=copy --input=%S/Inputs/sdpa-q-short.npy 2>&1 | FileCheck %s --check-prefix=SHAPE
// SHAPE: attn-runner: error: input '{{.*}}sdpa-q-short.npy' for argument #0 of @copy (tensor<1x2x3x4xf32>): expected shape [1, 2, 3, 4], got [1, 2, 2, 4]

// RUN: not attn-runner %s --entry=copy --repeat=0 2>&1 | FileCheck %s --check-prefix=REPEAT
// REPEAT: attn-runner: error: expected --repeat >= 1, got 0

// RUN: not attn-runner %s --entry=copy --out-dir=%s/sub 2>&1 | FileCheck %s --check-prefix=OUTDIR
// OUTDIR: attn-runner: error: cannot create --out-dir '{{.*}}attn-runner-errors.mlir/sub':

func.func @copy(%x: tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32> {
  return %x : tensor<1x2x3x4xf32>
}

func.func @copy_bf16(%x: tensor<1x2x3x4xbf16>) -> tensor<1x2x3x4xbf16> {
  return %x : tensor<1x2x3x4xbf16>
}

func.func private @decl(tensor<4xf32>) -> tensor<4xf32>

func.func @dynamic(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  return %x : tensor<?x4xf32>
}

func.func @scalar(%x: tensor<4xf32>, %s: f32) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

func.func @index_result(%x: tensor<4xf32>) -> tensor<4xindex> {
  %c = arith.constant dense<0> : tensor<4xindex>
  return %c : tensor<4xindex>
}

// attn ops do not bufferize: a pipeline without convert-attn-to-linalg
// fails on them.
func.func @unlowered(%q: tensor<1x1x2x4xf32>) -> tensor<1x1x2x4xf32> {
  %o = attn.sdpa %q, %q, %q : tensor<1x1x2x4xf32>, tensor<1x1x2x4xf32>,
      tensor<1x1x2x4xf32> -> tensor<1x1x2x4xf32>
  return %o : tensor<1x1x2x4xf32>
}
