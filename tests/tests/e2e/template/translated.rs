//! The template as CloudFormation receives it: translated by SAM's own
//! translator (`scripts/translate-template.py`), and what a first deploy
//! needs of it. One REST stage (SAM adds a stage named `Stage` unless told
//! otherwise), stateful resources kept but not after a failed create, every
//! stage throttled and logged, and Cognito and API Gateway calling the
//! `live` alias that CodeDeploy moves.

use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value as Json;

use super::*;

/// The translation of template.yaml with some parameters set.
pub(crate) struct Translated {
    pub(crate) doc: Json,
}

impl Translated {
    /// Every parameter at its default, translated once per test process.
    pub(crate) fn defaults() -> &'static Translated {
        static DEFAULTS: OnceLock<Translated> = OnceLock::new();
        DEFAULTS.get_or_init(|| Translated::with(&[]))
    }

    /// Runs SAM's translator (the pinned `aws-sam-translator` in `.venv`,
    /// `make setup`). Panics with the translator's own message when it
    /// cannot run or refuses the template: never a skip.
    pub(crate) fn with(parameters: &[(&str, &str)]) -> Translated {
        let root = workspace_root();
        let python = root.join(".venv/bin/python3");
        let script = root.join("scripts/translate-template.py");
        let output = Command::new(&python)
            .arg(&script)
            .arg("-")
            .args(
                parameters
                    .iter()
                    .map(|(name, value)| format!("{name}={value}")),
            )
            .output()
            .unwrap_or_else(|err| {
                panic!(
                    "cannot run {} {} ({err}); `make setup` installs aws-sam-translator into .venv",
                    python.display(),
                    script.display()
                )
            });
        assert!(
            output.status.success(),
            "SAM's translator refused template.yaml with {parameters:?}:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let mut doc: Json = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|err| panic!("the translation is not JSON: {err}"));
        Translated {
            doc: doc
                .get_mut("Template")
                .map(Json::take)
                .expect("the translation holds Template"),
        }
    }

    pub(crate) fn resources(&self) -> impl Iterator<Item = (&str, &Json)> {
        self.doc["Resources"]
            .as_object()
            .expect("the translation has Resources")
            .iter()
            .map(|(id, resource)| (id.as_str(), resource))
    }

    pub(crate) fn of_type<'a>(
        &'a self,
        kind: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a Json)> {
        self.resources()
            .filter(move |(_, resource)| resource["Type"] == kind)
    }

    pub(crate) fn resource(&self, id: &str) -> Option<&Json> {
        self.doc["Resources"].get(id)
    }

    /// The type of the resource `value` refers to (`{"Ref": id}`).
    pub(crate) fn ref_type(&self, value: &Json) -> Option<&str> {
        self.resource(json_ref(value)?)?["Type"].as_str()
    }
}

/// The target of `{"Ref": id}`.
pub(crate) fn json_ref(value: &Json) -> Option<&str> {
    value
        .as_object()
        .filter(|map| map.len() == 1)?
        .get("Ref")?
        .as_str()
}

/// Every stage of every API, as (API id, stage name): SAM's REST
/// deployment names a stage of its own when it carries `StageName`.
fn stages(translated: &Translated) -> (BTreeSet<(String, String)>, Vec<String>) {
    let mut stages = BTreeSet::new();
    let mut problems = Vec::new();
    for kind in ["AWS::ApiGateway::Stage", "AWS::ApiGatewayV2::Stage"] {
        for (id, stage) in translated.of_type(kind) {
            let properties = &stage["Properties"];
            let api = json_ref(&properties["RestApiId"]).or_else(|| json_ref(&properties["ApiId"]));
            match (api, properties["StageName"].as_str()) {
                (Some(api), Some(name)) => {
                    stages.insert((api.to_owned(), name.to_owned()));
                }
                other => problems.push(format!("{id}: cannot read its API and name: {other:?}")),
            }
        }
    }
    for (id, deployment) in translated.of_type("AWS::ApiGateway::Deployment") {
        if let Some(name) = deployment["Properties"].get("StageName") {
            let api = json_ref(&deployment["Properties"]["RestApiId"]).unwrap_or("?");
            stages.insert((api.to_owned(), format!("{name} (created by {id})")));
        }
    }
    (stages, problems)
}

