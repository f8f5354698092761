//! What this function reads from a pre token generation event: the event
//! version, the trigger source, and the few request fields the decisions and
//! the size estimate need. Everything else stays in the event untouched.

use cognito_auth_core::trigger::TriggerEvent;
use serde_json::Value;

use crate::error::FnError;

/// The event version, from the top-level `version`: the pool's
/// `PreTokenGenerationConfig.LambdaVersion` (`V1_0`, `V2_0`, `V3_0`).
/// Cognito sends it as a string; a number is read the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// ID token claims (strings only) and groups.
    V1,
    /// V1, plus access token claims and scopes, and JSON claim values.
    V2,
    /// V2, plus machine-to-machine (client credentials) access tokens.
    V3,
}

impl Version {
    /// The version `value` names, or `None` for anything else (which passes
    /// through untouched: a response shaped for the wrong version would fail
    /// the sign-in).
    pub fn of(value: Option<&Value>) -> Option<Version> {
        let text = match value? {
            Value::String(text) => text.trim().to_owned(),
            Value::Number(number) => number.to_string(),
            _ => return None,
        };
        match text.as_str() {
            "1" => Some(Version::V1),
            "2" => Some(Version::V2),
            "3" => Some(Version::V3),
            _ => None,
        }
    }

    /// `1`, `2` or `3`, for logs.
    pub fn number(self) -> u8 {
        match self {
            Version::V1 => 1,
            Version::V2 => 2,
            Version::V3 => 3,
        }
    }
}

/// The pre token generation trigger sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `TokenGeneration_HostedAuth`: sign-in through managed login.
    HostedAuth,
    /// `TokenGeneration_Authentication`: an API sign-in flow completed.
    Authentication,
    /// `TokenGeneration_NewPasswordChallenge`: an admin-created user set
    /// their password.
    NewPasswordChallenge,
    /// `TokenGeneration_AuthenticateDevice`: a remembered device signed in.
    AuthenticateDevice,
    /// `TokenGeneration_RefreshTokens`: new ID and access tokens from a
    /// refresh token.
    RefreshTokens,
    /// `TokenGeneration_ClientCredentials`: a machine-to-machine access
    /// token (V3 events only).
    ClientCredentials,
}

impl Source {
    /// The source for a `triggerSource`, or `None` for any other.
    pub fn of(trigger_source: &str) -> Option<Source> {
        match trigger_source {
            "TokenGeneration_HostedAuth" => Some(Source::HostedAuth),
            "TokenGeneration_Authentication" => Some(Source::Authentication),
            "TokenGeneration_NewPasswordChallenge" => Some(Source::NewPasswordChallenge),
            "TokenGeneration_AuthenticateDevice" => Some(Source::AuthenticateDevice),
            "TokenGeneration_RefreshTokens" => Some(Source::RefreshTokens),
            "TokenGeneration_ClientCredentials" => Some(Source::ClientCredentials),
            _ => None,
        }
    }

    /// Whether the tokens are a machine's (no user, no ID token).
    pub fn is_machine(self) -> bool {
        self == Source::ClientCredentials
    }
}

/// The request fields this function uses, read and type-checked.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TokenRequest {
    /// `request.groupConfiguration.groupsToOverride`: the user's groups.
    pub groups: Vec<String>,
    /// `request.scopes` (V2 and V3): the access token's scopes.
    pub scopes: Vec<String>,
    /// `request.userAttributes.sub`: the profile item's key.
    pub sub: Option<String>,
    /// `callerContext.clientId`: the app client the tokens are for, which
    /// decides the group scopes they may get (see [`crate::scopes`]).
    pub client_id: Option<String>,
    /// The claims the event shows for each token, for the size estimate.
    pub id_token_members: Vec<(String, Value)>,
    /// See [`TokenRequest::id_token_members`].
    pub access_token_members: Vec<(String, Value)>,
}

