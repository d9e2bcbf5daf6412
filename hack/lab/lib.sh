# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables are the interface for scripts that source this file
# Mailroom lab: shared names, addresses and helpers for hack/lab/*.sh and the e2e tests.
#
# Source it (`. hack/lab/lib.sh`); it defines variables and functions only and does not change
# the caller's shell options. Every address comes from the documentation ranges: 198.51.100.0/24
# (RFC 5737) and 2001:db8::/32 (RFC 3849). The host's own network (192.0.2.0/24) is never used,
# and nothing is configured in the root network namespace: the bridge lives in its own namespace.
#
# Functions for tests (see docs/lab.md):
#   lab_rrset_replace ZONE NAME TYPE TTL CONTENT...   replace one RRset through the PowerDNS API
#   lab_rrset_delete  ZONE NAME TYPE                  delete one RRset
#   lab_rrset_get     ZONE NAME TYPE                  print the RRset as JSON
#   lab_in NS CMD...                                  run CMD inside lab namespace NS

# --- names and addresses -----------------------------------------------------------------------
MAILROOM_LAB_DIR=${MAILROOM_LAB_DIR:-/tmp/mailroom-lab}
MAILROOM_LAB_LOCK=${MAILROOM_LAB_LOCK:-/run/mailroom-lab.lock}

MAILROOM_LAB_NS_BRIDGE=mr-br
MAILROOM_LAB_NS_SENDER=mr-sender
MAILROOM_LAB_NS_DNS=mr-dns
MAILROOM_LAB_NS_MX=mr-mx

MAILROOM_LAB_PREFIX4=198.51.100.0/24
MAILROOM_LAB_PREFIX6=2001:db8:5::/64
# Sender: .10/::10 is the sidecar's address (IPv4 has a forward-confirmed PTR, IPv6 has none);
# .11/::11 is a second pair without PTR that tests may give a mismatched PTR.
MAILROOM_LAB_SENDER_IP4=198.51.100.10
MAILROOM_LAB_SENDER_IP6=2001:db8:5::10
MAILROOM_LAB_SENDER2_IP4=198.51.100.11
MAILROOM_LAB_SENDER2_IP6=2001:db8:5::11
MAILROOM_LAB_DNS_IP4=198.51.100.53
MAILROOM_LAB_DNS_IP6=2001:db8:5::53
MAILROOM_LAB_MX_IP4=198.51.100.25
MAILROOM_LAB_MX_IP6=2001:db8:5::25

MAILROOM_LAB_SENDER_DOMAIN=example.com
MAILROOM_LAB_SENDER_HOST=mail.example.com
MAILROOM_LAB_RCPT_DOMAIN=example.net
MAILROOM_LAB_MX_HOST=mx.example.net
MAILROOM_LAB_NS_HOST=ns.example.net
MAILROOM_LAB_V4ONLY_DOMAIN=v4only.example.net # MX host mx4.example.net has only an A record
MAILROOM_LAB_NULLMX_DOMAIN=nullmx.example.net # "MX 0 ." (RFC 7505), but an A record as a trap
MAILROOM_LAB_NOMX_DOMAIN=nomx.example.net     # no MX, A/AAAA only (implicit MX, RFC 5321 5.1)
MAILROOM_LAB_DNSBL_ZONE=dnsbl.example.net     # lists 198.51.100.11 and 2001:db8:5::11
MAILROOM_LAB_ZONE_REV4=100.51.198.in-addr.arpa
MAILROOM_LAB_ZONE_REV6=0.0.0.0.5.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa

