//! The log audit: every line any function binary printed during the
//! end-to-end suite (the Runtime API harness copies each one under
//! `target/e2e-logs/`) is searched for credentials and personal data.
//!
//! A line fails the audit when it holds:
//! - a JWT: `eyJ` starting three dot-separated base64url segments;
//! - a `Bearer` credential, or the value of an `Authorization` header;
//! - a password or a verification code the suite uses (see [`SECRETS`]);
//! - a password hash: the prefix of any crypt or PHC string the user
//!   migration trigger reads (`$argon2…$`, `$2b$`, `$scrypt$`,
//!   `$pbkdf2-…`, Django's `pbkdf2_sha256$`), which a log line may name by
//!   its algorithm but never quote;
//!   Cognito's placeholders (`{####}`) are what the functions handle, and
//!   may appear;
//! - an email address, other than the operator's own support address;
//! - a query string (`queryStringParameters`, `rawQueryString`, `?token=`)
//!   or a `Sec-WebSocket-Protocol` header: a WebSocket `$connect` carries
//!   its token there, in whatever form, so such a line is a leak even when
//!   the token is not a JWT the first check would see.
//!
//! It runs after the suite, as its own step of `scripts/test.sh`:
//! `target/e2e-logs` is cleared before `cargo test --workspace`, then
//! `cargo test -p e2e-tests --test e2e log_audit:: -- --ignored` audits what the
//! suite left. With no log at all it fails, so it cannot pass by reading
//! nothing.
//!
//! Metric lines (EMF, with an `_aws` block) get the same audit, and must
//! also pass the EMF checker (`e2e_tests::emf`): dimension values are fixed
//! codes, never a user's data.
//!
//! A refusal is not an error ([`refusal_errors`]): no `ERROR` line may belong
//! to an invocation the function counted in `Refusals` (a 401, a refused
//! sign-up), and no `ERROR` line may be lambda_runtime's report of one (its
//! message `Unauthorized`, or pre sign-up's `Refused(…)`), wherever it is.
//!
//! The second test needs no earlier step: an authorizer at trace level,
//! given a valid token, must not print it, which checks that the cap on
//! lambda_runtime's raw-event TRACE line (`shared/src/logging.rs`) holds.
//! The third does the same for the pre token generation trigger, the one
//! function that reads personal data back from AWS (the profile item) on
//! every sign-in: at trace level neither the event's attributes nor the
//! item's values may be printed, which checks the cap on the AWS SDK's
//! payload lines too.

use e2e_tests::emf;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use e2e_tests::moto::Moto;
use e2e_tests::runtime_api::{Launch, target_dir, workspace_root};
use e2e_tests::tokens::TokenBuilder;
use serde_json::{Value, json};

/// Passwords and codes the suite hands to moto or puts in events. None of
/// them may ever be printed by a function.
const SECRETS: &[&str] = &[
    "Correct-Horse-9-Battery",
    "Correct-Horse-9",
    // tests/tests/user_migration.rs and events/user-migration/.
    "Old-System-Secret-42",
    "Not-The-Password-1",
    "Legacy-Passw0rd!",
    // tests/tests/e2e/custom_sender.rs: the codes it encrypts.
    "Tmp<p>&1",
    // events/custom-sender/account-takeover-notification.json: the
    // takeover notice's FEEDBACK_TOKEN, and the host of the one-click links
    // that carry it.
    "fbk-sentinel-7Qx9Lm2Vp4",
    "feedback.example.com",
    // The legacy endpoint's tests: a wrong password and the shared secrets.
    "Not-Her-Password-1",
    "legacy-endpoint-shared-secret-0123456789",
    "a-different-secret-of-32-bytes-or-more",
    // Every function's AWS_SESSION_TOKEN (the harness's).
    e2e_tests::runtime_api::SESSION_TOKEN,
];

/// How password hashes begin (PHC and Modular Crypt strings, and Django's
/// own form): none may reach a log line.
const HASH_PREFIXES: &[&str] = &[
    "$argon2id$",
    "$argon2i$",
    "$argon2d$",
    "$2a$",
    "$2b$",
    "$2x$",
    "$2y$",
    "$scrypt$",
    "$pbkdf2",
    "pbkdf2_sha256$",
];

/// Operator configuration, not user data: shown in emails and allowed in
/// logs (e.g. an init error that names it).
const ALLOWED_ADDRESSES: &[&str] = &["support@example.com"];

