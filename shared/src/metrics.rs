//! Metrics in CloudWatch Embedded Metric Format (EMF): one JSON line on
//! stdout per invocation and dimension set, which CloudWatch Logs turns into
//! metrics. No client, no extra call, no extra latency.
//!
//! A line is a JSON object with an `_aws` block
//! (`{Timestamp, CloudWatchMetrics: [{Namespace, Dimensions, Metrics}]}`)
//! and the dimension and metric values as top-level members. It is written
//! straight to stdout, not inside a `tracing` event, so that CloudWatch's
//! extraction finds `_aws` at the top level.
//!
//! Every name lives here, once: the metrics ([`ALL`]), the dimension keys,
//! and the namespace variable. The template test reads [`ALL`] to prove each
//! alarm names a metric some function emits.
//!
//! Dimension values are `&'static str` by type: only fixed reason codes and
//! names can become a dimension, never a user name, an address or a token.
//! Each line also carries `requestId` and `traceId` (plain members, not
//! dimensions), so a metric can be traced to the invocation's logs.
//!
//! Use: build one [`Metrics`] at init, call [`Metrics::recorder`] at the
//! start of each invocation, record with [`Recorder::count`] and
//! [`Recorder::put`], and [`Recorder::flush`] once at the end.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use crate::config::{ConfigError, Env, Text, declare};

declare! {
    /// CloudWatch namespace of the function's metrics (the template sets it from
    /// `MetricsNamespace`): 1–255 characters of letters, digits, `.-_/#:` and space, not starting
    /// with `AWS/`.
    pub METRICS_NAMESPACE: Text = Text { default: DEFAULT_NAMESPACE }, example "`Acme/Auth`";
}

/// The namespace when `METRICS_NAMESPACE` is unset.
pub const DEFAULT_NAMESPACE: &str = "CognitoAuth";

/// At most this many metrics in one EMF directive (CloudWatch's limit).
pub const MAX_METRICS_PER_LINE: usize = 100;

/// At most this many dimensions besides `Function` on one value.
pub const MAX_EXTRA_DIMENSIONS: usize = 3;

/// A CloudWatch unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A count of events.
    Count,
    /// A duration.
    Milliseconds,
    /// A size.
    Bytes,
}

impl Unit {
    /// The unit as CloudWatch spells it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Milliseconds => "Milliseconds",
            Unit::Bytes => "Bytes",
        }
    }
}

/// A metric: its name and unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    /// The metric's name in CloudWatch.
    pub name: &'static str,
    /// Its unit.
    pub unit: Unit,
    /// The functions that emit it (crate names).
    pub emitted_by: &'static [&'static str],
}

