//! The delivery log (migration 0020): one `webhook_delivery_attempts` row per attempt,
//! written in the transaction that records the attempt on its delivery.

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::postgres::PgRow;
use uuid::Uuid;
use wakit_core::OrgId;
use wakit_store::{AttemptOutcome, DeliveryAttempt, StoreResult};

use crate::PgStore;
use crate::error::DbResultExt;
use crate::scope::Tx;

/// Adds attempt number `attempt` of delivery `id` (of `org`) with `outcome`, at `now`.
pub(crate) async fn record(
    tx: &mut Tx,
    id: Uuid,
    org: Uuid,
    attempt: i32,
    outcome: &AttemptOutcome,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO webhook_delivery_attempts (delivery_id, attempt, organization_id, status, \
           latency_ms, response, error, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(attempt)
    .bind(org)
    .bind(outcome.status)
    .bind(outcome.latency_ms)
    .bind(&outcome.response)
    .bind(&outcome.error)
    .bind(now)
    .execute(&mut **tx)
    .await
    .db()?;
    Ok(())
}

fn attempt(row: &PgRow) -> StoreResult<DeliveryAttempt> {
    Ok(DeliveryAttempt {
        delivery_id: row.try_get("delivery_id").db()?,
        attempt: row.try_get("attempt").db()?,
        status: row.try_get("status").db()?,
        latency_ms: row.try_get("latency_ms").db()?,
        response: row.try_get("response").db()?,
        error: row.try_get("error").db()?,
        at: row.try_get("created_at").db()?,
    })
}

impl PgStore {
    /// [`wakit_store::WebhookStore::list_attempts`].
    pub(crate) async fn attempts_of(
        &self,
        org: OrgId,
        deliveries: &[Uuid],
    ) -> StoreResult<Vec<DeliveryAttempt>> {
        if deliveries.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.tenant(org).await?;
        let rows = sqlx::query(
            "SELECT delivery_id, attempt, status, latency_ms, response, error, created_at \
             FROM webhook_delivery_attempts \
             WHERE organization_id = $1 AND delivery_id = ANY($2) \
             ORDER BY delivery_id, attempt",
        )
        .bind(org.0)
        .bind(deliveries)
        .fetch_all(&mut *tx)
        .await
        .db()?;
        rows.iter().map(attempt).collect()
    }
}
