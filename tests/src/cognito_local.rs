//! The pieces of the lifecycle test (`tests/tests/e2e/lifecycle.rs`), which
//! `make demo` also runs: cognito-local, a Cognito user-pool emulator that
//! issues RS256 tokens and calls the triggers through the Lambda Invoke API;
//! `cargo lambda watch`, which serves that API with the real function
//! binaries; and a relay between the two.
//!
//! ```text
//!  test ──SDK──► cognito-local ──Invoke API──► LambdaRelay ──► cargo lambda watch ──► the binaries
//!                  ▲                           (records)                                │
//!                  └──────────── AdminAddUserToGroup (post-confirmation) ───────────────┤
//!  test ──SDK──► moto (DynamoDB) ◄──── profile item (post-confirmation, pre-token-gen) ─┘
//! ```
//!
//! Everything listens on 127.0.0.1. A missing tool fails the test with a
//! message naming it and how to install it, never a skip:
//! - cognito-local comes from `tools/cognito-local/package-lock.json`,
//!   installed by `scripts/setup.sh` (`npm ci`) into
//!   `tools/cognito-local/node_modules`; it needs `node`;
//! - `cargo-lambda` comes from `.venv` (`scripts/setup.sh`), found on `PATH`
//!   or in `.venv/bin`.
//!
//! # The relay, and the two deviations it corrects
//!
//! The relay forwards every invocation unchanged, except where the chain
//! departs from what Cognito and Lambda do, and records what it saw
//! ([`Relayed`]), so a test asserts both the raw behaviour and the result:
//!
//! 1. **Function errors.** Lambda's Invoke API answers a function error with
//!    `200` and `X-Amz-Function-Error: Unhandled`, the error JSON as the
//!    body. `cargo lambda watch` (1.9) answers `500` with the same body and
//!    no header, which cognito-local's AWS SDK (v2) takes for a transport
//!    failure: it retries three times, then reports
//!    `UnexpectedLambdaExceptionException` instead of the trigger's message.
//!    The relay answers what Lambda would; [`Relayed::upstream_status`] keeps
//!    the raw status.
//! 2. **The pre token generation version.** cognito-local (5.3.0) sends
//!    every trigger event with `"version": "0"`; Cognito sends `"1"` for a
//!    `V1_0` pre token generation trigger, in the same shape. The function
//!    passes an unknown version through untouched, by design. With
//!    [`LambdaRelay::set_v1_version`] on, the relay rewrites `"0"` to `"1"`
//!    on `TokenGeneration_*` events only; [`Relayed::event`] keeps the event
//!    as cognito-local sent it.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region};
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use crate::loopback::Served;
use crate::moto::{REGION, free_port};
use crate::runtime_api::{target_dir, workspace_root};

/// How long a server may take to listen. Generous: `cargo lambda watch`
/// may be waiting for the Cargo lock held by a build.
const READY_TIMEOUT: Duration = Duration::from_secs(120);

/// How long one relayed invocation may take, a first `cargo run` of the
/// function by `cargo lambda watch` included.
const INVOKE_TIMEOUT: Duration = Duration::from_secs(120);

/// The trigger names cognito-local knows, and the binaries behind them
/// (function names are binary names under `cargo lambda watch`).
pub const TRIGGERS: &[(&str, &str)] = &[
    ("PreSignUp", "pre-sign-up"),
    ("CustomMessage", "custom-message"),
    ("PostConfirmation", "post-confirmation"),
    ("PreTokenGeneration", "pre-token-generation"),
    // Sent on every password sign-in, before the tokens; its errors are
    // logged and ignored ("PostAuthentication error, ignored"), where
    // Cognito fails the sign-in. PreAuthentication is never sent.
    ("PostAuthentication", "post-authentication"),
];

/// Every function binary the lifecycle runs.
pub const FUNCTIONS: &[&str] = &[
    "pre-sign-up",
    "custom-message",
    "post-confirmation",
    "pre-token-generation",
    "post-authentication",
    "authorizer",
    "sign-out",
];

// ---------------------------------------------------------------------------
// Tools
// ---------------------------------------------------------------------------

