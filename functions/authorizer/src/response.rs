//! The answers API Gateway expects, as our own exact types, and the context
//! they carry, bounded to API Gateway's size limit.
//!
//! `aws_lambda_events`' response types are not used: a default-built one
//! serialises `"Version": null` and `"context": null`, and its context is
//! any JSON, where API Gateway refuses nested values with a 500. Here the
//! version is a constant and the context can only hold flat values.
//!
//! # Size
//!
//! The policy is built first (`stage` mode proves at init that it leaves
//! [`RESERVED_FOR_CONTEXT`](crate::limits::RESERVED_FOR_CONTEXT) bytes); the context then gets exactly what is
//! left of [`ANSWER_LIMIT`] ([`crate::limits`] holds every figure).
//! Identity values are bounded ([`MAX_ID_VALUE`], [`MAX_EMAIL`]; Cognito's
//! own limits are far lower), and a longer one refuses the token rather
//! than be cut. Only the two lists can be cut, and only at whole items:
//! `groups_truncated` / `scopes_truncated` say so, and the handler logs it.

use std::collections::BTreeMap;

use cognito_auth_core::Claims;
use cognito_auth_core::claims::TokenUse;
use cognito_auth_core::ids::UserPoolId;
use cognito_auth_core::policy::{MethodArn, PolicyDocument};
use serde::Serialize;
use serde_json::Value;

use crate::limits::{ANSWER_LIMIT, MAX_EMAIL, MAX_ID_VALUE, MAX_RESOURCE_ARN_LEN, POLICY_BUDGET};

/// One context value. API Gateway passes strings, numbers and booleans on to
/// the integration (`$context.authorizer.<key>`, or
/// `requestContext.authorizer.lambda.<key>` for HTTP APIs); anything nested
/// makes it answer 500.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ContextValue {
    /// A string.
    String(String),
    /// A whole number.
    Number(i64),
    /// A boolean.
    Bool(bool),
}

/// The flat `context` map.
pub type Context = BTreeMap<&'static str, ContextValue>;

/// A claim too long to pass on whole; the token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the {0} claim is too long for the authorizer context")]
pub struct OversizedClaim(pub &'static str);

/// What was left out of a context to fit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cut {
    /// Groups kept, of the token's.
    pub groups_kept: usize,
    /// Scopes kept, of the token's.
    pub scopes_kept: usize,
    /// Whether anything was left out.
    pub any: bool,
}

