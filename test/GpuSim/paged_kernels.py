#!/usr/bin/env python3
"""Runs attn-compile's paged-attention GPU kernels in attn-gpu-sim on KV
caches filled by the runtime, against an fp64 reference.

For each configuration the runtime (its C API, through ctypes) builds a paged
cache: a scratch sequence is appended and freed first so that block ids are
not in allocation order, then each sequence of the batch appends its tokens
in two chunks. The block table, context lengths, the raw pools and their
scales are read back through the C API (docs/runtime/kv-cache-layout.md)
and are the kernel's inputs byte for byte, so the layout contract is tested
end to end (f16, bf16, INT8 per head, FP8 e4m3 per tensor: what the
runtime stores). The quantized forms the runtime does not produce (per-token
scales, asymmetric INT8, FP8 e5m2) get pools of random codes, scales and
zero points built here by the layout document. The reference dequantizes
the codes and gathers the keys and values a sequence owns from the pools
(independently of the compiler), hides absent keys, and computes attention
in fp64 (test/python/numerics/reference.py). Racecheck is on. The bytes
each kernel reads from each buffer (attn-gpu-sim --stats) must equal a model
of the kernel's structure exactly (attention_reads: each present key's K and
V rows once per CTA that visits its tile, and the documented re-reads); each
case prints them with the minimum its grid needs.

usage: paged_kernels.py --attn-compile BIN --sim BIN --runtime-lib LIB
                        [--chip sm_80] [--grid ci|large] [--filter S]
                        [--jobs N] [--keep DIR]

Prints one line per case and "N passed, M failed"; exits 1 on any failure,
77 (skipped) without the runtime library.
"""
import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import zlib
from concurrent.futures import ThreadPoolExecutor

import ml_dtypes
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python", "numerics"))
sys.path.insert(0, os.path.join(HERE, "..", "python", "e2e"))
from reference import sdpa_reference  # noqa: E402
import e2e_runtime as rt  # noqa: E402
from attn_kernels import bank_conflicts  # noqa: E402

HEADS = {"gqa32:8": (32, 8), "mqa": (8, 1), "gqa4:2": (4, 2), "mha": (4, 4)}


