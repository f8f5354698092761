//! The authorizer binary, driven through the Runtime API harness with every
//! kind of API Gateway authorizer event.
//!
//! Tokens are minted with the committed development key and verified against
//! its JWKS through `JWKS_FILE`; one test uses real moto-issued tokens and
//! fetches moto's JWKS over HTTP. Policies are judged by a small IAM-like
//! evaluator written here, independently of the one in `shared`, so that a
//! bug in the builder cannot hide behind the same bug in its checker.
//!
//! One test target, one module per concern; this file holds what they
//! share (the set-up, the four kinds of event, the answer as API Gateway
//! judges it, the routes and the IAM-like evaluator):
//!
//! - `credentials`: which tokens get through, and how they are found;
//! - `rest`: the IAM policies of REST TOKEN/REQUEST (and HTTP API 1.0) answers;
//! - `http_api`: the simple answers of HTTP API 2.0, cached per route key;
//! - `cached_answers`: an answer reused for other routes, in either scope;
//! - `route_rules`: path templates, the root, proxies and odd paths;
//! - `generated_rules`: generated rule sets against an oracle of docs/authorizer.md;
//! - `limits`: answer sizes and ARN lengths;
//! - `pools`: several user pools with the same group names;
//! - `machine_clients`: client-credentials tokens;
//! - `websocket`: WebSocket `$connect`;
//! - `claim_rules`: rules on claims other than groups and scopes;
//! - `configuration`: the variables and bad rules at init;
//! - `logs`: what never reaches a log line;
//! - `samples`: the committed sample events;
//! - `moto_issued`: tokens and JWKS from moto;
//! - `revocation`: revoked users, sessions and clients, read from moto's DynamoDB;
//! - `measure`: an ignored throughput and cold-start measurement.

use e2e_tests::events;
use e2e_tests::runtime_api::{Function, Launch, Outcome, workspace_root};
use e2e_tests::tokens::{DevKey, Signer, TokenBuilder};
use serde_json::{Value, json};

mod cached_answers;
mod claim_rules;
mod configuration;
mod credentials;
mod generated_rules;
mod http_api;
mod limits;
mod logs;
mod machine_clients;
mod measure;
mod moto_issued;
mod pools;
mod rest;
mod revocation;
mod route_rules;
mod samples;
mod websocket;

const POOL: &str = "eu-west-1_DevPool1";
const CLIENT: &str = "devclient1";
/// The API of every event here (the samples use the same account and id).
const API: &str = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5";
const STAGE: &str = "prod";

/// Rules used by most tests; the example of docs/authorizer.md.
const PET_RULES: &str = test_kit::rules::PETS;
/// The same with a rule below `/pets/{id}`, which needs the `route` scope.
const NESTED_PET_RULES: &str = test_kit::rules::NESTED_PETS;

// ---- Set-up -----------------------------------------------------------------

fn jwks_file() -> String {
    workspace_root()
        .join("tests/fixtures/keys/dev-rsa-1.jwks.json")
        .display()
        .to_string()
}

fn launch() -> Launch {
    Launch::new("authorizer")
        .env("USER_POOL_ID", POOL)
        .env("APP_CLIENT_IDS", CLIENT)
        .env("JWKS_FILE", jwks_file())
}

fn with_rules(rules: &str) -> Launch {
    launch().env("AUTHZ_RULES", rules)
}

/// Rules in the `route` scope: REST answers cover the triggering resource.
fn with_route_rules(rules: &str) -> Launch {
    with_rules(rules).env("AUTHZ_POLICY_SCOPE", "route")
}

fn access(groups: &[&str]) -> TokenBuilder {
    TokenBuilder::access(POOL, CLIENT).groups(groups)
}

fn sub_of(token: &TokenBuilder) -> String {
    token.claims()["sub"].as_str().unwrap().to_owned()
}

fn method_arn(verb: &str, path: &str) -> String {
    format!("{API}/{STAGE}/{verb}{path}")
}

