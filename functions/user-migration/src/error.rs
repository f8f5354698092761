//! Every way an invocation can end without migrating the user, and the one
//! place where each becomes what the user sees.
//!
//! Cognito shows the message as `UserMigration failed with error
//! <message>.`, so it is short and carries no trailing period. Every
//! refusal (an unknown user, a wrong password, a legacy hash this function
//! cannot use) reads the same, [`REFUSED_MESSAGE`], so that the answer does
//! not tell whether the user exists; the `Display` text and the
//! [`code`](FnError::code) tell them apart in the logs and the metrics.
//! Nothing here ever holds a password or a hash.

use cognito_auth_core::aws::{CallError, TableName};
use cognito_auth_core::trigger::MalformedEvent;
use lambda_runtime::Diagnostic;

use crate::endpoint::EndpointError;

/// What the user reads for every refusal: the words Cognito uses for a
/// wrong password, so a legacy user's refusal reads like a pool user's.
pub const REFUSED_MESSAGE: &str = "Incorrect username or password";

/// What the user reads when the legacy store could not be asked.
pub const UNAVAILABLE_MESSAGE: &str = "Sign-in is unavailable right now, please try again later";

/// Why a migration was refused: the function's answer, not its failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// No legacy item for this user name.
    #[error("no legacy record for this user name")]
    UnknownUser,
    /// The password does not match the legacy hash.
    #[error("the password does not match the legacy hash")]
    WrongPassword,
    /// The item has no hash attribute, or not a string one.
    #[error("the legacy record has no password hash (attribute `{0}` absent or not a string)")]
    MissingHash(String),
    /// The hash does not parse, or its crate refused to run it.
    #[error("the legacy hash is corrupt: {0}")]
    CorruptHash(String),
    /// An algorithm this function does not verify.
    #[error("the legacy hash uses an unsupported algorithm `{0}`")]
    UnsupportedAlgorithm(String),
    /// Parameters that cannot be verified within `MAX_HASH_MS` or the
    /// function's memory.
    #[error("the legacy hash costs too much: {0}")]
    TooCostly(String),
}

impl Refusal {
    /// A stable snake_case code for logs and the `Reason` dimension.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::UnknownUser => "unknown_user",
            Refusal::WrongPassword => "wrong_password",
            Refusal::MissingHash(_) => "missing_hash",
            Refusal::CorruptHash(_) => "corrupt_hash",
            Refusal::UnsupportedAlgorithm(_) => "unsupported_algorithm",
            Refusal::TooCostly(_) => "too_costly",
        }
    }
}

/// Why an invocation failed.
#[derive(Debug, thiserror::Error)]
pub enum FnError {
    /// The envelope is not a Cognito trigger event.
    #[error(transparent)]
    Malformed(#[from] MalformedEvent),
    /// A field the migration needs is absent or not a string.
    #[error("the event has no `{0}`, which the migration needs")]
    MissingField(&'static str),
    /// The migration was refused.
    #[error("migration refused: {0}")]
    Refused(#[from] Refusal),
    /// `GetItem` or `UpdateItem` answered ResourceNotFoundException.
    #[error("legacy table `{table}` does not exist in this account and region: {detail}")]
    TableNotFound {
        /// `LEGACY_USERS_TABLE`.
        table: TableName,
        /// The service's message.
        detail: String,
    },
    /// A timeout, an unreachable endpoint, or any other failed call.
    #[error(transparent)]
    Aws(#[from] CallError),
    /// The legacy endpoint could not be asked, or answered outside the
    /// contract.
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
}

impl FnError {
    /// A stable code for logs, metrics and the Lambda `errorType`. Every
    /// refusal has the same one, so that not even the error type tells an
    /// unknown user from a wrong password.
    pub fn code(&self) -> &'static str {
        match self {
            FnError::Malformed(_) | FnError::MissingField(_) => "MalformedEvent",
            FnError::Refused(_) => "MigrationRefused",
            FnError::TableNotFound { .. } => "TableNotFound",
            FnError::Aws(error) => error.code(),
            FnError::Endpoint(error) => error.code(),
        }
    }

    /// What the user reads.
    pub fn user_message(&self) -> &'static str {
        match self {
            FnError::Refused(_) | FnError::Malformed(_) | FnError::MissingField(_) => {
                REFUSED_MESSAGE
            }
            FnError::TableNotFound { .. } | FnError::Aws(_) | FnError::Endpoint(_) => {
                UNAVAILABLE_MESSAGE
            }
        }
    }
}

impl From<FnError> for Diagnostic {
    fn from(error: FnError) -> Self {
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
    fn every_refusal_reads_and_types_the_same() {
        let refusals = [
            Refusal::UnknownUser,
            Refusal::WrongPassword,
            Refusal::MissingHash("password_hash".into()),
            Refusal::CorruptHash("corrupt argon2 hash: not a valid PHC string".into()),
            Refusal::UnsupportedAlgorithm("md5".into()),
            Refusal::TooCostly("scrypt needs 128 MiB".into()),
        ];
        for refusal in refusals {
            let diagnostic = Diagnostic::from(FnError::Refused(refusal));
            assert_eq!(diagnostic.error_type, "MigrationRefused");
            assert_eq!(diagnostic.error_message, REFUSED_MESSAGE);
        }
    }

    #[test]
    fn a_store_failure_is_not_a_refusal() {
        let error = FnError::Aws(CallError::Timeout {
            operation: "GetItem",
            call_ms: 2000,
            attempt_ms: 600,
            max_attempts: 3,
            detail: "timeout".into(),
        });
        let diagnostic = Diagnostic::from(error);
        assert_eq!(diagnostic.error_type, "AwsTimeout");
        assert_eq!(diagnostic.error_message, UNAVAILABLE_MESSAGE);
    }
}
