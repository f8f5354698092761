//! The request, read from an API Gateway proxy event (REST, payload 1.0; or
//! HTTP API, payload 2.0) without trusting any of it: no I/O, so every rule
//! is unit-tested and fuzzed.
//!
//! - The token: the `Authorization` header (any casing, exactly once),
//!   `Bearer <token>` with the scheme in any casing. Verified later.
//! - The body: none, or a JSON object of at most [`MAX_BODY_BYTES`] without
//!   duplicate members: `{"scope": "session"}` (the default) or
//!   `{"scope": "everywhere"}`, and, for `session`, an optional
//!   `"refresh_token"`. Any other member is refused, so a typo
//!   (`"scpoe"`) is a 400 rather than a silent session sign-out.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use cognito_auth_core::bearer::{self, Scheme};
use serde_json::{Map, Value};

pub use cognito_auth_core::bearer::CredentialError;

/// The largest body accepted, in bytes (after base64 decoding). A Cognito
/// refresh token is an encrypted JWT of about 1.8 KB; 8 KiB leaves room and
/// keeps the parse of attacker input bounded.
pub const MAX_BODY_BYTES: usize = 8 * 1024;

/// The longest refresh token accepted, in bytes.
pub const MAX_REFRESH_TOKEN_BYTES: usize = 6 * 1024;

/// What the caller asks to end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The session of the token (its `origin_jti`), and its refresh token
    /// when sent.
    Session,
    /// Every session of the user.
    Everywhere,
}

impl Scope {
    /// The word in the body.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Session => "session",
            Scope::Everywhere => "everywhere",
        }
    }
}

/// The parsed body.
#[derive(Clone, PartialEq, Eq)]
pub struct Body {
    /// What to end.
    pub scope: Scope,
    /// The refresh token to revoke with `RevokeToken` (session only).
    pub refresh_token: Option<String>,
}

impl std::fmt::Debug for Body {
    // The refresh token is a secret: never printed, even in a debug line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Body")
            .field("scope", &self.scope)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Why a body is refused (400). The text is the answer's message: it names
/// the rule, never echoes the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// Larger than [`MAX_BODY_BYTES`].
    #[error("the body is larger than 8192 bytes")]
    TooLarge,
    /// `isBase64Encoded` but not base64.
    #[error("the body is not valid base64")]
    BadBase64,
    /// Not one JSON object without duplicate members.
    #[error("the body must be a JSON object without duplicate members")]
    NotAnObject,
    /// A member other than `scope` and `refresh_token`.
    #[error("the body may hold only `scope` and `refresh_token`")]
    UnknownMember,
    /// `scope` is not `session` nor `everywhere`.
    #[error("`scope` must be \"session\" or \"everywhere\"")]
    BadScope,
    /// `refresh_token` is not a non-empty string without white space, or too
    /// long.
    #[error("`refresh_token` must be a non-empty string of at most 6144 bytes")]
    BadRefreshToken,
    /// `refresh_token` with `everywhere`, which revokes every refresh token
    /// already.
    #[error("`refresh_token` is only for the \"session\" scope")]
    RefreshTokenWithEverywhere,
}

impl BodyError {
    /// A stable snake_case code for logs.
    pub fn reason(self) -> &'static str {
        match self {
            BodyError::TooLarge => "body_too_large",
            BodyError::BadBase64 => "body_bad_base64",
            BodyError::NotAnObject => "body_not_an_object",
            BodyError::UnknownMember => "body_unknown_member",
            BodyError::BadScope => "body_bad_scope",
            BodyError::BadRefreshToken => "body_bad_refresh_token",
            BodyError::RefreshTokenWithEverywhere => "body_refresh_token_with_everywhere",
        }
    }
}

/// The event is not an API Gateway proxy event (a wiring mistake: 400,
/// logged).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the event is not an API Gateway proxy event")]
pub struct NotAProxyEvent;

/// The parts of the event this function reads.
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    /// The `Authorization` header's values (REST events may repeat it in
    /// `multiValueHeaders`).
    authorization: Vec<String>,
    /// The raw body and whether it is base64.
    body: Option<(String, bool)>,
}

