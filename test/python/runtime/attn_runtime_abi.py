"""The attn runtime's C ABI (runtime/include/attn/runtime/attn_runtime.h) for
ctypes: enum values and the structs the C API passes by pointer. Shared by
the runtime's format tests and the end-to-end tests.
"""

import ctypes

# attn_dtype_t, attn_layout_t, attn_quant_granularity_t, attn_memory_kind_t.
F32, F16, BF16, INT8, FP8_E4M3FN, FP8_E5M2 = range(6)
NHD, HND = 0, 1
QUANT_NONE, QUANT_PER_TENSOR, QUANT_PER_HEAD, QUANT_PER_TOKEN = range(4)
MEMORY_CPU, MEMORY_CUDA = 0, 1

# attn_status_t.
OK, ERR_INVALID_ARGUMENT, ERR_OUT_OF_BLOCKS, ERR_UNKNOWN_SEQUENCE = range(4)
ERR_DIM_MISMATCH, ERR_BAD_SCALE, ERR_BAD_BLOCK_SIZE = 4, 5, 6


class Config(ctypes.Structure):
    _fields_ = [
        ("num_layers", ctypes.c_int32),
        ("num_kv_heads", ctypes.c_int32),
        ("head_dim", ctypes.c_int32),
        ("block_size", ctypes.c_int32),
        ("num_blocks", ctypes.c_int32),
        ("layout", ctypes.c_int),
        ("dtype", ctypes.c_int),
        ("granularity", ctypes.c_int),
        ("asymmetric", ctypes.c_int32),
        ("memory", ctypes.c_int),
        ("device_id", ctypes.c_int32),
        ("k_scales", ctypes.POINTER(ctypes.c_float)),
        ("v_scales", ctypes.POINTER(ctypes.c_float)),
        ("k_zero_points", ctypes.POINTER(ctypes.c_int32)),
        ("v_zero_points", ctypes.POINTER(ctypes.c_int32)),
    ]


class LayerView(ctypes.Structure):
    _fields_ = [
        ("k_pool", ctypes.c_void_p),
        ("v_pool", ctypes.c_void_p),
        ("k_scale", ctypes.POINTER(ctypes.c_float)),
        ("v_scale", ctypes.POINTER(ctypes.c_float)),
        ("k_zero_point", ctypes.POINTER(ctypes.c_int32)),
        ("v_zero_point", ctypes.POINTER(ctypes.c_int32)),
        ("pool_elements", ctypes.c_int64),
        ("memory", ctypes.c_int32),
    ]
