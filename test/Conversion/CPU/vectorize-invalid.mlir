// RUN: attn-opt %s --attn-cpu-vectorize="tile-m=0" -verify-diagnostics

// expected-error @+1 {{expected positive tile-m, tile-n, tile-k and vector-width and a non-negative max-inner, got 0, 32, 1, 16 and 64}}
func.func @bad_options() {
  return
}
