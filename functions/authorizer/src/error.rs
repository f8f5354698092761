//! Why an invocation fails, and the one place where a failure is turned
//! into what API Gateway is told.

use lambda_runtime::Diagnostic;

/// Why an invocation fails.
#[derive(Debug, thiserror::Error)]
pub enum FnError {
    /// No usable, verified token (REST kinds): a refusal of the caller,
    /// counted in `Refusals`. API Gateway answers 401 only for this exact
    /// message.
    #[error("Unauthorized")]
    Unauthorized,
    /// The token could not be checked (no keys to verify it with, an event
    /// that does not parse, a claim beyond API Gateway's limits, the
    /// revocation store failing under `REVOCATION_STORE_FAILURE=refuse`): still
    /// `Unauthorized` to API Gateway, the answer that fails closed, but a
    /// failure of the authorizer, logged at ERROR and not a refusal.
    #[error("Unauthorized")]
    FailedClosed,
    /// Not an authorizer event API Gateway could have sent: a wiring
    /// mistake, which API Gateway shows as a 500.
    #[error("invalid authorizer event")]
    InvalidEvent,
}

impl From<FnError> for Diagnostic {
    fn from(error: FnError) -> Self {
        let error_type = match error {
            FnError::Unauthorized | FnError::FailedClosed => "Unauthorized",
            FnError::InvalidEvent => "InvalidEvent",
        };
        Diagnostic {
            error_type: error_type.to_owned(),
            error_message: error.to_string(),
        }
    }
}
