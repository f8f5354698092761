//! The verifier end to end, in process: real RS256 signatures made with the
//! committed development keys (tests/fixtures/keys), keys loaded through
//! `JWKS_FILE`, and the attacks from the issue. Faults of a live JWKS
//! endpoint are tested in tests/tests/verifier.rs against a real server.

use std::time::Duration;

use aws_lc_rs::signature::KeyPair as _;
use aws_lc_rs::{hmac, rand, signature};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

use super::*;
use crate::claims::TokenUse;
use crate::config::Env;

const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/keys");
const DEV_1_PEM: &str = include_str!("../../../tests/fixtures/keys/dev-rsa-1.pem");
const DEV_2_PEM: &str = include_str!("../../../tests/fixtures/keys/dev-rsa-2.pem");
const EC_PEM: &str = include_str!("../../../tests/fixtures/keys/ec-p256.pem");
const DEV_1_JWKS: &str = include_str!("../../../tests/fixtures/keys/dev-rsa-1.jwks.json");
const DEV_2_JWKS: &str = include_str!("../../../tests/fixtures/keys/dev-rsa-2.jwks.json");
const WEAK_JWKS: &str = include_str!("../../../tests/fixtures/keys/weak-rsa-1024.jwks.json");
const RSA_8192_PEM: &str = include_str!("../../../tests/fixtures/keys/rsa-8192.pem");
const RSA_8192_JWKS: &str = include_str!("../../../tests/fixtures/keys/rsa-8192.jwks.json");

const POOL_A: &str = "eu-west-1_PoolA1";
const POOL_B: &str = "us-east-1_PoolB2";
const CLIENT: &str = "client1abc";

fn issuer(pool: &str) -> String {
    let region = pool.split('_').next().unwrap();
    format!("https://cognito-idp.{region}.amazonaws.com/{pool}")
}

fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    STANDARD.decode(body).unwrap()
}

fn rsa(pem: &str) -> signature::RsaKeyPair {
    signature::RsaKeyPair::from_pkcs8(&pem_der(pem)).unwrap()
}

/// How a test token is signed.
enum Sign<'a> {
    Rsa(&'a str),
    Hmac(&'a [u8]),
    Ec,
    Bytes(Vec<u8>),
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn token_from_raw(header: &str, payload: &str, sign: Sign<'_>) -> String {
    let input = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
    let signature = match sign {
        Sign::Rsa(pem) => {
            let key = rsa(pem);
            let mut out = vec![0; key.public_modulus_len()];
            key.sign(
                &signature::RSA_PKCS1_SHA256,
                &rand::SystemRandom::new(),
                input.as_bytes(),
                &mut out,
            )
            .unwrap();
            out
        }
        Sign::Hmac(secret) => {
            let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
            hmac::sign(&key, input.as_bytes()).as_ref().to_vec()
        }
        Sign::Ec => {
            let key = signature::EcdsaKeyPair::from_pkcs8(
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                &pem_der(EC_PEM),
            )
            .unwrap();
            key.sign(&rand::SystemRandom::new(), input.as_bytes())
                .unwrap()
                .as_ref()
                .to_vec()
        }
        Sign::Bytes(bytes) => bytes,
    };
    format!("{input}.{}", b64(&signature))
}

fn token(header: &Value, payload: &Value, sign: Sign<'_>) -> String {
    token_from_raw(&header.to_string(), &payload.to_string(), sign)
}

fn header(kid: &str) -> Value {
    json!({ "kid": kid, "alg": "RS256" })
}

fn now() -> u64 {
    unix_now()
}

fn access(pool: &str) -> Value {
    let now = now();
    json!({
        "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "cognito:groups": ["admin"],
        "iss": issuer(pool),
        "version": 2,
        "client_id": CLIENT,
        "origin_jti": "11111111-2222-3333-4444-555555555555",
        "event_id": "66666666-7777-8888-9999-000000000000",
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin orders/read",
        "auth_time": now - 10,
        "exp": now + 3600,
        "iat": now - 10,
        "jti": "jti-access",
        "username": "alice"
    })
}

fn id(pool: &str) -> Value {
    let now = now();
    json!({
        "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "cognito:groups": ["admin"],
        "email_verified": true,
        "iss": issuer(pool),
        "cognito:username": "alice",
        "origin_jti": "11111111-2222-3333-4444-555555555555",
        "aud": CLIENT,
        "event_id": "66666666-7777-8888-9999-000000000000",
        "token_use": "id",
        "auth_time": now - 10,
        "exp": now + 3600,
        "iat": now - 10,
        "jti": "jti-id",
        "email": "alice@example.com"
    })
}

fn set(mut payload: Value, name: &str, value: Value) -> Value {
    payload[name] = value;
    payload
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("cac-verify-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A JWKS file holding the keys of the given fixture sets.
fn jwks_file(name: &str, sets: &[&str]) -> String {
    let keys: Vec<Value> = sets
        .iter()
        .flat_map(|set| {
            serde_json::from_str::<Value>(set).unwrap()["keys"]
                .as_array()
                .unwrap()
                .clone()
        })
        .collect();
    let path = temp_dir(name).join("jwks.json");
    std::fs::write(&path, json!({ "keys": keys }).to_string()).unwrap();
    path.display().to_string()
}

/// Unreachable, so a test that wrongly fetches fails instead of hanging.
const DEAD_URL: &str = "http://127.0.0.1:9/{userPoolId}/jwks.json";

async fn verifier_with(pairs: &[(&str, &str)]) -> Verifier {
    let mut all: Vec<(&str, &str)> = vec![
        (USER_POOL_ID.name, POOL_A),
        (APP_CLIENT_IDS.name, CLIENT),
        (JWKS_URL.name, DEAD_URL),
        (JWT_LEEWAY_SECONDS.name, "0"),
    ];
    // Later pairs win in `Env::from_pairs`, so overrides go last.
    all.extend_from_slice(pairs);
    let config = VerifierConfig::from_env(&Env::from_pairs(all)).unwrap();
    Verifier::new(config).await.unwrap()
}

async fn verifier() -> Verifier {
    let file = format!("{KEYS}/dev-rsa-1.jwks.json");
    verifier_with(&[(JWKS_FILE.name, &file)]).await
}

async fn refused(verifier: &Verifier, token: &str) -> VerifyError {
    verifier.verify(token).await.unwrap_err()
}

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
