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
