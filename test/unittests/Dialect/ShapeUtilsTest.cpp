//===- ShapeUtilsTest.cpp - tests of the shape/quantization helpers -------===//

#include "attn/Dialect/Attn/Utils/ShapeUtils.h"

#include "gtest/gtest.h"

using namespace mlir::attn;

namespace {

TEST(ShapeUtils, HeadsDimsFollowLayout) {
  HeadsDims bhsd = getHeadsDims(/*bshd=*/false, /*varlen=*/false);
  EXPECT_EQ(bhsd.batch, 0);
  EXPECT_EQ(bhsd.heads, 1);
  EXPECT_EQ(bhsd.seq, 2);
  EXPECT_EQ(bhsd.dim, 3);
  HeadsDims bshd = getHeadsDims(/*bshd=*/true, /*varlen=*/false);
  EXPECT_EQ(bshd.heads, 2);
  EXPECT_EQ(bshd.seq, 1);
  HeadsDims varlen = getHeadsDims(/*bshd=*/false, /*varlen=*/true);
  EXPECT_EQ(varlen.batch, -1);
  EXPECT_EQ(varlen.seq, 0);
  EXPECT_EQ(varlen.heads, 1);
  EXPECT_EQ(varlen.dim, 2);
}

TEST(ShapeUtils, SizesAgreeTreatsDynamicAsWildcard) {
  EXPECT_TRUE(sizesAgree(4, 4));
  EXPECT_FALSE(sizesAgree(4, 5));
  EXPECT_TRUE(sizesAgree(kDynamicSize, 5));
  EXPECT_TRUE(sizesAgree(7, kDynamicSize));
}

TEST(ShapeUtils, Broadcasting) {
  EXPECT_TRUE(isBroadcastableTo({1, 1, 16, 32}, {2, 8, 16, 32}));
  EXPECT_TRUE(isBroadcastableTo({2, 8, 16, 32}, {2, 8, 16, 32}));
  EXPECT_TRUE(isBroadcastableTo({kDynamicSize, 1, 16, 32}, {2, 8, 16, 32}));
  EXPECT_FALSE(isBroadcastableTo({16, 32}, {2, 8, 16, 32}));
  EXPECT_FALSE(isBroadcastableTo({2, 8, 16, 31}, {2, 8, 16, 32}));
  EXPECT_FALSE(isBroadcastableTo({3, 1, 1, 1}, {2, 8, 16, 32}));
}

TEST(ShapeUtils, GroupSize) {
  EXPECT_EQ(getGroupSize(32, 8), 4);
  EXPECT_EQ(getGroupSize(8, 8), 1);
  EXPECT_EQ(getGroupSize(8, 1), 8);
  EXPECT_EQ(getGroupSize(kDynamicSize, 8), 0);
  EXPECT_EQ(getGroupSize(12, 8), std::nullopt);
  EXPECT_EQ(getGroupSize(4, 8), std::nullopt);
  EXPECT_EQ(getGroupSize(0, 8), std::nullopt);
  EXPECT_EQ(getGroupSize(8, 0), std::nullopt);
}

TEST(ShapeUtils, ScaleShapes) {
  std::string error;
  auto perTensor = getScaleShape({2, 8, 16, 64}, 0, -1, error);
  ASSERT_TRUE(perTensor);
  EXPECT_TRUE(perTensor->empty());

  auto perHead = getScaleShape({2, 8, 16, 64}, 1, 1, error);
  ASSERT_TRUE(perHead);
  EXPECT_EQ(*perHead, llvm::SmallVector<int64_t>({8}));

  auto perToken = getScaleShape({2, 8, 16, 64}, 2, -1, error);
  ASSERT_TRUE(perToken);
  EXPECT_EQ(*perToken, llvm::SmallVector<int64_t>({2, 8, 16}));

  EXPECT_FALSE(getScaleShape({2, 8, 16, 64}, 1, 4, error));
  EXPECT_NE(error.find("axis in [0, 4), got 4"), std::string::npos);
  EXPECT_FALSE(getScaleShape({}, 2, -1, error));
  EXPECT_FALSE(getScaleShape({4}, 7, -1, error));
}

TEST(ShapeUtils, FormatShape) {
  EXPECT_EQ(formatShape({2, kDynamicSize, 4}), "2x?x4");
  EXPECT_EQ(formatShape({}), "");
}

} // namespace
