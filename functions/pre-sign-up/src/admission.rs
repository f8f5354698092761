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
//! what auto-confirmation is for, and docs/configuration.md documents the risk.
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
    // The address as Cognito will keep it, untrimmed: `Email::parse`
    // refuses surrounding white space rather than judging a trimmed copy.
    let email = match attributes
        .get("email")
        .filter(|value| !value.trim().is_empty())
        .map(|value| Email::parse(value))
    {
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
        // Whether the operator listed the address's domain for automatic
        // confirmation: then the operator vouches for that domain, even an
        // internationalised one.
        let listed = |email: &Email| match &config.auto_confirm {
            AutoConfirm::Domains(domains) => domains.matches(email.domain()),
            AutoConfirm::None | AutoConfirm::All => false,
        };
        let confirm = match &config.auto_confirm {
            AutoConfirm::None => false,
            AutoConfirm::All => true,
            // The domain vouches for the address only when its local part
            // cannot pass for another one (`cеo@` with a Cyrillic `е`).
            AutoConfirm::Domains(_) => email
                .as_ref()
                .is_some_and(|email| listed(email) && email.has_ascii_local_part()),
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
            // Text that may be built to look like another address is never
            // verified without its code, even with AUTO_CONFIRM=all: a
            // non-ASCII local part, or an internationalised domain that no
            // operator listed (`exаmple.com` with a Cyrillic `а`).
            auto_verify_email: confirm
                && email.as_ref().is_some_and(|email| {
                    email_proven
                        && email.has_ascii_local_part()
                        && (listed(email) || !email.has_internationalised_domain())
                }),
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
mod tests;
