//! Cognito's custom email sender and custom SMS sender triggers: one
//! function for both.
//!
//! Cognito hands the trigger the code (or the temporary password) encrypted
//! with the AWS Encryption SDK under the pool's KMS key, and invokes it
//! asynchronously. The function decrypts the code with a KMS keyring for
//! that one key (a [`DecryptCode`], see [`decrypt`]), renders custom-message's templates for the
//! user's locale with the same checks ([`render`]), claims the event in
//! DynamoDB so a retried event sends once, and sends through SES v2 or SNS
//! ([`aws`]). It returns the event unchanged: Cognito reads nothing back.
//!
//! # Two crates, two workspaces
//!
//! This library is everything but the Encryption SDK: [`State`] is generic
//! over the [`DecryptCode`] that opens a code. The deployed binary is
//! `functions/custom-sender/bootstrap`, a Cargo workspace of its own whose
//! `main.rs` runs `State<EsdkDecryptor>` (aws-esdk's KMS keyring), so that
//! the default-featured AWS SDK crates aws-esdk brings (with `ring` and a
//! second TLS stack) never unify into the other functions' builds
//! (docs/custom-sender.md, "Supply chain").
//!
//! # Failures
//!
//! Every failure is an invocation error, so Lambda retries it and then
//! hands it to the on-failure destination (the template's queue and its
//! alarm). A code that does not decrypt is never sent without its code: it
//! fails with `DecryptFailed`, one ERROR line naming the reason, and a
//! `Sends` metric with `Outcome=refused`.
//!
//! # What is never logged
//!
//! The code, the decrypted value, the message and the address. Lines carry
//! the trigger source, the user's `sub`, the locale, reason codes and the
//! provider's message id.
#![deny(missing_docs)]

pub mod aws;
pub mod config;
pub mod decrypt;
pub mod error;
pub mod render;
pub mod source;
pub mod takeover;

use std::time::Instant;

use cognito_auth_core::aws::sdk_config;
use cognito_auth_core::config::ConfigError;
use cognito_auth_core::function::Function;
use cognito_auth_core::metrics::{self, Metrics, Recorder};
use cognito_auth_core::trigger::TriggerEvent;
use custom_message::Catalog;
use lambda_runtime::LambdaEvent;
use serde_json::Value;

pub use config::Config;
pub use decrypt::DecryptCode;
pub use error::FnError;
use source::{Channel, Kind, SenderSource};

/// The `Function` dimension of this crate's metrics.
pub const FUNCTION_NAME: &str = "custom-sender";

/// What the handler needs, built once at init; `D` opens the codes.
pub struct State<D> {
    config: Config,
    catalog: Catalog,
    decryptor: D,
    dynamodb: aws_sdk_dynamodb::Client,
    ses: aws_sdk_sesv2::Client,
    sns: aws_sdk_sns::Client,
    metrics: Metrics,
}

impl<D: DecryptCode> State<D> {
    /// Loads and checks the templates, and builds the SDK clients and the
    /// decryptor. No network call.
    pub async fn new(config: Config) -> Result<State<D>, ConfigError> {
        let catalog = Catalog::load(
            &config.message.brand,
            &config.message.default_locale,
            config.message.templates_dir.as_deref(),
        )?;
        let sdk = sdk_config(&config.aws).await;
        let decryptor = D::start(&config, &sdk)
            .await
            .map_err(|error| ConfigError::new(config::KEY_ARN, error.to_string()))?;
        if config.email.from.is_none() {
            tracing::warn!("EMAIL_FROM is not set: CustomEmailSender events will fail");
        }
        tracing::info!(
            locales = ?catalog.locales().collect::<Vec<_>>(),
            templates_dir = config.message.templates_dir.is_some(),
            require_pool_context = config.require_pool_context,
            "templates loaded and checked"
        );
        Ok(State {
            metrics: Metrics::new(config.metrics_namespace.clone(), FUNCTION_NAME),
            catalog,
            decryptor,
            dynamodb: aws_sdk_dynamodb::Client::new(&sdk),
            ses: aws_sdk_sesv2::Client::new(&sdk),
            sns: aws_sdk_sns::Client::new(&sdk),
            config,
        })
    }
}

impl<D: DecryptCode> Function for State<D> {
    type Config = Config;
    type Error = FnError;

    async fn start(config: Config) -> Result<Self, ConfigError> {
        State::new(config).await
    }

