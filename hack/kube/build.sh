#!/usr/bin/env bash
# Builds a real kube-apiserver, kube-controller-manager and kubectl (upstream v1.20.2) for the
# operator's tests, from Debian bookworm's `kubernetes` source package (1.20.5+really1.20.2, which
# carries a complete vendor/), offline, with Debian's golang-1.19-go.
#
# Output: ${MAILROOM_KUBE_CACHE:-/var/cache/mailroom/kube}/bin/{kube-apiserver,kube-controller-manager,kubectl}
# Runs once: when all three binaries exist it prints their directory and exits. Idempotent, never
# reads stdin, safe to run concurrently (flock). Takes about 4-6 minutes on 2 cores when cold.
#
# The tarball needs three repairs before Go 1.19 builds it (each is done at most once):
#   1. vendor/modules.txt lists some packages under a module's "path => replacement" record instead
#      of its versioned record; Go >= 1.16 refuses that ("inconsistent vendoring").
#      fix_modules_txt.py moves them up.
#   2. The vendored github.com/modern-go/reflect2 1.0.1 relies on runtime internals that changed in
#      Go 1.18 (it crashes at start-up); Debian's golang-github-modern-go-reflect2-dev 1.0.2 replaces
#      it (same API; modules.txt keeps saying 1.0.1 because go.mod pins that version).
#   3. pkg/generated/openapi/zz_generated.openapi.go is generated upstream at build time and is not
#      in the tarball; it is generated with the vendored openapi-gen exactly as
#      Makefile.generated_files does (same input packages; the API-rule report is checked against
#      api/api-rules/violation_exceptions.list as upstream does).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${MAILROOM_KUBE_CACHE:-/var/cache/mailroom/kube}
bin="$cache/bin"
bins=(kube-apiserver kube-controller-manager kubectl)
go_root=/usr/lib/go-1.19
src_pkg=kubernetes
src_version=1.20.5+really1.20.2
k8s_version=v1.20.2

log() { echo "kube/build: $*" >&2; }
die() {
  echo "kube/build: ERROR: $*" >&2
  exit 1
}

have_all() {
  local b
  for b in "${bins[@]}"; do [[ -x $bin/$b ]] || return 1; done
}

if have_all; then
  echo "$bin"
  exit 0
fi

mkdir -p "$cache" || die "cannot create cache directory $cache (set MAILROOM_KUBE_CACHE)"
exec 9>"$cache/.build.lock"
log "waiting for build lock $cache/.build.lock"
flock 9
if have_all; then # another run finished while we waited
  echo "$bin"
  exit 0
fi

