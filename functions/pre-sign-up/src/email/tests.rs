use super::*;

#[test]
fn lowercases_the_domain_only() {
    let email = Email::parse("Alice.Smith+tag@Example.COM").unwrap();
    assert_eq!(email.to_string(), "Alice.Smith+tag@example.com");
    assert_eq!(email.domain(), "example.com");
    assert_eq!(email.local_part(), "Alice.Smith+tag");
}

#[test]
fn internationalised_domains_become_punycode() {
    assert_eq!(
        Email::parse("hans@Bücher.de").unwrap().domain(),
        "xn--bcher-kva.de"
    );
    // Already punycode: unchanged.
    assert_eq!(
        Email::parse("hans@xn--bcher-kva.de").unwrap().domain(),
        "xn--bcher-kva.de"
    );
    assert_eq!(
        Email::parse("hans@XN--BCHER-KVA.de")
            .unwrap()
            .to_unicode_string(),
        "hans@bücher.de"
    );
    // ASCII case is DNS's own, in either form.
    for raw in [
        "hans@BüCHER.de".to_owned(),
        "hans@bücher.DE".to_owned(),
        "hans@XN--BCHER-KVA.de".to_owned(),
        "hans@bücher.xn--p1ai".to_owned(),
    ] {
        assert!(Email::parse(&raw).is_ok(), "{raw}");
    }
    // A non-ASCII local part is kept, case and all.
    for local in ["jürgen", "JÜRGEN", "用户", "Δοκιμή"] {
        let raw = format!("{local}@example.de");
        assert_eq!(Email::parse(&raw).unwrap().local_part(), local);
    }
}

/// Issue #22's look-alikes: each is mapped by UTS #46 onto
/// `ceo@example.com` (or a canonical neighbour), so none may pass as it.
#[test]
fn refuses_look_alike_domains() {
    let kelvin_key = format!("ceo@{}ey.example", '\u{212A}');
    let encoded_zwsp = format!(
        "ceo@xn--{}.com",
        idna::punycode::encode_str("ex\u{200B}ample").unwrap()
    );
    let cases = [
        "ceo@ｅxample.com",          // full-width e, U+FF45
        "ceo@ｅｘａｍｐｌｅ.ｃｏｍ", // all full-width
        "ceo@exampⅼe.com",           // small roman numeral fifty, U+217C
        "ceo@example。com",          // ideographic full stop, U+3002
        "ceo@example．com",          // full-width full stop, U+FF0E
        "ceo@example｡com",           // half-width ideographic full stop, U+FF61
        "ceo@exa\u{AD}mple.com",     // soft hyphen
        "ceo@ex\u{200B}ample.com",   // zero-width space
        "ceo@ex\u{200C}ample.com",   // zero-width non-joiner
        "ceo@ex\u{200D}ample.com",   // zero-width joiner
        "ceo@ex\u{2060}ample.com",   // word joiner
        "ceo@ex\u{FEFF}ample.com",   // zero-width no-break space
        "ceo@ex\u{FE0F}ample.com",   // variation selector
        "ceo@example.com\u{AD}",     // invisible at the end
        "ceo@BÜCHER.example",        // non-ASCII uppercase
        "ceo@bu\u{308}cher.example", // decomposed ü (NFC maps it)
        &kelvin_key,                 // Kelvin sign, U+212A, maps to k
        &encoded_zwsp,               // an A-label hiding a ZWSP
    ];
    for raw in cases {
        let refused = Email::parse(raw).unwrap_err();
        assert!(
            matches!(
                refused,
                InvalidEmail::NonCanonicalDomain | InvalidEmail::InvalidDomain
            ),
            "{raw:?}: {refused:?}"
        );
    }
    // The characters UTS #46 maps (rather than refuses) are named as
    // such in the logs.
    for raw in [
        "ceo@ｅxample.com",
        "ceo@exampⅼe.com",
        "ceo@example。com",
        "ceo@exa\u{AD}mple.com",
        "ceo@ex\u{200B}ample.com",
        "ceo@BÜCHER.example",
    ] {
        assert_eq!(
            Email::parse(raw),
            Err(InvalidEmail::NonCanonicalDomain),
            "{raw:?}"
        );
    }
    assert_eq!(
        InvalidEmail::NonCanonicalDomain.reason(),
        "non_canonical_domain"
    );
    // Bidi controls are disallowed outright.
    for control in ['\u{202E}', '\u{200F}', '\u{2066}'] {
        let raw = format!("ceo@ex{control}ample.com");
        assert!(Email::parse(&raw).is_err(), "{raw:?}");
    }
}

