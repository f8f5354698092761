//! Which credentials get through, on every kind of event: access and ID
//! tokens (the ID token's email in the context), `Bearer` in any casing or a
//! bare JWT, and a repeated `Authorization` header refused. What the
//! credentials earn on each kind is in `rest` and `http_api`.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn id_tokens_carry_the_email_in_the_context() {
    let function = launch().env("TOKEN_USE", "id").start().await;
    let token = TokenBuilder::id(POOL, CLIENT).groups(&["users"]);
    let credential = format!("Bearer {}", token.build());
    for shape in ALL_SHAPES {
        let answer = ask_route(&function, shape, &credential, LIST_PETS).await;
        let context = match &answer {
            Answer::Policy(answer) | Answer::Simple(answer) => &answer["context"],
            Answer::Unauthorized => panic!("{shape:?}: unauthorized"),
        };
        assert_eq!(context["email"], "alice@example.com", "{shape:?}");
        assert_eq!(context["email_verified"], true, "{shape:?}");
        assert_eq!(context["token_use"], "id", "{shape:?}");
        assert_eq!(context["groups"], r#"["users"]"#, "{shape:?}");
        assert!(
            context
                .as_object()
                .unwrap()
                .values()
                .all(|v| v.is_string() || v.is_boolean()),
            "{shape:?}: {context}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_in_any_casing_and_a_bare_jwt_are_accepted_on_every_kind() {
    let function = launch().start().await;
    let jwt = access(&[]).build();
    for credential in [
        format!("Bearer {jwt}"),
        format!("bearer {jwt}"),
        format!("BEARER {jwt}"),
        format!("Bearer   {jwt}"),
        jwt.clone(),
    ] {
        for shape in ALL_SHAPES {
            let answer = ask_route(&function, shape, &credential, GET_ROOT).await;
            assert!(
                answer.lets_through("GET", "/"),
                "{shape:?} {:?}",
                &credential[..10]
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_authorization_header_is_refused() {
    let function = launch().start().await;
    let jwt = access(&[]).build();
    let mut event =
        Shape::Request.event(Some(&format!("Bearer {jwt}")), "GET", "/pets", "GET /pets");
    event["multiValueHeaders"]["Authorization"] =
        json!([format!("Bearer {jwt}"), "Bearer other.token.here"]);
    assert!(matches!(
        ask(&function, Shape::Request, event).await,
        Answer::Unauthorized
    ));
}
