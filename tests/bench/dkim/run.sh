#!/usr/bin/env bash
# DKIM signing benchmark: runs mailroom-bench-dkim (our signer, one core) and
# `openssl speed -seconds 3 rsa2048 ed25519` (the raw primitive as OpenSSL measures it) and
# writes both as markdown to docs/benchmarks-dkim.md.
#
# Usage: tests/bench/dkim/run.sh [build-dir] [seconds per measurement, default 3]
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
build=${1:-${BUILD_DIR:-$root/build}}
seconds=${2:-3}
out=$root/docs/benchmarks-dkim.md
bench=$build/tests/bench/dkim/mailroom-bench-dkim

if [[ ! -x $bench ]]; then
  cmake --build "$build" --target mailroom-bench-dkim
fi

# Pin to one CPU when possible: the numbers are per core.
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)

ours=$("${pin[@]}" "$bench" "$seconds")
speed=$("${pin[@]}" openssl speed -seconds 3 rsa2048 ed25519 2>/dev/null)
rsa=$(awk '/^rsa 2048 bits/ {print $6, $7}' <<<"$speed")
ed=$(awk '/EdDSA \(Ed25519\)/ {print $(NF-1), $NF}' <<<"$speed")

mkdir -p "$(dirname "$out")"
{
  echo "# DKIM signing benchmark"
  echo
  echo "Produced by \`tests/bench/dkim/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'):"
  echo "$(nproc) CPU(s), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'),"
  echo "$(openssl version), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "One thread, rates per CPU second of that thread (as openssl speed counts); each figure is"
  echo "the best of 5 interleaved rounds (the host is shared; the ratios come from the same rounds)."
  echo
  echo "## Signing with \`DkimSigner\` (lib/auth/dkim), relaxed/relaxed, one signature per message"
  echo
  echo "\"raw EVP sign\" is the private-key operation alone (\`PrivateKey::signDigest\`, EVP)."
  echo "\"DKIM work besides the key operation\" is the same call with a Signer that returns at"
  echo "once: parse, canonicalize, body hash, header hash, render. Target: a 4 KB message costs"
  echo "at most 1.2x the raw signature."
  echo
  echo "$ours"
  echo
  echo "Where the time goes: the per-message work besides the key operation (last column) is"
  echo "the same for both algorithms -- parsing the message, canonicalizing headers and body,"
  echo "SHA-256 over body and header data, rendering the folded field (at 100 KB nearly all of"
  echo "it is the relaxed body canonicalization and SHA-256). Against RSA-2048's private-key operation that is a few percent; Ed25519's"
  echo "operation is so cheap that the same work is roughly a quarter of it, so the 1.2x target"
  echo "holds for rsa-sha256 (and for signing with both keys at once, which shares one body"
  echo "hash) but not for ed25519-sha256 alone. Bringing it under 1.2x would need roughly half of"
  echo "that work gone (e.g. no whole-message copies in lib/mime parseMessage, fewer small"
  echo "allocations)."
  echo
  echo "## \`openssl speed -seconds 3 rsa2048 ed25519\` (same machine, same run)"
  echo
  echo "| algorithm | sign/s | verify/s |"
  echo "|---|---:|---:|"
  echo "| rsa 2048 | ${rsa% *} | ${rsa#* } |"
  echo "| Ed25519 | ${ed% *} | ${ed#* } |"
} >"$out"
echo "wrote $out"
cat "$out"
