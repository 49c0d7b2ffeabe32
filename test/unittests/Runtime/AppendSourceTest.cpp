//===- AppendSourceTest.cpp - attn_kv_append_v2 source types and memory ---===//
//
// f16 and bf16 host sources against known bit patterns (zeros, subnormals,
// the largest finite values, +-inf, NaN) and every 16-bit pattern, the error
// paths, and device-resident sources (skipped without a CUDA device).
//
//===----------------------------------------------------------------------===//

#include "attn/runtime/attn_runtime.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr int32_t kHeadDim = 16;
constexpr int32_t kBlockSize = 256;
constexpr int64_t kAllPatterns = 65536;

uint32_t bitsOf(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

std::string lastError() { return attn_last_error_message(); }

/// One layer, one KV head, NHD: element i of the source is token
/// i / kHeadDim, dim i % kHeadDim.
struct Cache {
  attn_kv_cache_t *cache = nullptr;
  int64_t seq = 0;
  explicit Cache(attn_dtype_t dtype,
                 attn_memory_kind_t memory = ATTN_MEMORY_CPU) {
    attn_kv_cache_config_t c;
    std::memset(&c, 0, sizeof(c));
    c.num_layers = 1;
    c.num_kv_heads = 1;
    c.head_dim = kHeadDim;
    c.block_size = kBlockSize;
    c.num_blocks = int32_t(kAllPatterns / kHeadDim / kBlockSize) + 1;
    c.layout = ATTN_LAYOUT_NHD;
    c.dtype = dtype;
    c.granularity = ATTN_QUANT_NONE;
    c.memory = memory;
    status = attn_kv_cache_create(&c, &cache);
    if (status == ATTN_OK) {
      EXPECT_EQ(attn_kv_seq_create(cache, &seq), ATTN_OK);
    }
  }
  ~Cache() { attn_kv_cache_destroy(cache); }
  attn_status_t status = ATTN_OK;

  attn_status_t append(const void *k, const void *v, size_t elems,
                       attn_dtype_t type,
                       attn_memory_kind_t memory = ATTN_MEMORY_CPU) {
    return attn_kv_append_v2(cache, seq, int64_t(elems / kHeadDim), 1, 1,
                             kHeadDim, k, v, type, memory);
  }
  /// Dequantized f32 bits of the first `elems` K (or V) elements.
  std::vector<uint32_t> readF32(size_t elems, bool v = false) const {
    std::vector<float> k(elems), vv(elems);
    EXPECT_EQ(attn_kv_read(cache, seq, 0, 0, int64_t(elems / kHeadDim),
                           k.data(), vv.data()),
              ATTN_OK)
        << lastError();
    std::vector<uint32_t> out(elems);
    for (size_t i = 0; i < elems; ++i)
      out[i] = bitsOf(v ? vv[i] : k[i]);
    return out;
  }
  /// Stored 16-bit codes of the first `elems` K (or V) elements (CPU pool).
  std::vector<uint16_t> read16(size_t elems, bool v = false) const {
    const int64_t tokens = int64_t(elems / kHeadDim);
    const int32_t maxBlocks = int32_t(tokens / kBlockSize) + 1;
    std::vector<int32_t> table(static_cast<size_t>(maxBlocks));
    EXPECT_EQ(attn_kv_get_block_table(cache, &seq, 1, maxBlocks, table.data(),
                                      nullptr),
              ATTN_OK);
    attn_kv_layer_view_t view;
    EXPECT_EQ(attn_kv_get_layer_view(cache, 0, &view), ATTN_OK);
    const auto *pool =
        static_cast<const uint16_t *>(v ? view.v_pool : view.k_pool);
    std::vector<uint16_t> out(elems);
    for (size_t i = 0; i < elems; ++i) {
      const int64_t t = int64_t(i) / kHeadDim;
      const size_t block = size_t(table[size_t(t / kBlockSize)]);
      out[i] = pool[(block * kBlockSize + size_t(t % kBlockSize)) * kHeadDim +
                    i % kHeadDim];
    }
    return out;
  }
};

/// Every 16-bit pattern once (K), and reversed (V).
std::vector<uint16_t> allPatterns(bool reversed) {
  std::vector<uint16_t> p(kAllPatterns);
  for (int64_t i = 0; i < kAllPatterns; ++i)
    p[size_t(i)] = uint16_t(reversed ? kAllPatterns - 1 - i : i);
  return p;
}

/// Known patterns padded to a whole token.
std::vector<uint16_t> padded(std::vector<uint16_t> p) {
  p.resize((p.size() + kHeadDim - 1) / kHeadDim * kHeadDim, 0);
  return p;
}

bool isF16NaN(uint16_t h) { return (h & 0x7c00u) == 0x7c00u && (h & 0x3ffu); }
bool isBF16NaN(uint16_t h) { return (h & 0x7f80u) == 0x7f80u && (h & 0x7fu); }

struct Known {
  uint16_t code;
  uint32_t f32;
  const char *what;
};

TEST(AppendSource, F16KnownPatternsWidenExactly) {
  const Known known[] = {
      {0x0000, 0x00000000, "+0"},
      {0x8000, 0x80000000, "-0"},
      {0x0001, 0x33800000, "smallest subnormal 2^-24"},
      {0x8001, 0xb3800000, "-2^-24"},
      {0x03ff, 0x387fc000, "largest subnormal"},
      {0x0400, 0x38800000, "smallest normal 2^-14"},
      {0x3c00, 0x3f800000, "1"},
      {0xc000, 0xc0000000, "-2"},
      {0x3555, 0x3eaaa000, "0.333"},
      {0x7bff, 0x477fe000, "65504"},
      {0x7c00, 0x7f800000, "+inf"},
      {0xfc00, 0xff800000, "-inf"},
      {0x7e00, 0x7fc00000, "quiet NaN"},
      {0xfe00, 0xffc00000, "negative quiet NaN"},
      {0x7c01, 0x7f802000, "signalling NaN (payload kept)"},
  };
  std::vector<uint16_t> src;
  for (const Known &k : known)
    src.push_back(k.code);
  src = padded(src);
  Cache c(ATTN_DTYPE_F32);
  ASSERT_EQ(c.append(src.data(), src.data(), src.size(), ATTN_DTYPE_F16),
            ATTN_OK)
      << lastError();
  const std::vector<uint32_t> got = c.readF32(src.size());
  for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); ++i)
    EXPECT_EQ(got[i], known[i].f32) << known[i].what;
}

