//! HTTP API 2.0 simple answers: `isAuthorized` with a flat context, a refusal
//! for unusable credentials and refused routes, and the per-route-key cache:
//! a route is refused when any path or verb it receives is refused, and an
//! API cached without the route key fails closed.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_token_without_rules_is_authorized_on_http_v2_with_a_flat_context() {
    let function = launch().start().await;
    let token = access(&[]);
    let credential = format!("Bearer {}", token.build());
    let answer = ask_route(
        &function,
        Shape::Http2,
        &credential,
        ("DELETE", "/x/y", "$default"),
    )
    .await;
    assert_eq!(
        answer.simple(),
        &json!({
            "isAuthorized": true,
            "context": {
                "sub": sub_of(&token),
                "username": "alice",
                "client_id": CLIENT,
                "token_use": "access",
                "principal_type": "user",
                "user_pool_id": POOL,
                "groups": "[]",
                "groups_truncated": false,
                "scopes": "aws.cognito.signin.user.admin",
                "scopes_truncated": false
            }
        })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unusable_credentials_are_not_authorized_on_http_v2() {
    let function = launch().start().await;
    for (label, credential) in unusable_credentials() {
        let event = Shape::Http2.event(credential.as_deref(), "GET", "/pets", "GET /pets");
        let answer = ask(&function, Shape::Http2, event).await;
        assert_eq!(answer.simple(), &json!({"isAuthorized": false}), "{label}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_route_the_rules_do_not_permit_is_not_authorized_on_http_v2() {
    let function = with_route_rules(NESTED_PET_RULES).start().await;
    let credential = format!("Bearer {}", access(&["users"]).build());
    let ask_http2 = |verb: &'static str, route_key: &'static str| {
        let event = Shape::Http2.event(Some(&credential), verb, "/ignored", route_key);
        ask(&function, Shape::Http2, event)
    };
    for (verb, route_key) in [
        ("DELETE", "ANY /admin/{proxy+}"),
        ("POST", "POST /pets"),
        ("GET", "GET /pets/{id}/secrets"),
        ("GET", "$default"),
    ] {
        assert_eq!(
            ask_http2(verb, route_key).await.simple(),
            &json!({"isAuthorized": false}),
            "{verb} {route_key}"
        );
    }
    assert_eq!(
        ask_http2("GET", "GET /pets/{id}").await.simple()["isAuthorized"],
        true
    );
    // The identity sources above hold the route key: nothing to warn about.
    assert!(
        !function
            .logs()
            .iter()
            .any(|line| line.contains("$context.routeKey"))
    );
}

/// The review's case. HTTP API 2.0 caches its answer per token and route
/// key, so the answer for `GET /pets/{proxy+}` is reused for every path that
/// route receives: it must be a refusal for a caller whom REST would refuse
/// `GET /pets/1/secrets`, even though the route template does not match the
/// secrets rule as text. `GET /pets/{id}` never receives that path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_route_is_refused_when_any_path_it_receives_is_refused() {
    let function = with_route_rules(
        r#"[{"method":"GET","path":"/pets/{id}"},
            {"method":"GET","path":"/pets/{id}/secrets","anyGroups":["admins"]}]"#,
    )
    .start()
    .await;
    for (caller, token) in [("user", access(&["users"])), ("admin", access(&["admins"]))] {
        let admin = caller == "admin";
        let credential = format!("Bearer {}", token.build());

        // What REST decides, path by path.
        let rest = |path: &'static str, route_key: &'static str| {
            let event = Shape::Request.event(Some(&credential), "GET", path, route_key);
            ask(&function, Shape::Request, event)
        };
        let secrets = rest("/pets/1/secrets", "GET /pets/{id}/secrets").await;
        assert_eq!(
            secrets.lets_through("GET", "/pets/1/secrets"),
            admin,
            "{caller}"
        );
        let pet = rest("/pets/1", "GET /pets/{id}").await;
        assert!(pet.lets_through("GET", "/pets/1"), "{caller}");

        let http = |verb: &'static str, path: &'static str, route_key: &'static str| {
            let event = Shape::Http2.event(Some(&credential), verb, path, route_key);
            ask(&function, Shape::Http2, event)
        };
        // The greedy route: one answer for all its paths, whichever comes
        // first (API Gateway would reuse it from the cache). `{id}` is one
        // segment, so no rule covers `/pets/a/b/c`: refused to everyone.
        for path in ["/pets/1/secrets", "/pets/1"] {
            let answer = http("GET", path, "GET /pets/{proxy+}").await;
            assert_eq!(
                answer.simple()["isAuthorized"],
                json!(false),
                "{caller}: GET {path} through GET /pets/{{proxy+}}"
            );
        }
        let answer = http("GET", "/pets/1", "GET /pets/{id}").await;
        assert_eq!(answer.simple()["isAuthorized"], json!(true), "{caller}");
        let answer = http("GET", "/pets/1/secrets", "GET /pets/{id}/secrets").await;
        assert_eq!(answer.simple()["isAuthorized"], json!(admin), "{caller}");
        // `$default` takes every verb and path; no rule covers that.
        let answer = http("GET", "/pets/1", "$default").await;
        assert_eq!(answer.simple()["isAuthorized"], json!(false), "{caller}");
    }
}

