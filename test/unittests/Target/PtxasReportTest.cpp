//===- PtxasReportTest.cpp - parsePtxasReport
//------------------------------===//
//
// What attn-compile reads from `ptxas -v`: the resources of one entry and
// the lines that say ptxas serialized wgmma (C75xx codes, which ptxas prints
// as warnings or as plain info lines).
//
//===----------------------------------------------------------------------===//

#include "attn/Target/KernelArtifacts.h"

#include <gtest/gtest.h>

namespace {

constexpr const char *kLog =
    "ptxas info    : 0 bytes gmem\n"
    "ptxas info    : Compiling entry function 'other' for 'sm_90a'\n"
    "ptxas info    : Used 40 registers, used 1 barriers, 0 bytes smem\n"
    "ptxas info    : Compiling entry function 'attn_kernel' for 'sm_90a'\n"
    "ptxas info    : Function properties for attn_kernel\n"
    "    8 bytes stack frame, 4 bytes spill stores, 12 bytes spill loads\n"
    "ptxas info    : (C7515) Potential Performance Loss: wgmma.mma_async "
    "instructions are serialized due to the presence of Extern calls in the "
    "function 'attn_kernel'.\n"
    "ptxas warning : (C7519) warpgroup.arrive is injected in around line 120 "
    "by compiler to allow use of registers in GMMA in function "
    "'attn_kernel'\n"
    "ptxas info    : Used 168 registers, used 1 barriers, 17408 bytes smem, "
    "400 bytes cmem[0]\n";

TEST(PtxasReport, ReadsTheEntrysResources) {
  mlir::attn::PtxasReport r = mlir::attn::parsePtxasReport(kLog, "attn_kernel");
  EXPECT_EQ(r.registers, 168);
  EXPECT_EQ(r.sharedMemoryBytes, 17408);
  EXPECT_EQ(r.stackFrameBytes, 8);
  EXPECT_EQ(r.spillStoreBytes, 4);
  EXPECT_EQ(r.spillLoadBytes, 12);
}

TEST(PtxasReport, CollectsEveryC75xxLine) {
  mlir::attn::PtxasReport r = mlir::attn::parsePtxasReport(kLog, "attn_kernel");
  ASSERT_EQ(r.wgmmaSerialization.size(), 2u);
  EXPECT_NE(r.wgmmaSerialization[0].find("(C7515)"), std::string::npos)
      << "an info line counts too";
  EXPECT_NE(r.wgmmaSerialization[1].find("(C7519)"), std::string::npos);
  ASSERT_EQ(r.warnings.size(), 1u);
}

TEST(PtxasReport, CleanLogHasNoSerialization) {
  mlir::attn::PtxasReport r = mlir::attn::parsePtxasReport(
      "ptxas info    : Compiling entry function 'k' for 'sm_80'\n"
      "ptxas info    : Used 32 registers, 0 bytes smem\n",
      "k");
  EXPECT_EQ(r.registers, 32);
  EXPECT_TRUE(r.wgmmaSerialization.empty());
  EXPECT_TRUE(r.warnings.empty());
}

} // namespace
