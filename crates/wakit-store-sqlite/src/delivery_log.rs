//! An attempt's outcome, recorded on its delivery, in the delivery log (migration 0020:
//! one `webhook_delivery_attempts` row per attempt) and in its endpoint's health, in
//! one transaction; and the log read back.

use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{Sqlite, Transaction};
use uuid::Uuid;
use wakit_core::OrgId;
use wakit_store::{AttemptOutcome, DeliveryAttempt, NextStep, StoreResult};

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

/// Records attempt `outcome` of delivery `id` claimed with `lease_token` in `tx`
/// (but its endpoint's health: [`endpoint_health`]); its endpoint, or `None` when the
/// lease was lost.
pub(crate) async fn finish_in(
    tx: &mut Transaction<'static, Sqlite>,
    id: Uuid,
    lease_token: Uuid,
    outcome: &AttemptOutcome,
    now: DateTime<Utc>,
) -> StoreResult<Option<String>> {
    let (state, next_at) = outcome.next.delivery();
    let next_at = next_at.map(us);
    let updated: Option<(String, String, i32)> = sqlx::query_as(
            "UPDATE webhook_deliveries SET state = ?3, attempts = attempts + 1, \
               next_attempt_at = coalesce(?4, next_attempt_at), lease_until = NULL, \
               lease_token = NULL, last_status = ?5, last_latency_ms = ?6, last_response = ?7, \
               last_error = ?8, delivered_at = CASE WHEN ?3 = 'delivered' THEN ?9 ELSE delivered_at END, \
               updated_at = ?9 \
             WHERE id = ?1 AND lease_token = ?2 RETURNING webhook_id, organization_id, attempts",
        )
        .bind(id.to_string())
        .bind(lease_token.to_string())
        .bind(state)
        .bind(next_at)
        .bind(outcome.status)
        .bind(outcome.latency_ms)
        .bind(&outcome.response)
        .bind(&outcome.error)
        .bind(us(now))
        .fetch_optional(&mut **tx)
        .await
        .db()?;
    let Some((webhook, org, attempt)) = updated else {
        return Ok(None);
    };
    record(tx, &id.to_string(), &org, attempt, outcome, now).await?;
    Ok(Some(webhook))
}

/// Records the endpoint `webhook`'s health after an attempt whose next step is `next`.
pub(crate) async fn endpoint_health(
    tx: &mut Transaction<'static, Sqlite>,
    webhook: &str,
    next: &NextStep,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let (healthy, disable) = next.endpoint();
    sqlx::query(
        "UPDATE webhooks SET \
               failing_since = CASE WHEN ?2 THEN NULL ELSE coalesce(failing_since, ?3) END, \
               disabled_at = CASE WHEN ?4 IS NULL THEN disabled_at ELSE ?3 END, \
               disabled_reason = coalesce(?4, disabled_reason) \
             WHERE id = ?1",
    )
    .bind(webhook)
    .bind(healthy)
    .bind(us(now))
    .bind(disable)
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
