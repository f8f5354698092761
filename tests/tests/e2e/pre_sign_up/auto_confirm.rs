//! Required attributes and auto-confirmation: which attributes must be
//! present, and when the function confirms the user and verifies the email
//! or phone number.

use super::*;

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
        federated_sign_up(
            "external-provider-google",
            "a@eu.corp.example",
            verified.map(|value| json!(value)),
        )
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
    // user and verifies the email (the risk docs/configuration.md documents),
    // never the number, which would otherwise receive MFA codes and recovery
    // messages and take over the alias from whoever held it.
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
