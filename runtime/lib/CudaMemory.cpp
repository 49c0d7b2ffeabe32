//===- CudaMemory.cpp - CUDA device memory through the driver API ---------===//
//
// libcuda.so.1 is opened with dlopen (once, on first use); nothing here links
// against CUDA. The driver types below mirror cuda.h; only their ABI is used.
//
//===----------------------------------------------------------------------===//

#include "CudaMemory.h"

#include "attn/runtime/KVCache.h"

#include <dlfcn.h>

namespace attn {
namespace runtime {
namespace cuda {

namespace {

// From cuda.h (stable driver ABI).
using CUresult = int;
using CUdevice = int;
using CUcontext = void *;
using CUdeviceptr = unsigned long long;
constexpr CUresult kSuccess = 0;
constexpr int kPointerAttributeContext = 1; // CU_POINTER_ATTRIBUTE_CONTEXT
constexpr int kPointerAttributeDeviceOrdinal = 9; // ..._DEVICE_ORDINAL

struct Driver {
  bool loaded = false;
  std::string error;
  CUresult (*init)(unsigned) = nullptr;
  CUresult (*getErrorString)(CUresult, const char **) = nullptr;
  CUresult (*deviceGetCount)(int *) = nullptr;
  CUresult (*deviceGet)(CUdevice *, int) = nullptr;
  CUresult (*primaryCtxRetain)(CUcontext *, CUdevice) = nullptr;
  CUresult (*primaryCtxRelease)(CUdevice) = nullptr;
  CUresult (*ctxPushCurrent)(CUcontext) = nullptr;
  CUresult (*ctxPopCurrent)(CUcontext *) = nullptr;
  CUresult (*ctxSynchronize)() = nullptr;
  CUresult (*memAlloc)(CUdeviceptr *, size_t) = nullptr;
  CUresult (*memFree)(CUdeviceptr) = nullptr;
  CUresult (*memsetD8)(CUdeviceptr, unsigned char, size_t) = nullptr;
  CUresult (*memcpyHtoD)(CUdeviceptr, const void *, size_t) = nullptr;
  CUresult (*memcpyDtoH)(void *, CUdeviceptr, size_t) = nullptr;
  CUresult (*memcpyDtoD)(CUdeviceptr, CUdeviceptr, size_t) = nullptr;
  CUresult (*pointerGetAttribute)(void *, int, CUdeviceptr) = nullptr;
};

template <typename F> bool sym(void *lib, const char *name, F &out) {
  out = reinterpret_cast<F>(dlsym(lib, name));
  return out != nullptr;
}

const Driver &driver() {
  static const Driver d = [] {
    Driver d;
    void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      d.error = "CUDA memory needs the CUDA driver (libcuda.so.1), which "
                "cannot be loaded: no NVIDIA driver on this machine";
      return d;
    }
    // The _v2 names are what cuda.h maps the plain names to.
    bool ok = sym(lib, "cuInit", d.init) &&
              sym(lib, "cuGetErrorString", d.getErrorString) &&
              sym(lib, "cuDeviceGetCount", d.deviceGetCount) &&
              sym(lib, "cuDeviceGet", d.deviceGet) &&
              sym(lib, "cuDevicePrimaryCtxRetain", d.primaryCtxRetain) &&
              (sym(lib, "cuDevicePrimaryCtxRelease_v2", d.primaryCtxRelease) ||
               sym(lib, "cuDevicePrimaryCtxRelease", d.primaryCtxRelease)) &&
              sym(lib, "cuCtxPushCurrent_v2", d.ctxPushCurrent) &&
              sym(lib, "cuCtxPopCurrent_v2", d.ctxPopCurrent) &&
              sym(lib, "cuCtxSynchronize", d.ctxSynchronize) &&
              sym(lib, "cuMemAlloc_v2", d.memAlloc) &&
              sym(lib, "cuMemFree_v2", d.memFree) &&
              sym(lib, "cuMemsetD8_v2", d.memsetD8) &&
              sym(lib, "cuMemcpyHtoD_v2", d.memcpyHtoD) &&
              sym(lib, "cuMemcpyDtoH_v2", d.memcpyDtoH) &&
              sym(lib, "cuMemcpyDtoD_v2", d.memcpyDtoD) &&
              sym(lib, "cuPointerGetAttribute", d.pointerGetAttribute);
    if (!ok) {
      d.error = "the CUDA driver (libcuda.so.1) lacks an entry point CUDA "
                "memory needs (driver too old)";
      return d;
    }
    d.loaded = true;
    return d;
  }();
  return d;
}

std::string describe(CUresult rc) {
  const char *msg = nullptr;
  if (driver().getErrorString)
    driver().getErrorString(rc, &msg);
  return std::string(msg ? msg : "unknown error") + " (CUresult " +
         std::to_string(rc) + ")";
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
    throw Error(ATTN_ERR_UNSUPPORTED, d.error);
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
  if (!d.loaded || d.init(0) != kSuccess)
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
