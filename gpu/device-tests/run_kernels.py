#!/usr/bin/env python3
"""Runs the cases of make_cases.py ON THE GPU MACHINE and checks them: loads each cubin through
its manifest with the CUDA driver API (ctypes, libcuda.so.1), launches it on torch tensors and
compares with an fp64 reference (and torch SDPA as a second peer). Prints one JSON line per case
and a summary table; exits 1 if any case fails.

Written compile-only in a session without a GPU: NOT RUN YET.
usage: python3 run_kernels.py .gpu/cases
"""
import ctypes, json, math, os, sys
import torch
import torch.nn.functional as F

cuda = ctypes.CDLL("libcuda.so.1")


def check(rc, what):
    if rc != 0:
        s = ctypes.c_char_p()
        cuda.cuGetErrorString(rc, ctypes.byref(s))
        raise RuntimeError(f"{what} failed: {s.value.decode() if s.value else rc}")


def load(case_dir):
    man = json.load(open(os.path.join(case_dir, "case.json")))  # the manifest
    k = man["kernels"][0]
    image = open(os.path.join(case_dir, k["cubin"] or k["ptx"]), "rb").read() + b"\0"
    mod, fn = ctypes.c_void_p(), ctypes.c_void_p()
    check(cuda.cuModuleLoadData(ctypes.byref(mod), ctypes.c_char_p(image)), "cuModuleLoadData")
    check(cuda.cuModuleGetFunction(ctypes.byref(fn), mod, k["entry"].encode()), "cuModuleGetFunction")
    return man, k, fn


def launch(k, fn, tensors):
    assert len(tensors) == len(k["params"]), "parameter count differs from the manifest"
    for t, p in zip(tensors, k["params"]):
        assert list(t.shape) == p["shape"] and t.is_contiguous(), (p["name"], t.shape, p["shape"])
        assert t.numel() * t.element_size() == p["bytes"], p["name"]
    ptrs = [ctypes.c_void_p(t.data_ptr()) for t in tensors]
    args = (ctypes.c_void_p * len(ptrs))(*[ctypes.cast(ctypes.byref(x), ctypes.c_void_p) for x in ptrs])
    g, b = k["grid"], k["block"]
    stream = ctypes.c_void_p(torch.cuda.current_stream().cuda_stream)
    check(cuda.cuLaunchKernel(fn, g[0], g[1], g[2], b[0], b[1], b[2], k["shared_memory_bytes"], stream,
                              args, None), "cuLaunchKernel")


def reference(q, k, v, c):
    """fp64 attention with the #attn.mask semantics (top-left causal, window_left keys before)."""
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


def main(root):
    torch.cuda.init(); torch.zeros(1, device="cuda")  # primary context current
    fails = 0
    for name in sorted(os.listdir(root)):
        d = os.path.join(root, name)
        c = json.load(open(os.path.join(d, "config.json")))
        man, k, fn = load(d)
        dt = {"f16": torch.float16, "bf16": torch.bfloat16, "f32": torch.float32}[c["dtype"]]
        q = torch.randn(c["b"], c["hq"], c["sq"], c["d"], device="cuda", dtype=dt)
        kk = torch.randn(c["b"], c["hkv"], c["sk"], c["d"], device="cuda", dtype=dt)
        v = torch.randn_like(kk)
        out = torch.full_like(q, float("nan"))  # poison: every element must be written
        launch(k, fn, [q, kk, v, out])
        torch.cuda.synchronize()
        ref = reference(q, kk, v, c)
        err = ((out.double() - ref).norm() / ref.norm().clamp_min(1e-30)).item()
        finite = bool(torch.isfinite(out).all())
        peer = None
        if c["mask"] in ("none", "causal") and c["sq"] == c["sk"]:
            sd = F.scaled_dot_product_attention(q, kk, v, is_causal=c["mask"] == "causal",
                                                enable_gqa=c["hq"] != c["hkv"])
            peer = ((sd.double() - ref).norm() / ref.norm()).item()
        tol = 1e-2 if c["dtype"] == "bf16" else 2e-3
        ok = finite and err < tol
        fails += not ok
        print(json.dumps(dict(case=name, ok=ok, rel_err=err, torch_sdpa_rel_err=peer, all_written=finite,
                              ptxas=k.get("ptxas"))), flush=True)
    print(f"{fails} failing case(s)")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ".gpu/cases"))
