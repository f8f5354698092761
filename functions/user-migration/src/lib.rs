//! Cognito user migration trigger: moves a user of a legacy system into the
//! user pool the first time they sign in (or ask for a password reset),
//! checking their password against the legacy store's hash, so that nobody
//! has to reset a password to move.
//!
//! | `triggerSource` | what happens |
//! |---|---|
//! | `UserMigration_Authentication` | `GetItem` of the legacy record, the password verified against its hash; attributes, `CONFIRMED`, `SUPPRESS` |
//! | `UserMigration_ForgotPassword` | `GetItem`; attributes, `RESET_REQUIRED`, `SUPPRESS` (no password to check) |
//! | anything else | passed through untouched |
//!
//! **No enumeration.** An unknown user, a wrong password and a legacy hash
//! this function cannot use get the same answer (errorType
//! `MigrationRefused`, [`REFUSED_MESSAGE`]) and, at sign-in, take the same
//! time: when there is no usable hash, the password is verified against a
//! dummy hash of `LEGACY_HASH_DEFAULT`'s kind and cost, made once at init,
//! and the result thrown away. Passwords and hashes never reach a log line,
//! a metric or an error.
//!
//! The legacy store is a DynamoDB table of hashes (`LEGACY_USERS_TABLE`),
//! or the legacy system's own HTTPS endpoint (`LEGACY_ENDPOINT_URL`), which
//! verifies the password itself and answers with the user's attributes:
//! the same refusals, the same answer; the endpoint must itself take the
//! same time for an unknown user and a wrong password.
//!
//! Modules: [`config`] (environment), [`hash`] (reading, pricing and
//! verifying hashes), [`endpoint`] (the endpoint's signed contract),
//! [`answer`] (the response, pure), [`aws`] (clients and calls), [`error`]
//! (failures and what the user sees).
#![deny(missing_docs)]

pub mod answer;
pub mod aws;
pub mod config;
pub mod endpoint;
pub mod error;
pub mod hash;

use cognito_auth_core::config::ConfigError;
use cognito_auth_core::function::Function;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use cognito_auth_core::logging::{self, loggable_user_name};
use cognito_auth_core::metrics::{self, Recorder};
use cognito_auth_core::trigger::TriggerEvent;
use lambda_runtime::LambdaEvent;
use serde_json::Value;

pub use answer::Source;
pub use aws::State;
pub use config::Config;
pub use error::{FnError, REFUSED_MESSAGE, Refusal, UNAVAILABLE_MESSAGE};

use crate::aws::{Backend, Item, Mark};
use crate::endpoint::{Action, Answer};
use crate::hash::{ParseError, StoredHash, check_cost};

/// The `Function` dimension of this crate's metrics.
pub const FUNCTION_NAME: &str = "user-migration";

impl Function for State {
    type Config = Config;
    type Error = FnError;

    async fn start(config: Config) -> Result<Self, ConfigError> {
        State::new(config).await
    }

    /// Handles one invocation. Refusals are logged (at INFO, or WARN for a
    /// legacy record this function cannot use) and counted in `Refusals`, so
    /// that alarms read `Errors - Refusals`; a store failure is a real error.
    /// Writes the metrics: `Migrations` by outcome and reason,
    /// `MigrationMarks`, and the latency of each AWS call.
    async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, FnError> {
        let state = self;
        let mut recorder = state.metrics.recorder_for(&event.context);
        let result = migrate(
            state,
            event.payload,
            &event.context.request_id,
            &mut recorder,
        )
        .await;
        if let Err(FnError::Refused(refusal)) = &result {
            recorder.count(
                metrics::MIGRATIONS,
                &[
                    (metrics::OUTCOME, "refused"),
                    (metrics::REASON, refusal.code()),
                ],
                1,
            );
            recorder.refusal();
            logging::error_already_logged();
        }
        recorder.flush();
        result
    }
}

