#!/usr/bin/env python3
"""Runs the cases of make_cases.py and checks them against an fp64 reference.

On the GPU machine (default): loads each cubin through its manifest with the CUDA driver API
(ctypes, libcuda.so.1), launches it on torch tensors and compares with an fp64 reference (and
torch SDPA as a second peer).

With --sim PATH/attn-gpu-sim: runs the same cases, without a GPU, in the functional simulator
(manifest mode, racecheck on) and compares with the fp64 reference of attn.sdpa
(test/python/numerics/reference.py); cases above --sim-max-pairs query-key pairs are skipped, with
a line saying so.

Prints one JSON line per case and a summary; exits 1 if any case fails.
usage: python3 run_kernels.py [--sim PATH [--sim-max-pairs N]] .gpu/cases
"""
import ctypes, json, math, os, subprocess, sys, tempfile

cuda = None
torch = F = None


def init_gpu():
    global cuda, torch, F
    import torch as _torch
    import torch.nn.functional as _F
    torch, F = _torch, _F
    cuda = ctypes.CDLL("libcuda.so.1")


def check(rc, what):
    if rc != 0:
        s = ctypes.c_char_p()
        cuda.cuGetErrorString(rc, ctypes.byref(s))
        raise RuntimeError(f"{what} failed: {s.value.decode() if s.value else rc}")


def load(case_dir):
    """The manifest and, for each of its kernels in launch order, (kernel entry, CUfunction)."""
    man = json.load(open(os.path.join(case_dir, "case.json")))  # the manifest
    loaded = []
    for k in man["kernels"]:
        image = open(os.path.join(case_dir, k["cubin"] or k["ptx"]), "rb").read() + b"\0"
        mod, fn = ctypes.c_void_p(), ctypes.c_void_p()
        check(cuda.cuModuleLoadData(ctypes.byref(mod), ctypes.c_char_p(image)), "cuModuleLoadData")
        check(cuda.cuModuleGetFunction(ctypes.byref(fn), mod, k["entry"].encode()),
              "cuModuleGetFunction")
        if k["shared_memory_bytes"] > 48 * 1024:  # CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES
            check(cuda.cuFuncSetAttribute(fn, 8, k["shared_memory_bytes"]), "cuFuncSetAttribute")
        loaded.append((k, fn))
    return man, loaded


TORCH_DTYPES = {"f16": "float16", "bf16": "bfloat16", "f32": "float32", "i32": "int32"}


def run(loaded, named):
    """Launches every kernel in order, binding parameters by name: `named` holds the inputs and
    outputs; a parameter it lacks (a workspace between kernels, e.g. split-KV partials) is
    allocated here from the manifest's shape and dtype and kept in `named`."""
    for k, fn in loaded:
        for p in k["params"]:
            if p["type"] == "pointer" and p["name"] not in named:
                named[p["name"]] = torch.empty(p["shape"], device="cuda",
                                               dtype=getattr(torch, TORCH_DTYPES[p["dtype"]]))
        launch(k, fn, [named.get(p["name"]) for p in k["params"]])


# cuTensorMapEncodeTiled's CUtensorMapDataType and CUtensorMapSwizzle values.
TMAP_DTYPES = {"f16": 6, "bf16": 9, "f32": 7, "i32": 3, "e4m3": 0, "e5m2": 0}
TMAP_SWIZZLE = {"none": 0, "32B": 1, "64B": 2, "128B": 3}


def tensor_map(p, tensor):
    """Encodes the manifest's tensor-map parameter `p` over `tensor` (the pointer parameter it
    names): a 64-byte aligned 128-byte CUtensorMap, passed by value."""
    raw = ctypes.create_string_buffer(128 + 64)
    addr = (ctypes.addressof(raw) + 63) // 64 * 64
    u64, u32 = ctypes.c_uint64, ctypes.c_uint32
    n = len(p["dims"])
    dims = (u64 * n)(*p["dims"])
    strides = (u64 * max(1, n - 1))(*p["strides"])
    box = (u32 * n)(*p["box"])
    ones = (u32 * n)(*([1] * n))
    check(cuda.cuTensorMapEncodeTiled(
        ctypes.c_void_p(addr), TMAP_DTYPES[p["dtype"]], n, ctypes.c_void_p(tensor.data_ptr()), dims,
        strides, box, ones, 0, TMAP_SWIZZLE[p["swizzle"]], 2, 0), "cuTensorMapEncodeTiled")
    return raw, addr


