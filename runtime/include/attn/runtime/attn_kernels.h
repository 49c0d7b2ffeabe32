/*===- attn_kernels.h - load and launch attn-compile kernels ---*- C -*-===//
 *
 * Loads the kernels attn-compile writes (<kernel>.cubin or .ptx, described
 * by <module>.json) with the CUDA driver API only (libcuda.so.1, opened at
 * run time: no link-time dependency) and launches them after checking the
 * arguments against the manifest.
 *
 * Every function returns an attn_kernel_status; on failure a message is
 * available from attn_kernel_last_error() (thread-local, valid until the next
 * failing call on the same thread). Nothing here aborts or throws. A runtime
 * built without CUDA (ATTN_RUNTIME_ENABLE_CUDA=OFF) parses and
 * validates manifests but returns ATTN_KERNEL_ERROR_NO_CUDA from every call
 * that needs a GPU.
 *
 *===----------------------------------------------------------------------===*/

#ifndef ATTN_RUNTIME_ATTN_KERNELS_H
#define ATTN_RUNTIME_ATTN_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define ATTN_KERNELS_API __declspec(dllexport)
#else
#define ATTN_KERNELS_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum attn_kernel_status {
  ATTN_KERNEL_OK = 0,
  ATTN_KERNEL_ERROR_INVALID_ARGUMENT = 1, /* null pointer, count mismatch */
  ATTN_KERNEL_ERROR_IO = 2,               /* a file cannot be read */
  ATTN_KERNEL_ERROR_MANIFEST = 3,         /* malformed or inconsistent JSON */
  ATTN_KERNEL_ERROR_NOT_FOUND = 4,        /* no kernel of that name */
  ATTN_KERNEL_ERROR_NO_CUDA = 5,          /* built without CUDA, or no driver */
  ATTN_KERNEL_ERROR_CUDA = 6              /* a CUDA driver call failed */
} attn_kernel_status;

typedef struct attn_kernel_manifest attn_kernel_manifest;
typedef struct attn_kernel_module attn_kernel_module;
typedef struct attn_kernel attn_kernel;

/* The message of the last failure on this thread ("" if none). */
ATTN_KERNELS_API const char *attn_kernel_last_error(void);

/* Whether this runtime was built with CUDA support (1) or not (0). */
ATTN_KERNELS_API int attn_kernel_built_with_cuda(void);

/* ---- Manifest (CPU only) ------------------------------------------------ */

/* Parses manifest JSON text (format_version 1). `base_dir` (may be NULL)
 * is where the kernel files named in it live. */
ATTN_KERNELS_API attn_kernel_status
attn_kernel_manifest_parse(const char *json, size_t size, const char *base_dir,
                           attn_kernel_manifest **out);
/* Reads and parses <path>; kernel files are relative to its directory. */
ATTN_KERNELS_API attn_kernel_status
attn_kernel_manifest_load(const char *path, attn_kernel_manifest **out);
ATTN_KERNELS_API void attn_kernel_manifest_free(attn_kernel_manifest *m);

ATTN_KERNELS_API const char *
attn_kernel_manifest_chip(const attn_kernel_manifest *m);
ATTN_KERNELS_API const char *
attn_kernel_manifest_cache_key(const attn_kernel_manifest *m);
ATTN_KERNELS_API int
attn_kernel_manifest_num_kernels(const attn_kernel_manifest *m);

/* Launch description of one kernel of a manifest. */
typedef struct attn_kernel_info {
  const char *name;  /* kernel (entry) name */
  const char *cubin; /* file name, or NULL when only PTX was built */
  const char *ptx;   /* file name */
  uint32_t grid[3], block[3];
  uint32_t shared_memory_bytes;
  int num_params;
  /* 0, except for a split-KV attention kernel: its grid x is the split
   * count, any value from 1 to max_splits (grid[0] holds the default,
   * balanced for the longest key range; fewer splits suit shorter
   * contexts). */
  uint32_t max_splits;
} attn_kernel_info;

/* A parameter is a device pointer to a dense row-major buffer, or a TMA
 * tensor map: a 128-byte CUtensorMap passed by value that describes tiles of
 * another (pointer) parameter of the same kernel. Tensor maps need no
 * buffer: attn_kernel_launch encodes them from that parameter's pointer. */
typedef enum attn_kernel_param_kind {
  ATTN_KERNEL_PARAM_POINTER = 0,
  ATTN_KERNEL_PARAM_TENSOR_MAP = 1
} attn_kernel_param_kind;

