//! API Gateway Lambda authorizer backed by Cognito user-pool tokens.
//!
//! One binary answers REST API TOKEN and REQUEST authorizers and HTTP API
//! authorizers (payload 1.0 and 2.0), told apart by the payload
//! ([`event`]). The flow is the same for all of them:
//!
//! 1. take the credential (`authorizationToken`, the `TOKEN_HEADER` header,
//!    or `identitySource[0]`), and the token out of it ([`bearer`]);
//! 2. verify it with the shared [`Verifier`] (signature, issuer, client,
//!    token use, times);
//! 3. decide with the route rules ([`rules`], `AUTHZ_RULES`), or allow the
//!    whole stage when none are configured.
//!
//! | outcome | REST / HTTP API 1.0 | HTTP API 2.0 |
//! |---|---|---|
//! | no token, malformed, or not verified | invocation fails with `Unauthorized` (401) | `{"isAuthorized": false}` |
//! | verified | `principalId` = `sub`, a policy for every route the caller may call, flat `context` | `{"isAuthorized": true/false, "context"}` for this route key (every verb and path it can receive) |
//! | nothing permitted | an explicit Deny of the stage (403) | `{"isAuthorized": false}` (403) |
//! | not an authorizer event | invocation fails with `InvalidEvent` (500) | same |
//!
//! Logs carry reason codes ([`VerifyError::reason`]), the `sub` and the
//! route; never the token nor the credential header.

pub mod bearer;
pub mod event;
pub mod response;
pub mod rules;

use std::sync::atomic::{AtomicBool, Ordering};

use aws_lambda_events::http::HeaderName;
use cognito_auth_core::config::{ConfigError, Env};
use cognito_auth_core::policy::{Effect, MethodArn, PolicyBuilder, PolicyDocument};
use cognito_auth_core::{Claims, Verifier, VerifierConfig, VerifyError};
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::Value;

use crate::event::{Credential, EventError, Incoming, Kind, RouteKey, Target};
use crate::response::{PolicyResponse, SimpleResponse};
use crate::rules::RuleSet;

/// `TOKEN_HEADER`: the header that carries the credential in REQUEST events.
pub const TOKEN_HEADER: &str = "TOKEN_HEADER";

/// The default credential header.
pub const DEFAULT_TOKEN_HEADER: &str = "Authorization";

/// `USAGE_IDENTIFIER_CLAIM`: the claim whose value becomes
/// `usageIdentifierKey` (an API key of a usage plan).
pub const USAGE_IDENTIFIER_CLAIM: &str = "USAGE_IDENTIFIER_CLAIM";

/// The function's configuration, read once at init.
pub struct Config {
    /// Which tokens are accepted.
    pub verifier: VerifierConfig,
    /// Route rules; `None` lets every verified caller call the whole stage.
    pub rules: Option<RuleSet>,
    /// The credential header of REQUEST events (lookups ignore case).
    pub token_header: HeaderName,
    /// The claim for `usageIdentifierKey`, if any.
    pub usage_identifier_claim: Option<String>,
}

impl Config {
    /// Reads the verifier's variables, `AUTHZ_RULES`, `TOKEN_HEADER` and
    /// `USAGE_IDENTIFIER_CLAIM`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let header = env
            .optional(TOKEN_HEADER)
            .unwrap_or_else(|| DEFAULT_TOKEN_HEADER.to_owned());
        let token_header = HeaderName::from_bytes(header.as_bytes())
            .map_err(|_| ConfigError::new(TOKEN_HEADER, "is not a valid HTTP header name"))?;
        Ok(Self {
            verifier: VerifierConfig::from_env(env)?,
            rules: RuleSet::from_env(env)?,
            token_header,
            usage_identifier_claim: env.optional(USAGE_IDENTIFIER_CLAIM),
        })
    }
}

/// Everything an invocation needs, built once per sandbox.
pub struct State {
    verifier: Verifier,
    rules: Option<RuleSet>,
    token_header: HeaderName,
    usage_identifier_claim: Option<String>,
    warned_about_http_cache: AtomicBool,
}

impl State {
    /// Builds the verifier (loading `JWKS_FILE` now, if set).
    pub async fn new(config: Config) -> Result<Self, ConfigError> {
        Ok(Self {
            verifier: Verifier::new(config.verifier).await?,
            rules: config.rules,
            token_header: config.token_header,
            usage_identifier_claim: config.usage_identifier_claim,
            warned_about_http_cache: AtomicBool::new(false),
        })
    }
}

/// Why an invocation fails.
#[derive(Debug, thiserror::Error)]
pub enum FnError {
    /// No usable, verified token (REST kinds). API Gateway answers 401 only
    /// for this exact message.
    #[error("Unauthorized")]
    Unauthorized,
    /// Not an authorizer event API Gateway could have sent: a wiring
    /// mistake, which API Gateway shows as a 500.
    #[error("invalid authorizer event")]
    InvalidEvent,
}

impl From<FnError> for Diagnostic {
    fn from(error: FnError) -> Self {
        let error_type = match error {
            FnError::Unauthorized => "Unauthorized",
            FnError::InvalidEvent => "InvalidEvent",
        };
        Diagnostic {
            error_type: error_type.to_owned(),
            error_message: error.to_string(),
        }
    }
}

