//! Taking an untrusted compact JWS apart, before anything is trusted.
//!
//! `decompose_unverified` checks the token's shape and its header and hands
//! back the parts the verifier needs. Nothing it returns is trustworthy until
//! the signature has been checked against a key of the issuing pool; the
//! name says so, after aws-jwt-verify's `decomposeUnverifiedJwt`.
//!
//! The checks, in order:
//! 1. the size cap ([`MAX_TOKEN_BYTES`]), before any decoding;
//! 2. exactly three `.`-separated segments of unpadded base64url;
//! 3. header and payload are JSON objects without duplicate members;
//! 4. the header names its key with `kid`, names an `alg`, and carries none
//!    of the members that would let a token pick its own key (`jwk`, `jku`,
//!    `x5u`, `x5c`) nor `crit`.
//!
//! Whether the `alg` is acceptable is the verifier's call, because it depends
//! on the key (see `verify.rs`).

mod json;

// Public for the sign-out function's request body, which is parsed as
// strictly as a token's header and payload.
pub use json::{JsonError, parse_object};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::error::{Part, VerifyError};

/// The longest token accepted, in bytes: 8 KiB.
///
/// Cognito's tokens are 1–2 KB; a pool with many groups and custom claims
/// (pre-token-generation trigger) can reach 3–4 KB. API Gateway itself caps
/// a header at 10 KB, so nothing legitimate is lost, while base64 decoding
/// and JSON parsing of attacker input stays bounded per request.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Header members that would let the token choose the key that verifies it.
/// None of them is ever used; their presence alone refuses the token, since
/// an honest Cognito token never carries them.
const FORBIDDEN_HEADERS: [&str; 4] = ["jwk", "jku", "x5u", "x5c"];

/// The checked JOSE header.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Header {
    /// The algorithm the token claims. Not yet checked against the key.
    pub alg: String,
    /// The key id, non-empty. Used only as a map key, never in a path, query
    /// or log line, so its content cannot inject anything.
    pub kid: String,
}

/// A token taken apart. Nothing in it is trusted yet.
pub(crate) struct UnverifiedToken<'a> {
    /// The checked header.
    pub header: Header,
    /// The claims, parsed strictly but not yet type-checked.
    pub payload: Map<String, Value>,
    /// `base64(header) "." base64(payload)`: the bytes the signature covers.
    pub signing_input: &'a str,
    /// The decoded signature (possibly empty: then it fails to verify).
    pub signature: Vec<u8>,
}

// Hand-written `Debug`s that show no token content, so that a stray `{:?}`
// cannot put a token part in a log line.
impl std::fmt::Debug for Header {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Header { .. }")
    }
}

impl std::fmt::Debug for UnverifiedToken<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UnverifiedToken { .. }")
    }
}

/// Takes `token` apart and checks its shape and header. See the module doc.
pub(crate) fn decompose_unverified(token: &str) -> Result<UnverifiedToken<'_>, VerifyError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(VerifyError::TooLarge {
            max: MAX_TOKEN_BYTES,
        });
    }
    let mut segments = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return Err(VerifyError::Malformed);
    };

    let header = decode_object(header_b64, Part::Header)?;
    let header = check_header(&header)?;
    let payload = decode_object(payload_b64, Part::Payload)?;
    let signature =
        URL_SAFE_NO_PAD
            .decode(signature_b64)
            .map_err(|_| VerifyError::InvalidBase64 {
                part: Part::Signature,
            })?;

    // The signing input is everything before the second dot.
    let signing_input = &token[..header_b64.len() + 1 + payload_b64.len()];
    Ok(UnverifiedToken {
        header,
        payload,
        signing_input,
        signature,
    })
}

/// Decodes one base64url segment holding a JSON object.
///
/// The engine refuses padding, characters outside the URL-safe alphabet and
/// non-zero trailing bits, so every token has exactly one spelling. An empty
/// segment decodes to nothing and then fails as JSON.
fn decode_object(segment: &str, part: Part) -> Result<Map<String, Value>, VerifyError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| VerifyError::InvalidBase64 { part })?;
    parse_object(&bytes).map_err(|err| match err {
        JsonError::Invalid => VerifyError::InvalidJson { part },
        JsonError::Duplicate => VerifyError::DuplicateMember { part },
    })
}