typedef struct attn_kernel_param_info {
  const char *name;  /* "query", "key", "value", "out", "lse", ... */
  const char *dtype; /* "f16", "bf16", "f32", "i32", ... */
  const int64_t *shape;
  int rank;
  uint64_t bytes; /* size of the dense buffer the pointer must cover (128
                     for a tensor map) */
  int written;    /* 1 when the kernel writes it */
  attn_kernel_param_kind kind;
  /* Tensor maps only (the arguments of cuTensorMapEncodeTiled, with the
   * parameter `tensor_index` as the global address; interleave none, L2
   * promotion 128B, out-of-bounds elements read as zeros): */
  int tensor_index;            /* the pointer parameter it maps */
  int map_rank;                /* 1..5 */
  const uint64_t *map_dims;    /* elements, innermost first */
  const uint64_t *map_strides; /* bytes, of dims 1..map_rank-1 */
  const uint32_t *map_box;     /* elements per dimension of one tile */
  uint32_t map_swizzle_bytes;  /* 0 (none), 32, 64 or 128 */
} attn_kernel_param_info;

/* Kernel `index` (0 <= index < num_kernels), or by name. */
ATTN_KERNELS_API attn_kernel_status attn_kernel_manifest_kernel(
    const attn_kernel_manifest *m, int index, attn_kernel_info *out);
ATTN_KERNELS_API attn_kernel_status attn_kernel_manifest_find(
    const attn_kernel_manifest *m, const char *name, attn_kernel_info *out);
ATTN_KERNELS_API attn_kernel_status
attn_kernel_manifest_param(const attn_kernel_manifest *m, const char *kernel,
                           int index, attn_kernel_param_info *out);

/* Checks a launch of `kernel` against the manifest: `num_params` pointers,
 * none NULL, each 16-byte aligned (cudaMalloc gives 256), and (when non-NULL)
 * buffer sizes `bytes[i]` at least the parameter's size; grid/block (NULL: the
 * manifest's) equal to the ones the kernel was compiled for, except grid x of
 * a split-KV kernel, which may be 1 to max_splits. The entry of a
 * tensor-map parameter is NULL (the launch encodes the map) or points at a
 * caller-encoded 128-byte CUtensorMap in host memory, 64-byte aligned. */
ATTN_KERNELS_API attn_kernel_status attn_kernel_manifest_check_launch(
    const attn_kernel_manifest *m, const char *kernel, const uint32_t *grid,
    const uint32_t *block, void *const *params, const uint64_t *bytes,
    int num_params);

/* ---- GPU (CUDA driver API) ---------------------------------------------- */

/* Loads every kernel of the manifest at `manifest_path` into the current
 * CUDA context (creating the primary context of device 0 if there is none):
 * the cubin when there is one, else the PTX (JIT-compiled by the driver). */
ATTN_KERNELS_API attn_kernel_status
attn_kernel_module_load(const char *manifest_path, attn_kernel_module **out);
/* Same, with one kernel's image (cubin or NUL-terminated PTX) in memory. */
ATTN_KERNELS_API attn_kernel_status attn_kernel_module_load_image(
    const char *manifest_json, size_t manifest_size, const char *kernel,
    const void *image, attn_kernel_module **out);
ATTN_KERNELS_API void attn_kernel_module_free(attn_kernel_module *module);

ATTN_KERNELS_API attn_kernel_status attn_kernel_get(attn_kernel_module *module,
                                                    const char *name,
                                                    attn_kernel **out);

/* Launches `kernel` on `stream` (a CUstream, NULL: the default stream) with
 * `params[i]` the device pointer of parameter i. grid/block may be NULL (the
 * manifest's); `bytes` may be NULL (sizes not checked). Raises the dynamic
 * shared memory limit when the kernel needs more than 48 KiB. Tensor-map
 * parameters given as NULL are encoded here (cuTensorMapEncodeTiled) from
 * the pointer they map; a non-NULL entry is a caller-encoded CUtensorMap. */
ATTN_KERNELS_API attn_kernel_status attn_kernel_launch(
    attn_kernel *kernel, const uint32_t *grid, const uint32_t *block,
    void *stream, void *const *params, const uint64_t *bytes, int num_params);

#ifdef __cplusplus
}
#endif

#endif /* ATTN_RUNTIME_ATTN_KERNELS_H */
