#!/usr/bin/env bash
# End-to-end tests of mailroom-sidecar against real peers: the lab's PowerDNS and Postfix MX
# (hack/lab), the sidecar inside the mr-sender network namespace, mailroomctl as the gRPC client.
#   sidecar_e2e.sh BUILD_DIR SCENARIO
# Exit 0 pass, 1 fail, 77 skipped (not root / no lab prerequisites).
set -euo pipefail
build=$1
scenario=$2
root=$(cd "$(dirname "$0")/../../.." && pwd)

[[ $(id -u) == 0 ]] || { echo "SKIP: needs root for network namespaces"; exit 77; }
. "$root/hack/lab/env.sh"
lab_is_up || { echo "FAIL: the lab is not up (the e2e.lab.up fixture should have started it)"; exit 1; }

sidecar=$build/sidecar/mailroom-sidecar
ctl=$build/tools/mailroomctl/mailroomctl
work=$(mktemp -d "$MAILROOM_LAB_DIR/e2e-$scenario.XXXXXX")
sidecar_pid=""
grpc_port=""
metrics_port=""

fail() { echo "FAIL: $*"; [[ -f $work/sidecar.log ]] && tail -n 30 "$work/sidecar.log"; exit 1; }
in_sender() { ip netns exec "$MAILROOM_LAB_NS_SENDER" "$@"; }
cleanup() {
  [[ -n $sidecar_pid ]] && kill -9 "$sidecar_pid" 2>/dev/null || true
  "$root/hack/lab/mx.sh" start >/dev/null 2>&1 || true
  [[ -n ${MAILROOM_E2E_KEEP:-} ]] || rm -rf "$work"
}
trap cleanup EXIT

# write_config TRANSPORT_YAML [EXTRA_TOP_LEVEL_YAML]
write_config() {
  cat >"$work/sidecar.yaml" <<YAML
apiVersion: mailroom.dev/v1alpha1
kind: SidecarConfig
listen:
  grpc: ["127.0.0.1:0"]
  metrics: 127.0.0.1:0
spool:
  directory: $work/spool
hostname: $MAILROOM_LAB_SENDER_HOST
dns:
  resolvers: ["$MAILROOM_LAB_DNS_IP4"]
  timeout: 2s
transports:
  - name: t
    direct:
$1
    retry: {initialBackoff: 1s, maxBackoff: 2s, queueLifetime: 10m}
${2:-}
YAML
}

start_sidecar() {
  : >"$work/sidecar.log"
  # Not through in_sender: $! must be the sidecar itself (ip netns exec execs it), not a subshell.
  ip netns exec "$MAILROOM_LAB_NS_SENDER" "$sidecar" --config "${config_path:-$work/sidecar.yaml}" >>"$work/sidecar.log" 2>&1 &
  sidecar_pid=$!
  for _ in $(seq 200); do
    if grep -q '"msg":"mailroom-sidecar started"' "$work/sidecar.log"; then
      local line
      line=$(grep '"msg":"mailroom-sidecar started"' "$work/sidecar.log" | tail -1)
      grpc_port=$(sed -E 's/.*"grpc":"127\.0\.0\.1:0=([0-9]+)".*/\1/' <<<"$line")
      metrics_port=$(sed -E 's/.*"metrics":"([0-9]+)".*/\1/' <<<"$line")
      echo "$grpc_port" >"$work/grpc_port"  # for senders that outlive a restart
      return 0
    fi
    kill -0 "$sidecar_pid" 2>/dev/null || fail "sidecar exited at start"
    sleep 0.05
  done
  fail "sidecar did not start"
}

send() {  # send TOKEN RCPT [more mailroomctl args]; prints the JSON status after --wait
  local token=$1 rcpt=$2
  shift 2
  in_sender "$ctl" send --server "127.0.0.1:$grpc_port" --from "E2E <e2e@$MAILROOM_LAB_SENDER_DOMAIN>" \
    --to "$rcpt" --subject "e2e $token" --text "token $token" --output json "$@"
}

# jq-like assertions on mailroomctl's JSON with python3.
json_get() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

