//! `template.yaml` checked against the code it deploys.
//!
//! cfn-lint and `sam validate --lint` check the template against
//! CloudFormation. These tests check it against this workspace, where it
//! drifts silently: a crate added but never deployed, a variable a function
//! reads but the template never sets, a variable still set that nothing reads
//! any more, a trigger without its invoke permission.
//!
//! - Every function crate is deployed by exactly one function, built by
//!   cargo-lambda from the workspace root (so `sam build` compiles the shared
//!   dependencies once).
//! - The template sets exactly the variables each function declares as set
//!   by the template ([`Deployment::Template`]): not one it leaves at its
//!   default on purpose, nor one Lambda sets, nor one nothing declares.
//! - The user pool's triggers point at the right functions, each with an invoke
//!   permission for Cognito scoped to the pool, and answer within 5 s.
//! - Both APIs hand the authorizer the token from the header it reads, and
//!   the HTTP API's cache is keyed on the route too (a simple response
//!   answers for one route only).
//! - The default `AUTHZ_RULES` name routes the example APIs declare.
//! - With every parameter at its default, every function gets past init: a
//!   default deployment does not fail its first cold start.
//!
//! What a function reads is its declarations (`e2e_tests::declarations`,
//! from each crate's `config::VARIABLES`): its code reads the environment
//! only through them (`config::Env` refuses an undeclared name, and clippy's
//! `disallowed_methods` refuses `std::env::var` in the deployed crates), and
//! `tests/configuration.rs` checks that each function's configuration reads
//! exactly what it declares, so a variable nothing reads any more cannot
//! stay declared, nor set here.
//!
//! YAML is parsed with `serde_norway`, the maintained fork of `serde_yaml`
//! (archived upstream; `serde_yml` is flagged unsound and unmaintained by
//! RustSec). It keeps CloudFormation's short-form tags (`!Ref`, `!GetAtt`,
//! `!If`, ...) as tagged values, so the template is read exactly as written.

use std::collections::{BTreeMap, BTreeSet};

use cognito_auth_core::config::{Deployment, Variable};
use e2e_tests::declarations;
use e2e_tests::runtime_api::{Launch, workspace_root};
use serde_norway::Value;

/// The user pool's `LambdaConfig` keys and the crates behind them.
const TRIGGERS: &[(&str, &str)] = &[
    ("PreSignUp", "pre-sign-up"),
    ("PostConfirmation", "post-confirmation"),
    ("CustomMessage", "custom-message"),
    // A mapping, {LambdaArn, LambdaVersion}: the version chooses the event
    // shape (V1_0 on the Lite tier, V2_0 or V3_0 on Essentials and Plus).
    ("PreTokenGenerationConfig", "pre-token-generation"),
];

/// Cognito waits this long for a trigger before it retries.
const COGNITO_TRIGGER_DEADLINE_S: u64 = 5;

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[test]
fn every_function_crate_is_deployed_by_exactly_one_function() {
    let template = Template::load();
    let crates = function_crates();
    assert!(!crates.is_empty(), "no crates under functions/");
    let mut problems = Vec::new();

    let mut deployed: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (id, resource) in template.functions() {
        let metadata = resource.get("Metadata");
        let method = metadata
            .and_then(|m| m.get("BuildMethod"))
            .and_then(literal);
        if method != Some("rust-cargolambda") {
            // Not built from this workspace (the inline example backend).
            continue;
        }
        let binary = metadata
            .and_then(|m| m.get("BuildProperties"))
            .and_then(|p| p.get("Binary"))
            .and_then(literal);
        let Some(binary) = binary else {
            problems.push(format!("{id}: Metadata.BuildProperties.Binary is missing"));
            continue;
        };
        deployed
            .entry(binary.to_owned())
            .or_default()
            .push(id.to_owned());
        let code_uri = template.function_property(id, "CodeUri").and_then(literal);
        if code_uri != Some(".") {
            problems.push(format!(
                "{id}: CodeUri is {code_uri:?}; use \".\" (the workspace root) so every function shares one target/"
            ));
        }
        for (property, expected) in [("Runtime", "provided.al2023"), ("Handler", "bootstrap")] {
            let actual = template.function_property(id, property).and_then(literal);
            if actual != Some(expected) {
                problems.push(format!(
                    "{id}: {property} is {actual:?}, expected {expected:?}"
                ));
            }
        }
        let architectures = template
            .function_property(id, "Architectures")
            .and_then(Value::as_sequence)
            .map(|list| list.iter().filter_map(literal).collect::<Vec<_>>());
        if architectures != Some(vec!["arm64"]) {
            problems.push(format!(
                "{id}: Architectures is {architectures:?}, expected [arm64]"
            ));
        }
    }
    for name in &crates {
        match deployed.get(name).map(Vec::as_slice) {
            None | Some([]) => problems.push(format!(
                "functions/{name} has no AWS::Serverless::Function with Metadata.BuildProperties.Binary: {name}"
            )),
            Some([_]) => {}
            Some(many) => problems.push(format!("functions/{name} is deployed by several functions: {many:?}")),
        }
    }
    for (binary, ids) in &deployed {
        if !crates.contains(binary) {
            problems.push(format!(
                "{ids:?} build binary {binary:?}, which no crate under functions/ provides"
            ));
        }
    }
    assert_no_problems("function resources", problems);
}

