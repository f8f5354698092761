//! Every way an invocation can fail, and the one place where a failure is
//! turned into what the user sees.

use cognito_auth_core::trigger::MalformedEvent;
use lambda_runtime::Diagnostic;

/// Why an invocation failed. Only an event that no Cognito trigger sends can
/// fail: a message that cannot be built falls back instead of failing, so a
/// user is never blocked from signing up because of a template.
#[derive(Debug, thiserror::Error)]
pub enum FnError {
    /// The event is not a trigger event.
    #[error(transparent)]
    Malformed(#[from] MalformedEvent),
}

impl From<FnError> for Diagnostic {
    fn from(error: FnError) -> Diagnostic {
        // Cognito shows this to the user as
        // "CustomMessage failed with error <message>.": keep it short and
        // free of anything from the event.
        let (error_type, error_message) = match error {
            FnError::Malformed(_) => ("MalformedEvent", "the request could not be processed"),
        };
        Diagnostic {
            error_type: error_type.to_owned(),
            error_message: error_message.to_owned(),
        }
    }
}
