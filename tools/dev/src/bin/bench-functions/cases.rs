//! The cases: which binary each row starts, with which variables, on which
//! event, and what counts as a right answer. Kept apart from the measuring
//! so that adding a row (a new function, a new init configuration) touches
//! only this file.

use std::path::{Path, PathBuf};

use e2e_tests::moto::free_port;
use e2e_tests::runtime_api::{Launch, Outcome, workspace_root};
use serde_json::Value;

use crate::sender::SenderEvents;
use crate::stage::{ECHO, NODE_AUTHORIZER, SENDER, Staged};
use crate::warm::WARM_UP;
use crate::{CLIENT_ID, POOL_ID};

/// A function's environment, as `(name, value)` pairs.
pub type Vars = Vec<(String, String)>;

/// Rules in the generated `AUTHZ_RULES` file: the most the authorizer takes.
pub const RULE_COUNT: usize = 1000;

/// The label of the row every init cost is measured against.
pub const REFERENCE: &str = "post-confirmation, nothing to provision";
/// The rows the floor section reads.
pub const ECHO_ROW: &str = "lambda-echo (the floor), token event";
pub const FILE_ROW: &str = "authorizer, fresh tokens";
pub const SAME_ROW: &str = "authorizer, same token";
/// `ROTATION` distinct valid tokens, again and again: what an API sees from
/// a few hundred signed-in callers, and how an outside harness measured the
/// authorizer (issue 28). Within the verified-token cache (1,000 by
/// default), so a verification is a hash and a lookup after the first lap.
pub const ROTATION_ROW: &str = "authorizer, 400 tokens in rotation";
/// Distinct tokens cycled through by [`ROTATION_ROW`].
pub const ROTATION: usize = 400;
/// The suffix of the warm-only rows whose Runtime API closes the
/// connection after each answer, so that every request opens a new one, as
/// against an HTTP/1.0 server (Lambda's keeps it open).
pub const FRESH_CONNECTIONS: &str = ", a connection per request";
pub const URL_ROW: &str = "authorizer, JWKS_URL (fetched at init)";
/// The keys handed in at deploy (`JWKS`), as the template deploys it; its
/// `JWKS_URL` is the slow server, so a fetch would show.
pub const HANDED_IN_ROW: &str = "authorizer, JWKS handed in (as deployed)";
/// `JWKS_URL` at a server that answers after [`crate::JWKS_DELAY`]: a
/// region's TLS and round trip, which loopback does not have.
pub const SLOW_URL_ROW: &str = "authorizer, JWKS_URL answering after 20 ms";
/// The revocation check on (moto's DynamoDB on 127.0.0.1 as the store):
/// a fresh user per token, so a read per invocation, and the cold start
/// with its SDK configuration and first read.
pub const REVOCATION_READ_ROW: &str = "authorizer, revocation on, a read per token";
/// The same token again and again: every subject cached, no read.
pub const REVOCATION_CACHED_ROW: &str = "authorizer, revocation on, same token";
/// The revocation table the bench creates in moto.
pub const REVOCATION_TABLE: &str = "bench-revocations";
/// The profile table (partition key `sub`) pre- and post-authentication
/// read and write, in moto.
pub const PROFILE_TABLE: &str = "bench-profiles";
/// The legacy users table (partition key `username`) user-migration reads,
/// in moto, holding [`LEGACY_USERS`].
pub const LEGACY_TABLE: &str = "bench-legacy-users";
/// The password of every legacy user here.
pub const LEGACY_PASSWORD: &str = "Bench-Legacy-Passw0rd";
/// The legacy users, by name, and the kind and cost of their hash (as
/// `LEGACY_HASH_DEFAULT` reads it): the template's default, and a cheap
/// one that leaves the rest of the cold start to see.
pub const LEGACY_USERS: [(&str, &str); 2] = [
    ("bench.argon2id", "argon2id:m=19456,t=2,p=1"),
    ("bench.pbkdf2", "pbkdf2-sha256:i=1000"),
];
/// The shared secret of the bench's legacy endpoint.
pub const LEGACY_ENDPOINT_SECRET: &str = "bench-legacy-endpoint-secret-0123456789";
/// The sign-in rows, in the floor section's order.
pub const SIGN_IN_ROWS: [&str; 5] = [
    PRE_AUTHENTICATION_ROW,
    POST_AUTHENTICATION_ROW,
    MIGRATION_ARGON_ROW,
    MIGRATION_PBKDF2_ROW,
    MIGRATION_ENDPOINT_ROW,
];
pub const PRE_AUTHENTICATION_ROW: &str = "pre-authentication, as deployed";
pub const POST_AUTHENTICATION_ROW: &str = "post-authentication, RECORD_SIGN_INS=true";
pub const MIGRATION_ARGON_ROW: &str = "user-migration, table, argon2id (default)";
pub const MIGRATION_PBKDF2_ROW: &str = "user-migration, table, pbkdf2 i=1000";
pub const MIGRATION_ENDPOINT_ROW: &str = "user-migration, legacy endpoint";
/// The custom sender's rows: a sign-up email sent (cold start and warm),
/// a sign-up SMS sent (warm), each with a code of its own decrypted
/// through moto's KMS, claimed in moto's DynamoDB and sent through moto's
/// SES v2 or SNS; and an unknown trigger source, returned untouched, whose
/// cold start is the function's init alone and whose warm run is the
/// function's own cost per invocation without a message.
pub const SENDER_EMAIL_ROW: &str = "custom-sender, SignUp email sent";
pub const SENDER_SMS_ROW: &str = "custom-sender, SignUp SMS sent";
pub const SENDER_INIT_ROW: &str = "custom-sender, unknown source";
pub const SENDER_ROWS: [&str; 3] = [SENDER_EMAIL_ROW, SENDER_SMS_ROW, SENDER_INIT_ROW];
/// The custom sender's idempotency table, in moto.
pub const SENDER_TABLE: &str = "bench-custom-sender-idempotency";
/// Its verified SES sender.
pub const SENDER_FROM: &str = "no-reply@example.com";
/// The pool of the sample events (`events/custom-sender/`), which Cognito
/// names in the codes' encryption context (`userpool-id`).
pub const SENDER_POOL: &str = "us-east-1_Ex4mPle01";

