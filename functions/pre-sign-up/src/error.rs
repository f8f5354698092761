//! Every way an invocation can fail, and the one place where each becomes
//! what the user sees.
//!
//! Cognito shows `error_message` to the user as
//! `PreSignUp failed with error <message>.`, often inside a hosted-UI
//! redirect, so messages are short, carry no trailing period (Cognito adds
//! one), and never echo the address or any other attribute value. Which list
//! refused a domain is not revealed either: blocked and not-allowed domains
//! get the same message. `error_type` is a stable code for logs and alarms.

use lambda_runtime::Diagnostic;

use crate::admission::Refusal;
use crate::linker::LinkError;

/// Why an invocation failed.
#[derive(Debug, thiserror::Error)]
pub enum PreSignUpError {
    /// The event is not a pre sign-up event Cognito would send. The reason
    /// names fields only, never values.
    #[error("malformed event: {0}")]
    MalformedEvent(&'static str),
    /// The policy refused the sign-up.
    #[error("sign-up refused: {0}")]
    Refused(#[from] Refusal),
    /// Linking the federated user failed.
    #[error("linking failed: {0}")]
    Link(#[from] LinkError),
}

impl PreSignUpError {
    /// The stable `errorType`.
    pub fn error_type(&self) -> &'static str {
        match self {
            PreSignUpError::MalformedEvent(_) => "MalformedEvent",
            PreSignUpError::Refused(refusal) => match refusal {
                Refusal::MissingAttribute(_) => "MissingAttribute",
                Refusal::InvalidEmail(_) => "InvalidEmail",
                Refusal::EmailRequired => "EmailRequired",
                Refusal::DomainBlocked => "EmailDomainBlocked",
                Refusal::DomainNotAllowed => "EmailDomainNotAllowed",
                Refusal::DisposableDomain => "DisposableEmail",
                Refusal::UnverifiedFederatedEmail => "FederatedEmailNotVerified",
            },
            PreSignUpError::Link(_) => "LinkFailed",
        }
    }

    /// The `errorMessage`: what the user reads.
    pub fn user_message(&self) -> String {
        match self {
            PreSignUpError::MalformedEvent(reason) => format!("Invalid sign-up request: {reason}"),
            PreSignUpError::Refused(refusal) => match refusal {
                // Attribute names are the app's schema, not user data.
                Refusal::MissingAttribute(name) => format!("Missing required attribute: {name}"),
                Refusal::InvalidEmail(_) => "The email address is not valid".to_owned(),
                Refusal::EmailRequired => "An email address is required".to_owned(),
                Refusal::DomainBlocked | Refusal::DomainNotAllowed => {
                    "Registration with this email domain is not allowed".to_owned()
                }
                Refusal::DisposableDomain => {
                    "Disposable email addresses are not allowed".to_owned()
                }
                // The user can fix this at the provider; the domain itself
                // is not judged, so nothing about the lists is revealed.
                Refusal::UnverifiedFederatedEmail => {
                    "Your sign-in provider has not verified this email address".to_owned()
                }
            },
            PreSignUpError::Link(_) => {
                "Sign-in could not be completed, please try again".to_owned()
            }
        }
    }
}

impl From<PreSignUpError> for Diagnostic {
    fn from(error: PreSignUpError) -> Diagnostic {
        Diagnostic {
            error_type: error.error_type().to_owned(),
            error_message: error.user_message(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::email::InvalidEmail;

    #[test]
    fn every_error_has_a_distinct_type_and_a_short_message() {
        let all = [
            PreSignUpError::MalformedEvent("triggerSource is missing"),
            Refusal::MissingAttribute("given_name".to_owned()).into(),
            Refusal::InvalidEmail(InvalidEmail::NotLocalAtDomain).into(),
            Refusal::EmailRequired.into(),
            Refusal::DomainBlocked.into(),
            Refusal::DomainNotAllowed.into(),
            Refusal::DisposableDomain.into(),
            Refusal::UnverifiedFederatedEmail.into(),
            LinkError::Timeout(std::time::Duration::from_secs(4)).into(),
        ];
        let mut types = std::collections::HashSet::new();
        for error in all {
            let diagnostic = Diagnostic::from(error);
            assert!(
                types.insert(diagnostic.error_type.clone()),
                "{}",
                diagnostic.error_type
            );
            assert!(
                diagnostic.error_message.len() < 80,
                "{}",
                diagnostic.error_message
            );
            assert!(
                !diagnostic.error_message.ends_with('.'),
                "{}",
                diagnostic.error_message
            );
        }
    }
}
