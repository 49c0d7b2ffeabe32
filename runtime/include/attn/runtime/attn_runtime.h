/*===- attn_runtime.h - attn KV-cache runtime C API ------------*- C -*-===//
 *
 * C API of the attn runtime: a paged KV cache (block pool, per-sequence block
 * tables, beam-search fork/reorder/prune with copy-on-write), quantized
 * storage (f32, f16, bf16, INT8, FP8 e4m3fn / e5m2) and QKV ingest with RoPE.
 *
 * Every function returns an attn_status_t (or a plain value for pure
 * queries). On failure the cache is left exactly as it was and a message is
 * available from attn_last_error_message() (thread-local, valid until the next
 * failing call on the same thread). No C++ exception crosses this API.
 *
 * The memory layout contract is documented in docs/runtime/kv-cache-layout.md.
 *
 *===----------------------------------------------------------------------===*/

#ifndef ATTN_RUNTIME_ATTN_RUNTIME_H
#define ATTN_RUNTIME_ATTN_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define ATTN_RUNTIME_API __declspec(dllexport)
#else
#define ATTN_RUNTIME_API __attribute__((visibility("default")))
#endif

/* Version of this runtime: the attn project version (cmake/AttnVersion.cmake;
 * configuring the build checks that these match it). */
#define ATTN_RUNTIME_VERSION_MAJOR 0
#define ATTN_RUNTIME_VERSION_MINOR 4
#define ATTN_RUNTIME_VERSION_PATCH 0
#define ATTN_RUNTIME_VERSION_STRING "0.4.0"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum attn_status {
  ATTN_OK = 0,
  ATTN_ERR_INVALID_ARGUMENT = 1, /* null pointer, bad enum, bad range */
  ATTN_ERR_OUT_OF_BLOCKS = 2,    /* block pool exhausted */
  ATTN_ERR_UNKNOWN_SEQUENCE = 3, /* sequence id not live in this cache */
  ATTN_ERR_DIM_MISMATCH = 4,     /* tensor dims do not match the cache */
  ATTN_ERR_BAD_SCALE = 5,        /* scale zero/negative/NaN/inf, bad zp */
  ATTN_ERR_BAD_BLOCK_SIZE = 6,   /* block size not a power of two in 1..256 */
  ATTN_ERR_INVALID_STATE = 7,    /* operation not allowed in current state */
  ATTN_ERR_UNSUPPORTED = 8,      /* e.g. CUDA memory without a CUDA driver */
  ATTN_ERR_DEVICE = 9,           /* CUDA driver call failed */
  ATTN_ERR_OUT_OF_MEMORY = 10,   /* host allocation failed / size overflow */
  ATTN_ERR_INTERNAL = 11         /* unexpected internal error */
} attn_status_t;

typedef enum attn_dtype {
  ATTN_DTYPE_F32 = 0,
  ATTN_DTYPE_F16 = 1,
  ATTN_DTYPE_BF16 = 2,
  ATTN_DTYPE_INT8 = 3,
  ATTN_DTYPE_FP8_E4M3FN = 4,
  ATTN_DTYPE_FP8_E5M2 = 5
} attn_dtype_t;

typedef enum attn_layout {
  ATTN_LAYOUT_NHD = 0, /* [block][token_in_block][kv_head][head_dim] */
  ATTN_LAYOUT_HND = 1  /* [block][kv_head][token_in_block][head_dim] */
} attn_layout_t;

typedef enum attn_quant_granularity {
  ATTN_QUANT_NONE = 0,       /* f32 / f16 / bf16 */
  ATTN_QUANT_PER_TENSOR = 1, /* one static scale per layer for K and for V */
  ATTN_QUANT_PER_HEAD = 2,   /* static scale per (layer, kv_head), K and V */
  ATTN_QUANT_PER_TOKEN = 3   /* INT8 only: dynamic per (token, kv_head) */
} attn_quant_granularity_t;

typedef enum attn_memory_kind {
  ATTN_MEMORY_CPU = 0,
  ATTN_MEMORY_CUDA = 1
} attn_memory_kind_t;

typedef enum attn_rope_style {
  ATTN_ROPE_NEOX = 0, /* half-split */
  ATTN_ROPE_GPTJ = 1  /* interleaved */
} attn_rope_style_t;

