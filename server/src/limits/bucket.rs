//! Keyed token buckets (one per client address or per user) and keyed counters (open uploads,
//! open connections). Owns their arithmetic and their bounded memory; must never block for
//! long (one short lock per request) nor grow without bound (full buckets are forgotten).

use super::settings::Rate;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Above this many keys, buckets that have refilled are forgotten (they would allow a burst
/// anyway); if none has, the whole map is cleared rather than grown.
const MAX_KEYS: usize = 100_000;

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Token buckets of one kind, one per key.
pub struct Buckets<K> {
    rate: Rate,
    map: Mutex<HashMap<K, Bucket>>,
}

impl<K: Hash + Eq + Clone> Buckets<K> {
    pub fn new(rate: Rate) -> Self {
        Buckets {
            rate,
            map: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key`; when there is none, how long until there is.
    pub fn take(&self, key: &K, now: Instant) -> Result<(), Duration> {
        if self.rate.is_off() {
            return Ok(());
        }
        let Rate { per_second, burst } = self.rate;
        let mut map = lock(&self.map);
        if map.len() >= MAX_KEYS && !map.contains_key(key) {
            map.retain(|_, b| {
                b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * per_second < burst
            });
            if map.len() >= MAX_KEYS {
                map.clear();
            }
        }
        let b = map.entry(key.clone()).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        let refill = now.saturating_duration_since(b.at).as_secs_f64() * per_second;
        b.tokens = (b.tokens + refill).min(burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - b.tokens) / per_second))
        }
    }
}

/// How many of something each key holds at once (uploads per user, connections per address).
pub struct Counters<K: Hash + Eq> {
    cap: usize,
    map: Mutex<HashMap<K, usize>>,
}

/// One unit held; given back when dropped.
pub struct Held<K: Hash + Eq + Clone> {
    counters: Arc<Counters<K>>,
    key: K,
}

impl<K: Hash + Eq + Clone> Counters<K> {
    pub fn new(cap: usize) -> Arc<Self> {
        Arc::new(Counters {
            cap,
            map: Mutex::new(HashMap::new()),
        })
    }

    /// One more for `key`, or `None` when it already holds the cap (a cap of 0: no cap).
    pub fn enter(self: &Arc<Self>, key: K) -> Option<Held<K>> {
        let mut map = lock(&self.map);
        let n = map.entry(key.clone()).or_insert(0);
        if self.cap > 0 && *n >= self.cap {
            return None;
        }
        *n += 1;
        Some(Held {
            counters: self.clone(),
            key,
        })
    }

    /// How many `key` holds now.
    pub fn held(&self, key: &K) -> usize {
        lock(&self.map).get(key).copied().unwrap_or(0)
    }
}

impl<K: Hash + Eq + Clone> Drop for Held<K> {
    fn drop(&mut self) {
        let mut map = lock(&self.counters.map);
        if let Some(n) = map.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_says_when_the_next_token_comes() {
        let b = Buckets::new(Rate::new(2.0, 3.0));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(b.take(&"a", t0).is_ok());
        }
        let wait = b.take(&"a", t0).unwrap_err();
        assert!(wait > Duration::from_millis(400) && wait <= Duration::from_millis(500));
        assert!(b.take(&"b", t0).is_ok(), "another key has its own bucket");
        assert!(b.take(&"a", t0 + Duration::from_millis(500)).is_ok());
    }

    #[test]
    fn a_counter_refuses_over_its_cap_and_gives_back_on_drop() {
        let c = Counters::new(2);
        let one = c.enter("u").unwrap();
        let _two = c.enter("u").unwrap();
        assert!(c.enter("u").is_none());
        drop(one);
        assert_eq!(c.held(&"u"), 1);
        assert!(c.enter("u").is_some());
    }
}
