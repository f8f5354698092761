//! The verifier against real peers: a real JWKS endpoint on 127.0.0.1 that
//! misbehaves on demand (`e2e_tests::jwks_server`), and moto's cognito-idp,
//! which issues real RS256 Cognito tokens and serves the pool's JWKS.
//!
//! Every fault test follows one pattern: good keys are cached at init, the
//! endpoint turns bad, an unknown `kid` forces a refresh that fails, and then
//! (1) the cached key still verifies, (2) nothing panicked, (3) the server
//! saw at most one request per cooldown, (4) the endpoint recovering is
//! picked up after the cooldown.
//!
//! Timings are shortened through `VerifierConfig::jwks` (public for this
//! reason) so the suite runs in seconds; the margins are generous because the
//! machine is shared, and no test asserts a speed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use cognito_auth_core::claims::TokenUse;
use cognito_auth_core::config::Env;
use cognito_auth_core::{Verifier, VerifierConfig, VerifyError};
use e2e_tests::jwks_server::{HUGE_BODY_BYTES, JwksServer, Mode};
use e2e_tests::moto::Moto;
use e2e_tests::tokens::{self, DevKey, Signer, TokenBuilder};
use serde_json::json;

const POOL: &str = "eu-west-1_TestPool1";
const OTHER_POOL: &str = "us-west-2_TestPool2";
const CLIENT: &str = "testclient1";

// The huge-body faults must dwarf the default 150 KB cap.
const _: () = assert!(HUGE_BODY_BYTES > 150_000 * 10);

/// The cache timings of one test.
#[derive(Clone, Copy)]
struct Timing {
    max_age: Duration,
    cooldown: Duration,
    stale_grace: Duration,
    fetch_timeout: Duration,
}

const FAST: Timing = Timing {
    max_age: Duration::from_secs(3600),
    cooldown: Duration::from_millis(400),
    stale_grace: Duration::from_secs(3600),
    fetch_timeout: Duration::from_millis(400),
};

fn config(pairs: &[(&str, &str)], timing: Timing) -> VerifierConfig {
    let mut config = VerifierConfig::from_env(&Env::from_pairs(pairs.iter().copied()))
        .expect("test configuration is valid");
    config.jwks.max_age = timing.max_age;
    config.jwks.cooldown = timing.cooldown;
    config.jwks.stale_grace = timing.stale_grace;
    config.jwks.fetch_timeout = timing.fetch_timeout;
    config
}

/// A verifier for `POOL` and `CLIENT` that fetches from `server`.
async fn verifier(server: &JwksServer, timing: Timing) -> Verifier {
    let url = server.url_template();
    let config = config(
        &[
            ("USER_POOL_ID", POOL),
            ("APP_CLIENT_IDS", CLIENT),
            ("JWKS_URL", url.as_str()),
        ],
        timing,
    );
    Verifier::new(config).await.expect("verifier starts")
}

fn token(key: DevKey) -> String {
    tokens::access_signed_by(POOL, CLIENT, key)
}

fn unknown_kid_token() -> String {
    tokens::access_with_unknown_kid(POOL, CLIENT)
}

// ---- Normal operation ------------------------------------------------------

#[tokio::test]
async fn init_fetches_once_and_the_hot_path_never_fetches() {
    let server = JwksServer::start(&tokens::jwks(&[DevKey::One])).await;
    let verifier = verifier(&server, FAST).await;
    assert_eq!(server.requests(), 1, "hydrated at init");
    for _ in 0..50 {
        let claims = verifier
            .verify(&token(DevKey::One))
            .await
            .expect("valid token");
        assert_eq!(claims.username.as_deref(), Some("alice"));
    }
    assert_eq!(server.requests(), 1, "no fetch while keys are fresh");
    assert_eq!(server.paths(), [format!("/{POOL}/.well-known/jwks.json")]);
}

