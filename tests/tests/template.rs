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
//! - Every environment variable a function reads is set by the template, or
//!   listed in [`DELIBERATELY_DEFAULTED`] with the reason; nothing is set that
//!   no code reads.
//! - The user pool's triggers point at the right functions, each with an invoke
//!   permission for Cognito scoped to the pool, and answer within 5 s.
//! - Both APIs hand the authorizer the token from the header it reads, and
//!   the HTTP API's cache is keyed on the route too (a simple response
//!   answers for one route only).
//! - The default `AUTHZ_RULES` name routes the example APIs declare.
//! - With every parameter at its default, every function gets past init: a
//!   default deployment does not fail its first cold start.
//!
//! The variables a function reads are found in its sources (and the shared
//! crate's) by [`scan`]: the names given to the `config::Env` helpers
//! (`optional`, `required`, `list`, `bool`, `parse`, `millis`, `seconds`,
//! `bounded_u64`), to `std::env::var`, to `ConfigError::new`, or to any call
//! that is also handed `env`. Names written as `const` items are resolved, and
//! `#[cfg(test)]` code is left out.
//!
//! YAML is parsed with `serde_norway`, the maintained fork of `serde_yaml`
//! (archived upstream; `serde_yml` is flagged unsound and unmaintained by
//! RustSec). It keeps CloudFormation's short-form tags (`!Ref`, `!GetAtt`,
//! `!If`, ...) as tagged values, so the template is read exactly as written.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use e2e_tests::runtime_api::{Launch, workspace_root};
use serde_norway::Value;

/// Variables a function reads that the template leaves unset on purpose:
/// `(function, variable, reason)`. `*` stands for every function.
const DELIBERATELY_DEFAULTED: &[(&str, &str, &str)] = &[
    (
        "*",
        "RUST_LOG",
        "AWS_LAMBDA_LOG_LEVEL (set by Lambda from LoggingConfig) wins",
    ),
    (
        "authorizer",
        "JWKS_URL",
        "derived from USER_POOL_ID: the pool's own JWKS",
    ),
    ("authorizer", "JWKS_FILE", "offline tests only"),
    (
        "authorizer",
        "COGNITO_EMULATOR_URL",
        "local runs against a Cognito emulator on loopback only (tests/tests/lifecycle.rs): a \
         deployment must never set it, so the template never does",
    ),
    ("authorizer", "JWT_LEEWAY_SECONDS", TUNABLE),
    ("authorizer", "JWKS_MAX_AGE_SECONDS", TUNABLE),
    ("authorizer", "JWKS_COOLDOWN_SECONDS", TUNABLE),
    ("authorizer", "JWKS_FETCH_TIMEOUT_MS", TUNABLE),
    ("authorizer", "JWKS_MAX_BYTES", TUNABLE),
    ("authorizer", "JWKS_STALE_GRACE_SECONDS", TUNABLE),
    ("authorizer", "VERIFIED_TOKEN_CACHE_SIZE", TUNABLE),
    (
        "pre-sign-up",
        "APPLY_DOMAIN_RULES_TO_ADMIN_CREATE_USER",
        "on: admins follow the rules too",
    ),
    (
        "pre-sign-up",
        "LINK_PROVIDER_NAMES",
        "only for SAML/OIDC providers added by hand",
    ),
    (
        "pre-sign-up",
        "AUTO_VERIFY_PHONE",
        "off: a number nobody proved is never verified unless a deployment opts in",
    ),
    ("post-confirmation", "AWS_CALL_TIMEOUT_MS", WITHIN_5_S),
    ("post-confirmation", "AWS_ATTEMPT_TIMEOUT_MS", WITHIN_5_S),
    ("post-confirmation", "AWS_MAX_ATTEMPTS", WITHIN_5_S),
    ("pre-token-generation", "AWS_CALL_TIMEOUT_MS", WITHIN_5_S),
    ("pre-token-generation", "AWS_ATTEMPT_TIMEOUT_MS", WITHIN_5_S),
    ("pre-token-generation", "AWS_MAX_ATTEMPTS", WITHIN_5_S),
    (
        "custom-message",
        "TEMPLATES_DIR",
        "templates are built in; a folder needs its own package",
    ),
];
const TUNABLE: &str = "cache or fetch tunable with a safe default in code";
const WITHIN_5_S: &str = "SDK budget defaulted in code to fit Cognito's 5 s";

