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

# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
# The Jaeger v2 release that the v1 tag required in scripts/go/jaeger/go.mod corresponds to
# (collector-config/docker-compose.yaml pins the same image version; a test checks it).
JAEGER_VERSION=v2.13.0
build_pinned_tool "${BASH_SOURCE[0]}" jaeger Jaeger "$JAEGER_VERSION" github.com/jaegertracing/jaeger/cmd/jaeger \
  github.com/jaegertracing/jaeger/internal/version.latestVersion "tools module" "$@"
