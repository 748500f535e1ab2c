//! Per-number send pacing: a virtual-scheduling token bucket (GCRA) per number, so a
//! number never exceeds its rate and one number's backlog never delays another's.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use wakit_core::AccountId;

/// Slots handed out per number.
pub struct Pacer<K = AccountId> {
    next_free: Mutex<HashMap<K, Instant>>,
}

impl<K> Default for Pacer<K> {
    fn default() -> Self {
        Pacer {
            next_free: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Hash + Eq> Pacer<K> {
    /// Reserves the number's next send slot at `mps` messages per second. `Ok(wait)`:
    /// the slot is yours after `wait`. `Err(later)`: the next free slot is more than
    /// `horizon` away (nothing reserved); come back after `later`.
    pub fn reserve(&self, account: K, mps: u32, horizon: Duration) -> Result<Duration, Duration> {
        let interval = Duration::from_secs(1) / mps.max(1);
        let now = Instant::now();
        let mut slots = self
            .next_free
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let slot = slots.get(&account).copied().unwrap_or(now).max(now);
        let wait = slot - now;
        if wait > horizon {
            return Err(wait - horizon);
        }
        slots.insert(account, slot + interval);
        Ok(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_spaced_by_the_rate_and_numbers_are_independent() {
        let pacer = Pacer::default();
        let (a, b) = (AccountId::new(), AccountId::new());
        let horizon = Duration::from_millis(450);
        let waits: Vec<_> = (0..5)
            .map(|_| pacer.reserve(a, 10, horizon).expect("within horizon"))
            .collect();
        for (i, w) in waits.iter().enumerate() {
            let expected = Duration::from_millis(100 * i as u64);
            assert!(
                *w <= expected && *w + Duration::from_millis(20) >= expected,
                "slot {i}: {w:?}"
            );
        }
        assert!(
            pacer.reserve(a, 10, horizon).is_err(),
            "beyond the horizon nothing is reserved"
        );
        assert_eq!(pacer.reserve(b, 10, horizon), Ok(Duration::ZERO));
    }
}
