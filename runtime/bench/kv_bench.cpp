//===- kv_bench.cpp - attn runtime KV-cache benchmark ---------------------===//
//
// Prints append throughput (tokens/s, one token = K and V of every layer) for
// prefill-style and decode-style appends, and the cost of a fork with and
// without a copy-on-write trigger. Sized for a small CPU box (8 layers, 8 KV
// heads, head_dim 128, block size 16). Not run by the tests.
//
//   attn-runtime-bench [--quick]
//
//===----------------------------------------------------------------------===//

#include "attn/runtime/KVCache.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

using namespace attn::runtime;
using Clock = std::chrono::steady_clock;

namespace {

double seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

struct BenchCase {
  const char *name;
  attn_dtype_t dtype;
  attn_quant_granularity_t gran;
  attn_layout_t layout;
};

constexpr int32_t kLayers = 8, kHeads = 8, kDim = 128, kBlock = 16;

CacheConfig makeConfig(const BenchCase &bc, int32_t numBlocks) {
  CacheConfig c;
  c.numLayers = kLayers;
  c.numKVHeads = kHeads;
  c.headDim = kDim;
  c.blockSize = kBlock;
  c.numBlocks = numBlocks;
  c.layout = bc.layout;
  c.dtype = bc.dtype;
  c.granularity = bc.gran;
  const size_t ns = bc.gran == ATTN_QUANT_PER_TENSOR ? kLayers
                    : bc.gran == ATTN_QUANT_PER_HEAD ? size_t(kLayers) * kHeads
                                                     : 0;
  c.kScales.assign(ns, 0.05f);
  c.vScales.assign(ns, 0.05f);
  return c;
}

void runCase(const BenchCase &bc, bool quick) {
  const size_t tok = size_t(kHeads) * kDim;
  const int32_t numBlocks = quick ? 256 : 1024;
  KVCache cache(makeConfig(bc, numBlocks));
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.0f, 1.0f);

  // Prefill: 512-token appends.
  const int64_t prefill = quick ? 128 : 512;
  const int seqs = quick ? 4 : 16;
  std::vector<float> k(size_t(kLayers) * size_t(prefill) * tok), v(k.size());
  for (float &x : k)
    x = nd(rng);
  for (float &x : v)
    x = nd(rng);
  std::vector<int64_t> ids;
  auto t0 = Clock::now();
  for (int s = 0; s < seqs; ++s) {
    ids.push_back(cache.createSequence());
    cache.append(ids.back(), prefill, k.data(), v.data());
  }
  auto t1 = Clock::now();
  const double prefillRate = double(seqs) * double(prefill) / seconds(t0, t1);
  for (int64_t id : ids)
    cache.freeSequence(id);
  ids.clear();

  // Decode: 64 sequences, one token each per step.
  const int dseqs = 64, steps = quick ? 8 : 32;
  for (int s = 0; s < dseqs; ++s) {
    ids.push_back(cache.createSequence());
    cache.append(ids.back(), 16, k.data(), v.data());
  }
  std::vector<float> k1(size_t(kLayers) * tok), v1(k1.size());
  std::copy_n(k.begin(), k1.size(), k1.begin());
  std::copy_n(v.begin(), v1.size(), v1.begin());
  t0 = Clock::now();
  for (int step = 0; step < steps; ++step)
    for (int64_t id : ids)
      cache.append(id, 1, k1.data(), v1.data());
  t1 = Clock::now();
  const double decodeRate = double(dseqs) * steps / seconds(t0, t1);
  for (int64_t id : ids)
    cache.freeSequence(id);
  ids.clear();

  // Fork cost. Parent: 1000 tokens = 62 full blocks + 8 tokens.
  const int64_t parent = cache.createSequence();
  for (int64_t done = 0; done < 1000;) {
    const int64_t n = std::min<int64_t>(prefill, 1000 - done);
    cache.append(parent, n, k.data(), v.data());
    done += n;
  }
  const int forks = quick ? 2000 : 20000;
  t0 = Clock::now();
  for (int i = 0; i < forks; ++i)
    cache.freeSequence(cache.fork(parent));
  t1 = Clock::now();
  const double forkUs = seconds(t0, t1) / forks * 1e6;

  // Fork + 1-token append into the shared partial block (copy-on-write).
  const int cows = quick ? 200 : 2000;
  t0 = Clock::now();
  for (int i = 0; i < cows; ++i) {
    const int64_t child = cache.fork(parent);
    cache.append(child, 1, k1.data(), v1.data());
    cache.freeSequence(child);
  }
  t1 = Clock::now();
  const double cowUs = seconds(t0, t1) / cows * 1e6;
  // Same without sharing, to isolate the copy.
  const int64_t solo = cache.createSequence();
  cache.append(solo, 8, k.data(), v.data());
  t0 = Clock::now();
  for (int i = 0; i < cows; ++i) {
    cache.append(solo, 1, k1.data(), v1.data());
    cache.truncate(solo, 8);
  }
  t1 = Clock::now();
  const double appendUs = seconds(t0, t1) / cows * 1e6;

  std::printf("%-22s prefill %10.0f tokens/s   decode %10.0f tokens/s   "
              "fork %7.2f us   fork+append(CoW) %8.2f us   "
              "append-only %7.2f us\n",
              bc.name, prefillRate, decodeRate, forkUs, cowUs, appendUs);
}

} // namespace

int main(int argc, char **argv) {
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  std::printf("attn runtime KV-cache benchmark: %d layers, %d KV heads, "
              "head_dim %d, block size %d, CPU memory%s\n",
              kLayers, kHeads, kDim, kBlock, quick ? " (quick)" : "");
  std::printf("a token = K and V for all %d layers; fork parent has 1000 "
              "tokens (63 blocks)\n",
              kLayers);
  const BenchCase cases[] = {
      {"f16 NHD", ATTN_DTYPE_F16, ATTN_QUANT_NONE, ATTN_LAYOUT_NHD},
      {"f16 HND", ATTN_DTYPE_F16, ATTN_QUANT_NONE, ATTN_LAYOUT_HND},
      {"int8 per-head NHD", ATTN_DTYPE_INT8, ATTN_QUANT_PER_HEAD,
       ATTN_LAYOUT_NHD},
      {"int8 per-token NHD", ATTN_DTYPE_INT8, ATTN_QUANT_PER_TOKEN,
       ATTN_LAYOUT_NHD},
      {"fp8 e4m3 per-tensor", ATTN_DTYPE_FP8_E4M3FN, ATTN_QUANT_PER_TENSOR,
       ATTN_LAYOUT_NHD},
  };
  for (const BenchCase &bc : cases) {
    try {
      runCase(bc, quick);
    } catch (const Error &e) {
      std::fprintf(stderr, "%s: error %d: %s\n", bc.name, int(e.code),
                   e.what());
      return 1;
    }
  }
  return 0;
}
