//! Cognito's rules for a custom message, checked after rendering.
//!
//! Cognito refuses a response that breaks them (and the user gets no message
//! at all), so every rendered text is checked here before it is returned, and
//! a text that fails is never sent: the caller falls back instead.

use crate::source::Source;

/// The most characters Cognito accepts in an email body (HTML allowed).
pub const EMAIL_LIMIT: usize = 20_000;
/// The most characters Cognito accepts in an email subject.
pub const SUBJECT_LIMIT: usize = 140;
/// The most characters Cognito accepts in an SMS.
pub const SMS_LIMIT: usize = 140;

/// One of the three texts of a custom message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Channel {
    /// `response.emailSubject`, plain text.
    Subject,
    /// `response.emailMessage`, HTML.
    Email,
    /// `response.smsMessage`, plain text.
    Sms,
}

impl Channel {
    /// Every channel, in the order the response lists them.
    pub const ALL: [Channel; 3] = [Channel::Subject, Channel::Email, Channel::Sms];

    /// The member of `response` this channel fills.
    pub fn response_field(self) -> &'static str {
        match self {
            Channel::Subject => "emailSubject",
            Channel::Email => "emailMessage",
            Channel::Sms => "smsMessage",
        }
    }

    /// The end of the template's file name: `<stem>.<suffix>`. The `.html`
    /// suffix is what turns HTML auto-escaping on.
    pub fn file_suffix(self) -> &'static str {
        match self {
            Channel::Subject => "subject.txt",
            Channel::Email => "html",
            Channel::Sms => "sms.txt",
        }
    }

    /// The channel of a template file suffix.
    pub fn from_file_suffix(suffix: &str) -> Option<Channel> {
        Channel::ALL
            .into_iter()
            .find(|channel| channel.file_suffix() == suffix)
    }

    /// The length limit, in characters.
    pub fn limit(self) -> usize {
        match self {
            Channel::Subject => SUBJECT_LIMIT,
            Channel::Email => EMAIL_LIMIT,
            Channel::Sms => SMS_LIMIT,
        }
    }

    /// Whether the text must carry the placeholders: the bodies must, the
    /// subject need not.
    fn carries_placeholders(self) -> bool {
        matches!(self, Channel::Email | Channel::Sms)
    }
}

impl std::fmt::Display for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.response_field())
    }
}

/// The placeholders of one request, exactly as Cognito sent them. Cognito
/// replaces them with the real values after the function returns, so they
/// must reach the response byte for byte: never escaped, never encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placeholders<'a> {
    /// `request.codeParameter` (the code, or the temporary password).
    pub code: &'a str,
    /// `request.usernameParameter` (AdminCreateUser only).
    pub username: Option<&'a str>,
    /// `request.linkParameter` (link-style verification), when sent.
    pub link: Option<&'a str>,
}

impl Placeholders<'static> {
    /// The values Cognito sends today. Used to check templates at init.
    pub const COGNITO: Placeholders<'static> = Placeholders {
        code: "{####}",
        username: Some("{username}"),
        link: Some("{##Click Here##}"),
    };
}

/// Why a rendered text cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Broken {
    /// The template failed to render (its own error is logged with it).
    #[error("the template failed to render")]
    Render,
    /// Nothing but white space: Cognito answers "The message is empty.".
    #[error("the text is empty")]
    Empty,
    /// Over Cognito's limit for the channel.
    #[error("the text is {length} characters long, over the limit of {limit}")]
    TooLong {
        /// Characters in the text.
        length: usize,
        /// The channel's limit.
        limit: usize,
    },
    /// The code placeholder is missing (or was altered: escaped, encoded).
    #[error("the text does not contain the code placeholder")]
    MissingCode,
    /// The username placeholder is missing from an invitation.
    #[error("the text does not contain the username placeholder")]
    MissingUsername,
    /// A notice's body lacks one of its one-click links
    /// ([`crate::notice::check`]).
    #[error("the text does not contain both one-click links")]
    MissingLink,
}

impl Broken {
    /// A stable snake_case code for logs and metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            Broken::Render => "render_failed",
            Broken::Empty => "empty",
            Broken::TooLong { .. } => "too_long",
            Broken::MissingCode => "missing_code",
            Broken::MissingUsername => "missing_username",
            Broken::MissingLink => "missing_link",
        }
    }
}

/// The length Cognito's limits are measured in. Counted in UTF-16 code
/// units, which is what a Java `String.length()` gives: equal to the number
/// of characters for everything but emoji and other astral characters, and
/// never less, so a text within this count is within any per-character count.
pub fn length(text: &str) -> usize {
    text.encode_utf16().count()
}

