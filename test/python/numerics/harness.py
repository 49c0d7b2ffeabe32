"""Runs configurations through attn-runner, the fp64 reference and ORT.

Per configuration:
  1. fp64 reference (reference.py) on the exact input values;
  2. ORT peers (ort_peer.py) vs the reference: validates the reference;
  3. ours: attn-runner with the reference CPU pipeline, with flash tiling,
     and with split-KV for decode shapes; each output vs the fp64 reference
     (and the lse result when the config asks for it) and vs every peer.
"""

import dataclasses
import os
import shutil
import subprocess
import tempfile
from typing import Dict, List, Optional

import numpy as np

import configs as cfgs
import ort_peer
from reference import sdpa_reference

# Max abs error vs fp64, relative to the output scale max|ref| (see
# docs/testing/numerics.md for the derivation).
OUT_TOL = {"f32": 2e-5, "f16": 5e-3, "bf16": 2e-2}
# Scores are formed in f32 (f16/bf16 inputs are computed in f32): each
# carries a rounding error of about u32 * |s| (also where an implementation
# folds log2(e) into the scale and uses exp2, as flash tiling does), which
# the softmax passes on to the output unscaled. Large ALiBi or bias terms
# (|s| in the hundreds) and the large-logit cases (|s| ~ 1e4) thus add
# 2 * u32 * max|s| to the output tolerance.
U32 = 2.0 ** -24


def out_tolerance(base, c, max_logit):
    return base + 2 * U32 * max_logit


# Max abs error of lse vs fp64, relative to max(1, |lse|).
LSE_TOL = {"f32": 1e-5, "f16": 1e-3, "bf16": 1e-2}

# The reference lowering (convert-attn-to-linalg, scores materialized);
# attn-lower-to-cpu runs flash tiling by default, hence flash=false.
REFERENCE_PIPELINE = "builtin.module(attn-lower-to-cpu{flash=false})"
FLASH_PIPELINE = ("builtin.module(attn-flash-tile{{tile-q={tq} tile-kv={tk}}},"
                  "attn-lower-to-cpu{{flash=false}})")
# What attn-runner runs by default (flash tiling with static tile shapes,
# f16/bf16 tiles widened, (batch, head) iterations on `threads` threads of
# the async runtime).
DEFAULT_PIPELINE = "builtin.module(attn-lower-to-cpu{{threads={threads}}})"
# Split-KV chunks then go through the default (flash-tiled) CPU pipeline.
SPLITKV_PIPELINE = ("builtin.module(attn-split-kv{{num-splits={n}}},"
                    "attn-lower-to-cpu)")


def find_runner():
    """attn-runner from $ATTN_RUNNER, else from build/bin; None if absent.

    ATTN_RUNNER set but empty means "no runner" (ctest without the
    attn-runner target); set to a missing file is an error.
    """
    if "ATTN_RUNNER" in os.environ:
        env = os.environ["ATTN_RUNNER"]
        if env and not os.path.exists(env):
            raise FileNotFoundError(
                f"ATTN_RUNNER={env} does not exist (build attn-runner)")
        return env or None
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))))
    p = os.path.join(root, "build", "bin", "attn-runner")
    return p if os.path.exists(p) else None


PROBE_MLIR = """func.func @sdpa(%q: tensor<1x1x2x8xf32>, %k: tensor<1x1x4x8xf32>,
                %v: tensor<1x1x4x8xf32>) -> tensor<1x1x2x8xf32> {
  %o = attn.sdpa %q, %k, %v : tensor<1x1x2x8xf32>, tensor<1x1x4x8xf32>,
      tensor<1x1x4x8xf32> -> tensor<1x1x2x8xf32>
  return %o : tensor<1x1x2x8xf32>
}
"""


