#!/usr/bin/env bash
# Build the bundled OpenTelemetry Collector (otelcol-domain) from collector-config/builder.yaml.
#
#   scripts/go/build-collector.sh            # build if needed; last stdout line = binary path
#   scripts/go/build-collector.sh --force    # rebuild even if the cached binary exists
#
# The binary lives outside the clone, in
#   ${DOMAIN_OTEL_CACHE:-$HOME/.cache/domain-otel}/otelcol-<first 16 hex of sha256(builder.yaml)>/otelcol-domain
# so a fresh clone on the same machine (as CI makes) reuses it, and any manifest edit gets a new
# folder. Everything comes from the Go module proxy through Go's usual module and build caches.
#
# Environment:
#   DOMAIN_OTEL_CACHE     cache root (default $HOME/.cache/domain-otel)
#   DOMAIN_OTEL_GO_JOBS   parallel compile jobs passed as `go build -p` (default: number of CPUs, at most 4)
#   GO                    go binary to use (default: go on PATH)
set -euo pipefail

BUILDER_VERSION=v0.159.0

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
manifest="$repo/collector-config/builder.yaml"
# shellcheck source=lib.sh
. "$here/lib.sh"
build_init build-collector "${BASH_SOURCE[0]}" "$@"

[ -f "$manifest" ] || { log "manifest not found: $manifest"; exit 1; }

# The builder and the manifest must name the same release, or the build mixes versions.
if ! grep -q "otlpreceiver $BUILDER_VERSION\$" "$manifest"; then
  log "builder.yaml does not pin the collector release $BUILDER_VERSION of this script's builder; bump both together"
  exit 1
fi

hash=$(sha256sum "$manifest" | cut -c1-16)
out_dir="$cache/otelcol-$hash"
binary="$out_dir/otelcol-domain"
use_cached_binary "otelcol-$hash" "manifest $hash"

jobs=$(go_jobs)
export GOFLAGS="$("$go_bin" env GOFLAGS) -p=$jobs"
export CGO_ENABLED=0

builder_dir="$cache/tools/builder-$BUILDER_VERSION"
builder="$builder_dir/builder"
if [ ! -x "$builder" ]; then
  GOBIN="$builder_dir" run_logged build-collector-builder "installing the collector builder $BUILDER_VERSION" \
    "$go_bin" install "go.opentelemetry.io/collector/cmd/builder@$BUILDER_VERSION"
fi

work=$(mktemp -d "$cache/otelcol-$hash.build.XXXXXX")
trap 'rm -rf "$work"' EXIT

# output_path in the manifest is relative (./src): run the builder inside the scratch folder.
# One progress line on the terminal; `go: downloading …` and compiler output go to the log.
(cd "$work" && run_logged build-collector "building otelcol-domain (manifest $hash, -p=$jobs, a cold build takes several minutes)" \
  "$builder" --config "$manifest")

mkdir -p "$out_dir"
cp "$manifest" "$out_dir/builder.yaml"
# Move into place atomically so a concurrent reader never sees a half-written binary.
mv -f "$work/src/otelcol-domain" "$out_dir/otelcol-domain.tmp"
mv -f "$out_dir/otelcol-domain.tmp" "$binary"

echo "$binary"
