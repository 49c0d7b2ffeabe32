#!/usr/bin/env bash
# Long mutation-fuzz run of attn-opt and attn-compile over the test corpus:
# batches of mutants with successive seeds until the time is up; every
# finding's mutant is kept in the output folder.
#
#   scripts/fuzz-long.sh [HOURS] [OUT]      (defaults: 1 hour, ./fuzz-findings)
#
# HOURS may be fractional (2.5). BUILD_DIR (default ./build) holds the tools;
# build them first (scripts/attn.sh build). SEED (default 1000) is the first
# batch's seed: give each long run fresh ones. JOBS (default: all cores) is
# the number of tools run at once. Prints each batch's counts and the totals.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
hours=${1:-1}
out=${2:-$ROOT/fuzz-findings}
mkdir -p "$out"
python=$ROOT/.venv/bin/python
[[ -x $python ]] || python=python3
jobs=${JOBS:-$(nproc)}
if ! [[ $hours =~ ^[0-9]+([.][0-9]+)?$ ]]; then
  echo "fuzz-long.sh: HOURS must be a number of hours, got '$hours'" >&2
  exit 2
fi
end=$(( $(date +%s) + $(awk -v h="$hours" 'BEGIN { printf "%d", h * 3600 }') ))
seed=${SEED:-1000} total=0 findings=0
while (( $(date +%s) < end )); do
  log=$("$python" "$ROOT/test/fuzz/mutate_fuzz.py" --attn-opt "$BUILD_DIR/bin/attn-opt" \
        --attn-compile "$BUILD_DIR/bin/attn-compile" --mutants 2000 --seed "$seed" \
        --jobs "$jobs" --timeout 60 --out "$out/seed$seed")
  rc=$?
  echo "seed $seed: $(echo "$log" | head -1)"
  total=$(( total + 2000 ))
  if (( rc != 0 )); then
    findings=$(( findings + 1 ))
    echo "$log" | tail -n +2
  else
    rm -rf "$out/seed$seed"
  fi
  seed=$(( seed + 1 ))
done
echo "fuzz: $total mutants, $findings batches with findings (mutants kept in $out)"
(( findings == 0 ))
