//! The legacy HTTPS endpoint (`LEGACY_ENDPOINT_URL`): one signed `POST` per
//! invocation, answered by the legacy system, which verifies the password
//! itself. The contract, which docs/migration.md states for the team that
//! writes the endpoint:
//!
//! - body `{"action": "authenticate" | "lookup", "username", "password"
//!   (authenticate only), "userPoolId", "requestId"}`, JSON;
//! - headers `X-Migration-Timestamp: <Unix seconds>` and
//!   `X-Migration-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." +
//!   body)>`, over the exact body bytes; the endpoint refuses a timestamp
//!   more than [`REPLAY_WINDOW_SECS`] from its clock;
//! - `200 {"attributes": {...}}` migrates, `401` (wrong password) and `404`
//!   (unknown user) refuse, `403` says the signature or the timestamp was
//!   refused (a configuration fault, not a user's), anything else is an
//!   error.
//!
//! Signing, the body and the reading of an answer are pure functions, unit
//! tested here; [`Endpoint::call`] adds the one HTTP exchange, bounded by
//! `LEGACY_ENDPOINT_TIMEOUT_MS` over connect, headers and body, without
//! retries (a retry could not fit the budget) and without redirects.

use std::time::Duration;

use aws_lc_rs::hmac;
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Map, Value};

use crate::aws::Item;
use crate::config::Secret;

/// The header carrying the request's time, in Unix seconds.
pub const TIMESTAMP_HEADER: &str = "x-migration-timestamp";
/// The header carrying the signature, `v1=<64 hex digits>`.
pub const SIGNATURE_HEADER: &str = "x-migration-signature";
/// How far from its own clock the endpoint accepts a timestamp, either way.
pub const REPLAY_WINDOW_SECS: u64 = 300;
/// The largest answer read: a user's attributes are a few hundred bytes.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// What the function asks the endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A sign-in: verify the password, and answer the user's attributes.
    Authenticate,
    /// A password reset: answer the user's attributes, no password.
    Lookup,
}

impl Action {
    /// The word in the body.
    pub fn word(self) -> &'static str {
        match self {
            Action::Authenticate => "authenticate",
            Action::Lookup => "lookup",
        }
    }
}

/// What the endpoint answered, read.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// `200`: the user's attributes, as an item for `answer::user_attributes`.
    Migrate(Item),
    /// `404`: no such user.
    UnknownUser,
    /// `401`: the password does not match.
    WrongPassword,
}

/// Why the endpoint could not be asked or its answer not used. Never holds
/// the body sent (it has the password) nor the secret.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    /// No whole answer within `LEGACY_ENDPOINT_TIMEOUT_MS`.
    #[error("the legacy endpoint did not answer within {timeout_ms} ms")]
    Timeout {
        /// `LEGACY_ENDPOINT_TIMEOUT_MS`.
        timeout_ms: u64,
    },
    /// Connecting or talking to it failed (refused, reset, TLS, DNS).
    #[error("cannot reach the legacy endpoint: {0}")]
    Unreachable(String),
    /// `403`: it refused the signature or the timestamp.
    #[error(
        "the legacy endpoint refused the request's signature (403): the shared secret differs, \
         or the clocks are more than 300 s apart"
    )]
    SignatureRefused,
    /// Any status the contract does not name.
    #[error("the legacy endpoint answered status {0}")]
    Status(u16),
    /// A `200` whose body is not the contract's.
    #[error("the legacy endpoint's answer is malformed: {0}")]
    Malformed(String),
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

impl EndpointError {
    /// A stable code for logs, metrics and the Lambda `errorType`.
    pub fn code(&self) -> &'static str {
        match self {
            EndpointError::Timeout { .. } => "EndpointTimeout",
            EndpointError::Unreachable(_) | EndpointError::Client(_) => "EndpointUnreachable",
            EndpointError::SignatureRefused => "EndpointSignatureRefused",
            EndpointError::Status(_) => "EndpointStatus",
            EndpointError::Malformed(_) => "EndpointMalformedAnswer",
        }
    }
}

