//! Cognito pre token generation trigger: scopes per group, claims from the
//! user's profile item, claims per machine-to-machine client, and claims
//! suppressed, in the shape of the event's version (V1, V2, V3).
//!
//! | `triggerSource` | what happens |
//! |---|---|
//! | `TokenGeneration_HostedAuth`, `_Authentication`, `_NewPasswordChallenge`, `_AuthenticateDevice`, `_RefreshTokens` | profile read (when configured), then a [`Plan`] for the user's tokens |
//! | `TokenGeneration_ClientCredentials` (V3) | a [`Plan`] for the client's access token, from `CLIENT_CLAIMS` |
//! | anything else, or an unknown `version` | passed through untouched |
//!
//! Like the other triggers, the event is kept as JSON
//! ([`TriggerEvent`]) and returned whole, with only `response` members
//! written ([`response`]): the `aws_lambda_events` types (1.2) make
//! `groupOverrideDetails` a required member whose default, empty form
//! removes every group, allow only strings in V1 claims, reject the
//! client-credentials source and Cognito's own `"claimsAndScopeOverrideDetails":
//! []`, and drop fields they do not model.
//!
//! # Configuration
//!
//! Every variable is read and checked once, at init; a blank value counts as
//! unset, and an error names the variable. Each is declared once in
//! [`config`] (kind, default, meaning), which docs/configuration.md's table is
//! rendered from. Group scopes are checked by [`scopes`], claim values typed
//! per version by [`values`], which names may be added or suppressed is
//! [`names`], machine clients' claims are [`clients`], and the read's budget
//! is shared with post-confirmation ([`aws`]).
//!
//! Claims Cognito never lets a trigger touch (`sub`, `aud`, `token_use`,
//! `cognito:username`, ...) fail init wherever they are named, as do a claim
//! both added and suppressed, and `email`/`phone_number` (and their
//! `_verified`) in `PROFILE_CLAIMS`: the pool holds those live, with their
//! verification, while the item keeps their value at confirmation. Every
//! addition is kept within the authorizer's 8 KiB token limit ([`budget`]).
//!
//! # When the profile cannot be read
//!
//! By default (`PROFILE_CLAIMS_ON_ERROR=omit`) the tokens are issued without
//! the profile claims, and the function logs an error (`profile read
//! failed`, with the cause code, the table, `userName` and `sub`). Scopes
//! and suppressions are still applied: they do not depend on the table.
//!
//! This is safe because a profile claim can only grant: the authorizer's
//! claim rules admit a caller when a claim is present with a required value,
//! so a token without `tenant_id` or `plan` is denied exactly what those
//! claims would have opened, and nothing else changes. Refusing the sign-in
//! instead would lock every user out (refreshes included) for as long as
//! DynamoDB is unreachable, for claims that only ever add access. The
//! missing claims return at the next sign-in or refresh once the table
//! answers (access tokens live 60 minutes in the template).
//!
//! The argument holds only while no consumer reads a missing claim as a
//! permission ("no `tenant_id`: every tenant", "no `restricted`: not
//! restricted"). A deployment whose profile claims restrict sets
//! `PROFILE_CLAIMS_ON_ERROR=refuse`: a failed read then fails the sign-in
//! with `Sign-in could not be completed, please try again`, nothing
//! half-issued. Either way the read is bounded by the AWS call budget
//! (`AWS_CALL_TIMEOUT_MS`, at most 4 s), so Cognito's 5 s are never
//! exceeded. A user with no profile item yet is not a failure: the tokens
//! carry no profile claims and a warning is logged.
//!
//! # Scopes per group, per app client
//!
//! `GROUP_SCOPES` binds each group's scopes to the app clients it names:
//! Cognito does not limit `scopesToAdd` to the client's allowed OAuth
//! scopes, so a scope granted "to admins" would otherwise reach an admin's
//! tokens in every client of the pool, `_RefreshTokens` included. A client
//! no group names gets no group scope (and one info line says so). See
//! [`scopes`].
//!
//! # Groups
//!
//! No response ever holds `groupOverrideDetails`: Cognito replaces the
//! user's groups with whatever it holds, and an empty or null one removes
//! them all, from both tokens, in every version. So a V1 event keeps its
//! groups, and so do V2 and V3. Removing the group claims is possible only
//! by configuration, through `ID_CLAIMS_TO_SUPPRESS` or
//! `ACCESS_CLAIMS_TO_SUPPRESS` (`cognito:groups`).
//!
//! # V1 events
//!
//! A V1 response reaches the ID token only, with string claim values. The
//! profile claims go to the ID token as strings ([`values`]);
//! `GROUP_SCOPES` and `ACCESS_CLAIMS_TO_SUPPRESS` cannot be honoured, which
//! is logged once per sandbox as a warning (set the pool's trigger to V2_0).
//!
//! Modules: [`config`] (environment), [`names`] (which claims may be
//! touched), [`scopes`] (`GROUP_SCOPES`), [`clients`] (`CLIENT_CLAIMS`),
//! [`event`] (version, source, request), [`values`] (item attributes as
//! claims), [`budget`] (token size), [`plan`] (decisions, pure),
//! [`response`] (writing them), [`aws`] (the client and the read),
//! [`error`] (failures and what the user sees). Strict JSON parsing is the
//! shared crate's ([`cognito_auth_core::json`]).
#![deny(missing_docs)]

