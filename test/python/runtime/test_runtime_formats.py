"""Bit-exact checks of the attn runtime's conversions against ml_dtypes/numpy.

The runtime shared library is loaded with ctypes through its C API; pass its
path in ATTN_RUNTIME_LIB (e.g. build-rt/libattn_runtime.so). Pinned deps:
numpy==2.4.6, ml_dtypes==0.6.0.
"""

import ctypes
import os
import re

import pytest

LIB_PATH = os.environ.get("ATTN_RUNTIME_LIB")
if not LIB_PATH:
    pytest.skip(
        "ATTN_RUNTIME_LIB is not set (path to libattn_runtime.so); "
        "skipping runtime format tests",
        allow_module_level=True,
    )
np = pytest.importorskip("numpy")
ml_dtypes = pytest.importorskip("ml_dtypes")

from attn_runtime_abi import (  # noqa: E402
    BF16, ERR_BAD_BLOCK_SIZE, ERR_BAD_SCALE, ERR_DIM_MISMATCH,
    ERR_INVALID_ARGUMENT, ERR_OUT_OF_BLOCKS, ERR_UNKNOWN_SEQUENCE, F16, F32,
    FP8_E4M3FN, FP8_E5M2, HND, INT8, MEMORY_CPU, NHD, OK, QUANT_NONE,
    QUANT_PER_HEAD, QUANT_PER_TENSOR, QUANT_PER_TOKEN, Config, LayerView)

FP8 = {
    FP8_E4M3FN: (ml_dtypes.float8_e4m3fn, 448.0),
    FP8_E5M2: (ml_dtypes.float8_e5m2, 57344.0),
}


@pytest.fixture(scope="module")
def lib():
    L = ctypes.CDLL(LIB_PATH)
    fp = ctypes.POINTER(ctypes.c_float)
    u8p = ctypes.POINTER(ctypes.c_uint8)
    u16p = ctypes.POINTER(ctypes.c_uint16)
    i64p = ctypes.POINTER(ctypes.c_int64)
    L.attn_last_error_message.restype = ctypes.c_char_p
    L.attn_runtime_version.restype = ctypes.c_char_p
    L.attn_convert_f32_to_fp8.argtypes = [fp, u8p, ctypes.c_size_t,
                                          ctypes.c_int, ctypes.c_int]
    L.attn_convert_fp8_to_f32.argtypes = [u8p, fp, ctypes.c_size_t,
                                          ctypes.c_int]
    L.attn_convert_f32_to_f16.argtypes = [fp, u16p, ctypes.c_size_t]
    L.attn_convert_f32_to_bf16.argtypes = [fp, u16p, ctypes.c_size_t]
    L.attn_kv_cache_create.argtypes = [ctypes.POINTER(Config),
                                       ctypes.POINTER(ctypes.c_void_p)]
    L.attn_kv_cache_destroy.argtypes = [ctypes.c_void_p]
    L.attn_kv_cache_destroy.restype = None
    L.attn_kv_seq_create.argtypes = [ctypes.c_void_p, i64p]
    L.attn_kv_append.argtypes = [ctypes.c_void_p, ctypes.c_int64,
                                 ctypes.c_int64, ctypes.c_int32,
                                 ctypes.c_int32, ctypes.c_int32, fp, fp]
    L.attn_kv_append_v2.argtypes = [ctypes.c_void_p, ctypes.c_int64,
                                    ctypes.c_int64, ctypes.c_int32,
                                    ctypes.c_int32, ctypes.c_int32,
                                    ctypes.c_void_p, ctypes.c_void_p,
                                    ctypes.c_int, ctypes.c_int]
    L.attn_kv_read.argtypes = [ctypes.c_void_p, ctypes.c_int64,
                               ctypes.c_int32, ctypes.c_int64, ctypes.c_int64,
                               fp, fp]
    L.attn_kv_get_layer_view.argtypes = [ctypes.c_void_p, ctypes.c_int32,
                                         ctypes.POINTER(LayerView)]
    L.attn_kv_get_block_table.argtypes = [
        ctypes.c_void_p, i64p, ctypes.c_int32, ctypes.c_int32,
        ctypes.POINTER(ctypes.c_int32), ctypes.POINTER(ctypes.c_int32)]
    return L


