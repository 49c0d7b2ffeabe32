//===- KVCacheTest.cpp - Paged KV cache unit tests ------------------------===//

#include "attn/runtime/KVCache.h"
#include "attn/runtime/Quant.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

using namespace attn::runtime;

namespace {

CacheConfig smallConfig(attn_dtype_t dt = ATTN_DTYPE_F32,
                        attn_layout_t layout = ATTN_LAYOUT_NHD,
                        int32_t bs = 4) {
  CacheConfig c;
  c.numLayers = 2;
  c.numKVHeads = 3;
  c.headDim = 8;
  c.blockSize = bs;
  c.numBlocks = 16;
  c.layout = layout;
  c.dtype = dt;
  return c;
}

std::vector<float> randomData(size_t n, uint64_t seed, float range = 4.0f) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> d(-range, range);
  std::vector<float> v(n);
  for (float &x : v)
    x = d(rng);
  return v;
}

attn_status_t codeOf(const std::function<void()> &f) {
  try {
    f();
  } catch (const Error &e) {
    return e.code;
  }
  return ATTN_OK;
}

/// Independent statement of the layout contract (docs/runtime).
size_t docOffset(const CacheConfig &c, size_t block, size_t tok, size_t head,
                 size_t dim) {
  const size_t bs = size_t(c.blockSize), H = size_t(c.numKVHeads),
               D = size_t(c.headDim);
  if (c.layout == ATTN_LAYOUT_NHD)
    return block * bs * H * D + tok * H * D + head * D + dim;
  return block * H * bs * D + head * bs * D + tok * D + dim;
}

} // namespace

TEST(KVCache, BlockSizeMustBePowerOfTwoUpTo256) {
  for (int32_t bs : {0, -1, 3, 6, 12, 100, 255, 257, 512, 1024}) {
    CacheConfig c = smallConfig(ATTN_DTYPE_F32, ATTN_LAYOUT_NHD, bs);
    EXPECT_EQ(codeOf([&] { KVCache k(c); }), ATTN_ERR_BAD_BLOCK_SIZE) << bs;
  }
  for (int32_t bs = 1; bs <= 256; bs *= 2) {
    CacheConfig c = smallConfig(ATTN_DTYPE_F32, ATTN_LAYOUT_HND, bs);
    c.numBlocks = 3;
    KVCache k(c);
    const int64_t s = k.createSequence();
    const int64_t n = 2 * bs + 1;
    auto kd = randomData(size_t(2 * n * 24), 7), vd = randomData(kd.size(), 8);
    if (n <= 3 * bs) {
      k.append(s, n, kd.data(), vd.data());
      std::vector<float> ko(size_t(n) * 24), vo(ko.size());
      k.read(s, 1, 0, n, ko.data(), vo.data());
      EXPECT_EQ(
          0, std::memcmp(ko.data(), kd.data() + size_t(n) * 24, ko.size() * 4));
      EXPECT_EQ(
          0, std::memcmp(vo.data(), vd.data() + size_t(n) * 24, vo.size() * 4));
    }
  }
}

TEST(KVCache, PoolLayoutMatchesDocumentedOffsets) {
  for (attn_layout_t layout : {ATTN_LAYOUT_NHD, ATTN_LAYOUT_HND}) {
    CacheConfig c = smallConfig(ATTN_DTYPE_F32, layout, 4);
    KVCache cache(c);
    const int64_t s = cache.createSequence();
    const int64_t n = 10;
    const size_t tok = 3 * 8;
    std::vector<float> k(2 * n * tok), v(k.size());
    for (size_t i = 0; i < k.size(); ++i) {
      k[i] = float(i);
      v[i] = -float(i);
    }
    cache.append(s, n, k.data(), v.data());
    std::vector<int32_t> table = cache.blockTable(s);
    ASSERT_EQ(table.size(), 3u);
    for (int32_t layer = 0; layer < 2; ++layer) {
      attn_kv_layer_view_t view = cache.layerView(layer);
      ASSERT_EQ(view.pool_elements, 16 * 4 * 3 * 8);
      const float *kp = static_cast<const float *>(view.k_pool);
      const float *vp = static_cast<const float *>(view.v_pool);
      for (int64_t t = 0; t < n; ++t)
        for (size_t h = 0; h < 3; ++h)
          for (size_t d = 0; d < 8; ++d) {
            const size_t off =
                docOffset(c, size_t(table[size_t(t / 4)]), size_t(t % 4), h, d);
            ASSERT_EQ(off, cache.elementOffset(table[size_t(t / 4)], t % 4,
                                               int64_t(h), int64_t(d)));
            const size_t src =
                (size_t(layer) * n + size_t(t)) * tok + h * 8 + d;
            ASSERT_EQ(kp[off], k[src]);
            ASSERT_EQ(vp[off], v[src]);
          }
    }
  }
}

namespace {
struct DtypeCase {
  attn_dtype_t dtype;
  attn_quant_granularity_t gran;
  bool asym;
};
} // namespace

