//! Revocation (issue #25) as deployed: the store's schema is the one
//! `cognito_auth_core::revocation` reads and writes; the bound from a stored
//! revocation to refusal is at most 60 s by default on both APIs, as SAM
//! translates them; only the functions that must may read or write the
//! store; the recorder's rule names exactly the calls it maps; and every
//! event the recorder cannot take ends in a queue that alarms.

use serde_json::{Value as Json, json};

use super::translated::{Translated, json_ref};
use super::*;
use cognito_auth_core::revocation::{EXPIRES_AT, PARTITION_KEY};

/// The Cognito calls the recorder turns into a revocation: admin calls
/// (matched on the pool id in the record) and the user's own calls.
///
/// Held here until the recorder crate (`functions/revocation-recorder`) is
/// merged; then this should read the recorder's own list, so that a call it
/// learns to map is matched by the rule too.
/// The calls the recorder maps, by whether an administrator makes them
/// (whose records name the pool, so the rule filters on it).
fn recorded_calls(admin: bool) -> Vec<&'static str> {
    use revocation_recorder::cloudtrail::{Call, name_of};
    Call::ALL
        .into_iter()
        .filter(|call| call.is_admin() == admin)
        .map(name_of)
        .collect()
}

/// The bound: sign-out to refusal at every REST and HTTP API route.
const BOUND_SECONDS: u64 = 60;
/// API Gateway's authorizer cache when revocation is off: today's.
const CACHE_WITHOUT_REVOCATION_SECONDS: u64 = 300;

// ---------------------------------------------------------------------------
// Conditions of the translated template
// ---------------------------------------------------------------------------

/// A parameter's value in this translation (the translator writes the
/// overrides as the defaults), as text.
fn parameter(translated: &Translated, name: &str) -> String {
    match &translated.doc["Parameters"][name]["Default"] {
        Json::String(text) => text.clone(),
        Json::Number(number) => number.to_string(),
        other => panic!("parameter {name} has no default: {other}"),
    }
}

fn holds(translated: &Translated, condition: &Json) -> bool {
    let map = condition.as_object().filter(|m| m.len() == 1);
    let Some((function, operands)) = map.and_then(|m| m.iter().next()) else {
        panic!("cannot evaluate {condition}");
    };
    let operand_value = |value: &Json| match (json_ref(value), value) {
        (Some(name), _) => parameter(translated, name),
        (None, Json::String(text)) => text.clone(),
        (None, other) => panic!("cannot evaluate {other} in {condition}"),
    };
    let list = || operands.as_array().unwrap_or_else(|| panic!("{condition}"));
    match function.as_str() {
        "Condition" => condition_holds(translated, operands.as_str().expect("a name")),
        "Fn::Equals" => operand_value(&list()[0]) == operand_value(&list()[1]),
        "Fn::Not" => !holds(translated, &list()[0]),
        "Fn::And" => list().iter().all(|c| holds(translated, c)),
        "Fn::Or" => list().iter().any(|c| holds(translated, c)),
        other => panic!("cannot evaluate {other}"),
    }
}

fn condition_holds(translated: &Translated, name: &str) -> bool {
    let condition = &translated.doc["Conditions"][name];
    assert!(!condition.is_null(), "no condition {name}");
    holds(translated, condition)
}

/// `value` with every `Fn::If` decided; `None` for `AWS::NoValue`.
fn resolve<'a>(translated: &Translated, value: &'a Json) -> Option<&'a Json> {
    if json_ref(value) == Some("AWS::NoValue") {
        return None;
    }
    match value
        .get("Fn::If")
        .and_then(Json::as_array)
        .map(Vec::as_slice)
    {
        Some([Json::String(condition), then, otherwise]) => {
            let chosen = if condition_holds(translated, condition) {
                then
            } else {
                otherwise
            };
            resolve(translated, chosen)
        }
        Some(other) => panic!("a malformed Fn::If: {other:?}"),
        None => Some(value),
    }
}

