//! How rules match routes: `{proxy+}`, the root and path parameters on every
//! kind, and encoded slashes, double slashes, dot segments and other casings
//! that must never get past a rule.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_root_and_path_parameters_match_on_every_kind() {
    let function = with_rules(
        r#"[
            {"method": "GET", "path": "/"},
            {"method": "ANY", "path": "/files/{proxy+}"},
            {"method": "GET", "path": "/pets/{petId}/photos/{photoId}"}
        ]"#,
    )
    .start()
    .await;
    let credential = format!("Bearer {}", access(&[]).build());
    let cases = [
        ("GET", "/", "GET /", true),
        ("POST", "/", "POST /", false),
        ("GET", "/files/a", "ANY /files/{proxy+}", true),
        ("DELETE", "/files/a/b/c.txt", "ANY /files/{proxy+}", true),
        ("GET", "/files", "GET /files", false),
        (
            "GET",
            "/pets/1/photos/2",
            "GET /pets/{id}/photos/{photoId}",
            true,
        ),
        ("GET", "/pets/1/photos", "GET /pets/{id}/photos", false),
        ("GET", "/other", "$default", false),
    ];
    let policy = ask_route(&function, Shape::Request, &credential, GET_ROOT).await;
    let resources = resources(&policy.policy()["policyDocument"]);
    assert!(
        resources.contains(&("Allow".to_owned(), format!("{API}/{STAGE}/GET/"))),
        "{resources:?}"
    );
    assert!(
        resources.contains(&(
            "Allow".to_owned(),
            format!("{API}/{STAGE}/GET/pets/*/photos/*")
        )),
        "{resources:?}"
    );
    for (verb, path, route_key, want) in cases {
        assert_eq!(policy.lets_through(verb, path), want, "REST {verb} {path}");
        let route = (verb, path, route_key);
        let http = ask_route(&function, Shape::Http2, &credential, route).await;
        assert_eq!(
            http.lets_through(verb, path),
            want,
            "HTTP API {verb} {route_key}"
        );
    }
}

/// Encoded separators, empty and dot segments and other casings never get
/// past a rule: `{id}` is one segment whatever a backend decodes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encoded_slashes_double_slashes_dot_segments_and_case_are_refused() {
    let rules =
        r#"[{"method":"GET","path":"/pets/{id}"},{"method":"GET","path":"/files/{proxy+}"}]"#;
    let stage = with_rules(rules).start().await;
    let route = with_route_rules(rules).start().await;
    let credential = format!("Bearer {}", access(&[]).build());
    for (path, resource, want) in [
        ("/pets/1", "/pets/{id}", true),
        ("/pets/1%2Fsecrets", "/pets/{id}", false),
        ("/pets/1%2fsecrets", "/pets/{id}", false),
        ("/pets/1%5Csecrets", "/pets/{id}", false),
        ("/pets/1/secrets", "/pets/{id}/secrets", false),
        ("/pets//1", "/pets/{id}", false),
        ("/pets/1/", "/pets/{id}", false),
        ("/pets/..", "/pets/{id}", false),
        ("/Pets/1", "/Pets/{id}", false),
        ("/files/a/b.txt", "/files/{proxy+}", true),
        ("/files/a/../../pets", "/files/{proxy+}", false),
        ("/files/%2E%2E/%2e%2e/admin", "/files/{proxy+}", false),
        ("/files/a%2F..%2F..%2Fadmin", "/files/{proxy+}", false),
    ] {
        let answer = ask_route(
            &stage,
            Shape::Token,
            &credential,
            ("GET", "/pets/1", "GET /pets/{id}"),
        )
        .await;
        assert_eq!(answer.lets_through("GET", path), want, "stage {path}");
        let answer = ask(
            &route,
            Shape::Request,
            Shape::Request.event(Some(&credential), "GET", path, &format!("GET {resource}")),
        )
        .await;
        assert_eq!(answer.lets_through("GET", path), want, "route {path}");
    }
}

