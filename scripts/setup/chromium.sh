#!/usr/bin/env bash
# Ensure Debian's headless-capable Chromium is installed at /usr/bin/chromium.
# packages/audit-sink/test/ui.test.ts and `npm run screenshots` drive it with playwright-core
# (executablePath /usr/bin/chromium); nothing here starts a browser.
#
# Idempotent: when /usr/bin/chromium exists it only prints its version. Otherwise it runs
#   apt-get update && apt-get install -y --no-install-recommends chromium
# as root (or through sudo), apt's output in a log file. Playwright's own browser downloads are
# never used.
set -euo pipefail

bin=/usr/bin/chromium
if [ -x "$bin" ]; then
  echo "chromium: present at $bin ($("$bin" --version 2>/dev/null | head -n1 || echo 'version unknown'))"
  exit 0
fi

# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
apt_ready chromium.sh "$bin not found and apt-get is not available; install Chromium so that $bin exists" chromium
echo "chromium: installing the chromium package (for the audit viewer's browser test)"
apt_install chromium fonts-dejavu-core

if [ ! -x "$bin" ]; then
  echo "chromium.sh: the chromium package is installed but $bin is still missing" >&2
  exit 1
fi
echo "chromium: installed at $bin ($("$bin" --version 2>/dev/null | head -n1 || echo 'version unknown'))"