/// Whether a resource exists in this deployment (its `Condition`).
fn deployed(translated: &Translated, resource: &Json) -> bool {
    resource["Condition"]
        .as_str()
        .is_none_or(|condition| condition_holds(translated, condition))
}

/// `(resource, attribute)` of `{"Fn::GetAtt": [resource, attribute]}`.
fn json_get_att(value: &Json) -> Option<(&str, &str)> {
    match value["Fn::GetAtt"].as_array()?.as_slice() {
        [resource, attribute] => Some((resource.as_str()?, attribute.as_str()?)),
        _ => None,
    }
}

fn strings(value: &Json) -> BTreeSet<String> {
    match value {
        Json::String(text) => BTreeSet::from([text.clone()]),
        Json::Array(items) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .unwrap_or_else(|| panic!("not a string: {item}"))
                    .to_owned()
            })
            .collect(),
        other => panic!("neither a string nor a list: {other}"),
    }
}

// ---------------------------------------------------------------------------
// The store
// ---------------------------------------------------------------------------

#[test]
fn the_table_has_the_schema_the_code_reads_and_is_kept_as_the_users_table() {
    let template = Template::load();
    let table = template.resource("RevocationTable");
    let users = template.resource("UsersTable");
    let properties = table.get("Properties").expect("Properties");
    let text = |value: Option<&Value>| value.and_then(literal).map(str::to_owned);

    let keys = properties
        .get("KeySchema")
        .and_then(Value::as_sequence)
        .expect("KeySchema");
    assert_eq!(keys.len(), 1, "one key: the partition key, no sort key");
    assert_eq!(
        text(keys[0].get("AttributeName")).as_deref(),
        Some(PARTITION_KEY)
    );
    assert_eq!(text(keys[0].get("KeyType")).as_deref(), Some("HASH"));
    let attributes = properties
        .get("AttributeDefinitions")
        .and_then(Value::as_sequence)
        .expect("AttributeDefinitions");
    assert_eq!(attributes.len(), 1, "{attributes:?}");
    assert_eq!(
        text(attributes[0].get("AttributeName")).as_deref(),
        Some(PARTITION_KEY)
    );
    assert_eq!(
        text(attributes[0].get("AttributeType")).as_deref(),
        Some("S"),
        "the key is a string"
    );

    let ttl = properties.get("TimeToLiveSpecification").expect("a TTL");
    assert_eq!(text(ttl.get("AttributeName")).as_deref(), Some(EXPIRES_AT));
    assert_eq!(ttl.get("Enabled").and_then(Value::as_bool), Some(true));
    assert_eq!(
        text(properties.get("BillingMode")).as_deref(),
        Some("PAY_PER_REQUEST")
    );
    let pitr = properties
        .get("PointInTimeRecoverySpecification")
        .and_then(|p| p.get("PointInTimeRecoveryEnabled"));
    assert_eq!(pitr.and_then(Value::as_bool), Some(true));
    let sse = properties
        .get("SSESpecification")
        .and_then(|s| s.get("SSEEnabled"));
    assert_eq!(sse.and_then(Value::as_bool), Some(true));
    for policy in ["DeletionPolicy", "UpdateReplacePolicy"] {
        assert_eq!(
            text(table.get(policy)),
            text(users.get(policy)),
            "{policy} as the users table's"
        );
    }
    assert_eq!(
        text(table.get("Condition")).as_deref(),
        Some("RevocationEnabled")
    );

    // Every function that uses the store names this table.
    for binary in ["authorizer", "revocation-recorder", "sign-out"] {
        let id = template.function_for_binary(binary);
        let value = template
            .environment(&id)
            .get("REVOCATION_TABLE")
            .copied()
            .unwrap_or_else(|| panic!("{id} does not set REVOCATION_TABLE"));
        let named = template
            .default_choice(value)
            .expect("resolves")
            .and_then(ref_target);
        assert_eq!(named, Some("RevocationTable"), "{id}.REVOCATION_TABLE");
    }
}

// ---------------------------------------------------------------------------
// The bound
// ---------------------------------------------------------------------------

