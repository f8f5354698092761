//! A Lambda Runtime API on 127.0.0.1 that runs a real function binary the way
//! Lambda does.
//!
//! [`Function::start`] builds the binary (once per test process), starts an
//! HTTP server that speaks the Runtime API (`/2018-06-01/runtime/...`), and
//! spawns the binary with `AWS_LAMBDA_RUNTIME_API` and the other standard
//! variables pointing at it. [`Function::invoke`] queues an event on
//! `/invocation/next` and waits for what the binary posts back on
//! `/response` or `/error`; [`Function::init_error`] waits for
//! `/init/error`. Every line the binary prints is kept, parsed where it is
//! JSON, and also written under `target/e2e-logs/` for the log audit.
//!
//! The child's environment is cleared first, so nothing from the developer's
//! shell (credentials, endpoints, log levels) leaks into a test.

use std::collections::{HashMap, HashSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::{Notify, mpsc, oneshot};

/// How long a test waits for an answer before it fails. Generous: it only
/// guards against a hung binary, it measures nothing.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

/// The deadline each invocation is given, as Lambda would from the function's
/// configured timeout.
const DEFAULT_FUNCTION_TIMEOUT: Duration = Duration::from_secs(30);

const FUNCTION_ARN_PREFIX: &str = "arn:aws:lambda:us-east-1:123456789012:function:";

/// What the function answered for one invocation.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Posted to `/invocation/{id}/response`.
    Response(Value),
    /// Posted to `/invocation/{id}/error`.
    Error(ErrorReport),
}

/// An error as the Runtime API receives it.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorReport {
    /// `errorType` from the body.
    pub error_type: String,
    /// `errorMessage` from the body: for a Cognito trigger, what the user sees.
    pub error_message: String,
    /// The `Lambda-Runtime-Function-Error-Type` header, if sent.
    pub header_error_type: Option<String>,
}

/// One finished invocation.
#[derive(Debug, Clone)]
pub struct Invoked {
    /// The request id the harness assigned (and the binary should log).
    pub request_id: String,
    /// What came back.
    pub outcome: Outcome,
}

impl Invoked {
    /// The response body; fails the test on an error outcome.
    #[track_caller]
    pub fn response(self) -> Value {
        match self.outcome {
            Outcome::Response(value) => value,
            Outcome::Error(error) => panic!("expected a response, got an error: {error:?}"),
        }
    }

    /// The error; fails the test on a response outcome.
    #[track_caller]
    pub fn error(self) -> ErrorReport {
        match self.outcome {
            Outcome::Error(error) => error,
            Outcome::Response(value) => panic!("expected an error, got a response: {value}"),
        }
    }
}

/// How to launch a function binary.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The binary's name, as in `functions/<name>`.
    pub name: String,
    /// Extra environment variables (after the standard Lambda ones).
    pub env: Vec<(String, String)>,
    /// Extra variables whose values need not be UTF-8 (set last), for the
    /// tests of what a function does with one.
    pub env_os: Vec<(String, std::ffi::OsString)>,
    /// The deadline each invocation is given.
    pub function_timeout: Duration,
    /// Whether the Runtime API closes the connection after each answer
    /// (`Connection: close`), so that the binary opens a fresh one for every
    /// request, as against an HTTP/1.0 server. Lambda's own Runtime API keeps
    /// the connection open; benchmarks measure both.
    pub fresh_connections: bool,
    /// Whether the budgets are widened under an emulator
    /// ([`EMULATION_BUDGETS`]); off for the tests whose subject is a default
    /// budget ([`Launch::deployed_budgets`]).
    pub emulation_budgets: bool,
}

