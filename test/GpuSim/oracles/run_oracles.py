#!/usr/bin/env python3
"""Runs the CUDA/CuTe oracle kernels (oracles.json) in attn-gpu-sim and checks
the outputs against numpy references computed in float64.

Usage: run_oracles.py --sim PATH/attn-gpu-sim [--filter SUBSTR] [--keep DIR]
                      [--timeout SECONDS] [--verbose] [--hardware]

--hardware: the --sim program runs kernels on a real GPU (cuda_launch.cpp in
this directory); oracles that expect a race or out-of-bounds report are
skipped, since hardware does not report them.

Prints one line per oracle and a final line "N passed, M failed"; exits 1 if
anything failed. Needs only python3 and numpy (no nvcc, no CUDA).
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

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

# ----------------------------------------------------------------------------
# Number formats
# ----------------------------------------------------------------------------


def f32_to_bf16_bits(x):
    """float32 -> bfloat16 bit pattern, round to nearest even (finite inputs)."""
    u = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    r = ((u >> 16) & 1) + 0x7FFF
    return ((u + r) >> 16).astype(np.uint16)


def bf16_bits_to_f32(b):
    return (np.asarray(b, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)


def round_sig(x, sig_bits):
    """Round float64 values to `sig_bits` significant bits (RNE), no exponent
    limits (fine for bfloat16, whose exponent range equals float32's)."""
    x = np.asarray(x, dtype=np.float64)
    m, e = np.frexp(x)  # x = m * 2**e, 0.5 <= |m| < 1
    return np.ldexp(np.rint(np.ldexp(m, sig_bits)), e - sig_bits)


def f64_to_bf16_bits(x):
    r = round_sig(x, 8).astype(np.float32)  # exact in float32
    return (r.view(np.uint32) >> 16).astype(np.uint16)


def fp8_table(kind):
    """Values of the non-negative finite codes, indexed by code."""
    if kind == "e4m3":
        ebits, mbits, bias, ncodes = 4, 3, 7, 0x7F  # 0x7F is NaN
    else:
        ebits, mbits, bias, ncodes = 5, 2, 15, 0x7C  # 0x7C inf, 0x7D.. NaN
    vals = []
    for c in range(ncodes):
        e, m = c >> mbits, c & ((1 << mbits) - 1)
        if e == 0:
            vals.append(m / (1 << mbits) * 2.0 ** (1 - bias))
        else:
            vals.append((1 + m / (1 << mbits)) * 2.0 ** (e - bias))
    return np.array(vals, dtype=np.float64)


def fp8_encode_satfinite(x, kind):
    """cvt.rn.satfinite.{e4m3,e5m2}: nearest, ties to even code, clamp to max finite."""
    tab = fp8_table(kind)
    x = np.asarray(x, dtype=np.float64)
    a = np.minimum(np.abs(x), tab[-1])
    hi = np.searchsorted(tab, a, side="left")  # tab[hi-1] < a <= tab[hi]
    hi = np.clip(hi, 0, len(tab) - 1)
    lo = np.clip(hi - 1, 0, len(tab) - 1)
    dlo, dhi = a - tab[lo], tab[hi] - a
    code = np.where(dlo < dhi, lo, np.where(dhi < dlo, hi, np.where(lo % 2 == 0, lo, hi)))
    code = np.where(a == tab[hi], hi, code)
    sign = np.signbit(x).astype(np.int64) << 7
    return (code | sign).astype(np.uint8)


def fp8_decode(codes, kind):
    tab = fp8_table(kind)
    c = np.asarray(codes, dtype=np.int64)
    v = tab[c & 0x7F]
    return np.where(c & 0x80, -v, v)


# ----------------------------------------------------------------------------
# Inputs
# ----------------------------------------------------------------------------


def make_buffer(spec, rng):
    """Returns (storage array written to .npy, logical float64/int array)."""
    shape = tuple(spec["shape"])
    n = int(np.prod(shape))
    dtype = spec["dtype"]
    init = spec.get("init", "zeros")
    scale = spec.get("scale", 1.0)
    if init == "zeros":
        vals = np.zeros(n)
    elif init == "randn":
        vals = rng.standard_normal(n) * scale
    elif init == "uniform":
        vals = rng.uniform(-1.0, 1.0, n) * scale
    elif init == "arange":
        vals = np.arange(n, dtype=np.float64) * scale
    elif init == "randbits":
        vals = rng.integers(0, 2**32, n, dtype=np.uint64)
    else:
        raise ValueError("unknown init " + init)
    pre = spec.get("prepend", [])
    if pre:
        vals = np.array(vals, dtype=np.float64 if init != "randbits" else np.uint64)
        vals[: len(pre)] = pre
    if dtype == "bfloat16":
        store = f32_to_bf16_bits(np.asarray(vals, dtype=np.float32)).reshape(shape)
        logical = bf16_bits_to_f32(store).astype(np.float64)
    else:
        store = np.asarray(vals).astype(np.dtype(dtype)).reshape(shape)
        logical = store.astype(np.float64) if store.dtype.kind == "f" else store.copy()
    return store, logical


def logical_of(arr, dtype):
    if dtype == "bfloat16":
        return bf16_bits_to_f32(arr).astype(np.float64)
    return arr.astype(np.float64) if arr.dtype.kind == "f" else arr


# ----------------------------------------------------------------------------
# References: recipe(inputs: name -> logical array (inputs) or raw array,
#                    scalars: name -> value, entry) -> name -> expected array
# Expected arrays are in the output buffer's storage dtype for exact compares
# (bit patterns for bfloat16) and float64 otherwise.
# ----------------------------------------------------------------------------


def r_block_sum(x, s, e):
    v = x["in"]
    n = s["n"]
    nb = e["grid"][0]
    bt = e["block"][0]
    padded = np.zeros(nb * bt)
    padded[:n] = v[:n]
    valid = np.arange(nb * bt) < n
    block_sums = padded.reshape(nb, bt).sum(axis=1)
    warps = padded.reshape(-1, 32)
    return {
        "block_sums": block_sums,
        "total": np.array([v[:n].sum()]),
        "count": np.array([int(np.sum((padded > 0) & valid))], dtype=np.int32),
        "warp_any": (warps > 2.0).any(axis=1).astype(np.int32),
    }


def r_convert(x, s, e):
    v = x["in"].astype(np.float32)
    with np.errstate(over="ignore"):
        f16 = v.astype(np.float16)  # values beyond the f16 range become +-inf, like cvt.rn
    bf = f32_to_bf16_bits(v)
    v64 = v.astype(np.float64)
    i32 = np.stack([np.rint(v64), np.trunc(v64), np.floor(v64)], axis=1).astype(np.int32)
    with np.errstate(over="ignore"):
        f32 = np.stack(
            [
                f16.astype(np.float64),
                bf16_bits_to_f32(bf).astype(np.float64),
                np.exp2(v64 / 16.0),
                np.exp(v64 / 16.0),
                1.0 / np.sqrt(np.abs(v64) + 0.5),
            ],
            axis=1,
        ).astype(np.float32).astype(np.float64)
    return {"out_f16": f16, "out_bf16": bf, "out_h2": f16, "out_i32": i32, "out_f32": f32}


def r_half2(x, s, e):
    with np.errstate(over="ignore"):
        fma = (x["a"] * x["b"] + x["c"]).astype(np.float16)  # exact in f64, one rounding
    mx = np.maximum(x["a"], x["b"]).astype(np.float16)
    bfma = f64_to_bf16_bits(x["ba"] * x["bb"] + x["bc"])
    bmax = f64_to_bf16_bits(np.maximum(x["ba"], x["bb"]))
    return {"out_fma": fma, "out_max": mx, "out_bfma": bfma, "out_bmax": bmax}


def byte_perm(a, b, sel):
    both = (b.astype(np.uint64) << 32) | a.astype(np.uint64)
    out = np.zeros_like(a, dtype=np.uint64)
    for k in range(4):
        idx = (sel.astype(np.uint64) >> (4 * k)) & 7
        byte = (both >> (8 * idx)) & 0xFF
        out |= byte << (8 * k)
    return out.astype(np.uint32)


def r_bits(x, s, e):
    a, b = x["a"].astype(np.uint64), x["b"].astype(np.uint64)
    n = len(a)
    sh = (np.arange(n, dtype=np.uint64) & 31)
    both = (b << 32) | a
    fl = ((both << sh) >> 32) & 0xFFFFFFFF
    fr = (both >> sh) & 0xFFFFFFFF
    p1 = byte_perm(a, b, np.full(n, 0x5140, dtype=np.uint64))
    p2 = byte_perm(a, b, x["sel"].astype(np.uint64) & 0x7777)
    return {"out": np.stack([fl, fr, p1, p2], axis=1).astype(np.uint32)}


def r_vec4(x, s, e):
    v = x["in"]
    i = np.arange(v.shape[0], dtype=np.float64)[:, None]
    return {"out": v * np.float64(np.float32(s["scale"])) + i}


def r_fp8(x, s, e):
    v = x["in"].astype(np.float32).astype(np.float64)
    e4 = fp8_encode_satfinite(v, "e4m3")
    e5 = fp8_encode_satfinite(v, "e5m2")
    back = np.stack([fp8_decode(e4, "e4m3"), fp8_decode(e5, "e5m2")], axis=1).astype(np.float16)
    return {"out_e4m3": e4, "out_e5m2": e5, "out_back": back}


def r_gemm_nt(x, s, e):
    return {"C": x["A"] @ x["B"].T}


def r_gemm_nn(x, s, e):
    return {"C": x["A"] @ x["B"]}


RECIPES = {
    "block_sum": r_block_sum,
    "convert": r_convert,
    "half2": r_half2,
    "bits": r_bits,
    "vec4": r_vec4,
    "fp8": r_fp8,
    "gemm_nt": r_gemm_nt,
    "gemm_nn": r_gemm_nn,
}

# ----------------------------------------------------------------------------
# Comparison
# ----------------------------------------------------------------------------


def compare(name, got, want, spec, dtype):
    """Returns None if OK, else a message."""
    if tuple(got.shape) != tuple(want.shape):
        got = got.reshape(-1)
        want = np.asarray(want).reshape(-1)
        if got.size != want.size:
            return "%s: size %d, expected %d" % (name, got.size, want.size)
    if spec.get("exact"):
        g = np.ascontiguousarray(got)
        w = np.asarray(want).astype(g.dtype)
        if g.dtype.kind == "f":
            g = g.view("u%d" % g.dtype.itemsize)
            w = np.ascontiguousarray(w).view("u%d" % w.dtype.itemsize)
        bad = np.flatnonzero(g.reshape(-1) != w.reshape(-1))
        if bad.size:
            i = bad[0]
            return "%s: %d/%d elements differ (first at flat %d: got %r, want %r)" % (
                name, bad.size, g.size, i, got.reshape(-1)[i].item(), np.asarray(want).reshape(-1)[i].item())
        return None
    g = logical_of(got, dtype).astype(np.float64).reshape(-1)
    w = np.asarray(want, dtype=np.float64).reshape(-1)
    rtol, atol = spec.get("rtol", 0.0), spec.get("atol", 0.0)
    ok = np.isclose(g, w, rtol=rtol, atol=atol, equal_nan=True)
    if not ok.all():
        bad = np.flatnonzero(~ok)
        err = np.abs(g - w)
        i = bad[0]
        return "%s: %d/%d mismatches (rtol=%g atol=%g, max abs err %.3g; first at flat %d: got %r, want %r)" % (
            name, bad.size, g.size, rtol, atol, np.nanmax(np.where(np.isfinite(err), err, 0)), i, float(g[i]), float(w[i]))
    return None


# ----------------------------------------------------------------------------
# Running
# ----------------------------------------------------------------------------

SIM_DTYPE = {"float16": "f16", "bfloat16": "bf16", "float32": "f32"}


def run_entry(entry, sim, workdir, seed, timeout, verbose):
    """Returns (ok, message)."""
    rng = np.random.default_rng([seed, sum(map(ord, entry["name"].split(":")[-1].split("+")[0]))])
    args_cli = []
    inputs, scalars, out_meta = {}, {}, {}
    for i, a in enumerate(entry["args"]):
        k = a["kind"]
        if k == "buffer":
            store, logical = make_buffer(a, rng)
            path = os.path.join(workdir, "in%d_%s.npy" % (i, a["name"]))
            np.save(path, store)
            args_cli.append("--arg=" + path)
            inputs[a["name"]] = logical
            out_meta[a["name"]] = (i, a["dtype"])
        elif k == "i32":
            args_cli.append("--arg=i32:%d" % a["value"])
            scalars[a["name"]] = a["value"]
        elif k == "i64":
            args_cli.append("--arg=i64:%d" % a["value"])
            scalars[a["name"]] = a["value"]
        elif k == "f32":
            args_cli.append("--arg=f32:%r" % float(a["value"]))
            scalars[a["name"]] = a["value"]
        elif k == "tensormap":
            spec = "tmap:buf=%d,dtype=%s,dims=%s,strides=%s,box=%s,swizzle=%s" % (
                a["buffer"], SIM_DTYPE[a["dtype"]], "x".join(map(str, a["dims"])),
                "x".join(map(str, a["strides_bytes"])), "x".join(map(str, a["box"])), a["swizzle"])
            args_cli.append("--arg=" + spec)
        else:
            raise ValueError("unknown arg kind " + k)
    outdir = os.path.join(workdir, "out")
    os.makedirs(outdir, exist_ok=True)
    cmd = [sim, os.path.join(HERE, entry["ptx"]), "--kernel=" + entry["kernel"],
           "--grid=" + ",".join(map(str, entry["grid"])), "--block=" + ",".join(map(str, entry["block"]))]
    if entry.get("shared_bytes"):
        cmd.append("--shared-bytes=%d" % entry["shared_bytes"])
    cmd += args_cli + ["--out-dir=" + outdir]
    if entry.get("racecheck"):
        cmd.append("--racecheck")
    if verbose:
        print("  $ " + " ".join(cmd))
    with open(os.path.join(workdir, "cmd.txt"), "w") as f:
        f.write(" ".join(cmd) + "\n")
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, "timed out after %ds" % timeout
    err = (p.stderr or "").strip()
    first_err = err.splitlines()[0] if err else ""
    failure = entry.get("expect_failure")
    if failure in ("racecheck", "out_of_bounds"):
        if p.returncode == 0:
            return False, "expected a %s report, but the simulator exited 0" % failure
        pat = entry.get("stderr_regex")
        if pat and not re.search(pat, err):
            return False, "exit %d but stderr does not match /%s/: %s" % (p.returncode, pat, first_err)
        return True, "reported as expected (exit %d: %s)" % (p.returncode, first_err)
    if p.returncode != 0:
        return False, "simulator exit %d: %s" % (p.returncode, first_err)

    want = RECIPES[entry["expect"]["recipe"]](inputs, scalars, entry)
    problems = []
    for name, spec in entry["expect"]["outputs"].items():
        idx, dtype = out_meta[name]
        path = os.path.join(outdir, "arg%d.npy" % idx)
        if not os.path.exists(path):
            problems.append("%s: %s not written" % (name, os.path.basename(path)))
            continue
        msg = compare(name, np.load(path), want[name], spec, dtype)
        if msg:
            problems.append(msg)
    if failure == "wrong_result":
        if problems:
            return True, "wrong result as expected (%s)" % problems[0]
        return False, "expected wrong results, but all outputs matched"
    if problems:
        return False, "; ".join(problems)
    return True, ""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sim", required=True, help="path to attn-gpu-sim")
    ap.add_argument("--filter", default="", help="only oracles whose name contains SUBSTR")
    ap.add_argument("--keep", default=None, help="keep inputs/outputs under DIR/<oracle>/")
    ap.add_argument("--timeout", type=int, default=600, help="per-launch timeout in seconds")
    ap.add_argument("--manifest", default=os.path.join(HERE, "oracles.json"))
    ap.add_argument("--verbose", action="store_true", help="print each simulator command")
    ap.add_argument("--hardware", action="store_true",
                    help="--sim runs on a real GPU: skip oracles that expect a race/out-of-bounds report")
    opts = ap.parse_args()

    with open(opts.manifest) as f:
        manifest = json.load(f)
    entries = [e for e in manifest["oracles"] if opts.filter in e["name"]]
    sim = os.path.abspath(opts.sim) if os.path.exists(opts.sim) else opts.sim
    passed = failed = 0
    for e in entries:
        if opts.hardware and e.get("expect_failure") in ("racecheck", "out_of_bounds"):
            print("SKIP %s (expects a simulator %s report)" % (e["name"], e["expect_failure"]), flush=True)
            continue
        safe = re.sub(r"[^A-Za-z0-9_.+-]", "_", e["name"])
        if opts.keep:
            workdir = os.path.join(opts.keep, safe)
            shutil.rmtree(workdir, ignore_errors=True)
            os.makedirs(workdir)
        else:
            workdir = tempfile.mkdtemp(prefix="oracle_")
        t0 = time.time()
        try:
            ok, msg = run_entry(e, sim, workdir, manifest.get("seed", 1234), opts.timeout, opts.verbose)
        except Exception as ex:  # a broken output file etc. counts as a failure
            ok, msg = False, "%s: %s" % (type(ex).__name__, ex)
        dt = time.time() - t0
        if not opts.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        print("%s %s (%.2fs)%s" % ("PASS" if ok else "FAIL", e["name"], dt, (" " + msg) if msg else ""), flush=True)
        if ok:
            passed += 1
        else:
            failed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