delivered_count() { grep -l "token $1" "$MAILROOM_LAB_MAILDIR"/new/* 2>/dev/null | wc -l; }

ipv4_delivers() {
  write_config "      addressFamily: IPv4
      sourceAddresses: [\"$MAILROOM_LAB_SENDER_IP4\"]"
  start_sidecar
  local token=v4-$RANDOM$RANDOM out
  out=$(send "$token" "user@$MAILROOM_LAB_RCPT_DOMAIN" --wait 30s) || fail "send failed: $out"
  local r='d["recipients"][0]'
  [[ $(json_get "$r['state']" <<<"$out") == DELIVERED ]] || fail "not delivered: $out"
  [[ $(json_get "$r['family']" <<<"$out") == IPV4 ]] || fail "not over IPv4: $out"
  [[ $(json_get "$r['sourceIp']" <<<"$out") == "$MAILROOM_LAB_SENDER_IP4" ]] || fail "wrong source: $out"
  [[ $(json_get "$r['lastReply']['code']" <<<"$out") == 250 ]] || fail "no 250: $out"
  [[ $(delivered_count "$token") == 1 ]] || fail "message not in the Maildir exactly once"
  # The stored message carries what the sidecar added (Date, Message-ID) and Postfix's trace.
  local file
  file=$(grep -l "token $token" "$MAILROOM_LAB_MAILDIR"/new/*)
  grep -qi '^Message-ID: <.*@mail.example.com>' "$file" || fail "no Message-ID in stored message"
  grep -qi "^Received: from $MAILROOM_LAB_SENDER_HOST (mail.example.com \[$MAILROOM_LAB_SENDER_IP4\])" "$file" ||
    fail "Postfix did not record our forward-confirmed EHLO/PTR: $(grep -i ^Received: "$file" | head -2)"
  # Metrics count it by destination domain and family; the log never holds the body.
  local metrics
  metrics=$(in_sender curl -fsS "http://127.0.0.1:$metrics_port/metrics")
  grep -q '^mailroom_delivered_total{domain="example.net",family="ipv4"} 1$' <<<"$metrics" ||
    fail "metrics: $(grep mailroom_delivered_total <<<"$metrics")"
  grep -q '^mailroom_delivery_seconds_count 1$' <<<"$metrics" || fail "no delivery latency sample"
  # The spool journaled the accept and the outcome, in one or two flushes.
  grep -q '^mailroom_spool_operations_total 2$' <<<"$metrics" ||
    fail "spool operations: $(grep mailroom_spool_operations_total <<<"$metrics")"
  grep -Eq '^mailroom_spool_flushes_total [12]$' <<<"$metrics" ||
    fail "spool flushes: $(grep mailroom_spool_flushes_total <<<"$metrics")"
  grep -q "token $token" "$work/sidecar.log" && fail "the message body reached the log"
  grep -q '"msg":"delivered","id":"' "$work/sidecar.log" || fail "no structured delivery line with the id"
  echo "ok: delivered over IPv4"
}

ipv6_rejected_permanently() {
  write_config "      addressFamily: IPv6
      sourceAddresses: [\"$MAILROOM_LAB_SENDER_IP6\"]"
  start_sidecar
  local token=v6-$RANDOM$RANDOM out
  out=$(send "$token" "user@$MAILROOM_LAB_RCPT_DOMAIN" --wait 30s) && fail "send should report a bounce (exit 1): $out"
  local r='d["recipients"][0]'
  [[ $(json_get "$r['state']" <<<"$out") == BOUNCED ]] || fail "not bounced: $out"
  [[ $(json_get "$r['lastReply']['code']" <<<"$out") == 550 ]] || fail "not Postfix's 550: $out"
  json_get "$r['lastReply']['text']" <<<"$out" | grep -q "cannot find your reverse hostname" ||
    fail "Postfix's reply text missing: $out"
  json_get "$r['summary']" <<<"$out" | grep -q "rejected over IPv6 from $MAILROOM_LAB_SENDER_IP6 (no PTR); the transport allows no other family" ||
    fail "summary does not explain: $(json_get "$r['summary']" <<<"$out")"
  [[ $(delivered_count "$token") == 0 ]] || fail "delivered despite the rejection"
  echo "ok: IPv6-only bounced with Postfix's 550"
}

any_prefers_ipv6_falls_back() {
  write_config "      addressFamily: Any
      preferredFamily: IPv6
      sourceAddresses: [\"$MAILROOM_LAB_SENDER_IP4\", \"$MAILROOM_LAB_SENDER_IP6\"]"
  start_sidecar
  local token=any-$RANDOM$RANDOM out
  out=$(send "$token" "user@$MAILROOM_LAB_RCPT_DOMAIN" --wait 30s) || fail "send failed: $out"
  local r='d["recipients"][0]'
  [[ $(json_get "$r['state']" <<<"$out") == DELIVERED ]] || fail "not delivered: $out"
  [[ $(json_get "$r['family']" <<<"$out") == IPV4 ]] || fail "not over IPv4: $out"
  [[ $(json_get "$r['attempts']" <<<"$out") == 1 ]] || fail "fallback was not in the same attempt: $out"
  json_get "$r['summary']" <<<"$out" |
    grep -q "^rejected over IPv6 from $MAILROOM_LAB_SENDER_IP6 (no PTR); delivered over IPv4" ||
    fail "summary: $(json_get "$r['summary']" <<<"$out")"
  [[ $(json_get "$r['history'][0]['outcome']" <<<"$out") == family-fallback ]] || fail "history: $out"
  [[ $(json_get "$r['history'][0]['reply']['code']" <<<"$out") == 550 ]] || fail "history reply: $out"
  [[ $(delivered_count "$token") == 1 ]] || fail "message not in the Maildir exactly once"
  echo "ok: rejected over IPv6, delivered over IPv4 in the same attempt"
}

receiver_down_then_up() {
  write_config "      addressFamily: IPv4
      sourceAddresses: [\"$MAILROOM_LAB_SENDER_IP4\"]"
  start_sidecar
  "$root/hack/lab/mx.sh" stop >/dev/null
  local token=down-$RANDOM$RANDOM out id
  out=$(send "$token" "user@$MAILROOM_LAB_RCPT_DOMAIN" --wait 3s) && fail "should still be pending: $out"
  [[ $(json_get "d['recipients'][0]['state']" <<<"$out") == DEFERRED ]] || fail "not deferred: $out"
  id=$(json_get "d['id']" <<<"$out")
  "$root/hack/lab/mx.sh" start >/dev/null
  out=$(in_sender "$ctl" status --server "127.0.0.1:$grpc_port" --wait 60s --output json "$id") ||
    fail "not delivered after the receiver came back: $out"
  [[ $(json_get "d['recipients'][0]['state']" <<<"$out") == DELIVERED ]] || fail "not delivered: $out"
  [[ $(delivered_count "$token") == 1 ]] || fail "message not in the Maildir exactly once"
  echo "ok: deferred while the MX was down, delivered after it returned ($(json_get "d['recipients'][0]['attempts']" <<<"$out") attempts)"
}

# Restart the sidecar (SIGKILL, or SIGTERM for a graceful stop) under a stream of Sends: every
# acknowledged message is delivered, duplicates bounded by what was in flight.
restart_under_load() {
  local signal=$1
  write_config "      addressFamily: IPv4
      sourceAddresses: [\"$MAILROOM_LAB_SENDER_IP4\"]"
  start_sidecar
  local run=k9-$RANDOM$RANDOM acked=$work/acked
  : >"$acked"
  local senders=()
  # Four concurrent senders; each records the tokens the sidecar acknowledged. They read the
  # port before every send because the restarted sidecar listens on a new one.
  for w in 1 2 3 4; do
    (
      for i in $(seq 1 150); do
        token=$run-$w-$i
        if in_sender "$ctl" send --server "127.0.0.1:$(cat "$work/grpc_port")" \
          --from "e2e@$MAILROOM_LAB_SENDER_DOMAIN" --to "user@$MAILROOM_LAB_RCPT_DOMAIN" \
          --subject "k9" --text "token $token." >/dev/null 2>&1; then
          echo "$token" >>"$acked"
        fi
      done
    ) &
    senders+=($!)
  done
  # Stop the sidecar while the senders are mid-stream.
  for _ in $(seq 400); do [[ $(wc -l <"$acked") -ge 100 ]] && break; sleep 0.05; done
  kill -"$signal" "$sidecar_pid"
  local status=0
  wait "$sidecar_pid" 2>/dev/null || status=$?
  if [[ $signal == TERM ]]; then
    [[ $status == 0 ]] || fail "sidecar exited with status $status on SIGTERM"
    grep -q '"msg":"mailroom-sidecar stopped"' "$work/sidecar.log" || fail "no clean stop logged"
  fi
  local at_kill
  at_kill=$(wc -l <"$acked")
  start_sidecar  # same spool: resumes the queue
  wait "${senders[@]}" 2>/dev/null || true
  local total
  total=$(sort -u "$acked" | wc -l)
  [[ $total -gt $at_kill ]] || fail "no sends acknowledged after the restart ($total in all)"
  # Every acknowledged message must arrive; count copies per token in one pass over the Maildir.
  local missing=0
  sort -u "$acked" >"$work/acked.sorted"
  for _ in $(seq 300); do
    grep -ho "token $run-[0-9]*-[0-9]*\." "$MAILROOM_LAB_MAILDIR"/new/* 2>/dev/null |
      sed 's/^token //; s/\.$//' | sort >"$work/arrived"
    missing=$(sort -u "$work/arrived" | comm -23 "$work/acked.sorted" - | wc -l)
    [[ $missing == 0 ]] && break
    sleep 0.2
  done
  [[ $missing == 0 ]] || fail "$missing of $total acknowledged messages never arrived"
  local dup
  dup=$(($(wc -l <"$work/arrived") - $(sort -u "$work/arrived" | wc -l)))
  # Duplicates come only from deliveries in flight at the kill: at most delivery.concurrency.
  [[ $dup -le 20 ]] || fail "$dup duplicate deliveries (more than could have been in flight)"
  echo "ok: $total acknowledged ($at_kill before SIG$signal), all delivered, $dup duplicates"
}

kill9_loses_nothing() { restart_under_load KILL; }
sigterm_under_load_loses_nothing() { restart_under_load TERM; }

invalid_input_queues_nothing() {
  write_config "      addressFamily: IPv4"
  start_sidecar
  local out
  out=$(in_sender "$ctl" send --server "127.0.0.1:$grpc_port" --from "e2e@$MAILROOM_LAB_SENDER_DOMAIN" \
    --to "not an address" --subject x --text y 2>&1) && fail "accepted an invalid address"
  grep -q "INVALID_ARGUMENT" <<<"$out" || fail "not INVALID_ARGUMENT: $out"
  grep -q "to\[0\]" <<<"$out" || fail "error does not name the field: $out"
  out=$(in_sender "$ctl" send --server "127.0.0.1:$grpc_port" --from "e2e@$MAILROOM_LAB_SENDER_DOMAIN" \
    --to "user@$MAILROOM_LAB_RCPT_DOMAIN" --subject $'hi\r\nBcc: victim@example.org' --text y 2>&1) &&
    fail "accepted a header injection"
  grep -q "INVALID_ARGUMENT" <<<"$out" || fail "not INVALID_ARGUMENT: $out"
  local queued
  queued=$(in_sender curl -fsS "http://127.0.0.1:$metrics_port/metrics" | awk '/^mailroom_accepted_total /{print $2}')
  [[ -z $queued || $queued == 0 ]] || fail "something was queued: mailroom_accepted_total=$queued"
  echo "ok: invalid input refused with INVALID_ARGUMENT naming the field, nothing queued"
}

idempotency_key_dedupes() {
  write_config "      addressFamily: IPv4
      sourceAddresses: [\"$MAILROOM_LAB_SENDER_IP4\"]"
  start_sidecar
  local token=idem-$RANDOM$RANDOM a b
  a=$(send "$token" "user@$MAILROOM_LAB_RCPT_DOMAIN" --idempotency-key "$token") || fail "first send"
  b=$(send "$token" "user@$MAILROOM_LAB_RCPT_DOMAIN" --idempotency-key "$token" --wait 30s) || fail "second send: $b"
  [[ $(json_get "d['id']" <<<"$a") == $(json_get "d['id']" <<<"$b") ]] || fail "different ids: $a / $b"
  [[ $(delivered_count "$token") == 1 ]] || fail "delivered $(delivered_count "$token") times"
  echo "ok: a retried Send with the same key queued nothing new"
}

mx_edge_cases() {
  write_config "      addressFamily: Any
      preferredFamily: IPv4
      sourceAddresses: [\"$MAILROOM_LAB_SENDER_IP4\", \"$MAILROOM_LAB_SENDER_IP6\"]"
  start_sidecar
  local out
  out=$(send nullmx-$RANDOM "user@$MAILROOM_LAB_NULLMX_DOMAIN" --wait 30s) && fail "null MX delivered: $out"
  [[ $(json_get "d['recipients'][0]['state']" <<<"$out") == BOUNCED ]] || fail "null MX not bounced: $out"
  json_get "d['recipients'][0]['summary']" <<<"$out" | grep -q "null MX" || fail "null MX summary: $out"
  local token=nomx-$RANDOM$RANDOM
  out=$(send "$token" "user@$MAILROOM_LAB_NOMX_DOMAIN" --wait 30s) || fail "implicit MX not delivered: $out"
  [[ $(json_get "d['recipients'][0]['mxHost']" <<<"$out") == "$MAILROOM_LAB_NOMX_DOMAIN" ]] || fail "not the implicit MX: $out"
  out=$(send nx-$RANDOM "user@nonexistent.$MAILROOM_LAB_RCPT_DOMAIN" --wait 30s) && fail "NXDOMAIN delivered: $out"
  json_get "d['recipients'][0]['summary']" <<<"$out" | grep -q "does not exist" || fail "NXDOMAIN summary: $out"
  echo "ok: null MX bounced, implicit MX delivered, NXDOMAIN bounced"
}

ipv6_only_to_v4_only_domain() {
  write_config "      addressFamily: IPv6
      sourceAddresses: [\"$MAILROOM_LAB_SENDER_IP6\"]"
  start_sidecar
  local out
  out=$(send v4o-$RANDOM "user@$MAILROOM_LAB_V4ONLY_DOMAIN" --wait 30s) && fail "delivered: $out"
  [[ $(json_get "d['recipients'][0]['state']" <<<"$out") == BOUNCED ]] || fail "not bounced: $out"
  json_get "d['recipients'][0]['summary']" <<<"$out" | grep -q "has no IPv6 address" || fail "summary: $out"
  echo "ok: an IPv6-only transport bounces a domain whose MX has no AAAA, saying so"
}

# All "dkim=..." results our receiver wrote (one per signature), space-separated.
dkim_results() {
  sed -n '/^\r\?$/q;p' "$1" | sed -e ':a' -e 'N' -e '$!ba' -e 's/\r\?\n[ \t]\+/ /g' |
    grep "^Authentication-Results: $MAILROOM_LAB_AUTHSERV_ID;" | grep -o '\bdkim=[a-z]*' | sort | xargs
}

dkim_signed_verified() {
  # RSA: the lab's published key (selector lab). Ed25519: a fresh key published for this test.
  local sel=e2e$RANDOM
  openssl genpkey -algorithm ed25519 -out "$work/ed.pem" 2>/dev/null
  local pub
  pub=$(openssl pkey -in "$work/ed.pem" -pubout -outform DER | tail -c 32 | base64 -w0)
  lab_rrset_replace "$MAILROOM_LAB_SENDER_DOMAIN" "$sel._domainkey.$MAILROOM_LAB_SENDER_DOMAIN" TXT 60 \
    "\"v=DKIM1; k=ed25519; p=$pub\"" >/dev/null
  write_config "      addressFamily: IPv4
      sourceAddresses: [\"$MAILROOM_LAB_SENDER_IP4\"]" "dkim:
  keys:
    - {domain: $MAILROOM_LAB_SENDER_DOMAIN, selector: $MAILROOM_LAB_DKIM_SELECTOR, algorithm: rsa-sha256, keyFile: $MAILROOM_LAB_DKIM_KEY}
    - {domain: $MAILROOM_LAB_SENDER_DOMAIN, selector: $sel, algorithm: ed25519-sha256, keyFile: $work/ed.pem}"
  start_sidecar
  local token=dkim-$RANDOM$RANDOM out file
  out=$(send "$token" "user@$MAILROOM_LAB_RCPT_DOMAIN" --wait 30s) || fail "send failed: $out"
  json_get "d['notes']['dkim']" <<<"$out" | grep -q "s=$sel (ed25519-sha256)" || fail "status lacks the signing note: $out"
  file=$(lab_find_mail "token $token" 30) || fail "not delivered"
  [[ $(dkim_results "$file") == "dkim=pass dkim=pass" ]] || fail "OpenDKIM says: $(dkim_results "$file")"
  grep -q "header.a=ed25519-sha256" "$file" || grep -qi "ed25519" "$file" || true
  [[ $(lab_auth_result "$file" dmarc) == dmarc=pass ]] || fail "OpenDMARC says: $(lab_auth_result "$file" dmarc)"
  [[ $(lab_auth_result "$file" spf) == spf=pass ]] || fail "SPF says: $(lab_auth_result "$file" spf)"

  # The same message altered after signing: resubmit it raw through a sidecar that holds no key
  # for the From domain (so our original signatures are the only ones) with one body word changed.
  kill -9 "$sidecar_pid"; wait "$sidecar_pid" 2>/dev/null || true
  write_config "      addressFamily: IPv4
      sourceAddresses: [\"$MAILROOM_LAB_SENDER_IP4\"]"
  start_sidecar
  local token2=alt-$RANDOM$RANDOM
  # Keep the original header section without what the receiver added, then change the body.
  python3 - "$file" "$work/altered.eml" "token $token" "token $token2" <<'PY'
import re, sys
src, dst, old, new = sys.argv[1:5]
data = open(src, "rb").read().replace(b"\r\n", b"\n")
head, body = data.split(b"\n\n", 1)
fields = re.split(rb"\n(?![ \t])", head)
drop = (b"return-path:", b"delivered-to:", b"received:", b"authentication-results:", b"x-original-to:")
kept = [f for f in fields if not f.lower().startswith(drop)]
out = b"\n".join(kept) + b"\n\n" + body.replace(old.encode(), new.encode())
open(dst, "wb").write(out.replace(b"\n", b"\r\n"))
PY
  out=$(in_sender "$ctl" send --server "127.0.0.1:$grpc_port" --raw "$work/altered.eml" \
    --rcpt "user@$MAILROOM_LAB_RCPT_DOMAIN" --wait 30s --output json) || fail "resubmit failed: $out"
  file=$(lab_find_mail "token $token2" 30) || fail "altered message not delivered"
  [[ $(dkim_results "$file") == "dkim=fail dkim=fail" ]] || fail "altered message: OpenDKIM says $(dkim_results "$file")"
  lab_rrset_delete "$MAILROOM_LAB_SENDER_DOMAIN" "$sel._domainkey.$MAILROOM_LAB_SENDER_DOMAIN" TXT >/dev/null || true
  echo "ok: RSA and Ed25519 signatures dkim=pass, dmarc=pass; altered after signing: dkim=fail"
}

broken_config_reload_keeps_previous() {
  write_config "      addressFamily: IPv4
      sourceAddresses: [\"$MAILROOM_LAB_SENDER_IP4\"]"
  start_sidecar
  cp "$work/sidecar.yaml" "$work/good.yaml"
  printf 'transports:\n  - name: t\n    direct: {addressFamily: IPv5}\n' >>"$work/sidecar.yaml"
  kill -HUP "$sidecar_pid"
  for _ in $(seq 100); do grep -q "config reload failed" "$work/sidecar.log" && break; sleep 0.05; done
  grep "config reload failed" "$work/sidecar.log" | grep -q "sidecar.yaml:[0-9]*: " ||
    fail "no reload error naming the file and line: $(grep reload "$work/sidecar.log")"
  kill -0 "$sidecar_pid" || fail "the sidecar died on a broken config"
  local token=reload-$RANDOM$RANDOM out
  out=$(send "$token" "user@$MAILROOM_LAB_RCPT_DOMAIN" --wait 30s) || fail "not delivered after the broken reload: $out"
  [[ $(json_get "d['recipients'][0]['family']" <<<"$out") == IPV4 ]] || fail "previous config not in force: $out"
  echo "ok: a broken config on SIGHUP is reported with its line and the previous config stays in force"
}

unenforced_warned() {
  # A relay transport is accepted now (mode: relay is delivered).
  write_config "      addressFamily: IPv4" "  - name: smarthost
    relay: {host: smtp.example.net, tls: implicit, port: 465}
    routes: [{domains: [\"*.example.com\"]}]"
  local out rc=0
  out=$("$sidecar" --config "$work/sidecar.yaml" --check 2>&1) || rc=$?
  [[ $rc == 0 ]] || fail "--check refused a relay transport (exit $rc): $out"
  # Policies parsed but not enforced yet: one warning at start naming them, and mail still flows.
  write_config "      addressFamily: IPv4
      sourceAddresses: [\"$MAILROOM_LAB_SENDER_IP4\"]
    limits:
      perDestination:
        - {domain: \"*\", maxConnections: 2, deliveriesPerConnection: 5}
    pause: {bounceRateThreshold: \"5%\"}"
  start_sidecar
  local warning
  warning=$(grep '"msg":"config fields are read but not enforced' "$work/sidecar.log") ||
    fail "no warning about unenforced fields"
  [[ $(grep -c '"msg":"config fields are read but not enforced' "$work/sidecar.log") == 1 ]] ||
    fail "more than one warning: $warning"
  grep -q '"fields":"transports\[0\].pause"' <<<"$warning" ||
    fail "the warning does not name the fields: $warning"
  local token=warn-$RANDOM$RANDOM
  out=$(send "$token" "user@$MAILROOM_LAB_RCPT_DOMAIN" --wait 30s) || fail "not delivered: $out"
  echo "ok: a relay transport passes --check; unenforced fields get one warning naming them"
}

# A raw message of about SIZE bytes whose body carries TOKEN, with lines of 76 characters.
make_raw_message() {  # make_raw_message FILE SIZE TOKEN
  python3 - "$1" "$2" "$3" "$MAILROOM_LAB_SENDER_DOMAIN" "$MAILROOM_LAB_RCPT_DOMAIN" <<'PY'
import sys
path, size, token, sender, rcpt = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
head = f"From: e2e@{sender}\r\nTo: user@{rcpt}\r\nSubject: big {token}\r\n\r\ntoken {token}\r\n"
line = b"x" * 76 + b"\r\n"
with open(path, "wb") as f:
    f.write(head.encode())
    f.write(line * ((size - len(head)) // len(line)))
PY
}

# gRPC's default receive limit is 4 MB; the sidecar's follows spool.maxMessageBytes (25 MB).
large_message_delivers() {
  write_config "      addressFamily: IPv4
      sourceAddresses: [\"$MAILROOM_LAB_SENDER_IP4\"]"
  start_sidecar
  local token=big-$RANDOM$RANDOM out file
  make_raw_message "$work/big.eml" $((20 * 1024 * 1024)) "$token"
  out=$(in_sender "$ctl" send --server "127.0.0.1:$grpc_port" --raw "$work/big.eml" \
    --rcpt "user@$MAILROOM_LAB_RCPT_DOMAIN" --wait 120s --output json 2>&1) || fail "20 MB send failed: $out"
  [[ $(json_get "d['recipients'][0]['state']" <<<"$out") == DELIVERED ]] || fail "not delivered: $out"
  file=$(lab_find_mail "token $token" 60) || fail "the 20 MB message is not in the Maildir"
  # Postfix stores LF line endings: 20 MiB less a byte per line.
  [[ $(stat -c %s "$file") -ge 20000000 ]] || fail "stored message is $(stat -c %s "$file") bytes"
  # Over spool.maxMessageBytes (but within the envelope headroom): the sidecar's own clear error.
  make_raw_message "$work/over.eml" $((25 * 1024 * 1024 + 4096)) "over-$token"
  out=$(in_sender "$ctl" send --server "127.0.0.1:$grpc_port" --raw "$work/over.eml" \
    --rcpt "user@$MAILROOM_LAB_RCPT_DOMAIN" 2>&1) && fail "accepted a message over maxMessageBytes: $out"
  grep -q "INVALID_ARGUMENT" <<<"$out" || fail "not INVALID_ARGUMENT: $out"
  grep -q "exceeds the limit of 26214400" <<<"$out" || fail "error does not name the limit: $out"
  echo "ok: a 20 MB message delivered into the lab MX; one over maxMessageBytes refused with INVALID_ARGUMENT"
}

# One Send to 1,500 recipients at one domain, twice: with a per-transaction cap above Postfix's
# smtpd_recipient_limit (1000), Postfix answers the rest "452 4.5.3 Error: too many recipients"
# and they go in a second transaction at once; with the default cap, 30 transactions of 50.
many_recipients_one_send() {
  local cap
  for cap in 2000 default; do
    local limits=""
    [[ $cap == default ]] || limits="
    limits:
      perDestination:
        - {domain: \"*\", maxRecipientsPerTransaction: $cap}"
    write_config "      addressFamily: IPv4
      sourceAddresses: [\"$MAILROOM_LAB_SENDER_IP4\"]$limits"
    start_sidecar
    local token=bulk-$cap-$RANDOM$RANDOM out i args=()
    for i in $(seq 1 1500); do args+=(--rcpt "u$i@$MAILROOM_LAB_RCPT_DOMAIN"); done
    out=$(send "$token" "user@$MAILROOM_LAB_RCPT_DOMAIN" --mail-from "$token@$MAILROOM_LAB_SENDER_DOMAIN" \
      "${args[@]}" --wait 120s) || fail "cap $cap: not all delivered: $(head -c 2000 <<<"$out")"
    local summary
    summary=$(python3 -c '
import json, sys
d = json.load(sys.stdin)
r = d["recipients"]
print(len(r), sum(x["state"] == "DELIVERED" for x in r), max(x["attempts"] for x in r))' <<<"$out")
    [[ $summary == "1500 1500 1" ]] || fail "cap $cap: recipients, delivered, most attempts: $summary"
    # Postfix's queue manager logs each transaction's message with its recipient count.
    local counts
    for _ in $(seq 100); do
      counts=$(grep -o "from=<$token@$MAILROOM_LAB_SENDER_DOMAIN>, size=[0-9]*, nrcpt=[0-9]*" "$MAILROOM_LAB_MAILLOG" |
        sed 's/.*nrcpt=//' | sort -n | uniq -c | awk '{print $1 "x" $2}' | xargs)
      [[ -n $counts ]] && break
      sleep 0.1
    done
    if [[ $cap == default ]]; then
      [[ $counts == "30x50" ]] || fail "default cap: transactions (count x recipients): $counts"
    else
      [[ $counts == "1x500 1x1000" ]] || fail "cap 2000: transactions (count x recipients): $counts"
    fi
    local arrived=0
    for _ in $(seq 600); do
      arrived=$(grep -l "token $token" "$MAILROOM_LAB_MAILDIR"/new/* 2>/dev/null | wc -l)
      [[ $arrived -ge 1500 ]] && break
      sleep 0.2
    done
    [[ $arrived == 1500 ]] || fail "cap $cap: $arrived of 1500 copies in the Maildir"
    kill -9 "$sidecar_pid"; wait "$sidecar_pid" 2>/dev/null || true
    sidecar_pid=""
    rm -rf "$work/spool"
    echo "ok: cap $cap: 1500 recipients delivered in the first attempt ($counts)"
  done
}

# write_relay_config PORT TLS PASSWORD_FILE: everything through the lab's relay (Postfix
# submission with Cyrus SASL), its certificate verified against the lab's certificate as CA.
write_relay_config() {
  echo "$MAILROOM_LAB_RELAY_USER" >"$work/relay-user"
  cat >"$work/sidecar.yaml" <<YAML
apiVersion: mailroom.dev/v1alpha1
kind: SidecarConfig
listen:
  grpc: ["127.0.0.1:0"]
  metrics: 127.0.0.1:0
spool:
  directory: $work/spool
hostname: $MAILROOM_LAB_SENDER_HOST
dns:
  resolvers: ["$MAILROOM_LAB_DNS_IP4"]
  timeout: 2s
transports:
  - name: smarthost
    relay:
      host: $MAILROOM_LAB_RELAY_HOST
      port: $1
      tls: $2
      credentials: {usernameFile: $work/relay-user, passwordFile: $3}
      caFile: $MAILROOM_LAB_MX_TLS_CERT
    retry: {initialBackoff: 1m, maxBackoff: 2m, queueLifetime: 10m}
YAML
}

stop_sidecar() {
  kill -9 "$sidecar_pid"; wait "$sidecar_pid" 2>/dev/null || true
  sidecar_pid=""
}

# mode: relay against the lab's Postfix submission service: 587 STARTTLS and 465 implicit TLS
# with AUTH deliver (to a domain the lab has no MX for: only the relay can take it); a wrong
# password bounces with the server's 535; a submission service without TLS gets no AUTH.
relay_submission() {
  local port tls out token r='d["recipients"][0]'
  for port in "$MAILROOM_LAB_RELAY_SUBMISSION_PORT:starttls" "$MAILROOM_LAB_RELAY_SMTPS_PORT:implicit"; do
    tls=${port#*:}
    port=${port%%:*}
    write_relay_config "$port" "$tls" "$MAILROOM_LAB_RELAY_PASSWORD_FILE"
    start_sidecar
    token=relay-$port-$RANDOM$RANDOM
    out=$(send "$token" "friend@elsewhere.example.org" --wait 30s) || fail "relay $port: $out"
    [[ $(json_get "$r['state']" <<<"$out") == DELIVERED ]] || fail "relay $port: not delivered: $out"
    json_get "$r['summary']" <<<"$out" | grep -q "^relayed through $MAILROOM_LAB_RELAY_HOST \[.*\]:$port with TLSv1.[23] .* verify=ok" ||
      fail "relay $port: summary: $(json_get "$r['summary']" <<<"$out")"
    lab_find_mail "token $token" 30 >/dev/null || fail "relay $port: not in the Maildir"
    local service=submission
    [[ $port == "$MAILROOM_LAB_RELAY_SMTPS_PORT" ]] && service=smtps
    grep -q "postfix/$service/smtpd.*sasl_method=PLAIN, sasl_username=$MAILROOM_LAB_RELAY_USER" "$MAILROOM_LAB_MAILLOG" ||
      fail "relay $port: Postfix logged no SASL login on $service"
    stop_sidecar
    rm -rf "$work/spool"
  done

  echo "not-the-password" >"$work/wrong-password"
  write_relay_config "$MAILROOM_LAB_RELAY_SUBMISSION_PORT" starttls "$work/wrong-password"
  start_sidecar
  token=relay-badpw-$RANDOM$RANDOM
  out=$(send "$token" "friend@elsewhere.example.org" --wait 30s) && fail "wrong password delivered: $out"
  [[ $(json_get "$r['state']" <<<"$out") == BOUNCED ]] || fail "wrong password: not bounced: $out"
  [[ $(json_get "$r['lastReply']['code']" <<<"$out") == 535 ]] || fail "wrong password: not the 535: $out"
  json_get "$r['summary']" <<<"$out" | grep -q "AUTH PLAIN: 535 5.7.8 Error: authentication failed" ||
    fail "wrong password: summary: $(json_get "$r['summary']" <<<"$out")"
  grep -q -e "not-the-password" -e "$(cat "$MAILROOM_LAB_RELAY_PASSWORD_FILE")" "$work/sidecar.log" &&
    fail "a password reached the sidecar's log"
  stop_sidecar
  rm -rf "$work/spool"

  write_relay_config "$MAILROOM_LAB_RELAY_PLAINTEXT_PORT" starttls "$MAILROOM_LAB_RELAY_PASSWORD_FILE"
  start_sidecar
  token=relay-plain-$RANDOM$RANDOM
  out=$(send "$token" "friend@elsewhere.example.org" --wait 5s) && fail "plaintext relay delivered: $out"
  [[ $(json_get "$r['state']" <<<"$out") == DEFERRED ]] || fail "plaintext relay: not deferred: $out"
  json_get "$r['summary']" <<<"$out" | grep -q "TLS is required but the server does not offer STARTTLS" ||
    fail "plaintext relay: summary: $(json_get "$r['summary']" <<<"$out")"
  grep -q "postfix/plaintext-submission/smtpd.*sasl_username" "$MAILROOM_LAB_MAILLOG" &&
    fail "credentials were accepted on the plaintext service"
  grep -q "postfix/plaintext-submission/smtpd.*connect from" "$MAILROOM_LAB_MAILLOG" ||
    fail "the sidecar never reached the plaintext service (is the lab's master.cf current?)"
  echo "ok: relay over 587 STARTTLS and 465 implicit TLS delivers with AUTH; a wrong password bounces with 535; no AUTH without TLS"
}

# After Postfix rejects us over IPv6 (no PTR), later messages to example.net go over IPv4 first,
# also after a restart (the lesson is in the spool directory), and the metric shows it.
learned_family_survives_restart() {
  write_config "      addressFamily: Any
      preferredFamily: IPv6
      sourceAddresses: [\"$MAILROOM_LAB_SENDER_IP4\", \"$MAILROOM_LAB_SENDER_IP6\"]"
  start_sidecar
  local out r='d["recipients"][0]'
  out=$(send learn-$RANDOM "user@$MAILROOM_LAB_RCPT_DOMAIN" --wait 30s) || fail "first send: $out"
  [[ $(json_get "$r['history'][0]['outcome']" <<<"$out") == family-fallback ]] || fail "no fallback first: $out"
  out=$(send learned-$RANDOM "user@$MAILROOM_LAB_RCPT_DOMAIN" --wait 30s) || fail "second send: $out"
  [[ $(json_get "len($r['history'])" <<<"$out") == 1 ]] || fail "the second message met the rejection again: $out"
  [[ $(json_get "$r['family']" <<<"$out") == IPV4 ]] || fail "second not over IPv4: $out"
  json_get "$r['summary']" <<<"$out" | grep -q "^IPv4 first: IPv6 was rejected here for reverse DNS (until " ||
    fail "summary: $(json_get "$r['summary']" <<<"$out")"
  in_sender curl -fsS "http://127.0.0.1:$metrics_port/metrics" |
    grep -q '^mailroom_learned_family{domain="example.net",rejected="IPv6"} 1$' || fail "no learned-family metric"
  grep -q "^example.net IPv6 [0-9]* 550 5.7.1" "$work/spool/state/learned-families" ||
    fail "state file: $(cat "$work/spool/state/learned-families" 2>&1)"
  stop_sidecar
  start_sidecar  # same spool
  out=$(send relearned-$RANDOM "user@$MAILROOM_LAB_RCPT_DOMAIN" --wait 30s) || fail "after restart: $out"
  [[ $(json_get "len($r['history'])" <<<"$out") == 1 ]] || fail "forgotten after the restart: $out"
  echo "ok: after one PTR rejection over IPv6, later messages (also after a restart) go over IPv4 first"
}

# kube_volume_write DIR NAME=FILE... : one update of a ConfigMap/Secret volume exactly as the
# kubelet's AtomicWriter makes it: a new timestamped directory with the files, a `..data_tmp`
# symlink to it renamed over `..data` (atomic), `NAME -> ..data/NAME` symlinks, the old
# timestamped directory removed.
kube_volume_write() {
  local dir=$1 spec ts old
  shift
  mkdir -p "$dir"
  old=$(readlink "$dir/..data" || true)
  ts="..$(date -u +%Y_%m_%d_%H_%M_%S).$RANDOM$RANDOM"
  mkdir "$dir/$ts"
  for spec in "$@"; do cp "${spec#*=}" "$dir/$ts/${spec%%=*}"; done
  ln -s "$ts" "$dir/..data_tmp"
  mv -T "$dir/..data_tmp" "$dir/..data"
  for spec in "$@"; do [[ -L $dir/${spec%%=*} ]] || ln -s "..data/${spec%%=*}" "$dir/${spec%%=*}"; done
  [[ -z $old ]] || rm -rf "${dir:?}/$old"
}

# wait_log COUNT PATTERN : until the sidecar log has COUNT lines matching PATTERN (10 s at most).
wait_log() {
  for _ in $(seq 200); do
    [[ $(grep -c -- "$2" "$work/sidecar.log" || true) -ge $1 ]] && return 0
    sleep 0.05
  done
  fail "no $1 log lines matching $2"
}

metric() { in_sender curl -fsS "http://127.0.0.1:$metrics_port/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

# The EHLO name Postfix recorded for a delivered token ("Received: from EHLO (PTR [IP])").
received_ehlo() {
  local file
  file=$(lab_find_mail "token $1" 30) || fail "token $1 not delivered"
  grep -m1 -i "^Received: from .*\[$MAILROOM_LAB_SENDER_IP4\]" "$file" | awk '{print $3}'
}

config_volume_swap_reloads() {
  # The config as the operator mounts it: a ConfigMap volume, the file a symlink through ..data.
  write_config "      addressFamily: IPv4
      sourceAddresses: [\"$MAILROOM_LAB_SENDER_IP4\"]"
  cp "$work/sidecar.yaml" "$work/gen1.yaml"
  kube_volume_write "$work/config" sidecar.yaml="$work/gen1.yaml"
  config_path=$work/config/sidecar.yaml start_sidecar
  grep -q '"msg":"mailroom-sidecar started".*"generation":1,"hash":"[0-9a-f]\{16\}"' "$work/sidecar.log" ||
    fail "the start line does not name generation 1 and its hash"
  local t1=swap1-$RANDOM$RANDOM t2=swap2-$RANDOM$RANDOM t3=swap3-$RANDOM$RANDOM out
  out=$(send "$t1" "user@$MAILROOM_LAB_RCPT_DOMAIN" --wait 30s) || fail "send 1: $out"
  [[ $(received_ehlo "$t1") == "$MAILROOM_LAB_SENDER_HOST" ]] || fail "gen 1 EHLO: $(received_ehlo "$t1")"

  # Generation 2 names another EHLO name: swapped in, no signal, no restart.
  write_config "      addressFamily: IPv4
      sourceAddresses: [\"$MAILROOM_LAB_SENDER_IP4\"]
      ehloHostname: swapped.$MAILROOM_LAB_SENDER_DOMAIN"
  cp "$work/sidecar.yaml" "$work/gen2.yaml"
  kube_volume_write "$work/config" sidecar.yaml="$work/gen2.yaml"
  wait_log 1 '"msg":"config reloaded"'
  grep '"msg":"config reloaded"' "$work/sidecar.log" | grep -q '"trigger":"file change".*"generation":2' ||
    fail "reload line: $(grep '"msg":"config reloaded"' "$work/sidecar.log")"
  out=$(send "$t2" "user@$MAILROOM_LAB_RCPT_DOMAIN" --wait 30s) || fail "send 2: $out"
  [[ $(received_ehlo "$t2") == "swapped.$MAILROOM_LAB_SENDER_DOMAIN" ]] ||
    fail "the swapped config is not in force: EHLO $(received_ehlo "$t2")"
  [[ $(metric mailroom_config_generation) == 2 ]] || fail "generation metric: $(metric mailroom_config_generation)"

  # A broken config swapped in: reported with its line, counted, generation 2 stays in force.
  cp "$work/gen2.yaml" "$work/broken.yaml"
  printf 'transports:\n  - name: t\n    direct: {addressFamily: IPv5}\n' >>"$work/broken.yaml"
  kube_volume_write "$work/config" sidecar.yaml="$work/broken.yaml"
  wait_log 1 '"msg":"config reload failed'
  grep '"msg":"config reload failed' "$work/sidecar.log" | grep -q 'sidecar.yaml:[0-9]*: .*"generation":2' ||
    fail "rejection line: $(grep 'reload failed' "$work/sidecar.log")"
  [[ $(metric 'mailroom_config_reloads_total{result="rejected"}') == 1 ]] || fail "rejection not counted"
  kill -0 "$sidecar_pid" || fail "the sidecar died on a broken config"
  out=$(send "$t3" "user@$MAILROOM_LAB_RCPT_DOMAIN" --wait 30s) || fail "send 3: $out"
  [[ $(received_ehlo "$t3") == "swapped.$MAILROOM_LAB_SENDER_DOMAIN" ]] ||
    fail "generation 2 not kept: EHLO $(received_ehlo "$t3")"
  [[ $(metric mailroom_config_generation) == 2 ]] || fail "generation moved on a rejected config"
  in_sender curl -fsS "http://127.0.0.1:$metrics_port/healthz" | grep -q '^config generation 2 ([0-9a-f]*)$' ||
    fail "/healthz does not name generation 2"
  echo "ok: a kubelet-style ..data swap changed the EHLO name without a restart (generation 2); a broken one was refused and counted, generation 2 stayed"
}

key_volume_swap_signs_with_new_key() {
  # Selector $sel publishes key B; the mounted Secret holds key A first, then B (a rotation of
  # the file under the same name, config untouched).
  local sel=swap$RANDOM
  openssl genpkey -algorithm ed25519 -out "$work/a.pem" 2>/dev/null
  openssl genpkey -algorithm ed25519 -out "$work/b.pem" 2>/dev/null
  local pub
  pub=$(openssl pkey -in "$work/b.pem" -pubout -outform DER | tail -c 32 | base64 -w0)
  lab_rrset_replace "$MAILROOM_LAB_SENDER_DOMAIN" "$sel._domainkey.$MAILROOM_LAB_SENDER_DOMAIN" TXT 60 \
    "\"v=DKIM1; k=ed25519; p=$pub\"" >/dev/null
  local name=$sel._domainkey.$MAILROOM_LAB_SENDER_DOMAIN.pem
  kube_volume_write "$work/keys" "$name=$work/a.pem"
  write_config "      addressFamily: IPv4
      sourceAddresses: [\"$MAILROOM_LAB_SENDER_IP4\"]" "dkim:
  keys:
    - {domain: $MAILROOM_LAB_SENDER_DOMAIN, selector: $sel, algorithm: ed25519-sha256, keyFile: $work/keys/$name}"
  start_sidecar
  local t1=keya-$RANDOM$RANDOM t2=keyb-$RANDOM$RANDOM out file
  out=$(send "$t1" "user@$MAILROOM_LAB_RCPT_DOMAIN" --wait 30s) || fail "send 1: $out"
  file=$(lab_find_mail "token $t1" 30) || fail "not delivered"
  [[ $(dkim_results "$file") == dkim=fail ]] || fail "key A against record B: OpenDKIM says $(dkim_results "$file")"

  kube_volume_write "$work/keys" "$name=$work/b.pem"
  wait_log 1 '"msg":"config reloaded"'
  grep '"msg":"config reloaded"' "$work/sidecar.log" | grep -q "\"changed\":\"$work/keys/$name\".*\"generation\":2" ||
    fail "reload line: $(grep '"msg":"config reloaded"' "$work/sidecar.log")"
  out=$(send "$t2" "user@$MAILROOM_LAB_RCPT_DOMAIN" --wait 30s) || fail "send 2: $out"
  file=$(lab_find_mail "token $t2" 30) || fail "not delivered"
  [[ $(dkim_results "$file") == dkim=pass ]] || fail "after the swap OpenDKIM says $(dkim_results "$file")"
  lab_rrset_delete "$MAILROOM_LAB_SENDER_DOMAIN" "$sel._domainkey.$MAILROOM_LAB_SENDER_DOMAIN" TXT >/dev/null || true
  echo "ok: a kubelet-style swap of the key Secret signs with the new key (dkim=fail before, dkim=pass after), generation 2"
}

probes_listener_exposed_grpc_loopback() {
  write_config "      addressFamily: IPv4
      sourceAddresses: [\"$MAILROOM_LAB_SENDER_IP4\"]"
  # gRPC on a non-loopback address stays refused, listen.exposeMetrics or not.
  sed -i "s|^  grpc: \[\"127.0.0.1:0\"\]$|  grpc: [\"$MAILROOM_LAB_SENDER_IP4:0\"]|; s|^  metrics: 127.0.0.1:0$|  metrics: \"$MAILROOM_LAB_SENDER_IP4:0\"\n  exposeMetrics: true|" "$work/sidecar.yaml"
  local out rc=0
  out=$("$sidecar" --config "$work/sidecar.yaml" --check 2>&1) || rc=$?
  [[ $rc == 2 ]] && grep -q 'listen.grpc\[0\]: .* is not a loopback address' <<<"$out" ||
    fail "gRPC on $MAILROOM_LAB_SENDER_IP4 was not refused (exit $rc): $out"
  # Without exposeMetrics a non-loopback metrics address is refused, naming the option.
  write_config "      addressFamily: IPv4
      sourceAddresses: [\"$MAILROOM_LAB_SENDER_IP4\"]"
  sed -i "s|^  metrics: 127.0.0.1:0$|  metrics: \"$MAILROOM_LAB_SENDER_IP4:0\"|" "$work/sidecar.yaml"
  rc=0
  out=$("$sidecar" --config "$work/sidecar.yaml" --check 2>&1) || rc=$?
  [[ $rc == 2 ]] && grep -q 'unless listen.exposeMetrics is true' <<<"$out" || fail "not refused (exit $rc): $out"
  # With it: probes and metrics on the lab address, reached from another network namespace.
  sed -i "s|^  metrics: \"$MAILROOM_LAB_SENDER_IP4:0\"$|&\n  exposeMetrics: true|" "$work/sidecar.yaml"
  start_sidecar
  local base="http://$MAILROOM_LAB_SENDER_IP4:$metrics_port" peer=(ip netns exec "$MAILROOM_LAB_NS_MX")
  out=$("${peer[@]}" curl -sS -w ' %{http_code}' "$base/readyz") || fail "/readyz unreachable: $out"
  grep -q '^ok$' <<<"$out" && [[ $out == *" 200" ]] || fail "/readyz: $out"
  out=$("${peer[@]}" curl -sS -w ' %{http_code}' "$base/healthz") || fail "/healthz unreachable"
  grep -q '^config generation 1 ' <<<"$out" && [[ $out == *" 200" ]] || fail "/healthz: $out"
  "${peer[@]}" curl -fsS "$base/metrics" | grep -q '^mailroom_config_generation 1$' || fail "/metrics without the generation"
  [[ $("${peer[@]}" curl -sS -o /dev/null -w '%{http_code}' "$base/debug") == 404 ]] || fail "serves more than probes and metrics"
  [[ $("${peer[@]}" curl -sS -o /dev/null -w '%{http_code}' -X POST "$base/metrics") == 405 ]] || fail "accepts POST"
  # gRPC is still on loopback only: the lab address refuses it, loopback takes mail.
  "${peer[@]}" timeout 5 bash -c "exec 3<>/dev/tcp/$MAILROOM_LAB_SENDER_IP4/$grpc_port" 2>/dev/null &&
    fail "gRPC port $grpc_port answers on $MAILROOM_LAB_SENDER_IP4"
  out=$(send probes-$RANDOM "user@$MAILROOM_LAB_RCPT_DOMAIN" --wait 30s) || fail "send over loopback gRPC: $out"
  echo "ok: /readyz, /healthz, /metrics answer on $MAILROOM_LAB_SENDER_IP4 from another namespace (nothing else); gRPC refused there, served on loopback"
}

"$scenario"