impl std::fmt::Debug for Request {
    // Holds a token and maybe a refresh token: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Request { .. }")
    }
}

impl Request {
    /// Reads a REST (1.0) or HTTP API (2.0) proxy event.
    pub fn from_event(event: &Value) -> Result<Self, NotAProxyEvent> {
        let event = event.as_object().ok_or(NotAProxyEvent)?;
        let mut authorization = Vec::new();
        let multi = event.get("multiValueHeaders").and_then(Value::as_object);
        match multi.and_then(|headers| find(headers, "authorization")) {
            Some(Value::Array(values)) => {
                for value in values {
                    authorization.push(value.as_str().ok_or(NotAProxyEvent)?.to_owned());
                }
            }
            Some(Value::Null) | None => {
                if let Some(headers) = event.get("headers").and_then(Value::as_object) {
                    let mut matching = headers
                        .iter()
                        .filter(|(name, _)| name.eq_ignore_ascii_case("authorization"));
                    for (_, value) in matching.by_ref() {
                        match value {
                            Value::String(value) => authorization.push(value.clone()),
                            Value::Null => {}
                            _ => return Err(NotAProxyEvent),
                        }
                    }
                }
            }
            Some(_) => return Err(NotAProxyEvent),
        }
        let base64 = match event.get("isBase64Encoded") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(flag)) => *flag,
            Some(_) => return Err(NotAProxyEvent),
        };
        let body = match event.get("body") {
            None | Some(Value::Null) => None,
            Some(Value::String(body)) => Some((body.clone(), base64)),
            Some(_) => return Err(NotAProxyEvent),
        };
        Ok(Self {
            authorization,
            body,
        })
    }

    /// The bearer token.
    pub fn token(&self) -> Result<&str, CredentialError> {
        match self.authorization.as_slice() {
            [] => Err(CredentialError::Missing),
            [one] => bearer::token(one, Scheme::Required),
            _ => Err(CredentialError::Malformed),
        }
    }

    /// The body, checked.
    pub fn body(&self) -> Result<Body, BodyError> {
        let bytes = match &self.body {
            None => return parse_body(b""),
            Some((text, false)) => text.as_bytes().to_vec(),
            Some((text, true)) => {
                // Four base64 characters per three bytes: refuse early what
                // cannot decode to at most MAX_BODY_BYTES.
                if text.len() > MAX_BODY_BYTES / 3 * 4 + 4 {
                    return Err(BodyError::TooLarge);
                }
                STANDARD.decode(text).map_err(|_| BodyError::BadBase64)?
            }
        };
        parse_body(&bytes)
    }
}

fn find<'a>(headers: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value)
}

