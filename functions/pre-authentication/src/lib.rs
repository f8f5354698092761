//! Cognito pre authentication trigger: refuse the sign-in of a suspended
//! user, and keep some app clients for members of some groups.
//!
//! | `triggerSource` | what happens |
//! |---|---|
//! | `PreAuthentication_Authentication` | the configured reads ([`aws`]), concurrently, then a [`Verdict`] ([`decide`], pure) |
//! | anything else | passed through untouched |
//!
//! The event is kept as JSON and returned whole (a pre authentication
//! response has no field); a refusal is an error, which Cognito shows as
//! `PreAuthentication failed with error Sign-in could not be completed.`,
//! the same for every refusal ([`error`]). Cognito does not call this
//! trigger when a session is refreshed, only on a sign-in.
//!
//! # Unknown users (`userNotFound`)
//!
//! With `PreventUserExistenceErrors` on, Cognito calls the trigger for a
//! username it does not know, with `request.userNotFound: true`, and
//! answers `Incorrect username or password.` if the trigger returns the
//! event. The trigger runs before the password is checked, so an answer
//! that differs between users is an oracle for anyone who can type a
//! username. The rule here: **an unknown user gets the answer the most
//! common known user gets**, after the same calls, so that only the few
//! users who are treated differently are told apart, never the existence of
//! an ordinary account:
//!
//! - suspension: an unknown user is not suspended, like almost every user.
//!   The same strongly consistent `GetItem` is made, on a key no item can
//!   have ([`UNKNOWN_USER_KEY`]: a Cognito `sub` is a UUID), so the time
//!   taken is the time of a real read that finds nothing, and a store
//!   outage gives an unknown user the outcome it gives everyone;
//! - a client kept for groups: an unknown user is in no group, like almost
//!   every user of that client, so it is refused with the same message, after
//!   the same `AdminListGroupsForUser` (which answers UserNotFoundException
//!   in the time of a real read).
//!
//! Refusing every unknown user instead would make any active account
//! recognisable (its sign-in goes on to the password check, whose answer
//! differs) and undo `PreventUserExistenceErrors`. What remains visible is
//! inherent to a check before the password: that a username is suspended,
//! or that it may use a kept client; docs/sign-in.md says so. The typed name
//! of an unknown user is never logged: it is not an identifier, and may be a
//! password typed in the wrong field.
#![deny(missing_docs)]

pub mod aws;
pub mod config;
pub mod error;

use cognito_auth_core::aws::sdk_config;
use cognito_auth_core::config::ConfigError;
use cognito_auth_core::function::Function;
use cognito_auth_core::logging::{self, loggable_user_name};
use cognito_auth_core::metrics::{self, Recorder};
use cognito_auth_core::trigger::TriggerEvent;
use lambda_runtime::LambdaEvent;
use serde_json::Value;

pub use aws::Standing;
pub use config::{Config, OnReadFailure};
pub use error::{FnError, ReadError, Refusal};

/// The `Function` dimension of this crate's metrics.
pub const FUNCTION_NAME: &str = "pre-authentication";

/// The only source this trigger acts on.
pub const SOURCE: &str = "PreAuthentication_Authentication";

/// The profile key read for an unknown user: never a Cognito `sub` (a
/// UUID), so never an item, and read for the time it takes.
pub const UNKNOWN_USER_KEY: &str = "#unknown-user";

/// What one check found: not asked for, an answer, or a failed read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check<T> {
    /// Not configured for this sign-in.
    Skipped,
    /// The read answered.
    Answered(T),
    /// The read failed (logged where it failed).
    Failed,
}

/// The decision on one sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The sign-in goes on to the password check.
    Allow,
    /// Refused on purpose.
    Refuse(Refusal),
    /// A read failed and `PROFILE_READ_FAILURE=refuse`.
    Unavailable,
}

