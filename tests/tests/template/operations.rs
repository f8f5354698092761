//! Operations: alarms on metrics the functions emit (and the check refusing
//! one no function emits), the dashboard reading only emitted metrics, and
//! every function traced.

use super::*;

/// The parameter that holds the functions' metric namespace.
const METRICS_NAMESPACE_PARAMETER: &str = "MetricsNamespace";

/// Every alarm on the functions' own namespace names a metric in
/// `cognito_auth_core::metrics::ALL`, with a `Function` a crate that emits it
/// and one more dimension at most (each line's dimension sets are
/// `[Function]` or `[Function, key]`); AWS metrics name a deployed function
/// or API. Every function has an errors and a throttles alarm, every
/// trigger a duration alarm; every alarm notifies the optional topic.
#[test]
fn every_alarm_names_a_metric_a_function_emits() {
    assert_no_problems("alarms", alarm_problems(&Template::load()));
}

/// The check itself refuses an alarm on a metric no function emits, on a
/// metric another function emits, and one that notifies nobody.
#[test]
fn the_alarm_check_refuses_what_no_function_emits() {
    let mut template = Template::load();
    let alarm = |metric: &str, function: &str| -> Value {
        serde_norway::from_str(&format!(
            "Type: AWS::CloudWatch::Alarm\n\
             Properties:\n  \
               Namespace: !Ref {METRICS_NAMESPACE_PARAMETER}\n  \
               MetricName: {metric}\n  \
               Dimensions:\n    - Name: Function\n      Value: {function}\n"
        ))
        .expect("alarm YAML")
    };
    let resources = template
        .doc
        .get_mut("Resources")
        .and_then(Value::as_mapping_mut)
        .expect("Resources");
    resources.insert("TypoAlarm".into(), alarm("Decision", "authorizer"));
    resources.insert("WrongFunctionAlarm".into(), alarm("SignUps", "authorizer"));
    let problems = alarm_problems(&template);
    for expected in [
        "TypoAlarm: Decision is not a metric any function emits",
        "WrongFunctionAlarm: SignUps is emitted by",
        "WrongFunctionAlarm: AlarmActions is not",
    ] {
        assert!(
            problems.iter().any(|problem| problem.starts_with(expected)),
            "{expected}: {problems:?}"
        );
    }
}

fn alarm_problems(template: &Template) -> Vec<String> {
    use cognito_auth_core::metrics::{ALL, FUNCTION};
    let functions: BTreeSet<&str> = template.functions().map(|(id, _)| id).collect();
    let mut problems = Vec::new();
    let mut lambda_alarms: BTreeSet<(String, String)> = BTreeSet::new();
    for (id, alarm) in template.resources_of_type("AWS::CloudWatch::Alarm") {
        let properties = alarm.get("Properties").expect("alarm properties");
        let metric = properties
            .get("MetricName")
            .and_then(literal)
            .unwrap_or_default();
        let dimensions: Vec<(String, &Value)> = properties
            .get("Dimensions")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
            .filter_map(|d| Some((d.get("Name")?.as_str()?.to_owned(), d.get("Value")?)))
            .collect();
        let namespace = properties.get("Namespace").expect("alarm namespace");
        if ref_target(namespace) == Some(METRICS_NAMESPACE_PARAMETER) {
            let Some(declared) = ALL.iter().find(|m| m.name == metric) else {
                problems.push(format!("{id}: {metric} is not a metric any function emits"));
                continue;
            };
            let function = dimensions
                .iter()
                .find(|(name, _)| name == FUNCTION)
                .and_then(|(_, value)| literal(value));
            if !function.is_some_and(|f| declared.emitted_by.contains(&f)) {
                problems.push(format!(
                    "{id}: {metric} is emitted by {:?}, the alarm names Function {function:?}",
                    declared.emitted_by
                ));
            }
            if dimensions.len() > 2 {
                problems.push(format!(
                    "{id}: no emitted dimension set has {} keys",
                    dimensions.len()
                ));
            }
        } else {
            match literal(namespace) {
                Some("AWS/Lambda") => {
                    let target = dimensions
                        .iter()
                        .find(|(name, _)| name == "FunctionName")
                        .and_then(|(_, value)| ref_target(value));
                    match target {
                        Some(function) if functions.contains(function) => {
                            lambda_alarms.insert((function.to_owned(), metric.to_owned()));
                        }
                        other => {
                            problems.push(format!("{id}: FunctionName {other:?} is no function"))
                        }
                    }
                }
                Some("AWS/ApiGateway") if ["5XXError", "5xx"].contains(&metric) => {}
                other => problems.push(format!("{id}: unexpected namespace {other:?} / {metric}")),
            }
        }
        let notifies = properties
            .get("AlarmActions")
            .and_then(if_branches)
            .is_some_and(|branches| branches.first().and_then(literal) == Some("HasAlarmTopic"));
        if !notifies {
            problems.push(format!(
                "{id}: AlarmActions is not !If [HasAlarmTopic, ...]"
            ));
        }
    }
    for crate_name in function_crates() {
        let function = template.function_for_binary(&crate_name);
        let is_trigger = TRIGGERS.iter().any(|(_, name)| *name == crate_name);
        for metric in ["Errors", "Throttles"]
            .into_iter()
            .chain(is_trigger.then_some("Duration"))
        {
            if !lambda_alarms.contains(&(function.clone(), metric.to_owned())) {
                problems.push(format!("{function} has no {metric} alarm"));
            }
        }
    }
    problems
}

