//! Pools and clients: the issuer, the pool whose key signed, and the
//! allowed clients.

use super::*;

#[tokio::test]
async fn a_token_of_pool_a_signed_with_pool_b_key_is_refused() {
    let dir = temp_dir("pools");
    std::fs::write(dir.join(format!("{POOL_A}.json")), DEV_1_JWKS).unwrap();
    std::fs::write(dir.join(format!("{POOL_B}.json")), DEV_2_JWKS).unwrap();
    let file = format!("{}/{{userPoolId}}.json", dir.display());
    let pools = format!("{POOL_A},{POOL_B}");
    let verifier = verifier_with(&[(USER_POOL_ID.name, &pools), (JWKS_FILE.name, &file)]).await;

    let cross = token(&header("dev-key-2"), &access(POOL_A), Sign::Rsa(DEV_2_PEM));
    assert_eq!(refused(&verifier, &cross).await, VerifyError::UnknownKid);
    let own_b = token(&header("dev-key-2"), &access(POOL_B), Sign::Rsa(DEV_2_PEM));
    assert_eq!(
        verifier.verify(&own_b).await.unwrap().issuer,
        issuer(POOL_B)
    );
    let own_a = token(&header("dev-key-1"), &access(POOL_A), Sign::Rsa(DEV_1_PEM));
    assert!(verifier.verify(&own_a).await.is_ok());
}

#[tokio::test]
async fn the_issuer_must_match_exactly() {
    let verifier = verifier().await;
    let exact = issuer(POOL_A);
    for iss in [
        format!("{exact}/"),
        exact.replace("https://", "http://"),
        exact.to_uppercase(),
        exact.replace("PoolA1", "poola1"),
        format!("{exact}x"),
        format!(" {exact}"),
        issuer(POOL_B),
        "https://evil.example.com/eu-west-1_PoolA1".to_owned(),
    ] {
        let token = token(
            &header("dev-key-1"),
            &set(access(POOL_A), "iss", json!(iss)),
            Sign::Rsa(DEV_1_PEM),
        );
        assert_eq!(
            refused(&verifier, &token).await,
            VerifyError::IssuerNotAllowed,
            "{iss}"
        );
    }
}

#[tokio::test]
async fn the_client_must_be_allowed() {
    let verifier = verifier().await;
    let other = token(
        &header("dev-key-1"),
        &set(access(POOL_A), "client_id", json!("otherclient")),
        Sign::Rsa(DEV_1_PEM),
    );
    assert_eq!(
        refused(&verifier, &other).await,
        VerifyError::ClientNotAllowed
    );
    // An access token's `aud` is not its client: only `client_id` counts.
    let aud_only = token(
        &header("dev-key-1"),
        &set(
            set(access(POOL_A), "client_id", json!("otherclient")),
            "aud",
            json!(CLIENT),
        ),
        Sign::Rsa(DEV_1_PEM),
    );
    assert_eq!(
        refused(&verifier, &aud_only).await,
        VerifyError::ClientNotAllowed
    );

    let file = format!("{KEYS}/dev-rsa-1.jwks.json");
    let id_verifier = verifier_with(&[(JWKS_FILE.name, &file), (TOKEN_USE.name, "id")]).await;
    let id_other = token(
        &header("dev-key-1"),
        &set(id(POOL_A), "aud", json!("otherclient")),
        Sign::Rsa(DEV_1_PEM),
    );
    assert_eq!(
        refused(&id_verifier, &id_other).await,
        VerifyError::ClientNotAllowed
    );
    let id_array = token(
        &header("dev-key-1"),
        &set(id(POOL_A), "aud", json!([CLIENT])),
        Sign::Rsa(DEV_1_PEM),
    );
    assert_eq!(
        refused(&id_verifier, &id_array).await,
        VerifyError::WrongClaimType {
            claim: "aud",
            expected: "string"
        }
    );

    let any = verifier_with(&[(JWKS_FILE.name, &file), (APP_CLIENT_IDS.name, "*")]).await;
    assert_eq!(any.verify(&other).await.unwrap().client_id, "otherclient");
}
