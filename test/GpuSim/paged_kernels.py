#!/usr/bin/env python3
"""Runs attn-compile's paged-attention GPU kernels in attn-gpu-sim on KV
caches filled by the runtime, against an fp64 reference.

For each configuration the runtime (its C API, through ctypes) builds a paged
cache: a scratch sequence is appended and freed first so that block ids are
not in allocation order, then each sequence of the batch appends its tokens
in two chunks. The block table, context lengths and the raw pools are read
back through the C API (docs/runtime/kv-cache-layout.md) and are the
kernel's inputs byte for byte, so the layout contract is tested end to end.
The reference gathers the keys and values a sequence owns from the pools
(independently of the compiler), hides absent keys, and computes attention
in fp64 (test/python/numerics/reference.py). Racecheck is on.

usage: paged_kernels.py --attn-compile BIN --sim BIN --runtime-lib LIB
                        [--chip sm_80] [--grid ci|large] [--filter S]
                        [--jobs N] [--keep DIR]

Prints one line per case and "N passed, M failed"; exits 1 on any failure,
77 (skipped) without the runtime library.
"""
import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python", "numerics"))
sys.path.insert(0, os.path.join(HERE, "..", "python", "e2e"))
from reference import sdpa_reference  # noqa: E402
import e2e_runtime as rt  # noqa: E402

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
        dict(b=1, heads="mqa", sq=1, ctx=[255], bs=16, layout="hnd",
             dtype="bf16", d=128, softcap=30.0),
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
    return n.replace(":", "to")


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


def fill_cache(lib, c, rng):
    """The runtime's cache for case `c`; returns (pools, table, lens)."""
    hq, hkv = HEADS[c["heads"]]
    bs, d = c["bs"], c["d"]
    need = sum(math.ceil(n / bs) for n in c["ctx"])
    cache = rt.KVCache(lib, num_layers=1, num_kv_heads=hkv, head_dim=d,
                       block_size=bs, num_blocks=need + 3,
                       layout=rt.NHD if c["layout"] == "nhd" else rt.HND,
                       dtype=rt.F16 if c["dtype"] == "f16" else rt.BF16)
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
        width = max(math.ceil(n / bs) for n in c["ctx"]) + 1
        table, lens = cache.block_table(seqs, width)
        view = cache.layer_view(0)
    return view["k_pool"], view["v_pool"], table, lens


def reference(c, q, kp, vp, table, lens):
    """fp64 paged attention: key j of sequence b is slot j % bs of block
    table[b, j // bs] when that id is valid and j < lens[b]."""
    hq, hkv = HEADS[c["heads"]]
    bs, nb = c["bs"], kp.shape[0]
    sk = table.shape[1] * bs
    k = np.zeros((c["b"], hkv, sk, c["d"]))
    v = np.zeros((c["b"], hkv, sk, c["d"]))
    present = np.zeros((c["b"], sk), bool)
    kv = stored_values(kp, c["dtype"]), stored_values(vp, c["dtype"])
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
    q = f"tensor<{c['b']}x{hq}x{c['sq']}x{c['d']}x{ty}>"
    pool = (f"tensor<{nb}x{c['bs']}x{hkv}x{c['d']}x{ty}>" if c["layout"] == "nhd"
            else f"tensor<{nb}x{hkv}x{c['bs']}x{c['d']}x{ty}>")
    t = f"tensor<{c['b']}x{width}xi32>"
    l_ = f"tensor<{c['b']}xi32>"
    attrs = [f"cache_layout = #attn<cache_layout {c['layout']}>"]
    if c.get("mask") == "causal":
        attrs.append("mask = #attn.mask<causal = true, align = bottom_right>")
    if "softcap" in c:
        attrs.append(f"softcap = {c['softcap']} : f32")
    return (f"func.func @paged(%q: {q}, %kc: {pool}, %vc: {pool}, %t: {t}, "
            f"%l: {l_}) -> {q} {{\n"
            f"  %o = attn.paged_attention %q, %kc, %vc, %t, %l {{{', '.join(attrs)}}}"
            f" : {q}, {pool}, {pool}, {t}, {l_} -> {q}\n"
            f"  return %o : {q}\n}}\n")


def run_case(c, args, lib, seed):
    name = name_of(c)
    d = tempfile.mkdtemp(prefix="paged_", dir=args.keep)
    try:
        rng = np.random.default_rng(seed)
        kp, vp, table, lens = fill_cache(lib, c, rng)
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
        r = subprocess.run([args.attn_compile, os.path.join(d, "case.mlir"),
                            f"--chip={args.chip}", f"--out-dir={d}",
                            "--no-cubin"], capture_output=True, text=True)
        if r.returncode != 0:
            return False, name, "attn-compile failed:\n" + r.stderr
        inputs = {"query": qs, "k_cache": kp, "v_cache": vp,
                  "block_table": table, "context_lens": lens}
        cmd = [args.sim, "--manifest=" + os.path.join(d, "case.json"),
               "--racecheck", "--out-dir=" + os.path.join(d, "out")]
        for pname, arr in inputs.items():
            path = os.path.join(d, pname + ".npy")
            np.save(path, arr)
            cmd.append(f"--input={pname}={path}")
        r = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=args.timeout)
        if r.returncode != 0:
            return False, name, "simulator exit %d:\n%s" % (
                r.returncode, r.stderr.strip()[-3000:])
        written = dict(reversed(line.rsplit(": ", 1))
                       for line in r.stdout.splitlines() if ": " in line)
        out = np.load(written["out"])
        got = stored_values(out, c["dtype"])
        ref = reference(c, q, kp, vp, table, lens)
        atol, rtol = (2e-3, 4e-3) if c["dtype"] == "f16" else (1e-2, 1.6e-2)
        err = np.abs(got - ref)
        bad = ~(err <= atol + rtol * np.abs(ref))
        if bad.any():
            i = np.unravel_index(np.argmax(np.where(bad, err, -1)), err.shape)
            return False, name, (
                f"{int(bad.sum())}/{bad.size} elements differ, worst at "
                f"{tuple(int(x) for x in i)}: got {got[i]:.6g}, "
                f"want {ref[i]:.6g}")
        return True, name, f"max err {err.max():.2e}"
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
        results = list(ex.map(lambda ic: run_case(ic[1], args, lib, 2000 + ic[0]),
                              enumerate(cases)))
    failed = 0
    for ok, name, msg in results:
        print(("PASS " if ok else "FAIL ") + name + ": " + msg)
        failed += not ok
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