/// Tidies a rendered text for its channel: the subject becomes one line (any
/// run of white space, newlines included, is one space: a subject is a mail
/// header), and every text loses leading and trailing white space (template
/// files end with a newline).
pub fn tidy(channel: Channel, rendered: &str) -> String {
    match channel {
        Channel::Subject => rendered.split_whitespace().collect::<Vec<_>>().join(" "),
        Channel::Email | Channel::Sms => rendered.trim().to_owned(),
    }
}

/// Checks a tidied text against Cognito's rules for `channel` and `source`.
pub fn check(
    channel: Channel,
    source: Source,
    text: &str,
    placeholders: &Placeholders<'_>,
) -> Result<(), Broken> {
    check_size(channel, text)?;
    if channel.carries_placeholders() {
        if placeholders.code.is_empty() || !text.contains(placeholders.code) {
            return Err(Broken::MissingCode);
        }
        if source.needs_username() {
            match placeholders.username {
                Some(username) if !username.is_empty() && text.contains(username) => {}
                _ => return Err(Broken::MissingUsername),
            }
        }
    }
    Ok(())
}

/// What every text must be, whatever else its kind requires: not empty,
/// and within `channel`'s limit.
pub fn check_size(channel: Channel, text: &str) -> Result<(), Broken> {
    if text.trim().is_empty() {
        return Err(Broken::Empty);
    }
    let length = length(text);
    if length > channel.limit() {
        return Err(Broken::TooLong {
            length,
            limit: channel.limit(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Placeholders<'static> = Placeholders::COGNITO;

    #[test]
    fn bodies_need_the_code_and_invitations_the_username() {
        assert_eq!(
            check(Channel::Sms, Source::SignUp, "code {####}", &P),
            Ok(())
        );
        assert_eq!(
            check(Channel::Sms, Source::SignUp, "code 1234", &P),
            Err(Broken::MissingCode)
        );
        assert_eq!(
            check(Channel::Email, Source::SignUp, "code &#123;####}", &P),
            Err(Broken::MissingCode)
        );
        assert_eq!(
            check(
                Channel::Email,
                Source::AdminCreateUser,
                "password {####}",
                &P
            ),
            Err(Broken::MissingUsername)
        );
        assert_eq!(
            check(
                Channel::Email,
                Source::AdminCreateUser,
                "{username} {####}",
                &P
            ),
            Ok(())
        );
        let no_username = Placeholders {
            username: None,
            ..P
        };
        assert_eq!(
            check(
                Channel::Sms,
                Source::AdminCreateUser,
                "{username} {####}",
                &no_username
            ),
            Err(Broken::MissingUsername)
        );
        // The subject carries no placeholder.
        assert_eq!(
            check(Channel::Subject, Source::AdminCreateUser, "Welcome", &P),
            Ok(())
        );
    }

    #[test]
    fn limits_are_inclusive_and_counted_in_utf16_units() {
        let at_limit = format!("{{####}}{}", "é".repeat(SMS_LIMIT - 6));
        assert_eq!(length(&at_limit), SMS_LIMIT);
        assert_eq!(check(Channel::Sms, Source::SignUp, &at_limit, &P), Ok(()));
        let over = format!("{at_limit}x");
        assert_eq!(
            check(Channel::Sms, Source::SignUp, &over, &P),
            Err(Broken::TooLong {
                length: 141,
                limit: 140
            })
        );
        // An emoji is two UTF-16 units.
        assert_eq!(length("😀"), 2);
        let subject = "a".repeat(SUBJECT_LIMIT + 1);
        assert!(matches!(
            check(Channel::Subject, Source::SignUp, &subject, &P),
            Err(Broken::TooLong { .. })
        ));
        let email = format!("{{####}}{}", "a".repeat(EMAIL_LIMIT - 6));
        assert_eq!(check(Channel::Email, Source::SignUp, &email, &P), Ok(()));
        assert!(check(Channel::Email, Source::SignUp, &format!("{email}a"), &P).is_err());
    }

    #[test]
    fn empty_texts_are_refused() {
        assert_eq!(
            check(Channel::Subject, Source::SignUp, " \n", &P),
            Err(Broken::Empty)
        );
    }

    #[test]
    fn subjects_become_one_line() {
        assert_eq!(
            tidy(Channel::Subject, "  Hello\r\n  there\t!\n"),
            "Hello there !"
        );
        assert_eq!(
            tidy(Channel::Sms, "\nline one\nline two\n"),
            "line one\nline two"
        );
    }

    #[test]
    fn channels_map_to_files_and_fields() {
        for channel in Channel::ALL {
            assert_eq!(
                Channel::from_file_suffix(channel.file_suffix()),
                Some(channel)
            );
        }
        assert_eq!(Channel::Email.response_field(), "emailMessage");
    }
}
