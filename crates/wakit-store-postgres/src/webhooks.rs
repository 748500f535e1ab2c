//! [`WebhookStore`]: endpoints (`webhooks`) and their outbox (`webhook_deliveries`,
//! migration 0016). Claims lock with `FOR UPDATE SKIP LOCKED`, so replicas share the
//! queue without waiting on each other.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use uuid::Uuid;
use wakit_core::{AccountId, OrgId};
use wakit_store::secrets::SealedSecret;
use wakit_store::webhooks::msg_id;
use wakit_store::{
    AttemptOutcome, Delivery, DeliveryAttempt, FanOut, NewDelivery, NewWebhook, StoreError,
    StoreResult, WebhookChange, WebhookEndpoint, WebhookStore,
};

use crate::PgStore;
use crate::delivery_log::{endpoint_health, finish_in};
use crate::error::DbResultExt;
use crate::scope::Tx;

const WEBHOOK_COLUMNS: &str = "id, organization_id, organization_address, table_name, \
     operations, url, token_sealed, secret_sealed, previous_secret_sealed, \
     previous_secret_until, disabled_at, disabled_reason, failing_since, event_cursor, created_at";

const DELIVERY_COLUMNS: &str = "id, organization_id, webhook_id, event_seq, event_type, \
     conversation_id, msg_id, payload, state, attempts, next_attempt_at, lease_token, \
     last_status, last_latency_ms, last_response, last_error, delivered_at, created_at";

fn sealed(row: &PgRow, col: &str) -> StoreResult<Option<SealedSecret>> {
    Ok(row
        .try_get::<Option<Vec<u8>>, _>(col)
        .db()?
        .map(SealedSecret))
}

fn endpoint(row: &PgRow) -> StoreResult<WebhookEndpoint> {
    let Json(operations): Json<Vec<String>> = row.try_get("operations").db()?;
    Ok(WebhookEndpoint {
        id: row.try_get("id").db()?,
        org_id: OrgId(row.try_get("organization_id").db()?),
        account_id: row
            .try_get::<Option<Uuid>, _>("organization_address")
            .db()?
            .map(AccountId),
        table_name: row.try_get("table_name").db()?,
        operations,
        url: row.try_get("url").db()?,
        token: sealed(row, "token_sealed")?,
        secret: sealed(row, "secret_sealed")?,
        previous_secret: sealed(row, "previous_secret_sealed")?,
        previous_secret_until: row.try_get("previous_secret_until").db()?,
        disabled_at: row.try_get("disabled_at").db()?,
        disabled_reason: row.try_get("disabled_reason").db()?,
        failing_since: row.try_get("failing_since").db()?,
        event_cursor: row.try_get("event_cursor").db()?,
        created_at: row.try_get("created_at").db()?,
    })
}

fn delivery(row: &PgRow) -> StoreResult<Delivery> {
    Ok(Delivery {
        id: row.try_get("id").db()?,
        org_id: OrgId(row.try_get("organization_id").db()?),
        webhook_id: row.try_get("webhook_id").db()?,
        event_seq: row.try_get("event_seq").db()?,
        event_type: row.try_get("event_type").db()?,
        conversation_id: row.try_get("conversation_id").db()?,
        msg_id: row.try_get("msg_id").db()?,
        payload: row.try_get("payload").db()?,
        state: row.try_get("state").db()?,
        attempts: row.try_get("attempts").db()?,
        next_attempt_at: row.try_get("next_attempt_at").db()?,
        lease_token: row.try_get("lease_token").db()?,
        last_status: row.try_get("last_status").db()?,
        last_latency_ms: row.try_get("last_latency_ms").db()?,
        last_response: row.try_get("last_response").db()?,
        last_error: row.try_get("last_error").db()?,
        delivered_at: row.try_get("delivered_at").db()?,
        created_at: row.try_get("created_at").db()?,
    })
}

