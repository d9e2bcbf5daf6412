#!/usr/bin/env bash
# Starts a real Kubernetes control plane for tests on 127.0.0.1 only: Debian's etcd, the
# kube-apiserver built by hack/kube/build.sh and (unless MAILROOM_KUBE_CONTROLLERS=0)
# kube-controller-manager for garbage collection, namespace deletion and service-account tokens.
#
# State (certificates, tokens, kubeconfigs, etcd data, logs, audit log, PIDs) lives in
# ${MAILROOM_KUBE_DIR:-/tmp/mailroom-kube}; every port is picked free at start. Prints the admin
# kubeconfig path as the last line of stdout once /readyz answers ok. Idempotent: when the
# control plane in that directory is already up it just prints the path. Stop it with down.sh.
#
# MAILROOM_KUBE_OWNER_PID=<pid> (optional): a watchdog runs down.sh once that process is gone, so
# a test killed by a timeout leaves nothing running.
#
# What tests find in the state directory:
#   kubeconfig            admin (group system:masters)
#   kubeconfig-operator   user "operator" with only the RBAC in operator-rbac.yaml
#   audit.log             JSON lines, one per write request (create/update/patch/delete/
#                         deletecollection) at Metadata level, stage ResponseComplete
#   env                   shell variables: MAILROOM_KUBE_SERVER, MAILROOM_KUBE_CA,
#                         MAILROOM_KUBE_ADMIN_TOKEN, MAILROOM_KUBE_OPERATOR_TOKEN, ...
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=${MAILROOM_KUBE_DIR:-/tmp/mailroom-kube}
cache=${MAILROOM_KUBE_CACHE:-/var/cache/mailroom/kube}
bin="$cache/bin"
timeout=${MAILROOM_KUBE_TIMEOUT:-120}

die() {
  echo "kube/up: ERROR: $*" >&2
  [[ -f $dir/apiserver.log ]] && { echo "--- last lines of $dir/apiserver.log" >&2; tail -n 20 "$dir/apiserver.log" >&2; }
  exit 1
}
log() { echo "kube/up: $*" >&2; }

for b in kube-apiserver kubectl; do
  [[ -x $bin/$b ]] || die "$bin/$b missing: run hack/kube/build.sh first"
done
command -v etcd >/dev/null || die "etcd not found (package etcd-server)"
command -v openssl >/dev/null || die "openssl not found"
command -v curl >/dev/null || die "curl not found"

alive() { [[ -f $dir/$1.pid ]] && kill -0 "$(cat "$dir/$1.pid")" 2>/dev/null; }

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
export MAILROOM_KUBE_DIR="$dir"
if alive apiserver && alive etcd && [[ -f $dir/env ]]; then
  # shellcheck disable=SC1091
  source "$dir/env"
  if curl -fsS --max-time 5 --cacert "$MAILROOM_KUBE_CA" \
    -H "Authorization: Bearer $MAILROOM_KUBE_ADMIN_TOKEN" "$MAILROOM_KUBE_SERVER/readyz" >/dev/null 2>&1; then
    log "already running ($MAILROOM_KUBE_SERVER)"
    echo "$dir/kubeconfig"
    exit 0
  fi
fi
# Leftovers of an earlier run: stop them and start clean.
"$here/down.sh" >/dev/null 2>&1 || true
rm -rf "$dir/etcd" "$dir/pki"
mkdir -p "$dir/pki" "$dir/etcd"
chmod 700 "$dir/pki" "$dir/etcd"

