#!/usr/bin/env bash
# Ensure `promtool` is installed. test/collector/alerts.test.ts uses it to check
# collector-config/alerts.yaml (`promtool check rules`) and to run the rule tests in
# collector-config/alerts.test.yaml (`promtool test rules`). Nothing here starts Prometheus.
#
# Idempotent: when promtool is found (PROMTOOL, then PATH) it only prints its version.
# Otherwise it installs Debian's `prometheus` package, which ships promtool, with
#   apt-get update && apt-get install -y --no-install-recommends prometheus
# as root (or through sudo).
#
# The package's maintainer scripts would start the prometheus service. We only want the tool,
# so while apt-get runs, a temporary /usr/sbin/policy-rc.d answers "not allowed" (exit 101)
# to every service start, both for invoke-rc.d (no systemd, e.g. containers) and for
# deb-systemd-invoke (systemd hosts). It is removed again on exit; an existing policy-rc.d
# is left untouched and used as it is.
set -euo pipefail

find_promtool() {
  local p
  for p in "${PROMTOOL:-}" "$(command -v promtool 2>/dev/null || true)" /usr/bin/promtool; do
    if [ -n "$p" ] && [ -x "$p" ]; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

version_of() {
  # "promtool, version 2.42.0+ds (branch: ..., revision: ...)" -> first line
  "$1" --version 2>&1 | head -n1
}

if promtool=$(find_promtool); then
  echo "prometheus: promtool present at $promtool ($(version_of "$promtool"))"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "prometheus.sh: promtool not found and apt-get is not available; install promtool (it comes with Prometheus) and put it on PATH or set PROMTOOL" >&2
  exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "prometheus.sh: need root (or sudo) to install the prometheus package" >&2
    exit 1
  fi
fi

policy=/usr/sbin/policy-rc.d
own_policy=""
cleanup() {
  if [ -n "$own_policy" ]; then $sudo rm -f "$policy"; fi
}
trap cleanup EXIT
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# temporary, from domain-otel scripts/setup/prometheus.sh: no service starts during install\nexit 101\n' \
    | $sudo tee "$policy" >/dev/null
  $sudo chmod 0755 "$policy"
  own_policy=1
fi

echo "prometheus: installing the prometheus package (for promtool)"
# apt prints pages; it goes to a log file and the terminal gets one progress line.
cache=${DOMAIN_OTEL_CACHE:-$HOME/.cache/domain-otel}
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/../go" && pwd)/lib.sh"
run_logged setup-prometheus "installing Debian's prometheus" \
  sh -c "$sudo apt-get update && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends prometheus"

if ! promtool=$(find_promtool); then
  echo "prometheus.sh: the prometheus package is installed but promtool is still not found" >&2
  exit 1
fi
echo "prometheus: promtool installed at $promtool ($(version_of "$promtool"))"