#[tokio::test]
async fn a_jwks_file_cold_start_touches_no_network() {
    let server = JwksServer::start(&tokens::jwks(&[DevKey::One])).await;
    let file = tokens::keys_dir().join("dev-rsa-1.jwks.json");
    let (url, file) = (server.url_template(), file.display().to_string());
    let config = config(
        &[
            ("USER_POOL_ID", POOL),
            ("APP_CLIENT_IDS", CLIENT),
            ("JWKS_URL", url.as_str()),
            ("JWKS_FILE", file.as_str()),
        ],
        FAST,
    );
    let verifier = Verifier::new(config).await.expect("verifier starts");
    verifier
        .verify(&token(DevKey::One))
        .await
        .expect("valid token");
    assert_eq!(server.requests(), 0);
    // An unknown kid may still fetch: the file seeds the cache, it does not pin it.
    server.set_jwks(&tokens::jwks(&[DevKey::One, DevKey::Two]));
    verifier
        .verify(&token(DevKey::Two))
        .await
        .expect("rotated-in key");
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn each_pool_is_fetched_from_its_own_url_and_uses_only_its_keys() {
    let server = JwksServer::start(&tokens::jwks(&[])).await;
    server.set_pool_jwks(POOL, &tokens::jwks(&[DevKey::One]));
    server.set_pool_jwks(OTHER_POOL, &tokens::jwks(&[DevKey::Two]));
    let (url, pools) = (server.url_template(), format!("{POOL},{OTHER_POOL}"));
    let config = config(
        &[
            ("USER_POOL_ID", pools.as_str()),
            ("APP_CLIENT_IDS", CLIENT),
            ("JWKS_URL", url.as_str()),
        ],
        FAST,
    );
    let verifier = Verifier::new(config).await.expect("verifier starts");
    let mut paths = server.paths();
    paths.sort();
    assert_eq!(
        paths,
        [
            format!("/{POOL}/.well-known/jwks.json"),
            format!("/{OTHER_POOL}/.well-known/jwks.json"),
        ]
    );
    let own = TokenBuilder::access(OTHER_POOL, CLIENT)
        .signed_by(Signer::Rsa(DevKey::Two))
        .build();
    assert_eq!(
        verifier.verify(&own).await.expect("own pool").issuer,
        tokens::issuer(OTHER_POOL)
    );
    // Pool B's key vouching for a token that claims pool A.
    let cross = TokenBuilder::access(POOL, CLIENT)
        .signed_by(Signer::Rsa(DevKey::Two))
        .build();
    assert_eq!(
        verifier.verify(&cross).await.unwrap_err(),
        VerifyError::UnknownKid
    );
}

// ---- Faults: one per test, all through `fault_keeps_cached_keys` -----------

/// Caches good keys, turns the endpoint bad with `set_up`, and checks the four
/// properties in the module doc. `reaches_server` is false when the fault
/// stops requests before they arrive (a refused connection).
async fn fault_keeps_cached_keys<F, Fut>(set_up: F, reaches_server: bool, reason: &str)
where
    F: FnOnce(Arc<JwksServer>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let server = Arc::new(JwksServer::start(&tokens::jwks(&[DevKey::One])).await);
    let verifier = verifier(&server, FAST).await;
    assert_eq!(server.requests(), 1);
    tokio::time::sleep(FAST.cooldown + Duration::from_millis(50)).await;
    set_up(Arc::clone(&server)).await;

    // The unknown kid forces one refresh, which fails within the timeout.
    let started = Instant::now();
    assert_eq!(
        verifier.verify(&unknown_kid_token()).await.unwrap_err(),
        VerifyError::UnknownKid
    );
    assert!(
        started.elapsed() < FAST.fetch_timeout + Duration::from_secs(2),
        "the fetch is bounded by its timeout, took {:?}",
        started.elapsed()
    );
    let after_refresh = server.requests();
    assert_eq!(after_refresh, if reaches_server { 2 } else { 1 });
    let status = verifier.jwks_status().remove(0);
    assert_eq!(
        status.last_error,
        Some(reason),
        "the refresh failed for the expected reason"
    );
    assert_eq!(status.keys, 1, "the failed refresh replaced nothing");

    // The cached key still verifies, and more unknown kids within the
    // cooldown cost nothing.
    verifier
        .verify(&token(DevKey::One))
        .await
        .expect("cached key still serves");
    for _ in 0..20 {
        assert_eq!(
            verifier.verify(&unknown_kid_token()).await.unwrap_err(),
            VerifyError::UnknownKid
        );
    }
    assert_eq!(
        server.requests(),
        after_refresh,
        "no fetch within the cooldown"
    );

    // The endpoint recovers, with a new key; after the cooldown it is used.
    server.set_mode(Mode::Serve).await;
    server.set_jwks(&tokens::jwks(&[DevKey::One, DevKey::Two]));
    tokio::time::sleep(FAST.cooldown + Duration::from_millis(50)).await;
    verifier
        .verify(&token(DevKey::Two))
        .await
        .expect("recovered endpoint is used");
    verifier
        .verify(&token(DevKey::One))
        .await
        .expect("old key kept by the new set");
    let status = verifier.jwks_status().remove(0);
    assert_eq!((status.keys, status.last_error), (2, None));
}

#[tokio::test]
async fn fault_endpoint_down_connection_refused() {
    fault_keeps_cached_keys(
        |server| async move { server.set_mode(Mode::Refuse).await },
        false,
        "jwks_transport",
    )
    .await;
}

#[tokio::test]
async fn fault_endpoint_stalls_past_the_timeout() {
    fault_keeps_cached_keys(
        |server| async move { server.set_mode(Mode::Stall).await },
        true,
        "jwks_timeout",
    )
    .await;
}

#[tokio::test]
async fn fault_endpoint_drips_its_body_slower_than_the_timeout() {
    // 100 ms a byte: the ~450-byte JWKS would take 45 s; the timeout is 400 ms.
    fault_keeps_cached_keys(
        |server| async move {
            server
                .set_mode(Mode::Drip {
                    interval: Duration::from_millis(100),
                })
                .await
        },
        true,
        "jwks_timeout",
    )
    .await;
}

#[tokio::test]
async fn fault_endpoint_answers_500() {
    fault_keeps_cached_keys(
        |server| async move { server.set_mode(Mode::Status(500)).await },
        true,
        "jwks_status",
    )
    .await;
}

#[tokio::test]
async fn fault_endpoint_answers_html() {
    fault_keeps_cached_keys(
        |server| async move { server.set_mode(Mode::Html).await },
        true,
        "jwks_invalid_json",
    )
    .await;
}

#[tokio::test]
async fn fault_endpoint_answers_truncated_json() {
    fault_keeps_cached_keys(
        |server| async move { server.set_raw_jwks(br#"{"keys":[{"kty":"RSA""#) },
        true,
        "jwks_invalid_json",
    )
    .await;
}

#[tokio::test]
async fn fault_endpoint_sends_10_mb_with_content_length() {
    fault_keeps_cached_keys(
        |server| async move { server.set_mode(Mode::Huge { announced: true }).await },
        true,
        "jwks_too_large",
    )
    .await;
}

#[tokio::test]
async fn fault_endpoint_streams_10_mb_without_content_length() {
    fault_keeps_cached_keys(
        |server| async move { server.set_mode(Mode::Huge { announced: false }).await },
        true,
        "jwks_too_large",
    )
    .await;
}

#[tokio::test]
async fn fault_endpoint_serves_zero_keys() {
    fault_keeps_cached_keys(
        |server| async move { server.set_jwks(&json!({ "keys": [] })) },
        true,
        "jwks_no_usable_keys",
    )
    .await;
}

#[tokio::test]
async fn fault_endpoint_serves_only_unusable_keys() {
    let ec = json!({
        "kty": "EC", "crv": "P-256", "kid": "ec-1", "use": "sig", "alg": "ES256",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
    });
    fault_keeps_cached_keys(
        |server| async move { server.set_jwks(&json!({ "keys": [DevKey::Weak1024.jwk(), ec] })) },
        true,
        "jwks_no_usable_keys",
    )
    .await;
}

#[tokio::test]
async fn fault_endpoint_serves_only_duplicate_kids() {
    // Two different keys both calling themselves dev-key-1: both are dropped,
    // leaving nothing usable, so the set is refused and the cache kept.
    let mut impostor = DevKey::Two.jwk();
    impostor["kid"] = json!("dev-key-1");
    fault_keeps_cached_keys(
        |server| async move { server.set_jwks(&json!({ "keys": [DevKey::One.jwk(), impostor] })) },
        true,
        "jwks_no_usable_keys",
    )
    .await;
}

#[tokio::test]
async fn an_ambiguous_kid_is_never_used_while_other_keys_are() {
    let server = JwksServer::start(&tokens::jwks(&[DevKey::One])).await;
    let verifier = verifier(&server, FAST).await;
    let mut impostor = DevKey::One.jwk();
    impostor["kid"] = json!("dev-key-2");
    server.set_jwks(&json!({ "keys": [DevKey::One.jwk(), DevKey::Two.jwk(), impostor] }));
    tokio::time::sleep(FAST.cooldown + Duration::from_millis(50)).await;
    // Signed by the real dev-key-2, but the kid is ambiguous in the new set.
    assert_eq!(
        verifier.verify(&token(DevKey::Two)).await.unwrap_err(),
        VerifyError::UnknownKid
    );
    assert_eq!(server.requests(), 2);
    verifier
        .verify(&token(DevKey::One))
        .await
        .expect("unambiguous key serves");
}

// ---- Floods -------------------------------------------------------------------

/// 1,000 concurrent verifications with random unknown kids, while the endpoint
/// stalls past the timeout: one fetch per cooldown, whatever the concurrency.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_unknown_kids_costs_at_most_one_fetch_per_cooldown() {
    let timing = Timing {
        cooldown: Duration::from_millis(1500),
        fetch_timeout: Duration::from_millis(1000),
        ..FAST
    };
    let server = JwksServer::start(&tokens::jwks(&[DevKey::One])).await;
    let verifier = Arc::new(verifier(&server, timing).await);
    assert_eq!(server.requests(), 1);
    tokio::time::sleep(timing.cooldown + Duration::from_millis(50)).await;
    server.set_mode(Mode::Stall).await;

    for round in 1..=2 {
        let floods: Vec<String> = (0..1000).map(|_| unknown_kid_token()).collect();
        let mut tasks = tokio::task::JoinSet::new();
        for token in floods {
            let verifier = Arc::clone(&verifier);
            tasks.spawn(async move { verifier.verify(&token).await });
        }
        // Legitimate traffic during the flood is not held up by it.
        let known = token(DevKey::One);
        let started = Instant::now();
        verifier
            .verify(&known)
            .await
            .expect("known kid during a flood");
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "{:?}",
            started.elapsed()
        );

        let mut refused = 0;
        while let Some(result) = tasks.join_next().await {
            let result = result.expect("no verification panicked");
            assert_eq!(result.unwrap_err(), VerifyError::UnknownKid);
            refused += 1;
        }
        assert_eq!(refused, 1000);
        assert_eq!(
            server.requests(),
            1 + round,
            "round {round}: one fetch per cooldown"
        );
        tokio::time::sleep(timing.cooldown + Duration::from_millis(50)).await;
    }
}

// ---- Ageing and rotation ----------------------------------------------------

#[tokio::test]
async fn stale_keys_serve_for_the_grace_period_then_stop() {
    let timing = Timing {
        max_age: Duration::from_millis(400),
        cooldown: Duration::from_millis(100),
        stale_grace: Duration::from_millis(800),
        fetch_timeout: Duration::from_millis(400),
    };
    let server = JwksServer::start(&tokens::jwks(&[DevKey::One])).await;
    let loaded = Instant::now();
    let verifier = verifier(&server, timing).await;
    server.set_mode(Mode::Status(503)).await;

    // Past the max age: the refresh fails, the stale key keeps serving.
    tokio::time::sleep(Duration::from_millis(500)).await;
    verifier
        .verify(&token(DevKey::One))
        .await
        .expect("stale key within grace");
    assert_eq!(server.requests(), 2, "the stale set triggered a refresh");
    let status = verifier.jwks_status().remove(0);
    assert_eq!(status.last_error, Some("jwks_status"));
    assert!(status.age.is_some_and(|age| age >= timing.max_age));

    // Past max age + grace: no key is trusted any more.
    let dead = loaded + timing.max_age + timing.stale_grace + Duration::from_millis(100);
    tokio::time::sleep_until(dead.into()).await;
    assert_eq!(
        verifier.verify(&token(DevKey::One)).await.unwrap_err(),
        VerifyError::JwksUnavailable
    );

    // The endpoint comes back: the next request after the cooldown recovers.
    server.set_mode(Mode::Serve).await;
    tokio::time::sleep(timing.cooldown + Duration::from_millis(50)).await;
    verifier
        .verify(&token(DevKey::One))
        .await
        .expect("recovered");
}

#[tokio::test]
async fn keys_are_refreshed_at_max_age_and_retired_keys_stop_working() {
    let timing = Timing {
        max_age: Duration::from_millis(400),
        cooldown: Duration::from_millis(100),
        ..FAST
    };
    let server = JwksServer::start(&tokens::jwks(&[DevKey::One])).await;
    let verifier = verifier(&server, timing).await;
    // The pool rotates: dev-key-1 is retired, dev-key-2 takes over.
    server.set_jwks(&tokens::jwks(&[DevKey::Two]));
    verifier
        .verify(&token(DevKey::One))
        .await
        .expect("fresh cache, no fetch");
    assert_eq!(server.requests(), 1);

    tokio::time::sleep(timing.max_age + Duration::from_millis(100)).await;
    assert_eq!(
        verifier.verify(&token(DevKey::One)).await.unwrap_err(),
        VerifyError::UnknownKid
    );
    assert_eq!(server.requests(), 2, "max age forced one refresh");
    verifier
        .verify(&token(DevKey::Two))
        .await
        .expect("the new key, no fetch");
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn a_key_added_by_rotation_is_fetched_on_first_sight() {
    let server = JwksServer::start(&tokens::jwks(&[DevKey::One])).await;
    let verifier = verifier(&server, FAST).await;
    server.set_jwks(&tokens::jwks(&[DevKey::One, DevKey::Two]));
    // Within the cooldown of the init fetch, the new kid is not fetched yet.
    assert_eq!(
        verifier.verify(&token(DevKey::Two)).await.unwrap_err(),
        VerifyError::UnknownKid
    );
    assert_eq!(server.requests(), 1);
    tokio::time::sleep(FAST.cooldown + Duration::from_millis(50)).await;
    verifier
        .verify(&token(DevKey::Two))
        .await
        .expect("rotated-in key");
    verifier
        .verify(&token(DevKey::One))
        .await
        .expect("old key still published");
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn a_failed_init_fetch_recovers_after_the_cooldown() {
    let server = JwksServer::start(&tokens::jwks(&[DevKey::One])).await;
    server.set_mode(Mode::Status(500)).await;
    let verifier = verifier(&server, FAST).await;
    assert_eq!(server.requests(), 1);
    assert_eq!(
        verifier.verify(&token(DevKey::One)).await.unwrap_err(),
        VerifyError::JwksUnavailable
    );
    assert_eq!(
        server.requests(),
        1,
        "cooldown applies after a failed init fetch"
    );
    server.set_mode(Mode::Serve).await;
    tokio::time::sleep(FAST.cooldown + Duration::from_millis(50)).await;
    verifier
        .verify(&token(DevKey::One))
        .await
        .expect("lazily hydrated");
    assert_eq!(server.requests(), 2);
}

// ---- A real peer: moto's cognito-idp -------------------------------------------

/// moto issues RS256 tokens for a pool it created, and serves that pool's
/// JWKS under `/{poolId}/.well-known/jwks.json`. What they contain (checked
/// with moto 5.x): access `{iss, sub, client_id, token_use, iat, auth_time,
/// exp, jti, username, origin_jti, scope, cognito:groups}`, id `{iss, sub,
/// aud, token_use, iat, auth_time, exp, jti, cognito:username, origin_jti,
/// cognito:groups}`, header `{typ: "JWT", kid: "dummy", alg: "RS256"}`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_minted_by_moto_cognito_idp_verify() {
    use aws_sdk_cognitoidentityprovider::types::{
        AuthFlowType, ExplicitAuthFlowsType, MessageActionType,
    };
    use e2e_tests::moto::{create_group, create_user_pool, set_permanent_password, user_attribute};

    let moto = Moto::start();
    let cognito = moto.cognito().await;
    let pool_id = create_user_pool(&cognito, "verifier-e2e").await;
    let client_id = cognito
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name("web")
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowAdminUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .send()
        .await
        .expect("create client")
        .user_pool_client()
        .and_then(|client| client.client_id().map(str::to_owned))
        .expect("client id");
    let password = "Correct-Horse-9-Battery";
    cognito
        .admin_create_user()
        .user_pool_id(&pool_id)
        .username("alice")
        .user_attributes(user_attribute("email", "alice@example.com"))
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .expect("create user");
    set_permanent_password(&cognito, &pool_id, "alice", password).await;
    create_group(&cognito, &pool_id, "admin").await;
    cognito
        .admin_add_user_to_group()
        .user_pool_id(&pool_id)
        .username("alice")
        .group_name("admin")
        .send()
        .await
        .expect("add to group");

    let admin_auth = cognito
        .admin_initiate_auth()
        .user_pool_id(&pool_id)
        .client_id(&client_id)
        .auth_flow(AuthFlowType::AdminUserPasswordAuth)
        .auth_parameters("USERNAME", "alice")
        .auth_parameters("PASSWORD", password)
        .send()
        .await
        .expect("AdminInitiateAuth");
    let admin_result = admin_auth.authentication_result().expect("tokens");
    let user_auth = cognito
        .initiate_auth()
        .client_id(&client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "alice")
        .auth_parameters("PASSWORD", password)
        .send()
        .await
        .expect("InitiateAuth");
    let user_result = user_auth.authentication_result().expect("tokens");

    let url = format!("{}/{{userPoolId}}/.well-known/jwks.json", moto.endpoint());
    let env = |token_use: &str, clients: &str| {
        config(
            &[
                ("USER_POOL_ID", pool_id.as_str()),
                ("APP_CLIENT_IDS", clients),
                ("TOKEN_USE", token_use),
                ("JWKS_URL", url.as_str()),
            ],
            Timing {
                fetch_timeout: Duration::from_secs(5),
                ..FAST
            },
        )
    };
    let verifier = Verifier::new(env("any", &client_id))
        .await
        .expect("verifier");

    for result in [admin_result, user_result] {
        let access = verifier
            .verify(result.access_token().expect("access token"))
            .await
            .expect("moto access token verifies");
        assert_eq!(access.token_use, TokenUse::Access);
        assert_eq!(access.username.as_deref(), Some("alice"));
        assert_eq!(access.client_id, client_id);
        assert_eq!(access.groups, ["admin"]);
        assert!(access.has_all_scopes(&["aws.cognito.signin.user.admin"]));
        assert_eq!(
            access.issuer,
            format!("https://cognito-idp.us-east-1.amazonaws.com/{pool_id}")
        );
        assert!(access.other.contains_key("jti"));

        let id = verifier
            .verify(result.id_token().expect("id token"))
            .await
            .expect("moto id token verifies");
        assert_eq!(id.token_use, TokenUse::Id);
        assert_eq!(id.username.as_deref(), Some("alice"));
        assert_eq!(id.client_id, client_id);
        assert_eq!(id.sub, access.sub);
    }

    // The same real tokens, refused where policy says so.
    let access_token = user_result.access_token().expect("access token");
    let id_token = user_result.id_token().expect("id token");
    let access_only = Verifier::new(env("access", &client_id))
        .await
        .expect("verifier");
    assert_eq!(
        access_only.verify(id_token).await.unwrap_err(),
        VerifyError::TokenUseNotAllowed {
            actual: TokenUse::Id
        }
    );
    let other_client = Verifier::new(env("any", "someotherclient"))
        .await
        .expect("verifier");
    assert_eq!(
        other_client.verify(access_token).await.unwrap_err(),
        VerifyError::ClientNotAllowed
    );
    let (head, rest) = access_token.split_once('.').expect("compact JWS");
    let (_, signature) = rest.split_once('.').expect("compact JWS");
    let forged_payload = TokenBuilder::access(&pool_id, &client_id).build();
    let forged_payload = forged_payload.split('.').nth(1).expect("payload");
    let forged = format!("{head}.{forged_payload}.{signature}");
    assert_eq!(
        verifier.verify(&forged).await.unwrap_err(),
        VerifyError::InvalidSignature
    );
}

// ---- Differential oracle: jsonwebtoken -------------------------------------------

/// What a verifier made of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Accepted,
    Refused,
}
use Verdict::{Accepted, Refused};

/// jsonwebtoken 11 (aws-lc-rs backend) as a careful user would set it up
/// for Cognito id tokens: RS256 only, the pool's issuer and the client as
/// audience, the same leeway as ours (5 s), every other setting at its
/// default. Returns the verdict and jsonwebtoken's error kind.
fn jsonwebtoken_verdict(token: &str) -> (Verdict, String) {
    let jwk = DevKey::One.jwk();
    let key = jsonwebtoken::DecodingKey::from_rsa_components(
        jwk["n"].as_str().expect("n"),
        jwk["e"].as_str().expect("e"),
    )
    .expect("the committed key's components");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_issuer(&[tokens::issuer(POOL)]);
    validation.set_audience(&[CLIENT]);
    validation.leeway = 5;
    match jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation) {
        Ok(_) => (Accepted, String::new()),
        Err(error) => (Refused, format!("{:?}", error.kind())),
    }
}

