//===- CacheKeyTest.cpp - computeCacheKey ---------------------------------===//
//
// The cache key of attn-compile's manifest changes with everything the
// kernels depend on: the source, the target, the options and the compiler
// (attn version, its revision, the LLVM release, ptxas), so that a cached
// kernel is never reused by another compiler or another configuration.
//
//===----------------------------------------------------------------------===//

#include "attn/Target/KernelArtifacts.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

using namespace mlir::attn;

namespace {

ManifestInfo baseInfo() {
  ManifestInfo info;
  info.moduleName = "m";
  info.sourceFile = "m.mlir";
  info.chip = "sm_90a";
  info.features = "+ptx80";
  info.tileKV = 64;
  info.blockSize = 128;
  info.kernel = "auto";
  info.tma = true;
  info.compilerVersion = "0.4.0";
  info.compilerRevision = "0.4.0";
  info.llvmVersion = "22.1.8";
  return info;
}

TEST(CacheKey, IsAStableSha256) {
  std::string key = computeCacheKey("func.func @f()", baseInfo());
  EXPECT_EQ(key.size(), 64u);
  EXPECT_EQ(key.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(key, computeCacheKey("func.func @f()", baseInfo()));
  // The names of the files do not matter, only what they hold.
  ManifestInfo renamed = baseInfo();
  renamed.moduleName = "other";
  renamed.sourceFile = "other.mlir";
  EXPECT_EQ(key, computeCacheKey("func.func @f()", renamed));
}

TEST(CacheKey, ChangesWithEverythingTheKernelsDependOn) {
  const std::string source = "func.func @f()";
  const std::string key = computeCacheKey(source, baseInfo());
  EXPECT_NE(key, computeCacheKey(source + " ", baseInfo()));
  std::vector<std::pair<const char *, std::function<void(ManifestInfo &)>>>
      changes = {
          {"chip", [](ManifestInfo &i) { i.chip = "sm_80"; }},
          {"features", [](ManifestInfo &i) { i.features = "+ptx86"; }},
          {"tile-kv", [](ManifestInfo &i) { i.tileKV = 32; }},
          {"block-size", [](ManifestInfo &i) { i.blockSize = 256; }},
          {"kernel", [](ManifestInfo &i) { i.kernel = "simt"; }},
          {"tma", [](ManifestInfo &i) { i.tma = false; }},
          {"compiler version",
           [](ManifestInfo &i) { i.compilerVersion = "0.5.0"; }},
          {"compiler revision",
           [](ManifestInfo &i) { i.compilerRevision = "v0.4.0-3-gabcdef0"; }},
          {"llvm version", [](ManifestInfo &i) { i.llvmVersion = "23.1.0"; }},
          {"ptxas version",
           [](ManifestInfo &i) {
             i.ptxasVersion = "Cuda compilation tools, release 13.0, V13.0.88";
           }},
      };
  for (auto &[what, change] : changes) {
    ManifestInfo info = baseInfo();
    change(info);
    EXPECT_NE(key, computeCacheKey(source, info)) << what;
  }
}

TEST(Manifest, RecordsTheCompiler) {
  std::string manifest = emitKernelManifest(baseInfo(), {});
  EXPECT_NE(manifest.find("\"compiler_version\": \"0.4.0\""), std::string::npos)
      << manifest;
  EXPECT_NE(manifest.find("\"compiler_revision\": \"0.4.0\""),
            std::string::npos);
  EXPECT_NE(manifest.find("\"llvm_version\": \"22.1.8\""), std::string::npos);
  EXPECT_NE(manifest.find("\"ptxas_version\": null"), std::string::npos);
}

} // namespace
