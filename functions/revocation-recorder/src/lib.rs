//! The revocation recorder: EventBridge delivers the CloudTrail record of an
//! admin action on a user (`AdminUserGlobalSignOut`, `AdminDisableUser`,
//! `AdminDeleteUser`, `AdminResetUserPassword`, `AdminSetUserPassword`, and
//! a user's own `GlobalSignOut`, `DeleteUser`, `ChangePassword` when the
//! record names the sub), and this function writes `user#<pool>#<sub>` to
//! the revocation store with `not_before` = the record's `eventTime`.
//!
//! Modules: [`cloudtrail`] (what an event asks, pure), [`store`] (the
//! conditional write, shared with the sign-out function), [`config`],
//! [`error`]. Nothing here logs a username or a token; the sub is logged.
#![deny(missing_docs)]

pub mod cloudtrail;
pub mod config;
pub mod error;

use aws_sdk_cognitoidentityprovider::operation::admin_get_user::AdminGetUserError;
use cognito_auth_core::config::ConfigError;
use cognito_auth_core::function::Function;
use cognito_auth_core::metrics::{self, Recorder};
use cognito_auth_core::revocation::Subject;
use lambda_runtime::LambdaEvent;
use serde_json::{Value, json};

use crate::cloudtrail::{Decision, Plan, User, name_of};
pub use crate::config::Config;
pub use crate::error::FnError;
use cognito_auth_core::aws::CallError;
use cognito_auth_core::revocation::store::{self, Revocation, service_message};
pub use cognito_auth_core::revocation::unix_now;

/// The `Function` dimension of this crate's metrics.
pub const FUNCTION_NAME: &str = "revocation-recorder";

/// The configuration and the clients, built once per sandbox.
pub struct State {
    config: Config,
    cognito: aws_sdk_cognitoidentityprovider::Client,
    dynamodb: aws_sdk_dynamodb::Client,
    metrics: metrics::Metrics,
}

impl State {
    /// Loads the SDK configuration once, with the shared call budget.
    /// Nothing here touches the network.
    pub async fn new(config: Config) -> Self {
        let sdk = cognito_auth_core::aws::sdk_config(&config.aws).await;
        Self {
            cognito: aws_sdk_cognitoidentityprovider::Client::new(&sdk),
            dynamodb: aws_sdk_dynamodb::Client::new(&sdk),
            metrics: metrics::Metrics::new(config.metrics_namespace.clone(), FUNCTION_NAME),
            config,
        }
    }
}

impl Function for State {
    type Config = Config;
    type Error = FnError;

    async fn start(config: Config) -> Result<Self, ConfigError> {
        Ok(State::new(config).await)
    }

    /// Handles one event. Returns a short summary (`{"result": ...}`); fails,
    /// so that Lambda retries and the on-failure destination keeps the event,
    /// when the event cannot be read, the user cannot be identified, or the
    /// store write fails. Counts `RevocationsRecorded` by `Reason` and `Result`.
    async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, FnError> {
        let state = self;
        let mut recorder = state.metrics.recorder_for(&event.context);
        let result = record(state, &event.payload, &mut recorder).await;
        if let Err(error) = &result {
            tracing::error!(error_type = error.code(), error = %error, "the revocation was not recorded");
        }
        recorder.flush();
        result
    }
}

async fn record(
    state: &State,
    payload: &Value,
    recorder: &mut Recorder<'_>,
) -> Result<Value, FnError> {
    let decision = match cloudtrail::decide(payload, &state.config.pools) {
        Ok(decision) => decision,
        Err(error) => {
            recorder.count(
                metrics::REVOCATIONS_RECORDED,
                &[(metrics::RESULT, "failed")],
                1,
            );
            return Err(error.into());
        }
    };
    let plan = match decision {
        Decision::Ignore(ignored) => {
            tracing::info!(
                ignored = ignored.as_str(),
                event_name = payload["detail"]["eventName"].as_str().unwrap_or_default(),
                "the event revokes nothing here; ignored"
            );
            recorder.count(
                metrics::REVOCATIONS_RECORDED,
                &[(metrics::RESULT, "ignored")],
                1,
            );
            return Ok(json!({"result": "ignored", "why": ignored.as_str()}));
        }
        Decision::Record(plan) => plan,
    };
    let reason = plan.call.reason();
    let outcome = write(state, &plan).await;
    let result = if outcome.is_ok() { "ok" } else { "failed" };
    recorder.count(
        metrics::REVOCATIONS_RECORDED,
        &[
            (metrics::REASON, reason.as_str()),
            (metrics::RESULT, result),
        ],
        1,
    );
    outcome
}

async fn write(state: &State, plan: &Plan) -> Result<Value, FnError> {
    let call = name_of(plan.call);
    let sub = match &plan.user {
        User::Sub(sub) => sub.clone(),
        User::Username(username) => resolve(state, plan, username).await?,
    };
    let now = unix_now();
    // A revocation never lies in the future: that would refuse the user's
    // next sign-in too. CloudTrail's clock is AWS's, so this only guards
    // against a skewed record.
    let not_before = plan.event_time.min(now);
    let revocation = Revocation {
        subject: Subject::User {
            pool: plan.pool.clone(),
            sub: sub.clone(),
        },
        not_before,
        reason: plan.call.reason(),
    };
    let store = &state.config.store;
    let written = store::record(
        &state.dynamodb,
        &store.table,
        &revocation,
        store.retention_secs,
        now,
        &state.config.aws,
    )
    .await?;
    tracing::info!(
        call,
        pool = plan.pool.as_str(),
        sub = %sub,
        not_before,
        reason = revocation.reason.as_str(),
        written = written.as_str(),
        event_id = plan.event_id.as_deref().unwrap_or_default(),
        "revocation recorded"
    );
    Ok(json!({
        "result": written.as_str(),
        "key": revocation.subject.key(),
        "not_before": not_before,
    }))
}

/// The sub of `username` in the plan's pool, through `AdminGetUser`. A user
/// that no longer exists (deleted before the lookup) can only be named by
/// its username; when that username is shaped like a sub (pools whose users
/// sign in with an email or phone number use the sub as username), it is
/// taken as the sub. Otherwise the invocation fails with
/// [`FnError::UserGone`].
async fn resolve(state: &State, plan: &Plan, username: &str) -> Result<String, FnError> {
    let call = name_of(plan.call);
    let answer = state
        .cognito
        .admin_get_user()
        .user_pool_id(plan.pool.as_str())
        .username(username)
        .send()
        .await;
    match answer {
        Ok(user) => user
            .user_attributes()
            .iter()
            .find(|attribute| attribute.name() == "sub")
            .and_then(|attribute| attribute.value())
            .map(str::to_owned)
            .ok_or_else(|| FnError::NoSub {
                pool: plan.pool.to_string(),
            }),
        Err(error) => match error.as_service_error() {
            Some(AdminGetUserError::UserNotFoundException(_)) if cloudtrail::is_uuid(username) => {
                tracing::warn!(
                    call,
                    pool = plan.pool.as_str(),
                    "the user no longer exists; its username is shaped like a sub and is recorded as one"
                );
                Ok(username.to_owned())
            }
            Some(AdminGetUserError::UserNotFoundException(_)) => Err(FnError::UserGone {
                call,
                pool: plan.pool.to_string(),
                detail: service_message(&error),
            }),
            _ => Err(FnError::Lookup(CallError::classify(
                "AdminGetUser",
                &error,
                &state.config.aws,
            ))),
        },
    }
}
