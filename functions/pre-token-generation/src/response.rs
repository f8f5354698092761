//! Writing a [`Plan`] into the event's `response`, in the shape of the
//! event's version:
//!
//! - V1: `claimsOverrideDetails {claimsToAddOrOverride, claimsToSuppress}`;
//! - V2, V3: `claimsAndScopeOverrideDetails {idTokenGeneration
//!   {claimsToAddOrOverride, claimsToSuppress}, accessTokenGeneration
//!   {claimsToAddOrOverride, claimsToSuppress, scopesToAdd}}`.
//!
//! Only the members with something in them are written, and
//! `groupOverrideDetails` never is: Cognito replaces the user's groups with
//! whatever that object holds, and an empty or null one removes them all.
//! An empty plan leaves the event exactly as it came.
//!
//! Cognito sends `claimsOverrideDetails` and `claimsAndScopeOverrideDetails`
//! as `null` (or `[]`); those are replaced by an object. An object already
//! there is merged into, so members this function does not write (and
//! unknown ones) are kept: a claim map gains or overrides keys, a list gains
//! the entries it lacks.

use cognito_auth_core::trigger::TriggerEvent;
use serde_json::{Map, Value};

use crate::event::Version;
use crate::plan::{Plan, TokenChanges};

/// Writes `plan` into `event`'s response for `version`.
pub fn apply(event: &mut TriggerEvent, version: Version, plan: &Plan) {
    if plan.is_empty() {
        return;
    }
    match version {
        Version::V1 => {
            // A V1 response reaches the ID token only; the plan holds no
            // access token change for V1.
            let mut details = object_at(event.response_field("claimsOverrideDetails"));
            write_changes(&mut details, &plan.id);
            event.set_response("claimsOverrideDetails", Value::Object(details));
        }
        Version::V2 | Version::V3 => {
            let mut details = object_at(event.response_field("claimsAndScopeOverrideDetails"));
            for (member, changes) in [
                ("idTokenGeneration", &plan.id),
                ("accessTokenGeneration", &plan.access),
            ] {
                if changes.is_empty() {
                    continue;
                }
                let mut generation = object_at(details.get(member));
                write_changes(&mut generation, changes);
                details.insert(member.to_owned(), Value::Object(generation));
            }
            event.set_response("claimsAndScopeOverrideDetails", Value::Object(details));
        }
    }
}

fn write_changes(target: &mut Map<String, Value>, changes: &TokenChanges) {
    if !changes.add.is_empty() {
        let mut claims = object_at(target.get("claimsToAddOrOverride"));
        for (name, value) in &changes.add {
            claims.insert(name.clone(), value.clone());
        }
        target.insert("claimsToAddOrOverride".to_owned(), Value::Object(claims));
    }
    for (member, entries) in [
        ("claimsToSuppress", &changes.suppress),
        ("scopesToAdd", &changes.scopes),
    ] {
        if entries.is_empty() {
            continue;
        }
        let mut list = match target.get(member) {
            Some(Value::Array(list)) => list.clone(),
            _ => Vec::new(),
        };
        for entry in entries {
            let entry = Value::String(entry.clone());
            if !list.contains(&entry) {
                list.push(entry);
            }
        }
        target.insert(member.to_owned(), Value::Array(list));
    }
}

/// The object at `value`, copied, or a new one for null, `[]` and absent.
fn object_at(value: Option<&Value>) -> Map<String, Value> {
    match value {
        Some(Value::Object(object)) => object.clone(),
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(version: &str, response: Value) -> TriggerEvent {
        TriggerEvent::from_value(json!({
            "version": version,
            "triggerSource": "TokenGeneration_Authentication",
            "request": {},
            "response": response,
            "futureField": {"kept": true}
        }))
        .unwrap()
    }

    fn plan() -> Plan {
        let mut plan = Plan::default();
        plan.id.add.insert("plan".into(), json!("pro"));
        plan.id.suppress.push("phone_number".into());
        plan.access.add.insert("plan".into(), json!("pro"));
        plan.access.scopes.push("api/read".into());
        plan
    }

    #[test]
    fn v1_writes_the_id_token_changes_and_no_groups() {
        let mut event = event("1", json!({"claimsOverrideDetails": null}));
        apply(&mut event, Version::V1, &plan());
        let value = event.into_value();
        assert_eq!(
            value["response"],
            json!({"claimsOverrideDetails": {
                "claimsToAddOrOverride": {"plan": "pro"},
                "claimsToSuppress": ["phone_number"]
            }})
        );
        assert_eq!(value["futureField"], json!({"kept": true}));
    }

    #[test]
    fn v2_writes_both_tokens_and_replaces_an_empty_list() {
        let mut event = event("2", json!({"claimsAndScopeOverrideDetails": []}));
        apply(&mut event, Version::V2, &plan());
        assert_eq!(
            event.into_value()["response"],
            json!({"claimsAndScopeOverrideDetails": {
                "idTokenGeneration": {
                    "claimsToAddOrOverride": {"plan": "pro"},
                    "claimsToSuppress": ["phone_number"]
                },
                "accessTokenGeneration": {
                    "claimsToAddOrOverride": {"plan": "pro"},
                    "scopesToAdd": ["api/read"]
                }
            }})
        );
    }

    #[test]
    fn merges_into_what_is_there_and_keeps_unknown_members() {
        let existing = json!({"claimsAndScopeOverrideDetails": {
            "groupOverrideDetails": {"groupsToOverride": ["a"]},
            "accessTokenGeneration": {"scopesToAdd": ["api/read", "x/y"], "other": 1}
        }, "extra": true});
        let mut event = event("3", existing);
        apply(&mut event, Version::V3, &plan());
        let response = event.into_value()["response"].clone();
        assert_eq!(response["extra"], json!(true));
        let details = &response["claimsAndScopeOverrideDetails"];
        assert_eq!(
            details["groupOverrideDetails"],
            json!({"groupsToOverride": ["a"]})
        );
        assert_eq!(
            details["accessTokenGeneration"],
            json!({
                "scopesToAdd": ["api/read", "x/y"],
                "other": 1,
                "claimsToAddOrOverride": {"plan": "pro"}
            })
        );
    }

    #[test]
    fn an_empty_plan_leaves_the_event_alone() {
        let response = json!({"claimsAndScopeOverrideDetails": null});
        let mut event = event("2", response.clone());
        apply(&mut event, Version::V2, &Plan::default());
        assert_eq!(event.into_value()["response"], response);
    }

    #[test]
    fn groups_are_never_written() {
        for version in [Version::V1, Version::V2, Version::V3] {
            let mut event = event("2", json!({}));
            apply(&mut event, version, &plan());
            let text = event.into_value().to_string();
            assert!(!text.contains("groupOverrideDetails"), "{text}");
        }
    }
}
