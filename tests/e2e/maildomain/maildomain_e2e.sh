#!/usr/bin/env bash
# End to end: apply a MailDomain, and within a minute its records are in the zone, its DKIM key
# exists and signs only once served, and `kubectl get maildomains` tells the truth about SPF,
# DKIM, DMARC and PTR per family. Real peers: kube-apiserver 1.20 + etcd (hack/kube) and the
# operator run inside the lab's sender namespace (mr-sender), next to the lab's PowerDNS
# (hack/lab, docs/lab.md), which is the DNS provider, the authoritative server and the resolver.
#   1. foreign records (an SPF record, a site-verification token) are seeded in a test zone
#   2. the MailDomain is applied: SPF merged into the foreign record, DMARC, DKIM published;
#      the key becomes Active; SPF/DKIM/DMARC Pass and PTR Fail (2001:db8:5::10 has no PTR)
#   3. a PTR for 2001:db8:5::10 is added: PTR Pass
#   4. steady state: no writes to the API server by the operator while it keeps checking
#   5. delete: only Mailroom's values leave the zone; the foreign ones stay
# Usage: maildomain_e2e.sh path/to/mailroom-operator. Exit 77 (CTest skip) without root or the
# lab's tools; MAILROOM_E2E_REQUIRED=1 turns that into a failure.
set -euo pipefail
operator=${1:?usage: maildomain_e2e.sh path/to/mailroom-operator}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
lab=$root/hack/lab
cache=${MAILROOM_KUBE_CACHE:-/var/cache/mailroom/kube}

# shellcheck disable=SC1091
. "$root/tests/e2e/lib.sh"

[[ $(id -u) == 0 ]] || skip "needs root (network namespaces, the API server's state)"
[[ -x $operator ]] || { echo "FAIL: $operator not built" >&2; exit 1; }
for c in dig jq curl ip; do command -v "$c" >/dev/null || skip "missing $c (hack/install-deps.sh)"; done
if [[ ! -x $cache/bin/kube-apiserver || ! -x $cache/bin/kubectl ]]; then
  command -v /usr/lib/go-1.19/bin/go >/dev/null ||
    skip "$cache/bin/kube-apiserver missing and Go 1.19 absent (hack/install-deps.sh)"
  echo "building kube-apiserver into $cache (hack/kube/build.sh)"
  "$root/hack/kube/build.sh" >/dev/null
fi
# shellcheck disable=SC1091
. "$lab/lib.sh"
started=0
if ! lab_is_up; then
  "$lab/up.sh"
  started=1
  . "$lab/lib.sh" # a fresh lab has a new API key
fi

zone=e2e-md.example.org
ns=mail
v6=$MAILROOM_LAB_SENDER_IP6
v6ptr=$(python3 -c "import ipaddress,sys; print(ipaddress.ip_address(sys.argv[1]).reverse_pointer)" "$v6")
v6zone=0.0.0.0.5.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa
export MAILROOM_KUBE_DIR
MAILROOM_KUBE_DIR=$(mktemp -d /tmp/mailroom-kube-md-e2e.XXXXXX)
work=$MAILROOM_KUBE_DIR/maildomain-e2e
mkdir -p "$work"
op_pid=
in_sender() { lab_in "$MAILROOM_LAB_NS_SENDER" "$@"; }
cleanup() {
  local rc=$?
  if [[ -n $op_pid ]]; then
    kill -TERM "$op_pid" 2>/dev/null || true
    wait "$op_pid" 2>/dev/null || true
  fi
  lab_rrset_delete "$v6zone" "$v6ptr" PTR >/dev/null 2>&1 || true
  lab_pdns_api DELETE "/zones/$zone." >/dev/null 2>&1 || true
  if ((rc != 0 || failures != 0)); then
    echo "--- the MailDomain" >&2
    kn get maildomain shop -o yaml >&2 || true
    echo "--- operator log (tail)" >&2
    tail -n 30 "$work/operator.log" >&2 || true
    in_sender "$root/hack/kube/down.sh" || true
    echo "state kept in $MAILROOM_KUBE_DIR" >&2
  else
    in_sender "$root/hack/kube/down.sh" --purge || true
  fi
  if ((started)); then "$lab/down.sh" || true; fi
}
trap cleanup EXIT

