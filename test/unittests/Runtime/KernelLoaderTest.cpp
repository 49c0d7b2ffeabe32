//===- KernelLoaderTest.cpp - attn_kernels.h on the CPU -------------------===//
//
// Manifest parsing and launch validation in full; the GPU entry points return
// their documented errors (no GPU where these tests run) and never crash.
//
//===----------------------------------------------------------------------===//

#include "attn/runtime/attn_kernels.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace {

// What attn-compile writes for a GQA kernel with the log-sum-exp.
const char *kManifest = R"json({
  "cache_key": "4d5e",
  "chip": "sm_90a",
  "features": "+ptx80",
  "format_version": 1,
  "kernels": [
    {
      "block": [128, 1, 1],
      "calling_convention": "bare_pointers",
      "cubin": "gqa_kernel.cubin",
      "entry": "gqa_kernel",
      "grid": [1, 8, 2],
      "name": "gqa_kernel",
      "params": [
        {"access": "read", "bytes": 231424, "dtype": "f16", "name": "query",
         "shape": [2, 8, 113, 64], "type": "pointer"},
        {"access": "read", "bytes": 57856, "dtype": "f16", "name": "key",
         "shape": [2, 2, 113, 64], "type": "pointer"},
        {"access": "read", "bytes": 57856, "dtype": "f16", "name": "value",
         "shape": [2, 2, 113, 64], "type": "pointer"},
        {"access": "readwrite", "bytes": 231424, "dtype": "f16", "name": "out",
         "shape": [2, 8, 113, 64], "type": "pointer"},
        {"access": "readwrite", "bytes": 7232, "dtype": "f32", "name": "lse",
         "shape": [2, 8, 113], "type": "pointer"}
      ],
      "ptx": "gqa_kernel.ptx",
      "ptxas": null,
      "shared_memory_bytes": 0
    },
    {
      "block": [64, 1, 1], "calling_convention": "bare_pointers",
      "cubin": null, "entry": "ptx_only", "grid": [3, 1, 1],
      "params": [{"access": "readwrite", "bytes": 12, "dtype": "f32",
                  "name": "y", "shape": [3], "type": "pointer"}],
      "ptx": "ptx_only.ptx", "shared_memory_bytes": 65536
    }
  ],
  "module": "gqa",
  "options": {"block_size": 128, "tile_kv": 64},
  "source": "gqa.mlir",
  "source_sha256": "ab\u0063d"
})json";

struct ManifestDeleter {
  void operator()(attn_kernel_manifest *m) const {
    attn_kernel_manifest_free(m);
  }
};
using ManifestPtr = std::unique_ptr<attn_kernel_manifest, ManifestDeleter>;

ManifestPtr parse(const std::string &json, attn_kernel_status *st = nullptr) {
  attn_kernel_manifest *m = nullptr;
  attn_kernel_status s =
      attn_kernel_manifest_parse(json.data(), json.size(), "/tmp", &m);
  if (st)
    *st = s;
  return ManifestPtr(m);
}

/// Parses `json` expecting a manifest error whose message contains `what`.
void expectManifestError(const std::string &json, const std::string &what) {
  attn_kernel_status st;
  ManifestPtr m = parse(json, &st);
  EXPECT_EQ(st, ATTN_KERNEL_ERROR_MANIFEST) << json;
  EXPECT_EQ(m, nullptr);
  EXPECT_NE(std::string(attn_kernel_last_error()).find(what), std::string::npos)
      << "message: " << attn_kernel_last_error() << "\nexpected: " << what;
}

/// The manifest with `from` replaced by `to` (must occur).
std::string edit(const std::string &from, const std::string &to) {
  std::string s = kManifest;
  size_t pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  return pos == std::string::npos ? s : s.replace(pos, from.size(), to);
}

