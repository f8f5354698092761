//! The sign-up policy: who may register, and what is confirmed without a
//! code. Pure: attributes in, a decision out.
//!
//! ## What counts as a verified email
//!
//! An email is only ever treated as proven when someone proved it: for a
//! `PreSignUp_ExternalProvider` sign-up, that is the identity provider, and
//! only when its (mapped) `email_verified` attribute says exactly `true`
//! ([`provider_verified_email`]). Facebook and Login with Amazon never send
//! it, SAML providers rarely do, and an OIDC provider may let its users set
//! their own email claim, so an absent or any other value is "not verified".
//! Such a sign-up may still be confirmed under `AUTO_CONFIRM`, but it does not
//! get `autoVerifyEmail`, and it is never linked to a native user (see
//! [`crate::federation`]).
//!
//! A self-service `PreSignUp_SignUp` confirmed under `AUTO_CONFIRM` does get
//! `autoVerifyEmail` when it has an email, although nobody proved it: that is
//! what auto-confirmation is for, and the README documents the risk.
//!
//! ## Admission by `ALLOWED_EMAIL_DOMAINS` needs a proven address
//!
//! The allow list admits people by the domain of an address they control.
//! A self-service sign-up proves that with the code Cognito sends before the
//! account can be used. A federated sign-up gets no code: Cognito creates
//! the user at once. So a `PreSignUp_ExternalProvider` sign-up is admitted
//! by the allow list only when the provider asserts the address verified
//! ([`provider_verified_email`]); otherwise anyone able to make a provider
//! carry an unverified `someone@allowed.example` (Login with Amazon never
//! sends `email_verified`, an OIDC provider may let users type their email)
//! would be admitted as a member of that domain. It is refused with
//! [`Refusal::UnverifiedFederatedEmail`]. Without an allow list there is no
//! admission by domain, and nothing changes; the block lists apply to every
//! address, asserted or not.
//!
//! ## What counts as a verified phone number
//!
//! Nobody proves a phone number at sign-up unless Cognito sends it a code.
//! `autoVerifyPhone` skips that code: the number becomes
//! `phone_number_verified`, so it can receive SMS MFA codes and account
//! recovery messages, serves as a sign-in alias where the pool allows
//! phone numbers, and (as for email) Cognito moves a verified alias away
//! from the user who held it, to whoever signed up with it last. Unlike an
//! email domain, no list of numbers can say whose they are. So it is
//! opt-in: `autoVerifyPhone` is set only with `AUTO_VERIFY_PHONE=true` (which
//! needs `AUTO_CONFIRM`), for a valid E.164 number, and, for a federated
//! sign-up, only when the provider asserts `phone_number_verified=true`.
//! Without it, a confirmed user's number stays unverified until the user
//! confirms it with a code.

use std::collections::BTreeMap;

use crate::config::{AutoConfirm, Config};
use crate::domains::DisposableDomains;
use crate::email::{Email, InvalidEmail};

/// The pre sign-up trigger sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `PreSignUp_SignUp`: self-service sign-up.
    SignUp,
    /// `PreSignUp_AdminCreateUser`: an administrator creates the user.
    AdminCreateUser,
    /// `PreSignUp_ExternalProvider`: first sign-in through an identity
    /// provider.
    ExternalProvider,
}

impl Source {
    /// The source for a `triggerSource`, or `None` for any other trigger.
    pub fn from_trigger(trigger_source: &str) -> Option<Source> {
        match trigger_source {
            "PreSignUp_SignUp" => Some(Source::SignUp),
            "PreSignUp_AdminCreateUser" => Some(Source::AdminCreateUser),
            "PreSignUp_ExternalProvider" => Some(Source::ExternalProvider),
            _ => None,
        }
    }
}

/// Why a sign-up is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// A `REQUIRED_ATTRIBUTES` entry is absent or blank.
    #[error("required attribute `{0}` is missing")]
    MissingAttribute(String),
    /// The email attribute is not an address.
    #[error("email is malformed: {0}")]
    InvalidEmail(InvalidEmail),
    /// `ALLOWED_EMAIL_DOMAINS` is set and there is no email to check.
    #[error("no email, but only listed domains may sign up")]
    EmailRequired,
    /// The domain is in `BLOCKED_EMAIL_DOMAINS`.
    #[error("email domain is blocked")]
    DomainBlocked,
    /// `ALLOWED_EMAIL_DOMAINS` is set and the domain is not in it.
    #[error("email domain is not in the allowed list")]
    DomainNotAllowed,
    /// The domain is on the disposable-mail list.
    #[error("email domain is a disposable-mail domain")]
    DisposableDomain,
    /// A federated sign-up whose domain `ALLOWED_EMAIL_DOMAINS` admits, but
    /// whose provider did not assert the address verified.
    #[error(
        "email domain is allowed, but the identity provider did not assert the address verified"
    )]
    UnverifiedFederatedEmail,
}

/// The three response flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags {
    /// `autoConfirmUser`.
    pub auto_confirm_user: bool,
    /// `autoVerifyEmail`.
    pub auto_verify_email: bool,
    /// `autoVerifyPhone`.
    pub auto_verify_phone: bool,
}

/// What the policy decided for an accepted sign-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The normalised email, when the user has a well-formed one.
    pub email: Option<Email>,
    /// The flags to return, or `None` to leave the response alone
    /// (`AdminCreateUser`, where Cognito ignores them).
    pub flags: Option<Flags>,
}

