#!/usr/bin/env bash
# Builds a real Kubernetes control plane for envtest-style tests: kube-apiserver, kube-controller-manager,
# kubectl (from tools/kube, module k8s.io/kubernetes) and etcd (from tools/etcd, go.etcd.io/etcd/server/v3),
# all from source through the Go module proxy: no release binaries are downloaded.
#
#   scripts/fetch-kube.sh        -> its LAST stdout line is the directory holding the four binaries
#
# The binaries go to $KAFKAPLANE_CACHE/kube-<k8s version>-etcd-<etcd version>/bin, where KAFKAPLANE_CACHE
# defaults to ${XDG_CACHE_HOME:-$HOME/.cache}/kafkaplane. The Go module and build caches are our own,
# $KAFKAPLANE_CACHE/go and $KAFKAPLANE_CACHE/go-build (about 0.9 GB + 3.1 GB after a build; both may be
# deleted with rm -rf once the binaries exist, at the cost of a cold build when a version changes).
# Idempotent: when the four binaries exist and the stamp (a hash of the wrapper go.mod/go.sum files and
# of the build recipe) matches, it only prints the path.
# A build happens in a temporary directory renamed into place at the end, so an interrupted build leaves
# nothing half-made; concurrent runs wait on a lock. A cold build takes 15-30 minutes on 2 cores (it
# fetches ~160 MB of module zips); a rebuild with a warm Go build cache about 2 minutes (linking);
# progress goes to stderr.
#
# Environment: GO (the go command; default `go` on PATH, else /usr/local/go/bin/go), KAFKAPLANE_CACHE,
# KAFKAPLANE_GOTOOLCHAIN (default `local`: use that go as it is; a version such as go1.27.3 lets the go
# command fetch that toolchain from the Go module proxy), GOPROXY/GOSUMDB/GONOSUMDB/GOPRIVATE (passed through).
set -euo pipefail

say() { printf 'fetch-kube: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KUBE_MOD_DIR="$ROOT/tools/kube"
ETCD_MOD_DIR="$ROOT/tools/etcd"

for f in "$KUBE_MOD_DIR/go.mod" "$KUBE_MOD_DIR/go.sum" "$ETCD_MOD_DIR/go.mod" "$ETCD_MOD_DIR/go.sum"; do
  [ -f "$f" ] || die "$f is missing (fix: restore it from git: git checkout -- ${f#"$ROOT"/})"
done

# The version a go.mod requires of a module: "	k8s.io/kubernetes v1.36.3 // indirect" -> v1.36.3
mod_version() {
  awk -v m="$2" '($1 == m || ($1 == "require" && $2 == m)) {
    for (i = 1; i <= NF; i++) if ($i ~ /^v[0-9]/) { print $i; exit } }' "$1"
}
# The `go X.Y[.Z]` line of a go.mod
go_line() { awk '$1 == "go" { print $2; exit }' "$1"; }
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

KUBE_VERSION="$(mod_version "$KUBE_MOD_DIR/go.mod" k8s.io/kubernetes)"
ETCD_VERSION="$(mod_version "$ETCD_MOD_DIR/go.mod" go.etcd.io/etcd/server/v3)"
[ -n "$KUBE_VERSION" ] || die "no k8s.io/kubernetes requirement in tools/kube/go.mod"
[ -n "$ETCD_VERSION" ] || die "no go.etcd.io/etcd/server/v3 requirement in tools/etcd/go.mod"
if [[ ! "$KUBE_VERSION" =~ ^v([0-9]+)\.([0-9]+)\.[0-9]+$ ]]; then
  die "unexpected k8s.io/kubernetes version '$KUBE_VERSION' in tools/kube/go.mod (want vX.Y.Z)"
fi
KUBE_MAJOR="${BASH_REMATCH[1]}"
KUBE_MINOR="${BASH_REMATCH[2]}"

