#!/usr/bin/env bash
# End-to-end test of operator/dns's Webhook provider against a real external-dns (built from its
# Go module by hack/install-deps.sh, version pinned in hack/deps/go-e2e.mods) serving its PowerDNS
# provider as an external-dns webhook (--webhook-server), which writes into the lab's PowerDNS.
# external-dns's webhook server listens on 127.0.0.1:8888, a fixed address, so it runs inside the
# lab namespace mr-sender, where that loopback is the test's alone; the Publisher
# (dns_publish_tool --provider webhook) runs there too. Outcomes are checked with dig.
#
#   webhook_publish_test.sh DNS_PUBLISH_TOOL
#
# Exit 77 (CTest SKIP_RETURN_CODE) when it cannot run here: not root, lab tools or external-dns
# missing; MAILROOM_E2E_REQUIRED=1 (CI) turns that into a failure. Uses a running lab, or brings
# one up and takes it down again. Run under the lab lock:
# flock /tmp/mailroom-e2e.lock ctest -R e2e.dns.webhook
set -euo pipefail
tool=${1:?usage: webhook_publish_test.sh DNS_PUBLISH_TOOL}
repo=$(cd "$(dirname "$0")/../../.." && pwd)
lab=$repo/hack/lab
. "$lab/lib.sh"
extdns=${MAILROOM_GO_CACHE:-/var/cache/mailroom/go}/bin/external-dns

skip() {
  if [[ ${MAILROOM_E2E_REQUIRED:-0} == 1 ]]; then
    echo "FAIL: $* (MAILROOM_E2E_REQUIRED=1)" >&2
    exit 1
  fi
  echo "SKIP: $*" >&2
  exit 77
}
[[ $(id -u) == 0 ]] || skip "needs root for network namespaces"
for c in ip jq dig curl pdns_server postfix; do
  command -v "$c" >/dev/null 2>&1 || skip "missing $c: run hack/install-deps.sh"
done
[[ -x $extdns ]] || skip "no external-dns at $extdns: run hack/install-deps.sh (it builds it with go)"
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
zone=e2e-webhook.example.org
work=$(mktemp -d)
hook_pid=
cleanup() {
  if [[ -n $hook_pid ]]; then
    # external-dns's webhook server does not stop on SIGTERM: give it a moment, then SIGKILL.
    kill "$hook_pid" 2>/dev/null || true
    for ((i = 0; i < 20; i++)); do
      kill -0 "$hook_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$hook_pid" 2>/dev/null || true
    wait "$hook_pid" 2>/dev/null || true
  fi
  lab_pdns_api DELETE "/zones/$zone." >/dev/null 2>&1 || true
  rm -rf "$work"
  if ((started)); then "$lab/down.sh" || true; fi
}
trap cleanup EXIT

lab_pdns_api POST /zones \
  "{\"name\":\"$zone.\",\"kind\":\"Native\",\"nameservers\":[\"$MAILROOM_LAB_NS_HOST.\"]}" >/dev/null
foreign_spf='v=spf1 include:_spf.google.com ~all'
gsv='google-site-verification=e2e-webhook'
lab_rrset_replace "$zone" "$zone" TXT 3600 "\"$foreign_spf\"" "\"$gsv\"" >/dev/null
lab_rrset_replace "$zone" "_dmarc.$zone" TXT 3600 '"v=DMARC1; p=none"' >/dev/null

# external-dns as a webhook server for its PowerDNS provider; --source=fake: the webhook server
# never runs sources, but external-dns builds one first and fake needs no Kubernetes.
# `ip netns exec` (not the lab_in function, which a background job would run in a subshell)
# execs external-dns, so $! is its pid and the cleanup stops it.
ip netns exec "$MAILROOM_LAB_NS_SENDER" "$extdns" --webhook-server --provider=pdns \
  --pdns-server="http://$MAILROOM_LAB_DNS_IP4:$MAILROOM_LAB_PDNS_API_PORT" \
  --pdns-api-key="$MAILROOM_LAB_PDNS_API_KEY" --domain-filter="$zone" --source=fake \
  --metrics-address=127.0.0.1:0 --log-level=debug >"$work/external-dns.log" 2>&1 &
