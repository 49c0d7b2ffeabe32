#!/usr/bin/env bash
# Regenerates the oracle PTX files in this directory from the .cu sources.
#
# Generated with: nvcc 13.0 (cuda_13.0.r13.0, V13.0.88), CUTLASS/CuTe 4.2.0
# (headers from the nvidia-cutlass==4.2.0.0 Python wheel,
#  site-packages/cutlass_library/source/include).
#
# Usage: make_oracles.sh [CUTLASS_INCLUDE_DIR]
#   CUTLASS_INCLUDE_DIR (or the CUTLASS_INCLUDE environment variable) is the
#   directory that contains cute/ and cutlass/.
#   nvcc is taken from $NVCC, /usr/local/cuda/bin, or PATH.
# The committed .ptx files are the test inputs; the test runner never needs nvcc.
# Besides the .ptx files this writes ptxas-v.txt (ptxas -v resource usage).
set -euo pipefail
cd "$(dirname "$0")"

usage() {
  echo "usage: $0 [CUTLASS_INCLUDE_DIR]   (or set CUTLASS_INCLUDE)" >&2
  echo "  CUTLASS_INCLUDE_DIR must contain cute/tensor.hpp" >&2
}
case "${1:-}" in -h|--help) usage; exit 0 ;; esac

NVCC="${NVCC:-}"
if [[ -z "$NVCC" ]]; then
  if [[ -x /usr/local/cuda/bin/nvcc ]]; then NVCC=/usr/local/cuda/bin/nvcc
  elif command -v nvcc >/dev/null 2>&1; then NVCC="$(command -v nvcc)"
  else echo "make_oracles.sh: nvcc not found, skipping PTX regeneration" >&2; exit 0
  fi
fi
PTXAS="$(dirname "$NVCC")/ptxas"
[[ -x "$PTXAS" ]] || PTXAS=ptxas

INC="${1:-${CUTLASS_INCLUDE:-}}"
if [[ -z "$INC" || ! -f "$INC/cute/tensor.hpp" ]]; then
  echo "make_oracles.sh: CUTLASS include directory not given or has no cute/tensor.hpp" >&2
  usage
  exit 2
fi

COMMON=(-std=c++17 -O3 --expt-relaxed-constexpr -ptx -I"$INC")

# output            source                 arch     extra flags
TARGETS=(
  "simt_reduce.ptx                 simt_reduce.cu         sm_80"
  "simt_fp8.ptx                    simt_fp8.cu            sm_89"
  "sm80_gemm.ptx                   sm80_gemm.cu           sm_80"
  "sm90_stmatrix_gemm.ptx          sm90_stmatrix_gemm.cu  sm_90a"
  "sm90_wgmma_gemm.ptx             sm90_wgmma_gemm.cu     sm_90a"
  "sm90_tma_gemm.ptx               sm90_tma_gemm.cu       sm_90a"
  "simt_reduce_bug_no_barrier.ptx  simt_reduce.cu         sm_80   -DORACLE_BUG_ONLY -DORACLE_BUG_NO_BARRIER"
  "simt_reduce_bug_oob.ptx         simt_reduce.cu         sm_80   -DORACLE_BUG_ONLY -DORACLE_BUG_OOB"
  "sm80_gemm_bug_swizzle.ptx       sm80_gemm.cu           sm_80   -DORACLE_BUG_SWIZZLE"
)

: > ptxas-v.txt
for t in "${TARGETS[@]}"; do
  read -r out src arch extra <<<"$t"
  echo "nvcc -arch=$arch $extra $src -> $out"
  # shellcheck disable=SC2086
  "$NVCC" "${COMMON[@]}" -arch="$arch" $extra "$src" -o "$out"
  size=$(wc -c < "$out")
  if (( size > 1000000 )); then
    echo "make_oracles.sh: $out is $size bytes (> 1 MB)" >&2
    exit 1
  fi
  echo "== $out ($arch, $size bytes)" >> ptxas-v.txt
  "$PTXAS" -arch="$arch" -v "$out" -o /dev/null 2>&1 \
    | grep -E "Compiling entry|Used|spill" | sed 's/^ptxas info *: //' >> ptxas-v.txt
done
echo "done; resource usage in ptxas-v.txt"
