//! The APIs: both hand the authorizer the token from the header it reads
//! and cache safely, and the default `AUTHZ_RULES` names routes they declare.

use super::*;

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
