#!/usr/bin/env bash
# Builds, on a machine without a GPU, everything the device run needs into one folder
# (default .gpu, git-ignored): the correctness cases, the benchmark grid for the default kernel
# (wgmma on sm_90a) and for mma.sync, and the peers' benchmark scripts.
#
#   gpu/device-tests/prepare.sh --attn-compile build/bin/attn-compile --peers DIR [--chip sm_90a] [--out .gpu]
#
# DIR holds peers_gpu.py and compare.py (the peers' benchmark and its ratio table).
# Then copy the folder next to the repository on the GPU machine and run gpu/device-tests/run_all.sh.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
compiler="" peers="" chip=sm_90a out=.gpu
while [[ $# -gt 0 ]]; do
  case $1 in
    --attn-compile) compiler=$2; shift 2 ;;
    --peers) peers=$2; shift 2 ;;
    --chip) chip=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: $0 --attn-compile BIN --peers DIR [--chip sm_90a|sm_80] [--out DIR]" >&2; exit 2 ;;
  esac
done
if [[ -z $compiler || -z $peers ]]; then
  echo "usage: $0 --attn-compile BIN --peers DIR [--chip sm_90a|sm_80] [--out DIR]" >&2
  exit 2
fi
for f in peers_gpu.py compare.py; do
  [[ -f $peers/$f ]] || { echo "$0: $peers/$f not found" >&2; exit 2; }
done
rm -rf "$out/cases" "$out/cases-mma" "$out/bench" "$out/bench-mma"
mkdir -p "$out"
python3 "$here/make_cases.py" --attn-compile "$compiler" --chip "$chip" --out "$out/cases"
python3 "$here/make_cases.py" --attn-compile "$compiler" --chip "$chip" --out "$out/bench" --bench
if [[ $chip == sm_90a ]]; then
  # The mma.sync decode kernels (benchmarked below) checked too.
  python3 "$here/make_cases.py" --attn-compile "$compiler" --chip "$chip" --out "$out/cases-mma" \
    --decode --kernel mma
  python3 "$here/make_cases.py" --attn-compile "$compiler" --chip "$chip" --out "$out/bench-mma" \
    --bench --kernel mma
fi
# The C decode loop of examples/gpu-decode, when built (needs the CUDA toolkit),
# with its kernels.
loop=$(dirname "$compiler")/attn-decode-loop
rm -rf "$out/decode-loop"
if [[ -x $loop ]]; then
  mkdir -p "$out/decode-loop"
  cp "$loop" "$out/decode-loop/"
  # The CUDA runtime it links (the GPU machine may have another version).
  ldd "$loop" | awk '/libcudart/ {print $3}' | xargs -r -I{} cp -L {} "$out/decode-loop/"
  "$compiler" "$here/../../examples/gpu-decode/decode_step.mlir" --chip "$chip" \
    --out-dir "$out/decode-loop" > /dev/null
fi
cp "$peers/peers_gpu.py" "$peers/compare.py" "$out/"
du -sh "$out"