/// `v1=<hex HMAC-SHA256(key, timestamp + "." + body)>`.
pub fn sign(key: &hmac::Key, timestamp: u64, body: &[u8]) -> String {
    let mut context = hmac::Context::with_key(key);
    context.update(timestamp.to_string().as_bytes());
    context.update(b".");
    context.update(body);
    let tag = context.sign();
    let mut signature = String::with_capacity(3 + 64);
    signature.push_str("v1=");
    for byte in tag.as_ref() {
        signature.push(char::from(HEX[usize::from(byte >> 4)]));
        signature.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    signature
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The HMAC key of a shared secret.
pub fn key(secret: &Secret) -> hmac::Key {
    hmac::Key::new(hmac::HMAC_SHA256, secret.expose())
}

/// The request body. `password` only for [`Action::Authenticate`].
pub fn body(
    action: Action,
    user_name: &str,
    password: Option<&str>,
    user_pool_id: &str,
    request_id: &str,
) -> Vec<u8> {
    let mut object = Map::new();
    object.insert("action".into(), Value::from(action.word()));
    object.insert("username".into(), Value::from(user_name));
    if let (Action::Authenticate, Some(password)) = (action, password) {
        object.insert("password".into(), Value::from(password));
    }
    object.insert("userPoolId".into(), Value::from(user_pool_id));
    object.insert("requestId".into(), Value::from(request_id));
    // Serialising a map of strings cannot fail; an empty body would be
    // refused by the endpoint's own checks.
    serde_json::to_vec(&Value::Object(object)).unwrap_or_default()
}

/// Reads the endpoint's answer: the status decides, and a `200`'s body must
/// be `{"attributes": {<name>: <string, number or boolean>}}` (other values
/// are kept, for `answer::user_attributes` to leave out with a warning).
pub fn read_answer(status: u16, body: &[u8]) -> Result<Answer, EndpointError> {
    match status {
        200 => {}
        401 => return Ok(Answer::WrongPassword),
        404 => return Ok(Answer::UnknownUser),
        403 => return Err(EndpointError::SignatureRefused),
        other => return Err(EndpointError::Status(other)),
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|error| EndpointError::Malformed(format!("not JSON: {error}")))?;
    let Some(Value::Object(attributes)) = value.get("attributes") else {
        return Err(EndpointError::Malformed(
            "no `attributes` object".to_owned(),
        ));
    };
    let item = attributes
        .iter()
        .map(|(name, value)| {
            let value = match value {
                Value::String(text) => AttributeValue::S(text.clone()),
                Value::Bool(flag) => AttributeValue::Bool(*flag),
                Value::Number(number) => AttributeValue::N(number.to_string()),
                // Left out by `answer::user_attributes`, named in a warning.
                _ => AttributeValue::Null(true),
            };
            (name.clone(), value)
        })
        .collect();
    Ok(Answer::Migrate(item))
}

/// The endpoint, its key and its HTTP client, made once at init.
pub struct Endpoint {
    url: reqwest::Url,
    key: hmac::Key,
    timeout: Duration,
    client: reqwest::Client,
}

impl Endpoint {
    /// The client: the whole-call timeout, no redirects (following one
    /// would send the password wherever the endpoint points), HTTPS
    /// trusting the Mozilla roots compiled into `webpki-roots`, as
    /// `JWKS_URL` does: the same client, `jwks::http_client`
    /// (shared/src/fetch.rs says why: the system bundle costs every cold
    /// start). A legacy endpoint behind a private CA is
    /// therefore not supported; put a public certificate in front of it.
    pub fn new(
        url: reqwest::Url,
        secret: &Secret,
        timeout: Duration,
    ) -> Result<Self, EndpointError> {
        let client = cognito_auth_core::jwks::http_client(timeout)
            .map_err(|error| EndpointError::Client(error.to_string()))?;
        Ok(Self {
            url,
            key: key(secret),
            timeout,
            client,
        })
    }

    /// The endpoint's URL (for logs: it carries no credentials, config
    /// refuses them).
    pub fn url(&self) -> &reqwest::Url {
        &self.url
    }

    /// One signed `POST` of `body` at `timestamp`, its answer read.
    pub async fn call(&self, body: Vec<u8>, timestamp: u64) -> Result<Answer, EndpointError> {
        let timeout_ms = u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX);
        let signature = sign(&self.key, timestamp, &body);
        let exchange = async {
            let mut response = self
                .client
                .post(self.url.clone())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header(reqwest::header::ACCEPT, "application/json")
                .header(TIMESTAMP_HEADER, timestamp.to_string())
                .header(SIGNATURE_HEADER, signature)
                .body(body)
                .send()
                .await
                .map_err(|error| classify(error, timeout_ms))?;
            let status = response.status().as_u16();
            if response.content_length().unwrap_or(0) > MAX_ANSWER_BYTES as u64 {
                return Err(EndpointError::Malformed(format!(
                    "longer than {MAX_ANSWER_BYTES} bytes"
                )));
            }
            let mut answer = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|error| classify(error, timeout_ms))?
            {
                if answer.len().saturating_add(chunk.len()) > MAX_ANSWER_BYTES {
                    return Err(EndpointError::Malformed(format!(
                        "longer than {MAX_ANSWER_BYTES} bytes"
                    )));
                }
                answer.extend_from_slice(&chunk);
            }
            read_answer(status, &answer)
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(EndpointError::Timeout { timeout_ms }),
        }
    }
}

