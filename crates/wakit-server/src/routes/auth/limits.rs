//! A budget of failed sign-ins per key (an e-mail address): a burst, then one more per
//! interval (GCRA). Checked before the password is hashed, so guessing one account's
//! password costs the guesser time, not the server CPU.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Keys tracked before those whose budget is whole again are forgotten.
const MAX_KEYS: usize = 10_000;

/// Failed attempts allowed per key.
pub struct FailureBudget<K> {
    interval: Duration,
    burst: u32,
    /// When each key's budget is whole again ("theoretical arrival time").
    full_at: Mutex<HashMap<K, Instant>>,
}

impl<K> std::fmt::Debug for FailureBudget<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FailureBudget")
            .field("interval", &self.interval)
            .field("burst", &self.burst)
            .finish_non_exhaustive()
    }
}

impl FailureBudget<String> {
    /// Per address: ten failures at once, then one every six seconds.
    pub fn per_email() -> Self {
        FailureBudget::new(10, Duration::from_secs(6))
    }
}

impl<K: Hash + Eq> FailureBudget<K> {
    /// `burst` failures at once, then one per `interval`.
    pub fn new(burst: u32, interval: Duration) -> Self {
        FailureBudget {
            interval,
            burst: burst.max(1),
            full_at: Mutex::new(HashMap::new()),
        }
    }

    fn window(&self) -> Duration {
        self.interval * self.burst
    }

    /// How long until `key` may fail again (`None`: it may now).
    pub fn exhausted(&self, key: &K) -> Option<Duration> {
        let now = Instant::now();
        let map = self.full_at.lock().unwrap_or_else(|p| p.into_inner());
        let full_at = *map.get(key)?;
        let over = full_at.saturating_duration_since(now);
        // One more failure would push the debt past the window.
        (over + self.interval > self.window()).then(|| over + self.interval - self.window())
    }

    /// Counts a failure of `key`.
    pub fn failed(&self, key: K) {
        let now = Instant::now();
        let mut map = self.full_at.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_KEYS {
            map.retain(|_, t| *t > now);
        }
        let start = map.get(&key).copied().unwrap_or(now).max(now);
        map.insert(key, (start + self.interval).min(now + self.window()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_failures_then_refusal_per_key() {
        let b = FailureBudget::new(3, Duration::from_secs(60));
        for _ in 0..3 {
            assert!(b.exhausted(&"a").is_none());
            b.failed("a");
        }
        assert!(b.exhausted(&"a").is_some(), "fourth failure refused");
        assert!(b.exhausted(&"b").is_none(), "another key is not affected");
    }
}