# --- where things go ------------------------------------------------------------------------------
CACHE="${KAFKAPLANE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kafkaplane}"
DEST="$CACHE/kube-$KUBE_VERSION-etcd-$ETCD_VERSION"
BIN="$DEST/bin"
STAMP="$DEST/stamp"
BINARIES=(kube-apiserver kube-controller-manager kubectl etcd)

# --- what to build and how: changing any of it (or the go.mod/go.sum files) rebuilds ---------------
KUBE_PKGS=(k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kubectl)
ETCD_PKG=go.etcd.io/etcd/server/v3
BUILD_FLAGS=(-trimpath -p 2)
RECIPE="recipe=3 kube=$KUBE_VERSION etcd=$ETCD_VERSION flags=${BUILD_FLAGS[*]} cgo=0 ldflags=-s,-w,version-x"

want_stamp() {
  {
    printf '%s\n' "$RECIPE"
    cat "$KUBE_MOD_DIR/go.mod" "$KUBE_MOD_DIR/go.sum" "$ETCD_MOD_DIR/go.mod" "$ETCD_MOD_DIR/go.sum"
  } | sha256sum | cut -d' ' -f1
}

is_fresh() {
  local b
  [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] || return 1
  for b in "${BINARIES[@]}"; do [ -x "$BIN/$b" ] || return 1; done
}

WANT="$(want_stamp)"
if is_fresh; then
  printf '%s\n' "$BIN"
  exit 0
fi

mkdir -p "$CACHE"
# One build at a time; a second caller waits, then finds the first one's result.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE/.fetch-kube.lock"
  if ! flock -n 9; then
    say "another fetch-kube.sh is building; waiting for it"
    flock 9
  fi
  if is_fresh; then
    printf '%s\n' "$BIN"
    exit 0
  fi
fi

# --- the Go toolchain: the one on PATH (or $GO); none is fetched unless KAFKAPLANE_GOTOOLCHAIN asks --
# Our own Go caches; -modcacherw keeps the module cache deletable with a plain rm -rf.
export GOPATH="$CACHE/go"
export GOMODCACHE="$CACHE/go/pkg/mod"
export GOCACHE="$CACHE/go-build"
export GOFLAGS="-mod=readonly -modcacherw -buildvcs=false"
export GOWORK=off
export CGO_ENABLED=0
export GOTOOLCHAIN="${KAFKAPLANE_GOTOOLCHAIN:-local}"
unset GOOS GOARCH GOBIN GOEXPERIMENT GO111MODULE

NEED_GO="$(printf '%s\n%s\n' "$(go_line "$KUBE_MOD_DIR/go.mod")" "$(go_line "$ETCD_MOD_DIR/go.mod")" | sort -V | tail -n1)"
if [ -z "${GO:-}" ]; then
  if command -v go >/dev/null 2>&1; then GO=go; elif [ -x /usr/local/go/bin/go ]; then GO=/usr/local/go/bin/go; else GO=go; fi
fi
if ! command -v "$GO" >/dev/null 2>&1; then
  die "Go >= $NEED_GO is needed to build the Kubernetes test binaries, and '$GO' is not on PATH.
  fix: install Go $NEED_GO or newer and put its bin/ on PATH (or set GO=/path/to/go), then run this again."
fi
HAVE_GO="$("$GO" env GOVERSION 2>/dev/null || true)"
HAVE_GO="${HAVE_GO#go}"
HAVE_GO="${HAVE_GO%%[!0-9.]*}" # go1.26rc1 / devel strings: keep the numeric part
if [ -z "$HAVE_GO" ] || ! version_ge "$HAVE_GO" "$NEED_GO"; then
  die "tools/kube and tools/etcd need Go >= $NEED_GO, and '$(command -v "$GO")' is Go ${HAVE_GO:-of unknown version}.
  fix: install Go $NEED_GO or newer first on PATH (or set GO=/path/to/newer/go), or let the go command fetch a
  newer toolchain from the Go module proxy: KAFKAPLANE_GOTOOLCHAIN=go1.X.Y $0"
fi

