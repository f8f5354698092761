#!/usr/bin/env bash
# `make bench`: the figures of issue 9, ending with one report.
#   1. the release binaries, as Lambda runs them, and lambda-echo
#      (bench/echo), the floor the authorizer is compared with; and the
#      custom-sender bootstrap, from its own workspace
#      (functions/custom-sender/bootstrap) into the same target folder;
#   2. the criterion benches, kept short: verify (shared/benches/verify.rs)
#      and the authorizer's answer (functions/authorizer/benches/answer.rs:
#      deciding and encoding for 1,000 rules, and the answer-size table),
#      and the authorizer's warm path by stage
#      (functions/authorizer/benches/stages.rs: the handler's own stages,
#      which bench-functions sets beside the warm CPU it measures);
#   3. the Node.js comparison's dependencies (bench/node, `npm ci`);
#   4. bench-functions (tools/dev/src/bin/bench-functions): every function
#      through the Runtime API harness, on the release binaries, with the
#      Node.js authorizer beside them, and the authorizer with the
#      revocation check on against moto's DynamoDB (moto_server on PATH, as
#      `make setup` installs it); it prints the report, the verify results
#      included. `--only revocation --only "authorizer, fresh" --only
#      "authorizer, same" --no-node` runs just the revocation comparison;
#      and the custom sender against moto's KMS, DynamoDB, SES v2 and SNS,
#      its codes encrypted by scripts/encrypt_code.py with .venv/bin/python
#      (`make setup` installs aws-encryption-sdk there): `--only lambda-echo
#      --only custom-sender --no-node` runs just that.
# Nothing here asserts a time: a busy machine gives slower figures, not a
# failure. Extra arguments go to bench-functions (e.g. --starts 50).
# CARGO_TARGET_DIR, when set, is where the binaries are built and looked for.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
target=$(realpath -m "${CARGO_TARGET_DIR:-target}")

started=$SECONDS
step() {
  echo
  echo "==> $* ($((SECONDS - started)) s)"
}

# The custom sender's codes are encrypted as Cognito encrypts them, by the
# AWS Encryption SDK for Python: fail here, naming the fix, rather than
# after the builds.
if ! .venv/bin/python -c 'import aws_encryption_sdk' 2>/dev/null; then
  echo "bench: .venv/bin/python lacks aws_encryption_sdk, which the custom sender's codes need: run \`make setup\` (requirements-dev.txt)" >&2
  exit 1
fi

step "release binaries"
cargo build --release --workspace --bins --locked
# Its own workspace (aws-esdk kept out of the root's, docs/custom-sender.md),
# into the same folder: run from here, without --target-dir it would land
# in functions/custom-sender/bootstrap/target.
cargo build --release --locked \
  --manifest-path functions/custom-sender/bootstrap/Cargo.toml --target-dir "$target"

step "criterion: verify (1 s warm-up, 3 s per benchmark)"
cargo bench -p cognito-auth-core --bench verify --locked -- \
  --warm-up-time 1 --measurement-time 3

step "criterion: the authorizer's answer, and its size against rules and groups"
cargo bench -p authorizer --bench answer --locked -- \
  --warm-up-time 1 --measurement-time 3

step "criterion: the authorizer's warm path by stage"
cargo bench -p authorizer --bench stages --locked -- \
  --warm-up-time 1 --measurement-time 3

step "Node.js comparison: npm ci in bench/node"
for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is required for the Node.js comparison" >&2; exit 1; }
done
(cd bench/node && npm ci --no-audit --no-fund --loglevel=error)

# One CPU for the harness and the functions, as a Lambda sandbox of up to
# 1,769 MB has at most one vCPU. It also keeps the warm figures steady: on an
# idle VM, handing each invocation across two CPUs costs the wake-up of an
# idle vCPU each way, which more than doubles the round trip.
pin=()
if command -v taskset >/dev/null; then
  pin=(taskset -c "$(($(nproc) - 1))")
fi
step "functions through the Runtime API harness (CPUs: ${pin[*]:-all})"
E2E_BIN_DIR="$target/release" "${pin[@]}" "$target/release/bench-functions" "$@"
