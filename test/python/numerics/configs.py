"""Random `attn.sdpa` configurations, their inputs and their .mlir text.

A configuration is fully determined by its seed: `make_config(seed)` always
returns the same one, and `make_inputs(cfg)` the same arrays, so a failure
printed with its seed reproduces with `run_numerics.py --seed=SEED`.
"""

import dataclasses
import json
from typing import List, Optional, Tuple

import ml_dtypes
import numpy as np

# Work cap per configuration: B * Hq * Sq * Sk * max(Dqk, Dv). The reference
# lowering runs scalar loops; this keeps one run well under a second on a
# 2-core machine.
DEFAULT_WORK_CAP = 3_000_000

NP_DTYPES = {"f32": np.float32, "f16": np.float16,
             "bf16": ml_dtypes.bfloat16}


@dataclasses.dataclass
class Config:
    seed: int
    dtype: str = "f32"
    layout: str = "bhsd"
    B: int = 1
    Hq: int = 1
    Hkv: int = 1
    Sq: int = 1
    Sk: int = 1
    Dqk: int = 32
    Dv: int = 32
    # Varlen: per-sequence lengths (packed tensors, cu_seqlens operands).
    seqlens_q: Optional[List[int]] = None
    seqlens_k: Optional[List[int]] = None
    scale: Optional[float] = None
    softcap: Optional[float] = None
    causal: bool = False
    align: str = "top_left"
    window_left: int = -1
    window_right: int = -1
    kv_lens: Optional[List[int]] = None
    bias_shape: Optional[Tuple[int, ...]] = None
    mask_kind: Optional[str] = None  # None, "bool" or "float"
    mask_shape: Optional[Tuple[int, ...]] = None
    alibi: bool = False
    lse: bool = False
    large_logits: bool = False
    tag: str = "random"

    @property
    def varlen(self):
        return self.seqlens_q is not None

    @property
    def has_mask_attr(self):
        return self.causal or self.window_left >= 0 or self.window_right >= 0

    def work(self):
        if self.varlen:
            sqk = sum(a * b for a, b in zip(self.seqlens_q, self.seqlens_k))
            return self.Hq * sqk * max(self.Dqk, self.Dv)
        return (self.B * self.Hq * self.Sq * self.Sk *
                max(self.Dqk, self.Dv))

    def is_decode(self):
        return not self.varlen and self.Sq == 1 and self.Sk >= 64

    def to_json(self):
        d = dataclasses.asdict(self)
        return json.dumps({k: v for k, v in d.items()
                           if v not in (None, False, -1) or k == "seed"})

    def short(self):
        parts = [f"seed={self.seed}", self.tag, self.dtype, self.layout]
        if self.varlen:
            parts.append(f"varlen q={self.seqlens_q} k={self.seqlens_k}")
        else:
            parts.append(f"B={self.B} Sq={self.Sq} Sk={self.Sk}")
        parts.append(f"H={self.Hq}/{self.Hkv} D={self.Dqk}/{self.Dv}")
        if self.has_mask_attr:
            parts.append(f"mask(causal={int(self.causal)},{self.align},"
                         f"wl={self.window_left},wr={self.window_right})")
        for name in ("scale", "softcap", "kv_lens", "bias_shape"):
            if getattr(self, name) is not None:
                parts.append(f"{name}={getattr(self, name)}")
        if self.mask_kind:
            parts.append(f"attn_mask={self.mask_kind}{self.mask_shape}")
        for name in ("alibi", "lse", "large_logits"):
            if getattr(self, name):
                parts.append(name)
        return " ".join(parts)


# ---------------------------------------------------------------------------
# Random generation
# ---------------------------------------------------------------------------

SEQ_CHOICES = [1, 17, 113, 1000]
DIM_CHOICES = [32, 64, 80, 96, 128, 256]


def _seq(rng):
    if rng.random() < 0.6:
        return int(rng.choice(SEQ_CHOICES))
    return int(rng.integers(2, 257))