#[test]
fn every_function_crate_declares_its_variables() {
    let declared: BTreeSet<String> = declarations::FUNCTIONS
        .iter()
        .map(|(binary, _)| (*binary).to_owned())
        .collect();
    assert_eq!(
        declared,
        function_crates(),
        "e2e_tests::declarations::FUNCTIONS must list every crate under functions/"
    );
}

#[test]
fn the_template_sets_exactly_what_each_function_declares_as_deployed() {
    let template = Template::load();
    let mut problems = Vec::new();
    for (function, _) in declarations::FUNCTIONS {
        let id = template.function_for_binary(function);
        let set = template.environment(&id);
        let variables = declarations::variables(function);
        problems.extend(deployment_problems(&id, function, &variables, &set));
    }
    assert_no_problems("variables", problems);
}

/// The check behind the test above, on any declarations and environment,
/// so that its own tests can show it refusing each kind of drift.
fn deployment_problems(
    id: &str,
    function: &str,
    variables: &[&Variable],
    set: &BTreeMap<String, &Value>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for variable in variables {
        let name = variable.name;
        match (variable.deployment, set.contains_key(name)) {
            (Deployment::Template, false) => problems.push(format!(
                "{function} reads {name}, declared as set by the template, but {id} does not set it: \
                 wire it in template.yaml, or declare why it is left at its default"
            )),
            (Deployment::Default(why), true) => problems.push(format!(
                "{id} sets {name}, which {function} declares as left at its default ({why}): drop one"
            )),
            (Deployment::Lambda, true) => {
                problems.push(format!("{id} sets {name}, which Lambda sets itself"))
            }
            (Deployment::Lambda, false) if !is_provided_by_lambda(name) => problems.push(format!(
                "{function} declares {name} as set by Lambda, which Lambda does not set"
            )),
            _ => {}
        }
    }
    for name in set.keys() {
        if !variables.iter().any(|variable| variable.name == name) {
            problems.push(format!(
                "{id} sets {name}, which {function} does not declare (so never reads)"
            ));
        }
        if is_provided_by_lambda(name) {
            problems.push(format!("{id} sets {name}, a name Lambda reserves"));
        }
    }
    problems
}

