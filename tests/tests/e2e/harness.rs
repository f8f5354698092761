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

/// The suite's layout: `tests/tests/` holds the one binary `e2e/` and
/// nothing else (a file there would be a test binary of its own, linking
/// every function crate again), and every module file or folder in `e2e/`
/// is declared in `main.rs` (an undeclared one would never be compiled, so
/// its tests would silently not run).
#[test]
fn the_end_to_end_tests_are_one_binary() {
    let tests = e2e_tests::runtime_api::workspace_root().join("tests/tests");
    let names = |dir: &std::path::Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
            .map(|entry| {
                entry
                    .expect("a directory entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        names
    };
    assert_eq!(
        names(&tests),
        ["e2e"],
        "move each test file of tests/tests/ into tests/tests/e2e/ as a module (docs/testing.md)"
    );
    let main = std::fs::read_to_string(tests.join("e2e/main.rs")).expect("read e2e/main.rs");
    let undeclared: Vec<String> = names(&tests.join("e2e"))
        .into_iter()
        .filter(|name| name != "main.rs")
        .filter(|name| !main.contains(&format!("\nmod {};", name.trim_end_matches(".rs"))))
        .collect();
    assert!(
        undeclared.is_empty(),
        "not declared in tests/tests/e2e/main.rs, so never compiled: {undeclared:?}"
    );
}
