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
//! 3. when `REVOCATION_TABLE` is set, refuse it if its user, session or
//!    client was revoked after it was issued ([`revocation`]);
//! 4. decide with the route rules ([`route_rules`], [`decide`]), or allow the
//!    whole stage when none are configured;
//! 5. write an answer that is exact for every call API Gateway may reuse it
//!    for ([`iam_policy`], proved at init by [`stage_check`]) and fits its 8 KB limit ([`response`]).
//!
//! | outcome | REST / HTTP API 1.0 | HTTP API 2.0 |
//! |---|---|---|
//! | no token, malformed, not verified, or revoked | invocation fails with `Unauthorized` (401) | `{"isAuthorized": false}` |
//! | verified | `principalId` = `sub`, a policy exact for the stage (or, in `route` mode, the resource), flat `context` | `{"isAuthorized": true/false, "context"}` for this route key (every verb and path it can receive) |
//! | nothing permitted | an explicit Deny of the stage (403) | `{"isAuthorized": false}` (403) |
//! | not an authorizer event | invocation fails with `InvalidEvent` (500) | same |
//!
//! Logs carry reason codes ([`VerifyError::reason`]), the `sub`, the route
//! and the answer's size; never the token nor the credential header.
#![deny(missing_docs)]

pub mod bearer;
pub mod config;
pub mod decide;
pub mod event;
pub mod iam_policy;
pub mod limits;
pub mod response;
pub mod revocation;
pub mod route_rules;
pub mod stage_check;
pub mod template;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use cognito_auth_core::config::ConfigError;
use cognito_auth_core::logging;
use cognito_auth_core::metrics::{self, Metrics, Recorder};
use cognito_auth_core::policy::{Effect, MethodArn, PolicyBuilder, PolicyDocument};
use cognito_auth_core::{Claims, Verifier, VerifierCounts, VerifyError};
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::Value;

use crate::config::PolicyScope;
use crate::decide::{Caller, Evaluation};
use crate::event::{Credential, CredentialSources, EventError, Incoming, Kind, RouteKey, Target};
use crate::limits::MAX_ID_VALUE;
use crate::response::{OversizedClaim, SimpleResponse};
use crate::revocation::Revocations;
use crate::route_rules::RuleSet;
use cognito_auth_core::config::Choices as _;

pub use crate::config::Config;
use crate::template::Template;

/// Everything an invocation needs, built once per sandbox.
pub struct State {
    verifier: Verifier,
    rules: Option<RuleSet>,
    scope: PolicyScope,
    sources: CredentialSources,
    usage_identifier_claim: Option<String>,
    /// `None` when `REVOCATION_TABLE` is unset: no check, no client.
    revocations: Option<Revocations>,
    warned_about_http_cache: AtomicBool,
    warned_about_token_route_scope: AtomicBool,
    metrics: Metrics,
    /// The verifier's counters when they were last reported.
    reported: Mutex<VerifierCounts>,
}

/// The `Function` dimension of this crate's metrics.
pub const FUNCTION_NAME: &str = "authorizer";

impl State {
    /// Builds the verifier (loading `JWKS_FILE` now, if set) and, when
    /// `REVOCATION_TABLE` is set, the revocation store's client.
    pub async fn new(config: Config) -> Result<Self, ConfigError> {
        let revocations = match config.revocation {
            Some(revocation) => Some(Revocations::new(revocation).await),
            None => None,
        };
        Ok(Self {
            revocations,
            verifier: Verifier::new(config.verifier).await?,
            rules: config.rules,
            scope: config.scope,
            sources: config.sources,
            usage_identifier_claim: config.usage_identifier_claim,
            warned_about_http_cache: AtomicBool::new(false),
            warned_about_token_route_scope: AtomicBool::new(false),
            metrics: Metrics::new(config.metrics_namespace, FUNCTION_NAME),
            reported: Mutex::new(VerifierCounts::default()),
        })
    }
}

/// Why an invocation fails.
#[derive(Debug, thiserror::Error)]
pub enum FnError {
    /// No usable, verified token (REST kinds): a refusal of the caller,
    /// counted in `Refusals`. API Gateway answers 401 only for this exact
    /// message.
    #[error("Unauthorized")]
    Unauthorized,
    /// The token could not be checked (no keys to verify it with, an event
    /// that does not parse, a claim beyond API Gateway's limits, the
    /// revocation store failing under `REVOCATION_STORE_FAILURE=refuse`): still
    /// `Unauthorized` to API Gateway, the answer that fails closed, but a
    /// failure of the authorizer, logged at ERROR and not a refusal.
    #[error("Unauthorized")]
    FailedClosed,
    /// Not an authorizer event API Gateway could have sent: a wiring
    /// mistake, which API Gateway shows as a 500.
    #[error("invalid authorizer event")]
    InvalidEvent,
}

