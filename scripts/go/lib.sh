# Shared by scripts/go/build-*.sh and scripts/setup/go.sh (sourced, not run).

# The newest `go` directive of the build modules, e.g. 1.26.5.
required_go_version() {
  local repo=$1
  sed -n 's/^go \([0-9][0-9.]*\)$/\1/p' "$repo"/scripts/go/*/go.mod | sort -t. -k1,1n -k2,2n -k3,3n | tail -n1
}

# go_at_least go1.26.8 1.26.5 -> true when the first is the same or newer.
go_at_least() {
  local have=${1#go} want=$2
  have=${have%%[!0-9.]*}
  [ "$(printf '%s\n%s\n' "$want" "$have" | sort -t. -k1,1n -k2,2n -k3,3n | head -n1)" = "$want" ]
}

# The go binary to use: $GO, else the toolchain scripts/setup/go.sh fetched, else go on PATH.
find_go() {
  local cache=$1
  if [ -n "${GO:-}" ]; then command -v "$GO" && return 0; fi
  if [ -x "$cache/go/bin/go" ]; then echo "$cache/go/bin/go"; return 0; fi
  command -v go 2>/dev/null
}

# run_logged NAME WHAT COMMAND...: runs COMMAND with its output (go: downloading …, compiler
# output) in $cache/logs/NAME.log. The terminal gets one progress line: on a terminal it is
# rewritten every few seconds with the elapsed time; otherwise one line when it ends. On failure
# the last lines of the log follow.
run_logged() {
  local name=$1 what=$2
  shift 2
  local logdir="${cache:?}/logs" start status=0 pid
  mkdir -p "$logdir"
  local log="$logdir/$name.log"
  start=$(date +%s)
  "$@" >"$log" 2>&1 &
  pid=$!
  if [ -t 2 ]; then
    while kill -0 "$pid" 2>/dev/null; do
      printf '\r%s: %s … %ss (log: %s)' "$name" "$what" "$(( $(date +%s) - start ))" "$log" >&2
      sleep 2
    done
  fi
  wait "$pid" || status=$?
  local elapsed=$(( $(date +%s) - start ))
  if [ "$status" -eq 0 ]; then
    printf '%s%s: %s done in %ss (log: %s)\n' "$( [ -t 2 ] && printf '\r\033[K' )" "$name" "$what" "$elapsed" "$log" >&2
  else
    printf '%s%s: %s FAILED after %ss (exit %s); last lines of %s:\n' "$( [ -t 2 ] && printf '\r\033[K' )" "$name" "$what" "$elapsed" "$status" "$log" >&2
    tail -n 25 "$log" >&2
  fi
  return "$status"
}

# --- the steps every build-*.sh shares -----------------------------------------------------------

# build_init NAME SCRIPT ARGS...: the start of a build script. Sets cache, go_bin (also first on
# PATH: the collector builder runs `go` from PATH) and force (--force); --help prints SCRIPT's
# header comment. Exits when an argument is unknown or no Go toolchain is found.
build_init() {
  build_name=$1
  local script=$2 arg
  shift 2
  cache=${DOMAIN_OTEL_CACHE:-$HOME/.cache/domain-otel}
  go_bin=$(find_go "$cache" || echo go)
  case "$go_bin" in */*) PATH="$(dirname "$go_bin"):$PATH"; export PATH ;; esac
  force=0
  for arg in "$@"; do
    case "$arg" in
      --force) force=1 ;;
      -h|--help) awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$script"; exit 0 ;;
      *) echo "$build_name.sh: unknown argument: $arg" >&2; exit 2 ;;
    esac
  done
  command -v "$go_bin" >/dev/null || { log "Go toolchain not found (looked for '$go_bin')"; exit 1; }
}

log() { echo "${build_name:?}: $*" >&2; }

# use_cached_binary LOCK WHAT: serialises concurrent builds of the same version (CI and a test
# run, two worktrees...) on $cache/LOCK.lock, then, unless --force, prints $binary and exits
# when it is already built.
use_cached_binary() {
  local lock=$1 what=$2
  mkdir -p "$cache"
  exec 9>"$cache/$lock.lock"
  if command -v flock >/dev/null; then flock 9; fi
  if [ "$force" = 0 ] && [ -x "${binary:?}" ]; then
    log "up to date ($what)"
    echo "$binary"
    exit 0
  fi
}

# Parallel compile jobs: two CPUs' worth on small machines, but no oversubscribing bigger ones
# with memory-hungry links.
go_jobs() {
  local cpus
  cpus=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
  echo "${DOMAIN_OTEL_GO_JOBS:-$(( cpus > 4 ? 4 : cpus ))}"
}

# build_pinned_module DIR LABEL VERSION PACKAGE VERSION_VARIABLE: builds PACKAGE as pinned by the
# Go module in DIR (go.mod + go.sum) into $binary, stamping VERSION into VERSION_VARIABLE.
# -mod=readonly: go.mod/go.sum are the pin, never rewrite them. -buildvcs=false: the module sits
# inside this repository's checkout, whose git state has nothing to do with the tool.
build_pinned_module() {
  local dir=$1 label=$2 version=$3 pkg=$4 version_var=$5 jobs
  jobs=$(go_jobs)
  GOFLAGS="$(cd "$dir" && "$go_bin" env GOFLAGS) -mod=readonly -buildvcs=false -p=$jobs"
  export GOFLAGS CGO_ENABLED=0
  mkdir -p "$(dirname "${binary:?}")"
  build_tmp="$binary.tmp.$$"
  trap 'rm -f "$build_tmp"' EXIT
  # One progress line on the terminal; `go: downloading …` and compiler output go to the log.
  (cd "$dir" && run_logged "$build_name" "building $label $version (-p=$jobs, a cold build takes several minutes)" "$go_bin" build -trimpath \
    -ldflags "-s -w -X $version_var=$version" \
    -o "$build_tmp" "$pkg")
  mv -f "$build_tmp" "$binary"
  echo "$binary"
}

# build_pinned_tool SCRIPT NAME LABEL VERSION PACKAGE VERSION_VARIABLE MODULE_KIND ARGS...: the
# whole of build-jaeger.sh and build-loki.sh. Builds PACKAGE as pinned by the module in
# scripts/go/NAME/ into $cache/NAME-VERSION-<first 12 hex of sha256(go.mod+go.sum)>/NAME, or
# prints that path when it is already built.
build_pinned_tool() {
  local script=$1 name=$2 label=$3 version=$4 pkg=$5 version_var=$6 kind=$7 dir hash
  shift 7
  build_init "build-$name" "$script" "$@"
  dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$name"
  hash=$(cat "$dir/go.mod" "$dir/go.sum" | sha256sum | cut -c1-12)
  binary="$cache/$name-$version-$hash/$name"
  use_cached_binary "$name-$version-$hash" "$version, $kind $hash"
  build_pinned_module "$dir" "$label" "$version" "$pkg" "$version_var"
}
