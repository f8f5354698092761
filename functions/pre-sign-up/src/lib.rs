//! The Cognito pre sign-up trigger: who may register, what is confirmed
//! without a code, and linking a first federated sign-in to the native user
//! with the same verified email.
//!
//! ## Whose word a verified email rests on
//!
//! Linking hands a native account to whoever signs in with the identity
//! provider, so both sides of the match must be proven:
//!
//! - the federated side: the provider must assert the email verified, with an
//!   `email_verified` attribute of exactly `true` (whitespace and ASCII case
//!   ignored; see [`admission::provider_verified_email`]). An absent attribute is
//!   not an assertion: Facebook and Login with Amazon never send it, SAML
//!   providers rarely do (map one to `email_verified` if yours vouches for
//!   its addresses), and an OIDC provider may let users choose their email
//!   claim. Without it the sign-up goes on as a separate, unlinked federated
//!   user, and does not get `autoVerifyEmail` either. And the provider's
//!   word counts only for the domains `LINK_PROVIDER_DOMAINS` binds it to
//!   (see [`federation`]), on an address in canonical form (see [`email`]);
//! - the native side: the user's `email_verified` is `true`, which must come
//!   from a code the user confirmed (or an administrator), never from this
//!   function. So `LINK_FEDERATED_USERS` cannot be combined with
//!   `AUTO_CONFIRM` (a [`config`] error at init):
//!   auto-confirmation verifies addresses nobody proved, and whoever signed up
//!   first with someone else's address would receive that person's federated
//!   sign-ins (account pre-hijacking).
//!
//! The same proof is asked before `ALLOWED_EMAIL_DOMAINS` admits a federated
//! sign-up (Cognito sends a federated user no code), and a phone number is
//! auto-verified only with `AUTO_VERIFY_PHONE=true`: see [`admission`].
//!
//! Modules, one concern each:
//! - [`config`]: the environment, checked at init;
//! - [`email`]: parsing and normalising addresses;
//! - [`domains`]: domain lists and the shipped disposable-mail list;
//! - [`admission`]: the policy (pure);
//! - [`federation`]: provider names and the choice of the user to link (pure);
//! - [`linker`]: the Cognito API calls;
//! - [`error`]: every failure and its user-facing text.
#![deny(missing_docs)]

pub mod admission;
pub mod config;
pub mod domains;
pub mod email;
pub mod error;
pub mod federation;
pub mod linker;

use cognito_auth_core::config::ConfigError;
use cognito_auth_core::function::Function;
use std::collections::BTreeMap;

use cognito_auth_core::logging::{self, loggable_user_name};
use cognito_auth_core::metrics::{self, Metrics, Recorder};
use cognito_auth_core::trigger::TriggerEvent;
use lambda_runtime::LambdaEvent;
use serde_json::{Value, json};

pub use config::{AutoConfirm, Config};
pub use error::PreSignUpError;

use admission::{Decision, Source};
use domains::DisposableDomains;
use email::Email;
use federation::LinkTarget;
use linker::Linker;

/// What the function builds once, at init, and shares across invocations.
#[derive(Debug)]
pub struct State {
    config: Config,
    disposable: Option<DisposableDomains>,
    linker: Option<Linker>,
    metrics: Metrics,
}

/// The `Function` dimension of this crate's metrics.
pub const FUNCTION_NAME: &str = "pre-sign-up";

impl State {
    /// Loads the disposable-mail list (when enabled) and builds the Cognito
    /// client (when linking is enabled). Neither is built otherwise, to keep
    /// the cold start short.
    pub async fn new(config: Config) -> State {
        let disposable = config.block_disposable.then(|| {
            let list = DisposableDomains::load();
            tracing::info!(
                domains = list.len(),
                "loaded the disposable-mail domain list"
            );
            list
        });
        // `Config::from_env` refuses linking with AUTO_CONFIRM, so no native
        // email a linker trusts was verified by this function.
        let linker = if config.link_federated_users {
            Some(Linker::new(&config.aws).await)
        } else {
            None
        };
        let metrics = Metrics::new(config.metrics_namespace.clone(), FUNCTION_NAME);
        State {
            config,
            disposable,
            linker,
            metrics,
        }
    }
}

impl Function for State {
    type Config = Config;
    type Error = PreSignUpError;

    async fn start(config: Config) -> Result<Self, ConfigError> {
        Ok(State::new(config).await)
    }

