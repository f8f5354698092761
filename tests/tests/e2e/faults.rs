//! Fault injection through the real binaries, filling what
//! `tests/tests/verifier.rs` (the shared verifier against a misbehaving JWKS
//! endpoint, in process), `post_confirmation.rs` (moto stopped, a closed
//! port, a silent endpoint) and `pre_sign_up.rs` (a failing and a slow
//! `AdminLinkProviderForUser`) do not cover:
//!
//! - the authorizer binary, end to end, while its JWKS endpoint misbehaves
//!   mid-flight and at the cold start, and while the pool rotates its keys;
//! - post-confirmation against throttling (always, and once then recovering);
//! - pre-sign-up's linking with moto stopped mid-test, and against a
//!   throttled `ListUsers` (always, and once then recovering).
//!
//! Every test ends by checking the binary never logged a panic. Timings
//! are checked only against the budgets callers impose (Cognito's 5 s),
//! with generous margins: the machine is shared.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use e2e_tests::events;
use e2e_tests::jwks_server::{JwksServer, Mode};
use e2e_tests::moto::{self, Moto};
use e2e_tests::moto_front::{Call, MotoFront, Reply};
use e2e_tests::runtime_api::{Function, Launch, Outcome};
use e2e_tests::tokens::{self, DevKey, TokenBuilder};
use serde_json::{Value, json};

const POOL: &str = "eu-west-1_FaultPool1";
const CLIENT: &str = "faultclient1";
const API: &str = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5";

/// Cognito waits this long for a trigger, cold start included.
const COGNITO_BUDGET: Duration = Duration::from_secs(5);
/// The cooldown and fetch timeout the authorizer runs with here: the
/// shortest the environment allows for the cooldown, and short for the fetch.
const COOLDOWN: Duration = Duration::from_secs(1);
const FETCH_TIMEOUT_MS: &str = "300";

// ---- The authorizer while its JWKS endpoint misbehaves ------------------------------

fn authorizer(server: &JwksServer) -> Launch {
    Launch::new("authorizer")
        .env("USER_POOL_ID", POOL)
        .env("APP_CLIENT_IDS", CLIENT)
        .env("JWKS_URL", server.url_template())
        .env("JWKS_COOLDOWN_SECONDS", COOLDOWN.as_secs().to_string())
        .env("JWKS_FETCH_TIMEOUT_MS", FETCH_TIMEOUT_MS)
}

fn signed(key: DevKey) -> String {
    tokens::access_signed_by(POOL, CLIENT, key)
}

fn unknown_kid() -> String {
    tokens::access_with_unknown_kid(POOL, CLIENT)
}

fn event(token: &str) -> Value {
    json!({
        "type": "TOKEN",
        "authorizationToken": format!("Bearer {token}"),
        "methodArn": format!("{API}/prod/GET/pets/1"),
    })
}

/// Whether API Gateway would let the call through: an Allow (a 401 is an
/// error outcome, not a response).
async fn lets_through(function: &Function, token: &str) -> bool {
    match function.invoke(event(token)).await.outcome {
        Outcome::Response(answer) => answer["policyDocument"]["Statement"][0]["Effect"] == "Allow",
        Outcome::Error(report) => {
            assert_eq!(report.error_message, "Unauthorized", "{report:?}");
            false
        }
    }
}

async fn pause_for_cooldown() {
    tokio::time::sleep(COOLDOWN + Duration::from_millis(150)).await;
}

