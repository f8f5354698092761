//! The function's configuration, read from the environment once at init.
//! Every value is checked here, so a typo fails the cold start with a message
//! naming the variable instead of refusing (or letting through) sign-ups.

use cognito_auth_core::aws::{self, AwsLimits};
use cognito_auth_core::config::{
    Choice, ConfigError, Declarations, Env, Flag, FromEnv, List, choices, declare,
};
use cognito_auth_core::metrics::Namespace;

use crate::domains::DomainList;
use crate::federation::{ProviderDomains, ProviderNames};

declare! {
    /// Only these domains may sign up. `*.d` matches subdomains at any depth, not `d` itself. A
    /// federated sign-up (no code is sent to it) is admitted by this list only when its provider
    /// asserts `email_verified=true`.
    pub ALLOWED_EMAIL_DOMAINS: List = List, unset "any domain",
        example "`example.com,*.example.com`";
    /// These domains are refused; a block wins over an allow.
    pub BLOCKED_EMAIL_DOMAINS: List = List, example "`spam.example,*.spam.example`";
    /// Refuses throw-away mail domains (and their subdomains) from
    /// `functions/pre-sign-up/data/disposable-domains.txt`, which says where it comes from and how
    /// to update it.
    pub BLOCK_DISPOSABLE_EMAILS: Flag = Flag { default: false }, example "`true`";
    /// Which sign-ups are confirmed automatically (any casing). Confirmed users also get
    /// `autoVerifyEmail` when an email is present (for a federated sign-in, only when the provider
    /// says `email_verified=true`).
    pub AUTO_CONFIRM: Choice<AutoConfirmMode> = Choice::any_case(AutoConfirmMode::None),
        example "`all`, `domains`";
    /// Required with `AUTO_CONFIRM=domains`; an error with any other mode.
    pub AUTO_CONFIRM_EMAIL_DOMAINS: List = List, example "`corp.example`";
    // Why opt-in: `crate::admission`, "What counts as a verified phone number".
    /// Also sets `autoVerifyPhone` for auto-confirmed users with a valid E.164 `phone_number` (for
    /// a federated sign-in, only when the provider asserts `phone_number_verified=true`): a number
    /// nobody proved by a code, so opt-in, and an error with `AUTO_CONFIRM=none`.
    pub AUTO_VERIFY_PHONE: Flag = Flag { default: false }, example "`true`",
        defaulted "off: a number nobody proved is never verified unless a deployment opts in";
    /// Attributes that must be present and non-blank.
    pub REQUIRED_ATTRIBUTES: List = List, example "`given_name,custom:tenant`";
    /// `false` exempts `PreSignUp_AdminCreateUser` from the email and domain rules.
    pub APPLY_DOMAIN_RULES_TO_ADMIN_CREATE_USER: Flag = Flag { default: true }, example "`false`",
        defaulted "on: admins follow the rules too";
    /// Links a first federated sign-in to the native user with the same verified email
    /// (`ListUsers` + `AdminLinkProviderForUser`, pool id from the event), only when the
    /// provider asserts `email_verified=true` and is bound to the email's domain in
    /// `LINK_PROVIDER_DOMAINS`. Requires `AUTO_CONFIRM=none`.
    pub LINK_FEDERATED_USERS: Flag = Flag { default: false }, example "`true`";
    /// Your SAML/OIDC provider names exactly as in the pool (Google, Facebook, SignInWithApple and
    /// LoginWithAmazon are built in).
    pub LINK_PROVIDER_NAMES: List = List, example "`CorpSAML,Okta`",
        defaulted "only for SAML/OIDC providers added by hand";
    /// Required with `LINK_FEDERATED_USERS=true`, an error without it: `Provider=domain` pairs
    /// (`*.d` for subdomains; a provider may appear in several) naming the email domains each
    /// provider is authoritative for. A sign-in is linked only when its provider is bound to its
    /// email's domain: never bind a multi-tenant provider, or one whose users set their own email,
    /// to a domain it does not own.
    pub LINK_PROVIDER_DOMAINS: List = List,
        example "`Google=gmail.com,CorpSAML=corp.example,CorpSAML=*.corp.example`";
}