def launch(k, fn, tensors):
    assert len(tensors) == len(k["params"]), "parameter count differs from the manifest"
    named = {p["name"]: t for t, p in zip(tensors, k["params"]) if p["type"] == "pointer"}
    keep, args = [], []
    for t, p in zip(tensors, k["params"]):
        if p["type"] == "tensor_map":  # by value: args points at the 128 bytes
            raw, addr = tensor_map(p, named[p["tensor"]])
            keep.append(raw)
            args.append(addr)
            continue
        assert list(t.shape) == p["shape"] and t.is_contiguous(), (p["name"], t.shape, p["shape"])
        assert t.numel() * t.element_size() == p["bytes"], p["name"]
        ptr = ctypes.c_void_p(t.data_ptr())
        keep.append(ptr)
        args.append(ctypes.addressof(ptr))
    args = (ctypes.c_void_p * len(args))(*args)
    g, b = k["grid"], k["block"]
    stream = ctypes.c_void_p(torch.cuda.current_stream().cuda_stream)
    check(cuda.cuLaunchKernel(fn, g[0], g[1], g[2], b[0], b[1], b[2], k["shared_memory_bytes"], stream,
                              args, None), "cuLaunchKernel")


def reference(q, k, v, c):
    """fp64 attention with the #attn.mask semantics (top-left causal, window_left keys before);
    varlen cases: each sequence of the packed [T, H, D] tokens on its own."""
    if c.get("varlen"):
        out = torch.zeros(q.shape, dtype=torch.float64, device=q.device)
        cq, ck = (torch.tensor([0, *lens]).cumsum(0).tolist() for lens in c["varlen"])
        for i in range(len(c["varlen"][0])):
            if cq[i + 1] == cq[i]:
                continue
            part = lambda x, cu: x[cu[i]:cu[i + 1]].transpose(0, 1)[None]
            ci = dict(c, varlen=None, b=1, sq=cq[i + 1] - cq[i], sk=ck[i + 1] - ck[i])
            out[cq[i]:cq[i + 1]] = reference(part(q, cq), part(k, ck), part(v, ck), ci)[0].transpose(0, 1)
        return out
    q, k, v = q.double(), k.double(), v.double()
    g = c["hq"] // c["hkv"]
    k = k.repeat_interleave(g, dim=1); v = v.repeat_interleave(g, dim=1)
    s = (q @ k.transpose(-1, -2)) / math.sqrt(c["d"])
    i = torch.arange(c["sq"], device=q.device)[:, None]
    j = torch.arange(c["sk"], device=q.device)[None, :]
    diag = i + (c["sk"] - c["sq"] if c["mask"] == "causal_br" else 0)
    vis = torch.ones_like(s, dtype=torch.bool)
    if c["mask"] != "none":
        vis = vis & (j <= diag)
    if c["mask"] == "window":
        vis = vis & (j >= diag - c["window"])
    s = s.masked_fill(~vis, float("-inf"))
    p = torch.softmax(s, dim=-1).nan_to_num(0.0)  # rows with no visible key give zeros
    return p @ v


# FP8 cases: an error bound per element (the attention of |V| over 16, for P rounded to e4m3,
# plus 2e-3) and on the RMS error, both against fp64 of the dequantized inputs.
FP8_ATOL, FP8_RMS = 2e-3, 1e-2


def fp8_quantize_torch(x, gran, dt):
    """e4m3 codes of the f32 tensor x `[B][H][S][D]` with scales per tensor (shape []) or per
    head ([H]) that map the largest magnitude to 448, and the values attn.dequantize gives (the
    f32 product rounded to dt)."""
    amax = x.abs().amax() if gran == "tensor" else x.abs().amax(dim=(0, 2, 3))
    scale = (amax / 448).float()
    sb = scale if gran == "tensor" else scale.reshape(1, -1, 1, 1)
    codes = (x / sb).to(torch.float8_e4m3fn)
    return codes, scale, (codes.float() * sb).to(dt)


def fp8_quantize_np(x, gran):
    """fp8_quantize_torch in numpy: the codes (uint8), the scales and the f32 products."""
    import numpy as np
    import ml_dtypes
    amax = np.abs(x).max() if gran == "tensor" else np.abs(x).max(axis=(0, 2, 3))
    scale = np.asarray(amax / 448, dtype=np.float32)
    sb = scale if gran == "tensor" else scale.reshape(1, -1, 1, 1)
    codes = (x / sb).astype(ml_dtypes.float8_e4m3fn)
    return codes.view(np.uint8), scale, (codes.astype(np.float32) * sb).astype(np.float32)


