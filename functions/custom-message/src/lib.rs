//! Cognito custom-message trigger: branded, localised, HTML-safe messages.
//!
//! Cognito calls this function before it sends a verification code, a
//! password-reset code, an invitation or an MFA code. The function returns the
//! whole event with `response.emailSubject`, `emailMessage` (HTML) and
//! `smsMessage` set; a `null` keeps the pool's default text for that channel.
//! An unknown `triggerSource` is returned untouched.
//!
//! # Modules
//! - [`config`]: `APP_NAME`, `APP_URL`, `SUPPORT_EMAIL`, `DEFAULT_LOCALE`,
//!   `TEMPLATES_DIR`.
//! - [`templates`]: the catalogue (built-in and operator templates), locale
//!   resolution, the init checks. Its docs list what a template can use.
//! - [`message`]: one message from one event, with the fallback.
//! - [`notice`]: the account-takeover notice, a template kind that only
//!   the custom email sender sends (no `CustomMessage_*` source has it).
//! - [`limits`]: Cognito's limits and placeholder rules.
//! - [`locale`], [`source`]: small value types.
//!
//! # Why minijinja
//!
//! The templates must be HTML auto-escaped, and `TEMPLATES_DIR` loads the
//! operator's templates **at run time**, at init. That needs a run-time
//! engine. askama compiles templates into the binary at build time, so it
//! could serve the built-ins but not `TEMPLATES_DIR`: that would take a
//! second engine, or a rebuild of the function for every wording change.
//! minijinja parses at run time, auto-escapes by file name (`.html` escaped,
//! `.txt` not), and marks values as safe from Rust, which is exactly what the
//! placeholders need. Only three of its features are enabled:
//! `builtins` (filters such as `default`, `upper`, `trim` that operators
//! expect), `multi_template` (`{% extends "layout.html" %}`, so every body
//! shares one shell per language), and `fuel` (bounds a runaway operator
//! template, well within Cognito's 5-second budget). No serde, no debug
//! dumps, no Unicode identifier tables.
//!
//! Init parses every built-in file and renders each message template twice
//! to check it; `make bench` showed that this adds only a few milliseconds
//! to a cold start and keeps the binary and its memory small (figures in
//! docs/performance.md). Each built-in render uses under 100 units of
//! fuel.
#![deny(missing_docs)]

pub mod config;
pub mod error;
pub mod limits;
pub mod locale;
pub mod message;
pub mod notice;
pub mod source;
pub mod templates;

pub use error::FnError;

use cognito_auth_core::config::ConfigError;
use cognito_auth_core::function::Function;
use cognito_auth_core::metrics::{self, Metrics, Recorder};
use cognito_auth_core::trigger::TriggerEvent;
use lambda_runtime::LambdaEvent;
use serde_json::Value;

pub use config::{Brand, Config};
pub use message::{Composed, Step};
pub use source::Source;
pub use templates::{Catalog, Kind};

/// What the handler needs, built once at init.
#[derive(Debug)]
pub struct State {
    catalog: Catalog,
    metrics: Metrics,
}

/// The `Function` dimension of this crate's metrics.
pub const FUNCTION_NAME: &str = "custom-message";

/// The built-in locales, as `Locale` dimension values; any other (from
/// `TEMPLATES_DIR`) is counted as `other`, which keeps the dimension fixed.
const LOCALE_DIMENSIONS: [&str; 3] = ["en", "es", "pt"];

impl State {
    /// Loads and checks every template. A template that cannot produce a
    /// valid message fails init here, naming its file.
    pub fn new(config: Config) -> Result<State, ConfigError> {
        let catalog = Catalog::load(
            &config.brand,
            &config.default_locale,
            config.templates_dir.as_deref(),
        )?;
        tracing::info!(
            locales = ?catalog.locales().collect::<Vec<_>>(),
            templates_dir = config.templates_dir.is_some(),
            "templates loaded and checked"
        );
        let metrics = Metrics::new(config.metrics_namespace, FUNCTION_NAME);
        Ok(State { catalog, metrics })
    }

    /// The catalogue, for tools and tests.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }
}

impl Function for State {
    type Config = Config;
    type Error = FnError;

    async fn start(config: Config) -> Result<Self, ConfigError> {
        State::new(config)
    }

    /// The Lambda handler. Writes the metrics: messages by outcome
    /// (`rendered`, `fallback`, `passed_through`, `malformed`), fallback reason
    /// and locale.
    async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, FnError> {
        let state = self;
        let mut recorder = state.metrics.recorder_for(&event.context);
        let result = compose(state, event.payload, &mut recorder);
        recorder.flush();
        result
    }
}

/// The handler's logic, without the Lambda context.
pub fn respond(state: &State, payload: Value) -> Result<Value, FnError> {
    // Tools and tests: metrics recorded here are dropped unwritten.
    let mut recorder = state.metrics.recorder("", None);
    compose(state, payload, &mut recorder)
}

