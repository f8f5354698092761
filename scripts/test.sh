#!/usr/bin/env bash
# Every check CI runs, in order, stopping at the first failure:
# formatting, clippy, the dependency policy (cargo deny: licences, bans,
# sources; deny.toml), all tests (unit, Runtime API end-to-end against real
# JWKS and moto peers on 127.0.0.1, fuzz-corpus replays), the log audit, the
# browser check of the custom-message emails (headless Chromium), and
# template linting (scripts/check-template.sh).
# CARGO_TARGET_DIR, when set (relative to the repository root, as the
# harness reads it), is where the binaries and the function logs go.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export CARGO_TERM_COLOR=never
target_dir="${CARGO_TARGET_DIR:-target}"

started=$SECONDS
step() {
  echo
  echo "==> $* ($((SECONDS - started)) s)"
}

step "rustfmt --check"
cargo fmt --all --check -- --color=never

step "clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "supply chain: cargo deny check licenses bans sources (deny.toml; advisories: make advisories)"
cargo deny --log-level error check licenses bans sources

step "function binaries (debug, as the end-to-end tests run them)"
cargo build --workspace --bins --locked

step "tests"
# The harness copies every line the function binaries print here; the log
# audit below reads what this run left.
rm -rf "$target_dir/e2e-logs"
cargo test --workspace --locked

step "log audit: no token, credential, password, code or email in any function's logs"
cargo test -p e2e-tests --locked --test e2e log_audit:: -- --ignored

step "browser check: every custom-message email in headless Chromium; broken fixtures must fail"
python3 scripts/browser_check.py

step "template: cfn-lint, sam validate --lint (the drift test ran with the tests)"
scripts/check-template.sh --lint-only

echo
echo "==> all checks passed in $((SECONDS - started)) s"
