//! IAM policy documents for API Gateway Lambda authorizers: REST APIs, and
//! HTTP APIs with payload format 1.0.
//!
//! An authorizer answers with a policy that API Gateway evaluates against the
//! ARN of the method being called:
//! `arn:{partition}:execute-api:{region}:{account}:{apiId}/{stage}/{VERB}/{path}`.
//! API Gateway caches that answer per token and reuses it for **every**
//! route, so the policy must describe everything the caller may call, not
//! only the route that happened to trigger the authorizer. This module builds
//! such policies from the parts of the triggering [`MethodArn`], and evaluates
//! them the way API Gateway does ([`PolicyDocument::allows`]) so that the
//! decision for the current route can be logged and tested.
//!
//! Resource patterns use IAM's wildcards: `*` matches any run of characters,
//! **including `/`**, and `?` matches one character. Three consequences shape
//! [`PolicyBuilder`]:
//! - A path pattern `/pets/*` also matches `/pets/1/owner`. Callers that need
//!   a narrower set must add Deny statements (explicit Deny always wins).
//! - A method wildcard would also match across `/`: `…/*/pets/*` matches the
//!   ARN of `GET /x/pets/1`. So a Deny of "any method" on a path that starts
//!   with a literal segment is written as one ARN per verb of [`HTTP_VERBS`];
//!   it stays a single `*` only where that cannot widen the match (paths
//!   that start with `/*`).
//! - An Allow must never reach a verb that the Denies cannot name: a per-verb
//!   Deny says nothing about `PROPFIND` or any other verb outside
//!   [`HTTP_VERBS`], so an Allow with the `*` verb would let such a verb
//!   through on a denied path. So an Allow of "any method" is always written
//!   as one ARN per verb of [`HTTP_VERBS`], whatever its path, and a policy
//!   with Denies never allows a verb outside [`HTTP_VERBS`]. Only the
//!   stage-wide Allow ([`PolicyBuilder::allow_stage`]) keeps the `*` verb,
//!   and only in a policy without Denies.
//! - An ARN is at most [`MAX_RESOURCE_ARN_LEN`] characters. An Allow that does
//!   not fit is dropped (the caller gets less, never more); a Deny that does
//!   not fit is widened until it fits (it refuses more, never less). Both
//!   are logged. A policy left with no Allow becomes an explicit Deny of the
//!   whole stage.
//!
//! The policy never contains anything taken from the token: only the ARN
//! parts of the event and the caller's patterns.

use std::collections::HashSet;

use serde::Serialize;

/// The only policy language version API Gateway accepts.
pub const POLICY_VERSION: &str = "2012-10-17";

/// The action every statement grants or refuses.
pub const INVOKE_ACTION: &str = "execute-api:Invoke";

/// API Gateway refuses a policy whose resource ARN is longer than this.
pub const MAX_RESOURCE_ARN_LEN: usize = 512;

/// The HTTP verbs API Gateway puts in a method ARN, in alphabetical order.
pub const HTTP_VERBS: [&str; 7] = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"];

/// Why a method ARN could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ArnError {
    /// The ARN is not `arn:{partition}:execute-api:{region}:{account}:{resource}`.
    #[error("not an execute-api ARN")]
    NotExecuteApi,
    /// A part of the ARN is empty or absent.
    #[error("the ARN has no {0}")]
    MissingPart(&'static str),
    /// A part that must be literal holds an IAM wildcard (`*` or `?`).
    #[error("the ARN's {0} contains a wildcard")]
    Wildcard(&'static str),
}

/// The parts of the `methodArn` (REST, HTTP API 1.0) or `routeArn` (HTTP API
/// 2.0) of an authorizer event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodArn {
    partition: String,
    region: String,
    account: String,
    api_id: String,
    stage: String,
    verb: String,
    path: String,
}