    /// The Lambda handler. Writes the `Sends` metric by outcome (`sent`,
    /// `duplicate`, `refused`, `failed`, `passed_through`) and reason.
    async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, FnError> {
        let mut recorder = self.metrics.recorder_for(&event.context);
        let result = deliver(self, event.payload, &mut recorder).await;
        recorder.flush();
        result
    }
}

fn outcome(recorder: &mut Recorder<'_>, outcome: &'static str, reason: Option<&'static str>) {
    match reason {
        Some(reason) => recorder.count(
            metrics::SENDS,
            &[(metrics::OUTCOME, outcome), (metrics::REASON, reason)],
            1,
        ),
        None => recorder.count(metrics::SENDS, &[(metrics::OUTCOME, outcome)], 1),
    }
}

async fn deliver<D: DecryptCode>(
    state: &State<D>,
    payload: Value,
    recorder: &mut Recorder<'_>,
) -> Result<Value, FnError> {
    let event = TriggerEvent::read(payload).inspect_err(|_| {
        outcome(recorder, "failed", Some("MalformedEvent"));
    })?;
    let Some(source) = SenderSource::from_trigger(event.trigger_source()) else {
        tracing::info!(
            trigger_source = event.trigger_source(),
            "not a custom sender source; returned untouched"
        );
        outcome(recorder, "passed_through", None);
        return Ok(event.into_value());
    };
    match send(state, &event, source, recorder).await {
        Ok(()) => Ok(event.into_value()),
        Err(error) => {
            let reason = match &error {
                FnError::Decrypt(decrypt) => decrypt.reason(),
                FnError::Notice(notice) => notice.reason(),
                FnError::Send(call) | FnError::Idempotency(call) => call.code(),
                other => other.error_type(),
            };
            let refused = matches!(error, FnError::Decrypt(_) | FnError::Notice(_));
            // Provider errors by their codes only: their text can quote
            // the address.
            let detail = match &error {
                FnError::Send(call) | FnError::Idempotency(call) => {
                    format!("{} {}", call.code(), call.aws_code().unwrap_or_default())
                }
                other => other.to_string(),
            };
            tracing::error!(
                trigger_source = event.trigger_source(),
                sub = event.user_attribute("sub"),
                error_type = error.error_type(),
                reason,
                error = %detail,
                "message not sent"
            );
            outcome(
                recorder,
                if refused { "refused" } else { "failed" },
                Some(reason),
            );
            if matches!(error, FnError::Notice(_)) {
                // A notice that cannot be vouched for is refused the same
                // way on every retry, and a retry would only carry its
                // links, which hold the feedback token, into the failure
                // queue. So it is answered, not retried: the line above
                // and the refusal alarm report it.
                return Ok(event.into_value());
            }
            Err(error)
        }
    }
}

