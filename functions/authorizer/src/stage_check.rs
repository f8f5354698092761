//! The init-time proof that `stage` mode ([`crate::iam_policy::stage_policy`])
//! answers every caller exactly and within API Gateway's size limit, or an
//! init error naming the rules and the `route` mode.
//!
//! With S, U and the steps (1) to (4) of [`crate::iam_policy`]'s `stage`
//! mode, the stage policy is exact when no over-match pattern of any rule
//! meets a path that a rule with a common verb matches (condition C, checked at init by
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
//! The size: [`largest_stage_policy`] bounds any caller's stage policy, and
//! [`check_stage`] refuses rules whose bound is over
//! [`POLICY_BUDGET`].

use cognito_auth_core::config::ConfigError;

use crate::config::{AUTHZ_POLICY_SCOPE, AUTHZ_RULES};
use crate::limits::POLICY_BUDGET;
use crate::route_rules::RuleSet;
use crate::template::AMBIGUOUS_PATH_DENIES;

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