impl MethodArn {
    /// Parses `arn:{partition}:execute-api:{region}:{account}:{apiId}/{stage}/{VERB}/{path}`.
    ///
    /// The path may be empty (the root resource: `…/GET/`), and is returned
    /// with a leading `/`. The stage may be `*` (API Gateway's console test
    /// sends that); the partition, region, account and API id must be literal.
    pub fn parse(arn: &str) -> Result<Self, ArnError> {
        let mut parts = arn.splitn(6, ':');
        if parts.next() != Some("arn") {
            return Err(ArnError::NotExecuteApi);
        }
        let partition = literal(parts.next(), "partition")?;
        if parts.next() != Some("execute-api") {
            return Err(ArnError::NotExecuteApi);
        }
        let region = literal(parts.next(), "region")?;
        let account = literal(parts.next(), "account")?;
        let resource = parts.next().ok_or(ArnError::MissingPart("resource"))?;
        let mut resource = resource.splitn(4, '/');
        let api_id = literal(resource.next(), "API id")?;
        let stage = non_empty(resource.next(), "stage")?;
        let verb = non_empty(resource.next(), "HTTP verb")?;
        let path = format!("/{}", resource.next().unwrap_or_default());
        Ok(Self {
            partition: partition.to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
            api_id: api_id.to_owned(),
            stage: stage.to_owned(),
            verb: verb.to_owned(),
            path,
        })
    }

    /// The AWS region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The AWS account id.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The API id.
    pub fn api_id(&self) -> &str {
        &self.api_id
    }

    /// The stage name.
    pub fn stage(&self) -> &str {
        &self.stage
    }

    /// The HTTP verb of the call.
    pub fn verb(&self) -> &str {
        &self.verb
    }

    /// The request path, with a leading `/` (`/` for the root resource).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// `arn:{partition}:execute-api:{region}:{account}:{apiId}`.
    fn api_prefix(&self) -> String {
        format!(
            "arn:{}:execute-api:{}:{}:{}",
            self.partition, self.region, self.account, self.api_id
        )
    }

    /// The ARN of any method `verb` on a path matching `path_pattern` in this
    /// ARN's stage. `verb` is `None` for any verb.
    pub fn resource(&self, verb: Option<&str>, path_pattern: &str) -> String {
        format!(
            "{}/{}/{}{}",
            self.api_prefix(),
            self.stage,
            verb.unwrap_or("*"),
            path_pattern
        )
    }
}

impl std::fmt::Display for MethodArn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The path always starts with `/`, which is also the separator after
        // the verb, so this reproduces the original ARN.
        write!(f, "{}", self.resource(Some(&self.verb), &self.path))
    }
}

fn non_empty<'a>(part: Option<&'a str>, name: &'static str) -> Result<&'a str, ArnError> {
    part.filter(|part| !part.is_empty())
        .ok_or(ArnError::MissingPart(name))
}

fn literal<'a>(part: Option<&'a str>, name: &'static str) -> Result<&'a str, ArnError> {
    let part = non_empty(part, name)?;
    if part.contains(['*', '?']) {
        return Err(ArnError::Wildcard(name));
    }
    Ok(part)
}

/// Allow or Deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Effect {
    /// The statement grants access.
    Allow,
    /// The statement refuses access, whatever any Allow says.
    Deny,
}

/// One statement: `execute-api:Invoke` on some resources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statement {
    /// Always [`INVOKE_ACTION`].
    #[serde(rename = "Action")]
    action: &'static str,
    /// Allow or Deny.
    #[serde(rename = "Effect")]
    pub effect: Effect,
    /// Resource ARNs, IAM wildcards allowed. Never empty.
    #[serde(rename = "Resource")]
    pub resources: Vec<String>,
}

/// A policy document as API Gateway expects it from an authorizer.
///
/// Serialises to `{"Version":"2012-10-17","Statement":[…]}`; the version is
/// always set, unlike a default-built `aws_lambda_events` policy, which
/// serialises `"Version": null`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyDocument {
    #[serde(rename = "Version")]
    version: &'static str,
    /// The statements; never empty.
    #[serde(rename = "Statement")]
    pub statements: Vec<Statement>,
}

