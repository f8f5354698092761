//! A CloudFormation custom resource request, read from the event (pure).
//!
//! The fields are those of AWS's "Custom resource request objects" page
//! (`RequestType`, `ResponseURL`, `StackId`, `RequestId`,
//! `LogicalResourceId`, `PhysicalResourceId` on Update and Delete,
//! `ResourceProperties`). The properties are this resource's own:
//! `UserPoolId` (the pool whose keys are read), `AuthzRules` (the rules the
//! keys share Lambda's 4 KB with) and `EnvironmentBudget` (how many bytes of
//! it the two share; see `answer.rs`). Properties reach the function as
//! strings, whatever the template wrote.

use cognito_auth_core::ids::UserPoolId;
use cognito_auth_core::jwks;
use serde_json::Value;

/// What CloudFormation asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestType {
    /// The stack creates the resource.
    Create,
    /// A property changed (a new pool, new rules, a new `Serial`).
    Update,
    /// The stack deletes the resource, or replaced it.
    Delete,
}

/// The request, as far as this resource reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Create, Update or Delete.
    pub request_type: RequestType,
    /// The presigned S3 URL the answer goes to. A credential of sorts (its
    /// query signs the upload): never logged.
    pub response_url: reqwest::Url,
    /// Copied into the answer.
    pub stack_id: String,
    /// Copied into the answer.
    pub request_id: String,
    /// Copied into the answer.
    pub logical_resource_id: String,
    /// Sent on Update and Delete: the id the last answer gave.
    pub physical_resource_id: Option<String>,
    /// `ResourceProperties.UserPoolId`, unchecked (checked on use, so that
    /// a bad one is answered FAILED with the reason, not dropped).
    pub user_pool_id: Option<String>,
    /// `ResourceProperties.AuthzRules`: empty when absent.
    pub authz_rules: String,
    /// `ResourceProperties.EnvironmentBudget`, unchecked.
    pub environment_budget: Option<String>,
}

/// Why an event cannot be answered at all: without these fields there is
/// no URL to answer, or no answer CloudFormation would match to a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// A field the answer needs is missing or not a string.
    #[error("the event has no string `{0}`: not a CloudFormation custom resource request")]
    Missing(&'static str),
    /// `RequestType` is none of the three.
    #[error("unknown RequestType `{0}`")]
    UnknownType(String),
    /// `ResponseURL` is not a URL CloudFormation would send.
    #[error("ResponseURL is not an https URL (or http to loopback)")]
    BadResponseUrl,
}

impl Request {
    /// Reads `event`.
    pub fn parse(event: &Value) -> Result<Self, RequestError> {
        let text = |name: &'static str| {
            event
                .get(name)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or(RequestError::Missing(name))
        };
        let request_type = match text("RequestType")?.as_str() {
            "Create" => RequestType::Create,
            "Update" => RequestType::Update,
            "Delete" => RequestType::Delete,
            other => return Err(RequestError::UnknownType(other.chars().take(32).collect())),
        };
        let response_url = reqwest::Url::parse(&text("ResponseURL")?)
            .ok()
            .filter(jwks::is_https_or_loopback_http)
            .ok_or(RequestError::BadResponseUrl)?;
        let property = |name: &str| {
            event
                .get("ResourceProperties")
                .and_then(|properties| properties.get(name))
                .and_then(|value| match value {
                    Value::String(text) => Some(text.clone()),
                    Value::Number(number) => Some(number.to_string()),
                    _ => None,
                })
        };
        Ok(Self {
            request_type,
            response_url,
            stack_id: text("StackId")?,
            request_id: text("RequestId")?,
            logical_resource_id: text("LogicalResourceId")?,
            physical_resource_id: text("PhysicalResourceId").ok(),
            user_pool_id: property("UserPoolId"),
            authz_rules: property("AuthzRules").unwrap_or_default(),
            environment_budget: property("EnvironmentBudget"),
        })
    }

    /// The id the answer gives: the one CloudFormation sent (Update,
    /// Delete), else one derived from the pool, so that a new pool is a
    /// replacement (and the old resource's Delete, a no-op, follows).
    pub fn physical_resource_id(&self) -> String {
        match (&self.physical_resource_id, &self.user_pool_id) {
            (Some(id), _) if self.request_type == RequestType::Delete => id.clone(),
            (_, Some(pool)) if UserPoolId::parse(pool).is_ok() => format!("deploy-keys-{pool}"),
            (Some(id), _) => id.clone(),
            // Create with a bad pool id: FAILED needs an id all the same.
            (None, _) => format!("deploy-keys-{}", self.logical_resource_id),
        }
    }
}

