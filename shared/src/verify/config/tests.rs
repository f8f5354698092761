//! The verifier's configuration: every variable, its bounds and its refusals.

use super::*;

fn env(pairs: &[(&str, &str)]) -> Env {
    Env::from_pairs(pairs.iter().copied())
}

fn minimal() -> Vec<(&'static str, &'static str)> {
    vec![
        (USER_POOL_ID.name, "eu-west-1_AbC123"),
        (APP_CLIENT_IDS.name, "client1"),
    ]
}

fn with(extra: &[(&'static str, &'static str)]) -> Env {
    let mut pairs = minimal();
    pairs.extend_from_slice(extra);
    env(&pairs)
}

fn error(extra: &[(&'static str, &'static str)]) -> ConfigError {
    VerifierConfig::from_env(&with(extra)).unwrap_err()
}

#[test]
fn defaults() {
    let config = VerifierConfig::from_env(&with(&[])).unwrap();
    let pool = &config.pools()[0];
    assert_eq!(pool.id(), "eu-west-1_AbC123");
    assert_eq!(pool.region(), "eu-west-1");
    assert_eq!(
        pool.issuer(),
        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
    );
    assert_eq!(
        pool.jwks_url().as_str(),
        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/.well-known/jwks.json"
    );
    assert_eq!(pool.jwks_file(), None);
    assert_eq!(config.token_use(), TokenUsePolicy::Access);
    assert!(config.clients().allows("client1"));
    assert!(!config.clients().allows("client2"));
    assert_eq!(config.leeway, Duration::from_secs(5));
    assert_eq!(
        config.jwks,
        JwksSettings {
            max_age: Duration::from_secs(3600),
            cooldown: Duration::from_secs(10),
            stale_grace: Duration::from_secs(86_400),
            fetch_timeout: Duration::from_millis(1500),
            max_bytes: 150_000,
        }
    );
    assert_eq!(config.verified_cache_size, 1000);
}

#[test]
fn pool_ids_are_validated() {
    for good in [
        "us-east-1_abc",
        "us-gov-west-1_X9",
        "ap-southeast-4_Z",
        "il-central-1_a1",
    ] {
        assert!(pool_region(good).is_some(), "{good}");
    }
    for bad in [
        "AbC123",
        "eu-west-1_",
        "_AbC123",
        "eu-west_AbC123",
        "EU-west-1_AbC123",
        "eu-west-1_Ab-C123",
        "eu-west-1_AbC/../x",
        "eu-west-1_AbC123?x",
        "e-west-1_AbC123",
        "eu--1_AbC123",
        "eu-west-x_AbC123",
        "eu-west-1_a_b",
    ] {
        assert!(pool_region(bad).is_none(), "{bad}");
        let err = VerifierConfig::from_env(&env(&[
            (USER_POOL_ID.name, bad),
            (APP_CLIENT_IDS.name, "c"),
        ]))
        .unwrap_err();
        assert_eq!(err.variable, USER_POOL_ID.name);
    }
    assert!(pool_region(&format!("eu-west-1_{}", "a".repeat(50))).is_none());
}

#[test]
fn required_variables_are_required() {
    let err = VerifierConfig::from_env(&env(&[(APP_CLIENT_IDS.name, "c")])).unwrap_err();
    assert_eq!(err.variable, USER_POOL_ID.name);
    let err = VerifierConfig::from_env(&env(&[(USER_POOL_ID.name, "eu-west-1_A")])).unwrap_err();
    assert_eq!(err.variable, APP_CLIENT_IDS.name);
    let err = VerifierConfig::from_env(&env(&[
        (USER_POOL_ID.name, " , "),
        (APP_CLIENT_IDS.name, "c"),
    ]))
    .unwrap_err();
    assert_eq!(err.variable, USER_POOL_ID.name);
    let err = VerifierConfig::from_env(&env(&[
        (USER_POOL_ID.name, "eu-west-1_A"),
        (APP_CLIENT_IDS.name, ","),
    ]))
    .unwrap_err();
    assert_eq!(err.variable, APP_CLIENT_IDS.name);
}