/// Which table a case belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// Cold start, warm throughput, RSS and size.
    Main,
    /// Cold start only, against the reference.
    Init,
}

/// How a cold start ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cold {
    /// Not measured (a warm-only variant of a row above).
    Skip,
    /// With the first response.
    Response,
    /// With the report on `/init/error` and the exit.
    InitError,
}

pub struct Case {
    pub label: String,
    pub binary: &'static str,
    env: Vars,
    pub table: Table,
    pub cold: Cold,
    /// Answered during the cold start.
    pub first: Value,
    /// When not empty, the cold start of round `i` answers the `i`th of
    /// these instead of `first` (cycling): for a function that must see a
    /// new event each time, as the custom sender, whose idempotency claim
    /// would otherwise short-circuit every start but the first.
    cold_events: Vec<Value>,
    /// Whether an answer is the expected one.
    check: fn(&Value) -> bool,
    /// The answer must also be the event sent, whole (a trigger that
    /// returns its event unchanged).
    whole: bool,
    /// Cycled through during the warm run; empty: no warm run.
    pub warm: Vec<Value>,
    /// Timed warm invocations of this row, when not the run's
    /// `--invocations`: the custom sender's rows, where each is a real send
    /// through moto with a code of its own (`--sends`).
    pub invocations: Option<usize>,
    /// What the case does at init, for the breakdown.
    pub note: String,
    /// A new connection for every Runtime API request
    /// ([`FRESH_CONNECTIONS`]).
    pub fresh_connections: bool,
}

/// A binary, the event it is started on, and what a right answer to that
/// event looks like: what the rows of one function have in common.
struct Subject {
    binary: &'static str,
    event: Value,
    check: fn(&Value) -> bool,
}

impl Subject {
    fn new(binary: &'static str, event: Value, check: fn(&Value) -> bool) -> Subject {
        Subject {
            binary,
            event,
            check,
        }
    }

