//===- Pipelines.cpp - named attn pass pipelines --------------------------===//

#include "attn/Conversion/Pipelines.h"
#include "attn/Conversion/Passes.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/AsyncToLLVM/AsyncToLLVM.h"
#include "mlir/Conversion/BufferizationToMemRef/BufferizationToMemRef.h"
#include "mlir/Conversion/ConvertToLLVM/ToLLVMPass.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/OpenMPToLLVM/ConvertOpenMPToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/SCFToOpenMP/SCFToOpenMP.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Async/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/TargetParser/Host.h"

using namespace mlir;

attn::CPUVectorIsa attn::detectHostVectorIsa() {
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  return features.lookup("avx512f") ? attn::CPUVectorIsa::Avx512
                                    : attn::CPUVectorIsa::Avx2;
}

/// Whether `isa` (the host's for Host) has AVX-512.
static bool isAvx512(attn::CPUVectorIsa isa) {
  if (isa == attn::CPUVectorIsa::Host)
    isa = attn::detectHostVectorIsa();
  return isa == attn::CPUVectorIsa::Avx512;
}

/// The register tile of a contraction for `isa`: accumulators in half of the
/// vector registers, the rest for the right-hand side's row and the
/// broadcasts (with 16 registers, 8 x 32 spills every accumulator).
static std::pair<int64_t, int64_t> registerTile(attn::CPUVectorIsa isa) {
  if (isAvx512(isa))
    return {8, 32};
  return {6, 16};
}

/// f32 lanes of a vector register for `isa`.
static int64_t f32Lanes(attn::CPUVectorIsa isa) {
  return isAvx512(isa) ? 16 : 8;
}

void attn::buildLinalgToLLVMPipeline(OpPassManager &pm,
                                     const CPUPipelineOptions &options) {
  // linalg.softmax (and other composite linalg ops) into what lowers.
  pm.addPass(createDecomposeLinalgPass());
  // Elementwise arith/math ops on tensors (a function's own `lens + 1`)
  // as linalg.generic: bufferization has no form for them.
  pm.addPass(createConvertElementwiseToLinalgPass());
  if (options.vectorize) {
    // Register tiles of vectors on tensors, before bufferization (the
    // accumulators of the tiles become loop-carried vectors).
    CPUVectorizePassOptions vectorizeOptions;
    auto [tileM, tileN] = registerTile(options.vectorIsa);
    vectorizeOptions.tileM = options.tileM.hasValue() ? options.tileM : tileM;
    vectorizeOptions.tileN = options.tileN.hasValue() ? options.tileN : tileN;
    vectorizeOptions.tileK = options.tileK;
    vectorizeOptions.vectorWidth = options.vectorWidth;
    vectorizeOptions.threads = std::max<int64_t>(1, options.threads);
    pm.addNestedPass<func::FuncOp>(createCPUVectorizePass(vectorizeOptions));
    pm.addPass(createCanonicalizerPass());
  }
  // A result computed into a tensor.empty and then stored into a buffer
  // (bufferization.materialize_in_destination, as attn-runner's and the C
  // API's entry wrapper does) is computed in that buffer.
  pm.addPass(createEliminateResultEmptiesPass());
  bufferization::OneShotBufferizePassOptions bufferizeOptions;
  bufferizeOptions.bufferizeFunctionBoundaries = true;
  bufferizeOptions.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferizeOptions));
  // A result that is an argument's buffer (a KV cache updated in place) is
  // not returned: callers see the argument, and no copy of it is made.
  // (Loops that carry the buffer unchanged fold away first.)
  pm.addPass(createCanonicalizerPass());
  pm.addPass(bufferization::createDropEquivalentBufferResultsPass());
  bool openmp = options.threads > 1 &&
                options.parallelRuntime == CPUParallelRuntime::OpenMP;
  bool async = options.threads > 1 &&
               options.parallelRuntime == CPUParallelRuntime::Async;
  bufferization::BufferDeallocationPipelineOptions deallocOptions;
  bufferization::buildBufferDeallocationPipeline(pm, deallocOptions);
  // The deallocation pipeline leaves bufferization.clone (e.g. for a
  // function that returns its argument).
  pm.addPass(createConvertBufferizationToMemRefPass());
  pm.addNestedPass<func::FuncOp>(createGuardArgumentCopiesPass());
  if (openmp) {
    // The (batch, head) scf.forall of flash tiling as an OpenMP worksharing
    // loop on `threads` threads (libomp's static schedule: one fork per
    // call, threads that stay warm between calls).
    pm.addPass(createForallToParallelLoopPass());
    ConvertSCFToOpenMPPassOptions ompOptions;
    ompOptions.numThreads = static_cast<unsigned>(options.threads);
    pm.addPass(createConvertSCFToOpenMPPass(ompOptions));
  }
  // The tile buffers of each (batch, head) iteration on its thread's stack
  // (a malloc and a free per buffer and iteration took 15-20 % of a small
  // attention call): after the deallocation pipeline, which does not know
  // llvm.intr.stacksave, and after the OpenMP conversion (once per thread
  // at the start of the parallel region). Not in async tasks, which run as
  // coroutines.
  if (options.stackBytes > 0 && !async) {
    StackTileBuffersPassOptions stackOptions;
    stackOptions.maxBytes = options.stackBytes;
    pm.addNestedPass<func::FuncOp>(createStackTileBuffersPass(stackOptions));
  }
  if (async) {
    // The (batch, head) scf.forall of flash tiling, as tasks of the async
    // runtime: one per iteration, dispatched by recursive splitting.
    pm.addPass(createForallToParallelLoopPass());
    AsyncParallelForPassOptions asyncOptions;
    asyncOptions.asyncDispatch = true;
    asyncOptions.numWorkerThreads = static_cast<int32_t>(options.threads);
    asyncOptions.minTaskSize = 1;
    pm.addPass(createAsyncParallelForPass(asyncOptions));
    pm.addPass(createAsyncToAsyncRuntimePass());
    pm.addPass(createAsyncRuntimeRefCountingPass());
    pm.addPass(createAsyncRuntimeRefCountingOptPass());
  }
  if (options.vectorize) {
    // n-D vectors to 1-D vectors and FMAs; n-D transfers to unrolled 1-D
    // transfers (convert-vector-to-llvm lowers those).
    CPULowerVectorsPassOptions lowerOptions;
    lowerOptions.avx512 = isAvx512(options.vectorIsa);
    pm.addPass(createCPULowerVectorsPass(lowerOptions));
    pm.addPass(createConvertVectorToSCFPass(
        VectorTransferToSCFOptions().enableFullUnroll().setTargetRank(1)));
    pm.addPass(createCanonicalizerPass());
  }
  pm.addPass(createConvertLinalgToLoopsPass());
  // (convert-scf-to-openmp wraps each iteration in a memref.alloca_scope,
  // which convert-scf-to-cf cannot lower loops inside.)
  pm.addNestedPass<func::FuncOp>(createLowerAllocaScopesPass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createExpandShapeToReinterpretPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  FinalizeMemRefToLLVMConversionPassOptions memrefOptions;
  memrefOptions.useGenericFunctions = options.jitAllocator;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefOptions));
  // Horizontal reductions (row max/sum of the softmax) may be reassociated:
  // a tree of vector ops instead of a chain of scalar ones.
  ConvertVectorToLLVMPassOptions toLLVMOptions;
  toLLVMOptions.reassociateFPReductions = true;
  // exp2's vscalefps (attn-cpu-lower-vectors{avx512}).
  toLLVMOptions.x86Vector = options.vectorize && isAvx512(options.vectorIsa);
  pm.addPass(createConvertVectorToLLVMPass(toLLVMOptions));
  if (async)
    pm.addPass(createConvertAsyncToLLVMPass());
  if (openmp)
    pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
  // Anything left is an error at that op.
  pm.addPass(createCheckLoweredPass());
}

