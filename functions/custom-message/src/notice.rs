//! Notices: messages that only a custom sender sends, with no
//! `CustomMessage_*` counterpart, so no [`Source`](crate::Source) of their
//! own. Today one: threat protection's account-takeover notice
//! (`CustomEmailSender_AccountTakeOverNotification`), email only: AWS's
//! custom SMS sender page lists no takeover source.
//!
//! A notice is a template kind of the catalogue like a source (built in,
//! overridable through `TEMPLATES_DIR`, checked at init in every locale),
//! but it carries no code placeholder: what it must carry instead is both
//! one-click links, which [`check`] requires of the HTML body.
//!
//! # What the takeover template sees
//!
//! | variable | value |
//! |---|---|
//! | `action` | `ACCOUNT_TAKE_OVER_ACTION` as a code: `block`, `no_action`, `mfa`, `mfa_if_configured`, `mfa_required`, or `unknown` for a value Cognito does not document |
//! | `user_name` | `USER_NAME` |
//! | `ip_address` | `IP_ADDRESS` |
//! | `city`, `country`, `device_name` | `CITY`, `COUNTRY`, `DEVICE_NAME`, undefined when absent |
//! | `login_time` | `LOGIN_TIME`, as Cognito gives it (its format is not documented) |
//! | `valid_link`, `invalid_link` | `ONE_CLICK_LINK_VALID` ("this was me") and `ONE_CLICK_LINK_INVALID` ("this wasn't me"), https URLs checked by the sender |
//! | `app_name`, `app_url`, `support_email`, `locale` | as for every message |
//!
//! The text fields are cut to [`FIELD_MAX`] characters, and the links may
//! be at most [`LINK_MAX`], so the init check, which renders every locale
//! with values of those lengths, proves that no event can break a limit.
//! The event's other attributes (`FEEDBACK_TOKEN`, `EVENT_ID`) are not
//! given to templates.

use std::borrow::Cow;

use cognito_auth_core::trigger::TriggerEvent;

use crate::limits::{self, Broken, Channel};
use crate::message::{is_invisible_format, wanted_locales};
use crate::templates::Catalog;

/// A message kind that only a custom sender sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Notice {
    /// `CustomEmailSender_AccountTakeOverNotification`.
    AccountTakeOver,
}

impl Notice {
    /// Every notice, in a fixed order.
    pub const ALL: [Notice; 1] = [Notice::AccountTakeOver];

    /// The stem of its template files: `<locale>/<stem>.html`.
    pub fn stem(self) -> &'static str {
        match self {
            Notice::AccountTakeOver => "account_take_over",
        }
    }

    /// The texts it has: a subject and an HTML body (no SMS).
    pub fn channels(self) -> &'static [Channel] {
        match self {
            Notice::AccountTakeOver => &[Channel::Subject, Channel::Email],
        }
    }
}

/// `ACCOUNT_TAKE_OVER_ACTION`: what threat protection did with the sign-in
/// (Amazon Cognito API Reference, `AccountTakeoverActionType`), plus `MFA`,
/// which @types/aws-lambda lists too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TakeoverAction {
    /// `BLOCK`: the request was blocked.
    Block,
    /// `NO_ACTION`: the user was allowed to sign in.
    NoAction,
    /// `MFA`: an MFA challenge (listed by @types/aws-lambda only).
    Mfa,
    /// `MFA_IF_CONFIGURED`: an MFA challenge if the user has MFA, else allowed.
    MfaIfConfigured,
    /// `MFA_REQUIRED`: an MFA challenge if the user has MFA, else blocked.
    MfaRequired,
    /// Any other value: the template's generic text.
    Unknown,
}

impl TakeoverAction {
    /// Every action, in a fixed order.
    pub const ALL: [TakeoverAction; 6] = [
        TakeoverAction::Block,
        TakeoverAction::NoAction,
        TakeoverAction::Mfa,
        TakeoverAction::MfaIfConfigured,
        TakeoverAction::MfaRequired,
        TakeoverAction::Unknown,
    ];

    /// The action for Cognito's value; a value it does not document is
    /// [`TakeoverAction::Unknown`] (the notice is still worth sending).
    pub fn parse(value: &str) -> TakeoverAction {
        match value {
            "BLOCK" => TakeoverAction::Block,
            "NO_ACTION" => TakeoverAction::NoAction,
            "MFA" => TakeoverAction::Mfa,
            "MFA_IF_CONFIGURED" => TakeoverAction::MfaIfConfigured,
            "MFA_REQUIRED" => TakeoverAction::MfaRequired,
            _ => TakeoverAction::Unknown,
        }
    }

    /// The code templates branch on, and logs carry.
    pub fn code(self) -> &'static str {
        match self {
            TakeoverAction::Block => "block",
            TakeoverAction::NoAction => "no_action",
            TakeoverAction::Mfa => "mfa",
            TakeoverAction::MfaIfConfigured => "mfa_if_configured",
            TakeoverAction::MfaRequired => "mfa_required",
            TakeoverAction::Unknown => "unknown",
        }
    }
}

/// The most characters of a text field (`USER_NAME`, `CITY`, …) a notice
/// shows; longer values are cut (see [`clip`]).
pub const FIELD_MAX: usize = 100;