TEST(AppendSource, BF16KnownPatternsWidenExactly) {
  const Known known[] = {
      {0x0000, 0x00000000, "+0"},
      {0x8000, 0x80000000, "-0"},
      {0x0001, 0x00010000, "smallest subnormal"},
      {0x807f, 0x807f0000, "-largest subnormal"},
      {0x0080, 0x00800000, "smallest normal"},
      {0x3f80, 0x3f800000, "1"},
      {0xbfc0, 0xbfc00000, "-1.5"},
      {0x7f7f, 0x7f7f0000, "largest finite"},
      {0x7f80, 0x7f800000, "+inf"},
      {0xff80, 0xff800000, "-inf"},
      {0x7fc0, 0x7fc00000, "quiet NaN"},
      {0xffc1, 0xffc10000, "negative NaN with payload"},
  };
  std::vector<uint16_t> src;
  for (const Known &k : known)
    src.push_back(k.code);
  src = padded(src);
  Cache c(ATTN_DTYPE_F32);
  ASSERT_EQ(c.append(src.data(), src.data(), src.size(), ATTN_DTYPE_BF16),
            ATTN_OK)
      << lastError();
  const std::vector<uint32_t> got = c.readF32(src.size());
  for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); ++i)
    EXPECT_EQ(got[i], known[i].f32) << known[i].what;
}

