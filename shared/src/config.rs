//! Configuration from environment variables: declared once, read and checked
//! once at init.
//!
//! Every variable a function reads is a [`Variable`] constant: its name, its
//! [`Kind`] (with the default and range), the line the README shows, and how
//! a deployment sets it ([`Deployment`]). That one declaration is what
//! parses the value ([`Env`] reads only through declarations), what the
//! README's configuration tables are checked against, and what the template
//! drift test compares `template.yaml` with. A variable therefore cannot be
//! read under one name, documented under another and deployed under a third.
//!
//! Every function builds its whole configuration before it serves the first
//! event, so a typo in a variable fails the cold start (reported through the
//! Runtime API's `/init/error`) instead of failing, or silently allowing,
//! requests later. Every error names the variable at fault.
//!
//! [`Env`] reads from the process environment in production and from a plain
//! list of pairs in tests, so the parsers are tested without touching global
//! state.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::ffi::OsString;
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
    /// A problem with `variable` (a [`Variable`], or the name of a file or
    /// setting that is not one).
    pub fn new(variable: impl AsRef<str>, reason: impl Into<String>) -> Self {
        Self {
            variable: variable.as_ref().to_owned(),
            reason: reason.into(),
        }
    }
}

/// What a variable holds, with its default and bounds: the parser and the
/// documentation both read them from here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text that must be set.
    Required,
    /// Text that may be unset; what unset means is in [`Variable::unset`].
    Optional,
    /// Text with a default.
    Text {
        /// The value when unset.
        default: &'static str,
    },
    /// A comma-separated list; unset is empty.
    List,
    /// `true` or `false`.
    Flag {
        /// The value when unset.
        default: bool,
    },
    /// A whole number within `min..=max`.
    Whole {
        /// The value when unset.
        default: u64,
        /// The least value accepted.
        min: u64,
        /// The greatest value accepted.
        max: u64,
        /// What the number counts.
        unit: Unit,
    },
    /// One of a fixed set of words, compared exactly.
    Choice {
        /// The value when unset; one of `values`.
        default: &'static str,
        /// Every value accepted.
        values: &'static [&'static str],
    },
}

/// What a [`Kind::Whole`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A plain count (bytes, entries, attempts).
    Count,
    /// Seconds.
    Seconds,
    /// Milliseconds.
    Millis,
}

/// How a deployment gives a variable its value: what the template drift
/// test holds `template.yaml` to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deployment {
    /// `template.yaml` sets it (from a parameter or a resource).
    Template,
    /// The template leaves it unset on purpose, for the reason given: the
    /// default is right for a deployment, or it exists for local runs.
    Default(&'static str),
    /// Lambda sets it itself (a reserved variable, or one derived from the
    /// function's settings); a template cannot.
    Lambda,
}

/// One environment variable, declared once. See the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variable {
    /// The variable's name.
    pub name: &'static str,
    /// What it holds, with its default and bounds.
    pub kind: Kind,
    /// For [`Kind::Optional`] and [`Kind::List`]: what unset means, as the
    /// README's default column says it (`""` for plain "unset").
    pub unset: &'static str,
    /// An example value, as the README shows it (`""` for none).
    pub example: &'static str,
    /// What it does: the README's "meaning" column, in Markdown.
    pub meaning: &'static str,
    /// How a deployment sets it.
    pub deployment: Deployment,
}

impl Variable {
    /// A declaration set by the template, with no example yet; chain the
    /// `const fn` setters below to complete it.
    pub const fn new(name: &'static str, kind: Kind, meaning: &'static str) -> Self {
        Self {
            name,
            kind,
            unset: "",
            example: "",
            meaning,
            deployment: Deployment::Template,
        }
    }

    /// The README's example.
    pub const fn example(mut self, example: &'static str) -> Self {
        self.example = example;
        self
    }

    /// What unset means, for optional text and lists.
    pub const fn unset(mut self, unset: &'static str) -> Self {
        self.unset = unset;
        self
    }

    /// Left at its default by the template, for `why`.
    pub const fn defaulted(mut self, why: &'static str) -> Self {
        self.deployment = Deployment::Default(why);
        self
    }

    /// Set by Lambda itself.
    pub const fn set_by_lambda(mut self) -> Self {
        self.deployment = Deployment::Lambda;
        self
    }