/// The context for a verified caller, in at most `budget` bytes of JSON:
///
/// | key | value |
/// |---|---|
/// | `sub`, `client_id`, `token_use`, `user_pool_id` | strings |
/// | `principal_type` | `user`, or `client` for a machine client's client-credentials token |
/// | `username` | a person's username; absent for a machine client |
/// | `groups` | a JSON array of strings, as a string (`["admins","a,b"]`): group names may hold commas and spaces |
/// | `scopes` | space-separated (scopes cannot hold spaces) |
/// | `groups_truncated`, `scopes_truncated` | booleans: `true` when the list was cut to fit |
/// | `email`, `email_verified` | id tokens only, when present |
///
/// Values come from the verified token only, so the context is as
/// cache-safe as the policy.
pub fn context(claims: &Claims, budget: usize) -> Result<(Context, Cut), OversizedClaim> {
    let mut context = Context::new();
    let mut put = |key: &'static str, value: &str, max: usize| {
        if json_len(value) > max {
            return Err(OversizedClaim(key));
        }
        context.insert(key, ContextValue::String(value.to_owned()));
        Ok(())
    };
    put("sub", &claims.sub, MAX_ID_VALUE)?;
    put(
        "principal_type",
        claims.principal_type().as_str(),
        MAX_ID_VALUE,
    )?;
    if let Some(username) = &claims.username {
        put("username", username, MAX_ID_VALUE)?;
    }
    put("client_id", &claims.client_id, MAX_ID_VALUE)?;
    put("token_use", claims.token_use.as_str(), MAX_ID_VALUE)?;
    // The verifier only lets through issuers of configured pools, whose
    // last segment is a pool id.
    if let Ok(pool) = UserPoolId::from_issuer(&claims.issuer) {
        put("user_pool_id", pool.as_str(), MAX_ID_VALUE)?;
    }
    if claims.token_use == TokenUse::Id
        && let Some(email) = &claims.email
    {
        put("email", email, MAX_EMAIL)?;
        if let Some(verified) = email_verified(claims) {
            context.insert("email_verified", ContextValue::Bool(verified));
        }
    }
    context.insert("groups", ContextValue::String("[]".to_owned()));
    context.insert("scopes", ContextValue::String(String::new()));
    context.insert("groups_truncated", ContextValue::Bool(true));
    context.insert("scopes_truncated", ContextValue::Bool(true));
    // With both flags `true` (their longest spelling) and both lists
    // empty, this is the least the context can take.
    let base = serialized_len(&context);
    let room = budget.saturating_sub(base);

    let group_costs: Vec<usize> = claims
        .groups
        .iter()
        .map(|group| json_len(&serde_json::to_string(group).unwrap_or_default()) + 1)
        .collect();
    let scope_costs: Vec<usize> = claims.scopes.iter().map(|s| json_len(s) + 1).collect();
    let all_groups: usize = group_costs.iter().sum();
    let all_scopes: usize = scope_costs.iter().sum();
    let (groups_kept, scopes_kept) = if all_groups + all_scopes <= room {
        (claims.groups.len(), claims.scopes.len())
    } else {
        // Half the room each, and whatever one list leaves to the other.
        let scopes_share = all_scopes.min(room / 2);
        let groups_kept = fitting(&group_costs, room - scopes_share);
        let groups_used: usize = group_costs[..groups_kept].iter().sum();
        (groups_kept, fitting(&scope_costs, room - groups_used))
    };
    let groups: Vec<&String> = claims.groups[..groups_kept].iter().collect();
    context.insert(
        "groups",
        ContextValue::String(serde_json::to_string(&groups).unwrap_or_else(|_| "[]".to_owned())),
    );
    context.insert(
        "scopes",
        ContextValue::String(claims.scopes[..scopes_kept].join(" ")),
    );
    let groups_cut = groups_kept < claims.groups.len();
    let scopes_cut = scopes_kept < claims.scopes.len();
    context.insert("groups_truncated", ContextValue::Bool(groups_cut));
    context.insert("scopes_truncated", ContextValue::Bool(scopes_cut));
    Ok((
        context,
        Cut {
            groups_kept,
            scopes_kept,
            any: groups_cut || scopes_cut,
        },
    ))
}

/// How many items, from the first, fit in `room` bytes.
fn fitting(costs: &[usize], room: usize) -> usize {
    let mut used = 0;
    costs
        .iter()
        .take_while(|&&cost| {
            used += cost;
            used <= room
        })
        .count()
}

/// `email_verified` as Cognito writes it: a boolean, or (in some tokens)
/// the string `"true"`/`"false"`. Anything else is left out.
fn email_verified(claims: &Claims) -> Option<bool> {
    match claims.other.get("email_verified") {
        Some(Value::Bool(verified)) => Some(*verified),
        Some(Value::String(text)) if text == "true" => Some(true),
        Some(Value::String(text)) if text == "false" => Some(false),
        _ => None,
    }
}

/// The bytes a string takes inside a JSON string literal (escapes counted,
/// quotes not).
pub fn json_len(text: &str) -> usize {
    serialized_len(text).saturating_sub(2)
}

/// The serialised length of a value, in bytes: serde_json's own output,
/// counted as it is written and never kept, so that measuring an answer
/// costs no allocation (callgrind showed the answer's sizing, done with
/// `to_vec`, as the largest cost the authorizer added to a warm call).
pub fn serialized_len(value: &(impl Serialize + ?Sized)) -> usize {
    let mut counter = ByteCounter(0);
    match serde_json::to_writer(&mut counter, value) {
        Ok(()) => counter.0,
        Err(_) => usize::MAX,
    }
}

/// An `io::Write` that keeps only the number of bytes written.
struct ByteCounter(usize);

impl std::io::Write for ByteCounter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0 += bytes.len();
        Ok(bytes.len())
    }

    // What serde_json calls: without it, the default loops over `write`.
    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.0 += bytes.len();
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Why `usageIdentifierKey` was left out of an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageKeyLeftOut {
    /// The claim `USAGE_IDENTIFIER_CLAIM` names.
    pub claim: String,
    /// Whether it was too long (else absent, empty, or not a string or
    /// number).
    pub too_long: bool,
}

impl UsageKeyLeftOut {
    /// The log message.
    pub fn message(&self) -> &'static str {
        if self.too_long {
            "the usage identifier claim is too long; usageIdentifierKey left out"
        } else {
            "the usage identifier claim is absent or not a string; usageIdentifierKey left out"
        }
    }
}