/// The check refuses each kind of drift: a test that found nothing would
/// pass on any template.
#[test]
fn the_deployment_check_refuses_every_kind_of_drift() {
    use cognito_auth_core::config::Kind;
    const DEPLOYED: Variable = Variable::new("DEPLOYED", Kind::Optional, "");
    const DEFAULTED: Variable = Variable::new("DEFAULTED", Kind::Optional, "").defaulted("why");
    const REGION: Variable = Variable::new("AWS_REGION", Kind::Optional, "").set_by_lambda();
    const INVENTED: Variable = Variable::new("NOT_LAMBDAS", Kind::Optional, "").set_by_lambda();
    // Declared as set by the template, but a name Lambda keeps for itself.
    const RESERVED: Variable = Variable::new("AWS_EXECUTION_ENV", Kind::Optional, "");
    let value = Value::String("x".into());
    let set = |names: &[&str]| -> BTreeMap<String, &Value> {
        names
            .iter()
            .map(|name| ((*name).to_owned(), &value))
            .collect()
    };
    let check = |variables: &[&Variable], names: &[&str]| {
        deployment_problems("Fn", "f", variables, &set(names))
    };
    assert!(check(&[&DEPLOYED, &DEFAULTED, &REGION], &["DEPLOYED"]).is_empty());
    for (variables, names, expected) in [
        (vec![&DEPLOYED], vec![], "does not set it"),
        (
            vec![&DEPLOYED, &DEFAULTED],
            vec!["DEPLOYED", "DEFAULTED"],
            "left at its default",
        ),
        (vec![&REGION], vec!["AWS_REGION"], "Lambda sets itself"),
        (vec![&INVENTED], vec![], "which Lambda does not set"),
        (
            vec![&DEPLOYED],
            vec!["DEPLOYED", "STRAY"],
            "does not declare",
        ),
        (
            vec![&RESERVED],
            vec!["AWS_EXECUTION_ENV"],
            "a name Lambda reserves",
        ),
    ] {
        let problems = check(&variables, &names);
        assert!(
            problems.iter().any(|problem| problem.contains(expected)),
            "{names:?} should be refused with {expected:?}: {problems:?}"
        );
    }
}

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

    let wired: BTreeMap<String, &Value> = lambda_config
        .iter()
        .filter_map(|(key, value)| Some((key.as_str()?.to_owned(), value)))
        .collect();
    for key in wired.keys() {
        if !TRIGGERS.iter().any(|(trigger, _)| trigger == key) {
            problems.push(format!(
                "LambdaConfig.{key} is wired but not in TRIGGERS: add it there"
            ));
        }
    }
    for (trigger, binary) in TRIGGERS {
        let function_id = template.function_for_binary(binary);
        let arn = wired
            .get(*trigger)
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
                    get_att(arn)
                }
                None => get_att(value),
            });
        match arn {
            Some(Some((target, attribute))) if target == function_id && attribute == "Arn" => {}
            other => problems.push(format!(
                "LambdaConfig.{trigger} should be !GetAtt {function_id}.Arn, found {other:?}"
            )),
        }

        let permitted =
            template
                .resources_of_type("AWS::Lambda::Permission")
                .any(|(_, permission)| {
                    let properties = permission.get("Properties");
                    let field = |name: &str| properties.and_then(|p| p.get(name));
                    let function = field("FunctionName");
                    let names_function = function
                        .and_then(get_att)
                        .is_some_and(|(target, _)| target == function_id)
                        || function.and_then(ref_target) == Some(function_id.as_str());
                    names_function
                        && field("Action").and_then(literal) == Some("lambda:InvokeFunction")
                        && field("Principal").and_then(literal) == Some("cognito-idp.amazonaws.com")
                        && field("SourceArn").and_then(get_att)
                            == Some((pool_id.clone(), "Arn".to_owned()))
                        && field("SourceAccount").and_then(ref_target) == Some("AWS::AccountId")
                });
        if !permitted {
            problems.push(format!(
                "{function_id} has no AWS::Lambda::Permission for cognito-idp.amazonaws.com with \
                 SourceArn !GetAtt {pool_id}.Arn and SourceAccount !Ref AWS::AccountId"
            ));
        }

        let timeout = template
            .function_property(&function_id, "Timeout")
            .and_then(Value::as_u64);
        if timeout.is_none_or(|seconds| seconds > COGNITO_TRIGGER_DEADLINE_S) {
            problems.push(format!(
                "{function_id} has Timeout {timeout:?}; Cognito gives a trigger {COGNITO_TRIGGER_DEADLINE_S} s"
            ));
        }
    }
    assert_no_problems("user pool triggers", problems);
}

