//! End-to-end tests of the pre sign-up trigger: the real `pre-sign-up` binary
//! driven through the local Runtime API, one test per rule, and the linking
//! flow through the real AWS SDK against moto.
//!
//! moto (5.2.1) implements `ListUsers` but not `AdminLinkProviderForUser`: it
//! answers that call with a bare HTML 500. So the linking tests put a small
//! front server (`linking_front`, below, on `e2e_tests::moto_front`) between the function and moto: it
//! forwards every call to moto unchanged, except `AdminLinkProviderForUser`,
//! which it answers itself as Cognito documents (JSON 1.1, `{}`) and records,
//! so the test can assert exactly what the SDK sent.
//!
//! One test target, one module per concern; this file holds the helpers
//! they share, the linking front server and moto pool among them:
//!
//! - `round_trip`: the samples round trip, and events the function tolerates or refuses;
//! - `domain_rules`: allowed, blocked and disposable domains, admin-created users
//!   and federated users on the allow list;
//! - `auto_confirm`: required attributes, auto-confirmation and auto-verification;
//! - `configuration`: bad configuration fails init naming the variable;
//! - `linking`: linking a federated sign-in to the native user with the same email;
//! - `look_alikes`: addresses that render like another one (issue #22), refused
//!   before any rule, confirmation or lookup; and providers bound to domains;
//! - `link_faults`: a refused, failing or slow link call.

use std::time::Duration;

use axum::http::StatusCode;
use e2e_tests::events;
use e2e_tests::moto::Moto;
use e2e_tests::moto_front::{MotoFront, Reply};
use e2e_tests::runtime_api::{Function, Launch};
use serde_json::{Value, json};

mod auto_confirm;
mod configuration;
mod domain_rules;
mod link_faults;
mod linking;
mod look_alikes;
mod round_trip;

const FUNCTION: &str = "pre-sign-up";
const LINK_TARGET: &str = "AWSCognitoIdentityProviderService.AdminLinkProviderForUser";
const LIST_USERS_TARGET: &str = "AWSCognitoIdentityProviderService.ListUsers";

// ---- Helpers ---------------------------------------------------------------

/// `events/pre-sign-up/<name>.json`.
fn sample(name: &str) -> Value {
    events::sample(FUNCTION, name)
}

/// Once `function` has logged a line holding `logged`, no line it logged
/// holds `address` (a part of an email address).
async fn assert_address_never_logged(function: &Function, logged: &str, address: &str) {
    function.wait_for_log(|line| line.contains(logged)).await;
    assert!(
        !function.logs().iter().any(|line| line.contains(address)),
        "an address reached the logs"
    );
}

/// The sample sign-up with its attributes replaced.
fn sign_up(attributes: Value) -> Value {
    let mut event = sample("sign-up");
    event["request"]["userAttributes"] = attributes;
    event
}

/// The federated sign-up sample `sample_name` with `email`, and its
/// `email_verified` as the identity provider asserted it (`None`: not sent).
fn federated_sign_up(sample_name: &str, email: &str, verified: Option<Value>) -> Value {
    let mut event = sample(sample_name);
    let attributes = &mut event["request"]["userAttributes"];
    attributes["email"] = json!(email);
    match verified {
        Some(value) => attributes["email_verified"] = value,
        None => {
            attributes
                .as_object_mut()
                .expect("attributes")
                .remove("email_verified");
        }
    }
    event
}

fn with_source(mut event: Value, source: &str) -> Value {
    event["triggerSource"] = json!(source);
    event
}

fn flags(confirm: bool, email: bool, phone: bool) -> Value {
    json!({"autoConfirmUser": confirm, "autoVerifyEmail": email, "autoVerifyPhone": phone})
}

async fn start(env: &[(&str, &str)]) -> Function {
    Launch::new(FUNCTION)
        .envs(env.iter().map(|(k, v)| (*k, *v)))
        .start()
        .await
}

/// Invokes and returns the response's `response` member, failing on an error.
async fn respond_flags(function: &Function, event: Value) -> Value {
    function.respond(event).await["response"].clone()
}