typedef struct attn_kv_cache_config {
  int32_t num_layers;
  int32_t num_kv_heads;
  int32_t head_dim;
  int32_t block_size; /* power of two, 1..256 */
  int32_t num_blocks; /* blocks in the pool (shared by all layers) */
  attn_layout_t layout;
  attn_dtype_t dtype;
  attn_quant_granularity_t granularity;
  int32_t asymmetric; /* INT8 only: 1 = scale + zero point */
  attn_memory_kind_t memory;
  int32_t device_id; /* CUDA device ordinal when memory == CUDA */
  /* Static scales (PER_TENSOR: [num_layers]; PER_HEAD:
   * [num_layers][num_kv_heads]); NULL otherwise. Each must be finite > 0. */
  const float *k_scales;
  const float *v_scales;
  /* Asymmetric INT8 static zero points, same shape as the scales, each an
   * integer in [-128, 127]; NULL otherwise. */
  const int32_t *k_zero_points;
  const int32_t *v_zero_points;
} attn_kv_cache_config_t;

typedef struct attn_rope_params {
  attn_rope_style_t style;
  int32_t rotary_dim; /* 0 = head_dim; otherwise even and <= head_dim */
  float theta;        /* base, e.g. 10000.0f; finite and > 0 */
} attn_rope_params_t;

typedef struct attn_kv_stats {
  int64_t num_blocks;
  int64_t free_blocks;
  int64_t used_blocks;
  int64_t shared_blocks; /* used blocks with refcount > 1 */
  int64_t block_refs;    /* sum of refcounts = sum of table lengths */
  int64_t num_sequences;
  int64_t logical_tokens;  /* sum of sequence lengths */
  int64_t physical_tokens; /* distinct filled slots in used blocks */
  /* 1 - physical_tokens / (used_blocks * block_size); 0 when no block used */
  double fragmentation;
} attn_kv_stats_t;

typedef struct attn_kv_layer_view {
  void *k_pool; /* element type per dtype; see kv-cache-layout.md */
  void *v_pool;
  /* Scales for this layer: PER_TENSOR: 1 float; PER_HEAD: [num_kv_heads];
   * PER_TOKEN: the pool shape without head_dim, i.e. NHD
   * [num_blocks][block_size][num_kv_heads], HND
   * [num_blocks][num_kv_heads][block_size]; NULL for NONE. */
  float *k_scale;
  float *v_scale;
  /* INT8 asymmetric zero points (int32), same shape as scales, else NULL. */
  int32_t *k_zero_point;
  int32_t *v_zero_point;
  int64_t pool_elements; /* elements in k_pool (= v_pool) */
  int32_t memory;        /* attn_memory_kind_t of the pointers */
} attn_kv_layer_view_t;

typedef struct attn_kv_cache attn_kv_cache_t; /* opaque */

/*--- library ---------------------------------------------------------------*/
/* Version of the runtime library linked in ("0.4.0"): compare it with
 * ATTN_RUNTIME_VERSION_STRING to catch a header/library mismatch. */
ATTN_RUNTIME_API const char *attn_runtime_version(void);
/* 1 when CUDA device memory can be used here: the CUDA driver
 * (libcuda.so.1, loaded at run time; nothing links against CUDA) loads,
 * initialises and reports at least one device. 0 otherwise (a CPU-only host:
 * ATTN_MEMORY_CPU caches work as always). */
ATTN_RUNTIME_API int attn_runtime_has_cuda(void);
/* Message of the last failure on this thread ("" if none). */
ATTN_RUNTIME_API const char *attn_last_error_message(void);
ATTN_RUNTIME_API const char *attn_status_string(attn_status_t status);
/* Bytes per stored element of a dtype (0 for an invalid dtype). */
ATTN_RUNTIME_API size_t attn_dtype_size(attn_dtype_t dtype);

/*--- cache lifetime --------------------------------------------------------*/
ATTN_RUNTIME_API attn_status_t attn_kv_cache_create(
    const attn_kv_cache_config_t *config, attn_kv_cache_t **out_cache);
/* NULL is accepted. */
ATTN_RUNTIME_API void attn_kv_cache_destroy(attn_kv_cache_t *cache);
/* Replace the static scales (and zero points) of all layers; only allowed
 * while no sequence holds tokens (ATTN_ERR_INVALID_STATE otherwise). */
ATTN_RUNTIME_API attn_status_t attn_kv_cache_set_scales(
    attn_kv_cache_t *cache, const float *k_scales, const float *v_scales,
    const int32_t *k_zero_points, const int32_t *v_zero_points);

/*--- sequences -------------------------------------------------------------*/
ATTN_RUNTIME_API attn_status_t attn_kv_seq_create(attn_kv_cache_t *cache,
                                                  int64_t *out_seq);
/* New sequence sharing all blocks of src (reference counted). */
ATTN_RUNTIME_API attn_status_t attn_kv_seq_fork(attn_kv_cache_t *cache,
                                                int64_t src, int64_t *out_seq);
