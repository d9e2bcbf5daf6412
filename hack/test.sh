#!/usr/bin/env bash
# The one command that runs every test on a fresh Debian bookworm machine: installs the
# dependencies (apt-get), builds, and runs unit, conformance and end-to-end tests with CTest.
# End-to-end tests build network namespaces (hack/lab) and a real kube-apiserver (hack/kube),
# so they need root; as non-root they are reported as skipped by CTest, never as passed.
#   hack/test.sh               everything
#   hack/test.sh -L unit       only unit tests (any ctest arguments pass through)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/hack/install-deps.sh"
"$root/hack/build.sh"
build=${MAILROOM_BUILD_DIR:-$root/build}
cd "$build"
exec ctest --output-on-failure --timeout 900 "$@"