# --- build ------------------------------------------------------------------------------------------
# Leftovers of interrupted builds of this version (we hold the lock, so none is running).
rm -rf "$DEST".tmp.* "$DEST".old
TMP="$DEST.tmp.$$"
# Each go command runs as a background job in its own process group (set -m), and the script waits for it:
# a SIGINT/SIGTERM to the script then stops the whole build (go and its compile/link children) at once,
# instead of bash deferring the signal until the current go command has finished.
set -m
CHILD=""
run() {
  local rc=0
  "$@" &
  CHILD=$!
  wait "$CHILD" || rc=$?
  CHILD=""
  return "$rc"
}
on_signal() {
  if [ -n "$CHILD" ]; then
    kill -TERM -- "-$CHILD" 2>/dev/null || true
    wait "$CHILD" 2>/dev/null || true
  fi
  say "interrupted; nothing was installed"
  exit "$1"
}
cleanup() { rm -rf "$TMP"; }
trap cleanup EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM
mkdir -p "$TMP/bin"

START=$SECONDS
say "building Kubernetes $KUBE_VERSION (kube-apiserver, kube-controller-manager, kubectl) and etcd $ETCD_VERSION"
say "with $("$GO" env GOVERSION) into $BIN; Go caches in $CACHE/go and $CACHE/go-build"
say "a cold build fetches ~160 MB of modules and takes 15-30 minutes on 2 cores"

cd "$KUBE_MOD_DIR"
say "downloading modules for tools/kube"
run "$GO" mod download >&2 \
  || die "go mod download failed in tools/kube (fix: check that the Go module proxy, GOPROXY=$("$GO" env GOPROXY), is reachable)"
# The release tag's time stands in for the build date, so /version is the same on every machine.
BUILD_DATE="$("$GO" list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' k8s.io/kubernetes 2>/dev/null || true)"
[ -n "$BUILD_DATE" ] || BUILD_DATE="1970-01-01T00:00:00Z"
# What hack/lib/version.sh stamps into a release build, so /version and `kubectl version` are real.
KUBE_LDFLAGS="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  KUBE_LDFLAGS+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=$KUBE_MAJOR -X $pkg.gitMinor=$KUBE_MINOR"
  KUBE_LDFLAGS+=" -X $pkg.gitTreeState=clean -X $pkg.gitCommit= -X $pkg.buildDate=$BUILD_DATE"
done
say "go build ${KUBE_PKGS[*]}"
run "$GO" build "${BUILD_FLAGS[@]}" -ldflags "$KUBE_LDFLAGS" -o "$TMP/bin/" "${KUBE_PKGS[@]}" >&2 \
  || die "building Kubernetes $KUBE_VERSION failed (see the go output above)"
say "Kubernetes built after $((SECONDS - START)) s"

cd "$ETCD_MOD_DIR"
say "downloading modules for tools/etcd"
run "$GO" mod download >&2 \
  || die "go mod download failed in tools/etcd (fix: check that the Go module proxy, GOPROXY=$("$GO" env GOPROXY), is reachable)"
say "go build $ETCD_PKG"
run "$GO" build "${BUILD_FLAGS[@]}" -ldflags "-s -w" -o "$TMP/bin/etcd" "$ETCD_PKG" >&2 \
  || die "building etcd $ETCD_VERSION failed (see the go output above)"

for b in "${BINARIES[@]}"; do [ -x "$TMP/bin/$b" ] || die "the build did not produce $b"; done
V="$("$TMP/bin/kube-apiserver" --version)" || die "the new kube-apiserver does not run"
say "built: $V"
V="$("$TMP/bin/etcd" --version)" || die "the new etcd does not run"
say "built: ${V%%$'\n'*}"
printf '%s\n' "$WANT" >"$TMP/stamp"

# Swap the finished tree into place: an old one is moved aside first and removed after.
if [ -e "$DEST" ]; then mv "$DEST" "$DEST.old"; fi
mv "$TMP" "$DEST"
rm -rf "$DEST.old"
trap - EXIT
say "done in $((SECONDS - START)) s"
printf '%s\n' "$BIN"