    /// The README's default column: `**required**`, the default with its
    /// range, or what unset means.
    pub fn default_text(&self) -> String {
        let unset = |what: &str| {
            if what.is_empty() {
                "unset".to_owned()
            } else {
                format!("unset ({what})")
            }
        };
        match self.kind {
            Kind::Required => "**required**".to_owned(),
            Kind::Optional | Kind::List => unset(self.unset),
            Kind::Text { default } | Kind::Choice { default, .. } => format!("`{default}`"),
            Kind::Flag { default } => format!("`{default}`"),
            Kind::Whole {
                default, min, max, ..
            } => format!("`{default}` ({min}–{max})"),
        }
    }
}

impl std::fmt::Display for Variable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl AsRef<str> for Variable {
    fn as_ref(&self) -> &str {
        self.name
    }
}

/// Every variable one function reads, in groups: its own, and the shared
/// crate's that it uses (the verifier's, the AWS call budget's,
/// [`EVERY_FUNCTION`]).
pub type Declarations = &'static [&'static [Variable]];

/// `AWS_LAMBDA_LOG_LEVEL`: the log level when `RUST_LOG` is unset. Read by
/// [`crate::logging`] before anything else, so that init itself is logged.
pub const LOG_LEVEL: Variable = Variable::new(
    "AWS_LAMBDA_LOG_LEVEL",
    Kind::Text { default: "info" },
    "Log level when `RUST_LOG` is unset, set by Lambda from the function's `ApplicationLogLevel`. `fatal` reads as `error`. Payload logs of the runtime and the AWS SDK (tokens, request bodies) stay capped at `debug`.",
)
.example("`debug`")
.set_by_lambda();

/// `RUST_LOG`: the log level (a `tracing` filter). It wins over
/// `AWS_LAMBDA_LOG_LEVEL` because Lambda's own filter must stay at a level
/// that passes the metric lines (see [`crate::logging`]): the operator's
/// level is applied by the function instead.
pub const RUST_LOG: Variable = Variable::new(
    "RUST_LOG",
    Kind::Optional,
    "Log level or `tracing` filter; the template sets it from `LogLevel`, and it wins over `AWS_LAMBDA_LOG_LEVEL`. Metric lines are printed at every level. Payload logs stay capped at `debug`.",
)
.unset("`AWS_LAMBDA_LOG_LEVEL`'s")
.example("`info,authorizer=debug`");

/// The variables every function reads.
pub const EVERY_FUNCTION: &[Variable] = &[LOG_LEVEL, RUST_LOG, crate::metrics::METRICS_NAMESPACE];

/// Every declaration of `declarations`, in order.
pub fn all(declarations: Declarations) -> impl Iterator<Item = &'static Variable> {
    declarations.iter().flat_map(|group| group.iter())
}

/// Where configuration values come from.
pub struct Env {
    vars: HashMap<String, String>,
    /// The declarations a process environment was read for: reading any
    /// other variable is a bug, reported as an error naming it. `None` for
    /// [`Env::from_pairs`], which tests hand only what they mean to set.
    declared: Option<Declarations>,
    /// Every name asked for, set or not: what a test compares with the
    /// declarations ([`Env::names_read`]).
    read: RefCell<BTreeSet<&'static str>>,
}

