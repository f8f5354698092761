//! Signing keys: parsing a JWKS into verified-ready keys, and the per-pool
//! cache that decides when to fetch again.
//!
//! # Parsing ([`KeySet::parse`])
//! Each key is checked and turned into a parsed aws-lc-rs public key once, at
//! load, so verifying a token costs one RSA operation and nothing else. A key
//! we cannot use safely is skipped with a warning, not fatal, so that one odd
//! key (an EC key, a short modulus) cannot take the whole set down; a set
//! with no usable key at all is an error. A key is used only if:
//! - `kty` is `RSA`, `use` is `sig` when present, `alg` is `RS256` when
//!   present, `key_ops` includes `verify` when present;
//! - it has a `kid`, and no other key in the set has the same `kid` (an
//!   ambiguous `kid` is dropped entirely rather than resolved by order);
//! - its modulus is 2048 to 8192 bits, its exponent odd and from 3 to
//!   2^32-1, and aws-lc accepts both.
//!
//! # Caching (`PoolKeys`)
//! Per user pool. The rules, which close the gaps in aws-jwt-verify (no
//! expiry, no rate limit on failures, no size limit):
//! - keys come from `JWKS_FILE` or a fetch at init; while they are younger
//!   than the maximum age, the hot path touches no network and takes no lock
//!   beyond a brief read lock;
//! - an unknown `kid` triggers a refresh. At most one fetch is in flight per
//!   pool (a `tokio::sync::Mutex`; the others wait for it and then look
//!   again), and after every attempt, failed or not, a cooldown passes before
//!   the next. A flood of random `kid`s therefore costs at most one fetch per
//!   cooldown;
//! - keys older than the maximum age are refreshed. While a refresh is in
//!   flight, or has just failed, requests whose `kid` is in the old set keep
//!   using it, for at most the stale grace past the maximum age, with a
//!   warning per failed refresh. After that the pool's tokens are refused;
//! - a failed or invalid fetch never replaces the keys held.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::error::{JwksError, VerifyError};
use crate::fetch::Fetcher;
use crate::token::parse_object;

/// The only algorithm any cached key is used with. Cognito signs with RS256.
pub const RS256: &str = "RS256";

/// The shortest modulus accepted. 1024-bit RSA is within reach of a
/// well-funded attacker; NIST has disallowed it for signatures since 2013.
pub const MIN_MODULUS_BITS: usize = 2048;

/// The longest modulus accepted: bounds the cost of one verification, and is
/// aws-lc's own upper limit for `RSA_PKCS1_2048_8192_SHA256`.
pub const MAX_MODULUS_BITS: usize = 8192;

/// One usable RSA signing key, parsed once.
pub struct VerifyingKey {
    kid: String,
    modulus_bits: usize,
    key: ParsedPublicKey,
}

impl VerifyingKey {
    /// The `kid` this key is published under.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The JWS algorithm this key verifies. Always [`RS256`]: the algorithm
    /// comes from the key, never from the token.
    pub fn alg(&self) -> &'static str {
        RS256
    }

    /// The modulus length in bits.
    pub fn modulus_bits(&self) -> usize {
        self.modulus_bits
    }

    /// Whether `signature` is a valid RSASSA-PKCS1-v1_5 SHA-256 signature of
    /// `message` under this key.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.key.verify_sig(message, signature).is_ok()
    }
}

/// Shows which key, never its material.
impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .field("modulus_bits", &self.modulus_bits)
            .finish_non_exhaustive()
    }
}

/// The usable keys of one JWKS document, by `kid`.
#[derive(Debug, Default)]
pub struct KeySet {
    keys: HashMap<String, Arc<VerifyingKey>>,
}