// Dequantized reads are within each format's error bound of the input.
TEST(KVCache, DequantizedReadsWithinFormatErrorBound) {
  const DtypeCase cases[] = {
      {ATTN_DTYPE_F32, ATTN_QUANT_NONE, false},
      {ATTN_DTYPE_F16, ATTN_QUANT_NONE, false},
      {ATTN_DTYPE_BF16, ATTN_QUANT_NONE, false},
      {ATTN_DTYPE_INT8, ATTN_QUANT_PER_HEAD, false},
      {ATTN_DTYPE_INT8, ATTN_QUANT_PER_HEAD, true},
      {ATTN_DTYPE_INT8, ATTN_QUANT_PER_TENSOR, false},
      {ATTN_DTYPE_INT8, ATTN_QUANT_PER_TOKEN, false},
      {ATTN_DTYPE_INT8, ATTN_QUANT_PER_TOKEN, true},
      {ATTN_DTYPE_FP8_E4M3FN, ATTN_QUANT_PER_TENSOR, false},
      {ATTN_DTYPE_FP8_E4M3FN, ATTN_QUANT_PER_HEAD, false},
      {ATTN_DTYPE_FP8_E5M2, ATTN_QUANT_PER_TENSOR, false},
      {ATTN_DTYPE_FP8_E5M2, ATTN_QUANT_PER_HEAD, false},
  };
  const float range = 3.0f;
  for (const DtypeCase &dc : cases) {
    for (attn_layout_t layout : {ATTN_LAYOUT_NHD, ATTN_LAYOUT_HND}) {
      CacheConfig c = smallConfig(dc.dtype, layout, 8);
      c.granularity = dc.gran;
      c.asymmetric = dc.asym;
      const size_t ns = dc.gran == ATTN_QUANT_PER_TENSOR ? 2
                        : dc.gran == ATTN_QUANT_PER_HEAD ? 6
                                                         : 0;
      for (size_t i = 0; i < ns; ++i) {
        // INT8 static: range/127 covers [-range, range] (asym: shifted zp).
        const float s = dc.dtype == ATTN_DTYPE_INT8
                            ? (dc.asym ? 2 * range / 255 : range / 127)
                            : 0.5f + 0.25f * float(i);
        c.kScales.push_back(s);
        c.vScales.push_back(s * 1.5f);
        if (dc.asym) {
          c.kZeroPoints.push_back(0);
          c.vZeroPoints.push_back(-1);
        }
      }
      if (dc.asym && dc.dtype == ATTN_DTYPE_INT8 &&
          dc.gran != ATTN_QUANT_PER_TOKEN)
        for (float &s : c.vScales)
          s = 2 * range / 255;
      KVCache cache(c);
      const int64_t s = cache.createSequence();
      const int64_t n = 21;
      auto k = randomData(size_t(2 * n * 24), 11, range);
      auto v = randomData(k.size(), 12, range);
      cache.append(s, n, k.data(), v.data());
      for (int32_t layer = 0; layer < 2; ++layer) {
        std::vector<float> ko(size_t(n) * 24), vo(ko.size());
        cache.read(s, layer, 0, n, ko.data(), vo.data());
        for (int which = 0; which < 2; ++which) {
          const std::vector<float> &in = which ? v : k;
          const std::vector<float> &out = which ? vo : ko;
          for (int64_t t = 0; t < n; ++t)
            for (size_t h = 0; h < 3; ++h) {
              const float *x = in.data() +
                               (size_t(layer) * size_t(n) + size_t(t)) * 24 +
                               h * 8;
              const float *y = out.data() + size_t(t) * 24 + h * 8;
              float amax = 0, mn = 0, mx = 0;
              for (size_t d = 0; d < 8; ++d) {
                amax = std::max(amax, std::fabs(x[d]));
                mn = std::min(mn, x[d]);
                mx = std::max(mx, x[d]);
              }
              for (size_t d = 0; d < 8; ++d) {
                const float a = std::fabs(x[d]);
                float bound = 0.0f;
                float scale = 1.0f;
                if (ns) {
                  const size_t idx =
                      size_t(layer) * (ns / 2) + (ns == 2 ? 0 : h);
                  scale = (which ? c.vScales : c.kScales)[idx];
                }
                switch (dc.dtype) {
                case ATTN_DTYPE_F32:
                  bound = 0.0f;
                  break;
                case ATTN_DTYPE_F16:
                  bound = a * std::ldexp(1.0f, -11);
                  break;
                case ATTN_DTYPE_BF16:
                  bound = a * std::ldexp(1.0f, -8);
                  break;
                case ATTN_DTYPE_INT8:
                  if (dc.gran == ATTN_QUANT_PER_TOKEN)
                    scale = dc.asym ? (mx - mn) / 255 : amax / 127;
                  bound = scale * 0.5f * (1 + 1e-5f) + 1e-6f;
                  break;
                case ATTN_DTYPE_FP8_E4M3FN: // 3 mantissa bits, min sub 2^-9
                  bound = std::max(a * std::ldexp(1.0f, -4),
                                   scale * std::ldexp(1.0f, -10));
                  break;
                case ATTN_DTYPE_FP8_E5M2: // 2 mantissa bits, min sub 2^-16
                  bound = std::max(a * std::ldexp(1.0f, -3),
                                   scale * std::ldexp(1.0f, -17));
                  break;
                }
                ASSERT_LE(std::fabs(y[d] - x[d]), bound * (1 + 1e-6f))
                    << "dtype " << dc.dtype << " gran " << dc.gran << " asym "
                    << dc.asym << " layout " << layout << " which " << which
                    << " x " << x[d] << " y " << y[d];
              }
            }
        }
      }
    }
  }
}

