//! Operations, on the template as SAM translates it: every alarm reads
//! metrics that exist (the functions' own, or AWS's of a resource and stage
//! of this stack), counts real failures only (a deliberate refusal keeps it
//! at zero, a real failure moves it), and the dashboard's body is what
//! PutDashboard accepts, reading only emitted metrics. Every check fails on
//! what it cannot read: nothing is skipped.

use serde_json::Value as Json;

use super::translated::{Translated, json_ref};
use super::*;
use cognito_auth_core::metrics::{ALL, FUNCTION, REFUSALS};

/// The parameter that holds the functions' metric namespace.
const METRICS_NAMESPACE_PARAMETER: &str = "MetricsNamespace";

/// Dimension keys the functions' metric lines use besides `Function`.
const EXTRA_DIMENSIONS: &[&str] = &["Outcome", "Reason", "Result", "Locale", "Call"];

/// The functions that record a metric on every invocation (or every answer),
/// so that invocations without it mean the metric lines are lost.
const PER_INVOCATION: &[&str] = &[
    "authorizer",
    "pre-sign-up",
    "custom-message",
    "pre-token-generation",
];

/// One metric an alarm or a widget reads.
#[derive(Debug)]
struct MetricRef<'a> {
    namespace: &'a Json,
    name: &'a str,
    dimensions: Vec<(&'a str, &'a Json)>,
}

/// The metrics an alarm reads, by id (`""` for a single-metric alarm), and
/// its expression when it has one.
type AlarmMetrics<'a> = (BTreeMap<&'a str, MetricRef<'a>>, Option<&'a str>);

fn alarm_metrics<'a>(id: &str, properties: &'a Json) -> Result<AlarmMetrics<'a>, String> {
    let dimensions = |list: &'a Json| -> Result<Vec<(&'a str, &'a Json)>, String> {
        match list {
            Json::Null => Ok(Vec::new()),
            Json::Array(list) => list
                .iter()
                .map(|d| match (d["Name"].as_str(), d.get("Value")) {
                    (Some(name), Some(value)) => Ok((name, value)),
                    _ => Err(format!("{id}: cannot read the dimension {d}")),
                })
                .collect(),
            other => Err(format!("{id}: Dimensions is {other}")),
        }
    };
    if let Some(metrics) = properties.get("Metrics") {
        let metrics = metrics
            .as_array()
            .ok_or_else(|| format!("{id}: Metrics is not a list"))?;
        let mut read = BTreeMap::new();
        let mut expressions = Vec::new();
        for entry in metrics {
            let entry_id = entry["Id"]
                .as_str()
                .ok_or_else(|| format!("{id}: a Metrics entry without Id"))?;
            let returned = entry["ReturnData"].as_bool();
            match (entry.get("Expression"), entry.get("MetricStat")) {
                (Some(expression), None) => {
                    let expression = expression
                        .as_str()
                        .ok_or_else(|| format!("{id}.{entry_id}: Expression is no string"))?;
                    if returned != Some(true) {
                        return Err(format!(
                            "{id}.{entry_id}: the expression must be ReturnData true"
                        ));
                    }
                    expressions.push(expression);
                }
                (None, Some(stat)) => {
                    if returned != Some(false) {
                        return Err(format!(
                            "{id}.{entry_id}: a metric must be ReturnData false"
                        ));
                    }
                    let metric = &stat["Metric"];
                    let name = metric["MetricName"]
                        .as_str()
                        .ok_or_else(|| format!("{id}.{entry_id}: no MetricName"))?;
                    if stat["Period"].as_u64().is_none() || stat["Stat"].as_str().is_none() {
                        return Err(format!("{id}.{entry_id}: no Period or Stat"));
                    }
                    read.insert(
                        entry_id,
                        MetricRef {
                            namespace: &metric["Namespace"],
                            name,
                            dimensions: dimensions(&metric["Dimensions"])?,
                        },
                    );
                }
                _ => {
                    return Err(format!(
                        "{id}.{entry_id}: neither an Expression nor a MetricStat"
                    ));
                }
            }
        }
        let [expression] = expressions.as_slice() else {
            return Err(format!(
                "{id}: {} expressions; one returns the alarm's value",
                expressions.len()
            ));
        };
        return Ok((read, Some(*expression)));
    }
    let name = properties["MetricName"]
        .as_str()
        .ok_or_else(|| format!("{id}: neither Metrics nor MetricName"))?;
    let metric = MetricRef {
        namespace: &properties["Namespace"],
        name,
        dimensions: dimensions(&properties["Dimensions"])?,
    };
    Ok((BTreeMap::from([("", metric)]), None))
}

