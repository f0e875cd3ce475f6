# shellcheck shell=bash
# What scripts/fetch-kube.sh and scripts/fetch-helm.sh share: building Go commands of pinned wrapper
# modules (tools/<name>/go.mod + go.sum, committed) from source through the Go module proxy into
# $KAFKAPLANE_CACHE, idempotently, one build at a time, never leaving a half-made result. Sourced, not run.
#
# The caller calls, and sets, in this order:
#   go_tool_init TOOL WHAT DIR...
#              TOOL: short name (progress lines start with `fetch-TOOL:`, the lock is $CACHE/.fetch-TOOL.lock);
#              WHAT: what is built, for messages ("the Kubernetes test binaries"); DIR...: the wrapper
#              module directories (MOD_DIRS), each holding go.mod and go.sum (it dies when one is missing)
#   DEST       where the result goes: DEST/bin holds the binaries, DEST/stamp the hash of the recipe
#   BINARIES   the names DEST/bin must hold (array)
#   RECIPE     one line saying how they are built (versions, flags): changing it, any go.mod/go.sum or a
#              module's own *.go file, rebuilds
#   go_tool_prepare       when fresh, prints DEST/bin and exits 0. Else takes the lock (a second caller
#                         waits, then finds the first one's result), checks the Go toolchain against the
#                         modules' `go` lines, points Go at our own caches and makes $TMP/bin; sets GO.
#   go_tool_download DIR  `go mod download` in a wrapper module directory (and cd's there)
#   go_tool_run CMD...    runs a (go) command in its own process group, so SIGINT/SIGTERM stop it at once
#   go_tool_install       checks $TMP/bin holds BINARIES, writes the stamp, swaps $TMP into DEST, prints DEST/bin
#
# Environment: GO (the go command; default `go` on PATH, else /usr/local/go/bin/go), KAFKAPLANE_CACHE
# (default ${XDG_CACHE_HOME:-$HOME/.cache}/kafkaplane), KAFKAPLANE_GOTOOLCHAIN (default `local`: use that go
# as it is; a version such as go1.27.3 lets the go command fetch that toolchain from the Go module proxy),
# GOPROXY/GOSUMDB/GONOSUMDB/GOPRIVATE (passed through). The Go module and build caches are our own,
# $CACHE/go and $CACHE/go-build, shared by every tool; both may be deleted once the binaries exist.

say() { printf 'fetch-%s: %s\n' "$TOOL" "$*" >&2; }
die() { say "error: $*"; exit 1; }

CACHE="${KAFKAPLANE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kafkaplane}"
GO_TOOL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# The version a go.mod requires of a module: "	k8s.io/kubernetes v1.36.3 // indirect" -> v1.36.3
mod_version() {
  awk -v m="$2" '($1 == m || ($1 == "require" && $2 == m)) {
    for (i = 1; i <= NF; i++) if ($i ~ /^v[0-9]/) { print $i; exit } }' "$1"
}
# The `go X.Y[.Z]` line of a go.mod
go_line() { awk '$1 == "go" { print $2; exit }' "$1"; }
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

go_tool_init() {
  TOOL="$1"
  WHAT="$2"
  MOD_DIRS=("${@:3}")
  local d f
  for d in "${MOD_DIRS[@]}"; do
    for f in "$d/go.mod" "$d/go.sum"; do
      [ -f "$f" ] || die "$f is missing (fix: restore it from git: git checkout -- ${f#"$GO_TOOL_ROOT"/})"
    done
  done
}