async fn migrate(
    state: &State,
    payload: Value,
    request_id: &str,
    recorder: &mut Recorder<'_>,
) -> Result<Value, FnError> {
    let mut event = TriggerEvent::read(payload)?;
    let source = Source::of(event.trigger_source());
    if source == Source::Unknown {
        tracing::info!(
            trigger_source = event.trigger_source(),
            "not a user migration trigger source; event passed through untouched"
        );
        return Ok(event.into_value());
    }
    let user_name = match event.user_name().filter(|name| !name.is_empty()) {
        Some(name) => name.to_owned(),
        None => return Err(missing(&event, "userName")),
    };
    // Copied out of the event so that the event can be answered; dropped
    // at the end of this call, never logged.
    let password = match source {
        Source::Authentication => match event.request_str("password") {
            Some(password) => Some(password.to_owned()),
            None => return Err(missing(&event, "request.password")),
        },
        _ => None,
    };
    let logged_name = loggable_user_name(&user_name).into_owned();

    let config = &state.config;
    let looked_up = match &state.backend {
        Backend::Table {
            table,
            dynamodb,
            dummy,
        } => {
            let started = Instant::now();
            let record = aws::get_record(dynamodb, table, config, &user_name).await;
            recorder.put(
                metrics::AWS_CALL_LATENCY,
                &[(metrics::CALL, "GetItem")],
                started.elapsed().as_secs_f64() * 1000.0,
            );
            let record = record.inspect_err(|error| {
                tracing::error!(
                    error_type = error.code(),
                    error = %error,
                    user_name = %logged_name,
                    trigger_source = event.trigger_source(),
                    "cannot read the legacy record; the user is not migrated"
                );
            })?;
            check(config, dummy, record, password.as_deref())
        }
        Backend::Endpoint(endpoint) => {
            let action = match source {
                Source::Authentication => Action::Authenticate,
                _ => Action::Lookup,
            };
            let body = endpoint::body(
                action,
                &user_name,
                password.as_deref(),
                event.user_pool_id().unwrap_or_default(),
                request_id,
            );
            let started = Instant::now();
            let answer = endpoint.call(body, unix_now()).await;
            recorder.put(
                metrics::AWS_CALL_LATENCY,
                &[(metrics::CALL, "LegacyEndpoint")],
                started.elapsed().as_secs_f64() * 1000.0,
            );
            match answer {
                Ok(Answer::Migrate(item)) => Ok(item),
                Ok(Answer::UnknownUser) => Err(Refusal::UnknownUser),
                Ok(Answer::WrongPassword) => Err(Refusal::WrongPassword),
                Err(error) => {
                    tracing::error!(
                        error_type = error.code(),
                        error = %error,
                        user_name = %logged_name,
                        trigger_source = event.trigger_source(),
                        "cannot ask the legacy endpoint; the user is not migrated"
                    );
                    return Err(error.into());
                }
            }
        }
    };

    let item = match looked_up {
        Ok(item) => item,
        Err(refusal) => {
            match &refusal {
                Refusal::UnknownUser | Refusal::WrongPassword => tracing::info!(
                    reason = refusal.code(),
                    detail = %refusal,
                    user_name = %logged_name,
                    trigger_source = event.trigger_source(),
                    "migration refused"
                ),
                _ => tracing::warn!(
                    reason = refusal.code(),
                    detail = %refusal,
                    user_name = %logged_name,
                    trigger_source = event.trigger_source(),
                    "migration refused: the legacy record cannot be used; fix it in the legacy table"
                ),
            }
            return Err(refusal.into());
        }
    };

    let (attributes, skipped) = answer::user_attributes(config, &item);
    for skip in &skipped {
        tracing::warn!(
            attribute = %skip.attribute,
            reason = skip.reason,
            user_name = %logged_name,
            "legacy attribute left out of the migrated user"
        );
    }
    if source == Source::ForgotPassword && !answer::can_receive_reset_code(&attributes) {
        tracing::warn!(
            user_name = %logged_name,
            "migrated for a password reset without a verified email or phone number: Cognito \
             cannot send the code (set email_verified in the record, or ASSUME_EMAIL_VERIFIED)"
        );
    }
    let mediums = answer::delivery_mediums(&attributes);
    let attribute_names: Vec<&str> = attributes.keys().map(String::as_str).collect();
    let attribute_names = attribute_names.join(",");
    event.set_response("userAttributes", Value::Object(attributes));
    event.set_response("finalUserStatus", Value::from(source.final_user_status()));
    event.set_response("messageAction", Value::from("SUPPRESS"));
    if let Some(mediums) = mediums {
        event.set_response("desiredDeliveryMediums", mediums);
    }

    // Config refuses MARK_MIGRATED with the endpoint.
    if let (
        Some(attribute),
        Backend::Table {
            table, dynamodb, ..
        },
    ) = (&config.mark_attribute, &state.backend)
    {
        let target = MarkTarget {
            dynamodb,
            table,
            config,
        };
        mark(&target, attribute, &user_name, &logged_name, recorder).await;
    }
    tracing::info!(
        user_name = %logged_name,
        trigger_source = event.trigger_source(),
        final_user_status = source.final_user_status(),
        attributes = %attribute_names,
        "user migrated"
    );
    recorder.count(
        metrics::MIGRATIONS,
        &[
            (metrics::OUTCOME, "migrated"),
            (metrics::REASON, source.reason()),
        ],
        1,
    );
    Ok(event.into_value())
}

