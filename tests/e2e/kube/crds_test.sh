#!/usr/bin/env bash
# End-to-end test of the MailDomain and Transport CRDs against a real kube-apiserver 1.20
# (hack/kube/up.sh): the CRDs are accepted and become Established, the examples validate and get
# their defaults, every object in invalid/ is rejected with a message naming the field, kubectl
# explain shows the descriptions, printer columns show status, the status subresource and the
# operator's RBAC behave, and write requests land in the audit log.
#
# Builds the API server first when the cache is missing (hack/kube/build.sh, ~5-10 minutes).
# Exit 77 (CTest skip) when that is impossible here (not root and packages missing).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
here="$root/tests/e2e/kube"
cache=${MAILROOM_KUBE_CACHE:-/var/cache/mailroom/kube}
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
pass() { echo "ok: $*"; }
# set -e ends the run on an unexpected error; say where instead of dying silently.
trap 'echo "FAIL: line $LINENO: \"$BASH_COMMAND\" exited $?" >&2' ERR

# --- generated CRDs are current --------------------------------------------------------------
if python3 "$root/crds/generate.py" --check; then
  pass "crds/*.yaml match crds/generate.py"
else
  fail "crds/*.yaml drifted from crds/generate.py"
fi

# --- API server binaries ----------------------------------------------------------------------
if [[ ! -x $cache/bin/kube-apiserver || ! -x $cache/bin/kubectl ]]; then
  parent=$cache
  while [[ ! -d $parent ]]; do parent=$(dirname "$parent"); done
  if [[ $(id -u) != 0 ]] && { [[ ! -x /usr/lib/go-1.19/bin/go ]] || [[ ! -w $parent ]]; }; then
    echo "SKIP: $cache/bin/kube-apiserver missing and cannot build it here (need root or" \
      "hack/install-deps.sh, then hack/kube/build.sh)" >&2
    exit 77
  fi
  echo "building kube-apiserver into $cache (hack/kube/build.sh)"
  "$root/hack/kube/build.sh" >/dev/null
fi
kubectl_bin="$cache/bin/kubectl"

# --- control plane ----------------------------------------------------------------------------
export MAILROOM_KUBE_DIR
MAILROOM_KUBE_DIR=$(mktemp -d /tmp/mailroom-kube-e2e.XXXXXX)
cleanup() {
  local rc=$?
  if ((rc != 0 || failures != 0)); then
    echo "--- apiserver log tail ($MAILROOM_KUBE_DIR/apiserver.log)" >&2
    tail -n 30 "$MAILROOM_KUBE_DIR/apiserver.log" >&2 2>/dev/null || true
    "$root/hack/kube/down.sh" || true
    echo "state kept in $MAILROOM_KUBE_DIR" >&2
  else
    "$root/hack/kube/down.sh" --purge || true
  fi
}
trap cleanup EXIT
# A signal (CTest timeout, Ctrl-C, a closed pipe) must still stop the daemons: exit runs cleanup.
trap 'exit 130' INT TERM HUP PIPE
# If CTest SIGKILLs this script on a timeout, up.sh's watchdog still stops the daemons.
export MAILROOM_KUBE_OWNER_PID=$$
kubeconfig=$("$root/hack/kube/up.sh" | tail -n 1)
[[ -f $kubeconfig ]] || {
  echo "FAIL: up.sh printed no kubeconfig" >&2
  exit 1
}
# shellcheck disable=SC1091
source "$MAILROOM_KUBE_DIR/env"
k() { "$kubectl_bin" --kubeconfig "$kubeconfig" "$@"; }
kop() { "$kubectl_bin" --kubeconfig "$MAILROOM_KUBE_OPERATOR_KUBECONFIG" "$@"; }
pass "kube-apiserver up at $MAILROOM_KUBE_SERVER ($(k version --short 2>/dev/null | tail -n 1))"

# --- CRDs -------------------------------------------------------------------------------------
k apply -f "$root/crds/" >/dev/null
if k wait --for condition=Established --timeout=60s \
  crd/maildomains.mailroom.dev crd/transports.mailroom.dev >/dev/null; then
  pass "CRDs Established"
