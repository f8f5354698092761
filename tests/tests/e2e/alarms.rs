//! What the alarms read, through the real binaries: normal traffic (expired
//! and garbage tokens, refused sign-ups) leaves each alarm's metric at zero,
//! and a real failure moves it.
//!
//! Lambda counts every invocation that returns an error in `Errors`, a 401 and
//! a refused sign-up included, so the alarms on real failures read
//! `Errors - Refusals`: the harness sees which invocations posted to
//! `/error` (Lambda's `Errors`), the functions' EMF lines say how many of
//! them were refusals (`Refusals`). The custom-metric alarms read
//! `JwksFetches` (`Result=failed`), `StaleKeyUses`, `Provisioning`
//! (`Outcome=failed`) and `ProfileReads` (`Result=failed`).
//!
//! Each refusal also writes one line of the function's own, at INFO or
//! WARN with its reason, and no ERROR line; a real failure writes one at
//! ERROR. And the metric lines are printed whatever the log level.

use std::time::Duration;

use e2e_tests::events;
use e2e_tests::jwks_server::JwksServer;
use e2e_tests::moto::{Moto, free_port};
use e2e_tests::runtime_api::{Function, Invoked, Launch, Outcome};
use e2e_tests::tokens::{DevKey, TokenBuilder, access_signed_by, access_with_unknown_kid, jwks};
use serde_json::{Value, json};

const NAMESPACE: &str = "E2E/Alarms";
const POOL: &str = "us-east-1_AlarmPool1";
const CLIENT: &str = "alarmclient1";

/// The invocations a test made, and what the function printed for them.
struct Traffic<'a> {
    function: &'a Function,
    invoked: Vec<Invoked>,
}

impl<'a> Traffic<'a> {
    fn new(function: &'a Function) -> Self {
        Self {
            function,
            invoked: Vec::new(),
        }
    }

    async fn send(&mut self, event: Value) -> Outcome {
        let invoked = self.function.invoke(event).await;
        let outcome = invoked.outcome.clone();
        self.invoked.push(invoked);
        outcome
    }

