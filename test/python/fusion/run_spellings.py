#!/usr/bin/env python3
"""Runs every attention spelling of test/Transforms/Inputs/fusion-spellings.mlir
(linalg) and fusion-spellings-tosa.mlir (TOSA, lowered by tosa-to-linalg
first) on the CPU (attn-runner) as written and after attn-fuse-attention, and
checks both against a float64 numpy reference of the attention that the
function spells (the reference is written here, from the function's
description, not from either run).

usage: run_spellings.py --attn-opt BIN --attn-runner BIN
"""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
INPUTS = os.path.join(HERE, "..", "..", "Transforms", "Inputs")
# TOSA spellings run through tosa-to-linalg before the CPU pipeline.
TOSA_PIPELINE = ("builtin.module(func.func(tosa-to-linalg-named,tosa-to-linalg,"
                 "tosa-to-arith,tosa-to-tensor),attn-lower-to-cpu)")


def attention(q, k, v, scale, keep=None, bias=None, softcap=None):
    """softmax(softcap(scale · q kᵀ) + bias, hiding keys where keep is false)
    v, in float64, with softcap(x) = c · tanh(x / c); every row must keep a
    key."""
    s = scale * np.einsum("...qd,...kd->...qk", q, k)
    if softcap is not None:
        s = softcap * np.tanh(s / softcap)
    if bias is not None:
        s = s + bias
    if keep is not None:
        keep = np.broadcast_to(keep, s.shape)
        assert keep.any(axis=-1).all(), "a row hides every key"
        s = np.where(keep, s, -np.inf)
    s = s - s.max(axis=-1, keepdims=True)
    p = np.exp(s)
    p /= p.sum(axis=-1, keepdims=True)
    return np.einsum("...qk,...kd->...qd", p, v)


def qkv(rng, lead):
    return (rng.standard_normal(lead + (8, 16)),
            rng.standard_normal(lead + (12, 16)),
            rng.standard_normal(lead + (12, 8)))


def case_plain(lead, scale):
    def make(rng):
        q, k, v = qkv(rng, lead)
        return [q, k, v], attention(q, k, v, scale)
    return make


def bool_mask_keep(rng):
    q, k, v = qkv(rng, (2, 2))
    keep = rng.random((2, 1, 8, 12)) < 0.6
    keep[..., 0] = True
    return [q, k, v, keep], attention(q, k, v, 1.0, keep=keep)


def bool_mask_hide(rng):
    q, k, v = qkv(rng, (4,))
    hide = rng.random((8, 12)) < 0.4
    hide[:, 3] = False
    return [q, k, v, hide], attention(q, k, v, 1.0, keep=~hide)


def computed_additive_mask(rng):
    q, k, v = qkv(rng, (2, 2))
    m = (rng.random((2, 1, 1, 12)) < 0.7).astype(np.float64)
    m[..., 0] = 1.0
    # Keys with m = 0 get -1e9: as good as hidden in float32 and float64.
    return [q, k, v, m], attention(q, k, v, 0.25, keep=m.astype(bool))


def sliding_window(rng):
    q, k, v = (rng.standard_normal((4, 12, 16)),
               rng.standard_normal((4, 12, 16)),
               rng.standard_normal((4, 12, 8)))
    i = np.arange(12)[:, None]
    j = np.arange(12)[None, :]
    return [q, k, v], attention(q, k, v, 1.0, keep=(j <= i) & (j >= i - 4))


def mixed_precision(rng):
    """f16 operands; the reference takes their f16 values exactly. The
    unfused run rounds P to f16 before P·V (up to 2^-11 of each weight),
    the fused one does not: a tolerance of that rounding."""
    q, k, v = (rng.standard_normal((4, 12, 16)).astype(np.float16),
               rng.standard_normal((4, 12, 16)).astype(np.float16),
               rng.standard_normal((4, 12, 8)).astype(np.float16))
    ref = attention(q.astype(np.float64), k.astype(np.float64),
                    v.astype(np.float64), 1.0)
    return [q, k, v], ref, 2e-3


