//! Abuse cases, through the real authorizer binary where possible, and the
//! stable smoke of the fuzz targets.
//!
//! # The fuzz corpus on stable
//!
//! `fuzz/` (cargo fuzz, nightly) is not part of this workspace. So that CI
//! still exercises each target's code path on every committed seed, the
//! `fuzz_corpus_*` tests replay `fuzz/corpus/<target>/*` through the same
//! entry points with the same configuration (`fuzz/env/*.env`): the shared
//! crate's `Verifier` and `KeySet::parse` directly, and each function's
//! `handle` through its real binary and the Runtime API harness. They check
//! what the targets check, less whatever needs the functions' library types.
//!
//! # Abuse cases
//!
//! Oversized and hostile input must be refused cleanly, cheaply and without
//! taking the sandbox down: each test ends by checking the binary still
//! answers and never logged a panic. Behaviour is asserted, not timing.

use std::path::PathBuf;

use cognito_auth_core::config::Env;
use cognito_auth_core::jwks::KeySet;
use cognito_auth_core::token::MAX_TOKEN_BYTES;
use cognito_auth_core::{Claims, Verifier, VerifierConfig, VerifyError};
// The pool and client of `fuzz/env/verifier.env`, and the API the seeds call.
use e2e_tests::fuzz_checks::{self as checks, API_ARN as API, CLIENT, POOL};
use e2e_tests::jwks_server::JwksServer;
use e2e_tests::moto::free_port;
use e2e_tests::runtime_api::{ErrorReport, Function, Launch, Outcome, target_dir, workspace_root};
use e2e_tests::tokens::{DevKey, Signer, TokenBuilder, sign_raw};
use serde_json::{Map, Value, json};

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

/// Every seed of `target`, by file name.
fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = workspace_root().join("fuzz/corpus").join(target);
    let mut seeds: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .map(|entry| entry.expect("a corpus entry").path())
        .filter(|path| path.is_file())
        .map(|path| {
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read(&path).expect("read a seed"))
        })
        .collect();
    seeds.sort();
    assert!(!seeds.is_empty(), "no seed in {}", dir.display());
    seeds
}