TEST(KVCache, ForkSharesBlocksAndCopiesOnWrite) {
  CacheConfig c = smallConfig(ATTN_DTYPE_F16, ATTN_LAYOUT_HND, 4);
  KVCache cache(c);
  const int64_t a = cache.createSequence();
  auto k = randomData(2 * 6 * 24, 1), v = randomData(k.size(), 2);
  cache.append(a, 6, k.data(), v.data()); // blocks: full + 2/4
  std::vector<float> before(6 * 24);
  cache.read(a, 0, 0, 6, before.data(), nullptr);

  const int64_t b = cache.fork(a);
  EXPECT_EQ(cache.blockTable(a), cache.blockTable(b));
  attn_kv_stats_t st = cache.stats();
  EXPECT_EQ(st.used_blocks, 2);
  EXPECT_EQ(st.shared_blocks, 2);
  EXPECT_EQ(st.block_refs, 4);
  EXPECT_EQ(st.logical_tokens, 12);
  EXPECT_EQ(st.physical_tokens, 6);

  auto k2 = randomData(2 * 1 * 24, 3), v2 = randomData(k2.size(), 4);
  cache.append(b, 1, k2.data(), v2.data()); // CoW of the shared last block
  const auto ta = cache.blockTable(a), tb = cache.blockTable(b);
  EXPECT_EQ(ta[0], tb[0]);
  EXPECT_NE(ta[1], tb[1]);
  st = cache.stats();
  EXPECT_EQ(st.used_blocks, 3);
  EXPECT_EQ(st.shared_blocks, 1);
  std::vector<float> after(6 * 24);
  cache.read(a, 0, 0, 6, after.data(), nullptr);
  EXPECT_EQ(before, after);
  std::vector<float> bk(7 * 24);
  cache.read(b, 0, 0, 7, bk.data(), nullptr);
  EXPECT_TRUE(std::equal(before.begin(), before.end(), bk.begin()));
  // a is now the sole owner of its old last block: appends in place.
  cache.append(a, 1, k2.data(), v2.data());
  EXPECT_EQ(cache.blockTable(a), ta);
  // Fork of a full last block: appending allocates, never copies.
  cache.append(b, 1, k2.data(), v2.data()); // b: 8 tokens, 2 full blocks
  EXPECT_EQ(cache.stats().used_blocks, 3);
  const int64_t c2 = cache.fork(b);
  cache.append(c2, 1, k2.data(), v2.data());
  EXPECT_EQ(cache.stats().used_blocks, 4);
  const auto tc = cache.blockTable(c2), tb2 = cache.blockTable(b);
  ASSERT_EQ(tc.size(), 3u);
  EXPECT_TRUE(std::equal(tb2.begin(), tb2.end(), tc.begin()));
  cache.checkInvariants();
  cache.freeSequence(a);
  cache.freeSequence(b);
  cache.freeSequence(c2);
  st = cache.stats();
  EXPECT_EQ(st.used_blocks, 0);
  EXPECT_EQ(st.free_blocks, 16);
  EXPECT_EQ(st.num_sequences, 0);
  cache.checkInvariants();
}

