#!/usr/bin/env bash
# Stops the control plane hack/kube/up.sh started in ${MAILROOM_KUBE_DIR:-/tmp/mailroom-kube},
# by the PIDs it recorded (checking each PID still runs the expected program). Keeps the state
# directory (logs, audit log) for inspection; --purge deletes it too. Idempotent.
set -euo pipefail

dir=${MAILROOM_KUBE_DIR:-/tmp/mailroom-kube}
purge=false
[[ ${1:-} == --purge ]] && purge=true

# name -> program expected in /proc/PID/cmdline (guards against a recycled PID)
stop() {
  local name=$1 prog=$2 pidfile="$dir/$1.pid" pid
  [[ -f $pidfile ]] || return 0
  pid=$(cat "$pidfile")
  if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null &&
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$prog"; then
    kill -TERM "$pid" 2>/dev/null || true
    # Not our child (setsid in up.sh), so it cannot be wait(2)ed for: poll until it is gone.
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "kube/down: $name ($pid) ignored SIGTERM, sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    echo "kube/down: stopped $name ($pid)" >&2
  fi
  rm -f "$pidfile"
}

if [[ -d $dir ]]; then
  # The watchdog first, unless it is what runs this script.
  if [[ -f $dir/watchdog.pid && $(cat "$dir/watchdog.pid") != "$$" ]]; then
    stop watchdog mailroom-kube-watchdog
  fi
  rm -f "$dir/watchdog.pid"
  stop controller-manager kube-controller-manager
  stop apiserver kube-apiserver
  stop etcd etcd
  if $purge; then
    rm -rf "$dir"
  fi
fi
