//! The IAM policies a REST (or HTTP API 1.0) authorizer answers with, exact
//! for every call API Gateway may reuse them for.
//!
//! API Gateway evaluates the cached policy against the ARN of each later
//! call with the same cache key, and the ARN holds the real request path.
//! IAM's only wildcard that spans text, `*`, also spans `/`, so an IAM
//! pattern cannot say "one segment". Two modes
//! ([`PolicyScope`](crate::config::PolicyScope)) deal with that.
//!
//! # `stage` (the default): one policy for the whole stage
//!
//! For a caller, with S the rules they satisfy and U the others:
//! 1. Allow, per verb of each rule in S, its IAM pattern
//!    ([`Template::iam_pattern`]).
//! 2. Deny, for the same verbs, each of its [`Template::over_matches`]: the
//!    paths where a `{name}`'s `*` took more than one segment.
//! 3. Deny, per verb, the pattern of each rule in U that shares a path and
//!    a verb with a rule in S.
//! 4. When an Allow holds a wildcard, Deny the ambiguous paths
//!    ([`AMBIGUOUS_PATH_DENIES`]).
//!
//! Step 1 leaves out a verb of a rule in S when a rule in U with a lone
//! parameter (`/{proxy+}`, `/{id}`, `/*`) takes that verb and covers the
//! rule: every such call is refused anyway. That keeps the answer exact if
//! API Gateway reads IAM's `?` literally (AWS documents only `*`): the only
//! `?` any answer holds is in the pattern of a lone parameter, `/?*`, which
//! read literally matches nothing, so its Allow allows nothing and its Deny
//! denies nothing, and no remaining Allow relies on that Deny.
//!
//! This is exact when no over-match pattern of any rule meets a path that a
//! rule with a common verb matches (condition C, checked at init by
//! [`check_stage`], whatever the caller). Proof sketch, for an unambiguous
//! path p and a verb:
//! - if the rules allow p, some s ∈ S matches it, so an Allow (1) does. No
//!   Deny (2) or (3) matches it: by C, over-match patterns meet no path a
//!   rule matches, and the pattern of a u ∈ U matches either u's own paths
//!   (which p is not among, since p is allowed) or u's over-matches (again
//!   by C). (4) matches only ambiguous paths.
//! - if the rules refuse p and an Allow (1) of some s matches it, either s
//!   does not match p, so p is an over-match of s and a Deny (2) refuses
//!   it, or s matches p and a u ∈ U matches p too, and that u shares a path
//!   and a verb with s, so a Deny (3) refuses it.
//!
//! Without C, a stage-wide answer can be impossible: with `GET /pets/{id}`
//! and `GET /pets/{id}/photos` both allowed, any Allow for `/pets/1` also
//! matches `/pets/1/x`, and no IAM pattern denies `/pets/1/x` without
//! denying `/pets/1/photos`. [`check_stage`] then fails init and names the
//! two rules and the `route` mode.
//!
//! # `route`: one answer per REST resource
//!
//! For a REST REQUEST authorizer whose identity sources include
//! `context.httpMethod` and `context.resourcePath`, API Gateway reuses an
//! answer only for calls with the same verb to the same resource. When the
//! rules allow every call that resource can receive
//! ([`Evaluation::allows_route`]), and IAM can say exactly which paths the
//! resource has ([`Template::is_exact_in_iam`]), the answer allows exactly
//! them for that verb: its pattern, minus its over-matches and the
//! ambiguous paths. Otherwise it allows exactly this call's ARN (no
//! wildcard at all) or denies the stage. Either way the answer never allows
//! a call the rules refuse, whatever the cache key: a misconfigured cache
//! can only refuse too much, never allow too much.

use cognito_auth_core::config::ConfigError;
use cognito_auth_core::policy::{HTTP_VERBS, MethodArn, PolicyBuilder, PolicyDocument};

use crate::config::{AUTHZ_POLICY_SCOPE, AUTHZ_RULES};
use crate::decide::Evaluation;
use crate::route_rules::{Rule, RuleSet};
use crate::template::{AMBIGUOUS_PATH_DENIES, Template};