/// What is wrong with one metric reference of the translated template.
fn metric_problem(translated: &Translated, metric: &MetricRef) -> Option<String> {
    let MetricRef {
        namespace,
        name,
        dimensions,
    } = metric;
    let dimension = |key: &str| dimensions.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
    let keys: BTreeSet<&str> = dimensions.iter().map(|(k, _)| *k).collect();
    let refers_to = |key: &str, kind: &str| {
        dimension(key).and_then(|value| translated.ref_type(value)) == Some(kind)
    };
    if json_ref(namespace) == Some(METRICS_NAMESPACE_PARAMETER) {
        let Some(declared) = ALL.iter().find(|m| m.name == *name) else {
            return Some(format!("{name} is not a metric any function emits"));
        };
        let function = dimension(FUNCTION).and_then(Json::as_str);
        if !function.is_some_and(|f| declared.emitted_by.contains(&f)) {
            return Some(format!(
                "{name} is emitted by {:?}, not Function {function:?}",
                declared.emitted_by
            ));
        }
        let extra: Vec<&&str> = keys.iter().filter(|k| **k != FUNCTION).collect();
        if extra.len() > 1 || extra.iter().any(|k| !EXTRA_DIMENSIONS.contains(k)) {
            return Some(format!("{name}: no emitted dimension set is {keys:?}"));
        }
        return None;
    }
    let ok = match namespace.as_str() {
        Some("AWS/Lambda") => {
            keys == BTreeSet::from(["FunctionName"])
                && refers_to("FunctionName", "AWS::Lambda::Function")
                && ["Errors", "Throttles", "Duration", "Invocations"].contains(name)
        }
        Some("AWS/ApiGateway") => {
            api_metric_ok(
                translated,
                name,
                dimension("ApiName"),
                dimension("ApiId"),
                dimension("Stage"),
            ) && keys.len() == 2
        }
        Some("AWS/Cognito") => {
            keys == BTreeSet::from(["UserPool", "UserPoolClient"])
                && refers_to("UserPool", "AWS::Cognito::UserPool")
                && refers_to("UserPoolClient", "AWS::Cognito::UserPoolClient")
                && [
                    "SignUpThrottles",
                    "SignInThrottles",
                    "TokenRefreshThrottles",
                ]
                .contains(name)
        }
        Some("AWS/DynamoDB") => {
            refers_to("TableName", "AWS::DynamoDB::Table")
                && match *name {
                    "ReadThrottleEvents" | "WriteThrottleEvents" => keys.len() == 1,
                    "SystemErrors" => {
                        keys.len() == 2
                            && dimension("Operation")
                                .and_then(Json::as_str)
                                .is_some_and(|op| ["GetItem", "PutItem"].contains(&op))
                    }
                    _ => false,
                }
        }
        Some("AWS/SQS") => {
            // A queue of the stack, by its name (`!GetAtt Queue.QueueName`;
            // `!Ref` would give its URL, which names no metric).
            let queue = dimension("QueueName").and_then(|value| {
                let [id, attribute] = value["Fn::GetAtt"].as_array()?.as_slice() else {
                    return None;
                };
                (attribute == "QueueName").then_some(id.as_str()?)
            });
            keys == BTreeSet::from(["QueueName"])
                && queue
                    .and_then(|id| translated.resource(id))
                    .is_some_and(|q| q["Type"] == "AWS::SQS::Queue")
                && name == &"ApproximateNumberOfMessagesVisible"
        }
        _ => false,
    };
    (!ok).then(|| format!("{namespace}/{name} {dimensions:?} names nothing of this stack"))
}

