#!/usr/bin/env bash
# `make demo`: every function on every sample event, locally, the way a user
# would try them: `cargo lambda watch` serves the functions, `cargo lambda
# invoke` sends each file of events/, and a moto server on 127.0.0.1 stands
# in for DynamoDB and the Cognito user-pool API.
#
# Then a user's whole lifecycle through a real Cognito emulator: cognito-local
# (tools/cognito-local, installed by scripts/setup.sh) calls the triggers
# through `cargo lambda watch` on sign-up, confirmation and sign-in, and the
# authorizer checks the tokens it issues. That part is the end-to-end test
# `lifecycle` (tests/tests/e2e/lifecycle.rs) itself, printing its story: the demo shows exactly what the test asserts.
#
# CARGO_TARGET_DIR, when set (relative to the repository root), is where the
# binaries are built and looked for.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export CARGO_TERM_COLOR=never
target_dir="${CARGO_TARGET_DIR:-target}"

demo=.demo
rm -rf "$demo"
mkdir -p "$demo/events/authorizer"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_for_port() { # port, what, log
  for _ in $(seq 1 600); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.2
  done
  echo "demo: $2 did not start; its log ($3):" >&2
  tail -n 40 "$3" >&2
  exit 1
}

echo "==> building the functions and the development token minter"
cargo build --workspace --bins --locked

echo "==> starting moto (DynamoDB + Cognito user pools) on 127.0.0.1"
moto_port=$(free_port)
moto_server -H 127.0.0.1 -p "$moto_port" >"$demo/moto.log" 2>&1 &
pids+=($!)
wait_for_port "$moto_port" moto_server "$demo/moto.log"
moto="http://127.0.0.1:$moto_port"
# Copies the trigger events into .demo with userPoolId pointing at the new
# pool, and prints POOL_ID=... and USERS_TABLE=...: read as data, each name
# from a fixed list and each value checked, never run as shell code.
python3 scripts/demo_moto.py "$moto" events "$demo/events" >"$demo/moto.env"
POOL_ID='' USERS_TABLE='' LEGACY_USERS_TABLE=''
while IFS='=' read -r key value; do
  case "$key" in
    POOL_ID | USERS_TABLE | LEGACY_USERS_TABLE) ;;
    *) echo "demo: unexpected line from demo_moto.py: $key=$value" >&2; exit 1 ;;
  esac
  [[ "$value" =~ ^[A-Za-z0-9._-]+$ ]] || {
    echo "demo: demo_moto.py gave $key an unexpected value: $value" >&2
    exit 1
  }
  printf -v "$key" '%s' "$value"
done <"$demo/moto.env"
[[ -n "$POOL_ID" && -n "$USERS_TABLE" && -n "$LEGACY_USERS_TABLE" ]] || {
  echo "demo: demo_moto.py did not give POOL_ID, USERS_TABLE and LEGACY_USERS_TABLE" >&2
  exit 1
}

echo "==> minting a development token (tests/fixtures/keys/dev-rsa-1.pem, a member of 'users')"
dev_pool=eu-west-1_DevPool1
dev_client=devclient1
token=$("$target_dir/debug/mint-dev-token" --pool-id "$dev_pool" --client-id "$dev_client" --groups users)
for event in events/authorizer/*.json; do
  sed "s/{{TOKEN}}/$token/g" "$event" >"$demo/events/authorizer/$(basename "$event")"
done

# One environment for all the functions: their variables do not overlap.
cat >"$demo/env" <<ENV
AWS_REGION=us-east-1
AWS_ACCESS_KEY_ID=testing
AWS_SECRET_ACCESS_KEY=testing
AWS_ENDPOINT_URL=$moto
USER_POOL_ID=$dev_pool
APP_CLIENT_IDS=$dev_client
JWKS_FILE=$PWD/tests/fixtures/keys/dev-rsa-1.jwks.json
AUTHZ_RULES=$PWD/functions/authorizer/rules.example.json
TOKEN_QUERY_PARAMETER=token
BLOCK_DISPOSABLE_EMAILS=true
AUTO_CONFIRM=domains
AUTO_CONFIRM_EMAIL_DOMAINS=example.com
DEFAULT_GROUP=users
USERS_TABLE=$USERS_TABLE
PROFILE_ATTRIBUTES=given_name,locale
APP_NAME="Acme Notes"
APP_URL=https://notes.example.com
SUPPORT_EMAIL=support@example.com
DEFAULT_LOCALE=en
SUSPENDED_ATTRIBUTE=status
SUSPENDED_VALUES=suspended,banned
CLIENT_GROUPS='{"2example23456789adminconsole":["admins"]}'
RECORD_SIGN_INS=true
SIGN_IN_METRIC_CLIENTS=1example23456789abcdefghij
LEGACY_USERS_TABLE=$LEGACY_USERS_TABLE
LEGACY_HASH_DEFAULT=scrypt:ln=14,r=8,p=1
MARK_MIGRATED=true
ENV

echo "==> serving the functions with cargo lambda watch"
watch_port=$(free_port)
cargo lambda watch -A 127.0.0.1 -P "$watch_port" --env-file "$demo/env" >"$demo/watch.log" 2>&1 &
pids+=($!)
wait_for_port "$watch_port" "cargo lambda watch" "$demo/watch.log"

for function in authorizer pre-sign-up post-confirmation custom-message pre-authentication post-authentication user-migration; do
  echo
  echo "==================== $function ===================="
  for event in "$demo/events/$function"/*.json; do
    set +e
    cargo lambda invoke -A 127.0.0.1 -P "$watch_port" "$function" --data-file "$event" >"$demo/answer" 2>&1
    code=$?
    set -e
    python3 scripts/demo_show.py "$function" "$event" "$code" "$demo/answer" || {
      echo "demo: $function did not answer $event; the function's log:" >&2
      tail -n 20 "$demo/watch.log" >&2
      exit 1
    }
  done
done

echo
echo "==================== what post-confirmation provisioned, post-authentication recorded and user-migration marked ===================="
python3 scripts/demo_moto.py report "$moto" "$POOL_ID"
echo
echo "Function logs (JSON, one object per line): $demo/watch.log"

echo
echo "==================== the lifecycle through cognito-local, a Cognito emulator ===================="
echo "cognito-local runs the user pool and calls the functions through cargo lambda watch; moto is"
echo "the DynamoDB. This is tests/tests/e2e/lifecycle.rs, printing each step as it checks it."
# Its own moto, cognito-local and cargo lambda watch, all on 127.0.0.1. Only
# cargo's progress and libtest's bookkeeping lines are left out; a failure
# prints in full and stops the demo.
cargo test --locked -p e2e-tests --test e2e lifecycle:: -- --nocapture 2>&1 |
  grep --line-buffered -v -E '^ *(Compiling|Finished|Running|running [0-9]+ tests?$|test result: ok|test [a-z_:]+ \.\.\. ok$)'

echo
echo "==================== a sign-up mailed by the custom email sender ===================="
echo "cognito-local encrypts the code with the Encryption SDK under moto's KMS and invokes custom-sender"
echo "(CustomEmailSender), which decrypts it and sends custom-message's text, in the user's language,"
echo "through moto's SES v2. This is tests/tests/e2e/custom_sender.rs, printing each step it checks."
cargo test --locked -p e2e-tests --test e2e custom_sender::a_sign_up_through_cognito_local -- --nocapture 2>&1 |
  grep --line-buffered -v -E '^ *(Compiling|Finished|Running|running [0-9]+ tests?$|test result: ok|test [a-z_:]+ \.\.\. ok$)'
