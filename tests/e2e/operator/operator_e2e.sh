#!/usr/bin/env bash
# End-to-end test of mailroom-operator against a real kube-apiserver 1.20 and etcd
# (hack/kube/up.sh), in this order:
#   1. create  -> finalizer, status.records and conditions appear
#   2. update  -> status follows, observedGeneration moves, lastTransitionTime does not
#   3. delete  -> our finalizer is removed (a foreign one is kept), then the object is gone
#   4. 409     -> a burst of concurrent spec writes makes status patches conflict; the operator
#                 re-reads and converges (audit log shows the 409s and the final status is right)
#   5. restart -> kube-apiserver restarted (etcd kept): the same operator process keeps working
#   6. 410     -> operator paused, changes made, etcd compacted, apiserver restarted: the watch
#                 gets 410 Gone, the operator relists and misses nothing
#   7. HA      -> two replicas with --leader-elect: only the leader writes; killing it hands over
#                 within the lease duration
#   8. idle    -> a fresh operator on a converged cluster makes zero writes in 60 seconds
# The operator runs with --health-interval 0 and its DNS pointed at a closed loopback port: no lab
# DNS here, and neither the health checks nor the DKIM key activation may query the host's
# resolver; tests/e2e/maildomain runs them against the lab.
# Usage: operator_e2e.sh path/to/mailroom-operator. Exit 77 (CTest skip) when not root or when
# the API server binaries are missing and cannot be built here.
set -euo pipefail

operator=${1:?usage: operator_e2e.sh path/to/mailroom-operator}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
cache=${MAILROOM_KUBE_CACHE:-/var/cache/mailroom/kube}
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
pass() { echo "ok: $*"; }
trap 'echo "FAIL: line $LINENO: \"$BASH_COMMAND\" exited $?" >&2' ERR

if [[ $(id -u) != 0 ]]; then
  echo "SKIP: needs root (the API server's state and etcd run as root here)" >&2
  exit 77
fi
[[ -x $operator ]] || { echo "FAIL: $operator not built" >&2; exit 1; }
if [[ ! -x $cache/bin/kube-apiserver || ! -x $cache/bin/kubectl ]]; then
  if ! command -v /usr/lib/go-1.19/bin/go >/dev/null; then
    echo "SKIP: $cache/bin/kube-apiserver missing and Go 1.19 absent (hack/install-deps.sh)" >&2
    exit 77
  fi
  echo "building kube-apiserver into $cache (hack/kube/build.sh)"
  "$root/hack/kube/build.sh" >/dev/null
fi
command -v etcdctl >/dev/null || { echo "SKIP: etcdctl missing (package etcd-client)" >&2; exit 77; }

