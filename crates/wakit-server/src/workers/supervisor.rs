//! Keeps the background workers running: a worker that panics is logged, reported as
//! down (for `GET /ready`) and started again after a short, growing pause, until
//! shutdown. A worker that returns normally (shutdown) is not restarted.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// First pause before a restart; doubles per consecutive panic, up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(200);
const MAX_PAUSE: Duration = Duration::from_secs(10);

/// The workers' states, by name (e.g. `webhooks-1`, `dispatcher`).
#[derive(Debug, Default)]
pub struct Health {
    workers: Mutex<BTreeMap<String, WorkerState>>,
}

/// One worker's state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkerState {
    /// Running now.
    pub up: bool,
    /// Restarts after a panic so far.
    pub restarts: u32,
    /// The last panic's message.
    pub last_panic: Option<String>,
}

impl Health {
    /// Names of the workers that are down now (between a panic and their restart).
    pub fn down(&self) -> Vec<String> {
        self.snapshot()
            .into_iter()
            .filter(|(_, s)| !s.up)
            .map(|(name, _)| name)
            .collect()
    }

    /// Every registered worker's state.
    pub fn snapshot(&self) -> BTreeMap<String, WorkerState> {
        self.workers.lock().map(|w| w.clone()).unwrap_or_default()
    }

    fn set(&self, name: &str, change: impl FnOnce(&mut WorkerState)) {
        if let Ok(mut w) = self.workers.lock() {
            let state = w.entry(name.to_string()).or_insert(WorkerState {
                up: true,
                restarts: 0,
                last_panic: None,
            });
            change(state);
        }
    }
}

/// Runs `make()`'s worker on `tracker` under supervision until `cancel` fires.
pub fn supervise<F, Fut>(
    tracker: &TaskTracker,
    health: std::sync::Arc<Health>,
    name: String,
    cancel: CancellationToken,
    make: F,
) where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    health.set(&name, |s| s.up = true);
    tracker.spawn(async move {
        let mut pause = FIRST_PAUSE;
        loop {
            let run = tokio::spawn(make()).await;
            let Err(e) = run else { return };
            if cancel.is_cancelled() || !e.is_panic() {
                return;
            }
            let message = panic_message(e.into_panic());
            tracing::error!(worker = %name, panic = %message, "worker panicked; restarting it");
            health.set(&name, |s| {
                s.up = false;
                s.last_panic = Some(message);
            });
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(pause) => {}
            }
            pause = (pause * 2).min(MAX_PAUSE);
            health.set(&name, |s| {
                s.up = true;
                s.restarts += 1;
            });
        }
    });
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// A worker that panics twice is down in between, then runs; shutdown stops it.
    #[tokio::test]
    async fn a_panicking_worker_is_restarted_and_reported() {
        let (tracker, health, cancel) = (
            TaskTracker::new(),
            Arc::new(Health::default()),
            CancellationToken::new(),
        );
        let runs = Arc::new(AtomicU32::new(0));
        let seen_down = Arc::new(AtomicU32::new(0));
        let (r, h, c, d) = (
            runs.clone(),
            health.clone(),
            cancel.clone(),
            seen_down.clone(),
        );
        supervise(
            &tracker,
            health.clone(),
            "w".into(),
            cancel.clone(),
            move || {
                let (r, h, c, d) = (r.clone(), h.clone(), c.clone(), d.clone());
                async move {
                    if r.fetch_add(1, Ordering::SeqCst) < 2 {
                        panic!("injected");
                    }
                    // Running again: remember whether a panic was ever reported, then idle.
                    d.store(h.snapshot()["w"].restarts, Ordering::SeqCst);
                    c.cancelled().await;
                }
            },
        );
        for _ in 0..200 {
            if runs.load(Ordering::SeqCst) >= 3 && health.down().is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(runs.load(Ordering::SeqCst), 3, "restarted twice");
        let state = &health.snapshot()["w"];
        assert!(state.up);
        assert_eq!(state.restarts, 2);
        assert_eq!(state.last_panic.as_deref(), Some("injected"));
        cancel.cancel();
        tracker.close();
        tokio::time::timeout(Duration::from_secs(5), tracker.wait())
            .await
            .unwrap();
    }
}
