//! # The fuzz corpus on stable
//!
//! `fuzz/` (cargo fuzz, nightly) is not part of this workspace. So that CI
//! still exercises each target's code path on every committed seed, the
//! `fuzz_corpus_*` tests replay `fuzz/corpus/<target>/*` through the same
//! entry points with the same configuration (`fuzz/env/*.env`): the shared
//! crate's `Verifier` and `KeySet::parse` directly, and each function's
//! `handle` through its real binary and the Runtime API harness. They check
//! what the targets check, less whatever needs the functions' library types.

use cognito_auth_core::config::Env;
use cognito_auth_core::jwks::KeySet;
use cognito_auth_core::{Claims, Verifier, VerifierConfig, VerifyError};
use e2e_tests::moto::free_port;
use e2e_tests::tokens::{DevKey, Signer, sign_raw};

use super::*;

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