/// Checks the header members we care about and refuses the dangerous ones.
/// Other members (`typ`, `cty`, ...) are ignored, as RFC 7515 asks.
fn check_header(header: &Map<String, Value>) -> Result<Header, VerifyError> {
    if let Some(name) = FORBIDDEN_HEADERS
        .into_iter()
        .find(|name| header.contains_key(*name))
    {
        return Err(VerifyError::ForbiddenHeader { name });
    }
    if header.contains_key("crit") {
        return Err(VerifyError::CriticalHeader);
    }
    Ok(Header {
        alg: header_string(header, "alg")?,
        kid: header_string(header, "kid")?,
    })
}

/// A required, non-empty string member of the header.
fn header_string(header: &Map<String, Value>, name: &'static str) -> Result<String, VerifyError> {
    match header.get(name) {
        None => Err(VerifyError::MissingHeader { name }),
        Some(Value::String(value)) if value.is_empty() => Err(VerifyError::MissingHeader { name }),
        Some(Value::String(value)) => Ok(value.clone()),
        Some(_) => Err(VerifyError::WrongHeaderType {
            name,
            expected: "string",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// A token from raw header and payload JSON, with a dummy signature.
    fn raw(header: &str, payload: &str) -> String {
        format!(
            "{}.{}.{}",
            b64(header.as_bytes()),
            b64(payload.as_bytes()),
            b64(b"sig")
        )
    }

    const HEADER: &str = r#"{"kid":"k1","alg":"RS256"}"#;
    const PAYLOAD: &str = r#"{"sub":"s"}"#;

    #[test]
    fn well_formed_token_is_taken_apart() {
        let token = raw(HEADER, PAYLOAD);
        let parts = decompose_unverified(&token).unwrap();
        assert_eq!(parts.header.kid, "k1");
        assert_eq!(parts.header.alg, "RS256");
        assert_eq!(parts.payload["sub"], "s");
        assert_eq!(parts.signature, b"sig");
        let dot = token.rfind('.').unwrap();
        assert_eq!(parts.signing_input, &token[..dot]);
    }

    #[test]
    fn oversized_token_is_refused_before_decoding() {
        // Not even valid base64: the size cap must fire first.
        let token = "!".repeat(MAX_TOKEN_BYTES + 1);
        assert_eq!(
            decompose_unverified(&token).unwrap_err(),
            VerifyError::TooLarge {
                max: MAX_TOKEN_BYTES
            }
        );
        // A token of exactly the cap is decoded (and fails later on content).
        let token = "!".repeat(MAX_TOKEN_BYTES);
        assert_eq!(
            decompose_unverified(&token).unwrap_err(),
            VerifyError::Malformed
        );
    }

    #[test]
    fn wrong_segment_counts_are_malformed() {
        let good = raw(HEADER, PAYLOAD);
        for token in [
            String::new(),
            "abc".to_owned(),
            "a.b".to_owned(),
            format!("{good}.extra"),
            format!("{good}.."),
            // JWE compact form has five segments.
            "a.b.c.d.e".to_owned(),
        ] {
            assert_eq!(
                decompose_unverified(&token).unwrap_err(),
                VerifyError::Malformed
            );
        }
    }

    #[test]
    fn padding_and_non_url_alphabets_are_refused() {
        let header = b64(HEADER.as_bytes());
        let payload = b64(PAYLOAD.as_bytes());
        let cases = [
            (format!("{header}=.{payload}.c2ln"), Part::Header),
            (format!("{header}.{payload}=.c2ln"), Part::Payload),
            (format!("{header}.{payload}.c2ln=="), Part::Signature),
            (format!("{header}.{payload}.a+b/"), Part::Signature),
            (format!("{header}.{payload}.c2l n"), Part::Signature),
            (format!(" {header}.{payload}.c2ln"), Part::Header),
        ];
        for (token, part) in cases {
            assert_eq!(
                decompose_unverified(&token).unwrap_err(),
                VerifyError::InvalidBase64 { part },
                "{token}"
            );
        }
    }

    #[test]
    fn non_canonical_trailing_bits_are_refused() {
        // "YQ" is the one spelling of "a"; "YR" sets the unused low bits.
        let token = format!("{}.{}.YR", b64(HEADER.as_bytes()), b64(PAYLOAD.as_bytes()));
        assert_eq!(
            decompose_unverified(&token).unwrap_err(),
            VerifyError::InvalidBase64 {
                part: Part::Signature
            }
        );
    }

    #[test]
    fn header_and_payload_must_be_json_objects() {
        let cases = [
            (raw("[]", PAYLOAD), Part::Header),
            (raw("not json", PAYLOAD), Part::Header),
            (raw(HEADER, "\"a string\""), Part::Payload),
            (raw(HEADER, ""), Part::Payload),
            (raw(HEADER, "{\"sub\":\"s\"} trailing"), Part::Payload),
        ];
        for (token, part) in cases {
            assert_eq!(
                decompose_unverified(&token).unwrap_err(),
                VerifyError::InvalidJson { part }
            );
        }
    }

    #[test]
    fn duplicate_members_are_refused() {
        let token = raw(r#"{"kid":"k1","alg":"RS256","alg":"none"}"#, PAYLOAD);
        assert_eq!(
            decompose_unverified(&token).unwrap_err(),
            VerifyError::DuplicateMember { part: Part::Header }
        );
        let token = raw(HEADER, r#"{"token_use":"id","token_use":"access"}"#);
        assert_eq!(
            decompose_unverified(&token).unwrap_err(),
            VerifyError::DuplicateMember {
                part: Part::Payload
            }
        );
    }

    #[test]
    fn key_choosing_headers_are_refused() {
        for (member, value) in [
            ("jwk", r#"{"kty":"RSA","n":"AQAB","e":"AQAB"}"#),
            ("jku", r#""https://attacker.example/jwks.json""#),
            ("x5u", r#""https://attacker.example/cert.pem""#),
            ("x5c", r#"["MIIB"]"#),
        ] {
            let header = format!(r#"{{"kid":"k1","alg":"RS256","{member}":{value}}}"#);
            let err = decompose_unverified(&raw(&header, PAYLOAD)).unwrap_err();
            assert_eq!(err, VerifyError::ForbiddenHeader { name: member });
            assert_eq!(err.reason(), "forbidden_header");
        }
    }

    #[test]
    fn crit_is_refused_whatever_it_lists() {
        for crit in [r#"["exp"]"#, "[]", r#""b64""#] {
            let header = format!(r#"{{"kid":"k1","alg":"RS256","crit":{crit}}}"#);
            assert_eq!(
                decompose_unverified(&raw(&header, PAYLOAD)).unwrap_err(),
                VerifyError::CriticalHeader
            );
        }
    }

    #[test]
    fn kid_and_alg_are_required_strings() {
        let cases = [
            (
                r#"{"alg":"RS256"}"#,
                VerifyError::MissingHeader { name: "kid" },
            ),
            (
                r#"{"alg":"RS256","kid":""}"#,
                VerifyError::MissingHeader { name: "kid" },
            ),
            (
                r#"{"alg":"RS256","kid":7}"#,
                VerifyError::WrongHeaderType {
                    name: "kid",
                    expected: "string",
                },
            ),
            (
                r#"{"kid":"k1"}"#,
                VerifyError::MissingHeader { name: "alg" },
            ),
            (
                r#"{"kid":"k1","alg":null}"#,
                VerifyError::WrongHeaderType {
                    name: "alg",
                    expected: "string",
                },
            ),
        ];
        for (header, expected) in cases {
            assert_eq!(
                decompose_unverified(&raw(header, PAYLOAD)).unwrap_err(),
                expected
            );
        }
    }

    #[test]
    fn unknown_header_members_are_ignored() {
        let token = raw(
            r#"{"kid":"k1","alg":"RS256","typ":"JWT","x-extra":1}"#,
            PAYLOAD,
        );
        assert!(decompose_unverified(&token).is_ok());
    }

    #[test]
    fn errors_never_echo_the_token() {
        let secret_kid = "SECRET-KID-../../etc/passwd' OR 1=1 --";
        let header = format!(r#"{{"kid":"{secret_kid}","alg":"RS256","jku":"x"}}"#);
        let err = decompose_unverified(&raw(&header, PAYLOAD)).unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
    }
}