# Free ports: bind port 0, read what the kernel chose, release. A port can in theory be taken
# again before the daemon binds it; the daemon then fails and up.sh reports it.
read -r p_etcd p_peer p_api < <(python3 -c '
import socket
socks = []
for _ in range(3):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(*[s.getsockname()[1] for s in socks])
')

# --- PKI -------------------------------------------------------------------------------------------
pki="$dir/pki"
(
  cd "$pki"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 \
    -subj "/CN=mailroom-test-ca" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr \
    -subj "/CN=kube-apiserver" 2>/dev/null
  printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc" \
    "extendedKeyUsage=serverAuth" "keyUsage=digitalSignature,keyEncipherment" >apiserver.ext
  openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
    -extfile apiserver.ext -out apiserver.crt 2>/dev/null
  # Service-account token signing keys.
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
) || die "openssl failed"

tok() { openssl rand -hex 24; }
admin_token=$(tok)
operator_token=$(tok)
kcm_token=$(tok)
# token,user,uid,"group1,group2"
cat >"$pki/tokens.csv" <<EOF
$admin_token,admin,admin,"system:masters"
$operator_token,operator,operator,"mailroom:operators"
$kcm_token,system:kube-controller-manager,kcm,"system:masters"
EOF
chmod 600 "$pki/tokens.csv"

# Audit: every write at Metadata level, nothing else; one event per request (ResponseComplete).
cat >"$dir/audit-policy.yaml" <<'EOF'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived", "ResponseStarted", "Panic"]
rules:
  - level: Metadata
    verbs: ["create", "update", "patch", "delete", "deletecollection"]
  - level: None
EOF
: >"$dir/audit.log"

# --- etcd ------------------------------------------------------------------------------------------
start() { # name, command...
  local name=$1
  shift
  setsid "$@" >"$dir/$name.log" 2>&1 </dev/null &
  echo $! >"$dir/$name.pid"
}
start etcd etcd --name mailroom --data-dir "$dir/etcd" \
  --listen-client-urls "http://127.0.0.1:$p_etcd" --advertise-client-urls "http://127.0.0.1:$p_etcd" \
  --listen-peer-urls "http://127.0.0.1:$p_peer" --initial-advertise-peer-urls "http://127.0.0.1:$p_peer" \
  --initial-cluster "mailroom=http://127.0.0.1:$p_peer" --initial-cluster-state new \
  --listen-metrics-urls "" --log-level warn --logger zap

# --- kube-apiserver --------------------------------------------------------------------------------
server="https://127.0.0.1:$p_api"
# --service-cluster-ip-range is bookkeeping only (no routes are created); a documentation range.
# --endpoint-reconciler-type=none: the 'kubernetes' Endpoints object cannot hold 127.0.0.1.
start apiserver "$bin/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$p_etcd" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$p_api" --insecure-port 0 \
  --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
  --client-ca-file "$pki/ca.crt" --cert-dir "$pki" \
  --token-auth-file "$pki/tokens.csv" --anonymous-auth=false \
  --authorization-mode RBAC \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --service-account-issuer https://kubernetes.default.svc \
  --service-cluster-ip-range 203.0.113.0/24 --endpoint-reconciler-type none \
  --audit-policy-file "$dir/audit-policy.yaml" --audit-log-path "$dir/audit.log" \
  --audit-log-format json --audit-log-mode blocking \
  --profiling=false --v 1

# Readiness: /readyz covers etcd, RBAC bootstrap and the CRD informers.
deadline=$((SECONDS + timeout))
until curl -fsS --max-time 5 --cacert "$pki/ca.crt" -H "Authorization: Bearer $admin_token" \
  "$server/readyz" >/dev/null 2>&1; do
  alive etcd || die "etcd exited (see $dir/etcd.log)"
  alive apiserver || die "kube-apiserver exited (see $dir/apiserver.log)"
  ((SECONDS < deadline)) || die "kube-apiserver not ready after ${timeout}s"
  # Polling a readiness endpoint of a separate process; there is nothing to wait on instead.
  sleep 0.5
done

# --- kubeconfigs and env ---------------------------------------------------------------------------
ca_data=$(base64 -w0 <"$pki/ca.crt")
kubeconfig() { # user token
  cat <<EOF
apiVersion: v1
kind: Config
clusters:
- name: mailroom-test
  cluster:
    server: $server
    certificate-authority-data: $ca_data
users:
- name: $1
  user:
    token: $2
contexts:
- name: $1@mailroom-test
  context:
    cluster: mailroom-test
    user: $1
    namespace: default
current-context: $1@mailroom-test
EOF
}
umask 077
kubeconfig admin "$admin_token" >"$dir/kubeconfig"
kubeconfig operator "$operator_token" >"$dir/kubeconfig-operator"
kubeconfig system:kube-controller-manager "$kcm_token" >"$pki/kubeconfig-kcm"
cat >"$dir/env" <<EOF
MAILROOM_KUBE_SERVER=$server
MAILROOM_KUBE_CA=$pki/ca.crt
MAILROOM_KUBE_ADMIN_TOKEN=$admin_token
MAILROOM_KUBE_OPERATOR_TOKEN=$operator_token
MAILROOM_KUBE_KUBECONFIG=$dir/kubeconfig
MAILROOM_KUBE_OPERATOR_KUBECONFIG=$dir/kubeconfig-operator
MAILROOM_KUBE_AUDIT_LOG=$dir/audit.log
MAILROOM_KUBE_ETCD=http://127.0.0.1:$p_etcd
MAILROOM_KUBECTL=$bin/kubectl
EOF
umask 022

"$bin/kubectl" --kubeconfig "$dir/kubeconfig" apply -f "$here/operator-rbac.yaml" >"$dir/rbac.log" 2>&1 ||
  die "applying operator RBAC failed: $(cat "$dir/rbac.log")"

# --- kube-controller-manager (optional) ------------------------------------------------------------
if [[ ${MAILROOM_KUBE_CONTROLLERS:-1} != 0 && -x $bin/kube-controller-manager ]]; then
  # --port 0 / --secure-port 0: no listeners at all (1.20 would otherwise bind fixed ports).
  start controller-manager "$bin/kube-controller-manager" \
    --kubeconfig "$pki/kubeconfig-kcm" --leader-elect=false --port 0 --secure-port 0 \
    --controllers garbagecollector,namespace,serviceaccount,serviceaccount-token \
    --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
    --use-service-account-credentials=false --v 1
fi

# Optional watchdog: when MAILROOM_KUBE_OWNER_PID (e.g. a test script's $$) goes away without
# calling down.sh (SIGKILL from a CTest timeout), stop the control plane anyway.
if [[ -n ${MAILROOM_KUBE_OWNER_PID:-} ]]; then
  start watchdog bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 2; done; exec "$2"' \
    mailroom-kube-watchdog "$MAILROOM_KUBE_OWNER_PID" "$here/down.sh"
fi

log "kube-apiserver ready at $server (state in $dir)"
echo "$dir/kubeconfig"