/// An API Gateway metric of one of this stack's APIs, on a stage it has.
fn api_metric_ok(
    translated: &Translated,
    name: &str,
    api_name: Option<&Json>,
    api_id: Option<&Json>,
    stage: Option<&Json>,
) -> bool {
    let Some(stage) = stage.and_then(Json::as_str) else {
        return false;
    };
    let has_stage = |api: &str, kind: &str, key: &str| {
        translated.of_type(kind).any(|(_, s)| {
            json_ref(&s["Properties"][key]) == Some(api) && s["Properties"]["StageName"] == stage
        })
    };
    if let Some(api_name) = api_name {
        // The REST API, by its Name (a !Sub the alarm repeats).
        return name == "5XXError"
            && translated
                .of_type("AWS::ApiGateway::RestApi")
                .any(|(id, api)| {
                    api["Properties"]["Name"] == *api_name
                        && has_stage(id, "AWS::ApiGateway::Stage", "RestApiId")
                });
    }
    let Some(api) = api_id.and_then(json_ref) else {
        return false;
    };
    // SAM's HTTP API is an OpenAPI Body, which names no ProtocolType.
    let protocol = translated.resource(api).and_then(|a| {
        let properties = &a["Properties"];
        match properties["ProtocolType"].as_str() {
            Some(protocol) => Some(protocol),
            None => properties.get("Body").map(|_| "HTTP"),
        }
    });
    let expected: &[&str] = match protocol {
        Some("HTTP") => &["5xx"],
        Some("WEBSOCKET") => &["ExecutionError", "IntegrationError"],
        _ => &[],
    };
    expected.contains(&name) && has_stage(api, "AWS::ApiGatewayV2::Stage", "ApiId")
}

/// Every alarm reads metrics of this stack and notifies the optional topic;
/// every function has its real-failure, throttle and duration alarms, and
/// each that records a metric per invocation a metrics-missing alarm.
#[test]
fn every_alarm_reads_metrics_of_this_stack() {
    assert_no_problems("alarms", alarm_problems(Translated::defaults()));
}

/// The check refuses an alarm on a metric no function emits, on one another
/// function emits, on a stage the API does not have, and one that notifies
/// nobody.
#[test]
fn the_alarm_check_refuses_what_does_not_exist() {
    let mut translated = Translated::with(&[]);
    let alarm = |namespace: Json, metric: &str, dimensions: Json| {
        serde_json::json!({
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {"Namespace": namespace, "MetricName": metric, "Dimensions": dimensions},
        })
    };
    let own = serde_json::json!({"Ref": METRICS_NAMESPACE_PARAMETER});
    let resources = translated.doc["Resources"]
        .as_object_mut()
        .expect("Resources");
    resources.insert(
        "TypoAlarm".into(),
        alarm(
            own.clone(),
            "Decision",
            serde_json::json!([{"Name": "Function", "Value": "authorizer"}]),
        ),
    );
    resources.insert(
        "WrongFunctionAlarm".into(),
        alarm(
            own,
            "SignUps",
            serde_json::json!([{"Name": "Function", "Value": "authorizer"}]),
        ),
    );
    resources.insert(
        "SamStageAlarm".into(),
        alarm(
            "AWS/ApiGateway".into(),
            "5xx",
            serde_json::json!([{"Name": "ApiId", "Value": {"Ref": "HttpApi"}}, {"Name": "Stage", "Value": "Stage"}]),
        ),
    );
    let problems = alarm_problems(&translated);
    for expected in [
        "TypoAlarm: Decision is not a metric any function emits",
        "WrongFunctionAlarm: SignUps is emitted by",
        "SamStageAlarm: \"AWS/ApiGateway\"/5xx",
        "WrongFunctionAlarm: AlarmActions is not",
    ] {
        assert!(
            problems.iter().any(|problem| problem.starts_with(expected)),
            "{expected}: {problems:?}"
        );
    }
}

