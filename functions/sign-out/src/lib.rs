//! The sign-out route (`POST /sign-out`, behind the authorizer): verifies
//! the bearer token with the shared verifier, writes the revocation store
//! first, then asks Cognito to end the sessions there too.
//!
//! | body | store | Cognito |
//! |---|---|---|
//! | none, `{}` or `{"scope": "session"}` | `session#<pool>#<origin_jti>` | `RevokeToken` when `refresh_token` is sent |
//! | `{"scope": "everywhere"}` | `user#<pool>#<sub>` | `AdminUserGlobalSignOut` |
//!
//! Answers: 204 done; 400 bad body; 401 bad token; 409 a session sign-out of
//! a token without `origin_jti`, or a machine client's token; 502 the store
//! or Cognito failed (the store is written first, so a 502 after the write
//! still refuses the token at the authorizer). Never logs the access token,
//! the refresh token or the `Authorization` header; the sub is logged.
//!
//! Modules: [`request`] (the event, pure), [`response`], [`config`].
#![deny(missing_docs)]

pub mod config;
mod error;
pub mod request;
pub mod response;

use crate::error::CognitoError;

use aws_sdk_cognitoidentityprovider::operation::admin_user_global_sign_out::AdminUserGlobalSignOutError;
use cognito_auth_core::aws::CallError;
use cognito_auth_core::claims::PrincipalType;
use cognito_auth_core::config::ConfigError;
use cognito_auth_core::function::Function;
use cognito_auth_core::ids::UserPoolId;
use cognito_auth_core::metrics::{self, Recorder};
use cognito_auth_core::revocation::store::{self, Revocation, StoreError};
use cognito_auth_core::revocation::unix_now;
use cognito_auth_core::revocation::{Reason, Subject};
use cognito_auth_core::{Claims, Verifier};
use lambda_runtime::LambdaEvent;
use serde_json::Value;

pub use crate::config::Config;
use crate::request::{Request, Scope};
use crate::response::{Answer, NO_ORIGIN_JTI, NOT_A_USER};

/// The `Function` dimension of this crate's metrics.
pub const FUNCTION_NAME: &str = "sign-out";

/// The configuration, the verifier and the clients, built once per sandbox.
pub struct State {
    config: Config,
    verifier: Verifier,
    cognito: aws_sdk_cognitoidentityprovider::Client,
    dynamodb: aws_sdk_dynamodb::Client,
    metrics: metrics::Metrics,
}

impl State {
    /// Builds the verifier (hydrating its key cache, as the authorizer does)
    /// and the SDK clients.
    pub async fn new(config: Config) -> Result<Self, ConfigError> {
        let verifier = Verifier::new(config.verifier.clone()).await?;
        let sdk = cognito_auth_core::aws::sdk_config(&config.aws).await;
        Ok(Self {
            verifier,
            cognito: aws_sdk_cognitoidentityprovider::Client::new(&sdk),
            dynamodb: aws_sdk_dynamodb::Client::new(&sdk),
            metrics: metrics::Metrics::new(config.metrics_namespace.clone(), FUNCTION_NAME),
            config,
        })
    }
}

impl Function for State {
    type Config = Config;
    type Error = std::convert::Infallible;

    async fn start(config: Config) -> Result<Self, ConfigError> {
        State::new(config).await
    }

    /// Handles one request; always answers (never an invocation error), so API
    /// Gateway returns the answer's status rather than a 502 of its own.
    async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, std::convert::Infallible> {
        let state = self;
        let mut recorder = state.metrics.recorder_for(&event.context);
        let answer = sign_out(state, &event.payload, &mut recorder).await;
        recorder.flush();
        Ok(answer.to_value())
    }
}

