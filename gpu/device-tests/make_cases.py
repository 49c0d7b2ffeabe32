#!/usr/bin/env python3
"""Builds the GPU test and benchmark cases HERE (no GPU needed) for run_kernels.py and bench.py
to run on the GPU machine: for each configuration, writes <out>/<case>/config.json (the
configuration), case.mlir and the attn-compile artifacts (attn_kernel.ptx/.cubin, case.h, the manifest case.json).

usage: make_cases.py --attn-compile build-gpu/bin/attn-compile --chip sm_90a --out .gpu/cases [--bench]
"""
import time, argparse, json, os, subprocess, sys

p = argparse.ArgumentParser()
p.add_argument("--attn-compile", required=True)
p.add_argument("--chip", default="sm_90a", choices=["sm_80", "sm_90a"])
p.add_argument("--out", default=".gpu/cases")
p.add_argument("--bench", action="store_true", help="the benchmark grid instead of the test grid")
p.add_argument("--decode", action="store_true",
               help="the decode cases only (one query per sequence: the split-KV form)")
p.add_argument("--kernel", default="auto", choices=["auto", "mma", "wgmma", "simt"],
               help="attn-compile's --kernel (auto: wgmma on sm_90a, mma.sync on sm_80)")
p.add_argument("--warp-rows", type=int, default=0, choices=[0, 16, 32],
               help="attn-compile's --warp-rows (mma.sync: query rows per warp; 0: by head "
               "dimension)")
a = p.parse_args()


def decode_cases():
    # One query against many keys, causal bottom-right (sees every key): GQA 32:8 and, at head
    # dimension 256, Gemma's 16 query heads on 8 KV heads (on mma.sync the warps of a CTA split
    # each key tile and merge), MHA (one row per CTA) and MQA with 32 query heads (two m-tiles).
    yield dict(b=4, hq=32, hkv=8, sq=1, sk=4097, d=128, dtype="f16", mask="causal_br", window=None)
    yield dict(b=4, hq=16, hkv=8, sq=1, sk=4097, d=256, dtype="bf16", mask="causal_br", window=None)
    if a.decode:
        yield dict(b=2, hq=8, hkv=8, sq=1, sk=1000, d=128, dtype="bf16", mask="none", window=None)
        yield dict(b=1, hq=32, hkv=1, sq=1, sk=2000, d=64, dtype="f16", mask="causal_br",
                   window=None)


def cases():
    if a.decode:
        yield from decode_cases()
        return
    if a.bench:
        # The FlashAttention paper grid of peers_gpu.py (16k tokens, h*d = 2048, fp16); the SIMT
        # kernel is far too slow for more than the small lengths.
        lengths = (512, 1024, 2048) if a.kernel == "simt" else (512, 1024, 2048, 4096, 8192, 16384)
        for d in (64, 128):
            for s in lengths:
                for mask in ("none", "causal"):
                    yield dict(b=16384 // s, hq=2048 // d, hkv=2048 // d, sq=s, sk=s, d=d,
                               dtype="f16", mask=mask, window=None)
        if a.kernel != "simt":
            # The peers' GQA decode grid (one query, 32:8 heads, d 128, fp16).
            for b, skv in ((1, 8192), (16, 4096), (64, 2048), (128, 8192)):
                yield dict(b=b, hq=32, hkv=8, sq=1, sk=skv, d=128, dtype="f16", mask="none",
                           window=None)
        if fp8:
            # FP8 e4m3 prefill (per-tensor scales) on part of the same grid.
            for s in (1024, 4096, 16384):
                for mask in ("none", "causal"):
                    yield dict(b=16384 // s, hq=16, hkv=16, sq=s, sk=s, d=128, dtype="f16",
                               mask=mask, window=None, fp8=("tensor",) * 3)
            for mask in ("none", "causal"):
                yield dict(b=4, hq=32, hkv=32, sq=4096, sk=4096, d=64, dtype="f16", mask=mask,
                           window=None, fp8=("tensor",) * 3)
            # FP8 decode (the split-KV form) next to the fp16 decode points.
            for b, skv in ((1, 8192), (64, 2048)):
                yield dict(b=b, hq=32, hkv=8, sq=1, sk=skv, d=128, dtype="f16", mask="none",
                           window=None, fp8=("tensor",) * 3)
        return
    for s in (1, 17, 113, 1000, 4097):
        for mask, window in (("none", None), ("causal", None), ("window", 63)):
            for hq, hkv in ((8, 8), (8, 2), (8, 1)):
                for dtype, d in (("f16", 64), ("bf16", 128)):
                    if s == 4097 and (hq != 8 or hkv != 2):
                        continue  # keep the largest length to one layout
                    yield dict(b=2 if s < 1000 else 1, hq=hq, hkv=hkv, sq=s, sk=s, d=d, dtype=dtype,
                               mask=mask, window=window)
    yield from decode_cases()
    # varlen: packed sequences (cu_seqlens), an empty one and one longer than a CTA's rows
    for mask, dtype, d in (("causal_br", "f16", 128), ("none", "bf16", 64)):
        lens = ((130, 0, 57, 300), (200, 20, 70, 300))
        yield dict(b=len(lens[0]), hq=8, hkv=2, sq=sum(lens[0]), sk=sum(lens[1]), d=d,
                   dtype=dtype, mask=mask, window=None, varlen=lens)
    if fp8:
        # FP8 e4m3 prefill: Q, K and V as codes with per-tensor or per-head scales.
        for s in (113, 1000, 4097):
            for mask, window in (("none", None), ("causal", None), ("window", 63)):
                yield dict(b=2 if s < 1000 else 1, hq=8, hkv=2, sq=s, sk=s, d=128,
                           dtype="bf16" if mask == "window" else "f16", mask=mask, window=window,
                           fp8=("tensor", "head", "head") if s == 113 else ("tensor",) * 3)
        # Decode (the split-KV form), per-head Q scales.
        yield dict(b=4, hq=32, hkv=8, sq=1, sk=4097, d=128, dtype="f16", mask="causal_br",
                   window=None, fp8=("head", "tensor", "head"))
        yield dict(b=4, hq=16, hkv=8, sq=1, sk=4097, d=256, dtype="bf16", mask="causal_br",
                   window=None, fp8=("head", "tensor", "head"))
        # Head dimensions 64 and 256.
        for s, d, mask in ((113, 64, "none"), (1000, 64, "causal"), (113, 256, "causal"),
                           (1000, 256, "none")):
            yield dict(b=2 if s < 1000 else 1, hq=8, hkv=2, sq=s, sk=s, d=d, dtype="f16",
                       mask=mask, window=None, fp8=("tensor", "head", "head"))


