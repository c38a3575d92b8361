#!/usr/bin/env bash
# Ensure `systemd-analyze` (Debian's systemd package). test/deploy/manifests.test.ts runs
# `systemd-analyze verify` on deploy/systemd/*. Nothing here starts or enables a service.
# Idempotent: when the tool is found it only prints its version. apt's output goes to a log file.
set -euo pipefail

if command -v systemd-analyze >/dev/null 2>&1; then
  echo "systemd-analyze: present ($(systemd-analyze --version | head -n1))"
  exit 0
fi
# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
apt_ready systemd-analyze.sh "systemd-analyze not found and apt-get is not available; install systemd" systemd
echo "systemd-analyze: installing Debian's systemd package"
apt_install systemd
echo "systemd-analyze: installed ($(systemd-analyze --version | head -n1))"
