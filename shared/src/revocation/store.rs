//! The store's one write, shared by the recorder and the sign-out function
//! (behind this crate's `revocation-store` feature, which only they turn on):
//! a conditional `UpdateItem` that is idempotent and never lowers
//! `not_before` (REVOCATION.md, `cognito_auth_core::revocation`).
//!
//! `SET not_before = :t, expires_at = :e, reason = :r, recorded_at = :now`
//! under `attribute_not_exists(pk) OR not_before < :t`. A replayed event
//! (EventBridge delivers at least once, Lambda retries async invocations)
//! writes the same `:t` and fails the condition; an older event fails it
//! too. Both mean a revocation at least as late is already there, which is
//! success ([`Written::AlreadyRecorded`]).

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::AttributeValue;

use super::{
    EXPIRES_AT, NOT_BEFORE, PARTITION_KEY, REASON, RECORDED_AT, Reason, Subject, expires_at,
};
use crate::aws::{AwsLimits, CallError, TableName};

/// One revocation to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// What is revoked.
    pub subject: Subject,
    /// The revocation's second.
    pub not_before: u64,
    /// Why.
    pub reason: Reason,
}

/// How a write ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The item was created or moved forward.
    Recorded,
    /// A revocation at least as late was already there: a replay, a retry,
    /// or an older event arriving after a newer one.
    AlreadyRecorded,
}

impl Written {
    /// A stable word for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Written::Recorded => "recorded",
            Written::AlreadyRecorded => "already_recorded",
        }
    }
}

/// Why a write failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The table does not exist.
    #[error("table `{table}` does not exist in this account and region: {detail}")]
    TableNotFound {
        /// `REVOCATION_TABLE`.
        table: TableName,
        /// The service's message.
        detail: String,
    },
    /// An AWS call failed (timeout, unreachable, refused).
    #[error(transparent)]
    Aws(#[from] CallError),
}

impl StoreError {
    /// A stable code for logs and the Lambda `errorType`.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::TableNotFound { .. } => "TableNotFound",
            StoreError::Aws(error) => error.code(),
        }
    }
}

/// The `UpdateItem` parts of `revocation`, pure so they are unit-tested:
/// `(key, update expression, condition, names, values)`.
pub fn update_parts(revocation: &Revocation, recorded_at: u64, retention_secs: u64) -> UpdateParts {
    let number = |n: u64| AttributeValue::N(n.to_string());
    UpdateParts {
        key: revocation.subject.key(),
        update: "SET #nb = :t, #ea = :e, #r = :r, #ra = :now",
        // A `not_before` that is not a number (an operator's typo) fails
        // `#nb < :t` for ever; it is overwritten rather than kept.
        condition: "attribute_not_exists(#pk) OR NOT attribute_type(#nb, :number) OR #nb < :t",
        names: vec![
            ("#pk", PARTITION_KEY),
            ("#nb", NOT_BEFORE),
            ("#ea", EXPIRES_AT),
            ("#r", REASON),
            ("#ra", RECORDED_AT),
        ],
        values: vec![
            (":t", number(revocation.not_before)),
            (
                ":e",
                number(expires_at(revocation.not_before, retention_secs)),
            ),
            (
                ":r",
                AttributeValue::S(revocation.reason.as_str().to_owned()),
            ),
            (":now", number(recorded_at)),
            (":number", AttributeValue::S("N".to_owned())),
        ],
    }
}

/// What [`update_parts`] builds.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateParts {
    /// The partition key's value.
    pub key: String,
    /// The update expression.
    pub update: &'static str,
    /// The condition expression.
    pub condition: &'static str,
    /// Expression attribute names.
    pub names: Vec<(&'static str, &'static str)>,
    /// Expression attribute values.
    pub values: Vec<(&'static str, AttributeValue)>,
}

/// Writes `revocation` (see the module's notes).
pub async fn record(
    client: &aws_sdk_dynamodb::Client,
    table: &TableName,
    revocation: &Revocation,
    retention_secs: u64,
    recorded_at: u64,
    limits: &AwsLimits,
) -> Result<Written, StoreError> {
    let parts = update_parts(revocation, recorded_at, retention_secs);
    let mut request = client
        .update_item()
        .table_name(table.as_str())
        .key(PARTITION_KEY, AttributeValue::S(parts.key))
        .update_expression(parts.update)
        .condition_expression(parts.condition);
    for (name, attribute) in parts.names {
        request = request.expression_attribute_names(name, attribute);
    }
    for (name, value) in parts.values {
        request = request.expression_attribute_values(name, value);
    }
    match request.send().await {
        Ok(_) => Ok(Written::Recorded),
        Err(error) => match error.as_service_error() {
            Some(UpdateItemError::ConditionalCheckFailedException(_)) => {
                Ok(Written::AlreadyRecorded)
            }
            Some(UpdateItemError::ResourceNotFoundException(_)) => Err(StoreError::TableNotFound {
                table: table.clone(),
                detail: service_message(&error),
            }),
            _ => Err(CallError::classify("UpdateItem", &error, limits).into()),
        },
    }
}

/// The service's own message, or the whole error chain when it sent none.
pub fn service_message<E, R>(error: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match error.message() {
        Some(message) => message.to_owned(),
        None => DisplayErrorContext(error).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserPoolId;

    #[test]
    fn the_write_is_conditional_and_monotone() {
        let revocation = Revocation {
            subject: Subject::User {
                pool: UserPoolId::parse("eu-west-1_Pool1").unwrap(),
                sub: "sub-1".into(),
            },
            not_before: 1_000,
            reason: Reason::Disabled,
        };
        let parts = update_parts(&revocation, 1_005, 86_400);
        assert_eq!(parts.key, "user#eu-west-1_Pool1#sub-1");
        assert_eq!(
            parts.condition,
            "attribute_not_exists(#pk) OR NOT attribute_type(#nb, :number) OR #nb < :t"
        );
        let value = |name: &str| {
            parts
                .values
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert_eq!(value(":t"), AttributeValue::N("1000".into()));
        assert_eq!(value(":e"), AttributeValue::N("87400".into()));
        assert_eq!(value(":r"), AttributeValue::S("disabled".into()));
        assert_eq!(value(":now"), AttributeValue::N("1005".into()));
        let names: Vec<&str> = parts.names.iter().map(|(_, n)| *n).collect();
        assert_eq!(
            names,
            ["pk", "not_before", "expires_at", "reason", "recorded_at"]
        );
    }
}