TEST(KernelManifest, ParsesKernelsAndParams) {
  attn_kernel_status st;
  ManifestPtr m = parse(kManifest, &st);
  ASSERT_EQ(st, ATTN_KERNEL_OK) << attn_kernel_last_error();
  EXPECT_STREQ(attn_kernel_manifest_chip(m.get()), "sm_90a");
  EXPECT_STREQ(attn_kernel_manifest_cache_key(m.get()), "4d5e");
  ASSERT_EQ(attn_kernel_manifest_num_kernels(m.get()), 2);

  attn_kernel_info info;
  ASSERT_EQ(attn_kernel_manifest_kernel(m.get(), 0, &info), ATTN_KERNEL_OK);
  EXPECT_STREQ(info.name, "gqa_kernel");
  EXPECT_STREQ(info.cubin, "gqa_kernel.cubin");
  EXPECT_STREQ(info.ptx, "gqa_kernel.ptx");
  EXPECT_EQ(info.grid[0], 1u);
  EXPECT_EQ(info.grid[1], 8u);
  EXPECT_EQ(info.grid[2], 2u);
  EXPECT_EQ(info.block[0], 128u);
  EXPECT_EQ(info.shared_memory_bytes, 0u);
  EXPECT_EQ(info.num_params, 5);

  ASSERT_EQ(attn_kernel_manifest_find(m.get(), "ptx_only", &info),
            ATTN_KERNEL_OK);
  EXPECT_EQ(info.cubin, nullptr);
  EXPECT_EQ(info.shared_memory_bytes, 65536u);

  attn_kernel_param_info p;
  ASSERT_EQ(attn_kernel_manifest_param(m.get(), "gqa_kernel", 4, &p),
            ATTN_KERNEL_OK);
  EXPECT_STREQ(p.name, "lse");
  EXPECT_STREQ(p.dtype, "f32");
  ASSERT_EQ(p.rank, 3);
  EXPECT_EQ(p.shape[0], 2);
  EXPECT_EQ(p.shape[1], 8);
  EXPECT_EQ(p.shape[2], 113);
  EXPECT_EQ(p.bytes, 7232u);
  EXPECT_EQ(p.written, 1);
  ASSERT_EQ(attn_kernel_manifest_param(m.get(), "gqa_kernel", 0, &p),
            ATTN_KERNEL_OK);
  EXPECT_STREQ(p.name, "query");
  EXPECT_EQ(p.written, 0);
}

