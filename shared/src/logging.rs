//! Structured JSON logs through `tracing`, one object per line on stdout,
//! which is what CloudWatch Logs and Lambda's JSON log format expect.
//!
//! lambda_runtime wraps every invocation in a span that carries `requestId`;
//! the span list is printed with each line, so every log line of an
//! invocation can be found by its request id.
//!
//! The level comes from `RUST_LOG` (the template sets it from its
//! `LogLevel`) or else `AWS_LAMBDA_LOG_LEVEL` (what Lambda derives from the
//! function's `ApplicationLogLevel`), and defaults to `info`. `RUST_LOG`
//! comes first because Lambda's own filter cannot be the one that applies the
//! operator's level: with JSON logs it reads each line's `level`, takes a line
//! without one as INFO and drops it at WARN and above, and the metric lines
//! ([`crate::metrics`]) carry no `level` (none would be true: they are not
//! log events). So the template keeps `ApplicationLogLevel` at a level that
//! passes INFO, and the operator's level is applied here, where the metric
//! lines, written straight to stdout, are not subject to it.
//!
//! A refusal is not an error: lambda_runtime logs every error a handler
//! returns at ERROR (its Debug form, target `lambda_runtime::layers::panic`),
//! a 401 and a refused sign-up included. A function that has already logged
//! the error it returns, at the level it deserves, calls
//! [`error_already_logged`], and that one line of the runtime's is left out.
//! Every other handler error, and every panic, is still logged by the
//! runtime at ERROR.
//!
//! What must never be logged: tokens, Authorization headers, passwords,
//! verification codes. Call sites log reason codes and identifiers instead.
//! Dependencies print payloads at TRACE level: lambda_runtime every raw
//! event (bearer tokens included), the AWS SDK every request body (the
//! `ListUsers` email filter, the profile item), aws-sigv4 the canonical
//! request with the session token. So only this project's own crates log at
//! TRACE ([`OWN_TARGETS`]); every dependency is capped at DEBUG whatever
//! level is asked for.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::config::{Optional, Text, declare};

declare! {
    /// Log level when `RUST_LOG` is unset, set by Lambda from the function's
    /// `ApplicationLogLevel`. `fatal` reads as `error`. Dependencies (which print tokens and
    /// request bodies at `trace`) stay capped at `debug`.
    pub AWS_LAMBDA_LOG_LEVEL: Text = Text { default: "info" }, example "`debug`", set_by_lambda;
    /// Log level or `tracing` filter; the template sets it from `LogLevel`, and it wins over
    /// `AWS_LAMBDA_LOG_LEVEL`. Metric lines are printed at every level. Dependencies stay capped
    /// at `debug`; `trace` applies to this project's own crates.
    pub RUST_LOG: Optional = Optional, unset "`AWS_LAMBDA_LOG_LEVEL`'s",
        example "`info,authorizer=debug`";
}

/// Installs the JSON subscriber. Safe to call more than once: later calls are
/// no-ops, which keeps tests that build several handlers simple.
pub fn init() {
    init_with_writer(std::io::stdout);
}

/// [`init`], writing each line to `writer` instead of stdout: the same
/// filter, format and layers. For benchmarks, which time the log lines a
/// function writes without a terminal or pipe behind them (`std::io::sink`).
pub fn init_with_writer<W>(writer: W)
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(level_filter())
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(true)
        .with_target(true)
        .with_ansi(false)
        .with_writer(writer)
        .finish()
        .with(QuietLoggedErrors(&ERROR_LOGGED))
        .with(DependencyTraceCap)
        .try_init();
}

/// Set by [`error_already_logged`], taken by the runtime's next handler
/// error line.
static ERROR_LOGGED: AtomicBool = AtomicBool::new(false);

