#!/usr/bin/env python3
"""Times the cases of `make_cases.py --bench` ON THE GPU MACHINE and prints one JSON line per point
in the schema of the peers' benchmark peers_gpu.py, impl "attn" (what compare.py calls ours) and
the kernel's form from its manifest ("wgmma.tma", "wgmma", "mma.sync" or "simt") in "kernel", with
its query rows per CTA and keys per tile:
  {"kind": "prefill", "impl": "attn", "kernel": "wgmma.tma", "d": 128, "h": 16, "s": 2048, "b": 8,
   "causal": false, "ms": ..., "tflops": ..., "query_rows": 128, "tile_kv": 128}
FLOPs = 4*b*h*s*s*d (halved when causal). Timing: triton.testing.do_bench (median), like the peers.
Decode points (one query) print {"kind": "decode", ..., "tbps_kv": ...} like the peers' decode grid;
FP8 (e4m3) points print "kind": "prefill_fp8" or "decode_fp8" (compare.py leaves them out: no peer has them).
Run peers_gpu.py in the same device command and compare with compare.py.

Written compile-only in a session without a GPU: NOT RUN YET.
usage: python3 bench.py .gpu/bench
"""
import json, os, sys
import torch
from triton.testing import do_bench

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_kernels import init_gpu, inputs, load, run  # noqa: E402


def main(root):
    init_gpu()
    torch.zeros(1, device="cuda")
    for name in sorted(os.listdir(root)):
        d = os.path.join(root, name)
        c = json.load(open(os.path.join(d, "config.json")))
        _, loaded = load(d)
        # The manifest's config says how a tensor-core kernel was generated; the SIMT kernel has none.
        cfg = loaded[0][0].get("config") or {}
        kind = cfg.get("form", "simt")
        tiles = dict(query_rows=cfg.get("query_rows"), tile_kv=cfg.get("tile_kv"))
        dt = {"f16": torch.float16, "bf16": torch.bfloat16}[c["dtype"]]
        named, (q, _, _) = inputs(c, dt)
        named["out"] = torch.empty_like(q)
        fn_ = lambda: run(loaded, named)
        fn_(); torch.cuda.synchronize()
        ms = do_bench(fn_, warmup=10, rep=50)
        if c["sq"] == 1:
            # Decode: bandwidth of the K and V bytes read, as the peers report it (FP8: codes
            # of one byte, a kind of its own).
            kv = 2 * c["b"] * c["hkv"] * c["sk"] * c["d"] * (1 if c.get("fp8") else 2)
            print(json.dumps(dict(kind="decode_fp8" if c.get("fp8") else "decode", impl="attn",
                                  kernel=kind, b=c["b"], hq=c["hq"],
                                  hkv=c["hkv"], skv=c["sk"], d=c["d"], ms=ms, tbps_kv=kv / ms / 1e9,
                                  compile_s=c.get("compile_s"), **tiles)), flush=True)
            continue
        causal = c["mask"] == "causal"
        f = 4 * c["b"] * c["hq"] * c["sq"] * c["sk"] * c["d"] / (2 if causal else 1)
        # FP8 points have a kind of their own: the peers have no FP8 grid to compare with.
        print(json.dumps(dict(kind="prefill_fp8" if c.get("fp8") else "prefill", impl="attn", kernel=kind,
                              d=c["d"], h=c["hq"], s=c["sq"], b=c["b"],
                              causal=causal, ms=ms, tflops=f / ms / 1e9,
                              compile_s=c.get("compile_s"), **tiles)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".gpu/bench")
