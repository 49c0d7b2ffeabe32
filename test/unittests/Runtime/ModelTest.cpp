//===- ModelTest.cpp - Model-based random test of the KV cache ------------===//
//
// Thousands of random append / ingest / fork / free / reorder / prune /
// truncate operations (plus deliberately failing ones) with fixed seeds. After
// every step the cache is compared with a simple reference model: per
// sequence a std::vector of tokens holding the expected (dequantized) K and V
// of every layer. Failing operations must leave the full state unchanged.
//
//===----------------------------------------------------------------------===//

#include "attn/runtime/KVCache.h"
#include "attn/runtime/Quant.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <vector>

using namespace attn::runtime;

namespace {

struct ModelCase {
  const char *name;
  attn_dtype_t dtype;
  attn_quant_granularity_t gran;
  bool asym;
  attn_layout_t layout;
  int32_t blockSize;
  int32_t numBlocks;
  uint64_t seed;
  int steps;
};

constexpr int32_t L = 2, H = 2, D = 4, HQ = 3;
constexpr size_t TOK = size_t(H) * D; // floats per token per layer

/// A token as the model stores it: expected K and V of every layer,
/// [layer][which][H*D].
using Token = std::vector<float>;

class Model {
public:
  explicit Model(const CacheConfig &c) : cfg(c) {}

  /// Expected dequantized values of one head vector (the documented
  /// quantization formulas, written independently of the cache).
  void expectHead(const float *x, int32_t layer, int32_t head, bool isV,
                  float *out) const {
    float scale = 1.0f;
    int32_t zp = 0;
    const auto &sc = isV ? cfg.vScales : cfg.kScales;
    const auto &zs = isV ? cfg.vZeroPoints : cfg.kZeroPoints;
    if (cfg.granularity == ATTN_QUANT_PER_TENSOR ||
        cfg.granularity == ATTN_QUANT_PER_HEAD) {
      const size_t idx = cfg.granularity == ATTN_QUANT_PER_TENSOR
                             ? size_t(layer)
                             : size_t(layer) * H + size_t(head);
      scale = sc[idx];
      zp = cfg.asymmetric ? zs[idx] : 0;
    } else if (cfg.granularity == ATTN_QUANT_PER_TOKEN) {
      float mn = 0, mx = 0;
      for (int32_t d = 0; d < D; ++d) {
        mn = std::min(mn, x[d]);
        mx = std::max(mx, x[d]);
      }
      if (cfg.asymmetric) {
        scale = mx / 255.0f - mn / 255.0f;
        if (!(scale > 0.0f))
          scale = 1.0f;
        zp = int32_t(std::max(
            -128.0f, std::min(127.0f, std::nearbyint(-128.0f - mn / scale))));
      } else {
        const float amax = std::max(-mn, mx);
        scale = amax > 0.0f ? amax / 127.0f : 1.0f;
      }
    }
    for (int32_t d = 0; d < D; ++d) {
      switch (cfg.dtype) {
      case ATTN_DTYPE_F32:
        out[d] = x[d];
        break;
      case ATTN_DTYPE_F16:
        out[d] = f16ToF32(f32ToF16(x[d]));
        break;
      case ATTN_DTYPE_BF16:
        out[d] = bf16ToF32(f32ToBF16(x[d]));
        break;
      case ATTN_DTYPE_INT8:
        out[d] = dequantizeInt8(quantizeInt8(x[d], scale, zp), scale, zp);
        break;
      case ATTN_DTYPE_FP8_E4M3FN:
        out[d] = fp8ToF32(f32ToFP8(x[d] / scale, FP8Format::E4M3FN, true),
                          FP8Format::E4M3FN) *
                 scale;
        break;
      case ATTN_DTYPE_FP8_E5M2:
        out[d] = fp8ToF32(f32ToFP8(x[d] / scale, FP8Format::E5M2, true),
                          FP8Format::E5M2) *
                 scale;
        break;
      }
    }
  }

