//! Configuration from environment variables: declared once, read and checked
//! once at init.
//!
//! Every variable a function reads is a [`Var`] constant, written with
//! [`declare!`]: its name (spelled once, as the constant's), its kind (a type
//! carrying the default and range, so reading returns the right type), its
//! rustdoc (which is also the "meaning" column of docs/configuration.md),
//! and how a deployment sets it ([`Deployment`]). That one declaration is
//! what parses the value ([`Env::get`]), what docs/configuration.md's tables
//! are generated from, and what the template drift test compares `template.yaml`
//! with. A variable therefore cannot be read under one name, documented under
//! another and deployed under a third, nor read as a type it was not
//! declared with: that does not compile.
//!
//! Every function builds its whole configuration before it serves the first
//! event, so a typo in a variable fails the cold start (reported through the
//! Runtime API's `/init/error`) instead of failing, or silently allowing,
//! requests later. Every error starts with the variable's name.
//!
//! [`Env`] reads from the process environment in production and from a plain
//! list of pairs in tests, so the parsers are tested without touching global
//! state.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::ffi::OsString;
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
    /// A problem with `variable` (a [`Var`], or the name of a file or
    /// setting that is not one).
    pub fn new(variable: impl AsRef<str>, reason: impl Into<String>) -> Self {
        Self {
            variable: variable.as_ref().to_owned(),
            reason: reason.into(),
        }
    }
}

/// What a variable holds: how its raw text (`None` when unset or blank) is
/// read, and how docs/configuration.md states its default.
pub trait Kind: Copy + 'static {
    /// What reading the variable gives.
    type Value;
    /// The value of `raw`, or why it is refused (the error's text after the
    /// variable's name).
    fn read(&self, raw: Option<&str>) -> Result<Self::Value, String>;
    /// The documented default column; `unset` says what unset means, for the
    /// kinds that may be unset (`""` for plain "unset").
    fn default_text(&self, unset: &str) -> String;
}

/// `unset`, or `unset (what)`.
fn unset_text(what: &str) -> String {
    if what.is_empty() {
        "unset".to_owned()
    } else {
        format!("unset ({what})")
    }
}

/// Text that must be set.
#[derive(Debug, Clone, Copy)]
pub struct Required;

impl Kind for Required {
    type Value = String;
    fn read(&self, raw: Option<&str>) -> Result<String, String> {
        raw.map(str::to_owned)
            .ok_or_else(|| "is required but not set".to_owned())
    }
    fn default_text(&self, _: &str) -> String {
        "**required**".to_owned()
    }
}

/// Text that may be unset; what unset means is in [`Var::unset`].
#[derive(Debug, Clone, Copy)]
pub struct Optional;

impl Kind for Optional {
    type Value = Option<String>;
    fn read(&self, raw: Option<&str>) -> Result<Option<String>, String> {
        Ok(raw.map(str::to_owned))
    }
    fn default_text(&self, unset: &str) -> String {
        unset_text(unset)
    }
}

/// Text with a default.
#[derive(Debug, Clone, Copy)]
pub struct Text {
    /// The value when unset.
    pub default: &'static str,
}

impl Kind for Text {
    type Value = String;
    fn read(&self, raw: Option<&str>) -> Result<String, String> {
        Ok(raw.unwrap_or(self.default).to_owned())
    }
    fn default_text(&self, _: &str) -> String {
        format!("`{}`", self.default)
    }
}

/// A comma-separated list: items trimmed, blanks dropped; unset is empty.
#[derive(Debug, Clone, Copy)]
pub struct List;

impl Kind for List {
    type Value = Vec<String>;
    fn read(&self, raw: Option<&str>) -> Result<Vec<String>, String> {
        Ok(raw.map(split_list).unwrap_or_default())
    }
    fn default_text(&self, unset: &str) -> String {
        unset_text(unset)
    }
}

/// `true` or `false`, in any casing. Anything else is an error rather than a
/// guess: `BLOCK_DISPOSABLE_EMAILS=yes` must not silently mean "no".
#[derive(Debug, Clone, Copy)]
pub struct Flag {
    /// The value when unset.
    pub default: bool,
}

impl Kind for Flag {
    type Value = bool;
    fn read(&self, raw: Option<&str>) -> Result<bool, String> {
        match raw {
            None => Ok(self.default),
            Some(value) if value.eq_ignore_ascii_case("true") => Ok(true),
            Some(value) if value.eq_ignore_ascii_case("false") => Ok(false),
            Some(_) => Err("must be `true` or `false`".to_owned()),
        }
    }
    fn default_text(&self, _: &str) -> String {
        format!("`{}`", self.default)
    }
}

