//===- CudaMemory.cpp - CUDA device memory through the driver API ---------===//
//
// Through the driver that CudaDriver.h opens at run time; nothing here links
// against CUDA.
//
//===----------------------------------------------------------------------===//

#include "CudaMemory.h"

#include "CudaDriver.h"

#include "attn/runtime/KVCache.h"

namespace attn {
namespace runtime {
namespace cuda {

namespace {

/// Whether the driver has every entry point CUDA memory uses.
bool hasMemoryEntryPoints(const Driver &d) {
  return d.deviceGetCount && d.deviceGet && d.primaryCtxRetain &&
         d.primaryCtxRelease && d.ctxPushCurrent && d.ctxPopCurrent &&
         d.ctxSynchronize && d.memAlloc && d.memFree && d.memsetD8 &&
         d.memcpyHtoD && d.memcpyDtoH && d.memcpyDtoD && d.pointerGetAttribute;
}

void check(CUresult rc, const char *what) {
  if (rc != kSuccess)
    throw Error(ATTN_ERR_DEVICE,
                std::string(what) + " failed: " + describe(rc));
}

/// The loaded, initialised driver; throws when there is none.
const Driver &initDriver() {
  const Driver &d = driver();
  if (!d.loaded)
    throw Error(ATTN_ERR_UNSUPPORTED, "CUDA memory: " + d.error);
  if (!hasMemoryEntryPoints(d))
    throw Error(ATTN_ERR_UNSUPPORTED,
                "the CUDA driver (libcuda.so.1) lacks an entry point CUDA "
                "memory needs (driver too old)");
  check(d.init(0), "cuInit");
  return d;
}

/// Makes `ctx` current for the scope.
class ScopedContext {
public:
  explicit ScopedContext(CUcontext ctx) {
    check(driver().ctxPushCurrent(ctx), "cuCtxPushCurrent");
  }
  ~ScopedContext() {
    CUcontext old = nullptr;
    driver().ctxPopCurrent(&old);
  }
  ScopedContext(const ScopedContext &) = delete;
  ScopedContext &operator=(const ScopedContext &) = delete;
};

/// Retains the primary context of device ordinal `device`.
CUcontext retainPrimary(const Driver &d, int device) {
  int count = 0;
  check(d.deviceGetCount(&count), "cuDeviceGetCount");
  if (device < 0 || device >= count)
    throw Error(ATTN_ERR_INVALID_ARGUMENT,
                "CUDA device " + std::to_string(device) + " not present (" +
                    std::to_string(count) + " devices)");
  CUdevice dev = 0;
  check(d.deviceGet(&dev, device), "cuDeviceGet");
  CUcontext ctx = nullptr;
  check(d.primaryCtxRetain(&ctx, dev), "cuDevicePrimaryCtxRetain");
  return ctx;
}

void releasePrimary(const Driver &d, int device) {
  CUdevice dev = 0;
  if (d.deviceGet(&dev, device) == kSuccess)
    d.primaryCtxRelease(dev);
}

} // namespace

bool available() {
  const Driver &d = driver();
  if (!d.loaded || !hasMemoryEntryPoints(d) || d.init(0) != kSuccess)
    return false;
  int count = 0;
  return d.deviceGetCount(&count) == kSuccess && count > 0;
}

DeviceMemory::DeviceMemory(int device, size_t bytes) : device(device) {
  const Driver &d = initDriver();
  ctx = retainPrimary(d, device);
  try {
    ScopedContext scope(ctx);
    CUdeviceptr p = 0;
    check(d.memAlloc(&p, bytes ? bytes : 1), "cuMemAlloc");
    ptr = p;
    if (bytes) {
      check(d.memsetD8(p, 0, bytes), "cuMemsetD8");
      // The memset may run asynchronously; finish it before a kernel on
      // another stream can see the pool.
      check(d.ctxSynchronize(), "cuCtxSynchronize");
    }
  } catch (...) {
    if (ptr) {
      ScopedContext scope(ctx);
      d.memFree(ptr);
    }
    releasePrimary(d, device);
    throw;
  }
}

DeviceMemory::~DeviceMemory() {
  const Driver &d = driver();
  // Errors are ignored: at process exit the driver may already be shut down.
  if (d.ctxPushCurrent(ctx) == kSuccess) {
    d.memFree(ptr);
    CUcontext old = nullptr;
    d.ctxPopCurrent(&old);
  }
  releasePrimary(d, device);
}

void DeviceMemory::toDevice(size_t offset, const void *src, size_t n) {
  ScopedContext scope(ctx);
  check(driver().memcpyHtoD(ptr + offset, src, n), "cuMemcpyHtoD");
}

void DeviceMemory::toHost(size_t offset, void *dst, size_t n) const {
  ScopedContext scope(ctx);
  check(driver().memcpyDtoH(dst, ptr + offset, n), "cuMemcpyDtoH");
}

void DeviceMemory::within(size_t dstOffset, size_t srcOffset, size_t n) {
  ScopedContext scope(ctx);
  check(driver().memcpyDtoD(ptr + dstOffset, ptr + srcOffset, n),
        "cuMemcpyDtoD");
  // cuMemcpyDtoD may return before the copy is done; callers read the
  // destination with cuMemcpyDtoH (ordered after it) or hand it to kernels.
  check(driver().ctxSynchronize(), "cuCtxSynchronize");
}

void copyToHost(void *dst, const void *src, size_t n, const std::string &what) {
  const Driver &d = initDriver();
  const CUdeviceptr p = reinterpret_cast<CUdeviceptr>(src);
  CUcontext ctx = nullptr;
  CUresult rc = d.pointerGetAttribute(&ctx, kPointerAttributeContext, p);
  if (rc != kSuccess)
    throw Error(ATTN_ERR_INVALID_ARGUMENT,
                what + " is not CUDA device memory (cuPointerGetAttribute: " +
                    describe(rc) + ")");
  if (ctx) {
    ScopedContext scope(ctx);
    check(d.memcpyDtoH(dst, p, n), "cuMemcpyDtoH");
    return;
  }
  // Memory without an owning context (stream-ordered pools, some managed
  // allocations): copy in the primary context of its device.
  int ordinal = 0;
  check(d.pointerGetAttribute(&ordinal, kPointerAttributeDeviceOrdinal, p),
        "cuPointerGetAttribute(DEVICE_ORDINAL)");
  ctx = retainPrimary(d, ordinal);
  try {
    ScopedContext scope(ctx);
    check(d.memcpyDtoH(dst, p, n), "cuMemcpyDtoH");
  } catch (...) {
    releasePrimary(d, ordinal);
    throw;
  }
  releasePrimary(d, ordinal);
}

} // namespace cuda
} // namespace runtime
} // namespace attn
