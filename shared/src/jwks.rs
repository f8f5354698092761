//! Signing keys: parsing a JWKS into verified-ready keys, and the per-pool
//! cache that decides when to fetch again.
//!
//! Two concerns with different natures, so two files: `key_set` is pure
//! (bytes in, keys out; fuzzed and benchmarked on its own), `cache` is the
//! async, time-driven part that decides when those bytes are fetched. The
//! public names are re-exported here, so callers need not know the split.

mod cache;
mod key_set;

pub use cache::JwksStatus;
pub(crate) use cache::{PoolCounts, PoolKeys, RefreshPolicy};
// RS256 is what `VerifyingKey::alg` returns, so it stays nameable.
pub use key_set::{KeySet, RS256, VerifyingKey, minify};

use std::time::Duration;

use crate::error::JwksError;
use crate::fetch::Fetcher;
pub use crate::fetch::{http_client, is_https_or_loopback_http, is_loopback};

/// One fetch of a JWKS document with the verifier's limits (one total
/// timeout, a size cap, status 200 only, no redirects; `fetch.rs`), for the
/// deploy-time custom resource that hands the keys to the authorizer.
pub async fn fetch_once(
    url: &reqwest::Url,
    timeout: Duration,
    max_bytes: usize,
) -> Result<Vec<u8>, JwksError> {
    Fetcher::new(timeout, max_bytes).fetch(url).await
}
