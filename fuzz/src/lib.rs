//! The fuzz targets' bodies. Each `fuzz_targets/<name>.rs` is one line that
//! calls the function of the same name here, so the targets stay readable
//! and a crash reproduces with `cargo fuzz run <name> <file>`.
//!
//! Every target drives a public entry point with the configuration in
//! `env/*.env` (the same files `tests/tests/e2e/abuse/` gives the real
//! binaries when it replays the seed corpus on stable), and checks
//! invariants on top of "no panic": a finding is a panic, an abort, a hang
//! (libFuzzer's `-timeout`) or memory blow-up (`-rss_limit_mb`), or one of
//! the assertions below failing.
//!
//! | target | input | entry point |
//! |---|---|---|
//! | `token_verify` | a compact token, as text | `Verifier::verify` |
//! | `token_signed` | header JSON, `\n`, payload JSON; signed here with the dev key | `Verifier::verify` |
//! | `jwks_parse` | a JWKS document | `jwks::KeySet::parse` |
//! | `authorizer_event` | an event, as JSON | `authorizer::State::handle` |
//! | `authorizer_rules` | `AUTHZ_RULES`, inline JSON | `RuleSet::from_env`, then `Evaluation`, `check_stage`, `stage_policy`, `route_policy`, `allows_route` |
//! | `pre_sign_up_event` | an event, as JSON | `pre_sign_up::State::handle` (two configurations) |
//! | `post_confirmation_event` | an event, as JSON | `post_confirmation::State::handle`, `Plan::for_sign_up` |
//! | `custom_message_event` | an event, as JSON | `custom_message::State::handle` |
//! | `custom_message_attributes` | `userAttributes`, as JSON | `custom_message::State::handle`, once per trigger source |
//!
//! Nothing here touches the network except the verifier's one JWKS fetch
//! attempt for an unknown `kid`, aimed at a closed port on 127.0.0.1.

pub mod checks;

use std::cell::RefCell;
use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use cognito_auth_core::config::{Env, FromEnv};
use cognito_auth_core::function::Function;
use cognito_auth_core::jwks::KeySet;
use cognito_auth_core::policy::MethodArn;
use cognito_auth_core::{Claims, Verifier, VerifierConfig, VerifyError};
use lambda_runtime::{Context, Diagnostic, LambdaEvent};
use serde_json::{Value, json};

// ---- Fixtures -------------------------------------------------------------------

pub use checks::{API_ARN, CLIENT, ISSUER, MARKUP_MARKER, POOL};
/// The kid of the development key in `tests/fixtures/keys/dev-rsa-1.jwks.json`.
pub const DEV_KID: &str = "dev-key-1";

// The shared checks hold Cognito's limits without depending on the
// custom-message crate: they must agree with it.
const _: () = assert!(checks::SUBJECT_LIMIT == custom_message::limits::SUBJECT_LIMIT);
const _: () = assert!(checks::EMAIL_LIMIT == custom_message::limits::EMAIL_LIMIT);
const _: () = assert!(checks::SMS_LIMIT == custom_message::limits::SMS_LIMIT);

const VERIFIER_ENV: &str = include_str!("../env/verifier.env");
const AUTHORIZER_ENV: &str = include_str!("../env/authorizer.env");
const PRE_SIGN_UP_A_ENV: &str = include_str!("../env/pre-sign-up-a.env");
const PRE_SIGN_UP_B_ENV: &str = include_str!("../env/pre-sign-up-b.env");
const POST_CONFIRMATION_ENV: &str = include_str!("../env/post-confirmation.env");
const POST_CONFIRMATION_PLAN_ENV: &str = include_str!("../env/post-confirmation-plan.env");
const CUSTOM_MESSAGE_ENV: &str = include_str!("../env/custom-message.env");
const USER_MIGRATION_ENV: &str = include_str!("../env/user-migration.env");
const DEV_KEY_PEM: &str = include_str!("../../tests/fixtures/keys/dev-rsa-1.pem");

/// The workspace root, for `${ROOT}` in the env files.
fn root() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/..")
}

/// `KEY=VALUE` lines of env files, by [`checks::env_pairs`]' rules (which
/// `tests/tests/e2e/abuse/` shares).
pub fn env_pairs(files: &[&str]) -> Vec<(String, String)> {
    files
        .iter()
        .flat_map(|file| checks::env_pairs(file, root()))
        .collect()
}

