#!/bin/sh
# Installs the runtime (component AttnRuntime) into a scratch prefix and
# builds a C-only program against it twice: through find_package (static and
# shared library) and through pkg-config (attn_runtime.pc, static link with
# Libs.private and shared link); runs all of them. Also checks that the
# installed shared library has no CUDA link dependency and no RUNPATH.
#
#   run.sh <cmake> <build dir to install from> <this directory> <scratch dir>
#          <C compiler, or "" to look for cc>
#
# LDFLAGS (e.g. sanitizer flags) are used for every link. Exits 77 when there
# is no C compiler.
set -eu

cmake=$1
build=$2
src=$3
work=$4
cc=$5
case "$cc" in
"" | *NOTFOUND) cc=$(command -v cc || command -v gcc || command -v clang || true) ;;
esac
if [ -z "$cc" ] || ! command -v "$cc" >/dev/null 2>&1; then
  echo "SKIPPED: no C compiler found (set CC, or CMAKE_C_COMPILER when configuring)"
  exit 77
fi
ldflags=${LDFLAGS:-}

rm -rf "$work"
mkdir -p "$work"
prefix=$work/prefix
"$cmake" --install "$build" --component AttnRuntime --prefix "$prefix" >/dev/null
libdir=$(dirname "$(find "$prefix" -name 'libattn_runtime.a' | head -n 1)")
so="$libdir/libattn_runtime.so"

# No libcudart / libcuda in NEEDED, no RUNPATH or RPATH.
if command -v readelf >/dev/null 2>&1; then
  dyn=$(readelf -d "$so")
  if printf '%s\n' "$dyn" | grep -E 'NEEDED.*libcuda|RUNPATH|RPATH'; then
    echo "FAIL: $so has a CUDA dependency or a run path (above)"
    exit 1
  fi
  echo "readelf: libattn_runtime.so needs $(printf '%s\n' "$dyn" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' | tr '\n' ' ')and has no RUNPATH"
else
  echo "note: readelf not found; dynamic section not checked"
fi

# find_package from a C-only project.
"$cmake" -S "$src" -B "$work/build" -DCMAKE_C_COMPILER="$cc" \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_EXE_LINKER_FLAGS="$ldflags" >"$work/configure.log" 2>&1 ||
  { cat "$work/configure.log"; exit 1; }
"$cmake" --build "$work/build" >"$work/build.log" 2>&1 ||
  { cat "$work/build.log"; exit 1; }
"$work/build/c_consumer_static"
"$work/build/c_consumer_shared"

# pkg-config.
if ! command -v pkg-config >/dev/null 2>&1; then
  echo "note: pkg-config not found; attn_runtime.pc not checked"
  exit 0
fi
PKG_CONFIG_PATH="$libdir/pkgconfig"
export PKG_CONFIG_PATH
cflags=$(pkg-config --cflags attn_runtime)
libs=$(pkg-config --libs attn_runtime)
# Libs.private: what --static adds to Libs.
private=$(pkg-config --static --libs-only-l attn_runtime | tr ' ' '\n' |
  grep -v -e '^-lattn_runtime$' -e '^$' | tr '\n' ' ')
echo "pkg-config: Cflags $cflags; Libs $libs; Libs.private $private"
# shellcheck disable=SC2086
"$cc" -std=c99 -Wall -Wextra -pedantic -Werror $cflags "$src/main.c" \
  -o "$work/pc_shared" $ldflags $libs
LD_LIBRARY_PATH="$libdir" "$work/pc_shared"
# shellcheck disable=SC2086
"$cc" -std=c99 $cflags "$src/main.c" -o "$work/pc_static" $ldflags \
  $(pkg-config --libs-only-L attn_runtime) -Wl,-Bstatic -lattn_runtime \
  -Wl,-Bdynamic $private
"$work/pc_static"
echo "PASSED"
