#!/usr/bin/env bash
# Installs the Python-packaged tools into .venv, once per version of
# requirements-dev.txt. Safe to run again: it does nothing when up to date.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in cargo python3; do
  command -v "$tool" >/dev/null || { echo "setup: $tool is required but not on PATH" >&2; exit 1; }
done

stamp=".venv/.installed-$(sha256sum requirements-dev.txt | cut -c1-16)"
if [[ ! -f "$stamp" ]]; then
  echo "setup: installing tools from requirements-dev.txt into .venv"
  [[ -x .venv/bin/python3 ]] || python3 -m venv .venv
  .venv/bin/python3 -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# Fail here, loudly, rather than half-way through a test run.
export PATH="$PWD/.venv/bin:$PATH"
for tool in cargo-lambda moto_server cfn-lint sam; do
  command -v "$tool" >/dev/null || { echo "setup: $tool missing from .venv" >&2; exit 1; }
done