impl Env {
    /// The process environment, captured once: the value of every declared
    /// variable. A declared variable that is not valid UTF-8 is an error
    /// naming it (one the function does not read is none of its business,
    /// where `std::env::vars` would have panicked on it).
    pub fn from_process(declarations: Declarations) -> Result<Self, ConfigError> {
        Self::from_os_pairs(
            declarations,
            all(declarations).filter_map(|variable| {
                #[expect(
                    clippy::disallowed_methods,
                    reason = "the one place that reads the process environment"
                )]
                let value = std::env::var_os(variable.name);
                value.map(|value| (variable.name, value))
            }),
        )
    }

    fn from_os_pairs(
        declarations: Declarations,
        pairs: impl IntoIterator<Item = (&'static str, OsString)>,
    ) -> Result<Self, ConfigError> {
        let mut vars = HashMap::new();
        for (name, value) in pairs {
            let value = value
                .into_string()
                .map_err(|_| ConfigError::new(name, "is not valid UTF-8"))?;
            vars.insert(name.to_owned(), value);
        }
        Ok(Self {
            vars,
            declared: Some(declarations),
            read: RefCell::default(),
        })
    }

    /// `pairs` as a process environment read for `declarations`: reading an
    /// undeclared name is the same error as in production. With
    /// [`Env::names_read`], a test can check that a function's
    /// configuration reads exactly what it declares.
    pub fn declared_with_pairs<K: AsRef<str>, V: AsRef<str>>(
        declarations: Declarations,
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        let mut env = Self::from_pairs(pairs);
        env.declared = Some(declarations);
        env
    }

    /// Every variable asked for so far, whether or not it was set.
    pub fn names_read(&self) -> BTreeSet<&'static str> {
        self.read.borrow().clone()
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
            declared: None,
            read: RefCell::default(),
        }
    }

    /// The raw value, trimmed, or `None` when unset or blank. A blank value
    /// counts as unset because CloudFormation cannot omit a variable
    /// conditionally without a lot of ceremony, so templates pass `""` for
    /// "not set".
    fn value(&self, variable: &Variable) -> Result<Option<String>, ConfigError> {
        self.read.borrow_mut().insert(variable.name);
        if let Some(declarations) = self.declared
            && !all(declarations).any(|declared| declared.name == variable.name)
        {
            return Err(ConfigError::new(
                variable,
                "is read but not declared among this function's variables (a bug)",
            ));
        }
        Ok(self
            .vars
            .get(variable.name)
            .map(|value| value.trim())
            .filter(|value| !value.is_empty())
            .map(str::to_owned))
    }

    /// Whether the variable has a non-blank value, whatever its kind: for a
    /// variable that only makes sense together with another.
    pub fn is_set(&self, variable: Variable) -> Result<bool, ConfigError> {
        Ok(self.value(&variable)?.is_some())
    }

    /// A variable read as a kind it was not declared with: a bug, reported
    /// as an error rather than a panic.
    fn misread(variable: &Variable, as_kind: &str) -> ConfigError {
        ConfigError::new(
            variable,
            format!(
                "is declared as {:?} but read as {as_kind} (a bug)",
                variable.kind
            ),
        )
    }

    /// An optional text ([`Kind::Optional`]): `None` when unset or blank.
    pub fn optional(&self, variable: Variable) -> Result<Option<String>, ConfigError> {
        match variable.kind {
            Kind::Optional => self.value(&variable),
            _ => Err(Self::misread(&variable, "optional text")),
        }
    }

    /// A required text ([`Kind::Required`]), present and non-blank.
    pub fn required(&self, variable: Variable) -> Result<String, ConfigError> {
        match variable.kind {
            Kind::Required => self
                .value(&variable)?
                .ok_or_else(|| ConfigError::new(variable, "is required but not set")),
            _ => Err(Self::misread(&variable, "required text")),
        }
    }

    /// A text with a default ([`Kind::Text`]).
    pub fn text(&self, variable: Variable) -> Result<String, ConfigError> {
        match variable.kind {
            Kind::Text { default } => {
                Ok(self.value(&variable)?.unwrap_or_else(|| default.to_owned()))
            }
            _ => Err(Self::misread(&variable, "text")),
        }
    }

    /// A comma-separated list ([`Kind::List`]): items trimmed, blanks
    /// dropped. Unset is empty. A required list is declared
    /// [`Kind::Required`] and read with [`Env::required_list`].
    pub fn list(&self, variable: Variable) -> Result<Vec<String>, ConfigError> {
        match variable.kind {
            Kind::List => Ok(self
                .value(&variable)?
                .map(|value| split_list(&value))
                .unwrap_or_default()),
            _ => Err(Self::misread(&variable, "a list")),
        }
    }

    /// A required comma-separated list ([`Kind::Required`]) with at least
    /// one item.
    pub fn required_list(&self, variable: Variable) -> Result<Vec<String>, ConfigError> {
        let items = split_list(&self.required(variable)?);
        if items.is_empty() {
            return Err(ConfigError::new(variable, "lists nothing"));
        }
        Ok(items)
    }

    /// `true` or `false` (any casing) ([`Kind::Flag`]). Anything else is an
    /// error rather than a guess: `BLOCK_DISPOSABLE_EMAILS=yes` must not
    /// silently mean "no".
    pub fn flag(&self, variable: Variable) -> Result<bool, ConfigError> {
        let Kind::Flag { default } = variable.kind else {
            return Err(Self::misread(&variable, "a flag"));
        };
        match self.value(&variable)? {
            None => Ok(default),
            Some(value) if value.eq_ignore_ascii_case("true") => Ok(true),
            Some(value) if value.eq_ignore_ascii_case("false") => Ok(false),
            Some(_) => Err(ConfigError::new(variable, "must be `true` or `false`")),
        }
    }

    /// One of the declared words ([`Kind::Choice`]), exactly as declared.
    pub fn choice(&self, variable: Variable) -> Result<&'static str, ConfigError> {
        let Kind::Choice { default, values } = variable.kind else {
            return Err(Self::misread(&variable, "a choice"));
        };
        match self.value(&variable)? {
            None => Ok(default),
            Some(value) => values
                .iter()
                .find(|candidate| **candidate == value)
                .copied()
                .ok_or_else(|| ConfigError::new(variable, format!("must be {}", or_list(values)))),
        }
    }

    /// Like [`Env::choice`], in any casing: for variables that have always
    /// been read that way.
    pub fn choice_ignoring_case(&self, variable: Variable) -> Result<&'static str, ConfigError> {
        let Kind::Choice { values, .. } = variable.kind else {
            return Err(Self::misread(&variable, "a choice"));
        };
        match self.value(&variable)? {
            Some(value) => values
                .iter()
                .find(|candidate| candidate.eq_ignore_ascii_case(&value))
                .copied()
                .ok_or_else(|| ConfigError::new(variable, format!("must be {}", or_list(values)))),
            None => self.choice(variable),
        }
    }

    /// A value of an [`Kind::Optional`] variable parsed with [`FromStr`].
    pub fn parse<T>(&self, variable: Variable) -> Result<Option<T>, ConfigError>
    where
        T: FromStr,
        T::Err: std::fmt::Display,
    {
        self.optional(variable)?
            .map(|value| {
                value
                    .parse()
                    .map_err(|err| ConfigError::new(variable, format!("cannot be parsed: {err}")))
            })
            .transpose()
    }

    /// A whole number within the declared bounds ([`Kind::Whole`]).
    pub fn whole(&self, variable: Variable) -> Result<u64, ConfigError> {
        let Kind::Whole { default, .. } = variable.kind else {
            return Err(Self::misread(&variable, "a whole number"));
        };
        self.whole_or(variable, default)
    }

    /// Like [`Env::whole`], with a default that depends on another variable
    /// (the declaration's default is the one the documentation states).
    pub fn whole_or(&self, variable: Variable, default: u64) -> Result<u64, ConfigError> {
        let Kind::Whole { min, max, .. } = variable.kind else {
            return Err(Self::misread(&variable, "a whole number"));
        };
        let value = match self.value(&variable)? {
            None => return Ok(default),
            Some(value) => value
                .parse::<u64>()
                .map_err(|_| ConfigError::new(variable, "must be a whole number"))?,
        };
        if (min..=max).contains(&value) {
            Ok(value)
        } else {
            Err(ConfigError::new(
                variable,
                format!("must be between {min} and {max}"),
            ))
        }
    }

    /// A duration ([`Kind::Whole`] in [`Unit::Seconds`] or [`Unit::Millis`]).
    pub fn duration(&self, variable: Variable) -> Result<Duration, ConfigError> {
        let Kind::Whole { default, .. } = variable.kind else {
            return Err(Self::misread(&variable, "a duration"));
        };
        self.duration_or(variable, default)
    }

    /// Like [`Env::duration`], with a default (in the declared unit) that
    /// depends on another variable.
    pub fn duration_or(&self, variable: Variable, default: u64) -> Result<Duration, ConfigError> {
        match variable.kind {
            Kind::Whole {
                unit: Unit::Seconds,
                ..
            } => self.whole_or(variable, default).map(Duration::from_secs),
            Kind::Whole {
                unit: Unit::Millis, ..
            } => self.whole_or(variable, default).map(Duration::from_millis),
            _ => Err(Self::misread(&variable, "a duration")),
        }
    }
}

/// `` `a`, `b` or `c` ``: the words a [`Kind::Choice`] accepts, as an error
/// message lists them.
fn or_list(values: &[&str]) -> String {
    let quoted: Vec<String> = values.iter().map(|value| format!("`{value}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.concat(),
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
mod tests;
