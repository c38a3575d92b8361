#!/usr/bin/env bash
# Ensure `promtool` is installed. test/collector/alerts.test.ts uses it to check
# collector-config/alerts.yaml (`promtool check rules`) and to run the rule tests in
# collector-config/alerts.test.yaml (`promtool test rules`). Nothing here starts Prometheus.
#
# Idempotent: when promtool is found (PROMTOOL, then PATH) it only prints its version.
# Otherwise it installs Debian's `prometheus` package, which ships promtool, with
#   apt-get update && apt-get install -y --no-install-recommends prometheus
# as root (or through sudo), apt's output in a log file.
#
# The package's maintainer scripts would start the prometheus service. We only want the tool,
# so while apt-get runs, a temporary /usr/sbin/policy-rc.d answers "not allowed" (exit 101)
# to every service start, both for invoke-rc.d (no systemd, e.g. containers) and for
# deb-systemd-invoke (systemd hosts). It is removed again on exit; an existing policy-rc.d
# is left untouched and used as it is.
set -euo pipefail
# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

find_promtool() { first_executable "${PROMTOOL:-}" "$(command -v promtool 2>/dev/null || true)" /usr/bin/promtool; }
# "promtool, version 2.42.0+ds (branch: ..., revision: ...)" -> first line
version_of() { "$1" --version 2>&1 | head -n1; }

if promtool=$(find_promtool); then
  echo "prometheus: promtool present at $promtool ($(version_of "$promtool"))"
  exit 0
fi

apt_ready prometheus.sh "promtool not found and apt-get is not available; install promtool (it comes with Prometheus) and put it on PATH or set PROMTOOL" prometheus
no_service_starts prometheus.sh
echo "prometheus: installing the prometheus package (for promtool)"
apt_install prometheus

if ! promtool=$(find_promtool); then
  echo "prometheus.sh: the prometheus package is installed but promtool is still not found" >&2
  exit 1
fi
echo "prometheus: promtool installed at $promtool ($(version_of "$promtool"))"