    /// Handles one invocation: returns the whole event with the response flags
    /// set, or an error that refuses the sign-up. Writes the metrics: sign-ups by
    /// outcome (`accepted`, `refused`, `passed_through`) and refusal reason, and
    /// the result of a federated link.
    async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, PreSignUpError> {
        let state = self;
        let mut recorder = state.metrics.recorder_for(&event.context);
        let result = sign_up(state, event.payload, &mut recorder).await;
        if let Err(error) = &result {
            recorder.count(
                metrics::SIGN_UPS,
                &[
                    (metrics::OUTCOME, "refused"),
                    (metrics::REASON, error.error_type()),
                ],
                1,
            );
            // The policy's refusals are the function's answer, not its failure:
            // counted in `Refusals` (alarms read `Errors - Refusals`), and
            // already logged at WARN with their reason, so lambda_runtime's
            // ERROR line is left out. A malformed event and a failed link stay
            // real failures.
            if matches!(error, PreSignUpError::Refused(_)) {
                recorder.refusal();
                logging::error_already_logged();
            }
        }
        recorder.flush();
        result
    }
}

async fn sign_up(
    state: &State,
    payload: Value,
    recorder: &mut Recorder<'_>,
) -> Result<Value, PreSignUpError> {
    let mut event = TriggerEvent::from_value(payload).map_err(|malformed| {
        tracing::warn!(
            error_type = "MalformedEvent",
            reason = malformed.reason,
            "refused a malformed event"
        );
        PreSignUpError::MalformedEvent(malformed.reason)
    })?;
    let Some(source) = Source::from_trigger(event.trigger_source()) else {
        tracing::info!(
            trigger_source = event.trigger_source(),
            "not a pre sign-up trigger source; returned the event untouched"
        );
        recorder.count(
            metrics::SIGN_UPS,
            &[(metrics::OUTCOME, "passed_through")],
            1,
        );
        return Ok(event.into_value());
    };
    check_request(&event).inspect_err(|error| {
        tracing::warn!(error_type = error.error_type(), reason = %error, "refused a malformed event");
    })?;

    let attributes = event.user_attributes();
    let user_name = loggable_user_name(event.user_name().unwrap_or_default()).into_owned();
    let decision = admission::evaluate(
        &state.config,
        state.disposable.as_ref(),
        source,
        &attributes,
    )
    .map_err(PreSignUpError::from)
    .inspect_err(|error| {
        tracing::warn!(
            trigger_source = event.trigger_source(),
            user_name = %user_name,
            error_type = error.error_type(),
            reason = %error,
            email_problem = email_problem(error),
            email_domain = email_domain(&attributes),
            "refused the sign-up"
        );
    })?;

    if let Some(flags) = decision.flags {
        event.set_response("autoConfirmUser", json!(flags.auto_confirm_user));
        event.set_response("autoVerifyEmail", json!(flags.auto_verify_email));
        event.set_response("autoVerifyPhone", json!(flags.auto_verify_phone));
    }
    if source == Source::ExternalProvider
        && let Some(linker) = &state.linker
    {
        let link = link_federated_user(state, linker, &event, &decision, &attributes).await;
        let result = match &link {
            Ok(result) => *result,
            Err(_) => "failed",
        };
        recorder.count(metrics::FEDERATED_LINKS, &[(metrics::RESULT, result)], 1);
        link?;
    }
    tracing::info!(
        trigger_source = event.trigger_source(),
        user_name = %user_name,
        auto_confirm_user = decision.flags.map(|flags| flags.auto_confirm_user),
        auto_verify_email = decision.flags.map(|flags| flags.auto_verify_email),
        auto_verify_phone = decision.flags.map(|flags| flags.auto_verify_phone),
        "accepted the sign-up"
    );
    recorder.count(metrics::SIGN_UPS, &[(metrics::OUTCOME, "accepted")], 1);
    Ok(event.into_value())
}

/// The pre sign-up request maps must be objects (or null, or absent), and
/// attribute values scalars: anything else is not an event Cognito sends.
fn check_request(event: &TriggerEvent) -> Result<(), PreSignUpError> {
    let request = event.request();
    for (name, reason) in [
        ("userAttributes", "request.userAttributes is not an object"),
        ("validationData", "request.validationData is not an object"),
        ("clientMetadata", "request.clientMetadata is not an object"),
    ] {
        if !matches!(
            request.get(name),
            None | Some(Value::Null | Value::Object(_))
        ) {
            return Err(PreSignUpError::MalformedEvent(reason));
        }
    }
    if let Some(Value::Object(attributes)) = request.get("userAttributes")
        && attributes
            .values()
            .any(|value| matches!(value, Value::Array(_) | Value::Object(_)))
    {
        return Err(PreSignUpError::MalformedEvent(
            "request.userAttributes has a value that is not a string",
        ));
    }
    Ok(())
}

