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
        test_kit::state::<State>(&[("AUTO_CONFIRM", "all"), ("AUTO_VERIFY_PHONE", "true")]).await;
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
