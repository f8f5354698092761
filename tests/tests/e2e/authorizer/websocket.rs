//! WebSocket `$connect`: the token from the query string, a policy for
//! exactly the `$connect` ARN, and neither token nor query string logged.

use super::*;

/// WebSocket `$connect`: the token from the query string, a policy for
/// exactly the `$connect` ARN, `Unauthorized` without a usable token, and
/// neither the token nor the query string in any log line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_connect_is_authorized_from_the_query_string() {
    let function = with_rules(r#"[{"path": "/me"}, {"path": "$connect", "anyGroups": ["users"]}]"#)
        .env("TOKEN_QUERY_PARAMETER", "token")
        .start()
        .await;
    let user = access(&["users"]).build();
    let outsider = access(&["guests"]).build();
    let answer = ask_route(&function, Shape::WebSocket, &user, ("GET", "/", "$connect")).await;
    assert!(answer.connects());
    assert_eq!(
        resources(&answer.policy()["policyDocument"]),
        [("Allow".to_owned(), format!("{API}/{STAGE}/$connect"))]
    );
    // `Bearer ` in a query string works too.
    let bearer = format!("Bearer {user}");
    let answer = ask_route(
        &function,
        Shape::WebSocket,
        &bearer,
        ("GET", "/", "$connect"),
    )
    .await;
    assert!(answer.connects());
    // Verified, but no `$connect` rule admits the caller: 403.
    let answer = ask_route(
        &function,
        Shape::WebSocket,
        &outsider,
        ("GET", "/", "$connect"),
    )
    .await;
    assert!(!answer.connects());
    assert_eq!(
        resources(&answer.policy()["policyDocument"]),
        [("Deny".to_owned(), format!("{API}/{STAGE}/$connect"))]
    );
    // No token, a bad one, a tampered one: 401.
    for credential in [None, Some("not-a-token".to_owned()), Some(tamper(&user))] {
        let event = Shape::WebSocket.event(credential.as_deref(), "GET", "/", "$connect");
        assert!(matches!(
            ask(&function, Shape::WebSocket, event).await,
            Answer::Unauthorized
        ));
    }
    // Without rules, any verified caller connects.
    let open = launch().env("TOKEN_QUERY_PARAMETER", "token").start().await;
    let answer = ask_route(&open, Shape::WebSocket, &outsider, ("GET", "/", "$connect")).await;
    assert!(answer.connects());
    // Headers only unless the parameter is configured.
    let headers_only = launch().start().await;
    let event = Shape::WebSocket.event(Some(&user), "GET", "/", "$connect");
    assert!(matches!(
        ask(&headers_only, Shape::WebSocket, event).await,
        Answer::Unauthorized
    ));

    for function in [&function, &open, &headers_only] {
        for line in function.logs() {
            for secret in [user.as_str(), outsider.as_str(), "token="] {
                assert!(
                    !line.contains(secret),
                    "a log line holds a credential or the query string: {line}"
                );
            }
            for part in user.split('.') {
                assert!(
                    !line.contains(part),
                    "a log line holds part of the token: {line}"
                );
            }
        }
    }
}
