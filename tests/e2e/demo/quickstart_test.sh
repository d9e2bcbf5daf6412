#!/usr/bin/env bash
# Runs the README's demo and checks what it prints.
#   quickstart_test.sh SOURCE_DIR BUILD_DIR
set -uo pipefail
root=$1 build=$2
[[ $(id -u) == 0 ]] || { echo "SKIPPED: needs root (network namespaces)"; exit 77; }
out=$(MAILROOM_BUILD_DIR=$build "$root/hack/demo/quickstart" 2>&1)
status=$?
echo "$out"
fail() { echo "FAIL: $*" >&2; exit 1; }
[[ $status == 0 ]] || fail "quickstart exited with $status"
grep -q "rejected over IPv6 from .* (no PTR); delivered over IPv4" <<<"$out" || fail "no IPv6 → IPv4 fallback shown"
grep -q "user@.*  delivered  via" <<<"$out" || fail "status does not say delivered"
grep -q "^Subject: Hello from Mailroom" <<<"$out" || fail "the stored message is not shown"
grep -q "dkim=pass dmarc=pass spf=pass" <<<"$out" || fail "verdicts are not all pass"
echo "ok: the demo delivered, fell back from IPv6 to IPv4, and the receiver's verdicts pass"
