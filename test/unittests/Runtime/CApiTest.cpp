//===- CApiTest.cpp - C API tests -----------------------------------------===//

#include "attn/runtime/attn_runtime.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

attn_kv_cache_config_t baseConfig() {
  attn_kv_cache_config_t c;
  std::memset(&c, 0, sizeof(c));
  c.num_layers = 2;
  c.num_kv_heads = 2;
  c.head_dim = 4;
  c.block_size = 4;
  c.num_blocks = 8;
  c.layout = ATTN_LAYOUT_NHD;
  c.dtype = ATTN_DTYPE_F32;
  c.granularity = ATTN_QUANT_NONE;
  c.memory = ATTN_MEMORY_CPU;
  return c;
}

std::string lastError() { return attn_last_error_message(); }

/// Observable state through the C API only.
struct CState {
  attn_kv_stats_t stats;
  std::vector<int32_t> table, lens;
  std::vector<float> data;
  bool operator==(const CState &o) const {
    return std::memcmp(&stats, &o.stats, sizeof(stats)) == 0 &&
           table == o.table && lens == o.lens && data == o.data;
  }
};

CState capture(const attn_kv_cache_t *c, const std::vector<int64_t> &seqs) {
  CState s;
  EXPECT_EQ(attn_kv_get_stats(c, &s.stats), ATTN_OK);
  s.table.resize(seqs.size() * 8);
  s.lens.resize(seqs.size());
  EXPECT_EQ(attn_kv_get_block_table(c, seqs.data(), int32_t(seqs.size()), 8,
                                    s.table.data(), s.lens.data()),
            ATTN_OK);
  for (size_t i = 0; i < seqs.size(); ++i) {
    std::vector<float> k(size_t(s.lens[i]) * 8), v(k.size());
    for (int32_t l = 0; l < 2; ++l) {
      EXPECT_EQ(attn_kv_read(c, seqs[i], l, 0, s.lens[i], k.data(), v.data()),
                ATTN_OK);
      s.data.insert(s.data.end(), k.begin(), k.end());
      s.data.insert(s.data.end(), v.begin(), v.end());
    }
  }
  return s;
}

} // namespace

TEST(CApi, Version) {
  // The library's string is the header's, and the header's numbers spell it.
  EXPECT_STREQ(attn_runtime_version(), ATTN_RUNTIME_VERSION_STRING);
  const std::string fromNumbers =
      std::to_string(ATTN_RUNTIME_VERSION_MAJOR) + "." +
      std::to_string(ATTN_RUNTIME_VERSION_MINOR) + "." +
      std::to_string(ATTN_RUNTIME_VERSION_PATCH);
  EXPECT_EQ(fromNumbers, ATTN_RUNTIME_VERSION_STRING);
  // And they are the version of the project that built it.
  EXPECT_STREQ(attn_runtime_version(), ATTN_RUNTIME_EXPECTED_VERSION);
}

TEST(CApi, Strings) {
  EXPECT_STREQ(attn_status_string(ATTN_ERR_OUT_OF_BLOCKS), "out of blocks");
  EXPECT_EQ(attn_dtype_size(ATTN_DTYPE_BF16), 2u);
  EXPECT_EQ(attn_dtype_size(ATTN_DTYPE_FP8_E5M2), 1u);
  EXPECT_EQ(attn_dtype_size(static_cast<attn_dtype_t>(42)), 0u);
  const int cuda = attn_runtime_has_cuda();
  EXPECT_TRUE(cuda == 0 || cuda == 1);
}