# --- state files -------------------------------------------------------------------------------
MAILROOM_LAB_PDNS_DIR=$MAILROOM_LAB_DIR/pdns
MAILROOM_LAB_PDNS_PIDFILE=$MAILROOM_LAB_PDNS_DIR/pdns_server.pid
MAILROOM_LAB_PDNS_LOG=$MAILROOM_LAB_PDNS_DIR/pdns.log
MAILROOM_LAB_PDNS_API_KEY_FILE=$MAILROOM_LAB_PDNS_DIR/api-key
MAILROOM_LAB_PDNS_API_PORT=8081
MAILROOM_LAB_PDNS_API=http://$MAILROOM_LAB_DNS_IP4:$MAILROOM_LAB_PDNS_API_PORT/api/v1/servers/localhost
MAILROOM_LAB_MX_DIR=$MAILROOM_LAB_DIR/mx
MAILROOM_LAB_MX_CONF=$MAILROOM_LAB_MX_DIR/etc
MAILROOM_LAB_MX_QUEUE=$MAILROOM_LAB_MX_DIR/queue
MAILROOM_LAB_MX_PIDFILE=$MAILROOM_LAB_MX_QUEUE/pid/master.pid # written by Postfix's master
MAILROOM_LAB_MAILDIR=$MAILROOM_LAB_MX_DIR/mail/Maildir
MAILROOM_LAB_MAILLOG=$MAILROOM_LAB_MX_DIR/maillog
MAILROOM_LAB_MX_TLS_CERT=$MAILROOM_LAB_MX_DIR/tls/cert.pem
MAILROOM_LAB_MX_TLS_KEY=$MAILROOM_LAB_MX_DIR/tls/key.pem
# The same Postfix as an authenticated relay (the sidecar's "relay" transport): submission on
# 587 (STARTTLS required) and implicit TLS on 465, SASL PLAIN/LOGIN against a sasldb. Mail it
# relays, for any domain, lands in the same Maildir.
MAILROOM_LAB_RELAY_HOST=relay.example.net
MAILROOM_LAB_RELAY_SUBMISSION_PORT=587
MAILROOM_LAB_RELAY_SMTPS_PORT=465
# A trap for relay clients: submission that offers AUTH without any TLS (no STARTTLS). A client
# must refuse it before AUTH; Postfix logs the sasl_username if one ever authenticates there.
MAILROOM_LAB_RELAY_PLAINTEXT_PORT=2587
MAILROOM_LAB_RELAY_USER=sidecar@example.com
MAILROOM_LAB_RELAY_PASSWORD_FILE=$MAILROOM_LAB_MX_DIR/relay-password
# Verifying milters on mr-mx (they add Authentication-Results to every stored message).
MAILROOM_LAB_MILTER_DIR=$MAILROOM_LAB_MX_DIR/milter
MAILROOM_LAB_OPENDKIM_PIDFILE=$MAILROOM_LAB_MILTER_DIR/opendkim.pid
MAILROOM_LAB_OPENDMARC_PIDFILE=$MAILROOM_LAB_MILTER_DIR/opendmarc.pid
MAILROOM_LAB_AUTHSERV_ID=$MAILROOM_LAB_MX_HOST
# A DKIM key for example.com made at lab start and published as lab._domainkey.example.com, so
# tests can sign mail that verifies (dkimsign --... or any signer taking a PEM key).
MAILROOM_LAB_DKIM_SELECTOR=lab
MAILROOM_LAB_DKIM_DIR=$MAILROOM_LAB_DIR/dkim
MAILROOM_LAB_DKIM_KEY=$MAILROOM_LAB_DKIM_DIR/lab.private

# BIND9 as an RFC 2136 primary (hack/lab/bind9.sh; started on demand, not by up.sh): named in
# mr-dns on addresses of its own, one zone that key MAILROOM_LAB_BIND9_KEY_NAME may update (TXT
# only, update-policy) and transfer; a second key that the server knows but grants nothing.
MAILROOM_LAB_BIND9_IP4=198.51.100.54
MAILROOM_LAB_BIND9_IP6=2001:db8:5::54
MAILROOM_LAB_BIND9_DIR=$MAILROOM_LAB_DIR/bind9
MAILROOM_LAB_BIND9_PIDFILE=$MAILROOM_LAB_BIND9_DIR/named.pid
MAILROOM_LAB_BIND9_LOG=$MAILROOM_LAB_BIND9_DIR/named.log
MAILROOM_LAB_BIND9_ZONE=rfc2136.example.org
MAILROOM_LAB_BIND9_KEY_NAME=mailroom-lab
MAILROOM_LAB_BIND9_KEY_FILE=$MAILROOM_LAB_BIND9_DIR/mailroom-lab.secret # base64, as in a Secret
MAILROOM_LAB_BIND9_NORIGHTS_KEY_NAME=no-rights
MAILROOM_LAB_BIND9_NORIGHTS_KEY_FILE=$MAILROOM_LAB_BIND9_DIR/no-rights.secret

# Every variable above, for env.sh.
lab_vars() { compgen -v MAILROOM_LAB_; }

# --- helpers -----------------------------------------------------------------------------------
lab_log() { echo "lab: $*" >&2; }
lab_die() {
  echo "lab: error: $*" >&2
  exit 1
}
# For the helpers tests call from their own shell: report and return, never exit the caller.
lab_err() {
  echo "lab: error: $*" >&2
  return 1
}

lab_require_root() {
  [[ $(id -u) == 0 ]] || lab_die "must run as root (network namespaces need CAP_NET_ADMIN)"
}

