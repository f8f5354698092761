//! The IAM policies a REST (or HTTP API 1.0) authorizer answers with, exact
//! for every call API Gateway may reuse them for.
//!
//! API Gateway evaluates the cached policy against the ARN of each later
//! call with the same cache key, and the ARN holds the real request path.
//! IAM's only wildcard that spans text, `*`, also spans `/`, so an IAM
//! pattern cannot say "one segment". Two modes
//! ([`PolicyScope`]) deal with that.
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
//! rule with a common verb matches: [`crate::stage_check`] states that
//! condition, proves it at init for every caller, and bounds the size.
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
use cognito_auth_core::policy::{Effect, HTTP_VERBS, MethodArn, PolicyBuilder, PolicyDocument};

use crate::config::PolicyScope;
use crate::decide::Evaluation;
use crate::route_rules::Rule;
use crate::template::{AMBIGUOUS_PATH_DENIES, Template};

/// The policy for a REST (or HTTP API 1.0) call of `arn`, and what it
/// covers (for logs): with no rules, the whole stage; with rules, per
/// `scope` ([`stage_policy`], or [`route_policy`] for the event's
/// `resource` template).
pub fn for_call(
    scope: PolicyScope,
    evaluation: Option<&Evaluation<'_>>,
    arn: &MethodArn,
    resource: Option<&str>,
) -> (PolicyDocument, &'static str) {
    let Some(evaluation) = evaluation else {
        let mut builder = PolicyBuilder::new(arn);
        builder.allow(None, "/*");
        return (builder.build(), "stage");
    };
    match scope {
        PolicyScope::Stage => (stage_policy(evaluation, arn), "stage"),
        PolicyScope::Route => {
            let resource = resource.and_then(Template::parse_route);
            let (policy, covers) = route_policy(evaluation, arn, resource.as_ref());
            (policy, covers.as_str())
        }
    }
}

/// The policy for a WebSocket `$connect`: `allowed` or not, for exactly
/// its ARN as sent (which has no path, so no `/` after `$connect`).
pub fn connect(arn: &MethodArn, allowed: bool) -> PolicyDocument {
    let effect = if allowed { Effect::Allow } else { Effect::Deny };
    PolicyDocument::single(effect, arn.resource(Some(arn.verb()), ""))
}

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

#[cfg(test)]
mod tests;
