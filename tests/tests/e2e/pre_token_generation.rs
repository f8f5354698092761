//! The pre token generation trigger, end to end: the real binary, driven
//! through the Runtime API harness, reading a real moto DynamoDB table
//! through the real AWS SDK. Tests that need a table start their own moto
//! server; a table that is down is a stopped moto or a closed port, a slow
//! one a listener that accepts connections and never answers.

use std::collections::HashMap;
use std::time::Instant;

use aws_sdk_dynamodb::types::AttributeValue;
use e2e_tests::events;
use e2e_tests::loopback::SilentEndpoint;
use e2e_tests::moto::{Moto, free_port};
use e2e_tests::runtime_api::{Function, Launch};
use serde_json::{Value, json};

const FUNCTION: &str = "pre-token-generation";
const TABLE: &str = "users";
const SUB: &str = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111";
const M2M_CLIENT: &str = "m2mclient1example234567890";
/// What the user sees when a refused read fails the sign-in (Cognito shows
/// it as `PreTokenGeneration failed with error <message>.`).
const RETRY_MESSAGE: &str = "Sign-in could not be completed, please try again";
/// The app client of every user sample (`callerContext.clientId`).
const WEB_CLIENT: &str = "1example23456789abcdefghij";
/// A second app client of the same pool, which no group names.
const OTHER_CLIENT: &str = "2partner3456789abcdefghij";
const GROUP_SCOPES: &str = r#"{
    "admins": {"scopes": ["api/admin", "api/read"], "clients": ["1example23456789abcdefghij"]},
    "users": {"scopes": ["api/read"], "clients": ["1example23456789abcdefghij"]}
}"#;

// ---- Helpers (local to this file) ---------------------------------------------

/// `events/pre-token-generation/<name>.json`.
fn sample(name: &str) -> Value {
    events::sample(FUNCTION, name)
}

async fn start(env: &[(&str, &str)]) -> Function {
    Launch::new(FUNCTION)
        .envs(env.iter().map(|(k, v)| (*k, *v)))
        .start()
        .await
}

/// A moto server with the profile table (partition key `sub`, S) holding
/// one profile item for [`SUB`], as post-confirmation writes it plus the
/// attributes another process keeps there (`plan`, `tenant_id`, ...).
struct Table {
    moto: Moto,
}