impl KeySet {
    /// Parses a JWKS document. See the module doc for which keys are kept.
    pub fn parse(bytes: &[u8]) -> Result<KeySet, JwksError> {
        let mut document = parse_object(bytes).map_err(|_| JwksError::InvalidJson)?;
        let Some(keys) = document.remove("keys") else {
            return Err(JwksError::NotJwks("no `keys` member"));
        };
        let Value::Array(keys) = keys else {
            return Err(JwksError::NotJwks("`keys` is not an array"));
        };

        let mut usable: HashMap<String, Arc<VerifyingKey>> = HashMap::new();
        let mut ambiguous: Vec<String> = Vec::new();
        for (index, jwk) in keys.iter().enumerate() {
            let key = match parse_key(jwk) {
                Ok(key) => key,
                Err(skip) => {
                    let kid = jwk.get("kid").and_then(|kid| kid.as_str()).map(log_safe);
                    tracing::warn!(
                        index,
                        kid,
                        reason = skip.0,
                        "skipping a JWKS key that cannot be used"
                    );
                    continue;
                }
            };
            match usable.entry(key.kid.clone()) {
                Entry::Vacant(slot) => {
                    slot.insert(Arc::new(key));
                }
                Entry::Occupied(_) => ambiguous.push(key.kid),
            }
        }
        for kid in ambiguous {
            if usable.remove(&kid).is_some() {
                tracing::warn!(
                    kid = log_safe(&kid),
                    "dropping a kid that appears more than once in the JWKS"
                );
            }
        }
        if usable.is_empty() {
            return Err(JwksError::NoUsableKeys);
        }
        Ok(KeySet { keys: usable })
    }

    /// The key published under `kid`.
    pub fn get(&self, kid: &str) -> Option<&Arc<VerifyingKey>> {
        self.keys.get(kid)
    }

    /// How many usable keys the set holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set holds no key (never true for a parsed set).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The `kid`s held, in no particular order.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }
}

/// Why one JWK was skipped: a static reason for the log.
#[derive(Debug)]
struct Skip(&'static str);

fn parse_key(jwk: &Value) -> Result<VerifyingKey, Skip> {
    let Value::Object(jwk) = jwk else {
        return Err(Skip("not a JSON object"));
    };
    let kid = match jwk.get("kid") {
        Some(Value::String(kid)) if !kid.is_empty() => kid.clone(),
        _ => return Err(Skip("no kid")),
    };
    if member(jwk, "kty") != Some("RSA") {
        return Err(Skip("kty is not RSA"));
    }
    if !optional_member_is(jwk, "use", "sig") {
        return Err(Skip("use is not sig"));
    }
    if !optional_member_is(jwk, "alg", RS256) {
        return Err(Skip("alg is not RS256"));
    }
    if let Some(ops) = jwk.get("key_ops") {
        let verifies = ops
            .as_array()
            .is_some_and(|ops| ops.iter().any(|op| op == "verify"));
        if !verifies {
            return Err(Skip("key_ops does not include verify"));
        }
    }
    let n = component(jwk, "n").ok_or(Skip("n is not unpadded base64url"))?;
    let e = component(jwk, "e").ok_or(Skip("e is not unpadded base64url"))?;
    // aws-lc accepts any `e` here; refuse the degenerate ones ourselves. An
    // `e` of 1 would make every message its own signature.
    let exponent_ok = e.len() <= 4 && e.last().is_some_and(|low| low & 1 == 1) && e != [1];
    if !exponent_ok {
        return Err(Skip("e is not an odd exponent from 3 to 2^32-1"));
    }
    let modulus_bits = bit_length(&n);
    if modulus_bits < MIN_MODULUS_BITS {
        return Err(Skip("modulus shorter than 2048 bits"));
    }
    if modulus_bits > MAX_MODULUS_BITS {
        return Err(Skip("modulus longer than 8192 bits"));
    }
    let key = RsaPublicKeyComponents { n, e }
        .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
        .map_err(|_| Skip("aws-lc refused the RSA components"))?;
    Ok(VerifyingKey {
        kid,
        modulus_bits,
        key,
    })
}

fn member<'a>(jwk: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    jwk.get(name).and_then(Value::as_str)
}

