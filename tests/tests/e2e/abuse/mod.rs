//! Abuse cases, through the real authorizer binary where possible, and the
//! stable smoke of the fuzz targets: two concerns, one module each, sharing
//! the fuzz targets' configuration (`fuzz/env/*.env`) and the helpers below.
//!
//! - [`fuzz_corpus`]: every committed seed of every fuzz target, replayed on
//!   stable through the same entry points.
//! - [`oversized_input`]: oversized and hostile input, refused cleanly and
//!   cheaply without taking the sandbox down.

mod fuzz_corpus;
mod oversized_input;

// The pool and client of `fuzz/env/verifier.env`, and the API the seeds call.
use e2e_tests::fuzz_checks::{self as checks, API_ARN as API, CLIENT, POOL};
use e2e_tests::runtime_api::{Function, Launch, Outcome, workspace_root};
use e2e_tests::tokens::TokenBuilder;
use serde_json::{Value, json};

// ---- Shared helpers -------------------------------------------------------------

/// `fuzz/env/<name>.env` as pairs, by the fuzz targets' rules.
fn env_file(name: &str) -> Vec<(String, String)> {
    let path = workspace_root()
        .join("fuzz/env")
        .join(format!("{name}.env"));
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    checks::env_pairs(&text, &workspace_root().display().to_string())
}

/// An error report is never a caught panic.
#[track_caller]
fn assert_not_a_panic(outcome: &Outcome) {
    if let Outcome::Error(report) = outcome {
        assert!(
            !report.error_message.starts_with("Lambda panicked"),
            "{report:?}"
        );
    }
}

fn authorizer_launch() -> Launch {
    Launch::new("authorizer")
        .envs(env_file("verifier"))
        .envs(env_file("authorizer"))
}

/// A valid access token for the fuzz pool, signed by the development key.
fn fuzz_token(groups: &[&str]) -> TokenBuilder {
    TokenBuilder::access(POOL, CLIENT)
        .groups(groups)
        .scopes(&["openid", "pets/write"])
}

fn token_event(credential: &str, verb: &str, path: &str) -> Value {
    json!({
        "type": "TOKEN",
        "authorizationToken": credential,
        "methodArn": format!("{API}/prod/{verb}{path}"),
    })
}

/// The HTTP API 2.0 sample with `credential` as its identity source.
fn http2_event(credential: &str) -> Value {
    let path = workspace_root().join("events/authorizer/http2-allow.json");
    let mut event: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read the sample"))
            .expect("parse the sample");
    event["identitySource"] = json!([credential]);
    event["headers"]["authorization"] = json!(credential);
    event
}

/// Whether the policy in `answer` allows `verb path` (no wildcard cases
/// needed here: the stage-wide Allow is `…/prod/*/*`).
fn policy_effect(answer: &Value) -> Vec<(String, Vec<String>)> {
    answer["policyDocument"]["Statement"]
        .as_array()
        .expect("statements")
        .iter()
        .map(|statement| {
            (
                statement["Effect"].as_str().unwrap_or_default().to_owned(),
                statement["Resource"]
                    .as_array()
                    .expect("resources")
                    .iter()
                    .map(|resource| resource.as_str().unwrap_or_default().to_owned())
                    .collect(),
            )
        })
        .collect()
}

#[track_caller]
fn assert_allowed(invoked: Outcome) -> Value {
    match invoked {
        Outcome::Response(answer) => {
            let effects = policy_effect(&answer);
            assert_eq!(effects[0].0, "Allow", "{answer}");
            answer
        }
        Outcome::Error(report) => panic!("expected an Allow, got {report:?}"),
    }
}

/// What the binary answers `token` as the credential of `GET /pets/1`.
async fn get_pets_1(function: &Function, token: &str) -> Outcome {
    function
        .invoke(token_event(&format!("Bearer {token}"), "GET", "/pets/1"))
        .await
        .outcome
}

/// The binary still answers a good request: nothing above took it down.
async fn assert_still_serves(function: &Function) {
    let token = fuzz_token(&["admins"]).build();
    assert_allowed(get_pets_1(function, &token).await);
    function.assert_no_panic();
}
