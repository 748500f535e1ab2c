//! Retention: how long history and finished work are kept ([`RetentionPolicy`]), what
//! one prune removed ([`PruneReport`]), and the batching every backend's
//! [`RetentionStore::prune`](crate::RetentionStore::prune) shares ([`prune_in_batches`]).

use std::future::Future;

use async_trait::async_trait;

use chrono::{DateTime, Duration, Utc};

use crate::error::{StoreError, StoreResult};
use crate::idempotency::IDEMPOTENCY_TTL_HOURS;

/// What a prune deletes, each by its own age.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RetentionTarget {
    /// `events` by `created_at`.
    Events,
    /// `jobs` in state `done`, by `updated_at` (when they finished).
    FinishedJobs,
    /// `jobs` in state `dead`, by `updated_at` (when they were given up).
    DeadJobs,
    /// `webhook_inbox` rows in state `done`, by `processed_at`.
    ProcessedInbox,
    /// `webhook_inbox` rows in state `failed` or `ignored`, by `received_at` (such a row records no
    /// time of its last attempt).
    FailedInbox,
    /// `pending_statuses` by `created_at`.
    PendingStatuses,
    /// `idempotency_keys` by `created_at`.
    IdempotencyKeys,
    /// `webhook_delivery_attempts` by `created_at` (kept as long as deliveries; before
    /// them, so what a prune removes is counted where it belongs, not by a cascade).
    WebhookAttempts,
    /// `webhook_deliveries` delivered or given up, by `updated_at` (their last attempt).
    WebhookDeliveries,
}

impl RetentionTarget {
    /// Every target, in the order a prune visits them.
    pub const ALL: [RetentionTarget; 9] = [
        RetentionTarget::Events,
        RetentionTarget::FinishedJobs,
        RetentionTarget::DeadJobs,
        RetentionTarget::ProcessedInbox,
        RetentionTarget::FailedInbox,
        RetentionTarget::PendingStatuses,
        RetentionTarget::IdempotencyKeys,
        RetentionTarget::WebhookAttempts,
        RetentionTarget::WebhookDeliveries,
    ];

    /// A stable name for logs and metrics labels.
    pub fn name(self) -> &'static str {
        match self {
            RetentionTarget::Events => "events",
            RetentionTarget::FinishedJobs => "jobs_done",
            RetentionTarget::DeadJobs => "jobs_dead",
            RetentionTarget::ProcessedInbox => "inbox_done",
            RetentionTarget::FailedInbox => "inbox_failed",
            RetentionTarget::PendingStatuses => "pending_statuses",
            RetentionTarget::IdempotencyKeys => "idempotency_keys",
            RetentionTarget::WebhookDeliveries => "webhook_deliveries",
            RetentionTarget::WebhookAttempts => "webhook_attempts",
        }
    }
}

/// How long each kind of row is kept after the time it is judged by (see
/// [`RetentionTarget`]), and how a prune paces its deletes. Unfinished work (queued or
/// running jobs, inbox rows waiting to be processed) is never deleted, whatever its age.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// Events (`WAKIT_EVENT_RETENTION_HOURS`, default 72 h): a reader of the change feed
    /// that falls further behind than this misses what was pruned.
    pub events: Duration,
    /// Finished jobs (`WAKIT_JOB_RETENTION_DAYS`, default 7 days).
    pub finished_jobs: Duration,
    /// Dead jobs, kept longer for an operator to look into (`WAKIT_DEAD_RETENTION_DAYS`,
    /// default 30 days).
    pub dead_jobs: Duration,
    /// Processed webhook bodies (`WAKIT_INBOX_RETENTION_DAYS`, default 7 days). A
    /// replay of a body already pruned is stored and processed again, harmlessly:
    /// processing is idempotent (one message per wamid, monotonic statuses).
    pub processed_inbox: Duration,
    /// Webhook bodies whose processing failed or that held only what wakit does not
    /// handle yet (`ignored`) (`WAKIT_DEAD_RETENTION_DAYS`, default 30 days): they wait
    /// that long for a retry or an operator.
    pub failed_inbox: Duration,
    /// Statuses that arrived for a wamid no stored message has (yet). Default 7 days:
    /// the wamid of wakit's own send is known within seconds of Meta's answer (at worst
    /// after the send-reconcile window, minutes), so a status still waiting after days
    /// belongs to a message wakit never stored (one sent by another app on the number)
    /// and will never apply. A week also outlasts Meta's redelivery of webhooks.
    pub pending_statuses: Duration,
    /// Idempotency keys: [`IDEMPOTENCY_TTL_HOURS`], after which a key no longer names
    /// its message anyway. A shorter time is refused (a retried send could go twice).
    pub idempotency_keys: Duration,
    /// The delivery log of outbound webhooks: deliveries delivered or given up, and
    /// every attempt (default 7 days). Pending deliveries are never deleted.
    pub webhook_deliveries: Duration,
    /// Most rows one delete statement removes: each batch is its own short
    /// transaction, so other writers (SQLite has one) wait for a batch, never a backlog.
    pub batch_size: u32,
    /// Most rows one prune call removes in all; what is left waits for the next call.
    pub max_rows_per_call: u64,
}

