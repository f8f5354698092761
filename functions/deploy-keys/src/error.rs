//! Why an invocation fails, and the one place where a failure is turned
//! into the runtime's error answer. Most failures are not invocation errors:
//! they are a FAILED answer uploaded to CloudFormation (see `answer.rs`), so
//! the stack does not hang for an hour.

use lambda_runtime::Diagnostic;

use crate::request;

/// Why an invocation failed without an answer.
#[derive(Debug, thiserror::Error)]
pub enum FnError {
    /// The event is not a request this function can answer.
    #[error(transparent)]
    Request(#[from] request::RequestError),
    /// The answer could not be uploaded.
    #[error("could not upload the answer to CloudFormation: {0}")]
    Upload(String),
}

impl From<FnError> for Diagnostic {
    fn from(error: FnError) -> Self {
        let error_type = match error {
            FnError::Request(_) => "InvalidEvent",
            FnError::Upload(_) => "UploadFailed",
        };
        Diagnostic {
            error_type: error_type.to_owned(),
            error_message: error.to_string(),
        }
    }
}