#[test]
fn both_apis_send_the_token_in_the_authorizers_header_and_cache_safely() {
    let template = Template::load();
    let authorizer = template.function_for_binary("authorizer");
    let header = template
        .environment(&authorizer)
        .get("TOKEN_HEADER")
        .and_then(|value| literal(value))
        .map(str::to_owned)
        .expect("the authorizer's TOKEN_HEADER is set to a literal header name");
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for (id, kind, name, config) in template.authorizers_of(&authorizer) {
        seen.insert(kind);
        let identity = config.get("Identity");
        let field = |name: &str| identity.and_then(|i| i.get(name));
        let cached = field("ReauthorizeEvery").and_then(Value::as_u64) != Some(0);
        let context: Vec<&str> = field("Context")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
            .filter_map(literal)
            .collect();
        if kind == "AWS::Serverless::Api" {
            // REST: a REQUEST authorizer reading TOKEN_HEADER, cached per
            // verb and resource, so that AUTHZ_POLICY_SCOPE=route answers
            // are never reused for another resource.
            let payload = config.get("FunctionPayloadType").and_then(literal);
            let sent: Vec<&str> = field("Headers")
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
                .filter_map(literal)
                .collect();
            if payload != Some("REQUEST")
                || !sent.iter().any(|sent| sent.eq_ignore_ascii_case(&header))
            {
                problems.push(format!("{id} authorizer {name} is {payload:?} reading {sent:?}; want REQUEST with TOKEN_HEADER {header:?}"));
            }
            if cached && !(context.contains(&"httpMethod") && context.contains(&"resourcePath")) {
                problems.push(format!(
                    "{id} authorizer {name} caches answers but its Identity.Context lacks \
                     httpMethod and resourcePath: a route-scoped answer would be reused for \
                     another resource"
                ));
            }
            continue;
        }
        // HTTP API: the authorizer takes the token from identitySource[0],
        // which SAM fills from Headers first.
        let headers: Vec<&str> = field("Headers")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
            .filter_map(literal)
            .collect();
        if !headers
            .first()
            .is_some_and(|first| first.eq_ignore_ascii_case(&header))
        {
            problems.push(format!("{id} authorizer {name}: Identity.Headers is {headers:?}; the first must be TOKEN_HEADER {header:?}"));
        }
        // A simple response answers for one route: a cache keyed on the
        // token alone would reuse it for every route.
        if cached && !context.contains(&"routeKey") {
            problems.push(format!(
                "{id} authorizer {name} caches answers but its Identity.Context lacks routeKey: \
                 one route's answer would be reused for another"
            ));
        }
    }
    assert_eq!(
        seen,
        BTreeSet::from(["AWS::Serverless::Api", "AWS::Serverless::HttpApi"]),
        "the authorizer should guard a REST API and an HTTP API"
    );
    assert_no_problems("API authorizers", problems);
}

/// Each function started with the environment a default deployment gives it
/// (parameters at their defaults, resources as realistic placeholders) must
/// get past init and answer an invocation. Nothing here leaves 127.0.0.1:
/// AWS_ENDPOINT_URL and JWKS_URL point at a closed local port.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_defaults_get_every_function_past_init() {
    const CLOSED_PORT: &str = "http://127.0.0.1:9";
    let template = Template::load();
    for binary in function_crates() {
        let id = template.function_for_binary(&binary);
        let mut env: Vec<(String, String)> = template
            .environment(&id)
            .iter()
            .map(|(name, value)| {
                let resolved = template
                    .default_value(value)
                    .unwrap_or_else(|why| panic!("{id}.{name}: {why}"));
                (name.clone(), resolved)
            })
            .collect();
        env.push(("AWS_ENDPOINT_URL".into(), CLOSED_PORT.into()));
        let event = if binary == "authorizer" {
            env.push((
                "JWKS_URL".into(),
                format!("{CLOSED_PORT}/{{userPoolId}}/jwks.json"),
            ));
            serde_json::json!({
                "type": "TOKEN",
                "authorizationToken": "Bearer not-a-jwt",
                "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/v1/GET/me",
            })
        } else {
            // A trigger source no function handles: it must be answered
            // without any call out.
            serde_json::json!({
                "version": "1",
                "region": "us-east-1",
                "userPoolId": PLACEHOLDER_POOL_ID,
                "userName": "template-test",
                "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": PLACEHOLDER_CLIENT_ID},
                "triggerSource": "TemplateTest_Unknown",
                "request": {"userAttributes": {}},
                "response": {},
            })
        };
        let function = Launch::new(&binary).envs(env).start().await;
        tokio::select! {
            _ = function.invoke(event) => {}
            line = function.wait_for_log(|line| line.contains("init failed")) => {
                panic!("{binary} fails to start with the template's defaults: {line}")
            }
        }
        function.stop().await;
    }
}