/// Every Lambda authorizer's result TTL in the REST and HTTP API bodies, by
/// API, as deployed.
fn authorizer_ttls(translated: &Translated) -> BTreeMap<String, u64> {
    let mut ttls = BTreeMap::new();
    for kind in ["AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api"] {
        for (id, api) in translated.of_type(kind) {
            let body = &api["Properties"]["Body"];
            let schemes = body["components"]["securitySchemes"]
                .as_object()
                .or_else(|| body["securityDefinitions"].as_object());
            for (name, scheme) in schemes.into_iter().flatten() {
                let authorizer = &scheme["x-amazon-apigateway-authorizer"];
                if authorizer.is_null() {
                    continue;
                }
                let ttl = resolve(translated, &authorizer["authorizerResultTtlInSeconds"])
                    .and_then(Json::as_u64)
                    // API Gateway's default when unset.
                    .unwrap_or(300);
                ttls.insert(format!("{id}.{name}"), ttl);
            }
        }
    }
    ttls
}

/// The authorizer's variable as deployed (`None` when unset).
fn authorizer_variable(translated: &Translated, name: &str) -> Option<String> {
    let value = &translated
        .resource("AuthorizerFunction")
        .expect("the authorizer")["Properties"]["Environment"]["Variables"][name];
    let value = resolve(translated, value)?;
    if value.is_null() {
        return None;
    }
    Some(match (json_ref(value), value) {
        (Some(parameter_name), _) if !translated.doc["Parameters"][parameter_name].is_null() => {
            parameter(translated, parameter_name)
        }
        // A resource of the stack: its logical id.
        (Some(resource), _) => resource.to_owned(),
        (None, Json::String(text)) => text.clone(),
        (None, other) => other.to_string(),
    })
}

/// With the defaults, API Gateway's cache plus the authorizer's window is
/// at most 60 s on both APIs; with revocation off, the cache stays at
/// 300 s and the authorizer reads no store.
#[test]
fn the_default_bound_is_at_most_60_s_on_both_apis() {
    let translated = Translated::defaults();
    let window: u64 = authorizer_variable(translated, "REVOCATION_CACHE_SECONDS")
        .expect("REVOCATION_CACHE_SECONDS is set by default")
        .parse()
        .expect("a number");
    assert!(authorizer_variable(translated, "REVOCATION_TABLE").is_some());
    let ttls = authorizer_ttls(translated);
    assert_eq!(ttls.len(), 2, "one authorizer per API: {ttls:?}");
    for (authorizer, ttl) in &ttls {
        assert!(
            ttl + window <= BOUND_SECONDS,
            "{authorizer}: {ttl} s cached + {window} s in the authorizer > {BOUND_SECONDS} s"
        );
    }

    let off = Translated::with(&[("Revocation", "disabled")]);
    for (authorizer, ttl) in authorizer_ttls(&off) {
        assert_eq!(ttl, CACHE_WITHOUT_REVOCATION_SECONDS, "{authorizer}");
    }
    for name in [
        "REVOCATION_TABLE",
        "REVOCATION_CACHE_SECONDS",
        "REVOCATION_STORE_FAILURE",
    ] {
        assert_eq!(
            authorizer_variable(&off, name),
            None,
            "{name} with Revocation disabled"
        );
    }

    // The bound is stated where an operator reads it.
    let stated = translated.doc["Outputs"]["RevocationBound"].to_string();
    for needed in ["30 s", "RevocationCacheSeconds", "WebSocket", "open"] {
        assert!(
            stated.contains(needed),
            "RevocationBound lacks {needed:?}: {stated}"
        );
    }
}

// ---------------------------------------------------------------------------
// Least privilege
// ---------------------------------------------------------------------------

