//! `CustomEmailSender_AccountTakeOverNotification`: threat protection's
//! notice that a sign-in looked like an account takeover, read from the
//! event into what custom-message's `account_take_over` templates render.
//!
//! The notice carries no code (`request.code` is null): its details are
//! user attributes (AWS's custom email sender page; the names from
//! @types/aws-lambda's `custom-email-sender.d.ts`): `EVENT_ID`,
//! `USER_NAME`, `IP_ADDRESS`, `ACCOUNT_TAKE_OVER_ACTION`, `LOGIN_TIME`,
//! `ONE_CLICK_LINK_VALID`, `ONE_CLICK_LINK_INVALID`, `FEEDBACK_TOKEN`, and
//! optionally `CITY`, `COUNTRY`, `DEVICE_NAME`.
//!
//! # What is checked
//!
//! - `EVENT_ID` must be an event id (letters, digits, `-`, `_`, `+`; at
//!   most [`EVENT_ID_MAX`]): it keys the idempotency record, and logs carry
//!   it to match the notice with Cognito's `AdminListUserAuthEvents`.
//! - The two links must be absolute `https` URLs with a host and no user
//!   name or password, at most [`LINK_MAX`] characters once escaped for
//!   HTML; anything else (`javascript:`, `http:`, a relative path) is an
//!   error and no mail is sent: a mail whose "this wasn't me" button runs a
//!   script or goes in clear text is worse than none. The mail carries the
//!   URL as parsed (quotes and spaces percent-encoded).
//! - Text fields are cut to custom-message's `FIELD_MAX` characters
//!   (`notice::clip`); `LOGIN_TIME` is shown as given: AWS documents no
//!   format for it, so it is not parsed.
//! - `IP_ADDRESS` must parse as an IP address, and is shown as parsed.
//!   `DEVICE_NAME`, `CITY` and `COUNTRY` describe the suspicious sign-in,
//!   so an attacker chooses at least the device name: each is shown only
//!   when it cannot be turned into a link by a mail client
//!   (custom-message's `is_plain_text`, the greeting's rule), else left out
//!   as if absent. A version number (`Chrome 120.0`) is left out too.
//!
//! # What is never logged
//!
//! `FEEDBACK_TOKEN` is never read; the links carry it, so they are never
//! logged either, nor is anything else of the notice but `EVENT_ID` and the
//! action's code. [`TakeoverEvent`]'s `Debug` prints only those.

use cognito_auth_core::trigger::TriggerEvent;
use custom_message::limits;
use custom_message::message::is_plain_text;
use custom_message::notice::{FIELD_MAX, LINK_MAX, Takeover, TakeoverAction, clip, escape_html};

/// The longest `EVENT_ID` accepted. Cognito's event ids
/// (`AuthEventType.EventId`) are UUIDs, 36 characters.
pub const EVENT_ID_MAX: usize = 128;

/// Why a takeover notice cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoticeError {
    /// A required attribute is missing or empty.
    #[error("the takeover notice has no {0} attribute")]
    Missing(&'static str),
    /// `EVENT_ID` is not an event id.
    #[error("EVENT_ID is not an event id")]
    BadEventId,
    /// A one-click link is not an https URL.
    #[error("{0} is not an https URL")]
    NotHttps(&'static str),
    /// A one-click link is too long to be shown.
    #[error("{0} is longer than {LINK_MAX} characters")]
    LinkTooLong(&'static str),
    /// `IP_ADDRESS` is not an IPv4 or IPv6 address.
    #[error("IP_ADDRESS is not an IP address")]
    BadIpAddress,
}

impl NoticeError {
    /// A stable snake_case code for logs and the `Reason` dimension.
    pub fn reason(&self) -> &'static str {
        match self {
            NoticeError::Missing(_) => "missing_attribute",
            NoticeError::BadEventId => "bad_event_id",
            NoticeError::NotHttps(_) => "link_not_https",
            NoticeError::LinkTooLong(_) => "link_too_long",
            NoticeError::BadIpAddress => "bad_ip_address",
        }
    }
}

/// One account-takeover notice, read and checked.
#[derive(Clone, PartialEq, Eq)]
pub struct TakeoverEvent {
    event_id: String,
    action: TakeoverAction,
    user_name: String,
    ip_address: String,
    city: Option<String>,
    country: Option<String>,
    device_name: Option<String>,
    login_time: String,
    valid_link: String,
    invalid_link: String,
}

impl std::fmt::Debug for TakeoverEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TakeoverEvent")
            .field("event_id", &self.event_id)
            .field("action", &self.action)
            .finish_non_exhaustive()
    }
}

