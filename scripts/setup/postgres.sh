#!/usr/bin/env bash
# Ensure the PostgreSQL server binaries (initdb, pg_ctl, postgres, psql) are installed.
# The audit-sink tests start throwaway clusters with them (initdb in a temp folder, free
# loopback port); nothing here creates or starts a cluster.
#
# Idempotent: when the binaries are found it only prints where. Otherwise it installs the
# Debian/Ubuntu `postgresql` package (apt-get update && apt-get install -y postgresql).
# Honors PG_BINDIR (a folder holding initdb and pg_ctl), like the tests do.
set -euo pipefail
# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

find_bindir() {
  local d
  for d in "${PG_BINDIR:-}" $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r) \
           "$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")"; do
    if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
      echo "$d"
      return 0
    fi
  done
  return 1
}

if bindir=$(find_bindir); then
  echo "postgres: server binaries present in $bindir ($("$bindir/postgres" --version))"
else
  apt_ready postgres.sh "initdb/pg_ctl not found and apt-get is not available; install the PostgreSQL server and set PG_BINDIR to its bin folder" postgresql
  echo "postgres: installing the postgresql package"
  apt_install postgresql
  if ! bindir=$(find_bindir); then
    echo "postgres.sh: postgresql installed but initdb/pg_ctl still not found" >&2
    exit 1
  fi
  echo "postgres: server binaries installed in $bindir ($("$bindir/postgres" --version))"
fi

# Postgres refuses to run as root; tests running as root run the cluster as the `postgres`
# OS user (created by the Debian package).
if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
  echo "postgres.sh: running as root but there is no 'postgres' OS user to run test clusters as" >&2
  exit 1
fi
