//! The EMF checker shared by the end-to-end tests `metrics` (lines of the
//! functions it drives) and `log_audit` (every line the suite printed).

use cognito_auth_core::metrics::{ALL, CALL, CLIENT, FUNCTION, LOCALE, OUTCOME, REASON, RESULT};
use serde_json::Value;

/// CloudWatch's units (`MetricDatum.Unit`).
pub const ALLOWED_UNITS: &[&str] = &[
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

/// The only dimension keys a function may use.
pub const DIMENSION_KEYS: &[&str] = &[FUNCTION, OUTCOME, REASON, RESULT, LOCALE, CALL, CLIENT];

/// Whether the line is meant as EMF (has an `_aws` member at the top).
pub fn is_emf(line: &str) -> bool {
    serde_json::from_str::<Value>(line).is_ok_and(|value| value.get("_aws").is_some())
        || line.contains("\"_aws\"")
}

/// A dimension value must be a fixed code: short, and of letters, digits,
/// `_` and `-` only. No `@` (an address), no `.` (a JWT, a domain).
fn is_code(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Checks one line against the EMF specification and this project's rules;
/// returns the parsed line.
pub fn check(line: &str) -> Result<Value, String> {
    let value: Value = serde_json::from_str(line).map_err(|err| format!("not JSON: {err}"))?;
    let object = value.as_object().ok_or("not a JSON object")?;
    let aws = object
        .get("_aws")
        .and_then(Value::as_object)
        .ok_or("no `_aws` object")?;
    aws.get("Timestamp")
        .and_then(Value::as_u64)
        .filter(|ms| *ms > 1_500_000_000_000)
        .ok_or("`_aws.Timestamp` is not epoch milliseconds")?;
    let directives = aws
        .get("CloudWatchMetrics")
        .and_then(Value::as_array)
        .filter(|list| !list.is_empty())
        .ok_or("`_aws.CloudWatchMetrics` is not a non-empty array")?;
    for directive in directives {
        let namespace = directive
            .get("Namespace")
            .and_then(Value::as_str)
            .filter(|ns| !ns.is_empty() && ns.len() <= 255)
            .ok_or("a directive has no Namespace")?;
        if namespace.starts_with("AWS/") {
            return Err(format!("reserved namespace {namespace}"));
        }
        let sets = directive
            .get("Dimensions")
            .and_then(Value::as_array)
            .ok_or("a directive has no Dimensions array")?;
        for set in sets {
            let keys = set.as_array().ok_or("a dimension set is not an array")?;
            if keys.is_empty() || keys.len() > 30 {
                return Err(format!("a dimension set has {} keys", keys.len()));
            }
            for key in keys {
                let key = key.as_str().ok_or("a dimension key is not a string")?;
                if !DIMENSION_KEYS.contains(&key) {
                    return Err(format!("unknown dimension key {key}"));
                }
                let member = object
                    .get(key)
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("dimension {key} is not a string member of the line"))?;
                if !is_code(member) {
                    return Err(format!(
                        "dimension {key} holds {member:?}, not a fixed code"
                    ));
                }
            }
        }
        let metrics = directive
            .get("Metrics")
            .and_then(Value::as_array)
            .ok_or("a directive has no Metrics array")?;
        if metrics.is_empty() || metrics.len() > 100 {
            return Err(format!("{} metrics in one directive", metrics.len()));
        }
        for metric in metrics {
            let name = metric
                .get("Name")
                .and_then(Value::as_str)
                .ok_or("a metric has no Name")?;
            let unit = metric
                .get("Unit")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{name} has no Unit"))?;
            if !ALLOWED_UNITS.contains(&unit) {
                return Err(format!("{name}: unit {unit} is not a CloudWatch unit"));
            }
            let declared = ALL
                .iter()
                .find(|known| known.name == name)
                .ok_or_else(|| format!("{name} is not in cognito_auth_core::metrics::ALL"))?;
            if declared.unit.as_str() != unit {
                return Err(format!(
                    "{name}: unit {unit}, declared {}",
                    declared.unit.as_str()
                ));
            }
            let values = match object.get(name) {
                Some(Value::Number(_)) => 1,
                Some(Value::Array(values)) if values.iter().all(Value::is_number) => values.len(),
                _ => return Err(format!("{name} has no numeric value on the line")),
            };
            if values == 0 || values > 100 {
                return Err(format!("{name} has {values} values"));
            }
        }
    }
    Ok(value)
}

/// Lines the checker must refuse, for its own test.
pub fn bad_lines() -> Vec<String> {
    let good = serde_json::json!({
        "_aws": {"Timestamp": 1_764_000_000_000u64, "CloudWatchMetrics": [{
            "Namespace": "CognitoAuth", "Dimensions": [["Function", "Outcome"]],
            "Metrics": [{"Name": "SignUps", "Unit": "Count"}]}]},
        "Function": "pre-sign-up", "Outcome": "accepted", "SignUps": 1
    });
    let mut bad = Vec::new();
    let mut with = |edit: &dyn Fn(&mut Value)| {
        let mut line = good.clone();
        edit(&mut line);
        bad.push(line.to_string());
    };
    with(&|line| line["Outcome"] = "jane@example.com".into());
    with(&|line| line["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"] = "Things".into());
    with(&|line| line["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0][1] = "UserName".into());
    with(&|line| {
        line.as_object_mut().map(|o| o.remove("Outcome"));
    });
    with(&|line| line["SignUps"] = "1".into());
    with(&|line| line["_aws"]["CloudWatchMetrics"][0]["Namespace"] = "AWS/Lambda".into());
    with(&|line| {
        line["_aws"]["CloudWatchMetrics"][0]["Metrics"] = Value::Array(
            (0..101)
                .map(|_| serde_json::json!({"Name": "SignUps", "Unit": "Count"}))
                .collect(),
        )
    });
    assert!(
        check(&good.to_string()).is_ok(),
        "{:?}",
        check(&good.to_string())
    );
    bad
}