hook_pid=$!
hook_ready() { lab_in "$MAILROOM_LAB_NS_SENDER" curl -sf -o /dev/null http://127.0.0.1:8888/; }
for ((i = 0; i < 200; i++)); do
  hook_ready && break
  kill -0 "$hook_pid" 2>/dev/null || break
  sleep 0.1
done
hook_ready || {
  echo "FAIL: external-dns did not serve the webhook: $(tail -c 1500 "$work/external-dns.log")" >&2
  exit 1
}
media=$(lab_in "$MAILROOM_LAB_NS_SENDER" curl -s -o /dev/null -w '%{content_type}' http://127.0.0.1:8888/)
expect "external-dns answers with the protocol's media type" \
  "application/external.dns.webhook+json;version=1" "$media"

publish() {
  lab_in "$MAILROOM_LAB_NS_SENDER" "$tool" --provider webhook --api http://127.0.0.1:8888 \
    --zone "${ZONE:-$zone}" --owner lab/mail/e2e-webhook --ttl 60 "$@" >"$work/out.json"
}
out() { jq -r "$1" "$work/out.json" 2>/dev/null || echo "no JSON: $(head -c 300 "$work/out.json")"; }
txt() {
  lab_in "$MAILROOM_LAB_NS_SENDER" dig +short +norecurse @"$MAILROOM_LAB_DNS_IP4" TXT "$1" |
    sed -e 's/" "//g' -e 's/^"//' -e 's/"$//' | sort
}

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/dkim.pem" 2>/dev/null
pub=$(openssl pkey -in "$work/dkim.pem" -pubout 2>/dev/null | grep -v -- '-----' | tr -d '\n')
dkim="v=DKIM1; k=rsa; p=$pub"
records() {
  args=(--record "$zone=v=spf1 ip4:$1 -all" --record "lab._domainkey.$zone=$dkim"
    --record "_dmarc.$zone=v=DMARC1; p=reject")
}
records "$MAILROOM_LAB_SENDER_IP4"

publish "${args[@]}"
expect "first: sync succeeds" true "$(out .ok)"
expect "first: GET / and /records, POST /adjustendpoints and /records" "2 2" \
  "$(out '"\(.requests.GET // 0) \(.requests.POST // 0)"')"
expect "first: foreign DMARC is a conflict" "_dmarc.$zone ForeignValue" \
  "$(out '.conflicts[] | "\(.name) \(.reason)"')"
expect "first: merged SPF" "v=spf1 include:_spf.google.com ip4:$MAILROOM_LAB_SENDER_IP4 ~all" \
  "$(txt "$zone" | grep '^v=spf1')"
expect "first: verification token untouched" "$gsv" "$(txt "$zone" | grep site-verification)"
expect "first: DKIM key published whole" "$dkim" "$(txt "lab._domainkey.$zone")"
raw=$(lab_in "$MAILROOM_LAB_NS_SENDER" dig +short @"$MAILROOM_LAB_DNS_IP4" TXT "lab._domainkey.$zone")
expect "first: DKIM key in two character-strings" 2 "$(grep -o '"[^"]*"' <<<"$raw" | wc -l)"
expect "first: foreign DMARC left alone" "v=DMARC1; p=none" "$(txt "_dmarc.$zone")"
expect "first: ownership names the owner" 1 \
  "$(txt "_mailroom-owner.$zone" | grep -c '^heritage=mailroom,cluster=lab,namespace=mail,maildomain=e2e-webhook,' || true)"

publish "${args[@]}"
expect "second: no POST" 0 "$(out '.requests.POST // 0')"

records "$MAILROOM_LAB_SENDER2_IP4"
publish "${args[@]}"
expect "update: SPF has the new address" "v=spf1 include:_spf.google.com ip4:$MAILROOM_LAB_SENDER2_IP4 ~all" \
  "$(txt "$zone" | grep '^v=spf1')"
expect "update: verification token untouched" "$gsv" "$(txt "$zone" | grep site-verification)"

ZONE=nosuch.example.org publish
expect "zone outside the plugin's domain filter: condition" "False ZoneNotFound" \
  "$(out '"\(.condition.status) \(.condition.reason)"')"

publish
expect "delete: sync succeeds" true "$(out .ok)"
expect "delete: apex is the foreign records again" "$(printf '%s\n' "$gsv" "$foreign_spf" | sort)" "$(txt "$zone")"
expect "delete: DKIM gone" "" "$(txt "lab._domainkey.$zone")"
expect "delete: ownership gone" "" "$(txt "_mailroom-owner.$zone")"
expect "delete: foreign DMARC still there" "v=DMARC1; p=none" "$(txt "_dmarc.$zone")"

if ((failures)); then
  echo "$failures check(s) failed; external-dns log:" >&2
  tail -c 3000 "$work/external-dns.log" >&2
  exit 1
fi
echo "all checks passed"