# --- packages ------------------------------------------------------------------------------------
mapfile -t wanted < <(sed 's/#.*//' "$here/../deps/kube.txt" | awk 'NF{print $1}')
missing=()
for pkg in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$pkg")
done
if ((${#missing[@]})); then
  [[ $(id -u) == 0 ]] || die "missing packages: ${missing[*]} (run hack/install-deps.sh as root)"
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null ||
    die "apt-get install ${missing[*]} failed"
fi
[[ -x $go_root/bin/go ]] || die "$go_root/bin/go not found (package golang-1.19-go)"
reflect2_src=/usr/share/gocode/src/github.com/modern-go/reflect2
[[ -f $reflect2_src/reflect2.go ]] || die "$reflect2_src missing (golang-github-modern-go-reflect2-dev)"

# --- source --------------------------------------------------------------------------------------
srcdir="$cache/src"
tree="$srcdir/$src_pkg-$src_version"
if [[ ! -f $tree/.mailroom-unpacked ]]; then
  # apt-get source needs a deb-src entry; add one for the same mirror and suite as the deb entry.
  debsrc=/etc/apt/sources.list.d/mailroom-deb-src.sources
  if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
    [[ $(id -u) == 0 ]] || die "no deb-src entry in apt sources and not root to add $debsrc"
    log "adding $debsrc"
    cat >"$debsrc" <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    apt-get update -q </dev/null >&2 || die "apt-get update failed"
  fi
  rm -rf "$srcdir"
  mkdir -p "$srcdir"
  log "fetching source package $src_pkg=$src_version-* into $srcdir"
  (cd "$srcdir" && apt-get source -q "$src_pkg" </dev/null >&2) || die "apt-get source $src_pkg failed"
  [[ -d $tree ]] || die "expected unpacked tree $tree (Debian version changed?)"
  touch "$tree/.mailroom-unpacked"
fi
cd "$tree"

export PATH="$go_root/bin:$PATH"
export GOFLAGS=-mod=vendor GOPROXY=off CGO_ENABLED=0 GO111MODULE=on
export GOCACHE="$cache/gocache" GOPATH="$cache/gopath" HOME="${HOME:-/root}"

# --- repair 1: modules.txt -----------------------------------------------------------------------
if [[ ! -f .mailroom-fix1 ]]; then
  python3 "$here/fix_modules_txt.py" vendor/modules.txt >&2 || die "fix_modules_txt.py failed"
  touch .mailroom-fix1
fi

# --- repair 2: reflect2 --------------------------------------------------------------------------
if [[ ! -f .mailroom-fix2 ]]; then
  dst=vendor/github.com/modern-go/reflect2
  rm -rf "$dst"
  mkdir -p "$dst"
  cp "$reflect2_src"/*.go "$reflect2_src"/*.s "$dst"/
  rm -f "$dst"/*_test.go
  cp /usr/share/doc/golang-github-modern-go-reflect2-dev/copyright "$dst/LICENSE"
  log "replaced vendored reflect2 1.0.1 with Debian's 1.0.2"
  touch .mailroom-fix2
fi

# --- repair 3: generated OpenAPI definitions -----------------------------------------------------
openapi=pkg/generated/openapi/zz_generated.openapi.go
if [[ ! -s $openapi ]]; then
  tools="$cache/tools"
  mkdir -p "$tools"
  log "building openapi-gen"
  go build -o "$tools/openapi-gen" ./vendor/k8s.io/kube-openapi/cmd/openapi-gen || die "building openapi-gen failed"
  # Same selection as Makefile.generated_files: every Go file outside vendor/ (staging/src named as
  # its import path) with a "// +k8s:" tag that mentions +k8s:openapi-gen=, minus code-generator and
  # sample-apiserver.
  dirs=$(find -H . \( -path './_*' -o -path './.*' -o -path ./vendor -o -path ./debian \) -prune -o \
    -type f -name '*.go' -print0 |
    xargs -0 grep -l '^// *+k8s:' | xargs grep -l '+k8s:openapi-gen=' | xargs -n1 dirname |
    sed -e 's#^\./##' | grep -v -E '^staging/src/k8s.io/(code-generator|sample-apiserver)/' |
    sed -E -e 's#^staging/src/##' -e 's#^(pkg|cmd|plugin|test|third_party)/#k8s.io/kubernetes/\1/#' |
    LC_ALL=C sort -u | paste -sd,)
  [[ -n $dirs ]] || die "found no +k8s:openapi-gen packages"
  out=$(mktemp -d)
  log "generating $openapi"
  "$tools/openapi-gen" --logtostderr -i "$dirs" -p k8s.io/kubernetes/pkg/generated/openapi \
    -O zz_generated.openapi -h vendor/k8s.io/code-generator/hack/boilerplate.go.txt \
    -o "$out" -r "$out/report.txt" || die "openapi-gen failed"
  if ! diff <(LC_ALL=C sort "$out/report.txt") <(LC_ALL=C sort api/api-rules/violation_exceptions.list) >&2; then
    die "openapi-gen API-rule report differs from api/api-rules/violation_exceptions.list"
  fi
  cp "$out/k8s.io/kubernetes/pkg/generated/openapi/zz_generated.openapi.go" "$openapi"
  rm -rf "$out"
fi

# --- build ---------------------------------------------------------------------------------------
# Version stamps as hack/lib/version.sh would set them, so /version and kubectl version are right.
vpkg=k8s.io/component-base/version
ldflags="-s -w -X $vpkg.gitVersion=$k8s_version -X $vpkg.gitMajor=1 -X $vpkg.gitMinor=20"
ldflags+=" -X $vpkg.gitTreeState=clean -X $vpkg.buildDate=1970-01-01T00:00:00Z"
ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$k8s_version"
mkdir -p "$bin"
start=$SECONDS
for b in "${bins[@]}"; do
  [[ -x $bin/$b ]] && continue
  log "building $b (go $(go env GOVERSION))"
  go build -trimpath -ldflags "$ldflags" -o "$bin/.$b.tmp" "./cmd/$b" || die "go build ./cmd/$b failed"
  mv "$bin/.$b.tmp" "$bin/$b"
done
log "built ${bins[*]} in $((SECONDS - start))s"
"$bin/kubectl" version --client --short >&2 || die "built kubectl does not run"
echo "$bin"
