//! Why a sign-out's Cognito side fails. The route itself never fails an
//! invocation: every failure is an answer (see `response.rs`).

use cognito_auth_core::aws::CallError;

/// Why the Cognito side failed (after the store was written).
#[derive(Debug, thiserror::Error)]
pub(crate) enum CognitoError {
    #[error(transparent)]
    Aws(#[from] CallError),
}
