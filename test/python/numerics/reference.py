"""fp64 numpy reference of `attn.sdpa`, written from the op's documentation.

This file follows the description of `attn.sdpa` in
include/attn/Dialect/Attn/IR/AttnFusedOps.td and of `#attn.mask` in
AttnBase.td, and nothing else: it shares no code with the C++ lowering.

Score of query i and key j of one sequence, in this order:
  1. s = scale * dot(q_i, k_j), scale defaulting to 1/sqrt(Dqk);
  2. s = softcap * tanh(s / softcap) when softcap is set;
  3. s += bias[b, h, i, j] (broadcast over size-1 dims of [B, Hq, Sq, Sk]);
  4. s += slopes[h] * (j - d(i)) (ALiBi), d(i) the mask diagonal;
  5. keys hidden by the mask attribute, by kv_lens (j >= l[b]) or by a boolean
     attn_mask (false hides) are excluded; a float attn_mask is added.
A row with no visible key gives zeros and lse = -inf. The diagonal is
d(i) = i (top_left) or i + Sk - Sq (bottom_right), with the per-sequence Sq
and Sk taken from kv_lens (Sk = l[b]) or cu_seqlens when present.
"""

import numpy as np


def mask_visible(sq, sk_diag, sk, causal, align, window_left, window_right):
    """Boolean [sq, sk] of the keys `#attn.mask` leaves visible.

    `sk_diag` is the key count used for the bottom-right diagonal (the
    per-sequence length), `sk` the number of key columns.
    """
    i = np.arange(sq)[:, None]
    j = np.arange(sk)[None, :]
    d = i + (sk_diag - sq if align == "bottom_right" else 0)
    vis = np.ones((sq, sk), dtype=bool)
    if causal:
        vis &= j <= d
    if window_left >= 0:
        vis &= j >= d - window_left
    if window_right >= 0:
        vis &= j <= d + window_right
    return vis


def diagonal(sq, sk_diag, align):
    d = np.arange(sq)
    if align == "bottom_right":
        d = d + (sk_diag - sq)
    return d


def _one_sequence(q, k, v, scale, softcap, bias, amask, slopes, kv_len,
                  sk_diag, causal, align, wl, wr):
    """q [Hq, Sq, Dqk], k [Hkv, Sk, Dqk], v [Hkv, Sk, Dv] in fp64.

    bias / amask are [Hq, Sq, Sk] (already broadcast) or None.
    Returns out [Hq, Sq, Dv] and lse [Hq, Sq].
    """
    hq, sq, _ = q.shape
    hkv, sk, dv = v.shape
    group = hq // hkv
    kh = np.repeat(k, group, axis=0)  # query head h reads kv head h // group
    vh = np.repeat(v, group, axis=0)
    s = scale * np.einsum("hid,hjd->hij", q, kh)
    if softcap is not None:
        s = softcap * np.tanh(s / softcap)
    if bias is not None:
        s = s + bias
    if slopes is not None:
        d = diagonal(sq, sk_diag, align)
        rel = np.arange(sk)[None, :] - d[:, None]  # j - d(i)
        s = s + slopes[:, None, None] * rel[None, :, :]
    vis = mask_visible(sq, sk_diag, sk, causal, align, wl, wr)[None]
    vis = np.broadcast_to(vis, s.shape).copy()
    if kv_len is not None:
        vis &= (np.arange(sk) < kv_len)[None, None, :]
    if amask is not None:
        if amask.dtype == bool:
            vis &= amask
        else:
            s = s + amask
    any_vis = vis.any(axis=-1)
    s_masked = np.where(vis, s, -np.inf)
    m = np.max(s_masked, axis=-1, initial=-np.inf)
    m_safe = np.where(any_vis, m, 0.0)
    p = np.where(vis, np.exp(s_masked - m_safe[..., None]), 0.0)
    l = p.sum(axis=-1)
    l_safe = np.where(any_vis, l, 1.0)
    out = np.einsum("hij,hjd->hid", p, vh) / l_safe[..., None]
    out = np.where(any_vis[..., None], out, 0.0)
    with np.errstate(divide="ignore"):
        lse = np.where(any_vis, m_safe + np.log(l_safe), -np.inf)
    max_logit = float(np.abs(np.where(vis, s, 0.0)).max(initial=0.0))
    return out, lse, max_logit


