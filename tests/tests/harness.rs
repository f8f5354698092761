//! The Runtime API harness itself: that it reports what Lambda would see for
//! an init error, a handler error and a response, and that the request id it
//! hands out reaches the function's logs.

use e2e_tests::runtime_api::{Launch, Outcome};
use serde_json::{Value, json};

fn pre_sign_up_event() -> Value {
    json!({
        "version": "1",
        "region": "us-east-1",
        "userPoolId": "us-east-1_Harness01",
        "userName": "harness-user",
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "harnessclient"},
        "triggerSource": "PreSignUp_SignUp",
        "request": {"userAttributes": {"email": "someone@example.com"}, "validationData": null},
        "response": {"autoConfirmUser": false, "autoVerifyEmail": false, "autoVerifyPhone": false}
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_error_arrives_on_init_error_and_names_the_variable() {
    let mut function = Launch::new("pre-sign-up")
        .env("AUTO_CONFIRM", "sometimes")
        .start()
        .await;
    let report = function.init_error().await;
    assert_eq!(report.error_type, "ConfigError");
    assert!(
        report.error_message.starts_with("AUTO_CONFIRM: "),
        "{report:?}"
    );
    // The failure is logged as structured JSON too.
    let line = function
        .wait_for_log(|line| line.contains("init failed"))
        .await;
    let record: Value = serde_json::from_str(&line).expect("a JSON log line");
    assert_eq!(record["level"], "ERROR");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_error_carries_its_type_and_message() {
    let function = Launch::new("pre-sign-up").start().await;
    let invoked = function.invoke(json!(["not", "an", "event"])).await;
    let Outcome::Error(report) = invoked.outcome else {
        panic!("a malformed event must fail the invocation");
    };
    assert!(!report.error_type.is_empty());
    assert!(!report.error_message.is_empty());
    // The binary survives the error and serves the next event.
    let response = function.respond(pre_sign_up_event()).await;
    assert_eq!(response["userName"], "harness-user");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_id_reaches_the_logs() {
    let function = Launch::new("pre-sign-up").start().await;
    let invoked = function.invoke(json!({"triggerSource": 42})).await;
    assert!(matches!(invoked.outcome, Outcome::Error(_)));
    let request_id = invoked.request_id.clone();
    let line = function
        .wait_for_log(|line| line.contains(&request_id))
        .await;
    let record: Value = serde_json::from_str(&line).expect("a JSON log line");
    let spans = record["spans"].as_array().expect("the span list");
    assert!(
        spans
            .iter()
            .any(|span| span["requestId"] == request_id.as_str()),
        "{record}"
    );
}
