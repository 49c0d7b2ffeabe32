//===- KVCache.cpp - Paged KV cache ---------------------------------------===//
//
// Transaction rule used by every mutating method: validate everything first,
// then take blocks from the free list tentatively, write data only into those
// new blocks or into slots past a sequence's length (not observable), and
// commit the bookkeeping last. If anything fails before the commit, the taken
// blocks go back to the free list in the same order, so the cache is
// unchanged.
//
//===----------------------------------------------------------------------===//

#include "attn/runtime/KVCache.h"
#include "attn/runtime/Quant.h"

#include "CudaMemory.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>

namespace attn {
namespace runtime {

namespace {

[[noreturn]] void fail(attn_status_t code, const std::string &msg) {
  throw Error(code, msg);
}

bool isPow2InRange(int32_t bs) {
  return bs >= 1 && bs <= 256 && (bs & (bs - 1)) == 0;
}

size_t checkedMul(size_t a, size_t b) {
  if (a != 0 && b > std::numeric_limits<size_t>::max() / a)
    fail(ATTN_ERR_OUT_OF_MEMORY, "cache size overflows size_t");
  return a * b;
}

size_t dtypeSize(attn_dtype_t dt) {
  switch (dt) {
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

bool isFP8(attn_dtype_t dt) {
  return dt == ATTN_DTYPE_FP8_E4M3FN || dt == ATTN_DTYPE_FP8_E5M2;
}

FP8Format fp8Format(attn_dtype_t dt) {
  return dt == ATTN_DTYPE_FP8_E4M3FN ? FP8Format::E4M3FN : FP8Format::E5M2;
}

std::string seqName(int64_t seq) { return "sequence " + std::to_string(seq); }

} // namespace

//===----------------------------------------------------------------------===//
// RoPE
//===----------------------------------------------------------------------===//

int32_t validateRope(const RopeParams &p, int32_t headDim) {
  if (p.style != ATTN_ROPE_NEOX && p.style != ATTN_ROPE_GPTJ)
    fail(ATTN_ERR_INVALID_ARGUMENT, "unknown RoPE style");
  const int32_t r = p.rotaryDim == 0 ? headDim : p.rotaryDim;
  if (r <= 0 || r > headDim || r % 2 != 0)
    fail(ATTN_ERR_INVALID_ARGUMENT,
         "RoPE rotary dim " + std::to_string(r) +
             " must be even, positive and <= head dim " +
             std::to_string(headDim));
  if (!std::isfinite(p.theta) || !(p.theta > 0.0f))
    fail(ATTN_ERR_INVALID_ARGUMENT, "RoPE theta must be finite and > 0");
  return r;
}

std::vector<float> makeRopeInvFreq(int32_t rotaryDim, float theta) {
  std::vector<float> inv(size_t(rotaryDim / 2));
  for (int32_t i = 0; i < rotaryDim / 2; ++i)
    inv[size_t(i)] = float(std::pow(double(theta), -2.0 * i / rotaryDim));
  return inv;
}

void applyRope(float *x, int32_t numHeads, int32_t headDim, int32_t rotaryDim,
               attn_rope_style_t style, int64_t position,
               const std::vector<float> &invFreq) {
  const int32_t half = rotaryDim / 2;
  float cosv[128], sinv[128]; // head dims up to 256 without allocation
  std::vector<float> cosBig, sinBig;
  float *c = cosv, *s = sinv;
  if (half > 128) {
    cosBig.resize(size_t(half));
    sinBig.resize(size_t(half));
    c = cosBig.data();
    s = sinBig.data();
  }
  const float p = float(position);
  for (int32_t i = 0; i < half; ++i) {
    const float ang = p * invFreq[size_t(i)];
    c[i] = std::cos(ang);
    s[i] = std::sin(ang);
  }
  for (int32_t h = 0; h < numHeads; ++h) {
    float *xh = x + size_t(h) * size_t(headDim);
    for (int32_t i = 0; i < half; ++i) {
      const int32_t ia = style == ATTN_ROPE_NEOX ? i : 2 * i;
      const int32_t ib = style == ATTN_ROPE_NEOX ? i + half : 2 * i + 1;
      const float a = xh[ia], b = xh[ib];
      xh[ia] = a * c[i] - b * s[i];
      xh[ib] = b * c[i] + a * s[i];
    }
  }
}

//===----------------------------------------------------------------------===//
// Construction
//===----------------------------------------------------------------------===//

KVCache::KVCache(const CacheConfig &config) : cfg(config) {
  if (cfg.numLayers < 1 || cfg.numKVHeads < 1 || cfg.headDim < 1)
    fail(ATTN_ERR_INVALID_ARGUMENT,
         "num_layers, num_kv_heads and head_dim must be >= 1");
  if (cfg.numBlocks < 1)
    fail(ATTN_ERR_INVALID_ARGUMENT, "num_blocks must be >= 1");
  if (!isPow2InRange(cfg.blockSize))
    fail(ATTN_ERR_BAD_BLOCK_SIZE, "block size " +
                                      std::to_string(cfg.blockSize) +
                                      " is not a power of two in [1, 256]");
  if (cfg.layout != ATTN_LAYOUT_NHD && cfg.layout != ATTN_LAYOUT_HND)
    fail(ATTN_ERR_INVALID_ARGUMENT, "unknown layout");
  if (cfg.memory != ATTN_MEMORY_CPU && cfg.memory != ATTN_MEMORY_CUDA)
    fail(ATTN_ERR_INVALID_ARGUMENT, "unknown memory kind");
  elemSize = dtypeSize(cfg.dtype);
  if (elemSize == 0)
    fail(ATTN_ERR_INVALID_ARGUMENT, "unknown dtype");

  const auto g = cfg.granularity;
  const bool quantized = cfg.dtype == ATTN_DTYPE_INT8 || isFP8(cfg.dtype);
  if (g != ATTN_QUANT_NONE && g != ATTN_QUANT_PER_TENSOR &&
      g != ATTN_QUANT_PER_HEAD && g != ATTN_QUANT_PER_TOKEN)
    fail(ATTN_ERR_INVALID_ARGUMENT, "unknown quantization granularity");
  if (!quantized && g != ATTN_QUANT_NONE)
    fail(ATTN_ERR_INVALID_ARGUMENT,
         "f32/f16/bf16 caches take granularity NONE");
  if (quantized && g == ATTN_QUANT_NONE)
    fail(ATTN_ERR_INVALID_ARGUMENT,
         "INT8/FP8 caches need a quantization granularity");
  if (isFP8(cfg.dtype) && g == ATTN_QUANT_PER_TOKEN)
    fail(ATTN_ERR_INVALID_ARGUMENT,
         "FP8 caches support PER_TENSOR or PER_HEAD scales");
  if (cfg.asymmetric && cfg.dtype != ATTN_DTYPE_INT8)
    fail(ATTN_ERR_INVALID_ARGUMENT, "asymmetric quantization is INT8 only");

  staticScaleCount = g == ATTN_QUANT_PER_TENSOR ? 1
                     : g == ATTN_QUANT_PER_HEAD ? size_t(cfg.numKVHeads)
                                                : 0;
  const size_t nScales = staticScaleCount * size_t(cfg.numLayers);
  if (staticScaleCount == 0) {
    if (!cfg.kScales.empty() || !cfg.vScales.empty() ||
        !cfg.kZeroPoints.empty() || !cfg.vZeroPoints.empty())
      fail(ATTN_ERR_INVALID_ARGUMENT,
           "static scales given for a cache without static scales");
  } else {
    if (cfg.kScales.size() != nScales || cfg.vScales.size() != nScales)
      fail(ATTN_ERR_BAD_SCALE,
           "expected " + std::to_string(nScales) + " K and V scales");
    if (cfg.asymmetric && (cfg.kZeroPoints.size() != nScales ||
                           cfg.vZeroPoints.size() != nScales))
      fail(ATTN_ERR_BAD_SCALE,
           "expected " + std::to_string(nScales) + " K and V zero points");
    if (!cfg.asymmetric &&
        (!cfg.kZeroPoints.empty() || !cfg.vZeroPoints.empty()))
      fail(ATTN_ERR_INVALID_ARGUMENT,
           "zero points given for a symmetric cache");
    validateScales(cfg.kScales.data(), cfg.vScales.data(),
                   cfg.asymmetric ? cfg.kZeroPoints.data() : nullptr,
                   cfg.asymmetric ? cfg.vZeroPoints.data() : nullptr);
  }

  poolElems = checkedMul(
      checkedMul(checkedMul(size_t(cfg.numBlocks), size_t(cfg.blockSize)),
                 size_t(cfg.numKVHeads)),
      size_t(cfg.headDim));
  const size_t poolBytes = checkedMul(poolElems, elemSize);
  checkedMul(poolBytes, size_t(cfg.numLayers) * 2);
  if (g == ATTN_QUANT_PER_TOKEN)
    tokenScaleElems =
        checkedMul(checkedMul(size_t(cfg.numBlocks), size_t(cfg.blockSize)),
                   size_t(cfg.numKVHeads));

  for (int32_t l = 0; l < cfg.numLayers; ++l) {
    kPools.push_back(Buffer::create(cfg.memory, cfg.deviceId, poolBytes));
    vPools.push_back(Buffer::create(cfg.memory, cfg.deviceId, poolBytes));
    const size_t nsc =
        g == ATTN_QUANT_PER_TOKEN ? tokenScaleElems : staticScaleCount;
    if (nsc) {
      kScaleBufs.push_back(Buffer::create(cfg.memory, cfg.deviceId, nsc * 4));
      vScaleBufs.push_back(Buffer::create(cfg.memory, cfg.deviceId, nsc * 4));
      if (cfg.asymmetric) {
        kZpBufs.push_back(Buffer::create(cfg.memory, cfg.deviceId, nsc * 4));
        vZpBufs.push_back(Buffer::create(cfg.memory, cfg.deviceId, nsc * 4));
      }
    }
  }
  uploadStaticScales();

  refCount.assign(size_t(cfg.numBlocks), 0);
  freeList.reserve(size_t(cfg.numBlocks));
  for (int32_t b = cfg.numBlocks - 1; b >= 0; --b)
    freeList.push_back(b);
}

KVCache::~KVCache() = default;

void KVCache::validateScales(const float *k, const float *v, const int32_t *kz,
                             const int32_t *vz) const {
  const size_t n = staticScaleCount * size_t(cfg.numLayers);
  if (!k || !v)
    fail(ATTN_ERR_BAD_SCALE, "K and V scales are required");
  for (size_t i = 0; i < n; ++i) {
    for (int which = 0; which < 2; ++which) {
      const float s = which ? v[i] : k[i];
      if (!std::isfinite(s) || !(s > 0.0f))
        fail(ATTN_ERR_BAD_SCALE,
             std::string(which ? "V" : "K") + " scale[" + std::to_string(i) +
                 "] = " + std::to_string(s) + " is not finite and > 0");
    }
  }
  if (cfg.asymmetric) {
    if (!kz || !vz)
      fail(ATTN_ERR_BAD_SCALE, "K and V zero points are required");
    for (size_t i = 0; i < n; ++i)
      for (int which = 0; which < 2; ++which) {
        const int32_t z = which ? vz[i] : kz[i];
        if (z < -128 || z > 127)
          fail(ATTN_ERR_BAD_SCALE, std::string(which ? "V" : "K") +
                                       " zero point[" + std::to_string(i) +
                                       "] = " + std::to_string(z) +
                                       " is outside [-128, 127]");
      }
  }
}

void KVCache::uploadStaticScales() {
  if (staticScaleCount == 0)
    return;
  const size_t bytes = staticScaleCount * 4;
  for (int32_t l = 0; l < cfg.numLayers; ++l) {
    const size_t off = size_t(l) * staticScaleCount;
    kScaleBufs[size_t(l)]->write(0, cfg.kScales.data() + off, bytes);
    vScaleBufs[size_t(l)]->write(0, cfg.vScales.data() + off, bytes);
    if (cfg.asymmetric) {
      kZpBufs[size_t(l)]->write(0, cfg.kZeroPoints.data() + off, bytes);
      vZpBufs[size_t(l)]->write(0, cfg.vZeroPoints.data() + off, bytes);
    }
  }
}

void KVCache::setScales(const float *kScales, const float *vScales,
                        const int32_t *kZeroPoints,
                        const int32_t *vZeroPoints) {
  std::lock_guard<std::mutex> lock(mu);
  if (staticScaleCount == 0)
    fail(ATTN_ERR_INVALID_STATE, "this cache has no static scales");
  for (const auto &kv : seqs)
    if (kv.second.length > 0)
      fail(ATTN_ERR_INVALID_STATE,
           "scales can only change while no sequence holds tokens (" +
               seqName(kv.first) + " has " + std::to_string(kv.second.length) +
               ")");
  if (!cfg.asymmetric && (kZeroPoints || vZeroPoints))
    fail(ATTN_ERR_INVALID_ARGUMENT, "zero points given for a symmetric cache");
  validateScales(kScales, vScales, kZeroPoints, vZeroPoints);
  const size_t n = staticScaleCount * size_t(cfg.numLayers);
  CacheConfig old = cfg;
  cfg.kScales.assign(kScales, kScales + n);
  cfg.vScales.assign(vScales, vScales + n);
  if (cfg.asymmetric) {
    cfg.kZeroPoints.assign(kZeroPoints, kZeroPoints + n);
    cfg.vZeroPoints.assign(vZeroPoints, vZeroPoints + n);
  }
  try {
    uploadStaticScales();
  } catch (...) {
    cfg = old;
    try {
      uploadStaticScales();
    } catch (...) {
    }
    throw;
  }
}

//===----------------------------------------------------------------------===//
// Sequences
//===----------------------------------------------------------------------===//

KVCache::Sequence &KVCache::getSeq(int64_t seq) {
  auto it = seqs.find(seq);
  if (it == seqs.end())
    fail(ATTN_ERR_UNKNOWN_SEQUENCE, "unknown " + seqName(seq));
  return it->second;
}

const KVCache::Sequence &KVCache::getSeq(int64_t seq) const {
  auto it = seqs.find(seq);
  if (it == seqs.end())
    fail(ATTN_ERR_UNKNOWN_SEQUENCE, "unknown " + seqName(seq));
  return it->second;
}

void KVCache::releaseBlock(int32_t block) {
  if (--refCount[size_t(block)] == 0)
    freeList.push_back(block);
}

int64_t KVCache::createSequence() {
  std::lock_guard<std::mutex> lock(mu);
  const int64_t id = nextSeqId;
  seqs.emplace(id, Sequence());
  ++nextSeqId;
  return id;
}

int64_t KVCache::fork(int64_t src) {
  std::lock_guard<std::mutex> lock(mu);
  Sequence copy = getSeq(src);
  const int64_t id = nextSeqId;
  seqs.emplace(id, copy);
  ++nextSeqId;
  for (int32_t b : copy.blocks)
    ++refCount[size_t(b)];
  return id;
}

void KVCache::freeSequence(int64_t seq) {
  std::lock_guard<std::mutex> lock(mu);
  auto it = seqs.find(seq);
  if (it == seqs.end())
    fail(ATTN_ERR_UNKNOWN_SEQUENCE, "unknown " + seqName(seq));
  const std::vector<int32_t> blocks = std::move(it->second.blocks);
  seqs.erase(it);
  for (auto b = blocks.rbegin(); b != blocks.rend(); ++b)
    releaseBlock(*b);
}

int64_t KVCache::length(int64_t seq) const {
  std::lock_guard<std::mutex> lock(mu);
  return getSeq(seq).length;
}

std::vector<int32_t> KVCache::blockTable(int64_t seq) const {
  std::lock_guard<std::mutex> lock(mu);
  return getSeq(seq).blocks;
}

void KVCache::truncate(int64_t seq, int64_t newLength) {
  std::lock_guard<std::mutex> lock(mu);
  Sequence &s = getSeq(seq);
  if (newLength < 0 || newLength > s.length)
    fail(ATTN_ERR_INVALID_ARGUMENT,
         "truncate length " + std::to_string(newLength) + " outside [0, " +
             std::to_string(s.length) + "] for " + seqName(seq));
  const size_t keep = size_t((newLength + cfg.blockSize - 1) / cfg.blockSize);
  while (s.blocks.size() > keep) {
    const int32_t b = s.blocks.back();
    s.blocks.pop_back();
    releaseBlock(b);
  }
  s.length = newLength;
}

void KVCache::prune(const int64_t *ids, int32_t n) {
  std::lock_guard<std::mutex> lock(mu);
  if (n < 0 || (n > 0 && !ids))
    fail(ATTN_ERR_INVALID_ARGUMENT, "prune: bad sequence list");
  std::set<int64_t> seen;
  for (int32_t i = 0; i < n; ++i) {
    getSeq(ids[i]);
    if (!seen.insert(ids[i]).second)
      fail(ATTN_ERR_INVALID_ARGUMENT,
           "prune: " + seqName(ids[i]) + " listed twice");
  }
  for (int32_t i = 0; i < n; ++i) {
    auto it = seqs.find(ids[i]);
    const std::vector<int32_t> blocks = std::move(it->second.blocks);
    seqs.erase(it);
    for (auto b = blocks.rbegin(); b != blocks.rend(); ++b)
      releaseBlock(*b);
  }
}

void KVCache::reorder(const int64_t *ids, const int32_t *srcIndex, int32_t n) {
  std::lock_guard<std::mutex> lock(mu);
  if (n < 0 || (n > 0 && (!ids || !srcIndex)))
    fail(ATTN_ERR_INVALID_ARGUMENT, "reorder: bad arguments");
  std::set<int64_t> seen;
  for (int32_t i = 0; i < n; ++i) {
    getSeq(ids[i]);
    if (!seen.insert(ids[i]).second)
      fail(ATTN_ERR_INVALID_ARGUMENT,
           "reorder: " + seqName(ids[i]) + " listed twice");
    if (srcIndex[i] < 0 || srcIndex[i] >= n)
      fail(ATTN_ERR_INVALID_ARGUMENT,
           "reorder: source index " + std::to_string(srcIndex[i]) +
               " outside [0, " + std::to_string(n) + ")");
  }
  std::vector<Sequence> old;
  old.reserve(size_t(n));
  for (int32_t i = 0; i < n; ++i)
    old.push_back(seqs.at(ids[i]));
  for (int32_t i = 0; i < n; ++i) {
    const Sequence &src = old[size_t(srcIndex[i])];
    for (int32_t b : src.blocks)
      ++refCount[size_t(b)];
    seqs.at(ids[i]) = src;
  }
  for (int32_t i = 0; i < n; ++i)
    for (auto b = old[size_t(i)].blocks.rbegin();
         b != old[size_t(i)].blocks.rend(); ++b)
      releaseBlock(*b);
}

//===----------------------------------------------------------------------===//
// Data path
//===----------------------------------------------------------------------===//

size_t KVCache::elementOffset(int64_t block, int64_t tok, int64_t head,
                              int64_t dim) const {
  const size_t bs = size_t(cfg.blockSize), h = size_t(cfg.numKVHeads),
               d = size_t(cfg.headDim);
  if (cfg.layout == ATTN_LAYOUT_NHD)
    return ((size_t(block) * bs + size_t(tok)) * h + size_t(head)) * d +
           size_t(dim);
  return ((size_t(block) * h + size_t(head)) * bs + size_t(tok)) * d +
         size_t(dim);
}

size_t KVCache::tokenScaleOffset(int64_t block, int64_t tok,
                                 int64_t head) const {
  const size_t bs = size_t(cfg.blockSize), h = size_t(cfg.numKVHeads);
  if (cfg.layout == ATTN_LAYOUT_NHD)
    return (size_t(block) * bs + size_t(tok)) * h + size_t(head);
  return (size_t(block) * h + size_t(head)) * bs + size_t(tok);
}

namespace {

/// Dynamic per-token INT8 parameters for one head vector.
void tokenScale(const float *x, int32_t n, bool asymmetric, float &scale,
                int32_t &zp) {
  float mn = 0.0f, mx = 0.0f;
  for (int32_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i]))
      continue;
    mn = std::min(mn, x[i]);
    mx = std::max(mx, x[i]);
  }
  if (!asymmetric) {
    const float amax = std::max(-mn, mx);
    scale = amax > 0.0f ? amax / 127.0f : 1.0f;
    zp = 0;
    if (!(scale > 0.0f) || !std::isfinite(scale)) // denormal underflow
      scale = 1.0f;
    return;
  }
  scale = mx / 255.0f - mn / 255.0f;
  if (!(scale > 0.0f) || !std::isfinite(scale))
    scale = 1.0f;
  const float z = std::nearbyint(-128.0f - mn / scale);
  zp = int32_t(std::max(-128.0f, std::min(127.0f, z)));
}

} // namespace

void KVCache::writeToken(int32_t layer, int32_t block, int32_t slot,
                         const float *k, const float *v) {
  const int32_t H = cfg.numKVHeads, D = cfg.headDim;
  const size_t headBytes = size_t(D) * elemSize;
  uint8_t stageSmall[4096];
  std::vector<uint8_t> stageBig;
  uint8_t *stage = stageSmall;
  if (size_t(H) * headBytes > sizeof(stageSmall)) {
    stageBig.resize(size_t(H) * headBytes);
    stage = stageBig.data();
  }
  const bool perToken = cfg.granularity == ATTN_QUANT_PER_TOKEN;
  std::vector<float> tokScale(perToken ? size_t(H) : 0);
  std::vector<int32_t> tokZp(perToken ? size_t(H) : 0);

  for (int which = 0; which < 2; ++which) {
    const float *x = which ? v : k;
    const std::vector<float> &sc = which ? cfg.vScales : cfg.kScales;
    const std::vector<int32_t> &zps = which ? cfg.vZeroPoints : cfg.kZeroPoints;
    for (int32_t h = 0; h < H; ++h) {
      const float *xh = x + size_t(h) * size_t(D);
      uint8_t *dst = stage + size_t(h) * headBytes;
      float scale = 1.0f;
      int32_t zp = 0;
      if (perToken) {
        tokenScale(xh, D, cfg.asymmetric, scale, zp);
        tokScale[size_t(h)] = scale;
        tokZp[size_t(h)] = zp;
      } else if (staticScaleCount) {
        const size_t idx = size_t(layer) * staticScaleCount +
                           (staticScaleCount == 1 ? 0 : size_t(h));
        scale = sc[idx];
        zp = cfg.asymmetric ? zps[idx] : 0;
      }
      switch (cfg.dtype) {
      case ATTN_DTYPE_F32:
        std::memcpy(dst, xh, headBytes);
        break;
      case ATTN_DTYPE_F16:
      case ATTN_DTYPE_BF16:
        for (int32_t i = 0; i < D; ++i) {
          const uint16_t q =
              cfg.dtype == ATTN_DTYPE_F16 ? f32ToF16(xh[i]) : f32ToBF16(xh[i]);
          std::memcpy(dst + 2 * size_t(i), &q, 2);
        }
        break;
      case ATTN_DTYPE_INT8:
        for (int32_t i = 0; i < D; ++i)
          dst[i] = uint8_t(quantizeInt8(xh[i], scale, zp));
        break;
      case ATTN_DTYPE_FP8_E4M3FN:
      case ATTN_DTYPE_FP8_E5M2: {
        const FP8Format f = fp8Format(cfg.dtype);
        for (int32_t i = 0; i < D; ++i)
          dst[i] = f32ToFP8(xh[i] / scale, f, /*saturate=*/true);
        break;
      }
      }
    }
    Buffer &pool = which ? *vPools[size_t(layer)] : *kPools[size_t(layer)];
    if (cfg.layout == ATTN_LAYOUT_NHD) {
      pool.write(elementOffset(block, slot, 0, 0) * elemSize, stage,
                 size_t(H) * headBytes);
    } else {
      for (int32_t h = 0; h < H; ++h)
        pool.write(elementOffset(block, slot, h, 0) * elemSize,
                   stage + size_t(h) * headBytes, headBytes);
    }
    if (perToken) {
      // Scale arrays have the pool's shape without head_dim.
      Buffer &sb =
          which ? *vScaleBufs[size_t(layer)] : *kScaleBufs[size_t(layer)];
      Buffer *zb = cfg.asymmetric ? (which ? vZpBufs[size_t(layer)].get()
                                           : kZpBufs[size_t(layer)].get())
                                  : nullptr;
      if (cfg.layout == ATTN_LAYOUT_NHD) {
        const size_t off = tokenScaleOffset(block, slot, 0) * 4;
        sb.write(off, tokScale.data(), size_t(H) * 4);
        if (zb)
          zb->write(off, tokZp.data(), size_t(H) * 4);
      } else {
        for (int32_t h = 0; h < H; ++h) {
          const size_t off = tokenScaleOffset(block, slot, h) * 4;
          sb.write(off, &tokScale[size_t(h)], 4);
          if (zb)
            zb->write(off, &tokZp[size_t(h)], 4);
        }
      }
    }
  }
}

void KVCache::copyBlock(int32_t dst, int32_t src) {
  const size_t blockElems =
      size_t(cfg.blockSize) * size_t(cfg.numKVHeads) * size_t(cfg.headDim);
  const size_t bytes = blockElems * elemSize;
  const size_t tokElems = size_t(cfg.blockSize) * size_t(cfg.numKVHeads);
  for (int32_t l = 0; l < cfg.numLayers; ++l) {
    kPools[size_t(l)]->copy(size_t(dst) * bytes, size_t(src) * bytes, bytes);
    vPools[size_t(l)]->copy(size_t(dst) * bytes, size_t(src) * bytes, bytes);
    if (cfg.granularity == ATTN_QUANT_PER_TOKEN) {
      const size_t sb = tokElems * 4;
      kScaleBufs[size_t(l)]->copy(size_t(dst) * sb, size_t(src) * sb, sb);
      vScaleBufs[size_t(l)]->copy(size_t(dst) * sb, size_t(src) * sb, sb);
      if (cfg.asymmetric) {
        kZpBufs[size_t(l)]->copy(size_t(dst) * sb, size_t(src) * sb, sb);
        vZpBufs[size_t(l)]->copy(size_t(dst) * sb, size_t(src) * sb, sb);
      }
    }
  }
}

void KVCache::appendMany(const std::vector<AppendRequest> &reqs,
                         TokenSource src, void *ctx) {
  const int64_t bs = cfg.blockSize;
  // 1. Validate and count the blocks needed.
  std::set<int64_t> seen;
  size_t needed = 0;
  for (const AppendRequest &r : reqs) {
    const Sequence &s = getSeq(r.seq);
    if (!seen.insert(r.seq).second)
      fail(ATTN_ERR_INVALID_ARGUMENT,
           seqName(r.seq) + " appears twice in one append");
    if (r.numTokens < 0)
      fail(ATTN_ERR_INVALID_ARGUMENT, "negative token count");
    if (r.numTokens == 0)
      continue;
    if (r.numTokens > std::numeric_limits<int32_t>::max() - s.length)
      fail(ATTN_ERR_INVALID_ARGUMENT,
           seqName(r.seq) + " would exceed INT32_MAX tokens");
    const int64_t newLen = s.length + r.numTokens;
    const size_t total = size_t((newLen + bs - 1) / bs);
    needed += total - s.blocks.size();
    if (s.length % bs != 0 && refCount[size_t(s.blocks.back())] > 1)
      ++needed; // copy-on-write of the shared, partially filled last block
  }
  if (needed > freeList.size())
    fail(ATTN_ERR_OUT_OF_BLOCKS,
         "out of blocks: need " + std::to_string(needed) + ", " +
             std::to_string(freeList.size()) + " free of " +
             std::to_string(cfg.numBlocks));

  // 2. Take blocks tentatively and write the data.
  const size_t freeBefore = freeList.size();
  std::vector<std::vector<int32_t>> newTables(reqs.size());
  std::vector<int32_t> cowOld(reqs.size(), -1);
  const size_t tokFloats = size_t(cfg.numKVHeads) * size_t(cfg.headDim);
  std::vector<float> kbuf(tokFloats), vbuf(tokFloats);
  try {
    for (size_t r = 0; r < reqs.size(); ++r) {
      if (reqs[r].numTokens == 0)
        continue;
      const Sequence &s = seqs.at(reqs[r].seq);
      std::vector<int32_t> &table = newTables[r];
      table = s.blocks;
      if (s.length % bs != 0 && refCount[size_t(table.back())] > 1) {
        const int32_t nb = freeList.back();
        freeList.pop_back();
        copyBlock(nb, table.back());
        cowOld[r] = table.back();
        table.back() = nb;
      }
      const int64_t newLen = s.length + reqs[r].numTokens;
      while (int64_t(table.size()) * bs < newLen) {
        table.push_back(freeList.back());
        freeList.pop_back();
      }
      for (int64_t t = 0; src && t < reqs[r].numTokens; ++t) {
        const int64_t pos = s.length + t;
        const int32_t block = table[size_t(pos / bs)];
        const int32_t slot = int32_t(pos % bs);
        for (int32_t l = 0; l < cfg.numLayers; ++l) {
          src(ctx, r, t, l, kbuf.data(), vbuf.data());
          writeToken(l, block, slot, kbuf.data(), vbuf.data());
        }
      }
    }
  } catch (...) {
    // Blocks were popped from the back in order; push back in reverse.
    std::vector<int32_t> taken;
    for (size_t r = 0; r < reqs.size(); ++r) {
      const Sequence &s = seqs.at(reqs[r].seq);
      const std::vector<int32_t> &t = newTables[r];
      if (cowOld[r] >= 0)
        taken.push_back(t[s.blocks.size() - 1]);
      for (size_t i = s.blocks.size(); i < t.size(); ++i)
        taken.push_back(t[i]);
    }
    for (auto it = taken.rbegin(); it != taken.rend(); ++it)
      freeList.push_back(*it);
    (void)freeBefore;
    throw;
  }

  // 3. Commit.
  for (size_t r = 0; r < reqs.size(); ++r) {
    if (reqs[r].numTokens == 0)
      continue;
    Sequence &s = seqs.at(reqs[r].seq);
    std::vector<int32_t> &t = newTables[r];
    if (cowOld[r] >= 0) {
      refCount[size_t(t[s.blocks.size() - 1])] = 1;
      // Two sequences of one batch may have copied the same shared block;
      // the last one to let go returns it to the pool.
      releaseBlock(cowOld[r]);
    }
    for (size_t i = s.blocks.size(); i < t.size(); ++i)
      refCount[size_t(t[i])] = 1;
    s.blocks = std::move(t);
    s.length += reqs[r].numTokens;
  }
}

namespace {
/// K/V arrays of an append, [numLayers][n][numKVHeads][headDim] of f32, f16
/// or bf16, in host memory.
struct TypedCtx {
  const uint8_t *k, *v;
  attn_dtype_t type;
  int64_t n;
  size_t tokElems;
};
void widenRow(const uint8_t *src, attn_dtype_t type, size_t n, float *dst) {
  if (type == ATTN_DTYPE_F32) {
    std::memcpy(dst, src, n * 4);
    return;
  }
  for (size_t i = 0; i < n; ++i) {
    uint16_t h;
    std::memcpy(&h, src + i * 2, 2); // no alignment required of the caller
    dst[i] = type == ATTN_DTYPE_F16 ? f16ToF32(h) : bf16ToF32(h);
  }
}
void typedSource(void *c, size_t, int64_t t, int32_t layer, float *k,
                 float *v) {
  auto *p = static_cast<TypedCtx *>(c);
  const size_t elem = p->type == ATTN_DTYPE_F32 ? 4 : 2;
  const size_t off =
      (size_t(layer) * size_t(p->n) + size_t(t)) * p->tokElems * elem;
  widenRow(p->k + off, p->type, p->tokElems, k);
  widenRow(p->v + off, p->type, p->tokElems, v);
}

struct QKVCtx {
  const float *qkv;
  bool packed;
  int64_t rowsPerLayer; ///< batch * maxSeqLen (padded) or totalTokens
  int64_t maxSeqLen;
  const int32_t *cu;
  int64_t width, kOff, vOff;
  size_t tokFloats;
  int32_t numKVHeads, headDim, rotaryDim;
  attn_rope_style_t style;
  bool rope;
  std::vector<float> invFreq;
  std::vector<int64_t> startPos;
};
void qkvSource(void *c, size_t r, int64_t t, int32_t layer, float *k,
               float *v) {
  auto *p = static_cast<QKVCtx *>(c);
  const int64_t row =
      p->packed ? int64_t(p->cu[r]) + t : int64_t(r) * p->maxSeqLen + t;
  const float *base = p->qkv + size_t(int64_t(layer) * p->rowsPerLayer + row) *
                                   size_t(p->width);
  std::memcpy(k, base + p->kOff, p->tokFloats * 4);
  std::memcpy(v, base + p->vOff, p->tokFloats * 4);
  if (p->rope)
    applyRope(k, p->numKVHeads, p->headDim, p->rotaryDim, p->style,
              p->startPos[r] + t, p->invFreq);
}
} // namespace

void KVCache::append(int64_t seq, int64_t n, const float *k, const float *v) {
  append(seq, n, k, v, ATTN_DTYPE_F32, ATTN_MEMORY_CPU);
}

void KVCache::append(int64_t seq, int64_t n, const void *k, const void *v,
                     attn_dtype_t srcType, attn_memory_kind_t srcMemory) {
  if (srcType != ATTN_DTYPE_F32 && srcType != ATTN_DTYPE_F16 &&
      srcType != ATTN_DTYPE_BF16)
    fail(ATTN_ERR_INVALID_ARGUMENT,
         "append: expected a source dtype f32, f16 or bf16, got dtype " +
             std::to_string(int(srcType)));
  if (srcMemory != ATTN_MEMORY_CPU && srcMemory != ATTN_MEMORY_CUDA)
    fail(ATTN_ERR_INVALID_ARGUMENT,
         "append: expected source memory CPU or CUDA, got " +
             std::to_string(int(srcMemory)));
  std::lock_guard<std::mutex> lock(mu);
  getSeq(seq);
  if (n < 0)
    fail(ATTN_ERR_INVALID_ARGUMENT, "negative token count");
  if (n > 0 && (!k || !v))
    fail(ATTN_ERR_INVALID_ARGUMENT, "append: null K or V");
  const size_t tokElems = size_t(cfg.numKVHeads) * size_t(cfg.headDim);
  std::vector<uint8_t> kHost, vHost;
  if (srcMemory == ATTN_MEMORY_CUDA && n > 0) {
    // Device sources are staged in host memory, then converted as host
    // sources are; the cache is untouched if a copy fails.
    const size_t bytes = checkedMul(
        checkedMul(checkedMul(size_t(cfg.numLayers), size_t(n)), tokElems),
        srcType == ATTN_DTYPE_F32 ? 4 : 2);
    kHost.resize(bytes);
    vHost.resize(bytes);
    cuda::copyToHost(kHost.data(), k, bytes, "append: K");
    cuda::copyToHost(vHost.data(), v, bytes, "append: V");
    k = kHost.data();
    v = vHost.data();
  }
  TypedCtx ctx{static_cast<const uint8_t *>(k), static_cast<const uint8_t *>(v),
               srcType, n, tokElems};
  appendMany({AppendRequest{seq, n}}, typedSource, &ctx);
}

void KVCache::reserve(int64_t seq, int64_t n) {
  std::lock_guard<std::mutex> lock(mu);
  getSeq(seq);
  if (n < 0)
    fail(ATTN_ERR_INVALID_ARGUMENT, "negative token count");
  // No source: the tokens' slots are allocated, not written.
  appendMany({AppendRequest{seq, n}}, nullptr, nullptr);
}

namespace {
void checkIngestDims(const CacheConfig &cfg, int32_t numLayers,
                     int32_t numQHeads, int32_t numKVHeads, int32_t headDim) {
  if (numLayers != cfg.numLayers || numKVHeads != cfg.numKVHeads ||
      headDim != cfg.headDim || numQHeads < 1)
    fail(ATTN_ERR_DIM_MISMATCH,
         "QKV dims (layers " + std::to_string(numLayers) + ", q heads " +
             std::to_string(numQHeads) + ", kv heads " +
             std::to_string(numKVHeads) + ", head dim " +
             std::to_string(headDim) + ") do not match the cache (layers " +
             std::to_string(cfg.numLayers) + ", kv heads " +
             std::to_string(cfg.numKVHeads) + ", head dim " +
             std::to_string(cfg.headDim) + ")");
}
} // namespace

void KVCache::ingestPadded(const float *qkv, int32_t numLayers, int32_t batch,
                           int32_t maxSeqLen, int32_t numQHeads,
                           int32_t numKVHeads, int32_t headDim,
                           const int64_t *seqIds, const int32_t *seqLens,
                           const RopeParams *rope) {
  std::lock_guard<std::mutex> lock(mu);
  checkIngestDims(cfg, numLayers, numQHeads, numKVHeads, headDim);
  if (batch < 0 || maxSeqLen < 0)
    fail(ATTN_ERR_INVALID_ARGUMENT, "negative batch or max_seqlen");
  if (batch > 0 && (!seqIds || !seqLens || !qkv))
    fail(ATTN_ERR_INVALID_ARGUMENT, "ingest: null argument");
  QKVCtx ctx;
  ctx.rope = rope != nullptr;
  if (rope) {
    ctx.rotaryDim = validateRope(*rope, headDim);
    ctx.style = rope->style;
    ctx.invFreq = makeRopeInvFreq(ctx.rotaryDim, rope->theta);
  }
  std::vector<AppendRequest> reqs;
  for (int32_t b = 0; b < batch; ++b) {
    if (seqLens[b] < 0 || seqLens[b] > maxSeqLen)
      fail(ATTN_ERR_INVALID_ARGUMENT, "seq_lens[" + std::to_string(b) +
                                          "] = " + std::to_string(seqLens[b]) +
                                          " outside [0, max_seqlen]");
    reqs.push_back({seqIds[b], seqLens[b]});
    ctx.startPos.push_back(getSeq(seqIds[b]).length);
  }
  ctx.qkv = qkv;
  ctx.packed = false;
  ctx.rowsPerLayer = int64_t(batch) * maxSeqLen;
  ctx.maxSeqLen = maxSeqLen;
  ctx.cu = nullptr;
  ctx.width = int64_t(numQHeads + 2 * int64_t(numKVHeads)) * headDim;
  ctx.kOff = int64_t(numQHeads) * headDim;
  ctx.vOff = ctx.kOff + int64_t(numKVHeads) * headDim;
  ctx.tokFloats = size_t(numKVHeads) * size_t(headDim);
  ctx.numKVHeads = numKVHeads;
  ctx.headDim = headDim;
  appendMany(reqs, qkvSource, &ctx);
}

void KVCache::ingestPacked(const float *qkv, int32_t numLayers,
                           int64_t totalTokens, int32_t numQHeads,
                           int32_t numKVHeads, int32_t headDim, int32_t batch,
                           const int64_t *seqIds, const int32_t *cuSeqLens,
                           const RopeParams *rope) {
  std::lock_guard<std::mutex> lock(mu);
  checkIngestDims(cfg, numLayers, numQHeads, numKVHeads, headDim);
  if (batch < 0 || totalTokens < 0)
    fail(ATTN_ERR_INVALID_ARGUMENT, "negative batch or total_tokens");
  if (!cuSeqLens || (batch > 0 && !seqIds) || (totalTokens > 0 && !qkv))
    fail(ATTN_ERR_INVALID_ARGUMENT, "ingest: null argument");
  if (cuSeqLens[0] != 0 || cuSeqLens[batch] != totalTokens)
    fail(ATTN_ERR_INVALID_ARGUMENT,
         "cu_seqlens must start at 0 and end at total_tokens (" +
             std::to_string(totalTokens) + ")");
  QKVCtx ctx;
  ctx.rope = rope != nullptr;
  if (rope) {
    ctx.rotaryDim = validateRope(*rope, headDim);
    ctx.style = rope->style;
    ctx.invFreq = makeRopeInvFreq(ctx.rotaryDim, rope->theta);
  }
  std::vector<AppendRequest> reqs;
  for (int32_t b = 0; b < batch; ++b) {
    if (cuSeqLens[b + 1] < cuSeqLens[b])
      fail(ATTN_ERR_INVALID_ARGUMENT, "cu_seqlens must be non-decreasing");
    reqs.push_back({seqIds[b], int64_t(cuSeqLens[b + 1]) - cuSeqLens[b]});
    ctx.startPos.push_back(getSeq(seqIds[b]).length);
  }
  ctx.qkv = qkv;
  ctx.packed = true;
  ctx.rowsPerLayer = totalTokens;
  ctx.maxSeqLen = 0;
  ctx.cu = cuSeqLens;
  ctx.width = int64_t(numQHeads + 2 * int64_t(numKVHeads)) * headDim;
  ctx.kOff = int64_t(numQHeads) * headDim;
  ctx.vOff = ctx.kOff + int64_t(numKVHeads) * headDim;
  ctx.tokFloats = size_t(numKVHeads) * size_t(headDim);
  ctx.numKVHeads = numKVHeads;
  ctx.headDim = headDim;
  appendMany(reqs, qkvSource, &ctx);
}

void KVCache::read(int64_t seq, int32_t layer, int64_t start, int64_t n,
                   float *kOut, float *vOut) const {
  std::lock_guard<std::mutex> lock(mu);
  const Sequence &s = getSeq(seq);
  if (layer < 0 || layer >= cfg.numLayers)
    fail(ATTN_ERR_INVALID_ARGUMENT,
         "layer " + std::to_string(layer) + " out of range");
  if (start < 0 || n < 0 || start > s.length || n > s.length - start)
    fail(ATTN_ERR_INVALID_ARGUMENT,
         "read range [" + std::to_string(start) + ", +" + std::to_string(n) +
             ") outside " + seqName(seq) + " of length " +
             std::to_string(s.length));
  const int32_t H = cfg.numKVHeads, D = cfg.headDim;
  const size_t headBytes = size_t(D) * elemSize;
  std::vector<uint8_t> raw(headBytes);
  const bool perToken = cfg.granularity == ATTN_QUANT_PER_TOKEN;
  for (int64_t t = 0; t < n; ++t) {
    const int64_t pos = start + t;
    const int32_t block = s.blocks[size_t(pos / cfg.blockSize)];
    const int32_t slot = int32_t(pos % cfg.blockSize);
    for (int which = 0; which < 2; ++which) {
      float *out = which ? vOut : kOut;
      if (!out)
        continue;
      const Buffer &pool =
          which ? *vPools[size_t(layer)] : *kPools[size_t(layer)];
      for (int32_t h = 0; h < H; ++h) {
        pool.read(elementOffset(block, slot, h, 0) * elemSize, raw.data(),
                  headBytes);
        float scale = 1.0f;
        int32_t zp = 0;
        if (perToken) {
          const size_t off = tokenScaleOffset(block, slot, h) * 4;
          (which ? *vScaleBufs[size_t(layer)] : *kScaleBufs[size_t(layer)])
              .read(off, &scale, 4);
          if (cfg.asymmetric)
            (which ? *vZpBufs[size_t(layer)] : *kZpBufs[size_t(layer)])
                .read(off, &zp, 4);
        } else if (staticScaleCount) {
          const size_t idx = size_t(layer) * staticScaleCount +
                             (staticScaleCount == 1 ? 0 : size_t(h));
          scale = (which ? cfg.vScales : cfg.kScales)[idx];
          if (cfg.asymmetric)
            zp = (which ? cfg.vZeroPoints : cfg.kZeroPoints)[idx];
        }
        float *o = out + (size_t(t) * size_t(H) + size_t(h)) * size_t(D);
        for (int32_t i = 0; i < D; ++i) {
          switch (cfg.dtype) {
          case ATTN_DTYPE_F32:
            std::memcpy(&o[i], raw.data() + 4 * size_t(i), 4);
            break;
          case ATTN_DTYPE_F16:
          case ATTN_DTYPE_BF16: {
            uint16_t q;
            std::memcpy(&q, raw.data() + 2 * size_t(i), 2);
            o[i] = cfg.dtype == ATTN_DTYPE_F16 ? f16ToF32(q) : bf16ToF32(q);
            break;
          }
          case ATTN_DTYPE_INT8:
            o[i] = dequantizeInt8(int8_t(raw[size_t(i)]), scale, zp);
            break;
          case ATTN_DTYPE_FP8_E4M3FN:
          case ATTN_DTYPE_FP8_E5M2:
            o[i] = fp8ToF32(raw[size_t(i)], fp8Format(cfg.dtype)) * scale;
            break;
          }
        }
      }
    }
  }
}

//===----------------------------------------------------------------------===//
// Inspection
//===----------------------------------------------------------------------===//

attn_kv_stats_t KVCache::stats() const {
  std::lock_guard<std::mutex> lock(mu);
  attn_kv_stats_t st{};
  st.num_blocks = cfg.numBlocks;
  st.free_blocks = int64_t(freeList.size());
  st.used_blocks = st.num_blocks - st.free_blocks;
  std::vector<int32_t> fill(size_t(cfg.numBlocks), 0);
  for (const auto &kv : seqs) {
    const Sequence &s = kv.second;
    st.logical_tokens += s.length;
    st.block_refs += int64_t(s.blocks.size());
    for (size_t i = 0; i < s.blocks.size(); ++i) {
      const int64_t f = std::min<int64_t>(
          cfg.blockSize, s.length - int64_t(i) * cfg.blockSize);
      int32_t &slot = fill[size_t(s.blocks[i])];
      slot = std::max(slot, int32_t(f));
    }
  }
  for (size_t b = 0; b < refCount.size(); ++b) {
    if (refCount[b] > 1)
      ++st.shared_blocks;
    st.physical_tokens += fill[b];
  }
  st.num_sequences = int64_t(seqs.size());
  st.fragmentation =
      st.used_blocks == 0
          ? 0.0
          : 1.0 - double(st.physical_tokens) /
                      (double(st.used_blocks) * double(cfg.blockSize));
  return st;
}

void KVCache::denseBlockTable(const int64_t *ids, int32_t numSeqs,
                              int32_t maxBlocks, int32_t *table,
                              int32_t *contextLens) const {
  std::lock_guard<std::mutex> lock(mu);
  if (numSeqs < 0 || maxBlocks < 0 || (numSeqs > 0 && !ids))
    fail(ATTN_ERR_INVALID_ARGUMENT, "block table: bad arguments");
  for (int32_t i = 0; i < numSeqs; ++i) {
    const Sequence &s = getSeq(ids[i]);
    if (int64_t(s.blocks.size()) > maxBlocks)
      fail(ATTN_ERR_INVALID_ARGUMENT,
           seqName(ids[i]) + " has " + std::to_string(s.blocks.size()) +
               " blocks > max_blocks " + std::to_string(maxBlocks));
  }
  for (int32_t i = 0; i < numSeqs; ++i) {
    const Sequence &s = seqs.at(ids[i]);
    if (table) {
      int32_t *row = table + size_t(i) * size_t(maxBlocks);
      std::fill(row, row + maxBlocks, -1);
      std::copy(s.blocks.begin(), s.blocks.end(), row);
    }
    if (contextLens)
      contextLens[i] = int32_t(s.length);
  }
}

attn_kv_layer_view_t KVCache::layerView(int32_t layer) const {
  std::lock_guard<std::mutex> lock(mu);
  if (layer < 0 || layer >= cfg.numLayers)
    fail(ATTN_ERR_INVALID_ARGUMENT,
         "layer " + std::to_string(layer) + " out of range");
  attn_kv_layer_view_t v{};
  const size_t l = size_t(layer);
  v.k_pool = kPools[l]->data();
  v.v_pool = vPools[l]->data();
  if (!kScaleBufs.empty()) {
    v.k_scale = static_cast<float *>(kScaleBufs[l]->data());
    v.v_scale = static_cast<float *>(vScaleBufs[l]->data());
  }
  if (!kZpBufs.empty()) {
    v.k_zero_point = static_cast<int32_t *>(kZpBufs[l]->data());
    v.v_zero_point = static_cast<int32_t *>(vZpBufs[l]->data());
  }
  v.pool_elements = int64_t(poolElems);
  v.memory = cfg.memory;
  return v;
}

Snapshot KVCache::snapshot() const {
  std::lock_guard<std::mutex> lock(mu);
  Snapshot s;
  for (const auto &kv : seqs)
    s.seqs[kv.first] = {kv.second.blocks, kv.second.length};
  s.refCounts = refCount;
  s.freeList = freeList;
  s.nextSeqId = nextSeqId;
  auto grab = [&](const std::vector<std::unique_ptr<Buffer>> &bufs) {
    for (const auto &b : bufs) {
      const size_t old = s.memory.size();
      s.memory.resize(old + b->size());
      b->read(0, s.memory.data() + old, b->size());
    }
  };
  grab(kPools);
  grab(vPools);
  grab(kScaleBufs);
  grab(vScaleBufs);
  grab(kZpBufs);
  grab(vZpBufs);
  return s;
}

void KVCache::checkInvariants() const {
  std::lock_guard<std::mutex> lock(mu);
  std::vector<int32_t> expect(size_t(cfg.numBlocks), 0);
  for (const auto &kv : seqs) {
    const Sequence &s = kv.second;
    const size_t want = size_t((s.length + cfg.blockSize - 1) / cfg.blockSize);
    if (s.blocks.size() != want)
      fail(ATTN_ERR_INTERNAL, seqName(kv.first) + " has wrong block count");
    for (int32_t b : s.blocks) {
      if (b < 0 || b >= cfg.numBlocks)
        fail(ATTN_ERR_INTERNAL, "block id out of range");
      ++expect[size_t(b)];
    }
  }
  if (expect != refCount)
    fail(ATTN_ERR_INTERNAL, "refcounts do not match block tables");
  std::vector<char> inFree(size_t(cfg.numBlocks), 0);
  for (int32_t b : freeList) {
    if (b < 0 || b >= cfg.numBlocks || inFree[size_t(b)])
      fail(ATTN_ERR_INTERNAL, "free list corrupt");
    inFree[size_t(b)] = 1;
    if (refCount[size_t(b)] != 0)
      fail(ATTN_ERR_INTERNAL, "free block has references");
  }
  for (size_t b = 0; b < refCount.size(); ++b)
    if (refCount[b] == 0 && !inFree[b])
      fail(ATTN_ERR_INTERNAL, "leaked block " + std::to_string(b));
}

} // namespace runtime
} // namespace attn
