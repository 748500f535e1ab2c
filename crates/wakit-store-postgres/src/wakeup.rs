//! Worker wake-ups: a trigger on `jobs` NOTIFYs `wakit_jobs` when jobs are queued
//! (migration 0008); one LISTEN connection per process (opened on first use, reopened
//! after errors) wakes every waiting worker. Workers still poll, so a missed
//! notification only costs the poll interval.

use sqlx::PgPool;
use sqlx::postgres::PgListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::Notify;

/// The channel the `jobs` trigger notifies.
pub(crate) const CHANNEL: &str = "wakit_jobs";

/// Wakes this process's workers when another (or this) process queues jobs.
#[derive(Debug, Default)]
pub(crate) struct Wakeup {
    notify: Notify,
    listening: AtomicBool,
}

impl Wakeup {
    /// Waits for a notification or `timeout`, whichever comes first.
    pub(crate) async fn wait(self: &Arc<Self>, pool: &PgPool, timeout: Duration) {
        if !self.listening.swap(true, Ordering::AcqRel) {
            tokio::spawn(listen(Arc::downgrade(self), pool.clone()));
        }
        let _ = tokio::time::timeout(timeout, self.notify.notified()).await;
    }
}

async fn listen(wakeup: std::sync::Weak<Wakeup>, pool: PgPool) {
    loop {
        match PgListener::connect_with(&pool).await {
            Ok(mut listener) => match listener.listen(CHANNEL).await {
                Ok(()) => loop {
                    match listener.recv().await {
                        Ok(_) => match wakeup.upgrade() {
                            Some(w) => w.notify.notify_waiters(),
                            None => return,
                        },
                        Err(e) => {
                            tracing::warn!(error = %e, "job notifications interrupted; polling until reconnected");
                            break;
                        }
                    }
                },
                Err(e) => tracing::warn!(error = %e, "cannot LISTEN for job notifications"),
            },
            Err(e) => tracing::warn!(error = %e, "cannot open the job notification connection"),
        }
        if wakeup.strong_count() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
