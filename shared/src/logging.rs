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
//! lambda_runtime itself prints every raw event at TRACE level, which would
//! put bearer tokens in the logs, so that one event is capped at DEBUG
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
    match RAW_EVENT_CAP.parse() {
        Ok(cap) => filter.add_directive(cap),
        Err(_) => filter,
    }
}

/// Keeps lambda_runtime's "raw JSON event received" TRACE line (the whole
/// event, tokens included) out of the logs, whatever level is configured.
const RAW_EVENT_CAP: &str = "lambda_runtime::layers::api_response=debug";
