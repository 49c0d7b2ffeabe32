//===- Pipelines.cpp - named attn pass pipelines --------------------------===//

#include "attn/Conversion/Pipelines.h"
#include "attn/Conversion/Passes.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/BufferizationToMemRef/BufferizationToMemRef.h"
#include "mlir/Conversion/ConvertToLLVM/ToLLVMPass.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void attn::buildLinalgToLLVMPipeline(OpPassManager &pm) {
  bufferization::OneShotBufferizePassOptions bufferizeOptions;
  bufferizeOptions.bufferizeFunctionBoundaries = true;
  bufferizeOptions.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferizeOptions));
  bufferization::BufferDeallocationPipelineOptions deallocOptions;
  bufferization::buildBufferDeallocationPipeline(pm, deallocOptions);
  // The deallocation pipeline leaves bufferization.clone (e.g. for a
  // function that returns its argument).
  pm.addPass(createConvertBufferizationToMemRefPass());
  pm.addPass(createConvertLinalgToLoopsPass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void attn::buildAttnToCPUPipeline(OpPassManager &pm,
                                  const CPUPipelineOptions &options) {
  if (options.flash) {
    FlashTilePassOptions flashOptions;
    flashOptions.tileQ = options.tileQ;
    flashOptions.tileKV = options.tileKV;
    pm.addPass(createFlashTilePass(flashOptions));
  }
  pm.addPass(createConvertAttnToLinalgPass());
  pm.addPass(createCanonicalizerPass());
  buildLinalgToLLVMPipeline(pm);
}

void attn::registerAttnPipelines() {
  PassPipelineRegistration<CPUPipelineOptions>(
      "attn-lower-to-cpu",
      "Lower attn ops through linalg to the LLVM dialect for the CPU",
      buildAttnToCPUPipeline);
  PassPipelineRegistration<>(
      "attn-linalg-to-llvm",
      "Bufferize linalg/tensor/scf IR and lower it to the LLVM dialect for "
      "the CPU",
      buildLinalgToLLVMPipeline);
  registerAttnGPUPipelines();
}