/// The caller's policy for the whole stage of `arn` (see the module docs).
pub fn stage_policy(evaluation: &Evaluation<'_>, arn: &MethodArn) -> PolicyDocument {
    let mut builder = PolicyBuilder::new(arn);
    let satisfied: Vec<&Rule> = evaluation
        .rules()
        .filter_map(|(rule, satisfied)| satisfied.then_some(rule))
        .collect();
    for rule in &satisfied {
        // A verb on which a failed rule with a lone parameter covers this
        // rule is refused on all of its paths: no Allow. Such a failed
        // rule's Deny (below) is `/?*`, which would deny nothing if API
        // Gateway read `?` literally; without the Allow, nothing depends
        // on it (see `Template::iam_pattern`).
        let verbs: Vec<&'static str> = rule
            .verbs()
            .iter()
            .copied()
            .filter(|&verb| {
                !evaluation.rules().any(|(failed, is_satisfied)| {
                    !is_satisfied
                        && failed.takes(verb)
                        && failed.template.is_lone_parameter()
                        && failed.template.covers(&rule.template)
                })
            })
            .collect();
        allow_exactly(&mut builder, &verbs, &rule.template);
    }
    for (rule, is_satisfied) in evaluation.rules() {
        let meets_an_allow = || {
            satisfied.iter().any(|allowed| {
                allowed.shares_a_verb_with(rule.method) && allowed.template.overlaps(&rule.template)
            })
        };
        if !is_satisfied && meets_an_allow() {
            let pattern = rule.template.iam_pattern();
            for &verb in rule.verbs() {
                builder.deny(Some(verb), pattern.clone());
            }
        }
    }
    builder.build()
}

/// The answer for one REST resource (`route` mode): exactly the resource's
/// paths for the call's verb when the rules allow them all, else exactly
/// this call, else an explicit Deny. `resource` is the event's resource
/// template; `None` (TOKEN and HTTP API 1.0 events, which name none) gives
/// the per-call answer.
pub fn route_policy(
    evaluation: &Evaluation<'_>,
    arn: &MethodArn,
    resource: Option<&Template>,
) -> (PolicyDocument, RouteAnswer) {
    let Some(verb) = standard_verb(arn.verb()) else {
        return (PolicyDocument::deny_stage(arn), RouteAnswer::Refused);
    };
    let mut builder = PolicyBuilder::new(arn);
    if let Some(resource) = resource
        && resource.is_exact_in_iam()
        && evaluation.allows_route(Some(verb), resource)
    {
        allow_exactly(&mut builder, &[verb], resource);
        return (builder.build(), RouteAnswer::WholeResource);
    }
    // The ARN itself, as a pattern that matches only itself: it holds no
    // wildcard (a path with `*` or `?` is refused).
    let path = arn.path();
    if evaluation.allows(verb, path) && !path.contains(['*', '?']) {
        builder.allow(Some(verb), path.to_owned());
        return (builder.build(), RouteAnswer::ThisCall);
    }
    (PolicyDocument::deny_stage(arn), RouteAnswer::Refused)
}

/// What a `route` answer covers, for logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RouteAnswer {
    /// Every call of this verb to the resource.
    WholeResource,
    /// Only this call's ARN.
    ThisCall,
    /// Nothing: an explicit Deny.
    Refused,
}

impl RouteAnswer {
    /// A stable name for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WholeResource => "whole_resource",
            Self::ThisCall => "this_call",
            Self::Refused => "refused",
        }
    }
}

/// Allows exactly the unambiguous paths of `template` for `verbs`: its
/// pattern, minus its over-matches, minus the ambiguous paths when the
/// pattern has a wildcard.
fn allow_exactly(builder: &mut PolicyBuilder, verbs: &[&'static str], template: &Template) {
    if verbs.is_empty() {
        return;
    }
    let pattern = template.iam_pattern();
    let over_matches = template.over_matches();
    for &verb in verbs {
        builder.allow(Some(verb), pattern.clone());
        for over_match in &over_matches {
            builder.deny(Some(verb), over_match.clone());
        }
    }
    if template.has_parameter() {
        for ambiguous in AMBIGUOUS_PATH_DENIES {
            builder.deny(None, ambiguous);
        }
    }
}

/// The `&'static` spelling of a standard verb.
fn standard_verb(verb: &str) -> Option<&'static str> {
    HTTP_VERBS
        .iter()
        .copied()
        .find(|standard| *standard == verb)
}

/// The most bytes a policy may take: API Gateway's 8 KB for the whole
/// answer, less what the rest of the answer may need
/// ([`crate::response::ANSWER_LIMIT`], [`crate::response::RESERVED_FOR_CONTEXT`]).
pub const POLICY_BUDGET: usize =
    crate::response::ANSWER_LIMIT - crate::response::RESERVED_FOR_CONTEXT;

/// The stage name length the init check assumes (API Gateway allows up to
/// 128; every resource carries it). A longer stage can only make a rare
/// answer too large, which the handler then refuses and logs.
pub const ASSUMED_STAGE_LEN: usize = 32;

