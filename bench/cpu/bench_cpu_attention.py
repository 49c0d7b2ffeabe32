#!/usr/bin/env python3
"""CPU benchmark of attn.sdpa: compile time and run time vs ONNX Runtime.

Not a test: prints figures.

  1. Compile time of the full CPU pipeline per function: wall time of
     `attn-opt FILE` with `attn-lower-to-cpu` (default: flash tiling) and
     with `attn-lower-to-cpu{flash=false}` (reference lowering), median of
     --compile-repeat runs, and the costliest passes by `-mlir-timing`.
  2. Run time of the compiled attention: `attn-runner --repeat=N` (median
     call time, JIT compilation excluded) with the reference lowering and
     with flash tiling, against ONNX Runtime's CPU `Attention` (opset 23,
     fp32) on the same shapes, as a table with the ratio ours / ORT; ours
     (flash) and ORT on the same number of threads (--threads).

usage: bench_cpu_attention.py [--build=DIR] [--repeat=N] [--rounds=R]
                              [--threads=T[,T...]] [--reference]
                              [--no-compile] [--quick | --grid |
                               --shapes=B,H,Sq,Sk,D[,causal];...]
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "test", "python", "numerics"))

import configs as cfgs  # noqa: E402

# attn-lower-to-cpu runs flash tiling by default (tiles 64 x 64);
# flash=false keeps the reference lowering (scores materialized).
REFERENCE = "builtin.module(attn-lower-to-cpu{flash=false})"
FLASH = ("builtin.module(attn-flash-tile{{tile-q={tq} tile-kv={tk} peel=1 "
         "widen=1 parallel-heads=1}},attn-lower-to-cpu{{flash=false "
         "threads={th}}})")
COMPILE_PIPELINES = [
    ("default (flash)", "builtin.module(attn-lower-to-cpu)"),
    ("reference", REFERENCE),
]

DEFAULT_SHAPES = [  # (B, H, Sq, Sk, D, causal)
    (1, 8, 128, 128, 64, False),
    (1, 8, 128, 128, 64, True),
    (1, 8, 512, 512, 64, False),
    (1, 8, 1, 2048, 64, False),
]


# The grid of docs/cpu/performance.md: tile multiples and lengths that are
# not a multiple of any tile (1, 77, 200, 700, 3000).
GRID_SHAPES = [
    (1, 8, 128, 128, 64, False),
    (4, 8, 256, 256, 64, False),
    (1, 32, 1, 4096, 128, False),
    (1, 8, 512, 512, 64, True),
    (1, 16, 1024, 1024, 128, True),
    (3, 6, 200, 200, 64, False),
    (1, 8, 77, 77, 64, False),
    (1, 8, 700, 700, 128, True),
    (1, 32, 1, 3000, 128, False),
]


def sdpa_mlir(b, h, sq, sk, d, causal, dtype="f32"):
    c = cfgs.Config(seed=0, dtype=dtype, B=b, Hq=h, Hkv=h, Sq=sq, Sk=sk,
                    Dqk=d, Dv=d, causal=causal,
                    align="bottom_right" if sq != sk else "top_left")
    return cfgs.to_mlir(c, cfgs.make_inputs(c)), c


def compile_functions():
    """A few functions of increasing feature count for compile timing."""
    fns = {}
    fns["sdpa f32 1x8x128x64"] = sdpa_mlir(1, 8, 128, 128, 64, False)[0]
    fns["sdpa f16 causal+lse"] = cfgs.to_mlir(
        *(lambda c: (c, cfgs.make_inputs(c)))(cfgs.Config(
            seed=0, dtype="f16", B=1, Hq=8, Hkv=2, Sq=128, Sk=128, Dqk=64,
            Dv=64, causal=True, lse=True)))
    c = cfgs.config_for_seed(-10)  # every feature at once
    fns["sdpa all features"] = cfgs.to_mlir(c, cfgs.make_inputs(c))
    c = cfgs.config_for_seed(-11)
    fns["sdpa varlen"] = cfgs.to_mlir(c, cfgs.make_inputs(c))
    return fns


def run(cmd, timeout=600):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return p, time.perf_counter() - t0


def parse_timing(text, top=5):
    """[(seconds, pass)] of the costliest entries of -mlir-timing's list."""
    rows = []
    for line in text.splitlines():
        m = re.match(r"\s*([0-9.]+)\s+\(\s*[0-9.]+%\)\s+(.*\S)\s*$", line)
        if m and m.group(2) not in ("Total", "Rest", "root"):
            rows.append((float(m.group(1)), m.group(2)))
    rows.sort(reverse=True)
    # Pass time: everything but parsing and printing.
    passes = sum(t for t, name in rows
                 if name not in ("Parser", "Output") and
                 not name.startswith("(A)"))
    return [r for r in rows if r[1] not in ("Parser", "Output")][:top], \
        passes


