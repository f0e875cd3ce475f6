#!/usr/bin/env bash
# Builds kafka_exporter (github.com/danielqsj/kafka_exporter, the wrapper module tools/kafka-exporter)
# from source through the Go module proxy, for bench/exporter.ts: no release binary is downloaded and
# nothing built is committed.
#
#   bench/fetch-kafka-exporter.sh   -> its LAST stdout line is the directory holding `kafka_exporter`
#
# The binary goes to $KAFKAPLANE_CACHE/kafka-exporter-<version>/bin, with the Go caches shared with
# scripts/fetch-*.sh; idempotent, locked, never half-made (scripts/lib/fetch-go-tool.sh). The wrapper
# module's committed go.sum is empty: `go mod tidy` fills the build's own copy of the module, checked
# against the Go checksum database. Progress goes to stderr.
set -euo pipefail

# shellcheck source=../scripts/lib/fetch-go-tool.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/fetch-go-tool.sh"
MOD_DIR="$GO_TOOL_ROOT/tools/kafka-exporter"
go_tool_init kafka-exporter "kafka_exporter" "$MOD_DIR"

VERSION="$(mod_version "$MOD_DIR/go.mod" github.com/danielqsj/kafka_exporter)"
[ -n "$VERSION" ] || die "no github.com/danielqsj/kafka_exporter requirement in tools/kafka-exporter/go.mod"
DEST="$CACHE/kafka-exporter-$VERSION"
BINARIES=(kafka_exporter)
BUILD_FLAGS=(-trimpath -p 2)
RECIPE="recipe=1 kafka_exporter=$VERSION flags=${BUILD_FLAGS[*]} cgo=0"

go_tool_prepare

say "building kafka_exporter $VERSION with $("$GO" env GOVERSION) into $DEST/bin"
mkdir -p "$TMP/mod"
cp "$MOD_DIR/go.mod" "$MOD_DIR/go.sum" "$TMP/mod/"
cd "$TMP/mod"
go_tool_run env GOFLAGS="-mod=mod -modcacherw -buildvcs=false" "$GO" mod tidy >&2 \
  || die "go mod tidy for github.com/danielqsj/kafka_exporter@$VERSION failed (see the go output above; fix: check that the Go module proxy, GOPROXY=$("$GO" env GOPROXY), serves that module)"
go_tool_run "$GO" build "${BUILD_FLAGS[@]}" -o "$TMP/bin/" github.com/danielqsj/kafka_exporter >&2 \
  || die "building kafka_exporter $VERSION failed (see the go output above)"
"$TMP/bin/kafka_exporter" --version >/dev/null 2>&1 || die "the new kafka_exporter does not run"
go_tool_install