def sdpa_reference(q, k, v, *, layout="bhsd", scale=None, softcap=None,
                   bias=None, attn_mask=None, alibi_slopes=None, kv_lens=None,
                   cu_seqlens_q=None, cu_seqlens_k=None, causal=False,
                   align="top_left", window_left=-1, window_right=-1,
                   info=None):
    """Returns (out, lse) in float64, out in the layout of `q`.

    When `info` is a dict, info["max_logit"] receives max |s| over the
    visible (query, key) pairs: the magnitude that bounds rounding errors of
    the scores.

    Dense: q [B, Hq, Sq, Dqk] (bhsd) or [B, Sq, Hq, Dqk] (bshd); lse
    [B, Hq, Sq]. Varlen (cu_seqlens): q [Tq, Hq, Dqk]; lse [Tq, Hq].
    """
    q = np.asarray(q, dtype=np.float64)
    k = np.asarray(k, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    dqk = q.shape[-1]
    scale = 1.0 / np.sqrt(dqk) if scale is None else float(scale)
    softcap = None if softcap is None else float(softcap)
    slopes = None if alibi_slopes is None else np.asarray(alibi_slopes,
                                                          np.float64)
    common = dict(causal=causal, align=align, wl=window_left, wr=window_right)

    if cu_seqlens_q is not None:
        cq = np.asarray(cu_seqlens_q, dtype=np.int64)
        ck = np.asarray(cu_seqlens_k, dtype=np.int64)
        tq, hq, _ = q.shape
        max_logit = 0.0
        out = np.zeros((tq, hq, v.shape[-1]))
        lse = np.full((tq, hq), -np.inf)
        for b in range(len(cq) - 1):
            qs = q[cq[b]:cq[b + 1]].transpose(1, 0, 2)
            ks = k[ck[b]:ck[b + 1]].transpose(1, 0, 2)
            vs = v[ck[b]:ck[b + 1]].transpose(1, 0, 2)
            if qs.shape[1] == 0:
                continue
            o, l, ml = _one_sequence(qs, ks, vs, scale, softcap, None,
                                     None, slopes, None, ks.shape[1],
                                     **common)
            max_logit = max(max_logit, ml)
            out[cq[b]:cq[b + 1]] = o.transpose(1, 0, 2)
            lse[cq[b]:cq[b + 1]] = l.T
        if info is not None:
            info["max_logit"] = max_logit
        return out, lse

    if layout == "bshd":
        q, k, v = (t.transpose(0, 2, 1, 3) for t in (q, k, v))
    bsz, hq, sq, _ = q.shape
    sk = k.shape[2]
    score_shape = (bsz, hq, sq, sk)
    if bias is not None:
        bias = np.broadcast_to(np.asarray(bias, np.float64), score_shape)
    if attn_mask is not None:
        am = np.asarray(attn_mask)
        am = am if am.dtype == bool else am.astype(np.float64)
        attn_mask = np.broadcast_to(am, score_shape)
    out = np.zeros((bsz, hq, sq, v.shape[-1]))
    lse = np.zeros((bsz, hq, sq))
    max_logit = 0.0
    for b in range(bsz):
        kv_len = None if kv_lens is None else int(kv_lens[b])
        sk_diag = sk if kv_len is None else kv_len
        o, l, ml = _one_sequence(q[b], k[b], v[b], scale, softcap,
                                 None if bias is None else bias[b],
                                 None if attn_mask is None else attn_mask[b],
                                 slopes, kv_len, sk_diag, **common)
        out[b], lse[b] = o, l
        max_logit = max(max_logit, ml)
    if layout == "bshd":
        out = out.transpose(0, 2, 1, 3)
    if info is not None:
        info["max_logit"] = max_logit
    return out, lse