# lab_require_cmds CMD... : fail with the install hint when a tool is missing.
lab_require_cmds() {
  local missing=() c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || missing+=("$c")
  done
  ((${#missing[@]} == 0)) || lab_die "missing ${missing[*]}: run hack/install-deps.sh"
}

lab_ns_exists() { [[ -e /run/netns/$1 ]]; }

lab_in() {
  local ns=$1
  shift
  ip netns exec "$ns" "$@"
}

# lab_pid_alive PIDFILE COMM : true when the pid in PIDFILE runs a process named COMM (so a
# recycled pid never makes us believe a server is up, or kill a stranger).
lab_pid_alive() {
  local pidfile=$1 comm=$2 pid
  [[ -s $pidfile ]] || return 1
  pid=$(tr -dc '0-9' <"$pidfile")
  [[ -n $pid && -r /proc/$pid/comm ]] || return 1
  [[ $(</proc/"$pid"/comm) == "$comm" ]]
}

# lab_stop_pids PIDFILE COMM [PIDFILE COMM]... : SIGTERM to each, wait up to 10 s for all to
# exit (milters and PowerDNS take seconds to drain, so in parallel), then SIGKILL. By pid only.
lab_stop_pids() {
  local pids=() names=() files=() pid i left
  while (($# >= 2)); do
    files+=("$1")
    if lab_pid_alive "$1" "$2"; then
      pid=$(tr -dc '0-9' <"$1")
      pids+=("$pid")
      names+=("$2")
      kill -TERM "$pid" 2>/dev/null || true
    fi
    shift 2
  done
  for ((i = 0; i < 100; i++)); do
    left=0
    for pid in "${pids[@]}"; do [[ -e /proc/$pid ]] && left=1; done
    ((left)) || break
    # Not our children, so there is nothing to wait(2) for: poll /proc for their exit.
    sleep 0.1
  done
  for i in "${!pids[@]}"; do
    if [[ -e /proc/${pids[i]} ]]; then
      lab_log "${names[i]} (${pids[i]}) ignored SIGTERM; sending SIGKILL"
      kill -KILL "${pids[i]}" 2>/dev/null || true
    fi
  done
  rm -f "${files[@]}"
}
lab_stop_pid() { lab_stop_pids "$1" "$2"; }

# lab_wait_for DESCRIPTION SECONDS CMD... : poll CMD until it succeeds (readiness, not timing).
lab_wait_for() {
  local what=$1 secs=$2 i
  shift 2
  for ((i = 0; i < secs * 10; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  lab_die "timed out after ${secs}s waiting for $what"
}

lab_api_key() {
  [[ -s $MAILROOM_LAB_PDNS_API_KEY_FILE ]] ||
    lab_err "no API key in $MAILROOM_LAB_PDNS_API_KEY_FILE: is the lab up (hack/lab/up.sh)?" || return
  cat "$MAILROOM_LAB_PDNS_API_KEY_FILE"
}

# lab_pdns_api METHOD PATH [JSON] : call the PowerDNS HTTP API from inside mr-dns; prints the body,
# fails on HTTP >= 400.
lab_pdns_api() {
  local method=$1 path=$2 body=${3-}
  local key
  key=$(lab_api_key) || return
  local args=(-sS --fail-with-body -X "$method" -H "X-API-Key: $key")
  [[ -n $body ]] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
  local out
  if ! out=$(lab_in "$MAILROOM_LAB_NS_DNS" curl "${args[@]}" "$MAILROOM_LAB_PDNS_API$path" 2>&1); then
    echo "lab: error: PowerDNS API $method $path: $out" >&2
    return 1
  fi
  [[ -z $out ]] || echo "$out"
}

# Absolute names end in a dot for the API.
lab_fqdn() { [[ $1 == *. ]] && echo "$1" || echo "$1."; }

# JSON string escaping for record contents (TXT records carry quotes).
lab_json_str() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}

# lab_rrset_replace ZONE NAME TYPE TTL CONTENT... : one call replaces the whole RRset.
# Contents are in zone-file presentation form, e.g. '"v=spf1 -all"' for TXT, '10 mx.example.net.'.
lab_rrset_replace() {
  local zone name type ttl records="" c
  zone=$(lab_fqdn "$1") name=$(lab_fqdn "$2") type=$3 ttl=$4
  shift 4
  (($# > 0)) || lab_err "lab_rrset_replace: no content given" || return
  for c in "$@"; do
    records+="${records:+,}{\"content\":$(lab_json_str "$c"),\"disabled\":false}"
  done
  lab_pdns_api PATCH "/zones/$zone" \
    "{\"rrsets\":[{\"name\":\"$name\",\"type\":\"$type\",\"ttl\":$ttl,\"changetype\":\"REPLACE\",\"records\":[$records]}]}"
}

lab_rrset_delete() {
  local zone name type=$3
  zone=$(lab_fqdn "$1") name=$(lab_fqdn "$2")
  lab_pdns_api PATCH "/zones/$zone" \
    "{\"rrsets\":[{\"name\":\"$name\",\"type\":\"$type\",\"changetype\":\"DELETE\"}]}"
}

lab_rrset_get() {
  local zone name type=$3
  zone=$(lab_fqdn "$1") name=$(lab_fqdn "$2")
  lab_pdns_api GET "/zones/$zone?rrsets=true&rrset_name=$name&rrset_type=$type"
}

# lab_find_mail PATTERN [SECONDS] : path of the first stored message (Maildir/new) containing
# PATTERN (grep -F), waiting up to SECONDS (default 10) for delivery, which follows the 250.
lab_find_mail() {
  local pattern=$1 secs=${2:-10} f i
  for ((i = 0; i < secs * 10; i++)); do
    f=$(grep -rlF -- "$pattern" "$MAILROOM_LAB_MAILDIR/new" 2>/dev/null | head -1 || true)
    if [[ -n $f ]]; then
      echo "$f"
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# lab_auth_result FILE METHOD : "METHOD=result" from the Authentication-Results our receiver
# (authserv-id mx.example.net) added to FILE, e.g. `lab_auth_result "$f" dkim` -> dkim=pass.
# Only the header section counts, folded lines are unfolded first.
lab_auth_result() {
  sed -n '/^\r\?$/q;p' "$1" | sed -e ':a' -e 'N' -e '$!ba' -e 's/\r\?\n[ \t]\+/ /g' |
    grep "^Authentication-Results: $MAILROOM_LAB_AUTHSERV_ID;" | grep -o "\b$2=[a-z]*" | head -1
}

# True when every lab server is running.
lab_is_up() {
  lab_ns_exists "$MAILROOM_LAB_NS_BRIDGE" && lab_ns_exists "$MAILROOM_LAB_NS_SENDER" &&
    lab_ns_exists "$MAILROOM_LAB_NS_DNS" && lab_ns_exists "$MAILROOM_LAB_NS_MX" &&
    lab_pid_alive "$MAILROOM_LAB_PDNS_PIDFILE" pdns_server &&
    lab_pid_alive "$MAILROOM_LAB_MX_PIDFILE" master &&
    lab_pid_alive "$MAILROOM_LAB_OPENDKIM_PIDFILE" opendkim &&
    lab_pid_alive "$MAILROOM_LAB_OPENDMARC_PIDFILE" opendmarc
}

MAILROOM_LAB_PDNS_API_KEY=$(cat "$MAILROOM_LAB_PDNS_API_KEY_FILE" 2>/dev/null || true)
MAILROOM_LAB_RELAY_PASSWORD=$(cat "$MAILROOM_LAB_RELAY_PASSWORD_FILE" 2>/dev/null || true)

# lab_ptr4 IP / lab_ptr6 IP : the reverse-lookup names (RFC 1035 3.5, RFC 3596 2.5), for tests
# that craft PTR or DNSBL records.
lab_ptr4() {
  local a b c d
  IFS=. read -r a b c d <<<"$1"
  echo "$d.$c.$b.$a.in-addr.arpa"
}
lab_nibbles6() { # IPv6 address -> reversed nibbles "x.x....x" (32 nibbles)
  local addr=${1,,} hex="" g i out=""
  local -a head=() tail=() groups=()
  if [[ $addr == *::* ]]; then
    IFS=: read -ra head <<<"${addr%%::*}"
    IFS=: read -ra tail <<<"${addr#*::}"
    groups=("${head[@]}")
    for ((i = ${#head[@]} + ${#tail[@]}; i < 8; i++)); do groups+=(0); done
    groups+=("${tail[@]}")
  else
    IFS=: read -ra groups <<<"$addr"
  fi
  ((${#groups[@]} == 8)) || lab_err "not an IPv6 address: $1" || return
  for g in "${groups[@]}"; do
    printf -v g '%04x' "0x$g"
    hex+=$g
  done
  for ((i = 31; i >= 0; i--)); do out+="${hex:i:1}${i:+.}"; done
  echo "${out%.}"
}
lab_ptr6() { echo "$(lab_nibbles6 "$1").ip6.arpa"; }
