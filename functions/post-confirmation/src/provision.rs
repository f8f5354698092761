//! What a confirmed sign-up provisions, decided from the event and the
//! configuration alone: no I/O, so every rule is unit-tested.
//!
//! The whole plan is built, and every field it needs is checked, before any
//! AWS call is made: a malformed event fails without a partial write.
//!
//! # The profile item
//!
//! Key schema: partition key [`PARTITION_KEY`] (`sub`, type S), no sort key.
//! `sub` is the user's immutable id in the pool; usernames can be reused
//! after a deletion, and emails change. The item holds:
//!
//! | attribute | type | from |
//! |---|---|---|
//! | `sub` | S | `userAttributes.sub` |
//! | `username` | S | `userName` (`Google_…` for a federated user) |
//! | `email` | S | `userAttributes.email`, when present |
//! | `email_verified` | BOOL | `userAttributes.email_verified` (`"true"`/`"false"`), when present |
//! | each of `PROFILE_ATTRIBUTES` | S | the attribute of the same name, when present |
//! | `created_at` | S | the function's clock, RFC 3339 UTC with milliseconds |
//! | `client_id` | S | `callerContext.clientId`, when present |
//!
//! The write is conditional on `attribute_not_exists(sub)`, so a retried or
//! replayed invocation neither overwrites the item (nor its `created_at`)
//! nor duplicates it.

use std::collections::HashMap;
use std::time::SystemTime;

use aws_sdk_dynamodb::types::AttributeValue;
use cognito_auth_core::aws::TableName;
use cognito_auth_core::ids::GroupName;
use cognito_auth_core::trigger::TriggerEvent;

use crate::config::Config;
use crate::error::FnError;
use cognito_auth_core::clock::rfc3339_utc;

/// The table's partition key: a string attribute holding the user's `sub`.
pub const PARTITION_KEY: &str = "sub";

/// The trigger sources this function knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A sign-up was confirmed (ConfirmSignUp, AdminConfirmSignUp, or a
    /// federated user's first sign-in).
    ConfirmSignUp,
    /// A password reset was confirmed: the user was provisioned long ago.
    ConfirmForgotPassword,
    /// Anything else: passed through untouched.
    Unknown,
}

impl Source {
    /// Classifies `triggerSource`.
    pub fn of(trigger_source: &str) -> Self {
        match trigger_source {
            "PostConfirmation_ConfirmSignUp" => Source::ConfirmSignUp,
            "PostConfirmation_ConfirmForgotPassword" => Source::ConfirmForgotPassword,
            _ => Source::Unknown,
        }
    }
}

/// The side effects of one confirmed sign-up. Either part may be absent.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// `AdminAddUserToGroup`, when `DEFAULT_GROUP` is set.
    pub membership: Option<Membership>,
    /// `PutItem`, when `USERS_TABLE` is set.
    pub profile: Option<Profile>,
}

/// One `AdminAddUserToGroup` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// From the event, never from configuration (no circular dependency
    /// between the pool and its trigger in the template).
    pub user_pool_id: String,
    /// The event's `userName`.
    pub user_name: String,
    /// `DEFAULT_GROUP`.
    pub group: GroupName,
}

/// One conditional `PutItem` call.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// `USERS_TABLE`.
    pub table: TableName,
    /// The item, keyed by [`PARTITION_KEY`].
    pub item: HashMap<String, AttributeValue>,
}

impl Plan {
    /// What a `PostConfirmation_ConfirmSignUp` event provisions.
    pub fn for_sign_up(
        config: &Config,
        event: &TriggerEvent,
        now: SystemTime,
    ) -> Result<Self, FnError> {
        let membership = match &config.default_group {
            Some(group) => Some(Membership {
                user_pool_id: required(event.user_pool_id(), "userPoolId")?,
                user_name: required(event.user_name(), "userName")?,
                group: group.clone(),
            }),
            None => None,
        };
        let profile = match &config.users_table {
            Some(table) => Some(Profile {
                table: table.clone(),
                item: profile_item(config, event, now)?,
            }),
            None => None,
        };
        Ok(Plan {
            membership,
            profile,
        })
    }
}