impl Launch {
    /// A launch of `name` with no extra environment.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            env: Vec::new(),
            env_os: Vec::new(),
            function_timeout: DEFAULT_FUNCTION_TIMEOUT,
            fresh_connections: false,
            emulation_budgets: true,
        }
    }

    /// Adds one environment variable.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Adds one environment variable whose value may be any bytes.
    pub fn env_os(mut self, key: impl Into<String>, value: impl Into<std::ffi::OsString>) -> Self {
        self.env_os.push((key.into(), value.into()));
        self
    }

    /// Adds several environment variables.
    pub fn envs<K: Into<String>, V: Into<String>>(
        mut self,
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.env
            .extend(pairs.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// Sets the invocation deadline.
    pub fn function_timeout(mut self, timeout: Duration) -> Self {
        self.function_timeout = timeout;
        self
    }

    /// Closes the connection after every answer: a fresh one per request.
    pub fn fresh_connections(mut self, fresh: bool) -> Self {
        self.fresh_connections = fresh;
        self
    }

    /// Keeps the function's own default budgets under an emulator too: for a
    /// test whose subject is a default (that a silent endpoint is cut off by
    /// the default SDK budget inside Cognito's 5 s, that a hash is refused at
    /// the default `MAX_HASH_MS`). Such a test waits on a timer, not on the
    /// CPU, so it holds under emulation as it does natively.
    pub fn deployed_budgets(mut self) -> Self {
        self.emulation_budgets = false;
        self
    }

    /// Starts the function.
    pub async fn start(self) -> Function {
        Function::launch(self).await
    }
}

/// A running function binary and the Runtime API that feeds it.
pub struct Function {
    name: String,
    shared: Arc<Shared>,
    logs: Arc<Mutex<Vec<String>>>,
    child: Child,
    server: tokio::task::JoinHandle<()>,
    readers: Vec<tokio::task::JoinHandle<()>>,
}

struct Shared {
    queue: mpsc::UnboundedSender<Pending>,
    next: tokio::sync::Mutex<mpsc::UnboundedReceiver<Pending>>,
    waiting: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
    init_error: Mutex<Option<ErrorReport>>,
    init_error_posted: Notify,
    function_arn: String,
    function_timeout: Duration,
}

struct Pending {
    request_id: String,
    event: Value,
}

impl Function {
    /// Starts `name` with the given extra environment.
    pub async fn start(name: &str, env: &[(&str, &str)]) -> Function {
        Launch::new(name)
            .envs(env.iter().map(|(k, v)| (*k, *v)))
            .start()
            .await
    }

    async fn launch(launch: Launch) -> Function {
        let binary = binary_path(&launch.name);
        let (queue, next) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            queue,
            next: tokio::sync::Mutex::new(next),
            waiting: Mutex::new(HashMap::new()),
            init_error: Mutex::new(None),
            init_error_posted: Notify::new(),
            function_arn: format!("{FUNCTION_ARN_PREFIX}{}", launch.name),
            function_timeout: launch.function_timeout,
        });

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the Runtime API on 127.0.0.1");
        let address = listener.local_addr().expect("Runtime API address");
        let router = axum::Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next_invocation))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(invocation_response),
            )
            .route(
                "/2018-06-01/runtime/invocation/{id}/error",
                post(invocation_error),
            )
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared.clone());
        let router = if launch.fresh_connections {
            // hyper ends the connection after a response that says so.
            router.layer(axum::middleware::map_response(
                |mut response: Response| async move {
                    response.headers_mut().insert(
                        axum::http::header::CONNECTION,
                        HeaderValue::from_static("close"),
                    );
                    response
                },
            ))
        } else {
            router
        };
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });

        let runner = runner();
        let mut command = match runner.split_first() {
            Some((program, args)) => {
                let mut command = Command::new(program);
                command.args(args).arg(&binary);
                command
            }
            None => Command::new(&binary),
        };
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(standard_lambda_env(&launch.name, &address.to_string()))
            .envs(emulation_budgets(&runner, &launch))
            .envs(launch.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .envs(
                launch
                    .env_os
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_os_str())),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command
            .spawn()
            .unwrap_or_else(|err| panic!("spawn {runner:?} {}: {err}", binary.display()));

        let logs = Arc::new(Mutex::new(Vec::new()));
        let log_file = Arc::new(Mutex::new(open_log_file(&launch.name)));
        let mut readers = Vec::new();
        if let Some(stdout) = child.stdout.take() {
            readers.push(spawn_line_reader(stdout, logs.clone(), log_file.clone()));
        }
        if let Some(stderr) = child.stderr.take() {
            readers.push(spawn_line_reader(stderr, logs.clone(), log_file.clone()));
        }

        Function {
            name: launch.name,
            shared,
            logs,
            child,
            server,
            readers,
        }
    }

    /// Sends `event` as one invocation and waits for the answer.
    pub async fn invoke(&self, event: Value) -> Invoked {
        let request_id = new_request_id();
        let (sender, receiver) = oneshot::channel();
        self.shared
            .waiting
            .lock()
            .expect("waiting map")
            .insert(request_id.clone(), sender);
        self.shared
            .queue
            .send(Pending {
                request_id: request_id.clone(),
                event,
            })
            .expect("the Runtime API queue is open");
        match tokio::time::timeout(ANSWER_TIMEOUT, receiver).await {
            Ok(Ok(outcome)) => Invoked {
                request_id,
                outcome,
            },
            _ => panic!(
                "{} gave no answer within {ANSWER_TIMEOUT:?}; its output:\n{}",
                self.name,
                self.logs().join("\n")
            ),
        }
    }

    /// Sends `event` and returns the response body, failing the test on an
    /// error.
    pub async fn respond(&self, event: Value) -> Value {
        self.invoke(event).await.response()
    }

    /// Waits for the binary to report an init error, and for it to exit.
    pub async fn init_error(&mut self) -> ErrorReport {
        let wait = async {
            loop {
                let notified = self.shared.init_error_posted.notified();
                if let Some(report) = self.shared.init_error.lock().expect("init error").clone() {
                    return report;
                }
                notified.await;
            }
        };
        let report = match tokio::time::timeout(ANSWER_TIMEOUT, wait).await {
            Ok(report) => report,
            Err(_) => panic!(
                "{} reported no init error; its output:\n{}",
                self.name,
                self.logs().join("\n")
            ),
        };
        let status = tokio::time::timeout(ANSWER_TIMEOUT, self.child.wait())
            .await
            .expect("the binary exits after an init error")
            .expect("wait for the binary");
        assert!(
            !status.success(),
            "{} exited successfully after an init error",
            self.name
        );
        report
    }

    /// Every line the binary printed so far, stdout and stderr interleaved.
    pub fn logs(&self) -> Vec<String> {
        self.logs.lock().expect("logs").clone()
    }

    /// Invokes with `event` and fails unless the response is `event`
    /// exactly: what a trigger with nothing to change must answer.
    pub async fn assert_returns_unchanged(&self, event: Value) {
        assert_eq!(self.respond(event.clone()).await, event);
    }

    /// Fails if any line the binary printed tells of a panic (the panic
    /// message, or the hint to set `RUST_BACKTRACE` that follows it).
    #[track_caller]
    pub fn assert_no_panic(&self) {
        for line in self.logs() {
            assert!(
                !line.contains("panicked") && !line.contains("RUST_BACKTRACE"),
                "{} panicked: {line}",
                self.name
            );
        }
    }

    /// Every line that parsed as a JSON object.
    pub fn log_records(&self) -> Vec<Value> {
        self.logs()
            .iter()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(Value::is_object)
            .collect()
    }

    /// [`Function::wait_for_log`] for the first line that contains `text`.
    pub async fn wait_for_log_containing(&self, text: &str) -> String {
        self.wait_for_log(|line| line.contains(text)).await
    }

    /// Waits until a line that satisfies `matches` has been printed, and
    /// returns it. Output is read asynchronously, so a line printed just
    /// before a response may arrive just after it.
    pub async fn wait_for_log(&self, matches: impl Fn(&str) -> bool) -> String {
        let deadline = tokio::time::Instant::now() + ANSWER_TIMEOUT;
        loop {
            if let Some(line) = self.logs().into_iter().find(|line| matches(line)) {
                return line;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} printed no matching line; its output:\n{}",
                self.name,
                self.logs().join("\n")
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The process id, for benchmarks that read `/proc`.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Stops the binary and the server.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
        for reader in self.readers.drain(..) {
            let _ = reader.await;
        }
        self.server.abort();
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        self.server.abort();
    }
}

