//! The time claims (`exp`, `iat`, `auth_time`) and the leeway.

use super::*;

#[tokio::test]
async fn time_claims_are_enforced_after_the_signature() {
    let verifier = verifier().await;
    let now = now();
    let cases = [
        (
            set(access(POOL_A), "exp", json!(now - 1)),
            VerifyError::Expired,
        ),
        (set(access(POOL_A), "exp", json!(now)), VerifyError::Expired),
        (
            set(access(POOL_A), "nbf", json!(now + 60)),
            VerifyError::NotYetValid,
        ),
        (
            set(access(POOL_A), "iat", json!(now + 60)),
            VerifyError::IssuedInFuture,
        ),
    ];
    for (payload, expected) in cases {
        let token = token(&header("dev-key-1"), &payload, Sign::Rsa(DEV_1_PEM));
        assert_eq!(refused(&verifier, &token).await, expected);
        // A forged token with the same claims reports the signature instead.
        let forged = token_from_raw(
            &header("dev-key-1").to_string(),
            &payload.to_string(),
            Sign::Rsa(DEV_2_PEM),
        );
        assert_eq!(
            refused(&verifier, &forged).await,
            VerifyError::InvalidSignature
        );
    }
    let past_nbf = set(access(POOL_A), "nbf", json!(now - 60));
    assert!(
        verifier
            .verify(&token(
                &header("dev-key-1"),
                &past_nbf,
                Sign::Rsa(DEV_1_PEM)
            ))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn the_leeway_tolerates_small_skew_only() {
    let file = format!("{KEYS}/dev-rsa-1.jwks.json");
    let verifier = verifier_with(&[(JWKS_FILE.name, &file), (JWT_LEEWAY_SECONDS.name, "30")]).await;
    let now = now();
    let skewed = set(
        set(access(POOL_A), "iat", json!(now + 20)),
        "exp",
        json!(now - 20),
    );
    assert!(
        verifier
            .verify(&token(&header("dev-key-1"), &skewed, Sign::Rsa(DEV_1_PEM)))
            .await
            .is_ok()
    );
    let too_far = set(access(POOL_A), "exp", json!(now - 31));
    assert_eq!(
        refused(
            &verifier,
            &token(&header("dev-key-1"), &too_far, Sign::Rsa(DEV_1_PEM))
        )
        .await,
        VerifyError::Expired
    );
}
