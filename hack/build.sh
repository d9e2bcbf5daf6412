#!/usr/bin/env bash
# Configures and builds everything into ${MAILROOM_BUILD_DIR:-build} (Ninja, RelWithDebInfo).
# Extra arguments go to the build step (e.g. a target name).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${MAILROOM_BUILD_DIR:-$root/build}
jobs=${MAILROOM_JOBS:-$(nproc)}
if [[ ! -f $build/build.ninja ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=${MAILROOM_BUILD_TYPE:-RelWithDebInfo}
fi
cmake --build "$build" -j "$jobs" "$@"
