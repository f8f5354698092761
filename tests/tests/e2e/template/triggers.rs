//! The user pool's triggers: each wired to the right function's `live`
//! alias, with an invoke permission for Cognito scoped to the pool, and a
//! timeout a little under Cognito's deadline.

use super::*;

/// Cognito waits this long for a trigger before it retries. A trigger's
/// timeout stays under it, so that Lambda ends (and reports) a slow
/// invocation before Cognito gives up on it.
const COGNITO_TRIGGER_DEADLINE_S: u64 = 5;

/// The triggers Cognito invokes asynchronously (AWS's custom sender
/// pages), to which its deadline does not apply.
const ASYNCHRONOUS: &[&str] = &["CustomEmailSender", "CustomSMSSender"];

#[test]
fn user_pool_triggers_are_wired_with_scoped_invoke_permissions() {
    let template = Template::load();
    let (pool_id, pool) = template.single_resource("AWS::Cognito::UserPool");
    let lambda_config = pool
        .get("Properties")
        .and_then(|p| p.get("LambdaConfig"))
        .and_then(Value::as_mapping)
        .expect("the user pool has a LambdaConfig");
    let mut problems = Vec::new();

    let mut wired: BTreeMap<String, &Value> = lambda_config
        .iter()
        .filter_map(|(key, value)| Some((key.as_str()?.to_owned(), value)))
        .collect();
    // Not a trigger: the key Cognito encrypts the custom senders' codes
    // with, which must be this stack's key, set exactly when they are.
    if let Some(key) = wired.remove("KMSKeyID") {
        let key_ok = match if_branches(key).map(Vec::as_slice) {
            Some([_, wired_key, unwired]) if ref_target(unwired) == Some("AWS::NoValue") => {
                get_att(wired_key).is_some_and(|(id, attribute)| {
                    attribute == "Arn"
                        && template
                            .resources_of_type("AWS::KMS::Key")
                            .any(|(key_id, _)| key_id == id)
                })
            }
            _ => false,
        };
        if !key_ok {
            problems.push(format!(
                "LambdaConfig.KMSKeyID should be !If [condition, !GetAtt <an AWS::KMS::Key>.Arn, !Ref AWS::NoValue], found {key:?}"
            ));
        }
    }
    for key in wired.keys() {
        if !TRIGGERS.iter().any(|(trigger, _)| trigger == key) {
            problems.push(format!(
                "LambdaConfig.{key} is wired but not in TRIGGERS: add it there"
            ));
        }
    }
    for (trigger, binary) in TRIGGERS {
        let function_id = template.function_for_binary(binary);
        // A `{LambdaArn, LambdaVersion}` mapping may itself be the wired
        // branch of an `!If` (the custom senders, only when enabled).
        fn unconditional(value: &Value) -> &Value {
            match if_branches(value).map(Vec::as_slice) {
                Some([_, wired, unwired])
                    if ref_target(unwired) == Some("AWS::NoValue")
                        && wired.get("LambdaArn").is_some() =>
                {
                    wired
                }
                _ => value,
            }
        }
        let arn = wired
            .get(*trigger)
            .map(|value| unconditional(value))
            .map(|value| match value.get("LambdaArn") {
                Some(arn) => {
                    let version = value.get("LambdaVersion");
                    let known = |v: &Value| {
                        literal(v).is_some_and(|v| ["V1_0", "V2_0", "V3_0"].contains(&v))
                    };
                    // A literal, or `!If [condition, V1_0, V2_0]` with every
                    // branch a known version.
                    let versions_ok = version.is_some_and(|version| {
                        known(version)
                            || if_branches(version).is_some_and(|branches| {
                                branches.len() == 3 && branches[1..].iter().all(known)
                            })
                    });
                    if !versions_ok {
                        problems.push(format!(
                            "LambdaConfig.{trigger}.LambdaVersion is {version:?}"
                        ));
                    }
                    ref_target(arn)
                }
                // A trigger wired only under a condition: its one branch
                // names the alias, the other leaves the key out.
                None => match if_branches(value).map(Vec::as_slice) {
                    Some([_, wired, unwired]) if ref_target(unwired) == Some("AWS::NoValue") => {
                        ref_target(wired)
                    }
                    Some(_) => None,
                    None => ref_target(value),
                },
            });
        // The alias SAM publishes (AutoPublishAlias), which CodeDeploy moves
        // and rolls back; `translated` checks what it becomes.
        let alias = format!("{function_id}.Alias");
        match arn {
            Some(Some(target)) if target == alias => {}
            other => problems.push(format!(
                "LambdaConfig.{trigger} should be !Ref {alias}, found {other:?}"
            )),
        }

        let permitted =
            template
                .resources_of_type("AWS::Lambda::Permission")
                .any(|(_, permission)| {
                    let properties = permission.get("Properties");
                    let field = |name: &str| properties.and_then(|p| p.get(name));
                    let names_function =
                        field("FunctionName").and_then(ref_target) == Some(alias.as_str());
                    names_function
                        && field("Action").and_then(literal) == Some("lambda:InvokeFunction")
                        && field("Principal").and_then(literal) == Some("cognito-idp.amazonaws.com")
                        && field("SourceArn").and_then(get_att)
                            == Some((pool_id.clone(), "Arn".to_owned()))
                        && field("SourceAccount").and_then(ref_target) == Some("AWS::AccountId")
                });
        if !permitted {
            problems.push(format!(
                "{function_id} has no AWS::Lambda::Permission on {alias} for cognito-idp.amazonaws.com \
                 with SourceArn !GetAtt {pool_id}.Arn and SourceAccount !Ref AWS::AccountId"
            ));
        }

        // Cognito invokes the custom senders asynchronously: it does not
        // wait, and Lambda's retries apply instead (docs/custom-sender.md).
        if ASYNCHRONOUS.contains(trigger) {
            continue;
        }
        let timeout = template
            .function_property(&function_id, "Timeout")
            .and_then(Value::as_u64);
        if timeout.is_none_or(|seconds| seconds >= COGNITO_TRIGGER_DEADLINE_S) {
            problems.push(format!(
                "{function_id} has Timeout {timeout:?}; Cognito gives a trigger {COGNITO_TRIGGER_DEADLINE_S} s, \
                 so it must time out a little before"
            ));
        }
    }
    assert_no_problems("user pool triggers", problems);
}
