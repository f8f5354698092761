//! The invariants the fuzz targets check, written once, and the fixtures
//! they are checked against.
//!
//! This file is compiled twice: as `cognito_fuzz::checks` by the fuzz crate
//! (nightly, libFuzzer), and as `e2e_tests::fuzz_checks` through a `#[path]`
//! module in `tests/src/lib.rs`, so that `tests/tests/e2e/abuse/`, which
//! replays the seed corpus on stable through the real binaries, checks
//! exactly what the targets check. A shared file rather than a dependency
//! either way: the fuzz crate needs nightly and libFuzzer and keeps its own
//! lock file outside the workspace, and the test crate is not something the
//! fuzz build should compile. Hence the rule for this file: only `std`,
//! `serde_json` and `cognito_auth_core`, which both crates already depend
//! on; a check that needs a function crate's types stays in
//! `fuzz/src/lib.rs`.
//!
//! Every check takes a `case` that starts its failure messages, so a replay
//! of many seeds names the seed that failed.

use std::time::{SystemTime, UNIX_EPOCH};

use cognito_auth_core::jwks::KeySet;
use cognito_auth_core::{Claims, VerifyError};
use serde_json::{Value, json};

/// The pool of `fuzz/env/verifier.env`.
pub const POOL: &str = "eu-west-1_FuzzPool1";
/// The app client of `fuzz/env/verifier.env`.
pub const CLIENT: &str = "fuzzclient1";
/// The issuer of [`POOL`].
pub const ISSUER: &str = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_FuzzPool1";
/// The API every authorizer seed event calls.
pub const API_ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5";
/// Marks hostile attribute values in the `custom_message_attributes` corpus:
/// no template contains it, so finding it in an HTML body means an attribute
/// was rendered unescaped.
pub const MARKUP_MARKER: &str = "<x-fz";

/// Every custom-message trigger source Cognito sends.
pub const CUSTOM_MESSAGE_SOURCES: [&str; 7] = [
    "CustomMessage_SignUp",
    "CustomMessage_ResendCode",
    "CustomMessage_ForgotPassword",
    "CustomMessage_UpdateUserAttribute",
    "CustomMessage_VerifyUserAttribute",
    "CustomMessage_AdminCreateUser",
    "CustomMessage_Authentication",
];
/// The source whose message is an invitation, which must carry the username.
pub const INVITATION_SOURCE: &str = "CustomMessage_AdminCreateUser";
/// Cognito's limits on a custom message, in UTF-16 code units.
pub const SUBJECT_LIMIT: usize = 140;
pub const EMAIL_LIMIT: usize = 20_000;
pub const SMS_LIMIT: usize = 140;

/// `KEY=VALUE` lines of an env file (`fuzz/env/*.env`); blank lines and
/// lines starting with `#` are skipped, `${ROOT}` becomes `root` (the
/// workspace root).
pub fn env_pairs(text: &str, root: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.to_owned(), value.replace("${ROOT}", root)))
        .collect()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// What the verifier said about `token`: an acceptance is for the fuzz pool
/// and client and not expired; a refusal has a reason and never echoes the
/// token (errors reach logs). The caller also checks that an accepted token
/// verifies again to the same claims (its verifier is sync or async).
pub fn check_verdict(case: &str, token: &str, result: &Result<Claims, VerifyError>) {
    match result {
        Ok(claims) => {
            assert_eq!(claims.issuer, ISSUER, "{case}: accepted another issuer");
            assert_eq!(claims.client_id, CLIENT, "{case}: accepted another client");
            assert!(
                now() < claims.exp.saturating_add(60),
                "{case}: accepted an expired token"
            );
        }
        Err(error) => {
            assert!(!error.reason().is_empty(), "{case}: a reason");
            let shown = format!("{error} {error:?}");
            // Only token-like parts: a run of base64url long enough that no
            // fixed error text holds it (the fuzzer does put error texts in
            // tokens).
            let token_like = |part: &&str| {
                part.len() >= 24
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            };
            for part in token.split('.').filter(token_like) {
                assert!(
                    !shown.contains(part),
                    "{case}: the error echoes the token: {shown}"
                );
            }
        }
    }
}

/// A parsed key set holds only usable RS256 keys, each under its own kid.
pub fn check_key_set(case: &str, set: &KeySet) {
    assert!(!set.is_empty(), "{case}: a parsed set holds a key");
    assert_eq!(set.kids().count(), set.len(), "{case}: kids are unique");
    for kid in set.kids() {
        let key = set.get(kid).expect("every listed kid is held");
        assert_eq!(key.kid(), kid, "{case}");
        assert_eq!(key.alg(), "RS256", "{case}: {kid}");
        assert!(
            (2048..=8192).contains(&key.modulus_bits()),
            "{case}: {kid} has {} bits",
            key.modulus_bits()
        );
        // An arbitrary signature never verifies.
        assert!(
            !key.verify(b"message", &[0u8; 256]),
            "{case}: {kid} verified junk"
        );
    }
}

