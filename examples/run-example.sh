#!/usr/bin/env bash
# Runs the bundled example through attn-opt: parse, verify, canonicalize, print.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${1:-$ROOT/build}
EXAMPLE=$ROOT/examples/decoder_attention.mlir
echo "== attn-opt -canonicalize $EXAMPLE"
"$BUILD_DIR/bin/attn-opt" -canonicalize "$EXAMPLE"
