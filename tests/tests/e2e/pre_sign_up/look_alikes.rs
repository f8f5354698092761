//! Issue #22: addresses that render like another one, and providers that
//! speak for domains they do not own.
//!
//! UTS #46 mapping folds full-width and compatibility characters and drops
//! invisible ones, so `ceo@ｅxample.com` used to be judged (and looked up) as
//! `ceo@example.com` while Cognito kept the look-alike: it was auto-confirmed
//! and auto-verified on a domain rule, and linked to the real `ceo`'s
//! account. Each is now refused before any rule, flag or lookup, while a
//! real internationalised domain keeps working in both of its forms.

use super::*;

/// The native user every look-alike imitates.
const CEO: &str = "ceo@example.com";

/// One of each character class that UTS #46 maps onto `ceo@example.com`,
/// and the other invisible or case tricks; each named for the failure
/// message.
const LOOK_ALIKES: [(&str, &str); 9] = [
    ("full-width e (U+FF45)", "ceo@ｅxample.com"),
    ("small roman numeral fifty (U+217C)", "ceo@exampⅼe.com"),
    ("ideographic full stop (U+3002)", "ceo@example。com"),
    ("soft hyphen in the domain", "ceo@exa\u{AD}mple.com"),
    ("zero-width space in the domain", "ceo@ex\u{200B}ample.com"),
    ("zero-width joiner in the domain", "ceo@ex\u{200D}ample.com"),
    (
        "Kelvin sign (U+212A) in the domain",
        "ceo@\u{212A}ey.example.com",
    ),
    ("soft hyphen in the local part", "c\u{AD}eo@example.com"),
    ("full-width c in the local part", "ｃeo@example.com"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn look_alike_addresses_are_refused_not_allowed_or_auto_confirmed() {
    let function = start(&[
        (
            "ALLOWED_EMAIL_DOMAINS",
            "example.com,*.example.com,bücher.example",
        ),
        ("AUTO_CONFIRM", "domains"),
        (
            "AUTO_CONFIRM_EMAIL_DOMAINS",
            "example.com,*.example.com,xn--bcher-kva.example",
        ),
    ])
    .await;
    for (class, email) in LOOK_ALIKES {
        let (error_type, message) = refused(&function, sign_up(json!({ "email": email }))).await;
        assert_eq!(
            (error_type.as_str(), message.as_str()),
            ("InvalidEmail", "The email address is not valid"),
            "{class}: {email:?}"
        );
    }
    // Bidi controls were disallowed already; still refused.
    let (error_type, _) = refused(
        &function,
        sign_up(json!({"email": "ceo@ex\u{202E}ample.com"})),
    )
    .await;
    assert_eq!(error_type, "InvalidEmail");

    // The logs say why, with a stable code. Output is read asynchronously,
    // so wait for the last refusal's line before reading them all.
    let refusal_lines = || {
        function
            .logs()
            .iter()
            .filter(|line| line.contains("\"refused the sign-up\""))
            .count()
    };
    function
        .wait_for_log(|_| refusal_lines() > LOOK_ALIKES.len())
        .await;
    let refusals: Vec<Value> = function
        .log_records()
        .into_iter()
        .filter(|record| record["message"] == "refused the sign-up")
        .collect();
    let problems: Vec<&str> = refusals
        .iter()
        .map(|record| record["email_problem"].as_str().unwrap_or("none"))
        .collect();
    assert_eq!(
        problems,
        [
            "non_canonical_domain",
            "non_canonical_domain",
            "non_canonical_domain",
            "non_canonical_domain",
            "non_canonical_domain",
            // A joiner outside the scripts that need one (CONTEXTJ).
            "invalid_domain",
            "non_canonical_domain",
            "non_canonical_local_part",
            "non_canonical_local_part",
            "invalid_domain",
        ],
        "{refusals:?}"
    );

    // Admin-created users follow the same rule.
    let mut admin = sample("admin-create-user");
    admin["request"]["userAttributes"]["email"] = json!("ceo@ｅxample.com");
    assert_eq!(refused(&function, admin).await.0, "InvalidEmail");

    // The real address, and a real internationalised domain in both forms
    // (and ASCII case, which DNS ignores), are confirmed as before.
    for email in [
        CEO,
        "CEO@EXAMPLE.COM",
        "hans@bücher.example",
        "hans@xn--bcher-kva.example",
        "hans@Bücher.EXAMPLE",
        "hans@XN--BCHER-KVA.example",
    ] {
        assert_eq!(
            respond_flags(&function, sign_up(json!({ "email": email }))).await,
            flags(true, true, false),
            "{email}"
        );
    }

    // A local part in another script is canonical and may be a real
    // mailbox, but it can pass for another one (`cеo`, `сeo`: a Cyrillic
    // `е`, `с`): it signs up, and only a code sent to it confirms it. So
    // does an internationalised local part at a listed domain.
    for email in [
        "c\u{435}o@example.com",
        "\u{441}eo@example.com",
        "ce\u{43E}@team.example.com",
        "jürgen@bücher.example",
    ] {
        assert_eq!(
            respond_flags(&function, sign_up(json!({ "email": email }))).await,
            flags(false, false, false),
            "{email}"
        );
    }

    // White space around the address is not trimmed away: Cognito would
    // keep `ceo@example.com\u{a0}`, a string that looks like the real one.
    for email in [
        "ceo@example.com\u{a0}",
        "\u{3000}ceo@example.com",
        "ceo@example.com\u{2028}",
        " ceo@example.com",
    ] {
        let (error_type, _) = refused(&function, sign_up(json!({ "email": email }))).await;
        assert_eq!(error_type, "InvalidEmail", "{email:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_look_alike_federated_address_is_never_looked_up_nor_linked() {
    let moto = Moto::start();
    let pool = Pool::with_native_users(
        &moto,
        &[("ceo", CEO, true), ("hans", "hans@bücher.example", true)],
    )
    .await;
    let front = linking_front(&moto, LinkAnswer::Ok).await;
    let function = start_linking(
        &front,
        &[(
            "LINK_PROVIDER_DOMAINS",
            "Google=example.com,Google=*.example.com,Google=bücher.example",
        )],
    )
    .await;

    // Each look-alike, asserted verified by a bound provider, is refused
    // before any call to Cognito.
    for (index, (class, email)) in LOOK_ALIKES.iter().enumerate() {
        let event = pool.federated_sign_up(&format!("google_{index}"), email);
        assert_eq!(
            event["request"]["userAttributes"]["email_verified"], "true",
            "the sample asserts the email verified"
        );
        let (error_type, _) = refused(&function, event).await;
        assert_eq!(error_type, "InvalidEmail", "{class}: {email:?}");
    }
    assert!(
        front.seen().is_empty(),
        "no lookup and no link for a look-alike: {:?}",
        front.seen()
    );

    // The real address links, so the refusals above are not a broken setup.
    function
        .respond(pool.federated_sign_up("google_100", CEO))
        .await;
    let links = front.calls(LINK_TARGET);
    assert_eq!(links.len(), 1, "{:?}", front.seen());
    assert_eq!(
        links[0].body["DestinationUser"]["ProviderAttributeValue"],
        "ceo"
    );

    // A real internationalised domain links from either form: the native
    // user's address is stored in Unicode, and both spellings are looked up.
    for (user_name, email) in [
        ("google_101", "hans@bücher.example"),
        ("google_102", "hans@xn--bcher-kva.example"),
    ] {
        function
            .respond(pool.federated_sign_up(user_name, email))
            .await;
        let links = front.calls(LINK_TARGET);
        let last = links.last().expect("a link");
        assert_eq!(
            (
                last.body["DestinationUser"]["ProviderAttributeValue"].as_str(),
                last.body["SourceUser"]["ProviderAttributeValue"].as_str(),
            ),
            (Some("hans"), user_name.strip_prefix("google_")),
            "{email}"
        );
    }
    assert_eq!(front.calls(LINK_TARGET).len(), 3);
    let filters: Vec<Value> = front
        .calls(LIST_USERS_TARGET)
        .iter()
        .map(|call| call.body["Filter"].clone())
        .collect();
    assert_eq!(
        filters,
        [
            json!("email = \"ceo@example.com\""),
            json!("email = \"hans@xn--bcher-kva.example\""),
            json!("email = \"hans@bücher.example\""),
            json!("email = \"hans@xn--bcher-kva.example\""),
            json!("email = \"hans@bücher.example\""),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_links_only_for_the_domains_it_is_bound_to() {
    let moto = Moto::start();
    let pool = Pool::with_native_users(
        &moto,
        &[("ceo", CEO, true), ("sam", "sam@eu.corp.example", true)],
    )
    .await;
    let front = linking_front(&moto, LinkAnswer::Ok).await;
    // A multi-tenant OIDC provider is trusted for the corporate domain only;
    // Google for gmail.com only.
    let function = start_linking(
        &front,
        &[
            ("LINK_PROVIDER_NAMES", "CorpOIDC"),
            (
                "LINK_PROVIDER_DOMAINS",
                "Google=gmail.com,CorpOIDC=*.corp.example",
            ),
        ],
    )
    .await;

    // Each provider asserts the CEO's address verified; neither speaks for
    // example.com, so neither is looked up or linked, and the sign-up goes
    // on as a separate federated user.
    for user_name in ["google_1", "corpoidc_attacker", "facebook_2"] {
        let event = pool.federated_sign_up(user_name, CEO);
        assert_eq!(
            respond_flags(&function, event).await,
            flags(false, false, false),
            "{user_name}"
        );
    }
    function
        .wait_for_log(|line| {
            line.contains("not linked: LINK_PROVIDER_DOMAINS does not bind")
                && line.contains("facebook_2")
        })
        .await;
    let unbound: Vec<Value> = function
        .log_records()
        .into_iter()
        .filter(|record| {
            record["message"]
                == "not linked: LINK_PROVIDER_DOMAINS does not bind the identity provider to the email's domain"
        })
        .collect();
    let providers: Vec<&Value> = unbound.iter().map(|record| &record["provider"]).collect();
    assert_eq!(
        providers,
        [&json!("Google"), &json!("CorpOIDC"), &json!("Facebook")],
        "{unbound:?}"
    );
    assert!(
        unbound
            .iter()
            .all(|record| record["email_domain"] == "example.com"),
        "{unbound:?}"
    );
    assert!(
        front.seen().is_empty(),
        "an unbound provider is never looked up: {:?}",
        front.seen()
    );

    // The bound provider, for a subdomain of its binding, links.
    function
        .respond(pool.federated_sign_up("corpoidc_sam", "sam@eu.corp.example"))
        .await;
    let links = front.calls(LINK_TARGET);
    assert_eq!(links.len(), 1, "{:?}", front.seen());
    assert_eq!(
        links[0].body["DestinationUser"]["ProviderAttributeValue"],
        "sam"
    );
    assert_eq!(links[0].body["SourceUser"]["ProviderName"], "CorpOIDC");
    assert_address_never_logged(&function, "linked the federated identity", "ceo@").await;
}

/// With `AUTO_CONFIRM=all` no list is consulted, so a look-alike domain in
/// another script (`exаmple.com`, Cyrillic `а`) or a look-alike local part
/// would be confirmed: it is, but its email is never verified without the
/// code Cognito sends. A plain ASCII address is verified as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_auto_confirm_all_a_look_alike_is_confirmed_but_never_verified() {
    let function = start(&[("AUTO_CONFIRM", "all")]).await;
    for email in [
        "ceo@ex\u{430}mple.com",
        "ceo@p\u{430}ypal.com",
        "c\u{435}o@example.com",
    ] {
        assert_eq!(
            respond_flags(&function, sign_up(json!({ "email": email }))).await,
            flags(true, false, false),
            "{email}"
        );
    }
    assert_eq!(
        respond_flags(&function, sign_up(json!({ "email": CEO }))).await,
        flags(true, true, false)
    );
}
