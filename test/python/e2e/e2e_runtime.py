"""ctypes binding of the attn runtime C API (runtime/include/attn/runtime/
attn_runtime.h), as far as the end-to-end tests need it.

Everything goes through the public C API: the pools and scale arrays are
copied out of the pointers `attn_kv_get_layer_view` returns, shaped as
docs/runtime/kv-cache-layout.md says; nothing reaches into private memory.
"""

import ctypes
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "runtime"))
from attn_runtime_abi import (  # noqa: E402,F401  (re-exported)
    BF16, F16, F32, FP8_E4M3FN, FP8_E5M2, HND, INT8, MEMORY_CPU, NHD, OK,
    QUANT_NONE, QUANT_PER_HEAD, QUANT_PER_TENSOR, QUANT_PER_TOKEN, Config,
    LayerView)

# Storage dtype -> (numpy dtype of the raw elements, bytes per element).
STORAGE_NUMPY = {
    F32: np.dtype("<f4"),
    F16: np.dtype("<f2"),
    BF16: np.dtype("<u2"),  # raw bits
    INT8: np.dtype("i1"),
    FP8_E4M3FN: np.dtype("u1"),  # raw codes; decode with ml_dtypes
    FP8_E5M2: np.dtype("u1"),
}


class Stats(ctypes.Structure):
    _fields_ = [
        ("num_blocks", ctypes.c_int64),
        ("free_blocks", ctypes.c_int64),
        ("used_blocks", ctypes.c_int64),
        ("shared_blocks", ctypes.c_int64),
        ("block_refs", ctypes.c_int64),
        ("num_sequences", ctypes.c_int64),
        ("logical_tokens", ctypes.c_int64),
        ("physical_tokens", ctypes.c_int64),
        ("fragmentation", ctypes.c_double),
    ]


class RuntimeError_(Exception):
    pass


def load(path):
    """Loads libattn_runtime.so and declares the signatures used here."""
    lib = ctypes.CDLL(path)
    vp, i64, i32 = ctypes.c_void_p, ctypes.c_int64, ctypes.c_int32
    fp = ctypes.POINTER(ctypes.c_float)
    i32p = ctypes.POINTER(ctypes.c_int32)
    i64p = ctypes.POINTER(ctypes.c_int64)
    sigs = {
        "attn_last_error_message": ([], ctypes.c_char_p),
        "attn_dtype_size": ([ctypes.c_int], ctypes.c_size_t),
        "attn_kv_cache_create": ([ctypes.POINTER(Config), ctypes.POINTER(vp)],
                                 ctypes.c_int),
        "attn_kv_cache_destroy": ([vp], None),
        "attn_kv_seq_create": ([vp, i64p], ctypes.c_int),
        "attn_kv_seq_fork": ([vp, i64, i64p], ctypes.c_int),
        "attn_kv_seq_free": ([vp, i64], ctypes.c_int),
        "attn_kv_append": ([vp, i64, i64, i32, i32, i32, fp, fp],
                           ctypes.c_int),
        "attn_kv_read": ([vp, i64, i32, i64, i64, fp, fp], ctypes.c_int),
        "attn_kv_get_stats": ([vp, ctypes.POINTER(Stats)], ctypes.c_int),
        "attn_kv_get_block_table": ([vp, i64p, i32, i32, i32p, i32p],
                                    ctypes.c_int),
        "attn_kv_get_layer_view": ([vp, i32, ctypes.POINTER(LayerView)],
                                   ctypes.c_int),
    }
    for name, (args, res) in sigs.items():
        fn = getattr(lib, name)
        fn.argtypes = args
        fn.restype = res
    return lib


def _ptr(a, ctype):
    return a.ctypes.data_as(ctypes.POINTER(ctype))


