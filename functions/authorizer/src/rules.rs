//! Route rules (`AUTHZ_RULES`): which verified callers may call which routes.
//!
//! # Format
//!
//! A JSON array, given inline or as the path of a file that holds it:
//!
//! ```json
//! [
//!   {"method": "GET",  "path": "/pets"},
//!   {"method": "GET",  "path": "/pets/{id}"},
//!   {"method": "POST", "path": "/pets", "allScopes": ["pets/write"]},
//!   {"method": "*",    "path": "/admin/{proxy+}", "anyGroups": ["admins"]}
//! ]
//! ```
//!
//! - `path` (required): the route, written the way the API declares it. It
//!   starts with `/`; segments are literals, `{name}` (a path parameter),
//!   `{name+}` (a greedy parameter, last segment only) or `*`. `/` alone is
//!   the root.
//! - `method` (optional, default `*`): `GET`, `POST`, `PUT`, `PATCH`,
//!   `DELETE`, `HEAD`, `OPTIONS`, or `*`/`ANY` for every method. Any casing.
//! - `anyGroups` (optional): the caller must be in at least one of these
//!   Cognito groups (`cognito:groups`, exact match).
//! - `allScopes` (optional): the token must grant every one of these scopes
//!   (`scope`, whole items only).
//! - A rule with neither `anyGroups` nor `allScopes` admits every verified
//!   caller. An empty list is refused (it would read as "anyone" to some and
//!   "no one" to others); leave the field out instead. Unknown fields are
//!   refused, so a typo such as `anyGroup` cannot silently drop a
//!   requirement.
//!
//! # Matching
//!
//! Every parameter (`{id}`, `{proxy+}`) and every `*` becomes IAM's `*`,
//! which matches any text **including `/`**: `/pets/{id}` matches
//! `/pets/42` and also `/pets/42/owner`, and `/{proxy+}` matches every path,
//! the root included. That is the only wildcard an IAM policy can express,
//! so the rules mean exactly what a REST policy can say.
//!
//! A call is allowed when **at least one rule matches it and the caller
//! satisfies every rule that matches it**. Order does not matter; rules
//! only ever add requirements. So `/pets/{id}` for `users` plus
//! `/pets/{id}/secrets` for `admins` means that `/pets/1/secrets` needs
//! both groups (the first rule matches it too): write `["users", "admins"]`
//! on the first rule to let admins through on their own. A call that no rule
//! matches is refused.
//!
//! Why not "first match wins" or "any match wins": with `*` spanning `/`,
//! "any match" would let `/pets/{id}` for everyone open `/pets/1/secrets`
//! to everyone, and "first match" cannot be written as an IAM policy. "Every
//! matching rule" is exactly an IAM policy with an Allow for each satisfied
//! rule and a Deny for each unsatisfied one.
//!
//! - REST APIs and HTTP API payload 1.0 match against the method ARN: the
//!   real verb and the real request path. The policy covers every rule at
//!   once, so API Gateway's authorizer cache can reuse it for any route. For
//!   the verbs of [`HTTP_VERBS`] it allows exactly the calls the rules allow
//!   ([`Evaluation::allows`]); it allows no other verb (`PROPFIND`, …), since
//!   IAM cannot deny "every verb" on a path that starts with a literal
//!   segment without also denying other paths.
//! - HTTP API payload 2.0 caches its answer per token and `routeKey`, so the
//!   answer may depend on nothing else: not on the real path, and not on the
//!   real verb (an `ANY` route takes every verb under one key). The route is
//!   taken as the set of calls it can receive: its verb (`ANY`, and
//!   `$default`, take every verb), and every path its template can match,
//!   where `{name}` is one non-empty segment and `{name+}` is one segment or
//!   more (`$default` counts as `ANY /{proxy+}`). The caller is authorized
//!   only when **one satisfied rule matches every one of those calls, and no
//!   unsatisfied rule matches any of them** ([`Evaluation::allows_route`]).
//!
//! So what REST and HTTP API 2.0 share is one direction: when HTTP API 2.0
//! authorizes a route, the rules (and so the REST policy, for the verbs of
//! [`HTTP_VERBS`]) allow every call that route can receive. The converse does
//! not hold: a route that receives both allowed and refused calls is refused
//! as a whole. With `GET /pets/{id}` for everyone and
//! `GET /pets/{id}/secrets` for `admins`, the route `GET /pets/{id}` is
//! authorized for everyone (it never receives `/pets/1/secrets`), but
//! `GET /pets/{proxy+}` only for admins, although REST lets anyone call
//! `GET /pets/1`; an `ANY` route (or `$default`) needs a rule for every verb
//! (`*`) that covers its whole template, and any unsatisfied rule under it
//! refuses it. Declare the routes the way the rules are written.
//!
//! # Bounds
//!
//! At most [`MAX_RULES`] rules and [`MAX_SOURCE_BYTES`] bytes of JSON;
//! paths of at most [`MAX_PATH_LEN`] characters (the longest that always
//! fits API Gateway's 512-character resource ARN with the longest stage
//! name); at most [`MAX_NAMES`] groups or scopes per rule. Parsing and every
//! per-request evaluation are linear in the number of rules (the Deny
//! selection is O(n log n); an HTTP API route is compared with each rule in
//! O(rule segments × route segments)).