/// Everything pre-sign-up reads: its own variables and those of every
/// function.
pub const VARIABLES: Declarations = &[
    &[
        &ALLOWED_EMAIL_DOMAINS,
        &BLOCKED_EMAIL_DOMAINS,
        &BLOCK_DISPOSABLE_EMAILS,
        &AUTO_CONFIRM,
        &AUTO_VERIFY_PHONE,
        &AUTO_CONFIRM_EMAIL_DOMAINS,
        &REQUIRED_ATTRIBUTES,
        &APPLY_DOMAIN_RULES_TO_ADMIN_CREATE_USER,
        &LINK_FEDERATED_USERS,
        &LINK_PROVIDER_NAMES,
        &LINK_PROVIDER_DOMAINS,
    ],
    aws::VARIABLES,
    cognito_auth_core::init::EVERY_FUNCTION,
];

/// Cognito's limit on an attribute name (`custom:` included).
const MAX_ATTRIBUTE_NAME_CHARS: usize = 32;

choices! {
    /// `AUTO_CONFIRM`: which new users are confirmed without a code.
    pub enum AutoConfirmMode {
        /// Nobody.
        None = "none",
        /// Everybody.
        All = "all",
        /// Users whose email domain is in `AUTO_CONFIRM_EMAIL_DOMAINS`.
        Domains = "domains",
    }
}

/// Which new users are confirmed without a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AutoConfirm {
    /// Nobody: Cognito's usual confirmation flow.
    None,
    /// Everybody.
    All,
    /// Users whose email domain matches the list.
    Domains(DomainList),
}

/// Everything the function reads from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `ALLOWED_EMAIL_DOMAINS`.
    pub allowed_domains: DomainList,
    /// `BLOCKED_EMAIL_DOMAINS`.
    pub blocked_domains: DomainList,
    /// `BLOCK_DISPOSABLE_EMAILS`.
    pub block_disposable: bool,
    /// `AUTO_CONFIRM` with `AUTO_CONFIRM_EMAIL_DOMAINS`.
    pub auto_confirm: AutoConfirm,
    /// `AUTO_VERIFY_PHONE`: whether auto-confirmed users also get their
    /// phone number verified. Off by default.
    pub auto_verify_phone: bool,
    /// `REQUIRED_ATTRIBUTES`.
    pub required_attributes: Vec<String>,
    /// `APPLY_DOMAIN_RULES_TO_ADMIN_CREATE_USER`.
    pub rules_for_admin_create_user: bool,
    /// `LINK_FEDERATED_USERS`.
    pub link_federated_users: bool,
    /// The built-in providers plus `LINK_PROVIDER_NAMES`.
    pub providers: ProviderNames,
    /// `LINK_PROVIDER_DOMAINS`: the domains each provider may be linked
    /// for. Never empty when linking is on.
    pub provider_domains: ProviderDomains,
    /// Timeouts and retries of the linker's calls (the shared
    /// `AWS_CALL_TIMEOUT_MS`, `AWS_ATTEMPT_TIMEOUT_MS`, `AWS_MAX_ATTEMPTS`).
    pub aws: AwsLimits,
    /// `METRICS_NAMESPACE`: the CloudWatch namespace of the metrics.
    pub metrics_namespace: Namespace,
}

impl FromEnv for Config {
    const VARIABLES: Declarations = VARIABLES;

    /// Reads and checks every variable.
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let auto_confirm_domains = DomainList::from_env(env, AUTO_CONFIRM_EMAIL_DOMAINS)?;
        let auto_confirm = match env.get(&AUTO_CONFIRM)? {
            AutoConfirmMode::None => AutoConfirm::None,
            AutoConfirmMode::All => AutoConfirm::All,
            AutoConfirmMode::Domains => AutoConfirm::Domains(auto_confirm_domains.clone()),
        };
        match &auto_confirm {
            AutoConfirm::Domains(domains) if domains.is_empty() => {
                return Err(ConfigError::new(
                    AUTO_CONFIRM_EMAIL_DOMAINS,
                    "is required when AUTO_CONFIRM is `domains`",
                ));
            }
            AutoConfirm::None | AutoConfirm::All if !auto_confirm_domains.is_empty() => {
                // Most likely a forgotten AUTO_CONFIRM=domains: say so rather
                // than silently confirm nobody (or everybody).
                return Err(ConfigError::new(
                    AUTO_CONFIRM_EMAIL_DOMAINS,
                    "is set but AUTO_CONFIRM is not `domains`",
                ));
            }
            _ => {}
        }

        let auto_verify_phone = env.get(&AUTO_VERIFY_PHONE)?;
        if auto_verify_phone && auto_confirm == AutoConfirm::None {
            // Only confirmed users get anything verified: the flag would do
            // nothing, and whoever set it expects it to.
            return Err(ConfigError::new(
                AUTO_VERIFY_PHONE,
                "is `true` but AUTO_CONFIRM is `none`: only auto-confirmed users get a number verified",
            ));
        }

