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

use tracing_subscriber::EnvFilter;

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
    let directive = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
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

#[cfg(test)]
mod tests {
    use super::PAYLOAD_CAPS;

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
