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
  3. With --dtypes=f16,bf16: ours in those element types next to f32 on
     the same shapes (first thread count).
  4. With --paged: paged decode (attn.paged_attention over NHD and HND
     pools, f16, f32, INT8) against dense decode (attn.sdpa) over the same
     number of keys, each thread count.
  5. With --layer: the attention of a decoder layer
     (examples/decoder_attention.mlir: QKV projection, RoPE, causal GQA
     attention, output projection) against the same graph in ONNX Runtime
     (MatMul, RotaryEmbedding, Attention, MatMul), each thread count.

usage: bench_cpu_attention.py [--build=DIR] [--repeat=N] [--rounds=R]
                              [--threads=T[,T...]] [--reference]
                              [--no-compile] [--dtypes=f16,bf16] [--paged]
                              [--layer]
                              [--quick | --grid |
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


def ours_ms(runner, path, pipeline, repeat, entry="sdpa", extra=()):
    # One untimed call first, as ONNX Runtime gets one (the first call pays
    # for page faults and the JIT's first buffer allocations).
    cmd = [runner, path, f"--entry={entry}", "--random-seed=1", "--warmup=1",
           f"--repeat={repeat}", *extra]
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


def print_header(first, per_thread, threads, extra=()):
    """A markdown table header: `first`, then the `per_thread` columns for
    each thread count (`{t}` in a name is the count), then `extra`."""
    cols = [c.format(t=t) for t in threads for c in per_thread] + list(extra)
    print(f"  | {first} | " + " | ".join(cols) + " |")
    print("  | --- |" + " ---: |" * len(cols))


def save_inputs(tmp, prefix, arrays):
    """Saves `arrays` as .npy files; returns attn-runner's --input flags."""
    flags = []
    for i, a in enumerate(arrays):
        path = os.path.join(tmp, f"{prefix}_{i}.npy")
        np.save(path, a)
        flags.append(f"--input={path}")
    return flags


def bench_run(runner, shapes, repeat, threads, rounds, reference, tmp):
    """Ours (flash) and ORT on each thread count; per cell the fastest of
    `rounds` medians, ours and ORT taken in turn (shared machines drift)."""
    th = "/".join(str(t) for t in threads)
    print(f"\n== Run time (f32, ms per call: the fastest of {rounds} "
          f"rounds of a median of {repeat} calls; ours: attn-runner, flash, "
          f"{th} thread(s); ORT: opset-23 Attention, same threads"
          + ("; ref: the reference lowering, one thread)" if reference
             else ")"))
    extra = []
    if len(threads) > 1:
        extra += [f"ours x{threads[-1]}/{threads[0]}",
                  f"ORT x{threads[-1]}/{threads[0]}"]
    if reference:
        extra.append("ref 1t")
    print_header("B H Sq Sk D causal", ["ours {t}t", "ORT {t}t", "ratio {t}t"],
                 threads, extra)
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


def bench_dtypes(runner, shapes, dtypes, repeat, threads, rounds, tmp):
    """Ours in f16/bf16 next to f32 (the default pipeline on `threads`)."""
    print(f"\n== Element types (ours, ms per call, fastest of {rounds} "
          f"rounds of a median of {repeat} calls, {threads} thread(s); "
          "ratio: the type's time / f32's)")
    print_header("B H Sq Sk D causal", [], [],
                 ["f32"] + [c for t in dtypes for c in (t, f"{t}/f32")])
    for (b, h, sq, sk, d, causal) in shapes:
        times = {}
        for t in ["f32"] + dtypes:
            text, _ = sdpa_mlir(b, h, sq, sk, d, causal, t)
            path = os.path.join(tmp, f"dtype_{t}.mlir")
            with open(path, "w") as f:
                f.write(text)
            best = None
            for _ in range(rounds):
                ms, _, err = ours_ms(runner, path, None, repeat,
                                     extra=[f"--num-threads={threads}"])
                if err:
                    print(f"      error ({t}): {err}")
                    break
                best = ms if best is None else min(best, ms)
            times[t] = best
        cells = [f"{times['f32']:.3f}" if times["f32"] else "failed"]
        for t in dtypes:
            cells.append(f"{times[t]:.3f}" if times[t] else "failed")
            cells.append(f"{times[t] / times['f32']:.2f}x"
                         if times[t] and times["f32"] else "-")
        mask = " causal" if causal else ""
        print(f"  | {b} {h} {sq} {sk} {d}{mask} | " + " | ".join(cells) +
              " |", flush=True)


# Paged decode of docs/cpu/performance.md: 4 sequences of 1024 cached
# tokens, 32 query heads over 8 KV heads, head dim 128, blocks of 16 tokens
# (64 per sequence, 256 in the pool).
PAGED = dict(b=4, hq=32, hkv=8, d=128, ctx=1024, bs=16, blocks=256)
PAGED_CASES = [  # (layout, pool type, query/dense type)
    ("nhd", "f16", "f16"), ("hnd", "f16", "f16"), ("nhd", "f32", "f32"),
    ("nhd", "i8", "f16"),
]


def paged_files(tmp, layout, pool_t, q_t):
    """The paged and dense decode functions and the paged inputs."""
    P = PAGED
    b, hq, hkv, d, bs, nb = (P["b"], P["hq"], P["hkv"], P["d"], P["bs"],
                             P["blocks"])
    mb = P["ctx"] // bs
    pool = (f"{nb}x{bs}x{hkv}x{d}" if layout == "nhd" else
            f"{nb}x{hkv}x{bs}x{d}")
    q = f"tensor<{b}x{hq}x1x{d}x{q_t}>"
    kc = f"tensor<{pool}x{pool_t}>"
    quant, scales, attrs = "", "", []
    if layout == "hnd":
        attrs.append("cache_layout = #attn<cache_layout hnd>")
    if pool_t == "i8":
        axis = 2 if layout == "nhd" else 1
        attrs.append(f"kv_quant = #attn.quant<int8_sym, per_head, "
                     f"axis = {axis}>")
        scales = (f" k_scale(%ks : tensor<{hkv}xf32>) "
                  f"v_scale(%vs : tensor<{hkv}xf32>)")
        quant = f", %ks: tensor<{hkv}xf32>, %vs: tensor<{hkv}xf32>"
    attr = " {" + ", ".join(attrs) + "}" if attrs else ""
    paged = (
        f"func.func @paged(%q: {q}, %kc: {kc}, %vc: {kc}, "
        f"%t: tensor<{b}x{mb}xi32>, %l: tensor<{b}xi32>{quant}) -> {q} {{\n"
        f"  %o = attn.paged_attention %q, %kc, %vc, %t, %l{scales}{attr}\n"
        f"      : {q}, {kc}, {kc}, tensor<{b}x{mb}xi32>, tensor<{b}xi32> "
        f"-> {q}\n  return %o : {q}\n}}\n")
    kv = f"tensor<{b}x{hkv}x{P['ctx']}x{d}x{q_t}>"
    dense = (f"func.func @dense(%q: {q}, %k: {kv}, %v: {kv}) -> {q} {{\n"
             f"  %o = attn.sdpa %q, %k, %v : {q}, {kv}, {kv} -> {q}\n"
             f"  return %o : {q}\n}}\n")
    paths = {}
    for name, text in (("paged", paged), ("dense", dense)):
        paths[name] = os.path.join(tmp, f"{name}_{layout}_{pool_t}.mlir")
        with open(paths[name], "w") as f:
            f.write(text)
    rng = np.random.default_rng(0)
    np_t = {"f16": np.float16, "f32": np.float32, "i8": np.int8}
    shape = ((nb, bs, hkv, d) if layout == "nhd" else (nb, hkv, bs, d))
    arrays = [rng.standard_normal((b, hq, 1, d)).astype(np_t[q_t])]
    for _ in range(2):
        if pool_t == "i8":
            arrays.append(rng.integers(-127, 128, shape).astype(np.int8))
        else:
            arrays.append(rng.standard_normal(shape).astype(np_t[pool_t]))
    arrays.append(rng.permutation(nb)[:b * mb].reshape(b, mb)
                  .astype(np.int32))
    arrays.append(np.full(b, P["ctx"], np.int32))
    if pool_t == "i8":
        arrays += [np.full(hkv, 0.02, np.float32)] * 2
    return paths, save_inputs(tmp, f"in_{layout}_{pool_t}", arrays)


def bench_paged(runner, repeat, threads, rounds, tmp):
    """Paged decode against dense decode over the same keys."""
    P = PAGED
    print(f"\n== Paged decode: attn.paged_attention [{P['b']}, {P['hq']}, 1, "
          f"{P['d']}] over {P['hkv']} KV heads, {P['ctx']} cached tokens per "
          f"sequence in blocks of {P['bs']}, vs attn.sdpa over dense "
          f"[{P['b']}, {P['hkv']}, {P['ctx']}, {P['d']}] keys and values "
          f"(ms per call, fastest of {rounds} rounds of a median of "
          f"{repeat} calls, each in turn)")
    print_header("layout, pool (dense)",
                 ["paged {t}t", "dense {t}t", "paged/dense {t}t"], threads)
    for layout, pool_t, q_t in PAGED_CASES:
        paths, inputs = paged_files(tmp, layout, pool_t, q_t)
        cells = []
        for t in threads:
            best = {"paged": None, "dense": None}
            for _ in range(rounds):
                for name in ("paged", "dense"):
                    ms, _, err = ours_ms(
                        runner, paths[name], None, repeat, entry=name,
                        extra=[f"--num-threads={t}"] +
                        (inputs if name == "paged" else []))
                    if err:
                        print(f"      error ({name}): {err}")
                        continue
                    best[name] = ms if best[name] is None else min(
                        best[name], ms)
            p, dn = best["paged"], best["dense"]
            cells += [f"{p:.3f}" if p else "failed",
                      f"{dn:.3f}" if dn else "failed",
                      f"{p / dn:.2f}x" if p and dn else "-"]
        print(f"  | {layout}, {pool_t} ({q_t}) | " + " | ".join(cells) + " |",
              flush=True)


LAYER = os.path.join(ROOT, "examples", "decoder_attention.mlir")


def ort_layer_ms(inputs, repeat, threads):
    """examples/decoder_attention.mlir as an ONNX graph: x [1, 128, 512];
    Q = x Wq, K = x Wk, V = x Wv; NeoX RoPE (theta 10000, positions 0..S-1)
    on Q and K; causal Attention with 8 query and 2 KV heads; y = o Wo."""
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper
    ort.set_default_logger_severity(3)
    x, wq, wk, wv, wo = inputs
    s, d, hq, hkv = x.shape[1], 64, 8, 2
    inv = 1.0 / (10000.0 ** (np.arange(0, d, 2, dtype=np.float64) / d))
    ang = np.arange(s, dtype=np.float64)[:, None] * inv[None, :]
    cos = numpy_helper.from_array(np.cos(ang).astype(np.float32), "cos")
    sin = numpy_helper.from_array(np.sin(ang).astype(np.float32), "sin")
    pos = numpy_helper.from_array(np.arange(s, dtype=np.int64)[None], "pos")
    f = TensorProto.FLOAT
    vi = helper.make_tensor_value_info
    nodes = [
        helper.make_node("MatMul", ["x", "wq"], ["q"]),
        helper.make_node("MatMul", ["x", "wk"], ["k"]),
        helper.make_node("MatMul", ["x", "wv"], ["v"]),
        helper.make_node("RotaryEmbedding", ["q", "cos", "sin", "pos"],
                         ["qr"], num_heads=hq, interleaved=0),
        helper.make_node("RotaryEmbedding", ["k", "cos", "sin", "pos"],
                         ["kr"], num_heads=hkv, interleaved=0),
        helper.make_node("Attention", ["qr", "kr", "v"], ["o"], is_causal=1,
                         q_num_heads=hq, kv_num_heads=hkv),
        helper.make_node("MatMul", ["o", "wo"], ["y"]),
    ]
    g = helper.make_graph(
        nodes, "layer",
        [vi("x", f, list(x.shape)), vi("wq", f, list(wq.shape)),
         vi("wk", f, list(wk.shape)), vi("wv", f, list(wv.shape)),
         vi("wo", f, list(wo.shape))], [vi("y", f, None)],
        initializer=[cos, sin, pos])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 23)],
                          ir_version=10)
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(m.SerializeToString(), so,
                                providers=["CPUExecutionProvider"])
    feeds = dict(zip(["x", "wq", "wk", "wv", "wo"], inputs))
    y = sess.run(None, feeds)[0]
    times = []
    for _ in range(max(repeat, 3)):
        t0 = time.perf_counter()
        sess.run(None, feeds)
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), y