#[test]
fn refuses_look_alike_local_parts() {
    for raw in [
        "c\u{AD}eo@example.com",   // soft hyphen
        "c\u{200B}eo@example.com", // zero-width space
        "c\u{200D}eo@example.com", // zero-width joiner
        "\u{202E}ceo@example.com", // right-to-left override
        "ceo\u{2066}@example.com", // left-to-right isolate
        "c\u{FE0F}eo@example.com", // variation selector
        "ｃeo@example.com",        // full-width c
        "\u{212A}ate@example.com", // Kelvin sign
        "ﬁnance@example.com",      // ligature fi
        "jo\u{308}rg@example.com", // decomposed ö
    ] {
        assert_eq!(
            Email::parse(raw),
            Err(InvalidEmail::NonCanonicalLocalPart),
            "{raw:?}"
        );
    }
    assert_eq!(
        InvalidEmail::NonCanonicalLocalPart.reason(),
        "non_canonical_local_part"
    );
}

#[test]
fn canonical_domain_compares_label_by_label() {
    assert!(is_canonical_domain(
        "Bücher.xn--p1ai",
        "xn--bcher-kva.xn--p1ai"
    ));
    assert!(is_canonical_domain("EXAMPLE.com", "example.com"));
    // A label more or fewer than the mapped form: a dot was folded in
    // or out.
    assert!(!is_canonical_domain("example。com", "example.com"));
    assert!(!is_canonical_domain("example.com.evil", "example.com"));
    assert!(!is_canonical_domain("example", "example.com"));
    // An A-label that does not decode.
    assert!(!is_canonical_domain("xn--a.com", "xn--a.com"));
}

#[test]
fn refuses_malformed_addresses() {
    let cases = [
        ("", InvalidEmail::NotLocalAtDomain),
        ("alice", InvalidEmail::NotLocalAtDomain),
        ("@example.com", InvalidEmail::NotLocalAtDomain),
        ("alice@", InvalidEmail::NotLocalAtDomain),
        ("a b@example.com", InvalidEmail::InvalidLocalPart),
        ("\"a@b\"@example.com", InvalidEmail::InvalidLocalPart),
        ("a@b@example.com", InvalidEmail::InvalidLocalPart),
        (".alice@example.com", InvalidEmail::InvalidLocalPart),
        ("alice.@example.com", InvalidEmail::InvalidLocalPart),
        ("al..ice@example.com", InvalidEmail::InvalidLocalPart),
        ("alice(comment)@example.com", InvalidEmail::InvalidLocalPart),
        ("a\\b@example.com", InvalidEmail::InvalidLocalPart),
        ("alice@[192.0.2.1]", InvalidEmail::IpLiteral),
        ("alice@192.0.2.1", InvalidEmail::NotQualified),
        ("alice@localhost", InvalidEmail::NotQualified),
        ("alice@example.com.", InvalidEmail::InvalidDomain),
        ("alice@exa_mple.com", InvalidEmail::InvalidDomain),
        ("alice@-example.com", InvalidEmail::InvalidDomain),
        ("alice@example..com", InvalidEmail::InvalidDomain),
        ("alice@exa mple.com", InvalidEmail::InvalidDomain),
    ];
    for (raw, expected) in cases {
        assert_eq!(Email::parse(raw), Err(expected), "{raw:?}");
    }
}

#[test]
fn refuses_oversized_input() {
    // A valid domain (195 bytes) that makes the whole address too long.
    let long_domain = format!(
        "{}@{}.com",
        "a".repeat(60),
        vec!["b".repeat(63); 3].join(".")
    );
    assert_eq!(Email::parse(&long_domain), Err(InvalidEmail::TooLong));
    assert_eq!(Email::parse(&"x".repeat(5000)), Err(InvalidEmail::TooLong));
}

/// A domain of exactly `bytes` bytes under `.com`, in labels of at most
/// 63.
fn domain_of(bytes: usize) -> String {
    // Each label takes its length and one dot; `com` the rest.
    let mut left = bytes - "com".len();
    let mut labels = Vec::new();
    while left > 64 {
        labels.push("d".repeat(63));
        left -= 64;
    }
    labels.push("e".repeat(left - 1));
    let domain = format!("{}.com", labels.join("."));
    assert_eq!(domain.len(), bytes);
    domain
}

#[test]
fn the_local_part_may_be_64_bytes_and_no_more() {
    for (bytes, accepted) in [(63, true), (64, true), (65, false)] {
        let raw = format!("{}@example.com", "l".repeat(bytes));
        assert_eq!(Email::parse(&raw).is_ok(), accepted, "{bytes} bytes");
    }
    assert_eq!(
        Email::parse(&format!("{}@example.com", "l".repeat(65))),
        Err(InvalidEmail::TooLong)
    );
    // Bytes, not characters: 32 two-byte letters are 64 bytes, 33 are 66.
    assert!(Email::parse(&format!("{}@example.com", "ü".repeat(32))).is_ok());
    assert_eq!(
        Email::parse(&format!("{}@example.com", "ü".repeat(33))),
        Err(InvalidEmail::TooLong)
    );
}

