//! `GROUP_SCOPES`: the scopes each user-pool group adds to its members'
//! access tokens (V2 and V3 events).
//!
//! Cognito does not check a scope a trigger adds against the pool's resource
//! servers: `scopesToAdd` takes any string, and a typo becomes a scope no API
//! asks for (or worse, one it does). So each scope's form is checked at
//! init:
//!
//! - a standard OpenID Connect scope ([`STANDARD_SCOPES`]), or
//! - a custom scope `<resource server identifier>/<scope name>`, as the pool
//!   spells them: the identifier 1 to 256 characters (it may hold `/`, as
//!   URLs do), the name 1 to 256 characters without `/`, both printable
//!   ASCII without space, `"` or `\` (RFC 6749's scope-token).
//!
//! `aws.cognito.signin.user.admin` is refused: it lets the token's holder
//! read and change their own attributes through the Cognito API, which is an
//! app client's decision (its allowed scopes), not a group's.

use std::collections::BTreeMap;

use cognito_auth_core::ids::GroupName;
use serde_json::Value;

use crate::json::parse_strict;

/// Standard scopes a group may add.
pub const STANDARD_SCOPES: &[&str] = &["openid", "email", "phone", "profile"];

/// The Cognito self-service scope, never added here.
pub const ADMIN_SCOPE: &str = "aws.cognito.signin.user.admin";

/// Cognito's limit on a resource server identifier and on a scope name.
const MAX_PART_CHARS: usize = 256;

/// The validated `GROUP_SCOPES` map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupScopes {
    by_group: BTreeMap<GroupName, Vec<String>>,
}

impl GroupScopes {
    /// Parses `{"group": ["scope", ...], ...}`. The error is the reason only
    /// (the caller prefixes the variable's name).
    pub fn parse(text: &str) -> Result<GroupScopes, String> {
        let Value::Object(groups) = parse_strict(text)? else {
            return Err(
                "must be a JSON object of group names to lists of scopes, such as \
                 {\"admins\":[\"api/admin\"]}"
                    .to_owned(),
            );
        };
        let mut by_group = BTreeMap::new();
        for (group, scopes) in groups {
            let group = GroupName::parse(&group)?;
            let Value::Array(scopes) = scopes else {
                return Err(format!("group `{group}`: the scopes must be a JSON array"));
            };
            if scopes.is_empty() {
                return Err(format!("group `{group}` lists no scope"));
            }
            let mut checked: Vec<String> = Vec::with_capacity(scopes.len());
            for scope in scopes {
                let Value::String(scope) = scope else {
                    return Err(format!("group `{group}`: every scope must be a string"));
                };
                check_scope(&scope).map_err(|reason| format!("group `{group}`: {reason}"))?;
                if checked.contains(&scope) {
                    return Err(format!("group `{group}` lists `{scope}` twice"));
                }
                checked.push(scope);
            }
            by_group.insert(group, checked);
        }
        Ok(GroupScopes { by_group })
    }

    /// Whether no group adds anything.
    pub fn is_empty(&self) -> bool {
        self.by_group.is_empty()
    }

    /// The scopes to add for a member of `groups` whose token already holds
    /// `present`: each once, in the order of the user's groups and then of
    /// the configuration, leaving out those already present (adding one
    /// again would only make the token longer).
    pub fn scopes_for(&self, groups: &[String], present: &[String]) -> Vec<String> {
        let mut scopes: Vec<String> = Vec::new();
        for group in groups {
            for scope in self.by_group.get(group.as_str()).into_iter().flatten() {
                if !present.contains(scope) && !scopes.contains(scope) {
                    scopes.push(scope.clone());
                }
            }
        }
        scopes
    }
}

/// Checks one scope's form (see the module documentation).
pub fn check_scope(scope: &str) -> Result<(), String> {
    if scope == ADMIN_SCOPE {
        return Err(format!(
            "`{ADMIN_SCOPE}` lets the token read and change the user's own attributes through \
             the Cognito API; grant it through the app client's allowed scopes, not a group"
        ));
    }
    if STANDARD_SCOPES.contains(&scope) {
        return Ok(());
    }
    let printable = |part: &str| {
        part.bytes()
            .all(|byte| matches!(byte, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
    };
    let shape = format!(
        "`{}` is neither a standard scope ({}) nor `<resource server identifier>/<scope name>` \
         (printable ASCII without spaces, quotes or backslashes, each part 1 to \
         {MAX_PART_CHARS} characters)",
        scope.escape_debug(),
        STANDARD_SCOPES.join(", ")
    );
    match scope.rsplit_once('/') {
        Some((server, name))
            if (1..=MAX_PART_CHARS).contains(&server.len())
                && (1..=MAX_PART_CHARS).contains(&name.len())
                && printable(server)
                && printable(name) =>
        {
            Ok(())
        }
        _ => Err(shape),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| (*item).to_owned()).collect()
    }

    #[test]
    fn parses_the_example_and_adds_scopes_per_group() {
        let scopes =
            GroupScopes::parse(r#"{"admins":["api/admin","api/read"],"users":["api/read"]}"#)
                .unwrap();
        assert_eq!(
            scopes.scopes_for(&strings(&["users", "admins"]), &[]),
            ["api/read", "api/admin"]
        );
        assert_eq!(
            scopes.scopes_for(&strings(&["admins"]), &strings(&["api/admin"])),
            ["api/read"]
        );
        assert!(scopes.scopes_for(&strings(&["other"]), &[]).is_empty());
        assert!(scopes.scopes_for(&[], &[]).is_empty());
    }

    #[test]
    fn scope_forms() {
        for good in [
            "openid",
            "profile",
            "api/read",
            "https://api.example.com/pets.write",
            "solar-system-data/asteroids.add",
        ] {
            assert_eq!(check_scope(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "read",
            "api/",
            "/read",
            "api/read write",
            "api/re\"ad",
            "api/r\\ead",
            "api/réad",
            ADMIN_SCOPE,
        ] {
            assert!(check_scope(bad).is_err(), "{bad:?}");
        }
        let long = format!("api/{}", "x".repeat(257));
        assert!(check_scope(&long).is_err());
    }

    #[test]
    fn refuses_what_would_be_read_by_guesswork() {
        for (text, expected) in [
            ("[]", "must be a JSON object"),
            (r#"{"admins":"api/read"}"#, "must be a JSON array"),
            (r#"{"admins":[]}"#, "lists no scope"),
            (r#"{"admins":[1]}"#, "must be a string"),
            (r#"{"admins":["api/read","api/read"]}"#, "twice"),
            (r#"{"two words":["api/read"]}"#, "not a Cognito group name"),
            (r#"{"":["api/read"]}"#, "not a Cognito group name"),
            (
                r#"{"a":["api/read"],"a":["api/admin"]}"#,
                "duplicate member",
            ),
            (
                r#"{"admins":["read"]}"#,
                "group `admins`: `read` is neither",
            ),
            ("{", "EOF"),
        ] {
            let error = GroupScopes::parse(text).unwrap_err();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }
}
