//! Email addresses: parsed and normalised once, so every rule compares the
//! same form.
//!
//! Normalisation keeps the local part as written (it is
//! case-sensitive by the standard, and mail providers disagree on what else is
//! equivalent), and turns the domain into lowercase ASCII: internationalised
//! names become punycode through UTS #46 (`Bücher.de` → `xn--bcher-kva.de`), so
//! a rule written either way matches an address written either way.
//!
//! Parsing is deliberately stricter than RFC 5322: quoted local parts,
//! comments, IP-literal domains and single-label domains are refused. None of
//! them is a real sign-up, and each is a classic way to slip something past a
//! domain rule.
//!
//! ## Only canonical addresses
//!
//! The rules compare the normalised form, but Cognito stores, shows and puts
//! in tokens the address *as written*. UTS #46 mapping folds far more than
//! case: full-width letters (`ｅxample.com`), compatibility characters
//! (`exampⅼe.com`, U+217C), ideographic full stops (`example。com`), and it
//! drops invisible ones (soft hyphen, zero-width space). Had such an address
//! been accepted, the lists would have judged `example.com` while the user
//! pool held a different string that merely looks like it: auto-confirmed,
//! auto-verified and linked to `ceo@example.com`'s account on an address
//! nobody proved. So an address is accepted only in a canonical form:
//!
//! - each domain label is, up to ASCII case, either its A-label (`xn--…`, or
//!   plain ASCII) or exactly the U-label that A-label decodes to
//!   (`bücher.example` and `xn--bcher-kva.example` both pass; `BÜCHER.example`
//!   does not: IDNA2008 has no uppercase U-labels, and beyond ASCII, "case"
//!   mapping is where look-alikes such as the Kelvin sign `K` → `k` hide).
//!   Otherwise [`InvalidEmail::NonCanonicalDomain`];
//! - a non-ASCII local part is NFKC-stable and holds no default-ignorable
//!   (invisible) character. Otherwise [`InvalidEmail::NonCanonicalLocalPart`].
//!
//! - the address is taken exactly as sent: surrounding white space (ASCII or
//!   Unicode: a no-break space, an ideographic space, a line separator) is
//!   not trimmed but refused ([`InvalidEmail::SurroundingWhitespace`]),
//!   since Cognito stores the attribute as sent and trimming is one more
//!   mapping between what is judged and what is kept.
//!
//! Addresses that break these rules are refused outright rather than merely
//! denied the flags: an address built to render like another one has no
//! legitimate use, and refusing it keeps every later consumer (linking,
//! tokens, emails) safe. The domain lists in the configuration are written
//! by the operator and are still mapped leniently (see [`normalise_domain`]).
//!
//! Text in another script can still look Latin and be canonical: a local
//! part (`cеo@example.com`, Cyrillic `е`) or a domain (`exаmple.com`,
//! Cyrillic `а`); no rule of ours tells it from a real internationalised
//! mailbox. [`Email::has_ascii_local_part`] and
//! [`Email::has_internationalised_domain`] let admission keep such an
//! address from being confirmed or verified without a code.

use std::fmt;

