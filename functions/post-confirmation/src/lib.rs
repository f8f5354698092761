//! Cognito post-confirmation trigger: after a user confirms their sign-up,
//! add them to a default group and write their profile item, exactly once
//! however often Cognito retries.
//!
//! | `triggerSource` | what happens |
//! |---|---|
//! | `PostConfirmation_ConfirmSignUp` (federated first sign-in included) | [`Plan`] built, then `AdminAddUserToGroup` and a conditional `PutItem`, concurrently |
//! | `PostConfirmation_ConfirmForgotPassword` | nothing but a log line |
//! | anything else | passed through untouched |
//!
//! The event is always returned whole. Modules: [`config`] (environment),
//! [`provision`] (what to do, pure), [`aws`] (clients and calls), `cognito_auth_core::clock`
//! (`created_at`), [`error`] (failures and what the user sees).
#![deny(missing_docs)]

pub mod aws;
pub mod config;
pub mod error;
pub mod provision;

use cognito_auth_core::aws::sdk_config;
use cognito_auth_core::config::ConfigError;
use cognito_auth_core::function::Function;
use std::time::SystemTime;

use cognito_auth_core::logging::loggable_user_name;
use cognito_auth_core::metrics::{self, Recorder};
use cognito_auth_core::trigger::TriggerEvent;
use lambda_runtime::LambdaEvent;
use serde_json::Value;

pub use aws::ProfileWrite;
pub use config::Config;
pub use error::{FnError, USER_MESSAGE};
pub use provision::{Plan, Source};

/// The `Function` dimension of this crate's metrics.
pub const FUNCTION_NAME: &str = "post-confirmation";

/// The configuration and the clients, built once per sandbox and shared by
/// every invocation. A client exists only when its side effect is
/// configured, so an unconfigured function cannot make a call.
pub struct State {
    pub(crate) config: Config,
    pub(crate) cognito: Option<aws_sdk_cognitoidentityprovider::Client>,
    pub(crate) dynamodb: Option<aws_sdk_dynamodb::Client>,
    pub(crate) metrics: cognito_auth_core::metrics::Metrics,
}