def probe_pipelines(runner):
    """{kind: None if usable else why not} for the flash and split-KV
    pipelines: a pass this attn-runner does not register is reported, not
    counted as a numerical failure."""
    res = {}
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "probe.mlir")
        with open(path, "w") as f:
            f.write(PROBE_MLIR)
        for kind, pipe in (("flash", os.environ.get("ATTN_FLASH_PIPELINE",
                                                    FLASH_PIPELINE)
                            .format(tq=16, tk=16)),
                           ("split-kv", os.environ.get(
                               "ATTN_SPLITKV_PIPELINE", SPLITKV_PIPELINE)
                            .format(n=2))):
            p = subprocess.run([runner, path, "--entry=sdpa",
                                "--random-seed=1", f"--pipeline={pipe}"],
                               capture_output=True, text=True, timeout=120)
            err = p.stderr + p.stdout
            if p.returncode != 0 and "does not refer to a registered" in err:
                res[kind] = pipe.split("(")[1].split("{")[0] + \
                    " is not registered in attn-runner"
            else:
                res[kind] = None
    return res


def pipelines_for(c, unavailable=()):
    """[(name, pipeline or None)] run for `c`, leaving out the kinds in
    `unavailable`."""
    rng = np.random.default_rng(abs(c.seed) + 101)
    tq = int(rng.choice([16, 32, 64]))
    tk = int(rng.choice([16, 32, 64]))
    flash = os.environ.get("ATTN_FLASH_PIPELINE", FLASH_PIPELINE)
    res = [("reference", REFERENCE_PIPELINE)]
    if "flash" not in unavailable:
        res.append((f"flash{tq}x{tk}", flash.format(tq=tq, tk=tk)))
        threads = int(rng.choice([1, 2, 3]))
        res.append((f"default{threads}t",
                    DEFAULT_PIPELINE.format(threads=threads)))
    if "split-kv" not in unavailable and (
            c.is_decode() or (not c.varlen and c.Sq <= 4 and c.Sk >= 64)):
        n = int(rng.choice([2, 4, 7]))
        split = os.environ.get("ATTN_SPLITKV_PIPELINE", SPLITKV_PIPELINE)
        res.append((f"split-kv{n}", split.format(n=n)))
    return res


@dataclasses.dataclass
class Result:
    config: "cfgs.Config"
    ours_ok: Optional[bool] = None  # None: not run
    peers: List[str] = dataclasses.field(default_factory=list)
    compared_with_peer: bool = False
    failures: List[str] = dataclasses.field(default_factory=list)
    errors: Dict[str, float] = dataclasses.field(default_factory=dict)
    pipelines: List[str] = dataclasses.field(default_factory=list)
    max_logit: float = 0.0

    @property
    def ok(self):
        return not self.failures


def rel_err(out, ref):
    """max |out - ref| / max(max |ref|, 1e-30); inf on NaN or shape
    mismatch."""
    out = np.asarray(out, np.float64)
    if out.shape != ref.shape or not np.isfinite(out).all():
        return float("inf")
    scale = max(float(np.abs(ref).max(initial=0.0)), 1e-30)
    return float(np.abs(out - ref).max(initial=0.0)) / scale


def dead_rows(c, ref_lse):
    """Fully masked rows (lse = -inf) indexed like the output's rows."""
    dead = np.isneginf(ref_lse)
    if not c.varlen and c.layout == "bshd":
        dead = np.transpose(dead, (0, 2, 1))
    return dead


def check_output(name, out, ref, dead, tol, failures, errors):
    err = rel_err(out, ref)
    errors[name] = err
    if not err <= tol:
        failures.append(f"{name}: output error {err:.3g} > {tol:.3g}")
    # Fully masked rows must be exactly zero.
    if dead.any() and np.asarray(out).shape == ref.shape:
        rows = np.asarray(out)[dead]
        if np.any(rows != 0):
            failures.append(f"{name}: fully masked rows are not zero "
                            f"(max {np.abs(rows).max():.3g})")


def check_lse(name, lse, ref_lse, tol, failures, errors):
    lse = np.asarray(lse, np.float64)
    if lse.shape != ref_lse.shape:
        failures.append(f"{name}: lse shape {lse.shape}, expected "
                        f"{ref_lse.shape}")
        return
    dead = np.isneginf(ref_lse)
    if not np.array_equal(np.isneginf(lse), dead):
        failures.append(f"{name}: lse is -inf on {int(np.isneginf(lse).sum())}"
                        f" rows, expected {int(dead.sum())}")
        return
    live = ~dead
    if not live.any():
        return
    if not np.isfinite(lse[live]).all():
        failures.append(f"{name}: lse has non-finite values")
        return
    err = float((np.abs(lse[live] - ref_lse[live]) /
                 np.maximum(1.0, np.abs(ref_lse[live]))).max())
    errors[name + ".lse"] = err
    if err > tol:
        failures.append(f"{name}: lse error {err:.3g} > {tol:.3g}")