async fn next_invocation(State(shared): State<Arc<Shared>>) -> Response {
    let pending = shared.next.lock().await.recv().await;
    let Some(pending) = pending else {
        return StatusCode::GONE.into_response();
    };
    let deadline = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .saturating_add(shared.function_timeout)
        .as_millis();
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    set("lambda-runtime-aws-request-id", pending.request_id.clone());
    set("lambda-runtime-deadline-ms", deadline.to_string());
    set(
        "lambda-runtime-invoked-function-arn",
        shared.function_arn.clone(),
    );
    set(
        "lambda-runtime-trace-id",
        format!(
            "Root=1-00000000-{};Parent=0000000000000000;Sampled=0",
            &pending.request_id.replace('-', "")[..24]
        ),
    );
    set("content-type", "application/json".to_owned());
    (StatusCode::OK, headers, pending.event.to_string()).into_response()
}

async fn invocation_response(
    State(shared): State<Arc<Shared>>,
    UrlPath(request_id): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    let value = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    complete(&shared, &request_id, Outcome::Response(value))
}

async fn invocation_error(
    State(shared): State<Arc<Shared>>,
    UrlPath(request_id): UrlPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    complete(
        &shared,
        &request_id,
        Outcome::Error(error_report(&headers, &body)),
    )
}

