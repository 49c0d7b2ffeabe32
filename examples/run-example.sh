#!/usr/bin/env bash
# The main job on the bundled example: verify and canonicalize the decoder
# layer's attention, compile it for the CPU (flash-tiled attention lowered to
# LLVM), run it on seeded random inputs and print a short summary.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${1:-$ROOT/build}
BIN=$BUILD_DIR/bin
EXAMPLE=$ROOT/examples/decoder_attention.mlir
OUT=$BUILD_DIR/example
mkdir -p "$OUT"

echo "== 1. parse, verify, canonicalize: $EXAMPLE"
"$BIN/attn-opt" -canonicalize "$EXAMPLE" -o "$OUT/canonical.mlir"
grep -oE '= attn\.[a-z_]+' "$OUT/canonical.mlir" | sort | uniq -c

echo "== 2. flash tiling of attn.sdpa (tile 64x64)"
"$BIN/attn-opt" --attn-flash-tile="tile-q=64 tile-kv=64" "$OUT/canonical.mlir" \
  -o "$OUT/tiled.mlir"
echo "   scf.for loops: $(grep -c 'scf.for' "$OUT/tiled.mlir"), math.exp2: $(grep -c 'math.exp2' "$OUT/tiled.mlir")"

echo "== 3. compile for the CPU (attn-lower-to-cpu -> LLVM dialect)"
start=$(date +%s%N)
"$BIN/attn-opt" --attn-lower-to-cpu "$OUT/canonical.mlir" -o "$OUT/cpu.llvm.mlir"
end=$(date +%s%N)
echo "   compiled in $(( (end - start) / 1000000 )) ms: $OUT/cpu.llvm.mlir"

echo "== 4. GPU kernels for the attention core (compile only, sm_90a)"
"$BIN/attn-compile" "$ROOT/examples/decoder_attention_core.mlir" --chip=sm_90a \
  --out-dir="$OUT/gpu"
ls "$OUT/gpu"

echo "== run on the CPU (attn-runner, seeded random inputs)"
"$BIN/attn-runner" "$EXAMPLE" --entry=decoder_attention --random-seed=7 \
  --out-dir="$OUT/run" --print-summary --repeat=3
echo "outputs: $OUT/run/out0.npy (inputs: $OUT/run/in*.npy)"
