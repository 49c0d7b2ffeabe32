//===- AttnOpsTest.cpp - tests of attn op and attribute helpers -----------===//

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/InitAll.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include "gtest/gtest.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;

namespace {

class AttnOpsTest : public ::testing::Test {
protected:
  AttnOpsTest() {
    DialectRegistry registry;
    registerAllDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }

  /// Parses `source` and returns its single attn.sdpa op.
  SdpaOp parseSdpa(llvm::StringRef source) {
    module = parseSourceString<ModuleOp>(source, &context);
    if (!module)
      return nullptr;
    SdpaOp found;
    module->walk([&](SdpaOp op) { found = op; });
    return found;
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
};

TEST_F(AttnOpsTest, MaskVisibilityTopLeftAndBottomRight) {
  auto causal = MaskAttr::get(&context, true, MaskAlign::TopLeft, -1, -1);
  // 2 queries, 4 keys, top-left: query 0 sees key 0 only.
  EXPECT_TRUE(causal.isVisible(0, 0, 2, 4));
  EXPECT_FALSE(causal.isVisible(0, 1, 2, 4));
  EXPECT_TRUE(causal.isVisible(1, 1, 2, 4));
  EXPECT_FALSE(causal.isVisible(1, 2, 2, 4));
  auto bottomRight =
      MaskAttr::get(&context, true, MaskAlign::BottomRight, -1, -1);
  // Bottom-right: the last query sees every key.
  EXPECT_TRUE(bottomRight.isVisible(1, 3, 2, 4));
  EXPECT_TRUE(bottomRight.isVisible(0, 2, 2, 4));
  EXPECT_FALSE(bottomRight.isVisible(0, 3, 2, 4));
}

TEST_F(AttnOpsTest, MaskSlidingWindow) {
  // Causal with 2 keys to the left: query 5 sees keys 3, 4, 5.
  auto window = MaskAttr::get(&context, true, MaskAlign::TopLeft, 2, -1);
  for (int64_t j = 0; j < 8; ++j)
    EXPECT_EQ(window.isVisible(5, j, 8, 8), j >= 3 && j <= 5) << "key " << j;
  // Symmetric window without causality.
  auto local = MaskAttr::get(&context, false, MaskAlign::TopLeft, 1, 1);
  for (int64_t j = 0; j < 8; ++j)
    EXPECT_EQ(local.isVisible(5, j, 8, 8), j >= 4 && j <= 6) << "key " << j;
  EXPECT_FALSE(local.isFull());
  EXPECT_TRUE(
      MaskAttr::get(&context, false, MaskAlign::BottomRight, -1, -1).isFull());
}

TEST_F(AttnOpsTest, QuantStorageTypes) {
  auto i8 = QuantAttr::get(&context, QuantScheme::Int8Asym,
                           QuantGranularity::PerHead, 1);
  EXPECT_TRUE(i8.getStorageType(&context).isInteger(8));
  EXPECT_TRUE(i8.hasZeroPoint());
  auto e4m3 = QuantAttr::get(&context, QuantScheme::Fp8E4M3,
                             QuantGranularity::PerTensor, -1);
  EXPECT_TRUE(isa<Float8E4M3FNType>(e4m3.getStorageType(&context)));
  EXPECT_FALSE(e4m3.hasZeroPoint());
  auto e5m2 = QuantAttr::get(&context, QuantScheme::Fp8E5M2,
                             QuantGranularity::PerTensor, -1);
  EXPECT_TRUE(isa<Float8E5M2Type>(e5m2.getStorageType(&context)));
}

TEST_F(AttnOpsTest, SdpaDefaultScaleIsInverseSqrtHeadDim) {
  SdpaOp op = parseSdpa(R"mlir(
    func.func @f(%q: tensor<1x4x8x64xf32>, %k: tensor<1x2x16x64xf32>,
                 %v: tensor<1x2x16x32xf32>) -> tensor<1x4x8x32xf32> {
      %o = attn.sdpa %q, %k, %v : tensor<1x4x8x64xf32>, tensor<1x2x16x64xf32>,
          tensor<1x2x16x32xf32> -> tensor<1x4x8x32xf32>
      return %o : tensor<1x4x8x32xf32>
    })mlir");
  ASSERT_TRUE(op);
  EXPECT_DOUBLE_EQ(op.getEffectiveScale(), 1.0 / 8.0);
  EXPECT_TRUE(op.getEffectiveMask().isFull());
  EXPECT_FALSE(op.isVarlen());
}

TEST_F(AttnOpsTest, SdpaExplicitScaleAndMask) {
  SdpaOp op = parseSdpa(R"mlir(
    func.func @f(%q: tensor<4x8x64xf16>, %k: tensor<6x2x64xf16>,
                 %v: tensor<6x2x64xf16>, %cq: tensor<3xi32>,
                 %ck: tensor<3xi32>) -> tensor<4x8x64xf16> {
      %o = attn.sdpa %q, %k, %v cu_seqlens(%cq, %ck : tensor<3xi32>, tensor<3xi32>)
          {scale = 0.5 : f32, mask = #attn.mask<causal = true, align = bottom_right>}
          : tensor<4x8x64xf16>, tensor<6x2x64xf16>, tensor<6x2x64xf16>
          -> tensor<4x8x64xf16>
      return %o : tensor<4x8x64xf16>
    })mlir");
  ASSERT_TRUE(op);
  EXPECT_DOUBLE_EQ(op.getEffectiveScale(), 0.5);
  EXPECT_TRUE(op.getEffectiveMask().getCausal());
  EXPECT_EQ(op.getEffectiveMask().getAlign(), MaskAlign::BottomRight);
  EXPECT_TRUE(op.isVarlen());
}

TEST_F(AttnOpsTest, SdpaVerifierRejectsBadGrouping) {
  // 6 query heads over 4 KV heads is not GQA.
  context.getDiagEngine().registerHandler(
      [](Diagnostic &) { return success(); });
  SdpaOp op = parseSdpa(R"mlir(
    func.func @f(%q: tensor<1x6x8x64xf32>, %k: tensor<1x4x8x64xf32>,
                 %v: tensor<1x4x8x64xf32>) -> tensor<1x6x8x64xf32> {
      %o = attn.sdpa %q, %k, %v : tensor<1x6x8x64xf32>, tensor<1x4x8x64xf32>,
          tensor<1x4x8x64xf32> -> tensor<1x6x8x64xf32>
      return %o : tensor<1x6x8x64xf32>
    })mlir");
  EXPECT_FALSE(op);
  EXPECT_FALSE(module);
}

} // namespace
