//===- CApi.cpp - C API over attn::runtime::KVCache -----------------------===//
//
// Every entry point catches all exceptions; none crosses the C boundary.
//
//===----------------------------------------------------------------------===//

#include "attn/runtime/KVCache.h"
#include "attn/runtime/Quant.h"
#include "attn/runtime/attn_runtime.h"

#include "CudaMemory.h"

#include <cstring>
#include <new>
#include <string>

using namespace attn::runtime;

struct attn_kv_cache {
  std::unique_ptr<KVCache> impl;
};

namespace {

thread_local std::string lastError;

attn_status_t setError(attn_status_t code, const std::string &msg) {
  try {
    lastError = msg;
  } catch (...) {
  }
  return code;
}

template <typename F> attn_status_t guard(F &&f) {
  try {
    f();
    return ATTN_OK;
  } catch (const Error &e) {
    return setError(e.code, e.what());
  } catch (const std::bad_alloc &) {
    return setError(ATTN_ERR_OUT_OF_MEMORY, "out of host memory");
  } catch (const std::exception &e) {
    return setError(ATTN_ERR_INTERNAL,
                    std::string("internal error: ") + e.what());
  } catch (...) {
    return setError(ATTN_ERR_INTERNAL, "internal error: unknown exception");
  }
}

KVCache &impl(attn_kv_cache_t *c) {
  if (!c || !c->impl)
    throw Error(ATTN_ERR_INVALID_ARGUMENT, "null cache handle");
  return *c->impl;
}

const KVCache &impl(const attn_kv_cache_t *c) {
  if (!c || !c->impl)
    throw Error(ATTN_ERR_INVALID_ARGUMENT, "null cache handle");
  return *c->impl;
}

void requireOut(const void *p, const char *what) {
  if (!p)
    throw Error(ATTN_ERR_INVALID_ARGUMENT,
                std::string("null output pointer: ") + what);
}

/// Reads an enum field as its raw int so an out-of-range value from C is
/// rejected without ever being loaded as the enum type.
template <typename E> int32_t rawEnum(const E &e) {
  static_assert(sizeof(E) == sizeof(int32_t), "C enums are int-sized");
  int32_t v;
  std::memcpy(&v, &e, sizeof(v));
  return v;
}

template <typename E>
E checkedEnum(const E &e, int32_t maxValue, const char *what) {
  const int32_t v = rawEnum(e);
  if (v < 0 || v > maxValue)
    throw Error(ATTN_ERR_INVALID_ARGUMENT,
                std::string("invalid ") + what + " " + std::to_string(v));
  return static_cast<E>(v);
}

RopeParams toRope(const attn_rope_params_t &r) {
  RopeParams p;
  p.style = checkedEnum(r.style, ATTN_ROPE_GPTJ, "RoPE style");
  p.rotaryDim = r.rotary_dim;
  p.theta = r.theta;
  return p;
}

void checkAppendDims(const CacheConfig &cfg, int32_t numLayers,
                     int32_t numKVHeads, int32_t headDim) {
  if (numLayers != cfg.numLayers || numKVHeads != cfg.numKVHeads ||
      headDim != cfg.headDim)
    throw Error(ATTN_ERR_DIM_MISMATCH,
                "append dims (layers " + std::to_string(numLayers) +
                    ", kv heads " + std::to_string(numKVHeads) + ", head dim " +
                    std::to_string(headDim) + ") do not match the cache (" +
                    std::to_string(cfg.numLayers) + ", " +
                    std::to_string(cfg.numKVHeads) + ", " +
                    std::to_string(cfg.headDim) + ")");
}

bool validFP8(attn_dtype_t dt) {
  return dt == ATTN_DTYPE_FP8_E4M3FN || dt == ATTN_DTYPE_FP8_E5M2;
}

FP8Format toFP8(attn_dtype_t dt) {
  return dt == ATTN_DTYPE_FP8_E4M3FN ? FP8Format::E4M3FN : FP8Format::E5M2;
}

} // namespace

