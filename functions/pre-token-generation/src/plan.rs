//! What one event changes in each token, decided from the configuration,
//! the request and the profile item alone: no I/O, so every rule is
//! unit-tested.
//!
//! | | ID token | access token |
//! |---|---|---|
//! | V1, user | `PROFILE_CLAIMS` (as strings), `ID_CLAIMS_TO_SUPPRESS` | nothing (V1 cannot change it) |
//! | V2 / V3, user | `PROFILE_CLAIMS`, `ID_CLAIMS_TO_SUPPRESS` | `GROUP_SCOPES` (of the groups naming the app client), `PROFILE_CLAIMS`, `ACCESS_CLAIMS_TO_SUPPRESS` |
//! | V3, client credentials | (none is issued) | `CLIENT_CLAIMS` for the client, `ACCESS_CLAIMS_TO_SUPPRESS` |
//!
//! Groups are never changed: no plan holds a `groupOverrideDetails`, whose
//! empty or partial form would remove the user's groups from both tokens.
//! Every addition goes through the token's [`Budget`].

use serde_json::{Map, Value};

use crate::budget::{Budget, member_bytes, scope_bytes};
use crate::config::Config;
use crate::event::{TokenRequest, Version};
use crate::values::{ClaimTypes, claim_value, for_id_token};

pub use crate::values::Item;

/// The changes to one token.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TokenChanges {
    /// `claimsToAddOrOverride`.
    pub add: Map<String, Value>,
    /// `claimsToSuppress`.
    pub suppress: Vec<String>,
    /// `scopesToAdd` (access tokens, V2 and V3).
    pub scopes: Vec<String>,
}

impl TokenChanges {
    /// Whether there is nothing to send for this token.
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.suppress.is_empty() && self.scopes.is_empty()
    }
}

/// Which token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    /// The ID token.
    Id,
    /// The access token.
    Access,
}

impl Token {
    /// `id` or `access`, for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Token::Id => "id",
            Token::Access => "access",
        }
    }
}

/// An addition left out to keep a token within the size budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    /// The token it was meant for.
    pub token: Token,
    /// The claim name or the scope (never a claim's value).
    pub name: String,
    /// What it would have added to the payload.
    pub bytes: usize,
}

/// Everything one event changes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// The ID token's changes.
    pub id: TokenChanges,
    /// The access token's changes.
    pub access: TokenChanges,
    /// Additions that did not fit.
    pub dropped: Vec<Dropped>,
}

impl Plan {
    /// Whether the event is to be returned untouched.
    pub fn is_empty(&self) -> bool {
        self.id.is_empty() && self.access.is_empty()
    }

    /// For a user's tokens. `item` is the profile item, when one was read.
    pub fn for_user(
        config: &Config,
        version: Version,
        request: &TokenRequest,
        item: Option<&Item>,
    ) -> Plan {
        let mut plan = Plan::default();
        let profile_claims: &[String] = config
            .profile
            .as_ref()
            .map(|profile| profile.claims.as_slice())
            .unwrap_or_default();

        let id_types = match version {
            Version::V1 => ClaimTypes::StringsOnly,
            Version::V2 | Version::V3 => ClaimTypes::Json,
        };
        let mut id_budget = Budget::for_token(members(&request.id_token_members));
        for (name, value) in profile_values(profile_claims, item, id_types) {
            let value = for_id_token(name, value);
            plan.add_claim(Token::Id, &mut id_budget, name, value);
        }
        plan.id.suppress = config.id_suppress.clone();

        if version == Version::V1 {
            // V1 responses change the ID token only (and groups, which this
            // function never changes).
            return plan;
        }
        let mut access_budget = Budget::for_token(members(&request.access_token_members));
        for scope in config.group_scopes.scopes_for(
            &request.groups,
            request.client_id.as_deref(),
            &request.scopes,
        ) {
            let bytes = scope_bytes(&scope);
            if access_budget.take(bytes) {
                plan.access.scopes.push(scope);
            } else {
                plan.dropped.push(Dropped {
                    token: Token::Access,
                    name: scope,
                    bytes,
                });
            }
        }
        for (name, value) in profile_values(profile_claims, item, ClaimTypes::Json) {
            plan.add_claim(Token::Access, &mut access_budget, name, value);
        }
        plan.access.suppress = config.access_suppress.clone();
        plan
    }