fn env(files: &[&str]) -> Env {
    Env::from_pairs(env_pairs(files))
}

thread_local! {
    static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime");
}

/// Runs `future` to completion on this thread's runtime.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    RUNTIME.with(|runtime| runtime.block_on(future))
}

/// Keeps one lazily built value per thread (libFuzzer runs one thread).
macro_rules! per_thread {
    ($name:ident: $ty:ty = $init:expr) => {
        fn $name<R>(f: impl FnOnce(&$ty) -> R) -> R {
            thread_local! {
                static VALUE: RefCell<Option<&'static $ty>> = const { RefCell::new(None) };
            }
            let value = VALUE.with(|cell| {
                *cell
                    .borrow_mut()
                    .get_or_insert_with(|| Box::leak(Box::new($init)))
            });
            f(value)
        }
    };
}

per_thread!(verifier: Verifier = block_on(Verifier::new(
    VerifierConfig::from_env(&env(&[VERIFIER_ENV])).expect("env/verifier.env is valid")
))
.expect("the verifier starts"));

per_thread!(signing_key: aws_lc_rs::signature::RsaKeyPair = {
    let body: String = DEV_KEY_PEM
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let der = STANDARD.decode(body).expect("the dev key PEM is base64");
    aws_lc_rs::signature::RsaKeyPair::from_pkcs8(&der).expect("the dev key is PKCS#8 RSA")
});

/// `base64url(header) "." base64url(payload) "." RS256 signature` with the
/// development key: what `e2e_tests::tokens::sign_raw` makes.
pub fn sign(header_json: &[u8], payload_json: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header_json),
        URL_SAFE_NO_PAD.encode(payload_json)
    );
    let signature = signing_key(|key| {
        let mut signature = vec![0; key.public_modulus_len()];
        key.sign(
            &aws_lc_rs::signature::RSA_PKCS1_SHA256,
            &aws_lc_rs::rand::SystemRandom::new(),
            input.as_bytes(),
            &mut signature,
        )
        .expect("RS256 signing");
        signature
    });
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// A valid access token for [`POOL`] and [`CLIENT`], good until 2100.
fn fixture_token(groups: &[&str], scope: &str) -> String {
    let header = json!({"kid": DEV_KID, "alg": "RS256"});
    let payload = json!({
        "sub": format!("fuzz-user-{}", groups.len()),
        "iss": ISSUER,
        "client_id": CLIENT,
        "token_use": "access",
        "scope": scope,
        "username": "fuzz",
        "cognito:groups": groups,
        "iat": 1_700_000_000u64,
        "auth_time": 1_700_000_000u64,
        "exp": 4_102_444_800u64,
    });
    sign(
        header.to_string().as_bytes(),
        payload.to_string().as_bytes(),
    )
}

/// Parses fuzz bytes as one JSON value, the way lambda_runtime would.
fn json(data: &[u8]) -> Option<Value> {
    serde_json::from_slice(data).ok()
}

fn lambda_event(payload: Value) -> LambdaEvent<Value> {
    LambdaEvent::new(payload, Context::default())
}

/// What failure messages call the input: libFuzzer saves the input itself.
const CASE: &str = "the fuzz input";

// ---- The token path ------------------------------------------------------------

/// Checks what the verifier said about `token` ([`checks::check_verdict`]),
/// and that a verified token verifies again to the same claims.
fn check_verdict(token: &str, result: Result<Claims, VerifyError>) {
    checks::check_verdict(CASE, token, &result);
    if let Ok(claims) = result {
        // The second call may come from the verified-token cache: it must
        // say exactly the same.
        let again = verifier(|verifier| block_on(verifier.verify(token)))
            .expect("a verified token verifies again");
        assert_eq!(again, claims, "the cache changed the claims");
    }
}

/// `token_verify`: the bytes, as text, are the token.
pub fn token_verify(data: &[u8]) {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let result = verifier(|verifier| block_on(verifier.verify(token)));
    check_verdict(token, result);
}

/// `token_signed`: header JSON, a newline, payload JSON; signed with the dev
/// key, so the fuzzer reaches the claim checks that follow the signature.
pub fn token_signed(data: &[u8]) {
    let (header, payload) = match data.iter().position(|&b| b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &b""[..]),
    };
    let token = sign(header, payload);
    let result = verifier(|verifier| block_on(verifier.verify(&token)));
    check_verdict(&token, result);
}

