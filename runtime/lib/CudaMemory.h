//===- CudaMemory.h - CUDA device memory through the driver API -*- C++ -*-===//
//
// Device allocation and copies for the CUDA memory pool and device-resident
// append sources. The CUDA driver (libcuda.so.1) is opened with dlopen the
// first time it is needed, as the kernel loader does, so the runtime has no
// link-time dependency on CUDA and runs where there is no driver: every call
// then throws Error(ATTN_ERR_UNSUPPORTED) with a message that says so.
//
// The few driver types and entry points used here are declared in
// CudaMemory.cpp (their ABI is stable), so this part builds without the CUDA
// toolkit. Internal to the runtime; not installed.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_LIB_CUDAMEMORY_H
#define ATTN_RUNTIME_LIB_CUDAMEMORY_H

#include <cstddef>
#include <cstdint>
#include <string>

namespace attn {
namespace runtime {
namespace cuda {

/// Whether libcuda.so.1 loads, cuInit succeeds and there is a device. Never
/// throws.
bool available();

/// A device allocation in the primary context of one device (the context the
/// CUDA runtime API uses, so the pointers work with cudaMemcpy and kernels
/// launched through either API). All methods throw Error.
class DeviceMemory {
public:
  /// Allocates `bytes` zero-filled bytes on device ordinal `device`.
  DeviceMemory(int device, size_t bytes);
  ~DeviceMemory();
  DeviceMemory(const DeviceMemory &) = delete;
  DeviceMemory &operator=(const DeviceMemory &) = delete;

  void *data() const { return reinterpret_cast<void *>(ptr); }
  void toDevice(size_t offset, const void *src, size_t n);
  void toHost(size_t offset, void *dst, size_t n) const;
  void within(size_t dstOffset, size_t srcOffset, size_t n);

private:
  int device;
  void *ctx = nullptr; ///< retained primary context (CUcontext)
  uint64_t ptr = 0;    ///< CUdeviceptr
};

/// Copies n bytes from device (or managed) memory at `src` to host memory at
/// `dst`, in the context that owns `src`. Throws Error: ATTN_ERR_UNSUPPORTED
/// without a driver, ATTN_ERR_INVALID_ARGUMENT when `src` is not memory the
/// driver knows (`what` names it in the message), ATTN_ERR_DEVICE when the
/// copy fails.
void copyToHost(void *dst, const void *src, size_t n, const std::string &what);

} // namespace cuda
} // namespace runtime
} // namespace attn

#endif // ATTN_RUNTIME_LIB_CUDAMEMORY_H