TEST(AppendSource, EveryPatternWidensToF32Exactly) {
  const std::vector<uint16_t> k = allPatterns(false), v = allPatterns(true);
  for (attn_dtype_t type : {ATTN_DTYPE_F16, ATTN_DTYPE_BF16}) {
    Cache c(ATTN_DTYPE_F32);
    ASSERT_EQ(c.append(k.data(), v.data(), k.size(), type), ATTN_OK)
        << lastError();
    const std::vector<uint32_t> gk = c.readF32(k.size()),
                                gv = c.readF32(k.size(), true);
    for (size_t i = 0; i < k.size(); ++i) {
      const uint32_t wk = type == ATTN_DTYPE_F16 ? bitsOf(attn_f16_to_f32(k[i]))
                                                 : uint32_t(k[i]) << 16;
      const uint32_t wv = type == ATTN_DTYPE_F16 ? bitsOf(attn_f16_to_f32(v[i]))
                                                 : uint32_t(v[i]) << 16;
      ASSERT_EQ(gk[i], wk) << "dtype " << type << " code " << k[i];
      ASSERT_EQ(gv[i], wv) << "dtype " << type << " code " << v[i];
    }
  }
}

// An f16 source into an f16 cache keeps every bit pattern (NaN payloads
// included); bf16 into bf16 too, except that NaNs become the canonical NaN
// of their sign.
TEST(AppendSource, SameTypeRoundTripsEveryPattern) {
  const std::vector<uint16_t> k = allPatterns(false), v = allPatterns(true);
  for (attn_dtype_t type : {ATTN_DTYPE_F16, ATTN_DTYPE_BF16}) {
    Cache c(type);
    ASSERT_EQ(c.append(k.data(), v.data(), k.size(), type), ATTN_OK)
        << lastError();
    const std::vector<uint16_t> gk = c.read16(k.size()),
                                gv = c.read16(k.size(), true);
    for (size_t i = 0; i < k.size(); ++i) {
      uint16_t wk = k[i], wv = v[i];
      if (type == ATTN_DTYPE_BF16) {
        if (isBF16NaN(wk))
          wk = uint16_t((wk & 0x8000u) | 0x7fc0u);
        if (isBF16NaN(wv))
          wv = uint16_t((wv & 0x8000u) | 0x7fc0u);
      }
      ASSERT_EQ(gk[i], wk) << "dtype " << type << " code " << k[i];
      ASSERT_EQ(gv[i], wv) << "dtype " << type << " code " << v[i];
    }
  }
}

