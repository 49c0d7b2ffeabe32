//===- CudaDriver.h - the CUDA driver API, opened at run time ---*- C++ -*-===//
//
// libcuda.so.1 is opened with dlopen, once, on first use: nothing in the
// runtime links against CUDA or needs the toolkit's headers to build. The
// types and constants below mirror cuda.h (the driver's stable ABI; the
// unit tests compare them with cuda.h where the toolkit is installed).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_LIB_CUDADRIVER_H
#define ATTN_RUNTIME_LIB_CUDADRIVER_H

#include <cstddef>
#include <cstdint>
#include <string>

namespace attn {
namespace runtime {
namespace cuda {

// From cuda.h.
using CUresult = int;
using CUdevice = int;
using CUcontext = void *;
using CUdeviceptr = unsigned long long;
using CUmodule = void *;
using CUfunction = void *;
using CUstream = void *;
using cuuint32_t = std::uint32_t;
using cuuint64_t = std::uint64_t;
/// CUtensorMap: 128 opaque bytes, 128-byte aligned (CUDA 13's cuda.h; 12
/// asked for 64).
struct alignas(128) CUtensorMap {
  cuuint64_t opaque[16];
};

constexpr CUresult kSuccess = 0;            // CUDA_SUCCESS
constexpr int kPointerAttributeContext = 1; // CU_POINTER_ATTRIBUTE_CONTEXT
constexpr int kPointerAttributeDeviceOrdinal = 9; // ..._DEVICE_ORDINAL
/// CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES
constexpr int kFuncAttributeMaxDynamicSharedSizeBytes = 8;
/// CUtensorMapDataType values.
constexpr int kTensorMapDataTypeUint8 = 0;
constexpr int kTensorMapDataTypeInt32 = 3;
constexpr int kTensorMapDataTypeFloat16 = 6;
constexpr int kTensorMapDataTypeFloat32 = 7;
constexpr int kTensorMapDataTypeBfloat16 = 9;
constexpr int kTensorMapInterleaveNone = 0; // CU_TENSOR_MAP_INTERLEAVE_NONE
/// CUtensorMapSwizzle values.
constexpr int kTensorMapSwizzleNone = 0;
constexpr int kTensorMapSwizzle32B = 1;
constexpr int kTensorMapSwizzle64B = 2;
constexpr int kTensorMapSwizzle128B = 3;
constexpr int kTensorMapL2Promotion128B =
    2; // CU_TENSOR_MAP_L2_PROMOTION_L2_128B
constexpr int kTensorMapFloatOobFillNone = 0; // ..._FLOAT_OOB_FILL_NONE

/// The driver's entry points (enums passed as int, their C ABI). `loaded`
/// when libcuda.so.1 opened and has cuInit and cuGetErrorString; an entry
/// point the driver lacks stays null (each user checks the ones it needs).
struct Driver {
  bool loaded = false;
  /// Why the driver is not loaded.
  std::string error;
  CUresult (*init)(unsigned) = nullptr;
  CUresult (*getErrorString)(CUresult, const char **) = nullptr;
  CUresult (*deviceGetCount)(int *) = nullptr;
  CUresult (*deviceGet)(CUdevice *, int) = nullptr;
  CUresult (*primaryCtxRetain)(CUcontext *, CUdevice) = nullptr;
  CUresult (*primaryCtxRelease)(CUdevice) = nullptr;
  CUresult (*ctxGetCurrent)(CUcontext *) = nullptr;
  CUresult (*ctxSetCurrent)(CUcontext) = nullptr;
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
  CUresult (*moduleLoadData)(CUmodule *, const void *) = nullptr;
  CUresult (*moduleUnload)(CUmodule) = nullptr;
  CUresult (*moduleGetFunction)(CUfunction *, CUmodule, const char *) = nullptr;
  CUresult (*funcSetAttribute)(CUfunction, int, int) = nullptr;
  /// CUDA 12 and newer; kernels with tensor maps need it.
  CUresult (*tensorMapEncodeTiled)(CUtensorMap *, int, cuuint32_t, void *,
                                   const cuuint64_t *, const cuuint64_t *,
                                   const cuuint32_t *, const cuuint32_t *, int,
                                   int, int, int) = nullptr;
  CUresult (*launchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned,
                           unsigned, unsigned, unsigned, CUstream, void **,
                           void **) = nullptr;
};

/// The driver, opened on the first call.
const Driver &driver();

/// "MESSAGE (CUresult N)" for `rc`.
std::string describe(CUresult rc);

} // namespace cuda
} // namespace runtime
} // namespace attn

#endif // ATTN_RUNTIME_LIB_CUDADRIVER_H
