#!/usr/bin/env bash
# Throughput benchmark (run on demand, as root; never part of the tests):
#   1. ceiling:  smtp-source -> smtp-sink                       (Postfix's own test tools)
#   2. postfix:  smtp-source -> Postfix (relay) -> smtp-sink    (the baseline)
#   3. mailroom: mailroom-bench-send (gRPC, 20 streams) -> mailroom-sidecar (durable spool,
#                fsync on) -> smtp-sink
# all inside one private network namespace on its loopback, 4 KB messages, 20 concurrent
# senders, the same machine and the same run. Writes the table into docs/benchmarks.md
# (between the sidecar markers) and prints it.
#   tests/bench/sidecar/run.sh [MESSAGES]      default 20000
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
build=${MAILROOM_BUILD_DIR:-$root/build}
messages=${1:-20000}
size=4096
concurrency=20
bench=${MAILROOM_BENCH_DIR:-/tmp/mailroom-bench}
ns=mr-bench
[[ $(id -u) == 0 ]] || { echo "run as root" >&2; exit 2; }
"$root/hack/build.sh" mailroom-sidecar mailroom-bench-send >/dev/null

in_ns() { ip netns exec "$ns" "$@"; }
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [[ -f $bench/postfix/queue/pid/master.pid ]] && in_ns postfix -c "$bench/postfix/etc" stop >/dev/null 2>&1 || true
  ip netns del "$ns" 2>/dev/null || true
}
trap cleanup EXIT
ip netns del "$ns" 2>/dev/null || true
rm -rf "$bench"
mkdir -p "$bench"
ip netns add "$ns"
ip -n "$ns" link set lo up

now() { date +%s.%N; }
# Each phase starts with the disk quiet: the previous phase's dirty pages (Postfix's queue files)
# must not be written back on the next phase's time.
settle() { sync; sleep 1; }
cpu_of() {  # utime+stime (+ reaped children) of a pid, in seconds
  awk -v hz="$(getconf CLK_TCK)" '{print ($14+$15+$16+$17)/hz}' "/proc/$1/stat"
}
# Counts messages smtp-sink has received: it runs with -c, printing running counters.
sink_start() {
  # ip netns exec directly (not the in_ns function) so that $! is the sink itself.
  ip netns exec "$ns" smtp-sink -u postfix -c "127.0.0.1:$1" 1024 >"$bench/sink-$1.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do in_ns ss -ltnH "sport = :$1" | grep -q LISTEN && return; sleep 0.05; done
  echo "smtp-sink did not start" >&2; exit 1
}
sink_count() { tr '\r' '\n' <"$bench/sink-$1.out" | sed -n 's/.*mesg=\([0-9]*\).*/\1/p' | tail -1; }

# 1. Ceiling: Postfix's load generator straight into its sink.
sink_start 2600
settle
t0=$(now)
in_ns smtp-source -s "$concurrency" -m "$messages" -l "$size" -f bench@example.com -t user@example.net 127.0.0.1:2600
t1=$(now)
ceiling=$(echo "$messages / ($t1 - $t0)" | bc -l)

# 2. Postfix relaying the same load.
pf=$bench/postfix
mkdir -p "$pf/etc" "$pf/queue" "$pf/data"
chown postfix:postfix "$pf/data"
sed 's/^smtp      inet .*/127.0.0.1:2525 inet n - n - - smtpd/' "$root/hack/lab/postfix/master.cf" >"$pf/etc/master.cf"
cat >"$pf/etc/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $pf/queue
data_directory = $pf/data
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = relay.example.com
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:2601
smtpd_relay_restrictions = permit_mynetworks, reject
alias_maps =
alias_database =
local_recipient_maps =
smtp_tls_security_level = none
smtpd_tls_security_level = none
default_destination_concurrency_limit = $concurrency
maillog_file = $pf/maillog
maillog_file_prefixes = $bench
CONF
sink_start 2601
in_ns postfix -c "$pf/etc" start >/dev/null 2>&1
for _ in $(seq 100); do in_ns ss -ltnH "sport = :2525" | grep -q LISTEN && break; sleep 0.05; done
master=$(tr -dc 0-9 <"$pf/queue/pid/master.pid")
settle
t0=$(now)
in_ns smtp-source -s "$concurrency" -m "$messages" -l "$size" -f bench@example.com -t user@example.net 127.0.0.1:2525
until [[ $(sink_count 2601) -ge $messages ]] 2>/dev/null; do sleep 0.05; done
t1=$(now)
postfix_rate=$(echo "$messages / ($t1 - $t0)" | bc -l)
postfix_cpu=0
postfix_rss_kb=0  # summed over its processes: Postfix is a pipeline of them
for p in $master $(pgrep -P "$master"); do
  postfix_cpu=$(echo "$postfix_cpu + $(cpu_of "$p")" | bc -l)
  postfix_rss_kb=$((postfix_rss_kb + $(awk '/VmHWM/{print $2}' "/proc/$p/status")))