pub mod aws;
pub mod budget;
pub mod clients;
pub mod config;
pub mod error;
pub mod event;
pub mod names;
pub mod plan;
pub mod response;
pub mod scopes;
pub mod values;

use cognito_auth_core::aws::sdk_config;
use cognito_auth_core::config::ConfigError;
use cognito_auth_core::function::Function;
use cognito_auth_core::logging::loggable_user_name;
use cognito_auth_core::metrics::{self, Recorder};
use cognito_auth_core::trigger::TriggerEvent;
use lambda_runtime::LambdaEvent;
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};

pub use aws::ReadError;
pub use config::{Config, OnReadError};
pub use error::FnError;
pub use event::{Source, TokenRequest, Version};
pub use plan::{Item, Plan};

/// How the profile read went, for the summary log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ProfileStatus {
    NotConfigured,
    Found,
    NoItem,
    Failed,
}

impl ProfileStatus {
    fn as_str(self) -> &'static str {
        match self {
            ProfileStatus::NotConfigured => "not_configured",
            ProfileStatus::Found => "found",
            ProfileStatus::NoItem => "no_item",
            ProfileStatus::Failed => "failed",
        }
    }
}

/// The `Function` dimension of this crate's metrics.
pub const FUNCTION_NAME: &str = "pre-token-generation";

/// The configuration and the client, built once per sandbox and shared by
/// every invocation. The client exists only when profile claims are
/// configured, so an unconfigured function cannot make a call.
pub struct State {
    pub(crate) config: Config,
    pub(crate) dynamodb: Option<aws_sdk_dynamodb::Client>,
    /// Whether the "V1 cannot change access tokens" warning was logged.
    pub(crate) warned_v1: AtomicBool,
    pub(crate) metrics: cognito_auth_core::metrics::Metrics,
}

impl State {
    /// Loads the SDK configuration (region, credentials, endpoint) with the
    /// limits of `config`, when a table is to be read. Nothing here touches
    /// the network: credentials and endpoints resolve on the first call.
    pub async fn new(config: Config) -> State {
        let dynamodb = match &config.profile {
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
            warned_v1: AtomicBool::new(false),
            metrics,
        }
    }

    /// The validated configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// True the first time only: for warnings worth one line per sandbox.
    pub(crate) fn first_v1_warning(&self) -> bool {
        !self.warned_v1.swap(true, Ordering::Relaxed)
    }
}

