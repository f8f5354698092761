//! What the function answers Cognito for a migrated user: pure functions of
//! the configuration and the legacy item.
//!
//! From AWS's "Migrate user Lambda trigger" page: `response.userAttributes`
//! (standard attributes and `custom:` ones; never `sub`, which Cognito
//! makes), `finalUserStatus` (`CONFIRMED` at sign-in, so the old password
//! keeps working; `RESET_REQUIRED` here for the forgot-password path, where
//! there is no password to keep), `messageAction: SUPPRESS` (no welcome
//! message to someone who already has an account), and
//! `desiredDeliveryMediums` (where a message would go: `EMAIL` when the user
//! has an email, else `SMS` when a phone number). `forceAliasCreation` is
//! left unset (false): with it, a migrated user would take an email alias
//! from a pool user who already holds it.

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Map, Value};

use crate::aws::Item;
use crate::config::Config;

/// The longest attribute value Cognito stores (2,048 characters).
pub const MAX_ATTRIBUTE_CHARS: usize = 2_048;

/// The two paths into the trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `UserMigration_Authentication`: a sign-in with a password.
    Authentication,
    /// `UserMigration_ForgotPassword`: a reset, without one.
    ForgotPassword,
    /// Anything else: passed through untouched.
    Unknown,
}

impl Source {
    /// The source of `trigger_source`.
    pub fn of(trigger_source: &str) -> Self {
        match trigger_source {
            "UserMigration_Authentication" => Source::Authentication,
            "UserMigration_ForgotPassword" => Source::ForgotPassword,
            _ => Source::Unknown,
        }
    }

    /// `finalUserStatus` for this path.
    pub fn final_user_status(self) -> &'static str {
        match self {
            Source::ForgotPassword => "RESET_REQUIRED",
            Source::Authentication | Source::Unknown => "CONFIRMED",
        }
    }

    /// The `Reason` of a migration on this path.
    pub fn reason(self) -> &'static str {
        match self {
            Source::ForgotPassword => "forgot_password",
            Source::Authentication | Source::Unknown => "sign_in",
        }
    }
}

/// An attribute left out of the answer, by name, and why (never the value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The Cognito attribute.
    pub attribute: String,
    /// Why.
    pub reason: &'static str,
}

/// The user attributes for `item`, as Cognito takes them (every value a
/// string), and the attributes that were present but could not be used.
pub fn user_attributes(config: &Config, item: &Item) -> (Map<String, Value>, Vec<Skipped>) {
    let mut attributes = Map::new();
    let mut skipped = Vec::new();
    for copied in &config.attributes {
        let Some(value) = item.get(&copied.item) else {
            continue;
        };
        let verified_flag = matches!(
            copied.cognito.as_str(),
            "email_verified" | "phone_number_verified"
        );
        let text = if verified_flag {
            boolean_text(value)
        } else {
            scalar_text(value)
        };
        match text {
            Some(text) if text.is_empty() => {}
            Some(text) if text.chars().count() > MAX_ATTRIBUTE_CHARS => skipped.push(Skipped {
                attribute: copied.cognito.clone(),
                reason: "longer than the 2,048 characters Cognito stores",
            }),
            Some(text) => {
                attributes.insert(copied.cognito.clone(), Value::String(text));
            }
            None => skipped.push(Skipped {
                attribute: copied.cognito.clone(),
                reason: if verified_flag {
                    "not a boolean, nor `true` or `false`"
                } else {
                    "not a string, number or boolean"
                },
            }),
        }
    }
    for (address, flag, assume) in [
        ("email", "email_verified", config.assume_email_verified),
        (
            "phone_number",
            "phone_number_verified",
            config.assume_phone_verified,
        ),
    ] {
        if assume && attributes.contains_key(address) && !attributes.contains_key(flag) {
            attributes.insert(flag.to_owned(), Value::String("true".to_owned()));
        }
        // A verified flag without the address it verifies means nothing.
        if !attributes.contains_key(address) {
            attributes.remove(flag);
        }
    }
    (attributes, skipped)
}

/// `desiredDeliveryMediums` for these attributes: `EMAIL` when there is an
/// email, else `SMS` when a phone number, else none.
pub fn delivery_mediums(attributes: &Map<String, Value>) -> Option<Value> {
    if attributes.contains_key("email") {
        Some(Value::from(vec!["EMAIL"]))
    } else if attributes.contains_key("phone_number") {
        Some(Value::from(vec!["SMS"]))
    } else {
        None
    }
}

/// Whether a user with these attributes can receive a reset code: Cognito
/// sends it to a verified email or phone number only.
pub fn can_receive_reset_code(attributes: &Map<String, Value>) -> bool {
    ["email_verified", "phone_number_verified"]
        .iter()
        .any(|flag| attributes.get(*flag).and_then(Value::as_str) == Some("true"))
}

