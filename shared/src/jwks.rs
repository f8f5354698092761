//! Signing keys: parsing a JWKS into verified-ready keys, and the per-pool
//! cache that decides when to fetch again.
//!
//! Two concerns with different natures, so two files: `key_set` is pure
//! (bytes in, keys out; fuzzed and benchmarked on its own), `cache` is the
//! async, time-driven part that decides when those bytes are fetched. The
//! public names are re-exported here, so callers need not know the split.

mod cache;
mod key_set;

pub(crate) use cache::PoolKeys;
pub use cache::{JwksStatus, PoolCounts, RefreshPolicy};
pub use key_set::{KeySet, MAX_MODULUS_BITS, MIN_MODULUS_BITS, RS256, VerifyingKey};
