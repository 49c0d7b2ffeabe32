// attn-lower-to-cpu tiles attention into one scf.forall over (batch, query
// head); with threads=1 it runs in the caller's thread, with more its
// iterations become tasks of MLIR's async runtime (the module then calls
// libmlir_async_runtime.so).
// RUN: attn-opt %s --attn-lower-to-cpu | FileCheck %s --check-prefix=ONE --implicit-check-not=mlirAsyncRuntime
// RUN: attn-opt %s --attn-lower-to-cpu="threads=4" | FileCheck %s --check-prefix=FOUR
// RUN: attn-opt %s --attn-flash-tile="parallel-heads=1" | FileCheck %s --check-prefix=FORALL

// ONE-LABEL: llvm.func @sdpa
// FOUR-LABEL: llvm.func @sdpa
// FOUR: llvm.call @mlirAsyncRuntimeCreateGroup
// FOUR: llvm.call @mlirAsyncRuntimeAwaitAllInGroup
// FOUR-DAG: llvm.func @mlirAsyncRuntimeExecute

// FORALL-LABEL: func.func @sdpa
// FORALL:         scf.forall (%[[B:.*]], %[[H:.*]]) in (2, 4) shared_outs(%[[O:.*]] = %{{.*}}) -> (tensor<2x4x100x32xf32>)
// FORALL:           %[[S:.*]] = tensor.extract_slice %[[O]][%[[B]], %[[H]], %{{.*}}, 0] [1, 1, 100, 32] [1, 1, 1, 1]
// FORALL:           scf.for {{.*}} iter_args(%{{.*}} = %[[S]])
// FORALL:           scf.forall.in_parallel {
// FORALL-NEXT:        tensor.parallel_insert_slice %{{.*}} into %[[O]][%[[B]], %[[H]], %{{.*}}, 0] [1, 1, 100, 32] [1, 1, 1, 1]
func.func @sdpa(%q: tensor<2x4x100x32xf32>, %k: tensor<2x4x100x32xf32>, %v: tensor<2x4x100x32xf32>) -> tensor<2x4x100x32xf32> {
  %o = attn.sdpa %q, %k, %v : tensor<2x4x100x32xf32>, tensor<2x4x100x32xf32>, tensor<2x4x100x32xf32> -> tensor<2x4x100x32xf32>
  return %o : tensor<2x4x100x32xf32>
}