#[test]
fn the_address_may_be_254_bytes_and_no_more() {
    let local = "l".repeat(64);
    for (bytes, accepted) in [(253, true), (254, true), (255, false)] {
        let raw = format!("{local}@{}", domain_of(bytes - 65));
        assert_eq!(raw.len(), bytes);
        assert_eq!(
            Email::parse(&raw).map(|email| email.to_string()),
            if accepted {
                Ok(raw.clone())
            } else {
                Err(InvalidEmail::TooLong)
            },
            "{bytes} bytes"
        );
    }
    // The same limit with a short local part and a long domain.
    let raw = format!("l@{}", domain_of(252));
    assert_eq!(raw.len(), 254);
    assert!(Email::parse(&raw).is_ok());
    let raw = format!("lo@{}", domain_of(252));
    assert_eq!(Email::parse(&raw), Err(InvalidEmail::TooLong));
    // The domain counts in its ASCII form, as it is sent.
    let unicode = format!("{}@bücher.{}", "l".repeat(64), domain_of(170));
    let ascii_len = 64 + 1 + "xn--bcher-kva.".len() + 170;
    assert_eq!(ascii_len, 249);
    assert!(Email::parse(&unicode).is_ok());
}

#[test]
fn everyday_long_addresses_are_accepted() {
    for raw in [
        "firstname.lastname@example-company.com",
        "firstname.middlename.lastname+newsletters@subdivision.example-company.co.uk",
        "accounts-payable.department.emea@mail.international-holdings-group.example",
    ] {
        assert_eq!(Email::parse(raw).unwrap().to_string(), raw);
    }
}

/// Cognito keeps the attribute as sent, so an address is judged as sent:
/// white space around it, ASCII or not, is refused rather than trimmed.
#[test]
fn surrounding_white_space_is_refused_not_trimmed() {
    for raw in [
        " ceo@example.com",
        "ceo@example.com ",
        "ceo@example.com\n",
        "\tceo@example.com",
        "ceo@example.com\u{a0}",
        "\u{3000}ceo@example.com",
        "ceo@example.com\u{2028}",
        "ceo@example.com\u{85}",
    ] {
        assert_eq!(
            Email::parse(raw),
            Err(InvalidEmail::SurroundingWhitespace),
            "{raw:?}"
        );
    }
    assert!(Email::parse("ceo@example.com").is_ok());
}

#[test]
fn says_whether_the_domain_is_internationalised() {
    for (raw, international) in [
        ("ceo@example.com", false),
        ("ceo@ex\u{430}mple.com", true),
        ("ceo@xn--bcher-kva.example", true),
        ("ceo@mail.bücher.example", true),
        ("ceo@xn-x.example.com", false),
    ] {
        assert_eq!(
            Email::parse(raw).unwrap().has_internationalised_domain(),
            international,
            "{raw}"
        );
    }
}

#[test]
fn says_whether_the_local_part_is_ascii() {
    assert!(
        Email::parse("ceo@example.com")
            .unwrap()
            .has_ascii_local_part()
    );
    assert!(
        Email::parse("ceo@bücher.example")
            .unwrap()
            .has_ascii_local_part()
    );
    for raw in [
        "c\u{435}o@example.com",
        "\u{441}eo@example.com",
        "用户@example.cn",
    ] {
        assert!(!Email::parse(raw).unwrap().has_ascii_local_part(), "{raw}");
    }
}

/// The input cap comes before any parsing: exactly `MAX_INPUT_BYTES`
/// is parsed (and refused for what it is), one byte more is refused
/// as too long without a look at its content.
#[test]
fn the_input_cap_is_inclusive() {
    let at_cap = "x".repeat(MAX_INPUT_BYTES);
    assert_eq!(Email::parse(&at_cap), Err(InvalidEmail::NotLocalAtDomain));
    let over = "x".repeat(MAX_INPUT_BYTES + 1);
    assert_eq!(Email::parse(&over), Err(InvalidEmail::TooLong));
}

/// A stray `{:?}` shows the domain, never the local part.
#[test]
fn debug_hides_the_local_part() {
    let email = Email::parse("secret.person@Example.com").unwrap();
    let shown = format!("{email:?}");
    assert_eq!(shown, "Email(<redacted>@example.com)");
    assert!(!shown.contains("secret"));
}
