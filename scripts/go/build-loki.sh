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

# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
# collector-config/docker-compose.yaml pins the same image version; a test checks it.
LOKI_VERSION=v3.7.8
build_pinned_tool "${BASH_SOURCE[0]}" loki Loki "$LOKI_VERSION" github.com/grafana/loki/v3/cmd/loki \
  github.com/grafana/loki/v3/pkg/util/build.Version "wrapper module" "$@"
