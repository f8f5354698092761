//! `bench-functions`: what each function costs as Lambda runs it, measured
//! through the same Runtime API harness as the end-to-end tests, on release
//! binaries. `make bench` runs it after the criterion verify bench and prints
//! the whole report; see `scripts/bench.sh`.
//!
//! ```sh
//! cargo build --release --workspace --bins --locked
//! (cd bench/node && npm ci)            # for the Node.js comparison
//! E2E_BIN_DIR=$PWD/target/release target/release/bench-functions
//! ```
//!
//! The figures:
//! - **cold start**: from just before the harness spawns the binary to the
//!   first response it posts back. The first event is queued at once, so
//!   this is exec, init, one `GET /invocation/next`, the handler and one
//!   `POST /response`, over loopback. Cases take turns, one start each per
//!   round, so a burst of load elsewhere on the machine hits all of them.
//! - **warm**: sequential invocations of one running process. Each is two
//!   loopback HTTP exchanges with the harness plus the harness's own work,
//!   so the rows are compared with the floor row: post-confirmation on a
//!   `ConfirmForgotPassword` event, which only logs a line.
//! - **peak RSS**: `VmHWM` from `/proc/<pid>/status`, after the first
//!   response (cold) and after the warm run, with the resident split into
//!   anonymous memory (heap, stacks) and file pages (the mapped binary and
//!   libraries).
//! - **size**: the release binary as built (`strip = true` in the profile).
//! - **init breakdown**: cold starts of the same binaries configured to do
//!   more or less at init, against a function whose init only reads its
//!   variables; then the pieces this process can time by itself.
//! - **network**: an authorizer started with `JWKS_FILE` and a `JWKS_URL`
//!   pointing at a local JWKS server that counts requests: it must see none.
//! - **against the floor**: `lambda-echo` (`bench/echo`), a lambda_runtime
//!   binary that returns its event, built like the functions. Its cold
//!   starts take turns with the authorizer's (`JWKS_FILE`, and `JWKS_URL`
//!   at the local JWKS server), and each authorizer median is printed as a
//!   multiple of the echo's; warm CPU per invocation (the process's own
//!   time on CPU over the warm run, from `/proc/<pid>/task/*/schedstat`,
//!   with utime + stime from `/proc/<pid>/stat` beside it) is printed as the
//!   authorizer's excess over the echo's. The goals are printed, not checked.
//!
//! `E2E_BIN_DIR` names one directory, and the harness launches
//! `$E2E_BIN_DIR/<name>`. So that it can launch the Node.js authorizer
//! (`bench/node/authorizer-node`) too, the binaries and that script are
//! linked into `target/bench-functions/bin/`, and the harness is pointed
//! there; its logs go to `target/bench-functions/e2e-logs/`, away from the
//! tests' logs.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime};

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use cognito_auth_core::config::Env;
use cognito_auth_core::{Verifier, VerifierConfig};
use e2e_tests::jwks_server::JwksServer;
use e2e_tests::moto::free_port;
use e2e_tests::runtime_api::{Launch, Outcome, target_dir, workspace_root};
use e2e_tests::tokens::{DevKey, TokenBuilder, jwks};
use serde_json::Value;

const USAGE: &str = "\
Usage: E2E_BIN_DIR=<dir of release binaries> bench-functions [options]

Options:
  --starts N         cold starts per case            (default 20)
  --invocations N    sequential warm invocations     (default 2000)
  --no-node          skip the Node.js comparison
  -h, --help         this text
";

const POOL_ID: &str = "eu-west-1_DevPool1";
const CLIENT_ID: &str = "devclient1";
const FUNCTIONS: [&str; 5] = [
    "authorizer",
    "pre-sign-up",
    "post-confirmation",
    "custom-message",
    ECHO,
];
/// The floor: `bench/echo`, lambda_runtime returning its event.
const ECHO: &str = "lambda-echo";
/// The Node.js authorizer's launcher, as linked beside the binaries.
const NODE_AUTHORIZER: &str = "authorizer-node";
/// Rules in the generated `AUTHZ_RULES` file: the most the authorizer takes.
const RULE_COUNT: usize = 1000;
/// Invocations before a warm run is timed.
const WARM_UP: usize = 50;
/// Repetitions of each in-process measurement.
const REPEATS: usize = 30;

