#!/usr/bin/env bash
# Build Jaeger v2 (github.com/jaegertracing/jaeger/cmd/jaeger) from the Go module proxy.
#
#   scripts/go/build-jaeger.sh            # build if needed; last stdout line = binary path
#   scripts/go/build-jaeger.sh --force    # rebuild even if the cached binary exists
#
# The version is pinned by the tools module in scripts/go/jaeger/ (go.mod + go.sum; see the
# comment there for why it requires the v1.76.0 tag to get Jaeger v2.13.0). The binary lives in
#   ${DOMAIN_OTEL_CACHE:-$HOME/.cache/domain-otel}/jaeger-<version>-<first 12 hex of sha256(go.mod+go.sum)>/jaeger
# and is reused as long as the tools module is unchanged.
#
# Environment:
#   DOMAIN_OTEL_CACHE     cache root (default $HOME/.cache/domain-otel)
#   DOMAIN_OTEL_GO_JOBS   parallel compile jobs passed as `go build -p` (default: number of CPUs, at most 4)
#   GO                    go binary to use (default: go on PATH)
set -euo pipefail

# The Jaeger v2 release that the v1 tag required in scripts/go/jaeger/go.mod corresponds to.
JAEGER_VERSION=v2.13.0
JAEGER_PKG=github.com/jaegertracing/jaeger/cmd/jaeger

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tools="$here/jaeger"
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
    *) echo "build-jaeger.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

log() { echo "build-jaeger: $*" >&2; }

command -v "$go_bin" >/dev/null || { log "Go toolchain not found (looked for '$go_bin')"; exit 1; }

hash=$(cat "$tools/go.mod" "$tools/go.sum" | sha256sum | cut -c1-12)
out_dir="$cache/jaeger-$JAEGER_VERSION-$hash"
binary="$out_dir/jaeger"

mkdir -p "$cache"
exec 9>"$cache/jaeger-$JAEGER_VERSION-$hash.lock"
if command -v flock >/dev/null; then flock 9; fi

if [ "$force" = 0 ] && [ -x "$binary" ]; then
  log "up to date ($JAEGER_VERSION, tools module $hash)"
  echo "$binary"
  exit 0
fi

cpus=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
jobs=${DOMAIN_OTEL_GO_JOBS:-$(( cpus > 4 ? 4 : cpus ))}
# -mod=readonly: go.mod/go.sum are the pin, never rewrite them. -buildvcs=false: the tools module
# sits inside this repository's checkout, whose git state has nothing to do with Jaeger.
export GOFLAGS="$(cd "$tools" && "$go_bin" env GOFLAGS) -mod=readonly -buildvcs=false -p=$jobs"
export CGO_ENABLED=0

mkdir -p "$out_dir"
tmp="$out_dir/jaeger.tmp.$$"
trap 'rm -f "$tmp"' EXIT

# One progress line on the terminal; `go: downloading …` and compiler output go to the log.
(cd "$tools" && run_logged build-jaeger "building Jaeger $JAEGER_VERSION (-p=$jobs, a cold build takes several minutes)" "$go_bin" build -trimpath \
  -ldflags "-s -w -X github.com/jaegertracing/jaeger/internal/version.latestVersion=$JAEGER_VERSION" \
  -o "$tmp" "$JAEGER_PKG")
mv -f "$tmp" "$binary"

echo "$binary"