fn compose(state: &State, payload: Value, recorder: &mut Recorder<'_>) -> Result<Value, FnError> {
    let mut event = TriggerEvent::from_value(payload).map_err(|error| {
        tracing::error!(reason = error.reason, "malformed trigger event");
        recorder.count(metrics::MESSAGES, &[(metrics::OUTCOME, "malformed")], 1);
        FnError::Malformed(error)
    })?;
    let Some(source) = Source::from_trigger(event.trigger_source()) else {
        tracing::info!(
            trigger_source = event.trigger_source(),
            "not a custom-message source; returned untouched"
        );
        recorder.count(
            metrics::MESSAGES,
            &[(metrics::OUTCOME, "passed_through")],
            1,
        );
        return Ok(event.into_value());
    };
    let Some(code) = event
        .request_str("codeParameter")
        .filter(|code| !code.is_empty())
        .map(str::to_owned)
    else {
        // Cognito requires the code placeholder in every message, so without
        // it no valid message exists: leave the pool's defaults.
        tracing::error!(
            trigger_source = source.trigger(),
            sub = event.user_attribute("sub"),
            "event has no codeParameter; leaving the pool's default messages"
        );
        for channel in limits::Channel::ALL {
            event.set_response(channel.response_field(), Value::Null);
        }
        recorder.count(
            metrics::MESSAGES,
            &[
                (metrics::OUTCOME, "fallback"),
                (metrics::REASON, "no_code_parameter"),
            ],
            1,
        );
        return Ok(event.into_value());
    };

    let composed = message::compose(&state.catalog, source, &event, &code);
    let step = |channel: limits::Channel| {
        composed
            .texts
            .iter()
            .find(|(c, _, _)| *c == channel)
            .map_or("", |(_, _, step)| step.code())
    };
    tracing::info!(
        trigger_source = source.trigger(),
        sub = event.user_attribute("sub"),
        locale = composed.locale,
        email_subject = step(limits::Channel::Subject),
        email_message = step(limits::Channel::Email),
        sms_message = step(limits::Channel::Sms),
        "custom message composed"
    );
    record_message(recorder, &composed);
    for (channel, text, _) in composed.texts {
        event.set_response(
            channel.response_field(),
            text.map_or(Value::Null, Value::String),
        );
    }
    Ok(event.into_value())
}

/// `rendered` when every channel got its full message; otherwise
/// `fallback`, with the furthest fallback step as the reason.
fn record_message(recorder: &mut Recorder<'_>, composed: &Composed) {
    let locale = LOCALE_DIMENSIONS
        .iter()
        .find(|known| **known == composed.locale)
        .copied()
        .unwrap_or("other");
    let worst = composed
        .texts
        .iter()
        .map(|(_, _, step)| *step)
        .filter(|step| *step != Step::Full)
        .max_by_key(|step| match step {
            Step::PoolDefault => 2,
            _ => 1,
        });
    match worst {
        None => recorder.count(
            metrics::MESSAGES,
            &[(metrics::OUTCOME, "rendered"), (metrics::LOCALE, locale)],
            1,
        ),
        Some(step) => recorder.count(
            metrics::MESSAGES,
            &[
                (metrics::OUTCOME, "fallback"),
                (metrics::REASON, step.code()),
                (metrics::LOCALE, locale),
            ],
            1,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn state() -> State {
        let config = test_kit::config(&[("APP_NAME", "Acme"), ("DEFAULT_LOCALE", "en")]);
        State::new(config.unwrap()).unwrap()
    }

    fn event(source: &str) -> Value {
        json!({
            "version": "1",
            "triggerSource": source,
            "region": "us-east-1",
            "userPoolId": "us-east-1_Ex4mPle01",
            "userName": "user-1",
            "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "client-1"},
            "request": {
                "userAttributes": {"sub": "user-1", "given_name": "Ana", "locale": "es-AR"},
                "codeParameter": "{####}",
                "linkParameter": "{##Click Here##}",
                "usernameParameter": null,
                "clientMetadata": null
            },
            "response": {"smsMessage": null, "emailMessage": null, "emailSubject": null},
            "extra": {"kept": true}
        })
    }

    #[test]
    fn fills_the_three_fields_and_keeps_the_rest() {
        let input = event("CustomMessage_ForgotPassword");
        let output = respond(&state(), input.clone()).unwrap();
        for key in ["version", "request", "callerContext", "extra", "userName"] {
            assert_eq!(output[key], input[key], "{key}");
        }
        assert_eq!(
            output["response"]["emailSubject"],
            "Restablece tu contraseña de Acme"
        );
        assert!(
            output["response"]["smsMessage"]
                .as_str()
                .unwrap()
                .contains("{####}")
        );
        assert!(
            output["response"]["emailMessage"]
                .as_str()
                .unwrap()
                .contains("Hola, Ana:")
        );
    }

    #[test]
    fn unknown_sources_are_untouched() {
        let input = event("CustomMessage_Unknown");
        assert_eq!(respond(&state(), input.clone()).unwrap(), input);
    }

    #[test]
    fn malformed_events_are_errors_with_a_safe_message() {
        let error = respond(&state(), json!({"triggerSource": 7})).unwrap_err();
        let diagnostic = lambda_runtime::Diagnostic::from(error);
        assert_eq!(diagnostic.error_type, "MalformedEvent");
        assert_eq!(
            diagnostic.error_message,
            "the request could not be processed"
        );
    }

    #[test]
    fn no_code_placeholder_leaves_the_pool_defaults() {
        let mut input = event("CustomMessage_SignUp");
        input["request"]["codeParameter"] = json!("");
        input["response"]["emailSubject"] = json!("stale");
        let output = respond(&state(), input).unwrap();
        assert_eq!(
            output["response"],
            json!({"smsMessage": null, "emailMessage": null, "emailSubject": null})
        );
    }

    #[test]
    fn an_invitation_without_username_placeholder_keeps_only_its_subject() {
        let input = event("CustomMessage_AdminCreateUser");
        let output = respond(&state(), input).unwrap();
        assert_eq!(output["response"]["emailMessage"], Value::Null);
        assert_eq!(output["response"]["smsMessage"], Value::Null);
        assert_eq!(output["response"]["emailSubject"], "Te han invitado a Acme");
    }
}
