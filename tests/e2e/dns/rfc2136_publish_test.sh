#!/usr/bin/env bash
# End-to-end test of operator/dns's RFC2136 provider against a real BIND9 named
# (hack/lab/bind9.sh): the Publisher runs inside mr-sender (dns_publish_tool --provider rfc2136),
# reads the zone by TSIG-signed AXFR and writes TSIG-signed UPDATEs with prerequisites; every
# outcome is checked with dig. A concurrent writer (nsupdate, run between the read and the
# write) must make the update fail, not be clobbered. Foreign records are written with nsupdate.
#
#   rfc2136_publish_test.sh DNS_PUBLISH_TOOL
#
# Exit 77 (CTest SKIP_RETURN_CODE) when it cannot run here: not root or tools missing;
# MAILROOM_E2E_REQUIRED=1 (CI) turns that into a failure. Uses a running lab, or brings one up
# and takes it down again; named is started and stopped here. Run under the lab lock:
# flock /tmp/mailroom-e2e.lock ctest -R e2e.dns.rfc2136
set -euo pipefail
tool=${1:?usage: rfc2136_publish_test.sh DNS_PUBLISH_TOOL}
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
for c in ip jq dig nsupdate named named-checkconf openssl pdns_server postfix; do
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

started=0
if ! lab_is_up; then
  "$lab/up.sh"
  started=1
fi
work=$(mktemp -d)
cleanup() {
  "$lab/bind9.sh" down || true
  rm -rf "$work"
  if ((started)); then "$lab/down.sh" || true; fi
}
trap cleanup EXIT
"$lab/bind9.sh" up
. "$lab/lib.sh"

zone=$MAILROOM_LAB_BIND9_ZONE
server=$MAILROOM_LAB_BIND9_IP4:53
owner=lab/mail/e2e-rfc2136
secret=$(cat "$MAILROOM_LAB_BIND9_KEY_FILE")

# publish ARGS... : one Publisher::sync in mr-sender; its JSON outcome goes to $work/out.json.
publish() {
  lab_in "$MAILROOM_LAB_NS_SENDER" "$tool" --provider rfc2136 --server "${SERVER:-$server}" \
    --tsig-key-name "${KEY_NAME:-$MAILROOM_LAB_BIND9_KEY_NAME}" \
    --key-file "${KEY_FILE:-$MAILROOM_LAB_BIND9_KEY_FILE}" --zone "${ZONE:-$zone}" \
    --owner "$owner" --ttl 60 "$@" >"$work/out.json"
}
out() { jq -r "$1" "$work/out.json" 2>/dev/null || echo "no JSON: $(head -c 300 "$work/out.json")"; }
txt() {
  lab_in "$MAILROOM_LAB_NS_SENDER" dig +short +norecurse @"$MAILROOM_LAB_BIND9_IP4" TXT "$1" |
    sed -e 's/" "//g' -e 's/^"//' -e 's/"$//' | sort
}
# nsu LINES... : a signed nsupdate from mr-sender (the domain's other writers).
nsu() {
  printf 'server %s\nzone %s\n' "$MAILROOM_LAB_BIND9_IP4" "$zone" >"$work/nsu.txt"
  printf '%s\n' "$@" send >>"$work/nsu.txt"
  lab_in "$MAILROOM_LAB_NS_SENDER" nsupdate -y "hmac-sha256:$MAILROOM_LAB_BIND9_KEY_NAME:$secret" "$work/nsu.txt"
}

foreign_spf='v=spf1 include:_spf.google.com ~all'
gsv='google-site-verification=e2e-rfc2136'
# The foreign SPF record in two character-strings, as some tools write it: Mailroom must name
# the RDATA as the server holds it.
nsu "update add $zone 3600 TXT \"v=spf1 include:_spf.google.com\" \" ~all\"" \
  "update add $zone 3600 TXT \"$gsv\"" "update add _dmarc.$zone 3600 TXT \"v=DMARC1; p=none\""

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/dkim.pem" 2>/dev/null
pub=$(openssl pkey -in "$work/dkim.pem" -pubout 2>/dev/null | grep -v -- '-----' | tr -d '\n')
dkim="v=DKIM1; k=rsa; p=$pub"
records() {
  args=(--record "$zone=v=spf1 ip4:$1 ip6:$MAILROOM_LAB_SENDER_IP6 -all"
    --record "lab._domainkey.$zone=$dkim"
    --record "_dmarc.$zone=v=DMARC1; p=reject")
}
records "$MAILROOM_LAB_SENDER_IP4"

