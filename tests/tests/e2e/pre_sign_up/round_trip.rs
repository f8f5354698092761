//! Round trip and event tolerance: every sample comes back with every field
//! kept, what the `aws_lambda_events` types would reject is tolerated, an
//! unknown trigger source passes through, and a malformed event gets a clear
//! error, never a panic.

use super::*;

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
