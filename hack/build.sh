#!/usr/bin/env bash
# Configures and builds everything into ${MAILROOM_BUILD_DIR:-build} (Ninja, RelWithDebInfo).
# Arguments name targets to build (default: all).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${MAILROOM_BUILD_DIR:-$root/build}
jobs=${MAILROOM_JOBS:-$(nproc)}
if [[ ! -f $build/build.ninja ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=${MAILROOM_BUILD_TYPE:-RelWithDebInfo}
fi
if (($#)); then
  cmake --build "$build" -j "$jobs" --target "$@"
else
  cmake --build "$build" -j "$jobs"
fi