/// Invokes, expects an error, and checks it never echoes the address.
async fn refused(function: &Function, event: Value) -> (String, String) {
    let email = event["request"]["userAttributes"]["email"]
        .as_str()
        .map(str::to_owned);
    let error = function.invoke(event).await.error();
    if let Some(email) = email {
        // No `@` at all, and not the local part (when it is long enough not
        // to occur in ordinary words).
        let local = email.trim().split('@').next().unwrap_or_default();
        assert!(
            !error.error_message.contains('@')
                && (local.len() < 5 || !error.error_message.contains(local)),
            "the message echoes the address: {}",
            error.error_message
        );
    }
    (error.error_type, error.error_message)
}

const DOMAIN_REFUSED: &str = "Registration with this email domain is not allowed";

// ---- Linking federated users ---------------------------------------------------

/// How the front server answers `AdminLinkProviderForUser`.
#[derive(Debug, Clone, Copy)]
enum LinkAnswer {
    /// `200 {}`, as Cognito does.
    Ok,
    /// `400 InvalidParameterException`, not retryable.
    Refuse,
    /// `500`, retryable.
    Fail,
    /// `{}` after this long.
    Slow(Duration),
}

/// A Cognito endpoint in front of moto that answers
/// `AdminLinkProviderForUser` itself (moto does not implement it) as
/// `answer` says.
async fn linking_front(moto: &Moto, answer: LinkAnswer) -> MotoFront {
    MotoFront::start(moto, move |call| {
        if call.target != LINK_TARGET {
            return None;
        }
        Some(match answer {
            LinkAnswer::Ok => Reply::json(StatusCode::OK, "{}"),
            LinkAnswer::Slow(delay) => Reply::json(StatusCode::OK, "{}").after(delay),
            LinkAnswer::Refuse => Reply::json(
                StatusCode::BAD_REQUEST,
                r#"{"__type":"InvalidParameterException","message":"Merging is not currently supported"}"#,
            ),
            LinkAnswer::Fail => Reply::json(
                StatusCode::INTERNAL_SERVER_ERROR,
                r#"{"__type":"InternalErrorException","message":"Internal error"}"#,
            ),
        })
    })
    .await
}

/// A user pool in moto with native users whose emails are verified or not.
struct Pool {
    id: String,
}

impl Pool {
    /// A pool with these native users: `(username, email, whether the
    /// email is verified)`, each confirmed with a password.
    async fn with_native_users(moto: &Moto, users: &[(&str, &str, bool)]) -> Pool {
        let cognito = moto.cognito().await;
        let id = e2e_tests::moto::create_user_pool(&cognito, "pre-sign-up-e2e").await;
        for (username, email, verified) in users {
            e2e_tests::moto::create_native_user(&cognito, &id, username, email, *verified).await;
        }
        Pool { id }
    }

    /// An ExternalProvider event for this pool.
    fn federated_sign_up(&self, user_name: &str, email: &str) -> Value {
        events::federated_sign_up(&self.id, user_name, email)
    }
}

/// The binding `start_linking` sets unless `extra` sets its own.
const GOOGLE_FOR_EXAMPLE_COM: &str = "Google=example.com";

/// A linking function whose Cognito is `front`, with Google bound to
/// `example.com` (`LINK_PROVIDER_DOMAINS` in `extra` replaces that).
async fn start_linking(front: &MotoFront, extra: &[(&str, &str)]) -> Function {
    linking(front, extra).start().await
}

/// What [`start_linking`] starts, for a test that needs more of it.
fn linking(front: &MotoFront, extra: &[(&str, &str)]) -> Launch {
    Launch::new(FUNCTION)
        .env("LINK_FEDERATED_USERS", "true")
        .env("LINK_PROVIDER_DOMAINS", GOOGLE_FOR_EXAMPLE_COM)
        .env("AWS_ENDPOINT_URL", front.endpoint())
        .envs(extra.iter().map(|(k, v)| (*k, *v)))
}