/// What a line must not hold, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Finding {
    Jwt,
    Bearer,
    AuthorizationHeader,
    Secret,
    PasswordHash,
    Email,
    QueryString,
}

/// A query string or the WebSocket subprotocol header, as an event member,
/// a URL, or a header line (any casing).
fn holds_query_string(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    [
        "querystringparameters",
        "rawquerystring",
        "sec-websocket-protocol",
        "?token=",
        "&token=",
    ]
    .iter()
    .any(|marker| lower.contains(marker))
}

fn is_b64url(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'
}

/// A run of `eyJ…` then two more base64url segments (the third may be
/// empty, as in `alg: none`).
fn holds_jwt(line: &str) -> bool {
    let bytes = line.as_bytes();
    line.match_indices("eyJ").any(|(start, _)| {
        let segment = |from: usize| {
            let end = bytes[from..]
                .iter()
                .position(|&b| !is_b64url(b))
                .map_or(bytes.len(), |len| from + len);
            (end - from, end)
        };
        let (header, end) = segment(start);
        if header < 10 || bytes.get(end) != Some(&b'.') {
            return false;
        }
        let (payload, end) = segment(end + 1);
        payload >= 2 && bytes.get(end) == Some(&b'.')
    })
}

/// `Bearer <something>` in any casing, where the something is not a
/// `{{PLACEHOLDER}}`.
fn holds_bearer(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    lower.match_indices("bearer ").any(|(at, word)| {
        let rest = line[at + word.len()..].trim_start();
        let credential: String = rest
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '"' && *c != '\\')
            .collect();
        credential.len() >= 8 && !credential.starts_with('{')
    })
}

/// An `Authorization` member or header with a value: `"authorization":"…"`
/// (a JSON member) or `authorization: …` (a header line), any casing.
fn holds_authorization_header(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    lower.match_indices("authorization").any(|(at, word)| {
        let rest = &lower[at + word.len()..];
        let value = rest
            .strip_prefix("\":")
            .or_else(|| rest.strip_prefix("\\\":"))
            .or_else(|| rest.strip_prefix(':'))
            .or_else(|| rest.strip_prefix('='));
        value.is_some_and(|value| {
            let value = value.trim_start().trim_start_matches(['"', '\\', '[']);
            !value.is_empty()
                && !value.starts_with(['"', ',', '}', ']'])
                && !value.starts_with("null")
        })
    })
}

fn is_email_byte(byte: u8, local: bool) -> bool {
    byte.is_ascii_alphanumeric()
        || matches!(byte, b'.' | b'-')
        || (local && matches!(byte, b'_' | b'+' | b'%'))
}

/// Every `local@domain.tld` in the line.
fn email_addresses(line: &str) -> Vec<&str> {
    let bytes = line.as_bytes();
    line.match_indices('@')
        .filter_map(|(at, _)| {
            let start = bytes[..at]
                .iter()
                .rposition(|&b| !is_email_byte(b, true))
                .map_or(0, |i| i + 1);
            let end = bytes[at + 1..]
                .iter()
                .position(|&b| !is_email_byte(b, false))
                .map_or(bytes.len(), |len| at + 1 + len);
            let domain = line[at + 1..end].trim_end_matches('.');
            let local = &line[start..at];
            let tld_ok = domain
                .rsplit_once('.')
                .is_some_and(|(name, tld)| !name.is_empty() && tld.len() >= 2);
            (!local.is_empty() && tld_ok).then(|| &line[start..at + 1 + domain.len()])
        })
        .collect()
}

fn audit_line(line: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    if holds_jwt(line) {
        findings.push(Finding::Jwt);
    }
    if holds_bearer(line) {
        findings.push(Finding::Bearer);
    }
    if holds_authorization_header(line) {
        findings.push(Finding::AuthorizationHeader);
    }
    if SECRETS.iter().any(|secret| line.contains(secret)) {
        findings.push(Finding::Secret);
    }
    if HASH_PREFIXES.iter().any(|prefix| line.contains(prefix)) {
        findings.push(Finding::PasswordHash);
    }
    if holds_query_string(line) {
        findings.push(Finding::QueryString);
    }
    if email_addresses(line).iter().any(|address| {
        !ALLOWED_ADDRESSES
            .iter()
            .any(|allowed| address.eq_ignore_ascii_case(allowed))
    }) {
        findings.push(Finding::Email);
    }
    findings
}