/// Applies the policy to one sign-up.
///
/// The order: required attributes, then the email's form, then the domain
/// rules (blocked before disposable before allowed, so a block always wins
/// over an allow), then the flags.
pub fn evaluate(
    config: &Config,
    disposable: Option<&DisposableDomains>,
    source: Source,
    attributes: &BTreeMap<String, String>,
) -> Result<Decision, Refusal> {
    let present = |name: &str| {
        attributes
            .get(name)
            .map(|value| value.trim())
            .filter(|value| !value.is_empty())
    };
    if let Some(missing) = config
        .required_attributes
        .iter()
        .find(|name| present(name).is_none())
    {
        return Err(Refusal::MissingAttribute(missing.clone()));
    }

    let domain_rules = source != Source::AdminCreateUser || config.rules_for_admin_create_user;
    let email = match present("email").map(Email::parse) {
        None => None,
        Some(Ok(email)) => Some(email),
        Some(Err(invalid)) if domain_rules => return Err(Refusal::InvalidEmail(invalid)),
        // An administrator's input, exempt from our rules: Cognito checks it.
        Some(Err(_)) => None,
    };
    if domain_rules {
        check_domain(config, disposable, email.as_ref())?;
        // Admission by the allow list rests on the address being the
        // user's; a federated user gets no code that would prove it.
        if source == Source::ExternalProvider
            && !config.allowed_domains.is_empty()
            && !provider_verified_email(attributes)
        {
            return Err(Refusal::UnverifiedFederatedEmail);
        }
    }

    let flags = (source != Source::AdminCreateUser).then(|| {
        let confirm = match &config.auto_confirm {
            AutoConfirm::None => false,
            AutoConfirm::All => true,
            AutoConfirm::Domains(domains) => email
                .as_ref()
                .is_some_and(|email| domains.matches(email.domain())),
        };
        // A federated email is verified only on the provider's word: an
        // auto-verified address nobody proved would count as the owner's
        // everywhere a verified email is trusted (sign-in aliases, linking,
        // the ID token's `email_verified`).
        let email_proven =
            source != Source::ExternalProvider || provider_verified_email(attributes);
        // A number is verified only on request (AUTO_VERIFY_PHONE), and a
        // federated one only on the provider's word as well.
        let phone_proven =
            source != Source::ExternalProvider || provider_verified_phone(attributes);
        Flags {
            auto_confirm_user: confirm,
            // Cognito fails the sign-up when asked to verify an attribute
            // the user does not have.
            auto_verify_email: confirm && email.is_some() && email_proven,
            auto_verify_phone: confirm
                && config.auto_verify_phone
                && phone_proven
                && present("phone_number").is_some_and(is_e164),
        }
    });
    Ok(Decision { email, flags })
}

/// Whether a federated sign-up's identity provider asserted that the email
/// is verified: its `email_verified` attribute is `true` (surrounding
/// whitespace and ASCII case ignored). Absent, empty, `false` and anything
/// else (`1`, `yes`) are not an assertion: many providers never send the
/// attribute, and some let users set their email claim themselves.
///
/// Consulted for `PreSignUp_ExternalProvider` only: on any other sign-up the
/// attribute, if present at all, would come from the user.
pub fn provider_verified_email(attributes: &BTreeMap<String, String>) -> bool {
    attributes
        .get("email_verified")
        .is_some_and(|verified| verified.trim().eq_ignore_ascii_case("true"))
}

/// Whether a federated sign-up's identity provider asserted that the phone
/// number is verified: its (mapped) `phone_number_verified` attribute is
/// `true`, read like [`provider_verified_email`].
pub fn provider_verified_phone(attributes: &BTreeMap<String, String>) -> bool {
    attributes
        .get("phone_number_verified")
        .is_some_and(|verified| verified.trim().eq_ignore_ascii_case("true"))
}

fn check_domain(
    config: &Config,
    disposable: Option<&DisposableDomains>,
    email: Option<&Email>,
) -> Result<(), Refusal> {
    let Some(email) = email else {
        // Nothing to block; but an allow list means "only these", which an
        // absent address cannot show.
        return if config.allowed_domains.is_empty() {
            Ok(())
        } else {
            Err(Refusal::EmailRequired)
        };
    };
    let domain = email.domain();
    if config.blocked_domains.matches(domain) {
        return Err(Refusal::DomainBlocked);
    }
    if disposable.is_some_and(|list| list.contains(domain)) {
        return Err(Refusal::DisposableDomain);
    }
    if !config.allowed_domains.is_empty() && !config.allowed_domains.matches(domain) {
        return Err(Refusal::DomainNotAllowed);
    }
    Ok(())
}

/// E.164 as Cognito wants `phone_number`: `+`, a non-zero digit, at most 15
/// digits in all, nothing else.
pub fn is_e164(phone: &str) -> bool {
    let Some(digits) = phone.strip_prefix('+') else {
        return false;
    };
    (2..=15).contains(&digits.len())
        && digits.bytes().all(|byte| byte.is_ascii_digit())
        && !digits.starts_with('0')
}

#[cfg(test)]
mod tests {
    use super::*;
    use cognito_auth_core::config::Env;

    fn config(pairs: &[(&str, &str)]) -> Config {
        Config::from_env(&Env::from_pairs(pairs.iter().copied())).unwrap()
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
            ("a@BÜCHER.de", Ok(())),
            ("a@xn--bcher-kva.de", Ok(())),
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
}