async fn init_error(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    *shared.init_error.lock().expect("init error") = Some(error_report(&headers, &body));
    shared.init_error_posted.notify_waiters();
    StatusCode::ACCEPTED
}

fn complete(shared: &Shared, request_id: &str, outcome: Outcome) -> StatusCode {
    match shared
        .waiting
        .lock()
        .expect("waiting map")
        .remove(request_id)
    {
        Some(sender) => {
            let _ = sender.send(outcome);
            StatusCode::ACCEPTED
        }
        // Lambda answers an unknown or already-answered request id this way.
        None => StatusCode::BAD_REQUEST,
    }
}

fn error_report(headers: &HeaderMap, body: &[u8]) -> ErrorReport {
    let parsed: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let field = |name: &str| {
        parsed
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    ErrorReport {
        error_type: field("errorType"),
        error_message: field("errorMessage"),
        header_error_type: headers
            .get("lambda-runtime-function-error-type")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned),
    }
}

/// The time budgets a function works to, widened to their documented
/// maximums when the binary runs under an emulator (`E2E_RUNNER`), before the
/// test's own variables, so a test that sets one keeps its value.
///
/// Under qemu-user every instruction is translated, so a first TLS handshake,
/// an SDK call or a hash takes many times its real duration, and a budget
/// sized for Lambda (a 300 ms revocation read, a 600 ms SDK attempt) runs out
/// on work that is not slow on Graviton. These defaults measure nothing about
/// the code under test; the tests of what a function does when a budget runs
/// out set that budget themselves, and so run unchanged. Each value is the
/// variable's own maximum, which the function's configuration check accepts.
pub const EMULATION_BUDGETS: &[(&str, &str)] = &[
    ("AWS_CALL_TIMEOUT_MS", "4000"),
    ("AWS_ATTEMPT_TIMEOUT_MS", "4000"),
    ("REVOCATION_READ_TIMEOUT_MS", "3000"),
    ("JWKS_FETCH_TIMEOUT_MS", "10000"),
    ("LEGACY_ENDPOINT_TIMEOUT_MS", "3000"),
    ("MAX_HASH_MS", "2000"),
];

/// The [`EMULATION_BUDGETS`] a launch gets: none natively or when the test
/// keeps the deployed budgets, and never one the test sets itself. A test
/// that sets `AWS_CALL_TIMEOUT_MS` keeps the default attempt budget too,
/// which the function fits inside its call budget, where a widened one
/// would exceed it and fail the configuration check.
fn emulation_budgets(runner: &[String], launch: &Launch) -> Vec<(&'static str, &'static str)> {
    if runner.is_empty() || !launch.emulation_budgets {
        return Vec::new();
    }
    let set_by_test = |name: &str| {
        launch.env.iter().any(|(key, _)| key == name)
            || launch.env_os.iter().any(|(key, _)| key == name)
    };
    EMULATION_BUDGETS
        .iter()
        .copied()
        .filter(|(name, _)| !set_by_test(name))
        .filter(|(name, _)| {
            *name != "AWS_ATTEMPT_TIMEOUT_MS" || !set_by_test("AWS_CALL_TIMEOUT_MS")
        })
        .collect()
}

/// The session token every function is handed, recognisable so that the
/// log audit can prove no function prints it (aws-sigv4 puts it in the
/// canonical request it logs at TRACE). moto accepts any.
pub const SESSION_TOKEN: &str = "e2e-session-token-sentinel-5Jq8Wz";

fn standard_lambda_env(name: &str, runtime_api: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_owned()),
        ("AWS_LAMBDA_FUNCTION_NAME", name.to_owned()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".to_owned()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}")),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME",
            "2026/11/22/[$LATEST]e2e".to_owned(),
        ),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_DEFAULT_REGION", "us-east-1".to_owned()),
        ("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023".to_owned()),
        ("_HANDLER", "bootstrap".to_owned()),
        ("LAMBDA_TASK_ROOT", "/var/task".to_owned()),
        ("TZ", ":UTC".to_owned()),
        // Lambda hands every function its role's credentials this way; these
        // are dummies that only moto accepts.
        ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
        ("AWS_SESSION_TOKEN", SESSION_TOKEN.to_owned()),
    ]
}

