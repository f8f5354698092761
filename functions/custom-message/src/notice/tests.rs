use super::*;

use crate::config::Brand;
use crate::locale::Locale;
use crate::templates::Kind;
use serde_json::json;

fn catalog(default_locale: &str) -> Catalog {
    let brand = Brand {
        app_name: "Acme & Co".to_owned(),
        app_url: Some("https://app.example.com/?a=1&b=2".to_owned()),
        support_email: Some("support@example.com".to_owned()),
    };
    Catalog::load(&brand, &Locale::parse(default_locale).unwrap(), None).unwrap()
}

fn event(locale: Option<&str>) -> TriggerEvent {
    let mut attributes = json!({"EVENT_ID": "e-1", "email": "maria@example.com"});
    if let Some(locale) = locale {
        attributes["locale"] = locale.into();
    }
    TriggerEvent::from_value(json!({
        "version": "1",
        "triggerSource": "CustomEmailSender_AccountTakeOverNotification",
        "region": "us-east-1",
        "userPoolId": "us-east-1_Ex4mPle01",
        "userName": "maria",
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "c"},
        "request": {"type": "customEmailSenderRequestV1", "code": null, "userAttributes": attributes},
        "response": {}
    }))
    .unwrap()
}

fn takeover(action: TakeoverAction) -> Takeover<'static> {
    Takeover {
        action,
        user_name: "maria.silva@example.com",
        ip_address: "203.0.113.7",
        city: Some("Lisbon"),
        country: Some("Portugal"),
        device_name: Some("Firefox"),
        login_time: "2026-12-07T04:00:00Z",
        valid_link: "https://feedback.example.com/v?t=1&e=2",
        invalid_link: "https://feedback.example.com/i?t=1&e=2",
    }
}

/// What each action's body says, in each built-in locale: a phrase
/// only that action's text holds.
#[test]
fn each_action_says_what_happened_in_each_locale() {
    let catalog = catalog("en");
    let phrases = [
        (
            "en",
            [
                (TakeoverAction::Block, "We blocked the sign-in."),
                (
                    TakeoverAction::MfaRequired,
                    "without one, the sign-in was blocked",
                ),
                (TakeoverAction::Mfa, "without one, the sign-in was blocked"),
                (
                    TakeoverAction::MfaIfConfigured,
                    "if you don't, the sign-in was allowed",
                ),
                (TakeoverAction::NoAction, "The sign-in was allowed."),
                (TakeoverAction::Unknown, "We noticed a sign-in"),
            ],
        ),
        (
            "es",
            [
                (
                    TakeoverAction::Block,
                    "Hemos bloqueado el inicio de sesión.",
                ),
                (
                    TakeoverAction::MfaRequired,
                    "sin él, el inicio de sesión se bloqueó",
                ),
                (
                    TakeoverAction::Mfa,
                    "sin él, el inicio de sesión se bloqueó",
                ),
                (
                    TakeoverAction::MfaIfConfigured,
                    "si no, el inicio de sesión se permitió",
                ),
                (TakeoverAction::NoAction, "El inicio de sesión se permitió."),
                (
                    TakeoverAction::Unknown,
                    "Hemos detectado un inicio de sesión",
                ),
            ],
        ),
        (
            "pt",
            [
                (TakeoverAction::Block, "Bloqueamos o acesso."),
                (
                    TakeoverAction::MfaRequired,
                    "sem ela, o acesso foi bloqueado",
                ),
                (TakeoverAction::Mfa, "sem ela, o acesso foi bloqueado"),
                (
                    TakeoverAction::MfaIfConfigured,
                    "se não tiver, o acesso foi permitido",
                ),
                (TakeoverAction::NoAction, "O acesso foi permitido."),
                (TakeoverAction::Unknown, "Notamos um acesso"),
            ],
        ),
    ];
    for (locale, cases) in phrases {
        for (action, phrase) in cases {
            let mail = compose_takeover(&catalog, &event(Some(locale)), &takeover(action)).unwrap();
            assert_eq!(mail.locale, locale);
            assert!(
                mail.html.contains(phrase),
                "{locale} {action:?}: {}",
                mail.html
            );
            // No other action's phrase.
            for (other, other_phrase) in cases {
                if other_phrase != phrase {
                    assert!(
                        !mail.html.contains(other_phrase),
                        "{locale} {action:?} says {other:?}"
                    );
                }
            }
            assert!(mail.html.contains(&format!("<html lang=\"{locale}\">")));
            assert!(
                mail.html
                    .contains("href=\"https://feedback.example.com/v?t=1&amp;e=2\"")
            );
            assert!(
                mail.html
                    .contains("href=\"https://feedback.example.com/i?t=1&amp;e=2\"")
            );
            assert!(
                mail.html.contains("2026-12-07T04:00:00Z"),
                "LOGIN_TIME as given"
            );
            assert!(mail.html.contains("203.0.113.7 (Lisbon, Portugal)"));
            assert!(mail.html.contains("Firefox"));
            assert!(mail.html.contains("maria.silva@example.com"));
            assert!(mail.html.contains("Acme &amp; Co"));
            assert!(
                !mail.html.contains("safely ignore"),
                "not the messages' footer"
            );
            assert!(mail.subject.contains("Acme & Co"), "{}", mail.subject);
            assert!(!mail.subject.contains("https://"), "no link in the subject");
            assert!(limits::length(&mail.subject) <= limits::SUBJECT_LIMIT);
        }
    }
    let block = compose_takeover(&catalog, &event(None), &takeover(TakeoverAction::Block)).unwrap();
    assert_eq!(
        block.subject,
        "We blocked a suspicious sign-in to your Acme & Co account"
    );
    // Without a locale in the event: DEFAULT_LOCALE.
    let portuguese = self::catalog("pt");
    let mail = compose_takeover(
        &portuguese,
        &event(None),
        &takeover(TakeoverAction::NoAction),
    )
    .unwrap();
    assert_eq!(mail.locale, "pt");
    assert_eq!(
        mail.subject,
        "Novo acesso suspeito à sua conta no Acme & Co"
    );
}