def bench_layer(runner, repeat, threads, rounds, tmp):
    """The decoder layer's attention, ours against ORT (same inputs; the
    outputs are compared too)."""
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal((1, 128, 512)).astype(np.float32)]
    for shape in [(512, 512), (512, 128), (512, 128), (512, 512)]:
        inputs.append((rng.standard_normal(shape) / np.sqrt(shape[0]))
                      .astype(np.float32))
    args = save_inputs(tmp, "layer_in", inputs)
    print(f"\n== Decoder layer (examples/decoder_attention.mlir, f32: "
          f"projections, RoPE, causal GQA 8:2 attention over 128 tokens; ORT: "
          f"MatMul, RotaryEmbedding, Attention, MatMul), ms per call, fastest "
          f"of {rounds} rounds of a median of {repeat} calls")
    print_header("", ["ours {t}t", "ORT {t}t", "ratio {t}t"], threads,
                 ["max abs diff"])
    cells, diff = [], None
    out = os.path.join(tmp, "layer_out")
    for t in threads:
        best_ours, best_ort = None, None
        for _ in range(rounds):
            ms, _, err = ours_ms(runner, LAYER, None, repeat,
                                 entry="decoder_attention",
                                 extra=[f"--num-threads={t}",
                                        f"--out-dir={out}"] + args)
            if err:
                print(f"      error: {err}")
                break
            best_ours = ms if best_ours is None else min(best_ours, ms)
            o, y = ort_layer_ms(inputs, repeat, t)
            best_ort = o if best_ort is None else min(best_ort, o)
            if diff is None:
                got = np.load(os.path.join(out, "out0.npy"))
                diff = float(np.max(np.abs(got - y)))
        cells += [f"{best_ours:.3f}" if best_ours else "failed",
                  f"{best_ort:.3f}" if best_ort else "-",
                  f"{best_ours / best_ort:.2f}x"
                  if best_ours and best_ort else "-"]
    print("  | decoder_attention | " + " | ".join(cells) +
          f" | {diff:.1e} |" if diff is not None else " | - |", flush=True)


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
    p.add_argument("--dtypes", default=None,
                   help="also time ours in these element types next to f32, "
                   "e.g. f16,bf16")
    p.add_argument("--paged", action="store_true",
                   help="also time paged decode against dense decode")
    p.add_argument("--layer", action="store_true",
                   help="also time a decoder layer's attention against ORT")
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
            f = [x.strip() for x in s.split(",")]
            if len(f) not in (5, 6) or (len(f) == 6 and
                                        f[5] not in ("causal", "0", "1")):
                sys.exit(f"bench_cpu_attention: --shapes: expected "
                         f"B,H,Sq,Sk,D[,causal], got '{s}'")
            causal = len(f) == 6 and f[5] in ("causal", "1")
            shapes.append(tuple(int(x) for x in f[:5]) + (causal,))
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
        if a.dtypes:
            bench_dtypes(runner, shapes, a.dtypes.split(","), a.repeat,
                         threads[0], a.rounds, tmp)
        if a.paged:
            bench_paged(runner, a.repeat, threads, a.rounds, tmp)
        if a.layer:
            bench_layer(runner, a.repeat, threads, a.rounds, tmp)


if __name__ == "__main__":
    main()
