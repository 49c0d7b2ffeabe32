// RUN: not attn-opt %s --attn-cpu-vectorize="tile-m=0" 2>&1 | FileCheck %s
// RUN: not attn-opt %s --attn-lower-to-cpu="tile-q=0" 2>&1 | FileCheck %s --check-prefix=PIPE

// A bad option value is reported like one that does not parse: the
// message alone, not the module.
// CHECK: error: expected positive tile-m, tile-n, tile-k, vector-width and threads and a non-negative max-inner, got 0, 32, 1, 16, 1 and 64
// CHECK-NOT: see current operation
// CHECK-NOT: func.func

// A pipeline's option reaches the pass unchecked: the error is at the
// module's location, without printing it.
// PIPE: error: expected positive tile sizes, got tile-q = 0 and tile-kv = 64
// PIPE-NOT: see current operation
// PIPE-NOT: func.func
func.func @bad_options() {
  return
}