use icu_normalizer::ComposingNormalizerBorrowed;
use icu_properties::CodePointSetData;
use icu_properties::props::DefaultIgnorableCodePoint;

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
    /// The domain is valid but not written in canonical form: UTS #46 mapping
    /// changed it beyond ASCII case (full-width or compatibility characters,
    /// ideographic full stops, invisible characters, non-ASCII uppercase).
    #[error("domain is not in canonical form")]
    NonCanonicalDomain,
    /// The local part has an invisible (default-ignorable) character, or
    /// one that NFKC normalisation changes (full-width, compatibility forms).
    #[error("local part is not in canonical form")]
    NonCanonicalLocalPart,
    /// White space (ASCII or Unicode) before or after the address.
    #[error("address has surrounding white space")]
    SurroundingWhitespace,
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
            InvalidEmail::NonCanonicalDomain => "non_canonical_domain",
            InvalidEmail::NonCanonicalLocalPart => "non_canonical_local_part",
            InvalidEmail::SurroundingWhitespace => "surrounding_whitespace",
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
        if raw.trim() != raw {
            return Err(InvalidEmail::SurroundingWhitespace);
        }
        let (local, domain) = raw.rsplit_once('@').ok_or(InvalidEmail::NotLocalAtDomain)?;
        if local.is_empty() || domain.is_empty() {
            return Err(InvalidEmail::NotLocalAtDomain);
        }
        if local.len() > MAX_LOCAL_BYTES {
            return Err(InvalidEmail::TooLong);
        }
        if !is_dot_atom(local) {
            return Err(InvalidEmail::InvalidLocalPart);
        }
        if !is_canonical_local_part(local) {
            return Err(InvalidEmail::NonCanonicalLocalPart);
        }
        let ascii = normalise_domain(domain)?;
        if !is_canonical_domain(domain, &ascii) {
            return Err(InvalidEmail::NonCanonicalDomain);
        }
        // RFC 5321's limit is on the address as sent, so the domain counts
        // in its ASCII form.
        if local.len() + 1 + ascii.len() > MAX_ADDRESS_BYTES {
            return Err(InvalidEmail::TooLong);
        }
        let domain = ascii;
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

    /// Whether a label of the domain is internationalised (an A-label,
    /// `xn--…`, in the normalised form): such a domain may be built from
    /// letters of another script that look Latin (`exаmple.com`).
    pub fn has_internationalised_domain(&self) -> bool {
        self.domain.split('.').any(|label| {
            label
                .get(..4)
                .is_some_and(|prefix| prefix.eq_ignore_ascii_case("xn--"))
        })
    }

    /// Whether the local part is plain ASCII. A non-ASCII one may be in a
    /// script whose letters look Latin (`cеo`, Cyrillic `е`), so only a code
    /// sent to it proves that it is somebody's mailbox.
    pub fn has_ascii_local_part(&self) -> bool {
        self.local.is_ascii()
    }

    /// The address with the domain's A-labels decoded to U-labels
    /// (`hans@bücher.example`): the other spelling a user pool may hold.
    pub fn to_unicode_string(&self) -> String {
        let (domain, _) = idna::domain_to_unicode(&self.domain);
        format!("{}@{domain}", self.local)
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
///
/// This is UTS #46 mapping, which folds look-alikes into what they look
/// like; on its own it is fit for the operator's configuration only. An
/// address's domain must also pass [`is_canonical_domain`].
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

/// Whether `input` is written in canonical form, given `ascii`, its
/// normalised form from [`normalise_domain`]: label by label, the input is
/// (ignoring ASCII case, as DNS does) either the A-label or the U-label the
/// A-label decodes to. A mapping that changed anything else (dropped an
/// invisible character, folded a full-width or compatibility character or
/// non-ASCII uppercase, turned `。` into a dot) fails, and so does a label
/// count that changed.
pub fn is_canonical_domain(input: &str, ascii: &str) -> bool {
    let (unicode, decoded) = idna::domain_to_unicode(ascii);
    if decoded.is_err() {
        return false;
    }
    let mut written = input.split('.');
    let mut a_labels = ascii.split('.');
    let mut u_labels = unicode.split('.');
    loop {
        match (written.next(), a_labels.next(), u_labels.next()) {
            (None, None, None) => return true,
            (Some(label), Some(a_label), Some(u_label)) => {
                if !label.eq_ignore_ascii_case(a_label) && !label.eq_ignore_ascii_case(u_label) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// Whether a local part is canonical: plain ASCII, or non-ASCII text that
/// NFKC leaves unchanged (no full-width, ligature or other compatibility
/// form, no decomposed accent) and that holds no default-ignorable code
/// point (soft hyphen, zero-width space and joiners, bidi controls,
/// variation selectors). Case is kept: the local part is case-sensitive.
fn is_canonical_local_part(local: &str) -> bool {
    if local.is_ascii() {
        return true;
    }
    let invisible = CodePointSetData::new::<DefaultIgnorableCodePoint>();
    ComposingNormalizerBorrowed::new_nfkc().is_normalized(local)
        && !local.chars().any(|c| invisible.contains(c))
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
mod tests;
