//! Cognito post authentication trigger: count each sign-in by app client,
//! and (with `RECORD_SIGN_INS=true`) record it on the user's profile item.
//!
//! | `triggerSource` | what happens |
//! |---|---|
//! | `PostAuthentication_Authentication` | `SignIns` counted; with recording on, one `UpdateItem` ([`aws`]) |
//! | anything else | passed through untouched |
//!
//! The event is kept as JSON and returned whole: a post authentication
//! response has no field. Cognito fails the sign-in when this trigger
//! returns an error, so a failed write never becomes one: it is logged (its
//! code, never the SDK's text) and counted in `SignInRecords` with
//! `Result=failed`, and the event is returned. The only error is an event
//! Cognito would not send.
//!
//! Modules: [`config`] (environment, and the clients the metric names),
//! [`aws`] (the client and the write), [`error`] (failures).
#![deny(missing_docs)]

pub mod aws;
pub mod config;
pub mod error;

use cognito_auth_core::aws::sdk_config;
use cognito_auth_core::config::ConfigError;
use cognito_auth_core::function::Function;
use std::time::SystemTime;

use cognito_auth_core::clock::rfc3339_utc;
use cognito_auth_core::logging::loggable_user_name;
use cognito_auth_core::metrics::{self, Recorder};
use cognito_auth_core::trigger::TriggerEvent;
use lambda_runtime::LambdaEvent;
use serde_json::Value;

pub use aws::Recorded;
pub use config::Config;
pub use error::{FnError, RecordError};

/// The `Function` dimension of this crate's metrics.
pub const FUNCTION_NAME: &str = "post-authentication";

/// The only source this trigger acts on.
pub const SOURCE: &str = "PostAuthentication_Authentication";

/// The configuration and the client, built once per sandbox. The client
/// exists only when recording is on, so a function that records nothing
/// cannot make a call.
pub struct State {
    pub(crate) config: Config,
    pub(crate) dynamodb: Option<aws_sdk_dynamodb::Client>,
    pub(crate) metrics: cognito_auth_core::metrics::Metrics,
}

impl State {
    /// Loads the SDK configuration (region, credentials, endpoint) with the
    /// limits of `config`, when recording is on. Nothing here touches the
    /// network.
    pub async fn new(config: Config) -> State {
        let dynamodb = match &config.record_in {
            Some(_) => Some(aws_sdk_dynamodb::Client::new(
                &sdk_config(&config.aws).await,
            )),
            None => None,
        };
        let metrics = cognito_auth_core::metrics::Metrics::new(
            config.metrics_namespace.clone(),
            crate::FUNCTION_NAME,
        );
        State {
            config,
            dynamodb,
            metrics,
        }
    }

    /// The validated configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }
}

impl Function for State {
    type Config = Config;
    type Error = FnError;

    async fn start(config: Config) -> Result<Self, ConfigError> {
        Ok(State::new(config).await)
    }

    /// Handles one invocation. Writes the metrics: `SignIns` by client,
    /// `SignInRecords` by result, the write's latency.
    async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, FnError> {
        let state = self;
        let mut recorder = state.metrics.recorder_for(&event.context);
        let result = record(state, event.payload, &mut recorder).await;
        recorder.flush();
        result
    }
}

