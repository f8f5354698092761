//! Every way a token or a key set can be refused, in one place.
//!
//! Two enums: [`VerifyError`] says why a token was refused, and [`JwksError`]
//! says why a key set could not be fetched or used. Each variant has a stable
//! snake_case [`reason`](VerifyError::reason) code for logs and metrics, so a
//! dashboard does not depend on the wording of a message.
//!
//! No message ever contains the token or any part of it (not even the `kid`
//! or a claim value): a log line is read by more people than the token was
//! meant for, and an attacker-chosen string in a log is an injection vector.
//! Variants carry only our own static names (which claim, which header
//! member) and our own configuration values.

use crate::ids::TokenUse;

/// Which part of a token an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The JOSE header, the first segment.
    Header,
    /// The claims, the second segment.
    Payload,
    /// The signature, the third segment.
    Signature,
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Part::Header => "header",
            Part::Payload => "payload",
            Part::Signature => "signature",
        })
    }
}

/// Why a token was refused.
///
/// The variants are grouped in the order the checks run: the token's shape,
/// its header, the key, the signature, then the claims. A caller must treat
/// every variant the same way (refuse the request); the variety exists for
/// logs, metrics and tests.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    // ---- Token shape -----------------------------------------------------
    /// The token is longer than the cap, checked before anything is decoded.
    #[error("token is longer than {max} bytes")]
    TooLarge {
        /// The cap, in bytes.
        max: usize,
    },
    /// The token is not three `.`-separated segments.
    #[error("token is not three dot-separated segments")]
    Malformed,
    /// A segment is not unpadded base64url.
    #[error("token {part} is not unpadded base64url")]
    InvalidBase64 {
        /// The segment at fault.
        part: Part,
    },
    /// The header or payload is not a JSON object.
    #[error("token {part} is not a JSON object")]
    InvalidJson {
        /// The segment at fault.
        part: Part,
    },
    /// The header or payload repeats a member name. JSON parsers disagree on
    /// which copy wins, so a duplicate is how one parser is shown one claim
    /// and another parser another: refuse rather than pick.
    #[error("token {part} has a duplicate member")]
    DuplicateMember {
        /// The segment at fault.
        part: Part,
    },

    // ---- Header ----------------------------------------------------------
    /// A required header member (`alg`, `kid`) is absent or empty.
    #[error("token header has no `{name}`")]
    MissingHeader {
        /// The header member.
        name: &'static str,
    },
    /// A header member has the wrong JSON type.
    #[error("token header `{name}` is not a {expected}")]
    WrongHeaderType {
        /// The header member.
        name: &'static str,
        /// The JSON type it must have.
        expected: &'static str,
    },
    /// The header's `alg` is not the algorithm of the key it names (always
    /// RS256 for Cognito). Covers `none` in any casing, HS*, PS*, ES*.
    #[error("token algorithm is not allowed")]
    AlgorithmNotAllowed,
    /// The header carries a member that would let the token choose its own
    /// key (`jwk`, `jku`, `x5u`, `x5c`). Keys come from the pool's JWKS only.
    #[error("token header member `{name}` is not allowed")]
    ForbiddenHeader {
        /// The header member.
        name: &'static str,
    },
    /// The header has `crit`: it asks us to understand extensions we do not
    /// implement, and RFC 7515 says such a token must then be refused.
    #[error("token header has `crit`, which is not supported")]
    CriticalHeader,

    // ---- Key ---------------------------------------------------------------
    /// The `kid` is not in the issuing pool's key set, even after a refresh
    /// (or a refresh was not allowed yet: see the cooldown).
    #[error("no key of the issuing pool matches the token's kid")]
    UnknownKid,
    /// The issuing pool has no usable keys: the JWKS could not be fetched,
    /// and no cached copy is young enough to use.
    #[error("signing keys of the issuing pool are unavailable")]
    JwksUnavailable,

    // ---- Signature ---------------------------------------------------------
    /// The signature does not verify under the pool's key.
    #[error("token signature is invalid")]
    InvalidSignature,

    // ---- Claims ------------------------------------------------------------
    /// A required claim is absent (or an empty string).
    #[error("token has no `{claim}` claim")]
    MissingClaim {
        /// The claim's JWT name.
        claim: &'static str,
    },
    /// A claim has the wrong JSON type. Never treated as "absent": that is how
    /// a string `exp` once slipped past jsonwebtoken (CVE-2026-25537).
    #[error("token claim `{claim}` is not a {expected}")]
    WrongClaimType {
        /// The claim's JWT name.
        claim: &'static str,
        /// The JSON type it must have.
        expected: &'static str,
    },
    /// `exp` is in the past (beyond the leeway).
    #[error("token has expired")]
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    #[error("token is not valid yet")]
    NotYetValid,
    /// `iat` is in the future (beyond the leeway): no honest issuer does that.
    #[error("token was issued in the future")]
    IssuedInFuture,
    /// `iss` is not exactly the issuer of a configured user pool.
    #[error("token issuer is not a configured user pool")]
    IssuerNotAllowed,
    /// `token_use` is neither `access` nor `id`.
    #[error("token_use is neither `access` nor `id`")]
    InvalidTokenUse,
    /// `token_use` is valid but not the kind this verifier accepts.
    #[error("{actual} tokens are not accepted here")]
    TokenUseNotAllowed {
        /// What the token is.
        actual: TokenUse,
    },
    /// The app client (`client_id`, or `aud` for id tokens) is not allowed.
    #[error("token was issued to an app client that is not allowed")]
    ClientNotAllowed,
}

