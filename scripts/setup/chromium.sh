#!/usr/bin/env bash
# Ensure Debian's headless-capable Chromium is installed at /usr/bin/chromium.
# packages/audit-sink/test/ui.test.ts and `npm run screenshots` drive it with playwright-core
# (executablePath /usr/bin/chromium); nothing here starts a browser.
#
# Idempotent: when /usr/bin/chromium exists it only prints its version. Otherwise it runs
#   apt-get update && apt-get install -y --no-install-recommends chromium
# as root (or through sudo). Playwright's own browser downloads are never used.
set -euo pipefail

bin=/usr/bin/chromium
if [ -x "$bin" ]; then
  echo "chromium: present at $bin ($("$bin" --version 2>/dev/null | head -n1 || echo 'version unknown'))"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium.sh: $bin not found and apt-get is not available; install Chromium so that $bin exists" >&2
  exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "chromium.sh: need root (or sudo) to install the chromium package" >&2
    exit 1
  fi
fi

echo "chromium: installing the chromium package (for the audit viewer's browser test)"
# apt prints pages; it goes to a log file and the terminal gets one progress line.
cache=${DOMAIN_OTEL_CACHE:-$HOME/.cache/domain-otel}
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/../go" && pwd)/lib.sh"
run_logged setup-chromium "installing Debian's chromium fonts-dejavu-core" \
  sh -c "$sudo apt-get update && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends chromium fonts-dejavu-core"

if [ ! -x "$bin" ]; then
  echo "chromium.sh: the chromium package is installed but $bin is still missing" >&2
  exit 1
fi
echo "chromium: installed at $bin ($("$bin" --version 2>/dev/null | head -n1 || echo 'version unknown'))"
