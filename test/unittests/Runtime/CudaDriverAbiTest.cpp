//===- CudaDriverAbiTest.cpp - the runtime's mirror of cuda.h -------------===//
//
// The runtime builds without the CUDA toolkit: it declares the few driver
// types and constants it uses itself (runtime/lib/CudaDriver.h). Where the
// toolkit is installed, this test compares them with cuda.h.
//
//===----------------------------------------------------------------------===//

#include "CudaDriver.h"

#include <cuda.h>

#include <gtest/gtest.h>

namespace rt = attn::runtime::cuda;

static_assert(sizeof(rt::CUtensorMap) == sizeof(CUtensorMap));
static_assert(alignof(rt::CUtensorMap) == alignof(CUtensorMap));
static_assert(sizeof(rt::CUresult) == sizeof(CUresult));
static_assert(sizeof(rt::CUdevice) == sizeof(CUdevice));
static_assert(sizeof(rt::CUdeviceptr) == sizeof(CUdeviceptr));
static_assert(sizeof(rt::CUcontext) == sizeof(CUcontext));
static_assert(sizeof(rt::CUmodule) == sizeof(CUmodule));
static_assert(sizeof(rt::CUfunction) == sizeof(CUfunction));
static_assert(sizeof(rt::CUstream) == sizeof(CUstream));
static_assert(sizeof(int) == sizeof(CUtensorMapDataType) &&
              sizeof(int) == sizeof(CUfunction_attribute));
static_assert(rt::kSuccess == CUDA_SUCCESS);
static_assert(rt::kPointerAttributeContext == CU_POINTER_ATTRIBUTE_CONTEXT);
static_assert(rt::kPointerAttributeDeviceOrdinal ==
              CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL);
static_assert(rt::kFuncAttributeMaxDynamicSharedSizeBytes ==
              CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES);
static_assert(rt::kTensorMapDataTypeUint8 == CU_TENSOR_MAP_DATA_TYPE_UINT8);
static_assert(rt::kTensorMapDataTypeInt32 == CU_TENSOR_MAP_DATA_TYPE_INT32);
static_assert(rt::kTensorMapDataTypeFloat16 == CU_TENSOR_MAP_DATA_TYPE_FLOAT16);
static_assert(rt::kTensorMapDataTypeFloat32 == CU_TENSOR_MAP_DATA_TYPE_FLOAT32);
static_assert(rt::kTensorMapDataTypeBfloat16 ==
              CU_TENSOR_MAP_DATA_TYPE_BFLOAT16);
static_assert(rt::kTensorMapInterleaveNone == CU_TENSOR_MAP_INTERLEAVE_NONE);
static_assert(rt::kTensorMapSwizzleNone == CU_TENSOR_MAP_SWIZZLE_NONE);
static_assert(rt::kTensorMapSwizzle32B == CU_TENSOR_MAP_SWIZZLE_32B);
static_assert(rt::kTensorMapSwizzle64B == CU_TENSOR_MAP_SWIZZLE_64B);
static_assert(rt::kTensorMapSwizzle128B == CU_TENSOR_MAP_SWIZZLE_128B);
static_assert(rt::kTensorMapL2Promotion128B ==
              CU_TENSOR_MAP_L2_PROMOTION_L2_128B);
static_assert(rt::kTensorMapFloatOobFillNone ==
              CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);

TEST(CudaDriverAbi, MatchesCudaH) {
  // The checks are the static_asserts above; this records the toolkit they
  // ran against.
  EXPECT_GE(CUDA_VERSION, 12000);
}
