//! Tests of the sign-up policy, one per rule of the module doc, apart so that
//! the policy reads on its own.

use super::*;

fn config(pairs: &[(&str, &str)]) -> Config {
    test_kit::config::<Config>(pairs).unwrap()
}

fn attributes(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn run(config: &Config, source: Source, pairs: &[(&str, &str)]) -> Result<Decision, Refusal> {
    let disposable = config.block_disposable.then(DisposableDomains::load);
    evaluate(config, disposable.as_ref(), source, &attributes(pairs))
}

#[test]
fn default_policy_accepts_and_confirms_nobody() {
    let decision = run(&config(&[]), Source::SignUp, &[("email", "a@example.com")]).unwrap();
    assert_eq!(decision.flags, Some(Flags::default()));
    assert_eq!(decision.email.unwrap().domain(), "example.com");
    // Nothing at all is fine too.
    assert!(run(&config(&[]), Source::SignUp, &[]).is_ok());
}

#[test]
fn required_attributes_must_be_non_blank() {
    let config = config(&[("REQUIRED_ATTRIBUTES", "given_name,custom:tenant")]);
    assert_eq!(
        run(
            &config,
            Source::SignUp,
            &[("given_name", "Ann"), ("custom:tenant", "  ")]
        ),
        Err(Refusal::MissingAttribute("custom:tenant".to_owned()))
    );
    assert_eq!(
        run(&config, Source::AdminCreateUser, &[]),
        Err(Refusal::MissingAttribute("given_name".to_owned()))
    );
    assert!(
        run(
            &config,
            Source::SignUp,
            &[("given_name", "Ann"), ("custom:tenant", "t1")]
        )
        .is_ok()
    );
}

#[test]
fn malformed_email_is_refused() {
    assert_eq!(
        run(&config(&[]), Source::SignUp, &[("email", "not-an-address")]),
        Err(Refusal::InvalidEmail(InvalidEmail::NotLocalAtDomain))
    );
}

#[test]
fn domain_rules() {
    let config = config(&[
        (
            "ALLOWED_EMAIL_DOMAINS",
            "example.com,*.example.com,bücher.de",
        ),
        ("BLOCKED_EMAIL_DOMAINS", "old.example.com"),
    ]);
    for (address, expected) in [
        ("a@example.com", Ok(())),
        ("a@Mail.Example.com", Ok(())),
        ("a@Bücher.DE", Ok(())),
        ("a@xn--bcher-kva.de", Ok(())),
        // Non-ASCII uppercase is not canonical (see `email`).
        (
            "a@BÜCHER.de",
            Err(Refusal::InvalidEmail(InvalidEmail::NonCanonicalDomain)),
        ),
        ("a@old.example.com", Err(Refusal::DomainBlocked)),
        ("a@example.org", Err(Refusal::DomainNotAllowed)),
        ("a@notexample.com", Err(Refusal::DomainNotAllowed)),
    ] {
        let result = run(&config, Source::SignUp, &[("email", address)]).map(|_| ());
        assert_eq!(result, expected, "{address}");
    }
    assert_eq!(
        run(&config, Source::SignUp, &[("phone_number", "+15555550100")]),
        Err(Refusal::EmailRequired)
    );
}

#[test]
fn blocked_list_alone_lets_an_absent_email_through() {
    let config = config(&[("BLOCKED_EMAIL_DOMAINS", "spam.example")]);
    assert!(run(&config, Source::SignUp, &[]).is_ok());
    assert_eq!(
        run(&config, Source::SignUp, &[("email", "x@SPAM.example")]),
        Err(Refusal::DomainBlocked)
    );
}

#[test]
fn disposable_domains_and_their_subdomains_are_refused_when_enabled() {
    let on = config(&[("BLOCK_DISPOSABLE_EMAILS", "true")]);
    let off = config(&[]);
    for address in ["x@mailinator.com", "x@sub.Mailinator.com"] {
        assert_eq!(
            run(&on, Source::SignUp, &[("email", address)]),
            Err(Refusal::DisposableDomain)
        );
        assert!(run(&off, Source::SignUp, &[("email", address)]).is_ok());
    }
    assert!(run(&on, Source::SignUp, &[("email", "x@gmail.com")]).is_ok());
}

#[test]
fn admin_create_user_sets_no_flags_and_its_domain_rules_are_configurable() {
    let strict = config(&[
        ("ALLOWED_EMAIL_DOMAINS", "example.com"),
        ("AUTO_CONFIRM", "all"),
    ]);
    let exempt = config(&[
        ("ALLOWED_EMAIL_DOMAINS", "example.com"),
        ("AUTO_CONFIRM", "all"),
        ("APPLY_DOMAIN_RULES_TO_ADMIN_CREATE_USER", "false"),
    ]);
    let ok = run(
        &strict,
        Source::AdminCreateUser,
        &[("email", "a@example.com")],
    )
    .unwrap();
    assert_eq!(ok.flags, None);
    assert_eq!(
        run(
            &strict,
            Source::AdminCreateUser,
            &[("email", "a@example.org")]
        ),
        Err(Refusal::DomainNotAllowed)
    );
    let exempted = run(
        &exempt,
        Source::AdminCreateUser,
        &[("email", "a@example.org")],
    )
    .unwrap();
    assert_eq!(exempted.flags, None);
    assert!(run(&exempt, Source::AdminCreateUser, &[("email", "bad")]).is_ok());
    // The exemption is for AdminCreateUser only.
    assert_eq!(
        run(&exempt, Source::SignUp, &[("email", "a@example.org")]),
        Err(Refusal::DomainNotAllowed)
    );
}

#[test]
fn auto_confirm_all_verifies_only_what_is_present_and_valid() {
    let config = config(&[("AUTO_CONFIRM", "all"), ("AUTO_VERIFY_PHONE", "true")]);
    let flags =
        |pairs: &[(&str, &str)]| run(&config, Source::SignUp, pairs).unwrap().flags.unwrap();
    assert_eq!(
        flags(&[
            ("email", "a@example.com"),
            ("phone_number", "+447700900123")
        ]),
        Flags {
            auto_confirm_user: true,
            auto_verify_email: true,
            auto_verify_phone: true
        }
    );
    assert_eq!(
        flags(&[("phone_number", "+447700900123")]),
        Flags {
            auto_confirm_user: true,
            auto_verify_email: false,
            auto_verify_phone: true
        }
    );
    assert_eq!(
        flags(&[("email", "a@example.com"), ("phone_number", "07700 900123")]),
        Flags {
            auto_confirm_user: true,
            auto_verify_email: true,
            auto_verify_phone: false
        }
    );
}

#[test]
fn phone_numbers_are_verified_only_on_request() {
    let phone = ("phone_number", "+447700900123");
    let email = ("email", "a@example.com");
    // AUTO_CONFIRM alone confirms and verifies the email, never the
    // number: nobody proved it.
    for auto_confirm in [
        vec![("AUTO_CONFIRM", "all")],
        vec![
            ("AUTO_CONFIRM", "domains"),
            ("AUTO_CONFIRM_EMAIL_DOMAINS", "example.com"),
        ],
    ] {
        let flags = run(&config(&auto_confirm), Source::SignUp, &[email, phone])
            .unwrap()
            .flags
            .unwrap();
        assert_eq!(
            flags,
            Flags {
                auto_confirm_user: true,
                auto_verify_email: true,
                auto_verify_phone: false
            },
            "{auto_confirm:?}"
        );
    }
    // Opted in: self-service numbers are verified; federated ones only
    // on the provider's word.
    let opted_in = config(&[("AUTO_CONFIRM", "all"), ("AUTO_VERIFY_PHONE", "true")]);
    let phone_flag = |source: Source, pairs: &[(&str, &str)]| {
        run(&opted_in, source, pairs)
            .unwrap()
            .flags
            .unwrap()
            .auto_verify_phone
    };
    assert!(phone_flag(Source::SignUp, &[email, phone]));
    assert!(!phone_flag(Source::ExternalProvider, &[email, phone]));
    assert!(!phone_flag(
        Source::ExternalProvider,
        &[email, phone, ("phone_number_verified", "false")]
    ));
    assert!(phone_flag(
        Source::ExternalProvider,
        &[email, phone, ("phone_number_verified", " TRUE ")]
    ));
    // A user-supplied attribute on a self-service sign-up proves nothing
    // and is not needed either.
    assert!(phone_flag(
        Source::SignUp,
        &[email, phone, ("phone_number_verified", "false")]
    ));
}

#[test]
fn the_allow_list_admits_a_federated_sign_up_only_with_a_verified_email() {
    let config = config(&[("ALLOWED_EMAIL_DOMAINS", "example.com")]);
    let email = ("email", "a@example.com");
    for unverified in [
        vec![email],
        vec![email, ("email_verified", "false")],
        vec![email, ("email_verified", "")],
        vec![email, ("email_verified", "1")],
    ] {
        assert_eq!(
            run(&config, Source::ExternalProvider, &unverified),
            Err(Refusal::UnverifiedFederatedEmail),
            "{unverified:?}"
        );
    }
    assert!(
        run(
            &config,
            Source::ExternalProvider,
            &[email, ("email_verified", "True")]
        )
        .is_ok()
    );
    // A domain outside the list is refused as before, asserted or not.
    assert_eq!(
        run(
            &config,
            Source::ExternalProvider,
            &[("email", "a@example.org"), ("email_verified", "true")]
        ),
        Err(Refusal::DomainNotAllowed)
    );
    // Self-service sign-ups prove the address with Cognito's code.
    assert!(run(&config, Source::SignUp, &[email]).is_ok());
    // Without an allow list, nobody is admitted by domain: unchanged.
    assert!(run(&self::config(&[]), Source::ExternalProvider, &[email]).is_ok());
    let blocked_only = self::config(&[("BLOCKED_EMAIL_DOMAINS", "spam.example")]);
    assert!(run(&blocked_only, Source::ExternalProvider, &[email]).is_ok());
    assert_eq!(
        run(
            &blocked_only,
            Source::ExternalProvider,
            &[("email", "a@spam.example"), ("email_verified", "true")]
        ),
        Err(Refusal::DomainBlocked)
    );
}

#[test]
fn auto_confirm_domains_confirms_listed_domains_only() {
    let config = config(&[
        ("AUTO_CONFIRM", "domains"),
        ("AUTO_CONFIRM_EMAIL_DOMAINS", "*.corp.example"),
    ]);
    let confirmed = run(&config, Source::SignUp, &[("email", "a@eu.corp.example")]).unwrap();
    assert_eq!(
        confirmed.flags,
        Some(Flags {
            auto_confirm_user: true,
            auto_verify_email: true,
            auto_verify_phone: false
        })
    );
    let other = run(
        &config,
        Source::ExternalProvider,
        &[("email", "a@corp.example")],
    )
    .unwrap();
    assert_eq!(other.flags, Some(Flags::default()));
    let none = run(&config, Source::SignUp, &[]).unwrap();
    assert_eq!(none.flags, Some(Flags::default()));
}

#[test]
fn only_a_plain_true_is_a_verified_email() {
    for verified in ["true", "TRUE", "True", "  true\t"] {
        assert!(
            provider_verified_email(&attributes(&[("email_verified", verified)])),
            "{verified:?}"
        );
    }
    for unverified in ["false", "", "  ", "1", "yes", "verified", "truee", "t rue"] {
        assert!(
            !provider_verified_email(&attributes(&[("email_verified", unverified)])),
            "{unverified:?}"
        );
    }
    assert!(!provider_verified_email(&attributes(&[(
        "email",
        "a@example.com"
    )])));
}

#[test]
fn federated_emails_are_auto_verified_only_on_the_providers_word() {
    let confirmed = |email: bool, phone: bool| Flags {
        auto_confirm_user: true,
        auto_verify_email: email,
        auto_verify_phone: phone,
    };
    for config in [
        config(&[("AUTO_CONFIRM", "all")]),
        config(&[
            ("AUTO_CONFIRM", "domains"),
            ("AUTO_CONFIRM_EMAIL_DOMAINS", "example.com"),
        ]),
    ] {
        let flags = |source: Source, pairs: &[(&str, &str)]| {
            run(&config, source, pairs).unwrap().flags.unwrap()
        };
        let email = ("email", "a@example.com");
        // Facebook, Login with Amazon, most SAML: no attribute at all.
        assert_eq!(
            flags(Source::ExternalProvider, &[email]),
            confirmed(false, false)
        );
        for unverified in ["false", "", "1", "yes"] {
            assert_eq!(
                flags(
                    Source::ExternalProvider,
                    &[email, ("email_verified", unverified)]
                ),
                confirmed(false, false),
                "{unverified:?}"
            );
        }
        for verified in ["true", " True "] {
            assert_eq!(
                flags(
                    Source::ExternalProvider,
                    &[email, ("email_verified", verified)]
                ),
                confirmed(true, false),
                "{verified:?}"
            );
        }
        // Self-service sign-ups are unchanged: confirmed users with an
        // email get it verified, and a user-supplied attribute is not
        // consulted either way.
        assert_eq!(flags(Source::SignUp, &[email]), confirmed(true, false));
        assert_eq!(
            flags(Source::SignUp, &[email, ("email_verified", "false")]),
            confirmed(true, false)
        );
    }
    // Without auto-confirmation, nothing is verified, asserted or not.
    assert_eq!(
        run(
            &config(&[]),
            Source::ExternalProvider,
            &[("email", "a@example.com"), ("email_verified", "true")]
        )
        .unwrap()
        .flags,
        Some(Flags::default())
    );
}

#[test]
fn e164() {
    for good in ["+15555550100", "+447700900123", "+12", "+123456789012345"] {
        assert!(is_e164(good), "{good}");
    }
    for bad in [
        "15555550100",
        "+",
        "+1",
        "+0123456",
        "+1234567890123456",
        "+1 555 555",
        "+1-555",
        "+１２３",
    ] {
        assert!(!is_e164(bad), "{bad}");
    }
}

/// `Source::from_trigger` maps each pre sign-up source, the admin one
/// included: without it an admin-created user would pass through untouched,
/// past the domain rules.
#[test]
fn each_pre_sign_up_trigger_source_is_recognised() {
    assert_eq!(
        Source::from_trigger("PreSignUp_SignUp"),
        Some(Source::SignUp)
    );
    assert_eq!(
        Source::from_trigger("PreSignUp_AdminCreateUser"),
        Some(Source::AdminCreateUser)
    );
    assert_eq!(
        Source::from_trigger("PreSignUp_ExternalProvider"),
        Some(Source::ExternalProvider)
    );
    for other in [
        "PostConfirmation_ConfirmSignUp",
        "presignup_admincreateuser",
        "PreSignUp_",
        "",
    ] {
        assert_eq!(Source::from_trigger(other), None, "{other:?}");
    }
}

/// Issue #22: with the domain both allowed and auto-confirmed, each
/// look-alike of `ceo@example.com` was confirmed and verified. Now each is
/// refused, whatever the source.
#[test]
fn look_alike_addresses_are_refused_not_confirmed() {
    let config = config(&[
        ("ALLOWED_EMAIL_DOMAINS", "example.com"),
        ("AUTO_CONFIRM", "domains"),
        ("AUTO_CONFIRM_EMAIL_DOMAINS", "example.com"),
    ]);
    for (email, problem) in [
        ("ceo@ｅxample.com", InvalidEmail::NonCanonicalDomain),
        ("ceo@exampⅼe.com", InvalidEmail::NonCanonicalDomain),
        ("ceo@example。com", InvalidEmail::NonCanonicalDomain),
        ("ceo@exa\u{AD}mple.com", InvalidEmail::NonCanonicalDomain),
        ("ceo@ex\u{200B}ample.com", InvalidEmail::NonCanonicalDomain),
        ("c\u{AD}eo@example.com", InvalidEmail::NonCanonicalLocalPart),
    ] {
        for source in [
            Source::SignUp,
            Source::AdminCreateUser,
            Source::ExternalProvider,
        ] {
            assert_eq!(
                run(
                    &config,
                    source,
                    &[("email", email), ("email_verified", "true")]
                ),
                Err(Refusal::InvalidEmail(problem)),
                "{email:?} {source:?}"
            );
        }
    }
    // The real domain, and an internationalised one in both forms.
    let idn = self::config(&[
        ("ALLOWED_EMAIL_DOMAINS", "example.com,bücher.example"),
        ("AUTO_CONFIRM", "domains"),
        (
            "AUTO_CONFIRM_EMAIL_DOMAINS",
            "example.com,xn--bcher-kva.example",
        ),
    ]);
    for email in [
        "ceo@example.com",
        "ceo@EXAMPLE.com",
        "hans@bücher.example",
        "hans@xn--bcher-kva.example",
    ] {
        let decision = run(&idn, Source::SignUp, &[("email", email)]).unwrap();
        assert_eq!(
            decision.flags,
            Some(Flags {
                auto_confirm_user: true,
                auto_verify_email: true,
                auto_verify_phone: false
            }),
            "{email}"
        );
    }
}

/// A local part in another script (`cеo`, with a Cyrillic `е`) is canonical
/// and may be a real mailbox, but it can pass for an existing user's: the
/// domain alone never confirms it, and nothing verifies it without a code.
#[test]
fn a_non_ascii_local_part_is_never_confirmed_or_verified_without_a_code() {
    let by_domain = config(&[
        ("ALLOWED_EMAIL_DOMAINS", "example.com"),
        ("AUTO_CONFIRM", "domains"),
        ("AUTO_CONFIRM_EMAIL_DOMAINS", "example.com"),
    ]);
    let everybody = config(&[("AUTO_CONFIRM", "all")]);
    for email in ["c\u{435}o@example.com", "用户@example.com"] {
        let decision = run(&by_domain, Source::SignUp, &[("email", email)]).unwrap();
        assert_eq!(
            decision.flags,
            Some(Flags {
                auto_confirm_user: false,
                auto_verify_email: false,
                auto_verify_phone: false
            }),
            "{email}"
        );
        let decision = run(&everybody, Source::SignUp, &[("email", email)]).unwrap();
        assert_eq!(
            decision.flags,
            Some(Flags {
                auto_confirm_user: true,
                auto_verify_email: false,
                auto_verify_phone: false
            }),
            "{email}"
        );
        // Nor on a provider's word.
        let decision = run(
            &everybody,
            Source::ExternalProvider,
            &[("email", email), ("email_verified", "true")],
        )
        .unwrap();
        assert_eq!(
            decision.flags.map(|flags| flags.auto_verify_email),
            Some(false)
        );
    }
    // The same addresses in ASCII are confirmed and verified.
    let decision = run(&by_domain, Source::SignUp, &[("email", "ceo@example.com")]).unwrap();
    assert_eq!(
        decision
            .flags
            .map(|flags| (flags.auto_confirm_user, flags.auto_verify_email)),
        Some((true, true))
    );
}

/// The address is judged as Cognito keeps it: surrounding white space is a
/// refusal, not something trimmed away before the rules.
#[test]
fn an_address_with_surrounding_white_space_is_refused() {
    let config = config(&[("ALLOWED_EMAIL_DOMAINS", "example.com")]);
    for email in [
        "ceo@example.com ",
        "ceo@example.com\u{a0}",
        "\u{3000}ceo@example.com",
    ] {
        assert_eq!(
            run(&config, Source::SignUp, &[("email", email)]),
            Err(Refusal::InvalidEmail(InvalidEmail::SurroundingWhitespace)),
            "{email:?}"
        );
    }
}

/// A domain in another script that looks Latin (`exаmple.com`, Cyrillic
/// `а`) is a different domain: it matches no list, and even with
/// `AUTO_CONFIRM=all` its address is confirmed but never verified without a
/// code. An internationalised domain the operator listed is verified.
#[test]
fn an_unlisted_internationalised_domain_is_never_verified_without_a_code() {
    let everybody = config(&[("AUTO_CONFIRM", "all")]);
    for (source, pairs) in [
        (Source::SignUp, &[("email", "ceo@ex\u{430}mple.com")][..]),
        (
            Source::ExternalProvider,
            &[
                ("email", "ceo@ex\u{430}mple.com"),
                ("email_verified", "true"),
            ][..],
        ),
    ] {
        let flags = run(&everybody, source, pairs).unwrap().flags.unwrap();
        assert!(
            flags.auto_confirm_user && !flags.auto_verify_email,
            "{source:?}"
        );
    }
    let plain = run(&everybody, Source::SignUp, &[("email", "ceo@example.com")]).unwrap();
    assert_eq!(plain.flags.map(|flags| flags.auto_verify_email), Some(true));

    let listed = config(&[
        ("AUTO_CONFIRM", "domains"),
        ("AUTO_CONFIRM_EMAIL_DOMAINS", "bücher.example"),
    ]);
    let flags = run(&listed, Source::SignUp, &[("email", "hans@bücher.example")])
        .unwrap()
        .flags
        .unwrap();
    assert!(flags.auto_confirm_user && flags.auto_verify_email);
    let flags = run(
        &listed,
        Source::SignUp,
        &[("email", "hans@ex\u{430}mple.com")],
    )
    .unwrap()
    .flags
    .unwrap();
    assert!(!flags.auto_confirm_user && !flags.auto_verify_email);
}
