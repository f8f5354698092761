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
            Some(Linker::from_env().await)
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

    async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, PreSignUpError> {
        handle(self, event).await
    }
}

/// Handles one invocation: returns the whole event with the response flags
/// set, or an error that refuses the sign-up. Writes the metrics: sign-ups by
/// outcome (`accepted`, `refused`, `passed_through`) and refusal reason, and
/// the result of a federated link.
pub async fn handle(state: &State, event: LambdaEvent<Value>) -> Result<Value, PreSignUpError> {
    let mut recorder = state.metrics.recorder(
        &event.context.request_id,
        event.context.xray_trace_id.as_deref(),
    );
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
mod tests {
    use super::*;
    use cognito_auth_core::config::Env;

    fn sign_up(attributes: Value) -> Value {
        json!({
            "version": "1",
            "region": "us-east-1",
            "userPoolId": "us-east-1_Example",
            "userName": "7f1c2b1e-0000-4000-8000-000000000001",
            "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "client"},
            "triggerSource": "PreSignUp_SignUp",
            "request": {"userAttributes": attributes, "validationData": null, "clientMetadata": null},
            "response": {"autoConfirmUser": false, "autoVerifyEmail": false, "autoVerifyPhone": false}
        })
    }

    #[tokio::test]
    async fn sets_the_flags_and_keeps_every_field() {
        let state =
            test_kit::state::<State>(&[("AUTO_CONFIRM", "all"), ("AUTO_VERIFY_PHONE", "true")])
                .await;
        let mut input = sign_up(json!({"email": "a@example.com", "phone_number": "+15555550100"}));
        input["unknownTopLevel"] = json!({"kept": true});
        let output = test_kit::call(&state, input.clone()).await.unwrap();
        let mut expected = input;
        expected["response"] =
            json!({"autoConfirmUser": true, "autoVerifyEmail": true, "autoVerifyPhone": true});
        assert_eq!(output, expected);
    }

    #[tokio::test]
    async fn tolerates_an_empty_response_no_caller_context_and_null_maps() {
        let state = test_kit::state::<State>(&[]).await;
        let input = json!({
            "triggerSource": "PreSignUp_SignUp",
            "userName": "u",
            "request": {"userAttributes": null},
            "response": {}
        });
        let output = test_kit::call(&state, input).await.unwrap();
        assert_eq!(
            output["response"],
            json!({"autoConfirmUser": false, "autoVerifyEmail": false, "autoVerifyPhone": false})
        );
        assert!(output.get("callerContext").is_none());
    }

    #[tokio::test]
    async fn admin_create_user_leaves_the_response_alone() {
        let state = test_kit::state::<State>(&[("AUTO_CONFIRM", "all")]).await;
        let mut input = sign_up(json!({"email": "a@example.com"}));
        input["triggerSource"] = json!("PreSignUp_AdminCreateUser");
        input["response"] = json!({});
        assert_eq!(test_kit::call(&state, input.clone()).await.unwrap(), input);
    }

    #[tokio::test]
    async fn admin_created_users_follow_the_domain_rules() {
        // Not passed through as an unknown source would be.
        let state = test_kit::state::<State>(&[("BLOCKED_EMAIL_DOMAINS", "example.com")]).await;
        let mut input = sign_up(json!({"email": "a@example.com"}));
        input["triggerSource"] = json!("PreSignUp_AdminCreateUser");
        let error = test_kit::call(&state, input).await.unwrap_err();
        assert_eq!(error.error_type(), "EmailDomainBlocked");
    }

    #[tokio::test]
    async fn unknown_sources_pass_through_untouched() {
        let state = test_kit::state::<State>(&[("ALLOWED_EMAIL_DOMAINS", "example.com")]).await;
        let mut input = sign_up(json!({"email": "a@elsewhere.org"}));
        input["triggerSource"] = json!("PostConfirmation_ConfirmSignUp");
        input["request"]["userAttributes"] = json!("not a map");
        assert_eq!(test_kit::call(&state, input.clone()).await.unwrap(), input);
    }

    #[tokio::test]
    async fn malformed_events_are_errors_with_a_clear_reason() {
        let state = test_kit::state::<State>(&[]).await;
        for (payload, reason) in [
            (json!("text"), "the event is not a JSON object"),
            (json!({"request": {}}), "triggerSource is missing"),
            (
                json!({"triggerSource": "PreSignUp_SignUp", "request": []}),
                "request is not an object",
            ),
            (
                json!({"triggerSource": "PreSignUp_SignUp", "request": {"userAttributes": "a@b.c"}}),
                "request.userAttributes is not an object",
            ),
            (
                json!({"triggerSource": "PreSignUp_SignUp", "request": {"userAttributes": {"email": ["a@b.c"]}}}),
                "request.userAttributes has a value that is not a string",
            ),
            (
                json!({"triggerSource": "PreSignUp_SignUp", "request": {"clientMetadata": 3}}),
                "request.clientMetadata is not an object",
            ),
        ] {
            match test_kit::call(&state, payload).await {
                Err(PreSignUpError::MalformedEvent(actual)) => assert_eq!(actual, reason),
                other => panic!("{reason}: {other:?}"),
            }
        }
    }

    /// A linking state whose Cognito calls all fail: an error from
    /// [`call`] means a lookup was attempted.
    async fn linking_state() -> State {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .unwrap()
            .port();
        let mut state = test_kit::state::<State>(&[("LINK_FEDERATED_USERS", "false")]).await;
        state.config.link_federated_users = true;
        let variable = config::LINK_PROVIDER_DOMAINS;
        state.config.provider_domains = federation::ProviderDomains::from_env(
            &Env::from_pairs([(variable, "Facebook=example.com")]),
            variable,
            &state.config.providers,
        )
        .unwrap();
        state.linker = Some(Linker::unreachable(&format!("http://127.0.0.1:{port}")));
        state
    }

    fn federated(attributes: Value) -> Value {
        let mut event = sign_up(attributes);
        event["triggerSource"] = json!("PreSignUp_ExternalProvider");
        event["userName"] = json!("Facebook_10158");
        event
    }

    #[tokio::test]
    async fn links_only_when_the_provider_asserts_a_verified_email() {
        let state = linking_state().await;
        let email = "victim@example.com";
        for unverified in [
            json!({"email": email}),
            json!({"email": email, "email_verified": "false"}),
            json!({"email": email, "email_verified": ""}),
            json!({"email": email, "email_verified": "1"}),
            json!({"email": email, "email_verified": "yes"}),
            json!({"email": email, "email_verified": false}),
        ] {
            let output = test_kit::call(&state, federated(unverified.clone())).await;
            assert_eq!(
                output.unwrap()["response"],
                json!({"autoConfirmUser": false, "autoVerifyEmail": false, "autoVerifyPhone": false}),
                "{unverified}"
            );
        }
        for verified in [
            json!({"email": email, "email_verified": "true"}),
            json!({"email": email, "email_verified": " TRUE "}),
            json!({"email": email, "email_verified": true}),
        ] {
            match test_kit::call(&state, federated(verified.clone())).await {
                Err(PreSignUpError::Link(linker::LinkError::ListUsers(_))) => {}
                other => panic!("{verified}: expected a lookup, got {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn links_only_for_a_domain_the_provider_is_bound_to() {
        let state = linking_state().await;
        let verified = |user_name: &str, email: &str| {
            let mut event = federated(json!({"email": email, "email_verified": "true"}));
            event["userName"] = json!(user_name);
            event
        };
        // Facebook is bound to example.com only; Google to nothing.
        for (user_name, email) in [
            ("Facebook_1", "victim@example.org"),
            ("Facebook_2", "victim@sub.example.com"),
            ("Google_3", "victim@example.com"),
        ] {
            let output = test_kit::call(&state, verified(user_name, email)).await;
            assert!(output.is_ok(), "{user_name} {email}: no lookup expected");
        }
        match test_kit::call(&state, verified("Facebook_4", "victim@EXAMPLE.com")).await {
            Err(PreSignUpError::Link(linker::LinkError::ListUsers(_))) => {}
            other => panic!("expected a lookup, got {other:?}"),
        }
    }

    /// `ListUsers` takes a filter of at most 256 characters: an address too
    /// long for one is not looked up (the call would fail, and the sign-up
    /// with it), so the sign-in goes on as a plain federated sign-up. The
    /// longest address that fits is still looked up.
    #[tokio::test]
    async fn an_address_too_long_for_a_list_users_filter_is_not_looked_up() {
        let mut state = linking_state().await;
        let variable = config::LINK_PROVIDER_DOMAINS;
        state.config.provider_domains = federation::ProviderDomains::from_env(
            &Env::from_pairs([(variable, "Facebook=*.example.com")]),
            variable,
            &state.config.providers,
        )
        .unwrap();
        // An address whose filter is `filter_chars` long: `email = "` and
        // `"` take 10 characters, the rest is labels of at most 60.
        let address = |filter_chars: usize| {
            let mut domain = String::from("example.com");
            let mut room = filter_chars - 10 - "l@".len() - domain.len();
            while room > 61 {
                domain = format!("{}.{domain}", "d".repeat(60));
                room -= 61;
            }
            format!("l@{}.{domain}", "d".repeat(room - 1))
        };
        let verified = |email: &str| federated(json!({"email": email, "email_verified": "true"}));
        let too_long = address(257);
        assert_eq!(federation::email_filter(&too_long).chars().count(), 257);
        assert!(Email::parse(&too_long).is_ok());
        let output = test_kit::call(&state, verified(&too_long)).await;
        assert!(output.is_ok(), "no lookup expected: {output:?}");
        match test_kit::call(&state, verified(&address(256))).await {
            Err(PreSignUpError::Link(linker::LinkError::ListUsers(_))) => {}
            other => panic!("expected a lookup, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn look_alike_federated_addresses_are_refused_before_any_lookup() {
        let state = linking_state().await;
        for email in [
            "victim@ex\u{200B}ample.com",
            "victim@ｅxample.com",
            "vic\u{AD}tim@example.com",
        ] {
            let output = test_kit::call(
                &state,
                federated(json!({"email": email, "email_verified": "true"})),
            )
            .await;
            match output {
                Err(error @ PreSignUpError::Refused(_)) => {
                    assert_eq!(error.error_type(), "InvalidEmail", "{email:?}");
                    assert!(
                        email_problem(&error).is_some_and(|code| code.starts_with("non_canonical"))
                    );
                }
                other => panic!("{email:?}: {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn refusals_never_echo_the_address() {
        let state = test_kit::state::<State>(&[("BLOCKED_EMAIL_DOMAINS", "example.com")]).await;
        let error = test_kit::call(
            &state,
            sign_up(json!({"email": "secret.person@example.com"})),
        )
        .await
        .unwrap_err();
        let diagnostic = lambda_runtime::Diagnostic::from(error);
        assert_eq!(diagnostic.error_type, "EmailDomainBlocked");
        assert_eq!(
            diagnostic.error_message,
            "Registration with this email domain is not allowed"
        );
    }
}
