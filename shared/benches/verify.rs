//! What one verification costs on a warm Lambda, against the floor: a bare
//! RSA-2048 PKCS#1 v1.5 SHA-256 verification by aws-lc-rs, the same backend
//! the verifier uses, measured in the same run.
//!
//! - `verifier/fresh_token`: a token not seen before, keys cached (the
//!   verified-token cache is off, so every iteration does the full work);
//! - `verifier/repeated_token`: the same token again (one SHA-256 + lookup);
//! - `floor/parsed_key`: `ParsedPublicKey::verify_sig`, key parsed once;
//! - `floor/components_per_call`: `RsaPublicKeyComponents::verify`, which
//!   rebuilds the key each call (what jsonwebtoken 11's aws-lc path does);
//! - `jsonwebtoken/crypto_verify`: jsonwebtoken's own verify, with a
//!   `DecodingKey` built once;
//! - `jsonwebtoken/decode`: jsonwebtoken's whole decode and validation of
//!   the same token (RS256, issuer checked), key built once: the path
//!   `verifier/fresh_token` stands in for;
//! - `jwks/parse`: parsing the one-key development JWKS.
//!
//! Fixtures are the committed development keys; nothing is fetched.
//! Run: `cargo bench -p cognito-auth-core --bench verify -- --quick`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark: a failed set-up should stop it, loudly"
)]

use std::hint::black_box;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair,
    RsaPublicKeyComponents,
};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use cognito_auth_core::config::Env;
use cognito_auth_core::jwks::KeySet;
use cognito_auth_core::{Verifier, VerifierConfig};
use criterion::{Criterion, criterion_group, criterion_main};

const PEM: &str = include_str!("../../tests/fixtures/keys/dev-rsa-1.pem");
const JWKS: &str = include_str!("../../tests/fixtures/keys/dev-rsa-1.jwks.json");
const JWKS_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/keys/dev-rsa-1.jwks.json"
);
const POOL: &str = "eu-west-1_BenchPool1";
const CLIENT: &str = "benchclient";

/// A Cognito-shaped access token signed with the development key, plus its
/// signing input and raw signature for the floor measurements.
struct Fixture {
    token: String,
    input: String,
    signature: Vec<u8>,
}

fn fixture() -> Fixture {
    let pem: String = PEM.lines().filter(|l| !l.starts_with("-----")).collect();
    let key = RsaKeyPair::from_pkcs8(&STANDARD.decode(pem).expect("PEM body")).expect("RSA key");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    let header = serde_json::json!({ "kid": "dev-key-1", "alg": "RS256" });
    let payload = serde_json::json!({
        "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "cognito:groups": ["admin", "staff"],
        "iss": format!("https://cognito-idp.eu-west-1.amazonaws.com/{POOL}"),
        "version": 2,
        "client_id": CLIENT,
        "origin_jti": "11111111-2222-3333-4444-555555555555",
        "event_id": "66666666-7777-8888-9999-000000000000",
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin orders/read orders/write",
        "auth_time": now,
        "exp": now + 3600,
        "iat": now,
        "jti": "77777777-8888-9999-aaaa-bbbbbbbbbbbb",
        "username": "alice"
    });
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload.to_string())
    );
    let mut signature = vec![0; key.public_modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        input.as_bytes(),
        &mut signature,
    )
    .expect("signing");
    Fixture {
        token: format!("{input}.{}", URL_SAFE_NO_PAD.encode(&signature)),
        input,
        signature,
    }
}

fn verifier(runtime: &tokio::runtime::Runtime, cache_size: &str) -> Verifier {
    let env = Env::from_pairs([
        ("USER_POOL_ID", POOL),
        ("APP_CLIENT_IDS", CLIENT),
        ("JWKS_FILE", JWKS_PATH),
        ("VERIFIED_TOKEN_CACHE_SIZE", cache_size),
    ]);
    let config = VerifierConfig::from_env(&env).expect("bench config");
    runtime
        .block_on(Verifier::new(config))
        .expect("bench verifier")
}

fn components() -> (Vec<u8>, Vec<u8>) {
    let jwks: serde_json::Value = serde_json::from_str(JWKS).expect("JWKS JSON");
    let decode = |name: &str| {
        URL_SAFE_NO_PAD
            .decode(jwks["keys"][0][name].as_str().expect("component"))
            .expect("base64url")
    };
    (decode("n"), decode("e"))
}

fn benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let fixture = fixture();
    let (n, e) = components();

    let uncached = verifier(&runtime, "0");
    assert!(runtime.block_on(uncached.verify(&fixture.token)).is_ok());
    c.bench_function("verifier/fresh_token", |b| {
        b.iter(|| runtime.block_on(uncached.verify(black_box(&fixture.token))))
    });

    let cached = verifier(&runtime, "1000");
    assert!(runtime.block_on(cached.verify(&fixture.token)).is_ok());
    c.bench_function("verifier/repeated_token", |b| {
        b.iter(|| runtime.block_on(cached.verify(black_box(&fixture.token))))
    });

    let parsed: ParsedPublicKey = RsaPublicKeyComponents { n: &n, e: &e }
        .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
        .expect("parsed key");
    c.bench_function("floor/parsed_key", |b| {
        b.iter(|| {
            parsed
                .verify_sig(
                    black_box(fixture.input.as_bytes()),
                    black_box(&fixture.signature),
                )
                .is_ok()
        })
    });
    let per_call = RsaPublicKeyComponents { n: &n, e: &e };
    c.bench_function("floor/components_per_call", |b| {
        b.iter(|| {
            per_call
                .verify(
                    &RSA_PKCS1_2048_8192_SHA256,
                    black_box(fixture.input.as_bytes()),
                    black_box(&fixture.signature),
                )
                .is_ok()
        })
    });

    let decoding = jsonwebtoken::DecodingKey::from_rsa_raw_components(&n, &e);
    let signature_b64 = URL_SAFE_NO_PAD.encode(&fixture.signature);
    c.bench_function("jsonwebtoken/crypto_verify", |b| {
        b.iter(|| {
            jsonwebtoken::crypto::verify(
                black_box(&signature_b64),
                black_box(fixture.input.as_bytes()),
                &decoding,
                jsonwebtoken::Algorithm::RS256,
            )
        })
    });

    // jsonwebtoken's whole path on the same token, configured as a careful
    // user would (RS256, the issuer; access tokens have no `aud`), the key
    // built once: what `verifier/fresh_token` replaces.
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_issuer(&[format!(
        "https://cognito-idp.eu-west-1.amazonaws.com/{POOL}"
    )]);
    validation.validate_aud = false;
    assert!(
        jsonwebtoken::decode::<serde_json::Value>(&fixture.token, &decoding, &validation).is_ok()
    );
    c.bench_function("jsonwebtoken/decode", |b| {
        b.iter(|| {
            jsonwebtoken::decode::<serde_json::Value>(
                black_box(&fixture.token),
                &decoding,
                &validation,
            )
        })
    });

    c.bench_function("jwks/parse", |b| {
        b.iter(|| KeySet::parse(black_box(JWKS.as_bytes())))
    });
}

criterion_group!(verify, benches);
criterion_main!(verify);