/// Each API has exactly the stage its URL output names: no `Stage` stage
/// beside the REST API's `v1` (a second live URL, untraced, unthrottled,
/// outside `RestApi5xxAlarm`).
#[test]
fn each_api_has_only_its_intended_stage() {
    let (stages, problems) = stages(Translated::defaults());
    assert_no_problems("stages", problems);
    let expected: BTreeSet<(String, String)> = [
        ("RestApi", "v1"),
        ("HttpApi", "$default"),
        ("WebSocketApi", "v1"),
    ]
    .into_iter()
    .map(|(api, stage)| (api.to_owned(), stage.to_owned()))
    .collect();
    assert_eq!(stages, expected, "the APIs' stages as SAM translates them");
}

/// The check above sees the stage SAM adds without `OpenApiVersion`.
#[test]
fn the_stage_check_sees_sams_extra_stage() {
    let mut translated = Translated::with(&[]);
    let deployment = translated.doc["Resources"]
        .as_object_mut()
        .and_then(|resources| {
            resources
                .iter_mut()
                .find(|(_, r)| r["Type"] == "AWS::ApiGateway::Deployment")
        })
        .map(|(_, deployment)| deployment)
        .expect("a REST deployment");
    deployment["Properties"]["StageName"] = "Stage".into();
    let (stages, _) = stages(&translated);
    assert!(
        stages.iter().any(|(_, name)| name.contains("Stage")),
        "{stages:?}"
    );
}

/// Every stage is throttled and writes JSON access logs to a log group of
/// the stack, with the authorizer's status, latency and error; the
/// WebSocket stage's format never names the query string (the token).
#[test]
fn every_stage_is_throttled_and_logs_the_authorizer_without_the_token() {
    let translated = Translated::defaults();
    let mut problems = Vec::new();
    let mut seen = 0;
    for kind in ["AWS::ApiGateway::Stage", "AWS::ApiGatewayV2::Stage"] {
        for (id, stage) in translated.of_type(kind) {
            seen += 1;
            let properties = &stage["Properties"];
            let (throttling, logs) = if kind == "AWS::ApiGateway::Stage" {
                let all_methods = properties["MethodSettings"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|s| s["ResourcePath"] == "/*" && s["HttpMethod"] == "*");
                (all_methods, &properties["AccessLogSetting"])
            } else {
                (
                    Some(&properties["DefaultRouteSettings"]),
                    &properties["AccessLogSettings"],
                )
            };
            let throttled = throttling.is_some_and(|settings| {
                json_ref(&settings["ThrottlingRateLimit"]) == Some("ApiThrottlingRateLimit")
                    && json_ref(&settings["ThrottlingBurstLimit"])
                        == Some("ApiThrottlingBurstLimit")
            });
            if !throttled {
                problems.push(format!("{id}: not throttled by the stack's parameters"));
            }
            let destination = logs["DestinationArn"]["Fn::GetAtt"][0].as_str();
            if destination
                .and_then(|group| translated.resource(group))
                .map(|g| &g["Type"])
                != Some(&Json::from("AWS::Logs::LogGroup"))
            {
                problems.push(format!("{id}: access logs go to no log group of the stack"));
            }
            let Some(format) = logs["Format"].as_str() else {
                problems.push(format!("{id}: no access log format"));
                continue;
            };
            match serde_json::from_str::<Json>(format) {
                Ok(Json::Object(fields)) => {
                    for field in [
                        "authorizerStatus",
                        "authorizerLatency",
                        "authorizerError",
                        "status",
                        "requestId",
                    ] {
                        if !fields.contains_key(field) {
                            problems.push(format!("{id}: the access log has no {field}"));
                        }
                    }
                }
                _ => problems.push(format!("{id}: the access log format is not a JSON object")),
            }
            let api = json_ref(&properties["ApiId"]);
            if api == Some("WebSocketApi") {
                for forbidden in ["querystring", "requestOverride", "$input", "$request."] {
                    if format.contains(forbidden) {
                        problems.push(format!(
                            "{id}: the WebSocket access log names {forbidden}: the token travels in the query string"
                        ));
                    }
                }
            }
        }
    }
    assert_eq!(seen, 3, "three stages expected");
    assert_no_problems("stages", problems);
}

