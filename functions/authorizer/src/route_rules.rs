//! Route rules (`AUTHZ_RULES`): which verified callers may call which routes.
//! Their format and meaning are specified once, in docs/authorizer.md
//! ("Route rules"). This module reads them and refuses at init, naming the
//! rule, whatever that page does not allow; [`crate::decide`] applies them
//! to a caller, and [`crate::iam_policy`] writes the answer API Gateway
//! caches.
//!
//! # Bounds
//!
//! At most [`MAX_RULES`] rules and [`MAX_SOURCE_BYTES`] bytes of JSON;
//! paths of at most [`MAX_PATH_LEN`] bytes (so that every resource an
//! IAM policy holds fits API Gateway's 512-character ARN with the longest
//! stage name); at most [`MAX_NAMES`] groups, scopes or pools per rule.
//! Parsing is linear in the size of the text.

use std::collections::HashMap;

use cognito_auth_core::claims::PrincipalType;
use cognito_auth_core::config::{ConfigError, Env};
use cognito_auth_core::policy::HTTP_VERBS;
use serde::Deserialize;

use crate::config::AUTHZ_RULES;
use crate::template::Template;

/// The most rules a configuration may hold.
pub const MAX_RULES: usize = 1000;

/// The most bytes of JSON, inline or in a file.
pub const MAX_SOURCE_BYTES: usize = 256 * 1024;

/// The longest rule path, in bytes.
pub const MAX_PATH_LEN: usize = 300;

/// The most groups, scopes or pools one rule may list.
pub const MAX_NAMES: usize = 100;

/// The longest group or scope name, in bytes.
pub const MAX_NAME_LEN: usize = 512;

/// A validated rule set, in the order written.
#[derive(Debug, Clone)]
pub struct RuleSet {
    /// The rules on paths.
    rules: Vec<Rule>,
    /// The rules on WebSocket `$connect`.
    connect: Vec<Rule>,
    /// Every group, scope and pool name the rules mention, numbered, so
    /// that a caller's names are hashed once per call, not once per rule.
    names: Names,
}

/// Names the rules mention, by kind, each with a number.
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// Group names.
    pub groups: HashMap<String, u32>,
    /// Scopes.
    pub scopes: HashMap<String, u32>,
    /// Pool ids.
    pub pools: HashMap<String, u32>,
}

