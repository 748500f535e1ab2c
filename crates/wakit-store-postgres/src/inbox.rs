//! [`InboxStore`]: raw webhook bodies, stored with their processing job in one
//! transaction before Meta is answered.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::postgres::PgRow;
use uuid::Uuid;
use wakit_core::JobId;
use wakit_store::{
    InboxItem, InboxOutcome, InboxStore, JobArgs, NewInboxItem, NewJob, Priority, ProcessWebhook,
    StoreError, StoreResult, body_digest,
};

use crate::PgStore;
use crate::error::DbResultExt;
use crate::jobs::insert_job;
use crate::rows::micros;

const INBOX_COLUMNS: &str = "id, received_at, body, signature, state, attempts, last_error";

fn read_item(row: &PgRow) -> StoreResult<InboxItem> {
    let attempts: i32 = row.try_get("attempts").db()?;
    Ok(InboxItem {
        id: row.try_get("id").db()?,
        body: row.try_get("body").db()?,
        signature: row.try_get("signature").db()?,
        received_at: row.try_get("received_at").db()?,
        state: row.try_get("state").db()?,
        attempts: u32::try_from(attempts).unwrap_or(0),
        last_error: row.try_get("last_error").db()?,
    })
}

impl PgStore {
    /// Queues the oldest `limit` bodies in `state` for processing again (one job) and
    /// marks them pending.
    async fn retry_state(&self, state: &str, limit: u32, at: DateTime<Utc>) -> StoreResult<usize> {
        let mut tx = self.pool.begin().await.db()?;
        let ids: Vec<Uuid> = sqlx::query_scalar(
            "UPDATE webhook_inbox SET state = 'pending' WHERE id IN ( \
               SELECT id FROM webhook_inbox WHERE state = $1 \
               ORDER BY received_at LIMIT $2 FOR UPDATE) \
             RETURNING id",
        )
        .bind(state)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .db()?;
        if ids.is_empty() {
            return Ok(0);
        }
        let count = ids.len();
        insert_job(&mut tx, &process_job(ids, micros(at))).await?;
        tx.commit().await.db()?;
        Ok(count)
    }

    /// Stores the bodies not stored before and queues one job for them
    /// ([`ProcessWebhook::of`]); replays carry the stored ids.
    async fn put(&self, items: Vec<NewInboxItem>) -> StoreResult<Vec<InboxItem>> {
        let Some(first) = items.first() else {
            return Ok(Vec::new());
        };
        let run_at = micros(first.received_at);
        let mut stored: Vec<InboxItem> = items
            .into_iter()
            .map(|item| InboxItem {
                id: Uuid::now_v7(),
                body: item.body,
                signature: item.signature,
                received_at: micros(item.received_at),
                state: "pending".into(),
                attempts: 0,
                last_error: None,
            })
            .collect();
        let ids: Vec<Uuid> = stored.iter().map(|i| i.id).collect();
        let times: Vec<DateTime<Utc>> = stored.iter().map(|i| i.received_at).collect();
        let bodies: Vec<&[u8]> = stored.iter().map(|i| i.body.as_slice()).collect();
        let signatures: Vec<Option<&str>> = stored.iter().map(|i| i.signature.as_deref()).collect();
        let digests: Vec<String> = stored.iter().map(|i| body_digest(&i.body)).collect();
        let mut tx = self.pool.begin().await.db()?;
        // One statement for the whole group: a round trip per row would cost more than
        // the commit it shares. A body stored before (a replay) is skipped.
        let inserted: HashSet<Uuid> = sqlx::query_scalar(
            "INSERT INTO webhook_inbox (id, received_at, body, signature, body_sha256) \
             SELECT * FROM UNNEST($1::uuid[], $2::timestamptz[], $3::bytea[], $4::text[], $5::text[]) \
             ON CONFLICT (body_sha256) WHERE body_sha256 IS NOT NULL DO NOTHING RETURNING id",
        )
        .bind(&ids)
        .bind(&times)
        .bind(&bodies)
        .bind(&signatures)
        .bind(&digests)
        .fetch_all(&mut *tx)
        .await
        .db()?
        .into_iter()
        .collect();
        let new: Vec<Uuid> = ids
            .iter()
            .filter(|id| inserted.contains(id))
            .copied()
            .collect();
        if !new.is_empty() {
            insert_job(&mut tx, &process_job(new, run_at)).await?;
        }
        if inserted.len() < stored.len() {
            let replays: HashMap<String, Uuid> = sqlx::query_as(
                "SELECT body_sha256, id FROM webhook_inbox WHERE body_sha256 = ANY($1::text[])",
            )
            .bind(&digests)
            .fetch_all(&mut *tx)
            .await
            .db()?
            .into_iter()
            .collect();
            for (item, digest) in stored.iter_mut().zip(&digests) {
                if let Some(id) = replays.get(digest).filter(|_| !inserted.contains(&item.id)) {
                    item.id = *id;
                }
            }
        }
        tx.commit().await.db()?;
        Ok(stored)
    }
}

