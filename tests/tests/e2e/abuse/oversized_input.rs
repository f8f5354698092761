//! # Oversized and hostile input
//!
//! Oversized and hostile input must be refused cleanly, cheaply and without
//! taking the sandbox down: each test ends by checking the binary still
//! answers and never logged a panic. Behaviour is asserted, not timing.

use std::path::PathBuf;

use cognito_auth_core::token::MAX_TOKEN_BYTES;
use e2e_tests::jwks_server::JwksServer;
use e2e_tests::runtime_api::{ErrorReport, target_dir};
use e2e_tests::tokens::{DevKey, Signer, sign_raw};
use serde_json::Map;

use super::*;

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