/// reqwest's error with its causes (the URL it names is ours and holds no
/// credentials), or our timeout when it is one.
fn classify(error: reqwest::Error, timeout_ms: u64) -> EndpointError {
    if error.is_timeout() {
        return EndpointError::Timeout { timeout_ms };
    }
    let mut detail = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        detail.push_str(": ");
        detail.push_str(&cause.to_string());
        source = cause.source();
    }
    EndpointError::Unreachable(detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(text: &str) -> Secret {
        Secret::new(text.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn signs_timestamp_dot_body_as_python_hmac_does() {
        // python3 -c 'import hmac,hashlib;print(hmac.new(b"k"*32,
        //   b"1700000000.{\"action\":\"lookup\"}", hashlib.sha256).hexdigest())'
        let key = key(&secret(&"k".repeat(32)));
        assert_eq!(
            sign(&key, 1_700_000_000, br#"{"action":"lookup"}"#),
            "v1=aaa719bd35985a8fac2ec376999bf4f2c51e142604212d231391f9119db31e3e"
        );
    }

    #[test]
    fn sign_is_hmac_sha256_rfc_4231_case_2() {
        // RFC 4231 test case 2 is key "Jefe", data "what do ya want for
        // nothing?": sign() prefixes "<timestamp>.", so check the primitive
        // the way sign() drives it, with a key long enough for Secret.
        let key = hmac::Key::new(hmac::HMAC_SHA256, b"Jefe");
        let tag = hmac::sign(&key, b"what do ya want for nothing?");
        let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn a_different_secret_timestamp_or_body_changes_the_signature() {
        let one = key(&secret(&"a".repeat(32)));
        let two = key(&secret(&"b".repeat(32)));
        let base = sign(&one, 1, b"{}");
        assert_ne!(base, sign(&two, 1, b"{}"));
        assert_ne!(base, sign(&one, 2, b"{}"));
        assert_ne!(base, sign(&one, 1, b"{ }"));
        assert!(base.starts_with("v1=") && base.len() == 67, "{base}");
    }

    #[test]
    fn the_body_has_the_password_only_to_authenticate() {
        let body: Value = serde_json::from_slice(&body(
            Action::Authenticate,
            "maria",
            Some("pw"),
            "eu-west-1_abc",
            "req-1",
        ))
        .unwrap();
        assert_eq!(
            body,
            serde_json::json!({"action": "authenticate", "username": "maria", "password": "pw",
                "userPoolId": "eu-west-1_abc", "requestId": "req-1"})
        );
        let body: Value = serde_json::from_slice(&body_lookup()).unwrap();
        assert_eq!(body["action"], "lookup");
        assert!(body.get("password").is_none());
    }

    fn body_lookup() -> Vec<u8> {
        body(Action::Lookup, "maria", Some("ignored"), "pool", "req")
    }

    #[test]
    fn answers_are_read_by_status() {
        let item = match read_answer(
            200,
            br#"{"attributes": {"email": "m@example.com", "email_verified": true, "age": 42, "tags": ["x"]}}"#,
        )
        .unwrap()
        {
            Answer::Migrate(item) => item,
            other => panic!("{other:?}"),
        };
        assert_eq!(item["email"], AttributeValue::S("m@example.com".into()));
        assert_eq!(item["email_verified"], AttributeValue::Bool(true));
        assert_eq!(item["age"], AttributeValue::N("42".into()));
        assert_eq!(item["tags"], AttributeValue::Null(true));
        assert_eq!(read_answer(401, b"").unwrap(), Answer::WrongPassword);
        assert_eq!(read_answer(404, b"anything").unwrap(), Answer::UnknownUser);
        assert!(matches!(
            read_answer(403, b""),
            Err(EndpointError::SignatureRefused)
        ));
        assert!(matches!(
            read_answer(500, b""),
            Err(EndpointError::Status(500))
        ));
        assert!(matches!(
            read_answer(302, b""),
            Err(EndpointError::Status(302))
        ));
        for malformed in [&b"not json"[..], b"{}", br#"{"attributes": []}"#, b"[]"] {
            assert!(
                matches!(
                    read_answer(200, malformed),
                    Err(EndpointError::Malformed(_))
                ),
                "{}",
                String::from_utf8_lossy(malformed)
            );
        }
    }

    #[test]
    fn the_secret_never_shows_in_debug() {
        let secret = secret("super-secret-value-that-is-32-bytes!");
        assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
        assert!(Secret::new(b"short".to_vec()).is_err());
    }
}