/// `jwks_parse`: a JWKS document as the endpoint (or `JWKS_FILE`) sends it.
pub fn jwks_parse(data: &[u8]) {
    if let Ok(set) = KeySet::parse(data) {
        checks::check_key_set(CASE, &set);
    }
}

// ---- The authorizer ---------------------------------------------------------------

per_thread!(authorizer_state: authorizer::State = block_on(authorizer::State::new(
    authorizer::Config::from_env(&env(&[VERIFIER_ENV, AUTHORIZER_ENV]))
        .expect("env/authorizer.env is valid")
))
.expect("the authorizer starts"));

/// The credential-bearing members, removed to see what else the event says.
fn without_credentials(event: &Value) -> String {
    let mut event = event.clone();
    if let Some(fields) = event.as_object_mut() {
        for name in [
            "authorizationToken",
            "headers",
            "multiValueHeaders",
            "identitySource",
        ] {
            fields.remove(name);
        }
    }
    event.to_string()
}

/// `authorizer_event`: one event, as API Gateway would send it.
pub fn authorizer_event(data: &[u8]) {
    use authorizer::FnError;
    use authorizer::event::Kind;

    let Some(event) = json(data) else {
        return;
    };
    let kind = Kind::detect(&event);
    let others = without_credentials(&event);
    let token = event
        .get("authorizationToken")
        .or_else(|| event.pointer("/headers/Authorization"))
        .or_else(|| event.pointer("/headers/authorization"))
        .or_else(|| event.pointer("/identitySource/0"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let result =
        authorizer_state(|state| block_on(state.handle(lambda_event(event.clone()))));

    match (&result, kind) {
        (Err(FnError::InvalidEvent), _) => {}
        (_, None) => panic!("a non-authorizer event was answered: {result:?}"),
        (Err(FnError::Unauthorized | FnError::FailedClosed), Some(kind)) => {
            assert!(kind.answers_with_policy(), "HTTP API 2.0 got a 401 error");
        }
        (Ok(answer), Some(kind)) if kind.answers_with_policy() => {
            checks::check_policy_answer(CASE, answer);
        }
        (Ok(answer), Some(_)) => {
            assert!(answer["isAuthorized"].is_boolean(), "{answer}");
        }
    }
    let diagnostic = result.map_or_else(
        |error| {
            let diagnostic = Diagnostic::from(error);
            format!("{} {}", diagnostic.error_type, diagnostic.error_message)
        },
        |answer| answer.to_string(),
    );
    if let Some(credential) = token {
        // No part of the credential comes back, unless the rest of the event
        // also holds it (a path can hold anything).
        for part in credential.split(['.', ' ']).filter(|part| part.len() >= 24) {
            assert!(
                diagnostic.matches(part).count() <= others.matches(part).count(),
                "the answer echoes the credential: {diagnostic}"
            );
        }
    }
}

per_thread!(rule_callers: Vec<Claims> = [
    fixture_token(&["admins"], "pets/write openid"),
    fixture_token(&[], "openid"),
]
.iter()
.map(|token| {
    verifier(|verifier| block_on(verifier.verify(token))).expect("fixture token verifies")
})
.collect());

/// Concrete paths that a rule pattern matches, and a few that it nearly
/// matches, for probing.
fn probe_paths(patterns: impl Iterator<Item = String>) -> Vec<String> {
    let mut paths: Vec<String> = [
        "/",
        "/pets",
        "/pets/42",
        "/pets/42/secrets",
        "/admin/users/1",
        "/x",
    ]
    .map(str::to_owned)
    .to_vec();
    for pattern in patterns.take(24) {
        paths.push(pattern.replace('*', "x"));
        paths.push(pattern.replace('*', "x/y"));
        paths.push(pattern.replace('*', ""));
        paths.push(format!("{}/z", pattern.replace('*', "x")));
    }
    paths.sort();
    paths.dedup();
    paths
}

/// Concrete paths an HTTP API route template can receive: every `{name}`
/// and `{name+}` replaced by one of `values` (and a greedy one also by two
/// segments).
fn route_instances(template: &str, values: &[String]) -> Vec<String> {
    let mut instances = Vec::new();
    for (index, value) in values.iter().enumerate() {
        let deeper = format!("{value}/{}", values[(index + 1) % values.len()]);
        for greedy in [value.as_str(), deeper.as_str()] {
            let path: Vec<String> = template
                .split('/')
                .map(|segment| {
                    match segment
                        .strip_prefix('{')
                        .and_then(|inner| inner.strip_suffix('}'))
                    {
                        Some(name) if name.ends_with('+') => greedy.to_owned(),
                        Some(_) => value.clone(),
                        None => segment.to_owned(),
                    }
                })
                .collect();
            instances.push(path.join("/"));
        }
    }
    instances.sort();
    instances.dedup();
    instances
}

/// `authorizer_rules`: `AUTHZ_RULES` as the operator writes it (inline JSON;
/// a path to a file is not fuzzed). For two callers:
/// - REST, `stage` scope, when init accepts the rules (`check_stage`): the
///   one cached IAM policy allows exactly what the rules allow
///   (`Evaluation::allows`) for every probe call;
/// - REST, `route` scope, for every resource template: the answer allows
///   its own call exactly as the rules do, and nothing the rules refuse;
/// - HTTP API 2.0: a route the caller is authorized for
///   (`Evaluation::allows_route`, cached per route key) only receives
///   calls the rules allow.
pub fn authorizer_rules(data: &[u8]) {
    use authorizer::config::AUTHZ_RULES;
    use authorizer::decide::{Caller, Evaluation};
    use authorizer::{iam_policy, stage_check};
    use authorizer::route_rules::{MAX_RULES, RuleSet};
    use authorizer::template::Template;
    use cognito_auth_core::policy::HTTP_VERBS;

    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if !text.trim_start().starts_with(['[', '{']) {
        return;
    }
    let rules = match RuleSet::from_env(&Env::from_pairs([(AUTHZ_RULES, text)]), &[POOL]) {
        Ok(Some(rules)) => rules,
        Ok(None) => return,
        Err(error) => {
            assert_eq!(error.variable, AUTHZ_RULES.name);
            return;
        }
    };
    assert!((1..=MAX_RULES).contains(&rules.rules().len()));
    let stage_accepted = stage_check::check_stage(&rules, stage_check::resource_prefix_len(None)).is_ok();
    let paths = probe_paths(
        rules
            .rules()
            .iter()
            .map(|rule| rule.template.iam_pattern().replace('?', "")),
    );
    let verbs = ["GET", "POST", "DELETE", "OPTIONS"];
    // Route templates: the rules' own paths (with `*` as a parameter), and
    // the usual greedy ones.
    let mut templates: Vec<String> = ["/", "/pets/{id}", "/pets/{proxy+}", "/{proxy+}"]
        .map(str::to_owned)
        .to_vec();
    templates.extend(
        rules
            .rules()
            .iter()
            .map(|rule| rule.path.replace("/*", "/{star}"))
            .take(8),
    );
    templates.sort();
    templates.dedup();
    // What a parameter stands for: the rules' literal segments, and more.
    let mut values: Vec<String> = rules
        .rules()
        .iter()
        .flat_map(|rule| rule.path.split('/').map(str::to_owned).collect::<Vec<_>>())
        .filter(|segment| !segment.is_empty() && !segment.contains(['{', '}', '*']))
        .take(4)
        .collect();
    values.extend(["x".to_owned(), "secrets".to_owned()]);
    values.dedup();
    rule_callers(|callers| {
        for claims in callers {
            let caller = Caller::new(claims);
            let evaluation = Evaluation::new(&rules, &caller);
            let Ok(trigger) = MethodArn::parse(&format!("{API_ARN}/prod/GET/pets/42")) else {
                panic!("the trigger ARN parses");
            };
            let stage_policy = stage_accepted.then(|| iam_policy::stage_policy(&evaluation, &trigger));
            for verb in verbs {
                for path in &paths {
                    let arn = format!("{API_ARN}/prod/{verb}{path}");
                    if MethodArn::parse(&arn).is_err() {
                        continue;
                    }
                    let decided = evaluation.allows(verb, path);
                    if let Some(policy) = &stage_policy {
                        let cached = policy.allows(&arn);
                        assert_eq!(
                            cached, decided,
                            "{verb} {path}: the stage policy says {cached}, the rules {decided}; \
                             groups {:?}",
                            claims.groups
                        );
                    }
                }
            }
            for template in &templates {
                let Some(parsed) = Template::parse_route(template) else {
                    continue;
                };
                for path in route_instances(template, &values) {
                    let Ok(call) = MethodArn::parse(&format!("{API_ARN}/prod/GET{path}")) else {
                        continue;
                    };
                    let (policy, _) = iam_policy::route_policy(&evaluation, &call, Some(&parsed));
                    assert_eq!(
                        policy.allows(&call.to_string()),
                        evaluation.allows("GET", &path)
                    );
                    for verb in verbs {
                        for probe in &paths {
                            let arn = format!("{API_ARN}/prod/{verb}{probe}");
                            assert!(
                                !policy.allows(&arn) || evaluation.allows(verb, probe),
                                "the route answer for GET {path} ({template}) lets {verb} {probe} through"
                            );
                        }
                    }
                }
                for route_verb in [Some("GET"), Some("DELETE"), None] {
                    if !evaluation.allows_route(route_verb, &parsed) {
                        continue;
                    }
                    let verbs = match route_verb {
                        Some(verb) => vec![verb],
                        None => HTTP_VERBS.to_vec(),
                    };
                    for path in route_instances(template, &values) {
                        for verb in &verbs {
                            assert!(
                                evaluation.allows(verb, &path),
                                "route {route_verb:?} {template} is authorized, but the rules \
                                 refuse {verb} {path}; groups {:?}",
                                claims.groups
                            );
                        }
                    }
                }
            }
        }
    });
}

// ---- The Cognito triggers ---------------------------------------------------------

per_thread!(pre_sign_up_states: Vec<pre_sign_up::State> = [PRE_SIGN_UP_A_ENV, PRE_SIGN_UP_B_ENV]
    .iter()
    .map(|file| {
        let config = pre_sign_up::Config::from_env(&env(&[file]))
            .expect("env/pre-sign-up-*.env is valid");
        block_on(pre_sign_up::State::new(config))
    })
    .collect());

/// `pre_sign_up_event`: one event, through both configurations.
pub fn pre_sign_up_event(data: &[u8]) {
    let Some(event) = json(data) else {
        return;
    };
    pre_sign_up_states(|states| {
        for state in states {
            match block_on(state.handle(lambda_event(event.clone()))) {
                Ok(returned) => checks::assert_envelope_kept(CASE, &event, &returned),
                Err(error) => {
                    let diagnostic = Diagnostic::from(error);
                    assert!(
                        !diagnostic.error_message.contains('@'),
                        "the user sees an address: {}",
                        diagnostic.error_message
                    );
                }
            }
        }
    });
}

per_thread!(post_confirmation_state: post_confirmation::State = block_on(
    post_confirmation::State::new(
        post_confirmation::Config::from_env(&env(&[POST_CONFIRMATION_ENV]))
            .expect("env/post-confirmation.env is valid")
    )
));

per_thread!(post_confirmation_plan_config: post_confirmation::Config =
    post_confirmation::Config::from_env(&env(&[POST_CONFIRMATION_PLAN_ENV]))
        .expect("env/post-confirmation-plan.env is valid"));

/// `post_confirmation_event`: the handler (with nothing to provision, so no
/// AWS call), then the provisioning plan with a group and a table.
pub fn post_confirmation_event(data: &[u8]) {
    use cognito_auth_core::trigger::TriggerEvent;
    use post_confirmation::{Plan, provision::PARTITION_KEY};

    let Some(event) = json(data) else {
        return;
    };
    let result = post_confirmation_state(|state| {
        block_on(state.handle(lambda_event(event.clone())))
    });
    if let Ok(returned) = result {
        assert_eq!(
            returned, event,
            "post confirmation returns the event as sent"
        );
    }
    let Ok(trigger) = TriggerEvent::from_value(event) else {
        return;
    };
    post_confirmation_plan_config(|config| {
        if let Ok(plan) = Plan::for_sign_up(config, &trigger, SystemTime::now()) {
            let membership = plan.membership.expect("DEFAULT_GROUP is set");
            assert!(!membership.user_pool_id.is_empty() && !membership.user_name.is_empty());
            let profile = plan.profile.expect("USERS_TABLE is set");
            assert!(profile.item.contains_key(PARTITION_KEY));
        }
    });
}

per_thread!(custom_message_state: custom_message::State = custom_message::State::new(
    custom_message::Config::from_env(&env(&[CUSTOM_MESSAGE_ENV]))
        .expect("env/custom-message.env is valid")
)
.expect("the templates load"));

/// Checks one custom-message answer ([`checks::check_custom_message`]),
/// and that the shared list of sources is the crate's.
fn check_custom_message(sent: &Value, returned: &Value) {
    let trigger = sent["triggerSource"].as_str().unwrap_or_default();
    assert_eq!(
        custom_message::Source::from_trigger(trigger).is_some(),
        checks::CUSTOM_MESSAGE_SOURCES.contains(&trigger),
        "checks::CUSTOM_MESSAGE_SOURCES disagrees with the crate on {trigger:?}"
    );
    checks::check_custom_message(CASE, sent, returned);
}

fn custom_message_respond(event: &Value) {
    let result = custom_message_state(|state| {
        block_on(state.handle(lambda_event(event.clone())))
    });
    if let Ok(returned) = result {
        check_custom_message(event, &returned);
    }
}

/// `custom_message_event`: one event, as Cognito would send it.
pub fn custom_message_event(data: &[u8]) {
    let Some(event) = json(data) else {
        return;
    };
    // The marker check assumes the marker only comes from attributes; a
    // placeholder is inserted raw by design, so skip events that put it there.
    if event["request"]["codeParameter"]
        .to_string()
        .to_ascii_lowercase()
        .contains(MARKUP_MARKER)
        || ["usernameParameter", "linkParameter"].iter().any(|name| {
            event["request"][*name]
                .to_string()
                .to_ascii_lowercase()
                .contains(MARKUP_MARKER)
        })
    {
        return;
    }
    custom_message_respond(&event);
}

/// `custom_message_attributes`: hostile `userAttributes` (a JSON object; a
/// `clientMetadata` member inside it, if any, becomes the event's
/// `clientMetadata`), rendered for every trigger source.
pub fn custom_message_attributes(data: &[u8]) {
    let Some(Value::Object(mut attributes)) = json(data) else {
        return;
    };
    let client_metadata = attributes.remove("clientMetadata").unwrap_or(Value::Null);
    let attributes = Value::Object(std::mem::take(&mut attributes));
    for source in custom_message::Source::ALL {
        let event = checks::attributes_event(
            source.trigger(),
            attributes.clone(),
            client_metadata.clone(),
        );
        custom_message_respond(&event);
    }
}

/// `revocation_event`: the recorder's decision on any JSON value, and its
/// `eventTime` parser on any text. A recorded plan names a configured pool
/// and a user a key can hold; a parsed time reads back the same.
pub fn revocation_event(data: &[u8]) {
    use cognito_auth_core::ids::UserPoolId;
    use revocation_recorder::cloudtrail::{self, Decision, User};

    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(seconds) = cloudtrail::parse_event_time(text) {
            assert!(text.ends_with('Z') && text.len() >= 20, "{text:?} parsed");
            assert!(seconds < 253_402_300_800, "{text:?} is before year 10000");
        }
    }
    let Some(event) = json(data) else {
        return;
    };
    let pools = [UserPoolId::parse("us-east-1_Example1").expect("a pool id")];
    if let Ok(Decision::Record(plan)) = cloudtrail::decide(&event, &pools) {
        assert_eq!(plan.pool, pools[0]);
        match &plan.user {
            User::Sub(sub) => {
                assert!(cloudtrail::is_sub(sub) && !cloudtrail::is_hidden(sub));
            }
            User::Username(name) => {
                assert!(plan.call.is_admin());
                assert!(cloudtrail::is_username(name) && !cloudtrail::is_hidden(name));
            }
        }
        let key = cognito_auth_core::revocation::Subject::User {
            pool: plan.pool.clone(),
            sub: "s".to_owned(),
        }
        .key();
        assert!(key.len() <= cognito_auth_core::revocation::MAX_KEY_BYTES);
    }
}

/// `revocation_item_and_sign_out_body`: the store's `not_before` parser and
/// the sign-out body and event parsers on the same bytes. An accepted
/// `not_before` is 1 to 12 digits and reads back its value; an accepted body
/// keeps to its limits; an event never panics.
pub fn revocation_item_and_sign_out_body(data: &[u8]) {
    use cognito_auth_core::revocation::Revocation;
    use sign_out::request::{self, Request, Scope};

    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(revocation) = Revocation::from_number_text(text) {
            assert!((1..=12).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()));
            assert_eq!(text.parse::<u64>().ok(), Some(revocation.not_before));
        }
    }
    if let Ok(body) = request::parse_body(data) {
        assert!(data.len() <= request::MAX_BODY_BYTES);
        if let Some(token) = &body.refresh_token {
            assert_eq!(body.scope, Scope::Session);
            assert!(!token.is_empty() && token.len() <= request::MAX_REFRESH_TOKEN_BYTES);
            assert!(!token.contains(char::is_whitespace));
        }
    }
    if let Some(event) = json(data) {
        if let Ok(request) = Request::from_event(&event) {
            if let Ok(token) = request.token() {
                assert!(!token.is_empty() && !token.contains(char::is_whitespace));
            }
            let _ = request.body();
        }
    }
}

