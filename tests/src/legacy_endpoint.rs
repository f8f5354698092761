//! A legacy system's migration endpoint on 127.0.0.1: a reference
//! implementation of the contract in docs/migration.md, written from the
//! document, not from the function's code, so that the function is tested
//! against a protocol peer.
//!
//! It checks what a real endpoint must check, and refuses with `403`
//! whatever fails: the `X-Migration-Timestamp` (Unix seconds, within 300 s
//! of its clock either way), the `X-Migration-Signature`
//! (`v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>`, compared in
//! constant time by aws-lc-rs's `hmac::verify`), then the JSON body. Then:
//! `authenticate` answers `200 {"attributes": …}` for the right password,
//! `401` for a wrong one and `404` for an unknown user (comparing the
//! password with a dummy, so that both take the same time); `lookup`
//! answers `200` or `404`. It can be made slow, and it counts what it
//! refused, so that a test can tell a refused signature from no call.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::{constant_time, hmac};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::loopback::Served;

/// The replay window the contract sets.
pub const WINDOW_SECS: u64 = 300;

struct User {
    password: String,
    attributes: Value,
}

#[derive(Default)]
struct Counters {
    /// Requests refused for their signature or timestamp.
    refused_signatures: AtomicUsize,
    /// Requests whose signature was good.
    verified: AtomicUsize,
}

struct Shared {
    key: hmac::Key,
    users: Mutex<HashMap<String, User>>,
    delay: Mutex<Duration>,
    counters: Counters,
    /// The actions of the verified requests, in order.
    actions: Mutex<Vec<String>>,
}

/// The endpoint, served until dropped.
pub struct LegacyEndpoint {
    served: Option<Served>,
    shared: Arc<Shared>,
}

impl LegacyEndpoint {
    /// Starts an endpoint that signs with `secret`, with no users.
    pub async fn start(secret: &str) -> LegacyEndpoint {
        let shared = Arc::new(Shared {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes()),
            users: Mutex::new(HashMap::new()),
            delay: Mutex::new(Duration::ZERO),
            counters: Counters::default(),
            actions: Mutex::new(Vec::new()),
        });
        let router = axum::Router::new()
            .route("/migrate", axum::routing::post(answer))
            .with_state(shared.clone());
        let served = Served::start(router, "legacy endpoint").await;
        LegacyEndpoint {
            served: Some(served),
            shared,
        }
    }

    /// `http://127.0.0.1:PORT/migrate`, for `LEGACY_ENDPOINT_URL`.
    pub fn url(&self) -> String {
        match &self.served {
            Some(served) => format!("{}/migrate", served.endpoint()),
            None => panic!("the legacy endpoint was stopped"),
        }
    }

    /// Adds a user with `password` and `attributes` (a JSON object).
    pub fn add_user(&self, user_name: &str, password: &str, attributes: Value) {
        self.shared.users.lock().expect("users").insert(
            user_name.to_owned(),
            User {
                password: password.to_owned(),
                attributes,
            },
        );
    }

    /// Waits `delay` before answering every later request.
    pub fn set_delay(&self, delay: Duration) {
        *self.shared.delay.lock().expect("delay") = delay;
    }

    /// Stops listening: later connections are refused.
    pub fn stop(&mut self) {
        self.served = None;
    }

    /// How many requests it refused for their signature or timestamp.
    pub fn refused_signatures(&self) -> usize {
        self.shared
            .counters
            .refused_signatures
            .load(Ordering::SeqCst)
    }

    /// How many requests carried a good signature.
    pub fn verified(&self) -> usize {
        self.shared.counters.verified.load(Ordering::SeqCst)
    }

    /// The `action` of each verified request, in order.
    pub fn actions(&self) -> Vec<String> {
        self.shared.actions.lock().expect("actions").clone()
    }
}

/// `v1=<hex HMAC-SHA256(secret, timestamp "." body)>`, as a client of the
/// contract signs: for tests that call the endpoint directly.
pub fn signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let mut message = timestamp.as_bytes().to_vec();
    message.push(b'.');
    message.extend_from_slice(body);
    let tag = hmac::sign(&key, &message);
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("v1={hex}")
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Whether the timestamp is in the window and the signature is good.
fn signed(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> bool {
    let Some(timestamp) = header(headers, "x-migration-timestamp") else {
        return false;
    };
    let Ok(seconds) = timestamp.parse::<u64>() else {
        return false;
    };
    if now().abs_diff(seconds) > WINDOW_SECS {
        return false;
    }
    let Some(tag) = header(headers, "x-migration-signature")
        .and_then(|value| value.strip_prefix("v1="))
        .and_then(decode_hex)
    else {
        return false;
    };
    let mut message = timestamp.as_bytes().to_vec();
    message.push(b'.');
    message.extend_from_slice(body);
    hmac::verify(&shared.key, &message, &tag).is_ok()
}

async fn answer(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let delay = *shared.delay.lock().expect("delay");
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if !signed(&shared, &headers, &body) {
        shared
            .counters
            .refused_signatures
            .fetch_add(1, Ordering::SeqCst);
        return (StatusCode::FORBIDDEN, "bad signature").into_response();
    }
    shared.counters.verified.fetch_add(1, Ordering::SeqCst);
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let action = request["action"].as_str().unwrap_or_default().to_owned();
    shared.actions.lock().expect("actions").push(action.clone());
    let user_name = request["username"].as_str().unwrap_or_default();
    let users = shared.users.lock().expect("users");
    let user = users.get(user_name);
    match action.as_str() {
        "authenticate" => {
            let Some(password) = request["password"].as_str() else {
                return StatusCode::BAD_REQUEST.into_response();
            };
            // The same comparison for an unknown user, against a dummy.
            let stored = user.map_or("dummy-password-for-timing", |user| &user.password);
            let matches =
                constant_time::verify_slices_are_equal(password.as_bytes(), stored.as_bytes())
                    .is_ok();
            match user {
                Some(user) if matches => (
                    StatusCode::OK,
                    axum::Json(json!({"attributes": user.attributes})),
                )
                    .into_response(),
                Some(_) => StatusCode::UNAUTHORIZED.into_response(),
                None => StatusCode::NOT_FOUND.into_response(),
            }
        }
        "lookup" => match user {
            Some(user) => (
                StatusCode::OK,
                axum::Json(json!({"attributes": user.attributes})),
            )
                .into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        },
        _ => StatusCode::BAD_REQUEST.into_response(),
    }
}