impl PolicyDocument {
    /// Whether API Gateway would let a call with method ARN `arn` through:
    /// an explicit Deny that matches wins, then any matching Allow; with
    /// neither, the call is refused.
    pub fn allows(&self, arn: &str) -> bool {
        let matches = |effect: Effect| {
            self.statements
                .iter()
                .filter(|statement| statement.effect == effect)
                .flat_map(|statement| &statement.resources)
                .any(|pattern| wildcard_match(pattern, arn))
        };
        !matches(Effect::Deny) && matches(Effect::Allow)
    }

    /// The number of resource ARNs with `effect`.
    pub fn resource_count(&self, effect: Effect) -> usize {
        self.statements
            .iter()
            .filter(|statement| statement.effect == effect)
            .map(|statement| statement.resources.len())
            .sum()
    }
}

/// Builds a cache-safe [`PolicyDocument`] for one caller, in the stage of
/// the triggering [`MethodArn`].
#[derive(Debug)]
pub struct PolicyBuilder {
    arn: MethodArn,
    allow: Resources,
    deny: Resources,
    dropped_allows: usize,
    widened_denies: usize,
}

impl PolicyBuilder {
    /// A builder for the stage of `arn`, with nothing allowed yet.
    pub fn new(arn: &MethodArn) -> Self {
        Self {
            arn: arn.clone(),
            allow: Resources::default(),
            deny: Resources::default(),
            dropped_allows: 0,
            widened_denies: 0,
        }
    }

    /// Allows every method on every path of the stage:
    /// `…/{apiId}/{stage}/*/*`. In a policy that also has Denies, it is
    /// written per verb of [`HTTP_VERBS`] instead (see [`Self::build`]).
    pub fn allow_stage(&mut self) {
        let resource = self.arn.resource(None, "/*");
        self.push_allow(resource);
    }

    /// Allows `verb` (`None`: every verb of [`HTTP_VERBS`]) on every path
    /// matching `path_pattern`, which starts with `/` and uses IAM wildcards.
    ///
    /// "Any verb" is always one ARN per verb of [`HTTP_VERBS`], never the
    /// `*` verb, even where the path starts with `/*`: a Deny of any verb on
    /// a literal path is written per verb (see [`Self::deny`]), so a `*`-verb
    /// Allow would be broader in verbs than every such Deny and let a
    /// non-standard verb (`PROPFIND /pets/1/secrets`) through a path the
    /// Deny refuses. Each of the seven ARNs fits the length limit when the
    /// `OPTIONS` one does, and the authorizer's longest rule path
    /// (`MAX_PATH_LEN`) is sized for `OPTIONS`.
    pub fn allow(&mut self, verb: Option<&str>, path_pattern: &str) {
        let resources: Vec<String> = match verb {
            Some(verb) => vec![self.arn.resource(Some(verb), path_pattern)],
            None => HTTP_VERBS
                .iter()
                .map(|verb| self.arn.resource(Some(verb), path_pattern))
                .collect(),
        };
        for resource in resources {
            self.push_allow(resource);
        }
    }

    /// Denies `verb` (`None`: any verb) on every path matching
    /// `path_pattern`. A Deny wins over every Allow.
    ///
    /// "Any verb" is one ARN per verb of [`HTTP_VERBS`] on a path that starts
    /// with a literal segment (so other verbs are not denied: no Allow but
    /// the stage-wide one, in a policy without Denies, reaches them), and the
    /// `*` verb on a path that starts with `/*` (every verb, standard or not).
    pub fn deny(&mut self, verb: Option<&str>, path_pattern: &str) {
        for resource in self.deny_resources(verb, path_pattern) {
            let fitted = self.fit_deny(resource);
            self.deny.insert(fitted);
        }
    }