/// Each role's (action, resource) pairs as deployed, from its inline
/// policies.
fn grants(translated: &Translated) -> BTreeMap<String, BTreeSet<(String, String)>> {
    let mut grants: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    for (id, role) in translated.of_type("AWS::IAM::Role") {
        if !deployed(translated, role) {
            continue;
        }
        let policies = role["Properties"]["Policies"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for policy in &policies {
            let Some(policy) = resolve(translated, policy) else {
                continue;
            };
            for statement in policy["PolicyDocument"]["Statement"]
                .as_array()
                .into_iter()
                .flatten()
            {
                assert_eq!(statement["Effect"], "Allow", "{id}: {statement}");
                let resource = match json_get_att(&statement["Resource"]) {
                    Some((resource, _)) => resource.to_owned(),
                    None => statement["Resource"].to_string(),
                };
                for action in strings(&statement["Action"]) {
                    grants
                        .entry(id.to_owned())
                        .or_default()
                        .insert((action, resource.clone()));
                }
            }
        }
    }
    grants
}

/// Each role's actions on the revocation table (roles with none left out).
fn on_table(
    grants: &BTreeMap<String, BTreeSet<(String, String)>>,
) -> BTreeMap<String, BTreeSet<String>> {
    grants
        .iter()
        .map(|(role, pairs)| {
            let actions: BTreeSet<String> = pairs
                .iter()
                .filter(|(_, resource)| resource == "RevocationTable")
                .map(|(action, _)| action.clone())
                .collect();
            (role.clone(), actions)
        })
        .filter(|(_, actions)| !actions.is_empty())
        .collect()
}

/// Who may touch the store and the pool's sign-out calls: the authorizer
/// reads (only with revocation on), the recorder and sign-out write, and
/// nobody else holds any right on the table.
#[test]
fn only_the_authorizer_reads_the_store_and_only_the_writers_write_it() {
    let on = grants(Translated::defaults());
    let expected: BTreeMap<String, BTreeSet<String>> = [
        ("AuthorizerRole", vec!["dynamodb:BatchGetItem"]),
        ("RevocationRecorderRole", vec!["dynamodb:UpdateItem"]),
        ("SignOutRole", vec!["dynamodb:UpdateItem"]),
    ]
    .into_iter()
    .map(|(role, actions)| {
        let actions = actions.into_iter().map(str::to_owned).collect();
        (role.to_owned(), actions)
    })
    .collect();
    assert_eq!(on_table(&on), expected, "rights on the revocation table");

    for (role, action) in [
        ("RevocationRecorderRole", "cognito-idp:AdminGetUser"),
        ("SignOutRole", "cognito-idp:AdminUserGlobalSignOut"),
    ] {
        let pool_rights: BTreeSet<&str> = on[role]
            .iter()
            .filter(|(_, resource)| resource == "UserPool")
            .map(|(action, _)| action.as_str())
            .collect();
        assert_eq!(pool_rights, BTreeSet::from([action]), "{role} on the pool");
    }
    // Nobody else may sign users out.
    for (role, pairs) in &on {
        if role != "SignOutRole" {
            assert!(
                !pairs
                    .iter()
                    .any(|(a, _)| a == "cognito-idp:AdminUserGlobalSignOut"),
                "{role} may sign users out"
            );
        }
    }

    let off = grants(&Translated::with(&[("Revocation", "disabled")]));
    assert!(
        on_table(&off).is_empty(),
        "with Revocation disabled no role touches the table: {:?}",
        on_table(&off)
    );
    assert!(
        !off["AuthorizerRole"]
            .iter()
            .any(|(a, _)| a.starts_with("dynamodb:")),
        "the authorizer reads nothing with Revocation disabled: {:?}",
        off["AuthorizerRole"]
    );
}

// ---------------------------------------------------------------------------
// The recorder's rule
// ---------------------------------------------------------------------------

/// The rule matches CloudTrail's record of exactly the calls the recorder
/// maps, admin calls only for this pool, and invokes the recorder's alias.
#[test]
fn the_rule_names_exactly_the_calls_the_recorder_maps() {
    let translated = Translated::defaults();
    let rule = translated
        .resource("RevocationRecorderRule")
        .expect("the rule");
    let pattern = &rule["Properties"]["EventPattern"];
    assert_eq!(
        strings(&pattern["source"]),
        BTreeSet::from(["aws.cognito-idp".to_owned()])
    );
    assert_eq!(
        strings(&pattern["detail-type"]),
        BTreeSet::from(["AWS API Call via CloudTrail".to_owned()])
    );
    let detail = &pattern["detail"];
    assert_eq!(
        strings(&detail["eventSource"]),
        BTreeSet::from(["cognito-idp.amazonaws.com".to_owned()])
    );
    let branches: Vec<&Json> = match detail["$or"].as_array() {
        Some(branches) => branches.iter().collect(),
        None => vec![detail],
    };
    let mut named = BTreeSet::new();
    for branch in &branches {
        let calls = strings(&branch["eventName"]);
        let pool = &branch["requestParameters"]["userPoolId"];
        let filtered = pool
            .as_array()
            .is_some_and(|pools| pools.len() == 1 && json_ref(&pools[0]) == Some("UserPool"));
        for call in &calls {
            if recorded_calls(true).contains(&call.as_str()) {
                assert!(
                    filtered,
                    "{call} is not matched on this pool's id: {branch}"
                );
            }
        }
        named.extend(calls);
    }
    let expected: BTreeSet<String> = recorded_calls(true)
        .into_iter()
        .chain(recorded_calls(false))
        .map(str::to_owned)
        .collect();
    assert_eq!(named, expected, "the calls the rule matches");

    let targets = rule["Properties"]["Targets"].as_array().expect("Targets");
    assert_eq!(targets.len(), 1);
    let alias = json_ref(&targets[0]["Arn"]).and_then(|id| translated.resource(id));
    assert_eq!(
        alias.map(|a| &a["Type"]),
        Some(&Json::from("AWS::Lambda::Alias")),
        "the rule invokes the recorder's live alias"
    );
    assert_eq!(
        json_ref(&alias.expect("alias")["Properties"]["FunctionName"]),
        Some("RevocationRecorderFunction")
    );
}

// ---------------------------------------------------------------------------
// Where failures go
// ---------------------------------------------------------------------------

/// The alarm on a queue's depth, if any: fires on one message.
fn depth_alarm<'a>(translated: &'a Translated, queue: &str) -> Option<&'a str> {
    translated
        .of_type("AWS::CloudWatch::Alarm")
        .find(|(_, alarm)| {
            let p = &alarm["Properties"];
            p["Namespace"] == "AWS/SQS"
                && p["MetricName"] == "ApproximateNumberOfMessagesVisible"
                && p["Dimensions"][0]["Name"] == "QueueName"
                && json_get_att(&p["Dimensions"][0]["Value"]) == Some((queue, "QueueName"))
                && p["ComparisonOperator"] == "GreaterThanThreshold"
                && p["Threshold"] == 0
        })
        .map(|(id, _)| id)
}