def _write_inputs(inputs, workdir):
    paths = []
    for i, (name, arr) in enumerate(inputs):
        if arr.dtype.name == "bfloat16":
            arr = arr.astype(np.float32)  # attn-runner: bf16 args take f32
        p = os.path.join(workdir, f"in{i}_{name}.npy")
        np.save(p, arr)
        paths.append(p)
    return paths


def run_ours(runner, c, inputs, pipeline, workdir, timeout=120):
    """Runs attn-runner; returns (outputs, error text or None)."""
    mlir = os.path.join(workdir, "sdpa.mlir")
    with open(mlir, "w") as f:
        f.write(cfgs.to_mlir(c, inputs))
    paths = _write_inputs(inputs, workdir)
    outdir = tempfile.mkdtemp(dir=workdir, prefix="out")
    cmd = [runner, mlir, "--entry=sdpa", f"--out-dir={outdir}"]
    cmd += [f"--input={p}" for p in paths]
    if pipeline:
        cmd.append(f"--pipeline={pipeline}")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout}s: {' '.join(cmd)}"
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-6:]
        return None, (f"attn-runner exited {proc.returncode}: "
                      + " | ".join(tail))
    outs = []
    for i in range(2 if c.lse else 1):
        p = os.path.join(outdir, f"out{i}.npy")
        if not os.path.exists(p):
            return None, f"attn-runner wrote no {p}"
        outs.append(np.load(p))
    return outs, None


def run_config(c, runner=None, peers=True, workdir=None, keep=False,
               unavailable=()):
    """Checks one configuration; returns a Result."""
    res = Result(config=c)
    inputs = cfgs.make_inputs(c)
    info = {}
    ref, ref_lse = sdpa_reference(inputs[0][1], inputs[1][1], inputs[2][1],
                                  info=info,
                                  **cfgs.reference_kwargs(c, inputs))
    max_logit = info["max_logit"]
    res.max_logit = max_logit
    dead = dead_rows(c, ref_lse)
    peer_outs = []
    if peers:
        try:
            peer_outs = ort_peer.peer_outputs(c, inputs)
        except Exception as e:  # a peer that cannot run is a failure
            res.failures.append(f"ORT peer raised {type(e).__name__}: {e}")
        for label, out in peer_outs:
            res.peers.append(label.split("(")[0])
            check_output(f"ORT {label} vs fp64", out, ref, dead,
                         out_tolerance(ort_peer.peer_tolerance(label, c.dtype),
                                       c, max_logit),
                         res.failures, res.errors)
    if runner is None:
        return res
    own = workdir is None
    workdir = workdir or tempfile.mkdtemp(prefix="attn-numerics-")
    try:
        ok = True
        for name, pipeline in pipelines_for(c, unavailable):
            res.pipelines.append(name.rstrip("0123456789x"))
            d = os.path.join(workdir, name)
            os.makedirs(d, exist_ok=True)
            outs, err = run_ours(runner, c, inputs, pipeline, d)
            if err:
                res.failures.append(f"ours[{name}]: {err}")
                ok = False
                continue
            n0 = len(res.failures)
            check_output(f"ours[{name}] vs fp64", outs[0], ref, dead,
                         out_tolerance(OUT_TOL[c.dtype], c, max_logit),
                         res.failures, res.errors)
            if c.lse:
                check_lse(f"ours[{name}]", outs[1], ref_lse, LSE_TOL[c.dtype],
                          res.failures, res.errors)
            for label, pout in peer_outs:
                tol = out_tolerance(OUT_TOL[c.dtype] + ort_peer.peer_tolerance(
                    label, c.dtype), c, 2 * max_logit)
                err_p = rel_err(outs[0], pout)
                res.errors[f"ours[{name}] vs ORT {label}"] = err_p
                if not err_p <= tol:
                    res.failures.append(f"ours[{name}] vs ORT {label}: "
                                        f"{err_p:.3g} > {tol:.3g}")
                res.compared_with_peer = True
            ok = ok and len(res.failures) == n0
        res.ours_ok = ok
    finally:
        if own and not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return res
