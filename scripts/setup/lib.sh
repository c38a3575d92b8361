# Shared by scripts/setup/*.sh (sourced, not run): finding a tool, and installing a Debian
# package when it is missing. Each setup script runs as root (or with sudo) on a fresh machine in
# CI, and only reports the tool when it is already there.

# shellcheck source=../go/lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/../go" && pwd)/lib.sh"
cache=${DOMAIN_OTEL_CACHE:-$HOME/.cache/domain-otel}

# The file that invoke-rc.d and deb-systemd-invoke ask before they start a service.
POLICY_RC_D=/usr/sbin/policy-rc.d

# first_executable CANDIDATE...: prints the first candidate that is set and executable.
first_executable() {
  local p
  for p in "$@"; do
    if [ -n "$p" ] && [ -x "$p" ]; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

# apt_ready SCRIPT MISSING PACKAGE: checks that PACKAGE can be installed here, and sets $sudo
# ("" as root, else "sudo"). Without apt-get it exits 1 with "SCRIPT: MISSING"; without root or
# sudo, with a line saying so.
apt_ready() {
  local script=$1 missing=$2 package=$3
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "$script: $missing" >&2
    exit 1
  fi
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      echo "$script: need root (or sudo) to install the $package package" >&2
      exit 1
    fi
  fi
}

# apt_install PACKAGE...: installs Debian PACKAGEs (after apt_ready), apt's pages in
# $cache/logs/setup-<first package>.log and one progress line on the terminal.
apt_install() {
  run_logged "setup-$1" "installing Debian's $*" \
    sh -c "${sudo?apt_ready first} apt-get update && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends $*"
}

# no_service_starts SCRIPT: until the script exits, a temporary policy-rc.d answers "not
# allowed" (exit 101) to every service start that a package's maintainer scripts would make,
# both for invoke-rc.d (no systemd, e.g. containers) and for deb-systemd-invoke (systemd hosts).
# An existing policy-rc.d is left untouched and used as it is. After apt_ready.
no_service_starts() {
  [ -e "$POLICY_RC_D" ] && return 0
  printf '#!/bin/sh\n# temporary, from domain-otel scripts/setup/%s: no service starts during install\nexit 101\n' "$1" \
    | ${sudo?apt_ready first} tee "$POLICY_RC_D" >/dev/null
  $sudo chmod 0755 "$POLICY_RC_D"
  trap '$sudo rm -f "$POLICY_RC_D"' EXIT
}