// f16 into a bf16 cache and bf16 into an f16 cache: widened exactly, then
// rounded to nearest even as an f32 append would be.
TEST(AppendSource, CrossTypeRoundsLikeF32) {
  const std::vector<uint16_t> k = allPatterns(false);
  for (attn_dtype_t type : {ATTN_DTYPE_F16, ATTN_DTYPE_BF16}) {
    const attn_dtype_t cacheType =
        type == ATTN_DTYPE_F16 ? ATTN_DTYPE_BF16 : ATTN_DTYPE_F16;
    Cache c(cacheType);
    ASSERT_EQ(c.append(k.data(), k.data(), k.size(), type), ATTN_OK)
        << lastError();
    const std::vector<uint16_t> got = c.read16(k.size());
    for (size_t i = 0; i < k.size(); ++i) {
      const float wide = type == ATTN_DTYPE_F16 ? attn_f16_to_f32(k[i])
                                                : attn_bf16_to_f32(k[i]);
      const uint16_t want = cacheType == ATTN_DTYPE_F16
                                ? attn_f32_to_f16(wide)
                                : attn_f32_to_bf16(wide);
      ASSERT_EQ(got[i], want) << "source dtype " << type << " code " << k[i];
    }
  }
  // Known cases: rounding, overflow to inf, underflow to subnormal and zero.
  struct Case {
    attn_dtype_t from;
    uint16_t code, stored;
    const char *what;
  };
  const Case cases[] = {
      {ATTN_DTYPE_F16, 0x7bff, 0x4780, "65504 rounds up to bf16 65536"},
      {ATTN_DTYPE_F16, 0x0001, 0x3380, "f16 2^-24 is a bf16 normal"},
      {ATTN_DTYPE_F16, 0xfc00, 0xff80, "-inf"},
      {ATTN_DTYPE_F16, 0x7e00, 0x7fc0, "NaN"},
      {ATTN_DTYPE_BF16, 0x7f7f, 0x7c00, "bf16 max overflows f16 to inf"},
      {ATTN_DTYPE_BF16, 0x4780, 0x7c00, "65536 overflows f16 to inf"},
      {ATTN_DTYPE_BF16, 0x3380, 0x0001, "2^-24 is the f16 subnormal 1"},
      {ATTN_DTYPE_BF16, 0x3300, 0x0000, "2^-25 ties to even: +0"},
      {ATTN_DTYPE_BF16, 0xb3c0, 0x8002, "-1.5 * 2^-24 ties to even: -2"},
      {ATTN_DTYPE_BF16, 0x0001, 0x0000, "bf16 subnormal underflows to +0"},
      {ATTN_DTYPE_BF16, 0xff80, 0xfc00, "-inf"},
  };
  for (const Case &cs : cases) {
    Cache c(cs.from == ATTN_DTYPE_F16 ? ATTN_DTYPE_BF16 : ATTN_DTYPE_F16);
    const std::vector<uint16_t> src = padded({cs.code});
    ASSERT_EQ(c.append(src.data(), src.data(), src.size(), cs.from), ATTN_OK)
        << lastError();
    const uint16_t got = c.read16(src.size())[0];
    EXPECT_EQ(got, cs.stored) << cs.what;
    if (isF16NaN(cs.stored)) {
      EXPECT_TRUE(isF16NaN(got));
    }
  }
}

// An unaligned host source works (the runtime reads it bytewise).
TEST(AppendSource, UnalignedHostSource) {
  std::vector<uint8_t> bytes(kHeadDim * 2 + 1);
  for (int32_t i = 0; i < kHeadDim; ++i) {
    const uint16_t h = attn_f32_to_f16(float(i) - 3.5f);
    std::memcpy(bytes.data() + 1 + 2 * i, &h, 2);
  }
  Cache c(ATTN_DTYPE_F32);
  ASSERT_EQ(
      c.append(bytes.data() + 1, bytes.data() + 1, kHeadDim, ATTN_DTYPE_F16),
      ATTN_OK);
  const std::vector<uint32_t> got = c.readF32(kHeadDim);
  for (int32_t i = 0; i < kHeadDim; ++i)
    EXPECT_EQ(got[size_t(i)], bitsOf(float(i) - 3.5f));
}

// The f32 path of attn_kv_append_v2 is attn_kv_append.
TEST(AppendSource, F32MatchesAttnKvAppend) {
  std::vector<float> k(kHeadDim * 3), v(k.size());
  for (size_t i = 0; i < k.size(); ++i) {
    k[i] = float(i) * 0.37f - 2.0f;
    v[i] = -float(i) * 1e-3f;
  }
  Cache a(ATTN_DTYPE_BF16), b(ATTN_DTYPE_BF16);
  ASSERT_EQ(
      attn_kv_append(a.cache, a.seq, 3, 1, 1, kHeadDim, k.data(), v.data()),
      ATTN_OK);
  ASSERT_EQ(b.append(k.data(), v.data(), k.size(), ATTN_DTYPE_F32), ATTN_OK);
  EXPECT_EQ(a.read16(k.size()), b.read16(k.size()));
  EXPECT_EQ(a.read16(k.size(), true), b.read16(k.size(), true));
}