/// The decision, from what the reads found. A refusal on an answer wins over
/// a failed read of the other check; a failed read then follows
/// `PROFILE_READ_FAILURE`.
pub fn decide(
    standing: Check<Standing>,
    member: Check<bool>,
    on_read_failure: OnReadFailure,
) -> Verdict {
    if standing == Check::Answered(Standing::Suspended) {
        return Verdict::Refuse(Refusal::Suspended);
    }
    if member == Check::Answered(false) {
        return Verdict::Refuse(Refusal::NotInClientGroups);
    }
    let failed = standing == Check::Failed || member == Check::Failed;
    match (failed, on_read_failure) {
        (true, OnReadFailure::Refuse) => Verdict::Unavailable,
        _ => Verdict::Allow,
    }
}

/// The configuration and the clients, built once per sandbox and shared by
/// every invocation. A client exists only when its check is configured, so
/// an unconfigured function cannot make a call.
pub struct State {
    pub(crate) config: Config,
    pub(crate) dynamodb: Option<aws_sdk_dynamodb::Client>,
    pub(crate) cognito: Option<aws_sdk_cognitoidentityprovider::Client>,
    pub(crate) metrics: cognito_auth_core::metrics::Metrics,
}

impl State {
    /// Loads the SDK configuration (region, credentials, endpoint) once, with
    /// the limits of `config`, and builds the clients the checks need.
    /// Nothing here touches the network.
    pub async fn new(config: Config) -> State {
        if !config.checks_anything() {
            tracing::warn!(
                "neither SUSPENDED_ATTRIBUTE nor CLIENT_GROUPS is set: every sign-in passes unchecked"
            );
        }
        let (dynamodb, cognito) = if config.checks_anything() {
            let sdk = sdk_config(&config.aws).await;
            (
                config
                    .suspension
                    .as_ref()
                    .map(|_| aws_sdk_dynamodb::Client::new(&sdk)),
                (!config.client_groups.is_empty())
                    .then(|| aws_sdk_cognitoidentityprovider::Client::new(&sdk)),
            )
        } else {
            (None, None)
        };
        let metrics = cognito_auth_core::metrics::Metrics::new(
            config.metrics_namespace.clone(),
            crate::FUNCTION_NAME,
        );
        State {
            config,
            dynamodb,
            cognito,
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

    /// Handles one invocation. Writes the metrics: sign-in checks by outcome
    /// and reason, refusals, the reads' results and latency.
    async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, FnError> {
        let state = self;
        let mut recorder = state.metrics.recorder_for(&event.context);
        let result = check(state, event.payload, &mut recorder).await;
        if let Err(error) = &result {
            // A refusal is the function's answer, already logged at WARN:
            // counted in `Refusals` (alarms read `Errors - Refusals`), and
            // lambda_runtime's ERROR line for it is left out. A failed read that
            // refuses stays a real failure.
            if error.is_refusal() {
                recorder.refusal();
                logging::error_already_logged();
            }
        }
        recorder.flush();
        result
    }
}

async fn check(
    state: &State,
    payload: Value,
    recorder: &mut Recorder<'_>,
) -> Result<Value, FnError> {
    let event = TriggerEvent::read(payload)?;
    if event.trigger_source() != SOURCE {
        tracing::info!(
            trigger_source = event.trigger_source(),
            "not a pre authentication trigger source; event passed through untouched"
        );
        recorder.count(
            metrics::SIGN_IN_CHECKS,
            &[(metrics::OUTCOME, "passed_through")],
            1,
        );
        return Ok(event.into_value());
    }
    let config = &state.config;
    let user_not_found = event.request().get("userNotFound") == Some(&Value::Bool(true));
    let client_id = event.client_id();
    let kept_for = client_id.and_then(|id| config.client_groups.for_client(id));

    // What each configured read needs, before any call.
    let key = match (&config.suspension, user_not_found) {
        (None, _) => None,
        (Some(_), true) => Some(UNKNOWN_USER_KEY.to_owned()),
        (Some(_), false) => Some(
            event
                .user_attribute("sub")
                .ok_or_else(|| malformed(FnError::MissingField("request.userAttributes.sub")))?,
        ),
    };
    let membership_of = match kept_for {
        None => None,
        Some(groups) => {
            let pool = event
                .user_pool_id()
                .ok_or_else(|| malformed(FnError::MissingField("userPoolId")))?;
            let user_name = event
                .user_name()
                .ok_or_else(|| malformed(FnError::MissingField("userName")))?;
            Some((pool, user_name, groups))
        }
    };

    let limits = &config.aws;
    let standing = async {
        match (&config.suspension, &state.dynamodb, &key) {
            (Some(suspension), Some(client), Some(key)) => {
                let started = std::time::Instant::now();
                let result = aws::read_standing(client, suspension, key, limits).await;
                Some((started.elapsed(), result))
            }
            _ => None,
        }
    };
    let member = async {
        match (membership_of, &state.cognito) {
            (Some((pool, user_name, groups)), Some(client)) => {
                let started = std::time::Instant::now();
                let result = aws::is_member(client, pool, user_name, groups, limits).await;
                Some((started.elapsed(), result))
            }
            _ => None,
        }
    };
    let (standing, member) = tokio::join!(standing, member);

    // Who the lines are about: never the typed name of an unknown user.
    let user_name = if user_not_found {
        None
    } else {
        event
            .user_name()
            .map(|name| loggable_user_name(name).into_owned())
    };
    let sub = if user_not_found {
        None
    } else {
        event.user_attribute("sub")
    };
    let mut failures = Vec::new();
    let standing = match standing {
        None => Check::Skipped,
        Some((elapsed, result)) => {
            latency(recorder, "GetItem", elapsed);
            let outcome = match &result {
                Ok(standing) => standing.read_result(),
                Err(_) => "failed",
            };
            recorder.count(metrics::PROFILE_READS, &[(metrics::RESULT, outcome)], 1);
            match result {
                Ok(standing) => Check::Answered(standing),
                Err(error) => {
                    failures.push(("GetItem", error));
                    Check::Failed
                }
            }
        }
    };
    let member = match member {
        None => Check::Skipped,
        Some((elapsed, result)) => {
            latency(recorder, "AdminListGroupsForUser", elapsed);
            match result {
                Ok(member) => Check::Answered(member),
                Err(error) => {
                    failures.push(("AdminListGroupsForUser", error));
                    Check::Failed
                }
            }
        }
    };
    let verdict = decide(standing, member, config.on_read_failure);
    let outcome_word = match verdict {
        Verdict::Allow => "allowed",
        Verdict::Refuse(_) | Verdict::Unavailable => "refused",
    };
    for (operation, error) in &failures {
        tracing::error!(
            error_type = error.code(),
            error = %error,
            operation,
            user_name = user_name.as_deref(),
            sub = sub.as_deref(),
            user_not_found,
            client_id,
            outcome = if outcome_word == "allowed" { "sign_in_allowed_unchecked" } else { "sign_in_refused" },
            "a sign-in check could not read"
        );
    }

    let reason = match verdict {
        Verdict::Allow if !failures.is_empty() => Some("read_failed"),
        Verdict::Allow => None,
        Verdict::Refuse(refusal) => Some(refusal.code()),
        Verdict::Unavailable => Some("read_failed"),
    };
    match reason {
        Some(reason) => recorder.count(
            metrics::SIGN_IN_CHECKS,
            &[(metrics::OUTCOME, outcome_word), (metrics::REASON, reason)],
            1,
        ),
        None => recorder.count(
            metrics::SIGN_IN_CHECKS,
            &[(metrics::OUTCOME, outcome_word)],
            1,
        ),
    }
    let standing_word = match standing {
        Check::Skipped => "not_checked",
        Check::Answered(Standing::Suspended) => "suspended",
        Check::Answered(Standing::Active) => "active",
        Check::Answered(Standing::NoItem) => "no_item",
        Check::Failed => "failed",
    };
    let member_word = match member {
        Check::Skipped => "not_checked",
        Check::Answered(true) => "member",
        Check::Answered(false) => "not_member",
        Check::Failed => "failed",
    };
    match verdict {
        Verdict::Allow => {
            tracing::info!(
                user_name = user_name.as_deref(),
                sub = sub.as_deref(),
                user_not_found,
                client_id,
                standing = standing_word,
                client_groups = member_word,
                "sign-in allowed to the password check"
            );
            Ok(event.into_value())
        }
        Verdict::Refuse(refusal) => {
            tracing::warn!(
                reason = refusal.code(),
                user_name = user_name.as_deref(),
                sub = sub.as_deref(),
                user_not_found,
                client_id,
                standing = standing_word,
                client_groups = member_word,
                "sign-in refused"
            );
            Err(FnError::Refused(refusal))
        }
        Verdict::Unavailable => {
            // The causes are logged above; the first one is returned.
            let (_, error) = failures.swap_remove(0);
            Err(FnError::Unavailable(error))
        }
    }
}

fn malformed(error: FnError) -> FnError {
    tracing::error!(error_type = error.code(), error = %error, "rejected the event");
    error
}

fn latency(recorder: &mut Recorder<'_>, call: &'static str, elapsed: std::time::Duration) {
    recorder.put(
        metrics::AWS_CALL_LATENCY,
        &[(metrics::CALL, call)],
        elapsed.as_secs_f64() * 1000.0,
    );
}

#[cfg(test)]
mod tests {

    use serde_json::json;

    use super::*;

    #[test]
    fn the_decision_table() {
        use Check::{Answered, Failed, Skipped};
        use OnReadFailure::{Allow, Refuse};
        for (standing, member, on_failure, expected) in [
            (Skipped, Skipped, Refuse, Verdict::Allow),
            (Answered(Standing::Active), Skipped, Refuse, Verdict::Allow),
            (Answered(Standing::NoItem), Skipped, Refuse, Verdict::Allow),
            (
                Answered(Standing::Suspended),
                Answered(true),
                Allow,
                Verdict::Refuse(Refusal::Suspended),
            ),
            (
                Answered(Standing::Active),
                Answered(false),
                Allow,
                Verdict::Refuse(Refusal::NotInClientGroups),
            ),
            (
                Failed,
                Answered(false),
                Allow,
                Verdict::Refuse(Refusal::NotInClientGroups),
            ),
            (
                Answered(Standing::Active),
                Answered(true),
                Refuse,
                Verdict::Allow,
            ),
            (Failed, Skipped, Refuse, Verdict::Unavailable),
            (Failed, Skipped, Allow, Verdict::Allow),
            (
                Answered(Standing::Active),
                Failed,
                Refuse,
                Verdict::Unavailable,
            ),
            (Answered(Standing::Active), Failed, Allow, Verdict::Allow),
        ] {
            assert_eq!(
                decide(standing, member, on_failure),
                expected,
                "{standing:?} {member:?} {on_failure:?}"
            );
        }
    }

    fn sign_in() -> Value {
        json!({
            "version": "1",
            "region": "us-east-1",
            "userPoolId": "us-east-1_Example1",
            "userName": "alice",
            "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "client1"},
            "triggerSource": SOURCE,
            "request": {"userAttributes": {"sub": "s-1"}, "validationData": null},
            "response": {},
            "futureField": [1, 2]
        })
    }

    #[tokio::test]
    async fn without_checks_every_event_comes_back_whole() {
        let state = test_kit::state::<State>(&[]).await;
        assert!(state.dynamodb.is_none() && state.cognito.is_none());
        assert_eq!(test_kit::call(&state, sign_in()).await.unwrap(), sign_in());
        let mut other = sign_in();
        other["triggerSource"] = json!("PostAuthentication_Authentication");
        assert_eq!(test_kit::call(&state, other.clone()).await.unwrap(), other);
    }

    #[tokio::test]
    async fn a_missing_field_a_check_needs_is_a_clear_error() {
        let state = test_kit::state::<State>(&[
            ("USERS_TABLE", "users"),
            ("SUSPENDED_ATTRIBUTE", "status"),
            ("SUSPENDED_VALUES", "suspended"),
        ])
        .await;
        let mut event = sign_in();
        event["request"]["userAttributes"] = json!({});
        let error = test_kit::call(&state, event).await.unwrap_err();
        assert_eq!(error.code(), "MalformedEvent");
        let error = test_kit::call(&state, json!([])).await.unwrap_err();
        assert_eq!(error.code(), "MalformedEvent");
    }
}
