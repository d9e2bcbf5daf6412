#!/usr/bin/env bash
# Configures and builds everything into ${MAILROOM_BUILD_DIR:-build} (Ninja, RelWithDebInfo).
# Arguments name targets to build (default: all).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${MAILROOM_BUILD_DIR:-$root/build}
jobs=${MAILROOM_JOBS:-$(nproc)}
launcher=()
if command -v ccache >/dev/null; then
  # Worktrees and fresh clones share one compiler cache outside the repository.
  export CCACHE_DIR=${MAILROOM_CCACHE_DIR:-/var/cache/mailroom/ccache} CCACHE_BASEDIR=$root
  export CCACHE_NOHASHDIR=true
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
if [[ ! -f $build/build.ninja ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=${MAILROOM_BUILD_TYPE:-RelWithDebInfo} \
    "${launcher[@]}"
fi
if (($#)); then
  cmake --build "$build" -j "$jobs" --target "$@"
else
  cmake --build "$build" -j "$jobs"
fi