    /// A row of the main table: a cold start answered with the subject's
    /// event, then a warm run on that same event.
    fn case(&self, label: &str, env: Vars) -> Case {
        Case {
            label: label.to_owned(),
            binary: self.binary,
            env,
            table: Table::Main,
            cold: Cold::Response,
            first: self.event.clone(),
            cold_events: Vec::new(),
            check: self.check,
            whole: false,
            warm: vec![self.event.clone()],
            invocations: None,
            note: String::new(),
            fresh_connections: false,
        }
    }
}

impl Case {
    /// The warm run cycles through `events` instead.
    fn warm(mut self, events: Vec<Value>) -> Case {
        self.warm = events;
        self
    }

    /// A warm run only.
    fn warm_only(mut self) -> Case {
        self.cold = Cold::Skip;
        self
    }

    /// The same warm run, with a new connection per Runtime API request.
    fn with_fresh_connections(&self) -> Case {
        Case {
            label: format!("{}{FRESH_CONNECTIONS}", self.label),
            binary: self.binary,
            env: self.env.clone(),
            table: self.table,
            cold: Cold::Skip,
            first: self.first.clone(),
            cold_events: self.cold_events.clone(),
            check: self.check,
            whole: self.whole,
            warm: self.warm.clone(),
            invocations: self.invocations,
            note: String::new(),
            fresh_connections: true,
        }
    }

    /// What init does, for the breakdown.
    fn note(mut self, note: impl Into<String>) -> Case {
        self.note = note.into();
        self
    }

    /// A row of the init breakdown only: cold starts, no warm run.
    fn init_only(mut self) -> Case {
        self.table = Table::Init;
        self.warm.clear();
        self
    }

    /// Init fails, by design: the cold start ends at `/init/error`.
    fn init_error(mut self) -> Case {
        self.cold = Cold::InitError;
        self
    }

    /// Any answer of this shape is right, not only the subject's.
    fn expecting(mut self, check: fn(&Value) -> bool) -> Case {
        self.check = check;
        self
    }

    pub fn launch(&self) -> Launch {
        Launch::new(self.binary)
            .envs(self.env.iter().cloned())
            .fresh_connections(self.fresh_connections)
    }

    /// Each cold start answers the next of `events` instead of the
    /// subject's event.
    fn cold_events(mut self, events: Vec<Value>) -> Case {
        self.cold_events = events;
        self
    }

    /// `count` timed warm invocations instead of the run's.
    fn invocations(mut self, count: usize) -> Case {
        self.invocations = Some(count);
        self
    }

    /// A right answer is also the event sent, whole.
    fn returning_the_event(mut self) -> Case {
        self.whole = true;
        self
    }

    /// The event the cold start of round `round` (from 0) answers.
    pub fn cold_event(&self, round: usize) -> &Value {
        if self.cold_events.is_empty() {
            &self.first
        } else {
            &self.cold_events[round % self.cold_events.len()]
        }
    }

    /// The events a warm run of `invocations` timed invocations sends, the
    /// warm-up's first.
    pub fn warm_events(&self, invocations: usize) -> impl Iterator<Item = &Value> {
        self.warm.iter().cycle().take(WARM_UP + invocations)
    }

    /// Whether `outcome` is a right answer to `sent`.
    pub fn is_right(&self, sent: &Value, outcome: &Outcome) -> bool {
        matches!(outcome, Outcome::Response(answer)
            if (self.check)(answer) && (!self.whole || answer == sent))
    }

    /// Panics, with the function's output, unless `outcome` is a right
    /// answer to `sent`.
    #[track_caller]
    pub fn expect(&self, sent: &Value, outcome: &Outcome, logs: &[String]) {
        assert!(
            self.is_right(sent, outcome),
            "{}: unexpected answer {outcome:?}; its output:\n{}",
            self.label,
            logs.join("\n")
        );
    }
}

