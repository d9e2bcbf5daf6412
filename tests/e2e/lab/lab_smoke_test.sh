#!/usr/bin/env bash
# Smoke test of the test lab itself (hack/lab/): DNS answers from mr-sender, delivery over IPv4
# into the Maildir, a permanent 550 for the IPv6 sender without PTR, and nothing of the lab in the
# root namespace. Uses a running lab, or brings one up and takes it down again.
#
# Exit 77 (CTest SKIP_RETURN_CODE) when the lab cannot run here: not root or tools missing. Set
# MAILROOM_E2E_REQUIRED=1 (CI) to turn that into a failure.
set -euo pipefail
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
for c in ip dig swaks pdns_server postfix opendkim opendmarc dkimsign; do
  command -v "$c" >/dev/null 2>&1 || skip "missing $c: run hack/install-deps.sh"
done

failures=0
pass() { echo "ok   - $*"; }
fail() {
  echo "FAIL - $*" >&2
  failures=$((failures + 1))
}
# expect DESCRIPTION WANTED ACTUAL
expect() {
  if [[ $3 == "$2" ]]; then pass "$1"; else fail "$1: want '$2', got '$3'"; fi
}

started=0
if ! lab_is_up; then
  "$lab/up.sh"
  started=1
  . "$lab/lib.sh" # again: a fresh lab has a new API key and relay password
fi
cleanup() {
  if ((started)); then "$lab/down.sh" || true; fi
}
trap cleanup EXIT

in_sender() { lab_in "$MAILROOM_LAB_NS_SENDER" "$@"; }
q() { in_sender dig +short +time=2 +tries=2 @"$MAILROOM_LAB_DNS_IP4" "$@"; }
rcode() { in_sender dig +time=2 +tries=2 @"$MAILROOM_LAB_DNS_IP4" "$@" | sed -n 's/.*status: \([A-Z]*\).*/\1/p'; }

# --- DNS, as a client that uses 198.51.100.53 as its only resolver -----------------------------
expect "MX example.net" "10 $MAILROOM_LAB_MX_HOST." "$(q MX "$MAILROOM_LAB_RCPT_DOMAIN")"
expect "A mx.example.net" "$MAILROOM_LAB_MX_IP4" "$(q A "$MAILROOM_LAB_MX_HOST")"
expect "AAAA mx.example.net" "$MAILROOM_LAB_MX_IP6" "$(q AAAA "$MAILROOM_LAB_MX_HOST")"
expect "A mail.example.com" "$MAILROOM_LAB_SENDER_IP4" "$(q A "$MAILROOM_LAB_SENDER_HOST")"
expect "AAAA mail.example.com" "$MAILROOM_LAB_SENDER_IP6" "$(q AAAA "$MAILROOM_LAB_SENDER_HOST")"
expect "SPF example.com" "\"v=spf1 ip4:$MAILROOM_LAB_SENDER_IP4 ip6:$MAILROOM_LAB_SENDER_IP6 -all\"" \
  "$(q TXT "$MAILROOM_LAB_SENDER_DOMAIN")"
expect "PTR 198.51.100.10" "$MAILROOM_LAB_SENDER_HOST." "$(q -x "$MAILROOM_LAB_SENDER_IP4")"
expect "PTR 2001:db8:5::25" "$MAILROOM_LAB_MX_HOST." "$(q -x "$MAILROOM_LAB_MX_IP6")"
# Over IPv6 too, and through the namespace's resolv.conf (the /etc/netns bind mount).
expect "AAAA mx.example.net over IPv6" "$MAILROOM_LAB_MX_IP6" \
  "$(in_sender dig +short @"$MAILROOM_LAB_DNS_IP6" AAAA "$MAILROOM_LAB_MX_HOST")"