/// Says that the error the current invocation is about to return has been
/// logged by the function itself: a refusal at INFO or WARN with its reason,
/// or a failure at ERROR with what the runtime's Debug form would not say.
/// lambda_runtime's own ERROR line for that error is then left out, so that
/// a 401 or a refused sign-up writes no ERROR line. Call it just before
/// returning the error; [`invocation_started`] forgets a mark the runtime
/// never used.
pub fn error_already_logged() {
    ERROR_LOGGED.store(true, Ordering::Relaxed);
}

/// Forgets a mark of [`error_already_logged`] left by the last invocation
/// (one whose error line the level filter had already dropped). Called by
/// [`crate::metrics::Metrics::recorder`], which every invocation starts with.
pub fn invocation_started() {
    ERROR_LOGGED.store(false, Ordering::Relaxed);
}

/// Where lambda_runtime 1.x logs a handler's error (`error!("{error:?}")`
/// in `CatchPanicFuture::poll`) and a panic (`error!(?error, "user handler
/// panicked")`).
const RUNTIME_ERROR_TARGET: &str = "lambda_runtime::layers::panic";

/// Whether `metadata` is lambda_runtime's line for a handler's error: the
/// catch layer's ERROR event whose only field is the message. Its panic
/// lines carry an `error` field too, and are never matched.
fn is_runtime_error_line(metadata: &tracing::Metadata<'_>) -> bool {
    metadata.target() == RUNTIME_ERROR_TARGET
        && *metadata.level() == Level::ERROR
        && metadata
            .fields()
            .iter()
            .all(|field| field.name() == "message")
}

/// Leaves out lambda_runtime's ERROR line for an error the function marked
/// with [`error_already_logged`] (the flag: [`ERROR_LOGGED`], or a test's).
struct QuietLoggedErrors(&'static AtomicBool);

impl<S: Subscriber> Layer<S> for QuietLoggedErrors {
    fn event_enabled(&self, event: &Event<'_>, _: Context<'_, S>) -> bool {
        // The mark is taken only by the line it is for.
        !(is_runtime_error_line(event.metadata()) && self.0.swap(false, Ordering::Relaxed))
    }
}

fn level_filter() -> EnvFilter {
    // Read before `Env` exists, so that the init that reads the rest of the
    // configuration is itself logged at the right level. Both names are
    // declared in `config` (`AWS_LAMBDA_LOG_LEVEL`, `RUST_LOG`); a value that is unset
    // or not UTF-8 gives the default level.
    #[expect(
        clippy::disallowed_methods,
        reason = "the log level is needed before the configuration is read"
    )]
    let directive = std::env::var(RUST_LOG.name)
        .ok()
        .filter(|value| !value.trim().is_empty())
        .or_else(|| std::env::var(AWS_LAMBDA_LOG_LEVEL.name).ok())
        .unwrap_or_default();
    let directive = match directive.to_ascii_lowercase().as_str() {
        "" => "info".to_owned(),
        // Lambda's names for levels that `tracing` calls otherwise.
        "fatal" => "error".to_owned(),
        other => other.to_owned(),
    };
    level_filter_for(&directive)
}

/// The level filter for a `RUST_LOG`-style directive; `info` for one that
/// does not parse. It only selects: the payload cap is a layer of its own
/// ([`DependencyTraceCap`]), because a cap written as a directive
/// (`aws_smithy_runtime=debug`) is the most specific one for its target
/// and so also raises it, from the default `info` to DEBUG: every SDK call
/// then logged a dozen DEBUG lines.
fn level_filter_for(directive: &str) -> EnvFilter {
    EnvFilter::try_new(directive).unwrap_or_else(|_| EnvFilter::new("info"))
}