impl TakeoverEvent {
    /// Reads the notice from the event's user attributes.
    pub fn read(event: &TriggerEvent) -> Result<TakeoverEvent, NoticeError> {
        let attributes = event.user_attributes();
        let get = |name: &'static str| {
            attributes
                .get(name)
                .map(|value| value.trim())
                .filter(|value| !value.is_empty())
        };
        let required = |name: &'static str| get(name).ok_or(NoticeError::Missing(name));
        let text = |name: &'static str| required(name).map(|value| clip(value).into_owned());
        // Where the sign-in came from is the attacker's to choose (a device
        // name from their user agent): shown only when it cannot be a link.
        let optional = |name: &'static str| {
            get(name)
                .map(|value| clip(value).into_owned())
                .filter(|value| is_plain_text(value, FIELD_MAX))
        };
        let ip_address = required("IP_ADDRESS")?
            .parse::<std::net::IpAddr>()
            .map_err(|_| NoticeError::BadIpAddress)?;

        let event_id = required("EVENT_ID")?;
        if event_id.len() > EVENT_ID_MAX
            || !event_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'+'))
        {
            return Err(NoticeError::BadEventId);
        }
        Ok(TakeoverEvent {
            event_id: event_id.to_owned(),
            action: TakeoverAction::parse(required("ACCOUNT_TAKE_OVER_ACTION")?),
            valid_link: https_link("ONE_CLICK_LINK_VALID", required("ONE_CLICK_LINK_VALID")?)?,
            invalid_link: https_link(
                "ONE_CLICK_LINK_INVALID",
                required("ONE_CLICK_LINK_INVALID")?,
            )?,
            user_name: text("USER_NAME")?,
            ip_address: ip_address.to_string(),
            login_time: text("LOGIN_TIME")?,
            city: optional("CITY"),
            country: optional("COUNTRY"),
            device_name: optional("DEVICE_NAME"),
        })
    }

    /// `EVENT_ID`: safe to log (checked to be an id).
    pub fn event_id(&self) -> &str {
        &self.event_id
    }

    /// The action, for logs.
    pub fn action(&self) -> TakeoverAction {
        self.action
    }

    /// The text of the idempotency key, which [`crate::aws::idempotency_key`]
    /// hashes: the pool and `EVENT_ID`. Cognito's retries of one risk event
    /// repeat its `EVENT_ID`; the pool keeps two pools sharing a table
    /// apart, and the prefix keeps it apart from every code's key.
    pub fn claim_text(&self, pool_id: &str) -> String {
        format!("takeover:{pool_id}:{}", self.event_id)
    }

    /// What the templates render.
    pub fn vars(&self) -> Takeover<'_> {
        Takeover {
            action: self.action,
            user_name: &self.user_name,
            ip_address: &self.ip_address,
            city: self.city.as_deref(),
            country: self.country.as_deref(),
            device_name: self.device_name.as_deref(),
            login_time: &self.login_time,
            valid_link: &self.valid_link,
            invalid_link: &self.invalid_link,
        }
    }
}

