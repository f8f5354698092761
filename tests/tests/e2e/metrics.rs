//! Metrics, end to end: each function binary, driven through the Runtime
//! API, prints one EMF line per invocation and dimension set, for each
//! outcome the test drives; every such line passes the EMF checker
//! ([`emf::check`]: the `_aws` block, a namespace, dimension sets whose keys
//! are members of the line and hold fixed codes, CloudWatch units, at most
//! 100 metrics) and the log audit's detectors.
//!
//! No assertion here is timed: latencies are only checked to be present.

use e2e_tests::emf;

use std::time::Duration;

use e2e_tests::events;
use e2e_tests::jwks_server::JwksServer;
use e2e_tests::moto::Moto;
use e2e_tests::runtime_api::{Function, Launch};
use e2e_tests::tokens::{DevKey, TokenBuilder, jwks};
use serde_json::{Value, json};

const NAMESPACE: &str = "E2E/Auth";

/// Waits for the EMF line of `function` that carries `metric` with exactly
/// these extra dimension values (besides `Function`), and checks it.
async fn metric_line(function: &Function, metric: &str, dimensions: &[(&str, &str)]) -> Value {
    let found = function
        .wait_for_log(|line| {
            let Ok(value) = serde_json::from_str::<Value>(line) else {
                return false;
            };
            value.get("_aws").is_some()
                && value.get(metric).is_some()
                && dimensions.iter().all(|(key, expected)| {
                    value.get(*key).and_then(Value::as_str) == Some(*expected)
                })
        })
        .await;
    let line = emf::check(&found).unwrap_or_else(|err| panic!("{err}: {found}"));
    assert_eq!(
        line["_aws"]["CloudWatchMetrics"][0]["Namespace"], NAMESPACE,
        "{found}"
    );
    assert!(
        line["requestId"].as_str().is_some_and(|id| !id.is_empty()),
        "{found}"
    );
    line
}

/// Every EMF line the function printed passes the checker and the audit's
/// idea of what a metric may hold; returns how many there were.
async fn all_lines_are_valid(function: &Function) -> usize {
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut count = 0;
    for line in function.logs() {
        if !emf::is_emf(&line) {
            continue;
        }
        count += 1;
        emf::check(&line).unwrap_or_else(|err| panic!("{err}: {line}"));
        assert!(
            !line.contains('@'),
            "an address-like value in a metric line: {line}"
        );
        assert!(
            !line.contains("eyJ"),
            "a JWT-like value in a metric line: {line}"
        );
    }
    assert!(count > 0, "no metric line at all");
    count
}