/// The targets that may log at TRACE: this project's own crates (their
/// target is the crate's name, `-` written `_`). A dependency stops at
/// DEBUG, because dependencies print payloads at TRACE: lambda_runtime the
/// raw event (bearer tokens included), the AWS SDK every request body (the
/// `ListUsers` email filter, the profile item, a mail), and aws-sigv4 the
/// canonical request it signs, whose `x-amz-security-token` header is the
/// function's session token. A list of what may, not of what may not:
/// a dependency that starts printing payloads at TRACE is capped already.
/// The end-to-end suite checks that every function crate is listed.
pub const OWN_TARGETS: [&str; 13] = [
    "cognito_auth_core",
    "authorizer",
    "pre_sign_up",
    "post_confirmation",
    "pre_token_generation",
    "custom_message",
    "revocation_recorder",
    "sign_out",
    "pre_authentication",
    "post_authentication",
    "user_migration",
    "custom_sender",
    "deploy_keys",
];

/// Leaves out every TRACE line but those of [`OWN_TARGETS`], whatever level
/// is asked for, and nothing else: it can only take lines away, never
/// enable one.
struct DependencyTraceCap;

impl DependencyTraceCap {
    fn is_dependency_trace(metadata: &tracing::Metadata<'_>) -> bool {
        *metadata.level() == Level::TRACE && !is_own_target(metadata.target())
    }
}

/// Whether `target` is one of this project's crates or a module of one;
/// custom-sender's bootstrap crate (`custom_sender_bootstrap`) counts as
/// custom-sender.
pub fn is_own_target(target: &str) -> bool {
    let crate_name = target.split("::").next().unwrap_or_default();
    let crate_name = crate_name.strip_suffix("_bootstrap").unwrap_or(crate_name);
    OWN_TARGETS.contains(&crate_name)
}

