//! The report: every figure laid out as text, in the order `make bench`
//! prints it. Only layout lives here; the numbers come from the measuring
//! modules, so a change of column or wording touches this file alone.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use crate::burst::BurstResult;
use crate::cases::{
    Case, Cold, ECHO_ROW, FILE_ROW, FRESH_CONNECTIONS, HANDED_IN_ROW, REFERENCE,
    REVOCATION_CACHED_ROW, REVOCATION_READ_ROW, ROTATION_ROW, SAME_ROW, SENDER_EMAIL_ROW,
    SENDER_INIT_ROW, SENDER_SMS_ROW, SIGN_IN_ROWS, SLOW_URL_ROW, Table, URL_ROW,
};
use crate::cold_start::ColdResult;
use crate::in_process::{Piece, REPEATS};
use crate::network::NetworkCheck;
use crate::procfs::{allowed_cpus, load_average};
use crate::sender::Sends;
use crate::stage::{ECHO, NODE_AUTHORIZER, Staged, node_binary_size, node_dir};
use crate::stats::{median, percentile};
use crate::warm::WarmResult;

/// Everything one run measured.
pub struct Results<'a> {
    pub starts: usize,
    pub invocations: usize,
    /// `/proc/loadavg` when the run began.
    pub load_before: String,
    /// How long the measuring took.
    pub elapsed: Duration,
    pub staged: &'a Staged,
    pub cases: &'a [Case],
    /// By case, in the order of `cases`.
    pub cold: &'a [ColdResult],
    /// By case; `None` where a case has no warm run.
    pub warm: &'a [Option<WarmResult>],
    pub pieces: &'a [Piece],
    /// `None` when only some rows were run.
    pub network: Option<&'a NetworkCheck>,
    pub bursts: &'a [BurstResult],
    /// The criterion benches' `(id, median ns, age)`.
    pub criterion: &'a [(String, f64, Duration)],
    /// What moto recorded the custom sender sending (checked against what
    /// it was asked), and `--sends`; `None` without its rows.
    pub sends: Option<(Sends, usize)>,
}

/// The whole report.
pub fn render(results: &Results) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n==> make bench: {} cold starts per case, {} warm invocations per row; CPUs {}; \
         load average {} before, {} after; {:.0} s",
        results.starts,
        results.invocations,
        allowed_cpus(),
        results.load_before,
        load_average(),
        results.elapsed.as_secs_f64()
    );
    render_criterion(&mut out, results.criterion);
    render_main(
        &mut out,
        results.staged,
        results.cases,
        results.cold,
        results.warm,
    );
    render_init(&mut out, results.cases, results.cold);
    render_pieces(&mut out, results.pieces);
    if !results.bursts.is_empty() {
        render_bursts(&mut out, results.bursts);
    }
    if let Some(network) = results.network {
        render_network(&mut out, network);
    }
    render_floor(&mut out, results.cases, results.cold, results.warm);
    render_stages(&mut out, results.criterion, results.cases, results.warm);
    render_revocation(&mut out, results.cases, results.cold, results.warm);
    if let Some((sends, count)) = results.sends {
        render_sender(
            &mut out,
            results.cases,
            results.cold,
            results.warm,
            sends,
            count,
        );
    }
    out
}