done
in_ns postfix -c "$pf/etc" stop >/dev/null 2>&1

# 3. Mailroom: durable accept over gRPC, delivery into the sink.
mr=$bench/mailroom
mkdir -p "$mr"
cat >"$mr/sidecar.yaml" <<YAML
apiVersion: mailroom.dev/v1alpha1
kind: SidecarConfig
listen:
  grpc: ["127.0.0.1:7587"]
  metrics: 127.0.0.1:9587
spool:
  directory: $mr/spool
hostname: relay.example.com
delivery:
  concurrency: $concurrency
transports:
  - name: sink
    direct:
      addressFamily: IPv4
      tls: {policy: none}
      nextHop: "[127.0.0.1]:2602"
    limits:
      perDestination:
        - {domain: "*", deliveriesPerConnection: 1000}
YAML
sink_start 2602
ip netns exec "$ns" "$build/sidecar/mailroom-sidecar" --config "$mr/sidecar.yaml" 2>"$mr/sidecar.log" &
sidecar=$!
pids+=($sidecar)
for _ in $(seq 100); do in_ns curl -fsS http://127.0.0.1:9587/healthz >/dev/null 2>&1 && break; sleep 0.05; done
settle
cpu0=$(cpu_of "$sidecar")
t0=$(now)
accept_out=$(in_ns "$build/tests/bench/sidecar/mailroom-bench-send" --server 127.0.0.1:7587 \
  --messages "$messages" --size "$size" --concurrency "$concurrency")
t_accept=$(now)
until [[ $(sink_count 2602) -ge $messages ]] 2>/dev/null; do sleep 0.05; done
t1=$(now)
cpu1=$(cpu_of "$sidecar")
accept_rate=$(echo "$messages / ($t_accept - $t0)" | bc -l)
mailroom_rate=$(echo "$messages / ($t1 - $t0)" | bc -l)
rss_kb=$(awk '/VmHWM/{print $2}' "/proc/$sidecar/status")
metric() { in_ns curl -fsS http://127.0.0.1:9587/metrics | awk -v m="$1" '$1 == m {print $2}'; }
flushes=$(metric mailroom_spool_flushes_total)
operations=$(metric mailroom_spool_operations_total)
ratio=$(echo "$mailroom_rate / $postfix_rate" | bc -l)

table=$(cat <<MD
Sidecar throughput, $(date -u +%Y-%m-%d), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)),
$messages messages of $size bytes, $concurrency concurrent senders, loopback in one network namespace,
spool on $(df --output=fstype "$bench" | tail -1) with fsync on (\`tests/bench/sidecar/run.sh $messages\`):

| path | msg/s | CPU ms/msg | peak RSS |
|---|---:|---:|---:|
| smtp-source → smtp-sink (ceiling) | $(printf %.0f "$ceiling") | | |
| smtp-source → Postfix relay → smtp-sink | $(printf %.0f "$postfix_rate") | $(printf %.3f "$(echo "$postfix_cpu * 1000 / $messages" | bc -l)") | $((postfix_rss_kb / 1024)) MiB (sum over its processes) |
| gRPC Send → mailroom-sidecar → smtp-sink (end to end) | $(printf %.0f "$mailroom_rate") | $(printf %.3f "$(echo "($cpu1 - $cpu0) * 1000 / $messages" | bc -l)") | $((rss_kb / 1024)) MiB |
| gRPC Send acknowledged (durable accept only) | $(printf %.0f "$accept_rate") | | |

Mailroom / Postfix relay throughput: **$(printf %.1f "$ratio")×** (target ≥ 10×).
The sidecar's spool committed $operations operations (accepts and delivery outcomes) in $flushes
fdatasync'ed journal batches ($(printf %.1f "$(echo "$operations / $flushes" | bc -l)") per flush).
MD
)
echo "$table"
doc=$root/docs/benchmarks.md
[[ -f $doc ]] || printf '# Benchmarks\n\n<!-- sidecar:begin -->\n<!-- sidecar:end -->\n' >"$doc"
grep -q '<!-- sidecar:begin -->' "$doc" || printf '\n<!-- sidecar:begin -->\n<!-- sidecar:end -->\n' >>"$doc"
python3 - "$doc" "$table" <<'PY'
import sys, re
path, table = sys.argv[1], sys.argv[2]
text = open(path).read()
text = re.sub(r"<!-- sidecar:begin -->.*?<!-- sidecar:end -->",
              "<!-- sidecar:begin -->\n" + table.replace("\\", "\\\\") + "\n<!-- sidecar:end -->", text, flags=re.S)
open(path, "w").write(text)
PY
echo "accept: $accept_out"