use std::collections::{HashMap, HashSet};

use cognito_auth_core::Claims;
use cognito_auth_core::config::{ConfigError, Env};
use cognito_auth_core::policy::{
    HTTP_VERBS, MethodArn, PolicyBuilder, PolicyDocument, wildcard_match,
};
use serde::Deserialize;

/// The environment variable that holds the rules.
pub const VARIABLE: &str = "AUTHZ_RULES";

/// The most rules a configuration may hold.
pub const MAX_RULES: usize = 1000;

/// The most bytes of JSON, inline or in a file.
pub const MAX_SOURCE_BYTES: usize = 256 * 1024;

/// The longest rule path, in bytes.
pub const MAX_PATH_LEN: usize = 300;

/// The most groups, or scopes, one rule may list.
pub const MAX_NAMES: usize = 100;

/// The longest group or scope name, in bytes.
pub const MAX_NAME_LEN: usize = 512;

/// A validated rule set, in the order written.
#[derive(Debug, Clone)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

/// One validated rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The HTTP verb, or `None` for every verb.
    pub method: Option<&'static str>,
    /// The path as written, for logs.
    pub path: String,
    /// The path as an IAM pattern: every parameter and `*` become `*`.
    pub pattern: String,
    /// `anyGroups`; empty when not required.
    pub any_groups: Vec<String>,
    /// `allScopes`; empty when not required.
    pub all_scopes: Vec<String>,
}

/// A rule as written, before validation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawRule {
    #[serde(default)]
    method: Option<String>,
    path: String,
    #[serde(default)]
    any_groups: Option<Vec<String>>,
    #[serde(default)]
    all_scopes: Option<Vec<String>>,
}

const TOO_MANY: &str = "has more than 1000 rules";
const _: () = assert!(MAX_RULES == 1000, "update TOO_MANY");

/// The top-level array, parsed rule by rule so that an error names its rule.
struct RawRules(Vec<RawRule>);

impl<'de> Deserialize<'de> for RawRules {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(RawRulesVisitor)
    }
}

struct RawRulesVisitor;

impl<'de> serde::de::Visitor<'de> for RawRulesVisitor {
    type Value = RawRules;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a JSON array of rules")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<RawRules, A::Error> {
        use serde::de::Error as _;
        let mut rules = Vec::new();
        loop {
            let index = rules.len();
            if index == MAX_RULES {
                // One more element means too many: stop before parsing it.
                return match seq.next_element::<serde::de::IgnoredAny>()? {
                    Some(_) => Err(A::Error::custom(TOO_MANY)),
                    None => Ok(RawRules(rules)),
                };
            }
            match seq.next_element::<RawRule>() {
                Ok(Some(rule)) => rules.push(rule),
                Ok(None) => return Ok(RawRules(rules)),
                Err(err) => return Err(A::Error::custom(format!("rules[{index}]: {err}"))),
            }
        }
    }
}

