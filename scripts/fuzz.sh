#!/usr/bin/env bash
# Runs every cargo-fuzz (libFuzzer) target in fuzz/ for SECONDS each (default
# 600), two at a time, one libFuzzer job each, and prints each target's
# executions, coverage and findings at the end.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS=0 replays the seed corpus and the working corpus once and stops.
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz
# --locked`); CI does not run this: it replays the seeds on stable instead
# (the `fuzz_corpus_*` tests in tests/tests/e2e/abuse/fuzz_corpus.rs).
#
# Seeds (committed) are read from fuzz/corpus/<target>; what libFuzzer finds
# goes to fuzz/work/<target>/corpus, crashes to fuzz/artifacts/<target>/, and
# each run's log to fuzz/work/<target>/fuzz-0.log. All three are ignored by
# git. Reproduce a crash with
#   fuzz/target/x86_64-unknown-linux-gnu/release/<target> <artifact>
# (under $CARGO_TARGET_DIR instead of fuzz/target when it is set: relative
# to the repository root, like every script here, and where cargo fuzz then
# builds).
#
# Environment: PARALLEL (default 2), SANITIZER (default none: the targets are
# safe Rust, and the C in aws-lc is not instrumented by cargo-fuzz anyway, so
# AddressSanitizer would halve the speed for little), RSS_LIMIT_MB (default
# 2048), TIMEOUT (seconds per input before it counts as a hang; default 10).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -n "${CARGO_TARGET_DIR:-}" ]]; then
  CARGO_TARGET_DIR=$(realpath -m "$CARGO_TARGET_DIR")
  export CARGO_TARGET_DIR
  target_dir=$CARGO_TARGET_DIR
else
  target_dir=$PWD/fuzz/target
fi
cd fuzz

seconds=${1:-600}
shift || true
parallel=${PARALLEL:-2}
sanitizer=${SANITIZER:-none}
rss_limit_mb=${RSS_LIMIT_MB:-2048}
timeout=${TIMEOUT:-10}
triple=$(rustc +nightly -vV | sed -n 's/^host: //p')
bin_dir="$target_dir/$triple/release"

all_targets=$(cargo +nightly fuzz list)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets <<<"$all_targets"
fi

echo "==> building ${#targets[@]} targets (sanitizer: $sanitizer)"
cargo +nightly fuzz build -s "$sanitizer" -a --codegen-units 16

dict_for() {
  case "$1" in
    token_verify) echo "$PWD/dict/token.dict" ;;
    *) echo "$PWD/dict/json.dict" ;;
  esac
}

run_one() {
  local target=$1
  local work="$PWD/work/$target"
  local artifacts="$PWD/artifacts/$target"
  mkdir -p "$work/corpus" "$artifacts"
  local args=(
    "$work/corpus" "$PWD/corpus/$target"
    -dict="$(dict_for "$target")"
    -artifact_prefix="$artifacts/"
    -rss_limit_mb="$rss_limit_mb"
    -timeout="$timeout"
    -print_final_stats=1
    -jobs=1
  )
  if [ "$seconds" -eq 0 ]; then
    args+=(-runs=0)
  else
    args+=(-max_total_time="$seconds")
  fi
  # -jobs=1 writes libFuzzer's output to fuzz-0.log in the working folder.
  (cd "$work" && rm -f fuzz-0.log && "$bin_dir/$target" "${args[@]}" >/dev/null 2>&1) || true
}

summary() {
  local target=$1
  local log="$PWD/work/$target/fuzz-0.log"
  local runs cov ft corpus crashes
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  corpus=$(find "$PWD/work/$target/corpus" -type f | wc -l)
  crashes=$(find "$PWD/artifacts/$target" -type f | wc -l)
  printf '%-28s %12s %8s %8s %8s %8s\n' "$target" "${runs:-?}" "${cov:-?}" "${ft:-?}" "$corpus" "$crashes"
}

echo "==> running for ${seconds}s each, $parallel at a time"
running=0
for target in "${targets[@]}"; do
  echo "    $target"
  run_one "$target" &
  running=$((running + 1))
  if [ "$running" -ge "$parallel" ]; then
    wait -n
    running=$((running - 1))
  fi
done
wait

echo
printf '%-28s %12s %8s %8s %8s %8s\n' target executions cov ft corpus crashes
status=0
for target in "${targets[@]}"; do
  summary "$target"
  if [ -n "$(find "$PWD/artifacts/$target" -type f)" ]; then
    status=1
  fi
done
exit "$status"