/// `tools/cognito-local/node_modules/.bin/cognito-local`, checked.
pub fn cognito_local_bin() -> PathBuf {
    let folder = workspace_root().join("tools/cognito-local");
    let bin = folder.join("node_modules/.bin/cognito-local");
    assert!(
        find_on_path("node").is_some(),
        "node is not on PATH: cognito-local (tools/cognito-local) needs Node.js 18 or later \
         (Debian: `apt-get install nodejs npm`)"
    );
    assert!(
        bin.is_file(),
        "cognito-local is not installed: no {}. Run `scripts/setup.sh` (it runs `npm ci` in {} \
         from the committed package-lock.json), or `make test`",
        bin.display(),
        folder.display()
    );
    bin
}

/// The `cargo-lambda` executable: on `PATH`, else in the workspace's `.venv`.
pub fn cargo_lambda_bin() -> PathBuf {
    find_on_path("cargo-lambda")
        .or_else(|| {
            let venv = workspace_root().join(".venv/bin/cargo-lambda");
            venv.is_file().then_some(venv)
        })
        .unwrap_or_else(|| {
            panic!(
                "cargo-lambda is not installed: not on PATH nor in .venv/bin. Run \
                 `scripts/setup.sh` (it installs requirements-dev.txt into .venv), or `make test`"
            )
        })
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|path| path.is_file())
    })
}