TEST(KernelManifest, LookupErrors) {
  ManifestPtr m = parse(kManifest);
  ASSERT_NE(m, nullptr);
  attn_kernel_info info;
  attn_kernel_param_info p;
  EXPECT_EQ(attn_kernel_manifest_kernel(m.get(), 2, &info),
            ATTN_KERNEL_ERROR_NOT_FOUND);
  EXPECT_STREQ(attn_kernel_last_error(),
               "expected a kernel index in [0, 2), got 2");
  EXPECT_EQ(attn_kernel_manifest_kernel(m.get(), -1, &info),
            ATTN_KERNEL_ERROR_NOT_FOUND);
  EXPECT_EQ(attn_kernel_manifest_find(m.get(), "nope", &info),
            ATTN_KERNEL_ERROR_NOT_FOUND);
  EXPECT_STREQ(attn_kernel_last_error(),
               "no kernel named 'nope' in the manifest");
  EXPECT_EQ(attn_kernel_manifest_param(m.get(), "gqa_kernel", 5, &p),
            ATTN_KERNEL_ERROR_NOT_FOUND);
  EXPECT_EQ(attn_kernel_manifest_param(m.get(), "nope", 0, &p),
            ATTN_KERNEL_ERROR_NOT_FOUND);
  EXPECT_EQ(attn_kernel_manifest_find(nullptr, "x", &info),
            ATTN_KERNEL_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(attn_kernel_manifest_kernel(m.get(), 0, nullptr),
            ATTN_KERNEL_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(attn_kernel_manifest_num_kernels(nullptr), 0);
  EXPECT_STREQ(attn_kernel_manifest_chip(nullptr), "");
}

TEST(KernelManifest, CheckLaunch) {
  ManifestPtr m = parse(kManifest);
  ASSERT_NE(m, nullptr);
  alignas(16) char dummy[5][16];
  void *ptrs[5] = {dummy[0], dummy[1], dummy[2], dummy[3], dummy[4]};
  uint64_t bytes[5] = {231424, 57856, 57856, 231424, 7232};
  uint32_t grid[3] = {1, 8, 2}, block[3] = {128, 1, 1};
  EXPECT_EQ(attn_kernel_manifest_check_launch(m.get(), "gqa_kernel", nullptr,
                                              nullptr, ptrs, nullptr, 5),
            ATTN_KERNEL_OK);
  EXPECT_EQ(attn_kernel_manifest_check_launch(m.get(), "gqa_kernel", grid,
                                              block, ptrs, bytes, 5),
            ATTN_KERNEL_OK);

  EXPECT_EQ(attn_kernel_manifest_check_launch(m.get(), "gqa_kernel", nullptr,
                                              nullptr, ptrs, nullptr, 4),
            ATTN_KERNEL_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attn_kernel_last_error(),
               "kernel 'gqa_kernel': expected 5 parameters, got 4");

  ptrs[3] = nullptr;
  EXPECT_EQ(attn_kernel_manifest_check_launch(m.get(), "gqa_kernel", nullptr,
                                              nullptr, ptrs, nullptr, 5),
            ATTN_KERNEL_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attn_kernel_last_error(),
               "kernel 'gqa_kernel': parameter #3 ('out') is NULL");
  ptrs[3] = dummy[3];

  ptrs[1] = dummy[1] + 8;
  EXPECT_EQ(attn_kernel_manifest_check_launch(m.get(), "gqa_kernel", nullptr,
                                              nullptr, ptrs, nullptr, 5),
            ATTN_KERNEL_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attn_kernel_last_error(),
               "kernel 'gqa_kernel': parameter #1 ('key') is not 16-byte "
               "aligned");
  ptrs[1] = dummy[1];

  bytes[4] = 7231;
  EXPECT_EQ(attn_kernel_manifest_check_launch(m.get(), "gqa_kernel", nullptr,
                                              nullptr, ptrs, bytes, 5),
            ATTN_KERNEL_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attn_kernel_last_error(),
               "kernel 'gqa_kernel': expected parameter #4 ('lse') to cover "
               "7232 bytes, got 7231");

  grid[1] = 4;
  EXPECT_EQ(attn_kernel_manifest_check_launch(m.get(), "gqa_kernel", grid,
                                              nullptr, ptrs, nullptr, 5),
            ATTN_KERNEL_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attn_kernel_last_error(),
               "kernel 'gqa_kernel': expected grid.y = 8 (the shapes it was "
               "compiled for), got 4");
  block[0] = 256;
  EXPECT_EQ(attn_kernel_manifest_check_launch(m.get(), "gqa_kernel", nullptr,
                                              block, ptrs, nullptr, 5),
            ATTN_KERNEL_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attn_kernel_last_error(),
               "kernel 'gqa_kernel': expected block.x = 128, got 256");
  EXPECT_EQ(attn_kernel_manifest_check_launch(m.get(), "gqa_kernel", nullptr,
                                              nullptr, nullptr, nullptr, 5),
            ATTN_KERNEL_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(attn_kernel_manifest_check_launch(m.get(), "nope", nullptr, nullptr,
                                              ptrs, nullptr, 5),
            ATTN_KERNEL_ERROR_NOT_FOUND);
}

// A split-KV attention kernel: grid x is the split count, 1 to max_splits.
TEST(KernelManifest, SplitCountChosenAtLaunch) {
  ManifestPtr m =
      parse(edit("\"grid\": [1, 8, 2],", "\"grid\": [4, 8, 2], "
                                         "\"grid_max\": [8, 8, 2],"));
  ASSERT_NE(m, nullptr);
  attn_kernel_info info;
  ASSERT_EQ(attn_kernel_manifest_find(m.get(), "gqa_kernel", &info),
            ATTN_KERNEL_OK);
  EXPECT_EQ(info.grid[0], 4u);
  EXPECT_EQ(info.max_splits, 8u);
  ASSERT_EQ(attn_kernel_manifest_find(m.get(), "ptx_only", &info),
            ATTN_KERNEL_OK);
  EXPECT_EQ(info.max_splits, 0u);

  alignas(16) char dummy[5][16];
  void *ptrs[5] = {dummy[0], dummy[1], dummy[2], dummy[3], dummy[4]};
  for (uint32_t splits : {1u, 3u, 4u, 8u}) {
    uint32_t grid[3] = {splits, 8, 2};
    EXPECT_EQ(attn_kernel_manifest_check_launch(m.get(), "gqa_kernel", grid,
                                                nullptr, ptrs, nullptr, 5),
              ATTN_KERNEL_OK)
        << splits;
  }
  for (uint32_t splits : {0u, 9u}) {
    uint32_t grid[3] = {splits, 8, 2};
    EXPECT_EQ(attn_kernel_manifest_check_launch(m.get(), "gqa_kernel", grid,
                                                nullptr, ptrs, nullptr, 5),
              ATTN_KERNEL_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(std::string(attn_kernel_last_error()),
              "kernel 'gqa_kernel': expected grid.x (the split count) from 1 "
              "to 8, got " +
                  std::to_string(splits));
  }
  uint32_t grid[3] = {2, 4, 2};
  EXPECT_EQ(attn_kernel_manifest_check_launch(m.get(), "gqa_kernel", grid,
                                              nullptr, ptrs, nullptr, 5),
            ATTN_KERNEL_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attn_kernel_last_error(),
               "kernel 'gqa_kernel': expected grid.y = 8 (the shapes it was "
               "compiled for), got 4");

  expectManifestError(edit("\"grid\": [1, 8, 2],",
                           "\"grid\": [4, 8, 2], \"grid_max\": [8, 4, 2],"),
                      "kernel 'gqa_kernel': expected \"grid_max\" to extend "
                      "\"grid\" in x only");
  expectManifestError(edit("\"grid\": [1, 8, 2],",
                           "\"grid\": [4, 8, 2], \"grid_max\": [2, 8, 2],"),
                      "expected \"grid_max\" to extend \"grid\" in x only");
  expectManifestError(
      edit("\"grid\": [1, 8, 2],", "\"grid\": [4, 8, 2], \"grid_max\": 8,"),
      "expected \"grid_max\" to be 3 sizes");
}

TEST(KernelManifest, MalformedJson) {
  expectManifestError("", "unexpected end of JSON");
  expectManifestError("{", "expected a JSON string");
  expectManifestError("{\"a\": [1, 2}", "expected ',' or ']' in a JSON array");
  expectManifestError("{\"a\": tru}", "invalid JSON literal, expected true");
  expectManifestError("{\"a\": \"x}", "unterminated JSON string");
  expectManifestError("{\"a\": 1} x", "trailing characters");
  expectManifestError("[1]", "manifest: expected an object");
  expectManifestError(std::string(100, '[') + std::string(100, ']'),
                      "JSON nested too deeply");
}

TEST(KernelManifest, InconsistentManifests) {
  expectManifestError(edit("\"format_version\": 1", "\"format_version\": 2"),
                      "expected format_version 1, got 2");
  expectManifestError(edit("\"chip\": \"sm_90a\"", "\"chip\": 90"),
                      "manifest: expected a string \"chip\"");
  expectManifestError(edit("\"kernels\": [", "\"kernelz\": ["),
                      "expected a non-empty \"kernels\" array");
  expectManifestError(edit("\"grid\": [1, 8, 2]", "\"grid\": [1, 8]"),
                      "manifest: kernel #0: expected \"grid\" to be 3 sizes");
  expectManifestError(edit("\"block\": [128, 1, 1]", "\"block\": [0, 1, 1]"),
                      "expected \"block\" sizes in [1, 2^31)");
  expectManifestError(
      edit("\"shared_memory_bytes\": 0", "\"shared_memory_bytes\": -1"),
      "expected a non-negative integer \"shared_memory_bytes\"");
  expectManifestError(edit("\"cubin\": \"gqa_kernel.cubin\"", "\"cubin\": 3"),
                      "kernel 'gqa_kernel': expected \"cubin\" to be a string "
                      "or null");
  expectManifestError(
      edit("\"calling_convention\": \"bare_pointers\"",
           "\"calling_convention\": \"descriptors\""),
      "expected calling_convention \"bare_pointers\", got \"descriptors\"");
  expectManifestError(edit("\"access\": \"readwrite\", \"bytes\": 7232",
                           "\"access\": \"write\", \"bytes\": 7232"),
                      "param #4: expected access \"read\" or \"readwrite\", "
                      "got \"write\"");
  expectManifestError(edit("\"bytes\": 7232", "\"bytes\": 7232.5"),
                      "param #4: expected a non-negative integer \"bytes\"");
  expectManifestError(
      edit("\"type\": \"pointer\"}\n      ]", "\"type\": \"memref\"}\n      ]"),
      "param #4: expected type \"pointer\" or \"tensor_map\", got "
      "\"memref\"");
  expectManifestError(
      edit("\"entry\": \"ptx_only\"", "\"entry\": \"gqa_kernel\""),
      "kernel 'gqa_kernel' appears twice");
}

// A TMA kernel: K and V tensor maps after the pointers (what attn-compile
// writes for sm_90a).
const char *kTmaManifest = R"json({
  "cache_key": "1", "chip": "sm_90a", "format_version": 1,
  "kernels": [{
    "block": [384, 1, 1], "calling_convention": "bare_pointers",
    "cubin": null, "entry": "k", "grid": [1, 2, 1], "ptx": "k.ptx",
    "shared_memory_bytes": 66624,
    "params": [
      {"access": "read", "bytes": 51200, "dtype": "f16", "name": "key",
       "shape": [1, 2, 200, 64], "type": "pointer"},
      {"access": "readwrite", "bytes": 51200, "dtype": "f16", "name": "out",
       "shape": [1, 2, 200, 64], "type": "pointer"},
      {"access": "read", "bytes": 128, "dtype": "f16",
       "name": "key_tensor_map", "shape": [], "type": "tensor_map",
       "tensor": "key", "dims": [64, 200, 2, 1],
       "strides": [128, 25600, 51200], "box": [64, 64, 1, 1],
       "swizzle": "128B"}
    ]}]
})json";

std::string editTma(const std::string &from, const std::string &to) {
  std::string s = kTmaManifest;
  size_t pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  return pos == std::string::npos ? s : s.replace(pos, from.size(), to);
}

TEST(KernelManifest, TensorMapParams) {
  attn_kernel_status st;
  ManifestPtr m = parse(kTmaManifest, &st);
  ASSERT_EQ(st, ATTN_KERNEL_OK) << attn_kernel_last_error();
  attn_kernel_param_info p;
  ASSERT_EQ(attn_kernel_manifest_param(m.get(), "k", 0, &p), ATTN_KERNEL_OK);
  EXPECT_EQ(p.kind, ATTN_KERNEL_PARAM_POINTER);
  EXPECT_EQ(p.map_rank, 0);
  ASSERT_EQ(attn_kernel_manifest_param(m.get(), "k", 2, &p), ATTN_KERNEL_OK);
  EXPECT_EQ(p.kind, ATTN_KERNEL_PARAM_TENSOR_MAP);
  EXPECT_STREQ(p.name, "key_tensor_map");
  EXPECT_STREQ(p.dtype, "f16");
  EXPECT_EQ(p.bytes, 128u);
  EXPECT_EQ(p.written, 0);
  EXPECT_EQ(p.tensor_index, 0);
  ASSERT_EQ(p.map_rank, 4);
  EXPECT_EQ(p.map_dims[0], 64u);
  EXPECT_EQ(p.map_dims[1], 200u);
  EXPECT_EQ(p.map_strides[2], 51200u);
  EXPECT_EQ(p.map_box[1], 64u);
  EXPECT_EQ(p.map_swizzle_bytes, 128u);

  // Tensor maps: NULL (encoded at launch) or a 64-byte aligned host map;
  // their `bytes` entry is not a buffer size.
  alignas(64) char buf[2][64];
  alignas(64) char map[128 + 64];
  void *ptrs[3] = {buf[0], buf[1], nullptr};
  uint64_t bytes[3] = {51200, 51200, 0};
  EXPECT_EQ(attn_kernel_manifest_check_launch(m.get(), "k", nullptr, nullptr,
                                              ptrs, bytes, 3),
            ATTN_KERNEL_OK)
      << attn_kernel_last_error();
  ptrs[2] = map;
  EXPECT_EQ(attn_kernel_manifest_check_launch(m.get(), "k", nullptr, nullptr,
                                              ptrs, bytes, 3),
            ATTN_KERNEL_OK);
  ptrs[2] = map + 16;
  EXPECT_EQ(attn_kernel_manifest_check_launch(m.get(), "k", nullptr, nullptr,
                                              ptrs, bytes, 3),
            ATTN_KERNEL_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attn_kernel_last_error(),
               "kernel 'k': tensor map #2 ('key_tensor_map') is not 64-byte "
               "aligned");
}

TEST(KernelManifest, BadTensorMaps) {
  const std::string where = "kernel 'k' param #2: ";
  expectManifestError(editTma("\"tensor\": \"key\"", "\"tensor\": \"kee\""),
                      "tensor map 'key_tensor_map': no pointer parameter "
                      "named 'kee'");
  expectManifestError(
      editTma("\"dtype\": \"f16\",\n       \"name\": \"key_tensor_map\"",
              "\"dtype\": \"bf16\",\n       \"name\": \"key_tensor_map\""),
      "dtype bf16 differs from 'key' (f16)");
  expectManifestError(
      editTma("\"box\": [64, 64, 1, 1]", "\"box\": [64, 64, 1]"),
      where + "expected \"dims\" and \"box\" of one rank");
  expectManifestError(
      editTma("\"box\": [64, 64, 1, 1]", "\"box\": [64, 512, 1, 1]"),
      where + "expected \"box\" entries in [1, 256]");
  expectManifestError(editTma("\"swizzle\": \"128B\"", "\"swizzle\": \"256B\""),
                      where + "expected swizzle \"none\", \"32B\", \"64B\" or "
                              "\"128B\", got \"256B\"");
  expectManifestError(editTma("\"strides\": [128, 25600, 51200]",
                              "\"strides\": [8, 25600, 51200]"),
                      where + "expected \"strides\" entries in [16,");
  expectManifestError(editTma("\"strides\": [128, 25600, 51200]",
                              "\"strides\": [136, 25600, 51200]"),
                      where +
                          "expected strides that are multiples of 16 bytes");
  expectManifestError(
      editTma("\"dims\": [64, 200, 2, 1]", "\"dims\": [64, 201, 2, 1]"),
      "tensor map 'key_tensor_map': covers more bytes than "
      "'key' has (51200)");
  expectManifestError(editTma("\"bytes\": 128", "\"bytes\": 64"),
                      where + "expected a tensor map of 128 bytes");
  expectManifestError(editTma("\"access\": \"read\", \"bytes\": 128",
                              "\"access\": \"readwrite\", \"bytes\": 128"),
                      where + "expected access \"read\" for a tensor map");
}

TEST(KernelManifest, LoadFromFile) {
  attn_kernel_manifest *m = nullptr;
  EXPECT_EQ(attn_kernel_manifest_load("/nonexistent/dir/m.json", &m),
            ATTN_KERNEL_ERROR_IO);
  EXPECT_EQ(m, nullptr);
  EXPECT_NE(std::string(attn_kernel_last_error())
                .find("cannot read manifest '/nonexistent/dir/m.json'"),
            std::string::npos);
  EXPECT_EQ(attn_kernel_manifest_load(nullptr, &m),
            ATTN_KERNEL_ERROR_INVALID_ARGUMENT);

  std::string path = testing::TempDir() + "attn_kernels_test.json";
  std::ofstream(path) << kManifest;
  ASSERT_EQ(attn_kernel_manifest_load(path.c_str(), &m), ATTN_KERNEL_OK)
      << attn_kernel_last_error();
  EXPECT_EQ(attn_kernel_manifest_num_kernels(m), 2);
  attn_kernel_manifest_free(m);
  std::remove(path.c_str());
}

TEST(KernelModule, GpuCallsFailCleanlyWithoutAGpu) {
  // The kernel files do not exist: with CUDA and a GPU this fails reading
  // them; without a driver or without CUDA support it fails before.
  std::string path = testing::TempDir() + "attn_kernels_module_test.json";
  std::ofstream(path) << kManifest;
  attn_kernel_module *mod = nullptr;
  attn_kernel_status st = attn_kernel_module_load(path.c_str(), &mod);
  std::remove(path.c_str());
  EXPECT_NE(st, ATTN_KERNEL_OK);
  EXPECT_EQ(mod, nullptr);
  EXPECT_STRNE(attn_kernel_last_error(), "");
  if (!attn_kernel_built_with_cuda()) {
    EXPECT_EQ(st, ATTN_KERNEL_ERROR_NO_CUDA);
    EXPECT_NE(std::string(attn_kernel_last_error()).find("built without CUDA"),
              std::string::npos);
  } else {
    EXPECT_TRUE(st == ATTN_KERNEL_ERROR_NO_CUDA ||
                st == ATTN_KERNEL_ERROR_CUDA || st == ATTN_KERNEL_ERROR_IO)
        << st << ": " << attn_kernel_last_error();
  }

  const char image[] = "not a cubin";
  st = attn_kernel_module_load_image(kManifest, std::string(kManifest).size(),
                                     "gqa_kernel", image, &mod);
  EXPECT_NE(st, ATTN_KERNEL_OK);
  EXPECT_EQ(mod, nullptr);
  if (!attn_kernel_built_with_cuda()) {
    EXPECT_EQ(st, ATTN_KERNEL_ERROR_NO_CUDA);
  }
  EXPECT_EQ(attn_kernel_module_load_image(
                kManifest, std::string(kManifest).size(), "nope", image, &mod),
            ATTN_KERNEL_ERROR_NOT_FOUND);
  EXPECT_EQ(attn_kernel_module_load_image("{", 1, "gqa_kernel", image, &mod),
            ATTN_KERNEL_ERROR_MANIFEST);

  // NULL arguments.
  EXPECT_EQ(attn_kernel_module_load(nullptr, &mod),
            ATTN_KERNEL_ERROR_INVALID_ARGUMENT);
  attn_kernel *kernel = nullptr;
  EXPECT_EQ(attn_kernel_get(nullptr, "gqa_kernel", &kernel),
            ATTN_KERNEL_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(attn_kernel_launch(nullptr, nullptr, nullptr, nullptr, nullptr,
                               nullptr, 0),
            ATTN_KERNEL_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attn_kernel_last_error(), "attn_kernel_launch: kernel is NULL");
  attn_kernel_module_free(nullptr);
}

} // namespace
