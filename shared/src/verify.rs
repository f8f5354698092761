//! [`Verifier`]: checks a Cognito access or id token and returns its claims.
//!
//! The checks run cheapest and most general first, so that junk costs little
//! and never reaches the network:
//! 1. size cap, then the verified-token cache (one SHA-256 and a lookup);
//! 2. shape, header and strict JSON (`token.rs`); `alg` must be RS256, the
//!    only algorithm any cached key has, before any key is looked up;
//! 3. claim types (`claims.rs`), then `iss` must be exactly a configured
//!    pool's issuer: that picks the pool, and only that pool's keys are
//!    consulted, so pool B's key cannot vouch for a token claiming pool A;
//! 4. the key by `kid` from that pool's cache (`jwks/cache.rs`), whose `alg` must
//!    equal the header's; then the RS256 signature;
//! 5. `exp`, `nbf`, `iat` with the leeway; `token_use` against `TOKEN_USE`;
//!    the client (`client_id` or `aud`) against `APP_CLIENT_IDS`.
//!
//! Nothing of the token is logged here; callers log [`VerifyError::reason`].

mod cache;
mod config;

pub use config::{
    APP_CLIENT_IDS, COGNITO_EMULATOR_URL, ClientPolicy, JWKS, JWKS_COOLDOWN_SECONDS,
    JWKS_FETCH_TIMEOUT_MS, JWKS_FILE, JWKS_MAX_AGE_SECONDS, JWKS_MAX_BYTES,
    JWKS_STALE_GRACE_SECONDS, JWKS_URL, JWT_LEEWAY_SECONDS, JwksSettings, POOL_ID_PLACEHOLDER,
    TOKEN_USE, TokenUsePolicy, USER_POOL_ID, UserPool, VARIABLES, VERIFIED_TOKEN_CACHE_SIZE,
    VerifierConfig,
};

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::claims::{Claims, UnverifiedClaims, check_times};
use crate::config::ConfigError;
use crate::error::VerifyError;
use crate::fetch::{Fetcher, read_file};
use crate::jwks::{JwksStatus, KeySet, PoolCounts, PoolKeys, RS256};
use crate::token::{MAX_TOKEN_BYTES, decompose_unverified};
use cache::VerifiedCache;

/// Verifies Cognito tokens. Build one at init and share it by reference: it
/// is `Send + Sync`, and its caches are what make warm invocations cheap.
pub struct Verifier {
    /// Exact issuer → that pool's keys.
    pools: HashMap<String, PoolKeys>,
    clients: ClientPolicy,
    token_use: TokenUsePolicy,
    leeway_secs: u64,
    fetcher: Fetcher,
    verified: VerifiedCache,
    /// Verified-token cache hits, for [`Verifier::counts`].
    cache_hits: AtomicU64,
}

/// What a [`Verifier`] has done since it was built, over every pool: the
/// counters behind the authorizer's JWKS and cache metrics. Reading them
/// changes nothing; a caller reports the difference between two readings
/// ([`VerifierCounts::since`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VerifierCounts {
    /// JWKS fetches that returned usable keys (the init fetch included).
    pub jwks_fetches_ok: u64,
    /// JWKS fetches that failed.
    pub jwks_fetches_failed: u64,
    /// Keys used past their max age while the endpoint failed.
    pub stale_key_uses: u64,
    /// Fetches that brought a `kid` the keys handed in at deploy (`JWKS`)
    /// lacked: those keys are stale, and the stack wants a redeploy.
    pub deploy_keys_stale: u64,
    /// Tokens answered by the verified-token cache.
    pub verified_cache_hits: u64,
}