impl From<FnError> for Diagnostic {
    fn from(error: FnError) -> Self {
        let error_type = match error {
            FnError::Unauthorized | FnError::FailedClosed => "Unauthorized",
            FnError::InvalidEvent => "InvalidEvent",
        };
        Diagnostic {
            error_type: error_type.to_owned(),
            error_message: error.to_string(),
        }
    }
}

/// Answers one authorizer event, and writes its metrics: the decision by
/// outcome and reason, the answer's size, and what the verifier did
/// (JWKS fetches, stale keys, cache hits).
pub async fn handle(state: &State, event: LambdaEvent<Value>) -> Result<Value, FnError> {
    let mut recorder = state.metrics.recorder(
        &event.context.request_id,
        event.context.xray_trace_id.as_deref(),
    );
    let result = answer(state, event.payload, &mut recorder).await;
    record_verifier(state, &mut recorder);
    if matches!(result, Err(FnError::Unauthorized)) {
        recorder.refusal();
    }
    recorder.flush();
    // Every 401 was logged above with its reason (a refusal at INFO or
    // WARN, a failure at ERROR): lambda_runtime's ERROR line would only
    // repeat `Unauthorized`.
    if matches!(result, Err(FnError::Unauthorized | FnError::FailedClosed)) {
        logging::error_already_logged();
    }
    result
}

/// Reports what the verifier did since the last report: the init fetch
/// lands on the first invocation.
fn record_verifier(state: &State, recorder: &mut Recorder<'_>) {
    let now = state.verifier.counts();
    let done = {
        let mut reported = state
            .reported
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        now.since(std::mem::replace(&mut *reported, now))
    };
    for (result, n) in [
        ("ok", done.jwks_fetches_ok),
        ("failed", done.jwks_fetches_failed),
    ] {
        if n > 0 {
            recorder.count(metrics::JWKS_FETCHES, &[(metrics::RESULT, result)], n);
        }
    }
    if done.stale_key_uses > 0 {
        recorder.count(metrics::STALE_KEY_USES, &[], done.stale_key_uses);
    }
    if done.verified_cache_hits > 0 {
        recorder.count(metrics::VERIFIED_CACHE_HITS, &[], done.verified_cache_hits);
    }
}

/// Records one decision: `allow`, `deny`, `unauthorized` (with its reason
/// code) or `invalid_event`.
fn record_decision(
    recorder: &mut Recorder<'_>,
    outcome: &'static str,
    reason: Option<&'static str>,
) {
    match reason {
        Some(reason) => recorder.count(
            metrics::DECISIONS,
            &[(metrics::OUTCOME, outcome), (metrics::REASON, reason)],
            1,
        ),
        None => recorder.count(metrics::DECISIONS, &[(metrics::OUTCOME, outcome)], 1),
    }
}

fn record_answer(recorder: &mut Recorder<'_>, allowed: bool, size: usize) {
    let outcome = decision_name(allowed);
    record_decision(recorder, outcome, None);
    recorder.put(
        metrics::ANSWER_BYTES,
        &[(metrics::OUTCOME, outcome)],
        size as f64,
    );
}

