"""fp64 numpy reference of paged attention and error bounds of KV storage.

Independent of both the runtime and the compiler: it takes the K/V values of
each sequence as plain arrays (the values the test appended, or values read
back), never the pools or the block table.
"""

import ml_dtypes
import numpy as np

F16_UNIT = 2.0**-11  # unit roundoff of binary16 (10 stored mantissa bits)
F16_MIN_SUBNORMAL = 2.0**-24
E4M3_UNIT = 2.0**-4  # e4m3fn: 3 stored mantissa bits
E4M3_MIN_SUBNORMAL = 2.0**-9
E4M3_MAX = 448.0


def attention(q, keys, values, causal, scale):
    """Paged-attention semantics for one batch.

    q: [B, Hq, Sq, D]; keys[b], values[b]: [ctx_b, Hkv, D] (the sequence's
    cached tokens in order). Queries are the last Sq positions of each
    sequence (bottom-right causal mask). Returns (out [B, Hq, Sq, D],
    probs[b] [Hq, Sq, ctx_b]) in fp64.
    """
    q = np.asarray(q, np.float64)
    B, Hq, Sq, _ = q.shape
    out = np.zeros(q.shape[:3] + (values[0].shape[-1],), np.float64)
    probs = []
    for b in range(B):
        k = np.asarray(keys[b], np.float64)
        v = np.asarray(values[b], np.float64)
        ctx, hkv = k.shape[0], k.shape[1]
        group = Hq // hkv
        kh = np.repeat(k.transpose(1, 0, 2), group, axis=0)  # [Hq, ctx, D]
        vh = np.repeat(v.transpose(1, 0, 2), group, axis=0)
        s = np.einsum("hqd,hkd->hqk", q[b], kh) * scale
        visible = np.ones((Sq, ctx), bool)
        if causal:
            pos = ctx - Sq + np.arange(Sq)[:, None]
            visible = np.arange(ctx)[None, :] <= pos
        s = np.where(visible[None], s, -np.inf)
        m = s.max(axis=-1, keepdims=True)
        has = np.isfinite(m)
        e = np.where(visible[None], np.exp(s - np.where(has, m, 0.0)), 0.0)
        den = e.sum(axis=-1, keepdims=True)
        p = np.where(has, e / np.where(den > 0, den, 1.0), 0.0)
        probs.append(p)
        out[b] = np.einsum("hqk,hkd->hqd", p, vh)
    return out, probs


def storage_error_bound(x, dtype, scale=None):
    """Per-element bound of |stored(x) - x| for K/V f32 values `x` stored as
    `dtype` ("f32", "f16", "int8", "fp8_e4m3") with the given (broadcastable)
    scale for the quantized ones (round to nearest: half a step)."""
    x = np.abs(np.asarray(x, np.float64))
    if dtype == "f32":
        return np.zeros_like(x)
    if dtype == "f16":
        return x * F16_UNIT + F16_MIN_SUBNORMAL / 2
    if dtype == "int8":
        return np.broadcast_to(np.asarray(scale, np.float64) / 2, x.shape)
    if dtype == "fp8_e4m3":
        s = np.asarray(scale, np.float64)
        assert (x / s <= E4M3_MAX).all(), "scale leaves values to saturate"
        return x * E4M3_UNIT + s * (E4M3_MIN_SUBNORMAL / 2)
    raise ValueError(dtype)


def output_error_bound(q, values, out, probs, k_err, v_err, causal, scale):
    """Bound of |attention(stored K/V) - attention(K/V)| per output element.

    `out`, `probs` are attention(q, K, V)'s results (fp64). With
    |dk| <= k_err and |dv| <= v_err elementwise, score j moves by at most
    E_j = scale * sum_d |q_d| k_err[j, d] (E = max over the visible keys), so
    the perturbed probabilities are p'_j = p_j e^(d_j) / Z with |d_j| <= E_j
    and Z >= e^-E. Since sum_j p_j (v_j - o) = 0:
      |sum_j p'_j v_j - o| = |sum_j p_j (e^(d_j) - 1) (v_j - o)| / Z
                           <= e^E sum_j p_j (e^(E_j) - 1) |v_j - o|
    and |sum_j p'_j (v'_j - v_j)| <= e^(2E) sum_j p_j v_err[j]. The bound is
    their sum. Returns an array shaped like the output.
    """
    q = np.abs(np.asarray(q, np.float64))
    B, Hq, Sq, _ = q.shape
    bound = np.zeros(out.shape, np.float64)
    for b in range(B):
        ke = np.asarray(k_err[b], np.float64)
        ve = np.asarray(v_err[b], np.float64)
        v = np.asarray(values[b], np.float64)
        ctx, hkv = ke.shape[0], ke.shape[1]
        group = Hq // hkv
        visible = np.ones((Sq, ctx), bool)
        if causal:
            visible = (np.arange(ctx)[None, :] <=
                       ctx - Sq + np.arange(Sq)[:, None])
        for h in range(Hq):
            kvh = h // group
            eps = scale * (q[b, h] @ ke[:, kvh, :].T)  # [Sq, ctx]
            eps = np.where(visible, eps, 0.0)
            e_max = eps.max(axis=1, initial=0.0)[:, None]  # [Sq, 1]
            p = probs[b][h]  # [Sq, ctx]
            dev = np.abs(v[None, :, kvh, :] - out[b, h][:, None, :])
            shift = np.exp(e_max) * np.einsum("qk,qkd->qd",
                                              p * np.expm1(eps), dev)
            verr = np.exp(2 * e_max) * (p @ ve[:, kvh, :])
            bound[b, h] = shift + verr
    return bound


def quantize_int8(x, scale):
    """Symmetric INT8 codes of f32 x with f32 scale (the layout doc's rule:
    rne(x / scale) in f32, clamped to [-128, 127])."""
    x = np.asarray(x, np.float32)
    q = np.rint(x / np.asarray(scale, np.float32))
    return np.clip(q, -128, 127).astype(np.int8)


def dequantize_int8(q, scale):
    return q.astype(np.float32) * np.asarray(scale, np.float32)


def quantize_fp8_e4m3(x, scale):
    """Saturating e4m3fn codes of x / scale (division in f32)."""
    y = np.asarray(x, np.float32) / np.asarray(scale, np.float32)
    y = np.clip(y, -E4M3_MAX, E4M3_MAX)
    return y.astype(ml_dtypes.float8_e4m3fn)


def dequantize_fp8_e4m3(codes, scale):
    return codes.astype(np.float32) * np.asarray(scale, np.float32)
