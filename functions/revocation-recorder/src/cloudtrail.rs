//! What one EventBridge event asks of the store, decided from the event
//! alone: no I/O, so every rule is unit-tested and fuzzed.
//!
//! # The event
//!
//! EventBridge delivers a CloudTrail record of a Cognito call as
//! `{"detail-type": "AWS API Call via CloudTrail", "source": "aws.cognito-idp",
//! "detail": <the CloudTrail record>, ...}`. The record holds `eventSource`
//! (`cognito-idp.amazonaws.com`), `eventName`, `eventTime` (RFC 3339 UTC,
//! whole seconds), `requestParameters` (`userPoolId`, `username`), and, on a
//! failed call, a non-empty `errorCode` (Cognito writes `"errorCode": ""` on
//! success). Cognito hides private values as `HIDDEN_DUE_TO_SECURITY_REASONS`
//! (its guide spells it `HIDDEN_FOR_SECURITY_REASONS`): any value starting
//! with `HIDDEN_` is treated as absent.
//!
//! # Who
//!
//! The user's `sub` is taken from `additionalEventData.sub` when the record
//! carries it; otherwise the plan names the user by `requestParameters.username`
//! and the handler resolves it with `AdminGetUser`. An admin call that names
//! no usable user is an error (the on-failure destination gets it, so an
//! operator can revoke by hand); a user's own call that names none is
//! ignored, since the sign-out route covers those.
//!
//! # Which calls
//!
//! | `eventName` | reason |
//! |---|---|
//! | `AdminUserGlobalSignOut` | `admin_sign_out` |
//! | `AdminDisableUser` | `disabled` |
//! | `AdminDeleteUser` | `deleted` |
//! | `AdminResetUserPassword` | `password_reset` |
//! | `AdminSetUserPassword` | `password_set` |
//! | `GlobalSignOut` | `global_sign_out` (only with a sub in the record) |
//! | `DeleteUser` | `deleted` (only with a sub in the record) |
//! | `ChangePassword` | `password_changed` (only with a sub in the record) |
//! | `RevokeToken` | ignored: the record hides the token, so its session (`origin_jti`) is unknown |
//!
//! Everything else (another source, another call, a failed call, another
//! pool) is ignored.

use cognito_auth_core::ids::UserPoolId;
use cognito_auth_core::revocation::Reason;
use serde_json::Value;

/// EventBridge's `detail-type` for a CloudTrail record of an API call.
pub const DETAIL_TYPE: &str = "AWS API Call via CloudTrail";
/// EventBridge's `source` for Cognito user pools.
pub const SOURCE: &str = "aws.cognito-idp";
/// CloudTrail's `eventSource` for Cognito user pools.
pub const EVENT_SOURCE: &str = "cognito-idp.amazonaws.com";

/// The largest event accepted, in bytes of its JSON: EventBridge's own limit
/// (256 KB) rounded up; a larger one is malformed, whatever it says.
pub const MAX_EVENT_BYTES: usize = 256 * 1024;

/// A call that revokes a user's sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// `AdminUserGlobalSignOut`.
    AdminUserGlobalSignOut,
    /// `AdminDisableUser`.
    AdminDisableUser,
    /// `AdminDeleteUser`.
    AdminDeleteUser,
    /// `AdminResetUserPassword`.
    AdminResetUserPassword,
    /// `AdminSetUserPassword`.
    AdminSetUserPassword,
    /// `GlobalSignOut` (the user's own, with an access token).
    GlobalSignOut,
    /// `DeleteUser` (the user's own).
    DeleteUser,
    /// `ChangePassword` (the user's own).
    ChangePassword,
}

impl Call {
    /// Every call the recorder maps: what the template's EventBridge rule
    /// must match, no more and no less (the template test checks it).
    pub const ALL: [Call; 8] = [
        Call::AdminUserGlobalSignOut,
        Call::AdminDisableUser,
        Call::AdminDeleteUser,
        Call::AdminResetUserPassword,
        Call::AdminSetUserPassword,
        Call::GlobalSignOut,
        Call::DeleteUser,
        Call::ChangePassword,
    ];