else
  fail "CRDs not Established"
fi
for crd in maildomains transports; do
  if [[ $(k get crd "$crd.mailroom.dev" -o jsonpath='{.status.conditions[?(@.type=="NonStructuralSchema")].status}') == True ]]; then
    fail "$crd: schema is not structural"
  fi
done

# Discovery (short names, category) reaches kubectl a moment after Established; retry briefly.
retry() { # tries command...
  local n=$1
  shift
  for _ in $(seq 1 "$n"); do
    "$@" && return 0
    sleep 1 # eventual consistency of discovery/OpenAPI publishing; nothing to wait on
  done
  return 1
}
retry 30 k get md >/dev/null 2>&1 || fail "short name md not served"
retry 30 k get mt >/dev/null 2>&1 || fail "short name mt not served"
retry 30 k get mailroom >/dev/null 2>&1 || fail "category mailroom not served"

# --- examples validate --------------------------------------------------------------------------
if out=$(k apply -f "$root/examples/" 2>&1); then
  pass "examples/ accepted: $(echo "$out" | tr '\n' ' ')"
else
  fail "examples/ rejected: $out"
fi
expect_field() { # kind/name jsonpath want
  local got
  got=$(k get "$1" -o jsonpath="{$2}" 2>&1) || true
  if [[ $got == "$3" ]]; then pass "$1 $2 = $3"; else fail "$1 $2 = '$got', want '$3'"; fi
}
expect_field transport/dual-stack .spec.direct.port 25
expect_field transport/dual-stack .spec.direct.tls.policy opportunistic
expect_field transport/ipv4-only .spec.direct.preferredFamily IPv6
expect_field transport/ipv4-only .spec.retry.queueLifetime ""
expect_field transport/smarthost .spec.relay.tls starttls
expect_field transport/ipv4-only .spec.routes[0].priority 10
expect_field maildomain/example-com .spec.dnsProvider.serverID localhost
expect_field maildomain/example-com .spec.dkim.selectors[1].keySize ""
# A minimal MailDomain gets the documented defaults.
k apply -f - >/dev/null <<'EOF'
apiVersion: mailroom.dev/v1alpha1
kind: MailDomain
metadata: {name: minimal}
spec:
  domain: minimal.example.org
  spf: {}
  dmarc: {}
  dkim: {selectors: [{name: s1}]}
EOF
expect_field maildomain/minimal .spec.spf.policy "~all"
expect_field maildomain/minimal .spec.dmarc.policy none
expect_field maildomain/minimal .spec.dmarc.pct 100
expect_field maildomain/minimal .spec.dmarc.adkim r
expect_field maildomain/minimal .spec.dkim.selectors[0].algorithm rsa-sha256

# Checked once objects were served (handlers are built lazily): 1.20 cannot build the
# server-side-apply model of some schemas (e.g. int-or-string) and then silently treats every
# list of the kind as atomic; the schemas must avoid that.
if grep -q 'error building openapi models for' "$MAILROOM_KUBE_DIR/apiserver.log"; then
  fail "apiserver could not build apply models: $(grep 'error building openapi models' "$MAILROOM_KUBE_DIR/apiserver.log" | head -n 2)"
else
  pass "server-side apply models built for both CRDs"