/// The `usageIdentifierKey`: the claim `name` of `claims`, a non-empty
/// string or a number, at most [`MAX_ID_VALUE`] bytes of JSON.
pub fn usage_identifier(claims: &Claims, name: &str) -> Result<String, UsageKeyLeftOut> {
    let left_out = |too_long| UsageKeyLeftOut {
        claim: name.to_owned(),
        too_long,
    };
    let value = match claims.claim(name) {
        Some(Value::String(value)) if !value.is_empty() => value,
        Some(Value::Number(value)) => value.to_string(),
        _ => return Err(left_out(false)),
    };
    if json_len(&value) > MAX_ID_VALUE {
        return Err(left_out(true));
    }
    Ok(value)
}

/// A REST answer fitted to API Gateway's limits.
#[derive(Debug)]
pub struct FittedPolicyAnswer {
    /// The answer.
    pub answer: PolicyResponse,
    /// Its serialised size, in bytes (at most [`ANSWER_LIMIT`]).
    pub size: usize,
    /// What was cut from the context.
    pub cut: Cut,
    /// Set when the policy did not fit and was replaced by an explicit Deny.
    pub replaced: Option<UnfitPolicy>,
}

/// A policy that broke a limit, for the error log.
#[derive(Debug, Clone, Copy)]
pub struct UnfitPolicy {
    /// Its serialised size.
    pub policy_bytes: usize,
    /// Its longest resource ARN.
    pub longest_resource: usize,
}

/// The REST answer for `policy`, with the context fitted to exactly what the
/// rest leaves. A policy over [`POLICY_BUDGET`] or with an
/// ARN over 512 characters (only possible with a stage name longer than the
/// init check assumed), or an answer still over [`ANSWER_LIMIT`] (identity
/// claims far longer than Cognito issues), is replaced by an explicit Deny
/// of the stage: a refusal, never an answer API Gateway would reject.
pub fn fit_policy_answer(
    claims: &Claims,
    arn: &MethodArn,
    policy: PolicyDocument,
    usage_identifier_key: Option<String>,
) -> Result<FittedPolicyAnswer, OversizedClaim> {
    // Each candidate is serialised once with an empty context; its size
    // with the fitted context follows from the context's own length, as
    // the context is the answer's only part that the fitting changes.
    let build =
        |policy_document: PolicyDocument| -> Result<(PolicyResponse, Cut, usize), OversizedClaim> {
            let mut answer = PolicyResponse {
                principal_id: claims.sub.clone(),
                policy_document,
                context: Context::new(),
                usage_identifier_key: usage_identifier_key.clone(),
            };
            // The empty context's `{}` is counted in both.
            let envelope = serialized_len(&answer);
            let budget = (ANSWER_LIMIT + 2).saturating_sub(envelope);
            let (context, cut) = context(claims, budget)?;
            let size = envelope
                .saturating_sub(2)
                .saturating_add(serialized_len(&context));
            answer.context = context;
            Ok((answer, cut, size))
        };
    let unfit = UnfitPolicy {
        policy_bytes: serialized_len(&policy),
        longest_resource: policy.longest_resource(),
    };
    let policy_fits =
        unfit.longest_resource <= MAX_RESOURCE_ARN_LEN && unfit.policy_bytes <= POLICY_BUDGET;
    let (mut answer, mut cut, mut size) = build(policy)?;
    let mut replaced = None;
    if !policy_fits || size > ANSWER_LIMIT {
        (answer, cut, size) = build(PolicyDocument::deny_stage(arn))?;
        replaced = Some(unfit);
    }
    Ok(FittedPolicyAnswer {
        answer,
        size,
        cut,
        replaced,
    })
}

/// The HTTP API 2.0 answer: with the fitted context when authorized.
pub fn fit_simple_answer(
    claims: &Claims,
    allowed: bool,
) -> Result<(SimpleResponse, Cut), OversizedClaim> {
    if !allowed {
        return Ok((SimpleResponse::denied(), Cut::default()));
    }
    let envelope = serialized_len(&SimpleResponse {
        is_authorized: true,
        context: Some(Context::new()),
    });
    let (context, cut) = context(claims, ANSWER_LIMIT + 2 - envelope)?;
    Ok((
        SimpleResponse {
            is_authorized: true,
            context: Some(context),
        },
        cut,
    ))
}