#[test]
fn several_pools_need_the_placeholder_and_no_repeats() {
    let pools = "eu-west-1_A,us-east-1_B";
    let env_with = |extra: &[(&str, &str)]| {
        let mut pairs = vec![(USER_POOL_ID.name, pools), (APP_CLIENT_IDS.name, "c")];
        pairs.extend_from_slice(extra);
        VerifierConfig::from_env(&env(&pairs))
    };
    let config = env_with(&[]).unwrap();
    assert_eq!(
        config.pools()[1].issuer(),
        "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_B"
    );
    assert_eq!(
        env_with(&[(JWKS_URL.name, "http://127.0.0.1:1/jwks.json")])
            .unwrap_err()
            .variable,
        JWKS_URL.name
    );
    assert_eq!(
        env_with(&[(JWKS_FILE.name, "/keys.json")])
            .unwrap_err()
            .variable,
        JWKS_FILE.name
    );
    let config = env_with(&[
        (JWKS_URL.name, "http://127.0.0.1:1/{userPoolId}/jwks.json"),
        (JWKS_FILE.name, "/keys/{userPoolId}.json"),
    ])
    .unwrap();
    assert_eq!(
        config.pools()[1].jwks_url().as_str(),
        "http://127.0.0.1:1/us-east-1_B/jwks.json"
    );
    assert_eq!(
        config.pools()[0].jwks_file(),
        Some(std::path::Path::new("/keys/eu-west-1_A.json"))
    );
    let err = VerifierConfig::from_env(&env(&[
        (USER_POOL_ID.name, "eu-west-1_A, eu-west-1_A"),
        (APP_CLIENT_IDS.name, "c"),
    ]))
    .unwrap_err();
    assert_eq!(err.variable, USER_POOL_ID.name);
}

#[test]
fn jwks_url_must_be_https_or_loopback_http() {
    for good in [
        "https://vpce.example.com/{userPoolId}/jwks.json",
        "http://127.0.0.1:8080/{userPoolId}/.well-known/jwks.json",
        "http://localhost/jwks.json",
        "http://[::1]:9/jwks.json",
    ] {
        let config = VerifierConfig::from_env(&with(&[(JWKS_URL.name, good)])).unwrap();
        assert!(
            !config.pools()[0].jwks_url().as_str().contains('{'),
            "{good}"
        );
    }
    for bad in [
        "http://example.com/jwks.json",
        "ftp://127.0.0.1/x",
        "file:///etc/keys",
        "not a url",
    ] {
        assert_eq!(
            error(&[(JWKS_URL.name, bad)]).variable,
            JWKS_URL.name,
            "{bad}"
        );
    }
}

/// A pool id as cognito-local makes them: `local_` and 8 alphanumerics.
const LOCAL_POOL: &str = "local_2Gh7kQ9x";

fn emulated(origin: &str, pools: &str) -> Result<VerifierConfig, ConfigError> {
    VerifierConfig::from_env(&env(&[
        (USER_POOL_ID.name, pools),
        (APP_CLIENT_IDS.name, "c"),
        (COGNITO_EMULATOR_URL.name, origin),
    ]))
}

#[test]
fn the_emulator_replaces_cognito_in_the_issuer_and_the_jwks_url() {
    for (origin, base) in [
        ("http://127.0.0.1:9229", "http://127.0.0.1:9229"),
        ("http://127.0.0.1:9229/", "http://127.0.0.1:9229"),
        (" http://127.0.0.1:9229 ", "http://127.0.0.1:9229"),
        ("http://127.42.0.7:1", "http://127.42.0.7:1"),
        ("http://localhost:9229", "http://localhost:9229"),
        ("http://[::1]:9229", "http://[::1]:9229"),
        ("https://127.0.0.1:8443", "https://127.0.0.1:8443"),
        ("http://127.0.0.1", "http://127.0.0.1"),
    ] {
        let config = emulated(origin, LOCAL_POOL).unwrap();
        let pool = &config.pools()[0];
        assert_eq!(pool.id(), LOCAL_POOL, "{origin}");
        assert_eq!(pool.region(), EMULATOR_REGION, "{origin}");
        assert_eq!(pool.issuer(), format!("{base}/{LOCAL_POOL}"), "{origin}");
        assert_eq!(
            pool.jwks_url().as_str(),
            format!("{base}/{LOCAL_POOL}/.well-known/jwks.json"),
            "{origin}"
        );
    }
    // Every pool of the list gets the emulator's issuer, a regional id
    // too (an emulator may use either form).
    let config = emulated(
        "http://127.0.0.1:9229",
        &format!("{LOCAL_POOL},eu-west-1_A"),
    )
    .unwrap();
    assert_eq!(
        config.pools()[1].issuer(),
        "http://127.0.0.1:9229/eu-west-1_A"
    );
    assert_eq!(config.pools()[1].region(), "eu-west-1");
    // JWKS_URL still wins over the derived URL, with its own rule.
    let config = VerifierConfig::from_env(&env(&[
        (USER_POOL_ID.name, LOCAL_POOL),
        (APP_CLIENT_IDS.name, "c"),
        (COGNITO_EMULATOR_URL.name, "http://127.0.0.1:9229"),
        (JWKS_URL.name, "http://127.0.0.1:1/keys.json"),
    ]))
    .unwrap();
    assert_eq!(
        config.pools()[0].issuer(),
        "http://127.0.0.1:9229/local_2Gh7kQ9x"
    );
    assert_eq!(
        config.pools()[0].jwks_url().as_str(),
        "http://127.0.0.1:1/keys.json"
    );
}