/// Shared-crate sources that read configuration, by path prefix, and the
/// functions that read it through them. A shared file that reads a variable
/// and is not listed here fails [`every_variable_a_function_reads_is_set_or_deliberately_defaulted`].
const SHARED_READERS: &[(&str, &[&str])] = &[
    // `VerifierConfig::from_env`: only the authorizer verifies tokens.
    ("shared/src/verify", &["authorizer"]),
    // `AwsLimits::from_env`: the AWS call budget of the triggers that call
    // AWS from inside Cognito's 5 s.
    (
        "shared/src/aws.rs",
        &["post-confirmation", "pre-token-generation"],
    ),
    // Logging, metrics and init run in every function.
    ("shared/src/logging.rs", &["*"]),
    ("shared/src/metrics.rs", &["*"]),
    ("shared/src/init.rs", &["*"]),
];

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
fn every_variable_a_function_reads_is_set_or_deliberately_defaulted() {
    let template = Template::load();
    let reads = variables_read_by_each_function();
    let mut problems = Vec::new();
    for (function, variables) in &reads {
        let id = template.function_for_binary(function);
        let set = template.environment(&id);
        for (variable, at) in variables {
            let defaulted = deliberately_defaulted(function, variable).is_some();
            let provided_by_lambda = is_provided_by_lambda(variable);
            match (set.contains_key(variable), defaulted || provided_by_lambda) {
                (false, false) => problems.push(format!(
                    "{function} reads {variable} ({at}) but {id} does not set it: wire it in template.yaml, \
                     or add it to DELIBERATELY_DEFAULTED with the reason"
                )),
                (true, true) => problems.push(format!(
                    "{id} sets {variable}, which is also listed as deliberately defaulted (or set by Lambda): drop one"
                )),
                _ => {}
            }
        }
    }
    for (function, variable, _) in DELIBERATELY_DEFAULTED {
        let still_read = reads
            .iter()
            .filter(|(name, _)| *function == "*" || name.as_str() == *function)
            .any(|(_, variables)| variables.contains_key(*variable));
        if !still_read {
            problems.push(format!(
                "DELIBERATELY_DEFAULTED lists {variable} for {function}, which no longer reads it: remove the entry"
            ));
        }
    }
    assert_no_problems("variables read", problems);
}

