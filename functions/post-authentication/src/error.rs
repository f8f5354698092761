//! Every way an invocation can fail, and the one place where a failure is
//! turned into what the user sees.
//!
//! Cognito fails the sign-in when this trigger errors, so the only error is
//! an event Cognito would never send: a failed write is logged and counted,
//! never returned ([`RecordError`]). The message is short and fixed
//! (Cognito shows it as `PostAuthentication failed with error <message>.`).

use cognito_auth_core::aws::{CallError, TableName};
use cognito_auth_core::trigger::MalformedEvent;
use lambda_runtime::Diagnostic;

/// What the user is told for an event Cognito would not send.
pub const INVALID_MESSAGE: &str = "Invalid sign-in request";

/// Why an invocation failed.
#[derive(Debug, thiserror::Error)]
pub enum FnError {
    /// The envelope is not a Cognito trigger event.
    #[error(transparent)]
    Malformed(#[from] MalformedEvent),
}

impl FnError {
    /// A stable code for logs and the Lambda `errorType`.
    pub fn code(&self) -> &'static str {
        match self {
            FnError::Malformed(_) => "MalformedEvent",
        }
    }
}

impl From<FnError> for Diagnostic {
    fn from(error: FnError) -> Diagnostic {
        Diagnostic {
            error_type: error.code().to_owned(),
            error_message: INVALID_MESSAGE.to_owned(),
        }
    }
}

/// Why a sign-in was not recorded. Logged by its [`code`](RecordError::code)
/// (and the AWS error code): the SDK's error chain is left out of the logs.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The event has no `request.userAttributes.sub`, the item's key.
    #[error("the event has no request.userAttributes.sub, the profile item's key")]
    NoSub,
    /// `UpdateItem` answered ResourceNotFoundException.
    #[error("table `{table}` does not exist in this account and region")]
    TableNotFound {
        /// `USERS_TABLE`.
        table: TableName,
    },
    /// A timeout, an unreachable endpoint, or any other failed call.
    #[error(transparent)]
    Call(#[from] CallError),
}

impl RecordError {
    /// A stable code for logs.
    pub fn code(&self) -> &'static str {
        match self {
            RecordError::NoSub => "MalformedEvent",
            RecordError::TableNotFound { .. } => "TableNotFound",
            RecordError::Call(error) => error.code(),
        }
    }

    /// The AWS error code of a call the service refused
    /// (`AccessDeniedException`), if any.
    pub fn aws_code(&self) -> Option<&str> {
        match self {
            RecordError::Call(error) => error.aws_code(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_only_error_is_a_malformed_event_with_a_fixed_message() {
        let error = FnError::Malformed(MalformedEvent {
            reason: "triggerSource is missing",
        });
        let diagnostic = Diagnostic::from(error);
        assert_eq!(diagnostic.error_type, "MalformedEvent");
        assert_eq!(diagnostic.error_message, INVALID_MESSAGE);
        assert!(!diagnostic.error_message.ends_with('.'));
    }
}