async fn sign_out(state: &State, payload: &Value, recorder: &mut Recorder<'_>) -> Answer {
    let Ok(request) = Request::from_event(payload) else {
        tracing::error!(
            reason = "not_a_proxy_event",
            "the event is not an API Gateway proxy event"
        );
        return Answer::BadRequest("Bad request.");
    };
    let token = match request.token() {
        Ok(token) => token,
        Err(error) => {
            tracing::info!(reason = error.reason(), "refused: no usable bearer token");
            return Answer::Unauthorized;
        }
    };
    let claims = match state.verifier.verify(token).await {
        Ok(claims) => claims,
        Err(error) => {
            tracing::info!(reason = error.reason(), "refused: the token did not verify");
            return Answer::Unauthorized;
        }
    };
    let body = match request.body() {
        Ok(body) => body,
        Err(error) => {
            tracing::info!(reason = error.reason(), sub = %claims.sub, "refused: bad body");
            return Answer::BadRequest(body_message(error));
        }
    };
    let Ok(pool) = UserPoolId::from_issuer(&claims.issuer) else {
        // The verifier accepted the issuer, so it names a configured pool;
        // a pool id that is not one is a deployment mistake.
        tracing::error!(issuer = %claims.issuer, "the token's issuer names no user pool id");
        return Answer::BadGateway;
    };
    if claims.principal_type() != PrincipalType::User {
        tracing::info!(client_id = %claims.client_id, "refused: a machine client's token");
        return Answer::Conflict(NOT_A_USER);
    }
    let (subject, reason) = match body.scope {
        Scope::Everywhere => (
            Subject::User {
                pool: pool.clone(),
                sub: claims.sub.clone(),
            },
            Reason::GlobalSignOut,
        ),
        Scope::Session => match claims.other.get("origin_jti") {
            Some(Value::String(origin_jti)) if !origin_jti.is_empty() => (
                Subject::Session {
                    pool: pool.clone(),
                    origin_jti: origin_jti.clone(),
                },
                Reason::SessionSignOut,
            ),
            _ => {
                tracing::info!(sub = %claims.sub, "refused: a session sign-out of a token without origin_jti");
                return Answer::Conflict(NO_ORIGIN_JTI);
            }
        },
    };

    // 1. The store, first: once this succeeds, the authorizer refuses the
    // token whatever happens next.
    let now = unix_now();
    let revocation = Revocation {
        subject,
        not_before: now,
        reason,
    };
    let store_config = &state.config.store;
    let written = store::record(
        &state.dynamodb,
        &store_config.table,
        &revocation,
        store_config.retention_secs,
        now,
        &state.config.aws,
    )
    .await;
    let written = match written {
        Ok(written) => written,
        Err(error) => {
            log_store_failure(&error, &claims, body.scope);
            count(recorder, reason, "failed");
            return Answer::BadGateway;
        }
    };
    count(recorder, reason, "ok");

    // 2. Cognito.
    let cognito = match (body.scope, &body.refresh_token) {
        (Scope::Everywhere, _) => global_sign_out(state, &pool, &claims)
            .await
            .map(|()| "AdminUserGlobalSignOut"),
        (Scope::Session, Some(refresh_token)) => revoke_token(state, refresh_token, &claims)
            .await
            .map(|()| "RevokeToken"),
        (Scope::Session, None) => Ok("none"),
    };
    match cognito {
        Ok(cognito_call) => {
            tracing::info!(
                sub = %claims.sub,
                pool = pool.as_str(),
                scope = body.scope.as_str(),
                key = %revocation.subject.key(),
                not_before = now,
                written = written.as_str(),
                cognito = cognito_call,
                "signed out"
            );
            Answer::SignedOut
        }
        Err(error) => {
            tracing::error!(
                error_type = error_code(&error),
                error = %error,
                sub = %claims.sub,
                pool = pool.as_str(),
                scope = body.scope.as_str(),
                key = %revocation.subject.key(),
                "the store holds the revocation, but Cognito did not end the session: its refresh \
                 token may still work"
            );
            Answer::BadGateway
        }
    }
}

fn body_message(error: request::BodyError) -> &'static str {
    match error {
        request::BodyError::TooLarge => "The body is larger than 8192 bytes.",
        request::BodyError::BadBase64 => "The body is not valid base64.",
        request::BodyError::NotAnObject => {
            "The body must be a JSON object without duplicate members."
        }
        request::BodyError::UnknownMember => "The body may hold only scope and refresh_token.",
        request::BodyError::BadScope => "scope must be \"session\" or \"everywhere\".",
        request::BodyError::BadRefreshToken => {
            "refresh_token must be a non-empty string of at most 6144 bytes."
        }
        request::BodyError::RefreshTokenWithEverywhere => {
            "refresh_token is only for the \"session\" scope."
        }
    }
}

fn count(recorder: &mut Recorder<'_>, reason: Reason, result: &'static str) {
    recorder.count(
        metrics::REVOCATIONS_RECORDED,
        &[
            (metrics::REASON, reason.as_str()),
            (metrics::RESULT, result),
        ],
        1,
    );
}

fn log_store_failure(error: &StoreError, claims: &Claims, scope: Scope) {
    tracing::error!(
        error_type = error.code(),
        error = %error,
        sub = %claims.sub,
        scope = scope.as_str(),
        "the revocation store write failed; nothing was signed out"
    );
}

fn error_code(error: &CognitoError) -> &'static str {
    match error {
        CognitoError::Aws(error) => error.code(),
    }
}

/// `AdminUserGlobalSignOut` for the token's user. A user that no longer
/// exists has no session left, which is success.
async fn global_sign_out(
    state: &State,
    pool: &UserPoolId,
    claims: &Claims,
) -> Result<(), CognitoError> {
    let Some(username) = claims.username.as_deref() else {
        // A user's token always names its username; the principal check
        // above makes this unreachable for verified tokens.
        return Err(CallError::Failed {
            operation: "AdminUserGlobalSignOut",
            code: "NoUsername".to_owned(),
            detail: "the token names no username".to_owned(),
        }
        .into());
    };
    let result = state
        .cognito
        .admin_user_global_sign_out()
        .user_pool_id(pool.as_str())
        .username(username)
        .send()
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(error) => match error.as_service_error() {
            Some(AdminUserGlobalSignOutError::UserNotFoundException(_)) => {
                tracing::warn!(sub = %claims.sub, "the user no longer exists in Cognito; nothing left to sign out there");
                Ok(())
            }
            _ => {
                Err(CallError::classify("AdminUserGlobalSignOut", &error, &state.config.aws).into())
            }
        },
    }
}

/// `RevokeToken` for the refresh token, with the token's app client.
async fn revoke_token(
    state: &State,
    refresh_token: &str,
    claims: &Claims,
) -> Result<(), CognitoError> {
    state
        .cognito
        .revoke_token()
        .token(refresh_token)
        .client_id(&claims.client_id)
        .send()
        .await
        .map(|_| ())
        .map_err(|error| CallError::classify("RevokeToken", &error, &state.config.aws).into())
}
