//! Federated sign-ins: which identity provider a `userName` comes from, and
//! which existing native user (if any) it should be linked to. Pure logic;
//! the calls to Cognito are in [`crate::linker`].
//!
//! ## The casing pitfall
//!
//! Cognito names a federated user `<ProviderName>_<subject>`, but in a user
//! pool whose usernames are case-insensitive (the default since 2020) the
//! event's `userName` arrives lowercased: `google_1234`, `signinwithapple_…`,
//! `mysaml_…`. `AdminLinkProviderForUser` needs the provider name exactly as
//! the pool knows it (`Google`, `MySaml`), so the prefix is matched
//! case-insensitively against the known names and the *known* spelling is
//! used: the four built-in names, plus the SAML/OIDC names listed in
//! `LINK_PROVIDER_NAMES`. A prefix that matches no known name is not guessed
//! at: the sign-up goes on unlinked and a warning says which variable to fix.
//!
//! ## Which domains a provider speaks for
//!
//! An identity provider's `email_verified=true` is only as good as the
//! provider's authority over the address. A multi-tenant provider (any Azure
//! AD tenant, any Okta org, Google for a domain that is not on Google
//! Workspace) or one whose users set their own email can assert
//! `ceo@example.com` for someone who is not the CEO; linked on that word, the
//! provider's user would sign in as the native user. So linking also needs
//! the operator's word: `LINK_PROVIDER_DOMAINS` binds each provider to the
//! domains it is authoritative for ([`ProviderDomains`]), and a sign-in whose
//! provider is not bound to its email's domain is never linked. The variable
//! is required with `LINK_FEDERATED_USERS=true`, so no deployment links on
//! every provider's word for every domain by default.
//!
//! ## Comparing addresses
//!
//! Only canonical addresses parse ([`crate::email`]), on either side: the
//! native user's stored email and the federated one. Two canonical addresses
//! with the same [`Email`] differ at most in the ASCII case of the domain or
//! in writing a label as its U-label or A-label: the same mailbox by
//! definition. The local part is compared exactly. A stored address that is
//! not canonical (written before this rule, or by an administrator exempted
//! from the domain rules) never qualifies.
//!
//! The subject cannot be recovered the same way: what follows the prefix is
//! used as it arrives. Built-in providers use subjects that lowercasing does
//! not change (digits, or lowercase hex and dots for Apple), except Login with
//! Amazon (`amzn1.account.AF…`); for it, and for SAML/OIDC providers with
//! mixed-case subjects, use a pool with case-sensitive usernames if you link.

use std::collections::BTreeMap;

use cognito_auth_core::config::{ConfigError, Env, List, Var};
use serde::Deserialize;

use crate::domains::DomainList;
use crate::email::Email;

/// The providers Cognito builds in, spelled as `AdminLinkProviderForUser`
/// wants them.
pub const BUILT_IN_PROVIDERS: [&str; 4] =
    ["Google", "Facebook", "SignInWithApple", "LoginWithAmazon"];

/// The attribute `AdminLinkProviderForUser` matches a source user on: the
/// subject Cognito puts in the federated username.
pub const SUBJECT_ATTRIBUTE: &str = "Cognito_Subject";

/// The `ProviderName` of a native (username and password) user.
pub const NATIVE_PROVIDER: &str = "Cognito";

/// Cognito's limit on an identity provider's name.
const MAX_PROVIDER_NAME_CHARS: usize = 32;

/// The identity providers a federated username may start with, in the
/// spelling the pool uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderNames {
    /// Longest first, so `Corp_EU` wins over `Corp` for `corp_eu_123`.
    names: Vec<String>,
}

impl Default for ProviderNames {
    fn default() -> Self {
        Self::with_extra(Vec::new())
    }
}

impl ProviderNames {
    /// The built-in providers plus the comma-separated SAML/OIDC names in
    /// `variable`, which must be spelled exactly as in the pool.
    pub fn from_env(env: &Env, variable: Var<List>) -> Result<ProviderNames, ConfigError> {
        let extra = env.get(&variable)?;
        let mut seen: Vec<String> = BUILT_IN_PROVIDERS
            .iter()
            .map(|name| name.to_lowercase())
            .collect();
        seen.push(NATIVE_PROVIDER.to_lowercase());
        for name in &extra {
            let chars = name.chars().count();
            if chars > MAX_PROVIDER_NAME_CHARS
                || name.chars().any(|c| c.is_whitespace() || c.is_control())
            {
                return Err(ConfigError::new(
                    variable,
                    format!(
                        "`{name}` is not an identity provider name (1 to 32 characters, no spaces)"
                    ),
                ));
            }
            let folded = name.to_lowercase();
            if seen.contains(&folded) {
                // Usernames may arrive lowercased, so two names that differ
                // only in case cannot be told apart.
                return Err(ConfigError::new(
                    variable,
                    format!(
                        "`{name}` is built in or listed twice (names are compared case-insensitively)"
                    ),
                ));
            }
            seen.push(folded);
        }
        Ok(Self::with_extra(extra))
    }