#[derive(Debug)]
struct Options {
    starts: usize,
    invocations: usize,
    node: bool,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut options = Options {
        starts: 20,
        invocations: 2000,
        node: true,
    };
    while let Some(flag) = args.next() {
        let mut count = |flag: &str| -> Result<usize, String> {
            let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
            match value.parse() {
                Ok(count) if count > 0 => Ok(count),
                _ => Err(format!(
                    "{flag} must be a positive whole number, got {value}"
                )),
            }
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--starts" => options.starts = count("--starts")?,
            "--invocations" => options.invocations = count("--invocations")?,
            "--no-node" => options.node = false,
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(Some(options))
}

fn main() -> ExitCode {
    let options = match parse(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("bench-functions: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let staged = match stage(options.node) {
        Ok(staged) => staged,
        Err(message) => {
            eprintln!("bench-functions: {message}");
            return ExitCode::FAILURE;
        }
    };
    // SAFETY: no other thread exists yet (nothing below main has spawned
    // one, and the runtime is built after this), so nothing can read the
    // environment while it changes.
    unsafe {
        std::env::set_var("E2E_BIN_DIR", &staged.bin_dir);
        std::env::set_var("CARGO_TARGET_DIR", &staged.root);
    }
    // Timed here, outside any runtime: a runtime cannot be dropped inside one.
    let runtime_builds = measure_runtime_builds();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("bench-functions: cannot start a tokio runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let report = runtime.block_on(run(&options, &staged, runtime_builds));
    print!("{report}");
    ExitCode::SUCCESS
}

// ---- Staging ----------------------------------------------------------------

/// Where the harness finds what it launches.
struct Staged {
    /// `target/bench-functions`.
    root: PathBuf,
    /// `target/bench-functions/bin`, holding links to the binaries.
    bin_dir: PathBuf,
    /// The real folder of the release binaries.
    source: PathBuf,
    /// `target/criterion`, read for the verify bench's results.
    criterion_dir: PathBuf,
    /// `node --version`, when the Node.js comparison can run.
    node: Result<String, String>,
}

fn stage(with_node: bool) -> Result<Staged, String> {
    let source = std::env::var_os("E2E_BIN_DIR")
        .map(PathBuf::from)
        .ok_or("set E2E_BIN_DIR to the folder of the release binaries, e.g. $PWD/target/release")?;
    let source = std::fs::canonicalize(&source)
        .map_err(|err| format!("E2E_BIN_DIR {}: {err}", source.display()))?;
    let target = target_dir();
    let root = target.join("bench-functions");
    let bin_dir = root.join("bin");
    for dir in [&bin_dir, &root.join("e2e-logs")] {
        match std::fs::remove_dir_all(dir) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(format!("clear {}: {err}", dir.display())),
        }
    }
    std::fs::create_dir_all(&bin_dir).map_err(|err| format!("{}: {err}", bin_dir.display()))?;
    let link = |real: &Path, name: &str| {
        std::os::unix::fs::symlink(real, bin_dir.join(name))
            .map_err(|err| format!("link {} into {}: {err}", real.display(), bin_dir.display()))
    };
    for name in FUNCTIONS {
        let real = source.join(name);
        if !real.is_file() {
            return Err(format!(
                "no {} (build with `cargo build --release --workspace --bins --locked`)",
                real.display()
            ));
        }
        link(&real, name)?;
    }
    // A missing tool fails the run, naming it, unless the comparison is
    // turned off by name: a table without its Node.js rows would not say why.
    let node = if with_node {
        Ok(node_version().map_err(|reason| format!("{reason} (or pass --no-node)"))?)
    } else {
        Err("--no-node".to_owned())
    };
    if node.is_ok() {
        link(&node_dir().join(NODE_AUTHORIZER), NODE_AUTHORIZER)?;
    }
    Ok(Staged {
        root,
        bin_dir,
        source,
        criterion_dir: target.join("criterion"),
        node,
    })
}

fn node_dir() -> PathBuf {
    workspace_root().join("bench/node")
}

/// The size of the `node` executable on `PATH`.
fn node_binary_size() -> u64 {
    std::env::var_os("PATH")
        .map(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join("node"))
                .find(|candidate| candidate.is_file())
                .and_then(|node| std::fs::metadata(node).ok())
                .map(|metadata| metadata.len())
                .unwrap_or(0)
        })
        .unwrap_or(0)
}

/// `node --version`, or why the comparison cannot run.
fn node_version() -> Result<String, String> {
    if !node_dir()
        .join("node_modules/aws-jwt-verify/package.json")
        .is_file()
    {
        return Err("bench/node/node_modules is missing: run `npm ci` in bench/node".to_owned());
    }
    let output = std::process::Command::new("node")
        .arg("--version")
        .output()
        .map_err(|err| format!("cannot run node: {err}"))?;
    if !output.status.success() {
        return Err("`node --version` failed".to_owned());
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

// ---- Cases ------------------------------------------------------------------

/// Which table a case belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Table {
    /// Cold start, warm throughput, RSS and size.
    Main,
    /// Cold start only, against the reference.
    Init,
}

/// How a cold start ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cold {
    /// Not measured (a warm-only variant of a row above).
    Skip,
    /// With the first response.
    Response,
    /// With the report on `/init/error` and the exit.
    InitError,
}

struct Case {
    label: String,
    binary: &'static str,
    env: Vec<(String, String)>,
    table: Table,
    cold: Cold,
    /// Answered during the cold start.
    first: Value,
    /// Whether an answer is the expected one.
    check: fn(&Value) -> bool,
    /// Cycled through during the warm run; empty: no warm run.
    warm: Vec<Value>,
    /// What the case does at init, for the breakdown.
    note: String,
}

impl Case {
    /// A row of the main table: cold start, answered with `first`.
    fn new(
        label: &str,
        binary: &'static str,
        env: Vec<(String, String)>,
        first: &Value,
        check: fn(&Value) -> bool,
    ) -> Case {
        Case {
            label: label.to_owned(),
            binary,
            env,
            table: Table::Main,
            cold: Cold::Response,
            first: first.clone(),
            check,
            warm: Vec::new(),
            note: String::new(),
        }
    }

    /// Also a warm run over `events`.
    fn warm(mut self, events: Vec<Value>) -> Case {
        self.warm = events;
        self
    }

    /// A warm run only.
    fn warm_only(mut self) -> Case {
        self.cold = Cold::Skip;
        self
    }

    /// What init does, for the breakdown.
    fn note(mut self, note: impl Into<String>) -> Case {
        self.note = note.into();
        self
    }

    /// A row of the init breakdown only.
    fn init_only(mut self) -> Case {
        self.table = Table::Init;
        self
    }

    /// Init fails, by design: the cold start ends at `/init/error`.
    fn init_error(mut self) -> Case {
        self.cold = Cold::InitError;
        self
    }