/// Default rows per delete statement.
pub const DEFAULT_PRUNE_BATCH: u32 = 1_000;
/// Default rows per prune call.
pub const DEFAULT_PRUNE_CAP: u64 = 100_000;

impl Default for RetentionPolicy {
    fn default() -> Self {
        RetentionPolicy {
            events: Duration::hours(72),
            finished_jobs: Duration::days(7),
            dead_jobs: Duration::days(30),
            processed_inbox: Duration::days(7),
            failed_inbox: Duration::days(30),
            pending_statuses: Duration::days(7),
            idempotency_keys: Duration::hours(IDEMPOTENCY_TTL_HOURS),
            webhook_deliveries: Duration::days(7),
            batch_size: DEFAULT_PRUNE_BATCH,
            max_rows_per_call: DEFAULT_PRUNE_CAP,
        }
    }
}

impl RetentionPolicy {
    /// How long rows of `target` are kept.
    pub fn keep(&self, target: RetentionTarget) -> Duration {
        match target {
            RetentionTarget::Events => self.events,
            RetentionTarget::FinishedJobs => self.finished_jobs,
            RetentionTarget::DeadJobs => self.dead_jobs,
            RetentionTarget::ProcessedInbox => self.processed_inbox,
            RetentionTarget::FailedInbox => self.failed_inbox,
            RetentionTarget::PendingStatuses => self.pending_statuses,
            RetentionTarget::IdempotencyKeys => self.idempotency_keys,
            RetentionTarget::WebhookDeliveries | RetentionTarget::WebhookAttempts => {
                self.webhook_deliveries
            }
        }
    }

    /// Refuses a policy that would delete what must stay: a zero or negative time, an
    /// idempotency lifetime under [`IDEMPOTENCY_TTL_HOURS`], or batches of no rows.
    pub fn check(&self) -> StoreResult<()> {
        let invalid = |m: String| Err(StoreError::other(format!("retention policy: {m}")));
        for target in RetentionTarget::ALL {
            if self.keep(target) <= Duration::zero() {
                return invalid(format!(
                    "{} must be kept for a positive time",
                    target.name()
                ));
            }
        }
        if self.idempotency_keys < Duration::hours(IDEMPOTENCY_TTL_HOURS) {
            return invalid(format!(
                "idempotency keys must be kept at least {IDEMPOTENCY_TTL_HOURS} h"
            ));
        }
        if self.batch_size == 0 || self.max_rows_per_call == 0 {
            return invalid("batches and the per-call cap must allow at least one row".into());
        }
        Ok(())
    }
}

/// Rows one prune deleted, per target.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// Rows deleted, in [`RetentionTarget::ALL`]'s order.
    deleted: [u64; RetentionTarget::ALL.len()],
    /// False when the per-call cap stopped the prune with rows possibly left to delete.
    pub complete: bool,
}

impl PruneReport {
    /// Rows of `target` deleted.
    pub fn deleted(&self, target: RetentionTarget) -> u64 {
        self.deleted[target as usize]
    }

    /// Rows deleted in all.
    pub fn total(&self) -> u64 {
        self.deleted.iter().sum()
    }

