//! The trigger sources this function writes messages for.

/// A `CustomMessage_*` trigger source: which message Cognito is about to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// `CustomMessage_SignUp`: the confirmation code after sign-up.
    SignUp,
    /// `CustomMessage_ResendCode`: a new confirmation code.
    ResendCode,
    /// `CustomMessage_ForgotPassword`: the password-reset code.
    ForgotPassword,
    /// `CustomMessage_UpdateUserAttribute`: a code after an email or phone change.
    UpdateUserAttribute,
    /// `CustomMessage_VerifyUserAttribute`: a code the user asked for.
    VerifyUserAttribute,
    /// `CustomMessage_AdminCreateUser`: the invitation, with the username and a
    /// temporary password.
    AdminCreateUser,
    /// `CustomMessage_Authentication`: the SMS or email MFA code.
    Authentication,
}

impl Source {
    /// Every source, in a fixed order.
    pub const ALL: [Source; 7] = [
        Source::SignUp,
        Source::ResendCode,
        Source::ForgotPassword,
        Source::UpdateUserAttribute,
        Source::VerifyUserAttribute,
        Source::AdminCreateUser,
        Source::Authentication,
    ];

    /// The source for a `triggerSource` value, or `None` for any other value
    /// (such events pass through untouched).
    pub fn from_trigger(trigger_source: &str) -> Option<Source> {
        Source::ALL
            .into_iter()
            .find(|source| source.trigger() == trigger_source)
    }

    /// The `triggerSource` value Cognito sends.
    pub fn trigger(self) -> &'static str {
        match self {
            Source::SignUp => "CustomMessage_SignUp",
            Source::ResendCode => "CustomMessage_ResendCode",
            Source::ForgotPassword => "CustomMessage_ForgotPassword",
            Source::UpdateUserAttribute => "CustomMessage_UpdateUserAttribute",
            Source::VerifyUserAttribute => "CustomMessage_VerifyUserAttribute",
            Source::AdminCreateUser => "CustomMessage_AdminCreateUser",
            Source::Authentication => "CustomMessage_Authentication",
        }
    }

    /// The stem of this source's template files: `<locale>/<stem>.html`.
    pub fn stem(self) -> &'static str {
        match self {
            Source::SignUp => "sign_up",
            Source::ResendCode => "resend_code",
            Source::ForgotPassword => "forgot_password",
            Source::UpdateUserAttribute => "update_user_attribute",
            Source::VerifyUserAttribute => "verify_user_attribute",
            Source::AdminCreateUser => "admin_create_user",
            Source::Authentication => "authentication",
        }
    }

    /// Whether Cognito requires the username placeholder in the message
    /// bodies: only the invitation, which carries the username and the
    /// temporary password.
    pub fn needs_username(self) -> bool {
        self == Source::AdminCreateUser
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::templates::Kind;

    #[test]
    fn trigger_names_and_stems_round_trip() {
        for source in Source::ALL {
            assert_eq!(Source::from_trigger(source.trigger()), Some(source));
            assert_eq!(Kind::from_stem(source.stem()), Some(Kind::Message(source)));
        }
        assert_eq!(Source::from_trigger("PreSignUp_SignUp"), None);
        assert_eq!(Source::from_trigger("custommessage_signup"), None);
        assert_eq!(Kind::from_stem("signup"), None);
    }
}
