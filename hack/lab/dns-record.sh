#!/usr/bin/env bash
# Changes one RRset in the lab's PowerDNS through its HTTP API (curl inside mr-dns). The change
# is visible to the next query: the lab server runs without caches.
#
#   hack/lab/dns-record.sh replace ZONE NAME TYPE TTL CONTENT...  (sets the whole RRset)
#   hack/lab/dns-record.sh delete  ZONE NAME TYPE
#   hack/lab/dns-record.sh get     ZONE NAME TYPE                 (prints the zone's RRset JSON)
#
# NAME is absolute (a trailing dot is added if missing); CONTENT is in zone-file form, e.g.
#   dns-record.sh replace example.com example.com TXT 60 '"v=spf1 ip4:198.51.100.11 -all"'
#   dns-record.sh replace 100.51.198.in-addr.arpa 11.100.51.198.in-addr.arpa PTR 60 other.example.org.
# Names of reverse records: lab_ptr4 / lab_ptr6 in lib.sh (`. hack/lab/env.sh; lab_ptr6 ::1`).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

lab_require_root
lab_require_cmds ip curl
usage() {
  sed -n '5,7p' "$0" | sed 's/^# *//' >&2
  exit 2
}
(($# >= 4)) || usage
op=$1
shift
case $op in
  replace)
    (($# >= 5)) || usage
    lab_rrset_replace "$@"
    ;;
  delete) lab_rrset_delete "$@" ;;
  get) lab_rrset_get "$@" ;;
  *) usage ;;
esac
