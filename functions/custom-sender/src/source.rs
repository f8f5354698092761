//! The trigger sources of the two custom sender triggers.
//!
//! AWS's pages for the custom email sender and the custom SMS sender list
//! the same seven message sources (`_SignUp`, `_ResendCode`,
//! `_ForgotPassword`, `_UpdateUserAttribute`, `_VerifyUserAttribute`,
//! `_AdminCreateUser`, `_Authentication`); the email trigger also has
//! `_AccountTakeOverNotification`, a threat-protection notice without a
//! code. Each message source is custom-message's source of the same name,
//! so both triggers render the same templates.

use custom_message::Source as MessageSource;

/// Which of the two triggers, and so how the message is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// `CustomEmailSender_*`: SES v2, to the `email` attribute.
    Email,
    /// `CustomSMSSender_*`: SNS, to the `phone_number` attribute.
    Sms,
}

impl Channel {
    /// A stable word for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }

    /// The `request.type` Cognito sends with this trigger (version 1).
    pub fn request_type(self) -> &'static str {
        match self {
            Channel::Email => "customEmailSenderRequestV1",
            Channel::Sms => "customSMSSenderRequestV1",
        }
    }

    /// The user attribute that holds the destination.
    pub fn address_attribute(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "phone_number",
        }
    }
}

/// What Cognito asks the trigger to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A message with a code (or a temporary password), from
    /// custom-message's templates for this source.
    Message(MessageSource),
    /// `CustomEmailSender_AccountTakeOverNotification`: no code; its
    /// details are user attributes ([`crate::takeover`]), rendered from
    /// custom-message's `account_take_over` notice templates.
    TakeoverNotice,
}

/// One sender trigger source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SenderSource {
    /// Email or SMS.
    pub channel: Channel,
    /// What to send.
    pub kind: Kind,
}

impl SenderSource {
    /// The source for a `triggerSource` value, or `None` for any other value
    /// (such events pass through untouched).
    pub fn from_trigger(trigger_source: &str) -> Option<SenderSource> {
        let (channel, suffix) =
            if let Some(rest) = trigger_source.strip_prefix("CustomEmailSender_") {
                (Channel::Email, rest)
            } else if let Some(rest) = trigger_source.strip_prefix("CustomSMSSender_") {
                (Channel::Sms, rest)
            } else {
                return None;
            };
        if channel == Channel::Email && suffix == "AccountTakeOverNotification" {
            return Some(SenderSource {
                channel,
                kind: Kind::TakeoverNotice,
            });
        }
        MessageSource::ALL
            .into_iter()
            .find(|source| source.trigger().strip_prefix("CustomMessage_") == Some(suffix))
            .map(|source| SenderSource {
                channel,
                kind: Kind::Message(source),
            })
    }

    /// The stem for logs and metrics: `sign_up`, …, `account_take_over`.
    pub fn stem(self) -> &'static str {
        match self.kind {
            Kind::Message(source) => source.stem(),
            Kind::TakeoverNotice => custom_message::notice::Notice::AccountTakeOver.stem(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_source_is_known() {
        let suffixes = [
            "SignUp",
            "ResendCode",
            "ForgotPassword",
            "UpdateUserAttribute",
            "VerifyUserAttribute",
            "AdminCreateUser",
            "Authentication",
        ];
        for suffix in suffixes {
            for (prefix, channel) in [
                ("CustomEmailSender_", Channel::Email),
                ("CustomSMSSender_", Channel::Sms),
            ] {
                let source = SenderSource::from_trigger(&format!("{prefix}{suffix}")).unwrap();
                assert_eq!(source.channel, channel);
                let Kind::Message(message) = source.kind else {
                    panic!("{prefix}{suffix} is a message")
                };
                assert_eq!(message.trigger(), format!("CustomMessage_{suffix}"));
            }
        }
        assert_eq!(
            SenderSource::from_trigger("CustomEmailSender_AccountTakeOverNotification")
                .unwrap()
                .kind,
            Kind::TakeoverNotice
        );
    }

    #[test]
    fn other_sources_are_not_ours() {
        for other in [
            "CustomSMSSender_AccountTakeOverNotification",
            "CustomMessage_SignUp",
            "CustomEmailSender_",
            "CustomEmailSender_signup",
            "PreSignUp_SignUp",
        ] {
            assert_eq!(SenderSource::from_trigger(other), None, "{other}");
        }
    }
}
