//! The AWS side: the two reads (the clients are built once, in `State::new`).
//!
//! # Budget
//!
//! Both reads have the shared call budget (`AWS_CALL_TIMEOUT_MS`, default
//! 2 s, at most 4 s, retries included; see `cognito_auth_core::aws`) and run
//! at the same time, so the handler waits for the slower one, well inside
//! Cognito's 5 s. The group list is asked for only on a client listed in
//! `CLIENT_GROUPS`.
//!
//! # Why `AdminListGroupsForUser`, not the profile item
//!
//! Group membership lives in the pool and changes there (an admin removed
//! from `admins` by `AdminRemoveUserFromGroup`, in the console or a script);
//! the profile item is a snapshot written once at confirmation, holding only
//! the default group. Reading the pool is the one answer that cannot be
//! stale, and it costs a call only on the clients that are kept, which are
//! few and rarely busy (an admin console). Its quota is Cognito's, shared
//! with the rest of the pool's user reads, which is why every other client
//! skips it.
//!
//! The endpoint comes from the SDK's usual sources, so `AWS_ENDPOINT_URL` (or
//! `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER`)
//! points the function at a local server such as moto.

use aws_sdk_cognitoidentityprovider::operation::admin_list_groups_for_user::AdminListGroupsForUserError;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_dynamodb::operation::get_item::GetItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use cognito_auth_core::aws::{AwsLimits, CallError};
use cognito_auth_core::ids::GroupName;

use crate::config::{PARTITION_KEY, Suspension};
use crate::error::ReadError;

/// `AdminListGroupsForUser` returns at most 60 groups a page.
const GROUPS_PER_PAGE: i32 = 60;
/// A user belongs to at most 100 groups (Cognito's quota), so two pages
/// always hold them all; the bound keeps a misbehaving endpoint from
/// looping.
const MAX_GROUP_PAGES: usize = 2;

/// What the profile item says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// The item holds one of `SUSPENDED_VALUES`.
    Suspended,
    /// The item exists and holds none of them (or not the attribute).
    Active,
    /// No item for this key: a user provisioned before the table, or the
    /// key of an unknown user, which never exists.
    NoItem,
}

impl Standing {
    /// The `Result` of the `ProfileReads` metric.
    pub fn read_result(self) -> &'static str {
        match self {
            Standing::NoItem => "not_found",
            Standing::Suspended | Standing::Active => "found",
        }
    }
}

/// One strongly consistent `GetItem` of the suspension attribute of `sub`'s
/// item: a suspension written a moment ago refuses the next sign-in.
pub(crate) async fn read_standing(
    client: &aws_sdk_dynamodb::Client,
    suspension: &Suspension,
    sub: &str,
    limits: &AwsLimits,
) -> Result<Standing, ReadError> {
    // Through a placeholder: `status` is a DynamoDB reserved word.
    let result = client
        .get_item()
        .table_name(suspension.table.as_str())
        .key(PARTITION_KEY, AttributeValue::S(sub.to_owned()))
        .consistent_read(true)
        .projection_expression("#a")
        .expression_attribute_names("#a", &suspension.attribute)
        .send()
        .await;
    match result {
        Ok(output) => Ok(match output.item {
            None => Standing::NoItem,
            Some(item) => match item.get(&suspension.attribute) {
                Some(value) if marks_suspended(value, &suspension.values) => Standing::Suspended,
                _ => Standing::Active,
            },
        }),
        Err(error) => Err(match error.as_service_error() {
            Some(GetItemError::ResourceNotFoundException(_)) => ReadError::TableNotFound {
                table: suspension.table.clone(),
                detail: error
                    .message()
                    .map(str::to_owned)
                    .unwrap_or_else(|| DisplayErrorContext(&error).to_string()),
            },
            _ => ReadError::Call(CallError::classify("GetItem", &error, limits)),
        }),
    }
}

/// Whether `value` is one of `values`: a string or number as written, a
/// boolean as `true`/`false`, a string set when any member is. Other types
/// never mark a suspension.
pub fn marks_suspended(value: &AttributeValue, values: &[String]) -> bool {
    let listed = |text: &str| values.iter().any(|value| value == text);
    match value {
        AttributeValue::S(text) | AttributeValue::N(text) => listed(text),
        AttributeValue::Bool(flag) => listed(if *flag { "true" } else { "false" }),
        AttributeValue::Ss(set) => set.iter().any(|text| listed(text)),
        _ => false,
    }
}

/// Whether `user_name` is in any of `groups`, read live from the pool with
/// `AdminListGroupsForUser`. A user the pool does not know (the event of an
/// unknown user carries what was typed, which may not even be a valid
/// username) is in no group.
pub(crate) async fn is_member(
    client: &aws_sdk_cognitoidentityprovider::Client,
    user_pool_id: &str,
    user_name: &str,
    groups: &[GroupName],
    limits: &AwsLimits,
) -> Result<bool, ReadError> {
    let mut next_token: Option<String> = None;
    for _ in 0..MAX_GROUP_PAGES {
        let result = client
            .admin_list_groups_for_user()
            .user_pool_id(user_pool_id)
            .username(user_name)
            .limit(GROUPS_PER_PAGE)
            .set_next_token(next_token.take())
            .send()
            .await;
        let page = match result {
            Ok(page) => page,
            Err(error) => {
                return match error.as_service_error() {
                    Some(
                        AdminListGroupsForUserError::UserNotFoundException(_)
                        | AdminListGroupsForUserError::InvalidParameterException(_),
                    ) => Ok(false),
                    _ => Err(ReadError::Call(CallError::classify(
                        "AdminListGroupsForUser",
                        &error,
                        limits,
                    ))),
                };
            }
        };
        if page
            .groups()
            .iter()
            .filter_map(|group| group.group_name())
            .any(|name| groups.iter().any(|kept| kept.as_str() == name))
        {
            return Ok(true);
        }
        match page.next_token {
            Some(token) if !token.is_empty() => next_token = Some(token),
            _ => return Ok(false),
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suspension_values_match_by_type() {
        let values = vec!["suspended".to_owned(), "true".to_owned(), "3".to_owned()];
        for (value, expected) in [
            (AttributeValue::S("suspended".into()), true),
            (AttributeValue::S("Suspended".into()), false),
            (AttributeValue::S("active".into()), false),
            (AttributeValue::Bool(true), true),
            (AttributeValue::Bool(false), false),
            (AttributeValue::N("3".into()), true),
            (AttributeValue::N("4".into()), false),
            (
                AttributeValue::Ss(vec!["x".into(), "suspended".into()]),
                true,
            ),
            (AttributeValue::Ss(vec!["x".into()]), false),
            (AttributeValue::Null(true), false),
            (
                AttributeValue::L(vec![AttributeValue::S("suspended".into())]),
                false,
            ),
        ] {
            assert_eq!(marks_suspended(&value, &values), expected, "{value:?}");
        }
    }
}