/// The path template of an HTTP API route key, which is also the REST
/// resource the tests route the call to: `$default` is `/{proxy+}`.
fn route_path(route_key: &str) -> &str {
    route_key
        .split_once(' ')
        .map_or("/{proxy+}", |(_, path)| path)
}

/// `events/authorizer/<name>.json`.
fn sample(name: &str) -> Value {
    events::sample("authorizer", name)
}

/// The four kinds of event, built from the committed samples so that they
/// keep API Gateway's real shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Token,
    Request,
    Http1,
    Http2,
    /// A WebSocket `$connect`, with the credential in the `token` query
    /// parameter (the function must run with `TOKEN_QUERY_PARAMETER=token`).
    WebSocket,
}

const REST_SHAPES: [Shape; 3] = [Shape::Token, Shape::Request, Shape::Http1];
const ALL_SHAPES: [Shape; 4] = [Shape::Token, Shape::Request, Shape::Http1, Shape::Http2];

impl Shape {
    /// An event for a call of `verb` on `path` (routed by `route_key` on an
    /// HTTP API, and to the resource of the same path on a REST API)
    /// carrying `credential` (`None`: no credential at all). HTTP API 2.0
    /// events list the route key among their identity sources, as the
    /// template configures them.
    fn event(self, credential: Option<&str>, verb: &str, path: &str, route_key: &str) -> Value {
        let arn = method_arn(verb, path);
        match self {
            Shape::Token => {
                let mut event = sample("token-allow");
                event["methodArn"] = json!(arn);
                match credential {
                    Some(value) => event["authorizationToken"] = json!(value),
                    None => {
                        event.as_object_mut().unwrap().remove("authorizationToken");
                    }
                }
                event
            }
            Shape::Request => {
                let mut event = sample("request-allow");
                event["methodArn"] = json!(arn);
                event["path"] = json!(path);
                event["resource"] = json!(route_path(route_key));
                event["httpMethod"] = json!(verb);
                event["requestContext"]["httpMethod"] = json!(verb);
                event["requestContext"]["path"] = json!(format!("/{STAGE}{path}"));
                event["requestContext"]["resourcePath"] = json!(route_path(route_key));
                set_header(&mut event, "Authorization", credential, true);
                event
            }
            Shape::Http1 => {
                let mut event = sample("http1-allow");
                event["methodArn"] = json!(arn);
                event["path"] = json!(path);
                event["httpMethod"] = json!(verb);
                event["requestContext"]["httpMethod"] = json!(verb);
                event["requestContext"]["routeKey"] = json!(route_key);
                event["identitySource"] = json!(credential.unwrap_or_default());
                event["authorizationToken"] = json!(credential.unwrap_or_default());
                set_header(&mut event, "authorization", credential, false);
                event
            }
            Shape::WebSocket => {
                let mut event = sample("websocket-allow");
                event["methodArn"] = json!(format!("{API}/{STAGE}/$connect"));
                let (single, multi) = match credential {
                    Some(value) => (json!({"token": value}), json!({"token": [value]})),
                    None => (json!({}), json!({})),
                };
                event["queryStringParameters"] = single;
                event["multiValueQueryStringParameters"] = multi;
                event
            }
            Shape::Http2 => {
                let mut event = sample("http2-allow");
                event["routeArn"] = json!(format!("{API}/$default/{verb}{path}"));
                event["routeKey"] = json!(route_key);
                event["rawPath"] = json!(path);
                event["requestContext"]["routeKey"] = json!(route_key);
                event["requestContext"]["http"]["method"] = json!(verb);
                event["requestContext"]["http"]["path"] = json!(path);
                match credential {
                    Some(value) => {
                        event["identitySource"] = json!([value, route_key]);
                        event["headers"]["authorization"] = json!(value);
                    }
                    None => {
                        let event = event.as_object_mut().unwrap();
                        event.remove("identitySource");
                        event["headers"]
                            .as_object_mut()
                            .unwrap()
                            .remove("authorization");
                    }
                }
                event
            }
        }
    }
}