const fn metric(name: &'static str, unit: Unit, emitted_by: &'static [&'static str]) -> Metric {
    Metric {
        name,
        unit,
        emitted_by,
    }
}

// ---- Dimension keys ---------------------------------------------------------

/// Every line's dimension: the function's crate name (`authorizer`, ...).
pub const FUNCTION: &str = "Function";
/// An outcome: `allow`, `deny`, `unauthorized`, `accepted`, `refused`, ...
pub const OUTCOME: &str = "Outcome";
/// A fixed reason code (`expired`, `unknown_kid`, `blocked_domain`, ...).
pub const REASON: &str = "Reason";
/// The result of a call or fetch (`ok`, `failed`, ...).
pub const RESULT: &str = "Result";
/// A message's locale (`en`, `es`, `pt`).
pub const LOCALE: &str = "Locale";
/// An AWS API call (`AdminAddUserToGroup`, `PutItem`, ...).
pub const CALL: &str = "Call";
/// An app client: one the operator listed (post-authentication's
/// `SIGN_IN_METRIC_CLIENTS`, read once at init), or `other`. A client id
/// taken from an event never becomes a dimension: the caller chooses it,
/// and each new value would be a new metric, billed.
pub const CLIENT: &str = "Client";

// ---- Metrics ------------------------------------------------------------------

const AUTHORIZER: &[&str] = &["authorizer"];
const EVERY_FUNCTION: &[&str] = &[
    "authorizer",
    "pre-sign-up",
    "post-confirmation",
    "custom-message",
    "pre-token-generation",
    "revocation-recorder",
    "sign-out",
    "pre-authentication",
    "post-authentication",
    "user-migration",
    "custom-sender",
    "deploy-keys",
];

/// A sandbox's first invocation (dimension: `Function`).
pub const COLD_START: Metric = metric("ColdStart", Unit::Count, EVERY_FUNCTION);
/// Invocations that returned an error on purpose (dimension: `Function`
/// only): the authorizer's `Unauthorized` for a credential it refuses (a 401,
/// not for a failure to check one), and pre sign-up's refused sign-ups.
/// Lambda counts each of them in `Errors`, so an alarm on real failures reads
/// `Errors - Refusals`: never a real failure (an invalid event, a failed AWS
/// call, a timeout, a panic), each of which still counts in `Errors` alone.
/// Pre authentication's refused sign-ins count here too (a read that failed
/// does not: it is a real failure), and so do user migration's (an unknown
/// user, a wrong password, a legacy hash it cannot use). The other
/// functions refuse nothing, and emit none.
pub const REFUSALS: Metric = metric(
    "Refusals",
    Unit::Count,
    &[
        "authorizer",
        "pre-sign-up",
        "pre-authentication",
        "user-migration",
    ],
);
/// Authorizer decisions, by `Outcome` (`allow`, `deny`, `unauthorized`,
/// `invalid_event`) and, for refusals, `Reason`.
pub const DECISIONS: Metric = metric("Decisions", Unit::Count, AUTHORIZER);
/// Size of the authorizer's answer.
pub const ANSWER_BYTES: Metric = metric("AnswerBytes", Unit::Bytes, AUTHORIZER);
/// JWKS fetches, by `Result` (`ok`, `failed`).
pub const JWKS_FETCHES: Metric = metric("JwksFetches", Unit::Count, AUTHORIZER);
/// Verifications that used keys past their max age (the endpoint failing).
pub const STALE_KEY_USES: Metric = metric("StaleKeyUses", Unit::Count, AUTHORIZER);
/// Fetches that brought a `kid` the keys handed in at deploy (`JWKS`)
/// lacked: those keys are stale, redeploy.
pub const DEPLOY_KEYS_STALE: Metric = metric("DeployKeysStale", Unit::Count, AUTHORIZER);
/// Verifications answered by the verified-token cache.
pub const VERIFIED_CACHE_HITS: Metric = metric("VerifiedCacheHits", Unit::Count, AUTHORIZER);
/// Sign-ups, by `Outcome` (`accepted`, `refused`) and, refused, `Reason`.
pub const SIGN_UPS: Metric = metric("SignUps", Unit::Count, &["pre-sign-up"]);
/// Federated-link attempts, by `Result`.
pub const FEDERATED_LINKS: Metric = metric("FederatedLinks", Unit::Count, &["pre-sign-up"]);
/// Provisioning of confirmed users, by `Outcome` (`provisioned`,
/// `already_existed`, `failed`) and, failed, `Reason` (the cause).
pub const PROVISIONING: Metric = metric("Provisioning", Unit::Count, &["post-confirmation"]);
/// Latency of one AWS call, retries included, by `Call`.
pub const AWS_CALL_LATENCY: Metric = metric(
    "AwsCallLatency",
    Unit::Milliseconds,
    &[
        "post-confirmation",
        "pre-token-generation",
        "pre-authentication",
        "post-authentication",
        "user-migration",
        "custom-sender",
    ],
);
/// Custom messages, by `Outcome` (`rendered`, `fallback`, `passed_through`),
/// `Reason` and `Locale`.
pub const MESSAGES: Metric = metric("Messages", Unit::Count, &["custom-message"]);
/// Custom sender deliveries, by `Outcome`: `sent` (with `Reason` the
/// source's stem, `sign_up`…, and `Locale`), `duplicate` (a retried event
/// already sent), `passed_through`, `refused` (the code did not decrypt;
/// `Reason` says why) and `failed` (`Reason`: the error type or AWS call
/// error).
pub const SENDS: Metric = metric("Sends", Unit::Count, &["custom-sender"]);
/// Claims added to the tokens of one sign-in.
pub const CLAIMS_ADDED: Metric = metric("ClaimsAdded", Unit::Count, &["pre-token-generation"]);
/// Reads of the profile item, by `Result` (`found`, `not_found`, `failed`).
pub const PROFILE_READS: Metric = metric(
    "ProfileReads",
    Unit::Count,
    &["pre-token-generation", "pre-authentication"],
);
/// Pre authentication's decisions, by `Outcome` (`allowed`, `refused`,
/// `passed_through`) and `Reason` (`suspended`, `not_in_client_groups`,
/// `read_failed`; an `allowed` with `read_failed` went through unchecked
/// under `PROFILE_READ_FAILURE=allow`).
pub const SIGN_IN_CHECKS: Metric = metric("SignInChecks", Unit::Count, &["pre-authentication"]);
/// Completed sign-ins, by `Client` (a listed client id, or `other`).
pub const SIGN_INS: Metric = metric("SignIns", Unit::Count, &["post-authentication"]);
/// Sign-ins recorded on the profile item, by `Result` (`recorded`,
/// `no_item`, `failed`). A failure never fails the sign-in.
pub const SIGN_IN_RECORDS: Metric = metric("SignInRecords", Unit::Count, &["post-authentication"]);

/// User migrations, by `Outcome` (`migrated`, `refused`) and `Reason`:
/// for `migrated` the path (`sign_in`, `forgot_password`), for `refused`
/// why (`unknown_user`, `wrong_password`, `missing_hash`, `corrupt_hash`,
/// `unsupported_algorithm`, `too_costly`). A store failure is not counted
/// here: it is an invocation error.
pub const MIGRATIONS: Metric = metric("Migrations", Unit::Count, &["user-migration"]);
/// Marks of migrated legacy records (`MARK_MIGRATED`), by `Result` (`ok`,
/// `gone` for a record deleted meanwhile, `failed`). A failed mark never fails the migration.
pub const MIGRATION_MARKS: Metric = metric("MigrationMarks", Unit::Count, &["user-migration"]);

/// Revocation checks of verified tokens, by `Result`: `cached` (every
/// subject's state was in the sandbox's cache), `read` (one store read),
/// `failed` (the store did not answer in time, or answered with an item
/// that breaks the contract).
pub const REVOCATION_CHECKS: Metric = metric("RevocationChecks", Unit::Count, AUTHORIZER);
/// Tokens refused as revoked, by `Reason` (`revoked_user`,
/// `revoked_session`, `revoked_client`).
pub const REVOKED_TOKENS: Metric = metric("RevokedTokens", Unit::Count, AUTHORIZER);
/// Time of one read of the revocation store, retries included, by
/// `Result` (`read`, `failed`): how much of the budget
/// (`REVOCATION_READ_TIMEOUT_MS`) a read takes.
pub const REVOCATION_READ_LATENCY: Metric =
    metric("RevocationReadLatency", Unit::Milliseconds, AUTHORIZER);
/// Subjects held in the sandbox's revocation cache after a read: at most
/// `REVOCATION_CACHE_ENTRIES`; a Maximum at the bound means answers are
/// dropped before their window ends, and read again.
pub const REVOCATION_CACHE_ENTRIES: Metric =
    metric("RevocationCacheEntries", Unit::Count, AUTHORIZER);
/// Revocations written to the store, by `Reason` (a
/// [`Reason`](crate::revocation::Reason) code) and `Result` (`ok`,
/// `failed`, `ignored` for an event that revokes nothing).
pub const REVOCATIONS_RECORDED: Metric = metric(
    "RevocationsRecorded",
    Unit::Count,
    &["revocation-recorder", "sign-out"],
);

/// Every metric any function emits: the one list the template test reads.
pub const ALL: &[Metric] = &[
    COLD_START,
    REFUSALS,
    DECISIONS,
    ANSWER_BYTES,
    JWKS_FETCHES,
    STALE_KEY_USES,
    DEPLOY_KEYS_STALE,
    VERIFIED_CACHE_HITS,
    SIGN_UPS,
    FEDERATED_LINKS,
    PROVISIONING,
    AWS_CALL_LATENCY,
    MESSAGES,
    SENDS,
    CLAIMS_ADDED,
    PROFILE_READS,
    SIGN_IN_CHECKS,
    SIGN_INS,
    SIGN_IN_RECORDS,
    MIGRATIONS,
    MIGRATION_MARKS,
    REVOCATION_CHECKS,
    REVOKED_TOKENS,
    REVOCATION_READ_LATENCY,
    REVOCATION_CACHE_ENTRIES,
    REVOCATIONS_RECORDED,
];

// ---- The emitter ----------------------------------------------------------------

/// A CloudWatch namespace, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace(String);

impl Namespace {
    /// Reads `METRICS_NAMESPACE` (default [`DEFAULT_NAMESPACE`]) and checks
    /// it as CloudWatch would: 1–255 characters of `0-9A-Za-z.-_/#:` and
    /// space, not starting with `AWS/`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let namespace = env.get(&METRICS_NAMESPACE)?;
        if namespace.len() > 255
            || !namespace
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-_/#: ".contains(&b))
        {
            return Err(ConfigError::new(
                METRICS_NAMESPACE,
                "must be at most 255 characters of letters, digits, `.`, `-`, `_`, `/`, `#`, `:` and spaces",
            ));
        }
        if namespace.starts_with("AWS/") {
            return Err(ConfigError::new(
                METRICS_NAMESPACE,
                "must not start with `AWS/`, which AWS reserves",
            ));
        }
        Ok(Self(namespace))
    }

    /// The namespace as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The function's metrics set-up, built once at init.
#[derive(Debug)]
pub struct Metrics {
    namespace: Namespace,
    function: &'static str,
    cold: AtomicBool,
}

impl Metrics {
    /// The set-up of `function` (its crate name, the `Function` dimension).
    pub fn new(namespace: Namespace, function: &'static str) -> Self {
        Self {
            namespace,
            function,
            cold: AtomicBool::new(true),
        }
    }

    /// The namespace.
    pub fn namespace(&self) -> &str {
        self.namespace.as_str()
    }

    /// A recorder for one invocation. The sandbox's first one also records
    /// [`COLD_START`]. Every invocation starts here, so it is also where a
    /// stale [`crate::logging::error_already_logged`] mark is forgotten.
    pub fn recorder(&self, request_id: &str, trace_id: Option<&str>) -> Recorder<'_> {
        crate::logging::invocation_started();
        let mut recorder = Recorder {
            metrics: self,
            request_id: request_id.to_owned(),
            trace_id: trace_id.map(str::to_owned),
            entries: Vec::new(),
        };
        if self.cold.swap(false, Ordering::Relaxed) {
            recorder.count(COLD_START, &[], 1);
        }
        recorder
    }

    /// [`Metrics::recorder`] for the invocation of `context`: its request id
    /// and X-Ray trace, which every metric line carries.
    pub fn recorder_for(&self, context: &lambda_runtime::Context) -> Recorder<'_> {
        self.recorder(&context.request_id, context.xray_trace_id.as_deref())
    }
}

