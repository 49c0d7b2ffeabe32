// Code lowered for AVX-512 (vector-isa=avx512: exp2 scales by vscalefps)
// runs where the CPU has AVX-512, and is refused with a message elsewhere
// (LLVM would abort selecting its instructions).
// RUN: %if avx512 %{ attn-runner %s --entry=sdpa --pipeline='attn-lower-to-cpu{vector-isa=avx512}' --print-summary | FileCheck %s --check-prefix=RUNS %}
// RUN: %if !avx512 %{ not attn-runner %s --entry=sdpa --pipeline='attn-lower-to-cpu{vector-isa=avx512}' 2>&1 | FileCheck %s --check-prefix=REFUSED %}
// The same function lowered for AVX2 runs on either.
// RUN: attn-runner %s --entry=sdpa --pipeline='attn-lower-to-cpu{vector-isa=avx2}' --print-summary | FileCheck %s --check-prefix=RUNS
// RUNS: result 0: shape [1, 2, 16, 16] dtype float32 {{.*}} nonfinite 0
// REFUSED: attn-runner: error: the module was lowered for AVX-512 (vector-isa=avx512), which this CPU does not have: an AVX-512 instruction at {{.*}}; lower it with vector-isa=host or avx2

func.func @sdpa(%q: tensor<1x2x16x16xf32>, %k: tensor<1x2x16x16xf32>,
                %v: tensor<1x2x16x16xf32>) -> tensor<1x2x16x16xf32> {
  %o = attn.sdpa %q, %k, %v
      : tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>
      -> tensor<1x2x16x16xf32>
  return %o : tensor<1x2x16x16xf32>
}