    /// The call of `event_name`, if it revokes anything we can record.
    pub fn of(event_name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|call| name_of(*call) == event_name)
    }

    /// The item's reason.
    pub fn reason(self) -> Reason {
        match self {
            Call::AdminUserGlobalSignOut => Reason::AdminSignOut,
            Call::AdminDisableUser => Reason::Disabled,
            Call::AdminDeleteUser | Call::DeleteUser => Reason::Deleted,
            Call::AdminResetUserPassword => Reason::PasswordReset,
            Call::AdminSetUserPassword => Reason::PasswordSet,
            Call::GlobalSignOut => Reason::GlobalSignOut,
            Call::ChangePassword => Reason::PasswordChanged,
        }
    }

    /// Whether an administrator (IAM credentials) makes this call: its
    /// record names the pool and the user, and failing to identify the user
    /// is an error rather than a shrug.
    pub fn is_admin(self) -> bool {
        matches!(
            self,
            Call::AdminUserGlobalSignOut
                | Call::AdminDisableUser
                | Call::AdminDeleteUser
                | Call::AdminResetUserPassword
                | Call::AdminSetUserPassword
        )
    }
}

/// How the record names the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum User {
    /// By `sub`: ready to write.
    Sub(String),
    /// By username (or alias), to resolve with `AdminGetUser`. Never logged.
    Username(String),
}

/// A revocation to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The call.
    pub call: Call,
    /// Its pool, one of `USER_POOL_ID`'s.
    pub pool: UserPoolId,
    /// Its user.
    pub user: User,
    /// `eventTime`, in seconds since the epoch.
    pub event_time: u64,
    /// CloudTrail's `eventID`, for the logs.
    pub event_id: Option<String>,
}

/// Why an event revokes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ignored {
    /// Not a CloudTrail record of a Cognito user-pool call.
    NotCognitoApiCall,
    /// A call that revokes nothing.
    OtherCall,
    /// `RevokeToken`: the record hides the token, so its session is unknown.
    SessionUnknown,
    /// The call failed (`errorCode`).
    FailedCall,
    /// A pool this deployment does not record.
    OtherPool,
    /// A user's own call whose record names neither a sub nor a pool.
    UserUnknown,
}

impl Ignored {
    /// A stable snake_case code for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Ignored::NotCognitoApiCall => "not_cognito_api_call",
            Ignored::OtherCall => "other_call",
            Ignored::SessionUnknown => "session_unknown",
            Ignored::FailedCall => "failed_call",
            Ignored::OtherPool => "other_pool",
            Ignored::UserUnknown => "user_unknown",
        }
    }
}

/// What to do with one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Write a revocation.
    Record(Plan),
    /// Nothing to write.
    Ignore(Ignored),
}

/// An event that cannot be read. The handler fails the invocation with it,
/// so the on-failure destination keeps the event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// Not a JSON object, or larger than [`MAX_EVENT_BYTES`].
    #[error("the event is not an EventBridge event object")]
    NotAnEvent,
    /// A field the decision needs is absent or of the wrong type.
    #[error("the CloudTrail record has no usable `{0}`")]
    Missing(&'static str),
    /// `eventTime` is not RFC 3339 UTC.
    #[error("the CloudTrail record's eventTime is not an RFC 3339 UTC time")]
    BadTime,
    /// An admin call whose record names its user by neither a usable sub
    /// nor a usable username (both hidden or absent).
    #[error(
        "the {call} record names its user by neither sub nor username; revoke the user by hand"
    )]
    UserNotNamed {
        /// The call.
        call: &'static str,
    },
}