void attn::buildLinalgToLLVMPipeline(OpPassManager &pm) {
  buildLinalgToLLVMPipeline(pm, CPUPipelineOptions());
}

void attn::buildAttnToCPUPipeline(OpPassManager &pm,
                                  const CPUPipelineOptions &options) {
  if (options.flash) {
    FlashTilePassOptions flashOptions;
    flashOptions.tileQ = options.tileQ;
    flashOptions.tileKV = options.tileKV;
    // Static tile sizes everywhere (the partial last tiles peeled): the
    // vectorizer needs them; f16/bf16 tiles widened to f32 once per tile,
    // so the contractions are f32 vector code; (batch, head) as one forall
    // (threads > 1 runs it on the async runtime).
    flashOptions.peel = true;
    flashOptions.widen = true;
    flashOptions.parallelHeads = true;
    flashOptions.transposeKeys = true;
    // A peeled last key tile (77 keys: 64 + 13) padded to whole vectors
    // (16), its padding hidden: rows of whole vectors instead of a partial
    // vector in every row of the scores and the softmax.
    flashOptions.padKV = f32Lanes(options.vectorIsa);
    // Paged KV tiles prefetch the next piece's pool rows (an NHD pool's
    // rows of one KV head are too far apart for the hardware prefetchers).
    flashOptions.prefetchPages = true;
    // Paged attention as attn.sdpa over attn.paged_gather of the pools, so
    // that it is flash-tiled (vectorized, on every thread) like dense
    // attention, each key tile read through the block table.
    pm.addPass(createPagedAttentionToSdpaPass());
    // Decode with grouped heads: one KV head's query heads as its rows.
    pm.addPass(createPackGqaDecodePass());
    pm.addPass(createFlashTilePass(flashOptions));
  }
  pm.addPass(createConvertAttnToLinalgPass());
  pm.addPass(createCanonicalizerPass());
  buildLinalgToLLVMPipeline(pm, options);
}

void attn::registerAttnPipelines() {
  PassPipelineRegistration<CPUPipelineOptions>(
      "attn-lower-to-cpu",
      "Lower attn ops through linalg to the LLVM dialect for the CPU",
      buildAttnToCPUPipeline);
  PassPipelineRegistration<CPUPipelineOptions>(
      "attn-linalg-to-llvm",
      "Vectorize and bufferize linalg/tensor/scf IR and lower it to the LLVM "
      "dialect for the CPU (the flash options are not used)",
      [](OpPassManager &pm, const CPUPipelineOptions &options) {
        buildLinalgToLLVMPipeline(pm, options);
      });
  registerAttnGPUPipelines();
}