def bench_compile(opt, repeat, tmp):
    print("== Compile time: attn-opt, full CPU pipeline to the LLVM dialect")
    for name, text in compile_functions().items():
        path = os.path.join(tmp, "compile.mlir")
        with open(path, "w") as f:
            f.write(text)
        for pname, pipe in COMPILE_PIPELINES:
            cmd = [opt, path, f"--pass-pipeline={pipe}", "-o", os.devnull]
            walls = []
            for _ in range(repeat):
                p, dt = run(cmd)
                if p.returncode != 0:
                    print(f"  {name} [{pname}]: attn-opt failed: "
                          f"{p.stderr.strip().splitlines()[-1:]}")
                    break
                walls.append(dt)
            if not walls:
                continue
            p, _ = run(cmd + ["-mlir-timing", "-mlir-timing-display=list"])
            rows, total = parse_timing(p.stderr)
            print(f"  {name:22s} {pname:16s} wall "
                  f"{statistics.median(walls) * 1e3:6.1f} ms (median of "
                  f"{len(walls)}, process included); passes "
                  f"{total * 1e3:6.1f} ms; top (ms): " +
                  ", ".join(f"{n} {sec * 1e3:.1f}" for sec, n in rows[:4]))


def ours_ms(runner, path, pipeline, repeat):
    cmd = [runner, path, "--entry=sdpa", "--random-seed=1",
           f"--repeat={repeat}"]
    if pipeline:
        cmd.append(f"--pipeline={pipeline}")
    p, wall = run(cmd)
    m = re.search(r"time: median ([0-9.]+) ms", p.stdout)
    if p.returncode != 0 or not m:
        lines = (p.stderr or p.stdout).strip().splitlines()
        err = [ln for ln in lines if "error" in ln][:1] or lines[-1:]
        return None, wall, err
    return float(m.group(1)), wall, None