fn intern(table: &mut HashMap<String, u32>, names: &[String]) -> Vec<u32> {
    let mut ids: Vec<u32> = names
        .iter()
        .map(|name| {
            let next = u32::try_from(table.len()).unwrap_or(u32::MAX);
            *table.entry(name.clone()).or_insert(next)
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// One validated rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The HTTP verb, or `None` for every verb.
    pub method: Option<&'static str>,
    /// The path as written, for logs and error messages.
    pub path: String,
    /// The path, parsed.
    pub template: Template,
    /// `anyGroups`; empty when not required.
    pub any_groups: Vec<String>,
    /// `allScopes`; empty when not required.
    pub all_scopes: Vec<String>,
    /// `pools`; empty when every configured pool is trusted.
    pub pools: Vec<String>,
    /// `claims`: each claim with the values it may have; empty when none.
    pub claims: Vec<(String, Vec<String>)>,
    /// `principalTypes`; empty when people and machine clients alike.
    pub principal_types: Vec<PrincipalType>,
    /// Where the rule stands in the array as written, for messages.
    pub index: usize,
    /// The numbers ([`Names`]) of `any_groups`, `all_scopes` and `pools`.
    pub ids: RequirementIds,
}

/// A rule's requirements as numbers of its set's [`Names`], sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequirementIds {
    /// `anyGroups`.
    pub groups: Vec<u32>,
    /// `allScopes`.
    pub scopes: Vec<u32>,
    /// `pools`.
    pub pools: Vec<u32>,
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
    #[serde(default)]
    pools: Option<Vec<String>>,
    #[serde(default)]
    claims: Option<ClaimRequirements>,
    #[serde(default)]
    principal_types: Option<Vec<String>>,
}

/// `claims` as written: an object of claim name → values, refusing a name
/// written twice (a JSON object would silently keep only the last, and so
/// drop a requirement).
#[derive(Debug)]
struct ClaimRequirements(Vec<(String, Vec<String>)>);

impl<'de> Deserialize<'de> for ClaimRequirements {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = ClaimRequirements;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("an object of claim names to arrays of strings")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                use serde::de::Error as _;
                let mut claims: Vec<(String, Vec<String>)> = Vec::new();
                while let Some((name, values)) = map.next_entry::<String, Vec<String>>()? {
                    if claims.iter().any(|(seen, _)| *seen == name) {
                        return Err(A::Error::custom(format!(
                            "claims names `{}` twice",
                            truncate(&name, 60)
                        )));
                    }
                    if claims.len() == MAX_NAMES {
                        return Err(A::Error::custom(format!(
                            "claims has more than {MAX_NAMES} claims"
                        )));
                    }
                    claims.push((name, values));
                }
                Ok(ClaimRequirements(claims))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
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
    /// JSON; anything else is the path of a JSON file. `pools` are the
    /// configured user pool ids.
    pub fn from_env(env: &Env, pools: &[&str]) -> Result<Option<Self>, ConfigError> {
        let Some(value) = env.get(&AUTHZ_RULES)? else {
            return Ok(None);
        };
        let json = if value.starts_with(['[', '{']) {
            value
        } else {
            read_file(&value)?
        };
        Self::parse(&json, pools).map(Some)
    }

    /// Parses and validates the JSON text of a rule set.
    ///
    /// The rules are parsed one by one straight from the text (not through
    /// a `serde_json::Value`, which would silently keep only the last of two
    /// `"path"` members), and counting stops at [`MAX_RULES`] + 1, so even a
    /// huge array is refused in one linear pass.
    pub fn parse(json: &str, pools: &[&str]) -> Result<Self, ConfigError> {
        let error = |reason: String| ConfigError::new(AUTHZ_RULES, reason);
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
        let all = raw
            .into_iter()
            .enumerate()
            .map(|(index, raw)| {
                let label = label(index, raw.method.as_deref(), &raw.path);
                Rule::from_raw(index, raw, pools)
                    .map_err(|reason| error(format!("{label}: {reason}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let (connect, mut rules): (Vec<Rule>, Vec<Rule>) =
            all.into_iter().partition(|rule| rule.path == CONNECT);
        let mut connect = connect;
        let mut names = Names::default();
        for rule in rules.iter_mut().chain(connect.iter_mut()) {
            rule.ids = RequirementIds {
                groups: intern(&mut names.groups, &rule.any_groups),
                scopes: intern(&mut names.scopes, &rule.all_scopes),
                pools: intern(&mut names.pools, &rule.pools),
            };
        }
        Ok(Self {
            rules,
            connect,
            names,
        })
    }

    /// The names the rules mention, numbered.
    pub fn names(&self) -> &Names {
        &self.names
    }

    /// The rules on paths, in the order written.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rules on WebSocket `$connect`, in the order written.
    pub fn connect_rules(&self) -> &[Rule] {
        &self.connect
    }

    /// How an error message names the path rule at `at` in [`Self::rules`]:
    /// `rules[3] (GET /pets/{id})`, with its index as written.
    pub fn label(&self, at: usize) -> String {
        let rule = &self.rules[at];
        label(rule.index, rule.method, &rule.path)
    }
}

fn label(index: usize, method: Option<&str>, path: &str) -> String {
    format!(
        "rules[{index}] ({} {})",
        method.map_or_else(|| "*".to_owned(), |m| truncate(m, 20)),
        truncate(path, 80)
    )
}

impl Rule {
    /// Validates one parsed rule.
    fn from_raw(index: usize, raw: RawRule, configured_pools: &[&str]) -> Result<Self, String> {
        let method = parse_method(raw.method.as_deref())?;
        let connect = raw.path == CONNECT;
        if connect && method.is_some() {
            return Err(
                "a `$connect` rule takes no method (WebSocket connections have none)".to_owned(),
            );
        }
        if raw.path.len() > MAX_PATH_LEN {
            return Err(format!(
                "path is {} bytes long; at most {MAX_PATH_LEN} are allowed",
                raw.path.len()
            ));
        }
        if raw.path == "$default" {
            return Err("path `$default` is not a path; use `/{proxy+}` for every path".to_owned());
        }
        let template = if connect {
            // Never matched as a path: `$connect` rules live apart.
            Ok(Template::root())
        } else {
            Template::parse_rule(&raw.path, |segment| {
                match segment.chars().find(|&c| !is_literal_char(c)) {
                    Some(bad) => Err(format!(
                        "has the character {bad:?}, which is not allowed in a literal segment (use `*` or `{{name}}` as a whole segment for a parameter)"
                    )),
                    None => Ok(()),
                }
            })
        }?;
        let any_groups = names("anyGroups", raw.any_groups)?;
        let all_scopes = names("allScopes", raw.all_scopes)?;
        let pools = names("pools", raw.pools)?;
        let claims = claim_requirements(raw.claims)?;
        let principal_types = principal_types(raw.principal_types)?;
        if let Some(unknown) = pools
            .iter()
            .find(|pool| !configured_pools.contains(&pool.as_str()))
        {
            return Err(format!(
                "pools names `{}`, which is not in USER_POOL_ID",
                truncate(unknown, 60)
            ));
        }
        if configured_pools.len() > 1
            && pools.is_empty()
            && !(any_groups.is_empty() && all_scopes.is_empty() && claims.is_empty())
        {
            return Err(
                "names groups, scopes or claims but no `pools`; with several pools in USER_POOL_ID, say which pools' groups, scopes and claims this rule trusts"
                    .to_owned(),
            );
        }
        Ok(Self {
            method,
            path: raw.path,
            template,
            any_groups,
            all_scopes,
            pools,
            claims,
            principal_types,
            index,
            ids: RequirementIds::default(),
        })
    }

    /// Whether this rule applies to calls of `verb`. `*` means every verb
    /// (REST APIs only have the seven of [`HTTP_VERBS`]).
    pub fn takes(&self, verb: &str) -> bool {
        self.method.is_none_or(|method| method == verb)
    }

    /// Whether this rule applies to every verb a route takes (`None`: every
    /// verb, `ANY`).
    pub fn takes_every_verb_of(&self, route_verb: Option<&str>) -> bool {
        match (self.method, route_verb) {
            (None, _) => true,
            (Some(method), Some(verb)) => method == verb,
            (Some(_), None) => false,
        }
    }

    /// Whether this rule and `other` share a verb.
    pub fn shares_a_verb_with(&self, other: Option<&str>) -> bool {
        match (self.method, other) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        }
    }

    /// The verbs a policy names for this rule: its own, or all of
    /// [`HTTP_VERBS`].
    pub fn verbs(&self) -> &'static [&'static str] {
        match self.method {
            Some(method) => match HTTP_VERBS.iter().position(|verb| *verb == method) {
                Some(at) => &HTTP_VERBS[at..=at],
                None => &[],
            },
            None => &HTTP_VERBS,
        }
    }
}

fn read_file(path: &str) -> Result<String, ConfigError> {
    let error = |reason: String| ConfigError::new(AUTHZ_RULES, reason);
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

/// The path of the rules on WebSocket `$connect`.
pub const CONNECT: &str = "$connect";

/// The longest claim name, in bytes.
pub const MAX_CLAIM_NAME_LEN: usize = 128;

fn claim_requirements(
    raw: Option<ClaimRequirements>,
) -> Result<Vec<(String, Vec<String>)>, String> {
    let Some(ClaimRequirements(claims)) = raw else {
        return Ok(Vec::new());
    };
    if claims.is_empty() {
        return Err("claims is empty; leave it out to admit every verified caller".to_owned());
    }
    claims
        .into_iter()
        .map(|(name, values)| {
            if name.is_empty() || name.len() > MAX_CLAIM_NAME_LEN || name.trim() != name {
                return Err(format!(
                    "claims has a name that is blank, padded or over {MAX_CLAIM_NAME_LEN} bytes"
                ));
            }
            let field = format!("claims.{}", truncate(&name, 60));
            let values = names(&field, Some(values))?;
            Ok((name, values))
        })
        .collect()
}

fn principal_types(raw: Option<Vec<String>>) -> Result<Vec<PrincipalType>, String> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    if raw.is_empty() {
        return Err(
            "principalTypes is empty; leave it out to admit people and machine clients".to_owned(),
        );
    }
    let mut types = Vec::new();
    for (at, value) in raw.iter().enumerate() {
        let parsed = match value.as_str() {
            "user" => PrincipalType::User,
            "client" => PrincipalType::Client,
            _ => {
                return Err(format!(
                    "principalTypes[{at}] is `{}`; use `user` or `client`",
                    truncate(value, 20)
                ));
            }
        };
        if !types.contains(&parsed) {
            types.push(parsed);
        }
    }
    Ok(types)
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests;
