//! The answers API Gateway expects, as our own exact types.
//!
//! `aws_lambda_events`' response types are not used: a default-built one
//! serialises `"Version": null` and `"context": null`, and its context is
//! any JSON, where API Gateway refuses nested values with a 500. Here the
//! version is a constant and the context can only hold flat values.

use std::collections::BTreeMap;

use cognito_auth_core::Claims;
use cognito_auth_core::claims::TokenUse;
use cognito_auth_core::policy::PolicyDocument;
use serde::Serialize;

/// One context value. API Gateway passes strings, numbers and booleans on to
/// the integration (`$context.authorizer.<key>`, or
/// `requestContext.authorizer.lambda.<key>` for HTTP APIs); anything nested
/// makes it answer 500.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ContextValue {
    /// A string.
    String(String),
    /// A whole number.
    Number(i64),
    /// A boolean.
    Bool(bool),
}

/// The flat `context` map.
pub type Context = BTreeMap<&'static str, ContextValue>;

/// The context for a verified caller: `sub`, `username`, `client_id`,
/// `token_use`, `groups` (comma-joined, empty when none), `scopes`
/// (space-joined, empty when none), and `email` for id tokens that carry
/// one. Values come from the verified token only, so the context is as
/// cache-safe as the policy.
pub fn context(claims: &Claims) -> Context {
    let text = |value: &str| ContextValue::String(value.to_owned());
    let mut context = Context::new();
    context.insert("sub", text(&claims.sub));
    context.insert("username", text(&claims.username));
    context.insert("client_id", text(&claims.client_id));
    context.insert("token_use", text(claims.token_use.as_str()));
    context.insert("groups", ContextValue::String(claims.groups.join(",")));
    context.insert("scopes", ContextValue::String(claims.scopes.join(" ")));
    if claims.token_use == TokenUse::Id
        && let Some(email) = &claims.email
    {
        context.insert("email", text(email));
    }
    context
}

/// The answer of a REST (or HTTP API 1.0) authorizer to a verified caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyResponse {
    /// The caller's `sub`.
    pub principal_id: String,
    /// What the caller may call in the stage.
    pub policy_document: PolicyDocument,
    /// Flat values for the integration.
    pub context: Context,
    /// The API key for usage plans, from `USAGE_IDENTIFIER_CLAIM`; absent
    /// unless configured and present in the token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage_identifier_key: Option<String>,
}

/// The simple answer of an HTTP API (payload 2.0) authorizer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimpleResponse {
    /// Whether API Gateway lets the call through (`false`: 403).
    pub is_authorized: bool,
    /// Flat values for the integration; only on an authorised call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<Context>,
}

impl SimpleResponse {
    /// `{"isAuthorized": false}`.
    pub fn denied() -> Self {
        Self {
            is_authorized: false,
            context: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cognito_auth_core::policy::{MethodArn, PolicyBuilder};
    use serde_json::json;

    fn claims(token_use: TokenUse) -> Claims {
        Claims {
            sub: "8f0e1d2c-0000-4000-8000-000000000001".to_owned(),
            username: "alice".to_owned(),
            groups: vec!["admins".to_owned(), "users".to_owned()],
            scopes: vec!["openid".to_owned(), "pets/read".to_owned()],
            client_id: "client-1".to_owned(),
            token_use,
            email: Some("alice@example.com".to_owned()),
            issuer: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_pool".to_owned(),
            exp: 2,
            iat: 1,
            auth_time: None,
            other: serde_json::Map::new(),
        }
    }

    #[test]
    fn the_context_is_flat_and_joins_lists() {
        let value = serde_json::to_value(context(&claims(TokenUse::Id))).unwrap();
        assert_eq!(
            value,
            json!({
                "sub": "8f0e1d2c-0000-4000-8000-000000000001",
                "username": "alice",
                "client_id": "client-1",
                "token_use": "id",
                "groups": "admins,users",
                "scopes": "openid pets/read",
                "email": "alice@example.com"
            })
        );
        assert!(
            value
                .as_object()
                .unwrap()
                .values()
                .all(|v| !v.is_object() && !v.is_array())
        );
    }

    #[test]
    fn access_tokens_carry_no_email_and_empty_lists_are_empty_strings() {
        let mut access = claims(TokenUse::Access);
        access.groups.clear();
        access.scopes.clear();
        let value = serde_json::to_value(context(&access)).unwrap();
        assert_eq!(value["groups"], "");
        assert_eq!(value["scopes"], "");
        assert!(value.get("email").is_none());
    }

    #[test]
    fn responses_serialise_exactly() {
        let arn =
            MethodArn::parse("arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/").unwrap();
        let mut builder = PolicyBuilder::new(&arn);
        builder.allow_stage();
        let response = PolicyResponse {
            principal_id: "sub-1".to_owned(),
            policy_document: builder.build(),
            context: Context::new(),
            usage_identifier_key: None,
        };
        assert_eq!(
            serde_json::to_value(&response).unwrap(),
            json!({
                "principalId": "sub-1",
                "policyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Action": "execute-api:Invoke",
                        "Effect": "Allow",
                        "Resource": ["arn:aws:execute-api:us-east-1:123456789012:abc/prod/*/*"]
                    }]
                },
                "context": {}
            })
        );
        assert_eq!(
            serde_json::to_value(SimpleResponse::denied()).unwrap(),
            json!({"isAuthorized": false})
        );
    }
}
