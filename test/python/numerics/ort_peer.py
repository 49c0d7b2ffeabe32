"""ONNX Runtime as an independent numerical peer of `attn.sdpa`.

Three ORT CPU kernels are used where they support a configuration:
- opset-23 `Attention` (fp32 and fp16 kernels): everything the op can express,
  with masks, windows, key padding, ALiBi and bias folded into one bool or
  additive `attn_mask` of shape [Sq, Sk] or [B, Hq, Sq, Sk]; `is_causal` for
  plain top-left causal masks; 3-D inputs for the bshd layout; varlen runs
  one sequence at a time.
- `com.microsoft.GroupQueryAttention`: causal bottom-right (prompt, decode
  with padded batches through `seqlens_k`, chunked prefill), sliding window
  (`local_window_size`), softcap, scale; Dqk == Dv only.
- `com.microsoft.MultiHeadAttention` (fp32): `key_padding_mask` and
  `attention_bias`, Hq == Hkv, no softcap.

What is avoided on purpose (see /work/shared/TOOLCHAIN.md): opset >= 25,
float64 and mixed dtypes (they run the op's ONNX function body, not ORT's
kernel); GQA fp16 with fully masked rows (NaN); MHA with fully masked rows
(ORT adds -10000 instead of hiding) and `unidirectional` with Sq != Sk.
`ort_kernel_ops()` checks that the optimized graph is the one kernel node.

The masks built here are computed from the configuration independently of
reference.py, so that the peer check also validates the reference's masks.
"""

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

ort.set_default_logger_severity(3)

IR_VERSION = 10  # ORT 1.32 accepts ir_version <= 14.
ELT = {"f32": TensorProto.FLOAT, "f16": TensorProto.FLOAT16}
NP = {"f32": np.float32, "f16": np.float16}


def _session(model, optimized_path=None):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    if optimized_path:
        so.optimized_model_filepath = optimized_path
    return ort.InferenceSession(model.SerializeToString(), so,
                                providers=["CPUExecutionProvider"])


def _vi(name, elt, shape):
    return helper.make_tensor_value_info(name, elt, shape)


def _model(node, inputs, outputs, contrib=False):
    g = helper.make_graph([node], "peer", inputs, outputs)
    opsets = [helper.make_opsetid("", 23)]
    if contrib:
        opsets.append(helper.make_opsetid("com.microsoft", 1))
    return helper.make_model(g, opset_imports=opsets, ir_version=IR_VERSION)


def ort_kernel_ops(model, path):
    """Op types of ORT's optimized graph of `model` (saved to `path`)."""
    _session(model, path)
    return [n.op_type for n in onnx.load(path).graph.node]


# ---------------------------------------------------------------------------
# Visibility and additive terms, from the documented semantics.
# ---------------------------------------------------------------------------


def _seq_terms(c, sq, sk, sk_diag, kv_len, b, bias, amask, slopes):
    """(visible [Hq, sq, sk] bool, additive [Hq, sq, sk] f64) of one
    sequence; kv_len=None means no key padding."""
    hq = c.Hq
    ii, jj = np.meshgrid(np.arange(sq), np.arange(sk), indexing="ij")
    diag = ii + (sk_diag - sq) if c.align == "bottom_right" else ii
    ok = np.ones((sq, sk), bool)
    if c.causal:
        ok = ok & (jj <= diag)
    if c.window_left >= 0:
        ok = ok & (diag - jj <= c.window_left)
    if c.window_right >= 0:
        ok = ok & (jj - diag <= c.window_right)
    if kv_len is not None:
        ok = ok & (jj < kv_len)
    vis = np.repeat(ok[None], hq, axis=0)
    add = np.zeros((hq, sq, sk))
    full = (c.B, hq, sq, sk)
    if bias is not None:
        add += np.broadcast_to(bias.astype(np.float64), full)[b]
    if slopes is not None:
        add += slopes.astype(np.float64)[:, None, None] * (jj - diag)[None]
    if amask is not None:
        m = np.broadcast_to(amask, full)[b]
        if m.dtype == np.bool_:
            vis = vis & m
        else:
            add += m.astype(np.float64)
    return vis, add