#[test]
fn default_authz_rules_name_routes_the_apis_declare() {
    let template = Template::load();
    let authorizer = template.function_for_binary("authorizer");
    let value = template
        .environment(&authorizer)
        .get("AUTHZ_RULES")
        .copied()
        .expect("AUTHZ_RULES is set");
    let rules = template
        .default_value(value)
        .expect("AUTHZ_RULES resolves to a default");
    let rules: serde_json::Value =
        serde_json::from_str(&rules).expect("the default AUTHZ_RULES is JSON");
    let rules = rules.as_array().expect("AUTHZ_RULES is a JSON array");
    assert!(!rules.is_empty(), "the default AUTHZ_RULES opens no route");

    // Routes declared through function events, with the API they belong to.
    let mut routes: BTreeMap<&str, BTreeSet<(String, String)>> = BTreeMap::new();
    for (_, function) in template.functions() {
        let events = function
            .get("Properties")
            .and_then(|p| p.get("Events"))
            .and_then(Value::as_mapping);
        for (_, event) in events.into_iter().flatten() {
            let kind = event.get("Type").and_then(literal).unwrap_or("");
            let properties = event.get("Properties");
            let field = |name: &str| {
                properties
                    .and_then(|p| p.get(name))
                    .and_then(literal)
                    .map(str::to_owned)
            };
            let api = match kind {
                "Api" => "REST",
                "HttpApi" => "HTTP",
                _ => continue,
            };
            if let (Some(path), Some(method)) = (field("Path"), field("Method")) {
                let method = method.to_ascii_uppercase();
                routes.entry(api).or_default().insert((method, path));
            }
        }
    }
    for rule in rules {
        let path = rule
            .get("path")
            .and_then(|p| p.as_str())
            .unwrap_or_else(|| panic!("rule without a path: {rule}"));
        if path == "$connect" {
            // The WebSocket API's route, guarded by this authorizer through
            // the query parameter the function reads.
            let query = template
                .environment(&authorizer)
                .get("TOKEN_QUERY_PARAMETER")
                .and_then(|value| literal(value))
                .expect("a $connect rule needs TOKEN_QUERY_PARAMETER set to a literal");
            let route =
                template
                    .resources_of_type("AWS::ApiGatewayV2::Route")
                    .find(|(_, route)| {
                        route
                            .get("Properties")
                            .and_then(|p| p.get("RouteKey"))
                            .and_then(literal)
                            == Some("$connect")
                    });
            assert!(
                route.is_some(),
                "the default rule {rule} names no WebSocket $connect route"
            );
            let sources: Vec<&str> = template
                .resources_of_type("AWS::ApiGatewayV2::Authorizer")
                .filter_map(|(_, authorizer)| {
                    authorizer
                        .get("Properties")?
                        .get("IdentitySource")?
                        .as_sequence()
                })
                .flatten()
                .filter_map(literal)
                .collect();
            assert_eq!(
                sources,
                [format!("route.request.querystring.{query}")],
                "the WebSocket authorizer must read the token where TOKEN_QUERY_PARAMETER says"
            );
            continue;
        }
        let method = rule
            .get("method")
            .and_then(|m| m.as_str())
            .unwrap_or("*")
            .to_ascii_uppercase();
        for api in ["REST", "HTTP"] {
            let declared = routes.get(api).is_some_and(|routes| {
                routes.iter().any(|(verb, route)| {
                    route == path && (method == "*" || method == "ANY" || *verb == method)
                })
            });
            assert!(
                declared,
                "the default rule {rule} names no route of the {api} API: {:?}",
                routes.get(api)
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Operations: alarms, dashboard, tracing
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// The workspace
// ---------------------------------------------------------------------------

/// The function crates: every folder under `functions/` with a Cargo.toml.
/// Each builds one binary named after its folder.
fn function_crates() -> BTreeSet<String> {
    let dir = workspace_root().join("functions");
    std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("read {}: {err}", dir.display()))
        .filter_map(Result::ok)
        .filter(|entry| entry.path().join("Cargo.toml").is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect()
}

/// Names Lambda sets itself and reserves: a template cannot set them.
fn is_provided_by_lambda(variable: &str) -> bool {
    variable.starts_with("AWS_LAMBDA_")
        || variable.starts_with('_')
        || matches!(
            variable,
            "AWS_REGION"
                | "AWS_DEFAULT_REGION"
                | "AWS_EXECUTION_ENV"
                | "AWS_ACCESS_KEY"
                | "AWS_ACCESS_KEY_ID"
                | "AWS_SECRET_ACCESS_KEY"
                | "AWS_SESSION_TOKEN"
                | "AWS_XRAY_CONTEXT_MISSING"
                | "AWS_XRAY_DAEMON_ADDRESS"
                | "LAMBDA_TASK_ROOT"
                | "LAMBDA_RUNTIME_DIR"
                | "TZ"
        )
}

fn assert_no_problems(what: &str, problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{what}: {} problem(s)\n  - {}",
        problems.len(),
        problems.join("\n  - ")
    );
}

// ---------------------------------------------------------------------------
// The template
// ---------------------------------------------------------------------------

const PLACEHOLDER_POOL_ID: &str = "us-east-1_Example01";
const PLACEHOLDER_CLIENT_ID: &str = "1example23456789abcdefghij";

struct Template {
    doc: Value,
}

impl Template {
    fn load() -> Template {
        let path = workspace_root().join("template.yaml");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|err| panic!("read {}: {err}", path.display()));
        let doc = serde_norway::from_str(&text)
            .unwrap_or_else(|err| panic!("parse {}: {err}", path.display()));
        Template { doc }
    }

    fn resources(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.doc
            .get("Resources")
            .and_then(Value::as_mapping)
            .expect("template.yaml has Resources")
            .iter()
            .filter_map(|(id, resource)| Some((id.as_str()?, resource)))
    }

    fn resources_of_type<'a>(
        &'a self,
        kind: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a Value)> {
        self.resources()
            .filter(move |(_, resource)| resource.get("Type").and_then(literal) == Some(kind))
    }

    fn single_resource<'a>(&'a self, kind: &'a str) -> (String, &'a Value) {
        let found: Vec<_> = self.resources_of_type(kind).collect();
        assert_eq!(found.len(), 1, "expected exactly one {kind}");
        (found[0].0.to_owned(), found[0].1)
    }

    fn resource(&self, id: &str) -> &Value {
        self.resources()
            .find(|(name, _)| *name == id)
            .map(|(_, resource)| resource)
            .unwrap_or_else(|| panic!("no resource {id}"))
    }

    fn functions(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.resources_of_type("AWS::Serverless::Function")
    }

    /// The logical id of the function that builds `binary`.
    fn function_for_binary(&self, binary: &str) -> String {
        self.functions()
            .find(|(_, resource)| {
                resource
                    .get("Metadata")
                    .and_then(|m| m.get("BuildProperties"))
                    .and_then(|p| p.get("Binary"))
                    .and_then(literal)
                    == Some(binary)
            })
            .map(|(id, _)| id.to_owned())
            .unwrap_or_else(|| panic!("no function builds the binary {binary}"))
    }

    /// Every API authorizer that runs `function`: (API id, API type,
    /// authorizer name, its configuration).
    fn authorizers_of<'a>(
        &'a self,
        function: &'a str,
    ) -> Vec<(&'a str, &'static str, &'a str, &'a Value)> {
        let mut found = Vec::new();
        for kind in ["AWS::Serverless::Api", "AWS::Serverless::HttpApi"] {
            for (id, api) in self.resources_of_type(kind) {
                let authorizers = api
                    .get("Properties")
                    .and_then(|p| p.get("Auth"))
                    .and_then(|a| a.get("Authorizers"))
                    .and_then(Value::as_mapping);
                for (name, config) in authorizers.into_iter().flatten() {
                    let runs_function = config
                        .get("FunctionArn")
                        .and_then(get_att)
                        .is_some_and(|(target, _)| target == function);
                    if let (true, Some(name)) = (runs_function, name.as_str()) {
                        found.push((id, kind, name, config));
                    }
                }
            }
        }
        found
    }

    /// A function's property as deployed: its own, else `Globals.Function`'s.
    fn function_property(&self, id: &str, property: &str) -> Option<&Value> {
        self.resource(id)
            .get("Properties")
            .and_then(|p| p.get(property))
            .or_else(|| self.globals().and_then(|g| g.get(property)))
    }

    fn globals(&self) -> Option<&Value> {
        self.doc.get("Globals").and_then(|g| g.get("Function"))
    }

    /// A function's environment as deployed: `Globals.Function`'s variables
    /// overlaid with its own.
    fn environment(&self, id: &str) -> BTreeMap<String, &Value> {
        fn variables(scope: Option<&Value>) -> Vec<(String, &Value)> {
            scope
                .and_then(|s| s.get("Environment"))
                .and_then(|e| e.get("Variables"))
                .and_then(Value::as_mapping)
                .into_iter()
                .flatten()
                .filter_map(|(name, value)| Some((name.as_str()?.to_owned(), value)))
                .collect()
        }
        let mut environment: BTreeMap<String, &Value> =
            variables(self.globals()).into_iter().collect();
        environment.extend(variables(self.resource(id).get("Properties")));
        environment
    }

    /// The value a default deployment gives: a literal as is, `!Ref` of a
    /// parameter as its default, `!Ref` of a resource as a placeholder of the
    /// right shape.
    fn default_value(&self, value: &Value) -> Result<String, String> {
        match value {
            Value::String(text) => return Ok(text.clone()),
            Value::Number(number) => return Ok(number.to_string()),
            Value::Bool(flag) => return Ok(flag.to_string()),
            _ => {}
        }
        let target = ref_target(value)
            .ok_or_else(|| format!("cannot resolve {value:?}; extend default_value"))?;
        if let Some(parameter) = self.doc.get("Parameters").and_then(|p| p.get(target)) {
            return match parameter.get("Default") {
                Some(Value::String(text)) => Ok(text.clone()),
                Some(Value::Number(number)) => Ok(number.to_string()),
                other => Err(format!(
                    "parameter {target} has no usable default: {other:?}"
                )),
            };
        }
        let kind = self.resource(target).get("Type").and_then(literal);
        match kind {
            Some("AWS::Cognito::UserPool") => Ok(PLACEHOLDER_POOL_ID.to_owned()),
            Some("AWS::Cognito::UserPoolClient") => Ok(PLACEHOLDER_CLIENT_ID.to_owned()),
            Some("AWS::DynamoDB::Table") => Ok("stack-UsersTable-1EXAMPLE2ABC".to_owned()),
            other => Err(format!("no placeholder for a !Ref of {target} ({other:?})")),
        }
    }
}

