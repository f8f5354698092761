//! Domain rules: the allow list (wildcard subdomains, and federated users
//! only with a provider-verified email), the block list winning over it,
//! punycode, malformed addresses, the disposable list loaded once at init,
//! and admin-created users' configurable rules.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowed_domains_admit_listed_domains_and_wildcard_subdomains_only() {
    let function = start(&[("ALLOWED_EMAIL_DOMAINS", "example.com, *.corp.example")]).await;
    for email in [
        "a@example.com",
        "A@EXAMPLE.COM",
        "a@eu.corp.example",
        "a@x.eu.corp.example",
    ] {
        respond_flags(&function, sign_up(json!({ "email": email }))).await;
    }
    // Cognito keeps the attribute as sent, so an address is judged as sent:
    // white space around it is refused, never trimmed before the list.
    let (error_type, _) = refused(&function, sign_up(json!({"email": "  A@EXAMPLE.COM "}))).await;
    assert_eq!(error_type, "InvalidEmail");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_allow_list_admits_federated_users_only_with_a_provider_verified_email() {
    // Cognito sends a federated user no code, so an address the provider
    // did not verify proves nothing about the domain: Login with Amazon and
    // Facebook never send email_verified.
    let function = start(&[("ALLOWED_EMAIL_DOMAINS", "example.com")]).await;
    let federated = |sample_name: &str, verified: Option<Value>| {
        federated_sign_up(sample_name, "secret.person@example.com", verified)
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
