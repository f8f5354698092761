//! The token size budget: what this function adds must leave each token
//! within the authorizer's limit ([`MAX_TOKEN_BYTES`], 8 KiB), or every API
//! call with that token is refused.
//!
//! The function never sees the tokens, only the event, so it estimates each
//! token's payload from what the event shows, on the high side:
//!
//! - a compact RS256 JWT is `header.payload.signature` in base64url: a
//!   Cognito header (`{"kid":"<44 characters>","alg":"RS256"}`, about 66
//!   bytes) takes at most [`HEADER_B64`] characters, a 2048-bit RSA
//!   signature exactly [`SIGNATURE_B64`], so the payload JSON may take
//!   [`MAX_PAYLOAD_BYTES`] (5,790) bytes;
//! - the claims the event does not show (`iss`, `jti`, `origin_jti`,
//!   `event_id`, `exp`, `iat`, `auth_time`, `token_use`, `aud` or
//!   `client_id`, `sub`, `version`, `device_key`) take about 500 bytes;
//!   [`UNSEEN_CLAIMS`] allows 768;
//! - the ID token is counted as carrying every user attribute in the event
//!   (it carries those the app client may read), `cognito:username`, the
//!   groups, roles and preferred role; the access token `username`, the
//!   groups and the scopes;
//! - a claim this function suppresses is still counted.
//!
//! Additions are then taken in priority order (scopes first, then claims in
//! the order configured), each only while the estimate stays within the
//! budget; one that does not fit is left out and reported, and later,
//! smaller ones may still fit. Leaving a claim or scope out is safe in the
//! same way as a failed profile read (see the crate documentation): the
//! authorizer denies what it would have granted, while an oversized token
//! would be refused everywhere.

use cognito_auth_core::token::MAX_TOKEN_BYTES;
use serde_json::Value;

/// Upper bound of a Cognito JWT header in base64url.
pub const HEADER_B64: usize = 128;
/// An RS256 signature with Cognito's 2048-bit keys: 256 bytes, 342
/// characters of base64url.
pub const SIGNATURE_B64: usize = 342;
/// The largest payload JSON that keeps the token within [`MAX_TOKEN_BYTES`]:
/// base64url spends 4 characters per 3 bytes.
pub const MAX_PAYLOAD_BYTES: usize = (MAX_TOKEN_BYTES - HEADER_B64 - SIGNATURE_B64 - 2) * 3 / 4;
/// Allowance for the claims every token carries that the event does not
/// show.
pub const UNSEEN_CLAIMS: usize = 768;

/// The running estimate of one token's payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    used: usize,
}

impl Budget {
    /// A token whose visible claims are `members` (name, value), on top of
    /// [`UNSEEN_CLAIMS`].
    pub fn for_token<'a>(members: impl IntoIterator<Item = (&'a str, &'a Value)>) -> Budget {
        let used = members
            .into_iter()
            .map(|(name, value)| member_bytes(name, value))
            .sum::<usize>()
            + UNSEEN_CLAIMS;
        Budget { used }
    }

    /// Bytes of payload JSON estimated so far.
    pub fn used(&self) -> usize {
        self.used
    }

    /// Takes `bytes` if they fit, and says whether they did.
    pub fn take(&mut self, bytes: usize) -> bool {
        if self.used + bytes <= MAX_PAYLOAD_BYTES {
            self.used += bytes;
            true
        } else {
            false
        }
    }
}

/// `"name":value,` in the payload JSON.
pub fn member_bytes(name: &str, value: &Value) -> usize {
    json_len(&Value::String(name.to_owned())) + 1 + json_len(value) + 1
}

/// One more scope in the space-separated `scope` claim.
pub fn scope_bytes(scope: &str) -> usize {
    scope.len() + 1
}

/// The length of `value` serialised as compact JSON, escapes included.
pub fn json_len(value: &Value) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    // Writing a Value into an in-memory counter cannot fail.
    let _ = serde_json::to_writer(&mut counter, value);
    counter.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_payload_limit_follows_the_authorizers() {
        assert_eq!(MAX_TOKEN_BYTES, 8192);
        assert_eq!(MAX_PAYLOAD_BYTES, 5790);
        // A payload of that size, in base64url, plus the header, the
        // signature and two dots, is within the limit; one more byte of
        // JSON could cross it.
        let payload_b64 = MAX_PAYLOAD_BYTES.div_ceil(3) * 4;
        assert!(HEADER_B64 + 1 + payload_b64 + 1 + SIGNATURE_B64 <= MAX_TOKEN_BYTES + 3);
    }

    #[test]
    fn counts_members_as_serialised() {
        assert_eq!(member_bytes("a", &json!("b")), r#""a":"b","#.len());
        assert_eq!(
            member_bytes("n", &json!([1, true])),
            r#""n":[1,true],"#.len()
        );
        assert_eq!(json_len(&json!("é\"")), "\"é\\\"\"".len());
        assert_eq!(scope_bytes("api/read"), " api/read".len());
    }

    #[test]
    fn takes_only_what_fits() {
        let big = json!("x".repeat(MAX_PAYLOAD_BYTES - UNSEEN_CLAIMS - 10));
        let mut budget = Budget::for_token([("big", &big)]);
        assert!(budget.used() <= MAX_PAYLOAD_BYTES);
        assert!(!budget.take(100));
        assert!(budget.take(MAX_PAYLOAD_BYTES - budget.used()));
        assert!(!budget.take(1));
    }
}
