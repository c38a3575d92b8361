#!/usr/bin/env bash
# Ensure `systemd-analyze` (Debian's systemd package). test/deploy/manifests.test.ts runs
# `systemd-analyze verify` on deploy/systemd/*. Nothing here starts or enables a service.
# Idempotent: when the tool is found it only prints its version. apt's output goes to a log file.
set -euo pipefail

if command -v systemd-analyze >/dev/null 2>&1; then
  echo "systemd-analyze: present ($(systemd-analyze --version | head -n1))"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "systemd-analyze.sh: systemd-analyze not found and apt-get is not available; install systemd" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "systemd-analyze.sh: need root (or sudo) to install the systemd package" >&2
    exit 1
  fi
fi
cache=${DOMAIN_OTEL_CACHE:-$HOME/.cache/domain-otel}
mkdir -p "$cache/logs"
log="$cache/logs/setup-systemd.log"
echo "systemd-analyze: installing Debian's systemd package (log: $log)"
{ $sudo apt-get update && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends systemd; } >"$log" 2>&1 \
  || { echo "systemd-analyze.sh: apt-get failed; last lines of $log:" >&2; tail -n 20 "$log" >&2; exit 1; }
echo "systemd-analyze: installed ($(systemd-analyze --version | head -n1))"