fn alarm_problems(translated: &Translated) -> Vec<String> {
    let template = Template::load();
    let mut problems = Vec::new();
    let mut by_function: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for (id, alarm) in translated.of_type("AWS::CloudWatch::Alarm") {
        let properties = &alarm["Properties"];
        let (metrics, expression) = match alarm_metrics(id, properties) {
            Ok(read) => read,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        for metric in metrics.values() {
            if let Some(problem) = metric_problem(translated, metric) {
                problems.push(format!("{id}: {problem}"));
            }
            let function = metric.dimensions.first().and_then(|(_, v)| json_ref(v));
            if let (true, Some(function)) = (metric.namespace == "AWS/Lambda", function) {
                by_function
                    .entry(function.to_owned())
                    .or_default()
                    .insert(id);
            }
        }
        if let Some(expression) = expression {
            let used = identifiers(expression);
            let defined: BTreeSet<&str> = metrics.keys().copied().collect();
            if used != defined {
                problems.push(format!(
                    "{id}: the expression reads {used:?}, the alarm defines {defined:?}"
                ));
            }
        }
        let notifies = |key: &str| {
            properties[key]["Fn::If"][0] == "HasAlarmTopic"
                && json_ref(&properties[key]["Fn::If"][1][0]) == Some("AlarmTopicArn")
        };
        if !notifies("AlarmActions") || !notifies("OKActions") {
            problems.push(format!(
                "{id}: AlarmActions is not !If [HasAlarmTopic, [AlarmTopicArn], ...]"
            ));
        }
    }
    for crate_name in function_crates() {
        let function = template.function_for_binary(&crate_name);
        let alarms = by_function.get(&function).cloned().unwrap_or_default();
        // AuthorizerFunction's alarms are Authorizer<Kind>Alarm.
        let stem = function.trim_end_matches("Function");
        let mut expect = vec![
            format!("{stem}ErrorsAlarm"),
            format!("{stem}ThrottlesAlarm"),
            format!("{stem}DurationAlarm"),
        ];
        if PER_INVOCATION.contains(&crate_name.as_str()) {
            expect.push(format!("{stem}MetricsMissingAlarm"));
        }
        for alarm in expect {
            if !alarms.contains(alarm.as_str()) {
                problems.push(format!(
                    "{function} has no {alarm} on its AWS/Lambda metrics"
                ));
            }
        }
    }
    problems
}

/// The ids an expression reads (function names such as IF and FILL, in
/// capitals, excluded).
fn identifiers(expression: &str) -> BTreeSet<&str> {
    expression
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .filter(|word| word.starts_with(|c: char| c.is_ascii_lowercase()))
        .collect()
}

// ---------------------------------------------------------------------------
// What traffic does to the alarms
// ---------------------------------------------------------------------------

/// Normal traffic (an expired token's 401, a refused sign-up: errors that
/// the function counts as Refusals) keeps every errors alarm at zero; a real
/// failure (an error without a refusal) raises it to its threshold; a
/// refusal counted in the next period never turns into a negative value
/// that would hide a real failure beyond that period. Each function's
/// metrics-missing alarm reads zero while its metric lines arrive and
/// fires when invocations come without them.
#[test]
fn normal_traffic_keeps_the_alarms_at_zero_and_real_failures_move_them() {
    let translated = Translated::defaults();
    let template = Template::load();
    let mut checked = 0;
    for crate_name in function_crates() {
        let function = template.function_for_binary(&crate_name);
        let id = format!("{}ErrorsAlarm", function.trim_end_matches("Function"));
        let alarm = translated
            .resource(&id)
            .unwrap_or_else(|| panic!("no {id}"));
        let (metrics, expression) = alarm_metrics(&id, &alarm["Properties"]).expect("readable");
        let expression = expression.unwrap_or_else(|| {
            panic!("{id} reads Errors alone: a 401 or a refused sign-up would fire it")
        });
        let threshold = alarm["Properties"]["Threshold"]
            .as_f64()
            .expect("Threshold");
        let errors = metrics
            .iter()
            .find(|(_, m)| m.name == "Errors")
            .map(|(id, _)| *id)
            .unwrap_or_else(|| panic!("{id} reads no Errors"));
        let value = |values: &[(&str, f64)]| {
            let values: BTreeMap<&str, f64> = values.iter().copied().collect();
            evaluate(expression, &values).unwrap_or_else(|why| panic!("{id}: {why}"))
        };
        let refusals = metrics.iter().find(|(_, m)| m.name == "Refusals");
        if !REFUSALS.emitted_by.contains(&crate_name.as_str()) {
            // A function that refuses nothing: every error is a real failure.
            assert!(
                refusals.is_none(),
                "{id} subtracts Refusals, which {crate_name} never writes"
            );
            assert!(value(&[]) < threshold, "{id}: no data fires it");
            assert!(value(&[(errors, 0.0)]) < threshold, "{id}");
            assert!(
                value(&[(errors, 1.0)]) >= threshold,
                "{id}: a real failure is missed"
            );
            checked += 1;
            continue;
        }
        let refusals = refusals
            .map(|(id, m)| {
                assert_eq!(
                    m.dimensions.first().and_then(|(_, v)| v.as_str()),
                    Some(crate_name.as_str())
                );
                *id
            })
            .unwrap_or_else(|| panic!("{id} subtracts no Refusals of {crate_name}"));
        // 40 refused calls, each a Lambda error.
        assert!(
            value(&[(errors, 40.0), (refusals, 40.0)]) < threshold,
            "{id}: refusals fire it"
        );
        // Quiet periods and refusal-free traffic.
        assert!(value(&[]) < threshold, "{id}: no data fires it");
        assert!(value(&[(errors, 0.0)]) < threshold, "{id}");
        // One real failure among the refusals, or alone.
        assert!(
            value(&[(errors, 41.0), (refusals, 40.0)]) >= threshold,
            "{id}: a real failure among refusals is missed"
        );
        assert!(
            value(&[(errors, 1.0)]) >= threshold,
            "{id}: a real failure is missed"
        );
        // Refusals counted a period late never go below zero.
        assert!(
            value(&[(errors, 0.0), (refusals, 5.0)]) >= 0.0,
            "{id}: goes negative"
        );
        checked += 1;
    }
    assert_eq!(checked, function_crates().len());

    for crate_name in PER_INVOCATION {
        let function = template.function_for_binary(crate_name);
        let id = format!(
            "{}MetricsMissingAlarm",
            function.trim_end_matches("Function")
        );
        let alarm = translated
            .resource(&id)
            .unwrap_or_else(|| panic!("no {id}"));
        let (metrics, expression) = alarm_metrics(&id, &alarm["Properties"]).expect("readable");
        let expression = expression.expect("an expression");
        let threshold = alarm["Properties"]["Threshold"]
            .as_f64()
            .expect("Threshold");
        let invocations = metrics
            .iter()
            .find(|(_, m)| m.name == "Invocations")
            .map(|(id, _)| *id)
            .unwrap_or_else(|| panic!("{id} reads no Invocations"));
        let own: Vec<&str> = metrics
            .iter()
            .filter(|(_, m)| json_ref(m.namespace) == Some(METRICS_NAMESPACE_PARAMETER))
            .map(|(id, _)| *id)
            .collect();
        assert!(!own.is_empty(), "{id} reads none of {crate_name}'s metrics");
        let value = |values: &[(&str, f64)]| {
            let values: BTreeMap<&str, f64> = values.iter().copied().collect();
            evaluate(expression, &values).unwrap_or_else(|why| panic!("{id}: {why}"))
        };
        assert!(
            value(&[(invocations, 30.0)]) >= threshold,
            "{id}: blind invocations go unseen"
        );
        for seen in &own {
            assert!(
                value(&[(invocations, 30.0), (seen, 30.0)]) < threshold,
                "{id}: fires while {seen} arrives"
            );
        }
        assert!(value(&[]) < threshold, "{id}: fires without traffic");
    }
}

/// A CloudWatch metric-math expression of the few functions these alarms
/// use (`IF`, `FILL`, `+ - > ==`, `AND`, numbers and ids), over one
/// datapoint per id: enough to show what traffic does to an alarm. A
/// missing id is a missing datapoint, which `FILL` replaces. Anything else
/// is an error, so that an alarm using more fails here until this learns it.
fn evaluate(expression: &str, values: &BTreeMap<&str, f64>) -> Result<f64, String> {
    let tokens = tokenize(expression)?;
    let mut parser = Parser {
        tokens: &tokens,
        at: 0,
        values,
    };
    let value = parser.or()?;
    if parser.at != tokens.len() {
        return Err(format!(
            "unexpected {:?} in {expression}",
            tokens[parser.at]
        ));
    }
    value.ok_or_else(|| format!("{expression} has no value"))
}

#[derive(Debug, PartialEq)]
enum Token {
    Number(f64),
    Word(String),
    Symbol(&'static str),
}

fn tokenize(expression: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = expression.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            tokens.push(Token::Number(
                text.parse().map_err(|_| format!("bad number {text}"))?,
            ));
        } else if c.is_ascii_alphabetic() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push(Token::Word(chars[start..i].iter().collect()));
        } else {
            let symbol = ["==", ">=", "(", ")", ",", "+", "-", ">"]
                .into_iter()
                .find(|s| chars[i..].iter().take(s.len()).copied().eq(s.chars()))
                .ok_or_else(|| format!("unknown symbol {c:?} in {expression}"))?;
            tokens.push(Token::Symbol(symbol));
            i += symbol.len();
        }
    }
    Ok(tokens)
}