expect "resolv.conf in mr-sender" "$MAILROOM_LAB_MX_IP4" "$(in_sender dig +short A "$MAILROOM_LAB_MX_HOST")"
# The IPv6 sender has no PTR: an authoritative NXDOMAIN (not a SERVFAIL/REFUSED, which would
# make receivers answer 450 instead of 550).
expect "PTR 2001:db8:5::10 is NXDOMAIN" NXDOMAIN "$(rcode -x "$MAILROOM_LAB_SENDER_IP6")"
expect "PTR 2001:db8:5::11 is NXDOMAIN" NXDOMAIN "$(rcode -x "$MAILROOM_LAB_SENDER2_IP6")"
expect "PTR 198.51.100.11 is NXDOMAIN" NXDOMAIN "$(rcode -x "$MAILROOM_LAB_SENDER2_IP4")"
expect "null MX" "0 ." "$(q MX "$MAILROOM_LAB_NULLMX_DOMAIN")"
expect "nomx: MX query is NOERROR" NOERROR "$(rcode MX "$MAILROOM_LAB_NOMX_DOMAIN")"
expect "nomx: no MX records" "" "$(q MX "$MAILROOM_LAB_NOMX_DOMAIN")"
expect "nomx: A (implicit MX)" "$MAILROOM_LAB_MX_IP4" "$(q A "$MAILROOM_LAB_NOMX_DOMAIN")"
expect "v4only MX" "10 mx4.example.net." "$(q MX "$MAILROOM_LAB_V4ONLY_DOMAIN")"
expect "v4only MX host A" "$MAILROOM_LAB_MX_IP4" "$(q A mx4.example.net)"
expect "v4only MX host has no AAAA" "NOERROR:" "$(rcode AAAA mx4.example.net):$(q AAAA mx4.example.net)"
expect "DNSBL lists 198.51.100.11" 127.0.0.2 "$(q A "11.100.51.198.$MAILROOM_LAB_DNSBL_ZONE")"
expect "DNSBL does not list 198.51.100.10" "" "$(q A "10.100.51.198.$MAILROOM_LAB_DNSBL_ZONE")"

# --- a record change through the API is seen by the next query ---------------------------------
"$lab/dns-record.sh" replace "$MAILROOM_LAB_SENDER_DOMAIN" "smoke.$MAILROOM_LAB_SENDER_DOMAIN" TXT 60 '"smoke"' >/dev/null
expect "API-added TXT" '"smoke"' "$(q TXT "smoke.$MAILROOM_LAB_SENDER_DOMAIN")"
"$lab/dns-record.sh" delete "$MAILROOM_LAB_SENDER_DOMAIN" "smoke.$MAILROOM_LAB_SENDER_DOMAIN" TXT >/dev/null
expect "API-deleted TXT" "" "$(q TXT "smoke.$MAILROOM_LAB_SENDER_DOMAIN")"

# --- the receiver's EHLO offers what the sidecar relies on --------------------------------------
ehlo=$(in_sender swaks --server "$MAILROOM_LAB_MX_IP4" --local-interface "$MAILROOM_LAB_SENDER_IP4" \
  --ehlo "$MAILROOM_LAB_SENDER_HOST" --quit-after EHLO 2>&1) || true
for cap in STARTTLS SMTPUTF8 "SIZE 52428800" 8BITMIME; do
  if grep -q "^<-  250[- ]$cap\$" <<<"$ehlo"; then pass "EHLO offers $cap"; else fail "EHLO lacks $cap: $ehlo"; fi
done

# --- SMTP over IPv4: accepted and stored in the Maildir -----------------------------------------
token="smoke-$$-$(date +%s%N)"
out=$(in_sender swaks --server "$MAILROOM_LAB_MX_IP4" --local-interface "$MAILROOM_LAB_SENDER_IP4" \
  --ehlo "$MAILROOM_LAB_SENDER_HOST" --from "smoke@$MAILROOM_LAB_SENDER_DOMAIN" \
  --to "user@$MAILROOM_LAB_RCPT_DOMAIN" --tls --header "Subject: $token" --body "$token" 2>&1) || true
if grep -q '^<~  250 2.0.0 Ok: queued' <<<"$out"; then
  pass "IPv4 message accepted over STARTTLS"
else
  fail "IPv4 message not accepted: $out"
fi
# Delivery to the Maildir happens after the 250; lab_find_mail polls with a deadline.
if found=$(lab_find_mail "Subject: $token"); then pass "IPv4 message stored in $found"; else fail "IPv4 message not in $MAILROOM_LAB_MAILDIR/new; see $MAILROOM_LAB_MAILLOG"; fi

# --- SMTP over IPv6 from the address without PTR: permanent 550 ---------------------------------
out=$(in_sender swaks -6 --server "$MAILROOM_LAB_MX_IP6" --local-interface "$MAILROOM_LAB_SENDER_IP6" \
  --ehlo "$MAILROOM_LAB_SENDER_HOST" --from "$token@$MAILROOM_LAB_SENDER_DOMAIN" \
  --to "user@$MAILROOM_LAB_RCPT_DOMAIN" 2>&1) || true