    fn with_extra(extra: Vec<String>) -> ProviderNames {
        let mut names: Vec<String> = BUILT_IN_PROVIDERS
            .iter()
            .map(|name| (*name).to_owned())
            .chain(extra)
            .collect();
        names.sort_by_key(|name| std::cmp::Reverse(name.len()));
        ProviderNames { names }
    }

    /// The provider's spelling as the pool knows it, for a name compared
    /// case-insensitively (names are unique that way), or `None` for a name
    /// that is neither built in nor configured.
    pub fn spelling(&self, name: &str) -> Option<&str> {
        self.names
            .iter()
            .find(|known| known.to_lowercase() == name.to_lowercase())
            .map(String::as_str)
    }

    /// The provider and subject of a federated `userName`, or `None` when it
    /// does not start with `<known provider>_` (compared case-insensitively)
    /// followed by a non-empty subject.
    pub fn identify(&self, user_name: &str) -> Option<FederatedIdentity> {
        self.names.iter().find_map(|name| {
            let subject = strip_prefix_ignore_case(user_name, name)?.strip_prefix('_')?;
            (!subject.is_empty()).then(|| FederatedIdentity {
                provider: name.clone(),
                subject: subject.to_owned(),
            })
        })
    }
}

/// `LINK_PROVIDER_DOMAINS`: for each identity provider, the email domains it
/// is authoritative for. See the module doc, "Which domains a provider
/// speaks for".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderDomains {
    /// By the provider's spelling in the pool.
    by_provider: BTreeMap<String, DomainList>,
}

impl ProviderDomains {
    /// Reads the comma-separated `Provider=domain` pairs in `variable`. The
    /// provider is a built-in one or one of `providers` (any casing); the
    /// domain is written as in the domain lists (`example.com`, or
    /// `*.example.com` for its subdomains). A provider may appear in several
    /// pairs.
    pub fn from_env(
        env: &Env,
        variable: Var<List>,
        providers: &ProviderNames,
    ) -> Result<ProviderDomains, ConfigError> {
        let mut bound = ProviderDomains::default();
        for entry in env.get(&variable)? {
            // A domain holds no `=`; a provider name might.
            let Some((name, domain)) = entry.rsplit_once('=') else {
                return Err(ConfigError::new(
                    variable,
                    format!(
                        "`{entry}` is not `Provider=domain` (for example `Google=gmail.com` or `CorpSAML=*.corp.example`)"
                    ),
                ));
            };
            let Some(provider) = providers.spelling(name.trim()) else {
                return Err(ConfigError::new(
                    variable,
                    format!(
                        "`{}` is not a built-in provider nor in LINK_PROVIDER_NAMES",
                        name.trim()
                    ),
                ));
            };
            bound
                .by_provider
                .entry(provider.to_owned())
                .or_default()
                .add(domain.trim())
                .map_err(|reason| {
                    ConfigError::new(variable, format!("`{entry}`: `{}` {reason}", domain.trim()))
                })?;
        }
        Ok(bound)
    }

    /// Whether no provider is bound to any domain.
    pub fn is_empty(&self) -> bool {
        self.by_provider.is_empty()
    }

    /// Whether `provider` (as [`ProviderNames::identify`] spells it) is bound
    /// to `domain` (normalised, as [`Email::domain`] gives it).
    pub fn authoritative(&self, provider: &str, domain: &str) -> bool {
        self.by_provider
            .get(provider)
            .is_some_and(|domains| domains.matches(domain))
    }
}

/// The provider prefix of a username that [`ProviderNames::identify`] did not
/// recognise: the text before the first `_`, for the log line that tells the
/// operator what to add to `LINK_PROVIDER_NAMES`.
pub fn unknown_prefix(user_name: &str) -> Option<&str> {
    user_name.split_once('_').map(|(prefix, _)| prefix)
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    (head == prefix || head.to_lowercase() == prefix.to_lowercase()).then(|| &text[prefix.len()..])
}