/// Recursive descent: or → and → comparison → sum → atom. `None` is a
/// missing datapoint; arithmetic on one is missing too.
struct Parser<'a> {
    tokens: &'a [Token],
    at: usize,
    values: &'a BTreeMap<&'a str, f64>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn expect(&mut self, symbol: &str) -> Result<(), String> {
        match self.peek() {
            Some(Token::Symbol(s)) if *s == symbol => {
                self.at += 1;
                Ok(())
            }
            other => Err(format!("expected {symbol}, found {other:?}")),
        }
    }

    fn or(&mut self) -> Result<Option<f64>, String> {
        self.and()
    }

    fn and(&mut self) -> Result<Option<f64>, String> {
        let mut left = self.comparison()?;
        while self.peek() == Some(&Token::Word("AND".into())) {
            self.at += 1;
            let right = self.comparison()?;
            left = left
                .zip(right)
                .map(|(l, r)| f64::from(u8::from(l != 0.0 && r != 0.0)));
        }
        Ok(left)
    }

    fn comparison(&mut self) -> Result<Option<f64>, String> {
        let left = self.sum()?;
        let op = match self.peek() {
            Some(Token::Symbol(op @ (">" | ">=" | "=="))) => *op,
            _ => return Ok(left),
        };
        self.at += 1;
        let right = self.sum()?;
        Ok(left.zip(right).map(|(l, r)| {
            f64::from(u8::from(match op {
                ">" => l > r,
                ">=" => l >= r,
                _ => l == r,
            }))
        }))
    }

    fn sum(&mut self) -> Result<Option<f64>, String> {
        let mut left = self.atom()?;
        while let Some(Token::Symbol(op @ ("+" | "-"))) = self.peek() {
            let op = *op;
            self.at += 1;
            let right = self.atom()?;
            left = left
                .zip(right)
                .map(|(l, r)| if op == "+" { l + r } else { l - r });
        }
        Ok(left)
    }

    fn atom(&mut self) -> Result<Option<f64>, String> {
        let tokens = self.tokens;
        let token = tokens.get(self.at).ok_or("unexpected end")?;
        self.at += 1;
        match token {
            Token::Number(n) => Ok(Some(*n)),
            Token::Symbol("(") => {
                let value = self.or()?;
                self.expect(")")?;
                Ok(value)
            }
            Token::Word(word) if word == "FILL" => {
                self.expect("(")?;
                let value = self.or()?;
                self.expect(",")?;
                let fill = self.or()?;
                self.expect(")")?;
                Ok(value.or(fill))
            }
            Token::Word(word) if word == "IF" => {
                self.expect("(")?;
                let condition = self.or()?;
                self.expect(",")?;
                let then = self.or()?;
                self.expect(",")?;
                let otherwise = self.or()?;
                self.expect(")")?;
                Ok(condition.and_then(|c| if c != 0.0 { then } else { otherwise }))
            }
            Token::Word(word) if word.starts_with(|c: char| c.is_ascii_lowercase()) => {
                Ok(self.values.get(word.as_str()).copied())
            }
            other => Err(format!("unsupported {other:?}")),
        }
    }
}