    /// Waits until a line of every invocation has been read (output is
    /// read asynchronously), and a little longer for the lines printed
    /// just before the answer: the metric line, the runtime's error line.
    async fn settle(&self) {
        for invoked in &self.invoked {
            let id = invoked.request_id.as_str();
            self.function.wait_for_log(|line| line.contains(id)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    /// Lambda's `Errors`: the invocations that posted to `/error`.
    fn errors(&self) -> Vec<&Invoked> {
        self.invoked
            .iter()
            .filter(|invoked| matches!(invoked.outcome, Outcome::Error(_)))
            .collect()
    }

    /// The sum of `metric` over the EMF lines that carry these dimension
    /// values.
    fn metric(&self, metric: &str, dimensions: &[(&str, &str)]) -> f64 {
        self.function
            .log_records()
            .iter()
            .filter(|record| record.get("_aws").is_some())
            .filter(|record| {
                dimensions
                    .iter()
                    .all(|(key, value)| record.get(*key).and_then(Value::as_str) == Some(*value))
            })
            .filter_map(|record| match record.get(metric)? {
                Value::Number(n) => n.as_f64(),
                Value::Array(values) => Some(values.iter().filter_map(Value::as_f64).sum()),
                _ => None,
            })
            .sum()
    }

    /// What the real-failure alarms read: `Errors - Refusals`.
    fn real_failures(&self) -> f64 {
        self.errors().len() as f64 - self.metric("Refusals", &[])
    }

    /// The function's log lines (not metric lines) of one invocation.
    fn lines_of(&self, request_id: &str) -> Vec<Value> {
        self.function
            .log_records()
            .into_iter()
            .filter(|record| record.get("_aws").is_none())
            .filter(|record| {
                record["spans"]
                    .as_array()
                    .is_some_and(|spans| spans.iter().any(|span| span["requestId"] == request_id))
            })
            .collect()
    }

    /// Every ERROR line printed.
    fn error_lines(&self) -> Vec<Value> {
        self.function
            .log_records()
            .into_iter()
            .filter(|record| record["level"] == "ERROR")
            .collect()
    }

    /// Each refused invocation wrote exactly one line at INFO or WARN with a
    /// `reason`, and no ERROR line.
    #[track_caller]
    fn assert_refusals_logged_once_below_error(&self) {
        for invoked in self.errors() {
            let lines = self.lines_of(&invoked.request_id);
            let reasons: Vec<&Value> = lines
                .iter()
                .filter(|line| line.get("reason").is_some() || line.get("error_type").is_some())
                .collect();
            assert_eq!(reasons.len(), 1, "{}: {lines:#?}", invoked.request_id);
            assert!(
                matches!(reasons[0]["level"].as_str(), Some("INFO" | "WARN")),
                "{:#?}",
                reasons[0]
            );
            assert!(
                lines.iter().all(|line| line["level"] != "ERROR"),
                "{lines:#?}"
            );
        }
    }
}

fn token_event(credential: &str) -> Value {
    json!({
        "type": "TOKEN",
        "authorizationToken": credential,
        "methodArn": "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/pets",
    })
}

fn bearer(token: &str) -> Value {
    token_event(&format!("Bearer {token}"))
}

#[track_caller]
fn assert_unauthorized(outcome: &Outcome) {
    match outcome {
        Outcome::Error(report) => assert_eq!(report.error_message, "Unauthorized", "{report:?}"),
        Outcome::Response(value) => panic!("expected a 401, got {value}"),
    }
}

/// `AuthorizerErrorsAlarm` (`Errors - Refusals`), `JwksFetchFailuresAlarm`
/// and `StaleKeysInUseAlarm` under a day's traffic of a REST API: valid,
/// expired, garbage, missing, foreign and forged tokens. Then a wiring
/// mistake (an event that is not an authorizer's) is a real failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authorizer_pages_for_no_401_and_for_an_invalid_event() {
    let server = JwksServer::start(&jwks(&[DevKey::One])).await;
    let function = Launch::new("authorizer")
        .env("USER_POOL_ID", POOL)
        .env("APP_CLIENT_IDS", CLIENT)
        .env("JWKS_URL", server.url_template())
        .env("METRICS_NAMESPACE", NAMESPACE)
        .start()
        .await;
    let mut traffic = Traffic::new(&function);

    let valid = TokenBuilder::access(POOL, CLIENT).build();
    let allowed = traffic.send(bearer(&valid)).await;
    assert!(matches!(allowed, Outcome::Response(_)), "{allowed:?}");
    for refused in [
        bearer(&TokenBuilder::access(POOL, CLIENT).lifetime(-600).build()),
        token_event("Bearer not-a-jwt"),
        token_event("Basic dXNlcjpwYXNz"),
        bearer(&TokenBuilder::access(POOL, "someoneelse").build()),
        bearer(&access_signed_by(POOL, CLIENT, DevKey::Two)),
        bearer(&access_with_unknown_kid(POOL, CLIENT)),
        bearer(&TokenBuilder::access("us-east-1_OtherPool", CLIENT).build()),
        events::sample("authorizer", "request-unauthorized"),
    ] {
        assert_unauthorized(&traffic.send(refused).await);
    }
    // HTTP API 2.0 refuses with an answer, not an error.
    let simple = traffic
        .send(events::sample("authorizer", "http2-unauthorized"))
        .await;
    assert_eq!(
        simple,
        Outcome::Response(json!({"isAuthorized": false})),
        "{simple:?}"
    );
    traffic.settle().await;

    assert_eq!(traffic.errors().len(), 8);
    assert_eq!(
        traffic.metric("Refusals", &[("Function", "authorizer")]),
        8.0
    );
    assert_eq!(traffic.real_failures(), 0.0);
    assert_eq!(traffic.metric("JwksFetches", &[("Result", "failed")]), 0.0);
    assert_eq!(traffic.metric("StaleKeyUses", &[]), 0.0);
    assert_eq!(traffic.error_lines(), Vec::<Value>::new());
    traffic.assert_refusals_logged_once_below_error();

    // Not an authorizer event: API Gateway shows a 500, and it pages.
    let invalid = traffic.send(json!({"hello": "world"})).await;
    match &invalid {
        Outcome::Error(report) => assert_eq!(report.error_type, "InvalidEvent"),
        other => panic!("{other:?}"),
    }
    traffic.settle().await;
    assert_eq!(traffic.real_failures(), 1.0);
    assert!(!traffic.error_lines().is_empty());
}

/// With no keys to verify with (the JWKS endpoint down), every token gets a
/// 401 that fails closed: that is the authorizer failing, not the caller
/// refused, so it moves `Errors - Refusals` and `JwksFetches` `failed`, and
/// is logged at ERROR by the function, once, without the runtime's line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authorizer_without_keys_is_a_real_failure() {
    let function = Launch::new("authorizer")
        .env("USER_POOL_ID", POOL)
        .env("APP_CLIENT_IDS", CLIENT)
        .env("JWKS_URL", "http://127.0.0.1:9/{userPoolId}/jwks.json")
        .env("METRICS_NAMESPACE", NAMESPACE)
        .start()
        .await;
    let mut traffic = Traffic::new(&function);
    let token = TokenBuilder::access(POOL, CLIENT).build();
    assert_unauthorized(&traffic.send(bearer(&token)).await);
    traffic.settle().await;

    assert_eq!(traffic.real_failures(), 1.0);
    assert!(traffic.metric("JwksFetches", &[("Result", "failed")]) >= 1.0);
    let id = &traffic.invoked[0].request_id;
    let ours: Vec<Value> = traffic
        .lines_of(id)
        .into_iter()
        .filter(|line| line["reason"] == "jwks_unavailable")
        .collect();
    assert_eq!(ours.len(), 1, "{ours:#?}");
    assert_eq!(ours[0]["level"], "ERROR");
    // The function's line says why; lambda_runtime's would only repeat
    // the error's name.
    for line in traffic.lines_of(id) {
        assert_ne!(line["target"], "lambda_runtime::layers::panic", "{line}");
    }
}

/// `PreSignUpErrorsAlarm` (`Errors - Refusals`) under sign-ups the policy
/// refuses (a blocked domain, a disposable address, a missing attribute, an
/// invalid address), with `BLOCK_DISPOSABLE_EMAILS` on: no page. A
/// malformed event is a real failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pre_sign_up_pages_for_no_refused_sign_up_and_for_a_malformed_event() {
    let function = Launch::new("pre-sign-up")
        .env("BLOCKED_EMAIL_DOMAINS", "blocked.example")
        .env("BLOCK_DISPOSABLE_EMAILS", "true")
        .env("REQUIRED_ATTRIBUTES", "given_name")
        .env("METRICS_NAMESPACE", NAMESPACE)
        .start()
        .await;
    let mut traffic = Traffic::new(&function);
    let accepted = traffic.send(events::sample("pre-sign-up", "sign-up")).await;
    assert!(matches!(accepted, Outcome::Response(_)), "{accepted:?}");

