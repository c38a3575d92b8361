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
cache=${DOMAIN_OTEL_CACHE:-$HOME/.cache/domain-otel}
# shellcheck source=lib.sh
. "$here/lib.sh"
go_bin=$(find_go "$cache" || echo go)
# The collector builder runs `go` from PATH: the same one.
case "$go_bin" in */*) export PATH="$(dirname "$go_bin"):$PATH" ;; esac

force=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h|--help) awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "build-collector.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

log() { echo "build-collector: $*" >&2; }

command -v "$go_bin" >/dev/null || { log "Go toolchain not found (looked for '$go_bin')"; exit 1; }
[ -f "$manifest" ] || { log "manifest not found: $manifest"; exit 1; }

# The builder and the manifest must name the same release, or the build mixes versions.
if ! grep -q "otlpreceiver $BUILDER_VERSION\$" "$manifest"; then
  log "builder.yaml does not pin the collector release $BUILDER_VERSION of this script's builder; bump both together"
  exit 1
fi

hash=$(sha256sum "$manifest" | cut -c1-16)
out_dir="$cache/otelcol-$hash"
binary="$out_dir/otelcol-domain"

mkdir -p "$cache"
# Serialise concurrent runs (CI and a test run, two worktrees...) on the same manifest.
exec 9>"$cache/otelcol-$hash.lock"
if command -v flock >/dev/null; then flock 9; fi

if [ "$force" = 0 ] && [ -x "$binary" ]; then
  log "up to date (manifest $hash)"
  echo "$binary"
  exit 0
fi

# Keep two CPUs' worth of parallelism on small machines, but do not oversubscribe bigger ones
# with memory-hungry links.
cpus=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
jobs=${DOMAIN_OTEL_GO_JOBS:-$(( cpus > 4 ? 4 : cpus ))}
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
