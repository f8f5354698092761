//! IAM policy documents for API Gateway Lambda authorizers: REST APIs, and
//! HTTP APIs with payload format 1.0.
//!
//! An authorizer answers with a policy that API Gateway evaluates against the
//! ARN of the method being called:
//! `arn:{partition}:execute-api:{region}:{account}:{apiId}/{stage}/{VERB}/{path}`.
//! This module holds the typed pieces: the triggering [`MethodArn`], a
//! [`PolicyBuilder`] that keeps resources as (verb, path pattern) pairs within
//! that ARN's stage until [`PolicyBuilder::build`] writes them out, and
//! [`PolicyDocument::allows`], which evaluates a policy the way IAM does so
//! that decisions can be logged and tested.
//!
//! Resource patterns use IAM's wildcards: `*` matches any run of characters,
//! **including `/`**, and `?` matches one character. What a set of Allows
//! and Denies means for real request paths is the caller's business (the
//! authorizer's `encode` module proves its encodings exact); this module
//! only guarantees that nothing but the caller's patterns and the event's
//! own ARN parts reach the policy, and reports the two limits API Gateway
//! enforces on it: [`MAX_RESOURCE_ARN_LEN`] per resource, and the size of
//! the whole answer (measured by the caller on the serialised JSON).
//!
//! A stage that is itself a wildcard (`*`, which API Gateway's console test
//! sends) is refused by [`MethodArn::parse`]: every pattern is written under
//! the stage, so a wildcard stage would let `*` reach across stages, verbs
//! and path segments.

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
    /// with a leading `/`. The partition, region, account, API id and stage
    /// must be literal: a wildcard stage (`*`, from the console's test) is
    /// refused, since an Allow written under it would match across stages.
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
        let stage = literal(resource.next(), "stage")?;
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

    /// `arn:{partition}:execute-api:{region}:{account}:{apiId}/{stage}/`:
    /// what every resource of a policy for this ARN starts with.
    pub fn stage_prefix(&self) -> String {
        format!(
            "arn:{}:execute-api:{}:{}:{}/{}/",
            self.partition, self.region, self.account, self.api_id, self.stage
        )
    }

    /// The ARN of `verb` (`None`: the `*` verb) on paths matching
    /// `path_pattern` (which starts with `/`) in this ARN's stage.
    pub fn resource(&self, verb: Option<&str>, path_pattern: &str) -> String {
        format!(
            "{}{}{path_pattern}",
            self.stage_prefix(),
            verb.unwrap_or("*")
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
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
    /// An explicit Deny of every verb and path in the stage of `arn`: the
    /// answer when nothing is permitted, so that nothing (not even another
    /// authorizer's cached answer) can be read as permission. With a stage
    /// too long for that ARN to fit [`MAX_RESOURCE_ARN_LEN`] (API Gateway's
    /// own stages are at most 128 characters), it denies the whole API.
    pub fn deny_stage(arn: &MethodArn) -> Self {
        let mut resource = arn.resource(None, "/*");
        if resource.len() > MAX_RESOURCE_ARN_LEN {
            resource = format!(
                "arn:{}:execute-api:{}:{}:{}/*",
                arn.partition, arn.region, arn.account, arn.api_id
            );
        }
        Self {
            version: POLICY_VERSION,
            statements: vec![Statement {
                action: INVOKE_ACTION,
                effect: Effect::Deny,
                resources: vec![resource],
            }],
        }
    }

    /// One statement on one resource: the answer of a WebSocket `$connect`
    /// authorizer, whose ARN names no verb or path to pattern over. The
    /// caller passes an ARN it has checked to hold no wildcard.
    pub fn single(effect: Effect, resource: String) -> Self {
        Self {
            version: POLICY_VERSION,
            statements: vec![Statement {
                action: INVOKE_ACTION,
                effect,
                resources: vec![resource],
            }],
        }
    }

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

    /// The length of the longest resource ARN, to check against
    /// [`MAX_RESOURCE_ARN_LEN`].
    pub fn longest_resource(&self) -> usize {
        self.statements
            .iter()
            .flat_map(|statement| &statement.resources)
            .map(String::len)
            .max()
            .unwrap_or(0)
    }
}

/// A verb and a path pattern, under the builder's stage.
type Resource = (Option<&'static str>, String);

/// Builds a [`PolicyDocument`] in the stage of the triggering [`MethodArn`].
/// Resources stay typed, (verb, path pattern), until [`Self::build`];
/// duplicates collapse, order is kept.
#[derive(Debug)]
pub struct PolicyBuilder {
    arn: MethodArn,
    allow: Vec<Resource>,
    deny: Vec<Resource>,
    seen: HashSet<(Effect, Resource)>,
}

impl PolicyBuilder {
    /// A builder for the stage of `arn`, with nothing allowed yet.
    pub fn new(arn: &MethodArn) -> Self {
        Self {
            arn: arn.clone(),
            allow: Vec::new(),
            deny: Vec::new(),
            seen: HashSet::new(),
        }
    }

    /// Allows `verb` (`None`: the `*` verb, any verb at all) on every path
    /// matching `path_pattern`, which starts with `/` and uses IAM wildcards.
    pub fn allow(&mut self, verb: Option<&'static str>, path_pattern: impl Into<String>) {
        self.push(Effect::Allow, (verb, path_pattern.into()));
    }

    /// Denies `verb` (`None`: the `*` verb) on every path matching
    /// `path_pattern`. A Deny wins over every Allow.
    pub fn deny(&mut self, verb: Option<&'static str>, path_pattern: impl Into<String>) {
        self.push(Effect::Deny, (verb, path_pattern.into()));
    }

    /// Whether nothing is allowed yet.
    pub fn allows_nothing(&self) -> bool {
        self.allow.is_empty()
    }

    fn push(&mut self, effect: Effect, resource: Resource) {
        if self.seen.insert((effect, resource.clone())) {
            match effect {
                Effect::Allow => self.allow.push(resource),
                Effect::Deny => self.deny.push(resource),
            }
        }
    }

    /// The policy. With no Allow at all, it is [`PolicyDocument::deny_stage`]
    /// (the Denies are then moot).
    pub fn build(self) -> PolicyDocument {
        if self.allow.is_empty() {
            return PolicyDocument::deny_stage(&self.arn);
        }
        let prefix = self.arn.stage_prefix();
        let write = |resources: Vec<Resource>| -> Vec<String> {
            resources
                .into_iter()
                .map(|(verb, path)| format!("{prefix}{}{path}", verb.unwrap_or("*")))
                .collect()
        };
        let mut statements = vec![Statement {
            action: INVOKE_ACTION,
            effect: Effect::Allow,
            resources: write(self.allow),
        }];
        if !self.deny.is_empty() {
            statements.push(Statement {
                action: INVOKE_ACTION,
                effect: Effect::Deny,
                resources: write(self.deny),
            });
        }
        PolicyDocument {
            version: POLICY_VERSION,
            statements,
        }
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
    const PREFIX: &str = "arn:aws:execute-api:eu-west-1:123456789012:abc123defg/prod";

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
        assert_eq!(arn.stage_prefix(), format!("{PREFIX}/"));
    }

    #[test]
    fn parses_the_root_resource() {
        let root =
            MethodArn::parse("arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/prod/GET/")
                .unwrap();
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
            // The console's test invocation: an Allow under `*` would match
            // `prod/POST/x/GET/pets`, a path no rule named.
            (
                "arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/*/GET/",
                ArnError::Wildcard("stage"),
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
        assert!(wildcard_match("a?c", "a/c"));
        assert!(!wildcard_match("a?c", "ac"));
        assert!(wildcard_match("*", ""));
        assert!(!wildcard_match("", "a"));
        assert!(!wildcard_match("GET/pets", "GET/Pets"));
        assert!(wildcard_match("*a*b*c", "xxaxxbxxbxc"));
    }

    #[test]
    fn a_policy_has_the_version_allows_and_denies_in_order_without_duplicates() {
        let mut builder = PolicyBuilder::new(&arn());
        builder.allow(Some("GET"), "/pets/*");
        builder.allow(Some("GET"), "/pets/*");
        builder.allow(None, "/*");
        builder.deny(Some("GET"), "/pets/*/*");
        let policy = builder.build();
        assert_eq!(
            serde_json::to_value(&policy).unwrap(),
            serde_json::json!({
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Action": "execute-api:Invoke",
                        "Effect": "Allow",
                        "Resource": [format!("{PREFIX}/GET/pets/*"), format!("{PREFIX}/*/*")]
                    },
                    {
                        "Action": "execute-api:Invoke",
                        "Effect": "Deny",
                        "Resource": [format!("{PREFIX}/GET/pets/*/*")]
                    }
                ]
            })
        );
        assert!(policy.allows(&format!("{PREFIX}/GET/pets/1")));
        assert!(!policy.allows(&format!("{PREFIX}/GET/pets/1/x")));
        assert!(policy.allows(&format!("{PREFIX}/PROPFIND/pets/1")));
        assert!(!policy.allows(&format!("{PREFIX}x/GET/pets/1")));
        assert_eq!(policy.resource_count(Effect::Allow), 2);
        assert_eq!(policy.resource_count(Effect::Deny), 1);
        assert_eq!(
            policy.longest_resource(),
            PREFIX.len() + "/GET/pets/*/*".len()
        );
    }

    #[test]
    fn nothing_allowed_is_an_explicit_deny_of_the_stage() {
        let mut builder = PolicyBuilder::new(&arn());
        builder.deny(Some("GET"), "/pets/*");
        assert!(builder.allows_nothing());
        let policy = builder.build();
        assert_eq!(policy, PolicyDocument::deny_stage(&arn()));
        assert_eq!(policy.statements.len(), 1);
        assert_eq!(policy.statements[0].effect, Effect::Deny);
        assert_eq!(policy.statements[0].resources, [format!("{PREFIX}/*/*")]);
        assert!(!policy.allows(ARN));
    }

    #[test]
    fn a_deny_of_a_stage_too_long_for_an_arn_denies_the_api() {
        let stage = "s".repeat(500);
        let arn = MethodArn::parse(&format!(
            "arn:aws:execute-api:eu-west-1:123456789012:abc123defg/{stage}/GET/pets"
        ))
        .unwrap();
        let policy = PolicyDocument::deny_stage(&arn);
        assert_eq!(
            policy.statements[0].resources,
            ["arn:aws:execute-api:eu-west-1:123456789012:abc123defg/*"]
        );
        assert!(!policy.allows(&arn.to_string()));
    }
}