type Dimension = (&'static str, &'static str);

/// Values recorded with one set of dimensions: one line.
#[derive(Debug)]
struct Entry {
    dimensions: Vec<Dimension>,
    values: Vec<(Metric, Vec<f64>)>,
}

/// One invocation's metrics, written by [`Recorder::flush`].
#[derive(Debug)]
pub struct Recorder<'a> {
    metrics: &'a Metrics,
    request_id: String,
    trace_id: Option<String>,
    entries: Vec<Entry>,
}

impl Recorder<'_> {
    /// Counts one [`REFUSALS`]: the invocation returns an error on purpose.
    pub fn refusal(&mut self) {
        self.count(REFUSALS, &[], 1);
    }

    /// Adds `n` to a [`Unit::Count`] metric.
    pub fn count(&mut self, metric: Metric, dimensions: &[Dimension], n: u64) {
        self.put(metric, dimensions, n as f64);
    }

    /// Records one value. Counts with the same dimensions add up; other
    /// units keep each value (EMF takes an array).
    pub fn put(&mut self, metric: Metric, dimensions: &[Dimension], value: f64) {
        debug_assert!(dimensions.len() <= MAX_EXTRA_DIMENSIONS);
        let dimensions = &dimensions[..dimensions.len().min(MAX_EXTRA_DIMENSIONS)];
        let index = match self.entries.iter().position(|entry| {
            entry.dimensions == dimensions && entry.values.len() < MAX_METRICS_PER_LINE
        }) {
            Some(index) => index,
            None => {
                self.entries.push(Entry {
                    dimensions: dimensions.to_vec(),
                    values: Vec::new(),
                });
                self.entries.len() - 1
            }
        };
        let entry = &mut self.entries[index];
        match entry.values.iter_mut().find(|(m, _)| m.name == metric.name) {
            Some((_, values)) if metric.unit == Unit::Count => {
                if let Some(first) = values.first_mut() {
                    *first += value;
                }
            }
            Some((_, values)) => values.push(value),
            None => entry.values.push((metric, vec![value])),
        }
    }

    /// The EMF lines, without writing them.
    pub fn lines(&self) -> Vec<String> {
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.as_millis() as u64)
            .unwrap_or(0);
        self.entries
            .iter()
            .map(|entry| self.line(entry, timestamp))
            .collect()
    }

    /// Writes every line to stdout, all in one write, and ends the
    /// recorder. A failed write only loses metrics.
    pub fn flush(self) {
        self.write_to(std::io::stdout());
    }

    /// [`Recorder::flush`], into `out` instead of stdout: for benchmarks,
    /// which time the lines without a pipe behind them (`std::io::sink`).
    pub fn write_to(self, mut out: impl Write) {
        if self.entries.is_empty() {
            return;
        }
        let mut text = String::new();
        for line in self.lines() {
            text.push_str(&line);
            text.push('\n');
        }
        let _ = out.write_all(text.as_bytes());
    }

    fn line(&self, entry: &Entry, timestamp: u64) -> String {
        let function = self.metrics.function;
        // One dimension set per extra dimension, each with `Function`: an
        // outcome and a reason are each aggregated on their own.
        let sets: Vec<Vec<&str>> = if entry.dimensions.is_empty() {
            vec![vec![FUNCTION]]
        } else {
            entry
                .dimensions
                .iter()
                .map(|(key, _)| vec![FUNCTION, *key])
                .collect()
        };
        let definitions: Vec<Value> = entry
            .values
            .iter()
            .map(|(metric, _)| json!({ "Name": metric.name, "Unit": metric.unit.as_str() }))
            .collect();
        let mut line = Map::new();
        line.insert(
            "_aws".to_owned(),
            json!({
                "Timestamp": timestamp,
                "CloudWatchMetrics": [{
                    "Namespace": self.metrics.namespace(),
                    "Dimensions": sets,
                    "Metrics": definitions,
                }],
            }),
        );
        line.insert(FUNCTION.to_owned(), Value::from(function));
        for (key, value) in &entry.dimensions {
            line.insert((*key).to_owned(), Value::from(*value));
        }
        for (metric, values) in &entry.values {
            let value = match values.as_slice() {
                [one] => json!(one),
                many => json!(many),
            };
            line.insert(metric.name.to_owned(), value);
        }
        line.insert(
            "requestId".to_owned(),
            Value::from(self.request_id.as_str()),
        );
        if let Some(trace_id) = &self.trace_id {
            line.insert("traceId".to_owned(), Value::from(trace_id.as_str()));
        }
        Value::Object(line).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Value {
        serde_json::from_str(line).expect("a JSON line")
    }

    #[test]
    fn a_line_is_exact_emf() {
        let metrics = Metrics::new(Namespace("Test/NS".to_owned()), "authorizer");
        let mut recorder = metrics.recorder("req-1", Some("Root=1-abc"));
        recorder.count(
            DECISIONS,
            &[(OUTCOME, "unauthorized"), (REASON, "expired")],
            1,
        );
        recorder.count(
            DECISIONS,
            &[(OUTCOME, "unauthorized"), (REASON, "expired")],
            1,
        );
        recorder.put(
            ANSWER_BYTES,
            &[(OUTCOME, "unauthorized"), (REASON, "expired")],
            12.0,
        );
        let lines = recorder.lines();
        assert_eq!(lines.len(), 2, "{lines:?}");
        let cold = parse(&lines[0]);
        assert_eq!(cold["ColdStart"], json!(1.0));
        assert_eq!(
            cold["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["Function"]])
        );
        let line = parse(&lines[1]);
        let directive = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "Test/NS");
        assert_eq!(
            directive["Dimensions"],
            json!([["Function", "Outcome"], ["Function", "Reason"]])
        );
        assert_eq!(
            directive["Metrics"],
            json!([{"Name": "Decisions", "Unit": "Count"}, {"Name": "AnswerBytes", "Unit": "Bytes"}])
        );
        assert!(
            line["_aws"]["Timestamp"]
                .as_u64()
                .is_some_and(|ms| ms > 1_600_000_000_000)
        );
        assert_eq!(line["Function"], "authorizer");
        assert_eq!(line["Outcome"], "unauthorized");
        assert_eq!(line["Reason"], "expired");
        assert_eq!(line["Decisions"], json!(2.0));
        assert_eq!(line["requestId"], "req-1");
        assert_eq!(line["traceId"], "Root=1-abc");
        // Only the first recorder of a sandbox counts a cold start.
        assert!(metrics.recorder("req-2", None).lines().is_empty());
    }

    #[test]
    fn a_refusal_is_counted_with_the_function_alone() {
        let metrics = Metrics::new(Namespace("NS".to_owned()), "pre-sign-up");
        let _ = metrics.recorder("cold", None);
        let mut recorder = metrics.recorder("r", None);
        recorder.count(
            SIGN_UPS,
            &[(OUTCOME, "refused"), (REASON, "DisposableEmail")],
            1,
        );
        recorder.refusal();
        let lines = recorder.lines();
        assert_eq!(lines.len(), 2, "{lines:?}");
        let line = parse(&lines[1]);
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["Function"]])
        );
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Metrics"],
            json!([{"Name": "Refusals", "Unit": "Count"}])
        );
        assert_eq!(line["Refusals"], json!(1.0));
        assert_eq!(line["Function"], "pre-sign-up");
    }

    #[test]
    fn other_units_keep_every_value() {
        let metrics = Metrics::new(Namespace("NS".to_owned()), "post-confirmation");
        let _ = metrics.recorder("cold", None);
        let mut recorder = metrics.recorder("r", None);
        recorder.put(AWS_CALL_LATENCY, &[(CALL, "PutItem")], 3.0);
        recorder.put(AWS_CALL_LATENCY, &[(CALL, "PutItem")], 5.0);
        let line = parse(&recorder.lines()[0]);
        assert_eq!(line["AwsCallLatency"], json!([3.0, 5.0]));
        assert!(line.get("traceId").is_none());
    }

    #[test]
    fn the_namespace_is_checked() {
        let ok = Namespace::from_env(&Env::from_pairs([(
            METRICS_NAMESPACE.name,
            "Acme/Auth prod",
        )]));
        assert_eq!(ok.map(|n| n.0).ok().as_deref(), Some("Acme/Auth prod"));
        let default = Namespace::from_env(&Env::from_pairs::<&str, &str>([]));
        assert_eq!(
            default.map(|n| n.0).ok().as_deref(),
            Some(DEFAULT_NAMESPACE)
        );
        for bad in ["AWS/Lambda", "a\"b", "é", &"x".repeat(256)] {
            let error = Namespace::from_env(&Env::from_pairs([(METRICS_NAMESPACE.name, bad)]))
                .expect_err(bad);
            assert!(
                error.to_string().starts_with(METRICS_NAMESPACE.name),
                "{error}"
            );
        }
    }

    /// The cost of one invocation's metrics, printed, never asserted:
    /// `cargo test --release -p cognito-auth-core --lib metrics::tests::cost -- --ignored --nocapture`.
    /// `make bench` prints the same figure (bench-functions, "metrics per
    /// invocation").
    #[test]
    #[ignore = "a measurement, not a test: run it by name, in release"]
    fn cost_per_invocation() {
        const N: u32 = 100_000;
        let metrics = Metrics::new(Namespace(DEFAULT_NAMESPACE.to_owned()), "authorizer");
        let mut bytes = 0;
        let started = std::time::Instant::now();
        for _ in 0..N {
            let mut recorder = metrics.recorder(
                "8f2e0b1c-3d4a-4b5c-9d6e-7f8091a2b3c4",
                Some("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"),
            );
            recorder.count(DECISIONS, &[(OUTCOME, "allow")], 1);
            recorder.put(ANSWER_BYTES, &[(OUTCOME, "allow")], 412.0);
            recorder.count(VERIFIED_CACHE_HITS, &[], 1);
            bytes = recorder
                .lines()
                .iter()
                .map(|line| line.len() + 1)
                .sum::<usize>();
        }
        let per = started.elapsed() / N;
        println!("metrics per invocation: {per:?} to build and format 2 EMF lines, {bytes} bytes");
    }

    #[test]
    fn names_are_unique_and_units_are_cloudwatch_units() {
        let mut names: Vec<&str> = ALL.iter().map(|m| m.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
        assert!(ALL.iter().all(|m| !m.emitted_by.is_empty()));
    }
}
