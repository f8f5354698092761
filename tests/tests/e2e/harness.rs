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

/// Every function crate has one layout (docs/testing.md, "Where things
/// live"), so that a reader who knows one knows them all: `main.rs` is the
/// one call to `function::run`, `lib.rs` implements `Function` for `State`,
/// `config.rs` implements `FromEnv`, the error enums and their mapping to
/// what the caller sees are in `error.rs`; and no test module written inline
/// passes 250 lines (past that, it is `<module>/tests.rs`).
#[test]
fn every_function_crate_has_one_layout() {
    let root = e2e_tests::runtime_api::workspace_root();
    let read = |path: &std::path::Path| {
        std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
    };
    let mut crates = 0;
    for (binary, _) in e2e_tests::declarations::FUNCTIONS {
        let src = root.join("functions").join(binary).join("src");
        crates += 1;
        let library = binary.replace('-', "_");
        // A function whose binary links what must not unify into the other
        // functions (custom-sender: the AWS Encryption SDK) is built by a
        // workspace of its own, functions/<name>/bootstrap: its main.rs
        // runs the library's State with what only the bootstrap links, and
        // the library has no main.rs. Everything else is the same layout.
        let (main, run, state) = match e2e_tests::runtime_api::bootstrap_workspace(binary) {
            Some(bootstrap) => {
                assert!(
                    !src.join("main.rs").exists(),
                    "{binary}: its binary is built by functions/{binary}/bootstrap; no src/main.rs"
                );
                (
                    bootstrap.join("src").join("main.rs"),
                    format!("function::run::<{library}::State<"),
                    "> Function for State<D> {",
                )
            }
            None => (
                src.join("main.rs"),
                format!("function::run::<{library}::State>()"),
                "impl Function for State {",
            ),
        };
        let main_text = read(&main);
        assert!(
            main_text.contains(&run) && main_text.matches("fn ").count() == 1,
            "{}: main.rs should only call {run}…",
            main.display()
        );
        assert!(
            read(&src.join("lib.rs")).contains(state),
            "{binary}: lib.rs should implement Function for State ({state})"
        );
        assert!(
            read(&src.join("config.rs")).contains("impl FromEnv for Config {"),
            "{binary}: config.rs should implement FromEnv for Config"
        );
        assert!(
            read(&src.join("error.rs")).contains("thiserror::Error"),
            "{binary}: its error enums belong in error.rs"
        );
    }
    let on_disk = std::fs::read_dir(root.join("functions"))
        .expect("read functions/")
        .count();
    assert_eq!(
        crates, on_disk,
        "declarations::FUNCTIONS lists every function crate"
    );
    let mut long = Vec::new();
    for dir in ["functions", "shared/src", "tools"] {
        for path in rust_files(&root.join(dir)) {
            let text = read(&path);
            if let Some(start) = text.find("\n#[cfg(test)]\nmod tests {\n") {
                let lines = text[start..].lines().count();
                if lines > 250 {
                    long.push(format!("{} ({lines} lines)", path.display()));
                }
            }
        }
    }
    assert!(
        long.is_empty(),
        "inline test modules past 250 lines; move each to <module>/tests.rs: {long:?}"
    );
}

fn rust_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let entries = std::fs::read_dir(dir).unwrap_or_else(|err| panic!("{}: {err}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            if !path.ends_with("target") && !path.ends_with("node_modules") {
                files.extend(rust_files(&path));
            }
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files
}
