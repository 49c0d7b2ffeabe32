// RUN: attn-opt %s --verify-diagnostics --attn-check-gpu-support="chip=sm_75"
// RUN: not attn-opt %s --attn-lower-to-gpu="chip=sm_89" 2>&1 | FileCheck %s

// CHECK: error: unsupported GPU chip 'sm_89', expected sm_80 or sm_90a
// expected-error @+1 {{unsupported GPU chip 'sm_75', expected sm_80 or sm_90a}}
module {
}