    /// How many Allow ARNs were dropped for being too long.
    pub fn dropped_allows(&self) -> usize {
        self.dropped_allows
    }

    /// How many Deny ARNs were widened to fit the length limit.
    pub fn widened_denies(&self) -> usize {
        self.widened_denies
    }

    /// The policy. With no Allow at all, it is a single explicit Deny of the
    /// whole stage, so that nothing (not even another authorizer's stale
    /// answer) can be read as permission.
    ///
    /// With Denies, an Allow of the `*` verb (only [`Self::allow_stage`]
    /// writes one) becomes one Allow per verb of [`HTTP_VERBS`], for the
    /// reason given at [`Self::allow`].
    pub fn build(mut self) -> PolicyDocument {
        if !self.deny.is_empty() {
            for resource in std::mem::take(&mut self.allow).into_vec() {
                match self.any_verb_path(&resource) {
                    Some(path) => {
                        for verb in HTTP_VERBS {
                            let narrowed = self.arn.resource(Some(verb), path);
                            self.push_allow(narrowed);
                        }
                    }
                    None => self.allow.insert(resource),
                }
            }
        }
        let mut statements = Vec::with_capacity(2);
        if self.allow.is_empty() {
            let stage = self.arn.resource(None, "/*");
            let stage = self.fit_deny(stage);
            statements.push(Statement {
                action: INVOKE_ACTION,
                effect: Effect::Deny,
                resources: vec![stage],
            });
        } else {
            statements.push(Statement {
                action: INVOKE_ACTION,
                effect: Effect::Allow,
                resources: self.allow.into_vec(),
            });
            if !self.deny.is_empty() {
                statements.push(Statement {
                    action: INVOKE_ACTION,
                    effect: Effect::Deny,
                    resources: self.deny.into_vec(),
                });
            }
        }
        PolicyDocument {
            version: POLICY_VERSION,
            statements,
        }
    }

    /// The Deny ARNs for `verb` on `path_pattern`: one ARN, or one per verb
    /// when a method wildcard could otherwise match across `/`.
    fn deny_resources(&self, verb: Option<&str>, path_pattern: &str) -> Vec<String> {
        match verb {
            Some(verb) => vec![self.arn.resource(Some(verb), path_pattern)],
            // `…/*/*rest` matches nothing that `…/{VERB}/*rest` for some verb
            // would not: whatever the method wildcard takes beyond the verb,
            // the path's leading `*` can take instead.
            None if path_pattern.starts_with("/*") => {
                vec![self.arn.resource(None, path_pattern)]
            }
            None => HTTP_VERBS
                .iter()
                .map(|verb| self.arn.resource(Some(verb), path_pattern))
                .collect(),
        }
    }

    fn push_allow(&mut self, resource: String) {
        if resource.len() > MAX_RESOURCE_ARN_LEN {
            self.dropped_allows += 1;
            tracing::warn!(
                length = resource.len(),
                limit = MAX_RESOURCE_ARN_LEN,
                "an Allow resource ARN is too long for API Gateway; dropped it (the caller gets less access, never more)"
            );
            return;
        }
        self.allow.insert(resource);
    }

    /// `resource`, or the narrowest wider ARN that fits the length limit:
    /// the same verb on the whole stage, then the whole stage, then the
    /// whole API.
    fn fit_deny(&mut self, resource: String) -> String {
        if resource.len() <= MAX_RESOURCE_ARN_LEN {
            return resource;
        }
        self.widened_denies += 1;
        let wider = [
            // `…/{stage}/{VERB}/*`: find the verb of this resource.
            self.verb_of(&resource)
                .map(|verb| self.arn.resource(Some(verb), "/*")),
            Some(self.arn.resource(None, "/*")),
            Some(format!("{}/*", self.arn.api_prefix())),
        ];
        let fitted = wider
            .into_iter()
            .flatten()
            .find(|candidate| candidate.len() <= MAX_RESOURCE_ARN_LEN)
            // An API prefix longer than the limit cannot come from API
            // Gateway; refuse the whole partition's execute-api rather than
            // let a Deny disappear.
            .unwrap_or_else(|| format!("arn:{}:execute-api:*", self.arn.partition));
        tracing::warn!(
            length = resource.len(),
            limit = MAX_RESOURCE_ARN_LEN,
            "a Deny resource ARN is too long for API Gateway; widened it (the caller is refused more, never less)"
        );
        fitted
    }