TEST(CApi, CreateRejectsBadConfigs) {
  attn_kv_cache_t *cache = reinterpret_cast<attn_kv_cache_t *>(0x1);
  attn_kv_cache_config_t c = baseConfig();
  EXPECT_EQ(attn_kv_cache_create(nullptr, &cache), ATTN_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(cache, nullptr);
  EXPECT_EQ(attn_kv_cache_create(&c, nullptr), ATTN_ERR_INVALID_ARGUMENT);

  c.block_size = 24;
  EXPECT_EQ(attn_kv_cache_create(&c, &cache), ATTN_ERR_BAD_BLOCK_SIZE);
  EXPECT_NE(lastError().find("power of two"), std::string::npos);
  EXPECT_EQ(cache, nullptr);

  c = baseConfig();
  int32_t raw = 99;
  std::memcpy(&c.dtype, &raw, sizeof(raw));
  EXPECT_EQ(attn_kv_cache_create(&c, &cache), ATTN_ERR_INVALID_ARGUMENT);
  EXPECT_NE(lastError().find("dtype"), std::string::npos);

  c = baseConfig();
  raw = -1;
  std::memcpy(&c.layout, &raw, sizeof(raw));
  EXPECT_EQ(attn_kv_cache_create(&c, &cache), ATTN_ERR_INVALID_ARGUMENT);

  c = baseConfig();
  c.num_kv_heads = 0;
  EXPECT_EQ(attn_kv_cache_create(&c, &cache), ATTN_ERR_INVALID_ARGUMENT);

  c = baseConfig();
  c.dtype = ATTN_DTYPE_FP8_E4M3FN;
  c.granularity = ATTN_QUANT_PER_HEAD;
  EXPECT_EQ(attn_kv_cache_create(&c, &cache), ATTN_ERR_BAD_SCALE);
  const float good[4] = {1, 1, 1, 1};
  for (float bad : {0.0f, -2.0f, NAN, INFINITY}) {
    const float ks[4] = {1, 1, bad, 1};
    c.k_scales = ks;
    c.v_scales = good;
    EXPECT_EQ(attn_kv_cache_create(&c, &cache), ATTN_ERR_BAD_SCALE) << bad;
    EXPECT_NE(lastError().find("scale[2]"), std::string::npos) << lastError();
  }
  c.k_scales = good;
  const int32_t zps[4] = {0, 0, 0, 0};
  c.k_zero_points = zps; // symmetric FP8 cache cannot take zero points
  EXPECT_EQ(attn_kv_cache_create(&c, &cache), ATTN_ERR_INVALID_ARGUMENT);
  c.k_zero_points = nullptr;
  ASSERT_EQ(attn_kv_cache_create(&c, &cache), ATTN_OK);
  attn_kv_cache_destroy(cache);

  // Absurd sizes fail cleanly instead of aborting.
  c = baseConfig();
  c.num_blocks = 1 << 30;
  c.head_dim = 1 << 30;
  c.num_kv_heads = 1 << 30;
  const attn_status_t st = attn_kv_cache_create(&c, &cache);
  EXPECT_EQ(st, ATTN_ERR_OUT_OF_MEMORY) << lastError();
  attn_kv_cache_destroy(nullptr);
}

TEST(CApi, FullLifecycleAndErrorsLeaveStateUnchanged) {
  attn_kv_cache_config_t c = baseConfig();
  c.layout = ATTN_LAYOUT_HND;
  attn_kv_cache_t *cache = nullptr;
  ASSERT_EQ(attn_kv_cache_create(&c, &cache), ATTN_OK);
  int64_t a = -1, b = -1;
  ASSERT_EQ(attn_kv_seq_create(cache, &a), ATTN_OK);
  std::vector<float> k(2 * 6 * 8), v(k.size());
  for (size_t i = 0; i < k.size(); ++i) {
    k[i] = float(i) * 0.25f;
    v[i] = -float(i);
  }
  ASSERT_EQ(attn_kv_append(cache, a, 6, 2, 2, 4, k.data(), v.data()), ATTN_OK);
  ASSERT_EQ(attn_kv_seq_fork(cache, a, &b), ATTN_OK);
  int64_t len = 0;
  ASSERT_EQ(attn_kv_seq_length(cache, b, &len), ATTN_OK);
  EXPECT_EQ(len, 6);

  const std::vector<int64_t> seqs{a, b};
  const CState before = capture(cache, seqs);
  EXPECT_EQ(before.stats.shared_blocks, 2);

  // Reserving more blocks than the pool has fails and changes nothing;
  // an unknown sequence too.
  EXPECT_EQ(attn_kv_reserve(cache, a, 1 << 20), ATTN_ERR_OUT_OF_BLOCKS);
  EXPECT_EQ(attn_kv_reserve(cache, 999, 1), ATTN_ERR_UNKNOWN_SEQUENCE);
  EXPECT_EQ(attn_kv_reserve(cache, a, -1), ATTN_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(capture(cache, seqs), before);

  // Mismatched dims.
  EXPECT_EQ(attn_kv_append(cache, a, 1, 2, 2, 5, k.data(), v.data()),
            ATTN_ERR_DIM_MISMATCH);
  EXPECT_NE(lastError().find("head dim"), std::string::npos);
  EXPECT_EQ(attn_kv_append(cache, a, 1, 1, 2, 4, k.data(), v.data()),
            ATTN_ERR_DIM_MISMATCH);
  // Unknown sequence.
  EXPECT_EQ(attn_kv_append(cache, 12345, 1, 2, 2, 4, k.data(), v.data()),
            ATTN_ERR_UNKNOWN_SEQUENCE);
  EXPECT_NE(lastError().find("12345"), std::string::npos);
  EXPECT_EQ(attn_kv_seq_free(cache, 12345), ATTN_ERR_UNKNOWN_SEQUENCE);
  int64_t dummy = 0;
  EXPECT_EQ(attn_kv_seq_fork(cache, 12345, &dummy), ATTN_ERR_UNKNOWN_SEQUENCE);
  EXPECT_EQ(attn_kv_seq_fork(cache, a, nullptr), ATTN_ERR_INVALID_ARGUMENT);
  // Out of blocks: 8 blocks, 2 used, appending 30 tokens needs 8 + CoW.
  std::vector<float> big(2 * 30 * 8, 1.0f);
  EXPECT_EQ(attn_kv_append(cache, b, 30, 2, 2, 4, big.data(), big.data()),
            ATTN_ERR_OUT_OF_BLOCKS);
  EXPECT_NE(lastError().find("out of blocks"), std::string::npos);
  // Static scales on a cache without them.
  EXPECT_EQ(
      attn_kv_cache_set_scales(cache, k.data(), k.data(), nullptr, nullptr),
      ATTN_ERR_INVALID_STATE);
  // Null handle.
  EXPECT_EQ(attn_kv_append(nullptr, a, 1, 2, 2, 4, k.data(), v.data()),
            ATTN_ERR_INVALID_ARGUMENT);
  // Bad RoPE style value through the C struct.
  attn_rope_params_t rope{ATTN_ROPE_NEOX, 0, 10000.0f};
  int32_t raw = 7;
  std::memcpy(&rope.style, &raw, sizeof(raw));
  const int32_t one = 1;
  std::vector<float> qkv(2 * 1 * 1 * 3 * 8);
  EXPECT_EQ(attn_kv_ingest_padded(cache, qkv.data(), 2, 1, 1, 2, 2, 4, &a, &one,
                                  &rope),
            ATTN_ERR_INVALID_ARGUMENT);
  EXPECT_TRUE(before == capture(cache, seqs));

  // Message is thread-local: another thread sees its own (empty) message.
  std::string other = "unset";
  std::thread([&] { other = attn_last_error_message(); }).join();
  EXPECT_EQ(other, "");
  EXPECT_FALSE(lastError().empty());

  // Kernel interface.
  attn_kv_layer_view_t view;
  ASSERT_EQ(attn_kv_get_layer_view(cache, 1, &view), ATTN_OK);
  EXPECT_EQ(view.pool_elements, 8 * 4 * 2 * 4);
  EXPECT_EQ(view.k_scale, nullptr);
  EXPECT_EQ(attn_kv_get_layer_view(cache, 2, &view), ATTN_ERR_INVALID_ARGUMENT);
  // HND: token 5 of seq a is block table[1], slot 1; head 1, dim 2.
  const float *kp = static_cast<const float *>(view.k_pool);
  const int32_t blk = before.table[1];
  const size_t off = ((size_t(blk) * 2 + 1) * 4 + 1) * 4 + 2;
  EXPECT_EQ(kp[off], k[(1 * 6 + 5) * 8 + 1 * 4 + 2]);

  ASSERT_EQ(attn_kv_seq_truncate(cache, a, 2), ATTN_OK);
  const int32_t src[2] = {1, 1};
  ASSERT_EQ(attn_kv_reorder(cache, seqs.data(), src, 2), ATTN_OK);
  ASSERT_EQ(attn_kv_seq_length(cache, a, &len), ATTN_OK);
  EXPECT_EQ(len, 6);
  ASSERT_EQ(attn_kv_prune(cache, seqs.data(), 2), ATTN_OK);
  attn_kv_stats_t st;
  ASSERT_EQ(attn_kv_get_stats(cache, &st), ATTN_OK);
  EXPECT_EQ(st.free_blocks, 8);
  EXPECT_EQ(st.num_sequences, 0);
  attn_kv_cache_destroy(cache);
}

TEST(CApi, ConversionsAndRope) {
  EXPECT_EQ(attn_f32_to_fp8(448.0f, ATTN_DTYPE_FP8_E4M3FN, 0), 0x7e);
  EXPECT_EQ(attn_f32_to_fp8(500.0f, ATTN_DTYPE_FP8_E4M3FN, 0), 0x7f);
  EXPECT_EQ(attn_f32_to_fp8(500.0f, ATTN_DTYPE_FP8_E4M3FN, 1), 0x7e);
  EXPECT_EQ(attn_f32_to_fp8(-1e6f, ATTN_DTYPE_FP8_E5M2, 1), 0xfb);
  EXPECT_EQ(attn_f32_to_fp8(1.0f, ATTN_DTYPE_INT8, 0), 0);
  EXPECT_NE(lastError().find("FP8"), std::string::npos);
  EXPECT_EQ(attn_fp8_to_f32(0x38, ATTN_DTYPE_FP8_E4M3FN), 1.0f);
  EXPECT_EQ(attn_fp8_to_f32(0x3c, ATTN_DTYPE_FP8_E5M2), 1.0f);
  EXPECT_EQ(attn_f16_to_f32(attn_f32_to_f16(0.5f)), 0.5f);
  EXPECT_EQ(attn_bf16_to_f32(attn_f32_to_bf16(-3.0f)), -3.0f);
  float in[3] = {1.0f, -0.0f, 1e9f};
  uint8_t out[3];
  EXPECT_EQ(attn_convert_f32_to_fp8(in, out, 3, ATTN_DTYPE_FP8_E5M2, 0),
            ATTN_OK);
  EXPECT_EQ(out[0], 0x3c);
  EXPECT_EQ(out[1], 0x80);
  EXPECT_EQ(out[2], 0x7c);
  EXPECT_EQ(attn_convert_f32_to_fp8(nullptr, out, 3, ATTN_DTYPE_FP8_E5M2, 0),
            ATTN_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(attn_convert_f32_to_fp8(in, out, 3, ATTN_DTYPE_F16, 0),
            ATTN_ERR_INVALID_ARGUMENT);

  // attn_rope_apply equals what ingest stores.
  attn_kv_cache_config_t c = baseConfig();
  attn_kv_cache_t *cache = nullptr;
  ASSERT_EQ(attn_kv_cache_create(&c, &cache), ATTN_OK);
  int64_t s = 0;
  ASSERT_EQ(attn_kv_seq_create(cache, &s), ATTN_OK);
  const int Hq = 1, W = (Hq + 4) * 4, T = 3;
  std::vector<float> qkv(size_t(2 * T * W));
  for (size_t i = 0; i < qkv.size(); ++i)
    qkv[i] = std::sin(float(i));
  attn_rope_params_t rope{ATTN_ROPE_GPTJ, 2, 100.0f};
  const int32_t cu[2] = {0, T};
  ASSERT_EQ(attn_kv_ingest_packed(cache, qkv.data(), 2, T, Hq, 2, 4, 1, &s, cu,
                                  &rope),
            ATTN_OK);
  std::vector<float> kx(size_t(T * 8));
  for (int t = 0; t < T; ++t)
    std::memcpy(&kx[size_t(t * 8)], &qkv[size_t(t * W + Hq * 4)], 32);
  const int64_t pos[T] = {0, 1, 2};
  ASSERT_EQ(attn_rope_apply(kx.data(), T, 2, 4, pos, &rope), ATTN_OK);
  std::vector<float> ko(kx.size());
  ASSERT_EQ(attn_kv_read(cache, s, 0, 0, T, ko.data(), nullptr), ATTN_OK);
  EXPECT_EQ(ko, kx);
  rope.rotary_dim = 6;
  EXPECT_EQ(attn_rope_apply(kx.data(), T, 2, 4, pos, &rope),
            ATTN_ERR_INVALID_ARGUMENT);
  attn_kv_cache_destroy(cache);
}