#[test]
fn every_variable_the_template_sets_is_read_by_the_code() {
    let template = Template::load();
    let reads = variables_read_by_each_function();
    let mut problems = Vec::new();
    for (function, variables) in &reads {
        let id = template.function_for_binary(function);
        for variable in template.environment(&id).keys() {
            if !variables.contains_key(variable) {
                problems.push(format!(
                    "{id} sets {variable}, which {function} never reads"
                ));
            }
            if is_provided_by_lambda(variable) {
                problems.push(format!("{id} sets {variable}, a name Lambda reserves"));
            }
        }
    }
    assert_no_problems("variables set", problems);
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
// The scanner's own tests: a scanner that finds nothing would pass every test
// above.
// ---------------------------------------------------------------------------

#[test]
fn scanner_finds_literals_consts_and_forwarded_names_but_not_test_code() {
    let source = r##"
        pub const ALLOWED: &str = "ALLOWED_EMAIL_DOMAINS";
        const RENAMED: &'static str = "PROFILE_ATTRIBUTES";
        const NOT_A_NAME: &str = "some text";
        fn from_env(env: &Env) -> Result<Config, ConfigError> {
            let a = env.optional("APP_NAME");
            let b = env.list(RENAMED);
            let c = DomainList::from_env(env, ALLOWED)?; // forwarded with `env`
            let d = env.millis(
                "FETCH_TIMEOUT_MS",
                Duration::from_millis(10),
                1..=10,
            )?;
            let e = std::env::var("RUST_LOG");
            let f = r#"env.optional("IN_A_RAW_STRING")"#;
            let g = '"'; let h = env.bool("AFTER_A_CHAR", false);
            /* env.optional("IN_A_COMMENT") */
            if bad { return Err(ConfigError::new("ONLY_IN_AN_ERROR", "reason")); }
            value.parse::<u64>(); name.required("lowercase_is_no_env_var");
            other.optional(name);
        }
        #[cfg(test)]
        mod tests {
            #[test]
            fn t() { env.optional("ONLY_IN_TESTS"); }
        }
        #[cfg(test)]
        mod out_of_line;
    "##;
    let file = scan::SourceFile::parse(PathBuf::from("functions/x/src/config.rs"), source);
    let consts = file.consts.clone();
    let found = file
        .reads(&|name| consts.get(name).cloned())
        .expect("every name resolves")
        .into_iter()
        .map(|read| read.name)
        .collect::<BTreeSet<_>>();
    let expected = [
        "AFTER_A_CHAR",
        "ALLOWED_EMAIL_DOMAINS",
        "APP_NAME",
        "FETCH_TIMEOUT_MS",
        "ONLY_IN_AN_ERROR",
        "PROFILE_ATTRIBUTES",
        "RUST_LOG",
    ];
    assert_eq!(
        found,
        expected
            .iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<_>>()
    );
    assert_eq!(file.test_modules, ["out_of_line"]);
}

#[test]
fn scanner_rejects_a_name_it_cannot_resolve() {
    let file = scan::SourceFile::parse(
        PathBuf::from("x.rs"),
        "fn f(env: &Env) { env.required(SOMEWHERE_ELSE); }",
    );
    let error = file.reads(&|_| None).unwrap_err();
    assert!(error.contains("SOMEWHERE_ELSE"), "{error}");
}

#[test]
fn scanner_finds_the_known_reads_of_this_workspace() {
    // Anchors: if these disappear, the scanner (or a rename) broke the
    // checks above, which would then pass on nothing.
    let reads = variables_read_by_each_function();
    for (function, variable) in [
        ("authorizer", "USER_POOL_ID"),
        ("authorizer", "JWKS_MAX_BYTES"),
        ("pre-sign-up", "ALLOWED_EMAIL_DOMAINS"),
        ("post-confirmation", "DEFAULT_GROUP"),
        ("custom-message", "APP_NAME"),
    ] {
        assert!(
            reads
                .get(function)
                .is_some_and(|found| found.contains_key(variable)),
            "{function} should read {variable}; found {:?}",
            reads
                .get(function)
                .map(|found| found.keys().collect::<Vec<_>>())
        );
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

/// For each function crate: every variable it reads, with where it was seen.
fn variables_read_by_each_function() -> BTreeMap<String, BTreeMap<String, String>> {
    let root = workspace_root();
    let shared = scan::Crate::load(&root, "shared/src");
    let mut reads: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut unmapped = Vec::new();

    let shared_reads = shared.reads(None).unwrap_or_else(|err| panic!("{err}"));
    for name in function_crates() {
        let own = scan::Crate::load(&root, &format!("functions/{name}/src"));
        let found = own
            .reads(Some(&shared))
            .unwrap_or_else(|err| panic!("{err}"));
        let entry = reads.entry(name.clone()).or_default();
        for read in found {
            entry.entry(read.name).or_insert(read.at);
        }
    }
    for read in shared_reads {
        let readers = SHARED_READERS
            .iter()
            .find(|(prefix, _)| read.at.starts_with(prefix))
            .map(|(_, readers)| *readers);
        let Some(readers) = readers else {
            unmapped.push(format!(
                "{} reads {}: map it in SHARED_READERS",
                read.at, read.name
            ));
            continue;
        };
        for (function, found) in reads.iter_mut() {
            if readers.contains(&"*") || readers.contains(&function.as_str()) {
                found
                    .entry(read.name.clone())
                    .or_insert_with(|| read.at.clone());
            }
        }
    }
    assert_no_problems("shared reads", unmapped);
    reads
}

fn deliberately_defaulted(function: &str, variable: &str) -> Option<&'static str> {
    DELIBERATELY_DEFAULTED
        .iter()
        .find(|(name, var, _)| (*name == "*" || *name == function) && *var == variable)
        .map(|(_, _, reason)| *reason)
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

// ---------------------------------------------------------------------------
// The source scanner
// ---------------------------------------------------------------------------

/// Finds the environment variables Rust sources read, without compiling them:
/// a small tokenizer (identifiers, string literals, punctuation; comments and
/// `#[cfg(test)]` items dropped) and a few call shapes.
mod scan {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::{Path, PathBuf};

    /// The `config::Env` helpers whose first argument is a variable name.
    const ENV_HELPERS: &[&str] = &[
        "optional",
        "required",
        "list",
        "bool",
        "parse",
        "millis",
        "seconds",
        "bounded_u64",
    ];

    /// One variable read, and where (`path:line`).
    #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
    pub struct Read {
        pub name: String,
        pub at: String,
    }

    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Tok {
        Ident(String),
        Str(String),
        Punct(char),
    }

    #[derive(Debug, Clone)]
    struct Token {
        tok: Tok,
        line: usize,
    }

    /// One source file, tokenized, with its test code removed.
    pub struct SourceFile {
        pub path: PathBuf,
        tokens: Vec<Token>,
        /// `const NAME: &str = "VALUE";` items.
        pub consts: BTreeMap<String, String>,
        /// Modules declared `#[cfg(test)] mod name;`, whose files are test code.
        pub test_modules: Vec<String>,
    }

    /// The non-test sources of one crate.
    pub struct Crate {
        files: Vec<SourceFile>,
    }

    impl Crate {
        /// Every `.rs` file under `root/dir`, except out-of-line test modules.
        pub fn load(root: &Path, dir: &str) -> Crate {
            let mut paths = Vec::new();
            collect_rs(&root.join(dir), &mut paths);
            paths.sort();
            let mut files: Vec<SourceFile> = paths
                .iter()
                .map(|path| {
                    let text = std::fs::read_to_string(path)
                        .unwrap_or_else(|err| panic!("read {}: {err}", path.display()));
                    let relative = path.strip_prefix(root).unwrap_or(path).to_path_buf();
                    SourceFile::parse(relative, &text)
                })
                .collect();
            let excluded: BTreeSet<PathBuf> = files
                .iter()
                .flat_map(|file| {
                    file.test_modules
                        .iter()
                        .flat_map(|module| module_files(&file.path, module))
                })
                .collect();
            files.retain(|file| !excluded.contains(&file.path));
            Crate { files }
        }

        /// Every variable read; names written as consts are resolved in the
        /// same file, then the crate, then `fallback` (the shared crate).
        pub fn reads(&self, fallback: Option<&Crate>) -> Result<Vec<Read>, String> {
            let mut reads = Vec::new();
            for file in &self.files {
                let resolve = |name: &str| {
                    file.consts
                        .get(name)
                        .cloned()
                        .or_else(|| self.unique_const(name))
                        .or_else(|| fallback.and_then(|shared| shared.unique_const(name)))
                };
                reads.extend(file.reads(&resolve)?);
            }
            Ok(reads)
        }

        fn unique_const(&self, name: &str) -> Option<String> {
            let values: BTreeSet<&String> = self
                .files
                .iter()
                .filter_map(|file| file.consts.get(name))
                .collect();
            match values.len() {
                1 => values.into_iter().next().cloned(),
                _ => None,
            }
        }
    }

    impl SourceFile {
        pub fn parse(path: PathBuf, text: &str) -> SourceFile {
            let (tokens, test_modules) = strip_test_items(tokenize(text));
            let consts = consts(&tokens);
            SourceFile {
                path,
                tokens,
                consts,
                test_modules,
            }
        }

        /// The variables this file reads. A name passed as an identifier
        /// must resolve through `resolve`, except when only forwarded with
        /// `env` (then a name that does not resolve is not a variable).
        pub fn reads(&self, resolve: &dyn Fn(&str) -> Option<String>) -> Result<Vec<Read>, String> {
            let tokens = &self.tokens;
            let mut reads = Vec::new();
            for open in 0..tokens.len() {
                if tokens[open].tok != Tok::Punct('(') || open == 0 {
                    continue;
                }
                let Tok::Ident(callee) = &tokens[open - 1].tok else {
                    continue;
                };
                let before = |back: usize| open.checked_sub(back).map(|i| &tokens[i].tok);
                let is_method = before(2) == Some(&Tok::Punct('.'));
                let path_owner = match (before(2), before(3), before(4)) {
                    (Some(Tok::Punct(':')), Some(Tok::Punct(':')), Some(Tok::Ident(owner))) => {
                        Some(owner.as_str())
                    }
                    _ => None,
                };
                let args = arguments(tokens, open);
                let strict_first = (is_method && ENV_HELPERS.contains(&callee.as_str()))
                    || (path_owner == Some("env") && matches!(callee.as_str(), "var" | "var_os"))
                    || (path_owner == Some("ConfigError") && callee == "new");
                let forwarded_with_env = args
                    .iter()
                    .any(|arg| matches!(arg.as_slice(), [Tok::Ident(name)] if name == "env"));
                for (index, arg) in args.iter().enumerate() {
                    let strict = strict_first && index == 0;
                    if !(strict || forwarded_with_env) {
                        continue;
                    }
                    let arg = match arg.as_slice() {
                        [Tok::Punct('&'), rest @ ..] => rest,
                        whole => whole,
                    };
                    let name = match arg {
                        [Tok::Str(text)] if is_variable_name(text) => Some(text.clone()),
                        [Tok::Ident(ident)] if is_variable_name(ident) => match resolve(ident) {
                            Some(value) if is_variable_name(&value) => Some(value),
                            Some(_) => None,
                            None if strict => {
                                return Err(format!(
                                    "{}:{}: cannot resolve the variable name {ident}; \
                                     write it as a literal or a `const {ident}: &str` in the crate",
                                    self.path.display(),
                                    tokens[open].line
                                ));
                            }
                            None => None,
                        },
                        _ => None,
                    };
                    if let Some(name) = name {
                        reads.push(Read {
                            name,
                            at: format!("{}:{}", self.path.display(), tokens[open].line),
                        });
                    }
                }
            }
            Ok(reads)
        }
    }

    /// An environment variable's shape: `SCREAMING_SNAKE_CASE`.
    fn is_variable_name(text: &str) -> bool {
        text.len() >= 2
            && text.starts_with(|c: char| c.is_ascii_uppercase())
            && text
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    }

    /// The top-level, comma-separated arguments of the call whose `(` is at
    /// `open`.
    fn arguments(tokens: &[Token], open: usize) -> Vec<Vec<Tok>> {
        let mut args = vec![Vec::new()];
        let mut depth = 0usize;
        for token in &tokens[open + 1..] {
            match &token.tok {
                Tok::Punct('(' | '[' | '{') => depth += 1,
                Tok::Punct(')' | ']' | '}') if depth == 0 => break,
                Tok::Punct(')' | ']' | '}') => depth -= 1,
                Tok::Punct(',') if depth == 0 => {
                    args.push(Vec::new());
                    continue;
                }
                _ => {}
            }
            if let Some(last) = args.last_mut() {
                last.push(token.tok.clone());
            }
        }
        args.retain(|arg| !arg.is_empty());
        args
    }

    /// `const NAME: &str = "VALUE";` and `const NAME: &'static str = ...`.
    fn consts(tokens: &[Token]) -> BTreeMap<String, String> {
        let toks: Vec<&Tok> = tokens.iter().map(|t| &t.tok).collect();
        let mut found = BTreeMap::new();
        for window in toks.windows(8) {
            let shape = match window {
                [
                    Tok::Ident(kw),
                    Tok::Ident(name),
                    Tok::Punct(':'),
                    Tok::Punct('&'),
                    Tok::Ident(ty),
                    Tok::Punct('='),
                    Tok::Str(value),
                    Tok::Punct(';'),
                ] if kw == "const" && ty == "str" => Some((name, value)),
                [
                    Tok::Ident(kw),
                    Tok::Ident(name),
                    Tok::Punct(':'),
                    Tok::Punct('&'),
                    Tok::Ident(lifetime),
                    Tok::Ident(ty),
                    Tok::Punct('='),
                    Tok::Str(value),
                ] if kw == "const" && lifetime == "static" && ty == "str" => Some((name, value)),
                _ => None,
            };
            if let Some((name, value)) = shape {
                found.insert(name.clone(), value.clone());
            }
        }
        found
    }

    /// Drops every item under `#[cfg(test)]`; returns the remaining tokens and
    /// the names of test modules declared out of line (`mod tests;`).
    fn strip_test_items(tokens: Vec<Token>) -> (Vec<Token>, Vec<String>) {
        let is = |i: usize, tok: Tok| tokens.get(i).is_some_and(|t| t.tok == tok);
        let ident = |i: usize, name: &str| matches!(tokens.get(i), Some(Token { tok: Tok::Ident(n), .. }) if n == name);
        let mut kept = Vec::with_capacity(tokens.len());
        let mut test_modules = Vec::new();
        let mut i = 0;
        while i < tokens.len() {
            let cfg_test = is(i, Tok::Punct('#'))
                && is(i + 1, Tok::Punct('['))
                && ident(i + 2, "cfg")
                && is(i + 3, Tok::Punct('('))
                && ident(i + 4, "test")
                && is(i + 5, Tok::Punct(')'))
                && is(i + 6, Tok::Punct(']'));
            if !cfg_test {
                kept.push(tokens[i].clone());
                i += 1;
                continue;
            }
            i += 7;
            // The item: up to a `;` or through a `{...}` block at depth 0.
            let mut depth = 0usize;
            while i < tokens.len() {
                if let (true, Some(Tok::Ident(name)), true) = (
                    ident(i, "mod"),
                    tokens.get(i + 1).map(|t| &t.tok),
                    is(i + 2, Tok::Punct(';')),
                ) {
                    test_modules.push(name.clone());
                }
                match &tokens[i].tok {
                    Tok::Punct('(' | '[') => depth += 1,
                    Tok::Punct(')' | ']') => depth = depth.saturating_sub(1),
                    Tok::Punct(';') if depth == 0 => {
                        i += 1;
                        break;
                    }
                    Tok::Punct('{') if depth == 0 => {
                        i = matching_brace(&tokens, i) + 1;
                        break;
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        (kept, test_modules)
    }

    fn matching_brace(tokens: &[Token], open: usize) -> usize {
        let mut depth = 0usize;
        for (i, token) in tokens.iter().enumerate().skip(open) {
            match token.tok {
                Tok::Punct('{') => depth += 1,
                Tok::Punct('}') => {
                    depth -= 1;
                    if depth == 0 {
                        return i;
                    }
                }
                _ => {}
            }
        }
        tokens.len()
    }

    /// Identifiers (numbers too), string literals (plain, raw, byte) with
    /// their text, and single punctuation characters. Comments, char
    /// literals and lifetimes' quotes are dropped.
    fn tokenize(text: &str) -> Vec<Token> {
        let chars: Vec<char> = text.chars().collect();
        let mut tokens = Vec::new();
        let mut line = 1;
        let mut i = 0;
        let at = |i: usize| chars.get(i).copied();
        while i < chars.len() {
            let c = chars[i];
            if c == '\n' {
                line += 1;
                i += 1;
            } else if c.is_whitespace() {
                i += 1;
            } else if c == '/' && at(i + 1) == Some('/') {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            } else if c == '/' && at(i + 1) == Some('*') {
                let mut depth = 0;
                while i < chars.len() {
                    if chars[i] == '/' && at(i + 1) == Some('*') {
                        depth += 1;
                        i += 2;
                    } else if chars[i] == '*' && at(i + 1) == Some('/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        if chars[i] == '\n' {
                            line += 1;
                        }
                        i += 1;
                    }
                }
            } else if c == '"' {
                let start_line = line;
                let (value, next) = plain_string(&chars, i + 1, &mut line);
                tokens.push(Token {
                    tok: Tok::Str(value),
                    line: start_line,
                });
                i = next;
            } else if c == '\'' {
                // A char literal ('x', '\n', '\u{1F600}') or a lifetime ('a).
                if at(i + 1) == Some('\\') {
                    i += 2;
                    while i < chars.len() && chars[i] != '\'' {
                        i += 1;
                    }
                    i += 1;
                } else if at(i + 2) == Some('\'') {
                    i += 3;
                } else {
                    i += 1;
                }
            } else if c.is_alphanumeric() || c == '_' {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let raw = matches!(word.as_str(), "r" | "br" | "cr");
                if raw && matches!(at(i), Some('"' | '#')) {
                    let mut hashes = 0;
                    while at(i + hashes) == Some('#') {
                        hashes += 1;
                    }
                    if at(i + hashes) == Some('"') {
                        let start_line = line;
                        let body_start = i + hashes + 1;
                        let mut j = body_start;
                        loop {
                            if j >= chars.len() {
                                break;
                            }
                            if chars[j] == '"' && (0..hashes).all(|h| at(j + 1 + h) == Some('#')) {
                                break;
                            }
                            if chars[j] == '\n' {
                                line += 1;
                            }
                            j += 1;
                        }
                        let value: String = chars[body_start..j.min(chars.len())].iter().collect();
                        tokens.push(Token {
                            tok: Tok::Str(value),
                            line: start_line,
                        });
                        i = j + 1 + hashes;
                        continue;
                    }
                    // A raw identifier (r#type): drop the `r#`.
                    i += hashes;
                    continue;
                }
                if matches!(word.as_str(), "b" | "c") && at(i) == Some('"') {
                    let start_line = line;
                    let (value, next) = plain_string(&chars, i + 1, &mut line);
                    tokens.push(Token {
                        tok: Tok::Str(value),
                        line: start_line,
                    });
                    i = next;
                    continue;
                }
                tokens.push(Token {
                    tok: Tok::Ident(word),
                    line,
                });
            } else {
                tokens.push(Token {
                    tok: Tok::Punct(c),
                    line,
                });
                i += 1;
            }
        }
        tokens
    }

    /// A `"..."` body from `start` (after the quote): its text with escapes
    /// kept as written, and the index after the closing quote.
    fn plain_string(chars: &[char], start: usize, line: &mut usize) -> (String, usize) {
        let mut i = start;
        let mut value = String::new();
        while i < chars.len() && chars[i] != '"' {
            if chars[i] == '\\' && i + 1 < chars.len() {
                value.push(chars[i]);
                i += 1;
            }
            if chars[i] == '\n' {
                *line += 1;
            }
            value.push(chars[i]);
            i += 1;
        }
        (value, i + 1)
    }

    fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                collect_rs(&path, out);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                out.push(path);
            }
        }
    }

    /// Where `mod module;` declared in `declared_in` lives.
    fn module_files(declared_in: &Path, module: &str) -> Vec<PathBuf> {
        let dir = declared_in.parent().unwrap_or(Path::new(""));
        let stem = declared_in
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("");
        let base = if matches!(stem, "lib" | "main" | "mod") {
            dir.to_path_buf()
        } else {
            dir.join(stem)
        };
        vec![
            base.join(format!("{module}.rs")),
            base.join(module).join("mod.rs"),
        ]
    }
}