        let link_federated_users = env.get(&LINK_FEDERATED_USERS)?;
        let providers = ProviderNames::from_env(env, LINK_PROVIDER_NAMES)?;
        if !link_federated_users && env.is_set(&LINK_PROVIDER_NAMES)? {
            return Err(ConfigError::new(
                LINK_PROVIDER_NAMES,
                "is set but LINK_FEDERATED_USERS is not `true`",
            ));
        }
        if link_federated_users && auto_confirm != AutoConfirm::None {
            // Linking trusts a native user's verified email, and
            // auto-confirmation verifies emails nobody proved: whoever signs
            // up first with someone else's address would receive that
            // person's federated sign-ins. A refusal, not a warning: the
            // warning is easy to miss and the hijack is silent.
            return Err(ConfigError::new(
                LINK_FEDERATED_USERS,
                "cannot be combined with AUTO_CONFIRM: an auto-confirmed sign-up would receive \
                 the verified email's owner's federated sign-ins (account pre-hijacking)",
            ));
        }

        let provider_domains = ProviderDomains::from_env(env, LINK_PROVIDER_DOMAINS, &providers)?;
        if link_federated_users && provider_domains.is_empty() {
            // Required rather than defaulting to "every provider, every
            // domain": a multi-tenant provider, or one whose users set their
            // own email, would otherwise hand native accounts to whoever
            // claims their address there.
            return Err(ConfigError::new(
                LINK_PROVIDER_DOMAINS,
                "is required when LINK_FEDERATED_USERS is `true`: bind each identity provider to \
                 the email domains it is authoritative for (for example `Google=gmail.com`)",
            ));
        }
        if !link_federated_users && env.is_set(&LINK_PROVIDER_DOMAINS)? {
            return Err(ConfigError::new(
                LINK_PROVIDER_DOMAINS,
                "is set but LINK_FEDERATED_USERS is not `true`",
            ));
        }

        Ok(Config {
            allowed_domains: DomainList::from_env(env, ALLOWED_EMAIL_DOMAINS)?,
            blocked_domains: DomainList::from_env(env, BLOCKED_EMAIL_DOMAINS)?,
            block_disposable: env.get(&BLOCK_DISPOSABLE_EMAILS)?,
            auto_confirm,
            auto_verify_phone,
            required_attributes: required_attributes(env)?,
            rules_for_admin_create_user: env.get(&APPLY_DOMAIN_RULES_TO_ADMIN_CREATE_USER)?,
            link_federated_users,
            providers,
            provider_domains,
            aws: AwsLimits::from_env(env)?,
            metrics_namespace: Namespace::from_env(env)?,
        })
    }
}

