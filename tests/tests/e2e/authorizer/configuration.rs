//! Configuration: the usage identifier's claim, the token header's name,
//! rules that fail init naming the rule, and an event that is no authorizer
//! event (a 500, not a 401).

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_usage_identifier_key_comes_from_the_configured_claim() {
    let function = launch()
        .env("USAGE_IDENTIFIER_CLAIM", "api_key")
        .start()
        .await;
    let with_key = access(&[]).claim("api_key", "k3y-for-usage-plan");
    let credential = format!("Bearer {}", with_key.build());
    let answer = ask_route(&function, Shape::Token, &credential, GET_ROOT).await;
    assert_eq!(answer.policy()["usageIdentifierKey"], "k3y-for-usage-plan");

    let credential = format!("Bearer {}", access(&[]).build());
    let answer = ask_route(&function, Shape::Token, &credential, GET_ROOT).await;
    assert!(
        answer.policy().get("usageIdentifierKey").is_none(),
        "{:?}",
        answer.policy()
    );

    let unset = launch().start().await;
    let credential = format!("Bearer {}", with_key.build());
    let answer = ask_route(&unset, Shape::Token, &credential, GET_ROOT).await;
    assert!(answer.policy().get("usageIdentifierKey").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_header_is_configurable_and_found_in_any_casing() {
    let function = launch().env("TOKEN_HEADER", "X-Api-Token").start().await;
    let credential = format!("Bearer {}", access(&[]).build());
    for shape in [Shape::Request, Shape::Http1] {
        let mut event = shape.event(None, "GET", "/pets", "GET /pets");
        set_header(
            &mut event,
            "x-API-token",
            Some(&credential),
            shape == Shape::Request,
        );
        assert!(
            ask(&function, shape, event)
                .await
                .lets_through("GET", "/pets"),
            "{shape:?}"
        );
        // The default header is no longer read.
        let event = shape.event(Some(&credential), "GET", "/pets", "GET /pets");
        assert!(
            matches!(ask(&function, shape, event).await, Answer::Unauthorized),
            "{shape:?}"
        );
    }
    // HTTP API 2.0 without identity sources falls back to the header.
    let mut event = Shape::Http2.event(None, "GET", "/pets", "GET /pets");
    event["headers"]["x-api-token"] = json!(credential);
    assert!(
        ask(&function, Shape::Http2, event)
            .await
            .lets_through("GET", "/pets")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_rules_fail_init_naming_the_rule() {
    for (rules, message) in [
        (
            r#"[{"method":"GET","path":"/pets"},{"method":"GET","path":"/pets/"}]"#,
            "AUTHZ_RULES: rules[1] (GET /pets/): path must not end with `/`",
        ),
        (
            r#"[{"path":"/a","anyGroup":["admins"]}]"#,
            "AUTHZ_RULES: rules[0]: unknown field `anyGroup`",
        ),
        (
            r#"[{"path":"/a","anyGroups":[]}]"#,
            "AUTHZ_RULES: rules[0] (* /a): anyGroups is empty; leave it out to admit every verified caller",
        ),
        ("/no/such/rules.json", "AUTHZ_RULES: is neither inline JSON"),
        (
            r#"[{"path":"/admin;x"}]"#,
            "AUTHZ_RULES: rules[0] (* /admin;x): segment 1 holds an encoded separator or dot",
        ),
        // One rule IAM cannot express alone is named once, with what is
        // wrong with it.
        (
            r#"[{"method":"GET","path":"/{x}/b/{p+}"}]"#,
            "AUTHZ_RULES: rules[0] (GET /{x}/b/{p+}) cannot be expressed by a stage-wide policy",
        ),
    ] {
        let mut function = with_rules(rules).start().await;
        let report = function.init_error().await;
        assert_eq!(report.error_type, "ConfigError", "{rules}");
        assert!(
            report.error_message.starts_with(message),
            "{rules}: {}",
            report.error_message
        );
    }

    // Too long for an environment variable (and Lambda allows 4 KB of them
    // in all): large rule sets come as a file.
    let ten_thousand = format!("[{}]", vec![r#"{"path":"/a"}"#; 10_000].join(","));
    let file = std::env::temp_dir().join(format!("authz-rules-10000-{}.json", std::process::id()));
    std::fs::write(&file, ten_thousand).unwrap();
    let mut function = with_rules(&file.display().to_string()).start().await;
    let report = function.init_error().await;
    assert_eq!(
        report.error_message,
        "AUTHZ_RULES: has more than 1000 rules; at most 1000 are allowed"
    );
    std::fs::remove_file(&file).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_that_is_no_authorizer_event_is_a_500_not_a_401() {
    let function = launch().start().await;
    let invoked = function
        .invoke(json!({"version": "1", "triggerSource": "PreSignUp_SignUp", "request": {}, "response": {}}))
        .await;
    let report = invoked.error();
    assert_eq!(report.error_type, "InvalidEvent");
    assert_ne!(report.error_message, "Unauthorized");

    let credential = format!("Bearer {}", access(&[]).build());
    let mut event = Shape::Token.event(Some(&credential), "GET", "/", "GET /");
    event["methodArn"] = json!("arn:aws:lambda:us-east-1:123456789012:function:f");
    assert_eq!(
        function.invoke(event).await.error().error_type,
        "InvalidEvent"
    );
}

/// A method ARN whose stage is no name API Gateway allows (1 to 128
/// letters, digits, `-` and `_`, or an HTTP API's `$default`) is no event
/// API Gateway sent: a 500, never a policy written under that stage.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stage_name_api_gateway_does_not_allow_is_a_500() {
    let function = with_rules(PET_RULES).start().await;
    let credential = format!("Bearer {}", access(&[]).build());
    let longest = "s".repeat(128);
    for shape in REST_SHAPES {
        for stage in ["pro.d", "p?d", "p*d", "a;b", "$defaults", &"s".repeat(129)] {
            let mut event = shape.event(Some(&credential), "GET", "/pets", "GET /pets");
            event["methodArn"] = json!(format!("{API}/{stage}/GET/pets"));
            assert_eq!(
                function.invoke(event).await.error().error_type,
                "InvalidEvent",
                "{shape:?} {stage}"
            );
        }
        for stage in ["$default", "dev_2-b", longest.as_str()] {
            let mut event = shape.event(Some(&credential), "GET", "/pets", "GET /pets");
            event["methodArn"] = json!(format!("{API}/{stage}/GET/pets"));
            let answer = ask(&function, shape, event).await;
            assert!(
                iam_allows(
                    &answer.policy()["policyDocument"],
                    &format!("{API}/{stage}/GET/pets")
                ),
                "{shape:?} {stage}"
            );
        }
    }
    let function = launch().env("TOKEN_QUERY_PARAMETER", "token").start().await;
    let mut event = Shape::WebSocket.event(Some(&credential), "GET", "/", "$connect");
    event["methodArn"] = json!(format!("{API}/pro.d/$connect"));
    assert_eq!(
        function.invoke(event).await.error().error_type,
        "InvalidEvent"
    );
}