extern "C" {

const char *attn_runtime_version(void) { return ATTN_RUNTIME_VERSION_STRING; }

int attn_runtime_has_cuda(void) { return cuda::available() ? 1 : 0; }

const char *attn_last_error_message(void) { return lastError.c_str(); }

const char *attn_status_string(attn_status_t s) {
  switch (s) {
  case ATTN_OK:
    return "ok";
  case ATTN_ERR_INVALID_ARGUMENT:
    return "invalid argument";
  case ATTN_ERR_OUT_OF_BLOCKS:
    return "out of blocks";
  case ATTN_ERR_UNKNOWN_SEQUENCE:
    return "unknown sequence";
  case ATTN_ERR_DIM_MISMATCH:
    return "dimension mismatch";
  case ATTN_ERR_BAD_SCALE:
    return "bad scale";
  case ATTN_ERR_BAD_BLOCK_SIZE:
    return "bad block size";
  case ATTN_ERR_INVALID_STATE:
    return "invalid state";
  case ATTN_ERR_UNSUPPORTED:
    return "unsupported";
  case ATTN_ERR_DEVICE:
    return "device error";
  case ATTN_ERR_OUT_OF_MEMORY:
    return "out of memory";
  case ATTN_ERR_INTERNAL:
    return "internal error";
  }
  return "unknown status";
}

size_t attn_dtype_size(attn_dtype_t dtype) {
  switch (dtype) {
  case ATTN_DTYPE_F32:
    return 4;
  case ATTN_DTYPE_F16:
  case ATTN_DTYPE_BF16:
    return 2;
  case ATTN_DTYPE_INT8:
  case ATTN_DTYPE_FP8_E4M3FN:
  case ATTN_DTYPE_FP8_E5M2:
    return 1;
  }
  return 0;
}

attn_status_t attn_kv_cache_create(const attn_kv_cache_config_t *config,
                                   attn_kv_cache_t **out) {
  return guard([&] {
    requireOut(out, "out_cache");
    *out = nullptr;
    if (!config)
      throw Error(ATTN_ERR_INVALID_ARGUMENT, "null config");
    const attn_kv_cache_config_t &c = *config;
    CacheConfig cfg;
    cfg.numLayers = c.num_layers;
    cfg.numKVHeads = c.num_kv_heads;
    cfg.headDim = c.head_dim;
    cfg.blockSize = c.block_size;
    cfg.numBlocks = c.num_blocks;
    cfg.layout = checkedEnum(c.layout, ATTN_LAYOUT_HND, "layout");
    cfg.dtype = checkedEnum(c.dtype, ATTN_DTYPE_FP8_E5M2, "dtype");
    cfg.granularity =
        checkedEnum(c.granularity, ATTN_QUANT_PER_TOKEN, "granularity");
    cfg.asymmetric = c.asymmetric != 0;
    cfg.memory = checkedEnum(c.memory, ATTN_MEMORY_CUDA, "memory kind");
    cfg.deviceId = c.device_id;
    size_t n = 0;
    if (c.num_layers > 0 && c.num_kv_heads > 0) {
      if (cfg.granularity == ATTN_QUANT_PER_TENSOR)
        n = size_t(c.num_layers);
      else if (cfg.granularity == ATTN_QUANT_PER_HEAD)
        n = size_t(c.num_layers) * size_t(c.num_kv_heads);
    }
    if (n == 0 &&
        (c.k_scales || c.v_scales || c.k_zero_points || c.v_zero_points))
      throw Error(ATTN_ERR_INVALID_ARGUMENT,
                  "static scales given for a cache without static scales");
    if (n) {
      if (!c.k_scales || !c.v_scales)
        throw Error(ATTN_ERR_BAD_SCALE, "K and V scales are required");
      cfg.kScales.assign(c.k_scales, c.k_scales + n);
      cfg.vScales.assign(c.v_scales, c.v_scales + n);
      if (c.asymmetric) {
        if (!c.k_zero_points || !c.v_zero_points)
          throw Error(ATTN_ERR_BAD_SCALE, "K and V zero points are required");
        cfg.kZeroPoints.assign(c.k_zero_points, c.k_zero_points + n);
        cfg.vZeroPoints.assign(c.v_zero_points, c.v_zero_points + n);
      } else if (c.k_zero_points || c.v_zero_points) {
        throw Error(ATTN_ERR_INVALID_ARGUMENT,
                    "zero points given for a symmetric cache");
      }
    }
    auto h = std::make_unique<attn_kv_cache>();
    h->impl = std::make_unique<KVCache>(cfg);
    *out = h.release();
  });
}

void attn_kv_cache_destroy(attn_kv_cache_t *cache) {
  try {
    delete cache;
  } catch (...) {
  }
}

attn_status_t attn_kv_cache_set_scales(attn_kv_cache_t *cache,
                                       const float *k_scales,
                                       const float *v_scales,
                                       const int32_t *k_zero_points,
                                       const int32_t *v_zero_points) {
  return guard([&] {
    impl(cache).setScales(k_scales, v_scales, k_zero_points, v_zero_points);
  });
}

attn_status_t attn_kv_seq_create(attn_kv_cache_t *cache, int64_t *out_seq) {
  return guard([&] {
    KVCache &c = impl(cache);
    requireOut(out_seq, "out_seq");
    *out_seq = c.createSequence();
  });
}

attn_status_t attn_kv_seq_fork(attn_kv_cache_t *cache, int64_t src,
                               int64_t *out_seq) {
  return guard([&] {
    KVCache &c = impl(cache);
    requireOut(out_seq, "out_seq");
    *out_seq = c.fork(src);
  });
}

attn_status_t attn_kv_seq_free(attn_kv_cache_t *cache, int64_t seq) {
  return guard([&] { impl(cache).freeSequence(seq); });
}

attn_status_t attn_kv_seq_length(const attn_kv_cache_t *cache, int64_t seq,
                                 int64_t *out_length) {
  return guard([&] {
    const KVCache &c = impl(cache);
    requireOut(out_length, "out_length");
    *out_length = c.length(seq);
  });
}

attn_status_t attn_kv_seq_truncate(attn_kv_cache_t *cache, int64_t seq,
                                   int64_t new_length) {
  return guard([&] { impl(cache).truncate(seq, new_length); });
}

attn_status_t attn_kv_append(attn_kv_cache_t *cache, int64_t seq,
                             int64_t n_tokens, int32_t num_layers,
                             int32_t num_kv_heads, int32_t head_dim,
                             const float *k, const float *v) {
  return guard([&] {
    KVCache &c = impl(cache);
    checkAppendDims(c.config(), num_layers, num_kv_heads, head_dim);
    c.append(seq, n_tokens, k, v);
  });
}

attn_status_t attn_kv_append_v2(attn_kv_cache_t *cache, int64_t seq,
                                int64_t n_tokens, int32_t num_layers,
                                int32_t num_kv_heads, int32_t head_dim,
                                const void *k, const void *v,
                                attn_dtype_t src_dtype,
                                attn_memory_kind_t src_memory) {
  return guard([&] {
    KVCache &c = impl(cache);
    const attn_dtype_t type =
        checkedEnum(src_dtype, ATTN_DTYPE_FP8_E5M2, "source dtype");
    const attn_memory_kind_t memory =
        checkedEnum(src_memory, ATTN_MEMORY_CUDA, "source memory kind");
    checkAppendDims(c.config(), num_layers, num_kv_heads, head_dim);
    c.append(seq, n_tokens, k, v, type, memory);
  });
}

attn_status_t attn_kv_reserve(attn_kv_cache_t *cache, int64_t seq,
                              int64_t n_tokens) {
  return guard([&] { impl(cache).reserve(seq, n_tokens); });
}

attn_status_t attn_kv_read(const attn_kv_cache_t *cache, int64_t seq,
                           int32_t layer, int64_t start, int64_t n_tokens,
                           float *k_out, float *v_out) {
  return guard(
      [&] { impl(cache).read(seq, layer, start, n_tokens, k_out, v_out); });
}

attn_status_t attn_kv_ingest_padded(attn_kv_cache_t *cache, const float *qkv,
                                    int32_t num_layers, int32_t batch,
                                    int32_t max_seqlen, int32_t num_q_heads,
                                    int32_t num_kv_heads, int32_t head_dim,
                                    const int64_t *seq_ids,
                                    const int32_t *seq_lens,
                                    const attn_rope_params_t *rope) {
  return guard([&] {
    RopeParams p;
    if (rope)
      p = toRope(*rope);
    impl(cache).ingestPadded(qkv, num_layers, batch, max_seqlen, num_q_heads,
                             num_kv_heads, head_dim, seq_ids, seq_lens,
                             rope ? &p : nullptr);
  });
}

attn_status_t attn_kv_ingest_packed(attn_kv_cache_t *cache, const float *qkv,
                                    int32_t num_layers, int64_t total_tokens,
                                    int32_t num_q_heads, int32_t num_kv_heads,
                                    int32_t head_dim, int32_t batch,
                                    const int64_t *seq_ids,
                                    const int32_t *cu_seqlens,
                                    const attn_rope_params_t *rope) {
  return guard([&] {
    RopeParams p;
    if (rope)
      p = toRope(*rope);
    impl(cache).ingestPacked(qkv, num_layers, total_tokens, num_q_heads,
                             num_kv_heads, head_dim, batch, seq_ids, cu_seqlens,
                             rope ? &p : nullptr);
  });
}

attn_status_t attn_kv_reorder(attn_kv_cache_t *cache, const int64_t *seqs,
                              const int32_t *src_index, int32_t n) {
  return guard([&] { impl(cache).reorder(seqs, src_index, n); });
}

attn_status_t attn_kv_prune(attn_kv_cache_t *cache, const int64_t *seqs,
                            int32_t n) {
  return guard([&] { impl(cache).prune(seqs, n); });
}

attn_status_t attn_kv_get_stats(const attn_kv_cache_t *cache,
                                attn_kv_stats_t *out_stats) {
  return guard([&] {
    const KVCache &c = impl(cache);
    requireOut(out_stats, "out_stats");
    *out_stats = c.stats();
  });
}

attn_status_t attn_kv_get_block_table(const attn_kv_cache_t *cache,
                                      const int64_t *seqs, int32_t num_seqs,
                                      int32_t max_blocks, int32_t *block_table,
                                      int32_t *context_lens) {
  return guard([&] {
    impl(cache).denseBlockTable(seqs, num_seqs, max_blocks, block_table,
                                context_lens);
  });
}

attn_status_t attn_kv_get_layer_view(const attn_kv_cache_t *cache,
                                     int32_t layer, attn_kv_layer_view_t *out) {
  return guard([&] {
    const KVCache &c = impl(cache);
    requireOut(out, "out");
    *out = c.layerView(layer);
  });
}

uint16_t attn_f32_to_f16(float x) { return f32ToF16(x); }
float attn_f16_to_f32(uint16_t h) { return f16ToF32(h); }
uint16_t attn_f32_to_bf16(float x) { return f32ToBF16(x); }
float attn_bf16_to_f32(uint16_t h) { return bf16ToF32(h); }

uint8_t attn_f32_to_fp8(float x, attn_dtype_t dtype, int saturate) {
  if (!validFP8(dtype)) {
    setError(ATTN_ERR_INVALID_ARGUMENT, "dtype is not an FP8 format");
    return 0;
  }
  return f32ToFP8(x, toFP8(dtype), saturate != 0);
}

float attn_fp8_to_f32(uint8_t code, attn_dtype_t dtype) {
  if (!validFP8(dtype)) {
    setError(ATTN_ERR_INVALID_ARGUMENT, "dtype is not an FP8 format");
    return 0.0f;
  }
  return fp8ToF32(code, toFP8(dtype));
}

attn_status_t attn_convert_f32_to_fp8(const float *in, uint8_t *out, size_t n,
                                      attn_dtype_t dtype, int saturate) {
  return guard([&] {
    if (!validFP8(dtype))
      throw Error(ATTN_ERR_INVALID_ARGUMENT, "dtype is not an FP8 format");
    if (n && (!in || !out))
      throw Error(ATTN_ERR_INVALID_ARGUMENT, "null buffer");
    for (size_t i = 0; i < n; ++i)
      out[i] = f32ToFP8(in[i], toFP8(dtype), saturate != 0);
  });
}

attn_status_t attn_convert_fp8_to_f32(const uint8_t *in, float *out, size_t n,
                                      attn_dtype_t dtype) {
  return guard([&] {
    if (!validFP8(dtype))
      throw Error(ATTN_ERR_INVALID_ARGUMENT, "dtype is not an FP8 format");
    if (n && (!in || !out))
      throw Error(ATTN_ERR_INVALID_ARGUMENT, "null buffer");
    for (size_t i = 0; i < n; ++i)
      out[i] = fp8ToF32(in[i], toFP8(dtype));
  });
}

attn_status_t attn_convert_f32_to_f16(const float *in, uint16_t *out,
                                      size_t n) {
  return guard([&] {
    if (n && (!in || !out))
      throw Error(ATTN_ERR_INVALID_ARGUMENT, "null buffer");
    for (size_t i = 0; i < n; ++i)
      out[i] = f32ToF16(in[i]);
  });
}

attn_status_t attn_convert_f32_to_bf16(const float *in, uint16_t *out,
                                       size_t n) {
  return guard([&] {
    if (n && (!in || !out))
      throw Error(ATTN_ERR_INVALID_ARGUMENT, "null buffer");
    for (size_t i = 0; i < n; ++i)
      out[i] = f32ToBF16(in[i]);
  });
}

attn_status_t attn_rope_apply(float *x, int64_t n_tokens, int32_t num_heads,
                              int32_t head_dim, const int64_t *positions,
                              const attn_rope_params_t *rope) {
  return guard([&] {
    if (!rope)
      throw Error(ATTN_ERR_INVALID_ARGUMENT, "null RoPE params");
    if (n_tokens < 0 || num_heads < 1 || head_dim < 1)
      throw Error(ATTN_ERR_INVALID_ARGUMENT, "bad RoPE tensor dims");
    if (n_tokens > 0 && (!x || !positions))
      throw Error(ATTN_ERR_INVALID_ARGUMENT, "null buffer");
    const RopeParams p = toRope(*rope);
    const int32_t r = validateRope(p, head_dim);
    const std::vector<float> inv = makeRopeInvFreq(r, p.theta);
    const size_t tok = size_t(num_heads) * size_t(head_dim);
    for (int64_t t = 0; t < n_tokens; ++t)
      applyRope(x + size_t(t) * tok, num_heads, head_dim, r, p.style,
                positions[t], inv);
  });
}

} // extern "C"