fn spawn_line_reader(
    stream: impl tokio::io::AsyncRead + Unpin + Send + 'static,
    logs: Arc<Mutex<Vec<String>>>,
    log_file: Arc<Mutex<Option<std::fs::File>>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(file) = log_file.lock().expect("log file").as_mut() {
                let _ = writeln!(file, "{line}");
            }
            logs.lock().expect("logs").push(line);
        }
    })
}

/// `target/e2e-logs/<name>-<n>.log`: every line any test binary printed, for
/// the log audit. A failure to open it only loses the copy.
fn open_log_file(name: &str) -> Option<std::fs::File> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = target_dir().join("e2e-logs");
    std::fs::create_dir_all(&dir).ok()?;
    let file = dir.join(format!(
        "{name}-{}-{}.log",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::File::create(file).ok()
}

fn new_request_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .subsec_nanos();
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        nanos,
        std::process::id() & 0xffff,
        count & 0xfff,
        (count >> 12) & 0xfff,
        count
    )
}

/// The workspace's root folder.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits inside the workspace")
        .to_path_buf()
}

/// The Cargo workspace of its own that builds function `name`'s binary,
/// when it has one: `functions/<name>/bootstrap` (custom-sender's, which
/// keeps the AWS Encryption SDK's dependencies out of this workspace; its
/// library is still `functions/<name>`, a member here). `None`: the binary
/// is this workspace's package `name`.
pub fn bootstrap_workspace(name: &str) -> Option<PathBuf> {
    let dir = workspace_root()
        .join("functions")
        .join(name)
        .join("bootstrap");
    dir.join("Cargo.toml").is_file().then_some(dir)
}

/// The Cargo target folder.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_absolute() {
                dir
            } else {
                workspace_root().join(dir)
            }
        })
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// The command that runs each function binary, from `E2E_RUNNER`: empty (or
/// unset) runs the binary itself; otherwise its words, split at whitespace,
/// with the binary's path as the last argument. `make test-arm64` sets it to
/// `qemu-aarch64 -L /usr/aarch64-linux-gnu`, so that the same tests run the
/// arm64 bootstraps as deployed on this x86_64 machine. Every place that
/// spawns a function binary goes through [`Function`], and so through this.
pub fn runner() -> Vec<String> {
    std::env::var("E2E_RUNNER")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// The path of the function binary `name`.
///
/// By default the binary is built (debug) with Cargo once per test process,
/// so a test never runs a stale binary. `E2E_BIN_DIR` points at prebuilt
/// binaries instead: `$E2E_BIN_DIR/<name>` (a Cargo profile folder, such as
/// `target/release`, which the benchmarks use), or
/// `$E2E_BIN_DIR/<name>/bootstrap` (`cargo lambda build`'s `target/lambda`,
/// the bootstraps `sam build` deploys, which `make test-arm64` uses).
pub fn binary_path(name: &str) -> PathBuf {
    if let Some(dir) = std::env::var_os("E2E_BIN_DIR") {
        let path = PathBuf::from(dir).join(name);
        if path.is_dir() {
            let bootstrap = path.join("bootstrap");
            assert!(
                bootstrap.is_file(),
                "E2E_BIN_DIR has a folder {} without a bootstrap",
                path.display()
            );
            return bootstrap;
        }
        assert!(
            path.is_file(),
            "E2E_BIN_DIR has no binary {} (nor {}/bootstrap)",
            path.display(),
            path.display()
        );
        return path;
    }
    static BUILT: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    let built = BUILT.get_or_init(|| Mutex::new(HashSet::new()));
    let mut built = built
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if !built.contains(name) {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let mut command = std::process::Command::new(cargo);
        command.current_dir(workspace_root());
        match bootstrap_workspace(name) {
            // Its own workspace, built into this one's target folder.
            Some(dir) => command
                .args(["build", "--quiet", "--locked", "--manifest-path"])
                .arg(dir.join("Cargo.toml"))
                .arg("--target-dir")
                .arg(target_dir())
                .args(["--bin", name]),
            None => command.args(["build", "--quiet", "-p", name, "--bin", name]),
        };
        let status = command
            .status()
            .unwrap_or_else(|err| panic!("run cargo build for {name}: {err}"));
        assert!(status.success(), "cargo build of {name} failed");
        built.insert(name.to_owned());
    }
    let path = target_dir().join("debug").join(name);
    assert!(path.is_file(), "no binary at {}", path.display());
    path
}
