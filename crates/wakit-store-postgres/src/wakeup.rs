//! Wake-ups: a trigger on `jobs` NOTIFYs `wakit_jobs` when jobs are queued (migration
//! 0008), one on `events` NOTIFYs `wakit_events` when events are committed (0014); per
//! channel, one LISTEN connection per process (opened on first use, reopened after
//! errors) wakes every waiter. Waiters still poll, so a missed notification only costs
//! their timeout.

use sqlx::PgPool;
use sqlx::postgres::PgListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::Notify;

/// The channel the `jobs` trigger notifies.
pub(crate) const JOBS: &str = "wakit_jobs";
/// The channel the `events` trigger notifies.
pub(crate) const EVENTS: &str = "wakit_events";

/// Wakes this process's waiters when another (or this) process notifies `channel`.
#[derive(Debug)]
pub(crate) struct Wakeup {
    channel: &'static str,
    notify: Notify,
    listening: AtomicBool,
}

impl Wakeup {
    /// Wake-ups of `channel`.
    pub(crate) fn new(channel: &'static str) -> Arc<Self> {
        Arc::new(Wakeup {
            channel,
            notify: Notify::new(),
            listening: AtomicBool::new(false),
        })
    }

    /// Waits for a notification or `timeout`, whichever comes first.
    pub(crate) async fn wait(self: &Arc<Self>, pool: &PgPool, timeout: Duration) {
        if !self.listening.swap(true, Ordering::AcqRel) {
            tokio::spawn(listen(Arc::downgrade(self), self.channel, pool.clone()));
        }
        let _ = tokio::time::timeout(timeout, self.notify.notified()).await;
    }
}

async fn listen(wakeup: std::sync::Weak<Wakeup>, channel: &'static str, pool: PgPool) {
    loop {
        match PgListener::connect_with(&pool).await {
            Ok(mut listener) => match listener.listen(channel).await {
                Ok(()) => loop {
                    match listener.recv().await {
                        Ok(_) => match wakeup.upgrade() {
                            Some(w) => w.notify.notify_waiters(),
                            None => return,
                        },
                        Err(e) => {
                            tracing::warn!(error = %e, channel, "notifications interrupted; polling until reconnected");
                            break;
                        }
                    }
                },
                Err(e) => tracing::warn!(error = %e, channel, "cannot LISTEN for notifications"),
            },
            Err(e) => {
                tracing::warn!(error = %e, channel, "cannot open the notification connection")
            }
        }
        if wakeup.strong_count() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
