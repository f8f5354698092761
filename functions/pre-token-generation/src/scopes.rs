//! `GROUP_SCOPES`: the scopes each user-pool group adds to its members'
//! access tokens (V2 and V3 events), in the app clients named for it.
//!
//! ```json
//! {"admins": {"scopes": ["api/admin"], "clients": ["<admin console's client id>"]},
//!  "users":  {"scopes": ["api/read"],  "clients": ["<web client id>", "<mobile client id>"]}}
//! ```
//!
//! # Why each group names its app clients
//!
//! Cognito keeps the allowed OAuth scopes per app client, but does not apply
//! them to `scopesToAdd`: a scope the trigger adds lands in the access token
//! whatever client asked for it, `_RefreshTokens` included. A group scope
//! without a client list would give `api/admin` to an admin signing in
//! through any client of the pool, including a less-trusted one (a mobile
//! app, a partner's integration) that the operator never meant to carry it.
//! So every group lists the clients (`callerContext.clientId`, set by
//! Cognito) whose tokens get its scopes; any other client gets none. There
//! is no wildcard: a new client gets no group scope until it is named.
//!
//! The earlier form, `{"admins": ["api/admin"]}`, meant "every client"; it
//! fails init with a message showing the new form, rather than being read
//! as either "every client" (the unsafe reading) or "no client" (a silent
//! change).
//!
//! # Forms
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
//! app client's decision (its allowed scopes), not a group's. Client ids
//! follow Cognito's pattern ([`ClientId`]).

use std::collections::BTreeMap;

use cognito_auth_core::ids::{ClientId, GroupName};
use serde_json::Value;

use cognito_auth_core::json::parse_value as parse_strict;

/// Standard scopes a group may add.
pub const STANDARD_SCOPES: &[&str] = &["openid", "email", "phone", "profile"];

/// The Cognito self-service scope, never added here.
pub const ADMIN_SCOPE: &str = "aws.cognito.signin.user.admin";

/// Cognito's limit on a resource server identifier and on a scope name.
const MAX_PART_CHARS: usize = 256;

/// The form every group takes, for error messages.
const FORM: &str = r#"{"admins":{"scopes":["api/admin"],"clients":["<app client id>"]}}"#;

/// One group's grant: its scopes, in the tokens of its clients only.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Grant {
    scopes: Vec<String>,
    clients: Vec<ClientId>,
}

impl Grant {
    fn reaches(&self, client_id: &str) -> bool {
        self.clients
            .iter()
            .any(|client| client.as_str() == client_id)
    }
}

/// The validated `GROUP_SCOPES` map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupScopes {
    by_group: BTreeMap<GroupName, Grant>,
}

impl GroupScopes {
    /// Parses `{"group": {"scopes": [...], "clients": [...]}, ...}`. The
    /// error is the reason only (the caller prefixes the variable's name).
    pub fn parse(text: &str) -> Result<GroupScopes, String> {
        let Value::Object(groups) = parse_strict(text)? else {
            return Err(format!(
                "must be a JSON object of group names to their scopes and app clients, such as \
                 {FORM}"
            ));
        };
        let mut by_group = BTreeMap::new();
        for (group, grant) in groups {
            let group = GroupName::parse(&group)?;
            let grant = match grant {
                Value::Object(grant) => grant,
                Value::Array(_) => {
                    return Err(format!(
                        "group `{group}`: a bare list of scopes would reach every app client of \
                         the pool; name the clients whose tokens get them, as in {FORM}"
                    ));
                }
                _ => return Err(format!("group `{group}`: must be an object such as {FORM}")),
            };
            if let Some(member) = grant
                .keys()
                .find(|member| !matches!(member.as_str(), "scopes" | "clients"))
            {
                return Err(format!(
                    "group `{group}`: unknown member `{}` (only `scopes` and `clients`)",
                    member.escape_debug()
                ));
            }
            let scopes = strings(&group, "scopes", grant.get("scopes"))?;
            let mut checked: Vec<String> = Vec::with_capacity(scopes.len());
            for scope in scopes {
                check_scope(scope).map_err(|reason| format!("group `{group}`: {reason}"))?;
                if checked.iter().any(|seen| seen == scope) {
                    return Err(format!("group `{group}` lists the scope `{scope}` twice"));
                }
                checked.push(scope.to_owned());
            }
            let mut clients: Vec<ClientId> = Vec::new();
            for client in strings(&group, "clients", grant.get("clients"))? {
                let client = ClientId::parse(client)
                    .map_err(|reason| format!("group `{group}`: {reason}"))?;
                if clients.contains(&client) {
                    return Err(format!("group `{group}` lists the client `{client}` twice"));
                }
                clients.push(client);
            }
            by_group.insert(
                group,
                Grant {
                    scopes: checked,
                    clients,
                },
            );
        }
        Ok(GroupScopes { by_group })
    }

    /// Whether no group adds anything.
    pub fn is_empty(&self) -> bool {
        self.by_group.is_empty()
    }

    /// The scopes to add for a member of `groups` signing in (or refreshing)
    /// through `client_id`, whose token already holds `present`: only the
    /// groups that name this client, each scope once, in the order of the
    /// user's groups and then of the configuration, leaving out those
    /// already present (adding one again would only make the token longer).
    /// No client id, no scope.
    pub fn scopes_for(
        &self,
        groups: &[String],
        client_id: Option<&str>,
        present: &[String],
    ) -> Vec<String> {
        let mut scopes: Vec<String> = Vec::new();
        let Some(client_id) = client_id else {
            return scopes;
        };
        for group in groups {
            let Some(grant) = self.by_group.get(group.as_str()) else {
                continue;
            };
            if !grant.reaches(client_id) {
                continue;
            }
            for scope in &grant.scopes {
                if !present.contains(scope) && !scopes.contains(scope) {
                    scopes.push(scope.clone());
                }
            }
        }
        scopes
    }

