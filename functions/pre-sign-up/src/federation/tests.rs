use super::*;

const P: Var<List> = Var::new("P", List, &["names"]);

fn providers(extra: &str) -> ProviderNames {
    ProviderNames::from_env(&Env::from_pairs([(P, extra)]), P).unwrap()
}

fn identity(provider: &str, subject: &str) -> FederatedIdentity {
    FederatedIdentity {
        provider: provider.to_owned(),
        subject: subject.to_owned(),
    }
}

#[test]
fn identifies_built_in_providers_in_any_casing() {
    let names = providers("");
    for (user_name, provider, subject) in [
        ("Google_1234", "Google", "1234"),
        ("google_1234", "Google", "1234"),
        ("GOOGLE_1234", "Google", "1234"),
        ("Facebook_10158", "Facebook", "10158"),
        (
            "signinwithapple_001234.abcdef.0915",
            "SignInWithApple",
            "001234.abcdef.0915",
        ),
        (
            "LoginWithAmazon_amzn1.account.AF2X",
            "LoginWithAmazon",
            "amzn1.account.AF2X",
        ),
    ] {
        assert_eq!(
            names.identify(user_name),
            Some(identity(provider, subject)),
            "{user_name}"
        );
    }
}

#[test]
fn identifies_configured_providers_with_their_configured_spelling() {
    let names = providers("CorpSAML, Corp_EU, Okta");
    assert_eq!(
        names.identify("corpsaml_Alice@corp.example"),
        Some(identity("CorpSAML", "Alice@corp.example"))
    );
    assert_eq!(
        names.identify("corp_eu_abc"),
        Some(identity("Corp_EU", "abc"))
    );
    assert_eq!(names.identify("Okta_00u1"), Some(identity("Okta", "00u1")));
}

#[test]
fn does_not_guess_unknown_or_empty() {
    let names = providers("");
    for user_name in [
        "MySaml_123",
        "google",
        "google_",
        "googles_1",
        "",
        "_123",
        "Gööglé_1",
    ] {
        assert_eq!(names.identify(user_name), None, "{user_name}");
    }
    assert_eq!(unknown_prefix("MySaml_123"), Some("MySaml"));
    assert_eq!(unknown_prefix("nounderscore"), None);
}

#[test]
fn provider_names_are_validated() {
    for bad in [
        "google",
        "Cognito",
        "has space",
        "a234567890123456789012345678901234",
        "Okta,okta",
    ] {
        let error = ProviderNames::from_env(&Env::from_pairs([(P, bad)]), P).unwrap_err();
        assert_eq!(error.variable, "P", "{bad}");
    }
}