def dense_terms(c, inputs, with_kv_lens=True):
    """[B, Hq, Sq, Sk] visibility and additive terms of a dense config."""
    d = dict(inputs)
    vis = np.zeros((c.B, c.Hq, c.Sq, c.Sk), bool)
    add = np.zeros((c.B, c.Hq, c.Sq, c.Sk))
    for b in range(c.B):
        kv = None if c.kv_lens is None else c.kv_lens[b]
        sk_diag = c.Sk if kv is None else kv
        vis[b], add[b] = _seq_terms(
            c, c.Sq, c.Sk, sk_diag, kv if with_kv_lens else None, b,
            d.get("bias"), d.get("attn_mask"), d.get("alibi_slopes"))
    return vis, add


def _has_additive(c):
    return (c.bias_shape is not None or c.alibi or c.mask_kind == "float")


def _to_bhsd(c, t):
    return t.transpose(0, 2, 1, 3) if c.layout == "bshd" else t


def _from_bhsd(c, t):
    return t.transpose(0, 2, 1, 3) if c.layout == "bshd" else t


def _pack(t):
    """[B, H, S, D] -> [B, S, H * D]"""
    b, h, s, dd = t.shape
    return np.ascontiguousarray(t.transpose(0, 2, 1, 3).reshape(b, s, h * dd))


