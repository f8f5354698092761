//! Structured JSON logs through `tracing`, one object per line on stdout,
//! which is what CloudWatch Logs and Lambda's JSON log format expect.
//!
//! lambda_runtime wraps every invocation in a span that carries `requestId`;
//! the span list is printed with each line, so every log line of an
//! invocation can be found by its request id.
//!
//! The level comes from `AWS_LAMBDA_LOG_LEVEL` (set by Lambda's advanced
//! logging controls) or else `RUST_LOG`, and defaults to `info`.
//!
//! What must never be logged: tokens, Authorization headers, passwords,
//! verification codes. Call sites log reason codes and identifiers instead.
//! Two dependencies print payloads at TRACE level: lambda_runtime every raw
//! event (bearer tokens included), and the AWS SDK every request body (the
//! `ListUsers` email filter, the profile item). Both are capped at DEBUG
//! whatever level is asked for.

use std::borrow::Cow;

use tracing_subscriber::EnvFilter;

use crate::config::{LOG_LEVEL, RUST_LOG};

/// Installs the JSON subscriber. Safe to call more than once: later calls are
/// no-ops, which keeps tests that build several handlers simple.
pub fn init() {
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(level_filter())
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(true)
        .with_target(true)
        .with_ansi(false)
        .with_writer(std::io::stdout)
        .try_init();
}

fn level_filter() -> EnvFilter {
    // Read before `Env` exists, so that the init that reads the rest of the
    // configuration is itself logged at the right level. Both names are
    // declared in `config` (`LOG_LEVEL`, `RUST_LOG`); a value that is unset
    // or not UTF-8 gives the default level.
    #[expect(
        clippy::disallowed_methods,
        reason = "the log level is needed before the configuration is read"
    )]
    let directive = std::env::var(LOG_LEVEL.name)
        .or_else(|_| std::env::var(RUST_LOG.name))
        .unwrap_or_default();
    let directive = match directive.to_ascii_lowercase().as_str() {
        "" => "info".to_owned(),
        // Lambda's names for levels that `tracing` calls otherwise.
        "fatal" => "error".to_owned(),
        other => other.to_owned(),
    };
    let filter = EnvFilter::try_new(&directive).unwrap_or_else(|_| EnvFilter::new("info"));
    PAYLOAD_CAPS
        .iter()
        .filter_map(|cap| cap.parse().ok())
        .fold(filter, EnvFilter::add_directive)
}

/// Targets that log whole payloads at TRACE level, capped at DEBUG: the raw
/// event lambda_runtime receives (tokens included) and the request bodies the
/// AWS SDK sends (emails included).
const PAYLOAD_CAPS: [&str; 2] = [
    "lambda_runtime::layers::api_response=debug",
    "aws_smithy_runtime=debug",
];

/// A Cognito `userName` as it may appear in logs.
///
/// Usernames identify users in logs, but some of them are email addresses:
/// a pool that signs users in by username may hold `jane@example.com`, and a
/// federated username embeds the provider's subject, which for SAML is often
/// the address (`CorpSAML_jane@example.com`). Those are logged as a SHA-256
/// fingerprint (`sha256:` and the digest's first 16 hex digits), which still
/// lets an operator find every line about one user: hash the username the
/// same way. No prefix is kept, since in `jane_doe@example.com` it would be
/// part of the address. Other usernames (UUIDs, `Google_1234`) are logged as
/// they are.
pub fn loggable_user_name(user_name: &str) -> Cow<'_, str> {
    if !user_name.contains('@') {
        return Cow::Borrowed(user_name);
    }
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, user_name.as_bytes());
    let fingerprint: String = digest.as_ref()[..8]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    Cow::Owned(format!("sha256:{fingerprint}"))
}

#[cfg(test)]
mod tests {
    use super::{PAYLOAD_CAPS, loggable_user_name};

    #[test]
    fn usernames_that_hold_an_address_are_fingerprinted() {
        assert_eq!(loggable_user_name("Google_1234"), "Google_1234");
        assert_eq!(
            loggable_user_name("7f3b2c1a-5d4e-4f60-8a9b-0c1d2e3f4a5b"),
            "7f3b2c1a-5d4e-4f60-8a9b-0c1d2e3f4a5b"
        );
        for user_name in ["corpsaml_jane.doe@corp.example", "jane_doe@example.com"] {
            let logged = loggable_user_name(user_name);
            assert!(logged.starts_with("sha256:"), "{logged}");
            assert_eq!(logged.len(), "sha256:".len() + 16);
            assert!(!logged.contains("jane"));
        }
        // Deterministic, so lines about one user can be found together.
        assert_eq!(
            loggable_user_name("jane@example.com"),
            loggable_user_name("jane@example.com")
        );
    }

    #[test]
    fn every_payload_cap_parses() {
        for cap in PAYLOAD_CAPS {
            assert!(
                cap.parse::<tracing_subscriber::filter::Directive>().is_ok(),
                "{cap}"
            );
        }
    }
}
