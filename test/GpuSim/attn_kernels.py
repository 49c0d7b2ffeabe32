#!/usr/bin/env python3
"""Runs attn-compile's GPU kernels in attn-gpu-sim and checks them against
the fp64 reference of attn.sdpa (test/python/numerics/reference.py, written
from the op's documentation; it shares no code with the compiler).

For each configuration: writes an attn.sdpa function, compiles it with
attn-compile, runs the whole artifact (manifest) in the simulator with
racecheck and initcheck on, checks that no shared-memory access has a bank
conflict (the simulator's wavefronts against the ideal), and compares the
output with the reference computed from the same rounded inputs.

usage: attn_kernels.py --attn-compile BIN --sim BIN [--chip sm_80]
                       [--grid ci|large] [--filter S] [--jobs N] [--keep DIR]
                       [--compile-flag=FLAG ...]

Prints one line per case and "N passed, M failed"; exits 1 on any failure.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python", "numerics"))
from reference import sdpa_reference  # noqa: E402

MASKS = {
    # name: (attribute, causal, align, window_left)
    "none": ("", False, "top_left", -1),
    "causal": ("{mask = #attn.mask<causal = true>}", True, "top_left", -1),
    "causal_br": ("{mask = #attn.mask<causal = true, align = bottom_right>}",
                  True, "bottom_right", -1),
    "window": ("{mask = #attn.mask<causal = true, window_left = 31>}", True,
               "top_left", 31),
}
# Masks of the extra cases only: (attribute, causal, align, window_left,
# window_right).
MORE_MASKS = {
    "swa": ("{mask = #attn.mask<window_left = 20, window_right = 5>}", False,
            "top_left", 20, 5),
    "window_br": ("{mask = #attn.mask<causal = true, align = bottom_right, "
                  "window_left = 70>}", True, "bottom_right", 70, -1),
}
ALL_MASKS = dict({k: v + (-1,) for k, v in MASKS.items()}, **MORE_MASKS)
HEADS = {"mha": (4, 4), "gqa": (4, 2), "mqa": (4, 1)}
# FP8: the e4m3 subnormals' rounding (absolute).
FP8_ATOL = 2e-3
DTYPES = {"f16": 64, "bf16": 128}  # dtype -> head dim


def configs(grid):
    """The test grid: every mask, head layout and dtype at the short lengths;
    with grid "ci", fewer combinations as the length (and the simulation
    time) grows."""
    out = []
    for s in (1, 17, 64, 113, 128, 200, 257):
        for mi, mask in enumerate(MASKS):
            for hi, heads in enumerate(HEADS):
                for di, dtype in enumerate(DTYPES):
                    if grid == "ci" and s >= 64:
                        # Longer lengths: each mask and each head layout,
                        # alternating dtypes; from 200 on only GQA.
                        if (mi + hi + di + s) % 2:
                            continue
                        if s >= 200 and heads != "gqa":
                            continue
                    # Non-square for the causal masks, so the two diagonal
                    # alignments differ.
                    sk = s + 9 if mask in ("causal", "causal_br") else s
                    hq, hkv = HEADS[heads]
                    out.append(dict(b=2 if s < 113 else 1, hq=hq, hkv=hkv,
                                    sq=s, sk=sk, d=DTYPES[dtype], dtype=dtype,
                                    mask=mask, heads=heads))
    # The other forms the GPU compiler accepts: the log-sum-exp result,
    # softcap, an explicit scale, decode (one query row, many keys) and a
    # different key tile.
    base = dict(b=1, hq=4, hkv=2, d=64, dtype="f16", heads="gqa")
    out.append(dict(base, sq=113, sk=113, mask="causal", lse=True))
    out.append(dict(base, sq=17, sk=17, mask="none", softcap=30.0))
    out.append(dict(base, sq=17, sk=40, mask="causal_br", scale=0.3))
    out.append(dict(base, b=2, hq=8, hkv=2, sq=1, sk=1000, d=128,
                    mask="causal_br", lse=True))
    out.append(dict(base, sq=113, sk=113, mask="window", tile_kv=32,
                    dtype="bf16"))
    # Score terms and key padding, alone and together, on both dtypes and
    # both head dimensions; Dv != Dqk.
    out.append(dict(base, sq=113, sk=130, mask="causal_br", softcap=15.0,
                    dtype="bf16", d=128))
    out.append(dict(base, sq=70, sk=70, mask="none", bias=(1, 4, 70, 70)))
    out.append(dict(base, b=2, sq=65, sk=90, mask="none", bias=(2, 1, 1, 90),
                    dtype="bf16"))
    out.append(dict(base, sq=100, sk=100, mask="causal", alibi=True))
    out.append(dict(base, sq=50, sk=150, mask="causal_br", alibi=True,
                    d=128))
    out.append(dict(base, b=3, sq=80, sk=140, mask="none",
                    kv_lens=(140, 77, 0)))
    out.append(dict(base, b=2, sq=40, sk=200, mask="causal_br",
                    kv_lens=(130, 64), dtype="bf16"))
    out.append(dict(base, b=2, sq=100, sk=100, mask="none", dv=128))
    out.append(dict(base, b=2, sq=90, sk=120, mask="causal_br", d=128, dv=64,
                    kv_lens=(120, 101), alibi=True, softcap=30.0,
                    bias=(1, 4, 90, 120), lse=True))
    # Decode form (split-KV, the query heads of a KV head packed in one CTA,
    # a combine kernel): one and several queries, GQA 4:1 and 8:1 and MQA,
    # keys in several splits, empty splits (kv_lens, causal), score terms.
    out.append(dict(base, b=2, hq=8, hkv=2, sq=1, sk=700, mask="causal_br",
                    d=128, lse=True, kv_bytes=True))
    out.append(dict(base, b=1, hq=8, hkv=1, heads="mqa", sq=3, sk=333, mask="causal_br",
                    dtype="bf16"))
    out.append(dict(base, b=3, hq=16, hkv=2, sq=1, sk=500, mask="none",
                    kv_lens=(500, 130, 0), lse=True))
    # A split count chosen at launch (grid x) instead of the default.
    out.append(dict(base, b=2, hq=8, hkv=2, sq=1, sk=700, mask="causal_br",
                    d=128, lse=True, kv_bytes=True, splits=3))
    out.append(dict(base, b=1, hq=4, hkv=2, sq=5, sk=300, mask="causal",
                    alibi=True, softcap=20.0, bias=(1, 4, 5, 300), d=128,
                    dv=64))
    # More than 64 (query head, query) pairs: CTAs of 8 warps (a speculative
    # decode step of 12 or 16 queries over 8 query heads per KV head).
    out.append(dict(base, b=2, hq=16, hkv=2, sq=12, sk=520, mask="causal_br",
                    d=128, lse=True, kv_bytes=True))
    out.append(dict(base, b=2, hq=8, hkv=1, heads="mqa", sq=16, sk=400,
                    mask="window_br", kv_lens=(400, 77), dtype="bf16",
                    softcap=20.0, splits=5))
    # Varlen (packed sequences, cu_seqlens): lengths per sequence, queries
    # and keys, including an empty sequence and one longer than a CTA.
    out.append(dict(base, varlen=((130, 0, 170, 1), (200, 50, 150, 64)),
                    mask="causal_br", lse=True))
    out.append(dict(base, varlen=((64, 100, 37), (64, 100, 37)),
                    mask="none", d=128, dtype="bf16", alibi=True))
    out.append(dict(base, varlen=((90, 17), (90, 300)), mask="window",
                    hq=8, hkv=1, heads="mqa", d=128, dv=64))
    # Two-sided sliding window, and a bottom-right window, in the prefill,
    # decode and varlen forms.
    out.append(dict(base, sq=150, sk=150, mask="swa"))
    out.append(dict(base, sq=100, sk=260, mask="window_br", d=128,
                    dtype="bf16", lse=True))
    out.append(dict(base, b=2, hq=8, hkv=2, sq=2, sk=600, mask="window_br"))
    out.append(dict(base, varlen=((40, 130), (200, 140)), mask="window_br"))
    # Varlen at head dimension 256 (the sm_90a TMA kernel only).
    out.append(dict(base, varlen=((70, 150, 0), (100, 130, 20)),
                    mask="causal_br", d=256, dtype="bf16", lse=True))
    out.append(dict(base, b=2, hq=8, hkv=2, sq=1, sk=400, mask="swa",
                    kv_lens=(400, 250)))
    # Head dimension 256 (the sm_90a TMA kernel; on sm_80 Q in shared memory):
    # Dqk = Dv, and each with 64; decode shapes in the split-KV form (Q's
    # rows several query heads), one with a split count chosen at launch.
    out.append(dict(base, sq=130, sk=139, mask="causal", d=256, lse=True))
    out.append(dict(base, sq=64, sk=200, mask="causal_br", d=256, dv=64,
                    dtype="bf16", softcap=30.0))
    out.append(dict(base, b=2, sq=70, sk=70, mask="none", d=64, dv=256,
                    kv_lens=(70, 33)))
    out.append(dict(base, b=1, hq=8, hkv=2, sq=1, sk=300, mask="none",
                    d=256, dtype="bf16", lse=True, kv_bytes=True))
    out.append(dict(base, b=2, hq=8, hkv=1, heads="mqa", sq=3, sk=500,
                    mask="causal_br", d=256, dv=64, kv_lens=(500, 130),
                    softcap=20.0, splits=3))
    out.append(dict(base, b=1, hq=16, hkv=4, sq=1, sk=400, mask="window_br",
                    d=64, dv=256, alibi=True, lse=True))
    # FP8 (e4m3 codes through attn.dequantize; the sm_90a TMA kernel only):
    # per-tensor and per-head scales, masks, GQA, partial tiles, score terms.
    f8 = dict(base, d=128, fp8=("head", "tensor", "tensor1"))
    out.append(dict(f8, b=1, sq=200, sk=300, mask="causal_br"))
    out.append(dict(f8, b=2, hq=4, hkv=4, heads="mha", sq=64, sk=64,
                    mask="none", fp8=("tensor", "head", "head")))
    out.append(dict(f8, b=1, sq=130, sk=257, mask="window", dtype="bf16"))
    out.append(dict(f8, b=2, sq=17, sk=150, mask="none", softcap=20.0,
                    kv_lens=(150, 33), fp8=("tensor", "tensor", "head")))
    out.append(dict(f8, b=1, sq=70, sk=130, mask="causal", alibi=True,
                    bias=(1, 4, 70, 130), dtype="bf16"))
    out.append(dict(f8, varlen=((130, 0, 40), (200, 30, 40)),
                    mask="causal_br"))
    # FP8 at head dimensions 64 (TMA boxes half past the last column) and
    # 256, Dqk = Dv and each with another.
    out.append(dict(f8, d=64, b=1, sq=130, sk=200, mask="causal_br", lse=True))
    out.append(dict(f8, d=64, b=2, hq=8, hkv=1, heads="mqa", sq=17, sk=257,
                    mask="window", dtype="bf16",
                    fp8=("tensor", "tensor", "tensor1")))
    out.append(dict(f8, d=256, b=1, sq=130, sk=139, mask="causal"))
    out.append(dict(f8, d=256, dv=64, b=1, sq=64, sk=200, mask="causal_br",
                    softcap=30.0, dtype="bf16"))
    out.append(dict(f8, d=64, dv=256, b=2, sq=70, sk=70, mask="none",
                    kv_lens=(70, 33), fp8=("tensor", "head", "head")))
    out.append(dict(f8, d=64, varlen=((70, 1), (100, 64)), mask="causal_br",
                    alibi=True))
    # Decode shapes: the split-KV form (per-head Q scales: its rows are
    # several query heads), a split count chosen at launch, and three key
    # tiles (too few to split: the prefill kernel).
    out.append(dict(f8, b=2, hq=8, hkv=2, sq=1, sk=700, mask="causal_br",
                    lse=True, kv_bytes=True))
    out.append(dict(f8, b=1, hq=8, hkv=1, heads="mqa", sq=3, sk=600,
                    mask="none", softcap=20.0, splits=3,
                    fp8=("head", "head", "tensor")))
    out.append(dict(f8, b=2, hq=8, hkv=2, sq=1, sk=300, mask="causal_br",
                    lse=True))
    out.append(dict(f8, b=1, hq=8, hkv=1, heads="mqa", sq=10, sk=600,
                    mask="causal_br", kv_bytes=True))
    # ... and at head dimension 256.
    out.append(dict(f8, d=256, b=2, hq=8, hkv=2, sq=1, sk=700,
                    mask="causal_br", lse=True, kv_bytes=True))
    out.append(dict(f8, d=256, dv=64, b=1, hq=8, hkv=1, heads="mqa", sq=2,
                    sk=600, mask="none", splits=3,
                    fp8=("head", "head", "tensor")))
    for c in out:
        if "varlen" in c:  # packed totals
            c.update(b=len(c["varlen"][0]), sq=sum(c["varlen"][0]),
                     sk=sum(c["varlen"][1]))
    if grid == "large":
        out.append(dict(b=1, hq=8, hkv=2, sq=1000, sk=1000, d=128,
                        dtype="bf16", heads="gqa", mask="window"))
    return out


def name_of(c):
    if "varlen" in c:
        lq, lk = c["varlen"]
        n = "{mask}_{heads}_varlen".format(**c) + "-".join(
            f"{a}x{b}" for a, b in zip(lq, lk)) + "_d{d}_{dtype}".format(**c)
    else:
        n = "{mask}_{heads}_s{sq}x{sk}_d{d}_{dtype}".format(**c)
    for k in ("dv", "lse", "softcap", "scale", "tile_kv", "alibi"):
        if k in c:
            n += "_" + k + ("" if c[k] is True else str(c[k]))
    if "bias" in c:
        n += "_bias" + "x".join(map(str, c["bias"]))
    if "kv_lens" in c:
        n += "_kvlens" + "-".join(map(str, c["kv_lens"]))
    if "splits" in c:
        n += f"_splits{c['splits']}"
    if "fp8" in c:
        n += "_fp8-" + "-".join(c["fp8"])
    return n


# FP8 scale granularities: (quant attribute, scale tensor type of H heads).
FP8_SCALES = {
    "tensor": ("per_tensor", lambda h: "tensor<f32>"),
    "tensor1": ("per_tensor", lambda h: "tensor<1xf32>"),
    "head": ("per_head, axis = 1", lambda h: f"tensor<{h}xf32>"),
}


def e4m3_table():
    """The value of each e4m3fn code (NaN for 0x7f and 0xff)."""
    c = np.arange(256)
    sign = np.where(c >> 7, -1.0, 1.0)
    e, m = (c >> 3) & 15, c & 7
    mag = np.where(e == 0, m / 8.0 * 2.0 ** -6,
                   (1 + m / 8.0) * 2.0 ** (e.astype(np.float64) - 7))
    mag = np.where((e == 15) & (m == 7), np.nan, mag)
    return sign * mag


def to_e4m3(x):
    """The nearest finite e4m3fn code of each element."""
    table = e4m3_table()
    finite = np.flatnonzero(np.isfinite(table))
    flat = np.asarray(x, np.float64).reshape(-1)
    best = finite[np.argmin(np.abs(flat[:, None] - table[finite][None, :]),
                            axis=1)]
    return best.astype(np.uint8).reshape(np.shape(x))


def mlir_of(c):
    ty = "f16" if c["dtype"] == "f16" else "bf16"
    dv = c.get("dv", c["d"])
    if "varlen" in c:
        tq, tk = (sum(x) for x in c["varlen"])
        q = f"tensor<{tq}x{c['hq']}x{c['d']}x{ty}>"
        k = f"tensor<{tk}x{c['hkv']}x{c['d']}x{ty}>"
        v = f"tensor<{tk}x{c['hkv']}x{dv}x{ty}>"
        o = f"tensor<{tq}x{c['hq']}x{dv}x{ty}>"
    else:
        q = f"tensor<{c['b']}x{c['hq']}x{c['sq']}x{c['d']}x{ty}>"
        k = f"tensor<{c['b']}x{c['hkv']}x{c['sk']}x{c['d']}x{ty}>"
        v = f"tensor<{c['b']}x{c['hkv']}x{c['sk']}x{dv}x{ty}>"
        o = f"tensor<{c['b']}x{c['hq']}x{c['sq']}x{dv}x{ty}>"
    # Optional operands: (argument, operand clause).
    extra = []
    if "bias" in c:
        t = "tensor<" + "x".join(map(str, c["bias"])) + f"x{ty}>"
        extra.append((f"%bias: {t}", f"bias(%bias : {t})"))
    if c.get("alibi"):
        t = f"tensor<{c['hq']}xf32>"
        extra.append((f"%slopes: {t}", f"alibi(%slopes : {t})"))
    if "kv_lens" in c:
        t = f"tensor<{c['b']}xi32>"
        extra.append((f"%lens: {t}", f"kv_lens(%lens : {t})"))
    if "varlen" in c:
        t = f"tensor<{len(c['varlen'][0]) + 1}xi32>"
        extra.append((f"%cq: {t}, %ck: {t}",
                      f"cu_seqlens(%cq, %ck : {t}, {t})"))
    qkv_args, prologue = [f"%q: {q}", f"%k: {k}", f"%v: {v}"], ""
    if c.get("fp8"):
        qkv_args, prologue = fp8_operands(c, ty, dv)
    args = ", ".join(qkv_args + [a for a, _ in extra])
    operands = " ".join(["%q, %k, %v"] + [o_ for _, o_ in extra])
    attrs = []
    if ALL_MASKS[c["mask"]][0]:
        attrs.append(ALL_MASKS[c["mask"]][0][1:-1])
    if "softcap" in c:
        attrs.append(f"softcap = {c['softcap']} : f32")
    if "scale" in c:
        attrs.append(f"scale = {c['scale']} : f32")
    attr = "{" + ", ".join(attrs) + "}" if attrs else ""
    if c.get("lse"):
        lse = (f"tensor<{sum(c['varlen'][0])}x{c['hq']}xf32>" if "varlen" in c
               else f"tensor<{c['b']}x{c['hq']}x{c['sq']}xf32>")
        return (f"func.func @attn({args}) -> ({o}, {lse}) {{\n{prologue}"
                f"  %o:2 = attn.sdpa {operands} {attr} : {q}, {k}, {v} -> {o}, {lse}\n"
                f"  return %o#0, %o#1 : {o}, {lse}\n}}\n")
    return (f"func.func @attn({args}) -> {o} {{\n{prologue}"
            f"  %o = attn.sdpa {operands} {attr} : {q}, {k}, {v} -> {o}\n"
            f"  return %o : {o}\n}}\n")


def fp8_lse_slack(c, vals):
    """FP8: the kernel's scores come from the codes and the f32 scales; the
    reference's from the dequantized values rounded to the result type, as
    attn.dequantize defines them. Each product q_i k_i then differs by up
    to 2u + u^2 of itself (u: the unit roundoff of f16 or bf16), a score by
    that much of sum_i |q_i k_i| times the scale, and the lse (a smooth
    maximum of its row's scores; softcap only shrinks differences) by at
    most the largest such difference of the row: bounded here over all the
    keys of the KV head."""
    u = 2.0 ** -11 if c["dtype"] == "f16" else 2.0 ** -8
    q, k = np.abs(vals["q"]), np.abs(vals["k"])
    if "varlen" in c:  # [T, H, D] -> [1, H, T, D]
        q, k = q.transpose(1, 0, 2)[None], k.transpose(1, 0, 2)[None]
    k = np.repeat(k, q.shape[1] // k.shape[1], axis=1)
    most = np.einsum("bhqd,bhkd->bhqk", q, k).max(axis=-1)
    scale = c.get("scale") or 1.0 / np.sqrt(q.shape[-1])
    slack = (2 * u + u * u) * scale * most
    return slack[0].T if "varlen" in c else slack


def fp8_operands(c, ty, dv):
    """Q, K and V as e4m3 codes through attn.dequantize (granularities
    c["fp8"] for q, k, v): the function's arguments and the dequantize
    lines."""
    dims = {"q": (c["b"], c["hq"], c["sq"], c["d"]),
            "k": (c["b"], c["hkv"], c["sk"], c["d"]),
            "v": (c["b"], c["hkv"], c["sk"], dv)}
    if "varlen" in c:
        tq, tk = (sum(x) for x in c["varlen"])
        dims = {"q": (tq, c["hq"], c["d"]), "k": (tk, c["hkv"], c["d"]),
                "v": (tk, c["hkv"], dv)}
    heads = {"q": c["hq"], "k": c["hkv"], "v": c["hkv"]}
    args, lines = [], []
    for t, gran in zip("qkv", c["fp8"]):
        shape = "x".join(map(str, dims[t]))
        quant, stype = FP8_SCALES[gran]
        st = stype(heads[t])
        args += [f"%{t}8: tensor<{shape}xf8E4M3FN>", f"%{t}s: {st}"]
        lines.append(f"  %{t} = attn.dequantize %{t}8, %{t}s {{quant = "
                     f"#attn.quant<fp8_e4m3, {quant}>}} : "
                     f"tensor<{shape}xf8E4M3FN>, {st} -> tensor<{shape}x{ty}>")
    return args, "".join(line + "\n" for line in lines)


def to_bf16_bits(x):
    u = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def from_bf16_bits(b):
    return (np.asarray(b, np.uint16).astype(np.uint32) << 16).view(np.float32)


def weights_of(reference, vals):
    """The attention weights (float64) of a case, shaped like its output
    with the keys in place of V's columns: [B, Hq, Sq, Sk], or [Tq, Hq, Tk]
    for varlen (a sequence's keys at their tokens). `reference(v)` is the
    case's fp64 attention of values `v`: the weights are that of an
    identity V."""
    k = vals["k"]
    if "cu_seqlens_q" in vals:
        tk, hkv, _ = k.shape
        eye = np.broadcast_to(np.eye(tk)[:, None, :], (tk, hkv, tk))
    else:
        b, hkv, sk, _ = k.shape
        eye = np.broadcast_to(np.eye(sk), (b, hkv, sk, sk))
    return reference(eye)[0]


def weighted(c, vals, w, x):
    """sum_j w_j x_j for every output element, with `w` weights shaped as
    weights_of() gives them and `x` shaped like V."""
    group = c["hq"] // c["hkv"]
    if "cu_seqlens_q" in vals:  # [Hq, Tq, Tk] @ [Hq, Tk, Dv] -> [Tq, Hq, Dv]
        x = np.repeat(x.transpose(1, 0, 2), group, axis=0)
        return (w.transpose(1, 0, 2) @ x).transpose(1, 0, 2)
    return w @ np.repeat(x, group, axis=1)


def run_case(c, args, seed):
    name = name_of(c)
    d = tempfile.mkdtemp(prefix="gpusim_", dir=args.keep)
    t0 = time.time()
    try:
        with open(os.path.join(d, "case.mlir"), "w") as f:
            f.write(mlir_of(c))
        cmd = [args.attn_compile, os.path.join(d, "case.mlir"),
               f"--chip={args.chip}", f"--out-dir={d}", "--no-cubin"]
        if "tile_kv" in c:
            # A key tile other than the kernel's own where the form takes
            # it: mma.sync 32 (its own 64); sm_90a's wgmma kernels take
            # 64 or 128 (TMA's own 128), so 64 there.
            tile = c["tile_kv"] if args.chip == "sm_80" else 64
            cmd.append(f"--tile-kv={tile}")
        cmd += args.compile_flag
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            return False, name, "attn-compile failed:\n" + r.stderr, 0
        rng = np.random.default_rng(seed)
        shapes = {"q": (c["b"], c["hq"], c["sq"], c["d"]),
                  "k": (c["b"], c["hkv"], c["sk"], c["d"]),
                  "v": (c["b"], c["hkv"], c["sk"], c.get("dv", c["d"]))}
        if "varlen" in c:
            tq, tk = (sum(x) for x in c["varlen"])
            shapes = {"q": (tq, c["hq"], c["d"]), "k": (tk, c["hkv"], c["d"]),
                      "v": (tk, c["hkv"], c.get("dv", c["d"]))}
        names = {"q": "query", "k": "key", "v": "value", "bias": "bias"}
        if "bias" in c:
            shapes["bias"] = tuple(c["bias"])
        vals, files = {}, []
        if c.get("fp8"):
            # Codes of about unit-variance values over the e4m3 range, and
            # scales that are not powers of two; the reference takes the
            # dequantized values as attn.dequantize defines them (f32
            # product rounded to the result type).
            table = e4m3_table()
            heads = {"q": c["hq"], "k": c["hkv"], "v": c["hkv"]}
            for t, gran in zip("qkv", c["fp8"]):
                codes = to_e4m3(rng.standard_normal(shapes[t]) * 40.0)
                n = heads[t] if gran == "head" else 1
                scale = (rng.uniform(0.5, 1.5, n) / 40.0).astype(np.float32)
                # Heads are dimension 1 of [B, H, S, D] and of [T, H, D].
                deq = (table[codes].astype(np.float32) * scale.reshape(
                    (1, n) + (1,) * (len(shapes[t]) - 2))).astype(np.float32)
                vals[t] = (deq.astype(np.float16).astype(np.float64)
                           if c["dtype"] == "f16"
                           else from_bf16_bits(to_bf16_bits(deq)).astype(
                               np.float64))
                path = os.path.join(d, t + ".npy")
                np.save(path, codes)
                files.append(names[t] + "=" + path)
                spath = os.path.join(d, t + "_scale.npy")
                np.save(spath, scale.reshape(() if gran == "tensor" else (n,)))
                files.append(t + "_scale=" + spath)
        for t in shapes:
            if c.get("fp8") and t in "qkv":
                continue
            x = rng.standard_normal(shapes[t]).astype(np.float32)
            if c["dtype"] == "f16":
                stored = x.astype(np.float16)
                vals[t] = stored.astype(np.float64)
            else:
                stored = to_bf16_bits(x)
                vals[t] = from_bf16_bits(stored).astype(np.float64)
            path = os.path.join(d, t + ".npy")
            np.save(path, stored)
            files.append(names[t] + "=" + path)
        if c.get("alibi"):
            # ALiBi's geometric slopes, one per query head.
            vals["slopes"] = 2.0 ** (-8.0 * np.arange(1, c["hq"] + 1) / c["hq"])
            path = os.path.join(d, "slopes.npy")
            np.save(path, vals["slopes"].astype(np.float32))
            files.append("alibi_slopes=" + path)
        if "varlen" in c:
            for key, lens in zip(("cu_seqlens_q", "cu_seqlens_k"), c["varlen"]):
                vals[key] = np.concatenate([[0], np.cumsum(lens)]).astype(np.int32)
                path = os.path.join(d, key + ".npy")
                np.save(path, vals[key])
                files.append(key + "=" + path)
        if "kv_lens" in c:
            vals["kv_lens"] = np.array(c["kv_lens"], np.int32)
            path = os.path.join(d, "kv_lens.npy")
            np.save(path, vals["kv_lens"])
            files.append("kv_lens=" + path)
        manifest = [f for f in os.listdir(d)
                    if f.endswith(".json") and f != "config.json"][0]
        cmd = [args.sim, "--manifest=" + os.path.join(d, manifest),
               "--racecheck", "--out-dir=" + os.path.join(d, "out")]
        cmd += ["--input=" + f for f in files]
        cmd.append("--stats")
        if "splits" in c:
            cmd.append(f"--splits={c['splits']}")
        r = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=args.timeout)
        if r.returncode != 0:
            return False, name, "simulator exit %d:\n%s" % (
                r.returncode, r.stderr.strip()[-3000:]), 0
        if c.get("kv_bytes"):
            # The decode form reads K and V exactly once, and Q once per
            # split (the first kernel's grid.x, or the launch's).
            man = json.load(open(os.path.join(d, manifest)))
            if len(man["kernels"]) != 2:
                return False, name, "expected the split-KV decode form", 0
            # (Bytes per element: 2, or 1 for FP8 codes, whose kernel also
            # reads the scales: one 4-byte load per thread and row.)
            splits = c.get("splits", man["kernels"][0]["grid"][0])
            dv = c.get("dv", c["d"])
            eb = 1 if c.get("fp8") else 2
            want = eb * (c["b"] * c["hkv"] * c["sk"] * (c["d"] + dv) +
                         splits * c["b"] * c["hq"] * c["sq"] * c["d"])
            first = r.stdout.split("kernel ")[1]
            got_bytes = sum(
                int(m) for m in re.findall(
                    r"buffer (?:query|key|value): read (\d+)", first))
            if got_bytes != want:
                return False, name, (f"first kernel read {got_bytes} bytes "
                                     f"of Q, K and V, analytical {want}"), 0
        conflicts = bank_conflicts(r.stdout)
        if conflicts:
            return False, name, ("shared-memory bank conflicts:\n" +
                                 "\n".join(conflicts[:5])), 0
        rate = r.stderr.strip().splitlines()[-1]
        instrs = int(rate.split()[1])
        # The simulator lists each written parameter as "PATH: NAME" (the
        # decode form also writes its split-KV partials).
        written = dict(reversed(line.rsplit(": ", 1))
                       for line in r.stdout.splitlines() if ": " in line)
        out = np.load(written["out"])
        got = (out.astype(np.float64) if c["dtype"] == "f16"
               else from_bf16_bits(out).astype(np.float64))
        _, causal, align, wl, wr = ALL_MASKS[c["mask"]]
        def reference(v):
            return sdpa_reference(vals["q"], vals["k"], v, causal=causal,
                                  align=align, window_left=wl,
                                  window_right=wr, scale=c.get("scale"),
                                  softcap=c.get("softcap"),
                                  bias=vals.get("bias"),
                                  alibi_slopes=vals.get("slopes"),
                                  kv_lens=vals.get("kv_lens"),
                                  cu_seqlens_q=vals.get("cu_seqlens_q"),
                                  cu_seqlens_k=vals.get("cu_seqlens_k"))

        ref, ref_lse = reference(vals["v"])
        # Output rounding (half an ulp of f16 / bf16) plus f32 accumulation.
        atol, rtol = ((2e-3, 4e-3) if c["dtype"] == "f16"
                      else (1e-2, 1.6e-2))
        err = np.abs(got - ref)
        tol = atol + rtol * np.abs(ref)
        rms_note = ""
        if c.get("fp8"):
            # P is rounded to e4m3 for P·V (the weights' sum is not): each
            # weight w_j is off by up to 1/16 of itself (3 mantissa bits),
            # so an output by up to sum_j w_j |v_j| / 16 -- the attention of
            # |V|; plus the e4m3 subnormals' absolute rounding. (The weights
            # w_j are the attention of an identity V.)
            v = np.asarray(vals["v"], np.float64)
            w = weights_of(reference, vals)
            weighted_abs = weighted(c, vals, w, np.abs(v))
            tol = tol + weighted_abs / 16 + FP8_ATOL
            # The RMS error: rounding w_j to e4m3 (to nearest, 3 mantissa
            # bits) adds an error uniform over half an ulp either side, at
            # most 2^-3 w_j wide: relative standard deviation at most
            # 2^-3 / sqrt(12). An output's error then has variance up to
            # sum_j w_j^2 v_j^2 / 768 (errors of different keys are
            # independent), plus its own rounding's; twice the square root
            # of the mean variance, plus the subnormals' rounding, bounds
            # the RMS error.
            var = weighted(c, vals, w ** 2, v ** 2) / 768
            ulp = 2.0 ** -8 if c["dtype"] == "bf16" else 2.0 ** -11
            var = var + (ulp * ref) ** 2 / 12
            rms_bound = 2 * float(np.sqrt(np.mean(var))) + FP8_ATOL
            rms = float(np.sqrt(np.mean(err ** 2)))
            if rms > rms_bound:
                return False, name, (f"RMS error {rms:.3g} above the bound "
                                     f"{rms_bound:.3g} (max {err.max():.3g})"), 0
            rms_note = f", RMS {rms:.2e} (bound {rms_bound:.2e})"
        bad = ~(err <= tol)
        if bad.any():
            i = np.unravel_index(np.argmax(np.where(bad, err, -1)), err.shape)
            return False, name, (
                f"{int(bad.sum())}/{bad.size} elements differ, worst at "
                f"{tuple(int(x) for x in i)}: got {got[i]:.6g}, "
                f"want {ref[i]:.6g}"), instrs
        if c.get("lse"):
            lse = np.load(written["lse"]).astype(np.float64)
            # Rows that see no key have lse -inf on both sides.
            same = lse == ref_lse
            with np.errstate(invalid="ignore"):  # -inf - -inf where same
                lerr = np.where(same, 0.0,
                                np.abs(np.where(same, 0.0, lse - ref_lse)))
            ltol = 1e-4 + 1e-5 * np.abs(ref_lse)
            if c.get("fp8"):
                ltol = ltol + fp8_lse_slack(c, vals)
            if not (lerr <= ltol).all():
                return False, name, f"lse differs by up to {lerr.max():.3g}", \
                    instrs
        return True, name, (f"max err {err.max():.2e}{rms_note} "
                            f"({time.time() - t0:.1f}s, {instrs} "
                            f"thread-instructions)"), instrs
    except subprocess.TimeoutExpired:
        return False, name, f"simulator timed out after {args.timeout}s", 0
    finally:
        if not args.keep:
            shutil.rmtree(d, ignore_errors=True)


def bank_conflicts(stats):
    """The shared-memory instructions of a --stats report whose accesses
    took more wavefronts than the conflict-free ideal."""
    out, section = [], False
    for line in stats.splitlines():
        if line.startswith("shared memory (warp requests, wavefronts"):
            section = True
            continue
        if section and not line.startswith("  line "):
            section = False
        if section:
            counts = line.split(":", 1)[1].split()
            if int(counts[1]) > int(counts[2]):
                out.append(line.strip())
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--attn-compile", required=True)
    p.add_argument("--sim", required=True)
    p.add_argument("--chip", default="sm_80")
    p.add_argument("--grid", default="ci", choices=["ci", "large"],
                   help="ci: every combination at lengths 1 and 17, a "
                   "covering subset at 113 and 256; large: all of them, "
                   "and a 1000-token case")
    p.add_argument("--filter", default="")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--timeout", type=int, default=600)
    p.add_argument("--keep", default=None)
    p.add_argument("--list", action="store_true")
    p.add_argument("--compile-flag", action="append", default=[],
                   help="extra attn-compile flag (repeatable), e.g. --tma=false")
    args = p.parse_args()
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
    cases = [c for c in configs(args.grid) if args.filter in name_of(c)]
    # FP8, and varlen at head dimension 256, run only on the sm_90a TMA
    # kernel.
    if args.chip != "sm_90a" or "--tma=false" in args.compile_flag:
        cases = [c for c in cases if "fp8" not in c and
                 not ("varlen" in c and c["d"] == 256)]
    if args.list:
        for c in cases:
            print(name_of(c))
        return 0
    t0 = time.time()
    results = []
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        # Each case's inputs are seeded by its name: the same data with or
        # without --filter, whatever cases come before it.
        futs = [ex.submit(run_case, c, args, zlib.crc32(name_of(c).encode()))
                for c in cases]
        for f in futs:
            ok, name, msg, instrs = f.result()
            results.append((ok, instrs))
            print(("PASS " if ok else "FAIL ") + name + ": " + msg,
                  flush=True)
    failed = sum(1 for ok, _ in results if not ok)
    total = sum(i for _, i in results)
    print(f"{len(results) - failed} passed, {failed} failed "
          f"({total} thread-instructions simulated, "
          f"{time.time() - t0:.0f}s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
