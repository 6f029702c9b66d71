#!/usr/bin/env bash
# Developer helper: build cxkit._core into build/dev-<name> and stage an importable package at
# build/dev-<name>/stage (python/cxkit/* symlinked + the fresh module), without touching .venv.
# Use it to test work in progress side by side:
#   bash scripts/dev_stage.sh me && PYTHONPATH=build/dev-me/stage .venv/bin/python -m pytest tests/python -q
set -euo pipefail
name="${1:-dev}"
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build/dev-$name"
py="$root/.venv/bin/python"
export PATH="$root/.venv/bin:$PATH"
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCXKIT_BUILD_PYTHON=ON \
        -DCXKIT_BUILD_TESTS=OFF -DCXKIT_BUILD_EXAMPLES=OFF -DCXKIT_INSTALL=OFF \
        -DPython_EXECUTABLE="$py" >/dev/null
fi
cmake --build "$build" -j"${JOBS:-2}"
stage="$build/stage/cxkit"
rm -rf "$stage" && mkdir -p "$stage"
for f in "$root"/python/cxkit/*; do ln -s "$f" "$stage/"; done
cp "$build"/_core*.so "$stage/"
echo "staged: PYTHONPATH=$build/stage"