/// The authorizer caches good keys at init, the endpoint turns bad, and an
/// unknown kid forces a refresh that fails. Then: the refusal comes within
/// the fetch timeout, the failure is logged with `reason`, the cached key
/// still lets its caller through, more unknown kids cost no fetch within the
/// cooldown, and the endpoint recovering (with a rotated-in key) is picked
/// up after the cooldown.
async fn authorizer_rides_out(fault: Fault, reaches_server: bool, reason: &str) {
    let server = JwksServer::start(&tokens::jwks(&[DevKey::One])).await;
    let function = authorizer(&server).start().await;
    assert!(lets_through(&function, &signed(DevKey::One)).await);
    assert_eq!(server.requests(), 1, "hydrated at init");

    pause_for_cooldown().await;
    match fault {
        Fault::Mode(mode) => server.set_mode(mode).await,
        Fault::Keys(keys) => server.set_jwks(&keys),
    }
    let started = Instant::now();
    assert!(!lets_through(&function, &unknown_kid()).await);
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(3),
        "the refusal took {elapsed:?}"
    );
    let refused_at = Instant::now();
    let after = server.requests();
    assert_eq!(after, if reaches_server { 2 } else { 1 });
    function
        .wait_for_log_containing(&format!("\"reason\":\"{reason}\""))
        .await;

    assert!(
        lets_through(&function, &signed(DevKey::One)).await,
        "the cached key still serves"
    );
    for _ in 0..20 {
        assert!(!lets_through(&function, &unknown_kid()).await);
    }
    // At most one more fetch per cooldown that has passed since (none, unless
    // the machine is slow enough for these calls to outlast a cooldown).
    let cooldowns = (refused_at.elapsed().as_millis() / COOLDOWN.as_millis()) as usize;
    assert!(
        server.requests() <= after + cooldowns,
        "{} fetches after {cooldowns} cooldowns",
        server.requests() - after
    );

    server.set_mode(Mode::Serve).await;
    server.set_jwks(&tokens::jwks(&[DevKey::One, DevKey::Two]));
    pause_for_cooldown().await;
    assert!(
        lets_through(&function, &signed(DevKey::Two)).await,
        "the recovered endpoint's new key"
    );
    assert!(lets_through(&function, &signed(DevKey::One)).await);
    function.assert_no_panic();
}

/// What goes wrong with the JWKS endpoint in [`authorizer_rides_out`].
enum Fault {
    /// The endpoint misbehaves this way.
    Mode(Mode),
    /// The endpoint answers with this key set.
    Keys(Value),
}

/// A key set that publishes a second key under the kid of the first.
fn duplicate_kids() -> Value {
    let mut impostor = DevKey::Two.jwk();
    impostor["kid"] = json!(DevKey::One.kid());
    json!({"keys": [DevKey::One.jwk(), impostor]})
}

/// One test per fault: `name: fault, whether the refresh reaches the
/// server, the reason logged;`.
macro_rules! authorizer_rides_out {
    ($($name:ident: $fault:expr, $reaches_server:expr, $reason:literal;)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            authorizer_rides_out($fault, $reaches_server, $reason).await;
        }
    )*};
}

authorizer_rides_out! {
    authorizer_jwks_connection_refused: Fault::Mode(Mode::Refuse), false, "jwks_transport";
    authorizer_jwks_stalls: Fault::Mode(Mode::Stall), true, "jwks_timeout";
    authorizer_jwks_drips:
        Fault::Mode(Mode::Drip { interval: Duration::from_millis(50) }), true, "jwks_timeout";
    authorizer_jwks_answers_500: Fault::Mode(Mode::Status(500)), true, "jwks_status";
    authorizer_jwks_answers_html: Fault::Mode(Mode::Html), true, "jwks_invalid_json";
    authorizer_jwks_streams_10_mb:
        Fault::Mode(Mode::Huge { announced: false }), true, "jwks_too_large";
    authorizer_jwks_serves_zero_keys: Fault::Keys(json!({"keys": []})), true, "jwks_no_usable_keys";
    authorizer_jwks_serves_duplicate_kids:
        Fault::Keys(duplicate_kids()), true, "jwks_no_usable_keys";
}

/// A cold start while the endpoint is down (refusing, or stalling past the
/// timeout) does not fail init: tokens are refused as `jwks_unavailable`
/// until the endpoint answers again, then verify after the cooldown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorizer_cold_start_with_the_jwks_endpoint_down_recovers() {
    for mode in [Mode::Refuse, Mode::Stall] {
        let server = JwksServer::start(&tokens::jwks(&[DevKey::One])).await;
        server.set_mode(mode.clone()).await;
        let function = authorizer(&server).start().await;
        assert!(
            !lets_through(&function, &signed(DevKey::One)).await,
            "{mode:?}"
        );
        function
            .wait_for_log_containing("\"reason\":\"jwks_unavailable\"")
            .await;
        server.set_mode(Mode::Serve).await;
        pause_for_cooldown().await;
        assert!(
            lets_through(&function, &signed(DevKey::One)).await,
            "{mode:?}"
        );
        function.assert_no_panic();
    }
}