impl<S: Subscriber> Layer<S> for DependencyTraceCap {
    fn enabled(&self, metadata: &tracing::Metadata<'_>, _: Context<'_, S>) -> bool {
        !Self::is_dependency_trace(metadata)
    }
}

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
    use super::*;
    use std::sync::{Arc, Mutex};

    /// What a subscriber built like [`init`]'s, with its own flag, prints
    /// while `emit` runs.
    fn printed(flag: &'static AtomicBool, emit: impl FnOnce()) -> Vec<String> {
        let sink = Sink::default();
        let writer = sink.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_target(true)
            .with_writer(move || writer.clone())
            .finish()
            .with(QuietLoggedErrors(flag));
        tracing::subscriber::with_default(subscriber, emit);
        sink.lines()
    }

    /// Log lines written in memory.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Sink {
        fn lines(&self) -> Vec<String> {
            let text = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
            text.lines().map(str::to_owned).collect()
        }
    }

    impl std::io::Write for Sink {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// As lambda_runtime 1.x's catch layer logs a handler's error and a
    /// panic (`layers/panic.rs`).
    fn runtime_error_line() {
        tracing::error!(target: "lambda_runtime::layers::panic", "{}", "Unauthorized");
    }
    fn runtime_panic_line() {
        tracing::error!(target: "lambda_runtime::layers::panic", error = ?"boom", "user handler panicked");
    }

    #[test]
    fn only_the_runtime_line_of_an_error_already_logged_is_left_out() {
        static FLAG: AtomicBool = AtomicBool::new(false);
        let lines = printed(&FLAG, || {
            // Not marked: a failure the function did not log is kept.
            runtime_error_line();
            // Marked: the function's own line stays, the runtime's goes,
            // and the mark is used up by it.
            FLAG.store(true, Ordering::Relaxed);
            tracing::info!(reason = "token_expired", "unauthorized");
            runtime_error_line();
            runtime_error_line();
            // A panic is always logged, marked or not; the mark waits for
            // the line it is for.
            FLAG.store(true, Ordering::Relaxed);
            runtime_panic_line();
            tracing::error!("an error of the function's own");
        });
        let messages: Vec<&str> = lines
            .iter()
            .map(|line| {
                let record: serde_json::Value = serde_json::from_str(line).unwrap();
                record["message"].as_str().unwrap_or_default().to_owned()
            })
            .map(|message| match message.as_str() {
                "Unauthorized" => "runtime",
                "unauthorized" => "ours",
                "user handler panicked" => "panic",
                "an error of the function's own" => "own error",
                _ => "other",
            })
            .collect();
        assert_eq!(
            messages,
            ["runtime", "ours", "runtime", "panic", "own error"],
            "{lines:#?}"
        );
        // The last mark is still there, for the runtime line it was for.
        assert!(FLAG.load(Ordering::Relaxed));
    }

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

    /// What a subscriber built like [`init_with_writer`]'s (the filter for
    /// `directive` and the payload cap) prints of one line at each level for
    /// `target`.
    fn levels_printed(directive: &str, target: &'static str) -> Vec<String> {
        static UNUSED: AtomicBool = AtomicBool::new(false);
        let sink = Sink::default();
        let writer = sink.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_env_filter(level_filter_for(directive))
            .with_target(true)
            .with_writer(move || writer.clone())
            .finish()
            .with(QuietLoggedErrors(&UNUSED))
            .with(DependencyTraceCap);
        tracing::subscriber::with_default(subscriber, || {
            // A callsite's target is fixed at compile time; one per target.
            macro_rules! each_level {
                ($target:literal) => {{
                    tracing::trace!(target: $target, "trace");
                    tracing::debug!(target: $target, "debug");
                    tracing::info!(target: $target, "info");
                }};
            }
            match target {
                "aws_smithy_runtime::client::orchestrator" => {
                    each_level!("aws_smithy_runtime::client::orchestrator")
                }
                "aws_smithy_runtime_api::client::interceptors" => {
                    each_level!("aws_smithy_runtime_api::client::interceptors")
                }
                "lambda_runtime::layers::api_response" => {
                    each_level!("lambda_runtime::layers::api_response")
                }
                "aws_sigv4::http_request::sign" => each_level!("aws_sigv4::http_request::sign"),
                "authorizer" => each_level!("authorizer"),
                "custom_sender_bootstrap::decrypt" => {
                    each_level!("custom_sender_bootstrap::decrypt")
                }
                "authorizer_lookalike" => each_level!("authorizer_lookalike"),
                other => panic!("no callsites for {other}"),
            }
        });
        sink.lines()
            .iter()
            .map(|line| {
                let record: serde_json::Value = serde_json::from_str(line).unwrap();
                record["fields"]["message"]
                    .as_str()
                    .or(record["message"].as_str())
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect()
    }

    #[test]
    fn the_payload_cap_removes_trace_lines_and_never_raises_a_level() {
        const SDK: &str = "aws_smithy_runtime::client::orchestrator";
        const SDK_API: &str = "aws_smithy_runtime_api::client::interceptors";
        const EVENTS: &str = "lambda_runtime::layers::api_response";
        // The default level: the SDK's DEBUG lines stay out (a directive
        // cap of `aws_smithy_runtime=debug` let them in).
        for target in [SDK, SDK_API, EVENTS, "authorizer"] {
            assert_eq!(levels_printed("info", target), ["info"], "{target}");
        }
        // TRACE asked for: dependencies stop at DEBUG (aws-sigv4 prints the
        // session token at TRACE), this project's crates do not.
        const SIGV4: &str = "aws_sigv4::http_request::sign";
        for target in [SDK, SDK_API, EVENTS, SIGV4, "authorizer_lookalike"] {
            assert_eq!(
                levels_printed("trace", target),
                ["debug", "info"],
                "{target}"
            );
        }
        for target in ["authorizer", "custom_sender_bootstrap::decrypt"] {
            assert_eq!(
                levels_printed("trace", target),
                ["trace", "debug", "info"],
                "{target}"
            );
        }
        // And per target: asking TRACE of the SDK alone gives DEBUG.
        assert_eq!(
            levels_printed("info,aws_smithy_runtime=trace", SDK),
            ["debug", "info"]
        );
        assert_eq!(levels_printed("warn", SDK), Vec::<String>::new());
    }
}
