#!/usr/bin/env bash
# Build Loki (github.com/grafana/loki/v3/cmd/loki) from the Go module proxy.
#
#   scripts/go/build-loki.sh            # build if needed; last stdout line = binary path
#   scripts/go/build-loki.sh --force    # rebuild even if the cached binary exists
#
# The version is pinned by the wrapper module in scripts/go/loki/ (go.mod + go.sum; it repeats
# Loki's replace/exclude directives, which `go install ...@version` cannot honour). The binary
# lives in
#   ${DOMAIN_OTEL_CACHE:-$HOME/.cache/domain-otel}/loki-<version>-<first 12 hex of sha256(go.mod+go.sum)>/loki
# and is reused as long as the wrapper module is unchanged. A cold build takes about 5 minutes
# on 2 cores and needs about 2.5 GB of memory.
#
# Environment:
#   DOMAIN_OTEL_CACHE     cache root (default $HOME/.cache/domain-otel)
#   DOMAIN_OTEL_GO_JOBS   parallel compile jobs passed as `go build -p` (default: number of CPUs, at most 4)
#   GO                    go binary to use (default: go on PATH)
set -euo pipefail

LOKI_VERSION=v3.7.8
LOKI_PKG=github.com/grafana/loki/v3/cmd/loki

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tools="$here/loki"
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
    *) echo "build-loki.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

log() { echo "build-loki: $*" >&2; }

command -v "$go_bin" >/dev/null || { log "Go toolchain not found (looked for '$go_bin')"; exit 1; }

hash=$(cat "$tools/go.mod" "$tools/go.sum" | sha256sum | cut -c1-12)
out_dir="$cache/loki-$LOKI_VERSION-$hash"
binary="$out_dir/loki"

mkdir -p "$cache"
exec 9>"$cache/loki-$LOKI_VERSION-$hash.lock"
if command -v flock >/dev/null; then flock 9; fi

if [ "$force" = 0 ] && [ -x "$binary" ]; then
  log "up to date ($LOKI_VERSION, wrapper module $hash)"
  echo "$binary"
  exit 0
fi

cpus=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
jobs=${DOMAIN_OTEL_GO_JOBS:-$(( cpus > 4 ? 4 : cpus ))}
export GOFLAGS="$(cd "$tools" && "$go_bin" env GOFLAGS) -mod=readonly -buildvcs=false -p=$jobs"
export CGO_ENABLED=0

mkdir -p "$out_dir"
tmp="$out_dir/loki.tmp.$$"
trap 'rm -f "$tmp"' EXIT

# One progress line on the terminal; `go: downloading …` and compiler output go to the log.
(cd "$tools" && run_logged build-loki "building Loki $LOKI_VERSION (-p=$jobs, a cold build takes several minutes)" "$go_bin" build -trimpath \
  -ldflags "-s -w -X github.com/grafana/loki/v3/pkg/util/build.Version=$LOKI_VERSION" \
  -o "$tmp" "$LOKI_PKG")
mv -f "$tmp" "$binary"

echo "$binary"