fn required_attributes(env: &Env) -> Result<Vec<String>, ConfigError> {
    let names = env.get(&REQUIRED_ATTRIBUTES)?;
    for name in &names {
        if name.chars().count() > MAX_ATTRIBUTE_NAME_CHARS
            || name.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(ConfigError::new(
                REQUIRED_ATTRIBUTES,
                format!("`{name}` is not an attribute name (1 to 32 characters, no spaces)"),
            ));
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_allow_everything_and_confirm_nobody() {
        let config = test_kit::config::<Config>(&[]).unwrap();
        assert!(config.allowed_domains.is_empty());
        assert!(config.blocked_domains.is_empty());
        assert!(!config.block_disposable);
        assert_eq!(config.auto_confirm, AutoConfirm::None);
        assert!(!config.auto_verify_phone);
        assert!(config.required_attributes.is_empty());
        assert!(config.rules_for_admin_create_user);
        assert!(!config.link_federated_users);
    }

    #[test]
    fn reads_every_variable() {
        // Every variable but the linking ones, which cannot be combined with
        // AUTO_CONFIRM (see the next test).
        let common = [
            (ALLOWED_EMAIL_DOMAINS.name, "example.com, *.example.com"),
            (BLOCKED_EMAIL_DOMAINS.name, "bad.example.com"),
            (BLOCK_DISPOSABLE_EMAILS.name, "TRUE"),
            (REQUIRED_ATTRIBUTES.name, "given_name, custom:tenant"),
            (APPLY_DOMAIN_RULES_TO_ADMIN_CREATE_USER.name, "false"),
        ];
        let check_common = |config: &Config| {
            assert_eq!(config.allowed_domains.len(), 2);
            assert!(config.blocked_domains.matches("bad.example.com"));
            assert!(config.block_disposable);
            assert_eq!(config.required_attributes, ["given_name", "custom:tenant"]);
            assert!(!config.rules_for_admin_create_user);
        };

        let mut confirming = common.to_vec();
        confirming.extend([
            (AUTO_CONFIRM.name, "Domains"),
            (AUTO_CONFIRM_EMAIL_DOMAINS.name, "example.com"),
            (AUTO_VERIFY_PHONE.name, "true"),
        ]);
        let confirms = test_kit::config::<Config>(&confirming).unwrap();
        check_common(&confirms);
        assert!(
            matches!(&confirms.auto_confirm, AutoConfirm::Domains(d) if d.matches("example.com"))
        );
        assert!(confirms.auto_verify_phone);
        assert!(!confirms.link_federated_users);

        let mut linking = common.to_vec();
        linking.extend([
            (AUTO_CONFIRM.name, "None"),
            (LINK_FEDERATED_USERS.name, "true"),
            (LINK_PROVIDER_NAMES.name, "CorpSAML"),
            (
                LINK_PROVIDER_DOMAINS.name,
                "google=gmail.com, CorpSAML=corp.example, CORPSAML=*.Corp.Example",
            ),
        ]);
        let links = test_kit::config::<Config>(&linking).unwrap();
        check_common(&links);
        assert_eq!(links.auto_confirm, AutoConfirm::None);
        assert!(links.link_federated_users);
        assert!(links.providers.identify("corpsaml_x").is_some());
        // Bound under the pool's spelling, whatever the casing written.
        let bound = &links.provider_domains;
        assert!(bound.authoritative("Google", "gmail.com"));
        assert!(!bound.authoritative("Google", "corp.example"));
        assert!(bound.authoritative("CorpSAML", "corp.example"));
        assert!(bound.authoritative("CorpSAML", "eu.corp.example"));
        assert!(!bound.authoritative("CorpSAML", "gmail.com"));
        assert!(!bound.authoritative("Facebook", "gmail.com"));
    }

    #[test]
    fn linking_cannot_be_combined_with_auto_confirmation() {
        for auto_confirm in [
            vec![(AUTO_CONFIRM.name, "all")],
            vec![(AUTO_CONFIRM.name, "ALL")],
            vec![
                (AUTO_CONFIRM.name, "domains"),
                (AUTO_CONFIRM_EMAIL_DOMAINS.name, "corp.example"),
            ],
        ] {
            let mut pairs = auto_confirm.clone();
            pairs.push((LINK_FEDERATED_USERS.name, "true"));
            let error = test_kit::config::<Config>(&pairs).unwrap_err();
            assert_eq!(error.variable, LINK_FEDERATED_USERS.name, "{pairs:?}");
            let message = error.to_string();
            assert!(
                message.starts_with("LINK_FEDERATED_USERS: cannot be combined with AUTO_CONFIRM"),
                "{message}"
            );
            assert!(message.contains("pre-hijacking"), "{message}");
            // Either one alone is fine.
            assert!(
                test_kit::config::<Config>(&auto_confirm).is_ok(),
                "{auto_confirm:?}"
            );
            let mut off = auto_confirm.clone();
            off.push((LINK_FEDERATED_USERS.name, "false"));
            assert!(test_kit::config::<Config>(&off).is_ok(), "{off:?}");
        }
        for none in [vec![], vec![(AUTO_CONFIRM.name, "none")]] {
            let mut pairs = none;
            pairs.push((LINK_FEDERATED_USERS.name, "true"));
            pairs.push((LINK_PROVIDER_DOMAINS.name, "Google=gmail.com"));
            assert!(
                test_kit::config::<Config>(&pairs)
                    .unwrap()
                    .link_federated_users,
                "{pairs:?}"
            );
        }
    }

    #[test]
    fn linking_needs_every_provider_bound_to_its_domains() {
        // Linking on every provider's word for every domain is not a
        // default: the binding must be written.
        for unbound in [vec![], vec![(LINK_PROVIDER_DOMAINS.name, " , ")]] {
            let mut pairs = unbound;
            pairs.push((LINK_FEDERATED_USERS.name, "true"));
            let error = test_kit::config::<Config>(&pairs).unwrap_err();
            assert_eq!(error.variable, LINK_PROVIDER_DOMAINS.name, "{pairs:?}");
            assert!(
                error
                    .to_string()
                    .starts_with("LINK_PROVIDER_DOMAINS: is required when LINK_FEDERATED_USERS"),
                "{error}"
            );
        }
        for (value, problem) in [
            ("gmail.com", "is not `Provider=domain`"),
            ("Google:gmail.com", "is not `Provider=domain`"),
            ("Okta=corp.example", "`Okta` is not a built-in provider"),
            (
                "Cognito=corp.example",
                "`Cognito` is not a built-in provider",
            ),
            ("=corp.example", "`` is not a built-in provider"),
            ("Google=", "is not a domain name"),
            ("Google=not a domain", "is not a domain name"),
            ("Google=localhost", "is not a domain name"),
            ("Google=@gmail.com", "is not a domain name"),
        ] {
            let error = test_kit::config::<Config>(&[
                (LINK_FEDERATED_USERS.name, "true"),
                (LINK_PROVIDER_DOMAINS.name, value),
            ])
            .unwrap_err();
            assert_eq!(error.variable, LINK_PROVIDER_DOMAINS.name, "{value}");
            assert!(error.to_string().contains(problem), "{value}: {error}");
        }
        // A configured provider can be bound once it is named.
        let bound = test_kit::config::<Config>(&[
            (LINK_FEDERATED_USERS.name, "true"),
            (LINK_PROVIDER_NAMES.name, "Okta"),
            (LINK_PROVIDER_DOMAINS.name, "okta=corp.example"),
        ])
        .unwrap();
        assert!(bound.provider_domains.authoritative("Okta", "corp.example"));
    }

    #[test]
    fn errors_name_the_variable() {
        for (pairs, variable) in [
            (vec![(AUTO_CONFIRM.name, "sometimes")], AUTO_CONFIRM.name),
            (
                vec![(AUTO_CONFIRM.name, "domains")],
                AUTO_CONFIRM_EMAIL_DOMAINS.name,
            ),
            (
                vec![
                    (AUTO_CONFIRM.name, "domains"),
                    (AUTO_CONFIRM_EMAIL_DOMAINS.name, " , "),
                ],
                AUTO_CONFIRM_EMAIL_DOMAINS.name,
            ),
            (
                vec![(AUTO_CONFIRM_EMAIL_DOMAINS.name, "example.com")],
                AUTO_CONFIRM_EMAIL_DOMAINS.name,
            ),
            (
                vec![(ALLOWED_EMAIL_DOMAINS.name, "example.com, not a domain")],
                ALLOWED_EMAIL_DOMAINS.name,
            ),
            (
                vec![(BLOCKED_EMAIL_DOMAINS.name, "@spam.com")],
                BLOCKED_EMAIL_DOMAINS.name,
            ),
            (
                vec![(BLOCK_DISPOSABLE_EMAILS.name, "yes")],
                BLOCK_DISPOSABLE_EMAILS.name,
            ),
            (
                vec![(REQUIRED_ATTRIBUTES.name, "given name")],
                REQUIRED_ATTRIBUTES.name,
            ),
            (
                vec![(APPLY_DOMAIN_RULES_TO_ADMIN_CREATE_USER.name, "1")],
                APPLY_DOMAIN_RULES_TO_ADMIN_CREATE_USER.name,
            ),
            (
                vec![(LINK_FEDERATED_USERS.name, "on")],
                LINK_FEDERATED_USERS.name,
            ),
            (
                vec![(AUTO_VERIFY_PHONE.name, "yes")],
                AUTO_VERIFY_PHONE.name,
            ),
            (
                vec![(AUTO_VERIFY_PHONE.name, "true")],
                AUTO_VERIFY_PHONE.name,
            ),
            (
                vec![
                    (AUTO_CONFIRM.name, "none"),
                    (AUTO_VERIFY_PHONE.name, "TRUE"),
                ],
                AUTO_VERIFY_PHONE.name,
            ),
            (
                vec![(LINK_PROVIDER_NAMES.name, "CorpSAML")],
                LINK_PROVIDER_NAMES.name,
            ),
            (
                vec![
                    (LINK_FEDERATED_USERS.name, "true"),
                    (LINK_PROVIDER_NAMES.name, "google"),
                ],
                LINK_PROVIDER_NAMES.name,
            ),
            (
                vec![(LINK_PROVIDER_DOMAINS.name, "Google=gmail.com")],
                LINK_PROVIDER_DOMAINS.name,
            ),
        ] {
            let error = test_kit::config::<Config>(&pairs).unwrap_err();
            assert_eq!(error.variable, variable, "{pairs:?}: {error}");
            assert!(error.to_string().starts_with(variable));
        }
    }
}