/// A whole number within `min..=max`.
#[derive(Debug, Clone, Copy)]
pub struct Count {
    /// The value when unset.
    pub default: u64,
    /// The least value accepted.
    pub min: u64,
    /// The greatest value accepted.
    pub max: u64,
}

impl Kind for Count {
    type Value = u64;
    fn read(&self, raw: Option<&str>) -> Result<u64, String> {
        let Some(raw) = raw else {
            return Ok(self.default);
        };
        let value = raw
            .parse::<u64>()
            .map_err(|_| "must be a whole number".to_owned())?;
        if (self.min..=self.max).contains(&value) {
            Ok(value)
        } else {
            Err(format!("must be between {} and {}", self.min, self.max))
        }
    }
    fn default_text(&self, _: &str) -> String {
        format!("`{}` ({}–{})", self.default, self.min, self.max)
    }
}

/// A duration: a whole number of units of `MS` milliseconds within
/// `min..=max`, bounded and documented as a [`Count`] of them.
#[derive(Debug, Clone, Copy)]
pub struct Span<const MS: u64> {
    /// The value when unset, in units.
    pub default: u64,
    /// The least value accepted.
    pub min: u64,
    /// The greatest value accepted.
    pub max: u64,
}

/// A duration in whole seconds.
pub type Seconds = Span<1000>;
/// A duration in whole milliseconds.
pub type Millis = Span<1>;

impl<const MS: u64> Kind for Span<MS> {
    type Value = Duration;
    fn read(&self, raw: Option<&str>) -> Result<Duration, String> {
        let Self { default, min, max } = *self;
        let units = Count { default, min, max }.read(raw)?;
        Ok(Duration::from_millis(units.saturating_mul(MS)))
    }
    fn default_text(&self, unset: &str) -> String {
        let Self { default, min, max } = *self;
        Count { default, min, max }.default_text(unset)
    }
}

/// An enum whose variants are the words a [`Choice`] accepts: written with
/// [`choices!`], which derives this from the variants.
pub trait Choices: Copy + Eq + 'static {
    /// Every variant, in declaration order.
    const ALL: &'static [Self];
    /// The word that stands for this variant.
    fn word(self) -> &'static str;
}

/// One of the words of an enum ([`Choices`]), exactly as declared or (for
/// variables that have always been read that way) in any casing.
#[derive(Debug, Clone, Copy)]
pub struct Choice<E> {
    /// The value when unset.
    pub default: E,
    /// Whether `ALL` and `all` are the same word.
    pub any_case: bool,
}

impl<E: Choices> Choice<E> {
    /// Exactly one of the words.
    pub const fn exact(default: E) -> Self {
        Self {
            default,
            any_case: false,
        }
    }

    /// One of the words, in any casing.
    pub const fn any_case(default: E) -> Self {
        Self {
            default,
            any_case: true,
        }
    }
}

impl<E: Choices> Kind for Choice<E> {
    type Value = E;
    fn read(&self, raw: Option<&str>) -> Result<E, String> {
        let Some(raw) = raw else {
            return Ok(self.default);
        };
        E::ALL
            .iter()
            .copied()
            .find(|choice| {
                if self.any_case {
                    choice.word().eq_ignore_ascii_case(raw)
                } else {
                    choice.word() == raw
                }
            })
            .ok_or_else(|| {
                let quoted: Vec<String> = E::ALL
                    .iter()
                    .map(|choice| format!("`{}`", choice.word()))
                    .collect();
                match quoted.split_last() {
                    Some((last, rest)) if !rest.is_empty() => {
                        format!("must be {} or {last}", rest.join(", "))
                    }
                    _ => format!("must be {}", quoted.concat()),
                }
            })
    }
    fn default_text(&self, _: &str) -> String {
        format!("`{}`", self.default.word())
    }
}

