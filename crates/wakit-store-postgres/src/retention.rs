//! [`RetentionStore`]: old rows deleted in batches, each one short statement. A batch
//! locks the rows it picks `FOR UPDATE SKIP LOCKED`, so replicas pruning at the same
//! time take disjoint rows and never wait for each other.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use wakit_store::retention::prune_in_batches;
use wakit_store::{PruneReport, RetentionPolicy, RetentionStore, RetentionTarget, StoreResult};

use crate::PgStore;
use crate::error::DbResultExt;
use crate::scope::{self, Scope};

/// Where a target's rows are: the table, its key columns, the condition on its time
/// column (compared with `< cutoff`; served by an index, 0012_retention.sql and 0005)
/// and whether the table is under row-level security (0007).
struct Rows {
    table: &'static str,
    key: &'static str,
    older: &'static str,
    tenant: bool,
}

fn rows_of(target: RetentionTarget) -> Rows {
    let (table, key, older, tenant) = match target {
        RetentionTarget::Events => ("events", "id", "created_at", true),
        RetentionTarget::FinishedJobs => ("jobs", "id", "state = 'done' AND updated_at", false),
        RetentionTarget::DeadJobs => ("jobs", "id", "state = 'dead' AND updated_at", false),
        RetentionTarget::ProcessedInbox => (
            "webhook_inbox",
            "id",
            "state = 'done' AND processed_at",
            false,
        ),
        RetentionTarget::FailedInbox => (
            "webhook_inbox",
            "id",
            "state IN ('failed', 'ignored') AND received_at",
            false,
        ),
        RetentionTarget::PendingStatuses => ("pending_statuses", "id", "created_at", true),
        RetentionTarget::IdempotencyKeys => (
            "idempotency_keys",
            "organization_id, key",
            "created_at",
            true,
        ),
        RetentionTarget::WebhookDeliveries => (
            "webhook_deliveries",
            "id",
            "state IN ('delivered', 'failed') AND updated_at",
            true,
        ),
        RetentionTarget::WebhookAttempts => (
            "webhook_delivery_attempts",
            "delivery_id, attempt",
            "created_at",
            true,
        ),
    };
    Rows {
        table,
        key,
        older,
        tenant,
    }
}

impl PgStore {
    /// Deletes up to `n` rows of `target` older than `cutoff`; how many it deleted.
    async fn delete_batch(
        &self,
        target: RetentionTarget,
        cutoff: DateTime<Utc>,
        n: u32,
    ) -> StoreResult<u64> {
        let Rows {
            table,
            key,
            older,
            tenant,
        } = rows_of(target);
        // MATERIALIZED: the LIMIT/SKIP LOCKED pick runs exactly once (see jobs.rs).
        let sql = format!(
            "WITH picked AS MATERIALIZED ( \
               SELECT {key} FROM {table} WHERE {older} < $1 LIMIT $2 FOR UPDATE SKIP LOCKED) \
             DELETE FROM {table} WHERE ({key}) IN (SELECT {key} FROM picked)"
        );
        let query = sqlx::query(&sql).bind(cutoff).bind(i64::from(n));
        let done = if tenant {
            // Every organization's rows: the cross-tenant internal scope.
            let mut tx = scope::begin(&self.pool, Scope::Internal).await?;
            let done = query.execute(&mut *tx).await.db()?;
            tx.commit().await.db()?;
            done
        } else {
            query.execute(&self.pool).await.db()?
        };
        Ok(done.rows_affected())
    }
}

#[async_trait]
impl RetentionStore for PgStore {
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