/// The custom sender against the echo: cold starts (a message sent, and
/// the init alone), and the function's own CPU per message sent above the
/// echo's per invocation; then what moto recorded.
fn render_sender(
    out: &mut String,
    cases: &[Case],
    cold: &[ColdResult],
    warm: &[Option<WarmResult>],
    sends: Sends,
    count: usize,
) {
    let row = |label: &str| cases.iter().position(|case| case.label == label);
    let _ = writeln!(
        out,
        "\nCustom sender (custom-sender, its own workspace; KMS, DynamoDB, SES v2 and SNS: moto on \
         127.0.0.1) against the floor, same run"
    );
    let _ = writeln!(
        out,
        "  {:<54} {:>6} {:>6} {:>6}  {:>7}",
        "cold start, exec -> first response, ms", "median", "min", "p90", "x echo"
    );
    let echo = row(ECHO_ROW).map(|i| median(&cold[i].times));
    for (label, shown) in [
        (ECHO_ROW, ECHO),
        (
            SENDER_INIT_ROW,
            "unknown source, passed through (init alone)",
        ),
        (
            SENDER_EMAIL_ROW,
            "SignUp email sent (moto's 4 calls inside)",
        ),
    ] {
        let Some(i) = row(label) else { continue };
        if cold[i].times.is_empty() {
            continue;
        }
        let figures = cold_figures(&cold[i].times, echo.filter(|_| label != ECHO_ROW));
        let _ = writeln!(out, "  {shown:<54} {figures}");
    }
    let _ = writeln!(
        out,
        "  {:<54} {:>6} {:>6}  {:>7} {:>7}  {:>6}",
        format!("warm CPU per invocation ({count} sends a row), µs"),
        "stat",
        "sched",
        "- echo",
        "(sched)",
        "p50 ms"
    );
    let us = |duration: Duration| duration.as_secs_f64() * 1e6;
    let echo_cpu = row(ECHO_ROW).and_then(|i| warm[i].as_ref()).map(|w| w.cpu);
    for (label, shown) in [
        (ECHO_ROW, "lambda-echo, per invocation"),
        (SENDER_INIT_ROW, "unknown source, passed through: no call"),
        (
            SENDER_EMAIL_ROW,
            "email sent: Decrypt, PutItem, SendEmail, UpdateItem",
        ),
        (
            SENDER_SMS_ROW,
            "SMS sent: Decrypt, PutItem, Publish, UpdateItem",
        ),
    ] {
        let Some(w) = row(label).and_then(|i| warm[i].as_ref()) else {
            continue;
        };
        let (excess, excess_sched) = match echo_cpu {
            Some(echo) if label != ECHO_ROW => (
                format!("{:+.1}", us(w.cpu.stat) - us(echo.stat)),
                format!("{:+.1}", us(w.cpu.sched) - us(echo.sched)),
            ),
            _ => Default::default(),
        };
        let _ = writeln!(
            out,
            "  {shown:<54} {:>6.1} {:>6.1}  {excess:>7} {excess_sched:>7}  {:>6}",
            us(w.cpu.stat),
            us(w.cpu.sched),
            ms(w.p50),
        );
    }
    let _ = writeln!(
        out,
        "  moto recorded {} email(s) and {} SMS, as many as asked for, each code in its message. \
         The cold start and the p50 include moto's latency (KMS Decrypt, PutItem, SendEmail or \
         Publish, UpdateItem over loopback to a Python server); the CPU figures are the \
         function's own.",
        sends.emails, sends.sms
    );
}

/// The revocation check on against off: the cold start (SDK configuration
/// and the first read included) and the authorizer's own CPU per warm
/// invocation, with every subject cached and with a read per invocation.
fn render_revocation(
    out: &mut String,
    cases: &[Case],
    cold: &[ColdResult],
    warm: &[Option<WarmResult>],
) {
    let row = |label: &str| cases.iter().position(|case| case.label == label);
    if row(REVOCATION_READ_ROW).is_none() && row(REVOCATION_CACHED_ROW).is_none() {
        return;
    }
    let _ = writeln!(
        out,
        "\nRevocation check (REVOCATION_TABLE, moto's DynamoDB on 127.0.0.1) against off, same run"
    );
    let _ = writeln!(
        out,
        "  {:<48} {:>6} {:>6}  {:>9} {:>9}",
        "", "cold, ms", "", "warm CPU", "µs/inv"
    );
    let _ = writeln!(
        out,
        "  {:<48} {:>6} {:>6}  {:>9} {:>9}",
        "row", "median", "min", "sched", "stat"
    );
    for (label, shown) in [
        (FILE_ROW, "off, fresh tokens (RSA each)"),
        (REVOCATION_READ_ROW, "on, fresh users (RSA + 1 read each)"),
        (SAME_ROW, "off, same token"),
        (
            REVOCATION_CACHED_ROW,
            "on, same token (every subject cached)",
        ),
    ] {
        let Some(i) = row(label) else { continue };
        let (median_ms, min_ms) = if cold[i].times.is_empty() {
            (String::new(), String::new())
        } else {
            let mut times = cold[i].times.clone();
            times.sort();
            (
                ms(median(&times)),
                ms(times.first().copied().unwrap_or_default()),
            )
        };
        let (sched, stat) = match &warm[i] {
            Some(w) => (
                format!("{:.1}", w.cpu.sched.as_secs_f64() * 1e6),
                format!("{:.1}", w.cpu.stat.as_secs_f64() * 1e6),
            ),
            None => Default::default(),
        };
        let _ = writeln!(
            out,
            "  {shown:<48} {median_ms:>6} {min_ms:>6}  {sched:>9} {stat:>9}"
        );
    }
}

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

