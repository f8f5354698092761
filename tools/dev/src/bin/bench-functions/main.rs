//! `bench-functions`: what each function costs as Lambda runs it, measured
//! through the same Runtime API harness as the end-to-end tests, on release
//! binaries. `make bench` runs it after the criterion benches and prints
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
//! - **revocation**: the authorizer with `REVOCATION_TABLE` set, the store
//!   being moto's DynamoDB on 127.0.0.1 (so `moto_server` must be on PATH,
//!   as for the tests): its cold start (SDK configuration, client, and the
//!   first read) and warm CPU per invocation with every subject cached and
//!   with a read per invocation, against the same rows with the check off.
//! - **custom sender** ([`sender`]): the custom-sender bootstrap (built
//!   from its own workspace into the same target folder) sending sign-up
//!   emails and SMS, each with a code of its own encrypted under a key in
//!   moto's KMS as Cognito encrypts it (`scripts/encrypt_code.py`, all the
//!   codes in one run), the idempotency claim in moto's DynamoDB, the mail
//!   through moto's SES v2 and the SMS through moto's SNS: its cold start
//!   against the echo (moto's latency, four calls to a Python server,
//!   inside the figure), the init alone (an unknown trigger source, passed
//!   through), and the warm CPU per message (`--sends` of them per
//!   channel) above the echo's; then what moto recorded as sent is checked
//!   against what was asked, code by code.
//! - **keys handed in**: the authorizer as the template deploys it, with
//!   the pool's keys in `JWKS` (and `JWKS_URL` at a server that answers
//!   after 20 ms, standing for a region's TLS and round trip), beside
//!   `JWKS_URL` at that slow server; both in the floor table.
//! - **burst** ([`burst`]): `--burst N` authorizers (50 by default) started
//!   at once against one JWKS server, with keys handed in and with
//!   `JWKS_URL`: the requests the server saw and the slowest first answer.
//! - **against the floor**: `lambda-echo` (`bench/echo`), a lambda_runtime
//!   binary that returns its event, built like the functions. Its cold
//!   starts take turns with the authorizer's (`JWKS_FILE`, and `JWKS_URL`
//!   at the local JWKS server), and each authorizer median is printed as a
//!   multiple of the echo's; warm CPU per invocation (the process's own
//!   time on CPU over the warm run, from `/proc/<pid>/task/*/schedstat`,
//!   with utime + stime from `/proc/<pid>/stat` beside it) is printed as the
//!   authorizer's excess over the echo's. The goals are printed, not checked.
//! - **warm cost by stage**: the authorizer's `stages` criterion bench
//!   (functions/authorizer/benches/stages.rs: event read, verification with
//!   the verified-token cache, decision and answer, log line, metrics),
//!   read back from `target/criterion`, its sum set beside the warm CPU
//!   above the echo measured here; the rest is the Runtime API's HTTP
//!   client and the runtime's own work.
//!
//! `E2E_BIN_DIR` names one directory, and the harness launches
//! `$E2E_BIN_DIR/<name>`. So that it can launch the Node.js authorizer
//! (`bench/node/authorizer-node`) too, the binaries and that script are
//! linked into `target/bench-functions/bin/`, and the harness is pointed
//! there; its logs go to `target/bench-functions/e2e-logs/`, away from the
//! tests' logs.
//!
//! The modules, in the order a run goes through them: [`stage`] links what
//! the harness launches, [`cases`] says what each row starts and sends,
//! [`cold_start`] and [`warm`] drive the functions (reading [`procfs`]),
//! [`sender`] prepares and checks the custom sender's sends,
//! [`network`] checks that `JWKS_FILE` means no fetch, [`in_process`] times
//! init pieces inside this process, [`criterion`] reads the criterion
//! benches' results (verification, and the authorizer's warm cost by
//! stage), and [`report`] lays it all out.

mod burst;
mod cases;
mod cold_start;
mod criterion;
mod in_process;
mod network;
mod procfs;
mod report;
mod sender;
mod stage;
mod stats;
mod warm;

use std::process::ExitCode;
use std::time::Instant;

use dev_tools::cli;
use e2e_tests::jwks_server::{JwksServer, Mode};
use e2e_tests::legacy_endpoint::LegacyEndpoint;
use e2e_tests::moto::{Moto, create_profile_table, create_revocation_table};
use e2e_tests::tokens::{DevKey, TokenBuilder, jwks};

use crate::in_process::Piece;
use crate::report::Results;
use crate::stage::Staged;

