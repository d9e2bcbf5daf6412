#!/usr/bin/env bash
# Brings the Mailroom test lab up: network namespaces joined by a bridge that lives in its own
# namespace, PowerDNS authoritative in mr-dns and Postfix in mr-mx (see docs/lab.md).
# Idempotent: what already exists or runs is kept, so running it twice is harmless.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/services.sh"

lab_require_root
lab_require_cmds ip setsid flock ss curl openssl sqlite3 pdns_server pdnsutil postfix postconf \
  opendkim opendkim-genkey opendmarc saslpasswd2
ls /usr/lib/*/pdns/libgsqlite3backend.so >/dev/null 2>&1 ||
  lab_die "missing the PowerDNS sqlite3 backend (pdns-backend-sqlite3): run hack/install-deps.sh"
id postfix >/dev/null 2>&1 || lab_die "missing the postfix user: run hack/install-deps.sh"

# One lab per machine (namespace names are global); serialize up/down.
exec 9>"$MAILROOM_LAB_LOCK"
flock -w 120 9 || lab_die "another hack/lab script holds $MAILROOM_LAB_LOCK"

[[ $MAILROOM_LAB_DIR == /* ]] || lab_die "MAILROOM_LAB_DIR must be an absolute path: $MAILROOM_LAB_DIR"
# A lab coming up from nothing starts from clean state: no mail, queue or log of an earlier run
# (down.sh keeps them for post-mortems). A lab that is partly up keeps everything.
if ! lab_ns_exists "$MAILROOM_LAB_NS_MX" && ! lab_ns_exists "$MAILROOM_LAB_NS_DNS"; then
  rm -rf "$MAILROOM_LAB_MX_DIR" "$MAILROOM_LAB_PDNS_DIR" "$MAILROOM_LAB_DKIM_DIR"
fi
mkdir -p "$MAILROOM_LAB_DIR"
chmod 755 "$MAILROOM_LAB_DIR"
# Postfix's daemons run as postfix and deliver as nobody: every parent must be searchable.
d=$MAILROOM_LAB_DIR
while [[ $d != / ]]; do
  d=$(dirname "$d")
  [[ $(stat -c %A "$d") == *[xt] ]] ||
    lab_die "$d is not searchable by others; Postfix cannot reach $MAILROOM_LAB_DIR (choose another MAILROOM_LAB_DIR)"
done

# --- network -----------------------------------------------------------------------------------
ensure_ns() {
  lab_ns_exists "$1" || ip netns add "$1"
  ip -n "$1" link set lo up
}

ensure_ns "$MAILROOM_LAB_NS_BRIDGE"
if ! ip -n "$MAILROOM_LAB_NS_BRIDGE" link show br0 >/dev/null 2>&1; then
  ip -n "$MAILROOM_LAB_NS_BRIDGE" link add br0 type bridge forward_delay 0
fi
ip -n "$MAILROOM_LAB_NS_BRIDGE" link set br0 up

# attach_host NS PORT ADDR... : veth PORT (bridge side, in mr-br) <-> eth0 (in NS). The pair is
# created inside mr-br and its peer moved straight into NS, so it never exists in the root
# namespace.
attach_host() {
  local ns=$1 port=$2 addr
  shift 2
  ensure_ns "$ns"
  if ! ip -n "$ns" link show eth0 >/dev/null 2>&1; then
    ip -n "$MAILROOM_LAB_NS_BRIDGE" link del "$port" 2>/dev/null || true
    ip -n "$MAILROOM_LAB_NS_BRIDGE" link add "$port" type veth peer name eth0 netns "$ns"
  fi
  ip -n "$MAILROOM_LAB_NS_BRIDGE" link set "$port" master br0 up
  ip -n "$ns" link set eth0 up
  for addr in "$@"; do
    # nodad: usable at once (no tentative state to wait for); the lab has no duplicates.
    # shellcheck disable=SC2086 # $addr carries extra flags for the second IPv6 address
    ip -n "$ns" addr replace $addr dev eth0
  done
}

attach_host "$MAILROOM_LAB_NS_SENDER" sender \
  "$MAILROOM_LAB_SENDER_IP4/24" "$MAILROOM_LAB_SENDER2_IP4/24" \
  "$MAILROOM_LAB_SENDER_IP6/64 nodad" \
  "$MAILROOM_LAB_SENDER2_IP6/64 nodad preferred_lft 0" # deprecated: never the default source
attach_host "$MAILROOM_LAB_NS_DNS" dns "$MAILROOM_LAB_DNS_IP4/24" "$MAILROOM_LAB_DNS_IP6/64 nodad"
attach_host "$MAILROOM_LAB_NS_MX" mx "$MAILROOM_LAB_MX_IP4/24" "$MAILROOM_LAB_MX_IP6/64 nodad"

# `ip netns exec NS` bind-mounts /etc/netns/NS/<file> over /etc/<file>: that is the only way a
# process in the namespace gets its own resolv.conf (and hosts).
for ns in "$MAILROOM_LAB_NS_SENDER" "$MAILROOM_LAB_NS_DNS" "$MAILROOM_LAB_NS_MX"; do
  mkdir -p "/etc/netns/$ns"
  printf 'nameserver %s\noptions timeout:2 attempts:2\n' "$MAILROOM_LAB_DNS_IP4" >"/etc/netns/$ns/resolv.conf"
  printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' >"/etc/netns/$ns/hosts"
done

# --- servers -----------------------------------------------------------------------------------
lab_pdns_start
lab_mx_start

lab_log "lab is up; state in $MAILROOM_LAB_DIR; variables: hack/lab/env.sh"
