// RUN: attn-opt %s --split-input-file --attn-nvvm-kernel-abi --verify-diagnostics | FileCheck %s

// Tensor-map parameters become 128-byte byval grid constants; the dynamic
// shared memory becomes an extern 1024-byte aligned symbol. Other
// arguments and globals are left alone.

// CHECK: llvm.mlir.global external @__dynamic_shmem__0() {addr_space = 3 : i32, alignment = 1024 : i64} : !llvm.array<0 x i8>
// CHECK: llvm.mlir.global internal @tile() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<64 x i8>
// CHECK-LABEL: llvm.func @kernel(
// CHECK-SAME:    %{{.*}}: !llvm.ptr,
// CHECK-SAME:    %{{.*}}: !llvm.ptr {llvm.align = 64 : i64, llvm.byval = !llvm.array<128 x i8>, nvvm.grid_constant})
// CHECK-NOT:     attn.tensor_map_args
gpu.module @m {
  llvm.mlir.global internal @__dynamic_shmem__0() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<0 x i8>
  llvm.mlir.global internal @tile() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<64 x i8>
  llvm.func @kernel(%out: !llvm.ptr, %map: !llvm.ptr) attributes {nvvm.kernel, attn.tensor_map_args = array<i64: 1>} {
    llvm.return
  }
}

// -----

gpu.module @m {
  // expected-error @below {{'attn.tensor_map_args' names argument 0, which is not a pointer argument}}
  llvm.func @kernel(%n: i32) attributes {nvvm.kernel, attn.tensor_map_args = array<i64: 0>} {
    llvm.return
  }
}

// -----

gpu.module @m {
  // expected-error @below {{'attn.tensor_map_args' names argument 2, which is not a pointer argument}}
  llvm.func @kernel(%a: !llvm.ptr, %b: !llvm.ptr) attributes {nvvm.kernel, attn.tensor_map_args = array<i64: 2>} {
    llvm.return
  }
}

// -----

gpu.module @m {
  // expected-error @below {{has 'attn.tensor_map_args' but is not an NVVM kernel}}
  llvm.func @helper(%a: !llvm.ptr) attributes {attn.tensor_map_args = array<i64: 0>} {
    llvm.return
  }
}
