#!/usr/bin/env bash
# Every check CI runs, in order, stopping at the first failure:
# formatting, clippy, the dependency policy (cargo deny: licences, bans,
# sources; deny.toml), the same four for custom-sender's bootstrap workspace
# (functions/custom-sender/bootstrap: its own Cargo.lock and deny.toml, so
# that the AWS Encryption SDK's dependencies stay out of this workspace), all
# tests (unit, Runtime API end-to-end against real
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
# custom-sender's binary: a workspace of its own, built into the same
# target folder (docs/custom-sender.md, "Supply chain").
bootstrap=(--manifest-path functions/custom-sender/bootstrap/Cargo.toml)

started=$SECONDS
step() {
  echo
  echo "==> $* ($((SECONDS - started)) s)"
}

step "rustfmt --check"
cargo fmt --all --check -- --color=never

step "clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "custom-sender bootstrap workspace: rustfmt --check, clippy -D warnings, unit tests"
cargo fmt "${bootstrap[@]}" --check -- --color=never
cargo clippy "${bootstrap[@]}" --target-dir "$target_dir" --all-targets --locked -- -D warnings
cargo test "${bootstrap[@]}" --target-dir "$target_dir" --locked

step "supply chain: cargo deny check licenses bans sources (deny.toml; advisories: make advisories)"
cargo deny --log-level error check licenses bans sources
# Its own deny.toml: the root's policy plus what aws-esdk forces, each
# exception limited to the crates that bring it.
cargo deny "${bootstrap[@]}" --log-level error check licenses bans sources

step "function binaries (debug, as the end-to-end tests run them)"
cargo build --workspace --bins --locked
cargo build "${bootstrap[@]}" --target-dir "$target_dir" --bins --locked

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
