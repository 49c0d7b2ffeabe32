//===- CudaDriver.cpp - the CUDA driver API, opened at run time -----------===//

#include "CudaDriver.h"

#include <dlfcn.h>

namespace attn {
namespace runtime {
namespace cuda {

namespace {
template <typename F> bool sym(void *lib, const char *name, F &out) {
  out = reinterpret_cast<F>(dlsym(lib, name));
  return out != nullptr;
}
} // namespace

const Driver &driver() {
  static const Driver d = [] {
    Driver d;
    void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      d.error = "the CUDA driver (libcuda.so.1) cannot be loaded: no NVIDIA "
                "driver on this machine";
      return d;
    }
    if (!sym(lib, "cuInit", d.init) ||
        !sym(lib, "cuGetErrorString", d.getErrorString)) {
      d.error = "libcuda.so.1 lacks cuInit or cuGetErrorString: not a CUDA "
                "driver";
      return d;
    }
    // The _v2 names are what cuda.h maps the plain names to.
    sym(lib, "cuDeviceGetCount", d.deviceGetCount);
    sym(lib, "cuDeviceGet", d.deviceGet);
    sym(lib, "cuDevicePrimaryCtxRetain", d.primaryCtxRetain);
    if (!sym(lib, "cuDevicePrimaryCtxRelease_v2", d.primaryCtxRelease))
      sym(lib, "cuDevicePrimaryCtxRelease", d.primaryCtxRelease);
    sym(lib, "cuCtxGetCurrent", d.ctxGetCurrent);
    sym(lib, "cuCtxSetCurrent", d.ctxSetCurrent);
    sym(lib, "cuCtxPushCurrent_v2", d.ctxPushCurrent);
    sym(lib, "cuCtxPopCurrent_v2", d.ctxPopCurrent);
    sym(lib, "cuCtxSynchronize", d.ctxSynchronize);
    sym(lib, "cuMemAlloc_v2", d.memAlloc);
    sym(lib, "cuMemFree_v2", d.memFree);
    sym(lib, "cuMemsetD8_v2", d.memsetD8);
    sym(lib, "cuMemcpyHtoD_v2", d.memcpyHtoD);
    sym(lib, "cuMemcpyDtoH_v2", d.memcpyDtoH);
    sym(lib, "cuMemcpyDtoD_v2", d.memcpyDtoD);
    sym(lib, "cuPointerGetAttribute", d.pointerGetAttribute);
    sym(lib, "cuModuleLoadData", d.moduleLoadData);
    sym(lib, "cuModuleUnload", d.moduleUnload);
    sym(lib, "cuModuleGetFunction", d.moduleGetFunction);
    sym(lib, "cuFuncSetAttribute", d.funcSetAttribute);
    sym(lib, "cuTensorMapEncodeTiled", d.tensorMapEncodeTiled);
    sym(lib, "cuLaunchKernel", d.launchKernel);
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

} // namespace cuda
} // namespace runtime
} // namespace attn