impl RuleSet {
    /// Reads `AUTHZ_RULES`: `None` when unset (every verified caller may
    /// call the whole stage). A value that starts with `[` or `{` is inline
    /// JSON; anything else is the path of a JSON file.
    pub fn from_env(env: &Env) -> Result<Option<Self>, ConfigError> {
        let Some(value) = env.optional(VARIABLE) else {
            return Ok(None);
        };
        let json = if value.starts_with(['[', '{']) {
            value
        } else {
            read_file(&value)?
        };
        Self::parse(&json).map(Some)
    }

    /// Parses and validates the JSON text of a rule set.
    ///
    /// The rules are parsed one by one straight from the text (not through
    /// a `serde_json::Value`, which would silently keep only the last of two
    /// `"path"` members), and counting stops at [`MAX_RULES`] + 1, so even a
    /// huge array is refused in one linear pass.
    pub fn parse(json: &str) -> Result<Self, ConfigError> {
        let error = |reason: String| ConfigError::new(VARIABLE, reason);
        if json.len() > MAX_SOURCE_BYTES {
            return Err(error(format!(
                "is {} bytes of JSON; at most {MAX_SOURCE_BYTES} are allowed",
                json.len()
            )));
        }
        let RawRules(raw) = serde_json::from_str(json).map_err(|err| {
            let message = err.to_string();
            if message.starts_with(TOO_MANY) {
                // Where the count ran over says nothing useful.
                error(format!("{TOO_MANY}; at most {MAX_RULES} are allowed"))
            } else {
                error(message)
            }
        })?;
        if raw.is_empty() {
            return Err(error(
                "has no rules; leave it unset to let every verified caller call the whole stage"
                    .to_owned(),
            ));
        }
        let rules = raw
            .into_iter()
            .enumerate()
            .map(|(index, raw)| {
                let label = format!(
                    "rules[{index}] ({} {})",
                    raw.method
                        .as_deref()
                        .map_or_else(|| "*".to_owned(), |m| truncate(m, 20)),
                    truncate(&raw.path, 80)
                );
                Rule::from_raw(raw).map_err(|reason| error(format!("{label}: {reason}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { rules })
    }

    /// The rules, in the order written.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Which rules `claims` satisfy.
    pub fn evaluate<'a>(&'a self, claims: &Claims) -> Evaluation<'a> {
        Evaluation {
            rules: &self.rules,
            satisfied: self.rules.iter().map(|rule| rule.admits(claims)).collect(),
        }
    }
}

impl Rule {
    /// Validates one parsed rule.
    fn from_raw(raw: RawRule) -> Result<Self, String> {
        let method = parse_method(raw.method.as_deref())?;
        let pattern = path_pattern(&raw.path)?;
        let any_groups = names("anyGroups", raw.any_groups)?;
        let all_scopes = names("allScopes", raw.all_scopes)?;
        Ok(Self {
            method,
            path: raw.path,
            pattern,
            any_groups,
            all_scopes,
        })
    }

    /// Whether `claims` meet this rule's requirements.
    pub fn admits(&self, claims: &Claims) -> bool {
        (self.any_groups.is_empty() || claims.has_any_group(&self.any_groups))
            && claims.has_all_scopes(&self.all_scopes)
    }

    /// Whether this rule matches a call of `verb` on `path` (a real path, or
    /// a route template).
    pub fn matches(&self, verb: &str, path: &str) -> bool {
        self.method.is_none_or(|method| method == verb) && wildcard_match(&self.pattern, path)
    }

    /// Whether this rule matches every verb a route takes (`None`: every
    /// verb, `ANY`).
    fn takes_every_verb_of(&self, route_verb: Option<&str>) -> bool {
        match (self.method, route_verb) {
            (None, _) => true,
            (Some(method), Some(verb)) => method.eq_ignore_ascii_case(verb),
            (Some(_), None) => false,
        }
    }

    /// Whether this rule matches some verb a route takes (`None`: every
    /// verb, `ANY`).
    fn takes_a_verb_of(&self, route_verb: Option<&str>) -> bool {
        match (self.method, route_verb) {
            (Some(method), Some(verb)) => method.eq_ignore_ascii_case(verb),
            _ => true,
        }
    }

    /// The pattern's literal prefix: everything before the first `*`, or the
    /// whole pattern. Two rules can only match a common path when one's
    /// prefix starts the other's.
    fn prefix(&self) -> &str {
        self.pattern
            .find('*')
            .map_or(&self.pattern[..], |star| &self.pattern[..star])
    }
}

/// One caller's standing against every rule.
#[derive(Debug)]
pub struct Evaluation<'a> {
    rules: &'a [Rule],
    satisfied: Vec<bool>,
}

impl Evaluation<'_> {
    /// Whether the caller may make a call of `verb` on `path`: some rule
    /// matches, and the caller satisfies every rule that matches.
    pub fn allows(&self, verb: &str, path: &str) -> bool {
        let mut matched = false;
        for (rule, &satisfied) in self.rules.iter().zip(&self.satisfied) {
            if rule.matches(verb, path) {
                if !satisfied {
                    return false;
                }
                matched = true;
            }
        }
        matched
    }

    /// Whether the caller may call an HTTP API route (payload 2.0): `verb`
    /// is the route key's verb (`None` for `ANY` and `$default`) and
    /// `template` its path (`/pets/{id}`; `/{proxy+}` for `$default`).
    ///
    /// API Gateway caches the answer per token and route key, and reuses it
    /// for every request the route receives, so the answer must hold for all
    /// of them: some satisfied rule must match every verb the route takes on
    /// every path the template matches, and no unsatisfied rule may match
    /// any verb the route takes on any path the template matches. Then the
    /// rules ([`Self::allows`]) allow every such request. A template that
    /// does not start with `/` is refused.
    pub fn allows_route(&self, verb: Option<&str>, template: &str) -> bool {
        let Some(route) = route_segments(template) else {
            return false;
        };
        let mut covered = false;
        for (rule, &satisfied) in self.rules.iter().zip(&self.satisfied) {
            if satisfied {
                // The rule's pattern matches the template's own text: its
                // literal segments can hold no `{` or `}`, so each `{name}`
                // and `{name+}` falls inside one of its `*`, which then takes
                // whatever text the parameter stands for. So the rule
                // matches every path the template matches.
                covered = covered
                    || (rule.takes_every_verb_of(verb) && wildcard_match(&rule.pattern, template));
            } else if rule.takes_a_verb_of(verb)
                && segments_overlap(&pattern_segments(&rule.pattern), &route)
            {
                return false;
            }
        }
        covered
    }

    /// How many rules the caller satisfies.
    pub fn satisfied_count(&self) -> usize {
        self.satisfied.iter().filter(|&&s| s).count()
    }

    /// The caller's policy for the stage of `arn`: an Allow for every rule
    /// the caller satisfies, and a Deny for every rule they do not satisfy
    /// that could match a path one of those Allows covers. With nothing
    /// satisfied, an explicit Deny of the stage.
    pub fn policy(&self, arn: &MethodArn) -> PolicyDocument {
        let mut builder = PolicyBuilder::new(arn);
        let satisfied = SatisfiedPrefixes::new(
            self.rules
                .iter()
                .zip(&self.satisfied)
                .filter(|&(_, &s)| s)
                .map(|(rule, _)| rule),
        );
        for (rule, &is_satisfied) in self.rules.iter().zip(&self.satisfied) {
            if is_satisfied {
                builder.allow(rule.method, &rule.pattern);
            }
        }
        if !satisfied.is_empty() {
            for (rule, &is_satisfied) in self.rules.iter().zip(&self.satisfied) {
                if !is_satisfied && satisfied.may_overlap(rule) {
                    builder.deny(rule.method, &rule.pattern);
                }
            }
        }
        builder.build()
    }
}

/// The literal prefixes of the satisfied rules, by method, for a
/// conservative overlap test: a Deny is only needed where some Allow could
/// match the same path, and two patterns can only share a path when one's
/// literal prefix starts the other's. When unsure, the test says "overlap"
/// (an extra Deny on paths that are not allowed anyway changes nothing).
struct SatisfiedPrefixes<'a> {
    /// Key: a verb, or `None` for rules on every verb.
    exact: HashMap<Option<&'static str>, HashSet<&'a str>>,
    sorted: HashMap<Option<&'static str>, Vec<&'a str>>,
    all_exact: HashSet<&'a str>,
    all_sorted: Vec<&'a str>,
}