def narrower_result(rng):
    """f32 operands, an f16 result: the unfused run accumulates P·V in f16,
    the fused one rounds once; a tolerance of f16 accumulation."""
    q, k, v = (rng.standard_normal((4, 8, 16)),
               rng.standard_normal((4, 8, 16)),
               rng.standard_normal((4, 8, 16)))
    return [q, k, v], attention(q, k, v, 1.0), 4e-3


def scaled_pv(rng):
    q, k, v = qkv(rng, (2, 2))
    return [q, k, v], 0.5 * attention(q, k, v, 1.0)


def softcap(rng):
    q, k, v = (3 * rng.standard_normal((4, 12, 16)),
               3 * rng.standard_normal((4, 12, 16)),
               rng.standard_normal((4, 12, 8)))
    i = np.arange(12)[:, None]
    j = np.arange(12)[None, :]
    return [q, k, v], attention(q, k, v, 0.25, keep=j <= i, softcap=5.0)


def alibi(rng):
    q, k, v = qkv(rng, (2, 2))
    slopes = np.array([0.5, 0.125])
    i = np.arange(8)[:, None]
    j = np.arange(12)[None, :]
    bias = slopes[None, :, None, None] * (j - i)
    return [q, k, v, slopes], attention(q, k, v, 0.25, bias=bias)


def alibi_flat_case(batch):
    """ALiBi on flattened [B·H, S, D] tensors, H = 2: the slopes of the head
    within the batch (the first dimension itself when B = 1)."""
    def make(rng):
        q, k, v = (rng.standard_normal((2 * batch, 8, 16)),
                   rng.standard_normal((2 * batch, 12, 16)),
                   rng.standard_normal((2 * batch, 12, 8)))
        slopes = np.array([0.5, 0.125])
        i = np.arange(8)[:, None]
        j = np.arange(12)[None, :]
        bias = np.tile(slopes, batch)[:, None, None] * (j - i)
        return [q, k, v, slopes], attention(q, k, v, 0.25, bias=bias)
    return make


def to_bf16(x):
    """float32 values that bf16 represents exactly (attn-runner takes bf16
    arguments as float32 .npy)."""
    bits = np.asarray(x, np.float32).view(np.uint32) & np.uint32(0xFFFF0000)
    return bits.view(np.float32)


def mixed_f16_bf16(rng):
    """f16 Q, bf16 K and V; the reference takes their values exactly. The
    unfused run rounds P to bf16 before P·V (up to 2^-8 of each weight), the
    fused one does not: a tolerance of that rounding."""
    q = rng.standard_normal((4, 12, 16)).astype(np.float16)
    k = to_bf16(rng.standard_normal((4, 12, 16)))
    v = to_bf16(rng.standard_normal((4, 12, 8)))
    ref = attention(q.astype(np.float64), k.astype(np.float64),
                    v.astype(np.float64), 1.0)
    return [q, k, v], ref, 1.5e-2


def bf16_result(rng):
    """f16 Q and K, bf16 V and result: P rounded to bf16 and P·V
    accumulated in bf16 unfused, the result rounded to bf16 once fused."""
    q = rng.standard_normal((4, 12, 16)).astype(np.float16)
    k = rng.standard_normal((4, 12, 16)).astype(np.float16)
    v = to_bf16(rng.standard_normal((4, 12, 8)))
    ref = attention(q.astype(np.float64), k.astype(np.float64),
                    v.astype(np.float64), 1.0)
    return [q, k, v], ref, 4e-2


def band2(rng):
    q, k, v = (rng.standard_normal((4, 6, 16)),
               rng.standard_normal((4, 6, 16)),
               rng.standard_normal((4, 6, 16)))
    i = np.arange(6)[:, None]
    j = np.arange(6)[None, :]
    return [q, k, v], attention(q, k, v, 1.0, keep=(j <= i) & (j >= i - 2))