    /// Whether some group names `client_id` (for the log line of a client
    /// that none does).
    pub fn names_client(&self, client_id: &str) -> bool {
        self.by_group.values().any(|grant| grant.reaches(client_id))
    }
}

/// The non-empty array of strings `member` of `group`'s object.
fn strings<'a>(
    group: &GroupName,
    member: &str,
    value: Option<&'a Value>,
) -> Result<Vec<&'a str>, String> {
    let Some(Value::Array(items)) = value else {
        return Err(format!(
            "group `{group}`: `{member}` must be a JSON array of strings, as in {FORM}"
        ));
    };
    if items.is_empty() {
        return Err(format!("group `{group}`: `{member}` is empty"));
    }
    items
        .iter()
        .map(|item| {
            item.as_str().ok_or_else(|| {
                format!("group `{group}`: every member of `{member}` must be a string")
            })
        })
        .collect()
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

    const WEB: &str = "web1example23456789";
    const CONSOLE: &str = "console1example2345678";

    fn example() -> GroupScopes {
        GroupScopes::parse(&format!(
            r#"{{"admins":{{"scopes":["api/admin","api/read"],"clients":["{CONSOLE}"]}},
                "users":{{"scopes":["api/read"],"clients":["{WEB}","{CONSOLE}"]}}}}"#
        ))
        .unwrap()
    }

    #[test]
    fn adds_scopes_per_group_in_the_named_clients() {
        let scopes = example();
        assert_eq!(
            scopes.scopes_for(&strings(&["users", "admins"]), Some(CONSOLE), &[]),
            ["api/read", "api/admin"]
        );
        assert_eq!(
            scopes.scopes_for(
                &strings(&["admins"]),
                Some(CONSOLE),
                &strings(&["api/admin"])
            ),
            ["api/read"]
        );
        assert!(
            scopes
                .scopes_for(&strings(&["other"]), Some(CONSOLE), &[])
                .is_empty()
        );
        assert!(scopes.scopes_for(&[], Some(CONSOLE), &[]).is_empty());
        assert!(scopes.names_client(WEB) && scopes.names_client(CONSOLE));
        assert!(!scopes.names_client("other1example"));
    }

    #[test]
    fn a_client_a_group_does_not_name_gets_none_of_its_scopes() {
        let scopes = example();
        // An admin through the web client: only what `users` grants there.
        assert_eq!(
            scopes.scopes_for(&strings(&["admins", "users"]), Some(WEB), &[]),
            ["api/read"]
        );
        assert!(
            scopes
                .scopes_for(&strings(&["admins"]), Some(WEB), &[])
                .is_empty()
        );
        // A client nobody names, or none at all: nothing.
        for client in [Some("partner1example234567"), Some(""), None] {
            assert!(
                scopes
                    .scopes_for(&strings(&["admins", "users"]), client, &[])
                    .is_empty(),
                "{client:?}"
            );
        }
        // Client ids are compared exactly, as Cognito spells them.
        let upper = CONSOLE.to_uppercase();
        assert!(
            scopes
                .scopes_for(&strings(&["admins"]), Some(&upper), &[])
                .is_empty()
        );
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
        let grant = |scopes: &str, clients: &str| {
            format!(r#"{{"admins":{{"scopes":{scopes},"clients":{clients}}}}}"#)
        };
        for (text, expected) in [
            ("[]".to_owned(), "must be a JSON object"),
            // The earlier form: every client. Refused, never guessed.
            (
                r#"{"admins":["api/admin"]}"#.to_owned(),
                "would reach every app client",
            ),
            (r#"{"admins":"api/read"}"#.to_owned(), "must be an object"),
            (
                r#"{"admins":{"scopes":["api/read"]}}"#.to_owned(),
                "`clients` must be a JSON array",
            ),
            (
                r#"{"admins":{"clients":["c1"]}}"#.to_owned(),
                "`scopes` must be a JSON array",
            ),
            (grant(r#"["api/read"]"#, r#""c1""#), "`clients` must be"),
            (grant(r#"["api/read"]"#, r#"["*"]"#), "not an app client id"),
            (grant(r#"["api/read"]"#, "[]"), "`clients` is empty"),
            (grant("[]", r#"["c1"]"#), "`scopes` is empty"),
            (grant("[1]", r#"["c1"]"#), "must be a string"),
            (grant(r#"["api/read"]"#, "[1]"), "must be a string"),
            (grant(r#"["api/read","api/read"]"#, r#"["c1"]"#), "twice"),
            (
                grant(r#"["api/read"]"#, r#"["c1","c1"]"#),
                "client `c1` twice",
            ),
            (
                r#"{"admins":{"scopes":["api/read"],"clients":["c1"],"client":["c2"]}}"#.to_owned(),
                "unknown member `client`",
            ),
            (
                r#"{"two words":{"scopes":["api/read"],"clients":["c1"]}}"#.to_owned(),
                "not a Cognito group name",
            ),
            (
                r#"{"":{"scopes":["api/read"],"clients":["c1"]}}"#.to_owned(),
                "not a Cognito group name",
            ),
            (
                r#"{"a":{"scopes":["api/read"],"clients":["c1"],"clients":["c2"]}}"#.to_owned(),
                "duplicate member",
            ),
            (
                grant(r#"["read"]"#, r#"["c1"]"#),
                "group `admins`: `read` is neither",
            ),
            ("{".to_owned(), "EOF"),
        ] {
            let error = GroupScopes::parse(&text).unwrap_err();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }
}
