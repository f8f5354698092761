//! The sandbox's memory of the store's answers: per subject key, whether it
//! was revoked (and when) or absent, with the time it was read.
//!
//! Every answer is reused for the same window, so the order in which they
//! were read is also the order in which they expire: one queue in read order
//! beside the map gives both "drop what expired" and "drop the oldest" from
//! its front, in amortised O(1), with no scan of the map. Pure code: the
//! caller passes the clock.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cognito_auth_core::revocation::Revocation;

/// What the store said about one subject.
pub type Answer = Option<Revocation>;

#[derive(Debug)]
struct Entry {
    answer: Answer,
    read_at: Instant,
}

/// Answers by subject key, at most `capacity` of them, each reused for
/// `window` after it was read.
#[derive(Debug)]
pub struct Cache {
    window: Duration,
    capacity: usize,
    entries: HashMap<Arc<str>, Entry>,
    /// Keys in read order, with the read time they were queued with. A key
    /// read again while still queued (two checks racing) leaves a stale
    /// record, recognised by its time and skipped.
    order: VecDeque<(Arc<str>, Instant)>,
}

impl Cache {
    /// An empty cache. A capacity of 0 is taken as 1.
    pub fn new(window: Duration, capacity: usize) -> Self {
        Self {
            window,
            capacity: capacity.max(1),
            entries: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// The answer for `key` if it was read less than the window before `now`.
    pub fn get(&self, key: &str, now: Instant) -> Option<Answer> {
        self.entries
            .get(key)
            .filter(|entry| self.fresh(entry.read_at, now))
            .map(|entry| entry.answer)
    }

    /// Keeps `answer` for `key`, read at `read_at` (the moment the read
    /// started, so that the window never stretches past what the store
    /// said). Drops expired answers first, then, while full, the oldest.
    pub fn insert(&mut self, key: &str, answer: Answer, read_at: Instant) {
        self.drop_expired(read_at);
        if let Some((queued, _)) = self.entries.get_key_value(key) {
            // Still fresh: read again by a check that raced this one. Its
            // old queue record turns stale.
            let queued = queued.clone();
            self.entries
                .insert(queued.clone(), Entry { answer, read_at });
            self.order.push_back((queued, read_at));
            return;
        }
        while self.entries.len() >= self.capacity {
            if !self.pop_front() {
                break;
            }
        }
        let key: Arc<str> = Arc::from(key);
        self.entries.insert(key.clone(), Entry { answer, read_at });
        self.order.push_back((key, read_at));
    }

    /// How many answers are kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no answer is kept.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn fresh(&self, read_at: Instant, now: Instant) -> bool {
        now.saturating_duration_since(read_at) < self.window
    }

    fn drop_expired(&mut self, now: Instant) {
        while let Some((_, read_at)) = self.order.front() {
            if self.fresh(*read_at, now) {
                break;
            }
            self.pop_front();
        }
    }

    /// Removes the front record, and its entry unless the entry was read
    /// again since. `false` when the queue is empty.
    fn pop_front(&mut self) -> bool {
        let Some((key, read_at)) = self.order.pop_front() else {
            return false;
        };
        if self
            .entries
            .get(&key)
            .is_some_and(|entry| entry.read_at == read_at)
        {
            self.entries.remove(&key);
        }
        true
    }

    /// Queue records, stale ones included: for the tests of the bound.
    #[cfg(test)]
    fn queued(&self) -> usize {
        self.order.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_secs(30);

    fn revoked(not_before: u64) -> Answer {
        Some(Revocation { not_before })
    }

    #[test]
    fn an_answer_is_reused_within_the_window_and_not_after() {
        let start = Instant::now();
        let mut cache = Cache::new(WINDOW, 10);
        cache.insert("user#p_1#a", revoked(5), start);
        cache.insert("user#p_1#b", None, start);
        assert_eq!(cache.get("user#p_1#a", start), Some(revoked(5)));
        assert_eq!(
            cache.get("user#p_1#b", start),
            Some(None),
            "absent is an answer"
        );
        let last = start + WINDOW - Duration::from_millis(1);
        assert_eq!(cache.get("user#p_1#a", last), Some(revoked(5)));
        assert_eq!(cache.get("user#p_1#a", start + WINDOW), None);
        assert_eq!(cache.get("user#p_1#c", start), None);
    }

    #[test]
    fn a_full_cache_drops_the_oldest_answer() {
        let start = Instant::now();
        let mut cache = Cache::new(WINDOW, 3);
        for (i, key) in ["a", "b", "c", "d"].into_iter().enumerate() {
            cache.insert(key, None, start + Duration::from_secs(i as u64));
        }
        let now = start + Duration::from_secs(4);
        assert_eq!(cache.len(), 3);
        assert_eq!(cache.get("a", now), None, "the oldest went");
        for key in ["b", "c", "d"] {
            assert_eq!(cache.get(key, now), Some(None), "{key}");
        }
    }

    #[test]
    fn expired_answers_go_before_live_ones() {
        let start = Instant::now();
        let mut cache = Cache::new(WINDOW, 3);
        cache.insert("old1", None, start);
        cache.insert("old2", None, start);
        let later = start + WINDOW + Duration::from_secs(1);
        cache.insert("live", None, later - Duration::from_secs(5));
        // Both old answers expired: inserting drops them, not "live".
        cache.insert("new", None, later);
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.get("live", later), Some(None));
        assert_eq!(cache.get("new", later), Some(None));
        assert_eq!(cache.queued(), 2);
    }

    #[test]
    fn an_answer_read_again_replaces_the_old_one() {
        let start = Instant::now();
        let mut cache = Cache::new(WINDOW, 2);
        cache.insert("a", None, start);
        let later = start + WINDOW;
        // The old answer expired: it is dropped, and the new one kept.
        cache.insert("a", revoked(9), later);
        assert_eq!(cache.get("a", later), Some(revoked(9)));
        assert_eq!((cache.len(), cache.queued()), (1, 1));
        // Read again while still fresh (two checks racing): the newer wins,
        // and its stale queue record does not evict it.
        cache.insert("a", revoked(10), later + Duration::from_secs(1));
        cache.insert("b", None, later + Duration::from_secs(2));
        cache.insert("c", None, later + Duration::from_secs(3));
        assert!(cache.len() <= 2);
        let now = later + Duration::from_secs(3);
        assert_eq!(cache.get("c", now), Some(None));
    }

    #[test]
    fn a_flood_of_keys_stays_within_the_bound() {
        let start = Instant::now();
        let mut cache = Cache::new(WINDOW, 100);
        for i in 0..10_000u64 {
            let now = start + Duration::from_millis(i);
            cache.insert(&format!("user#p_1#{i}"), None, now);
            assert!(cache.len() <= 100);
            assert!(cache.queued() <= 100, "the queue is bounded too");
        }
        let now = start + Duration::from_millis(9_999);
        assert_eq!(cache.get("user#p_1#9999", now), Some(None));
        assert_eq!(cache.get("user#p_1#9899", now), None);
        assert_eq!(cache.get("user#p_1#9900", now), Some(None));
    }

    #[test]
    fn a_capacity_of_zero_keeps_one() {
        let start = Instant::now();
        let mut cache = Cache::new(WINDOW, 0);
        cache.insert("a", None, start);
        cache.insert("b", None, start);
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.get("b", start), Some(None));
        assert!(!cache.is_empty());
    }
}
