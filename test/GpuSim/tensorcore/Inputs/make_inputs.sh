#!/usr/bin/env bash
# Regenerates tc_mma.ptx and tc_wgmma.ptx (the CuTe kernels of
# run_tensorcore.py) from their .cu sources. tc_tma.ptx, tc_ldsm.ptx and
# tc_faults.ptx are hand-written.
#
# Generated with: nvcc 13.0 and CUTLASS/CuTe 4.2.0 (headers from the
# nvidia-cutlass==4.2.0.0 Python wheel, site-packages/cutlass_library/
# source/include).
#
# Usage: make_inputs.sh CUTLASS_INCLUDE_DIR   (or set CUTLASS_INCLUDE)
set -euo pipefail
cd "$(dirname "$0")"
NVCC="${NVCC:-/usr/local/cuda/bin/nvcc}"
INC="${1:-${CUTLASS_INCLUDE:-}}"
if [[ -z "$INC" || ! -f "$INC/cute/tensor.hpp" ]]; then
  echo "usage: $0 CUTLASS_INCLUDE_DIR (the directory holding cute/)" >&2
  exit 2
fi
COMMON=(-std=c++17 -O3 --expt-relaxed-constexpr -ptx -I"$INC")
"$NVCC" "${COMMON[@]}" -arch=sm_89 tc_mma.cu -o tc_mma.ptx
"$NVCC" "${COMMON[@]}" -arch=sm_90a tc_wgmma.cu -o tc_wgmma.ptx
# Every hand-written file must assemble too.
PTXAS="$(dirname "$NVCC")/ptxas"
for f in tc_mma.ptx tc_wgmma.ptx tc_tma.ptx tc_ldsm.ptx tc_faults.ptx; do
  arch=sm_90a
  [[ $f == tc_mma.ptx ]] && arch=sm_89
  "$PTXAS" -arch=$arch "$f" -o /dev/null
done