    let with_email = |email: &str| {
        let mut event = events::sample("pre-sign-up", "sign-up");
        event["request"]["userAttributes"]["email"] = json!(email);
        event
    };
    let mut no_name = events::sample("pre-sign-up", "sign-up");
    no_name["request"]["userAttributes"]
        .as_object_mut()
        .map(|attributes| attributes.remove("given_name"));
    for (event, error_type) in [
        (with_email("someone@blocked.example"), "EmailDomainBlocked"),
        (with_email("throwaway@mailinator.com"), "DisposableEmail"),
        (no_name, "MissingAttribute"),
        (with_email("not an address"), "InvalidEmail"),
    ] {
        match traffic.send(event).await {
            Outcome::Error(report) => assert_eq!(report.error_type, error_type),
            other => panic!("{error_type}: {other:?}"),
        }
    }
    traffic.settle().await;

    assert_eq!(traffic.errors().len(), 4);
    assert_eq!(
        traffic.metric("Refusals", &[("Function", "pre-sign-up")]),
        4.0
    );
    assert_eq!(traffic.real_failures(), 0.0);
    assert_eq!(traffic.error_lines(), Vec::<Value>::new());
    traffic.assert_refusals_logged_once_below_error();

    let malformed = traffic.send(json!(["not", "an", "event"])).await;
    assert!(matches!(malformed, Outcome::Error(_)), "{malformed:?}");
    traffic.settle().await;
    assert_eq!(traffic.real_failures(), 1.0);
    assert!(!traffic.error_lines().is_empty());
}

