/*===- Run.h - run pipelines, JIT on the CPU, compile GPU kernels -*- C -*-===*\
|*                                                                            *|
|* What attn-opt, attn-runner and attn-compile do, as C functions: run a     *|
|* named pipeline on a module, JIT-compile a function for the CPU and call    *|
|* it on the caller's buffers, and write GPU kernels (PTX, cubin, the C       *|
|* header and the JSON manifest the runtime's kernel loader reads).           *|
|*                                                                            *|
|* Errors: a failing call returns a null handle or a failed MlirLogicalResult *|
|* and leaves its message (with the diagnostics' locations) in                *|
|* attnGetLastError(), per thread. Nothing is printed.                        *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef ATTN_C_RUN_H
#define ATTN_C_RUN_H

#include "mlir-c/IR.h"
#include "mlir-c/Support.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The message of this thread's last failed attn C API call ("" when none
/// failed). Valid until the next call on this thread.
MLIR_CAPI_EXPORTED const char *attnGetLastError(void);

/// The attn version ("0.4.0").
MLIR_CAPI_EXPORTED const char *attnGetVersion(void);

/// A context with every dialect attn's pipelines use registered and loaded,
/// and attn's passes and pipelines registered by name. Destroy it with
/// mlirContextDestroy.
MLIR_CAPI_EXPORTED MlirContext attnContextCreate(void);

/// Parses `text` into a module (null and the parser's message on error).
MLIR_CAPI_EXPORTED MlirModule attnModuleParse(MlirContext ctx,
                                              MlirStringRef text);

/// Runs a textual pass pipeline on `module`: a pipeline name with options
/// ("attn-lower-to-cpu{threads=2}", "attn-fuse-attention") or a full
/// "builtin.module(...)" pipeline.
MLIR_CAPI_EXPORTED MlirLogicalResult attnRunPipeline(MlirModule module,
                                                     MlirStringRef pipeline);

/// A function JIT-compiled for this CPU.
typedef struct AttnCpuFunction AttnCpuFunction;

/// Wraps `entry` of `module` (it takes and returns static ranked tensors),
/// lowers the module with attn-lower-to-cpu on `threads` threads (0: the
/// ATTN_NUM_THREADS environment variable, else every hardware thread) and
/// JIT-compiles it. The module is modified; the function does not need it
/// afterwards but its context must outlive it. Null on error.
MLIR_CAPI_EXPORTED AttnCpuFunction *
attnCpuFunctionCreate(MlirModule module, MlirStringRef entry, unsigned threads);

MLIR_CAPI_EXPORTED intptr_t
attnCpuFunctionGetNumArguments(const AttnCpuFunction *fn);
MLIR_CAPI_EXPORTED intptr_t
attnCpuFunctionGetNumResults(const AttnCpuFunction *fn);
/// Rank and sizes of argument `i` (results follow the arguments: i =
/// numArguments + r); `sizes` may be null to query the rank only. -1 when i
/// is out of range.
MLIR_CAPI_EXPORTED intptr_t attnCpuFunctionGetShape(const AttnCpuFunction *fn,
                                                    intptr_t i, int64_t *sizes);
/// Element type of argument `i` ("f16", "bf16", "f32", "f64", "i1", "i8",
/// "i32" or "i64"), "" when out of range.
MLIR_CAPI_EXPORTED const char *
attnCpuFunctionGetElementType(const AttnCpuFunction *fn, intptr_t i);

/// Calls the function: `buffers` holds one pointer per argument, then one
/// per result, each to a dense row-major buffer of that tensor's shape and
/// element type; results are written in place. An argument that the function
/// updates (the pools of attn.kv_cache_append) is updated in its own buffer;
/// the buffer of a result that returns such an argument may be that same
/// buffer, and then nothing is copied (a decode loop keeps one pool). Other
/// result buffers must not overlap the arguments.
MLIR_CAPI_EXPORTED MlirLogicalResult attnCpuFunctionCall(AttnCpuFunction *fn,
                                                         void *const *buffers,
                                                         intptr_t numBuffers);

MLIR_CAPI_EXPORTED void attnCpuFunctionDestroy(AttnCpuFunction *fn);

/// Frees the large temporary buffers (1 MiB or more, up to 512 MiB in all)
/// that the functions of attnCpuFunctionCreate keep between calls so that a
/// call in a loop does not map and fault in its temporaries again; returns
/// the bytes freed. Any time, from any thread: the next call allocates what
/// it needs.
MLIR_CAPI_EXPORTED size_t attnCpuReleaseCachedBuffers(void);

/// attn-compile's options (null strings: the default).
typedef struct AttnCompileOptions {
  /// "sm_80" (default) or "sm_90a".
  const char *chip;
  /// "auto" (default), "mma", "wgmma" or "simt".
  const char *kernel;
  /// sm_90a wgmma kernels: TMA from a producer warpgroup (default true).
  bool tma;
  int64_t tileKV, blockSize;
  /// ptxas and the CUDA toolkit directory (default: found as attn-compile
  /// finds them); cubins are skipped when no ptxas is found.
  const char *ptxas, *toolkit;
  bool cubin;
  /// Stem of the header and manifest (default "attn_kernels").
  const char *moduleName;
} AttnCompileOptions;

MLIR_CAPI_EXPORTED void attnCompileOptionsInit(AttnCompileOptions *options);

/// Lowers `module` (modified) to GPU kernels and writes into `outDir` each
/// kernel's .ptx (and .cubin with ptxas), <moduleName>.h (the launch ABI)
/// and <moduleName>.json (the manifest for the runtime's kernel loader,
/// attn_kernel_module_load). The number of kernels, or -1 on error.
MLIR_CAPI_EXPORTED intptr_t attnCompileKernels(
    MlirModule module, const AttnCompileOptions *options, MlirStringRef outDir);

#ifdef __cplusplus
}
#endif

#endif // ATTN_C_RUN_H
