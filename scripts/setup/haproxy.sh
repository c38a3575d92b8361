#!/usr/bin/env bash
# Ensure `haproxy` is installed. The scaled-out topology (test/faults/16-topology.faults.ts,
# `npm run stack -- up --topology scaled`) runs it as the load balancer in front of several audit
# sinks, with collector-config/haproxy.cfg. Nothing here starts HAProxy.
#
# Idempotent: when haproxy is found (HAPROXY, then PATH, then /usr/sbin) it only prints its
# version. Otherwise it installs Debian's `haproxy` package with
#   apt-get update && apt-get install -y --no-install-recommends haproxy
# as root (or through sudo), apt's output in a log file.
#
# The package's maintainer scripts would start the haproxy service with its default
# configuration. We only want the binary, so while apt-get runs, a temporary
# /usr/sbin/policy-rc.d answers "not allowed" (exit 101) to every service start (invoke-rc.d
# and deb-systemd-invoke both ask it). It is removed again on exit; an existing policy-rc.d is
# left untouched and used as it is.
set -euo pipefail
# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

find_haproxy() { first_executable "${HAPROXY:-}" "$(command -v haproxy 2>/dev/null || true)" /usr/sbin/haproxy; }
# "HAProxy version 2.6.12-1+deb12u1 2023/12/16 - https://haproxy.org/" -> first line
version_of() { "$1" -v 2>&1 | head -n1; }

if haproxy=$(find_haproxy); then
  echo "haproxy: present at $haproxy ($(version_of "$haproxy"))"
  exit 0
fi

apt_ready haproxy.sh "haproxy not found and apt-get is not available; install HAProxy 2.x and put it on PATH or set HAPROXY" haproxy
no_service_starts haproxy.sh
echo "haproxy: installing the haproxy package"
apt_install haproxy

if ! haproxy=$(find_haproxy); then
  echo "haproxy.sh: the haproxy package is installed but the haproxy binary is still not found" >&2
  exit 1
fi
echo "haproxy: installed at $haproxy ($(version_of "$haproxy"))"
