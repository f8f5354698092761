//! Every way an invocation can fail, and the one place where a failure is
//! turned into what the user sees.
//!
//! Cognito shows `errorMessage` to the user as `PreAuthentication failed
//! with error <message>.`, so the messages are short, fixed, carry no
//! trailing period (Cognito adds one) and hold nothing from the event.
//! Every refusal, and a failed read under `PROFILE_READ_FAILURE=refuse`,
//! gives the same type and message: the answer does not say whether the
//! user is suspended, kept out of the client, or met a store outage. The
//! `Display` text is the detail for the logs; [`FnError::code`] tells the
//! cases apart there and in metrics.

use cognito_auth_core::aws::{CallError, TableName};
use cognito_auth_core::trigger::MalformedEvent;
use lambda_runtime::Diagnostic;

/// What the user is told when the sign-in is refused, for any reason.
pub const REFUSED_MESSAGE: &str = "Sign-in could not be completed";

/// What the user is told for an event Cognito would not send.
pub const INVALID_MESSAGE: &str = "Invalid sign-in request";

/// The `errorType` of every refusal (the detail is in the logs).
pub const REFUSED_TYPE: &str = "SignInRefused";

/// Why the sign-in is refused on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The profile item holds one of `SUSPENDED_VALUES`.
    #[error("the profile item marks the user suspended")]
    Suspended,
    /// The app client is kept for groups the user is not in (or the user
    /// does not exist).
    #[error("the app client is kept for groups the user is not in")]
    NotInClientGroups,
}

impl Refusal {
    /// A stable snake_case code for logs and the `Reason` dimension.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::Suspended => "suspended",
            Refusal::NotInClientGroups => "not_in_client_groups",
        }
    }
}

/// Why a read failed. The text is for logs: it names the table or the
/// operation, never a value read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// `GetItem` answered ResourceNotFoundException.
    #[error("table `{table}` does not exist in this account and region: {detail}")]
    TableNotFound {
        /// `USERS_TABLE`.
        table: TableName,
        /// The service's message.
        detail: String,
    },
    /// A timeout, an unreachable endpoint, or any other failed call
    /// (classified once, in the shared crate).
    #[error(transparent)]
    Call(#[from] CallError),
}

impl ReadError {
    /// A stable code for logs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            ReadError::TableNotFound { .. } => "TableNotFound",
            ReadError::Call(error) => error.code(),
        }
    }
}

/// Why an invocation failed.
#[derive(Debug, thiserror::Error)]
pub enum FnError {
    /// The envelope is not a Cognito trigger event.
    #[error(transparent)]
    Malformed(#[from] MalformedEvent),
    /// A field a configured check needs is absent or not a string.
    #[error("malformed trigger event: no `{0}`, which the configured checks need")]
    MissingField(&'static str),
    /// The sign-in is refused on purpose.
    #[error("sign-in refused: {0}")]
    Refused(Refusal),
    /// A read failed and `PROFILE_READ_FAILURE=refuse`.
    #[error("sign-in refused, a read failed: {0}")]
    Unavailable(#[from] ReadError),
}

impl FnError {
    /// A stable code for logs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            FnError::Malformed(_) | FnError::MissingField(_) => "MalformedEvent",
            FnError::Refused(refusal) => refusal.code(),
            FnError::Unavailable(error) => error.code(),
        }
    }

    /// Whether this is the function's answer rather than its failure:
    /// counted in `Refusals`, so that alarms read `Errors - Refusals`.
    pub fn is_refusal(&self) -> bool {
        matches!(self, FnError::Refused(_))
    }

    /// The `errorType`: one for every refusal, the cause for the rest.
    pub fn error_type(&self) -> &'static str {
        match self {
            FnError::Refused(_) => REFUSED_TYPE,
            other => other.code(),
        }
    }

    /// The `errorMessage`: what the user reads.
    pub fn user_message(&self) -> &'static str {
        match self {
            FnError::Malformed(_) | FnError::MissingField(_) => INVALID_MESSAGE,
            FnError::Refused(_) | FnError::Unavailable(_) => REFUSED_MESSAGE,
        }
    }
}

impl From<FnError> for Diagnostic {
    fn from(error: FnError) -> Diagnostic {
        Diagnostic {
            error_type: error.error_type().to_owned(),
            error_message: error.user_message().to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_and_a_failed_read_read_the_same_to_the_user() {
        let unavailable = FnError::Unavailable(ReadError::Call(CallError::Unreachable {
            operation: "GetItem",
            detail: "connection refused".into(),
        }));
        assert_eq!(unavailable.code(), "AwsUnreachable");
        assert!(!unavailable.is_refusal());
        let mut messages = Vec::new();
        for error in [
            FnError::Refused(Refusal::Suspended),
            FnError::Refused(Refusal::NotInClientGroups),
            unavailable,
        ] {
            let detail = error.to_string();
            let diagnostic = Diagnostic::from(error);
            assert!(!diagnostic.error_message.contains(&detail));
            assert!(!diagnostic.error_message.ends_with('.'));
            messages.push(diagnostic.error_message);
        }
        assert!(messages.iter().all(|message| message == REFUSED_MESSAGE));
        let suspended = Diagnostic::from(FnError::Refused(Refusal::Suspended));
        let kept_out = Diagnostic::from(FnError::Refused(Refusal::NotInClientGroups));
        assert_eq!(suspended.error_type, kept_out.error_type);
        assert_eq!(
            Diagnostic::from(FnError::MissingField("userPoolId")).error_message,
            INVALID_MESSAGE
        );
    }
}
