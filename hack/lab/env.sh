#!/usr/bin/env bash
# Prints every lab name, address and path as `export VAR=value` lines, so tests and the demo read
# them instead of hard-coding:   eval "$(hack/lab/env.sh)"
# Sourcing it (`. hack/lab/env.sh`) exports the same variables and the lab_* helper functions of
# lib.sh into the current shell without changing its options.
if [[ ${BASH_SOURCE[0]} != "$0" ]]; then
  . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
  # shellcheck disable=SC2046
  export $(lab_vars)
  return 0
fi
set -euo pipefail
. "$(dirname "$0")/lib.sh"
for v in $(lab_vars); do
  printf 'export %s=%q\n' "$v" "${!v}"
done
