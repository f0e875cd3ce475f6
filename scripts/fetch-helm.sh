#!/usr/bin/env bash
# Builds helm (tools/helm, module helm.sh/helm/v4) from source through the Go module proxy, for the tests
# of the operator's Helm chart (deploy/helm/kafkaplane-operator): no release binary is downloaded.
#
#   scripts/fetch-helm.sh        -> its LAST stdout line is the directory holding `helm`
#
# The binary goes to $KAFKAPLANE_CACHE/helm-<version>/bin, with the Go module and build caches shared
# with scripts/fetch-kube.sh ($KAFKAPLANE_CACHE/go, go-build). Idempotent: when the binary exists and the
# stamp (a hash of tools/helm/go.mod, go.sum and the build recipe) matches, it only prints the path;
# concurrent runs wait on a lock; an interrupted build leaves nothing half-made (scripts/lib/fetch-go-tool.sh
# says how, and which environment variables count). Helm 4.3 pulls k8s.io 0.37 and ~120 other modules:
# 8 m 43 s measured on 2 cores with an empty build cache (1.2 GB of it afterwards), 5 s with a warm one;
# progress goes to stderr.
set -euo pipefail

# shellcheck source=scripts/lib/fetch-go-tool.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/fetch-go-tool.sh"
HELM_MOD_DIR="$GO_TOOL_ROOT/tools/helm"
go_tool_init helm helm "$HELM_MOD_DIR"

HELM_VERSION="$(mod_version "$HELM_MOD_DIR/go.mod" helm.sh/helm/v4)"
[ -n "$HELM_VERSION" ] || die "no helm.sh/helm/v4 requirement in tools/helm/go.mod"
DEST="$CACHE/helm-$HELM_VERSION"
BINARIES=(helm)

HELM_PKG=helm.sh/helm/v4/cmd/helm
BUILD_FLAGS=(-trimpath -p 2)
# What helm's Makefile stamps into a release, so `helm version` names the version.
HELM_LDFLAGS="-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION"
RECIPE="recipe=1 helm=$HELM_VERSION flags=${BUILD_FLAGS[*]} cgo=0 ldflags=$HELM_LDFLAGS"

go_tool_prepare

say "building helm $HELM_VERSION with $("$GO" env GOVERSION) into $DEST/bin; Go caches in $CACHE/go and $CACHE/go-build"
go_tool_download "$HELM_MOD_DIR"
say "go build $HELM_PKG"
go_tool_run "$GO" build "${BUILD_FLAGS[@]}" -ldflags "$HELM_LDFLAGS" -o "$TMP/bin/helm" "$HELM_PKG" >&2 \
  || die "building helm $HELM_VERSION failed (see the go output above)"
V="$("$TMP/bin/helm" version --short)" || die "the new helm does not run"
say "built: helm $V"
go_tool_install
