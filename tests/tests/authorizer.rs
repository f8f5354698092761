//! The authorizer binary, driven through the Runtime API harness with every
//! kind of API Gateway authorizer event.
//!
//! Tokens are minted with the committed development key and verified against
//! its JWKS through `JWKS_FILE`; one test uses real moto-issued tokens and
//! fetches moto's JWKS over HTTP. Policies are judged by a small IAM-like
//! evaluator written here, independently of the one in `shared`, so that a
//! bug in the builder cannot hide behind the same bug in its checker.

use std::time::Duration;

use e2e_tests::events;
use e2e_tests::moto::Moto;
use e2e_tests::runtime_api::{Function, Launch, Outcome, workspace_root};
use e2e_tests::tokens::{DevKey, Signer, TokenBuilder};
use serde_json::{Value, json};

const POOL: &str = "eu-west-1_DevPool1";
const CLIENT: &str = "devclient1";
/// The API of every event here (the samples use the same account and id).
const API: &str = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5";
const STAGE: &str = "prod";

/// Rules used by most tests; the README example. One stage-wide policy can
/// express them exactly, so they run in the default `stage` scope.
const PET_RULES: &str = r#"[
    {"method": "GET", "path": "/pets"},
    {"method": "GET", "path": "/pets/{id}"},
    {"method": "POST", "path": "/pets", "allScopes": ["pets/write"]},
    {"method": "*", "path": "/admin/{proxy+}", "anyGroups": ["admins"]}
]"#;

/// The same with a rule below `/pets/{id}`: no IAM policy can allow every
/// `/pets/{id}` without reaching `/pets/{id}/secrets`, so init refuses them
/// in the `stage` scope and they run in the `route` scope.
const NESTED_PET_RULES: &str = r#"[
    {"method": "GET", "path": "/pets"},
    {"method": "GET", "path": "/pets/{id}"},
    {"method": "POST", "path": "/pets", "allScopes": ["pets/write"]},
    {"method": "*", "path": "/admin/{proxy+}", "anyGroups": ["admins"]},
    {"path": "/pets/{id}/secrets", "anyGroups": ["admins"]}
]"#;

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

fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|skip| glob(rest, &text[skip..])),
        Some((b'?', rest)) => !text.is_empty() && glob(rest, &text[1..]),
        Some((c, rest)) => text.first() == Some(c) && glob(rest, &text[1..]),
    }
}

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
                    .any(|resource| glob(resource.as_bytes(), arn.as_bytes()))
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

