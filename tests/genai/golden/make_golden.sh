#!/usr/bin/env bash
# Makes the golden cases of the generated tiny Gemma model with Google's
# LiteRT.js (../shared/tools/litert-oracle): one case for the prefill
# signature and one for decode, with float32 weights (tiny_*) and with int4
# blockwise weights (tiny_int4_*), each run as a single-signature .tflite that
# `litestudio-cli make-model gemma OUT --only prefill|decode` writes with
# the same weights as the bundle. Inputs are chosen here (real token ids,
# consecutive positions, caches filled with deterministic values); LiteRT's
# outputs are stored next to them and gemma_golden_test.cpp compares ours.
#   tests/genai/golden/make_golden.sh [BUILD_DIR]   (needs node; the oracle's
#   npm package is installed under BUILD_DIR/litert-oracle by bench/compare_litert.sh)
set -euo pipefail
cd "$(dirname "$0")"
build=$(cd "../../../${1:-build/dev}" && pwd)
oracle="$build/litert-oracle"
[ -d "$oracle/node_modules/@litertjs/core" ] || { echo "error: run bench/compare_litert.sh once to install the oracle in $oracle" >&2; exit 2; }
cli="$build/app/litestudio-cli"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

for weights in float32 int4; do
prefix=tiny_; [ "$weights" = float32 ] || prefix="tiny_${weights}_"
for signature in prefill decode; do
  "$cli" make-model gemma "$scratch/$signature.tflite" --only "$signature" --weights "$weights" >/dev/null
  rm -rf "$scratch/in-$signature"
  mkdir -p "$scratch/in-$signature" "$prefix$signature"
  python3 - "$signature" "$scratch/in-$signature" <<'PY'
import struct, sys
signature, out = sys.argv[1], sys.argv[2]
T, C, layers = (32, 128, 2) if signature == "prefill" else (1, 128, 2)
first = 0 if signature == "prefill" else 40
tokens = [6 + (7 * i) % 500 for i in range(T)]
positions = [first + i for i in range(T)]
state = 12345
def value():
    global state
    state ^= (state << 13) & 0xFFFFFFFF; state ^= state >> 17; state ^= (state << 5) & 0xFFFFFFFF
    return (state >> 8) / 16777216.0 * 2 - 1
open(f"{out}/input_0.bin", "wb").write(struct.pack(f"<{T}i", *tokens))
open(f"{out}/input_1.bin", "wb").write(struct.pack(f"<{T}i", *positions))
for k in range(2 * layers):
    n = 1 * 1 * C * 16
    open(f"{out}/input_{k + 2}.bin", "wb").write(struct.pack(f"<{n}f", *[value() for _ in range(n)]))
PY
  inputs=()
  for f in "$scratch/in-$signature"/input_*.bin; do inputs+=(--input "$f"); done
  node "$oracle/oracle.mjs" "$scratch/$signature.tflite" "$prefix$signature" "${inputs[@]}"
done
done