/// The pool, the table, the bucket and the log groups are kept when the
/// stack is deleted or they are replaced, but a create that fails and rolls
/// back removes them (`RetainExceptOnCreate`; UpdateReplacePolicy has no
/// such value), so a retry does not trip over the first try's leftovers.
#[test]
fn data_is_kept_except_after_a_failed_create() {
    let translated = Translated::with(&[("EnableIdentityPool", "true")]);
    let mut problems = Vec::new();
    let mut kinds = BTreeSet::new();
    for (id, resource) in translated.resources() {
        let kind = resource["Type"].as_str().unwrap_or_default();
        if ![
            "AWS::Cognito::UserPool",
            "AWS::DynamoDB::Table",
            "AWS::S3::Bucket",
            "AWS::Logs::LogGroup",
        ]
        .contains(&kind)
        {
            continue;
        }
        kinds.insert(kind);
        if resource["DeletionPolicy"] != "RetainExceptOnCreate" {
            problems.push(format!(
                "{id}: DeletionPolicy is {}",
                resource["DeletionPolicy"]
            ));
        }
        if resource["UpdateReplacePolicy"] != "Retain" {
            problems.push(format!(
                "{id}: UpdateReplacePolicy is {}",
                resource["UpdateReplacePolicy"]
            ));
        }
    }
    assert_eq!(kinds.len(), 4, "every stateful kind is present: {kinds:?}");
    assert_no_problems("deletion policies", problems);
}

/// Cognito and API Gateway call each Rust function's `live` alias, which
/// CodeDeploy moves to a new version in steps and rolls back when the
/// function's alarms fire: "roll back" in the runbook has something behind
/// it. Nothing invokes a function's unqualified ARN.
#[test]
fn callers_invoke_the_live_alias_that_codedeploy_rolls_back() {
    let translated = Translated::defaults();
    let template = Template::load();
    let mut problems = Vec::new();
    let alias_of = |function: &str| -> Option<String> {
        translated
            .of_type("AWS::Lambda::Alias")
            .find(|(_, alias)| json_ref(&alias["Properties"]["FunctionName"]) == Some(function))
            .map(|(id, _)| id.to_owned())
    };
    for crate_name in function_crates() {
        let function = template.function_for_binary(&crate_name);
        let Some(alias) = alias_of(&function) else {
            problems.push(format!("{function} has no alias"));
            continue;
        };
        let update = &translated.resource(&alias).expect("alias")["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"];
        let group = json_ref(&update["DeploymentGroupName"]).and_then(|g| translated.resource(g));
        let Some(group) = group else {
            problems.push(format!("{alias}: no CodeDeploy deployment group moves it"));
            continue;
        };
        let alarms: Vec<&str> = group["Properties"]["AlarmConfiguration"]["Alarms"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|alarm| json_ref(&alarm["Name"]))
            .collect();
        let watched = alarms.iter().any(|alarm| {
            translated.resource(alarm).is_some_and(|a| {
                a["Type"] == "AWS::CloudWatch::Alarm"
                    && a.to_string()
                        .contains(&format!("{{\"Ref\":\"{function}\"}}"))
            })
        });
        if !watched || group["Properties"]["AutoRollbackConfiguration"]["Enabled"] != true {
            problems.push(format!(
                "{function}: its deployments roll back on none of its own alarms ({alarms:?})"
            ));
        }
        // Whoever may invoke the function may invoke its alias only.
        for (id, permission) in translated.of_type("AWS::Lambda::Permission") {
            let name = &permission["Properties"]["FunctionName"];
            let names_function = json_ref(name) == Some(function.as_str())
                || name["Fn::GetAtt"][0] == function.as_str();
            if names_function {
                let principal = &permission["Properties"]["Principal"];
                problems.push(format!(
                    "{id}: {principal} may invoke {function} itself, not its alias"
                ));
            }
        }
    }
    let alias_ref = |value: &Json| {
        json_ref(value)
            .and_then(|id| translated.resource(id))
            .map(|r| &r["Type"])
    };
    let (_, pool) = translated
        .of_type("AWS::Cognito::UserPool")
        .next()
        .expect("a pool");
    let config = pool["Properties"]["LambdaConfig"]
        .as_object()
        .expect("LambdaConfig");
    for (trigger, value) in config {
        // A trigger wired under a condition: `Fn::If [condition, alias,
        // AWS::NoValue]`; its wired branch must be the alias.
        let value = match value["Fn::If"].as_array().map(Vec::as_slice) {
            Some([_, wired, unwired]) if json_ref(unwired) == Some("AWS::NoValue") => wired,
            _ => value,
        };
        if trigger == "KMSKeyID" {
            // Not a function: the key the sender triggers' codes are
            // encrypted with (its shape is checked in triggers.rs).
            if value["Fn::GetAtt"][0]
                .as_str()
                .and_then(|id| translated.resource(id))
                .map(|key| &key["Type"])
                != Some(&Json::from("AWS::KMS::Key"))
            {
                problems.push(format!("LambdaConfig.KMSKeyID is not a stack key: {value}"));
            }
            continue;
        }
        // The sender triggers: `{LambdaArn, LambdaVersion}`.
        let target = value.get("LambdaArn").unwrap_or(value);
        if alias_ref(target) != Some(&Json::from("AWS::Lambda::Alias")) {
            problems.push(format!("LambdaConfig.{trigger} is not an alias: {target}"));
        }
    }
    let uri = translated
        .of_type("AWS::ApiGatewayV2::Authorizer")
        .map(|(_, a)| &a["Properties"]["AuthorizerUri"]["Fn::Sub"][1]["Alias"])
        .next()
        .expect("the WebSocket authorizer");
    if alias_ref(uri) != Some(&Json::from("AWS::Lambda::Alias")) {
        problems.push(format!(
            "the WebSocket authorizer calls {uri}, not the alias"
        ));
    }
    assert_no_problems("aliases", problems);
}

