#!/usr/bin/env bash
# The one device command (on a machine with a GPU, torch, triton and the CUDA driver; no MLIR):
#   1. correctness of every case against an fp64 reference and torch SDPA (NaN-poisoned outputs);
#   2. compute-sanitizer memcheck and racecheck on a subset, and the C decode loop
#      (examples/gpu-decode) when prepare.sh found it built;
#   3. the benchmark grid of our kernels (default kernel, and mma.sync on sm_90a), the peers'
#      benchmark in the same run, and the ratio table.
#
#   gpu/device-tests/run_all.sh [DIR]      (DIR from prepare.sh, default .gpu)
#
# Exits 1 when any step fails; every step has a time limit so the whole run stays under 8 minutes.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=${1:-.gpu}
status=0
step() { echo; echo "== $*"; }

step "correctness: $dir/cases"
timeout 150 python3 "$here/run_kernels.py" "$dir/cases" || status=1
if [[ -d $dir/cases-mma ]]; then
  step "correctness: $dir/cases-mma (mma.sync decode)"
  timeout 60 python3 "$here/run_kernels.py" "$dir/cases-mma" || status=1
fi

san=$(command -v compute-sanitizer || true)
[[ -z $san && -x /usr/local/cuda/bin/compute-sanitizer ]] && san=/usr/local/cuda/bin/compute-sanitizer
if [[ -n $san ]]; then
  for tool in memcheck racecheck; do
    step "compute-sanitizer --tool $tool (cases of length 113)"
    timeout 120 "$san" --tool "$tool" --error-exitcode 3 \
      python3 "$here/run_kernels.py" --filter _s113x113_ "$dir/cases" | tail -3 || status=1
    if [[ -d $dir/cases-mma ]]; then
      step "compute-sanitizer --tool $tool (mma.sync decode, MHA)"
      timeout 60 "$san" --tool "$tool" --error-exitcode 3 \
        python3 "$here/run_kernels.py" --filter _hq8_hkv8_ "$dir/cases-mma" | tail -3 || status=1
    fi
  done
else
  step "compute-sanitizer not found: memcheck and racecheck NOT run"
  status=1
fi

if [[ -x $dir/decode-loop/attn-decode-loop ]]; then
  step "decode loop (runtime cache in device memory, append + paged attention kernels)"
  LD_LIBRARY_PATH="$dir/decode-loop${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" timeout 60 \
    "$dir/decode-loop/attn-decode-loop" "$dir/decode-loop/decode_step.json" 32 || status=1
fi

results=$dir/results.jsonl
: > "$results"
step "benchmark: $dir/bench"
timeout 120 python3 "$here/bench.py" "$dir/bench" | tee -a "$results" || status=1
if [[ -d $dir/bench-mma ]]; then
  step "benchmark: $dir/bench-mma (mma.sync)"
  timeout 90 python3 "$here/bench.py" "$dir/bench-mma" | sed 's/"impl": "attn"/"impl": "attn-mma"/' \
    | tee -a "$results" || status=1
fi
step "peers"
timeout 180 python3 "$dir/peers_gpu.py" --quick --no-flex --decode | tee -a "$results" || status=1
step "ratios: the default kernel against the peers"
grep -v '"impl": "attn-mma"' "$results" > "$dir/results-default.jsonl"
python3 "$dir/compare.py" "$dir/results-default.jsonl" --ours attn || status=1
if [[ -d $dir/bench-mma ]]; then
  step "ratios: mma.sync against the peers"
  grep -v '"impl": "attn"' "$results" > "$dir/results-mma.jsonl"
  python3 "$dir/compare.py" "$dir/results-mma.jsonl" --ours attn-mma || status=1
fi
exit $status
