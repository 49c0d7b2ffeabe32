//===- Buffer.cpp - Host and CUDA device buffers --------------------------===//
//
// CUDA support (ATTN_RUNTIME_HAS_CUDA) uses the CUDA runtime API for
// allocation and copies only; no kernels are compiled here.
//
//===----------------------------------------------------------------------===//

#include "attn/runtime/KVCache.h"

#include <cstdlib>
#include <cstring>
#include <new>

#ifdef ATTN_RUNTIME_HAS_CUDA
#include <cuda_runtime_api.h>
#endif

namespace attn {
namespace runtime {

namespace {

class HostBuffer : public Buffer {
public:
  explicit HostBuffer(size_t bytes) : bytes(bytes) {
    // 256-byte alignment so every pool starts at a vector-friendly address.
    size_t rounded = (bytes + 255) / 256 * 256;
    ptr = static_cast<uint8_t *>(
        std::aligned_alloc(256, rounded ? rounded : 256));
    if (!ptr)
      throw Error(ATTN_ERR_OUT_OF_MEMORY, "host allocation of " +
                                              std::to_string(bytes) +
                                              " bytes failed");
    std::memset(ptr, 0, bytes);
  }
  ~HostBuffer() override { std::free(ptr); }
  void *data() const override { return ptr; }
  size_t size() const override { return bytes; }
  void write(size_t offset, const void *src, size_t n) override {
    std::memcpy(ptr + offset, src, n);
  }
  void read(size_t offset, void *dst, size_t n) const override {
    std::memcpy(dst, ptr + offset, n);
  }
  void copy(size_t dstOffset, size_t srcOffset, size_t n) override {
    std::memmove(ptr + dstOffset, ptr + srcOffset, n);
  }

private:
  uint8_t *ptr = nullptr;
  size_t bytes;
};

#ifdef ATTN_RUNTIME_HAS_CUDA
void cudaCheck(cudaError_t err, const char *what) {
  if (err != cudaSuccess)
    throw Error(ATTN_ERR_DEVICE,
                std::string(what) + " failed: " + cudaGetErrorString(err));
}

class DeviceBuffer : public Buffer {
public:
  DeviceBuffer(int device, size_t bytes) : device(device), bytes(bytes) {
    int count = 0;
    cudaCheck(cudaGetDeviceCount(&count), "cudaGetDeviceCount");
    if (device < 0 || device >= count)
      throw Error(ATTN_ERR_INVALID_ARGUMENT,
                  "CUDA device " + std::to_string(device) + " not present (" +
                      std::to_string(count) + " devices)");
    cudaCheck(cudaSetDevice(device), "cudaSetDevice");
    cudaCheck(cudaMalloc(&ptr, bytes ? bytes : 1), "cudaMalloc");
    cudaError_t err = cudaMemset(ptr, 0, bytes);
    if (err != cudaSuccess) {
      cudaFree(ptr);
      cudaCheck(err, "cudaMemset");
    }
  }
  ~DeviceBuffer() override {
    cudaSetDevice(device);
    cudaFree(ptr);
  }
  void *data() const override { return ptr; }
  size_t size() const override { return bytes; }
  void write(size_t offset, const void *src, size_t n) override {
    cudaCheck(cudaSetDevice(device), "cudaSetDevice");
    cudaCheck(cudaMemcpy(static_cast<uint8_t *>(ptr) + offset, src, n,
                         cudaMemcpyHostToDevice),
              "cudaMemcpy H2D");
  }
  void read(size_t offset, void *dst, size_t n) const override {
    cudaCheck(cudaSetDevice(device), "cudaSetDevice");
    cudaCheck(cudaMemcpy(dst, static_cast<const uint8_t *>(ptr) + offset, n,
                         cudaMemcpyDeviceToHost),
              "cudaMemcpy D2H");
  }
  void copy(size_t dstOffset, size_t srcOffset, size_t n) override {
    cudaCheck(cudaSetDevice(device), "cudaSetDevice");
    cudaCheck(cudaMemcpy(static_cast<uint8_t *>(ptr) + dstOffset,
                         static_cast<const uint8_t *>(ptr) + srcOffset, n,
                         cudaMemcpyDeviceToDevice),
              "cudaMemcpy D2D");
  }

private:
  int device;
  void *ptr = nullptr;
  size_t bytes;
};
#endif

} // namespace

std::unique_ptr<Buffer> Buffer::create(attn_memory_kind_t kind, int device,
                                       size_t bytes) {
  if (kind == ATTN_MEMORY_CPU)
    return std::make_unique<HostBuffer>(bytes);
  if (kind == ATTN_MEMORY_CUDA) {
#ifdef ATTN_RUNTIME_HAS_CUDA
    return std::make_unique<DeviceBuffer>(device, bytes);
#else
    (void)device;
    throw Error(
        ATTN_ERR_UNSUPPORTED,
        "CUDA memory requested but attn_runtime was built without CUDA");
#endif
  }
  throw Error(ATTN_ERR_INVALID_ARGUMENT, "unknown memory kind");
}

} // namespace runtime
} // namespace attn