#[test]
fn the_expression_evaluator_reads_what_cloudwatch_would() {
    let values = BTreeMap::from([("a", 3.0), ("b", 5.0)]);
    for (expression, expected) in [
        ("a + b", Some(8.0)),
        ("FILL(c, 0) - a", Some(-3.0)),
        ("IF(a - b > 0, a - b, 0)", Some(0.0)),
        ("IF((FILL(c, 0) + FILL(d, 0)) == 0, b, 0)", Some(5.0)),
        ("a - c", None),
    ] {
        assert_eq!(evaluate(expression, &values).ok(), expected, "{expression}");
    }
    assert!(evaluate("RATE(a)", &values).is_err());
}

// ---------------------------------------------------------------------------
// The dashboard
// ---------------------------------------------------------------------------

/// The dashboard's body, as translated, is what PutDashboard accepts: every
/// `metrics` entry an array (a metric, or one expression object), every
/// `${...}` a parameter or resource of the stack, every metric one that
/// exists, every SEARCH quoting the namespace and naming an emitted metric.
#[test]
fn the_dashboard_body_is_valid_and_reads_only_existing_metrics() {
    let translated = Translated::defaults();
    let (_, dashboard) = translated
        .of_type("AWS::CloudWatch::Dashboard")
        .next()
        .expect("a dashboard");
    let body = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
        .as_str()
        .expect("DashboardBody is an Fn::Sub string");
    let (read, problems) = dashboard_problems(translated, body);
    assert!(read > 20, "the dashboard reads only {read} metrics");
    assert_no_problems("dashboard", problems);
}

