//! The AWS side: the one
//! `UpdateItem` that records a sign-in.
//!
//! # The write
//!
//! ```text
//! UpdateItem key {sub}
//!   SET last_sign_in_at = :now, last_sign_in_client = :client
//!   ADD sign_in_count :one
//!   IF attribute_exists(sub)
//! ```
//!
//! `ADD` on a number creates it at the first sign-in and increments it
//! atomically after, so concurrent sign-ins of one user never lose a count.
//! The condition keeps the write from creating an item: post-confirmation
//! writes the profile once, under `attribute_not_exists(sub)`, so an item
//! created here (for a user whose provisioning failed, or who predates the
//! table) would make its re-drive believe the profile was already written.
//! A missing item is counted (`no_item`) and left alone.
//!
//! A retried invocation (Cognito retries a trigger that times out) counts a
//! sign-in twice; the count is a measure of activity, not a ledger.
//!
//! The write has the shared call budget (`AWS_CALL_TIMEOUT_MS`, default
//! 2 s, at most 4 s, retries included), so a table that is down delays a
//! sign-in by at most that, never fails it.

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use cognito_auth_core::aws::{AwsLimits, CallError, TableName};

use crate::error::RecordError;

/// The profile table's partition key, as post-confirmation writes it.
pub const PARTITION_KEY: &str = "sub";
/// When the user last signed in: RFC 3339 UTC, to the millisecond.
pub const LAST_SIGN_IN_AT: &str = "last_sign_in_at";
/// How many sign-ins were recorded (N).
pub const SIGN_IN_COUNT: &str = "sign_in_count";
/// The app client of the last sign-in.
pub const LAST_SIGN_IN_CLIENT: &str = "last_sign_in_client";

/// How a recording ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// The item was updated.
    Updated,
    /// No profile item for this `sub`: nothing written.
    NoItem,
}

/// The one `UpdateItem` (see the module documentation).
pub(crate) async fn record_sign_in(
    client: &aws_sdk_dynamodb::Client,
    table: &TableName,
    sub: &str,
    client_id: Option<&str>,
    now: String,
    limits: &AwsLimits,
) -> Result<Recorded, RecordError> {
    let mut update = client
        .update_item()
        .table_name(table.as_str())
        .key(PARTITION_KEY, AttributeValue::S(sub.to_owned()))
        .condition_expression("attribute_exists(#pk)")
        .expression_attribute_names("#pk", PARTITION_KEY)
        .expression_attribute_names("#at", LAST_SIGN_IN_AT)
        .expression_attribute_names("#count", SIGN_IN_COUNT)
        .expression_attribute_values(":at", AttributeValue::S(now))
        .expression_attribute_values(":one", AttributeValue::N("1".to_owned()));
    update = match client_id {
        Some(id) => update
            .update_expression("SET #at = :at, #client = :client ADD #count :one")
            .expression_attribute_names("#client", LAST_SIGN_IN_CLIENT)
            .expression_attribute_values(":client", AttributeValue::S(id.to_owned())),
        None => update.update_expression("SET #at = :at ADD #count :one"),
    };
    match update.send().await {
        Ok(_) => Ok(Recorded::Updated),
        Err(error) => match error.as_service_error() {
            Some(UpdateItemError::ConditionalCheckFailedException(_)) => Ok(Recorded::NoItem),
            Some(UpdateItemError::ResourceNotFoundException(_)) => {
                Err(RecordError::TableNotFound {
                    table: table.clone(),
                })
            }
            _ => Err(RecordError::Call(CallError::classify(
                "UpdateItem",
                &error,
                limits,
            ))),
        },
    }
}
