//===- FakeCudaDriver.cpp - a host-memory stand-in for libcuda.so.1 -------===//
//
// Built as libcuda.so.1 in a directory of its own; the fake_cuda_driver test
// puts that directory on LD_LIBRARY_PATH so the runtime's dlopen finds it and
// its CUDA-memory code (lib/CudaMemory.cpp) runs on machines without a GPU.
// "Device memory" is host memory the fake hands out and tracks, so a host
// pointer passed as device memory is rejected as the real driver rejects it.
// At exit it fails the process if an allocation, a context retain or a
// pushed context was left behind.
//
// Only the entry points CudaMemory.cpp uses, with the driver's ABI: CUresult
// and CUdevice are int, CUcontext a pointer, CUdeviceptr 64 bits.
//
//===----------------------------------------------------------------------===//

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

namespace {

using CUresult = int;
using CUdeviceptr = unsigned long long;
constexpr CUresult kSuccess = 0, kInvalidValue = 1, kNotInitialized = 3,
                   kInvalidDevice = 101, kInvalidContext = 201;

std::mutex mu;
bool initialized = false;
int retains = 0;
char context; // the one device's primary context
std::map<CUdeviceptr, size_t> allocations;
thread_local std::vector<void *> stack;

bool owned(CUdeviceptr p, size_t n) {
  auto it = allocations.upper_bound(p);
  if (it == allocations.begin())
    return false;
  --it;
  return p >= it->first && p - it->first + n <= it->second;
}

/// Checks a copy's device range and that a context is current.
CUresult deviceRange(CUdeviceptr p, size_t n) {
  if (stack.empty())
    return kInvalidContext;
  std::lock_guard<std::mutex> lock(mu);
  return owned(p, n) ? kSuccess : kInvalidValue;
}

struct LeakCheck {
  ~LeakCheck() {
    if (!allocations.empty() || retains != 0 || !stack.empty()) {
      std::fprintf(stderr,
                   "fake libcuda: %zu allocations, %d primary context "
                   "retains and %zu pushed contexts left at exit\n",
                   allocations.size(), retains, stack.size());
      std::_Exit(1);
    }
  }
} leakCheck;

} // namespace

extern "C" {

__attribute__((visibility("default"))) CUresult cuInit(unsigned flags) {
  if (flags != 0)
    return kInvalidValue;
  initialized = true;
  return kSuccess;
}

__attribute__((visibility("default"))) CUresult
cuGetErrorString(CUresult rc, const char **out) {
  *out = rc == kInvalidValue ? "invalid argument (fake driver)"
                             : "error (fake driver)";
  return kSuccess;
}

__attribute__((visibility("default"))) CUresult cuDeviceGetCount(int *count) {
  if (!initialized)
    return kNotInitialized;
  *count = 1;
  return kSuccess;
}

__attribute__((visibility("default"))) CUresult cuDeviceGet(int *dev,
                                                            int ordinal) {
  if (ordinal != 0)
    return kInvalidDevice;
  *dev = 0;
  return kSuccess;
}

__attribute__((visibility("default"))) CUresult
cuDevicePrimaryCtxRetain(void **ctx, int dev) {
  if (dev != 0)
    return kInvalidDevice;
  std::lock_guard<std::mutex> lock(mu);
  ++retains;
  *ctx = &context;
  return kSuccess;
}

__attribute__((visibility("default"))) CUresult
cuDevicePrimaryCtxRelease_v2(int dev) {
  std::lock_guard<std::mutex> lock(mu);
  if (dev != 0 || retains == 0)
    return kInvalidValue;
  --retains;
  return kSuccess;
}

__attribute__((visibility("default"))) CUresult cuCtxPushCurrent_v2(void *c) {
  if (c != &context)
    return kInvalidContext;
  stack.push_back(c);
  return kSuccess;
}

__attribute__((visibility("default"))) CUresult cuCtxPopCurrent_v2(void **c) {
  if (stack.empty())
    return kInvalidContext;
  if (c)
    *c = stack.back();
  stack.pop_back();
  return kSuccess;
}

__attribute__((visibility("default"))) CUresult cuCtxSynchronize() {
  return stack.empty() ? kInvalidContext : kSuccess;
}

__attribute__((visibility("default"))) CUresult cuMemAlloc_v2(CUdeviceptr *p,
                                                              size_t n) {
  if (stack.empty())
    return kInvalidContext;
  if (n == 0)
    return kInvalidValue;
  void *m = std::malloc(n);
  if (!m)
    return 2;              // CUDA_ERROR_OUT_OF_MEMORY
  std::memset(m, 0xa5, n); // not zero: the runtime must clear pools
  std::lock_guard<std::mutex> lock(mu);
  *p = reinterpret_cast<CUdeviceptr>(m);
  allocations[*p] = n;
  return kSuccess;
}

__attribute__((visibility("default"))) CUresult cuMemFree_v2(CUdeviceptr p) {
  if (stack.empty())
    return kInvalidContext;
  std::lock_guard<std::mutex> lock(mu);
  auto it = allocations.find(p);
  if (it == allocations.end())
    return kInvalidValue;
  std::free(reinterpret_cast<void *>(p));
  allocations.erase(it);
  return kSuccess;
}

__attribute__((visibility("default"))) CUresult
cuMemsetD8_v2(CUdeviceptr p, unsigned char value, size_t n) {
  if (CUresult rc = deviceRange(p, n))
    return rc;
  std::memset(reinterpret_cast<void *>(p), value, n);
  return kSuccess;
}

__attribute__((visibility("default"))) CUresult
cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src, size_t n) {
  if (CUresult rc = deviceRange(dst, n))
    return rc;
  std::memcpy(reinterpret_cast<void *>(dst), src, n);
  return kSuccess;
}

__attribute__((visibility("default"))) CUresult
cuMemcpyDtoH_v2(void *dst, CUdeviceptr src, size_t n) {
  if (CUresult rc = deviceRange(src, n))
    return rc;
  std::memcpy(dst, reinterpret_cast<const void *>(src), n);
  return kSuccess;
}

__attribute__((visibility("default"))) CUresult
cuMemcpyDtoD_v2(CUdeviceptr dst, CUdeviceptr src, size_t n) {
  if (CUresult rc = deviceRange(dst, n))
    return rc;
  if (CUresult rc = deviceRange(src, n))
    return rc;
  std::memmove(reinterpret_cast<void *>(dst),
               reinterpret_cast<const void *>(src), n);
  return kSuccess;
}

__attribute__((visibility("default"))) CUresult
cuPointerGetAttribute(void *out, int attribute, CUdeviceptr p) {
  std::lock_guard<std::mutex> lock(mu);
  if (!initialized || !owned(p, 1))
    return kInvalidValue;
  if (attribute == 1) { // CU_POINTER_ATTRIBUTE_CONTEXT
    *static_cast<void **>(out) = &context;
    return kSuccess;
  }
  if (attribute == 9) { // CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL
    *static_cast<int *>(out) = 0;
    return kSuccess;
  }
  return kInvalidValue;
}

} // extern "C"