/// The binary's resident memory now, in KiB.
fn rss_kib(function: &Function) -> u64 {
    let pid = function.pid().expect("the binary runs");
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/<pid>/status")
}

/// A flood of distinct tokens while the endpoint stalls: valid ones (each
/// carrying 4 KB of claims, so that keeping them all would show) and ones
/// with random kids. Once the verified-token cache is full (1,000 entries by
/// default), memory stays flat: neither verified tokens nor unknown kids
/// accumulate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorizer_memory_stays_flat_under_a_flood_of_distinct_tokens() {
    let server = JwksServer::start(&tokens::jwks(&[DevKey::One])).await;
    let function = authorizer(&server).start().await;
    assert!(lets_through(&function, &signed(DevKey::One)).await);
    server.set_mode(Mode::Stall).await;
    let padded = |index: usize| {
        TokenBuilder::access(POOL, CLIENT)
            .claim("pad", format!("{index:04}{}", "p".repeat(4096)))
            .build()
    };
    let flood = async |from: usize, to: usize| {
        for index in from..to {
            assert!(lets_through(&function, &padded(index)).await);
            if index % 4 == 0 {
                assert!(!lets_through(&function, &unknown_kid()).await);
            }
        }
    };
    flood(0, 1_100).await;
    let full = rss_kib(&function);
    flood(1_100, 2_300).await;
    let after = rss_kib(&function);
    eprintln!("RSS with a full cache {full} KiB, after 1,200 more tokens {after} KiB");
    // Keeping 1,200 more tokens would take over 4.8 MB.
    assert!(
        after < full + 3 * 1024,
        "RSS grew from {full} KiB to {after} KiB"
    );
    function.assert_no_panic();
}

/// The pool rotates mid-flight: a token with the new kid triggers a refresh
/// that brings the new key in, and the retired key stops working with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorizer_picks_up_a_rotation_and_drops_the_retired_key() {
    let server = JwksServer::start(&tokens::jwks(&[DevKey::One])).await;
    let function = authorizer(&server).start().await;
    assert!(lets_through(&function, &signed(DevKey::One)).await);
    server.set_jwks(&tokens::jwks(&[DevKey::Two]));
    pause_for_cooldown().await;
    assert!(lets_through(&function, &signed(DevKey::Two)).await);
    assert_eq!(server.requests(), 2);
    assert!(
        !lets_through(&function, &signed(DevKey::One)).await,
        "a key the pool no longer publishes"
    );
    function.assert_no_panic();
}

// ---- AWS throttling and outages for the Cognito triggers ---------------------------

/// A front for moto that throttles the first `n` calls of each operation
/// listed, answers `200 {}` for the operations in `empty` (moto lacks
/// `AdminLinkProviderForUser`), and forwards the rest to moto.
async fn throttling_front(moto: &Moto, throttle: &[(&str, usize)], empty: &[&str]) -> MotoFront {
    let mut left: HashMap<String, usize> = throttle
        .iter()
        .map(|(operation, n)| ((*operation).to_owned(), *n))
        .collect();
    let empty: Vec<String> = empty
        .iter()
        .map(|operation| (*operation).to_owned())
        .collect();
    MotoFront::start(moto, move |call| {
        if let Some(left) = left.get_mut(call.operation()).filter(|left| **left > 0) {
            *left -= 1;
            return Some(throttled(call));
        }
        empty
            .iter()
            .any(|operation| operation == call.operation())
            .then(|| Reply::json(StatusCode::OK, "{}"))
    })
    .await
}

/// The throttling error of the service `call` is for.
fn throttled(call: &Call) -> Reply {
    if call.target.starts_with("DynamoDB_") {
        Reply::json_1_0(
            StatusCode::BAD_REQUEST,
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}"#,
        )
    } else {
        Reply::json(
            StatusCode::BAD_REQUEST,
            r#"{"__type":"TooManyRequestsException","message":"Too many requests"}"#,
        )
    }
}

