//! The function's configuration, read from the environment once at init.
//! Every value is checked here, so a typo fails the cold start with a message
//! naming the variable instead of refusing (or letting through) sign-ups.

use cognito_auth_core::config::{ConfigError, Env};
use cognito_auth_core::metrics::Namespace;

use crate::domains::DomainList;
use crate::federation::ProviderNames;

/// Only these domains may sign up (empty: any domain).
pub const ALLOWED_EMAIL_DOMAINS: &str = "ALLOWED_EMAIL_DOMAINS";
/// These domains are refused.
pub const BLOCKED_EMAIL_DOMAINS: &str = "BLOCKED_EMAIL_DOMAINS";
/// `true` refuses domains on the shipped disposable-mail list.
pub const BLOCK_DISPOSABLE_EMAILS: &str = "BLOCK_DISPOSABLE_EMAILS";
/// `none`, `all` or `domains`.
pub const AUTO_CONFIRM: &str = "AUTO_CONFIRM";
/// The domains confirmed automatically with `AUTO_CONFIRM=domains`.
pub const AUTO_CONFIRM_EMAIL_DOMAINS: &str = "AUTO_CONFIRM_EMAIL_DOMAINS";
/// `true` also verifies an auto-confirmed user's phone number (opt-in: see
/// [`crate::rules`], "What counts as a verified phone number").
pub const AUTO_VERIFY_PHONE: &str = "AUTO_VERIFY_PHONE";
/// Attributes that must be present and non-blank.
pub const REQUIRED_ATTRIBUTES: &str = "REQUIRED_ATTRIBUTES";
/// `false` exempts `AdminCreateUser` from the email and domain rules.
pub const APPLY_DOMAIN_RULES_TO_ADMIN_CREATE_USER: &str = "APPLY_DOMAIN_RULES_TO_ADMIN_CREATE_USER";
/// `true` links a federated sign-in to the native user with its email.
/// Requires `AUTO_CONFIRM=none`.
pub const LINK_FEDERATED_USERS: &str = "LINK_FEDERATED_USERS";
/// The pool's SAML/OIDC provider names, spelled as in the pool.
pub const LINK_PROVIDER_NAMES: &str = "LINK_PROVIDER_NAMES";

/// Cognito's limit on an attribute name (`custom:` included).
const MAX_ATTRIBUTE_NAME_CHARS: usize = 32;

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
    /// `METRICS_NAMESPACE`: the CloudWatch namespace of the metrics.
    pub metrics_namespace: Namespace,
}

