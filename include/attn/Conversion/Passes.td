//===- Passes.td - attn conversion passes ------------------*- tablegen -*-===//
//
// Conversions out of the attn dialect (to linalg/tensor/scf for the CPU, to
// GPU kernels). Flags start with `convert-attn-`.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_CONVERSION_PASSES
#define ATTN_CONVERSION_PASSES

include "mlir/Pass/PassBase.td"

// Pass definitions follow, one per conversion.

def ConvertAttnToLinalgPass : Pass<"convert-attn-to-linalg"> {
  let summary = "Lower every attn op to linalg, tensor, arith, math and scf";
  let description = [{
    Rewrites each attn op into upstream ops on tensors with the semantics
    documented on the op. `attn.sdpa` becomes the reference decomposition
    (scores, masks, a numerically safe softmax, P·V); run `attn-flash-tile`
    first to get the tiled online-softmax form instead. An attn op without a
    lowering is reported as an error and the pass fails.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def PagedAttentionToSdpaPass : Pass<"attn-paged-attention-to-sdpa"> {
  let summary = "Rewrite attn.paged_attention as attn.sdpa over gathered pools";
  let description = [{
    For the CPU's flash path (`attn-lower-to-cpu` runs it before
    `attn-flash-tile`): each statically shaped `attn.paged_attention` becomes
    one `attn.sdpa` whose keys and values are `attn.paged_gather`s of the
    pools (dense `[B, Hkv, L, D]`, L = blocks per sequence × block size).
    Quantized pools are gathered as codes (per-token scales and zero points
    too) and then `attn.dequantize`d. The `attn.sdpa` gets the context
    lengths as `kv_lens`, the op's mask aligned bottom-right, its scale and
    softcap, and a boolean `attn_mask` `[B, 1, 1, L]` that hides keys of
    invalid block ids. `attn-flash-tile` reads each key tile of such an
    `attn.sdpa` through the block table, from the pools; a gather that is
    left becomes row copies in `convert-attn-to-linalg`. Ops with dynamic
    shapes are left to `convert-attn-to-linalg` (the unfused lowering).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect"
  ];
}

//===----------------------------------------------------------------------===//
// GPU code generation (attn-lower-to-gpu), passes in pipeline order
//===----------------------------------------------------------------------===//

def CheckGPUSupportPass : Pass<"attn-check-gpu-support", "::mlir::ModuleOp"> {
  let summary = "Check that every attn op can be compiled to a GPU kernel";
  let description = [{
    The first pass of `attn-lower-to-gpu`. It reports, at the op, every reason
    the GPU pipeline cannot compile the module and fails if there is one:
    - a chip other than `sm_80` or `sm_90a`;
    - an attn op other than `attn.sdpa`;
    - varlen (`cu_seqlens`) `attn.sdpa` that the tensor-core kernel does not
      take (or any, without `tensor-cores`), dynamic shapes, element types
      other than f16, bf16 and f32;
    - an `attn.sdpa` whose operands are not arguments of its function or
      whose results are not returned directly (every tensor must be a kernel
      parameter: the kernel launch ABI is made of the function's arguments
      and results).
    It names the function arguments and results after the operands of the op
    (`attn.param = "query"`, ...) so that the kernel ABI can name its
    parameters.
  }];
  let options = [
    Option<"chip", "chip", "std::string", /*default=*/"\"sm_80\"",
           "Target chip (sm_80 or sm_90a)">,
    Option<"tensorCores", "tensor-cores", "bool", /*default=*/"false",
           "attn-sdpa-to-mma runs next: accept what only the tensor-core "
           "kernel implements (varlen)">
  ];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def SdpaToMmaPass : Pass<"attn-sdpa-to-mma", "::mlir::ModuleOp"> {
  let summary = "Compile attn.sdpa to a tensor-core (mma.sync) kernel";
  let description = [{
    Replaces each `attn.sdpa` the tensor-core kernel supports by a
    `gpu.launch_func` of a generated `gpu.func` (in its own `gpu.module`)
    that computes it with `mma.sync.m16n8k16`, FlashAttention-2 style: one
    CTA of 8 warps per (128 query rows, query head, batch) (4 warps when the
    queries fit in 64 rows; 4 warps of 32 rows each, two m16 tiles sharing
    every K and V fragment, with `warp-rows=32`, the default at Dv = 64),
    Q fragments in registers (at Dqk = 128 with 32 rows, read from shared
    memory each key tile), a loop over 64-key tiles bounded by the mask with K and V
    staged in swizzled shared memory by cp.async (V loading during Q·Kᵀ,
    the next K during the softmax and P·V) and read by ldmatrix, the online
    softmax on the accumulator fragments with quad shuffles, P kept in
    registers as the A operand of P·V, predicated stores of the output and
    the log-sum-exp.

    Supported: f16 or bf16 (all operands alike), `bhsd`, head dimensions
    64 or 128 (Dqk and Dv independently), MHA/GQA/MQA, any sequence
    lengths, causal (both alignments) and sliding-window masks, any scale,
    softcap, a rank-4 bias (broadcast over size-1 dimensions), ALiBi
    slopes, `kv_lens` (i32), optional lse. Only key tiles that some query
    of the CTA sees partially are masked. Other `attn.sdpa` ops (`attn_mask`,
    varlen, f32, other head dimensions) are left to the SIMT kernel (with
    `report-fallbacks`, a remark says why).

    Run after `attn-check-gpu-support` (which names the kernel parameters)
    and before bufferization: the launch takes `bufferization.to_buffer` of
    the operands and fresh buffers for the results.
  }];
  let options = [
    Option<"reportFallbacks", "report-fallbacks", "bool", /*default=*/"false",
           "Emit a remark for each attn.sdpa left to the SIMT kernel (or "
           "moved from wgmma to mma.sync)">,
    Option<"useWgmma", "wgmma", "bool", /*default=*/"false",
           "Both GEMMs on sm_90a warpgroup MMA (wgmma) with K and V read "
           "from 128-byte swizzled shared memory by descriptor, instead of "
           "mma.sync + ldmatrix">,
    Option<"useTma", "tma", "bool", /*default=*/"true",
           "With wgmma: a producer warpgroup loads K and V by TMA (tensor "
           "maps passed by value) into a two-slot mbarrier ring in dynamic "
           "shared memory while the consumer warpgroups compute; false: "
           "every warp copies with cp.async (and head dimension 256, which "
           "wgmma takes only with TMA, runs on mma.sync). Paged attention "
           "always uses cp.async">,
    Option<"warpRows", "warp-rows", "int64_t", /*default=*/"0",
           "Query rows per warp of the mma.sync prefill kernel (dense, not "
           "varlen, head dimensions up to 128, more than 64 queries): 32 "
           "(4 warps, 128 rows: two m16 tiles share every K and V fragment "
           "loaded from shared memory; at Dqk = 128 Q stays in shared "
           "memory, read per key tile), 16 (8 warps), or 0: 32 at Dv = 64, "
           "16 at Dv = 128">,
    Option<"tileKV", "tile-kv", "int64_t", /*default=*/"0",
           "Keys per tile (the online softmax's step): 0, each kernel's own "
           "(mma.sync 64, 32 at head dimension 256 without split keys; "
           "wgmma with TMA 128 up to head dimension 128 outside the decode "
           "form, else 64; FP8 128); otherwise one the kernel supports "
           "(mma.sync 32 or 64; TMA 64 or 128; wgmma with cp.async 64; FP8 "
           "128), an error at the op if not">,
    Option<"smCount", "sm-count", "int64_t", /*default=*/"132",
           "Streaming multiprocessors of the target GPU (132: H100 SXM); the "
           "decode form splits the keys until about two CTAs per SM run">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::gpu::GPUDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::nvgpu::NVGPUDialect",
                           "::mlir::NVVM::NVVMDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
}

def FlashLoopsToForallPass : Pass<"attn-flash-loops-to-forall"> {
  let summary = "Turn the batch/head/query-tile loops of attn-flash-tile into "
                "one scf.forall";
  let description = [{
    Rewrites a nest of `scf.for` loops on tensors whose innermost body ends in
    `tensor.insert_slice`s into the loop-carried tensors (the batch, head and
    query-tile loops that `attn-flash-tile` emits) into one multi-dimensional
    `scf.forall` with `tensor.parallel_insert_slice`. The rewrite is applied
    only when it is provably race free: each loop's induction variable must
    be the offset (or the offset divided by a constant stride no smaller than
    the slice size) of a dimension of every inserted slice, so different
    iterations write disjoint slices; each loop-carried tensor may only be
    passed on to the inner loop or be the destination of its insert.
    Constants used in the nest are cloned into the `scf.forall` and every
    `tensor.empty` with dynamic sizes inside it gets the static shape of the
    sizes' constant upper bounds (then is sliced to the dynamic size), so that
    the kernel needs no dynamic allocation. Other loops are left unchanged.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
}

def ForallToGPUPass : Pass<"attn-forall-to-gpu", "::mlir::ModuleOp"> {
  let summary = "Outline top-level scf.forall loops on memrefs into GPU kernels";
  let description = [{
    Each `scf.forall` directly in a `func.func` body (after bufferization)
    becomes a `gpu.func` kernel in its own `gpu.module` and a
    `gpu.launch_func` in its place. Up to three dimensions are mapped, the
    last one to `blockIdx.x * block-size + threadIdx.x` (guarded when the
    block size does not divide it), the previous ones to `blockIdx.y` and
    `blockIdx.z`. The kernel takes the function arguments the loop uses, in
    argument order (the launch ABI); constants and `memref.get_global` are
    cloned into the kernel (with their globals). Static `memref.alloc`s in
    the kernel become `memref.alloca`s at its entry (private per thread).
    The kernel gets `attn.launch` = {grid, block, shared_memory_bytes} and
    `attn.params` (parameter names) attributes.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"128",
           "Threads per block along x">
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect"];
}

def CacheAppendToGPUPass : Pass<"attn-cache-append-to-gpu",
                                "::mlir::ModuleOp"> {
  let summary = "Compile attn.kv_cache_append to a GPU kernel that writes "
                "the pools in place";
  let description = [{
    Replaces each `attn.kv_cache_append` by the launch of a generated
    `gpu.func` (in its own `gpu.module`, named `<function>_append`): one
    thread per 16-byte chunk of each new (sequence, token, KV head) row of
    K and V, 256 threads per block. Token `t` of sequence `b` goes to
    position `p = cache_lens[b] + t`, slot `p % block_size` of block
    `block_table[b, p / block_size]` (NHD or HND pools); tokens at or past
    `new_lens[b]`, past the table, or whose block id is outside
    `[0, blocks)` are dropped, and nothing else of the pools changes. The
    kernel parameters are the op's operands, the pools `readwrite`: the
    op's results are the pools' own buffers, so an engine passes its cache
    and the kernel updates it.

    Pools of 1-, 2- or 4-byte elements (f16, bf16, f32, INT8 or FP8 codes:
    quantized pools take codes quantized beforehand, as the op says) with
    rows that are whole 16-byte chunks. Anything else is an error at the op
    (there is no other GPU kernel for it). Run after
    `attn-check-gpu-support`, before bufferization.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::gpu::GPUDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
}

def NVVMKernelABIPass : Pass<"attn-nvvm-kernel-abi"> {
  let summary = "Kernel ABI details convert-gpu-to-nvvm leaves out: tensor "
                "maps by value, extern dynamic shared memory";
  let description = [{
    Runs after `convert-gpu-to-nvvm`, inside the `gpu.module`.

    Tensor-map parameters: `convert-gpu-to-nvvm` keeps function attributes
    but not the `llvm.byval` of arguments. For each `llvm.func` kernel with
    an `attn.tensor_map_args` attribute (the indices of its TMA tensor-map
    parameters, set by `attn-sdpa-to-mma`), gives those `!llvm.ptr`
    arguments `llvm.byval = !llvm.array<128 x i8>`, `llvm.align = 64` and
    `nvvm.grid_constant`: PTX then declares them
    `.param .align 64 .b8 name[128]` (a `__grid_constant__ const
    CUtensorMap`), and the kernel addresses them with `cvta.param`. The
    attribute is removed. An index that is not a pointer argument of a
    kernel, or the attribute on a function that is not a kernel, is an
    error.

    Dynamic shared memory: the zero-sized shared global of
    `gpu.dynamic_shared_memory` gets external linkage and 1024-byte
    alignment, so PTX declares `.extern .shared .align 1024 .b8 name[]`
    (with internal linkage the NVPTX backend demotes it to a one-byte
    static variable, which ptxas then counts as static shared memory).
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::NVVM::NVVMDialect"];
}

def MathToNVVMPass : Pass<"attn-math-to-nvvm"> {
  let summary = "Lower f32 math.exp2/math.log2 to the PTX approximate "
                "instructions";
  let description = [{
    Rewrites f32 `math.exp2` into the `llvm.nvvm.ex2.approx.f32` intrinsic
    (`ex2.approx.f32`) and f32 `math.log2` into `llvm.nvvm.lg2.approx.f`
    (`lg2.approx.f32`), the instructions FlashAttention kernels use for the
    online softmax (`exp2(-inf) = +0` as the softmax needs). Run inside a
    `gpu.module` before `convert-gpu-to-nvvm`, which would otherwise call
    libdevice. Other math ops and other element types are left unchanged.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

//===----------------------------------------------------------------------===//
// CPU code generation (attn-lower-to-cpu)
//===----------------------------------------------------------------------===//

def DecomposeLinalgPass : Pass<"attn-decompose-linalg"> {
  let summary = "Rewrite composite linalg ops (linalg.softmax) into the ops "
                "they are defined by";
  let description = [{
    Frontends emit `linalg.softmax`, which no lowering to loops or vectors
    takes; this pass rewrites every op with the linalg aggregated-op
    interface into its decomposition (for `linalg.softmax`: max, subtract
    and exp, sum, divide as `linalg.generic` and `linalg.fill` ops) so the
    rest of the pipeline lowers it. An op that cannot be decomposed is an
    error at the op. Runs first in the CPU lowering of linalg.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::tensor::TensorDialect"];
}

def ExpandShapeToReinterpretPass
    : Pass<"attn-expand-shape-to-reinterpret-cast"> {
  let summary = "Rewrite expand_shape with two dynamic sizes in a group as "
                "a reinterpret_cast";
  let description = [{
    A `memref.expand_shape` of an identity-layout buffer that splits one
    dimension into two or more dynamic ones (e.g. tokens into dynamic batch
    and sequence) becomes the equivalent `memref.reinterpret_cast` (offset 0,
    the output sizes, row-major strides). MLIR 22's
    `expand-strided-metadata` crashes on the expand_shape form; the CPU
    pipeline runs this pass just before it.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def CheckLoweredPass : Pass<"attn-check-lowered", "::mlir::ModuleOp"> {
  let summary = "Fail at the first operation left outside the LLVM dialect";
  let description = [{
    Ends the CPU pipelines: every operation must now be in the LLVM dialect
    (the module aside). The first one that is not gets a located error
    naming it ("was not lowered to the LLVM dialect: the pipeline has no
    lowering for it"), so a module the pipeline could not lower fails there
    and then, not later in the JIT.
  }];
}

def GuardArgumentCopiesPass
    : Pass<"attn-guard-argument-copies", "::mlir::func::FuncOp"> {
  let summary = "Skip a copy between two argument buffers that are the same "
                "buffer";
  let description = [{
    Runs after bufferization in the CPU pipelines. A `memref.copy` from one
    argument of the function to another of the same identity-layout type
    (the entry wrapper of attn-runner and the C API copying an argument that
    the function updated in place, e.g. a KV cache of
    `attn.kv_cache_append`, into the buffer of the result that returns it)
    runs only when the two buffers start at different addresses: a caller
    that passes the argument's own buffer for that result pays no copy.
  }];
  let dependentDialects = [
    "::mlir::scf::SCFDialect", "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect"
  ];
}

def EliminateResultEmptiesPass
    : Pass<"attn-eliminate-result-empties", "::mlir::ModuleOp"> {
  let summary = "Compute results in the buffers they are stored into";
  let description = [{
    Runs before bufferization in the CPU pipelines. When the module stores a
    value into a given buffer (`bufferization.materialize_in_destination`,
    as the entry wrapper of attn-runner and the C API does for each result),
    runs upstream's empty-tensor elimination (`eliminate-empty-tensors`):
    the `tensor.empty` that the stored value is computed into (attention's
    output tile loop) becomes a subset of that buffer, so the value is
    computed there rather than in a fresh buffer copied into it. Modules
    without such a store are left as they are; the elimination would only
    cost its One-Shot analysis (about 50 ms on a function with every
    attention feature).
  }];
  let dependentDialects = [
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def StackTileBuffersPass
    : Pass<"attn-stack-tile-buffers", "::mlir::func::FuncOp"> {
  let summary = "Put the tile buffers of each parallel iteration (scf.forall, "
                "OpenMP loop) on the stack";
  let description = [{
    Runs after bufferization, the deallocation pipeline and the OpenMP
    conversion, in the CPU pipelines. In each parallel iteration (the
    (batch, head) iterations of flash attention, each run by one thread),
    a statically shaped `memref.alloc` whose buffer lives within one
    execution of its block (no alias of it is yielded, returned, passed to
    a call or to a region op, and only the buffer itself is freed, in that
    block: the `memref.dealloc` goes), and which is nested in the iteration
    only through `scf.for`, `scf.if` and `memref.alloca_scope`, becomes a
    `memref.alloca`:
    - in the body of an `scf.forall`, at its start, after a save of the
      stack pointer (`llvm.intr.stacksave`) that the body restores last:
      the buffers are released at the end of every iteration, whichever
      way the forall is lowered (a sequential loop included);
    - in the `omp.loop_nest` of an `omp.wsloop` directly in an
      `omp.parallel`, at the start of the parallel region: once per thread,
      whose iterations run one after the other, released with the region.
    The iteration's score, key and padding tiles are then carved from the
    running thread's stack instead of one `malloc`/`free` per buffer per
    iteration (per key tile in a loop). Buffers are taken in program order
    while their total (each rounded up to 64 bytes) stays within
    `max-bytes` per iteration (per parallel region); the others stay on the
    heap.

    ```mlir
    scf.forall (%h) in (8) {
      scf.for %j = %c0 to %n step %c1 {
        %s = memref.alloc() {alignment = 64 : i64} : memref<64x64xf32>
        ...
        memref.dealloc %s : memref<64x64xf32>
      }
    }
    // becomes
    scf.forall (%h) in (8) {
      %sp = llvm.intr.stacksave : !llvm.ptr
      %s = memref.alloca() {alignment = 64 : i64} : memref<64x64xf32>
      scf.for %j = %c0 to %n step %c1 {
        ...
      }
      llvm.intr.stackrestore %sp : !llvm.ptr
    }
    ```
  }];
  let options = [
    Option<"maxBytes", "max-bytes", "uint64_t", /*default=*/"262144",
           "Stack bytes per forall iteration, or per OpenMP parallel region, "
           "at most (the threads of OpenMP and of callers have at least a "
           "few MiB)">,
  ];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::LLVM::LLVMDialect"];
}

def LowerAllocaScopesPass
    : Pass<"attn-lower-alloca-scopes", "::mlir::func::FuncOp"> {
  let summary = "Inline memref.alloca_scope ops, saving and restoring the "
                "stack pointer where they allocate";
  let description = [{
    Runs in the CPU pipelines before `convert-scf-to-cf`, which cannot
    lower loops inside a `memref.alloca_scope` (its region must stay one
    block; `convert-scf-to-openmp` wraps each parallel iteration in one).
    Each scope without results is inlined into its block; where its body
    allocates on the stack (a `memref.alloca` outside any nested allocation
    scope), an `llvm.intr.stacksave` before the body and an
    `llvm.intr.stackrestore` after it release that memory at the same point
    as the scope did, as the `memref` lowering to LLVM would.

    ```mlir
    memref.alloca_scope {
      %t = memref.alloca() : memref<64xf32>
      scf.for %i = %c0 to %n step %c1 { ... }
    }
    // becomes
    %sp = llvm.intr.stacksave : !llvm.ptr
    %t = memref.alloca() : memref<64xf32>
    scf.for %i = %c0 to %n step %c1 { ... }
    llvm.intr.stackrestore %sp : !llvm.ptr
    ```
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def CPUVectorizePass : Pass<"attn-cpu-vectorize", "::mlir::func::FuncOp"> {
  let summary = "Tile linalg ops on tensors to register tiles and vectorize "
                "them";
  let description = [{
    Runs before bufferization in `attn-lower-to-cpu`. Each linalg op on
    tensors is tiled with `scf.for` loops and its tile is vectorized with the
    linalg vectorizer:
    - contractions (`linalg.matmul`, `linalg.batch_matmul`, contraction
      `linalg.generic`s) get an `m x n x k` register tile (`tile-m`,
      `tile-n`, `tile-k`; batch and outer m/n/k dimensions get 1), the
      column tiles in the outer loop. Rows that whole `tile-m` tiles do not
      cover are split off into a contraction of their own (on slices). A
      right-hand side stored `[n, k]` (Q·Kᵀ) is first copied into `[k, n]`
      order by a `linalg.transpose` so that the `n` tile is contiguous. The
      accumulator tile is hoisted out of the `k` loop, so it stays in vector
      registers. With at most 4 rows (the scores of a decode step), such a
      contraction is not transposed: tiles of all rows by 8 columns by up to
      256 of `k`, which `attn-cpu-lower-vectors` turns into one dot product
      (product of two stored rows, one `vector.reduction`) per element;
    - every other op (elementwise, reductions, transposes, generics with
      `linalg.index` or `tensor.extract`) gets tile 1 on all dimensions but the
      last one, which is kept whole when it has at most `max-inner` static
      elements and tiled by `vector-width` otherwise (the partial tile is
      vectorized with masks).
    An op the vectorizer does not support (or whose tile has dynamic sizes
    that masking cannot cover) is left as a scalar linalg op, lowered to loops
    later. Vector transfers are then simplified (unit dimensions dropped,
    tensor slices folded into them).

    With `threads` > 1, a statically shaped contraction of at least 2^21
    multiply-adds that no `scf.forall` encloses (a projection) is first split
    into an `scf.forall` over chunks of its rows (else of its columns): the
    largest chunk that is a whole number of register tiles, divides the
    dimension and leaves at least `threads` chunks. The pipeline runs that
    forall on its threads.
  }];
  let options = [
    Option<"tileM", "tile-m", "int64_t", /*default=*/"8",
           "Rows of the register tile of a contraction">,
    Option<"tileN", "tile-n", "int64_t", /*default=*/"32",
           "Columns of the register tile of a contraction">,
    Option<"tileK", "tile-k", "int64_t", /*default=*/"1",
           "Reduction step of the register tile of a contraction">,
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"16",
           "Vector length of the innermost dimension of other ops">,
    Option<"maxInner", "max-inner", "int64_t", /*default=*/"64",
           "Largest static innermost dimension vectorized whole">,
    Option<"threads", "threads", "int64_t", /*default=*/"1",
           "Threads that large contractions outside parallel loops are split "
           "over (an scf.forall of at least this many chunks)">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::scf::SCFDialect", "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect", "::mlir::affine::AffineDialect"
  ];
}

def CPULowerVectorsPass : Pass<"attn-cpu-lower-vectors"> {
  let summary = "Lower n-D vector ops to 1-D vector ops and FMAs for the CPU";
  let description = [{
    Runs after bufferization in `attn-lower-to-cpu`, before
    `convert-vector-to-scf` and `convert-vector-to-llvm`.
    `vector.contract` becomes `vector.outerproduct`s and then `vector.fma`s
    on rows of the accumulator, except a contraction of at most 4 rows whose
    reduction dimension is innermost in both operands, which becomes one
    `vector.reduction <add>` of the product of two rows per result element;
    `vector.multi_reduction` becomes
    `vector.reduction`s along the innermost dimension; transposes, broadcasts,
    shape casts, masks and gathers are lowered to 1-D operations, and
    transfers with permutation maps to minor-identity transfers.
    `math.exp2` on f32 (the flash softmax's exponential) becomes a degree-5
    polynomial on the fraction times a power of two built in the exponent
    bits (at most 1.2 ulp; exp2(-inf) = 0, +inf and NaN kept), so that it
    runs in vector registers instead of one libm call per element, and
    `arith.extf` of bf16 vectors to f32 becomes a shift of their bits into
    the upper half (exact; the x86 backend widens bf16 element by element
    without AVX512-BF16). With `avx512`, the power of two of exp2 is applied
    by AVX-512's `vscalefps` (`x86vector.avx512.mask.scalef`, one
    instruction per 16 lanes in place of eight integer and multiply
    instructions; then `convert-vector-to-llvm` needs `enable-x86vector`).
  }];
  let options = [
    Option<"avx512", "avx512", "bool", /*default=*/"false",
           "exp2 scales by vscalefps (x86vector.avx512.mask.scalef) on "
           "vectors of a multiple of 16 lanes">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect", "::mlir::x86vector::X86VectorDialect"
  ];
}

#endif // ATTN_CONVERSION_PASSES
