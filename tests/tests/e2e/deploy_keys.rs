//! Keys handed in at deploy, end to end: the `deploy-keys` custom resource
//! through its binary, answering a real HTTP peer that stands in for
//! CloudFormation's presigned S3 URL, and the authorizer through its binary
//! started with what that answer carried (`JWKS`), against a JWKS server
//! that counts requests.
//!
//! What it proves: a Create reads the pool's JWKS and answers SUCCESS with
//! it minified as `Data.Jwks`; a JWKS endpoint that is down is answered
//! FAILED with the reason (never left unanswered, which would hold the
//! stack for an hour); a Delete answers SUCCESS and fetches nothing. The
//! authorizer started with those keys answers a valid token with no JWKS
//! request at all; a token whose kid they lack fetches once, and when the
//! fetched set holds a kid they lacked, a WARN line and the
//! `DeployKeysStale` metric say the deploy-time keys are stale.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use e2e_tests::jwks_server::{JwksServer, Mode};
use e2e_tests::loopback::Served;
use e2e_tests::runtime_api::{Function, Launch};
use e2e_tests::tokens::{DevKey, TokenBuilder, access_signed_by, jwks};
use serde_json::{Value, json};

const POOL: &str = "eu-west-1_DeployKeys1";
const CLIENT: &str = "deploykeysclient1";
const NAMESPACE: &str = "E2E/Auth";

/// What the stand-in for CloudFormation's URL received: each PUT's body and
/// its `Content-Type` (which must be absent: the presigned URL signs none).
#[derive(Default)]
struct Uploads {
    bodies: Mutex<Vec<(Option<String>, Value)>>,
}

/// An HTTP peer on 127.0.0.1 that takes PUTs on `/response` as S3 takes
/// the upload to a presigned URL (200, empty body).
async fn response_url() -> (Served, Arc<Uploads>) {
    let uploads = Arc::new(Uploads::default());
    let router = axum::Router::new()
        .route(
            "/response",
            axum::routing::put(
                |State(uploads): State<Arc<Uploads>>, headers: HeaderMap, body: String| async move {
                    let content_type = headers
                        .get("content-type")
                        .and_then(|value| value.to_str().ok())
                        .map(str::to_owned);
                    let Ok(body) = serde_json::from_str::<Value>(&body) else {
                        return StatusCode::BAD_REQUEST;
                    };
                    uploads
                        .bodies
                        .lock()
                        .expect("uploads")
                        .push((content_type, body));
                    StatusCode::OK
                },
            ),
        )
        .with_state(Arc::clone(&uploads));
    (Served::start(router, "response URL").await, uploads)
}

fn request(kind: &str, response_url: &str) -> Value {
    let mut request = json!({
        "RequestType": kind,
        "ResponseURL": format!("{response_url}/response?X-Amz-Signature=test"),
        "StackId": "arn:aws:cloudformation:eu-west-1:123456789012:stack/e2e/1",
        "RequestId": format!("request-{kind}"),
        "ResourceType": "Custom::DeployKeys",
        "LogicalResourceId": "DeployKeys",
        "ResourceProperties": {
            "ServiceToken": "arn:aws:lambda:eu-west-1:123456789012:function:deploy-keys",
            "UserPoolId": POOL,
            "AuthzRules": r#"[{"method":"GET","path":"/pets"}]"#,
            "EnvironmentBudget": "2658",
            "Serial": "1"
        }
    });
    if kind != "Create" {
        request["PhysicalResourceId"] = json!(format!("deploy-keys-{POOL}"));
    }
    request
}

async fn deploy_keys(jwks_url: &str) -> Function {
    Launch::new("deploy-keys")
        .env("JWKS_URL", jwks_url)
        .env("METRICS_NAMESPACE", NAMESPACE)
        .start()
        .await
}

