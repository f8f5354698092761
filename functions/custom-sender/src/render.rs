//! The message for one event: custom-message's templates, rendered with
//! Cognito's placeholders and checked against Cognito's limits exactly as
//! the custom-message trigger's answer is, then the placeholders replaced
//! with the decrypted code and the username, as Cognito itself would.
//!
//! Rendering with the placeholders first means the very checks that guard
//! custom-message (length, code present, username present) guard the
//! sender too, and that one template file serves both triggers. The
//! replacement escapes for the channel: a temporary password may hold `<`
//! or `&`, which the HTML body must show as text.

use cognito_auth_core::trigger::TriggerEvent;
use custom_message::limits::{Channel as Part, Placeholders};
use custom_message::message::{self, Step};
use custom_message::notice::{Notice, compose_takeover};
use custom_message::{Catalog, Source};

use crate::decrypt::Secret;
use crate::takeover::TakeoverEvent;

/// The placeholders the sender renders with and then replaces.
pub const PLACEHOLDERS: Placeholders<'static> = Placeholders {
    code: "{####}",
    username: Some("{username}"),
    link: None,
};

/// A rendered email.
#[derive(Clone, PartialEq, Eq)]
pub struct Email {
    /// The subject, one line.
    pub subject: String,
    /// The HTML body.
    pub html: String,
    /// The locale whose templates were used.
    pub locale: String,
    /// Whether the user's data had to be left out to keep within the rules.
    pub without_user_data: bool,
}

/// A rendered SMS.
#[derive(Clone, PartialEq, Eq)]
pub struct Sms {
    /// The text.
    pub text: String,
    /// The locale whose templates were used.
    pub locale: String,
    /// Whether the user's data had to be left out to keep within the rules.
    pub without_user_data: bool,
}

// Debug prints neither the code-bearing text nor the address.
impl std::fmt::Debug for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Email")
            .field("locale", &self.locale)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Sms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sms")
            .field("locale", &self.locale)
            .finish_non_exhaustive()
    }
}

/// No valid message could be built: never send one without its code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no template gives a valid {part} for {stem}")]
pub struct NoValidMessage {
    /// The part that failed (`emailSubject`, `emailMessage`, `smsMessage`).
    pub part: &'static str,
    /// The trigger source's stem.
    pub stem: &'static str,
}

fn part(
    composed: &message::Composed,
    wanted: Part,
    source: Source,
) -> Result<(String, bool), NoValidMessage> {
    composed
        .texts
        .iter()
        .find(|(part, _, _)| *part == wanted)
        .and_then(|(_, text, step)| {
            text.clone()
                .map(|text| (text, *step == Step::WithoutUserData))
        })
        .ok_or(NoValidMessage {
            part: wanted.response_field(),
            stem: source.stem(),
        })
}

/// The email for `source`.
pub fn email(
    catalog: &Catalog,
    source: Source,
    event: &TriggerEvent,
    code: &Secret,
) -> Result<Email, NoValidMessage> {
    let composed = message::compose_with(catalog, source, event, PLACEHOLDERS);
    let (subject, subject_bare) = part(&composed, Part::Subject, source)?;
    let (html, html_bare) = part(&composed, Part::Email, source)?;
    let username = event.user_name().unwrap_or_default();
    Ok(Email {
        // The subject is plain text: the code never goes there (a template
        // that put it there is replaced as in the body, unescaped).
        subject: fill(&subject, code.expose(), username, false),
        html: fill(&html, code.expose(), username, true),
        locale: composed.locale,
        without_user_data: subject_bare || html_bare,
    })
}

/// The SMS for `source`.
pub fn sms(
    catalog: &Catalog,
    source: Source,
    event: &TriggerEvent,
    code: &Secret,
) -> Result<Sms, NoValidMessage> {
    let composed = message::compose_with(catalog, source, event, PLACEHOLDERS);
    let (text, bare) = part(&composed, Part::Sms, source)?;
    let username = event.user_name().unwrap_or_default();
    Ok(Sms {
        text: fill(&text, code.expose(), username, false),
        locale: composed.locale,
        without_user_data: bare,
    })
}

