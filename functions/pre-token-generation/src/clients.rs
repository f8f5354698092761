//! `CLIENT_CLAIMS`: claims for machine-to-machine access tokens, per app
//! client, such as a tenant for each M2M client.
//!
//! `{"<app client id>": {"tenant_id": "acme", "tier": 2}, ...}`
//!
//! They apply to `TokenGeneration_ClientCredentials` only (V3 events; the
//! client is `callerContext.clientId`, which Cognito sets after checking the
//! client's secret). A user's token from the same app client never gets
//! them: a user's claims come from the user's profile, and a client-level
//! tenant on a user token would let any user of that client act for it.
//!
//! # Why configuration, not the profile table
//!
//! - M2M clients are few and are created with their secrets by the
//!   deployment; the claims that authorize them belong beside them, reviewed
//!   and versioned like the rest of the stack, and are checked at init
//!   (names, types, size) instead of at the first token request.
//! - No call on the client-credentials path: services that request tokens
//!   in bursts get the same answer whether DynamoDB is up or not.
//! - The table is keyed by user `sub`; clients would need a second key
//!   space in it and an item for each client anyway.
//! - Nothing comes from `clientMetadata` (`aws_client_metadata`): the caller
//!   writes it, so a claim taken from it would be the caller's own say-so.
//!
//! A client that is not listed gets its token unchanged, and the function
//! logs that it did: with the authorizer's claim rules, a token without a
//! tenant is denied wherever a tenant is required.

use std::collections::BTreeMap;

use cognito_auth_core::ids::ClientId;
use serde_json::{Map, Value};

use crate::budget::{Budget, member_bytes};
use crate::names::refuse_to_add;
use cognito_auth_core::json::parse_value as parse_strict;

/// The validated `CLIENT_CLAIMS` map.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClientClaims {
    by_client: BTreeMap<ClientId, Map<String, Value>>,
}

impl ClientClaims {
    /// Parses and checks the map: client ids as Cognito spells them, claim
    /// names that may be added, values that are not null, and each client's
    /// claims within the token size budget. The error is the reason only.
    pub fn parse(text: &str) -> Result<ClientClaims, String> {
        let Value::Object(clients) = parse_strict(text)? else {
            return Err(
                "must be a JSON object of app client ids to claim objects, such as \
                 {\"1example23456789\":{\"tenant_id\":\"acme\"}}"
                    .to_owned(),
            );
        };
        let mut by_client = BTreeMap::new();
        for (client, claims) in clients {
            let client = ClientId::parse(&client)?;
            let Value::Object(claims) = claims else {
                return Err(format!(
                    "client `{client}`: the claims must be a JSON object"
                ));
            };
            if claims.is_empty() {
                return Err(format!("client `{client}` lists no claim"));
            }
            let mut budget = Budget::for_token([]);
            for (name, value) in &claims {
                if let Some(reason) = refuse_to_add(name) {
                    return Err(format!("client `{client}`: {reason}"));
                }
                if value.is_null() {
                    return Err(format!(
                        "client `{client}`: `{name}` is null; leave the claim out instead"
                    ));
                }
                if !budget.take(member_bytes(name, value)) {
                    return Err(format!(
                        "client `{client}`: the claims would take the access token past the \
                         authorizer's 8 KiB limit"
                    ));
                }
            }
            by_client.insert(client, claims);
        }
        Ok(ClientClaims { by_client })
    }

    /// The claims for `client_id`, if it is listed.
    pub fn for_client(&self, client_id: &str) -> Option<&Map<String, Value>> {
        self.by_client.get(client_id)
    }

    /// Every claim name any client gets.
    pub fn claim_names(&self) -> impl Iterator<Item = &str> {
        self.by_client
            .values()
            .flat_map(|claims| claims.keys().map(String::as_str))
    }

    /// Whether no client is listed.
    pub fn is_empty(&self) -> bool {
        self.by_client.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_claims_of_every_json_type() {
        let claims = ClientClaims::parse(
            r#"{"m2mclient1": {"tenant_id": "acme", "tier": 2, "beta": true,
                "regions": ["eu", "us"], "limits": {"rps": 10}}}"#,
        )
        .unwrap();
        let acme = claims.for_client("m2mclient1").unwrap();
        assert_eq!(acme["tier"], json!(2));
        assert_eq!(acme["limits"], json!({"rps": 10}));
        assert!(claims.for_client("other").is_none());
        let mut names: Vec<&str> = claims.claim_names().collect();
        names.sort_unstable();
        assert_eq!(names, ["beta", "limits", "regions", "tenant_id", "tier"]);
    }

    #[test]
    fn refuses_what_cognito_or_the_authorizer_would() {
        let huge = "x".repeat(6000);
        for (text, expected) in [
            (r#"["a"]"#.to_owned(), "must be a JSON object"),
            (r#"{"bad id": {"a": 1}}"#.to_owned(), "not an app client id"),
            // Cognito's pattern is ASCII: such a key could never match a
            // client, so it is refused rather than silently never used.
            (r#"{"clïent": {"a": 1}}"#.to_owned(), "not an app client id"),
            (r#"{"c1": []}"#.to_owned(), "must be a JSON object"),
            (r#"{"c1": {}}"#.to_owned(), "lists no claim"),
            (
                r#"{"c1": {"client_id": "x"}}"#.to_owned(),
                "never lets a trigger change",
            ),
            (r#"{"c1": {"scope": "x"}}"#.to_owned(), "GROUP_SCOPES"),
            (r#"{"c1": {"tenant": null}}"#.to_owned(), "is null"),
            (r#"{"c1": {"a": 1, "a": 2}}"#.to_owned(), "duplicate member"),
            (format!(r#"{{"c1": {{"blob": "{huge}"}}}}"#), "8 KiB"),
        ] {
            let error = ClientClaims::parse(&text).unwrap_err();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }
}
