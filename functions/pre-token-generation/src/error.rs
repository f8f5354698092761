//! Every way an invocation can fail, and the one place where a failure is
//! turned into what the user sees.
//!
//! Cognito shows `errorMessage` to the user as `PreTokenGeneration failed
//! with error <message>.`, sometimes in a hosted-UI redirect, so the
//! messages are short, fixed, carry no trailing period (Cognito adds one)
//! and hold nothing from the event. The `Display` text of a variant is the
//! detail for the logs; [`FnError::code`] is the stable `errorType`.

use cognito_auth_core::trigger::MalformedEvent;
use lambda_runtime::Diagnostic;

use crate::aws::ReadError;

/// What the user is told when the profile could not be read and
/// `PROFILE_CLAIMS_ON_ERROR=refuse`: nothing was changed, and signing in
/// again is the remedy once the table answers.
pub const RETRY_MESSAGE: &str = "Sign-in could not be completed, please try again";

/// What the user is told for an event Cognito would not send.
pub const INVALID_MESSAGE: &str = "Invalid token request";

/// Why an invocation failed.
#[derive(Debug, thiserror::Error)]
pub enum FnError {
    /// The envelope is not a Cognito trigger event.
    #[error(transparent)]
    Malformed(#[from] MalformedEvent),
    /// A request field has a type Cognito never sends.
    #[error("malformed trigger event: {0} has the wrong type")]
    MalformedField(&'static str),
    /// The profile could not be read and `PROFILE_CLAIMS_ON_ERROR=refuse`.
    #[error("profile claims unavailable: {0}")]
    ProfileUnavailable(#[from] ReadError),
}

impl FnError {
    /// A stable code for logs, metrics and the Lambda `errorType`.
    pub fn code(&self) -> &'static str {
        match self {
            FnError::Malformed(_) | FnError::MalformedField(_) => "MalformedEvent",
            FnError::ProfileUnavailable(error) => error.code(),
        }
    }

    /// The `errorMessage`: what the user reads.
    pub fn user_message(&self) -> &'static str {
        match self {
            FnError::Malformed(_) | FnError::MalformedField(_) => INVALID_MESSAGE,
            FnError::ProfileUnavailable(_) => RETRY_MESSAGE,
        }
    }
}

impl From<FnError> for Diagnostic {
    fn from(error: FnError) -> Diagnostic {
        Diagnostic {
            error_type: error.code().to_owned(),
            error_message: error.user_message().to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_sees_short_fixed_messages_and_the_code_tells_cases_apart() {
        for (error, code, message) in [
            (
                FnError::MalformedField("request.scopes"),
                "MalformedEvent",
                INVALID_MESSAGE,
            ),
            (
                FnError::ProfileUnavailable(ReadError::Call(
                    cognito_auth_core::aws::CallError::Unreachable {
                        operation: "GetItem",
                        detail: "connection refused".into(),
                    },
                )),
                "AwsUnreachable",
                RETRY_MESSAGE,
            ),
            (
                FnError::ProfileUnavailable(ReadError::TableNotFound {
                    table: cognito_auth_core::aws::TableName::parse("T", "users").unwrap(),
                    detail: "not found".into(),
                }),
                "TableNotFound",
                RETRY_MESSAGE,
            ),
        ] {
            let detail = error.to_string();
            let diagnostic = Diagnostic::from(error);
            assert_eq!(diagnostic.error_type, code);
            assert_eq!(diagnostic.error_message, message);
            assert!(!diagnostic.error_message.contains(&detail));
            assert!(!diagnostic.error_message.ends_with('.'));
            assert!(diagnostic.error_message.len() < 80);
        }
    }
}
