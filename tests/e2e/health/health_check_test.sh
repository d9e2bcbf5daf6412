#!/usr/bin/env bash
# End-to-end test of `mailroomctl check` against the lab's real PowerDNS (hack/lab, docs/lab.md):
# the command runs inside the mr-sender namespace with --resolver 198.51.100.53 and every verdict
# is read back from its JSON report. Records crafted for a scenario live under our own names
# (health-e2e*.example.com) or, for the PTR of 198.51.100.11, are deleted again on exit.
#
#   health_check_test.sh MAILROOMCTL
#
# Exit 77 (CTest SKIP_RETURN_CODE) when the lab cannot run here: not root or tools missing;
# MAILROOM_E2E_REQUIRED=1 (CI) turns that into a failure. Uses a running lab, or brings one up
# and takes it down again.
set -euo pipefail
ctl=${1:?usage: health_check_test.sh MAILROOMCTL}
repo=$(cd "$(dirname "$0")/../../.." && pwd)
lab=$repo/hack/lab
. "$lab/lib.sh"

skip() {
  if [[ ${MAILROOM_E2E_REQUIRED:-0} == 1 ]]; then
    echo "FAIL: $* (MAILROOM_E2E_REQUIRED=1)" >&2
    exit 1
  fi
  echo "SKIP: $*" >&2
  exit 77
}
[[ $(id -u) == 0 ]] || skip "needs root for network namespaces"
for c in ip jq openssl pdns_server postfix opendkim opendmarc; do
  command -v "$c" >/dev/null 2>&1 || skip "missing $c: run hack/install-deps.sh"
done
[[ -x $ctl ]] || {
  echo "FAIL: $ctl is not an executable (build the mailroomctl target)" >&2
  exit 1
}

failures=0
pass() { echo "ok   - $*"; }
fail() {
  echo "FAIL - $*" >&2
  failures=$((failures + 1))
}
expect() { # DESCRIPTION WANTED ACTUAL
  if [[ $3 == "$2" ]]; then pass "$1"; else fail "$1: want '$2', got '$3'"; fi
}

started=0
if ! lab_is_up; then
  "$lab/up.sh"
  started=1
  . "$lab/lib.sh" # again: a fresh lab has a new API key and DKIM key
fi

zone=$MAILROOM_LAB_SENDER_DOMAIN
soft=health-e2e.$zone       # SPF ~all, no DMARC of its own (organizational-domain fallback)
perm=health-e2e-perm.$zone  # two SPF records: permerror
ptr11=$(lab_ptr4 "$MAILROOM_LAB_SENDER2_IP4")
work=$(mktemp -d)
cleanup() {
  lab_rrset_delete "$zone" "$soft" TXT >/dev/null 2>&1 || true
  lab_rrset_delete "$zone" "$perm" TXT >/dev/null 2>&1 || true
  lab_rrset_delete "$MAILROOM_LAB_ZONE_REV4" "$ptr11" PTR >/dev/null 2>&1 || true
  rm -rf "$work"
  if ((started)); then "$lab/down.sh" || true; fi
}
trap cleanup EXIT

# check ARGS... : runs mailroomctl check in mr-sender against the lab DNS; the JSON report goes
# to $work/out.json, the exit code to $rc.
rc=0
check() {
  rc=0
  lab_in "$MAILROOM_LAB_NS_SENDER" "$ctl" check "$@" --resolver "$MAILROOM_LAB_DNS_IP4" \
    --output json >"$work/out.json" 2>"$work/err.txt" || rc=$?
}
# field CHECK SUBJECT FIELD : status/code/reason of one row of the last report ("" if absent).
field() {
  jq -r --arg c "$1" --arg s "$2" --arg f "$3" \
    '[.checks[] | select(.check == $c and .subject == $s) | .[$f]] | if length == 1 then .[0] else "rows:\(length)" end' \
    "$work/out.json" 2>/dev/null || echo "no JSON: $(head -c 300 "$work/out.json") $(cat "$work/err.txt")"
}
verdict() { echo "$(field "$1" "$2" status)/$(field "$1" "$2" code)"; }
reason_has() { # DESCRIPTION CHECK SUBJECT TEXT
  local r
  r=$(field "$2" "$3" reason)
  if [[ $r == *"$4"* ]]; then pass "$1"; else fail "$1: reason lacks '$4': $r"; fi
}

ip4=$MAILROOM_LAB_SENDER_IP4 ip6=$MAILROOM_LAB_SENDER_IP6 ip4b=$MAILROOM_LAB_SENDER2_IP4
ehlo=$MAILROOM_LAB_SENDER_HOST sel=$MAILROOM_LAB_DKIM_SELECTOR