impl Table {
    async fn start() -> Table {
        let moto = Moto::start();
        let dynamodb = moto.dynamodb().await;
        e2e_tests::moto::create_profile_table(&dynamodb, TABLE).await;
        let s = |text: &str| AttributeValue::S(text.to_owned());
        let item: HashMap<String, AttributeValue> = [
            ("sub", s(SUB)),
            ("username", s("alice")),
            ("email", s("alice@example.com")),
            ("email_verified", AttributeValue::Bool(true)),
            ("created_at", s("2026-11-22T01:02:03.456Z")),
            ("plan", s("pro")),
            ("tenant_id", s("t-42")),
            ("seats", AttributeValue::N("5".to_owned())),
            ("beta", AttributeValue::Bool(true)),
            (
                "regions",
                AttributeValue::L(vec![s("eu-west-1"), s("us-east-1")]),
            ),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
        dynamodb
            .put_item()
            .table_name(TABLE)
            .set_item(Some(item))
            .send()
            .await
            .expect("put the profile item");
        Table { moto }
    }

    async fn launch(&self, env: &[(&str, &str)]) -> Function {
        Launch::new(FUNCTION)
            .envs(self.moto.env())
            .envs(env.iter().map(|(k, v)| (*k, *v)))
            .start()
            .await
    }
}

fn without_response(mut event: Value) -> Value {
    event.as_object_mut().map(|event| event.remove("response"));
    event
}

/// Sends the sample `name` and returns the `response` the function wrote,
/// after checking that nothing else of the event changed.
async fn response_to(function: &Function, name: &str) -> Value {
    let event = sample(name);
    let output = function.respond(event.clone()).await;
    assert_eq!(
        without_response(output.clone()),
        without_response(event),
        "{name}"
    );
    output["response"].clone()
}

/// Every log line holds neither the user's address nor a profile value
/// that was not asked for.
fn assert_logs_hold_no_personal_data(function: &Function) {
    for line in function.logs() {
        assert!(
            !line.contains("alice@example.com"),
            "an address was logged: {line}"
        );
        assert!(!line.contains("t-42"), "a claim value was logged: {line}");
    }
}

// ---- Samples, sources and versions --------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sample_round_trips_through_the_binary() {
    let function = start(&[]).await;
    let dir = events::events_dir(FUNCTION);
    let files: Vec<_> = events::json_files(&dir)
        .into_iter()
        .chain(events::json_files(&dir.join("aws-lambda-events")))
        .collect();
    assert!(files.len() >= 22, "{files:?}");
    for path in files {
        let event = events::read_json(&path);
        // Nothing configured: nothing to write, so the whole event,
        // `response` included, comes back exactly as sent.
        assert_eq!(
            function.respond(event.clone()).await,
            event,
            "{}",
            path.display()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_sources_and_versions_pass_through_untouched() {
    let function = start(&[("GROUP_SCOPES", GROUP_SCOPES)]).await;
    let mut unknown_source = sample("v2-authentication");
    unknown_source["triggerSource"] = json!("TokenGeneration_SomethingNew");
    let mut unknown_version = sample("v2-authentication");
    unknown_version["version"] = json!("4");
    let mut m2m_in_v2 = sample("v3-client-credentials");
    m2m_in_v2["version"] = json!("2");
    for event in [unknown_source, unknown_version, m2m_in_v2] {
        function.assert_returns_unchanged(event).await;
    }
    function
        .wait_for_log_containing("not a pre token generation trigger source")
        .await;
    function
        .wait_for_log_containing("unknown event version")
        .await;
}

// ---- Scopes per group ---------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_add_their_scopes_to_access_tokens_in_v2_and_v3() {
    let function = start(&[("GROUP_SCOPES", GROUP_SCOPES)]).await;
    for name in [
        "v2-hosted-auth",
        "v2-authentication",
        "v2-new-password-challenge",
        "v2-authenticate-device",
        "v2-refresh-tokens",
        "v3-hosted-auth",
        "v3-authentication",
        "v3-new-password-challenge",
        "v3-authenticate-device",
        "v3-refresh-tokens",
    ] {
        let response = response_to(&function, name).await;
        // admins then users, each scope once.
        assert_eq!(
            response,
            json!({"claimsAndScopeOverrideDetails": {
                "accessTokenGeneration": {"scopesToAdd": ["api/admin", "api/read"]}
            }}),
            "{name}"
        );
    }
    // A member of `users` only, whose token already holds `api/read`: nothing
    // to add, so the event comes back as sent.
    let mut member = sample("v2-authentication");
    member["request"]["groupConfiguration"]["groupsToOverride"] = json!(["users"]);
    member["request"]["scopes"] = json!(["aws.cognito.signin.user.admin", "api/read"]);
    function.assert_returns_unchanged(member).await;
    // No group, no scope.
    let mut loner = sample("v3-authentication");
    loner["request"]["groupConfiguration"] = Value::Null;
    function.assert_returns_unchanged(loner).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_no_group_names_gets_no_group_scope_at_sign_in_or_refresh() {
    // admins' scopes reach only the web client; `users` also names the
    // other client, for `api/read` only.
    let config = format!(
        r#"{{"admins": {{"scopes": ["api/admin"], "clients": ["{WEB_CLIENT}"]}},
            "users": {{"scopes": ["api/read"], "clients": ["{WEB_CLIENT}", "{OTHER_CLIENT}"]}}}}"#
    );
    let function = start(&[("GROUP_SCOPES", config.as_str())]).await;
    for name in [
        "v2-authentication",
        "v2-refresh-tokens",
        "v3-authentication",
        "v3-refresh-tokens",
    ] {
        // The sample's own client: both groups' scopes.
        let response = response_to(&function, name).await;
        assert_eq!(
            response["claimsAndScopeOverrideDetails"]["accessTokenGeneration"]["scopesToAdd"],
            json!(["api/admin", "api/read"]),
            "{name}"
        );

        // The same admin through the other client: only what `users`
        // grants there, never `api/admin`.
        let mut admin = sample(name);
        admin["callerContext"]["clientId"] = json!(OTHER_CLIENT);
        let output = function.respond(admin.clone()).await;
        assert_eq!(
            without_response(output.clone()),
            without_response(admin),
            "{name}"
        );
        assert_eq!(
            output["response"]["claimsAndScopeOverrideDetails"]["accessTokenGeneration"]["scopesToAdd"],
            json!(["api/read"]),
            "{name}"
        );

        // A client nobody names (or an event without one): no scope at
        // all, so the event comes back as sent.
        for client in [json!("3unnamed456789abcdefghij"), Value::Null] {
            let mut event = sample(name);
            event["callerContext"]["clientId"] = client;
            function.assert_returns_unchanged(event).await;
        }
    }
    function
        .wait_for_log_containing("app client named by no GROUP_SCOPES group")
        .await;
}

// ---- Claims from the profile table ----------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_claims_come_from_the_table_with_their_types() {
    let table = Table::start().await;
    let function = table
        .launch(&[
            ("USERS_TABLE", TABLE),
            (
                "PROFILE_CLAIMS",
                "plan,tenant_id,seats,beta,regions,missing",
            ),
            ("GROUP_SCOPES", GROUP_SCOPES),
            ("ID_CLAIMS_TO_SUPPRESS", "phone_number"),
        ])
        .await;

