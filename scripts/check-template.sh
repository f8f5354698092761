#!/usr/bin/env bash
# Checks template.yaml: both linters (offline, no warnings allowed), SAM's
# translation of it (the one CloudFormation's transform makes; the template
# tests read it too), checkov over the translation (skips, each with its
# reason, in .checkov.yaml), then the drift test that compares it with the
# code. With --build, also runs `sam build` (arm64, cargo-lambda + zig) and
# reports how long it took.
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

# What CloudFormation deploys is the translation: the resources SAM adds
# (stages, versions, aliases, CodeDeploy groups, permissions) are checked
# too. Any translation error stops here.
target_dir="${CARGO_TARGET_DIR:-target}"
translated="$target_dir/template/translated.json"
echo "==> SAM translation -> $translated"
# With the optional identity pool on, so that its bucket and roles are
# checked too.
python3 scripts/translate-template.py "$translated.full" EnableIdentityPool=true
python3 -c 'import json, sys; json.dump(json.load(open(sys.argv[1]))["Template"], open(sys.argv[2], "w"), indent=1)' \
  "$translated.full" "$translated"

echo "==> checkov (skips and their reasons: .checkov.yaml)"
[[ -x .venv-checkov/bin/checkov ]] || {
  echo "check-template: .venv-checkov/bin/checkov missing; run make setup" >&2
  exit 1
}
.venv-checkov/bin/checkov --config-file .checkov.yaml --file "$translated"

if "$drift"; then
  echo "==> drift test (template.yaml against the code)"
  cargo test -p e2e-tests --test e2e --locked template::
fi

if "$build"; then
  echo "==> sam build (arm64)"
  rustup target add aarch64-unknown-linux-gnu >/dev/null
  started=$SECONDS
  sam build --region us-east-1 --template template.yaml
  echo "sam build took $((SECONDS - started)) s"
fi
