//! [`WebhookStore`]: endpoints (`webhooks`) and their outbox (`webhook_deliveries`,
//! migration 0016). One writer: a claim picks and leases in one write transaction.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{Sqlite, Transaction};
use uuid::Uuid;
use wakit_core::{AccountId, OrgId};
use wakit_store::secrets::SealedSecret;
use wakit_store::webhooks::msg_id;
use wakit_store::{
    AttemptOutcome, Delivery, DeliveryAttempt, FanOut, NewDelivery, NewWebhook, StoreError,
    StoreResult, WebhookChange, WebhookEndpoint, WebhookStore,
};

use crate::SqliteStore;
use crate::delivery_log::{endpoint_health, finish_in};
use crate::error::DbResultExt;
use crate::rows::{get, get_json, get_opt_time, get_opt_uuid, get_time, get_uuid, to_json, us};
use crate::shared::{limit, require_org};

type Tx = Transaction<'static, Sqlite>;

const WEBHOOK_COLUMNS: &str = "id, organization_id, organization_address, table_name, \
     operations, url, token_sealed, secret_sealed, previous_secret_sealed, \
     previous_secret_until, disabled_at, disabled_reason, failing_since, event_cursor, created_at";

const DELIVERY_COLUMNS: &str = "id, organization_id, webhook_id, event_seq, event_type, \
     conversation_id, msg_id, payload, state, attempts, next_attempt_at, lease_token, \
     last_status, last_latency_ms, last_response, last_error, delivered_at, created_at";

fn sealed(row: &SqliteRow, col: &str) -> StoreResult<Option<SealedSecret>> {
    Ok(get::<Option<Vec<u8>>>(row, col)?.map(SealedSecret))
}

fn endpoint(row: &SqliteRow) -> StoreResult<WebhookEndpoint> {
    Ok(WebhookEndpoint {
        id: get_uuid(row, "id")?,
        org_id: OrgId(get_uuid(row, "organization_id")?),
        account_id: get_opt_uuid(row, "organization_address")?.map(AccountId),
        table_name: get(row, "table_name")?,
        operations: get_json(row, "operations")?,
        url: get(row, "url")?,
        token: sealed(row, "token_sealed")?,
        secret: sealed(row, "secret_sealed")?,
        previous_secret: sealed(row, "previous_secret_sealed")?,
        previous_secret_until: get_opt_time(row, "previous_secret_until")?,
        disabled_at: get_opt_time(row, "disabled_at")?,
        disabled_reason: get(row, "disabled_reason")?,
        failing_since: get_opt_time(row, "failing_since")?,
        event_cursor: get(row, "event_cursor")?,
        created_at: get_time(row, "created_at")?,
    })
}

fn delivery(row: &SqliteRow) -> StoreResult<Delivery> {
    Ok(Delivery {
        id: get_uuid(row, "id")?,
        org_id: OrgId(get_uuid(row, "organization_id")?),
        webhook_id: get_uuid(row, "webhook_id")?,
        event_seq: get(row, "event_seq")?,
        event_type: get(row, "event_type")?,
        conversation_id: get_opt_uuid(row, "conversation_id")?,
        msg_id: get(row, "msg_id")?,
        payload: get(row, "payload")?,
        state: get(row, "state")?,
        attempts: get(row, "attempts")?,
        next_attempt_at: get_time(row, "next_attempt_at")?,
        lease_token: get_opt_uuid(row, "lease_token")?,
        last_status: get(row, "last_status")?,
        last_latency_ms: get(row, "last_latency_ms")?,
        last_response: get(row, "last_response")?,
        last_error: get(row, "last_error")?,
        delivered_at: get_opt_time(row, "delivered_at")?,
        created_at: get_time(row, "created_at")?,
    })
}

/// Inserts one delivery in `tx`, due `now`.
async fn insert_delivery(
    tx: &mut Tx,
    org: OrgId,
    new: &NewDelivery,
    now: DateTime<Utc>,
) -> StoreResult<Delivery> {
    let id = Uuid::new_v4();
    let row = sqlx::query(&format!(
        "INSERT INTO webhook_deliveries (id, organization_id, webhook_id, event_seq, event_type, \
         conversation_id, msg_id, payload, next_attempt_at, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?9) RETURNING {DELIVERY_COLUMNS}"
    ))
    .bind(id.to_string())
    .bind(org.to_string())
    .bind(new.webhook_id.to_string())
    .bind(new.event_seq)
    .bind(&new.event_type)
    .bind(new.conversation_id.map(|c| c.to_string()))
    .bind(msg_id(id))
    .bind(&new.payload)
    .bind(us(now))
    .fetch_one(&mut **tx)
    .await
    .db()?;
    delivery(&row)
}