def ptr(a, ctype):
    return a.ctypes.data_as(ctypes.POINTER(ctype))


def encode(lib, x, fmt, saturate):
    x = np.ascontiguousarray(x, dtype=np.float32)
    out = np.empty(x.shape, dtype=np.uint8)
    st = lib.attn_convert_f32_to_fp8(ptr(x, ctypes.c_float),
                                     ptr(out, ctypes.c_uint8), x.size, fmt,
                                     int(saturate))
    assert st == OK, lib.attn_last_error_message()
    return out


def decode(lib, codes, fmt):
    out = np.empty(codes.shape, dtype=np.float32)
    st = lib.attn_convert_fp8_to_f32(ptr(codes, ctypes.c_uint8),
                                     ptr(out, ctypes.c_float), codes.size, fmt)
    assert st == OK
    return out


def random_f32(seed, lo_exp, hi_exp, n=200_000):
    """Random magnitudes over [2^lo_exp, 2^hi_exp), both signs, plus the exact
    midpoints of the format grid and special values."""
    rng = np.random.default_rng(seed)
    mag = np.exp2(rng.uniform(lo_exp, hi_exp, n)).astype(np.float32)
    sign = np.where(rng.integers(0, 2, n) == 1, -1.0, 1.0).astype(np.float32)
    # Random mantissa bits too (exp2 of uniform is not uniform in bits).
    bits = rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32)
    raw = bits.view(np.float32)
    raw = raw[np.isfinite(raw)]
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan,
                        np.finfo(np.float32).max, np.finfo(np.float32).tiny,
                        1e-45, -1e-45], dtype=np.float32)
    return np.concatenate([mag * sign, raw, special]).astype(np.float32)


def grid_midpoints(dtype):
    vals = np.arange(256, dtype=np.uint8).view(dtype).astype(np.float64)
    vals = np.unique(vals[np.isfinite(vals)])
    mids = ((vals[1:] + vals[:-1]) / 2).astype(np.float32)
    nudged = np.concatenate([mids, np.nextafter(mids, np.float32(np.inf)),
                             np.nextafter(mids, np.float32(-np.inf))])
    return nudged.astype(np.float32)


@pytest.mark.parametrize("fmt", [FP8_E4M3FN, FP8_E5M2], ids=["e4m3fn", "e5m2"])
def test_decode_all_codes_bit_exact(lib, fmt):
    dtype, _ = FP8[fmt]
    codes = np.arange(256, dtype=np.uint8)
    got = decode(lib, codes, fmt).view(np.uint32)
    want = codes.view(dtype).astype(np.float32).view(np.uint32)
    bad = np.nonzero(got != want)[0]
    assert bad.size == 0, [(hex(c), hex(got[c]), hex(want[c])) for c in bad[:8]]


@pytest.mark.parametrize("fmt", [FP8_E4M3FN, FP8_E5M2], ids=["e4m3fn", "e5m2"])
def test_encode_random_f32_bit_exact(lib, fmt):
    dtype, _ = FP8[fmt]
    lo, hi = (-14, 12) if fmt == FP8_E4M3FN else (-20, 18)
    x = np.concatenate([random_f32(100 + fmt, lo, hi), grid_midpoints(dtype),
                        -grid_midpoints(dtype)])
    got = encode(lib, x, fmt, saturate=False)
    with np.errstate(all="ignore"):
        want = x.astype(dtype).view(np.uint8)
    bad = np.nonzero(got != want)[0]
    assert bad.size == 0, [(float(x[i]), hex(got[i]), hex(want[i]))
                           for i in bad[:8]]
    assert x.size > 200_000


@pytest.mark.parametrize("fmt", [FP8_E4M3FN, FP8_E5M2], ids=["e4m3fn", "e5m2"])
def test_saturating_encode_matches_clip_then_cast(lib, fmt):
    dtype, vmax = FP8[fmt]
    x = random_f32(200 + fmt, -10, 30)
    got = encode(lib, x, fmt, saturate=True)
    with np.errstate(all="ignore"):
        want = np.clip(x, -vmax, vmax).astype(dtype).view(np.uint8)
    bad = np.nonzero(got != want)[0]
    assert bad.size == 0, [(float(x[i]), hex(got[i]), hex(want[i]))
                           for i in bad[:8]]
    # No inf code ever comes out of the saturating path.
    decoded = decode(lib, got, fmt)
    assert not np.isinf(decoded).any()