fn log_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

#[test]
#[ignore = "audits what the whole suite printed: run by scripts/test.sh after `cargo test --workspace` \
            (with target/e2e-logs cleared before it) as `cargo test -p e2e-tests --test e2e log_audit:: -- --ignored`"]
fn no_log_line_of_the_suite_holds_a_credential_or_an_address() {
    let dir = target_dir().join("e2e-logs");
    let files = log_files(&dir);
    assert!(
        !files.is_empty(),
        "no log file under {}: run the end-to-end suite first (the audit must not pass by reading nothing)",
        dir.display()
    );
    let mut lines = 0;
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read(file).unwrap_or_else(|err| panic!("{}: {err}", file.display()));
        let text = String::from_utf8_lossy(&text);
        let name = file.file_name().unwrap_or_default().to_string_lossy();
        failures.extend(
            refusal_errors(text.lines())
                .into_iter()
                .map(|finding| format!("{name}: {finding}")),
        );
        for (number, line) in text.lines().enumerate() {
            lines += 1;
            let findings = audit_line(line);
            if !findings.is_empty() {
                let name = file.file_name().unwrap_or_default().to_string_lossy();
                failures.push(format!("{name}:{}: {findings:?}: {line}", number + 1));
            }
            if emf::is_emf(line)
                && let Err(error) = emf::check(line)
            {
                let name = file.file_name().unwrap_or_default().to_string_lossy();
                failures.push(format!(
                    "{name}:{}: not valid EMF ({error}): {line}",
                    number + 1
                ));
            }
        }
    }
    assert!(
        lines > 0,
        "{} log files but not one line in them",
        files.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {lines} lines in {} files hold what logs must not:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
    eprintln!("audited {lines} lines in {} files", files.len());
}

/// lambda_runtime prints every raw event at TRACE, bearer token included;
/// `logging::init` caps that one line at DEBUG. Ask for everything and check
/// that the token, and every part of it, stays out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authorizer_at_trace_level_never_prints_the_token() {
    const POOL: &str = "eu-west-1_TracePool1";
    const CLIENT: &str = "traceclient1";
    let jwks = workspace_root().join("tests/fixtures/keys/dev-rsa-1.jwks.json");
    let function = Launch::new("authorizer")
        .env("USER_POOL_ID", POOL)
        .env("APP_CLIENT_IDS", CLIENT)
        .env("JWKS_FILE", jwks.display().to_string())
        .env("AWS_LAMBDA_LOG_LEVEL", "trace")
        .start()
        .await;
    let token = TokenBuilder::access(POOL, CLIENT).build();
    let arn = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/pets/1";
    let answer = function
        .respond(json!({
            "type": "TOKEN",
            "authorizationToken": format!("Bearer {token}"),
            "methodArn": arn,
        }))
        .await;
    assert!(answer["policyDocument"].is_object(), "{answer}");
    // The level really was raised: lambda_runtime's DEBUG lines are there
    // (its TRACE line with the raw event is what the cap leaves out).
    function
        .wait_for_log_containing("\"level\":\"DEBUG\"")
        .await;
    function.wait_for_log_containing("policy issued").await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let logs = function.logs();
    assert_no_dependency_trace_line(&logs);
    for line in &logs {
        assert!(!line.contains(&token), "a line holds the token: {line}");
        for part in token.split('.') {
            assert!(
                !line.contains(part),
                "a line holds part of the token: {line}"
            );
        }
        assert_eq!(audit_line(line), [], "{line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pre_token_trigger_at_trace_level_never_prints_attributes_or_profile_values() {
    const SUB: &str = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111";
    const PRIVATE: &str = "bob.private@example.com";
    let moto = Moto::start();
    let dynamodb = moto.dynamodb().await;
    e2e_tests::moto::create_profile_table(&dynamodb, "users").await;
    e2e_tests::moto::put_profile(&dynamodb, "users", SUB, &[("contact", PRIVATE)]).await;
    let function = Launch::new("pre-token-generation")
        .envs(moto.env())
        .env("USERS_TABLE", "users")
        .env("PROFILE_CLAIMS", "contact")
        .env("AWS_LAMBDA_LOG_LEVEL", "trace")
        .start()
        .await;
    let sample = workspace_root().join("events/pre-token-generation/v2-authentication.json");
    let event: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sample).expect("read the sample"))
            .expect("parse the sample");
    let answer = function.respond(event).await;
    // The value did reach the token: the test would prove nothing otherwise.
    assert_eq!(
        answer["response"]["claimsAndScopeOverrideDetails"]["idTokenGeneration"]["claimsToAddOrOverride"]
            ["contact"],
        json!(PRIVATE)
    );
    // The level really was raised: the SDK's DEBUG lines are there (its
    // TRACE lines, bodies and aws-sigv4's canonical request with the
    // session token, are what the cap leaves out).
    function
        .wait_for_log(|line| line.contains("\"level\":\"DEBUG\"") && line.contains("aws_smithy"))
        .await;
    function
        .wait_for_log_containing("token claims decided")
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    assert_no_dependency_trace_line(&function.logs());
    for line in function.logs() {
        assert!(
            !line.contains(PRIVATE),
            "a profile value was logged: {line}"
        );
        assert_eq!(audit_line(&line), [], "{line}");
    }
}