/// `value` as an absolute https URL with a host and no credentials, as
/// parsed and serialised; at most [`LINK_MAX`] characters once escaped.
pub fn https_link(name: &'static str, value: &str) -> Result<String, NoticeError> {
    let url = reqwest::Url::parse(value).map_err(|_| NoticeError::NotHttps(name))?;
    if url.scheme() != "https"
        || url.host_str().is_none_or(str::is_empty)
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(NoticeError::NotHttps(name));
    }
    let link = url.as_str();
    if limits::length(&escape_html(link)) > LINK_MAX {
        return Err(NoticeError::LinkTooLong(name));
    }
    Ok(link.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn attributes() -> Value {
        json!({
            "EVENT_ID": "d2ee7c09-5ea7-4c8f-9e6b-2d1c3f4a5b6c",
            "USER_NAME": "maria.silva@example.com",
            "IP_ADDRESS": "203.0.113.7",
            "ACCOUNT_TAKE_OVER_ACTION": "BLOCK",
            "ONE_CLICK_LINK_VALID": "https://feedback.example.com/v?token=abc&e=1",
            "ONE_CLICK_LINK_INVALID": "https://feedback.example.com/i?token=abc&e=1",
            "LOGIN_TIME": "2026-12-07T04:00:00Z",
            "FEEDBACK_TOKEN": "abc",
            "CITY": "Lisbon",
            "email": "maria.silva@example.com"
        })
    }

    fn read(attributes: Value) -> Result<TakeoverEvent, NoticeError> {
        TakeoverEvent::read(
            &TriggerEvent::from_value(json!({
                "version": "1",
                "triggerSource": "CustomEmailSender_AccountTakeOverNotification",
                "region": "us-east-1",
                "userPoolId": "us-east-1_Ex4mPle01",
                "userName": "maria",
                "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "c"},
                "request": {"type": "customEmailSenderRequestV1", "code": null, "userAttributes": attributes},
                "response": {}
            }))
            .unwrap(),
        )
    }

    #[test]
    fn a_notice_is_read_with_its_optional_fields() {
        let notice = read(attributes()).unwrap();
        let vars = notice.vars();
        assert_eq!(vars.action, TakeoverAction::Block);
        assert_eq!(vars.city, Some("Lisbon"));
        assert_eq!(vars.country, None);
        assert_eq!(vars.device_name, None);
        assert_eq!(vars.login_time, "2026-12-07T04:00:00Z");
        assert_eq!(
            vars.valid_link,
            "https://feedback.example.com/v?token=abc&e=1"
        );
        assert_eq!(
            notice.claim_text("us-east-1_Ex4mPle01"),
            "takeover:us-east-1_Ex4mPle01:d2ee7c09-5ea7-4c8f-9e6b-2d1c3f4a5b6c"
        );
        // Debug shows the id and the action only.
        let debug = format!("{notice:?}");
        assert!(!debug.contains("token"), "{debug}");
        assert!(!debug.contains("maria"), "{debug}");
        // An action Cognito does not document still sends, with the
        // generic text.
        let mut other = attributes();
        other["ACCOUNT_TAKE_OVER_ACTION"] = "QUARANTINE".into();
        assert_eq!(read(other).unwrap().action(), TakeoverAction::Unknown);
    }

    #[test]
    fn missing_required_attributes_are_named() {
        for name in [
            "EVENT_ID",
            "ACCOUNT_TAKE_OVER_ACTION",
            "ONE_CLICK_LINK_VALID",
            "ONE_CLICK_LINK_INVALID",
            "USER_NAME",
            "IP_ADDRESS",
            "LOGIN_TIME",
        ] {
            for absent in [Value::Null, "  ".into()] {
                let mut attributes = attributes();
                if absent.is_null() {
                    attributes.as_object_mut().unwrap().remove(name);
                } else {
                    attributes[name] = absent;
                }
                assert_eq!(read(attributes).unwrap_err(), NoticeError::Missing(name));
            }
        }
    }

    #[test]
    fn the_ip_address_must_be_one() {
        for bad in [
            "evil.example",
            "203.0.113",
            "203.0.113.7 visit evil.example",
            "::g",
        ] {
            let mut attributes = attributes();
            attributes["IP_ADDRESS"] = bad.into();
            assert_eq!(
                read(attributes).unwrap_err(),
                NoticeError::BadIpAddress,
                "{bad}"
            );
        }
        let mut attributes = attributes();
        attributes["IP_ADDRESS"] = " 2001:DB8::1 ".into();
        assert_eq!(read(attributes).unwrap().vars().ip_address, "2001:db8::1");
    }

    #[test]
    fn where_the_sign_in_came_from_is_shown_only_when_it_cannot_be_a_link() {
        let shown = |name: &str, value: &str| {
            let mut attributes = attributes();
            attributes[name] = value.into();
            let notice = read(attributes).unwrap();
            let vars = notice.vars();
            match name {
                "DEVICE_NAME" => vars.device_name.map(str::to_owned),
                "CITY" => vars.city.map(str::to_owned),
                _ => vars.country.map(str::to_owned),
            }
        };
        for name in ["DEVICE_NAME", "CITY", "COUNTRY"] {
            for link_like in [
                "Visit evil.example now",
                "https://evil.example",
                "support@evil.example",
                "Chrome 120.0",
            ] {
                assert_eq!(shown(name, link_like), None, "{name}={link_like}");
            }
        }
        assert_eq!(
            shown("DEVICE_NAME", "Chrome, Windows").as_deref(),
            Some("Chrome, Windows")
        );
        assert_eq!(shown("CITY", "São Paulo").as_deref(), Some("São Paulo"));
        // Invisible formatting is dropped, so it cannot hide a link either.
        assert_eq!(
            shown("DEVICE_NAME", "Safari\u{202E}elpmaxe.live").as_deref(),
            None
        );
        assert_eq!(
            shown("DEVICE_NAME", "Fire\u{200B}fox").as_deref(),
            Some("Firefox")
        );
    }

    #[test]
    fn event_ids_must_be_ids() {
        for bad in ["a b", "x\ny", "<id>", &"a".repeat(EVENT_ID_MAX + 1)] {
            let mut attributes = attributes();
            attributes["EVENT_ID"] = bad.into();
            assert_eq!(read(attributes).unwrap_err(), NoticeError::BadEventId);
        }
        let mut attributes = attributes();
        attributes["EVENT_ID"] = "a".repeat(EVENT_ID_MAX).into();
        assert!(read(attributes).is_ok());
    }

    #[test]
    fn links_must_be_https() {
        for bad in [
            "javascript:alert(1)",
            "http://feedback.example.com/v",
            "HTTP://feedback.example.com/v",
            "data:text/html,hi",
            "/relative/path",
            "feedback.example.com/v",
            "https://user:pw@feedback.example.com/v",
            "https://user@feedback.example.com/v",
            "https://",
            "mailto:x@example.com",
        ] {
            for name in ["ONE_CLICK_LINK_VALID", "ONE_CLICK_LINK_INVALID"] {
                let mut attributes = attributes();
                attributes[name] = bad.into();
                assert_eq!(
                    read(attributes).err(),
                    Some(NoticeError::NotHttps(name)),
                    "{bad}"
                );
            }
        }
        // Parsed and serialised: a quote or a space cannot break out of
        // the attribute it is put in.
        assert_eq!(
            https_link("L", "HTTPS://Feedback.Example.com/a b\"c?x='1'").unwrap(),
            "https://feedback.example.com/a%20b%22c?x=%271%27"
        );
        let longest = format!("https://e.com/{}", "a".repeat(LINK_MAX - 14));
        assert_eq!(https_link("L", &longest).unwrap(), longest);
        let escaped_too_long = format!("https://e.com/?{}", "&".repeat(LINK_MAX / 5));
        assert_eq!(
            https_link("L", &escaped_too_long),
            Err(NoticeError::LinkTooLong("L"))
        );
    }

    #[test]
    fn long_fields_are_cut() {
        let mut attributes = attributes();
        attributes["DEVICE_NAME"] = "D".repeat(5000).into();
        let notice = read(attributes).unwrap();
        let device = notice.vars().device_name.unwrap().to_owned();
        assert_eq!(limits::length(&device), custom_message::notice::FIELD_MAX);
    }
}
