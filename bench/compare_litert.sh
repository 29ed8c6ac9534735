#!/usr/bin/env bash
# Side by side: LiteRT.js (Google's LiteRT + XNNPACK in WebAssembly, through
# ../shared/tools/litert-oracle) against litestudio-cli bench, on the same
# machine in the same run. Prints a Markdown table of single-thread ratios
# and our 1 -> 2 thread speed-up. LiteRT.js: median of 3 processes' `ms`.
#
#   bench/compare_litert.sh [BUILD_DIR] [MODEL ...]
#
# The oracle needs node and its npm package; the first run copies the
# oracle into BUILD_DIR/litert-oracle and runs `npm install` there (the npm
# registry must be reachable). Nothing of it enters the repository.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$here/build/release}"
shift || true
shared="${LITESTUDIO_SHARED_DIR:-$here/../shared}"
cli="$build/app/litestudio-cli"
[ -x "$cli" ] || { echo "error: $cli not built (run ./studio.sh or cmake --build $build)" >&2; exit 2; }
command -v node >/dev/null || { echo "error: node is needed for LiteRT.js" >&2; exit 2; }
oracle="$build/litert-oracle"
if [ ! -d "$oracle/node_modules/@litertjs/core" ]; then
  mkdir -p "$oracle"
  cp "$shared/tools/litert-oracle/oracle.mjs" "$shared/tools/litert-oracle/package.json" "$oracle/"
  (cd "$oracle" && npm install --silent >/dev/null)
fi
models=("$@")
if [ ${#models[@]} -eq 0 ]; then
  models=(mediapipe/face_detection_short_range.tflite mediapipe/face_landmark.tflite mediapipe/palm_detection_lite.tflite
          mediapipe/hand_landmark_lite.tflite mediapipe/iris_landmark.tflite mediapipe/pose_detection.tflite
          coral/mobilenet_v1_0.25_128_quant.tflite coral/mobilenet_v2_1.0_224_quant.tflite
          coral/movenet_single_pose_lightning_ptq.tflite coral/deeplabv3_mnv2_dm05_pascal_quant.tflite)
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; $(date -u +%Y-%m-%d)"
echo
echo "| model | LiteRT.js 1 thread (ms) | LiteStudio 1 thread (ms) | ratio | LiteStudio 2 threads (ms) | 1→2 speed-up |"
echo "|---|---:|---:|---:|---:|---:|"
for model in "${models[@]}"; do
  path="$shared/models/$model"
  [ -f "$path" ] || path="$model"
  name="$(basename "$path")"
  # LiteRT.js fails on some models (int64 outputs, ...): the row then says so.
  # Its `ms` is the mean of 10 runs of one process and moves by up to 2x
  # between processes, so the median of three processes is taken.
  samples=()
  for attempt in 1 2 3; do
    sample=$( (node "$oracle/oracle.mjs" "$path" "$work/$name" || true) | sed -n 's/.*"ms":"\([0-9.]*\)".*/\1/p')
    [ -n "$sample" ] && samples+=("$sample")
  done
  litert=""
  [ ${#samples[@]} -gt 0 ] && litert=$(printf '%s\n' "${samples[@]}" | sort -g | sed -n "$(( (${#samples[@]} + 1) / 2 ))p")
  "$cli" bench "$path" --threads 1 --runs 30 --warmup 3 --json "$work/$name.1.json" >/dev/null 2>&1
  "$cli" bench "$path" --threads 2 --runs 30 --warmup 3 --json "$work/$name.2.json" >/dev/null 2>&1
  python3 - "$name" "${litert:-}" "$work/$name.1.json" "$work/$name.2.json" <<'PY'
import json, sys
name, litert, one, two = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
a = json.load(open(one))["steady_state"]["avg_ms"]
b = json.load(open(two))["steady_state"]["avg_ms"]
ratio = f"{a / float(litert):.2f}×" if litert else "n/a"
print(f"| {name} | {litert or 'failed'} | {a:.2f} | {ratio} | {b:.2f} | {a / b:.2f}× |")
PY
done