    fn launch(&self) -> Launch {
        Launch::new(self.binary).envs(self.env.iter().cloned())
    }
}

/// The label of the row every init cost is measured against.
const REFERENCE: &str = "post-confirmation, nothing to provision";
/// The rows the floor section reads.
const ECHO_ROW: &str = "lambda-echo (the floor), token event";
const FILE_ROW: &str = "authorizer, fresh tokens";
const SAME_ROW: &str = "authorizer, same token";
const URL_ROW: &str = "authorizer, JWKS_URL (fetched at init)";

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn event(path: &str) -> Value {
    let path = workspace_root().join("events").join(path);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("read {}: {err}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// A REST API TOKEN authorizer event carrying `token`.
fn token_event(token: &str) -> Value {
    let mut event = event("authorizer/token-allow.json");
    event["authorizationToken"] = Value::String(format!("Bearer {token}"));
    event
}

fn allowed(answer: &Value) -> bool {
    answer["policyDocument"]["Statement"][0]["Effect"] == "Allow"
}

fn is_object(answer: &Value) -> bool {
    answer.is_object()
}

fn has_email(answer: &Value) -> bool {
    answer["response"]["emailMessage"].is_string()
}

/// The committed development JWKS, which signs every token here.
fn dev_jwks_file() -> String {
    workspace_root()
        .join("tests/fixtures/keys/dev-rsa-1.jwks.json")
        .display()
        .to_string()
}

fn authorizer_env() -> Vec<(String, String)> {
    vec![
        ("USER_POOL_ID".to_owned(), POOL_ID.to_owned()),
        ("APP_CLIENT_IDS".to_owned(), CLIENT_ID.to_owned()),
        ("JWKS_FILE".to_owned(), dev_jwks_file()),
    ]
}

/// An endpoint where nothing listens, for functions that build SDK clients:
/// a call made by mistake fails at once instead of leaving the machine.
fn closed_endpoint() -> Vec<(String, String)> {
    vec![(
        "AWS_ENDPOINT_URL".to_owned(),
        format!("http://127.0.0.1:{}", free_port()),
    )]
}

fn with(mut base: Vec<(String, String)>, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    base.extend(pairs(extra));
    base
}

/// A trust store of one root certificate, taken from the system's bundle,
/// as `SSL_CERT_FILE` plus an empty `SSL_CERT_DIR`: rustls-native-certs
/// (under the SDK; the authorizer's reqwest uses bundled roots and reads
/// neither variable) then reads and parses one root instead
/// of the system's, which shows what the roots cost. `None` when no bundle
/// is found.
fn one_root_trust_store(dir: &Path) -> Option<Vec<(String, String)>> {
    const BUNDLES: [&str; 3] = [
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/ssl/cert.pem",
    ];
    const END: &str = "-----END CERTIFICATE-----";
    let bundle = BUNDLES
        .iter()
        .find_map(|path| std::fs::read_to_string(path).ok())?;
    let begin = bundle.find("-----BEGIN CERTIFICATE-----")?;
    let end = bundle[begin..].find(END)? + begin + END.len();
    let file = dir.join("one-root.pem");
    let empty = dir.join("no-certs");
    std::fs::write(&file, format!("{}\n", &bundle[begin..end])).ok()?;
    std::fs::create_dir_all(&empty).ok()?;
    Some(vec![
        ("SSL_CERT_FILE".to_owned(), file.display().to_string()),
        ("SSL_CERT_DIR".to_owned(), empty.display().to_string()),
    ])
}

/// `RULE_COUNT` rules, each with a group requirement, as one file: its path
/// and size.
fn write_rules(dir: &Path) -> (PathBuf, usize) {
    let rules: Vec<Value> = (0..RULE_COUNT)
        .map(|i| {
            serde_json::json!({
                "method": if i % 2 == 0 { "GET" } else { "POST" },
                "path": format!("/area{i}/items/{{id}}"),
                "anyGroups": [format!("group{i}")],
            })
        })
        .collect();
    let path = dir.join(format!("rules-{RULE_COUNT}.json"));
    let text = Value::Array(rules).to_string();
    std::fs::write(&path, &text).unwrap_or_else(|err| panic!("write {}: {err}", path.display()));
    (path, text.len())
}

fn cases(staged: &Staged, tokens: &[String], jwks_url: &str) -> Vec<Case> {
    let fresh: Vec<Value> = tokens.iter().map(|token| token_event(token)).collect();
    let first = &fresh[0];
    let forgot_password = event("post-confirmation/confirm-forgot-password.json");
    let sign_up = event("pre-sign-up/sign-up.json");
    let message = event("custom-message/sign-up.json");
    let provisioning = with(
        closed_endpoint(),
        &[("DEFAULT_GROUP", "users"), ("USERS_TABLE", "users")],
    );
    let (rules, rules_bytes) = write_rules(&staged.root);
    let url_only: Vec<(String, String)> = authorizer_env()
        .into_iter()
        .filter(|(k, _)| k != "JWKS_FILE")
        .chain([("JWKS_URL".to_owned(), jwks_url.to_owned())])
        .collect();

    let mut cases = vec![
        Case::new(ECHO_ROW, ECHO, Vec::new(), first, is_object)
            .warm(vec![first.clone()])
            .note("lambda_runtime and tokio only: the event returned as it came"),
        Case::new(FILE_ROW, "authorizer", authorizer_env(), first, allowed)
            .warm(fresh.clone())
            .note("JWKS_FILE read, keys parsed"),
        Case::new(SAME_ROW, "authorizer", authorizer_env(), first, allowed)
            .warm(vec![first.clone()])
            .warm_only(),
    ];
    if staged.node.is_ok() {
        cases.extend([
            Case::new(
                "node aws-jwt-verify, fresh tokens",
                NODE_AUTHORIZER,
                authorizer_env(),
                first,
                allowed,
            )
            .warm(fresh.clone())
            .note("node starts, loads aws-jwt-verify, cacheJwks from the file"),
            Case::new(
                "node aws-jwt-verify, same token",
                NODE_AUTHORIZER,
                authorizer_env(),
                first,
                allowed,
            )
            .warm(vec![first.clone()])
            .warm_only(),
        ]);
    }
    cases.extend([
        Case::new(
            "pre-sign-up",
            "pre-sign-up",
            pairs(&[("BLOCK_DISPOSABLE_EMAILS", "true")]),
            &sign_up,
            is_object,
        )
        .warm(vec![sign_up.clone()])
        .note("BLOCK_DISPOSABLE_EMAILS=true (template default): disposable list loaded"),
        Case::new(
            "post-confirmation (harness floor)",
            "post-confirmation",
            provisioning.clone(),
            &forgot_password,
            is_object,
        )
        .warm(vec![forgot_password.clone()])
        .note("DEFAULT_GROUP + USERS_TABLE (as deployed): SDK config loaded, 2 clients built"),
        Case::new(
            "custom-message",
            "custom-message",
            pairs(&[("APP_NAME", "Example")]),
            &message,
            has_email,
        )
        .warm(vec![message.clone()])
        .note("built-in templates parsed, each rendered once to check it"),
        Case::new(
            REFERENCE,
            "post-confirmation",
            Vec::new(),
            &forgot_password,
            is_object,
        )
        .init_only()
        .note("the reference: variables read, no client built"),
        Case::new(
            "pre-sign-up, BLOCK_DISPOSABLE_EMAILS=false",
            "pre-sign-up",
            Vec::new(),
            &sign_up,
            is_object,
        )
        .init_only()
        .note("no list loaded"),
        Case::new(
            "pre-sign-up, LINK_FEDERATED_USERS=true",
            "pre-sign-up",
            with(closed_endpoint(), &[("LINK_FEDERATED_USERS", "true")]),
            &sign_up,
            is_object,
        )
        .init_only()
        .note("SDK config loaded, Cognito client built (no list)"),
        // The rules only name their own paths, so the answer is a Deny
        // policy: still an answer, which is all this case needs. So many
        // rules fit no stage-wide policy: init refuses them in the default
        // `stage` scope, so they run in `route`.
        Case::new(
            "authorizer, JWKS_FILE + AUTHZ_RULES",
            "authorizer",
            with(
                authorizer_env(),
                &[
                    ("AUTHZ_RULES", &rules.display().to_string()),
                    ("AUTHZ_POLICY_SCOPE", "route"),
                ],
            ),
            first,
            is_object,
        )
        .init_only()
        .note(format!(
            "+ {RULE_COUNT} rules parsed from a {} KB file",
            rules_bytes / 1000
        )),
        Case::new(URL_ROW, "authorizer", url_only, first, allowed)
            .init_only()
            .note("reqwest client built (bundled webpki roots) + 1 fetch, plain http to 127.0.0.1"),
    ]);
    if let Some(trust) = one_root_trust_store(&staged.root) {
        cases.push(
            Case::new(
                "post-confirmation as deployed, 1 root",
                "post-confirmation",
                with(
                    provisioning.clone(),
                    &trust
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect::<Vec<_>>(),
                ),
                &forgot_password,
                is_object,
            )
            .init_only()
            .note("as deployed, with a 1-certificate trust store: the SDK without the roots"),
        );
    }
    cases.extend([Case::new(
        "custom-message, APP_NAME unset",
        "custom-message",
        Vec::new(),
        &message,
        is_object,
    )
    .init_only()
    .init_error()
    .note("exec to /init/error and exit: no template loaded")]);
    cases
}

// ---- Measuring --------------------------------------------------------------

/// Memory figures from `/proc/<pid>/status`, in KiB.
#[derive(Debug, Clone, Copy, Default)]
struct Memory {
    peak: u64,
    anon: u64,
    file: u64,
}

fn memory(pid: Option<u32>) -> Memory {
    let Some(pid) = pid else {
        return Memory::default();
    };
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse().ok())
            .unwrap_or(0)
    };
    Memory {
        peak: field("VmHWM:"),
        anon: field("RssAnon:"),
        file: field("RssFile:"),
    }
}

#[derive(Default)]
struct ColdResult {
    times: Vec<Duration>,
    memory: Vec<Memory>,
}

/// `starts` cold starts of every case that has one, taking turns.
async fn cold_starts(cases: &[Case], starts: usize) -> Vec<ColdResult> {
    let mut results: Vec<ColdResult> = cases.iter().map(|_| ColdResult::default()).collect();
    for _ in 0..starts {
        for (case, result) in cases.iter().zip(&mut results) {
            if case.cold == Cold::Skip {
                continue;
            }
            let launch = case.launch();
            let started = Instant::now();
            let mut function = launch.start().await;
            if case.cold == Cold::InitError {
                let report = function.init_error().await;
                result.times.push(started.elapsed());
                assert_eq!(report.error_type, "ConfigError", "{}", case.label);
            } else {
                let invoked = function.invoke(case.first.clone()).await;
                result.times.push(started.elapsed());
                result.memory.push(memory(function.pid()));
                expect(case, &invoked.outcome, &function.logs());
            }
            function.stop().await;
        }
    }
    results
}

#[track_caller]
fn expect(case: &Case, outcome: &Outcome, logs: &[String]) {
    let good = matches!(outcome, Outcome::Response(answer) if (case.check)(answer));
    assert!(
        good,
        "{}: unexpected answer {outcome:?}; its output:\n{}",
        case.label,
        logs.join("\n")
    );
}

struct WarmResult {
    per_second: f64,
    p50: Duration,
    p99: Duration,
    memory: Memory,
    /// The function's own CPU per timed invocation.
    cpu: Cpu,
}

/// CPU time of a process, all its threads: `sched` from
/// `/proc/<pid>/task/*/schedstat` (nanoseconds), `stat` as utime + stime
/// from `/proc/<pid>/stat` (clock ticks, so 10 ms steps: over 2,000
/// invocations that is 5 µs each, hence the other figure).
#[derive(Debug, Clone, Copy, Default)]
struct Cpu {
    sched: Duration,
    stat: Duration,
}

fn cpu(pid: Option<u32>) -> Cpu {
    let Some(pid) = pid else {
        return Cpu::default();
    };
    let sched = std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
        .filter_map(|line| line.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    // The fields after the command name, which is in parentheses and may
    // hold spaces: utime and stime are fields 14 and 15, so 11 and 12 here.
    // USER_HZ is 100 on Linux whatever the kernel's tick.
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let ticks: u64 = stat
        .rsplit_once(')')
        .map(|(_, rest)| {
            rest.split_whitespace()
                .skip(11)
                .take(2)
                .filter_map(|field| field.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0);
    Cpu {
        sched: Duration::from_nanos(sched),
        stat: Duration::from_millis(ticks * 10),
    }
}

/// One process, `WARM_UP` invocations, then `invocations` timed ones.
async fn warm_run(case: &Case, invocations: usize) -> WarmResult {
    let function = case.launch().start().await;
    for event in case.warm.iter().cycle().take(WARM_UP) {
        let invoked = function.invoke(event.clone()).await;
        expect(case, &invoked.outcome, &function.logs());
    }
    // The events are cloned before the clock starts, as the harness takes
    // them by value.
    let events: Vec<Value> = case
        .warm
        .iter()
        .cycle()
        .take(invocations)
        .cloned()
        .collect();
    let mut each = Vec::with_capacity(invocations);
    let cpu_before = cpu(function.pid());
    let started = Instant::now();
    for event in events {
        let call = Instant::now();
        let invoked = function.invoke(event).await;
        each.push(call.elapsed());
        if !matches!(invoked.outcome, Outcome::Response(_)) {
            expect(case, &invoked.outcome, &function.logs());
        }
    }
    let elapsed = started.elapsed();
    let cpu_after = cpu(function.pid());
    let memory = memory(function.pid());
    function.stop().await;
    each.sort();
    WarmResult {
        per_second: invocations as f64 / elapsed.as_secs_f64(),
        p50: percentile(&each, 50),
        p99: percentile(&each, 99),
        memory,
        cpu: Cpu {
            sched: cpu_after.sched.saturating_sub(cpu_before.sched) / invocations as u32,
            stat: cpu_after.stat.saturating_sub(cpu_before.stat) / invocations as u32,
        },
    }
}

fn percentile(sorted: &[Duration], percent: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[(sorted.len() * percent / 100).min(sorted.len() - 1)]
}

fn median(values: &[Duration]) -> Duration {
    let mut sorted = values.to_vec();
    sorted.sort();
    percentile(&sorted, 50)
}

/// What a JWKS server saw.
struct NetworkCheck {
    invocations: usize,
    with_file: usize,
    control: usize,
}

/// An authorizer with `JWKS_FILE` and a `JWKS_URL` at a counting server:
/// its cold start and `invocations` fresh tokens must make no request. The
/// control, the same authorizer without `JWKS_FILE`, shows that the server
/// does count.
async fn network_check(server: &JwksServer, tokens: &[String]) -> NetworkCheck {
    let url = ("JWKS_URL".to_owned(), server.url_template());
    let before = server.requests();
    let function = Launch::new("authorizer")
        .envs(authorizer_env())
        .envs([url.clone()])
        .start()
        .await;
    for token in tokens {
        let answer = function.respond(token_event(token)).await;
        assert!(allowed(&answer), "the authorizer refused a good token");
    }
    function.stop().await;
    let with_file = server.requests() - before;

    let function = Launch::new("authorizer")
        .envs(
            authorizer_env()
                .into_iter()
                .filter(|(k, _)| k != "JWKS_FILE"),
        )
        .envs([url])
        .start()
        .await;
    let answer = function.respond(token_event(&tokens[0])).await;
    assert!(allowed(&answer), "the authorizer refused a good token");
    function.stop().await;
    NetworkCheck {
        invocations: tokens.len(),
        with_file,
        control: server.requests() - before - with_file,
    }
}

/// One in-process figure.
struct Piece {
    what: &'static str,
    time: Duration,
    note: &'static str,
}

fn median_of<F: FnMut() -> Duration>(mut measure: F) -> Duration {
    let times: Vec<Duration> = (0..REPEATS).map(|_| measure()).collect();
    median(&times)
}

fn measure_runtime_builds() -> Vec<Piece> {
    let current_thread = median_of(|| {
        let started = Instant::now();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {});
        drop(runtime);
        started.elapsed()
    });
    let multi_thread = median_of(|| {
        let started = Instant::now();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {});
        drop(runtime);
        started.elapsed()
    });
    vec![
        Piece {
            what: "tokio current_thread runtime: build, run, drop",
            time: current_thread,
            note: "what every function uses",
        },
        Piece {
            what: "tokio multi_thread runtime (2 workers)",
            time: multi_thread,
            note: "for comparison: spawns and joins 2 threads",
        },
    ]
}

fn verifier_env(source: (&str, &str)) -> Env {
    Env::from_pairs([
        ("USER_POOL_ID", POOL_ID),
        ("APP_CLIENT_IDS", CLIENT_ID),
        source,
    ])
}

async fn new_verifier(env: &Env) -> Duration {
    let started = Instant::now();
    let config = VerifierConfig::from_env(env).expect("verifier config");
    let verifier = Verifier::new(config).await.expect("verifier");
    let elapsed = started.elapsed();
    drop(verifier);
    elapsed
}

async fn sdk_config(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "testing", "testing", None, None, "bench",
        ))
        .endpoint_url(endpoint)
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_millis(500))
                .operation_timeout(Duration::from_secs(2))
                .build(),
        )
        .load()
        .await
}

