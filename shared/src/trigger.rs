//! The envelope that every Cognito user-pool trigger shares.
//!
//! Cognito expects a trigger to return the whole event it was given, with
//! `response` filled in. The `aws_lambda_events` types are a poor fit for that
//! contract: they reject an unknown `triggerSource`, a `"response": {}`, a
//! missing `callerContext` and non-string attribute values, and they drop
//! fields they do not model (such as `linkParameter`). So a trigger keeps the
//! event as the JSON it received, reads the few fields it needs through
//! [`TriggerEvent`], writes only its response fields, and hands everything
//! else back untouched.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// The event is not something any Cognito trigger sends. The reason is for
/// logs; it never quotes attribute values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed trigger event: {reason}")]
pub struct MalformedEvent {
    /// What is wrong, in terms of field names only.
    pub reason: &'static str,
}

/// A Cognito trigger event, kept whole.
#[derive(Clone, PartialEq)]
pub struct TriggerEvent {
    fields: Map<String, Value>,
}

/// The trigger source and the top-level field names only: an event holds
/// passwords (user migration), codes, addresses and a takeover notice's
/// feedback token, and a `{:?}` in a log line or an error must not print
/// them.
impl std::fmt::Debug for TriggerEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TriggerEvent")
            .field("trigger_source", &self.trigger_source())
            .field("fields", &self.fields.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl TriggerEvent {
    /// [`Self::from_value`], logging a malformed envelope at ERROR: how
    /// every trigger reads its event, so that the line reads the same in
    /// each function's logs.
    pub fn read(value: Value) -> Result<Self, MalformedEvent> {
        Self::from_value(value).inspect_err(|error| {
            tracing::error!(error_type = "MalformedEvent", error = %error, "rejected the event");
        })
    }

    /// Wraps an event. Only the envelope is checked: it must be a JSON object
    /// whose `triggerSource` is a string, and whose `request` and `response`,
    /// when present and not null, are objects.
    pub fn from_value(value: Value) -> Result<Self, MalformedEvent> {
        let Value::Object(fields) = value else {
            return Err(MalformedEvent {
                reason: "the event is not a JSON object",
            });
        };
        match fields.get("triggerSource") {
            Some(Value::String(_)) => {}
            Some(_) => {
                return Err(MalformedEvent {
                    reason: "triggerSource is not a string",
                });
            }
            None => {
                return Err(MalformedEvent {
                    reason: "triggerSource is missing",
                });
            }
        }
        for (name, reason) in [
            ("request", "request is not an object"),
            ("response", "response is not an object"),
        ] {
            if !matches!(
                fields.get(name),
                None | Some(Value::Null | Value::Object(_))
            ) {
                return Err(MalformedEvent { reason });
            }
        }
        Ok(Self { fields })
    }

    /// `triggerSource`, such as `PreSignUp_SignUp`.
    pub fn trigger_source(&self) -> &str {
        self.top_str("triggerSource").unwrap_or_default()
    }

    /// `userPoolId`: where calls back into Cognito must go. Taken from the
    /// event, never from configuration, so the template has no circular
    /// dependency between the pool and its triggers.
    pub fn user_pool_id(&self) -> Option<&str> {
        self.top_str("userPoolId")
    }

    /// `userName`: the user's username (for a federated user,
    /// `<Provider>_<subject>`).
    pub fn user_name(&self) -> Option<&str> {
        self.top_str("userName")
    }

    /// `region`.
    pub fn region(&self) -> Option<&str> {
        self.top_str("region")
    }

    /// `callerContext.clientId`, the app client the user came through.
    pub fn client_id(&self) -> Option<&str> {
        self.fields
            .get("callerContext")
            .and_then(|context| context.get("clientId"))
            .and_then(Value::as_str)
    }

    /// `request`, or an empty object when absent or null.
    pub fn request(&self) -> &Map<String, Value> {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        match self.fields.get("request") {
            Some(Value::Object(request)) => request,
            _ => EMPTY.get_or_init(Map::new),
        }
    }

    /// A string member of `request`, such as `codeParameter`.
    pub fn request_str(&self, name: &str) -> Option<&str> {
        self.request().get(name).and_then(Value::as_str)
    }

    /// One user attribute as text. Real events send strings, but test events
    /// and some consoles send booleans and numbers, so those are rendered the
    /// way Cognito would store them (`"true"`, `"42"`). Null, absent and
    /// structured values are `None`.
    pub fn user_attribute(&self, name: &str) -> Option<String> {
        self.string_map_entry("userAttributes", name)
    }

    /// All user attributes as text, dropping null and structured values.
    pub fn user_attributes(&self) -> BTreeMap<String, String> {
        self.string_map("userAttributes")
    }

    /// One entry of `request.clientMetadata`, as text.
    pub fn client_metadata(&self, name: &str) -> Option<String> {
        self.string_map_entry("clientMetadata", name)
    }

    /// Sets `response.<name>`, creating `response` when it is absent or null.
    /// Other members of `response` are kept.
    pub fn set_response(&mut self, name: &str, value: Value) {
        let response = self
            .fields
            .entry("response")
            .or_insert_with(|| Value::Object(Map::new()));
        if !response.is_object() {
            *response = Value::Object(Map::new());
        }
        if let Value::Object(response) = response {
            response.insert(name.to_owned(), value);
        }
    }

    /// `response.<name>`, if set.
    pub fn response_field(&self, name: &str) -> Option<&Value> {
        self.fields
            .get("response")
            .and_then(|response| response.get(name))
    }

    /// The whole event, to return to Cognito.
    pub fn into_value(self) -> Value {
        Value::Object(self.fields)
    }

    fn top_str(&self, name: &str) -> Option<&str> {
        self.fields.get(name).and_then(Value::as_str)
    }

    fn string_map_entry(&self, map: &str, name: &str) -> Option<String> {
        self.request()
            .get(map)
            .and_then(|entries| entries.get(name))
            .and_then(attribute_text)
    }

    fn string_map(&self, map: &str) -> BTreeMap<String, String> {
        match self.request().get(map) {
            Some(Value::Object(entries)) => entries
                .iter()
                .filter_map(|(name, value)| attribute_text(value).map(|text| (name.clone(), text)))
                .collect(),
            _ => BTreeMap::new(),
        }
    }
}

fn attribute_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Number(number) => Some(number.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event() -> Value {
        json!({
            "version": "1",
            "triggerSource": "CustomMessage_SignUp",
            "region": "eu-west-1",
            "userPoolId": "eu-west-1_AbC123",
            "userName": "alice",
            "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "client-1"},
            "request": {
                "userAttributes": {"email": "a@example.com", "email_verified": true, "custom:n": 7, "gone": null},
                "codeParameter": "{####}",
                "linkParameter": "{##Click Here##}",
                "clientMetadata": null
            },
            "response": {"smsMessage": null, "emailMessage": null, "emailSubject": null},
            "futureField": {"kept": [1, 2, 3]}
        })
    }

    #[test]
    fn reads_the_envelope() {
        let event = TriggerEvent::from_value(event()).unwrap();
        assert_eq!(event.trigger_source(), "CustomMessage_SignUp");
        assert_eq!(event.user_pool_id(), Some("eu-west-1_AbC123"));
        assert_eq!(event.client_id(), Some("client-1"));
        assert_eq!(event.request_str("codeParameter"), Some("{####}"));
        assert_eq!(
            event.user_attribute("email_verified").as_deref(),
            Some("true")
        );
        assert_eq!(event.user_attribute("custom:n").as_deref(), Some("7"));
        assert_eq!(event.user_attribute("gone"), None);
        assert_eq!(event.user_attributes().len(), 3);
        assert_eq!(event.client_metadata("locale"), None);
    }

    #[test]
    fn writes_only_the_response_field_and_keeps_everything_else() {
        let mut event = TriggerEvent::from_value(event()).unwrap();
        event.set_response("emailSubject", json!("Welcome"));
        let mut expected = self::event();
        expected["response"]["emailSubject"] = json!("Welcome");
        assert_eq!(event.into_value(), expected);
    }

    #[test]
    fn creates_a_missing_or_null_response() {
        for response in [None, Some(Value::Null)] {
            let mut value = json!({"triggerSource": "PreSignUp_SignUp"});
            if let Some(response) = response {
                value["response"] = response;
            }
            let mut event = TriggerEvent::from_value(value).unwrap();
            event.set_response("autoConfirmUser", json!(true));
            assert_eq!(event.response_field("autoConfirmUser"), Some(&json!(true)));
        }
    }

    #[test]
    fn rejects_what_no_trigger_sends() {
        for (value, reason) in [
            (json!([]), "the event is not a JSON object"),
            (json!({}), "triggerSource is missing"),
            (json!({"triggerSource": 1}), "triggerSource is not a string"),
            (
                json!({"triggerSource": "X", "request": "no"}),
                "request is not an object",
            ),
            (
                json!({"triggerSource": "X", "response": []}),
                "response is not an object",
            ),
        ] {
            assert_eq!(TriggerEvent::from_value(value).unwrap_err().reason, reason);
        }
    }

    #[test]
    fn debug_prints_no_value_of_the_event() {
        let event = TriggerEvent::from_value(serde_json::json!({
            "triggerSource": "UserMigration_Authentication",
            "userName": "jane@example.com",
            "request": {"password": "Correct-Horse-9", "userAttributes": {"FEEDBACK_TOKEN": "fbk"}},
            "response": {}
        }))
        .unwrap();
        let debug = format!("{event:?}");
        assert!(debug.contains("UserMigration_Authentication"), "{debug}");
        assert!(debug.contains("request"), "{debug}");
        for secret in ["jane@example.com", "Correct-Horse-9", "fbk"] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
    }
}