TEST(AppendSource, RejectsBadArgumentsAndLeavesCacheUnchanged) {
  Cache c(ATTN_DTYPE_F16);
  const std::vector<uint16_t> src = padded({0x3c00});
  ASSERT_EQ(c.append(src.data(), src.data(), src.size(), ATTN_DTYPE_F16),
            ATTN_OK);
  attn_kv_stats_t before;
  ASSERT_EQ(attn_kv_get_stats(c.cache, &before), ATTN_OK);

  for (attn_dtype_t bad : {ATTN_DTYPE_INT8, ATTN_DTYPE_FP8_E4M3FN}) {
    EXPECT_EQ(c.append(src.data(), src.data(), src.size(), bad),
              ATTN_ERR_INVALID_ARGUMENT);
    EXPECT_NE(lastError().find("f32, f16 or bf16"), std::string::npos)
        << lastError();
  }
  // Out-of-range enums as C passes them (constants: never loaded as the
  // enum type on this side).
  EXPECT_EQ(attn_kv_append_v2(c.cache, c.seq, 1, 1, 1, kHeadDim, src.data(),
                              src.data(), static_cast<attn_dtype_t>(99),
                              ATTN_MEMORY_CPU),
            ATTN_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(attn_kv_append_v2(c.cache, c.seq, 1, 1, 1, kHeadDim, src.data(),
                              src.data(), ATTN_DTYPE_F16,
                              static_cast<attn_memory_kind_t>(99)),
            ATTN_ERR_INVALID_ARGUMENT);
  EXPECT_NE(lastError().find("source memory kind"), std::string::npos)
      << lastError();
  EXPECT_EQ(attn_kv_append_v2(c.cache, c.seq, 1, 1, 2, kHeadDim, src.data(),
                              src.data(), ATTN_DTYPE_F16, ATTN_MEMORY_CPU),
            ATTN_ERR_DIM_MISMATCH);
  EXPECT_EQ(c.append(nullptr, src.data(), src.size(), ATTN_DTYPE_F16),
            ATTN_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(attn_kv_append_v2(nullptr, c.seq, 1, 1, 1, kHeadDim, src.data(),
                              src.data(), ATTN_DTYPE_F16, ATTN_MEMORY_CPU),
            ATTN_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(attn_kv_append_v2(c.cache, 12345, 1, 1, 1, kHeadDim, src.data(),
                              src.data(), ATTN_DTYPE_F16, ATTN_MEMORY_CPU),
            ATTN_ERR_UNKNOWN_SEQUENCE);
  // Zero tokens: nothing is read, even from a NULL pointer.
  EXPECT_EQ(attn_kv_append_v2(c.cache, c.seq, 0, 1, 1, kHeadDim, nullptr,
                              nullptr, ATTN_DTYPE_BF16, ATTN_MEMORY_CUDA),
            ATTN_OK);

  attn_kv_stats_t after;
  ASSERT_EQ(attn_kv_get_stats(c.cache, &after), ATTN_OK);
  EXPECT_EQ(std::memcmp(&before, &after, sizeof(before)), 0);
  EXPECT_EQ(c.read16(src.size()), src);
}

// Device-resident sources. Without a CUDA device the call fails cleanly and
// leaves the cache as it was; with one, the pool of a CUDA-memory cache is the
// device source (no CUDA API is needed in the test).
TEST(AppendSource, DeviceSource) {
  const std::vector<uint16_t> k = allPatterns(false), v = allPatterns(true);
  if (!attn_runtime_has_cuda()) {
    ASSERT_EQ(std::getenv("ATTN_RUNTIME_EXPECT_CUDA"), nullptr)
        << "ATTN_RUNTIME_EXPECT_CUDA is set but there is no CUDA device";
    Cache c(ATTN_DTYPE_F16);
    const attn_status_t st = c.append(k.data(), v.data(), kHeadDim,
                                      ATTN_DTYPE_F16, ATTN_MEMORY_CUDA);
    // No driver: unsupported; a driver without a device: the driver's error.
    EXPECT_TRUE(st == ATTN_ERR_UNSUPPORTED || st == ATTN_ERR_DEVICE) << st;
    if (st == ATTN_ERR_UNSUPPORTED) {
      EXPECT_NE(lastError().find("libcuda.so.1"), std::string::npos)
          << lastError();
    }
    int64_t length = -1;
    EXPECT_EQ(attn_kv_seq_length(c.cache, c.seq, &length), ATTN_OK);
    EXPECT_EQ(length, 0);
    GTEST_SKIP() << "no CUDA device (attn_runtime_has_cuda() == 0): device "
                    "sources not exercised beyond the error path";
  }

  // Fill a CUDA f16 cache from the host; its first block is then a device
  // array of kBlockSize tokens, laid out as an append source.
  Cache dev(ATTN_DTYPE_F16, ATTN_MEMORY_CUDA);
  ASSERT_EQ(dev.status, ATTN_OK) << lastError();
  ASSERT_EQ(dev.append(k.data(), v.data(), k.size(), ATTN_DTYPE_F16), ATTN_OK)
      << lastError();
  std::vector<int32_t> table(kAllPatterns / kHeadDim / kBlockSize);
  ASSERT_EQ(attn_kv_get_block_table(dev.cache, &dev.seq, 1,
                                    int32_t(table.size()), table.data(),
                                    nullptr),
            ATTN_OK);
  attn_kv_layer_view_t view;
  ASSERT_EQ(attn_kv_get_layer_view(dev.cache, 0, &view), ATTN_OK);
  ASSERT_EQ(view.memory, ATTN_MEMORY_CUDA);
  const size_t blockElems = size_t(kBlockSize) * kHeadDim;
  const auto *dk = static_cast<const uint16_t *>(view.k_pool) +
                   size_t(table[0]) * blockElems;
  const auto *dv = static_cast<const uint16_t *>(view.v_pool) +
                   size_t(table[0]) * blockElems;
  const std::vector<uint16_t> wantK(k.begin(), k.begin() + blockElems),
      wantV(v.begin(), v.begin() + blockElems);

  // Into a host cache (f16: bit exact; f32: widened exactly).
  Cache host16(ATTN_DTYPE_F16);
  ASSERT_EQ(host16.append(dk, dv, blockElems, ATTN_DTYPE_F16, ATTN_MEMORY_CUDA),
            ATTN_OK)
      << lastError();
  EXPECT_EQ(host16.read16(blockElems), wantK);
  EXPECT_EQ(host16.read16(blockElems, true), wantV);
  Cache host32(ATTN_DTYPE_F32);
  ASSERT_EQ(host32.append(dk, dv, blockElems, ATTN_DTYPE_F16, ATTN_MEMORY_CUDA),
            ATTN_OK)
      << lastError();
  const std::vector<uint32_t> got = host32.readF32(blockElems);
  for (size_t i = 0; i < blockElems; ++i)
    ASSERT_EQ(got[i], bitsOf(attn_f16_to_f32(wantK[i]))) << i;

  // Into another CUDA cache, read back through attn_kv_read.
  Cache dev2(ATTN_DTYPE_F16, ATTN_MEMORY_CUDA);
  ASSERT_EQ(dev2.append(dk, dv, blockElems, ATTN_DTYPE_F16, ATTN_MEMORY_CUDA),
            ATTN_OK)
      << lastError();
  const std::vector<uint32_t> got2 = dev2.readF32(blockElems, true);
  for (size_t i = 0; i < blockElems; ++i)
    ASSERT_EQ(got2[i], bitsOf(attn_f16_to_f32(wantV[i]))) << i;

  // A host pointer declared as device memory is rejected, cache unchanged.
  EXPECT_EQ(host16.append(k.data(), v.data(), kHeadDim, ATTN_DTYPE_F16,
                          ATTN_MEMORY_CUDA),
            ATTN_ERR_INVALID_ARGUMENT);
  EXPECT_NE(lastError().find("not CUDA device memory"), std::string::npos)
      << lastError();
  int64_t length = -1;
  EXPECT_EQ(attn_kv_seq_length(host16.cache, host16.seq, &length), ATTN_OK);
  EXPECT_EQ(length, kBlockSize);
}

} // namespace
