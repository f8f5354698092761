//! API Gateway reuses an answer for other calls: in the `stage` scope for
//! every route, in the `route` scope for the same verb and resource. These
//! tests evaluate each answer against every other route of a fixed table.

use super::*;

/// The routes of the cache test: a verb, a concrete path, and the route key
/// an HTTP API would have declared for it.
const ROUTES: [(&str, &str, &str); 10] = [
    ("GET", "/pets", "GET /pets"),
    ("POST", "/pets", "POST /pets"),
    ("GET", "/pets/42", "GET /pets/{id}"),
    ("DELETE", "/pets/42", "DELETE /pets/{id}"),
    ("GET", "/pets/42/secrets", "GET /pets/{id}/secrets"),
    ("PUT", "/pets/42/secrets", "ANY /pets/{id}/secrets"),
    ("GET", "/admin/users", "ANY /admin/{proxy+}"),
    ("DELETE", "/admin/users/7", "ANY /admin/{proxy+}"),
    ("GET", "/", "GET /"),
    ("GET", "/orders", "GET /orders"),
];

/// In the `stage` scope, API Gateway may reuse one answer for every route
/// (a TOKEN authorizer caches per token). For each caller, the policy issued
/// for any route A must answer route B exactly as the rules do: the same as
/// the policy issued for B itself, and the same as the HTTP API's per-route
/// answer for B.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_built_for_one_route_answers_every_other_route_correctly() {
    let function = with_rules(PET_RULES).start().await;
    // What the rules say, written out by hand: `{id}` is one segment, so no
    // rule names `/pets/42/secrets` and it is refused to everyone.
    let expected = |caller: &str, verb: &str, path: &str| -> bool {
        match (verb, path) {
            ("GET", "/pets") | ("GET", "/pets/42") => true,
            ("POST", "/pets") => caller == "writer",
            (_, p) if p.starts_with("/admin/") => caller == "admin",
            _ => false,
        }
    };
    for (caller, token) in callers() {
        let credential = format!("Bearer {}", token.build());
        let mut policies = Vec::new();
        for (verb, path, route_key) in ROUTES {
            let event = Shape::Token.event(Some(&credential), verb, path, route_key);
            policies.push(ask(&function, Shape::Token, event).await);
        }
        for route @ (verb, path, route_key) in ROUTES {
            let want = expected(caller, verb, path);
            let http = ask_route(&function, Shape::Http2, &credential, route).await;
            assert_eq!(
                http.lets_through(verb, path),
                want,
                "{caller}: HTTP API {verb} {route_key}"
            );
            for (a, cached) in policies.iter().enumerate() {
                assert_eq!(
                    cached.lets_through(verb, path),
                    want,
                    "{caller}: the policy issued for {:?} answers {verb} {path} wrongly",
                    ROUTES[a]
                );
            }
        }
        // Every route's policy is the same document: nothing in it depends on
        // the route that triggered it.
        for policy in &policies[1..] {
            assert_eq!(policy.policy(), policies[0].policy(), "{caller}");
        }
    }
}

/// In the `route` scope, API Gateway reuses an answer only for calls of the
/// same verb to the same resource (the template's REQUEST authorizer is
/// cached on the token, `context.httpMethod` and `context.resourcePath`).
/// For those the answer must be exact, and for every other call it may
/// refuse but never allow what the rules refuse, so that a cache keyed on
/// less can only cost a 403.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_route_scoped_answer_is_exact_for_its_resource_and_never_too_generous() {
    let function = with_route_rules(NESTED_PET_RULES).start().await;
    let expected = |caller: &str, verb: &str, path: &str| -> bool {
        let admin = caller == "admin";
        let one_pet = path
            .strip_prefix("/pets/")
            .is_some_and(|id| !id.contains('/'));
        match (verb, path) {
            ("GET", "/pets") => true,
            ("GET", _) if one_pet => true,
            ("POST", "/pets") => caller == "writer",
            // Only the secrets rule matches (any verb, admins).
            (_, "/pets/42/secrets") => admin,
            (_, p) if p.starts_with("/admin/") => admin,
            _ => false,
        }
    };
    let calls: Vec<(&str, &str, &str)> = ROUTES
        .into_iter()
        .chain([
            ("GET", "/pets/7", "GET /pets/{id}"),
            ("POST", "/admin/x/y", "ANY /admin/{proxy+}"),
        ])
        .collect();
    for (caller, token) in callers() {
        let credential = format!("Bearer {}", token.build());
        for (verb, path, route_key) in calls.iter().copied() {
            let answer = ask_route(
                &function,
                Shape::Request,
                &credential,
                (verb, path, route_key),
            )
            .await;
            for (other_verb, other_path, other_key) in calls.iter().copied() {
                let want = expected(caller, other_verb, other_path);
                let got = answer.lets_through(other_verb, other_path);
                assert!(
                    !got || want,
                    "{caller}: the answer for {verb} {path} lets {other_verb} {other_path} through"
                );
                if other_verb == verb && route_path(other_key) == route_path(route_key) {
                    assert_eq!(
                        got, want,
                        "{caller}: {verb} {path} then {other_verb} {other_path}"
                    );
                }
            }
        }
    }
}

fn callers() -> [(&'static str, TokenBuilder); 3] {
    [
        ("user", access(&["users"])),
        ("writer", access(&[]).scopes(&["pets/write"])),
        ("admin", access(&["admins"])),
    ]
}
