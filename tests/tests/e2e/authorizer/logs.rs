//! Logs: no log line contains the token, whatever the outcome.

use super::*;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_log_line_contains_the_token() {
    // The most verbose level, so that nothing hides below the default.
    let function = with_rules(PET_RULES).env("RUST_LOG", "trace").start().await;
    let good = access(&["users"]);
    let tokens = [
        good.build(),
        good.clone().lifetime(-3600).build(),
        good.clone().signed_by(Signer::Rsa(DevKey::Two)).build(),
        tamper(&good.build()),
        TokenBuilder::access(POOL, "otherclient").build(),
    ];
    for token in &tokens {
        for shape in ALL_SHAPES {
            for credential in [
                format!("Bearer {token}"),
                token.clone(),
                format!("Basic {token}"),
            ] {
                let event = shape.event(Some(&credential), "GET", "/pets/1", "GET /pets/{id}");
                ask(&function, shape, event).await;
            }
        }
    }
    // Make sure the last invocation's lines are in.
    function.wait_for_log_containing("client_not_allowed").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let logs = function.logs();
    assert!(!logs.is_empty());
    for token in &tokens {
        let parts: Vec<&str> = token.split('.').collect();
        for line in &logs {
            assert!(
                !line.contains(token.as_str()),
                "a log line holds a token: {line}"
            );
            // No segment either: the signature, or the payload (the claims).
            assert!(
                !line.contains(parts[2]),
                "a log line holds a signature: {line}"
            );
            assert!(
                !line.contains(parts[1]),
                "a log line holds a payload: {line}"
            );
        }
    }
    // The reasons and the caller are there instead.
    let text = logs.join("\n");
    for reason in [
        "token_expired",
        "unknown_kid",
        "invalid_signature",
        "client_not_allowed",
        "malformed_authorization",
    ] {
        assert!(
            text.contains(reason),
            "no log line gives the reason {reason}"
        );
    }
    assert!(
        text.contains(&sub_of(&good)),
        "no log line names the caller's sub"
    );
    assert!(text.contains("GET /pets/1"), "no log line names the route");
}