// ---- Post confirmation ------------------------------------------------------------

const USER_MESSAGE: &str =
    "We could not finish setting up your account. Please try signing in again.";
const ADD_TO_GROUP: &str = "AdminAddUserToGroup";
const PUT_ITEM: &str = "PutItem";

/// moto with a pool, a group, a user and a table; the event for that user.
async fn provisioning_world(moto: &Moto) -> (aws_sdk_dynamodb::Client, Value) {
    let cognito = moto.cognito().await;
    let dynamodb = moto.dynamodb().await;
    let pool_id = moto::create_user_pool(&cognito, "faults").await;
    moto::create_group(&cognito, &pool_id, "members").await;
    let user = cognito
        .admin_create_user()
        .user_pool_id(&pool_id)
        .username("alice")
        .user_attributes(moto::user_attribute("email", "alice@example.com"))
        .send()
        .await
        .expect("create a user");
    let sub = user
        .user()
        .and_then(|user| {
            user.attributes()
                .iter()
                .find(|attribute| attribute.name() == "sub")
        })
        .and_then(|attribute| attribute.value().map(str::to_owned))
        .expect("the user's sub");
    moto::create_profile_table(&dynamodb, "users").await;
    let mut event = events::sample("post-confirmation", "confirm-sign-up");
    event["userPoolId"] = json!(pool_id);
    event["userName"] = json!("alice");
    event["request"]["userAttributes"]["sub"] = json!(sub);
    (dynamodb, event)
}