fn scalar_text(value: &AttributeValue) -> Option<String> {
    match value {
        AttributeValue::S(text) => Some(text.clone()),
        AttributeValue::N(number) => Some(number.clone()),
        AttributeValue::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

fn boolean_text(value: &AttributeValue) -> Option<String> {
    match value {
        AttributeValue::Bool(flag) => Some(flag.to_string()),
        AttributeValue::S(text) if text.eq_ignore_ascii_case("true") => Some("true".to_owned()),
        AttributeValue::S(text) if text.eq_ignore_ascii_case("false") => Some("false".to_owned()),
        AttributeValue::N(number) if number == "1" => Some("true".to_owned()),
        AttributeValue::N(number) if number == "0" => Some("false".to_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {

    use serde_json::json;

    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Config {
        let mut all = vec![("LEGACY_USERS_TABLE", "legacy-users")];
        all.extend_from_slice(pairs);
        test_kit::config::<Config>(&all).unwrap()
    }

    fn item(pairs: &[(&str, AttributeValue)]) -> Item {
        pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), value.clone()))
            .collect()
    }

    fn s(text: &str) -> AttributeValue {
        AttributeValue::S(text.to_owned())
    }

    #[test]
    fn copies_the_default_attributes_with_their_flags() {
        let (attributes, skipped) = user_attributes(
            &config(&[]),
            &item(&[
                ("username", s("maria")),
                ("password_hash", s("$argon2id$...")),
                ("email", s("maria@example.com")),
                ("email_verified", AttributeValue::Bool(true)),
                ("phone_number", s("+15555550100")),
                ("phone_number_verified", s("FALSE")),
            ]),
        );
        assert_eq!(
            Value::Object(attributes.clone()),
            json!({
                "email": "maria@example.com",
                "email_verified": "true",
                "phone_number": "+15555550100",
                "phone_number_verified": "false"
            })
        );
        assert!(skipped.is_empty());
        assert_eq!(delivery_mediums(&attributes), Some(json!(["EMAIL"])));
        assert!(can_receive_reset_code(&attributes));
    }

    #[test]
    fn never_copies_the_hash_or_the_key() {
        let (attributes, _) = user_attributes(
            &config(&[("LEGACY_ATTRIBUTES", "given_name=first,custom:plan=plan")]),
            &item(&[
                ("username", s("maria")),
                ("password_hash", s("$argon2id$...")),
                ("first", s("Maria")),
                ("plan", AttributeValue::N("3".into())),
                ("email", s("maria@example.com")),
            ]),
        );
        assert_eq!(
            Value::Object(attributes.clone()),
            json!({"given_name": "Maria", "custom:plan": "3"})
        );
        assert_eq!(delivery_mediums(&attributes), None);
        assert!(!can_receive_reset_code(&attributes));
    }

    #[test]
    fn assumed_flags_and_flags_without_an_address() {
        let config = config(&[
            ("ASSUME_EMAIL_VERIFIED", "true"),
            ("ASSUME_PHONE_VERIFIED", "true"),
        ]);
        let (attributes, _) = user_attributes(
            &config,
            &item(&[
                ("email", s("maria@example.com")),
                ("email_verified", s("false")),
                ("phone_number_verified", AttributeValue::Bool(true)),
            ]),
        );
        // The record's own `false` wins; a phone flag without a phone goes.
        assert_eq!(
            Value::Object(attributes),
            json!({"email": "maria@example.com", "email_verified": "false"})
        );
        let (attributes, _) =
            user_attributes(&config, &item(&[("phone_number", s("+15555550100"))]));
        assert_eq!(
            Value::Object(attributes.clone()),
            json!({"phone_number": "+15555550100", "phone_number_verified": "true"})
        );
        assert_eq!(delivery_mediums(&attributes), Some(json!(["SMS"])));
    }

    #[test]
    fn unusable_values_are_skipped_by_name() {
        let (attributes, skipped) = user_attributes(
            &config(&[]),
            &item(&[
                ("email", s(&"x".repeat(2_049))),
                ("email_verified", s("yes")),
                ("phone_number", AttributeValue::Ss(vec!["+1".into()])),
            ]),
        );
        assert!(attributes.is_empty());
        let names: Vec<&str> = skipped.iter().map(|s| s.attribute.as_str()).collect();
        assert_eq!(names, ["email", "email_verified", "phone_number"]);
    }

    #[test]
    fn sources() {
        assert_eq!(
            Source::of("UserMigration_Authentication").final_user_status(),
            "CONFIRMED"
        );
        assert_eq!(
            Source::of("UserMigration_ForgotPassword").final_user_status(),
            "RESET_REQUIRED"
        );
        assert_eq!(Source::of("PreSignUp_SignUp"), Source::Unknown);
    }
}
