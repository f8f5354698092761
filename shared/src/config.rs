//! Configuration from environment variables, read and checked once at init.
//!
//! Every function builds its whole configuration before it serves the first
//! event, so a typo in a variable fails the cold start (reported through the
//! Runtime API's `/init/error`) instead of failing, or silently allowing,
//! requests later. Every error names the variable at fault.
//!
//! [`Env`] reads from the process environment in production and from a plain
//! list of pairs in tests, so the parsers are tested without touching global
//! state.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

/// A configuration value that is missing or malformed. The message always
/// starts with the variable's name, so the operator knows what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {reason}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub variable: String,
    /// What is wrong with it. Never the whole value: it may be a secret.
    pub reason: String,
}

impl ConfigError {
    /// A problem with `variable`.
    pub fn new(variable: &str, reason: impl Into<String>) -> Self {
        Self {
            variable: variable.to_owned(),
            reason: reason.into(),
        }
    }
}

/// Where configuration values come from.
pub struct Env {
    vars: HashMap<String, String>,
}

impl Env {
    /// The process environment, captured once.
    pub fn from_process() -> Self {
        Self {
            vars: std::env::vars().collect(),
        }
    }

    /// A fixed set of variables, for tests and tools.
    pub fn from_pairs<K: AsRef<str>, V: AsRef<str>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned()))
                .collect(),
        }
    }

    /// The trimmed value, or `None` when unset or blank. A blank value counts
    /// as unset because CloudFormation cannot omit a variable conditionally
    /// without a lot of ceremony, so templates pass `""` for "not set".
    pub fn optional(&self, name: &str) -> Option<String> {
        self.vars
            .get(name)
            .map(|value| value.trim())
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    }

    /// The trimmed value, which must be present and non-blank.
    pub fn required(&self, name: &str) -> Result<String, ConfigError> {
        self.optional(name)
            .ok_or_else(|| ConfigError::new(name, "is required but not set"))
    }

    /// A comma-separated list: items trimmed, blanks dropped. Unset is empty.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.optional(name)
            .map(|value| split_list(&value))
            .unwrap_or_default()
    }

    /// `true` or `false` (any casing), or `default` when unset. Anything else
    /// is an error rather than a guess: `BLOCK_DISPOSABLE_EMAILS=yes` must not
    /// silently mean "no".
    pub fn bool(&self, name: &str, default: bool) -> Result<bool, ConfigError> {
        match self.optional(name) {
            None => Ok(default),
            Some(value) if value.eq_ignore_ascii_case("true") => Ok(true),
            Some(value) if value.eq_ignore_ascii_case("false") => Ok(false),
            Some(_) => Err(ConfigError::new(name, "must be `true` or `false`")),
        }
    }

    /// A value parsed with [`FromStr`], or `default` when unset.
    pub fn parse<T>(&self, name: &str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: std::fmt::Display,
    {
        match self.optional(name) {
            None => Ok(default),
            Some(value) => value
                .parse()
                .map_err(|err| ConfigError::new(name, format!("cannot be parsed: {err}"))),
        }
    }

    /// A duration given as a whole number of milliseconds, within `range_ms`.
    pub fn millis(
        &self,
        name: &str,
        default: Duration,
        range_ms: std::ops::RangeInclusive<u64>,
    ) -> Result<Duration, ConfigError> {
        self.bounded_u64(name, default.as_millis() as u64, range_ms)
            .map(Duration::from_millis)
    }

    /// A duration given as a whole number of seconds, within `range_s`.
    pub fn seconds(
        &self,
        name: &str,
        default: Duration,
        range_s: std::ops::RangeInclusive<u64>,
    ) -> Result<Duration, ConfigError> {
        self.bounded_u64(name, default.as_secs(), range_s)
            .map(Duration::from_secs)
    }

    /// A whole number within `range`, or `default` when unset.
    pub fn bounded_u64(
        &self,
        name: &str,
        default: u64,
        range: std::ops::RangeInclusive<u64>,
    ) -> Result<u64, ConfigError> {
        let value = match self.optional(name) {
            None => return Ok(default),
            Some(value) => value
                .parse::<u64>()
                .map_err(|_| ConfigError::new(name, "must be a whole number"))?,
        };
        if range.contains(&value) {
            Ok(value)
        } else {
            Err(ConfigError::new(
                name,
                format!("must be between {} and {}", range.start(), range.end()),
            ))
        }
    }
}

/// Splits a comma-separated list, trimming items and dropping blanks.
pub fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn blank_counts_as_unset() {
        let env = env(&[("A", "  ")]);
        assert_eq!(env.optional("A"), None);
        assert_eq!(
            env.required("A").unwrap_err().to_string(),
            "A: is required but not set"
        );
    }

    #[test]
    fn lists_are_trimmed_and_drop_blanks() {
        let env = env(&[("L", " a, b ,,c ,")]);
        assert_eq!(env.list("L"), ["a", "b", "c"]);
        assert!(env.list("MISSING").is_empty());
    }

    #[test]
    fn bools_accept_only_true_or_false() {
        let env = env(&[("T", "TRUE"), ("F", "false"), ("X", "yes")]);
        assert!(env.bool("T", false).unwrap());
        assert!(!env.bool("F", true).unwrap());
        assert!(env.bool("UNSET", true).unwrap());
        let err = env.bool("X", false).unwrap_err();
        assert_eq!(err.variable, "X");
    }

    #[test]
    fn durations_are_bounded_and_named() {
        let env = env(&[("MS", "1500"), ("BIG", "999999"), ("NEG", "-1")]);
        let default = Duration::from_millis(10);
        assert_eq!(
            env.millis("MS", default, 1..=10_000).unwrap(),
            Duration::from_millis(1500)
        );
        assert_eq!(env.millis("UNSET", default, 1..=10_000).unwrap(), default);
        assert_eq!(
            env.millis("BIG", default, 1..=10_000)
                .unwrap_err()
                .to_string(),
            "BIG: must be between 1 and 10000"
        );
        assert_eq!(
            env.seconds("NEG", Duration::from_secs(1), 0..=10)
                .unwrap_err()
                .to_string(),
            "NEG: must be a whole number"
        );
    }
}