/// A production pool cannot be deployed without SES and MFA, nor without
/// deletion protection; Plus turns on threat protection and the paid tiers
/// keep a password history, which Lite would refuse.
#[test]
fn the_pool_follows_the_environment_and_the_tier() {
    let template = Template::load();
    let rule = template
        .doc
        .get("Rules")
        .and_then(|r| r.get("ProductionNeedsSesAndMfa"))
        .expect("a rule for production");
    let text = format!("{rule:?}");
    for needed in ["Environment", "production", "SesSourceArn", "Mfa"] {
        assert!(
            text.contains(needed),
            "the production rule does not read {needed}: {text}"
        );
    }
    for (tier, environment, protection, history, add_ons) in [
        ("LITE", "development", "INACTIVE", None, None),
        ("ESSENTIALS", "production", "ACTIVE", Some(5), None),
        ("PLUS", "development", "INACTIVE", Some(5), Some("ENFORCED")),
    ] {
        let translated = Translated::with(&[("UserPoolTier", tier), ("Environment", environment)]);
        let (_, pool) = translated
            .of_type("AWS::Cognito::UserPool")
            .next()
            .expect("a pool");
        let properties = &pool["Properties"];
        // The translation keeps the conditions; resolve the ones at stake.
        let resolve = |value: &Json| -> Json {
            match value
                .get("Fn::If")
                .and_then(Json::as_array)
                .map(Vec::as_slice)
            {
                Some([Json::String(condition), then, otherwise]) => {
                    let holds = match condition.as_str() {
                        "IsProduction" => environment == "production",
                        "IsPlusTier" => tier == "PLUS",
                        "IsLiteTier" => tier == "LITE",
                        other => panic!("unexpected condition {other}"),
                    };
                    let chosen = if holds { then } else { otherwise };
                    if json_ref(chosen) == Some("AWS::NoValue") {
                        Json::Null
                    } else {
                        chosen.clone()
                    }
                }
                _ => value.clone(),
            }
        };
        assert_eq!(
            resolve(&properties["DeletionProtection"]),
            protection,
            "{tier}/{environment}"
        );
        assert_eq!(
            resolve(&properties["Policies"]["PasswordPolicy"]["PasswordHistorySize"]).as_u64(),
            history,
            "{tier}"
        );
        assert_eq!(
            resolve(&properties["UserPoolAddOns"])["AdvancedSecurityMode"].as_str(),
            add_ons,
            "{tier}"
        );
    }
}