/// The same tokens through both verifiers, the wrong-typed registered
/// claims of CVE-2026-25537's class above all: a claim of the wrong type
/// must be refused, never read as absent. For each case the table records
/// what jsonwebtoken does with its defaults (only `exp` required, `nbf`
/// not checked, `iat` never, `iss` and `aud` checked only when they parse
/// as strings, `crit` not enforced); README § Design decisions cites these
/// differences. Ours must refuse every wrong-typed claim, and agree with
/// jsonwebtoken on the controls: a token that both accept proves the set-up
/// is not refusing everything.
#[tokio::test]
async fn differential_against_jsonwebtoken_on_the_same_tokens() {
    let server = JwksServer::start(&tokens::jwks(&[DevKey::One])).await;
    let url = server.url_template();
    let verifier = Verifier::new(config(
        &[
            ("USER_POOL_ID", POOL),
            ("APP_CLIENT_IDS", CLIENT),
            ("TOKEN_USE", "id"),
            ("JWKS_URL", url.as_str()),
        ],
        FAST,
    ))
    .await
    .expect("verifier starts");
    let now = tokens::now();
    let issuer = tokens::issuer(POOL);
    let id = || TokenBuilder::id(POOL, CLIENT);
    let claim = |name: &str, value: serde_json::Value| id().claim(name, value);
    let far = now + 3600;

    // (case, token, ours must, jsonwebtoken does, what our refusal names)
    let cases: Vec<(&str, TokenBuilder, Verdict, Verdict, &str)> = vec![
        // Controls: both verifiers agree.
        ("valid", id(), Accepted, Accepted, ""),
        (
            "expired",
            claim("exp", json!(now - 3600)),
            Refused,
            Refused,
            "expired",
        ),
        (
            "wrong iss",
            claim("iss", json!(tokens::issuer(OTHER_POOL))),
            Refused,
            Refused,
            "issuer",
        ),
        (
            "wrong aud",
            claim("aud", json!("otherclient")),
            Refused,
            Refused,
            "app client",
        ),
        (
            "exp missing",
            id().without_claim("exp"),
            Refused,
            Refused,
            "`exp`",
        ),
        // exp of the wrong type: jsonwebtoken requires `exp` by default, so
        // it refuses these as missing (CVE-2026-25537 was a string `exp` read
        // as "no expiry" where `exp` was not required); a fraction it rounds.
        (
            "exp string",
            claim("exp", json!(far.to_string())),
            Refused,
            Refused,
            "`exp`",
        ),
        (
            "exp null",
            claim("exp", json!(null)),
            Refused,
            Refused,
            "`exp`",
        ),
        (
            "exp bool",
            claim("exp", json!(true)),
            Refused,
            Refused,
            "`exp`",
        ),
        (
            "exp array",
            claim("exp", json!([far])),
            Refused,
            Refused,
            "`exp`",
        ),
        (
            "exp fraction",
            claim("exp", json!(far as f64 + 0.5)),
            Refused,
            Accepted,
            "`exp`",
        ),
        (
            "exp negative",
            claim("exp", json!(-1)),
            Refused,
            Refused,
            "`exp`",
        ),
        // nbf: not validated by jsonwebtoken's default, whatever it holds.
        (
            "nbf string",
            claim("nbf", json!(now.to_string())),
            Refused,
            Accepted,
            "`nbf`",
        ),
        (
            "nbf null",
            claim("nbf", json!(null)),
            Refused,
            Accepted,
            "`nbf`",
        ),
        (
            "nbf bool",
            claim("nbf", json!(false)),
            Refused,
            Accepted,
            "`nbf`",
        ),
        (
            "nbf fraction",
            claim("nbf", json!(now as f64 - 0.5)),
            Refused,
            Accepted,
            "`nbf`",
        ),
        (
            "nbf in an hour",
            claim("nbf", json!(far)),
            Refused,
            Accepted,
            "not valid yet",
        ),
        // iat: never looked at by jsonwebtoken.
        (
            "iat string",
            claim("iat", json!(now.to_string())),
            Refused,
            Accepted,
            "`iat`",
        ),
        (
            "iat null",
            claim("iat", json!(null)),
            Refused,
            Accepted,
            "`iat`",
        ),
        (
            "iat bool",
            claim("iat", json!(true)),
            Refused,
            Accepted,
            "`iat`",
        ),
        (
            "iat missing",
            id().without_claim("iat"),
            Refused,
            Accepted,
            "`iat`",
        ),
        (
            "iat in an hour",
            claim("iat", json!(far)),
            Refused,
            Accepted,
            "in the future",
        ),
        // iss: checked by jsonwebtoken only when it parses as a string or a
        // list of strings, and not required unless asked.
        (
            "iss number",
            claim("iss", json!(42)),
            Refused,
            Accepted,
            "`iss`",
        ),
        (
            "iss null",
            claim("iss", json!(null)),
            Refused,
            Accepted,
            "`iss`",
        ),
        (
            "iss bool",
            claim("iss", json!(true)),
            Refused,
            Accepted,
            "`iss`",
        ),
        (
            "iss object",
            claim("iss", json!({"iss": issuer})),
            Refused,
            Accepted,
            "`iss`",
        ),
        (
            "iss missing",
            id().without_claim("iss"),
            Refused,
            Accepted,
            "`iss`",
        ),
        (
            "iss array",
            claim("iss", json!([issuer])),
            Refused,
            Accepted,
            "`iss`",
        ),
        // aud: likewise; Cognito never issues an array.
        (
            "aud number",
            claim("aud", json!(42)),
            Refused,
            Accepted,
            "`aud`",
        ),
        (
            "aud null",
            claim("aud", json!(null)),
            Refused,
            Accepted,
            "`aud`",
        ),
        (
            "aud bool",
            claim("aud", json!(false)),
            Refused,
            Accepted,
            "`aud`",
        ),
        (
            "aud missing",
            id().without_claim("aud"),
            Refused,
            Accepted,
            "`aud`",
        ),
        (
            "aud array",
            claim("aud", json!([CLIENT])),
            Refused,
            Accepted,
            "`aud`",
        ),
        (
            "aud array with another",
            claim("aud", json!([CLIENT, "otherclient"])),
            Refused,
            Accepted,
            "`aud`",
        ),
        // A critical header extension nobody understands (RFC 7515 §4.1.11:
        // must be refused).
        (
            "crit",
            id().header("crit", json!(["exp"])),
            Refused,
            Accepted,
            "`crit`",
        ),
    ];

    let mut table = Vec::new();
    let mut problems = Vec::new();
    for (case, builder, ours_must, theirs_does, reason) in cases {
        let token = builder.build();
        let ours = verifier.verify(&token).await;
        let ours_verdict = if ours.is_ok() { Accepted } else { Refused };
        let (theirs, theirs_error) = jsonwebtoken_verdict(&token);
        table.push(format!(
            "{case:24} ours {ours_verdict:?} ({}) | jsonwebtoken {theirs:?} {theirs_error}",
            ours.as_ref()
                .err()
                .map(ToString::to_string)
                .unwrap_or_default()
        ));
        if ours_verdict != ours_must {
            problems.push(format!(
                "{case}: ours {ours_verdict:?}, must be {ours_must:?}"
            ));
        }
        // Refused for the case's own reason, not an unrelated one.
        if let Err(error) = &ours
            && !error.to_string().contains(reason)
        {
            problems.push(format!(
                "{case}: ours refused with `{error}`, not for {reason}"
            ));
        }
        if theirs != theirs_does {
            problems.push(format!(
                "{case}: jsonwebtoken now {theirs:?} ({theirs_error}), recorded {theirs_does:?}: \
                 update README § Design decisions"
            ));
        }
    }
    println!("{}", table.join("\n"));
    assert!(
        problems.is_empty(),
        "{}\n\n{}",
        problems.join("\n"),
        table.join("\n")
    );
    // Every token was one the key set could check: nothing was fetched
    // after init.
    assert_eq!(server.requests(), 1);
}