/// An enum of the words a [`Choice`] accepts, each variant with its word:
/// the enum, `Debug`, `Clone`, `Copy`, `PartialEq`, `Eq` and [`Choices`].
/// Reading gives the enum, so a word nothing handles does not compile.
///
/// ```
/// cognito_auth_core::config::choices! {
///     /// What a failed read does.
///     pub enum OnError { Omit = "omit", Refuse = "refuse" }
/// }
/// ```
#[macro_export]
macro_rules! choices {
    ($(#[$meta:meta])* $vis:vis enum $name:ident {
        $($(#[$variant_meta:meta])* $variant:ident = $word:literal),+ $(,)?
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        $vis enum $name { $($(#[$variant_meta])* $variant),+ }

        impl $crate::config::Choices for $name {
            const ALL: &'static [Self] = &[$(Self::$variant),+];
            fn word(self) -> &'static str {
                match self { $(Self::$variant => $word),+ }
            }
        }
    };
}
pub use crate::choices;

/// Declares variables, each with its rustdoc (the documented meaning), its
/// type and kind, and then any of [`Var`]'s setters (`unset`, `example`,
/// `defaulted`, `set_by_lambda`), comma-separated:
///
/// ```
/// use cognito_auth_core::config::{declare, List};
/// declare! {
///     /// Only these domains may sign up.
///     pub ALLOWED_EMAIL_DOMAINS: List = List, unset "any domain", example "`example.com`";
/// }
/// ```
#[macro_export]
macro_rules! declare {
    ($(
        $(#[doc = $doc:literal])*
        $vis:vis $name:ident: $kind:ty = $value:expr $(, $setter:ident $($argument:expr)?)*;
    )*) => {$(
        $(#[doc = $doc])*
        $vis const $name: $crate::config::Var<$kind> =
            $crate::config::Var::new(stringify!($name), $value, &[$($doc),*])
                $(.$setter($($argument)?))*;
    )*};
}
pub use crate::declare;

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

/// One environment variable of kind `K`, declared once (with [`declare!`]).
#[derive(Debug, Clone, Copy)]
pub struct Var<K> {
    /// The variable's name.
    pub name: &'static str,
    /// What it holds, with its default and bounds.
    pub kind: K,
    /// What unset means, for optional text and lists, as the documented
    /// default column says it (`""` for plain "unset").
    pub unset: &'static str,
    /// An example value, as docs/configuration.md shows it (`""` for none).
    pub example: &'static str,
    /// What it does, in Markdown: its rustdoc, line by line.
    pub meaning: &'static [&'static str],
    /// How a deployment sets it.
    pub deployment: Deployment,
}

impl<K: Kind> Var<K> {
    /// A declaration set by the template, with no example yet; chain the
    /// `const fn` setters below to complete it.
    pub const fn new(name: &'static str, kind: K, meaning: &'static [&'static str]) -> Self {
        Self {
            name,
            kind,
            unset: "",
            example: "",
            meaning,
            deployment: Deployment::Template,
        }
    }

    /// The documented example.
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
}

impl<K> std::fmt::Display for Var<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl<K> AsRef<str> for Var<K> {
    fn as_ref(&self) -> &str {
        self.name
    }
}

/// A declaration whatever its kind: what the configuration tables, the template
/// drift test and the check that a function reads what it declares list.
pub trait Declared {
    /// The variable's name.
    fn name(&self) -> &'static str;
    /// The documented default column: `**required**`, the default with its
    /// range, or what unset means.
    fn default_text(&self) -> String;
    /// The documented example (`""` for none).
    fn example(&self) -> &'static str;
    /// The documented meaning: the rustdoc joined into one line.
    fn meaning(&self) -> String;
    /// How a deployment sets it.
    fn deployment(&self) -> Deployment;
}

impl<K: Kind> Declared for Var<K> {
    fn name(&self) -> &'static str {
        self.name
    }
    fn default_text(&self) -> String {
        self.kind.default_text(self.unset)
    }
    fn example(&self) -> &'static str {
        self.example
    }
    fn meaning(&self) -> String {
        let lines: Vec<&str> = self.meaning.iter().map(|line| line.trim()).collect();
        lines.join(" ")
    }
    fn deployment(&self) -> Deployment {
        self.deployment
    }
}

/// Every variable one function reads, in groups: its own, and the shared
/// crate's that it uses (the verifier's, the AWS call budget's,
/// [`crate::init::EVERY_FUNCTION`]).
pub type Declarations = &'static [&'static [&'static dyn Declared]];

/// A function's whole configuration: what it declares, and how it is read
/// from those variables. [`crate::function::run`] reads it once at init
/// (a bad value fails the cold start, naming the variable), and tests read
/// it from a few pairs, through the same code.
pub trait FromEnv: Sized {
    /// Every variable the configuration reads, the shared ones included:
    /// what the process environment is captured for, what the template
    /// drift test holds `template.yaml` to, and what the configuration
    /// tables are rendered from.
    const VARIABLES: Declarations;

    /// The configuration, or the first variable at fault.
    fn from_env(env: &Env) -> Result<Self, ConfigError>;

    /// The configuration of the process environment.
    fn from_process() -> Result<Self, ConfigError> {
        Self::from_env(&Env::from_process(Self::VARIABLES)?)
    }
}

/// Every declaration of `declarations`, in order.
pub fn all(declarations: Declarations) -> impl Iterator<Item = &'static dyn Declared> {
    declarations.iter().flat_map(|group| group.iter().copied())
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
                let value = std::env::var_os(variable.name());
                value.map(|value| (variable.name(), value))
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
    fn raw(&self, name: &'static str) -> Result<Option<&str>, ConfigError> {
        self.read.borrow_mut().insert(name);
        if let Some(declarations) = self.declared
            && !all(declarations).any(|declared| declared.name() == name)
        {
            return Err(ConfigError::new(
                name,
                "is read but not declared among this function's variables (a bug)",
            ));
        }
        Ok(self
            .vars
            .get(name)
            .map(|value| value.trim())
            .filter(|value| !value.is_empty()))
    }

    /// The value of `variable`, read as its kind says.
    pub fn get<K: Kind>(&self, variable: &Var<K>) -> Result<K::Value, ConfigError> {
        let raw = self.raw(variable.name)?;
        variable
            .kind
            .read(raw)
            .map_err(|reason| ConfigError::new(variable, reason))
    }

    /// Like [`Env::get`], with a default that depends on another variable
    /// (the declaration's default is the one the documentation states).
    pub fn get_or<K: Kind>(
        &self,
        variable: &Var<K>,
        default: K::Value,
    ) -> Result<K::Value, ConfigError> {
        match self.raw(variable.name)? {
            None => Ok(default),
            raw => variable
                .kind
                .read(raw)
                .map_err(|reason| ConfigError::new(variable, reason)),
        }
    }

    /// Whether the variable has a non-blank value, whatever its kind: for a
    /// variable that only makes sense together with another.
    pub fn is_set<K>(&self, variable: &Var<K>) -> Result<bool, ConfigError> {
        Ok(self.raw(variable.name)?.is_some())
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
    //! Declarations and the reader: kinds, bounds, what counts as unset, and
    //! what a process environment may and may not hold.

    use super::*;

    choices! {
        /// A test choice.
        enum Mode { A = "a", B = "b" }
    }

    declare! {
        /// text
        TEXT: Optional = Optional;
        /// needed
        NEEDED: Required = Required;
        /// list
        LIST: List = List;
        /// flag
        ON: Flag = Flag { default: true };
        /// flag
        OFF: Flag = Flag { default: false };
        /// ms
        MILLIS: Millis = Millis { default: 10, min: 1, max: 10_000 };
        /// s
        SECONDS: Seconds = Seconds { default: 1, min: 0, max: 10 };
        /// mode
        MODE: Choice<Mode> = Choice::exact(Mode::A);
        /// mode, any casing
        LOOSE: Choice<Mode> = Choice::any_case(Mode::A);
    }

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn blank_counts_as_unset() {
        let env = env(&[("TEXT", "  "), ("NEEDED", "")]);
        assert_eq!(env.get(&TEXT).unwrap(), None);
        assert_eq!(
            env.get(&NEEDED).unwrap_err().to_string(),
            "NEEDED: is required but not set"
        );
    }

    #[test]
    fn lists_are_trimmed_and_drop_blanks() {
        let env = env(&[("LIST", " a, b ,,c ,")]);
        assert_eq!(env.get(&LIST).unwrap(), ["a", "b", "c"]);
        assert!(
            Env::from_pairs::<&str, &str>([])
                .get(&LIST)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn flags_accept_only_true_or_false() {
        assert!(env(&[("OFF", "TRUE")]).get(&OFF).unwrap());
        assert!(!env(&[("ON", "false")]).get(&ON).unwrap());
        assert!(env(&[]).get(&ON).unwrap());
        assert!(!env(&[]).get(&OFF).unwrap());
        let err = env(&[("ON", "yes")]).get(&ON).unwrap_err();
        assert_eq!(err.variable, "ON");
    }

    #[test]
    fn durations_are_bounded_and_named() {
        let env = env(&[("MILLIS", "1500"), ("SECONDS", "-1")]);
        assert_eq!(env.get(&MILLIS).unwrap(), Duration::from_millis(1500));
        assert_eq!(
            Env::from_pairs::<&str, &str>([]).get(&MILLIS).unwrap(),
            Duration::from_millis(10)
        );
        assert_eq!(
            Env::from_pairs([("MILLIS", "999999")])
                .get(&MILLIS)
                .unwrap_err()
                .to_string(),
            "MILLIS: must be between 1 and 10000"
        );
        assert_eq!(
            env.get(&SECONDS).unwrap_err().to_string(),
            "SECONDS: must be a whole number"
        );
        assert_eq!(
            Env::from_pairs([("SECONDS", "0")]).get(&SECONDS).unwrap(),
            Duration::ZERO
        );
    }

    #[test]
    fn a_default_that_depends_on_another_variable_applies_only_when_unset() {
        let fallback = Duration::from_millis(7);
        assert_eq!(env(&[]).get_or(&MILLIS, fallback).unwrap(), fallback);
        assert_eq!(
            env(&[("MILLIS", "20")]).get_or(&MILLIS, fallback).unwrap(),
            Duration::from_millis(20)
        );
        assert_eq!(
            env(&[("MILLIS", "0")])
                .get_or(&MILLIS, fallback)
                .unwrap_err()
                .to_string(),
            "MILLIS: must be between 1 and 10000"
        );
    }

    #[test]
    fn choices_are_exact() {
        assert_eq!(env(&[]).get(&MODE).unwrap(), Mode::A);
        assert_eq!(env(&[("MODE", " b ")]).get(&MODE).unwrap(), Mode::B);
        assert_eq!(
            env(&[("MODE", "B")]).get(&MODE).unwrap_err().to_string(),
            "MODE: must be `a` or `b`"
        );
    }

    #[test]
    fn choices_read_in_any_casing_only_where_declared_so() {
        assert_eq!(env(&[("LOOSE", "B")]).get(&LOOSE).unwrap(), Mode::B);
        assert_eq!(
            env(&[("LOOSE", "c")]).get(&LOOSE).unwrap_err().to_string(),
            "LOOSE: must be `a` or `b`"
        );
    }

    const DECLARED: Declarations = &[&[&TEXT, &NEEDED]];

    #[test]
    fn a_process_environment_reads_only_declared_variables() {
        let env = Env::from_os_pairs(DECLARED, [("TEXT", OsString::from("x"))]).unwrap();
        assert_eq!(env.get(&TEXT).unwrap().as_deref(), Some("x"));
        let err = env.get(&LIST).unwrap_err();
        assert_eq!(err.variable, "LIST");
        assert!(err.reason.contains("not declared"), "{err}");
    }

    #[test]
    fn names_read_are_recorded_set_or_not() {
        let env = Env::declared_with_pairs(DECLARED, [("TEXT", "x")]);
        env.get(&TEXT).unwrap();
        assert!(env.get(&NEEDED).is_err());
        assert_eq!(env.names_read(), BTreeSet::from(["NEEDED", "TEXT"]));
        assert!(env.get(&LIST).unwrap_err().reason.contains("not declared"));
    }

    #[test]
    fn a_declared_variable_that_is_not_utf8_is_named() {
        use std::os::unix::ffi::OsStringExt;
        let bad = OsString::from_vec(vec![b'a', 0xff, b'b']);
        let err = match Env::from_os_pairs(DECLARED, [("NEEDED", bad)]) {
            Ok(_) => panic!("a non-UTF-8 value was accepted"),
            Err(err) => err,
        };
        assert_eq!(err.to_string(), "NEEDED: is not valid UTF-8");
    }

    #[test]
    fn the_process_environment_is_read_for_the_declared_names() {
        // PATH is set in every test process; nothing declares HOME here.
        declare! {
            /// path
            PATH: Optional = Optional;
        }
        let env = Env::from_process(&[&[&PATH]]).unwrap();
        assert!(env.get(&PATH).unwrap().is_some());
        assert!(env.vars.keys().all(|name| name == "PATH"));
    }

    #[test]
    fn default_text_states_the_declared_default() {
        assert_eq!(NEEDED.default_text(), "**required**");
        assert_eq!(TEXT.default_text(), "unset");
        assert_eq!(TEXT.unset("no link").default_text(), "unset (no link)");
        assert_eq!(ON.default_text(), "`true`");
        assert_eq!(SECONDS.default_text(), "`1` (0–10)");
        assert_eq!(MODE.default_text(), "`a`");
    }

    #[test]
    fn the_meaning_is_the_rustdoc_joined_into_one_line() {
        declare! {
            /// First line,
            /// second line.
            TWO_LINES: Optional = Optional, example "`x`", defaulted "why";
        }
        assert_eq!(TWO_LINES.meaning(), "First line, second line.");
        assert_eq!(TWO_LINES.name(), "TWO_LINES");
        assert_eq!(Declared::example(&TWO_LINES), "`x`");
        assert_eq!(TWO_LINES.deployment(), Deployment::Default("why"));
    }
}
