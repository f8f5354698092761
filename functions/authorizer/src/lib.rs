//! API Gateway Lambda authorizer backed by Cognito user-pool tokens.
//!
//! One binary answers REST API TOKEN and REQUEST authorizers, HTTP API
//! authorizers (payload 1.0 and 2.0) and WebSocket `$connect`, told apart by
//! the payload ([`event`]). What it answers, the route rules and why each
//! answer is exact for API Gateway's cache are specified once, in
//! docs/authorizer.md; this crate implements it in stages, each returning a
//! value, that `State`'s [`Function::handle`] runs in order:
//!
//! 1. read the event: its kind, the credential and the call ([`event`]);
//! 2. verify the token (the shared [`bearer`] and [`Verifier`]);
//! 3. when `REVOCATION_TABLE` is set, check that its user, session or
//!    client was not revoked ([`revocation`]);
//! 4. decide with the route rules ([`route_rules`], [`decide`]), as an IAM
//!    policy for REST kinds ([`iam_policy`], proved exact and small enough
//!    at init by [`stage_check`]);
//! 5. build the answer within API Gateway's limits ([`response`],
//!    [`limits`]).
//!
//! The first stage that ends the invocation gives an [`Outcome`], which is
//! logged and recorded in one place ([`Outcome::conclude`]). Logs carry
//! reason codes ([`VerifyError::reason`]), the `sub`, the route and the
//! answer's size; never the token nor the credential header.
#![deny(missing_docs)]

pub mod config;
pub mod decide;
pub mod error;
pub mod event;
pub mod iam_policy;
pub mod limits;
pub mod outcome;
pub mod response;
pub mod revocation;
pub mod route_rules;
pub mod stage_check;
pub mod template;

use cognito_auth_core::bearer;
use cognito_auth_core::config::ConfigError;
use cognito_auth_core::function::Function;
use std::sync::Mutex;

use cognito_auth_core::logging;
use cognito_auth_core::metrics::{self, Metrics, Recorder};
use cognito_auth_core::{Claims, Verifier, VerifierCounts, VerifyError};
use lambda_runtime::LambdaEvent;
use serde_json::Value;

use crate::config::PolicyScope;
use crate::decide::{Caller, Evaluation};
use crate::event::{Credential, CredentialSources, EventError, Incoming, Kind, Target};
use crate::outcome::{Answer, Call, ConfigWarning, Warnings};
use crate::response::OversizedClaim;
use crate::revocation::Revocations;
use crate::route_rules::RuleSet;

pub use crate::config::Config;
pub use crate::error::FnError;
pub use crate::outcome::Outcome;

/// Everything an invocation needs, built once per sandbox.
pub struct State {
    verifier: Verifier,
    rules: Option<RuleSet>,
    scope: PolicyScope,
    sources: CredentialSources,
    usage_identifier_claim: Option<String>,
    /// `None` when `REVOCATION_TABLE` is unset: no check, no client.
    revocations: Option<Revocations>,
    /// The configuration warnings logged in this sandbox.
    warnings: Warnings,
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
            warnings: Warnings::default(),
            metrics: Metrics::new(config.metrics_namespace, FUNCTION_NAME),
            reported: Mutex::new(VerifierCounts::default()),
        })
    }
}

impl Function for State {
    type Config = Config;
    type Error = FnError;

    async fn start(config: Config) -> Result<Self, ConfigError> {
        State::new(config).await
    }

    /// Answers one authorizer event, and writes its metrics: the decision by
    /// outcome and reason, the answer's size, and what the verifier did
    /// (JWKS fetches, stale keys, cache hits).
    async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, FnError> {
        let mut recorder = self.recorder(&event.context);
        let outcome = self.run(event.payload, &mut recorder).await;
        let result = self.conclude(outcome, &mut recorder);
        recorder.flush();
        // Every 401 was logged with its reason (a refusal at INFO or WARN, a
        // failure at ERROR): lambda_runtime's ERROR line would only repeat
        // `Unauthorized`.
        if matches!(result, Err(FnError::Unauthorized | FnError::FailedClosed)) {
            logging::error_already_logged();
        }
        result
    }
}

