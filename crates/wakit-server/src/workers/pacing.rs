//! Per-number send pacing: a virtual-scheduling token bucket (GCRA) per number, so a
//! number never exceeds its rate and one number's backlog never delays another's.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use wakit_core::AccountId;
use wakit_store::{Store, StoreResult};

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

/// Keys a [`Pacer`] tracks before it forgets those with no reservation ahead.
const MAX_KEYS: usize = 10_000;

impl<K: Hash + Eq> Pacer<K> {
    /// How long until `key` has a slot within `horizon` again (`None`: it has one now).
    /// Reserves nothing.
    pub fn over(&self, key: &K, horizon: Duration) -> Option<Duration> {
        let now = Instant::now();
        let slots = self
            .next_free
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let wait = slots.get(key).copied()?.saturating_duration_since(now);
        (wait > horizon).then(|| wait - horizon)
    }

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
        if slots.len() >= MAX_KEYS {
            // A key whose slots are all in the past carries nothing: forget it.
            slots.retain(|_, next| *next > now);
        }
        let slot = slots.get(&account).copied().unwrap_or(now).max(now);
        let wait = slot - now;
        if wait > horizon {
            return Err(wait - horizon);
        }
        slots.insert(account, slot + interval);
        Ok(wait)
    }
}

/// How much of a number's time a dispatcher reserves in the database at once.
const BLOCK: Duration = Duration::from_millis(50);

/// A block of send slots this process reserved for a number.
struct Block {
    next: Instant,
    end: Instant,
    interval: Duration,
}

/// Pacing shared by every process on one database ([`Store::shares_pacing`]): each
/// process reserves short blocks of a number's slots in the database and hands them out
/// here, so the configured rate is the total over all replicas.
pub struct SharedPacer {
    store: Arc<dyn Store>,
    blocks: Mutex<HashMap<AccountId, Arc<tokio::sync::Mutex<Option<Block>>>>>,
}

impl SharedPacer {
    /// Pacing through `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        SharedPacer {
            store,
            blocks: Mutex::new(HashMap::new()),
        }
    }

    /// As [`Pacer::reserve`]: `Ok(wait)` for this process's next slot of the number,
    /// `Err(later)` when none is free within `horizon` (nothing reserved).
    pub async fn reserve(
        &self,
        account: AccountId,
        mps: u32,
        horizon: Duration,
    ) -> StoreResult<Result<Duration, Duration>> {
        let interval = Duration::from_secs(1) / mps.max(1);
        let cell = {
            let mut blocks = self
                .blocks
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            blocks.entry(account).or_default().clone()
        };
        let mut block = cell.lock().await;
        let now = Instant::now();
        if let Some(b) = block.as_mut().filter(|b| b.interval == interval) {
            let slot = b.next.max(now);
            if slot < b.end {
                b.next = slot + interval;
                return Ok(Ok(slot - now));
            }
        }
        let count = (BLOCK.as_micros() / interval.as_micros().max(1)).max(1) as u32;
        match self
            .store
            .reserve_send_slots(account, interval, count, horizon)
            .await?
        {
            Ok(wait) => {
                let start = Instant::now() + wait;
                *block = Some(Block {
                    next: start + interval,
                    end: start + interval * count,
                    interval,
                });
                Ok(Ok(wait))
            }
            Err(later) => Ok(Err(later)),
        }
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