/// A sign-in from an external identity provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederatedIdentity {
    /// The provider's name as the pool knows it (`Google`, `MySaml`).
    pub provider: String,
    /// The user's id at the provider, as it appears in the username.
    pub subject: String,
}

/// A user returned by `ListUsers`, reduced to what the choice needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PoolUser {
    /// The username (for a native user in an email-as-username pool, a UUID).
    pub username: String,
    /// `UserStatus`, such as `CONFIRMED` or `EXTERNAL_PROVIDER`.
    pub status: Option<String>,
    /// The attributes, by name.
    pub attributes: BTreeMap<String, String>,
}

/// What to do with a federated sign-in, given the users that share its email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkTarget {
    /// Link to this native user.
    Native {
        /// Its username: the `DestinationUser` value.
        username: String,
    },
    /// This native user already carries the identity (a retried invocation
    /// whose first attempt linked it): nothing to do.
    AlreadyLinked {
        /// Its username.
        username: String,
    },
    /// No native user with this verified email: a plain federated sign-up.
    NotFound,
    /// Several native users qualify. Linking to one of them would be a
    /// guess, and a wrong guess hands one person's account to another, so
    /// none is linked.
    Ambiguous {
        /// How many qualified.
        count: usize,
    },
}

/// Picks the native user to link `identity` to: a user that is not itself
/// federated (status other than `EXTERNAL_PROVIDER`, username not
/// `<provider>_…`), whose `email_verified` is `true`, and whose email is
/// canonical and the same address (see the module doc, "Comparing
/// addresses"): `ListUsers`' filter is not trusted to have matched exactly
/// (AWS documents searches as case-insensitive). Exactly one must qualify.
///
/// A disabled user still qualifies: linking makes the federated sign-in land
/// on the disabled account, which keeps it locked out, whereas skipping it
/// would hand the person a fresh, enabled account.
pub fn choose_link_target(
    users: &[PoolUser],
    email: &Email,
    identity: &FederatedIdentity,
    providers: &ProviderNames,
) -> LinkTarget {
    let qualified: Vec<&PoolUser> = users
        .iter()
        .filter(|user| is_native(user, providers))
        .filter(|user| {
            user.attributes
                .get("email_verified")
                .is_some_and(|verified| verified.eq_ignore_ascii_case("true"))
        })
        .filter(|user| {
            user.attributes
                .get("email")
                .and_then(|address| Email::parse(address).ok())
                .is_some_and(|address| &address == email)
        })
        .collect();
    match qualified.as_slice() {
        [] => LinkTarget::NotFound,
        [user] if carries_identity(user, identity) => LinkTarget::AlreadyLinked {
            username: user.username.clone(),
        },
        [user] => LinkTarget::Native {
            username: user.username.clone(),
        },
        many => LinkTarget::Ambiguous { count: many.len() },
    }
}

fn is_native(user: &PoolUser, providers: &ProviderNames) -> bool {
    !user.username.is_empty()
        && user.status.as_deref() != Some("EXTERNAL_PROVIDER")
        && providers.identify(&user.username).is_none()
}

/// One entry of the `identities` attribute Cognito keeps on a user with
/// linked providers (a JSON array in a string).
#[derive(Deserialize)]
struct LinkedIdentity {
    #[serde(rename = "providerName")]
    provider_name: Option<String>,
    #[serde(rename = "userId")]
    user_id: Option<String>,
}

fn carries_identity(user: &PoolUser, identity: &FederatedIdentity) -> bool {
    let Some(identities) = user.attributes.get("identities") else {
        return false;
    };
    serde_json::from_str::<Vec<LinkedIdentity>>(identities)
        .unwrap_or_default()
        .iter()
        .any(|linked| {
            linked.provider_name.as_deref() == Some(identity.provider.as_str())
                && linked
                    .user_id
                    .as_deref()
                    .is_some_and(|id| id.eq_ignore_ascii_case(&identity.subject))
        })
}

/// A `ListUsers` filter that matches `email` exactly. Backslashes and double
/// quotes are escaped as Cognito documents, so the value cannot end the
/// quoted string early and change the filter (a parsed [`Email`] cannot hold
/// either, but the escaping does not rely on that).
pub fn email_filter(email: &str) -> String {
    let mut escaped = String::with_capacity(email.len() + 2);
    for c in email.chars() {
        if matches!(c, '"' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    format!("email = \"{escaped}\"")
}

#[cfg(test)]
mod tests;