fn set_header(event: &mut Value, name: &str, value: Option<&str>, multi: bool) {
    let headers = event["headers"].as_object_mut().unwrap();
    headers.retain(|key, _| !key.eq_ignore_ascii_case(name));
    if let Some(value) = value {
        headers.insert(name.to_owned(), json!(value));
    }
    if multi {
        let headers = event["multiValueHeaders"].as_object_mut().unwrap();
        headers.retain(|key, _| !key.eq_ignore_ascii_case(name));
        if let Some(value) = value {
            headers.insert(name.to_owned(), json!([value]));
        }
    }
}

/// What the binary answered, judged the way API Gateway would.
#[derive(Debug)]
enum Answer {
    /// Failed with exactly `Unauthorized`: 401.
    Unauthorized,
    /// A REST answer with a policy.
    Policy(Value),
    /// An HTTP API 2.0 simple answer.
    Simple(Value),
}

impl Answer {
    /// Whether API Gateway would let the call of `verb` on `path` through
    /// with this answer (a cached policy is reused for any route).
    fn lets_through(&self, verb: &str, path: &str) -> bool {
        match self {
            Answer::Unauthorized => false,
            Answer::Policy(answer) => {
                iam_allows(&answer["policyDocument"], &method_arn(verb, path))
            }
            Answer::Simple(answer) => answer["isAuthorized"] == json!(true),
        }
    }

    /// Whether API Gateway would open the WebSocket connection.
    fn connects(&self) -> bool {
        match self {
            Answer::Policy(answer) => iam_allows(
                &answer["policyDocument"],
                &format!("{API}/{STAGE}/$connect"),
            ),
            _ => false,
        }
    }

    #[track_caller]
    fn policy(&self) -> &Value {
        match self {
            Answer::Policy(answer) => answer,
            other => panic!("expected a policy, got {other:?}"),
        }
    }

    #[track_caller]
    fn simple(&self) -> &Value {
        match self {
            Answer::Simple(answer) => answer,
            other => panic!("expected a simple answer, got {other:?}"),
        }
    }
}

async fn ask(function: &Function, shape: Shape, event: Value) -> Answer {
    match function.invoke(event).await.outcome {
        Outcome::Error(report) => {
            assert_ne!(
                shape,
                Shape::Http2,
                "HTTP API 2.0 must never fail: {report:?}"
            );
            assert_eq!(report.error_message, "Unauthorized", "{report:?}");
            assert_eq!(report.error_type, "Unauthorized", "{report:?}");
            Answer::Unauthorized
        }
        Outcome::Response(answer) if shape == Shape::Http2 => Answer::Simple(answer),
        Outcome::Response(answer) => {
            assert!(answer.get("principalId").is_some(), "{answer}");
            Answer::Policy(answer)
        }
    }
}