/// Inserts one delivery in `tx`, due now.
async fn insert_delivery(tx: &mut Tx, org: OrgId, new: &NewDelivery) -> StoreResult<Delivery> {
    let id = Uuid::new_v4();
    let row = sqlx::query(&format!(
        "INSERT INTO webhook_deliveries (id, organization_id, webhook_id, event_seq, event_type, \
         conversation_id, msg_id, payload) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         RETURNING {DELIVERY_COLUMNS}"
    ))
    .bind(id)
    .bind(org.0)
    .bind(new.webhook_id)
    .bind(new.event_seq)
    .bind(&new.event_type)
    .bind(new.conversation_id)
    .bind(msg_id(id))
    .bind(&new.payload)
    .fetch_one(&mut **tx)
    .await
    .db()?;
    delivery(&row)
}

#[async_trait]
impl WebhookStore for PgStore {
    async fn create_webhook(
        &self,
        org: OrgId,
        new: NewWebhook,
        max: u32,
    ) -> StoreResult<Option<WebhookEndpoint>> {
        let mut tx = self.tenant(org).await?;
        // The org's counter row serializes creations, so the cap holds under races.
        sqlx::query("SELECT 1 FROM event_counters WHERE organization_id = $1 FOR UPDATE")
            .bind(org.0)
            .execute(&mut *tx)
            .await
            .db()?;
        let count: i64 =
            sqlx::query_scalar("SELECT count(*) FROM webhooks WHERE organization_id = $1")
                .bind(org.0)
                .fetch_one(&mut *tx)
                .await
                .db()?;
        if count >= i64::from(max) {
            return Ok(None);
        }
        let row = sqlx::query(&format!(
            "INSERT INTO webhooks (id, organization_id, organization_address, table_name, \
             operations, url, token_sealed, secret_sealed, event_cursor) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
               (SELECT coalesce(max(seq), 0) FROM events WHERE organization_id = $2)) \
             RETURNING {WEBHOOK_COLUMNS}"
        ))
        .bind(new.id)
        .bind(org.0)
        .bind(new.account_id.map(|a| a.0))
        .bind(&new.table_name)
        .bind(Json(&new.operations))
        .bind(&new.url)
        .bind(new.token.map(|t| t.0))
        .bind(new.secret.0)
        .fetch_one(&mut *tx)
        .await
        .db()?;
        let created = endpoint(&row)?;
        tx.commit().await.db()?;
        Ok(Some(created))
    }

    async fn list_webhooks(&self, org: OrgId) -> StoreResult<Vec<WebhookEndpoint>> {
        let mut tx = self.tenant(org).await?;
        let rows = sqlx::query(&format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE organization_id = $1 \
             ORDER BY created_at, id"
        ))
        .bind(org.0)
        .fetch_all(&mut *tx)
        .await
        .db()?;
        rows.iter().map(endpoint).collect()
    }

    async fn get_webhook(&self, org: OrgId, id: Uuid) -> StoreResult<WebhookEndpoint> {
        let mut tx = self.tenant(org).await?;
        let row = sqlx::query(&format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE organization_id = $1 AND id = $2"
        ))
        .bind(org.0)
        .bind(id)
        .fetch_optional(&mut *tx)
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
        let (rotate, new_secret, previous_until) = match change.rotate {
            Some((s, until)) => (true, Some(s.0), Some(until)),
            None => (false, None, None),
        };
        let mut tx = self.tenant(org).await?;
        let row = sqlx::query(&format!(
            "UPDATE webhooks SET \
               url = coalesce($3, url), table_name = coalesce($4, table_name), \
               operations = coalesce($5, operations), \
               organization_address = CASE WHEN $6 THEN $7 ELSE organization_address END, \
               token_sealed = CASE WHEN $8 THEN $9 ELSE token_sealed END, \
               disabled_at = CASE WHEN $10 IS NULL THEN disabled_at WHEN $10 THEN NULL \
                 ELSE coalesce(disabled_at, $11) END, \
               disabled_reason = CASE WHEN $10 IS NULL THEN disabled_reason WHEN $10 THEN NULL \
                 ELSE coalesce(disabled_reason, 'disabled by hand') END, \
               failing_since = CASE WHEN $10 THEN NULL ELSE failing_since END, \
               previous_secret_sealed = CASE WHEN $12 THEN secret_sealed ELSE previous_secret_sealed END, \
               previous_secret_until = CASE WHEN $12 THEN $14 ELSE previous_secret_until END, \
               secret_sealed = CASE WHEN $12 THEN $13 ELSE secret_sealed END, \
               updated_at = $11 \
             WHERE organization_id = $1 AND id = $2 RETURNING {WEBHOOK_COLUMNS}"
        ))
        .bind(org.0)
        .bind(id)
        .bind(change.url)
        .bind(change.table_name)
        .bind(change.operations.map(Json))
        .bind(change.account_id.is_some())
        .bind(change.account_id.flatten().map(|a| a.0))
        .bind(change.token.is_some())
        .bind(change.token.flatten().map(|t| t.0))
        .bind(change.enabled)
        .bind(now)
        .bind(rotate)
        .bind(new_secret)
        .bind(previous_until)
        .fetch_optional(&mut *tx)
        .await
        .db()?
        .ok_or(StoreError::NotFound("webhook"))?;
        let updated = endpoint(&row)?;
        tx.commit().await.db()?;
        Ok(updated)
    }

    async fn delete_webhook(&self, org: OrgId, id: Uuid) -> StoreResult<()> {
        let mut tx = self.tenant(org).await?;
        // Deliveries first, then the endpoint: the order the delivery worker locks them
        // in (it records an attempt, then the endpoint's failing state). The other order
        // (the endpoint, then its deliveries by the cascade) deadlocked with it.
        sqlx::query(
            "DELETE FROM webhook_deliveries WHERE organization_id = $1 AND webhook_id = $2",
        )
        .bind(org.0)
        .bind(id)
        .execute(&mut *tx)
        .await
        .db()?;
        let gone = sqlx::query("DELETE FROM webhooks WHERE organization_id = $1 AND id = $2")
            .bind(org.0)
            .bind(id)
            .execute(&mut *tx)
            .await
            .db()?;
        if gone.rows_affected() == 0 {
            return Err(StoreError::NotFound("webhook"));
        }
        tx.commit().await.db()
    }

    async fn fanout_webhooks(&self) -> StoreResult<Vec<WebhookEndpoint>> {
        let mut tx = self.internal().await?;
        let rows = sqlx::query(&format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE disabled_at IS NULL \
             ORDER BY organization_id, created_at"
        ))
        .fetch_all(&mut *tx)
        .await
        .db()?;
        rows.iter().map(endpoint).collect()
    }

    async fn enqueue_deliveries(&self, org: OrgId, batch: Vec<FanOut>) -> StoreResult<Vec<bool>> {
        let mut tx = self.tenant(org).await?;
        let mut moved = vec![false; batch.len()];
        // Endpoints in id order, as the attempts' recorder updates them (no lock cycle).
        let mut order: Vec<usize> = (0..batch.len()).collect();
        order.sort_by_key(|i| batch[*i].webhook);
        for i in order {
            let f = &batch[i];
            let done = sqlx::query(
                "UPDATE webhooks SET event_cursor = $4 \
                 WHERE organization_id = $1 AND id = $2 AND event_cursor = $3",
            )
            .bind(org.0)
            .bind(f.webhook)
            .bind(f.from)
            .bind(f.to)
            .execute(&mut *tx)
            .await
            .db()?;
            let ok = done.rows_affected() > 0;
            if ok {
                for d in f.deliveries.iter().filter(|d| d.webhook_id == f.webhook) {
                    insert_delivery(&mut tx, org, d).await?;
                }
            }
            moved[i] = ok;
        }
        tx.commit().await.db()?;
        Ok(moved)
    }

    async fn add_delivery(&self, org: OrgId, new: NewDelivery) -> StoreResult<Delivery> {
        let mut tx = self.tenant(org).await?;
        let exists: Option<i32> =
            sqlx::query_scalar("SELECT 1 FROM webhooks WHERE organization_id = $1 AND id = $2")
                .bind(org.0)
                .bind(new.webhook_id)
                .fetch_optional(&mut *tx)
                .await
                .db()?;
        exists.ok_or(StoreError::NotFound("webhook"))?;
        let d = insert_delivery(&mut tx, org, &new).await?;
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
        let mut tx = self.internal().await?;
        let rows = sqlx::query(&format!(
            "WITH due AS ( \
               SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
               WHERE d.state = 'pending' AND d.next_attempt_at <= $1 \
                 AND (d.lease_until IS NULL OR d.lease_until < $1) \
                 AND w.disabled_at IS NULL AND NOT (d.webhook_id = ANY($3)) \
                 AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e \
                   WHERE e.webhook_id = d.webhook_id AND e.conversation_id = d.conversation_id \
                     AND e.state = 'pending' AND e.event_seq < d.event_seq) \
               ORDER BY d.next_attempt_at LIMIT $2 FOR UPDATE OF d SKIP LOCKED) \
             UPDATE webhook_deliveries d SET lease_until = $4, lease_token = gen_random_uuid(), \
               updated_at = $1 \
             FROM due WHERE d.id = due.id RETURNING {}",
            DELIVERY_COLUMNS
                .split(", ")
                .map(|c| format!("d.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .bind(now)
        .bind(i64::from(n))
        .bind(skip)
        .bind(now + lease)
        .fetch_all(&mut *tx)
        .await
        .db()?;
        let claimed: Vec<Delivery> = rows.iter().map(delivery).collect::<StoreResult<_>>()?;
        let mut ids: Vec<Uuid> = claimed.iter().map(|d| d.webhook_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let endpoints: Vec<WebhookEndpoint> = sqlx::query(&format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE id = ANY($1)"
        ))
        .bind(&ids)
        .fetch_all(&mut *tx)
        .await
        .db()?
        .iter()
        .map(endpoint)
        .collect::<StoreResult<_>>()?;
        tx.commit().await.db()?;
        Ok(claimed
            .into_iter()
            .filter_map(|d| {
                let e = endpoints.iter().find(|e| e.id == d.webhook_id)?.clone();
                Some((d, e))
            })
            .collect())
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
        let mut tx = self.internal().await?;
        let (mut done, mut health) = (Vec::with_capacity(items.len()), Vec::new());
        for (id, token, outcome) in &items {
            let webhook = finish_in(&mut tx, *id, *token, outcome, now).await?;
            done.push(webhook.is_some());
            health.extend(webhook.map(|w| (w, &outcome.next)));
        }
        // Endpoints in id order, as fan-out moves their cursors: two transactions never
        // wait for each other's endpoint rows in a cycle.
        health.sort_by_key(|h| h.0);
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
        limit: u32,
    ) -> StoreResult<Vec<Delivery>> {
        let mut tx = self.tenant(org).await?;
        let rows = sqlx::query(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries \
             WHERE organization_id = $1 AND webhook_id = $2 \
             ORDER BY created_at DESC, event_seq DESC NULLS LAST LIMIT $3"
        ))
        .bind(org.0)
        .bind(webhook)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
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
        let mut tx = self.tenant(org).await?;
        let row = sqlx::query(&format!(
            "UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = $3, \
               lease_until = NULL, lease_token = NULL, updated_at = $3 \
             WHERE organization_id = $1 AND id = $2 RETURNING {DELIVERY_COLUMNS}"
        ))
        .bind(org.0)
        .bind(id)
        .bind(now)
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
        let mut tx = self.tenant(org).await?;
        let done = sqlx::query(
            "UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = $4, \
               lease_until = NULL, lease_token = NULL, updated_at = $4 \
             WHERE organization_id = $1 AND webhook_id = $2 AND created_at >= $3 \
               AND state = 'failed'",
        )
        .bind(org.0)
        .bind(webhook)
        .bind(since)
        .bind(now)
        .execute(&mut *tx)
        .await
        .db()?;
        tx.commit().await.db()?;
        Ok(done.rows_affected())
    }
}
