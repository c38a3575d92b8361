#!/usr/bin/env bash
# Ensure `haproxy` is installed. The scaled-out topology (test/faults/16-topology.faults.ts,
# `npm run stack -- up --topology scaled`) runs it as the load balancer in front of several audit
# sinks, with collector-config/haproxy.cfg. Nothing here starts HAProxy.
#
# Idempotent: when haproxy is found (HAPROXY, then PATH, then /usr/sbin) it only prints its
# version. Otherwise it installs Debian's `haproxy` package with
#   apt-get update && apt-get install -y --no-install-recommends haproxy
# as root (or through sudo).
#
# The package's maintainer scripts would start the haproxy service with its default
# configuration. We only want the binary, so while apt-get runs, a temporary
# /usr/sbin/policy-rc.d answers "not allowed" (exit 101) to every service start (invoke-rc.d
# and deb-systemd-invoke both ask it). It is removed again on exit; an existing policy-rc.d is
# left untouched and used as it is.
set -euo pipefail

find_haproxy() {
  local p
  for p in "${HAPROXY:-}" "$(command -v haproxy 2>/dev/null || true)" /usr/sbin/haproxy; do
    if [ -n "$p" ] && [ -x "$p" ]; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

version_of() {
  # "HAProxy version 2.6.12-1+deb12u1 2023/12/16 - https://haproxy.org/" -> first line
  "$1" -v 2>&1 | head -n1
}

if haproxy=$(find_haproxy); then
  echo "haproxy: present at $haproxy ($(version_of "$haproxy"))"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "haproxy.sh: haproxy not found and apt-get is not available; install HAProxy 2.x and put it on PATH or set HAPROXY" >&2
  exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "haproxy.sh: need root (or sudo) to install the haproxy package" >&2
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
  printf '#!/bin/sh\n# temporary, from domain-otel scripts/setup/haproxy.sh: no service starts during install\nexit 101\n' \
    | $sudo tee "$policy" >/dev/null
  $sudo chmod 0755 "$policy"
  own_policy=1
fi

echo "haproxy: installing the haproxy package"
$sudo apt-get update
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends haproxy

if ! haproxy=$(find_haproxy); then
  echo "haproxy.sh: the haproxy package is installed but the haproxy binary is still not found" >&2
  exit 1
fi
echo "haproxy: installed at $haproxy ($(version_of "$haproxy"))"