impl<'a> SatisfiedPrefixes<'a> {
    fn new(rules: impl Iterator<Item = &'a Rule>) -> Self {
        let mut exact: HashMap<Option<&'static str>, HashSet<&'a str>> = HashMap::new();
        let mut all_exact = HashSet::new();
        for rule in rules {
            exact.entry(rule.method).or_default().insert(rule.prefix());
            all_exact.insert(rule.prefix());
        }
        let sort = |set: &HashSet<&'a str>| {
            let mut sorted: Vec<&'a str> = set.iter().copied().collect();
            sorted.sort_unstable();
            sorted
        };
        Self {
            sorted: exact.iter().map(|(k, set)| (*k, sort(set))).collect(),
            all_sorted: sort(&all_exact),
            exact,
            all_exact,
        }
    }

    fn is_empty(&self) -> bool {
        self.all_exact.is_empty()
    }

    /// Whether `rule` could match a path that a satisfied rule matches.
    fn may_overlap(&self, rule: &Rule) -> bool {
        let prefix = rule.prefix();
        match rule.method {
            // Every verb: compare with every satisfied rule.
            None => overlaps(prefix, &self.all_exact, &self.all_sorted),
            // One verb: compare with the rules of that verb and of every verb.
            Some(_) => [rule.method, None].into_iter().any(|key| {
                match (self.exact.get(&key), self.sorted.get(&key)) {
                    (Some(exact), Some(sorted)) => overlaps(prefix, exact, sorted),
                    _ => false,
                }
            }),
        }
    }
}

