//! REST answers (TOKEN, REQUEST, and HTTP API 1.0, which answers with a
//! policy too): a valid token without rules gets the whole stage, an unusable
//! credential exactly `Unauthorized`, a route the rules refuse is left out of
//! the policy, nothing permitted is an explicit Deny, and a non-standard verb
//! does not slip past a Deny.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_token_without_rules_gets_the_whole_stage_on_rest_kinds() {
    let function = launch().start().await;
    let token = access(&["users", "beta"]).scopes(&["openid", "pets/read"]);
    let credential = format!("Bearer {}", token.build());
    for shape in REST_SHAPES {
        let answer = ask_route(&function, shape, &credential, GET_PET_42).await;
        let answer = answer.policy();
        assert_eq!(
            answer,
            &json!({
                "principalId": sub_of(&token),
                "policyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Action": "execute-api:Invoke",
                        "Effect": "Allow",
                        "Resource": [format!("{API}/{STAGE}/*/*")]
                    }]
                },
                "context": {
                    "sub": sub_of(&token),
                    "username": "alice",
                    "client_id": CLIENT,
                    "token_use": "access",
                    "principal_type": "user",
                    "user_pool_id": POOL,
                    "groups": r#"["users","beta"]"#,
                    "groups_truncated": false,
                    "scopes": "openid pets/read",
                    "scopes_truncated": false
                }
            }),
            "{shape:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unusable_credentials_fail_rest_kinds_with_exactly_unauthorized() {
    let function = launch().start().await;
    for (label, credential) in unusable_credentials() {
        for shape in REST_SHAPES {
            let event = shape.event(credential.as_deref(), "GET", "/pets", "GET /pets");
            let answer = ask(&function, shape, event).await;
            assert!(
                matches!(answer, Answer::Unauthorized),
                "{label} {shape:?}: {answer:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_route_the_rules_do_not_permit_is_left_out_of_the_policy() {
    let function = with_rules(PET_RULES).start().await;
    let credential = format!("Bearer {}", access(&["users"]).build());
    for shape in REST_SHAPES {
        let answer = ask_route(&function, shape, &credential, DELETE_ADMIN_USER).await;
        // API Gateway answers 403: the policy does not allow the method ARN.
        assert!(
            !answer.lets_through("DELETE", "/admin/users/7"),
            "{shape:?}"
        );
        // Yet it is not a blanket refusal: the caller's other routes are in it.
        assert!(answer.lets_through("GET", "/pets/7"), "{shape:?}");
        assert!(answer.lets_through("GET", "/pets"), "{shape:?}");
        assert!(!answer.lets_through("POST", "/pets"), "{shape:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_permitted_is_an_explicit_deny_of_the_stage() {
    let function = with_rules(r#"[{"path": "/{proxy+}", "anyGroups": ["staff"]}]"#)
        .start()
        .await;
    let credential = format!("Bearer {}", access(&["users"]).build());
    for shape in REST_SHAPES {
        let answer = ask_route(&function, shape, &credential, LIST_PETS).await;
        assert_eq!(
            answer.policy()["policyDocument"],
            json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Action": "execute-api:Invoke",
                    "Effect": "Deny",
                    "Resource": [format!("{API}/{STAGE}/*/*")]
                }]
            }),
            "{shape:?}"
        );
    }
    let answer = ask_route(&function, Shape::Http2, &credential, LIST_PETS).await;
    assert_eq!(answer.simple(), &json!({"isAuthorized": false}));
}

/// A verb outside the seven API Gateway names (`PROPFIND`, …) must not get
/// through a REST policy on a path that a Deny of "any verb" refuses. An
/// Allow of any verb on `/{proxy+}` written as a single `…/*/*` ARN would
/// not be covered by per-verb Denies of `/pets/secrets/*`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_standard_verb_does_not_slip_past_a_deny() {
    let function = with_rules(
        r#"[{"path":"/{proxy+}"},
            {"path":"/pets/secrets/{rest+}","anyGroups":["admins"]}]"#,
    )
    .start()
    .await;
    let credential = format!("Bearer {}", access(&["users"]).build());
    for shape in REST_SHAPES {
        let answer = ask_route(&function, shape, &credential, GET_PET_VIA_PROXY).await;
        for verb in ["GET", "DELETE", "OPTIONS"] {
            assert!(answer.lets_through(verb, "/pets/1"), "{shape:?} {verb}");
            assert!(
                !answer.lets_through(verb, "/pets/secrets/1"),
                "{shape:?} {verb}"
            );
        }
        for verb in ["PROPFIND", "MKCOL", "TRACE"] {
            assert!(
                !answer.lets_through(verb, "/pets/secrets/1"),
                "{shape:?} {verb}"
            );
            assert!(!answer.lets_through(verb, "/pets/1"), "{shape:?} {verb}");
        }
        let policy = &answer.policy()["policyDocument"];
        for (effect, resource) in resources(policy) {
            if effect == "Allow" {
                assert!(
                    !resource.starts_with(&format!("{API}/{STAGE}/*/")),
                    "{shape:?}: {resource}"
                );
            }
        }
    }
}
