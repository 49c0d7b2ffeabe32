// attn-opt, and attn-runner like it, take the --mlir-* options: timing,
// IR printing around passes, the crash reproducer (checked with
// attn-compile, test/Target/attn-compile-options.test). attn-runner's --help
// lists them next to its own options, and shows the defaults.

// RUN: attn-opt %s --attn-lower-to-cpu --mlir-timing -o /dev/null 2>&1 \
// RUN: | FileCheck %s --check-prefix=OPT-TIMING
// OPT-TIMING: Execution time report
// OPT-TIMING: Total Execution Time:
// OPT-TIMING: Wall Time
// OPT-TIMING: Parser
// OPT-TIMING: Canonicalizer

// RUN: attn-runner %s --entry=sdpa --mlir-timing 2>&1 \
// RUN: | FileCheck %s --check-prefix=RUN-TIMING
// RUN-TIMING: Execution time report
// RUN-TIMING: Total Execution Time:
// RUN-TIMING: Wall Time
// RUN-TIMING: Parse
// RUN-TIMING: Lower
// RUN-TIMING: Canonicalizer
// RUN-TIMING: JIT compile
// RUN-TIMING: Run

// RUN: attn-runner %s --entry=sdpa --mlir-timing --mlir-timing-display=list \
// RUN:   --mlir-output-format=json 2>&1 | FileCheck %s --check-prefix=RUN-JSON
// RUN-JSON: "name": "Lower"

// RUN: attn-runner %s --entry=sdpa --mlir-print-ir-after=canonicalize \
// RUN:   --mlir-disable-threading 2>&1 | FileCheck %s --check-prefix=PRINT-IR
// PRINT-IR: // -----// IR Dump After Canonicalizer (canonicalize)

// RUN: attn-runner --help | FileCheck %s --check-prefix=HELP
// HELP: MLIR options:
// HELP: --mlir-pass-pipeline-crash-reproducer=
// HELP: --mlir-print-ir-after-all
// HELP: --mlir-timing
// HELP: attn-runner options:
// HELP: --pipeline=<string> {{.*}}default: attn-lower-to-cpu)
// HELP: --random-seed=<ulong> {{.*}}(default: 0)
// HELP: --repeat=<uint> {{.*}}(default: 1)

func.func @sdpa(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x4x8xf32>,
                %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %o = attn.sdpa %q, %k, %v : tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>,
         tensor<1x2x4x8xf32> -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}
