//! The AWS side: the one
//! `GetItem` that reads a user's profile.
//!
//! # Budget
//!
//! The read has the timeouts and retries of post-confirmation's calls
//! (`AWS_CALL_TIMEOUT_MS`, default 2 s, at most 4 s; `AWS_ATTEMPT_TIMEOUT_MS`,
//! default 600 ms, connecting included; `AWS_MAX_ATTEMPTS`, default 3, with
//! 50-500 ms backoffs), from `cognito_auth_core::aws`, so a table that is
//! down or slow costs at most the call timeout, well inside Cognito's 5 s.
//! It is one call per token generation; nothing else in the handler waits.
//!
//! The read is strongly consistent: a claim the profile no longer grants
//! (a downgraded plan, a moved tenant) must be gone from the next token,
//! including a refresh a moment after the change. It asks for the listed
//! attributes only (a projection), so the rest of the item never leaves the
//! table.
//!
//! The endpoint comes from the SDK's usual sources, so `AWS_ENDPOINT_URL` (or
//! `AWS_ENDPOINT_URL_DYNAMODB`) points the function at a local server such
//! as moto.

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_dynamodb::operation::get_item::GetItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use cognito_auth_core::aws::TableName;
use cognito_auth_core::aws::{AwsLimits, CallError};

use crate::config::ProfileClaims;
use crate::values::Item;

/// The profile table's partition key (S), as post-confirmation writes it.
pub const PARTITION_KEY: &str = "sub";

/// Why the profile could not be read. The text is for logs: it names the
/// table and the operation, never an attribute value.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The event carries no `request.userAttributes.sub` to look up.
    #[error("the event has no request.userAttributes.sub, the profile item's key")]
    NoSub,
    /// `GetItem` answered ResourceNotFoundException.
    #[error("table `{table}` does not exist in this account and region: {detail}")]
    TableNotFound {
        /// `USERS_TABLE`.
        table: TableName,
        /// The service's message.
        detail: String,
    },
    /// A timeout, an unreachable endpoint, or any other failed `GetItem`
    /// (classified once, in the shared crate).
    #[error(transparent)]
    Call(#[from] CallError),
}

impl ReadError {
    /// A stable code for logs and the Lambda `errorType`.
    pub fn code(&self) -> &'static str {
        match self {
            ReadError::NoSub => "MalformedEvent",
            ReadError::TableNotFound { .. } => "TableNotFound",
            ReadError::Call(error) => error.code(),
        }
    }
}

/// One strongly consistent `GetItem` of the listed attributes of `sub`'s
/// item. `Ok(None)`: the user has no profile item (yet).
pub(crate) async fn read_profile(
    client: &aws_sdk_dynamodb::Client,
    profile: &ProfileClaims,
    sub: &str,
    limits: &AwsLimits,
) -> Result<Option<Item>, ReadError> {
    // Attribute names go through placeholders: `custom:plan` and reserved
    // words (`plan` is one) cannot appear in an expression as they are.
    let placeholders: Vec<String> = (0..profile.claims.len())
        .map(|index| format!("#a{index}"))
        .collect();
    let result = client
        .get_item()
        .table_name(profile.table.as_str())
        .key(PARTITION_KEY, AttributeValue::S(sub.to_owned()))
        .consistent_read(true)
        .projection_expression(placeholders.join(", "))
        .set_expression_attribute_names(Some(
            placeholders
                .iter()
                .cloned()
                .zip(profile.claims.iter().cloned())
                .collect(),
        ))
        .send()
        .await;
    match result {
        Ok(output) => Ok(output.item),
        Err(error) => Err(match error.as_service_error() {
            Some(GetItemError::ResourceNotFoundException(_)) => ReadError::TableNotFound {
                table: profile.table.clone(),
                detail: error
                    .message()
                    .map(str::to_owned)
                    .unwrap_or_else(|| DisplayErrorContext(&error).to_string()),
            },
            _ => ReadError::Call(CallError::classify("GetItem", &error, limits)),
        }),
    }
}
