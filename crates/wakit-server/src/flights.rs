//! Single-flight with a short memory: concurrent callers asking for the same key share
//! one run of the work, and its result is reused for a while after it finished. It
//! keeps a burst of requests from becoming a burst of database probes or Meta calls.
//! The work runs in its own task, so it finishes (and is remembered) even when every
//! caller waiting for it has gone.

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Keys remembered at most; past that, finished entries are forgotten.
const MAX_KEYS: usize = 10_000;

enum Entry<V> {
    Running(Shared<BoxFuture<'static, V>>),
    Done { until: Instant, value: V },
}

/// Shared runs of async work, by key.
pub struct Flights<K, V> {
    entries: Arc<Mutex<HashMap<K, Entry<V>>>>,
}

impl<K, V> Default for Flights<K, V> {
    fn default() -> Self {
        Flights {
            entries: Arc::new(Mutex::new(HashMap::new())),
        }
    }
}

impl<K, V> Flights<K, V>
where
    K: Hash + Eq + Clone + Send + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// The result for `key`: a remembered one, the one being worked out now, or that of
    /// `work()` started now. A result is remembered for `keep(&result)` after it is ready
    /// (`Duration::ZERO`: not at all, the next caller runs the work again).
    pub async fn run<F, Fut>(&self, key: K, keep: fn(&V) -> Duration, work: F) -> V
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = V> + Send + 'static,
    {
        let flight = {
            let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            match entries.get(&key) {
                Some(Entry::Done { until, value }) if Instant::now() < *until => {
                    return value.clone();
                }
                Some(Entry::Running(flight)) => flight.clone(),
                _ => {
                    if entries.len() >= MAX_KEYS {
                        let now = Instant::now();
                        entries.retain(|_, e| match e {
                            Entry::Running(_) => true,
                            Entry::Done { until, .. } => *until > now,
                        });
                    }
                    let flight = self.start(key.clone(), keep, work());
                    entries.insert(key, Entry::Running(flight.clone()));
                    flight
                }
            }
        };
        flight.await
    }

    fn start<Fut>(
        &self,
        key: K,
        keep: fn(&V) -> Duration,
        work: Fut,
    ) -> Shared<BoxFuture<'static, V>>
    where
        Fut: Future<Output = V> + Send + 'static,
    {
        let entries = Arc::clone(&self.entries);
        let flight = async move {
            let value = work.await;
            let mut entries = entries.lock().unwrap_or_else(|p| p.into_inner());
            let keep = keep(&value);
            if keep.is_zero() {
                entries.remove(&key);
            } else {
                let until = Instant::now() + keep;
                let value = value.clone();
                entries.insert(key, Entry::Done { until, value });
            }
            value
        }
        .boxed()
        .shared();
        // Driven to the end even if every caller stops waiting.
        tokio::spawn(flight.clone());
        flight
    }
}

/// The shared runs of one process.
#[derive(Default)]
pub struct Probes {
    /// Whether the database answers (behind `/ping` and `/ready`).
    pub db: Flights<(), bool>,
    /// Meta's view of each number (`GET /health`).
    pub numbers: Flights<wakit_core::AccountId, wakit_api::HealthItem>,
    /// Template fetches from Meta per number: `Ok` once the cache was refreshed.
    pub templates: Flights<wakit_core::AccountId, Result<(), crate::routes::FetchError>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn concurrent_callers_share_one_run_and_reuse_it_briefly() {
        let flights = Flights::<u8, usize>::default();
        let runs = Arc::new(AtomicUsize::new(0));
        let work = || {
            let runs = Arc::clone(&runs);
            async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                runs.fetch_add(1, Ordering::SeqCst) + 1
            }
        };
        let keep: fn(&usize) -> Duration = |_| Duration::from_millis(100);
        let answers = futures::future::join_all((0..20).map(|_| flights.run(1, keep, work))).await;
        assert!(answers.iter().all(|a| *a == 1), "{answers:?}");
        assert_eq!(flights.run(1, keep, work).await, 1, "remembered");
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert_eq!(
            flights.run(1, keep, work).await,
            2,
            "forgotten after `keep`"
        );
        let never: fn(&usize) -> Duration = |_| Duration::ZERO;
        assert_eq!(flights.run(2, never, work).await, 3);
        assert_eq!(flights.run(2, never, work).await, 4, "not remembered");
    }
}