/// The seeds that parse as JSON, as the targets and lambda_runtime parse them.
fn json_seeds(target: &str) -> Vec<(String, Value)> {
    seeds(target)
        .into_iter()
        .filter_map(|(name, bytes)| Some((name, serde_json::from_slice(&bytes).ok()?)))
        .collect()
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

fn verifier_config() -> VerifierConfig {
    VerifierConfig::from_env(&Env::from_pairs(env_file("verifier")))
        .expect("fuzz/env/verifier.env is valid")
}

/// What `fuzz/src/lib.rs` checks of a verdict: the shared checks, and that
/// an accepted token verifies again to the same claims.
async fn check_verdict(
    verifier: &Verifier,
    case: &str,
    token: &str,
    result: Result<Claims, VerifyError>,
) {
    checks::check_verdict(case, token, &result);
    if let Ok(claims) = result {
        let again = verifier.verify(token).await.expect("verifies again");
        assert_eq!(again, claims, "{case}: the cache changed the claims");
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
fn assert_unauthorized(invoked: Outcome) {
    match invoked {
        Outcome::Error(report) => {
            assert_eq!(report.error_type, "Unauthorized", "{report:?}");
            assert_eq!(report.error_message, "Unauthorized");
        }
        Outcome::Response(answer) => panic!("expected a 401, got {answer}"),
    }
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

/// The binary never held more than 256 MiB.
#[track_caller]
fn assert_peak_rss_under_256_mib(function: &Function) {
    let peak = peak_rss_kib(function);
    assert!(peak < 256 * 1024, "peak RSS {peak} KiB");
}

/// The binary's peak resident memory, in KiB.
fn peak_rss_kib(function: &Function) -> u64 {
    let pid = function.pid().expect("the binary runs");
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/<pid>/status")
}

// ---- The fuzz corpus, replayed on stable ------------------------------------------

#[tokio::test]
async fn fuzz_corpus_token_verify() {
    let verifier = Verifier::new(verifier_config()).await.expect("verifier");
    let mut accepted = 0;
    for (name, seed) in seeds("token_verify") {
        let Ok(token) = std::str::from_utf8(&seed) else {
            continue;
        };
        let result = verifier.verify(token).await;
        accepted += usize::from(result.is_ok());
        eprintln!(
            "{name}: {:?}",
            result.as_ref().map(|_| "ok").map_err(|e| e.reason())
        );
        check_verdict(&verifier, &name, token, result).await;
    }
    assert!(accepted >= 2, "the seeds include valid tokens");
}

#[tokio::test]
async fn fuzz_corpus_token_signed() {
    let verifier = Verifier::new(verifier_config()).await.expect("verifier");
    let mut accepted = 0;
    for (name, seed) in seeds("token_signed") {
        let (header, payload) = match seed.iter().position(|&b| b == b'\n') {
            Some(at) => (&seed[..at], &seed[at + 1..]),
            None => (&seed[..], &b""[..]),
        };
        let (Ok(header), Ok(payload)) = (std::str::from_utf8(header), std::str::from_utf8(payload))
        else {
            continue;
        };
        let token = sign_raw(header, payload, &Signer::Rsa(DevKey::One));
        let result = verifier.verify(&token).await;
        accepted += usize::from(result.is_ok());
        check_verdict(&verifier, &name, &token, result).await;
    }
    assert!(accepted >= 2, "the seeds include valid claims");
}

#[test]
fn fuzz_corpus_jwks_parse() {
    let mut parsed = 0;
    for (name, seed) in seeds("jwks_parse") {
        let Ok(set) = KeySet::parse(&seed) else {
            continue;
        };
        parsed += 1;
        checks::check_key_set(&name, &set);
    }
    assert!(parsed >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzz_corpus_authorizer_event() {
    let function = authorizer_launch().start().await;
    for (name, event) in json_seeds("authorizer_event") {
        let outcome = function.invoke(event.clone()).await.outcome;
        assert_not_a_panic(&outcome);
        match &outcome {
            Outcome::Error(report) => assert!(
                ["Unauthorized", "InvalidEvent"].contains(&report.error_type.as_str()),
                "{name}: {report:?}"
            ),
            Outcome::Response(answer) if event["version"] == "2.0" => {
                assert!(answer["isAuthorized"].is_boolean(), "{name}: {answer}");
            }
            Outcome::Response(answer) => checks::check_policy_answer(&name, answer),
        }
    }
    assert_still_serves(&function).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzz_corpus_authorizer_rules() {
    let token = fuzz_token(&["admins"]).build();
    for (name, seed) in seeds("authorizer_rules") {
        let Ok(rules) = String::from_utf8(seed) else {
            continue;
        };
        if !rules.trim_start().starts_with(['[', '{']) || rules.contains('\0') {
            continue;
        }
        let mut function = Launch::new("authorizer")
            .envs(env_file("verifier"))
            .env("AUTHZ_RULES", &rules)
            .start()
            .await;
        let first = function
            .wait_for_log(|line| line.contains("init failed") || line.contains("from JWKS_FILE"))
            .await;
        if first.contains("init failed") {
            let report = function.init_error().await;
            assert_eq!(report.error_type, "ConfigError", "{name}");
            assert!(
                report.error_message.starts_with("AUTHZ_RULES: "),
                "{name}: {report:?}"
            );
        } else {
            let outcome = function
                .invoke(token_event(&format!("Bearer {token}"), "GET", "/pets/42"))
                .await
                .outcome;
            let Outcome::Response(answer) = outcome else {
                panic!("{name}: a verified caller gets a policy, got {outcome:?}");
            };
            assert!(!policy_effect(&answer).is_empty(), "{name}");
            // And an HTTP API 2.0 route, decided by the route rules.
            let answer = function
                .respond(http2_event(&format!("Bearer {token}")))
                .await;
            assert!(answer["isAuthorized"].is_boolean(), "{name}: {answer}");
            function.assert_no_panic();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzz_corpus_pre_sign_up_event() {
    for env in ["pre-sign-up-a", "pre-sign-up-b"] {
        let function = Launch::new("pre-sign-up").envs(env_file(env)).start().await;
        for (name, event) in json_seeds("pre_sign_up_event") {
            match function.invoke(event.clone()).await.outcome {
                Outcome::Response(returned) => {
                    checks::assert_envelope_kept(&name, &event, &returned);
                }
                Outcome::Error(report) => {
                    assert!(!report.error_message.starts_with("Lambda panicked"));
                    assert!(!report.error_message.contains('@'), "{name}: {report:?}");
                }
            }
        }
        function.assert_no_panic();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzz_corpus_post_confirmation_event() {
    // As the target: the handler with nothing to provision (no AWS call) ...
    let function = Launch::new("post-confirmation")
        .envs(env_file("post-confirmation"))
        .start()
        .await;
    for (name, event) in json_seeds("post_confirmation_event") {
        let outcome = function.invoke(event.clone()).await.outcome;
        assert_not_a_panic(&outcome);
        if let Outcome::Response(returned) = outcome {
            assert_eq!(returned, event, "{name}: returned as sent");
        }
    }
    function.assert_no_panic();
    // ... and the provisioning plan, which the binary builds before calling
    // AWS: here a closed port, so every planned call fails cleanly.
    let function = Launch::new("post-confirmation")
        .envs(env_file("post-confirmation-plan"))
        .env(
            "AWS_ENDPOINT_URL",
            format!("http://127.0.0.1:{}", free_port()),
        )
        .start()
        .await;
    for (name, event) in json_seeds("post_confirmation_event") {
        let outcome = function.invoke(event.clone()).await.outcome;
        assert_not_a_panic(&outcome);
        if let Outcome::Error(report) = &outcome {
            assert!(
                ["MalformedEvent", "AwsUnreachable", "AwsTimeout"]
                    .contains(&report.error_type.as_str()),
                "{name}: {report:?}"
            );
        }
    }
    function.assert_no_panic();
}

#[test]
fn fuzz_corpus_user_migration_hash() {
    // As the target: reading and pricing never panic, and an error never
    // quotes the salt or the hash (the verification itself is the crates').
    use user_migration::hash::{StoredHash, check_cost};
    for (name, bytes) in seeds("user_migration_hash") {
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        match StoredHash::parse(text) {
            Ok(hash) => {
                let _ = check_cost(hash.cost_params(), 1_769, 5);
            }
            Err(error) => {
                let said = error.to_string();
                for part in text.split('$').skip(2).filter(|part| part.len() >= 8) {
                    assert!(
                        !said.contains(part),
                        "{name}: the error quotes the hash: {said}"
                    );
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzz_corpus_user_migration_event() {
    // Through the binary, the legacy table behind a closed port: an event of
    // another source comes back as sent; a migration source fails cleanly
    // (the store unreachable, or the event malformed), never a panic.
    let function = Launch::new("user-migration")
        .envs(env_file("user-migration"))
        .env(
            "AWS_ENDPOINT_URL",
            format!("http://127.0.0.1:{}", free_port()),
        )
        .start()
        .await;
    for (name, event) in json_seeds("user_migration_event") {
        let outcome = function.invoke(event.clone()).await.outcome;
        assert_not_a_panic(&outcome);
        match &outcome {
            Outcome::Response(returned) => assert_eq!(returned, &event, "{name}"),
            Outcome::Error(report) => assert!(
                ["MalformedEvent", "AwsUnreachable", "AwsTimeout"]
                    .contains(&report.error_type.as_str()),
                "{name}: {report:?}"
            ),
        }
    }
    function.assert_no_panic();
}

fn custom_message_launch() -> Launch {
    Launch::new("custom-message").envs(env_file("custom-message"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzz_corpus_custom_message_event() {
    let function = custom_message_launch().start().await;
    for (name, event) in json_seeds("custom_message_event") {
        let outcome = function.invoke(event.clone()).await.outcome;
        assert_not_a_panic(&outcome);
        if let Outcome::Response(returned) = outcome {
            checks::check_custom_message(&name, &event, &returned);
        }
    }
    function.assert_no_panic();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzz_corpus_custom_message_attributes() {
    let function = custom_message_launch().start().await;
    for (name, seed) in json_seeds("custom_message_attributes") {
        let Value::Object(mut attributes) = seed else {
            continue;
        };
        let client_metadata = attributes.remove("clientMetadata").unwrap_or(Value::Null);
        for source in checks::CUSTOM_MESSAGE_SOURCES {
            let event = checks::attributes_event(
                source,
                Value::Object(attributes.clone()),
                client_metadata.clone(),
            );
            let returned = function.respond(event.clone()).await;
            checks::check_custom_message(&format!("{name} {source}"), &event, &returned);
        }
    }
    function.assert_no_panic();
}

// ---- Tokens over the size cap ------------------------------------------------------

/// The token with a `pad` claim of `n` bytes.
fn padded(base: &TokenBuilder, n: usize) -> String {
    base.clone().claim("pad", "p".repeat(n)).build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_over_the_size_cap_is_refused_and_one_at_the_cap_is_not() {
    let function = authorizer_launch().start().await;
    let base = fuzz_token(&["admins"]);
    // The largest padding that keeps the token within the cap.
    let (mut low, mut high) = (0, MAX_TOKEN_BYTES);
    while low < high {
        let middle = (low + high).div_ceil(2);
        if padded(&base, middle).len() <= MAX_TOKEN_BYTES {
            low = middle;
        } else {
            high = middle - 1;
        }
    }
    let at_cap = padded(&base, low);
    let over_cap = padded(&base, low + 3);
    assert!(at_cap.len() <= MAX_TOKEN_BYTES && at_cap.len() > MAX_TOKEN_BYTES - 4);
    assert!(over_cap.len() > MAX_TOKEN_BYTES);

    assert_allowed(get_pets_1(&function, &at_cap).await);
    assert_unauthorized(get_pets_1(&function, &over_cap).await);
    // HTTP API 2.0 says no the other way.
    let answer = function
        .respond(http2_event(&format!("Bearer {over_cap}")))
        .await;
    assert_eq!(answer, json!({"isAuthorized": false}));
    // A mebibyte of credential, as far past API Gateway's 10 KB header cap
    // as an event can be: refused the same way, before any decoding.
    let huge = format!("Bearer {}", "A".repeat(1 << 20));
    let invoked = function.invoke(token_event(&huge, "GET", "/pets/1")).await;
    assert_unauthorized(invoked.outcome);
    let refusals = function
        .logs()
        .iter()
        .filter(|line| line.contains("\"reason\":\"token_too_large\""))
        .count();
    assert!(refusals >= 2, "{refusals} token_too_large lines");
    assert_still_serves(&function).await;
}

// ---- A header with 10,000 members -------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jose_header_with_10000_members_is_refused_by_the_size_cap() {
    let function = authorizer_launch().start().await;
    let mut header = Map::new();
    header.insert("kid".into(), json!("dev-key-1"));
    header.insert("alg".into(), json!("RS256"));
    for index in 0..10_000 {
        header.insert(format!("m{index}"), json!(index));
    }
    let payload = fuzz_token(&[]).claims().clone();
    let token = sign_raw(
        &Value::Object(header).to_string(),
        &Value::Object(payload).to_string(),
        &Signer::Rsa(DevKey::One),
    );
    assert!(token.len() > MAX_TOKEN_BYTES);
    assert_unauthorized(get_pets_1(&function, &token).await);
    function
        .wait_for_log_containing("\"reason\":\"token_too_large\"")
        .await;

    // Under the cap, as many members as fit: decoded, parsed, and the token
    // still verifies (unknown header members are ignored, RFC 7515).
    let mut header = Map::new();
    header.insert("kid".into(), json!("dev-key-1"));
    header.insert("alg".into(), json!("RS256"));
    for index in 0..500 {
        header.insert(format!("m{index}"), json!(0));
    }
    let token = sign_raw(
        &Value::Object(header).to_string(),
        &Value::Object(fuzz_token(&[]).claims().clone()).to_string(),
        &Signer::Rsa(DevKey::One),
    );
    assert!(token.len() <= MAX_TOKEN_BYTES, "{}", token.len());
    assert_allowed(get_pets_1(&function, &token).await);
    assert_still_serves(&function).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_with_10000_http_headers_is_read_and_a_repeated_credential_refused() {
    let function = authorizer_launch().start().await;
    let token = fuzz_token(&["admins"]).build();
    let sample = workspace_root().join("events/authorizer/request-allow.json");
    let mut event: Value =
        serde_json::from_str(&std::fs::read_to_string(sample).expect("read")).expect("parse");
    let mut headers = Map::new();
    let mut multi = Map::new();
    for index in 0..10_000 {
        headers.insert(format!("X-Filler-{index}"), json!("v"));
        multi.insert(format!("X-Filler-{index}"), json!(["v"]));
    }
    headers.insert("Authorization".into(), json!(format!("Bearer {token}")));
    multi.insert("Authorization".into(), json!([format!("Bearer {token}")]));
    event["headers"] = Value::Object(headers.clone());
    event["multiValueHeaders"] = Value::Object(multi);
    assert_allowed(function.invoke(event.clone()).await.outcome);

    // Every casing of `authorization` that fits in one object (2^13 of them):
    // ambiguous, so refused, and counted in one pass.
    let mut variants = Map::new();
    for bits in 0u32..(1 << 13) {
        let name: String = "authorization"
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if bits >> i & 1 == 1 {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect();
        variants.insert(name, json!(format!("Bearer {token}")));
    }
    event["headers"] = Value::Object(variants);
    event["multiValueHeaders"] = Value::Null;
    assert_unauthorized(function.invoke(event).await.outcome);
    function
        .wait_for_log_containing("\"reason\":\"ambiguous_token_header\"")
        .await;
    assert_still_serves(&function).await;
}

// ---- Deeply nested JSON -----------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deeply_nested_json_is_refused_without_a_stack_overflow() {
    let function = authorizer_launch().start().await;
    let claims = Value::Object(fuzz_token(&[]).claims().clone()).to_string();
    let deep = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));

    // In the JOSE header and in the payload, as deep as the size cap allows.
    let header = format!(r#"{{"kid":"dev-key-1","alg":"RS256","x":{}}}"#, deep(2_000));
    let token = sign_raw(&header, &claims, &Signer::Rsa(DevKey::One));
    assert!(token.len() <= MAX_TOKEN_BYTES);
    assert_unauthorized(get_pets_1(&function, &token).await);
    let payload = format!("{},\"x\":{}}}", claims.trim_end_matches('}'), deep(2_000));
    let token = sign_raw(
        r#"{"kid":"dev-key-1","alg":"RS256"}"#,
        &payload,
        &Signer::Rsa(DevKey::One),
    );
    assert!(token.len() <= MAX_TOKEN_BYTES);
    assert_unauthorized(get_pets_1(&function, &token).await);
    let refusals = function
        .logs()
        .iter()
        .filter(|line| line.contains("\"reason\":\"invalid_json\""))
        .count();
    assert!(refusals >= 1, "no invalid_json refusal logged");

    // In the event: nested inside `headers`, the typed event does not parse
    // (a 401); past serde_json's depth limit of 128, lambda_runtime cannot
    // even read the event, and reports that as a failed invocation.
    let token = fuzz_token(&[]).build();
    let mut nested = json!("x");
    for _ in 0..100 {
        nested = json!([nested]);
    }
    let mut event = token_event(&format!("Bearer {token}"), "GET", "/pets/1");
    event["type"] = json!("REQUEST");
    event["headers"] = json!({"Authorization": format!("Bearer {token}"), "X-Deep": nested});
    assert_unauthorized(function.invoke(event).await.outcome);
    let mut nested = json!("x");
    for _ in 0..1_000 {
        nested = json!([nested]);
    }
    let mut event = token_event(&format!("Bearer {token}"), "GET", "/pets/1");
    event["extra"] = nested;
    let outcome = function.invoke(event).await.outcome;
    assert!(matches!(outcome, Outcome::Error(_)), "{outcome:?}");
    assert_not_a_panic(&outcome);
    assert_still_serves(&function).await;
}

// ---- A JWKS with 10,000 keys ---------------------------------------------------------

/// A key set of `count` copies of the development key, under kids `k0`,
/// `k1`, and so on.
fn dev_key_copies(count: usize) -> Value {
    let template = DevKey::One.jwk();
    let keys: Vec<Value> = (0..count)
        .map(|index| {
            let mut key = template.clone();
            key["kid"] = json!(format!("k{index}"));
            key
        })
        .collect();
    json!({ "keys": keys })
}

fn fetching_authorizer(server: &JwksServer) -> Launch {
    Launch::new("authorizer")
        .env("USER_POOL_ID", POOL)
        .env("APP_CLIENT_IDS", CLIENT)
        .env("JWKS_URL", server.url_template())
        .env("JWKS_COOLDOWN_SECONDS", "1")
}

/// 10,000 real-sized keys are 4 MB, far over the default 150 KB cap: the
/// fetch is cut off, nothing is cached, and tokens are refused as
/// `jwks_unavailable` without the binary growing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jwks_of_10000_full_keys_is_cut_off_at_the_size_cap() {
    let server = JwksServer::start(&dev_key_copies(10_000)).await;
    let function = fetching_authorizer(&server).start().await;
    let token = fuzz_token(&[]).kid("k42").build();
    assert_unauthorized(get_pets_1(&function, &token).await);
    function
        .wait_for_log_containing("\"reason\":\"jwks_too_large\"")
        .await;
    assert!(server.requests() >= 1);
    assert_peak_rss_under_256_mib(&function);
    function.assert_no_panic();
}

/// With the cap raised to its 1 MB maximum, 10,000 small unusable keys and
/// the real one: the set parses, the real key verifies, each bad key is
/// skipped, and unknown kids are still refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jwks_of_10000_keys_within_the_cap_keeps_only_usable_ones() {
    let mut keys: Vec<Value> = (0..10_000)
        .map(|index| json!({"kty": "RSA", "kid": format!("k{index}"), "n": "AQAB", "e": "AQAB"}))
        .collect();
    keys.push(DevKey::One.jwk());
    let server = JwksServer::start(&json!({ "keys": keys })).await;
    let function = fetching_authorizer(&server)
        .env("JWKS_MAX_BYTES", "1048576")
        .start()
        .await;
    let good = fuzz_token(&[]).build();
    assert_allowed(get_pets_1(&function, &good).await);
    let bad = fuzz_token(&[]).kid("k7").build();
    assert_unauthorized(get_pets_1(&function, &bad).await);
    assert_eq!(
        server.requests(),
        1,
        "one fetch: the unknown kid is in cooldown"
    );
    let skipped = function
        .logs()
        .iter()
        .filter(|line| line.contains("skipping a JWKS key"))
        .count();
    eprintln!("{skipped} skipped-key warnings for one fetch");
    assert!(skipped >= 1);
    assert_peak_rss_under_256_mib(&function);
    function.assert_no_panic();
}

/// As many full-sized keys as the 1 MB maximum holds (2,000), all usable:
/// a token signed with the last one verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jwks_of_2000_usable_keys_verifies_with_any_of_them() {
    let server = JwksServer::start(&dev_key_copies(2_000)).await;
    let function = fetching_authorizer(&server)
        .env("JWKS_MAX_BYTES", "1048576")
        .start()
        .await;
    let token = fuzz_token(&[]).kid("k1999").build();
    assert_allowed(get_pets_1(&function, &token).await);
    assert_eq!(server.requests(), 1);
    function.assert_no_panic();
}

// ---- AUTHZ_RULES with 10,000 rules -----------------------------------------------------

fn many_rules(count: usize) -> String {
    let rules: Vec<Value> = (0..count)
        .map(|index| {
            if index % 2 == 0 {
                json!({"method": "GET", "path": format!("/r{index}/{{id}}")})
            } else {
                json!({"path": format!("/r{index}/{{proxy+}}"), "anyGroups": ["admins"]})
            }
        })
        .collect();
    Value::Array(rules).to_string()
}

/// A rules file in `target/tmp`: 10,000 rules cannot be inline, since
/// Linux caps one environment string at 128 KiB (and Lambda caps all of a
/// function's variables at 4 KB).
fn rules_file(name: &str, text: &str) -> PathBuf {
    let dir = target_dir().join("tmp");
    std::fs::create_dir_all(&dir).expect("target/tmp");
    let path = dir.join(format!("abuse-{name}-{}.json", std::process::id()));
    std::fs::write(&path, text).expect("write the rules");
    path
}

/// The init error of the authorizer with `AUTHZ_RULES` pointing at
/// `path`, which is removed afterwards.
async fn init_error_with_rules_file(path: &std::path::Path) -> ErrorReport {
    let mut function = authorizer_launch()
        .env("AUTHZ_RULES", path.display().to_string())
        .start()
        .await;
    let report = function.init_error().await;
    let _ = std::fs::remove_file(path);
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authz_rules_with_10000_rules_fail_init_with_a_clear_message() {
    let rules: Vec<Value> = (0..10_000)
        .map(|index| json!({"path": format!("/r{index}/{{id}}")}))
        .collect();
    let rules = Value::Array(rules).to_string();
    assert!(
        rules.len() < 256 * 1024,
        "under the byte cap: the count is what fails"
    );
    let path = rules_file("10000-rules", &rules);
    let report = init_error_with_rules_file(&path).await;
    assert_eq!(report.error_type, "ConfigError");
    assert_eq!(
        report.error_message,
        "AUTHZ_RULES: has more than 1000 rules; at most 1000 are allowed"
    );
}

/// 1,000 rules cannot share one stage-wide policy within API Gateway's 8 KB:
/// the `stage` scope refuses them at init, naming the `route` scope, which
/// starts and decides.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authz_rules_with_1000_rules_start_and_decide() {
    let mut refused = authorizer_launch()
        .env("AUTHZ_POLICY_SCOPE", "stage")
        .env("AUTHZ_RULES", many_rules(1_000))
        .start()
        .await;
    let report = refused.init_error().await;
    assert!(
        report
            .error_message
            .starts_with("AUTHZ_RULES: can produce a stage-wide policy of")
            && report.error_message.contains("AUTHZ_POLICY_SCOPE=route"),
        "{report:?}"
    );

    let function = authorizer_launch()
        .env("AUTHZ_POLICY_SCOPE", "route")
        .env("AUTHZ_RULES", many_rules(1_000))
        .start()
        .await;
    let admin = fuzz_token(&["admins"]).build();
    let user = fuzz_token(&["users"]).build();
    let answer = assert_allowed(
        function
            .invoke(token_event(&format!("Bearer {admin}"), "GET", "/r998/7"))
            .await
            .outcome,
    );
    assert!(serde_json::to_vec(&answer).unwrap().len() <= 8000);
    // A plain user is refused where only admins may go.
    let answer = function
        .respond(token_event(&format!("Bearer {user}"), "DELETE", "/r1/x"))
        .await;
    let effects = policy_effect(&answer);
    assert!(
        effects.iter().all(|(effect, _)| effect == "Deny"),
        "{effects:?}"
    );
    // Still serving (`/pets/1`, which `assert_still_serves` asks for, is
    // named by none of these rules).
    assert_allowed(
        function
            .invoke(token_event(&format!("Bearer {admin}"), "GET", "/r996/8"))
            .await
            .outcome,
    );
    function.assert_no_panic();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authz_rules_file_over_the_byte_cap_fails_init() {
    let padding = " ".repeat(4 * 1024 * 1024);
    let path = rules_file("huge", &format!("[{padding}{{\"path\":\"/x\"}}]"));
    let report = init_error_with_rules_file(&path).await;
    assert_eq!(report.error_type, "ConfigError");
    assert!(
        report.error_message.starts_with("AUTHZ_RULES: "),
        "{report:?}"
    );
}
