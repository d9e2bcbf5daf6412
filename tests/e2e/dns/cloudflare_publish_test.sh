#!/usr/bin/env bash
# The Cloudflare provider (dns_publish_tool --provider cloudflare) against the stand-in
# tests/mocks/cloudflare_standin.py, which enforces Cloudflare API v4's documented contract
# (bearer token, envelope, pagination, quoted TXT content, error codes) on loopback. Records are
# seeded and read back through the stand-in's API with curl, independently of Mailroom.
#
#   cloudflare_publish_test.sh DNS_PUBLISH_TOOL
#
# Exit 77 (CTest SKIP_RETURN_CODE) without python3, curl or jq; MAILROOM_E2E_REQUIRED=1 turns that
# into a failure. No lab, no root.
set -euo pipefail
tool=${1:?usage: cloudflare_publish_test.sh DNS_PUBLISH_TOOL}
here=$(cd "$(dirname "$0")" && pwd)
standin=$here/../../mocks/cloudflare_standin.py

skip() {
  if [[ ${MAILROOM_E2E_REQUIRED:-0} == 1 ]]; then
    echo "FAIL: $* (MAILROOM_E2E_REQUIRED=1)" >&2
    exit 1
  fi
  echo "SKIP: $*" >&2
  exit 77
}
for c in python3 curl jq; do
  command -v "$c" >/dev/null 2>&1 || skip "missing $c: run hack/install-deps.sh"
done
[[ -x $tool ]] || {
  echo "FAIL: $tool is not an executable (build the dns_publish_tool target)" >&2
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

zone=e2e-cloudflare.example.org
token=cf-e2e-token-$RANDOM$RANDOM
work=$(mktemp -d)
pid=
# start_standin ARGS... : (re)starts the stand-in; sets $pid and $endpoint.
start_standin() {
  if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  python3 "$standin" --token "$token" --zone "$zone" "$@" >"$work/standin.log" 2>&1 &
  pid=$!
  local port="" i
  for ((i = 0; i < 100; i++)); do
    port=$(sed -n 's/^listening on //p' "$work/standin.log")
    [[ -n $port ]] && break
    sleep 0.05
  done
  [[ -n $port ]] || { echo "FAIL: stand-in did not start: $(cat "$work/standin.log")" >&2; exit 1; }
  endpoint=http://127.0.0.1:$port
  zid=$(api GET "/zones?name=$zone" | jq -r '.result[0].id')
}
cleanup() {
  if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
api() { # METHOD PATH [JSON]
  curl -sS -X "$1" -H "Authorization: Bearer $token" ${3:+-H 'Content-Type: application/json' --data-binary "$3"} "$endpoint/client/v4$2"
}
seed() { # NAME CONTENT (presentation form)
  api POST "/zones/$zid/dns_records" "$(jq -cn --arg n "$1" --arg c "$2" '{type:"TXT",name:$n,content:$c,ttl:3600}')" | jq -e .success >/dev/null
}
# txt NAME : logical values, sorted (every page)
txt() {
  local page=1 total=1
  while ((page <= total)); do
    api GET "/zones/$zid/dns_records?type=TXT&page=$page&per_page=100" >"$work/page.json"
    total=$(jq .result_info.total_pages "$work/page.json")
    jq -r --arg n "$1" '.result[] | select(.name == $n) | .content' "$work/page.json"
    page=$((page + 1))
  done | python3 -c '
import sys, re
for line in sys.stdin:
    parts = re.findall(r"\"((?:[^\"\\\\]|\\\\.)*)\"", line)
    print("".join(re.sub(r"\\\\(.)", r"\1", p) for p in parts))' | sort
}
printf '%s' "$token" >"$work/token"
publish() {
  "$tool" --provider cloudflare --api "$endpoint" --key-file "${KEY_FILE:-$work/token}" \
    --zone "${ZONE:-$zone}" --owner lab/mail/e2e-cf --ttl 300 "$@" >"$work/out.json"
}
out() { jq -r "$1" "$work/out.json" 2>/dev/null || echo "no JSON: $(head -c 300 "$work/out.json")"; }

start_standin --max-per-page 5 # Cloudflare may return fewer than asked: pages must be followed
foreign_spf='v=spf1 include:_spf.google.com ~all'
gsv='google-site-verification=e2e-cf'
seed "$zone" "\"$foreign_spf\""
seed "$zone" "\"$gsv\""
seed "_dmarc.$zone" '"v=DMARC1; p=none"'
for i in $(seq 1 12); do seed "n$i.$zone" '"filler"'; done
dkim="v=DKIM1; k=rsa; p=$(head -c 300 /dev/urandom | base64 -w0)"
records() {
  args=(--record "$zone=v=spf1 ip4:$1 -all" --record "lab._domainkey.$zone=$dkim"
    --record "_dmarc.$zone=v=DMARC1; p=reject")
}
records 198.51.100.10

publish "${args[@]}"
expect "first: sync succeeds" true "$(out .ok)"
expect "first: followed every page" true "$(out '(.requests.GET // 0) >= 4')"
expect "first: PATCH of the SPF record, POSTs for new values, no DELETE" "1 0" \
  "$(out '"\(.requests.PATCH // 0) \(.requests.DELETE // 0)"')"
expect "first: merged SPF" "v=spf1 include:_spf.google.com ip4:198.51.100.10 ~all" "$(txt "$zone" | grep '^v=spf1')"
expect "first: verification token untouched" "$gsv" "$(txt "$zone" | grep site-verification)"
expect "first: DKIM key published whole" "$dkim" "$(txt "lab._domainkey.$zone")"
expect "first: foreign DMARC left alone" "v=DMARC1; p=none" "$(txt "_dmarc.$zone")"
expect "first: ownership names the owner" 1 "$(txt "_mailroom-owner.$zone" | grep -c '^heritage=mailroom,cluster=lab,namespace=mail,maildomain=e2e-cf,' || true)"

publish "${args[@]}"
expect "second: no writes" "0 0 0" "$(out '"\(.requests.POST // 0) \(.requests.PATCH // 0) \(.requests.DELETE // 0)"')"

records 198.51.100.11
publish "${args[@]}"
expect "update: SPF has the new address" "v=spf1 include:_spf.google.com ip4:198.51.100.11 ~all" "$(txt "$zone" | grep '^v=spf1')"

echo wrong-token >"$work/wrong"
KEY_FILE=$work/wrong publish "${args[@]}"
expect "wrong token: condition" "False ProviderUnauthorized" "$(out '"\(.condition.status) \(.condition.reason)"')"
expect "no token in any output" 0 "$(grep -c -e "$token" -e wrong-token "$work/out.json" || true)"
ZONE=nosuch.example.org publish
expect "missing zone: condition" "False ZoneNotFound" "$(out '"\(.condition.status) \(.condition.reason)"')"

publish
expect "delete: sync succeeds" true "$(out .ok)"
expect "delete: apex is the foreign records again" "$(printf '%s\n' "$foreign_spf" "$gsv" | sort)" "$(txt "$zone")"
expect "delete: DKIM gone" "" "$(txt "lab._domainkey.$zone")"
expect "delete: ownership gone" "" "$(txt "_mailroom-owner.$zone")"
expect "delete: fillers untouched" filler "$(txt "n12.$zone")"

start_standin --rate-limit 1 # our own zone lookup passes; the provider is throttled
publish "${args[@]}"
expect "rate limited: condition" "False ProviderRateLimited" "$(out '"\(.condition.status) \(.condition.reason)"')"

if ((failures)); then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all checks passed"
