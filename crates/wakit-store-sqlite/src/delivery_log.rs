//! The delivery log (migration 0020): one `webhook_delivery_attempts` row per attempt,
//! written in the transaction that records the attempt on its delivery.

use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{Sqlite, Transaction};
use uuid::Uuid;
use wakit_core::OrgId;
use wakit_store::{AttemptOutcome, DeliveryAttempt, StoreResult};

use crate::SqliteStore;
use crate::error::DbResultExt;
use crate::rows::{get, get_time, get_uuid, us};

/// Adds attempt number `attempt` of delivery `id` (of `org`) with `outcome`, at `now`.
pub(crate) async fn record(
    tx: &mut Transaction<'static, Sqlite>,
    id: &str,
    org: &str,
    attempt: i32,
    outcome: &AttemptOutcome,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO webhook_delivery_attempts (delivery_id, attempt, organization_id, status, \
           latency_ms, response, error, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .bind(id)
    .bind(attempt)
    .bind(org)
    .bind(outcome.status)
    .bind(outcome.latency_ms)
    .bind(&outcome.response)
    .bind(&outcome.error)
    .bind(us(now))
    .execute(&mut **tx)
    .await
    .db()?;
    Ok(())
}

fn attempt(row: &SqliteRow) -> StoreResult<DeliveryAttempt> {
    Ok(DeliveryAttempt {
        delivery_id: get_uuid(row, "delivery_id")?,
        attempt: get(row, "attempt")?,
        status: get(row, "status")?,
        latency_ms: get(row, "latency_ms")?,
        response: get(row, "response")?,
        error: get(row, "error")?,
        at: get_time(row, "created_at")?,
    })
}

impl SqliteStore {
    /// [`wakit_store::WebhookStore::list_attempts`].
    pub(crate) async fn attempts_of(
        &self,
        org: OrgId,
        deliveries: &[Uuid],
    ) -> StoreResult<Vec<DeliveryAttempt>> {
        if deliveries.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = deliveries.iter().map(Uuid::to_string).collect();
        let rows = sqlx::query(
            "SELECT delivery_id, attempt, status, latency_ms, response, error, created_at \
             FROM webhook_delivery_attempts \
             WHERE organization_id = ?1 AND delivery_id IN (SELECT value FROM json_each(?2)) \
             ORDER BY delivery_id, attempt",
        )
        .bind(org.to_string())
        .bind(serde_json::to_string(&ids).unwrap_or_default())
        .fetch_all(self.reads())
        .await
        .db()?;
        rows.iter().map(attempt).collect()
    }
}