ATTN_RUNTIME_API attn_status_t attn_kv_seq_free(attn_kv_cache_t *cache,
                                                int64_t seq);
ATTN_RUNTIME_API attn_status_t attn_kv_seq_length(const attn_kv_cache_t *cache,
                                                  int64_t seq,
                                                  int64_t *out_length);
/* Drop tokens [new_length, length) of seq (speculative rollback). */
ATTN_RUNTIME_API attn_status_t attn_kv_seq_truncate(attn_kv_cache_t *cache,
                                                    int64_t seq,
                                                    int64_t new_length);

/* Append n_tokens tokens to seq for all layers. k and v are f32 host arrays
 * [num_layers][n_tokens][num_kv_heads][head_dim]; the dims are passed so they
 * can be checked against the cache (ATTN_ERR_DIM_MISMATCH). Same as
 * attn_kv_append_v2 with ATTN_DTYPE_F32 and ATTN_MEMORY_CPU. */
ATTN_RUNTIME_API attn_status_t attn_kv_append(
    attn_kv_cache_t *cache, int64_t seq, int64_t n_tokens, int32_t num_layers,
    int32_t num_kv_heads, int32_t head_dim, const float *k, const float *v);

/* attn_kv_append for other sources: k and v hold src_dtype elements
 * (ATTN_DTYPE_F32, ATTN_DTYPE_F16 or ATTN_DTYPE_BF16; anything else is
 * ATTN_ERR_INVALID_ARGUMENT), same shape, in host memory (src_memory =
 * ATTN_MEMORY_CPU; no alignment required) or CUDA device memory
 * (ATTN_MEMORY_CUDA: device, managed or registered pointers, from any cache
 * memory kind). f16/bf16 values are widened exactly to f32 and then stored
 * as the cache dtype stores f32 (an f16 source into an f16 cache, or a bf16
 * source into a bf16 cache, keeps every bit pattern, except that a bf16 NaN
 * becomes the canonical NaN of its sign). Device sources are copied to host
 * memory first with the CUDA driver API (libcuda.so.1, loaded at run time):
 * ATTN_ERR_UNSUPPORTED when there is no driver, ATTN_ERR_INVALID_ARGUMENT
 * when a pointer is not device memory, ATTN_ERR_DEVICE when a copy fails;
 * the cache is unchanged in every case. */
ATTN_RUNTIME_API attn_status_t attn_kv_append_v2(
    attn_kv_cache_t *cache, int64_t seq, int64_t n_tokens, int32_t num_layers,
    int32_t num_kv_heads, int32_t head_dim, const void *k, const void *v,
    attn_dtype_t src_dtype, attn_memory_kind_t src_memory);

/* Make room for n_tokens more tokens of seq in every layer without writing
 * them: blocks are allocated (and a partially filled last block shared with
 * a fork is copied first, as attn_kv_append does) and the length grows, so
 * attn_kv_get_block_table gives the slots where a kernel then writes them
 * (for example the compiled attn.kv_cache_append, with cache_lens = the
 * lengths before this call). Until then those slots hold unspecified data.
 * ATTN_ERR_OUT_OF_BLOCKS leaves the cache unchanged. */
ATTN_RUNTIME_API attn_status_t attn_kv_reserve(attn_kv_cache_t *cache,
                                               int64_t seq, int64_t n_tokens);

/* Read tokens [start, start + n_tokens) of one layer, dequantized to f32
 * [n_tokens][num_kv_heads][head_dim]. Either output may be NULL. */
ATTN_RUNTIME_API attn_status_t attn_kv_read(const attn_kv_cache_t *cache,
                                            int64_t seq, int32_t layer,
                                            int64_t start, int64_t n_tokens,
                                            float *k_out, float *v_out);

/* Ingest K/V of a padded QKV tensor f32 [num_layers][batch][max_seqlen][W],
 * W = (num_q_heads + 2 * num_kv_heads) * head_dim, laid out as
 * [Q heads | K heads | V heads]. Row b appends its first seq_lens[b] tokens
 * to seq_ids[b] (ids distinct). rope may be NULL (no RoPE); otherwise RoPE is
 * applied to K with positions starting at each sequence's current length.
 * Atomic: either every sequence is appended or nothing changes. */
ATTN_RUNTIME_API attn_status_t attn_kv_ingest_padded(
    attn_kv_cache_t *cache, const float *qkv, int32_t num_layers, int32_t batch,
    int32_t max_seqlen, int32_t num_q_heads, int32_t num_kv_heads,
    int32_t head_dim, const int64_t *seq_ids, const int32_t *seq_lens,
    const attn_rope_params_t *rope);

