//! API Gateway's size limits: no resource ARN over 512 characters, and a
//! thousand rules with a token full of long group names still answered
//! within 8,000 bytes, with the cut lists said to be cut.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resource_arns_never_exceed_512_characters() {
    // A 300-character rule path fits with any real stage name.
    let long_path = format!("/{}", "p".repeat(299));
    let rules = format!(
        r#"[{{"method": "GET", "path": "{long_path}"}}, {{"method": "GET", "path": "/pets"}}]"#
    );
    let function = with_rules(&rules).start().await;
    let credential = format!("Bearer {}", access(&[]).build());
    let answer = ask_route(&function, Shape::Token, &credential, LIST_PETS).await;
    assert!(answer.lets_through("GET", &long_path));
    assert!(answer.lets_through("GET", "/pets"));

    // The longest stage API Gateway allows (128 characters) still fits the
    // longest rule path within 512.
    let longest_stage = "s".repeat(128);
    let mut event = Shape::Token.event(Some(&credential), "GET", "/pets", "GET /pets");
    event["methodArn"] = json!(format!("{API}/{longest_stage}/GET/pets"));
    let answer = ask(&function, Shape::Token, event).await;
    let policy = &answer.policy()["policyDocument"];
    assert!(iam_allows(
        policy,
        &format!("{API}/{longest_stage}/GET{long_path}")
    ));
    for (_, resource) in resources(policy) {
        assert!(resource.len() <= 512, "{resource}");
    }

    // Init assumes stages of up to 32 characters; with a 128-character one,
    // fifty allowed rules no longer fit 8,000 bytes, and an answer that
    // leaves a rule out would not be exact, so it is an explicit Deny of the
    // stage, logged as an error.
    let rules: Vec<Value> = (0..50)
        .map(|i| json!({"method": "GET", "path": format!("/p{i:02}")}))
        .collect();
    let function = with_rules(&Value::Array(rules).to_string()).start().await;
    let answer = ask_route(
        &function,
        Shape::Token,
        &credential,
        ("GET", "/p01", "GET /p01"),
    )
    .await;
    assert!(answer.lets_through("GET", "/p01"));
    let mut event = Shape::Token.event(Some(&credential), "GET", "/p01", "GET /p01");
    event["methodArn"] = json!(format!("{API}/{longest_stage}/GET/p01"));
    let answer = ask(&function, Shape::Token, event).await;
    let policy = &answer.policy()["policyDocument"];
    assert_eq!(
        resources(policy),
        [("Deny".to_owned(), format!("{API}/{longest_stage}/*/*"))]
    );
    function
        .wait_for_log_containing("would break API Gateway's limits")
        .await;

    // A stage longer than API Gateway allows (here 490 characters, too long
    // even for the stage-wide Allow) is no event it sent: refused before any
    // policy is written under it.
    let function = launch().start().await;
    let stage = "s".repeat(490);
    let mut event = Shape::Request.event(Some(&credential), "GET", "/pets", "GET /pets");
    event["methodArn"] = json!(format!("{API}/{stage}/GET/pets"));
    assert_eq!(
        function.invoke(event).await.error().error_type,
        "InvalidEvent"
    );
}

/// 1,000 rules cannot share one stage-wide answer: init refuses them naming
/// the variable and the mode. In the `route` scope they start, and a caller
/// with the most 100-character groups a token may carry (the verifier
/// refuses tokens over 8 KiB, so a group list that would not fit a token
/// never reaches the context) gets answers within 8,000 bytes, exact for
/// the call, with the lists cut and said to be cut.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_rules_and_a_token_full_of_long_group_names_fit() {
    let group = |i: usize| format!("{i:03}-{}", "g".repeat(96));
    let rules: Vec<Value> = (0..1000)
        .map(|i| {
            json!({"method": "GET", "path": format!("/r{}/{{id}}/x{i}", i % 50),
                   "anyGroups": [group(i % 300)]})
        })
        .collect();
    let file = std::env::temp_dir().join(format!("authz-1000-rules-{}.json", std::process::id()));
    std::fs::write(&file, Value::Array(rules).to_string()).unwrap();
    let rules_path = file.display().to_string();

    let mut refused = with_rules(&rules_path).start().await;
    let report = refused.init_error().await;
    assert!(
        report
            .error_message
            .starts_with("AUTHZ_RULES: can produce a stage-wide policy of")
            && report
                .error_message
                .contains("set AUTHZ_POLICY_SCOPE=route"),
        "{}",
        report.error_message
    );

    let function = with_route_rules(&rules_path).start().await;
    // As many groups as an 8 KiB token holds.
    let mut count = 0;
    while access(&[])
        .groups(
            &(0..=count)
                .map(group)
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        )
        .build()
        .len()
        <= 8192
    {
        count += 1;
    }
    let names: Vec<String> = (0..count).map(group).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let token = access(&names).scopes(&["openid", "pets/read"]);
    let credential = format!("Bearer {}", token.build());
    assert!(count > 50, "{count}");
    for (verb, path, route_key, want) in [
        ("GET", "/r7/1/x7", "GET /r7/{id}/x7", true),
        ("GET", "/r7/1/x1007", "GET /r7/{id}/x1007", false),
        ("GET", "/r7/1/x357", "GET /r7/{id}/x357", false),
        ("GET", "/r7/1/x7/deeper", "GET /r7/{id}/x7/deeper", false),
    ] {
        for shape in [Shape::Request, Shape::Http2] {
            let answer = ask_route(&function, shape, &credential, (verb, path, route_key)).await;
            let size = answer_size(&answer);
            assert!(size <= 8000, "{shape:?} {path}: {size}");
            assert_eq!(answer.lets_through(verb, path), want, "{shape:?} {path}");
            let context = match &answer {
                Answer::Policy(value) | Answer::Simple(value) => &value["context"],
                Answer::Unauthorized => panic!("unauthorized"),
            };
            if context.is_null() {
                continue;
            }
            let kept: Vec<String> =
                serde_json::from_str(context["groups"].as_str().unwrap()).unwrap();
            assert_eq!(kept[..], names[..kept.len()]);
            assert_eq!(context["groups_truncated"], json!(kept.len() < names.len()));
            assert!(
                size > 6000 || context["groups_truncated"] == json!(false),
                "{size}"
            );
        }
    }
    std::fs::remove_file(&file).unwrap();
}