/// Asked for TRACE, a function logs TRACE lines of its own crates only
/// (`logging::is_own_target`): a dependency's stop at DEBUG.
fn assert_no_dependency_trace_line(logs: &[String]) {
    for line in logs {
        let record: Value = serde_json::from_str(line)
            .unwrap_or_else(|err| panic!("a log line that is not JSON ({err}): {line}"));
        if record["level"] == "TRACE" {
            let target = record["target"].as_str().unwrap_or_default();
            assert!(
                cognito_auth_core::logging::is_own_target(target),
                "a dependency's TRACE line: {line}"
            );
        }
    }
}

/// lambda_runtime's target for a handler's error line (and a panic's).
const RUNTIME_ERROR_TARGET: &str = "lambda_runtime::layers::panic";

/// The ERROR lines of one binary's run (one log file) that report an
/// intentional refusal: lambda_runtime's line for a 401 (`Unauthorized`) or
/// for a refused sign-up (`Refused(…)`), or any ERROR line of an invocation
/// whose metric line counts a refusal (`Refusals`, matched by `requestId`).
fn refusal_errors<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<String> {
    let records: Vec<(&str, Value)> = lines
        .filter_map(|line| Some((line, serde_json::from_str::<Value>(line).ok()?)))
        .filter(|(_, record)| record.is_object())
        .collect();
    let refused: HashSet<&str> = records
        .iter()
        .filter(|(_, record)| record.get("_aws").is_some())
        .filter(|(_, record)| record["Refusals"].as_f64().is_some_and(|n| n > 0.0))
        .filter_map(|(_, record)| record["requestId"].as_str())
        .collect();
    let mut findings = Vec::new();
    for (line, record) in &records {
        if record["level"] != "ERROR" {
            continue;
        }
        let message = record["message"].as_str().unwrap_or_default();
        let request_id = record["spans"]
            .as_array()
            .into_iter()
            .flatten()
            .find_map(|span| span["requestId"].as_str());
        if message == "Unauthorized" {
            findings.push(format!("an ERROR line for a 401: {line}"));
        } else if record["target"] == RUNTIME_ERROR_TARGET && message.starts_with("Refused(") {
            findings.push(format!("an ERROR line for a refused sign-up: {line}"));
        } else if request_id.is_some_and(|id| refused.contains(id)) {
            findings.push(format!(
                "an ERROR line in an invocation counted in Refusals: {line}"
            ));
        }
    }
    findings
}