/// One DynamoDB call that fails at connect (nothing listens there).
async fn refused_call(client: &aws_sdk_dynamodb::Client) -> Duration {
    let started = Instant::now();
    let result = client.list_tables().send().await;
    assert!(result.is_err(), "nothing listens on the endpoint");
    started.elapsed()
}

async fn init_pieces(server: &JwksServer) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let file = verifier_env(("JWKS_FILE", &dev_jwks_file()));
    let url = verifier_env(("JWKS_URL", &server.url_template()));
    let mut times = Vec::new();
    for _ in 0..REPEATS {
        times.push(new_verifier(&file).await);
    }
    pieces.push(Piece {
        what: "Verifier::new with JWKS_FILE",
        time: median(&times),
        note: "file read, JWKS parsed, RSA key checked; no HTTP client",
    });
    times.clear();
    for _ in 0..REPEATS {
        times.push(new_verifier(&url).await);
    }
    pieces.push(Piece {
        what: "Verifier::new with JWKS_URL (http, 127.0.0.1)",
        time: median(&times),
        note: "+ reqwest client (bundled webpki roots) + 1 fetch",
    });

    // The SDK: config, clients, and what the first call adds. `https` so
    // that the TLS set-up is the real one; nothing listens, so a call fails
    // at connect. The SDK's default HTTPS client builds a connector (rustls
    // config over the native roots) in `Client::new`, to check it, and
    // drops it; the first call builds the one it keeps. The roots are read
    // from disk once per process, and parsed for each connector.
    let endpoint = format!("https://127.0.0.1:{}", free_port());
    let started = Instant::now();
    let config = sdk_config(&endpoint).await;
    pieces.push(Piece {
        what: "aws_config load (first in process)",
        time: started.elapsed(),
        note: "one sample; region and credentials given, as Lambda's variables give them",
    });
    times.clear();
    for _ in 0..REPEATS {
        let started = Instant::now();
        let again = sdk_config(&endpoint).await;
        times.push(started.elapsed());
        drop(again);
    }
    pieces.push(Piece {
        what: "aws_config load (again)",
        time: median(&times),
        note: "",
    });
    let started = Instant::now();
    let client = aws_sdk_dynamodb::Client::new(&config);
    pieces.push(Piece {
        what: "DynamoDB Client::new (first in process)",
        time: started.elapsed(),
        note: "one sample; reads and parses the native roots, builds a connector",
    });
    pieces.push(Piece {
        what: "DynamoDB Client::new (again)",
        time: median_of(|| {
            let started = Instant::now();
            let client = aws_sdk_dynamodb::Client::new(&config);
            let elapsed = started.elapsed();
            drop(client);
            elapsed
        }),
        note: "roots read already: parses them, builds a connector",
    });
    times.clear();
    let mut again = Vec::new();
    for _ in 0..REPEATS {
        let client = aws_sdk_dynamodb::Client::new(&config);
        times.push(refused_call(&client).await);
        again.push(refused_call(&client).await);
    }
    drop(client);
    pieces.push(Piece {
        what: "SDK first call on a client, refused at connect",
        time: median(&times),
        note: "builds the connector it keeps (roots parsed again)",
    });
    pieces.push(Piece {
        what: "SDK second call, refused at connect",
        time: median(&again),
        note: "connector cached: the call and the refusal only",
    });
    pieces
}

