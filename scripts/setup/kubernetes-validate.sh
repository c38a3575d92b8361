#!/usr/bin/env bash
# Ensure kubernetes-validate (PyPI, pinned; ships the Kubernetes API schemas, so it checks
# manifests offline) in a virtualenv outside the clone:
#   ${DOMAIN_OTEL_CACHE:-$HOME/.cache/domain-otel}/kubernetes-validate-<version>/bin/kubernetes-validate
# test/deploy/manifests.test.ts runs it with --strict on deploy/kubernetes/*.yaml.
# Idempotent: when the binary is there it only prints its version. pip's output goes to a log file.
set -euo pipefail

VERSION=1.37.0
cache=${DOMAIN_OTEL_CACHE:-$HOME/.cache/domain-otel}
venv="$cache/kubernetes-validate-$VERSION"
bin="$venv/bin/kubernetes-validate"

if [ -x "$bin" ]; then
  echo "kubernetes-validate: present at $bin ($("$bin" --version 2>&1 | head -n1))"
  exit 0
fi

python=$(command -v python3 || true)
if [ -z "$python" ]; then
  echo "kubernetes-validate.sh: python3 not found; install Debian's python3 and python3-venv" >&2
  exit 1
fi
mkdir -p "$cache/logs"
log="$cache/logs/setup-kubernetes-validate.log"
echo "kubernetes-validate: installing $VERSION from PyPI into $venv (log: $log)"
{
  rm -rf "$venv.tmp"
  "$python" -m venv "$venv.tmp"
  "$venv.tmp/bin/pip" install --disable-pip-version-check --no-input "kubernetes-validate==$VERSION"
} >"$log" 2>&1 || { echo "kubernetes-validate.sh: install failed; last lines of $log:" >&2; tail -n 20 "$log" >&2; exit 1; }
# The venv's scripts name its own path: rename it before the first use, then fix the shebangs.
mv "$venv.tmp" "$venv"
grep -rl "$venv.tmp" "$venv/bin" | xargs -r sed -i "s#$venv.tmp#$venv#g"
echo "kubernetes-validate: installed ($("$bin" --version 2>&1 | head -n1))"
