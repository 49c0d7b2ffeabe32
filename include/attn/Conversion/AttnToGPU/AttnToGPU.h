//===- AttnToGPU.h - attn to GPU kernels -------------------------*- C++
//-*-===//
//
// Helpers shared by the GPU code generation passes (passes/Conversion/
// AttnToGPU/), the attn-lower-to-gpu pipeline and the kernel artifact
// emission (lib/Target/).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_CONVERSION_ATTNTOGPU_ATTNTOGPU_H
#define ATTN_CONVERSION_ATTNTOGPU_ATTNTOGPU_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>
#include <utility>

namespace mlir {
class Attribute;
class DictionaryAttr;
class MLIRContext;
class RewritePatternSet;
class OpBuilder;
class Location;
class Value;
namespace gpu {
class GPUFuncOp;
} // namespace gpu
namespace attn {
class SdpaOp;
class PagedAttentionOp;
class KVCacheAppendOp;
class RopeOp;
enum class Layout : uint32_t;

/// Why the tensor-core kernel (attn-sdpa-to-mma) cannot compile `op`; empty
/// when it can. `tma` / `wgmma`: whether the sm_90a warp-specialized TMA
/// kernel / warpgroup MMA is in use (head dimension 256 needs Q in shared
/// memory: the TMA kernel or mma.sync, not wgmma with cp.async).
std::string tensorCoreUnsupportedReason(SdpaOp op, bool tma = false,
                                        bool wgmma = false);
/// Whether `op` asks for the FP8 kernel: its query, key or value is an
/// attn.dequantize result (the kernel reads the codes and folds the
/// scales in).
bool isFp8Sdpa(SdpaOp op);
/// Why the FP8 kernel cannot compile `op` (isFp8Sdpa); empty when it can.
/// Q, K and V must all be e4m3 codes through attn.dequantize with
/// per-tensor or per-head (axis 1) scales, each used only by `op`, on the
/// sm_90a TMA kernel (`tma`) at head dimension 128, dense or varlen.
std::string fp8SdpaUnsupportedReason(SdpaOp op, bool tma);
/// Why `rope` cannot be fused into the GPU kernel of its user (which reads
/// its input in `expected` layout); empty when it can.
std::string fusedRopeUnsupportedReason(RopeOp rope, Layout expected);
/// Why the kv_cache_append GPU kernel cannot compile `op`; empty when it can.
std::string cacheAppendUnsupportedReason(KVCacheAppendOp op);
/// Why the tensor-core kernel cannot compile the paged attention `op`
/// (the only GPU kernel for it); empty when it can.
std::string pagedTensorCoreUnsupportedReason(PagedAttentionOp op);

/// Argument/result attribute naming a kernel parameter (`attn.param`).
inline constexpr llvm::StringLiteral kParamNameAttr = "attn.param";
/// Kernel attribute: dictionary {grid, block, shared_memory_bytes} and,
/// for a kernel whose grid x may be chosen at launch, grid_max.
inline constexpr llvm::StringLiteral kLaunchAttr = "attn.launch";
/// Kernel attribute: array of {name, access = "read" | "readwrite"}
/// dictionaries, one per parameter in ABI order.
inline constexpr llvm::StringLiteral kParamsAttr = "attn.params";

/// Marks `kernel` as a kernel with a fixed launch: known block (x threads)
/// and grid sizes, `attn.launch` (no dynamic shared memory) and
/// `attn.params` (`params`: one {name, access} dictionary per parameter).
/// With `gridXMax` > 0, grid x is the default of a size the launch may
/// choose from 1 to `gridXMax` (not known to the kernel; `grid_max` in
/// `attn.launch`).
void setKernelLaunch(gpu::GPUFuncOp kernel, ArrayRef<int64_t> grid,
                     int64_t blockSize, ArrayRef<Attribute> params,
                     int64_t gridXMax = 0);

/// One `attn.params` entry: {name, access = "readwrite" | "read"}.
DictionaryAttr kernelParamInfo(MLIRContext *ctx, StringRef name, bool written);

/// The `attn.params` entry of a TMA tensor-map parameter (an `!llvm.ptr`
/// argument passed by value, 128 bytes, `nvvm.grid_constant`): {name,
/// access = "read", kind = "tensor_map", tensor (the pointer parameter it
/// maps), dims (elements, innermost first), strides (bytes of dims 1..),
/// box, swizzle (bytes: 0, 32, 64 or 128)}. The engine encodes it with
/// cuTensorMapEncodeTiled from the parameters the manifest lists.
DictionaryAttr tensorMapParamInfo(MLIRContext *ctx, StringRef name,
                                  StringRef tensor, ArrayRef<int64_t> dims,
                                  ArrayRef<int64_t> strides,
                                  ArrayRef<int64_t> box, int64_t swizzle);

/// Kernel attribute: indices of the parameters that are TMA tensor maps
/// passed by value (`!llvm.ptr` in the gpu.func); attn-nvvm-kernel-abi
/// gives them `llvm.byval`, `llvm.align` and `nvvm.grid_constant` once the
/// kernel is an llvm.func.
inline constexpr llvm::StringLiteral kTensorMapArgsAttr =
    "attn.tensor_map_args";

/// Sets the dynamic shared memory a kernel marked by setKernelLaunch needs.
void setKernelSharedMemory(gpu::GPUFuncOp kernel, int64_t bytes);

/// Records the configuration a tensor-core kernel was generated with as
/// `config` in its `attn.launch` (the manifest's "config"): `form`
/// ("mma.sync", "wgmma", "wgmma.tma" or "combine"), integer settings
/// (query_rows, tile_kv, warps, ...) and flags (decode, paged, ...).
void setKernelConfig(gpu::GPUFuncOp kernel, StringRef form,
                     ArrayRef<std::pair<StringRef, int64_t>> sizes,
                     ArrayRef<std::pair<StringRef, bool>> flags = {});

/// Whether `chip` is a GPU the pipeline generates code for (sm_80, sm_90a).
bool isSupportedGPUChip(llvm::StringRef chip);

/// Emits cos and sin of the f32 `angle` (f32 results) for GPU kernels
/// without libdevice: the angle is reduced modulo pi/2 in f64 with a
/// two-part pi/2 through FMAs (accurate for |angle| up to 2^31), then
/// polynomials in f64 on [-pi/4, pi/4] (errors below 2e-9) and the
/// quadrant's signs; the results are within an f32 ulp or two of a
/// correctly rounded cosf/sinf. Unlike libdevice's, the code has no
/// local-memory slow path and few live registers.
std::pair<Value, Value> emitCosSin(OpBuilder &b, Location loc, Value angle);

/// Patterns lowering f32 `math.exp2` and `math.log2` to the PTX
/// `ex2.approx.ftz.f32` and `lg2.approx.f32` instructions (the online softmax's
/// exponentials, as FlashAttention kernels compute them), to run inside a
/// gpu.module before convert-gpu-to-nvvm.
void populateExp2ToNVVMPatterns(RewritePatternSet &patterns);

} // namespace attn
} // namespace mlir

#endif // ATTN_CONVERSION_ATTNTOGPU_ATTNTOGPU_H