go_tool_want_stamp() {
  local d
  {
    printf '%s\n' "$RECIPE"
    for d in "${MOD_DIRS[@]}"; do
      cat "$d/go.mod" "$d/go.sum"
      # a wrapper module's own Go files (tools/coredns/main.go picks CoreDNS's plugins)
      for f in "$d"/*.go; do if [ -f "$f" ]; then cat "$f"; fi; done
    done
  } | sha256sum | cut -d' ' -f1
}

go_tool_is_fresh() {
  local b
  [ -f "$DEST/stamp" ] && [ "$(cat "$DEST/stamp")" = "$GO_TOOL_WANT" ] || return 1
  for b in "${BINARIES[@]}"; do [ -x "$DEST/bin/$b" ] || return 1; done
}

go_tool_prepare() {
  GO_TOOL_WANT="$(go_tool_want_stamp)"
  if go_tool_is_fresh; then
    printf '%s\n' "$DEST/bin"
    exit 0
  fi
  mkdir -p "$CACHE"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$CACHE/.fetch-$TOOL.lock"
    if ! flock -n 9; then
      say "another fetch-$TOOL is building; waiting for it"
      flock 9
    fi
    if go_tool_is_fresh; then
      printf '%s\n' "$DEST/bin"
      exit 0
    fi
  fi

  # The Go toolchain: the one on PATH (or $GO); none is fetched unless KAFKAPLANE_GOTOOLCHAIN asks.
  # Our own Go caches; -modcacherw keeps the module cache deletable with a plain rm -rf.
  export GOPATH="$CACHE/go"
  export GOMODCACHE="$CACHE/go/pkg/mod"
  export GOCACHE="$CACHE/go-build"
  export GOFLAGS="-mod=readonly -modcacherw -buildvcs=false"
  export GOWORK=off
  export CGO_ENABLED=0
  export GOTOOLCHAIN="${KAFKAPLANE_GOTOOLCHAIN:-local}"
  unset GOOS GOARCH GOBIN GOEXPERIMENT GO111MODULE

  local d need_go="" have_go mods=""
  for d in "${MOD_DIRS[@]}"; do
    need_go="$(printf '%s\n%s\n' "$need_go" "$(go_line "$d/go.mod")" | sort -V | tail -n1)"
    mods+="${mods:+ and }${d#"$GO_TOOL_ROOT"/}"
  done
  if [ -z "${GO:-}" ]; then
    if command -v go >/dev/null 2>&1; then GO=go; elif [ -x /usr/local/go/bin/go ]; then GO=/usr/local/go/bin/go; else GO=go; fi
  fi
  if ! command -v "$GO" >/dev/null 2>&1; then
    die "Go >= $need_go is needed to build $WHAT, and '$GO' is not on PATH.
  fix: install Go $need_go or newer and put its bin/ on PATH (or set GO=/path/to/go), then run this again."
  fi
  have_go="$("$GO" env GOVERSION 2>/dev/null || true)"
  have_go="${have_go#go}"
  have_go="${have_go%%[!0-9.]*}" # go1.26rc1 / devel strings: keep the numeric part
  if [ -z "$have_go" ] || ! version_ge "$have_go" "$need_go"; then
    die "$mods need Go >= $need_go, and '$(command -v "$GO")' is Go ${have_go:-of unknown version}.
  fix: install Go $need_go or newer first on PATH (or set GO=/path/to/newer/go), or let the go command fetch a
  newer toolchain from the Go module proxy: KAFKAPLANE_GOTOOLCHAIN=go1.X.Y $0"
  fi

  # Leftovers of interrupted builds of this version (we hold the lock, so none is running).
  rm -rf "$DEST".tmp.* "$DEST".old
  TMP="$DEST.tmp.$$"
  # Each go command runs as a background job in its own process group (set -m), and the script waits for
  # it: a SIGINT/SIGTERM to the script then stops the whole build (go and its compile/link children) at
  # once, instead of bash deferring the signal until the current go command has finished.
  set -m
  GO_TOOL_CHILD=""
  trap 'rm -rf "$TMP"' EXIT
  trap 'go_tool_on_signal 130' INT
  trap 'go_tool_on_signal 143' TERM
  mkdir -p "$TMP/bin"
  GO_TOOL_START=$SECONDS
}

go_tool_run() {
  local rc=0
  "$@" &
  GO_TOOL_CHILD=$!
  wait "$GO_TOOL_CHILD" || rc=$?
  GO_TOOL_CHILD=""
  return "$rc"
}

go_tool_on_signal() {
  if [ -n "$GO_TOOL_CHILD" ]; then
    kill -TERM -- "-$GO_TOOL_CHILD" 2>/dev/null || true
    wait "$GO_TOOL_CHILD" 2>/dev/null || true
  fi
  say "interrupted; nothing was installed"
  exit "$1"
}

go_tool_download() {
  cd "$1" || die "no directory $1"
  say "downloading modules for ${1#"$GO_TOOL_ROOT"/}"
  go_tool_run "$GO" mod download >&2 \
    || die "go mod download failed in ${1#"$GO_TOOL_ROOT"/} (fix: check that the Go module proxy, GOPROXY=$("$GO" env GOPROXY), is reachable)"
}

go_tool_install() {
  local b
  for b in "${BINARIES[@]}"; do [ -x "$TMP/bin/$b" ] || die "the build did not produce $b"; done
  printf '%s\n' "$GO_TOOL_WANT" >"$TMP/stamp"
  # Swap the finished tree into place: an old one is moved aside first and removed after.
  if [ -e "$DEST" ]; then mv "$DEST" "$DEST.old"; fi
  mv "$TMP" "$DEST"
  rm -rf "$DEST.old"
  trap - EXIT
  say "done in $((SECONDS - GO_TOOL_START)) s"
  printf '%s\n' "$DEST/bin"
}
