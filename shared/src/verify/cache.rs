//! The verified-token cache: a token verified once is recognised again by its
//! SHA-256 for one hash and one map lookup, until its `exp`.
//!
//! Why it is safe:
//! - the key is the SHA-256 of the whole token, so only the very same bytes,
//!   signature included, hit; finding another token with the same hash is
//!   a SHA-256 second preimage;
//! - an entry is never returned at or after its `exp` (no leeway: the cache
//!   never extends a token's life, it only skips work);
//! - the configuration is fixed for the verifier's life, so a cached answer
//!   cannot outlive a policy change;
//! - the size is bounded: on a full insert, expired entries go first, then
//!   the entry closest to expiry (the one with the least value left).
//!
//! What it does not do: notice a key that was retired after the token was
//! verified. Cognito tokens stay valid until `exp` anyway (revocation covers
//! refresh tokens, not issued access tokens), so this changes nothing.

use std::collections::HashMap;
use std::sync::Mutex;

use aws_lc_rs::digest;

use crate::claims::Claims;

/// The SHA-256 of a token.
pub(crate) type TokenHash = [u8; 32];

/// Bounded map from token hash to verified claims.
pub(crate) struct VerifiedCache {
    capacity: usize,
    entries: Mutex<HashMap<TokenHash, Claims>>,
}

impl VerifiedCache {
    /// A cache of at most `capacity` tokens; 0 turns it off (no hashing).
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::new(HashMap::with_capacity(capacity.min(1024))),
        }
    }

    /// The token's hash, or `None` when the cache is off.
    pub(crate) fn hash(&self, token: &str) -> Option<TokenHash> {
        if self.capacity == 0 {
            return None;
        }
        let digest = digest::digest(&digest::SHA256, token.as_bytes());
        let mut hash = [0u8; 32];
        hash.copy_from_slice(digest.as_ref());
        Some(hash)
    }

    /// The cached claims for `hash`, if any and if `now < exp`.
    pub(crate) fn get(&self, hash: &TokenHash, now: u64) -> Option<Claims> {
        let mut entries = self.lock();
        match entries.get(hash) {
            Some(claims) if now < claims.exp => Some(claims.clone()),
            Some(_) => {
                entries.remove(hash);
                None
            }
            None => None,
        }
    }

    /// Remembers `claims` under `hash`, unless already expired.
    pub(crate) fn insert(&self, hash: TokenHash, claims: &Claims, now: u64) {
        if self.capacity == 0 || now >= claims.exp {
            return;
        }
        let mut entries = self.lock();
        if entries.len() >= self.capacity && !entries.contains_key(&hash) {
            entries.retain(|_, cached| now < cached.exp);
            if entries.len() >= self.capacity {
                let soonest = entries
                    .iter()
                    .min_by_key(|(_, cached)| cached.exp)
                    .map(|(hash, _)| *hash);
                if let Some(soonest) = soonest {
                    entries.remove(&soonest);
                }
            }
        }
        entries.insert(hash, claims.clone());
    }

    /// How many entries are held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TokenHash, Claims>> {
        // Nothing leaves the map half-updated across a panic, so a poisoned
        // lock still guards a consistent map.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::TokenUse;

    fn claims(exp: u64) -> Claims {
        Claims {
            sub: "s".into(),
            username: Some("u".into()),
            groups: vec![],
            scopes: vec![],
            client_id: "c".into(),
            token_use: TokenUse::Access,
            email: None,
            issuer: "i".into(),
            exp,
            iat: 0,
            auth_time: None,
            other: serde_json::Map::new(),
        }
    }

    #[test]
    fn hits_until_exp_and_never_after() {
        let cache = VerifiedCache::new(10);
        let hash = cache.hash("token").unwrap();
        cache.insert(hash, &claims(100), 50);
        assert_eq!(cache.get(&hash, 99).unwrap().exp, 100);
        assert!(cache.get(&hash, 100).is_none());
        // The expired entry was dropped on the miss.
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn different_tokens_do_not_collide() {
        let cache = VerifiedCache::new(10);
        let a = cache.hash("a.b.c").unwrap();
        let b = cache.hash("a.b.d").unwrap();
        assert_ne!(a, b);
        cache.insert(a, &claims(100), 0);
        assert!(cache.get(&b, 0).is_none());
    }

    #[test]
    fn expired_claims_are_not_inserted() {
        let cache = VerifiedCache::new(10);
        let hash = cache.hash("t").unwrap();
        cache.insert(hash, &claims(100), 100);
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn size_is_bounded_evicting_expired_then_soonest() {
        let cache = VerifiedCache::new(3);
        let hashes: Vec<_> = (0..5)
            .map(|i| cache.hash(&format!("t{i}")).unwrap())
            .collect();
        cache.insert(hashes[0], &claims(10), 0);
        cache.insert(hashes[1], &claims(300), 0);
        cache.insert(hashes[2], &claims(200), 0);
        // Full; at now=20 entry 0 has expired and goes first.
        cache.insert(hashes[3], &claims(400), 20);
        assert_eq!(cache.len(), 3);
        assert!(cache.get(&hashes[0], 20).is_none());
        // Full again, nothing expired: the soonest to expire (200) goes.
        cache.insert(hashes[4], &claims(500), 20);
        assert_eq!(cache.len(), 3);
        assert!(cache.get(&hashes[2], 20).is_none());
        for kept in [1, 3, 4] {
            assert!(cache.get(&hashes[kept], 20).is_some());
        }
    }

    #[test]
    fn zero_capacity_is_off() {
        let cache = VerifiedCache::new(0);
        assert!(cache.hash("t").is_none());
        cache.insert([0; 32], &claims(100), 0);
        assert_eq!(cache.len(), 0);
    }
}