/* Same for a packed tensor f32 [num_layers][1][total_tokens][W]; sequence b
 * owns tokens [cu_seqlens[b], cu_seqlens[b+1]); cu_seqlens has batch + 1
 * entries, starts at 0, is non-decreasing and ends at total_tokens. */
ATTN_RUNTIME_API attn_status_t attn_kv_ingest_packed(
    attn_kv_cache_t *cache, const float *qkv, int32_t num_layers,
    int64_t total_tokens, int32_t num_q_heads, int32_t num_kv_heads,
    int32_t head_dim, int32_t batch, const int64_t *seq_ids,
    const int32_t *cu_seqlens, const attn_rope_params_t *rope);

/*--- beam search -----------------------------------------------------------*/
/* Cache indirection: afterwards seqs[i] holds exactly what
 * seqs[src_index[i]] held before (blocks shared, no copy). seqs distinct,
 * 0 <= src_index[i] < n. */
ATTN_RUNTIME_API attn_status_t attn_kv_reorder(attn_kv_cache_t *cache,
                                               const int64_t *seqs,
                                               const int32_t *src_index,
                                               int32_t n);
/* Free several sequences (dropped beams) atomically. */
ATTN_RUNTIME_API attn_status_t attn_kv_prune(attn_kv_cache_t *cache,
                                             const int64_t *seqs, int32_t n);

/*--- inspection / kernel interface ----------------------------------------*/
ATTN_RUNTIME_API attn_status_t attn_kv_get_stats(const attn_kv_cache_t *cache,
                                                 attn_kv_stats_t *out_stats);
/* Dense block table int32 [num_seqs][max_blocks] padded with -1 and context
 * lengths int32 [num_seqs] (either may be NULL). ATTN_ERR_INVALID_ARGUMENT if
 * a sequence has more than max_blocks blocks. */
ATTN_RUNTIME_API attn_status_t attn_kv_get_block_table(
    const attn_kv_cache_t *cache, const int64_t *seqs, int32_t num_seqs,
    int32_t max_blocks, int32_t *block_table, int32_t *context_lens);
/* Raw pointers to one layer's K/V pools and scale arrays. */
ATTN_RUNTIME_API attn_status_t attn_kv_get_layer_view(
    const attn_kv_cache_t *cache, int32_t layer, attn_kv_layer_view_t *out);

/*--- conversions and RoPE (exposed for testing and tools) -----------------*/
/* f32 -> f16 / bf16, round to nearest even, IEEE inf/NaN. */
ATTN_RUNTIME_API uint16_t attn_f32_to_f16(float x);
ATTN_RUNTIME_API float attn_f16_to_f32(uint16_t h);
ATTN_RUNTIME_API uint16_t attn_f32_to_bf16(float x);
ATTN_RUNTIME_API float attn_bf16_to_f32(uint16_t h);
/* f32 -> FP8 (dtype ATTN_DTYPE_FP8_E4M3FN or _E5M2), round to nearest even.
 * saturate = 0: overflow -> NaN (e4m3fn) / inf (e5m2), like ml_dtypes' cast.
 * saturate = 1: finite overflow and inf clamp to +-448 / +-57344. Returns
 * 0 for an invalid dtype (and sets the error message). */
ATTN_RUNTIME_API uint8_t attn_f32_to_fp8(float x, attn_dtype_t dtype,
                                         int saturate);
ATTN_RUNTIME_API float attn_fp8_to_f32(uint8_t code, attn_dtype_t dtype);
/* Bulk variants (n elements). */
ATTN_RUNTIME_API attn_status_t attn_convert_f32_to_fp8(const float *in,
                                                       uint8_t *out, size_t n,
                                                       attn_dtype_t dtype,
                                                       int saturate);
ATTN_RUNTIME_API attn_status_t attn_convert_fp8_to_f32(const uint8_t *in,
                                                       float *out, size_t n,
                                                       attn_dtype_t dtype);
ATTN_RUNTIME_API attn_status_t attn_convert_f32_to_f16(const float *in,
                                                       uint16_t *out, size_t n);
ATTN_RUNTIME_API attn_status_t attn_convert_f32_to_bf16(const float *in,
                                                        uint16_t *out,
                                                        size_t n);
/* In-place RoPE on x f32 [n_tokens][num_heads][head_dim]; token t has
 * position positions[t]. Same semantics as the ingest path. */
ATTN_RUNTIME_API attn_status_t attn_rope_apply(float *x, int64_t n_tokens,
                                               int32_t num_heads,
                                               int32_t head_dim,
                                               const int64_t *positions,
                                               const attn_rope_params_t *rope);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ATTN_RUNTIME_ATTN_RUNTIME_H */