fn pairs(list: &[(&str, &str)]) -> Vars {
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
pub fn token_event(token: &str) -> Value {
    let mut event = event("authorizer/token-allow.json");
    event["authorizationToken"] = Value::String(format!("Bearer {token}"));
    event
}

pub fn allowed(answer: &Value) -> bool {
    answer["policyDocument"]["Statement"][0]["Effect"] == "Allow"
}

fn is_object(answer: &Value) -> bool {
    answer.is_object()
}

fn has_email(answer: &Value) -> bool {
    answer["response"]["emailMessage"].is_string()
}

fn migrated(answer: &Value) -> bool {
    answer["response"]["finalUserStatus"] == "CONFIRMED"
}

/// The sample sign-in of `user_name` with [`LEGACY_PASSWORD`].
fn legacy_sign_in(user_name: &str) -> Value {
    let mut event = event("user-migration/authentication.json");
    event["userName"] = Value::String(user_name.to_owned());
    event["request"]["password"] = Value::String(LEGACY_PASSWORD.to_owned());
    event
}

/// The committed development JWKS, which signs every token here.
pub fn dev_jwks_file() -> String {
    workspace_root()
        .join("tests/fixtures/keys/dev-rsa-1.jwks.json")
        .display()
        .to_string()
}

pub fn authorizer_env() -> Vars {
    vec![
        ("USER_POOL_ID".to_owned(), POOL_ID.to_owned()),
        ("APP_CLIENT_IDS".to_owned(), CLIENT_ID.to_owned()),
        ("JWKS_FILE".to_owned(), dev_jwks_file()),
    ]
}

/// The keys as the `DeployKeys` custom resource hands them in: the
/// development JWKS, minified.
pub fn handed_in_jwks() -> String {
    let path = dev_jwks_file();
    let bytes = std::fs::read(&path).unwrap_or_else(|err| panic!("read {path}: {err}"));
    cognito_auth_core::jwks::minify(&bytes).unwrap_or_else(|err| panic!("{path}: {err}"))
}

/// The authorizer as deployed: keys handed in (`JWKS`), and `JWKS_URL` at
/// `jwks_url` for a kid they lack.
pub fn handed_in_env(jwks_url: &str) -> Vars {
    authorizer_env()
        .into_iter()
        .filter(|(k, _)| k != "JWKS_FILE")
        .chain([
            ("JWKS".to_owned(), handed_in_jwks()),
            ("JWKS_URL".to_owned(), jwks_url.to_owned()),
        ])
        .collect()
}

/// The authorizer fetching its keys from `jwks_url` at init.
pub fn url_env(jwks_url: &str) -> Vars {
    authorizer_env()
        .into_iter()
        .filter(|(k, _)| k != "JWKS_FILE")
        .chain([("JWKS_URL".to_owned(), jwks_url.to_owned())])
        .collect()
}

/// An endpoint where nothing listens, for functions that build SDK clients:
/// a call made by mistake fails at once instead of leaving the machine.
fn closed_endpoint() -> Vars {
    vec![(
        "AWS_ENDPOINT_URL".to_owned(),
        format!("http://127.0.0.1:{}", free_port()),
    )]
}

fn with(mut base: Vars, extra: &[(&str, &str)]) -> Vars {
    base.extend(pairs(extra));
    base
}

/// A trust store of one root certificate, taken from the system's bundle,
/// as `SSL_CERT_FILE` plus an empty `SSL_CERT_DIR`: rustls-native-certs
/// (under the SDK; the authorizer's reqwest uses bundled roots and reads
/// neither variable) then reads and parses one root instead
/// of the system's, which shows what the roots cost. `None` when no bundle
/// is found.
fn one_root_trust_store(dir: &Path) -> Option<Vars> {
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

/// An authorizer's two rows: `labels[0]` verifies a fresh token on every
/// warm invocation, `labels[1]` (warm only) the same token again and again.
fn authorizer_rows(subject: &Subject, labels: [&str; 2], fresh: &[Value], note: &str) -> [Case; 2] {
    [
        subject
            .case(labels[0], authorizer_env())
            .warm(fresh.to_vec())
            .note(note),
        subject.case(labels[1], authorizer_env()).warm_only(),
    ]
}

/// The rows of the floor comparison, measured again with a connection per
/// request: the echo, and the authorizer with the same token, `ROTATION`
/// tokens in rotation and a fresh token each time. Whichever way a harness
/// speaks HTTP, the excess over the echo is measured that way too.
fn fresh_connection_rows(cases: &[Case]) -> Vec<Case> {
    cases
        .iter()
        .filter(|case| [ECHO_ROW, SAME_ROW, ROTATION_ROW, FILE_ROW].contains(&case.label.as_str()))
        .map(Case::with_fresh_connections)
        .collect()
}

/// The revocation check's rows, against the store at `endpoint`.
fn revocation_rows(subject: &Subject, fresh: &[Value], endpoint: &str) -> [Case; 2] {
    let env = with(
        authorizer_env(),
        &[
            ("AWS_ENDPOINT_URL", endpoint),
            ("REVOCATION_TABLE", REVOCATION_TABLE),
            // Every subject of the same token stays cached for the run.
            ("REVOCATION_CACHE_SECONDS", "300"),
        ],
    );
    [
        subject
            .case(REVOCATION_READ_ROW, env.clone())
            .warm(fresh.to_vec())
            .note("+ SDK config loaded, DynamoDB client built, one BatchGetItem to moto"),
        subject.case(REVOCATION_CACHED_ROW, env).warm_only(),
    ]
}

/// The sign-in triggers' rows: cold starts only (the floor section and the
/// init breakdown), each as deployed, its one call answered by moto on
/// 127.0.0.1 (`store`) or the legacy endpoint (`legacy_url`).
fn sign_in_rows(store: &str, legacy_url: &str) -> Vec<Case> {
    let pre_authentication = Subject::new(
        "pre-authentication",
        event("pre-authentication/authentication.json"),
        is_object,
    );
    let post_authentication = Subject::new(
        "post-authentication",
        event("post-authentication/authentication.json"),
        is_object,
    );
    let profile = [("AWS_ENDPOINT_URL", store), ("USERS_TABLE", PROFILE_TABLE)];
    let mut rows = vec![
        pre_authentication
            .case(
                PRE_AUTHENTICATION_ROW,
                with(
                    pairs(&profile),
                    &[
                        ("SUSPENDED_ATTRIBUTE", "status"),
                        ("SUSPENDED_VALUES", "suspended"),
                    ],
                ),
            )
            .note("SDK config loaded, DynamoDB client built, one GetItem to moto"),
        post_authentication
            .case(
                POST_AUTHENTICATION_ROW,
                with(pairs(&profile), &[("RECORD_SIGN_INS", "true")]),
            )
            .note("SDK config loaded, DynamoDB client built, one UpdateItem to moto"),
    ];
    for (label, (user, spec)) in [MIGRATION_ARGON_ROW, MIGRATION_PBKDF2_ROW]
        .into_iter()
        .zip(LEGACY_USERS)
    {
        rows.push(
            Subject::new("user-migration", legacy_sign_in(user), migrated)
                .case(
                    label,
                    pairs(&[
                        ("AWS_ENDPOINT_URL", store),
                        ("LEGACY_USERS_TABLE", LEGACY_TABLE),
                        ("LEGACY_HASH_DEFAULT", spec),
                        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024"),
                    ]),
                )
                .note(format!(
                    "dummy {spec} hashed at init, SDK config, client, one GetItem to moto, \
                     the user's hash verified"
                )),
        );
    }
    rows.push(
        Subject::new(
            "user-migration",
            legacy_sign_in(LEGACY_USERS[0].0),
            migrated,
        )
        .case(
            MIGRATION_ENDPOINT_ROW,
            pairs(&[
                ("LEGACY_ENDPOINT_URL", legacy_url),
                ("LEGACY_ENDPOINT_SECRET", LEGACY_ENDPOINT_SECRET),
            ]),
        )
        .note("reqwest client built (bundled roots), one signed POST, plain http to 127.0.0.1"),
    );
    rows.into_iter().map(Case::init_only).collect()
}

/// The custom sender's rows, as deployed but for the endpoint (`store`,
/// moto): `KEY_ARN` the key `events` are encrypted under.
fn sender_rows(events: &SenderEvents, store: &str) -> Vec<Case> {
    let env = pairs(&[
        ("AWS_ENDPOINT_URL", store),
        ("KEY_ARN", &events.key_arn),
        ("IDEMPOTENCY_TABLE", SENDER_TABLE),
        ("EMAIL_FROM", SENDER_FROM),
        ("APP_NAME", "Acme & Co"),
    ]);
    let Some(first) = events.cold.first() else {
        return Vec::new();
    };
    let email = Subject::new(SENDER, first.clone(), is_object);
    let sms = Subject::new(SENDER, events.sms[0].clone(), is_object);
    let unknown = Subject::new(
        SENDER,
        event("custom-sender/unknown-source.json"),
        is_object,
    );
    vec![
        email
            .case(SENDER_EMAIL_ROW, env.clone())
            .returning_the_event()
            .cold_events(events.cold.clone())
            .warm(events.email.clone())
            .invocations(events.sends)
            .note(
                "templates checked, SDK config, 4 clients; then KMS Decrypt, PutItem, \
                 SendEmail, UpdateItem to moto (Python on 127.0.0.1): moto's time included",
            ),
        sms.case(SENDER_SMS_ROW, env.clone())
            .returning_the_event()
            .warm(events.sms.clone())
            .invocations(events.sends)
            .warm_only(),
        // Its warm run (the run's `--invocations`: no call to moto) is
        // the function's own floor per invocation: the event read, a log
        // line and a metric, without decrypting, rendering or sending.
        unknown
            .case(SENDER_INIT_ROW, env)
            .returning_the_event()
            .note("templates checked, SDK config, 4 clients; the event returned untouched"),
    ]
}

/// Every row, in the order of the tables. `store`: the revocation store's
/// endpoint, for the rows with the check on, and moto's for the sign-in
/// triggers; `slow_jwks_url`: the JWKS server answering after
/// [`crate::JWKS_DELAY`]; `legacy_url`: the legacy endpoint user-migration
/// calls; `sender`: the custom sender's events with their codes (none:
/// no custom-sender rows).
pub fn cases(
    staged: &Staged,
    tokens: &[String],
    jwks_url: &str,
    slow_jwks_url: &str,
    store: &str,
    legacy_url: &str,
    sender: Option<&SenderEvents>,
) -> Vec<Case> {
    let fresh: Vec<Value> = tokens.iter().map(|token| token_event(token)).collect();
    let first = &fresh[0];
    let echo = Subject::new(ECHO, first.clone(), is_object);
    let authorizer = Subject::new("authorizer", first.clone(), allowed);
    let pre_sign_up = Subject::new("pre-sign-up", event("pre-sign-up/sign-up.json"), is_object);
    let post_confirmation = Subject::new(
        "post-confirmation",
        event("post-confirmation/confirm-forgot-password.json"),
        is_object,
    );
    let custom_message = Subject::new(
        "custom-message",
        event("custom-message/sign-up.json"),
        has_email,
    );
    let provisioning = with(
        closed_endpoint(),
        &[("DEFAULT_GROUP", "users"), ("USERS_TABLE", "users")],
    );
    let (rules, rules_bytes) = write_rules(&staged.root);
    let url_only = url_env(jwks_url);

    let mut cases = vec![
        echo.case(ECHO_ROW, Vec::new())
            .note("lambda_runtime and tokio only: the event returned as it came"),
    ];
    cases.extend(authorizer_rows(
        &authorizer,
        [FILE_ROW, SAME_ROW],
        &fresh,
        "JWKS_FILE read, keys parsed",
    ));
    cases.push(
        authorizer
            .case(ROTATION_ROW, authorizer_env())
            .warm(fresh.iter().take(ROTATION).cloned().collect())
            .warm_only(),
    );
    let fresh_connections = fresh_connection_rows(&cases);
    cases.extend(fresh_connections);
    cases.extend(revocation_rows(&authorizer, &fresh, store));
    if staged.node.is_ok() {
        cases.extend(authorizer_rows(
            &Subject::new(NODE_AUTHORIZER, first.clone(), allowed),
            [
                "node aws-jwt-verify, fresh tokens",
                "node aws-jwt-verify, same token",
            ],
            &fresh,
            "node starts, loads aws-jwt-verify, cacheJwks from the file",
        ));
    }
    cases.extend([
        pre_sign_up
            .case("pre-sign-up", pairs(&[("BLOCK_DISPOSABLE_EMAILS", "true")]))
            .note("BLOCK_DISPOSABLE_EMAILS=true (template default): disposable list loaded"),
        post_confirmation
            .case("post-confirmation (harness floor)", provisioning.clone())
            .note("DEFAULT_GROUP + USERS_TABLE (as deployed): SDK config loaded, 2 clients built"),
        custom_message
            .case("custom-message", pairs(&[("APP_NAME", "Example")]))
            .note("built-in templates parsed, each rendered once to check it"),
    ]);
    // The init breakdown, the reference first.
    let mut init = vec![
        post_confirmation
            .case(REFERENCE, Vec::new())
            .note("the reference: variables read, no client built"),
        pre_sign_up
            .case("pre-sign-up, BLOCK_DISPOSABLE_EMAILS=false", Vec::new())
            .note("no list loaded"),
        pre_sign_up
            .case(
                "pre-sign-up, LINK_FEDERATED_USERS=true",
                with(
                    closed_endpoint(),
                    &[
                        ("LINK_FEDERATED_USERS", "true"),
                        ("LINK_PROVIDER_DOMAINS", "Google=example.com"),
                    ],
                ),
            )
            .note("SDK config loaded, Cognito client built (no list)"),
        // The rules only name their own paths, so the answer is a Deny
        // policy: still an answer, which is all this case needs. So many
        // rules fit no stage-wide policy: init refuses them in the default
        // `stage` scope, so they run in `route`.
        authorizer
            .case(
                "authorizer, JWKS_FILE + AUTHZ_RULES",
                with(
                    authorizer_env(),
                    &[
                        ("AUTHZ_RULES", &rules.display().to_string()),
                        ("AUTHZ_POLICY_SCOPE", "route"),
                    ],
                ),
            )
            .expecting(is_object)
            .note(format!(
                "+ {RULE_COUNT} rules parsed from a {} KB file",
                rules_bytes / 1000
            )),
        authorizer
            .case(URL_ROW, url_only)
            .note("reqwest client built (bundled webpki roots) + 1 fetch, plain http to 127.0.0.1"),
        authorizer
            .case(HANDED_IN_ROW, handed_in_env(slow_jwks_url))
            .note("JWKS parsed from the variable: no file, no fetch"),
        authorizer
            .case(SLOW_URL_ROW, url_env(slow_jwks_url))
            .note("reqwest client built + 1 fetch answered after 20 ms"),
    ];
    if let Some(trust) = one_root_trust_store(&staged.root) {
        init.push(
            post_confirmation
                .case(
                    "post-confirmation as deployed, 1 root",
                    [provisioning, trust].concat(),
                )
                .note("as deployed, with a 1-certificate trust store: the SDK without the roots"),
        );
    }
    init.push(
        custom_message
            .case("custom-message, APP_NAME unset", Vec::new())
            .expecting(is_object)
            .init_error()
            .note("exec to /init/error and exit: no template loaded"),
    );
    cases.extend(init.into_iter().map(Case::init_only));
    cases.extend(sign_in_rows(store, legacy_url));
    if let Some(events) = sender {
        cases.extend(sender_rows(events, store));
    }
    cases
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_file_the_cases_use_exists() {
        for path in [
            "authorizer/token-allow.json",
            "post-confirmation/confirm-forgot-password.json",
            "pre-sign-up/sign-up.json",
            "custom-message/sign-up.json",
            "pre-authentication/authentication.json",
            "post-authentication/authentication.json",
            "user-migration/authentication.json",
            "custom-sender/unknown-source.json",
            "custom-sender/sign-up-email.json",
            "custom-sender/sign-up-sms.json",
        ] {
            assert!(event(path).is_object(), "{path}");
        }
    }
}
