#!/usr/bin/env python3
"""Numerical test harness of `attn.sdpa`: ours vs fp64 vs ONNX Runtime.

usage: run_numerics.py [--configs=N] [--seed=S] [--base-seed=S]
                       [--runner=PATH] [--peer-only] [--jobs=J]
                       [--work-cap=W] [--keep=DIR] [--verbose]

--configs defaults to $ATTN_NUMERICS_CONFIGS, else 40 (the ctest sample).
--seed=S runs the single configuration S (negative seeds are the fixed edge
cases), e.g. to reproduce a failure. Prints one line per failing
configuration (its seed and parameters) and the summary line

  N configs: X passed vs fp64, Y compared with ONNX Runtime (by op: ...), Z failed

and exits 1 on any failure (2 on usage errors).
"""

import argparse
import collections
import concurrent.futures
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import configs as cfgs  # noqa: E402
import harness  # noqa: E402

DEFAULT_CONFIGS = 40


def _work(args):
    c, runner, peers, keep, unavailable = args
    workdir = None
    if keep:
        workdir = os.path.join(keep, f"seed{c.seed}")
        os.makedirs(workdir, exist_ok=True)
    t0 = time.time()
    try:
        res = harness.run_config(c, runner=runner, peers=peers,
                                 workdir=workdir, keep=bool(keep),
                                 unavailable=unavailable)
    except Exception as e:  # report, don't lose the rest of the run
        res = harness.Result(config=c)
        res.failures.append(f"harness raised {type(e).__name__}: {e}")
    return res, time.time() - t0


def summarize(results, ours_run):
    n = len(results)
    passed = sum(1 for r in results if r.ours_ok)
    compared = sum(1 for r in results if r.compared_with_peer)
    peer_checked = sum(1 for r in results if r.peers)
    by_op = collections.Counter(op for r in results for op in set(r.peers))
    failed = sum(1 for r in results if not r.ok)
    ops = ", ".join(f"{k}={v}" for k, v in sorted(by_op.items())) or "none"
    y = compared if ours_run else 0
    line = (f"{n} configs: {passed} passed vs fp64, {y} compared with ONNX "
            f"Runtime (by op: {ops}), {failed} failed")
    runs = collections.Counter(p for r in results for p in r.pipelines)
    extra = (f"reference vs ONNX Runtime (peer-only check): {peer_checked} "
             f"configs checked; attn-runner runs by pipeline: " +
             (", ".join(f"{k}={v}" for k, v in sorted(runs.items()))
              or "none"))
    return line, extra


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    p.add_argument("--configs", type=int,
                   default=int(os.environ.get("ATTN_NUMERICS_CONFIGS",
                                              DEFAULT_CONFIGS)))
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--base-seed", type=int, default=0)
    p.add_argument("--runner", default=None,
                   help="attn-runner (default: $ATTN_RUNNER or build/bin)")
    p.add_argument("--peer-only", action="store_true",
                   help="only check ORT against the fp64 reference")
    p.add_argument("--no-peers", action="store_true")
    p.add_argument("--jobs", type=int,
                   default=int(os.environ.get("ATTN_NUMERICS_JOBS", 1)))
    p.add_argument("--work-cap", type=int, default=cfgs.DEFAULT_WORK_CAP)
    p.add_argument("--keep", default=None,
                   help="keep .mlir/.npy artifacts under this directory")
    p.add_argument("--require-all-pipelines", action="store_true",
                   help="fail when the flash or split-KV pass is missing")
    p.add_argument("--verbose", "-v", action="store_true")
    a = p.parse_args(argv)

    runner = None
    if not a.peer_only:
        runner = a.runner or harness.find_runner()
        if runner is None or not os.path.exists(runner):
            print("run_numerics: attn-runner not found (set ATTN_RUNNER or "
                  "--runner); use --peer-only to check only the reference "
                  "against ONNX Runtime", file=sys.stderr)
            return 2
    if a.seed is not None:
        suite = [cfgs.config_for_seed(a.seed, a.work_cap)]
    else:
        suite = cfgs.make_suite(a.configs, a.base_seed, a.work_cap)

    unavailable = {}
    if runner is not None:
        unavailable = {k: why for k, why in
                       harness.probe_pipelines(runner).items() if why}
        for kind, why in unavailable.items():
            print(f"NOTE: {kind} pipeline not run: {why}")
        if unavailable and a.require_all_pipelines:
            print("run_numerics: --require-all-pipelines: failing")
            return 1
    jobs = [(c, runner, not a.no_peers, a.keep, set(unavailable))
            for c in suite]
    t0 = time.time()
    results = []
    if a.jobs > 1:
        with concurrent.futures.ProcessPoolExecutor(a.jobs) as ex:
            it = ex.map(_work, jobs)
            results_t = list(it)
    else:
        results_t = [_work(j) for j in jobs]
    for res, dt in results_t:
        results.append(res)
        c = res.config
        if not res.ok:
            print(f"FAIL {c.short()}")
            for f in res.failures:
                print(f"    {f}")
            print(f"    config: {c.to_json()}")
            print(f"    reproduce: {os.path.abspath(__file__)} "
                  f"--seed={c.seed}" + (" --peer-only" if a.peer_only
                                        else ""))
        elif a.verbose:
            worst = max(res.errors.items(), key=lambda kv: kv[1],
                        default=("-", 0.0))
            print(f"ok   {dt:5.2f}s {c.short()}  [peers: "
                  f"{','.join(res.peers) or '-'}; worst {worst[0]} "
                  f"{worst[1]:.2g}]")
    line, extra = summarize(results, runner is not None)
    if runner is None:
        print("attn-runner not run (--peer-only): ours were not checked")
    print(extra)
    print(f"({time.time() - t0:.1f}s)")
    print(line)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
