#!/usr/bin/env bash
# attn driver: installs what is missing, builds, runs the example or the tests.
#
#   scripts/attn.sh example   install + build + compile and run the bundled example
#   scripts/attn.sh test      install + build + every test (lit, GoogleTest,
#                             Python numerics, runtime under ASan/UBSan)
#   scripts/attn.sh build     install + build only
#
# Environment: BUILD_DIR (default ./build), JOBS (default: nproc).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
JOBS=${JOBS:-$(nproc)}
LLVM_PREFIX=/usr/lib/llvm-22
VENV=$ROOT/.venv

log() { printf '\n== %s\n' "$*"; }

install_debian_packages() {
  local pkgs=(cmake ninja-build g++ llvm-22-dev libmlir-22-dev mlir-22-tools
              libomp-22-dev libgtest-dev libfmt-dev python3-venv)
  local missing=()
  for p in "${pkgs[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "Debian packages: all present"
    return
  fi
  log "Installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
}

install_python_packages() {
  if [ ! -x "$VENV/bin/python" ]; then
    log "Creating $VENV"
    python3 -m venv "$VENV"
  fi
  local stamp="$VENV/.requirements.sha256"
  local want
  want=$(sha256sum "$ROOT/requirements-test.txt" | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "Installing pinned Python test packages"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
      -r "$ROOT/requirements-test.txt"
    echo "$want" > "$stamp"
  fi
}

build() {
  install_debian_packages
  if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    log "Configuring in $BUILD_DIR"
    cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja \
      -DCMAKE_BUILD_TYPE=Release \
      -DMLIR_DIR="$LLVM_PREFIX/lib/cmake/mlir" \
      -DLLVM_EXTERNAL_LIT="$LLVM_PREFIX/bin/lit" \
      -DATTN_PYTHON="$VENV/bin/python"
  fi
  log "Building"
  cmake --build "$BUILD_DIR" -j "$JOBS"
}

run_example() {
  build
  "$ROOT/examples/run-example.sh" "$BUILD_DIR"
}

run_tests() {
  install_python_packages
  build
  log "lit: dialect, passes, conversions, execution, tools, C API"
  "$LLVM_PREFIX/bin/lit" -sv --time-tests "$BUILD_DIR/test"
  log "ctest: GoogleTest and Python suites (lit ran above)"
  (cd "$BUILD_DIR" && ctest --output-on-failure -j "$JOBS" -E '^lit$')
  if [ -x "$ROOT/scripts/runtime-sanitize.sh" ]; then
    log "Runtime tests under ASan + UBSan"
    "$ROOT/scripts/runtime-sanitize.sh" "$BUILD_DIR/runtime-sanitize"
  fi
}

case "${1:-}" in
  example) run_example ;;
  test) run_tests ;;
  build) build ;;
  *) echo "usage: $0 {example|test|build}" >&2; exit 2 ;;
esac