impl Function for State {
    type Config = Config;
    type Error = FnError;

    async fn start(config: Config) -> Result<Self, ConfigError> {
        Ok(State::new(config).await)
    }

    /// Handles one invocation. Details of any failure are logged here; the
    /// returned error carries only a code and a fixed message. Writes the
    /// metrics: claims added, the profile read's result and latency.
    async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, FnError> {
        let state = self;
        let mut recorder = state.metrics.recorder_for(&event.context);
        let result = shape(state, event.payload, &mut recorder).await;
        recorder.flush();
        result
    }
}

async fn shape(
    state: &State,
    payload: Value,
    recorder: &mut Recorder<'_>,
) -> Result<Value, FnError> {
    // `TriggerEvent` keeps the event whole but reads only the common
    // envelope; the version is specific to this trigger.
    let version_field = payload.get("version").cloned();
    let mut event = TriggerEvent::read(payload)?;
    let Some(source) = Source::of(event.trigger_source()) else {
        tracing::info!(
            trigger_source = event.trigger_source(),
            "not a pre token generation trigger source; event passed through untouched"
        );
        return Ok(event.into_value());
    };
    let version = match Version::of(version_field.as_ref()) {
        Some(version) if !source.is_machine() || version == Version::V3 => version,
        _ => {
            let shown = version_field.unwrap_or(Value::Null).to_string();
            tracing::warn!(
                trigger_source = event.trigger_source(),
                version = %shown,
                "unknown event version for this source; event passed through untouched"
            );
            return Ok(event.into_value());
        }
    };
    let request = TokenRequest::read(&event).inspect_err(|error| {
        tracing::error!(error_type = error.code(), error = %error, "rejected the event");
    })?;
    let user_name = loggable_user_name(event.user_name().unwrap_or_default()).into_owned();

    let (plan, profile) = if source.is_machine() {
        let client_id = event.client_id();
        let plan = Plan::for_client(&state.config, client_id, &request);
        if client_id.is_some_and(|id| state.config.client_claims.for_client(id).is_none())
            && !state.config.client_claims.is_empty()
        {
            tracing::info!(
                client_id = client_id,
                "client not in CLIENT_CLAIMS; its access token gets no client claims"
            );
        }
        (plan, ProfileStatus::NotConfigured)
    } else {
        if version == Version::V1 {
            warn_v1_limits(state);
        }
        let groups = &state.config.group_scopes;
        if !groups.is_empty()
            && !request.groups.is_empty()
            && !request
                .client_id
                .as_deref()
                .is_some_and(|id| groups.names_client(id))
        {
            tracing::info!(
                client_id = request.client_id.as_deref(),
                "app client named by no GROUP_SCOPES group; its tokens get no group scope"
            );
        }
        let (item, status) = read_profile(state, &request, &user_name, recorder).await?;
        let plan = Plan::for_user(&state.config, version, &request, item.as_ref());
        (plan, status)
    };

    for dropped in &plan.dropped {
        tracing::error!(
            error_type = "TokenSizeBudget",
            token = dropped.token.as_str(),
            name = %dropped.name,
            bytes = dropped.bytes,
            user_name = %user_name,
            "left out of the token: with it the token could exceed the authorizer's 8 KiB"
        );
    }
    response::apply(&mut event, version, &plan);
    recorder.count(
        metrics::CLAIMS_ADDED,
        &[],
        (plan.id.add.len() + plan.access.add.len()) as u64,
    );
    let names = |map: &serde_json::Map<String, Value>| map.keys().cloned().collect::<Vec<_>>();
    tracing::info!(
        trigger_source = event.trigger_source(),
        version = version.number(),
        user_name = %user_name,
        client_id = event.client_id(),
        profile = profile.as_str(),
        id_claims = ?names(&plan.id.add),
        access_claims = ?names(&plan.access.add),
        scopes_added = ?plan.access.scopes,
        id_suppressed = plan.id.suppress.len(),
        access_suppressed = plan.access.suppress.len(),
        "token claims decided"
    );
    Ok(event.into_value())
}

