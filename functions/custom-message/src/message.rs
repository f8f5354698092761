//! Building the three texts of one message from an event, with the fallback
//! when a text would break Cognito's rules.
//!
//! Each text (subject, HTML body, SMS) is tried in turn:
//! 1. rendered with the user's data (name and attributes);
//! 2. if that breaks a rule (too long, placeholder lost, render error): the
//!    same template without any user data, which is shorter and is exactly
//!    what the init check proved valid;
//! 3. if that breaks a rule too: `null`, which makes Cognito send the pool's
//!    own default text for that channel.
//!
//! A broken text is never returned, every fallback is logged at error level,
//! and the logs carry reason codes and template names, never the user's data.

use std::collections::BTreeMap;

use cognito_auth_core::trigger::TriggerEvent;
use minijinja::value::Value;

use crate::limits::{self, Broken, Channel, Placeholders};
use crate::locale::Locale;
use crate::source::Source;
use crate::templates::{Catalog, Vars};

/// The longest name a greeting shows, in characters.
pub const NAME_MAX: usize = 64;

/// Which attempt produced a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The template with the user's data.
    Full,
    /// The template without user data, after the full text broke a rule.
    WithoutUserData,
    /// Nothing valid: `null`, the pool's default text.
    PoolDefault,
}

impl Step {
    /// A stable snake_case code for logs.
    pub fn code(self) -> &'static str {
        match self {
            Step::Full => "full",
            Step::WithoutUserData => "without_user_data",
            Step::PoolDefault => "pool_default",
        }
    }
}

/// One composed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composed {
    /// The locale whose templates were used.
    pub locale: String,
    /// Each channel's text (`None`: the pool's default) and how it was made.
    pub texts: Vec<(Channel, Option<String>, Step)>,
}

/// The user's name for a greeting: `given_name`, else `name`, when it is a
/// plain name.
///
/// Escaping stops markup, but mail and SMS clients turn any text that looks
/// like a link (`evil.example`, `https://…`, `a@b.co`) into a live link. A
/// greeting is where an attacker who controls their own attributes would put
/// one (say, signing up with a victim's email and the name "Security team:
/// visit evil.example"). So a name is only shown when it cannot be a link or
/// a placeholder: no `:`, `/`, `\`, `@`, angle brackets or braces, no dot
/// followed by a letter or digit, no control or invisible formatting
/// characters, and at most [`NAME_MAX`] characters. Otherwise the greeting
/// goes without a name.
pub fn display_name(attributes: &BTreeMap<String, String>) -> Option<&str> {
    ["given_name", "name"]
        .into_iter()
        .filter_map(|key| attributes.get(key))
        .map(|value| value.trim())
        .find(|value| !value.is_empty())
        .filter(|name| is_plain_name(name))
}

fn is_plain_name(name: &str) -> bool {
    is_plain_text(name, NAME_MAX)
}

/// Whether `text` can be shown as it is where an attacker may have chosen
/// it (a greeting's name, a takeover notice's device name or city): at most
/// `max` characters, and nothing a mail or SMS client could turn into a
/// link or that hides what the reader sees (see [`display_name`]).
pub fn is_plain_text(text: &str, max: usize) -> bool {
    if limits::length(text) > max {
        return false;
    }
    let forbidden = |c: char| {
        c.is_control()
            || matches!(
                c,
                ':' | '/' | '\\' | '@' | '<' | '>' | '{' | '}' | '[' | ']' | '"' | '`'
            )
            || is_invisible_format(c)
    };
    if text.chars().any(forbidden) {
        return false;
    }
    // A dot (or an ideographic or full-width dot, which some linkers accept)
    // followed by a letter or digit looks like a domain name.
    let chars: Vec<char> = text.chars().collect();
    !chars
        .windows(2)
        .any(|pair| matches!(pair[0], '.' | '。' | '．' | '｡') && pair[1].is_alphanumeric())
}

/// Zero-width and bidirectional formatting characters: they hide or
/// reorder what the reader sees.
pub fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// The locales the user and the app asked for, most preferred first: the
/// user's `locale` attribute, then `clientMetadata.locale`. Malformed tags
/// are skipped.
pub fn wanted_locales(event: &TriggerEvent) -> Vec<Locale> {
    [
        event.user_attribute("locale"),
        event.client_metadata("locale"),
    ]
    .into_iter()
    .flatten()
    .filter_map(|tag| Locale::parse(&tag))
    .collect()
}

/// Composes the message for `source` with the event's placeholders
/// (`codeParameter` given as `code`, `usernameParameter`, `linkParameter`).
/// The event must have a code placeholder (the caller checks): without one
/// no valid message exists.
pub fn compose(catalog: &Catalog, source: Source, event: &TriggerEvent, code: &str) -> Composed {
    let placeholders = Placeholders {
        code,
        username: event.request_str("usernameParameter"),
        link: event.request_str("linkParameter"),
    };
    compose_with(catalog, source, event, placeholders)
}