/// The record, if the migration may go ahead. At sign-in every path
/// verifies one hash, the dummy when there is no usable real one, so that
/// the time taken does not tell an unknown user from a wrong password. The
/// hash is CPU work on this thread: Lambda runs one event at a time per
/// sandbox, and nothing else waits on the runtime meanwhile.
fn check(
    config: &Config,
    dummy: &StoredHash,
    record: Option<Item>,
    password: Option<&str>,
) -> Result<Item, Refusal> {
    let Some(password) = password else {
        // The forgot-password path has no password to verify: the user
        // proves who they are with the code Cognito sends.
        return record.ok_or(Refusal::UnknownUser);
    };
    let burn = || {
        // The result is thrown away: even the dummy's own password must
        // not sign anyone in.
        let _ = dummy.verify(password.as_bytes());
    };
    let Some(item) = record else {
        burn();
        return Err(Refusal::UnknownUser);
    };
    let hash = match item.get(&config.hash_attribute).map(|value| value.as_s()) {
        Some(Ok(text)) => text,
        _ => {
            burn();
            return Err(Refusal::MissingHash(config.hash_attribute.clone()));
        }
    };
    let hash = match StoredHash::parse(hash) {
        Ok(hash) => hash,
        Err(error) => {
            burn();
            return Err(match error {
                ParseError::Unsupported { algorithm } => Refusal::UnsupportedAlgorithm(algorithm),
                corrupt @ ParseError::Corrupt { .. } => Refusal::CorruptHash(corrupt.to_string()),
            });
        }
    };
    if let Err(too_costly) = check_cost(hash.cost_params(), config.memory_mb, config.max_hash_ms())
    {
        burn();
        return Err(Refusal::TooCostly(too_costly.to_string()));
    }
    match hash.verify(password.as_bytes()) {
        Ok(true) => Ok(item),
        Ok(false) => Err(Refusal::WrongPassword),
        Err(error) => Err(Refusal::CorruptHash(error.to_string())),
    }
}

/// Marks the legacy record migrated (`MARK_MIGRATED`). Never fails the
/// migration: the user is in the pool whatever this write does, and an
/// unmarked record only delays retiring the legacy table.
/// The table a mark is written to.
struct MarkTarget<'a> {
    dynamodb: &'a aws_sdk_dynamodb::Client,
    table: &'a cognito_auth_core::aws::TableName,
    config: &'a Config,
}

async fn mark(
    target: &MarkTarget<'_>,
    attribute: &str,
    user_name: &str,
    logged_name: &str,
    recorder: &mut Recorder<'_>,
) {
    let now = unix_now().to_string();
    let started = Instant::now();
    let result = aws::mark_migrated(
        target.dynamodb,
        target.table,
        target.config,
        attribute,
        user_name,
        &now,
    )
    .await;
    recorder.put(
        metrics::AWS_CALL_LATENCY,
        &[(metrics::CALL, "UpdateItem")],
        started.elapsed().as_secs_f64() * 1000.0,
    );
    let outcome = match result {
        Ok(Mark::Written) => "ok",
        Ok(Mark::Gone) => {
            tracing::warn!(
                user_name = %logged_name,
                "the legacy record was deleted during the migration; nothing to mark"
            );
            "gone"
        }
        Err(error) => {
            tracing::error!(
                error_type = error.code(),
                error = %error,
                user_name = %logged_name,
                "could not mark the legacy record migrated; the user is migrated anyway"
            );
            "failed"
        }
    };
    recorder.count(metrics::MIGRATION_MARKS, &[(metrics::RESULT, outcome)], 1);
}

/// Now, in Unix seconds (0 if the clock is before 1970, which the
/// endpoint then refuses as outside its replay window).
fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| since.as_secs())
        .unwrap_or_default()
}

fn missing(event: &TriggerEvent, field: &'static str) -> FnError {
    let error = FnError::MissingField(field);
    tracing::error!(
        error_type = error.code(),
        error = %error,
        trigger_source = event.trigger_source(),
        "rejected the event"
    );
    error
}
