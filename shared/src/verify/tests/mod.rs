//! The verifier end to end, in process: real RS256 signatures made with the
//! committed development keys (tests/fixtures/keys), keys loaded through
//! `JWKS_FILE`, and the attacks from the issue. Faults of a live JWKS
//! endpoint are tested in the end-to-end tests (`tests/tests/e2e/verifier.rs`)
//! against a real server.
//!
//! The fixtures and helpers are here; the tests, one file per concern:
//! [`tokens`] (token use, claim types, size and shape), [`algorithms`]
//! (the signature: algorithms and keys), [`pools`] (issuers and clients),
//! [`times`] (time claims and leeway) and [`caching`] (the verified-token
//! cache and the key set at init).

mod algorithms;
mod caching;
mod pools;
mod times;
mod tokens;

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
const DEV_1_PEM: &str = include_str!("../../../../tests/fixtures/keys/dev-rsa-1.pem");
const DEV_2_PEM: &str = include_str!("../../../../tests/fixtures/keys/dev-rsa-2.pem");
const EC_PEM: &str = include_str!("../../../../tests/fixtures/keys/ec-p256.pem");
const DEV_1_JWKS: &str = include_str!("../../../../tests/fixtures/keys/dev-rsa-1.jwks.json");
const DEV_2_JWKS: &str = include_str!("../../../../tests/fixtures/keys/dev-rsa-2.jwks.json");
const WEAK_JWKS: &str = include_str!("../../../../tests/fixtures/keys/weak-rsa-1024.jwks.json");
const RSA_8192_PEM: &str = include_str!("../../../../tests/fixtures/keys/rsa-8192.pem");
const RSA_8192_JWKS: &str = include_str!("../../../../tests/fixtures/keys/rsa-8192.jwks.json");

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