/// Composes the message for `source` with the given placeholders: the
/// custom sender triggers' events carry none, so the sender passes
/// [`Placeholders::COGNITO`] and replaces them itself after every check
/// has passed, exactly as Cognito does with this function's answer. Both
/// triggers thus render the same templates, in the same locale, under the
/// same limits.
pub fn compose_with(
    catalog: &Catalog,
    source: Source,
    event: &TriggerEvent,
    placeholders: Placeholders<'_>,
) -> Composed {
    let attributes = event.user_attributes();
    let name = display_name(&attributes);
    let full = Vars {
        placeholders,
        name,
        attributes: Value::from(attributes.clone()),
    };
    let bare = full.without_user_data();
    let locale = catalog.resolve(&wanted_locales(event), source);

    let texts = Channel::ALL
        .into_iter()
        .map(|channel| {
            // An invitation body must carry the username placeholder; without
            // one in the event no body can be valid, whatever the template.
            if source.needs_username()
                && channel != Channel::Subject
                && placeholders.username.is_none_or(str::is_empty)
            {
                tracing::error!(
                    trigger_source = source.trigger(),
                    channel = channel.response_field(),
                    locale,
                    reason = Broken::MissingUsername.reason(),
                    "event has no usernameParameter; leaving the message null so Cognito sends the pool's default"
                );
                return (channel, None, Step::PoolDefault);
            }
            let attempt = |vars: &Vars<'_>, step: Step| -> Result<String, Broken> {
                let text = catalog
                    .render(locale, source, channel, vars)
                    .map_err(|error| {
                        tracing::error!(
                            trigger_source = source.trigger(),
                            channel = channel.response_field(),
                            locale,
                            step = step.code(),
                            template = error.name().unwrap_or_default(),
                            line = error.line().unwrap_or_default(),
                            kind = %error.kind(),
                            "template failed to render"
                        );
                        Broken::Render
                    })?;
                limits::check(channel, source, &text, &vars.placeholders)?;
                Ok(text)
            };
            match attempt(&full, Step::Full) {
                Ok(text) => (channel, Some(text), Step::Full),
                Err(broken) => {
                    tracing::error!(
                        trigger_source = source.trigger(),
                        channel = channel.response_field(),
                        locale,
                        reason = broken.reason(),
                        error = %broken,
                        "message with user data breaks a Cognito rule; retrying without user data"
                    );
                    match attempt(&bare, Step::WithoutUserData) {
                        Ok(text) => (channel, Some(text), Step::WithoutUserData),
                        Err(broken) => {
                            tracing::error!(
                                trigger_source = source.trigger(),
                                channel = channel.response_field(),
                                locale,
                                reason = broken.reason(),
                                error = %broken,
                                "message breaks a Cognito rule even without user data; \
                                 leaving it null so Cognito sends the pool's default"
                            );
                            (channel, None, Step::PoolDefault)
                        }
                    }
                }
            }
        })
        .collect();
    Composed {
        locale: locale.to_owned(),
        texts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attributes(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn plain_names_are_shown() {
        for name in [
            "Maria",
            "José Álvarez",
            "O'Brien",
            "J. R. R. Tolkien",
            "Tom & Jerry",
            "李小龙",
            "Anne-Marie",
        ] {
            assert_eq!(
                display_name(&attributes(&[("given_name", name)])),
                Some(name),
                "{name}"
            );
        }
        assert_eq!(
            display_name(&attributes(&[("given_name", "  "), ("name", " Ana ")])),
            Some("Ana")
        );
        assert_eq!(display_name(&attributes(&[("email", "a@b.co")])), None);
    }

    #[test]
    fn names_that_could_be_links_or_placeholders_are_withheld() {
        for name in [
            "visit evil.example",
            "https://evil.example",
            "evil。com",
            "me@evil.example",
            "<script>alert(1)</script>",
            "{####}",
            "{##Click Here##}",
            "a\nb",
            "abc\u{202E}moc.live",
            "J.R.R. Tolkien",
        ] {
            assert_eq!(
                display_name(&attributes(&[("given_name", name)])),
                None,
                "{name:?}"
            );
        }
        let long = "a".repeat(NAME_MAX + 1);
        assert_eq!(
            display_name(&attributes(&[("given_name", long.as_str())])),
            None
        );
        let longest = "a".repeat(NAME_MAX);
        assert_eq!(
            display_name(&attributes(&[("given_name", longest.as_str())])),
            Some(longest.as_str())
        );
    }
}