class KVCache:
    """One runtime cache (CPU memory)."""

    def __init__(self, lib, *, num_layers, num_kv_heads, head_dim, block_size,
                 num_blocks, layout, dtype, granularity=QUANT_NONE,
                 k_scales=None, v_scales=None):
        self.lib = lib
        self.L, self.Hkv, self.D = num_layers, num_kv_heads, head_dim
        self.BS, self.NB = block_size, num_blocks
        self.layout, self.dtype, self.granularity = layout, dtype, granularity
        # Keep the scale arrays alive while the config points at them.
        self._ks = None if k_scales is None else np.ascontiguousarray(
            k_scales, np.float32)
        self._vs = None if v_scales is None else np.ascontiguousarray(
            v_scales, np.float32)
        cfg = Config(num_layers=num_layers, num_kv_heads=num_kv_heads,
                     head_dim=head_dim, block_size=block_size,
                     num_blocks=num_blocks, layout=layout, dtype=dtype,
                     granularity=granularity, asymmetric=0, memory=MEMORY_CPU,
                     device_id=0)
        if self._ks is not None:
            cfg.k_scales = _ptr(self._ks, ctypes.c_float)
            cfg.v_scales = _ptr(self._vs, ctypes.c_float)
        handle = ctypes.c_void_p()
        self._check(lib.attn_kv_cache_create(ctypes.byref(cfg),
                                             ctypes.byref(handle)),
                    "attn_kv_cache_create")
        self.h = handle

    def close(self):
        if self.h:
            self.lib.attn_kv_cache_destroy(self.h)
            self.h = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _check(self, status, what):
        if status != OK:
            msg = self.lib.attn_last_error_message().decode()
            raise RuntimeError_(f"{what} failed with status {status}: {msg}")

    # Sequences -------------------------------------------------------------
    def seq_create(self):
        out = ctypes.c_int64()
        self._check(self.lib.attn_kv_seq_create(self.h, ctypes.byref(out)),
                    "attn_kv_seq_create")
        return out.value

    def fork(self, src):
        out = ctypes.c_int64()
        self._check(self.lib.attn_kv_seq_fork(self.h, src, ctypes.byref(out)),
                    "attn_kv_seq_fork")
        return out.value

    def free(self, seq):
        self._check(self.lib.attn_kv_seq_free(self.h, seq), "attn_kv_seq_free")

    def append(self, seq, k, v):
        """k, v: f32 [L][n][Hkv][D]."""
        k = np.ascontiguousarray(k, np.float32)
        v = np.ascontiguousarray(v, np.float32)
        assert k.shape == v.shape and k.ndim == 4
        self._check(self.lib.attn_kv_append(
            self.h, seq, k.shape[1], k.shape[0], k.shape[2], k.shape[3],
            _ptr(k, ctypes.c_float), _ptr(v, ctypes.c_float)),
            "attn_kv_append")

    def read(self, seq, layer, start, n):
        """Dequantized f32 [n][Hkv][D] K and V of one layer."""
        k = np.empty((n, self.Hkv, self.D), np.float32)
        v = np.empty((n, self.Hkv, self.D), np.float32)
        self._check(self.lib.attn_kv_read(self.h, seq, layer, start, n,
                                          _ptr(k, ctypes.c_float),
                                          _ptr(v, ctypes.c_float)),
                    "attn_kv_read")
        return k, v

    # Kernel interface ------------------------------------------------------
    def stats(self):
        st = Stats()
        self._check(self.lib.attn_kv_get_stats(self.h, ctypes.byref(st)),
                    "attn_kv_get_stats")
        return st

    def block_table(self, seqs, max_blocks):
        """(int32 [B][max_blocks] padded with -1, int32 [B] lengths)."""
        ids = np.asarray(seqs, np.int64)
        table = np.full((len(seqs), max_blocks), 7777, np.int32)
        lens = np.full((len(seqs),), 7777, np.int32)
        self._check(self.lib.attn_kv_get_block_table(
            self.h, _ptr(ids, ctypes.c_int64), len(seqs), max_blocks,
            _ptr(table, ctypes.c_int32), _ptr(lens, ctypes.c_int32)),
            "attn_kv_get_block_table")
        return table, lens

    def pool_shape(self):
        if self.layout == NHD:
            return (self.NB, self.BS, self.Hkv, self.D)
        return (self.NB, self.Hkv, self.BS, self.D)

    def layer_view(self, layer):
        """Copies of one layer's raw pools and scales, shaped by the layout
        doc: pools [NB][BS][Hkv][D] (NHD) / [NB][Hkv][BS][D] (HND) of the
        storage dtype; scales [1] (per-tensor) / [Hkv] (per-head)."""
        view = LayerView()
        self._check(self.lib.attn_kv_get_layer_view(self.h, layer,
                                                    ctypes.byref(view)),
                    "attn_kv_get_layer_view")
        if view.memory != MEMORY_CPU:
            raise RuntimeError_("layer view is not in CPU memory")
        shape = self.pool_shape()
        elems = int(np.prod(shape))
        if view.pool_elements != elems:
            raise RuntimeError_(f"pool_elements {view.pool_elements} != "
                                f"NB*BS*Hkv*D = {elems}")
        dt = STORAGE_NUMPY[self.dtype]
        if self.lib.attn_dtype_size(self.dtype) != dt.itemsize:
            raise RuntimeError_("unexpected attn_dtype_size")
        nbytes = elems * dt.itemsize
        out = {}
        for name in ("k_pool", "v_pool"):
            ptr = getattr(view, name)
            if ptr % 256:
                raise RuntimeError_(f"{name} is not 256-byte aligned")
            raw = ctypes.string_at(ptr, nbytes)
            out[name] = np.frombuffer(raw, dt).reshape(shape).copy()
        count = {QUANT_NONE: 0, QUANT_PER_TENSOR: 1,
                 QUANT_PER_HEAD: self.Hkv}[self.granularity]
        for name in ("k_scale", "v_scale"):
            ptr = getattr(view, name)
            if count == 0:
                if ptr:
                    raise RuntimeError_(f"{name} should be NULL")
                out[name] = None
            else:
                out[name] = np.ctypeslib.as_array(ptr, (count,)).astype(
                    np.float32)
        if view.k_zero_point or view.v_zero_point:
            raise RuntimeError_("symmetric cache has zero points")
        return out