#[test]
fn the_refusal_detector_finds_error_lines_of_refusals_only() {
    let span = |id: &str| json!([{"name": "Lambda runtime invoke", "requestId": id}]);
    let emf = |id: &str, refusals: u32| {
        json!({"_aws": {"Timestamp": 1_764_000_000_000u64, "CloudWatchMetrics": [{
            "Namespace": "CognitoAuth", "Dimensions": [["Function"]],
            "Metrics": [{"Name": "Refusals", "Unit": "Count"}]}]},
            "Function": "authorizer", "Refusals": refusals, "requestId": id})
        .to_string()
    };
    let line = |level: &str, target: &str, message: &str, id: &str| {
        json!({"level": level, "target": target, "message": message, "spans": span(id)}).to_string()
    };
    let refused = [
        emf("r1", 1),
        line("INFO", "authorizer", "unauthorized", "r1"),
        line("ERROR", "authorizer", "something else", "r1"),
    ];
    assert_eq!(refusal_errors(refused.iter().map(String::as_str)).len(), 1);
    for bad in [
        line("ERROR", RUNTIME_ERROR_TARGET, "Unauthorized", "r2"),
        line(
            "ERROR",
            RUNTIME_ERROR_TARGET,
            "Refused(DomainBlocked)",
            "r3",
        ),
    ] {
        assert_eq!(refusal_errors([bad.as_str()].into_iter()).len(), 1, "{bad}");
    }
    // Real failures keep their ERROR lines: an invocation without a refusal
    // counted, and a panic.
    let fine = [
        emf("r4", 0),
        line(
            "ERROR",
            RUNTIME_ERROR_TARGET,
            "MalformedEvent(\"userName is missing\")",
            "r4",
        ),
        line("ERROR", RUNTIME_ERROR_TARGET, "user handler panicked", "r5"),
        line("WARN", "pre_sign_up", "refused the sign-up", "r6"),
        emf("r6", 1),
        "not json".to_owned(),
    ];
    assert_eq!(
        refusal_errors(fine.iter().map(String::as_str)),
        Vec::<String>::new()
    );
}

// ---- The detectors themselves -------------------------------------------------

#[test]
fn the_detectors_find_what_they_look_for_and_pass_ordinary_lines() {
    let token = TokenBuilder::access("eu-west-1_A", "c").build();
    let header_and_payload = token.rsplit_once('.').map(|(head, _)| head).unwrap();
    for (line, expected) in [
        (format!(r#"{{"token":"{token}"}}"#), vec![Finding::Jwt]),
        (
            format!(r#"{{"t":"{header_and_payload}."}}"#),
            vec![Finding::Jwt],
        ),
        (
            format!("Authorization: Bearer {token}"),
            vec![Finding::Jwt, Finding::Bearer, Finding::AuthorizationHeader],
        ),
        (
            r#"{"headers":{"Authorization":"Basic dXNlcjpwYXNz"}}"#.to_owned(),
            vec![Finding::AuthorizationHeader],
        ),
        (
            r#"{"event":"{\"authorization\":\"abc\"}"}"#.to_owned(),
            vec![Finding::AuthorizationHeader],
        ),
        ("bearer abcdefghijkl".to_owned(), vec![Finding::Bearer]),
        (
            r#"{"password":"Correct-Horse-9-Battery"}"#.to_owned(),
            vec![Finding::Secret],
        ),
        (
            r#"{"user_name":"corpsaml_jane.doe@corp.example"}"#.to_owned(),
            vec![Finding::Email],
        ),
        (
            r#"{"detail":"$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"}"#.to_owned(),
            vec![Finding::PasswordHash],
        ),
        (
            r#"{"h":"$2b$10$abcdefghijklmnopqrstuu"}"#.to_owned(),
            vec![Finding::PasswordHash],
        ),
        (
            r#"{"queryStringParameters":{"token":"opaque-session-value"}}"#.to_owned(),
            vec![Finding::QueryString],
        ),
        (
            "GET wss://x.example/v1?token=opaque-session-value".to_owned(),
            vec![Finding::QueryString],
        ),
        (
            r#"{"headers":{"Sec-WebSocket-Protocol":"graphql-ws, opaque"}}"#.to_owned(),
            vec![Finding::QueryString],
        ),
    ] {
        assert_eq!(audit_line(&line), expected, "{line}");
    }
    for line in [
        r#"{"level":"INFO","reason":"malformed_authorization","route":"GET /pets/1"}"#,
        r#"{"message":"refused","authorizationToken":null}"#,
        r#"{"sms":"Your code is {####}","subject":"Bearer {{TOKEN}}"}"#,
        r#"{"email_domain":"example.com","error":"`@spam.example` is not a domain name"}"#,
        r#"{"support":"support@example.com","version":"1.2.3"}"#,
        r#"{"x":"eyJhbGciOiJSUzI1NiJ9"}"#,
        r#"{"reason":"unsupported_algorithm","detail":"the legacy hash uses an unsupported algorithm `pbkdf2-sha512`"}"#,
        "thread 'main' panicked at src/main.rs:1:1",
    ] {
        assert_eq!(audit_line(line), [], "{line}");
    }
    assert_eq!(
        email_addresses("to a.b+c@mail.example.com, x@y"),
        ["a.b+c@mail.example.com"]
    );
}