/// Reads the profile item when profile claims are configured. A failure is
/// logged, then either swallowed (`omit`) or returned (`refuse`).
async fn read_profile(
    state: &State,
    request: &TokenRequest,
    user_name: &str,
    recorder: &mut Recorder<'_>,
) -> Result<(Option<Item>, ProfileStatus), FnError> {
    let (Some(profile), Some(client)) = (&state.config.profile, &state.dynamodb) else {
        return Ok((None, ProfileStatus::NotConfigured));
    };
    let result = match &request.sub {
        Some(sub) => {
            let started = std::time::Instant::now();
            let result = aws::read_profile(client, profile, sub, &state.config.aws).await;
            recorder.put(
                metrics::AWS_CALL_LATENCY,
                &[(metrics::CALL, "GetItem")],
                started.elapsed().as_secs_f64() * 1000.0,
            );
            result
        }
        None => Err(ReadError::NoSub),
    };
    let status = match &result {
        Ok(Some(_)) => ProfileStatus::Found,
        Ok(None) => ProfileStatus::NoItem,
        Err(_) => ProfileStatus::Failed,
    };
    recorder.count(
        metrics::PROFILE_READS,
        &[(metrics::RESULT, status.as_str())],
        1,
    );
    match result {
        Ok(Some(item)) => Ok((Some(item), ProfileStatus::Found)),
        Ok(None) => {
            tracing::warn!(
                user_name = %user_name,
                sub = request.sub.as_deref(),
                table = %profile.table,
                "no profile item for this user; tokens issued without profile claims"
            );
            Ok((None, ProfileStatus::NoItem))
        }
        Err(error) => {
            let refuse = profile.on_error == OnReadError::Refuse;
            tracing::error!(
                error_type = error.code(),
                error = %error,
                user_name = %user_name,
                sub = request.sub.as_deref(),
                table = %profile.table,
                outcome = if refuse { "sign_in_refused" } else { "issued_without_profile_claims" },
                "profile read failed"
            );
            if refuse {
                return Err(FnError::ProfileUnavailable(error));
            }
            Ok((None, ProfileStatus::Failed))
        }
    }
}

fn warn_v1_limits(state: &State) {
    let config = &state.config;
    let access_only = !config.group_scopes.is_empty() || !config.access_suppress.is_empty();
    if access_only && state.first_v1_warning() {
        tracing::warn!(
            "a V1 event cannot change access tokens: GROUP_SCOPES and ACCESS_CLAIMS_TO_SUPPRESS \
             are not applied; set the pool's PreTokenGenerationConfig LambdaVersion to V2_0"
        );
    }
}

#[cfg(test)]
mod tests {

    use serde_json::json;

    use super::*;

    const ADMIN_SCOPES: &str = r#"{"admins":{"scopes":["api/admin"],"clients":["client1"]}}"#;

    fn v2(groups: &[&str]) -> Value {
        json!({
            "version": "2",
            "triggerSource": "TokenGeneration_Authentication",
            "region": "us-east-1",
            "userPoolId": "us-east-1_Example1",
            "userName": "alice",
            "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "client1"},
            "request": {
                "userAttributes": {"sub": "s-1"},
                "groupConfiguration": {"groupsToOverride": groups, "iamRolesToOverride": [], "preferredRole": null},
                "scopes": ["openid"],
                "clientMetadata": null
            },
            "response": {"claimsAndScopeOverrideDetails": null},
            "futureField": [1, 2]
        })
    }

    #[tokio::test]
    async fn without_configuration_the_event_comes_back_whole() {
        let state = test_kit::state::<State>(&[]).await;
        assert!(state.dynamodb.is_none());
        assert_eq!(
            test_kit::call(&state, v2(&["admins"])).await.unwrap(),
            v2(&["admins"])
        );
    }