/// The goals against the floor: the authorizer's cold start as a
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
    // The sign-in triggers have no goal: their figures include the call to
    // moto (or the legacy endpoint) and, for user-migration, the hashes.
    let sign_in = SIGN_IN_ROWS.map(|label| (label, label, ""));
    for (label, shown, goal) in [
        (ECHO_ROW, ECHO, ""),
        (FILE_ROW, "authorizer, JWKS_FILE", "<= 1.2x"),
        (
            HANDED_IN_ROW,
            "authorizer, JWKS handed in (as deployed)",
            "<= 1.2x",
        ),
        (URL_ROW, "authorizer, JWKS_URL (http, 127.0.0.1)", "<= 1.5x"),
        (
            SLOW_URL_ROW,
            "authorizer, JWKS_URL answering after 20 ms",
            "",
        ),
    ]
    .into_iter()
    .chain(sign_in)
    {
        let Some(i) = row(label) else { continue };
        let figures = cold_figures(&cold[i].times, echo.filter(|_| label != ECHO_ROW));
        let _ = writeln!(out, "  {shown:<44} {figures}  {goal}");
    }
    render_warm_floor(out, cases, warm);
}

/// The warm CPU per invocation, the process's own (utime + stime from
/// `/proc/<pid>/stat`, and the scheduler's figure beside it), above the
/// echo's: with the connection kept open, as Lambda's Runtime API does, and
/// with a new one per request, as an HTTP/1.0 harness makes it. The
/// authorizer with the same token, `ROTATION` tokens in rotation (what an
/// API sees) and a fresh token each time.
fn render_warm_floor(out: &mut String, cases: &[Case], warm: &[Option<WarmResult>]) {
    let cpu_of = |label: &str| {
        cases
            .iter()
            .position(|case| case.label == label)
            .and_then(|i| warm[i].as_ref())
            .map(|w| w.cpu)
    };
    let us = |duration: Duration| duration.as_secs_f64() * 1e6;
    for (suffix, heading) in [
        ("", "connection kept open, as Lambda's Runtime API"),
        (
            FRESH_CONNECTIONS,
            "a connection per request, as an HTTP/1.0 harness",
        ),
    ] {
        let _ = writeln!(
            out,
            "  {:<44} {:>6} {:>6}  {:>7} {:>7}  goal",
            format!("warm CPU per invocation, µs: {heading}"),
            "stat",
            "sched",
            "- echo",
            "(sched)"
        );
        let echo = cpu_of(&format!("{ECHO_ROW}{suffix}"));
        for (label, shown, goal) in [
            (ECHO_ROW, ECHO, ""),
            (SAME_ROW, "authorizer, same token (verified once)", "<= +30"),
            (ROTATION_ROW, "authorizer, 400 tokens in rotation", "<= +30"),
            (FILE_ROW, "authorizer, fresh tokens (RSA each)", "<= +30"),
        ] {
            let Some(cpu) = cpu_of(&format!("{label}{suffix}")) else {
                continue;
            };
            let (excess, excess_sched) = match echo {
                Some(echo) if label != ECHO_ROW => (
                    format!("{:+.1}", us(cpu.stat) - us(echo.stat)),
                    format!("{:+.1}", us(cpu.sched) - us(echo.sched)),
                ),
                _ => Default::default(),
            };
            let _ = writeln!(
                out,
                "  {shown:<44} {:>6.1} {:>6.1}  {excess:>7} {excess_sched:>7}  {goal}",
                us(cpu.stat),
                us(cpu.sched),
            );
        }
    }
}

/// The criterion `stages` bench's ids (functions/authorizer/benches/stages.rs).
const STAGE_PREFIX: &str = "stages/";