    /// Each target with its count, in [`RetentionTarget::ALL`]'s order.
    pub fn counts(&self) -> impl Iterator<Item = (RetentionTarget, u64)> + '_ {
        RetentionTarget::ALL
            .into_iter()
            .map(|t| (t, self.deleted(t)))
    }

    fn add(&mut self, target: RetentionTarget, n: u64) {
        self.deleted[target as usize] += n;
    }
}

/// The prune loop every backend runs: `delete(target, cutoff, limit)` removes at most
/// `limit` rows of `target` judged older than `cutoff` in one transaction and says how
/// many. Targets take turns a batch at a time (a large backlog of one does not starve
/// the others) until each is exhausted or the policy's cap is reached. Batches deleted
/// before an error stay deleted.
pub async fn prune_in_batches<F, Fut>(
    policy: &RetentionPolicy,
    now: DateTime<Utc>,
    mut delete: F,
) -> StoreResult<PruneReport>
where
    F: FnMut(RetentionTarget, DateTime<Utc>, u32) -> Fut,
    Fut: Future<Output = StoreResult<u64>>,
{
    policy.check()?;
    let mut report = PruneReport::default();
    let mut open: Vec<(RetentionTarget, DateTime<Utc>)> = Vec::new();
    for target in RetentionTarget::ALL {
        // A cutoff before the calendar's start deletes nothing; skip the target.
        if let Some(cutoff) = now.checked_sub_signed(policy.keep(target)) {
            open.push((target, cutoff));
        }
    }
    while !open.is_empty() {
        let mut more = Vec::with_capacity(open.len());
        for (target, cutoff) in open {
            let room = policy.max_rows_per_call.saturating_sub(report.total());
            if room == 0 {
                return Ok(report);
            }
            let limit = u32::try_from(room).map_or(policy.batch_size, |r| r.min(policy.batch_size));
            let n = delete(target, cutoff, limit).await?;
            report.add(target, n);
            // A full batch may have left rows behind; a short one found the last.
            if n >= u64::from(limit) {
                more.push((target, cutoff));
            }
            tokio::task::yield_now().await;
        }
        open = more;
    }
    report.complete = true;
    Ok(report)
}

/// Retention: old history and finished work are deleted so the tables stay bounded.
#[async_trait]
pub trait RetentionStore: Send + Sync {
    /// Deletes, across all organizations, what `policy` no longer keeps at `now`: events,
    /// `done` and `dead` jobs, processed and failed inbox rows, pending statuses and
    /// idempotency keys older than their times (see [`RetentionPolicy`]). Never a queued
    /// or running job, nor an inbox row waiting to be processed; an event only once it
    /// is older than the events window (sequence numbers are never reused, so a reader's
    /// cursor stays valid). Deletes run in short batches of `policy.batch_size` rows
    /// (one transaction each) up to `policy.max_rows_per_call` in all
    /// ([`crate::retention::prune_in_batches`]); several processes pruning at once
    /// delete each row once and do not wait on each other's batches. An invalid policy
    /// ([`RetentionPolicy::check`]) is `Other` and deletes nothing.
    async fn prune(&self, policy: &RetentionPolicy, now: DateTime<Utc>)
    -> StoreResult<PruneReport>;
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::collections::BTreeMap;

    /// Targets take turns a batch at a time, so a backlog of one does not starve the
    /// others; the cap holds and the report says rows may be left.
    #[tokio::test]
    async fn targets_take_turns_under_the_cap() {
        let mut left = BTreeMap::from([
            (RetentionTarget::Events, 10),
            (RetentionTarget::DeadJobs, 2),
        ]);
        let policy = RetentionPolicy {
            batch_size: 3,
            max_rows_per_call: 7,
            ..RetentionPolicy::default()
        };
        let report = prune_in_batches(&policy, Utc::now(), |target, _, n| {
            let deleted = left.get_mut(&target).map_or(0, |l: &mut u64| {
                let d = (*l).min(u64::from(n));
                *l -= d;
                d
            });
            async move { Ok(deleted) }
        })
        .await
        .unwrap();
        // Events 3, dead jobs 2 (a short batch: done), then events 2 (what the cap left).
        assert_eq!(report.deleted(RetentionTarget::Events), 5);
        assert_eq!(report.deleted(RetentionTarget::DeadJobs), 2);
        assert_eq!((report.total(), report.complete), (7, false));
    }
}