/// The JWKS URL of `pool`: `template` with `{userPoolId}` replaced, or the
/// pool's own (`https://cognito-idp.{region}.amazonaws.com/{pool}/.well-known/jwks.json`).
pub fn jwks_url(template: Option<&str>, pool: &str) -> Result<reqwest::Url, String> {
    let pool = UserPoolId::parse(pool)?;
    let pool = pool.as_str();
    let text = match template {
        Some(template) => template.replace("{userPoolId}", pool),
        None => {
            let region = pool.split('_').next().unwrap_or_default();
            format!("https://cognito-idp.{region}.amazonaws.com/{pool}/.well-known/jwks.json")
        }
    };
    reqwest::Url::parse(&text)
        .ok()
        .filter(jwks::is_https_or_loopback_http)
        .ok_or_else(|| "is not an https URL (or http to loopback)".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(kind: &str) -> Value {
        json!({
            "RequestType": kind,
            "ResponseURL": "https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com/x?X-Amz-Signature=s",
            "StackId": "arn:aws:cloudformation:eu-west-1:123456789012:stack/s/1",
            "RequestId": "r-1",
            "ResourceType": "Custom::DeployKeys",
            "LogicalResourceId": "DeployKeys",
            "ResourceProperties": {
                "ServiceToken": "arn:aws:lambda:eu-west-1:123456789012:function:f",
                "UserPoolId": "eu-west-1_AbC123",
                "AuthzRules": "[]",
                "EnvironmentBudget": 2700
            }
        })
    }

    #[test]
    fn reads_a_create_and_names_the_resource_after_the_pool() {
        let request = Request::parse(&event("Create")).unwrap();
        assert_eq!(request.request_type, RequestType::Create);
        assert_eq!(request.environment_budget.as_deref(), Some("2700"));
        assert_eq!(
            request.physical_resource_id(),
            "deploy-keys-eu-west-1_AbC123"
        );
        let mut delete = event("Delete");
        delete["PhysicalResourceId"] = json!("old-id");
        assert_eq!(
            Request::parse(&delete).unwrap().physical_resource_id(),
            "old-id"
        );
    }

    #[test]
    fn refuses_what_cannot_be_answered() {
        let mut no_url = event("Create");
        no_url.as_object_mut().unwrap().remove("ResponseURL");
        assert_eq!(
            Request::parse(&no_url),
            Err(RequestError::Missing("ResponseURL"))
        );
        let mut plain = event("Create");
        plain["ResponseURL"] = json!("http://example.com/x");
        assert_eq!(Request::parse(&plain), Err(RequestError::BadResponseUrl));
        assert!(matches!(
            Request::parse(&event("Rollback")),
            Err(RequestError::UnknownType(_))
        ));
    }

    #[test]
    fn the_jwks_url_is_the_pools_own_unless_configured() {
        assert_eq!(
            jwks_url(None, "eu-west-1_AbC123").unwrap().as_str(),
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/.well-known/jwks.json"
        );
        assert_eq!(
            jwks_url(Some("http://127.0.0.1:1/{userPoolId}/k"), "eu-west-1_A")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:1/eu-west-1_A/k"
        );
        assert!(jwks_url(Some("http://example.com/{userPoolId}"), "eu-west-1_A").is_err());
        assert!(jwks_url(None, "not a pool").is_err());
    }
}