    #[tokio::test]
    async fn adds_group_scopes_and_keeps_every_other_field() {
        let state = test_kit::state::<State>(&[("GROUP_SCOPES", ADMIN_SCOPES)]).await;
        let output = test_kit::call(&state, v2(&["admins"])).await.unwrap();
        let mut expected = v2(&["admins"]);
        expected["response"] = json!({"claimsAndScopeOverrideDetails": {
            "accessTokenGeneration": {"scopesToAdd": ["api/admin"]}
        }});
        assert_eq!(output, expected);
    }

    #[tokio::test]
    async fn unknown_sources_and_versions_pass_through_untouched() {
        let state = test_kit::state::<State>(&[("GROUP_SCOPES", ADMIN_SCOPES)]).await;
        let mut event = v2(&["admins"]);
        event["triggerSource"] = json!("TokenGeneration_Something");
        assert_eq!(test_kit::call(&state, event.clone()).await.unwrap(), event);
        for version in [json!("4"), json!(null), json!("V2_0")] {
            let mut event = v2(&["admins"]);
            event["version"] = version;
            assert_eq!(test_kit::call(&state, event.clone()).await.unwrap(), event);
        }
        // Client credentials exist in V3 only.
        let mut event = v2(&["admins"]);
        event["triggerSource"] = json!("TokenGeneration_ClientCredentials");
        assert_eq!(test_kit::call(&state, event.clone()).await.unwrap(), event);
    }

    #[tokio::test]
    async fn malformed_events_are_clear_errors() {
        let state = test_kit::state::<State>(&[]).await;
        for payload in [
            json!("text"),
            json!({"version": "2"}),
            json!({"version": "2", "triggerSource": "TokenGeneration_Authentication",
                   "request": {"scopes": "openid"}}),
        ] {
            let error = test_kit::call(&state, payload).await.unwrap_err();
            assert_eq!(error.code(), "MalformedEvent");
        }
    }

    #[tokio::test]
    async fn an_unreachable_table_omits_the_claims_or_refuses_as_configured() {
        // Nothing listens on this port: the read fails fast.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .unwrap()
            .port();
        let endpoint = format!("http://127.0.0.1:{port}");
        // The client is rebuilt against the closed port, without retries,
        // rather than through the process environment, which tests share.
        let with_endpoint = |state: State| {
            let sdk = aws_sdk_dynamodb::Config::builder()
                .behavior_version(aws_config::BehaviorVersion::latest())
                .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
                .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                    "testing", "testing", None, None, "test",
                ))
                .endpoint_url(&endpoint)
                .retry_config(aws_config::retry::RetryConfig::disabled())
                .build();
            State {
                dynamodb: Some(aws_sdk_dynamodb::Client::from_conf(sdk)),
                ..state
            }
        };
        let env = [
            ("GROUP_SCOPES", ADMIN_SCOPES),
            ("USERS_TABLE", "users"),
            ("PROFILE_CLAIMS", "plan"),
        ];
        let omit = with_endpoint(test_kit::state::<State>(&env).await);
        let output = test_kit::call(&omit, v2(&["admins"])).await.unwrap();
        // Scopes still added; no claim.
        assert_eq!(
            output["response"],
            json!({"claimsAndScopeOverrideDetails": {
                "accessTokenGeneration": {"scopesToAdd": ["api/admin"]}
            }})
        );

        let mut refusing = env.to_vec();
        refusing.push(("PROFILE_CLAIMS_ON_ERROR", "refuse"));
        let refuse = with_endpoint(test_kit::state::<State>(&refusing).await);
        let error = test_kit::call(&refuse, v2(&["admins"])).await.unwrap_err();
        assert_eq!(error.code(), "AwsUnreachable");
        assert_eq!(error.user_message(), error::RETRY_MESSAGE);
    }
}