/// The issue's example: with `GET /{page}` open to everyone and `GET /admin`
/// kept for admins, paths a backend could read as `/admin` (Tomcat and
/// Spring strip `;`-parameters; a second decoding turns `%25` into `%`;
/// some backends take `\` for `/`) are refused, raw and encoded, in both
/// scopes and every REST-shaped kind. Case is not folded: `/ADMIN` is
/// another page, which is why the backend must route case-sensitively.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paths_a_backend_could_read_as_another_route_are_refused_in_both_scopes() {
    let rules = r#"[{"method":"GET","path":"/{page}"},{"method":"GET","path":"/admin","anyGroups":["admins"]}]"#;
    let stage = with_rules(rules).start().await;
    let route = with_route_rules(rules).start().await;
    let credential = format!("Bearer {}", access(&["users"]).build());
    let cases = [
        ("/home", true),
        ("/ADMIN", true),
        ("/admin", false),
        ("/admin;x", false),
        ("/admin;", false),
        ("/admin%3Bx", false),
        ("/admin%3bx", false),
        ("/home%25", false),
        ("/admin%252F", false),
        ("/adm%2569n", false),
        ("/home\\admin", false),
        ("/home%5Cadmin", false),
    ];
    for shape in REST_SHAPES {
        let answer = ask_route(&stage, shape, &credential, ("GET", "/home", "GET /{page}")).await;
        for (path, want) in cases {
            assert_eq!(
                answer.lets_through("GET", path),
                want,
                "stage {shape:?} {path}"
            );
        }
    }
    for shape in [Shape::Request, Shape::Http1] {
        for (path, want) in cases {
            let resource = if path == "/admin" {
                "GET /admin"
            } else {
                "GET /{page}"
            };
            let event = shape.event(Some(&credential), "GET", path, resource);
            let answer = ask(&route, shape, event).await;
            assert_eq!(
                answer.lets_through("GET", path),
                want,
                "route {shape:?} {path}"
            );
        }
    }
    // An HTTP API route whose own path holds such text is refused whole,
    // even under the open `/{page}`.
    for route_key in ["GET /admin;x", "GET /home%25", "GET /a%3Bb"] {
        let path = route_key.trim_start_matches("GET ");
        let event = Shape::Http2.event(Some(&credential), "GET", path, route_key);
        let answer = ask(&route, Shape::Http2, event).await;
        assert_eq!(
            answer.simple(),
            &json!({"isAuthorized": false}),
            "{route_key}"
        );
    }
}

/// AWS documents IAM's `*` in authorizer policies and is silent on `?`. The
/// only `?` an answer holds is in a lone parameter's `/?*`; read literally,
/// it matches nothing, and no answer then allows more: here a failed
/// `/{p+}` rule's Deny would deny nothing, so the open `/a` rule, which it
/// covers, gets no Allow at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_answer_allows_more_if_api_gateway_reads_a_question_mark_literally() {
    let reading_literally = |answer: &Answer, path: &str| {
        let resources = resources(&answer.policy()["policyDocument"]);
        let arn = method_arn("GET", path);
        let matches = |effect: &str| {
            resources.iter().any(|(e, r)| {
                e == effect
                    && test_kit::iam::matches_reading_question_mark_literally(
                        r.as_bytes(),
                        arn.as_bytes(),
                    )
            })
        };
        !matches("Deny") && matches("Allow")
    };
    let rules = r#"[{"method":"GET","path":"/{p+}","allScopes":["pets/admin"]},{"method":"GET","path":"/a"},{"method":"GET","path":"/"}]"#;
    let stage = with_rules(rules).start().await;
    let credential = format!("Bearer {}", access(&[]).build());
    let answer = ask_route(&stage, Shape::Token, &credential, GET_ROOT).await;
    for (path, want) in [("/", true), ("/a", false), ("/b/c", false)] {
        assert_eq!(answer.lets_through("GET", path), want, "{path}");
        assert!(want || !reading_literally(&answer, path), "{path}");
    }
    assert!(
        !resources(&answer.policy()["policyDocument"])
            .contains(&("Allow".to_owned(), format!("{API}/{STAGE}/GET/a"))),
        "{answer:?}"
    );
}
