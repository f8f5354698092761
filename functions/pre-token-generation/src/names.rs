//! Which claim names a response may add or suppress.
//!
//! Cognito refuses a response that touches a claim it owns: the sign-in
//! fails for every user, with an error the user cannot act on. So every
//! claim name this function could send (`PROFILE_CLAIMS`, `CLIENT_CLAIMS`,
//! `ID_CLAIMS_TO_SUPPRESS`, `ACCESS_CLAIMS_TO_SUPPRESS`) is checked here
//! once, at init, and a bad one fails the cold start naming the variable.
//!
//! The lists follow the "Claims and scopes reference" of Cognito's pre token
//! generation documentation:
//!
//! | claims | add or change | suppress |
//! |---|---|---|
//! | [`IMMUTABLE`] | never | never |
//! | [`GROUP_CLAIMS`] | only through `groupOverrideDetails`, which this function never sends | yes |
//! | any other `cognito:` claim | never | never |
//! | `scope` | only through `scopesToAdd` (`GROUP_SCOPES`) | only through `scopesToSuppress` |
//! | `dev:` attributes | never | yes |
//! | anything else | yes | yes |

/// Claims no trigger may add, change or suppress, in either token. A
/// response that names one fails the sign-in. (`aud` may be "added" to an
/// access token only with the value it already has, so it is refused too.)
pub const IMMUTABLE: &[&str] = &[
    "acr",
    "amr",
    "at_hash",
    "aud",
    "auth_time",
    "azp",
    "client_id",
    "cognito:username",
    "device_key",
    "event_id",
    "exp",
    "iat",
    "identities",
    "iss",
    "jti",
    "nbf",
    "nonce",
    "origin_jti",
    "sub",
    "token_use",
    "username",
    "version",
];

/// The group claims: set only through `groupOverrideDetails` (which can also
/// remove every group, so this function never sends it), suppressible as
/// claims.
pub const GROUP_CLAIMS: &[&str] = &["cognito:groups", "cognito:roles", "cognito:preferred_role"];

/// Claims whose ID-token value must stay a scalar: Cognito refuses an array
/// or object for these even in V2 and V3 events.
pub const ID_TOKEN_SCALARS: &[&str] = &[
    "address",
    "email_verified",
    "phone_number_verified",
    "updated_at",
];

/// The longest claim name accepted. Cognito documents no limit; a name this
/// long is already a mistake, and every byte counts against the token size.
const MAX_NAME_BYTES: usize = 128;

/// Why `name` may not be added to a token, or `None` when it may.
pub fn refuse_to_add(name: &str) -> Option<String> {
    if let Some(reason) = malformed(name).or_else(|| immutable(name)) {
        return Some(reason);
    }
    if GROUP_CLAIMS.contains(&name) {
        return Some(format!(
            "`{name}` is set only through groupOverrideDetails, which this function never sends \
             (it can remove every group of the user)"
        ));
    }
    if name.starts_with("cognito:") {
        return Some(format!(
            "`{name}`: claims with the `cognito:` prefix belong to Cognito; a response that sets \
             one fails the sign-in"
        ));
    }
    if name == "scope" {
        return Some("`scope` is changed through scopes, not claims: use GROUP_SCOPES".to_owned());
    }
    if name.starts_with("dev:") {
        return Some(format!(
            "`{name}`: developer-only attributes can be suppressed, never added"
        ));
    }
    None
}

/// Why `name` may not be suppressed, or `None` when it may.
pub fn refuse_to_suppress(name: &str) -> Option<String> {
    if let Some(reason) = malformed(name).or_else(|| immutable(name)) {
        return Some(reason);
    }
    if name.starts_with("cognito:") && !GROUP_CLAIMS.contains(&name) {
        return Some(format!(
            "`{name}`: claims with the `cognito:` prefix belong to Cognito (only {} can be \
             suppressed); a response that suppresses one fails the sign-in",
            GROUP_CLAIMS.join(", ")
        ));
    }
    if name == "scope" {
        return Some(
            "`scope` cannot be suppressed as a claim; scopes are removed one by one".to_owned(),
        );
    }
    None
}

fn immutable(name: &str) -> Option<String> {
    IMMUTABLE.contains(&name).then(|| {
        format!(
            "`{name}` is a claim Cognito never lets a trigger change; a response that touches it \
             fails the sign-in"
        )
    })
}

fn malformed(name: &str) -> Option<String> {
    if name.is_empty() || name.len() > MAX_NAME_BYTES {
        return Some(format!(
            "claim names are 1 to {MAX_NAME_BYTES} bytes, `{}` is not",
            name.escape_debug()
        ));
    }
    if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some(format!(
            "`{}` holds a space or control character, which no claim name should",
            name.escape_debug()
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn immutable_claims_can_be_neither_added_nor_suppressed() {
        for name in IMMUTABLE {
            let add = refuse_to_add(name).unwrap();
            assert!(add.contains("never lets a trigger change"), "{add}");
            assert!(refuse_to_suppress(name).is_some(), "{name}");
        }
    }

    #[test]
    fn group_claims_can_be_suppressed_but_not_added() {
        for name in GROUP_CLAIMS {
            assert!(
                refuse_to_add(name)
                    .unwrap()
                    .contains("groupOverrideDetails")
            );
            assert_eq!(refuse_to_suppress(name), None, "{name}");
        }
    }

    #[test]
    fn other_cognito_claims_scope_and_dev_attributes() {
        assert!(refuse_to_add("cognito:user_status").is_some());
        assert!(refuse_to_suppress("cognito:user_status").is_some());
        assert!(refuse_to_add("scope").unwrap().contains("GROUP_SCOPES"));
        assert!(refuse_to_suppress("scope").is_some());
        assert!(refuse_to_add("dev:custom:x").is_some());
        assert_eq!(refuse_to_suppress("dev:custom:x"), None);
    }

    #[test]
    fn ordinary_claims_are_fine_and_odd_names_are_not() {
        for name in [
            "tenant_id",
            "plan",
            "custom:tier",
            "email",
            "https://example.com/role",
        ] {
            assert_eq!(refuse_to_add(name), None, "{name}");
            assert_eq!(refuse_to_suppress(name), None, "{name}");
        }
        for name in ["", "two words", "tab\there", &"x".repeat(129)] {
            assert!(refuse_to_add(name).is_some(), "{name:?}");
            assert!(refuse_to_suppress(name).is_some(), "{name:?}");
        }
    }
}