async fn record(
    state: &State,
    payload: Value,
    recorder: &mut Recorder<'_>,
) -> Result<Value, FnError> {
    let event = TriggerEvent::read(payload)?;
    if event.trigger_source() != SOURCE {
        tracing::info!(
            trigger_source = event.trigger_source(),
            "not a post authentication trigger source; event passed through untouched"
        );
        return Ok(event.into_value());
    }
    let client_id = event.client_id();
    recorder.count(
        metrics::SIGN_INS,
        &[(
            metrics::CLIENT,
            state.config.metric_clients.label(client_id),
        )],
        1,
    );
    let user_name = loggable_user_name(event.user_name().unwrap_or_default()).into_owned();
    let sub = event.user_attribute("sub");
    let new_device = event
        .request()
        .get("newDeviceUsed")
        .and_then(Value::as_bool);
    let (Some(table), Some(client)) = (&state.config.record_in, &state.dynamodb) else {
        tracing::info!(
            user_name = %user_name,
            sub = sub.as_deref(),
            client_id,
            new_device,
            "sign-in counted; RECORD_SIGN_INS is off"
        );
        return Ok(event.into_value());
    };
    let result = match &sub {
        None => Err(RecordError::NoSub),
        Some(sub) => {
            let started = std::time::Instant::now();
            let result = aws::record_sign_in(
                client,
                table,
                sub,
                client_id,
                rfc3339_utc(SystemTime::now()),
                &state.config.aws,
            )
            .await;
            recorder.put(
                metrics::AWS_CALL_LATENCY,
                &[(metrics::CALL, "UpdateItem")],
                started.elapsed().as_secs_f64() * 1000.0,
            );
            result
        }
    };
    let outcome = match &result {
        Ok(Recorded::Updated) => "recorded",
        Ok(Recorded::NoItem) => "no_item",
        Err(_) => "failed",
    };
    recorder.count(metrics::SIGN_IN_RECORDS, &[(metrics::RESULT, outcome)], 1);
    match result {
        Ok(Recorded::Updated) => tracing::info!(
            user_name = %user_name,
            sub = sub.as_deref(),
            client_id,
            new_device,
            table = %table,
            "sign-in recorded"
        ),
        Ok(Recorded::NoItem) => tracing::warn!(
            user_name = %user_name,
            sub = sub.as_deref(),
            client_id,
            table = %table,
            "no profile item for this user; the sign-in was not recorded (items are never created here)"
        ),
        // The code only: the sign-in goes on, and the operator finds the
        // cause by the code and the table.
        Err(error) => tracing::error!(
            error_type = error.code(),
            aws_code = error.aws_code(),
            user_name = %user_name,
            sub = sub.as_deref(),
            client_id,
            table = %table,
            "recording the sign-in failed; the sign-in goes on"
        ),
    }
    Ok(event.into_value())
}

#[cfg(test)]
mod tests {

    use serde_json::json;

    use super::*;

    fn sign_in() -> Value {
        json!({
            "version": "1",
            "region": "us-east-1",
            "userPoolId": "us-east-1_Example1",
            "userName": "alice",
            "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "client1"},
            "triggerSource": SOURCE,
            "request": {"userAttributes": {"sub": "s-1"}, "newDeviceUsed": false},
            "response": {},
            "futureField": [1, 2]
        })
    }

    #[tokio::test]
    async fn with_recording_off_the_event_comes_back_whole_and_nothing_is_called() {
        let state = test_kit::state::<State>(&[("USERS_TABLE", "users")]).await;
        assert!(state.dynamodb.is_none());
        assert_eq!(test_kit::call(&state, sign_in()).await.unwrap(), sign_in());
        let mut other = sign_in();
        other["triggerSource"] = json!("PreAuthentication_Authentication");
        assert_eq!(test_kit::call(&state, other.clone()).await.unwrap(), other);
    }

    #[tokio::test]
    async fn a_write_that_cannot_be_made_still_returns_the_event() {
        // No sub: nothing to key the write on, and the sign-in goes on.
        let state =
            test_kit::state::<State>(&[("USERS_TABLE", "users"), ("RECORD_SIGN_INS", "true")])
                .await;
        let mut event = sign_in();
        event["request"]["userAttributes"] = json!({});
        assert_eq!(test_kit::call(&state, event.clone()).await.unwrap(), event);
        let error = test_kit::call(&state, json!({"no": "source"}))
            .await
            .unwrap_err();
        assert_eq!(error.code(), "MalformedEvent");
    }
}