impl VerifyError {
    /// A stable snake_case code for logs and metrics, one per variant.
    pub fn reason(&self) -> &'static str {
        match self {
            VerifyError::TooLarge { .. } => "token_too_large",
            VerifyError::Malformed => "malformed_token",
            VerifyError::InvalidBase64 { .. } => "invalid_base64",
            VerifyError::InvalidJson { .. } => "invalid_json",
            VerifyError::DuplicateMember { .. } => "duplicate_member",
            VerifyError::MissingHeader { .. } => "missing_header",
            VerifyError::WrongHeaderType { .. } => "wrong_header_type",
            VerifyError::AlgorithmNotAllowed => "alg_not_allowed",
            VerifyError::ForbiddenHeader { .. } => "forbidden_header",
            VerifyError::CriticalHeader => "crit_header",
            VerifyError::UnknownKid => "unknown_kid",
            VerifyError::JwksUnavailable => "jwks_unavailable",
            VerifyError::InvalidSignature => "invalid_signature",
            VerifyError::MissingClaim { .. } => "missing_claim",
            VerifyError::WrongClaimType { .. } => "wrong_claim_type",
            VerifyError::Expired => "token_expired",
            VerifyError::NotYetValid => "token_not_yet_valid",
            VerifyError::IssuedInFuture => "issued_in_future",
            VerifyError::IssuerNotAllowed => "issuer_not_allowed",
            VerifyError::InvalidTokenUse => "invalid_token_use",
            VerifyError::TokenUseNotAllowed { .. } => "token_use_not_allowed",
            VerifyError::ClientNotAllowed => "client_not_allowed",
        }
    }
}

/// Why a key set could not be fetched, read or used. Such an error never
/// replaces keys that are already cached: it is logged, and the old keys stay
/// in service within their stale grace.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JwksError {
    // ---- Fetch -------------------------------------------------------------
    /// The HTTP client could not be built (TLS set-up).
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    /// The request failed before a response arrived (refused, reset, DNS).
    #[error("request failed: {0}")]
    Transport(#[source] reqwest::Error),
    /// The whole fetch, body included, took longer than the timeout.
    #[error("no complete response within {timeout_ms} ms")]
    Timeout {
        /// The configured timeout.
        timeout_ms: u64,
    },
    /// The endpoint answered with a status other than 200.
    #[error("unexpected HTTP status {status}")]
    Status {
        /// The status received.
        status: u16,
    },
    /// The body (announced or streamed) is larger than the cap.
    #[error("body is larger than {max} bytes")]
    TooLarge {
        /// The cap, in bytes.
        max: usize,
    },
    /// The JWKS file could not be read.
    #[error("cannot read the file: {0}")]
    Io(#[source] std::io::Error),

    // ---- Content -----------------------------------------------------------
    /// The body is not a JSON object, or repeats a member name.
    #[error("body is not a JSON object without duplicate members")]
    InvalidJson,
    /// The body is JSON but not a JWKS (`keys` absent or not an array).
    #[error("body is not a JWKS: {0}")]
    NotJwks(&'static str),
    /// The JWKS holds no key we can use (none, or all skipped as unsafe).
    #[error("the JWKS has no usable RS256 signing key")]
    NoUsableKeys,
}

impl JwksError {
    /// A stable snake_case code for logs and metrics, one per variant.
    pub fn reason(&self) -> &'static str {
        match self {
            JwksError::Client(_) => "jwks_client",
            JwksError::Transport(_) => "jwks_transport",
            JwksError::Timeout { .. } => "jwks_timeout",
            JwksError::Status { .. } => "jwks_status",
            JwksError::TooLarge { .. } => "jwks_too_large",
            JwksError::Io(_) => "jwks_io",
            JwksError::InvalidJson => "jwks_invalid_json",
            JwksError::NotJwks(_) => "jwks_not_jwks",
            JwksError::NoUsableKeys => "jwks_no_usable_keys",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_codes_are_unique_snake_case() {
        let all = [
            VerifyError::TooLarge { max: 1 },
            VerifyError::Malformed,
            VerifyError::InvalidBase64 { part: Part::Header },
            VerifyError::InvalidJson { part: Part::Header },
            VerifyError::DuplicateMember { part: Part::Header },
            VerifyError::MissingHeader { name: "kid" },
            VerifyError::WrongHeaderType {
                name: "kid",
                expected: "string",
            },
            VerifyError::AlgorithmNotAllowed,
            VerifyError::ForbiddenHeader { name: "jwk" },
            VerifyError::CriticalHeader,
            VerifyError::UnknownKid,
            VerifyError::JwksUnavailable,
            VerifyError::InvalidSignature,
            VerifyError::MissingClaim { claim: "exp" },
            VerifyError::WrongClaimType {
                claim: "exp",
                expected: "number",
            },
            VerifyError::Expired,
            VerifyError::NotYetValid,
            VerifyError::IssuedInFuture,
            VerifyError::IssuerNotAllowed,
            VerifyError::InvalidTokenUse,
            VerifyError::TokenUseNotAllowed {
                actual: TokenUse::Id,
            },
            VerifyError::ClientNotAllowed,
        ];
        let mut seen = std::collections::HashSet::new();
        for err in &all {
            let reason = err.reason();
            assert!(seen.insert(reason), "duplicate reason {reason}");
            assert!(
                reason
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{reason} is not snake_case"
            );
        }
    }
}
