//===- Pipelines.h - named attn pass pipelines ------------------*- C++ -*-===//

#ifndef ATTN_CONVERSION_PIPELINES_H
#define ATTN_CONVERSION_PIPELINES_H

#include "mlir/Pass/PassOptions.h"

#include <string>

namespace mlir {
class OpPassManager;
namespace attn {

/// Vector registers the CPU register tiles are sized for.
enum class CPUVectorIsa { Host, Avx2, Avx512 };

/// How the threads of `attn-lower-to-cpu{threads=N}` are run.
enum class CPUParallelRuntime { OpenMP, Async };

/// The vector registers of the machine running the compiler: AVX-512F (32
/// registers of 512 bits) or not (16 registers of 256 bits or fewer bits).
CPUVectorIsa detectHostVectorIsa();

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
  PassOptions::Option<int64_t> threads{
      *this, "threads",
      llvm::cl::desc("Threads for the (batch, query head) iterations of "
                     "flash-tiled attention: 1 runs them in the caller's "
                     "thread; more runs them on N threads (see "
                     "parallel-runtime). Results do not depend on it"),
      llvm::cl::init(1)};
  PassOptions::Option<CPUParallelRuntime> parallelRuntime{
      *this, "parallel-runtime",
      llvm::cl::desc("Runtime of the threads (threads > 1)"),
      llvm::cl::init(CPUParallelRuntime::OpenMP),
      llvm::cl::values(
          clEnumValN(CPUParallelRuntime::OpenMP, "openmp",
                     "an OpenMP parallel loop (libomp.so must be loaded "
                     "with the module)"),
          clEnumValN(CPUParallelRuntime::Async, "async",
                     "tasks of MLIR's async runtime "
                     "(libmlir_async_runtime.so must be loaded with the "
                     "module)"))};
  PassOptions::Option<bool> jitAllocator{
      *this, "jit-allocator",
      llvm::cl::desc("memref.alloc/dealloc call _mlir_memref_to_llvm_alloc, "
                     "_mlir_memref_to_llvm_aligned_alloc and "
                     "_mlir_memref_to_llvm_free instead of malloc/free (the "
                     "CPU JIT of attn-runner and the C API defines them and "
                     "reuses large buffers across calls)"),
      llvm::cl::init(false)};
  PassOptions::Option<uint64_t> stackBytes{
      *this, "stack-bytes",
      llvm::cl::desc("Bytes of tile buffers each (batch, query head) "
                     "iteration may take from its thread's stack instead of "
                     "the heap (attn-stack-tile-buffers; 0: all on the heap; "
                     "not with parallel-runtime=async)"),
      llvm::cl::init(262144)};
  PassOptions::Option<int64_t> tileKV{
      *this, "tile-kv", llvm::cl::desc("Key/value tile size of flash tiling"),
      llvm::cl::init(64)};
  PassOptions::Option<bool> vectorize{
      *this, "vectorize",
      llvm::cl::desc("Tile linalg ops to register tiles and vectorize them "
                     "(attn-cpu-vectorize); off: scalar loops"),
      llvm::cl::init(true)};
  PassOptions::Option<CPUVectorIsa> vectorIsa{
      *this, "vector-isa",
      llvm::cl::desc(
          "Vector registers the register tiles are sized for: 'avx512' (32 "
          "registers of 16 floats: 8 x 32 tiles), 'avx2' (16 registers of 8 "
          "floats, also right for other 16-register ISAs: 6 x 16 tiles) or "
          "'host' (the machine running the pass: avx512 where it has "
          "AVX-512F, avx2 otherwise). tile-m and tile-n override it. "
          "avx512 also applies exp2's power of two by vscalefps: that "
          "code runs only on CPUs with AVX-512F"),
      llvm::cl::init(CPUVectorIsa::Host),
      llvm::cl::values(clEnumValN(CPUVectorIsa::Host, "host", "this machine"),
                       clEnumValN(CPUVectorIsa::Avx2, "avx2",
                                  "16 vector registers of 256 bits"),
                       clEnumValN(CPUVectorIsa::Avx512, "avx512",
                                  "32 vector registers of 512 bits"))};
  PassOptions::Option<int64_t> tileM{
      *this, "tile-m",
      llvm::cl::desc("Rows of the register tile of a contraction (default: "
                     "from vector-isa)"),
      llvm::cl::init(8)};
  PassOptions::Option<int64_t> tileN{
      *this, "tile-n",
      llvm::cl::desc("Columns of the register tile of a contraction "
                     "(default: from vector-isa)"),
      llvm::cl::init(32)};
  PassOptions::Option<int64_t> tileK{
      *this, "tile-k",
      llvm::cl::desc("Reduction step of the register tile of a contraction"),
      llvm::cl::init(1)};
  PassOptions::Option<int64_t> vectorWidth{
      *this, "vector-width",
      llvm::cl::desc("Vector length of the innermost dimension of the other "
                     "ops"),
      llvm::cl::init(16)};
};

/// Bufferizes linalg/tensor/scf IR (without attn ops) and lowers it to the
/// LLVM dialect for the CPU, vectorizing it first (default options of
/// `attn-lower-to-cpu`).
void buildLinalgToLLVMPipeline(OpPassManager &pm);

/// Same, with the vectorization options of `options` (the flash options are
/// not used).
void buildLinalgToLLVMPipeline(OpPassManager &pm,
                               const CPUPipelineOptions &options);

/// attn ops -> linalg/scf on tensors -> LLVM dialect, ready for the
/// ExecutionEngine.
void buildAttnToCPUPipeline(OpPassManager &pm,
                            const CPUPipelineOptions &options);

/// Options of `attn-lower-to-gpu` and its two stages.
struct GPUPipelineOptions : public PassPipelineOptions<GPUPipelineOptions> {
  PassOptions::Option<std::string> chip{
      *this, "chip", llvm::cl::desc("Target GPU: sm_80 or sm_90a"),
      llvm::cl::init("sm_80")};
  PassOptions::Option<std::string> features{*this, "features",
                                            llvm::cl::desc("PTX ISA features"),
                                            llvm::cl::init("+ptx80")};
  PassOptions::Option<std::string> format{
      *this, "format",
      llvm::cl::desc("What the gpu.modules become: isa (PTX), bin (cubin, "
                     "runs ptxas), fatbin, or nvvm (stop before "
                     "serialization)"),
      llvm::cl::init("isa")};
  PassOptions::Option<int64_t> tileKV{
      *this, "tile-kv",
      llvm::cl::desc("Keys per step of the online softmax: the SIMT "
                     "kernel's (default 64) and, when given, the "
                     "tensor-core kernels' (attn-sdpa-to-mma's tile-kv; "
                     "else each takes its own)"),
      llvm::cl::init(64)};
  PassOptions::Option<std::string> kernel{
      *this, "kernel",
      llvm::cl::desc("Kernel kind: auto (tensor cores where the attn.sdpa is "
                     "supported, SIMT otherwise: wgmma on sm_90a, mma.sync "
                     "on sm_80), mma (mma.sync), wgmma (sm_90a only) or "
                     "simt"),
      llvm::cl::init("auto")};
  PassOptions::Option<bool> tma{
      *this, "tma",
      llvm::cl::desc("sm_90a wgmma kernels: K and V by TMA from a producer "
                     "warpgroup (true) or by cp.async from every warp"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> warpRows{
      *this, "warp-rows",
      llvm::cl::desc("mma.sync prefill kernels (dense, head dimensions up "
                     "to 128): query rows per warp, 32 (4 warps), 16 (8 "
                     "warps) or 0 (32 at Dv = 64, 16 at Dv = 128)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> blockSize{*this, "block-size",
                                         llvm::cl::desc("Threads per block"),
                                         llvm::cl::init(128)};
  PassOptions::Option<unsigned> optLevel{
      *this, "opt-level", llvm::cl::desc("LLVM optimization level"),
      llvm::cl::init(3)};
  PassOptions::Option<std::string> toolkit{
      *this, "toolkit",
      llvm::cl::desc("CUDA toolkit (ptxas, libdevice); default: CUDA_ROOT, "
                     "CUDA_HOME, CUDA_PATH or /usr/local/cuda"),
      llvm::cl::init("")};
};

/// attn.sdpa -> flash tiling -> bufferized gpu.func kernels launched by
/// gpu.launch_func (stage 1 of attn-lower-to-gpu).
void buildAttnToGPUKernelsPipeline(OpPassManager &pm,
                                   const GPUPipelineOptions &options);

/// gpu.func kernels -> NVVM -> PTX/cubin in gpu.binary ops, host side in
/// the LLVM dialect (stage 2 of attn-lower-to-gpu).
void buildGPUKernelsToBinaryPipeline(OpPassManager &pm,
                                     const GPUPipelineOptions &options);

/// Both stages.
void buildAttnToGPUPipeline(OpPassManager &pm,
                            const GPUPipelineOptions &options);

/// The CUDA toolkit directory: `requested` when set, else CUDA_ROOT,
/// CUDA_HOME, CUDA_PATH, or /usr/local/cuda when it has bin/ptxas; empty
/// when none is found.
std::string findCUDAToolkit(llvm::StringRef requested = "");

/// Registers `attn-lower-to-gpu`, `attn-lower-to-gpu-kernels` and
/// `attn-gpu-kernels-to-binary`.
void registerAttnGPUPipelines();

/// Registers `attn-lower-to-cpu` and `attn-linalg-to-llvm`.
void registerAttnPipelines();

} // namespace attn
} // namespace mlir

#endif // ATTN_CONVERSION_PIPELINES_H