#[test]
fn the_checker_refuses_what_cloudwatch_or_the_audit_would() {
    for line in emf::bad_lines() {
        assert!(emf::check(&line).is_err(), "accepted: {line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authorizer_counts_decisions_jwks_fetches_and_cache_hits() {
    const POOL: &str = "us-east-1_MetricsPool1";
    const CLIENT: &str = "metricsclient1";
    let server = JwksServer::start(&jwks(&[DevKey::One])).await;
    let function = Launch::new("authorizer")
        .env("USER_POOL_ID", POOL)
        .env("APP_CLIENT_IDS", CLIENT)
        .env("JWKS_URL", server.url_template())
        .env("AUTHZ_RULES", r#"[{"method":"GET","path":"/pets"}]"#)
        .env("METRICS_NAMESPACE", NAMESPACE)
        .start()
        .await;
    let token = TokenBuilder::access(POOL, CLIENT).build();
    let arn = |verb: &str| {
        format!("arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/{verb}/pets")
    };
    let event = |verb: &str, credential: &str| json!({"type": "TOKEN", "authorizationToken": credential, "methodArn": arn(verb)});

    let allowed = function
        .respond(event("GET", &format!("Bearer {token}")))
        .await;
    assert!(allowed["policyDocument"].is_object(), "{allowed}");
    let cold = metric_line(&function, "ColdStart", &[]).await;
    assert_eq!(cold["Function"], "authorizer");
    let allow = metric_line(&function, "Decisions", &[("Outcome", "allow")]).await;
    assert_eq!(allow["Decisions"], json!(1.0));
    assert!(
        allow["AnswerBytes"]
            .as_f64()
            .is_some_and(|bytes| bytes > 0.0),
        "{allow}"
    );
    let fetched = metric_line(&function, "JwksFetches", &[("Result", "ok")]).await;
    assert_eq!(fetched["JwksFetches"], json!(1.0));

    // The same token again: the verified-token cache answers.
    let denied = function
        .respond(event("DELETE", &format!("Bearer {token}")))
        .await;
    assert!(denied["policyDocument"].is_object(), "{denied}");
    metric_line(&function, "Decisions", &[("Outcome", "deny")]).await;
    let hit = metric_line(&function, "VerifiedCacheHits", &[]).await;
    assert_eq!(hit["VerifiedCacheHits"], json!(1.0));

    let refused = function
        .invoke(event("GET", "Bearer not-a-jwt"))
        .await
        .error();
    assert_eq!(refused.error_message, "Unauthorized");
    let unauthorized = metric_line(
        &function,
        "Decisions",
        &[("Outcome", "unauthorized"), ("Reason", "malformed_token")],
    )
    .await;
    assert_eq!(
        unauthorized["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        json!([["Function", "Outcome"], ["Function", "Reason"]])
    );
    let expired = TokenBuilder::access(POOL, CLIENT).lifetime(-600).build();
    function
        .invoke(event("GET", &format!("Bearer {expired}")))
        .await
        .error();
    metric_line(
        &function,
        "Decisions",
        &[("Outcome", "unauthorized"), ("Reason", "token_expired")],
    )
    .await;
    all_lines_are_valid(&function).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_jwks_endpoint_shows_as_failed_fetches() {
    const POOL: &str = "us-east-1_MetricsPool2";
    const CLIENT: &str = "metricsclient2";
    // Nothing listens on port 9 of loopback: every fetch fails at once.
    let function = Launch::new("authorizer")
        .env("USER_POOL_ID", POOL)
        .env("APP_CLIENT_IDS", CLIENT)
        .env("JWKS_URL", "http://127.0.0.1:9/{userPoolId}/jwks.json")
        .env("METRICS_NAMESPACE", NAMESPACE)
        .start()
        .await;
    let token = TokenBuilder::access(POOL, CLIENT).build();
    let answer = function
        .invoke(json!({
            "type": "TOKEN",
            "authorizationToken": format!("Bearer {token}"),
            "methodArn": "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/pets",
        }))
        .await
        .error();
    assert_eq!(answer.error_message, "Unauthorized");
    let failed = metric_line(&function, "JwksFetches", &[("Result", "failed")]).await;
    assert!(
        failed["JwksFetches"].as_f64().is_some_and(|n| n >= 1.0),
        "{failed}"
    );
    metric_line(
        &function,
        "Decisions",
        &[("Outcome", "unauthorized"), ("Reason", "jwks_unavailable")],
    )
    .await;
    all_lines_are_valid(&function).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pre_sign_up_counts_accepted_refused_and_link_results() {
    let function = Launch::new("pre-sign-up")
        .env("BLOCKED_EMAIL_DOMAINS", "blocked.example")
        .env("LINK_FEDERATED_USERS", "true")
        .env("LINK_PROVIDER_DOMAINS", "Google=example.com")
        .env("METRICS_NAMESPACE", NAMESPACE)
        .start()
        .await;
    function
        .respond(events::sample("pre-sign-up", "sign-up"))
        .await;
    metric_line(&function, "SignUps", &[("Outcome", "accepted")]).await;

    let mut blocked = events::sample("pre-sign-up", "sign-up");
    blocked["request"]["userAttributes"]["email"] = json!("someone@blocked.example");
    function.invoke(blocked).await.error();
    metric_line(
        &function,
        "SignUps",
        &[("Outcome", "refused"), ("Reason", "EmailDomainBlocked")],
    )
    .await;

    let mut federated = events::sample("pre-sign-up", "external-provider-google");
    federated["request"]["userAttributes"]["email_verified"] = json!("false");
    function.respond(federated).await;
    metric_line(
        &function,
        "FederatedLinks",
        &[("Result", "email_not_verified")],
    )
    .await;

    let mut other = events::sample("pre-sign-up", "sign-up");
    other["triggerSource"] = json!("PostConfirmation_ConfirmSignUp");
    function.respond(other).await;
    metric_line(&function, "SignUps", &[("Outcome", "passed_through")]).await;
    all_lines_are_valid(&function).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_message_counts_rendered_and_fallback_messages_by_locale() {
    let function = Launch::new("custom-message")
        .env("APP_NAME", "Acme")
        .env("METRICS_NAMESPACE", NAMESPACE)
        .start()
        .await;
    function
        .respond(events::sample("custom-message", "sign-up"))
        .await;
    metric_line(
        &function,
        "Messages",
        &[("Outcome", "rendered"), ("Locale", "en")],
    )
    .await;

    let mut no_code = events::sample("custom-message", "sign-up");
    no_code["request"]["codeParameter"] = Value::Null;
    function.respond(no_code).await;
    metric_line(
        &function,
        "Messages",
        &[("Outcome", "fallback"), ("Reason", "no_code_parameter")],
    )
    .await;

    function
        .respond(events::sample("custom-message", "unknown-source"))
        .await;
    metric_line(&function, "Messages", &[("Outcome", "passed_through")]).await;
    all_lines_are_valid(&function).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_confirmation_counts_provisioning_outcomes_and_times_each_call() {
    let moto = Moto::start();
    let cognito = moto.cognito().await;
    e2e_tests::moto::create_profile_table(&moto.dynamodb().await, "profiles").await;
    let pool_id = e2e_tests::moto::create_user_pool(&cognito, "metrics-e2e").await;
    e2e_tests::moto::create_group(&cognito, &pool_id, "users").await;
    cognito
        .admin_create_user()
        .user_pool_id(&pool_id)
        .username("metrics-user")
        .send()
        .await
        .expect("create the user");
    let mut event = events::sample("post-confirmation", "confirm-sign-up");
    event["userPoolId"] = json!(pool_id);
    event["userName"] = json!("metrics-user");

    let function = Launch::new("post-confirmation")
        .envs(moto.env())
        .env("DEFAULT_GROUP", "users")
        .env("USERS_TABLE", "profiles")
        .env("METRICS_NAMESPACE", NAMESPACE)
        .start()
        .await;
    function.respond(event.clone()).await;
    metric_line(&function, "Provisioning", &[("Outcome", "provisioned")]).await;
    metric_line(
        &function,
        "AwsCallLatency",
        &[("Call", "AdminAddUserToGroup")],
    )
    .await;
    metric_line(&function, "AwsCallLatency", &[("Call", "PutItem")]).await;
    function.respond(event.clone()).await;
    metric_line(&function, "Provisioning", &[("Outcome", "already_existed")]).await;
    all_lines_are_valid(&function).await;

    // A group that does not exist: provisioning fails, with its cause.
    let broken = Launch::new("post-confirmation")
        .envs(moto.env())
        .env("DEFAULT_GROUP", "missing")
        .env("METRICS_NAMESPACE", NAMESPACE)
        .start()
        .await;
    broken.invoke(event).await.error();
    metric_line(
        &broken,
        "Provisioning",
        &[("Outcome", "failed"), ("Reason", "GroupNotFound")],
    )
    .await;
    all_lines_are_valid(&broken).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pre_token_generation_counts_claims_added_and_profile_reads() {
    const SUB: &str = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111";
    let moto = Moto::start();
    let dynamodb = moto.dynamodb().await;
    e2e_tests::moto::create_profile_table(&dynamodb, "users").await;
    e2e_tests::moto::put_profile(&dynamodb, "users", SUB, &[("plan", "gold")]).await;
    let function = Launch::new("pre-token-generation")
        .envs(moto.env())
        .env("USERS_TABLE", "users")
        .env("PROFILE_CLAIMS", "plan")
        .env("METRICS_NAMESPACE", NAMESPACE)
        .start()
        .await;
    let mut event = events::sample("pre-token-generation", "v2-authentication");
    event["request"]["userAttributes"]["sub"] = json!(SUB);
    function.respond(event.clone()).await;
    let found = metric_line(&function, "ProfileReads", &[("Result", "found")]).await;
    assert_eq!(found["ProfileReads"], json!(1.0));
    let added = metric_line(&function, "ClaimsAdded", &[]).await;
    assert!(
        added["ClaimsAdded"].as_f64().is_some_and(|n| n >= 1.0),
        "{added}"
    );
    metric_line(&function, "AwsCallLatency", &[("Call", "GetItem")]).await;

    event["request"]["userAttributes"]["sub"] = json!("00000000-0000-0000-0000-000000000000");
    function.respond(event).await;
    metric_line(&function, "ProfileReads", &[("Result", "no_item")]).await;
    all_lines_are_valid(&function).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_namespace_fails_init_naming_the_variable() {
    let mut function = Launch::new("custom-message")
        .env("APP_NAME", "Acme")
        .env("METRICS_NAMESPACE", "AWS/Lambda")
        .start()
        .await;
    let report = function.init_error().await;
    assert!(
        report.error_message.starts_with("METRICS_NAMESPACE"),
        "{report:?}"
    );
}

/// A stand-in AWS endpoint on 127.0.0.1: answers every request `200 {}`
/// (an empty GetItem, PutItem or AdminAddUserToGroup answer) and keeps each
/// request's head.
struct FakeAws {
    endpoint: String,
    heads: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl FakeAws {
    async fn start() -> FakeAws {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        let heads = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = std::sync::Arc::clone(&heads);
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let kept = std::sync::Arc::clone(&kept);
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buffer = [0u8; 4096];
                    loop {
                        let Ok(n) = stream.read(&mut buffer).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        request.extend_from_slice(&buffer[..n]);
                        let text = String::from_utf8_lossy(&request).into_owned();
                        let Some(end) = text.find("\r\n\r\n") else {
                            continue;
                        };
                        let head = text[..end].to_owned();
                        let length = head
                            .lines()
                            .find_map(|line| {
                                let (name, value) = line.split_once(':')?;
                                name.eq_ignore_ascii_case("content-length")
                                    .then(|| value.trim().parse::<usize>().ok())?
                            })
                            .unwrap_or(0);
                        if request.len() < end + 4 + length {
                            continue;
                        }
                        kept.lock().expect("heads").push(head);
                        let _ = stream
                            .write_all(
                                b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\n\
                                  Content-Length: 2\r\nConnection: close\r\n\r\n{}",
                            )
                            .await;
                        return;
                    }
                });
            }
        });
        FakeAws { endpoint, heads }
    }

    /// The `X-Amzn-Trace-Id` of each request, by its `X-Amz-Target`.
    fn trace_ids(&self) -> Vec<(String, Option<String>)> {
        let header = |head: &str, wanted: &str| {
            head.lines().find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case(wanted)
                    .then(|| value.trim().to_owned())
            })
        };
        self.heads
            .lock()
            .expect("heads")
            .iter()
            .map(|head| {
                (
                    header(head, "x-amz-target").unwrap_or_default(),
                    header(head, "x-amzn-trace-id"),
                )
            })
            .collect()
    }
}

/// The trace header Lambda hands the function (`Lambda-Runtime-Trace-Id`)
/// reaches every AWS SDK call, Cognito's and DynamoDB's, as
/// `X-Amzn-Trace-Id`: that is what puts those calls in the X-Ray trace. The
/// metric line carries the same id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trace_header_reaches_the_aws_calls_and_the_metric_line() {
    let aws = FakeAws::start().await;
    let function = Launch::new("post-confirmation")
        .env("AWS_ENDPOINT_URL", aws.endpoint.as_str())
        .env("DEFAULT_GROUP", "users")
        .env("USERS_TABLE", "profiles")
        .env("METRICS_NAMESPACE", NAMESPACE)
        .start()
        .await;
    let mut event = events::sample("post-confirmation", "confirm-sign-up");
    event["userPoolId"] = json!("us-east-1_TraceTest1");
    function.respond(event).await;
    let line = metric_line(&function, "Provisioning", &[("Outcome", "provisioned")]).await;
    let trace_id = line["traceId"]
        .as_str()
        .expect("a traceId on the metric line")
        .to_owned();
    assert!(trace_id.starts_with("Root=1-"), "{trace_id}");

    let calls = aws.trace_ids();
    let targets: Vec<&str> = calls.iter().map(|(target, _)| target.as_str()).collect();
    assert!(
        targets.contains(&"AWSCognitoIdentityProviderService.AdminAddUserToGroup")
            && targets.contains(&"DynamoDB_20120810.PutItem"),
        "{targets:?}"
    );
    for (target, header) in &calls {
        assert_eq!(header.as_deref(), Some(trace_id.as_str()), "{target}");
    }
    // The log lines carry it too, in lambda_runtime's span.
    let logged = function.wait_for_log_containing("user provisioned").await;
    assert!(logged.contains(&trace_id), "{logged}");
}
