//! The functions the template deploys: every function crate deployed by
//! exactly one function, the template setting exactly the variables each
//! function declares as set by it (and the check refusing every kind of
//! drift), and every function getting past init with the defaults.

use super::*;
use cognito_auth_core::config::{Declared, Deployment};
use e2e_tests::declarations;
use e2e_tests::runtime_api::Launch;

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
        // The workspace root, or the function's own bootstrap workspace
        // (which builds into the root's target/ too).
        let expected = match e2e_tests::runtime_api::bootstrap_workspace(binary) {
            Some(_) => format!("functions/{binary}/bootstrap"),
            None => ".".to_owned(),
        };
        if code_uri != Some(expected.as_str()) {
            problems.push(format!(
                "{id}: CodeUri is {code_uri:?}; use {expected:?} (its Cargo workspace) so every function shares one target/"
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
    variables: &[&dyn Declared],
    set: &BTreeMap<String, &Value>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for variable in variables {
        let name = variable.name();
        match (variable.deployment(), set.contains_key(name)) {
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
        if !variables.iter().any(|variable| variable.name() == name) {
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
    use cognito_auth_core::config::{Optional, Var, declare};
    declare! {
        DEPLOYED: Optional = Optional;
        DEFAULTED: Optional = Optional, defaulted "why";
        AWS_REGION: Optional = Optional, set_by_lambda;
        NOT_LAMBDAS: Optional = Optional, set_by_lambda;
        // Declared as set by the template, but a name Lambda keeps for itself.
        AWS_EXECUTION_ENV: Optional = Optional;
    }
    let value = Value::String("x".into());
    let set = |names: &[&str]| -> BTreeMap<String, &Value> {
        names
            .iter()
            .map(|name| ((*name).to_owned(), &value))
            .collect()
    };
    let check = |variables: &[&Var<Optional>], names: &[&str]| {
        let variables: Vec<&dyn Declared> = variables.iter().map(|v| *v as &dyn Declared).collect();
        deployment_problems("Fn", "f", &variables, &set(names))
    };
    assert!(check(&[&DEPLOYED, &DEFAULTED, &AWS_REGION], &["DEPLOYED"]).is_empty());
    for (variables, names, expected) in [
        (vec![&DEPLOYED], vec![], "does not set it"),
        (
            vec![&DEPLOYED, &DEFAULTED],
            vec!["DEPLOYED", "DEFAULTED"],
            "left at its default",
        ),
        (vec![&AWS_REGION], vec!["AWS_REGION"], "Lambda sets itself"),
        (vec![&NOT_LAMBDAS], vec![], "which Lambda does not set"),
        (
            vec![&DEPLOYED],
            vec!["DEPLOYED", "STRAY"],
            "does not declare",
        ),
        (
            vec![&AWS_EXECUTION_ENV],
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
            .default_environment(&id)
            .unwrap_or_else(|why| panic!("{why}"))
            .into_iter()
            .collect();
        env.push(("AWS_ENDPOINT_URL".into(), CLOSED_PORT.into()));
        // Deployed only with UserMigration enabled, which the template's
        // UserMigrationNeedsLegacyTable rule accepts only with a table: the
        // one parameter such a deployment must set.
        if binary == "user-migration" {
            env.push(("LEGACY_USERS_TABLE".into(), "legacy-users".into()));
        }
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

/// Lambda's limit on all of one function's variables together, measured as
/// their JSON: `{"NAME":"value",...}`, so a `"` or `\` in a value counts
/// twice (Lambda's refusal quotes the "String measured").
const LAMBDA_ENVIRONMENT_BYTES: usize = 4096;

/// With every parameter at its longest, and every character of a free-text
/// value one that JSON escapes, each function's variables still fit in
/// Lambda's 4 KB: a deploy never fails on a value its parameter accepted.
/// A parameter reaching a function without a bound (MaxLength, AllowedValues)
/// is a problem too. The authorizer's `AUTHZ_RULES` and `JWKS` (the keys
/// handed in at deploy) are bounded together by the `DeployKeys` resource's
/// `EnvironmentBudget`, which the deploy-keys function keeps to.
#[test]
fn every_functions_environment_fits_in_lambdas_4_kb() {
    assert_no_problems("environment sizes", environment_problems(&Template::load()));
}

fn environment_problems(template: &Template) -> Vec<String> {
    let mut problems = Vec::new();
    for binary in function_crates() {
        let id = template.function_for_binary(&binary);
        let shared = match shared_with_keys(template, &id) {
            Ok(shared) => shared,
            Err(why) => {
                problems.push(format!("{id}: {why}"));
                continue;
            }
        };
        let mut bytes = "{}".len();
        for (name, value) in template.environment(&id) {
            if let Some((_, names)) = &shared
                && names.contains(&name)
            {
                // Its value is counted in the shared budget below.
                bytes += name.len() + r#""":"","#.len();
                continue;
            }
            match longest_json(template, value) {
                // "NAME":"value",
                Ok(value_bytes) => bytes += name.len() + value_bytes + r#""":"","#.len(),
                Err(why) => problems.push(format!("{id}.{name}: {why}")),
            }
        }
        if let Some((budget, _)) = shared {
            bytes += budget;
        }
        if bytes > LAMBDA_ENVIRONMENT_BYTES {
            problems.push(format!(
                "{id}: its variables can take {bytes} bytes; Lambda allows {LAMBDA_ENVIRONMENT_BYTES}: lower a MaxLength or DeployKeys' EnvironmentBudget"
            ));
        }
    }
    problems
}

/// For a function given the keys handed in at deploy (`!GetAtt <R>.Jwks` of
/// a `Custom::DeployKeys`): the budget the keys share with the rules (the
/// resource's `EnvironmentBudget`) and the two variables that share it.
/// The budget must hold the longest rules alone, so that any rule set the
/// parameter accepts still deploys (the keys are then left out).
fn shared_with_keys(
    template: &Template,
    function: &str,
) -> Result<Option<(usize, BTreeSet<String>)>, String> {
    let environment = template.environment(function);
    let Some((keys_name, resource)) = environment.iter().find_map(|(name, value)| {
        let (resource, attribute) = get_att(value)?;
        let kind = template.resource(&resource).get("Type").and_then(literal);
        (kind == Some("Custom::DeployKeys") && attribute == "Jwks")
            .then(|| (name.clone(), resource))
    }) else {
        return Ok(None);
    };
    let properties = template
        .resource(&resource)
        .get("Properties")
        .ok_or_else(|| format!("{resource} has no Properties"))?;
    let budget: usize = properties
        .get("EnvironmentBudget")
        .and_then(literal)
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| format!("{resource}.EnvironmentBudget is not a literal number"))?;
    let rules = properties
        .get("AuthzRules")
        .ok_or_else(|| format!("{resource} has no AuthzRules"))?;
    let mut names = BTreeSet::from([keys_name]);
    // A function without the rules (sign-out) gets the keys alone, within
    // the same budget.
    if let Some(rules_name) = environment
        .iter()
        .find(|(_, value)| **value == rules)
        .map(|(name, _)| name.clone())
    {
        let longest_rules = longest_json(template, rules)?;
        if longest_rules > budget {
            return Err(format!(
                "{resource}.EnvironmentBudget {budget} is less than {rules_name} can take ({longest_rules})"
            ));
        }
        names.insert(rules_name);
    }
    Ok(Some((budget, names)))
}

/// The keys handed in at deploy reach the authorizer, and they share a
/// budget that leaves the longest rules room: raising the budget past what
/// the other variables leave fails the size check, and so does a budget
/// smaller than the longest rules.
#[test]
fn the_keys_and_the_rules_share_what_the_other_variables_leave() {
    let template = Template::load();
    let authorizer = template.function_for_binary("authorizer");
    let (budget, names) = shared_with_keys(&template, &authorizer)
        .expect("readable")
        .expect("the authorizer gets the keys handed in at deploy");
    assert_eq!(
        names,
        BTreeSet::from(["AUTHZ_RULES".to_owned(), "JWKS".to_owned()])
    );
    let set_budget = |bytes: usize| {
        let mut template = Template::load();
        let (id, _) = template.single_resource("Custom::DeployKeys");
        let properties = template
            .doc
            .get_mut("Resources")
            .and_then(|r| r.get_mut(id.as_str()))
            .and_then(|r| r.get_mut("Properties"))
            .and_then(Value::as_mapping_mut)
            .expect("Properties");
        properties.insert("EnvironmentBudget".into(), bytes.to_string().into());
        environment_problems(&template)
    };
    assert!(set_budget(budget).is_empty());
    assert!(
        set_budget(budget + 200)
            .iter()
            .any(|problem| problem.contains("Lambda allows")),
        "a budget past the 4 KB is not caught"
    );
    assert!(
        set_budget(1000)
            .iter()
            .any(|problem| problem.contains("less than AUTHZ_RULES can take")),
        "a budget the longest rules do not fit is not caught"
    );
}

/// The check refuses an unbounded parameter and a set of variables past
/// 4 KB.
#[test]
fn the_environment_size_check_refuses_unbounded_and_oversized_values() {
    let mut template = Template::load();
    let parameters = template
        .doc
        .get_mut("Parameters")
        .and_then(Value::as_mapping_mut)
        .expect("Parameters");
    let rules = parameters
        .get_mut("AuthzRules")
        .and_then(Value::as_mapping_mut)
        .expect("AuthzRules");
    rules.remove("MaxLength");
    let value: Value = serde_norway::from_str("!Ref AuthzRules").expect("YAML");
    let unbounded = longest_json(&template, &value);
    assert!(
        unbounded
            .as_ref()
            .is_err_and(|why| why.contains("no MaxLength")),
        "{unbounded:?}"
    );
    let rules = template
        .doc
        .get_mut("Parameters")
        .and_then(|p| p.get_mut("AuthzRules"))
        .and_then(Value::as_mapping_mut)
        .expect("AuthzRules");
    rules.insert("MaxLength".into(), 2100.into());
    assert_eq!(longest_json(&template, &value), Ok(4200));
}

/// The most bytes `value` can take in the JSON Lambda measures (quotes
/// excluded).
fn longest_json(template: &Template, value: &Value) -> Result<usize, String> {
    let escaped = |text: &str| {
        serde_json::to_string(text)
            .map(|quoted| quoted.len() - 2)
            .unwrap_or(usize::MAX)
    };
    if let Some(text) = literal(value) {
        return Ok(escaped(text));
    }
    if ref_target(value) == Some("AWS::NoValue") {
        return Ok(0);
    }
    if let Some(branches) = if_branches(value) {
        // Either branch may be deployed: the longer counts.
        return branches
            .get(1..)
            .filter(|branches| branches.len() == 2)
            .ok_or_else(|| format!("!If takes three operands: {value:?}"))?
            .iter()
            .try_fold(0, |longest, branch| {
                Ok(longest.max(longest_json(template, branch)?))
            });
    }
    if let Some([map, _, attribute]) = find_in_map(value) {
        let entries = literal(map)
            .and_then(|map| template.doc.get("Mappings")?.get(map)?.as_mapping())
            .ok_or_else(|| format!("cannot read the mapping of {value:?}"))?;
        return entries
            .iter()
            .map(|(_, entry)| {
                entry
                    .get(attribute)
                    .and_then(literal)
                    .map(escaped)
                    .ok_or_else(|| format!("a {attribute:?} of {value:?} is no string"))
            })
            .try_fold(0, |longest, bytes| Ok(longest.max(bytes?)));
    }
    if let Some((resource, attribute)) = get_att(value)
        && template.resource(&resource).get("Type").and_then(literal) == Some("AWS::KMS::Key")
        && attribute == "Arn"
    {
        // arn:<partition>:kms:<region>:<account>:key/<key id>: a partition
        // of at most 10 (aws-us-gov), a region of at most 20, 12 digits and
        // a key id of 36 (a UUID, or mrk- and 32 hex digits): 93, rounded
        // up. Nothing JSON escapes.
        return Ok(128);
    }
    let target = ref_target(value).ok_or_else(|| format!("cannot bound {value:?}"))?;
    if let Some(parameter) = template.doc.get("Parameters").and_then(|p| p.get(target)) {
        if let Some(values) = parameter.get("AllowedValues").and_then(Value::as_sequence) {
            return Ok(values
                .iter()
                .map(|v| match v {
                    Value::Number(n) => n.to_string().len(),
                    other => literal(other).map_or(usize::MAX, escaped),
                })
                .max()
                .unwrap_or(0));
        }
        if parameter.get("Type").and_then(literal) == Some("Number") {
            // A double's longest decimal form.
            return Ok(24);
        }
        let max = parameter
            .get("MaxLength")
            .and_then(Value::as_u64)
            .ok_or_else(|| format!("parameter {target} has no MaxLength"))?;
        // Any character may be one JSON escapes in two bytes (`"`, `\`).
        return usize::try_from(max * 2).map_err(|err| err.to_string());
    }
    // Identifiers of the stack's resources, at their documented maximums;
    // none holds a character JSON escapes.
    match template.resource(target).get("Type").and_then(literal) {
        Some("AWS::Cognito::UserPool") => Ok(55),
        Some("AWS::Cognito::UserPoolClient") => Ok(128),
        Some("AWS::DynamoDB::Table") => Ok(255),
        other => Err(format!(
            "no known maximum length for a !Ref of {target} ({other:?})"
        )),
    }
}