/// The metrics' cost per invocation: an authorizer's typical recorder (a
/// decision with its outcome and reason, the answer's size) built and
/// formatted into its EMF line, as `Recorder::flush` does before its one
/// write to stdout. The median over `REPEATS` batches, per invocation.
fn measure_metrics() -> Piece {
    use cognito_auth_core::metrics::{self, Metrics, Namespace};
    const BATCH: u32 = 1000;
    let namespace = Namespace::from_env(&Env::from_pairs::<&str, &str>([]))
        .unwrap_or_else(|err| panic!("{err}"));
    let sink = Metrics::new(namespace, "authorizer");
    let mut bytes = 0;
    let batch = median_of(|| {
        let started = Instant::now();
        for _ in 0..BATCH {
            let mut recorder = sink.recorder(
                "8f2e0b1c-3d4a-4b5c-9d6e-7f8091a2b3c4",
                Some("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"),
            );
            recorder.count(
                metrics::DECISIONS,
                &[
                    (metrics::OUTCOME, "unauthorized"),
                    (metrics::REASON, "token_expired"),
                ],
                1,
            );
            recorder.count(metrics::VERIFIED_CACHE_HITS, &[], 1);
            bytes = recorder
                .lines()
                .iter()
                .map(|line| line.len() + 1)
                .sum::<usize>();
        }
        started.elapsed()
    });
    std::hint::black_box(bytes);
    Piece {
        what: "metrics per invocation (2 EMF lines: a decision with 2 dimensions, a cache hit)",
        time: batch / BATCH,
        note: "build + format, median of batches of 1000; then one write to stdout",
    }
}

