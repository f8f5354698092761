#!/usr/bin/env bash
# Mutation testing of the security core with cargo-mutants: each function of
# the files below is broken in turn (a comparison flipped, a body replaced by
# a default value...) and the crate's unit tests must fail. A mutant that
# survives is an untested decision. Too slow for every CI run (each mutant is
# a build and a test run: tens of minutes on two cores), so it is
# `make mutants`, not part of `make test`.
#
# The files: the verifier, claims, token and key-set parsing (cognito-auth-
# core), the authorizer's templates and decisions, and pre-sign-up's
# admission and email checks. Each crate's mutants run against its own unit
# tests (`cargo test --lib`); the end-to-end suite is too slow to run per
# mutant.
#
# cargo-mutants works in a copy of the tree (its default; never --in-place,
# which would edit the sources here) and writes its report to
# target/mutants/<crate>/mutants.out (caught.txt, missed.txt, timeout.txt,
# unviable.txt). It is not on PyPI as a binary, so the first run builds it
# into .venv with `cargo install --locked` (a few minutes, once).
#
# Extra arguments go to every cargo-mutants run, e.g.
#   make mutants MUTANTS_ARGS=--list      # the mutants, nothing run
#   make mutants MUTANTS_ARGS="--jobs 2"
# MUTANTS_CRATES limits the run to some crates (space-separated).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
target_dir="${CARGO_TARGET_DIR:-target}"

version=27.1.0
if [[ "$(cargo mutants --version 2>/dev/null || true)" != "cargo-mutants $version" ]]; then
  echo "mutants: installing cargo-mutants $version into .venv (cargo install --locked, once)"
  cargo install --locked --quiet --root .venv cargo-mutants --version "$version"
fi

declare -A files=(
  [cognito-auth-core]="shared/src/verify.rs shared/src/verify/cache.rs shared/src/claims.rs shared/src/token.rs shared/src/token/json.rs shared/src/jwks/key_set.rs"
  [authorizer]="functions/authorizer/src/template.rs functions/authorizer/src/decide.rs functions/authorizer/src/route_rules.rs"
  [pre-sign-up]="functions/pre-sign-up/src/admission.rs functions/pre-sign-up/src/email.rs"
)
read -r -a crates <<<"${MUTANTS_CRATES:-cognito-auth-core authorizer pre-sign-up}"
read -r -a extra <<<"${MUTANTS_ARGS:-}"

mkdir -p "$target_dir/mutants"
status=0
for crate in "${crates[@]}"; do
  [[ -n "${files[$crate]:-}" ]] || { echo "mutants: no files listed for $crate" >&2; exit 2; }
  # --gitignore: the copy leaves out what git ignores (target/, .venv/,
  # .venv-checkov/), which would otherwise be copied for every job.
  args=(--package "$crate" --gitignore true --output "$target_dir/mutants/$crate")
  for file in ${files[$crate]}; do
    [[ -f "$file" ]] || { echo "mutants: $file is gone; update scripts/mutants.sh" >&2; exit 2; }
    args+=(--file "$file")
  done
  echo
  echo "==> cargo mutants: $crate (${files[$crate]})"
  # Exit 2 means mutants survived, 3 timeouts: report every crate, then fail.
  cargo mutants "${args[@]}" "${extra[@]}" -- --lib || status=$?
done
exit "$status"