if grep -q '^<\*\* 550 5.7.1 .*cannot find your reverse hostname, \[2001:db8:5::10\]' <<<"$out"; then
  pass "IPv6 sender without PTR gets 550 reverse hostname"
else
  fail "IPv6 sender without PTR: no 550 'reverse hostname': $out"
fi
if grep "reject: RCPT from unknown\[$MAILROOM_LAB_SENDER_IP6\]: 550" "$MAILROOM_LAB_MAILLOG" | grep -q "from=<$token@"; then
  pass "Postfix logged the reject in $MAILROOM_LAB_MAILLOG"
else
  fail "no reject for $MAILROOM_LAB_SENDER_IP6 in $MAILROOM_LAB_MAILLOG"
fi

# --- verifying milters: Authentication-Results in the stored message --------------------------
# deliver_and_find FROM-IP MAIL-FROM FILE TOKEN : sends FILE as is, prints the stored file's path.
deliver_and_find() {
  local out
  out=$(in_sender swaks --server "$MAILROOM_LAB_MX_IP4" --local-interface "$1" \
    --ehlo "$MAILROOM_LAB_SENDER_HOST" --from "$2" --to "user@$MAILROOM_LAB_RCPT_DOMAIN" \
    --data "$3" 2>&1) || true
  grep -q '^<-  250 2.0.0 Ok: queued' <<<"$out" || {
    echo "not accepted: $out" >&2
    return 1
  }
  lab_find_mail "Subject: $4"
}
ar() { lab_auth_result "$@"; }
work=$(mktemp -d)
trap 'rm -rf "$work"; cleanup' EXIT
message() { # TOKEN FROM-ADDRESS
  printf 'From: Smoke <%s>\r\nTo: user@%s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@lab>\r\n\r\nbody %s\r\n' \
    "$2" "$MAILROOM_LAB_RCPT_DOMAIN" "$1" "$(date -R)" "$1" "$1"
}
sign() { dkimsign "$MAILROOM_LAB_DKIM_SELECTOR" "$MAILROOM_LAB_SENDER_DOMAIN" "$MAILROOM_LAB_DKIM_KEY"; }
from="smoke@$MAILROOM_LAB_SENDER_DOMAIN"

t="$token-signed"
message "$t" "$from" | sign >"$work/signed.eml"
if f=$(deliver_and_find "$MAILROOM_LAB_SENDER_IP4" "$from" "$work/signed.eml" "$t"); then
  expect "signed from .10: dkim" dkim=pass "$(ar "$f" dkim)"
  expect "signed from .10: spf" spf=pass "$(ar "$f" spf)"
  expect "signed from .10: dmarc" dmarc=pass "$(ar "$f" dmarc)"
else
  fail "signed message not delivered"
fi

t="$token-tampered"
message "$t" "$from" | sign | sed 's/^body /BODY /' >"$work/tampered.eml"
if f=$(deliver_and_find "$MAILROOM_LAB_SENDER_IP4" "$from" "$work/tampered.eml" "$t"); then
  expect "tampered body: dkim" dkim=fail "$(ar "$f" dkim)"
  expect "tampered body, SPF aligned: dmarc" dmarc=pass "$(ar "$f" dmarc)"
else
  fail "tampered message not delivered"
fi

# Unsigned, envelope sender in a domain without SPF: nothing aligned with From: example.com.
t="$token-unaligned"
message "$t" "$from" >"$work/unaligned.eml"
if f=$(deliver_and_find "$MAILROOM_LAB_SENDER_IP4" "bounce@$MAILROOM_LAB_RCPT_DOMAIN" "$work/unaligned.eml" "$t"); then
  expect "unsigned, foreign envelope: dkim" dkim=none "$(ar "$f" dkim)"
  expect "unsigned, foreign envelope: spf" spf=none "$(ar "$f" spf)"
  expect "unsigned, foreign envelope: dmarc" dmarc=fail "$(ar "$f" dmarc)"
else
  fail "unaligned message not delivered"
fi

