//! Machine clients (issue 14): client-credentials tokens are authorized by
//! scope, never by group, and kept off people-only routes.

use super::*;

/// A machine client of the pool, with a secret (client-credentials grant).
const MACHINE: &str = "machineclient7";

/// Machine-to-machine tokens: accepted when `TOKEN_USE` allows access tokens
/// and the client is allowed, authorized by scope, never by group, and kept
/// off a people-only route; `principalId` is the client id and the context
/// says it is a client, with no username.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn machine_clients_are_authorized_by_scope_and_kept_off_people_only_routes() {
    let rules = r#"[
        {"method": "GET", "path": "/orders", "allScopes": ["orders/read"]},
        {"method": "POST", "path": "/orders", "allScopes": ["orders/write"]},
        {"method": "GET", "path": "/me", "principalTypes": ["user"]},
        {"method": "GET", "path": "/admin", "anyGroups": ["admins"]}
    ]"#;
    let function = launch()
        .env("APP_CLIENT_IDS", format!("{CLIENT},{MACHINE}"))
        .env("AUTHZ_RULES", rules)
        .start()
        .await;
    let machine = TokenBuilder::client_credentials(POOL, MACHINE, &["orders/read"]);
    let credential = format!("Bearer {}", machine.build());
    for shape in [Shape::Token, Shape::Request, Shape::Http2] {
        for (verb, path, route_key, want) in [
            ("GET", "/orders", "GET /orders", true),
            ("POST", "/orders", "POST /orders", false),
            ("GET", "/me", "GET /me", false),
            ("GET", "/admin", "GET /admin", false),
        ] {
            let answer = ask_route(&function, shape, &credential, (verb, path, route_key)).await;
            assert_eq!(
                answer.lets_through(verb, path),
                want,
                "{shape:?} {verb} {path}"
            );
            let value = match &answer {
                Answer::Policy(value) => {
                    assert_eq!(value["principalId"], MACHINE);
                    value
                }
                Answer::Simple(value) if want => value,
                _ => continue,
            };
            let context = &value["context"];
            assert_eq!(context["principal_type"], "client", "{shape:?}");
            assert_eq!(context["client_id"], MACHINE);
            assert_eq!(context["scopes"], "orders/read");
            assert!(context.get("username").is_none(), "{context}");
        }
    }
    // A person with the same scope: the people-only route is theirs.
    let person = access(&[]).scopes(&["orders/read"]);
    let credential = format!("Bearer {}", person.build());
    let answer = ask_route(&function, Shape::Token, &credential, GET_ME).await;
    assert!(answer.lets_through("GET", "/me") && answer.lets_through("GET", "/orders"));
    assert_eq!(answer.policy()["context"]["principal_type"], "user");
    // An unknown machine client is refused like any unknown client.
    let stranger = TokenBuilder::client_credentials(POOL, "otherclient", &["orders/read"]);
    let answer = ask(
        &function,
        Shape::Token,
        Shape::Token.event(
            Some(&format!("Bearer {}", stranger.build())),
            "GET",
            "/orders",
            "GET /orders",
        ),
    )
    .await;
    assert!(matches!(answer, Answer::Unauthorized));
}