/// Every member of a trigger event but `response` comes back exactly as
/// sent, and no member appears.
pub fn assert_envelope_kept(case: &str, sent: &Value, returned: &Value) {
    let (Some(sent), Some(returned)) = (sent.as_object(), returned.as_object()) else {
        panic!("{case}: a trigger returned a non-object for an object: {returned}");
    };
    for (key, value) in sent {
        if key != "response" {
            assert_eq!(
                returned.get(key),
                Some(value),
                "{case}: member `{key}` changed"
            );
        }
    }
    for key in returned.keys() {
        assert!(
            key == "response" || sent.contains_key(key),
            "{case}: member `{key}` appeared"
        );
    }
}

/// An authorizer's policy answer (REST and WebSocket APIs, HTTP API 1.0):
/// a principal, at least one statement, and no resource ARN over API
/// Gateway's 512 characters.
pub fn check_policy_answer(case: &str, answer: &Value) {
    assert!(answer["principalId"].is_string(), "{case}: {answer}");
    let statements = answer["policyDocument"]["Statement"]
        .as_array()
        .unwrap_or_else(|| panic!("{case}: a policy has statements: {answer}"));
    assert!(!statements.is_empty(), "{case}: {answer}");
    for statement in statements {
        let resources = statement["Resource"]
            .as_array()
            .unwrap_or_else(|| panic!("{case}: resources: {answer}"));
        for resource in resources {
            let resource = resource
                .as_str()
                .unwrap_or_else(|| panic!("{case}: an ARN: {answer}"));
            assert!(resource.len() <= 512, "{case}: ARN over 512: {resource}");
        }
    }
}

/// One custom-message answer against Cognito's rules: the envelope is kept;
/// an unknown source is returned untouched; each text set is within its
/// limit, not blank, and a body keeps the code (and, in an invitation, the
/// username); no markup from the event reaches the HTML body.
pub fn check_custom_message(case: &str, sent: &Value, returned: &Value) {
    assert_envelope_kept(case, sent, returned);
    let source = sent["triggerSource"].as_str().unwrap_or_default();
    if !CUSTOM_MESSAGE_SOURCES.contains(&source) {
        assert_eq!(
            returned, sent,
            "{case}: an unknown source is returned untouched"
        );
        return;
    }
    let code = sent["request"]["codeParameter"]
        .as_str()
        .unwrap_or_default();
    let username = sent["request"]["usernameParameter"].as_str();
    let response = &returned["response"];
    for (field, limit, body) in [
        ("emailSubject", SUBJECT_LIMIT, false),
        ("emailMessage", EMAIL_LIMIT, true),
        ("smsMessage", SMS_LIMIT, true),
    ] {
        let text = match &response[field] {
            Value::Null => continue,
            Value::String(text) => text,
            other => panic!("{case}: response.{field} is {other}"),
        };
        assert!(
            !code.is_empty(),
            "{case}: a message without a code placeholder"
        );
        assert!(
            text.encode_utf16().count() <= limit,
            "{case}: response.{field} is over {limit}"
        );
        assert!(!text.trim().is_empty(), "{case}: response.{field} is blank");
        if body {
            assert!(
                text.contains(code),
                "{case}: response.{field} lost the code"
            );
            if source == INVITATION_SOURCE {
                let username = username
                    .unwrap_or_else(|| panic!("{case}: an invitation needs usernameParameter"));
                assert!(
                    text.contains(username),
                    "{case}: response.{field} lost the username"
                );
            }
        }
    }
    if let Value::String(html) = &response["emailMessage"] {
        assert!(
            !html.to_ascii_lowercase().contains(MARKUP_MARKER),
            "{case}: markup from the event reached the HTML body: {html}"
        );
    }
}

/// The event every `custom_message_attributes` input is put in: `source`,
/// with hostile `userAttributes` and `clientMetadata`.
pub fn attributes_event(source: &str, attributes: Value, client_metadata: Value) -> Value {
    json!({
        "version": "1",
        "triggerSource": source,
        "region": "us-east-1",
        "userPoolId": "us-east-1_Ex4mPle01",
        "userName": "7f3b2c1a-5d4e-4f60-8a9b-0c1d2e3f4a5b",
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "client-1"},
        "request": {
            "userAttributes": attributes,
            "codeParameter": "{####}",
            "linkParameter": "{##Click Here##}",
            "usernameParameter": "{username}",
            "clientMetadata": client_metadata
        },
        "response": {"smsMessage": null, "emailMessage": null, "emailSubject": null}
    })
}