#[test]
fn the_emulator_must_be_a_bare_loopback_origin() {
    for bad in [
        // Not loopback, including look-alikes.
        "http://example.com:9229",
        "https://cognito-idp.eu-west-1.amazonaws.com",
        "http://10.0.0.1:9229",
        "http://0.0.0.0:9229",
        "http://[::]:9229",
        "http://[::ffff:127.0.0.1]:9229",
        "http://localhost.example.com:9229",
        "http://127.0.0.1.nip.io:9229",
        "http://2130706433.example:9229",
        // Not http(s).
        "ftp://127.0.0.1:9229",
        "file:///tmp/jwks",
        "ws://127.0.0.1:9229",
        // More than an origin.
        "http://127.0.0.1:9229/prefix",
        "http://127.0.0.1:9229//",
        "http://user:secret@127.0.0.1:9229",
        "http://127.0.0.1:9229?x=1",
        "http://127.0.0.1:9229#x",
        // Not as the issuer check would compare it.
        "http://LOCALHOST:9229",
        "http://127.0.0.1:80",
        "HTTP://127.0.0.1:9229",
        // Not a URL.
        "127.0.0.1:9229",
        "localhost",
        "not a url",
    ] {
        let err = emulated(bad, LOCAL_POOL).unwrap_err();
        assert_eq!(err.variable, COGNITO_EMULATOR_URL.name, "{bad}: {err}");
        assert!(
            err.to_string().starts_with("COGNITO_EMULATOR_URL: "),
            "{bad}: {err}"
        );
        assert!(!err.reason.contains("secret"), "{bad}: {err}");
        // The same value with a regional pool id: refused all the same.
        let err = emulated(bad, "eu-west-1_A").unwrap_err();
        assert_eq!(err.variable, COGNITO_EMULATOR_URL.name, "{bad}: {err}");
    }
}

#[test]
fn emulator_pool_ids_are_refused_without_the_emulator() {
    // Production stays as strict as before: no `local_` pool, whatever
    // else is set.
    for pools in [LOCAL_POOL, "eu-west-1_A,local_B", "local_x"] {
        for extra in [
            &[][..],
            &[(
                JWKS_URL.name,
                "http://127.0.0.1:9229/{userPoolId}/.well-known/jwks.json",
            )][..],
            &[(COGNITO_EMULATOR_URL.name, " ")][..],
        ] {
            let mut pairs = vec![(USER_POOL_ID.name, pools), (APP_CLIENT_IDS.name, "c")];
            pairs.extend_from_slice(extra);
            let err = VerifierConfig::from_env(&env(&pairs)).unwrap_err();
            assert_eq!(err.variable, USER_POOL_ID.name, "{pools} {extra:?}");
            assert!(err.reason.contains(COGNITO_EMULATOR_URL.name), "{err}");
        }
    }
    assert!(!is_emulator_pool_id("eu-west-1_A"));
    // With the emulator, a `local_` id must still be well formed.
    for bad in [
        "local_",
        "local",
        "local_a-b",
        "local_a_b",
        "local_a/../b",
        "local_a?x",
        "LOCAL_abc",
        "Local_abc",
        "local-1_abc",
        "locall_abc",
        "xlocal_abc",
    ] {
        assert!(!is_emulator_pool_id(bad), "{bad}");
        let err = emulated("http://127.0.0.1:9229", bad).unwrap_err();
        assert_eq!(err.variable, USER_POOL_ID.name, "{bad}");
    }
    let longest = format!("local_{}", "a".repeat(49));
    assert!(emulated("http://127.0.0.1:9229", &longest).is_ok());
    let too_long = format!("local_{}", "a".repeat(50));
    assert_eq!(
        emulated("http://127.0.0.1:9229", &too_long)
            .unwrap_err()
            .variable,
        USER_POOL_ID.name
    );
    // And still never twice.
    let err = emulated("http://127.0.0.1:9229", "local_A, local_A").unwrap_err();
    assert_eq!(err.variable, USER_POOL_ID.name);
}