# --- the cluster, inside mr-sender (its loopback), and the test zone ----------------------------
in_sender env MAILROOM_KUBE_OWNER_PID=$$ "$root/hack/kube/up.sh" >/dev/null
# shellcheck disable=SC1091
source "$MAILROOM_KUBE_DIR/env"
k() { in_sender "$MAILROOM_KUBECTL" --kubeconfig "$MAILROOM_KUBE_KUBECONFIG" "$@"; }
kn() { k -n "$ns" "$@"; }
k apply -f "$root/crds/" >/dev/null
k wait --for condition=established --timeout=60s crd/maildomains.mailroom.dev crd/transports.mailroom.dev >/dev/null
k create namespace "$ns" >/dev/null

lab_pdns_api POST /zones \
  "{\"name\":\"$zone.\",\"kind\":\"Native\",\"nameservers\":[\"$MAILROOM_LAB_NS_HOST.\"]}" >/dev/null
foreign_spf='v=spf1 ip4:203.0.113.5 ~all'
gsv='google-site-verification=e2e-md-7a1'
lab_rrset_replace "$zone" "$zone" TXT 3600 "\"$foreign_spf\"" "\"$gsv\"" >/dev/null
txt() { # NAME: logical TXT values as the authoritative server answers, sorted
  in_sender dig +short +norecurse @"$MAILROOM_LAB_DNS_IP4" TXT "$1" |
    sed -e 's/" "//g' -e 's/^"//' -e 's/"$//' | sort
}

kn create secret generic pdns-api --from-file=api-key="$MAILROOM_LAB_PDNS_API_KEY_FILE" >/dev/null
kn apply -f - >/dev/null <<YAML
apiVersion: mailroom.dev/v1alpha1
kind: Transport
metadata: {name: dual-stack}
spec:
  mode: direct
  direct:
    addressFamily: Any
    preferredFamily: IPv6
    sourceAddresses: ["$MAILROOM_LAB_SENDER_IP4", "$v6"]
    ehloHostname: mail.example.com
---
apiVersion: mailroom.dev/v1alpha1
kind: MailDomain
metadata: {name: shop}
spec:
  domain: $zone
  dnsProvider:
    kind: PowerDNS
    url: http://$MAILROOM_LAB_DNS_IP4:$MAILROOM_LAB_PDNS_API_PORT
    credentialsSecretRef: {name: pdns-api, key: api-key}
  dkim:
    selectors: [{name: ed, algorithm: ed25519-sha256}]
  dmarc: {policy: reject}
  transportRefs: [{name: dual-stack}]
YAML

# The operator, as a user runs it by hand (README), pointed at the lab's DNS for its checks.
# (ip netns exec execs the operator, so $! is the operator itself, which cleanup stops.)
ip netns exec "$MAILROOM_LAB_NS_SENDER" "$operator" --kubeconfig "$MAILROOM_KUBE_OPERATOR_KUBECONFIG" --namespace "$ns" \
  --metrics-addr 127.0.0.1:0 --identity op-md --cluster-name lab \
  --resolver "$MAILROOM_LAB_DNS_IP4" --authoritative-server "$MAILROOM_LAB_DNS_IP4" \
  --health-interval 3 >"$work/operator.log" 2>&1 &
op_pid=$!

jp() { kn get maildomain shop -o "jsonpath=$1"; }
cond() { jp "{.status.conditions[?(@.type==\"$1\")].status}"; }
# Predicates for wait_for, which re-runs them (an argument like "$(cond X)" would be evaluated
# once, before the wait).
cond_is() { [[ $(cond "$1") == "$2" ]]; }
jp_is() { [[ $(jp "$1") == "$2" ]]; }
columns_are() { [[ $(columns) == "$1" ]]; }
columns() { kn get maildomain shop --no-headers | awk '{print $2, $3, $4, $5, $6}'; }