def configs(grid):
    """Batch 1 and 7, context lengths 1 to 255 (4097 with grid "large"),
    block sizes 1, 16 and 256, both layouts, GQA 32:8, MQA and MHA, f16 and
    bf16, decode (one query) and chunked prefill (5 and 70 queries, causal
    bottom-right), and block tables with invalid ids."""
    out = [
        dict(b=1, heads="gqa32:8", sq=1, ctx=[17], bs=16, layout="nhd",
             dtype="f16", d=128),
        dict(b=7, heads="mqa", sq=1, ctx=[1, 17, 255, 0, 100, 64, 3], bs=1,
             layout="hnd", dtype="bf16", d=64),
        dict(b=7, heads="gqa32:8", sq=1, ctx=[255, 17, 1, 200, 130, 64, 5],
             bs=256, layout="nhd", dtype="f16", d=64),
        dict(b=2, heads="gqa32:8", sq=5, ctx=[17, 255], bs=16, layout="hnd",
             dtype="bf16", d=128, mask="causal"),
        dict(b=1, heads="mha", sq=70, ctx=[300], bs=16, layout="nhd",
             dtype="f16", d=64, mask="causal"),
        dict(b=2, heads="gqa4:2", sq=3, ctx=[150, 90], bs=16, layout="nhd",
             dtype="f16", d=64, bad_ids=True),
        # A chunk of more queries than a CTA's tile over a shorter context:
        # the first query tile sees no key (bottom-right causal).
        dict(b=1, heads="mha", sq=200, ctx=[60], bs=16, layout="hnd",
             dtype="f16", d=64, mask="causal"),
        dict(b=1, heads="mqa", sq=1, ctx=[255], bs=16, layout="hnd",
             dtype="bf16", d=128, softcap=30.0),
        # The split count chosen at launch (grid x of the split-KV kernel)
        # instead of the default: one split, and a count that leaves the
        # workspace's last splits unlaunched and splits a sequence unevenly.
        dict(b=2, heads="gqa32:8", sq=5, ctx=[17, 255], bs=16, layout="hnd",
             dtype="bf16", d=128, mask="causal", splits=1),
        dict(b=7, heads="mqa", sq=1, ctx=[1, 17, 255, 0, 100, 64, 3], bs=1,
             layout="hnd", dtype="bf16", d=64, splits=3),
        # More than 64 (query head, query) pairs of a KV head: the split-KV
        # form's CTAs of 8 warps (20 queries x 4 heads, 12 x 8).
        dict(b=2, heads="gqa32:8", sq=20, ctx=[255, 300], bs=16,
             layout="nhd", dtype="f16", d=128, mask="causal"),
        dict(b=1, heads="mqa", sq=12, ctx=[290], bs=16, layout="hnd",
             dtype="bf16", d=64, mask="causal",
             quant=("int8_sym", "per_head")),
        # ... with 9 new tokens appended and RoPE fused into the append and
        # the Q load (72 pairs).
        dict(b=2, heads="mqa", sq=9, ctx=[100, 290], bs=16, layout="nhd",
             dtype="f16", d=64, append=9, mask="causal",
             rope=("neox", 10000.0, None)),
        # Quantized pools: (scheme, granularity), filled by the runtime
        # where it stores that form.
        dict(b=3, heads="gqa4:2", sq=1, ctx=[200, 17, 64], bs=16,
             layout="nhd", dtype="f16", d=128, quant=("int8_sym", "per_head")),
        dict(b=2, heads="gqa32:8", sq=5, ctx=[130, 255], bs=16,
             layout="hnd", dtype="bf16", d=64, mask="causal",
             quant=("fp8_e4m3", "per_tensor")),
        dict(b=2, heads="mqa", sq=1, ctx=[100, 255], bs=4, layout="nhd",
             dtype="f16", d=64, quant=("int8_asym", "per_token")),
        dict(b=2, heads="gqa4:2", sq=3, ctx=[77, 150], bs=16, layout="hnd",
             dtype="bf16", d=128, quant=("fp8_e5m2", "per_head")),
        dict(b=1, heads="mha", sq=70, ctx=[90], bs=16, layout="nhd",
             dtype="f16", d=64, mask="causal",
             quant=("int8_sym", "per_token")),
        dict(b=2, heads="mqa", sq=1, ctx=[300, 45], bs=1, layout="nhd",
             dtype="bf16", d=128, quant=("fp8_e4m3", "per_head")),
        # A decode step: attn.kv_cache_append of the new tokens (a kernel
        # writing the pools in place), then paged attention over them; the
        # pools it writes must equal, byte for byte, the runtime's after
        # the same append. new_lens pads the batch.
        dict(b=3, heads="gqa4:2", sq=1, ctx=[15, 0, 40], bs=16,
             layout="nhd", dtype="f16", d=64, append=1),
        dict(b=2, heads="gqa32:8", sq=4, ctx=[29, 100], bs=4, layout="hnd",
             dtype="bf16", d=128, append=4, new_lens=[4, 2], mask="causal"),
        # attn.rope on the new keys (positions: the cache lengths) fused
        # into the append kernel, and on the queries (the same positions)
        # into the attention kernel's Q load: NeoX on all 64 features,
        # GPT-J on the first 64 of 128.
        dict(b=2, heads="gqa4:2", sq=1, ctx=[15, 70], bs=16, layout="nhd",
             dtype="f16", d=64, append=1, rope=("neox", 10000.0, None)),
        dict(b=2, heads="mqa", sq=2, ctx=[3, 40], bs=4, layout="hnd",
             dtype="bf16", d=128, append=2, rope=("gptj", 500000.0, 64)),
        # Positions far into a long context (rope offsets of their own):
        # angles up to 2e6 radians, reduced modulo pi/2 in the kernel.
        dict(b=2, heads="gqa4:2", sq=1, ctx=[9, 20], bs=16, layout="nhd",
             dtype="f16", d=64, append=1, rope=("neox", 10000.0, None),
             rope_base=2000000),
    ]
    if grid == "large":
        out.append(dict(b=1, heads="gqa32:8", sq=1, ctx=[4097], bs=16,
                        layout="nhd", dtype="f16", d=128))
        out.append(dict(b=7, heads="mqa", sq=5, ctx=[4097, 1, 17, 255, 0,
                                                     1000, 33],
                        bs=256, layout="hnd", dtype="bf16", d=64,
                        mask="causal"))
    return out


def name_of(c):
    n = "{heads}_b{b}_q{sq}_bs{bs}_{layout}_d{d}_{dtype}".format(**c)
    n += "_ctx" + "-".join(map(str, c["ctx"]))
    for k in ("mask", "softcap"):
        if k in c:
            n += "_" + str(c[k])
    if c.get("bad_ids"):
        n += "_badids"
    if "splits" in c:
        n += f"_splits{c['splits']}"
    if "quant" in c:
        n += "_" + "_".join(c["quant"])
    if "append" in c:
        n += f"_append{c['append']}"
        if "rope" in c:
            n += "_rope_" + c["rope"][0]
        if "rope_base" in c:
            n += f"_at{c['rope_base']}"
        if "new_lens" in c:
            n += "_new" + "-".join(map(str, c["new_lens"]))
    return n.replace(":", "to")


POOL_ELT = {"int8_sym": "i8", "int8_asym": "i8", "fp8_e4m3": "f8E4M3FN",
            "fp8_e5m2": "f8E5M2"}
FP8 = {"fp8_e4m3": ml_dtypes.float8_e4m3fn, "fp8_e5m2": ml_dtypes.float8_e5m2}


def scale_shape(c, pool_shape):
    gran = c["quant"][1]
    hkv = HEADS[c["heads"]][1]
    return {"per_tensor": (1,), "per_head": (hkv,),
            "per_token": pool_shape[:-1]}[gran]


