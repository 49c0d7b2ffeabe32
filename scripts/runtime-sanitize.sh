#!/usr/bin/env bash
# Builds runtime/ standalone with AddressSanitizer + UndefinedBehaviorSanitizer
# and runs its ctest suite. Exits non-zero on any build or test failure.
#
#   scripts/runtime-sanitize.sh <builddir> [extra cmake args...]
#
# Environment: CC/CXX pick the compiler (default: the system's), JOBS the
# parallel build level (default 2).
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: $0 <builddir> [extra cmake args...]" >&2
  exit 2
fi
builddir=$1
shift
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jobs=${JOBS:-2}
generator=()
if command -v ninja >/dev/null 2>&1; then
  generator=(-G Ninja)
fi

san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
cmake -S "$repo/runtime" -B "$builddir" "${generator[@]}" \
  -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS="$san" \
  -DCMAKE_EXE_LINKER_FLAGS="$san" \
  -DCMAKE_SHARED_LINKER_FLAGS="$san" \
  -DATTN_RUNTIME_BUILD_TESTS=ON \
  -DATTN_RUNTIME_BUILD_BENCH=ON \
  "$@"
cmake --build "$builddir" -j "$jobs"

# protect_shadow_gap=0 lets the CUDA runtime map memory where ASan keeps its
# shadow gap (only matters when a GPU is present).
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:protect_shadow_gap=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
ctest --test-dir "$builddir" --output-on-failure -j "$jobs"