/// The check refuses the forms CloudWatch refuses or that name nothing: a
/// bare expression object (PutDashboard's "Should be array"), an unknown
/// metric, a SEARCH with the namespace unquoted, an undefined `${...}`.
#[test]
fn the_dashboard_check_refuses_what_putdashboard_would() {
    let translated = Translated::defaults();
    let widget = |metrics: &str| {
        format!(
            r#"{{"widgets": [{{"type": "metric", "properties": {{"metrics": [{metrics}]}}}}]}}"#
        )
    };
    for (metrics, expected) in [
        (
            r#"{"expression": "SEARCH('{\"${MetricsNamespace}\",Function} MetricName=\"Decisions\"', 'Sum', 300)", "id": "e"}"#,
            "is not an array",
        ),
        (
            r#"["${MetricsNamespace}", "Decision", "Function", "authorizer"]"#,
            "Decision is not a metric",
        ),
        (
            r#"[{"expression": "SEARCH('{${MetricsNamespace},Function} MetricName=\"Decisions\"', 'Sum', 300)", "id": "e"}]"#,
            "does not quote",
        ),
        (
            r#"["AWS/Lambda", "Errors", "FunctionName", "${NoSuchFunction}"]"#,
            "NoSuchFunction",
        ),
        (r#""text""#, "is not an array"),
    ] {
        let (_, problems) = dashboard_problems(translated, &widget(metrics));
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "{metrics} should be refused with {expected:?}: {problems:?}"
        );
    }
}

