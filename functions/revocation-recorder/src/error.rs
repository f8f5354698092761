//! Every way an invocation can fail. A failed invocation is retried by
//! Lambda (asynchronous invocation) and then handed to the on-failure
//! destination, where an operator sees the event and can revoke by hand.

use lambda_runtime::Diagnostic;

use crate::cloudtrail::EventError;
use cognito_auth_core::aws::CallError;
use cognito_auth_core::revocation::store::StoreError;

/// Why an invocation failed.
#[derive(Debug, thiserror::Error)]
pub enum FnError {
    /// The event cannot be read, or an admin call names no usable user.
    #[error(transparent)]
    Event(#[from] EventError),
    /// `AdminGetUser` found no such user, and the username is not shaped
    /// like a sub: a user deleted before the lookup, named by a username
    /// that is not its sub. Its tokens stay valid until they expire unless
    /// an operator revokes the sub by hand.
    #[error(
        "{call}: user pool {pool} has no such user (deleted?) and the record names it by a \
         username that is not a sub; revoke its sub by hand: {detail}"
    )]
    UserGone {
        /// The call.
        call: &'static str,
        /// The pool.
        pool: String,
        /// The service's message.
        detail: String,
    },
    /// `AdminGetUser` answered without a `sub` attribute.
    #[error("AdminGetUser answered without a sub for a user of {pool}")]
    NoSub {
        /// The pool.
        pool: String,
    },
    /// `AdminGetUser` failed.
    #[error(transparent)]
    Lookup(CallError),
    /// The store write failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl FnError {
    /// A stable code for logs, metrics and the Lambda `errorType`.
    pub fn code(&self) -> &'static str {
        match self {
            FnError::Event(EventError::UserNotNamed { .. }) => "UserNotNamed",
            FnError::Event(_) => "MalformedEvent",
            FnError::UserGone { .. } => "UserGone",
            FnError::NoSub { .. } => "NoSub",
            FnError::Lookup(error) => error.code(),
            FnError::Store(error) => error.code(),
        }
    }
}

impl From<FnError> for Diagnostic {
    fn from(error: FnError) -> Self {
        Diagnostic {
            error_type: error.code().to_owned(),
            // The detail names no username and no token, only pools, tables
            // and AWS errors; it is what the on-failure destination shows.
            error_message: error.to_string(),
        }
    }
}
