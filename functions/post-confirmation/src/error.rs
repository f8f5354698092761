//! Every way an invocation can fail, and the one place where a failure is
//! turned into what the user sees.
//!
//! The `Display` text of a variant is the detail for the logs: it names the
//! group, table, pool and operation, and carries the AWS error. The user sees
//! only [`USER_MESSAGE`] (Cognito shows it as `PostConfirmation failed with
//! error <message>.`), whatever went wrong; the stable
//! [`code`](FnError::code) tells the cases apart in logs and metrics.

use cognito_auth_core::aws::{CallError, TableName};
use cognito_auth_core::ids::GroupName;
use cognito_auth_core::trigger::MalformedEvent;
use lambda_runtime::Diagnostic;

/// What the user is told when provisioning fails. Cognito has confirmed the
/// account before it calls this function, so signing in works; the operator
/// re-drives the provisioning (see docs/configuration.md, post-confirmation).
pub const USER_MESSAGE: &str =
    "We could not finish setting up your account. Please try signing in again.";

/// Why an invocation failed.
#[derive(Debug, thiserror::Error)]
pub enum FnError {
    // ---- The event -----------------------------------------------------------
    /// The envelope is not a Cognito trigger event.
    #[error(transparent)]
    Malformed(#[from] MalformedEvent),
    /// A field that provisioning needs is absent or not a string.
    #[error("the event has no `{0}`, which provisioning needs")]
    MissingField(&'static str),

    // ---- Cognito -------------------------------------------------------------
    /// `AdminAddUserToGroup` answered ResourceNotFoundException: the group
    /// (or the pool) does not exist. Groups are never created here: a missing
    /// group is a deployment mistake, and a silently created group would have
    /// no precedence, role or description.
    #[error(
        "group `{group}` does not exist in user pool {user_pool_id} (or the pool does not exist); \
         create the group, this function never creates groups: {detail}"
    )]
    GroupNotFound {
        /// `DEFAULT_GROUP`.
        group: GroupName,
        /// The pool, from the event.
        user_pool_id: String,
        /// The service's message.
        detail: String,
    },
    /// `AdminAddUserToGroup` answered UserNotFoundException.
    #[error("user `{user_name}` does not exist in user pool {user_pool_id}: {detail}")]
    UserNotFound {
        /// The event's `userName`, in its loggable form (see
        /// `cognito_auth_core::logging::loggable_user_name`).
        user_name: String,
        /// The pool, from the event.
        user_pool_id: String,
        /// The service's message.
        detail: String,
    },

    // ---- DynamoDB ------------------------------------------------------------
    /// `PutItem` answered ResourceNotFoundException.
    #[error("table `{table}` does not exist in this account and region: {detail}")]
    TableNotFound {
        /// `USERS_TABLE`.
        table: TableName,
        /// The service's message.
        detail: String,
    },

    // ---- Any AWS call --------------------------------------------------------
    /// A timeout, an unreachable endpoint, or any other failed call
    /// (classified once, in the shared crate).
    #[error(transparent)]
    Aws(#[from] CallError),
}

impl FnError {
    /// A stable code for logs, metrics and the Lambda `errorType`.
    pub fn code(&self) -> &'static str {
        match self {
            FnError::Malformed(_) | FnError::MissingField(_) => "MalformedEvent",
            FnError::GroupNotFound { .. } => "GroupNotFound",
            FnError::UserNotFound { .. } => "UserNotFound",
            FnError::TableNotFound { .. } => "TableNotFound",
            FnError::Aws(error) => error.code(),
        }
    }
}

impl From<FnError> for Diagnostic {
    fn from(error: FnError) -> Self {
        Diagnostic {
            error_type: error.code().to_owned(),
            error_message: USER_MESSAGE.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_sees_one_safe_message_and_the_code_tells_cases_apart() {
        let errors = [
            FnError::MissingField("userPoolId"),
            FnError::GroupNotFound {
                group: GroupName::parse("members").unwrap(),
                user_pool_id: "us-east-1_x".into(),
                detail: "Group not found".into(),
            },
            FnError::TableNotFound {
                table: TableName::parse("T", "users").unwrap(),
                detail: "Requested resource not found".into(),
            },
            FnError::Aws(CallError::Timeout {
                operation: "PutItem",
                call_ms: 2000,
                attempt_ms: 600,
                max_attempts: 3,
                detail: "timeout".into(),
            }),
        ];
        let codes: Vec<&str> = errors.iter().map(FnError::code).collect();
        assert_eq!(
            codes,
            [
                "MalformedEvent",
                "GroupNotFound",
                "TableNotFound",
                "AwsTimeout"
            ]
        );
        for error in errors {
            let detail = error.to_string();
            let diagnostic = Diagnostic::from(error);
            assert_eq!(diagnostic.error_message, USER_MESSAGE);
            assert!(!diagnostic.error_message.contains(&detail));
        }
    }

    #[test]
    fn the_log_detail_names_what_to_fix() {
        let error = FnError::GroupNotFound {
            group: GroupName::parse("members").unwrap(),
            user_pool_id: "us-east-1_x".into(),
            detail: "Group not found".into(),
        };
        let text = error.to_string();
        assert!(text.contains("group `members` does not exist in user pool us-east-1_x"));
        assert!(text.contains("never creates groups"));
    }
}
