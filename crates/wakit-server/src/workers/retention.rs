//! Retention: deletes what the [`RetentionPolicy`] no longer keeps, every
//! [`RetentionConfig::interval`], so events, finished jobs, processed webhook bodies,
//! pending statuses and idempotency keys stay bounded. Every process running workers
//! prunes; several at once are harmless (each row is deleted once, in short batches
//! that never wait on each other — see [`wakit_store::RetentionStore::prune`]).

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use wakit_store::{PruneReport, RetentionPolicy, RetentionTarget, Store, StoreResult};

/// Default time between prunes.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(600);

/// Longest wait before the first prune after start: soon, but not in the middle of
/// the start itself.
const FIRST_RUN: Duration = Duration::from_secs(30);

/// Pause before the next prune when one stopped at its cap with rows left.
const BACKLOG_PAUSE: Duration = Duration::from_secs(1);

/// How the retention worker runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetentionConfig {
    /// What is kept, and how deletes are batched.
    pub policy: RetentionPolicy,
    /// Time between prunes (the first comes after this or 30 s, whichever is shorter).
    pub interval: Duration,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            policy: RetentionPolicy::default(),
            interval: DEFAULT_INTERVAL,
        }
    }
}

/// The retention worker.
#[derive(Clone)]
pub struct Pruner {
    store: Arc<dyn Store>,
    config: RetentionConfig,
}

impl Pruner {
    /// A worker pruning `store` as `config` says.
    pub fn new(store: Arc<dyn Store>, config: RetentionConfig) -> Pruner {
        Pruner { store, config }
    }

    /// One prune as of now: logs what it deleted (info when anything) and counts it in
    /// the metrics (`wakit_retention_deleted_total{table}`).
    pub async fn tick(&self) -> StoreResult<PruneReport> {
        let report = self
            .store
            .prune(&self.config.policy, chrono::Utc::now())
            .await?;
        for (target, n) in report.counts() {
            crate::metrics::pruned(target.name(), n);
        }
        if report.total() > 0 {
            let n = |t| report.deleted(t);
            tracing::info!(
                events = n(RetentionTarget::Events),
                jobs_done = n(RetentionTarget::FinishedJobs),
                jobs_dead = n(RetentionTarget::DeadJobs),
                inbox_done = n(RetentionTarget::ProcessedInbox),
                inbox_failed = n(RetentionTarget::FailedInbox),
                pending_statuses = n(RetentionTarget::PendingStatuses),
                idempotency_keys = n(RetentionTarget::IdempotencyKeys),
                webhook_deliveries = n(RetentionTarget::WebhookDeliveries),
                complete = report.complete,
                "retention: deleted old rows"
            );
        }
        Ok(report)
    }

    /// Prunes every interval until `cancel` fires. A failed prune is logged and tried
    /// again at the next interval; a prune that stopped at its cap goes on shortly.
    pub async fn run(self, cancel: CancellationToken) {
        let mut wait = self.config.interval.min(FIRST_RUN);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
            // Stopping mid-prune loses nothing: the batch in flight rolls back.
            let pruned = tokio::select! {
                _ = cancel.cancelled() => return,
                r = self.tick() => r,
            };
            wait = match pruned {
                Ok(report) if !report.complete => BACKLOG_PAUSE.min(self.config.interval),
                Ok(_) => self.config.interval,
                Err(e) => {
                    tracing::warn!(error = %e, "retention: prune failed; trying again next interval");
                    self.config.interval
                }
            };
        }
    }
}