def test_f16_and_bf16_encode_bit_exact(lib):
    x = random_f32(7, -30, 20)
    out = np.empty(x.shape, dtype=np.uint16)
    assert lib.attn_convert_f32_to_f16(ptr(x, ctypes.c_float),
                                       ptr(out, ctypes.c_uint16), x.size) == OK
    with np.errstate(all="ignore"):
        want = x.astype(np.float16).view(np.uint16)
    assert np.array_equal(out, want), np.nonzero(out != want)[0][:8]
    assert lib.attn_convert_f32_to_bf16(ptr(x, ctypes.c_float),
                                        ptr(out, ctypes.c_uint16), x.size) == OK
    want = x.astype(ml_dtypes.bfloat16).view(np.uint16)
    assert np.array_equal(out, want), np.nonzero(out != want)[0][:8]


@pytest.mark.parametrize("src", [F16, BF16], ids=["f16", "bf16"])
@pytest.mark.parametrize("store", [F32, F16, BF16], ids=["f32", "f16", "bf16"])
def test_append_v2_half_sources_match_numpy(lib, src, store):
    """attn_kv_append_v2 from f16 / bf16 host arrays: every 16-bit pattern
    reads back as numpy / ml_dtypes widen it, and is stored as numpy /
    ml_dtypes narrow that f32 to the cache dtype (NaN: any NaN)."""
    np_src = np.float16 if src == F16 else ml_dtypes.bfloat16
    np_store = {F32: np.float32, F16: np.float16,
                BF16: ml_dtypes.bfloat16}[store]
    H, D, BS = 1, 16, 256
    n = 65536 // D
    codes = np.arange(65536, dtype=np.uint16).reshape(1, n, H, D)
    cfg = Config(num_layers=1, num_kv_heads=H, head_dim=D, block_size=BS,
                 num_blocks=n // BS, layout=NHD, dtype=store,
                 granularity=QUANT_NONE, asymmetric=0, memory=MEMORY_CPU,
                 device_id=0)
    cache = ctypes.c_void_p()
    assert lib.attn_kv_cache_create(ctypes.byref(cfg), ctypes.byref(cache)) == OK
    try:
        seq = ctypes.c_int64()
        assert lib.attn_kv_seq_create(cache, ctypes.byref(seq)) == OK
        assert lib.attn_kv_append_v2(cache, seq, n, 1, H, D,
                                     codes.ctypes.data, codes.ctypes.data,
                                     src, MEMORY_CPU) == OK, \
            lib.attn_last_error_message()
        out = np.empty((n, H, D), dtype=np.float32)
        assert lib.attn_kv_read(cache, seq, 0, 0, n, ptr(out, ctypes.c_float),
                                None) == OK
        with np.errstate(all="ignore"):
            want = codes[0].view(np_src).astype(np.float32)
            want = want.astype(np_store).astype(np.float32)
        nan = np.isnan(want)
        assert np.array_equal(np.isnan(out), nan)
        bad = np.nonzero(out[~nan].view(np.uint32) !=
                         want[~nan].view(np.uint32))[0]
        assert bad.size == 0, bad[:8]
    finally:
        lib.attn_kv_cache_destroy(cache)