fn encrypted_queue(translated: &Translated, id: &str) {
    let queue = translated.resource(id).unwrap_or_else(|| panic!("no {id}"));
    assert_eq!(queue["Type"], "AWS::SQS::Queue", "{id}");
    assert_eq!(
        queue["Properties"]["SqsManagedSseEnabled"], true,
        "{id} is encrypted"
    );
}

/// Lambda's on-failure destination (a failed invocation, after Lambda's
/// retries) and the rule's dead-letter queue (an invocation EventBridge
/// could not make: asynchronous, so Lambda's destination never sees it)
/// are both encrypted queues with an alarm on their depth, and each writer
/// may write to its queue.
#[test]
fn every_failed_recorder_event_lands_in_a_queue_that_alarms() {
    let translated = Translated::defaults();
    let config = translated
        .of_type("AWS::Lambda::EventInvokeConfig")
        .find(|(_, c)| {
            c["Properties"]["FunctionName"] == json!({"Ref": "RevocationRecorderFunction"})
        })
        .map(|(_, c)| &c["Properties"])
        .expect("the recorder has an EventInvokeConfig");
    assert!(config["MaximumRetryAttempts"].as_u64().is_some());
    assert!(config["MaximumEventAgeInSeconds"].as_u64().is_some());
    assert_eq!(
        config["Qualifier"], "live",
        "on the alias EventBridge invokes"
    );
    let destination = json_get_att(&config["DestinationConfig"]["OnFailure"]["Destination"])
        .expect("an on-failure destination");
    assert_eq!(destination.1, "Arn");
    encrypted_queue(translated, destination.0);
    assert!(
        depth_alarm(translated, destination.0).is_some(),
        "no alarm on {}",
        destination.0
    );
    let recorder = &grants(translated)["RevocationRecorderRole"];
    assert!(
        recorder.contains(&("sqs:SendMessage".to_owned(), destination.0.to_owned())),
        "Lambda sends to the destination with the recorder's role: {recorder:?}"
    );

    let rule = translated
        .resource("RevocationRecorderRule")
        .expect("the rule");
    let target = &rule["Properties"]["Targets"][0];
    assert!(
        target["RetryPolicy"]["MaximumRetryAttempts"]
            .as_u64()
            .is_some()
    );
    let dead_letters = json_get_att(&target["DeadLetterConfig"]["Arn"]).expect("a DLQ");
    encrypted_queue(translated, dead_letters.0);
    assert!(depth_alarm(translated, dead_letters.0).is_some());
    let allowed = translated
        .of_type("AWS::SQS::QueuePolicy")
        .filter(|(_, p)| {
            p["Properties"]["Queues"]
                .as_array()
                .is_some_and(|q| q.iter().any(|q| json_ref(q) == Some(dead_letters.0)))
        })
        .flat_map(|(_, p)| {
            p["Properties"]["PolicyDocument"]["Statement"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .any(|statement| {
            statement["Effect"] == "Allow"
                && statement["Principal"]["Service"] == "events.amazonaws.com"
                && statement["Action"] == "sqs:SendMessage"
                && json_get_att(&statement["Condition"]["ArnEquals"]["aws:SourceArn"])
                    == Some(("RevocationRecorderRule", "Arn"))
        });
    assert!(
        allowed,
        "EventBridge may send this rule's dead letters to {}",
        dead_letters.0
    );
}

// ---------------------------------------------------------------------------
// The trail
// ---------------------------------------------------------------------------

/// The stack's trail exists by default and only then: management events,
/// write only, to a bucket whose policy lets only this trail write.
#[test]
fn the_trail_logs_write_management_events_only_when_the_stack_creates_it() {
    let translated = Translated::defaults();
    let (id, trail) = translated
        .of_type("AWS::CloudTrail::Trail")
        .next()
        .expect("a trail");
    assert!(deployed(translated, trail), "{id} exists by default");
    let selectors = trail["Properties"]["EventSelectors"]
        .as_array()
        .expect("selectors");
    assert_eq!(selectors.len(), 1);
    assert_eq!(selectors[0]["IncludeManagementEvents"], true);
    assert_eq!(selectors[0]["ReadWriteType"], "WriteOnly");
    assert_eq!(trail["Properties"]["IsLogging"], true);
    let bucket = json_ref(&trail["Properties"]["S3BucketName"]).expect("the stack's bucket");
    let policy = translated
        .of_type("AWS::S3::BucketPolicy")
        .find(|(_, p)| json_ref(&p["Properties"]["Bucket"]) == Some(bucket))
        .map(|(_, p)| p.to_string())
        .expect("a bucket policy");
    assert!(
        policy.contains("aws:SourceArn") && policy.contains("trail/${AWS::StackName}-revocation")
    );
    assert!(policy.contains("aws:SecureTransport"));

    for overrides in [
        [("RevocationTrail", "existing")],
        [("Revocation", "disabled")],
    ] {
        let other = Translated::with(&overrides);
        for kind in ["AWS::CloudTrail::Trail", "AWS::S3::BucketPolicy"] {
            for (id, resource) in other.of_type(kind) {
                if kind == "AWS::S3::BucketPolicy"
                    && json_ref(&resource["Properties"]["Bucket"]) != Some(bucket)
                {
                    continue;
                }
                assert!(
                    !deployed(&other, resource),
                    "{id} exists with {overrides:?}"
                );
            }
        }
    }
}