def alibi_from_aranges(rng):
    q, k, v = (rng.standard_normal((2, 6, 16)),
               rng.standard_normal((2, 6, 16)),
               rng.standard_normal((2, 6, 16)))
    slopes = np.array([0.5, 0.125])
    i = np.arange(6)[:, None]
    j = np.arange(6)[None, :]
    return [q, k, v, slopes], attention(
        q, k, v, 0.25, bias=slopes[:, None, None] * (j - i))


TOSA_CASES = {
    "band_logical_and": band2,
    "band_logical_or": band2,
    "alibi_from_aranges": alibi_from_aranges,
}


CASES = {
    "rank2_matmul": case_plain((), 0.25),
    "matmul_transpose_b": case_plain((), 0.25),
    "batch_matmul_transpose_b": case_plain((4,), 0.25),
    "einsum_generic": case_plain((2, 2), 0.25),
    "contract": case_plain((4,), 0.25),
    "bool_mask_keep": bool_mask_keep,
    "bool_mask_hide": bool_mask_hide,
    "computed_additive_mask": computed_additive_mask,
    "normalized_pv": case_plain((2, 2), 0.25),
    "sliding_window": sliding_window,
    "sliding_window_one_select": sliding_window,
    "sliding_window_mask_tensor": sliding_window,
    "sliding_window_hide_tensor": sliding_window,
    "mixed_precision": mixed_precision,
    "narrower_result": narrower_result,
    "scaled_pv": scaled_pv,
    "softcap": softcap,
    "alibi": alibi,
    "alibi_flat": alibi_flat_case(1),
    "alibi_flat_batched": alibi_flat_case(2),
    "mixed_f16_bf16": mixed_f16_bf16,
    "bf16_result": bf16_result,
}


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}):\n"
                           f"{r.stdout}{r.stderr}")
    return r.stdout


def run_suite(args, tmp, source, cases, pipeline, seed):
    """Runs `cases` of `source` unfused and fused; returns the failures."""
    failures = 0
    fused = os.path.join(tmp, os.path.basename(source) + ".fused.mlir")
    with open(fused, "w") as f:
        f.write(run([args.attn_opt, source, "--attn-fuse-attention"]))
    for i, (name, make) in enumerate(cases.items()):
        rng = np.random.default_rng(seed + i)
        inputs, ref, *tol = make(rng)
        tol = tol[0] if tol else 1e-5
        files = []
        for j, x in enumerate(inputs):
            path = os.path.join(tmp, f"{name}_in{j}.npy")
            np.save(path, x if x.dtype in (bool, np.float16)
                    else x.astype(np.float32))
            files.append(path)
        for form, src in (("unfused", source), ("fused", fused)):
            out = os.path.join(tmp, f"{name}_{form}")
            cmd = [args.attn_runner, src, f"--entry={name}",
                   f"--out-dir={out}"] + [f"--input={p}" for p in files]
            if pipeline:
                cmd.append(f"--pipeline={pipeline}")
            try:
                run(cmd)
            except RuntimeError as e:
                print(f"FAIL {name} {form}: {e}")
                failures += 1
                continue
            got = np.load(os.path.join(out, "out0.npy")).astype(np.float64)
            err = float(np.max(np.abs(got - ref))) if got.shape == ref.shape \
                else float("inf")
            ok = err <= tol
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {name:26s} {form:8s} "
                  f"max |err| vs float64 {err:.2e}")
    return failures


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--attn-opt", required=True)
    ap.add_argument("--attn-runner", required=True)
    args = ap.parse_args()

    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        failures += run_suite(args, tmp,
                              os.path.join(INPUTS, "fusion-spellings.mlir"),
                              CASES, None, 1000)
        failures += run_suite(args, tmp,
                              os.path.join(INPUTS, "fusion-spellings-tosa.mlir"),
                              TOSA_CASES, TOSA_PIPELINE, 2000)
    print(f"{len(CASES) + len(TOSA_CASES)} spellings, {failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