/// Whether some prefix in the set starts `prefix`, or `prefix` starts some
/// prefix in the set. A satisfied prefix that starts `prefix` either ends in
/// `/` (it came before a `*`, which always follows a `/`) or is a whole
/// literal path, so only the `/`-ended heads of `prefix` and `prefix` itself
/// need looking up.
fn overlaps(prefix: &str, exact: &HashSet<&str>, sorted: &[&str]) -> bool {
    let heads = prefix
        .match_indices('/')
        .map(|(at, _)| &prefix[..=at])
        .chain(std::iter::once(prefix));
    if heads.into_iter().any(|head| exact.contains(head)) {
        return true;
    }
    let first_candidate = sorted.partition_point(|candidate| *candidate < prefix);
    sorted
        .get(first_candidate)
        .is_some_and(|candidate| candidate.starts_with(prefix))
}

/// One path segment, or a run of them, for [`segments_overlap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Segment<'a> {
    /// Exactly this text (empty only for the root, `/`, or `//`).
    Literal(&'a str),
    /// A route's `{name}`: exactly one segment, not empty, of any text.
    One,
    /// A rule's `*` or a route's `{name+}`: one segment or more, of any
    /// text, empty segments included.
    Many,
}

/// A rule's IAM pattern as segments: a `*` is [`Segment::Many`] (IAM's `*`
/// right after a `/` takes any text, `/` included: one segment or more,
/// empty ones included), anything else a literal; the root `/` is one empty
/// segment.
fn pattern_segments(pattern: &str) -> Vec<Segment<'_>> {
    match pattern.strip_prefix('/') {
        Some("") | None => vec![Segment::Literal("")],
        Some(rest) => rest
            .split('/')
            .map(|segment| match segment {
                "*" => Segment::Many,
                literal => Segment::Literal(literal),
            })
            .collect(),
    }
}