/// Decides what `event` asks of the store (see the module's notes).
pub fn decide(event: &Value, pools: &[UserPoolId]) -> Result<Decision, EventError> {
    let event = event.as_object().ok_or(EventError::NotAnEvent)?;
    if event.get("detail-type").and_then(Value::as_str) != Some(DETAIL_TYPE)
        || event.get("source").and_then(Value::as_str) != Some(SOURCE)
    {
        return Ok(Decision::Ignore(Ignored::NotCognitoApiCall));
    }
    let detail = event
        .get("detail")
        .and_then(Value::as_object)
        .ok_or(EventError::Missing("detail"))?;
    if detail.get("eventSource").and_then(Value::as_str) != Some(EVENT_SOURCE) {
        return Ok(Decision::Ignore(Ignored::NotCognitoApiCall));
    }
    let name = detail
        .get("eventName")
        .and_then(Value::as_str)
        .ok_or(EventError::Missing("detail.eventName"))?;
    let Some(call) = Call::of(name) else {
        return Ok(Decision::Ignore(if name == "RevokeToken" {
            Ignored::SessionUnknown
        } else {
            Ignored::OtherCall
        }));
    };
    match detail.get("errorCode") {
        None | Some(Value::Null) => {}
        Some(Value::String(code)) if code.is_empty() => {}
        Some(_) => return Ok(Decision::Ignore(Ignored::FailedCall)),
    }
    let request = detail.get("requestParameters").and_then(Value::as_object);
    let additional = detail.get("additionalEventData").and_then(Value::as_object);
    let pool = field(request, "userPoolId").or_else(|| field(additional, "userPoolId"));
    let Some(pool) = pool else {
        return if call.is_admin() {
            Err(EventError::Missing("detail.requestParameters.userPoolId"))
        } else {
            Ok(Decision::Ignore(Ignored::UserUnknown))
        };
    };
    if !pools.iter().any(|configured| configured.as_str() == pool) {
        return Ok(Decision::Ignore(Ignored::OtherPool));
    }
    let pool = UserPoolId::parse(pool).map_err(|_| EventError::Missing("userPoolId"))?;
    let event_time = detail
        .get("eventTime")
        .and_then(Value::as_str)
        .ok_or(EventError::Missing("detail.eventTime"))
        .and_then(|text| parse_event_time(text).ok_or(EventError::BadTime))?;
    let sub = field(additional, "sub").filter(|sub| is_sub(sub));
    let username = field(request, "username").filter(|name| is_username(name));
    let user = match (sub, username) {
        (Some(sub), _) => User::Sub(sub.to_owned()),
        (None, Some(username)) if call.is_admin() => User::Username(username.to_owned()),
        _ if call.is_admin() => {
            return Err(EventError::UserNotNamed {
                call: name_of(call),
            });
        }
        _ => return Ok(Decision::Ignore(Ignored::UserUnknown)),
    };
    Ok(Decision::Record(Plan {
        call,
        pool,
        user,
        event_time,
        event_id: detail
            .get("eventID")
            .and_then(Value::as_str)
            .map(str::to_owned),
    }))
}

/// The string `name` of `map`, unless absent, not a string, or hidden.
fn field<'a>(map: Option<&'a serde_json::Map<String, Value>>, name: &str) -> Option<&'a str> {
    map.and_then(|map| map.get(name))
        .and_then(Value::as_str)
        .filter(|value| !is_hidden(value))
}

/// The call's `eventName`.
pub fn name_of(call: Call) -> &'static str {
    match call {
        Call::AdminUserGlobalSignOut => "AdminUserGlobalSignOut",
        Call::AdminDisableUser => "AdminDisableUser",
        Call::AdminDeleteUser => "AdminDeleteUser",
        Call::AdminResetUserPassword => "AdminResetUserPassword",
        Call::AdminSetUserPassword => "AdminSetUserPassword",
        Call::GlobalSignOut => "GlobalSignOut",
        Call::DeleteUser => "DeleteUser",
        Call::ChangePassword => "ChangePassword",
    }
}

/// A value CloudTrail hid.
pub fn is_hidden(value: &str) -> bool {
    value.starts_with("HIDDEN_")
}

