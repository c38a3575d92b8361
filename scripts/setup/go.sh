#!/usr/bin/env bash
# Ensure a Go toolchain new enough for the builds in scripts/go/ (the newest `go` line of their
# go.mod files). Idempotent: when one is found (GO, the cached toolchain, go on PATH) it only
# prints its version. Otherwise it takes the toolchain through Go's own mechanism: the module
# golang.org/toolchain@v0.0.1-go<version>.<os>-<arch>, from the Go module proxy (GOPROXY), like any
# module, into ~/.cache/domain-otel/go (the build scripts use it from there). With no Go at all it
# first installs Debian's golang-go, only to fetch that module. Output goes to a log file.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${DOMAIN_OTEL_CACHE:-$HOME/.cache/domain-otel}
# shellcheck source=../go/lib.sh
. "$repo/scripts/go/lib.sh"

required=$(required_go_version "$repo")
if found=$(find_go "$cache") && go_at_least "$("$found" env GOVERSION)" "$required"; then
  echo "go: $("$found" env GOVERSION) at $found (needs go$required or newer)"
  exit 0
fi

mkdir -p "$cache/logs"
log="$cache/logs/setup-go.log"
: >"$log"
bootstrap_go=""
if found=$(find_go "$cache"); then
  bootstrap_go=$found
else
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "go.sh: no Go found and apt-get is not available; install Go $required or newer" >&2
    exit 1
  fi
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
  echo "go: no Go found; installing Debian's golang-go to fetch go$required (log: $log)"
  { $sudo apt-get update && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends golang-go; } >>"$log" 2>&1 \
    || { echo "go.sh: apt-get failed; last lines of $log:" >&2; tail -n 20 "$log" >&2; exit 1; }
  bootstrap_go=$(command -v go)
fi

os=$("$bootstrap_go" env GOHOSTOS)
arch=$("$bootstrap_go" env GOHOSTARCH)
module="golang.org/toolchain@v0.0.1-go$required.$os-$arch"
echo "go: fetching go$required ($module) from the Go module proxy (log: $log)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dir=$(cd "$work" && GOTOOLCHAIN=local GOFLAGS=-mod=mod "$bootstrap_go" mod download -json "$module" 2>>"$log" \
  | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p') || true
if [ -z "$dir" ] || [ ! -f "$dir/bin/go" ]; then
  echo "go.sh: could not fetch $module; last lines of $log:" >&2
  tail -n 20 "$log" >&2
  exit 1
fi
# Module zips keep no file modes: copy it out of the read-only module cache and make the tools
# executable, as the go command does when it switches toolchains itself.
rm -rf "$cache/go-$required.tmp"
cp -r "$dir" "$cache/go-$required.tmp"
chmod -R u+w "$cache/go-$required.tmp"
chmod +x "$cache/go-$required.tmp"/bin/* "$cache/go-$required.tmp"/pkg/tool/*/*
rm -rf "$cache/go-$required"
mv "$cache/go-$required.tmp" "$cache/go-$required"
ln -sfn "go-$required" "$cache/go"
echo "go: $("$cache/go/bin/go" env GOVERSION) at $cache/go/bin/go"
