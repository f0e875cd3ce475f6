#!/usr/bin/env bash
# Builds prometheus and promtool (tools/prometheus, module github.com/prometheus/prometheus) from source
# through the Go module proxy, for the tests of the alert rules and the Grafana dashboard
# (test/rules/alert-rules.test.ts, test/integration/alerts.test.ts): no release binary is downloaded.
#
#   scripts/fetch-prometheus.sh        -> its LAST stdout line is the directory holding `prometheus`, `promtool`
#
# The binaries go to $KAFKAPLANE_CACHE/prometheus-<version>/bin, with the Go module and build caches shared
# with scripts/fetch-kube.sh and scripts/fetch-helm.sh ($KAFKAPLANE_CACHE/go, go-build). Idempotent (a stamp
# of tools/prometheus/go.mod, go.sum and the build recipe), locked, never half-made: scripts/lib/fetch-go-tool.sh.
# Built with the tag remove_all_sd (no cloud or Kubernetes service discovery: the tests scrape static
# targets) and without the web UI's npm assets (the HTTP API, which the tests use, is all there).
# Measured on 2 cores with empty module and build caches: 3 m 52 s (1.1 GB of modules fetched, 1.2 GB in
# go-build/ afterwards, 102 MB of binaries); a fraction of a second warm. Progress goes to stderr.
set -euo pipefail

# shellcheck source=scripts/lib/fetch-go-tool.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/fetch-go-tool.sh"
PROM_MOD_DIR="$GO_TOOL_ROOT/tools/prometheus"
go_tool_init prometheus "prometheus and promtool" "$PROM_MOD_DIR"

PROM_MODULE_VERSION="$(mod_version "$PROM_MOD_DIR/go.mod" github.com/prometheus/prometheus)"
[ -n "$PROM_MODULE_VERSION" ] || die "no github.com/prometheus/prometheus requirement in tools/prometheus/go.mod"
# v0.316.0 -> 3.16.0 (how Prometheus tags its Go module)
PROM_VERSION="$(printf '%s\n' "$PROM_MODULE_VERSION" | awk -F. '{ printf "3.%d.%s", substr($2, 2) + 0, $3 }')"
DEST="$CACHE/prometheus-$PROM_MODULE_VERSION"
BINARIES=(prometheus promtool)

BUILD_FLAGS=(-trimpath -p 2 -tags remove_all_sd)
# What Prometheus's own build stamps into a release, so `prometheus --version` names the version.
PROM_LDFLAGS="-s -w -X github.com/prometheus/common/version.Version=$PROM_VERSION"
RECIPE="recipe=1 prometheus=$PROM_MODULE_VERSION flags=${BUILD_FLAGS[*]} cgo=0 ldflags=$PROM_LDFLAGS"

go_tool_prepare

say "building prometheus $PROM_VERSION with $("$GO" env GOVERSION) into $DEST/bin; Go caches in $CACHE/go and $CACHE/go-build"
# No `go mod download` of the whole module graph (1.9 GB: every cloud SDK of the service discoveries that
# remove_all_sd leaves out): go build fetches only the modules of the packages it compiles.
cd "$PROM_MOD_DIR"
say "go build prometheus, promtool (fetching the modules they need)"
go_tool_run "$GO" build "${BUILD_FLAGS[@]}" -ldflags "$PROM_LDFLAGS" -o "$TMP/bin/" \
  github.com/prometheus/prometheus/cmd/prometheus github.com/prometheus/prometheus/cmd/promtool >&2 \
  || die "building prometheus $PROM_VERSION failed (see the go output above)"
V="$("$TMP/bin/promtool" --version 2>&1 | head -n 1)" || die "the new promtool does not run"
"$TMP/bin/prometheus" --version >/dev/null 2>&1 || die "the new prometheus does not run"
say "built: $V"
go_tool_install