fi
# --- invalid objects are rejected, naming the field ---------------------------------------------
for f in "$here"/invalid/*.yaml; do
  name=$(basename "$f")
  mapfile -t wants < <(sed -n 's/^# expect: //p' "$f")
  ((${#wants[@]})) || {
    fail "$name has no '# expect:' line"
    continue
  }
  # --validate=false: the API server must reject it, not kubectl's client-side check.
  if out=$(k create --validate=false -f "$f" 2>&1); then
    fail "$name was accepted: $out"
    k delete -f "$f" >/dev/null 2>&1 || true
    continue
  fi
  ok=true
  for want in "${wants[@]}"; do
    if [[ $out != *"$want"* ]]; then
      fail "$name: rejection does not mention '$want': $out"
      ok=false
    fi
  done
  $ok && pass "$name rejected: ${wants[0]}"
done

# --- kubectl explain --------------------------------------------------------------------------
explain_has() { # path text...
  local path=$1 out
  shift
  if ! out=$(retry 30 k explain "$path" 2>&1); then
    fail "kubectl explain $path failed: $out"
    return
  fi
  [[ $out == *'%!'* ]] && fail "kubectl explain $path mangles a '%' in a description"
  for t in "$@"; do
    if [[ $out != *"$t"* ]]; then fail "kubectl explain $path lacks '$t'"; else pass "explain $path: '$t'"; fi
  done
}
explain_has maildomain.spec.dkim "DKIM signing keys (RFC 6376, RFC 8463)" "selectors" "<[]Object>"
explain_has maildomain.spec.dkim.selectors "rsa-sha256" "ed25519-sha256" "rotationPeriod" "keySize"
explain_has maildomain.spec.spf.policy "softfail"
explain_has transport.spec.direct "addressFamily" "preferredFamily" "sourceAddresses" \
  "ehloHostname" "tls" "port"
explain_has transport.status.perDestination.lastFailure "receiverQuotedIP" "classification"
explain_has transport.spec.pause.bounceRateThreshold "percent sign"

# --- printer columns, status subresource, operator RBAC -----------------------------------------
# (Whole output first: with pipefail, `kubectl | head` can die of SIGPIPE and fail the step.)
out=$(k get maildomains)
header=$(printf '%s\n' "$out" | sed -n 1p | tr -s ' ')
[[ $header == "NAME DOMAIN SPF DKIM DMARC PTR READY AGE" ]] && pass "maildomain columns: $header" ||
  fail "maildomain columns: '$header'"
out=$(k get transports)
header=$(printf '%s\n' "$out" | sed -n 1p | tr -s ' ')
[[ $header == "NAME MODE FAMILY DELIVERED DEFERRED BOUNCED READY AGE" ]] &&
  pass "transport columns: $header" || fail "transport columns: '$header'"

# The operator identity may write status but not spec, and nothing outside its role.
for verb_res in "patch maildomains/status" "update transports/status" "watch maildomains" \
  "create secrets" "create tokenreviews.authentication.k8s.io" "create leases.coordination.k8s.io"; do
  [[ $(kop auth can-i $verb_res 2>/dev/null) == yes ]] && pass "operator can $verb_res" ||
    fail "operator cannot $verb_res"
done
for verb_res in "delete maildomains" "create transports" "create pods" "delete nodes" \
  "create clusterrolebindings.rbac.authorization.k8s.io" "create customresourcedefinitions.apiextensions.k8s.io"; do
  [[ $(kop auth can-i $verb_res 2>/dev/null) == no ]] && pass "operator cannot $verb_res" ||
    fail "operator can $verb_res"
done

gen_before=$(k get maildomain example-com -o jsonpath='{.metadata.generation}')
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
status_patch=$(
  cat <<EOF
{"status":{"observedGeneration":$gen_before,"spf":"Pass","dkim":"Pending","dmarc":"Pass","ptr":"Fail",
 "conditions":[{"type":"Ready","status":"False","reason":"PtrMissing",
   "message":"2001:db8:5::10 has no PTR record","observedGeneration":$gen_before,"lastTransitionTime":"$now"}],
 "checks":[{"ip":"2001:db8:5::10","family":"IPv6","ptr":[],"forwardConfirmed":false,"matchesEhlo":false,"spf":"pass"}]}}
EOF
)
# kubectl 1.20 has no --subresource flag: write status through the API as the operator would.
out=$(curl -sS --cacert "$MAILROOM_KUBE_CA" -H "Authorization: Bearer $MAILROOM_KUBE_OPERATOR_TOKEN" \
  -H "Content-Type: application/merge-patch+json" -X PATCH --data "$status_patch" -w '\n%{http_code}' \
  "$MAILROOM_KUBE_SERVER/apis/mailroom.dev/v1alpha1/namespaces/default/maildomains/example-com/status")
[[ $(echo "$out" | tail -n 1) == 200 ]] && pass "operator patched maildomain status" ||
  fail "status patch as operator: $out"
row=$(k get maildomain example-com --no-headers | tr -s ' ')
[[ $row == "example-com example.com Pass Pending Pass Fail False "* ]] && pass "maildomain row: $row" ||
  fail "maildomain row: '$row'"
[[ $(k get maildomain example-com -o jsonpath='{.metadata.generation}') == "$gen_before" ]] &&
  pass "status write kept generation" || fail "status write bumped generation"
# Status is ignored on the main resource (status subresource): a spec apply cannot set it.
k patch maildomain example-com --type=merge -p '{"status":{"spf":"Fail"}}' >/dev/null 2>&1 || true
expect_field maildomain/example-com .status.spf Pass
# An invalid status is rejected too (the schema covers status).
code=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$MAILROOM_KUBE_CA" \
  -H "Authorization: Bearer $MAILROOM_KUBE_OPERATOR_TOKEN" -H "Content-Type: application/merge-patch+json" \
  -X PATCH --data '{"status":{"spf":"Great"}}' \
  "$MAILROOM_KUBE_SERVER/apis/mailroom.dev/v1alpha1/namespaces/default/maildomains/example-com/status")
[[ $code == 422 ]] && pass "invalid status rejected (422)" || fail "invalid status answered $code"
# Transport status counters show in the columns.
curl -sS -o /dev/null --cacert "$MAILROOM_KUBE_CA" -H "Authorization: Bearer $MAILROOM_KUBE_OPERATOR_TOKEN" \
  -H "Content-Type: application/merge-patch+json" -X PATCH \
  --data '{"status":{"delivered":12,"deferred":3,"bounced":1,"perDestination":[{"domain":"example.net","delivered":12,"deferred":3,"bounced":1,"lastFailure":{"reply":"550 5.7.25 no PTR","classification":"PTR","family":"IPv6","sourceIP":"2001:db8:5::10","receiverQuotedIP":"2001:db8:5::10"}}]}}' \
  "$MAILROOM_KUBE_SERVER/apis/mailroom.dev/v1alpha1/namespaces/default/transports/dual-stack/status"
row=$(k get transport dual-stack --no-headers | tr -s ' ')
[[ $row == "dual-stack direct Any 12 3 1 "* ]] && pass "transport row: $row" || fail "transport row: '$row'"

# --- audit log counts writes -----------------------------------------------------------------------
writes=$(grep -c '"resource":"maildomains"' "$MAILROOM_KUBE_AUDIT_LOG" || true)
reads=$(grep -c '"verb":"get"' "$MAILROOM_KUBE_AUDIT_LOG" || true)
((writes > 0)) && pass "audit log has $writes maildomain write events" || fail "no maildomain writes in audit log"
((reads == 0)) && pass "audit log has no reads" || fail "audit log has $reads get events"
# Tests count an identity's writes: the operator made exactly three status PATCHes above (two
# accepted, one rejected with 422) to mailroom.dev objects and nothing else.
op_writes=$(python3 - "$MAILROOM_KUBE_AUDIT_LOG" <<'PY'
import json, sys
n = []
for line in open(sys.argv[1]):
    e = json.loads(line)
    # (its `kubectl auth can-i` calls are SelfSubjectAccessReview creates; count mailroom.dev)
    if e["user"]["username"] == "operator" and e["objectRef"].get("apiGroup") == "mailroom.dev":
        n.append((e["verb"], e["objectRef"].get("subresource", ""), e["responseStatus"]["code"]))
print(sorted(n))
PY
)
want="[('patch', 'status', 200), ('patch', 'status', 200), ('patch', 'status', 422)]"
[[ $op_writes == "$want" ]] && pass "audit log: operator writes $op_writes" ||
  fail "audit log: operator writes $op_writes, want $want"

if ((failures)); then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all kube CRD checks passed"