/// The stages of [`Function::handle`], each public so that the `stages`
/// benchmark (benches/stages.rs) times the handler's own code, one stage
/// at a time, rather than a copy of it.
impl State {
    /// The metrics recorder of the invocation of `context`: the first
    /// thing an invocation does.
    pub fn recorder(&self, context: &lambda_runtime::Context) -> Recorder<'_> {
        self.metrics.recorder_for(context)
    }

    /// The stages, in order; the first that ends the invocation gives the
    /// outcome. `recorder` is for the revocation check's own metrics.
    pub async fn run(&self, payload: Value, recorder: &mut Recorder<'_>) -> Outcome {
        let incoming = match self.read(payload) {
            Ok(incoming) => incoming,
            Err(error) => return Outcome::NotRead(error),
        };
        let call = Call {
            kind: incoming.kind,
            route: incoming.target.describe(),
        };
        let claims = match self.verify(&incoming.credential).await {
            Ok(claims) => claims,
            Err(reason) => return Outcome::Unverified(call, reason),
        };
        if let Some(revocations) = &self.revocations {
            match revocations
                .check(&claims, call.kind.as_str(), &call.route, recorder)
                .await
            {
                revocation::Outcome::Pass => {}
                revocation::Outcome::Revoked(reason) => return Outcome::Revoked(call, reason),
                revocation::Outcome::FailedClosed => {
                    return Outcome::RevocationUnavailable(call);
                }
            }
        }
        match self.answer(incoming.kind, &incoming.target, &claims) {
            Ok(answer) => Outcome::Answered(call, Box::new(claims), answer),
            Err(OversizedClaim(claim)) => Outcome::OversizedClaim(call, claim),
        }
    }

    /// Reads the event the runtime parsed: its kind, the credential (from
    /// the configured sources) and the call.
    pub fn read(&self, payload: Value) -> Result<Incoming, EventError> {
        Incoming::read(payload, &self.sources)
    }

    /// The verified claims, or the reason code for a refusal.
    pub async fn verify(&self, credential: &Credential) -> Result<Claims, &'static str> {
        let value = match credential {
            Credential::Value(value) => value,
            other => return Err(other.reason().unwrap_or("missing_token")),
        };
        let token =
            bearer::token(value, bearer::Scheme::Optional).map_err(|error| error.reason())?;
        self.verifier
            .verify(token)
            .await
            .map_err(|error: VerifyError| error.reason())
    }

    /// Logs the outcome and records its metrics (the decision, the
    /// answer's size, what the verifier did, a refusal) in `recorder`,
    /// which the caller then writes; returns what API Gateway gets.
    pub fn conclude(
        &self,
        outcome: Outcome,
        recorder: &mut Recorder<'_>,
    ) -> Result<Value, FnError> {
        let result = outcome.conclude(&self.warnings, recorder);
        record_verifier(self, recorder);
        if matches!(result, Err(FnError::Unauthorized)) {
            recorder.refusal();
        }
        result
    }

    /// Decides for the caller of `claims` and builds the answer for `target`.
    pub fn answer(
        &self,
        kind: Kind,
        target: &Target,
        claims: &Claims,
    ) -> Result<Answer, OversizedClaim> {
        let caller = Caller::new(claims);
        let evaluation = self
            .rules
            .as_ref()
            .map(|rules| Evaluation::new(rules, &caller));
        let evaluation = evaluation.as_ref();
        Ok(match target {
            Target::Arn { arn, resource } => {
                let (policy, covers) =
                    iam_policy::for_call(self.scope, evaluation, arn, resource.as_deref());
                let (key, left_out) = usage_identifier(self, claims);
                let fitted = response::fit_policy_answer(claims, arn, policy, key)?;
                // TOKEN authorizers cache on the token alone, so a `route`
                // answer is reused for the token's every call.
                let warning = (evaluation.is_some()
                    && self.scope == PolicyScope::Route
                    && kind == Kind::Token)
                    .then_some(ConfigWarning::TokenRouteScope);
                Answer::policy(fitted, arn, self.scope, covers)
                    .warning(warning)
                    .usage_key_left_out(left_out)
            }
            Target::Connect { arn } => {
                let allowed = decide::connect(evaluation);
                let policy = iam_policy::connect(arn, allowed);
                let (key, left_out) = usage_identifier(self, claims);
                let fitted = response::fit_policy_answer(claims, arn, policy, key)?;
                Answer::connect(fitted, allowed).usage_key_left_out(left_out)
            }
            Target::Route {
                verb,
                route_key,
                identity_source,
                caller_sent_route_key,
            } => {
                let decision = decide::route(
                    evaluation,
                    route_key,
                    identity_source,
                    *caller_sent_route_key,
                );
                let (simple, cut) = response::fit_simple_answer(claims, decision.allowed)?;
                let warning = decision
                    .cache_key_unproven
                    .then_some(ConfigWarning::HttpCacheKey);
                Answer::route(&simple, cut, verb).warning(warning)
            }
        })
    }
}

/// The `usageIdentifierKey` when `USAGE_IDENTIFIER_CLAIM` is set, or why
/// it was left out.
fn usage_identifier(
    state: &State,
    claims: &Claims,
) -> (Option<String>, Option<response::UsageKeyLeftOut>) {
    match state.usage_identifier_claim.as_deref() {
        None => (None, None),
        Some(name) => match response::usage_identifier(claims, name) {
            Ok(key) => (Some(key), None),
            Err(left_out) => (None, Some(left_out)),
        },
    }
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
    if done.deploy_keys_stale > 0 {
        recorder.count(metrics::DEPLOY_KEYS_STALE, &[], done.deploy_keys_stale);
    }
    if done.verified_cache_hits > 0 {
        recorder.count(metrics::VERIFIED_CACHE_HITS, &[], done.verified_cache_hits);
    }
}