impl TokenRequest {
    /// Reads the request. The maps and lists must have the types Cognito
    /// sends (null and absent count as empty): anything else is not a
    /// Cognito event and is refused rather than half read.
    pub fn read(event: &TriggerEvent) -> Result<TokenRequest, FnError> {
        let request = event.request();
        let attributes = match request.get("userAttributes") {
            None | Some(Value::Null) => None,
            Some(Value::Object(attributes)) => Some(attributes),
            Some(_) => return Err(FnError::MalformedField("request.userAttributes")),
        };
        let group_configuration = match request.get("groupConfiguration") {
            None | Some(Value::Null) => None,
            Some(Value::Object(configuration)) => Some(configuration),
            Some(_) => return Err(FnError::MalformedField("request.groupConfiguration")),
        };
        let groups = string_list(
            group_configuration.and_then(|c| c.get("groupsToOverride")),
            "request.groupConfiguration.groupsToOverride",
        )?;
        let roles = string_list(
            group_configuration.and_then(|c| c.get("iamRolesToOverride")),
            "request.groupConfiguration.iamRolesToOverride",
        )?;
        // Documented as a string, shown as a list in Cognito's own examples:
        // only its size matters here.
        let preferred_role = group_configuration
            .and_then(|c| c.get("preferredRole"))
            .filter(|role| !role.is_null())
            .cloned();
        let scopes = string_list(request.get("scopes"), "request.scopes")?;
        let sub = attributes
            .and_then(|attributes| attributes.get("sub"))
            .and_then(Value::as_str)
            .filter(|sub| !sub.is_empty())
            .map(str::to_owned);

        let user_name = Value::String(event.user_name().unwrap_or_default().to_owned());
        let groups_value = Value::from(groups.clone());
        let mut id_token_members: Vec<(String, Value)> = attributes
            .into_iter()
            .flatten()
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        id_token_members.push(("cognito:username".to_owned(), user_name.clone()));
        if !groups.is_empty() {
            id_token_members.push(("cognito:groups".to_owned(), groups_value.clone()));
        }
        if !roles.is_empty() {
            id_token_members.push(("cognito:roles".to_owned(), Value::from(roles)));
        }
        if let Some(role) = preferred_role {
            id_token_members.push(("cognito:preferred_role".to_owned(), role));
        }
        let mut access_token_members = vec![
            ("username".to_owned(), user_name),
            ("scope".to_owned(), Value::String(scopes.join(" "))),
        ];
        if !groups.is_empty() {
            access_token_members.push(("cognito:groups".to_owned(), groups_value));
        }
        Ok(TokenRequest {
            groups,
            scopes,
            sub,
            client_id: event.client_id().map(str::to_owned),
            id_token_members,
            access_token_members,
        })
    }
}

fn string_list(value: Option<&Value>, field: &'static str) -> Result<Vec<String>, FnError> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or(FnError::MalformedField(field)),
        Some(_) => Err(FnError::MalformedField(field)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(request: Value) -> Result<TokenRequest, FnError> {
        let event = TriggerEvent::from_value(json!({
            "triggerSource": "TokenGeneration_Authentication",
            "userName": "alice",
            "request": request,
        }))
        .unwrap();
        TokenRequest::read(&event)
    }

    #[test]
    fn versions_and_sources() {
        for (value, expected) in [
            (json!("1"), Some(Version::V1)),
            (json!("2"), Some(Version::V2)),
            (json!(3), Some(Version::V3)),
            (json!("4"), None),
            (json!("V2_0"), None),
            (json!(null), None),
        ] {
            assert_eq!(Version::of(Some(&value)), expected, "{value}");
        }
        assert_eq!(Version::of(None), None);
        assert_eq!(
            Source::of("TokenGeneration_ClientCredentials"),
            Some(Source::ClientCredentials)
        );
        assert!(Source::ClientCredentials.is_machine());
        assert!(!Source::RefreshTokens.is_machine());
        assert_eq!(Source::of("PreSignUp_SignUp"), None);
        assert_eq!(Source::of("tokengeneration_hostedauth"), None);
    }

    #[test]
    fn reads_groups_scopes_and_sub() {
        let request = read(json!({
            "userAttributes": {"sub": "s-1", "email": "a@example.com"},
            "groupConfiguration": {
                "groupsToOverride": ["admins", "users"],
                "iamRolesToOverride": [],
                "preferredRole": null
            },
            "scopes": ["openid", "aws.cognito.signin.user.admin"]
        }))
        .unwrap();
        assert_eq!(request.groups, ["admins", "users"]);
        assert_eq!(request.scopes, ["openid", "aws.cognito.signin.user.admin"]);
        assert_eq!(request.sub.as_deref(), Some("s-1"));
        let names: Vec<&str> = request
            .id_token_members
            .iter()
            .map(|(name, _)| name.as_str())
            .collect();
        assert_eq!(
            names,
            ["email", "sub", "cognito:username", "cognito:groups"]
        );
    }

    #[test]
    fn null_and_absent_are_empty() {
        let request = read(json!({"groupConfiguration": null, "userAttributes": null})).unwrap();
        assert!(request.groups.is_empty() && request.scopes.is_empty());
        assert_eq!(request.sub, None);
        assert!(read(json!({})).is_ok());
    }

    #[test]
    fn wrong_types_are_refused() {
        for (request, field) in [
            (json!({"userAttributes": []}), "request.userAttributes"),
            (
                json!({"groupConfiguration": "x"}),
                "request.groupConfiguration",
            ),
            (
                json!({"groupConfiguration": {"groupsToOverride": "admins"}}),
                "request.groupConfiguration.groupsToOverride",
            ),
            (
                json!({"groupConfiguration": {"groupsToOverride": [1]}}),
                "request.groupConfiguration.groupsToOverride",
            ),
            (json!({"scopes": "openid"}), "request.scopes"),
        ] {
            match read(request) {
                Err(FnError::MalformedField(actual)) => assert_eq!(actual, field),
                other => panic!("{field}: {other:?}"),
            }
        }
    }
}
