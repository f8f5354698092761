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