// ---- User migration -------------------------------------------------------------

/// `user_migration_hash`: any text as a stored legacy hash. Reading and
/// pricing never panic, whatever the parameters (a huge `m` or `ln` is
/// priced, never allocated); what an error says never quotes the salt or
/// the hash; and a hash cheap enough is verified without panicking.
pub fn user_migration_hash(data: &[u8]) {
    use user_migration::hash::{ParseError, StoredHash, check_cost};

    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match StoredHash::parse(text) {
        Ok(hash) => {
            let cost = hash.cost();
            assert_eq!(cost.kind, hash.kind());
            let _ = hash.params();
            // At most ~5 ms of work on a whole vCPU: the fuzzer stays fast.
            if check_cost(hash.cost_params(), 1_769, 5).is_ok() {
                let _ = hash.verify(b"fuzz-password");
            }
        }
        Err(error) => {
            if let ParseError::Unsupported { algorithm } = &error {
                assert!(
                    algorithm.starts_with('(')
                        || algorithm
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                    "an unsupported algorithm is named by an identifier only: {algorithm}"
                );
            }
            let said = error.to_string();
            for part in text.split('$').skip(2).filter(|part| part.len() >= 8) {
                assert!(!said.contains(part), "the error quotes the hash: {said}");
            }
        }
    }
}

