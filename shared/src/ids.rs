//! Names Cognito gives things, checked once when they are read and then
//! carried as their own types: a value of one of these types has passed
//! Cognito's rules, so no later code re-checks a string, and a group name
//! cannot be handed where a client id is expected.
//!
//! `parse` returns the reason alone; the caller knows which variable or
//! field the value came from and names it.

use std::borrow::Borrow;
use std::fmt;

/// What a token is for, from its `token_use` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenUse {
    /// An access token: authorises calls, names the app client in `client_id`.
    Access,
    /// An id token: describes the user, names the app client in `aud`.
    Id,
}

impl TokenUse {
    /// The claim's value: `access` or `id`.
    pub fn as_str(&self) -> &'static str {
        match self {
            TokenUse::Access => "access",
            TokenUse::Id => "id",
        }
    }

    /// The claim that names the user: `username` in access tokens,
    /// `cognito:username` in id tokens.
    pub(crate) fn username_claim(self) -> &'static str {
        match self {
            TokenUse::Access => "username",
            TokenUse::Id => "cognito:username",
        }
    }

    /// The claim that names the app client: `client_id` in access tokens,
    /// `aud` in id tokens.
    pub(crate) fn client_claim(self) -> &'static str {
        match self {
            TokenUse::Access => "client_id",
            TokenUse::Id => "aud",
        }
    }
}

impl std::fmt::Display for TokenUse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A Cognito group name: 1 to 128 letters, marks, symbols, numbers or
/// punctuation; no white space, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupName(String);

impl GroupName {
    /// The longest group name Cognito accepts, in characters.
    pub const MAX_CHARS: usize = 128;

    /// Checks `name` against Cognito's rules.
    pub fn parse(name: &str) -> Result<Self, String> {
        let length = name.chars().count();
        if length == 0
            || length > Self::MAX_CHARS
            || name.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(format!(
                "`{}` is not a Cognito group name (1 to {} characters, no spaces or control \
                 characters)",
                name.escape_debug(),
                Self::MAX_CHARS
            ));
        }
        Ok(Self(name.to_owned()))
    }

    /// The name as Cognito spells it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An app client id, as Cognito's pattern `[\w+]+` spells it: 1 to 128 of
/// ASCII letters, digits, `_` and `+`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClientId(String);

impl ClientId {
    /// The longest client id Cognito accepts.
    pub const MAX_CHARS: usize = 128;

    /// Checks `id` against Cognito's pattern.
    pub fn parse(id: &str) -> Result<Self, String> {
        let valid = (1..=Self::MAX_CHARS).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'+');
        if !valid {
            return Err(format!(
                "`{}` is not an app client id (1 to {} ASCII letters, digits, `_` or `+`)",
                id.escape_debug(),
                Self::MAX_CHARS
            ));
        }
        Ok(Self(id.to_owned()))
    }

    /// The id as Cognito spells it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A user pool id, `<region>_<suffix>` as Cognito's pattern `[\w-]+_[0-9a-zA-Z]+`
/// spells it (at most 55 characters): the last segment of the pool's issuer
/// URL, and the scope of every revocation record.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserPoolId(String);

impl UserPoolId {
    /// The longest pool id Cognito accepts.
    pub const MAX_CHARS: usize = 55;

    /// Checks `id` against Cognito's pattern.
    pub fn parse(id: &str) -> Result<Self, String> {
        let valid = (3..=Self::MAX_CHARS).contains(&id.len())
            && id.rsplit_once('_').is_some_and(|(region, suffix)| {
                !region.is_empty()
                    && !suffix.is_empty()
                    && region
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                    && suffix.bytes().all(|b| b.is_ascii_alphanumeric())
            });
        if !valid {
            return Err(format!(
                "`{}` is not a user pool id (`<region>_<id>`, at most {} characters)",
                id.escape_debug(),
                Self::MAX_CHARS
            ));
        }
        Ok(Self(id.to_owned()))
    }

    /// The pool of an issuer URL, `https://cognito-idp.<region>.amazonaws.com/<poolId>`
    /// (or any issuer whose last path segment is a pool id, as a test
    /// issuer on 127.0.0.1 is).
    pub fn from_issuer(issuer: &str) -> Result<Self, String> {
        let last = issuer.rsplit('/').next().unwrap_or(issuer);
        Self::parse(last)
    }

    /// The id as Cognito spells it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for UserPoolId {
    type Err = String;

    fn from_str(id: &str) -> Result<Self, String> {
        Self::parse(id)
    }
}

macro_rules! as_text {
    ($name:ident) => {
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        /// Lets a map keyed by this type be searched with a plain `&str`
        /// (a claim's value), which is why the type keeps `str`'s order.
        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

as_text!(GroupName);
as_text!(ClientId);
as_text!(UserPoolId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_follow_cognito_rules() {
        for good in ["admins", "Paid-Users_2026.eu", "é", &"g".repeat(128)] {
            assert_eq!(GroupName::parse(good).unwrap().as_str(), good);
        }
        for bad in ["", "two words", "tab\there", "nul\0", &"g".repeat(129)] {
            let reason = GroupName::parse(bad).unwrap_err();
            assert!(
                reason.contains("not a Cognito group name"),
                "{bad:?}: {reason}"
            );
        }
    }

    #[test]
    fn client_ids_follow_cognitos_pattern() {
        for good in ["4pq8f2ab3cd5ef6gh7ij8kl9mn", "a_b+c", &"c".repeat(128)] {
            assert_eq!(ClientId::parse(good).unwrap().as_str(), good);
        }
        for bad in ["", "a-b", "a b", "ünïcode", "*", &"c".repeat(129)] {
            let reason = ClientId::parse(bad).unwrap_err();
            assert!(reason.contains("not an app client id"), "{bad:?}: {reason}");
        }
    }

    #[test]
    fn pool_ids_follow_cognitos_pattern() {
        for good in ["eu-west-1_AbC123", "us-gov-west-1_x", "local_5Yb7HYPx"] {
            assert_eq!(good.parse::<UserPoolId>().unwrap().as_str(), good);
        }
        for bad in [
            "",
            "eu-west-1",
            "_abc",
            "eu-west-1_",
            "eu west_1",
            "eu-west-1_a-b",
            &format!("r_{}", "a".repeat(54)),
        ] {
            let reason = UserPoolId::parse(bad).unwrap_err();
            assert!(reason.contains("not a user pool id"), "{bad:?}: {reason}");
        }
        assert_eq!(
            UserPoolId::from_issuer("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123")
                .unwrap()
                .as_str(),
            "eu-west-1_AbC123"
        );
        assert!(UserPoolId::from_issuer("https://example.com/").is_err());
    }

    #[test]
    fn maps_keyed_by_them_are_searched_with_plain_text() {
        let map = std::collections::BTreeMap::from([(ClientId::parse("abc").unwrap(), 1)]);
        assert_eq!(map.get("abc"), Some(&1));
        assert_eq!(map.get("abd"), None);
    }
}