def _unpack(t, h):
    """[B, S, H * D] -> [B, H, S, D]"""
    b, s, hd = t.shape
    return t.reshape(b, s, h, hd // h).transpose(0, 2, 1, 3)


# ---------------------------------------------------------------------------
# opset-23 Attention
# ---------------------------------------------------------------------------


def attention_model(dt, q_shape, k_shape, v_shape, mask=None,
                    q_heads=None, kv_heads=None, scale=None, softcap=None,
                    is_causal=False):
    elt = ELT[dt]
    ins = [_vi("Q", elt, q_shape), _vi("K", elt, k_shape),
           _vi("V", elt, v_shape)]
    names = ["Q", "K", "V"]
    if mask is not None:
        ins.append(_vi("M", TensorProto.BOOL if mask.dtype == np.bool_
                       else elt, list(mask.shape)))
        names.append("M")
    attrs = {}
    if q_heads is not None:
        attrs.update(q_num_heads=q_heads, kv_num_heads=kv_heads)
    if scale is not None:
        attrs["scale"] = float(scale)
    if softcap is not None:
        attrs["softcap"] = float(softcap)
    if is_causal:
        attrs["is_causal"] = 1
    node = helper.make_node("Attention", names, ["Y"], **attrs)
    return _model(node, ins, [_vi("Y", elt, None)])


def _attention_one(c, dt, q, k, v, vis, add, use_causal_attr, three_d):
    """q/k/v [B, H, S, D] (float); vis/add [B, Hq, Sq, Sk] or None."""
    npt = NP[dt]
    bsz, hq, sq, _ = q.shape
    hkv = k.shape[1]
    mask = None
    if not use_causal_attr and vis is not None:
        if add is not None:
            mask = np.where(vis, add, -np.inf).astype(npt)
        elif (vis == vis[:1, :1]).all():
            mask = vis[0, 0]  # the 2-D [Sq, Sk] form
        else:
            mask = vis
    feeds_q, feeds_k, feeds_v = q.astype(npt), k.astype(npt), v.astype(npt)
    if three_d:
        feeds_q, feeds_k, feeds_v = (_pack(t) for t in
                                     (feeds_q, feeds_k, feeds_v))
    model = attention_model(
        dt, list(feeds_q.shape), list(feeds_k.shape), list(feeds_v.shape),
        mask, hq if three_d else None, hkv if three_d else None,
        c.scale, c.softcap, use_causal_attr)
    feeds = {"Q": feeds_q, "K": feeds_k, "V": feeds_v}
    if mask is not None:
        feeds["M"] = mask
    y = _session(model).run(None, feeds)[0]
    if three_d:
        y = _unpack(y, hq)
    return y.astype(np.float64), model


def run_attention(c, inputs):
    """ORT opset-23 Attention; returns (label, out in the op's layout)."""
    d = dict(inputs)
    # The kernel takes the additive mask in the input type: for f16 inputs
    # with bias/ALiBi/float masks it would round them (ALiBi terms reach
    # hundreds), so those run ORT's fp32 kernel on the exactly upcast
    # inputs.
    # Likewise ORT's fp16 kernel forms Q Kᵀ in fp16, which cannot hold
    # scores near 1e4 to better than 8: large-logit tests use fp32 too.
    dt = c.dtype
    if dt == "f16" and (_has_additive(c) or c.large_logits):
        dt = "f32"
    label = "Attention" if dt == c.dtype else "Attention(f32 kernel)"
    q, k, v = (d[n].astype(np.float64) for n in ("query", "key", "value"))
    if c.varlen:
        cq = np.concatenate([[0], np.cumsum(c.seqlens_q)])
        ck = np.concatenate([[0], np.cumsum(c.seqlens_k)])
        out = np.zeros((cq[-1], c.Hq, c.Dv))
        for b in range(c.B):
            sq, sk = c.seqlens_q[b], c.seqlens_k[b]
            if sq == 0:
                continue
            qs = q[cq[b]:cq[b + 1]].transpose(1, 0, 2)[None]
            ks = k[ck[b]:ck[b + 1]].transpose(1, 0, 2)[None]
            vs = v[ck[b]:ck[b + 1]].transpose(1, 0, 2)[None]
            vis, add = _seq_terms(c, sq, sk, sk, None, 0, None, None,
                                  d.get("alibi_slopes"))
            y, _ = _attention_one(c, dt, qs, ks, vs, vis[None],
                                  add[None] if c.alibi else None, False,
                                  False)
            out[cq[b]:cq[b + 1]] = y[0].transpose(1, 0, 2)
        return label, out
    q, k, v = (_to_bhsd(c, t) for t in (q, k, v))
    plain_causal = (c.causal and c.window_left < 0 and c.window_right < 0
                    and c.kv_lens is None and c.mask_kind is None
                    and not _has_additive(c)
                    and (c.align == "top_left" or c.Sq == c.Sk))
    vis, add = dense_terms(c, inputs)
    y, _ = _attention_one(c, dt, q, k, v, vis,
                          add if _has_additive(c) else None, plain_causal,
                          c.layout == "bshd")
    return label, _from_bhsd(c, y)


# ---------------------------------------------------------------------------
# com.microsoft.GroupQueryAttention
# ---------------------------------------------------------------------------


def gqa_model(dt, bsz, sq, hq, hkv, dd, past, scale=None, softcap=None,
              window=-1):
    elt = ELT[dt]
    ins = [_vi("q", elt, [bsz, sq, hq * dd]), _vi("k", elt, [bsz, sq, hkv * dd]),
           _vi("v", elt, [bsz, sq, hkv * dd]),
           _vi("past_k", elt, [bsz, hkv, past, dd]),
           _vi("past_v", elt, [bsz, hkv, past, dd]),
           _vi("seqlens_k", TensorProto.INT32, [bsz]),
           _vi("total_len", TensorProto.INT32, [])]
    attrs = dict(num_heads=hq, kv_num_heads=hkv)
    if scale is not None:
        attrs["scale"] = float(scale)
    if softcap is not None:
        attrs["softcap"] = float(softcap)
    if window > 0:
        attrs["local_window_size"] = int(window)
    node = helper.make_node("GroupQueryAttention", [i.name for i in ins],
                            ["y", "present_k", "present_v"],
                            domain="com.microsoft", **attrs)
    return _model(node, ins, [_vi("y", elt, None), _vi("present_k", elt, None),
                              _vi("present_v", elt, None)], contrib=True)


def gqa_supported(c):
    if c.dtype not in ELT or c.Dqk != c.Dv or not c.causal:
        return False
    # ORT's CPU kernel refuses head sizes that are not a multiple of 8
    # ("head_size must be a multiple of 8", seen with D = 84 and softcap).
    if c.Dqk % 8:
        return False
    if _has_additive(c) or c.mask_kind is not None:
        return False
    if c.varlen:
        pairs = list(zip(c.seqlens_q, c.seqlens_k))
    else:
        lens = c.kv_lens if c.kv_lens is not None else [c.Sk] * c.B
        pairs = [(c.Sq, n) for n in lens]
    for sq, sk in pairs:
        # GQA puts the queries at the last sq of sk positions (bottom-right
        # diagonal) and needs at least that many keys.
        if sk < sq or sq == 0:
            return False
        if c.align == "top_left" and sq != sk:
            return False
    return True


def _gqa_call(c, dt, q, k, v, lens):
    """q [B, Hq, Sq, D], k/v [B, Hkv, Sk, D]; query rows are the last Sq of
    lens[b] keys."""
    npt = NP[dt]
    bsz, hq, sq, dd = q.shape
    hkv, sk = k.shape[1], k.shape[2]
    knew = np.stack([k[b, :, lens[b] - sq:lens[b]] for b in range(bsz)])
    vnew = np.stack([v[b, :, lens[b] - sq:lens[b]] for b in range(bsz)])
    model = gqa_model(dt, bsz, sq, hq, hkv, dd, sk, c.scale, c.softcap,
                      c.window_left + 1 if c.window_left >= 0 else -1)
    feeds = {"q": _pack(q).astype(npt), "k": _pack(knew).astype(npt),
             "v": _pack(vnew).astype(npt), "past_k": k.astype(npt),
             "past_v": v.astype(npt),
             "seqlens_k": np.asarray(lens, np.int32) - 1,
             "total_len": np.asarray(max(lens), np.int32)}
    y = _session(model).run(None, feeds)[0]
    return _unpack(y.astype(np.float64), hq)


def run_gqa(c, inputs):
    d = dict(inputs)
    dt = "f32" if c.large_logits else c.dtype  # see run_attention
    label = "GroupQueryAttention" + ("" if dt == c.dtype else
                                     "(f32 kernel)")
    q, k, v = (d[n].astype(np.float64) for n in ("query", "key", "value"))
    if c.varlen:
        cq = np.concatenate([[0], np.cumsum(c.seqlens_q)])
        ck = np.concatenate([[0], np.cumsum(c.seqlens_k)])
        out = np.zeros((cq[-1], c.Hq, c.Dv))
        for b in range(c.B):
            qs = q[cq[b]:cq[b + 1]].transpose(1, 0, 2)[None]
            ks = k[ck[b]:ck[b + 1]].transpose(1, 0, 2)[None]
            vs = v[ck[b]:ck[b + 1]].transpose(1, 0, 2)[None]
            y = _gqa_call(c, dt, qs, ks, vs, [c.seqlens_k[b]])
            out[cq[b]:cq[b + 1]] = y[0].transpose(1, 0, 2)
        return label, out
    q, k, v = (_to_bhsd(c, t) for t in (q, k, v))
    lens = list(c.kv_lens) if c.kv_lens is not None else [c.Sk] * c.B
    if c.Sq == 1:
        y = _gqa_call(c, dt, q, k, v, lens)  # padded batch decode
    else:
        # ORT's CPU kernel takes a batch of 1 when Sq > 1 with past keys.
        y = np.concatenate([_gqa_call(c, dt, q[b:b + 1], k[b:b + 1],
                                      v[b:b + 1], [lens[b]])
                            for b in range(c.B)])
    return label, _from_bhsd(c, y)


# ---------------------------------------------------------------------------
# com.microsoft.MultiHeadAttention
# ---------------------------------------------------------------------------


def mha_model(bsz, sq, sk, h, dqk, dv, key_padding, bias_shape, scale=None):
    elt = TensorProto.FLOAT
    ins = [_vi("q", elt, [bsz, sq, h * dqk]), _vi("k", elt, [bsz, sk, h * dqk]),
           _vi("v", elt, [bsz, sk, h * dv])]
    names = ["q", "k", "v", ""]
    if key_padding:
        ins.append(_vi("key_padding_mask", TensorProto.INT32, [bsz, sk]))
        names.append("key_padding_mask")
    else:
        names.append("")
    if bias_shape is not None:
        ins.append(_vi("attention_bias", elt, list(bias_shape)))
        names.append("attention_bias")
    while names[-1] == "":
        names.pop()
    attrs = dict(num_heads=h)
    if scale is not None:
        attrs["scale"] = float(scale)
    node = helper.make_node("MultiHeadAttention", names, ["y"],
                            domain="com.microsoft", **attrs)
    return _model(node, ins, [_vi("y", elt, None)], contrib=True)


def mha_supported(c, inputs):
    if c.dtype != "f32" or c.varlen or c.Hq != c.Hkv or c.softcap is not None:
        return False
    vis, _ = dense_terms(c, inputs)
    return bool(vis.any(axis=-1).all())  # no fully masked row (ORT quirk)


def run_mha(c, inputs):
    d = dict(inputs)
    q, k, v = (_to_bhsd(c, d[n].astype(np.float64))
               for n in ("query", "key", "value"))
    vis, add = dense_terms(c, inputs, with_kv_lens=False)
    bias = None
    if not vis.all() or _has_additive(c):
        bias = np.where(vis, add, -np.inf).astype(np.float32)
        if (bias == bias[:1]).all():
            bias = bias[:1]
    model = mha_model(c.B, c.Sq, c.Sk, c.Hq, c.Dqk, c.Dv,
                      c.kv_lens is not None,
                      None if bias is None else bias.shape, c.scale)
    feeds = {"q": _pack(q).astype(np.float32),
             "k": _pack(k).astype(np.float32),
             "v": _pack(v).astype(np.float32)}
    if c.kv_lens is not None:
        feeds["key_padding_mask"] = (
            np.arange(c.Sk)[None] < np.asarray(c.kv_lens)[:, None]
        ).astype(np.int32)
    if bias is not None:
        feeds["attention_bias"] = bias
    y = _session(model).run(None, feeds)[0]
    return "MultiHeadAttention", _from_bhsd(c, _unpack(y.astype(np.float64),
                                                       c.Hq))


def peer_outputs(c, inputs):
    """[(label, out)] from every ORT kernel that supports `c`."""
    if c.dtype not in ELT:
        return []  # ORT has no bf16 attention kernel on the CPU
    res = [run_attention(c, inputs)]
    if gqa_supported(c):
        res.append(run_gqa(c, inputs))
    if mha_supported(c, inputs):
        res.append(run_mha(c, inputs))
    return res


def peer_tolerance(label, dtype):
    """Max abs error vs fp64 relative to the output scale, before the
    score-magnitude term of harness.out_tolerance. ORT's fp16 kernels form
    Q Kᵀ and P in fp16 (errors ~ 2^-11 |s|): measured <= 3.8e-3 for
    Attention and <= 4.3e-4 for GroupQueryAttention over 1500 configs; its
    fp32 kernels <= 4e-6 (docs/testing/numerics.md)."""
    if dtype == "f16" and "f32 kernel" not in label and \
            label != "MultiHeadAttention":
        return 1e-2
    return 2e-5