#[test]
fn escapes_the_filter_value() {
    assert_eq!(email_filter("a@example.com"), r#"email = "a@example.com""#);
    assert_eq!(
        email_filter(r#"a"b\c@example.com"#),
        r#"email = "a\"b\\c@example.com""#
    );
    assert_eq!(
        email_filter(r#"" or email ^= ""#),
        r#"email = "\" or email ^= \"""#
    );
}

fn user(username: &str, status: &str, attributes: &[(&str, &str)]) -> PoolUser {
    PoolUser {
        username: username.to_owned(),
        status: Some(status.to_owned()),
        attributes: attributes
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

#[test]
fn chooses_the_single_verified_native_user() {
    let email = Email::parse("alice@example.com").unwrap();
    let google = identity("Google", "1234");
    let names = providers("");
    let native = user(
        "6f1c-uuid",
        "CONFIRMED",
        &[("email", "alice@Example.com"), ("email_verified", "true")],
    );
    let unverified = user(
        "7a2d-uuid",
        "CONFIRMED",
        &[("email", "alice@example.com"), ("email_verified", "false")],
    );
    let federated_status = user(
        "x",
        "EXTERNAL_PROVIDER",
        &[("email", "alice@example.com"), ("email_verified", "true")],
    );
    let federated_name = user(
        "facebook_99",
        "CONFIRMED",
        &[("email", "alice@example.com"), ("email_verified", "true")],
    );
    let other_email = user(
        "8b3e-uuid",
        "CONFIRMED",
        &[("email", "alice@example.org"), ("email_verified", "true")],
    );

    let users = vec![
        unverified.clone(),
        federated_status,
        federated_name,
        other_email,
        native.clone(),
    ];
    assert_eq!(
        choose_link_target(&users, &email, &google, &names),
        LinkTarget::Native {
            username: "6f1c-uuid".to_owned()
        }
    );
    assert_eq!(
        choose_link_target(&[unverified], &email, &google, &names),
        LinkTarget::NotFound
    );
    assert_eq!(
        choose_link_target(&[], &email, &google, &names),
        LinkTarget::NotFound
    );
    let twin = user(
        "9c4f-uuid",
        "CONFIRMED",
        &[("email", "alice@example.com"), ("email_verified", "TRUE")],
    );
    assert_eq!(
        choose_link_target(&[native, twin], &email, &google, &names),
        LinkTarget::Ambiguous { count: 2 }
    );
}

#[test]
fn a_stored_look_alike_or_another_local_part_never_qualifies() {
    let email = Email::parse("ceo@example.com").unwrap();
    let google = identity("Google", "1234");
    let names = providers("");
    // What `ListUsers` may return for `ceo@example.com` (AWS documents
    // its searches as case-insensitive): none is the same address.
    for stored in [
        "ceo@ｅxample.com",
        "ceo@ex\u{200B}ample.com",
        "c\u{AD}eo@example.com",
        "CEO@example.com",
        "ceo@example.com.",
    ] {
        let user = user(
            "6f1c-uuid",
            "CONFIRMED",
            &[("email", stored), ("email_verified", "true")],
        );
        assert_eq!(
            choose_link_target(&[user], &email, &google, &names),
            LinkTarget::NotFound,
            "{stored:?}"
        );
    }
    // Other spellings of the same mailbox do.
    let idn = Email::parse("hans@xn--bcher-kva.example").unwrap();
    for stored in ["hans@bücher.example", "hans@XN--BCHER-KVA.Example"] {
        let user = user(
            "7a2d-uuid",
            "CONFIRMED",
            &[("email", stored), ("email_verified", "true")],
        );
        assert_eq!(
            choose_link_target(&[user], &idn, &google, &names),
            LinkTarget::Native {
                username: "7a2d-uuid".to_owned()
            },
            "{stored:?}"
        );
    }
}

#[test]
fn provider_names_are_found_in_any_casing() {
    let names = providers("CorpSAML");
    assert_eq!(names.spelling("corpsaml"), Some("CorpSAML"));
    assert_eq!(names.spelling("GOOGLE"), Some("Google"));
    assert_eq!(names.spelling("Cognito"), None);
    assert_eq!(names.spelling("Okta"), None);
}

#[test]
fn recognises_an_identity_that_is_already_linked() {
    let email = Email::parse("alice@example.com").unwrap();
    let names = providers("");
    let linked = user(
        "6f1c-uuid",
        "CONFIRMED",
        &[
            ("email", "alice@example.com"),
            ("email_verified", "true"),
            (
                "identities",
                r#"[{"userId":"1234","providerName":"Google","providerType":"Google","issuer":null,"primary":false,"dateCreated":1700000000000}]"#,
            ),
        ],
    );
    assert_eq!(
        choose_link_target(
            std::slice::from_ref(&linked),
            &email,
            &identity("Google", "1234"),
            &names
        ),
        LinkTarget::AlreadyLinked {
            username: "6f1c-uuid".to_owned()
        }
    );
    assert_eq!(
        choose_link_target(&[linked], &email, &identity("Facebook", "1234"), &names),
        LinkTarget::Native {
            username: "6f1c-uuid".to_owned()
        }
    );
}
