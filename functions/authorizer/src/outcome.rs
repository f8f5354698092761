//! How one invocation ended, and the one place that turns it into its log
//! line, its decision metrics and the value (or error) API Gateway gets.
//!
//! The stages of `State`'s `Function::handle` (read the event, verify the token, check
//! revocation, decide, build the answer) each return a value; the first
//! that ends the invocation becomes an [`Outcome`], with everything its log
//! line and metrics need, and [`Outcome::conclude`] writes them.

use std::sync::atomic::{AtomicBool, Ordering};

use cognito_auth_core::metrics::{self, Recorder};
use cognito_auth_core::policy::{Effect, MethodArn};
use cognito_auth_core::{Claims, VerifyError};
use serde_json::Value;

use crate::config::PolicyScope;
use crate::error::FnError;
use crate::event::{EventError, Kind};
use crate::response::{
    self, Cut, FittedPolicyAnswer, SimpleResponse, UnfitPolicy, UsageKeyLeftOut,
};
use crate::revocation;

/// How one invocation ended.
#[derive(Debug)]
pub enum Outcome {
    /// The event could not be read: not an authorizer event (a wiring
    /// mistake, 500), or one whose fields do not parse (failed closed).
    NotRead(EventError),
    /// No verified token: its reason code ([`VerifyError::reason`], or the
    /// credential's).
    Unverified(Call, &'static str),
    /// Revoked (logged by the check, with what was revoked): its reason code.
    Revoked(Call, &'static str),
    /// The revocation store failed under `REVOCATION_STORE_FAILURE=refuse`
    /// (logged by the check).
    RevocationUnavailable(Call),
    /// A claim too long for API Gateway's context: its name.
    OversizedClaim(Call, &'static str),
    /// An answer for a verified caller.
    Answered(Call, Box<Claims>, Answer),
}

/// The call an event names, for every log line after the event is read.
#[derive(Debug)]
pub struct Call {
    /// The event's kind.
    pub kind: Kind,
    /// The route: `GET /pets/42`, a route key, or `$connect`.
    pub route: String,
}

/// An answer, built, with what its log lines need.
#[derive(Debug)]
pub struct Answer {
    /// The JSON API Gateway gets.
    value: Value,
    /// Whether it lets the call through.
    allowed: bool,
    /// Its serialised size, in bytes.
    size: usize,
    /// What was cut from the context to fit.
    cut: Cut,
    /// Why `usageIdentifierKey` was left out, when configured but unusable.
    usage_key_left_out: Option<UsageKeyLeftOut>,
    /// A configuration that makes API Gateway's cache unsafe, to warn of
    /// once per sandbox.
    warning: Option<ConfigWarning>,
    /// The kind of answer.
    shape: Shape,
}

/// What kind of answer, with the fields of its log line.
#[derive(Debug)]
enum Shape {
    /// A REST or HTTP API 1.0 policy.
    Policy {
        scope: PolicyScope,
        covers: &'static str,
        allow_resources: usize,
        deny_resources: usize,
        /// Set when the policy broke a limit and was replaced by a Deny.
        replaced: Option<UnfitPolicy>,
        stage_len: usize,
    },
    /// A WebSocket `$connect` policy.
    Connect,
    /// An HTTP API 2.0 simple answer.
    Route { verb: String },
}

/// A configuration that makes API Gateway's cache unsafe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigWarning {
    /// `route` scope with a TOKEN authorizer, cached on the token alone.
    TokenRouteScope,
    /// Rules decide per route, but the route key is not proved to be in
    /// the HTTP API's cache key.
    HttpCacheKey,
}

/// Whether each [`ConfigWarning`] was logged in this sandbox.
#[derive(Debug, Default)]
pub struct Warnings {
    token_route_scope: AtomicBool,
    http_cache_key: AtomicBool,
}

impl Warnings {
    /// Logs `warning` once per sandbox.
    fn warn_once(&self, warning: ConfigWarning) {
        let (flag, message) = match warning {
            ConfigWarning::TokenRouteScope => (
                &self.token_route_scope,
                "AUTHZ_POLICY_SCOPE=route with a TOKEN authorizer: its cache key is the token \
                 alone, so each answer covers only the call that caused it, and a cached \
                 answer refuses the caller's other routes. Use a REQUEST authorizer with \
                 the token header, context.httpMethod and context.resourcePath as identity \
                 sources, or turn caching off.",
            ),
            ConfigWarning::HttpCacheKey => (
                &self.http_cache_key,
                "AUTHZ_RULES decide per route, but the identity sources do not include \
                 $context.routeKey, so API Gateway may reuse one answer for every route: only \
                 callers allowed everything are authorized. Add $context.routeKey (after the \
                 token) to the identity sources.",
            ),
        };
        if !flag.swap(true, Ordering::Relaxed) {
            tracing::warn!("{message}");
        }
    }
}

impl Answer {
    /// A REST (or HTTP API 1.0) answer: `fitted` for the call of `arn`.
    pub fn policy(
        fitted: FittedPolicyAnswer,
        arn: &MethodArn,
        scope: PolicyScope,
        covers: &'static str,
    ) -> Self {
        let policy = &fitted.answer.policy_document;
        let shape = Shape::Policy {
            scope,
            covers,
            allow_resources: policy.resource_count(Effect::Allow),
            deny_resources: policy.resource_count(Effect::Deny),
            replaced: fitted.replaced,
            stage_len: arn.stage().len(),
        };
        Self {
            allowed: policy.allows(&arn.to_string()),
            ..Self::fitted(fitted, shape)
        }
    }

    /// A WebSocket `$connect` answer.
    pub fn connect(fitted: FittedPolicyAnswer, allowed: bool) -> Self {
        Self {
            allowed,
            ..Self::fitted(fitted, Shape::Connect)
        }
    }

    /// An HTTP API 2.0 answer to a call of `verb`.
    pub fn route(answer: &SimpleResponse, cut: Cut, verb: &str) -> Self {
        Self {
            value: serde_json::to_value(answer).unwrap_or(Value::Null),
            allowed: answer.is_authorized,
            size: response::serialized_len(answer),
            cut,
            usage_key_left_out: None,
            warning: None,
            shape: Shape::Route {
                verb: verb.to_owned(),
            },
        }
    }

    fn fitted(fitted: FittedPolicyAnswer, shape: Shape) -> Self {
        Self {
            value: serde_json::to_value(&fitted.answer).unwrap_or(Value::Null),
            allowed: false,
            size: fitted.size,
            cut: fitted.cut,
            usage_key_left_out: None,
            warning: None,
            shape,
        }
    }

    /// With a configuration warning, if any.
    pub fn warning(self, warning: Option<ConfigWarning>) -> Self {
        Self { warning, ..self }
    }

    /// With why `usageIdentifierKey` was left out, if it was.
    pub fn usage_key_left_out(self, left_out: Option<UsageKeyLeftOut>) -> Self {
        Self {
            usage_key_left_out: left_out,
            ..self
        }
    }
}

impl Outcome {
    /// Logs the outcome, records the decision (and an answer's size), and
    /// returns what API Gateway gets.
    pub fn conclude(
        self,
        warnings: &Warnings,
        recorder: &mut Recorder<'_>,
    ) -> Result<Value, FnError> {
        match self {
            Outcome::NotRead(EventError::Unparseable(kind, error)) => {
                // The parser's message can quote a header value, so only its
                // category is logged.
                tracing::error!(
                    kind = kind.as_str(),
                    reason = "unparseable_event",
                    category = ?error.classify(),
                    "refused: the event does not parse"
                );
                refuse(recorder, kind, "unparseable_event", FnError::FailedClosed)
            }
            Outcome::NotRead(error) => {
                tracing::error!(error = %error, "refused: not a usable authorizer event");
                record_decision(recorder, "invalid_event", None);
                Err(FnError::InvalidEvent)
            }
            Outcome::Unverified(Call { kind, route }, reason)
                if reason == VerifyError::JwksUnavailable.reason() =>
            {
                tracing::error!(
                    kind = kind.as_str(),
                    route,
                    reason,
                    "unauthorized: no keys to verify the token with"
                );
                refuse(recorder, kind, reason, FnError::FailedClosed)
            }
            Outcome::Unverified(Call { kind, route }, reason) => {
                tracing::info!(kind = kind.as_str(), route, reason, "unauthorized");
                refuse(recorder, kind, reason, FnError::Unauthorized)
            }
            Outcome::Revoked(call, reason) => {
                refuse(recorder, call.kind, reason, FnError::Unauthorized)
            }
            Outcome::RevocationUnavailable(call) => refuse(
                recorder,
                call.kind,
                revocation::UNAVAILABLE,
                FnError::FailedClosed,
            ),
            Outcome::OversizedClaim(Call { kind, route }, claim) => {
                tracing::error!(
                    kind = kind.as_str(),
                    route,
                    claim,
                    reason = "oversized_claim",
                    "unauthorized"
                );
                refuse(recorder, kind, "oversized_claim", FnError::FailedClosed)
            }
            Outcome::Answered(call, claims, answer) => {
                answer.log(&call, &claims, warnings);
                let outcome = decision_name(answer.allowed);
                record_decision(recorder, outcome, None);
                recorder.put(
                    metrics::ANSWER_BYTES,
                    &[(metrics::OUTCOME, outcome)],
                    answer.size as f64,
                );
                Ok(answer.value)
            }
        }
    }
}

impl Answer {
    /// The answer's log lines: the warnings it raised, then the decision.
    fn log(&self, call: &Call, claims: &Claims, warnings: &Warnings) {
        let Call { kind, route } = call;
        if let Some(warning) = self.warning {
            warnings.warn_once(warning);
        }
        if let Some(left_out) = &self.usage_key_left_out {
            tracing::warn!(
                claim = left_out.claim,
                sub = claims.sub,
                "{}",
                left_out.message()
            );
        }
        if let Shape::Policy {
            replaced: Some(unfit),
            stage_len,
            ..
        } = &self.shape
        {
            tracing::error!(
                stage_len,
                policy_bytes = unfit.policy_bytes,
                longest_resource = unfit.longest_resource,
                "the answer would break API Gateway's limits (8 KB answer, 512-character ARN); \
                 answering with a Deny. Set AUTHZ_POLICY_SCOPE=route or use fewer rules."
            );
        }
        if self.cut.any {
            tracing::warn!(
                sub = claims.sub,
                groups = claims.groups.len(),
                groups_kept = self.cut.groups_kept,
                scopes = claims.scopes.len(),
                scopes_kept = self.cut.scopes_kept,
                "context lists cut to fit API Gateway's 8 KB answer; the context says so \
                 (groups_truncated, scopes_truncated)"
            );
        }
        let decision = decision_name(self.allowed);
        let principal_type = claims.principal_type().as_str();
        match &self.shape {
            Shape::Policy {
                scope,
                covers,
                allow_resources,
                deny_resources,
                ..
            } => tracing::info!(
                kind = kind.as_str(),
                route,
                sub = claims.sub,
                principal_type,
                decision,
                scope = cognito_auth_core::config::Choices::word(*scope),
                covers,
                allow_resources,
                deny_resources,
                answer_bytes = self.size,
                "policy issued"
            ),
            Shape::Connect => tracing::info!(
                kind = kind.as_str(),
                route,
                sub = claims.sub,
                principal_type,
                decision,
                answer_bytes = self.size,
                "policy issued"
            ),
            Shape::Route { verb } => tracing::info!(
                kind = kind.as_str(),
                route,
                verb,
                sub = claims.sub,
                principal_type,
                decision,
                answer_bytes = self.size,
                "decided"
            ),
        }
    }
}

/// Records a refusal's decision (`unauthorized` with its reason code) and
/// returns its answer: for REST kinds a failed invocation with exactly
/// `Unauthorized` (`error`: a refusal, or a failure to check); for HTTP API
/// 2.0 `isAuthorized: false`, no error.
fn refuse(
    recorder: &mut Recorder<'_>,
    kind: Kind,
    reason: &'static str,
    error: FnError,
) -> Result<Value, FnError> {
    record_decision(recorder, "unauthorized", Some(reason));
    if kind.answers_with_policy() {
        Err(error)
    } else {
        serde_json::to_value(SimpleResponse::denied()).map_err(|_| FnError::InvalidEvent)
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

fn decision_name(allowed: bool) -> &'static str {
    if allowed { "allow" } else { "deny" }
}
