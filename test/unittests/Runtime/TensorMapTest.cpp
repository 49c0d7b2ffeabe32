//===- TensorMapTest.cpp - attn_tensor_map_encode -------------------------===//
//
// The encoder of the simulator's TMA tensor maps: the fields it stores and
// every rule of cuTensorMapEncodeTiled it enforces.
//
//===----------------------------------------------------------------------===//

#include "attn/runtime/attn_tensor_map.h"

#include <gtest/gtest.h>

#include <string>

namespace {

struct Args {
  attn_tensor_map_dtype dtype = ATTN_TMAP_F16;
  uint32_t rank = 2;
  uint64_t address = 0x10000;
  uint64_t dims[5] = {128, 64, 1, 1, 1};
  uint64_t strides[4] = {256, 0, 0, 0};
  uint32_t box[5] = {64, 32, 1, 1, 1};
  uint32_t elementStrides[5] = {1, 1, 1, 1, 1};
  attn_tensor_map_interleave interleave = ATTN_TMAP_INTERLEAVE_NONE;
  attn_tensor_map_swizzle swizzle = ATTN_TMAP_SWIZZLE_128B;
  attn_tensor_map_oob_fill fill = ATTN_TMAP_OOB_FILL_NONE;

  /// Encodes; returns the error message ("" on success).
  std::string encode(attn_tensor_map &map) const {
    char err[256] = {0};
    int rc = attn_tensor_map_encode(&map, dtype, rank, address, dims, strides,
                                    box, elementStrides, interleave, swizzle,
                                    ATTN_TMAP_L2_PROMOTION_128B, fill, err,
                                    sizeof err);
    EXPECT_EQ(rc == 0, err[0] == 0) << err;
    return err;
  }
};

TEST(TensorMap, EncodesTheFields) {
  Args a;
  attn_tensor_map map;
  ASSERT_EQ(a.encode(map), "");
  EXPECT_EQ(map.magic, ATTN_TENSOR_MAP_MAGIC);
  EXPECT_EQ(map.dtype, ATTN_TMAP_F16);
  EXPECT_EQ(map.element_bytes, 2);
  EXPECT_EQ(map.rank, 2);
  EXPECT_EQ(map.swizzle, ATTN_TMAP_SWIZZLE_128B);
  EXPECT_EQ(map.l2_promotion, ATTN_TMAP_L2_PROMOTION_128B);
  EXPECT_EQ(map.global_address, 0x10000u);
  EXPECT_EQ(map.dims[0], 128u);
  EXPECT_EQ(map.dims[1], 64u);
  EXPECT_EQ(map.strides[0], 256u);
  EXPECT_EQ(map.box[0], 64u);
  EXPECT_EQ(map.box[1], 32u);
  EXPECT_EQ(map.element_strides[1], 1);
  EXPECT_EQ(map.dims[2], 0u) << "unused dimensions stay zero";
}

TEST(TensorMap, RejectsWhatTheDriverRejects) {
  struct Case {
    const char *what;
    void (*mutate)(Args &);
    const char *message;
  } cases[] = {
      {"rank", [](Args &a) { a.rank = 6; }, "rank 6 is outside 1..5"},
      {"address", [](Args &a) { a.address = 0x10008; },
       "is not 16-byte aligned"},
      {"dim", [](Args &a) { a.dims[1] = 0; }, "dimension 1 has size 0"},
      {"box", [](Args &a) { a.box[1] = 257; }, "box dimension 1 is 257"},
      {"stride16", [](Args &a) { a.strides[0] = 264; },
       "must be a multiple of 16"},
      {"stride small", [](Args &a) { a.strides[0] = 128; },
       "less than the 256 bytes of the dimensions inside it"},
      {"inner box", [](Args &a) { a.box[0] = 4; },
       "inner box of 8 bytes is not a multiple of 16"},
      {"swizzle span",
       [](Args &a) {
         a.swizzle = ATTN_TMAP_SWIZZLE_64B;
         a.box[0] = 64;
       },
       "inner box of 128 bytes exceeds the 64-byte swizzle span"},
      {"element stride", [](Args &a) { a.elementStrides[0] = 9; },
       "element stride 0 is 9"},
      {"interleave", [](Args &a) { a.interleave = ATTN_TMAP_INTERLEAVE_32B; },
       "interleaved tensor maps are not supported"},
      {"nan fill",
       [](Args &a) {
         a.dtype = ATTN_TMAP_U16;
         a.fill = ATTN_TMAP_OOB_FILL_NAN_REQUEST_ZERO_FMA;
       },
       "NaN out-of-bounds fill needs a floating-point type"},
      // 12 is not an enumerator but lies in the enum's value range (0..15),
      // so the call is well defined in C++ as well as in C.
      {"dtype",
       [](Args &a) { a.dtype = static_cast<attn_tensor_map_dtype>(12); },
       "unknown element type 12"},
  };
  for (const Case &c : cases) {
    Args a;
    c.mutate(a);
    attn_tensor_map map;
    std::string err = a.encode(map);
    EXPECT_NE(err.find(c.message), std::string::npos)
        << c.what << ": got '" << err << "'";
  }
}

TEST(TensorMap, NullOutputAndErrorBufferAreSafe) {
  Args a;
  EXPECT_EQ(attn_tensor_map_encode(nullptr, a.dtype, a.rank, a.address, a.dims,
                                   a.strides, a.box, nullptr, a.interleave,
                                   a.swizzle, ATTN_TMAP_L2_PROMOTION_NONE,
                                   a.fill, nullptr, 0),
            -1);
  attn_tensor_map map;
  a.rank = 0;
  EXPECT_EQ(attn_tensor_map_encode(&map, a.dtype, a.rank, a.address, a.dims,
                                   a.strides, a.box, nullptr, a.interleave,
                                   a.swizzle, ATTN_TMAP_L2_PROMOTION_NONE,
                                   a.fill, nullptr, 0),
            -1);
}

} // namespace
