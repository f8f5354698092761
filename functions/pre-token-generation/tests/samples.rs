//! The sample events: ours (`events/pre-token-generation/*.json`, one per
//! version and source) and the `aws_lambda_events` crate's own pre token
//! generation fixtures (`events/pre-token-generation/aws-lambda-events/`,
//! copied from aws_lambda_events 1.2.1's `src/fixtures/`, MIT or Apache-2.0
//! like this workspace).
//!
//! Every one is read by the handler and comes back whole; with
//! configuration only `response` changes. The crate's types decode the
//! samples they model, and fail on the ones that show why this function
//! keeps the event as JSON.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test: a failed set-up should stop it, loudly"
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use aws_lambda_events::event::cognito::{
    ClaimsAndScopeOverrideDetailsV2, CognitoEventUserPoolsPreTokenGen,
    CognitoEventUserPoolsPreTokenGenResponseV2, CognitoEventUserPoolsPreTokenGenV2,
};
use pre_token_generation::State;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events/pre-token-generation")
}

fn ours() -> Vec<PathBuf> {
    test_kit::json_files(&samples_dir())
}

fn the_crates() -> Vec<PathBuf> {
    test_kit::json_files(&samples_dir().join("aws-lambda-events"))
}

async fn call(state: &State, event: Value) -> Value {
    test_kit::call(state, event)
        .await
        .unwrap_or_else(|error| panic!("{error}"))
}

fn without_response(mut event: Value) -> Value {
    event.as_object_mut().map(|event| event.remove("response"));
    event
}