# The FP8 kernel exists on sm_90a's TMA kernel only.
fp8 = a.chip == "sm_90a" and a.kernel in ("auto", "wgmma")


def mlir(c):
    q = f"tensor<{c['b']}x{c['hq']}x{c['sq']}x{c['d']}x{c['dtype']}>"
    k = f"tensor<{c['b']}x{c['hkv']}x{c['sk']}x{c['d']}x{c['dtype']}>"
    if c.get("varlen"):
        # packed tokens [T, H, D], sequences at cu_seqlens
        q = f"tensor<{c['sq']}x{c['hq']}x{c['d']}x{c['dtype']}>"
        k = f"tensor<{c['sk']}x{c['hkv']}x{c['d']}x{c['dtype']}>"
    attrs = {"none": "", "causal": "{mask = #attn.mask<causal = true>}",
             "causal_br": "{mask = #attn.mask<causal = true, align = bottom_right>}",
             "window": f"{{mask = #attn.mask<causal = true, window_left = {c['window']}>}}"}[c["mask"]]
    if c.get("varlen"):
        cu = f"tensor<{c['b'] + 1}xi32>"
        return (f"func.func @attn(%q: {q}, %k: {k}, %v: {k}, %cq: {cu}, %ck: {cu}) -> {q} {{\n"
                f"  %o = attn.sdpa %q, %k, %v cu_seqlens(%cq, %ck : {cu}, {cu}) {attrs}"
                f" : {q}, {k}, {k} -> {q}\n"
                f"  return %o : {q}\n}}\n")
    if not c.get("fp8"):
        return (f"func.func @attn(%q: {q}, %k: {k}, %v: {k}) -> {q} {{\n"
                f"  %o = attn.sdpa %q, %k, %v {attrs} : {q}, {k}, {k} -> {q}\n"
                f"  return %o : {q}\n}}\n")
    # e4m3 codes through attn.dequantize; scales per tensor ([]) or per head ([H]).
    args, lines = [], []
    for t, ty, h, gran in zip("qkv", (q, k, k), (c["hq"], c["hkv"], c["hkv"]), c["fp8"]):
        codes = ty.replace(f"x{c['dtype']}>", "xf8E4M3FN>")
        st, quant = (("tensor<f32>", "per_tensor") if gran == "tensor"
                     else (f"tensor<{h}xf32>", "per_head, axis = 1"))
        args += [f"%{t}8: {codes}", f"%{t}s: {st}"]
        lines.append(f"  %{t} = attn.dequantize %{t}8, %{t}s {{quant = #attn.quant<fp8_e4m3, {quant}>}}"
                     f" : {codes}, {st} -> {ty}\n")
    return (f"func.func @attn({', '.join(args)}) -> {q} {{\n" + "".join(lines) +
            f"  %o = attn.sdpa %q, %k, %v {attrs} : {q}, {k}, {k} -> {q}\n"
            f"  return %o : {q}\n}}\n")


n = 0
for c in cases():
    name = "{mask}_b{b}_hq{hq}_hkv{hkv}_s{sq}x{sk}_d{d}_{dtype}".format(**c)
    if c.get("fp8"):
        name += "_fp8-" + "-".join(c["fp8"])
    if c.get("varlen"):
        name = "varlen_" + name
    d = os.path.join(a.out, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "case.mlir"), "w") as f:
        f.write(mlir(c))
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(c, f)
    t0 = time.time()
    r = subprocess.run([a.attn_compile, os.path.join(d, "case.mlir"), f"--chip={a.chip}", f"--out-dir={d}",
                        f"--kernel={a.kernel}", f"--warp-rows={a.warp_rows}"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"attn-compile failed on {name}:\n{r.stderr}")
    # attn-compile's wall time (MLIR pipeline, PTX, ptxas): reported next to the timings.
    c["compile_s"] = round(time.time() - t0, 3)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(c, f)
    n += 1
print(f"{n} cases in {a.out} for {a.chip}")
