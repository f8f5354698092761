//! The per-pool key cache: when keys are fetched, how long they serve, and
//! what happens while the endpoint fails. Async and time-driven, unlike the
//! parsing in `key_set`, which it calls on every fetched body.
//!
//! Per user pool. The rules, which close the gaps in aws-jwt-verify (no
//! expiry, no rate limit on failures, no size limit):
//! - keys come from `JWKS` (handed in at deploy), `JWKS_FILE` or a fetch at
//!   init; while they are younger than the maximum age, the hot path touches
//!   no network and takes no lock beyond a brief read lock;
//! - keys handed in at deploy (`JWKS`) do not age: they are what the pool
//!   published when the stack was deployed, and refreshing them by age would
//!   put a fetch back into every warm sandbox, which is what handing them in
//!   avoids. An unknown `kid` still fetches (below); the first successful
//!   fetch replaces them (so a key the pool has since retired stops
//!   verifying), and when it brings a `kid` they lack, they were stale: a
//!   counter and a warning say so, for an operator to redeploy;
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

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use super::key_set::{KeySet, VerifyingKey};
use crate::error::{JwksError, VerifyError};
use crate::fetch::Fetcher;

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
    /// Handed in at deploy (`JWKS`): never too old, see the module doc.
    handed_in: bool,
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
    deploy_keys_stale: AtomicU64,
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
    /// Fetches that brought a `kid` the keys handed in at deploy lacked.
    pub deploy_keys_stale: u64,
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
            deploy_keys_stale: AtomicU64::new(0),
        }
    }

    /// What this cache has done since it was built.
    pub(crate) fn counts(&self) -> PoolCounts {
        PoolCounts {
            fetches_ok: self.fetches_ok.load(Ordering::Relaxed),
            fetches_failed: self.fetches_failed.load(Ordering::Relaxed),
            stale_uses: self.stale_uses.load(Ordering::Relaxed),
            deploy_keys_stale: self.deploy_keys_stale.load(Ordering::Relaxed),
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
        self.store(keys, false);
    }

    /// Installs keys handed in at deploy (`JWKS`). They never age; no fetch
    /// attempt is recorded, so an unknown `kid` may fetch at once, and the
    /// first successful fetch replaces them (see the module doc).
    pub(crate) fn hand_in(&self, keys: KeySet) {
        self.store(keys, true);
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
                if loaded.handed_in || age < self.policy.max_age {
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

    fn store(&self, keys: KeySet, handed_in: bool) {
        let loaded = Arc::new(Loaded {
            keys,
            at: Instant::now(),
            handed_in,
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
        if !loaded.handed_in && age >= self.stale_limit() {
            return Err(VerifyError::JwksUnavailable);
        }
        let key = loaded
            .keys
            .get(kid)
            .map(Arc::clone)
            .ok_or(VerifyError::UnknownKid)?;
        if !loaded.handed_in && age >= self.policy.max_age {
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
                self.note_stale_hand_in(&keys);
                self.store(keys, false);
            }
            Err(err) => self.log_failure(&err),
        }
    }

    /// When the keys held were handed in at deploy and `fetched` holds a
    /// `kid` they lack, the pool has published a key since the deploy: those
    /// keys are stale. Counted (the `DeployKeysStale` metric) and logged at
    /// WARN, once per sandbox, since the fetched keys replace them. A fetch
    /// that brings only kids already held (a token with a made-up `kid`)
    /// says nothing: the keys handed in are still the pool's.
    fn note_stale_hand_in(&self, fetched: &KeySet) {
        let Some(held) = self.snapshot().filter(|loaded| loaded.handed_in) else {
            return;
        };
        let new_kids = fetched
            .kids()
            .filter(|kid| held.keys.get(kid).is_none())
            .count();
        if new_kids == 0 {
            return;
        }
        self.deploy_keys_stale.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(
            pool_id = %self.pool_id,
            new_kids,
            handed_in = held.keys.len(),
            fetched = fetched.len(),
            "the keys handed in at deploy (JWKS) lack a key the user pool now publishes: they \
             are stale; redeploy the stack to hand in the current keys (this sandbox fetched them)"
        );
    }

    fn log_failure(&self, err: &JwksError) {
        // Keys handed in at deploy never age: for the log they are as
        // usable as fresh ones.
        let held = self
            .snapshot()
            .map(|loaded| (!loaded.handed_in).then(|| loaded.at.elapsed()));
        let cooldown_ms = u64::try_from(self.policy.cooldown.as_millis()).unwrap_or(u64::MAX);
        match held {
            Some(None) => tracing::warn!(
                pool_id = %self.pool_id,
                url = %self.url,
                reason = err.reason(),
                error = %err,
                cooldown_ms,
                "JWKS fetch failed; the keys handed in at deploy stay in use"
            ),
            Some(Some(age)) if age < self.stale_limit() => tracing::warn!(
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

    const DEV_1: &str = include_str!("../../../tests/fixtures/keys/dev-rsa-1.jwks.json");

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
                stale_uses: 0,
                deploy_keys_stale: 0,
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

    const DEV_2: &str = include_str!("../../../tests/fixtures/keys/dev-rsa-2.jwks.json");

    /// DEV_1's and DEV_2's keys in one set: the pool after a rotation.
    fn both() -> String {
        let keys = |set: &str| {
            serde_json::from_str::<serde_json::Value>(set).unwrap()["keys"]
                .as_array()
                .unwrap()
                .clone()
        };
        let mut all = keys(DEV_1);
        all.extend(keys(DEV_2));
        serde_json::json!({ "keys": all }).to_string()
    }

    /// A loopback HTTP server answering every request with `body`, and how
    /// many requests it has read.
    fn serving(body: String) -> (reqwest::Url, Arc<AtomicU64>) {
        use std::io::{Read as _, Write as _};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
        let count = Arc::new(AtomicU64::new(0));
        let seen = Arc::clone(&count);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let mut stream = stream.unwrap();
                let mut request = [0u8; 4096];
                let _ = stream.read(&mut request).unwrap();
                seen.fetch_add(1, Ordering::Relaxed);
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                stream.write_all(answer.as_bytes()).unwrap();
            }
        });
        (reqwest::Url::parse(&url).unwrap(), count)
    }

    #[tokio::test]
    async fn keys_handed_in_never_age_and_never_fetch_for_a_kid_they_hold() {
        let fetcher = Fetcher::new(Duration::from_millis(500), 10_000);
        let (url, requests) = serving(DEV_1.to_owned());
        // Max age and grace far below the wait: seeded keys would be dead.
        let pool = PoolKeys::new("p", url, policy(10, 10, 10));
        pool.hand_in(KeySet::parse(DEV_1.as_bytes()).unwrap());
        tokio::time::sleep(Duration::from_millis(60)).await;
        for _ in 0..3 {
            assert_eq!(
                pool.key("dev-key-1", &fetcher).await.unwrap().kid(),
                "dev-key-1"
            );
        }
        assert_eq!(requests.load(Ordering::Relaxed), 0);
        assert_eq!(pool.counts(), PoolCounts::default());
    }

    #[tokio::test]
    async fn an_unknown_kid_fetches_and_a_new_published_kid_says_the_hand_in_is_stale() {
        let fetcher = Fetcher::new(Duration::from_millis(500), 10_000);
        let (url, requests) = serving(both());
        let pool = PoolKeys::new("p", url, policy(60_000, 60_000, 0));
        pool.hand_in(KeySet::parse(DEV_1.as_bytes()).unwrap());
        assert_eq!(
            pool.key("dev-key-2", &fetcher).await.unwrap().kid(),
            "dev-key-2"
        );
        assert_eq!(requests.load(Ordering::Relaxed), 1);
        assert_eq!(
            pool.counts(),
            PoolCounts {
                fetches_ok: 1,
                fetches_failed: 0,
                stale_uses: 0,
                deploy_keys_stale: 1,
            }
        );
        // The fetched keys replaced the hand-in: once stale, said once.
        assert!(pool.key("dev-key-1", &fetcher).await.is_ok());
        assert_eq!(pool.counts().deploy_keys_stale, 1);
    }

    #[tokio::test]
    async fn a_made_up_kid_fetches_but_does_not_call_the_hand_in_stale() {
        let fetcher = Fetcher::new(Duration::from_millis(500), 10_000);
        let (url, requests) = serving(DEV_1.to_owned());
        let pool = PoolKeys::new("p", url, policy(60_000, 60_000, 0));
        pool.hand_in(KeySet::parse(DEV_1.as_bytes()).unwrap());
        for _ in 0..3 {
            assert_eq!(
                pool.key("made-up", &fetcher).await.unwrap_err(),
                VerifyError::UnknownKid
            );
        }
        // One fetch, then the cooldown.
        assert_eq!(requests.load(Ordering::Relaxed), 1);
        assert_eq!(pool.counts().deploy_keys_stale, 0);
        assert_eq!(pool.counts().fetches_ok, 1);
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
                stale_uses: 1,
                deploy_keys_stale: 0,
            }
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            pool.key("dev-key-1", &fetcher).await.unwrap_err(),
            VerifyError::JwksUnavailable
        );
    }
}
