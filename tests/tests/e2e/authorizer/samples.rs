//! The committed sample events (`events/authorizer/`): each gives the
//! outcome its name promises.

use super::*;

/// Every committed sample, with a freshly minted token in place of
/// `{{TOKEN}}` and the rules of `functions/authorizer/rules.example.json`,
/// gives the outcome its name
/// promises: `-allow` lets its route through, `-forbidden` is a 403 for its
/// route, `-unauthorized` is a 401 (`isAuthorized: false` on HTTP API 2.0).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sample_event_gives_the_outcome_its_name_promises() {
    let rules = workspace_root().join("functions/authorizer/rules.example.json");
    let function = with_rules(&rules.display().to_string())
        .env("TOKEN_QUERY_PARAMETER", "token")
        .start()
        .await;
    let token = access(&["users"]).build();
    let dir = workspace_root().join("events/authorizer");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".json"))
        .collect();
    names.sort();
    assert!(names.len() >= 9, "{names:?}");
    for name in &names {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        let event: Value = serde_json::from_str(&text.replace("{{TOKEN}}", &token)).unwrap();
        let shape = match name.split('-').next().unwrap() {
            "token" => Shape::Token,
            "request" => Shape::Request,
            "http1" => Shape::Http1,
            "http2" => Shape::Http2,
            "websocket" => Shape::WebSocket,
            other => panic!("{name}: unknown kind {other}"),
        };
        let answer = ask(&function, shape, event.clone()).await;
        let route_allowed = match (&answer, shape) {
            (Answer::Unauthorized, _) => None,
            (Answer::Simple(simple), _) => Some(simple["isAuthorized"] == json!(true)),
            (Answer::Policy(policy), _) => Some(iam_allows(
                &policy["policyDocument"],
                event["methodArn"].as_str().unwrap(),
            )),
        };
        let expected = if name.ends_with("-allow.json") {
            Some(true)
        } else if name.ends_with("-forbidden.json") {
            Some(false)
        } else if name.ends_with("-unauthorized.json") {
            None
        } else {
            panic!("{name}: name it -allow, -forbidden or -unauthorized")
        };
        if shape == Shape::Http2 && expected.is_none() {
            assert_eq!(answer.simple(), &json!({"isAuthorized": false}), "{name}");
        } else {
            assert_eq!(route_allowed, expected, "{name}: {answer:?}");
        }
    }
}
