#!/usr/bin/env bash
# Stops or starts only the lab's Postfix receiver in mr-mx, for "receiver down -> deferred, then
# delivered" tests. The namespace and its addresses stay, so connections are refused while
# stopped.   usage: hack/lab/mx.sh stop|start|status
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/services.sh"

lab_require_root
exec 9>"$MAILROOM_LAB_LOCK"
flock -w 120 9 || lab_die "another hack/lab script holds $MAILROOM_LAB_LOCK"
case ${1-} in
  stop)
    lab_mx_stop
    lab_log "Postfix stopped"
    ;;
  start)
    lab_ns_exists "$MAILROOM_LAB_NS_MX" || lab_die "no $MAILROOM_LAB_NS_MX namespace: run hack/lab/up.sh first"
    lab_require_cmds postfix
    lab_mx_start
    ;;
  status)
    if lab_pid_alive "$MAILROOM_LAB_MX_PIDFILE" master; then
      echo "running (pid $(tr -dc 0-9 <"$MAILROOM_LAB_MX_PIDFILE"))"
    else
      echo stopped
      exit 3
    fi
    ;;
  *)
    echo "usage: $0 stop|start|status" >&2
    exit 2
    ;;
esac
