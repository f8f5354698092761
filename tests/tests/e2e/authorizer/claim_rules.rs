//! Claim rules: admitted by a claim's value; a claim of the wrong type or a
//! missing claim never matches and never errors the invocation.

use super::*;

/// Claim rules: the free and premium content of the example app. A claim
/// of the wrong type (number, object, array of numbers) or no claim never
/// matches and never errors the invocation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claim_rules_admit_by_value_and_refuse_wrong_types_and_missing_claims() {
    let function = with_rules(
        r#"[{"method": "GET", "path": "/articles/{id}"},
            {"method": "GET", "path": "/premium/{id}", "claims": {"custom:plan": ["premium", "enterprise"]}}]"#,
    )
    .start()
    .await;
    let cases: [(Option<Value>, bool); 9] = [
        (Some(json!("premium")), true),
        (Some(json!("enterprise")), true),
        (Some(json!(["free", "premium"])), true),
        (Some(json!("free")), false),
        (Some(json!(7)), false),
        (Some(json!({"plan": "premium"})), false),
        (Some(json!([1, 2])), false),
        (Some(json!(true)), false),
        (None, false),
    ];
    for (plan, want) in cases {
        let mut token = access(&[]);
        if let Some(plan) = &plan {
            token = token.claim("custom:plan", plan.clone());
        }
        let credential = format!("Bearer {}", token.build());
        for shape in [Shape::Token, Shape::Http2] {
            let answer = ask_route(&function, shape, &credential, GET_PREMIUM_ARTICLE).await;
            assert_eq!(
                answer.lets_through("GET", "/premium/7"),
                want,
                "{shape:?} {plan:?}"
            );
            let free = ask_route(&function, shape, &credential, GET_FREE_ARTICLE).await;
            assert!(
                free.lets_through("GET", "/articles/7"),
                "{shape:?} {plan:?}"
            );
        }
    }
    assert_no_errors(&function);
}

/// No invocation of `function` failed or logged an error.
fn assert_no_errors(function: &Function) {
    for line in function.logs() {
        assert!(!line.contains("\"level\":\"ERROR\""), "{line}");
    }
}