#[test]
fn hostile_fields_are_escaped_and_links_are_not_mangled() {
    let catalog = catalog("en");
    let city = "<img src=x onerror=alert(1)>";
    let device = "\"><script>alert('d')</script>";
    let notice = Takeover {
        city: Some(city),
        country: None,
        device_name: Some(device),
        user_name: "<b>maria</b>",
        login_time: "<i>now</i>",
        ..takeover(TakeoverAction::Block)
    };
    let mail = compose_takeover(&catalog, &event(Some("en")), &notice).unwrap();
    assert!(!mail.html.contains("<img"), "{}", mail.html);
    assert!(!mail.html.contains("<script>"), "{}", mail.html);
    assert!(!mail.html.contains("<b>maria"), "{}", mail.html);
    assert!(
        mail.html.contains("(&lt;img src=x onerror=alert(1)&gt;)"),
        "{}",
        mail.html
    );
    assert!(
        mail.html
            .contains("&quot;&gt;&lt;script&gt;alert(&#x27;d&#x27;)&lt;&#x2f;script&gt;"),
        "{}",
        mail.html
    );
    assert!(mail.html.contains("&lt;i&gt;now&lt;&#x2f;i&gt;"));
}

#[test]
fn optional_fields_may_be_absent() {
    let catalog = catalog("en");
    let notice = Takeover {
        city: None,
        country: Some("Portugal"),
        device_name: None,
        ..takeover(TakeoverAction::MfaIfConfigured)
    };
    let mail = compose_takeover(&catalog, &event(None), &notice).unwrap();
    assert!(
        mail.html.contains("203.0.113.7 (Portugal)</td>"),
        "{}",
        mail.html
    );
    assert!(!mail.html.contains("Device"));
    let notice = Takeover {
        city: None,
        country: None,
        ..notice
    };
    let mail = compose_takeover(&catalog, &event(None), &notice).unwrap();
    assert!(mail.html.contains("203.0.113.7</td>"), "{}", mail.html);
}

#[test]
fn stems_round_trip_and_notices_have_no_sms() {
    for notice in Notice::ALL {
        assert_eq!(Kind::from_stem(notice.stem()), Some(Kind::Notice(notice)));
        assert!(!notice.channels().contains(&Channel::Sms));
    }
    assert_eq!(
        Kind::from_stem("sign_up"),
        Some(Kind::Message(crate::Source::SignUp))
    );
}

#[test]
fn actions_parse_and_anything_else_is_unknown() {
    for (value, action) in [
        ("BLOCK", TakeoverAction::Block),
        ("NO_ACTION", TakeoverAction::NoAction),
        ("MFA", TakeoverAction::Mfa),
        ("MFA_IF_CONFIGURED", TakeoverAction::MfaIfConfigured),
        ("MFA_REQUIRED", TakeoverAction::MfaRequired),
        ("block", TakeoverAction::Unknown),
        ("", TakeoverAction::Unknown),
    ] {
        assert_eq!(TakeoverAction::parse(value), action, "{value}");
    }
}

#[test]
fn clip_cuts_long_values_and_removes_control_characters() {
    assert_eq!(clip("  Lisbon "), "Lisbon");
    assert!(matches!(clip("Lisbon"), Cow::Borrowed(_)));
    assert_eq!(clip("Fire\nfox\u{7}"), "Fire fox");
    let at_max = "a".repeat(FIELD_MAX);
    assert_eq!(clip(&at_max), at_max.as_str());
    let long = "é".repeat(FIELD_MAX + 1);
    let cut = clip(&long);
    assert_eq!(limits::length(&cut), FIELD_MAX);
    assert!(cut.ends_with('…'));
    // An emoji (two UTF-16 units) is never split.
    let emoji = "😀".repeat(FIELD_MAX);
    assert!(limits::length(&clip(&emoji)) <= FIELD_MAX);
}

#[test]
fn the_body_must_hold_both_links_escaped() {
    let takeover = Takeover {
        action: TakeoverAction::Block,
        user_name: "u",
        ip_address: "203.0.113.7",
        city: None,
        country: None,
        device_name: None,
        login_time: "t",
        valid_link: "https://x.example/v?a=1&b=2",
        invalid_link: "https://x.example/i",
    };
    let both =
        r#"<a href="https://x.example/v?a=1&amp;b=2">y</a><a href="https://x.example/i">n</a>"#;
    assert_eq!(check(Channel::Email, both, &takeover), Ok(()));
    let raw = r#"<a href="https://x.example/v?a=1&b=2">y</a><a href="https://x.example/i">n</a>"#;
    assert_eq!(
        check(Channel::Email, raw, &takeover),
        Err(Broken::MissingLink)
    );
    assert_eq!(
        check(Channel::Subject, "Alert", &takeover),
        Ok(()),
        "the subject needs no link"
    );
    assert_eq!(
        check(Channel::Subject, &"a".repeat(141), &takeover),
        Err(Broken::TooLong {
            length: 141,
            limit: 140
        })
    );
}