/// The authorizer's warm path by stage, from the `stages` bench: what each
/// stage of the handler costs on its own, their sum above the floor, and,
/// beside it, the warm CPU above the echo that the harness measured in
/// this run.
#[derive(Debug, PartialEq)]
pub struct Stages {
    /// `(what, ns)`, in the handler's order: the part above the floor.
    pub above_floor: Vec<(&'static str, f64)>,
    /// lambda_runtime's JSON parse of the event, which the echo does too.
    pub runtime_parse: f64,
    /// `State::run` whole, against the sum of its three parts.
    pub run_whole: f64,
    pub run_parts: f64,
    /// A full RS256 verification, for reference.
    pub verify_fresh: f64,
    /// The oldest result's age.
    pub age: Duration,
}

impl Stages {
    /// Read from the criterion results; `None` unless every stage is there.
    pub fn from_criterion(results: &[(String, f64, Duration)]) -> Option<Self> {
        let get = |name: &str| {
            results
                .iter()
                .find(|(id, _, _)| id.strip_prefix(STAGE_PREFIX) == Some(name))
                .map(|(_, ns, _)| *ns)
        };
        let read = get("event_read")?;
        let verify = get("verify_cached")?;
        let answer = get("decide_answer")?;
        let logged = get("conclude_logged")?;
        let unlogged = get("conclude_unlogged")?;
        let age = results
            .iter()
            .filter(|(id, _, _)| id.starts_with(STAGE_PREFIX))
            .map(|(_, _, age)| *age)
            .max()
            .unwrap_or_default();
        Some(Self {
            above_floor: vec![
                ("event read: kind, credential, call", read),
                ("verify: a verified-token cache hit", verify),
                ("decide and answer (no rules, stage scope)", answer),
                (
                    "logs: the runtime's span, the decision's line",
                    logged - unlogged,
                ),
                ("metrics: recorded, the EMF line built", unlogged),
            ],
            runtime_parse: get("event_json")?,
            run_whole: get("run")?,
            run_parts: read + verify + answer,
            verify_fresh: get("verify_fresh")?,
            age,
        })
    }