def ort_ms(b, h, sq, sk, d, causal, repeat, threads):
    import onnxruntime as ort
    from onnx import TensorProto, helper
    ort.set_default_logger_severity(3)
    elt = TensorProto.FLOAT
    vi = helper.make_tensor_value_info
    attrs = {"is_causal": 1} if causal and sq == sk else {}
    node = helper.make_node("Attention", ["Q", "K", "V"], ["Y"], **attrs)
    g = helper.make_graph(
        [node], "bench",
        [vi("Q", elt, [b, h, sq, d]), vi("K", elt, [b, h, sk, d]),
         vi("V", elt, [b, h, sk, d])], [vi("Y", elt, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 23)],
                          ir_version=10)
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    s = ort.InferenceSession(m.SerializeToString(), so,
                             providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    feeds = {"Q": rng.standard_normal((b, h, sq, d), np.float32),
             "K": rng.standard_normal((b, h, sk, d), np.float32),
             "V": rng.standard_normal((b, h, sk, d), np.float32)}
    s.run(None, feeds)  # warm-up
    times = []
    for _ in range(max(repeat, 3)):
        t0 = time.perf_counter()
        s.run(None, feeds)
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def bench_run(runner, shapes, repeat, threads, rounds, reference, tmp):
    """Ours (flash) and ORT on each thread count; per cell the fastest of
    `rounds` medians, ours and ORT taken in turn (shared machines drift)."""
    th = "/".join(str(t) for t in threads)
    print(f"\n== Run time (f32, ms per call: the fastest of {rounds} "
          f"rounds of a median of {repeat} calls; ours: attn-runner, flash, "
          f"{th} thread(s); ORT: opset-23 Attention, same threads"
          + ("; ref: the reference lowering, one thread)" if reference
             else ")"))
    cols = []
    for t in threads:
        cols += [f"ours {t}t", f"ORT {t}t", f"ratio {t}t"]
    if len(threads) > 1:
        cols += [f"ours x{threads[-1]}/{threads[0]}",
                 f"ORT x{threads[-1]}/{threads[0]}"]
    if reference:
        cols.append("ref 1t")
    print("  | B H Sq Sk D causal | " + " | ".join(cols) + " |")
    print("  | --- |" + " ---: |" * len(cols))
    for (b, h, sq, sk, d, causal) in shapes:
        text, _ = sdpa_mlir(b, h, sq, sk, d, causal)
        path = os.path.join(tmp, f"run_{b}_{h}_{sq}_{sk}_{d}.mlir")
        with open(path, "w") as f:
            f.write(text)
        cells, ours_t, ort_t, errors = [], {}, {}, []
        for t in threads:
            pipe = FLASH.format(tq=min(64, sq), tk=64, th=t)
            best_ours, best_ort = None, None
            for _ in range(rounds):
                ms, _, err = ours_ms(runner, path, pipe, repeat)
                if err:
                    errors.append(err)
                    break
                best_ours = ms if best_ours is None else min(best_ours, ms)
                o = ort_ms(b, h, sq, sk, d, causal, repeat, t)
                best_ort = o if best_ort is None else min(best_ort, o)
            if best_ort is None:
                best_ort = ort_ms(b, h, sq, sk, d, causal, repeat, t)
            ours_t[t], ort_t[t] = best_ours, best_ort
            cells += [f"{best_ours:.3f}" if best_ours else "failed",
                      f"{best_ort:.3f}",
                      f"{best_ours / best_ort:.2f}x" if best_ours else "-"]
        if len(threads) > 1:
            t0, t1 = threads[0], threads[-1]
            cells += [f"{ours_t[t0] / ours_t[t1]:.2f}"
                      if ours_t[t0] and ours_t[t1] else "-",
                      f"{ort_t[t0] / ort_t[t1]:.2f}"]
        if reference:
            ref, _, err = ours_ms(runner, path, REFERENCE, repeat)
            if err:
                errors.append(err)
            cells.append(f"{ref:.3f}" if ref is not None else "failed")
        mask = " causal" if causal else ""
        print(f"  | {b} {h} {sq} {sk} {d}{mask} | " + " | ".join(cells) +
              " |", flush=True)
        for e in errors:
            print(f"      error: {e}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    p.add_argument("--build", default=os.path.join(ROOT, "build"),
                   help="build directory with bin/attn-opt, bin/attn-runner")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--compile-repeat", type=int, default=3)
    p.add_argument("--threads", "--ort-threads", default="1",
                   help="thread counts of ours (flash) and of ORT alike, "
                   "e.g. 1,2 (also prints the scaling from the first to "
                   "the last)")
    p.add_argument("--rounds", type=int, default=3,
                   help="rounds of ours and ORT in turn; the fastest counts")
    p.add_argument("--reference", action="store_true",
                   help="also time the reference lowering (slow)")
    p.add_argument("--no-compile", action="store_true",
                   help="skip the compile-time part")
    p.add_argument("--grid", action="store_true",
                   help="the grid of docs/cpu/performance.md instead of "
                   "the default shapes")
    p.add_argument("--quick", action="store_true",
                   help="only the first and the decode shape")
    p.add_argument("--shapes", default=None,
                   help="B,H,Sq,Sk,D[,causal];... instead of the defaults")
    a = p.parse_args()
    opt = os.path.join(a.build, "bin", "attn-opt")
    runner = os.path.join(a.build, "bin", "attn-runner")
    for tool in (opt, runner):
        if not os.path.exists(tool):
            sys.exit(f"bench_cpu_attention: {tool} not found (--build=DIR)")
    shapes = DEFAULT_SHAPES
    if a.shapes:
        shapes = []
        for s in a.shapes.split(";"):
            f = [int(x) for x in s.split(",")]
            shapes.append(tuple(f[:5]) + (bool(f[5]) if len(f) > 5 else
                                          False,))
    elif a.grid:
        shapes = GRID_SHAPES
    elif a.quick:
        shapes = [DEFAULT_SHAPES[0], DEFAULT_SHAPES[-1]]
    threads = [int(t) for t in a.threads.split(",")]
    print(f"CPU: {os.cpu_count()} logical cores; build: {a.build}")
    with tempfile.TemporaryDirectory(prefix="attn-bench-") as tmp:
        if not a.no_compile:
            bench_compile(opt, a.compile_repeat, tmp)
        bench_run(runner, shapes, a.repeat, threads, a.rounds, a.reference,
                  tmp)


if __name__ == "__main__":
    main()
