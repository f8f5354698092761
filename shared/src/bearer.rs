//! The token inside a credential value (the `Authorization` header, or a
//! TOKEN authorizer's `authorizationToken`), read one way by the authorizer
//! and the sign-out route.
//!
//! Accepted, after trimming spaces and tabs at both ends (HTTP's optional
//! whitespace, which proxies may add or drop):
//! - `Bearer <jwt>`: the scheme in any casing (RFC 9110 makes auth schemes
//!   case-insensitive), then one or more spaces (`1*SP`, as RFC 9110 and
//!   RFC 6750 write it), then the token;
//! - a bare `<jwt>` with no scheme, where the caller allows it
//!   ([`Scheme::Optional`]: the authorizer, whose token may come from a
//!   custom header or a query parameter; the sign-out route requires the
//!   scheme).
//!
//! Refused: another scheme (`Basic …`), `Bearer` with no token, a tab
//! between scheme and token, anything with whitespace inside the token
//! (`Bearer a b`, or two comma-joined headers). Whether the token is a JWT at
//! all is the verifier's business: this only finds it.

/// Why no token could be taken from a credential. Each variant has a reason
/// code for logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialError {
    /// The value is empty or only whitespace.
    Missing,
    /// The value is not `Bearer <token>` nor a bare token.
    Malformed,
}

impl CredentialError {
    /// A stable snake_case code for logs.
    pub fn reason(self) -> &'static str {
        match self {
            CredentialError::Missing => "missing_token",
            CredentialError::Malformed => "malformed_authorization",
        }
    }
}

/// Whether a bare token, with no `Bearer` scheme, is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `Bearer <token>` only.
    Required,
    /// `Bearer <token>` or a bare `<token>`.
    Optional,
}

/// The token in `value`.
pub fn token(value: &str, scheme: Scheme) -> Result<&str, CredentialError> {
    let value = value.trim_matches([' ', '\t']);
    if value.is_empty() {
        return Err(CredentialError::Missing);
    }
    let Some(at) = value.find([' ', '\t']) else {
        // One word: a bare token, unless it is the scheme alone or holds
        // other whitespace (a no-break space, a line break).
        if scheme == Scheme::Required
            || value.eq_ignore_ascii_case("bearer")
            || value.contains(char::is_whitespace)
        {
            return Err(CredentialError::Malformed);
        }
        return Ok(value);
    };
    let (scheme, rest) = value.split_at(at);
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(CredentialError::Malformed);
    }
    let token = rest.trim_start_matches(' ');
    if token.is_empty() || token.len() == rest.len() || token.contains(char::is_whitespace) {
        return Err(CredentialError::Malformed);
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    const JWT: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln";

    #[test]
    fn accepts_bearer_in_any_casing_and_bare_tokens() {
        for value in [
            format!("Bearer {JWT}"),
            format!("bearer {JWT}"),
            format!("BEARER {JWT}"),
            format!("bEaReR {JWT}"),
            format!("Bearer   {JWT}"),
            format!("  Bearer {JWT}\t"),
            JWT.to_owned(),
            format!(" {JWT} "),
        ] {
            assert_eq!(token(&value, Scheme::Optional), Ok(JWT), "{value:?}");
            if value.trim() != JWT {
                assert_eq!(token(&value, Scheme::Required), Ok(JWT), "{value:?}");
            }
        }
    }

    #[test]
    fn refuses_everything_else() {
        for (value, expected) in [
            ("", CredentialError::Missing),
            ("  \t ", CredentialError::Missing),
            ("Bearer", CredentialError::Malformed),
            ("Bearer ", CredentialError::Malformed),
            ("Basic dXNlcjpwYXNz", CredentialError::Malformed),
            ("Token abc.def.ghi", CredentialError::Malformed),
            ("Bearer\tabc.def.ghi", CredentialError::Malformed),
            ("Bearer abc.def.ghi extra", CredentialError::Malformed),
            ("Bearer a.b.c, Bearer d.e.f", CredentialError::Malformed),
            ("Bearer\u{a0}abc.def.ghi", CredentialError::Malformed),
            ("Bearerabc.def.ghi x", CredentialError::Malformed),
        ] {
            assert_eq!(token(value, Scheme::Optional), Err(expected), "{value:?}");
            assert_eq!(token(value, Scheme::Required), Err(expected), "{value:?}");
        }
    }

    #[test]
    fn a_bare_token_needs_the_optional_scheme() {
        assert_eq!(token(JWT, Scheme::Optional), Ok(JWT));
        assert_eq!(
            token(JWT, Scheme::Required),
            Err(CredentialError::Malformed)
        );
    }

    #[test]
    fn reason_codes() {
        assert_eq!(CredentialError::Missing.reason(), "missing_token");
        assert_eq!(
            CredentialError::Malformed.reason(),
            "malformed_authorization"
        );
    }
}