    /// For a machine-to-machine access token of `client_id` (V3).
    pub fn for_client(config: &Config, client_id: Option<&str>, request: &TokenRequest) -> Plan {
        let mut plan = Plan::default();
        let mut budget = Budget::for_token(members(&request.access_token_members));
        let claims = client_id.and_then(|client| config.client_claims.for_client(client));
        for (name, value) in claims.into_iter().flatten() {
            plan.add_claim(Token::Access, &mut budget, name, value.clone());
        }
        plan.access.suppress = config.access_suppress.clone();
        plan
    }

    fn add_claim(&mut self, token: Token, budget: &mut Budget, name: &str, value: Value) {
        let bytes = member_bytes(name, &value);
        if budget.take(bytes) {
            let changes = match token {
                Token::Id => &mut self.id,
                Token::Access => &mut self.access,
            };
            changes.add.insert(name.to_owned(), value);
        } else {
            self.dropped.push(Dropped {
                token,
                name: name.to_owned(),
                bytes,
            });
        }
    }
}

fn members(members: &[(String, Value)]) -> impl Iterator<Item = (&str, &Value)> {
    members.iter().map(|(name, value)| (name.as_str(), value))
}

/// The listed attributes the item holds, as claim values, in the listed
/// order.
fn profile_values<'a>(
    claims: &'a [String],
    item: Option<&'a Item>,
    types: ClaimTypes,
) -> impl Iterator<Item = (&'a str, Value)> {
    claims.iter().filter_map(move |name| {
        let attribute = item?.get(name)?;
        claim_value(attribute, types).map(|value| (name.as_str(), value))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::AttributeValue;

    use cognito_auth_core::trigger::TriggerEvent;
    use serde_json::json;

    use crate::budget::MAX_PAYLOAD_BYTES;

    fn config(pairs: &[(&str, &str)]) -> Config {
        test_kit::config::<Config>(pairs).unwrap()
    }

    fn full_config() -> Config {
        config(&[
            (
                "GROUP_SCOPES",
                r#"{"admins":{"scopes":["api/admin","api/read"],"clients":["client1"]},
                    "users":{"scopes":["api/read"],"clients":["client1"]}}"#,
            ),
            ("USERS_TABLE", "users"),
            ("PROFILE_CLAIMS", "plan,tenant_id,seats,flags"),
            ("ID_CLAIMS_TO_SUPPRESS", "phone_number"),
            ("ACCESS_CLAIMS_TO_SUPPRESS", "custom:internal"),
            (
                "CLIENT_CLAIMS",
                r#"{"m2mclient1":{"tenant_id":"acme","tier":2}}"#,
            ),
        ])
    }

    fn request(groups: &[&str], scopes: &[&str]) -> TokenRequest {
        request_from("client1", groups, scopes)
    }

    fn request_from(client_id: &str, groups: &[&str], scopes: &[&str]) -> TokenRequest {
        let event = TriggerEvent::from_value(json!({
            "triggerSource": "TokenGeneration_Authentication",
            "userName": "alice",
            "callerContext": {"clientId": client_id},
            "request": {
                "userAttributes": {"sub": "s-1", "email_verified": "true"},
                "groupConfiguration": {"groupsToOverride": groups},
                "scopes": scopes
            }
        }))
        .unwrap();
        TokenRequest::read(&event).unwrap()
    }

    fn item() -> Item {
        Item::from([
            ("sub".to_owned(), AttributeValue::S("s-1".into())),
            ("plan".to_owned(), AttributeValue::S("pro".into())),
            ("seats".to_owned(), AttributeValue::N("5".into())),
            (
                "flags".to_owned(),
                AttributeValue::L(vec![AttributeValue::S("beta".into())]),
            ),
        ])
    }

    #[test]
    fn v2_adds_scopes_and_typed_claims_to_both_tokens() {
        let plan = Plan::for_user(
            &full_config(),
            Version::V2,
            &request(&["users", "admins"], &["openid", "api/read"]),
            Some(&item()),
        );
        assert_eq!(plan.access.scopes, ["api/admin"]);
        let expected = json!({"plan": "pro", "seats": 5, "flags": ["beta"]});
        assert_eq!(Value::Object(plan.id.add.clone()), expected);
        assert_eq!(Value::Object(plan.access.add.clone()), expected);
        assert_eq!(plan.id.suppress, ["phone_number"]);
        assert_eq!(plan.access.suppress, ["custom:internal"]);
        assert!(plan.dropped.is_empty());
    }

    #[test]
    fn another_app_client_gets_no_group_scope_but_the_same_claims() {
        let plan = Plan::for_user(
            &full_config(),
            Version::V2,
            &request_from("client2", &["users", "admins"], &["openid"]),
            Some(&item()),
        );
        assert!(plan.access.scopes.is_empty());
        assert_eq!(plan.access.add.get("plan"), Some(&json!("pro")));
    }

    #[test]
    fn v1_changes_the_id_token_only_with_strings() {
        let plan = Plan::for_user(
            &full_config(),
            Version::V1,
            &request(&["admins"], &[]),
            Some(&item()),
        );
        assert_eq!(
            Value::Object(plan.id.add.clone()),
            json!({"plan": "pro", "seats": "5", "flags": "[\"beta\"]"})
        );
        assert!(plan.access.is_empty());
    }

    #[test]
    fn without_an_item_no_profile_claim_is_added() {
        let plan = Plan::for_user(&full_config(), Version::V3, &request(&["users"], &[]), None);
        assert!(plan.id.add.is_empty() && plan.access.add.is_empty());
        assert_eq!(plan.access.scopes, ["api/read"]);
    }

    #[test]
    fn nothing_configured_plans_nothing() {
        let plan = Plan::for_user(
            &config(&[]),
            Version::V2,
            &request(&["admins"], &["openid"]),
            Some(&item()),
        );
        assert!(plan.is_empty());
    }

    #[test]
    fn client_credentials_get_their_clients_claims_only() {
        let config = full_config();
        let request = request(&[], &["api/read"]);
        let plan = Plan::for_client(&config, Some("m2mclient1"), &request);
        assert_eq!(
            Value::Object(plan.access.add.clone()),
            json!({"tenant_id": "acme", "tier": 2})
        );
        assert!(plan.id.is_empty() && plan.access.scopes.is_empty());
        let other = Plan::for_client(&config, Some("unlisted"), &request);
        assert!(other.access.add.is_empty());
        assert_eq!(other.access.suppress, ["custom:internal"]);
        assert!(
            Plan::for_client(&config, None, &request)
                .access
                .add
                .is_empty()
        );
    }

    #[test]
    fn what_does_not_fit_is_dropped_and_smaller_items_still_fit() {
        // A user in many long-named groups: the groups alone nearly fill
        // both tokens.
        let groups: Vec<String> = (0..40)
            .map(|i| format!("group-{i:03}-{}", "g".repeat(80)))
            .collect();
        let group_refs: Vec<&str> = groups.iter().map(String::as_str).collect();
        let request = request(&group_refs, &[]);
        let mut item = item();
        item.insert(
            "plan".to_owned(),
            AttributeValue::S("p".repeat(MAX_PAYLOAD_BYTES)),
        );
        let plan = Plan::for_user(&full_config(), Version::V2, &request, Some(&item));
        let dropped: Vec<(&str, &str)> = plan
            .dropped
            .iter()
            .map(|dropped| (dropped.token.as_str(), dropped.name.as_str()))
            .collect();
        assert!(dropped.contains(&("id", "plan")), "{dropped:?}");
        assert!(dropped.contains(&("access", "plan")), "{dropped:?}");
        assert!(!plan.id.add.contains_key("plan"));
        assert_eq!(plan.id.add.get("seats"), Some(&json!(5)));
        assert_eq!(plan.access.add.get("seats"), Some(&json!(5)));
        // What was kept fits, by the same estimate.
        for (changes, shown) in [
            (&plan.id, &request.id_token_members),
            (&plan.access, &request.access_token_members),
        ] {
            let mut budget = Budget::for_token(members(shown));
            for (name, value) in &changes.add {
                assert!(budget.take(member_bytes(name, value)), "{name}");
            }
            for scope in &changes.scopes {
                assert!(budget.take(scope_bytes(scope)), "{scope}");
            }
        }
    }
}
