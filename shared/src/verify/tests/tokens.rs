//! What a token is: an access token or an ID token as Cognito issues
//! them, its claims' types and members, its size and shape, and what the
//! errors say of it.

use super::*;

#[tokio::test]
async fn a_cognito_access_token_verifies() {
    let verifier = verifier().await;
    let claims = verifier
        .verify(&token(
            &header("dev-key-1"),
            &access(POOL_A),
            Sign::Rsa(DEV_1_PEM),
        ))
        .await
        .unwrap();
    assert_eq!(claims.token_use, TokenUse::Access);
    assert_eq!(claims.username.as_deref(), Some("alice"));
    assert_eq!(claims.client_id, CLIENT);
    assert_eq!(claims.issuer, issuer(POOL_A));
    assert_eq!(claims.groups, ["admin"]);
    assert!(claims.has_all_scopes(&["orders/read"]));
    assert_eq!(claims.other["jti"], "jti-access");
    // Loading from JWKS_FILE and verifying built no HTTP client.
    assert!(!verifier.fetcher.client_built());
}

#[tokio::test]
async fn an_id_token_verifies_when_id_tokens_are_accepted() {
    let file = format!("{KEYS}/dev-rsa-1.jwks.json");
    let verifier = verifier_with(&[(JWKS_FILE.name, &file), (TOKEN_USE.name, "id")]).await;
    let claims = verifier
        .verify(&token(
            &header("dev-key-1"),
            &id(POOL_A),
            Sign::Rsa(DEV_1_PEM),
        ))
        .await
        .unwrap();
    assert_eq!(claims.token_use, TokenUse::Id);
    assert_eq!(claims.email.as_deref(), Some("alice@example.com"));
    assert_eq!(claims.client_id, CLIENT);
}

#[tokio::test]
async fn an_id_token_is_not_an_access_token_and_vice_versa() {
    let verifier = verifier().await;
    let id_token = token(&header("dev-key-1"), &id(POOL_A), Sign::Rsa(DEV_1_PEM));
    assert_eq!(
        refused(&verifier, &id_token).await,
        VerifyError::TokenUseNotAllowed {
            actual: TokenUse::Id
        }
    );
    let file = format!("{KEYS}/dev-rsa-1.jwks.json");
    let id_only = verifier_with(&[(JWKS_FILE.name, &file), (TOKEN_USE.name, "id")]).await;
    let access_token = token(&header("dev-key-1"), &access(POOL_A), Sign::Rsa(DEV_1_PEM));
    assert_eq!(
        refused(&id_only, &access_token).await,
        VerifyError::TokenUseNotAllowed {
            actual: TokenUse::Access
        }
    );
    let any = verifier_with(&[(JWKS_FILE.name, &file), (TOKEN_USE.name, "any")]).await;
    assert!(any.verify(&access_token).await.is_ok());
    assert!(any.verify(&id_token).await.is_ok());
}

#[tokio::test]
async fn type_confused_claims_are_refused_even_when_signed() {
    let verifier = verifier().await;
    let now = now();
    let cases = [
        (
            "exp",
            json!((now + 3600).to_string()),
            "non-negative integer",
        ),
        ("iat", json!(null), "non-negative integer"),
        ("iss", json!([issuer(POOL_A)]), "string"),
        ("client_id", json!([CLIENT]), "string"),
        ("scope", json!(["orders/read"]), "string"),
        ("cognito:groups", json!("admin"), "array of strings"),
        ("username", json!(1), "string"),
    ];
    for (claim, value, expected) in cases {
        let token = token(
            &header("dev-key-1"),
            &set(access(POOL_A), claim, value),
            Sign::Rsa(DEV_1_PEM),
        );
        assert_eq!(
            refused(&verifier, &token).await,
            VerifyError::WrongClaimType { claim, expected }
        );
    }
    let mut no_exp = access(POOL_A);
    no_exp.as_object_mut().unwrap().remove("exp");
    let token = token(&header("dev-key-1"), &no_exp, Sign::Rsa(DEV_1_PEM));
    assert_eq!(
        refused(&verifier, &token).await,
        VerifyError::MissingClaim { claim: "exp" }
    );
}

#[tokio::test]
async fn duplicate_members_are_refused_even_when_signed() {
    let verifier = verifier().await;
    let payload = access(POOL_A).to_string();
    // Append a second `token_use` inside the object.
    let duplicated = format!("{},\"token_use\":\"id\"}}", &payload[..payload.len() - 1]);
    let token = token_from_raw(
        &header("dev-key-1").to_string(),
        &duplicated,
        Sign::Rsa(DEV_1_PEM),
    );
    assert_eq!(
        refused(&verifier, &token).await,
        VerifyError::DuplicateMember {
            part: crate::error::Part::Payload
        }
    );
    let dup_header = r#"{"kid":"dev-key-1","alg":"RS256","kid":"dev-key-2"}"#;
    let token = token_from_raw(dup_header, &payload, Sign::Rsa(DEV_1_PEM));
    assert_eq!(
        refused(&verifier, &token).await,
        VerifyError::DuplicateMember {
            part: crate::error::Part::Header
        }
    );
}

#[tokio::test]
async fn oversized_tokens_are_refused_before_anything_else() {
    let verifier = verifier().await;
    let padding = "x".repeat(MAX_TOKEN_BYTES);
    let big = token(
        &header("dev-key-1"),
        &set(access(POOL_A), "pad", json!(padding)),
        Sign::Rsa(DEV_1_PEM),
    );
    assert_eq!(
        refused(&verifier, &big).await,
        VerifyError::TooLarge {
            max: MAX_TOKEN_BYTES
        }
    );
}

#[tokio::test]
async fn malformed_tokens_are_refused() {
    let verifier = verifier().await;
    for junk in ["", "Bearer", "a.b", "a.b.c.d", "e30.e30.e30", "!!.??.%%"] {
        assert!(verifier.verify(junk).await.is_err(), "{junk}");
    }
    let good = token(&header("dev-key-1"), &access(POOL_A), Sign::Rsa(DEV_1_PEM));
    assert_eq!(
        refused(&verifier, &format!("Bearer {good}")).await,
        VerifyError::InvalidBase64 {
            part: crate::error::Part::Header
        }
    );
}

#[test]
fn the_verifier_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Verifier>();
}

#[tokio::test]
async fn errors_and_debug_output_never_contain_the_token() {
    let verifier = verifier().await;
    let forged = token(&header("dev-key-1"), &access(POOL_A), Sign::Rsa(DEV_2_PEM));
    let err = refused(&verifier, &forged).await;
    let shown = format!("{err} {err:?} {verifier:?}");
    for part in forged.split('.') {
        assert!(!shown.contains(part));
    }
    assert!(!shown.contains("alice"));
}
