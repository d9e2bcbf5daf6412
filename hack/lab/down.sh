#!/usr/bin/env bash
# Takes the Mailroom test lab down: stops the servers it started by their pid files, then deletes
# the namespaces and /etc/netns/mr-*. Idempotent. The state dir is kept for post-mortems
# (maillog, pdns.log, Maildir) unless --purge is given.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/services.sh"

purge=0
[[ ${1-} == --purge ]] && purge=1

lab_require_root
exec 9>"$MAILROOM_LAB_LOCK"
flock -w 120 9 || lab_die "another hack/lab script holds $MAILROOM_LAB_LOCK"

lab_mx_stop # first, so no message is between Postfix and a milter
lab_stop_pid "$MAILROOM_LAB_BIND9_PIDFILE" named # hack/lab/bind9.sh, if a test left it up
lab_stop_pids "$MAILROOM_LAB_OPENDMARC_PIDFILE" opendmarc "$MAILROOM_LAB_OPENDKIM_PIDFILE" opendkim \
  "$MAILROOM_LAB_PDNS_PIDFILE" pdns_server

for ns in "$MAILROOM_LAB_NS_SENDER" "$MAILROOM_LAB_NS_DNS" "$MAILROOM_LAB_NS_MX" \
  "$MAILROOM_LAB_NS_BRIDGE"; do
  if lab_ns_exists "$ns"; then
    # A process still inside would keep the namespace alive after `ip netns del`; name it.
    left=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
    [[ -z $left ]] || lab_log "warning: processes still in $ns (not started by the lab?): $left"
    ip netns del "$ns"
  fi
  rm -rf "/etc/netns/$ns"
done
rmdir /etc/netns 2>/dev/null || true # only if no one else keeps a namespace config there

if ((purge)); then
  rm -rf "$MAILROOM_LAB_DIR"
fi
lab_log "lab is down"
