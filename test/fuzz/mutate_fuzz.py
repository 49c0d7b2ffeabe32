#!/usr/bin/env python3
"""Structured mutation fuzzer for attn-opt and attn-compile.

Takes the repository's .mlir files as a corpus, mutates them the ways that
found crashes and hangs before (tensor dimensions set to 0, 1 or sizes near
2^31 and INT64_MAX, element types swapped, mask and window attributes set to
extremes, integer attributes negated, lines dropped or duplicated), and runs
each mutant through attn-opt's pipelines and passes (and optionally
attn-compile) with a time limit. A mutant is a finding when the tool dies on
a signal, aborts, prints a crash report ("Stack dump", "PLEASE submit",
"Assertion"), or runs past the limit. Diagnostics and non-zero exits with a
message are the expected outcome for bad input.

usage: mutate_fuzz.py --attn-opt BIN [--attn-compile BIN] [--mutants N]
                      [--seed S] [--jobs J] [--timeout T] [--out DIR]
                      [--corpus DIR ...]

Prints the counts and each finding (its command and the mutant's path in
--out); exits 1 when there is a finding. A short run is part of the test
command; scripts/fuzz-long.sh runs it for hours.
"""
import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))

PIPELINES = [
    ["--attn-lower-to-cpu"],
    ["--attn-lower-to-cpu=threads=2 vector-isa=avx2"],
    ["--attn-lower-to-cpu=flash=false"],
    ["--attn-flash-tile"],
    ["--attn-flash-tile=peel=1 widen=1 parallel-heads=1"],
    ["--attn-split-kv"],
    ["--attn-paged-attention-to-sdpa"],
    ["--attn-pack-gqa-decode"],
    ["--attn-fuse-attention"],
    ["--attn-lower-to-gpu-kernels=chip=sm_80"],
    ["--attn-lower-to-gpu-kernels=chip=sm_90a"],
    ["--canonicalize"],
]
DIMS = ["0", "1", "2", "3", "17", "64", "2147483648", "4294967297",
        "9223372036854775806", "?"]
# Not `index`: linalg named ops on index elements crash MLIR 22's own
# parser (a known upstream crash, see docs/testing/fuzzing.md).
ELEMENTS = ["f16", "bf16", "f32", "f64", "i8", "i32", "i1"]
INTS = ["0", "-1", "1", "2147483647", "9223372036854775806", "-9223372036854775807"]
CRASH_MARKS = ("Stack dump", "PLEASE submit", "Assertion", "LLVM ERROR",
               "UNREACHABLE", "AddressSanitizer", "runtime error:")


def corpus_files(dirs):
    files = []
    for d in dirs:
        for base, _, names in os.walk(d):
            for n in names:
                if n.endswith(".mlir"):
                    path = os.path.join(base, n)
                    if os.path.getsize(path) < 200_000:
                        files.append(path)
    return sorted(files)


def mutate(text, rng):
    """One to three structured mutations of `text`."""
    for _ in range(rng.randint(1, 3)):
        kind = rng.randrange(7)
        if kind == 0:  # a tensor dimension
            dims = list(re.finditer(r"(?<=[<x])(\d+|\?)(?=x)", text))
            if dims:
                m = rng.choice(dims)
                text = text[:m.start()] + rng.choice(DIMS) + text[m.end():]
        elif kind == 1:  # an element type
            elts = list(re.finditer(r"x(f16|bf16|f32|f64|i1|i8|i32|i64)>", text))
            if elts:
                m = rng.choice(elts)
                text = text[:m.start(1)] + rng.choice(ELEMENTS) + text[m.end(1):]
        elif kind == 2:  # an integer attribute value
            ints = list(re.finditer(r"(?<== )-?\d+(?=[ ,>}:])", text))
            if ints:
                m = rng.choice(ints)
                text = text[:m.start()] + rng.choice(INTS) + text[m.end():]
        elif kind == 3:  # booleans
            text = text.replace("causal = true", "causal = false", 1) \
                if rng.random() < 0.5 else text.replace("causal = false",
                                                        "causal = true", 1)
        elif kind == 4:  # alignment
            text = text.replace("top_left", "bottom_right", 1) \
                if rng.random() < 0.5 else text.replace("bottom_right",
                                                        "top_left", 1)
        elif kind == 5:  # drop a line
            lines = text.split("\n")
            if len(lines) > 3:
                del lines[rng.randrange(len(lines))]
            text = "\n".join(lines)
        else:  # duplicate a line
            lines = text.split("\n")
            i = rng.randrange(len(lines))
            lines.insert(i, lines[i])
            text = "\n".join(lines)
    return text


def run_one(args, corpus, index):
    rng = random.Random(args.seed * 1_000_003 + index)
    src = rng.choice(corpus)
    text = mutate(open(src, errors="replace").read(), rng)
    # One split chunk at most: mutants stay small and fast.
    chunks = text.split("// -----")
    text = rng.choice(chunks)
    path = os.path.join(args.out, f"mutant{index}.mlir")
    with open(path, "w") as f:
        f.write(text)
    if args.attn_compile and rng.random() < 0.2:
        cmd = [args.attn_compile, path, "--chip=" + rng.choice(["sm_80", "sm_90a"]),
               "--out-dir=" + path + ".out", "--no-cubin"]
    else:
        cmd = [args.attn_opt, path] + rng.choice(PIPELINES)
    try:
        r = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=args.timeout, errors="replace")
    except subprocess.TimeoutExpired:
        return ("hang", cmd, src)
    crashed = r.returncode < 0 or r.returncode in (134, 139) or any(
        m in r.stderr for m in CRASH_MARKS)
    if crashed:
        return ("crash", cmd, src + "\n" + r.stderr[-1500:])
    os.remove(path)
    return ("ok" if r.returncode == 0 else "diagnosed", cmd, src)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--attn-opt", required=True)
    p.add_argument("--attn-compile")
    p.add_argument("--mutants", type=int, default=200)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--timeout", type=float, default=20.0)
    p.add_argument("--out", default=None)
    p.add_argument("--corpus", action="append", default=None)
    args = p.parse_args()
    corpus = corpus_files(args.corpus or [os.path.join(ROOT, "test"),
                                          os.path.join(ROOT, "examples")])
    args.out = args.out or tempfile.mkdtemp(prefix="attn_fuzz_")
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        results = list(ex.map(lambda i: run_one(args, corpus, i),
                              range(args.mutants)))
    counts = {}
    for kind, _, _ in results:
        counts[kind] = counts.get(kind, 0) + 1
    print(f"{args.mutants} mutants of {len(corpus)} files in "
          f"{time.time() - t0:.0f} s: " +
          ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
    findings = [r for r in results if r[0] in ("crash", "hang")]
    for kind, cmd, detail in findings:
        print(f"{kind.upper()}: {' '.join(cmd)}\n  from {detail}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
