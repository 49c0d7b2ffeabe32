// RUN: attn-runner %s --entry=paged --print-summary 2>&1 | FileCheck %s --check-prefix=PAGED
// RUN: attn-runner %s --entry=append --print-summary 2>&1 | FileCheck %s --check-prefix=APPEND
// RUN: attn-runner %s --entry=gather --print-summary 2>&1 | FileCheck %s --check-prefix=GATHER
// RUN: not attn-runner %s --entry=masked 2>&1 | FileCheck %s --check-prefix=REFUSE

// Without --input, integer arguments get random values that are valid for
// their role (block ids of the pool, lengths within the table), and the
// runner says which it made; an index input whose valid values it does not
// know is refused rather than guessed.

// PAGED-DAG: attn-runner: argument #3 (block table of attn.paged_attention) is random but valid: block ids in [0, 8)
// PAGED-DAG: attn-runner: argument #4 (context lengths of attn.paged_attention) is random but valid: values in [0, 12]
// PAGED-DAG: result 0: shape [2, 4, 1, 16] dtype float32 {{.*}} nonfinite 0
func.func @paged(%q: tensor<2x4x1x16xf32>, %kc: tensor<8x4x2x16xf32>, %vc: tensor<8x4x2x16xf32>, %t: tensor<2x3xi32>, %l: tensor<2xi32>) -> tensor<2x4x1x16xf32> {
  %o = attn.paged_attention %q, %kc, %vc, %t, %l : tensor<2x4x1x16xf32>, tensor<8x4x2x16xf32>, tensor<8x4x2x16xf32>, tensor<2x3xi32>, tensor<2xi32> -> tensor<2x4x1x16xf32>
  return %o : tensor<2x4x1x16xf32>
}

// APPEND-DAG: argument #4 (block table of attn.kv_cache_append) is random but valid: block ids in [0, 8)
// APPEND-DAG: argument #5 (cache lengths of attn.kv_cache_append) is random but valid: values in [0, 10]
// APPEND-DAG: argument #6 (new lengths of attn.kv_cache_append) is random but valid: values in [0, 2]
func.func @append(%kc: tensor<8x4x2x16xf32>, %vc: tensor<8x4x2x16xf32>, %k: tensor<2x2x2x16xf32>, %v: tensor<2x2x2x16xf32>, %t: tensor<2x3xi32>, %l: tensor<2xi32>, %n: tensor<2xi32>) -> (tensor<8x4x2x16xf32>, tensor<8x4x2x16xf32>) {
  %kc2, %vc2 = attn.kv_cache_append %kc, %vc, %k, %v, %t, %l new_lens(%n : tensor<2xi32>) : tensor<8x4x2x16xf32>, tensor<8x4x2x16xf32>, tensor<2x2x2x16xf32>, tensor<2x2x2x16xf32>, tensor<2x3xi32>, tensor<2xi32>
  return %kc2, %vc2 : tensor<8x4x2x16xf32>, tensor<8x4x2x16xf32>
}

// GATHER-DAG: argument #1 (block table of attn.paged_gather) is random but valid: block ids in [0, 8)
// GATHER-DAG: argument #2 (context lengths of attn.paged_gather) is random but valid: values in [0, 12]
// GATHER-DAG: result 0: shape [2, 2, 12, 16] dtype float32 {{.*}} nonfinite 0
func.func @gather(%kc: tensor<8x2x4x16xf32>, %t: tensor<2x3xi32>, %l: tensor<2xi32>) -> tensor<2x2x12x16xf32> {
  %g = attn.paged_gather %kc, %t, %l {cache_layout = #attn<cache_layout hnd>} : tensor<8x2x4x16xf32>, tensor<2x3xi32>, tensor<2xi32> -> tensor<2x2x12x16xf32>
  return %g : tensor<2x2x12x16xf32>
}

// REFUSE: error: argument #1 of @masked is an operand of attn.mask: random values would not be valid; pass every argument with --input
func.func @masked(%s: tensor<2x8x16x32xf32>, %lens: tensor<2xi32>) -> tensor<2x8x16x32xf32> {
  %m = attn.mask %s kv_lens(%lens : tensor<2xi32>) : tensor<2x8x16x32xf32>
  return %m : tensor<2x8x16x32xf32>
}