/// Replaces the placeholders, HTML-escaping the values for an HTML part.
/// The username is replaced first, so a code can never be mistaken for
/// a placeholder (nor can a username that looks like `{####}`).
pub fn fill(text: &str, code: &str, username: &str, html: bool) -> String {
    let value = |raw: &str| {
        if html {
            escape_html(raw)
        } else {
            raw.to_owned()
        }
    };
    let mut out = String::with_capacity(text.len() + code.len());
    let mut rest = text;
    loop {
        let next_code = rest.find(PLACEHOLDERS.code);
        let next_user = rest.find("{username}");
        let (at, len, replacement) = match (next_code, next_user) {
            (None, None) => break,
            (Some(c), Some(u)) if u < c => (u, "{username}".len(), value(username)),
            (Some(c), _) => (c, PLACEHOLDERS.code.len(), value(code)),
            (None, Some(u)) => (u, "{username}".len(), value(username)),
        };
        out.push_str(&rest[..at]);
        out.push_str(&replacement);
        rest = &rest[at + len..];
    }
    out.push_str(rest);
    out
}

/// Escapes the five characters that matter in HTML text and attributes:
/// custom-message's, which the notices' links go through too.
pub use custom_message::notice::escape_html;

/// The account-takeover notice (custom-message's `account_take_over`
/// templates). It has no code to fill in: the templates render the
/// notice's own values, escaped, and the result was checked for length
/// and for both one-click links.
pub fn takeover(
    catalog: &Catalog,
    event: &TriggerEvent,
    notice: &TakeoverEvent,
) -> Result<Email, NoValidMessage> {
    let mail = compose_takeover(catalog, event, &notice.vars()).map_err(|(channel, _)| {
        NoValidMessage {
            part: channel.response_field(),
            stem: Notice::AccountTakeOver.stem(),
        }
    })?;
    Ok(Email {
        subject: mail.subject,
        html: mail.html,
        locale: mail.locale,
        without_user_data: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn catalog() -> Catalog {
        let config =
            test_kit::config::<custom_message::Config>(&[("APP_NAME", "Acme & Co")]).unwrap();
        Catalog::load(&config.brand, &config.default_locale, None).unwrap()
    }

    fn event(source: &str, locale: &str) -> TriggerEvent {
        TriggerEvent::from_value(json!({
            "version": "1",
            "triggerSource": source,
            "region": "us-east-1",
            "userPoolId": "us-east-1_Ex4mPle01",
            "userName": "ana<1>",
            "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "client-1"},
            "request": {
                "type": "customEmailSenderRequestV1",
                "code": "AYADe...",
                "userAttributes": {"sub": "s-1", "email": "ana@example.com", "given_name": "Ana", "locale": locale},
                "clientMetadata": null
            },
            "response": {}
        }))
        .unwrap()
    }

    #[test]
    fn fill_escapes_for_html_only_and_replaces_every_placeholder() {
        let text = "Hi {username}, code {####} ({####})";
        assert_eq!(
            fill(text, "a<&b", "u\"x", true),
            "Hi u&quot;x, code a&lt;&amp;b (a&lt;&amp;b)"
        );
        assert_eq!(fill(text, "a<&b", "u", false), "Hi u, code a<&b (a<&b)");
        // A value that looks like a placeholder is never replaced again.
        assert_eq!(fill("{username} {####}", "x", "{####}", false), "{####} x");
        assert_eq!(fill("no placeholders", "x", "y", true), "no placeholders");
    }

    #[test]
    fn an_email_carries_the_code_in_the_users_language() {
        let catalog = catalog();
        let code = Secret::for_tests("123456");
        let email = email(
            &catalog,
            Source::SignUp,
            &event("CustomEmailSender_SignUp", "es-AR"),
            &code,
        )
        .unwrap();
        assert_eq!(email.locale, "es");
        assert!(email.html.contains("123456"));
        assert!(!email.html.contains("{####}"));
        assert!(email.html.contains("Acme &amp; Co"));
        assert!(!email.subject.contains("123456"));
        assert!(!email.without_user_data);
    }

    #[test]
    fn an_invitation_escapes_the_temporary_password_and_username() {
        let catalog = catalog();
        let code = Secret::for_tests("p<a>ss&1");
        let email = email(
            &catalog,
            Source::AdminCreateUser,
            &event("CustomEmailSender_AdminCreateUser", "en"),
            &code,
        )
        .unwrap();
        assert!(email.html.contains("p&lt;a&gt;ss&amp;1"), "{}", email.html);
        assert!(email.html.contains("ana&lt;1&gt;"));
        assert!(!email.html.contains("p<a>ss"));
        let sms = sms(
            &catalog,
            Source::AdminCreateUser,
            &event("CustomSMSSender_AdminCreateUser", "pt-BR"),
            &code,
        )
        .unwrap();
        assert_eq!(sms.locale, "pt");
        assert!(sms.text.contains("p<a>ss&1"));
        assert!(sms.text.contains("ana<1>"));
    }
}
