//! An attempt's outcome, recorded on its delivery, in the delivery log (migration 0020:
//! one `webhook_delivery_attempts` row per attempt) and in its endpoint's health, in
//! one transaction; and the log read back.

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::postgres::PgRow;
use uuid::Uuid;
use wakit_core::OrgId;
use wakit_store::{AttemptOutcome, DeliveryAttempt, NextStep, StoreResult};

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

/// Records attempt `outcome` of delivery `id` claimed with `lease_token` in `tx`
/// (but its endpoint's health: [`endpoint_health`]); its endpoint, or `None` when the
/// lease was lost.
pub(crate) async fn finish_in(
    tx: &mut Tx,
    id: Uuid,
    lease_token: Uuid,
    outcome: &AttemptOutcome,
    now: DateTime<Utc>,
) -> StoreResult<Option<Uuid>> {
    let (state, next_at) = outcome.next.delivery();
    let updated: Option<(Uuid, Uuid, i32)> = sqlx::query_as(
            "UPDATE webhook_deliveries SET state = $3, attempts = attempts + 1, \
               next_attempt_at = coalesce($4, next_attempt_at), lease_until = NULL, \
               lease_token = NULL, last_status = $5, last_latency_ms = $6, last_response = $7, \
               last_error = $8, delivered_at = CASE WHEN $3 = 'delivered' THEN $9 ELSE delivered_at END, \
               updated_at = $9 \
             WHERE id = $1 AND lease_token = $2 RETURNING webhook_id, organization_id, attempts",
        )
        .bind(id)
        .bind(lease_token)
        .bind(state)
        .bind(next_at)
        .bind(outcome.status)
        .bind(outcome.latency_ms)
        .bind(&outcome.response)
        .bind(&outcome.error)
        .bind(now)
        .fetch_optional(&mut **tx)
        .await
        .db()?;
    let Some((webhook, org, attempt)) = updated else {
        return Ok(None);
    };
    record(tx, id, org, attempt, outcome, now).await?;
    Ok(Some(webhook))
}

/// Records the endpoint `webhook`'s health after an attempt whose next step is `next`.
pub(crate) async fn endpoint_health(
    tx: &mut Tx,
    webhook: &Uuid,
    next: &NextStep,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let (healthy, disable) = next.endpoint();
    sqlx::query(
        "UPDATE webhooks SET \
               failing_since = CASE WHEN $2 THEN NULL ELSE coalesce(failing_since, $3) END, \
               disabled_at = CASE WHEN $4::text IS NULL THEN disabled_at ELSE $3 END, \
               disabled_reason = coalesce($4, disabled_reason) \
             WHERE id = $1",
    )
    .bind(webhook)
    .bind(healthy)
    .bind(now)
    .bind(disable)
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