/// The number of metric entries read, and the problems found.
fn dashboard_problems(translated: &Translated, body: &str) -> (usize, Vec<String>) {
    let mut problems = Vec::new();
    // Each ${Name} becomes "<Name>" after checking it names something of the
    // stack; the metric checks below map them back.
    let mut substituted = String::new();
    let mut rest = body;
    while let Some(start) = rest.find("${") {
        substituted.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            problems.push("an unclosed ${".to_owned());
            break;
        };
        let name = &rest[start + 2..start + end];
        let base = name.split('.').next().unwrap_or(name);
        let known = name.starts_with("AWS::")
            || translated.doc["Parameters"].get(base).is_some()
            || translated.resource(base).is_some();
        if !known {
            problems.push(format!("${{{name}}} names nothing of the stack"));
        }
        substituted.push('<');
        substituted.push_str(name);
        substituted.push('>');
        rest = &rest[start + end + 1..];
    }
    substituted.push_str(rest);
    let body: Json = match serde_json::from_str(&substituted) {
        Ok(body) => body,
        Err(err) => {
            problems.push(format!("the body is not JSON: {err}"));
            return (0, problems);
        }
    };
    let namespace = format!("<{METRICS_NAMESPACE_PARAMETER}>");
    let resolve = |value: &str| -> Json {
        match value.strip_prefix('<').and_then(|v| v.strip_suffix('>')) {
            Some(name) if !name.contains("::") => serde_json::json!({"Ref": name}),
            _ => Json::from(value),
        }
    };
    let mut read = 0;
    let Some(widgets) = body["widgets"].as_array() else {
        problems.push("no widgets array".to_owned());
        return (0, problems);
    };
    for (index, widget) in widgets.iter().enumerate() {
        match widget["type"].as_str() {
            Some("text") => continue,
            Some("metric") => {}
            other => {
                problems.push(format!("widget {index}: type {other:?}"));
                continue;
            }
        }
        let Some(metrics) = widget["properties"]["metrics"].as_array() else {
            problems.push(format!("widget {index}: metrics is not an array"));
            continue;
        };
        for entry in metrics {
            read += 1;
            let Some(parts) = entry.as_array() else {
                problems.push(format!("widget {index}: the entry {entry} is not an array"));
                continue;
            };
            if let [Json::Object(expression)] = parts.as_slice() {
                let text = expression.get("expression").and_then(Json::as_str);
                let (Some(text), Some(_)) = (text, expression.get("id")) else {
                    problems.push(format!("widget {index}: {entry} has no expression and id"));
                    continue;
                };
                if !text.starts_with(&format!("SEARCH('{{\"{namespace}\",")) {
                    problems.push(format!(
                        "widget {index}: {text} does not quote the namespace"
                    ));
                }
                let named = text
                    .split("MetricName=\"")
                    .nth(1)
                    .and_then(|rest| rest.split('"').next());
                if !named.is_some_and(|name| ALL.iter().any(|m| m.name == name)) {
                    problems.push(format!(
                        "widget {index}: {named:?} is not a metric any function emits"
                    ));
                }
                continue;
            }
            let (strings, options) = match parts.split_last() {
                Some((Json::Object(_), strings)) => (strings, true),
                _ => (parts.as_slice(), false),
            };
            let strings: Option<Vec<&str>> = strings.iter().map(Json::as_str).collect();
            let Some(strings) = strings.filter(|s| s.len() >= 2 && s.len() % 2 == 0) else {
                problems.push(format!(
                    "widget {index}: cannot read the metric {entry} (options last: {options})"
                ));
                continue;
            };
            // "<Name>" stands for !Ref Name, as in the alarms; the REST API
            // is named by its Name, the !Sub the alarm repeats.
            let rest_name = serde_json::json!({"Fn::Sub": "${AWS::StackName}-rest"});
            let dimension_values: Vec<Json> = strings[2..]
                .chunks(2)
                .map(|pair| {
                    if pair[0] == "ApiName" && pair[1] == "<AWS::StackName>-rest" {
                        rest_name.clone()
                    } else {
                        resolve(pair[1])
                    }
                })
                .collect();
            let namespace_value = if strings[0] == namespace {
                serde_json::json!({"Ref": METRICS_NAMESPACE_PARAMETER})
            } else {
                Json::from(strings[0])
            };
            let metric = MetricRef {
                namespace: &namespace_value,
                name: strings[1],
                dimensions: strings[2..]
                    .chunks(2)
                    .zip(&dimension_values)
                    .map(|(pair, value)| (pair[0], value))
                    .collect(),
            };
            if let Some(problem) = metric_problem(translated, &metric) {
                problems.push(format!("widget {index}: {problem}"));
            }
        }
    }
    (read, problems)
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