impl Config {
    /// Reads and checks every variable.
    pub fn from_env(env: &Env) -> Result<Config, ConfigError> {
        let auto_confirm_domains = DomainList::from_env(env, AUTO_CONFIRM_EMAIL_DOMAINS)?;
        let auto_confirm = match env
            .optional(AUTO_CONFIRM)
            .map(|value| value.to_ascii_lowercase())
            .as_deref()
        {
            None | Some("none") => AutoConfirm::None,
            Some("all") => AutoConfirm::All,
            Some("domains") => AutoConfirm::Domains(auto_confirm_domains.clone()),
            Some(_) => {
                return Err(ConfigError::new(
                    AUTO_CONFIRM,
                    "must be `none`, `all` or `domains`",
                ));
            }
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

        let auto_verify_phone = env.bool(AUTO_VERIFY_PHONE, false)?;
        if auto_verify_phone && auto_confirm == AutoConfirm::None {
            // Only confirmed users get anything verified: the flag would do
            // nothing, and whoever set it expects it to.
            return Err(ConfigError::new(
                AUTO_VERIFY_PHONE,
                "is `true` but AUTO_CONFIRM is `none`: only auto-confirmed users get a number verified",
            ));
        }

        let link_federated_users = env.bool(LINK_FEDERATED_USERS, false)?;
        let providers = ProviderNames::from_env(env, LINK_PROVIDER_NAMES)?;
        if !link_federated_users && env.optional(LINK_PROVIDER_NAMES).is_some() {
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

        Ok(Config {
            allowed_domains: DomainList::from_env(env, ALLOWED_EMAIL_DOMAINS)?,
            blocked_domains: DomainList::from_env(env, BLOCKED_EMAIL_DOMAINS)?,
            block_disposable: env.bool(BLOCK_DISPOSABLE_EMAILS, false)?,
            auto_confirm,
            auto_verify_phone,
            required_attributes: required_attributes(env)?,
            rules_for_admin_create_user: env.bool(APPLY_DOMAIN_RULES_TO_ADMIN_CREATE_USER, true)?,
            link_federated_users,
            providers,
            metrics_namespace: Namespace::from_env(env)?,
        })
    }
}

fn required_attributes(env: &Env) -> Result<Vec<String>, ConfigError> {
    let names = env.list(REQUIRED_ATTRIBUTES);
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

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_env(&Env::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn defaults_allow_everything_and_confirm_nobody() {
        let config = config(&[]).unwrap();
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
            (ALLOWED_EMAIL_DOMAINS, "example.com, *.example.com"),
            (BLOCKED_EMAIL_DOMAINS, "bad.example.com"),
            (BLOCK_DISPOSABLE_EMAILS, "TRUE"),
            (REQUIRED_ATTRIBUTES, "given_name, custom:tenant"),
            (APPLY_DOMAIN_RULES_TO_ADMIN_CREATE_USER, "false"),
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
            (AUTO_CONFIRM, "Domains"),
            (AUTO_CONFIRM_EMAIL_DOMAINS, "example.com"),
            (AUTO_VERIFY_PHONE, "true"),
        ]);
        let confirms = config(&confirming).unwrap();
        check_common(&confirms);
        assert!(
            matches!(&confirms.auto_confirm, AutoConfirm::Domains(d) if d.matches("example.com"))
        );
        assert!(confirms.auto_verify_phone);
        assert!(!confirms.link_federated_users);

        let mut linking = common.to_vec();
        linking.extend([
            (AUTO_CONFIRM, "None"),
            (LINK_FEDERATED_USERS, "true"),
            (LINK_PROVIDER_NAMES, "CorpSAML"),
        ]);
        let links = config(&linking).unwrap();
        check_common(&links);
        assert_eq!(links.auto_confirm, AutoConfirm::None);
        assert!(links.link_federated_users);
        assert!(links.providers.identify("corpsaml_x").is_some());
    }

    #[test]
    fn linking_cannot_be_combined_with_auto_confirmation() {
        for auto_confirm in [
            vec![(AUTO_CONFIRM, "all")],
            vec![(AUTO_CONFIRM, "ALL")],
            vec![
                (AUTO_CONFIRM, "domains"),
                (AUTO_CONFIRM_EMAIL_DOMAINS, "corp.example"),
            ],
        ] {
            let mut pairs = auto_confirm.clone();
            pairs.push((LINK_FEDERATED_USERS, "true"));
            let error = config(&pairs).unwrap_err();
            assert_eq!(error.variable, LINK_FEDERATED_USERS, "{pairs:?}");
            let message = error.to_string();
            assert!(
                message.starts_with("LINK_FEDERATED_USERS: cannot be combined with AUTO_CONFIRM"),
                "{message}"
            );
            assert!(message.contains("pre-hijacking"), "{message}");
            // Either one alone is fine.
            assert!(config(&auto_confirm).is_ok(), "{auto_confirm:?}");
            let mut off = auto_confirm.clone();
            off.push((LINK_FEDERATED_USERS, "false"));
            assert!(config(&off).is_ok(), "{off:?}");
        }
        for none in [vec![], vec![(AUTO_CONFIRM, "none")]] {
            let mut pairs = none;
            pairs.push((LINK_FEDERATED_USERS, "true"));
            assert!(config(&pairs).unwrap().link_federated_users, "{pairs:?}");
        }
    }

    #[test]
    fn errors_name_the_variable() {
        for (pairs, variable) in [
            (vec![(AUTO_CONFIRM, "sometimes")], AUTO_CONFIRM),
            (vec![(AUTO_CONFIRM, "domains")], AUTO_CONFIRM_EMAIL_DOMAINS),
            (
                vec![
                    (AUTO_CONFIRM, "domains"),
                    (AUTO_CONFIRM_EMAIL_DOMAINS, " , "),
                ],
                AUTO_CONFIRM_EMAIL_DOMAINS,
            ),
            (
                vec![(AUTO_CONFIRM_EMAIL_DOMAINS, "example.com")],
                AUTO_CONFIRM_EMAIL_DOMAINS,
            ),
            (
                vec![(ALLOWED_EMAIL_DOMAINS, "example.com, not a domain")],
                ALLOWED_EMAIL_DOMAINS,
            ),
            (
                vec![(BLOCKED_EMAIL_DOMAINS, "@spam.com")],
                BLOCKED_EMAIL_DOMAINS,
            ),
            (
                vec![(BLOCK_DISPOSABLE_EMAILS, "yes")],
                BLOCK_DISPOSABLE_EMAILS,
            ),
            (
                vec![(REQUIRED_ATTRIBUTES, "given name")],
                REQUIRED_ATTRIBUTES,
            ),
            (
                vec![(APPLY_DOMAIN_RULES_TO_ADMIN_CREATE_USER, "1")],
                APPLY_DOMAIN_RULES_TO_ADMIN_CREATE_USER,
            ),
            (vec![(LINK_FEDERATED_USERS, "on")], LINK_FEDERATED_USERS),
            (vec![(AUTO_VERIFY_PHONE, "yes")], AUTO_VERIFY_PHONE),
            (vec![(AUTO_VERIFY_PHONE, "true")], AUTO_VERIFY_PHONE),
            (
                vec![(AUTO_CONFIRM, "none"), (AUTO_VERIFY_PHONE, "TRUE")],
                AUTO_VERIFY_PHONE,
            ),
            (vec![(LINK_PROVIDER_NAMES, "CorpSAML")], LINK_PROVIDER_NAMES),
            (
                vec![
                    (LINK_FEDERATED_USERS, "true"),
                    (LINK_PROVIDER_NAMES, "google"),
                ],
                LINK_PROVIDER_NAMES,
            ),
        ] {
            let error = config(&pairs).unwrap_err();
            assert_eq!(error.variable, variable, "{pairs:?}: {error}");
            assert!(error.to_string().starts_with(variable));
        }
    }
}
