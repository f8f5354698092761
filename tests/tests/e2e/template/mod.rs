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
//!   by the template ([`Deployment::Template`](cognito_auth_core::config::Deployment::Template)): not one it leaves at its
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
//!
//! Some checks read the template as CloudFormation receives it: translated by
//! SAM's own translator (`scripts/translate-template.py`, the translator of
//! `sam validate` and of the AWS::Serverless transform), so that what SAM
//! generates (stages, versions, aliases, CodeDeploy groups) is covered too.
//! The translation runs offline; when it cannot run, those tests fail and
//! say why, they never skip.
//!
//! One test target, one module per concern; this file holds the workspace's
//! function crates and the template as read (`Template` and its helpers):
//!
//! - `functions`: the function resources, their variables (and their size
//!   within Lambda's 4 KB), and a default deployment getting past init;
//! - `triggers`: the user pool's triggers and their permissions;
//! - `apis`: the APIs' authorizers and the routes `AUTHZ_RULES` names;
//! - `operations`: alarms, the dashboard and tracing;
//! - `translated`: the SAM translation, and what a first deploy needs of it
//!   (one stage per API, data kept but not after a failed create, aliases);
//! - `revocation`: the revocation store, its bound, who may read and write
//!   it, the recorder's rule and where its failures go.

use std::collections::{BTreeMap, BTreeSet};

use e2e_tests::runtime_api::workspace_root;
use serde_norway::Value;

mod apis;
mod functions;
mod operations;
mod revocation;
mod translated;
mod triggers;