/// Times the functions' logging set-up once: it installs the global
/// subscriber, so it runs last, when nothing more is measured.
fn measure_logging() -> Piece {
    let started = Instant::now();
    cognito_auth_core::logging::init();
    Piece {
        what: "logging::init (JSON subscriber, env filter)",
        time: started.elapsed(),
        note: "one sample",
    }
}

// ---- Criterion results ------------------------------------------------------

/// The verify bench's results: `(id, median ns, age)`.
fn criterion_results(dir: &Path) -> Vec<(String, f64, Duration)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut results = Vec::new();
    for entry in entries.flatten() {
        let new = entry.path().join("new");
        let read = |name: &str| -> Option<Value> {
            serde_json::from_str(&std::fs::read_to_string(new.join(name)).ok()?).ok()
        };
        let (Some(benchmark), Some(estimates)) = (read("benchmark.json"), read("estimates.json"))
        else {
            continue;
        };
        let (Some(id), Some(median)) = (
            benchmark["full_id"].as_str(),
            estimates["median"]["point_estimate"].as_f64(),
        ) else {
            continue;
        };
        let age = std::fs::metadata(new.join("estimates.json"))
            .and_then(|metadata| metadata.modified())
            .ok()
            .and_then(|modified| SystemTime::now().duration_since(modified).ok())
            .unwrap_or_default();
        results.push((id.to_owned(), median, age));
    }
    let order = [
        "verifier/fresh_token",
        "verifier/repeated_token",
        "floor/parsed_key",
        "floor/components_per_call",
        "jsonwebtoken/crypto_verify",
        "jwks/parse",
    ];
    results.sort_by_key(|(id, _, _)| {
        (
            order
                .iter()
                .position(|known| known == id)
                .unwrap_or(order.len()),
            id.clone(),
        )
    });
    results
}

// ---- Report -----------------------------------------------------------------

fn ms(duration: Duration) -> String {
    format!("{:.1}", duration.as_secs_f64() * 1e3)
}

fn us(duration: Duration) -> String {
    format!("{:.0}", duration.as_secs_f64() * 1e6)
}

fn nanos(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{:.2} ms", ns / 1e6)
    }
}

fn mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

/// The CPUs this process (and so every function it starts) may run on.
fn allowed_cpus() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("Cpus_allowed_list:"))
                .map(|list| list.trim().to_owned())
        })
        .unwrap_or_else(|| "?".to_owned())
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

/// What would be deployed, in MB: the bootstrap, or for Node.js the
/// package (scripts and `node_modules`, marked `*`: the runtime itself comes
/// with Lambda's managed runtime).
fn binary_size(staged: &Staged, binary: &str) -> String {
    if binary == NODE_AUTHORIZER {
        return format!("{:.2}*", dir_size(&node_dir()) as f64 / 1e6);
    }
    std::fs::metadata(staged.source.join(binary))
        .map(|metadata| format!("{:.2}", metadata.len() as f64 / 1e6))
        .unwrap_or_else(|_| "?".to_owned())
}

/// Bytes of the regular files under `dir`, links not followed.
fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.file_type() {
            Ok(kind) if kind.is_dir() => dir_size(&entry.path()),
            Ok(kind) if kind.is_file() => entry.metadata().map(|m| m.len()).unwrap_or(0),
            _ => 0,
        })
        .sum()
}

