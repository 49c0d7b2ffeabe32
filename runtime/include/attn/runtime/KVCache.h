//===- KVCache.h - Paged KV cache -------------------------------*- C++ -*-===//
//
// C++ interface of the paged KV cache. Every mutating method either succeeds
// or throws attn::runtime::Error leaving the cache exactly as it was.
// The C API (attn_runtime.h) wraps this class.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_KVCACHE_H
#define ATTN_RUNTIME_KVCACHE_H

#include "attn/runtime/attn_runtime.h"

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace attn {
namespace runtime {

/// Error thrown inside the runtime; converted to a status at the C API.
class Error : public std::runtime_error {
public:
  Error(attn_status_t code, const std::string &msg)
      : std::runtime_error(msg), code(code) {}
  attn_status_t code;
};

/// Device-independent byte buffer (host memory or CUDA device memory).
class Buffer {
public:
  virtual ~Buffer() = default;
  virtual void *data() const = 0;
  virtual size_t size() const = 0;
  virtual void write(size_t offset, const void *src, size_t bytes) = 0;
  virtual void read(size_t offset, void *dst, size_t bytes) const = 0;
  virtual void copy(size_t dstOffset, size_t srcOffset, size_t bytes) = 0;
  /// Allocates `bytes` zero-initialised bytes. Throws Error.
  static std::unique_ptr<Buffer> create(attn_memory_kind_t kind, int device,
                                        size_t bytes);
};

struct CacheConfig {
  int32_t numLayers = 1;
  int32_t numKVHeads = 1;
  int32_t headDim = 1;
  int32_t blockSize = 16;
  int32_t numBlocks = 1;
  attn_layout_t layout = ATTN_LAYOUT_NHD;
  attn_dtype_t dtype = ATTN_DTYPE_F32;
  attn_quant_granularity_t granularity = ATTN_QUANT_NONE;
  bool asymmetric = false;
  attn_memory_kind_t memory = ATTN_MEMORY_CPU;
  int32_t deviceId = 0;
  /// PER_TENSOR: [numLayers]; PER_HEAD: [numLayers * numKVHeads].
  std::vector<float> kScales, vScales;
  /// Asymmetric INT8 static quantization only; same shape as the scales.
  std::vector<int32_t> kZeroPoints, vZeroPoints;
};

struct RopeParams {
  attn_rope_style_t style = ATTN_ROPE_NEOX;
  int32_t rotaryDim = 0; ///< 0 = full head dim.
  float theta = 10000.0f;
};

/// Checks `p` against head dim `headDim`; throws Error. Returns rotary dim.
int32_t validateRope(const RopeParams &p, int32_t headDim);
/// Applies RoPE in place to one token: x[numHeads][headDim] at `position`.
/// invFreq has rotaryDim/2 entries from makeRopeInvFreq.
void applyRope(float *x, int32_t numHeads, int32_t headDim, int32_t rotaryDim,
               attn_rope_style_t style, int64_t position,
               const std::vector<float> &invFreq);
std::vector<float> makeRopeInvFreq(int32_t rotaryDim, float theta);

/// Full observable state, for tests (exact comparison before/after errors).
struct Snapshot {
  std::map<int64_t, std::pair<std::vector<int32_t>, int64_t>> seqs;
  std::vector<int32_t> refCounts;
  std::vector<int32_t> freeList;
  int64_t nextSeqId = 0;
  std::vector<uint8_t> memory; ///< All pools and scale arrays, host copy.
  bool operator==(const Snapshot &o) const {
    return seqs == o.seqs && refCounts == o.refCounts &&
           freeList == o.freeList && nextSeqId == o.nextSeqId &&
           memory == o.memory;
  }
  bool operator!=(const Snapshot &o) const { return !(*this == o); }
};

/// One sequence's part of a multi-sequence append.
struct AppendRequest {
  int64_t seq;
  int64_t numTokens;
};

class KVCache {
public:
  /// Validates the config and allocates all pools. Throws Error.
  explicit KVCache(const CacheConfig &config);
  ~KVCache();
  KVCache(const KVCache &) = delete;
  KVCache &operator=(const KVCache &) = delete;

  const CacheConfig &config() const { return cfg; }

  int64_t createSequence();
  int64_t fork(int64_t src);
  void freeSequence(int64_t seq);
  int64_t length(int64_t seq) const;
  void truncate(int64_t seq, int64_t newLength);
  std::vector<int32_t> blockTable(int64_t seq) const;

  /// k, v: f32 [numLayers][n][numKVHeads][headDim] in host memory.
  void append(int64_t seq, int64_t n, const float *k, const float *v);
  /// Same with k, v of element type srcType (F32, F16 or BF16) in host
  /// memory (srcMemory CPU) or CUDA device memory (CUDA: staged through host
  /// memory with the driver API).
  void append(int64_t seq, int64_t n, const void *k, const void *v,
              attn_dtype_t srcType, attn_memory_kind_t srcMemory);
  /// Makes room for n more tokens of seq (blocks, copy-on-write of a shared
  /// last block) without writing them: a kernel writes them.
  void reserve(int64_t seq, int64_t n);
  /// Padded/packed QKV ingest; see attn_runtime.h. rope may be null.
  void ingestPadded(const float *qkv, int32_t numLayers, int32_t batch,
                    int32_t maxSeqLen, int32_t numQHeads, int32_t numKVHeads,
                    int32_t headDim, const int64_t *seqIds,
                    const int32_t *seqLens, const RopeParams *rope);
  void ingestPacked(const float *qkv, int32_t numLayers, int64_t totalTokens,
                    int32_t numQHeads, int32_t numKVHeads, int32_t headDim,
                    int32_t batch, const int64_t *seqIds,
                    const int32_t *cuSeqLens, const RopeParams *rope);

  /// Dequantized read of tokens [start, start+n) of `layer`.
  void read(int64_t seq, int32_t layer, int64_t start, int64_t n, float *kOut,
            float *vOut) const;

  void reorder(const int64_t *seqs, const int32_t *srcIndex, int32_t n);
  void prune(const int64_t *seqs, int32_t n);

  attn_kv_stats_t stats() const;
  void denseBlockTable(const int64_t *seqs, int32_t numSeqs, int32_t maxBlocks,
                       int32_t *table, int32_t *contextLens) const;
  attn_kv_layer_view_t layerView(int32_t layer) const;
  void setScales(const float *kScales, const float *vScales,
                 const int32_t *kZeroPoints, const int32_t *vZeroPoints);

  Snapshot snapshot() const;
  /// Checks internal invariants (refcounts vs tables, free list); throws
  /// Error(ATTN_ERR_INTERNAL) on violation. For tests.
  void checkInvariants() const;

  /// Element offset of (block, token-in-block, kv_head, dim) in a pool.
  size_t elementOffset(int64_t block, int64_t tok, int64_t head,
                       int64_t dim) const;
  /// Element offset of (block, token-in-block, kv_head) in a PER_TOKEN scale
  /// or zero-point array: the pool's index without head_dim.
  size_t tokenScaleOffset(int64_t block, int64_t tok, int64_t head) const;

private:
  struct Sequence {
    std::vector<int32_t> blocks;
    int64_t length = 0;
  };
  struct Plan;
  /// Source of token data for appendMany: fills k/v [numKVHeads*headDim] of
  /// token `t` of request `r` for `layer`.
  using TokenSource = void (*)(void *ctx, size_t r, int64_t t, int32_t layer,
                               float *k, float *v);

  void appendMany(const std::vector<AppendRequest> &reqs, TokenSource src,
                  void *ctx);
  Sequence &getSeq(int64_t seq);
  const Sequence &getSeq(int64_t seq) const;
  void releaseBlock(int32_t block);
  void writeToken(int32_t layer, int32_t block, int32_t slot, const float *k,
                  const float *v);
  void copyBlock(int32_t dst, int32_t src);
  void quantizeVec(const float *x, int32_t layer, int32_t head, bool isV,
                   int32_t block, int32_t slot, uint8_t *dst);
  void uploadStaticScales();
  void validateScales(const float *k, const float *v, const int32_t *kz,
                      const int32_t *vz) const;

  CacheConfig cfg;
  size_t elemSize = 4;
  size_t poolElems = 0;
  size_t tokenScaleElems = 0;  ///< per layer, PER_TOKEN only
  size_t staticScaleCount = 0; ///< per layer: 1 or numKVHeads, 0 otherwise
  std::vector<std::unique_ptr<Buffer>> kPools, vPools;
  std::vector<std::unique_ptr<Buffer>> kScaleBufs, vScaleBufs; // per layer
  std::vector<std::unique_ptr<Buffer>> kZpBufs, vZpBufs;       // per layer
  std::vector<int32_t> refCount;
  std::vector<int32_t> freeList; ///< stack; back() is allocated next
  std::map<int64_t, Sequence> seqs;
  int64_t nextSeqId = 1;
  mutable std::mutex mu;
};

} // namespace runtime
} // namespace attn

#endif // ATTN_RUNTIME_KVCACHE_H