# --- first round --------------------------------------------------------------------------------
publish "${args[@]}"
expect "first: sync succeeds" true "$(out .ok)"
expect "first: one AXFR, one UPDATE" "1 1" "$(out '"\(.requests.AXFR // 0) \(.requests.UPDATE // 0)"')"
expect "first: foreign DMARC is a conflict" "_dmarc.$zone ForeignValue" \
  "$(out '.conflicts[] | "\(.name) \(.reason)"')"
expect "first: merged SPF keeps the foreign terms and policy" \
  "v=spf1 include:_spf.google.com ip4:$MAILROOM_LAB_SENDER_IP4 ip6:$MAILROOM_LAB_SENDER_IP6 ~all" \
  "$(txt "$zone" | grep '^v=spf1')"
expect "first: one SPF record at the apex" 1 "$(txt "$zone" | grep -c '^v=spf1')"
expect "first: verification token untouched" "$gsv" "$(txt "$zone" | grep site-verification)"
expect "first: DKIM key published whole" "$dkim" "$(txt "lab._domainkey.$zone")"
raw=$(lab_in "$MAILROOM_LAB_NS_SENDER" dig +short @"$MAILROOM_LAB_BIND9_IP4" TXT "lab._domainkey.$zone")
expect "first: DKIM key in two character-strings" 2 "$(grep -o '"[^"]*"' <<<"$raw" | wc -l)"
expect "first: the apex keeps its TTL" 3600 \
  "$(lab_in "$MAILROOM_LAB_NS_SENDER" dig +noall +answer @"$MAILROOM_LAB_BIND9_IP4" TXT "$zone" | awk '{print $2}' | sort -u)"
expect "first: foreign DMARC left alone" "v=DMARC1; p=none" "$(txt "_dmarc.$zone")"
expect "first: ownership at the apex names the owner" 1 \
  "$(txt "_mailroom-owner.$zone" | grep -c '^heritage=mailroom,cluster=lab,namespace=mail,maildomain=e2e-rfc2136,type=TXT,spf-terms=' || true)"

# --- second round: nothing to do, no UPDATE -----------------------------------------------------
publish "${args[@]}"
expect "second: no UPDATE" "1 0" "$(out '"\(.requests.AXFR // 0) \(.requests.UPDATE // 0)"')"
expect "second: no changes" "0 false" "$(out '"\(.changes) \(.applied)"')"

# --- a concurrent writer between read and write: the update fails, nothing is clobbered --------
records "$MAILROOM_LAB_SENDER2_IP4"
printf 'server %s\nzone %s\nupdate add %s 3600 TXT "race=1"\nsend\n' "$MAILROOM_LAB_BIND9_IP4" "$zone" "$zone" >"$work/race.txt"
publish "${args[@]}" --between "nsupdate -y hmac-sha256:$MAILROOM_LAB_BIND9_KEY_NAME:$secret $work/race.txt"
expect "race: condition" "False ProviderUnavailable" "$(out '"\(.condition.status) \(.condition.reason)"')"
expect "race: the message names the failed prerequisite" 1 "$(out .condition.message | grep -c NXRRSET || true)"
expect "race: the other writer's value is there" "race=1" "$(txt "$zone" | grep race)"
expect "race: our old SPF still there (nothing written)" 1 "$(txt "$zone" | grep -c "ip4:$MAILROOM_LAB_SENDER_IP4 " || true)"
publish "${args[@]}"
expect "after race: sync succeeds" true "$(out .ok)"
expect "after race: SPF has the new address" \
  "v=spf1 include:_spf.google.com ip4:$MAILROOM_LAB_SENDER2_IP4 ip6:$MAILROOM_LAB_SENDER_IP6 ~all" \
  "$(txt "$zone" | grep '^v=spf1')"
expect "after race: the other writer's value kept" "race=1" "$(txt "$zone" | grep race)"

# --- refusals are conditions ---------------------------------------------------------------------
openssl rand -base64 32 >"$work/wrong"
KEY_FILE=$work/wrong publish "${args[@]}"
expect "wrong secret: condition" "False ProviderUnauthorized" "$(out '"\(.condition.status) \(.condition.reason)"')"
expect "wrong secret: message does not carry a secret" 0 \
  "$(grep -cF -e "$(cat "$work/wrong")" -e "$secret" "$work/out.json" || true)"
KEY_NAME=$MAILROOM_LAB_BIND9_NORIGHTS_KEY_NAME KEY_FILE=$MAILROOM_LAB_BIND9_NORIGHTS_KEY_FILE publish "${args[@]}"
expect "key without rights: condition" "False ProviderUnauthorized" "$(out '"\(.condition.status) \(.condition.reason)"')"
ZONE=nosuch.example.org publish
expect "missing zone: condition" "False ZoneNotFound" "$(out '"\(.condition.status) \(.condition.reason)"')"
SERVER=$MAILROOM_LAB_BIND9_IP4:5399 publish
expect "closed port: condition" "False ProviderUnavailable" "$(out '"\(.condition.status) \(.condition.reason)"')"

# --- deletion: the foreign records are as they were ---------------------------------------------
publish
expect "delete: sync succeeds" true "$(out .ok)"
expect "delete: apex is the foreign records again" "$(printf '%s\n' "$gsv" "$foreign_spf" race=1 | sort)" \
  "$(txt "$zone")"
expect "delete: DKIM gone" "" "$(txt "lab._domainkey.$zone")"
expect "delete: ownership records gone" "" "$(txt "_mailroom-owner.$zone")$(txt "_mailroom-owner.lab._domainkey.$zone")"
expect "delete: foreign DMARC still there" "v=DMARC1; p=none" "$(txt "_dmarc.$zone")"
publish
expect "delete again: no UPDATE" 0 "$(out '.requests.UPDATE // 0')"

if ((failures)); then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all checks passed"