const USAGE: &str = "\
Usage: E2E_BIN_DIR=<dir of release binaries> bench-functions [options]

Options:
  --starts N         cold starts per case            (default 20)
  --invocations N    sequential warm invocations     (default 3000)
  --burst N          authorizers started at once     (default 50)
  --sends N          messages per custom-sender warm row, each a
                     real send with a code of its own (default 300)
  --no-node          skip the Node.js comparison
  --only TEXT        only the rows whose label contains TEXT (repeatable);
                     skips the network check and the in-process pieces;
                     `--only burst` runs the bursts alone
  -h, --help         this text
";

/// The pool and app client every token and authorizer here uses.
const POOL_ID: &str = "eu-west-1_DevPool1";
const CLIENT_ID: &str = "devclient1";
/// How long the slow JWKS server waits before it answers: TLS and the round
/// trip to a regional endpoint, which loopback does not have.
const JWKS_DELAY: std::time::Duration = std::time::Duration::from_millis(20);

#[derive(Debug)]
struct Options {
    starts: usize,
    invocations: usize,
    burst: usize,
    /// Timed invocations of each custom-sender warm row.
    sends: usize,
    node: bool,
    /// Label filters; empty: every row.
    only: Vec<String>,
}

/// The options, or `None` for `--help`.
fn parse(mut args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut options = Options {
        starts: 20,
        invocations: 3000,
        burst: 50,
        sends: 300,
        node: true,
        only: Vec::new(),
    };
    while let Some(flag) = args.next() {
        let mut count = |flag: &str| -> Result<usize, String> {
            let value = cli::value(&mut args, flag)?;
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
            "--burst" => options.burst = count("--burst")?,
            "--sends" => options.sends = count("--sends")?,
            "--no-node" => options.node = false,
            "--only" => options.only.push(cli::value(&mut args, "--only")?),
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(Some(options))
}

fn main() -> ExitCode {
    let options = match cli::options("bench-functions", USAGE, parse) {
        Ok(options) => options,
        Err(code) => return code,
    };
    let staged = match stage::stage(options.node) {
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
    let runtime_builds = in_process::measure_runtime_builds();
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

/// Every measurement, in this order, then the report.
async fn run(options: &Options, staged: &Staged, runtime_builds: Vec<Piece>) -> String {
    let load_before = procfs::load_average();
    let started = Instant::now();
    // A distinct token for every warm invocation, the warm-up's included,
    // and at least the rotation's.
    let tokens: Vec<String> = (0..(options.invocations + warm::WARM_UP).max(cases::ROTATION))
        .map(|_| TokenBuilder::access(POOL_ID, CLIENT_ID).build())
        .collect();
    let server = JwksServer::start(&jwks(&[DevKey::One])).await;
    let slow = JwksServer::start(&jwks(&[DevKey::One])).await;
    slow.set_mode(Mode::Delayed { delay: JWKS_DELAY }).await;
    // The revocation store: moto's DynamoDB on 127.0.0.1, the table created
    // as the template creates it.
    let moto = Moto::start();
    let dynamodb = moto.dynamodb().await;
    create_revocation_table(&dynamodb, cases::REVOCATION_TABLE).await;
    // The sign-in triggers' tables, and the legacy endpoint, holding the
    // same users.
    create_profile_table(&dynamodb, cases::PROFILE_TABLE).await;
    let legacy = LegacyEndpoint::start(cases::LEGACY_ENDPOINT_SECRET).await;
    legacy_users(&dynamodb, &legacy).await;
    // The custom sender's key, table, sender identity and codes, only when
    // one of its rows runs: encrypting them takes a few seconds.
    let sender = if cases::SENDER_ROWS
        .iter()
        .any(|label| wanted(options, label))
    {
        Some(sender::prepare(&moto, options.starts, options.sends).await)
    } else {
        None
    };
    let cases: Vec<_> = cases::cases(
        staged,
        &tokens,
        &server.url_template(),
        &slow.url_template(),
        &moto.endpoint(),
        &legacy.url(),
        sender.as_ref(),
    )
    .into_iter()
    .filter(|case| wanted(options, &case.label))
    .collect();
    let everything = options.only.is_empty();
    let bursts = everything || options.only.iter().any(|text| text == "burst");
    if let Err(message) = stage::missing(staged, cases.iter().map(|case| case.binary)) {
        return format!("bench-functions: {message}\n");
    }

    let cold = cold_start::cold_starts(&cases, options.starts).await;
    let mut warm = Vec::new();
    let mut warm_invocations = Vec::new();
    for case in &cases {
        let invocations =
            (!case.warm.is_empty()).then(|| case.invocations.unwrap_or(options.invocations));
        warm_invocations.push(invocations);
        warm.push(match invocations {
            Some(count) => Some(warm::warm_run(case, count).await),
            None => None,
        });
    }
    // What moto recorded the custom sender sending, against what it was
    // asked to send; before moto goes.
    let sends = match &sender {
        Some(events) => {
            let asked = sender::asked(events, &cases, &cold, &warm_invocations);
            Some(sender::recorded(&moto, &asked).await)
        }
        None => None,
    };
    let network = if everything {
        Some(network::network_check(&server, &tokens[..tokens.len().min(100)]).await)
    } else {
        None
    };
    let mut pieces = runtime_builds;
    if everything {
        pieces.extend(in_process::init_pieces(&server).await);
        pieces.push(in_process::measure_metrics());
        pieces.push(in_process::measure_logging());
    }
    drop(moto);
    let mut burst_results = Vec::new();
    if bursts {
        let event = cases::token_event(&tokens[0]);
        for (label, env) in [
            (
                "keys handed in (JWKS)",
                cases::handed_in_env(&slow.url_template()),
            ),
            ("JWKS_URL, 20 ms", cases::url_env(&slow.url_template())),
        ] {
            burst_results.push(burst::burst(label, &env, options.burst, &slow, &event).await);
        }
    }
    let criterion = criterion::criterion_results(&staged.criterion_dir);

    report::render(&Results {
        starts: options.starts,
        invocations: options.invocations,
        load_before,
        elapsed: started.elapsed(),
        staged,
        cases: &cases,
        cold: &cold,
        warm: &warm,
        pieces: &pieces,
        network: network.as_ref(),
        bursts: &burst_results,
        criterion: &criterion,
        sends: sends.zip(sender.as_ref().map(|events| events.sends)),
    })
}

/// Whether the row `label` is to be run: every row, or those `--only`
/// names.
fn wanted(options: &Options, label: &str) -> bool {
    options.only.is_empty() || options.only.iter().any(|text| label.contains(text))
}

/// The legacy users table in moto (partition key `username`), with each of
/// [`cases::LEGACY_USERS`] hashed by the crate user-migration verifies with,
/// and the same users at the legacy endpoint.
async fn legacy_users(dynamodb: &aws_sdk_dynamodb::Client, endpoint: &LegacyEndpoint) {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
        ScalarAttributeType,
    };
    use user_migration::hash::DummySpec;
    let result = dynamodb
        .create_table()
        .table_name(cases::LEGACY_TABLE)
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("username")
                .key_type(KeyType::Hash)
                .build()
                .expect("key schema"),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("username")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attribute definition"),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await;
    result.unwrap_or_else(|err| panic!("create the legacy table in moto: {err}"));
    for (user, spec) in cases::LEGACY_USERS {
        let hash = DummySpec::parse(spec)
            .and_then(|spec| spec.hash(cases::LEGACY_PASSWORD.as_bytes(), b"bench-salt-16-by"))
            .unwrap_or_else(|err| panic!("{spec}: {err}"));
        dynamodb
            .put_item()
            .table_name(cases::LEGACY_TABLE)
            .item("username", AttributeValue::S(user.to_owned()))
            .item("password_hash", AttributeValue::S(hash))
            .item("email", AttributeValue::S(format!("{user}@example.com")))
            .send()
            .await
            .unwrap_or_else(|err| panic!("put the legacy user {user}: {err}"));
        endpoint.add_user(
            user,
            cases::LEGACY_PASSWORD,
            serde_json::json!({"email": format!("{user}@example.com")}),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_options() {
        let options = parse(cli::args([
            "--starts",
            "3",
            "--invocations",
            "10",
            "--no-node",
            "--burst",
            "7",
            "--sends",
            "11",
            "--only",
            "revocation",
        ]))
        .unwrap()
        .unwrap();
        assert_eq!((options.starts, options.invocations), (3, 10));
        assert_eq!(options.burst, 7);
        assert_eq!(options.sends, 11);
        assert!(!options.node);
        assert_eq!(options.only, ["revocation"]);
        assert!(parse(cli::args(["--starts", "0"])).is_err());
        assert!(parse(cli::args(["--starts"])).is_err());
        assert!(parse(cli::args(["--bogus"])).is_err());
        assert!(parse(cli::args(["-h"])).unwrap().is_none());
    }
}