/// A plain string. (`Value::as_str` would also read through a tag, taking
/// `!Ref Name` for the literal "Name".)
fn literal(value: &Value) -> Option<&str> {
    match value {
        Value::String(text) => Some(text),
        _ => None,
    }
}

/// The operands of `!If [condition, then, else]` or `{Fn::If: [...]}`.
fn if_branches(value: &Value) -> Option<&Vec<Value>> {
    match value {
        Value::Tagged(tagged) if tagged.tag == "If" => tagged.value.as_sequence(),
        Value::Mapping(map) if map.len() == 1 => map.get("Fn::If")?.as_sequence(),
        _ => None,
    }
}

/// The target of `!Ref X` or `{Ref: X}`.
fn ref_target(value: &Value) -> Option<&str> {
    match value {
        Value::Tagged(tagged) if tagged.tag == "Ref" => tagged.value.as_str(),
        Value::Mapping(map) if map.len() == 1 => map.get("Ref").and_then(literal),
        _ => None,
    }
}

/// `(resource, attribute)` of `!GetAtt R.A`, `!GetAtt [R, A]` or
/// `{Fn::GetAtt: [R, A]}`.
fn get_att(value: &Value) -> Option<(String, String)> {
    let inner = match value {
        Value::Tagged(tagged) if tagged.tag == "GetAtt" => &tagged.value,
        Value::Mapping(map) if map.len() == 1 => map.get("Fn::GetAtt")?,
        _ => return None,
    };
    match inner {
        Value::String(text) => {
            let (resource, attribute) = text.split_once('.')?;
            Some((resource.to_owned(), attribute.to_owned()))
        }
        Value::Sequence(parts) => match parts.as_slice() {
            [resource, attribute] => Some((
                resource.as_str()?.to_owned(),
                attribute.as_str()?.to_owned(),
            )),
            _ => None,
        },
        _ => None,
    }
}