// reserve allocates like append (copy-on-write included) without writing:
// the slots a kernel fills, then reads back through the pool like any token.
TEST(KVCache, ReserveAllocatesSlotsAKernelWrites) {
  CacheConfig c = smallConfig(ATTN_DTYPE_F32, ATTN_LAYOUT_NHD, 4);
  KVCache cache(c);
  const int64_t a = cache.createSequence();
  auto k = randomData(2 * 6 * 24, 5), v = randomData(k.size(), 6);
  cache.append(a, 6, k.data(), v.data()); // full block + 2 of 4
  const int64_t b = cache.fork(a);
  const auto shared = cache.blockTable(a);

  cache.reserve(b, 3); // copy the shared half block, then one more block
  EXPECT_EQ(cache.length(b), 9);
  const auto tb = cache.blockTable(b);
  ASSERT_EQ(tb.size(), 3u);
  EXPECT_EQ(tb[0], shared[0]);
  EXPECT_NE(tb[1], shared[1]);
  EXPECT_EQ(cache.blockTable(a), shared);
  // The copied tokens are b's; what a kernel writes at positions 6..8 (the
  // slots the table gives) is read back.
  std::vector<float> before(6 * 24), got(6 * 24);
  cache.read(a, 0, 0, 6, before.data(), nullptr);
  cache.read(b, 0, 0, 6, got.data(), nullptr);
  EXPECT_EQ(before, got);
  attn_kv_layer_view_t view = cache.layerView(1);
  auto *pool = static_cast<float *>(view.k_pool);
  for (int64_t pos = 6; pos < 9; ++pos)
    for (size_t h = 0; h < 3; ++h)
      for (size_t d = 0; d < 8; ++d)
        pool[docOffset(c, size_t(tb[size_t(pos / 4)]), size_t(pos % 4), h, d)] =
            float(pos * 100 + int64_t(h) * 10 + int64_t(d));
  std::vector<float> fresh(3 * 24);
  cache.read(b, 1, 6, 3, fresh.data(), nullptr);
  for (size_t i = 0; i < fresh.size(); ++i)
    EXPECT_EQ(fresh[i], float((6 + int64_t(i / 24)) * 100 +
                              int64_t((i % 24) / 8) * 10 + int64_t(i % 8)));

  // Zero tokens change nothing; errors leave the cache unchanged.
  cache.reserve(b, 0);
  EXPECT_EQ(cache.length(b), 9);
  EXPECT_EQ(codeOf([&] { cache.reserve(b, -1); }), ATTN_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(codeOf([&] { cache.reserve(12345, 1); }),
            ATTN_ERR_UNKNOWN_SEQUENCE);
  const attn_kv_stats_t st = cache.stats();
  EXPECT_EQ(codeOf([&] { cache.reserve(a, 1000); }), ATTN_ERR_OUT_OF_BLOCKS);
  EXPECT_EQ(cache.stats().used_blocks, st.used_blocks);
  EXPECT_EQ(cache.length(a), 6);
  cache.checkInvariants();
}

TEST(KVCache, ReorderAndPruneBeams) {
  CacheConfig c = smallConfig(ATTN_DTYPE_F32, ATTN_LAYOUT_NHD, 2);
  c.numBlocks = 32;
  KVCache cache(c);
  const int64_t root = cache.createSequence();
  auto k = randomData(2 * 3 * 24, 5), v = randomData(k.size(), 6);
  cache.append(root, 3, k.data(), v.data());
  int64_t beams[3] = {root, cache.fork(root), cache.fork(root)};
  // Each beam gets a different next token.
  for (int i = 0; i < 3; ++i) {
    auto kt = randomData(2 * 24, 100 + uint64_t(i)),
         vt = randomData(2 * 24, 200 + uint64_t(i));
    cache.append(beams[i], 1, kt.data(), vt.data());
  }
  std::vector<std::vector<float>> old(3, std::vector<float>(4 * 24));
  for (int i = 0; i < 3; ++i)
    cache.read(beams[i], 1, 0, 4, old[size_t(i)].data(), nullptr);
  const int32_t src[3] = {2, 2, 0};
  cache.reorder(beams, src, 3);
  for (int i = 0; i < 3; ++i) {
    std::vector<float> now(4 * 24);
    cache.read(beams[i], 1, 0, 4, now.data(), nullptr);
    EXPECT_EQ(now, old[size_t(src[i])]) << i;
  }
  EXPECT_EQ(cache.blockTable(beams[0]), cache.blockTable(beams[1]));
  cache.checkInvariants();
  // Old beam 1 had no survivor: its private block is free again.
  attn_kv_stats_t st = cache.stats();
  EXPECT_EQ(st.used_blocks, 1 + 2); // shared first block + 2 distinct tails
  cache.prune(beams, 2);
  EXPECT_EQ(cache.stats().num_sequences, 1);
  EXPECT_EQ(codeOf([&] { cache.length(beams[0]); }), ATTN_ERR_UNKNOWN_SEQUENCE);
  cache.checkInvariants();
}

TEST(KVCache, TruncateThenAppendCopiesSharedBlock) {
  CacheConfig c = smallConfig(ATTN_DTYPE_F32, ATTN_LAYOUT_HND, 4);
  KVCache cache(c);
  const int64_t a = cache.createSequence();
  auto k = randomData(2 * 8 * 24, 9), v = randomData(k.size(), 10);
  cache.append(a, 8, k.data(), v.data());
  const int64_t b = cache.fork(a);
  cache.truncate(a, 6);
  EXPECT_EQ(cache.length(a), 6);
  EXPECT_EQ(cache.blockTable(a).size(), 2u);
  auto k2 = randomData(2 * 24, 11), v2 = randomData(2 * 24, 12);
  cache.append(a, 1, k2.data(), v2.data());
  // b still sees its original 8 tokens.
  std::vector<float> bo(8 * 24);
  cache.read(b, 0, 0, 8, bo.data(), nullptr);
  EXPECT_TRUE(std::equal(bo.begin(), bo.end(), k.begin()));
  std::vector<float> ao(24);
  cache.read(a, 0, 6, 1, ao.data(), nullptr);
  EXPECT_TRUE(std::equal(ao.begin(), ao.end(), k2.begin()));
  cache.truncate(a, 0);
  EXPECT_EQ(cache.blockTable(a).size(), 0u);
  EXPECT_EQ(codeOf([&] { cache.truncate(a, 1); }), ATTN_ERR_INVALID_ARGUMENT);
  cache.checkInvariants();
}

TEST(KVCache, ErrorsLeaveCacheUnchanged) {
  CacheConfig c = smallConfig(ATTN_DTYPE_INT8, ATTN_LAYOUT_NHD, 4);
  c.granularity = ATTN_QUANT_PER_TOKEN;
  c.asymmetric = true;
  c.numBlocks = 5;
  KVCache cache(c);
  const int64_t a = cache.createSequence();
  auto k = randomData(2 * 30 * 24, 13), v = randomData(k.size(), 14);
  cache.append(a, 6, k.data(), v.data());
  const int64_t b = cache.fork(a);
  const Snapshot snap = cache.snapshot();

  // Needs 1 CoW block + 4 new blocks; only 3 free.
  EXPECT_EQ(codeOf([&] { cache.append(b, 14, k.data(), v.data()); }),
            ATTN_ERR_OUT_OF_BLOCKS);
  EXPECT_EQ(snap, cache.snapshot());
  EXPECT_EQ(codeOf([&] { cache.append(999, 1, k.data(), v.data()); }),
            ATTN_ERR_UNKNOWN_SEQUENCE);
  EXPECT_EQ(codeOf([&] { cache.fork(999); }), ATTN_ERR_UNKNOWN_SEQUENCE);
  EXPECT_EQ(codeOf([&] { cache.freeSequence(999); }),
            ATTN_ERR_UNKNOWN_SEQUENCE);
  EXPECT_EQ(codeOf([&] { cache.append(a, -1, k.data(), v.data()); }),
            ATTN_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(codeOf([&] { cache.append(a, 1, nullptr, v.data()); }),
            ATTN_ERR_INVALID_ARGUMENT);
  std::vector<float> out(24 * 10);
  EXPECT_EQ(codeOf([&] { cache.read(a, 0, 5, 2, out.data(), nullptr); }),
            ATTN_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(codeOf([&] { cache.read(a, 2, 0, 1, out.data(), nullptr); }),
            ATTN_ERR_INVALID_ARGUMENT);
  const int64_t ids[2] = {a, 999};
  const int32_t src[2] = {1, 0};
  EXPECT_EQ(codeOf([&] { cache.reorder(ids, src, 2); }),
            ATTN_ERR_UNKNOWN_SEQUENCE);
  const int64_t dup[2] = {a, a};
  EXPECT_EQ(codeOf([&] { cache.reorder(dup, src, 2); }),
            ATTN_ERR_INVALID_ARGUMENT);
  const int64_t ab[2] = {a, b};
  const int32_t badSrc[2] = {0, 2};
  EXPECT_EQ(codeOf([&] { cache.reorder(ab, badSrc, 2); }),
            ATTN_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(codeOf([&] { cache.prune(ids, 2); }), ATTN_ERR_UNKNOWN_SEQUENCE);
  EXPECT_EQ(codeOf([&] { cache.prune(dup, 2); }), ATTN_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(codeOf([&] { cache.truncate(a, 7); }), ATTN_ERR_INVALID_ARGUMENT);
  // Ingest: dims, lengths, duplicates, block exhaustion across a batch.
  std::vector<float> qkv(2 * 2 * 8 * (4 + 6) * 8);
  const int64_t pair[2] = {a, b};
  const int32_t lens[2] = {8, 8};
  EXPECT_EQ(codeOf([&] {
              cache.ingestPadded(qkv.data(), 2, 2, 8, 4, 2, 8, pair, lens,
                                 nullptr);
            }),
            ATTN_ERR_DIM_MISMATCH);
  EXPECT_EQ(codeOf([&] {
              cache.ingestPadded(qkv.data(), 1, 2, 8, 4, 3, 8, pair, lens,
                                 nullptr);
            }),
            ATTN_ERR_DIM_MISMATCH);
  EXPECT_EQ(codeOf([&] {
              cache.ingestPadded(qkv.data(), 2, 2, 8, 4, 3, 8, pair, lens,
                                 nullptr);
            }),
            ATTN_ERR_OUT_OF_BLOCKS);
  const int32_t badLens[2] = {1, 9};
  EXPECT_EQ(codeOf([&] {
              cache.ingestPadded(qkv.data(), 2, 2, 8, 4, 3, 8, pair, badLens,
                                 nullptr);
            }),
            ATTN_ERR_INVALID_ARGUMENT);
  const int32_t cu[3] = {0, 5, 4};
  EXPECT_EQ(codeOf([&] {
              cache.ingestPacked(qkv.data(), 2, 4, 4, 3, 8, 2, pair, cu,
                                 nullptr);
            }),
            ATTN_ERR_INVALID_ARGUMENT);
  const int32_t cuOk[3] = {0, 2, 4};
  RopeParams badRope;
  badRope.rotaryDim = 3;
  EXPECT_EQ(codeOf([&] {
              cache.ingestPacked(qkv.data(), 2, 4, 4, 3, 8, 2, pair, cuOk,
                                 &badRope);
            }),
            ATTN_ERR_INVALID_ARGUMENT);
  badRope.rotaryDim = 0;
  badRope.theta = NAN;
  EXPECT_EQ(codeOf([&] {
              cache.ingestPacked(qkv.data(), 2, 4, 4, 3, 8, 2, pair, cuOk,
                                 &badRope);
            }),
            ATTN_ERR_INVALID_ARGUMENT);
  const int64_t pairDup[2] = {a, a};
  EXPECT_EQ(codeOf([&] {
              cache.ingestPacked(qkv.data(), 2, 4, 4, 3, 8, 2, pairDup, cuOk,
                                 nullptr);
            }),
            ATTN_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(codeOf([&] {
              const float ks[1] = {1.0f};
              cache.setScales(ks, ks, nullptr, nullptr);
            }),
            ATTN_ERR_INVALID_STATE);
  std::vector<int32_t> table(4);
  EXPECT_EQ(
      codeOf([&] { cache.denseBlockTable(pair, 2, 1, table.data(), nullptr); }),
      ATTN_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(snap, cache.snapshot());
  cache.checkInvariants();
}

TEST(KVCache, BadScalesRejected) {
  const float bad[] = {0.0f, -0.0f, -1.0f, NAN, INFINITY, -INFINITY};
  for (attn_dtype_t dt :
       {ATTN_DTYPE_INT8, ATTN_DTYPE_FP8_E4M3FN, ATTN_DTYPE_FP8_E5M2}) {
    for (float b : bad) {
      CacheConfig c = smallConfig(dt);
      c.granularity = ATTN_QUANT_PER_HEAD;
      c.kScales.assign(6, 1.0f);
      c.vScales.assign(6, 1.0f);
      c.vScales[4] = b;
      EXPECT_EQ(codeOf([&] { KVCache k(c); }), ATTN_ERR_BAD_SCALE) << b;
    }
  }
  // Asymmetric zero points outside int8.
  CacheConfig c = smallConfig(ATTN_DTYPE_INT8);
  c.granularity = ATTN_QUANT_PER_TENSOR;
  c.asymmetric = true;
  c.kScales.assign(2, 0.1f);
  c.vScales.assign(2, 0.1f);
  c.kZeroPoints = {0, 128};
  c.vZeroPoints = {0, 0};
  EXPECT_EQ(codeOf([&] { KVCache k(c); }), ATTN_ERR_BAD_SCALE);
  c.kZeroPoints = {0, -128};
  KVCache cache(c);
  // Wrong number of scales.
  c.kScales.assign(3, 0.1f);
  EXPECT_EQ(codeOf([&] { KVCache k(c); }), ATTN_ERR_BAD_SCALE);
  // setScales on an empty cache: validated, then applied.
  const Snapshot snap = cache.snapshot();
  const float ks[2] = {0.5f, NAN}, vs[2] = {0.5f, 0.5f};
  const int32_t zs[2] = {1, 2};
  EXPECT_EQ(codeOf([&] { cache.setScales(ks, vs, zs, zs); }),
            ATTN_ERR_BAD_SCALE);
  EXPECT_EQ(codeOf([&] { cache.setScales(vs, vs, nullptr, nullptr); }),
            ATTN_ERR_BAD_SCALE);
  EXPECT_EQ(snap, cache.snapshot());
  cache.setScales(vs, vs, zs, zs);
  EXPECT_NE(snap, cache.snapshot());
  EXPECT_EQ(cache.layerView(1).k_scale[0], 0.5f);
  EXPECT_EQ(cache.layerView(1).k_zero_point[0], 2);
  // Invalid combinations.
  CacheConfig f = smallConfig(ATTN_DTYPE_FP8_E4M3FN);
  f.granularity = ATTN_QUANT_PER_TOKEN;
  EXPECT_EQ(codeOf([&] { KVCache k(f); }), ATTN_ERR_INVALID_ARGUMENT);
  CacheConfig g = smallConfig(ATTN_DTYPE_F16);
  g.granularity = ATTN_QUANT_PER_HEAD;
  EXPECT_EQ(codeOf([&] { KVCache k(g); }), ATTN_ERR_INVALID_ARGUMENT);
}

namespace {
/// Double-precision RoPE reference written from the op's definition.
void refRope(double *x, int D, int R, bool neox, double pos, double theta) {
  std::vector<double> out(x, x + D);
  for (int i = 0; i < R / 2; ++i) {
    const double ang = pos * std::pow(theta, -2.0 * i / R);
    const int a = neox ? i : 2 * i, b = neox ? i + R / 2 : 2 * i + 1;
    out[size_t(a)] = x[a] * std::cos(ang) - x[b] * std::sin(ang);
    out[size_t(b)] = x[b] * std::cos(ang) + x[a] * std::sin(ang);
  }
  std::copy(out.begin(), out.end(), x);
}
} // namespace

TEST(KVCache, IngestPaddedAndPackedWithRope) {
  const int Hq = 4, Hkv = 2, D = 16, L = 2;
  const int W = (Hq + 2 * Hkv) * D;
  for (attn_rope_style_t style : {ATTN_ROPE_NEOX, ATTN_ROPE_GPTJ}) {
    for (int32_t R : {0, 8}) {
      CacheConfig c;
      c.numLayers = L;
      c.numKVHeads = Hkv;
      c.headDim = D;
      c.blockSize = 4;
      c.numBlocks = 32;
      c.layout = ATTN_LAYOUT_HND;
      KVCache padded(c), packed(c);
      RopeParams rope;
      rope.style = style;
      rope.rotaryDim = R;
      rope.theta = 500.0f;
      const int B = 3, S = 7;
      const int32_t lens[B] = {7, 0, 3};
      int64_t pids[B], qids[B];
      for (int b = 0; b < B; ++b) {
        pids[b] = padded.createSequence();
        qids[b] = packed.createSequence();
      }
      // Prefix of 2 tokens on sequence 2 so positions start at 2 there.
      auto pk = randomData(size_t(L * 2 * Hkv * D), 77);
      padded.append(pids[2], 2, pk.data(), pk.data());
      packed.append(qids[2], 2, pk.data(), pk.data());
      auto qkvPadded = randomData(size_t(L * B * S * W), 78);
      padded.ingestPadded(qkvPadded.data(), L, B, S, Hq, Hkv, D, pids, lens,
                          &rope);
      // Same tokens packed: [L][1][T][W].
      const int32_t cu[B + 1] = {0, 7, 7, 10};
      std::vector<float> qkvPacked(size_t(L * 10 * W));
      for (int l = 0; l < L; ++l)
        for (int b = 0; b < B; ++b)
          for (int t = 0; t < lens[b]; ++t)
            std::memcpy(&qkvPacked[(size_t(l) * 10 + size_t(cu[b] + t)) * W],
                        &qkvPadded[((size_t(l) * B + b) * S + t) * W],
                        size_t(W) * 4);
      packed.ingestPacked(qkvPacked.data(), L, 10, Hq, Hkv, D, B, qids, cu,
                          &rope);
      const int rd = R == 0 ? D : R;
      for (int b = 0; b < B; ++b) {
        const int64_t start = b == 2 ? 2 : 0;
        ASSERT_EQ(padded.length(pids[b]), start + lens[b]);
        ASSERT_EQ(packed.length(qids[b]), start + lens[b]);
        for (int l = 0; l < L; ++l) {
          std::vector<float> k1(size_t(lens[b] * Hkv * D)), v1(k1.size()),
              k2(k1.size()), v2(k1.size());
          padded.read(pids[b], l, start, lens[b], k1.data(), v1.data());
          packed.read(qids[b], l, start, lens[b], k2.data(), v2.data());
          EXPECT_EQ(k1, k2);
          EXPECT_EQ(v1, v2);
          for (int t = 0; t < lens[b]; ++t)
            for (int h = 0; h < Hkv; ++h) {
              const float *row = &qkvPadded[((size_t(l) * B + b) * S + t) * W];
              std::vector<double> kr(row + (Hq + h) * D,
                                     row + (Hq + h + 1) * D);
              refRope(kr.data(), D, rd, style == ATTN_ROPE_NEOX,
                      double(start + t), 500.0);
              for (int d = 0; d < D; ++d) {
                const size_t o = (size_t(t) * Hkv + h) * D + d;
                ASSERT_NEAR(k1[o], kr[size_t(d)], 1e-4)
                    << "style " << style << " R " << R << " t " << t;
                if (d >= rd) { // pass-through dims are exact
                  ASSERT_EQ(k1[o], row[(Hq + h) * D + d]);
                }
                ASSERT_EQ(v1[o], row[(Hq + Hkv + h) * D + d]); // no RoPE on V
              }
            }
        }
      }
      // Position 0 is the identity rotation.
      std::vector<float> k0(size_t(Hkv * D));
      padded.read(pids[0], 0, 0, 1, k0.data(), nullptr);
      for (int h = 0; h < Hkv; ++h)
        for (int d = 0; d < D; ++d)
          ASSERT_EQ(k0[size_t(h * D + d)], qkvPadded[size_t((Hq + h) * D + d)]);
      padded.checkInvariants();
    }
  }
}

TEST(KVCache, DecodeIngestContinuesRotation) {
  // Ingesting one token at a time equals ingesting all tokens at once.
  CacheConfig c;
  c.numLayers = 1;
  c.numKVHeads = 1;
  c.headDim = 8;
  c.blockSize = 2;
  c.numBlocks = 16;
  KVCache once(c), steps(c);
  const int64_t a = once.createSequence(), b = steps.createSequence();
  const int W = 3 * 8, T = 9;
  auto qkv = randomData(size_t(T * W), 5);
  RopeParams rope; // neox, full, 10000
  const int32_t cu[2] = {0, T};
  once.ingestPacked(qkv.data(), 1, T, 1, 1, 8, 1, &a, cu, &rope);
  for (int t = 0; t < T; ++t) {
    const int32_t len = 1;
    steps.ingestPadded(qkv.data() + size_t(t * W), 1, 1, 1, 1, 1, 8, &b, &len,
                       &rope);
  }
  std::vector<float> k1(size_t(T * 8)), k2(k1.size());
  once.read(a, 0, 0, T, k1.data(), nullptr);
  steps.read(b, 0, 0, T, k2.data(), nullptr);
  EXPECT_EQ(k1, k2);
}

TEST(KVCache, DenseBlockTableAndStats) {
  CacheConfig c = smallConfig(ATTN_DTYPE_BF16, ATTN_LAYOUT_NHD, 4);
  KVCache cache(c);
  const int64_t a = cache.createSequence(), b = cache.createSequence();
  auto k = randomData(2 * 9 * 24, 3);
  cache.append(a, 9, k.data(), k.data());
  cache.append(b, 1, k.data(), k.data());
  const int64_t ids[2] = {b, a};
  std::vector<int32_t> table(2 * 4, 7), lens(2);
  cache.denseBlockTable(ids, 2, 4, table.data(), lens.data());
  const auto ta = cache.blockTable(a), tb = cache.blockTable(b);
  EXPECT_EQ(table,
            (std::vector<int32_t>{tb[0], -1, -1, -1, ta[0], ta[1], ta[2], -1}));
  EXPECT_EQ(lens, (std::vector<int32_t>{1, 9}));
  attn_kv_stats_t st = cache.stats();
  EXPECT_EQ(st.used_blocks, 4);
  EXPECT_EQ(st.free_blocks, 12);
  EXPECT_EQ(st.physical_tokens, 10);
  EXPECT_DOUBLE_EQ(st.fragmentation, 1.0 - 10.0 / 16.0);
  EXPECT_EQ(codeOf([&] {
              const int64_t bad[1] = {42};
              cache.denseBlockTable(bad, 1, 4, table.data(), lens.data());
            }),
            ATTN_ERR_UNKNOWN_SEQUENCE);
}

TEST(KVCache, CudaMemory) {
  CacheConfig c = smallConfig();
  c.memory = ATTN_MEMORY_CUDA;
  if (!attn_runtime_has_cuda()) {
    ASSERT_EQ(std::getenv("ATTN_RUNTIME_EXPECT_CUDA"), nullptr)
        << "ATTN_RUNTIME_EXPECT_CUDA is set but there is no CUDA device";
    // No driver (libcuda.so.1 absent): unsupported; a driver without a
    // usable device: the driver's error. Never a crash.
    const attn_status_t st = codeOf([&] { KVCache k(c); });
    EXPECT_TRUE(st == ATTN_ERR_UNSUPPORTED || st == ATTN_ERR_DEVICE) << st;
    GTEST_SKIP() << "no CUDA device (attn_runtime_has_cuda() == 0)";
  }
  std::unique_ptr<KVCache> cache;
  const attn_status_t st =
      codeOf([&] { cache = std::make_unique<KVCache>(c); });
  if (st != ATTN_OK) {
    // A device, but not a usable one: a clean error, no crash.
    EXPECT_TRUE(st == ATTN_ERR_DEVICE || st == ATTN_ERR_INVALID_ARGUMENT) << st;
    GTEST_SKIP() << "no CUDA device available";
  }
  const int64_t a = cache->createSequence();
  auto k = randomData(2 * 7 * 24, 1), v = randomData(k.size(), 2);
  cache->append(a, 7, k.data(), v.data());
  const int64_t b = cache->fork(a);
  cache->append(b, 1, k.data(), v.data()); // device-side copy-on-write
  std::vector<float> ko(7 * 24), vo(ko.size());
  cache->read(a, 1, 0, 7, ko.data(), vo.data());
  EXPECT_TRUE(std::equal(ko.begin(), ko.end(), k.begin() + 7 * 24));
  cache->read(b, 1, 0, 7, ko.data(), vo.data());
  EXPECT_TRUE(std::equal(vo.begin(), vo.end(), v.begin() + 7 * 24));
  EXPECT_EQ(cache->layerView(0).memory, ATTN_MEMORY_CUDA);
  cache->checkInvariants();
}

// Regression (found by the model test): two sequences sharing a partially
// filled last block, appended in one batch, both copy it; the shared block
// must go back to the pool instead of leaking.
TEST(KVCache, BatchCopyOnWriteOfOneSharedBlockDoesNotLeak) {
  CacheConfig c = smallConfig(ATTN_DTYPE_F32, ATTN_LAYOUT_NHD, 4);
  KVCache cache(c);
  const int64_t a = cache.createSequence();
  auto k = randomData(2 * 2 * 24, 1);
  cache.append(a, 2, k.data(), k.data());
  const int64_t ids[2] = {a, cache.fork(a)};
  const int32_t cu[3] = {0, 1, 2};
  std::vector<float> qkv(2 * 2 * (1 + 6) * 8, 0.5f);
  cache.ingestPacked(qkv.data(), 2, 2, 1, 3, 8, 2, ids, cu, nullptr);
  cache.checkInvariants();
  EXPECT_EQ(cache.stats().used_blocks, 2);
  cache.prune(ids, 2);
  EXPECT_EQ(cache.stats().free_blocks, 16);
  cache.checkInvariants();
}

// A kernel reading the raw pools and per-token scale arrays at the documented
// offsets reproduces the runtime's dequantized reads.
TEST(KVCache, PerTokenScaleArraysFollowDocumentedLayout) {
  for (attn_layout_t layout : {ATTN_LAYOUT_NHD, ATTN_LAYOUT_HND}) {
    CacheConfig c = smallConfig(ATTN_DTYPE_INT8, layout, 4);
    c.granularity = ATTN_QUANT_PER_TOKEN;
    c.asymmetric = true;
    KVCache cache(c);
    const int64_t s = cache.createSequence();
    const int64_t n = 11;
    auto k = randomData(size_t(2 * n * 24), 21), v = randomData(k.size(), 22);
    cache.append(s, n, k.data(), v.data());
    const auto table = cache.blockTable(s);
    for (int32_t l = 0; l < 2; ++l) {
      std::vector<float> ko(size_t(n) * 24), vo(ko.size());
      cache.read(s, l, 0, n, ko.data(), vo.data());
      const attn_kv_layer_view_t view = cache.layerView(l);
      ASSERT_NE(view.k_zero_point, nullptr);
      for (int64_t t = 0; t < n; ++t)
        for (size_t h = 0; h < 3; ++h) {
          const size_t blk = size_t(table[size_t(t / 4)]), slot = size_t(t % 4);
          const size_t so = layout == ATTN_LAYOUT_NHD
                                ? (blk * 4 + slot) * 3 + h
                                : (blk * 3 + h) * 4 + slot;
          for (size_t d = 0; d < 8; ++d) {
            const size_t off = docOffset(c, blk, slot, h, d);
            const int8_t qk = static_cast<const int8_t *>(view.k_pool)[off];
            const int8_t qv = static_cast<const int8_t *>(view.v_pool)[off];
            ASSERT_EQ(ko[size_t(t) * 24 + h * 8 + d],
                      float(qk - view.k_zero_point[so]) * view.k_scale[so]);
            ASSERT_EQ(vo[size_t(t) * 24 + h * 8 + d],
                      float(qv - view.v_zero_point[so]) * view.v_scale[so]);
          }
        }
    }
  }
}