  /// k, v: [L][H*D] of one token.
  Token expectToken(const float *k, const float *v) const {
    Token t(size_t(L) * 2 * TOK);
    for (int32_t l = 0; l < L; ++l)
      for (int32_t h = 0; h < H; ++h) {
        expectHead(k + size_t(l) * TOK + size_t(h) * D, l, h, false,
                   &t[(size_t(l) * 2 + 0) * TOK + size_t(h) * D]);
        expectHead(v + size_t(l) * TOK + size_t(h) * D, l, h, true,
                   &t[(size_t(l) * 2 + 1) * TOK + size_t(h) * D]);
      }
    return t;
  }

  CacheConfig cfg;
  std::map<int64_t, std::vector<Token>> seqs;
};

struct Counters {
  int appends = 0, ingests = 0, forks = 0, frees = 0, creates = 0, reorders = 0,
      prunes = 0, truncates = 0, rejected = 0, outOfBlocks = 0;
  int total() const {
    return appends + ingests + forks + frees + creates + reorders + prunes +
           truncates + rejected;
  }
};

attn_status_t codeOf(const std::function<void()> &f) {
  try {
    f();
  } catch (const Error &e) {
    return e.code;
  }
  return ATTN_OK;
}

void checkAgainstModel(const KVCache &cache, const Model &model) {
  cache.checkInvariants();
  attn_kv_stats_t st = cache.stats();
  ASSERT_EQ(st.num_sequences, int64_t(model.seqs.size()));
  std::set<int32_t> distinct;
  int64_t logical = 0;
  for (const auto &kv : model.seqs) {
    const int64_t n = int64_t(kv.second.size());
    ASSERT_EQ(cache.length(kv.first), n) << "sequence " << kv.first;
    logical += n;
    for (int32_t b : cache.blockTable(kv.first))
      distinct.insert(b);
    std::vector<float> k(size_t(n) * TOK), v(k.size());
    for (int32_t l = 0; l < L; ++l) {
      cache.read(kv.first, l, 0, n, k.data(), v.data());
      for (int64_t t = 0; t < n; ++t) {
        const Token &tok = kv.second[size_t(t)];
        for (size_t i = 0; i < TOK; ++i) {
          ASSERT_EQ(k[size_t(t) * TOK + i], tok[(size_t(l) * 2) * TOK + i])
              << "seq " << kv.first << " layer " << l << " token " << t;
          ASSERT_EQ(v[size_t(t) * TOK + i], tok[(size_t(l) * 2 + 1) * TOK + i])
              << "seq " << kv.first << " layer " << l << " token " << t;
        }
      }
    }
  }
  ASSERT_EQ(st.logical_tokens, logical);
  ASSERT_EQ(st.used_blocks, int64_t(distinct.size()));
  ASSERT_EQ(st.free_blocks + st.used_blocks, st.num_blocks);
}

void runModel(const ModelCase &mc) {
  CacheConfig c;
  c.numLayers = L;
  c.numKVHeads = H;
  c.headDim = D;
  c.blockSize = mc.blockSize;
  c.numBlocks = mc.numBlocks;
  c.layout = mc.layout;
  c.dtype = mc.dtype;
  c.granularity = mc.gran;
  c.asymmetric = mc.asym;
  const size_t ns = mc.gran == ATTN_QUANT_PER_TENSOR ? L
                    : mc.gran == ATTN_QUANT_PER_HEAD ? size_t(L) * H
                                                     : 0;
  for (size_t i = 0; i < ns; ++i) {
    c.kScales.push_back(0.02f + 0.01f * float(i));
    c.vScales.push_back(0.03f + 0.005f * float(i));
    if (mc.asym) {
      c.kZeroPoints.push_back(int32_t(i) * 3 - 4);
      c.vZeroPoints.push_back(5 - int32_t(i));
    }
  }
  KVCache cache(c);
  Model model(c);
  std::mt19937_64 rng(mc.seed);
  std::uniform_real_distribution<float> val(-2.0f, 2.0f);
  auto pick = [&](size_t n) {
    return size_t(std::uniform_int_distribution<size_t>(0, n - 1)(rng));
  };
  auto liveIds = [&] {
    std::vector<int64_t> ids;
    for (const auto &kv : model.seqs)
      ids.push_back(kv.first);
    return ids;
  };
  auto randomTokens = [&](int64_t n) {
    std::vector<float> x(size_t(L) * size_t(n) * TOK);
    for (float &f : x)
      f = val(rng);
    return x;
  };
  const int64_t maxAppend = std::min<int64_t>(2 * mc.blockSize + 2, 40);
  Counters cnt;

  for (int step = 0; step < mc.steps; ++step) {
    std::vector<int64_t> ids = liveIds();
    const int op = int(pick(100));
    if (ids.empty() || (op < 8 && ids.size() < 12)) {
      model.seqs[cache.createSequence()];
      ++cnt.creates;
    } else if (op < 40) { // append
      const int64_t s = ids[pick(ids.size())];
      const int64_t n = int64_t(pick(size_t(maxAppend) + 1));
      auto k = randomTokens(n), v = randomTokens(n);
      const Snapshot before = cache.snapshot();
      const int64_t freeBefore = cache.stats().free_blocks;
      const int64_t len = cache.length(s), bs = mc.blockSize;
      const int64_t minNeed = (len + n + bs - 1) / bs - (len + bs - 1) / bs;
      const attn_status_t st =
          codeOf([&] { cache.append(s, n, k.data(), v.data()); });
      if (st == ATTN_OK) {
        ASSERT_GE(freeBefore, minNeed);
        std::vector<float> kt(size_t(L) * TOK), vt(kt.size());
        for (int64_t t = 0; t < n; ++t) {
          for (int32_t l = 0; l < L; ++l) {
            std::copy_n(&k[(size_t(l) * size_t(n) + size_t(t)) * TOK], TOK,
                        &kt[size_t(l) * TOK]);
            std::copy_n(&v[(size_t(l) * size_t(n) + size_t(t)) * TOK], TOK,
                        &vt[size_t(l) * TOK]);
          }
          model.seqs[s].push_back(model.expectToken(kt.data(), vt.data()));
        }
        ++cnt.appends;
      } else {
        ASSERT_EQ(st, ATTN_ERR_OUT_OF_BLOCKS);
        ASSERT_LT(freeBefore, minNeed + 1); // at most one CoW block extra
        ASSERT_TRUE(before == cache.snapshot())
            << "failed append changed state";
        ++cnt.outOfBlocks;
        ++cnt.rejected;
        // Make room: free a random sequence.
        const int64_t victim = ids[pick(ids.size())];
        cache.freeSequence(victim);
        model.seqs.erase(victim);
        ++cnt.frees;
      }
    } else if (op < 50) { // packed ingest into up to 3 distinct sequences
      std::vector<int64_t> sel = ids;
      std::shuffle(sel.begin(), sel.end(), rng);
      sel.resize(std::min<size_t>(sel.size(), 1 + pick(3)));
      std::vector<int32_t> cu{0};
      for (size_t i = 0; i < sel.size(); ++i)
        cu.push_back(cu.back() + int32_t(pick(size_t(maxAppend) / 2 + 1)));
      const int64_t T = cu.back();
      const int64_t W = (HQ + 2 * H) * D;
      std::vector<float> qkv(size_t(L) * size_t(T) * size_t(W));
      for (float &f : qkv)
        f = val(rng);
      const Snapshot before = cache.snapshot();
      const attn_status_t st = codeOf([&] {
        cache.ingestPacked(qkv.data(), L, T, HQ, H, D, int32_t(sel.size()),
                           sel.data(), cu.data(), nullptr);
      });
      if (st == ATTN_OK) {
        std::vector<float> kt(size_t(L) * TOK), vt(kt.size());
        for (size_t b = 0; b < sel.size(); ++b)
          for (int32_t t = cu[b]; t < cu[b + 1]; ++t) {
            for (int32_t l = 0; l < L; ++l) {
              const float *row = &qkv[(size_t(l) * size_t(T) + size_t(t)) * W];
              std::copy_n(row + HQ * D, TOK, &kt[size_t(l) * TOK]);
              std::copy_n(row + (HQ + H) * D, TOK, &vt[size_t(l) * TOK]);
            }
            model.seqs[sel[b]].push_back(
                model.expectToken(kt.data(), vt.data()));
          }
        ++cnt.ingests;
      } else {
        ASSERT_EQ(st, ATTN_ERR_OUT_OF_BLOCKS);
        ASSERT_TRUE(before == cache.snapshot())
            << "failed ingest changed state";
        ++cnt.outOfBlocks;
        ++cnt.rejected;
      }
    } else if (op < 62) { // fork
      if (ids.size() >= 16)
        continue;
      const int64_t s = ids[pick(ids.size())];
      const int64_t f = cache.fork(s);
      ASSERT_EQ(model.seqs.count(f), 0u);
      model.seqs[f] = model.seqs[s];
      ++cnt.forks;
    } else if (op < 72) { // free
      const int64_t s = ids[pick(ids.size())];
      cache.freeSequence(s);
      model.seqs.erase(s);
      ++cnt.frees;
    } else if (op < 82) { // reorder beams
      std::vector<int64_t> sel = ids;
      std::shuffle(sel.begin(), sel.end(), rng);
      sel.resize(std::min<size_t>(sel.size(), 1 + pick(4)));
      std::vector<int32_t> src(sel.size());
      for (int32_t &x : src)
        x = int32_t(pick(sel.size()));
      cache.reorder(sel.data(), src.data(), int32_t(sel.size()));
      std::vector<std::vector<Token>> old;
      for (int64_t s : sel)
        old.push_back(model.seqs[s]);
      for (size_t i = 0; i < sel.size(); ++i)
        model.seqs[sel[i]] = old[size_t(src[i])];
      ++cnt.reorders;
    } else if (op < 87) { // prune beams
      std::vector<int64_t> sel = ids;
      std::shuffle(sel.begin(), sel.end(), rng);
      sel.resize(std::min<size_t>(sel.size(), 1 + pick(2)));
      cache.prune(sel.data(), int32_t(sel.size()));
      for (int64_t s : sel)
        model.seqs.erase(s);
      ++cnt.prunes;
    } else if (op < 94) { // truncate
      const int64_t s = ids[pick(ids.size())];
      const size_t len = model.seqs[s].size();
      const size_t nl = pick(len + 1);
      cache.truncate(s, int64_t(nl));
      model.seqs[s].resize(nl);
      ++cnt.truncates;
    } else { // invalid operations: must fail and change nothing
      const Snapshot before = cache.snapshot();
      const int64_t bogus = 1000000 + int64_t(pick(1000));
      const int64_t live = ids[pick(ids.size())];
      std::vector<float> k = randomTokens(1);
      attn_status_t st = ATTN_OK, want = ATTN_OK;
      switch (pick(6)) {
      case 0:
        st = codeOf([&] { cache.append(bogus, 1, k.data(), k.data()); });
        want = ATTN_ERR_UNKNOWN_SEQUENCE;
        break;
      case 1:
        st = codeOf([&] { cache.fork(bogus); });
        want = ATTN_ERR_UNKNOWN_SEQUENCE;
        break;
      case 2: {
        const int64_t two[2] = {live, bogus};
        st = codeOf([&] { cache.prune(two, 2); });
        want = ATTN_ERR_UNKNOWN_SEQUENCE;
        break;
      }
      case 3: {
        const int64_t two[2] = {live, live};
        const int32_t src[2] = {0, 1};
        st = codeOf([&] { cache.reorder(two, src, 2); });
        want = ATTN_ERR_INVALID_ARGUMENT;
        break;
      }
      case 4:
        st = codeOf([&] {
          cache.truncate(live, int64_t(model.seqs[live].size()) + 1);
        });
        want = ATTN_ERR_INVALID_ARGUMENT;
        break;
      default: {
        const int32_t cu[2] = {0, 1};
        std::vector<float> qkv(size_t(L) * (HQ + 2 * H) * D);
        st = codeOf([&] {
          cache.ingestPacked(qkv.data(), L, 1, HQ, H, D + 1, 1, &live, cu,
                             nullptr);
        });
        want = ATTN_ERR_DIM_MISMATCH;
        break;
      }
      }
      ASSERT_EQ(st, want);
      ASSERT_TRUE(before == cache.snapshot()) << "rejected op changed state";
      ++cnt.rejected;
    }
    checkAgainstModel(cache, model);
    if (::testing::Test::HasFatalFailure()) {
      ADD_FAILURE() << mc.name << ": failed at step " << step << " (seed "
                    << mc.seed << ")";
      return;
    }
  }
  std::printf("[model] %s: %d operations (seed %llu): %d appends, %d "
              "ingests, %d forks, %d frees, %d creates, %d reorders, %d "
              "prunes, %d truncates, %d rejected (%d out of blocks)\n",
              mc.name, cnt.total(), (unsigned long long)mc.seed, cnt.appends,
              cnt.ingests, cnt.forks, cnt.frees, cnt.creates, cnt.reorders,
              cnt.prunes, cnt.truncates, cnt.rejected, cnt.outOfBlocks);
  EXPECT_GT(cnt.outOfBlocks, 0) << "pool never filled; test too weak";
  EXPECT_GT(cnt.forks, 0);
  EXPECT_GT(cnt.reorders, 0);
}

class KVCacheModel : public ::testing::TestWithParam<ModelCase> {};

TEST_P(KVCacheModel, RandomOperationsMatchReferenceModel) {
  runModel(GetParam());
}

const ModelCase kCases[] = {
    {"f32_nhd_bs1", ATTN_DTYPE_F32, ATTN_QUANT_NONE, false, ATTN_LAYOUT_NHD, 1,
     64, 1001, 3000},
    {"f32_hnd_bs4", ATTN_DTYPE_F32, ATTN_QUANT_NONE, false, ATTN_LAYOUT_HND, 4,
     40, 1002, 3000},
    {"f16_nhd_bs16", ATTN_DTYPE_F16, ATTN_QUANT_NONE, false, ATTN_LAYOUT_NHD,
     16, 16, 1003, 2000},
    {"bf16_hnd_bs8", ATTN_DTYPE_BF16, ATTN_QUANT_NONE, false, ATTN_LAYOUT_HND,
     8, 24, 1004, 2000},
    {"int8_asym_head_hnd_bs2", ATTN_DTYPE_INT8, ATTN_QUANT_PER_HEAD, true,
     ATTN_LAYOUT_HND, 2, 48, 1005, 2000},
    {"int8_sym_token_nhd_bs32", ATTN_DTYPE_INT8, ATTN_QUANT_PER_TOKEN, false,
     ATTN_LAYOUT_NHD, 32, 10, 1006, 1500},
    {"int8_asym_token_hnd_bs4", ATTN_DTYPE_INT8, ATTN_QUANT_PER_TOKEN, true,
     ATTN_LAYOUT_HND, 4, 32, 1007, 1500},
    {"e4m3_tensor_nhd_bs4", ATTN_DTYPE_FP8_E4M3FN, ATTN_QUANT_PER_TENSOR, false,
     ATTN_LAYOUT_NHD, 4, 32, 1008, 1500},
    {"e5m2_head_hnd_bs256", ATTN_DTYPE_FP8_E5M2, ATTN_QUANT_PER_HEAD, false,
     ATTN_LAYOUT_HND, 256, 3, 1009, 1000},
};

INSTANTIATE_TEST_SUITE_P(Configs, KVCacheModel, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<ModelCase> &info) {
                           return std::string(info.param.name);
                         });

} // namespace
