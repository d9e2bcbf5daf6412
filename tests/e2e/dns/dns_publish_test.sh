#!/usr/bin/env bash
# End-to-end test of operator/dns against the lab's real PowerDNS (hack/lab, docs/lab.md): the
# Publisher runs inside mr-sender over the real HTTP API (dns_publish_tool), and every outcome is
# checked with dig against the server. The test works in a zone of its own, e2e-dns.example.org,
# created here and deleted on exit, so the lab's zones stay as they are.
#
#   dns_publish_test.sh DNS_PUBLISH_TOOL
#
# Exit 77 (CTest SKIP_RETURN_CODE) when the lab cannot run here: not root or tools missing;
# MAILROOM_E2E_REQUIRED=1 (CI) turns that into a failure. Uses a running lab, or brings one up
# and takes it down again. Run under the lab lock: flock /tmp/mailroom-e2e.lock ctest -R e2e.dns
set -euo pipefail
tool=${1:?usage: dns_publish_test.sh DNS_PUBLISH_TOOL}
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
for c in ip jq dig curl openssl pdns_server postfix; do
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
  . "$lab/lib.sh" # again: a fresh lab has a new API key
fi

zone=e2e-dns.example.org
owner=lab/mail/e2e-dns
work=$(mktemp -d)
cleanup() {
  lab_pdns_api DELETE "/zones/$zone." >/dev/null 2>&1 || true
  rm -rf "$work"
  if ((started)); then "$lab/down.sh" || true; fi
}
trap cleanup EXIT

# publish ARGS... : one Publisher::sync in mr-sender; its JSON outcome goes to $work/out.json.
publish() {
  local key=${KEY_FILE:-$MAILROOM_LAB_PDNS_API_KEY_FILE}
  lab_in "$MAILROOM_LAB_NS_SENDER" "$tool" --api "http://$MAILROOM_LAB_DNS_IP4:$MAILROOM_LAB_PDNS_API_PORT" \
    --key-file "$key" --zone "${ZONE:-$zone}" --owner "$owner" --ttl 60 "$@" >"$work/out.json"
}
out() { jq -r "$1" "$work/out.json" 2>/dev/null || echo "no JSON: $(head -c 300 "$work/out.json")"; }
# txt NAME : the TXT values at NAME as dig sees them, one logical value per line, sorted.
txt() {
  lab_in "$MAILROOM_LAB_NS_SENDER" dig +short +norecurse @"$MAILROOM_LAB_DNS_IP4" TXT "$1" |
    sed -e 's/" "//g' -e 's/^"//' -e 's/"$//' | sort
}
spf_at() { txt "$1" | grep -c '^v=spf1' || true; }

lab_pdns_api POST /zones \
  "{\"name\":\"$zone.\",\"kind\":\"Native\",\"nameservers\":[\"$MAILROOM_LAB_NS_HOST.\"]}" >/dev/null
foreign_spf='v=spf1 include:_spf.google.com ~all'
gsv='google-site-verification=e2e-4f1c0e9d'
# The foreign apex RRset carries a comment: whole-RRset REPLACEs must keep it.
lab_pdns_api PATCH "/zones/$zone." "$(jq -cn --arg spf "\"$foreign_spf\"" --arg gsv "\"$gsv\"" --arg z "$zone." \
  '{rrsets: [{name: $z, type: "TXT", ttl: 3600, changetype: "REPLACE",
              records: [{content: $spf, disabled: false}, {content: $gsv, disabled: false}],
              comments: [{content: "owned by marketing", account: "e2e"}]}]}')" >/dev/null
# apex_comments : the comments of the apex TXT RRset, as PowerDNS holds them.
apex_comments() {
  lab_pdns_api GET "/zones/$zone." | jq -r --arg z "$zone." \
    '.rrsets[] | select(.name == $z and .type == "TXT") | .comments[].content'
}
lab_rrset_replace "$zone" "_dmarc.$zone" TXT 3600 '"v=DMARC1; p=none"' >/dev/null

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/dkim.pem" 2>/dev/null
pub=$(openssl pkey -in "$work/dkim.pem" -pubout 2>/dev/null | grep -v -- '-----' | tr -d '\n')
dkim="v=DKIM1; k=rsa; p=$pub" # about 410 octets: two character-strings
# records IP4 : the wanted records, as --record arguments in the array args.
records() {
  args=(--record "$zone=v=spf1 ip4:$1 ip6:$MAILROOM_LAB_SENDER_IP6 -all"
    --record "lab._domainkey.$zone=$dkim"
    --record "_dmarc.$zone=v=DMARC1; p=reject")
}
records "$MAILROOM_LAB_SENDER_IP4"

