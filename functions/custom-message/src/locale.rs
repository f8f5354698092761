//! Locale tags: parsing what users and apps send, and the fallback chain.
//!
//! A tag comes from the user's `locale` attribute or the app's
//! `clientMetadata`, so it is untrusted text. Only well-formed BCP 47-like
//! tags (`en`, `pt-BR`, `zh-Hant-TW`, `pt_br`) are accepted; anything else is
//! ignored, as if absent. A tag is only ever used to look up templates loaded
//! at init, never to build a file path.

/// A well-formed locale tag in canonical casing: language lowercase, region
/// uppercase, script title case (`pt_br` → `pt-BR`, `ZH-hant-tw` →
/// `zh-Hant-TW`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Locale(String);

/// The longest tag accepted (RFC 5646 recommends supporting 35 characters).
const MAX_LEN: usize = 35;

impl Locale {
    /// Parses `tag`, or `None` when it is not a well-formed tag: subtags of 1
    /// to 8 ASCII letters or digits, separated by `-` or `_`, the first one 2
    /// to 8 letters.
    pub fn parse(tag: &str) -> Option<Locale> {
        let tag = tag.trim();
        if tag.is_empty() || tag.len() > MAX_LEN {
            return None;
        }
        let mut canonical = String::with_capacity(tag.len());
        for (index, subtag) in tag.split(['-', '_']).enumerate() {
            let valid = (1..=8).contains(&subtag.len())
                && subtag.bytes().all(|b| b.is_ascii_alphanumeric());
            if !valid {
                return None;
            }
            if index == 0 {
                if subtag.len() < 2 || !subtag.bytes().all(|b| b.is_ascii_alphabetic()) {
                    return None;
                }
                canonical.push_str(&subtag.to_ascii_lowercase());
                continue;
            }
            canonical.push('-');
            let alphabetic = subtag.bytes().all(|b| b.is_ascii_alphabetic());
            match subtag.len() {
                2 if alphabetic => canonical.push_str(&subtag.to_ascii_uppercase()),
                4 if alphabetic => {
                    let lower = subtag.to_ascii_lowercase();
                    let (first, rest) = lower.split_at(1);
                    canonical.push_str(&first.to_ascii_uppercase());
                    canonical.push_str(rest);
                }
                _ => canonical.push_str(&subtag.to_ascii_lowercase()),
            }
        }
        Some(Locale(canonical))
    }

    /// The tag, in canonical casing.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The tag and its ever shorter prefixes, most specific first:
    /// `zh-Hant-TW`, `zh-Hant`, `zh`.
    pub fn fallbacks(&self) -> impl Iterator<Item = &str> {
        let tag = self.0.as_str();
        std::iter::successors(Some(tag), |current| {
            current.rsplit_once('-').map(|(shorter, _)| shorter)
        })
    }
}

impl std::fmt::Display for Locale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(tag: &str) -> Option<String> {
        Locale::parse(tag).map(|locale| locale.as_str().to_owned())
    }

    #[test]
    fn normalises_casing_and_separators() {
        assert_eq!(canonical("en").as_deref(), Some("en"));
        assert_eq!(canonical(" pt_br ").as_deref(), Some("pt-BR"));
        assert_eq!(canonical("PT-br").as_deref(), Some("pt-BR"));
        assert_eq!(canonical("zh-hant-tw").as_deref(), Some("zh-Hant-TW"));
        assert_eq!(canonical("es-419").as_deref(), Some("es-419"));
    }

    #[test]
    fn refuses_what_is_not_a_tag() {
        for tag in [
            "",
            " ",
            "e",
            "1en",
            "en-",
            "en--US",
            "../en",
            "en/US",
            "en US",
            "<script>",
            "en-abcdefghi",
            "a-very-long-tag-with-too-many-subtags-x",
        ] {
            assert_eq!(Locale::parse(tag), None, "{tag:?}");
        }
    }

    #[test]
    fn falls_back_from_region_to_language() {
        let locale = Locale::parse("zh-Hant-TW").unwrap();
        assert_eq!(
            locale.fallbacks().collect::<Vec<_>>(),
            ["zh-Hant-TW", "zh-Hant", "zh"]
        );
        let locale = Locale::parse("en").unwrap();
        assert_eq!(locale.fallbacks().collect::<Vec<_>>(), ["en"]);
    }
}