/// The answer of a REST (or HTTP API 1.0) authorizer to a verified caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyResponse {
    /// The caller's `sub`.
    pub principal_id: String,
    /// What the caller may call.
    pub policy_document: PolicyDocument,
    /// Flat values for the integration.
    pub context: Context,
    /// The API key for usage plans, from `USAGE_IDENTIFIER_CLAIM`; absent
    /// unless configured and present in the token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage_identifier_key: Option<String>,
}

/// The simple answer of an HTTP API (payload 2.0) authorizer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimpleResponse {
    /// Whether API Gateway lets the call through (`false`: 403).
    pub is_authorized: bool,
    /// Flat values for the integration; only on an authorised call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<Context>,
}

impl SimpleResponse {
    /// `{"isAuthorized": false}`.
    pub fn denied() -> Self {
        Self {
            is_authorized: false,
            context: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cognito_auth_core::policy::Effect;
    use serde_json::json;

    fn claims(token_use: TokenUse) -> Claims {
        let mut other = serde_json::Map::new();
        other.insert("email_verified".to_owned(), json!(true));
        Claims {
            sub: "8f0e1d2c-0000-4000-8000-000000000001".to_owned(),
            username: Some("alice".to_owned()),
            groups: vec!["admins".to_owned(), "a,b \"q\"".to_owned()],
            scopes: vec!["openid".to_owned(), "pets/read".to_owned()],
            client_id: "client-1".to_owned(),
            token_use,
            email: Some("alice@example.com".to_owned()),
            issuer: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_pool".to_owned(),
            exp: 2,
            iat: 1,
            auth_time: None,
            other,
        }
    }

    #[test]
    fn the_context_is_flat_and_lists_are_unambiguous() {
        let (context, cut) = context(&claims(TokenUse::Id), ANSWER_LIMIT).unwrap();
        assert!(!cut.any);
        let value = serde_json::to_value(&context).unwrap();
        assert_eq!(
            value,
            json!({
                "sub": "8f0e1d2c-0000-4000-8000-000000000001",
                "username": "alice",
                "client_id": "client-1",
                "token_use": "id",
                "principal_type": "user",
                "user_pool_id": "us-east-1_pool",
                "groups": "[\"admins\",\"a,b \\\"q\\\"\"]",
                "groups_truncated": false,
                "scopes": "openid pets/read",
                "scopes_truncated": false,
                "email": "alice@example.com",
                "email_verified": true
            })
        );
        // A backend reads the groups back exactly, commas and quotes kept.
        let groups: Vec<String> = serde_json::from_str(value["groups"].as_str().unwrap()).unwrap();
        assert_eq!(groups, ["admins", "a,b \"q\""]);
        assert!(
            value
                .as_object()
                .unwrap()
                .values()
                .all(|v| !v.is_object() && !v.is_array())
        );
    }

    #[test]
    fn access_tokens_carry_no_email_and_empty_lists_are_empty() {
        let mut access = claims(TokenUse::Access);
        access.groups.clear();
        access.scopes.clear();
        let (context, _) = context(&access, ANSWER_LIMIT).unwrap();
        let value = serde_json::to_value(context).unwrap();
        assert_eq!(value["groups"], "[]");
        assert_eq!(value["scopes"], "");
        assert!(value.get("email").is_none());
        assert!(value.get("email_verified").is_none());
    }

    /// 300 groups of 100 characters and 100 scopes: the context fits every
    /// budget it is given, keeps whole items from the first, and says what
    /// it cut.
    #[test]
    fn long_lists_are_cut_at_whole_items_to_fit_and_flagged() {
        let mut many = claims(TokenUse::Access);
        many.groups = (0..300)
            .map(|i| format!("{i:03}-{}", "g\"".repeat(48)))
            .collect();
        many.scopes = (0..100)
            .map(|i| format!("api/{i:03}-{}", "s".repeat(40)))
            .collect();
        for budget in [600, 1000, 2048, 4000, 8000] {
            let (context, cut) = context(&many, budget).unwrap();
            let len = serialized_len(&context);
            assert!(len <= budget, "{len} > {budget}");
            assert!(cut.any);
            let value = serde_json::to_value(&context).unwrap();
            let groups: Vec<String> =
                serde_json::from_str(value["groups"].as_str().unwrap()).unwrap();
            assert_eq!(groups.len(), cut.groups_kept);
            assert_eq!(groups[..], many.groups[..cut.groups_kept]);
            assert_eq!(value["groups_truncated"], true);
            assert_eq!(value["scopes_truncated"], cut.scopes_kept < 100);
            // The room is shared: neither list is starved when both are long.
            assert!(
                cut.groups_kept > 0 && cut.scopes_kept > 0 || budget < 1000,
                "{cut:?}"
            );
            // And little is wasted: one more group would not have fitted.
            assert!(budget - len < 2 * 110 + 50, "{budget} - {len}");
        }
    }

    /// A machine client's context says so, and has no username.
    #[test]
    fn a_machine_client_has_no_username_in_its_context() {
        let mut machine = claims(TokenUse::Access);
        machine.username = None;
        machine.groups.clear();
        let (context, _) = context(&machine, ANSWER_LIMIT).unwrap();
        assert_eq!(
            context["principal_type"],
            ContextValue::String("client".to_owned())
        );
        assert!(!context.contains_key("username"));
        assert_eq!(
            context["client_id"],
            ContextValue::String("client-1".to_owned())
        );
    }

    #[test]
    fn an_oversized_identity_claim_refuses_the_token() {
        let mut long = claims(TokenUse::Access);
        long.username = Some("u".repeat(MAX_ID_VALUE + 1));
        assert_eq!(
            context(&long, ANSWER_LIMIT).unwrap_err(),
            OversizedClaim("username")
        );
        let mut long = claims(TokenUse::Id);
        long.email = Some(format!("{}@example.com", "e".repeat(MAX_EMAIL)));
        assert_eq!(
            context(&long, ANSWER_LIMIT).unwrap_err(),
            OversizedClaim("email")
        );
    }

    /// The size `fit_policy_answer` reports (and logs, and checks against
    /// the limit) is the byte length of the answer as serialised, for
    /// contexts with escapes, cut lists, a usage key, and a policy replaced
    /// by the Deny.
    #[test]
    fn the_fitted_size_is_the_answers_serialised_length() {
        let arn = MethodArn::parse("arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/pets")
            .unwrap();
        let small = claims(TokenUse::Id);
        let mut escaped = claims(TokenUse::Id);
        escaped.groups = (0..400)
            .map(|i| format!("g\\{i}\"\u{1}é\u{2028}"))
            .collect();
        escaped.scopes = (0..400).map(|i| format!("s/{i}\t")).collect();
        let mut oversized_policy = PolicyDocument::single(Effect::Allow, arn.resource(None, "/*"));
        oversized_policy.statements[0].resources = (0..200)
            .map(|i| arn.resource(Some("GET"), &format!("/pets/{i}/*")))
            .collect();
        let cases = [
            (&small, PolicyDocument::deny_stage(&arn), None, false),
            (
                &escaped,
                PolicyDocument::deny_stage(&arn),
                Some("key\"1".to_owned()),
                false,
            ),
            (&escaped, oversized_policy, None, true),
        ];
        for (claims, policy, key, replaced) in cases {
            let fitted = fit_policy_answer(claims, &arn, policy, key).unwrap();
            let bytes = serde_json::to_vec(&fitted.answer).unwrap();
            assert_eq!(fitted.size, bytes.len());
            assert!(fitted.size <= ANSWER_LIMIT, "{}", fitted.size);
            assert_eq!(fitted.replaced.is_some(), replaced);
        }
        assert_eq!(
            serialized_len("a\"\\\u{7}é"),
            serde_json::to_vec("a\"\\\u{7}é").unwrap().len()
        );
        assert_eq!(
            json_len("\u{2028}\""),
            serde_json::to_string("\u{2028}\"").unwrap().len() - 2
        );
    }

    #[test]
    fn responses_serialise_exactly() {
        let arn =
            MethodArn::parse("arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/").unwrap();
        let response = PolicyResponse {
            principal_id: "sub-1".to_owned(),
            policy_document: PolicyDocument::deny_stage(&arn),
            context: Context::new(),
            usage_identifier_key: None,
        };
        assert_eq!(
            serde_json::to_value(&response).unwrap(),
            json!({
                "principalId": "sub-1",
                "policyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Action": "execute-api:Invoke",
                        "Effect": "Deny",
                        "Resource": ["arn:aws:execute-api:us-east-1:123456789012:abc/prod/*/*"]
                    }]
                },
                "context": {}
            })
        );
        assert_eq!(
            serde_json::to_value(SimpleResponse::denied()).unwrap(),
            json!({"isAuthorized": false})
        );
    }
}
