// attn-lower-to-cpu tiles attention into one scf.forall over (batch, query
// head); with threads=1 it runs in the caller's thread, with more its
// iterations become an OpenMP worksharing loop on that many threads (the
// module then calls libomp.so) or, with parallel-runtime=async, tasks of
// MLIR's async runtime (libmlir_async_runtime.so).
// RUN: attn-opt %s --attn-lower-to-cpu | FileCheck %s --check-prefix=ONE --implicit-check-not=mlirAsyncRuntime --implicit-check-not=omp.
// RUN: attn-opt %s --attn-lower-to-cpu="threads=4" | FileCheck %s --check-prefix=OMP --implicit-check-not=mlirAsyncRuntime
// RUN: attn-opt %s --attn-lower-to-cpu="threads=4 parallel-runtime=async" | FileCheck %s --check-prefix=FOUR --implicit-check-not=omp.
// RUN: not attn-opt %s --attn-lower-to-cpu="threads=4 parallel-runtime=tbb" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not attn-opt %s --attn-lower-to-cpu="vector-isa=sse" 2>&1 | FileCheck %s --check-prefix=BAD-ISA
// RUN: attn-opt %s --attn-flash-tile="parallel-heads=1" | FileCheck %s --check-prefix=FORALL
// RUN: attn-opt %s --attn-lower-to-cpu="jit-allocator=1" | FileCheck %s --check-prefix=JIT --implicit-check-not="llvm.call @malloc" --implicit-check-not="llvm.call @free"

// With jit-allocator, heap buffers come from the allocation functions that
// the CPU JIT defines (it reuses large buffers across calls). Here the
// output is the only one: the tile buffers are on the stack.
// JIT-DAG: llvm.func @_mlir_memref_to_llvm_alloc(i64) -> !llvm.ptr
// JIT-LABEL: llvm.func @sdpa
// JIT:         llvm.call @_mlir_memref_to_llvm_alloc
// JIT-NOT:     llvm.call @_mlir_memref_to_llvm

// In the caller's thread, the tile buffers of each (batch, head) iteration
// on the stack, released at its end; the output is the one heap buffer.
// ONE-LABEL: llvm.func @sdpa
// ONE:         llvm.call @malloc
// ONE-NOT:     llvm.call @malloc
// ONE:         %[[SP:.*]] = llvm.intr.stacksave : !llvm.ptr
// ONE-NEXT:    llvm.alloca
// ONE-NOT:     llvm.call @malloc
// ONE:         llvm.intr.stackrestore %[[SP]] : !llvm.ptr
// ONE-NOT:     llvm.call @malloc
// The forall's 2 x 4 iterations as one collapsed OpenMP loop on 4 threads;
// the tile buffers once per thread, on its stack, at the start of the
// parallel region.
// OMP-LABEL: llvm.func @sdpa
// OMP:         %[[N:.*]] = llvm.mlir.constant(4 : i32) : i32
// OMP:         llvm.call @malloc
// OMP:         omp.parallel num_threads(%[[N]] : i32) {
// OMP-NEXT:      llvm.alloca
// OMP:           omp.wsloop {
// OMP-NEXT:        omp.loop_nest (%{{.*}}, %{{.*}}) : i64 = (%{{.*}}, %{{.*}}) to (%{{.*}}, %{{.*}}) step (%{{.*}}, %{{.*}}) collapse(2) {
// OMP-NOT:           llvm.alloca
// OMP-NOT:           llvm.call @malloc
// OMP-NOT:           llvm.intr.stacksave
// OMP:             omp.yield
// OMP:           omp.terminator

// BAD: for the --parallel-runtime option: Cannot find option named 'tbb'!
// BAD-ISA: for the --vector-isa option: Cannot find option named 'sse'!

// FOUR-LABEL: llvm.func @sdpa
// FOUR: llvm.call @mlirAsyncRuntimeCreateGroup
// FOUR: llvm.call @mlirAsyncRuntimeAwaitAllInGroup
// FOUR-DAG: llvm.func @mlirAsyncRuntimeExecute

// FORALL-LABEL: func.func @sdpa
// FORALL:         scf.forall (%[[B:.*]], %[[H:.*]]) in (2, 4) shared_outs(%[[O:.*]] = %{{.*}}) -> (tensor<2x4x100x32xf32>)
// FORALL:           %[[S:.*]] = tensor.extract_slice %[[O]][%[[B]], %[[H]], %{{.*}}, 0] [1, 1, 100, 32] [1, 1, 1, 1]
// FORALL:           scf.for {{.*}} iter_args(%[[ACC:.*]] = %[[S]])
// The normalized tile is written into the output's own tile (in place once
// bufferized: no copy of it).
// FORALL:             %[[T:.*]] = tensor.extract_slice %[[ACC]][{{.*}}] [1, 1, %{{.*}}, 32] [1, 1, 1, 1] : tensor<1x1x100x32xf32> to tensor<?x32xf32>
// FORALL:             %[[N:.*]] = linalg.generic {{.*}} outs(%[[T]] : tensor<?x32xf32>)
// FORALL:             tensor.insert_slice %[[N]] into %[[ACC]]
// FORALL:           scf.forall.in_parallel {
// FORALL-NEXT:        tensor.parallel_insert_slice %{{.*}} into %[[O]][%[[B]], %[[H]], %{{.*}}, 0] [1, 1, 100, 32] [1, 1, 1, 1]
func.func @sdpa(%q: tensor<2x4x100x32xf32>, %k: tensor<2x4x100x32xf32>, %v: tensor<2x4x100x32xf32>) -> tensor<2x4x100x32xf32> {
  %o = attn.sdpa %q, %k, %v : tensor<2x4x100x32xf32>, tensor<2x4x100x32xf32>, tensor<2x4x100x32xf32> -> tensor<2x4x100x32xf32>
  return %o : tensor<2x4x100x32xf32>
}