/// A plausible `sub`: Cognito's are UUIDs; anything of 1 to 128 ASCII
/// letters, digits and `-` is accepted, so that a key never holds a `#`,
/// a space or a control character.
pub fn is_sub(value: &str) -> bool {
    (1..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Whether `value` is shaped like a Cognito `sub` (a UUID: 8-4-4-4-12 hex
/// digits). A pool whose users sign in with an email or phone number uses
/// the sub as the username, so such a username names the sub even after
/// the user is deleted.
pub fn is_uuid(value: &str) -> bool {
    let groups: Vec<&str> = value.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A username as Cognito's API takes it: 1 to 128 characters, no white
/// space or control characters.
pub fn is_username(value: &str) -> bool {
    (1..=128).contains(&value.chars().count())
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// `YYYY-MM-DDTHH:MM:SSZ` (optionally with a fraction, dropped) as seconds
/// since the epoch; `None` for anything else or a time before 1970.
pub fn parse_event_time(text: &str) -> Option<u64> {
    let bytes = text.as_bytes();
    if bytes.len() < 20 || bytes.last() != Some(&b'Z') {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<u64> {
        let part = text.get(range)?;
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    if bytes[4] != b'-'
        || bytes[7] != b'-'
        || bytes[10] != b'T'
        || bytes[13] != b':'
        || bytes[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    let rest = &text[19..text.len() - 1];
    if !rest.is_empty() {
        let fraction = rest.strip_prefix('.')?;
        if fraction.is_empty()
            || fraction.len() > 9
            || !fraction.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    if year < 1970 || day == 0 || day > days_in_month || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let days = days_from_civil(year as i64, month as i64, day as i64);
    u64::try_from(days)
        .ok()
        .map(|days| days * 86_400 + hour * 3_600 + minute * 60 + second)
}

/// Days from 1970-01-01 to the proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const POOL: &str = "eu-west-1_Pool1";

    fn pools() -> Vec<UserPoolId> {
        vec![UserPoolId::parse(POOL).unwrap()]
    }

    fn event(name: &str) -> Value {
        json!({
            "version": "0",
            "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
            "detail-type": DETAIL_TYPE,
            "source": SOURCE,
            "account": "123456789012",
            "time": "2026-11-22T01:02:04Z",
            "region": "eu-west-1",
            "resources": [],
            "detail": {
                "eventVersion": "1.08",
                "userIdentity": {"type": "AssumedRole"},
                "eventTime": "2026-11-22T01:02:03Z",
                "eventSource": EVENT_SOURCE,
                "eventName": name,
                "awsRegion": "eu-west-1",
                "requestParameters": {"userPoolId": POOL, "username": "alice"},
                "responseElements": null,
                "eventID": "e-1",
                "eventType": "AwsApiCall",
                "managementEvent": true
            }
        })
    }

    #[test]
    fn every_admin_call_is_recorded_with_its_reason() {
        for (name, reason) in [
            ("AdminUserGlobalSignOut", Reason::AdminSignOut),
            ("AdminDisableUser", Reason::Disabled),
            ("AdminDeleteUser", Reason::Deleted),
            ("AdminResetUserPassword", Reason::PasswordReset),
            ("AdminSetUserPassword", Reason::PasswordSet),
        ] {
            let Decision::Record(plan) = decide(&event(name), &pools()).unwrap() else {
                panic!("{name} is recorded");
            };
            assert_eq!(plan.call.reason(), reason);
            assert_eq!(plan.user, User::Username("alice".into()));
            assert_eq!(plan.event_time, 1_795_309_323);
            assert_eq!(plan.pool.as_str(), POOL);
        }
    }

    #[test]
    fn the_sub_in_the_record_wins_over_the_username() {
        let mut event = event("AdminDisableUser");
        event["detail"]["additionalEventData"] = json!({"sub": "0f3c-sub"});
        event["detail"]["requestParameters"]["username"] = json!("HIDDEN_DUE_TO_SECURITY_REASONS");
        let Decision::Record(plan) = decide(&event, &pools()).unwrap() else {
            panic!()
        };
        assert_eq!(plan.user, User::Sub("0f3c-sub".into()));
    }

    #[test]
    fn an_admin_call_without_a_usable_user_is_an_error() {
        let mut event = event("AdminDeleteUser");
        event["detail"]["requestParameters"]["username"] = json!("HIDDEN_DUE_TO_SECURITY_REASONS");
        assert_eq!(
            decide(&event, &pools()),
            Err(EventError::UserNotNamed {
                call: "AdminDeleteUser"
            })
        );
    }

    #[test]
    fn a_users_own_call_needs_a_sub() {
        let mut event = event("GlobalSignOut");
        event["detail"]["requestParameters"] =
            json!({"accessToken": "HIDDEN_DUE_TO_SECURITY_REASONS"});
        assert_eq!(
            decide(&event, &pools()),
            Ok(Decision::Ignore(Ignored::UserUnknown))
        );
        event["detail"]["additionalEventData"] = json!({"sub": "0f3c-sub", "userPoolId": POOL});
        let Decision::Record(plan) = decide(&event, &pools()).unwrap() else {
            panic!()
        };
        assert_eq!(plan.call.reason(), Reason::GlobalSignOut);
    }

    #[test]
    fn what_is_ignored() {
        let mut failed = event("AdminDisableUser");
        failed["detail"]["errorCode"] = json!("UserNotFoundException");
        let mut succeeded = event("AdminDisableUser");
        succeeded["detail"]["errorCode"] = json!("");
        let mut other_pool = event("AdminDisableUser");
        other_pool["detail"]["requestParameters"]["userPoolId"] = json!("eu-west-1_Other");
        let mut other_source = event("AdminDisableUser");
        other_source["source"] = json!("aws.s3");
        for (event, expected) in [
            (failed, Some(Ignored::FailedCall)),
            (succeeded, None),
            (other_pool, Some(Ignored::OtherPool)),
            (other_source, Some(Ignored::NotCognitoApiCall)),
            (event("AdminEnableUser"), Some(Ignored::OtherCall)),
            (event("RevokeToken"), Some(Ignored::SessionUnknown)),
        ] {
            let decision = decide(&event, &pools()).unwrap();
            match expected {
                Some(ignored) => assert_eq!(decision, Decision::Ignore(ignored)),
                None => assert!(matches!(decision, Decision::Record(_))),
            }
        }
    }

    #[test]
    fn malformed_events_are_errors() {
        assert_eq!(decide(&json!([1]), &pools()), Err(EventError::NotAnEvent));
        let mut no_time = event("AdminDisableUser");
        no_time["detail"]["eventTime"] = json!(5);
        assert_eq!(
            decide(&no_time, &pools()),
            Err(EventError::Missing("detail.eventTime"))
        );
        let mut bad_time = event("AdminDisableUser");
        bad_time["detail"]["eventTime"] = json!("2026-02-30T00:00:00Z");
        assert_eq!(decide(&bad_time, &pools()), Err(EventError::BadTime));
    }

    #[test]
    fn event_times_are_read_strictly() {
        for (text, expected) in [
            ("1970-01-01T00:00:00Z", Some(0)),
            ("2000-02-29T23:59:59Z", Some(951_868_799)),
            ("2026-11-22T01:02:03Z", Some(1_795_309_323)),
            ("2026-11-22T01:02:03.999Z", Some(1_795_309_323)),
            ("2026-11-22T01:02:03", None),
            ("2026-11-22T01:02:03+00:00", None),
            ("2026-11-22 01:02:03Z", None),
            ("2026-13-01T00:00:00Z", None),
            ("2100-02-29T00:00:00Z", None),
            ("1969-12-31T23:59:59Z", None),
            ("2026-11-22T24:00:00Z", None),
            ("2026-11-22T01:02:03.Z", None),
            ("+026-11-22T01:02:03Z", None),
            ("", None),
        ] {
            assert_eq!(parse_event_time(text), expected, "{text}");
        }
    }

    #[test]
    fn uuids_and_subs() {
        assert!(is_uuid("2f1c6e6e-7a4b-4c8d-9e0f-1a2b3c4d5e6f"));
        assert!(!is_uuid("alice"));
        assert!(!is_uuid("2f1c6e6e-7a4b-4c8d-9e0f-1a2b3c4d5e6g"));
        assert!(is_sub("0f3c-sub"));
        assert!(!is_sub("a#b") && !is_sub("") && !is_sub("a b"));
    }
}