fn profile_item(
    config: &Config,
    event: &TriggerEvent,
    now: SystemTime,
) -> Result<HashMap<String, AttributeValue>, FnError> {
    let sub = event
        .user_attribute("sub")
        .filter(|sub| !sub.is_empty())
        .ok_or(FnError::MissingField("request.userAttributes.sub"))?;
    let mut item = HashMap::new();
    item.insert(PARTITION_KEY.to_owned(), AttributeValue::S(sub));
    item.insert(
        "username".to_owned(),
        AttributeValue::S(required(event.user_name(), "userName")?),
    );
    if let Some(email) = event.user_attribute("email") {
        item.insert("email".to_owned(), AttributeValue::S(email));
    }
    if let Some(verified) = event.user_attribute("email_verified") {
        match parse_flag(&verified) {
            Some(flag) => {
                item.insert("email_verified".to_owned(), AttributeValue::Bool(flag));
            }
            None => tracing::warn!(
                "userAttributes.email_verified is neither `true` nor `false`; left out of the profile"
            ),
        }
    }
    for name in &config.profile_attributes {
        // DynamoDB rejects an empty string in a key but allows it elsewhere;
        // an empty attribute carries nothing, so it is left out like an
        // absent one.
        if let Some(value) = event.user_attribute(name).filter(|value| !value.is_empty()) {
            item.insert(name.clone(), AttributeValue::S(value));
        }
    }
    item.insert("created_at".to_owned(), AttributeValue::S(rfc3339_utc(now)));
    if let Some(client_id) = event.client_id() {
        item.insert(
            "client_id".to_owned(),
            AttributeValue::S(client_id.to_owned()),
        );
    }
    Ok(item)
}

fn required(value: Option<&str>, field: &'static str) -> Result<String, FnError> {
    value
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
        .ok_or(FnError::MissingField(field))
}