# SPF fail: give 198.51.100.11 a PTR through the API (so Postfix lets it in), send as example.com
# whose SPF authorizes only .10, then remove the PTR again.
ptr11=$(lab_ptr4 "$MAILROOM_LAB_SENDER2_IP4")
"$lab/dns-record.sh" replace "$MAILROOM_LAB_ZONE_REV4" "$ptr11" PTR 60 other.example.org. >/dev/null
t="$token-spffail"
message "$t" "$from" >"$work/spffail.eml"
if f=$(deliver_and_find "$MAILROOM_LAB_SENDER2_IP4" "$from" "$work/spffail.eml" "$t"); then
  expect "from .11 (not in SPF): spf" spf=fail "$(ar "$f" spf)"
  expect "from .11 (not in SPF): dmarc" dmarc=fail "$(ar "$f" dmarc)"
else
  fail "message from .11 with PTR not delivered"
fi
"$lab/dns-record.sh" delete "$MAILROOM_LAB_ZONE_REV4" "$ptr11" PTR >/dev/null
expect "PTR for .11 removed again" NXDOMAIN "$(rcode -x "$MAILROOM_LAB_SENDER2_IP4")"

# --- the relay: 587 STARTTLS + AUTH and 465 implicit TLS + AUTH, any domain into the Maildir -------
relay() { # PORT TLS-FLAG SUBJECT [swaks args...]
  local port=$1 tls=$2 subject=$3
  shift 3
  in_sender swaks -6 --server "$MAILROOM_LAB_RELAY_HOST" --port "$port" "$tls" \
    --local-interface "$MAILROOM_LAB_SENDER_IP6" --ehlo "$MAILROOM_LAB_SENDER_HOST" \
    --from "$from" --to "someone@elsewhere.example.org" --header "Subject: $subject" "$@" 2>&1 || true
}
for port in "$MAILROOM_LAB_RELAY_SUBMISSION_PORT:--tls" "$MAILROOM_LAB_RELAY_SMTPS_PORT:--tlsc"; do
  t="$token-relay-${port%%:*}"
  out=$(relay "${port%%:*}" "${port#*:}" "$t" --auth PLAIN --auth-user "$MAILROOM_LAB_RELAY_USER" \
    --auth-password "$MAILROOM_LAB_RELAY_PASSWORD")
  if grep -q '^<~  235 ' <<<"$out" && grep -q '^<~  250 2.0.0 Ok: queued' <<<"$out" &&
    lab_find_mail "Subject: $t" >/dev/null; then
    pass "relay on ${port%%:*} (IPv6 sender, no PTR) authenticates and delivers to a foreign domain"
  else
    fail "relay on ${port%%:*}: $out"
  fi
done
out=$(relay "$MAILROOM_LAB_RELAY_SUBMISSION_PORT" --tls "$token-badpw" --auth PLAIN \
  --auth-user "$MAILROOM_LAB_RELAY_USER" --auth-password "not-the-password")
if grep -q '^<~\* 535 5.7.8' <<<"$out"; then pass "relay refuses a wrong password (535)"; else fail "wrong password: $out"; fi
out=$(relay "$MAILROOM_LAB_RELAY_SUBMISSION_PORT" --tls "$token-noauth")
if grep -q '^<~\* 554 5.7.1 .*Access denied' <<<"$out"; then pass "relay refuses unauthenticated mail (554)"; else fail "no auth: $out"; fi

# --- nothing of the lab in the root namespace ---------------------------------------------------
leaks=$(ss -ltnuH | awk '{print $5}' | grep -E '198\.51\.100\.|2001:db8' || true)
expect "no lab listeners in the root namespace" "" "$leaks"
leaks=$(ip -o addr show | grep -E '198\.51\.100\.|2001:db8' || true)
expect "no lab addresses in the root namespace" "" "$leaks"
# And the servers do run in their namespaces.
in_ns_listen() { lab_in "$1" ss -ltnH | awk '{print $4}' | grep -qx -- "$2"; }
if in_ns_listen "$MAILROOM_LAB_NS_MX" "0.0.0.0:25"; then
  pass "Postfix listens in $MAILROOM_LAB_NS_MX"
else
  fail "Postfix does not listen in $MAILROOM_LAB_NS_MX"
fi
if in_ns_listen "$MAILROOM_LAB_NS_DNS" "$MAILROOM_LAB_DNS_IP4:53"; then
  pass "PowerDNS listens in $MAILROOM_LAB_NS_DNS"
else
  fail "PowerDNS does not listen in $MAILROOM_LAB_NS_DNS"
fi

if ((failures)); then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all lab smoke checks passed"