/// The longest one-click link accepted, in characters; a link cannot be
/// cut, so the sender refuses a longer one.
pub const LINK_MAX: usize = 2048;

/// What one account-takeover notice is rendered from. The sender fills it
/// from the event: text fields through [`clip`], links checked as https.
#[derive(Clone, PartialEq, Eq)]
pub struct Takeover<'a> {
    /// `ACCOUNT_TAKE_OVER_ACTION`.
    pub action: TakeoverAction,
    /// `USER_NAME`.
    pub user_name: &'a str,
    /// `IP_ADDRESS`.
    pub ip_address: &'a str,
    /// `CITY`, when given.
    pub city: Option<&'a str>,
    /// `COUNTRY`, when given.
    pub country: Option<&'a str>,
    /// `DEVICE_NAME`, when given.
    pub device_name: Option<&'a str>,
    /// `LOGIN_TIME`, as given.
    pub login_time: &'a str,
    /// `ONE_CLICK_LINK_VALID`: "this was me".
    pub valid_link: &'a str,
    /// `ONE_CLICK_LINK_INVALID`: "this wasn't me".
    pub invalid_link: &'a str,
}

// The links carry the feedback token: Debug prints neither them nor the
// user's details.
impl std::fmt::Debug for Takeover<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Takeover")
            .field("action", &self.action)
            .finish_non_exhaustive()
    }
}

/// A text field as a notice shows it: control characters (a newline in a
/// device name) become spaces, zero-width and bidirectional formatting
/// characters are dropped (they hide or reorder what the reader sees),
/// white space is trimmed, and at most [`FIELD_MAX`] characters (UTF-16
/// units, as Cognito's limits count) are kept, the last of them `…` when
/// cut.
pub fn clip(value: &str) -> Cow<'_, str> {
    let trimmed = value.trim();
    let unclean = |c: char| c.is_control() || is_invisible_format(c);
    if !trimmed.chars().any(unclean) && limits::length(trimmed) <= FIELD_MAX {
        return Cow::Borrowed(trimmed);
    }
    let clean: String = trimmed
        .chars()
        .filter(|&c| !is_invisible_format(c))
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let clean = clean.trim();
    if limits::length(clean) <= FIELD_MAX {
        return Cow::Owned(clean.to_owned());
    }
    let mut out = String::with_capacity(FIELD_MAX * 4);
    let mut length = 0;
    for c in clean.chars() {
        if length + c.len_utf16() > FIELD_MAX - 1 {
            break;
        }
        length += c.len_utf16();
        out.push(c);
    }
    out.push('…');
    Cow::Owned(out)
}

/// Escapes the five characters that matter in HTML text and attributes.
pub fn escape_html(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            other => out.push(other),
        }
    }
    out
}

/// Checks a tidied notice text: not empty, within the channel's limit,
/// and, for the HTML body, holding both links as the template context
/// gives them (escaped), so "this wasn't me" can never be left out.
pub fn check(channel: Channel, text: &str, takeover: &Takeover<'_>) -> Result<(), Broken> {
    limits::check_size(channel, text)?;
    if channel == Channel::Email
        && [takeover.valid_link, takeover.invalid_link]
            .iter()
            .any(|link| !text.contains(&escape_html(link)))
    {
        return Err(Broken::MissingLink);
    }
    Ok(())
}

/// A rendered account-takeover notice.
#[derive(Clone, PartialEq, Eq)]
pub struct TakeoverMail {
    /// The locale whose templates were used.
    pub locale: String,
    /// The subject, one line.
    pub subject: String,
    /// The HTML body.
    pub html: String,
}

impl std::fmt::Debug for TakeoverMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TakeoverMail")
            .field("locale", &self.locale)
            .finish_non_exhaustive()
    }
}

/// Renders the account-takeover notice in the user's locale (the event's
/// `locale` attribute or `clientMetadata.locale` when Cognito sends one,
/// else `DEFAULT_LOCALE`). Unlike a message there is no fallback: the
/// init check rendered every template with the longest values a
/// [`Takeover`] can hold, so a failure here is a template that failed to
/// render, reported with its channel; the log line names the template,
/// never a value.
pub fn compose_takeover(
    catalog: &Catalog,
    event: &TriggerEvent,
    takeover: &Takeover<'_>,
) -> Result<TakeoverMail, (Channel, Broken)> {
    let notice = Notice::AccountTakeOver;
    let locale = catalog.resolve(&wanted_locales(event), notice);
    let text = |channel: Channel| -> Result<String, (Channel, Broken)> {
        let text = catalog
            .render_takeover(locale, channel, takeover)
            .map_err(|error| {
                tracing::error!(
                    notice = notice.stem(),
                    channel = channel.response_field(),
                    locale,
                    template = error.name().unwrap_or_default(),
                    line = error.line().unwrap_or_default(),
                    kind = %error.kind(),
                    "template failed to render"
                );
                (channel, Broken::Render)
            })?;
        check(channel, &text, takeover).map_err(|broken| (channel, broken))?;
        Ok(text)
    };
    Ok(TakeoverMail {
        subject: text(Channel::Subject)?,
        html: text(Channel::Email)?,
        locale: locale.to_owned(),
    })
}

#[cfg(test)]
mod tests;