    for name in ["v2-authentication", "v3-refresh-tokens"] {
        let response = response_to(&function, name).await;
        let claims = json!({
            "plan": "pro", "tenant_id": "t-42", "seats": 5, "beta": true,
            "regions": ["eu-west-1", "us-east-1"]
        });
        assert_eq!(
            response,
            json!({"claimsAndScopeOverrideDetails": {
                "idTokenGeneration": {
                    "claimsToAddOrOverride": claims,
                    "claimsToSuppress": ["phone_number"]
                },
                "accessTokenGeneration": {
                    "claimsToAddOrOverride": claims,
                    "scopesToAdd": ["api/admin", "api/read"]
                }
            }}),
            "{name}"
        );
    }
    let line = function
        .wait_for_log_containing("token claims decided")
        .await;
    assert!(line.contains(r#""profile":"found""#), "{line}");
    assert_logs_hold_no_personal_data(&function);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1_puts_string_claims_in_the_id_token_and_keeps_the_groups() {
    let table = Table::start().await;
    let function = table
        .launch(&[
            ("USERS_TABLE", TABLE),
            ("PROFILE_CLAIMS", "plan,seats,beta,regions"),
            ("GROUP_SCOPES", GROUP_SCOPES),
            ("ACCESS_CLAIMS_TO_SUPPRESS", "custom:internal"),
        ])
        .await;
    for name in [
        "v1-hosted-auth",
        "v1-authentication",
        "v1-new-password-challenge",
        "v1-authenticate-device",
        "v1-refresh-tokens",
    ] {
        let response = response_to(&function, name).await;
        // Strings only; no groupOverrideDetails (which would replace the
        // user's groups, and remove them when empty); no access token
        // change, which V1 cannot make.
        assert_eq!(
            response,
            json!({"claimsOverrideDetails": {
                "claimsToAddOrOverride": {
                    "plan": "pro", "seats": "5", "beta": "true",
                    "regions": "[\"eu-west-1\",\"us-east-1\"]"
                }
            }}),
            "{name}"
        );
    }
    // GROUP_SCOPES and ACCESS_CLAIMS_TO_SUPPRESS cannot apply to V1: said
    // once per sandbox.
    function
        .wait_for_log(|line| {
            line.contains("\"version\":1") && line.contains("token claims decided")
        })
        .await;
    let warnings = function
        .logs()
        .iter()
        .filter(|line| line.contains("a V1 event cannot change access tokens"))
        .count();
    assert_eq!(warnings, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_without_a_profile_item_gets_tokens_without_profile_claims() {
    let table = Table::start().await;
    let function = table
        .launch(&[("USERS_TABLE", TABLE), ("PROFILE_CLAIMS", "plan")])
        .await;
    let mut event = sample("v2-authentication");
    event["request"]["userAttributes"]["sub"] = json!("no-such-sub");
    function.assert_returns_unchanged(event).await;
    function
        .wait_for_log_containing("no profile item for this user")
        .await;
}

// ---- A table that is down or slow -----------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_that_is_down_issues_tokens_without_profile_claims() {
    let mut table = Table::start().await;
    let env = [
        ("USERS_TABLE", TABLE),
        ("PROFILE_CLAIMS", "plan,tenant_id"),
        ("GROUP_SCOPES", GROUP_SCOPES),
    ];
    let function = table.launch(&env).await;
    // Up: the claims are there.
    let up = function.respond(sample("v2-authentication")).await;
    assert_eq!(
        up["response"]["claimsAndScopeOverrideDetails"]["accessTokenGeneration"]["claimsToAddOrOverride"],
        json!({"plan": "pro", "tenant_id": "t-42"})
    );
    table.moto.stop();

    let started = Instant::now();
    let down = function.respond(sample("v2-authentication")).await;
    eprintln!("answered after {:?} with the table down", started.elapsed());
    // The default (PROFILE_CLAIMS_ON_ERROR=omit): the sign-in goes on, the
    // scopes (which need no table) are added, the profile claims are not.
    assert_eq!(
        down["response"],
        json!({"claimsAndScopeOverrideDetails": {
            "accessTokenGeneration": {"scopesToAdd": ["api/admin", "api/read"]}
        }})
    );
    let line = function
        .wait_for_log_containing("profile read failed")
        .await;
    for expected in [
        r#""level":"ERROR""#,
        r#""error_type":"AwsUnreachable""#,
        r#""outcome":"issued_without_profile_claims""#,
        SUB,
        r#""table":"users""#,
    ] {
        assert!(line.contains(expected), "{expected}: {line}");
    }
    assert_logs_hold_no_personal_data(&function);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_that_is_down_refuses_the_sign_in_when_configured_to() {
    let port = free_port();
    let function = Launch::new(FUNCTION)
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))
        .env("USERS_TABLE", TABLE)
        .env("PROFILE_CLAIMS", "plan")
        .env("PROFILE_CLAIMS_ON_ERROR", "refuse")
        .start()
        .await;
    let error = function.invoke(sample("v3-authentication")).await.error();
    assert_eq!(error.error_type, "AwsUnreachable");
    assert_eq!(error.error_message, RETRY_MESSAGE);
    let line = function
        .wait_for_log_containing("profile read failed")
        .await;
    assert!(line.contains(r#""outcome":"sign_in_refused""#), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_table_is_cut_off_by_the_call_timeout() {
    // Connections are accepted and never answered: only the SDK's timeouts
    // end the read. Cognito's 5 s are kept by construction: the call
    // timeout (retries included) is at most 4 s, checked at init; here the
    // defaults, 2 s in all and 600 ms per attempt.
    let endpoint = SilentEndpoint::start().await;
    let function = Launch::new(FUNCTION)
        .env("AWS_ENDPOINT_URL", endpoint.url())
        .env("USERS_TABLE", TABLE)
        .env("PROFILE_CLAIMS", "plan")
        .env("GROUP_SCOPES", GROUP_SCOPES)
        .deployed_budgets()
        .start()
        .await;

    let started = Instant::now();
    let output = function.respond(sample("v3-hosted-auth")).await;
    eprintln!("answered after {:?} with a silent table", started.elapsed());

    assert_eq!(
        output["response"],
        json!({"claimsAndScopeOverrideDetails": {
            "accessTokenGeneration": {"scopesToAdd": ["api/admin", "api/read"]}
        }})
    );
    let line = function
        .wait_for_log_containing("profile read failed")
        .await;
    // The SDK's operation timeout ended the call, at the configured budget.
    assert!(line.contains(r#""error_type":"AwsTimeout""#), "{line}");
    assert!(
        line.contains(
            "GetItem gave no answer in time (at most 3 attempts of 600 ms, 2000 ms in all)"
        ),
        "{line}"
    );
    assert!(endpoint.connections() >= 1, "no read was attempted");
}

// ---- Machine-to-machine tokens ---------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v3_client_credentials_get_their_clients_claims_and_read_no_table() {
    // The table is configured but silent: a read would show as a
    // connection, and M2M tokens must not depend on it.
    let endpoint = SilentEndpoint::start().await;
    let client_claims =
        format!(r#"{{"{M2M_CLIENT}":{{"tenant_id":"acme","tier":2,"regions":["eu"]}}}}"#);
    let function = Launch::new(FUNCTION)
        .env("AWS_ENDPOINT_URL", endpoint.url())
        .env("USERS_TABLE", TABLE)
        .env("PROFILE_CLAIMS", "plan")
        .env("GROUP_SCOPES", GROUP_SCOPES)
        .env("CLIENT_CLAIMS", client_claims)
        .env("ID_CLAIMS_TO_SUPPRESS", "phone_number")
        .start()
        .await;

    let response = response_to(&function, "v3-client-credentials").await;
    // Access token only (no ID token is issued), typed claims, no scope
    // (no groups), nothing from clientMetadata.
    assert_eq!(
        response,
        json!({"claimsAndScopeOverrideDetails": {
            "accessTokenGeneration": {
                "claimsToAddOrOverride": {"tenant_id": "acme", "tier": 2, "regions": ["eu"]}
            }
        }})
    );

    // Another client: its token is left as it is.
    let mut other = sample("v3-client-credentials");
    other["callerContext"]["clientId"] = json!("otherclient0000000000000000");
    function.assert_returns_unchanged(other).await;
    function
        .wait_for_log_containing("client not in CLIENT_CLAIMS")
        .await;
    assert_eq!(endpoint.connections(), 0, "a machine token read the table");
}

// ---- Size budget -----------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_that_would_overflow_the_token_is_left_out() {
    let table = Table::start().await;
    let dynamodb = table.moto.dynamodb().await;
    dynamodb
        .update_item()
        .table_name(TABLE)
        .key("sub", AttributeValue::S(SUB.to_owned()))
        .update_expression("SET #n = :v")
        .expression_attribute_names("#n", "notes")
        .expression_attribute_values(":v", AttributeValue::S("n".repeat(6_000)))
        .send()
        .await
        .expect("add a long attribute");
    let function = table
        .launch(&[("USERS_TABLE", TABLE), ("PROFILE_CLAIMS", "notes,plan")])
        .await;
    let output = function.respond(sample("v2-authentication")).await;
    let details = &output["response"]["claimsAndScopeOverrideDetails"];
    for token in ["idTokenGeneration", "accessTokenGeneration"] {
        assert_eq!(
            details[token]["claimsToAddOrOverride"],
            json!({"plan": "pro"}),
            "{token}"
        );
    }
    let line = function
        .wait_for_log_containing("left out of the token")
        .await;
    assert!(line.contains(r#""name":"notes""#), "{line}");
    assert!(!line.contains("nnnnnnnn"), "the value was logged: {line}");
}

// ---- Configuration ---------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_configuration_fails_the_cold_start_naming_the_variable() {
    for (env, variable, reason) in [
        // Immutable claims: a response touching them would fail every
        // sign-in.
        (
            vec![("USERS_TABLE", TABLE), ("PROFILE_CLAIMS", "plan,sub")],
            "PROFILE_CLAIMS",
            "never lets a trigger change",
        ),
        (
            vec![("CLIENT_CLAIMS", r#"{"c1":{"token_use":"id"}}"#)],
            "CLIENT_CLAIMS",
            "never lets a trigger change",
        ),
        (
            vec![("ID_CLAIMS_TO_SUPPRESS", "cognito:username")],
            "ID_CLAIMS_TO_SUPPRESS",
            "never lets a trigger change",
        ),
        (
            vec![("ACCESS_CLAIMS_TO_SUPPRESS", "client_id")],
            "ACCESS_CLAIMS_TO_SUPPRESS",
            "never lets a trigger change",
        ),
        (
            vec![(
                "GROUP_SCOPES",
                r#"{"admins":{"scopes":["admin"],"clients":["c1"]}}"#,
            )],
            "GROUP_SCOPES",
            "is neither a standard scope",
        ),
        (
            vec![(
                "GROUP_SCOPES",
                r#"{"admins":{"scopes":["api/a"],"clients":["c1"]},"admins":{"scopes":["api/b"],"clients":["c1"]}}"#,
            )],
            "GROUP_SCOPES",
            "duplicate member",
        ),
        // The earlier form, a bare list, would reach every app client.
        (
            vec![("GROUP_SCOPES", r#"{"admins":["api/admin"]}"#)],
            "GROUP_SCOPES",
            "would reach every app client",
        ),
        (
            vec![(
                "GROUP_SCOPES",
                r#"{"admins":{"scopes":["api/admin"],"clients":["*"]}}"#,
            )],
            "GROUP_SCOPES",
            "not an app client id",
        ),
        (
            vec![("PROFILE_CLAIMS", "plan")],
            "PROFILE_CLAIMS",
            "USERS_TABLE is not",
        ),
        (
            vec![("USERS_TABLE", TABLE), ("PROFILE_CLAIMS", "email")],
            "PROFILE_CLAIMS",
            "from the pool",
        ),
        (
            vec![("PROFILE_CLAIMS_ON_ERROR", "ignore")],
            "PROFILE_CLAIMS_ON_ERROR",
            "`omit` or `refuse`",
        ),
        (
            vec![("AWS_CALL_TIMEOUT_MS", "6000")],
            "AWS_CALL_TIMEOUT_MS",
            "between 100 and 4000",
        ),
    ] {
        let mut function = start(&env).await;
        let report = function.init_error().await;
        assert_eq!(report.error_type, "ConfigError", "{env:?}");
        assert!(
            report.error_message.starts_with(&format!("{variable}: ")),
            "{env:?}: {}",
            report.error_message
        );
        assert!(
            report.error_message.contains(reason),
            "{env:?}: {}",
            report.error_message
        );
    }
}

// ---- The template: no user-chosen value becomes a claim ---------------------------

/// The names both lists hold (comma-separated, blanks ignored).
fn overlap(copied_at_sign_up: &str, issued_as_claims: &str) -> Vec<String> {
    let names = |list: &str| -> Vec<String> {
        list.split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let copied = names(copied_at_sign_up);
    names(issued_as_claims)
        .into_iter()
        .filter(|name| copied.contains(name))
        .collect()
}

/// post-confirmation copies `PROFILE_ATTRIBUTES` into the profile item from
/// what the user submitted at sign-up; pre-token-generation issues
/// `PROFILE_CLAIMS` from that item as claims relying parties trust. A name
/// in both would let a user choose a claim (`tenant_id`, `plan`) at
/// sign-up. The template's defaults must never do that, and must wire each
/// parameter to the function that reads it, so the defaults are what runs.
#[test]
fn the_template_never_issues_a_sign_up_attribute_as_a_profile_claim() {
    // The check itself catches an overlap (a test that cannot fail proves
    // nothing).
    assert_eq!(overlap("given_name, plan", "tenant_id,plan"), ["plan"]);
    assert!(overlap("given_name,family_name", "").is_empty());

    let path = e2e_tests::runtime_api::workspace_root().join("template.yaml");
    let text = std::fs::read_to_string(&path).expect("read template.yaml");
    let template: serde_norway::Value = serde_norway::from_str(&text).expect("parse template.yaml");
    let default = |parameter: &str| -> String {
        let value = &template["Parameters"][parameter]["Default"];
        value
            .as_str()
            .unwrap_or_else(|| panic!("parameter {parameter} has a string Default: {value:?}"))
            .to_owned()
    };
    let reference = |function: &str, variable: &str| -> String {
        match &template["Resources"][function]["Properties"]["Environment"]["Variables"][variable] {
            serde_norway::Value::Tagged(tagged) if tagged.tag == "Ref" => tagged
                .value
                .as_str()
                .expect("a !Ref names a parameter")
                .to_owned(),
            other => panic!("{function} sets {variable} to {other:?}, not a !Ref to a parameter"),
        }
    };
    let attributes = reference("PostConfirmationFunction", "PROFILE_ATTRIBUTES");
    let claims = reference("PreTokenGenerationFunction", "PROFILE_CLAIMS");
    assert_eq!(
        (attributes.as_str(), claims.as_str()),
        ("ProfileAttributes", "ProfileClaims")
    );
    let (attributes, claims) = (default(&attributes), default(&claims));
    assert!(
        !attributes.trim().is_empty(),
        "the default copies attributes"
    );
    let both = overlap(&attributes, &claims);
    assert!(
        both.is_empty(),
        "template.yaml: {both:?} in both ProfileAttributes ({attributes}) and ProfileClaims \
         ({claims}): a value the user chose at sign-up would be issued as a trusted claim"
    );
}
