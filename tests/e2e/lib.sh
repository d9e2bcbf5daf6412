# Shared helpers of the end-to-end test scripts (source it): results counted in $failures,
# skips that CI can turn into failures, and polling against peers that have nothing to wait on.
#   skip REASON            exit 77 (CTest SKIP_RETURN_CODE); MAILROOM_E2E_REQUIRED=1 fails instead
#   pass / fail TEXT       one result line; fail counts
#   expect TEXT WANT GOT   pass when equal, else fail showing both
#   wait_for SECS TEXT CMD...  re-runs CMD until it succeeds (pass) or SECS pass (fail)
failures=0
skip() {
  if [[ ${MAILROOM_E2E_REQUIRED:-0} == 1 ]]; then
    echo "FAIL: $* (MAILROOM_E2E_REQUIRED=1)" >&2
    exit 1
  fi
  echo "SKIP: $*" >&2
  exit 77
}
pass() { echo "ok: $*"; }
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
expect() {
  if [[ $3 == "$2" ]]; then pass "$1"; else fail "$1: want '$2', got '$3'"; fi
}
wait_for() {
  local secs=$1 desc=$2
  shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      fail "$desc (not within ${secs}s)"
      return 1
    fi
    sleep 0.5
  done
  pass "$desc"
}