per_thread!(user_migration_config: user_migration::Config =
    user_migration::Config::from_env(&env(&[USER_MIGRATION_ENV]))
        .expect("env/user-migration.env is valid"));

/// `user_migration_event`: an event, and its `legacyItem` member (a JSON
/// object of strings, numbers and booleans) as the legacy record. The
/// answer's attributes are ones a trigger may set: never `sub` nor the
/// hash, every value a string Cognito stores (at most 2,048 characters),
/// the verified flags `true` or `false` and only beside their address.
pub fn user_migration_event(data: &[u8]) {
    use aws_sdk_dynamodb::types::AttributeValue;
    use cognito_auth_core::trigger::TriggerEvent;
    use user_migration::answer;

    let Some(event) = json(data) else {
        return;
    };
    let item: user_migration::aws::Item = event
        .get("legacyItem")
        .and_then(Value::as_object)
        .map(|object| {
            object
                .iter()
                .filter_map(|(name, value)| {
                    let value = match value {
                        Value::String(text) => AttributeValue::S(text.clone()),
                        Value::Number(number) => AttributeValue::N(number.to_string()),
                        Value::Bool(flag) => AttributeValue::Bool(*flag),
                        _ => return None,
                    };
                    Some((name.clone(), value))
                })
                .collect()
        })
        .unwrap_or_default();
    if let Ok(trigger) = TriggerEvent::from_value(event) {
        let _ = answer::Source::of(trigger.trigger_source()).final_user_status();
    }
    user_migration_config(|config| {
        let (attributes, _) = answer::user_attributes(config, &item);
        assert!(!attributes.contains_key("sub"));
        assert!(!attributes.contains_key("password_hash"));
        for (name, value) in &attributes {
            let text = value.as_str().expect("every attribute is a string");
            assert!(!text.is_empty() && text.chars().count() <= answer::MAX_ATTRIBUTE_CHARS);
            if name.ends_with("_verified") {
                assert!(text == "true" || text == "false", "{name}={text}");
                let address = name.trim_end_matches("_verified");
                assert!(attributes.contains_key(address), "{name} without {address}");
            }
        }
        match answer::delivery_mediums(&attributes) {
            Some(mediums) if mediums == json!(["EMAIL"]) => {
                assert!(attributes.contains_key("email"))
            }
            Some(_) => assert!(attributes.contains_key("phone_number")),
            None => assert!(
                !attributes.contains_key("email") && !attributes.contains_key("phone_number")
            ),
        }
    });
}