async fn answer(
    state: &State,
    payload: Value,
    recorder: &mut Recorder<'_>,
) -> Result<Value, FnError> {
    let incoming = match Incoming::read(payload, &state.sources) {
        Ok(incoming) => incoming,
        Err(EventError::Unparseable(kind, error)) => {
            // The parser's message can quote a header value, so only its
            // category is logged.
            tracing::error!(
                kind = kind.as_str(),
                reason = "unparseable_event",
                category = ?error.classify(),
                "refused: the event does not parse"
            );
            record_decision(recorder, "unauthorized", Some("unparseable_event"));
            return refuse(kind, FnError::FailedClosed);
        }
        Err(error) => {
            tracing::error!(error = %error, "refused: not a usable authorizer event");
            record_decision(recorder, "invalid_event", None);
            return Err(FnError::InvalidEvent);
        }
    };
    let kind = incoming.kind;
    let route = incoming.target.describe();

    let claims = match verify(state, &incoming.credential).await {
        Ok(claims) => claims,
        Err(reason) if reason == VerifyError::JwksUnavailable.reason() => {
            tracing::error!(
                kind = kind.as_str(),
                route,
                reason,
                "unauthorized: no keys to verify the token with"
            );
            record_decision(recorder, "unauthorized", Some(reason));
            return refuse(kind, FnError::FailedClosed);
        }
        Err(reason) => {
            tracing::info!(kind = kind.as_str(), route, reason, "unauthorized");
            record_decision(recorder, "unauthorized", Some(reason));
            return refuse(kind, FnError::Unauthorized);
        }
    };
    if let Some(revocations) = &state.revocations {
        match revocations
            .check(&claims, kind.as_str(), &route, recorder)
            .await
        {
            revocation::Outcome::Pass => {}
            revocation::Outcome::Revoked(reason) => {
                record_decision(recorder, "unauthorized", Some(reason));
                return refuse(kind, FnError::Unauthorized);
            }
            revocation::Outcome::FailedClosed => {
                record_decision(recorder, "unauthorized", Some(revocation::UNAVAILABLE));
                return refuse(kind, FnError::FailedClosed);
            }
        }
    }
    let caller = Caller::new(&claims);
    let evaluation = state
        .rules
        .as_ref()
        .map(|rules| Evaluation::new(rules, &caller));

    let answer = match &incoming.target {
        Target::Arn { arn, resource } => {
            let (policy, covers) =
                policy(state, kind, evaluation.as_ref(), arn, resource.as_deref());
            policy_answer(state, &claims, arn, policy).map(|(answer, policy, size)| {
                let allowed = policy.allows(&arn.to_string());
                tracing::info!(
                    kind = kind.as_str(),
                    route,
                    sub = claims.sub,
                    principal_type = claims.principal_type().as_str(),
                    decision = decision_name(allowed),
                    scope = state.scope.word(),
                    covers,
                    allow_resources = policy.resource_count(Effect::Allow),
                    deny_resources = policy.resource_count(Effect::Deny),
                    answer_bytes = size,
                    "policy issued"
                );
                record_answer(recorder, allowed, size);
                answer
            })
        }
        Target::Connect { arn } => {
            let allowed = evaluation.as_ref().is_none_or(Evaluation::allows_connect);
            let effect = if allowed { Effect::Allow } else { Effect::Deny };
            // The ARN as sent: it has no path, so no `/` after `$connect`.
            let policy = PolicyDocument::single(effect, arn.resource(Some(arn.verb()), ""));
            policy_answer(state, &claims, arn, policy).map(|(answer, _, size)| {
                tracing::info!(
                    kind = kind.as_str(),
                    route,
                    sub = claims.sub,
                    principal_type = claims.principal_type().as_str(),
                    decision = decision_name(allowed),
                    answer_bytes = size,
                    "policy issued"
                );
                record_answer(recorder, allowed, size);
                answer
            })
        }
        Target::Route {
            verb,
            route_key,
            identity_source,
            caller_sent_route_key,
        } => {
            let allowed = match &evaluation {
                None => true,
                Some(evaluation) => route_decision(
                    state,
                    evaluation,
                    route_key,
                    identity_source,
                    *caller_sent_route_key,
                ),
            };
            simple_answer(&claims, allowed).map(|(answer, size)| {
                tracing::info!(
                    kind = kind.as_str(),
                    route,
                    verb,
                    sub = claims.sub,
                    principal_type = claims.principal_type().as_str(),
                    decision = decision_name(allowed),
                    answer_bytes = size,
                    "decided"
                );
                record_answer(recorder, allowed, size);
                answer
            })
        }
    };
    answer.or_else(|OversizedClaim(claim)| {
        tracing::error!(
            kind = kind.as_str(),
            route,
            claim,
            reason = "oversized_claim",
            "unauthorized"
        );
        record_decision(recorder, "unauthorized", Some("oversized_claim"));
        refuse(kind, FnError::FailedClosed)
    })
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
/// `Unauthorized` (`error`, a refusal or a failure to check); the HTTP API
/// 2.0 answer: `isAuthorized: false`, no error.
fn refuse(kind: Kind, error: FnError) -> Result<Value, FnError> {
    if kind.answers_with_policy() {
        Err(error)
    } else {
        serde_json::to_value(SimpleResponse::denied()).map_err(|_| FnError::InvalidEvent)
    }
}

/// The caller's policy, and what it covers (for the log).
fn policy(
    state: &State,
    kind: Kind,
    evaluation: Option<&Evaluation<'_>>,
    arn: &MethodArn,
    resource: Option<&str>,
) -> (PolicyDocument, &'static str) {
    let Some(evaluation) = evaluation else {
        let mut builder = PolicyBuilder::new(arn);
        builder.allow(None, "/*");
        return (builder.build(), "stage");
    };
    match state.scope {
        PolicyScope::Stage => (iam_policy::stage_policy(evaluation, arn), "stage"),
        PolicyScope::Route => {
            if kind == Kind::Token {
                warn_once(
                    &state.warned_about_token_route_scope,
                    "AUTHZ_POLICY_SCOPE=route with a TOKEN authorizer: its cache key is the token \
                     alone, so each answer covers only the call that caused it, and a cached \
                     answer refuses the caller's other routes. Use a REQUEST authorizer with \
                     the token header, context.httpMethod and context.resourcePath as identity \
                     sources, or turn caching off.",
                );
            }
            let resource = resource.and_then(Template::parse_route);
            let (policy, covers) = iam_policy::route_policy(evaluation, arn, resource.as_ref());
            (policy, covers.as_str())
        }
    }
}

/// The HTTP API 2.0 decision. API Gateway reuses it for every request with
/// the same identity-source values; unless the route key is among them, it
/// is reused for every route, so it may only be yes when the caller may
/// call everything.
fn route_decision(
    state: &State,
    evaluation: &Evaluation<'_>,
    route_key: &str,
    identity_source: &[String],
    caller_sent_route_key: bool,
) -> bool {
    // A value equal to the route key proves `$context.routeKey` is in the
    // cache key only if the caller did not send that text themselves: with
    // `$request.header.X-Org` as an identity source, `X-Org: GET /public`
    // would otherwise get one route's yes cached for every route.
    if caller_sent_route_key || !identity_source.iter().any(|value| value == route_key) {
        warn_once(
            &state.warned_about_http_cache,
            "AUTHZ_RULES decide per route, but the identity sources do not include \
             $context.routeKey, so API Gateway may reuse one answer for every route: only \
             callers allowed everything are authorized. Add $context.routeKey (after the \
             token) to the identity sources.",
        );
        return evaluation.allows_everything();
    }
    // `$default` receives every call no other route takes, the root
    // included.
    if route_key == "$default" {
        return evaluation.allows_everything();
    }
    RouteKey::parse(route_key)
        .and_then(|route| Some((route.verb, Template::parse_route(route.path)?)))
        .is_some_and(|(verb, template)| evaluation.allows_route(verb, &template))
}

/// The REST answer, fitted to API Gateway's limits ([`response::fit_policy_answer`]);
/// its policy and size.
fn policy_answer(
    state: &State,
    claims: &Claims,
    arn: &MethodArn,
    policy: PolicyDocument,
) -> Result<(Value, PolicyDocument, usize), OversizedClaim> {
    let fitted = response::fit_policy_answer(claims, arn, policy, usage_identifier(state, claims))?;
    if let Some(unfit) = fitted.replaced {
        tracing::error!(
            stage_len = arn.stage().len(),
            policy_bytes = unfit.policy_bytes,
            longest_resource = unfit.longest_resource,
            "the answer would break API Gateway's limits (8 KB answer, 512-character ARN); \
             answering with a Deny. Set AUTHZ_POLICY_SCOPE=route or use fewer rules."
        );
    }
    log_cut(claims, fitted.cut);
    let value = serde_json::to_value(&fitted.answer).unwrap_or(Value::Null);
    Ok((value, fitted.answer.policy_document, fitted.size))
}

/// The HTTP API 2.0 answer, and its size.
fn simple_answer(claims: &Claims, allowed: bool) -> Result<(Value, usize), OversizedClaim> {
    let (answer, cut) = response::fit_simple_answer(claims, allowed)?;
    log_cut(claims, cut);
    let size = response::serialized_len(&answer);
    Ok((serde_json::to_value(&answer).unwrap_or(Value::Null), size))
}

fn log_cut(claims: &Claims, cut: response::Cut) {
    if cut.any {
        tracing::warn!(
            sub = claims.sub,
            groups = claims.groups.len(),
            groups_kept = cut.groups_kept,
            scopes = claims.scopes.len(),
            scopes_kept = cut.scopes_kept,
            "context lists cut to fit API Gateway's 8 KB answer; the context says so \
             (groups_truncated, scopes_truncated)"
        );
    }
}

fn usage_identifier(state: &State, claims: &Claims) -> Option<String> {
    let name = state.usage_identifier_claim.as_deref()?;
    let value = match claims.claim(name) {
        Some(Value::String(value)) if !value.is_empty() => value,
        Some(Value::Number(value)) => value.to_string(),
        _ => {
            tracing::warn!(
                claim = name,
                sub = claims.sub,
                "the usage identifier claim is absent or not a string; usageIdentifierKey left out"
            );
            return None;
        }
    };
    if response::json_len(&value) > MAX_ID_VALUE {
        tracing::warn!(
            claim = name,
            sub = claims.sub,
            "the usage identifier claim is too long; usageIdentifierKey left out"
        );
        return None;
    }
    Some(value)
}

/// Logs a configuration warning once per sandbox.
fn warn_once(flag: &AtomicBool, message: &'static str) {
    if !flag.swap(true, Ordering::Relaxed) {
        tracing::warn!("{message}");
    }
}

fn decision_name(allowed: bool) -> &'static str {
    if allowed { "allow" } else { "deny" }
}