/// Parses a body (see the module's notes). Empty means the defaults.
pub fn parse_body(bytes: &[u8]) -> Result<Body, BodyError> {
    if bytes.len() > MAX_BODY_BYTES {
        return Err(BodyError::TooLarge);
    }
    if bytes.is_empty() {
        return Ok(Body {
            scope: Scope::Session,
            refresh_token: None,
        });
    }
    let object =
        cognito_auth_core::json::parse_object(bytes).map_err(|_| BodyError::NotAnObject)?;
    if object
        .keys()
        .any(|name| name != "scope" && name != "refresh_token")
    {
        return Err(BodyError::UnknownMember);
    }
    let scope = match object.get("scope") {
        None => Scope::Session,
        Some(Value::String(scope)) if scope == "session" => Scope::Session,
        Some(Value::String(scope)) if scope == "everywhere" => Scope::Everywhere,
        Some(_) => return Err(BodyError::BadScope),
    };
    let refresh_token = match object.get("refresh_token") {
        None => None,
        Some(Value::String(token))
            if !token.is_empty()
                && token.len() <= MAX_REFRESH_TOKEN_BYTES
                && !token.contains(char::is_whitespace) =>
        {
            Some(token.clone())
        }
        Some(_) => return Err(BodyError::BadRefreshToken),
    };
    if scope == Scope::Everywhere && refresh_token.is_some() {
        return Err(BodyError::RefreshTokenWithEverywhere);
    }
    Ok(Body {
        scope,
        refresh_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bodies() {
        let session = |refresh_token: Option<&str>| Body {
            scope: Scope::Session,
            refresh_token: refresh_token.map(str::to_owned),
        };
        assert_eq!(parse_body(b""), Ok(session(None)));
        assert_eq!(parse_body(b"{}"), Ok(session(None)));
        assert_eq!(
            parse_body(br#"{"scope":"session","refresh_token":"r.t"}"#),
            Ok(session(Some("r.t")))
        );
        assert_eq!(
            parse_body(br#"{"scope":"everywhere"}"#).unwrap().scope,
            Scope::Everywhere
        );
        for (bad, error) in [
            (
                &br#"{"scope":"session","scope":"everywhere"}"#[..],
                BodyError::NotAnObject,
            ),
            (b"[]", BodyError::NotAnObject),
            (b"null", BodyError::NotAnObject),
            (b"{", BodyError::NotAnObject),
            (br#"{"scpoe":"session"}"#, BodyError::UnknownMember),
            (br#"{"scope":"Everywhere"}"#, BodyError::BadScope),
            (br#"{"scope":1}"#, BodyError::BadScope),
            (br#"{"refresh_token":""}"#, BodyError::BadRefreshToken),
            (br#"{"refresh_token":"a b"}"#, BodyError::BadRefreshToken),
            (br#"{"refresh_token":7}"#, BodyError::BadRefreshToken),
            (
                br#"{"scope":"everywhere","refresh_token":"r"}"#,
                BodyError::RefreshTokenWithEverywhere,
            ),
        ] {
            assert_eq!(
                parse_body(bad),
                Err(error),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        let long = format!(r#"{{"refresh_token":"{}"}}"#, "r".repeat(MAX_BODY_BYTES));
        assert_eq!(parse_body(long.as_bytes()), Err(BodyError::TooLarge));
        let at_limit = format!(
            r#"{{"refresh_token":"{}"}}"#,
            "r".repeat(MAX_REFRESH_TOKEN_BYTES)
        );
        assert!(parse_body(at_limit.as_bytes()).is_ok());
    }

    #[test]
    fn the_debug_form_hides_the_refresh_token() {
        let body = parse_body(br#"{"refresh_token":"secret-refresh"}"#).unwrap();
        assert!(!format!("{body:?}").contains("secret-refresh"));
    }

    #[test]
    fn tokens_from_rest_and_http_api_events() {
        let rest = json!({"headers": {"Authorization": "Bearer a.b.c"},
                          "multiValueHeaders": {"Authorization": ["Bearer a.b.c"]}, "body": null});
        assert_eq!(Request::from_event(&rest).unwrap().token(), Ok("a.b.c"));
        let http = json!({"version": "2.0", "headers": {"authorization": "bearer  a.b.c"}});
        assert_eq!(Request::from_event(&http).unwrap().token(), Ok("a.b.c"));
        let twice = json!({"multiValueHeaders": {"authorization": ["Bearer a", "Bearer b"]}});
        assert_eq!(
            Request::from_event(&twice).unwrap().token(),
            Err(CredentialError::Malformed)
        );
        let none = json!({"headers": {"accept": "*/*"}});
        assert_eq!(
            Request::from_event(&none).unwrap().token(),
            Err(CredentialError::Missing)
        );
        for bad in ["Basic abc", "Bearer", "Bearer a b", "a.b.c", "Bearer\ta"] {
            assert_eq!(
                bearer::token(bad, Scheme::Required),
                Err(CredentialError::Malformed),
                "{bad}"
            );
        }
        assert!(Request::from_event(&json!("x")).is_err());
        assert!(Request::from_event(&json!({"body": 5})).is_err());
    }

    #[test]
    fn base64_bodies_are_decoded() {
        let event =
            json!({"body": STANDARD.encode(r#"{"scope":"everywhere"}"#), "isBase64Encoded": true});
        assert_eq!(
            Request::from_event(&event).unwrap().body().unwrap().scope,
            Scope::Everywhere
        );
        let bad = json!({"body": "%%%", "isBase64Encoded": true});
        assert_eq!(
            Request::from_event(&bad).unwrap().body(),
            Err(BodyError::BadBase64)
        );
    }
}