def random_quantized(c, rng, pool_shape):
    """Random codes, scales (and zero points) for the forms the runtime
    does not store, following the layout document."""
    scheme = c["quant"][0]
    shape = scale_shape(c, pool_shape)
    out = {}
    for kv in ("k", "v"):
        # Codes of values about N(0, 1), as a quantizer would write them
        # (the dequantized values are rounded to f16/bf16 for the MMAs, so
        # their magnitude sets the error, as for an f16 cache).
        x = rng.standard_normal(pool_shape).astype(np.float32)
        if scheme.startswith("int8"):
            zero = (rng.integers(-20, 20, shape, dtype=np.int8)
                    if scheme == "int8_asym" else np.zeros(shape, np.int8))
            zb = zero[..., None] if len(shape) > 1 else zero.reshape(-1)[0]
            codes = np.clip(np.round(x * 40) + zb, -128, 127)
            out[kv + "_pool"] = codes.astype(np.int8)
            out[kv + "_zero"] = zero if scheme == "int8_asym" else None
            scale = rng.uniform(0.02, 0.03, shape)
        else:
            out[kv + "_pool"] = (x * 16).astype(FP8[scheme]).view(np.uint8)
            out[kv + "_zero"] = None
            scale = rng.uniform(0.05, 0.07, shape)
        out[kv + "_scale"] = scale.astype(np.float32)
    return out


def dequantized(c, raw, scale, zero, kv_head_axis):
    """Pool values (float64): f16/bf16 as stored, or the layout document's
    dequantization of the codes, (q - zp) * scale or fp8 * scale."""
    if "quant" not in c:
        return stored_values(raw, c["dtype"])
    scheme, gran = c["quant"]
    if scheme.startswith("int8"):
        x = raw.astype(np.float64)
    else:
        x = raw.view(FP8[scheme]).astype(np.float64)
    s = np.asarray(scale, np.float64)
    z = None if zero is None else np.asarray(zero, np.float64)
    if gran == "per_token":
        s = s[..., None]
        z = None if z is None else z[..., None]
    elif gran == "per_head":
        shape = [1] * raw.ndim
        shape[kv_head_axis] = -1
        s = s.reshape(shape)
        z = None if z is None else z.reshape(shape)
    else:
        s = s.reshape(())
    if z is not None:
        x = x - z
    return x * s


def to_bf16_bits(x):
    u = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def from_bf16_bits(b):
    return (np.asarray(b, np.uint32) << 16).view(np.float32)


def stored_values(raw, dtype):
    """Pool elements as float64 (raw f16 values or bf16 bits)."""
    if dtype == "f16":
        return raw.astype(np.float64)
    return from_bf16_bits(raw).astype(np.float64)


RUNTIME_QUANT = {("int8_sym", "per_head"): (rt.INT8, rt.QUANT_PER_HEAD),
                 ("fp8_e4m3", "per_tensor"): (rt.FP8_E4M3FN, rt.QUANT_PER_TENSOR)}


def fill_cache(lib, c, rng):
    """The runtime's cache for case `c`; returns a dict: k_pool, v_pool,
    k_scale, v_scale, k_zero, v_zero (None when absent), table, lens."""
    hq, hkv = HEADS[c["heads"]]
    bs, d = c["bs"], c["d"]
    new = c.get("new_lens", [c.get("append", 0)] * c["b"])
    need = sum(math.ceil((n + m) / bs) for n, m in zip(c["ctx"], new))
    dtype, gran, scales = (rt.F16 if c["dtype"] == "f16" else rt.BF16), \
        rt.QUANT_NONE, None
    quant = c.get("quant")
    if quant in RUNTIME_QUANT:
        dtype, gran = RUNTIME_QUANT[quant]
        # One layer; per-head or per-tensor scales for N(0, 1) values.
        n = hkv if gran == rt.QUANT_PER_HEAD else 1
        scales = (rng.uniform(0.02, 0.04, (1, n)).astype(np.float32),
                  rng.uniform(0.02, 0.04, (1, n)).astype(np.float32))
    cache = rt.KVCache(lib, num_layers=1, num_kv_heads=hkv, head_dim=d,
                       block_size=bs, num_blocks=need + 3,
                       layout=rt.NHD if c["layout"] == "nhd" else rt.HND,
                       dtype=dtype, granularity=gran,
                       k_scales=None if scales is None else scales[0],
                       v_scales=None if scales is None else scales[1])
    with cache:
        scratch = cache.seq_create()
        junk = rng.standard_normal((1, 2 * bs + 1, hkv, d)).astype(np.float32)
        cache.append(scratch, junk, junk)
        seqs = [cache.seq_create() for _ in c["ctx"]]
        cache.free(scratch)
        for s, n in zip(seqs, c["ctx"]):
            first = n // 2
            for part in (first, n - first):
                if part:
                    k = rng.standard_normal((1, part, hkv, d)).astype(np.float32)
                    v = rng.standard_normal((1, part, hkv, d)).astype(np.float32)
                    cache.append(s, k, v)
        width = max(math.ceil((n + m) / bs) for n, m in zip(c["ctx"], new)) + 1
        before = cache.layer_view(0)
        cache_lens = cache.block_table(seqs, width)[1]
        if "append" in c:
            # The step's new tokens (padding rows past new_lens too); the
            # runtime appends the real ones, giving the pools the kernel
            # must write.
            shape = (c["b"], c["append"], hkv, d)
            kn = rng.standard_normal(shape).astype(np.float32)
            vn = rng.standard_normal(shape).astype(np.float32)
            store = ((lambda x: x.astype(np.float16)) if c["dtype"] == "f16"
                     else to_bf16_bits)
            kstored = kn
            if "rope" in c:
                # The kernel rotates the stored new keys; the runtime gets
                # the rotated values.
                kq = stored_values(store(kn), c["dtype"]).astype(np.float32)
                pos = (cache_lens[:, None] + c.get("rope_base", 0) +
                       np.arange(c["append"])[None, :])
                kstored = rope_reference(c, kq, pos)
            for i, (s, m) in enumerate(zip(seqs, new)):
                if m:
                    cache.append(s, kstored[i:i + 1, :m], vn[i:i + 1, :m])
        table, lens = cache.block_table(seqs, width)
        view = cache.layer_view(0)
    out = dict(k_pool=view["k_pool"], v_pool=view["v_pool"],
               k_scale=view["k_scale"], v_scale=view["v_scale"], k_zero=None,
               v_zero=None, table=table, lens=lens)
    if "append" in c:
        store = ((lambda x: x.astype(np.float16)) if c["dtype"] == "f16"
                 else to_bf16_bits)
        out.update(k_before=before["k_pool"], v_before=before["v_pool"],
                   k_new=store(kn), v_new=store(vn), cache_lens=cache_lens)
    if quant and quant not in RUNTIME_QUANT:
        out.update(random_quantized(c, rng, view["k_pool"].shape))
    return out


