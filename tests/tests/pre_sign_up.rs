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

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use e2e_tests::events;
use e2e_tests::moto::Moto;
use e2e_tests::moto_front::{MotoFront, Reply};
use e2e_tests::runtime_api::{Function, Launch};
use serde_json::{Value, json};

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

// ---- Round trip and event tolerance ----------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sample_event_round_trips_with_every_field_kept() {
    let function = start(&[]).await;
    let files = events::json_files(&events::events_dir(FUNCTION));
    assert!(
        files.len() >= 6,
        "expected the sample events, found {files:?}"
    );
    for path in files {
        let input = events::read_json(&path);
        let output = function.respond(input.clone()).await;
        let (mut input_rest, mut output_rest) = (input.clone(), output.clone());
        let input_response = input_rest
            .as_object_mut()
            .and_then(|event| event.remove("response"));
        let output_response = output_rest
            .as_object_mut()
            .and_then(|event| event.remove("response"));
        assert_eq!(
            output_rest,
            input_rest,
            "{}: a field changed or went missing",
            path.display()
        );
        if input["triggerSource"] == "PreSignUp_AdminCreateUser" {
            assert_eq!(
                output_response,
                input_response,
                "{}: AdminCreateUser flags were touched",
                path.display()
            );
        } else {
            // The default policy confirms nobody, and says so explicitly.
            assert_eq!(
                output_response,
                Some(flags(false, false, false)),
                "{}",
                path.display()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tolerates_what_the_aws_lambda_events_types_reject() {
    let function = start(&[("AUTO_CONFIRM", "all")]).await;
    // `"response": {}`, no callerContext, no version, null maps.
    let event = json!({
        "triggerSource": "PreSignUp_SignUp",
        "userPoolId": "us-east-1_EXAMPLE1",
        "userName": "console",
        "request": {"userAttributes": {"email": "a@example.com"}, "validationData": null, "clientMetadata": null},
        "response": {}
    });
    let output = function.respond(event.clone()).await;
    let mut expected = event;
    expected["response"] = flags(true, true, false);
    assert_eq!(output, expected);
    // No response member at all, and null user attributes.
    let bare = json!({"triggerSource": "PreSignUp_SignUp", "request": {"userAttributes": null}});
    assert_eq!(
        function.respond(bare).await["response"],
        flags(true, false, false)
    );
    // Booleans where Cognito sends strings.
    let typed =
        sign_up(json!({"email": "b@example.com", "email_verified": true, "custom:age": 42}));
    assert_eq!(
        respond_flags(&function, typed).await,
        flags(true, true, false)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_trigger_sources_pass_through_untouched() {
    let function = start(&[
        ("ALLOWED_EMAIL_DOMAINS", "example.com"),
        ("AUTO_CONFIRM", "all"),
    ])
    .await;
    let event = with_source(
        sign_up(json!({"email": "a@elsewhere.org"})),
        "PreSignUp_SomethingNew",
    );
    function.assert_returns_unchanged(event).await;
    function
        .wait_for_log_containing("not a pre sign-up trigger source")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_events_get_a_clear_error_and_never_a_panic() {
    let function = start(&[]).await;
    for (event, reason) in [
        (json!([1, 2]), "the event is not a JSON object"),
        (json!("PreSignUp_SignUp"), "the event is not a JSON object"),
        (json!({"userName": "u"}), "triggerSource is missing"),
        (json!({"triggerSource": 7}), "triggerSource is not a string"),
        (
            json!({"triggerSource": "PreSignUp_SignUp", "request": "x"}),
            "request is not an object",
        ),
        (
            json!({"triggerSource": "PreSignUp_SignUp", "response": []}),
            "response is not an object",
        ),
        (
            json!({"triggerSource": "PreSignUp_SignUp", "request": {"userAttributes": ["email"]}}),
            "request.userAttributes is not an object",
        ),
        (
            json!({"triggerSource": "PreSignUp_SignUp", "request": {"userAttributes": {"email": {"a": 1}}}}),
            "request.userAttributes has a value that is not a string",
        ),
        (
            json!({"triggerSource": "PreSignUp_SignUp", "request": {"validationData": "x"}}),
            "request.validationData is not an object",
        ),
    ] {
        let error = function.invoke(event).await.error();
        assert_eq!(error.error_type, "MalformedEvent", "{reason}");
        assert_eq!(
            error.error_message,
            format!("Invalid sign-up request: {reason}")
        );
    }
    // Still serving: nothing panicked or exited.
    assert_eq!(
        respond_flags(&function, sample("sign-up")).await,
        flags(false, false, false)
    );
    function.assert_no_panic();
}

// ---- Domain rules ------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowed_domains_admit_listed_domains_and_wildcard_subdomains_only() {
    let function = start(&[("ALLOWED_EMAIL_DOMAINS", "example.com, *.corp.example")]).await;
    for email in [
        "a@example.com",
        "  A@EXAMPLE.COM ",
        "a@eu.corp.example",
        "a@x.eu.corp.example",
    ] {
        respond_flags(&function, sign_up(json!({ "email": email }))).await;
    }
    for email in [
        "secret.person@example.org",
        "secret.person@corp.example",
        "secret.person@mail.example.com",
    ] {
        let (error_type, message) = refused(&function, sign_up(json!({ "email": email }))).await;
        assert_eq!(
            (error_type.as_str(), message.as_str()),
            ("EmailDomainNotAllowed", DOMAIN_REFUSED),
            "{email}"
        );
    }
    // An allow list needs an address to check.
    let (error_type, message) =
        refused(&function, sign_up(json!({"phone_number": "+15555550100"}))).await;
    assert_eq!(
        (error_type.as_str(), message.as_str()),
        ("EmailRequired", "An email address is required")
    );
    // The refusals are logged with the domain, never the address.
    assert_address_never_logged(&function, "refused the sign-up", "secret.person").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocked_domains_are_refused_and_win_over_the_allow_list() {
    let function = start(&[
        ("ALLOWED_EMAIL_DOMAINS", "*.example.com"),
        ("BLOCKED_EMAIL_DOMAINS", "Old.Example.com"),
    ])
    .await;
    respond_flags(&function, sign_up(json!({"email": "a@new.example.com"}))).await;
    let (error_type, message) =
        refused(&function, sign_up(json!({"email": "a@old.example.com"}))).await;
    assert_eq!(
        (error_type.as_str(), message.as_str()),
        ("EmailDomainBlocked", DOMAIN_REFUSED)
    );

    let blocked_only = start(&[("BLOCKED_EMAIL_DOMAINS", "spam.example")]).await;
    respond_flags(&blocked_only, sign_up(json!({"email": "a@example.com"}))).await;
    respond_flags(&blocked_only, sign_up(json!({}))).await;
    let (error_type, _) = refused(&blocked_only, sign_up(json!({"email": "a@SPAM.example"}))).await;
    assert_eq!(error_type, "EmailDomainBlocked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internationalised_domains_are_compared_in_punycode() {
    // The rule in punycode, the address in Unicode (the sample), and the
    // other way round.
    let punycode_rule = start(&[("ALLOWED_EMAIL_DOMAINS", "xn--bcher-kva.example")]).await;
    respond_flags(&punycode_rule, sample("sign-up-internationalised-domain")).await;
    let unicode_rule = start(&[("ALLOWED_EMAIL_DOMAINS", "BÜCHER.example")]).await;
    respond_flags(
        &unicode_rule,
        sign_up(json!({"email": "hans@xn--bcher-kva.example"})),
    )
    .await;
    respond_flags(&unicode_rule, sample("sign-up-internationalised-domain")).await;
    let (error_type, _) = refused(
        &unicode_rule,
        sign_up(json!({"email": "hans@bucher.example"})),
    )
    .await;
    assert_eq!(error_type, "EmailDomainNotAllowed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_addresses_are_refused_with_a_clear_message() {
    let function = start(&[]).await;
    for email in [
        "secret.person",
        "secret.person@",
        "secret.person@localhost",
        "secret person@example.com",
        "\"secret.person\"@example.com",
        "secret.person@[192.0.2.1]",
        "secret.person@exa_mple.com",
    ] {
        let (error_type, message) = refused(&function, sign_up(json!({ "email": email }))).await;
        assert_eq!(
            (error_type.as_str(), message.as_str()),
            ("InvalidEmail", "The email address is not valid"),
            "{email}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disposable_domains_are_refused_from_a_list_loaded_once_at_init() {
    let function = start(&[("BLOCK_DISPOSABLE_EMAILS", "true")]).await;
    let (error_type, message) = refused(&function, sample("sign-up-disposable-email")).await;
    assert_eq!(
        (error_type.as_str(), message.as_str()),
        (
            "DisposableEmail",
            "Disposable email addresses are not allowed"
        )
    );
    // A subdomain of a listed domain is caught through its parent.
    let (error_type, _) = refused(
        &function,
        sign_up(json!({"email": "x@inbox.Mailinator.com"})),
    )
    .await;
    assert_eq!(error_type, "DisposableEmail");
    respond_flags(&function, sign_up(json!({"email": "x@gmail.com"}))).await;

    let loads: Vec<Value> = function
        .log_records()
        .into_iter()
        .filter(|record| record["message"] == "loaded the disposable-mail domain list")
        .collect();
    assert_eq!(
        loads.len(),
        1,
        "the list must be loaded once, at init: {loads:?}"
    );
    assert!(
        loads[0]["domains"].as_u64().unwrap_or_default() > 5_000,
        "{loads:?}"
    );

    // Off by default.
    let default = start(&[]).await;
    respond_flags(&default, sample("sign-up-disposable-email")).await;
    assert!(
        !default
            .logs()
            .iter()
            .any(|line| line.contains("loaded the disposable-mail domain list"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_create_user_gets_no_flags_and_its_domain_rules_are_configurable() {
    let admin = |email: &str| {
        let mut event = sample("admin-create-user");
        event["request"]["userAttributes"]["email"] = json!(email);
        event
    };
    let env = [
        ("ALLOWED_EMAIL_DOMAINS", "example.com"),
        ("AUTO_CONFIRM", "all"),
    ];
    let strict = start(&env).await;
    let accepted = admin("new.hire@example.com");
    assert_eq!(
        strict.respond(accepted.clone()).await,
        accepted,
        "flags must not be touched"
    );
    let (error_type, _) = refused(&strict, admin("contractor@partner.example")).await;
    assert_eq!(error_type, "EmailDomainNotAllowed");

    let mut exempt = env.to_vec();
    exempt.push(("APPLY_DOMAIN_RULES_TO_ADMIN_CREATE_USER", "false"));
    let exempt = start(&exempt).await;
    let outside = admin("contractor@partner.example");
    assert_eq!(exempt.respond(outside.clone()).await, outside);
    // Self-service sign-ups stay under the rules.
    let (error_type, _) = refused(&exempt, sign_up(json!({"email": "a@partner.example"}))).await;
    assert_eq!(error_type, "EmailDomainNotAllowed");
}

// ---- Required attributes and auto-confirmation ----------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn required_attributes_must_be_present_and_non_blank() {
    let function = start(&[("REQUIRED_ATTRIBUTES", "given_name, custom:tenant")]).await;
    respond_flags(
        &function,
        sign_up(json!({"email": "a@example.com", "given_name": "Ann", "custom:tenant": "t-1"})),
    )
    .await;
    for (attributes, missing) in [
        (
            json!({"email": "a@example.com", "custom:tenant": "t-1"}),
            "given_name",
        ),
        (
            json!({"given_name": "Ann", "custom:tenant": "   "}),
            "custom:tenant",
        ),
        (
            json!({"given_name": "Ann", "custom:tenant": null}),
            "custom:tenant",
        ),
    ] {
        let (error_type, message) = refused(&function, sign_up(attributes)).await;
        assert_eq!(error_type, "MissingAttribute");
        assert_eq!(message, format!("Missing required attribute: {missing}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_confirm_all_verifies_only_present_and_valid_attributes() {
    // Phone numbers are verified only on request (next test).
    let function = start(&[("AUTO_CONFIRM", "all"), ("AUTO_VERIFY_PHONE", "true")]).await;
    assert_eq!(
        respond_flags(&function, sample("sign-up")).await,
        flags(true, true, true)
    );
    assert_eq!(
        respond_flags(&function, sign_up(json!({"phone_number": "+447700900123"}))).await,
        flags(true, false, true)
    );
    for phone in ["07700 900123", "+44 7700 900123", "+0123", ""] {
        assert_eq!(
            respond_flags(
                &function,
                sign_up(json!({"email": "a@example.com", "phone_number": phone}))
            )
            .await,
            flags(true, true, false),
            "{phone:?}"
        );
    }
    // Federated sign-ups are confirmed the same way, but their email is
    // verified only when the provider says so (the Google sample does).
    assert_eq!(
        respond_flags(&function, sample("external-provider-google")).await,
        flags(true, true, false)
    );
    let mut asserted = sample("external-provider-saml");
    asserted["request"]["userAttributes"]["email_verified"] = json!(" True ");
    assert_eq!(
        respond_flags(&function, asserted).await,
        flags(true, true, false)
    );
    // SAML and Apple samples carry no email_verified: nobody vouched for the
    // address, so it is not auto-verified.
    for name in [
        "external-provider-saml",
        "external-provider-lowercase-username",
    ] {
        assert_eq!(
            respond_flags(&function, sample(name)).await,
            flags(true, false, false),
            "{name}"
        );
    }
    for unverified in [json!("false"), json!(""), json!("1"), json!("yes")] {
        let mut event = sample("external-provider-google");
        event["request"]["userAttributes"]["email_verified"] = unverified.clone();
        assert_eq!(
            respond_flags(&function, event).await,
            flags(true, false, false),
            "{unverified}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_confirm_domains_confirms_listed_domains_only() {
    let function = start(&[
        ("AUTO_CONFIRM", "domains"),
        ("AUTO_CONFIRM_EMAIL_DOMAINS", "example.com, *.corp.example"),
    ])
    .await;
    // The sample's number is not verified: AUTO_VERIFY_PHONE is off.
    assert_eq!(
        respond_flags(&function, sample("sign-up")).await,
        flags(true, true, false)
    );
    assert_eq!(
        respond_flags(&function, sign_up(json!({"email": "a@eu.corp.example"}))).await,
        flags(true, true, false)
    );
    assert_eq!(
        respond_flags(
            &function,
            sign_up(json!({"email": "a@example.org", "phone_number": "+15555550100"}))
        )
        .await,
        flags(false, false, false)
    );
    assert_eq!(
        respond_flags(&function, sign_up(json!({"phone_number": "+15555550100"}))).await,
        flags(false, false, false)
    );
    // A federated sign-up from a listed domain is confirmed, and its email
    // verified only on the provider's word.
    let federated = |verified: Option<&str>| {
        let mut event = sample("external-provider-google");
        let attributes = &mut event["request"]["userAttributes"];
        attributes["email"] = json!("a@eu.corp.example");
        match verified {
            Some(value) => attributes["email_verified"] = json!(value),
            None => {
                attributes
                    .as_object_mut()
                    .expect("attributes")
                    .remove("email_verified");
            }
        }
        event
    };
    assert_eq!(
        respond_flags(&function, federated(Some("true"))).await,
        flags(true, true, false)
    );
    assert_eq!(
        respond_flags(&function, federated(None)).await,
        flags(true, false, false)
    );
    assert_eq!(
        respond_flags(&function, federated(Some("false"))).await,
        flags(true, false, false)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_numbers_are_auto_verified_only_when_opted_in() {
    // What nobody proved is not verified: AUTO_CONFIRM alone confirms the
    // user and verifies the email (the README's documented risk), never the
    // number, which would otherwise receive MFA codes and recovery messages
    // and take over the alias from whoever held it.
    let default = start(&[("AUTO_CONFIRM", "all")]).await;
    for event in [
        sample("sign-up"),
        sign_up(json!({"phone_number": "+447700900123"})),
    ] {
        let expected = flags(
            true,
            event["request"]["userAttributes"]["email"].is_string(),
            false,
        );
        assert_eq!(respond_flags(&default, event).await, expected);
    }

    let opted_in = start(&[("AUTO_CONFIRM", "all"), ("AUTO_VERIFY_PHONE", "true")]).await;
    assert_eq!(
        respond_flags(&opted_in, sample("sign-up")).await,
        flags(true, true, true)
    );
    // A federated number only on the provider's word, like its email.
    let federated = |phone_verified: Option<&str>| {
        let mut event = sample("external-provider-google");
        let attributes = &mut event["request"]["userAttributes"];
        attributes["phone_number"] = json!("+447700900123");
        if let Some(value) = phone_verified {
            attributes["phone_number_verified"] = json!(value);
        }
        event
    };
    for (asserted, expected) in [
        (None, false),
        (Some("false"), false),
        (Some("yes"), false),
        (Some("true"), true),
    ] {
        assert_eq!(
            respond_flags(&opted_in, federated(asserted)).await,
            flags(true, true, expected),
            "{asserted:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_allow_list_admits_federated_users_only_with_a_provider_verified_email() {
    // Cognito sends a federated user no code, so an address the provider
    // did not verify proves nothing about the domain: Login with Amazon and
    // Facebook never send email_verified.
    let function = start(&[("ALLOWED_EMAIL_DOMAINS", "example.com")]).await;
    let federated = |sample_name: &str, verified: Option<Value>| {
        let mut event = sample(sample_name);
        let attributes = &mut event["request"]["userAttributes"];
        attributes["email"] = json!("secret.person@example.com");
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
    };
    let mut amazon = federated("external-provider-google", None);
    amazon["userName"] = json!("LoginWithAmazon_amzn1.account.AEXAMPLE");
    for event in [
        amazon,
        federated("external-provider-saml", None),
        federated("external-provider-google", Some(json!("false"))),
        federated("external-provider-google", Some(json!(""))),
    ] {
        let (error_type, message) = refused(&function, event).await;
        assert_eq!(
            (error_type.as_str(), message.as_str()),
            (
                "FederatedEmailNotVerified",
                "Your sign-in provider has not verified this email address"
            )
        );
    }
    for verified in [json!("true"), json!(" TRUE "), json!(true)] {
        respond_flags(
            &function,
            federated("external-provider-google", Some(verified)),
        )
        .await;
    }
    // Outside the list it is refused as before, whatever the provider says.
    let mut outside = federated("external-provider-google", Some(json!("true")));
    outside["request"]["userAttributes"]["email"] = json!("secret.person@example.org");
    assert_eq!(refused(&function, outside).await.0, "EmailDomainNotAllowed");
    // Self-service sign-ups prove the address with Cognito's code.
    respond_flags(&function, sign_up(json!({"email": "a@example.com"}))).await;
    // Without an allow list nobody is admitted by domain, and federated
    // sign-ups go on as before.
    let open = start(&[]).await;
    respond_flags(&open, federated("external-provider-saml", None)).await;
    assert_address_never_logged(&function, "FederatedEmailNotVerified", "secret.person").await;
}

// ---- Configuration -----------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_configuration_fails_the_init_naming_the_variable() {
    for (env, variable) in [
        (vec![("AUTO_CONFIRM", "sometimes")], "AUTO_CONFIRM"),
        (
            vec![("AUTO_CONFIRM", "domains")],
            "AUTO_CONFIRM_EMAIL_DOMAINS",
        ),
        (
            vec![("ALLOWED_EMAIL_DOMAINS", "example.com, not a domain")],
            "ALLOWED_EMAIL_DOMAINS",
        ),
        (
            vec![("BLOCKED_EMAIL_DOMAINS", "@spam.example")],
            "BLOCKED_EMAIL_DOMAINS",
        ),
        (
            vec![
                ("AUTO_CONFIRM", "domains"),
                ("AUTO_CONFIRM_EMAIL_DOMAINS", "exa*mple.com"),
            ],
            "AUTO_CONFIRM_EMAIL_DOMAINS",
        ),
        (
            vec![("BLOCK_DISPOSABLE_EMAILS", "yes")],
            "BLOCK_DISPOSABLE_EMAILS",
        ),
        (
            vec![("REQUIRED_ATTRIBUTES", "given name")],
            "REQUIRED_ATTRIBUTES",
        ),
        (vec![("LINK_FEDERATED_USERS", "1")], "LINK_FEDERATED_USERS"),
        (
            vec![
                ("LINK_FEDERATED_USERS", "true"),
                ("LINK_PROVIDER_NAMES", "google"),
            ],
            "LINK_PROVIDER_NAMES",
        ),
        (
            vec![("APPLY_DOMAIN_RULES_TO_ADMIN_CREATE_USER", "no")],
            "APPLY_DOMAIN_RULES_TO_ADMIN_CREATE_USER",
        ),
        (
            vec![("LINK_FEDERATED_USERS", "true"), ("AUTO_CONFIRM", "all")],
            "LINK_FEDERATED_USERS",
        ),
        (vec![("AUTO_VERIFY_PHONE", "yes")], "AUTO_VERIFY_PHONE"),
        (vec![("AUTO_VERIFY_PHONE", "true")], "AUTO_VERIFY_PHONE"),
    ] {
        let mut function = start(&env).await;
        let report = function.init_error().await;
        assert_eq!(report.error_type, "ConfigError", "{env:?}");
        assert!(
            report.error_message.starts_with(&format!("{variable}: ")),
            "{env:?}: {}",
            report.error_message
        );
    }
}

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

async fn start_linking(front: &MotoFront, extra: &[(&str, &str)]) -> Function {
    Launch::new(FUNCTION)
        .env("LINK_FEDERATED_USERS", "true")
        .env("AWS_ENDPOINT_URL", front.endpoint())
        .envs(extra.iter().map(|(k, v)| (*k, *v)))
        .start()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_a_federated_sign_in_to_the_native_user_with_the_same_verified_email() {
    let moto = Moto::start();
    let pool = Pool::with_native_users(
        &moto,
        &[
            ("jane", "jane.doe@example.com", true),
            ("jane-unverified", "jane.doe@example.org", false),
            ("sam", "sam@corp.example", true),
        ],
    )
    .await;
    let front = linking_front(&moto, LinkAnswer::Ok).await;
    let function = start_linking(&front, &[("LINK_PROVIDER_NAMES", "CorpSAML")]).await;

    // Google, with the username lowercased as case-insensitive pools send it.
    let event = pool.federated_sign_up("google_103571795941234567890", "jane.doe@example.com");
    let output = function.respond(event.clone()).await;
    let mut expected = event;
    expected["response"] = flags(false, false, false);
    assert_eq!(output, expected, "the event comes back whole");

    let lookups = front.calls(LIST_USERS_TARGET);
    assert_eq!(lookups.len(), 1);
    assert_eq!(
        lookups[0].body,
        json!({"UserPoolId": pool.id, "Filter": "email = \"jane.doe@example.com\"", "Limit": 60})
    );
    let links = front.calls(LINK_TARGET);
    assert_eq!(
        links.len(),
        1,
        "exactly one AdminLinkProviderForUser: {:?}",
        front.seen()
    );
    assert_eq!(
        links[0].body,
        json!({
            "UserPoolId": pool.id,
            "DestinationUser": {"ProviderName": "Cognito", "ProviderAttributeValue": "jane"},
            "SourceUser": {
                "ProviderName": "Google",
                "ProviderAttributeName": "Cognito_Subject",
                "ProviderAttributeValue": "103571795941234567890"
            }
        })
    );
    assert_eq!(links[0].content_type, "application/x-amz-json-1.1");
    assert!(
        links[0]
            .authorization
            .starts_with("AWS4-HMAC-SHA256 Credential=testing/")
            && links[0]
                .authorization
                .contains("/us-east-1/cognito-idp/aws4_request"),
        "signed with SigV4 for cognito-idp: {}",
        links[0].authorization
    );

    // A SAML provider, lowercased in the username: linked under its
    // configured spelling. The provider sent the domain in capitals; the
    // local part is compared exactly.
    let saml = pool.federated_sign_up("corpsaml_sam@corp.example", "sam@CORP.Example");
    function.respond(saml).await;
    let links = front.calls(LINK_TARGET);
    assert_eq!(links.len(), 2);
    assert_eq!(
        links[1].body["DestinationUser"]["ProviderAttributeValue"],
        "sam"
    );
    assert_eq!(links[1].body["SourceUser"]["ProviderName"], "CorpSAML");
    assert_eq!(
        links[1].body["SourceUser"]["ProviderAttributeValue"],
        "sam@corp.example"
    );
    // Both forms of the address were looked up, the normalised one first.
    let filters: Vec<Value> = front.calls(LIST_USERS_TARGET)[1..]
        .iter()
        .map(|seen| seen.body["Filter"].clone())
        .collect();
    assert_eq!(
        filters,
        [
            json!("email = \"sam@corp.example\""),
            json!("email = \"sam@CORP.Example\"")
        ]
    );

    // What moto holds afterwards: the same three native users, untouched;
    // the function created nobody.
    let cognito = moto.cognito().await;
    let users = cognito
        .list_users()
        .user_pool_id(&pool.id)
        .send()
        .await
        .expect("list the users in moto");
    let mut names: Vec<&str> = users
        .users()
        .iter()
        .filter_map(|user| user.username())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["jane", "jane-unverified", "sam"]);
    let jane = cognito
        .admin_get_user()
        .user_pool_id(&pool.id)
        .username("jane")
        .send()
        .await
        .expect("get jane from moto");
    assert_eq!(
        jane.user_status().map(|status| status.as_str()),
        Some("CONFIRMED")
    );
    assert_address_never_logged(
        &function,
        "linked the federated identity to the native user",
        "jane.doe@",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_goes_on_unlinked_when_no_single_native_user_qualifies() {
    let moto = Moto::start();
    let pool = Pool::with_native_users(
        &moto,
        &[
            ("unverified", "nobody@example.com", false),
            ("twin-a", "twin@example.com", true),
            ("twin-b", "twin@example.com", true),
        ],
    )
    .await;
    let front = linking_front(&moto, LinkAnswer::Ok).await;
    let function = start_linking(&front, &[]).await;

    for (email, log) in [
        (
            "nobody@example.com",
            "not linked: no native user has this verified email",
        ),
        (
            "stranger@example.com",
            "not linked: no native user has this verified email",
        ),
        (
            "twin@example.com",
            "not linked: several native users have this verified email",
        ),
    ] {
        let event = pool.federated_sign_up("Google_42", email);
        assert_eq!(
            respond_flags(&function, event).await,
            flags(false, false, false),
            "{email}"
        );
        function.wait_for_log(|line| line.contains(log)).await;
    }
    assert_eq!(front.calls(LIST_USERS_TARGET).len(), 3);

    // No lookup at all when the provider does not say the email is verified
    // (see links_only_when_the_identity_provider_asserts_a_verified_email),
    // when there is no email, or when the provider is unknown.
    let mut unverified = pool.federated_sign_up("Google_43", "twin@example.com");
    unverified["request"]["userAttributes"]["email_verified"] = json!("false");
    let mut no_email = pool.federated_sign_up("Google_44", "x@example.com");
    no_email["request"]["userAttributes"]
        .as_object_mut()
        .expect("attributes")
        .remove("email");
    let unknown = pool.federated_sign_up("othersaml_45", "twin@example.com");
    for event in [unverified, no_email, unknown] {
        respond_flags(&function, event).await;
    }
    function
        .wait_for_log(|line| {
            line.contains("not a built-in one nor in LINK_PROVIDER_NAMES")
                && line.contains("othersaml")
        })
        .await;
    assert_eq!(front.calls(LIST_USERS_TARGET).len(), 3);
    assert!(
        front.calls(LINK_TARGET).is_empty(),
        "nothing may be linked: {:?}",
        front.seen()
    );

    // Native sign-ups are never looked up.
    let mut native = sample("sign-up");
    native["userPoolId"] = json!(pool.id);
    respond_flags(&function, native).await;
    assert_eq!(front.seen().len(), 3);

    // The pool comes from the event only: without it there is nothing to
    // look up, and the event is refused as malformed.
    let mut no_pool = pool.federated_sign_up("Google_46", "twin@example.com");
    no_pool.as_object_mut().expect("event").remove("userPoolId");
    let error = function.invoke(no_pool).await.error();
    assert_eq!(error.error_type, "MalformedEvent");
    assert_eq!(
        error.error_message,
        "Invalid sign-up request: userPoolId is missing"
    );
    assert_eq!(front.seen().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linking_with_auto_confirm_fails_the_init() {
    // Auto-verified emails prove nothing, and linking trusts verified
    // emails: whoever signed up first with a victim's address would receive
    // the victim's federated sign-ins. The combination is refused, not
    // merely warned about.
    for auto_confirm in [
        vec![("AUTO_CONFIRM", "all")],
        vec![
            ("AUTO_CONFIRM", "domains"),
            ("AUTO_CONFIRM_EMAIL_DOMAINS", "corp.example"),
        ],
    ] {
        let mut env = auto_confirm.clone();
        env.push(("LINK_FEDERATED_USERS", "true"));
        let mut function = start(&env).await;
        let report = function.init_error().await;
        assert_eq!(report.error_type, "ConfigError", "{env:?}");
        assert!(
            report
                .error_message
                .starts_with("LINK_FEDERATED_USERS: cannot be combined with AUTO_CONFIRM"),
            "{env:?}: {}",
            report.error_message
        );
        assert!(
            report.error_message.contains("pre-hijacking"),
            "{}",
            report.error_message
        );
        // Each alone starts and serves.
        let confirming = start(&auto_confirm).await;
        assert_eq!(
            respond_flags(&confirming, sign_up(json!({"email": "a@corp.example"}))).await,
            flags(true, true, false),
            "{auto_confirm:?}"
        );
    }
    for env in [
        vec![("LINK_FEDERATED_USERS", "true")],
        vec![("LINK_FEDERATED_USERS", "true"), ("AUTO_CONFIRM", "none")],
    ] {
        let linking = start(&env).await;
        assert_eq!(
            respond_flags(&linking, sample("sign-up")).await,
            flags(false, false, false),
            "{env:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_only_when_the_identity_provider_asserts_a_verified_email() {
    let moto = Moto::start();
    let pool = Pool::with_native_users(&moto, &[("victim", "victim@example.com", true)]).await;
    let front = linking_front(&moto, LinkAnswer::Ok).await;
    let function = start_linking(&front, &[("LINK_PROVIDER_NAMES", "CorpSAML,CorpOIDC")]).await;

    // Providers that never send email_verified (Facebook, Login with
    // Amazon, most SAML), and an OIDC provider whose users set their own
    // email claim: each carries the victim's address, none may reach the
    // victim's account, and none is even looked up.
    let without = |user_name: &str| {
        let mut event = pool.federated_sign_up(user_name, "victim@example.com");
        event["request"]["userAttributes"]
            .as_object_mut()
            .expect("attributes")
            .remove("email_verified");
        event
    };
    let mut unasserted = vec![
        without("facebook_10158"),
        without("loginwithamazon_amzn1.account.af2x"),
        without("corpsaml_attacker@corp.example"),
    ];
    for (index, value) in [
        json!("false"),
        json!("False"),
        json!(""),
        json!("1"),
        json!("yes"),
        json!(false),
    ]
    .into_iter()
    .enumerate()
    {
        let mut event =
            pool.federated_sign_up(&format!("corpoidc_attacker{index}"), "victim@example.com");
        event["request"]["userAttributes"]["email_verified"] = value;
        unasserted.push(event);
    }
    // The last one's log line comes last: once it is read, all are.
    let last = unasserted.last().expect("events")["userName"]
        .as_str()
        .expect("userName")
        .to_owned();
    let count = unasserted.len();
    for event in unasserted {
        let expected = event["request"]["userAttributes"].clone();
        assert_eq!(
            respond_flags(&function, event).await,
            flags(false, false, false),
            "{expected}"
        );
    }
    let not_linked = |function: &Function| {
        function
            .log_records()
            .into_iter()
            .filter(|record| {
                record["message"]
                    == "not linked: the identity provider did not assert a verified email"
            })
            .collect::<Vec<Value>>()
    };
    function
        .wait_for_log(|line| {
            line.contains("not linked: the identity provider did not assert a verified email")
                && line.contains(&format!("\"{last}\""))
        })
        .await;
    let skipped = not_linked(&function);
    assert_eq!(skipped.len(), count, "{skipped:?}");
    assert!(
        skipped.iter().all(|record| record["level"] == "INFO"),
        "{skipped:?}"
    );
    let providers: Vec<&Value> = skipped.iter().map(|record| &record["provider"]).collect();
    assert_eq!(
        providers[..3],
        [
            &json!("Facebook"),
            &json!("LoginWithAmazon"),
            &json!("CorpSAML")
        ],
        "{skipped:?}"
    );
    assert!(
        providers[3..]
            .iter()
            .all(|name| **name == json!("CorpOIDC")),
        "{skipped:?}"
    );
    assert!(
        front.seen().is_empty(),
        "no lookup and no link without the provider's word: {:?}",
        front.seen()
    );

    // The provider's explicit `true`, in any casing and padding, links.
    for (user_name, value) in [
        ("google_1", json!("true")),
        ("corpoidc_victim", json!(" TRUE ")),
        ("corpsaml_victim@corp.example", json!(true)),
    ] {
        let mut event = pool.federated_sign_up(user_name, "victim@example.com");
        event["request"]["userAttributes"]["email_verified"] = value;
        respond_flags(&function, event).await;
    }
    let links = front.calls(LINK_TARGET);
    assert_eq!(links.len(), 3, "{:?}", front.seen());
    assert!(
        links
            .iter()
            .all(|link| link.body["DestinationUser"]["ProviderAttributeValue"] == "victim"),
        "{links:?}"
    );
    assert_eq!(not_linked(&function).len(), count);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_link_refuses_the_sign_up_with_a_retryable_message() {
    let moto = Moto::start();
    let pool = Pool::with_native_users(&moto, &[("jane", "jane@example.com", true)]).await;

    // A client error is not retried.
    let refusing = linking_front(&moto, LinkAnswer::Refuse).await;
    let function = start_linking(&refusing, &[]).await;
    let error = function
        .invoke(pool.federated_sign_up("Google_1", "jane@example.com"))
        .await
        .error();
    assert_eq!(error.error_type, "LinkFailed");
    assert_eq!(
        error.error_message,
        "Sign-in could not be completed, please try again"
    );
    assert_eq!(refusing.calls(LINK_TARGET).len(), 1);
    function
        .wait_for_log(|line| {
            line.contains("could not link the federated user")
                && line.contains("InvalidParameterException")
        })
        .await;

    // A server error is retried once (two attempts in all), then refused.
    let failing = linking_front(&moto, LinkAnswer::Fail).await;
    let function = start_linking(&failing, &[]).await;
    let error = function
        .invoke(pool.federated_sign_up("Google_2", "jane@example.com"))
        .await
        .error();
    assert_eq!(error.error_type, "LinkFailed");
    assert_eq!(failing.calls(LINK_TARGET).len(), 2);

    // moto itself, which lacks the call, gives the same refusal.
    let function = Launch::new(FUNCTION)
        .env("LINK_FEDERATED_USERS", "true")
        .envs(moto.env())
        .start()
        .await;
    let error = function
        .invoke(pool.federated_sign_up("Google_3", "jane@example.com"))
        .await
        .error();
    assert_eq!(error.error_type, "LinkFailed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_cognito_is_cut_off_well_within_the_five_second_budget() {
    let moto = Moto::start();
    let pool = Pool::with_native_users(&moto, &[("jane", "jane@example.com", true)]).await;
    let front = linking_front(&moto, LinkAnswer::Slow(Duration::from_secs(10))).await;
    let function = start_linking(&front, &[]).await;
    // Warm up (first SDK use, credentials) with a sign-up that needs no link.
    respond_flags(
        &function,
        pool.federated_sign_up("Google_0", "nobody@example.com"),
    )
    .await;

    let started = Instant::now();
    let error = function
        .invoke(pool.federated_sign_up("Google_1", "jane@example.com"))
        .await
        .error();
    let elapsed = started.elapsed();
    assert_eq!(error.error_type, "LinkFailed");
    assert!(
        elapsed < Duration::from_millis(4_500),
        "took {elapsed:?}; Cognito gives up after 5 s"
    );
    assert!(
        elapsed >= Duration::from_millis(1_000),
        "took only {elapsed:?}"
    );
    eprintln!("slow AdminLinkProviderForUser cut off after {elapsed:?}");
}