    /// The path pattern of an ARN this builder made with the `*` verb.
    fn any_verb_path<'a>(&self, resource: &'a str) -> Option<&'a str> {
        let stage_prefix = format!("{}/{}/", self.arn.api_prefix(), self.arn.stage);
        resource
            .strip_prefix(&stage_prefix)?
            .strip_prefix('*')
            .filter(|path| path.starts_with('/'))
    }

    /// The verb segment of an ARN this builder made.
    fn verb_of<'a>(&self, resource: &'a str) -> Option<&'a str> {
        let stage_prefix = format!("{}/{}/", self.arn.api_prefix(), self.arn.stage);
        let rest = resource.strip_prefix(&stage_prefix)?;
        rest.split('/').next()
    }
}

/// An ordered set of ARNs.
#[derive(Debug, Default)]
struct Resources {
    order: Vec<String>,
    seen: HashSet<String>,
}

impl Resources {
    fn insert(&mut self, resource: String) {
        if self.seen.insert(resource.clone()) {
            self.order.push(resource);
        }
    }

    fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    fn into_vec(self) -> Vec<String> {
        self.order
    }
}

/// IAM's resource wildcard match: `*` matches any run of characters
/// (including none, and including `/`), `?` matches exactly one character,
/// everything else matches itself, case-sensitively.
///
/// Runs in O(pattern × text) in the worst case and in about O(text) for the
/// patterns an authorizer writes (few `*`).
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let pattern = pattern.as_bytes();
    let text = text.as_bytes();
    let (mut p, mut t) = (0, 0);
    // Where to resume after the last `*`: its position in the pattern, and
    // the text position it is currently taken to end at.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == b'?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:execute-api:eu-west-1:123456789012:abc123defg/prod/GET/pets/42";

    fn arn() -> MethodArn {
        MethodArn::parse(ARN).unwrap()
    }

    #[test]
    fn parses_a_method_arn_and_prints_it_back() {
        let arn = arn();
        assert_eq!(arn.region(), "eu-west-1");
        assert_eq!(arn.account(), "123456789012");
        assert_eq!(arn.api_id(), "abc123defg");
        assert_eq!(arn.stage(), "prod");
        assert_eq!(arn.verb(), "GET");
        assert_eq!(arn.path(), "/pets/42");
        assert_eq!(arn.to_string(), ARN);
    }

    #[test]
    fn parses_the_root_resource_and_the_console_test_stage() {
        let root = MethodArn::parse("arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/*/GET/")
            .unwrap();
        assert_eq!(root.stage(), "*");
        assert_eq!(root.path(), "/");
        let no_slash =
            MethodArn::parse("arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/prod/GET")
                .unwrap();
        assert_eq!(no_slash.path(), "/");
    }

    #[test]
    fn refuses_arns_that_are_not_execute_api_method_arns() {
        for (arn, expected) in [
            ("", ArnError::NotExecuteApi),
            (
                "arn:aws:lambda:us-east-1:1:function:f",
                ArnError::NotExecuteApi,
            ),
            (
                "arn:aws:execute-api:us-east-1:123",
                ArnError::MissingPart("resource"),
            ),
            (
                "arn:aws:execute-api::123:api/prod/GET/",
                ArnError::MissingPart("region"),
            ),
            (
                "arn:aws:execute-api:us-east-1:123:api",
                ArnError::MissingPart("stage"),
            ),
            (
                "arn:aws:execute-api:us-east-1:123:api/prod",
                ArnError::MissingPart("HTTP verb"),
            ),
            (
                "arn:aws:execute-api:us-east-1:*:api/prod/GET/",
                ArnError::Wildcard("account"),
            ),
            (
                "arn:aws:execute-api:us-east-1:123:a?i/prod/GET/",
                ArnError::Wildcard("API id"),
            ),
        ] {
            assert_eq!(MethodArn::parse(arn), Err(expected), "{arn}");
        }
    }

    #[test]
    fn wildcards_follow_iam() {
        assert!(wildcard_match("a/*", "a/"));
        assert!(wildcard_match("a/*", "a/b/c"));
        assert!(wildcard_match("a/*/c", "a/b/x/c"));
        assert!(!wildcard_match("a/*/c", "a/b/x/d"));
        assert!(wildcard_match("a?c", "abc"));
        assert!(!wildcard_match("a?c", "ac"));
        assert!(wildcard_match("*", ""));
        assert!(!wildcard_match("", "a"));
        assert!(!wildcard_match("GET/pets", "GET/Pets"));
        assert!(wildcard_match("*a*b*c", "xxaxxbxxbxc"));
    }

    #[test]
    fn a_stage_wide_policy_has_the_version_and_allows_everything_in_the_stage() {
        let mut builder = PolicyBuilder::new(&arn());
        builder.allow_stage();
        let policy = builder.build();
        let json = serde_json::to_value(&policy).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow",
                    "Resource": ["arn:aws:execute-api:eu-west-1:123456789012:abc123defg/prod/*/*"]
                }]
            })
        );
        let prefix = "arn:aws:execute-api:eu-west-1:123456789012:abc123defg";
        assert!(policy.allows(&format!("{prefix}/prod/GET/")));
        assert!(policy.allows(&format!("{prefix}/prod/DELETE/a/b/c")));
        assert!(!policy.allows(&format!("{prefix}/test/GET/")));
        assert!(!policy.allows("arn:aws:execute-api:eu-west-1:123456789012:other/prod/GET/"));
    }

    #[test]
    fn nothing_allowed_is_an_explicit_deny_of_the_stage() {
        let mut builder = PolicyBuilder::new(&arn());
        builder.deny(Some("GET"), "/pets/*");
        let policy = builder.build();
        assert_eq!(policy.statements.len(), 1);
        assert_eq!(policy.statements[0].effect, Effect::Deny);
        assert_eq!(
            policy.statements[0].resources,
            ["arn:aws:execute-api:eu-west-1:123456789012:abc123defg/prod/*/*"]
        );
        assert!(!policy.allows(ARN));
    }

    #[test]
    fn any_verb_on_a_literal_path_is_one_arn_per_verb() {
        let mut builder = PolicyBuilder::new(&arn());
        builder.allow(None, "/pets/*");
        let policy = builder.build();
        assert_eq!(policy.resource_count(Effect::Allow), HTTP_VERBS.len());
        let prefix = "arn:aws:execute-api:eu-west-1:123456789012:abc123defg/prod";
        assert!(policy.allows(&format!("{prefix}/PATCH/pets/1")));
        // A single `…/prod/*/pets/*` would have let this through.
        assert!(!policy.allows(&format!("{prefix}/GET/x/pets/1")));
    }

    #[test]
    fn any_verb_allow_on_a_wildcard_first_path_is_one_arn_per_verb_too() {
        let mut builder = PolicyBuilder::new(&arn());
        builder.allow(None, "/*/photos");
        let policy = builder.build();
        let prefix = "arn:aws:execute-api:eu-west-1:123456789012:abc123defg/prod";
        let expected: Vec<String> = HTTP_VERBS
            .iter()
            .map(|verb| format!("{prefix}/{verb}/*/photos"))
            .collect();
        assert_eq!(policy.statements[0].resources, expected);
        assert!(policy.allows(&format!("{prefix}/PATCH/x/y/photos")));
        assert!(!policy.allows(&format!("{prefix}/PROPFIND/x/photos")));
    }

    #[test]
    fn any_verb_deny_on_a_wildcard_first_path_stays_one_arn() {
        let mut builder = PolicyBuilder::new(&arn());
        builder.allow(Some("GET"), "/pets");
        builder.deny(None, "/*/photos");
        let policy = builder.build();
        let prefix = "arn:aws:execute-api:eu-west-1:123456789012:abc123defg/prod";
        assert_eq!(
            policy.statements[1].resources,
            [format!("{prefix}/*/*/photos")]
        );
    }

    /// The review's case: any verb allowed everywhere, any verb denied on a
    /// literal path. A `…/*/*` Allow would have let a verb outside
    /// `HTTP_VERBS` through the per-verb Denies.
    #[test]
    fn a_verb_outside_the_standard_ones_never_slips_past_a_deny() {
        let prefix = "arn:aws:execute-api:eu-west-1:123456789012:abc123defg/prod";
        let odd_verbs = ["PROPFIND", "MKCOL", "LOCK", "TRACE", "CONNECT", "X"];

        let mut builder = PolicyBuilder::new(&arn());
        builder.allow(None, "/*");
        builder.deny(None, "/pets/*/secrets");
        let policy = builder.build();
        assert!(
            policy.statements[0]
                .resources
                .iter()
                .all(|resource| !resource.starts_with(&format!("{prefix}/*/"))),
            "{:?}",
            policy.statements[0].resources
        );
        for verb in HTTP_VERBS {
            assert!(policy.allows(&format!("{prefix}/{verb}/pets/1")), "{verb}");
            assert!(!policy.allows(&format!("{prefix}/{verb}/pets/1/secrets")));
        }
        for verb in odd_verbs {
            assert!(
                !policy.allows(&format!("{prefix}/{verb}/pets/1/secrets")),
                "{verb}"
            );
        }

        // The stage-wide Allow is narrowed the same way once a Deny joins it.
        let mut builder = PolicyBuilder::new(&arn());
        builder.allow_stage();
        builder.deny(None, "/pets/*/secrets");
        let policy = builder.build();
        let expected: Vec<String> = HTTP_VERBS
            .iter()
            .map(|verb| format!("{prefix}/{verb}/*"))
            .collect();
        assert_eq!(policy.statements[0].resources, expected);
        for verb in odd_verbs {
            assert!(
                !policy.allows(&format!("{prefix}/{verb}/pets/1/secrets")),
                "{verb}"
            );
        }
        assert!(policy.allows(&format!("{prefix}/GET/pets/1")));

        // A Deny that names one verb, or the `*` verb, needs no narrowing to
        // be sound, but the Allow is narrowed all the same: simpler, and
        // never broader.
        let mut builder = PolicyBuilder::new(&arn());
        builder.allow_stage();
        builder.deny(None, "/*/secrets");
        let policy = builder.build();
        for verb in odd_verbs {
            assert!(!policy.allows(&format!("{prefix}/{verb}/pets/1/secrets")));
        }

        // Without Denies, the whole stage stays one `*` ARN, every verb.
        let mut builder = PolicyBuilder::new(&arn());
        builder.allow_stage();
        let policy = builder.build();
        assert_eq!(policy.statements[0].resources, [format!("{prefix}/*/*")]);
        assert!(policy.allows(&format!("{prefix}/PROPFIND/pets/1/secrets")));
    }

    /// Seven per-verb Allows on a 300-character path (the authorizer's
    /// longest rule path) still fit with the longest partition, region and
    /// stage name, so none is dropped.
    #[test]
    fn per_verb_allows_fit_the_arn_limit_with_the_longest_parts() {
        let stage = "s".repeat(128);
        let arn = MethodArn::parse(&format!(
            "arn:aws-us-gov:execute-api:ap-southeast-2:123456789012:abcdefghij/{stage}/GET/x"
        ))
        .unwrap();
        let mut builder = PolicyBuilder::new(&arn);
        let path = format!("/*/{}", "a".repeat(297));
        assert_eq!(path.len(), 300);
        builder.allow(None, &path);
        builder.allow_stage();
        builder.deny(None, &format!("/{}", "b".repeat(299)));
        assert_eq!(builder.dropped_allows(), 0);
        assert_eq!(builder.widened_denies(), 0);
        let policy = builder.build();
        assert_eq!(policy.resource_count(Effect::Allow), 2 * HTTP_VERBS.len());
        assert_eq!(policy.resource_count(Effect::Deny), HTTP_VERBS.len());
        let longest = policy
            .statements
            .iter()
            .flat_map(|statement| &statement.resources)
            .map(String::len)
            .max()
            .unwrap();
        assert!(longest <= MAX_RESOURCE_ARN_LEN, "{longest}");
        let prefix =
            format!("arn:aws-us-gov:execute-api:ap-southeast-2:123456789012:abcdefghij/{stage}");
        assert!(policy.allows(&format!("{prefix}/OPTIONS/x/{}", "a".repeat(297))));
    }

    #[test]
    fn deny_wins_and_duplicates_collapse() {
        let mut builder = PolicyBuilder::new(&arn());
        builder.allow(Some("GET"), "/pets/*");
        builder.allow(Some("GET"), "/pets/*");
        builder.deny(Some("GET"), "/pets/*/secret");
        let policy = builder.build();
        assert_eq!(policy.resource_count(Effect::Allow), 1);
        let prefix = "arn:aws:execute-api:eu-west-1:123456789012:abc123defg/prod";
        assert!(policy.allows(&format!("{prefix}/GET/pets/1")));
        assert!(!policy.allows(&format!("{prefix}/GET/pets/1/secret")));
        assert!(!policy.allows(&format!("{prefix}/POST/pets/1")));
    }

    #[test]
    fn too_long_allows_are_dropped_and_too_long_denies_widened() {
        let long = format!("/{}", "a".repeat(600));
        let mut builder = PolicyBuilder::new(&arn());
        builder.allow(Some("GET"), "/pets");
        builder.allow(Some("GET"), &long);
        builder.deny(Some("POST"), &long);
        assert_eq!(builder.dropped_allows(), 1);
        assert_eq!(builder.widened_denies(), 1);
        let policy = builder.build();
        let prefix = "arn:aws:execute-api:eu-west-1:123456789012:abc123defg/prod";
        assert_eq!(
            policy.statements[0].resources,
            [format!("{prefix}/GET/pets")]
        );
        assert_eq!(policy.statements[1].resources, [format!("{prefix}/POST/*")]);
        for statement in &policy.statements {
            for resource in &statement.resources {
                assert!(resource.len() <= MAX_RESOURCE_ARN_LEN);
            }
        }
    }

    #[test]
    fn a_stage_too_long_for_any_allow_gives_a_fitting_deny() {
        let stage = "s".repeat(500);
        let arn = MethodArn::parse(&format!(
            "arn:aws:execute-api:eu-west-1:123456789012:abc123defg/{stage}/GET/pets"
        ))
        .unwrap();
        let mut builder = PolicyBuilder::new(&arn);
        builder.allow_stage();
        assert_eq!(builder.dropped_allows(), 1);
        let policy = builder.build();
        assert_eq!(policy.statements.len(), 1);
        assert_eq!(policy.statements[0].effect, Effect::Deny);
        assert_eq!(
            policy.statements[0].resources,
            ["arn:aws:execute-api:eu-west-1:123456789012:abc123defg/*"]
        );
        assert!(!policy.allows(&arn.to_string()));
    }
}