/// Proves at init that `stage` mode can answer exactly and within the size
/// limit for every caller, or says which mode to use. Returns the largest
/// policy, in bytes, that any caller can get with `prefix_len`-byte
/// resource prefixes (see [`resource_prefix_len`]).
pub fn check_stage(set: &RuleSet, prefix_len: usize) -> Result<usize, ConfigError> {
    let largest = largest_stage_policy(set, prefix_len);
    if largest > POLICY_BUDGET {
        return Err(ConfigError::new(
            AUTHZ_RULES,
            format!(
                "can produce a stage-wide policy of {largest} bytes, over the {POLICY_BUDGET} \
                 this answer can spend within API Gateway's 8 KB limit; set {AUTHZ_POLICY_SCOPE}=route \
                 (a REQUEST authorizer cached on the token, context.httpMethod and \
                 context.resourcePath) or use fewer rules"
            ),
        ));
    }
    let rules = set.rules();
    for (at, rule) in rules.iter().enumerate() {
        if rule.template.over_matches().is_empty() {
            continue;
        }
        for (other_at, other) in rules.iter().enumerate() {
            if other_at == at && rule.template.over_match_meets(&rule.template) {
                return Err(ConfigError::new(
                    AUTHZ_RULES,
                    format!(
                        "{} cannot be expressed by a stage-wide policy: IAM's `*` spans `/`, so \
                         what its one-segment parameter would reach beyond one segment cannot \
                         be denied without also denying some of its own paths (its later \
                         `{{name+}}` reaches them too); set {AUTHZ_POLICY_SCOPE}=route (a REQUEST \
                         authorizer cached on the token, context.httpMethod and \
                         context.resourcePath)",
                        set.label(at)
                    ),
                ));
            }
            if rule.shares_a_verb_with(other.method)
                && rule.template.over_match_meets(&other.template)
            {
                return Err(ConfigError::new(
                    AUTHZ_RULES,
                    format!(
                        "{} and {} cannot share one stage-wide policy: IAM's `*` spans `/`, so \
                         no policy can allow the one-segment parameter of the first without \
                         also reaching paths of the second; set {AUTHZ_POLICY_SCOPE}=route (a \
                         REQUEST authorizer cached on the token, context.httpMethod and \
                         context.resourcePath)",
                        set.label(at),
                        set.label(other_at)
                    ),
                ));
            }
        }
    }
    Ok(largest)
}

/// An upper bound of the serialised size of any caller's stage policy: for
/// each rule, the larger of what it adds when satisfied (its Allows and
/// over-match Denies) and when not (its Denies); the ambiguous-path Denies;
/// the JSON around them.
pub fn largest_stage_policy(set: &RuleSet, prefix_len: usize) -> usize {
    // `{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":[]},{…"Deny"…}]}`,
    // both statements with empty lists.
    const SKELETON: usize = 163;
    // Quotes around each resource, and at most one comma.
    let resource = |verb: &str, pattern_len: usize| prefix_len + verb.len() + pattern_len + 3;
    let mut total = SKELETON;
    let mut any_parameter = false;
    for rule in set.rules() {
        let pattern_len = rule.template.iam_pattern().len();
        let over_matches: Vec<usize> = rule
            .template
            .over_matches()
            .iter()
            .map(String::len)
            .collect();
        for verb in rule.verbs() {
            total += resource(verb, pattern_len);
            total += over_matches
                .iter()
                .map(|len| resource(verb, *len))
                .sum::<usize>();
        }
        any_parameter |= rule.template.has_parameter();
    }
    if any_parameter {
        total += AMBIGUOUS_PATH_DENIES
            .iter()
            .map(|pattern| resource("*", pattern.len()))
            .sum::<usize>();
    }
    total
}

/// The length of `arn:{partition}:execute-api:{region}:{account}:{apiId}/{stage}/`
/// for the function's region (`AWS_REGION`; the longest region name when
/// unset), a 10-character API id and a stage of [`ASSUMED_STAGE_LEN`].
pub fn resource_prefix_len(region: Option<&str>) -> usize {
    const LONGEST_REGION: usize = 14;
    const LONGEST_PARTITION: usize = "aws-us-gov".len();
    let (partition, region) = match region {
        Some(region) => (partition_of(region).len(), region.len()),
        None => (LONGEST_PARTITION, LONGEST_REGION),
    };
    "arn:".len()
        + partition
        + ":execute-api:".len()
        + region
        + ":".len()
        + 12
        + ":".len()
        + 10
        + "/".len()
        + ASSUMED_STAGE_LEN
        + "/".len()
}

fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("eu-isoe-") {
        "aws-iso-e"
    } else if region.starts_with("us-isof-") {
        "aws-iso-f"
    } else {
        "aws"
    }
}

#[cfg(test)]
mod tests;
