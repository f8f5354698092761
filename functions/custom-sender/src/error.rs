//! Every way an invocation can fail, and the one place where a failure is
//! turned into the runtime's error answer.

use cognito_auth_core::aws::CallError;
use cognito_auth_core::trigger::MalformedEvent;
use lambda_runtime::Diagnostic;

use crate::decrypt::DecryptError;
use crate::render::NoValidMessage;
use crate::takeover::NoticeError;

/// Why an invocation failed. Each is retried by Lambda, then lands in the
/// on-failure destination.
///
/// Its `Debug` is written by hand: lambda_runtime logs a handler's error
/// with `{:?}` at ERROR, and a derived one would print a provider's error
/// text, which can quote the address (SES: "Email address not verified
/// <address>").
#[derive(thiserror::Error)]
pub enum FnError {
    /// The event is not a trigger event.
    #[error(transparent)]
    Malformed(#[from] MalformedEvent),
    /// A field the trigger needs is missing or has the wrong type.
    #[error("the event has no usable {0}")]
    MissingField(&'static str),
    /// A `request.type` this function does not know (a future version).
    #[error("request.type is not the version 1 request of this trigger")]
    UnknownRequestType,
    /// An account-takeover notice without a usable `EVENT_ID` or links.
    #[error(transparent)]
    Notice(#[from] NoticeError),
    /// An email event, but `EMAIL_FROM` is unset.
    #[error("EMAIL_FROM is not set")]
    NoSender,
    /// The code could not be opened.
    #[error(transparent)]
    Decrypt(#[from] DecryptError),
    /// No template gives a valid message.
    #[error(transparent)]
    Render(#[from] NoValidMessage),
    /// The idempotency record could not be read or written.
    #[error("idempotency record: {0}")]
    Idempotency(CallError),
    /// SES or SNS refused or failed.
    #[error("send: {0}")]
    Send(CallError),
}

impl FnError {
    /// The Lambda `errorType`, and the `Reason` dimension.
    pub fn error_type(&self) -> &'static str {
        match self {
            FnError::Malformed(_) => "MalformedEvent",
            FnError::MissingField(_) => "MissingField",
            FnError::UnknownRequestType => "UnknownRequestType",
            FnError::Notice(_) => "InvalidNotice",
            FnError::NoSender => "ConfigError",
            FnError::Decrypt(_) => "DecryptFailed",
            FnError::Render(_) => "NoValidMessage",
            FnError::Idempotency(_) => "IdempotencyFailed",
            FnError::Send(_) => "SendFailed",
        }
    }
}

impl From<FnError> for Diagnostic {
    fn from(error: FnError) -> Diagnostic {
        // Nobody sees this but the on-failure destination: still short, and
        // free of anything from the event or a provider's error text.
        let message = match &error {
            FnError::Send(call) | FnError::Idempotency(call) => {
                format!("{} ({})", call.code(), call.aws_code().unwrap_or("-"))
            }
            FnError::Decrypt(decrypt) => {
                format!("the code could not be decrypted ({})", decrypt.reason())
            }
            other => other.to_string(),
        };
        Diagnostic {
            error_type: error.error_type().to_owned(),
            error_message: message,
        }
    }
}

impl std::fmt::Debug for FnError {
    /// The error type and its reason codes, nothing from the event or a
    /// provider's text.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.error_type())?;
        match self {
            FnError::Send(call) | FnError::Idempotency(call) => {
                write!(f, "({} {})", call.code(), call.aws_code().unwrap_or("-"))
            }
            FnError::Decrypt(decrypt) => write!(f, "({})", decrypt.reason()),
            FnError::MissingField(field) => write!(f, "({field})"),
            FnError::Notice(notice) => write!(f, "({})", notice.reason()),
            _ => Ok(()),
        }
    }
}
