#!/usr/bin/env bash
# Builds real Kubernetes for the tests: kube-apiserver, kube-controller-manager, kube-scheduler, kubelet,
# kubectl (from tools/kube, module k8s.io/kubernetes), etcd (from tools/etcd, go.etcd.io/etcd/server/v3)
# and CoreDNS (from tools/coredns, github.com/coredns/coredns with the few plugins the test bed uses), all
# from source through the Go module proxy: no release binaries are downloaded. The envtest-style control
# plane (src/local/kube-control-plane.ts) runs the first ones; the test bed with real nodes
# (src/local/kube-bed.ts) all of them.
#
#   scripts/fetch-kube.sh        -> its LAST stdout line is the directory holding the seven binaries
#
# The binaries go to $KAFKAPLANE_CACHE/kube-<k8s version>-etcd-<etcd version>-coredns-<version>/bin, where KAFKAPLANE_CACHE
# defaults to ${XDG_CACHE_HOME:-$HOME/.cache}/kafkaplane. The Go module and build caches are our own,
# $KAFKAPLANE_CACHE/go and $KAFKAPLANE_CACHE/go-build (about 0.9 GB + 3.1 GB after a build; both may be
# deleted with rm -rf once the binaries exist, at the cost of a cold build when a version changes).
# Idempotent: when the seven binaries exist and the stamp (a hash of the wrapper go.mod/go.sum files and
# of the build recipe) matches, it only prints the path.
# A build happens in a temporary directory renamed into place at the end, so an interrupted build leaves
# nothing half-made; concurrent runs wait on a lock. A cold build takes 15-30 minutes on 2 cores (it
# fetches ~160 MB of module zips; kubelet and kube-scheduler add about 7 minutes, CoreDNS 80 s); a
# rebuild with a warm Go build cache about 2 minutes (linking); progress goes to stderr.
#
# Environment: GO (the go command; default `go` on PATH, else /usr/local/go/bin/go), KAFKAPLANE_CACHE,
# KAFKAPLANE_GOTOOLCHAIN (default `local`: use that go as it is; a version such as go1.27.3 lets the go
# command fetch that toolchain from the Go module proxy), GOPROXY/GOSUMDB/GONOSUMDB/GOPRIVATE (passed through).
# The stamp, lock, Go environment and swap-into-place are scripts/lib/fetch-go-tool.sh's (shared with
# scripts/fetch-helm.sh).
set -euo pipefail

# shellcheck source=scripts/lib/fetch-go-tool.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/fetch-go-tool.sh"
KUBE_MOD_DIR="$GO_TOOL_ROOT/tools/kube"
ETCD_MOD_DIR="$GO_TOOL_ROOT/tools/etcd"
COREDNS_MOD_DIR="$GO_TOOL_ROOT/tools/coredns"
go_tool_init kube "the Kubernetes test binaries" "$KUBE_MOD_DIR" "$ETCD_MOD_DIR" "$COREDNS_MOD_DIR"

KUBE_VERSION="$(mod_version "$KUBE_MOD_DIR/go.mod" k8s.io/kubernetes)"
ETCD_VERSION="$(mod_version "$ETCD_MOD_DIR/go.mod" go.etcd.io/etcd/server/v3)"
[ -n "$KUBE_VERSION" ] || die "no k8s.io/kubernetes requirement in tools/kube/go.mod"
[ -n "$ETCD_VERSION" ] || die "no go.etcd.io/etcd/server/v3 requirement in tools/etcd/go.mod"
COREDNS_VERSION="$(mod_version "$COREDNS_MOD_DIR/go.mod" github.com/coredns/coredns)"
[ -n "$COREDNS_VERSION" ] || die "no github.com/coredns/coredns requirement in tools/coredns/go.mod"
if [[ ! "$KUBE_VERSION" =~ ^v([0-9]+)\.([0-9]+)\.[0-9]+$ ]]; then
  die "unexpected k8s.io/kubernetes version '$KUBE_VERSION' in tools/kube/go.mod (want vX.Y.Z)"
fi
KUBE_MAJOR="${BASH_REMATCH[1]}"
KUBE_MINOR="${BASH_REMATCH[2]}"

# --- where things go ------------------------------------------------------------------------------
DEST="$CACHE/kube-$KUBE_VERSION-etcd-$ETCD_VERSION-coredns-$COREDNS_VERSION"
BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl etcd coredns)

# --- what to build and how: changing any of it (or the go.mod/go.sum files) rebuilds ---------------
KUBE_PKGS=(k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler
  k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kubectl)
ETCD_PKG=go.etcd.io/etcd/server/v3
BUILD_FLAGS=(-trimpath -p 2)
RECIPE="recipe=4 kube=$KUBE_VERSION etcd=$ETCD_VERSION coredns=$COREDNS_VERSION flags=${BUILD_FLAGS[*]} cgo=0 ldflags=-s,-w,version-x"

go_tool_prepare

# --- build ------------------------------------------------------------------------------------------
say "building Kubernetes $KUBE_VERSION (kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kubectl),"
say "etcd $ETCD_VERSION and CoreDNS $COREDNS_VERSION"
say "with $("$GO" env GOVERSION) into $DEST/bin; Go caches in $CACHE/go and $CACHE/go-build"
say "a cold build fetches ~160 MB of modules and takes 15-30 minutes on 2 cores"

go_tool_download "$KUBE_MOD_DIR"
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
go_tool_run "$GO" build "${BUILD_FLAGS[@]}" -ldflags "$KUBE_LDFLAGS" -o "$TMP/bin/" "${KUBE_PKGS[@]}" >&2 \
  || die "building Kubernetes $KUBE_VERSION failed (see the go output above)"
say "Kubernetes built after $((SECONDS - GO_TOOL_START)) s"

go_tool_download "$ETCD_MOD_DIR"
say "go build $ETCD_PKG"
go_tool_run "$GO" build "${BUILD_FLAGS[@]}" -ldflags "-s -w" -o "$TMP/bin/etcd" "$ETCD_PKG" >&2 \
  || die "building etcd $ETCD_VERSION failed (see the go output above)"

go_tool_download "$COREDNS_MOD_DIR"
say "go build CoreDNS (tools/coredns)"
go_tool_run "$GO" build "${BUILD_FLAGS[@]}" -ldflags "-s -w" -o "$TMP/bin/coredns" . >&2 \
  || die "building CoreDNS $COREDNS_VERSION failed (see the go output above)"

V="$("$TMP/bin/kube-apiserver" --version)" || die "the new kube-apiserver does not run"
say "built: $V"
V="$("$TMP/bin/etcd" --version)" || die "the new etcd does not run"
say "built: ${V%%$'\n'*}"
V="$("$TMP/bin/coredns" -version)" || die "the new coredns does not run"
say "built: ${V%%$'\n'*}"
go_tool_install
