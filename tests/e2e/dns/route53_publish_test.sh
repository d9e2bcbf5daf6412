#!/usr/bin/env bash
# End-to-end test of operator/dns's Route53 provider against moto's standalone server (a mock of
# the AWS APIs; pinned in hack/deps/pypi-e2e.req, installed into a venv by hack/install-deps.sh)
# on loopback: the Publisher (dns_publish_tool --provider route53) lists the hosted zone page by
# page and writes ChangeResourceRecordSets batches, SigV4-signed; every outcome is read back
# with boto3 (route53_moto.py). moto checks neither SigV4 signatures nor that a DELETE matches
# the RRset (AWS does both): the signature is tested against AWS's test vectors and the
# concurrent-writer rule against a fake in tests/unit/operator/dns/providers/route53.
#
#   route53_publish_test.sh DNS_PUBLISH_TOOL
#
# Exit 77 (CTest SKIP_RETURN_CODE) without moto's venv; MAILROOM_E2E_REQUIRED=1 (CI) turns that
# into a failure. No lab and no root needed: moto listens on 127.0.0.1, on a port of its choosing.
set -euo pipefail
tool=${1:?usage: route53_publish_test.sh DNS_PUBLISH_TOOL}
here=$(cd "$(dirname "$0")" && pwd)
venv=${MAILROOM_VENV:-/var/cache/mailroom/venv}

skip() {
  if [[ ${MAILROOM_E2E_REQUIRED:-0} == 1 ]]; then
    echo "FAIL: $* (MAILROOM_E2E_REQUIRED=1)" >&2
    exit 1
  fi
  echo "SKIP: $*" >&2
  exit 77
}
[[ -x $venv/bin/moto_server ]] || skip "no moto_server in $venv: run hack/install-deps.sh"
command -v jq >/dev/null 2>&1 || skip "missing jq: run hack/install-deps.sh"
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

work=$(mktemp -d)
moto_pid=
cleanup() {
  if [[ -n $moto_pid ]]; then
    kill "$moto_pid" 2>/dev/null || true
    wait "$moto_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
"$venv/bin/moto_server" -H 127.0.0.1 -p 0 >"$work/moto.log" 2>&1 &
moto_pid=$!
port=
for ((i = 0; i < 300; i++)); do
  port=$(grep -o 'Running on http://127.0.0.1:[0-9]*' "$work/moto.log" | head -1 | sed 's/.*://' || true)
  [[ -n $port ]] && break
  kill -0 "$moto_pid" 2>/dev/null || break
  sleep 0.1
done
[[ -n $port ]] || {
  echo "FAIL: moto_server did not start: $(head -c 500 "$work/moto.log")" >&2
  exit 1
}
endpoint=http://127.0.0.1:$port
r53() { "$venv/bin/python" "$here/route53_moto.py" "$endpoint" "$@"; }

zone=e2e-route53.example.org
owner=lab/mail/e2e-route53
echo 'AKIDE2E:e2e-secret-never-shown' >"$work/key"
zid=$(r53 create-zone "$zone")
foreign_spf='v=spf1 include:_spf.google.com ~all'
gsv='google-site-verification=e2e-route53'
r53 put "$zid" "$zone" 3600 "$foreign_spf" "$gsv"
r53 put "$zid" "_dmarc.$zone" 3600 "v=DMARC1; p=none"
r53 fill "$zid" 320 # more than one page of ListResourceRecordSets (300)

publish() {
  "$tool" --provider route53 --api "$endpoint" --key-file "${KEY_FILE:-$work/key}" \
    --zone "${ZONE:-$zone}" --owner "$owner" --ttl 60 "$@" >"$work/out.json"
}
out() { jq -r "$1" "$work/out.json" 2>/dev/null || echo "no JSON: $(head -c 300 "$work/out.json")"; }
txt() { r53 txt "$zid" "$1"; }

dkim="v=DKIM1; k=rsa; p=$(head -c 300 /dev/urandom | base64 -w0)" # over 255 octets
records() {
  args=(--record "$zone=v=spf1 ip4:$1 -all"
    --record "lab._domainkey.$zone=$dkim"
    --record "_dmarc.$zone=v=DMARC1; p=reject")
}
records 198.51.100.10

publish "${args[@]}"
expect "first: sync succeeds" true "$(out .ok)"
expect "first: one POST (one batch)" 1 "$(out '.requests.POST // 0')"
expect "first: zone looked up and listed in several pages" true "$(out '(.requests.GET // 0) >= 3')"
expect "first: foreign DMARC is a conflict" "_dmarc.$zone ForeignValue" \
  "$(out '.conflicts[] | "\(.name) \(.reason)"')"
expect "first: merged SPF" "v=spf1 include:_spf.google.com ip4:198.51.100.10 ~all" \
  "$(txt "$zone" | grep '^v=spf1')"
expect "first: verification token untouched" "$gsv" "$(txt "$zone" | grep site-verification)"
expect "first: the apex keeps its TTL" 3600 "$(r53 ttl "$zid" "$zone")"
expect "first: DKIM key published whole" "$dkim" "$(txt "lab._domainkey.$zone")"
expect "first: DKIM key as two quoted strings" 2 "$(r53 raw "$zid" "lab._domainkey.$zone" | grep -o '"[^"]*"' | wc -l)"
expect "first: ownership names the owner" 1 \
  "$(txt "_mailroom-owner.$zone" | grep -c '^heritage=mailroom,cluster=lab,namespace=mail,maildomain=e2e-route53,' || true)"
expect "first: fillers untouched" filler "$(txt "n319.$zone")"

publish "${args[@]}"
expect "second: no POST" 0 "$(out '.requests.POST // 0')"
expect "second: no changes" "0 false" "$(out '"\(.changes) \(.applied)"')"

records 198.51.100.11
publish "${args[@]}"
expect "update: SPF has the new address" "v=spf1 include:_spf.google.com ip4:198.51.100.11 ~all" \
  "$(txt "$zone" | grep '^v=spf1')"

ZONE=nosuch.example.org publish
expect "missing zone: condition" "False ZoneNotFound" "$(out '"\(.condition.status) \(.condition.reason)"')"
expect "no secret in any output" 0 "$(grep -c e2e-secret-never-shown "$work/out.json" || true)"

publish
expect "delete: sync succeeds" true "$(out .ok)"
expect "delete: apex is the foreign records again" "$(printf '%s\n' "$foreign_spf" "$gsv" | sort)" "$(txt "$zone")"
expect "delete: DKIM gone" "" "$(txt "lab._domainkey.$zone")"
expect "delete: ownership gone" "" "$(txt "_mailroom-owner.$zone")"
expect "delete: foreign DMARC still there" "v=DMARC1; p=none" "$(txt "_dmarc.$zone")"

if ((failures)); then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all checks passed"