/// The org's endpoint `id` in `tx`.
async fn webhook_in(tx: &mut Tx, org: OrgId, id: Uuid) -> StoreResult<WebhookEndpoint> {
    let row = sqlx::query(&format!(
        "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE organization_id = ?1 AND id = ?2"
    ))
    .bind(org.to_string())
    .bind(id.to_string())
    .fetch_optional(&mut **tx)
    .await
    .db()?
    .ok_or(StoreError::NotFound("webhook"))?;
    endpoint(&row)
}

/// `change` applied to `w` at `now`.
fn changed(mut w: WebhookEndpoint, change: WebhookChange, now: DateTime<Utc>) -> WebhookEndpoint {
    w.url = change.url.unwrap_or(w.url);
    w.table_name = change.table_name.unwrap_or(w.table_name);
    w.operations = change.operations.unwrap_or(w.operations);
    w.account_id = change.account_id.unwrap_or(w.account_id);
    w.token = change.token.unwrap_or(w.token);
    match change.enabled {
        Some(true) => (w.disabled_at, w.disabled_reason, w.failing_since) = (None, None, None),
        Some(false) if w.disabled_at.is_none() => {
            (w.disabled_at, w.disabled_reason) = (Some(now), Some("disabled by hand".into()));
        }
        _ => {}
    }
    if let Some((secret, until)) = change.rotate {
        w.previous_secret = w.secret.replace(secret);
        w.previous_secret_until = Some(until);
    }
    w
}

fn opt_us(t: Option<DateTime<Utc>>) -> Option<i64> {
    t.map(us)
}

#[async_trait]
impl WebhookStore for SqliteStore {
    async fn create_webhook(
        &self,
        org: OrgId,
        new: NewWebhook,
        max: u32,
    ) -> StoreResult<Option<WebhookEndpoint>> {
        let now = crate::rows::now();
        let mut tx = self.write_tx().await?;
        require_org(&mut *tx, org).await?;
        let count: i64 =
            sqlx::query_scalar("SELECT count(*) FROM webhooks WHERE organization_id = ?1")
                .bind(org.to_string())
                .fetch_one(&mut *tx)
                .await
                .db()?;
        if count >= i64::from(max) {
            return Ok(None);
        }
        let row = sqlx::query(&format!(
            "INSERT INTO webhooks (id, organization_id, organization_address, table_name, \
             operations, url, token_sealed, secret_sealed, event_cursor, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, \
               (SELECT coalesce(max(seq), 0) FROM events WHERE organization_id = ?2), ?9, ?9) \
             RETURNING {WEBHOOK_COLUMNS}"
        ))
        .bind(new.id.to_string())
        .bind(org.to_string())
        .bind(new.account_id.map(|a| a.to_string()))
        .bind(&new.table_name)
        .bind(to_json(&new.operations)?)
        .bind(&new.url)
        .bind(new.token.map(|t| t.0))
        .bind(new.secret.0)
        .bind(us(now))
        .fetch_one(&mut *tx)
        .await
        .db()?;
        let created = endpoint(&row)?;
        tx.commit().await.db()?;
        Ok(Some(created))
    }