/// Waits until something listens on `port`, or fails with `what`'s log.
fn wait_for_port(port: u16, what: &str, log: &Path, child: &mut Child) {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let started = Instant::now();
    while TcpStream::connect_timeout(&address, Duration::from_millis(100)).is_err() {
        let exited = child.try_wait().ok().flatten();
        if exited.is_some() || started.elapsed() > READY_TIMEOUT {
            panic!(
                "{what} did not listen on {address} ({}); its log ({}):\n{}",
                match exited {
                    Some(status) => format!("it exited: {status}"),
                    None => format!("not within {READY_TIMEOUT:?}"),
                },
                log.display(),
                tail(&read_lossy(log), 40)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn read_lossy(path: &Path) -> String {
    std::fs::read(path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Stops a child politely (SIGTERM, so that `cargo lambda watch` stops the
/// function processes it started), then for good.
fn stop(child: &mut Child) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    let signalled = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    let deadline = Instant::now() + Duration::from_secs(5);
    while signalled && Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// A fresh folder for one run's files: `target/lifecycle/<name>-<pid>`.
pub fn work_dir(name: &str) -> PathBuf {
    let dir = target_dir()
        .join("lifecycle")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the lifecycle work folder");
    dir
}

// ---------------------------------------------------------------------------
// cognito-local
// ---------------------------------------------------------------------------

/// A running cognito-local, killed when dropped.
pub struct CognitoLocal {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl CognitoLocal {
    /// Writes `dir/.cognito/config.json` (the four triggers invoked through
    /// `lambda_endpoint`, the server and the token issuer on 127.0.0.1) and
    /// starts cognito-local in `dir`. Its output goes to `dir/cognito-local.log`.
    pub fn start(dir: &Path, lambda_endpoint: &str) -> CognitoLocal {
        Self::start_with(dir, lambda_endpoint, TRIGGERS)
    }

    /// [`CognitoLocal::start`] with other triggers: `(cognito-local's
    /// trigger name, the binary behind it)`, such as `("UserMigration",
    /// "user-migration")` for the migration test.
    pub fn start_with(
        dir: &Path,
        lambda_endpoint: &str,
        triggers: &[(&str, &str)],
    ) -> CognitoLocal {
        Self::start_with_config(dir, lambda_endpoint, triggers, json!({}))
    }

    /// [`CognitoLocal::start_with`] with more members of its config file,
    /// such as `KMSConfig` (the key, alias and KMS client settings it
    /// encrypts `CustomEmailSender` codes with), merged at the top level.
    pub fn start_with_config(
        dir: &Path,
        lambda_endpoint: &str,
        triggers: &[(&str, &str)],
        extra: Value,
    ) -> CognitoLocal {
        let bin = cognito_local_bin();
        let port = free_port();
        let origin = format!("http://127.0.0.1:{port}");
        let config = json!({
            "LambdaClient": {
                "endpoint": lambda_endpoint,
                "region": REGION,
                "credentials": {"accessKeyId": "local", "secretAccessKey": "local"}
            },
            "TriggerFunctions": triggers.iter().map(|(trigger, function)| {
                (trigger.to_string(), Value::from(*function))
            }).collect::<serde_json::Map<_, _>>(),
            "ServerConfig": {"hostname": "127.0.0.1", "port": port},
            "TokenConfig": {"IssuerDomain": origin},
        });
        let mut config = config;
        if let (Value::Object(config), Value::Object(extra)) = (&mut config, extra) {
            config.extend(extra);
        }
        std::fs::create_dir_all(dir.join(".cognito")).expect("create .cognito");
        std::fs::write(
            dir.join(".cognito/config.json"),
            serde_json::to_vec_pretty(&config).expect("config JSON"),
        )
        .expect("write .cognito/config.json");
        let log = dir.join("cognito-local.log");
        let out = std::fs::File::create(&log).expect("create cognito-local.log");
        let err = out.try_clone().expect("clone the log handle");
        let mut child = Command::new(&bin)
            .current_dir(dir)
            // Its defaults when the config file is not read; the config
            // above says the same.
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            // The message box is wrapped at the terminal's width; no
            // terminal here, so make it wide enough never to wrap an email.
            .env("COLUMNS", "100000")
            .env_remove("DEBUG")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {}: {error}", bin.display()));
        wait_for_port(port, "cognito-local", &log, &mut child);
        CognitoLocal { child, port, log }
    }

    /// `http://127.0.0.1:PORT`: the user-pool API, and the issuer domain of
    /// its tokens (`iss` = this + `/<poolId>`).
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The log file.
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// Everything it printed so far, without terminal colours.
    pub fn log(&self) -> String {
        strip_ansi(&read_lossy(&self.log))
    }

    /// The messages it "sent" so far (it prints them instead), in order.
    pub fn deliveries(&self) -> Vec<Delivery> {
        parse_deliveries(&self.log())
    }

    /// Waits for the message sent to `destination`, and returns the last
    /// one. The log is written before the API call returns; the wait only
    /// covers a slow file system.
    pub async fn wait_for_delivery(&self, destination: &str) -> Delivery {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(delivery) = self
                .deliveries()
                .into_iter()
                .rev()
                .find(|delivery| delivery.get("Destination") == Some(destination))
            {
                return delivery;
            }
            assert!(
                Instant::now() < deadline,
                "cognito-local delivered no message to {destination}; its log:\n{}",
                tail(&self.log(), 60)
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// A user-pool client for it (dummy credentials; it checks none).
    pub async fn client(&self) -> aws_sdk_cognitoidentityprovider::Client {
        let config = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(self.endpoint())
            .credentials_provider(aws_sdk_cognitoidentityprovider::config::Credentials::new(
                "local",
                "local",
                None,
                None,
                "cognito-local",
            ))
            .load()
            .await;
        aws_sdk_cognitoidentityprovider::Client::new(&config)
    }
}

impl Drop for CognitoLocal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One message cognito-local printed instead of sending it ("Confirmation
/// Code Delivery"): `Username`, `Destination`, `Code`, and what the
/// custom-message trigger returned with the placeholders filled in,
/// `Email Subject`, `Email Message`, `SMS Message`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Delivery {
    /// The fields, by name, as printed.
    pub fields: BTreeMap<String, String>,
}

impl Delivery {
    /// One field.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

const DELIVERY_FIELDS: &[&str] = &[
    "Username",
    "Destination",
    "Code",
    "Email Subject",
    "Email Message",
    "SMS Message",
];

/// The boxes cognito-local prints for each message: a title line, then
/// `Name: value` lines, a multi-line value continuing on the lines after.
pub fn parse_deliveries(log: &str) -> Vec<Delivery> {
    let mut deliveries = Vec::new();
    let mut lines = log.lines();
    while let Some(line) = lines.next() {
        if !line.contains("Confirmation Code Delivery") {
            continue;
        }
        let mut delivery = Delivery::default();
        let mut current: Option<String> = None;
        for line in lines.by_ref() {
            let trimmed = line.trim_start();
            if trimmed.starts_with('╰') {
                break;
            }
            let content = trimmed.strip_prefix('│').unwrap_or(trimmed).trim_end();
            let content = content.strip_suffix('│').unwrap_or(content).trim_end();
            // boxen's padding: three spaces on the left.
            let content = content.strip_prefix("   ").unwrap_or(content);
            let field = DELIVERY_FIELDS.iter().find(|name| {
                content
                    .strip_prefix(**name)
                    .is_some_and(|rest| rest.starts_with(':'))
            });
            match (field, &current) {
                (Some(name), _) => {
                    let value = content[name.len() + 1..].trim().to_owned();
                    delivery.fields.insert((*name).to_owned(), value);
                    current = Some((*name).to_owned());
                }
                (None, Some(name)) => {
                    let value = delivery.fields.entry(name.clone()).or_default();
                    value.push('\n');
                    value.push_str(content);
                }
                (None, None) => {}
            }
        }
        for value in delivery.fields.values_mut() {
            let trimmed = value.trim_end().to_owned();
            *value = trimmed;
        }
        deliveries.push(delivery);
    }
    deliveries
}

/// `text` without ANSI escape sequences (`ESC [ ... final`).
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if ('\u{40}'..='\u{7e}').contains(&c) {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

// ---------------------------------------------------------------------------
// The relay
// ---------------------------------------------------------------------------

/// One invocation that went through the relay.
#[derive(Debug, Clone)]
pub struct Relayed {
    /// The function name in the URL.
    pub function: String,
    /// The event exactly as cognito-local sent it.
    pub event: Value,
    /// The `version` forwarded, when the relay changed it.
    pub forwarded_version: Option<String>,
    /// The status `cargo lambda watch` answered (500 for a function error).
    pub upstream_status: u16,
    /// The function's answer: the event with its response, or for an error
    /// `{errorType, errorMessage}`.
    pub answer: Value,
    /// Whether the answer is a function error.
    pub function_error: bool,
}

impl Relayed {
    /// `triggerSource` of the event.
    pub fn trigger_source(&self) -> &str {
        self.event
            .get("triggerSource")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// `version` of the event as sent, for display: `"0"`, `1`, `null`.
    pub fn version(&self) -> String {
        self.event
            .get("version")
            .cloned()
            .unwrap_or(Value::Null)
            .to_string()
    }
}

struct RelayState {
    upstream: String,
    client: reqwest::Client,
    v1_version: AtomicBool,
    seen: Mutex<Vec<Relayed>>,
}

/// A Lambda Invoke API on 127.0.0.1 that forwards to another (here `cargo
/// lambda watch`), records each invocation, and corrects the two
/// deviations described in the module documentation.
pub struct LambdaRelay {
    state: Arc<RelayState>,
    served: Served,
}

impl LambdaRelay {
    /// Starts the relay in front of `upstream` (`http://127.0.0.1:PORT`),
    /// which need not listen yet.
    pub async fn start(upstream: &str) -> LambdaRelay {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(INVOKE_TIMEOUT)
            .build()
            .expect("build the relay's HTTP client");
        let state = Arc::new(RelayState {
            upstream: upstream.trim_end_matches('/').to_owned(),
            client,
            v1_version: AtomicBool::new(false),
            seen: Mutex::new(Vec::new()),
        });
        let router = axum::Router::new()
            .route(
                "/2015-03-31/functions/{function}/invocations",
                post(relay_invocation),
            )
            .with_state(state.clone());
        let served = Served::start(router, "relay").await;
        LambdaRelay { state, served }
    }

    /// `http://127.0.0.1:PORT`, for cognito-local's `LambdaClient.endpoint`.
    pub fn endpoint(&self) -> String {
        self.served.endpoint()
    }

    /// Rewrites cognito-local's `"version": "0"` to the `"1"` Cognito sends
    /// for a `V1_0` trigger, on `TokenGeneration_*` events, from now on.
    pub fn set_v1_version(&self, on: bool) {
        self.state.v1_version.store(on, Ordering::SeqCst);
    }

    /// How many invocations so far: a mark for [`LambdaRelay::since`].
    pub fn mark(&self) -> usize {
        self.state.seen.lock().expect("relay records").len()
    }

    /// The invocations after `mark`, in order.
    pub fn since(&self, mark: usize) -> Vec<Relayed> {
        self.state.seen.lock().expect("relay records")[mark..].to_vec()
    }

    /// Every invocation so far.
    pub fn all(&self) -> Vec<Relayed> {
        self.since(0)
    }
}

async fn relay_invocation(
    State(state): State<Arc<RelayState>>,
    UrlPath(function): UrlPath<String>,
    body: Bytes,
) -> Response {
    let event: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut forwarded = event.clone();
    let mut forwarded_version = None;
    let is_token_generation = event
        .get("triggerSource")
        .and_then(Value::as_str)
        .is_some_and(|source| source.starts_with("TokenGeneration_"));
    if state.v1_version.load(Ordering::SeqCst)
        && is_token_generation
        && event.get("version") == Some(&json!("0"))
    {
        forwarded["version"] = json!("1");
        forwarded_version = Some("1".to_owned());
    }
    let url = format!(
        "{}/2015-03-31/functions/{function}/invocations",
        state.upstream
    );
    let upstream = state
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&forwarded).unwrap_or_default())
        .send()
        .await;
    let (status, lambda_error, bytes) = match upstream {
        Ok(response) => {
            let status = response.status().as_u16();
            // What Lambda sends, should cargo lambda watch ever send it too.
            let lambda_error = response.headers().contains_key("x-amz-function-error");
            (
                status,
                lambda_error,
                response.bytes().await.unwrap_or_default(),
            )
        }
        Err(error) => {
            return (
                StatusCode::BAD_GATEWAY,
                format!("relay: {url} did not answer: {error}"),
            )
                .into_response();
        }
    };
    let answer: Value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    // cargo lambda watch: 500 and the error JSON; Lambda: 200, the same
    // JSON, and X-Amz-Function-Error.
    let function_error = lambda_error || (status >= 500 && answer.get("errorType").is_some());
    state.seen.lock().expect("relay records").push(Relayed {
        function,
        event,
        forwarded_version,
        upstream_status: status,
        answer,
        function_error,
    });
    let mut response = if function_error {
        let mut response = (StatusCode::OK, bytes).into_response();
        response.headers_mut().insert(
            "x-amz-function-error",
            HeaderValue::from_static("Unhandled"),
        );
        response
    } else {
        (
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
            bytes,
        )
            .into_response()
    };
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    response
}

// ---------------------------------------------------------------------------
// cargo lambda watch
// ---------------------------------------------------------------------------

/// A running `cargo lambda watch` serving the workspace's binaries on
/// 127.0.0.1, stopped when dropped. Its output (cargo's, and every line the
/// functions print) goes to a log file; on drop the functions' JSON lines
/// are also copied under `target/e2e-logs/` for the log audit.
pub struct CargoLambdaWatch {
    child: Child,
    port: u16,
    log: PathBuf,
    client: reqwest::Client,
}

/// One answer of the Invoke API.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The HTTP status (`cargo lambda watch`: 500 for a function error).
    pub status: u16,
    /// The body as JSON (a string when it is not JSON).
    pub body: Value,
}

impl CargoLambdaWatch {
    /// Starts `cargo lambda watch -A 127.0.0.1 -P <port> --ignore-changes
    /// --env-file <env_file>` in the workspace root and waits until it
    /// listens. The functions start on their first invocation (`cargo run`),
    /// so build them first.
    ///
    /// It runs the functions itself, host builds from source (`cargo run`),
    /// so it cannot run `E2E_BIN_DIR`'s binaries under `E2E_RUNNER`, and its
    /// `--only-lambda-apis` mode serves the Runtime API under a path
    /// (`http://ADDR/.rt`), which `lambda_runtime` rejects as
    /// `AWS_LAMBDA_RUNTIME_API`. A test through it would pass while testing
    /// other binaries than the ones asked for; so it fails instead, and
    /// `make test-arm64` leaves these tests out by name, saying why.
    pub fn start(port: u16, env_file: &Path, log: &Path) -> CargoLambdaWatch {
        CargoLambdaWatch::start_in(&workspace_root(), port, env_file, log)
    }

    /// [`CargoLambdaWatch::start`] in the Cargo workspace `dir`, which it
    /// builds and serves (a function's own workspace, see
    /// [`crate::runtime_api::bootstrap_workspace`]), into this workspace's
    /// target folder.
    pub fn start_in(dir: &Path, port: u16, env_file: &Path, log: &Path) -> CargoLambdaWatch {
        for setting in ["E2E_BIN_DIR", "E2E_RUNNER"] {
            assert!(
                std::env::var_os(setting).is_none_or(|value| value.is_empty()),
                "{setting} is set, but cargo lambda watch runs the workspace's own host \
                 builds (cargo run), not those binaries; run this test without it"
            );
        }
        let bin = cargo_lambda_bin();
        let out = std::fs::File::create(log).expect("create the watch log");
        let err = out.try_clone().expect("clone the log handle");
        let mut command = Command::new(&bin);
        command
            .current_dir(dir)
            .env("CARGO_TARGET_DIR", crate::runtime_api::target_dir())
            .args(["lambda", "watch", "-A", "127.0.0.1", "-P"])
            .arg(port.to_string())
            // Others may edit the tree while a test runs: no rebuilds.
            .arg("--ignore-changes")
            .arg("--env-file")
            .arg(env_file)
            .env("CARGO_TERM_COLOR", "never")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        // Nothing from the developer's shell reaches the functions' AWS
        // clients: the env file sets what they need.
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("AWS_") {
                command.env_remove(name);
            }
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {}: {error}", bin.display()));
        wait_for_port(port, "cargo lambda watch", log, &mut child);
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(INVOKE_TIMEOUT)
            .build()
            .expect("build the invoke client");
        CargoLambdaWatch {
            child,
            port,
            log: log.to_owned(),
            client,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The log file.
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// Everything it and the functions printed so far.
    pub fn log(&self) -> String {
        read_lossy(&self.log)
    }

    /// Invokes `function` with `event` through the Invoke API, as `cargo
    /// lambda invoke` and the AWS SDKs do.
    pub async fn invoke(&self, function: &str, event: &Value) -> Invocation {
        let url = format!(
            "{}/2015-03-31/functions/{function}/invocations",
            self.endpoint()
        );
        let response = self
            .client
            .post(&url)
            .header("content-type", "application/json")
            .body(serde_json::to_vec(event).expect("event JSON"))
            .send()
            .await
            .unwrap_or_else(|error| {
                panic!(
                    "invoke {function} at {url}: {error}; the log:\n{}",
                    tail(&self.log(), 40)
                )
            });
        let status = response.status().as_u16();
        let bytes = response.bytes().await.unwrap_or_default();
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        Invocation { status, body }
    }
}

impl Drop for CargoLambdaWatch {
    fn drop(&mut self) {
        stop(&mut self.child);
        // The functions print JSON, one object per line; cargo and
        // cargo-lambda print the rest.
        let lines: Vec<String> = self
            .log()
            .lines()
            .filter(|line| line.starts_with('{'))
            .map(str::to_owned)
            .collect();
        let dir = target_dir().join("e2e-logs");
        if !lines.is_empty() && std::fs::create_dir_all(&dir).is_ok() {
            let _ = std::fs::write(
                dir.join(format!("lifecycle-watch-{}.log", std::process::id())),
                lines.join("\n") + "\n",
            );
        }
    }
}

/// Writes an env file for `cargo lambda watch --env-file`: one `KEY=VALUE`
/// per line, values double-quoted (no value may hold a quote or a newline).
pub fn write_env_file(path: &Path, vars: &[(&str, String)]) {
    let mut text = String::new();
    for (key, value) in vars {
        assert!(
            !value.contains(['"', '\n', '\\', '$']),
            "{key}: an env file value cannot hold quotes, newlines, backslashes or `$`"
        );
        text.push_str(&format!("{key}=\"{value}\"\n"));
    }
    std::fs::write(path, text).expect("write the env file");
}

/// The payload of a JWT, decoded without any check (to look at what the
/// emulator issued; the authorizer does the verifying).
pub fn jwt_payload(token: &str) -> Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).expect("a JWT has three parts");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url payload");
    serde_json::from_slice(&bytes).expect("JSON payload")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_delivery_box() {
        let log = "\u{1b}[32mINFO\u{1b}[39m: \u{1b}[36mab SignUp ╭──────╮\n\
                   │                                   │\n\
                   │   Confirmation Code Delivery      │\n\
                   │                                   │\n\
                   │   Username:      u-1              │\n\
                   │   Destination:   a@example.com    │\n\
                   │   Code:          123456           │\n\
                   │   Email Subject: Hi               │\n\
                   │   Email Message: <p>              │\n\
                   │     code 123456                   │\n\
                   │   </p>                            │\n\
                   │   SMS Message:   123456           │\n\
                   │                                   │\n\
                   ╰──────╯\u{1b}[39m {\"reqId\":\"ab\"}\n";
        let deliveries = parse_deliveries(&strip_ansi(log));
        assert_eq!(deliveries.len(), 1);
        let delivery = &deliveries[0];
        assert_eq!(delivery.get("Destination"), Some("a@example.com"));
        assert_eq!(delivery.get("Code"), Some("123456"));
        assert_eq!(delivery.get("Email Subject"), Some("Hi"));
        assert_eq!(
            delivery.get("Email Message"),
            Some("<p>\n  code 123456\n</p>")
        );
        assert_eq!(delivery.get("SMS Message"), Some("123456"));
    }
}
