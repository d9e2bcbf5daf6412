#!/usr/bin/env bash
# Installs every Debian package the project needs: the union of hack/deps/*.txt (one file per
# concern, one package per line, '#' comments), then the pinned PyPI packages of e2e peers
# (hack/deps/pypi-e2e.req) into a venv and the pinned Go programs (hack/deps/go-e2e.mods) into a
# cache, both outside the repository. Idempotent: installs only what is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

mapfile -t wanted < <(cat "$here"/deps/*.txt | sed 's/#.*//' | awk 'NF{print $1}' | sort -u)
missing=()
for pkg in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$pkg")
done
sudo_cmd=()
[[ $(id -u) == 0 ]] || sudo_cmd=(sudo)
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#wanted[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Postfix asks how to configure itself; the lab writes its own configuration.
  echo "postfix postfix/main_mailer_type select No configuration" | "${sudo_cmd[@]}" debconf-set-selections
  "${sudo_cmd[@]}" apt-get update -q
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# PyPI packages for e2e peers (hack/deps/pypi-e2e.req, pinned) in a venv outside the repository,
# from Debian's python3. Idempotent: a venv that already satisfies the pins is left alone.
venv=${MAILROOM_VENV:-/var/cache/mailroom/venv}
req=$here/deps/pypi-e2e.req
if [[ -x $venv/bin/python ]] &&
  "$venv/bin/python" - "$req" <<'PY' 2>/dev/null; then
import sys, importlib.metadata as md
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if not line:
        continue
    name, version = line.split("==")
    if md.version(name.split("[")[0]) != version:
        sys.exit(1)
PY
  echo "install-deps: $venv satisfies $(basename "$req")"
else
  echo "install-deps: installing $(basename "$req") into $venv"
  "${sudo_cmd[@]}" mkdir -p "$(dirname "$venv")"
  "${sudo_cmd[@]}" /usr/bin/python3 -m venv "$venv"
  "${sudo_cmd[@]}" "$venv/bin/pip" install -q --disable-pip-version-check -r "$req"
fi

# Go programs for e2e peers (hack/deps/go-e2e.mods, pinned), built with the machine's Go into a
# cache outside the repository. A binary whose embedded module version matches is kept. A
# failed build is reported and left for the tests that need it to report as skipped.
gocache=${MAILROOM_GO_CACHE:-/var/cache/mailroom/go}
if command -v go >/dev/null 2>&1; then
  while read -r mod; do
    bin=$gocache/bin/$(basename "${mod%@*}")
    if [[ -x $bin ]] && go version -m "$bin" 2>/dev/null | grep -q "^[[:space:]]*mod[[:space:]]*${mod%@*}[[:space:]]*${mod#*@}"; then
      echo "install-deps: $bin is $mod"
      continue
    fi
    echo "install-deps: building $mod into $gocache/bin (minutes the first time)"
    if ! (cd / && GOPATH=$gocache GOBIN=$gocache/bin GOMODCACHE=$gocache/pkg/mod GOCACHE=$gocache/cache \
      GOTOOLCHAIN=local GOFLAGS=-mod=mod go install "$mod"); then
      echo "install-deps: warning: building $mod failed; the tests that need it will be skipped" >&2
    fi
  done < <(sed 's/#.*//' "$here/deps/go-e2e.mods" | awk 'NF{print $1}')
else
  echo "install-deps: warning: no go on PATH; tests needing $(basename "$here")/deps/go-e2e.mods will be skipped" >&2
fi
