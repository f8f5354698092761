#!/usr/bin/env bash
# Checks template.yaml: both linters (offline, no warnings allowed), then the
# drift test that compares it with the code. With --build, also runs
# `sam build` (arm64, cargo-lambda + zig) and reports how long it took.
#
#   scripts/check-template.sh              # lint + drift test
#   scripts/check-template.sh --build      # ... and sam build
#   scripts/check-template.sh --lint-only  # the linters only (scripts/test.sh,
#                                          # whose `cargo test --workspace`
#                                          # has run the drift test)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export SAM_CLI_TELEMETRY=0

build=false
drift=true
for arg in "$@"; do
  case "$arg" in
    --build) build=true ;;
    --lint-only) drift=false ;;
    *) echo "usage: $0 [--build | --lint-only]" >&2; exit 2 ;;
  esac
done

echo "==> cfn-lint"
cfn-lint template.yaml

echo "==> sam validate --lint"
sam validate --lint --region us-east-1 --template template.yaml

if "$drift"; then
  echo "==> drift test (template.yaml against the code)"
  cargo test -p e2e-tests --test template --locked
fi

if "$build"; then
  echo "==> sam build (arm64)"
  rustup target add aarch64-unknown-linux-gnu >/dev/null
  started=$SECONDS
  sam build --region us-east-1 --template template.yaml
  echo "sam build took $((SECONDS - started)) s"
fi