# --- 2. apply ---------------------------------------------------------------------------------
t0=$SECONDS
wait_for 60 "records published (DNSPublished=True)" cond_is DNSPublished True
wait_for 60 "DKIM key Active (seen served by the authoritative server)" \
  jp_is '{.status.dkimKeys[0].phase}' Active
wait_for 60 "Ready=True" cond_is Ready True
echo "   ready after $((SECONDS - t0)) s"
expect "one SPF record at the apex" 1 "$(txt "$zone" | grep -c '^v=spf1')"
expect "SPF merged: foreign terms and policy kept, our addresses added" \
  "v=spf1 ip4:203.0.113.5 ip4:$MAILROOM_LAB_SENDER_IP4 ip6:$v6 ~all" "$(txt "$zone" | grep '^v=spf1')"
expect "site-verification token untouched" "$gsv" "$(txt "$zone" | grep site-verification)"
expect "DMARC published" "v=DMARC1; p=reject" "$(txt "_dmarc.$zone")"
dkim=$(txt "ed._domainkey.$zone")
[[ $dkim == "v=DKIM1; k=ed25519; p="* ]] && pass "DKIM key published" || fail "DKIM record: '$dkim'"
expect "ownership recorded apart from the shared RRset" 1 \
  "$(txt "_mailroom-owner.$zone" | grep -c '^heritage=mailroom,cluster=lab,namespace=mail,maildomain=shop' || true)"
active=$(kn get secret shop-dkim-active -o jsonpath='{.data.manifest\.json}' | base64 -d | jq -r '.keys[0].selector')
expect "the active-keys Secret names the served key" ed "$active"
wait_for 30 "kubectl get md: SPF Pass, DKIM Pass, DMARC Pass, PTR Fail" \
  columns_are "$zone Pass Pass Pass Fail"
ptrmsg=$(jp '{.status.conditions[?(@.type=="PTRValid")].message}')
[[ $ptrmsg == *"$v6"*"no PTR"* && $ptrmsg == *"Transport dual-stack"*"addressFamily: IPv4"* ]] &&
  pass "PTRValid says what to do" || fail "PTRValid message: $ptrmsg"
expect "per-IP check: the IPv6 address is not forward-confirmed" false \
  "$(jp "{.status.checks[?(@.ip==\"$v6\")].forwardConfirmed}")"
kn get maildomain shop

# --- 3. the PTR appears -------------------------------------------------------------------------
lab_rrset_replace "$v6zone" "$v6ptr" PTR 60 "mail.example.com." >/dev/null
wait_for 30 "PTR Pass once the IPv6 PTR exists" jp_is '{.status.ptr}' Pass
lab_rrset_delete "$v6zone" "$v6ptr" PTR >/dev/null
wait_for 30 "PTR Fail again once it is gone" jp_is '{.status.ptr}' Fail

# --- 4. steady state ----------------------------------------------------------------------------
writes() { # by the operator (its User-Agent) in the audit log after line $1
  tail -n +"$(($1 + 1))" "$MAILROOM_KUBE_AUDIT_LOG" | grep -c '(op-md)' || true
}
from=$(wc -l <"$MAILROOM_KUBE_AUDIT_LOG")
sleep 12 # four health re-checks
expect "12 s of re-checks with nothing changed: zero API writes" 0 "$(writes "$from")"

# --- 5. delete ----------------------------------------------------------------------------------
kn delete maildomain shop --wait=true --timeout=60s >/dev/null
expect "deleted: only the foreign SPF record stays" "$foreign_spf" "$(txt "$zone" | grep '^v=spf1')"
expect "deleted: token still there" "$gsv" "$(txt "$zone" | grep site-verification)"
expect "deleted: DMARC gone" "" "$(txt "_dmarc.$zone")"
expect "deleted: DKIM record gone" "" "$(txt "ed._domainkey.$zone")"
expect "deleted: ownership record gone" "" "$(txt "_mailroom-owner.$zone")"

((failures == 0)) || exit 1
echo "e2e.maildomain: all checks passed"
