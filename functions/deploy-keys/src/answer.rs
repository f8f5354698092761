//! The answer to CloudFormation, and the budget the keys must fit (pure).
//!
//! The answer is the JSON document AWS's "Custom resource response objects"
//! page describes: `Status` (`SUCCESS` or `FAILED`), `Reason` (required
//! with FAILED), `PhysicalResourceId`, `StackId`, `RequestId` and
//! `LogicalResourceId` copied from the request, and `Data`, which the
//! template reads with `!GetAtt DeployKeys.Jwks`. The whole body must not
//! exceed 4,096 bytes; a reason is cut short to keep it under.
//!
//! **The budget.** Lambda allows 4 KB for all of a function's variables
//! together, measured as their JSON (so each `"` of a value counts twice).
//! The authorizer's route rules (`AUTHZ_RULES`) and these keys (`JWKS`)
//! are the two large values, and they share what the other variables leave
//! (`EnvironmentBudget`, which the template test checks against the others'
//! longest values): the rules take what they need, and the keys are handed
//! in only if they fit in the rest. If they do not, the answer is still
//! SUCCESS, with an empty `Jwks`: the authorizer then fetches the keys at
//! its cold start, as it did before keys were handed in, and a warning in
//! this function's log says why. Failing the deploy instead would refuse
//! a rule set the `AuthzRules` parameter accepts.

use serde_json::{Map, Value, json};

use crate::request::Request;

/// CloudFormation's limit on the answer's body.
pub const RESPONSE_MAX_BYTES: usize = 4096;

/// What to tell CloudFormation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// SUCCESS, with the keys for Create and Update (none for Delete).
    Success(Option<Keys>),
    /// FAILED, with a reason the stack's events show.
    Failed(String),
}

/// The keys handed to the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    /// The minified JWKS, or empty when it did not fit the budget.
    pub jwks: String,
    /// How many keys `jwks` holds.
    pub count: usize,
}

/// The bytes `text` takes as a value in the JSON Lambda measures: its JSON
/// string form without the two quotes.
pub fn escaped_len(text: &str) -> usize {
    serde_json::to_string(text).map_or(usize::MAX, |quoted| quoted.len().saturating_sub(2))
}

/// Whether the rules and the keys together fit in `budget`.
pub fn fits(authz_rules: &str, jwks: &str, budget: usize) -> bool {
    escaped_len(authz_rules).saturating_add(escaped_len(jwks)) <= budget
}

/// The body to upload for `outcome`, at most [`RESPONSE_MAX_BYTES`].
pub fn body(request: &Request, outcome: &Outcome) -> String {
    let mut answer = Map::new();
    answer.insert(
        "PhysicalResourceId".into(),
        request.physical_resource_id().into(),
    );
    answer.insert("StackId".into(), request.stack_id.clone().into());
    answer.insert("RequestId".into(), request.request_id.clone().into());
    answer.insert(
        "LogicalResourceId".into(),
        request.logical_resource_id.clone().into(),
    );
    match outcome {
        Outcome::Success(keys) => {
            answer.insert("Status".into(), "SUCCESS".into());
            if let Some(keys) = keys {
                answer.insert(
                    "Data".into(),
                    json!({ "Jwks": keys.jwks, "Keys": keys.count.to_string() }),
                );
            }
            let text = Value::Object(answer.clone()).to_string();
            if text.len() <= RESPONSE_MAX_BYTES {
                return text;
            }
            answer.remove("Data");
            failed(
                answer,
                &format!(
                    "the pool's keys take {} bytes, more than CloudFormation's {RESPONSE_MAX_BYTES}-byte answer holds",
                    keys.as_ref().map_or(0, |keys| keys.jwks.len())
                ),
            )
        }
        Outcome::Failed(reason) => failed(answer, reason),
    }
}

/// A FAILED answer with `reason`, cut short (on a character boundary) until
/// the body fits.
fn failed(mut answer: Map<String, Value>, reason: &str) -> String {
    answer.insert("Status".into(), "FAILED".into());
    let mut reason: String = reason.chars().take(1024).collect();
    loop {
        answer.insert("Reason".into(), reason.clone().into());
        let text = Value::Object(answer.clone()).to_string();
        if text.len() <= RESPONSE_MAX_BYTES || reason.is_empty() {
            return text;
        }
        let keep = reason.chars().count() / 2;
        reason = reason.chars().take(keep).collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> Request {
        Request::parse(&json!({
            "RequestType": "Create",
            "ResponseURL": "https://bucket.s3.amazonaws.com/x",
            "StackId": "stack",
            "RequestId": "r-1",
            "LogicalResourceId": "DeployKeys",
            "ResourceProperties": { "UserPoolId": "eu-west-1_A" }
        }))
        .unwrap()
    }

    #[test]
    fn escaped_length_counts_quotes_twice() {
        assert_eq!(escaped_len(r#"{"a":1}"#), 9);
        assert!(fits(r#"[""]"#, "ab", 8));
        assert!(!fits(r#"[""]"#, "abc", 8));
    }

    #[test]
    fn a_success_carries_the_keys_and_a_failure_its_reason() {
        let keys = Keys {
            jwks: r#"{"keys":[]}"#.into(),
            count: 0,
        };
        let ok: Value =
            serde_json::from_str(&body(&request(), &Outcome::Success(Some(keys)))).unwrap();
        assert_eq!(ok["Status"], "SUCCESS");
        assert_eq!(ok["Data"]["Jwks"], r#"{"keys":[]}"#);
        assert_eq!(ok["PhysicalResourceId"], "deploy-keys-eu-west-1_A");
        let failed: Value =
            serde_json::from_str(&body(&request(), &Outcome::Failed("x".repeat(9000)))).unwrap();
        assert_eq!(failed["Status"], "FAILED");
        assert!(!failed["Reason"].as_str().unwrap().is_empty());
    }

    #[test]
    fn no_answer_exceeds_4096_bytes() {
        let huge = Keys {
            jwks: "k".repeat(5000),
            count: 9,
        };
        let text = body(&request(), &Outcome::Success(Some(huge)));
        assert!(text.len() <= RESPONSE_MAX_BYTES);
        assert!(text.contains("FAILED"), "{text}");
        let mut long = request();
        long.stack_id = "s".repeat(3800);
        let text = body(&long, &Outcome::Failed("why ".repeat(300)));
        assert!(text.len() <= RESPONSE_MAX_BYTES, "{}", text.len());
    }
}
