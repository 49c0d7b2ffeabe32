//===- GPUPipelines.cpp - the attn-lower-to-gpu pipeline ------------------===//
//
// attn.sdpa (static shapes) -> attn-flash-tile (one query row per tile) ->
// one scf.forall over batch x head x query -> bufferization -> one gpu.func
// per forall (a thread per query row) -> NVVM -> PTX / cubin.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/Passes.h"
#include "attn/Conversion/Pipelines.h"
#include "attn/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/GPUCommon/GPUCommonPass.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <cstdlib>

using namespace mlir;

std::string attn::findCUDAToolkit(llvm::StringRef requested) {
  if (!requested.empty())
    return requested.str();
  auto hasPtxas = [](llvm::StringRef dir) {
    llvm::SmallString<256> path(dir);
    llvm::sys::path::append(path, "bin", "ptxas");
    return llvm::sys::fs::can_execute(path);
  };
  for (const char *var : {"CUDA_ROOT", "CUDA_HOME", "CUDA_PATH"})
    if (const char *dir = std::getenv(var); dir && *dir && hasPtxas(dir))
      return dir;
  if (hasPtxas("/usr/local/cuda"))
    return "/usr/local/cuda";
  return "";
}

void attn::buildAttnToGPUKernelsPipeline(OpPassManager &pm,
                                         const GPUPipelineOptions &options) {
  CheckGPUSupportPassOptions checkOptions;
  checkOptions.chip = options.chip;
  checkOptions.tensorCores = options.kernel != "simt";
  pm.addPass(createCheckGPUSupportPass(checkOptions));
  // Tensor-core kernels for the attn.sdpa ops they support; the rest take
  // the SIMT route below.
  // attn.kv_cache_append: its own kernel, writing the pools in place.
  pm.addPass(createCacheAppendToGPUPass());
  if (options.kernel != "simt") {
    SdpaToMmaPassOptions mmaOptions;
    mmaOptions.useWgmma =
        options.kernel == "wgmma" ||
        (options.kernel == "auto" && options.chip == "sm_90a");
    mmaOptions.useTma = options.tma;
    mmaOptions.warpRows = options.warpRows;
    // An explicit tile-kv applies to the tensor-core kernels too (else
    // each takes its own).
    if (options.tileKV.hasValue())
      mmaOptions.tileKV = options.tileKV;
    pm.addPass(createSdpaToMmaPass(mmaOptions));
  }
  // One query row per tile: each GPU thread owns one row's online softmax.
  FlashTilePassOptions flashOptions;
  flashOptions.tileQ = 1;
  flashOptions.tileKV = options.tileKV;
  pm.addPass(createFlashTilePass(flashOptions));
  pm.addPass(createFlashLoopsToForallPass());
  // No CSE before bufferization: merging the identical `fill`s of the
  // loop-carried state and of the per-step temporaries forces copies.
  pm.addPass(createCanonicalizerPass());

  bufferization::OneShotBufferizePassOptions bufferizeOptions;
  bufferizeOptions.bufferizeFunctionBoundaries = true;
  bufferizeOptions.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferizeOptions));
  bufferization::BufferResultsToOutParamsPassOptions outParamsOptions;
  outParamsOptions.hoistStaticAllocs = true;
  outParamsOptions.modifyPublicFunctions = true;
  pm.addPass(
      bufferization::createBufferResultsToOutParamsPass(outParamsOptions));
  pm.addPass(createCanonicalizerPass());

  ForallToGPUPassOptions gpuOptions;
  gpuOptions.blockSize = options.blockSize;
  pm.addPass(createForallToGPUPass(gpuOptions));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createSymbolDCEPass());
}

void attn::buildGPUKernelsToBinaryPipeline(OpPassManager &pm,
                                           const GPUPipelineOptions &options) {
  std::string toolkit = findCUDAToolkit(options.toolkit);

  GpuNVVMAttachTargetOptions targetOptions;
  targetOptions.chip = options.chip;
  targetOptions.features = options.features;
  targetOptions.optLevel = options.optLevel;
  pm.addPass(createGpuNVVMAttachTarget(targetOptions));

  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  kernels.addPass(createConvertLinalgToLoopsPass());
  kernels.addPass(createMathToNVVMPass());
  // nvgpu (cp.async, ldmatrix) of the tensor-core kernels, before the loops
  // become blocks.
  kernels.addPass(createConvertNVGPUToNVVMPass());
  kernels.addPass(createSCFToControlFlowPass());
  kernels.addPass(memref::createExpandStridedMetadataPass());
  kernels.addPass(createLowerAffinePass());
  ConvertGpuOpsToNVVMOpsOptions nvvmOptions;
  nvvmOptions.indexBitwidth = 64;
  nvvmOptions.useBarePtrCallConv = true;
  kernels.addPass(createConvertGpuOpsToNVVMOps(nvvmOptions));
  kernels.addPass(createNVVMKernelABIPass());
  kernels.addPass(createCanonicalizerPass());
  kernels.addPass(createCSEPass());
  kernels.addPass(createReconcileUnrealizedCastsPass());

  GpuToLLVMConversionPassOptions hostOptions;
  hostOptions.kernelBarePtrCallConv = true;
  pm.addPass(createGpuToLLVMConversionPass(hostOptions));
  pm.addPass(createReconcileUnrealizedCastsPass());

  if (options.format == "nvvm")
    return;
  GpuModuleToBinaryPassOptions binaryOptions;
  // A missing directory would be an error even where PTX needs no toolkit.
  if (llvm::sys::fs::is_directory(toolkit))
    binaryOptions.toolkitPath = toolkit;
  binaryOptions.compilationTarget = options.format;
  pm.addPass(createGpuModuleToBinaryPass(binaryOptions));
}

void attn::buildAttnToGPUPipeline(OpPassManager &pm,
                                  const GPUPipelineOptions &options) {
  buildAttnToGPUKernelsPipeline(pm, options);
  buildGPUKernelsToBinaryPipeline(pm, options);
}

void attn::registerAttnGPUPipelines() {
  PassPipelineRegistration<GPUPipelineOptions>(
      "attn-lower-to-gpu",
      "Compile attn.sdpa to GPU kernels (PTX or cubin in gpu.binary ops)",
      buildAttnToGPUPipeline);
  PassPipelineRegistration<GPUPipelineOptions>(
      "attn-lower-to-gpu-kernels",
      "Stage 1 of attn-lower-to-gpu: attn.sdpa to gpu.func kernels",
      buildAttnToGPUKernelsPipeline);
  PassPipelineRegistration<GPUPipelineOptions>(
      "attn-gpu-kernels-to-binary",
      "Stage 2 of attn-lower-to-gpu: gpu.func kernels to NVVM and PTX/cubin",
      buildGPUKernelsToBinaryPipeline);
}
