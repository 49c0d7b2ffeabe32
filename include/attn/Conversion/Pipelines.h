//===- Pipelines.h - named attn pass pipelines ------------------*- C++ -*-===//

#ifndef ATTN_CONVERSION_PIPELINES_H
#define ATTN_CONVERSION_PIPELINES_H

#include "mlir/Pass/PassOptions.h"

namespace mlir {
class OpPassManager;
namespace attn {

/// Options of `attn-lower-to-cpu`.
struct CPUPipelineOptions : public PassPipelineOptions<CPUPipelineOptions> {
  PassOptions::Option<bool> flash{
      *this, "flash",
      llvm::cl::desc("Tile attn.sdpa with online softmax (attn-flash-tile) "
                     "before lowering"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> tileQ{
      *this, "tile-q", llvm::cl::desc("Query tile size of flash tiling"),
      llvm::cl::init(64)};
  PassOptions::Option<int64_t> tileKV{
      *this, "tile-kv", llvm::cl::desc("Key/value tile size of flash tiling"),
      llvm::cl::init(64)};
};

/// Bufferizes linalg/tensor/scf IR (without attn ops) and lowers it to the
/// LLVM dialect for the CPU.
void buildLinalgToLLVMPipeline(OpPassManager &pm);

/// attn ops -> linalg/scf on tensors -> LLVM dialect, ready for the
/// ExecutionEngine.
void buildAttnToCPUPipeline(OpPassManager &pm,
                            const CPUPipelineOptions &options);

/// Registers `attn-lower-to-cpu` and `attn-linalg-to-llvm`.
void registerAttnPipelines();

} // namespace attn
} // namespace mlir

#endif // ATTN_CONVERSION_PIPELINES_H