fn post_confirmation(front: &MotoFront) -> Launch {
    Launch::new("post-confirmation")
        .env("AWS_ENDPOINT_URL", front.endpoint())
        .env("DEFAULT_GROUP", "members")
        .env("USERS_TABLE", "users")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_confirmation_throttled_throughout_fails_cleanly_within_the_budget() {
    let moto = Moto::start();
    let (_, event) = provisioning_world(&moto).await;
    let front = throttling_front(
        &moto,
        &[(ADD_TO_GROUP, usize::MAX), (PUT_ITEM, usize::MAX)],
        &[],
    )
    .await;
    let function = post_confirmation(&front).start().await;
    let started = Instant::now();
    let error = function.invoke(event).await.error();
    let elapsed = started.elapsed();
    assert!(elapsed < COGNITO_BUDGET, "took {elapsed:?}");
    assert_eq!(error.error_type, "AwsCallFailed", "{error:?}");
    assert_eq!(error.error_message, USER_MESSAGE);
    // Throttling is retried, up to AWS_MAX_ATTEMPTS (3) per call.
    for target in [ADD_TO_GROUP, PUT_ITEM] {
        let calls = front.calls(target).len();
        assert!((2..=3).contains(&calls), "{target}: {calls} attempts");
    }
    function
        .wait_for_log(|line| {
            line.contains("provisioning failed") && line.contains("TooManyRequestsException")
        })
        .await;
    function
        .wait_for_log(|line| {
            line.contains("provisioning failed") && line.contains("ThrottlingException")
        })
        .await;
    function.assert_no_panic();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_confirmation_throttled_once_recovers_by_retrying() {
    let moto = Moto::start();
    let (dynamodb, event) = provisioning_world(&moto).await;
    let front = throttling_front(&moto, &[(ADD_TO_GROUP, 1), (PUT_ITEM, 1)], &[]).await;
    let function = post_confirmation(&front).start().await;
    let sub = event["request"]["userAttributes"]["sub"]
        .as_str()
        .expect("sub")
        .to_owned();
    let returned = function.respond(event.clone()).await;
    assert_eq!(returned, event);
    assert_eq!(front.calls(ADD_TO_GROUP).len(), 2);
    assert_eq!(front.calls(PUT_ITEM).len(), 2);
    let item = dynamodb
        .get_item()
        .table_name("users")
        .key(
            "sub",
            aws_sdk_dynamodb::types::AttributeValue::S(sub.clone()),
        )
        .send()
        .await
        .expect("get the item");
    assert!(item.item().is_some(), "the profile was written");
    function.assert_no_panic();
}

// ---- Pre sign-up linking ----------------------------------------------------------

const LIST_USERS: &str = "ListUsers";
const LINK: &str = "AdminLinkProviderForUser";
const LINK_REFUSED: &str = "Sign-in could not be completed, please try again";

/// A Google sign-up as `user_name` with jane's address is refused as
/// `LinkFailed`, with the message users see, well within Cognito's budget.
async fn assert_link_refused_in_time(function: &Function, pool_id: &str, user_name: &str) {
    let started = Instant::now();
    let error = function
        .invoke(events::federated_sign_up(
            pool_id,
            user_name,
            "jane@example.com",
        ))
        .await
        .error();
    let elapsed = started.elapsed();
    assert_eq!(error.error_type, "LinkFailed", "{user_name}");
    assert_eq!(error.error_message, LINK_REFUSED, "{user_name}");
    assert!(elapsed < Duration::from_millis(4_500), "took {elapsed:?}");
}

/// A pool in moto with the native user `jane` (`email`, verified); its id.
async fn pool_with_native_user(moto: &Moto, email: &str) -> String {
    let cognito = moto.cognito().await;
    let pool_id = moto::create_user_pool(&cognito, "faults-link").await;
    moto::create_native_user(&cognito, &pool_id, "jane", email, true).await;
    pool_id
}

fn linking(endpoint: String) -> Launch {
    Launch::new("pre-sign-up")
        .env("LINK_FEDERATED_USERS", "true")
        .env("LINK_PROVIDER_DOMAINS", "Google=example.com")
        .env("AWS_ENDPOINT_URL", endpoint)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pre_sign_up_with_moto_stopped_mid_test_refuses_linking_cleanly() {
    let mut moto = Moto::start();
    let pool_id = pool_with_native_user(&moto, "jane@example.com").await;
    let function = linking(moto.endpoint()).start().await;
    // While moto runs: nobody with this email, so no link, sign-up goes on.
    let returned = function
        .respond(events::federated_sign_up(
            &pool_id,
            "Google_1",
            "nobody@example.com",
        ))
        .await;
    assert_eq!(returned["userName"], "Google_1");

    moto.stop();
    assert_link_refused_in_time(&function, &pool_id, "Google_2").await;
    function
        .wait_for_log_containing("\"reason\":\"list_users_failed\"")
        .await;
    // A native sign-up needs no AWS call, and goes on while AWS is down.
    let native = function
        .respond(events::sample("pre-sign-up", "sign-up"))
        .await;
    assert_eq!(native["triggerSource"], "PreSignUp_SignUp");
    function.assert_no_panic();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pre_sign_up_with_list_users_throttled_throughout_refuses_within_the_budget() {
    let moto = Moto::start();
    let pool_id = pool_with_native_user(&moto, "jane@example.com").await;
    let front = throttling_front(&moto, &[(LIST_USERS, usize::MAX)], &[]).await;
    let function = linking(front.endpoint()).start().await;
    assert_link_refused_in_time(&function, &pool_id, "Google_1").await;
    assert_eq!(
        front.calls(LIST_USERS).len() as u64,
        cognito_auth_core::aws::DEFAULT_MAX_ATTEMPTS,
        "AWS_MAX_ATTEMPTS attempts (the shared call budget), then refused"
    );
    assert_eq!(front.calls(LINK).len(), 0);
    function
        .wait_for_log_containing("TooManyRequestsException")
        .await;
    function.assert_no_panic();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pre_sign_up_with_list_users_throttled_once_links_by_retrying() {
    let moto = Moto::start();
    let pool_id = pool_with_native_user(&moto, "jane@example.com").await;
    let front = throttling_front(&moto, &[(LIST_USERS, 1)], &[LINK]).await;
    let function = linking(front.endpoint()).start().await;
    let returned = function
        .respond(events::federated_sign_up(
            &pool_id,
            "Google_1",
            "jane@example.com",
        ))
        .await;
    assert_eq!(returned["userName"], "Google_1");
    assert_eq!(front.calls(LIST_USERS).len(), 2);
    assert_eq!(front.calls(LINK).len(), 1);
    function
        .wait_for_log_containing("linked the federated identity")
        .await;
    function.assert_no_panic();
}