impl State {
    /// Loads the SDK configuration (region, credentials, endpoint) once, with
    /// the timeouts and retries of `config`, and builds the clients it needs.
    /// Nothing here touches the network: credentials and endpoints resolve
    /// on the first call.
    pub async fn new(config: Config) -> Self {
        if !config.profile_attributes.is_empty() && config.users_table.is_none() {
            tracing::warn!(
                "PROFILE_ATTRIBUTES is set but USERS_TABLE is not: no profile is written"
            );
        }
        let (cognito, dynamodb) = if config.provisions_anything() {
            let sdk = sdk_config(&config.aws).await;
            (
                config
                    .default_group
                    .as_ref()
                    .map(|_| aws_sdk_cognitoidentityprovider::Client::new(&sdk)),
                config
                    .users_table
                    .as_ref()
                    .map(|_| aws_sdk_dynamodb::Client::new(&sdk)),
            )
        } else {
            (None, None)
        };
        let metrics = cognito_auth_core::metrics::Metrics::new(
            config.metrics_namespace.clone(),
            crate::FUNCTION_NAME,
        );
        Self {
            config,
            cognito,
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

    /// Handles one invocation. Details of any failure are logged here; the
    /// returned error carries only a code and [`USER_MESSAGE`]. Writes the
    /// metrics: provisioning by outcome (`provisioned`, `already_existed`,
    /// `nothing_to_do`, `failed` with the cause as `Reason`) and the latency of
    /// each AWS call.
    async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, FnError> {
        let state = self;
        let mut recorder = state.metrics.recorder_for(&event.context);
        let result = confirm(state, event.payload, &mut recorder).await;
        if let Err(error) = &result {
            recorder.count(
                metrics::PROVISIONING,
                &[
                    (metrics::OUTCOME, "failed"),
                    (metrics::REASON, error.code()),
                ],
                1,
            );
        }
        recorder.flush();
        result
    }
}

async fn confirm(
    state: &State,
    payload: Value,
    recorder: &mut Recorder<'_>,
) -> Result<Value, FnError> {
    let event = TriggerEvent::read(payload)?;
    match Source::of(event.trigger_source()) {
        Source::ConfirmSignUp => provision(state, &event, recorder).await?,
        Source::ConfirmForgotPassword => tracing::info!(
            user_name = %loggable_user_name(event.user_name().unwrap_or_default()),
            "password reset confirmed; the user was provisioned at sign-up, nothing to do"
        ),
        Source::Unknown => tracing::info!(
            trigger_source = event.trigger_source(),
            "not a post-confirmation trigger source; event passed through untouched"
        ),
    }
    Ok(event.into_value())
}

async fn provision(
    state: &State,
    event: &TriggerEvent,
    recorder: &mut Recorder<'_>,
) -> Result<(), FnError> {
    let user_name = loggable_user_name(event.user_name().unwrap_or_default());
    let user_status = event
        .user_attribute("cognito:user_status")
        .unwrap_or_default();
    let plan = Plan::for_sign_up(&state.config, event, SystemTime::now()).inspect_err(|error| {
        tracing::error!(
            error_type = error.code(),
            error = %error,
            user_name = %user_name,
            "cannot provision the user"
        );
    })?;
    if plan.membership.is_none() && plan.profile.is_none() {
        tracing::info!(
            user_name = %user_name,
            "sign-up confirmed; neither DEFAULT_GROUP nor USERS_TABLE is set, nothing to provision"
        );
        recorder.count(
            metrics::PROVISIONING,
            &[(metrics::OUTCOME, "nothing_to_do")],
            1,
        );
        return Ok(());
    }

    // The two side effects are independent, so they run at the same time:
    // the handler waits for the slower call rather than the sum of both, and
    // each call can use the whole AWS_CALL_TIMEOUT_MS inside Cognito's 5 s.
    // Running them one after the other would not avoid a half-done state
    // either (the second can fail after the first succeeded); both are
    // idempotent, so a re-drive completes whatever is missing.
    let limits = &state.config.aws;
    let membership = async {
        match (&plan.membership, &state.cognito) {
            (Some(membership), Some(client)) => {
                let started = std::time::Instant::now();
                let result = aws::add_to_group(client, membership, limits).await;
                Some((started.elapsed(), result))
            }
            _ => None,
        }
    };
    let profile = async {
        match (&plan.profile, &state.dynamodb) {
            (Some(profile), Some(client)) => {
                let started = std::time::Instant::now();
                let result = aws::put_profile(client, profile, limits).await;
                Some((started.elapsed(), result))
            }
            _ => None,
        }
    };
    let (membership, profile) = tokio::join!(membership, profile);
    let membership = timed(recorder, "AdminAddUserToGroup", membership);
    let profile = timed(recorder, "PutItem", profile);

    let sub = event.user_attribute("sub").unwrap_or_default();
    let group = plan
        .membership
        .as_ref()
        .map(|membership| membership.group.as_str());
    let table = plan.profile.as_ref().map(|profile| profile.table.as_str());
    for error in [membership.as_ref().err(), profile.as_ref().err()]
        .into_iter()
        .flatten()
    {
        tracing::error!(
            error_type = error.code(),
            error = %error,
            user_name = %user_name,
            sub = %sub,
            user_status = %user_status,
            "provisioning failed; the user is confirmed but not fully provisioned"
        );
    }
    membership?;
    let profile = profile?;
    tracing::info!(
        user_name = %user_name,
        sub = %sub,
        user_status = %user_status,
        group,
        table,
        profile = profile.map(ProfileWrite::as_str),
        "user provisioned"
    );
    let outcome = match profile {
        Some(ProfileWrite::AlreadyExisted) => "already_existed",
        _ => "provisioned",
    };
    recorder.count(metrics::PROVISIONING, &[(metrics::OUTCOME, outcome)], 1);
    Ok(())
}

/// Records the latency of one AWS call that was made, and returns its result
/// (`None` inside when the call was not configured).
fn timed<T>(
    recorder: &mut Recorder<'_>,
    call: &'static str,
    made: Option<(std::time::Duration, Result<T, FnError>)>,
) -> Result<Option<T>, FnError> {
    match made {
        Some((elapsed, result)) => {
            recorder.put(
                metrics::AWS_CALL_LATENCY,
                &[(metrics::CALL, call)],
                elapsed.as_secs_f64() * 1000.0,
            );
            result.map(Some)
        }
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {

    use serde_json::json;

    use super::*;

    fn sign_up() -> Value {
        json!({
            "version": "1",
            "region": "us-east-1",
            "userPoolId": "us-east-1_Example1",
            "userName": "alice",
            "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "client-1"},
            "triggerSource": "PostConfirmation_ConfirmSignUp",
            "request": {"userAttributes": {"sub": "s-1", "email": "alice@example.com"}},
            "response": {},
            "futureField": [1, 2]
        })
    }

    #[tokio::test]
    async fn without_configuration_the_event_comes_back_whole() {
        let state = test_kit::state::<State>(&[]).await;
        assert!(state.cognito.is_none() && state.dynamodb.is_none());
        assert_eq!(test_kit::call(&state, sign_up()).await.unwrap(), sign_up());
    }

    #[tokio::test]
    async fn forgot_password_and_unknown_sources_make_no_call() {
        // Any call would fail here (no pool, no table, no moto), so a
        // returned event shows that none was made.
        let state =
            test_kit::state::<State>(&[("DEFAULT_GROUP", "members"), ("USERS_TABLE", "users")])
                .await;
        for source in [
            "PostConfirmation_ConfirmForgotPassword",
            "CustomMessage_SignUp",
        ] {
            let mut event = sign_up();
            event["triggerSource"] = json!(source);
            assert_eq!(test_kit::call(&state, event.clone()).await.unwrap(), event);
        }
    }

    #[tokio::test]
    async fn a_malformed_event_is_a_clear_error() {
        let state = test_kit::state::<State>(&[]).await;
        let error = test_kit::call(&state, json!({"no": "source"}))
            .await
            .unwrap_err();
        assert_eq!(error.code(), "MalformedEvent");
        let error = test_kit::call(&state, json!("text")).await.unwrap_err();
        assert_eq!(error.code(), "MalformedEvent");
    }

    #[tokio::test]
    async fn a_missing_pool_id_fails_before_any_call() {
        let state = test_kit::state::<State>(&[("DEFAULT_GROUP", "members")]).await;
        let mut event = sign_up();
        event["userPoolId"] = Value::Null;
        let error = test_kit::call(&state, event).await.unwrap_err();
        assert!(matches!(error, FnError::MissingField("userPoolId")));
    }
}
