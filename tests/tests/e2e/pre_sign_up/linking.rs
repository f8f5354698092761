//! Linking federated users to the native user with the same verified email,
//! through the real SDK against moto and the linking front server: when it
//! links, when the sign-up goes on unlinked, and the refused combination
//! with auto-confirmation.

use super::*;

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
    let function = start_linking(
        &front,
        &[
            ("LINK_PROVIDER_NAMES", "CorpSAML"),
            (
                "LINK_PROVIDER_DOMAINS",
                "Google=example.com,CorpSAML=corp.example",
            ),
        ],
    )
    .await;

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
        vec![
            ("LINK_FEDERATED_USERS", "true"),
            ("LINK_PROVIDER_DOMAINS", GOOGLE_FOR_EXAMPLE_COM),
        ],
        vec![
            ("LINK_FEDERATED_USERS", "true"),
            ("LINK_PROVIDER_DOMAINS", GOOGLE_FOR_EXAMPLE_COM),
            ("AUTO_CONFIRM", "none"),
        ],
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
    let function = start_linking(
        &front,
        &[
            ("LINK_PROVIDER_NAMES", "CorpSAML,CorpOIDC"),
            (
                "LINK_PROVIDER_DOMAINS",
                "Google=example.com,CorpSAML=example.com,CorpOIDC=example.com,\
                 Facebook=example.com,LoginWithAmazon=example.com",
            ),
        ],
    )
    .await;

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