def rope_reference(c, x, pos):
    """attn.rope of x [B, S, H, D] (f32) at positions pos [B, S]: inv_freq in
    f64 rounded to f32, angle and rotation in f32."""
    style, theta, rdim = c["rope"]
    r = rdim or x.shape[-1]
    inv = (theta ** (-2.0 * np.arange(r // 2) / r)).astype(np.float32)
    ang = pos.astype(np.float32)[:, :, None, None] * inv  # [B, S, 1, R/2]
    cs, sn = np.cos(ang).astype(np.float32), np.sin(ang).astype(np.float32)
    out = x.copy()
    if style == "neox":
        a, b_ = x[..., :r // 2], x[..., r // 2:r]
        out[..., :r // 2] = a * cs - b_ * sn
        out[..., r // 2:r] = b_ * cs + a * sn
    else:
        a, b_ = x[..., 0:r:2], x[..., 1:r:2]
        out[..., 0:r:2] = a * cs - b_ * sn
        out[..., 1:r:2] = b_ * cs + a * sn
    return out


def reference(c, q, cache):
    """fp64 paged attention: key j of sequence b is slot j % bs of block
    table[b, j // bs] when that id is valid and j < lens[b]."""
    hq, hkv = HEADS[c["heads"]]
    kp, table, lens = cache["k_pool"], cache["table"], cache["lens"]
    bs, nb = c["bs"], kp.shape[0]
    sk = table.shape[1] * bs
    k = np.zeros((c["b"], hkv, sk, c["d"]))
    v = np.zeros((c["b"], hkv, sk, c["d"]))
    present = np.zeros((c["b"], sk), bool)
    axis = 2 if c["layout"] == "nhd" else 1
    kv = tuple(dequantized(c, cache[x + "_pool"], cache[x + "_scale"],
                           cache[x + "_zero"], axis) for x in ("k", "v"))
    for b in range(c["b"]):
        for j in range(sk):
            blk = table[b, j // bs]
            if j >= lens[b] or not 0 <= blk < nb:
                continue
            present[b, j] = True
            for dst, pool in ((k, kv[0]), (v, kv[1])):
                if c["layout"] == "nhd":
                    dst[b, :, j] = pool[blk, j % bs]
                else:
                    dst[b, :, j] = pool[blk, :, j % bs]
    mask = np.broadcast_to(present[:, None, None, :],
                           (c["b"], hq, c["sq"], sk))
    out, _ = sdpa_reference(q, k, v, attn_mask=mask, kv_lens=lens,
                            causal=c.get("mask") == "causal",
                            align="bottom_right", softcap=c.get("softcap"))
    return out


def mlir_of(c, nb, width):
    hq, hkv = HEADS[c["heads"]]
    ty = c["dtype"]
    pt = POOL_ELT[c["quant"][0]] if "quant" in c else ty
    q = f"tensor<{c['b']}x{hq}x{c['sq']}x{c['d']}x{ty}>"
    shape = ((nb, c["bs"], hkv, c["d"]) if c["layout"] == "nhd"
             else (nb, hkv, c["bs"], c["d"]))
    pool = "tensor<" + "x".join(map(str, shape)) + f"x{pt}>"
    t = f"tensor<{c['b']}x{width}xi32>"
    l_ = f"tensor<{c['b']}xi32>"
    attrs = [f"cache_layout = #attn<cache_layout {c['layout']}>"]
    extra_args, clauses = "", ""
    if "quant" in c:
        scheme, gran = c["quant"]
        axis = f", axis = {2 if c['layout'] == 'nhd' else 1}" if gran == "per_head" else ""
        attrs.append(f"kv_quant = #attn.quant<{scheme}, {gran}{axis}>")
        st = "tensor<" + "x".join(map(str, scale_shape(c, shape))) + "xf32>"
        extra_args = f", %ks: {st}, %vs: {st}"
        clauses = f" k_scale(%ks : {st}) v_scale(%vs : {st})"
        if scheme == "int8_asym":
            zt = st.replace("xf32>", "xi8>")
            extra_args += f", %kz: {zt}, %vz: {zt}"
            clauses += f" k_zero_point(%kz : {zt}) v_zero_point(%vz : {zt})"
    if c.get("mask") == "causal":
        attrs.append("mask = #attn.mask<causal = true, align = bottom_right>")
    if "softcap" in c:
        attrs.append(f"softcap = {c['softcap']} : f32")
    if "append" in c:
        kv = f"tensor<{c['b']}x{c['append']}x{hkv}x{c['d']}x{ty}>"
        nl, rope, knew = "", "", "%kn"
        query = "%q"
        if "rope" in c:
            style, theta, rdim = c["rope"]
            ra = [f"style = #attn<rope_style {style}>", f"theta = {theta} : f32"]
            if rdim:
                ra.append(f"rotary_dim = {rdim} : i64")
            ro = "%ro" if "rope_base" in c else "%cl"
            if "rope_base" in c:
                extra_args += f", %ro: {l_}"
            rope = (f"  %kr = attn.rope %kn offsets({ro} : {l_}) "
                    f"{{{', '.join(['layout = #attn<layout bshd>'] + ra)}}}"
                    f" : {kv} -> {kv}\n"
                    f"  %qr = attn.rope %q offsets({ro} : {l_}) {{{', '.join(ra)}}}"
                    f" : {q} -> {q}\n")
            knew, query = "%kr", "%qr"
        if "new_lens" in c:
            extra_args += f", %nl: {l_}"
            nl = f" new_lens(%nl : {l_})"
        return (f"func.func @paged(%q: {q}, %kc: {pool}, %vc: {pool}, %kn: {kv}, "
                f"%vn: {kv}, %t: {t}, %cl: {l_}, %l: {l_}{extra_args}) -> {q} {{\n"
                f"{rope}"
                f"  %kc2, %vc2 = attn.kv_cache_append %kc, %vc, {knew}, %vn, %t, %cl{nl}"
                f" {{cache_layout = #attn<cache_layout {c['layout']}>}}"
                f" : {pool}, {pool}, {kv}, {kv}, {t}, {l_}\n"
                f"  %o = attn.paged_attention {query}, %kc2, %vc2, %t, %l {{{', '.join(attrs)}}}"
                f" : {q}, {pool}, {pool}, {t}, {l_} -> {q}\n"
                f"  return %o : {q}\n}}\n")
    return (f"func.func @paged(%q: {q}, %kc: {pool}, %vc: {pool}, %t: {t}, "
            f"%l: {l_}{extra_args}) -> {q} {{\n"
            f"  %o = attn.paged_attention %q, %kc, %vc, %t, %l{clauses} {{{', '.join(attrs)}}}"
            f" : {q}, {pool}, {pool}, {t}, {l_} -> {q}\n"
            f"  return %o : {q}\n}}\n")


def sim_reads(stdout):
    """Bytes read per kernel and buffer, from attn-gpu-sim --stats (its
    per-allocation counts: every global load, cp.async and TMA copy, per
    thread; a cp.async's zero-filled bytes are not read)."""
    reads, kernel = {}, None
    for line in stdout.splitlines():
        if line.startswith("kernel ") and line.endswith(":"):
            kernel = line[len("kernel "):-1]
            reads[kernel] = {}
        elif line.startswith("  buffer ") and kernel is not None:
            name, rest = line[len("  buffer "):].rsplit(": read ", 1)
            n = int(rest.split(",")[0])
            if n:
                reads[kernel][name] = n
    return reads


def decode_splits(c, width):
    """(default, most) split counts of the decode form: attn-sdpa-to-mma's
    choice for its default sm-count 132 (about two CTAs per SM, whole key
    tiles of 64 of the table's capacity), and the workspace's splits (twice
    that, at most one per tile)."""
    tiles = -(-width * c["bs"] // 64)
    hkv = HEADS[c["heads"]][1]
    want = -(-(2 * 132) // (c["b"] * hkv))
    chunk_tiles = -(-tiles // min(max(want, 1), tiles))
    default = -(-tiles // chunk_tiles)
    return default, min(tiles, 2 * default)


def split_chunk(keys, splits):
    """Keys per split of a sequence with `keys` keys: its tiles of 64 spread
    over the launch's split count."""
    return -(-(-(-keys // 64)) // splits) * 64


def attention_reads(c, cache, kernel, splits):
    """Bytes the paged-attention kernel reads from each buffer, exactly,
    from its structure (docs/gpu/codegen.md, "Paged attention"), and the
    minimum a kernel of that grid needs. Each CTA has a KV head and a key
    range [k0, k1): the decode form (grid splits x Hkv x B) one split
    chunk of whole tiles, the prefill form (query tiles x Hq x B) keys 0
    to the context or, causal, to the last visible key of its last query.
    It visits the tiles of 64 keys from k0 below k1:
      K, V pools: the pool row of each present key (within the context
        and the table, valid block id) of each visited tile, once. The
        minimum stops at k1; the last tile's keys past a causal diagonal
        are read as well (masked); a CTA that visits no tile reads none.
      block table: one 4-byte entry per key slot of the first tile and of
        each following visited tile, by threads 0-63 (64 slots a tile,
        slots past the context included; so an entry is loaded once per
        key of its block in the tile). Minimum: each entry of the range
        once.
      context lens: every thread loads its sequence's length. Minimum:
        once per CTA.
      Q: each of the CTA's rows once (rows past the queries load
        nothing).
      scales, zero points: per tensor or head, each thread loads them once
        per visited tile, for K and for V; per token once per 16-code
        chunk of each visited tile (64 * D / 16), the slot's pool row (row
        0 for absent slots). Minimum: once per CTA, or once per present
        key of the range.
      RoPE on Q: each thread loads its rows' position (one load: both rows
        of a sequence) and R/8 entries of the kernel's inv_freq table."""
    hq, hkv = HEADS[c["heads"]]
    grp, bs, d, sq = hq // hkv, c["bs"], c["d"], c["sq"]
    table, lens = cache["table"], cache["lens"]
    nb, width = cache["k_pool"].shape[0], table.shape[1]
    threads = kernel["block"][0]
    pool_elt = 1 if "quant" in c else 2
    quant = c.get("quant")
    exact, need = {}, {}

    def add(buf, n, m):
        exact[buf] = exact.get(buf, 0) + n
        need[buf] = need.get(buf, 0) + m

    def present(b, key):
        blk = key // bs
        return (key < min(max(int(lens[b]), 0), width * bs) and blk < width
                and 0 <= table[b, blk] < nb)

    def cta(b, k0, k1, q_rows, q_bytes):
        keys = min(max(int(lens[b]), 0), width * bs)
        k1 = min(k1, keys)
        iters = max(0, -(-(k1 - k0) // 64))
        tiles = [k0 + 64 * i for i in range(iters)]
        in_range = [k for k in range(k0, k1) if present(b, k)]
        add("context_lens", 4 * threads, 4)
        add("block_table", 4 * 64 * max(1, iters),
            4 * len({k // bs for k in range(k0, k1) if k // bs < width}))
        add("query", q_bytes, 2 * q_rows * d)
        for kv, ts in (("k_cache", tiles), ("v_cache", tiles)):
            n = sum(present(b, k) for t in ts for k in range(t, t + 64))
            add(kv, n * d * pool_elt, len(in_range) * d * pool_elt)
        if quant:
            per_token = quant[1] == "per_token"
            loads = iters * (64 * d // 16 if per_token else threads)
            least = len(in_range) if per_token else int(iters > 0)
            for kv in ("k", "v"):
                add(kv + "_scale", 4 * loads, 4 * least)
                if quant[0] == "int8_asym":
                    add(kv + "_zero_point", loads, least)
        if "rope" in c:
            rdim = c["rope"][2] or d
            add("k_offsets" if "rope_base" in c else "cache_lens",
                4 * threads, 4)
            add("rope_inv_freq", 4 * threads * rdim // 8, 4 * rdim // 2)

    if splits:
        for b in range(c["b"]):
            chunk = split_chunk(min(max(int(lens[b]), 0), width * bs), splits)
            for _ in range(hkv):
                for s in range(splits):
                    cta(b, s * chunk, (s + 1) * chunk, grp * sq,
                        2 * grp * sq * d)
    else:
        tile_q = threads // 32 * 16
        for b in range(c["b"]):
            keys = min(max(int(lens[b]), 0), width * bs)
            for _ in range(hq):
                for q0 in range(0, sq, tile_q):
                    last = min(q0 + tile_q, sq) - 1
                    k1 = (min(keys, last + keys - sq + 1)
                          if c.get("mask") == "causal" else keys)
                    cta(b, 0, k1, last + 1 - q0,
                        2 * (last + 1 - q0) * d)
    return exact, need


def split_live(c, cache, b, q, s, splits):
    """Whether query q of sequence b sees a key in split s."""
    table, lens, bs = cache["table"], cache["lens"], c["bs"]
    nb, width = cache["k_pool"].shape[0], table.shape[1]
    keys = min(max(int(lens[b]), 0), width * bs)
    chunk = split_chunk(keys, splits)
    last = keys - 1
    if c.get("mask") == "causal":
        last = q + keys - c["sq"]
    return any(k // bs < width and 0 <= table[b, k // bs] < nb
               for k in range(s * chunk, min((s + 1) * chunk, keys, last + 1)))


def has_back_edge(ptx):
    """Whether a PTX kernel has a loop (a branch to a label above it)."""
    labels, lines = {}, ptx.splitlines()
    for i, line in enumerate(lines):
        if line.strip().endswith(":") and not line.startswith("."):
            labels[line.strip()[:-1]] = i
    return any(labels.get(line.split()[-1].rstrip(";"), len(lines)) < i
               for i, line in enumerate(lines) if "bra" in line.split())


def expected_reads(c, cache, man, d):
    """{kernel: (exact, minimum)} bytes read per buffer, for the attention
    kernel, the combine kernel of the decode form (the partial outputs
    once; each output element's thread loads the lse of every split in a
    max pass and in a sum pass: twice, once when both loops were unrolled
    and their loads merged, i.e. when its PTX has no loop) and
    the append kernel's new K and V (each new token's rows once, K twice
    with NeoX RoPE: each chunk reads its partner chunk R/2 away; its index
    loads are not modeled)."""
    hq, hkv = HEADS[c["heads"]]
    dh, sq = c["d"], c["sq"]
    kernels = {k["name"]: k for k in man["kernels"]}
    attn = kernels["paged_kernel"]
    combine = kernels.get("paged_kernel_combine")
    splits = c.get("splits", attn["grid"][0]) if combine else 0
    if combine:
        width = cache["table"].shape[1]
        assert decode_splits(c, width) == (attn["grid"][0],
                                           attn["grid_max"][0])
    exact, need = attention_reads(c, cache, attn, splits)
    out = {"paged_kernel": (exact, need)}
    if combine:
        # The combine reads every workspace split's lse, and the partial
        # output of the splits that saw a key (lse above -inf).
        most = attn["grid_max"][0]
        lse = c["b"] * hq * sq * most * 4  # each output element's thread
        live = sum(split_live(c, cache, b, q, s, splits)
                   for b in range(c["b"]) for q in range(sq)
                   for s in range(splits)) * hq
        with open(os.path.join(d, combine["ptx"])) as f:
            passes = 2 if has_back_edge(f.read()) else 1
        out["paged_kernel_combine"] = (
            {"o_partial": live * dh * 4, "lse_partial": passes * dh * lse},
            {"o_partial": live * dh * 4, "lse_partial": lse})
    if "append" in c:
        out["paged_kernel"] = tuple(
            {{"query": "query_1", "context_lens": "context_lens_1",
              "k_cache": "k_cache_0", "v_cache": "v_cache_0",
              "block_table": "block_table_0", "cache_lens": "cache_lens_0",
              "k_offsets": "k_offsets_0"}.get(k, k): v for k, v in x.items()}
            for x in (exact, need))
        new = c.get("new_lens", [c["append"]] * c["b"])
        row = sum(min(n, c["append"]) for n in new) * hkv * dh * 2
        neox = "rope" in c and c["rope"][0] == "neox"
        out["paged_append"] = ({"k_new_0": row * (2 if neox else 1),
                                "v_new_0": row},
                               {"k_new_0": row, "v_new_0": row})
    return out


def check_reads(c, cache, man, d, stdout):
    """Compares the simulator's bytes read per kernel and buffer with the
    exact model; returns (error or None, summary)."""
    got = sim_reads(stdout)
    total = {"got": 0, "need": 0}
    want = expected_reads(c, cache, man, d)
    for kname, (exact, need) in want.items():
        g = got.get(kname, {})
        if kname == "paged_append":
            g = {k: v for k, v in g.items() if k in exact}
        exact = {k: v for k, v in exact.items() if v}
        if g != exact:
            diff = ", ".join(
                f"{k} read {g.get(k, 0)}, analytical {exact.get(k, 0)}"
                for k in sorted(set(g) | set(exact))
                if g.get(k, 0) != exact.get(k, 0))
            return f"{kname}: bytes read differ: {diff}", ""
        total["got"] += sum(g.values())
        total["need"] += sum(need.values())
    kv = [sum(v for k, v in x.items() if "_cache" in k)
          for x in want["paged_kernel"]]
    return None, (f"reads as analytical: {total['got']} bytes, minimum "
                  f"{total['need']} (K+V {kv[0]}, minimum {kv[1]})")


def run_case(c, args, lib, seed):
    name = name_of(c)
    d = tempfile.mkdtemp(prefix="paged_", dir=args.keep)
    try:
        rng = np.random.default_rng(seed)
        cache = fill_cache(lib, c, rng)
        kp, table = cache["k_pool"], cache["table"]
        if c.get("bad_ids"):
            # Ids the kernel must treat as absent blocks: negative, and
            # past the pool.
            table[0, 1] = -5
            table[1, 0] = kp.shape[0] + 2
        hq, _ = HEADS[c["heads"]]
        x = rng.standard_normal((c["b"], hq, c["sq"], c["d"])).astype(np.float32)
        if c["dtype"] == "f16":
            qs = x.astype(np.float16)
            q = qs.astype(np.float64)
        else:
            qs = to_bf16_bits(x)
            q = from_bf16_bits(qs).astype(np.float64)
        with open(os.path.join(d, "case.mlir"), "w") as f:
            f.write(mlir_of(c, kp.shape[0], table.shape[1]))
        # With cubins where ptxas is found: its limits (48 KiB of static
        # shared memory, registers) hold for every case.
        r = subprocess.run([args.attn_compile, os.path.join(d, "case.mlir"),
                            f"--chip={args.chip}", f"--out-dir={d}"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            return False, name, "attn-compile failed:\n" + r.stderr
        inputs = {"query": qs, "k_cache": kp, "v_cache": cache["v_pool"],
                  "block_table": table, "context_lens": cache["lens"]}
        if "append" in c:
            # Names of a two-op function: the append's operands get "_0",
            # the attention's own ones "_1".
            inputs = {"query_1": qs, "k_cache_0": cache["k_before"],
                      "v_cache_0": cache["v_before"], "k_new_0": cache["k_new"],
                      "v_new_0": cache["v_new"], "block_table_0": table,
                      "cache_lens_0": cache["cache_lens"],
                      "context_lens_1": cache["lens"]}
            if "new_lens" in c:
                inputs["new_lens_0"] = np.array(c["new_lens"], np.int32)
            # The rope's offsets: the cache lengths (the same argument), or
            # their own (then named after the first op that reads them).
            if "rope_base" in c:
                inputs["k_offsets_0"] = (cache["cache_lens"] +
                                         c["rope_base"]).astype(np.int32)
        if "quant" in c:
            inputs.update(k_scale=cache["k_scale"], v_scale=cache["v_scale"])
            if cache["k_zero"] is not None:
                inputs.update(k_zero_point=cache["k_zero"],
                              v_zero_point=cache["v_zero"])
        cmd = [args.sim, "--manifest=" + os.path.join(d, "case.json"),
               "--racecheck", "--stats", "--out-dir=" + os.path.join(d, "out")]
        if "splits" in c:
            cmd.append(f"--splits={c['splits']}")
        for pname, arr in inputs.items():
            path = os.path.join(d, pname + ".npy")
            np.save(path, arr)
            cmd.append(f"--input={pname}={path}")
        r = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=args.timeout)
        if r.returncode != 0:
            return False, name, "simulator exit %d:\n%s" % (
                r.returncode, r.stderr.strip()[-3000:])
        conflicts = bank_conflicts(r.stdout)
        if conflicts:
            return False, name, ("shared-memory bank conflicts:\n" +
                                 "\n".join(conflicts[:5]))
        # Written parameters are listed as "PATH: NAME" (after the stats).
        written = dict(reversed(line.rsplit(": ", 1))
                       for line in r.stdout.splitlines()
                       if line.split(": ")[0].endswith(".npy"))
        man = json.load(open(os.path.join(d, "case.json")))
        reads_err, reads_msg = check_reads(c, cache, man, d, r.stdout)
        if reads_err:
            return False, name, reads_err
        if "append" in c:
            # The appended pools, byte for byte the runtime's (with RoPE,
            # K within rounding: the kernel's and numpy's f32 cos/sin
            # may differ in the last bit).
            for kv in ("k", "v"):
                got_pool = np.load(written[kv + "_cache_0"])
                want = cache[kv + "_pool"]
                if "rope" in c and kv == "k":
                    gv = stored_values(got_pool, c["dtype"])
                    wv = stored_values(want, c["dtype"])
                    if not np.allclose(gv, wv, rtol=2.0 ** -7, atol=1e-3):
                        return False, name, "rotated K pool differs: max " \
                            f"{np.abs(gv - wv).max():.3g}"
                    continue
                if got_pool.tobytes() != want.tobytes():
                    diff = np.argwhere(got_pool.view(np.uint16) !=
                                       want.view(np.uint16))
                    return False, name, (f"{kv} pool after the append differs "
                                         f"from the runtime's at {len(diff)} "
                                         f"elements, first {tuple(diff[0])}")
        out = np.load(written["out_1" if "append" in c else "out"])
        got = stored_values(out, c["dtype"])
        if "rope" in c:
            # The kernel rotates the stored queries (at the positions of the
            # new tokens) and rounds them to the query's type.
            pos = (cache["cache_lens"][:, None] + c.get("rope_base", 0) +
                   np.arange(c["sq"])[None, :])
            qr = rope_reference(c, q.astype(np.float32).transpose(0, 2, 1, 3),
                                pos).transpose(0, 2, 1, 3)
            q = (qr.astype(np.float16).astype(np.float64) if c["dtype"] == "f16"
                 else from_bf16_bits(to_bf16_bits(qr)).astype(np.float64))
        ref = reference(c, q, cache)
        atol, rtol = (2e-3, 4e-3) if c["dtype"] == "f16" else (1e-2, 1.6e-2)
        err = np.abs(got - ref)
        bad = ~(err <= atol + rtol * np.abs(ref))
        if bad.any():
            i = np.unravel_index(np.argmax(np.where(bad, err, -1)), err.shape)
            return False, name, (
                f"{int(bad.sum())}/{bad.size} elements differ, worst at "
                f"{tuple(int(x) for x in i)}: got {got[i]:.6g}, "
                f"want {ref[i]:.6g}")
        return True, name, f"max err {err.max():.2e}; {reads_msg}"
    except subprocess.TimeoutExpired:
        return False, name, f"simulator timed out after {args.timeout}s"
    finally:
        if not args.keep:
            shutil.rmtree(d, ignore_errors=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--attn-compile", required=True)
    p.add_argument("--sim", required=True)
    p.add_argument("--runtime-lib", required=True)
    p.add_argument("--chip", default="sm_80")
    p.add_argument("--grid", default="ci", choices=["ci", "large"])
    p.add_argument("--filter", default="")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--timeout", type=int, default=600)
    p.add_argument("--keep", default=None)
    args = p.parse_args()
    if not os.path.exists(args.runtime_lib):
        print(f"SKIPPED: runtime library {args.runtime_lib} not found")
        return 77
    lib = rt.load(args.runtime_lib)
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
    cases = [c for c in configs(args.grid) if args.filter in name_of(c)]
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        # Inputs seeded by the case's name: the same with or without
        # --filter.
        results = list(ex.map(
            lambda c: run_case(c, args, lib, zlib.crc32(name_of(c).encode())),
            cases))
    failed = 0
    for ok, name, msg in results:
        print(("PASS " if ok else "FAIL ") + name + ": " + msg)
        failed += not ok
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