/// A federated sign-up whose link fails (Cognito unreachable) is refused to
/// the user, but it is a failure of the function: it moves
/// `Errors - Refusals`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_link_is_a_real_failure() {
    let function = Launch::new("pre-sign-up")
        .env("LINK_FEDERATED_USERS", "true")
        .env("LINK_PROVIDER_DOMAINS", "Google=example.com")
        .env(
            "AWS_ENDPOINT_URL",
            format!("http://127.0.0.1:{}", free_port()),
        )
        .env("METRICS_NAMESPACE", NAMESPACE)
        .start()
        .await;
    let mut traffic = Traffic::new(&function);
    let event = events::federated_sign_up(POOL, "Google_1234567890", "jane.doe@example.com");
    match traffic.send(event).await {
        Outcome::Error(report) => assert_eq!(report.error_type, "LinkFailed"),
        other => panic!("{other:?}"),
    }
    traffic.settle().await;
    assert_eq!(traffic.real_failures(), 1.0);
    assert_eq!(
        traffic.metric("FederatedLinks", &[("Result", "failed")]),
        1.0
    );
    assert!(!traffic.error_lines().is_empty());
}

/// The other triggers refuse nothing: their alarms read `Errors` (and
/// `Refusals` is never written), `Provisioning` `failed` and `ProfileReads`
/// `failed`. Normal traffic (a confirmation, a repeated one, a forgotten
/// password; a sign-in with and without a profile) leaves them at zero; the
/// table going away moves them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_other_triggers_page_only_when_their_aws_calls_fail() {
    let mut moto = Moto::start();
    let cognito = moto.cognito().await;
    let dynamodb = moto.dynamodb().await;
    e2e_tests::moto::create_profile_table(&dynamodb, "profiles").await;
    let pool_id = e2e_tests::moto::create_user_pool(&cognito, "alarms-e2e").await;
    e2e_tests::moto::create_group(&cognito, &pool_id, "users").await;
    cognito
        .admin_create_user()
        .user_pool_id(&pool_id)
        .username("alarm-user")
        .send()
        .await
        .expect("create the user");

    let post_confirmation = Launch::new("post-confirmation")
        .envs(moto.env())
        .env("DEFAULT_GROUP", "users")
        .env("USERS_TABLE", "profiles")
        .env("METRICS_NAMESPACE", NAMESPACE)
        .start()
        .await;
    let pre_token = Launch::new("pre-token-generation")
        .envs(moto.env())
        .env("USERS_TABLE", "profiles")
        .env("PROFILE_CLAIMS", "plan")
        .env("PROFILE_CLAIMS_ON_ERROR", "refuse")
        .env("METRICS_NAMESPACE", NAMESPACE)
        .start()
        .await;
    let mut confirmations = Traffic::new(&post_confirmation);
    let mut sign_ins = Traffic::new(&pre_token);

    let mut confirm = events::sample("post-confirmation", "confirm-sign-up");
    confirm["userPoolId"] = json!(pool_id);
    confirm["userName"] = json!("alarm-user");
    let sub = confirm["request"]["userAttributes"]["sub"].clone();
    for event in [
        confirm.clone(),
        confirm.clone(),
        events::sample("post-confirmation", "confirm-forgot-password"),
    ] {
        let outcome = confirmations.send(event).await;
        assert!(matches!(outcome, Outcome::Response(_)), "{outcome:?}");
    }
    let mut sign_in = events::sample("pre-token-generation", "v2-authentication");
    sign_in["request"]["userAttributes"]["sub"] = sub;
    let mut stranger = sign_in.clone();
    stranger["request"]["userAttributes"]["sub"] = json!("00000000-0000-4000-8000-000000000000");
    for event in [sign_in.clone(), stranger] {
        let outcome = sign_ins.send(event).await;
        assert!(matches!(outcome, Outcome::Response(_)), "{outcome:?}");
    }
    confirmations.settle().await;
    sign_ins.settle().await;
    for traffic in [&confirmations, &sign_ins] {
        assert_eq!(traffic.errors().len(), 0);
        assert_eq!(traffic.metric("Refusals", &[]), 0.0);
        assert_eq!(traffic.error_lines(), Vec::<Value>::new());
    }
    assert_eq!(
        confirmations.metric("Provisioning", &[("Outcome", "failed")]),
        0.0
    );
    assert_eq!(
        sign_ins.metric("ProfileReads", &[("Result", "failed")]),
        0.0
    );

    // The AWS endpoint goes away: both fail, and both alarms' metrics move.
    moto.stop();
    let mut again = confirm.clone();
    again["userName"] = json!("alarm-user-2");
    assert!(matches!(confirmations.send(again).await, Outcome::Error(_)));
    assert!(matches!(sign_ins.send(sign_in).await, Outcome::Error(_)));
    confirmations.settle().await;
    sign_ins.settle().await;
    assert_eq!(confirmations.real_failures(), 1.0);
    assert_eq!(
        confirmations.metric("Provisioning", &[("Outcome", "failed")]),
        1.0
    );
    assert_eq!(sign_ins.real_failures(), 1.0);
    assert_eq!(
        sign_ins.metric("ProfileReads", &[("Result", "failed")]),
        1.0
    );
    for traffic in [&confirmations, &sign_ins] {
        assert!(!traffic.error_lines().is_empty());
    }
}

