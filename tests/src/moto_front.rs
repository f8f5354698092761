//! An AWS endpoint on 127.0.0.1 that stands in front of moto: it records
//! every call, answers some calls itself and forwards the rest to moto.
//!
//! It exists because moto alone cannot fail on cue (throttling, a refusal,
//! a slow answer) and lacks some operations (`AdminLinkProviderForUser`),
//! and because the tests need to see the calls the binaries made. Both
//! `tests/tests/e2e/faults.rs` and `tests/tests/e2e/pre_sign_up/` need it; each
//! says what to answer with a closure, so this module holds only the
//! plumbing.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::loopback::Served;
use crate::moto::Moto;

/// What the front saw of one call.
#[derive(Debug, Clone)]
pub struct Call {
    /// The `X-Amz-Target` header, e.g.
    /// `AWSCognitoIdentityProviderService.ListUsers`.
    pub target: String,
    /// The body, or `null` when it is not JSON.
    pub body: Value,
    pub content_type: String,
    pub authorization: String,
}

impl Call {
    /// The operation: what follows the last `.` of the target.
    pub fn operation(&self) -> &str {
        self.target.rsplit('.').next().unwrap_or_default()
    }

    /// Whether this call is `target`: the whole target, or its operation.
    pub fn is(&self, target: &str) -> bool {
        self.target == target || self.operation() == target
    }
}

/// An answer the front gives itself instead of forwarding to moto.
#[derive(Debug, Clone)]
pub struct Reply {
    status: StatusCode,
    content_type: &'static str,
    body: String,
    delay: Duration,
}

impl Reply {
    /// `status` with an `application/x-amz-json-1.1` body (Cognito's).
    pub fn json(status: StatusCode, body: &str) -> Reply {
        Reply {
            status,
            content_type: "application/x-amz-json-1.1",
            body: body.to_owned(),
            delay: Duration::ZERO,
        }
    }

    /// `status` with an `application/x-amz-json-1.0` body (DynamoDB's).
    pub fn json_1_0(status: StatusCode, body: &str) -> Reply {
        Reply {
            content_type: "application/x-amz-json-1.0",
            ..Reply::json(status, body)
        }
    }

    /// The same answer, sent after `delay`.
    pub fn after(self, delay: Duration) -> Reply {
        Reply { delay, ..self }
    }
}

/// Decides each call: `Some` answers it with that reply, `None` forwards it
/// to moto.
pub type Answer = Box<dyn FnMut(&Call) -> Option<Reply> + Send>;

struct Shared {
    moto: String,
    answer: Mutex<Answer>,
    calls: Mutex<Vec<Call>>,
}

/// The running front; stops when dropped.
pub struct MotoFront {
    shared: Arc<Shared>,
    served: Served,
}

impl MotoFront {
    /// Starts a front for `moto` that asks `answer` about every call.
    pub async fn start(
        moto: &Moto,
        answer: impl FnMut(&Call) -> Option<Reply> + Send + 'static,
    ) -> MotoFront {
        let shared = Arc::new(Shared {
            moto: format!("127.0.0.1:{}", moto.port()),
            answer: Mutex::new(Box::new(answer)),
            calls: Mutex::new(Vec::new()),
        });
        let router = axum::Router::new()
            .fallback(front)
            .with_state(shared.clone());
        let served = Served::start(router, "front server").await;
        MotoFront { shared, served }
    }

    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL`.
    pub fn endpoint(&self) -> String {
        self.served.endpoint()
    }

    /// Every call so far, in order.
    pub fn seen(&self) -> Vec<Call> {
        self.shared.calls.lock().expect("calls").clone()
    }

    /// The calls to `target` (a whole target, or an operation), in order.
    pub fn calls(&self, target: &str) -> Vec<Call> {
        self.seen()
            .into_iter()
            .filter(|call| call.is(target))
            .collect()
    }
}

async fn front(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let call = Call {
        target: header("x-amz-target"),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        content_type: header("content-type"),
        authorization: header("authorization"),
    };
    let reply = (shared.answer.lock().expect("answer"))(&call);
    shared.calls.lock().expect("calls").push(call);
    match reply {
        None => forward(&shared.moto, &headers, &body).await,
        Some(reply) => {
            if !reply.delay.is_zero() {
                tokio::time::sleep(reply.delay).await;
            }
            (
                reply.status,
                [("content-type", reply.content_type)],
                reply.body,
            )
                .into_response()
        }
    }
}

/// Forwards one request to moto over a fresh HTTP/1.1 connection and relays
/// the answer. Minimal on purpose: moto answers with Content-Length and
/// closes the connection when asked to. Moto not answering is a broken
/// test, not a fault under test, so it panics.
async fn forward(moto: &str, headers: &HeaderMap, body: &[u8]) -> Response {
    let mut request = format!(
        "POST / HTTP/1.1\r\nHost: {moto}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        if ["host", "connection", "content-length", "transfer-encoding"].contains(&name.as_str()) {
            continue;
        }
        if let Ok(value) = value.to_str() {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    request.push_str("\r\n");
    let mut stream = tokio::net::TcpStream::connect(moto)
        .await
        .expect("connect to moto");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send to moto");
    stream.write_all(body).await.expect("send the body to moto");
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .await
        .expect("read moto's answer");
    let split = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .expect("moto's answer has headers");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse::<u16>().ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .expect("moto's status line");
    let content_type = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-type")
                .then(|| value.trim().to_owned())
        })
        .unwrap_or_else(|| "application/x-amz-json-1.1".to_owned());
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "the front server does not decode chunked answers"
    );
    (
        status,
        [("content-type", content_type)],
        raw[split + 4..].to_vec(),
    )
        .into_response()
}