/// Absent, or present with exactly `expected`.
fn optional_member_is(jwk: &Map<String, Value>, name: &str, expected: &str) -> bool {
    match jwk.get(name) {
        None => true,
        Some(value) => value == expected,
    }
}

/// A base64url big-endian integer, leading zero octets stripped (RFC 7518
/// forbids them, but some publishers add one; aws-lc refuses them).
fn component(jwk: &Map<String, Value>, name: &str) -> Option<Vec<u8>> {
    let bytes = URL_SAFE_NO_PAD.decode(member(jwk, name)?).ok()?;
    let first = bytes.iter().position(|&byte| byte != 0)?;
    Some(bytes[first..].to_vec())
}

/// Bit length of a big-endian integer without leading zero octets.
fn bit_length(bytes: &[u8]) -> usize {
    match bytes.first() {
        None => 0,
        Some(&first) => (bytes.len() - 1) * 8 + (8 - first.leading_zeros() as usize),
    }
}

/// A JWKS `kid` is published data, not token data, so it may be logged; it
/// is still cut short, since a hostile endpoint could make it huge.
fn log_safe(kid: &str) -> &str {
    match kid.char_indices().nth(64) {
        Some((end, _)) => &kid[..end],
        None => kid,
    }
}

/// When cached keys are fresh, stale or dead, and how often to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshPolicy {
    /// Keys older than this are refreshed before (or while) being used.
    pub max_age: Duration,
    /// The least time between two fetch attempts for one pool, whatever
    /// their outcome.
    pub cooldown: Duration,
    /// How long past `max_age` old keys stay in service while refreshing
    /// fails.
    pub stale_grace: Duration,
}

/// What one pool's key cache holds: for health checks, metrics and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwksStatus {
    /// The pool id.
    pub pool_id: String,
    /// How many usable keys are held; 0 when none are.
    pub keys: usize,
    /// How long ago the keys held were loaded.
    pub age: Option<Duration>,
    /// The [`JwksError::reason`] of the last fetch attempt if it failed;
    /// `None` after a success or before any attempt.
    pub last_error: Option<&'static str>,
}

/// Keys held for one pool, with the time they were loaded.
struct Loaded {
    keys: KeySet,
    at: Instant,
}

/// The state only the refresher touches, behind the async mutex.
#[derive(Default)]
struct RefreshState {
    /// When the last fetch attempt started, then when it ended; successful
    /// or not. The cooldown runs from here.
    last_attempt: Option<Instant>,
}

/// The key cache of one user pool. See the module doc.
pub(crate) struct PoolKeys {
    pool_id: String,
    url: reqwest::Url,
    policy: RefreshPolicy,
    current: RwLock<Option<Arc<Loaded>>>,
    refresh: tokio::sync::Mutex<RefreshState>,
    /// Mirrors the outcome of the last attempt for [`PoolKeys::status`],
    /// which must not wait on the async refresh lock.
    last_error: std::sync::Mutex<Option<&'static str>>,
    /// Counts for metrics, read by [`PoolKeys::counts`]; they change
    /// nothing the cache does.
    fetches_ok: AtomicU64,
    fetches_failed: AtomicU64,
    stale_uses: AtomicU64,
}

/// What one pool's cache has done since it was built, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolCounts {
    /// Fetches that returned a usable key set.
    pub fetches_ok: u64,
    /// Fetches that failed (network, status, size, parse).
    pub fetches_failed: u64,
    /// Keys handed out past their max age (the endpoint failing).
    pub stale_uses: u64,
}

impl PoolKeys {
    /// An empty cache for `pool_id`, fetching from `url`.
    pub(crate) fn new(pool_id: &str, url: reqwest::Url, policy: RefreshPolicy) -> Self {
        Self {
            pool_id: pool_id.to_owned(),
            url,
            policy,
            current: RwLock::new(None),
            refresh: tokio::sync::Mutex::new(RefreshState::default()),
            last_error: std::sync::Mutex::new(None),
            fetches_ok: AtomicU64::new(0),
            fetches_failed: AtomicU64::new(0),
            stale_uses: AtomicU64::new(0),
        }
    }