#[test]
fn client_star_must_stand_alone() {
    let config = VerifierConfig::from_env(&env(&[
        (USER_POOL_ID.name, "eu-west-1_A"),
        (APP_CLIENT_IDS.name, " * "),
    ]))
    .unwrap();
    assert_eq!(config.clients(), &ClientPolicy::Any);
    assert!(config.clients().allows("anything"));
    let err = VerifierConfig::from_env(&env(&[
        (USER_POOL_ID.name, "eu-west-1_A"),
        (APP_CLIENT_IDS.name, "c1,*"),
    ]))
    .unwrap_err();
    assert_eq!(err.variable, APP_CLIENT_IDS.name);
    let err = VerifierConfig::from_env(&env(&[
        (USER_POOL_ID.name, "eu-west-1_A"),
        (APP_CLIENT_IDS.name, "c1,c 2"),
    ]))
    .unwrap_err();
    assert_eq!(err.variable, APP_CLIENT_IDS.name);
}

#[test]
fn token_use_values() {
    for (value, policy) in [
        ("access", TokenUsePolicy::Access),
        ("id", TokenUsePolicy::Id),
        ("any", TokenUsePolicy::Any),
    ] {
        let config = VerifierConfig::from_env(&with(&[(TOKEN_USE.name, value)])).unwrap();
        assert_eq!(config.token_use(), policy);
    }
    assert_eq!(
        error(&[(TOKEN_USE.name, "refresh")]).variable,
        TOKEN_USE.name
    );
    assert!(TokenUsePolicy::Any.allows(TokenUse::Id));
    assert!(!TokenUsePolicy::Access.allows(TokenUse::Id));
    assert!(!TokenUsePolicy::Id.allows(TokenUse::Access));
}

#[test]
fn tunables_are_bounded() {
    for variable in [
        JWT_LEEWAY_SECONDS.name,
        JWKS_MAX_AGE_SECONDS.name,
        JWKS_COOLDOWN_SECONDS.name,
        JWKS_FETCH_TIMEOUT_MS.name,
        JWKS_MAX_BYTES.name,
        JWKS_STALE_GRACE_SECONDS.name,
        VERIFIED_TOKEN_CACHE_SIZE.name,
    ] {
        assert_eq!(error(&[(variable, "99999999")]).variable, variable);
        assert_eq!(error(&[(variable, "-1")]).variable, variable);
    }
    assert_eq!(
        error(&[(JWKS_COOLDOWN_SECONDS.name, "0")]).variable,
        JWKS_COOLDOWN_SECONDS.name
    );
    let config = VerifierConfig::from_env(&with(&[
        (JWT_LEEWAY_SECONDS.name, "0"),
        (VERIFIED_TOKEN_CACHE_SIZE.name, "0"),
        (JWKS_FETCH_TIMEOUT_MS.name, "250"),
    ]))
    .unwrap();
    assert_eq!(config.leeway, Duration::ZERO);
    assert_eq!(config.verified_cache_size, 0);
    assert_eq!(config.jwks.fetch_timeout, Duration::from_millis(250));
}

#[test]
fn jwks_is_one_pools_keys_and_not_beside_jwks_file() {
    let config = VerifierConfig::from_env(&with(&[(JWKS.name, r#"{"keys":[]}"#)])).unwrap();
    assert_eq!(config.pools()[0].handed_in(), Some(r#"{"keys":[]}"#));
    assert_eq!(
        VerifierConfig::from_env(&with(&[])).unwrap().pools()[0].handed_in(),
        None
    );
    assert_eq!(
        error(&[(JWKS.name, "{}"), (JWKS_FILE.name, "/keys.json")]).variable,
        JWKS.name
    );
    let several = error(&[
        (USER_POOL_ID.name, "eu-west-1_A,us-east-1_B"),
        (JWKS_URL.name, "http://127.0.0.1:1/{userPoolId}/jwks.json"),
        (JWKS.name, "{}"),
    ]);
    assert_eq!(several.variable, JWKS.name);
    assert!(several.to_string().contains("several pools"), "{several}");
}