// ---- Valid tokens -------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_token_without_rules_gets_the_whole_stage_on_rest_kinds() {
    let function = launch().start().await;
    let token = access(&["users", "beta"]).scopes(&["openid", "pets/read"]);
    let credential = format!("Bearer {}", token.build());
    for shape in REST_SHAPES {
        let answer = ask_route(&function, shape, &credential, GET_PET_42).await;
        let answer = answer.policy();
        assert_eq!(
            answer,
            &json!({
                "principalId": sub_of(&token),
                "policyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Action": "execute-api:Invoke",
                        "Effect": "Allow",
                        "Resource": [format!("{API}/{STAGE}/*/*")]
                    }]
                },
                "context": {
                    "sub": sub_of(&token),
                    "username": "alice",
                    "client_id": CLIENT,
                    "token_use": "access",
                    "principal_type": "user",
                    "user_pool_id": POOL,
                    "groups": r#"["users","beta"]"#,
                    "groups_truncated": false,
                    "scopes": "openid pets/read",
                    "scopes_truncated": false
                }
            }),
            "{shape:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_token_without_rules_is_authorized_on_http_v2_with_a_flat_context() {
    let function = launch().start().await;
    let token = access(&[]);
    let credential = format!("Bearer {}", token.build());
    let answer = ask(
        &function,
        Shape::Http2,
        Shape::Http2.event(Some(&credential), "DELETE", "/x/y", "$default"),
    )
    .await;
    assert_eq!(
        answer.simple(),
        &json!({
            "isAuthorized": true,
            "context": {
                "sub": sub_of(&token),
                "username": "alice",
                "client_id": CLIENT,
                "token_use": "access",
                "principal_type": "user",
                "user_pool_id": POOL,
                "groups": "[]",
                "groups_truncated": false,
                "scopes": "aws.cognito.signin.user.admin",
                "scopes_truncated": false
            }
        })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn id_tokens_carry_the_email_in_the_context() {
    let function = launch().env("TOKEN_USE", "id").start().await;
    let token = TokenBuilder::id(POOL, CLIENT).groups(&["users"]);
    let credential = format!("Bearer {}", token.build());
    for shape in ALL_SHAPES {
        let answer = ask_route(&function, shape, &credential, LIST_PETS).await;
        let context = match &answer {
            Answer::Policy(answer) | Answer::Simple(answer) => &answer["context"],
            Answer::Unauthorized => panic!("{shape:?}: unauthorized"),
        };
        assert_eq!(context["email"], "alice@example.com", "{shape:?}");
        assert_eq!(context["email_verified"], true, "{shape:?}");
        assert_eq!(context["token_use"], "id", "{shape:?}");
        assert_eq!(context["groups"], r#"["users"]"#, "{shape:?}");
        assert!(
            context
                .as_object()
                .unwrap()
                .values()
                .all(|v| v.is_string() || v.is_boolean()),
            "{shape:?}: {context}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_in_any_casing_and_a_bare_jwt_are_accepted_on_every_kind() {
    let function = launch().start().await;
    let jwt = access(&[]).build();
    for credential in [
        format!("Bearer {jwt}"),
        format!("bearer {jwt}"),
        format!("BEARER {jwt}"),
        format!("Bearer   {jwt}"),
        jwt.clone(),
    ] {
        for shape in ALL_SHAPES {
            let answer = ask_route(&function, shape, &credential, GET_ROOT).await;
            assert!(
                answer.lets_through("GET", "/"),
                "{shape:?} {:?}",
                &credential[..10]
            );
        }
    }
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unusable_credentials_fail_rest_kinds_with_exactly_unauthorized() {
    let function = launch().start().await;
    for (label, credential) in unusable_credentials() {
        for shape in REST_SHAPES {
            let event = shape.event(credential.as_deref(), "GET", "/pets", "GET /pets");
            let answer = ask(&function, shape, event).await;
            assert!(
                matches!(answer, Answer::Unauthorized),
                "{label} {shape:?}: {answer:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unusable_credentials_are_not_authorized_on_http_v2() {
    let function = launch().start().await;
    for (label, credential) in unusable_credentials() {
        let event = Shape::Http2.event(credential.as_deref(), "GET", "/pets", "GET /pets");
        let answer = ask(&function, Shape::Http2, event).await;
        assert_eq!(answer.simple(), &json!({"isAuthorized": false}), "{label}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_authorization_header_is_refused() {
    let function = launch().start().await;
    let jwt = access(&[]).build();
    let mut event =
        Shape::Request.event(Some(&format!("Bearer {jwt}")), "GET", "/pets", "GET /pets");
    event["multiValueHeaders"]["Authorization"] =
        json!([format!("Bearer {jwt}"), "Bearer other.token.here"]);
    assert!(matches!(
        ask(&function, Shape::Request, event).await,
        Answer::Unauthorized
    ));
}

// ---- Rules ------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_route_the_rules_do_not_permit_is_left_out_of_the_policy() {
    let function = with_rules(PET_RULES).start().await;
    let credential = format!("Bearer {}", access(&["users"]).build());
    for shape in REST_SHAPES {
        let answer = ask_route(&function, shape, &credential, DELETE_ADMIN_USER).await;
        // API Gateway answers 403: the policy does not allow the method ARN.
        assert!(
            !answer.lets_through("DELETE", "/admin/users/7"),
            "{shape:?}"
        );
        // Yet it is not a blanket refusal: the caller's other routes are in it.
        assert!(answer.lets_through("GET", "/pets/7"), "{shape:?}");
        assert!(answer.lets_through("GET", "/pets"), "{shape:?}");
        assert!(!answer.lets_through("POST", "/pets"), "{shape:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_route_the_rules_do_not_permit_is_not_authorized_on_http_v2() {
    let function = with_route_rules(NESTED_PET_RULES).start().await;
    let credential = format!("Bearer {}", access(&["users"]).build());
    let ask_http2 = |verb: &'static str, route_key: &'static str| {
        let event = Shape::Http2.event(Some(&credential), verb, "/ignored", route_key);
        ask(&function, Shape::Http2, event)
    };
    for (verb, route_key) in [
        ("DELETE", "ANY /admin/{proxy+}"),
        ("POST", "POST /pets"),
        ("GET", "GET /pets/{id}/secrets"),
        ("GET", "$default"),
    ] {
        assert_eq!(
            ask_http2(verb, route_key).await.simple(),
            &json!({"isAuthorized": false}),
            "{verb} {route_key}"
        );
    }
    assert_eq!(
        ask_http2("GET", "GET /pets/{id}").await.simple()["isAuthorized"],
        true
    );
    // The identity sources above hold the route key: nothing to warn about.
    assert!(
        !function
            .logs()
            .iter()
            .any(|line| line.contains("$context.routeKey"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_permitted_is_an_explicit_deny_of_the_stage() {
    let function = with_rules(r#"[{"path": "/{proxy+}", "anyGroups": ["staff"]}]"#)
        .start()
        .await;
    let credential = format!("Bearer {}", access(&["users"]).build());
    for shape in REST_SHAPES {
        let answer = ask_route(&function, shape, &credential, LIST_PETS).await;
        assert_eq!(
            answer.policy()["policyDocument"],
            json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Action": "execute-api:Invoke",
                    "Effect": "Deny",
                    "Resource": [format!("{API}/{STAGE}/*/*")]
                }]
            }),
            "{shape:?}"
        );
    }
    let answer = ask(
        &function,
        Shape::Http2,
        Shape::Http2.event(Some(&credential), "GET", "/pets", "GET /pets"),
    )
    .await;
    assert_eq!(answer.simple(), &json!({"isAuthorized": false}));
}

/// The routes of the cache test: a verb, a concrete path, and the route key
/// an HTTP API would have declared for it.
const ROUTES: [(&str, &str, &str); 10] = [
    ("GET", "/pets", "GET /pets"),
    ("POST", "/pets", "POST /pets"),
    ("GET", "/pets/42", "GET /pets/{id}"),
    ("DELETE", "/pets/42", "DELETE /pets/{id}"),
    ("GET", "/pets/42/secrets", "GET /pets/{id}/secrets"),
    ("PUT", "/pets/42/secrets", "ANY /pets/{id}/secrets"),
    ("GET", "/admin/users", "ANY /admin/{proxy+}"),
    ("DELETE", "/admin/users/7", "ANY /admin/{proxy+}"),
    ("GET", "/", "GET /"),
    ("GET", "/orders", "GET /orders"),
];

/// In the `stage` scope, API Gateway may reuse one answer for every route
/// (a TOKEN authorizer caches per token). For each caller, the policy issued
/// for any route A must answer route B exactly as the rules do: the same as
/// the policy issued for B itself, and the same as the HTTP API's per-route
/// answer for B.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_built_for_one_route_answers_every_other_route_correctly() {
    let function = with_rules(PET_RULES).start().await;
    // What the rules say, written out by hand: `{id}` is one segment, so no
    // rule names `/pets/42/secrets` and it is refused to everyone.
    let expected = |caller: &str, verb: &str, path: &str| -> bool {
        match (verb, path) {
            ("GET", "/pets") | ("GET", "/pets/42") => true,
            ("POST", "/pets") => caller == "writer",
            (_, p) if p.starts_with("/admin/") => caller == "admin",
            _ => false,
        }
    };
    for (caller, token) in callers() {
        let credential = format!("Bearer {}", token.build());
        let mut policies = Vec::new();
        for (verb, path, route_key) in ROUTES {
            let event = Shape::Token.event(Some(&credential), verb, path, route_key);
            policies.push(ask(&function, Shape::Token, event).await);
        }
        for route @ (verb, path, route_key) in ROUTES {
            let want = expected(caller, verb, path);
            let http = ask_route(&function, Shape::Http2, &credential, route).await;
            assert_eq!(
                http.lets_through(verb, path),
                want,
                "{caller}: HTTP API {verb} {route_key}"
            );
            for (a, cached) in policies.iter().enumerate() {
                assert_eq!(
                    cached.lets_through(verb, path),
                    want,
                    "{caller}: the policy issued for {:?} answers {verb} {path} wrongly",
                    ROUTES[a]
                );
            }
        }
        // Every route's policy is the same document: nothing in it depends on
        // the route that triggered it.
        for policy in &policies[1..] {
            assert_eq!(policy.policy(), policies[0].policy(), "{caller}");
        }
    }
}

/// In the `route` scope, API Gateway reuses an answer only for calls of the
/// same verb to the same resource (the template's REQUEST authorizer is
/// cached on the token, `context.httpMethod` and `context.resourcePath`).
/// For those the answer must be exact, and for every other call it may
/// refuse but never allow what the rules refuse, so that a cache keyed on
/// less can only cost a 403.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_route_scoped_answer_is_exact_for_its_resource_and_never_too_generous() {
    let function = with_route_rules(NESTED_PET_RULES).start().await;
    let expected = |caller: &str, verb: &str, path: &str| -> bool {
        let admin = caller == "admin";
        let one_pet = path
            .strip_prefix("/pets/")
            .is_some_and(|id| !id.contains('/'));
        match (verb, path) {
            ("GET", "/pets") => true,
            ("GET", _) if one_pet => true,
            ("POST", "/pets") => caller == "writer",
            // Only the secrets rule matches (any verb, admins).
            (_, "/pets/42/secrets") => admin,
            (_, p) if p.starts_with("/admin/") => admin,
            _ => false,
        }
    };
    let calls: Vec<(&str, &str, &str)> = ROUTES
        .into_iter()
        .chain([
            ("GET", "/pets/7", "GET /pets/{id}"),
            ("POST", "/admin/x/y", "ANY /admin/{proxy+}"),
        ])
        .collect();
    for (caller, token) in callers() {
        let credential = format!("Bearer {}", token.build());
        for (verb, path, route_key) in calls.iter().copied() {
            let answer = ask_route(
                &function,
                Shape::Request,
                &credential,
                (verb, path, route_key),
            )
            .await;
            for (other_verb, other_path, other_key) in calls.iter().copied() {
                let want = expected(caller, other_verb, other_path);
                let got = answer.lets_through(other_verb, other_path);
                assert!(
                    !got || want,
                    "{caller}: the answer for {verb} {path} lets {other_verb} {other_path} through"
                );
                if other_verb == verb && route_path(other_key) == route_path(route_key) {
                    assert_eq!(
                        got, want,
                        "{caller}: {verb} {path} then {other_verb} {other_path}"
                    );
                }
            }
        }
    }
}

fn callers() -> [(&'static str, TokenBuilder); 3] {
    [
        ("user", access(&["users"])),
        ("writer", access(&[]).scopes(&["pets/write"])),
        ("admin", access(&["admins"])),
    ]
}

/// The review's case. HTTP API 2.0 caches its answer per token and route
/// key, so the answer for `GET /pets/{proxy+}` is reused for every path that
/// route receives: it must be a refusal for a caller whom REST would refuse
/// `GET /pets/1/secrets`, even though the route template does not match the
/// secrets rule as text. `GET /pets/{id}` never receives that path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_route_is_refused_when_any_path_it_receives_is_refused() {
    let function = with_route_rules(
        r#"[{"method":"GET","path":"/pets/{id}"},
            {"method":"GET","path":"/pets/{id}/secrets","anyGroups":["admins"]}]"#,
    )
    .start()
    .await;
    for (caller, token) in [("user", access(&["users"])), ("admin", access(&["admins"]))] {
        let admin = caller == "admin";
        let credential = format!("Bearer {}", token.build());

        // What REST decides, path by path.
        let rest = |path: &'static str, route_key: &'static str| {
            let event = Shape::Request.event(Some(&credential), "GET", path, route_key);
            ask(&function, Shape::Request, event)
        };
        let secrets = rest("/pets/1/secrets", "GET /pets/{id}/secrets").await;
        assert_eq!(
            secrets.lets_through("GET", "/pets/1/secrets"),
            admin,
            "{caller}"
        );
        let pet = rest("/pets/1", "GET /pets/{id}").await;
        assert!(pet.lets_through("GET", "/pets/1"), "{caller}");

        let http = |verb: &'static str, path: &'static str, route_key: &'static str| {
            let event = Shape::Http2.event(Some(&credential), verb, path, route_key);
            ask(&function, Shape::Http2, event)
        };
        // The greedy route: one answer for all its paths, whichever comes
        // first (API Gateway would reuse it from the cache). `{id}` is one
        // segment, so no rule covers `/pets/a/b/c`: refused to everyone.
        for path in ["/pets/1/secrets", "/pets/1"] {
            let answer = http("GET", path, "GET /pets/{proxy+}").await;
            assert_eq!(
                answer.simple()["isAuthorized"],
                json!(false),
                "{caller}: GET {path} through GET /pets/{{proxy+}}"
            );
        }
        let answer = http("GET", "/pets/1", "GET /pets/{id}").await;
        assert_eq!(answer.simple()["isAuthorized"], json!(true), "{caller}");
        let answer = http("GET", "/pets/1/secrets", "GET /pets/{id}/secrets").await;
        assert_eq!(answer.simple()["isAuthorized"], json!(admin), "{caller}");
        // `$default` takes every verb and path; no rule covers that.
        let answer = http("GET", "/pets/1", "$default").await;
        assert_eq!(answer.simple()["isAuthorized"], json!(false), "{caller}");
    }
}

/// An `ANY` route key covers every verb, and the cache reuses its answer
/// for all of them: a GET must not earn an answer that a DELETE then reuses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_any_route_is_answered_for_every_verb_it_takes() {
    let function = with_rules(
        r#"[{"method":"GET","path":"/pets/{id}"},
            {"method":"DELETE","path":"/pets/{id}","anyGroups":["admins"]},
            {"path":"/files/{proxy+}"}]"#,
    )
    .start()
    .await;
    let credential = format!("Bearer {}", access(&["users"]).build());
    for (verb, path, route_key, want) in [
        ("GET", "/pets/1", "GET /pets/{id}", true),
        ("DELETE", "/pets/1", "DELETE /pets/{id}", false),
        // REST would allow this GET, but the answer would be cached for the
        // DELETE through the same route key.
        ("GET", "/pets/1", "ANY /pets/{id}", false),
        ("DELETE", "/pets/1", "ANY /pets/{id}", false),
        ("PATCH", "/files/a/b", "ANY /files/{proxy+}", true),
    ] {
        let route = (verb, path, route_key);
        let answer = ask_route(&function, Shape::Http2, &credential, route).await;
        assert_eq!(
            answer.simple()["isAuthorized"],
            json!(want),
            "{verb} {path} through {route_key}"
        );
    }
}

/// A verb outside the seven API Gateway names (`PROPFIND`, …) must not get
/// through a REST policy on a path that a Deny of "any verb" refuses. An
/// Allow of any verb on `/{proxy+}` written as a single `…/*/*` ARN would
/// not be covered by per-verb Denies of `/pets/secrets/*`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_standard_verb_does_not_slip_past_a_deny() {
    let function = with_rules(
        r#"[{"path":"/{proxy+}"},
            {"path":"/pets/secrets/{rest+}","anyGroups":["admins"]}]"#,
    )
    .start()
    .await;
    let credential = format!("Bearer {}", access(&["users"]).build());
    for shape in REST_SHAPES {
        let answer = ask_route(&function, shape, &credential, GET_PET_VIA_PROXY).await;
        for verb in ["GET", "DELETE", "OPTIONS"] {
            assert!(answer.lets_through(verb, "/pets/1"), "{shape:?} {verb}");
            assert!(
                !answer.lets_through(verb, "/pets/secrets/1"),
                "{shape:?} {verb}"
            );
        }
        for verb in ["PROPFIND", "MKCOL", "TRACE"] {
            assert!(
                !answer.lets_through(verb, "/pets/secrets/1"),
                "{shape:?} {verb}"
            );
            assert!(!answer.lets_through(verb, "/pets/1"), "{shape:?} {verb}");
        }
        let policy = &answer.policy()["policyDocument"];
        for (effect, resource) in resources(policy) {
            if effect == "Allow" {
                assert!(
                    !resource.starts_with(&format!("{API}/{STAGE}/*/")),
                    "{shape:?}: {resource}"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_root_and_path_parameters_match_on_every_kind() {
    let function = with_rules(
        r#"[
            {"method": "GET", "path": "/"},
            {"method": "ANY", "path": "/files/{proxy+}"},
            {"method": "GET", "path": "/pets/{petId}/photos/{photoId}"}
        ]"#,
    )
    .start()
    .await;
    let credential = format!("Bearer {}", access(&[]).build());
    let cases = [
        ("GET", "/", "GET /", true),
        ("POST", "/", "POST /", false),
        ("GET", "/files/a", "ANY /files/{proxy+}", true),
        ("DELETE", "/files/a/b/c.txt", "ANY /files/{proxy+}", true),
        ("GET", "/files", "GET /files", false),
        (
            "GET",
            "/pets/1/photos/2",
            "GET /pets/{id}/photos/{photoId}",
            true,
        ),
        ("GET", "/pets/1/photos", "GET /pets/{id}/photos", false),
        ("GET", "/other", "$default", false),
    ];
    let policy = ask(
        &function,
        Shape::Request,
        Shape::Request.event(Some(&credential), "GET", "/", "GET /"),
    )
    .await;
    let resources = resources(&policy.policy()["policyDocument"]);
    assert!(
        resources.contains(&("Allow".to_owned(), format!("{API}/{STAGE}/GET/"))),
        "{resources:?}"
    );
    assert!(
        resources.contains(&(
            "Allow".to_owned(),
            format!("{API}/{STAGE}/GET/pets/*/photos/*")
        )),
        "{resources:?}"
    );
    for (verb, path, route_key, want) in cases {
        assert_eq!(policy.lets_through(verb, path), want, "REST {verb} {path}");
        let route = (verb, path, route_key);
        let http = ask_route(&function, Shape::Http2, &credential, route).await;
        assert_eq!(
            http.lets_through(verb, path),
            want,
            "HTTP API {verb} {route_key}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resource_arns_never_exceed_512_characters() {
    // A 300-character rule path fits with any real stage name.
    let long_path = format!("/{}", "p".repeat(299));
    let rules = format!(
        r#"[{{"method": "GET", "path": "{long_path}"}}, {{"method": "GET", "path": "/pets"}}]"#
    );
    let function = with_rules(&rules).start().await;
    let credential = format!("Bearer {}", access(&[]).build());
    let answer = ask(
        &function,
        Shape::Token,
        Shape::Token.event(Some(&credential), "GET", "/pets", "GET /pets"),
    )
    .await;
    assert!(answer.lets_through("GET", &long_path));
    assert!(answer.lets_through("GET", "/pets"));

    // A stage no real API has (400 characters; API Gateway allows 128): the
    // long Allow cannot fit, and an answer that leaves a rule out would not
    // be exact, so it is an explicit Deny of the stage, logged as an error.
    let stage = "s".repeat(400);
    let mut event = Shape::Token.event(Some(&credential), "GET", "/pets", "GET /pets");
    event["methodArn"] = json!(format!("{API}/{stage}/GET/pets"));
    let answer = ask(&function, Shape::Token, event).await;
    let policy = &answer.policy()["policyDocument"];
    assert_eq!(
        resources(policy),
        [("Deny".to_owned(), format!("{API}/{stage}/*/*"))]
    );
    function
        .wait_for_log_containing("would break API Gateway's limits")
        .await;

    // Without rules, a stage too long for even the stage-wide Allow gives an
    // explicit Deny that fits, never an Allow wider than the stage.
    let function = launch().start().await;
    let stage = "s".repeat(490);
    let mut event = Shape::Request.event(Some(&credential), "GET", "/pets", "GET /pets");
    event["methodArn"] = json!(format!("{API}/{stage}/GET/pets"));
    let answer = ask(&function, Shape::Request, event).await;
    let policy = &answer.policy()["policyDocument"];
    assert_eq!(resources(policy), [("Deny".to_owned(), format!("{API}/*"))]);
    for (_, resource) in resources(policy) {
        assert!(resource.len() <= 512);
    }
    assert!(!iam_allows(policy, &format!("{API}/{stage}/GET/pets")));
}

// ---- Configuration ----------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_usage_identifier_key_comes_from_the_configured_claim() {
    let function = launch()
        .env("USAGE_IDENTIFIER_CLAIM", "custom:api_key")
        .start()
        .await;
    let with_key = access(&[]).claim("custom:api_key", "k3y-for-usage-plan");
    let credential = format!("Bearer {}", with_key.build());
    let answer = ask(
        &function,
        Shape::Token,
        Shape::Token.event(Some(&credential), "GET", "/", "GET /"),
    )
    .await;
    assert_eq!(answer.policy()["usageIdentifierKey"], "k3y-for-usage-plan");

    let credential = format!("Bearer {}", access(&[]).build());
    let answer = ask(
        &function,
        Shape::Token,
        Shape::Token.event(Some(&credential), "GET", "/", "GET /"),
    )
    .await;
    assert!(
        answer.policy().get("usageIdentifierKey").is_none(),
        "{:?}",
        answer.policy()
    );

    let unset = launch().start().await;
    let credential = format!("Bearer {}", with_key.build());
    let answer = ask(
        &unset,
        Shape::Token,
        Shape::Token.event(Some(&credential), "GET", "/", "GET /"),
    )
    .await;
    assert!(answer.policy().get("usageIdentifierKey").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_header_is_configurable_and_found_in_any_casing() {
    let function = launch().env("TOKEN_HEADER", "X-Api-Token").start().await;
    let credential = format!("Bearer {}", access(&[]).build());
    for shape in [Shape::Request, Shape::Http1] {
        let mut event = shape.event(None, "GET", "/pets", "GET /pets");
        set_header(
            &mut event,
            "x-API-token",
            Some(&credential),
            shape == Shape::Request,
        );
        assert!(
            ask(&function, shape, event)
                .await
                .lets_through("GET", "/pets"),
            "{shape:?}"
        );
        // The default header is no longer read.
        let event = shape.event(Some(&credential), "GET", "/pets", "GET /pets");
        assert!(
            matches!(ask(&function, shape, event).await, Answer::Unauthorized),
            "{shape:?}"
        );
    }
    // HTTP API 2.0 without identity sources falls back to the header.
    let mut event = Shape::Http2.event(None, "GET", "/pets", "GET /pets");
    event["headers"]["x-api-token"] = json!(credential);
    assert!(
        ask(&function, Shape::Http2, event)
            .await
            .lets_through("GET", "/pets")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_rules_fail_init_naming_the_rule() {
    for (rules, message) in [
        (
            r#"[{"method":"GET","path":"/pets"},{"method":"GET","path":"/pets/"}]"#,
            "AUTHZ_RULES: rules[1] (GET /pets/): path must not end with `/`",
        ),
        (
            r#"[{"path":"/a","anyGroup":["admins"]}]"#,
            "AUTHZ_RULES: rules[0]: unknown field `anyGroup`",
        ),
        (
            r#"[{"path":"/a","anyGroups":[]}]"#,
            "AUTHZ_RULES: rules[0] (* /a): anyGroups is empty; leave it out to admit every verified caller",
        ),
        ("/no/such/rules.json", "AUTHZ_RULES: is neither inline JSON"),
    ] {
        let mut function = with_rules(rules).start().await;
        let report = function.init_error().await;
        assert_eq!(report.error_type, "ConfigError", "{rules}");
        assert!(
            report.error_message.starts_with(message),
            "{rules}: {}",
            report.error_message
        );
    }

    // Too long for an environment variable (and Lambda allows 4 KB of them
    // in all): large rule sets come as a file.
    let ten_thousand = format!("[{}]", vec![r#"{"path":"/a"}"#; 10_000].join(","));
    let file = std::env::temp_dir().join(format!("authz-rules-10000-{}.json", std::process::id()));
    std::fs::write(&file, ten_thousand).unwrap();
    let mut function = with_rules(&file.display().to_string()).start().await;
    let report = function.init_error().await;
    assert_eq!(
        report.error_message,
        "AUTHZ_RULES: has more than 1000 rules; at most 1000 are allowed"
    );
    std::fs::remove_file(&file).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_that_is_no_authorizer_event_is_a_500_not_a_401() {
    let function = launch().start().await;
    let invoked = function
        .invoke(json!({"version": "1", "triggerSource": "PreSignUp_SignUp", "request": {}, "response": {}}))
        .await;
    let report = invoked.error();
    assert_eq!(report.error_type, "InvalidEvent");
    assert_ne!(report.error_message, "Unauthorized");

    let credential = format!("Bearer {}", access(&[]).build());
    let mut event = Shape::Token.event(Some(&credential), "GET", "/", "GET /");
    event["methodArn"] = json!("arn:aws:lambda:us-east-1:123456789012:function:f");
    assert_eq!(
        function.invoke(event).await.error().error_type,
        "InvalidEvent"
    );
}

// ---- Logs -------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_log_line_contains_the_token() {
    // The most verbose level, so that nothing hides below the default.
    let function = with_rules(PET_RULES).env("RUST_LOG", "trace").start().await;
    let good = access(&["users"]);
    let tokens = [
        good.build(),
        good.clone().lifetime(-3600).build(),
        good.clone().signed_by(Signer::Rsa(DevKey::Two)).build(),
        tamper(&good.build()),
        TokenBuilder::access(POOL, "otherclient").build(),
    ];
    for token in &tokens {
        for shape in ALL_SHAPES {
            for credential in [
                format!("Bearer {token}"),
                token.clone(),
                format!("Basic {token}"),
            ] {
                let event = shape.event(Some(&credential), "GET", "/pets/1", "GET /pets/{id}");
                ask(&function, shape, event).await;
            }
        }
    }
    // Make sure the last invocation's lines are in.
    function.wait_for_log_containing("client_not_allowed").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let logs = function.logs();
    assert!(!logs.is_empty());
    for token in &tokens {
        let parts: Vec<&str> = token.split('.').collect();
        for line in &logs {
            assert!(
                !line.contains(token.as_str()),
                "a log line holds a token: {line}"
            );
            // No segment either: the signature, or the payload (the claims).
            assert!(
                !line.contains(parts[2]),
                "a log line holds a signature: {line}"
            );
            assert!(
                !line.contains(parts[1]),
                "a log line holds a payload: {line}"
            );
        }
    }
    // The reasons and the caller are there instead.
    let text = logs.join("\n");
    for reason in [
        "token_expired",
        "unknown_kid",
        "invalid_signature",
        "client_not_allowed",
        "malformed_authorization",
    ] {
        assert!(
            text.contains(reason),
            "no log line gives the reason {reason}"
        );
    }
    assert!(
        text.contains(&sub_of(&good)),
        "no log line names the caller's sub"
    );
    assert!(text.contains("GET /pets/1"), "no log line names the route");
}

// ---- Sample events ------------------------------------------------------------

/// Every committed sample, with a freshly minted token in place of
/// `{{TOKEN}}` and the rules of `functions/authorizer/rules.example.json`,
/// gives the outcome its name
/// promises: `-allow` lets its route through, `-forbidden` is a 403 for its
/// route, `-unauthorized` is a 401 (`isAuthorized: false` on HTTP API 2.0).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sample_event_gives_the_outcome_its_name_promises() {
    let rules = workspace_root().join("functions/authorizer/rules.example.json");
    let function = with_rules(&rules.display().to_string())
        .env("TOKEN_QUERY_PARAMETER", "token")
        .start()
        .await;
    let token = access(&["users"]).build();
    let dir = workspace_root().join("events/authorizer");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".json"))
        .collect();
    names.sort();
    assert!(names.len() >= 9, "{names:?}");
    for name in &names {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        let event: Value = serde_json::from_str(&text.replace("{{TOKEN}}", &token)).unwrap();
        let shape = match name.split('-').next().unwrap() {
            "token" => Shape::Token,
            "request" => Shape::Request,
            "http1" => Shape::Http1,
            "http2" => Shape::Http2,
            "websocket" => Shape::WebSocket,
            other => panic!("{name}: unknown kind {other}"),
        };
        let answer = ask(&function, shape, event.clone()).await;
        let route_allowed = match (&answer, shape) {
            (Answer::Unauthorized, _) => None,
            (Answer::Simple(simple), _) => Some(simple["isAuthorized"] == json!(true)),
            (Answer::Policy(policy), _) => Some(iam_allows(
                &policy["policyDocument"],
                event["methodArn"].as_str().unwrap(),
            )),
        };
        let expected = if name.ends_with("-allow.json") {
            Some(true)
        } else if name.ends_with("-forbidden.json") {
            Some(false)
        } else if name.ends_with("-unauthorized.json") {
            None
        } else {
            panic!("{name}: name it -allow, -forbidden or -unauthorized")
        };
        if shape == Shape::Http2 && expected.is_none() {
            assert_eq!(answer.simple(), &json!({"isAuthorized": false}), "{name}");
        } else {
            assert_eq!(route_allowed, expected, "{name}: {answer:?}");
        }
    }
}

// ---- moto ---------------------------------------------------------------------

/// A real Cognito-protocol peer: moto creates the pool, the group and the
/// user, signs the user in, and serves the pool's JWKS over HTTP; the
/// authorizer fetches it through `JWKS_URL` and decides with the group.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moto_issued_access_token_with_groups_is_authorized_by_its_group() {
    use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, ExplicitAuthFlowsType};
    use e2e_tests::moto::{create_group, create_user_pool, set_permanent_password, user_attribute};

    let moto = Moto::start();
    let cognito = moto.cognito().await;
    let pool_id = create_user_pool(&cognito, "authorizer-e2e").await;
    let client = cognito
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name("api")
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowAdminUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .send()
        .await
        .unwrap();
    let client_id = client
        .user_pool_client()
        .unwrap()
        .client_id()
        .unwrap()
        .to_owned();
    create_group(&cognito, &pool_id, "admins").await;

    let mut tokens = Vec::new();
    for (username, admin) in [("ada", true), ("bob", false)] {
        cognito
            .admin_create_user()
            .user_pool_id(&pool_id)
            .username(username)
            .user_attributes(user_attribute("email", format!("{username}@example.com")))
            .send()
            .await
            .unwrap();
        set_permanent_password(&cognito, &pool_id, username, "Correct-Horse-9").await;
        if admin {
            cognito
                .admin_add_user_to_group()
                .user_pool_id(&pool_id)
                .username(username)
                .group_name("admins")
                .send()
                .await
                .unwrap();
        }
        let auth = cognito
            .admin_initiate_auth()
            .user_pool_id(&pool_id)
            .client_id(&client_id)
            .auth_flow(AuthFlowType::AdminUserPasswordAuth)
            .auth_parameters("USERNAME", username)
            .auth_parameters("PASSWORD", "Correct-Horse-9")
            .send()
            .await
            .unwrap();
        let access_token = auth
            .authentication_result()
            .unwrap()
            .access_token()
            .unwrap()
            .to_owned();
        tokens.push((username, access_token));
    }

    let function = Launch::new("authorizer")
        .env("USER_POOL_ID", &pool_id)
        .env("APP_CLIENT_IDS", &client_id)
        .env("JWKS_URL", format!("{}/{{userPoolId}}/.well-known/jwks.json", moto.endpoint()))
        .env("AUTHZ_RULES", r#"[{"path": "/admin/{proxy+}", "anyGroups": ["admins"]}, {"method": "GET", "path": "/pets"}]"#)
        .start()
        .await;
    for (username, token) in &tokens {
        let admin = *username == "ada";
        let credential = format!("Bearer {token}");
        for shape in ALL_SHAPES {
            let admin_call = ask_route(&function, shape, &credential, DELETE_ADMIN_USER).await;
            assert_eq!(
                admin_call.lets_through("DELETE", "/admin/users/7"),
                admin,
                "{username} {shape:?}"
            );
            let pets = ask_route(&function, shape, &credential, LIST_PETS).await;
            assert!(pets.lets_through("GET", "/pets"), "{username} {shape:?}");
            if let Answer::Policy(policy) = &pets {
                assert_eq!(policy["context"]["username"], *username);
                assert_eq!(
                    policy["context"]["groups"],
                    if admin { r#"["admins"]"# } else { "[]" }
                );
                assert_eq!(policy["context"]["client_id"], client_id.as_str());
            }
        }
    }
}

// ---- Measurements -------------------------------------------------------------

/// Prints warm invocations per second and the time from exec to the first
/// response (with `JWKS_FILE`), through this harness. Ignored by default;
/// run against release binaries:
///
/// ```sh
/// cargo build --release -p authorizer
/// E2E_BIN_DIR=$PWD/target/release cargo test -p e2e-tests --test authorizer \
///     -- --ignored --nocapture measure
/// ```
///
/// (`E2E_BIN_DIR` must be absolute: tests run in `tests/`.) The harness
/// itself is a debug build, so the warm figure is a lower bound dominated by
/// the harness's HTTP round trips, not the authorizer's own work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a check; run on demand"]
async fn measure_warm_invocations_and_cold_start() {
    const COLD_RUNS: usize = 20;
    const WARM_CALLS: usize = 5_000;
    let token = access(&["users"]);
    let credential = format!("Bearer {}", token.build());

    let mut cold = Vec::with_capacity(COLD_RUNS);
    for _ in 0..COLD_RUNS {
        let started = std::time::Instant::now();
        let function = with_rules(PET_RULES).start().await;
        let answer = ask(
            &function,
            Shape::Token,
            Shape::Token.event(Some(&credential), "GET", "/pets", "GET /pets"),
        )
        .await;
        cold.push(started.elapsed());
        assert!(answer.lets_through("GET", "/pets"));
        function.stop().await;
    }
    cold.sort();

    let function = with_rules(PET_RULES).start().await;
    for shape in ALL_SHAPES {
        let event = shape.event(Some(&credential), "GET", "/pets/1", "GET /pets/{id}");
        assert!(
            ask(&function, shape, event.clone())
                .await
                .lets_through("GET", "/pets/1")
        );
        let started = std::time::Instant::now();
        for _ in 0..WARM_CALLS {
            function.invoke(event.clone()).await;
        }
        let elapsed = started.elapsed();
        println!(
            "warm {shape:?}: {WARM_CALLS} sequential invocations in {elapsed:?}: {:.0}/s, {:?} each",
            WARM_CALLS as f64 / elapsed.as_secs_f64(),
            elapsed / WARM_CALLS as u32
        );
    }
    println!(
        "exec to first response (JWKS_FILE, {COLD_RUNS} runs): min {:?}, median {:?}, max {:?}",
        cold[0],
        cold[COLD_RUNS / 2],
        cold[COLD_RUNS - 1]
    );
}

// ---- Exact at any size (issue 13) --------------------------------------------

/// A second pool, for the tests where the pool is part of the identity.
const POOL2: &str = "eu-west-1_DevPool2";

/// The authorizer trusting `POOL` and `POOL2`, both signed by the
/// development key (one JWKS file per pool, as `{userPoolId}` requires).
fn two_pools() -> Launch {
    let dir = std::env::temp_dir().join(format!("authz-two-pools-{}", std::process::id()));
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

/// A generated rule, kept structured so that the oracle below reads it
/// directly, not through the authorizer's parser.
#[derive(Debug, Clone)]
struct GenRule {
    method: Option<&'static str>,
    segments: Vec<&'static str>,
    group: Option<&'static str>,
    scope: Option<&'static str>,
    pools: Vec<&'static str>,
}

impl GenRule {
    fn json(&self) -> Value {
        let path = format!("/{}", self.segments.join("/"));
        let mut rule = json!({"method": self.method.unwrap_or("*"), "path": path});
        if let Some(group) = self.group {
            rule["anyGroups"] = json!([group]);
        }
        if let Some(scope) = self.scope {
            rule["allScopes"] = json!([scope]);
        }
        if !self.pools.is_empty() {
            rule["pools"] = json!(self.pools);
        }
        rule
    }
}

/// A caller of the generated tests.
struct GenCaller {
    pool: &'static str,
    groups: &'static [&'static str],
    scopes: &'static [&'static str],
}

const GEN_CALLERS: [GenCaller; 4] = [
    GenCaller {
        pool: POOL,
        groups: &["g1"],
        scopes: &[],
    },
    GenCaller {
        pool: POOL,
        groups: &["g2"],
        scopes: &["s1"],
    },
    GenCaller {
        pool: POOL2,
        groups: &["g1"],
        scopes: &["s1"],
    },
    GenCaller {
        pool: POOL2,
        groups: &[],
        scopes: &[],
    },
];

impl GenCaller {
    fn token(&self) -> String {
        TokenBuilder::access(self.pool, CLIENT)
            .groups(self.groups)
            .scopes(self.scopes)
            .build()
    }

    fn satisfies(&self, rule: &GenRule) -> bool {
        (rule.pools.is_empty() || rule.pools.contains(&self.pool))
            && rule.group.is_none_or(|g| self.groups.contains(&g))
            && rule.scope.is_none_or(|s| self.scopes.contains(&s))
    }
}

/// Whether a template's segments match a path's: literals exactly, `{..}`
/// and `*` one segment, `{..+}` (last) one or more.
fn template_matches(template: &[&str], path: &[&str]) -> bool {
    match (template.split_first(), path.split_first()) {
        (None, None) => true,
        (Some((t, _)), _) if t.ends_with("+}") => !path.is_empty(),
        (Some((t, rest)), Some((p, path_rest))) => {
            (t.starts_with('{') || *t == "*" || t == p) && template_matches(rest, path_rest)
        }
        _ => false,
    }
}

/// A path's segments, or `None` when it is ambiguous (the README's list).
fn clean_segments(path: &str) -> Option<Vec<&str>> {
    if ["%2F", "%2f", "%5C", "%5c"]
        .iter()
        .any(|sep| path.contains(sep))
    {
        return None;
    }
    let rest = path.strip_prefix('/')?;
    if rest.is_empty() {
        return Some(Vec::new());
    }
    let segments: Vec<&str> = rest.split('/').collect();
    let ambiguous = segments
        .iter()
        .any(|s| s.is_empty() || *s == "." || *s == "..");
    (!ambiguous).then_some(segments)
}

/// The rules' own decision, from the README: some rule matches, and the
/// caller satisfies every rule that matches.
fn oracle(rules: &[GenRule], caller: &GenCaller, verb: &str, path: &str) -> bool {
    let Some(segments) = clean_segments(path) else {
        return false;
    };
    let matching: Vec<&GenRule> = rules
        .iter()
        .filter(|r| r.method.is_none_or(|m| m == verb) && template_matches(&r.segments, &segments))
        .collect();
    !matching.is_empty() && matching.iter().all(|r| caller.satisfies(r))
}

/// Every path of up to three segments over `a`, `b`, `x`, some one and two
/// segments deeper than any generated rule, and ambiguous ones.
fn probe_paths() -> Vec<String> {
    let mut paths = vec!["/".to_owned()];
    let mut layer = vec![String::new()];
    for _ in 0..3 {
        layer = layer
            .iter()
            .flat_map(|prefix| ["a", "b", "x"].map(|s| format!("{prefix}/{s}")))
            .collect();
        paths.extend(layer.iter().cloned());
    }
    paths.extend(
        [
            "/a/b/a/b",
            "/a/x/b/a",
            "/b/a/x/x",
            "/x/a/b/a/b",
            "/a/a/a/a/a",
            "/a//b",
            "/a/",
            "/a/b/",
            "//a",
            "/a/x%2Fb",
            "/a%2fb/a",
            "/a%5Cb",
            "/a/./b",
            "/a/..",
            "/A",
            "/a/B",
        ]
        .map(str::to_owned),
    );
    paths
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize]
    }
}

fn generate_rules(rng: &mut Rng) -> Vec<GenRule> {
    (0..1 + rng.next() % 5)
        .map(|_| {
            let depth = rng.next() % 4;
            let segments = (0..depth)
                .map(|at| match rng.pick(&["a", "b", "{id}", "*", "{p+}"]) {
                    "{p+}" if at + 1 != depth => "a",
                    segment => segment,
                })
                .collect();
            let pools = rng.pick(&[&[POOL][..], &[POOL2], &[POOL, POOL2]]).to_vec();
            let (group, scope, pools) = match rng.next() % 4 {
                0 => (None, None, Vec::new()),
                1 => (Some(rng.pick(&["g1", "g2"])), None, pools),
                2 => (None, Some("s1"), pools),
                _ => (None, None, pools),
            };
            GenRule {
                method: rng.pick(&[Some("GET"), Some("POST"), None]),
                segments,
                group,
                scope,
                pools,
            }
        })
        .collect()
}

/// The resources (REST) and route templates (HTTP API) the generated calls
/// are routed to.
const GEN_RESOURCES: [&str; 9] = [
    "/",
    "/a",
    "/a/b",
    "/a/{id}",
    "/{id}",
    "/b/{id}/a",
    "/{proxy+}",
    "/a/{proxy+}",
    "/{x}/{y}",
];

/// The issue's test, through the binary: generated rule sets over literals,
/// `{id}`, `*` and `{p+}`, three methods, groups, scopes and two pools.
/// Each set runs in the `stage` scope when init accepts it (and init must
/// refuse it naming the `route` scope otherwise), then in the `route` scope.
/// For each caller, an answer for one route is evaluated, by this file's
/// IAM evaluator, against every probe path and verb: in the `stage` scope
/// it must equal the rules' decision everywhere; in the `route` scope
/// exactly for its own call and every call to the same resource and verb
/// when it covers them, and never allow what the rules refuse. HTTP API 2.0
/// answers never authorize a route with a refused call. Every answer stays
/// within 8,000 bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_rule_sets_are_answered_exactly_by_the_binary() {
    let probes = probe_paths();
    let mut rng = Rng(2026);
    let (mut stage_sets, mut route_only_sets, mut allowed, mut checked) = (0, 0, 0, 0);
    for _ in 0..16 {
        let rules = generate_rules(&mut rng);
        let json = Value::Array(rules.iter().map(GenRule::json).collect()).to_string();
        let parsed = authorizer::route_rules::RuleSet::parse(&json, &[POOL, POOL2]).unwrap();
        // The region the harness gives the binary (`AWS_REGION`), which
        // sizes its init check.
        let prefix = authorizer::encode::resource_prefix_len(Some("us-east-1"));
        let stage_ok = authorizer::encode::check_stage(&parsed, prefix).is_ok();
        if stage_ok {
            stage_sets += 1;
            let function = two_pools().env("AUTHZ_RULES", &json).start().await;
            for caller in &GEN_CALLERS {
                let credential = format!("Bearer {}", caller.token());
                let (verb, path) = (rng.pick(&["GET", "POST"]), rng.pick(&["/a", "/b/a", "/"]));
                let answer = ask(
                    &function,
                    Shape::Token,
                    Shape::Token.event(Some(&credential), verb, path, "GET /"),
                )
                .await;
                assert!(answer_size(&answer) <= 8000);
                for probe in &probes {
                    for verb in ["GET", "POST", "DELETE"] {
                        let want = oracle(&rules, caller, verb, probe);
                        assert_eq!(
                            answer.lets_through(verb, probe),
                            want,
                            "stage: {verb} {probe} for {} {:?}; rules {json}",
                            caller.pool,
                            caller.groups
                        );
                        allowed += usize::from(want);
                        checked += 1;
                    }
                }
            }
        } else {
            route_only_sets += 1;
            let mut function = two_pools().env("AUTHZ_RULES", &json).start().await;
            let report = function.init_error().await;
            assert!(
                report.error_message.starts_with("AUTHZ_RULES: ")
                    && report.error_message.contains("AUTHZ_POLICY_SCOPE=route"),
                "{}",
                report.error_message
            );
        }
        let function = two_pools()
            .env("AUTHZ_RULES", &json)
            .env("AUTHZ_POLICY_SCOPE", "route")
            .start()
            .await;
        for caller in &GEN_CALLERS {
            let credential = format!("Bearer {}", caller.token());
            for resource in GEN_RESOURCES {
                let template: Vec<&str> = resource.split('/').filter(|s| !s.is_empty()).collect();
                let domain: Vec<&String> = probes
                    .iter()
                    .filter(|p| clean_segments(p).is_some_and(|s| template_matches(&template, &s)))
                    .collect();
                let verb = rng.pick(&["GET", "POST"]);
                let call = domain[rng.next() as usize % domain.len()];
                let route_key = format!("{verb} {resource}");
                let answer = ask(
                    &function,
                    Shape::Request,
                    Shape::Request.event(Some(&credential), verb, call, &route_key),
                )
                .await;
                assert!(answer_size(&answer) <= 8000);
                let whole = domain.iter().all(|p| oracle(&rules, caller, verb, p));
                assert_eq!(
                    answer.lets_through(verb, call),
                    oracle(&rules, caller, verb, call)
                );
                let exact_for_resource = whole
                    && answer.lets_through(verb, call)
                    && authorizer::template::Template::parse_route(resource)
                        .is_some_and(|t| t.is_exact_in_iam());
                for probe in &probes {
                    for other_verb in ["GET", "POST", "DELETE"] {
                        let want = oracle(&rules, caller, other_verb, probe);
                        let got = answer.lets_through(other_verb, probe);
                        assert!(
                            !got || want,
                            "route: the answer for {verb} {call} ({resource}) lets \
                             {other_verb} {probe} through; rules {json}"
                        );
                        if exact_for_resource && other_verb == verb && domain.contains(&probe) {
                            assert!(got, "route: {verb} {probe} in {resource}; rules {json}");
                        }
                    }
                }
                // HTTP API 2.0, the same route: yes only if every call is.
                let http = ask(
                    &function,
                    Shape::Http2,
                    Shape::Http2.event(Some(&credential), verb, call, &route_key),
                )
                .await;
                assert!(answer_size(&http) <= 8000);
                if http.lets_through(verb, call) {
                    assert!(
                        whole,
                        "HTTP API authorizes {route_key} with a refused call; rules {json}"
                    );
                }
            }
        }
    }
    assert!(
        stage_sets >= 4 && route_only_sets >= 2,
        "{stage_sets} / {route_only_sets}"
    );
    assert!(
        allowed > checked / 50 && allowed < checked / 2,
        "{allowed}/{checked}"
    );
}

fn answer_size(answer: &Answer) -> usize {
    match answer {
        Answer::Unauthorized => 0,
        Answer::Policy(value) | Answer::Simple(value) => serde_json::to_vec(value).unwrap().len(),
    }
}

/// 1,000 rules cannot share one stage-wide answer: init refuses them naming
/// the variable and the mode. In the `route` scope they start, and a caller
/// with the most 100-character groups a token may carry (the verifier
/// refuses tokens over 8 KiB, so a group list that would not fit a token
/// never reaches the context) gets answers within 8,000 bytes, exact for
/// the call, with the lists cut and said to be cut.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_rules_and_a_token_full_of_long_group_names_fit() {
    let group = |i: usize| format!("{i:03}-{}", "g".repeat(96));
    let rules: Vec<Value> = (0..1000)
        .map(|i| {
            json!({"method": "GET", "path": format!("/r{}/{{id}}/x{i}", i % 50),
                   "anyGroups": [group(i % 300)]})
        })
        .collect();
    let file = std::env::temp_dir().join(format!("authz-1000-rules-{}.json", std::process::id()));
    std::fs::write(&file, Value::Array(rules).to_string()).unwrap();
    let rules_path = file.display().to_string();

    let mut refused = with_rules(&rules_path).start().await;
    let report = refused.init_error().await;
    assert!(
        report
            .error_message
            .starts_with("AUTHZ_RULES: can produce a stage-wide policy of")
            && report
                .error_message
                .contains("set AUTHZ_POLICY_SCOPE=route"),
        "{}",
        report.error_message
    );

    let function = with_route_rules(&rules_path).start().await;
    // As many groups as an 8 KiB token holds.
    let mut count = 0;
    while access(&[])
        .groups(
            &(0..=count)
                .map(group)
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        )
        .build()
        .len()
        <= 8192
    {
        count += 1;
    }
    let names: Vec<String> = (0..count).map(group).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let token = access(&names).scopes(&["openid", "pets/read"]);
    let credential = format!("Bearer {}", token.build());
    assert!(count > 50, "{count}");
    for (verb, path, route_key, want) in [
        ("GET", "/r7/1/x7", "GET /r7/{id}/x7", true),
        ("GET", "/r7/1/x1007", "GET /r7/{id}/x1007", false),
        ("GET", "/r7/1/x357", "GET /r7/{id}/x357", false),
        ("GET", "/r7/1/x7/deeper", "GET /r7/{id}/x7/deeper", false),
    ] {
        for shape in [Shape::Request, Shape::Http2] {
            let answer = ask_route(&function, shape, &credential, (verb, path, route_key)).await;
            let size = answer_size(&answer);
            assert!(size <= 8000, "{shape:?} {path}: {size}");
            assert_eq!(answer.lets_through(verb, path), want, "{shape:?} {path}");
            let context = match &answer {
                Answer::Policy(value) | Answer::Simple(value) => &value["context"],
                Answer::Unauthorized => panic!("unauthorized"),
            };
            if context.is_null() {
                continue;
            }
            let kept: Vec<String> =
                serde_json::from_str(context["groups"].as_str().unwrap()).unwrap();
            assert_eq!(kept[..], names[..kept.len()]);
            assert_eq!(context["groups_truncated"], json!(kept.len() < names.len()));
            assert!(
                size > 6000 || context["groups_truncated"] == json!(false),
                "{size}"
            );
        }
    }
    std::fs::remove_file(&file).unwrap();
}

/// HTTP API 2.0 caches per identity-source values. Without the route key
/// among them, one answer is reused for every route, so only a caller
/// allowed everything is authorized, and the function says why, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_api_cached_without_the_route_key_fails_closed() {
    let function = with_rules(PET_RULES).start().await;
    let credential = format!("Bearer {}", access(&["users"]).build());
    let without_route_key = |verb: &str, path: &str, route_key: &str| {
        let mut event = Shape::Http2.event(Some(&credential), verb, path, route_key);
        event["identitySource"] = json!([credential]);
        event
    };
    for (verb, path, route_key) in [
        ("GET", "/pets/1", "GET /pets/{id}"),
        ("GET", "/pets", "GET /pets"),
    ] {
        let with_key = Shape::Http2.event(Some(&credential), verb, path, route_key);
        assert!(
            ask(&function, Shape::Http2, with_key)
                .await
                .lets_through(verb, path)
        );
        let answer = ask(
            &function,
            Shape::Http2,
            without_route_key(verb, path, route_key),
        )
        .await;
        assert_eq!(
            answer.simple(),
            &json!({"isAuthorized": false}),
            "{route_key}"
        );
    }
    // A caller who sends the route key's text in a header of their own (an
    // identity source such as `$request.header.X-Org`) proves nothing about
    // the cache key: still only what holds for every route.
    let mut spoofed = Shape::Http2.event(Some(&credential), "GET", "/pets/1", "GET /pets/{id}");
    spoofed["headers"]["x-org"] = json!("GET /pets/{id}");
    let answer = ask(&function, Shape::Http2, spoofed).await;
    assert_eq!(answer.simple(), &json!({"isAuthorized": false}));
    let mut in_query = Shape::Http2.event(Some(&credential), "GET", "/pets/1", "GET /pets/{id}");
    in_query["queryStringParameters"] = json!({"org": "GET /pets/{id}"});
    let answer = ask(&function, Shape::Http2, in_query).await;
    assert_eq!(answer.simple(), &json!({"isAuthorized": false}));
    let warnings = function
        .logs()
        .iter()
        .filter(|line| line.contains("do not include $context.routeKey"))
        .count();
    assert_eq!(warnings, 1);

    // A caller the rules allow everything keeps working with such a cache.
    let everything = with_rules(r#"[{"path":"/{proxy+}"},{"path":"/"}]"#)
        .start()
        .await;
    let answer = ask(
        &everything,
        Shape::Http2,
        without_route_key("DELETE", "/x/y", "ANY /{proxy+}"),
    )
    .await;
    assert_eq!(answer.simple()["isAuthorized"], true);
}

/// With two pools, a group is part of the pool that issued the token: an
/// `admins` group of the tenant pool does not open the staff pool's route.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_pools_with_the_same_group_name_do_not_mix() {
    let rules = format!(
        r#"[{{"path":"/admin/{{proxy+}}","anyGroups":["admins"],"pools":["{POOL}"]}},
            {{"method":"GET","path":"/me"}}]"#
    );
    let function = two_pools().env("AUTHZ_RULES", &rules).start().await;
    for (pool, admin_allowed) in [(POOL, true), (POOL2, false)] {
        let credential = format!(
            "Bearer {}",
            TokenBuilder::access(pool, CLIENT)
                .groups(&["admins"])
                .build()
        );
        for shape in ALL_SHAPES {
            let answer = ask_route(&function, shape, &credential, DELETE_ADMIN_USER_1).await;
            assert_eq!(
                answer.lets_through("DELETE", "/admin/users/1"),
                admin_allowed,
                "{pool} {shape:?}"
            );
            let me = ask_route(&function, shape, &credential, GET_ME).await;
            assert!(me.lets_through("GET", "/me"), "{pool} {shape:?}");
            if let Answer::Policy(value) | Answer::Simple(value) = &me {
                assert_eq!(value["context"]["user_pool_id"], pool);
            }
        }
    }
    // And a rule that names a group without its pools fails init.
    let mut function = two_pools()
        .env(
            "AUTHZ_RULES",
            r#"[{"path":"/admin","anyGroups":["admins"]}]"#,
        )
        .start()
        .await;
    let report = function.init_error().await;
    assert!(
        report.error_message.contains("no `pools`"),
        "{}",
        report.error_message
    );
}

/// Encoded separators, empty and dot segments and other casings never get
/// past a rule: `{id}` is one segment whatever a backend decodes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encoded_slashes_double_slashes_dot_segments_and_case_are_refused() {
    let rules =
        r#"[{"method":"GET","path":"/pets/{id}"},{"method":"GET","path":"/files/{proxy+}"}]"#;
    let stage = with_rules(rules).start().await;
    let route = with_route_rules(rules).start().await;
    let credential = format!("Bearer {}", access(&[]).build());
    for (path, resource, want) in [
        ("/pets/1", "/pets/{id}", true),
        ("/pets/1%2Fsecrets", "/pets/{id}", false),
        ("/pets/1%2fsecrets", "/pets/{id}", false),
        ("/pets/1%5Csecrets", "/pets/{id}", false),
        ("/pets/1/secrets", "/pets/{id}/secrets", false),
        ("/pets//1", "/pets/{id}", false),
        ("/pets/1/", "/pets/{id}", false),
        ("/pets/..", "/pets/{id}", false),
        ("/Pets/1", "/Pets/{id}", false),
        ("/files/a/b.txt", "/files/{proxy+}", true),
        ("/files/a/../../pets", "/files/{proxy+}", false),
        ("/files/%2E%2E/%2e%2e/admin", "/files/{proxy+}", false),
        ("/files/a%2F..%2F..%2Fadmin", "/files/{proxy+}", false),
    ] {
        let answer = ask(
            &stage,
            Shape::Token,
            Shape::Token.event(Some(&credential), "GET", "/pets/1", "GET /pets/{id}"),
        )
        .await;
        assert_eq!(answer.lets_through("GET", path), want, "stage {path}");
        let answer = ask(
            &route,
            Shape::Request,
            Shape::Request.event(Some(&credential), "GET", path, &format!("GET {resource}")),
        )
        .await;
        assert_eq!(answer.lets_through("GET", path), want, "route {path}");
    }
}

// ---- Every caller (issue 14) -------------------------------------------------------

/// A machine client of the pool, with a secret (client-credentials grant).
const MACHINE: &str = "machineclient7";

/// Machine-to-machine tokens: accepted when `TOKEN_USE` allows access tokens
/// and the client is allowed, authorized by scope, never by group, and kept
/// off a people-only route; `principalId` is the client id and the context
/// says it is a client, with no username.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn machine_clients_are_authorized_by_scope_and_kept_off_people_only_routes() {
    let rules = r#"[
        {"method": "GET", "path": "/orders", "allScopes": ["orders/read"]},
        {"method": "POST", "path": "/orders", "allScopes": ["orders/write"]},
        {"method": "GET", "path": "/me", "principalTypes": ["user"]},
        {"method": "GET", "path": "/admin", "anyGroups": ["admins"]}
    ]"#;
    let function = launch()
        .env("APP_CLIENT_IDS", format!("{CLIENT},{MACHINE}"))
        .env("AUTHZ_RULES", rules)
        .start()
        .await;
    let machine = TokenBuilder::client_credentials(POOL, MACHINE, &["orders/read"]);
    let credential = format!("Bearer {}", machine.build());
    for shape in [Shape::Token, Shape::Request, Shape::Http2] {
        for (verb, path, route_key, want) in [
            ("GET", "/orders", "GET /orders", true),
            ("POST", "/orders", "POST /orders", false),
            ("GET", "/me", "GET /me", false),
            ("GET", "/admin", "GET /admin", false),
        ] {
            let answer = ask_route(&function, shape, &credential, (verb, path, route_key)).await;
            assert_eq!(
                answer.lets_through(verb, path),
                want,
                "{shape:?} {verb} {path}"
            );
            let value = match &answer {
                Answer::Policy(value) => {
                    assert_eq!(value["principalId"], MACHINE);
                    value
                }
                Answer::Simple(value) if want => value,
                _ => continue,
            };
            let context = &value["context"];
            assert_eq!(context["principal_type"], "client", "{shape:?}");
            assert_eq!(context["client_id"], MACHINE);
            assert_eq!(context["scopes"], "orders/read");
            assert!(context.get("username").is_none(), "{context}");
        }
    }
    // A person with the same scope: the people-only route is theirs.
    let person = access(&[]).scopes(&["orders/read"]);
    let credential = format!("Bearer {}", person.build());
    let answer = ask(
        &function,
        Shape::Token,
        Shape::Token.event(Some(&credential), "GET", "/me", "GET /me"),
    )
    .await;
    assert!(answer.lets_through("GET", "/me") && answer.lets_through("GET", "/orders"));
    assert_eq!(answer.policy()["context"]["principal_type"], "user");
    // An unknown machine client is refused like any unknown client.
    let stranger = TokenBuilder::client_credentials(POOL, "otherclient", &["orders/read"]);
    let answer = ask(
        &function,
        Shape::Token,
        Shape::Token.event(
            Some(&format!("Bearer {}", stranger.build())),
            "GET",
            "/orders",
            "GET /orders",
        ),
    )
    .await;
    assert!(matches!(answer, Answer::Unauthorized));
}

/// WebSocket `$connect`: the token from the query string, a policy for
/// exactly the `$connect` ARN, `Unauthorized` without a usable token, and
/// neither the token nor the query string in any log line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_connect_is_authorized_from_the_query_string() {
    let function = with_rules(r#"[{"path": "/me"}, {"path": "$connect", "anyGroups": ["users"]}]"#)
        .env("TOKEN_QUERY_PARAMETER", "token")
        .start()
        .await;
    let user = access(&["users"]).build();
    let outsider = access(&["guests"]).build();
    let answer = ask(
        &function,
        Shape::WebSocket,
        Shape::WebSocket.event(Some(&user), "GET", "/", "$connect"),
    )
    .await;
    assert!(answer.connects());
    assert_eq!(
        resources(&answer.policy()["policyDocument"]),
        [("Allow".to_owned(), format!("{API}/{STAGE}/$connect"))]
    );
    // `Bearer ` in a query string works too.
    let bearer = format!("Bearer {user}");
    let answer = ask(
        &function,
        Shape::WebSocket,
        Shape::WebSocket.event(Some(&bearer), "GET", "/", "$connect"),
    )
    .await;
    assert!(answer.connects());
    // Verified, but no `$connect` rule admits the caller: 403.
    let answer = ask(
        &function,
        Shape::WebSocket,
        Shape::WebSocket.event(Some(&outsider), "GET", "/", "$connect"),
    )
    .await;
    assert!(!answer.connects());
    assert_eq!(
        resources(&answer.policy()["policyDocument"]),
        [("Deny".to_owned(), format!("{API}/{STAGE}/$connect"))]
    );
    // No token, a bad one, a tampered one: 401.
    for credential in [None, Some("not-a-token".to_owned()), Some(tamper(&user))] {
        let event = Shape::WebSocket.event(credential.as_deref(), "GET", "/", "$connect");
        assert!(matches!(
            ask(&function, Shape::WebSocket, event).await,
            Answer::Unauthorized
        ));
    }
    // Without rules, any verified caller connects.
    let open = launch().env("TOKEN_QUERY_PARAMETER", "token").start().await;
    let answer = ask(
        &open,
        Shape::WebSocket,
        Shape::WebSocket.event(Some(&outsider), "GET", "/", "$connect"),
    )
    .await;
    assert!(answer.connects());
    // Headers only unless the parameter is configured.
    let headers_only = launch().start().await;
    let event = Shape::WebSocket.event(Some(&user), "GET", "/", "$connect");
    assert!(matches!(
        ask(&headers_only, Shape::WebSocket, event).await,
        Answer::Unauthorized
    ));

    for function in [&function, &open, &headers_only] {
        for line in function.logs() {
            for secret in [user.as_str(), outsider.as_str(), "token="] {
                assert!(
                    !line.contains(secret),
                    "a log line holds a credential or the query string: {line}"
                );
            }
            for part in user.split('.') {
                assert!(
                    !line.contains(part),
                    "a log line holds part of the token: {line}"
                );
            }
        }
    }
}

/// Claim rules: the free and premium content of the example app. A claim
/// of the wrong type (number, object, array of numbers) or no claim never
/// matches and never errors the invocation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claim_rules_admit_by_value_and_refuse_wrong_types_and_missing_claims() {
    let function = with_rules(
        r#"[{"method": "GET", "path": "/articles/{id}"},
            {"method": "GET", "path": "/premium/{id}", "claims": {"custom:plan": ["premium", "enterprise"]}}]"#,
    )
    .start()
    .await;
    let cases: [(Option<Value>, bool); 9] = [
        (Some(json!("premium")), true),
        (Some(json!("enterprise")), true),
        (Some(json!(["free", "premium"])), true),
        (Some(json!("free")), false),
        (Some(json!(7)), false),
        (Some(json!({"plan": "premium"})), false),
        (Some(json!([1, 2])), false),
        (Some(json!(true)), false),
        (None, false),
    ];
    for (plan, want) in cases {
        let mut token = access(&[]);
        if let Some(plan) = &plan {
            token = token.claim("custom:plan", plan.clone());
        }
        let credential = format!("Bearer {}", token.build());
        for shape in [Shape::Token, Shape::Http2] {
            let answer = ask_route(&function, shape, &credential, GET_PREMIUM_ARTICLE).await;
            assert_eq!(
                answer.lets_through("GET", "/premium/7"),
                want,
                "{shape:?} {plan:?}"
            );
            let free = ask_route(&function, shape, &credential, GET_FREE_ARTICLE).await;
            assert!(
                free.lets_through("GET", "/articles/7"),
                "{shape:?} {plan:?}"
            );
        }
    }
    assert_no_errors(&function);
}

/// No invocation of `function` failed or logged an error.
fn assert_no_errors(function: &Function) {
    for line in function.logs() {
        assert!(!line.contains("\"level\":\"ERROR\""), "{line}");
    }
}
