//! Where one warm invocation of the authorizer goes, stage by stage, timed
//! on the handler's own code (`State`'s public stages, which
//! `Function::handle` calls in this order), for the configuration and event
//! `make bench`'s warm rows run: `USER_POOL_ID`, `APP_CLIENT_IDS` and
//! `JWKS_FILE` (the development key) and nothing else, so no rules and the
//! `stage` scope; a REST TOKEN event (events/authorizer/token-allow.json)
//! carrying an access token as `bench-functions` mints them.
//!
//! - `stages/event_json`: the event's bytes into a `serde_json::Value`, as
//!   lambda_runtime does before it calls the handler
//!   (`serde_path_to_error` over `serde_json::Deserializer::from_slice`).
//!   The runtime's work, which `lambda-echo` (the floor) does as well;
//! - `stages/event_read`: [`State::read`], the kind, credential and call;
//! - `stages/verify_cached`: [`State::verify`] of a token already verified
//!   (the verified-token cache: what 400 tokens in rotation come to);
//! - `stages/verify_fresh`: the same with the cache off
//!   (`VERIFIED_TOKEN_CACHE_SIZE=0`): a full RS256 verification, for
//!   reference;
//! - `stages/decide_answer`: [`State::answer`], the decision, the policy
//!   and the fitted answer, as a `Value` for the runtime;
//! - `stages/run`: [`State::run`], the three stages above with their glue,
//!   to check that the parts add up;
//! - `stages/conclude_logged`: what follows the answer, with the crate's
//!   JSON subscriber ([`cognito_auth_core::logging::init_with_writer`]
//!   into `std::io::sink`, the default level) installed as the function
//!   installs it: the invocation's recorder, lambda_runtime's own request
//!   span (`request_span`, created per invocation, which the subscriber
//!   formats), [`State::conclude`] (the decision's log line, the metrics
//!   recorded) and the EMF line written ([`Recorder::write_to`] into a
//!   sink);
//! - `stages/conclude_unlogged`: the same with no subscriber, so the span
//!   and the log line cost nothing: the metrics alone. The log line is the
//!   difference of the two.
//!
//! Sinks leave out the two `write(2)` calls a real invocation makes (the
//! log line and the EMF line, to Lambda's stdout pipe). The request id and
//! trace header are shaped as the test harness's Runtime API sends them.
//! `bench-functions` reads these results back (`make bench`) and sets their
//! sum beside the authorizer's measured warm CPU above the echo. Run:
//! `cargo bench -p authorizer --bench stages`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark: a failed set-up should stop it, loudly"
)]

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Poll, Waker};
use std::time::{SystemTime, UNIX_EPOCH};

use authorizer::State;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use cognito_auth_core::logging;
use criterion::{BatchSize, Criterion};
use lambda_runtime::Context;
use lambda_runtime::layers::trace::request_span;
use serde_json::{Value, json};

const PEM: &str = include_str!("../../../tests/fixtures/keys/dev-rsa-1.pem");
const JWKS_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/keys/dev-rsa-1.jwks.json"
);
const EVENT: &str = include_str!("../../../events/authorizer/token-allow.json");
/// The pool and client of `bench-functions`'s tokens.
const POOL: &str = "eu-west-1_DevPool1";
const CLIENT: &str = "devclient1";

/// An access token shaped as `e2e_tests::tokens::TokenBuilder::access`
/// makes them (the same claims, so the same sizes), signed by the
/// development key.
fn token() -> String {
    let pem: String = PEM.lines().filter(|l| !l.starts_with("-----")).collect();
    let key = RsaKeyPair::from_pkcs8(&STANDARD.decode(pem).expect("PEM body")).expect("RSA key");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    let header = json!({ "kid": "dev-key-1", "alg": "RS256" });
    let payload = json!({
        "sub": "1f0b6c2e-93a4-4d57-8b1e-6a2f0c9d3e41",
        "iss": format!("https://cognito-idp.eu-west-1.amazonaws.com/{POOL}"),
        "origin_jti": "5e7d2a90-4b1c-4f36-9a8e-0d2c7b6f1a53",
        "event_id": "c3a9e1f4-7d20-4b85-a6c1-9e0f2d4b7a68",
        "auth_time": now,
        "iat": now,
        "exp": now + 3600,
        "jti": "8b4f1d7c-2e6a-4093-b5d8-1c7e9a3f0b26",
        "client_id": CLIENT,
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin",
        "username": "alice",
        "version": 2,
    });
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload.to_string())
    );
    let mut signature = vec![0; key.public_modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        input.as_bytes(),
        &mut signature,
    )
    .expect("signing");
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(&signature))
}