async fn run(options: &Options, staged: &Staged, runtime_builds: Vec<Piece>) -> String {
    let load_before = load_average();
    let started = Instant::now();
    let tokens: Vec<String> = (0..options.invocations)
        .map(|_| TokenBuilder::access(POOL_ID, CLIENT_ID).build())
        .collect();
    let server = JwksServer::start(&jwks(&[DevKey::One])).await;
    let cases = cases(staged, &tokens, &server.url_template());

    let cold = cold_starts(&cases, options.starts).await;
    let mut warm = Vec::new();
    for case in &cases {
        warm.push(if case.warm.is_empty() {
            None
        } else {
            Some(warm_run(case, options.invocations).await)
        });
    }
    let network = network_check(&server, &tokens[..tokens.len().min(100)]).await;
    let mut pieces = runtime_builds;
    pieces.extend(init_pieces(&server).await);
    pieces.push(measure_metrics());
    pieces.push(measure_logging());
    let criterion = criterion_results(&staged.criterion_dir);

    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n==> make bench: {} cold starts per case, {} warm invocations per row; CPUs {}; \
         load average {load_before} before, {} after; {:.0} s",
        options.starts,
        options.invocations,
        allowed_cpus(),
        load_average(),
        started.elapsed().as_secs_f64()
    );
    render_criterion(&mut out, &criterion);
    render_main(&mut out, staged, &cases, &cold, &warm);
    render_init(&mut out, &cases, &cold);
    render_pieces(&mut out, &pieces);
    render_network(&mut out, &network);
    render_floor(&mut out, &cases, &cold, &warm);
    out
}

/// The issue's goals against the floor: the authorizer's cold start as a
/// multiple of the echo's, and its warm CPU per invocation above the echo's.
fn render_floor(
    out: &mut String,
    cases: &[Case],
    cold: &[ColdResult],
    warm: &[Option<WarmResult>],
) {
    let row = |label: &str| cases.iter().position(|case| case.label == label);
    let _ = writeln!(
        out,
        "\nAgainst the floor: {ECHO} (bench/echo: lambda_runtime returning the event), same run"
    );
    let _ = writeln!(
        out,
        "  {:<44} {:>6} {:>6} {:>6}  {:>7}  goal",
        "cold start, exec -> first response, ms", "median", "min", "p90", "x echo"
    );
    let echo = row(ECHO_ROW).map(|i| median(&cold[i].times));
    for (label, shown, goal) in [
        (ECHO_ROW, ECHO, ""),
        (FILE_ROW, "authorizer, JWKS_FILE", "<= 1.2x"),
        (URL_ROW, "authorizer, JWKS_URL (http, 127.0.0.1)", "<= 1.5x"),
    ] {
        let Some(i) = row(label) else { continue };
        let mut times = cold[i].times.clone();
        times.sort();
        let ratio = match echo {
            Some(echo) if label != ECHO_ROW && !echo.is_zero() => {
                format!("{:.2}x", median(&times).as_secs_f64() / echo.as_secs_f64())
            }
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "  {shown:<44} {:>6} {:>6} {:>6}  {ratio:>7}  {goal}",
            ms(median(&times)),
            ms(times.first().copied().unwrap_or_default()),
            ms(percentile(&times, 90)),
        );
    }
    let _ = writeln!(
        out,
        "  {:<44} {:>6} {:>6}  {:>7}  goal",
        "warm CPU per invocation, µs (TOKEN event)", "sched", "stat", "- echo"
    );
    let cpu_of = |label: &str| row(label).and_then(|i| warm[i].as_ref()).map(|w| w.cpu);
    let echo = cpu_of(ECHO_ROW);
    for (label, shown, goal) in [
        (ECHO_ROW, ECHO, ""),
        (SAME_ROW, "authorizer, same token (verified once)", "<= +30"),
        (FILE_ROW, "authorizer, fresh tokens (RSA each)", "<= +30"),
    ] {
        let Some(cpu) = cpu_of(label) else { continue };
        let excess = match echo {
            Some(echo) if label != ECHO_ROW => format!(
                "{:+.1}",
                (cpu.sched.as_secs_f64() - echo.sched.as_secs_f64()) * 1e6
            ),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "  {shown:<44} {:>6.1} {:>6.1}  {excess:>7}  {goal}",
            cpu.sched.as_secs_f64() * 1e6,
            cpu.stat.as_secs_f64() * 1e6,
        );
    }
}

fn render_criterion(out: &mut String, results: &[(String, f64, Duration)]) {
    let _ = writeln!(
        out,
        "\nVerification, one token on a warm verifier (criterion, shared/benches/verify.rs, median)"
    );
    if results.is_empty() {
        let _ = writeln!(
            out,
            "  no results in target/criterion: run `cargo bench -p cognito-auth-core --bench verify`"
        );
        return;
    }
    let floor = results
        .iter()
        .find(|(id, _, _)| id == "floor/parsed_key")
        .map(|(_, ns, _)| *ns);
    for (id, ns, age) in results {
        let ratio = floor
            .map(|floor| format!("{:.2}x floor", ns / floor))
            .unwrap_or_default();
        let target = match id.as_str() {
            "verifier/fresh_token" => "target <= 1.30x floor",
            "verifier/repeated_token" => "target <= 5 µs",
            "floor/parsed_key" => "the floor: bare RSA-2048 PKCS#1 v1.5 SHA-256, aws-lc-rs",
            _ => "",
        };
        let stale = if *age > Duration::from_secs(3600) {
            format!(" (measured {:.0} h ago)", age.as_secs_f64() / 3600.0)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  {id:<28} {:>10}  {ratio:>11}   {target}{stale}",
            nanos(*ns)
        );
    }
}

