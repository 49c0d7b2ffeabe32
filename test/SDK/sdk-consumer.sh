#!/bin/sh
# Installs an attn build into a fresh prefix and moves it, checks that the
# installed CMake package names no build-, source- or install-tree path, then
# configures, builds and runs examples/sdk-consumer against it with
# find_package(Attn).
#
# usage: sdk-consumer.sh BUILD_DIR SOURCE_DIR WORK_DIR
# environment (set by ctest): CMAKE, GENERATOR, MAKE_PROGRAM, CC, CXX,
#   CFLAGS, CXXFLAGS, LDFLAGS (the build's own, e.g. sanitizers), MLIR_DIR.
# Exits 77 (skipped) when something it needs is missing.
set -eu

build=$1
source=$2
work=$3

skip() {
  echo "SKIP: $*"
  exit 77
}
fail() {
  echo "FAIL: $*"
  exit 1
}

[ -f "$MLIR_DIR/MLIRConfig.cmake" ] ||
  skip "no MLIRConfig.cmake in MLIR_DIR ($MLIR_DIR)"
command -v "$CMAKE" >/dev/null 2>&1 || skip "cmake ($CMAKE) not found"
command -v "$MAKE_PROGRAM" >/dev/null 2>&1 ||
  skip "the build program ($MAKE_PROGRAM) not found"
command -v "$CXX" >/dev/null 2>&1 || skip "C++ compiler ($CXX) not found"
command -v "$CC" >/dev/null 2>&1 || skip "C compiler ($CC) not found"

rm -rf "$work"
mkdir -p "$work"
# Installed into one prefix, used from another: the package must be
# relocatable.
staging=$work/staging
prefix=$work/prefix

echo "== cmake --install $build --prefix $staging"
"$CMAKE" --install "$build" --prefix "$staging" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log"; fail "cmake --install failed"; }
mv "$staging" "$prefix"

config=$(find "$prefix" -path '*/cmake/Attn/AttnConfig.cmake' | head -n 1)
[ -n "$config" ] || fail "no lib/cmake/Attn/AttnConfig.cmake under $prefix"
configdir=$(dirname "$config")
for f in AttnConfigVersion.cmake AttnTargets.cmake; do
  [ -f "$configdir/$f" ] || fail "$f missing next to $config"
done
for f in attn/Dialect/Attn/IR/AttnOps.h attn/Dialect/Attn/IR/AttnOps.h.inc \
  attn/Conversion/Passes.h.inc attn/Version.h attn/InitAll.h \
  attn-c/Dialects.h; do
  [ -f "$prefix/include/$f" ] || fail "include/$f not installed"
done
# The package must not point back into the trees it was built from.
for dir in "$build" "$source" "$work"; do
  real=$(cd "$dir" && pwd -P)
  if grep -l -F -e "$dir" -e "$real" "$configdir"/*.cmake; then
    fail "the installed CMake package names $dir"
  fi
done

echo "== configure examples/sdk-consumer against $prefix"
"$CMAKE" -S "$source/examples/sdk-consumer" -B "$work/consumer" \
  -G "$GENERATOR" -DCMAKE_MAKE_PROGRAM="$MAKE_PROGRAM" \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DCMAKE_EXE_LINKER_FLAGS="$LDFLAGS" \
  -DCMAKE_PREFIX_PATH="$prefix" >"$work/configure.log" 2>&1 ||
  { cat "$work/configure.log"; fail "configuring the consumer failed"; }
grep "Using AttnConfig.cmake" "$work/configure.log"

echo "== build"
"$CMAKE" --build "$work/consumer" >"$work/build.log" 2>&1 ||
  { cat "$work/build.log"; fail "building the consumer failed"; }

echo "== run"
out=$("$work/consumer/attn-sdk-consumer") ||
  { echo "$out"; fail "attn-sdk-consumer failed"; }
echo "$out"
for want in "attn SDK " "attn.sdpa ops before: 1" \
  "after attn-lower-to-cpu: attn ops 0, llvm.func ops"; do
  echo "$out" | grep -q -F "$want" || fail "expected '$want'"
done
echo "$out" | grep -q "llvm.func ops [1-9]" || fail "expected llvm.func ops"

out=$("$work/consumer/attn-sdk-consumer" "func.func(canonicalize)") ||
  { echo "$out"; fail "attn-sdk-consumer with canonicalize failed"; }
echo "$out"
echo "$out" | grep -q -F "attn ops 1, llvm.func ops 0" ||
  fail "expected the attn.sdpa to stay"

out=$("$work/consumer/attn-sdk-consumer-c") ||
  { echo "$out"; fail "attn-sdk-consumer-c failed"; }
echo "$out"
echo "$out" | grep -q -F "C API: attn.sdpa ops before: 1" ||
  fail "expected one attn.sdpa (C API)"
echo "$out" | grep -q -F "C API: lowered: 1, attn.sdpa ops after: 0" ||
  fail "expected the C API pipeline to lower it"
echo "$out" | grep -q -F "C API: built and ran: 1, out = 2 3 4 5" ||
  fail "expected the C API to build and run attn.sdpa from its shapes"
echo "PASS"