    /// The stages' sum, in ns.
    pub fn sum(&self) -> f64 {
        self.above_floor.iter().map(|(_, ns)| ns).sum()
    }
}

fn render_stages(
    out: &mut String,
    criterion: &[(String, f64, Duration)],
    cases: &[Case],
    warm: &[Option<WarmResult>],
) {
    let _ = writeln!(
        out,
        "\nWarm cost by stage (criterion, functions/authorizer/benches/stages.rs, median; \
         JWKS_FILE, no rules, a REST TOKEN event; the handler's own code, one stage at a time)"
    );
    let Some(stages) = Stages::from_criterion(criterion) else {
        let _ = writeln!(
            out,
            "  no stages results in target/criterion: run `cargo bench -p authorizer --bench stages`"
        );
        return;
    };
    if stages.age > Duration::from_secs(3600) {
        let _ = writeln!(
            out,
            "  (measured {:.0} h ago, not in this run)",
            stages.age.as_secs_f64() / 3600.0
        );
    }
    let _ = writeln!(
        out,
        "  {:<52} {:>10}   (lambda_runtime's; the echo does it too)",
        "event parse: JSON into a Value",
        nanos(stages.runtime_parse)
    );
    for (what, ns) in &stages.above_floor {
        let _ = writeln!(out, "  {what:<52} {:>10}", nanos(*ns));
    }
    let sum = stages.sum();
    let _ = writeln!(
        out,
        "  {:<52} {:>10}   (check: `run` whole {}, its three parts {})",
        "sum above the floor",
        nanos(sum),
        nanos(stages.run_whole),
        nanos(stages.run_parts)
    );
    let _ = writeln!(
        out,
        "  {:<52} {:>10}",
        "for reference: verify a fresh token (RS256)",
        nanos(stages.verify_fresh)
    );
    let cpu_of = |label: &str| {
        cases
            .iter()
            .position(|case| case.label == label)
            .and_then(|i| warm[i].as_ref())
            .map(|w| w.cpu.stat.as_secs_f64() * 1e9)
    };
    let Some(echo) = cpu_of(ECHO_ROW) else {
        let _ = writeln!(
            out,
            "  no warm echo row in this run: add `--only lambda-echo` to set the sum beside the \
             measured CPU"
        );
        return;
    };
    for (label, shown) in [
        (ROTATION_ROW, "400 tokens in rotation"),
        (SAME_ROW, "the same token"),
    ] {
        let Some(cpu) = cpu_of(label) else { continue };
        let excess = cpu - echo;
        let _ = writeln!(
            out,
            "  measured, {shown}: {:+.1} µs of CPU above the echo (utime + stime, connection kept \
             open); the stages {:.1} µs; the rest {:+.1} µs",
            excess / 1e3,
            sum / 1e3,
            (excess - sum) / 1e3
        );
    }
    let _ = writeln!(
        out,
        "  The rest is what the stages leave out: the Runtime API's HTTP client (hyper's two \
         exchanges) and the runtime's own work (polling, the span entered at each poll, the \
         answer serialised) beyond the echo's, the two write(2)s of the log and EMF lines (sinks \
         here), and the cold caches of a process that shares its CPU with the harness, where \
         criterion's loop runs hot."
    );
}

fn render_criterion(out: &mut String, results: &[(String, f64, Duration)]) {
    let results: Vec<_> = results
        .iter()
        .filter(|(id, _, _)| !id.starts_with(STAGE_PREFIX))
        .cloned()
        .collect();
    let results = results.as_slice();
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

fn render_bursts(out: &mut String, bursts: &[BurstResult]) {
    let _ = writeln!(
        out,
        "\nCold-start burst: authorizers started at once against one JWKS server (20 ms), \
         each sent one token; ms from the burst's start to each first answer"
    );
    let _ = writeln!(
        out,
        "  {:<28} {:>9} {:>8} {:>7} {:>7} {:>8}",
        "keys", "processes", "requests", "first", "median", "slowest"
    );
    for burst in bursts {
        let _ = writeln!(
            out,
            "  {:<28} {:>9} {:>8} {:>7} {:>7} {:>8}",
            burst.label,
            burst.processes,
            burst.fetches,
            ms(burst.answers.first().copied().unwrap_or_default()),
            ms(median(&burst.answers)),
            ms(burst.answers.last().copied().unwrap_or_default()),
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

/// One cold-start row's figures: median, min and p90 in ms, and the
/// median as a multiple of `echo`'s (left blank for the echo itself, or
/// when there is no echo figure).
fn cold_figures(times: &[Duration], echo: Option<Duration>) -> String {
    let mut times = times.to_vec();
    times.sort();
    let ratio = match echo {
        Some(echo) if !echo.is_zero() => {
            format!("{:.2}x", median(&times).as_secs_f64() / echo.as_secs_f64())
        }
        _ => String::new(),
    };
    format!(
        "{:>6} {:>6} {:>6}  {ratio:>7}",
        ms(median(&times)),
        ms(times.first().copied().unwrap_or_default()),
        ms(percentile(&times, 90)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: &str, ns: f64) -> (String, f64, Duration) {
        (id.to_owned(), ns, Duration::from_secs(60))
    }

    #[test]
    fn stages_add_up_and_the_log_line_is_the_difference() {
        let mut results = vec![
            result("verifier/fresh_token", 25_000.0),
            result("stages/event_json", 2_000.0),
            result("stages/event_read", 500.0),
            result("stages/verify_cached", 1_500.0),
            result("stages/verify_fresh", 26_000.0),
            result("stages/decide_answer", 4_000.0),
            result("stages/run", 6_200.0),
            result("stages/conclude_logged", 9_000.0),
            result("stages/conclude_unlogged", 2_500.0),
        ];
        let stages = Stages::from_criterion(&results).unwrap();
        let logs = stages
            .above_floor
            .iter()
            .find(|(what, _)| what.starts_with("logs"))
            .unwrap()
            .1;
        assert_eq!(logs, 6_500.0);
        // The runtime's parse is the echo's too: not in the sum.
        assert_eq!(stages.sum(), 500.0 + 1_500.0 + 4_000.0 + 9_000.0);
        assert_eq!(stages.run_parts, 6_000.0);
        assert_eq!(stages.verify_fresh, 26_000.0);

        // A stage missing: no table, rather than a sum short of a stage.
        results.retain(|(id, _, _)| id != "stages/conclude_unlogged");
        assert_eq!(Stages::from_criterion(&results), None);
    }

    #[test]
    fn the_verification_table_leaves_the_stages_out() {
        let mut out = String::new();
        render_criterion(
            &mut out,
            &[
                result("verifier/fresh_token", 25_000.0),
                result("stages/run", 6_200.0),
            ],
        );
        assert!(out.contains("verifier/fresh_token"), "{out}");
        assert!(!out.contains("stages/"), "{out}");
    }
}