/// The user pool's `LambdaConfig` keys and the crates behind them.
const TRIGGERS: &[(&str, &str)] = &[
    ("PreSignUp", "pre-sign-up"),
    ("PostConfirmation", "post-confirmation"),
    ("CustomMessage", "custom-message"),
    // Only with UserMigration enabled (an `!If` on UserMigrationEnabled).
    ("UserMigration", "user-migration"),
    // A mapping, {LambdaArn, LambdaVersion}: the version chooses the event
    // shape (V1_0 on the Lite tier, V2_0 or V3_0 on Essentials and Plus).
    ("PreTokenGenerationConfig", "pre-token-generation"),
    // Wired only when configured: `!If [condition, !Ref <alias>, !Ref
    // AWS::NoValue]` (see triggers.rs).
    ("PreAuthentication", "pre-authentication"),
    ("PostAuthentication", "post-authentication"),
    // Only with CustomSenders enabled: `!If [CustomSendersEnabled,
    // {LambdaArn, LambdaVersion: V1_0}, !Ref AWS::NoValue]`, one function
    // for both; Cognito invokes them asynchronously.
    ("CustomEmailSender", "custom-sender"),
    ("CustomSMSSender", "custom-sender"),
];

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
/// What `!GetAtt <an AWS::KMS::Key>.Arn` resolves to in a default deployment.
const PLACEHOLDER_KMS_KEY_ARN: &str =
    "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
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
                let alias = format!("{function}.Alias");
                for (name, config) in authorizers.into_iter().flatten() {
                    // Its `live` alias (AutoPublishAlias), which CodeDeploy
                    // moves and rolls back.
                    let runs_function =
                        config.get("FunctionArn").and_then(ref_target) == Some(alias.as_str());
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

    /// Whether a condition of `Conditions` holds with every parameter at
    /// its default (`!Equals` of parameters and literals, `!Not`, `!And`,
    /// `!Or`, `!Condition`).
    fn condition_holds(&self, name: &str) -> Result<bool, String> {
        let condition = self
            .doc
            .get("Conditions")
            .and_then(|c| c.get(name))
            .ok_or_else(|| format!("no condition {name}"))?;
        self.evaluate_condition(condition)
    }

    fn evaluate_condition(&self, condition: &Value) -> Result<bool, String> {
        let Value::Tagged(tagged) = condition else {
            return Err(format!(
                "cannot evaluate {condition:?}; extend evaluate_condition"
            ));
        };
        let operands = || {
            tagged
                .value
                .as_sequence()
                .ok_or_else(|| format!("!{} takes a list: {condition:?}", tagged.tag))
        };
        match tagged.tag.to_string().trim_start_matches('!') {
            "Equals" => match operands()?.as_slice() {
                [left, right] => Ok(self.default_value(left)? == self.default_value(right)?),
                _ => Err(format!("!Equals takes two operands: {condition:?}")),
            },
            "Not" => match operands()?.as_slice() {
                [inner] => Ok(!self.evaluate_condition(inner)?),
                _ => Err(format!("!Not takes one operand: {condition:?}")),
            },
            "And" => operands()?
                .iter()
                .try_fold(true, |all, c| Ok(all && self.evaluate_condition(c)?)),
            "Or" => operands()?
                .iter()
                .try_fold(false, |any, c| Ok(any || self.evaluate_condition(c)?)),
            "Condition" => {
                let name = literal(&tagged.value).ok_or("!Condition takes a name")?;
                self.condition_holds(name)
            }
            other => Err(format!(
                "cannot evaluate !{other}; extend evaluate_condition"
            )),
        }
    }

    /// What `value` is in a default deployment once every `!If` is decided:
    /// `None` for `!Ref AWS::NoValue` (the property or variable is unset).
    fn default_choice<'a>(&self, value: &'a Value) -> Result<Option<&'a Value>, String> {
        if ref_target(value) == Some("AWS::NoValue") {
            return Ok(None);
        }
        match if_branches(value).map(Vec::as_slice) {
            Some([condition, then, otherwise]) => {
                let name = literal(condition).ok_or("!If names its condition")?;
                let chosen = if self.condition_holds(name)? {
                    then
                } else {
                    otherwise
                };
                self.default_choice(chosen)
            }
            Some(_) => Err(format!("!If takes three operands: {value:?}")),
            None => Ok(Some(value)),
        }
    }

    /// A function's variables in a default deployment, resolved: those a
    /// default deployment leaves unset (`!If` to `AWS::NoValue`) left out.
    fn default_environment(&self, id: &str) -> Result<BTreeMap<String, String>, String> {
        let mut resolved = BTreeMap::new();
        for (name, value) in self.environment(id) {
            if let Some(value) = self.default_choice(value)? {
                let value = self
                    .default_value(value)
                    .map_err(|why| format!("{id}.{name}: {why}"))?;
                resolved.insert(name, value);
            }
        }
        Ok(resolved)
    }

    /// The value a default deployment gives: a literal as is, `!Ref` of a
    /// parameter as its default, `!Ref` of a resource as a placeholder of the
    /// right shape, `!If` as its branch with the defaults.
    fn default_value(&self, value: &Value) -> Result<String, String> {
        if if_branches(value).is_some() {
            return match self.default_choice(value)? {
                Some(chosen) => self.default_value(chosen),
                None => Err(format!("{value:?} is unset by default")),
            };
        }
        match value {
            Value::String(text) => return Ok(text.clone()),
            Value::Number(number) => return Ok(number.to_string()),
            Value::Bool(flag) => return Ok(flag.to_string()),
            _ => {}
        }
        if let Some([map, key, attribute]) = find_in_map(value) {
            let key = self.default_value(key)?;
            let (Some(map), Some(attribute)) = (literal(map), literal(attribute)) else {
                return Err(format!("cannot resolve {value:?}; extend default_value"));
            };
            return self
                .doc
                .get("Mappings")
                .and_then(|m| m.get(map))
                .and_then(|m| m.get(key.as_str()))
                .and_then(|m| m.get(attribute))
                .and_then(literal)
                .map(str::to_owned)
                .ok_or_else(|| format!("Mappings.{map}.{key}.{attribute} is not a string"));
        }
        if let Some((resource, attribute)) = get_att(value)
            && self.resource(&resource).get("Type").and_then(literal) == Some("Custom::DeployKeys")
            && attribute == "Jwks"
        {
            // What deploy-keys hands in: the pool's keys, minified.
            let path = workspace_root().join("tests/fixtures/keys/dev-rsa-1.jwks.json");
            let jwks = std::fs::read(&path).map_err(|err| format!("{}: {err}", path.display()))?;
            return cognito_auth_core::jwks::minify(&jwks).map_err(|err| err.to_string());
        }
        if let Some((resource, attribute)) = get_att(value)
            && self.resource(&resource).get("Type").and_then(literal) == Some("AWS::KMS::Key")
            && attribute == "Arn"
        {
            return Ok(PLACEHOLDER_KMS_KEY_ARN.to_owned());
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

/// The operands of `!FindInMap [map, key, attribute]`.
fn find_in_map(value: &Value) -> Option<&[Value; 3]> {
    let operands = match value {
        Value::Tagged(tagged) if tagged.tag == "FindInMap" => tagged.value.as_sequence(),
        Value::Mapping(map) if map.len() == 1 => map.get("Fn::FindInMap")?.as_sequence(),
        _ => None,
    }?;
    operands.as_slice().try_into().ok()
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