/// A call as API Gateway matched it: the verb, the path called, and the
/// route key it matched.
type Route = (&'static str, &'static str, &'static str);
const LIST_PETS: Route = ("GET", "/pets", "GET /pets");
const DELETE_ADMIN_USER: Route = ("DELETE", "/admin/users/7", "ANY /admin/{proxy+}");
const GET_PET_42: Route = ("GET", "/pets/42", "GET /pets/{id}");
const GET_PET_VIA_PROXY: Route = ("GET", "/pets/1", "ANY /{proxy+}");
const DELETE_ADMIN_USER_1: Route = ("DELETE", "/admin/users/1", "ANY /admin/{proxy+}");
const GET_ME: Route = ("GET", "/me", "GET /me");
const GET_PREMIUM_ARTICLE: Route = ("GET", "/premium/7", "GET /premium/{id}");
const GET_FREE_ARTICLE: Route = ("GET", "/articles/7", "GET /articles/{id}");
const GET_ROOT: Route = ("GET", "/", "GET /");

/// [`ask`] about `route`, with `credential` where `shape` carries it.
async fn ask_route(function: &Function, shape: Shape, credential: &str, route: Route) -> Answer {
    let (verb, path, route_key) = route;
    ask(
        function,
        shape,
        shape.event(Some(credential), verb, path, route_key),
    )
    .await
}

// ---- An IAM-like evaluator, independent of the one under test ---------------

fn as_list(value: &Value) -> Vec<&str> {
    match value {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().map(|v| v.as_str().unwrap()).collect(),
        other => panic!("not a string or a list: {other}"),
    }
}

/// Explicit Deny wins, then any Allow, else refused.
fn iam_allows(policy: &Value, arn: &str) -> bool {
    assert_eq!(policy["Version"], "2012-10-17", "{policy}");
    let statements = policy["Statement"].as_array().expect("Statement is a list");
    assert!(!statements.is_empty());
    let matching = |effect: &str| {
        statements.iter().any(|statement| {
            statement["Effect"] == json!(effect)
                && as_list(&statement["Action"]).contains(&"execute-api:Invoke")
                && as_list(&statement["Resource"])
                    .iter()
                    .any(|resource| test_kit::iam::matches(resource.as_bytes(), arn.as_bytes()))
        })
    };
    !matching("Deny") && matching("Allow")
}

fn resources(policy: &Value) -> Vec<(String, String)> {
    policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|statement| {
            as_list(&statement["Resource"])
                .into_iter()
                .map(|resource| {
                    (
                        statement["Effect"].as_str().unwrap().to_owned(),
                        resource.to_owned(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

// ---- Unusable credentials ---------------------------------------------------

/// Credentials that must never get through, with a label for messages.
fn unusable_credentials() -> Vec<(&'static str, Option<String>)> {
    let good = access(&[]);
    vec![
        ("absent", None),
        ("empty", Some(String::new())),
        ("other scheme", Some("Basic ZGVtbzpkZW1v".to_owned())),
        ("scheme only", Some("Bearer".to_owned())),
        ("tab separator", Some(format!("Bearer\t{}", good.build()))),
        (
            "two tokens",
            Some(format!("Bearer {} {}", good.build(), good.build())),
        ),
        ("not a jwt", Some("Bearer not-a-token".to_owned())),
        (
            "expired",
            Some(format!("Bearer {}", good.clone().lifetime(-3600).build())),
        ),
        (
            "unknown key",
            Some(format!(
                "Bearer {}",
                good.clone().signed_by(Signer::Rsa(DevKey::Two)).build()
            )),
        ),
        (
            "other client",
            Some(format!(
                "Bearer {}",
                TokenBuilder::access(POOL, "otherclient").build()
            )),
        ),
        (
            "other pool",
            Some(format!(
                "Bearer {}",
                TokenBuilder::access("eu-west-1_Other", CLIENT).build()
            )),
        ),
        (
            "id token",
            Some(format!("Bearer {}", TokenBuilder::id(POOL, CLIENT).build())),
        ),
        (
            "tampered",
            Some(format!("Bearer {}", tamper(&good.build()))),
        ),
    ]
}

/// The token with its payload swapped for one that adds a group.
fn tamper(token: &str) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let other = access(&["admins"]).build();
    let payload = other.split('.').nth(1).unwrap();
    format!("{}.{}.{}", parts[0], payload, parts[2])
}

/// A second pool, for the tests where the pool is part of the identity.
const POOL2: &str = "eu-west-1_DevPool2";

/// The authorizer trusting `POOL` and `POOL2`, both signed by the
/// development key (one JWKS file per pool, as `{userPoolId}` requires).
fn two_pools() -> Launch {
    // A folder per call: tests run in parallel, and a copy rewriting a file
    // another test's authorizer is reading at init hands it a torn JWKS.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("authz-two-pools-{}-{call}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for pool in [POOL, POOL2] {
        std::fs::copy(jwks_file(), dir.join(format!("{pool}.json"))).unwrap();
    }
    Launch::new("authorizer")
        .env("USER_POOL_ID", format!("{POOL},{POOL2}"))
        .env("APP_CLIENT_IDS", CLIENT)
        .env(
            "JWKS_FILE",
            dir.join("{userPoolId}.json").display().to_string(),
        )
}

fn answer_size(answer: &Answer) -> usize {
    match answer {
        Answer::Unauthorized => 0,
        Answer::Policy(value) | Answer::Simple(value) => serde_json::to_vec(value).unwrap().len(),
    }
}
