//! Email addresses: parsed and normalised once, so every rule compares the
//! same form.
//!
//! Normalisation trims the address, keeps the local part as written (it is
//! case-sensitive by the standard, and mail providers disagree on what else is
//! equivalent), and turns the domain into lowercase ASCII: internationalised
//! names become punycode through UTS #46 (`Bücher.de` → `xn--bcher-kva.de`), so
//! a rule written either way matches an address written either way.
//!
//! Parsing is deliberately stricter than RFC 5322: quoted local parts,
//! comments, IP-literal domains and single-label domains are refused. None of
//! them is a real sign-up, and each is a classic way to slip something past a
//! domain rule.

use std::fmt;

/// The longest address accepted (RFC 5321's path limit, less the brackets).
const MAX_ADDRESS_BYTES: usize = 254;
/// The longest local part accepted (RFC 5321).
const MAX_LOCAL_BYTES: usize = 64;
/// Input longer than this is refused before any processing, to bound work.
const MAX_INPUT_BYTES: usize = 1024;

/// Why an address was refused. For logs; the user sees one generic message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidEmail {
    /// Longer than the limits above.
    #[error("address is too long")]
    TooLong,
    /// No `@`, or nothing before or after it.
    #[error("address is not local@domain")]
    NotLocalAtDomain,
    /// The local part has a character outside RFC 5322's dot-atom (or
    /// non-ASCII text), or misplaced dots.
    #[error("local part is not a dot-atom")]
    InvalidLocalPart,
    /// The domain is an IP literal such as `[192.0.2.1]`.
    #[error("domain is an IP literal")]
    IpLiteral,
    /// The domain fails UTS #46 / STD3 rules (bad characters, hyphens, label
    /// lengths, trailing dot).
    #[error("domain is not a valid domain name")]
    InvalidDomain,
    /// The domain has a single label (`user@localhost`) or a numeric top
    /// label (`user@192.0.2.1`).
    #[error("domain is not a public-style domain name")]
    NotQualified,
}

impl InvalidEmail {
    /// A stable snake_case code for logs.
    pub fn reason(self) -> &'static str {
        match self {
            InvalidEmail::TooLong => "too_long",
            InvalidEmail::NotLocalAtDomain => "not_local_at_domain",
            InvalidEmail::InvalidLocalPart => "invalid_local_part",
            InvalidEmail::IpLiteral => "ip_literal",
            InvalidEmail::InvalidDomain => "invalid_domain",
            InvalidEmail::NotQualified => "not_qualified",
        }
    }
}

/// A normalised email address.
#[derive(Clone, PartialEq, Eq)]
pub struct Email {
    local: String,
    domain: String,
}

impl Email {
    /// Parses and normalises `raw`.
    pub fn parse(raw: &str) -> Result<Email, InvalidEmail> {
        if raw.len() > MAX_INPUT_BYTES {
            return Err(InvalidEmail::TooLong);
        }
        let trimmed = raw.trim();
        let (local, domain) = trimmed
            .rsplit_once('@')
            .ok_or(InvalidEmail::NotLocalAtDomain)?;
        if local.is_empty() || domain.is_empty() {
            return Err(InvalidEmail::NotLocalAtDomain);
        }
        if local.len() > MAX_LOCAL_BYTES {
            return Err(InvalidEmail::TooLong);
        }
        if !is_dot_atom(local) {
            return Err(InvalidEmail::InvalidLocalPart);
        }
        let domain = normalise_domain(domain)?;
        if local.len() + 1 + domain.len() > MAX_ADDRESS_BYTES {
            return Err(InvalidEmail::TooLong);
        }
        Ok(Email {
            local: local.to_owned(),
            domain,
        })
    }

    /// The domain: lowercase ASCII, punycode for internationalised names.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The local part, as written.
    pub fn local_part(&self) -> &str {
        &self.local
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.local, self.domain)
    }
}

/// Only the domain: an address is personal data and must not reach logs
/// through a stray `{:?}`.
impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email(<redacted>@{})", self.domain)
    }
}

/// Turns a domain into lowercase ASCII (punycode where needed), refusing what
/// is not a qualified host name. Shared with the domain lists in the
/// configuration, so rules and addresses are normalised the same way.
pub fn normalise_domain(domain: &str) -> Result<String, InvalidEmail> {
    if domain.starts_with('[') {
        return Err(InvalidEmail::IpLiteral);
    }
    // STD3 rules (letters, digits, hyphens), hyphen placement, label and name
    // lengths, no empty labels, no trailing dot.
    let ascii = idna::domain_to_ascii_strict(domain).map_err(|_| InvalidEmail::InvalidDomain)?;
    let Some((_, top)) = ascii.rsplit_once('.') else {
        return Err(InvalidEmail::NotQualified);
    };
    if top.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(InvalidEmail::NotQualified);
    }
    Ok(ascii)
}

/// RFC 5322 dot-atom, plus non-ASCII text (RFC 6531): atext characters in
/// dot-separated, non-empty runs.
fn is_dot_atom(local: &str) -> bool {
    local.split('.').all(|atom| {
        !atom.is_empty()
            && atom.chars().all(|c| {
                c.is_ascii_alphanumeric()
                    || "!#$%&'*+-/=?^_`{|}~".contains(c)
                    || (!c.is_ascii() && !c.is_control() && !c.is_whitespace())
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_lowercases_the_domain_only() {
        let email = Email::parse("  Alice.Smith+tag@Example.COM \n").unwrap();
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
        // Full-width characters are mapped by UTS #46.
        assert_eq!(
            Email::parse("a@ｅｘａｍｐｌｅ.com").unwrap().domain(),
            "example.com"
        );
        // A non-ASCII local part is kept.
        assert_eq!(
            Email::parse("jürgen@example.de").unwrap().local_part(),
            "jürgen"
        );
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
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert_eq!(Email::parse(&long_local), Err(InvalidEmail::TooLong));
        // A valid domain (195 bytes) that makes the whole address too long.
        let long_domain = format!(
            "{}@{}.com",
            "a".repeat(60),
            vec!["b".repeat(63); 3].join(".")
        );
        assert_eq!(Email::parse(&long_domain), Err(InvalidEmail::TooLong));
        assert_eq!(Email::parse(&"x".repeat(5000)), Err(InvalidEmail::TooLong));
    }

    #[test]
    fn debug_hides_the_local_part() {
        let email = Email::parse("secret.person@example.com").unwrap();
        assert!(!format!("{email:?}").contains("secret"));
    }
}