    /// What this cache has done since it was built.
    pub(crate) fn counts(&self) -> PoolCounts {
        PoolCounts {
            fetches_ok: self.fetches_ok.load(Ordering::Relaxed),
            fetches_failed: self.fetches_failed.load(Ordering::Relaxed),
            stale_uses: self.stale_uses.load(Ordering::Relaxed),
        }
    }

    /// What the cache holds now.
    pub(crate) fn status(&self) -> JwksStatus {
        let loaded = self.snapshot();
        JwksStatus {
            pool_id: self.pool_id.clone(),
            keys: loaded.as_ref().map_or(0, |loaded| loaded.keys.len()),
            age: loaded.map(|loaded| loaded.at.elapsed()),
            last_error: *self
                .last_error
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        }
    }

    /// Installs keys read at init (`JWKS_FILE`). They age like fetched keys;
    /// no fetch attempt is recorded, so an unknown `kid` may fetch at once.
    pub(crate) fn seed(&self, keys: KeySet) {
        self.store(keys);
    }

    /// The init fetch. A failure is logged and counts as an attempt (so the
    /// cooldown applies); the pool then fetches again on demand.
    pub(crate) async fn hydrate(&self, fetcher: &Fetcher) {
        let state = self.refresh.lock().await;
        self.refresh_locked(state, fetcher).await;
    }

    /// The key for `kid`, refreshing as the module doc describes.
    pub(crate) async fn key(
        &self,
        kid: &str,
        fetcher: &Fetcher,
    ) -> Result<Arc<VerifyingKey>, VerifyError> {
        let now = Instant::now();
        if let Some(loaded) = self.snapshot() {
            let age = now.saturating_duration_since(loaded.at);
            if let Some(key) = loaded.keys.get(kid) {
                if age < self.policy.max_age {
                    return Ok(Arc::clone(key));
                }
                if age < self.stale_limit() {
                    // Due for refresh, but usable. One caller refreshes; the
                    // others do not queue behind a slow endpoint, they use
                    // the old key (the refresher's fetch is bounded anyway).
                    if let Ok(state) = self.refresh.try_lock() {
                        self.refresh_locked(state, fetcher).await;
                    }
                    return self.lookup(kid);
                }
            }
        }
        // No keys, dead keys, or an unknown kid: wait for a refresh (or for
        // the one in flight), then look again.
        let state = self.refresh.lock().await;
        self.refresh_locked(state, fetcher).await;
        self.lookup(kid)
    }

    /// `max_age + stale_grace`: past this, keys are not used at all.
    fn stale_limit(&self) -> Duration {
        self.policy.max_age.saturating_add(self.policy.stale_grace)
    }