async fn send<D: DecryptCode>(
    state: &State<D>,
    event: &TriggerEvent,
    source: SenderSource,
    recorder: &mut Recorder<'_>,
) -> Result<(), FnError> {
    if event.request_str("type") != Some(source.channel.request_type()) {
        return Err(FnError::UnknownRequestType);
    }
    // What to send: a message with its code, or a takeover notice, read
    // and checked before anything else is required of the event.
    enum What<'e> {
        Message(custom_message::Source, &'e str),
        Notice(Box<takeover::TakeoverEvent>),
    }
    let what = match source.kind {
        Kind::Message(message_source) => What::Message(
            message_source,
            event
                .request_str("code")
                .filter(|code| !code.is_empty())
                .ok_or(FnError::MissingField("request.code"))?,
        ),
        // `request.code` is null: there is no code to send.
        Kind::TakeoverNotice => What::Notice(Box::new(takeover::TakeoverEvent::read(event)?)),
    };
    let pool_id = event
        .user_pool_id()
        .filter(|pool| !pool.is_empty())
        .ok_or(FnError::MissingField("userPoolId"))?;
    let address = event
        .user_attribute(source.channel.address_attribute())
        .filter(|address| !address.trim().is_empty())
        .ok_or(FnError::MissingField(match source.channel {
            Channel::Email => "email attribute",
            Channel::Sms => "phone_number attribute",
        }))?;
    let from = match source.channel {
        Channel::Email => Some(
            state
                .config
                .email
                .from
                .as_deref()
                .ok_or(FnError::NoSender)?,
        ),
        Channel::Sms => None,
    };

    enum Rendered {
        Email(render::Email),
        Sms(render::Sms),
    }
    // What is sent, and the idempotency key: a digest of the code for a
    // message, of the pool and EVENT_ID for a notice.
    let (rendered, key) = match &what {
        What::Message(message_source, code) => {
            let message = decrypt::decode(code)?;
            let expected = decrypt::expected_context(pool_id, state.config.require_pool_context);
            let secret = state.decryptor.decrypt(message, expected).await?;
            let rendered = match source.channel {
                Channel::Email => Rendered::Email(render::email(
                    &state.catalog,
                    *message_source,
                    event,
                    &secret,
                )?),
                Channel::Sms => Rendered::Sms(render::sms(
                    &state.catalog,
                    *message_source,
                    event,
                    &secret,
                )?),
            };
            drop(secret);
            (rendered, aws::idempotency_key(code))
        }
        // Email only: SenderSource knows no SMS notice.
        What::Notice(notice) => (
            Rendered::Email(render::takeover(&state.catalog, event, notice)?),
            aws::idempotency_key(&notice.claim_text(pool_id)),
        ),
    };
    // What the outcome lines say of a notice (nothing of a message).
    let (event_id, action) = match &what {
        What::Notice(notice) => (Some(notice.event_id()), Some(notice.action().code())),
        What::Message(..) => (None, None),
    };

    let table = state.config.idempotency_table.as_str();
    let limits = &state.config.aws;
    let started = Instant::now();
    let claim = aws::claim(
        &state.dynamodb,
        table,
        &key,
        state.config.idempotency_ttl,
        limits,
    )
    .await;
    latency(recorder, "PutItem", started);
    if claim.map_err(FnError::Idempotency)? == aws::Claim::Duplicate {
        tracing::info!(
            trigger_source = event.trigger_source(),
            sub = event.user_attribute("sub"),
            event_id,
            "already sent (or being sent) for this code or event; nothing sent"
        );
        outcome(recorder, "duplicate", None);
        return Ok(());
    }

    let started = Instant::now();
    let (sent, locale, without_user_data) = match &rendered {
        Rendered::Email(email) => {
            let result = aws::send_email(
                &state.ses,
                &state.config.email,
                from.unwrap_or_default(),
                &address,
                email,
                limits,
            )
            .await;
            latency(recorder, "SendEmail", started);
            (result, email.locale.as_str(), email.without_user_data)
        }
        Rendered::Sms(sms) => {
            let result = aws::send_sms(&state.sns, &state.config.sms, &address, sms, limits).await;
            latency(recorder, "Publish", started);
            (result, sms.locale.as_str(), sms.without_user_data)
        }
    };
    let message_id = match sent {
        Ok(message_id) => message_id,
        Err(error) => {
            // Release the claim so that Lambda's retry sends.
            if let Err(release) = aws::settle(&state.dynamodb, table, &key, "failed", limits).await
            {
                tracing::warn!(
                    error_type = release.code(),
                    aws_code = release.aws_code(),
                    "could not release the idempotency claim; a retry waits for it to go stale"
                );
            }
            return Err(FnError::Send(error));
        }
    };
    if let Err(error) = aws::settle(&state.dynamodb, table, &key, "sent", limits).await {
        // Sent: a retry would find the claim `sending` and not send again
        // until it is stale, so this is worth a warning, not a failure.
        tracing::warn!(
            error_type = error.code(),
            aws_code = error.aws_code(),
            "sent, but could not mark the idempotency record sent"
        );
    }
    tracing::info!(
        trigger_source = event.trigger_source(),
        sub = event.user_attribute("sub"),
        channel = source.channel.as_str(),
        locale,
        without_user_data,
        event_id,
        action,
        message_id = message_id.as_deref().unwrap_or_default(),
        "message sent"
    );
    recorder.count(
        metrics::SENDS,
        &[
            (metrics::OUTCOME, "sent"),
            (metrics::REASON, source.stem()),
            (metrics::LOCALE, locale_dimension(locale)),
        ],
        1,
    );
    Ok(())
}

/// The built-in locales, as `Locale` dimension values; any other (from
/// `TEMPLATES_DIR`) is `other`, which keeps the dimension fixed.
fn locale_dimension(locale: &str) -> &'static str {
    ["en", "es", "pt"]
        .into_iter()
        .find(|known| *known == locale)
        .unwrap_or("other")
}

fn latency(recorder: &mut Recorder<'_>, call: &'static str, started: Instant) {
    recorder.put(
        metrics::AWS_CALL_LATENCY,
        &[(metrics::CALL, call)],
        started.elapsed().as_secs_f64() * 1000.0,
    );
}