fn render_main(
    out: &mut String,
    staged: &Staged,
    cases: &[Case],
    cold: &[ColdResult],
    warm: &[Option<WarmResult>],
) {
    let _ = writeln!(
        out,
        "\nFunctions through the Runtime API harness (release binaries from {})",
        staged.source.display()
    );
    let _ = writeln!(
        out,
        "  {:<36} {:>22}  {:>7} {:>13}  {:>21}  {:>7}",
        "", "cold start, ms", "warm", "warm, µs/inv", "peak RSS, MiB", "binary"
    );
    let _ = writeln!(
        out,
        "  {:<36} {:>6} {:>6} {:>8}  {:>7} {:>6} {:>6}  {:>5} {:>5} {:>9}  {:>7}",
        "row", "median", "min", "max", "inv/s", "p50", "p99", "cold", "warm", "anon/file", "MB"
    );
    for ((case, cold), warm) in cases.iter().zip(cold).zip(warm) {
        if case.table != Table::Main {
            continue;
        }
        let (median_ms, min_ms, max_ms, cold_rss) = if cold.times.is_empty() {
            ("".into(), "".into(), "".into(), "".into())
        } else {
            let peak = cold.memory.iter().map(|m| m.peak).max().unwrap_or(0);
            (
                ms(median(&cold.times)),
                ms(*cold.times.iter().min().unwrap_or(&Duration::ZERO)),
                ms(*cold.times.iter().max().unwrap_or(&Duration::ZERO)),
                mib(peak),
            )
        };
        let (rate, p50, p99, warm_rss, split) = match warm {
            Some(w) => (
                format!("{:.0}", w.per_second),
                us(w.p50),
                us(w.p99),
                mib(w.memory.peak),
                format!("{}/{}", mib(w.memory.anon), mib(w.memory.file)),
            ),
            None => Default::default(),
        };
        let _ = writeln!(
            out,
            "  {:<36} {median_ms:>6} {min_ms:>6} {max_ms:>8}  {rate:>7} {p50:>6} {p99:>6}  \
             {cold_rss:>5} {warm_rss:>5} {split:>9}  {:>7}",
            case.label,
            binary_size(staged, case.binary),
        );
    }
    match &staged.node {
        Ok(version) => {
            let _ = writeln!(
                out,
                "  node rows: bench/node (aws-jwt-verify, plain `http` Runtime API loop), node \
                 {version}; * the package only: the node runtime ({:.0} MB here) comes with Lambda",
                node_binary_size() as f64 / 1e6
            );
        }
        Err(reason) => {
            let _ = writeln!(out, "  node rows skipped: {reason}");
        }
    }
}

fn render_init(out: &mut String, cases: &[Case], cold: &[ColdResult]) {
    // Median and minimum: load from elsewhere on the machine only ever adds
    // time, so the minimum is the steadier estimate of what init itself does.
    let stats = |result: &ColdResult| {
        (
            median(&result.times),
            result.times.iter().min().copied().unwrap_or_default(),
        )
    };
    let reference = cases
        .iter()
        .zip(cold)
        .find(|(case, _)| case.label == REFERENCE)
        .map(|(_, result)| stats(result));
    let _ = writeln!(
        out,
        "\nInit by configuration: cold start, ms, and the difference from \"{REFERENCE}\""
    );
    let _ = writeln!(
        out,
        "  {:<44} {:>6} {:>6} {:>6} {:>6}",
        "", "median", "+/-", "min", "+/-"
    );
    // The reference first, then the rest in their order.
    let mut rows: Vec<(&Case, &ColdResult)> = cases
        .iter()
        .zip(cold)
        .filter(|(case, _)| case.cold != Cold::Skip)
        .collect();
    rows.sort_by_key(|(case, _)| case.label != REFERENCE);
    let delta = |time: Duration, reference: Duration| {
        format!(
            "{:+.1}",
            (time.as_secs_f64() - reference.as_secs_f64()) * 1e3
        )
    };
    for (case, result) in rows {
        let (median_time, min_time) = stats(result);
        let (median_delta, min_delta) = match reference {
            Some((median_ref, min_ref)) if case.label != REFERENCE => {
                (delta(median_time, median_ref), delta(min_time, min_ref))
            }
            _ => (String::new(), String::new()),
        };
        let _ = writeln!(
            out,
            "  {:<44} {:>6} {median_delta:>6} {:>6} {min_delta:>6}   {}",
            case.label,
            ms(median_time),
            ms(min_time),
            case.note
        );
    }
}

fn render_pieces(out: &mut String, pieces: &[Piece]) {
    let _ = writeln!(
        out,
        "\nInit pieces timed inside this process (median of {REPEATS} unless noted)"
    );
    for piece in pieces {
        let _ = writeln!(
            out,
            "  {:<48} {:>9} µs   {}",
            piece.what,
            us(piece.time),
            piece.note
        );
    }
}

fn render_network(out: &mut String, check: &NetworkCheck) {
    let verdict = if check.with_file == 0 && check.control > 0 {
        "ok"
    } else {
        "FAILED"
    };
    let _ = writeln!(
        out,
        "\nNetwork with JWKS_FILE ({verdict}): a cold start and {} fresh tokens made {} request(s) \
         to the counting JWKS_URL server; the control without JWKS_FILE made {}.",
        check.invocations, check.with_file, check.control
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> impl Iterator<Item = String> {
        list.iter()
            .map(|arg| (*arg).to_owned())
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn parses_options() {
        let options = parse(args(&["--starts", "3", "--invocations", "10", "--no-node"]))
            .unwrap()
            .unwrap();
        assert_eq!((options.starts, options.invocations), (3, 10));
        assert!(!options.node);
        assert!(parse(args(&["--starts", "0"])).is_err());
        assert!(parse(args(&["--starts"])).is_err());
        assert!(parse(args(&["--bogus"])).is_err());
        assert!(parse(args(&["-h"])).unwrap().is_none());
    }

    #[test]
    fn percentiles_pick_from_the_sorted_list() {
        let list: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&list, 50), Duration::from_millis(51));
        assert_eq!(percentile(&list, 99), Duration::from_millis(100));
        assert_eq!(
            median(&[Duration::from_millis(3)]),
            Duration::from_millis(3)
        );
        assert_eq!(percentile(&[], 50), Duration::ZERO);
    }

    #[test]
    fn every_event_file_the_cases_use_exists() {
        for path in [
            "authorizer/token-allow.json",
            "post-confirmation/confirm-forgot-password.json",
            "pre-sign-up/sign-up.json",
            "custom-message/sign-up.json",
        ] {
            assert!(event(path).is_object(), "{path}");
        }
    }
}