    fn snapshot(&self) -> Option<Arc<Loaded>> {
        // A poisoned lock only means a panic elsewhere while holding it; the
        // `Option<Arc<_>>` inside is always whole, so keep using it.
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn store(&self, keys: KeySet) {
        let loaded = Arc::new(Loaded {
            keys,
            at: Instant::now(),
        });
        *self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(loaded);
    }

    /// Looks `kid` up in whatever is held now, refusing dead keys.
    fn lookup(&self, kid: &str) -> Result<Arc<VerifyingKey>, VerifyError> {
        let Some(loaded) = self.snapshot() else {
            return Err(VerifyError::JwksUnavailable);
        };
        let age = loaded.at.elapsed();
        if age >= self.stale_limit() {
            return Err(VerifyError::JwksUnavailable);
        }
        let key = loaded
            .keys
            .get(kid)
            .map(Arc::clone)
            .ok_or(VerifyError::UnknownKid)?;
        if age >= self.policy.max_age {
            self.stale_uses.fetch_add(1, Ordering::Relaxed);
        }
        Ok(key)
    }

    /// Fetches unless the cooldown forbids it. Runs with the refresh lock
    /// held, so a caller that waited for someone else's fetch lands here
    /// right after it and finds the cooldown running: no second fetch.
    async fn refresh_locked(
        &self,
        mut state: tokio::sync::MutexGuard<'_, RefreshState>,
        fetcher: &Fetcher,
    ) {
        if state
            .last_attempt
            .is_some_and(|last| last.elapsed() < self.policy.cooldown)
        {
            return;
        }
        // Recorded before the fetch too: if this future is dropped mid-fetch
        // (an abandoned invocation), the next caller must still wait.
        state.last_attempt = Some(Instant::now());
        let result = match fetcher.fetch(&self.url).await {
            Ok(body) => KeySet::parse(&body),
            Err(err) => Err(err),
        };
        state.last_attempt = Some(Instant::now());
        *self
            .last_error
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            result.as_ref().err().map(JwksError::reason);
        let counter = if result.is_ok() {
            &self.fetches_ok
        } else {
            &self.fetches_failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
        match result {
            Ok(keys) => {
                tracing::info!(
                    pool_id = %self.pool_id,
                    keys = keys.len(),
                    "fetched the user pool's JWKS"
                );
                self.store(keys);
            }
            Err(err) => self.log_failure(&err),
        }
    }

    fn log_failure(&self, err: &JwksError) {
        let held = self.snapshot().map(|loaded| loaded.at.elapsed());
        let cooldown_ms = u64::try_from(self.policy.cooldown.as_millis()).unwrap_or(u64::MAX);
        match held {
            Some(age) if age < self.stale_limit() => tracing::warn!(
                pool_id = %self.pool_id,
                url = %self.url,
                reason = err.reason(),
                error = %err,
                // Past the max age the keys are stale: served only until
                // the stale limit, so this warning repeats each cooldown.
                stale = age >= self.policy.max_age,
                keys_age_s = age.as_secs(),
                stale_limit_s = self.stale_limit().as_secs(),
                cooldown_ms,
                "JWKS refresh failed; the keys held stay in use"
            ),
            _ => tracing::error!(
                pool_id = %self.pool_id,
                url = %self.url,
                reason = err.reason(),
                error = %err,
                cooldown_ms,
                "JWKS fetch failed and no usable keys are held; this pool's tokens are refused"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEV_1: &str = include_str!("../../tests/fixtures/keys/dev-rsa-1.jwks.json");
    const DEV_2: &str = include_str!("../../tests/fixtures/keys/dev-rsa-2.jwks.json");
    const WEAK: &str = include_str!("../../tests/fixtures/keys/weak-rsa-1024.jwks.json");

    fn jwk(set: &str) -> Map<String, Value> {
        let Value::Object(mut doc) = serde_json::from_str(set).unwrap() else {
            panic!("fixture is an object");
        };
        let Value::Array(mut keys) = doc.remove("keys").unwrap() else {
            panic!("fixture has keys");
        };
        let Value::Object(key) = keys.remove(0) else {
            panic!("fixture key is an object");
        };
        key
    }

    fn set_of(keys: &[Value]) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({ "keys": keys })).unwrap()
    }

    fn with(mut key: Map<String, Value>, name: &str, value: Value) -> Value {
        key.insert(name.to_owned(), value);
        Value::Object(key)
    }

    #[test]
    fn fixture_keys_parse() {
        let set = KeySet::parse(DEV_1.as_bytes()).unwrap();
        assert_eq!(set.len(), 1);
        let key = set.get("dev-key-1").unwrap();
        assert_eq!(key.modulus_bits(), 2048);
        assert_eq!(key.alg(), RS256);
        assert!(format!("{key:?}").contains("dev-key-1"));
        assert!(!format!("{key:?}").contains("qzlY"));
    }

    #[test]
    fn a_1024_bit_key_is_skipped_and_alone_is_no_usable_keys() {
        assert!(matches!(
            KeySet::parse(WEAK.as_bytes()),
            Err(JwksError::NoUsableKeys)
        ));
        let both = set_of(&[Value::Object(jwk(WEAK)), Value::Object(jwk(DEV_1))]);
        let set = KeySet::parse(&both).unwrap();
        assert_eq!(set.kids().collect::<Vec<_>>(), ["dev-key-1"]);
    }

    #[test]
    fn ec_and_symmetric_keys_are_skipped() {
        let ec = serde_json::json!({
            "kty": "EC", "crv": "P-256", "kid": "ec-1", "use": "sig", "alg": "ES256",
            "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
        });
        let oct = serde_json::json!({ "kty": "oct", "kid": "hmac-1", "k": "c2VjcmV0" });
        let set = KeySet::parse(&set_of(&[ec, oct, Value::Object(jwk(DEV_1))])).unwrap();
        assert_eq!(set.len(), 1);
        assert!(set.get("ec-1").is_none());
        assert!(set.get("hmac-1").is_none());
    }

    #[test]
    fn keys_with_other_uses_or_algorithms_are_skipped() {
        let base = jwk(DEV_1);
        for bad in [
            with(base.clone(), "use", "enc".into()),
            with(base.clone(), "alg", "RS512".into()),
            with(base.clone(), "alg", "PS256".into()),
            with(base.clone(), "alg", "none".into()),
            with(base.clone(), "key_ops", serde_json::json!(["encrypt"])),
            with(base.clone(), "kty", "rsa".into()),
            with(base.clone(), "kid", "".into()),
            with(base.clone(), "kid", 5.into()),
            with(base.clone(), "n", "not base64!".into()),
            with(base.clone(), "e", "AQAB=".into()),
            with(base.clone(), "e", "AA".into()),
            with(base.clone(), "e", "AQ".into()),
            with(base.clone(), "e", "AAE".into()),
            with(base.clone(), "e", "AQAA".into()),
            with(base.clone(), "e", "AQAAAAE".into()),
            Value::String("not a key".into()),
        ] {
            assert!(
                matches!(
                    KeySet::parse(&set_of(std::slice::from_ref(&bad))),
                    Err(JwksError::NoUsableKeys)
                ),
                "{bad}"
            );
        }
        // Absent `use`/`alg` are fine: RFC 7517 makes them optional.
        let mut bare = base;
        bare.remove("use");
        bare.remove("alg");
        assert_eq!(
            KeySet::parse(&set_of(&[Value::Object(bare)]))
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn a_leading_zero_octet_in_n_is_tolerated() {
        let mut key = jwk(DEV_1);
        let n = URL_SAFE_NO_PAD.decode(key["n"].as_str().unwrap()).unwrap();
        let padded = [&[0u8][..], &n].concat();
        key.insert("n".into(), URL_SAFE_NO_PAD.encode(padded).into());
        let set = KeySet::parse(&set_of(&[Value::Object(key)])).unwrap();
        assert_eq!(set.get("dev-key-1").unwrap().modulus_bits(), 2048);
    }

    #[test]
    fn duplicate_kids_are_dropped_entirely() {
        let one = jwk(DEV_1);
        let mut impostor = jwk(DEV_2);
        impostor.insert("kid".into(), "dev-key-1".into());
        let set = KeySet::parse(&set_of(&[
            Value::Object(one),
            Value::Object(impostor),
            Value::Object(jwk(DEV_2)),
        ]))
        .unwrap();
        assert!(set.get("dev-key-1").is_none());
        assert!(set.get("dev-key-2").is_some());
    }

    #[test]
    fn documents_that_are_not_jwks_are_errors() {
        for (body, reason) in [
            (&b"<html>oops</html>"[..], "jwks_invalid_json"),
            (b"[]", "jwks_invalid_json"),
            (b"{\"keys\":[],\"keys\":[]}", "jwks_invalid_json"),
            (b"{}", "jwks_not_jwks"),
            (b"{\"keys\":{}}", "jwks_not_jwks"),
            (b"{\"keys\":[]}", "jwks_no_usable_keys"),
        ] {
            assert_eq!(KeySet::parse(body).unwrap_err().reason(), reason);
        }
    }

    #[test]
    fn bit_length_counts_from_the_top_bit() {
        assert_eq!(bit_length(&[]), 0);
        assert_eq!(bit_length(&[1]), 1);
        assert_eq!(bit_length(&[0x80, 0]), 16);
        assert_eq!(bit_length(&[0x7f, 0]), 15);
    }

    #[test]
    fn log_safe_cuts_long_kids_on_a_char_boundary() {
        assert_eq!(log_safe("short"), "short");
        let long = "é".repeat(100);
        assert_eq!(log_safe(&long).chars().count(), 64);
    }

    fn unreachable_url() -> reqwest::Url {
        // Port 9 (discard) on loopback: nothing listens, the connect is refused.
        reqwest::Url::parse("http://127.0.0.1:9/jwks.json").unwrap()
    }

    fn policy(max_age_ms: u64, cooldown_ms: u64, grace_ms: u64) -> RefreshPolicy {
        RefreshPolicy {
            max_age: Duration::from_millis(max_age_ms),
            cooldown: Duration::from_millis(cooldown_ms),
            stale_grace: Duration::from_millis(grace_ms),
        }
    }

    #[tokio::test]
    async fn no_keys_and_a_dead_endpoint_is_jwks_unavailable() {
        let fetcher = Fetcher::new(Duration::from_millis(500), 10_000);
        let pool = PoolKeys::new("p", unreachable_url(), policy(60_000, 60_000, 0));
        pool.hydrate(&fetcher).await;
        assert_eq!(
            pool.key("dev-key-1", &fetcher).await.unwrap_err(),
            VerifyError::JwksUnavailable
        );
        // The init fetch failed; the cooldown kept the lookup from fetching.
        assert_eq!(
            pool.counts(),
            PoolCounts {
                fetches_ok: 0,
                fetches_failed: 1,
                stale_uses: 0
            }
        );
    }

    #[tokio::test]
    async fn seeded_keys_serve_without_fetching_and_unknown_kids_are_refused() {
        let fetcher = Fetcher::new(Duration::from_millis(500), 10_000);
        let pool = PoolKeys::new("p", unreachable_url(), policy(60_000, 60_000, 0));
        pool.seed(KeySet::parse(DEV_1.as_bytes()).unwrap());
        assert_eq!(
            pool.key("dev-key-1", &fetcher).await.unwrap().kid(),
            "dev-key-1"
        );
        // Serving a known kid attempted no fetch.
        assert!(pool.refresh.try_lock().unwrap().last_attempt.is_none());
        assert_eq!(
            pool.key("other", &fetcher).await.unwrap_err(),
            VerifyError::UnknownKid
        );
    }

    #[tokio::test]
    async fn stale_keys_serve_within_the_grace_then_stop() {
        let fetcher = Fetcher::new(Duration::from_millis(500), 10_000);
        let pool = PoolKeys::new("p", unreachable_url(), policy(50, 10, 300));
        pool.seed(KeySet::parse(DEV_1.as_bytes()).unwrap());
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert_eq!(pool.counts(), PoolCounts::default());
        // Past max age, refresh fails, the old key still serves.
        assert!(pool.key("dev-key-1", &fetcher).await.is_ok());
        assert_eq!(
            pool.counts(),
            PoolCounts {
                fetches_ok: 0,
                fetches_failed: 1,
                stale_uses: 1
            }
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            pool.key("dev-key-1", &fetcher).await.unwrap_err(),
            VerifyError::JwksUnavailable
        );
    }
}