impl VerifierCounts {
    /// What happened between `earlier` and `self`.
    pub fn since(self, earlier: VerifierCounts) -> VerifierCounts {
        VerifierCounts {
            jwks_fetches_ok: self.jwks_fetches_ok.saturating_sub(earlier.jwks_fetches_ok),
            jwks_fetches_failed: self
                .jwks_fetches_failed
                .saturating_sub(earlier.jwks_fetches_failed),
            stale_key_uses: self.stale_key_uses.saturating_sub(earlier.stale_key_uses),
            deploy_keys_stale: self
                .deploy_keys_stale
                .saturating_sub(earlier.deploy_keys_stale),
            verified_cache_hits: self
                .verified_cache_hits
                .saturating_sub(earlier.verified_cache_hits),
        }
    }
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("issuers", &self.pools.keys().collect::<Vec<_>>())
            .field("clients", &self.clients)
            .field("token_use", &self.token_use)
            .field("leeway_secs", &self.leeway_secs)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// Hydrates the key caches: takes the keys handed in at deploy (`JWKS`),
    /// loads `JWKS_FILE` for each pool, or fetches each pool's JWKS. Invalid
    /// `JWKS` fails init like an invalid file. A failed init fetch is logged (warn) and retried on
    /// demand once the cooldown has passed; it does not fail init, because a
    /// function that cannot start cannot recover when the endpoint does. An
    /// unreadable or invalid `JWKS_FILE` is a [`ConfigError`]: that is a
    /// deployment mistake, and failing the cold start shows it at once.
    ///
    /// Pools are hydrated one after another, so with several pools and a dead
    /// endpoint init can take one fetch timeout per pool.
    pub async fn new(config: VerifierConfig) -> Result<Self, ConfigError> {
        if config.clients() == &ClientPolicy::Any {
            tracing::warn!(
                "APP_CLIENT_IDS is `*`: tokens of every app client of the pools are accepted"
            );
        }
        let fetcher = Fetcher::new(config.jwks.fetch_timeout, config.jwks.max_bytes);
        let policy = config.jwks.refresh_policy();
        let mut pools = HashMap::with_capacity(config.pools().len());
        for pool in config.pools() {
            let keys = PoolKeys::new(pool.id(), pool.jwks_url().clone(), policy);
            if let Some(jwks) = pool.handed_in() {
                let set = KeySet::parse(jwks.as_bytes())
                    .map_err(|err| ConfigError::new(JWKS, err.to_string()))?;
                tracing::info!(
                    pool_id = pool.id(),
                    keys = set.len(),
                    "took the user pool's keys handed in at deploy (JWKS)"
                );
                keys.hand_in(set);
                pools.insert(pool.issuer().to_owned(), keys);
                continue;
            }
            match pool.jwks_file() {
                Some(path) => {
                    let set = read_file(path, config.jwks.max_bytes)
                        .and_then(|bytes| KeySet::parse(&bytes))
                        .map_err(|err| {
                            ConfigError::new(JWKS_FILE, format!("{}: {err}", path.display()))
                        })?;
                    tracing::info!(
                        pool_id = pool.id(),
                        keys = set.len(),
                        "loaded the user pool's keys from JWKS_FILE"
                    );
                    keys.seed(set);
                }
                None => keys.hydrate(&fetcher).await,
            }
            pools.insert(pool.issuer().to_owned(), keys);
        }
        Ok(Self {
            pools,
            clients: config.clients().clone(),
            token_use: config.token_use(),
            leeway_secs: config.leeway.as_secs(),
            fetcher,
            verified: VerifiedCache::new(config.verified_cache_size),
            cache_hits: AtomicU64::new(0),
        })
    }

    /// The state of each pool's key cache, by pool id. Cheap; never fetches.
    pub fn jwks_status(&self) -> Vec<JwksStatus> {
        let mut status: Vec<JwksStatus> = self.pools.values().map(PoolKeys::status).collect();
        status.sort_by(|a, b| a.pool_id.cmp(&b.pool_id));
        status
    }

    /// The counters since this verifier was built. Cheap; never fetches.
    pub fn counts(&self) -> VerifierCounts {
        let pools =
            self.pools
                .values()
                .map(PoolKeys::counts)
                .fold(PoolCounts::default(), |sum, pool| PoolCounts {
                    fetches_ok: sum.fetches_ok + pool.fetches_ok,
                    fetches_failed: sum.fetches_failed + pool.fetches_failed,
                    stale_uses: sum.stale_uses + pool.stale_uses,
                    deploy_keys_stale: sum.deploy_keys_stale + pool.deploy_keys_stale,
                });
        VerifierCounts {
            jwks_fetches_ok: pools.fetches_ok,
            jwks_fetches_failed: pools.fetches_failed,
            stale_key_uses: pools.stale_uses,
            deploy_keys_stale: pools.deploy_keys_stale,
            verified_cache_hits: self.cache_hits.load(Ordering::Relaxed),
        }
    }

    /// Verifies `token` (the bare JWT, without `Bearer `) and returns its
    /// claims. See the module doc for the order of the checks.
    pub async fn verify(&self, token: &str) -> Result<Claims, VerifyError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(VerifyError::TooLarge {
                max: MAX_TOKEN_BYTES,
            });
        }
        let hash = self.verified.hash(token);
        if let Some(claims) = hash.and_then(|hash| self.verified.get(&hash, unix_now())) {
            self.cache_hits.fetch_add(1, Ordering::Relaxed);
            return Ok(claims);
        }

        let token = decompose_unverified(token)?;
        if token.header.alg != RS256 {
            return Err(VerifyError::AlgorithmNotAllowed);
        }
        let UnverifiedClaims { claims, nbf } = Claims::from_payload(token.payload)?;
        let pool = self
            .pools
            .get(&claims.issuer)
            .ok_or(VerifyError::IssuerNotAllowed)?;
        let key = pool.key(&token.header.kid, &self.fetcher).await?;
        // The algorithm is the key's; the header only has to agree with it.
        if key.alg() != token.header.alg {
            return Err(VerifyError::AlgorithmNotAllowed);
        }
        if !key.verify(token.signing_input.as_bytes(), &token.signature) {
            return Err(VerifyError::InvalidSignature);
        }

        // Read the clock after the key lookup, which may have waited on a fetch.
        let now = unix_now();
        check_times(&claims, nbf, now, self.leeway_secs)?;
        if !self.token_use.allows(claims.token_use) {
            return Err(VerifyError::TokenUseNotAllowed {
                actual: claims.token_use,
            });
        }
        if !self.clients.allows(&claims.client_id) {
            return Err(VerifyError::ClientNotAllowed);
        }
        if let Some(hash) = hash {
            self.verified.insert(hash, &claims, now);
        }
        Ok(claims)
    }
}

/// Seconds since the epoch. A clock before 1970 reads as 0, which makes every
/// token "issued in the future": it fails closed.
fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests;