    async fn list_webhooks(&self, org: OrgId) -> StoreResult<Vec<WebhookEndpoint>> {
        let rows = sqlx::query(&format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE organization_id = ?1 \
             ORDER BY created_at, id"
        ))
        .bind(org.to_string())
        .fetch_all(self.reads())
        .await
        .db()?;
        rows.iter().map(endpoint).collect()
    }

    async fn get_webhook(&self, org: OrgId, id: Uuid) -> StoreResult<WebhookEndpoint> {
        let row = sqlx::query(&format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE organization_id = ?1 AND id = ?2"
        ))
        .bind(org.to_string())
        .bind(id.to_string())
        .fetch_optional(self.reads())
        .await
        .db()?
        .ok_or(StoreError::NotFound("webhook"))?;
        endpoint(&row)
    }

    async fn update_webhook(
        &self,
        org: OrgId,
        id: Uuid,
        change: WebhookChange,
        now: DateTime<Utc>,
    ) -> StoreResult<WebhookEndpoint> {
        let mut tx = self.write_tx().await?;
        let w = changed(webhook_in(&mut tx, org, id).await?, change, now);
        sqlx::query(
            "UPDATE webhooks SET url = ?3, table_name = ?4, operations = ?5, \
               organization_address = ?6, token_sealed = ?7, disabled_at = ?8, \
               disabled_reason = ?9, failing_since = ?10, secret_sealed = ?11, \
               previous_secret_sealed = ?12, previous_secret_until = ?13, updated_at = ?14 \
             WHERE organization_id = ?1 AND id = ?2",
        )
        .bind(org.to_string())
        .bind(id.to_string())
        .bind(&w.url)
        .bind(&w.table_name)
        .bind(to_json(&w.operations)?)
        .bind(w.account_id.map(|a| a.to_string()))
        .bind(w.token.as_ref().map(|t| t.0.clone()))
        .bind(opt_us(w.disabled_at))
        .bind(&w.disabled_reason)
        .bind(opt_us(w.failing_since))
        .bind(w.secret.as_ref().map(|t| t.0.clone()))
        .bind(w.previous_secret.as_ref().map(|t| t.0.clone()))
        .bind(opt_us(w.previous_secret_until))
        .bind(us(now))
        .execute(&mut *tx)
        .await
        .db()?;
        let stored = webhook_in(&mut tx, org, id).await?;
        tx.commit().await.db()?;
        Ok(stored)
    }

    async fn delete_webhook(&self, org: OrgId, id: Uuid) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let gone = sqlx::query("DELETE FROM webhooks WHERE organization_id = ?1 AND id = ?2")
            .bind(org.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .db()?;
        if gone.rows_affected() == 0 {
            return Err(StoreError::NotFound("webhook"));
        }
        tx.commit().await.db()
    }

    async fn fanout_webhooks(&self) -> StoreResult<Vec<WebhookEndpoint>> {
        let rows = sqlx::query(&format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE disabled_at IS NULL \
             ORDER BY organization_id, created_at"
        ))
        .fetch_all(self.reads())
        .await
        .db()?;
        rows.iter().map(endpoint).collect()
    }

    async fn enqueue_deliveries(&self, org: OrgId, batch: Vec<FanOut>) -> StoreResult<Vec<bool>> {
        let now = crate::rows::now();
        let mut tx = self.write_tx().await?;
        let mut moved = Vec::with_capacity(batch.len());
        for f in &batch {
            let done = sqlx::query(
                "UPDATE webhooks SET event_cursor = ?4 \
                 WHERE organization_id = ?1 AND id = ?2 AND event_cursor = ?3",
            )
            .bind(org.to_string())
            .bind(f.webhook.to_string())
            .bind(f.from)
            .bind(f.to)
            .execute(&mut *tx)
            .await
            .db()?;
            let ok = done.rows_affected() > 0;
            if ok {
                for d in f.deliveries.iter().filter(|d| d.webhook_id == f.webhook) {
                    insert_delivery(&mut tx, org, d, now).await?;
                }
            }
            moved.push(ok);
        }
        tx.commit().await.db()?;
        Ok(moved)
    }

    async fn add_delivery(&self, org: OrgId, new: NewDelivery) -> StoreResult<Delivery> {
        let mut tx = self.write_tx().await?;
        webhook_in(&mut tx, org, new.webhook_id).await?;
        let d = insert_delivery(&mut tx, org, &new, crate::rows::now()).await?;
        tx.commit().await.db()?;
        Ok(d)
    }

    async fn claim_deliveries(
        &self,
        n: u32,
        lease: Duration,
        now: DateTime<Utc>,
        skip: &[Uuid],
    ) -> StoreResult<Vec<(Delivery, WebhookEndpoint)>> {
        let skipped = to_json(&skip.iter().map(Uuid::to_string).collect::<Vec<_>>())?;
        let mut tx = self.write_tx().await?;
        let picked: Vec<String> = sqlx::query_scalar(
            "SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
             WHERE d.state = 'pending' AND d.next_attempt_at <= ?1 \
               AND (d.lease_until IS NULL OR d.lease_until < ?1) \
               AND w.disabled_at IS NULL \
               AND d.webhook_id NOT IN (SELECT value FROM json_each(?3)) \
               AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e \
                 WHERE e.webhook_id = d.webhook_id AND e.conversation_id = d.conversation_id \
                   AND e.state = 'pending' AND e.event_seq < d.event_seq) \
             ORDER BY d.next_attempt_at LIMIT ?2",
        )
        .bind(us(now))
        .bind(limit(n))
        .bind(skipped)
        .fetch_all(&mut *tx)
        .await
        .db()?;
        let mut claimed = Vec::with_capacity(picked.len());
        for id in picked {
            let row = sqlx::query(&format!(
                "UPDATE webhook_deliveries SET lease_until = ?2, lease_token = ?3, updated_at = ?4 \
                 WHERE id = ?1 RETURNING {DELIVERY_COLUMNS}"
            ))
            .bind(&id)
            .bind(us(now + lease))
            .bind(Uuid::new_v4().to_string())
            .bind(us(now))
            .fetch_one(&mut *tx)
            .await
            .db()?;
            let d = delivery(&row)?;
            let w = webhook_in(&mut tx, d.org_id, d.webhook_id).await?;
            claimed.push((d, w));
        }
        tx.commit().await.db()?;
        Ok(claimed)
    }

    async fn finish_delivery(
        &self,
        id: Uuid,
        lease_token: Uuid,
        outcome: AttemptOutcome,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        Ok(self
            .finish_deliveries(vec![(id, lease_token, outcome)], now)
            .await?
            .pop()
            .unwrap_or(false))
    }

    async fn finish_deliveries(
        &self,
        items: Vec<(Uuid, Uuid, AttemptOutcome)>,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<bool>> {
        let mut tx = self.write_tx().await?;
        let (mut done, mut health) = (Vec::with_capacity(items.len()), Vec::new());
        for (id, token, outcome) in &items {
            let webhook = finish_in(&mut tx, *id, *token, outcome, now).await?;
            done.push(webhook.is_some());
            health.extend(webhook.map(|w| (w, &outcome.next)));
        }
        // Endpoints in id order, as fan-out moves their cursors: two transactions never
        // wait for each other's endpoint rows in a cycle.
        health.sort_by(|a, b| a.0.cmp(&b.0));
        for (webhook, next) in health {
            endpoint_health(&mut tx, &webhook, next, now).await?;
        }
        tx.commit().await.db()?;
        Ok(done)
    }

    async fn list_deliveries(
        &self,
        org: OrgId,
        webhook: Uuid,
        n: u32,
    ) -> StoreResult<Vec<Delivery>> {
        let rows = sqlx::query(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries \
             WHERE organization_id = ?1 AND webhook_id = ?2 \
             ORDER BY created_at DESC, event_seq DESC LIMIT ?3"
        ))
        .bind(org.to_string())
        .bind(webhook.to_string())
        .bind(limit(n))
        .fetch_all(self.reads())
        .await
        .db()?;
        rows.iter().map(delivery).collect()
    }

    async fn list_attempts(
        &self,
        org: OrgId,
        deliveries: &[Uuid],
    ) -> StoreResult<Vec<DeliveryAttempt>> {
        self.attempts_of(org, deliveries).await
    }

    async fn retry_delivery(
        &self,
        org: OrgId,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<Delivery> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(&format!(
            "UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = ?3, \
               lease_until = NULL, lease_token = NULL, updated_at = ?3 \
             WHERE organization_id = ?1 AND id = ?2 RETURNING {DELIVERY_COLUMNS}"
        ))
        .bind(org.to_string())
        .bind(id.to_string())
        .bind(us(now))
        .fetch_optional(&mut *tx)
        .await
        .db()?
        .ok_or(StoreError::NotFound("delivery"))?;
        let d = delivery(&row)?;
        tx.commit().await.db()?;
        Ok(d)
    }

    async fn recover_deliveries(
        &self,
        org: OrgId,
        webhook: Uuid,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = ?4, \
               lease_until = NULL, lease_token = NULL, updated_at = ?4 \
             WHERE organization_id = ?1 AND webhook_id = ?2 AND created_at >= ?3 \
               AND state = 'failed'",
        )
        .bind(org.to_string())
        .bind(webhook.to_string())
        .bind(us(since))
        .bind(us(now))
        .execute(&mut *tx)
        .await
        .db()?;
        tx.commit().await.db()?;
        Ok(done.rows_affected())
    }
}
