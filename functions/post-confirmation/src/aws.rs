//! The AWS side: the two idempotent calls (the clients are built once, in
//! `State::new`).
//!
//! # Budget
//!
//! Cognito waits 5 s for a trigger, cold start included, then retries it. The
//! SDK defaults (3.1 s to connect, no operation timeout, backoff up to 20 s)
//! do not fit in that, so every call gets an operation timeout
//! (`AWS_CALL_TIMEOUT_MS`, retries and backoff included), an attempt timeout
//! (`AWS_ATTEMPT_TIMEOUT_MS`, connecting included) and the standard retry
//! mode with short backoffs (the values, their checks and the SDK
//! configuration built from them are in
//! `cognito_auth_core::aws`, shared with the pre-token-generation trigger).
//! The two calls run concurrently, so the handler waits for the slower one,
//! never for their sum.
//!
//! The endpoint comes from the SDK's usual sources, so `AWS_ENDPOINT_URL` (or
//! `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER`)
//! points the function at a local server such as moto.

use aws_sdk_cognitoidentityprovider::operation::admin_add_user_to_group::AdminAddUserToGroupError;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::put_item::PutItemError;

use cognito_auth_core::aws::CallError;
use cognito_auth_core::logging::loggable_user_name;

use crate::config::AwsLimits;
use crate::error::FnError;
use crate::provision::{Membership, PARTITION_KEY, Profile};

/// How a profile write ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileWrite {
    /// The item was created now.
    Created,
    /// An item with this `sub` already existed and was kept as it was: a
    /// retried or replayed invocation.
    AlreadyExisted,
}

impl ProfileWrite {
    /// A stable snake_case word for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            ProfileWrite::Created => "created",
            ProfileWrite::AlreadyExisted => "already_existed",
        }
    }
}

/// `AdminAddUserToGroup`. Adding a member twice succeeds, so a retry is
/// harmless.
pub(crate) async fn add_to_group(
    client: &aws_sdk_cognitoidentityprovider::Client,
    membership: &Membership,
    limits: &AwsLimits,
) -> Result<(), FnError> {
    const OPERATION: &str = "AdminAddUserToGroup";
    let result = client
        .admin_add_user_to_group()
        .user_pool_id(&membership.user_pool_id)
        .username(&membership.user_name)
        .group_name(membership.group.as_str())
        .send()
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(error) => Err(match error.as_service_error() {
            Some(AdminAddUserToGroupError::ResourceNotFoundException(_)) => {
                FnError::GroupNotFound {
                    group: membership.group.clone(),
                    user_pool_id: membership.user_pool_id.clone(),
                    detail: service_message(&error),
                }
            }
            Some(AdminAddUserToGroupError::UserNotFoundException(_)) => FnError::UserNotFound {
                user_name: loggable_user_name(&membership.user_name).into_owned(),
                user_pool_id: membership.user_pool_id.clone(),
                detail: service_message(&error),
            },
            _ => classify(OPERATION, error, limits),
        }),
    }
}

/// `PutItem` under `attribute_not_exists(sub)`: the first write wins, and a
/// failed condition means an earlier attempt (or invocation) already wrote
/// the item, which counts as success.
pub(crate) async fn put_profile(
    client: &aws_sdk_dynamodb::Client,
    profile: &Profile,
    limits: &AwsLimits,
) -> Result<ProfileWrite, FnError> {
    const OPERATION: &str = "PutItem";
    let result = client
        .put_item()
        .table_name(profile.table.as_str())
        .set_item(Some(profile.item.clone()))
        .condition_expression("attribute_not_exists(#pk)")
        .expression_attribute_names("#pk", PARTITION_KEY)
        .send()
        .await;
    match result {
        Ok(_) => Ok(ProfileWrite::Created),
        Err(error) => match error.as_service_error() {
            Some(PutItemError::ConditionalCheckFailedException(_)) => {
                Ok(ProfileWrite::AlreadyExisted)
            }
            Some(PutItemError::ResourceNotFoundException(_)) => Err(FnError::TableNotFound {
                table: profile.table.clone(),
                detail: service_message(&error),
            }),
            _ => Err(classify(OPERATION, error, limits)),
        },
    }
}

/// Any other SDK error, classified as every function classifies them.
fn classify<E, R>(operation: &'static str, error: SdkError<E, R>, limits: &AwsLimits) -> FnError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    FnError::Aws(CallError::classify(operation, &error, limits))
}

/// The service's own message (such as "Group not found"), or the whole error
/// chain when it sent none.
fn service_message<E, R>(error: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match error.message() {
        Some(message) => message.to_owned(),
        None => DisplayErrorContext(error).to_string(),
    }
}