/// The event's bytes as the Runtime API sends them.
fn event_bytes(token: &str) -> Vec<u8> {
    let mut event: Value = serde_json::from_str(EVENT).expect("sample event parses");
    event["authorizationToken"] = Value::String(format!("Bearer {token}"));
    event.to_string().into_bytes()
}

/// The invocation's context as lambda_runtime builds it from the harness's
/// headers: a request id and an X-Ray trace header.
fn context() -> Context {
    let request_id = "3b9aca00-1f2e-4a01-8002-000000002001";
    let mut context = Context::default();
    context.request_id = request_id.to_owned();
    context.xray_trace_id = Some(format!(
        "Root=1-00000000-{};Parent=0000000000000000;Sampled=0",
        &request_id.replace('-', "")[..24]
    ));
    context
}

/// The state as init builds it from `pairs` plus the bench's pool, client
/// and key file.
fn state(runtime: &tokio::runtime::Runtime, extra: &[(&str, &str)]) -> State {
    let mut pairs = vec![
        ("USER_POOL_ID", POOL),
        ("APP_CLIENT_IDS", CLIENT),
        ("JWKS_FILE", JWKS_PATH),
    ];
    pairs.extend_from_slice(extra);
    runtime.block_on(test_kit::state::<State>(&pairs))
}

/// The output of `future`, which must be ready at its first poll: the
/// stages timed here wait on nothing (keys from `JWKS_FILE`, no revocation
/// store), and polling them directly keeps a runtime's own cost out of the
/// figures.
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut std::task::Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("a stage waited: it would not be timed alone"),
    }
}

/// The event as lambda_runtime hands it to the handler.
fn parse(bytes: &[u8]) -> Value {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut deserializer).expect("the event parses")
}

fn main() {
    logging::init_with_writer(std::io::sink);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let token = token();
    let bytes = event_bytes(&token);
    let event = parse(&bytes);
    let context = context();
    let cached = state(&runtime, &[]);
    let uncached = state(&runtime, &[("VERIFIED_TOKEN_CACHE_SIZE", "0")]);

    // The path the bench times is the one `make bench` measures: the token
    // verifies and the answer allows.
    let incoming = cached.read(event.clone()).expect("a TOKEN event");
    let claims = ready(cached.verify(&incoming.credential)).expect("the token verifies");
    assert!(ready(uncached.verify(&incoming.credential)).is_ok());
    let outcome = {
        let mut recorder = cached.recorder(&context);
        ready(cached.run(event.clone(), &mut recorder))
    };
    let mut recorder = cached.recorder(&context);
    let answer = cached.conclude(outcome, &mut recorder).expect("an answer");
    assert_eq!(
        answer["policyDocument"]["Statement"][0]["Effect"], "Allow",
        "{answer}"
    );

    let mut criterion = Criterion::default().configure_from_args();
    criterion.bench_function("stages/event_json", |b| b.iter(|| parse(black_box(&bytes))));
    criterion.bench_function("stages/event_read", |b| {
        b.iter_batched(
            || event.clone(),
            |event| cached.read(event),
            BatchSize::SmallInput,
        )
    });
    criterion.bench_function("stages/verify_cached", |b| {
        b.iter(|| ready(cached.verify(black_box(&incoming.credential))))
    });
    criterion.bench_function("stages/verify_fresh", |b| {
        b.iter(|| ready(uncached.verify(black_box(&incoming.credential))))
    });
    criterion.bench_function("stages/decide_answer", |b| {
        b.iter(|| cached.answer(incoming.kind, black_box(&incoming.target), &claims))
    });
    criterion.bench_function("stages/run", |b| {
        b.iter_batched(
            || (event.clone(), cached.recorder(&context)),
            |(event, mut recorder)| ready(cached.run(event, &mut recorder)),
            BatchSize::SmallInput,
        )
    });
    // What follows the answer: an outcome made by `run` outside the timing,
    // then the recorder, the runtime's span, the conclusion and the EMF
    // line, timed.
    let outcome = || {
        let mut recorder = cached.recorder(&context);
        ready(cached.run(event.clone(), &mut recorder))
    };
    let conclude = |outcome| {
        let mut recorder = cached.recorder(&context);
        let span = request_span(&context);
        let answer = span.in_scope(|| cached.conclude(outcome, &mut recorder));
        drop(span);
        recorder.write_to(std::io::sink());
        answer
    };
    criterion.bench_function("stages/conclude_logged", |b| {
        b.iter_batched(outcome, conclude, BatchSize::SmallInput)
    });
    // Last: a scoped dispatcher, once registered, leaves every callsite's
    // interest at "sometimes", which would slow the logged runs above.
    tracing::dispatcher::with_default(&tracing::Dispatch::none(), || {
        criterion.bench_function("stages/conclude_unlogged", |b| {
            b.iter_batched(outcome, conclude, BatchSize::SmallInput)
        });
    });
    criterion.final_summary();
}