/// For `PreSignUp_ExternalProvider` with `LINK_FEDERATED_USERS=true`: links
/// the new federated identity to the native user with the same verified
/// email, when the identity provider asserted the email verified
/// (`email_verified` is `true`) and exactly one native user qualifies. Every
/// "not linked" outcome lets the sign-up go on as a separate federated user;
/// only a failed API call refuses it (see [`linker::LinkError`]).
async fn link_federated_user(
    state: &State,
    linker: &Linker,
    event: &TriggerEvent,
    decision: &Decision,
    attributes: &BTreeMap<String, String>,
) -> Result<&'static str, PreSignUpError> {
    let user_name = event
        .user_name()
        .ok_or(PreSignUpError::MalformedEvent("userName is missing"))?;
    // From the event, never from configuration: the pool's template would
    // otherwise depend on the function and the function on the pool.
    let pool_id = event
        .user_pool_id()
        .filter(|id| !id.is_empty())
        .ok_or(PreSignUpError::MalformedEvent("userPoolId is missing"))?;
    let log_name = loggable_user_name(user_name);
    let Some(identity) = state.config.providers.identify(user_name) else {
        tracing::warn!(
            user_name = %log_name,
            provider_prefix = federation::unknown_prefix(user_name),
            "not linked: the username's provider is not a built-in one nor in LINK_PROVIDER_NAMES"
        );
        return Ok("unknown_provider");
    };
    let Some(email) = &decision.email else {
        tracing::info!(user_name = %log_name, "not linked: the federated user has no email");
        return Ok("no_email");
    };
    // Only an explicit `true` from the provider: an absent attribute (never
    // sent by Facebook or Login with Amazon, rarely by SAML) or any other
    // value proves nothing, and linking on it would let anyone who can make
    // a provider carry a victim's address take over the victim's account.
    if !admission::provider_verified_email(attributes) {
        tracing::info!(
            user_name = %log_name,
            provider = identity.provider,
            "not linked: the identity provider did not assert a verified email"
        );
        return Ok("email_not_verified");
    }
    // The operator's word that this provider speaks for this domain: a
    // provider's `true` is worth nothing for addresses it does not own (see
    // `federation`, "Which domains a provider speaks for").
    if !state
        .config
        .provider_domains
        .authoritative(&identity.provider, email.domain())
    {
        tracing::info!(
            user_name = %log_name,
            provider = identity.provider,
            email_domain = email.domain(),
            "not linked: LINK_PROVIDER_DOMAINS does not bind the identity provider to the email's domain"
        );
        return Ok("provider_not_bound");
    }
    let raw_email = attributes
        .get("email")
        .map(String::as_str)
        .unwrap_or_default();
    let target = linker
        .link(
            pool_id,
            email,
            raw_email,
            &identity,
            &state.config.providers,
        )
        .await
        .inspect_err(|error| {
            tracing::error!(
                user_name = %log_name,
                provider = identity.provider,
                error_type = "LinkFailed",
                reason = error.reason(),
                error = %error,
                "could not link the federated user"
            );
        })?;
    log_link_target(&log_name, &identity.provider, email, &target);
    Ok(match target {
        LinkTarget::Native { .. } => "linked",
        LinkTarget::AlreadyLinked { .. } => "already_linked",
        LinkTarget::NotFound => "no_native_user",
        LinkTarget::Ambiguous { .. } => "ambiguous",
    })
}

/// `user_name` is already in its loggable form; the native user's name is
/// made so here.
fn log_link_target(user_name: &str, provider: &str, email: &Email, target: &LinkTarget) {
    match target {
        LinkTarget::Native { username } => tracing::info!(
            user_name,
            provider,
            destination = %loggable_user_name(username),
            "linked the federated identity to the native user"
        ),
        LinkTarget::AlreadyLinked { username } => tracing::info!(
            user_name,
            provider,
            destination = %loggable_user_name(username),
            "the native user already carries this identity; nothing to link"
        ),
        LinkTarget::NotFound => tracing::info!(
            user_name,
            provider,
            email_domain = email.domain(),
            "not linked: no native user has this verified email"
        ),
        LinkTarget::Ambiguous { count } => tracing::warn!(
            user_name,
            provider,
            candidates = count,
            "not linked: several native users have this verified email"
        ),
    }
}

/// The stable code of an invalid email's problem (`non_canonical_domain`,
/// …), for a log line.
fn email_problem(error: &PreSignUpError) -> Option<&'static str> {
    match error {
        PreSignUpError::Refused(admission::Refusal::InvalidEmail(invalid)) => {
            Some(invalid.reason())
        }
        _ => None,
    }
}

/// The email's domain for a log line (never the address).
fn email_domain(attributes: &BTreeMap<String, String>) -> Option<String> {
    attributes
        .get("email")
        .and_then(|address| Email::parse(address).ok())
        .map(|email| email.domain().to_owned())
}

#[cfg(test)]
mod tests;