export MAILROOM_KUBE_DIR
MAILROOM_KUBE_DIR=$(mktemp -d /tmp/mailroom-kube-op-e2e.XXXXXX)
work="$MAILROOM_KUBE_DIR/operator-e2e"
mkdir -p "$work"
pids=()
cleanup() {
  local rc=$?
  for p in "${pids[@]}"; do kill -CONT "$p" 2>/dev/null || true; kill -TERM "$p" 2>/dev/null || true; done
  if ((rc != 0 || failures != 0)); then
    for f in "$work"/*.log; do
      echo "--- $f (tail)" >&2
      tail -n 15 "$f" >&2 || true
    done
    "$root/hack/kube/down.sh" || true
    echo "state kept in $MAILROOM_KUBE_DIR" >&2
  else
    "$root/hack/kube/down.sh" --purge || true
  fi
}
trap cleanup EXIT
"$root/hack/kube/up.sh" >/dev/null
# shellcheck disable=SC1091
source "$MAILROOM_KUBE_DIR/env"
ns=mailroom-e2e
k() { "$MAILROOM_KUBECTL" --kubeconfig "$MAILROOM_KUBE_KUBECONFIG" "$@"; }
kn() { k -n "$ns" "$@"; }
k apply -f "$root/crds/" >/dev/null
k wait --for condition=established --timeout=60s crd/maildomains.mailroom.dev >/dev/null
k create namespace "$ns" >/dev/null

# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND (an API server outside this process has
# nothing to wait on) until it succeeds or the deadline passes.
wait_for() {
  local secs=$1 desc=$2
  shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      fail "$desc (not within ${secs}s)"
      return 1
    fi
    sleep 0.2
  done
  pass "$desc"
}
jp() { kn get maildomain "$1" -o "jsonpath=$2"; }
equals() { [[ $(jp "$1" "$2") == "$3" ]]; }
contains() { [[ $(jp "$1" "$2") == *"$3"* ]]; }
converged() { # name: observedGeneration == generation everywhere
  local g c
  g=$(jp "$1" '{.metadata.generation}')
  [[ -n $g && $(jp "$1" '{.status.observedGeneration}') == "$g" ]] || return 1
  for c in $(jp "$1" '{.status.conditions[*].observedGeneration}'); do [[ $c == "$g" ]] || return 1; done
}
spec_patch() { kn patch maildomain "$1" --type merge -p "{\"spec\":$2}" >/dev/null; }

start_operator() { # identity, extra flags...
  local id=$1
  shift
  "$operator" --kubeconfig "$MAILROOM_KUBE_OPERATOR_KUBECONFIG" --namespace "$ns" \
    --metrics-addr 127.0.0.1:0 --identity "$id" --resync 3600 --health-interval 0 \
    --resolver 127.0.0.1:9 --authoritative-server 127.0.0.1:9 "$@" \
    >"$work/$id.log" 2>&1 &
  pids+=($!)
  last_pid=$!
}
# audit_writes IDENTITY FROM_LINE [resource] [subresource] [code]: write requests by that replica
# (its User-Agent) in the audit log after line FROM_LINE.
audit_writes() {
  python3 - "$MAILROOM_KUBE_AUDIT_LOG" "$@" <<'PY'
import json, sys
log, ident, start = sys.argv[1], sys.argv[2], int(sys.argv[3])
want = sys.argv[4:] + [None] * 3
n = 0
with open(log) as f:
    for i, line in enumerate(f):
        if i < start:
            continue
        e = json.loads(line)
        if f"({ident})" not in e.get("userAgent", ""):
            continue
        ref = e.get("objectRef", {})
        if want[0] and ref.get("resource") != want[0]: continue
        if want[1] is not None and ref.get("subresource", "") != want[1]: continue
        if want[2] and str(e.get("responseStatus", {}).get("code")) != want[2]: continue
        n += 1
print(n)
PY
}
dead() { ! kill -0 "$1" 2>/dev/null; }
audit_lines() { wc -l <"$MAILROOM_KUBE_AUDIT_LOG"; }
restart_apiserver() {
  local pid cmd
  pid=$(cat "$MAILROOM_KUBE_DIR/apiserver.pid")
  mapfile -d '' cmd <"/proc/$pid/cmdline"
  kill -TERM "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  setsid "${cmd[@]}" >>"$MAILROOM_KUBE_DIR/apiserver.log" 2>&1 </dev/null &
  echo $! >"$MAILROOM_KUBE_DIR/apiserver.pid"
  wait_for 120 "kube-apiserver restarted and ready" \
    curl -fsS --max-time 5 --cacert "$MAILROOM_KUBE_CA" \
    -H "Authorization: Bearer $MAILROOM_KUBE_ADMIN_TOKEN" "$MAILROOM_KUBE_SERVER/readyz"
}

# --- 1. create ---------------------------------------------------------------------------------
start_operator op-main
main_pid=$last_pid
kn apply -f - >/dev/null <<'YAML'
apiVersion: mailroom.dev/v1alpha1
kind: MailDomain
metadata: {name: alpha}
spec:
  domain: alpha.example
  sendingIPs: ["198.51.100.20", "2001:db8:20::1"]
  dkim: {selectors: [{name: s1, algorithm: ed25519-sha256}]}
  dmarc: {policy: reject, rua: ["mailto:agg@alpha.example"]}
YAML
wait_for 60 "create: status.records computed" \
  equals alpha '{.status.records[*].purpose}' "SPF DKIM DMARC"
wait_for 10 "create: Ready=False DNSProviderNotConfigured" \
  equals alpha '{.status.conditions[?(@.type=="Ready")].reason}' DNSProviderNotConfigured
equals alpha '{.metadata.finalizers}' '["mailroom.dev/dns-records"]' &&
  pass "create: finalizer added" || fail "create: finalizers $(jp alpha '{.metadata.finalizers}')"
equals alpha '{.status.records[0].values[0]}' 'v=spf1 ip4:198.51.100.20 ip6:2001:db8:20::1 ~all' &&
  pass "create: SPF record" || fail "create: SPF $(jp alpha '{.status.records[0].values[0]}')"
contains alpha '{.status.records[1].values[0]}' 'v=DKIM1; k=ed25519; p=' &&
  pass "create: DKIM key generated, its record wanted" ||
  fail "create: DKIM $(jp alpha '{.status.records[1].values[0]}')"
equals alpha '{.status.dkimKeys[0].phase}' Pending &&
  pass "create: the key does not sign before its record is served" ||
  fail "create: key phase $(jp alpha '{.status.dkimKeys[0].phase}')"
[[ -n $(kn get secret alpha-dkim-s1 -o name 2>/dev/null) ]] && pass "create: key Secret alpha-dkim-s1" ||
  fail "create: no key Secret ($(kn get secrets -o name | tr '\n' ' '))"
converged alpha && pass "create: observedGeneration 1" || fail "create: not converged"
events() {
  kn get events --field-selector "involvedObject.kind=MailDomain,involvedObject.name=$1" \
    -o 'jsonpath={range .items[*]}{.type}/{.reason} {end}'
}
has_transition_events() {
  local e
  e=$(events "$1")
  [[ $e == *Warning/DNSProviderNotConfigured* && $e == *Normal/RecordsComputed* ]]
}
wait_for 20 "create: Events for the transitions" has_transition_events alpha

# --- 2. update ---------------------------------------------------------------------------------
ltt=$(jp alpha '{.status.conditions[?(@.type=="Ready")].lastTransitionTime}')
spec_patch alpha '{"spf":{"policy":"-all"}}'
wait_for 30 "update: SPF follows the spec" contains alpha '{.status.records[0].values[0]}' ' -all'
wait_for 10 "update: observedGeneration 2 in status and conditions" converged alpha
[[ $(jp alpha '{.status.conditions[?(@.type=="Ready")].lastTransitionTime}') == "$ltt" ]] &&
  pass "update: Ready did not flip, lastTransitionTime kept" || fail "update: lastTransitionTime moved"

# --- 3. delete ---------------------------------------------------------------------------------
kn apply -f - >/dev/null <<'YAML'
apiVersion: mailroom.dev/v1alpha1
kind: MailDomain
metadata: {name: beta, finalizers: ["example.com/keep"]}
spec: {domain: beta.example}
YAML
wait_for 30 "delete: our finalizer added next to a foreign one" \
  equals beta '{.metadata.finalizers}' '["example.com/keep","mailroom.dev/dns-records"]'
kn delete maildomain beta --wait=false >/dev/null
wait_for 30 "delete: our finalizer removed, the foreign one kept" \
  equals beta '{.metadata.finalizers}' '["example.com/keep"]'
kn patch maildomain beta --type json -p '[{"op":"remove","path":"/metadata/finalizers"}]' >/dev/null
kn delete maildomain alpha --wait=false >/dev/null
gone() { ! kn get maildomain "$1" >/dev/null 2>&1; }
wait_for 30 "delete: alpha gone" gone alpha
wait_for 30 "delete: beta gone" gone beta

# --- 4. 409 on status writes -------------------------------------------------------------------
kn apply -f - >/dev/null <<'YAML'
apiVersion: mailroom.dev/v1alpha1
kind: MailDomain
metadata: {name: gamma}
spec: {domain: gamma.example, sendingIPs: ["203.0.113.30"], dmarc: {policy: none}}
YAML
wait_for 60 "409: gamma converged" converged gamma
from=$(audit_lines)
conflicts=0
for round in 1 2 3 4 5; do
  # Spec writes back to back: each makes the operator write status with the resourceVersion
  # it read, which the next spec write has usually made stale.
  for i in $(seq 1 25); do
    curl -fsS -o /dev/null --max-time 10 --cacert "$MAILROOM_KUBE_CA" -X PATCH \
      -H "Authorization: Bearer $MAILROOM_KUBE_ADMIN_TOKEN" \
      -H "Content-Type: application/merge-patch+json" \
      --data "{\"spec\":{\"dmarc\":{\"pct\":$((round * 10 + i % 10))}}}" \
      "$MAILROOM_KUBE_SERVER/apis/mailroom.dev/v1alpha1/namespaces/$ns/maildomains/gamma"
  done
  last_pct=$((round * 10 + 25 % 10))
  wait_for 60 "409: round $round converged to the last spec" converged gamma || break
  conflicts=$(audit_writes op-main "$from" maildomains status 409)
  ((conflicts > 0)) && break
done
if ((conflicts > 0)); then
  pass "409: $conflicts status patches conflicted and were retried"
else
  fail "409: could not provoke a conflict in 5 rounds"
fi
contains gamma '{.status.records[1].values[0]}' "pct=$last_pct" &&
  pass "409: final status shows the last spec (pct=$last_pct)" ||
  fail "409: DMARC $(jp gamma '{.status.records[1].values[0]}')"

# --- 5. API server restart -----------------------------------------------------------------------
restart_apiserver
spec_patch gamma '{"dmarc":{"policy":"quarantine"}}'
wait_for 90 "restart: watch resumed, status follows" contains gamma '{.status.records[1].values[0]}' "p=quarantine"
kill -0 "$main_pid" && pass "restart: same operator process" || fail "restart: operator exited"

# --- 6. 410 Gone after compaction -----------------------------------------------------------------
kill -STOP "$main_pid"
spec_patch gamma '{"dmarc":{"policy":"reject"}}'
kn apply -f - >/dev/null <<'YAML'
apiVersion: mailroom.dev/v1alpha1
kind: MailDomain
metadata: {name: delta}
spec: {domain: delta.example}
YAML
rev=$(etcdctl --endpoints "$MAILROOM_KUBE_ETCD" endpoint status -w json |
  python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Status"]["header"]["revision"])')
etcdctl --endpoints "$MAILROOM_KUBE_ETCD" compact "$rev" >/dev/null && pass "410: etcd compacted at $rev"
restart_apiserver
kill -CONT "$main_pid"
wait_for 90 "410: change made while paused reconciled" contains gamma '{.status.records[1].values[0]}' "p=reject"
wait_for 30 "410: object created while paused reconciled" converged delta
grep -q '410 Gone' "$work/op-main.log" && pass "410: operator relisted after 410 Gone" ||
  fail "410: no relist in the operator log"

# --- 7. leader election ----------------------------------------------------------------------------
kill -TERM "$main_pid"
wait_for 15 "SIGTERM: operator exits" dead "$main_pid"
grep -q '"msg":"stopped"' "$work/op-main.log" && pass "SIGTERM: graceful stop" || fail "SIGTERM: no clean stop"
lease_is() { [[ $(kn get lease mailroom-operator -o 'jsonpath={.spec.holderIdentity}') == "$1" ]]; }
start_operator op-a --leader-elect
a_pid=$last_pid
wait_for 30 "HA: op-a holds the lease" lease_is op-a
start_operator op-b --leader-elect
b_pid=$last_pid
from=$(audit_lines)
spec_patch gamma '{"dmarc":{"pct":77}}'
wait_for 30 "HA: leader reconciles" contains gamma '{.status.records[1].values[0]}' "pct=77"
a_writes=$(audit_writes op-a "$from" maildomains)
b_writes=$(audit_writes op-b "$from" maildomains)
((a_writes >= 1 && b_writes == 0)) && pass "HA: only the leader wrote (op-a $a_writes, op-b 0)" ||
  fail "HA: op-a wrote $a_writes, op-b wrote $b_writes"
kill -KILL "$a_pid"
killed_at=$SECONDS
wait_for 30 "HA: op-b takes the lease" lease_is op-b
took=$((SECONDS - killed_at))
((took <= 15 + 2 + 3)) && pass "HA: hand-over in ${took}s (lease 15s + retry 2s)" ||
  fail "HA: hand-over took ${took}s"
spec_patch gamma '{"dmarc":{"pct":78}}'
wait_for 30 "HA: new leader reconciles" contains gamma '{.status.records[1].values[0]}' "pct=78"
kill -TERM "$b_pid"
wait_for 15 "HA: op-b stops" dead "$b_pid"

# --- 8. idle: zero writes ---------------------------------------------------------------------------
from=$(audit_lines)
start_operator op-idle
idle_pid=$last_pid
wait_for 30 "idle: operator synced" grep -q '"msg":"mailroom-operator started"' "$work/op-idle.log"
# Sixty seconds of wall time is what is being measured here, not a synchronization.
sleep 60
idle_writes=$(audit_writes op-idle "$from")
((idle_writes == 0)) && pass "idle: zero writes in 60s" || fail "idle: $idle_writes writes in 60s"
# The operator's own view: probes answer, it listed and watched, and counted no writes.
port=$(grep -o '"msg":"metrics listening","port":[0-9]*' "$work/op-idle.log" | grep -o '[0-9]*$')
url="http://127.0.0.1:$port"
curl -fsS --max-time 5 "$url/healthz" >/dev/null && curl -fsS --max-time 5 "$url/readyz" >/dev/null &&
  pass "idle: /healthz and /readyz answer" || fail "idle: probes on port $port"
metrics=$(curl -fsS --max-time 5 "$url/metrics")
grep -Eq 'mailroom_operator_kube_requests_total\{[^}]*verb="list"[^}]*code="200"' <<<"$metrics" &&
  grep -Eq 'mailroom_operator_kube_requests_total\{[^}]*verb="watch"' <<<"$metrics" &&
  pass "idle: /metrics counts list and watch requests" || fail "idle: request metrics missing"
grep -Eq 'mailroom_operator_kube_requests_total\{[^}]*verb="(create|update|patch)"' <<<"$metrics" &&
  fail "idle: the operator counted writes itself" || pass "idle: the operator counted no writes"
spec_patch gamma '{"dmarc":{"pct":79}}'
wait_for 30 "idle: the idle operator was live (reconciles a change)" \
  contains gamma '{.status.records[1].values[0]}' "pct=79"
kill -TERM "$idle_pid"

if ((failures > 0)); then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all operator e2e checks passed"