def _broadcast_shape(rng, full):
    return tuple(int(n) if rng.random() < 0.6 else 1 for n in full)


def make_config(seed, work_cap=DEFAULT_WORK_CAP):
    """A random configuration determined by `seed` alone."""
    rng = np.random.default_rng(seed)
    c = Config(seed=seed)
    r = rng.random()
    c.dtype = "f32" if r < 0.45 else ("f16" if r < 0.9 else "bf16")
    c.Hkv = int(rng.choice([1, 1, 2, 4]))
    c.Hq = c.Hkv * int(rng.choice([1, 1, 2, 4]))
    c.Dqk = int(rng.choice(DIM_CHOICES)) if rng.random() < 0.85 else \
        int(rng.integers(4, 33)) * 8
    c.Dv = c.Dqk if rng.random() < 0.8 else int(rng.choice(DIM_CHOICES))
    varlen = rng.random() < 0.15
    if varlen:
        nseq = int(rng.integers(1, 4))
        c.B = nseq
        c.seqlens_q = [_seq(rng) for _ in range(nseq)]
        c.seqlens_k = [_seq(rng) if rng.random() < 0.5 else c.seqlens_q[i]
                       for i in range(nseq)]
    else:
        c.B = int(rng.choice([1, 1, 2, 3]))
        if rng.random() < 0.2:  # decode shape
            c.Sq, c.Sk = 1, int(rng.choice([64, 300, 1000, 2048]))
        else:
            c.Sq = _seq(rng)
            c.Sk = c.Sq if rng.random() < 0.35 else _seq(rng)
        c.layout = "bshd" if rng.random() < 0.3 else "bhsd"

    # Shrink to the work cap, taking a random reducible factor each time so
    # that long sequences, many heads and wide heads all survive sometimes.
    for _ in range(200):
        if c.work() <= work_cap:
            break
        options = []
        if c.Hq > 1:
            options.append("heads")
        if c.B > 1 and not c.varlen:
            options.append("batch")
        if max(c.Dqk, c.Dv) > 32:
            options.append("dims")
        options.append("seq")
        what = options[int(rng.integers(len(options)))]
        if what == "heads":
            if c.Hq > c.Hkv:
                c.Hq //= 2
            else:
                c.Hkv //= 2
                c.Hq = max(c.Hq // 2, c.Hkv)
        elif what == "batch":
            c.B -= 1
        elif what == "dims":
            c.Dqk, c.Dv = max(32, c.Dqk // 2), max(32, c.Dv // 2)
        elif c.varlen:
            i = int(np.argmax([a * b for a, b in
                               zip(c.seqlens_q, c.seqlens_k)]))
            c.seqlens_q[i] = max(1, c.seqlens_q[i] // 2)
            c.seqlens_k[i] = max(1, c.seqlens_k[i] // 2)
        elif c.Sq >= c.Sk:
            c.Sq = max(1, c.Sq // 2)
        else:
            c.Sk = max(1, c.Sk // 2)

    sk = max(c.seqlens_k) if c.varlen else c.Sk
    if rng.random() < 0.5:
        c.causal = True
    if rng.random() < 0.25:
        c.window_left = int(rng.integers(0, max(sk, 1) + 1))
    if rng.random() < 0.12:
        c.window_right = int(rng.integers(0, max(sk, 1) + 1))
        if c.causal:
            c.window_right = 0  # #attn.mask: window_right <= 0 when causal
    if c.has_mask_attr:
        c.align = "bottom_right" if rng.random() < 0.5 else "top_left"
    if rng.random() < 0.5:
        c.scale = float(np.float32(rng.uniform(0.03, 0.5)))
    if rng.random() < 0.2:
        c.softcap = float(rng.choice([5.0, 20.0, 50.0]))
    if rng.random() < 0.2:
        c.alibi = True
    c.lse = bool(rng.random() < 0.5)
    if not c.varlen:
        full = (c.B, c.Hq, c.Sq, c.Sk)
        if rng.random() < 0.25:
            # Mostly non-empty sequences; an empty one now and then.
            c.kv_lens = [int(rng.integers(1, c.Sk + 1))
                         if rng.random() < 0.92 else 0 for _ in range(c.B)]
        if rng.random() < 0.25:
            c.bias_shape = _broadcast_shape(rng, full)
        if rng.random() < 0.2:
            c.mask_kind = "bool" if rng.random() < 0.6 else "float"
            c.mask_shape = _broadcast_shape(rng, full)
    return c


def edge_configs():
    """Edge cases with defined results, run first in every suite."""
    E = []
    # Fully masked rows: bottom-right causal with Sq > Sk hides rows
    # i < Sq - Sk entirely; an empty kv_lens entry hides a whole batch.
    E.append(Config(seed=-1, tag="fully-masked-causal", B=1, Hq=2, Hkv=1,
                    Sq=17, Sk=5, causal=True, align="bottom_right", lse=True))
    E.append(Config(seed=-2, tag="fully-masked-kvlens", dtype="f16", B=3,
                    Hq=4, Hkv=2, Sq=9, Sk=33, Dqk=64, Dv=64,
                    kv_lens=[0, 33, 7], lse=True))
    E.append(Config(seed=-3, tag="fully-masked-boolmask", B=2, Hq=2, Hkv=2,
                    Sq=6, Sk=11, mask_kind="bool", mask_shape=(2, 1, 6, 11),
                    lse=True))
    E.append(Config(seed=-4, tag="fully-masked-window", B=1, Hq=2, Hkv=2,
                    Sq=20, Sk=8, Dqk=64, Dv=32, window_left=2,
                    window_right=0, lse=True))
    # Sq = 1 and Sk = 1.
    E.append(Config(seed=-5, tag="sq1-decode", dtype="f16", B=2, Hq=8, Hkv=2,
                    Sq=1, Sk=1000, Dqk=64, Dv=64, causal=True,
                    align="bottom_right", kv_lens=[1000, 517], lse=True))
    E.append(Config(seed=-6, tag="sk1", B=2, Hq=4, Hkv=4, Sq=17, Sk=1,
                    Dqk=32, Dv=48, lse=True))
    E.append(Config(seed=-7, tag="sq1-sk1", dtype="f16", B=1, Hq=2, Hkv=1,
                    Sq=1, Sk=1, Dqk=128, Dv=128, causal=True, lse=True))
    # Very large logits (~1e4): integer-valued q and k with scale 1 make the
    # scores exact in f32, so the only error left is softmax rounding.
    E.append(Config(seed=-8, tag="large-logits", B=1, Hq=4, Hkv=2, Sq=113,
                    Sk=113, Dqk=64, Dv=64, scale=1.0, causal=True,
                    large_logits=True, lse=True))
    E.append(Config(seed=-9, tag="large-logits", dtype="f16", B=2, Hq=2,
                    Hkv=2, Sq=17, Sk=300, Dqk=32, Dv=32, scale=1.0,
                    large_logits=True, lse=True))
    # Everything at once.
    E.append(Config(seed=-10, tag="all-features", B=2, Hq=4, Hkv=2, Sq=17,
                    Sk=40, Dqk=32, Dv=64, layout="bshd", scale=0.2,
                    softcap=20.0, causal=True, align="bottom_right",
                    window_left=9, kv_lens=[40, 23], bias_shape=(1, 4, 17, 40),
                    mask_kind="float", mask_shape=(2, 1, 1, 40), alibi=True,
                    lse=True))
    E.append(Config(seed=-11, tag="varlen", dtype="f16", B=3, Hq=4, Hkv=1,
                    seqlens_q=[17, 1, 40], seqlens_k=[17, 30, 1], Dqk=64,
                    Dv=64, causal=True, align="bottom_right", alibi=True,
                    lse=True))
    return E


def make_suite(n, base_seed=0, work_cap=DEFAULT_WORK_CAP):
    """`n` configurations: the edge cases first, then random ones."""
    edges = edge_configs()
    cfgs = edges[:n]
    cfgs += [make_config(base_seed + i, work_cap)
             for i in range(max(0, n - len(edges)))]
    return cfgs


def config_for_seed(seed, work_cap=DEFAULT_WORK_CAP):
    if seed < 0:
        return {c.seed: c for c in edge_configs()}[seed]
    return make_config(seed, work_cap)


# ---------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------


def _round(x, dtype):
    """Round fp64 values to `dtype`, returned as that numpy dtype."""
    return np.asarray(x).astype(NP_DTYPES[dtype])


def make_inputs(c):
    """The operands of the function, in argument order, as a list of
    (name, array) with arrays in their MLIR element type (bf16 as
    ml_dtypes.bfloat16)."""
    rng = np.random.default_rng(abs(c.seed) * 7919 + 17)
    if c.varlen:
        tq, tk = sum(c.seqlens_q), sum(c.seqlens_k)
        qs, ks, vs = (tq, c.Hq, c.Dqk), (tk, c.Hkv, c.Dqk), (tk, c.Hkv, c.Dv)
    elif c.layout == "bhsd":
        qs = (c.B, c.Hq, c.Sq, c.Dqk)
        ks = (c.B, c.Hkv, c.Sk, c.Dqk)
        vs = (c.B, c.Hkv, c.Sk, c.Dv)
    else:
        qs = (c.B, c.Sq, c.Hq, c.Dqk)
        ks = (c.B, c.Sk, c.Hkv, c.Dqk)
        vs = (c.B, c.Sk, c.Hkv, c.Dv)
    if c.large_logits:
        # Small integers plus a shared component of 100 * 100 = 1e4 in the
        # first channel: every score is an integer near 1e4 (exact in f32
        # and in f16 x f16 products).
        q = rng.integers(-8, 9, size=qs).astype(np.float64)
        k = rng.integers(-8, 9, size=ks).astype(np.float64)
        q[..., 0] = 100.0
        k[..., 0] = 100.0
    else:
        q = rng.standard_normal(qs)
        k = rng.standard_normal(ks)
    v = rng.standard_normal(vs)
    ins = [("query", _round(q, c.dtype)), ("key", _round(k, c.dtype)),
           ("value", _round(v, c.dtype))]
    if c.bias_shape is not None:
        ins.append(("bias", _round(rng.standard_normal(c.bias_shape),
                                   c.dtype)))
    if c.mask_kind == "bool":
        m = rng.random(c.mask_shape) < 0.75
        if c.tag.startswith("fully-masked"):
            m[..., 0, :] = False  # one fully hidden query row
        ins.append(("attn_mask", m))
    elif c.mask_kind == "float":
        ins.append(("attn_mask",
                    _round(rng.standard_normal(c.mask_shape), c.dtype)))
    if c.alibi:
        # The usual geometric slopes 2^(-8 (h + 1) / H), in f32.
        h = np.arange(c.Hq)
        ins.append(("alibi_slopes",
                    (2.0 ** (-8.0 * (h + 1) / c.Hq)).astype(np.float32)))
    if c.kv_lens is not None:
        ins.append(("kv_lens", np.asarray(c.kv_lens, dtype=np.int32)))
    if c.varlen:
        ins.append(("cu_seqlens_q",
                    np.concatenate([[0], np.cumsum(c.seqlens_q)])
                    .astype(np.int32)))
        ins.append(("cu_seqlens_k",
                    np.concatenate([[0], np.cumsum(c.seqlens_k)])
                    .astype(np.int32)))
    return ins


def reference_kwargs(c, inputs):
    """Keyword arguments of reference.sdpa_reference for `c`."""
    d = dict(inputs)
    kw = dict(layout=c.layout, scale=c.scale, softcap=c.softcap,
              causal=c.causal, align=c.align, window_left=c.window_left,
              window_right=c.window_right)
    for name in ("bias", "attn_mask", "alibi_slopes", "kv_lens",
                 "cu_seqlens_q", "cu_seqlens_k"):
        if name in d:
            arr = d[name]
            if arr.dtype not in (np.bool_, np.int32):
                arr = arr.astype(np.float64)
            kw[name] = arr
    return kw


def output_shapes(c):
    if c.varlen:
        tq = sum(c.seqlens_q)
        return (tq, c.Hq, c.Dv), (tq, c.Hq)
    if c.layout == "bhsd":
        return (c.B, c.Hq, c.Sq, c.Dv), (c.B, c.Hq, c.Sq)
    return (c.B, c.Sq, c.Hq, c.Dv), (c.B, c.Hq, c.Sq)


# ---------------------------------------------------------------------------
# MLIR
# ---------------------------------------------------------------------------

MLIR_ELT = {np.dtype(np.float32): "f32", np.dtype(np.float16): "f16",
            np.dtype(ml_dtypes.bfloat16): "bf16", np.dtype(np.bool_): "i1",
            np.dtype(np.int32): "i32"}


def tensor_type(shape, elt):
    return "tensor<" + "".join(f"{n}x" for n in shape) + elt + ">"


def _f32_literal(x):
    return repr(float(np.float32(x)))


def to_mlir(c, inputs, entry="sdpa"):
    """The function `@entry` computing `attn.sdpa` on `inputs`."""
    types = {name: tensor_type(a.shape, MLIR_ELT[a.dtype])
             for name, a in inputs}
    args = ", ".join(f"%{name}: {types[name]}" for name, _ in inputs)
    oshape, lshape = output_shapes(c)
    otype = tensor_type(oshape, c.dtype)
    ltype = tensor_type(lshape, "f32")
    results = [otype] + ([ltype] if c.lse else [])
    operands = ""
    for name, kw in (("bias", "bias"), ("attn_mask", "attn_mask"),
                     ("alibi_slopes", "alibi"), ("kv_lens", "kv_lens")):
        if name in types:
            operands += f" {kw}(%{name} : {types[name]})"
    if c.varlen:
        operands += (f" cu_seqlens(%cu_seqlens_q, %cu_seqlens_k : "
                     f"{types['cu_seqlens_q']}, {types['cu_seqlens_k']})")
    attrs = []
    if c.has_mask_attr:
        params = []
        if c.causal:
            params.append("causal = true")
        if c.align != "top_left":
            params.append(f"align = {c.align}")
        if c.window_left >= 0:
            params.append(f"window_left = {c.window_left}")
        if c.window_right >= 0:
            params.append(f"window_right = {c.window_right}")
        attrs.append("mask = #attn.mask<" + ", ".join(params) + ">")
    if c.scale is not None:
        attrs.append(f"scale = {_f32_literal(c.scale)} : f32")
    if c.softcap is not None:
        attrs.append(f"softcap = {_f32_literal(c.softcap)} : f32")
    if c.layout == "bshd":
        attrs.append("layout = #attn<layout bshd>")
    attr_dict = (" {" + ", ".join(attrs) + "}") if attrs else ""
    res_names = "%o, %lse" if c.lse else "%o"
    rtypes = ", ".join(results)
    ret = f"({rtypes})" if c.lse else rtypes
    return (
        f"// {c.short()}\n"
        f"func.func @{entry}({args}) -> {ret} {{\n"
        f"  {res_names} = attn.sdpa %query, %key, %value{operands}{attr_dict}\n"
        f"      : {types['query']}, {types['key']}, {types['value']}\n"
        f"      -> {rtypes}\n"
        f"  return {res_names} : {rtypes}\n"
        f"}}\n")