/// An HTTP API route template as segments: `{name}` is [`Segment::One`];
/// `{name+}` and, to be safe, any other segment with a brace in it are
/// [`Segment::Many`]; the root `/` is one empty segment. `None` when it does
/// not start with `/`.
fn route_segments(template: &str) -> Option<Vec<Segment<'_>>> {
    let rest = template.strip_prefix('/')?;
    if rest.is_empty() {
        return Some(vec![Segment::Literal("")]);
    }
    let segments = rest
        .split('/')
        .map(|segment| {
            let name = segment
                .strip_prefix('{')
                .and_then(|inner| inner.strip_suffix('}'));
            match name {
                Some(name) if !name.is_empty() && !name.contains(['{', '}', '+']) => Segment::One,
                _ if segment.contains(['{', '}']) => Segment::Many,
                _ => Segment::Literal(segment),
            }
        })
        .collect();
    Some(segments)
}

/// Whether some path is matched both by `rule` and by `route`: an exact
/// test, by a walk over the pairs of positions in the two lists, each step
/// taking one segment of the path. O(rule segments × route segments).
///
/// The literal-prefix test of the REST Deny selection ([`overlaps`]) would
/// be sound here too, but far too coarse: it would say that `/pets/*/secrets`
/// may match a path of `/pets/{id}`, and refuse that route to everyone who
/// is not allowed the secrets.
fn segments_overlap(rule: &[Segment<'_>], route: &[Segment<'_>]) -> bool {
    let width = route.len() + 1;
    let mut seen = vec![false; (rule.len() + 1) * width];
    let mut pending = vec![(0, 0)];
    seen[0] = true;
    while let Some((at_rule, at_route)) = pending.pop() {
        if at_rule == rule.len() && at_route == route.len() {
            return true;
        }
        for (next_rule, a) in steps(rule, at_rule) {
            for (next_route, b) in steps(route, at_route) {
                let next = next_rule * width + next_route;
                if !seen[next] && one_segment_fits_both(a, b) {
                    seen[next] = true;
                    pending.push((next_rule, next_route));
                }
            }
        }
    }
    false
}

/// The ways to take the next path segment from position `at` of a list: the
/// segment at `at` (moving on), or, just after a [`Segment::Many`], one more
/// segment for it (staying).
fn steps<'a>(
    segments: &[Segment<'a>],
    at: usize,
) -> impl Iterator<Item = (usize, Segment<'a>)> + use<'a> {
    let next = segments.get(at).map(|&segment| (at + 1, segment));
    let again = (at > 0 && segments[at - 1] == Segment::Many).then_some((at, Segment::Many));
    next.into_iter().chain(again)
}

/// Whether one path segment can be taken by both `a` and `b`.
fn one_segment_fits_both(a: Segment<'_>, b: Segment<'_>) -> bool {
    match (a, b) {
        (Segment::Literal(a), Segment::Literal(b)) => a == b,
        (Segment::Literal(text), Segment::One) | (Segment::One, Segment::Literal(text)) => {
            !text.is_empty()
        }
        _ => true,
    }
}

fn read_file(path: &str) -> Result<String, ConfigError> {
    let error = |reason: String| ConfigError::new(VARIABLE, reason);
    let metadata = std::fs::metadata(path).map_err(|err| {
        error(format!(
            "is neither inline JSON (starting with `[`) nor a readable file ({path}: {err})"
        ))
    })?;
    if metadata.len() > MAX_SOURCE_BYTES as u64 {
        return Err(error(format!(
            "file {path} is {} bytes; at most {MAX_SOURCE_BYTES} are allowed",
            metadata.len()
        )));
    }
    std::fs::read_to_string(path).map_err(|err| error(format!("cannot read file {path}: {err}")))
}

fn parse_method(method: Option<&str>) -> Result<Option<&'static str>, String> {
    let Some(method) = method else {
        return Ok(None);
    };
    let upper = method.trim().to_ascii_uppercase();
    if upper == "*" || upper == "ANY" {
        return Ok(None);
    }
    HTTP_VERBS
        .iter()
        .find(|verb| **verb == upper)
        .map(|verb| Some(*verb))
        .ok_or_else(|| {
            format!(
                "method `{}` is not one of {}, `*` or `ANY`",
                truncate(method, 20),
                HTTP_VERBS.join(", ")
            )
        })
}