/// Cognito sends flags as the strings `"true"` and `"false"`.
fn parse_flag(value: &str) -> Option<bool> {
    if value.eq_ignore_ascii_case("true") {
        Some(true)
    } else if value.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use serde_json::{Value, json};

    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Config {
        test_kit::config::<Config>(pairs).unwrap()
    }

    fn full_config() -> Config {
        config(&[
            ("DEFAULT_GROUP", "members"),
            ("USERS_TABLE", "users"),
            (
                "PROFILE_ATTRIBUTES",
                "given_name,family_name,locale,custom:plan",
            ),
        ])
    }

    fn event() -> Value {
        json!({
            "version": "1",
            "region": "us-east-1",
            "userPoolId": "us-east-1_Example1",
            "userName": "alice",
            "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "client-1"},
            "triggerSource": "PostConfirmation_ConfirmSignUp",
            "request": {
                "userAttributes": {
                    "sub": "0f3c-sub",
                    "cognito:user_status": "CONFIRMED",
                    "email_verified": "true",
                    "email": "alice@example.com",
                    "given_name": "Alice",
                    "family_name": "",
                    "phone_number": "+15555550100"
                }
            },
            "response": {}
        })
    }

    fn plan(config: &Config, value: Value) -> Result<Plan, FnError> {
        let event = TriggerEvent::from_value(value).unwrap();
        Plan::for_sign_up(
            config,
            &event,
            UNIX_EPOCH + Duration::from_millis(1_795_309_323_456),
        )
    }

    fn s(text: &str) -> AttributeValue {
        AttributeValue::S(text.to_owned())
    }

    #[test]
    fn classifies_trigger_sources() {
        assert_eq!(
            Source::of("PostConfirmation_ConfirmSignUp"),
            Source::ConfirmSignUp
        );
        assert_eq!(
            Source::of("PostConfirmation_ConfirmForgotPassword"),
            Source::ConfirmForgotPassword
        );
        assert_eq!(Source::of("PreSignUp_SignUp"), Source::Unknown);
        assert_eq!(
            Source::of("postconfirmation_confirmsignup"),
            Source::Unknown
        );
    }

    #[test]
    fn plans_the_membership_from_the_event_pool() {
        let plan = plan(&full_config(), event()).unwrap();
        assert_eq!(
            plan.membership,
            Some(Membership {
                user_pool_id: "us-east-1_Example1".into(),
                user_name: "alice".into(),
                group: GroupName::parse("members").unwrap(),
            })
        );
    }

    #[test]
    fn builds_the_profile_item() {
        let profile = plan(&full_config(), event()).unwrap().profile.unwrap();
        assert_eq!(profile.table, "users");
        let expected: HashMap<String, AttributeValue> = [
            ("sub", s("0f3c-sub")),
            ("username", s("alice")),
            ("email", s("alice@example.com")),
            ("email_verified", AttributeValue::Bool(true)),
            ("given_name", s("Alice")),
            ("created_at", s("2026-11-22T01:02:03.456Z")),
            ("client_id", s("client-1")),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
        // family_name is empty, locale and custom:plan are absent, and
        // phone_number is not listed: none of them is written.
        assert_eq!(profile.item, expected);
    }

    #[test]
    fn federated_users_are_provisioned_the_same_way() {
        let mut value = event();
        value["userName"] = json!("Google_104857363459");
        value["request"]["userAttributes"]["cognito:user_status"] = json!("EXTERNAL_PROVIDER");
        value["request"]["userAttributes"]["email_verified"] = json!("false");
        let plan = plan(&full_config(), value).unwrap();
        assert_eq!(plan.membership.unwrap().user_name, "Google_104857363459");
        let item = plan.profile.unwrap().item;
        assert_eq!(item["username"], s("Google_104857363459"));
        assert_eq!(item["email_verified"], AttributeValue::Bool(false));
    }

    #[test]
    fn an_odd_email_verified_is_left_out() {
        let mut value = event();
        value["request"]["userAttributes"]["email_verified"] = json!("maybe");
        let item = plan(&full_config(), value).unwrap().profile.unwrap().item;
        assert!(!item.contains_key("email_verified"));
        let mut value = event();
        value["request"]["userAttributes"]["email_verified"] = json!(true);
        let item = plan(&full_config(), value).unwrap().profile.unwrap().item;
        assert_eq!(item["email_verified"], AttributeValue::Bool(true));
    }

    #[test]
    fn nothing_configured_plans_nothing() {
        let plan = plan(
            &config(&[]),
            json!({"triggerSource": "PostConfirmation_ConfirmSignUp"}),
        )
        .unwrap();
        assert_eq!(
            plan,
            Plan {
                membership: None,
                profile: None
            }
        );
    }

    #[test]
    fn missing_fields_fail_before_any_call() {
        for (pointer, field) in [
            ("/userPoolId", "userPoolId"),
            ("/userName", "userName"),
            ("/request/userAttributes/sub", "request.userAttributes.sub"),
        ] {
            let mut value = event();
            *value.pointer_mut(pointer).unwrap() = Value::Null;
            match plan(&full_config(), value) {
                Err(FnError::MissingField(missing)) => assert_eq!(missing, field),
                other => panic!("{pointer}: expected MissingField, got {other:?}"),
            }
        }
    }

    #[test]
    fn only_what_is_configured_needs_its_fields() {
        // Without a table, `sub` is not needed; without a group, the pool id
        // is not needed.
        let mut value = event();
        value["request"]["userAttributes"]["sub"] = Value::Null;
        value["userPoolId"] = Value::Null;
        let group_only = config(&[("DEFAULT_GROUP", "members")]);
        assert!(matches!(
            plan(&group_only, value.clone()),
            Err(FnError::MissingField("userPoolId"))
        ));
        value["userPoolId"] = json!("us-east-1_Example1");
        assert!(plan(&group_only, value).unwrap().profile.is_none());
    }
}
