//! Wake-ups in this process, on commit: the writer connection's update hook notes which
//! watched tables (`jobs`, `events`) a transaction changes, its commit hook keeps that
//! for the commit (its rollback hook drops it), and once the connection is back in the
//! pool — the commit durable and visible to readers — the waiters of those tables are
//! woken ([`Wakeups::announce`]). Workers and event readers thus start on the commit,
//! not on a poll. Commits by another process on the same file are not seen here: the
//! waits keep a poll as fallback (`wait_for_jobs`' timeout, the change epoch for events).

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use sqlx::sqlite::{LockedSqliteHandle, UpdateHookResult};
use tokio::sync::Notify;

/// A change to `jobs`.
const JOBS: u8 = 1;
/// A change to `events`.
const EVENTS: u8 = 2;

/// The watched tables' changes and their waiters.
#[derive(Debug, Default)]
pub(crate) struct Wakeups {
    /// Tables changed by the open transaction.
    pending: AtomicU8,
    /// Tables changed by commits not yet announced.
    committed: AtomicU8,
    jobs: Notify,
    events: Notify,
}

impl Wakeups {
    /// Hooks the writer connection `handle` up to `self`.
    pub(crate) fn install(self: &Arc<Self>, handle: &mut LockedSqliteHandle<'_>) {
        let me = Arc::clone(self);
        handle.set_update_hook(move |change: UpdateHookResult<'_>| {
            let bit = match change.table {
                "jobs" => JOBS,
                "events" => EVENTS,
                _ => return,
            };
            me.pending.fetch_or(bit, Ordering::AcqRel);
        });
        let me = Arc::clone(self);
        handle.set_commit_hook(move || {
            let changed = me.pending.swap(0, Ordering::AcqRel);
            me.committed.fetch_or(changed, Ordering::AcqRel);
            true // go on with the commit
        });
        let me = Arc::clone(self);
        handle.set_rollback_hook(move || {
            me.pending.store(0, Ordering::Release);
        });
    }

    /// Wakes the waiters of the tables committed since the last call (the writer
    /// connection was returned to its pool: whatever it committed is visible now).
    pub(crate) fn announce(&self) {
        let changed = self.committed.swap(0, Ordering::AcqRel);
        if changed & JOBS != 0 {
            self.jobs.notify_waiters();
        }
        if changed & EVENTS != 0 {
            self.events.notify_waiters();
        }
    }

    /// Waits for a commit that changed `jobs`, or `timeout`.
    pub(crate) async fn jobs(&self, timeout: Duration) {
        let _ = tokio::time::timeout(timeout, self.jobs.notified()).await;
    }

    /// Waits for a commit that changed `events`, or until `fallback` returns.
    pub(crate) async fn events(&self, fallback: impl std::future::Future<Output = ()>) {
        tokio::select! {
            () = self.events.notified() => {}
            () = fallback => {}
        }
    }
}
