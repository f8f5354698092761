#!/usr/bin/env bash
# The end-to-end suite against the arm64 bootstraps as deployed, under
# qemu-user, on an x86_64 machine (`make test-arm64`; docs/testing.md).
#
# 1. Builds every function the template deploys (its `BuildProperties.Binary`
#    entries) the way `sam build` does for `BuildMethod: rust-cargolambda`,
#    `Architectures: [arm64]` and `provided.al2023`: aws-lambda-builders runs
#    `cargo lambda build --release --arm64 --bin <Binary>` at CodeUri (the
#    workspace root), and copies `target/lambda/<Binary>/bootstrap`. One
#    invocation with every `--bin` selects the same packages and features, so
#    it builds the same bootstraps, with one Cargo lock instead of ten.
#    A function with a workspace of its own (functions/<Binary>/bootstrap,
#    its CodeUri: custom-sender) is built there, into the same target/.
# 2. Runs the `e2e` test target with E2E_BIN_DIR at those bootstraps and
#    E2E_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu", then the log audit
#    over what they printed.
#
# Left out, by name, below: the three tests through cognito-local, whose
# trigger calls go through `cargo lambda watch`. It builds and runs the
# workspace's host binaries itself (`cargo run`), so it cannot run these
# bootstraps, and its `--only-lambda-apis` mode serves the Runtime API under a
# path that `lambda_runtime` rejects. Every trigger and the authorizer are run
# here through the Runtime API harness instead; the cognito-local tests run
# on x86_64 in `make test`. (CargoLambdaWatch::start fails when E2E_BIN_DIR or
# E2E_RUNNER is set, so they cannot pass here by testing something else.)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export CARGO_TERM_COLOR=never
target_dir="${CARGO_TARGET_DIR:-target}"
[[ "$target_dir" == /* ]] || target_dir="$PWD/$target_dir"

started=$SECONDS
step() {
  echo
  echo "==> $* ($((SECONDS - started)) s)"
}

mapfile -t binaries < <(sed -n 's/^ *Binary: *\([a-z0-9-]*\) *$/\1/p' template.yaml)
((${#binaries[@]})) || { echo "test-arm64: no BuildProperties.Binary in template.yaml" >&2; exit 1; }

step "arm64 bootstraps, as sam build makes them: cargo lambda build --release --arm64 (${#binaries[@]} functions)"
build=(cargo lambda build --release --arm64)
own=()
for binary in "${binaries[@]}"; do
  if [[ -f "functions/$binary/bootstrap/Cargo.toml" ]]; then
    own+=("$binary")
  else
    build+=(--bin "$binary")
  fi
done
"${build[@]}"
for binary in "${own[@]}"; do
  (cd "functions/$binary/bootstrap" &&
    CARGO_TARGET_DIR="$target_dir" cargo lambda build --release --arm64 --locked --bin "$binary")
done
for binary in "${binaries[@]}"; do
  bootstrap="$target_dir/lambda/$binary/bootstrap"
  file -b "$bootstrap" | grep -q 'ARM aarch64' || {
    echo "test-arm64: $bootstrap is not an arm64 executable: $(file -b "$bootstrap")" >&2
    exit 1
  }
done
build_seconds=$((SECONDS - started))

skips=(
  lifecycle::a_user_signs_up_confirms_signs_in_and_calls_the_api_through_cognito_local
  user_migration::a_legacy_user_signs_in_through_cognito_local_and_lands_in_the_pool
  custom_sender::a_sign_up_through_cognito_local_is_mailed_by_the_custom_sender
)
step "end-to-end tests under qemu-aarch64; left out (cargo lambda watch cannot run these bootstraps, see above): ${skips[*]}"
export E2E_BIN_DIR="$target_dir/lambda"
export E2E_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu"
rm -rf "$target_dir/e2e-logs"
skip_args=(--exact)
for name in "${skips[@]}"; do skip_args+=(--skip "$name"); done
cargo test -p e2e-tests --locked --test e2e -- "${skip_args[@]}"

step "log audit over the arm64 bootstraps' logs"
cargo test -p e2e-tests --locked --test e2e log_audit:: -- --ignored

echo
echo "==> arm64: built in $build_seconds s, all checks passed in $((SECONDS - started)) s"