/// The dashboard's body is JSON, and every metric it reads from the
/// functions' namespace (listed or in a SEARCH) is one a function emits.
#[test]
fn the_dashboard_reads_only_emitted_metrics() {
    use cognito_auth_core::metrics::ALL;
    let template = Template::load();
    let (_, dashboard) = template.single_resource("AWS::CloudWatch::Dashboard");
    let body = match dashboard
        .get("Properties")
        .and_then(|p| p.get("DashboardBody"))
    {
        Some(Value::Tagged(tagged)) if tagged.tag == "Sub" => {
            tagged.value.as_str().expect("a !Sub string").to_owned()
        }
        other => panic!("DashboardBody is not a !Sub string: {other:?}"),
    };
    let namespace = format!("${{{METRICS_NAMESPACE_PARAMETER}}}");
    let body: serde_json::Value = serde_json::from_str(&body).expect("the dashboard body is JSON");
    let mut problems = Vec::new();
    let mut read = 0;
    for widget in body["widgets"].as_array().expect("widgets") {
        for metric in widget["properties"]["metrics"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let named = if metric[0].as_str() == Some(namespace.as_str()) {
                metric[1].as_str().map(str::to_owned)
            } else if let Some(expression) = metric[0]["expression"].as_str() {
                expression
                    .split("MetricName=\"")
                    .nth(1)
                    .and_then(|rest| rest.split('"').next())
                    .map(str::to_owned)
            } else {
                continue;
            };
            read += 1;
            match named {
                Some(name) if ALL.iter().any(|m| m.name == name) => {}
                other => problems.push(format!("{other:?} is not a metric any function emits")),
            }
        }
    }
    assert!(
        read > 0,
        "the dashboard reads none of the functions' metrics"
    );
    assert_no_problems("dashboard", problems);
}

/// Every function is traced (`Tracing: Active`), and its role may write
/// traces.
#[test]
fn every_function_is_traced_and_may_write_traces() {
    let template = Template::load();
    let mut problems = Vec::new();
    for (id, function) in template.functions() {
        if template.function_property(id, "Tracing").and_then(literal) != Some("Active") {
            problems.push(format!("{id}: Tracing is not Active"));
        }
        let role = function
            .get("Properties")
            .and_then(|p| p.get("Role"))
            .and_then(get_att)
            .map(|(role, _)| role);
        let Some(role) = role else {
            problems.push(format!("{id}: no role of this template"));
            continue;
        };
        let writes_traces = template
            .resource(&role)
            .get("Properties")
            .and_then(|p| p.get("ManagedPolicyArns"))
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
            .any(|arn| format!("{arn:?}").contains("AWSXRayDaemonWriteAccess"));
        if !writes_traces {
            problems.push(format!("{id}: its role {role} may not write traces"));
        }
    }
    assert_no_problems("tracing", problems);
}