def fp8_ok(err, ref_abs):
    """Whether the errors `err` of an FP8 case are within the bounds (numpy or torch arrays);
    and the RMS error."""
    rms = float((err ** 2).mean() ** 0.5)
    return bool((abs(err) <= ref_abs / 16 + FP8_ATOL).all()) and rms <= FP8_RMS, rms


def run_sim(root, sim, max_pairs):
    """Simulator mode: numpy inputs, attn-gpu-sim, fp64 reference."""
    import numpy as np
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.join(here, "..", "..", "test", "python", "numerics"))
    from reference import sdpa_reference
    fails = skipped = 0
    for n, name in enumerate(sorted(os.listdir(root))):
        d = os.path.join(root, name)
        c = json.load(open(os.path.join(d, "config.json")))
        pairs = c["b"] * c["hq"] * c["sq"] * c["sk"]
        if c.get("varlen"):
            pairs = c["hq"] * sum(a * b for a, b in zip(*c["varlen"]))
        if pairs > max_pairs:
            skipped += 1
            print(json.dumps(dict(case=name, ok=None, skipped=f"{pairs} query-key pairs > "
                                  f"--sim-max-pairs={max_pairs}")), flush=True)
            continue
        rng = np.random.default_rng(n)
        vals, files = {}, []
        tmp = tempfile.mkdtemp(prefix="simcase_")
        names = {"q": "query", "k": "key", "v": "value"}
        cu = {}
        if c.get("varlen"):
            for what, lens in zip(("cu_seqlens_q", "cu_seqlens_k"), c["varlen"]):
                cu[what] = np.cumsum([0, *lens]).astype(np.int32)
                files.append(what + "=" + os.path.join(tmp, what + ".npy"))
                np.save(files[-1].split("=", 1)[1], cu[what])
        for t, h, s in (("q", c["hq"], c["sq"]), ("k", c["hkv"], c["sk"]), ("v", c["hkv"], c["sk"])):
            shape = (s, h, c["d"]) if c.get("varlen") else (c["b"], h, s, c["d"])
            x = rng.standard_normal(shape).astype(np.float32)
            if c.get("fp8"):
                codes, scale, x = fp8_quantize_np(x, c["fp8"]["qkv".index(t)])
                for what, arr in ((names[t], codes), (t + "_scale", scale)):
                    files.append(what + "=" + os.path.join(tmp, what + ".npy"))
                    np.save(files[-1].split("=", 1)[1], arr)
            if c["dtype"] == "bf16":
                u = x.view(np.uint32).astype(np.uint64)
                stored = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
                vals[t] = (stored.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
            else:
                stored = x.astype(np.float16)
                vals[t] = stored.astype(np.float64)
            if not c.get("fp8"):
                path = os.path.join(tmp, t + ".npy")
                np.save(path, stored)
                files.append(names[t] + "=" + path)
        r = subprocess.run([sim, "--manifest=" + os.path.join(d, "case.json"), "--racecheck",
                            "--out-dir=" + os.path.join(tmp, "out")] + ["--input=" + f for f in files],
                           capture_output=True, text=True)
        if r.returncode != 0:
            fails += 1
            print(json.dumps(dict(case=name, ok=False, simulator=r.stderr.strip()[-2000:])), flush=True)
            continue
        # Written parameters are listed as "PATH: NAME" (workspaces included).
        written = dict(reversed(line.rsplit(": ", 1)) for line in r.stdout.splitlines() if ": " in line)
        out = np.load(written["out"])
        got = ((out.astype(np.uint32) << 16).view(np.float32) if c["dtype"] == "bf16" else out).astype(np.float64)
        align = "bottom_right" if c["mask"] == "causal_br" else "top_left"
        ref, _ = sdpa_reference(vals["q"], vals["k"], vals["v"], causal=c["mask"] != "none", align=align,
                                window_left=c["window"] if c["mask"] == "window" else -1, **cu)
        err = float(np.linalg.norm(got - ref) / max(np.linalg.norm(ref), 1e-30))
        tol = 1e-2 if c["dtype"] == "bf16" else 2e-3
        ok = bool(np.isfinite(got).all()) and err < tol
        extra = {}
        if c.get("fp8"):
            ref_abs, _ = sdpa_reference(vals["q"], vals["k"], np.abs(vals["v"]), causal=c["mask"] != "none",
                                        align=align, window_left=c["window"] if c["mask"] == "window" else -1,
                                        **cu)
            within, extra["rms_err"] = fp8_ok(got - ref, ref_abs)
            ok = bool(np.isfinite(got).all()) and within
        fails += not ok
        print(json.dumps(dict(case=name, ok=ok, rel_err=err, **extra,
                              simulator=r.stderr.strip().splitlines()[-1])), flush=True)
    print(f"{fails} failing case(s), {skipped} skipped (too large for the simulator)")
    return 1 if fails else 0


def inputs(c, dt):
    """The kernel's named inputs for case `c` and the query, key and value they stand for (dt;
    for FP8 cases the dequantized codes)."""
    shapes = {"q": (c["b"], c["hq"], c["sq"], c["d"]), "k": (c["b"], c["hkv"], c["sk"], c["d"]),
              "v": (c["b"], c["hkv"], c["sk"], c["d"])}
    names = {"q": "query", "k": "key", "v": "value"}
    named, vals = {}, []
    if c.get("varlen"):
        shapes = {"q": (c["sq"], c["hq"], c["d"]), "k": (c["sk"], c["hkv"], c["d"]),
                  "v": (c["sk"], c["hkv"], c["d"])}
        for what, lens in zip(("cu_seqlens_q", "cu_seqlens_k"), c["varlen"]):
            named[what] = torch.tensor([0, *lens], device="cuda").cumsum(0).to(torch.int32)
    for i, t in enumerate("qkv"):
        x = torch.randn(shapes[t], device="cuda", dtype=torch.float32)
        if c.get("fp8"):
            codes, scale, x = fp8_quantize_torch(x, c["fp8"][i], dt)
            named[names[t]], named[t + "_scale"] = codes, scale
        else:
            x = x.to(dt)
            named[names[t]] = x
        vals.append(x)
    return named, vals


def main(root, only=None):
    init_gpu()
    torch.cuda.init(); torch.zeros(1, device="cuda")  # primary context current
    fails = 0
    for name in sorted(os.listdir(root)):
        if only and only not in name:
            continue
        d = os.path.join(root, name)
        c = json.load(open(os.path.join(d, "config.json")))
        man, loaded = load(d)
        dt = {"f16": torch.float16, "bf16": torch.bfloat16, "f32": torch.float32}[c["dtype"]]
        named, (q, kk, v) = inputs(c, dt)
        out = torch.full_like(q, float("nan"))  # poison: every element must be written
        named["out"] = out
        run(loaded, named)
        torch.cuda.synchronize()
        ref = reference(q, kk, v, c)
        err = ((out.double() - ref).norm() / ref.norm().clamp_min(1e-30)).item()
        finite = bool(torch.isfinite(out).all())
        extra = {}
        peer = None
        if c["mask"] in ("none", "causal") and c["sq"] == c["sk"] and not c.get("varlen"):
            sd = F.scaled_dot_product_attention(q, kk, v, is_causal=c["mask"] == "causal",
                                                enable_gqa=c["hq"] != c["hkv"])
            peer = ((sd.double() - ref).norm() / ref.norm()).item()
        tol = 1e-2 if c["dtype"] == "bf16" else 2e-3
        ok = finite and err < tol
        if c.get("fp8"):
            within, extra["rms_err"] = fp8_ok(out.double() - ref, reference(q, kk, v.abs(), c))
            ok = finite and within
        fails += not ok
        print(json.dumps(dict(case=name, ok=ok, rel_err=err, **extra, torch_sdpa_rel_err=peer,
                              all_written=finite, ptxas=[k.get("ptxas") for k, _ in loaded])), flush=True)
    print(f"{fails} failing case(s)")
    return 1 if fails else 0


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("root", nargs="?", default=".gpu/cases")
    ap.add_argument("--sim", help="attn-gpu-sim binary: run in the simulator instead of the GPU")
    ap.add_argument("--sim-max-pairs", type=int, default=1_000_000)
    ap.add_argument("--filter", help="only the cases whose name contains this (GPU runs)")
    a = ap.parse_args()
    sys.exit(run_sim(a.root, a.sim, a.sim_max_pairs) if a.sim else main(a.root, a.filter))
