//! The verified-token cache and the key set: what is cached and for how
//! long, and how `JWKS_FILE` and the first fetch behave at init.

use super::*;

#[tokio::test]
async fn the_verified_cache_answers_repeats_but_never_past_exp() {
    let verifier = verifier().await;
    let exp = now() + 2;
    let short = token(
        &header("dev-key-1"),
        &set(access(POOL_A), "exp", json!(exp)),
        Sign::Rsa(DEV_1_PEM),
    );
    let first = verifier.verify(&short).await.unwrap();
    assert_eq!(verifier.verified.len(), 1);
    assert_eq!(verifier.verify(&short).await.unwrap(), first);
    while now() < exp {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(refused(&verifier, &short).await, VerifyError::Expired);
    assert_eq!(verifier.verified.len(), 0);

    let file = format!("{KEYS}/dev-rsa-1.jwks.json");
    let uncached = verifier_with(&[
        (JWKS_FILE.name, &file),
        (VERIFIED_TOKEN_CACHE_SIZE.name, "0"),
    ])
    .await;
    let token = token(&header("dev-key-1"), &access(POOL_A), Sign::Rsa(DEV_1_PEM));
    assert!(uncached.verify(&token).await.is_ok());
    assert_eq!(uncached.verified.len(), 0);
}

#[tokio::test]
async fn refused_tokens_are_not_cached() {
    let verifier = verifier().await;
    let forged = token(&header("dev-key-1"), &access(POOL_A), Sign::Rsa(DEV_2_PEM));
    for _ in 0..2 {
        assert_eq!(
            refused(&verifier, &forged).await,
            VerifyError::InvalidSignature
        );
    }
    assert_eq!(verifier.verified.len(), 0);
}

#[tokio::test]
async fn an_unreadable_or_invalid_jwks_file_fails_init() {
    let dir = temp_dir("bad-file");
    let garbage = dir.join("garbage.json");
    std::fs::write(&garbage, "<html>").unwrap();
    let missing = dir.join("missing.json");
    for path in [garbage, missing] {
        let path = path.display().to_string();
        let config = VerifierConfig::from_env(&Env::from_pairs([
            (USER_POOL_ID.name, POOL_A),
            (APP_CLIENT_IDS.name, CLIENT),
            (JWKS_FILE.name, path.as_str()),
        ]))
        .unwrap();
        assert_eq!(
            Verifier::new(config).await.unwrap_err().variable,
            JWKS_FILE.name
        );
    }
}

#[tokio::test]
async fn a_failed_init_fetch_does_not_fail_init() {
    let verifier = verifier_with(&[]).await;
    let token = token(&header("dev-key-1"), &access(POOL_A), Sign::Rsa(DEV_1_PEM));
    assert_eq!(
        refused(&verifier, &token).await,
        VerifyError::JwksUnavailable
    );
}

#[tokio::test]
async fn keys_handed_in_verify_without_a_fetch_and_bad_ones_fail_init() {
    // JWKS_URL is dead: a fetch would refuse the token.
    let verifier = verifier_with(&[(JWKS.name, DEV_1_JWKS)]).await;
    let token = token(&header("dev-key-1"), &access(POOL_A), Sign::Rsa(DEV_1_PEM));
    assert!(verifier.verify(&token).await.is_ok());
    assert!(!verifier.fetcher.client_built());
    assert_eq!(verifier.counts(), VerifierCounts::default());
    // A kid they lack fetches (and the dead endpoint fails it).
    let other = token_from_raw(
        &header("dev-key-2").to_string(),
        &access(POOL_A).to_string(),
        Sign::Rsa(DEV_2_PEM),
    );
    assert_eq!(refused(&verifier, &other).await, VerifyError::UnknownKid);
    assert_eq!(verifier.counts().jwks_fetches_failed, 1);

    for bad in ["<html>", WEAK_JWKS] {
        let config = VerifierConfig::from_env(&Env::from_pairs([
            (USER_POOL_ID.name, POOL_A),
            (APP_CLIENT_IDS.name, CLIENT),
            (JWKS.name, bad),
        ]))
        .unwrap();
        assert_eq!(Verifier::new(config).await.unwrap_err().variable, JWKS.name);
    }
}