# --- first round: merge into the foreign SPF record, publish DKIM, report the DMARC conflict ---
publish "${args[@]}"
expect "first: sync succeeds" true "$(out .ok)"
expect "first: one PATCH" 1 "$(out '.requests.PATCH // 0')"
expect "first: foreign DMARC is a conflict" "_dmarc.$zone ForeignValue" \
  "$(out '.conflicts[] | "\(.name) \(.reason)"')"
expect "first: condition" "False Conflict" "$(out '"\(.condition.status) \(.condition.reason)"')"
expect "first: one SPF record at the apex" 1 "$(spf_at "$zone")"
expect "first: merged SPF keeps the foreign terms and policy" \
  "v=spf1 include:_spf.google.com ip4:$MAILROOM_LAB_SENDER_IP4 ip6:$MAILROOM_LAB_SENDER_IP6 ~all" \
  "$(txt "$zone" | grep '^v=spf1')"
expect "first: verification token untouched" "$gsv" "$(txt "$zone" | grep site-verification)"
expect "first: the apex RRset's comment kept" "owned by marketing" "$(apex_comments)"
expect "first: DKIM key published whole" "$dkim" "$(txt "lab._domainkey.$zone")"
raw=$(lab_in "$MAILROOM_LAB_NS_SENDER" dig +short @"$MAILROOM_LAB_DNS_IP4" TXT "lab._domainkey.$zone")
expect "first: DKIM key in two character-strings" 2 "$(grep -o '"[^"]*"' <<<"$raw" | wc -l)"
expect "first: foreign DMARC left alone" "v=DMARC1; p=none" "$(txt "_dmarc.$zone")"
expect "first: ownership at the apex names the owner" 1 \
  "$(txt "_mailroom-owner.$zone" | grep -c '^heritage=mailroom,cluster=lab,namespace=mail,maildomain=e2e-dns,type=TXT,spf-terms=' || true)"
expect "first: no ownership claimed for the conflicting DMARC" "" "$(txt "_mailroom-owner._dmarc.$zone")"

# --- second round: nothing to do, zero PATCH requests -----------------------------------------
publish "${args[@]}"
expect "second: no PATCH" 0 "$(out '.requests.PATCH // 0')"
expect "second: one GET" 1 "$(out '.requests.GET // 0')"
expect "second: no changes" "0 false" "$(out '"\(.changes) \(.applied)"')"

# --- update: another sending address; only our terms change -------------------------------------
records "$MAILROOM_LAB_SENDER2_IP4"
publish "${args[@]}"
expect "update: sync succeeds" true "$(out .ok)"
expect "update: SPF has the new address in place of the old" \
  "v=spf1 include:_spf.google.com ip4:$MAILROOM_LAB_SENDER2_IP4 ip6:$MAILROOM_LAB_SENDER_IP6 ~all" \
  "$(txt "$zone" | grep '^v=spf1')"
expect "update: verification token untouched" "$gsv" "$(txt "$zone" | grep site-verification)"

# --- provider errors are conditions, not crashes ------------------------------------------------
echo wrong-key-e2e >"$work/wrong-key"
KEY_FILE=$work/wrong-key publish "${args[@]}"
expect "wrong key: condition" "False ProviderUnauthorized" \
  "$(out '"\(.condition.status) \(.condition.reason)"')"
expect "wrong key: message does not carry the key" 0 "$(grep -c wrong-key-e2e "$work/out.json" || true)"
ZONE=nosuch.example.org publish
expect "missing zone: condition" "False ZoneNotFound" "$(out '"\(.condition.status) \(.condition.reason)"')"

# --- deletion: the foreign records are as they were ---------------------------------------------
publish
expect "delete: sync succeeds" true "$(out .ok)"
expect "delete: apex is the foreign records again" "$(printf '%s\n' "$gsv" "$foreign_spf" | sort)" \
  "$(txt "$zone")"
expect "delete: the apex RRset's comment kept" "owned by marketing" "$(apex_comments)"
expect "delete: DKIM gone" "" "$(txt "lab._domainkey.$zone")"
expect "delete: ownership records gone" "" "$(txt "_mailroom-owner.$zone")$(txt "_mailroom-owner.lab._domainkey.$zone")"
expect "delete: foreign DMARC still there" "v=DMARC1; p=none" "$(txt "_dmarc.$zone")"
publish
expect "delete again: no PATCH" 0 "$(out '.requests.PATCH // 0')"

if ((failures)); then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all checks passed"