/// Answers one authorizer event.
pub async fn handle(state: &State, event: LambdaEvent<Value>) -> Result<Value, FnError> {
    let incoming = match Incoming::read(event.payload, &state.token_header) {
        Ok(incoming) => incoming,
        Err(EventError::Unparseable(kind, error)) => {
            // The parser's message can quote a header value, so only its
            // category is logged.
            tracing::warn!(
                kind = kind.as_str(),
                reason = "unparseable_event",
                category = ?error.classify(),
                "refused: the event does not parse"
            );
            return refuse(kind);
        }
        Err(error) => {
            tracing::error!(error = %error, "refused: not a usable authorizer event");
            return Err(FnError::InvalidEvent);
        }
    };
    let kind = incoming.kind;
    let route = incoming.target.describe();

    let claims = match verify(state, &incoming.credential).await {
        Ok(claims) => claims,
        Err(reason) => {
            tracing::info!(kind = kind.as_str(), route, reason, "unauthorized");
            return refuse(kind);
        }
    };

    let answer = match &incoming.target {
        Target::Arn(arn) => {
            let policy = policy(state, &claims, arn);
            let decision = policy.allows(&arn.to_string());
            tracing::info!(
                kind = kind.as_str(),
                route,
                sub = claims.sub,
                decision = decision_name(decision),
                allow_resources = policy.resource_count(Effect::Allow),
                deny_resources = policy.resource_count(Effect::Deny),
                "policy issued"
            );
            serde_json::to_value(PolicyResponse {
                principal_id: claims.sub.clone(),
                policy_document: policy,
                context: response::context(&claims),
                usage_identifier_key: usage_identifier(state, &claims),
            })
        }
        Target::Route {
            verb,
            route_key,
            identity_source,
        } => {
            // The answer is cached per token and route key, so it depends on
            // the route key only: never on the real verb (an `ANY` route
            // takes every verb) nor on the real path.
            let allowed = match &state.rules {
                None => true,
                Some(rules) => {
                    warn_if_cache_ignores_route(state, route_key, identity_source);
                    RouteKey::parse(route_key).is_some_and(|route| {
                        rules.evaluate(&claims).allows_route(route.verb, route.path)
                    })
                }
            };
            tracing::info!(
                kind = kind.as_str(),
                route,
                verb,
                sub = claims.sub,
                decision = decision_name(allowed),
                "decided"
            );
            serde_json::to_value(SimpleResponse {
                is_authorized: allowed,
                context: allowed.then(|| response::context(&claims)),
            })
        }
    };
    // Serialising these types cannot fail (string keys, no floats); refuse
    // rather than panic if it ever did.
    answer.map_err(|_| FnError::InvalidEvent)
}

/// The verified claims, or the reason code for a refusal.
async fn verify(state: &State, credential: &Credential) -> Result<Claims, &'static str> {
    let value = match credential {
        Credential::Value(value) => value,
        other => return Err(other.reason().unwrap_or("missing_token")),
    };
    let token = bearer::token(value).map_err(|error| error.reason())?;
    state
        .verifier
        .verify(token)
        .await
        .map_err(|error: VerifyError| error.reason())
}

/// The REST answer to an unusable token: a failed invocation with exactly
/// `Unauthorized`; the HTTP API 2.0 answer: `isAuthorized: false`.
fn refuse(kind: Kind) -> Result<Value, FnError> {
    if kind.answers_with_policy() {
        Err(FnError::Unauthorized)
    } else {
        serde_json::to_value(SimpleResponse::denied()).map_err(|_| FnError::InvalidEvent)
    }
}

/// The caller's policy for the whole stage of `arn`.
fn policy(state: &State, claims: &Claims, arn: &MethodArn) -> PolicyDocument {
    match &state.rules {
        None => {
            let mut builder = PolicyBuilder::new(arn);
            builder.allow_stage();
            builder.build()
        }
        Some(rules) => rules.evaluate(claims).policy(arn),
    }
}

fn usage_identifier(state: &State, claims: &Claims) -> Option<String> {
    let name = state.usage_identifier_claim.as_deref()?;
    match claims.claim(name) {
        Some(Value::String(value)) if !value.is_empty() => Some(value),
        Some(Value::Number(value)) => Some(value.to_string()),
        _ => {
            tracing::warn!(
                claim = name,
                sub = claims.sub,
                "the usage identifier claim is absent or not a string; usageIdentifierKey left out"
            );
            None
        }
    }
}

/// HTTP API caches a simple answer per identity source. With route rules,
/// the answer depends on the route, so the identity sources must include
/// `$context.routeKey` when caching is on. Said once per sandbox.
fn warn_if_cache_ignores_route(state: &State, route_key: &str, identity_source: &[String]) {
    if identity_source.iter().any(|value| value == route_key) {
        return;
    }
    if !state.warned_about_http_cache.swap(true, Ordering::Relaxed) {
        tracing::warn!(
            "AUTHZ_RULES answers depend on the route, but the identity sources do not include \
             $context.routeKey: if authorizer caching is on, one route's answer would be reused \
             for another. Add $context.routeKey (after the token) to the identity sources, or \
             turn caching off."
        );
    }
}

fn decision_name(allowed: bool) -> &'static str {
    if allowed { "allow" } else { "deny" }
}