# --- the lab's sending setup as it is: everything a receiver checks passes for .10 -----------
check "$zone" --ip "$ip4" --ehlo "$ehlo" --selector "$sel" --dkim-key "$MAILROOM_LAB_DKIM_KEY"
expect "healthy .10: exit 0 (only report-only warnings)" 0 "$rc"
expect "healthy .10: SPF" pass/pass "$(verdict spf "$ip4")"
expect "healthy .10: PTR" pass/pass "$(verdict ptr "$ip4")"
expect "healthy .10: DKIM key lab equals the lab's signing key" pass/pass "$(verdict dkim "$sel")"
reason_has "healthy .10: DKIM compared with the key" dkim "$sel" "equal to the expected key"
expect "healthy .10: DMARC p=reject aligned" pass/found "$(verdict dmarc "$zone")"
expect "healthy .10: no MTA-STS is a warning only" warn/absent "$(verdict mta-sts "$zone")"
expect "healthy .10: JSON overall" "warn 0" "$(jq -r '"\(.status) \(.exitCode)"' "$work/out.json")"
# The public half alone works as well as the private key.
openssl pkey -in "$MAILROOM_LAB_DKIM_KEY" -pubout -out "$work/lab.pub" 2>/dev/null
check "$zone" --ip "$ip4" --ehlo "$ehlo" --selector "$sel" --dkim-key "$work/lab.pub"
expect "DKIM key lab equals its public PEM" pass/pass "$(verdict dkim "$sel")"

# --- DKIM: another key than the published one ----------------------------------------------------
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/other.pem" 2>/dev/null
check "$zone" --ip "$ip4" --ehlo "$ehlo" --selector "$sel" --dkim-key "$work/other.pem" \
  --selector nosuch
expect "DKIM with a different key: exit 1" 1 "$rc"
expect "DKIM key lab is not the given key" fail/mismatch "$(verdict dkim "$sel")"
expect "DKIM selector without a record" fail/missing "$(verdict dkim nosuch)"

# --- IPv6 without PTR (the lab's 2001:db8:5::10) --------------------------------------------------
check "$zone" --ip "$ip4" --ip "$ip6" --ehlo "$ehlo"
expect "IPv6 without PTR: exit 1" 1 "$rc"
expect "IPv6 without PTR: SPF still passes" pass/pass "$(verdict spf "$ip6")"
expect "IPv6 without PTR: PTR fails for IPv6" fail/noPtr "$(verdict ptr "$ip6")"
expect "IPv6 without PTR: IPv4 PTR unaffected" pass/pass "$(verdict ptr "$ip4")"
reason_has "IPv6 without PTR: names Gmail's 550" ptr "$ip6" "has no PTR record: Gmail will reject with 550 5.7.25"

# --- EHLO name other than the PTR ---------------------------------------------------------------
check "$zone" --ip "$ip4" --ehlo smtp.example.org
expect "EHLO mismatch: a warning, exit 0" 0 "$rc"
expect "EHLO mismatch: PTR verdict" warn/ehloMismatch "$(verdict ptr "$ip4")"
reason_has "EHLO mismatch: says what to set" ptr "$ip4" "set the EHLO hostname to $ehlo"

# --- SPF softfail, with DMARC found at the organizational domain ---------------------------------
lab_rrset_replace "$zone" "$soft" TXT 60 "\"v=spf1 ip4:$ip4 ~all\"" >/dev/null
check "$soft" --ip "$ip4b"
expect "softfail: exit 1" 1 "$rc"
expect "softfail: SPF verdict" fail/softfail "$(verdict spf "$ip4b")"
reason_has "softfail: names the term to add" spf "$ip4b" "add ip4:$ip4b"
expect "softfail: DMARC from example.com" fail/found "$(verdict dmarc "$soft")"
reason_has "softfail: DMARC found at the organizational domain" dmarc "$soft" \
  "from _dmarc.$zone (organizational domain of $soft"

# --- two SPF records: permerror -----------------------------------------------------------------
lab_rrset_replace "$zone" "$perm" TXT 60 "\"v=spf1 ip4:$ip4 -all\"" '"v=spf1 -all"' >/dev/null
check "$perm" --ip "$ip4"
expect "two SPF records: exit 1" 1 "$rc"
expect "two SPF records: permerror" fail/permerror "$(verdict spf "$ip4")"
reason_has "two SPF records: says why" spf "$ip4" "more than one SPF record"

