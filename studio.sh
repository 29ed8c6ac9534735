#!/usr/bin/env bash
# Installs what is missing, builds LiteStudio (Release) and starts it on the
# bundled sample model, or on the files given as arguments.
#   ./studio.sh [MODEL]
set -euo pipefail
cd "$(dirname "$0")"

packaging/install-build-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DLITESTUDIO_BUILD_TESTS=OFF >/dev/null
cmake --build build/release -j2 --target litestudio litestudio-cli

model=("${@:-resources/samples/sample_classifier.tflite}")
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ -z "${QT_QPA_PLATFORM:-}" ]; then
  echo "error: no display (DISPLAY and WAYLAND_DISPLAY are unset); built build/release/app/litestudio." >&2
  echo "       Headless check: QT_QPA_PLATFORM=offscreen build/release/app/litestudio ${model[*]} --screenshot shot.png" >&2
  exit 2
fi
exec build/release/app/litestudio "${model[@]}"