/// Checks a rule path and turns it into an IAM pattern.
fn path_pattern(path: &str) -> Result<String, String> {
    if path.len() > MAX_PATH_LEN {
        return Err(format!(
            "path is {} bytes long; at most {MAX_PATH_LEN} are allowed",
            path.len()
        ));
    }
    if path == "$default" {
        return Err("path `$default` is not a path; use `/{proxy+}` for every path".to_owned());
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Err("path must start with `/`".to_owned());
    };
    if rest.is_empty() {
        return Ok("/".to_owned());
    }
    let segments: Vec<&str> = rest.split('/').collect();
    let last = segments.len() - 1;
    let mut pattern = String::with_capacity(path.len());
    for (at, segment) in segments.iter().enumerate() {
        pattern.push('/');
        let position = at + 1;
        if segment.is_empty() {
            return Err(if at == last {
                "path must not end with `/`".to_owned()
            } else {
                "path has an empty segment (`//`)".to_owned()
            });
        }
        if *segment == "*" {
            pattern.push('*');
        } else if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            let (name, greedy) = match name.strip_suffix('+') {
                Some(name) => (name, true),
                None => (name, false),
            };
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
            {
                return Err(format!(
                    "segment {position} is not a valid parameter name (letters, digits, `_`, `-`, `.`)"
                ));
            }
            if greedy && at != last {
                return Err(format!(
                    "greedy parameter `{{{name}+}}` must be the last segment"
                ));
            }
            pattern.push('*');
        } else if let Some(bad) = segment.chars().find(|&c| !is_literal_char(c)) {
            return Err(format!(
                "segment {position} has the character {bad:?}, which is not allowed in a literal segment (use `*` or `{{name}}` as a whole segment for wildcards)"
            ));
        } else {
            pattern.push_str(segment);
        }
    }
    Ok(pattern)
}

/// The characters of a literal path segment: RFC 3986 `pchar` (with `%` for
/// percent-encoding), without IAM's wildcards `*` and `?` and without the
/// braces of path parameters.
fn is_literal_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~%!$&'()+,;=:@".contains(c)
}

fn names(field: &str, names: Option<Vec<String>>) -> Result<Vec<String>, String> {
    let Some(names) = names else {
        return Ok(Vec::new());
    };
    if names.is_empty() {
        return Err(format!(
            "{field} is empty; leave it out to admit every verified caller"
        ));
    }
    if names.len() > MAX_NAMES {
        return Err(format!(
            "{field} has {} entries; at most {MAX_NAMES} are allowed",
            names.len()
        ));
    }
    for (at, name) in names.iter().enumerate() {
        if name.trim().is_empty() {
            return Err(format!("{field}[{at}] is blank"));
        }
        if name.trim() != name {
            return Err(format!("{field}[{at}] has leading or trailing spaces"));
        }
        if name.len() > MAX_NAME_LEN {
            return Err(format!("{field}[{at}] is longer than {MAX_NAME_LEN} bytes"));
        }
        if field == "allScopes" && name.contains(char::is_whitespace) {
            return Err(format!(
                "{field}[{at}] contains a space; list each scope separately"
            ));
        }
    }
    Ok(names)
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests;
