//! Email-domain rules: the lists in `ALLOWED_EMAIL_DOMAINS`,
//! `BLOCKED_EMAIL_DOMAINS` and `AUTO_CONFIRM_EMAIL_DOMAINS`, and the shipped
//! list of disposable-mail domains.
//!
//! A configured entry is either a domain (`example.com`), which matches that
//! domain only, or `*.` and a domain (`*.example.com`), which matches its
//! subdomains at any depth but not the domain itself; write both to cover
//! both. Entries are normalised like addresses (lowercase, punycode), so
//! `Bücher.de` in the configuration matches `xn--bcher-kva.de` in an address
//! and the other way round.
//!
//! The disposable list matches a domain *and its parents*: a throwaway
//! service that hands out `anything.mailinator.com` is caught by its
//! `mailinator.com` entry.

use std::collections::HashSet;

use cognito_auth_core::config::{ConfigError, Env, List, Var};

use crate::email::normalise_domain;

/// One parsed list of domain rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DomainList {
    exact: HashSet<String>,
    /// Suffixes with their leading dot (`.example.com`), for `*.example.com`.
    subdomains_of: Vec<String>,
}

impl DomainList {
    /// Reads the comma-separated list in `variable`. Unset or blank is an
    /// empty list; a malformed entry is an error naming the variable and the
    /// entry (domain names are not secrets).
    pub fn from_env(env: &Env, variable: Var<List>) -> Result<DomainList, ConfigError> {
        let mut list = DomainList::default();
        for entry in env.get(&variable)? {
            list.add(&entry)
                .map_err(|reason| ConfigError::new(variable, format!("`{entry}` {reason}")))?;
        }
        Ok(list)
    }

    /// Adds one entry (`example.com` or `*.example.com`), or says why it is
    /// not one.
    pub fn add(&mut self, entry: &str) -> Result<(), &'static str> {
        const HINT: &str =
            "is not a domain name (write `example.com`, or `*.example.com` for its subdomains)";
        match entry.strip_prefix("*.") {
            Some(parent) => {
                // `*.com` is allowed (every .com domain): a parent may be a
                // single label.
                let ascii = idna::domain_to_ascii_strict(parent).map_err(|_| HINT)?;
                if ascii.contains('*') {
                    return Err(HINT);
                }
                self.subdomains_of.push(format!(".{ascii}"));
            }
            None => {
                let ascii = normalise_domain(entry).map_err(|_| HINT)?;
                self.exact.insert(ascii);
            }
        }
        Ok(())
    }

    /// Whether the list has no entries.
    pub fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.subdomains_of.is_empty()
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.exact.len() + self.subdomains_of.len()
    }

    /// Whether `domain` (already normalised, as [`crate::email::Email::domain`]
    /// gives it) matches an entry.
    pub fn matches(&self, domain: &str) -> bool {
        self.exact.contains(domain)
            || self
                .subdomains_of
                .iter()
                .any(|suffix| domain.ends_with(suffix.as_str()))
    }
}

/// The shipped list: `data/disposable-domains.txt`, compiled into the binary
/// so the function needs no file at run time.
const DISPOSABLE_LIST: &str = include_str!("../data/disposable-domains.txt");

/// The disposable-mail domains, as a set built once at init.
#[derive(Debug)]
pub struct DisposableDomains {
    domains: HashSet<&'static str>,
}

impl DisposableDomains {
    /// Builds the set from the shipped list. The entries borrow the
    /// compiled-in text, so only the table is allocated: about 10,000
    /// entries, once per cold start (its cost is in docs/performance.md,
    /// "cold start by configuration").
    pub fn load() -> DisposableDomains {
        DisposableDomains {
            domains: DISPOSABLE_LIST
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty() && !line.starts_with('#'))
                .collect(),
        }
    }

    /// The number of domains.
    pub fn len(&self) -> usize {
        self.domains.len()
    }

    /// Whether the list is empty (it never is, unless the data file was
    /// emptied).
    pub fn is_empty(&self) -> bool {
        self.domains.is_empty()
    }

    /// Whether `domain` or one of its parent domains is listed.
    pub fn contains(&self, domain: &str) -> bool {
        let mut rest = domain;
        loop {
            if self.domains.contains(rest) {
                return true;
            }
            match rest.split_once('.') {
                Some((_, parent)) => rest = parent,
                None => return false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: Var<List> = Var::new("LIST", List, &["a list"]);

    fn list(value: &str) -> Result<DomainList, ConfigError> {
        DomainList::from_env(&Env::from_pairs([(LIST, value)]), LIST)
    }

    #[test]
    fn exact_entries_match_only_that_domain() {
        let list = list("Example.com, other.org").unwrap();
        assert_eq!(list.len(), 2);
        assert!(list.matches("example.com"));
        assert!(list.matches("other.org"));
        assert!(!list.matches("mail.example.com"));
        assert!(!list.matches("badexample.com"));
        assert!(!list.matches("example.com.evil.net"));
    }

    #[test]
    fn wildcard_entries_match_subdomains_only() {
        let list = list("*.example.com").unwrap();
        assert!(list.matches("mail.example.com"));
        assert!(list.matches("a.b.example.com"));
        assert!(!list.matches("example.com"));
        assert!(!list.matches("badexample.com"));
        let tld = self::list("*.edu").unwrap();
        assert!(tld.matches("mit.edu"));
        assert!(!tld.matches("mit.education"));
    }

    #[test]
    fn entries_are_normalised_like_addresses() {
        let list = list("Bücher.de, *.MÜNCHEN.de").unwrap();
        assert!(list.matches("xn--bcher-kva.de"));
        assert!(list.matches("x.xn--mnchen-3ya.de"));
    }

    #[test]
    fn unset_is_empty() {
        assert!(list("").unwrap().is_empty());
        assert!(
            DomainList::from_env(&Env::from_pairs::<&str, &str>([]), LIST)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn malformed_entries_name_the_variable_and_entry() {
        for bad in [
            "exa mple.com",
            "@example.com",
            "user@example.com",
            "localhost",
            "*.",
            "*.*.example.com",
            "ex*ample.com",
            "example.com.",
            "https://example.com",
            "192.0.2.1",
        ] {
            let error = list(&format!("good.com, {bad}")).unwrap_err();
            assert_eq!(error.variable, "LIST", "{bad}");
            assert!(error.reason.contains(bad), "{bad}: {}", error.reason);
        }
    }

    #[test]
    fn disposable_list_loads_and_matches_parents() {
        let list = DisposableDomains::load();
        assert!(list.len() > 5_000, "only {} domains", list.len());
        assert!(list.contains("mailinator.com"));
        assert!(list.contains("anything.mailinator.com"));
        assert!(!list.contains("example.com"));
        assert!(!list.contains("com"));
        assert!(!list.contains("gmail.com"));
    }

    #[test]
    fn every_disposable_entry_is_a_normalised_domain() {
        let list = DisposableDomains::load();
        for domain in &list.domains {
            assert_eq!(
                normalise_domain(domain).as_deref(),
                Ok(*domain),
                "data/disposable-domains.txt: `{domain}` is not a normalised domain"
            );
        }
    }
}