#[test]
fn our_samples_cover_every_version_and_source() {
    let seen: BTreeSet<(String, String)> = ours()
        .iter()
        .map(|path| {
            let event = test_kit::read_json(path);
            (
                event["version"].as_str().unwrap_or_default().to_owned(),
                event["triggerSource"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    let mut expected = BTreeSet::new();
    for version in ["1", "2", "3"] {
        for source in [
            "HostedAuth",
            "Authentication",
            "NewPasswordChallenge",
            "AuthenticateDevice",
            "RefreshTokens",
        ] {
            expected.insert((version.to_owned(), format!("TokenGeneration_{source}")));
        }
    }
    expected.insert((
        "3".to_owned(),
        "TokenGeneration_ClientCredentials".to_owned(),
    ));
    assert_eq!(seen, expected);
    assert_eq!(the_crates().len(), 6);
}

#[tokio::test]
async fn without_configuration_every_sample_comes_back_whole() {
    let state = test_kit::state::<State>(&[]).await;
    for path in ours().iter().chain(&the_crates()) {
        let event = test_kit::read_json(path);
        assert_eq!(
            call(&state, event.clone()).await,
            event,
            "{}",
            path.display()
        );
    }
}

#[tokio::test]
async fn with_configuration_only_the_response_changes_and_groups_stay() {
    let state = test_kit::state::<State>(&[
        (
            "GROUP_SCOPES",
            r#"{"admins":{"scopes":["api/admin"],"clients":["1example23456789abcdefghij"]},
                "group-A":{"scopes":["api/read"],"clients":["1example23456789abcdefghij"]}}"#,
        ),
        ("ID_CLAIMS_TO_SUPPRESS", "phone_number"),
        ("ACCESS_CLAIMS_TO_SUPPRESS", "custom:internal"),
        (
            "CLIENT_CLAIMS",
            r#"{"m2mclient1example234567890":{"tenant_id":"acme","tier":2}}"#,
        ),
    ])
    .await;
    for path in ours().iter().chain(&the_crates()) {
        let event = test_kit::read_json(path);
        let output = call(&state, event.clone()).await;
        let name = path.display();
        assert_eq!(
            without_response(output.clone()),
            without_response(event.clone()),
            "{name}"
        );
        assert_ne!(
            output["response"], event["response"],
            "{name}: nothing was written"
        );
        // A groupOverrideDetails is never added: the crate's prefilled
        // samples keep theirs, ours have none before or after.
        let before = event["response"]
            .to_string()
            .matches("groupOverrideDetails")
            .count();
        let after = output["response"]
            .to_string()
            .matches("groupOverrideDetails")
            .count();
        assert_eq!(before, after, "{name}");

        let response = &output["response"];
        match (event["version"].as_str(), event["triggerSource"].as_str()) {
            (Some("1"), _) => {
                let details = &response["claimsOverrideDetails"];
                assert!(
                    details["claimsToSuppress"]
                        .as_array()
                        .is_some_and(|list| list.contains(&json!("phone_number")))
                );
            }
            (_, Some("TokenGeneration_ClientCredentials")) => {
                let access = &response["claimsAndScopeOverrideDetails"]["accessTokenGeneration"];
                assert_eq!(
                    access["claimsToAddOrOverride"],
                    json!({"tenant_id": "acme", "tier": 2})
                );
                assert_eq!(access["claimsToSuppress"], json!(["custom:internal"]));
                assert!(
                    response["claimsAndScopeOverrideDetails"]
                        .get("idTokenGeneration")
                        .is_none()
                );
            }
            (Some("2" | "3"), _) => {
                let details = &response["claimsAndScopeOverrideDetails"];
                assert_eq!(
                    details["idTokenGeneration"]["claimsToSuppress"],
                    json!(["phone_number"]),
                    "{name}"
                );
                // Our samples come from the client GROUP_SCOPES names; the
                // crate's from "apps client id", which no group names.
                let scopes = &details["accessTokenGeneration"]["scopesToAdd"];
                if event["callerContext"]["clientId"] == "1example23456789abcdefghij" {
                    assert!(scopes.is_array(), "{name}: {scopes}");
                } else {
                    assert!(scopes.is_null(), "{name}: {scopes}");
                }
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

/// Parse, serialise, parse again: equal, as the crate's own tests do.
fn round_trips<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(
    event: &Value,
) -> Result<(), String> {
    let parsed: T = serde_json::from_value(event.clone()).map_err(|err| err.to_string())?;
    let again: T =
        serde_json::from_value(serde_json::to_value(&parsed).map_err(|e| e.to_string())?)
            .map_err(|err| err.to_string())?;
    assert_eq!(parsed, again);
    Ok(())
}

#[test]
fn the_crate_types_decode_the_samples_they_model() {
    // The crate's fixtures: V1 shapes in V1 types, V2 shapes (which the
    // crate's samples label version "1") in V2 types.
    for path in the_crates() {
        let event = test_kit::read_json(&path);
        let result = if path.to_string_lossy().contains("-v2") {
            round_trips::<CognitoEventUserPoolsPreTokenGenV2>(&event)
        } else {
            round_trips::<CognitoEventUserPoolsPreTokenGen>(&event)
        };
        assert_eq!(result, Ok(()), "{}", path.display());
    }
    // Ours, by version, but for two shapes the crate cannot read, which is
    // why the function keeps the event as JSON.
    let beyond_the_crate = [
        // An unknown triggerSource is a hard error in the crate.
        "v3-client-credentials.json",
        // Cognito's own V2 example: preferredRole as a list and the
        // response container as `[]`.
        "v2-hosted-auth.json",
    ];
    for path in ours() {
        let event = test_kit::read_json(&path);
        let result = match event["version"].as_str() {
            Some("1") => round_trips::<CognitoEventUserPoolsPreTokenGen>(&event),
            _ => round_trips::<CognitoEventUserPoolsPreTokenGenV2>(&event),
        };
        let file = path.file_name().unwrap_or_default().to_string_lossy();
        if beyond_the_crate.contains(&file.as_ref()) {
            assert!(result.is_err(), "{file} decodes now; drop it from the list");
        } else {
            assert_eq!(result, Ok(()), "{file}");
        }
    }
}

#[test]
fn the_crates_default_response_would_remove_every_group() {
    // Built the only way the crate allows (its types are non-exhaustive):
    // a response that adds one scope carries an empty groupOverrideDetails,
    // which Cognito reads as "no groups".
    let mut details = ClaimsAndScopeOverrideDetailsV2::default();
    details.access_token_generation = Some(Default::default());
    let mut response = CognitoEventUserPoolsPreTokenGenResponseV2::default();
    response.claims_and_scope_override_details = Some(details);
    let json = serde_json::to_value(&response).unwrap();
    assert_eq!(
        json["claimsAndScopeOverrideDetails"]["groupOverrideDetails"]["groupsToOverride"],
        json!([])
    );
}