fn process_job(ids: Vec<Uuid>, run_at: DateTime<Utc>) -> NewJob {
    ProcessWebhook::of(ids).job(None, run_at, Priority::Interactive.value())
}

#[async_trait]
impl InboxStore for PgStore {
    async fn inbox_put(
        &self,
        body: &[u8],
        signature: Option<&str>,
        received_at: DateTime<Utc>,
    ) -> StoreResult<InboxItem> {
        let item = NewInboxItem {
            body: body.to_vec(),
            signature: signature.map(str::to_owned),
            received_at,
        };
        let mut stored = self.put(vec![item]).await?;
        stored
            .pop()
            .ok_or_else(|| StoreError::other("inbox put stored nothing"))
    }

    async fn inbox_put_batch(&self, items: Vec<NewInboxItem>) -> StoreResult<Vec<InboxItem>> {
        self.put(items).await
    }

    async fn inbox_oldest_pending(&self) -> StoreResult<Option<DateTime<Utc>>> {
        sqlx::query_scalar("SELECT MIN(received_at) FROM webhook_inbox WHERE state = 'pending'")
            .fetch_one(&self.pool)
            .await
            .db()
    }

    async fn inbox_retry_failed(&self, limit: u32, at: DateTime<Utc>) -> StoreResult<usize> {
        self.retry_state("failed", limit, at).await
    }

    async fn inbox_retry_ignored(&self, limit: u32, at: DateTime<Utc>) -> StoreResult<usize> {
        self.retry_state("ignored", limit, at).await
    }

    async fn inbox_get(&self, id: Uuid) -> StoreResult<InboxItem> {
        let sql = format!("SELECT {INBOX_COLUMNS} FROM webhook_inbox WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .db()?
            .ok_or(StoreError::NotFound("inbox item"))?;
        read_item(&row)
    }

    async fn inbox_get_batch(&self, ids: &[Uuid]) -> StoreResult<Vec<InboxItem>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!("SELECT {INBOX_COLUMNS} FROM webhook_inbox WHERE id = ANY($1)");
        let rows = sqlx::query(&sql)
            .bind(ids)
            .fetch_all(&self.pool)
            .await
            .db()?;
        let mut found = HashMap::with_capacity(rows.len());
        for row in &rows {
            let item = read_item(row)?;
            found.insert(item.id, item);
        }
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    async fn inbox_finish(
        &self,
        id: Uuid,
        error: Option<&str>,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE webhook_inbox SET attempts = attempts + 1, \
               state = CASE WHEN $2::text IS NULL THEN 'done' ELSE 'failed' END, \
               last_error = $2, \
               processed_at = CASE WHEN $2::text IS NULL THEN $3 ELSE processed_at END \
             WHERE id = $1",
        )
        .bind(id)
        .bind(error)
        .bind(at)
        .execute(&self.pool)
        .await
        .db()?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("inbox item"));
        }
        Ok(())
    }

    async fn inbox_finish_batch(
        &self,
        outcomes: &[(Uuid, InboxOutcome)],
        jobs: &[(JobId, Uuid)],
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<bool>> {
        if outcomes.is_empty() && jobs.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<Uuid> = outcomes.iter().map(|(id, _)| *id).collect();
        let states: Vec<&str> = outcomes.iter().map(|(_, o)| o.state()).collect();
        let notes: Vec<Option<&str>> = outcomes.iter().map(|(_, o)| o.note()).collect();
        let job_ids: Vec<Uuid> = jobs.iter().map(|(id, _)| id.0).collect();
        let tokens: Vec<Uuid> = jobs.iter().map(|(_, token)| *token).collect();
        let mut tx = self.pool.begin().await.db()?;
        let done = sqlx::query(
            "UPDATE webhook_inbox w SET attempts = w.attempts + 1, \
               state = o.state, last_error = o.note, \
               processed_at = CASE WHEN o.state = 'failed' THEN w.processed_at ELSE $4 END \
             FROM UNNEST($1::uuid[], $2::text[], $3::text[]) AS o(id, state, note) WHERE w.id = o.id",
        )
        .bind(&ids)
        .bind(&states)
        .bind(&notes)
        .bind(at)
        .execute(&mut *tx)
        .await
        .db()?;
        let distinct = ids.iter().collect::<HashSet<_>>().len();
        if done.rows_affected() < distinct as u64 {
            // Dropping the transaction rolls the group back.
            return Err(StoreError::NotFound("inbox item"));
        }
        // As `complete_job`, for every lease at once.
        let completed: Vec<Uuid> = sqlx::query_scalar(
            "UPDATE jobs j SET state = 'done', lease_until = NULL, lease_token = NULL, updated_at = now() \
             FROM UNNEST($1::uuid[], $2::uuid[]) AS l(id, token) \
             WHERE j.id = l.id AND j.state = 'running' AND j.lease_token = l.token RETURNING j.id",
        )
        .bind(&job_ids)
        .bind(&tokens)
        .fetch_all(&mut *tx)
        .await
        .db()?;
        tx.commit().await.db()?;
        let completed: HashSet<Uuid> = completed.into_iter().collect();
        Ok(job_ids.iter().map(|id| completed.contains(id)).collect())
    }
}
