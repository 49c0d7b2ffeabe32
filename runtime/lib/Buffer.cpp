//===- Buffer.cpp - Host and CUDA device buffers --------------------------===//
//
// CUDA device memory goes through the CUDA driver API, loaded at run time
// (CudaMemory.h); no kernels are compiled here.
//
//===----------------------------------------------------------------------===//

#include "attn/runtime/KVCache.h"

#include "CudaMemory.h"

#include <cstdlib>
#include <cstring>
#include <new>

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

class DeviceBuffer : public Buffer {
public:
  DeviceBuffer(int device, size_t bytes) : mem(device, bytes), bytes(bytes) {}
  void *data() const override { return mem.data(); }
  size_t size() const override { return bytes; }
  void write(size_t offset, const void *src, size_t n) override {
    mem.toDevice(offset, src, n);
  }
  void read(size_t offset, void *dst, size_t n) const override {
    mem.toHost(offset, dst, n);
  }
  void copy(size_t dstOffset, size_t srcOffset, size_t n) override {
    mem.within(dstOffset, srcOffset, n);
  }

private:
  cuda::DeviceMemory mem;
  size_t bytes;
};

} // namespace

std::unique_ptr<Buffer> Buffer::create(attn_memory_kind_t kind, int device,
                                       size_t bytes) {
  if (kind == ATTN_MEMORY_CPU)
    return std::make_unique<HostBuffer>(bytes);
  if (kind == ATTN_MEMORY_CUDA)
    return std::make_unique<DeviceBuffer>(device, bytes);
  throw Error(ATTN_ERR_INVALID_ARGUMENT, "unknown memory kind");
}

} // namespace runtime
} // namespace attn