# --- SPF fail, DNSBL listing and a PTR that does not resolve back, all for .11 --------------------
lab_rrset_replace "$MAILROOM_LAB_ZONE_REV4" "$ptr11" PTR 60 "nothere.$soft." >/dev/null
check "$zone" --ip "$ip4" --ip "$ip4b" --ehlo "$ehlo" --dnsbl "$MAILROOM_LAB_DNSBL_ZONE"
expect ".11: exit 1" 1 "$rc"
expect ".11: SPF fail via -all" fail/fail "$(verdict spf "$ip4b")"
reason_has ".11: SPF reason" spf "$ip4b" "SPF for $zone does not authorize $ip4b (fail via -all): "
expect ".11: PTR not forward-confirmed" fail/notForwardConfirmed "$(verdict ptr "$ip4b")"
expect ".11: listed on the lab DNSBL" fail/listed "$(verdict dnsbl "$ip4b $MAILROOM_LAB_DNSBL_ZONE")"
expect ".10: not listed on the lab DNSBL" pass/notListed "$(verdict dnsbl "$ip4 $MAILROOM_LAB_DNSBL_ZONE")"
lab_rrset_delete "$MAILROOM_LAB_ZONE_REV4" "$ptr11" PTR >/dev/null
check "$zone" --ip "$ip4b" --ehlo "$ehlo"
expect ".11 PTR removed again: no PTR" fail/noPtr "$(verdict ptr "$ip4b")"

# --- the table: no colour when stdout is not a terminal ------------------------------------------
table=$(lab_in "$MAILROOM_LAB_NS_SENDER" "$ctl" check "$zone" --ip "$ip6" --ehlo "$ehlo" \
  --resolver "$MAILROOM_LAB_DNS_IP4" 2>&1) && rc=0 || rc=$?
expect "table: exit 1" 1 "$rc"
if [[ $table != *$'\033'* && $table == *"FAIL     ptr"*"$ip6"* && $table == *"$zone: problems found"* ]]; then
  pass "table: plain text with the failing row and the verdict"
else
  fail "table output: $table"
fi
# On a terminal (a pty from script(1)) the status column is coloured; script -e keeps the exit code.
if command -v script >/dev/null 2>&1; then
  cmd=$(printf '%q ' "$ctl" check "$zone" --ip "$ip6" --ehlo "$ehlo" --resolver "$MAILROOM_LAB_DNS_IP4")
  tty_out=$(lab_in "$MAILROOM_LAB_NS_SENDER" script -qec "$cmd" /dev/null 2>&1) && rc=0 || rc=$?
  expect "table on a terminal: exit 1" 1 "$rc"
  if [[ $tty_out == *$'\033[1;31mFAIL\033[0m'* && $tty_out == *$'\033[32mPASS\033[0m'* ]]; then
    pass "table on a terminal: coloured statuses"
  else
    fail "table on a terminal has no colours: $(cat -v <<<"$tty_out" | head -5)"
  fi
fi

# --- a DNS server that does not answer: could not check, never fine --------------------------------
for dead in 198.51.100.99 "$MAILROOM_LAB_DNS_IP4:5353"; do
  rc=0
  lab_in "$MAILROOM_LAB_NS_SENDER" "$ctl" check "$zone" --ip "$ip4" --ip "$ip6" --ehlo "$ehlo" \
    --selector "$sel" --dnsbl "$MAILROOM_LAB_DNSBL_ZONE" --resolver "$dead" --timeout 1s \
    --output json >"$work/out.json" 2>"$work/err.txt" || rc=$?
  expect "resolver $dead: exit 2 (could not check)" 2 "$rc"
  expect "resolver $dead: overall unknown" unknown "$(jq -r .status "$work/out.json" 2>&1)"
  expect "resolver $dead: no check passes" 0 "$(jq '[.checks[] | select(.status == "pass")] | length' "$work/out.json" 2>&1)"
  expect "resolver $dead: SPF unknown" unknown/temperror "$(verdict spf "$ip4")"
done

# --- usage errors exit 2 -----------------------------------------------------------------------
rc=0
"$ctl" check "$zone" --ip not-an-ip >/dev/null 2>&1 || rc=$?
expect "bad --ip: exit 2" 2 "$rc"
rc=0
"$ctl" check "$zone" --selector s1 --dkim-key /nonexistent >/dev/null 2>&1 || rc=$?
expect "unreadable --dkim-key: exit 2" 2 "$rc"

if ((failures)); then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all mailroomctl check e2e checks passed"