/// An `ANY` route key covers every verb, and the cache reuses its answer
/// for all of them: a GET must not earn an answer that a DELETE then reuses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_any_route_is_answered_for_every_verb_it_takes() {
    let function = with_rules(
        r#"[{"method":"GET","path":"/pets/{id}"},
            {"method":"DELETE","path":"/pets/{id}","anyGroups":["admins"]},
            {"path":"/files/{proxy+}"}]"#,
    )
    .start()
    .await;
    let credential = format!("Bearer {}", access(&["users"]).build());
    for (verb, path, route_key, want) in [
        ("GET", "/pets/1", "GET /pets/{id}", true),
        ("DELETE", "/pets/1", "DELETE /pets/{id}", false),
        // REST would allow this GET, but the answer would be cached for the
        // DELETE through the same route key.
        ("GET", "/pets/1", "ANY /pets/{id}", false),
        ("DELETE", "/pets/1", "ANY /pets/{id}", false),
        ("PATCH", "/files/a/b", "ANY /files/{proxy+}", true),
    ] {
        let route = (verb, path, route_key);
        let answer = ask_route(&function, Shape::Http2, &credential, route).await;
        assert_eq!(
            answer.simple()["isAuthorized"],
            json!(want),
            "{verb} {path} through {route_key}"
        );
    }
}

/// HTTP API 2.0 caches per identity-source values. Without the route key
/// among them, one answer is reused for every route, so only a caller
/// allowed everything is authorized, and the function says why, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_api_cached_without_the_route_key_fails_closed() {
    let function = with_rules(PET_RULES).start().await;
    let credential = format!("Bearer {}", access(&["users"]).build());
    let without_route_key = |verb: &str, path: &str, route_key: &str| {
        let mut event = Shape::Http2.event(Some(&credential), verb, path, route_key);
        event["identitySource"] = json!([credential]);
        event
    };
    for (verb, path, route_key) in [
        ("GET", "/pets/1", "GET /pets/{id}"),
        ("GET", "/pets", "GET /pets"),
    ] {
        let with_key = Shape::Http2.event(Some(&credential), verb, path, route_key);
        assert!(
            ask(&function, Shape::Http2, with_key)
                .await
                .lets_through(verb, path)
        );
        let answer = ask(
            &function,
            Shape::Http2,
            without_route_key(verb, path, route_key),
        )
        .await;
        assert_eq!(
            answer.simple(),
            &json!({"isAuthorized": false}),
            "{route_key}"
        );
    }
    // A caller who sends the route key's text in a header of their own (an
    // identity source such as `$request.header.X-Org`) proves nothing about
    // the cache key: still only what holds for every route.
    let mut spoofed = Shape::Http2.event(Some(&credential), "GET", "/pets/1", "GET /pets/{id}");
    spoofed["headers"]["x-org"] = json!("GET /pets/{id}");
    let answer = ask(&function, Shape::Http2, spoofed).await;
    assert_eq!(answer.simple(), &json!({"isAuthorized": false}));
    let mut in_query = Shape::Http2.event(Some(&credential), "GET", "/pets/1", "GET /pets/{id}");
    in_query["queryStringParameters"] = json!({"org": "GET /pets/{id}"});
    let answer = ask(&function, Shape::Http2, in_query).await;
    assert_eq!(answer.simple(), &json!({"isAuthorized": false}));
    // However API Gateway decodes a query value for an identity source
    // (`+` or `%20` for the space, `%2F` for `/`), and whatever it puts in
    // `queryStringParameters`, the raw query string gives the caller away;
    // so do values joined with commas and a route key sent as a name.
    for (raw, parsed) in [
        (
            "org=GET+%2Fpets%2F%7Bid%7D",
            json!({"org": "GET+/pets/{id}"}),
        ),
        ("org=GET%20/pets/%7Bid%7D", json!({"org": "GET /pets/{id}"})),
        (
            "org=GET+/pets/{id}&org=x",
            json!({"org": "GET+/pets/{id},x"}),
        ),
        ("GET%20/pets/{id}", json!({"GET /pets/{id}": ""})),
    ] {
        let mut encoded = Shape::Http2.event(Some(&credential), "GET", "/pets/1", "GET /pets/{id}");
        encoded["rawQueryString"] = json!(raw);
        encoded["queryStringParameters"] = parsed;
        let answer = ask(&function, Shape::Http2, encoded).await;
        assert_eq!(answer.simple(), &json!({"isAuthorized": false}), "{raw}");
    }
    let mut joined = Shape::Http2.event(Some(&credential), "GET", "/pets/1", "GET /pets/{id}");
    joined["headers"]["x-org"] = json!("GET /pets/{id},other");
    let answer = ask(&function, Shape::Http2, joined).await;
    assert_eq!(answer.simple(), &json!({"isAuthorized": false}));
    let warnings = function
        .logs()
        .iter()
        .filter(|line| line.contains("do not include $context.routeKey"))
        .count();
    assert_eq!(warnings, 1);

    // A caller the rules allow everything keeps working with such a cache.
    let everything = with_rules(r#"[{"path":"/{proxy+}"},{"path":"/"}]"#)
        .start()
        .await;
    let answer = ask(
        &everything,
        Shape::Http2,
        without_route_key("DELETE", "/x/y", "ANY /{proxy+}"),
    )
    .await;
    assert_eq!(answer.simple()["isAuthorized"], true);
}