@pytest.mark.parametrize("fmt", [FP8_E4M3FN, FP8_E5M2], ids=["e4m3fn", "e5m2"])
@pytest.mark.parametrize("layout", [NHD, HND], ids=["nhd", "hnd"])
def test_cache_stores_ml_dtypes_codes(lib, fmt, layout):
    """End to end: a per-head FP8 cache stores fp8(x / scale) (saturating)
    at the documented offsets and reads back decode(q) * scale."""
    dtype, vmax = FP8[fmt]
    L, H, D, BS, NB = 2, 2, 8, 4, 6
    k_scales = np.array([0.01, 0.02, 0.5, 0.25], dtype=np.float32)
    v_scales = np.array([0.05, 1.0, 0.125, 2.0], dtype=np.float32)
    cfg = Config(num_layers=L, num_kv_heads=H, head_dim=D, block_size=BS,
                 num_blocks=NB, layout=layout, dtype=fmt,
                 granularity=QUANT_PER_HEAD, asymmetric=0, memory=0,
                 device_id=0, k_scales=ptr(k_scales, ctypes.c_float),
                 v_scales=ptr(v_scales, ctypes.c_float))
    cache = ctypes.c_void_p()
    assert lib.attn_kv_cache_create(ctypes.byref(cfg), ctypes.byref(cache)) == OK
    try:
        seq = ctypes.c_int64()
        assert lib.attn_kv_seq_create(cache, ctypes.byref(seq)) == OK
        n = 9
        rng = np.random.default_rng(5)
        k = (rng.standard_normal((L, n, H, D)) * 50).astype(np.float32)
        v = (rng.standard_normal((L, n, H, D)) * 50).astype(np.float32)
        k[0, 0, 0, 0] = 1e9  # saturates
        assert lib.attn_kv_append(cache, seq, n, L, H, D,
                                  ptr(k, ctypes.c_float),
                                  ptr(v, ctypes.c_float)) == OK
        table = np.zeros(4, dtype=np.int32)
        ctx = np.zeros(1, dtype=np.int32)
        ids = np.array([seq.value], dtype=np.int64)
        assert lib.attn_kv_get_block_table(
            cache, ptr(ids, ctypes.c_int64), 1, 4, ptr(table, ctypes.c_int32),
            ptr(ctx, ctypes.c_int32)) == OK
        assert ctx[0] == n and list(table[3:]) == [-1]
        for layer in range(L):
            view = LayerView()
            assert lib.attn_kv_get_layer_view(cache, layer,
                                              ctypes.byref(view)) == OK
            assert view.pool_elements == NB * BS * H * D
            for which, src, scales, pool in ((0, k, k_scales, view.k_pool),
                                             (1, v, v_scales, view.v_pool)):
                raw = np.frombuffer(ctypes.string_at(pool, view.pool_elements),
                                    dtype=np.uint8)
                if layout == NHD:
                    pool4 = raw.reshape(NB, BS, H, D)
                else:
                    pool4 = raw.reshape(NB, H, BS, D).transpose(0, 2, 1, 3)
                s = scales[layer * H:(layer + 1) * H][None, :, None]
                x = src[layer] / s  # f32 division, like the runtime
                with np.errstate(all="ignore"):
                    want = np.clip(x, -vmax, vmax).astype(dtype).view(np.uint8)
                for t in range(n):
                    got = pool4[table[t // BS], t % BS]
                    assert np.array_equal(got, want[t]), (layer, which, t)
                out_k = np.empty((n, H, D), dtype=np.float32)
                out_v = np.empty((n, H, D), dtype=np.float32)
                assert lib.attn_kv_read(cache, seq, layer, 0, n,
                                        ptr(out_k, ctypes.c_float),
                                        ptr(out_v, ctypes.c_float)) == OK
                out = out_v if which else out_k
                deq = want.view(dtype).astype(np.float32) * s
                assert np.array_equal(out, deq.astype(np.float32))
    finally:
        lib.attn_kv_cache_destroy(cache)


def test_errors_through_c_api(lib):
    cfg = Config(num_layers=1, num_kv_heads=1, head_dim=4, block_size=48,
                 num_blocks=4, layout=NHD, dtype=F32, granularity=QUANT_NONE)
    cache = ctypes.c_void_p()
    st = lib.attn_kv_cache_create(ctypes.byref(cfg), ctypes.byref(cache))
    assert st == ERR_BAD_BLOCK_SIZE
    assert b"power of two" in lib.attn_last_error_message()
    assert cache.value is None
    cfg.block_size = 4
    cfg.dtype = FP8_E4M3FN
    cfg.granularity = QUANT_PER_TENSOR
    bad = np.array([0.0], dtype=np.float32)
    cfg.k_scales = ptr(bad, ctypes.c_float)
    cfg.v_scales = ptr(bad, ctypes.c_float)
    st = lib.attn_kv_cache_create(ctypes.byref(cfg), ctypes.byref(cache))
    assert st == ERR_BAD_SCALE
    assert b"scale" in lib.attn_last_error_message()
    # The project version (ctest passes it); else any x.y.z.
    version = lib.attn_runtime_version().decode()
    expected = os.environ.get("ATTN_RUNTIME_EXPECTED_VERSION")
    if expected:
        assert version == expected, (version, expected)
    else:
        assert re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", version), version
