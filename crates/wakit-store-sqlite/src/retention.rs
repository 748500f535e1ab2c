//! [`RetentionStore`]: old rows deleted in batches. Each batch is one short
//! `BEGIN IMMEDIATE` transaction on the single writer, so a large backlog holds the
//! writer for one batch at a time and other writes go in between.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use wakit_store::retention::prune_in_batches;
use wakit_store::{PruneReport, RetentionPolicy, RetentionStore, RetentionTarget, StoreResult};

use crate::SqliteStore;
use crate::error::DbResultExt;
use crate::rows::us;
use crate::shared::limit;

/// The table, where to look for its old rows (the table, or the index to use when the
/// planner might prefer a worse one) and the condition on its time column (compared
/// with `< cutoff`); each is served by an index (0012_retention.sql, 0005, 0002, 0016, 0020).
fn rows_of(target: RetentionTarget) -> (&'static str, &'static str, &'static str) {
    match target {
        RetentionTarget::Events => ("events", "events", "created_at"),
        RetentionTarget::FinishedJobs => ("jobs", "jobs", "state = 'done' AND updated_at"),
        RetentionTarget::DeadJobs => ("jobs", "jobs", "state = 'dead' AND updated_at"),
        // Without it, (state, received_at) may be chosen and walk every done row.
        RetentionTarget::ProcessedInbox => (
            "webhook_inbox",
            "webhook_inbox INDEXED BY webhook_inbox_done_idx",
            "state = 'done' AND processed_at",
        ),
        RetentionTarget::FailedInbox => (
            "webhook_inbox",
            "webhook_inbox",
            "state IN ('failed', 'ignored') AND received_at",
        ),
        RetentionTarget::PendingStatuses => ("pending_statuses", "pending_statuses", "created_at"),
        RetentionTarget::IdempotencyKeys => ("idempotency_keys", "idempotency_keys", "created_at"),
        RetentionTarget::WebhookDeliveries => (
            "webhook_deliveries",
            "webhook_deliveries",
            "state IN ('delivered', 'failed') AND updated_at",
        ),
        RetentionTarget::WebhookAttempts => (
            "webhook_delivery_attempts",
            "webhook_delivery_attempts",
            "created_at",
        ),
    }
}

impl SqliteStore {
    /// Deletes up to `n` rows of `target` older than `cutoff`; how many it deleted.
    async fn delete_batch(
        &self,
        target: RetentionTarget,
        cutoff: DateTime<Utc>,
        n: u32,
    ) -> StoreResult<u64> {
        let (table, from, older) = rows_of(target);
        // `events` is AUTOINCREMENT: deleting its newest rows never lets a sequence
        // number be handed out again.
        let sql = format!(
            "DELETE FROM {table} WHERE rowid IN \
             (SELECT rowid FROM {from} WHERE {older} < ?1 LIMIT ?2)"
        );
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(&sql)
            .bind(us(cutoff))
            .bind(limit(n))
            .execute(&mut *tx)
            .await
            .db()?;
        tx.commit().await.db()?;
        Ok(done.rows_affected())
    }
}

#[async_trait]
impl RetentionStore for SqliteStore {
    async fn prune(
        &self,
        policy: &RetentionPolicy,
        now: DateTime<Utc>,
    ) -> StoreResult<PruneReport> {
        prune_in_batches(policy, now, |target, cutoff, n| {
            self.delete_batch(target, cutoff, n)
        })
        .await
    }
}