/// The one upload so far, checked for the fields CloudFormation matches.
fn the_upload(uploads: &Uploads, kind: &str) -> Value {
    let bodies = uploads.bodies.lock().expect("uploads");
    assert_eq!(bodies.len(), 1, "one answer per request");
    let (content_type, body) = bodies[0].clone();
    assert_eq!(
        content_type, None,
        "the presigned URL signs no Content-Type"
    );
    assert_eq!(body["RequestId"], format!("request-{kind}"));
    assert_eq!(body["LogicalResourceId"], "DeployKeys");
    assert_eq!(body["PhysicalResourceId"], format!("deploy-keys-{POOL}"));
    assert!(body.to_string().len() <= 4096);
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_answers_success_with_the_minified_keys() {
    let mut published = jwks(&[DevKey::One]);
    published["keys"][0]["x5c"] = json!(["ignored"]);
    let server = JwksServer::start(&published).await;
    let (url, uploads) = response_url().await;
    let function = deploy_keys(&server.url_template()).await;
    let status = function.respond(request("Create", &url.endpoint())).await;
    assert_eq!(status, "SUCCESS");
    let body = the_upload(&uploads, "Create");
    assert_eq!(body["Status"], "SUCCESS", "{body}");
    assert_eq!(body["Data"]["Keys"], "1");
    let handed: Value =
        serde_json::from_str(body["Data"]["Jwks"].as_str().expect("Jwks")).expect("JSON");
    assert_eq!(handed["keys"][0]["kid"], DevKey::One.kid());
    assert_eq!(handed["keys"][0]["n"], published["keys"][0]["n"]);
    assert!(handed["keys"][0].get("x5c").is_none(), "{handed}");
    assert_eq!(server.requests(), 1);
    assert_eq!(server.paths(), [format!("/{POOL}/.well-known/jwks.json")]);
    function.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jwks_endpoint_that_is_down_is_answered_failed_with_the_reason() {
    let server = JwksServer::start(&jwks(&[DevKey::One])).await;
    server.set_mode(Mode::Refuse).await;
    let (url, uploads) = response_url().await;
    let function = deploy_keys(&server.url_template()).await;
    let status = function.respond(request("Create", &url.endpoint())).await;
    assert_eq!(status, "FAILED");
    let body = the_upload(&uploads, "Create");
    assert_eq!(body["Status"], "FAILED");
    let reason = body["Reason"].as_str().expect("a reason");
    assert!(
        reason.contains("cannot read the user pool's keys") && reason.contains("jwks_transport"),
        "{reason}"
    );
    assert!(body.get("Data").is_none());
    function.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_answers_success_without_fetching() {
    let server = JwksServer::start(&jwks(&[DevKey::One])).await;
    let (url, uploads) = response_url().await;
    let function = deploy_keys(&server.url_template()).await;
    let status = function.respond(request("Delete", &url.endpoint())).await;
    assert_eq!(status, "SUCCESS");
    let body = the_upload(&uploads, "Delete");
    assert_eq!(body["Status"], "SUCCESS");
    assert_eq!(server.requests(), 0);
    function.stop().await;
}

/// Keys that would not fit beside the rules in Lambda's 4 KB are left out:
/// SUCCESS with an empty `Jwks`, which the authorizer reads as unset.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_that_do_not_fit_beside_the_rules_are_left_out() {
    let server = JwksServer::start(&jwks(&[DevKey::One, DevKey::Two])).await;
    let (url, uploads) = response_url().await;
    let function = deploy_keys(&server.url_template()).await;
    let mut create = request("Create", &url.endpoint());
    create["ResourceProperties"]["AuthzRules"] = json!("x".repeat(2000));
    assert_eq!(function.respond(create).await, "SUCCESS");
    let body = the_upload(&uploads, "Create");
    assert_eq!(body["Data"]["Jwks"], "");
    assert_eq!(body["Data"]["Keys"], "0");
    function
        .wait_for_log_containing("do not fit beside AUTHZ_RULES")
        .await;
    function.stop().await;
}

/// The keys as deploy-keys hands them in.
async fn handed_in(keys: &[DevKey]) -> String {
    let server = JwksServer::start(&jwks(keys)).await;
    let (url, uploads) = response_url().await;
    let function = deploy_keys(&server.url_template()).await;
    assert_eq!(
        function.respond(request("Create", &url.endpoint())).await,
        "SUCCESS"
    );
    function.stop().await;
    let body = the_upload(&uploads, "Create");
    body["Data"]["Jwks"].as_str().expect("Jwks").to_owned()
}

async fn authorizer(jwks_url: &str, handed_in: &str) -> Function {
    Launch::new("authorizer")
        .env("USER_POOL_ID", POOL)
        .env("APP_CLIENT_IDS", CLIENT)
        .env("JWKS_URL", jwks_url)
        .env("JWKS", handed_in)
        .env("AUTHZ_RULES", r#"[{"method":"GET","path":"/pets"}]"#)
        .env("METRICS_NAMESPACE", NAMESPACE)
        .start()
        .await
}

fn token_event(token: &str) -> Value {
    json!({
        "type": "TOKEN",
        "authorizationToken": format!("Bearer {token}"),
        "methodArn": "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET/pets",
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authorizer_with_keys_handed_in_answers_without_a_jwks_request() {
    let keys = handed_in(&[DevKey::One]).await;
    let server = JwksServer::start(&jwks(&[DevKey::One])).await;
    let function = authorizer(&server.url_template(), &keys).await;
    for _ in 0..3 {
        let token = TokenBuilder::access(POOL, CLIENT).build();
        let answer = function.respond(token_event(&token)).await;
        assert_eq!(
            answer["policyDocument"]["Statement"][0]["Effect"], "Allow",
            "{answer}"
        );
    }
    assert_eq!(server.requests(), 0, "the cold start or a token fetched");
    assert!(
        function
            .logs()
            .iter()
            .any(|line| line.contains("handed in at deploy (JWKS)")),
        "no line says where the keys came from"
    );
    function.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kid_the_handed_in_keys_lack_fetches_once_and_says_they_are_stale() {
    let keys = handed_in(&[DevKey::One]).await;
    // The pool has published a second key since the deploy.
    let server = JwksServer::start(&jwks(&[DevKey::One, DevKey::Two])).await;
    let function = authorizer(&server.url_template(), &keys).await;
    let rotated = access_signed_by(POOL, CLIENT, DevKey::Two);
    let answer = function.respond(token_event(&rotated)).await;
    assert_eq!(
        answer["policyDocument"]["Statement"][0]["Effect"], "Allow",
        "{answer}"
    );
    assert_eq!(server.requests(), 1);
    let warning = function
        .wait_for_log_containing("keys handed in at deploy (JWKS) lack a key")
        .await;
    let warning: Value = serde_json::from_str(&warning).expect("a JSON log line");
    assert_eq!(warning["level"], "WARN", "{warning}");
    let stale = function
        .wait_for_log(|line| line.contains("\"DeployKeysStale\""))
        .await;
    let stale = e2e_tests::emf::check(&stale).unwrap_or_else(|err| panic!("{err}: {stale}"));
    assert_eq!(stale["DeployKeysStale"], json!(1.0));
    assert_eq!(stale["Function"], "authorizer");

    // Both keys are now held: more tokens of either make no request.
    for key in [DevKey::One, DevKey::Two] {
        let answer = function
            .respond(token_event(&access_signed_by(POOL, CLIENT, key)))
            .await;
        assert_eq!(answer["policyDocument"]["Statement"][0]["Effect"], "Allow");
    }
    assert_eq!(server.requests(), 1);
    function.stop().await;
}

/// A made-up kid fetches (once per cooldown) but finds the handed-in keys
/// current: no stale warning, no metric.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_made_up_kid_does_not_call_the_handed_in_keys_stale() {
    let keys = handed_in(&[DevKey::One]).await;
    let server = JwksServer::start(&jwks(&[DevKey::One])).await;
    let function = authorizer(&server.url_template(), &keys).await;
    for _ in 0..3 {
        let forged = TokenBuilder::access(POOL, CLIENT).kid("made-up").build();
        let refused = function.invoke(token_event(&forged)).await.error();
        assert_eq!(refused.error_message, "Unauthorized");
    }
    assert_eq!(server.requests(), 1, "the cooldown holds the refetches");
    // The fetch was logged, so every line of those invocations is in.
    function
        .wait_for_log_containing("fetched the user pool's JWKS")
        .await;
    let said_stale = function
        .logs()
        .into_iter()
        .filter(|line| line.contains("lack a key") || line.contains("DeployKeysStale"))
        .collect::<Vec<_>>();
    assert!(said_stale.is_empty(), "{said_stale:?}");
    function.stop().await;
}