/// The operator's level arrives as `RUST_LOG` and wins over
/// `AWS_LAMBDA_LOG_LEVEL` (which Lambda derives from the function's
/// `ApplicationLogLevel`, kept where it passes the metric lines), and the
/// metric lines are printed at every level, `fatal` included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_log_sets_the_level_and_metrics_survive_every_level() {
    for (rust_log, lambda_level, info_expected) in [
        ("FATAL", "TRACE", false),
        ("ERROR", "INFO", false),
        ("WARN", "INFO", false),
        ("INFO", "ERROR", true),
        ("DEBUG", "FATAL", true),
    ] {
        let function = Launch::new("pre-sign-up")
            .env("RUST_LOG", rust_log)
            .env("AWS_LAMBDA_LOG_LEVEL", lambda_level)
            .env("METRICS_NAMESPACE", NAMESPACE)
            .start()
            .await;
        let mut traffic = Traffic::new(&function);
        traffic.send(events::sample("pre-sign-up", "sign-up")).await;
        traffic.settle().await;
        assert_eq!(
            traffic.metric("SignUps", &[("Outcome", "accepted")]),
            1.0,
            "RUST_LOG={rust_log}"
        );
        let infos = function
            .log_records()
            .iter()
            .filter(|record| record["level"] == "INFO")
            .count();
        assert_eq!(
            infos > 0,
            info_expected,
            "RUST_LOG={rust_log}: {infos} INFO lines"
        );
    }
}
